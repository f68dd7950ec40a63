"""Typing and rewriting T-SQL expressions for SQLite: the expression half of the binder.

Hand-written on sqlglot's tree because the result type of every expression must follow SQL
Server's rules (declared column types, literal types, data type precedence, decimal precision and
scale arithmetic, function result types) and SQLite would answer some expressions differently:
string `+`, case-sensitive comparison, implicit conversions, integer/decimal division and division
by zero, CAST, LEN, LIKE. Each such node is replaced by a `twin_*` SQLite function or a COLLATE.
Unknown functions and node kinds raise SQL Server-style errors.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlglot import exp

from twin.mssql import types as T
from twin.mssql.catalog import COLLATE, DATABASE, Catalog, Table, sql_type_of
from twin.mssql.errors import SqlError, invalid_column, not_supported, syntax_error
from twin.mssql.types import SqlType

BOOL = SqlType("bool")  # predicates: valid in WHERE/ON/HAVING/CASE WHEN only
VERSION_TEXT = (
    "Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64) \n\tOct  8 2022 05:58:25 \n\t"
    "Copyright (C) 2022 Microsoft Corporation\n\tDeveloper Edition (64-bit) on Linux "
    "(LearningHub twin: TDS stand-in over SQLite) <X64>"
)


# Conversion specs referenced from SQL as small integers, so SQLite calls stay cheap.
_SPECS: list[tuple[SqlType, SqlType, str, str]] = []
_SPEC_IDS: dict[tuple[SqlType, SqlType, str, str], int] = {}
_SPEC_LOCK = threading.Lock()


def spec_id(src: SqlType, dst: SqlType, table: str = "", column: str = "") -> int:
    key = (src, dst, table, column)
    with _SPEC_LOCK:
        if key not in _SPEC_IDS:
            _SPEC_IDS[key] = len(_SPECS)
            _SPECS.append(key)
        return _SPEC_IDS[key]


def spec(i: int) -> tuple[SqlType, SqlType, str, str]:
    return _SPECS[i]


@dataclass
class Typed:
    type: SqlType
    nullable: bool = True
    agg: bool = False  # contains an aggregate
    const: bool = False  # a literal (foldable)


@dataclass
class OutCol:
    """A result column of a query."""

    name: str
    type: SqlType
    nullable: bool


@dataclass
class Source:
    name: str
    columns: list[tuple[str, SqlType, bool]]
    table: Table | None = None
    outer: bool = False

    def __post_init__(self) -> None:
        self.index = {n.lower(): i for i, (n, _t, _nl) in enumerate(self.columns)}


@dataclass
class Scope:
    sources: list[Source] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, Source] = field(default_factory=dict)
    aliases: dict[str, Typed] = field(default_factory=dict)  # select-list aliases (ORDER BY)

    def lookup_cte(self, name: str) -> Source | None:
        s: Scope | None = self
        while s is not None:
            if name.lower() in s.ctes:
                return s.ctes[name.lower()]
            s = s.parent
        return None


AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
_CMP = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def sql_call(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def sql_number(n: int) -> exp.Literal | exp.Neg:
    return exp.Literal.number(n)


def _fit(p: int, s: int, divide: bool = False) -> SqlType:
    if p > 38:
        s = max(s - (p - 38), min(s, 6)) if divide else max(s - (p - 38), 0)
        p = 38
    return T.decimal_type(p, s)


def _as_decimal(t: SqlType) -> SqlType:
    if t.name == "decimal":
        return t
    return T.decimal_type({"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19, "bit": 1}.get(t.name, 18), 0)


class ExpressionBinder:
    """Types and rewrites expressions in place; `Binder` adds statements and queries on top."""

    def __init__(self, catalog: Catalog, params: dict[str, SqlType]) -> None:
        self.catalog = catalog
        self.params = params
        self.used: list[str] = []
        self.perms: list[tuple[str, str]] = []

    def query(self, q: exp.Expr, outer: Scope, *, derived: bool = False) -> list[OutCol]:
        """Bind a (sub)query and return its output columns; implemented by `translate.Binder`."""
        raise NotImplementedError

    @staticmethod
    def _no_bool(t: Typed, node: exp.Expr) -> None:
        if t.type is BOOL:
            raise syntax_error(node.sql("tsql")[:30])

    # ------------------------------------------------------------------ expressions
    def bound(self, node: exp.Expr, scope: Scope, clause: str) -> tuple[Typed, exp.Expr]:
        """Bind `node` and return its type with the node now standing in its place (rewrites replace it)."""
        parent, key, index = node.parent, node.arg_key, node.index
        holder = None
        if parent is None:
            holder = exp.Paren(this=node)
            parent, key, index = holder, "this", None
        assert key is not None  # sqlglot sets arg_key with parent
        t = self.expr(node, scope, clause)
        new = parent.args[key] if index is None else parent.args[key][index]
        if holder is not None:
            new.pop()
        return t, new

    def _pred(self, node: exp.Expr, scope: Scope, clause: str) -> None:
        t = self.expr(node, scope, clause)
        if t.type is not BOOL:
            raise SqlError(
                4145,
                f"An expression of non-boolean type specified in a context where a condition "
                f"is expected, near '{clause}'.",
                cls=15,
                batch_abort=True,
            )
        if t.agg and clause in ("WHERE", "ON"):
            raise SqlError(
                147,
                "An aggregate may not appear in the WHERE clause unless it is in a subquery "
                "contained in a HAVING clause or a select list, and the column being aggregated is "
                "an outer reference.",
                cls=15,
                batch_abort=True,
            )

    def column(self, col: exp.Column, scope: Scope) -> Typed:
        if col.args.get("catalog") or (col.args.get("db") and col.db.lower() != "dbo"):
            raise SqlError(4104, f'The multi-part identifier "{col.sql("tsql")}" could not be bound.', batch_abort=True)
        col.set("db", None)
        qual = col.table
        s: Scope | None = scope
        while s is not None:
            matches = []
            for src in s.sources:
                if qual and src.name.lower() != qual.lower():
                    continue
                i = src.index.get(col.name.lower())
                if i is not None:
                    matches.append((src, i))
                elif qual:
                    raise invalid_column(col.name)
            if len(matches) > 1:
                raise SqlError(209, f"Ambiguous column name '{col.name}'.", batch_abort=True)
            if matches:
                src, i = matches[0]
                _n, t, nullable = src.columns[i]
                return Typed(t, nullable or src.outer)
            s = s.parent
        if qual:
            raise SqlError(4104, f'The multi-part identifier "{col.sql("tsql")}" could not be bound.', batch_abort=True)
        raise invalid_column(col.name)

    def expr(self, node: exp.Expr, scope: Scope, clause: str) -> Typed:
        if isinstance(node, exp.Paren):
            return self.expr(node.this, scope, clause)
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                raise syntax_error("*")
            return self.column(node, scope)
        if isinstance(node, exp.Literal):
            return _literal_type(node)
        if isinstance(node, exp.National):
            node.replace(exp.Literal.string(node.name))
            return Typed(T.nvarchar(max(len(node.name), 1)), False, const=True)
        if isinstance(node, exp.HexString):
            return Typed(SqlType("varbinary", max(len(node.name) // 2, 1)), False, const=True)
        if isinstance(node, exp.Null):
            return Typed(T.INT, True, const=True)
        if isinstance(node, exp.Parameter):
            return self._variable(node)
        if isinstance(node, exp.Neg):
            t = self.expr(node.this, scope, clause)
            if not t.type.is_numeric:
                raise _operand_clash("-", t.type)
            return Typed(t.type, t.nullable, t.agg)
        if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod):
            return self._arith(node, scope, clause)
        if isinstance(node, exp.DPipe):
            raise syntax_error("|")
        if isinstance(node, _CMP):
            return self._compare(node, scope, clause)
        if isinstance(node, exp.And | exp.Or):
            a = self.expr(node.this, scope, clause)
            b = self.expr(node.expression, scope, clause)
            if a.type is not BOOL or b.type is not BOOL:
                raise syntax_error(node.key.upper())
            return Typed(BOOL, False, a.agg or b.agg)
        if isinstance(node, exp.Not):
            a = self.expr(node.this, scope, clause)
            if a.type is not BOOL:
                raise syntax_error("NOT")
            return Typed(BOOL, False, a.agg)
        if isinstance(node, exp.Is):
            a = self.expr(node.this, scope, clause)
            if not isinstance(node.expression, exp.Null):
                raise syntax_error("IS")
            return Typed(BOOL, False, a.agg)
        if isinstance(node, exp.In):
            return self._in(node, scope, clause)
        if isinstance(node, exp.Between):
            a = self.expr(node.this, scope, clause)
            lo = self.expr(node.args["low"], scope, clause)
            hi = self.expr(node.args["high"], scope, clause)
            self._convert_pair(node.this, a, node.args["low"], lo)
            self._convert_pair(node.this, a, node.args["high"], hi)
            if a.type.is_string and lo.type.is_string:
                node.this.replace(exp.Collate(this=node.this.copy(), expression=exp.Var(this=COLLATE)))
            return Typed(BOOL, False, a.agg or lo.agg or hi.agg)
        if isinstance(node, exp.Like):
            a = self.expr(node.this, scope, clause)
            b = self.expr(node.expression, scope, clause)
            for t, n in ((a, node.this), (b, node.expression)):
                if not t.type.is_string:
                    n.replace(sql_call("twin_cast", n.copy(), sql_number(spec_id(t.type, T.nvarchar(T.MAX)))))
            return Typed(BOOL, False, a.agg or b.agg)
        if isinstance(node, exp.Escape):
            if not isinstance(node.this, exp.Like):
                raise syntax_error("ESCAPE")
            self.expr(node.this, scope, clause)
            t = self.expr(node.expression, scope, clause)
            if not t.type.is_string:
                raise syntax_error("ESCAPE")
            return Typed(BOOL, False)
        if isinstance(node, exp.Exists):
            self.query(node.this, scope, derived=True)
            return Typed(BOOL, False)
        if isinstance(node, exp.Subquery):
            cols = self.query(node.this, scope, derived=True)
            if len(cols) != 1:
                raise SqlError(
                    116,
                    "Only one expression can be specified in the select list when the subquery "
                    "is not introduced with EXISTS.",
                    batch_abort=True,
                )
            return Typed(cols[0].type, True)
        if isinstance(node, exp.Case):
            return self._case(node, scope, clause)
        if isinstance(node, exp.If):
            return self._iif(node, scope, clause)
        if isinstance(node, exp.Coalesce):
            return self._coalesce(node, scope, clause)
        if isinstance(node, exp.Convert):
            if node.args.get("style") is not None:
                raise not_supported("CONVERT style")
            cast = exp.Cast(this=node.expression.copy(), to=node.this.copy())
            node.replace(cast)
            return self._cast(cast, scope, clause)
        if isinstance(node, exp.Cast | exp.TryCast):
            return self._cast(node, scope, clause)
        if (
            isinstance(node, exp.Length)
            and isinstance(node.this, exp.Cast)
            and node.this.args["to"].this == exp.DataType.Type.TEXT
        ):
            node.this.replace(node.this.this.copy())  # sqlglot's own cast around LEN's argument
        if isinstance(node, AGGREGATES):
            return self._aggregate(node, scope, clause)
        if isinstance(node, exp.Collate):
            raise not_supported("COLLATE")
        return self._function(node, scope, clause)

    def _variable(self, node: exp.Parameter) -> Typed:
        inner = node.this
        if isinstance(inner, exp.Parameter):  # @@GLOBAL
            name = inner.name.upper()
            fixed = {
                "VERSION": (exp.Literal.string(VERSION_TEXT), T.nvarchar(300), False),
                "SERVERNAME": (exp.Literal.string("LEARNINGHUB-SQLSERVER"), T.SYSNAME, False),
                "SPID": (sql_call("twin_spid"), T.SMALLINT, False),
                "TRANCOUNT": (sql_call("twin_trancount"), T.INT, False),
                "ROWCOUNT": (sql_call("twin_rowcount"), T.INT, False),
                "IDENTITY": (sql_call("twin_identity"), T.decimal_type(38, 0), True),
                "LANGID": (sql_number(0), T.SMALLINT, False),
                "LANGUAGE": (exp.Literal.string("us_english"), T.SYSNAME, False),
            }
            if name not in fixed:
                raise not_supported(f"@@{name}")
            repl, t, nullable = fixed[name]
            node.replace(repl)
            return Typed(t, nullable)
        name = node.name.lower()
        if name not in self.params:
            raise SqlError(137, f'Must declare the scalar variable "@{node.name}".', cls=15, state=2, batch_abort=True)
        self.used.append(name)
        node.replace(exp.Placeholder(this=f"p_{name}"))
        return Typed(self.params[name], True)

    def _arith(self, node: exp.Binary, scope: Scope, clause: str) -> Typed:
        a = self.expr(node.this, scope, clause)
        b = self.expr(node.expression, scope, clause)
        agg = a.agg or b.agg
        nullable = a.nullable or b.nullable
        ta, tb = a.type, b.type
        op = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Mod: "%"}[type(node)]
        if BOOL in (ta, tb):
            raise syntax_error(op)
        if isinstance(node.this, exp.Null) or isinstance(node.expression, exp.Null):
            # NULL takes the other operand's type; the result is NULL without any conversion.
            other = tb if isinstance(node.this, exp.Null) else ta
            node.replace(exp.Null())
            return Typed(other, True, agg)
        if isinstance(node, exp.Add) and (ta.is_string or tb.is_string):
            if not (ta.is_string and tb.is_string):
                # SQL Server converts the string to the other (higher-precedence) type, then adds.
                other = tb if ta.is_string else ta
                if not other.is_numeric:
                    raise _operand_clash("add", other)
                self._convert_side(node.this if ta.is_string else node.expression, ta if ta.is_string else tb, other)
                return self._numeric_result(
                    node, op, ta if not ta.is_string else other, tb if not tb.is_string else other, nullable, agg
                )
            name = "nvarchar" if "nvarchar" in (ta.name, tb.name) else "varchar"
            limit = 4000 if name == "nvarchar" else 8000
            total = ta.length + tb.length
            length = T.MAX if T.MAX in (ta.length, tb.length) or total > limit else total
            node.replace(exp.DPipe(this=node.this.copy(), expression=node.expression.copy()))
            return Typed(SqlType(name, length), nullable, agg)
        for t in (ta, tb):
            if not t.is_numeric:
                raise _operand_clash(op, t)
        return self._numeric_result(node, op, ta, tb, nullable, agg)

    def _numeric_result(self, node: exp.Binary, op: str, ta: SqlType, tb: SqlType, nullable: bool, agg: bool) -> Typed:
        win = T.higher(ta, tb)
        if win.name == "bit":
            win = T.INT
        if win.name == "decimal":
            da, db = _as_decimal(ta), _as_decimal(tb)
            p1, s1, p2, s2 = da.precision, da.scale, db.precision, db.scale
            if op in "+-":
                s = max(s1, s2)
                rt = _fit(max(p1 - s1, p2 - s2) + s + 1, s)
            elif op == "*":
                rt = _fit(p1 + p2 + 1, s1 + s2)
            elif op == "/":
                s = max(6, s1 + p2 + 1)
                rt = _fit(p1 - s1 + s2 + s, s, divide=True)
            else:
                s = max(s1, s2)
                rt = _fit(min(p1 - s1, p2 - s2) + s, s)
        elif win.name in T.INT_SIZES and win.name in ("tinyint", "smallint"):
            rt = win
        else:
            rt = win
        if op in "/%":
            int_mode = 1 if rt.name in T.INT_SIZES else 0
            fn = "twin_div" if op == "/" else "twin_mod"
            node.replace(sql_call(fn, node.this.copy(), node.expression.copy(), sql_number(int_mode)))
        return Typed(rt, nullable, agg)

    def _convert_side(self, node: exp.Expr, src: SqlType, dst: SqlType) -> None:
        if isinstance(node, exp.Literal):
            value = T.convert(node.name, src, dst, explicit=False)
            node.replace(_sql_literal(value))
        else:
            node.replace(sql_call("twin_cast", node.copy(), sql_number(spec_id(src, dst))))

    def _convert_pair(self, left: exp.Expr, a: Typed, right: exp.Expr, b: Typed) -> None:
        """Apply SQL Server's implicit conversion so SQLite compares like SQL Server would."""
        ta, tb = a.type, b.type
        if ta is BOOL or tb is BOOL:
            raise syntax_error("=")
        if ta == tb or (ta.is_numeric and tb.is_numeric) or (ta.is_string and tb.is_string):
            return
        if ta.name in T.DATE_TYPES and tb.name in T.DATE_TYPES and "date" not in (ta.name, tb.name):
            return
        if isinstance(right, exp.Null) or isinstance(left, exp.Null):
            return
        if T.PRECEDENCE.get(ta.name, 0) >= T.PRECEDENCE.get(tb.name, 0):
            self._convert_side(right, tb, ta)
        else:
            self._convert_side(left, ta, tb)

    def _compare(self, node: exp.Binary, scope: Scope, clause: str) -> Typed:
        a = self.expr(node.this, scope, clause)
        b = self.expr(node.expression, scope, clause)
        self._convert_pair(node.this, a, node.expression, b)
        if a.type.is_string and b.type.is_string:
            node.this.replace(exp.Collate(this=node.this.copy(), expression=exp.Var(this=COLLATE)))
        return Typed(BOOL, False, a.agg or b.agg)

    def _in(self, node: exp.In, scope: Scope, clause: str) -> Typed:
        a = self.expr(node.this, scope, clause)
        agg = a.agg
        if node.args.get("query") is not None:
            cols = self.query(
                node.args["query"].this if isinstance(node.args["query"], exp.Subquery) else node.args["query"],
                scope,
                derived=True,
            )
            if len(cols) != 1:
                raise SqlError(
                    116,
                    "Only one expression can be specified in the select list when the subquery "
                    "is not introduced with EXISTS.",
                    batch_abort=True,
                )
            if a.type.is_string and cols[0].type.is_string:
                node.this.replace(exp.Collate(this=node.this.copy(), expression=exp.Var(this=COLLATE)))
            return Typed(BOOL, False, agg)
        if node.args.get("unnest") or node.args.get("field"):
            raise not_supported("IN form")
        all_strings = a.type.is_string
        for item in list(node.expressions):
            t, item = self.bound(item, scope, clause)
            self._convert_pair(node.this, a, item, t)
            all_strings = all_strings and t.type.is_string
            agg = agg or t.agg
        if all_strings:
            node.this.replace(exp.Collate(this=node.this.copy(), expression=exp.Var(this=COLLATE)))
        return Typed(BOOL, False, agg)

    def _case(self, node: exp.Case, scope: Scope, clause: str) -> Typed:
        agg = False
        base = None
        if node.this is not None:
            base = self.expr(node.this, scope, clause)
        results: list[Typed] = []
        for when in node.args.get("ifs") or []:
            cond = when.this
            if base is not None:
                t, cond = self.bound(cond, scope, clause)
                self._convert_pair(node.this, base, cond, t)
            else:
                t = self.expr(cond, scope, clause)
                if t.type is not BOOL:
                    raise syntax_error("THEN")
            agg = agg or t.agg
            results.append(self.expr(when.args["true"], scope, clause))
        default = node.args.get("default")
        if default is not None:
            results.append(self.expr(default, scope, clause))
        return self._result_of(results, nullable=default is None, agg=agg)

    def _iif(self, node: exp.If, scope: Scope, clause: str) -> Typed:
        c = self.expr(node.this, scope, clause)
        if c.type is not BOOL:
            raise syntax_error(",")
        results = [self.expr(node.args["true"], scope, clause)]
        if node.args.get("false") is not None:
            results.append(self.expr(node.args["false"], scope, clause))
        return self._result_of(results, nullable=node.args.get("false") is None, agg=c.agg)

    def _result_of(self, results: list[Typed], *, nullable: bool, agg: bool) -> Typed:
        non_null = [r for r in results if not (r.const and r.nullable)] or results
        t = non_null[0].type
        for r in non_null[1:]:
            if r.type.is_string and t.is_string:
                length = T.MAX if T.MAX in (t.length, r.type.length) else max(t.length, r.type.length)
                t = SqlType("nvarchar" if "nvarchar" in (t.name, r.type.name) else "varchar", length)
            elif t.name == "decimal" and r.type.name == "decimal":
                s = max(t.scale, r.type.scale)
                t = _fit(max(t.precision - t.scale, r.type.precision - r.type.scale) + s, s)
            else:
                t = T.higher(t, r.type)
        if t is BOOL:
            raise syntax_error("THEN")
        return Typed(t, nullable or any(r.nullable for r in results), agg or any(r.agg for r in results))

    def _coalesce(self, node: exp.Coalesce, scope: Scope, clause: str) -> Typed:
        args = [node.this, *node.expressions]
        typed = [self.expr(a, scope, clause) for a in args]
        if node.args.get("is_null"):
            if len(args) != 2:
                raise SqlError(174, "The isnull function requires 2 argument(s).", cls=15, batch_abort=True)
            return Typed(typed[0].type, typed[1].nullable, any(t.agg for t in typed))
        res = self._result_of(typed, nullable=False, agg=False)
        return Typed(res.type, all(t.nullable for t in typed), res.agg)

    def _cast(self, node: exp.Cast, scope: Scope, clause: str) -> Typed:
        if node.args.get("format"):
            raise not_supported("CONVERT style")
        src = self.expr(node.this, scope, clause)
        self._no_bool(src, node.this)
        dst = sql_type_of(node.args["to"])
        fn = "twin_try_cast" if isinstance(node, exp.TryCast) or node.args.get("safe") else "twin_cast"
        node.replace(sql_call(fn, node.this.copy(), sql_number(spec_id(src.type, dst))))
        return Typed(dst, src.nullable or fn == "twin_try_cast", src.agg)

    def _aggregate(self, node: exp.Expr, scope: Scope, clause: str) -> Typed:
        if clause in ("WHERE", "ON", "GROUP BY", "VALUES"):
            raise SqlError(
                147,
                "An aggregate may not appear in the WHERE clause unless it is in a subquery "
                "contained in a HAVING clause or a select list, and the column being aggregated is "
                "an outer reference.",
                cls=15,
                batch_abort=True,
            )
        arg = node.this
        if isinstance(arg, exp.Distinct):
            if len(arg.expressions) != 1:
                raise syntax_error(",")
            inner = arg.expressions[0]
        else:
            inner = arg
        if isinstance(node, exp.Count):
            if not isinstance(inner, exp.Star):
                t = self.expr(inner, scope, "AGG")
                if t.agg:
                    raise _nested_agg()
            return Typed(T.BIGINT if node.args.get("big_int") else T.INT, False, True)
        t, inner = self.bound(inner, scope, "AGG")
        if t.agg:
            raise _nested_agg()
        if t.type is BOOL:
            raise syntax_error("(")
        tt = t.type
        if isinstance(node, exp.Min | exp.Max):
            if tt.is_string and not isinstance(inner, exp.Column):
                inner.replace(exp.Collate(this=inner.copy(), expression=exp.Var(this=COLLATE)))
            return Typed(tt, True, True)
        if not tt.is_numeric:
            raise SqlError(8117, f"Operand data type {tt.name} is invalid for {node.key} operator.", batch_abort=True)
        if tt.name in ("tinyint", "smallint", "int", "bit"):
            if tt.name == "bit":
                raise SqlError(8117, f"Operand data type bit is invalid for {node.key} operator.", batch_abort=True)
            rt = T.INT
        elif tt.name == "decimal":
            rt = T.decimal_type(38, max(tt.scale, 6) if isinstance(node, exp.Avg) else tt.scale)
        else:
            rt = tt
        if isinstance(node, exp.Avg) and rt.name in T.INT_SIZES:
            # SQL Server averages integers in integer arithmetic (truncating); SQLite gives a float.
            node.replace(exp.Cast(this=node.copy(), to=exp.DataType.build("INTEGER")))
        return Typed(rt, True, True)

    def _function(self, node: exp.Expr, scope: Scope, clause: str) -> Typed:
        name = (node.name if isinstance(node, exp.Anonymous) else node.key).upper()
        args = list(node.expressions) if isinstance(node, exp.Anonymous) else [a for a in node.iter_expressions()]
        simple = {
            "DB_NAME": (exp.Literal.string(DATABASE), T.SYSNAME, False, 0),
            "CURRENTUSER": (sql_call("twin_system_user"), T.SYSNAME, False, 0),
            "SYSTEM_USER": (sql_call("twin_system_user"), T.SYSNAME, False, 0),
            "SUSER_SNAME": (sql_call("twin_system_user"), T.SYSNAME, False, 0),
            "USER_NAME": (sql_call("twin_user_name"), T.SYSNAME, False, 0),
            "SCOPE_IDENTITY": (sql_call("twin_scope_identity"), T.decimal_type(38, 0), True, 0),
            "GETUTCDATE": (sql_call("twin_getutcdate"), T.DATETIME, False, 0),
            "GETDATE": (sql_call("twin_getutcdate"), T.DATETIME, False, 0),
            "CURRENTTIMESTAMP": (sql_call("twin_getutcdate"), T.DATETIME, False, 0),
            "SYSUTCDATETIME": (sql_call("twin_sysutcdatetime"), T.DATETIME2, False, 0),
            "SYSDATETIME": (sql_call("twin_sysutcdatetime"), T.DATETIME2, False, 0),
            "UUID": (sql_call("twin_newid"), T.GUID, False, 0),
            "NEWID": (sql_call("twin_newid"), T.GUID, False, 0),
        }
        if name in simple:
            if args and not (name == "DB_NAME" and len(args) == 1):
                raise SqlError(174, f"The {name.lower()} function requires 0 argument(s).", cls=15, batch_abort=True)
            repl, t, nullable, _ = simple[name]
            if name == "DB_NAME" and args:
                raise not_supported("DB_NAME(id)")
            node.replace(repl)
            return Typed(t, nullable)
        typed: list[Typed] = []
        for i, a in enumerate(list(args)):
            arg_typed, args[i] = self.bound(a, scope, clause)
            typed.append(arg_typed)
        agg = any(t.agg for t in typed)
        nullable = any(t.nullable for t in typed)
        if name == "TRIM":
            if node.args.get("expression") is not None:
                raise not_supported("TRIM ... FROM")
            position = (node.args.get("position") or "").upper()
            name = {"LEADING": "LTRIM", "TRAILING": "RTRIM"}.get(position, "TRIM")

        def want(n: int) -> None:
            if len(typed) != n:
                raise SqlError(174, f"The {name.lower()} function requires {n} argument(s).", cls=15, batch_abort=True)

        if name in ("UPPER", "LOWER", "LTRIM", "RTRIM", "TRIM"):
            want(1)
            t = typed[0].type if typed[0].type.is_string else T.nvarchar(30)
            node.replace(sql_call(f"twin_{name.lower()}", args[0].copy()))
            return Typed(t, nullable, agg)
        if name == "LENGTH":  # LEN
            want(1)
            node.replace(sql_call("twin_len", args[0].copy()))
            return Typed(T.BIGINT if typed[0].type.length == T.MAX else T.INT, nullable, agg)
        if name == "SUBSTRING":
            want(3)
            node.replace(sql_call("twin_substring", *[a.copy() for a in args]))
            t = typed[0].type if typed[0].type.is_string or typed[0].type.name == "varbinary" else T.nvarchar(30)
            return Typed(t, nullable, agg)
        if name == "REPLACE":
            want(3)
            node.replace(sql_call("twin_replace", *[a.copy() for a in args]))
            t0 = typed[0].type
            return Typed(
                SqlType(
                    t0.name if t0.is_string else "nvarchar",
                    T.MAX if t0.length == T.MAX else 4000 if t0.name != "varchar" else 8000,
                ),
                nullable,
                agg,
            )
        if name == "CONCAT":
            if len(typed) < 2:
                raise SqlError(189, "The concat function requires 2 to 254 arguments.", cls=15, batch_abort=True)
            node.replace(sql_call("twin_concat", *[a.copy() for a in args]))
            nv = any(t.type.name == "nvarchar" or not t.type.is_string for t in typed)
            return Typed(
                SqlType(
                    "nvarchar" if nv else "varchar",
                    T.MAX if any(t.type.length == T.MAX for t in typed) else 4000 if nv else 8000,
                ),
                False,
                agg,
            )
        if name == "ABS":
            want(1)
            if not typed[0].type.is_numeric:
                raise _operand_clash("abs", typed[0].type)
            node.replace(sql_call("abs", args[0].copy()))
            return Typed(typed[0].type, nullable, agg)
        if name == "ROUND":
            want(2)
            if not typed[0].type.is_numeric:
                raise _operand_clash("round", typed[0].type)
            node.replace(sql_call("twin_round", args[0].copy(), args[1].copy()))
            return Typed(typed[0].type, nullable, agg)
        if name == "NULLIF":
            want(2)
            self._convert_pair(args[0], typed[0], args[1], typed[1])
            node.replace(sql_call("nullif", args[0].copy(), args[1].copy()))
            return Typed(typed[0].type, True, agg)
        raise SqlError(195, f"'{name}' is not a recognized built-in function name.", cls=15, state=10, batch_abort=True)


