"""Suite-wide setup: tests never read or write the real user's caches."""

import os
import tempfile


def pytest_configure(config):
    # nbauth persists tokens and throttle windows in the user cache dir (platformdirs honours XDG_CACHE_HOME).
    # Set before any fixture starts a kernel or JupyterLab, so their processes inherit it too.
    if not hasattr(config, "workerinput"):
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="nbauth-test-cache-")
