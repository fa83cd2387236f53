"""What the provider remembers between requests: codes, device codes, refresh tokens, pending sign-ins."""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Literal

from nbauth.testing.directory import User


@dataclass
class RefreshRecord:
    client_id: str
    user: User
    acrs: bool  # the session satisfied the Conditional Access claims challenge
    revoked: bool = False
    redeemed: bool = False


@dataclass
class AuthCodeRecord:
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    claims: str | None
    expires_at: float
    redeemed: bool = False


DeviceStatus = Literal["pending", "approved", "declined", "redeemed"]


@dataclass
class DeviceRecord:
    user_code: str
    client_id: str
    scope: str
    claims: str | None
    expires_at: float  # provider clock
    interval: int
    auto_approve_at: float | None  # time.monotonic(); None: a person must approve
    status: DeviceStatus = "pending"
    last_poll: float | None = None


@dataclass
class PendingSignIn:
    """An authorize request waiting for the user to sign in on the HTML page."""

    params: dict[str, str]
    client_name: str
    scopes: tuple[str, ...]
    error: str | None = field(default=None)


class ProviderState:
    """All mutable state behind one lock; every secret handed out is remembered for ``issued_secrets()``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.codes: dict[str, AuthCodeRecord] = {}
        self.devices: dict[str, DeviceRecord] = {}  # by device_code
        self.refresh_tokens: dict[str, RefreshRecord] = {}
        self.sign_ins: dict[str, PendingSignIn] = {}  # by request id (a hidden form field)
        self.issued: set[str] = set()
        self.sessions: set[str] = set()  # browser sessions (cookie values) after a sign-in on the page

    def remember(self, *values: str | None) -> None:
        with self.lock:
            self.issued.update(v for v in values if v)

    def device_by_user_code(self, user_code: str) -> tuple[str, DeviceRecord] | None:
        wanted = normalize_user_code(user_code)
        with self.lock:
            for device_code, record in self.devices.items():
                if record.user_code == wanted:
                    return device_code, record
        return None

    def latest_pending_device(self) -> tuple[str, DeviceRecord] | None:
        with self.lock:
            pending = [(c, r) for c, r in self.devices.items() if r.status == "pending"]
        return pending[-1] if pending else None


def new_user_code() -> str:
    # Entra's user codes are 9 upper-case letters and digits, without look-alikes.
    alphabet = "".join(c for c in string.ascii_uppercase + string.digits if c not in "01IO")
    return "".join(secrets.choice(alphabet) for _ in range(9))


def normalize_user_code(text: str) -> str:
    return "".join(text.split()).replace("-", "").upper()
