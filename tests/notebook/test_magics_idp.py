"""The magics in a real IPython shell against the local identity provider: every flow and option.

Each test ends by searching everything the shell displayed (and the reprs of what it returned) for every
token, code and secret the provider issued.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import requests
from IPython.core.error import UsageError

from nbauth.notebook.admin import entry_id, match_id, short_ids
from nbauth.notebook.results import ErrorResult, TokenResult
from nbauth.testing import Fault, LocalIdentityProvider


@pytest.fixture
def idp() -> Iterator[LocalIdentityProvider]:
    with LocalIdentityProvider(auto_approve=0) as provider:
        yield provider


@pytest.fixture
def signed(shell, idp, monkeypatch):
    """The shell configured for the provider's public client (as NBAUTH_* variables would do)."""
    shell.settings.authority = idp.authority
    shell.settings.client_id = idp.public_client_id
    shell.settings.scopes = [idp.api_scope]
    return shell


def assert_no_secret(shell, idp, *values):
    shown = shell.all_text(*values)
    leaked = [s for s in idp.issued_secrets() if s and s in shown]
    assert leaked == []
    assert idp.issued_secrets()  # the search is meaningful: the provider did issue secrets


def sign_in(shell) -> TokenResult:
    result = shell.line("%token --wait --timeout 30")
    assert isinstance(result, TokenResult), result
    return result


def test_device_code_with_wait_signs_in_and_replaces_the_user_code(signed, idp):
    result = signed.line("%token -o tok --wait --timeout 30")
    assert isinstance(result, TokenResult) and result["token_source"] == "identity_provider"
    assert signed.ip.user_ns["tok"] is result
    first, *later = signed.outputs()
    display_id = first["transient"]["display_id"]
    assert re.search(r"enter the code\s+\S+", first["data"]["text/plain"])
    final = [o for o in later if o["update"] and o["transient"]["display_id"] == display_id][-1]
    assert "Signed in" in final["data"]["text/plain"] and "enter the code" not in final["data"]["text/plain"]
    assert "ada@contoso.example" in final["data"]["text/html"]
    assert_no_secret(signed, idp, result)


def test_a_batch_kernel_gets_an_error_instead_of_waiting_for_a_person(signed, idp):
    result = signed.line("%token")
    assert isinstance(result, ErrorResult) and result["error"] == "interaction_required"
    assert "--wait --timeout" in result["error_description"]
    assert idp.requests_to("devicecode") == 0  # nothing was started that nobody can finish
    assert "interaction_required" in signed.formatted(result)["text/html"]


def test_wait_is_bounded_when_nobody_approves(shell, monkeypatch):
    with LocalIdentityProvider() as idp:  # no auto-approve: nobody signs in
        idp.device_code_interval = 1
        shell.settings.authority, shell.settings.client_id = idp.authority, idp.public_client_id
        result = shell.line(f"%token {idp.api_scope} --wait --timeout 0")
        assert result["error"] == "timed_out"
        assert idp.requests_to("devicecode") == 1
        final = shell.outputs()[-1]
        assert final["update"] and "timed_out" in final["data"]["text/plain"]
        assert_no_secret(shell, idp, result)


def test_silent_second_call_and_force_refresh(signed, idp):
    sign_in(signed)
    token_requests = idp.requests_to("token")
    cached = signed.line("%token")
    assert cached["token_source"] == "cache" and idp.requests_to("token") == token_requests
    assert "ada@contoso.example" in cached.as_text() and idp.api_scope in cached._repr_html_()
    fresh = signed.line("%token --force-refresh --account ada@contoso.example")
    assert fresh["token_source"] == "identity_provider" and idp.requests_to("token") == token_requests + 1
    assert fresh["access_token"] != cached["access_token"]
    assert_no_secret(signed, idp, cached, fresh)


def test_claims_challenge_option_reaches_the_provider(signed, idp):
    idp.conditional_access = True
    sign_in(signed)
    plain = signed.line("%token --force-refresh")
    assert plain["error"] == "interaction_required" and plain.get("claims")  # refresh refused without claims
    page = signed.formatted(plain)["text/html"]
    assert "AADSTS50076" in page and "login.microsoftonline.com/error?code=50076" in page
    challenge = plain["claims"]
    result = signed.line(f"%token --claims-challenge '{challenge}'")
    assert isinstance(result, TokenResult), result
    me = requests.get(idp.api_url, headers={"Authorization": f"Bearer {result['access_token']}"}, timeout=10)
    assert me.status_code == 200
    assert_no_secret(signed, idp, plain, result)


