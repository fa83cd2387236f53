"""The notebook layer (IPython, ipywidgets, traitlets), loaded by ``%load_ext nbauth``.

* ``%token``, ``%%token NAME`` (profiles), ``%%with_token``: :mod:`nbauth.notebook.magics`
* ``%nbauth`` (status, accounts, signout, throttle, settings, profiles, use): :mod:`nbauth.notebook.admin`
* ``%config NbAuth.<name> = ...``: :mod:`nbauth.notebook.settings` (environment variables listed there)
* views and the AADSTS table: :mod:`nbauth.notebook.render`, :mod:`nbauth.notebook.aadsts`
"""

from __future__ import annotations

from typing import Any

_STATE_KEY = "_nbauth_session"


def load_ipython_extension(ipython: Any) -> None:
    from nbauth.notebook.admin import AdminMagics
    from nbauth.notebook.magics import NbAuthMagics
    from nbauth.notebook.session import Session
    from nbauth.notebook.settings import NbAuth

    if getattr(ipython, _STATE_KEY, None) is not None:
        return  # %load_ext twice keeps the session (profiles, apps)
    settings = NbAuth(parent=ipython)  # picks up c.NbAuth.* from the IPython config
    ipython.configurables.append(settings)  # makes %config NbAuth.name = value work
    session = Session(ipython, settings)
    setattr(ipython, _STATE_KEY, session)
    ipython.register_magics(NbAuthMagics(ipython, session), AdminMagics(ipython, session))


def unload_ipython_extension(ipython: Any) -> None:
    session = getattr(ipython, _STATE_KEY, None)
    if session is None:
        return
    ipython.configurables[:] = [c for c in ipython.configurables if c is not session.settings]
    manager = ipython.magics_manager
    for kind, names in (("line", ("token", "nbauth")), ("cell", ("token", "with_token"))):
        for name in names:
            manager.magics[kind].pop(name, None)
    setattr(ipython, _STATE_KEY, None)


def session_of(ipython: Any) -> Any:
    """The extension's per-kernel state (for tests and widgets), or None when not loaded."""
    return getattr(ipython, _STATE_KEY, None)
