"""Splitting a T-SQL batch into statements and recognising the control statements.

Hand-written over sqlglot's T-SQL tokenizer (so strings, [identifiers] and comments are handled
by it): sqlglot's parser does not understand `IF @@TRANCOUNT > 0 COMMIT TRAN` (FreeTDS sends
it), `SET` options, `GRANT`/`DENY` or `ALTER LOGIN`, and these change session state rather than
data, so the engine runs them itself. Everything else is parsed by sqlglot, statement by
statement, and bound by `translate.Binder`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import Token, TokenType, exp
from sqlglot.errors import ParseError, TokenError

from twin.mssql.errors import SqlError, not_supported, syntax_error

_TSQL = sqlglot.Dialect.get_or_raise("tsql")
_STRINGS = {TokenType.STRING, TokenType.NATIONAL_STRING}


@dataclass
class Control:
    """A statement the engine runs itself: its kind; the subclasses below add their arguments."""

    kind: str  # begin | commit | rollback | if_commit | if_rollback | noop, else the subclass's


@dataclass
class SetOptions(Control):
    options: tuple[str, ...]
    value: str  # ON | OFF | LOW | NORMAL | HIGH


@dataclass
class Use(Control):
    database: str  # as written, [brackets] included


@dataclass
class Isolation(Control):
    level: str


@dataclass
class Grant(Control):
    verb: str  # GRANT | DENY | REVOKE
    perms: tuple[str, ...]
    schema: str | None
    table: str
    user: str


@dataclass
class AlterLogin(Control):
    name: str
    action: str  # PASSWORD | ENABLE | DISABLE
    password: str | None


@dataclass
class Truncate(Control):
    schema: str | None
    table: str


@dataclass
class Parsed:
    """A statement for the binder: its text and sqlglot tree (never mutated; binders copy it)."""

    text: str
    tree: exp.Expr


Statement = Control | Parsed

_SET_ANY = {
    "ANSI_PADDING",
    "ARITHABORT",
    "ARITHIGNORE",
    "ANSI_NULL_DFLT_ON",
    "ANSI_NULL_DFLT_OFF",
    "CURSOR_CLOSE_ON_COMMIT",
    "NOCOUNT",
    "XACT_ABORT",
    "DEADLOCK_PRIORITY",
    "CONCAT_NULL_YIELDS_NULL",
}
_SET_ONLY = {
    "ANSI_NULLS": "ON",
    "QUOTED_IDENTIFIER": "ON",
    "ANSI_WARNINGS": "ON",
    "IMPLICIT_TRANSACTIONS": "OFF",
    "NUMERIC_ROUNDABORT": "OFF",
    "FMTONLY": "OFF",
    "NOEXEC": "OFF",
    "PARSEONLY": "OFF",
    "SHOWPLAN_ALL": "OFF",
    "SHOWPLAN_XML": "OFF",
    "SHOWPLAN_TEXT": "OFF",
    "FORCEPLAN": "OFF",
    "STATISTICS IO": "OFF",
    "STATISTICS TIME": "OFF",
    "STATISTICS XML": "OFF",
    "STATISTICS PROFILE": "OFF",
    "NO_BROWSETABLE": "OFF",
    "IDENTITY_INSERT": "OFF",
}
_PERMS = r"((?:SELECT|INSERT|UPDATE|DELETE)(?: , (?:SELECT|INSERT|UPDATE|DELETE))*)"
_CONTROL = [
    ("begin", re.compile(r"^BEGIN (?:TRAN|TRANSACTION)(?: \S+)?$")),
    ("commit", re.compile(r"^COMMIT(?: (?:TRAN|TRANSACTION|WORK))?(?: \S+)?$")),
    ("rollback", re.compile(r"^ROLLBACK(?: (?:TRAN|TRANSACTION|WORK))?(?: \S+)?$")),
    ("if_commit", re.compile(r"^IF @ @ TRANCOUNT > 0 COMMIT(?: (?:TRAN|TRANSACTION|WORK))?$")),
    ("if_rollback", re.compile(r"^IF @ @ TRANCOUNT > 0 ROLLBACK(?: (?:TRAN|TRANSACTION|WORK))?$")),
    ("use", re.compile(r"^USE (\S+)$")),
    (
        "isolation",
        re.compile(
            r"^SET TRANSACTION ISOLATION LEVEL (READ UNCOMMITTED|READ COMMITTED|REPEATABLE "
            r"READ|SERIALIZABLE|SNAPSHOT)$"
        ),
    ),
    ("set_value", re.compile(r"^SET (TEXTSIZE|LOCK_TIMEOUT|DATEFIRST|ROWCOUNT|LANGUAGE|DATEFORMAT) (-? ?\S+)$")),
    ("set", re.compile(r"^SET ((?:STATISTICS )?[A-Z_]+(?: , [A-Z_]+)*) (ON|OFF|LOW|NORMAL|HIGH)$")),
    ("grant", re.compile(rf"^(GRANT|DENY|REVOKE) {_PERMS} ON (?:OBJECT : : )?(?:(\S+) \. )?(\S+) (?:TO|FROM) (\S+)$")),
    ("alter_login", re.compile(r"^ALTER LOGIN (\S+) (?:WITH PASSWORD = 'S'(?: .*)?|ENABLE|DISABLE)$")),
    ("truncate", re.compile(r"^TRUNCATE TABLE (?:(\S+) \. )?(\S+)$")),
]


def _shape(tokens: list[Token]) -> str:
    parts = []
    for t in tokens:
        if t.token_type in _STRINGS:
            parts.append("'S'")
        elif t.token_type == TokenType.IDENTIFIER:
            parts.append(t.text.upper().replace(" ", "_"))
        else:
            parts.append(t.text.upper())
    return " ".join(parts)


def split(sql: str) -> list[tuple[str, list[Token]]]:
    """Statements of a batch as (text, tokens), split on top-level semicolons."""
    try:
        tokens = _TSQL.tokenize(sql)
    except TokenError:
        tail = sql[sql.rfind("'") + 1 :][:60] if "'" in sql else sql[-60:]
        raise SqlError(
            105, f"Unclosed quotation mark after the character string '{tail}'.", cls=15, batch_abort=True
        ) from None
    out: list[tuple[str, list[Token]]] = []
    current: list[Token] = []
    for t in tokens:
        if t.token_type == TokenType.SEMICOLON:
            if current:
                out.append((sql[current[0].start : current[-1].end + 1], current))
            current = []
        else:
            current.append(t)
    if current:
        out.append((sql[current[0].start : current[-1].end + 1], current))
    return out


def classify(text: str, tokens: list[Token]) -> Statement:
    """Turn one statement into a Control or a Parsed statement (raising SQL Server-style errors)."""
    shape = _shape(tokens)
    first = shape.split(" ", 1)[0]
    for t in tokens:
        if t.token_type == TokenType.HASH:
            raise not_supported("temporary tables (#name)")
        if t.token_type == TokenType.FLOAT and t.text.upper() == "REAL":
            raise not_supported("REAL (use FLOAT)")
    for kind, rx in _CONTROL:
        m = rx.match(shape)
        if m:
            return _control(kind, m, tokens)
    if first == "SET":
        raise not_supported(shape[:60])
    if first in ("EXEC", "EXECUTE"):
        name = tokens[1].text if len(tokens) > 1 else ""
        raise SqlError(2812, f"Could not find stored procedure '{name}'.", cls=16, state=62, batch_abort=True)
    if first in (
        "IF",
        "WHILE",
        "DECLARE",
        "BEGIN",
        "PRINT",
        "RAISERROR",
        "THROW",
        "GOTO",
        "RETURN",
        "MERGE",
        "SAVE",
        "WAITFOR",
        "BULK",
        "OPEN",
        "FETCH",
        "CLOSE",
        "DEALLOCATE",
        "GO",
    ):
        if first == "GO":
            raise syntax_error("GO")
        raise not_supported(first)
    try:
        trees = sqlglot.parse(text, read="tsql")
    except ParseError as exc:
        near = ""
        for err in exc.errors or []:
            near = err.get("highlight") or ""
            if near:
                break
        raise syntax_error(near or text.split()[-1][:30]) from None
    found = [t for t in trees if t is not None]
    if len(found) != 1:
        raise not_supported("several statements without ';' between them")
    return Parsed(text, found[0])


def _control(kind: str, m: re.Match[str], tokens: list[Token]) -> Control:
    strings = [t.text for t in tokens if t.token_type in _STRINGS]
    if kind == "set":
        options = [o.strip() for o in m.group(1).split(" , ")]
        value = m.group(2)
        for opt in options:
            if opt in _SET_ONLY and _SET_ONLY[opt] != value:
                raise not_supported(f"SET {opt} {value}")
            if opt not in _SET_ONLY and opt not in _SET_ANY:
                raise not_supported(f"SET {opt}")
        return SetOptions("set", tuple(options), value)
    if kind == "set_value":
        opt, value = m.group(1), m.group(2).replace(" ", "")
        if opt == "ROWCOUNT" and value != "0":
            raise not_supported("SET ROWCOUNT other than 0")
        if opt == "DATEFORMAT" and value not in ("MDY", "YMD"):
            raise not_supported(f"SET DATEFORMAT {value}")
        if opt == "LANGUAGE" and value.strip("'[]") not in ("US_ENGLISH", "ENGLISH", "S"):
            raise not_supported(f"SET LANGUAGE {value}")
        return Control("noop")
    if kind == "use":
        return Use("use", tokens[1].text)
    if kind == "isolation":
        return Isolation("isolation", m.group(1))
    if kind == "grant":
        perms = tuple(sorted(set(m.group(2).split(" , "))))
        schema, table, user = m.group(3), m.group(4), m.group(5)
        raw = [t.text for t in tokens]
        table = next((r for r in raw if r.upper() == table), table)
        user = next((r for r in raw if r.upper() == user), user)
        return Grant("grant", m.group(1), perms, schema, table, user)
    if kind == "alter_login":
        raw_name = tokens[2].text
        shape_tail = m.group(0).rsplit(" ", 1)[-1]
        if strings:
            return AlterLogin("alter_login", raw_name, "PASSWORD", strings[0])
        return AlterLogin("alter_login", raw_name, shape_tail, None)
    if kind == "truncate":
        return Truncate("truncate", m.group(1), tokens[-1].text)
    return Control(kind)


@functools.lru_cache(maxsize=1024)
def parse_param_decl(decl: str) -> tuple[tuple[str, str, bool], ...]:
    """'@P1 int,@P2 decimal(10,2) OUTPUT' -> ((name, type text, is_output), ...), cached per text."""
    return tuple(_parse_param_decl(decl))


def _parse_param_decl(decl: str) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    if not decl.strip():
        return out
    depth, start, parts = 0, 0, []
    for i, ch in enumerate(decl):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(decl[start:i])
            start = i + 1
    parts.append(decl[start:])
    for part in parts:
        m = re.match(r"^\s*@([\w$#@]+)\s+(.+?)(\s+(?:OUT|OUTPUT))?\s*$", part, re.I | re.S)
        if not m:
            raise syntax_error(part.strip()[:30] or ",")
        out.append((m.group(1), m.group(2), bool(m.group(3))))
    return out
