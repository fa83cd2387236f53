#!/usr/bin/env bash
# Creates (or reuses) the virtual environment at .venv and installs the project with the given extra.
# Usage: scripts/bootstrap.sh demo|test
# Re-installs only when pyproject.toml changed since the last install, so repeated runs are quick.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:?usage: scripts/bootstrap.sh demo|test}"

find_python() {
    local candidate
    for candidate in "${NBAUTH_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "nbauth needs Python 3.11 or newer; none was found on PATH (set NBAUTH_PYTHON to one)." >&2
    return 1
}

if [ ! -x .venv/bin/python ]; then
    python=$(find_python)
    echo "Creating .venv with $("$python" --version)" >&2
    "$python" -m venv .venv
fi

stamp=".venv/.nbauth-installed-$extra"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing nbauth[$extra] into .venv (first run takes a few minutes)" >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extra]"
    echo "$want" >"$stamp"
fi
