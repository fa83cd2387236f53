"""``%nbauth``: status, accounts, sign-out, throttle entries, settings, profiles, and choosing an app."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from nbauth.core.corrupt_file import CorruptCacheError
from nbauth.core.throttle import clear_throttle, throttle_entries
from nbauth.notebook.frontend import detect
from nbauth.notebook.profiles import resolve
from nbauth.notebook.render import Pre, View, view_grid, view_rows
from nbauth.notebook.session import Session

ACTIONS = ("status", "accounts", "signout", "throttle", "settings", "profiles", "use")


@magics_class
class AdminMagics(Magics):
    def __init__(self, shell: Any, session: Session) -> None:
        super().__init__(shell)
        self.session = session

    @magic_arguments()
    @argument("action", nargs="?", default="status", choices=ACTIONS, help="what to do (default: status)")
    @argument("names", nargs="*", help="signout: usernames; throttle: list | clear [ID...]; use: VAR")
    @argument("--all", action="store_true", help="signout / throttle clear: all of them")
    @argument("--reset", action="store_true", help="use: go back to the application built from the settings")
    @line_magic
    def nbauth(self, line: str) -> View | None:
        """Manage nbauth: ``%nbauth status | accounts | signout [USER|--all] | throttle [list|clear ID|--all]
        | settings | profiles | use VAR``.

        ``status`` also lists the live auth objects handed out by ``%token --as requests|azure``. In a live
        front end ``throttle`` shows a countdown per active entry (a table otherwise), and ``throttle clear``
        updates the countdowns already on display."""
        args = parse_argstring(self.nbauth, line)
        try:
            return getattr(self, f"do_{args.action}")(args)
        except CorruptCacheError as error:  # found by a read: the message names the file and the kept copy
            raise UsageError(str(error)) from None

    # -- helpers --------------------------------------------------------------------------------------------

    def apps(self) -> list[Any]:
        """The apps in use; if none was built yet, the settings' one (it sees persisted accounts)."""
        apps = self.session.apps()
        if not apps and self.session.settings.client_id and self.session.settings.scopes:
            import os

            apps = [self.session.app(resolve(self.session.settings, {}, {}, os.environ).app)]
        return apps

    def accounts(self, username: str | None = None) -> list[tuple[Any, dict[str, Any]]]:
        seen, pairs = set(), []
        for app in self.apps():
            for account in app.get_accounts(username=username) if username else app.get_accounts():
                key = (account.get("home_account_id"), account.get("environment"), id(app))
                if key not in seen:
                    seen.add(key)
                    pairs.append((app, account))
        return pairs

    # -- actions --------------------------------------------------------------------------------------------

    def do_status(self, args: Any) -> View:
        settings, session = self.session.settings, self.session
        front = detect(self.shell, settings.interactive, settings.widgets)
        rows = [
            ("client id", settings.client_id or "(not set)"),
            ("authority", settings.oidc_authority or settings.effective_authority()),
            ("scopes", " ".join(settings.scopes) or "(not set)"),
            ("flow", settings.flow),
            ("interactive", f"{front.interactive} ({front.reason})"),
            ("widgets", front.widgets),
            (
                "application",
                type(session.default_app).__name__ if session.default_app else "built from settings",
            ),
            ("signed-in accounts", len({a.get("home_account_id") for _, a in self.accounts()})),
            ("active throttle entries", len(self.throttle_entries())),
            ("live integrations", live_integrations_text()),
            ("profiles", ", ".join(sorted(session.profiles)) or "(none)"),
            (
                "token cache",
                session.notes.get("token cache", settings.token_cache_path or "persisted (default)"),
            ),
            (
                "throttle cache",
                session.notes.get("throttle cache", settings.http_cache_path or "persisted (default)"),
            ),
        ]
        return view_rows("nbauth status", rows, "nbauth-status")

    def do_accounts(self, args: Any) -> View:
        rows = [
            (a.get("username"), a.get("environment"), a.get("realm"), getattr(app, "client_id", ""))
            for app, a in self.accounts()
        ]
        return view_grid(
            "Signed-in accounts", ["username", "environment", "tenant", "client id"], rows, "nbauth-accounts"
        )

    def do_signout(self, args: Any) -> View:
        if not args.names and not args.all:
            raise UsageError("%nbauth signout USERNAME [USERNAME...] or %nbauth signout --all")
        pairs = self.accounts() if args.all else [p for name in args.names for p in self.accounts(name)]
        if not pairs and args.names:
            raise UsageError(f"no signed-in account named {', '.join(args.names)}")
        for app, account in pairs:
            app.remove_account(account)
        names = sorted({str(a.get("username")) for _, a in pairs})
        return view_rows(
            "Signed out", [("accounts", ", ".join(names) or "(none were signed in)")], "nbauth-signout"
        )

    def throttle_pairs(self) -> list[tuple[Any, Any]]:
        """(http cache, entry) for every active throttle entry in the caches the session's apps use."""
        now = self.session.clock()
        return [(c, entry) for c in self.session.http_caches() for entry in throttle_entries(c, now=now)]

    def throttle_entries(self) -> list[Any]:
        return [entry for _cache, entry in self.throttle_pairs()]

    def do_throttle(self, args: Any) -> View | None:
        sub, *keys = args.names or ["list"]
        if sub == "clear":
            return self.clear_throttle(keys, args.all)
        if sub != "list" or keys:
            raise UsageError("%nbauth throttle [list] | %nbauth throttle clear ID... | --all")
        front = detect(self.shell, self.session.settings.interactive, self.session.settings.widgets)
        pairs = self.throttle_pairs()
        if front.widgets and pairs:  # a live countdown per entry; %nbauth throttle clear updates them
            from nbauth.notebook.live import show_countdowns

            show_countdowns(self.session, pairs)
            return None
        now = self.session.clock()
        entries = self.throttle_entries()
        ids = short_ids([e.key for e in entries])
        rows = [
            (ids[e.key], e.endpoint, e.client_id, " ".join(e.scopes), e.status, f"{e.remaining(now):.0f} s",
             e.error.get("error"))
            for e in entries
        ]  # fmt: skip
        header = ["id", "endpoint", "client id", "scopes", "status", "remaining", "error"]
        return view_grid(
            "Throttled requests (replayed without contacting the server)", header, rows, "nbauth-throttle"
        )

    def clear_throttle(self, keys: list[str], everything: bool) -> View:
        if not keys and not everything:
            raise UsageError("%nbauth throttle clear ID (as %nbauth throttle shows it, or a prefix) or --all")
        if everything:
            cleared = sum(clear_throttle(cache, None) for cache in self.session.http_caches())
        else:
            pairs = self.throttle_pairs()
            chosen = {match_id(given, [entry.key for _cache, entry in pairs]) for given in keys}
            cleared = sum(clear_throttle(cache, entry.key) for cache, entry in pairs if entry.key in chosen)
        if self.session.countdowns:  # the countdowns on display say "cleared" now, not at their next tick
            from nbauth.notebook.live import refresh_countdowns

            refresh_countdowns(self.session)
        return view_rows("Throttle entries cleared", [("cleared", cleared)], "nbauth-throttle-clear")

    def do_settings(self, args: Any) -> View:
        settings = self.session.settings
        rows = [
            (name, repr(getattr(settings, name)), trait.help)
            for name, trait in sorted(settings.traits(config=True).items())
        ]
        return view_grid(
            "NbAuth settings (%config NbAuth.NAME = VALUE)",
            ["name", "value", "help"],
            rows,
            "nbauth-settings",
        )

    def do_profiles(self, args: Any) -> View:
        rows = [
            (name, ", ".join(f"{k}={v}" for k, v in p.items()))
            for name, p in sorted(self.session.profiles.items())
        ]
        return view_grid("Profiles (%token --profile NAME)", ["name", "settings"], rows, "nbauth-profiles")

    def do_use(self, args: Any) -> View:
        if args.reset:
            self.session.default_app = None
            return view_rows("Application", [("using", "the one built from the settings")], "nbauth-use")
        if len(args.names) != 1:
            raise UsageError("%nbauth use VAR (a variable holding an application with MSAL's API) or --reset")
        app = self.shell.user_ns.get(args.names[0])
        if app is None or not callable(getattr(app, "get_accounts", None)):
            raise UsageError(f"{args.names[0]!r} is not an application with MSAL's API")
        self.session.default_app = app
        return view_rows("Application", [("using", f"{args.names[0]} ({type(app).__name__})")], "nbauth-use")


