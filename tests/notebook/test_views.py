"""Views: masked token results, the error table (AADSTS meaning, escaping), plain-text fallbacks."""

from __future__ import annotations

import pickle
import re

import pytest

from nbauth.notebook import aadsts, render
from nbauth.notebook.results import ErrorResult, TokenResult, mask, wrap

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload-part-that-is-secret.signature-part"
REFRESH = "0.AAAA-refresh-token-value-that-must-stay-hidden"


def token_result() -> TokenResult:
    return TokenResult(
        {
            "access_token": TOKEN,
            "refresh_token": REFRESH,
            "id_token": "eyJ-id-token-value-long-enough-to-show",
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "api://nbauth-demo/Data.Read",
            "id_token_claims": {"preferred_username": "ada@contoso.example", "tid": "tenant-guid"},
            "token_source": "identity_provider",
        },
        received_at=1_000.0,
    )


def test_token_result_is_a_dict_but_never_shows_its_secrets():
    result = token_result()
    assert result["access_token"] == TOKEN and isinstance(result, dict)
    shown = [repr(result), str(result), result._repr_html_(), result.as_text()]
    for text in shown:
        assert TOKEN not in text and REFRESH not in text
        assert f"{TOKEN[:6]}…({len(TOKEN)} chars)" in text
    assert "ada@contoso.example" in result._repr_html_()


def test_short_secrets_show_no_prefix_and_nested_dicts_are_masked():
    assert mask("abcdefgh") == "***(8 chars)"
    nested = ErrorResult({"error": "x", "inner": {"refresh_token": REFRESH}})
    assert REFRESH not in repr(nested)


def test_remaining_counts_down_from_the_time_received():
    result = token_result()
    assert result.remaining(now=1_000.0) == 3600
    assert result.remaining(now=1_600.0) == 3000
    assert "in 3000 s" in render.rows_text("t", render.token_rows(result, now=1_600.0))


def test_results_survive_pickling_with_their_type():
    copy = pickle.loads(pickle.dumps(token_result()))  # noqa: S301 (our own bytes)
    assert type(copy) is TokenResult and copy["access_token"] == TOKEN and copy.received_at == 1_000.0


def test_wrap_picks_the_view_and_turns_none_into_an_error():
    assert type(wrap({"access_token": "a" * 30, "expires_in": 1})) is TokenResult
    assert type(wrap({"error": "invalid_grant"})) is ErrorResult
    assert wrap(None)["error"] == "interaction_required"


ENTRA_ERROR = {
    "error": "interaction_required",
    "error_description": "AADSTS50076: Due to a configuration change you must use MFA.\r\nTrace ID: t-1",
    "error_codes": [50076],
    "timestamp": "2026-11-22 05:00:00Z",
    "trace_id": "trace-1",
    "correlation_id": "corr-1",
    "suberror": "basic_action",
    "claims": '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}',
}


def test_error_table_explains_the_aadsts_code_with_every_field():
    result = ErrorResult(ENTRA_ERROR)
    text, page = result.as_text(), result._repr_html_()
    for shown in (text, page):
        for value in (
            "interaction_required",
            "AADSTS50076",
            "trace-1",
            "corr-1",
            "basic_action",
            "acrs",
            "c1",
        ):
            assert value in shown
        assert aadsts.lookup(50076).action in shown.replace("&#x27;", "'")
    assert 'href="https://login.microsoftonline.com/error?code=50076"' in page
    assert "https://login.microsoftonline.com/error?code=50076" in text


def test_code_is_found_in_the_description_when_error_codes_are_missing():
    assert aadsts.code_of({"error_description": "AADSTS7000215: Invalid client secret provided."}) == 7000215
    assert aadsts.code_of({"error": "invalid_grant"}) is None


XSS = "<script>alert(1)</script>"


@pytest.mark.parametrize("key", ["error", "error_description", "suberror", "correlation_id", "claims"])
def test_server_strings_are_rendered_inert(key):
    page = ErrorResult({"error": "invalid_grant", key: XSS})._repr_html_()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_error_uri_is_a_link_only_when_it_is_http():
    safe = ErrorResult({"error": "x", "error_uri": "https://example.test/e?a=1&b=<2>"})._repr_html_()
    assert 'href="https://example.test/e?a=1&amp;b=&lt;2&gt;"' in safe
    hostile = ErrorResult({"error": "x", "error_uri": "javascript:alert(1)"})._repr_html_()
    assert "href" not in hostile and "javascript:alert(1)" in hostile


def test_aadsts_table_covers_the_codes_users_meet():
    required = [
        50076, 50079, 50126, 50158, 53000, 53003, 65001, 70011, 700016, 7000215, 7000222, 700082, 50173,
        90002, 50020, 50034, 50053, 50055, 50057, 50058, 50059, 50074, 50097, 50105, 50140, 500011, 54005,
        700024, 70008, 70043, 70044, 9002313, 65004, 650052, 7000112, 530003, 50011, 50012, 900144,
        50196, 90033, 50000,
    ]  # fmt: skip
    missing = [code for code in required if aadsts.lookup(code) is None]
    assert missing == []
    assert len(aadsts.CODES) >= 30
    for entry in aadsts.CODES.values():
        assert entry.meaning.endswith(".") and entry.action.endswith(".") and entry.name


def test_device_code_view_shows_url_and_code_and_the_grid_fallback():
    view = render.device_code_view({"verification_uri": "https://idp.test/device", "user_code": "ABCD-EFGH"})
    assert "ABCD-EFGH" in view.text and 'href="https://idp.test/device"' in view._repr_html_()
    empty = render.view_grid("Accounts", ["username"], [], "x")
    assert "(none)" in empty.text and "<th" in empty._repr_html_()
    assert re.search(r"<td[^>]*>a&amp;b</td>", render.view_grid("t", ["h"], [["a&b"]], "x")._repr_html_())
