"""A small stand-in with MSAL's method names and dict results, for widget tests that need no provider.

It issues random secrets and records them, like the local identity provider's ``issued_secrets()``, so the
tests can search widget state for them.
"""

from __future__ import annotations

import secrets
import threading
import time
from urllib.parse import urlencode


class FakeApp:
    def __init__(self, clock, *, expires_in=900, token_lifetime=3600, device_error=None, result_error=None):
        self.clock = clock
        self.expires_in = expires_in
        self.token_lifetime = token_lifetime
        self.device_error = device_error  # an error dict returned by initiate_device_flow
        self.result_error = result_error  # an error dict returned instead of a token
        self.approved = threading.Event()
        self.polls = 0
        self.calls: list[tuple[str, dict]] = []
        self.accounts: list[dict] = []
        self.issued: set[str] = set()
        self.interactive_gate = threading.Event()

    def _secret(self, prefix: str) -> str:
        value = f"{prefix}{secrets.token_urlsafe(24)}"
        self.issued.add(value)
        return value

    def issued_secrets(self) -> set[str]:
        return set(self.issued)

    def _token(self, claims_challenge=None) -> dict:
        if self.result_error is not None:
            return dict(self.result_error)
        self.accounts = [{"username": "ada@contoso.example", "home_account_id": "uid.tid"}]
        return {
            "access_token": self._secret("at-"),
            "refresh_token": self._secret("rt-"),
            "id_token": self._secret("idt-"),
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": "api://demo/Data.Read",
            "id_token_claims": {"preferred_username": "ada@contoso.example", "tid": "tenant-guid"},
        }

    # device code
    def initiate_device_flow(self, scopes, claims_challenge=None):
        self.calls.append(("initiate_device_flow", {"scopes": scopes, "claims_challenge": claims_challenge}))
        if self.device_error is not None:
            return dict(self.device_error)
        user_code = "UC" + secrets.token_hex(4).upper()
        self.issued.add(user_code)
        return {
            "device_code": self._secret("dc-"),
            "user_code": user_code,
            "verification_uri": "http://127.0.0.1:1/devicelogin?x=<b>",
            "expires_in": self.expires_in,
            "expires_at": self.clock() + self.expires_in,
            "interval": 5,
            "message": f"enter {user_code}",
        }

    def acquire_token_by_device_flow(self, flow, claims_challenge=None, exit_condition=None):
        self.calls.append(("acquire_token_by_device_flow", {"claims_challenge": claims_challenge}))
        while True:
            self.polls += 1
            if self.approved.is_set():
                return self._token(claims_challenge)
            if exit_condition(flow):
                return {"error": "authorization_pending", "error_description": "pending"}
            time.sleep(0.01)  # the real core sleeps `interval` in one-second slices; keep the test quick

    # browser
    def acquire_token_interactive(
        self, scopes, prompt=None, login_hint=None, claims_challenge=None, timeout=None
    ):
        self.calls.append(("acquire_token_interactive", {"claims_challenge": claims_challenge}))
        self.interactive_gate.wait(10)
        return self._token(claims_challenge)

    # paste-back
    def initiate_auth_code_flow(self, scopes, redirect_uri=None, login_hint=None, claims_challenge=None):
        self.calls.append(("initiate_auth_code_flow", {"claims_challenge": claims_challenge}))
        state = secrets.token_urlsafe(8)
        verifier = self._secret("pkce-")
        query = urlencode({"client_id": "c", "state": state, "redirect_uri": redirect_uri})
        return {
            "auth_uri": f"http://127.0.0.1:1/authorize?{query}",
            "state": state,
            "code_verifier": verifier,
        }

    def redirect_for(self, flow_auth_uri: str) -> str:
        from urllib.parse import parse_qs, urlsplit

        state = parse_qs(urlsplit(flow_auth_uri).query)["state"][0]
        return f"http://localhost/?{urlencode({'code': self._secret('code-'), 'state': state})}"

    def acquire_token_by_auth_code_flow(self, auth_code_flow, auth_response, scopes=None):
        self.calls.append(("acquire_token_by_auth_code_flow", {}))
        if auth_response.get("state") != auth_code_flow["state"]:
            raise ValueError("state mismatch")
        return self._token()

    # accounts
    def get_accounts(self, username=None):
        return [a for a in self.accounts if username in (None, a["username"])]

    def remove_account(self, account):
        self.accounts.remove(account)
