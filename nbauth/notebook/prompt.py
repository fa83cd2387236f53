"""The notebook's answer to a claims challenge an API raised while a cell runs.

``%token --as requests`` hands :func:`claims_prompt` to ``BearerAuth`` as ``on_claims_challenge``, and
``%%with_token`` calls :func:`meet_challenge` before re-running its cell. Both come here only after a silent
attempt with the challenge failed, so a person has to sign in again:

* in a live front end with widgets: a ``ClaimsChallengePrompt`` explains what the policy asks for and runs the
  sign-in with the challenge at once; the cell waits for it (the device code is approved in another tab, so no
  click has to reach the busy kernel) and goes on with the new token;
* in an interactive front end without widgets (a terminal): the text device-code flow, bounded by
  ``NbAuth.wait_timeout``;
* in a batch kernel (nbclient, papermill, CI) or for a confidential client: nobody to ask, so ``None``, and
  ``BearerAuth`` returns the 401 with the challenge explained in its log message (unless ``--wait`` asked
  the batch run to wait for a sign-in, as ``%token --wait`` does).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from IPython.display import display

from nbauth.notebook import flows
from nbauth.notebook.profiles import Request

log = logging.getLogger("nbauth")

ClaimsPrompt = Callable[[str], dict[str, Any] | None]


def claims_prompt(magics: Any, app: Any, request: Request) -> ClaimsPrompt:
    """``on_claims_challenge`` for ``BearerAuth``: challenge JSON in, token result dict (or None) out."""

    def on_claims_challenge(challenge: str) -> dict[str, Any] | None:
        return meet_challenge(magics, app, request, challenge)

    return on_claims_challenge


def meet_challenge(
    magics: Any, app: Any, request: Request, challenge: str, *, timeout: float | None = None
) -> dict[str, Any] | None:
    """A token result carrying ``challenge`` from a new sign-in, or None when nobody can sign in here."""
    frontend = magics.frontend()
    nobody = not frontend.interactive and request.wait is None  # --wait: the user asked a batch run to wait
    if nobody or flows.is_confidential(app):
        log.info("nbauth: a claims challenge needs a new sign-in, and %s", _why_not(frontend, app))
        return None
    seconds = timeout if timeout is not None else magics.session.settings.wait_timeout
    if frontend.widgets:
        result = _with_prompt(magics, app, request, challenge, seconds)
    else:
        asked = dataclasses.replace(request, claims_challenge=challenge, force_refresh=True, wait=seconds)
        result = dict(magics.acquire(app, asked, timeout=seconds))
    return result if result is not None and "access_token" in result else None


def _with_prompt(
    magics: Any, app: Any, request: Request, challenge: str, seconds: float
) -> dict[str, Any] | None:
    from nbauth.notebook.widgets import ClaimsChallengePrompt

    flow = request.flow if request.flow in flows.WIDGET_FLOWS else "device_code"
    account = flows.pick_account(app, request.account) if request.account else None
    prompt = ClaimsChallengePrompt(
        app, request.scopes, challenge, flow=flow, clock=magics.session.clock, account=account,
        redirect_uri=request.redirect_uri, timeout=seconds,
    )  # fmt: skip
    display(prompt)
    sign_in = prompt.start()
    if sign_in.status == "idle":  # the browser flow waits for its button: the person already chose to sign in
        sign_in.start()
    result = sign_in.wait(seconds)
    if result is None:
        sign_in.cancel()  # nobody finished in time: stop polling rather than leave it running behind the cell
    return result


def _why_not(frontend: Any, app: Any) -> str:
    if flows.is_confidential(app):
        return "a confidential client cannot ask a person"
    return f"this kernel has no interactive front end ({frontend.reason})"
