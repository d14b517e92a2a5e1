"""The site's HTML pages: login form, request and job views, the job search.

Pure functions over page text (parsed with BeautifulSoup). Views are read by
their row LABELS, never by position (PROTOCOL.md section 3); anything marked
[assumed] there is used when present and never required.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from ..exceptions import RemoteServiceError
from . import site
from .shapes import JobView, RequestView, SearchAnswer
from .site import status_code
from .user_api import decode_json, quote_body, to_int

__all__ = ['LOGIN_PATH', 'LOGOUT_PATH', 'VIEW_PATH', 'JOB_SEARCH_PATH', 'RESULTS_PER_PAGE',
           'login_payload', 'is_login_form', 'is_login_url', 'view_rows', 'parse_date',
           'parse_exposure', 'parse_var_info', 'completion_may_slip', 'check_completion',
           'telescope_of_view', 'FRAMES_BEFORE_COMPLETION', 'parse_job_view',
           'parse_request_view',
           'job_search_form', 'parse_job_search']

LOGIN_PATH = 'login.php'
LOGOUT_PATH = 'logout.php'          # [assumed]: never sent by the original clients
VIEW_PATH = 'v4request-view.php'
JOB_SEARCH_PATH = 'v3job-search-query.php'
RESULTS_PER_PAGE = 1000

JOB_LABELS = ('Request ID', 'Object Type', 'Object ID', 'Telescope Type Name',
              'Filter Type', 'Exposure Time', 'Completion Time', 'Status')
REQUEST_LABELS = ('Job ID', 'Object Type', 'Object ID', 'Object Name',
                  'Telescope Type Name', 'Telescope Name', 'Filter Type', 'Dark Frame',
                  'Exposure Time', 'Request Time', 'Completion Time', 'Status')

_MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
           'September', 'October', 'November', 'December')
# 'D Month YYYY (HH:MM:SS UTC)' anywhere in a cell [seen: '18 November 2024 (05:41:09 UTC)'].
_DATE = re.compile(r'\b(\d{1,2})\s+(' + '|'.join(_MONTHS) + r')\s+(\d{4})\s*'
                   r'\(\s*(\d{1,2}):(\d{2}):(\d{2})\s*UTC\s*\)', re.IGNORECASE)
# '120000 ms' [seen]; other units are read, an unknown word after the number is not.
_EXPOSURE = re.compile(r'(\d+(?:\.\d*)?)\s*([a-z]+)?', re.IGNORECASE)
_EXPOSURE_UNITS = {'ms': 1, 'msec': 1, 'millisecond': 1, 'milliseconds': 1, 's': 1000,
                   'sec': 1000, 'secs': 1000, 'second': 1000, 'seconds': 1000,
                   'min': 60_000, 'mins': 60_000, 'minute': 60_000, 'minutes': 60_000}
# 'R706248', ' R771716 R771970 ' [seen]; the spacing and separators are not:
# 'R771716,R771970', 'R 771716', 'r771716' are read too, and a cell of bare
# numbers gives them all.
_RID = re.compile(r'(?<![A-Za-z])R\s*(\d+)', re.IGNORECASE)
_NUMBER = re.compile(r'\d+')
_PREFIXED_ID = re.compile(r'^[A-Za-z]?\s*(\d+)$')
_VAR_INFO = re.compile(r'^\s*var\s+info\s*=\s*(.*?)\s*;?\s*$')
_JID_LINK = re.compile(r'jid=(\d+)(?:&|$)')


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, 'html.parser')


def login_payload(username: str, password: str) -> dict[str, str]:
    """The login form's fields [seen]."""
    return {'action': 'login', 'username': username, 'password': password,
            'stayloggedin': 'true'}


def is_login_form(html: str) -> bool:
    """A page holding a ``<form>`` with ``username`` and ``password`` inputs.

    What the pages answer without a valid session [assumed].
    """
    if '<form' not in html.lower():
        return False
    for form in _soup(html).find_all('form'):
        names = {field.get('name') for field in form.find_all('input')}
        if {'username', 'password'} <= names:
            return True
    return False


def is_login_url(url: str) -> bool:
    """Whether ``url`` (where a page ended up, after redirects) is the login script.

    PROTOCOL.md 1 [assumed]: pages without a session answer the login form;
    the live site may instead redirect to ``login.php``, whose form need not
    look as `is_login_form` expects: the address says it.
    """
    path = urlsplit(url or '').path
    return path.rstrip('/').rsplit('/', 1)[-1].lower() == LOGIN_PATH


