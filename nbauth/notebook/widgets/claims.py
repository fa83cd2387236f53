"""The claims-challenge prompt: what a Conditional Access policy asks for, in plain words, and a new sign-in.

Shown when a result (``interaction_required`` with ``claims``) or an API's 401 (``WWW-Authenticate: Bearer
error="insufficient_claims", claims="..."``) carries a claims challenge. The button embeds a
:class:`~nbauth.notebook.widgets.signin.SignInWidget` that sends the challenge; the prompt updates in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
from traitlets import Unicode

from nbauth.core.claims import decode_claims
from nbauth.notebook import aadsts
from nbauth.notebook.widgets._common import PendingResult, esc
from nbauth.notebook.widgets.signin import SignInWidget


def decode_challenge(challenge: str) -> dict:
    """The claims JSON of a challenge given as JSON (token error bodies) or base64url (WWW-Authenticate);
    empty when it is neither, so the prompt still shows, without an explanation."""
    try:
        return decode_claims(challenge)
    except ValueError:
        return {}


def _values(spec: Any) -> list[str]:
    if not isinstance(spec, Mapping):
        return []
    values = spec.get("values") or ([spec["value"]] if "value" in spec else [])
    return [str(v) for v in values]


def explain_claims(claims: Mapping[str, Any]) -> list[str]:
    """One plain sentence per requirement found in the decoded claims (access token and id token parts)."""
    lines: list[str] = []
    for part in ("access_token", "id_token"):
        for name, spec in (claims.get(part) or {}).items():
            lines.append(_explain_one(name, spec))
    return lines or ["The provider asks for a new sign-in that satisfies its policy (no details were given)."]


def _explain_one(name: str, spec: Any) -> str:
    values = ", ".join(_values(spec))
    if name == "acrs":
        return (
            f"An authentication context ({values}) is required: your organisation's Conditional Access "
            "policy asks for a stronger sign-in for this resource, typically multi-factor authentication, "
            "a compliant device or a trusted location."
        )
    if name == "amr" or "mfa" in values:
        return "Multi-factor authentication is required: sign in again and complete the second factor."
    if name == "capolids":
        return f"Conditional Access policies {values} must be satisfied by a new sign-in."
    if name in ("auth_time", "max_age"):
        return "A recent sign-in is required: sign in again even if you are signed in already."
    if name == "xms_cc":
        return f"The client declared the capabilities {values} (it can handle claims challenges)."
    if name == "nbf":
        return "The existing token was issued before a policy or session change: a fresh token is needed."
    return f"The claim {name!r} is requested" + (f" with {values}." if values else ".")


def aadsts_lines(error: Mapping[str, Any] | None) -> list[str]:
    """The AADSTS code's meaning and next step, from the notebook layer's table when it is there."""
    if not error:
        return []
    code = aadsts.code_of(error)
    known = aadsts.lookup(code) if code is not None else None
    if known is None:
        return [f"AADSTS{code}"] if code is not None else []
    return [f"AADSTS{known.code} ({known.name}): {known.meaning}", f"What to do: {known.action}"]


class ClaimsChallengePrompt(widgets.VBox):
    """Explain a claims challenge and run the sign-in that answers it; ``await prompt`` gives the result."""

    status = Unicode("prompt", help="prompt, signing_in, satisfied, failed, cancelled, expired")

    def __init__(
        self,
        app: Any,
        scopes: Sequence[str],
        claims_challenge: str,
        *,
        error: Mapping[str, Any] | None = None,
        flow: str = "device_code",
        clock: Callable[[], float] = time.time,
        **sign_in_options: Any,
    ) -> None:
        self._app, self._scopes, self._challenge = app, list(scopes), claims_challenge
        self._flow, self._clock, self._options = flow, clock, sign_in_options
        self.explanation = explain_claims(decode_challenge(claims_challenge))
        self.error_lines = aadsts_lines(error)
        self.sign_in: SignInWidget | None = None
        self.result = PendingResult()
        self._intro = widgets.HTML(self._intro_html())
        self._button = widgets.Button(description="Sign in to satisfy the policy", button_style="warning")
        self._button.layout.width = "auto"
        self._button.on_click(lambda _b: self.start())
        self._outcome = widgets.HTML("")
        super().__init__(children=[self._intro, self._button, self._outcome])

    def _intro_html(self) -> str:
        items = "".join(f"<li>{esc(line)}</li>" for line in self.explanation + self.error_lines)
        return (
            "<div class='nbauth-claims'><b>Additional sign-in required.</b> "
            f"The resource's policy asks for more than your current token proves:<ul>{items}</ul></div>"
        )

    def start(self) -> SignInWidget:
        """Run the sign-in with the challenge (the button's action); the embedded widget shows progress."""
        if self.sign_in is not None and self.sign_in.status in ("starting", "waiting"):
            return self.sign_in
        self.sign_in = SignInWidget(
            self._app, self._scopes, flow=self._flow, claims_challenge=self._challenge, clock=self._clock,
            on_result=self._on_result, **self._options,
        )  # fmt: skip
        if self.result.done():
            self.result = PendingResult()
        self.status = "signing_in"
        self._button.disabled = True
        self._outcome.value = ""
        self.children = [self._intro, self.sign_in, self._outcome]
        return self.sign_in

    def _on_result(self, result: dict) -> None:
        assert self.sign_in is not None
        if "access_token" in result:
            self.status = "satisfied"
            self._outcome.value = (
                "<div style='color:#1a7f37'>The policy is satisfied: the new token carries it.</div>"
            )
            self.result.set(result)
            return
        self.status = {"cancelled": "cancelled", "expired": "expired"}.get(self.sign_in.status, "failed")
        self._button.disabled = False
        self._button.description = "Try the sign-in again"
        self.children = [self._intro, self.sign_in, self._button, self._outcome]
        self.result.set(result)

    def __await__(self):
        return self.result.__await__()

    def text(self) -> str:
        lines = [
            "Additional sign-in required:",
            *(f"- {line}" for line in self.explanation + self.error_lines),
        ]
        lines.append(f"status: {self.status.replace('_', ' ')}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ClaimsChallengePrompt status={self.status!r} scopes={self._scopes!r}>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = self.text()
        return bundle
