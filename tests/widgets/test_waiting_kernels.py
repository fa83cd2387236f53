"""Waiting for a click inside a cell, in real kernels of both generations (the issue's measured table).

A client plays the front end: it sends the ``comm_msg`` a Cancel click sends while the cell waits, or
interrupts the kernel, and then reads the widget's state back.
"""

from __future__ import annotations

import time
from queue import Empty

import pytest

from tests.widgets.kernels import ROOT, kernel_params, write_kernelspecs

pytestmark = pytest.mark.kernel

SETUP = """
import time
from tests.widgets.fakes import FakeApp
from nbauth.notebook.widgets import SignInWidget
from nbauth.notebook.waiting import kernel_generation, clicks_reach_blocking_wait
app = FakeApp(time.time)
w = SignInWidget(app, ["api://demo/Data.Read"])
while w.status != "waiting":
    time.sleep(0.01)
print(w._cancel_button.model_id, kernel_generation(), clicks_reach_blocking_wait())
"""


@pytest.fixture
def kernel(request, tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    write_kernelspecs(tmp_path / "kernels")
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    manager = KernelManager(kernel_name=f"nbauth-{request.param}", kernel_spec_manager=specs)
    manager.start_kernel(cwd=str(ROOT))
    client = manager.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str, timeout: float = 30) -> tuple[str, str]:
    """Execute ``code``; returns (status, stdout)."""
    msg_id = client.execute(code)
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    return reply["content"]["status"], drain_stdout(client, msg_id)


def drain_stdout(client, msg_id: str) -> str:
    out = []
    deadline = time.monotonic() + 30  # a loaded machine can be slow to publish; idle ends the wait
    while time.monotonic() < deadline:
        try:
            msg = client.get_iopub_msg(timeout=1)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out)
    return "".join(out)


def click(client, model_id: str) -> None:
    """What the page sends when a Button is clicked (ipywidgets 8 protocol)."""
    content = {"comm_id": model_id, "data": {"method": "custom", "content": {"event": "click"}}}
    client.shell_channel.send(client.session.msg("comm_msg", content))


def wait_reply(client, msg_id: str, timeout: float) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            reply = client.get_shell_msg(timeout=0.5)
        except Empty:
            continue
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply
    return None


@pytest.mark.parametrize("kernel", kernel_params(), indirect=True)
def test_cancel_reaches_the_waiting_cell(kernel):
    _manager, client = kernel
    status, out = run(client, SETUP)
    assert status == "ok", out
    model_id, generation, clicks_reach = out.split()
    # ipykernel 7 delivers clicks to an awaiting cell; ipykernel 6 to a jupyter-ui-poll wait.
    code = "r = w.wait(60)" if clicks_reach == "True" else "r = await w"
    msg_id = client.execute(code)
    time.sleep(0.5)  # let the cell start waiting; the assertion below does not depend on it
    click(client, model_id)
    reply = wait_reply(client, msg_id, timeout=30)
    assert reply is not None and reply["content"]["status"] == "ok"
    status, out = run(client, "w._thread.join(10); print(w.status, r['error'], w._thread.is_alive())")
    assert out.split() == ["cancelled", "authentication_cancelled", "False"], out
    assert generation in {"6", "7"} and (clicks_reach == "True") == (generation == "6")


@pytest.mark.parametrize("kernel", kernel_params(), indirect=True)
def test_a_kernel_interrupt_cancels_a_synchronous_wait(kernel):
    manager, client = kernel
    status, out = run(client, SETUP)
    assert status == "ok", out
    msg_id = client.execute("r = w.wait(60)")
    time.sleep(0.5)
    manager.interrupt_kernel()
    reply = wait_reply(client, msg_id, timeout=30)
    assert reply is not None and reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    status, out = run(client, "print(w.status, w.result.get()['error'])")
    assert out.split() == ["cancelled", "authentication_cancelled"], out
