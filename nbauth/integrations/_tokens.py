"""Getting an access token for an outgoing request, from an nbauth application or anything with MSAL's API.

Both integrations (``requests`` and azure-core) take the same steps, so they live here once:

1. pick the account: the one given (an MSAL account dict, or a username), else, for a public client, the only
   signed-in account; a confidential client without an account uses its own identity (client credentials);
2. ask the cache silently (``acquire_token_silent_with_error`` when the app has it, so a failed refresh says
   why; ``acquire_token_silent`` otherwise). The cache refreshes an expiring token, so long loops keep
   working;
3. a confidential client without an account falls back to ``acquire_token_for_client``.

A claims challenge goes through the same steps with ``claims_challenge=``: the application bypasses its
access-token cache and redeems its refresh token with the claims (contract section 5).

The result is always a dict (MSAL's contract): a token result, or an error dict. "Nothing cached" becomes
``{"error": "interaction_required", ...}`` rather than ``None``, so callers always have something to show.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

Account = Mapping[str, Any] | str | None


def check_scopes(scopes: Sequence[str]) -> list[str]:
    """A list of scope strings; a bare string is misuse (it would be split into characters)."""
    if isinstance(scopes, str) or not all(isinstance(s, str) for s in scopes):
        raise ValueError(f"scopes must be a list of strings, not {scopes!r}")
    return list(scopes)


def is_confidential(app: Any) -> bool:
    flag = getattr(app, "is_confidential", None)
    if isinstance(flag, bool):
        return flag
    # An MSAL ConfidentialClientApplication is the one with acquire_token_for_client.
    return callable(getattr(app, "acquire_token_for_client", None))


def _username(account: Mapping[str, Any]) -> str:
    return str(account.get("username") or account.get("home_account_id") or "?")


def resolve_account(app: Any, account: Account) -> tuple[Mapping[str, Any] | None, dict[str, Any] | None]:
    """(account, None) or (None, error dict); resolved per call, as users sign in after building the auth."""
    if account is not None and not isinstance(account, str):
        return account, None
    if account is None and is_confidential(app):
        return None, None  # the application's own identity
    accounts = list(app.get_accounts(username=account) if account else app.get_accounts())
    if len(accounts) == 1:
        return accounts[0], None
    if not accounts:
        who = f"account {account!r}" if account else "account"
        return None, _error("interaction_required", f"No signed-in {who} in the token cache; sign in first.")
    names = ", ".join(sorted(_username(a) for a in accounts))
    return None, _error("account_ambiguous", f"Several accounts are signed in ({names}); pass account=.")


def acquire(
    app: Any, scopes: Sequence[str], account: Account = None, *, claims_challenge: str | None = None
) -> dict[str, Any]:
    """A token result or an error dict; never None, never raises for protocol errors."""
    chosen, error = resolve_account(app, account)
    if error is not None:
        return error
    extra = {"claims_challenge": claims_challenge} if claims_challenge else {}
    result = None
    if chosen is not None or not is_confidential(app):
        silent = getattr(app, "acquire_token_silent_with_error", None) or app.acquire_token_silent
        result = silent(list(scopes), chosen, **extra)
    elif not claims_challenge:
        # Client credentials: a cached app token first (no network), then the token endpoint.
        result = app.acquire_token_silent(list(scopes), None)
    if not has_token(result) and chosen is None and is_confidential(app):
        result = app.acquire_token_for_client(list(scopes), **extra)
    if result is None:
        return _error(
            "interaction_required",
            f"No token for {' '.join(scopes)} in the cache and no refresh token to get one; sign in again.",
        )
    return dict(result)


def has_token(result: Mapping[str, Any] | None) -> bool:
    return bool(result) and "access_token" in result  # type: ignore[operator]


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}


def explain_error(result: Mapping[str, Any]) -> str:
    """One readable line: the error code and its description, without the trace ids Entra appends."""
    code = str(result.get("error") or "unknown_error")
    lines = str(result.get("error_description") or "").strip().splitlines()
    description = lines[0].partition(" Trace ID:")[0].strip() if lines else ""
    return f"{code}: {description}" if description else code


def explain_claims(challenge: str) -> str:
    """The claims a policy demands, e.g. ``access_token.acrs = c1``: names and values, nothing secret."""
    try:
        from nbauth.core.claims import decode_claims

        claims = decode_claims(challenge)
    except (ImportError, ValueError):
        try:
            claims = json.loads(challenge)
        except ValueError:
            return "an unreadable claims request"
    parts = [f"{path} = {value}" for path, value in _flatten(claims, "")]
    return ", ".join(parts) or "no specific claims"


def _flatten(node: Any, path: str) -> list[tuple[str, str]]:
    # {"access_token": {"acrs": {"essential": true, "value": "c1"}}} -> [("access_token.acrs", "c1")]
    if isinstance(node, Mapping):
        if "value" in node or "values" in node:
            value = node.get("value", node.get("values"))
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            return [(path, shown)]
        if not node or set(node) <= {"essential"}:
            return [(path, "(required)")] if path else []
        pairs: list[tuple[str, str]] = []
        for key, child in node.items():
            pairs.extend(_flatten(child, f"{path}.{key}" if path else str(key)))
        return pairs
    return [(path, "(required)")] if node is None else [(path, str(node))]
