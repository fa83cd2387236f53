"""The example notebooks, executed by a real kernel against one local identity provider in auto-approve mode.

The provider runs in this process (with the demo control server), so after each notebook the test collects
everything it issued and searches the executed outputs for it. The committed notebooks are checked too: they
carry outputs, no error, nothing shaped like a JWT, and no device-code prompt left behind.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.notebooks.runner import load

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

runner = load()
NOTEBOOKS = runner.notebook_paths()
# What each notebook must show when it works (beyond "no error"): one marker per step that could go wrong.
EXPECTED = {
    "quickstart": ["Signed in: access token acquired", "'name': 'Ada Lovelace'", "source         cache",
                   "accounts  ada@contoso.example", "Signed-in accounts\n  (none)"],
    "errors": ["interaction_required", "AADSTS50173 (FreshTokenNeeded)", "Throttle entries cleared",
               "http_status  503", "network_error", "invalid_response", "AADSTS7000215", "UserStrongAuth"],
    "claims-challenges": ["(200, [])", "401 insufficient_claims", "AADSTS50076", "claims (decoded)",
                          "(200, ['c1'])", "acrs: ['c1']"],
    "throttling": ["a token; token requests: 2", "http_status     429", "try again in",
                   "(HTTP 429); token requests sent: 0", "temporarily_unavailable; token requests sent: 0",
                   "HTTP 429, "],
    "data-work": ["BearerAuth(client_id=", "Ada Lovelace", "token requests so far", "[c1]",
                  "(200, 'Ada Lovelace')"],
    "real-tenant": ["Skipped: no tenant configured.", "login.microsoftonline.com/organizations",
                    "Skipped: not signed in.", "Skipped: nothing to sign out."],
}  # fmt: skip


def test_every_notebook_has_expectations():
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(EXPECTED)


@pytest.fixture(scope="module")
def provider():
    """ONE provider for all notebooks, as ``scripts/demo`` runs one for all kernels."""
    with runner.demo_provider_process(auto_approve=0.2) as (idp, description):
        yield idp, description


def plain_outputs(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(str(output.get("text", "")))
            parts += [str(v) for k, v in output.get("data", {}).items() if k == "text/plain"]
    return "\n".join(parts)


@pytest.mark.kernel
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_clean_and_leaks_nothing(path: Path, provider, tmp_path):
    idp, description = provider
    env = runner.kernel_environment(description, tmp_path / "demo")
    before = len(idp.issued_secrets())
    notebook = runner.execute(path, env, tmp_path)  # raises CellExecutionError on any error in a cell

    secrets = idp.issued_secrets()
    codes = runner.user_codes(idp)
    assert runner.problems(notebook, secrets, codes) == []
    text = plain_outputs(notebook)
    flat = " ".join(text.split())  # table columns are padded to their widest value
    missing = [marker for marker in EXPECTED[path.stem] if " ".join(marker.split()) not in flat]
    assert missing == [], f"{path.name} did not show: {missing}"
    if path.stem != "real-tenant":  # it needs a tenant; every other notebook signs in
        assert len(secrets) > before and codes, "the notebook should have got tokens through a device code"
        assert all(code not in text for code in codes)
    else:
        assert len(secrets) == before  # no tenant configured: nothing was asked of any provider


def test_problems_finds_what_it_looks_for():
    """The checker itself: a leaked secret, user code, JWT or error output is reported."""
    notebook = nbformat.v4.new_notebook()
    jwt_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"
    notebook.cells = [nbformat.v4.new_code_cell("x")]
    notebook.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="secret-value ABCD-EFGHJ " + jwt_like),
        nbformat.v4.new_output("error", ename="ValueError", evalue="boom", traceback=[]),
    ]
    found = runner.problems(notebook, {"secret-value"}, ["ABCDEFGHJ"])
    assert len(found) == 4 and not any("secret-value" in f for f in found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_is_executed_and_holds_no_secret(path: Path):
    raw = path.read_text()
    notebook = nbformat.reads(raw, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    unrun = [c.source[:40] for c in code_cells if c.execution_count is None]
    assert code_cells and unrun == [], "run scripts/execute-notebooks"
    assert [c.execution_count for c in code_cells] == list(range(1, len(code_cells) + 1))
    assert runner.error_outputs(notebook) == []
    assert not runner.JWT.search(raw)
    assert "enter the code" not in runner.outputs_text(notebook)  # the prompt was replaced by the outcome
    assert not re.search(r"/home/|/Users/|/work/", raw), "a machine-specific path in the saved outputs"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    # The notebooks read as guides: they open with markdown, and no two code cells follow without words
    # in between more than twice in a row.
    kinds = "".join("m" if c.cell_type == "markdown" else "c" for c in notebook.cells)
    assert kinds.startswith("m") and "cccc" not in kinds
    assert json.dumps(notebook.metadata).count("control_token") == 0
