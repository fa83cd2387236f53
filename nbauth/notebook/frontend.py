"""Is a person there to answer, and can a widget reach them?

``NbAuth.interactive = "auto"`` decides from what the kernel itself knows, never from guesses about the
machine:

* **ipykernel**: a person is there when the current execute request allowed stdin (``allow_stdin``).
  JupyterLab, Notebook 7, VS Code and the console send ``allow_stdin=True`` for cells a person runs;
  nbclient, papermill and nbconvert send ``False`` (nobody can answer ``input()``), so a batch run gets an
  ``interaction_required`` error instead of hanging.
* **terminal IPython or a plain shell**: a person is there when ``sys.stdin`` is a terminal.

``NbAuth.interactive = True`` or ``False`` (or ``NBAUTH_INTERACTIVE``) overrides the detection.

Widgets (``NbAuth.widgets = "auto"``) are used in an interactive ipykernel session whose kernel was started by
a Jupyter server (``JPY_SESSION_NAME`` set: JupyterLab / Notebook 7 render widgets) and when ipywidgets and
the sign-in widget are importable. ``NbAuth.widgets = True`` forces them (VS Code, Voila).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Frontend:
    interactive: bool
    widgets: bool
    stdin: bool  # input() will reach a person
    reason: str  # how interactive was decided, for %nbauth status


def _kernel(shell: Any) -> Any:
    return getattr(shell, "kernel", None)


def stdin_allowed(shell: Any) -> bool:
    kernel = _kernel(shell)
    if kernel is not None:
        return bool(getattr(kernel, "_allow_stdin", False))
    stdin = sys.stdin
    return bool(stdin is not None and hasattr(stdin, "isatty") and stdin.isatty())


def detect(shell: Any, interactive: bool | str = "auto", widgets: bool | str = "auto") -> Frontend:
    stdin = stdin_allowed(shell)
    if interactive == "auto":
        kernel = _kernel(shell) is not None
        reason = (
            ("kernel: stdin allowed" if stdin else "kernel: stdin not allowed (batch run)")
            if kernel
            else ("terminal" if stdin else "stdin is not a terminal")
        )
        person = stdin
    else:
        person, reason = bool(interactive), f"NbAuth.interactive = {interactive}"
    return Frontend(
        interactive=person, widgets=person and _widgets(shell, widgets), stdin=stdin, reason=reason
    )


def _widgets(shell: Any, setting: bool | str) -> bool:
    if setting is False:
        return False
    if setting is True:
        return True
    return _kernel(shell) is not None and bool(os.environ.get("JPY_SESSION_NAME"))
