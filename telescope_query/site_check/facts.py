"""The protocol facts the client relies on, each with a check over recorded exchanges.

Pure: a check reads *exchanges* (dicts: ``method``, ``path``, ``params``,
``form``, ``status``, ``headers``, ``body``, ``size``; see ``capture``) and
says whether its fact holds, differs (with what was seen instead), or could not
be checked from what was recorded. ``docs/protocol.rst`` explains every fact.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from astropy.table import Table
from bs4 import BeautifulSoup

from ..protocol import image_engine, pages, site, user_api

__all__ = ['Fact', 'FACTS', 'HOLDS', 'DIFFERS', 'NOT_CHECKED', 'evaluate', 'report_table']

HOLDS, DIFFERS, NOT_CHECKED = 'holds', 'differs', 'not checked'

Exchanges = Mapping[str, Any]
Verdict = tuple[str, str]       # (result, what was seen)


@dataclass(frozen=True)
class Fact:
    """One fact of the protocol: where PROTOCOL.md has it, how it is known, its check."""

    key: str
    section: str
    basis: str              # 'seen' or 'assumed'
    statement: str
    check: Callable[[Exchanges], Verdict]


def _short(value: Any, length: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = ' '.join(text.split())
    return text if len(text) <= length else text[:length] + '...'


def _json(exchange: Mapping | None) -> Any:
    if not exchange or exchange.get('body') is None:
        return None
    try:
        return user_api.decode_json(exchange['body'])
    except ValueError:
        return None


def _params(exchange: Mapping) -> dict:
    try:
        return user_api.decode_json((exchange.get('form') or {}).get('params') or '{}')
    except ValueError:
        return {}


def _api_exchanges(exchanges: Exchanges) -> list[Mapping]:
    found = [exchanges.get(name) for name in ('folders', 'listing', 'ie_create')]
    found += list(exchanges.get('ie_polls') or [])
    return [exchange for exchange in found if exchange]


def _need(*names: str) -> Callable[[Callable[..., Verdict]], Callable[[Exchanges], Verdict]]:
    """A check that needs the named exchanges: not checked when one is missing."""
    def wrap(check: Callable[..., Verdict]) -> Callable[[Exchanges], Verdict]:
        def run(exchanges: Exchanges) -> Verdict:
            found = [exchanges.get(name) for name in names]
            missing = [name for name, value in zip(names, found) if not value]
            if missing:
                return NOT_CHECKED, f"nothing recorded for {', '.join(missing)}"
            return check(*found)
        return run
    return wrap


# --- section 1: the session --------------------------------------------------------

@_need('login')
def _session_cookie(login: Mapping) -> Verdict:
    if 'set-cookie' in {k.lower() for k in login.get('headers') or {}}:
        return HOLDS, 'a cookie is set by the login answer'
    return DIFFERS, f"the login answer (HTTP {login.get('status')}) sets no cookie"


@_need('anonymous')
def _logged_out_answer(anonymous: Mapping) -> Verdict:
    answer = _json(anonymous)
    if not isinstance(answer, dict):
        return DIFFERS, (f"HTTP {anonymous.get('status')}, not JSON: "
                         f"{_short(anonymous.get('body') or '')}")
    if user_api.succeeded(answer):
        return DIFFERS, f"a call without a session succeeded: {_short(answer)}"
    status = user_api.answer_status(answer)
    if status == user_api.NOT_LOGGED_IN:
        return HOLDS, status
    if user_api.is_not_logged_in(answer):
        return DIFFERS, f"status {status!r} (read as not logged in all the same)"
    return DIFFERS, f"status {status!r}: {_short(answer)}"


# --- section 2: the JSON user API ------------------------------------------------------

def _envelope(exchanges: Exchanges) -> Verdict:
    calls = _api_exchanges(exchanges)
    if not calls:
        return NOT_CHECKED, 'no call of api-user.php recorded'
    for exchange in calls:
        answer = _json(exchange)
        if not isinstance(answer, dict) or 'success' not in answer or 'status' not in answer:
            return DIFFERS, f"{exchange.get('label')}: {_short(exchange.get('body') or '')}"
    return HOLDS, f"{len(calls)} answers"


@_need('folders')
def _folders(folders: Mapping) -> Verdict:
    data = (_json(folders) or {}).get('data')
    if not isinstance(data, list) or not all(isinstance(f, dict) for f in data):
        return DIFFERS, f"data is {_short(data)}"
    keys = {key for folder in data for key in folder}
    if keys != {'id', 'creationtime', 'name', 'count'}:
        return DIFFERS, f"folder keys {sorted(keys)}"
    ids = {user_api.to_int(folder.get('id')) for folder in data}
    if not set(site.STANDARD_FOLDERS.values()) <= ids:
        return DIFFERS, f"folder ids {sorted(i for i in ids if i is not None)}"
    return HOLDS, f"{len(data)} folders"


def _listing_data(listing: Mapping) -> dict | None:
    data = (_json(listing) or {}).get('data')
    return data if isinstance(data, dict) else None


@_need('listing')
def _listing_total(listing: Mapping) -> Verdict:
    data = _listing_data(listing)
    if data is None or not isinstance(data.get('requests'), list):
        return DIFFERS, f"data is {_short((_json(listing) or {}).get('data'))}"
    total = data.get('totalRequests')
    if not isinstance(total, str) or user_api.to_int(total) is None:
        return DIFFERS, f"totalRequests is {total!r}"
    return HOLDS, f"totalRequests {total!r}, {len(data['requests'])} on the page"


def _records(listing: Mapping) -> list[dict]:
    data = _listing_data(listing) or {}
    requests = data.get('requests')
    return [r for r in requests if isinstance(r, dict)] if isinstance(requests, list) else []


@_need('listing')
def _listing_keys(listing: Mapping) -> Verdict:
    records = _records(listing)
    if not records:
        return NOT_CHECKED, 'the listing page holds no request'
    wanted = set(user_api.LISTING_KEYS)
    for record in records:
        if set(record) != wanted:
            extra, missing = sorted(set(record) - wanted), sorted(wanted - set(record))
            return DIFFERS, (f"R{record.get('id')}: " + (f"more keys {extra} " if extra else '')
                             + (f"missing {missing}" if missing else '')).strip()
    return HOLDS, f"{len(records)} records"


@_need('listing')
def _listing_strings(listing: Mapping) -> Verdict:
    records = _records(listing)
    if not records:
        return NOT_CHECKED, 'the listing page holds no request'
    for record in records:
        odd = {key: value for key, value in record.items()
               if value is not None and not isinstance(value, str)}
        if odd:
            return DIFFERS, f"R{record.get('id')}: {_short(odd)}"
    return HOLDS, 'every value is a string'


@_need('ie_create')
def _ie_create(create: Mapping) -> Verdict:
    answer = _json(create)
    if not isinstance(answer, dict):
        return DIFFERS, _short(create.get('body') or '')
    status = user_api.answer_status(answer)
    data = answer.get('data')
    ie_id = data.get('ieID') if isinstance(data, dict) else None
    if status not in ('OK_READY', 'OK_WAIT') or not isinstance(ie_id, str):
        return DIFFERS, _short(answer)
    return HOLDS, f"{status}, ieID {ie_id!r}"


@_need('ie_create')
def _ie_flat_id(create: Mapping) -> Verdict:
    answer = _json(create)
    data = answer.get('data') if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        return NOT_CHECKED, 'no data in the create answer'
    status = user_api.answer_status(answer)
    sent = user_api.to_int(_params(create).get('flatid')) or 0
    if status == 'OK_WAIT':
        return (HOLDS, 'OK_WAIT without flatID') if 'flatID' not in data else (
            DIFFERS, f"OK_WAIT with flatID {data['flatID']!r}")
    if status == 'OK_READY':
        if user_api.to_int(data.get('flatID')) == sent:
            return HOLDS, f"flatID {data.get('flatID')!r} for flatid {sent}"
        return DIFFERS, f"flatID {data.get('flatID')!r} when {sent} was sent"
    return NOT_CHECKED, f"create answered {status!r}"


def _ie_poll(exchanges: Exchanges) -> Verdict:
    polls = [_json(poll) for poll in exchanges.get('ie_polls') or []]
    if not polls:
        return NOT_CHECKED, 'no poll recorded'
    statuses = [user_api.answer_status(p) if isinstance(p, dict) else '(not JSON)'
                for p in polls]
    shown = ' -> '.join(statuses)
    waiting = [(p, s) for p, s in zip(polls, statuses) if s != image_engine.READY]
    if any(s not in ('WAIT', 'PROCESSING') for _, s in waiting):
        return DIFFERS, shown
    if any(p.get('data') is not None and not isinstance(p.get('data'), dict)
           for p, _ in waiting):
        return DIFFERS, f"{shown}, with data that is no object while waiting"
    return HOLDS, shown


def _ie_size(exchanges: Exchanges) -> Verdict:
    polls = [_json(poll) for poll in exchanges.get('ie_polls') or []]
    ready = [p for p in polls if isinstance(p, dict)
             and user_api.answer_status(p) == image_engine.READY]
    if not ready:
        return NOT_CHECKED, 'the product did not become READY while polled'
    cube = (exchanges.get('ie_create') or {}).get('label') == 'ie_create cube'
    state = image_engine.parse_poll(ready[-1], cube=cube)
    if state.size is None:
        return DIFFERS, f"no size in {_short(ready[-1].get('data'))}"
    return HOLDS, f"{state.size} bytes"


def _download(exchanges: Exchanges) -> Verdict:
    download = exchanges.get('download')
    if not download:
        return NOT_CHECKED, 'no download asked for'
    size_fact = _ie_size(exchanges)
    length = user_api.to_int((download.get('headers') or {}).get('Content-Length'))
    if download.get('status') != 200 or length is None:
        return DIFFERS, f"HTTP {download.get('status')}, Content-Length {length}"
    if download.get('size') != length:
        return DIFFERS, f"{download.get('size')} bytes for Content-Length {length}"
    if size_fact[0] == HOLDS and not size_fact[1].startswith(f'{length} '):
        return DIFFERS, f"Content-Length {length}, the image engine said {size_fact[1]}"
    return HOLDS, f"{length} bytes"


# --- section 3: the pages -----------------------------------------------------------------

def _rows(exchange: Mapping, labels: tuple[str, ...]) -> dict[str, str]:
    rows = pages.view_rows(exchange.get('body') or '', labels)
    return {label: ' '.join(cell.get_text(' ').split()) for label, cell in rows.items()}


@_need('request_view', 'job_view')
def _view_rows(request_view: Mapping, job_view: Mapping) -> Verdict:
    for exchange, labels in ((request_view, pages.REQUEST_LABELS),
                             (job_view, pages.JOB_LABELS)):
        soup = BeautifulSoup(exchange.get('body') or '', 'html.parser')
        label_cells = [cells[0].name for row in soup.find_all('tr')
                       for cells in [row.find_all(['td', 'th'], recursive=False)]
                       if len(cells) >= 2 and pages.view_rows(str(row), labels)]
        if not label_cells:
            return DIFFERS, f"{exchange.get('label')}: no label and value row"
        if 'th' in label_cells:
            return DIFFERS, f"{exchange.get('label')}: labels in <th> cells"
    return HOLDS, 'label and value cells'


@_need('request_view')
def _request_telescope(request_view: Mapping) -> Verdict:
    rows = _rows(request_view, pages.REQUEST_LABELS)
    shown = (rows.get('Telescope Type Name'), rows.get('Telescope Name'))
    if shown[0] == site.TODAYS_TELESCOPE_TYPE and shown[1] in site.IN_SERVICE:
        return HOLDS, f"{shown[0]} / {shown[1]}"
    return DIFFERS, f"Telescope Type Name {shown[0]!r}, Telescope Name {shown[1]!r}"


@_need('request_view')
def _dark_frame(request_view: Mapping) -> Verdict:
    shown = _rows(request_view, pages.REQUEST_LABELS).get('Dark Frame')
    if shown == 'Instant':
        return HOLDS, shown
    record = pages.parse_request_view(request_view.get('body') or '', 0)
    if record is not None and record['dark_frame'] is False:
        # What a request without a dark frame shows is [assumed]: nothing to check.
        return NOT_CHECKED, f"this request has no dark frame (Dark Frame {shown!r})"
    return DIFFERS, f"Dark Frame {shown!r}"


@_need('request_view')
def _var_info(request_view: Mapping) -> Verdict:
    info = pages.parse_var_info(request_view.get('body') or '')
    if info is None:
        return DIFFERS, 'no var info line'
    jid = info.get('jid')
    if not isinstance(jid, str):
        return DIFFERS, f"jid is {jid!r} (not a JSON string)"
    shown = _rows(request_view, pages.REQUEST_LABELS).get('Job ID')
    if shown and user_api.to_int(shown.lstrip('Jj')) != user_api.to_int(jid):
        return DIFFERS, f"Job ID {shown!r} but var info jid {jid!r}"
    return HOLDS, f"jid {jid!r}"


@_need('request_view', 'listing')
def _request_time(request_view: Mapping, listing: Mapping) -> Verdict:
    record = pages.parse_request_view(request_view.get('body') or '', 0)
    rid = user_api.to_int((request_view.get('params') or {}).get('rid'))
    listed = [r for r in _records(listing) if user_api.to_int(r.get('id')) == rid]
    if record is None or record['requested'] is None or not listed:
        return NOT_CHECKED, 'no request time to compare'
    listed_time = user_api.unix_time(listed[0].get('requesttime'))
    shown = record['requested']
    if listed_time == shown:
        return HOLDS, shown.isoformat()
    # The view writes its dates in local time and its clocks in UTC: a summer
    # time between 23:00 and 24:00 UTC shows the next day (the summer date slip,
    # PROTOCOL.md section 3), which is no other request time.
    if listed_time is not None and pages.completion_may_slip(shown) and \
            shown - timedelta(days=1) == listed_time:
        return HOLDS, f"{listed_time.isoformat()} (the view shows the next day's date)"
    return DIFFERS, f"view {shown}, listing {listed_time}"


_THREE_WORDS = re.compile(r'^\S+\s+\S+\s+\S+\s+\d{1,2}\s+[A-Z][a-z]+\s+\d{4}\s+\(')


@_need('request_view')
def _date_words(request_view: Mapping) -> Verdict:
    rows = _rows(request_view, pages.REQUEST_LABELS)
    cells = [rows[label] for label in ('Request Time', 'Completion Time') if rows.get(label)]
    if not cells:
        return NOT_CHECKED, 'no time cell'
    for cell in cells:
        if not _THREE_WORDS.match(cell) or pages.parse_date(cell) is None:
            return DIFFERS, repr(cell)
    return HOLDS, repr(cells[0])


@_need('job_view')
def _job_view(job_view: Mapping) -> Verdict:
    record = pages.parse_job_view(job_view.get('body') or '', 0)
    if record is None:
        return DIFFERS, 'the job view has no values'
    problems = []
    if not record['rids']:
        problems.append(f"Request ID {record['rid_text']!r}")
    if record['completed'] is None:
        problems.append('no Completion Time date')
    if record['status'] != 'Success':
        problems.append(f"Status {record['status']!r}")
    return (DIFFERS, '; '.join(problems)) if problems else (
        HOLDS, f"R{', R'.join(map(str, record['rids']))}, {record['status']}")


@_need('job_view')
def _job_telescope(job_view: Mapping) -> Verdict:
    rows = _rows(job_view, pages.JOB_LABELS + ('Telescope Name',))
    if rows.get('Telescope Name'):
        return DIFFERS, f"a job view names the telescope: {rows['Telescope Name']!r}"
    if rows.get('Telescope Type Name') != site.TODAYS_TELESCOPE_TYPE:
        return DIFFERS, f"Telescope Type Name {rows.get('Telescope Type Name')!r}"
    return HOLDS, site.TODAYS_TELESCOPE_TYPE


@_need('search')
def _search_parameters(search: Mapping) -> Verdict:
    try:
        found = pages.parse_job_search(search.get('body') or '')
    except Exception as exc:  # RemoteServiceError: not a search answer
        return DIFFERS, str(exc)
    if not found['parameters']:
        return DIFFERS, 'the Parameters heading echoes nothing'
    return HOLDS, found['parameters'][0]


@_need('search')
def _search_rows(search: Mapping) -> Verdict:
    try:
        found = pages.parse_job_search(search.get('body') or '')
    except Exception:   # not a search answer: search-parameters says so
        return NOT_CHECKED, 'the page is not read as a search answer'
    if not found['jids']:
        if 'jid=' in (search.get('body') or ''):
            return DIFFERS, 'job links are there, but none is the first link of its row'
        return NOT_CHECKED, f"the search found no job ({'; '.join(found['parameters'][:2])})"
    return HOLDS, f"{len(found['jids'])} job links"


@_need('search')
def _search_count(search: Mapping) -> Verdict:
    body = search.get('body') or ''
    counted = re.search(r'\b\d[\d,]*\s+jobs?\b', body)
    if counted:
        return DIFFERS, f"a count is shown: {counted.group(0)!r} (not needed)"
    return HOLDS, 'no count'


#: Every fact the client relies on, in the order of PROTOCOL.md.
FACTS: tuple[Fact, ...] = (
    Fact('session-cookie', '1', 'seen',
         'The login answer sets the session cookie.', _session_cookie),
    Fact('logged-out-answer', '1', 'assumed',
         "A call without a session answers success 0 with status ERR_NOT_LOGGED_IN.",
         _logged_out_answer),
    Fact('api-envelope', '2', 'seen',
         'Every api-user.php answer is a JSON object with success and status.', _envelope),
    Fact('folders', '2', 'seen',
         'Folders are {id, creationtime, name, count}, with folders 1-4 for every user.',
         _folders),
    Fact('listing-total', '2', 'seen',
         'A listing gives totalRequests (a number as text) and a list of requests.',
         _listing_total),
    Fact('listing-keys', '2', 'seen',
         'A listed request has exactly the keys ' + ', '.join(user_api.LISTING_KEYS) + '.',
         _listing_keys),
    Fact('listing-strings', '2', 'seen',
         "A listed request's values are strings (status '8', not 8).", _listing_strings),
    Fact('image-engine-create', '2', 'seen',
         'Staging answers OK_READY or OK_WAIT (never READY) with data.ieID, a string.',
         _ie_create),
    Fact('image-engine-flat-id', '2', 'seen',
         "OK_WAIT carries no flatID; OK_READY's flatID is the flat id sent (0 without).",
         _ie_flat_id),
    Fact('image-engine-poll', '2', 'seen',
         'A poll answers WAIT or PROCESSING (data may be null) until READY, never OK_*.',
         _ie_poll),
    Fact('image-engine-size', '2', 'seen',
         "Once READY, the poll gives the product's size (fitssize or fitsbzsize).",
         _ie_size),
    Fact('download-length', '2', 'seen',
         'A product is served with Content-Length, the size the image engine gave.',
         _download),
    Fact('view-rows', '3', 'seen',
         'Views are tables of <td>LABEL</td><td>VALUE</td> rows.', _view_rows),
    Fact('request-view-telescope', '3', 'seen',
         "A request view reads Telescope Type Name 'Galaxy' and Telescope Name COAST "
         "or PIRATE.", _request_telescope),
    Fact('request-view-dark-frame', '3', 'seen',
         "A request view reads Dark Frame 'Instant'.", _dark_frame),
    Fact('request-view-info', '3', 'seen',
         "A completed request's view has a 'var info' line with its jid as a JSON string.",
         _var_info),
    Fact('request-time', '3', 'seen',
         "A request view's Request Time is the listing's requesttime.", _request_time),
    Fact('time-cells', '3', 'seen',
         "Time cells read three words, then 'D Month YYYY (HH:MM:SS UTC)'.", _date_words),
    Fact('job-view', '3', 'seen',
         "A job view shows Request ID (R-prefixed), Completion Time and Status 'Success'.",
         _job_view),
    Fact('job-view-telescope', '3', 'seen',
         "A job view reads Telescope Type Name 'Galaxy' and names no telescope.",
         _job_telescope),
    Fact('search-parameters', '3', 'seen',
         'The job search echoes its parameters under a Parameters heading.',
         _search_parameters),
    Fact('search-rows', '3', 'seen',
         "The first link of each result row is the job's, with jid=<digits>.",
         _search_rows),
    Fact('search-no-count', '3', 'seen',
         "The job search shows no count of the jobs found.", _search_count),
)


def evaluate(exchanges: Exchanges) -> list[tuple[Fact, str, str]]:
    """Each fact with its result (``holds``, ``differs``, ``not checked``) and what was seen."""
    verdicts = []
    for fact in FACTS:
        try:
            result, seen = fact.check(exchanges)
        except Exception as exc:  # a check must never hide the others
            result, seen = DIFFERS, f"could not be read: {type(exc).__name__}: {exc}"
        verdicts.append((fact, result, seen))
    return verdicts


def report_table(verdicts: list[tuple[Fact, str, str]]) -> Table:
    """The verdicts as a Table: ``fact``, ``section``, ``basis``, ``result``,
    ``seen`` (what was seen), ``statement``."""
    table = Table(rows=[(fact.key, fact.section, fact.basis, result, seen, fact.statement)
                        for fact, result, seen in verdicts],
                  names=('fact', 'section', 'basis', 'result', 'seen', 'statement'),
                  dtype=(str, str, str, str, str, str))
    table.meta['counts'] = {result: sum(1 for _, r, _ in verdicts if r == result)
                            for result in (HOLDS, DIFFERS, NOT_CHECKED)}
    return table
