"""Every check of what a user gives the public methods: one home for each.

Pure: each function takes a value as the user gave it and returns what the
client sends or compares, or raises `TypeError`/`ValueError` naming the
parameter and what is allowed, before anything is sent. The site's own facts
(telescopes, filters, statuses, limits) come from `telescope_query.protocol.site`.
"""
from __future__ import annotations

import math
import numbers
import os
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

import astropy.units as u
import numpy as np
from astropy.time import Time

from .protocol import site

__all__ = ['MAX_ID', 'ids', 'prefixed_id', 'check_flag', 'ascii_digits', 'check_sort',
           'status_filter', 'name_key', 'same_name', 'check_text', 'object_name', 'comment',
           'user_name', 'MAX_NAME_LENGTH', 'MAX_COMMENT_LENGTH', 'MAX_USER_LENGTH',
           'telescope', 'telescope_id', 'filter_name', 'exposure_ms', 'utc_now',
           'utc_datetime', 'time_window', 'searchable', 'folder_argument', 'match_folder',
           'given', 'positive_number', 'server_url', 'product_flags',
           'output_folder', 'output_file',
           'observing_start', 'observing_days', 'degrees_limit', 'MAX_OBSERVABLE_DAYS',
           'min_interval', 'queue_limit', 'seconds']

#: Largest id accepted: ids beyond a signed 64-bit integer cannot exist on the site.
MAX_ID = 2 ** 63 - 1
#: The longest object name and comment a request takes: this package's choice,
#: the site's own limits are [assumed].
MAX_NAME_LENGTH = 64
MAX_COMMENT_LENGTH = 255
#: The longest user name taken: this package's bound, the site's is not known.
MAX_USER_LENGTH = 255


# --- plain values ------------------------------------------------------------------

def check_flag(value: Any, name: str) -> bool:
    """``value`` when it is True or False (numpy's included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def ascii_digits(text: str) -> bool:
    """Digits as ``int()`` reads the site's ids: ASCII only (``'²'.isdigit()`` is True)."""
    return text.isascii() and text.isdigit()


