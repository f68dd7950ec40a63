"""The SQLite functions and collation that give SQLite T-SQL's meaning, registered on every connection.

Hand-written because they *are* the SQL Server semantics the stand-in promises: conversions into a
column's declared type (`twin_put`), CAST/TRY_CAST, integer division and divide-by-zero (8134),
T-SQL LIKE patterns ([a-z], [^x], ESCAPE) compared case-insensitively, LEN ignoring trailing spaces,
case-insensitive REPLACE, CONCAT's NULL-as-empty, ROUND half away from zero, TOP/OFFSET/FETCH
checks, and the SQL_Latin1_General_CP1_CI_AS-like collation `TWIN_CI`. A SqlError raised inside a
function is kept aside (SQLite only reports "user-defined function raised exception").
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from twin.mssql import types as T
from twin.mssql.catalog import DATABASE
from twin.mssql.errors import SqlError
from twin.mssql.expressions import spec
from twin.mssql.types import Storage


class _Pending(threading.local):
    error: SqlError | None = None


_pending = _Pending()


# SQLite calls a function with storage-form arguments, as many as it was registered with.
SqliteFunction = Callable[..., Storage]


def _guard(fn: SqliteFunction) -> SqliteFunction:
    """SQLite only reports "user-defined function raised exception"; keep our SqlError aside."""

    def wrapper(*args: Storage) -> Storage:
        try:
            return fn(*args)
        except SqlError as exc:
            _pending.error = exc
            raise

    return wrapper


# ------------------------------------------------------------------ SQLite functions (session independent)


def _put(v: Storage, sid: int) -> Storage:
    src, dst, table, column = spec(sid)
    try:
        return T.convert(v, src, dst, explicit=False)
    except SqlError as exc:
        if exc.number == 2628:
            raise SqlError(
                2628,
                f"String or binary data would be truncated in table '{DATABASE}.dbo.{table}', "
                f"column '{column}'. Truncated value: '{str(v)[: max(dst.length, 0)]}'.",
            ) from None
        raise


def _cast(v: Storage, sid: int) -> Storage:
    src, dst, _t, _c = spec(sid)
    return T.convert(v, src, dst, explicit=True)


def _try_cast(v: Storage, sid: int) -> Storage:
    try:
        return _cast(v, sid)
    except SqlError:
        return None


def _int_div(a: int, b: int) -> int:
    """Integer division truncating toward zero, as SQL Server (Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _div(a: Storage, b: Storage, int_mode: int) -> int | float | None:
    if a is None or b is None:
        return None
    if b == 0:
        raise SqlError(8134, "Divide by zero error encountered.", batch_abort=True)
    if int_mode and isinstance(a, int) and isinstance(b, int):
        return _int_div(a, b)
    return float(a) / float(b)


def _mod(a: Storage, b: Storage, int_mode: int) -> int | float | None:
    if a is None or b is None:
        return None
    if b == 0:
        raise SqlError(8134, "Divide by zero error encountered.", batch_abort=True)
    if isinstance(a, int) and isinstance(b, int):
        return a - b * _int_div(a, b)
    return math.fmod(float(a), float(b))


_LIKE_CACHE: dict[tuple[str, str | None], re.Pattern[str]] = {}


def _like_regex(pattern: str, escape: str | None) -> re.Pattern[str]:
    key = (pattern, escape)
    rx = _LIKE_CACHE.get(key)
    if rx is None:
        out, i = [], 0
        while i < len(pattern):
            ch = pattern[i]
            if escape and ch == escape and i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            if ch == "%":
                out.append(".*")
            elif ch == "_":
                out.append(".")
            elif ch == "[":
                end = pattern.find("]", i + 1)
                if end == -1:
                    out.append(re.escape(ch))
                else:
                    body = pattern[i + 1 : end]
                    neg = body.startswith("^")
                    body = body[1:] if neg else body
                    out.append("[" + ("^" if neg else "") + body.replace("\\", "\\\\") + "]")
                    i = end
            else:
                out.append(re.escape(ch))
            i += 1
        rx = re.compile("".join(out) + r"\Z", re.I | re.S)
        if len(_LIKE_CACHE) > 4096:
            _LIKE_CACHE.clear()
        _LIKE_CACHE[key] = rx
    return rx


def _like(pattern: Storage, value: Storage, escape: Storage = None) -> int | None:
    if pattern is None or value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return (
        1 if _like_regex(str(pattern), None if escape is None else str(escape)).match(text.rstrip(" ") or text) else 0
    )


def _text_fn(f: Callable[[str], str]) -> Callable[[Storage], str | None]:
    return lambda v: None if v is None else f(v if isinstance(v, str) else str(v))


def _substring(v: Storage, start: Storage, length: Storage) -> str | bytes | None:
    if v is None or start is None or length is None:
        return None
    if int(length) < 0:
        raise SqlError(537, "Invalid length parameter passed to the LEFT or SUBSTRING function.", batch_abort=True)
    s = int(start)
    end = s - 1 + int(length)
    if not isinstance(v, str | bytes):  # a number: fails in SQLite as before (SQL Server would convert it)
        raise TypeError(f"SUBSTRING of a {type(v).__name__} value")
    return v[max(s - 1, 0) : max(end, 0)]


def _replace(v: Storage, old: Storage, new: Storage) -> Storage:
    if v is None or old is None or new is None:
        return None
    if old == "":
        return v
    return re.sub(re.escape(str(old)), lambda _m: str(new), str(v), flags=re.I)


def _concat(*args: Storage) -> str:
    return "".join(T.to_text(a, T.FLOAT if isinstance(a, float) else T.nvarchar(T.MAX)) for a in args if a is not None)


def _round(v: Storage, n: Storage) -> int | float | None:
    if v is None or n is None:
        return None
    if isinstance(v, bytes):  # fails in SQLite as before: Decimal takes no bytes
        raise TypeError("ROUND of a bytes value")
    q = Decimal(repr(v) if isinstance(v, float) else v).quantize(
        Decimal(1).scaleb(-int(n)),
        rounding=ROUND_HALF_UP,
    )
    return int(q) if isinstance(v, int) else float(q)


def _rows(value: Storage, kind: int) -> int:
    n = 0 if value is None else int(value)
    if kind == 1 and n <= 0:
        raise SqlError(
            10744, "The number of rows provided for a FETCH clause must be greater then zero.", batch_abort=True
        )
    if kind == 2 and n < 0:
        raise SqlError(10742, "The offset specified in a OFFSET clause may not be negative.", batch_abort=True)
    if kind == 0 and n < 0:
        raise SqlError(
            1060,
            "The number of rows provided for a TOP or FETCH clauses row count parameter must be an integer.",
            batch_abort=True,
        )
    return n


def _len(v: Storage) -> int | None:
    if v is None:
        return None
    if isinstance(v, bytes):
        return len(v)
    text = v if isinstance(v, str) else T.to_text(v, T.FLOAT if isinstance(v, float) else T.INT)
    return len(text.rstrip(" "))


def _utcnow_text(kind: str) -> str:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return T.convert_datetime(now, T.DATETIME2, T.DATETIME if kind == "datetime" else T.DATETIME2)


def _ci(a: str, b: str) -> int:
    a2, b2 = a.rstrip(" ").casefold(), b.rstrip(" ").casefold()
    return (a2 > b2) - (a2 < b2)


_GLOBAL_FUNCTIONS: list[tuple[str, int, SqliteFunction]] = [
    ("twin_put", 2, _put),
    ("twin_cast", 2, _cast),
    ("twin_try_cast", 2, _try_cast),
    ("twin_div", 3, _div),
    ("twin_mod", 3, _mod),
    ("like", 2, _like),
    ("like", 3, _like),
    ("twin_len", 1, _len),
    ("twin_upper", 1, _text_fn(str.upper)),
    ("twin_lower", 1, _text_fn(str.lower)),
    ("twin_ltrim", 1, _text_fn(lambda s: s.lstrip(" "))),
    ("twin_rtrim", 1, _text_fn(lambda s: s.rstrip(" "))),
    ("twin_trim", 1, _text_fn(lambda s: s.strip(" "))),
    ("twin_substring", 3, _substring),
    ("twin_replace", 3, _replace),
    ("twin_concat", -1, _concat),
    ("twin_round", 2, _round),
    ("twin_rows", 2, _rows),
]


def take_pending_error() -> SqlError | None:
    """The SqlError a function raised during the last failed statement, if any (cleared)."""
    error, _pending.error = _pending.error, None
    return error


def clear_pending_error() -> None:
    _pending.error = None


def register(conn: sqlite3.Connection) -> None:
    """Install the collation and the session-independent functions on a connection."""
    conn.create_collation("TWIN_CI", _ci)
    for name, n, fn in _GLOBAL_FUNCTIONS:
        conn.create_function(name, n, _guard(fn), deterministic=True)
    conn.create_function("twin_newid", 0, lambda: str(uuid.uuid4()).upper())
    conn.create_function("twin_getutcdate", 0, lambda: _utcnow_text("datetime"))
    conn.create_function("twin_sysutcdatetime", 0, lambda: _utcnow_text("datetime2"))
