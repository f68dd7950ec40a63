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

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import ErrorLevel

from twin.mssql import types as T
from twin.mssql.catalog import COLLATE, Column, Table, check_dbo, info_schema_sql
from twin.mssql.errors import SqlError, invalid_column, invalid_object, not_supported, syntax_error
from twin.mssql.expressions import (
    AGGREGATES,
    ExpressionBinder,
    OutCol,
    Scope,
    Source,
    Typed,
    spec,
    spec_id,
    sql_call,
    sql_number,
)
from twin.mssql.tokens import CMD_DELETE, CMD_INSERT, CMD_SELECT, CMD_UPDATE


@dataclass
class Plan:
    kind: str  # select | insert | update | delete | create | drop
    sql: str
    columns: list[OutCol] | None  # a result set, if the statement returns one
    params: list[str]  # parameter names (lower case, without @) the SQL binds
    perms: list[tuple[str, str]]  # (permission, table) the caller needs
    curcmd: int = 0
    table: Table | None = None
    writes: bool = False
    extra: object = None


class Binder(ExpressionBinder):
    """Binds one parsed statement; produces a Plan. Not thread-safe; one per statement."""

    # ------------------------------------------------------------------ statements
    def bind(self, stmt: exp.Expr) -> Plan:
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

    def _plan(
        self,
        kind: str,
        stmt: exp.Expr,
        cols: list[OutCol] | None,
        curcmd: int,
        table: Table | None = None,
        writes: bool = False,
    ) -> Plan:
        try:
            sql = stmt.sql("sqlite", unsupported_level=_RAISE)
        except Exception as exc:  # sqlglot UnsupportedError: never run a statement with a clause dropped
            raise not_supported(str(exc)[:100]) from exc
        return Plan(kind, sql, cols, sorted(set(self.used)), list(dict.fromkeys(self.perms)), curcmd, table, writes)

    # ------------------------------------------------------------------ queries
    def query(self, q: exp.Expr, outer: Scope, *, derived: bool = False) -> list[OutCol]:
        if isinstance(q, exp.Subquery):
            return self.query(q.this, outer, derived=derived)
        if isinstance(q, exp.SetOperation):
            _only(
                q,
                {"this", "expression", "distinct", "by_name", "side", "kind", "order", "limit", "offset", "with_"},
                "UNION",
            )
            scope = self._with(q, outer)
            left = self.query(q.this, scope, derived=True)
            right = self.query(q.expression, scope, derived=True)
            if len(left) != len(right):
                raise SqlError(
                    205,
                    "All queries combined using a UNION, INTERSECT or EXCEPT operator must "
                    "have an equal number of expressions in their target lists.",
                    batch_abort=True,
                )
            cols = [
                OutCol(a.name, T.higher(a.type, b.type), a.nullable or b.nullable)
                for a, b in zip(left, right, strict=True)
            ]
            if q.args.get("order"):
                oscope = Scope([Source("", [(c.name, c.type, c.nullable) for c in cols])], outer)
                self._order(q, oscope, {c.name.lower(): Typed(c.type, c.nullable) for c in cols})
            self._limits(q, derived)
            return cols
        if not isinstance(q, exp.Select):
            raise not_supported(q.key.upper())
        _only(
            q,
            {
                "with_",
                "expressions",
                "distinct",
                "from_",
                "joins",
                "where",
                "group",
                "having",
                "order",
                "limit",
                "offset",
                "kind",
            },
            "SELECT",
        )
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
        new_exprs: list[exp.Expr] = []
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
                    raise SqlError(
                        144,
                        "Cannot use an aggregate or a subquery in an expression used for the "
                        "group by list of a GROUP BY clause.",
                        cls=15,
                        batch_abort=True,
                    )
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

    def _with(self, q: exp.Expr, outer: Scope) -> Scope:
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
                raise SqlError(
                    8158, f"'{cte.alias}' has more columns than were specified in the column list.", batch_abort=True
                )
            for n in names:
                if not n:
                    raise SqlError(8155, f"No column name was specified for column of '{cte.alias}'.", batch_abort=True)
            scope.ctes[cte.alias.lower()] = Source(
                cte.alias, [(n, c.type, c.nullable) for n, c in zip(names, cols, strict=True)]
            )
        return scope

    def _limits(self, q: exp.Expr, derived: bool) -> None:
        limit, offset = q.args.get("limit"), q.args.get("offset")
        if derived and q.args.get("order") is not None and limit is None and offset is None:
            raise SqlError(
                1033,
                "The ORDER BY clause is invalid in views, inline functions, derived tables, "
                "subqueries, and common table expressions, unless TOP, OFFSET or FOR XML is also "
                "specified.",
                cls=15,
                batch_abort=True,
            )
        if offset is not None and q.args.get("order") is None:
            raise syntax_error("OFFSET")
        if limit is not None:
            opts = limit.args.get("limit_options")
            if opts is not None and (opts.args.get("percent") or opts.args.get("with_ties")):
                raise not_supported("TOP ... PERCENT / WITH TIES")
            if isinstance(limit, exp.Fetch):
                if offset is None:
                    raise SqlError(
                        153, "Invalid usage of the option NEXT in the FETCH statement.", cls=15, batch_abort=True
                    )
                count = limit.args.get("count")
                kind = 1
            else:
                if offset is not None:
                    raise SqlError(
                        10741,
                        "A TOP can not be used in the same query or sub-query as a OFFSET.",
                        cls=15,
                        batch_abort=True,
                    )
                count = limit.expression
                kind = 0
            if count is not None:
                count = self._int_expr(count, "TOP" if kind == 0 else "FETCH")
                count.replace(sql_call("twin_rows", count.copy(), sql_number(kind)))
        if offset is not None:
            e = self._int_expr(offset.expression, "OFFSET")
            e.replace(sql_call("twin_rows", e.copy(), sql_number(2)))

    def _int_expr(self, e: exp.Expr, clause: str) -> exp.Expr:
        t, e = self.bound(e, Scope(), clause)
        if t.type.name not in T.INT_SIZES:
            raise SqlError(
                1060, f"The number of rows provided for a {clause} clause must be an integer.", cls=15, batch_abort=True
            )
        return e

    def _order(self, q: exp.Expr, scope: Scope, aliases: dict[str, Typed]) -> None:
        order = q.args["order"]
        _only(order, {"expressions"}, "ORDER BY")
        for o in order.expressions:
            e = o.this
            if isinstance(e, exp.Literal) and not e.is_string:
                n = int(e.name) if e.name.isdigit() else 0
                if not 1 <= n <= len(q.expressions if isinstance(q, exp.Select) else aliases or [1]):
                    raise SqlError(
                        108,
                        f"The ORDER BY position number {e.name} is out of range of the number "
                        "of items in the select list.",
                        cls=15,
                        batch_abort=True,
                    )
                continue
            if isinstance(e, exp.Column) and not e.table and e.name.lower() in aliases:
                t = aliases[e.name.lower()]
            else:
                t = self.expr(e, scope, "ORDER BY")
            if t.type.is_string and not isinstance(o.this, exp.Column):
                o.this.replace(exp.Collate(this=o.this.copy(), expression=exp.Var(this=COLLATE)))

    def _check_grouped(
        self, node: exp.Expr, keys: list[str], scope: Scope, aliases: dict[str, Typed] | None = None
    ) -> None:
        if node.sql("sqlite").lower() in keys:
            return
        if isinstance(node, (*AGGREGATES, exp.Subquery, exp.Exists)):
            return
        if isinstance(node, exp.Column):
            if aliases and not node.table and node.name.lower() in aliases:
                return
            if self._column_in_scope(node, scope):
                name = f"{node.table}.{node.name}" if node.table else node.name
                raise SqlError(
                    8120,
                    f"Column '{name}' is invalid in the select list because it is not "
                    "contained in either an aggregate function or the GROUP BY clause.",
                    batch_abort=True,
                )
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

    def _source(self, node: exp.Expr, scope: Scope) -> Source:
        if isinstance(node, exp.Table):
            _only(node, {"this", "alias", "db", "catalog", "hints"}, "table reference")
            alias = node.alias
            name = node.name
            if not node.args.get("db") and not node.args.get("catalog"):
                cte = scope.lookup_cte(name)
                if cte is not None:
                    return Source(alias or cte.name, cte.columns)
            if node.db.upper() == "INFORMATION_SCHEMA" and not node.args.get("catalog"):
                sql, view_cols = info_schema_sql(self.catalog, name.upper())
                # The view is a VALUES subquery built from the catalog; sqlglot passes a Var through verbatim.
                node.replace(exp.Var(this=f'{sql} AS "{alias or name}"'))
                return Source(alias or name, view_cols)
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
                    raise SqlError(
                        8155, f"No column name was specified for column of '{node.alias}'.", batch_abort=True
                    )
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

    def _projection(self, item: exp.Expr, scope: Scope) -> list[tuple[str, exp.Expr, Typed]]:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star)):
            qual = item.table if isinstance(item, exp.Column) else ""
            sources = [s for s in scope.sources if not qual or s.name.lower() == qual.lower()]
            if qual and not sources:
                raise SqlError(4104, f'The multi-part identifier "{qual}" could not be bound.', batch_abort=True)
            if not scope.sources:
                raise SqlError(263, "Must specify table to select from.", batch_abort=True)
            result: list[tuple[str, exp.Expr, Typed]] = []
            for s in sources:
                for name, t, nullable in s.columns:
                    col = exp.Column(
                        this=exp.to_identifier(name, quoted=True),
                        table=exp.to_identifier(s.name, quoted=True) if s.name else None,
                    )
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

    # ------------------------------------------------------------------ DML
    def _target(self, node: exp.Expr) -> Table:
        if not isinstance(node, exp.Table):
            raise not_supported(node.key.upper())
        _only(node, {"this", "db", "catalog", "alias"}, "target table")
        if node.db.upper() == "INFORMATION_SCHEMA":
            raise SqlError(
                4406,
                f"Update or insert of view or function '{node.sql('tsql')}' failed because it "
                "contains a derived or constant field.",
                batch_abort=True,
            )
        return self._table(node)

    def _returning(self, stmt: exp.Expr, table: Table, pseudo: str) -> list[OutCol] | None:
        ret = stmt.args.get("returning")
        if ret is None:
            return None
        if ret.args.get("into"):
            raise not_supported("OUTPUT ... INTO")
        scope = Scope([Source(pseudo, [(c.name, c.type, c.nullable) for c in table.columns], table)])
        out: list[OutCol] = []
        new: list[exp.Expr] = []
        for item in ret.expressions:
            for col in item.find_all(exp.Column):
                if col.table and col.table.lower() not in (pseudo.lower(),):
                    if col.table.lower() in ("inserted", "deleted"):
                        raise not_supported(f"OUTPUT {col.table.upper()} in this statement")
                    raise SqlError(
                        4104, f'The multi-part identifier "{col.sql("tsql")}" could not be bound.', batch_abort=True
                    )
                if not col.table and not isinstance(col.this, exp.Star):
                    raise invalid_column(col.name)
            for name, node, typed in self._projection(item, scope):
                for col in [node] if isinstance(node, exp.Column) else list(node.find_all(exp.Column)):
                    col.set("table", None)
                out.append(OutCol(name, typed.type, typed.nullable))
                new.append(node)
        ret.set("expressions", new)
        self.perms.append(("SELECT", table.name))
        return out

    def _put(self, value: exp.Expr, scope: Scope, table: Table, col_name: str) -> None:
        col = table.column(col_name)
        assert col is not None
        if isinstance(value, exp.Var | exp.Column) and value.name.upper() == "DEFAULT":
            raise not_supported("DEFAULT values")
        t, value = self.bound(value, scope, "VALUES")
        self._no_bool(t, value)
        if t.agg and not scope.sources:
            raise SqlError(147, "An aggregate may not appear in the VALUES clause.", batch_abort=True)
        value.replace(sql_call("twin_put", value.copy(), sql_number(spec_id(t.type, col.type, table.name, col.name))))

    def insert(self, stmt: exp.Insert) -> Plan:
        _only(
            stmt,
            {
                "this",
                "expression",
                "returning",
                "is_function",
                "stored",
                "by_name",
                "exists",
                "partition",
                "settings",
                "default",
                "overwrite",
                "ignore",
                "source",
                "into",
            },
            "INSERT",
        )
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
        columns: list[Column] = []  # of `names`, in order
        for n in names:
            col = table.column(n)
            if col is None:
                raise invalid_column(n)
            columns.append(col)
            if col.identity:
                raise SqlError(
                    544,
                    f"Cannot insert explicit value for identity column in table '{table.name}' "
                    "when IDENTITY_INSERT is set to OFF.",
                    batch_abort=False,
                )
            if n.lower() in seen:
                raise SqlError(
                    264,
                    f"The column name '{n}' is specified more than once in the SET clause or column list of an INSERT.",
                    batch_abort=True,
                )
            seen.add(n.lower())
        # Give SQLite the explicit, canonical column list.
        stmt.set(
            "this",
            exp.Schema(this=target, expressions=[exp.to_identifier(c.name, quoted=True) for c in columns]),
        )
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
                        raise SqlError(
                            110,
                            "There are fewer columns in the INSERT statement than values "
                            "specified in the VALUES clause. The number of values in the VALUES clause "
                            "must match the number of columns specified in the INSERT statement.",
                            cls=15,
                            batch_abort=True,
                        )
                    raise SqlError(
                        109,
                        "There are more columns in the INSERT statement than values specified in "
                        "the VALUES clause. The number of values in the VALUES clause must match the "
                        "number of columns specified in the INSERT statement.",
                        cls=15,
                        batch_abort=True,
                    )
                for value, n in zip(list(items), names, strict=True):
                    self._put(value, Scope(), table, n)
        elif isinstance(source, exp.Select | exp.SetOperation | exp.Subquery):
            inner = source.this if isinstance(source, exp.Subquery) else source
            cols = self.query(inner, Scope())
            if len(cols) != len(names):
                raise SqlError(
                    120 if len(cols) < len(names) else 121,
                    "The select list for the INSERT statement "
                    "contains fewer items than the insert list. The number of SELECT values must match "
                    "the number of INSERT columns."
                    if len(cols) < len(names)
                    else "The select list "
                    "for the INSERT statement contains more items than the insert list. The number of "
                    "SELECT values must match the number of INSERT columns.",
                    cls=15,
                    batch_abort=True,
                )
            if isinstance(inner, exp.Select):
                for node, c, col in zip(list(inner.expressions), cols, columns, strict=True):
                    target_node = node.this if isinstance(node, exp.Alias) else node
                    target_node.replace(
                        sql_call(
                            "twin_put", target_node.copy(), sql_number(spec_id(c.type, col.type, table.name, col.name))
                        )
                    )
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
        scope = Scope(
            [Source(stmt.this.alias or table.name, [(c.name, c.type, c.nullable) for c in table.columns], table)]
        )
        if stmt.args.get("where") is not None:
            self._pred(stmt.args["where"].this, scope, "WHERE")
            self.perms.append(("SELECT", table.name))
        out = self._returning(stmt, table, "deleted")
        return self._plan("delete", stmt, out, CMD_DELETE, table, writes=True)


_HARMLESS_HINTS = {
    "NOLOCK",
    "READUNCOMMITTED",
    "READCOMMITTED",
    "ROWLOCK",
    "UPDLOCK",
    "HOLDLOCK",
    "NOWAIT",
    "READPAST",
    "PAGLOCK",
    "SERIALIZABLE",
    "REPEATABLEREAD",
    "TABLOCK",
    "TABLOCKX",
    "XLOCK",
}

_RAISE = ErrorLevel.RAISE


def _only(node: exp.Expr, allowed: set[str], what: str) -> None:
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


__all__ = ["Binder", "OutCol", "Plan", "spec"]
