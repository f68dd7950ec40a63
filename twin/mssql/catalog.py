"""The shadow catalog: declared T-SQL tables and columns, built from CREATE TABLE statements.

SQLite keeps no column types at run time, so result types would otherwise be guessed from values.
Hand-written on top of sqlglot's parse tree: the catalog turns each `CREATE TABLE` into declared
types, nullability, identity, keys and constraint names (named like SQL Server's generated
ones), generates the matching SQLite DDL, and answers INFORMATION_SCHEMA.TABLES/COLUMNS.
The T-SQL text of every table is stored in the database (`_twin_ddl`) so a restart rebuilds it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlglot import exp

from twin.mssql import types as T
from twin.mssql.errors import SqlError, not_supported
from twin.mssql.types import MAX, SqlType

DATABASE = "LearningHub"
COLLATE = "TWIN_CI"


@dataclass
class Column:
    name: str
    type: SqlType
    nullable: bool
    identity: tuple[int, int] | None = None


@dataclass
class ForeignKey:
    name: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: tuple[str, list[str]] | None = None
    uniques: list[tuple[str, list[str]]] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    tsql: str = ""

    def __post_init__(self) -> None:
        self.by_name = {c.name.lower(): c for c in self.columns}

    def column(self, name: str) -> Column | None:
        return self.by_name.get(name.lower())

    @property
    def identity(self) -> Column | None:
        return next((c for c in self.columns if c.identity), None)


def _constraint_name(prefix: str, table: str, column: str) -> str:
    digest = hashlib.sha1(f"{table}.{column}.{prefix}".encode()).hexdigest()[:16].upper()
    return f"{prefix}__{table[:8]}__{column[:4]}{digest}" if prefix == "FK" else f"{prefix}__{table[:8]}__{digest}"


def sql_type_of(dtype: exp.DataType) -> SqlType:
    """sqlglot DataType (T-SQL dialect) -> SqlType."""
    name = dtype.this.name.lower()
    args: list[int | None] = []
    for p in dtype.expressions:
        text = p.name if isinstance(p, exp.DataTypeParam) else p.sql()
        args.append(MAX if text.lower() == "max" else int(text) if text.isdigit() else None)
    a = args[0] if args else None
    b = args[1] if len(args) > 1 else None
    mapped = {
        "utinyint": "tinyint",
        "uuid": "uniqueidentifier",
        "timestamptz": "datetimeoffset",
        "double": "float",
        "text": "text",
    }.get(name, name)
    # CAST(x AS NVARCHAR) without a length is 30 characters in SQL Server.
    return T.make_type(mapped, a, b, allow_real=False, default_length=30)


def table_from_create(create: exp.Create, tsql: str) -> Table:
    schema = create.this
    if not isinstance(schema, exp.Schema) or not isinstance(schema.this, exp.Table):
        raise not_supported("CREATE TABLE form")
    tbl = schema.this
    check_dbo(tbl)
    name = tbl.name
    if name.startswith("#") or name.lower().startswith("_twin"):
        raise not_supported("temporary or reserved table names")
    columns: list[Column] = []
    pk: tuple[str, list[str]] | None = None
    uniques: list[tuple[str, list[str]]] = []
    fks: list[ForeignKey] = []
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            col_name = item.name
            if item.args.get("kind") is None:
                raise SqlError(
                    173, f"The definition for column '{col_name}' must include a data type.", cls=15, batch_abort=True
                )
            ctype = sql_type_of(item.args["kind"])
            nullable = True
            identity = None
            for c in item.args.get("constraints") or []:
                kind = c.args.get("kind")
                if isinstance(kind, exp.NotNullColumnConstraint):
                    nullable = bool(kind.args.get("allow_null"))
                elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
                    pk = (_named(c) or _constraint_name("PK", name, col_name), [col_name])
                    nullable = False
                elif isinstance(kind, exp.UniqueColumnConstraint):
                    uniques.append((_named(c) or _constraint_name("UQ", name, col_name), [col_name]))
                elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
                    seed = int(kind.args["start"].name) if kind.args.get("start") else 1
                    inc = int(kind.args["increment"].name) if kind.args.get("increment") else 1
                    identity = (seed, inc)
                    nullable = False
                elif isinstance(kind, exp.Reference):
                    ref = kind.this
                    ref_tbl = ref.this if isinstance(ref, exp.Schema) else ref
                    ref_cols = [e.name for e in ref.expressions] if isinstance(ref, exp.Schema) else []
                    fks.append(
                        ForeignKey(
                            _named(c) or _constraint_name("FK", name, col_name), [col_name], ref_tbl.name, ref_cols
                        )
                    )
                else:
                    raise not_supported(f"column constraint {c.sql('tsql')}")
            if identity and ctype.name not in ("int", "bigint"):
                raise SqlError(
                    2749,
                    f"Identity column '{col_name}' must be of data type int, bigint, "
                    "smallint, tinyint, or decimal or numeric with a scale of 0, and constrained "
                    "to be nonnullable.",
                    batch_abort=True,
                )
            columns.append(Column(col_name, ctype, nullable, identity))
        elif isinstance(item, exp.Constraint | exp.PrimaryKey | exp.ForeignKey | exp.UniqueColumnConstraint):
            raise not_supported("table-level constraints (declare keys on the column)")
        else:
            raise not_supported(item.sql("tsql")[:40])
    if not columns:
        raise syntax("(")
    seen: set[str] = set()
    for c in columns:
        if c.name.lower() in seen:
            raise SqlError(
                2705,
                f"Column names in each table must be unique. Column name '{c.name}' in "
                f"table '{name}' is specified more than once.",
                batch_abort=True,
            )
        seen.add(c.name.lower())
    table = Table(name, columns, pk, uniques, fks, tsql)
    ident = table.identity
    if ident and ident.identity and (ident.identity[1] != 1 or not pk or pk[1] != [ident.name]):
        raise not_supported("IDENTITY other than (seed, 1) on the single-column PRIMARY KEY")
    return table


def syntax(near: str) -> SqlError:
    return SqlError(102, f"Incorrect syntax near '{near}'.", cls=15, batch_abort=True)


def _named(constraint: exp.Expr) -> str | None:
    # Unnamed column constraints come back as ColumnConstraint without a name.
    this = constraint.args.get("this")
    return this.name if isinstance(this, exp.Identifier) else None


def check_dbo(tbl: exp.Table) -> None:
    """Only the dbo schema of this one database exists."""
    if tbl.args.get("catalog") and tbl.catalog.lower() != DATABASE.lower():
        raise SqlError(208, f"Invalid object name '{tbl.sql('tsql')}'.", batch_abort=True)
    if tbl.args.get("db") and tbl.db.lower() != "dbo":
        raise SqlError(208, f"Invalid object name '{tbl.sql('tsql')}'.", batch_abort=True)


def _affinity(c: Column) -> str:
    n = c.type.name
    if c.identity:
        return "INTEGER"  # rowid alias: AUTOINCREMENT below
    if n in T.INT_SIZES or n == "bit":
        return "INT"  # integer affinity without becoming a rowid alias
    if n == "decimal":
        return "NUMERIC"
    if n in ("float", "real"):
        return "REAL"
    if n == "varbinary":
        return "BLOB"
    if n in T.STRING_TYPES:
        return f"TEXT COLLATE {COLLATE}"
    return "TEXT"


def sqlite_ddl(table: Table) -> list[str]:
    """SQLite statements creating the table (and seeding AUTOINCREMENT for a non-1 identity seed)."""
    parts = []
    for c in table.columns:
        line = f'"{c.name}" {_affinity(c)}'
        if c.identity:
            line += " PRIMARY KEY AUTOINCREMENT"
        elif not c.nullable:
            line += " NOT NULL"
        parts.append(line)
    if table.primary_key and not table.identity:
        cname, cols = table.primary_key
        parts.append(f'CONSTRAINT "{cname}" PRIMARY KEY ({", ".join(_q(x) for x in cols)})')
    for cname, cols in table.uniques:
        parts.append(f'CONSTRAINT "{cname}" UNIQUE ({", ".join(_q(x) for x in cols)})')
    for fk in table.foreign_keys:
        ref = f'"{fk.ref_table}"' + (f"({', '.join(_q(x) for x in fk.ref_columns)})" if fk.ref_columns else "")
        parts.append(f'CONSTRAINT "{fk.name}" FOREIGN KEY ({", ".join(_q(x) for x in fk.columns)}) REFERENCES {ref}')
    stmts = [f'CREATE TABLE "{table.name}" (\n  ' + ",\n  ".join(parts) + "\n)"]
    ident = table.identity
    if ident and ident.identity and ident.identity[0] != 1:
        stmts.append(f"INSERT INTO sqlite_sequence (name, seq) VALUES ('{table.name}', {ident.identity[0] - 1})")
    return stmts


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Catalog:
    """Tables by lower-case name, with a version that changes on every DDL (plan cache key)."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self.version = 0

    def get(self, name: str) -> Table | None:
        return self.tables.get(name.lower())

    def add(self, table: Table) -> None:
        if table.name.lower() in self.tables:
            raise SqlError(2714, f"There is already an object named '{table.name}' in the database.", batch_abort=True)
        for fk in table.foreign_keys:
            ref = self.get(fk.ref_table) if fk.ref_table.lower() != table.name.lower() else table
            if ref is None:
                raise SqlError(
                    1767, f"Foreign key '{fk.name}' references invalid table '{fk.ref_table}'.", batch_abort=True
                )
            if not fk.ref_columns:
                if not ref.primary_key:
                    raise SqlError(
                        1773,
                        f"Foreign key '{fk.name}' has implicit reference to object "
                        f"'{fk.ref_table}' which does not have a primary key defined on it.",
                        batch_abort=True,
                    )
                fk.ref_columns = list(ref.primary_key[1])
            for rc in fk.ref_columns:
                if ref.column(rc) is None:
                    raise SqlError(
                        1770,
                        f"Foreign key '{fk.name}' references invalid column '{rc}' in "
                        f"referenced table '{fk.ref_table}'.",
                        batch_abort=True,
                    )
        self.tables[table.name.lower()] = table
        self.version += 1

    def drop(self, name: str) -> Table:
        table = self.tables.pop(name.lower())
        self.version += 1
        return table

    def referencing(self, name: str) -> list[tuple[Table, ForeignKey]]:
        return [
            (t, fk)
            for t in self.tables.values()
            for fk in t.foreign_keys
            if fk.ref_table.lower() == name.lower() and t.name.lower() != name.lower()
        ]


