"""The notebook layer (IPython, ipywidgets, traitlets), loaded by ``%load_ext nbauth``."""

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    raise NotImplementedError("the notebook layer is being built")


def unload_ipython_extension(ipython: Any) -> None:
    pass
