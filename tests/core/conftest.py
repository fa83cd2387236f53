"""Fixtures for the core client tests: a provider and a client sharing one fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nbauth import ConfidentialClientApplication, PublicClientApplication
from nbauth.testing import FakeClock, LocalIdentityProvider


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def idp(clock: FakeClock) -> Iterator[LocalIdentityProvider]:
    with LocalIdentityProvider(clock=clock) as provider:
        yield provider


@pytest.fixture
def cca(idp: LocalIdentityProvider, clock: FakeClock) -> ConfidentialClientApplication:
    return ConfidentialClientApplication(
        idp.confidential_client_id, idp.client_secret, authority=idp.authority, clock=clock, sleep=clock.sleep
    )


@pytest.fixture
def pca(idp: LocalIdentityProvider, clock: FakeClock) -> PublicClientApplication:
    return PublicClientApplication(
        idp.public_client_id, authority=idp.authority, clock=clock, sleep=clock.sleep
    )