# ---------------------------------------------------------------- INFORMATION_SCHEMA

INFO_TABLES_COLUMNS: list[tuple[str, SqlType, bool]] = [
    ("TABLE_CATALOG", T.SYSNAME, True),
    ("TABLE_SCHEMA", T.SYSNAME, True),
    ("TABLE_NAME", T.SYSNAME, False),
    ("TABLE_TYPE", SqlType("varchar", 10), True),
]

INFO_COLUMNS_COLUMNS: list[tuple[str, SqlType, bool]] = [
    ("TABLE_CATALOG", T.SYSNAME, True),
    ("TABLE_SCHEMA", T.SYSNAME, True),
    ("TABLE_NAME", T.SYSNAME, False),
    ("COLUMN_NAME", T.SYSNAME, True),
    ("ORDINAL_POSITION", T.INT, True),
    ("COLUMN_DEFAULT", T.nvarchar(4000), True),
    ("IS_NULLABLE", SqlType("varchar", 3), True),
    ("DATA_TYPE", T.SYSNAME, True),
    ("CHARACTER_MAXIMUM_LENGTH", T.INT, True),
    ("CHARACTER_OCTET_LENGTH", T.INT, True),
    ("NUMERIC_PRECISION", T.TINYINT, True),
    ("NUMERIC_PRECISION_RADIX", T.SMALLINT, True),
    ("NUMERIC_SCALE", T.INT, True),
    ("DATETIME_PRECISION", T.SMALLINT, True),
    ("CHARACTER_SET_CATALOG", T.SYSNAME, True),
    ("CHARACTER_SET_SCHEMA", T.SYSNAME, True),
    ("CHARACTER_SET_NAME", T.SYSNAME, True),
    ("COLLATION_CATALOG", T.SYSNAME, True),
    ("COLLATION_SCHEMA", T.SYSNAME, True),
    ("COLLATION_NAME", T.SYSNAME, True),
    ("DOMAIN_CATALOG", T.SYSNAME, True),
    ("DOMAIN_SCHEMA", T.SYSNAME, True),
    ("DOMAIN_NAME", T.SYSNAME, True),
]

_NUM_PREC = {"tinyint": 3, "smallint": 5, "int": 10, "bigint": 19, "float": 53, "real": 24}


def _column_row(table: Table, pos: int, c: Column) -> list[str | int | None]:
    t = c.type
    char_len = octet = prec = radix = scale = dt_prec = None
    charset = collation = None
    if t.is_string or t.name == "varbinary":
        char_len = -1 if t.length == MAX else t.length
        octet = -1 if t.length == MAX else t.length * (2 if t.name == "nvarchar" else 1)
        if t.is_string:
            charset = "UNICODE" if t.name == "nvarchar" else "iso_1"
            collation = "SQL_Latin1_General_CP1_CI_AS"
    elif t.name == "decimal":
        prec, radix, scale = t.precision, 10, t.scale
    elif t.name in _NUM_PREC:
        prec, radix = _NUM_PREC[t.name], 2 if t.name in ("float", "real") else 10
        scale = None if t.name in ("float", "real") else 0
    elif t.name == "datetime2":
        dt_prec = t.scale
    elif t.name in ("date", "datetime"):
        dt_prec = 0 if t.name == "date" else 3
    return [
        DATABASE,
        "dbo",
        table.name,
        c.name,
        pos,
        None,
        "YES" if c.nullable else "NO",
        t.name,
        char_len,
        octet,
        prec,
        radix,
        scale,
        dt_prec,
        None,
        None,
        charset,
        None,
        None,
        collation,
        None,
        None,
        None,
    ]


