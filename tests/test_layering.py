"""The core never pulls in the notebook stack; ``import nbauth`` stays cheap."""

import json
import subprocess
import sys

import pytest

NOTEBOOK_STACK = {"IPython", "ipywidgets", "traitlets", "ipykernel"}


def modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def top_level(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


def test_import_nbauth_loads_no_notebook_stack_and_no_http_library():
    loaded = top_level(modules_after("import nbauth"))
    assert not loaded & NOTEBOOK_STACK
    assert "requests" not in loaded  # imported when the first request is sent


@pytest.mark.parametrize(
    "code",
    [
        "from nbauth import PublicClientApplication, ConfidentialClientApplication",
        "import nbauth.core.application, nbauth.core.token_cache, nbauth.core.throttle, nbauth.core.http",
        "import nbauth.core.persistence, nbauth.core.sqlite_cache, nbauth.core.claims",
    ],
)
def test_core_modules_load_no_notebook_stack(code):
    assert not top_level(modules_after(code)) & NOTEBOOK_STACK


def test_core_package_source_never_imports_the_notebook_stack():
    from pathlib import Path

    import nbauth.core

    offenders = []
    for path in Path(nbauth.core.__file__).parent.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            words = line.strip().split()
            if len(words) >= 2 and words[0] in {"import", "from"}:
                if words[1].partition(".")[0] in NOTEBOOK_STACK | {"nbauth.notebook"}:
                    offenders.append(f"{path.name}:{number}: {line.strip()}")
                if words[1].startswith("nbauth.notebook"):
                    offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []
