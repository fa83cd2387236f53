"""nbauth: OAuth2 / OpenID Connect tokens in Jupyter notebooks.

The public API is loaded on first use (PEP 562), so ``import nbauth`` costs almost nothing and never pulls in
IPython, ipywidgets or traitlets; ``%load_ext nbauth`` loads the notebook layer.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# A library never decides where its logs go; without a handler, warnings would fall through to stderr.
logging.getLogger("nbauth").addHandler(logging.NullHandler())

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PublicClientApplication": "nbauth.core.application",
    "ConfidentialClientApplication": "nbauth.core.application",
    "claims_challenge_from_www_authenticate": "nbauth.core.claims",
    "merge_client_capabilities": "nbauth.core.claims",
    "decode_claims": "nbauth.core.claims",
    "TokenResult": "nbauth.core.results",
    "ErrorResult": "nbauth.core.results",
    "DeviceFlow": "nbauth.core.results",
    "AuthCodeFlow": "nbauth.core.results",
    "is_error": "nbauth.core.results",
}

__all__ = [*sorted(_EXPORTS), "__version__", "load_ipython_extension"]

if TYPE_CHECKING:  # pragma: no cover
    from nbauth.core.application import ConfidentialClientApplication, PublicClientApplication


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nbauth' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbauth``: register the magics (the notebook layer is imported only now)."""
    from nbauth.notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from nbauth.notebook import unload_ipython_extension as unload

    unload(ipython)