def _literal(v: str | int | None) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def info_schema_sql(catalog: Catalog, view: str) -> tuple[str, list[tuple[str, SqlType, bool]]]:
    """A SQLite subquery producing the view's rows, filtered by what the session may see."""
    rows: list[list[str | int | None]]
    if view == "TABLES":
        cols = INFO_TABLES_COLUMNS
        rows = [[DATABASE, "dbo", t.name, "BASE TABLE"] for t in catalog.tables.values()]
    elif view == "COLUMNS":
        cols = INFO_COLUMNS_COLUMNS
        rows = [_column_row(t, i + 1, c) for t in catalog.tables.values() for i, c in enumerate(t.columns)]
    else:
        raise SqlError(208, f"Invalid object name 'INFORMATION_SCHEMA.{view}'.", batch_abort=True)
    select_cols = ", ".join(
        f'column{i + 1}{" COLLATE " + COLLATE if t.is_string else ""} AS "{name}"'
        for i, (name, t, _n) in enumerate(cols)
    )
    if not rows:
        nulls = ", ".join(f'NULL AS "{name}"' for name, _t, _n in cols)
        return f"(SELECT {nulls} WHERE 0)", cols
    values = ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)
    return f"(SELECT {select_cols} FROM (VALUES {values}) WHERE twin_visible(column3))", cols
