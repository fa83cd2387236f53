"""``python -m nbauth.testing``: run the local identity provider until Ctrl-C.

Prints the authority URL, the demo client ids, the demo confidential client's secret (it is a demo), the demo
user and the API URL. ``--json`` prints the same as one JSON line, for scripts.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from nbauth.testing.provider import LocalIdentityProvider


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m nbauth.testing", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--tls", action="store_true", help="serve https with a certificate made at start-up")
    parser.add_argument(
        "--auto-approve", type=float, default=None, metavar="SECONDS", help="approve sign-ins after SECONDS"
    )
    parser.add_argument("--conditional-access", action="store_true", help="the demo API demands acrs c1")
    parser.add_argument("--json", action="store_true", help="print the description as one JSON line")
    return parser.parse_args(argv)


def describe_lines(info: dict[str, Any]) -> list[str]:
    lines = [
        "nbauth local identity provider (a test double for Microsoft Entra ID)",
        f"  Authority:            {info['authority']}",
        f"  OIDC issuer:          {info['issuer']}",
        f"  Public client id:     {info['public_client_id']}",
        f"  Confidential client:  {info['confidential_client_id']}",
        f"  Client secret:        {info['client_secret']}",
        f"  Demo user:            {info['username']}  password: {info['password']}",
        f"  Demo API:             {info['api_url']}  (scope {info['api_scope']})",
    ]
    if info.get("ca_cert_path"):
        lines.append(f"  CA certificate:       {info['ca_cert_path']}")
    return [*lines, "Press Ctrl-C to stop."]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    idp = LocalIdentityProvider(tls=args.tls, port=args.port, auto_approve=args.auto_approve)
    idp.conditional_access = args.conditional_access
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())  # Ctrl-C: a clean stop, no traceback
    try:
        idp.start()
    except OSError as problem:
        print(f"Cannot start the identity provider: {problem}", file=sys.stderr)
        return 1
    try:
        info = idp.describe()
        print(json.dumps(info) if args.json else "\n".join(describe_lines(info)), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        idp.stop()
    print("Identity provider stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
