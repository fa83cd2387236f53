"""Real Jupyter kernels of both generations (ipykernel 7 from .venv, ipykernel 6 from .venv-kernel6)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL6_PYTHON = ROOT / ".venv-kernel6" / "bin" / "python"

# name -> python executable; ipykernel 6 is present after scripts/ensure-kernel6.sh
KERNEL_PYTHONS = {"ipykernel7": Path(sys.executable), "ipykernel6": KERNEL6_PYTHON}


def kernel_params():
    return [
        pytest.param(name, marks=[] if KERNEL_PYTHONS[name].exists() else [pytest.mark.skip(
            reason="run scripts/ensure-kernel6.sh for the ipykernel 6 environment")], id=name)
        for name in KERNEL_PYTHONS
    ]  # fmt: skip


def write_kernelspecs(kernels_dir: Path) -> None:
    """Kernelspecs ``nbauth-ipykernel7`` and ``nbauth-ipykernel6`` in ``kernels_dir``."""
    for name, python in KERNEL_PYTHONS.items():
        if not python.exists():
            continue
        spec_dir = kernels_dir / f"nbauth-{name}"
        spec_dir.mkdir(parents=True, exist_ok=True)
        spec = {
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"nbauth {name}",
            "language": "python",
            "env": {"PYTHONPATH": str(ROOT)},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
