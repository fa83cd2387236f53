"""pytest fixtures for the local identity provider (registered through the ``pytest11`` entry point)."""