def _clean(text: str) -> str:
    return ' '.join(text.replace('\xa0', ' ').split())


def _match_label(cell_text: str, labels: tuple[str, ...]) -> str | None:
    """The label a cell shows: exact (ignoring case, spaces, a colon) or the
    longest label contained in it (the original matched substrings)."""
    text = _clean(cell_text).rstrip(':').strip().lower()
    for label in labels:
        if text == label.lower():
            return label
    contained = [label for label in labels if label.lower() in text]
    return max(contained, key=len) if contained else None


def view_rows(html: str | BeautifulSoup, labels: tuple[str, ...]) -> dict[str, Tag]:
    """Map each known label to its value cell (the cell after the label's).

    Labels are ``<td>`` cells [seen]; a label in a ``<th>`` is read too (the
    original client could not, so a site that changed to it would break it).
    """
    soup = html if isinstance(html, BeautifulSoup) else _soup(html)
    rows: dict[str, Tag] = {}
    for row in soup.find_all('tr'):
        cells = row.find_all(['td', 'th'], recursive=False)
        if len(cells) < 2:
            continue
        label = _match_label(cells[0].get_text(' '), labels)
        if label and label not in rows:
            rows[label] = cells[1]
    return rows


def parse_date(text: str) -> tuple[datetime, list[str]] | None:
    """The first ``D Month YYYY (HH:MM:SS UTC)`` in ``text``.

    Returns the UTC datetime and the five words the original library gave
    (``['18', 'November', '2024', '05:41:09', 'UTC']``), or None.
    """
    found = _DATE.search(text.replace('\xa0', ' '))
    if not found:
        return None
    day, month, year, hour, minute, second = found.groups()
    month = month.capitalize()
    when = datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hour),
                    int(minute), int(second), tzinfo=timezone.utc)
    return when, [day, month, year, f'{hour}:{minute}:{second}', 'UTC']


try:    # The site's local time: the Observatorio del Teide's.
    _SITE_TIME: tzinfo | None = ZoneInfo('Atlantic/Canary')
except ZoneInfoNotFoundError:      # no time-zone database on this machine
    _SITE_TIME = None

#: How long before its job's completion a frame may start [seen: 151-480 s for
#: three frames of 60-180 s]; a frame further back belongs to another reading.
FRAMES_BEFORE_COMPLETION = timedelta(hours=2)


def completion_may_slip(shown: datetime) -> bool:
    """Whether a view's completion time may show the next day's date.

    The summer date slip [seen: nine jobs of summer 2019, none in winter]: a
    completion between 23:00 and 24:00 UTC while the Canary Islands keep summer
    time is shown with the next day's date (the date in local time, the clock
    in UTC). ``shown`` is the time as the view reads. Without the time-zone
    database, March to October stands for summer time.
    """
    if shown.hour != 23:
        return False
    day_before = shown - timedelta(days=1)
    if _SITE_TIME is None:
        return 3 <= day_before.month <= 10
    return bool(day_before.astimezone(_SITE_TIME).utcoffset())


def check_completion(shown: datetime, frame_starts: Sequence[datetime] = ()
                     ) -> tuple[datetime, str]:
    """A view's completion time checked against its frames' ``DATE-OBS``.

    Returns ``(completion, check)``: ``check`` is ``''`` when the time cannot
    have slipped; ``'confirmed'`` when it may have but the frames show it did
    not; ``'corrected'`` when the frames show it did (the completion is then
    one day earlier); ``'uncertain'`` when it may have and no frame tells.
    Frames start minutes before the completion [seen], at most
    `FRAMES_BEFORE_COMPLETION`.
    """
    if not completion_may_slip(shown):
        return shown, ''
    starts = [start for start in frame_starts if start is not None]
    if starts:
        first = min(starts)
        for completion, check in ((shown, 'confirmed'),
                                  (shown - timedelta(days=1), 'corrected')):
            if timedelta(0) <= completion - first <= FRAMES_BEFORE_COMPLETION:
                return completion, check
    return shown, 'uncertain'