def _shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def _one_id(value: Any, name: str) -> int:
    """``value`` as a positive int id, or an error naming ``name``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer id, got the boolean {value!r}")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        # Ids as the site prints them carry a one-letter prefix (R706248, J418581).
        if text[:1] in ('R', 'J', 'r', 'j') and ascii_digits(text[1:]):
            text = text[1:]
        if not ascii_digits(text):
            raise ValueError(f"{name} must be an integer id (like 418581), got "
                             f"{_shorten(value)}")
        if len(text.lstrip('0')) > len(str(MAX_ID)):
            # int() of thousands of digits is slow, or refused by Python itself.
            raise ValueError(f"{name} must be an id below 2**63 (the site's largest), got "
                             f"{_shorten(value)}")
        number = int(text)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        number = int(float(value))
    else:
        raise TypeError(f"{name} must be an integer id (int or numeric string), "
                        f"got {type(value).__name__} {value!r}")
    if number <= 0:
        raise ValueError(f"{name} must be a positive integer id, got {value!r}")
    if number > MAX_ID:
        raise ValueError(f"{name} must be an id below 2**63 (the site's largest), got "
                         f"{_shorten(value)}")
    return number


def ids(given: Any, name: str, column: str | None = None) -> tuple[list[int], bool]:
    """The ways users give ids, as a list of ints.

    Parameters
    ----------
    given : int, str, sequence, `~astropy.table.Table`, `~astropy.table.Row` or `~astropy.table.Column`
        One id or many. A Table or Row contributes its ``column`` column.
    name : str
        The parameter's name, for messages (``'jids'``, ``'rids'``).
    column : str, optional
        Column to take from a Table or Row (``'jid'``, ``'rid'``); defaults to
        ``name`` without a trailing ``s``.

    Returns
    -------
    ids : list of int
    single : bool
        True when one scalar id was given (callers may return a scalar then).
    """
    from astropy.table import Row, Table  # local: keep the import of this module cheap

    column = column or name.rstrip('s')
    values: list[Any]
    if isinstance(given, (Table, Row)):
        if column not in given.colnames:
            # A request listing has its jobs only with its views (details=True).
            hint = (": a request listing has it with details=True, or from "
                    "get_request_details(table)" if column == 'jid' and 'rid' in given.colnames
                    else '')
            raise ValueError(f"{name}: the table has no {column!r} column "
                             f"(columns: {', '.join(given.colnames)}){hint}")
        single = isinstance(given, Row)
        values = [given[column]] if single else list(given[column])
    elif isinstance(given, (str, bytes)) or np.ndim(given) == 0:
        if isinstance(given, bytes):
            given = given.decode('ascii', 'replace')
        values, single = [given], True
    else:
        values, single = list(given), False
    out = []
    for value in values:
        if np.ma.is_masked(value):
            raise ValueError(f"{name} contains a masked (missing) id")
        out.append(_one_id(value, name))
    if not out:
        raise ValueError(f"{name} is empty: give at least one id")
    return out, single


def prefixed_id(value: Any, name: str) -> tuple[str | None, int]:
    """One id as the site prints it, ``R706248`` (a request) or ``J418581`` (a job), or
    bare (``418581``): its kind (``'R'``, ``'J'``, or None when bare) and number."""
    number = _one_id(value, name)
    first = value.strip()[:1].upper() if isinstance(value, str) else ''
    return (first if first in ('R', 'J') else None), number


def check_sort(sort: Any) -> str:
    """``sort`` of a listing: ``'rid'``, ``'object'`` or ``'completion'``."""
    if not isinstance(sort, str) or sort not in site.LISTING_SORTS:
        raise ValueError(f"sort must be one of {', '.join(map(repr, site.LISTING_SORTS))}, "
                         f"got {sort!r}")
    return sort


def status_filter(status: Any) -> set[int] | None:
    """The status codes a ``status`` argument asks for (None: all)."""
    if status is None:
        return None
    if isinstance(status, (list, tuple, set, frozenset)):
        if not status:
            raise ValueError("status must not be an empty list")
        return set().union(*(status_filter(one) or set() for one in status))
    allowed = ("status must be a status code (1-26, e.g. 8), a status text ('Complete', "
               "'Waiting', ...), 'queued' or 'complete'")
    if isinstance(status, (bool, np.bool_)):
        raise TypeError(f"{allowed}, got {status!r}")
    if isinstance(status, (int, np.integer)) or (isinstance(status, str)
                                                 and ascii_digits(status.strip())):
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
        known = site.status_code(word)
        if known is not None:
            return {known}
    raise ValueError(f"{allowed}, got {status!r}")


# --- names and texts ---------------------------------------------------------------

def name_key(name: str) -> str:
    """Object and folder names compared regardless of case and spacing."""
    return ''.join(str(name).split()).casefold()


def same_name(a: str, b: str) -> bool:
    """Names equal up to case and white space (``'SS Cyg'`` == ``'ss  cyg'``)."""
    return name_key(a) == name_key(b)


def check_text(value: Any, name: str, limit: int, *, allow_empty: bool = False,
               allowed_controls: str = '') -> str:
    """Printable text of at most ``limit`` characters, stripped."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text (str), got {type(value).__name__} {value!r}")
    text = value.strip()
    if not text and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if len(text) > limit:
        raise ValueError(f"{name} must be at most {limit} characters, got {len(text)}")
    bad = [c for c in text if not c.isprintable() and c not in allowed_controls]
    if bad:
        raise ValueError(f"{name} must be printable text; it contains {''.join(bad)!r}")
    return text


def object_name(value: Any, name: str = 'name', limit: int = MAX_NAME_LENGTH) -> str:
    """An object name: 1 to ``limit`` printable characters (a new request's: at
    most `MAX_NAME_LENGTH`)."""
    return check_text(value, name, limit)


def comment(value: Any) -> str:
    """A request's comment: at most `MAX_COMMENT_LENGTH` characters, may be empty."""
    return check_text(value, 'comment', MAX_COMMENT_LENGTH, allow_empty=True,
                      allowed_controls='\t\n')


def user_name(value: Any, name: str = 'username') -> str:
    """A telescope.org user name: printable, not empty, at most `MAX_USER_LENGTH`."""
    return check_text(value, name, MAX_USER_LENGTH)


# --- telescopes, filters, exposures --------------------------------------------------

