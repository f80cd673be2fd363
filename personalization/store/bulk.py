"""Insert many rows from a pandas DataFrame, fast, through SQLAlchemy Core executemany.

pandas and numpy values become what the database drivers take: NaN, NaT and pd.NA become
None (SQL NULL), numpy scalars Python ones, Timestamps datetimes (dates for a Date column);
dict and list values stay as they are for JSON columns to serialise. A JSON column's values
are serialised by the column type's own processor, but once per distinct object in a chunk:
generated rows often share one dict, and serialising is a large part of the time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Column, Date, Integer, Table, Text, TypeDecorator, bindparam
from sqlalchemy.engine import Connection, Dialect

_PLAIN = frozenset({str, dict, list, int, bool, datetime, date, type(None)})


def bulk_load(
    conn: Connection,
    table: Table,
    frame: pd.DataFrame,
    chunk_rows: int = 20_000,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Insert every row of `frame` into `table`; returns the number of rows inserted.

    Columns must be columns of the table (any the frame lacks get their defaults). An
    autoincrement id column whose values are all missing is left out so that the database
    numbers the rows. `progress`, if given, is called after each chunk with the number of
    rows that chunk inserted (so `tqdm(...).update` fits).
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    unknown = [name for name in frame.columns if name not in table.c]
    if unknown:
        raise ValueError(
            f"Cannot load into table {table.name!r}: it has no column(s) {unknown}; "
            f"its columns are {list(table.c.keys())}."
        )
    columns = [name for name in frame.columns
               if not _numbered_by_database(table.c[name], frame[name])]  # fmt: skip
    serialisers = {name: _json_serialiser(table.c[name], conn.dialect) for name in columns}
    serialisers = {name: process for name, process in serialisers.items() if process}
    statement = table.insert()
    if serialisers:  # the values arrive as JSON text, made by the serialisers above
        statement = statement.values({name: bindparam(name, type_=Text()) for name in serialisers})
    done = 0
    for start in range(0, len(frame), chunk_rows):
        part = frame.iloc[start : start + chunk_rows]
        values = [python_values(part[name], table.c[name]) for name in columns]
        for i, name in enumerate(columns):
            if name in serialisers:
                values[i] = _serialise_once(values[i], serialisers[name])
        rows = [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]
        conn.execute(statement, rows)
        done += len(rows)
        if progress is not None:
            progress(len(rows))
    return done


def _json_serialiser(column: Column, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column's own bind processor if it stores JSON (also through a variant/decorator)."""
    base = column.type
    while isinstance(base, TypeDecorator):
        base = base.impl
    if not isinstance(base, JSON):
        return None
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _serialise_once(values: list, process: Callable[[Any], Any]) -> list:
    done: dict[int, Any] = {}  # by id(): `values` keeps every object alive meanwhile
    out = []
    for value in values:
        key = id(value)
        if key not in done:
            done[key] = process(value)
        out.append(done[key])
    return out


def _numbered_by_database(column: Column, values: pd.Series) -> bool:
    single_key = len(column.table.primary_key.columns) == 1
    return (column.primary_key and single_key and isinstance(column.type, Integer)
            and column.autoincrement in (True, "auto") and bool(values.isna().all()))  # fmt: skip


def python_values(series: pd.Series, column: Column) -> list:
    """The values of `series` as plain Python objects for `column`."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):  # stored naive, in UTC
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        dtype = series.dtype
    if isinstance(dtype, np.dtype):
        values = series.to_numpy()
        if dtype.kind == "M":  # .tolist() of datetime64[us] / [D] gives datetime / date, NaT None
            unit = "datetime64[D]" if _is_date(column) else "datetime64[us]"
            return values.astype(unit).tolist()
        if dtype.kind == "m":
            return values.astype("timedelta64[us]").tolist()
        if dtype.kind in "iub":
            return values.tolist()
        if dtype.kind == "f":
            whole = isinstance(column.type, Integer)
            missing = np.isnan(values)
            plain = values.astype(np.int64).tolist() if whole and not missing.any() else (
                values.tolist())  # fmt: skip
            if not missing.any():
                return plain
            return [None if gap else (int(v) if whole else v)
                    for v, gap in zip(plain, missing.tolist(), strict=True)]  # fmt: skip
        values = values.astype(object)
    else:  # pandas extension types: nullable ints and bools, strings, categories
        values = series.to_numpy(dtype=object, na_value=None)
    as_date = _is_date(column)
    return [v if type(v) in _PLAIN and not (as_date and type(v) is datetime)
            else _plain(v, as_date) for v in values.tolist()]  # fmt: skip


def _is_date(column: Column) -> bool:
    return isinstance(column.type, Date)


def _plain(value: Any, as_date: bool) -> Any:
    if isinstance(value, float):
        return None if value != value else value
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        value = value.astype("datetime64[us]").item()
    elif isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and value != value:
            return None
    if as_date and isinstance(value, datetime):
        return value.date()
    return value
