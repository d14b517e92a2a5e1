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
from .html_scan import VOID_TAGS, Scanner
from .shapes import JobView, RequestView, SearchAnswer, SearchRow
from .site import status_code
from .user_api import decode_json, quote_body, to_int

__all__ = ['LOGIN_PATH', 'LOGOUT_PATH', 'VIEW_PATH', 'JOB_SEARCH_PATH', 'RESULTS_PER_PAGE',
           'login_payload', 'is_login_form', 'is_login_url', 'view_rows', 'parse_date',
           'parse_exposure', 'parse_var_info', 'completion_may_slip', 'check_completion',
           'telescope_of_view', 'FRAMES_BEFORE_COMPLETION', 'parse_job_view',
           'parse_request_view',
           'job_search_form', 'parse_job_search', 'search_time', 'SearchPageReader',
           'LoginFormReader', 'SEARCH_HEADINGS', 'SEARCH_COLUMNS', 'MAX_PAGE_CHARS']

LOGIN_PATH = 'login.php'
LOGOUT_PATH = 'logout.php'          # [assumed]: never sent by the original clients
VIEW_PATH = 'v4request-view.php'
JOB_SEARCH_PATH = 'v3job-search-query.php'
RESULTS_PER_PAGE = 1000

JOB_LABELS = ('Request ID', 'Object Type', 'Object ID', 'Telescope Type Name',
              'Filter Type', 'Exposure Time', 'Completion Time', 'Status')
REQUEST_LABELS = ('Job ID', 'Object Type', 'Object ID', 'Object Name',
                  'Telescope Type Name', 'Telescope Name', 'Filter Type', 'Dark Frame',
                  'Exposure Time', 'Request Time', 'Completion Time', 'Status',
                  'Comment')      # [assumed]: no recorded view shows a comment row

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


class LoginFormReader(Scanner):
    """Whether a page holds a ``<form>`` with ``username`` and ``password`` inputs,
    read in one linear pass (`html_scan`): every page answer is tested."""

    def __init__(self) -> None:
        super().__init__()
        self.found = False
        self._depth = 0                 # open <form> elements
        self._names: set[str] = set()   # input names of the form being read

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == 'form':
            if not self._depth:
                self._names = set()
            self._depth += 1
        elif tag == 'input' and self._depth:
            self._names.add(attrs.get('name', ''))
            if {'username', 'password'} <= self._names:
                self.found = True
                self.stop()

    def end(self, tag: str) -> None:
        if tag == 'form' and self._depth:
            self._depth -= 1


def is_login_form(html: str) -> bool:
    """A page holding a ``<form>`` with ``username`` and ``password`` inputs.

    What the pages answer without a valid session [assumed].
    """
    if '<form' not in html.lower():
        return False
    reader = LoginFormReader()
    reader.scan(html, MAX_PAGE_CHARS)
    return reader.found


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
    text is not a known status), ``flat_id``, ``info``, ``comment`` (a ``Comment`` or
    ``Comments`` row, [assumed]: none was recorded; None without one).
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
        'comment': _value(rows, 'Comment'),
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


#: Column headings of the search's rows -> the `SearchRow` key they give. Only
#: the first link of a row is [seen]; the other columns, and so their
#: headings, are [assumed]: these are the ones a site would plausibly write.
SEARCH_HEADINGS: dict[str, str] = {
    'job': 'jid', 'job id': 'jid', 'jid': 'jid', 'id': 'jid',
    'object': 'object_name', 'object name': 'object_name', 'target': 'object_name',
    'name': 'object_name',
    'telescope': 'telescope', 'telescope name': 'telescope', 'camera': 'telescope',
    'telescope type': 'telescope', 'telescope type name': 'telescope',
    'filter': 'filter', 'filter type': 'filter', 'filters': 'filter',
    'exposure': 'exposure_ms', 'exposure time': 'exposure_ms', 'exp': 'exposure_ms',
    'completed': 'completed', 'completion': 'completed', 'completion time': 'completed',
    'complete time': 'completed', 'completed at': 'completed', 'date': 'completed',
    'time': 'completed',
    'user': 'user', 'owner': 'user', 'user name': 'user', 'username': 'user',
    'observer': 'user',
    'comment': 'comment', 'comments': 'comment', 'user comments': 'comment',
}
#: The columns of a search row, in the order the tables show them.
SEARCH_COLUMNS = ('object_name', 'telescope', 'filter', 'exposure_ms', 'completed', 'user',
                  'comment')
