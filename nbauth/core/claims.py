"""Claims challenges (OpenID Connect Core section 5.5) and client capabilities.

An API that wants more (a fresher sign-in, MFA, a compliant device) answers 401 with::

    WWW-Authenticate: Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsi..."

The ``claims`` value is base64 of a JSON object. :func:`claims_challenge_from_www_authenticate` turns the
header into that JSON string, which every acquire call accepts as ``claims_challenge``. An application that
declared ``client_capabilities=["CP1"]`` adds ``{"access_token": {"xms_cc": {"values": ["CP1"]}}}`` to every
request so the provider knows it can handle such challenges (:func:`merge_client_capabilities`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any

# One auth-param of RFC 9110 section 11.2: name=token or name="quoted string" (backslash escapes allowed).
_AUTH_PARAM = re.compile(r'([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))')
_SCHEME = re.compile(r"(?:^|,)\s*([A-Za-z0-9_.-]+)(?=\s+[A-Za-z0-9_.-]+\s*=|\s*(?:,|$))")


def decode_claims(challenge: str) -> dict[str, Any]:
    """A claims challenge as a dict; accepts the JSON string or its base64 form (as sent in the header).

    Raises ``ValueError`` when it is neither, so a mistyped challenge fails before anything is sent.
    """
    if not isinstance(challenge, str) or not challenge.strip():
        raise ValueError("claims_challenge must be a JSON object string, e.g. '{\"access_token\": {...}}'.")
    text = challenge.strip()
    if not text.startswith("{"):
        text = _base64_text(text)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValueError(
            "claims_challenge must be a JSON object string (the decoded 'claims' of a WWW-Authenticate "
            "header); use claims_challenge_from_www_authenticate(header) to get it."
        )
    return value


def merge_client_capabilities(claims_challenge: str | None, capabilities: Iterable[str] | None) -> str | None:
    """The ``claims`` request parameter: the challenge plus ``access_token.xms_cc.values`` (MSAL's rule)."""
    if claims_challenge is not None:
        decoded = decode_claims(claims_challenge)  # validate early, also without capabilities
    if not capabilities:
        return claims_challenge
    merged = decoded if claims_challenge is not None else {}
    access_token = merged.setdefault("access_token", {})
    if not isinstance(access_token, dict):
        raise ValueError("claims_challenge: 'access_token' must be a JSON object.")
    access_token["xms_cc"] = {"values": list(capabilities)}
    return json.dumps(merged)


def claims_challenge_from_www_authenticate(header: str | None) -> str | None:
    """The claims challenge (a JSON string) in a ``WWW-Authenticate`` header, or ``None`` when there is none.

    Looks at ``Bearer`` challenges only; the ``claims`` parameter is base64 (padded or not, standard or
    url-safe alphabet) of a JSON object, as Entra sends it for ``error="insufficient_claims"``.
    """
    for scheme, params in _challenges(header or ""):
        claims = params.get("claims")
        if scheme.lower() != "bearer" or not claims:
            continue
        try:
            decode_claims(claims)
        except ValueError:
            continue  # not a usable challenge; a later one may be
        return claims if claims.lstrip().startswith("{") else _base64_text(claims)
    return None


def _challenges(header: str) -> list[tuple[str, dict[str, str]]]:
    """Split a header into (scheme, params) pairs; parameter names are lower-cased."""
    result: list[tuple[str, dict[str, str]]] = []
    schemes = list(_SCHEME.finditer(header))
    for index, match in enumerate(schemes):
        end = schemes[index + 1].start() if index + 1 < len(schemes) else len(header)
        params = {
            m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
            for m in _AUTH_PARAM.finditer(header, match.end(), end)
        }
        params = {k: re.sub(r"\\(.)", r"\1", v) for k, v in params.items()}
        result.append((match.group(1), params))
    return result


def _base64_text(raw: str) -> str:
    data = raw.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
