"""Testing helpers: the local identity provider and a fake clock, for nbauth's tests and for yours."""

from nbauth.testing.clock import FakeClock

__all__ = ["FakeClock"]
