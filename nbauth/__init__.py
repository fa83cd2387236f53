"""nbauth: OAuth2 / OpenID Connect tokens in Jupyter notebooks.

The public API is loaded on first use (PEP 562), so ``import nbauth`` costs almost nothing and never pulls in
IPython, ipywidgets or traitlets; ``%load_ext nbauth`` loads the notebook layer.
"""

# The TYPE_CHECKING imports below exist for type checkers and editors; __all__ is built from EXPORTS.
# ruff: noqa: F401
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from nbauth._lazy import lazy_exports
from nbauth.core import EXPORTS as CORE_EXPORTS  # a table only: no core module loads here

__version__ = "0.1.0"

# A library never decides where its logs go; without a handler, warnings would fall through to stderr.
logging.getLogger("nbauth").addHandler(logging.NullHandler())

EXPORTS: dict[str, str] = {
    **CORE_EXPORTS,  # the core client, re-exported
    "BearerAuth": "nbauth.integrations",  # requests
    "NbAuthCredential": "nbauth.integrations",  # the Azure SDK (nbauth[azure])
}

__all__ = sorted([*EXPORTS, "__version__", "load_ipython_extension", "unload_ipython_extension"])
__getattr__, __dir__ = lazy_exports(__name__, globals(), EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from nbauth.core import *  # noqa: F403
    from nbauth.integrations import BearerAuth, NbAuthCredential


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbauth``: register the magics (the notebook layer is imported only now)."""
    from nbauth.notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from nbauth.notebook import unload_ipython_extension as unload

    unload(ipython)