def _is_name_or_id(value: Any) -> bool:
    return isinstance(value, (str, numbers.Integral)) and not isinstance(value, (bool, np.bool_))


def given(value: Any) -> bool:
    """Whether an optional argument was given: not None and not ``''``."""
    return value is not None and not (isinstance(value, str) and value == '')


def telescope_id(value: Any, name: str = 'telescope', *, in_service: bool = True) -> int:
    """A telescope by name (any case) or id -> its id.

    ``in_service``: only COAST and PIRATE, which take requests; else the
    retired cameras too (their jobs are searchable).
    """
    known = {number: label for number, label in site.TELESCOPE_NAMES.items()
             if not in_service or label in site.IN_SERVICE}
    allowed = (f"{name} must be {' or '.join(known.values())} (any case) or its id "
               f"({', '.join(map(str, known))})")
    if not _is_name_or_id(value):
        raise TypeError(f"{allowed}, got {type(value).__name__} {value!r}")
    text = str(value).strip()
    number = (int(text) if ascii_digits(text) else site.TELESCOPE_IDS.get(text.lower())) \
        if isinstance(value, str) else int(value)
    if number in known:
        return int(number)
    if number in site.TELESCOPE_NAMES:
        raise ValueError(f"{name} {value!r} is a retired camera of the Bradford Robotic "
                         f"Telescope and takes no new requests; use "
                         f"{' or '.join(site.IN_SERVICE)}")
    raise ValueError(f"{allowed}, got {value!r}")


def telescope(value: Any, name: str = 'telescope') -> str:
    """One of the telescopes that take requests, by name or id -> ``'COAST'``/``'PIRATE'``."""
    return site.TELESCOPE_NAMES[telescope_id(value, name)]


# Lower-case spelling of a standard filter -> its position (both schemes).
_FILTER_INDEX = {spelling.lower(): index for names in site.STANDARD_FILTERS.values()
                 for index, spelling in enumerate(names)}
_FILTER_INDEX['color'] = 0  # American spelling of PIRATE's 'Colour'


def filter_name(value: Any, telescope_name: str | None, name: str = 'filter') -> str:
    """A filter's name as ``telescope_name`` spells it.

    The four standard filters are taken in either scheme, any case: COAST's
    ``BVR``/``B``/``V``/``R`` and PIRATE's ``Colour``/``Blue``/``Green``/``Red``
    name the same four [seen], and are translated. The others in use (``Clear``,
    ``HAlpha``, ``Luminance``, ``SHO``) are taken on both [seen], as the views
    spell them (that the basket takes that spelling is [assumed]). Without a
    telescope (a job search of all cameras) a name is taken as it is spelled.
    """
    scheme = site.STANDARD_FILTERS.get(telescope_name or '')
    offered = (scheme or tuple(f for names in site.STANDARD_FILTERS.values() for f in names)
               ) + site.OTHER_FILTERS
    allowed = f"{name} must be one of {', '.join(offered)}" + (
        " (or the same filters under the other telescope's names)" if scheme else '')
    if not isinstance(value, str):
        raise TypeError(f"{allowed}; got {type(value).__name__} {value!r}")
    wanted = value.strip().lower()
    index = _FILTER_INDEX.get(wanted)
    if index is not None and scheme is not None:
        return scheme[index]
    for spelling in offered:
        if spelling.lower() == wanted:
            return spelling
    where = f" of {telescope_name}" if telescope_name else ''
    raise ValueError(f"{allowed}; {value!r} is not a filter{where}")


