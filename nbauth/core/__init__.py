"""The core client: requests and the standard library only; never IPython, ipywidgets or traitlets."""
