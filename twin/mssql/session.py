"""One client connection: PRELOGIN, LOGIN7, then SQL batches, RPCs, transaction requests, ATTENTION.

Hand-written (MS-TDS): the state machine a SQL Server runs per connection, turning engine events
into tokens. Replies stream packet by packet; between packets and inside long SQLite statements
the socket is polled for ATTENTION so a cancel really stops the work. Any protocol error ends
only this connection (an ERROR token when the stream still allows it, then close).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import time
from collections.abc import Iterator
from decimal import Decimal

from twin.mssql import engine as E
from twin.mssql import rpc as R
from twin.mssql import tokens as K
from twin.mssql.batch import parse_param_decl
from twin.mssql.catalog import DATABASE
from twin.mssql.errors import SqlError, not_supported
from twin.mssql.login import TDS74, parse_login7, parse_prelogin, prelogin_answer
from twin.mssql.packets import (
    STATUS_RESET,
    STATUS_RESET_SKIPTRAN,
    Cancelled,
    ClientGone,
    PacketIO,
    PacketType,
    ProtocolError,
    Reader,
    Response,
)
from twin.mssql.translate import OutCol
from twin.mssql.types import INT, Encoder, SqlType, column_encoder, convert, parse_type

log = logging.getLogger("twin.mssql")

LOGIN_TIMEOUT_S = 10.0  # PRELOGIN + LOGIN7 must arrive within this
BODY_TIMEOUT_S = 30.0  # the rest of a message, once its first packet arrived
MAX_MESSAGE = 64 * 1024 * 1024
MAX_LOGIN_MESSAGE = 128 * 1024
TM_BEGIN, TM_COMMIT, TM_ROLLBACK, TM_SAVE = 5, 7, 8, 9


class Session:
    def __init__(self, sock: socket.socket, db: E.Database) -> None:
        self.sock = sock
        self.db = db
        self.io = PacketIO(sock, max_message=MAX_LOGIN_MESSAGE)
        self.engine: E.EngineSession | None = None
        self.tds73 = True
        self._pending: tuple[int, int, int, int] | None = None  # (token, status, curcmd, count)
        # id(columns) -> (columns, COLMETADATA, encoders); the columns are kept so the id stays theirs
        self._meta_cache: dict[int, tuple[list[OutCol], bytes, list[Encoder]]] = {}

    # ------------------------------------------------------------------ lifecycle
    def run(self) -> None:
        try:
            if self._login():
                self.io.max_message = MAX_MESSAGE
                self._serve()
        except ClientGone:
            pass
        except ProtocolError as exc:
            log.info("connection closed: protocol error: %s", exc)
            self._send_fatal(4002, f"The incoming tabular data stream (TDS) protocol stream is incorrect. {exc}.")
        except Exception:  # a bug must end this connection only, never the server
            log.exception("connection closed after an internal error")
            self._send_fatal(8624, "Internal error in the SQL Server twin; the connection is closed.")
        finally:
            if self.engine is not None:
                self.engine.close()

    def _send_fatal(self, number: int, message: str) -> None:
        with contextlib.suppress(Exception):  # the peer may be gone already; we are closing anyway
            self.io.send_message(K.message(number, 1, 20, message) + K.done(K.DONE_ERROR))

    # ------------------------------------------------------------------ login
    def _login(self) -> bool:
        deadline = time.monotonic() + LOGIN_TIMEOUT_S
        ptype, _status, payload = self.io.read_message(deadline, BODY_TIMEOUT_S)
        if ptype == PacketType.PRELOGIN:
            self.io.send_message(prelogin_answer(parse_prelogin(payload)))
            ptype, _status, payload = self.io.read_message(deadline, BODY_TIMEOUT_S)
        if ptype != PacketType.LOGIN7:
            raise ProtocolError(f"expected LOGIN7, got packet type {ptype}")
        login = parse_login7(payload)
        version = login.tds_version
        if version < 0x72000000:
            self._refuse(18456, 1, 14, "The SQL Server twin serves TDS 7.2 and later clients only.", login.username)
            return False
        version = min(version, TDS74) if version < 0x80000000 else TDS74
        self.tds73 = version >= 0x73000000
        if login.integrated_security:
            self._refuse(
                18452,
                1,
                14,
                "Login failed. The login is from an untrusted domain and cannot be used "
                "with Integrated authentication.",
                login.username,
            )
            return False
        name, err = self.db.check_login(login.username, login.password)
        if name is None:
            # Like SQL Server, the client only learns 18456 state 1; the reason (bad password, unknown or
            # disabled login) goes to the server log.
            log.info("login failed for %r: %s", login.username[:64], "disabled" if err == 18470 else "bad credentials")
            self._refuse(18456, 1, 14, f"Login failed for user '{login.username}'.", login.username)
            return False
        database = login.database or DATABASE
        if database.strip("[]").lower() != DATABASE.lower():
            self.io.send_message(
                K.message(4060, 1, 11, f'Cannot open database "{database}" requested by the login. The login failed.')
                + K.message(18456, 1, 14, f"Login failed for user '{login.username}'.")
                + K.done(K.DONE_ERROR)
            )
            return False
        self.engine = self.db.session(name)
        self.engine.conn.set_progress_handler(self._attention_during_statement, 20000)
        self.io.spid = self.engine.spid
        size = login.packet_size or 4096
        size = max(512, min(size, 32767))
        out = bytearray()
        out += K.env_string(K.ENV_DATABASE, DATABASE, "master")
        out += K.message(5701, 2, 0, f"Changed database context to '{DATABASE}'.", info=True)
        out += K.env_collation()
        out += K.env_string(K.ENV_LANGUAGE, "us_english", "")
        out += K.message(5703, 1, 0, "Changed language setting to us_english.", info=True)
        out += K.loginack(version)
        if login.features:
            acks = [(0x0A, b"\x00")] if 0x0A in login.features else []
            out += K.feature_ext_ack(acks)
        out += K.env_string(K.ENV_PACKETSIZE, str(size), str(self.io.packet_size))
        out += K.done(K.DONE_FINAL)
        self.io.send_message(bytes(out))
        self.io.packet_size = size
        self.cancelled = False
        return True

    def _refuse(self, number: int, state: int, cls: int, text: str, user: str) -> None:
        self.io.send_message(K.message(number, state, cls, text) + K.done(K.DONE_ERROR))

    # ------------------------------------------------------------------ requests
    def _serve(self) -> None:
        eng = self.engine
        assert eng is not None  # a successful _login made it
        while True:
            ptype, status, payload = self.io.read_message(None, BODY_TIMEOUT_S)
            if ptype == PacketType.ATTENTION:
                self.io.send_message(K.done(K.DONE_ATTN))
                continue
            resp = Response(self.io)
            self.cancelled = False
            self._pending = None
            try:
                if status & (STATUS_RESET | STATUS_RESET_SKIPTRAN):
                    self._emit_events(resp, eng.reset(), K.DONE)
                    resp.write(K.env_bytes(K.ENV_RESET_ACK, b"", b""))
                if ptype == PacketType.SQL_BATCH:
                    self._batch(resp, payload)
                elif ptype == PacketType.RPC:
                    self._rpc(resp, payload)
                elif ptype == PacketType.TRANSACTION_MANAGER:
                    self._tm(resp, payload)
                elif ptype in (PacketType.PRELOGIN, PacketType.LOGIN7):
                    raise ProtocolError("login message after login")
                else:
                    self._error(resp, not_supported(f"TDS message type {ptype}"), K.DONE)
                    self._flush_pending(resp, final=True)
                if self.cancelled:
                    raise Cancelled()
            except Cancelled:
                resp.discard()
                self._pending = None
                resp.write(K.done(K.DONE_ATTN))
            resp.finish()

    def _attention_during_statement(self) -> int:
        try:
            if self.io.attention_pending():
                self.cancelled = True
                return 1
        except ClientGone:
            self.cancelled = True
            return 1
        return 0

    def _batch(self, resp: Response, payload: bytes) -> None:
        r = Reader(payload)
        R.skip_all_headers(r)
        if r.remaining() % 2:
            raise ProtocolError("SQL batch text has an odd byte length")
        sql = r.take(r.remaining()).decode("utf-16-le", "replace")
        eng = self.engine
        assert eng is not None
        self._run(resp, eng.run_batch(sql), K.DONE)
        self._flush_pending(resp, final=True)

    def _tm(self, resp: Response, payload: bytes) -> None:
        r = Reader(payload)
        R.skip_all_headers(r)
        kind = r.u16()
        eng = self.engine
        assert eng is not None
        events: list[E.Event] = []
        try:
            if kind == TM_BEGIN:
                if eng.trancount:
                    eng.trancount += 1
                else:
                    events += eng.begin()
            elif kind in (TM_COMMIT, TM_ROLLBACK):
                r.b_varchar()
                flags = r.u8() if r.remaining() else 0
                if kind == TM_COMMIT:
                    if eng.trancount:
                        eng.trancount = 1
                    events += eng.commit()
                else:
                    events += eng.rollback_all()
                if flags & 0x01:
                    events += eng.begin()
            else:
                raise not_supported(f"transaction manager request {kind}")
        except SqlError as exc:
            events.append(E.Error(exc))
        except Exception as exc:  # SQLite failing a COMMIT must become an error token, not a dropped socket
            events.append(E.Error(SqlError(3930, f"The current transaction cannot be committed: {exc}")))
        self._emit_events(resp, events, K.DONE)
        self._flush_pending(resp, final=True)

    def _rpc(self, resp: Response, payload: bytes) -> None:
        try:
            calls = R.parse_rpc(payload, tds72=True)
        except SqlError as exc:
            self._error(resp, exc, K.DONEPROC)
            self._flush_pending(resp, final=True)
            return
        for i, call in enumerate(calls):
            self._call(resp, call)
            self._flush_pending(resp, final=i == len(calls) - 1)

    def _call(self, resp: Response, call: R.RpcCall) -> None:
        eng = self.engine
        assert eng is not None
        p = call.params
        returns: list[tuple[int, str, SqlType, object]] = []
        failed = False
        try:
            if call.proc == "sp_executesql":
                if not p or not isinstance(p[0].value, str):
                    raise SqlError(214, "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.")
                decl = p[1].value if len(p) > 1 and isinstance(p[1].value, str) else ""
                values = p[2:] if len(p) > 1 else []
                failed = self._run(resp, eng.run_batch(p[0].value, self._bind(decl, values), nested=True), K.DONEINPROC)
            elif call.proc in ("sp_prepare", "sp_prepexec"):
                if len(p) < 3 or not isinstance(p[2].value, str):
                    raise SqlError(214, "Procedure expects parameter '@stmt' of type 'ntext/nchar/nvarchar'.")
                decl = p[1].value if isinstance(p[1].value, str) else ""
                parse_param_decl(decl)
                handle = eng.prepare(p[2].value, decl)
                returns.append((0, p[0].name, INT, handle))
                if call.proc == "sp_prepexec":
                    failed = self._run(
                        resp, eng.run_batch(p[2].value, self._bind(decl, p[3:]), nested=True), K.DONEINPROC
                    )
            elif call.proc == "sp_execute":
                handle = _prepared_handle(eng, p[0].value if p else None)
                sql, decls = eng.prepared[handle]
                failed = self._run(resp, eng.run_batch(sql, self._bind_decls(decls, p[1:]), nested=True), K.DONEINPROC)
            elif call.proc == "sp_unprepare":
                del eng.prepared[_prepared_handle(eng, p[0].value if p else None)]
            else:
                raise SqlError(2812, f"Could not find stored procedure '{call.proc}'.", state=62)
        except SqlError as exc:
            self._error(resp, exc, K.DONEINPROC)
            failed = True
        for prm in p:
            if prm.by_ref and not any(r[1] == prm.name for r in returns):
                returns.append((p.index(prm), prm.name, prm.wire_type, prm.value))
        self._flush_pending(resp, final=False)
        resp.write(K.return_status(1 if failed else 0))
        for ordinal, name, t, value in returns:
            resp.write(K.return_value(ordinal, "@" + name if name else "", t, column_encoder(t)(value)))
        self._pending = (K.DONEPROC, K.DONE_ERROR if failed else 0, 0, 0)

    def _bind(self, decl: str, values: list[R.Param]) -> E.Params:
        return self._bind_decls(parse_param_decl(decl), values)

    def _bind_decls(self, decls: E.ParamDecls, values: list[R.Param]) -> E.Params:
        """Match supplied values to declarations (by name, else by position) and convert them."""
        out: E.Params = {}
        by_name = {v.name.lower(): v for v in values if v.name}
        positional = [v for v in values if not v.name]
        for i, (name, type_text, _is_out) in enumerate(decls):
            t = parse_type(type_text)
            v = by_name.pop(name.lower(), None)
            if v is None and i < len(positional):
                v = positional[i]
            if v is None:
                text = ",".join(f"@{n} {tt}" for n, tt, _o in decls)
                raise SqlError(
                    8178,
                    f"The parameterized query '({text[:100]})' expects the parameter '@{name}', "
                    "which was not supplied.",
                    state=1,
                )
            out[name.lower()] = (t, convert(v.value, v.wire_type, t, explicit=True))
        if by_name:
            extra = next(iter(by_name))
            raise SqlError(8145, f"@{extra} is not a parameter for procedure sp_executesql.", state=1)
        return out

    # ------------------------------------------------------------------ event -> token writing
    def _run(self, resp: Response, events: Iterator[E.Event], done_token: int) -> bool:
        """Write a batch's events as tokens; True if an error was reported."""
        failed = False
        try:
            for ev in events:
                if self.cancelled:
                    raise Cancelled()
                failed = self._emit(resp, ev, done_token) or failed
        except _RowError:
            failed = True
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()
        return failed

    def _emit_events(self, resp: Response, events: list[E.Event], done_token: int) -> None:
        for ev in events:
            self._emit(resp, ev, done_token)

    def _emit(self, resp: Response, ev: E.Event, done_token: int) -> bool:
        if isinstance(ev, E.Rows):
            self._rows(resp, ev, done_token)
        elif isinstance(ev, E.Done):
            self._flush_pending(resp, final=False)
            status = 0 if ev.count is None else K.DONE_COUNT
            self._pending = (done_token, status, ev.curcmd, ev.count or 0)
        elif isinstance(ev, E.Error):
            if self.cancelled:
                raise Cancelled()
            self._error(resp, ev.error, done_token)
            return True
        elif isinstance(ev, E.Info):
            self._flush_pending(resp, final=False)
            resp.write(K.message(ev.number, ev.state, 0, ev.message, info=True))
        elif isinstance(ev, E.Env):
            self._flush_pending(resp, final=False)
            resp.write(self._env(ev))
        return False

    def _env(self, ev: E.Env) -> bytes:
        if ev.kind == "begin":
            return K.env_bytes(K.ENV_BEGIN_TRAN, struct.pack("<Q", ev.value), b"")
        if ev.kind == "commit":
            return K.env_bytes(K.ENV_COMMIT_TRAN, b"", struct.pack("<Q", ev.value))
        if ev.kind == "rollback":
            return K.env_bytes(K.ENV_ROLLBACK_TRAN, b"", struct.pack("<Q", ev.value))
        return K.env_string(K.ENV_DATABASE, str(ev.value), str(ev.value))

    def _error(self, resp: Response, err: SqlError, done_token: int) -> None:
        self._flush_pending(resp, final=False)
        resp.write(K.message(err.number, err.state, err.cls, err.message))
        self._pending = (done_token, K.DONE_ERROR, 0, 0)

    def _flush_pending(self, resp: Response, *, final: bool) -> None:
        pending = self._pending
        if pending is None:
            if final:
                resp.write(K.done(K.DONE_FINAL))
            return
        token, status, curcmd, count = pending
        self._pending = None
        if not final:
            status |= K.DONE_MORE
        resp.write(K.done(status, curcmd, count, token))

    def _rows(self, resp: Response, ev: E.Rows, done_token: int) -> None:
        self._flush_pending(resp, final=False)
        cached = self._meta_cache.get(id(ev.columns))
        if cached is None or cached[0] is not ev.columns:
            meta = K.colmetadata([(c.name, c.type, c.nullable) for c in ev.columns], self.tds73)
            encoders = [column_encoder(c.type, self.tds73) for c in ev.columns]
            cached = (ev.columns, meta, encoders)
            if len(self._meta_cache) > 256:
                self._meta_cache.clear()
            self._meta_cache[id(ev.columns)] = cached
        _cols, meta, encoders = cached
        resp.write(meta)
        n = 0
        rows = ev.rows
        try:
            for row in rows:
                resp.write(b"\xd1" + b"".join([enc(v) for enc, v in zip(encoders, row, strict=True)]))
                n += 1
        except SqlError as exc:
            # A value that does not fit its declared type (e.g. SUM overflowing int) ends the batch.
            self._error(resp, exc, done_token)
            raise _RowError() from None
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
        eng = self.engine
        count = n if ev.count_known is None else ev.count_known
        nocount = eng is not None and eng.nocount
        self._pending = (done_token, 0 if nocount else K.DONE_COUNT, ev.curcmd, 0 if nocount else count)


def _prepared_handle(eng: E.EngineSession, value: R.Value) -> int:
    """The handle of the prepared statement `value` names (a float or decimal equal to it names it too), else 8179."""
    if isinstance(value, int | float | Decimal) and value in eng.prepared:
        return int(value)
    raise SqlError(8179, f"Could not find prepared statement with handle {value!s}.")


class _RowError(Exception):
    """A row failed to encode; the error token is written and the batch stops."""
