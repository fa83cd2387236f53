"""The example notebooks' identity provider: the one ``scripts/demo`` started, or one in the kernel.

Every example notebook starts with::

    from nbauth.testing.demo import demo_provider
    idp = demo_provider()

* When the environment variable ``NBAUTH_DEMO_PROVIDER`` is set (JSON from :meth:`DemoControl.description`:
  ``LocalIdentityProvider.describe()`` plus ``base_url``, ``control_url`` and ``control_token``), the kernel
  uses that running provider. ``scripts/demo`` and the notebook tests set it for their kernels. The returned
  :class:`RemoteProvider` scripts faults and settings over the provider process's small control server, so
  ``idp.faults.add(...)`` and ``idp.conditional_access = True`` work the same in both cases.
* Otherwise a :class:`~nbauth.testing.LocalIdentityProvider` starts in the kernel (Binder, a plain
  JupyterLab). ``NBAUTH_DEMO_AUTO_APPROVE=SECONDS`` makes it approve device-code sign-ins by itself after that
  long (CI, or Binder, where the browser cannot reach the kernel's 127.0.0.1); by default a person approves
  on the provider's page.

It also configures the notebook layer (``%config NbAuth.*`` values, see :mod:`nbauth.notebook.settings`) so
``%token`` talks to the demo provider with no further setup: its authority, the demo public client, the
demo API's scope, and token and throttle caches in a per-provider directory (``NBAUTH_DEMO_DIR`` overrides
it) so the demo never touches your real caches. The demo confidential client's secret is put in the
environment variable ``NBAUTH_DEMO_CLIENT_SECRET`` for profiles to reference (``client_secret_env``).
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from nbauth.testing.faults import Fault
from nbauth.testing.provider import LocalIdentityProvider

ENV_PROVIDER = "NBAUTH_DEMO_PROVIDER"
ENV_AUTO_APPROVE = "NBAUTH_DEMO_AUTO_APPROVE"
ENV_DIR = "NBAUTH_DEMO_DIR"
ENV_SECRET = "NBAUTH_DEMO_CLIENT_SECRET"  # noqa: S105 (a variable name)
# Provider settings a notebook may change through the control server (and that reset() restores).
SETTABLE = ("conditional_access", "auto_approve", "token_lifetime", "refresh_in", "device_code_interval")
_FAST_INTERVAL = 1  # seconds between device-code polls: the local provider needs no gentler pace

__all__ = ["DemoControl", "RemoteProvider", "demo_provider"]


# -- the control server (runs next to the provider, in the launcher's or the test's process) ---------------


class DemoControl:
    """A loopback JSON endpoint that lets kernels script ``idp``'s faults and settings.

    Requests need ``Authorization: Bearer <control_token>``; the token travels only in the kernels'
    environment (``NBAUTH_DEMO_PROVIDER``).
    """

    def __init__(self, idp: LocalIdentityProvider) -> None:
        self.idp = idp
        self.token = secrets.token_urlsafe(24)
        self._defaults = {name: getattr(idp, name) for name in SETTABLE}
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> DemoControl:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="nbauth-demo-control", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> DemoControl:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the control server is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/control"

    def description(self) -> dict[str, Any]:
        """What kernels need (``NBAUTH_DEMO_PROVIDER``); holds the demo secrets, so keep it out of output."""
        return {
            **self.idp.describe(),
            "base_url": self.idp.base_url,
            "control_url": self.url,
            "control_token": self.token,
        }

    def handle(self, command: dict[str, Any]) -> Any:
        """Run one command from a kernel; the answer is JSON-able and holds no secret."""
        op, idp = command.get("op"), self.idp
        if op == "fault":
            fields = dict(command["fault"])
            idp.faults.add(command["endpoint"], Fault(**fields), int(command.get("times", 1)))
        elif op == "clear_faults":
            idp.faults.clear()
        elif op == "pending":
            return idp.faults.pending(command.get("endpoint"))
        elif op in ("set", "get") and command.get("name") in SETTABLE:
            if op == "get":
                return getattr(idp, command["name"])
            setattr(idp, command["name"], command.get("value"))
        elif op == "requests_to":
            return idp.requests_to(command["endpoint"])
        elif op == "approve_device_code":
            idp.approve_device_code(command.get("user_code"), decline=bool(command.get("decline")))
        elif op == "revoke_refresh_tokens":
            idp.revoke_refresh_tokens()
        elif op == "reset":
            idp.faults.clear()
            for name, value in self._defaults.items():
                setattr(idp, name, value)
        else:
            raise ValueError(f"unknown command {op!r}")
        return None


def _handler_for(control: DemoControl) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            expected = f"Bearer {control.token}"
            if not hmac.compare_digest(self.headers.get("Authorization", ""), expected):
                return self._reply(403, {"error": "forbidden"})
            try:
                length = int(self.headers.get("Content-Length", "0"))
                answer = {"value": control.handle(json.loads(self.rfile.read(length)))}
            except (LookupError, TypeError, ValueError) as problem:  # bad command, or no pending device code
                answer = {"error": type(problem).__name__, "message": str(problem)}
            self._reply(200, answer)

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the demo launcher's terminal is for the person

    return Handler


# -- the kernel's side --------------------------------------------------------------------------------------


class RemoteFaults:
    """``idp.faults`` of a provider in another process: ``add(endpoint, Fault..., times=1)``."""

    def __init__(self, provider: RemoteProvider) -> None:
        self._provider = provider

    def add(self, endpoint: str, fault: Fault, times: int = 1) -> None:
        if not isinstance(fault, Fault) or times < 1:
            raise ValueError("add(endpoint, Fault, times >= 1)")
        if not isinstance(fault.retry_after, int | None):
            raise ValueError("a remote provider takes Retry-After in seconds")
        self._provider.command("fault", endpoint=endpoint, fault=dataclasses.asdict(fault), times=times)

    def clear(self) -> None:
        self._provider.command("clear_faults")

    def pending(self, endpoint: str | None = None) -> int:
        return int(self._provider.command("pending", endpoint=endpoint))


class RemoteProvider:
    """A running local identity provider in another process, described by ``NBAUTH_DEMO_PROVIDER``.

    Has the addresses and demo identities of :class:`~nbauth.testing.LocalIdentityProvider`, and scripts
    it like one: ``faults.add()``, ``requests_to()``, ``approve_device_code()``, ``revoke_refresh_tokens()``
    and the settable attributes in :data:`SETTABLE`.
    """

    def __init__(self, description: dict[str, Any]) -> None:
        object.__setattr__(self, "_description", dict(description))
        for name in ("authority", "issuer", "tenant_id", "public_client_id", "confidential_client_id",
                     "api_url", "api_scope", "api_app_scope", "username"):  # fmt: skip
            object.__setattr__(self, name, description[name])
        base_url = description.get("base_url") or _base_of(description["authority"])
        object.__setattr__(self, "base_url", base_url)
        object.__setattr__(self, "ca_cert_path", description.get("ca_cert_path"))
        object.__setattr__(self, "faults", RemoteFaults(self))

    # The secrets are reachable, like on the provider itself, but never through repr().
    @property
    def client_secret(self) -> str:
        return str(self._description.get("client_secret", ""))

    @property
    def password(self) -> str:
        return str(self._description.get("password", ""))

    def describe(self) -> dict[str, Any]:
        """The description this object was made from (demo secrets included)."""
        return dict(self._description)

    def command(self, op: str, **fields: Any) -> Any:
        url = self._description.get("control_url")
        if not url:
            raise RuntimeError(f"{ENV_PROVIDER} names no control server; the provider can't be scripted")
        request = urllib.request.Request(  # noqa: S310 (a loopback http URL we were given)
            url,
            data=json.dumps({"op": op, **fields}).encode(),
            headers={"Authorization": f"Bearer {self._description['control_token']}"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            answer = json.loads(reply.read())
        if "error" in answer:
            raise (LookupError if answer["error"] == "LookupError" else ValueError)(answer.get("message"))
        return answer["value"]

    def requests_to(self, endpoint: str) -> int:
        return int(self.command("requests_to", endpoint=endpoint))

    def approve_device_code(self, user_code: str | None = None, *, decline: bool = False) -> None:
        self.command("approve_device_code", user_code=user_code, decline=decline)

    def revoke_refresh_tokens(self) -> None:
        self.command("revoke_refresh_tokens")

    def reset(self) -> None:
        """Back to the provider's start: no queued faults, its settings as the launcher set them."""
        self.command("reset")

    def __getattr__(self, name: str) -> Any:
        if name in SETTABLE:
            return self.command("get", name=name)
        raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in SETTABLE:
            raise AttributeError(f"only {', '.join(SETTABLE)} can be set on a remote provider")
        self.command("set", name=name, value=value)

    def __repr__(self) -> str:
        return f"<RemoteProvider {self.authority}>"