def test_with_token_reacquires_once_on_the_apis_claims_challenge(signed, idp):
    idp.conditional_access = True
    sign_in(signed)
    signed.ip.user_ns["api"] = idp.api_url
    signed.ip.user_ns["calls"] = []
    body = (
        "import requests\n"
        "bearer = {'Authorization': 'Bearer ' + token['access_token']}\n"
        "reply = requests.get(api, headers=bearer, timeout=10)\n"
        "calls.append(reply.status_code)\n"
        "reply.raise_for_status()\n"
        "reply.json()['name']\n"
    )
    value = signed.cell("%%with_token", body)
    assert signed.ip.user_ns["calls"] == [401, 200]
    assert value == "Ada Lovelace"
    assert_no_secret(signed, idp, value, signed.ip.user_ns["token"])


def test_with_token_without_retry_lets_the_error_through(signed, idp):
    idp.conditional_access = True
    sign_in(signed)
    signed.ip.user_ns["api"] = idp.api_url
    body = (
        "import requests\n"
        "requests.get(api, headers={'Authorization': 'Bearer ' + tok['access_token']}).raise_for_status()"
    )
    with pytest.raises(requests.HTTPError):
        signed.cell("%%with_token -v tok --no-retry", body)


def test_client_credentials_through_a_profile_with_a_secret_reference(shell, idp, monkeypatch):
    monkeypatch.setenv("DEMO_APP_SECRET", idp.client_secret)
    profile = f"client_id = {idp.confidential_client_id}\nauthority = {idp.authority}\n"
    profile += f"scopes = {idp.api_app_scope}\nclient_secret_env = DEMO_APP_SECRET\n"
    shell.cell("%%token daemon", profile)
    result = shell.line("%token --profile daemon -o out")
    assert isinstance(result, TokenResult) and result["token_source"] == "identity_provider"
    assert shell.line("%token --profile daemon")["token_source"] == "cache"
    again = shell.line("%token --profile daemon --force-refresh")
    assert again["token_source"] == "identity_provider"
    assert_no_secret(shell, idp, result, again, shell.line("%nbauth status"), shell.line("%nbauth profiles"))
    assert idp.client_secret not in shell.all_text(shell.line("%nbauth settings"))


def test_provider_errors_render_as_an_inert_error_table(shell, idp, monkeypatch):
    monkeypatch.setenv("DEMO_APP_SECRET", idp.client_secret)
    shell.settings.client_secret_env = "DEMO_APP_SECRET"
    fault = Fault.oauth_error("invalid_client", aadsts=7000215, description="<script>alert(1)</script>")
    idp.faults.add("token", fault)
    result = shell.line(f"%token --client-id {idp.confidential_client_id} --authority {idp.authority} "
                        f"{idp.api_app_scope}")  # fmt: skip
    assert result["error"] == "invalid_client"
    page = shell.formatted(result)["text/html"]
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "AADSTS7000215" in page and "secret" in page
    assert_no_secret(shell, idp, result)


def test_throttle_entries_are_listed_and_cleared(shell, idp, monkeypatch):
    monkeypatch.setenv("DEMO_APP_SECRET", idp.client_secret)
    shell.settings.client_secret_env = "DEMO_APP_SECRET"
    idp.faults.add("token", Fault.status(429, retry_after=120))
    line = f"%token --client-id {idp.confidential_client_id} --authority {idp.authority} {idp.api_app_scope}"
    first = shell.line(line)
    assert first["error"] in ("temporarily_unavailable", "server_error") or first.get("http_status") == 429
    listing = shell.line("%nbauth throttle")
    assert idp.confidential_client_id in listing.text and "token" in listing.text
    assert "<table" in listing._repr_html_()
    requests_before = idp.requests_to("token")
    assert shell.line(line) == first and idp.requests_to("token") == requests_before  # replayed
    cleared = shell.line("%nbauth throttle clear --all")
    assert "1" in cleared.text and "(none)" in shell.line("%nbauth throttle list").text
    assert isinstance(shell.line(line), TokenResult)
    assert_no_secret(shell, idp, first, listing)


def test_accounts_and_sign_out(signed, idp):
    sign_in(signed)
    accounts = signed.line("%nbauth accounts")
    assert "ada@contoso.example" in accounts.text and "ada@contoso.example" in accounts._repr_html_()
    assert "signed-in accounts       1" in signed.line("%nbauth status").text
    with pytest.raises(Exception, match="no signed-in account"):
        signed.line("%nbauth signout nobody@contoso.example")
    out = signed.line("%nbauth signout ada@contoso.example")
    assert "ada@contoso.example" in out.text
    assert "(none)" in signed.line("%nbauth accounts").text
    assert signed.line("%token")["error"] == "interaction_required"
    sign_in(signed)
    assert "ada@contoso.example" in signed.line("%nbauth signout --all").text
    assert "(none)" in signed.line("%nbauth accounts").text


