"""The HTTP side: a threading server bound to 127.0.0.1, routing, scripted faults, the request log, TLS.

Handlers are plain functions ``handler(idp, request, **path_groups) -> Reply`` that may raise
:class:`~nbauth.testing.messages.OAuthError`; this module turns requests into :class:`Request` objects,
applies a queued :class:`~nbauth.testing.faults.Fault` first, and writes the :class:`Reply` back.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from nbauth.testing.faults import Fault
from nbauth.testing.log import LoggedRequest, redact, redact_authorization
from nbauth.testing.messages import OAuthError, Reply, Request, aad_error_body, json_reply

if TYPE_CHECKING:
    from nbauth.testing.provider import LocalIdentityProvider

logger = logging.getLogger("nbauth.testing")
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Route:
    endpoint: str
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Callable[..., Reply]


def route(endpoint: str, methods: str, pattern: str, handler: Callable[..., Reply]) -> Route:
    return Route(endpoint, frozenset(methods.split()), re.compile(pattern + r"\Z"), handler)


class Dispatcher:
    """Finds the route, applies a scripted fault or runs the handler, logs the request (redacted)."""

    def __init__(self, idp: LocalIdentityProvider, routes: list[Route]) -> None:
        self.idp = idp
        self.routes = routes

    def handle(self, request: Request, http: _Handler) -> None:
        found = self._match(request)
        endpoint = found[0].endpoint if found else "other"
        self.idp.log.count(endpoint)
        fault = self.idp.faults.take(endpoint) if found else None
        if fault is not None and fault.kind == "reset":
            self._log(request, endpoint, None, fault)
            reset_connection(http)
            return
        if fault is not None and fault.kind == "delay" and self.idp.stopping.wait(fault.seconds):
            self._log(request, endpoint, None, fault)
            reset_connection(http)  # the provider is stopping: don't make shutdown wait for the delay
            return
        if fault is not None and fault.kind != "delay":
            reply = fault.reply(
                base_url=self.idp.base_url, now=self.idp.clock(), correlation_id=_correlation(request)
            )
        else:
            reply = self._run(found, request)
        self._log(request, endpoint, reply.status, fault)
        write_reply(http, reply)

    def _match(self, request: Request) -> tuple[Route, dict[str, str]] | None:
        for candidate in self.routes:
            match = candidate.pattern.match(request.path)
            if match and request.method in candidate.methods:
                return candidate, match.groupdict()
        return None

    def _run(self, found: tuple[Route, dict[str, str]] | None, request: Request) -> Reply:
        if found is None:
            return json_reply(
                404, {"error": "not_found", "error_description": f"No endpoint at {request.path}"}
            )
        handler, groups = found[0].handler, found[1]
        tenant = groups.get("tenant")
        try:
            if tenant is not None and not self.idp.directory.known_tenant(tenant):
                raise OAuthError(
                    "invalid_tenant",
                    90002,
                    f"Tenant '{tenant}' not found. Check to make sure you "
                    "have the correct tenant ID and are signing into the correct cloud.",
                )
            return handler(self.idp, request, **groups)
        except OAuthError as problem:
            return problem.reply(
                base_url=self.idp.base_url, now=self.idp.clock(), correlation_id=_correlation(request)
            )
        except Exception:
            logger.exception("local identity provider: handler for %s failed", request.path)
            body = aad_error_body(
                "server_error",
                50000,
                "There was an error issuing a token or an issue with our sign-in service.",
                base_url=self.idp.base_url,
                now=self.idp.clock(),
            )
            return json_reply(500, body)

    def _log(self, request: Request, endpoint: str, status: int | None, fault: Fault | None) -> None:
        entry = LoggedRequest(
            method=request.method,
            path=request.path,
            endpoint=endpoint,
            status=status,
            params=redact(request.params),
            authorization=redact_authorization(request.headers.get("Authorization")),
            fault=repr(fault) if fault else None,
        )
        self.idp.log.append(entry)


def _correlation(request: Request) -> str | None:
    # Entra echoes the client's correlation id (MSAL sends it as client-request-id).
    return request.headers.get("client-request-id")


def reset_connection(http: BaseHTTPRequestHandler) -> None:
    """Drop the connection: SO_LINGER 0 makes close() send a TCP RST instead of a polite FIN."""
    http.close_connection = True
    try:
        http.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        http.connection.close()
    except OSError:
        pass


def write_reply(http: BaseHTTPRequestHandler, reply: Reply) -> None:
    try:
        http.send_response(reply.status)
        for name, value in reply.headers:
            http.send_header(name, value)
        http.send_header("Content-Length", str(len(reply.body)))
        http.end_headers()
        if http.command != "HEAD":
            http.wfile.write(reply.body)
    except OSError:  # the client gave up (timeout) or vanished: nothing to answer to
        http.close_connection = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nbauth-local-idp/0.1"
    sys_version = ""
    timeout = 60  # idle keep-alive connections don't hold a thread forever
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_GET

    def _serve(self) -> None:
        request = self._read_request()
        if request is not None:
            self.server.dispatcher.handle(request, self)

    def _read_request(self) -> Request | None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            write_reply(
                self, json_reply(413, {"error": "invalid_request", "error_description": "Body too large"})
            )
            return None
        raw = self.rfile.read(length) if length else b""
        form: dict[str, str] = {}
        if "application/x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return Request(self.command, parts.path, query, form, self.headers)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log records what matters, redacted; stderr stays quiet


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, dispatcher: Dispatcher, tls: ssl.SSLContext | None) -> None:
        self.dispatcher = dispatcher
        self.tls = tls
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake happens on the first read, in the request's own thread, not in the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._open_lock:
            self._open.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("local identity provider: connection from %s failed", client_address, exc_info=True)

    def close_connections(self) -> None:
        """Wake threads blocked on keep-alive connections, so nothing is served after stop()."""
        with self._open_lock:
            connections = list(self._open)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class HttpServer:
    """Runs :class:`_Server` in a daemon thread."""

    def __init__(self, port: int, dispatcher: Dispatcher, tls: ssl.SSLContext | None = None) -> None:
        self._server = _Server(port, dispatcher, tls)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="nbauth-local-idp",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
