"""SQL Server-style errors (number, state, class, message) raised by every layer of the stand-in.

Hand-written: the numbers and texts are SQL Server's own (sys.messages), which no library carries.
`SqlError` travels from the SQL layer to the TDS layer, which turns it into an ERROR token.
"""

from __future__ import annotations


class SqlError(Exception):
    """An error as SQL Server reports it; `fatal` ends the connection, `batch_abort` the batch."""

    def __init__(
        self,
        number: int,
        message: str,
        *,
        cls: int = 16,
        state: int = 1,
        batch_abort: bool = False,
        fatal: bool = False,
    ) -> None:
        super().__init__(message)
        self.number = number
        self.message = message
        self.cls = cls
        self.state = state
        self.batch_abort = batch_abort or fatal
        self.fatal = fatal


def invalid_rpc_value(ordinal: int, name: str, type_name: str) -> SqlError:
    """8023: an RPC parameter value outside its type's domain. SQL Server answers the request with
    it and keeps the connection; `ordinal` is 1-based over the whole call, `name` as sent (with '@')."""
    return SqlError(
        8023,
        "The incoming tabular data stream (TDS) remote procedure call (RPC) protocol stream is "
        f'incorrect. Parameter {ordinal} ("{name}"): The supplied value is not a valid instance of data '
        f"type {type_name}. Check the source data for invalid values. An example of an invalid value is "
        "data of numeric type with scale greater than precision.",
        cls=16,
        state=1,
    )


def syntax_error(near: str) -> SqlError:
    return SqlError(102, f"Incorrect syntax near '{near}'.", cls=15, state=1, batch_abort=True)


def not_supported(what: str) -> SqlError:
    """What the twin refuses instead of answering differently from SQL Server (40517 is SQL Server's
    'not supported in this version' number)."""
    return SqlError(
        40517,
        f"Keyword or statement option '{what}' is not supported by the SQL Server twin.",
        cls=16,
        state=1,
        batch_abort=True,
    )


def invalid_object(name: str) -> SqlError:
    return SqlError(208, f"Invalid object name '{name}'.", cls=16, state=1, batch_abort=True)


def invalid_column(name: str) -> SqlError:
    return SqlError(207, f"Invalid column name '{name}'.", cls=16, state=1, batch_abort=True)


def conversion_failed(value: object, src: str, dst: str) -> SqlError:
    return SqlError(
        245,
        f"Conversion failed when converting the {src} value '{value}' to data type {dst}.",
        cls=16,
        state=1,
        batch_abort=True,
    )


def overflow(dst: str) -> SqlError:
    return SqlError(
        8115, f"Arithmetic overflow error converting expression to data type {dst}.", cls=16, state=8, batch_abort=True
    )


def permission_denied(perm: str, table: str, database: str) -> SqlError:
    return SqlError(
        229,
        f"The {perm} permission was denied on the object '{table}', database '{database}', schema 'dbo'.",
        cls=14,
        state=5,
    )