def test_paste_flow_reads_the_redirect_address(signed, idp, monkeypatch):
    monkeypatch.setattr(signed.ip, "kernel", SimpleNamespace(_allow_stdin=True), raising=False)
    signed.settings.interactive = "auto"  # a kernel whose front end allows stdin: a person is there

    def person(prompt: str) -> str:  # what the user does: open the link, sign in, copy the final address
        link = re.search(r'href="([^"]+)"', signed.outputs()[-1]["data"]["text/html"]).group(1)
        page = requests.get(link.replace("&amp;", "&"), allow_redirects=False, timeout=10)
        if page.status_code == 302:  # the provider auto-approves (a person already signed in)
            return page.headers["Location"]
        request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
        form = {
            "request_id": request_id,
            "username": idp.username,
            "password": idp.password,
            "action": "accept",
        }
        action = re.search(r'id="signin" method="post" action="([^"]+)"', page.text).group(1)
        reply = requests.post(action.replace("&amp;", "&"), data=form, allow_redirects=False, timeout=10)
        return reply.headers["Location"]

    monkeypatch.setattr("getpass.getpass", person)
    result = signed.line("%token --flow paste")
    assert isinstance(result, TokenResult), result
    assert "Signed in" in signed.outputs()[-1]["data"]["text/plain"]
    assert_no_secret(signed, idp, result)


def test_paste_flow_without_stdin_says_how_to_proceed(signed, idp):
    signed.settings.interactive = True
    result = signed.line("%token --flow paste")
    assert result["error"] == "interaction_required" and "device code" in result["error_description"]


def test_an_msal_application_works_through_app_and_use(shell, monkeypatch):
    msal = pytest.importorskip("msal")
    with LocalIdentityProvider(tls=True, auto_approve=0) as idp:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", idp.ca_cert_path)
        http = requests.Session()
        app = msal.PublicClientApplication(
            idp.public_client_id, authority=idp.authority, http_client=http, instance_discovery=False
        )
        shell.ip.user_ns["app"] = app
        result = shell.line(f"%token --app app {idp.api_scope} --wait --timeout 30")
        assert "access_token" in result, result
        shell.line("%nbauth use app")
        assert shell.line(f"%token {idp.api_scope}")["token_source"] == "cache"
        assert "ada@contoso.example" in shell.line("%nbauth accounts").text
        assert "PublicClientApplication" in shell.line("%nbauth status").text
        shell.line("%nbauth use --reset")
        assert_no_secret(shell, idp, result)


def test_as_requests_returns_an_auth_object_that_calls_the_api(signed, idp):
    sign_in(signed)
    auth = signed.line("%token --as requests -o auth")
    assert signed.ip.user_ns["auth"] is auth
    assert requests.get(idp.api_url, auth=auth, timeout=10).status_code == 200


def browser_that_approves(url: str) -> bool:
    """A browser on the kernel's machine: the provider auto-approves; the page posts the code to loopback."""

    def visit() -> None:
        page = requests.get(url, timeout=10).text
        action = re.search(r'id="response" method="post" action="([^"]+)"', page).group(1)
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
        requests.post(action.replace("&amp;", "&"), data=fields, timeout=10)

    threading.Thread(target=visit, daemon=True).start()
    return True


def test_browser_flow_with_an_nbauth_application(shell, idp):
    from nbauth import PublicClientApplication

    app = PublicClientApplication(
        idp.public_client_id, authority=idp.authority, open_browser=browser_that_approves
    )
    shell.ip.user_ns["app"] = app
    shell.settings.interactive = True
    result = shell.line(f"%token --app app --flow browser --timeout 30 {idp.api_scope}")
    assert isinstance(result, TokenResult), result
    final = shell.outputs()[-1]
    assert final["update"] and "Signed in" in final["data"]["text/plain"]
    assert idp.requests_to("authorize") >= 1
    assert_no_secret(shell, idp, result)


def test_caches_persist_across_extension_reloads(shell, idp, tmp_path):
    for settings_shell in (1, 2):
        shell.settings.token_cache_path = str(tmp_path / "tokens.json")
        shell.settings.http_cache_path = str(tmp_path / "throttle.sqlite")
        shell.settings.authority, shell.settings.client_id = idp.authority, idp.public_client_id
        shell.settings.scopes = [idp.api_scope]
        if settings_shell == 1:
            sign_in(shell)
            assert "tokens.json" in shell.line("%nbauth status").text
            shell.line("%unload_ext nbauth")
            shell.line("%load_ext nbauth")
    assert shell.line("%token")["token_source"] == "cache"  # a new session read the persisted cache
    assert "ada@contoso.example" in shell.line("%nbauth accounts").text
    assert not [s for s in idp.issued_secrets() if s in shell.all_text()]