def entry_id(key: str, length: int = 8) -> str:
    """A throttle entry's short id: its key is long, spaced and starts with a prefix every key shares."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]


def short_ids(keys: Sequence[str]) -> dict[str, str]:
    """Each key's id, lengthened (from 8 hex digits) until the ids of ``keys`` are unique."""
    length = 8
    while len({entry_id(key, length) for key in set(keys)}) < len(set(keys)) and length < 64:
        length += 2
    return {key: entry_id(key, length) for key in keys}


def match_id(given: str, keys: Sequence[str]) -> str:
    """The key whose id starts with ``given``: ``UsageError`` when none or several do."""
    ids = short_ids(keys)
    found = sorted({key for key in keys if entry_id(key, 64).startswith(given.lower())}, key=ids.__getitem__)
    if len(found) == 1 and given:
        return found[0]
    if not found or not given:
        known = ", ".join(sorted(ids.values())) or "no active entries"
        raise UsageError(f"no throttle entry with id {given!r} (ids: {known}); see %nbauth throttle")
    candidates = ", ".join(ids[key] for key in found)
    raise UsageError(f"throttle id {given!r} is ambiguous: it starts {candidates}; give more characters")


def live_integrations_text() -> Pre | str:
    """One line per live ``BearerAuth`` / ``NbAuthCredential`` handed out (``%token --as ...``)."""
    from nbauth.integrations import live_integrations

    lines = []
    for live in live_integrations():
        line = (
            f"{live['kind']}: client {live['client_id']}, scopes {' '.join(live['scopes'])}, "
            f"account {live['account'] or '(the application)'}; tokens {live['tokens_acquired']}, "
            f"claims challenges {live['claims_challenges']}, retries {live['retries']}, "
            f"failures {live['failures']}"
        )
        lines.append(line + (f"; last error {live['last_error']}" if live.get("last_error") else ""))
    return Pre("\n".join(sorted(lines))) if lines else "(none)"
