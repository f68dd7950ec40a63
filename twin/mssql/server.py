"""The listening socket: one thread per client connection, a bounded number of them, clean stop.

Threads rather than asyncio because every SQLite call blocks; a session thread can then wait
for the writer slot without stalling the other clients. `start_server` is the in-process API
the twin and the tests use; `__main__` wraps it for the command line.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from twin.mssql.engine import ADMIN, Database, Error, Row, Rows
from twin.mssql.errors import SqlError
from twin.mssql.session import Session

log = logging.getLogger("twin.mssql")
MAX_CONNECTIONS = 256
STOP_JOIN_S = 5.0


@dataclass
class RunningServer:
    """A started stand-in: `.port`, `.url`, `.stop()`, and admin access for the fault catalogue."""

    host: str
    port: int
    database: Database
    _listener: socket.socket
    _accept_thread: threading.Thread | None = None
    _clients: dict[int, tuple[socket.socket, threading.Thread]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"mssql://{self.host}:{self.port}/LearningHub"

    def connections(self) -> int:
        with self._lock:
            return len(self._clients)

    def admin_execute(self, sql: str) -> list[list[Row]]:
        """Run a T-SQL batch as `sa` in-process; returns the result sets, raises SqlError on error."""
        session = self.database.session(ADMIN)
        try:
            results: list[list[Row]] = []
            for ev in session.run_batch(sql):
                if isinstance(ev, Error):
                    raise ev.error
                if isinstance(ev, Rows):
                    results.append(list(ev.rows))
            return results
        finally:
            session.close()

    def stop(self) -> None:
        """Stop accepting, close every client connection, join their threads (bounded)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            clients = list(self._clients.values())
        for sock, _thread in clients:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _sock, thread in clients:
            thread.join(STOP_JOIN_S)
        if self._accept_thread is not None:
            self._accept_thread.join(STOP_JOIN_S)

    # ------------------------------------------------------------------ internals
    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _addr = self._listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if len(self._clients) >= MAX_CONNECTIONS:
                    log.warning("refusing a connection: %d already open", MAX_CONNECTIONS)
                    sock.close()
                    continue
                thread = threading.Thread(
                    target=self._serve, args=(sock,), daemon=True, name=f"mssql-conn-{sock.fileno()}"
                )
                self._clients[id(sock)] = (sock, thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            Session(sock, self.database).run()
        finally:
            with contextlib.suppress(OSError):
                sock.close()
            with self._lock:
                self._clients.pop(id(sock), None)


def start_server(
    state_dir: Path, host: str = "127.0.0.1", port: int = 0, *, sa_password: str, app_password: str
) -> RunningServer:
    """Open (or create and seed) the database in `state_dir` and serve TDS on host:port."""
    if not sa_password or not app_password:
        raise ValueError("both passwords must be non-empty")
    database = Database(Path(state_dir), sa_password=sa_password, app_password=app_password)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)
    server = RunningServer(host, listener.getsockname()[1], database, listener)
    server._accept_thread = threading.Thread(target=server._accept_loop, daemon=True, name="mssql-accept")
    server._accept_thread.start()
    return server


__all__ = ["RunningServer", "SqlError", "start_server"]
