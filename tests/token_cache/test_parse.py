"""Loading a serialized cache: errors name the place, never the content; the garbage collector, paused while
a large cache is indexed, is left as it was."""

from __future__ import annotations

import gc

import pytest

from nbauth.core.token_cache import SerializableTokenCache, parse_state

from ._helpers import event, user_response


@pytest.mark.parametrize(
    ("document", "where"),
    [('{"AccessToken": {"a": "secret-value"', "line 1 column 37"), ('{"a":\n  [1, 2,]}', "line 2 column 9")],
)
def test_invalid_json_names_the_place_not_the_content(document, where):
    with pytest.raises(ValueError, match="not valid JSON") as raised:
        parse_state(document)
    assert where in str(raised.value) and "secret" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_invalid_utf8_is_a_value_error():
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_state(b'{"a": "\xff\xfe"}')


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_is_left_as_it_was(enabled):
    cache = SerializableTokenCache()
    cache.add(event(user_response(), ["api://x/Read", "api://x/Write"]), now=1_750_000_000)
    text = cache.serialize()
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        loaded = SerializableTokenCache()
        loaded.deserialize(text)
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError):
            loaded.deserialize(text[:-1])
        assert gc.isenabled() is enabled
        assert loaded.serialize() == text  # the failed load changed nothing
        found = loaded.find_access_token(
            client_id="client-abc", environment="login.example.com", realm="tenant-one",
            scopes=["api://x/Read"], home_account_id="uid1.utid1", now=1_750_000_000,
        )  # fmt: skip
        assert found is not None and gc.isenabled() is enabled  # a superset: the index was built
    finally:
        gc.enable() if was else gc.disable()
