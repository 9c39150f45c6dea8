"""Run the reference server: in a background thread (tests, self-checks) or in the
foreground until Ctrl-C / SIGTERM (the CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import threading
import time
from types import FrameType, TracebackType
from typing import TextIO

import uvicorn

from conformance.reference.app import create_app
from conformance.reference.build_progress import build_progress
from conformance.reference.churn import Churn
from conformance.reference.config import ReferenceConfig
from conformance.reference.store import BuildProgress, SessionStore, open_store

__all__ = ["ReferenceConfig", "RunningServer", "ServerStartError", "serve_forever",
           "start_background"]

_START_TIMEOUT = 10.0


class ServerStartError(Exception):
    """The reference server could not start (port taken, bad host, ...)."""


def _bind(host: str, port: int) -> socket.socket:
    """Bind ourselves so that port 0 yields a known port and a taken port fails here,
    with a clear message, instead of inside uvicorn's thread."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ServerStartError(f"Cannot resolve host {host!r}: {exc.strerror or exc}.") from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Lets a restarted server reuse a port in TIME_WAIT; on Linux a port another
        # socket is listening on still fails to bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this; without it, keep-alive responses written in
        # two parts wait ~40 ms for the client's delayed ACK (Nagle).
        if family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ServerStartError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from exc
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class RunningServer:
    """A reference server running in a daemon thread; stop() or use as a context."""

    def __init__(self, config: ReferenceConfig, store: SessionStore, sock: socket.socket,
                 host: str) -> None:
        self.config = config
        self.api_key = config.key
        self.port: int = sock.getsockname()[1]
        self.base_url = f"http://{_url_host(host)}:{self.port}"
        self._store = store
        self._sock = sock
        # A live collection (config.churn): started once the server answers, stopped first.
        self.churn = Churn(store, config.churn, config.expiry_rate, config.livemode, config.seed,
                           clock=config.churn_clock)
        app = create_app(config, store, on_request=self.churn.on_request)
        # The other operations' stores (customers, invoices), built with the app; closed with it.
        self._family: list[SessionStore] = [s for s in app.state.stores.values() if s is not store]
        uv_config = uvicorn.Config(
            app, log_level="warning", access_log=False,
            # None: leave the host process's logging (pytest, the CLI) as it is.
            log_config=None,
            lifespan="off", timeout_graceful_shutdown=2, server_header=False,
            # One HTTP parser everywhere: h11 and httptools differ on odd header bytes
            # (trailing spaces, DEL), and the reference must answer the same on every machine.
            http="httptools")
        self._server = uvicorn.Server(uv_config)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="reference-server",
                                        daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # reported by _wait_started / stop
            self._error = exc

    def _wait_started(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"The reference server did not start: {self._error}.")
            time.sleep(0.002)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> RunningServer:
        self._thread.start()
        self._wait_started()
        self.churn.start()
        return self

    def stop(self) -> None:
        self.churn.stop()
        self._server.should_exit = True
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._sock.close()
        self._store.close()
        for other in self._family:
            other.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def start_background(config: ReferenceConfig, host: str = "127.0.0.1",
                     port: int = 0, *, replace_db: bool = True,
                     progress: BuildProgress | None = None) -> RunningServer:
    """Start serving ``config`` on ``host:port`` (0: a free port); returns once the
    server accepts connections. Raises ServerStartError if it cannot, StoreFileError when
    ``config.db`` cannot be used (see ``open_store``, which ``replace_db`` and ``progress``
    are passed to)."""
    sock = _bind(host, port)
    store: SessionStore | None = None
    try:
        store = open_store(config.sessions, config.seed, config.livemode, config.db,
                           sessions_list=config.fixed_sessions(), replace=replace_db, progress=progress,
                           writable=config.live)
        running = RunningServer(config, store, sock, host)
    except BaseException:
        sock.close()
        if store is not None:
            store.close()
        raise
    return running.start()


def serve_forever(config: ReferenceConfig, host: str = "127.0.0.1", port: int = 8000,
                  out: TextIO | None = None, *, replace_db: bool = True, err: TextIO | None = None) -> int:
    """Serve until SIGINT/SIGTERM, after printing ``base_url:``, ``api_key:`` and
    ``api_versions:`` lines on ``out``.

    Returns 0 after a signal (1 if the server thread died on its own). Building a large
    database reports its progress on ``err`` (default stderr); a signal during the build
    raises KeyboardInterrupt and leaves no partial file (see ``open_store``). Once serving,
    uvicorn runs in a thread and this (main) thread owns the signals, so a stop is always
    a clean return 0, never a KeyboardInterrupt traceback.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def interrupt_build(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    in_main = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main:
        # SIGTERM stops a build as Ctrl-C does, so its temporary file is removed too. SIGINT is
        # set as well: a process started with it ignored (`serve &` in a script) would otherwise
        # go on building (a minute for a million sessions) however often it is sent.
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, interrupt_build)
    try:
        total = len(config.fixed_sessions() or ()) if config.dataset else config.sessions
        with build_progress(total, err) as progress:
            server = start_background(config, host, port, replace_db=replace_db, progress=progress)
        with server:
            if in_main:
                for signum in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(signum, on_signal)  # the originals were kept before the build
            print(f"base_url: {server.base_url}", file=out, flush=True)
            print(f"api_key: {server.api_key}", file=out, flush=True)
            # What VER-002 can be judged with: `run --api-version` one of these.
            print(f"api_versions: {' '.join(config.api_versions)}", file=out, flush=True)
            # A timed wait keeps the main thread responsive to signals everywhere.
            while not stop.wait(0.5):
                if not server.alive:
                    return 1
    finally:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler)
    return 0
