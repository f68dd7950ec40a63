"""T-SQL statement -> SQLite statement plus declared result types: name binding and rewriting.

sqlglot parses T-SQL and prints SQLite, but on its own it drops clauses it cannot express, turns
string `+` into numeric addition, compares text case-sensitively and knows nothing of declared
types. This binder, written by hand on sqlglot's tree, therefore:

* accepts only node kinds and clauses it knows (anything else is a SQL Server-style error, never
  a silently dropped clause);
* resolves every table and column against the shadow catalog (208, 207, 209, 4104 as SQL Server);
* infers each result column's type from the declaration, literal, parameter or function rules
  (SQL Server's precedence and decimal precision/scale rules), never from values;
* rewrites what SQLite would answer differently: `+` on strings, case-insensitive comparison,
  implicit conversions, division by zero, CAST, LIKE, LEN, TOP/OFFSET checks, OUTPUT -> RETURNING,
  and every write through `twin_put` so stored values obey the column's type.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlglot import exp

from twin.mssql import types as T
from twin.mssql.catalog import COLLATE, DATABASE, Catalog, Table, check_dbo, info_schema_sql, sql_type_of
from twin.mssql.errors import SqlError, invalid_column, invalid_object, not_supported, syntax_error
from twin.mssql.tokens import CMD_DELETE, CMD_INSERT, CMD_SELECT, CMD_UPDATE
from twin.mssql.types import SqlType

BOOL = SqlType("bool")  # predicates: valid in WHERE/ON/HAVING/CASE WHEN only
VERSION_TEXT = ("Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64) \n\tOct  8 2022 05:58:25 \n\t"
                "Copyright (C) 2022 Microsoft Corporation\n\tDeveloper Edition (64-bit) on Linux "
                "(LearningHub twin: TDS stand-in over SQLite) <X64>")


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
class OutCol:
    name: str
    type: SqlType
    nullable: bool


@dataclass
class Plan:
    kind: str                       # select | insert | update | delete | create | drop
    sql: str
    columns: list[OutCol] | None    # a result set, if the statement returns one
    params: list[str]               # parameter names (lower case, without @) the SQL binds
    perms: list[tuple[str, str]]    # (permission, table) the caller needs
    curcmd: int = 0
    table: Table | None = None
    writes: bool = False
    extra: object = None


@dataclass
class Typed:
    type: SqlType
    nullable: bool = True
    agg: bool = False               # contains an aggregate
    const: bool = False             # a literal (foldable)


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
    aliases: dict[str, Typed] = field(default_factory=dict)   # select-list aliases (ORDER BY)

    def lookup_cte(self, name: str) -> Source | None:
        s: Scope | None = self
        while s is not None:
            if name.lower() in s.ctes:
                return s.ctes[name.lower()]
            s = s.parent
        return None


_AGGS = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
_CMP = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _fn(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _num(n: int) -> exp.Literal:
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


class Binder:
    """Binds one parsed statement; produces a Plan. Not thread-safe; one per statement."""

    def __init__(self, catalog: Catalog, params: dict[str, SqlType]) -> None:
        self.catalog = catalog
        self.params = params
        self.used: list[str] = []
        self.perms: list[tuple[str, str]] = []

    # ------------------------------------------------------------------ statements
    def bind(self, stmt: exp.Expression) -> Plan:
        if isinstance(stmt, exp.Select | exp.SetOperation):
            cols = self.query(stmt, Scope())
            return self._plan("select", stmt, cols, CMD_SELECT)
        if isinstance(stmt, exp.Insert):
            return self.insert(stmt)
        if isinstance(stmt, exp.Update):
            return self.update(stmt)
        if isinstance(stmt, exp.Delete):
            return self.delete(stmt)
        if isinstance(stmt, exp.Subquery):
            return self.bind(stmt.this)
        raise not_supported(stmt.key.upper())

    def _plan(self, kind: str, stmt: exp.Expression, cols: list[OutCol] | None, curcmd: int,
              table: Table | None = None, writes: bool = False) -> Plan:
        try:
            sql = stmt.sql("sqlite", unsupported_level=_RAISE)
        except Exception as exc:  # sqlglot UnsupportedError: never run a statement with a clause dropped
            raise not_supported(str(exc)[:100]) from exc
        return Plan(kind, sql, cols, sorted(set(self.used)), list(dict.fromkeys(self.perms)), curcmd, table,
                    writes)

    # ------------------------------------------------------------------ queries
    def query(self, q: exp.Expression, outer: Scope, *, derived: bool = False) -> list[OutCol]:
        if isinstance(q, exp.Subquery):
            return self.query(q.this, outer, derived=derived)
        if isinstance(q, exp.SetOperation):
            _only(q, {"this", "expression", "distinct", "by_name", "side", "kind", "order", "limit", "offset",
                      "with_"}, "UNION")
            scope = self._with(q, outer)
            left = self.query(q.this, scope, derived=True)
            right = self.query(q.expression, scope, derived=True)
            if len(left) != len(right):
                raise SqlError(205, "All queries combined using a UNION, INTERSECT or EXCEPT operator must "
                               "have an equal number of expressions in their target lists.", batch_abort=True)
            cols = [OutCol(a.name, T.higher(a.type, b.type), a.nullable or b.nullable) for a, b in zip(left, right,
                                                                                                          strict=True)]
            if q.args.get("order"):
                oscope = Scope([Source("", [(c.name, c.type, c.nullable) for c in cols])], outer)
                self._order(q, oscope, {c.name.lower(): Typed(c.type, c.nullable) for c in cols})
            self._limits(q, derived)
            return cols
        if not isinstance(q, exp.Select):
            raise not_supported(q.key.upper())
        _only(q, {"with_", "expressions", "distinct", "from_", "joins", "where", "group", "having", "order",
                  "limit", "offset", "kind"}, "SELECT")
        if q.args.get("kind"):
            raise not_supported(q.args["kind"])
        scope = self._with(q, outer)
        if q.args.get("from_"):
            scope.sources.append(self._source(q.args["from_"].this, scope))
        for join in q.args.get("joins") or []:
            _only(join, {"this", "on", "side", "kind"}, "JOIN")
            kind = (join.args.get("kind") or "").upper()
            if kind and kind not in ("INNER", "CROSS", "OUTER"):
                raise not_supported(f"{kind} JOIN")
            side = (join.args.get("side") or "").upper()
            src = self._source(join.this, scope)
            if side in ("LEFT", "FULL"):
                src.outer = True
            if side in ("RIGHT", "FULL"):
                for s in scope.sources:
                    s.outer = True
            scope.sources.append(src)
        for join in q.args.get("joins") or []:
            if join.args.get("on") is not None:
                self._pred(join.args["on"], scope, "ON")
        # select list
        out: list[OutCol] = []
        new_exprs: list[exp.Expression] = []
        has_agg = False
        for item in q.expressions:
            for name, node, typed in self._projection(item, scope):
                out.append(OutCol(name, typed.type, typed.nullable))
                new_exprs.append(node)
                has_agg = has_agg or typed.agg
        q.set("expressions", new_exprs)
        if q.args.get("where") is not None:
            self._pred(q.args["where"].this, scope, "WHERE")
        group_keys: list[str] = []
        if q.args.get("group") is not None:
            g = q.args["group"]
            _only(g, {"expressions"}, "GROUP BY")
            for e in list(g.expressions):
                t, e = self.bound(e, scope, "GROUP BY")
                if t.agg:
                    raise SqlError(144, "Cannot use an aggregate or a subquery in an expression used for the "
                                   "group by list of a GROUP BY clause.", cls=15, batch_abort=True)
                group_keys.append(e.sql("sqlite").lower())
        if q.args.get("having") is not None:
            self._pred(q.args["having"].this, scope, "HAVING")
            has_agg = True
        scope.aliases = {c.name.lower(): Typed(c.type, c.nullable) for c in out if c.name}
        if q.args.get("order") is not None:
            self._order(q, scope, scope.aliases)
        if has_agg or group_keys:
            for node in q.expressions:
                self._check_grouped(node, group_keys, scope)
            if q.args.get("order") is not None:
                for o in q.args["order"].expressions:
                    self._check_grouped(o.this, group_keys, scope, aliases=scope.aliases)
        self._limits(q, derived)
        return out

    def _with(self, q: exp.Expression, outer: Scope) -> Scope:
        scope = Scope(parent=outer)
        w = q.args.get("with_")
        if w is None:
            return scope
        if w.args.get("recursive"):
            raise not_supported("recursive WITH")
        for cte in w.expressions:
            cols = self.query(cte.this, scope, derived=True)
            alias = cte.args.get("alias")
            names = [c.name for c in alias.columns] if alias is not None and alias.columns else [c.name for c in cols]
            if len(names) != len(cols):
                raise SqlError(8158, f"'{cte.alias}' has more columns than were specified in the column list.",
                               batch_abort=True)
            for n in names:
                if not n:
                    raise SqlError(8155, f"No column name was specified for column of '{cte.alias}'.",
                                   batch_abort=True)
            scope.ctes[cte.alias.lower()] = Source(cte.alias, [(n, c.type, c.nullable)
                                                              for n, c in zip(names, cols, strict=True)])
        return scope

    def _limits(self, q: exp.Expression, derived: bool) -> None:
        limit, offset = q.args.get("limit"), q.args.get("offset")
        if derived and q.args.get("order") is not None and limit is None and offset is None:
            raise SqlError(1033, "The ORDER BY clause is invalid in views, inline functions, derived tables, "
                           "subqueries, and common table expressions, unless TOP, OFFSET or FOR XML is also "
                           "specified.", cls=15, batch_abort=True)
        if offset is not None and q.args.get("order") is None:
            raise syntax_error("OFFSET")
        if limit is not None:
            opts = limit.args.get("limit_options")
            if opts is not None and (opts.args.get("percent") or opts.args.get("with_ties")):
                raise not_supported("TOP ... PERCENT / WITH TIES")
            if isinstance(limit, exp.Fetch):
                if offset is None:
                    raise SqlError(153, "Invalid usage of the option NEXT in the FETCH statement.", cls=15,
                                   batch_abort=True)
                count = limit.args.get("count")
                kind = 1
            else:
                if offset is not None:
                    raise SqlError(10741, "A TOP can not be used in the same query or sub-query as a OFFSET.",
                                   cls=15, batch_abort=True)
                count = limit.expression
                kind = 0
            if count is not None:
                count = self._int_expr(count, "TOP" if kind == 0 else "FETCH")
                count.replace(_fn("twin_rows", count.copy(), _num(kind)))
        if offset is not None:
            e = self._int_expr(offset.expression, "OFFSET")
            e.replace(_fn("twin_rows", e.copy(), _num(2)))

    def _int_expr(self, e: exp.Expression, clause: str) -> exp.Expression:
        t, e = self.bound(e, Scope(), clause)
        if t.type.name not in T.INT_SIZES:
            raise SqlError(1060, f"The number of rows provided for a {clause} clause must be an integer.",
                           cls=15, batch_abort=True)
        return e

    def _order(self, q: exp.Expression, scope: Scope, aliases: dict[str, Typed]) -> None:
        order = q.args["order"]
        _only(order, {"expressions"}, "ORDER BY")
        for o in order.expressions:
            e = o.this
            if isinstance(e, exp.Literal) and not e.is_string:
                n = int(e.name) if e.name.isdigit() else 0
                if not 1 <= n <= len(q.expressions if isinstance(q, exp.Select) else aliases or [1]):
                    raise SqlError(108, f"The ORDER BY position number {e.name} is out of range of the number "
                                   "of items in the select list.", cls=15, batch_abort=True)
                continue
            if isinstance(e, exp.Column) and not e.table and e.name.lower() in aliases:
                t = aliases[e.name.lower()]
            else:
                t = self.expr(e, scope, "ORDER BY")
            if t.type.is_string and not isinstance(o.this, exp.Column):
                o.this.replace(exp.Collate(this=o.this.copy(), expression=exp.Var(this=COLLATE)))

    def _check_grouped(self, node: exp.Expression, keys: list[str], scope: Scope,
                       aliases: dict[str, Typed] | None = None) -> None:
        if node.sql("sqlite").lower() in keys:
            return
        if isinstance(node, (*_AGGS, exp.Subquery, exp.Exists)):
            return
        if isinstance(node, exp.Column):
            if aliases and not node.table and node.name.lower() in aliases:
                return
            if self._column_in_scope(node, scope):
                name = f"{node.table}.{node.name}" if node.table else node.name
                raise SqlError(8120, f"Column '{name}' is invalid in the select list because it is not "
                               "contained in either an aggregate function or the GROUP BY clause.",
                               batch_abort=True)
            return
        for child in node.iter_expressions():
            self._check_grouped(child, keys, scope, aliases)

    def _column_in_scope(self, col: exp.Column, scope: Scope) -> bool:
        for s in scope.sources:
            if col.table and col.table.lower() != s.name.lower():
                continue
            if col.name.lower() in s.index:
                return True
        return False

    def _source(self, node: exp.Expression, scope: Scope) -> Source:
        if isinstance(node, exp.Table):
            _only(node, {"this", "alias", "db", "catalog", "hints"}, "table reference")
            alias = node.alias
            name = node.name
            if not node.args.get("db") and not node.args.get("catalog"):
                cte = scope.lookup_cte(name)
                if cte is not None:
                    return Source(alias or cte.name, cte.columns)
            if node.db.upper() == "INFORMATION_SCHEMA" and not node.args.get("catalog"):
                sql, cols = info_schema_sql(self.catalog, name.upper())
                # The view is a VALUES subquery built from the catalog; sqlglot passes a Var through verbatim.
                node.replace(exp.Var(this=f'{sql} AS "{alias or name}"'))
                return Source(alias or name, cols)
            table = self._table(node)
            self.perms.append(("SELECT", table.name))
            for hint in node.args.get("hints") or []:
                text = hint.sql("tsql").upper()
                if not all(h.strip() in _HARMLESS_HINTS for h in text.replace("WITH", "").strip(" ()").split(",")):
                    raise not_supported(f"table hint {text}")
            node.set("hints", None)
            return Source(alias or table.name, [(c.name, c.type, c.nullable) for c in table.columns], table)
        if isinstance(node, exp.Subquery):
            if not node.alias:
                raise syntax_error(")")
            cols = self.query(node.this, Scope(parent=None, ctes=_all_ctes(scope)), derived=True)
            alias = node.args["alias"]
            names = [c.name for c in alias.columns] if alias.columns else [c.name for c in cols]
            for n in names:
                if not n:
                    raise SqlError(8155, f"No column name was specified for column of '{node.alias}'.",
                                   batch_abort=True)
            return Source(node.alias, [(n, c.type, c.nullable) for n, c in zip(names, cols, strict=True)])
        raise not_supported(node.key.upper())

    def _table(self, node: exp.Table) -> Table:
        check_dbo(node)
        table = self.catalog.get(node.name)
        if table is None:
            raise invalid_object(node.sql("tsql").replace("[", "").replace("]", ""))
        node.set("db", None)
        node.set("catalog", None)
        return table

    def _projection(self, item: exp.Expression, scope: Scope) -> list[tuple[str, exp.Expression, Typed]]:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            qual = item.table if isinstance(item, exp.Column) else ""
            sources = [s for s in scope.sources if not qual or s.name.lower() == qual.lower()]
            if qual and not sources:
                raise SqlError(4104, f'The multi-part identifier "{qual}" could not be bound.', batch_abort=True)
            if not scope.sources:
                raise SqlError(263, "Must specify table to select from.", batch_abort=True)
            result = []
            for s in sources:
                for name, t, nullable in s.columns:
                    col = exp.Column(this=exp.to_identifier(name, quoted=True),
                                     table=exp.to_identifier(s.name, quoted=True) if s.name else None)
                    result.append((name, col, Typed(t, nullable or s.outer)))
            return result
        if isinstance(item, exp.Alias):
            typed = self.expr(item.this, scope, "SELECT")
            self._no_bool(typed, item.this)
            return [(item.alias, item, typed)]
        name = item.name if isinstance(item, exp.Column) else ""
        typed, node = self.bound(item, scope, "SELECT")
        self._no_bool(typed, node)
        return [(name, node, typed)]

    @staticmethod
    def _no_bool(t: Typed, node: exp.Expression) -> None:
        if t.type is BOOL:
            raise syntax_error(node.sql("tsql")[:30])

    # ------------------------------------------------------------------ DML
    def _target(self, node: exp.Expression) -> Table:
        if not isinstance(node, exp.Table):
            raise not_supported(node.key.upper())
        _only(node, {"this", "db", "catalog", "alias"}, "target table")
        if node.db.upper() == "INFORMATION_SCHEMA":
            raise SqlError(4406, f"Update or insert of view or function '{node.sql('tsql')}' failed because it "
                           "contains a derived or constant field.", batch_abort=True)
        return self._table(node)

    def _returning(self, stmt: exp.Expression, table: Table, pseudo: str) -> list[OutCol] | None:
        ret = stmt.args.get("returning")
        if ret is None:
            return None
        if ret.args.get("into"):
            raise not_supported("OUTPUT ... INTO")
        scope = Scope([Source(pseudo, [(c.name, c.type, c.nullable) for c in table.columns], table)])
        out: list[OutCol] = []
        new: list[exp.Expression] = []
        for item in ret.expressions:
            for col in item.find_all(exp.Column):
                if col.table and col.table.lower() not in (pseudo.lower(),):
                    if col.table.lower() in ("inserted", "deleted"):
                        raise not_supported(f"OUTPUT {col.table.upper()} in this statement")
                    raise SqlError(4104, f'The multi-part identifier "{col.sql("tsql")}" could not be bound.',
                                   batch_abort=True)
                if not col.table and not isinstance(col.this, exp.Star):
                    raise invalid_column(col.name)
            for name, node, typed in self._projection(item, scope):
                for col in ([node] if isinstance(node, exp.Column) else list(node.find_all(exp.Column))):
                    col.set("table", None)
                out.append(OutCol(name, typed.type, typed.nullable))
                new.append(node)
        ret.set("expressions", new)
        self.perms.append(("SELECT", table.name))
        return out

    def _put(self, value: exp.Expression, scope: Scope, table: Table, col_name: str) -> None:
        col = table.column(col_name)
        assert col is not None
        if isinstance(value, exp.Var | exp.Column) and value.name.upper() == "DEFAULT":
            raise not_supported("DEFAULT values")
        t, value = self.bound(value, scope, "VALUES")
        self._no_bool(t, value)
        if t.agg and not scope.sources:
            raise SqlError(147, "An aggregate may not appear in the VALUES clause.", batch_abort=True)
        value.replace(_fn("twin_put", value.copy(), _num(spec_id(t.type, col.type, table.name, col.name))))

    def insert(self, stmt: exp.Insert) -> Plan:
        _only(stmt, {"this", "expression", "returning", "is_function", "stored", "by_name", "exists",
                     "partition", "settings", "default", "overwrite", "ignore", "source", "into"}, "INSERT")
        for flag in ("exists", "overwrite", "ignore", "by_name"):
            if stmt.args.get(flag):
                raise not_supported(f"INSERT {flag}")
        target = stmt.this
        names: list[str] | None = None
        if isinstance(target, exp.Schema):
            names = [e.name for e in target.expressions]
            target = target.this
        table = self._target(target)
        self.perms.append(("INSERT", table.name))
        if names is None:
            names = [c.name for c in table.columns if not c.identity]
        seen: set[str] = set()
        for n in names:
            col = table.column(n)
            if col is None:
                raise invalid_column(n)
            if col.identity:
                raise SqlError(544, f"Cannot insert explicit value for identity column in table '{table.name}' "
                               "when IDENTITY_INSERT is set to OFF.", batch_abort=False)
            if n.lower() in seen:
                raise SqlError(264, f"The column name '{n}' is specified more than once in the SET clause or "
                               "column list of an INSERT.", batch_abort=True)
            seen.add(n.lower())
        # Give SQLite the explicit, canonical column list.
        stmt.set("this", exp.Schema(this=target, expressions=[exp.to_identifier(table.column(n).name, quoted=True)
                                                              for n in names]))  # type: ignore[union-attr]
        source = stmt.expression
        if stmt.args.get("default"):
            raise not_supported("DEFAULT VALUES")
        if isinstance(source, exp.Values):
            if source.alias:
                raise not_supported("VALUES alias")
            for row in source.expressions:
                items = row.expressions if isinstance(row, exp.Tuple) else [row]
                if len(items) != len(names):
                    if len(items) > len(names):
                        raise SqlError(110, "There are fewer columns in the INSERT statement than values "
                                       "specified in the VALUES clause. The number of values in the VALUES clause "
                                       "must match the number of columns specified in the INSERT statement.",
                                       cls=15, batch_abort=True)
                    raise SqlError(109, "There are more columns in the INSERT statement than values specified in "
                                   "the VALUES clause. The number of values in the VALUES clause must match the "
                                   "number of columns specified in the INSERT statement.", cls=15,
                                   batch_abort=True)
                for value, n in zip(list(items), names, strict=True):
                    self._put(value, Scope(), table, n)
        elif isinstance(source, exp.Select | exp.SetOperation | exp.Subquery):
            inner = source.this if isinstance(source, exp.Subquery) else source
            cols = self.query(inner, Scope())
            if len(cols) != len(names):
                raise SqlError(120 if len(cols) < len(names) else 121, "The select list for the INSERT statement "
                               "contains fewer items than the insert list. The number of SELECT values must match "
                               "the number of INSERT columns." if len(cols) < len(names) else "The select list "
                               "for the INSERT statement contains more items than the insert list. The number of "
                               "SELECT values must match the number of INSERT columns.", cls=15, batch_abort=True)
            if isinstance(inner, exp.Select):
                for node, c, n in zip(list(inner.expressions), cols, names, strict=True):
                    col = table.column(n)
                    target_node = node.this if isinstance(node, exp.Alias) else node
                    target_node.replace(_fn("twin_put", target_node.copy(),
                                            _num(spec_id(c.type, col.type, table.name, col.name))))  # type: ignore[union-attr]
            else:
                raise not_supported("INSERT ... UNION")
        else:
            raise not_supported("INSERT source")
        out = self._returning(stmt, table, "inserted")
        plan = self._plan("insert", stmt, out, CMD_INSERT, table, writes=True)
        return plan

    def update(self, stmt: exp.Update) -> Plan:
        _only(stmt, {"this", "expressions", "where", "returning"}, "UPDATE")
        table = self._target(stmt.this)
        alias = stmt.this.alias or table.name
        self.perms.append(("UPDATE", table.name))
        scope = Scope([Source(alias, [(c.name, c.type, c.nullable) for c in table.columns], table)])
        reads = False
        for item in stmt.expressions:
            if not isinstance(item, exp.EQ) or not isinstance(item.this, exp.Column):
                raise syntax_error(item.sql("tsql")[:30])
            col = table.column(item.this.name)
            if col is None:
                raise invalid_column(item.this.name)
            if col.identity:
                raise SqlError(8102, f"Cannot update identity column '{col.name}'.", batch_abort=True)
            item.this.set("table", None)
            reads = reads or any(True for _ in item.expression.find_all(exp.Column))
            self._put(item.expression, scope, table, col.name)
        if stmt.args.get("where") is not None:
            self._pred(stmt.args["where"].this, scope, "WHERE")
            reads = True
        if reads:
            self.perms.append(("SELECT", table.name))
        out = self._returning(stmt, table, "inserted")
        return self._plan("update", stmt, out, CMD_UPDATE, table, writes=True)

    def delete(self, stmt: exp.Delete) -> Plan:
        _only(stmt, {"this", "where", "returning", "tables"}, "DELETE")
        if stmt.args.get("tables"):
            raise not_supported("DELETE with a second FROM")
        table = self._target(stmt.this)
        self.perms.append(("DELETE", table.name))
        scope = Scope([Source(stmt.this.alias or table.name, [(c.name, c.type, c.nullable) for c in table.columns],
                              table)])
        if stmt.args.get("where") is not None:
            self._pred(stmt.args["where"].this, scope, "WHERE")
            self.perms.append(("SELECT", table.name))
        out = self._returning(stmt, table, "deleted")
        return self._plan("delete", stmt, out, CMD_DELETE, table, writes=True)

    # ------------------------------------------------------------------ expressions
    def bound(self, node: exp.Expression, scope: Scope, clause: str) -> tuple[Typed, exp.Expression]:
        """Bind `node` and return its type with the node now standing in its place (rewrites replace it)."""
        parent, key, index = node.parent, node.arg_key, node.index
        holder = None
        if parent is None:
            holder = exp.Paren(this=node)
            parent, key, index = holder, "this", None
        t = self.expr(node, scope, clause)
        new = parent.args[key] if index is None else parent.args[key][index]
        if holder is not None:
            new.pop()
        return t, new

    def _pred(self, node: exp.Expression, scope: Scope, clause: str) -> None:
        t = self.expr(node, scope, clause)
        if t.type is not BOOL:
            raise SqlError(4145, f"An expression of non-boolean type specified in a context where a condition "
                           f"is expected, near '{clause}'.", cls=15, batch_abort=True)
        if t.agg and clause in ("WHERE", "ON"):
            raise SqlError(147, "An aggregate may not appear in the WHERE clause unless it is in a subquery "
                           "contained in a HAVING clause or a select list, and the column being aggregated is "
                           "an outer reference.", cls=15, batch_abort=True)

    def column(self, col: exp.Column, scope: Scope) -> Typed:
        if col.args.get("catalog") or (col.args.get("db") and col.db.lower() != "dbo"):
            raise SqlError(4104, f'The multi-part identifier "{col.sql("tsql")}" could not be bound.',
                           batch_abort=True)
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
            raise SqlError(4104, f'The multi-part identifier "{col.sql("tsql")}" could not be bound.',
                           batch_abort=True)
        raise invalid_column(col.name)

    def expr(self, node: exp.Expression, scope: Scope, clause: str) -> Typed:
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
                    n.replace(_fn("twin_cast", n.copy(), _num(spec_id(t.type, T.nvarchar(T.MAX)))))
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
                raise SqlError(116, "Only one expression can be specified in the select list when the subquery "
                               "is not introduced with EXISTS.", batch_abort=True)
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
        if isinstance(node, exp.Length) and isinstance(node.this, exp.Cast) \
                and node.this.args["to"].this == exp.DataType.Type.TEXT:
            node.this.replace(node.this.this.copy())  # sqlglot's own cast around LEN's argument
        if isinstance(node, _AGGS):
            return self._aggregate(node, scope, clause)
        if isinstance(node, exp.Collate):
            raise not_supported("COLLATE")
        return self._function(node, scope, clause)

    def _variable(self, node: exp.Parameter) -> Typed:
        inner = node.this
        if isinstance(inner, exp.Parameter):  # @@GLOBAL
            name = inner.name.upper()
            fixed = {"VERSION": (exp.Literal.string(VERSION_TEXT), T.nvarchar(300), False),
                     "SERVERNAME": (exp.Literal.string("LEARNINGHUB-SQLSERVER"), T.SYSNAME, False),
                     "SPID": (_fn("twin_spid"), T.SMALLINT, False),
                     "TRANCOUNT": (_fn("twin_trancount"), T.INT, False),
                     "ROWCOUNT": (_fn("twin_rowcount"), T.INT, False),
                     "IDENTITY": (_fn("twin_identity"), T.decimal_type(38, 0), True),
                     "LANGID": (_num(0), T.SMALLINT, False),
                     "LANGUAGE": (exp.Literal.string("us_english"), T.SYSNAME, False)}
            if name not in fixed:
                raise not_supported(f"@@{name}")
            repl, t, nullable = fixed[name]
            node.replace(repl)
            return Typed(t, nullable)
        name = node.name.lower()
        if name not in self.params:
            raise SqlError(137, f'Must declare the scalar variable "@{node.name}".', cls=15, state=2,
                           batch_abort=True)
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
                return self._numeric_result(node, op, ta if not ta.is_string else other,
                                            tb if not tb.is_string else other, nullable, agg)
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

    def _numeric_result(self, node: exp.Binary, op: str, ta: SqlType, tb: SqlType, nullable: bool,
                        agg: bool) -> Typed:
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
            node.replace(_fn(fn, node.this.copy(), node.expression.copy(), _num(int_mode)))
        return Typed(rt, nullable, agg)

    def _convert_side(self, node: exp.Expression, src: SqlType, dst: SqlType) -> None:
        if isinstance(node, exp.Literal):
            value = T.convert(node.name, src, dst, explicit=False)
            node.replace(_sql_literal(value))
        else:
            node.replace(_fn("twin_cast", node.copy(), _num(spec_id(src, dst))))

    def _convert_pair(self, left: exp.Expression, a: Typed, right: exp.Expression, b: Typed) -> None:
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
            cols = self.query(node.args["query"].this if isinstance(node.args["query"], exp.Subquery)
                              else node.args["query"], scope, derived=True)
            if len(cols) != 1:
                raise SqlError(116, "Only one expression can be specified in the select list when the subquery "
                               "is not introduced with EXISTS.", batch_abort=True)
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
        node.replace(_fn(fn, node.this.copy(), _num(spec_id(src.type, dst))))
        return Typed(dst, src.nullable or fn == "twin_try_cast", src.agg)

    def _aggregate(self, node: exp.Expression, scope: Scope, clause: str) -> Typed:
        if clause in ("WHERE", "ON", "GROUP BY", "VALUES"):
            raise SqlError(147, "An aggregate may not appear in the WHERE clause unless it is in a subquery "
                           "contained in a HAVING clause or a select list, and the column being aggregated is "
                           "an outer reference.", cls=15, batch_abort=True)
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
            raise SqlError(8117, f"Operand data type {tt.name} is invalid for {node.key} operator.",
                           batch_abort=True)
        if tt.name in ("tinyint", "smallint", "int", "bit"):
            if tt.name == "bit":
                raise SqlError(8117, f"Operand data type bit is invalid for {node.key} operator.",
                               batch_abort=True)
            rt = T.INT
        elif tt.name == "decimal":
            rt = T.decimal_type(38, max(tt.scale, 6) if isinstance(node, exp.Avg) else tt.scale)
        else:
            rt = tt
        if isinstance(node, exp.Avg) and rt.name in T.INT_SIZES:
            # SQL Server averages integers in integer arithmetic (truncating); SQLite gives a float.
            node.replace(exp.Cast(this=node.copy(), to=exp.DataType.build("INTEGER")))
        return Typed(rt, True, True)

    def _function(self, node: exp.Expression, scope: Scope, clause: str) -> Typed:
        name = (node.name if isinstance(node, exp.Anonymous) else node.key).upper()
        args = list(node.expressions) if isinstance(node, exp.Anonymous) else [
            a for a in node.iter_expressions()]
        simple = {
            "DB_NAME": (exp.Literal.string(DATABASE), T.SYSNAME, False, 0),
            "CURRENTUSER": (_fn("twin_system_user"), T.SYSNAME, False, 0),
            "SYSTEM_USER": (_fn("twin_system_user"), T.SYSNAME, False, 0),
            "SUSER_SNAME": (_fn("twin_system_user"), T.SYSNAME, False, 0),
            "USER_NAME": (_fn("twin_user_name"), T.SYSNAME, False, 0),
            "SCOPE_IDENTITY": (_fn("twin_scope_identity"), T.decimal_type(38, 0), True, 0),
            "GETUTCDATE": (_fn("twin_getutcdate"), T.DATETIME, False, 0),
            "GETDATE": (_fn("twin_getutcdate"), T.DATETIME, False, 0),
            "CURRENTTIMESTAMP": (_fn("twin_getutcdate"), T.DATETIME, False, 0),
            "SYSUTCDATETIME": (_fn("twin_sysutcdatetime"), T.DATETIME2, False, 0),
            "SYSDATETIME": (_fn("twin_sysutcdatetime"), T.DATETIME2, False, 0),
            "UUID": (_fn("twin_newid"), T.GUID, False, 0),
            "NEWID": (_fn("twin_newid"), T.GUID, False, 0),
        }
        if name in simple:
            if args and not (name == "DB_NAME" and len(args) == 1):
                raise SqlError(174, f"The {name.lower()} function requires 0 argument(s).", cls=15,
                               batch_abort=True)
            repl, t, nullable, _ = simple[name]
            if name == "DB_NAME" and args:
                raise not_supported("DB_NAME(id)")
            node.replace(repl)
            return Typed(t, nullable)
        typed = []
        for i, a in enumerate(list(args)):
            t, args[i] = self.bound(a, scope, clause)
            typed.append(t)
        agg = any(t.agg for t in typed)
        nullable = any(t.nullable for t in typed)
        if name == "TRIM":
            if node.args.get("expression") is not None:
                raise not_supported("TRIM ... FROM")
            position = (node.args.get("position") or "").upper()
            name = {"LEADING": "LTRIM", "TRAILING": "RTRIM"}.get(position, "TRIM")

        def want(n: int) -> None:
            if len(typed) != n:
                raise SqlError(174, f"The {name.lower()} function requires {n} argument(s).", cls=15,
                               batch_abort=True)
        if name in ("UPPER", "LOWER", "LTRIM", "RTRIM", "TRIM"):
            want(1)
            t = typed[0].type if typed[0].type.is_string else T.nvarchar(30)
            node.replace(_fn(f"twin_{name.lower()}", args[0].copy()))
            return Typed(t, nullable, agg)
        if name == "LENGTH":  # LEN
            want(1)
            node.replace(_fn("twin_len", args[0].copy()))
            return Typed(T.BIGINT if typed[0].type.length == T.MAX else T.INT, nullable, agg)
        if name == "SUBSTRING":
            want(3)
            node.replace(_fn("twin_substring", *[a.copy() for a in args]))
            t = typed[0].type if typed[0].type.is_string or typed[0].type.name == "varbinary" else T.nvarchar(30)
            return Typed(t, nullable, agg)
        if name == "REPLACE":
            want(3)
            node.replace(_fn("twin_replace", *[a.copy() for a in args]))
            t0 = typed[0].type
            return Typed(SqlType(t0.name if t0.is_string else "nvarchar", T.MAX if t0.length == T.MAX else 4000
                                 if t0.name != "varchar" else 8000), nullable, agg)
        if name == "CONCAT":
            if len(typed) < 2:
                raise SqlError(189, "The concat function requires 2 to 254 arguments.", cls=15, batch_abort=True)
            node.replace(_fn("twin_concat", *[a.copy() for a in args]))
            nv = any(t.type.name == "nvarchar" or not t.type.is_string for t in typed)
            return Typed(SqlType("nvarchar" if nv else "varchar", T.MAX if any(t.type.length == T.MAX for t in typed)
                                 else 4000 if nv else 8000), False, agg)
        if name == "ABS":
            want(1)
            if not typed[0].type.is_numeric:
                raise _operand_clash("abs", typed[0].type)
            node.replace(_fn("abs", args[0].copy()))
            return Typed(typed[0].type, nullable, agg)
        if name == "ROUND":
            want(2)
            if not typed[0].type.is_numeric:
                raise _operand_clash("round", typed[0].type)
            node.replace(_fn("twin_round", args[0].copy(), args[1].copy()))
            return Typed(typed[0].type, nullable, agg)
        if name == "NULLIF":
            want(2)
            self._convert_pair(args[0], typed[0], args[1], typed[1])
            node.replace(_fn("nullif", args[0].copy(), args[1].copy()))
            return Typed(typed[0].type, True, agg)
        raise SqlError(195, f"'{name}' is not a recognized built-in function name.", cls=15, state=10,
                       batch_abort=True)


_HARMLESS_HINTS = {"NOLOCK", "READUNCOMMITTED", "READCOMMITTED", "ROWLOCK", "UPDLOCK", "HOLDLOCK", "NOWAIT",
                   "READPAST", "PAGLOCK", "SERIALIZABLE", "REPEATABLEREAD", "TABLOCK", "TABLOCKX", "XLOCK"}

from sqlglot.errors import ErrorLevel  # noqa: E402  (kept next to its only use)

_RAISE = ErrorLevel.RAISE


def _only(node: exp.Expression, allowed: set[str], what: str) -> None:
    for key, value in node.args.items():
        if key in allowed or value is None or value is False or value == []:
            continue
        raise not_supported(f"{what} {key.rstrip('_').upper()}")


def _all_ctes(scope: Scope) -> dict[str, Source]:
    out: dict[str, Source] = {}
    chain = []
    s: Scope | None = scope
    while s is not None:
        chain.append(s)
        s = s.parent
    for sc in reversed(chain):
        out.update(sc.ctes)
    return out


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


def _sql_literal(value: object) -> exp.Expression:
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
    return SqlError(130, "Cannot perform an aggregate function on an expression containing an aggregate or a "
                    "subquery.", batch_abort=True)
