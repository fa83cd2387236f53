"""pytest fixtures for the local identity provider (registered through the ``pytest11`` entry point).

* ``fake_clock``: a :class:`~nbauth.testing.FakeClock`;
* ``local_idp``: a fresh :class:`~nbauth.testing.LocalIdentityProvider` over http for each test, on the
  ``fake_clock`` when the test also asks for it (so both move together), else on real time;
* ``local_idp_tls``: the same over https; ``local_idp_tls.ca_cert_path`` is the trust root for ``verify=``.

Nothing is imported at plugin load beyond pytest itself, so collecting tests stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nbauth.testing import FakeClock, LocalIdentityProvider


@pytest.fixture
def fake_clock() -> FakeClock:
    from nbauth.testing.clock import FakeClock

    return FakeClock()


def _clock_for(request: pytest.FixtureRequest) -> Any:
    if "fake_clock" in request.fixturenames:
        return request.getfixturevalue("fake_clock")
    return time.time


@pytest.fixture
def local_idp(request: pytest.FixtureRequest) -> Iterator[LocalIdentityProvider]:
    from nbauth.testing.provider import LocalIdentityProvider

    with LocalIdentityProvider(clock=_clock_for(request)) as idp:
        yield idp


@pytest.fixture
def local_idp_tls(request: pytest.FixtureRequest) -> Iterator[LocalIdentityProvider]:
    from nbauth.testing.provider import LocalIdentityProvider

    with LocalIdentityProvider(tls=True, clock=_clock_for(request)) as idp:
        yield idp
