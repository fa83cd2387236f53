"""``%token``, ``%%token``, ``%%with_token``: thin magics (parse, call one function, render).

Management (``%nbauth``) lives in :mod:`nbauth.notebook.admin`. Protocol errors come back as displayable error
dicts; bad input raises ``UsageError`` (a message, no traceback).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from nbauth.notebook import flows, prompt, results
from nbauth.notebook.challenge import claims_challenge_of, normalize_challenge
from nbauth.notebook.frontend import Frontend, detect
from nbauth.notebook.profiles import Request, parse_profile, resolve
from nbauth.notebook.render import View
from nbauth.notebook.session import Session
from nbauth.notebook.settings import FLOWS

_OPTION_KEYS = {"client_id": "client_id", "tenant": "tenant_id", "authority": "authority",
                "oidc_authority": "oidc_authority", "flow": "flow", "account": "account"}  # fmt: skip
_QUOTED_VARIABLE = re.compile(r"""(['"]?)\$([A-Za-z_]\w*)\1""")
# Try again on a throttle countdown repeats the acquisition without a person (it runs in a background thread).
_NOBODY = Frontend(interactive=False, widgets=False, stdin=False,
                   reason="Try again does not start a sign-in; run %token again")  # fmt: skip


def _identifier(name: str | None, what: str) -> str | None:
    if name is not None and not name.isidentifier():
        raise UsageError(f"{what} must be a Python identifier, not {name!r}")
    return name


def common_arguments(func: Any) -> Any:
    """The options %token and %%with_token share (applied bottom-up, so they list in this order)."""
    for args, kwargs in reversed(_COMMON):
        func = argument(*args, **kwargs)(func)
    return func


_COMMON: list[tuple[tuple[str, ...], dict[str, Any]]] = [
    (("scopes",), {"nargs": "*", "help": "scopes to request (default: the profile's or NbAuth.scopes)"}),
    (("--profile",), {"help": "a profile stored with %%token NAME"}),
    (("--app",), {"metavar": "VAR", "help": "a variable holding an application with MSAL's API"}),
    (("--client-id",), {"help": "application (client) id"}),
    (("--tenant",), {"help": "tenant id or domain (Entra authorities)"}),
    (("--authority",), {"help": "authority URL"}),
    (("--oidc-authority",), {"help": "a generic OpenID Connect issuer URL"}),
    (("--flow",), {"choices": FLOWS, "help": "how to sign in if nothing is cached"}),
    (("--account",), {"help": "username of the account to use"}),
    (("--claims-challenge",), {"metavar": "JSON", "help": "claims an API or policy asked for"}),
    (("--force-refresh",), {"action": "store_true", "help": "skip the access-token cache"}),
    (("--wait",), {"action": "store_true", "help": "wait for the sign-in even without a person (CI)"}),
    (
        ("--timeout",),
        {"type": float, "metavar": "SECONDS", "help": "bound of the wait (NbAuth.wait_timeout)"},
    ),
]


RERAN = View(
    "nbauth: re-ran the cell after meeting a claims challenge",
    "<div class='nbauth-note'>nbauth: re-ran the cell after meeting a claims challenge</div>",
)


@magics_class
class NbAuthMagics(Magics):
    def __init__(self, shell: Any, session: Session) -> None:
        super().__init__(shell)
        self.session = session

    # -- shared plumbing ------------------------------------------------------------------------------------

    def frontend(self) -> Frontend:
        settings = self.session.settings
        return detect(self.shell, settings.interactive, settings.widgets)

    def target(self, args: Any) -> tuple[Any, Request]:
        """The application and the merged request for parsed ``args``."""
        profile = {}
        if args.profile:
            if args.profile not in self.session.profiles:
                known = ", ".join(sorted(self.session.profiles)) or "none yet"
                raise UsageError(
                    f"no profile {args.profile!r} (profiles: {known}); create it with %%token NAME"
                )
            profile = self.session.profiles[args.profile]
        options = {key: getattr(args, attr) for attr, key in _OPTION_KEYS.items() if getattr(args, attr)}
        if args.scopes:
            options["scopes"] = args.scopes
        app = self.user_app(args.app) if args.app else self.session.default_app
        request = resolve(self.session.settings, profile, options, os.environ, own_app=app is None)
        request.claims_challenge = normalize_challenge(self.challenge_value(args.claims_challenge))
        request.force_refresh = args.force_refresh
        if args.wait:
            request.wait = args.timeout if args.timeout is not None else self.session.settings.wait_timeout
        if args.timeout is not None and args.timeout < 0:
            raise UsageError("--timeout must be zero or more seconds")
        return (app if app is not None else self.session.app(request.app)), request

    def challenge_value(self, value: str | None) -> str | None:
        """``'$name'``: the variable's value. IPython expands ``$name`` in a magic's line, except inside
        single quotes (as a shell would), and quotes keep a JSON challenge with spaces in one argument."""
        match = _QUOTED_VARIABLE.fullmatch(value or "")
        if match is None:
            return value
        name = match.group(2)
        if name not in self.shell.user_ns:
            raise UsageError(f"--claims-challenge: no variable {name!r} in the notebook's namespace")
        found = self.shell.user_ns[name]
        return json.dumps(found) if isinstance(found, Mapping) else str(found)

    def user_app(self, name: str) -> Any:
        app = self.shell.user_ns.get(name)
        if app is None:
            raise UsageError(f"no variable {name!r} in the notebook's namespace")
        if not callable(getattr(app, "get_accounts", None)):
            raise UsageError(f"{name!r} is not an application with MSAL's API (it has no get_accounts)")
        return app

    def acquire(
        self,
        app: Any,
        request: Request,
        *,
        on_result: Any = None,
        timeout: float | None = None,
        frontend: Frontend | None = None,
    ) -> Any:
        settings = self.session.settings
        ui = flows.Ui(
            show=lambda obj: display(obj, display_id=True),
            clock=self.session.clock,
            wait_timeout=timeout if timeout is not None else settings.wait_timeout,
            on_result=on_result,
        )
        try:
            result = flows.acquire(app, request, frontend or self.frontend(), ui)
        except ValueError as error:  # misuse reported by the application (bad scopes, bad authority)
            raise UsageError(str(error)) from None
        if isinstance(result, dict) or result is None:
            context = {"scopes": request.scopes, "account": self.account_name(app, request)}
            return results.wrap(result, received_at=self.session.clock(), context=context)
        return result  # the sign-in widget, completing in the background

    def show_throttle(self, app: Any, request: Request, result: Any, out: str | None) -> list[Any]:
        """In a live front end, a countdown bound to the throttle entry replaying ``result`` (429 / 5xx)."""
        if not self.frontend().widgets:
            return []
        from nbauth.notebook import live  # only in a live front end: loads the widgets

        pairs = live.matching_entries(
            [getattr(app, "http_cache", None)], dict(result), client_id=getattr(app, "client_id", None),
            scopes=request.scopes, now=self.session.clock(),
        )  # fmt: skip
        return live.show_countdowns(self.session, pairs, self.retry_of(app, request, out))

    def retry_of(self, app: Any, request: Request, out: str | None) -> Callable[[], dict[str, Any]]:
        """The same acquisition again, silently (it fills ``-o NAME`` too): a countdown's Try again."""
        again = dataclasses.replace(request, wait=None)

        def retry() -> dict[str, Any]:
            result = self.acquire(app, dataclasses.replace(again), frontend=_NOBODY)
            if out:
                self.shell.user_ns[out] = result
            return dict(result)

        return retry

    @staticmethod
    def account_name(app: Any, request: Request) -> str | None:
        if request.account or flows.is_confidential(app):
            return request.account
        accounts = list(app.get_accounts())
        return str(accounts[0].get("username")) if len(accounts) == 1 else None

    # -- %token / %%token -----------------------------------------------------------------------------------

    @magic_arguments()
    @common_arguments
    @argument("-o", "--out", metavar="NAME", help="also store the result in this variable")
    @argument(
        "--as", dest="as_", choices=("requests", "azure"), help="return an auth object for that library"
    )
    @line_cell_magic
    def token(self, line: str, cell: str | None = None) -> Any:
        """Get an access token: from the cache, else by signing in (``%%token NAME`` stores a profile).

        The result is a dict (MSAL's contract) whose display masks every secret; ``result["access_token"]``
        is the token. In a batch kernel (nbclient, papermill, CI) an interactive flow returns an
        ``interaction_required`` error instead of waiting, unless ``--wait [--timeout S]`` is given.

        A claims challenge held in a variable (a JSON string, its base64url form, or a dict):
        ``--claims-challenge '$challenge'`` (nbauth reads the variable; IPython leaves ``$`` inside single
        quotes alone) or ``--claims-challenge '{challenge}'`` (IPython substitutes it; the quotes keep a JSON
        value with spaces in one argument). Not ``"$challenge"``: the JSON's own double quotes would end it.

        As a cell magic, ``%%token NAME`` stores the cell's ``key = value`` lines as a profile for
        ``%token --profile NAME`` (client_id, tenant_id, authority, oidc_authority, scopes, flow,
        client_capabilities, account, redirect_uri, client_secret_env = VARIABLE_NAME; never a secret).
        """
        if cell is not None:
            return self.store_profile(line, cell)
        args = parse_argstring(self.token, line)
        out = _identifier(args.out, "-o")
        app, request = self.target(args)
        store = (lambda result: self.shell.user_ns.__setitem__(out, results.wrap(result))) if out else None
        result = self.acquire(app, request, on_result=store, timeout=args.timeout)
        if isinstance(result, results.ErrorResult):
            self.show_throttle(app, request, result, out)
        if args.as_ and isinstance(result, results.TokenResult):
            result = self.auth_object(args.as_, app, request)
        elif isinstance(result, results.TokenResult) and self.frontend().widgets:
            from nbauth.notebook.live import attach_token_view

            attach_token_view(result, self.session.clock)  # the table, and the expiry ticking under it
        if out and (isinstance(result, dict) or args.as_):  # a widget fills the variable when it ends
            self.shell.user_ns[out] = result
        return result

    def auth_object(self, kind: str, app: Any, request: Request) -> Any:
        from nbauth import integrations

        account = flows.pick_account(app, request.account) if not flows.is_confidential(app) else None
        if kind == "requests":  # a 401's claims challenge that needs a person goes to the notebook's prompt
            on_challenge = prompt.claims_prompt(self, app, request)
            return integrations.as_requests_auth(
                app, request.scopes, account, on_claims_challenge=on_challenge
            )
        try:
            return integrations.as_azure_credential(app, account)
        except ImportError as error:
            raise UsageError(str(error)) from None

    def store_profile(self, line: str, cell: str) -> None:
        name = line.strip()
        if not name or not all(part.isidentifier() for part in name.split("-")):
            raise UsageError("%%token needs a profile name: %%token NAME, then key = value lines")
        self.session.profiles[name] = parse_profile(cell)
        print(f"Profile {name!r} stored; use it with %token --profile {name}")

    # -- %%with_token ---------------------------------------------------------------------------------------

    @magic_arguments()
    @common_arguments
    @argument("-v", "--var", default="token", metavar="NAME", help="variable that holds the token result")
    @argument("--no-retry", action="store_true", help="don't re-acquire and re-run on a claims challenge")
    @cell_magic
    def with_token(self, line: str, cell: str) -> Any:
        """Run the cell with a fresh token result in ``token`` (``-v NAME``): ``token["access_token"]``.

        If the cell fails with an HTTP 401 whose ``WWW-Authenticate`` carries a claims challenge (an exception
        with a ``.response``, such as ``requests.HTTPError``, or a 401 response as the cell's value), the
        token is re-acquired once with that challenge (silently, else through the claims prompt where a person
        can sign in; a batch kernel shows the error instead) and THE WHOLE CELL RUNS AGAIN, once: keep its
        side effects safe to repeat, or pass ``--no-retry``. A one-line note then says the cell was re-run.
        """
        args = parse_argstring(self.with_token, line)
        var = _identifier(args.var, "-v")
        app, request = self.target(args)
        result = self.acquire(app, request, timeout=args.timeout)
        if not isinstance(result, results.TokenResult):
            return result  # an error table, or the sign-in widget: the cell is not run without a token
        self.shell.user_ns[var] = result
        value, challenge = self.run_code(cell, retry=not args.no_retry)
        if challenge is None or args.no_retry:
            return value
        result = self.reacquire(app, request, challenge, args.timeout)
        if not isinstance(result, results.TokenResult):
            return result
        self.shell.user_ns[var] = result
        try:
            return self.run_code(cell, retry=False)[0]
        finally:
            display(RERAN)

    def reacquire(self, app: Any, request: Request, challenge: str, timeout: float | None) -> Any:
        """A token carrying ``challenge``: silently where possible, else through the claims prompt."""
        request.claims_challenge, request.force_refresh = challenge, True
        result = self.acquire(app, dataclasses.replace(request, wait=None), frontend=_NOBODY)
        if isinstance(result, results.TokenResult):
            return result
        prompted = prompt.meet_challenge(self, app, request, challenge, timeout=timeout)
        return result if prompted is None else results.wrap(prompted, received_at=self.session.clock())

    def run_code(self, cell: str, *, retry: bool = True) -> tuple[Any, str | None]:
        """(value of the last expression, claims challenge met) - exceptions without a challenge propagate."""
        tree = ast.parse(self.shell.transform_cell(cell))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        ns = self.shell.user_ns
        try:
            exec(compile(tree, "<with_token>", "exec"), ns)  # noqa: S102 (the user's own cell)
            value = eval(compile(ast.Expression(last.value), "<with_token>", "eval"), ns) if last else None  # noqa: S307
        except Exception as error:
            challenge = claims_challenge_of(error)
            if challenge is None or not retry:
                raise
            return None, challenge
        return value, (claims_challenge_of(value) if retry else None)
