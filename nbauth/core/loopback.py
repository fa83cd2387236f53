"""The loopback redirect listener for ``acquire_token_interactive`` (RFC 8252 section 7.3).

It binds 127.0.0.1 only (never a public interface), on a random port unless one is given, and accepts the
provider's ``response_mode=form_post`` POST (OAuth 2.0 Form Post Response Mode) whose ``state`` matches: one
valid response, then it is done. Anything else (a GET with a code in the query, a wrong state, a body that is
too large) is answered with an error page and ignored. Pages HTML-escape whatever the provider sent.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_MAX_BODY = 64 * 1024
_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
    "<p>{text}</p></body></html>"
)


class LoopbackListener:
    """``with LoopbackListener(port) as listener: ... listener.wait(state, timeout)``."""

    def __init__(self, port: int | None = None) -> None:
        try:
            self._server = _Server(("127.0.0.1", int(port or 0)), _Handler)
        except OSError as exc:
            raise ValueError(
                f"Cannot listen on 127.0.0.1 port {port}: {exc.strerror}; pass port=None."
            ) from exc
        self._server.expected_state = None
        self._server.response = None
        self._server.done = threading.Event()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> LoopbackListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def expect(self, state: str) -> None:
        self._server.expected_state = state

    def wait(self, timeout: float | None) -> dict[str, str] | None:
        """The accepted response's parameters, or ``None`` when ``timeout`` seconds passed first."""
        self._server.done.wait(timeout)
        return self._server.response

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


class _Server(HTTPServer):
    expected_state: str | None
    response: dict[str, str] | None
    done: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        if "code" in query or "error" in query:
            # The code must not travel in a URL (browser history, logs): form_post only (RFC 9700 4.3.1).
            self._page(400, "Sign-in not accepted", "This listener accepts response_mode=form_post only.")
        else:
            self._page(200, "Waiting for sign-in", "Complete the sign-in in the page that opened.")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY or self.server.done.is_set():
            self._page(400, "Sign-in not accepted", "This sign-in request was already answered.")
            return
        raw = self.rfile.read(length).decode("utf-8", "replace")
        params = {k: v[0] for k, v in parse_qs(raw).items()}
        if not self.server.expected_state or params.get("state") != self.server.expected_state:
            self._page(400, "Sign-in not accepted", "The response does not belong to this sign-in (state).")
            return
        if "code" not in params and "error" not in params:
            self._page(400, "Sign-in not accepted", "The response has neither a code nor an error.")
            return
        self.server.response = params
        self.server.done.set()
        if "code" in params:
            self._page(200, "Signed in", "Authentication complete. You can close this window.")
        else:
            text = f"{params['error']}: {params.get('error_description', '')}"
            self._page(200, "Sign-in failed", text)

    def _page(self, status: int, title: str, text: str) -> None:
        body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the default writes request lines (with query strings) to stderr
