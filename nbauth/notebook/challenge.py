"""Finding a claims challenge in what a cell produced: an exception or a response with a 401.

An API that needs more claims (Conditional Access, CAE) answers ``401`` with
``WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64url JSON>"``; the challenge string is
then passed to the acquisition as ``claims_challenge`` (contract section 5).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from nbauth.core.claims import claims_challenge_from_www_authenticate


def claims_challenge_of(obj: Any) -> str | None:
    """The challenge in an exception with ``.response`` (requests, azure-core) or in a response object."""
    response = getattr(obj, "response", None) if isinstance(obj, BaseException) else obj
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None)
    if status != 401 or headers is None:
        return None
    header = headers.get("WWW-Authenticate") or headers.get("www-authenticate") or ""
    return challenge_from_header(str(header))


def challenge_from_header(header: str) -> str | None:
    return claims_challenge_from_www_authenticate(header)


def normalize_challenge(value: str | None) -> str | None:
    """A ``--claims-challenge`` as typed: quotes removed (IPython keeps them), base64url decoded to JSON."""
    if not value:
        return None
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if text.startswith("{"):
        return text
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return text  # the application reports what is wrong with it
    return decoded if decoded.lstrip().startswith("{") else text
