"""How the command line prints Tables and records: aligned text, CSV, ECSV or JSON.

Pure functions over astropy Tables: no HTTP, no client. The aligned text form is for
people (times to the second, coordinates in sexagesimal); the csv and json forms are
for scripts (ISO 8601 times, coordinates split into ``ra``/``dec`` in degrees, plain
numbers in the column's unit, missing values empty or ``null``); ECSV keeps
everything (units, ``Time``, ``SkyCoord``) so that ``Table.read`` gets the same Table.
"""
from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Column, MaskedColumn, Row, Table
from astropy.time import Time
from astropy.units import Quantity

__all__ = ['FORMATS', 'display_table', 'plain_table', 'format_table', 'format_record',
           'table_records']

#: Output formats of the listing commands (``--format``).
FORMATS = ('table', 'csv', 'ecsv', 'json')


def _time_strings(column: Time, separator: str) -> list[str | None]:
    """ISO strings to the second (``None`` where masked)."""
    mask = np.broadcast_to(np.asarray(column.mask) if column.masked else False,
                           (len(column),))
    seconds = getattr(column, 'unmasked', column).copy()
    seconds.precision = 0
    texts = np.atleast_1d(seconds.to_value('isot', subfmt='date_hms'))
    return [None if hidden else str(text).replace('T', separator)
            for text, hidden in zip(texts, mask)]


def _coord_strings(column: SkyCoord) -> list[str]:
    """Sexagesimal RA/Dec, as the site prints object ids; blank where unknown (NaN)."""
    icrs = column.icrs
    ra = np.atleast_1d(icrs.ra.to_string(unit='hourangle', sep=':', precision=1, pad=True))
    dec = np.atleast_1d(icrs.dec.to_string(unit='deg', sep=':', precision=0, pad=True,
                                           alwayssign=True))
    known = np.atleast_1d(np.isfinite(icrs.ra.deg) & np.isfinite(icrs.dec.deg))
    return [f'{r} {d}' if ok else '' for r, d, ok in zip(ra, dec, known)]


def _text_of(value: Any) -> str:
    """A cell that holds a sequence (e.g. several request ids) as one string."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return ' '.join(str(item) for item in value)
    return str(value)


def _is_object_column(column: Any) -> bool:
    return isinstance(column, Column) and column.dtype.kind == 'O'


def display_table(table: Table, *, compact: bool = True) -> Table:
    """A copy of ``table`` made for reading in a terminal.

    Times are shown as ``YYYY-MM-DD HH:MM:SS``, sky coordinates as sexagesimal
    strings (blank when unknown), and cells holding lists as space-separated text.
    Units stay in the header line. With ``compact``, a ``coord`` column is left
    out when there is an ``object_id`` column, which shows RA/Dec targets already.
    """
    out = Table(meta=table.meta)
    for name in table.colnames:
        column = table[name]
        if compact and name == 'coord' and 'object_id' in table.colnames:
            continue  # the object id already shows RA/Dec targets; keep tables narrow
        if isinstance(column, Time):
            values = _time_strings(column, ' ')
            out[name] = MaskedColumn(['' if v is None else v for v in values],
                                     mask=[v is None for v in values])
        elif isinstance(column, SkyCoord):
            out[name] = _coord_strings(column)
        elif _is_object_column(column):
            out[name] = Column([_text_of(v) for v in column], dtype=str)
        else:
            out[name] = column
    return out


def plain_table(table: Table) -> Table:
    """A copy of ``table`` with only plain columns, for CSV and JSON.

    Times become ISO 8601 strings (``2024-11-18T05:41:09``), a ``SkyCoord`` column
    ``c`` becomes two float columns ``c_ra`` and ``c_dec`` in degrees (``ra`` and
    ``dec`` when the column is called ``coord``; missing where unknown), quantities
    their plain values in the column's unit, and cells holding lists space-separated
    text.
    """
    out = Table(meta=table.meta)
    for name in table.colnames:
        column = table[name]
        if isinstance(column, Time):
            values = _time_strings(column, 'T')
            out[name] = MaskedColumn(['' if v is None else v for v in values],
                                     mask=[v is None for v in values])
        elif isinstance(column, SkyCoord):
            prefix = '' if name == 'coord' else f'{name}_'
            icrs = column.icrs
            unknown = ~(np.isfinite(icrs.ra.deg) & np.isfinite(icrs.dec.deg))
            out[f'{prefix}ra'] = MaskedColumn(np.round(icrs.ra.deg, 6), mask=unknown)
            out[f'{prefix}dec'] = MaskedColumn(np.round(icrs.dec.deg, 6), mask=unknown)
        elif isinstance(column, Quantity):
            out[name] = column.value
        elif _is_object_column(column):
            out[name] = Column([_text_of(v) for v in column], dtype=str)
        else:
            out[name] = column
    return out


def _json_value(value: Any) -> Any:
    """A numpy scalar or masked value as a JSON-friendly Python value."""
    if value is None or value is np.ma.masked or np.ma.is_masked(value):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    if isinstance(value, np.str_):
        return str(value)
    return value


def table_records(table: Table) -> list[dict[str, Any]]:
    """The rows of ``table`` as a list of dicts of JSON-friendly values."""
    plain = plain_table(table)
    return [{name: _json_value(row[name]) for name in plain.colnames} for row in plain]


def format_table(table: Table, fmt: str = 'table') -> str:
    """The whole table (every row, every column) as text in ``fmt``.

    Parameters
    ----------
    table : `~astropy.table.Table`
    fmt : {'table', 'csv', 'ecsv', 'json'}
        ``table``: aligned columns for people; ``csv`` and ``json``: plain values for
        scripts; ``ecsv``: astropy's lossless text format.

    Returns
    -------
    text : str
        Ends with a newline.
    """
    if fmt == 'table':
        if len(table) == 0:
            return '(no rows)\n'
        lines = display_table(table).pformat(max_lines=-1, max_width=-1)
        return '\n'.join(line.rstrip() for line in lines) + '\n'
    if fmt == 'json':
        return json.dumps(table_records(table), indent=2, ensure_ascii=False) + '\n'
    if fmt == 'csv':
        buffer = io.StringIO()
        plain_table(table).write(buffer, format='ascii.csv')
        return buffer.getvalue()
    if fmt == 'ecsv':
        buffer = io.StringIO()
        table.write(buffer, format='ascii.ecsv')
        return buffer.getvalue()
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")


def format_record(row: Row | Table, fmt: str = 'table') -> str:
    """One row, as ``name: value`` lines for people or like `format_table` otherwise."""
    table = row if isinstance(row, Table) else row.table[row.index:row.index + 1]
    if fmt != 'table':
        return format_table(table, fmt)
    shown = display_table(table, compact=False)
    width = max(len(name) for name in shown.colnames)
    lines = []
    for name in shown.colnames:
        value = shown[name][0]
        text = '' if np.ma.is_masked(value) else _text_of(value)
        unit = getattr(table[name], 'unit', None)
        if unit is not None and text and not isinstance(table[name], (Time, SkyCoord)):
            text = f'{text} {unit}'
        lines.append(f'{name:>{width}}: {text}'.rstrip())
    return '\n'.join(lines) + '\n'
