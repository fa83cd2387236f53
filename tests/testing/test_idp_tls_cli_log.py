"""TLS, the command line, and the request log's redaction."""

import json
import os
import signal
import subprocess
import sys

import pytest
import requests
from idp_helpers import (
    REDIRECT,
    authorize_url,
    pkce_pair,
    poll_device,
    redeem_code,
    start_device_flow,
    token_request,
)

from nbauth.testing import enter_device_code, sign_in


def test_tls_with_the_providers_ca(local_idp_tls):
    idp = local_idp_tls
    assert idp.base_url.startswith("https://127.0.0.1:")
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace session.verify
    session.verify = idp.ca_cert_path
    doc = session.get(f"{idp.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert doc["token_endpoint"].startswith("https://")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(doc["jwks_uri"], verify=True, timeout=10)  # the system trust store does not know it
    localhost = doc["jwks_uri"].replace("127.0.0.1", "localhost")
    assert session.get(localhost, timeout=10).status_code == 200


def run_every_flow(idp):
    flow = start_device_flow(idp)
    enter_device_code(
        flow["verification_uri"], flow["user_code"], username=idp.username, password=idp.password
    )
    tokens = poll_device(idp, flow).json()
    token_request(idp, grant_type="refresh_token", client_id=idp.public_client_id, scope=idp.api_scope,
                  refresh_token=tokens["refresh_token"])  # fmt: skip
    verifier, challenge = pkce_pair()
    for mode in ("query", "form_post"):
        result = sign_in(authorize_url(idp, challenge, response_mode=mode), username=idp.username,
                         password=idp.password)  # fmt: skip
        assert redeem_code(idp, result.params["code"], verifier).status_code == 200
    token_request(idp, grant_type="client_credentials", client_id=idp.confidential_client_id,
                  client_secret=idp.client_secret, scope=idp.api_app_scope)  # fmt: skip
    token_request(idp, grant_type="password", client_id=idp.public_client_id, username=idp.username,
                  password=idp.password, scope=idp.api_scope)  # fmt: skip
    requests.get(idp.api_url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10)


def test_request_log_holds_no_secret(local_idp):
    run_every_flow(local_idp)
    secrets = local_idp.issued_secrets()
    assert local_idp.client_secret in secrets and local_idp.password in secrets
    assert len(secrets) > 10
    logged = repr(local_idp.request_log)
    assert not [s for s in secrets if s in logged]
    params = [e.params for e in local_idp.request_log]
    assert {"client_secret": "***"}.items() <= next(p for p in params if "client_secret" in p).items()
    assert any(p.get("redirect_uri") == REDIRECT for p in params)  # non-secrets stay readable
    assert {e.endpoint for e in local_idp.request_log} >= {
        "token",
        "devicecode",
        "device",
        "authorize",
        "api",
    }


def test_python_m_nbauth_testing_serves_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "nbauth.testing", "--json", "--auto-approve", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        info = json.loads(process.stdout.readline())
        assert info["authority"].startswith("http://127.0.0.1:")
        doc = requests.get(f"{info['authority']}/v2.0/.well-known/openid-configuration", timeout=10).json()
        assert doc["issuer"] == info["issuer"]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "stopped" in out
    assert "Traceback" not in err


def test_human_readable_banner_names_authority_and_clients():
    command = [sys.executable, "-m", "nbauth.testing", "--conditional-access"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(9)]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    text = "".join(lines)
    assert "Authority:" in text and "/7d3f0a4e-" in text
    assert "Public client id:" in text and "Client secret:" in text and "/api/me" in text
    assert process.returncode == 0