def _base_of(authority: str) -> str:
    return authority.rsplit("/", 1)[0]


_local: LocalIdentityProvider | None = None
_local_lock = threading.Lock()


def _start_local() -> LocalIdentityProvider:
    global _local
    with _local_lock:
        if _local is None:
            seconds = os.environ.get(ENV_AUTO_APPROVE, "").strip()
            idp = LocalIdentityProvider(auto_approve=float(seconds) if seconds else None)
            idp.device_code_interval = _FAST_INTERVAL
            _local = idp.start()
            atexit.register(idp.stop)
        return _local


def demo_provider(*, configure: bool = True, quiet: bool = False) -> LocalIdentityProvider | RemoteProvider:
    """The demo's identity provider (see the module docstring); ``configure`` points ``%token`` at it."""
    raw = os.environ.get(ENV_PROVIDER, "").strip()
    idp: LocalIdentityProvider | RemoteProvider
    if raw:
        idp = RemoteProvider(json.loads(raw))
        if idp._description.get("control_url"):
            idp.reset()  # a notebook stopped half-way must not leave faults or a policy behind
    else:
        idp = _start_local()
    if configure:
        configure_notebook(idp)
    if not quiet:
        print(summary(idp, where="outside this kernel (scripts/demo)" if raw else "in this kernel"))
    return idp


