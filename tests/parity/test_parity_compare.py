"""The comparison rules of the parity test, checked on hand-made dicts (they must be able to fail)."""

from __future__ import annotations

import base64
import json

from parity_compare import Side, differences, shape


def jwt(claims: dict) -> str:
    def part(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def diff(x, y, *, x_start=1000.0, y_start=1000.0):
    return differences(Side("msal", x, x_start), Side("nbauth", y, y_start))


def test_equal_dicts_agree_and_missing_or_extra_keys_do_not():
    assert diff({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 2]}) == []
    assert diff({"a": 1}, {"a": 1, "b": 2}) == ["$: keys only in nbauth: ['b']"]
    assert diff({"a": 1}, {"a": "1"}) == ["$.a: msal=1 nbauth='1'"]


def test_unique_values_are_compared_by_shape_and_jwts_by_their_claims():
    assert diff({"access_token": jwt({"scp": "x"})}, {"access_token": jwt({"scp": "x"})}) == []
    assert diff({"access_token": jwt({"scp": "x"})}, {"access_token": "opaque"}) != []
    found = diff({"id_token": jwt({"scp": "x"})}, {"id_token": jwt({"scp": "y"})})
    assert found == ["$.id_token<claims>.scp: msal='x' nbauth='y'"]
    assert shape("6f9619ff-8b86-d011-b42d-00c04fc964ff") == "GUID"


def test_clock_values_are_compared_relative_to_each_run_within_one_second():
    assert diff({"expires_at": 1100.0}, {"expires_at": 1105.5}, y_start=1005.0) == []
    assert diff({"expires_at": 1100.0}, {"expires_at": 1102.5}) != []
    assert diff({"expires_in": 3599}, {"expires_in": 3600}) == []
    assert diff({"expires_in": 3599}, {"expires_in": 3597}) != []
    assert diff({"timestamp": "2026-01-01 00:00:00Z"}, {"timestamp": "2026-01-01 00:00:01Z"}) == []


def test_descriptions_are_compared_with_their_sibling_ids_masked():
    x = {
        "trace_id": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
        "error_description": "Trace ID: 6f9619ff-8b86-d011-b42d-00c04fc964ff!",
    }
    y = {
        "trace_id": "00000000-8b86-d011-b42d-00c04fc964ff",
        "error_description": "Trace ID: 00000000-8b86-d011-b42d-00c04fc964ff!",
    }
    assert diff(x, y) == []
    y["error_description"] = "Trace ID: something else!"
    assert len(diff(x, y)) == 1


def test_urls_claims_and_scopes():
    x = {"auth_uri": "https://h/a?scope=a+b&state=s1&claims=%7B%22a%22%3A+1%7D", "scope": ["a", "b"]}
    y = {"auth_uri": "https://h/a?scope=a+b&state=s2&claims=%7B%22a%22%3A1%7D", "scope": ["b", "a"]}
    assert diff(x, y) == []
    y["auth_uri"] = "https://h/a?scope=a+b&state=s2&claims=%7B%22a%22%3A2%7D&prompt=login"
    assert len(diff(x, y)) == 2