def parse_exposure(text: str) -> int | None:
    """Milliseconds from ``'120000 ms'`` [seen] (or ``'120 s'``, ``'2 minutes'``);
    None if unreadable (an unknown unit is not guessed)."""
    found = _EXPOSURE.search(text)
    if not found:
        return None
    value = float(found.group(1))
    unit = (found.group(2) or 'ms').lower()
    if unit not in _EXPOSURE_UNITS:
        return None
    return round(value * _EXPOSURE_UNITS[unit])


def _prefixed_id(text: str) -> int | None:
    """``'J418581'`` -> 418581: ids carry a one-letter prefix [seen]."""
    found = _PREFIXED_ID.match(_clean(text))
    return int(found.group(1)) if found else None


def parse_var_info(html: str) -> dict | None:
    """The ``var info = {...};`` line of a completed request's view [seen].

    Strict JSON from the first ``{`` to the last ``}`` of the line; None when
    the line is missing or unreadable.
    """
    for line in html.splitlines():
        found = _VAR_INFO.match(line)
        if not found:
            continue
        text = found.group(1)
        start, end = text.find('{'), text.rfind('}')
        if start < 0 or end < start:
            return None
        try:
            info = decode_json(text[start:end + 1])
        except ValueError:
            return None
        return info if isinstance(info, dict) else None
    return None


# Parameters of controls that are never a flat field's id (a job's download button).
_NOT_FLAT_KEYS = ('jid', 'rid', 'ieid', 'uid', 'type', 'page')


