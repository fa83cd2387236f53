"""``scripts/execute-notebooks`` as a module: the tests run the very code the committed outputs came from."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "execute-notebooks"


def load() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("nbauth_execute_notebooks", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
