"""Unverified decoding of the two base64url blobs a token endpoint returns: ``id_token`` and ``client_info``.

Nothing here checks a signature. OpenID Connect Core section 3.1.3.7 lets a client that received the ID token
directly from the token endpoint over TLS skip signature validation; the claims are used for display and
for keying the token cache, never for an authorization decision.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def decode_part(raw: str) -> bytes:
    """Decode one base64url segment; the padding that JWTs drop (RFC 7515 section 2) is restored."""
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def decode_json_part(raw: str) -> dict[str, Any]:
    """A base64url-encoded JSON object, or ``{}`` when the segment is not one."""
    try:
        value = json.loads(decode_part(raw))
    except (ValueError, TypeError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        return {}
    return value if isinstance(value, dict) else {}


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWS (``header.payload.signature``), or ``{}`` for anything else."""
    parts = token.split(".") if isinstance(token, str) else []
    return decode_json_part(parts[1]) if len(parts) == 3 else {}


def client_info(raw: str | None) -> dict[str, Any]:
    """Entra's ``client_info`` (``{"uid": ..., "utid": ...}``), or ``{}``."""
    return decode_json_part(raw) if isinstance(raw, str) and raw else {}
