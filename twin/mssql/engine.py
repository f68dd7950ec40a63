"""The SQL side: one SQLite database (WAL), logins and permissions, sessions, transactions, plan cache.

Hand-written because this is the stand-in's own policy, not a library concern:

* transactions follow SQL Server's READ COMMITTED: reads never hold a snapshot between
  statements; the first write of a transaction takes the single writer slot (a process-wide lock
  with a bounded wait, then SQLite `BEGIN IMMEDIATE`), so a second writer waits for the first
  one's commit instead of failing with "database is locked";
* SQLite errors become SQL Server errors (2627, 515, 547, 208, 1222 ...);
* the plan cache maps (batch text, parameter declarations) to parsed statements and bound plans,
  so repeated statements skip sqlglot entirely.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import sqlite3
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlglot import exp

from twin.mssql import batch as B
from twin.mssql import functions as F
from twin.mssql import schema
from twin.mssql import types as T
from twin.mssql.catalog import DATABASE, Catalog, Table, sqlite_ddl, table_from_create
from twin.mssql.errors import SqlError, permission_denied
from twin.mssql.tokens import CMD_DELETE, CMD_INSERT, CMD_UPDATE
from twin.mssql.translate import Binder, OutCol, Plan
from twin.mssql.types import SqlType, Storage
from twin.state import MSSQL_DATABASE_FILE

LOCK_TIMEOUT_S = 20.0
PLAN_CACHE_SIZE = 2000
ADMIN = "sa"
APP = "learninghub_app"
_CONSTRAINT_ERRORS = {515, 544, 547, 2627, 2628, 2601, 220, 8115}

Row = tuple[Storage, ...]  # as SQLite returns it
Params = dict[str, tuple[SqlType, object]]  # name (lower case, without @) -> (declared type, value)
ParamDecls = tuple[tuple[str, str, bool], ...]  # (name, type text, is_output): batch.parse_param_decl's


@dataclass
class Rows:
    """A result set: column descriptions and an iterator of storage-form rows."""

    columns: list[OutCol]
    rows: Iterator[Row]
    curcmd: int
    count_known: int | None = None


@dataclass
class Done:
    curcmd: int
    count: int | None  # None: no row count to report (SET NOCOUNT ON or a statement without one)


@dataclass
class Error:
    error: SqlError


@dataclass
class Info:
    number: int
    message: str
    state: int = 1


@dataclass
class Env:
    kind: str  # begin | commit | rollback | database
    value: int | str  # the transaction id, or the database name


Event = Rows | Done | Error | Info | Env


# ------------------------------------------------------------------ database


@dataclass
class Login:
    name: str
    password: str
    enabled: bool = True


class Database:
    """The state folder's database file plus everything sessions share."""

    def __init__(self, state_dir: Path, *, sa_password: str, app_password: str) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / MSSQL_DATABASE_FILE
        self.catalog = Catalog()
        self.write_lock = threading.Lock()
        self.cache: OrderedDict[_PlanKey, list[_Unit]] = OrderedDict()
        self.cache_lock = threading.Lock()
        self.logins = {ADMIN: Login("sa", sa_password), APP: Login(APP, app_password)}
        self.perms: dict[tuple[str, str], set[str]] = {}  # (user, table lower) -> granted perms
        self.denies: dict[tuple[str, str], set[str]] = {}
        self._spid = 50
        self._spid_lock = threading.Lock()
        fresh = not self.path.exists()
        boot = sqlite3.connect(self.path, isolation_level=None, timeout=LOCK_TIMEOUT_S)
        try:
            boot.execute("PRAGMA journal_mode=WAL")
            boot.execute("CREATE TABLE IF NOT EXISTS _twin_ddl (name TEXT PRIMARY KEY, seq INTEGER, tsql TEXT)")
            boot.execute(
                "CREATE TABLE IF NOT EXISTS _twin_perms (username TEXT, tbl TEXT, perm TEXT, state TEXT, "
                "PRIMARY KEY (username, tbl, perm))"
            )
            boot.execute("CREATE TABLE IF NOT EXISTS _twin_meta (key TEXT PRIMARY KEY, value TEXT)")
            seeded = boot.execute("SELECT value FROM _twin_meta WHERE key = 'seeded'").fetchone()
        finally:
            boot.close()
        self.reload_catalog()
        self._load_perms()
        if fresh or not seeded:
            self._create_schema()

    def next_spid(self) -> int:
        with self._spid_lock:
            self._spid += 1
            return self._spid

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=LOCK_TIMEOUT_S, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        F.register(conn)
        return conn

    def reload_catalog(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=LOCK_TIMEOUT_S)
        try:
            rows = conn.execute("SELECT tsql FROM _twin_ddl ORDER BY seq").fetchall()
        finally:
            conn.close()
        catalog = Catalog()
        for (tsql,) in rows:
            stmt = B.classify(tsql, B.split(tsql)[0][1])
            assert isinstance(stmt, B.Parsed)
            assert isinstance(stmt.tree, exp.Create)  # the table's own CREATE TABLE text
            catalog.add(table_from_create(stmt.tree, tsql))
        catalog.version = self.catalog.version + 1
        self.catalog = catalog

    def _load_perms(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=LOCK_TIMEOUT_S)
        try:
            rows = conn.execute("SELECT username, tbl, perm, state FROM _twin_perms").fetchall()
        finally:
            conn.close()
        self.perms.clear()
        self.denies.clear()
        for user, tbl, perm, state in rows:
            target = self.perms if state == "GRANT" else self.denies
            target.setdefault((user, tbl), set()).add(perm)

    def _create_schema(self) -> None:
        s = self.session(ADMIN)
        try:
            for ddl in schema.DDL:
                s.run_checked(ddl)
            decl = [(n, T.parse_type(t)) for n, t, _o in B.parse_param_decl(schema.SEED_DECL)]
            s.run_checked("BEGIN TRAN")
            for row in schema.seed_rows():
                s.run_checked(
                    schema.SEED_SQL,
                    {n.lower(): (t, T.convert(v, _python_type(v), t)) for (n, t), v in zip(decl, row, strict=True)},
                )
            for table in schema.APP_TABLES:
                s.run_checked(f"GRANT {', '.join(schema.APP_PERMISSIONS)} ON dbo.{table} TO {APP}")
            s.run_checked("COMMIT")
            s.conn.execute("INSERT OR REPLACE INTO _twin_meta VALUES ('seeded', '1')")
        finally:
            s.close()

    def session(self, login: str) -> EngineSession:
        return EngineSession(self, self.logins[login].name)

    def check_login(self, name: str, password: str) -> tuple[str | None, int]:
        """(canonical login, 0) on success, else (None, error number)."""
        login = self.logins.get(name.lower())
        if login is None or not _same(login.password, password):
            return None, 18456
        if not login.enabled:
            return None, 18470
        return login.name, 0

    # plan cache -------------------------------------------------------------
    def cached(self, key: _PlanKey) -> list[_Unit] | None:
        with self.cache_lock:
            units = self.cache.get(key)
            if units is not None:
                self.cache.move_to_end(key)
            return units

    def remember(self, key: _PlanKey, units: list[_Unit]) -> None:
        with self.cache_lock:
            self.cache[key] = units
            if len(self.cache) > PLAN_CACHE_SIZE:
                self.cache.popitem(last=False)

    def allowed(self, user: str, perm: str, table: str) -> bool:
        if user == ADMIN:
            return True
        key = (user, table.lower())
        return perm in self.perms.get(key, ()) and perm not in self.denies.get(key, ())


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _python_type(v: object) -> SqlType:
    if isinstance(v, bool):
        return T.BIT
    if isinstance(v, int):
        return T.BIGINT
    if isinstance(v, float):
        return T.FLOAT
    if isinstance(v, Decimal):
        exponent = v.as_tuple().exponent
        assert isinstance(exponent, int)  # a letter only for NaN and infinities, which the seed has none of
        return T.decimal_type(38, max(-exponent, 0))
    if isinstance(v, bytes):
        return SqlType("varbinary", T.MAX)
    if isinstance(v, dt.datetime):
        return T.DATETIME2
    if isinstance(v, dt.date):
        return T.DATE
    if isinstance(v, uuid.UUID):
        return T.GUID
    return T.nvarchar(T.MAX)