def _controls(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """``(kind, target)`` of every control: ``('button', onclick)`` of buttons and
    inputs, ``('a', href)`` of links, in page order."""
    found = []
    for tag in soup.find_all(['button', 'input', 'a']):
        target = tag.get('href') if tag.name == 'a' else tag.get('onclick')
        if isinstance(target, str) and target.strip():
            found.append(('a' if tag.name == 'a' else 'button', target.strip()))
    return found


def _named_flat_id(controls: list[tuple[str, str]]) -> int | None:
    """The id of a ``flat...=<digits>`` parameter (``flatid=31``) in any control."""
    for _, target in controls:
        found = re.search(r'flat\w*=(\d+)', target, re.IGNORECASE)
        if found:
            return int(found.group(1))
    return None


def _flat_id_from_buttons(soup: BeautifulSoup) -> int | None:
    """Job view: a ``<button>`` whose ``onclick`` ends in ``=<id>'`` [seen in code].

    The script's name and the control's exact shape are not known (PROTOCOL.md
    3): a ``flat...=<id>`` parameter of any control (button, input, link; any
    quotes, more parameters after it) is taken first; else the [seen] shape,
    a button ending in ``=<id>'``, unless that parameter is another id
    (``jid=``: a download button). None when there is no flat control.
    """
    controls = _controls(soup)
    named = _named_flat_id(controls)
    if named is not None:
        return named
    for kind, target in controls:
        found = re.search(r"(\w*)=(\d+)['\"]\s*\)?\s*;?\s*$", target)
        if kind == 'button' and found and found.group(1).lower() not in _NOT_FLAT_KEYS:
            return int(found.group(2))
    return None


def _flat_id_from_links(soup: BeautifulSoup) -> int | None:
    """Request view: an ``<a>`` whose ``href`` has the id after the first ``=``
    [seen in code]; a ``flat...=<id>`` parameter of any control is taken first
    (the shape is not known: see `_flat_id_from_buttons`)."""
    controls = _controls(soup)
    named = _named_flat_id(controls)
    if named is not None:
        return named
    for kind, href in controls:
        if kind != 'a' or 'flat' not in href.lower():
            continue
        found = re.match(r'[^=]*=(\d+)', href)
        if found:
            return int(found.group(1))
    return None


def _has_values(rows: dict[str, Tag]) -> bool:
    """Whether any labelled row shows a value.

    PROTOCOL.md 3 [assumed]: an unknown id renders the view with no value
    rows; a site that renders the labels with empty cells (or only an error
    text) means the same, never a record of empty values.
    """
    return any(_value(rows, label) for label in rows)


def _request_ids(text: str) -> list[int]:
    """Every request id of a job view's ``Request ID`` cell (see `_RID`)."""
    found = _RID.findall(text) or _NUMBER.findall(text)
    return list(dict.fromkeys(int(rid) for rid in found))


def _value(rows: dict[str, Tag], label: str) -> str | None:
    cell = rows.get(label)
    if cell is None:
        return None
    text = _clean(cell.get_text(' '))
    return text or None


def _date_of(rows: dict[str, Tag], label: str) -> tuple[datetime, list[str]] | tuple[None, None]:
    text = _value(rows, label)
    parsed = parse_date(text) if text else None
    return parsed if parsed else (None, None)


def telescope_of_view(type_name: str | None, telescope_name: str | None) -> str | None:
    """The telescope a view names, or None when it does not say.

    A request view's ``Telescope Name`` (``COAST``, ``PIRATE``) says it
    [seen]. ``Telescope Type Name`` alone does not: it reads ``Galaxy`` for
    both of today's telescopes [seen] (and was the name of an old camera too),
    so a job view never tells COAST from PIRATE. Only an old camera's own type
    name (``Cluster``, ``Constellation``, ``Planet``), or a site that writes
    the telescope there, names one.
    """
    if telescope_name:
        return telescope_name
    if type_name and type_name.lower() != site.TODAYS_TELESCOPE_TYPE.lower():
        return type_name
    return None


def parse_job_view(html: str, jid: int) -> JobView | None:
    """A job view as a plain record, or None when the page has no value rows
    (a job id that does not exist [assumed]).

    Keys: ``jid``, ``rids`` (every ``R<digits>`` of ``Request ID`` [seen]),
    ``rid_text``, ``object_type``, ``object_id``, ``telescope_type`` (the
    ``Telescope Type Name``: ``Galaxy`` for COAST and PIRATE [seen]),
    ``telescope`` (None: a job view does not say, see `telescope_of_view`),
    ``filter``, ``exposure_ms`` (the cell as ``exposure_text``),
    ``completed`` (as the view reads: see `completion_may_slip`),
    ``completion_words``, ``status``, ``success`` (``Status`` is exactly
    ``Success`` [seen]), ``flat_id``.
    """
    soup = _soup(html)
    rows = view_rows(soup, JOB_LABELS)
    if not _has_values(rows):
        return None
    rid_text = _value(rows, 'Request ID') or ''
    exposure = _value(rows, 'Exposure Time')
    completed, words = _date_of(rows, 'Completion Time')
    status = _value(rows, 'Status')
    type_name = _value(rows, 'Telescope Type Name')
    return {
        'jid': int(jid),
        'rids': _request_ids(rid_text),
        'rid_text': rid_text,
        'object_type': _value(rows, 'Object Type'),
        'object_id': _value(rows, 'Object ID'),
        'telescope_type': type_name,
        'telescope': telescope_of_view(type_name, None),
        'filter': _value(rows, 'Filter Type'),
        'exposure_ms': parse_exposure(exposure) if exposure else None,
        'exposure_text': exposure,
        'completed': completed,
        'completion_words': words,
        'status': status,
        'success': status == 'Success',
        'flat_id': _flat_id_from_buttons(soup),
        'completion_check': '',
    }


def _dark_frame(text: str | None) -> bool | None:
    """``Dark Frame``: ``Instant`` [seen, 2021-2024] means a dark frame is taken.

    What a request without one shows is not known: ``None``/``No`` and the
    usual words for no are read as False; any other word as None (unknown).
    """
    if text is None:
        return None
    word = text.strip().lower()
    if word in ('instant', 'yes', 'y', 'true', '1', 'on'):
        return True
    if word in ('none', 'no', 'n', 'false', '0', 'off'):
        return False
    return None


def parse_request_view(html: str, rid: int) -> RequestView | None:
    """A request view as a plain record, or None when the page has no value
    rows (a request id that does not exist [assumed]).

    Keys: ``rid``, ``jid`` (from ``Job ID`` [seen], else the ``var info``
    line [seen]), ``object_type``, ``object_id``, ``object_name``,
    ``telescope_type`` (the ``Telescope Type Name``), ``telescope`` (the
    ``Telescope Name``, see `telescope_of_view`), ``filter``, ``dark_frame``,
    ``exposure_ms``, ``exposure_text``, ``requested``, ``requested_words``,
    ``completed``, ``completion_words``, ``status_text``, ``status`` (code, None when the
    text is not a known status), ``flat_id``, ``info``.
    """
    soup = _soup(html)
    rows = view_rows(soup, REQUEST_LABELS)
    info = parse_var_info(html)
    if not _has_values(rows) and info is None:
        return None
    job_text = _value(rows, 'Job ID')
    jid = _prefixed_id(job_text) if job_text else None
    if jid is None and info is not None:
        jid = to_int(info.get('jid'))
    exposure = _value(rows, 'Exposure Time')
    requested, requested_words = _date_of(rows, 'Request Time')
    completed, completion_words = _date_of(rows, 'Completion Time')
    text = _value(rows, 'Status')
    type_name = _value(rows, 'Telescope Type Name')
    return {
        'rid': int(rid),
        'jid': jid,
        'object_type': _value(rows, 'Object Type'),
        'object_id': _value(rows, 'Object ID'),
        'object_name': _value(rows, 'Object Name'),
        'telescope_type': type_name,
        'telescope': telescope_of_view(type_name, _value(rows, 'Telescope Name')),
        'filter': _value(rows, 'Filter Type'),
        'dark_frame': _dark_frame(_value(rows, 'Dark Frame')),
        'exposure_ms': parse_exposure(exposure) if exposure else None,
        'exposure_text': exposure,
        'requested': requested,
        'requested_words': requested_words,
        'completed': completed,
        'completion_words': completion_words,
        'status_text': text,
        'status': status_code(text) if text else None,
        'flat_id': _flat_id_from_links(soup),
        'info': info,
        'completion_check': '',
    }


def _date_fields(when: datetime) -> list[str]:
    # Unpadded day, month, year, hour, minute [seen: 17, 11, 2024, 16, 0].
    return [str(when.day), str(when.month), str(when.year), str(when.hour),
            str(when.minute)]


def job_search_form(start: datetime, end: datetime, *, telescope_id: int | None = None,
                    filter_name: str | None = None) -> list[tuple[str, str]]:
    """The job search's form fields, with the repeated ``[]`` fields in order [seen].

    ``start`` and ``end`` are UTC; the site works in whole minutes and the
    latest bound includes its whole minute.
    """
    return [('sort1', 'completetime'), ('sort1order', 'desc'),
            *[('searchearliestcom[]', value) for value in _date_fields(start)],
            *[('searchlatestcom[]', value) for value in _date_fields(end)],
            ('searchstatus[]', '1'), ('resultsperpage', str(RESULTS_PER_PAGE)),
            ('searchfilter', filter_name or ''),
            ('searchtelescope', '' if telescope_id is None else str(telescope_id)),
            ('submit', 'Go')]


def _heading(soup: BeautifulSoup, word: str) -> Tag | None:
    for heading in soup.find_all('h3'):
        if word.lower() in heading.get_text(' ').lower():
            return heading
    return None


def _element_lines(element: Tag | None) -> list[str]:
    if element is None:
        return []
    lines = []
    for piece in element.get_text('\n').split('\n'):
        piece = piece.replace('\xa0', ' ').rstrip()
        if piece.strip():
            lines.append(piece)
    return lines


def parse_job_search(html: str) -> SearchAnswer:
    """The job search's answer: ``jids`` (ints, in page order) and ``parameters``
    (the echoed lines [seen]). Only the ``Parameters`` heading and the rows'
    job links are relied on; the page gives no count of the jobs found [seen:
    no ``N jobs`` block in three verbose runs of the original].

    Raises
    ------
    `~astroquery.exceptions.RemoteServiceError`
        When the page has no ``Parameters`` heading (it is not a search answer).
    """
    soup = _soup(html)
    parameters = _heading(soup, 'Parameters')
    if parameters is None:
        raise RemoteServiceError(f"job search ({JOB_SEARCH_PATH}): no 'Parameters' heading "
                                 f"in the answer: {quote_body(html)}")
    # The job link is the first <a> of its row [seen] (a row whose first link
    # is no job link is no job row, whatever its other links); the other
    # columns are [assumed]: nothing else of a row is read.
    jids: list[int] = []
    for row in soup.find_all('tr'):
        link = row.find('a', href=True)
        if link is None:
            continue
        href = str(link['href'])
        found = _JID_LINK.search(href)
        if found and not href.startswith('jid='):
            jid = int(found.group(1))
            if jid not in jids:
                jids.append(jid)
    return {'jids': jids, 'parameters': _element_lines(parameters.find_next_sibling())}