def exposure_ms(value: Any, longest: u.Quantity, telescope_name: str,
                name: str = 'exposure', unit: u.UnitBase = u.s) -> int:
    """An exposure (a Quantity of time, or a number of ``unit``) in whole milliseconds.

    At least `~telescope_query.protocol.site.MIN_EXPOSURE_S` and at most
    ``longest`` (the telescope's limit). The messages name ``name`` and give
    the range in ``unit`` (the original library's calls take milliseconds).
    """
    shortest = site.MIN_EXPOSURE_S * u.s
    words = {'s': 'seconds', 'ms': 'milliseconds', 'min': 'minutes'}.get(str(unit), str(unit))
    low, high = shortest.to_value(unit), longest.to_value(unit)
    allowed = (f"a time from {low:g} {unit} to {high:g} {unit} on {telescope_name}, as a "
               f"Quantity or {words}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (u.Quantity,
                                                                       numbers.Real)):
        raise TypeError(f"{name} must be {allowed}; got {type(value).__name__} {value!r}")
    if isinstance(value, u.Quantity):
        if not value.isscalar:
            raise ValueError(f"{name} must be one value, {allowed}; got {value!r}")
        try:
            seconds = float(value.to_value(u.s))
        except u.UnitConversionError:
            raise ValueError(f"{name} must be {allowed}; {value} is not a time") from None
    else:
        seconds = float((float(value) * unit).to_value(u.s))
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{name} must be {allowed}; got {value!r}")
    given = f"{(seconds * u.s).to_value(unit):g} {unit}"
    if seconds < shortest.to_value(u.s):
        raise ValueError(f"{name} {given} is too short: must be {allowed}")
    if seconds > longest.to_value(u.s):
        raise ValueError(f"{name} {given} is too long: must be {allowed}")
    return int(round(seconds * 1000))


# --- times ----------------------------------------------------------------------------

def utc_now() -> datetime:
    """Now, UTC, in whole minutes (the site's job search works in minutes)."""
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)


def utc_datetime(value: Any, name: str) -> datetime:
    """A UTC datetime from a Time, datetime, date or ISO string."""
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
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')    # ERFA's 'dubious year': checked after
                parsed = Time(value.strip(), scale='utc')
            return utc_datetime(parsed, name)
        except ValueError:
            raise ValueError(f"{allowed}, got {value!r}") from None
    raise TypeError(f"{allowed}, got {type(value).__name__} {value!r}")


def _shown(when: datetime) -> str:
    # strftime('%Y') does not pad years below 1000 everywhere.
    return (f"{when.year:04d}-{when.month:02d}-{when.day:02d} "
            f"{when.hour:02d}:{when.minute:02d}")


def searchable(when: datetime, name: str, *, days: float | None = None) -> datetime:
    """``when`` if the job search can mean it: from `site.ARCHIVE_START` on.

    ``days``: ``when`` is that many days before another time (the legacy
    ``dt``), and the message says how far back they reach.
    """
    if when >= site.ARCHIVE_START:
        return when
    since = (f"{site.ARCHIVE_START:%Y-%m-%d} (UTC), when the site's first telescope "
             f"went on the web")
    if days is not None:
        raise ValueError(f"{name} must reach no further back than {since}; {days!r} days "
                         f"reach {_shown(when)}")
    raise ValueError(f"{name} must be on or after {since}: no job is older; got "
                     f"{_shown(when)}")


def time_window(start: Any, end: Any, names: tuple[str, str] = ('start', 'end')
                ) -> tuple[datetime, datetime]:
    """``(start, end)`` as UTC datetimes: ``end`` defaults to now, ``start`` to a day
    before ``end``; ``start`` must come first. ``names``: theirs in messages."""
    first, last = names
    end_time = utc_datetime(end, last) if end is not None else utc_now()
    start_time = (utc_datetime(start, first) if start is not None
                  else end_time - timedelta(days=1))
    for given, when, name in ((start, start_time, first), (end, end_time, last)):
        if given is not None:
            searchable(when, name)
    if start_time >= end_time:
        raise ValueError(f"{first} must be before {last}, got {first}={_shown(start_time)} "
                         f"and {last}={_shown(end_time)} (UTC)")
    return start_time, end_time


# --- folders ------------------------------------------------------------------------

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
    digits = ascii_digits(text)
    standard = {v: k.capitalize() for k, v in site.STANDARD_FOLDERS.items()}
    if digits and int(text) in standard:
        return int(text), standard[int(text)]
    if text.lower() in site.STANDARD_FOLDERS:
        return site.STANDARD_FOLDERS[text.lower()], text.lower().capitalize()
    if not text or (digits and int(text) <= 0) or (
            not isinstance(folder, str) and folder <= 0):
        raise ValueError(f"folder must be a folder name or a positive id, got {folder!r}")
    return None, text


def match_folder(text: str, folders: Sequence[Mapping[str, Any]]) -> Any:
    """The folder record that ``text`` names by id or by name (case and spacing
    ignored), or None."""
    digits = ascii_digits(text)
    for record in folders:
        if (digits and record['folder_id'] == int(text)) or (
                name_key(record['name']) == name_key(text)):
            return record
    return None