#: The most of a page that is read: about 4 kB for each of the `RESULTS_PER_PAGE`
#: rows a search answer may hold (the simulator's rows take 200 bytes).
MAX_PAGE_CHARS = 4 * 2**20
# A completion time as the search echoes its window [seen: '17/11/24 16:00:00',
# day first], or ISO; and the views' pattern (`parse_date`).
_SLASHED_TIME = re.compile(r'\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?')
_ISO_TIME = re.compile(r'\b(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?')


def search_time(text: str) -> datetime | None:
    """A completion time as a search row may show it (UTC [assumed]); None if unreadable."""
    parsed = parse_date(text)
    if parsed:
        return parsed[0]
    found = _SLASHED_TIME.search(text)
    if found:
        day, month, year, hour, minute, second = found.groups()
        year = str(int(year) + (2000 if len(year) == 2 else 0))
    else:
        found = _ISO_TIME.search(text)
        if not found:
            return None
        year, month, day, hour, minute, second = found.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute),
                        int(second or 0), tzinfo=timezone.utc)
    except ValueError:
        return None


def _search_value(key: str, text: str) -> object:
    if key == 'exposure_ms':
        return parse_exposure(text)
    if key == 'completed':
        return search_time(text)
    if key == 'telescope':
        return telescope_of_view(text, None)
    return text


class _Row:
    """A ``<tr>`` being read: its cells' texts and its first link."""

    __slots__ = ('cells', 'link', 'open_cell')

    def __init__(self) -> None:
        self.cells: list[list[str]] = []
        self.link: str | None = None
        self.open_cell = False