def test_throttle_list_shows_ids_that_clear_accepts(shell, idp, monkeypatch):
    monkeypatch.setenv("DEMO_APP_SECRET", idp.client_secret)
    shell.settings.client_secret_env = "DEMO_APP_SECRET"
    idp.faults.add("token", Fault.status(429, retry_after=120), times=2)
    base = f"%token --client-id {idp.confidential_client_id} --authority {idp.authority}"
    lines = [f"{base} {idp.api_app_scope}", f"{base} {idp.api_app_scope} openid"]
    assert [shell.line(line).get("http_status") for line in lines] == [429, 429]
    listing = shell.line("%nbauth throttle").text
    shown = re.findall(r"^  ([0-9a-f]{8,}) ", listing, flags=re.MULTILINE)
    assert len(shown) == 2 and len(set(shown)) == 2 and "nbauth-http" not in listing
    with pytest.raises(UsageError, match="no throttle entry with id 'zz'"):
        shell.line("%nbauth throttle clear zz")
    cleared = shell.line(f"%nbauth throttle clear {shown[0][:5]}")  # a prefix of the shown id is enough
    assert "1" in cleared.text
    after = shell.line("%nbauth throttle").text
    assert shown[0] not in after and shown[1] in after
    shell.line(f"%nbauth throttle clear {shown[1]}")
    assert "(none)" in shell.line("%nbauth throttle").text
    assert all(isinstance(shell.line(line), TokenResult) for line in lines)


def test_an_ambiguous_throttle_id_names_the_candidates():
    keys = [f"nbauth-http POST https://idp.example/token client_id=c{n}" for n in range(17)]
    by_first: dict[str, list[str]] = {}
    for key in keys:  # 17 keys, 16 hex digits: two ids share their first digit
        by_first.setdefault(entry_id(key)[0], []).append(key)
    digit, same = next((d, ks) for d, ks in by_first.items() if len(ks) > 1)
    with pytest.raises(UsageError, match="ambiguous") as raised:
        match_id(digit, keys)
    assert all(short_ids(keys)[key] in str(raised.value) for key in same)
    assert match_id(short_ids(keys)[same[0]], keys) == same[0]


def test_token_with_wait_displays_its_result_once(signed, idp, capsys):
    signed.ip.run_cell("%token --wait --timeout 30 -o x")  # the cell's value is printed as Out[]
    printed = capsys.readouterr().out
    result = signed.ip.user_ns.pop("x")
    assert isinstance(result, TokenResult)
    finals: dict[str, str] = {}
    for number, output in enumerate(signed.outputs()):
        finals[output["transient"].get("display_id") or str(number)] = output["data"]["text/plain"]
    shown = [*finals.values(), printed]
    assert sum(text.count("Signed in: access token acquired") for text in shown) == 1
    assert "ada@contoso.example" in next(iter(finals.values()))  # the progress line names the account
    assert_no_secret(signed, idp, result)


@pytest.mark.parametrize("form", ["'$challenge'", "$challenge", "'{challenge}'", "{challenge}"])
def test_claims_challenge_from_a_variable(signed, idp, form):
    idp.conditional_access = True
    sign_in(signed)
    refused = signed.line("%token --force-refresh")
    assert refused["error"] == "interaction_required" and refused.get("claims")
    signed.ip.user_ns["challenge"] = refused["claims"]
    try:
        signed.ip.run_cell(f"result = %token --claims-challenge {form}")
        result = signed.ip.user_ns.pop("result")
    finally:
        signed.ip.user_ns.pop("challenge")
    assert isinstance(result, TokenResult), result
    me = requests.get(idp.api_url, headers={"Authorization": f"Bearer {result['access_token']}"}, timeout=10)
    assert me.status_code == 200
    assert_no_secret(signed, idp, refused, result)


def test_claims_challenge_from_a_missing_variable_is_a_usage_error(signed):
    with pytest.raises(UsageError, match="no variable 'nothing_here'"):
        signed.line("%token --claims-challenge '$nothing_here'")


def test_a_loop_detected_429_explains_aadsts50196(shell, idp, monkeypatch):
    monkeypatch.setenv("DEMO_APP_SECRET", idp.client_secret)
    shell.settings.client_secret_env = "DEMO_APP_SECRET"
    idp.faults.add("token", Fault.oauth_error("invalid_request", aadsts=50196, status=429))
    result = shell.line(f"%token --client-id {idp.confidential_client_id} --authority {idp.authority} "
                        f"{idp.api_app_scope}")  # fmt: skip
    assert result["error"] == "invalid_request" and result.get("error_codes") == [50196]
    page, text = shell.formatted(result)["text/html"], result.as_text()
    assert "LoopDetected" in page and "reuse cached tokens" in text and "code=50196" in page
    assert_no_secret(shell, idp, result)