# --- files and figures --------------------------------------------------------------

def positive_number(value: Any, name: str) -> float:
    """A finite number above 0 (numpy's included; not a boolean)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} "
                        f"{_shorten(value)}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number above 0, got {_shorten(value)}")
    return number


# --- servers -------------------------------------------------------------

def server_url(value: Any, name: str = 'server') -> str:
    """A server's base URL (``http`` or ``https``, with a host), ending in ``/``."""
    allowed = f"{name} must be an http:// or https:// URL, like http://127.0.0.1:8080/"
    if not isinstance(value, str):
        raise TypeError(f"{allowed}; got {type(value).__name__} {value!r}")
    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port                        # a port that is not a number raises here
    except ValueError:
        raise ValueError(f"{allowed}; got {_shorten(value)}") from None
    if parts.scheme.lower() not in ('http', 'https') or not parts.hostname or any(
            not c.isprintable() or c.isspace() for c in text):
        raise ValueError(f"{allowed}; got {_shorten(value)}")
    return text if text.endswith('/') else text + '/'


def product_flags(cube: Any, processed: Any, flat: Any) -> tuple[bool, bool, bool]:
    """Which product of a job: ``cube`` or zip, ``processed`` or raw, ``flat``-fielded."""
    cube = check_flag(cube, 'cube')
    processed = check_flag(processed, 'processed')
    if check_flag(flat, 'flat') and processed:
        raise ValueError("flat=True asks for the raw frames divided by the flat field; the "
                         "processed products are flat-fielded already: use one or the other")
    return cube, processed, bool(flat)


def _path(value: Any, name: str, what: str) -> Path:
    if not isinstance(value, (str, os.PathLike)) or isinstance(value, bytes):
        raise TypeError(f"{name} must be a {what} name (str or path-like), got "
                        f"{type(value).__name__} {_shorten(value)}")
    text = os.fspath(value)
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a {what} name as text, got bytes {_shorten(text)}")
    if '\x00' in text:
        raise ValueError(f"{name} must not contain a NUL character, got {_shorten(text)}")
    if not text.strip():
        raise ValueError(f"{name} must be a {what} name, got {text!r}")
    return Path(text).expanduser()


def output_folder(value: Any, name: str = 'path') -> Path:
    """A folder to put files in: made when missing, so it must not be a file (nor
    be below one)."""
    folder = _path(value, name, 'folder')
    for place in (folder, *folder.parents):
        if place.exists():
            if not place.is_dir():
                raise ValueError(f"{name} must be a folder, but {os.fspath(place)!r} is a "
                                 f"file")
            break
    return folder


def output_file(value: Any, name: str) -> Path:
    """A file to write: not a folder, in a folder that exists."""
    file = _path(value, name, 'file')
    if file.is_dir():
        raise ValueError(f"{name} must be a file name, but {os.fspath(file)!r} is a folder")
    parent = file.parent
    if not parent.is_dir():
        raise ValueError(f"{name}: the folder {os.fspath(parent)!r} does not exist")
    return file


# --- frames: add_wcs, solve_wcs, frame_times ------------------------------------------

def product_source(value: Any, name: str) -> Any:
    """A product given as a file name (str or path-like) or an open
    `~astropy.io.fits.HDUList`; anything else is refused."""
    import os
    from astropy.io import fits
    if isinstance(value, fits.HDUList):
        return value
    if isinstance(value, (str, os.PathLike)) and os.fspath(value):
        return value
    raise TypeError(f"{name} must be a file name (str or path-like) or an HDUList, got "
                    f"{type(value).__name__} {_shorten(value)}")


def optional_telescope(value: Any, name: str = 'telescope') -> str | None:
    """None, or one of the telescopes that take requests -> ``'COAST'``/``'PIRATE'``."""
    return None if value is None else telescope(value, name)


