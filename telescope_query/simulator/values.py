"""Reading the values clients send: numbers as JSON numbers or strings, ids
with or without their letter, positions, the job search's dates.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

__all__ = ['BadValue', 'as_int', 'as_number', 'parse_object_id', 'id_arg', 'search_time']

# 'HH:MM:SS.ss +DD:MM:SS.ss': zero padded, two decimals, Dec always signed.
_OBJECT_ID = re.compile(r'^(\d\d):(\d\d):(\d\d\.\d\d) ([+-])(\d\d):(\d\d):(\d\d\.\d\d)$')


class BadValue(ValueError):
    """A parameter that is not what it should be."""


def as_int(value: Any, name: str) -> int:
    """A parameter given as a JSON number or a numeric string, as an int.

    Raises
    ------
    BadValue
        For anything else (booleans included).
    """
    if isinstance(value, bool):
        raise BadValue(f'{name} must be a number')
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r'\s*[+-]?\d+\s*', value):
        return int(value)
    raise BadValue(f'{name} must be an integer, got {value!r}')


def as_number(value: Any) -> float | None:
    """A number given as a JSON number or a string, or None."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_object_id(text: Any) -> tuple[float, float] | None:
    """``'HH:MM:SS.ss +DD:MM:SS.ss'`` -> (ra_deg, dec_deg), or None if malformed."""
    match = _OBJECT_ID.match(text) if isinstance(text, str) else None
    if not match:
        return None
    h, m, s, sign, d, dm, ds = match.groups()
    h, m, s, d, dm, ds = int(h), int(m), float(s), int(d), int(dm), float(ds)
    if h > 23 or m > 59 or s >= 60 or dm > 59 or ds >= 60:
        return None
    dec = d + dm / 60 + ds / 3600
    if dec > 90:
        return None
    return 15 * (h + m / 60 + s / 3600), -dec if sign == '-' else dec


def id_arg(text: str | None) -> int | None:
    """An id from a query string, with or without its letter prefix (``J418581``)."""
    text = (text or '').strip()
    if text[:1] in ('R', 'J', 'r', 'j'):
        text = text[1:]
    return int(text) if text.isdigit() else None


def search_time(parts: list[str]) -> float | None:
    """Day, month, year, hour, minute (unpadded strings) as Unix seconds (UTC)."""
    try:
        day, month, year, hour, minute = (int(p) for p in parts)
        if year < 100:
            year += 2000
        when = dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone.utc)
    except (TypeError, ValueError):
        return None
    return when.timestamp()
