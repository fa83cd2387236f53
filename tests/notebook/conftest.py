"""A real IPython shell with ``%load_ext nbauth``, its display outputs captured, caches kept in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

import nbauth.notebook as notebook_layer


class Shell:
    """The shell plus everything it displayed (text and HTML of each output, updates included)."""

    def __init__(self, ip: InteractiveShell) -> None:
        self.ip = ip
        self.publisher = CapturingDisplayPublisher()

    @property
    def session(self) -> Any:
        return notebook_layer.session_of(self.ip)

    @property
    def settings(self) -> Any:
        return self.session.settings

    def line(self, line: str) -> Any:
        name, _, rest = line.lstrip("%").partition(" ")
        return self.ip.run_line_magic(name, rest)

    def cell(self, line: str, body: str) -> Any:
        name, _, rest = line.lstrip("%").partition(" ")
        return self.ip.run_cell_magic(name, rest, body)

    def formatted(self, obj: Any) -> dict[str, str]:
        data, _ = self.ip.display_formatter.format(obj)
        return data

    def outputs(self) -> list[dict[str, Any]]:
        return list(self.publisher.outputs)

    def all_text(self, *values: Any) -> str:
        """Every text and HTML the shell showed, plus the reprs of ``values``, for secret searches."""
        parts = [str(v) for out in self.publisher.outputs for v in out["data"].values()]
        for value in values:
            parts += [*map(str, self.formatted(value).values()), repr(value), str(value)]
        return "\n".join(parts)


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[Shell]:
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name in (
        "NBAUTH_CLIENT_ID",
        "NBAUTH_AUTHORITY",
        "NBAUTH_OIDC_AUTHORITY",
        "NBAUTH_SCOPES",
        "NBAUTH_FLOW",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NBAUTH_TOKEN_CACHE", ":memory:")
    monkeypatch.setenv("NBAUTH_HTTP_CACHE", ":memory:")
    monkeypatch.setenv("NBAUTH_INTERACTIVE", "false")
    ip = InteractiveShell.instance()
    shell = Shell(ip)
    monkeypatch.setattr(ip, "display_pub", shell.publisher)
    notebook_layer.unload_ipython_extension(ip)
    ip.run_line_magic("load_ext", "nbauth")
    try:
        yield shell
    finally:
        notebook_layer.unload_ipython_extension(ip)
        ip.extension_manager.loaded.discard("nbauth")
        ip.config.pop("NbAuth", None)  # %config writes into the shell's config, which outlives the test
        for name in ("tok", "out", "token", "app", "auth", "seen", "calls"):
            ip.user_ns.pop(name, None)