def sky_target(value: Any, name: str = 'target') -> Any:
    """None, a `~astropy.coordinates.SkyCoord` (one position), or a coordinate
    string (RA in hours, Dec in degrees) -> a SkyCoord. No name lookup: that
    would need the network."""
    if value is None:
        return None
    from astropy.coordinates import SkyCoord
    if isinstance(value, SkyCoord):
        if not value.isscalar:
            raise ValueError(f"{name} must be one position, got {len(value)}")
        return value
    if isinstance(value, str):
        try:
            return SkyCoord(value, unit=(u.hourangle, u.deg))
        except ValueError:
            pass
    raise ValueError(f"{name} must be a SkyCoord or a coordinate string such as "
                     f"'19:19:02.60 +41:06:34.24', got {_shorten(value)}")


def hdulist(value: Any, name: str) -> Any:
    """An open `~astropy.io.fits.HDUList`, else a TypeError naming ``name``."""
    from astropy.io import fits
    if not isinstance(value, fits.HDUList):
        raise TypeError(f"{name} must be an HDUList (from get_images or add_wcs), got "
                        f"{type(value).__name__} {_shorten(value)}")
    return value


def optional_secret_text(value: Any, name: str) -> str | None:
    """None, or a non-empty string (a key: never echoed in the message)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got a "
                         f"{'blank string' if isinstance(value, str) else type(value).__name__}")
    return value


# --- observability (telescope_query.observe) ------------------------------------------

#: The longest span ``observability`` looks at, days: a year and a day.
MAX_OBSERVABLE_DAYS = 366


def observing_start(value: Any) -> Time:
    """``start`` of ``observability``: a UTC Time, now when None."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')     # ERFA's 'dubious year' past the leap seconds known
        if value is None:
            return Time.now()
        return Time(utc_datetime(value, 'start'), scale='utc')


def _number(value: Any, unit: u.UnitBase, allowed: str) -> float:
    """A finite real number, or a Quantity in ``unit``'s kind, in ``unit``."""
    if isinstance(value, u.Quantity):
        try:
            value = value.to_value(unit)
        except u.UnitsError:
            raise ValueError(f"{allowed}, got {value}") from None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{allowed}, got {type(value).__name__} {_shorten(value)}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{allowed}, got {value!r}")
    return float(value)


def observing_days(value: Any, name: str = 'days') -> float:
    """A look-ahead in days: a number above 0 and at most `MAX_OBSERVABLE_DAYS`."""
    allowed = f"{name} must be a number of days above 0 and at most {MAX_OBSERVABLE_DAYS}"
    days = _number(value, u.day, allowed)
    if not 0 < days <= MAX_OBSERVABLE_DAYS:
        raise ValueError(f"{allowed}, got {value!r}")
    return days


def degrees_limit(value: Any, name: str, low: float, high: float) -> float:
    """An angle in degrees (a number or an angle Quantity) within ``[low, high]``."""
    allowed = f"{name} must be an angle in degrees from {low:g} to {high:g}"
    degrees = _number(value, u.deg, allowed)
    if not low <= degrees <= high:
        raise ValueError(f"{allowed}, got {value!r}")
    return degrees


# --- cadence and room (submit_missing) -----------------------------------------------

def min_interval(value: Any, name: str = 'min_interval') -> timedelta | None:
    """A cadence: a time Quantity, a timedelta or a number of days, at least 0; None
    for no cadence."""
    if value is None:
        return None
    allowed = (f"{name} must be a time span at least 0: a Quantity like 3 * u.day, "
               f"a datetime.timedelta or a number of days (or None)")
    if isinstance(value, timedelta):
        value = value.total_seconds() / 86400
    days = _number(value, u.day, allowed)
    if days < 0 or days > 36500:
        raise ValueError(f"{allowed}, got {value!r}")
    return timedelta(days=days)


def queue_limit(value: Any, name: str = 'conf.queue_limit') -> int:
    """The account's queue places: a whole number above 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < 1:
        raise ValueError(f"{name} must be a whole number of places above 0, got {value!r}")
    return int(value)


# --- waiting and mirroring (telescope_query.monitor, telescope_query.sync) -------------

def seconds(value: Any, name: str, *, low: float = 0.0) -> float:
    """A duration: seconds (a number) or a time Quantity, above ``low``, finite."""
    allowed = f"{name} must be a number of seconds above {low:g} (or a time Quantity)"
    value_s = _number(value, u.s, allowed)
    if not value_s > low:
        raise ValueError(f"{allowed}, got {value!r}")
    return value_s