def summary(idp: Any, *, where: str) -> str:
    scriptable = not isinstance(idp, RemoteProvider) or bool(idp.describe().get("control_url"))
    approve = idp.auto_approve if scriptable else None
    how = (
        f"sign-ins are approved automatically after {approve:g} s"
        if approve is not None
        else "approve sign-ins yourself on the provider's page (the link %token shows)"
    )
    return (
        f"Local identity provider, running {where}: {idp.authority}\n"
        f"Demo user {idp.username}; demo API {idp.api_url}; {how}."
    )


def demo_dir(authority: str) -> Path:
    """The per-provider directory of the demo's token and throttle caches (0700)."""
    override = os.environ.get(ENV_DIR, "").strip()
    if override:
        path = Path(override)
    else:
        owner = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        digest = hashlib.sha256(authority.encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"nbauth-demo-{owner}" / digest
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def notebook_settings(idp: Any) -> dict[str, Any]:
    """The ``NbAuth`` settings that point ``%token`` at ``idp``."""
    folder = demo_dir(idp.authority)
    return {
        "authority": idp.authority,
        "client_id": idp.public_client_id,
        "scopes": [idp.api_scope],
        "client_secret_env": "",  # a real AZURE_CLIENT_SECRET must not turn the demo client confidential
        "token_cache_path": str(folder / "token_cache.json"),
        "http_cache_path": str(folder / "throttle.sqlite"),
    }


def configure_notebook(idp: Any) -> None:
    """Apply :func:`notebook_settings` to the IPython config (for ``%load_ext nbauth`` later) and, when the
    extension is loaded already, to its live settings. Outside IPython only the environment is set."""
    os.environ[ENV_SECRET] = idp.client_secret
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    values = notebook_settings(idp)
    for name, value in values.items():
        setattr(shell.config.NbAuth, name, value)
    from nbauth.notebook import session_of

    session = session_of(shell)
    if session is not None:
        for name, value in values.items():
            setattr(session.settings, name, value)
