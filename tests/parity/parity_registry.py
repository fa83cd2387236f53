"""Scenario registry and the steps scenarios share (sign-in, provider observations).

A scenario is a function ``run(lib, idp) -> dict`` of named observations (result dicts, flows, accounts,
what the provider received). The test runs it once with MSAL, once with nbauth, on the same provider,
and compares the two dicts key by key (parity_compare.py). A *departure* scenario instead documents where
nbauth deliberately differs (transport failures): it has a ``check(msal_outcome, nbauth_outcome)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Run = Callable[[Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class Scenario:
    id: str
    summary: str
    run: Run
    idp_options: dict[str, Any] = field(default_factory=dict)
    # Departures only: how the outcomes must differ; an outcome is ("raised", exc) or ("returned", value).
    check: Callable[[tuple[str, Any], tuple[str, Any]], None] | None = None


SCENARIOS: dict[str, Scenario] = {}


def scenario(summary: str, **idp_options: Any) -> Callable[[Run], Run]:
    """Registers ``run`` under its function name (without ``scenario_``) as a parity scenario."""

    def register(run: Run) -> Run:
        sid = run.__name__.removeprefix("scenario_")
        assert sid not in SCENARIOS, f"duplicate scenario {sid}"
        SCENARIOS[sid] = Scenario(sid, summary, run, idp_options)
        return run

    return register


def departure(summary: str, check: Callable, **idp_options: Any) -> Callable[[Run], Run]:
    def register(run: Run) -> Run:
        sid = run.__name__.removeprefix("scenario_")
        assert sid not in SCENARIOS, f"duplicate scenario {sid}"
        SCENARIOS[sid] = Scenario(sid, summary, run, idp_options, check)
        return run

    return register


# ---- shared steps ----------------------------------------------------------------------------------------


def public_flow(flow: dict) -> dict:
    """A flow dict without the libraries' private bookkeeping (keys starting with ``_``), which the contract
    leaves to each implementation (MSAL keeps its correlation id there)."""
    return {k: v for k, v in flow.items() if not k.startswith("_")}


def sign_in(lib: Any, idp: Any, **app_kwargs: Any) -> tuple[Any, dict]:
    """A public app whose user signed in with the device code flow (approved before the first poll, so
    neither library waits). Returns the app and the token result."""
    app = lib.public(idp, **app_kwargs)
    flow = app.initiate_device_flow(scopes=[idp.api_scope])
    assert "user_code" in flow, flow
    idp.approve_device_code(flow["user_code"])
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    return app, result


def only_account(app: Any) -> dict:
    accounts = app.get_accounts()
    assert len(accounts) == 1, accounts
    return accounts[0]


class ProviderView:
    """What the provider saw during one library's run (its request log from a mark onwards)."""

    def __init__(self, idp: Any) -> None:
        self.idp = idp
        self.start = len(idp.request_log)

    def requests(self, endpoint: str) -> list[Any]:
        return [r for r in self.idp.request_log[self.start :] if r.endpoint == endpoint]

    def claims_sent(self, endpoint: str = "token") -> list[Any]:
        """The ``claims`` parameter of each request to the endpoint, parsed (None when absent)."""
        return [
            json.loads(r.params["claims"]) if "claims" in r.params else None for r in self.requests(endpoint)
        ]

    def grant_types(self) -> list[str | None]:
        return [r.grant_type for r in self.requests("token")]