@dataclass
class _Unit:
    stmt: B.Statement
    plan: Plan | None = None
    version: int = -1


_PlanKey = tuple[str, tuple[tuple[str, SqlType], ...]]  # (batch text, parameter types)


class EngineSession:
    """One client's SQLite connection and session state (transactions, SET options, identity)."""

    def __init__(self, db: Database, login: str) -> None:
        self.db = db
        self.login = login
        self.spid = db.next_spid()
        self.conn = db.connect()
        self.trancount = 0
        self.tran_id = 0
        self.write_active = False
        self.ddl_dirty = False
        self.nocount = False
        self.xact_abort = False
        self.scope_identity: int | None = None  # SCOPE_IDENTITY(): this scope's last identity
        self.identity: int | None = None  # @@IDENTITY: the session's last identity, any scope
        self.rowcount = 0
        self.prepared: dict[int, tuple[str, ParamDecls]] = {}
        self._next_handle = 1
        self.conn.create_function("twin_scope_identity", 0, lambda: self.scope_identity)
        self.conn.create_function("twin_identity", 0, lambda: self.identity)
        self.conn.create_function("twin_spid", 0, lambda: self.spid)
        self.conn.create_function("twin_trancount", 0, lambda: self.trancount)
        self.conn.create_function("twin_rowcount", 0, lambda: self.rowcount)
        self.conn.create_function("twin_system_user", 0, lambda: self.login)
        self.conn.create_function("twin_user_name", 0, lambda: "dbo" if self.login == ADMIN else self.login)
        self.conn.create_function("twin_visible", 1, lambda t: 1 if self._visible(t) else 0)

    def _visible(self, table: str) -> bool:
        return any(self.db.allowed(self.login, p, table) for p in ("SELECT", "INSERT", "UPDATE", "DELETE"))

    # ------------------------------------------------------------------ public API
    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._end_write(commit=False)
        with contextlib.suppress(Exception):
            self.conn.close()

    def reset(self) -> list[Event]:
        """sp_reset_connection: roll back, restore SET options (RESETCONNECTION flag)."""
        events = self.rollback_all() if self.trancount else []
        self.nocount = False
        self.xact_abort = False
        self.prepared.clear()
        return events

    def run_checked(self, sql: str, params: Params | None = None) -> list[list[Row]]:
        """Run a batch and raise its first error (internal use: schema, seed, admin helpers)."""
        out: list[list[Row]] = []
        for ev in self.run_batch(sql, params):
            if isinstance(ev, Error):
                raise ev.error
            if isinstance(ev, Rows):
                out.append(list(ev.rows))
        return out

    def prepare(self, sql: str, decl: str) -> int:
        handle = self._next_handle
        self._next_handle += 1
        self.prepared[handle] = (sql, B.parse_param_decl(decl))
        return handle

    def run_batch(self, sql: str, params: Params | None = None, *, nested: bool = False) -> Iterator[Event]:
        """Execute a batch; yields result sets, row counts, errors and transaction changes in order.

        `nested` runs it as sp_executesql does: a scope of its own for SCOPE_IDENTITY().
        """
        if nested:
            outer = self.scope_identity
            self.scope_identity = None
            try:
                yield from self.run_batch(sql, params)
            finally:
                self.scope_identity = outer
            return
        decl_key = tuple((k, v[0]) for k, v in params.items()) if params else ()
        key = (sql, decl_key)
        units = self.db.cached(key)
        if units is None:
            try:
                units = [_Unit(B.classify(text, toks)) for text, toks in B.split(sql)]
            except SqlError as exc:
                yield Error(exc)
                return
            self.db.remember(key, units)
        ptypes = {k: v[0] for k, v in params.items()} if params else {}
        bind_values = {f"p_{k}": v[1] for k, v in params.items()} if params else {}
        for unit in units:
            try:
                if isinstance(unit.stmt, B.Control):
                    yield from self._control(unit.stmt)
                    continue
                plan = unit.plan
                if plan is None or unit.version != self.db.catalog.version:
                    plan = self._bind(unit.stmt, ptypes)
                    if plan is not None:
                        unit.plan, unit.version = plan, self.db.catalog.version
                if plan is None:
                    self._ddl(unit.stmt)
                    continue
                yield from self._execute(plan, bind_values)
            except SqlError as exc:
                yield from self._on_error(exc)
                if exc.batch_abort or self.xact_abort:
                    return

    # ------------------------------------------------------------------ transactions
    def begin(self) -> list[Event]:
        self.trancount += 1
        if self.trancount == 1:
            self.tran_id = (self.spid << 32) | (self._next_tran() & 0xFFFFFFFF)
            return [Env("begin", self.tran_id)]
        return []

    _tran_seq = itertools.count(1)  # next() on a count is atomic under the GIL

    def _next_tran(self) -> int:
        return next(EngineSession._tran_seq)

    def commit(self) -> list[Event]:
        if self.trancount == 0:
            raise SqlError(3902, "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.")
        self.trancount -= 1
        if self.trancount:
            return []
        try:
            self._end_write(commit=True)
        finally:
            self.ddl_dirty = False
        return [Env("commit", self.tran_id)]

    def rollback_all(self) -> list[Event]:
        if self.trancount == 0:
            raise SqlError(3903, "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.")
        self.trancount = 0
        self._end_write(commit=False)
        if self.ddl_dirty:
            self.ddl_dirty = False
            self.db.reload_catalog()
        return [Env("rollback", self.tran_id)]

    def _begin_write(self) -> None:
        if self.write_active:
            return
        if not self.db.write_lock.acquire(timeout=LOCK_TIMEOUT_S):
            raise SqlError(1222, "Lock request time out period exceeded.", state=51)
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self.db.write_lock.release()
            raise self._map(exc, None) from None
        self.write_active = True

    def _end_write(self, commit: bool) -> None:
        if not self.write_active:
            return
        try:
            self.conn.execute("COMMIT" if commit else "ROLLBACK")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self.write_active = False
            self.db.write_lock.release()

    # ------------------------------------------------------------------ statements
    def _control(self, c: B.Control) -> Iterator[Event]:
        kind = c.kind
        if kind == "begin":
            yield from self.begin()
        elif kind == "commit":
            yield from self.commit()
        elif kind == "rollback":
            yield from self.rollback_all()
        elif kind == "if_commit":
            if self.trancount:
                yield from self.commit()
        elif kind == "if_rollback":
            if self.trancount:
                yield from self.rollback_all()
        elif isinstance(c, B.SetOptions):
            for opt in c.options:
                if opt == "NOCOUNT":
                    self.nocount = c.value == "ON"
                elif opt == "XACT_ABORT":
                    self.xact_abort = c.value == "ON"
        elif isinstance(c, B.Use):
            name = c.database.strip("[]")
            if name.lower() != DATABASE.lower():
                raise SqlError(
                    911,
                    f"Database '{name}' does not exist. Make sure that the name is entered correctly.",
                    batch_abort=True,
                )
            yield Env("database", DATABASE)
            yield Info(5701, f"Changed database context to '{DATABASE}'.", 1)
        elif isinstance(c, B.Grant):
            self._grant(c.verb, c.perms, c.schema, c.table, c.user)
        elif isinstance(c, B.AlterLogin):
            self._alter_login(c.name, c.action, c.password)
        elif isinstance(c, B.Truncate):
            yield from self._truncate(c.schema, c.table)
        # isolation level and harmless SET options: accepted, READ COMMITTED semantics regardless

    def _grant(self, verb: str, perms: tuple[str, ...], schema_name: str | None, table_name: str, user: str) -> None:
        if self.login != ADMIN:
            raise SqlError(
                15151,
                f"Cannot find the object '{table_name}', because it does not exist or you do not have permission.",
                cls=16,
                state=1,
            )
        if schema_name and schema_name.lower() != "dbo":
            raise SqlError(
                15151,
                f"Cannot find the object '{table_name}', because it does not exist or you do not have permission.",
            )
        table = self.db.catalog.get(table_name.strip("[]"))
        if table is None:
            raise SqlError(
                15151,
                f"Cannot find the object '{table_name}', because it does not exist or you do not have permission.",
            )
        who = user.strip("[]").lower()
        if who != APP:
            raise SqlError(
                15151, f"Cannot find the user '{user}', because it does not exist or you do not have permission."
            )
        key = (APP, table.name.lower())
        self._begin_write()
        try:
            for perm in perms:
                self.db.perms.get(key, set()).discard(perm)
                self.db.denies.get(key, set()).discard(perm)
                self.conn.execute("DELETE FROM _twin_perms WHERE username=? AND tbl=? AND perm=?", (APP, key[1], perm))
                if verb in ("GRANT", "DENY"):
                    (self.db.perms if verb == "GRANT" else self.db.denies).setdefault(key, set()).add(perm)
                    self.conn.execute("INSERT INTO _twin_perms VALUES (?, ?, ?, ?)", (APP, key[1], perm, verb))
        finally:
            if self.trancount == 0:
                self._end_write(commit=True)

    def _alter_login(self, name: str, action: str, password: str | None) -> None:
        login = self.db.logins.get(name.strip("[]").lower())
        if self.login != ADMIN or login is None:
            raise SqlError(
                15151, f"Cannot alter the login '{name}', because it does not exist or you do not have permission."
            )
        if action == "PASSWORD":
            login.password = password or ""
        else:
            login.enabled = action == "ENABLE"

    def _truncate(self, schema_name: str | None, table_name: str) -> Iterator[Event]:
        table = self.db.catalog.get(table_name.strip("[]"))
        if table is None or (schema_name and schema_name.lower() != "dbo") or self.login != ADMIN:
            raise SqlError(
                4701,
                f'Cannot find the object "{table_name}" because it does not exist or you do not have permissions.',
                batch_abort=True,
            )
        if self.db.catalog.referencing(table.name):
            raise SqlError(
                4712,
                f"Cannot truncate table '{table.name}' because it is being referenced by a FOREIGN KEY constraint.",
                batch_abort=True,
            )
        self._begin_write()
        try:
            self.conn.execute(f'DELETE FROM "{table.name}"')
            with contextlib.suppress(sqlite3.OperationalError):
                self.conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table.name,))
        finally:
            if self.trancount == 0:
                self._end_write(commit=True)
        return iter(())

    def _bind(self, stmt: B.Parsed, ptypes: dict[str, SqlType]) -> Plan | None:
        tree = stmt.tree
        if isinstance(tree, exp.Create | exp.Drop):
            return None
        return Binder(self.db.catalog, ptypes).bind(tree.copy())

    def _ddl(self, stmt: B.Parsed) -> None:
        tree = stmt.tree
        if isinstance(tree, exp.Create):
            if (tree.args.get("kind") or "").upper() != "TABLE":
                raise SqlError(
                    40517, f"CREATE {tree.args.get('kind')} is not supported by the SQL Server twin.", batch_abort=True
                )
            if self.login != ADMIN:
                raise SqlError(262, f"CREATE TABLE permission denied in database '{DATABASE}'.", cls=14, state=1)
            created = table_from_create(tree, stmt.text)
            self._begin_write()
            try:
                self.db.catalog.add(created)
                try:
                    for ddl in sqlite_ddl(created):
                        self.conn.execute(ddl)
                    seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM _twin_ddl").fetchone()[0]
                    self.conn.execute("INSERT INTO _twin_ddl VALUES (?, ?, ?)", (created.name.lower(), seq, stmt.text))
                except sqlite3.Error as exc:
                    self.db.catalog.drop(created.name)
                    raise self._map(exc, None) from None
                self.ddl_dirty = self.trancount > 0
            finally:
                if self.trancount == 0:
                    self._end_write(commit=True)
            return
        assert isinstance(tree, exp.Drop)
        if (tree.args.get("kind") or "").upper() != "TABLE" or len(tree.expressions) > 1:
            raise SqlError(40517, "Only DROP TABLE of one table is supported by the SQL Server twin.", batch_abort=True)
        target = tree.this
        table = self.db.catalog.get(target.name)
        if table is None or (target.db and target.db.lower() != "dbo") or self.login != ADMIN:
            if tree.args.get("exists") and self.login == ADMIN:
                return
            raise SqlError(
                3701,
                f"Cannot drop the table '{target.sql('tsql')}', because it does not exist or you "
                "do not have permission.",
                cls=11,
                state=5,
            )
        refs = self.db.catalog.referencing(table.name)
        if refs:
            raise SqlError(
                3726,
                f"Could not drop object 'dbo.{table.name}' because it is referenced by a FOREIGN KEY constraint.",
                cls=16,
                state=1,
            )
        self._begin_write()
        try:
            self.conn.execute(f'DROP TABLE "{table.name}"')
            self.conn.execute("DELETE FROM _twin_ddl WHERE name = ?", (table.name.lower(),))
            self.conn.execute("DELETE FROM _twin_perms WHERE tbl = ?", (table.name.lower(),))
            self.db.catalog.drop(table.name)
            self.ddl_dirty = self.trancount > 0
        finally:
            if self.trancount == 0:
                self._end_write(commit=True)

    def _execute(self, plan: Plan, values: dict[str, object]) -> Iterator[Event]:
        for perm, table in plan.perms:
            if not self.db.allowed(self.login, perm, table):
                raise permission_denied(perm, table, DATABASE)
        args = {f"p_{n}": values[f"p_{n}"] for n in plan.params}
        if not plan.writes:
            cur = self._run(plan, args)
            yield Rows(plan.columns or [], self._stream(cur, plan), plan.curcmd)
            return
        autocommit = self.trancount == 0
        self._begin_write()
        try:
            cur = self._run(plan, args)
            rows = cur.fetchall() if plan.columns is not None else []
            count = len(rows) if plan.columns is not None else cur.rowcount
            if plan.kind == "insert" and plan.table is not None and plan.table.identity and count > 0:
                self.scope_identity = self.identity = cur.lastrowid
            cur.close()
        except SqlError:
            if autocommit:
                self._end_write(commit=False)
            raise
        except sqlite3.Error as exc:
            if autocommit:
                self._end_write(commit=False)
            raise self._map(exc, plan) from None
        if autocommit:
            try:
                self._end_write(commit=True)
            except sqlite3.Error as exc:
                raise self._map(exc, plan) from None
        self.rowcount = count
        if plan.columns is not None:
            yield Rows(plan.columns, iter(rows), plan.curcmd, count)
        else:
            yield Done(plan.curcmd, None if self.nocount else count)

    def _run(self, plan: Plan, args: dict[str, object]) -> sqlite3.Cursor:
        F.clear_pending_error()
        try:
            return self.conn.execute(plan.sql, args)
        except sqlite3.Error as exc:
            raise self._map(exc, plan) from None

    def _stream(self, cur: sqlite3.Cursor, plan: Plan) -> Iterator[Row]:
        n = 0
        try:
            while True:
                try:
                    chunk = cur.fetchmany(256)
                except sqlite3.Error as exc:
                    raise self._map(exc, plan) from None
                if not chunk:
                    break
                n += len(chunk)
                yield from chunk
        finally:
            self.rowcount = n
            cur.close()

    def _on_error(self, exc: SqlError) -> Iterator[Event]:
        yield Error(exc)
        if exc.number in _CONSTRAINT_ERRORS:
            yield Info(3621, "The statement has been terminated.", 0)
        if self.xact_abort and self.trancount:
            yield from self.rollback_all()

    def _map(self, exc: sqlite3.Error, plan: Plan | None) -> SqlError:
        pending = F.take_pending_error()
        if pending is not None:
            return pending
        msg = str(exc)
        table = plan.table if plan else None
        verb = {CMD_INSERT: "INSERT", CMD_UPDATE: "UPDATE", CMD_DELETE: "DELETE"}.get(
            plan.curcmd if plan else 0, "INSERT"
        )
        if msg.startswith("NOT NULL constraint failed: "):
            tname, _, col = msg.split(": ", 1)[1].partition(".")
            return SqlError(
                515,
                f"Cannot insert the value NULL into column '{col}', table '{DATABASE}.dbo.{tname}'; "
                f"column does not allow nulls. {verb} fails.",
                state=2,
            )
        if msg.startswith("UNIQUE constraint failed: "):
            cols = [c.partition(".")[2] for c in msg.split(": ", 1)[1].split(", ")]
            tname = msg.split(": ", 1)[1].split(".")[0]
            t = self.db.catalog.get(tname)
            kind, cname = "UNIQUE KEY", "UQ"
            if t is not None:
                if t.primary_key and [c.lower() for c in t.primary_key[1]] == [c.lower() for c in cols]:
                    kind, cname = "PRIMARY KEY", t.primary_key[0]
                else:
                    cname = next(
                        (n for n, cs in t.uniques if [c.lower() for c in cs] == [c.lower() for c in cols]), cname
                    )
            return SqlError(
                2627,
                f"Violation of {kind} constraint '{cname}'. Cannot insert duplicate key in object 'dbo.{tname}'.",
                cls=14,
                state=1,
            )
        if msg.startswith("FOREIGN KEY constraint failed"):
            return self._fk_error(table, verb)
        if msg.startswith("no such table"):
            name = msg.split(": ", 1)[-1]
            return SqlError(208, f"Invalid object name '{name}'.", batch_abort=True)
        if "database is locked" in msg or "database table is locked" in msg or "busy" in msg:
            return SqlError(1222, "Lock request time out period exceeded.", state=51)
        if msg == "interrupted":
            return SqlError(3617, "Query was cancelled by the client (attention).", cls=0, state=1, batch_abort=True)
        if "too big" in msg:
            return SqlError(8115, "Arithmetic overflow error converting expression to data type int.", state=8)
        return SqlError(8624, f"Internal error in the SQL Server twin: {msg}", cls=16, state=1, batch_abort=True)

    def _fk_error(self, table: Table | None, verb: str) -> SqlError:
        if table is not None and verb in ("INSERT", "UPDATE") and table.foreign_keys:
            fk = table.foreign_keys[0]
            return SqlError(
                547,
                f'The {verb} statement conflicted with the FOREIGN KEY constraint "{fk.name}". The '
                f'conflict occurred in database "{DATABASE}", table "dbo.{fk.ref_table}", column '
                f"'{fk.ref_columns[0]}'.",
                state=0,
            )
        refs = self.db.catalog.referencing(table.name) if table is not None else []
        if refs:
            child, fk = refs[0]
            return SqlError(
                547,
                f'The {verb} statement conflicted with the REFERENCE constraint "{fk.name}". The '
                f'conflict occurred in database "{DATABASE}", table "dbo.{child.name}", column '
                f"'{fk.columns[0]}'.",
                state=0,
            )
        return SqlError(547, f"The {verb} statement conflicted with a FOREIGN KEY constraint.", state=0)
