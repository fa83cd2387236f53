"""Lint, format and type checks run with the suite, so a change that breaks them fails CI."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["nbauth", "tests", "benchmarks", "scripts"]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint_is_clean():
    result = run("ruff", "check", *SOURCES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = run("ruff", "format", "--check", *SOURCES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_on_the_core_is_clean():
    result = run("mypy")  # configured in pyproject.toml: the nbauth.core package
    assert result.returncode == 0, result.stdout + result.stderr
