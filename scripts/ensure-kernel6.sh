#!/usr/bin/env bash
# Creates (or reuses) .venv-kernel6: the project with ipykernel 6 and jupyter-ui-poll, so the widget and waiting
# tests also run against the previous kernel generation (the browser tests register it as a second kernelspec).
# Idempotent: re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-kernel6
python=".venv/bin/python"
[ -x "$python" ] || { echo "run scripts/bootstrap.sh first (.venv is missing)" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
    base="$("$python" -c 'import sys; print(sys._base_executable)')"
    echo "Creating $venv with $("$base" --version)" >&2
    "$base" -m venv "$venv"
fi

stamp="$venv/.nbauth-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing nbauth with ipykernel<7 into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[testing]" \
        "ipykernel>=6.29,<7" "jupyter-ui-poll>=1.1"
    echo "$want" >"$stamp"
fi
