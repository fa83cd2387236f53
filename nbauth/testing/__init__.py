"""Testing helpers: the local identity provider and a fake clock, for nbauth's tests and for yours.

>>> from nbauth.testing import LocalIdentityProvider, Fault
>>> with LocalIdentityProvider(auto_approve=0) as idp:
...     idp.faults.add("token", Fault.status(429, retry_after=5))
...     ...

See :mod:`nbauth.testing.provider` for the endpoints, :mod:`nbauth.testing.pages` for driving the HTML pages
with plain ``requests``, and ``python -m nbauth.testing`` to run one from the shell.
"""

from nbauth.testing.clock import FakeClock
from nbauth.testing.demo import demo_provider
from nbauth.testing.faults import Fault
from nbauth.testing.forms import HtmlForm, PageError, SignInResult, enter_device_code, read_form, sign_in
from nbauth.testing.log import LoggedRequest
from nbauth.testing.provider import LocalIdentityProvider

__all__ = [
    "FakeClock",
    "Fault",
    "HtmlForm",
    "LocalIdentityProvider",
    "LoggedRequest",
    "PageError",
    "SignInResult",
    "demo_provider",
    "enter_device_code",
    "read_form",
    "sign_in",
]