class SearchPageReader(Scanner):
    """The job search's answer, read in one linear pass (`html_scan`).

    Keeps the lines of the element after the first ``<h3>`` holding
    ``Parameters`` [seen], and each row whose first link is a job link [seen],
    with the columns its headings name (`SEARCH_HEADINGS`, [assumed]); stops
    once ``limit`` jobs are read and the page shows one more (``more``).
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.rows: list[SearchRow] = []
        self.more = False
        self.heading_found = False
        self.parameters: list[str] = []
        self._jids: set[int] = set()
        self._headings: list[str | None] | None = None
        self._row: _Row | None = None
        # The Parameters echo: 'heading' inside the <h3>, 'sibling' waiting for the
        # next element, 'echo' inside it (``_echo_depth`` deep), 'done'.
        self._echo = 'none'
        self._echo_tag = ''
        self._echo_depth = 0
        self._heading_text: list[str] = []
        self._echo_text: list[str] = []

    def answer(self, cut: bool) -> SearchAnswer:
        """What was read; ``cut``: the page went on beyond what was read."""
        self._end_row()
        if self._echo == 'echo':
            self._end_echo()
        columns = [key for key in SEARCH_COLUMNS if key in (self._headings or ())]
        return {'jids': [row['jid'] for row in self.rows], 'parameters': self.parameters,
                'rows': self.rows, 'columns': columns, 'more': self.more, 'cut': cut}

    # -- the Parameters echo [seen] --------------------------------------------------------
    def _parameters_start(self, tag: str) -> None:
        if self._echo == 'none' and tag == 'h3':
            self._echo, self._heading_text = 'heading', []
        elif self._echo == 'sibling':
            self._echo, self._echo_tag, self._echo_depth = 'echo', tag, 1
            if tag in VOID_TAGS:
                self._end_echo()
        elif self._echo == 'echo' and tag == self._echo_tag:
            self._echo_depth += 1

    def _parameters_end(self, tag: str) -> None:
        if self._echo == 'heading' and tag == 'h3':
            found = 'parameters' in ' '.join(self._heading_text).lower()
            self._echo = 'sibling' if found else 'none'
            self.heading_found = self.heading_found or found
        elif self._echo == 'sibling':
            self._echo = 'done'                 # the heading's parent ended: no echo
        elif self._echo == 'echo' and tag == self._echo_tag:
            self._echo_depth -= 1
            if not self._echo_depth:
                self._end_echo()

    def _end_echo(self) -> None:
        for piece in '\n'.join(self._echo_text).split('\n'):
            piece = piece.replace('\xa0', ' ').rstrip()
            if piece.strip():
                self.parameters.append(piece)
        self._echo = 'done'

    # -- the rows ----------------------------------------------------------------------------
    def _end_row(self) -> None:
        row, self._row = self._row, None
        if row is None:
            return
        texts = [_clean(' '.join(cell)) for cell in row.cells]
        if row.link is None:
            keys = [SEARCH_HEADINGS.get(text.rstrip(':').strip().lower()) for text in texts]
            if sum(key is not None for key in keys) >= 2:
                self._headings = keys           # a heading row: the columns of those after
            return
        jid = int(_JID_LINK.search(row.link).group(1))  # type: ignore[union-attr]
        record: SearchRow = {'jid': jid, 'object_name': None, 'telescope': None,
                             'filter': None, 'exposure_ms': None, 'completed': None,
                             'user': None, 'comment': None}
        if self._headings is not None and len(texts) == len(self._headings):
            for key, text in zip(self._headings, texts):
                if key in SEARCH_COLUMNS and text:
                    record[key] = _search_value(key, text)  # type: ignore[literal-required]
        self.rows.append(record)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self._parameters_start(tag)
        if tag == 'tr':
            self._end_row()
            self._row = _Row()
        elif self._row is None:
            return
        elif tag in ('td', 'th'):
            self._row.cells.append([])
            self._row.open_cell = True
        elif tag == 'a' and 'href' in attrs and self._row.link is None:
            self._first_link(attrs['href'])

    def _first_link(self, href: str) -> None:
        """The first link of the row: a job row's when it links to a job [seen]."""
        found = _JID_LINK.search(href)
        if not found or href.startswith('jid='):
            self._row = None                    # no job row, whatever comes after
            return
        jid = int(found.group(1))
        if jid in self._jids:
            self._row = None                    # a job shown twice is read once
            return
        if len(self._jids) >= self.limit:
            self.more = True
            self._row = None
            self.stop()
        self._jids.add(jid)
        self._row.link = href                   # type: ignore[union-attr]

    def end(self, tag: str) -> None:
        self._parameters_end(tag)
        if self._row is None:
            return
        if tag in ('td', 'th'):
            self._row.open_cell = False
        elif tag in ('tr', 'table'):
            self._end_row()

    def text(self, data: str) -> None:
        if self._echo == 'heading':
            self._heading_text.append(data)
        elif self._echo == 'echo':
            self._echo_text.append(data)
        if self._row is not None and self._row.open_cell:
            self._row.cells[-1].append(data)


def parse_job_search(html: str, limit: int | None = None) -> SearchAnswer:
    """The job search's answer: ``jids`` (ints, in page order), ``parameters``
    (the echoed lines [seen]), ``rows`` (`SearchRow`: each job's id and the
    columns the page's headings name, [assumed]), ``columns`` (which),
    ``more`` (the page lists more than ``limit`` jobs, `RESULTS_PER_PAGE` by
    default: the rest are not read) and ``cut`` (the page is longer than
    `MAX_PAGE_CHARS`: the rest is not read). Only the ``Parameters`` heading
    and the rows' job links are relied on; the page gives no count of the jobs
    found [seen: no ``N jobs`` block in five verbose runs of the original].

    Read in one pass, in time linear in the page and bounded by
    `MAX_PAGE_CHARS` and ``limit`` (`SearchPageReader`).

    Raises
    ------
    `~astroquery.exceptions.RemoteServiceError`
        When the page has no ``Parameters`` heading (it is not a search answer).
    """
    reader = SearchPageReader(RESULTS_PER_PAGE if limit is None else limit)
    cut = reader.scan(html, MAX_PAGE_CHARS)
    if not reader.heading_found:
        raise RemoteServiceError(f"The server's answer to the job search ({JOB_SEARCH_PATH}) "
                                 f"is not a list of jobs: it has no 'Parameters' heading. It "
                                 f"begins {quote_body(html)}")
    return reader.answer(cut)
