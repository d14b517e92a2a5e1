"""Pure helpers that check and normalise the public methods' arguments.

No I/O: each takes what the user gave and returns what the client sends or
compares, or raises `ValueError`/`TypeError` naming the argument and what is
allowed. (Ids are normalised by `telescope_query.utils.normalize_ids`.)
"""
from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np
from astropy.time import Time

from .protocol import site

__all__ = ['status_filter', 'name_key', 'utc_now', 'utc_datetime', 'time_window',
           'check_flag', 'check_object_name', 'folder_argument', 'match_folder']


def status_filter(status: Any) -> set[int] | None:
    """The status codes a ``status`` argument asks for (None: all)."""
    if status is None:
        return None
    if isinstance(status, (list, tuple, set, frozenset)):
        if not status:
            raise ValueError("status must not be an empty list")
        return set().union(*(status_filter(one) for one in status))
    allowed = ("status must be a status code (1-26, e.g. 8), a status text ('Complete', "
               "'Waiting', ...), 'queued' or 'complete'")
    if isinstance(status, (bool, np.bool_)):
        raise TypeError(f"{allowed}, got {status!r}")
    if isinstance(status, (int, np.integer)) or (isinstance(status, str)
                                                 and _ascii_digits(status.strip())):
        code = int(status)
        if code not in site.STATUS_TEXTS:
            raise ValueError(f"{allowed}, got the unknown code {code}")
        return {code}
    if isinstance(status, str):
        word = ' '.join(status.split()).lower()
        if word == 'queued':
            return {c for c in site.STATUS_TEXTS if site.is_queued(c)}
        if word in ('complete', 'completed'):
            return {site.STATUS_COMPLETE}
        code = site.status_code(word)
        if code is not None:
            return {code}
    raise ValueError(f"{allowed}, got {status!r}")


def name_key(name: str) -> str:
    """Object and folder names compared regardless of case and spacing."""
    return ''.join(name.split()).casefold()


def check_object_name(name: Any) -> str:
    """``name`` when it is a non-empty string."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty object name, got {name!r}")
    return name


def check_flag(value: Any, name: str) -> bool:
    """``value`` when it is True or False (numpy's included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def utc_now() -> datetime:
    """Now, UTC, in whole minutes (the site's job search works in minutes)."""
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)


def utc_datetime(value: Any, name: str) -> datetime:
    """A UTC datetime from a Time, datetime, date or ISO string; ValueError naming ``name``."""
    allowed = (f"{name} must be an astropy Time, a datetime or an ISO time string "
               f"like '2024-11-18 16:00' (UTC)")
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return when.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, Time):
        if not value.isscalar:
            raise ValueError(f"{allowed}, got a Time array")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')    # ERFA's 'dubious year': refused below
                return value.utc.to_datetime(timezone=timezone.utc)
        except (ValueError, OverflowError):        # ErfaError is a ValueError
            raise ValueError(f"{allowed}, got a time out of range (JD "
                             f"{value.utc.jd:.1f})") from None
    if isinstance(value, str):
        try:
            return utc_datetime(Time(value.strip(), scale='utc'), name)
        except ValueError:
            raise ValueError(f"{allowed}, got {value!r}") from None
    raise TypeError(f"{allowed}, got {type(value).__name__} {value!r}")


def time_window(start: Any, end: Any) -> tuple[datetime, datetime]:
    """``(start, end)`` as UTC datetimes: ``end`` defaults to now, ``start`` to a day
    before ``end``; ``start`` must come first."""
    end_time = utc_datetime(end, 'end') if end is not None else utc_now()
    start_time = (utc_datetime(start, 'start') if start is not None
                  else end_time - timedelta(days=1))
    if start_time >= end_time:
        raise ValueError(f"start must be before end, got start={start_time:%Y-%m-%d %H:%M} "
                         f"and end={end_time:%Y-%m-%d %H:%M} (UTC)")
    return start_time, end_time


def folder_argument(folder: Any) -> tuple[int | None, str]:
    """A ``folder`` argument checked.

    ``(id, name)`` of a standard folder (``'Inbox'``, ``'archive'``, ``1``...),
    which needs no call; else ``(None, text)``: the name or id of one of the
    user's folders, to be looked up with `match_folder`.
    """
    if isinstance(folder, (bool, np.bool_)) or not isinstance(folder, (str, int, np.integer)):
        raise TypeError(f"folder must be a folder name or id, got "
                        f"{type(folder).__name__} {folder!r}")
    text = str(folder).strip()
    digits = _ascii_digits(text)
    standard = {v: k.capitalize() for k, v in site.STANDARD_FOLDERS.items()}
    if digits and int(text) in standard:
        return int(text), standard[int(text)]
    if text.lower() in site.STANDARD_FOLDERS:
        return site.STANDARD_FOLDERS[text.lower()], text.lower().capitalize()
    if not text or (digits and int(text) <= 0) or (
            not isinstance(folder, str) and folder <= 0):
        raise ValueError(f"folder must be a folder name or a positive id, got {folder!r}")
    return None, text


def match_folder(text: str, folders: list[dict]) -> dict | None:
    """The folder record (of `.protocol.user_api.parse_folders`) that ``text`` names
    by id or by name (case and spacing ignored), or None."""
    digits = _ascii_digits(text)
    for record in folders:
        if (digits and record['folder_id'] == int(text)) or (
                name_key(record['name']) == name_key(text)):
            return record
    return None


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()     # '²'.isdigit() is True