def _literal_type(node: exp.Literal) -> Typed:
    text = node.name
    if node.is_string:
        return Typed(SqlType("varchar", max(len(text), 1)), False, const=True)
    if "e" in text.lower():
        return Typed(T.FLOAT, False, const=True)
    if "." in text:
        digits = text.replace(".", "").lstrip("-").lstrip("0") or "0"
        scale = len(text.split(".")[1])
        return Typed(T.decimal_type(max(len(digits), scale, 1), scale), False, const=True)
    n = int(text)
    if T.INT_RANGES["int"][0] <= n <= T.INT_RANGES["int"][1]:
        return Typed(T.INT, False, const=True)
    return Typed(T.decimal_type(len(text.lstrip("-")), 0), False, const=True)


def _sql_literal(value: T.Storage) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, int | float):
        return exp.Literal.number(repr(value) if isinstance(value, float) else value)
    if isinstance(value, bytes):
        return exp.HexString(this=value.hex())
    return exp.Literal.string(str(value))


def _operand_clash(op: str, t: SqlType) -> SqlError:
    return SqlError(8117, f"Operand data type {t.name} is invalid for {op} operator.", batch_abort=True)


def _nested_agg() -> SqlError:
    return SqlError(
        130,
        "Cannot perform an aggregate function on an expression containing an aggregate or a subquery.",
        batch_abort=True,
    )
