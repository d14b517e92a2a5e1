"""The simulated telescope.org: a werkzeug WSGI application.

It speaks the protocol of ``PROTOCOL.md`` (sections 1-3) over the synthetic
`~.archive.Archive`, the `~.engine.ImageEngine` and its products, with the
switchable `~.faults.Faults` and the call `~.counters.Counters`.

Every call goes through `SimulatorApp.__call__`: it counts the call, adds the
configured latency, applies the faults that act before a call is handled,
routes it (repeated ``/`` in the path count as one, for every method), and
applies the faults that act on the answer.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import os
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from . import pages
from .archive import (FILTERS, MAX_EXPOSURE_MS, STATUS_TEXTS, TELESCOPE_TYPES, TELESCOPES,
                      QueueFullError)
from .counters import Counters
from .engine import ImageEngine, Staging
from .faults import Faults

__all__ = ['SimulatorApp', 'SESSION_COOKIE']

SESSION_COOKIE = 'PHPSESSID'
API = 'api-user.php'
DOWNLOAD = 'v3image-download.php'
#: Endpoints of the HTML pages behind the login (``login_page`` may replace them).
PAGE_ENDPOINTS = frozenset({'view', 'search', 'processed', 'constructor'})
PROCESSED_TYPES = {'1': 'cube', '3': 'zip'}

# 'HH:MM:SS.ss +DD:MM:SS.ss': zero padded, two decimals, Dec always signed.
_OBJECT_ID = re.compile(r'^(\d\d):(\d\d):(\d\d\.\d\d) ([+-])(\d\d):(\d\d):(\d\d\.\d\d)$')


@dataclass
class Session:
    """A logged-in session: its user and request basket."""

    user: str
    basket: dict[str, Any] | None = None


@dataclass
class Ticket:
    """One run of the form-based request constructor."""

    sid: str
    user: str
    state: dict[str, Any] = field(default_factory=dict)


class ApiError(Exception):
    """An API call that answers ``success`` 0 with ``status``."""

    def __init__(self, status: str, message: str = '') -> None:
        super().__init__(message or status)
        self.status = status


def _api_answer(success: Any, status: str, data: Any = None) -> dict[str, Any]:
    return {'success': success, 'status': status, 'data': data}


def _html(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype='text/html')


def _as_int(value: Any, name: str) -> int:
    """A parameter given as a JSON number or a numeric string, as an int."""
    if isinstance(value, bool):
        raise ApiError('ERR_BAD_PARAMS', f'{name} must be a number')
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r'\s*[+-]?\d+\s*', value):
        return int(value)
    raise ApiError('ERR_BAD_PARAMS', f'{name} must be an integer, got {value!r}')


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _parse_object_id(text: Any) -> tuple[float, float] | None:
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


def _id_arg(text: str | None) -> int | None:
    """An id from a query string, with or without its letter prefix."""
    text = (text or '').strip()
    if text[:1] in ('R', 'J', 'r', 'j'):
        text = text[1:]
    return int(text) if text.isdigit() else None


def _record(r: Any, row: int) -> dict[str, str]:
    """A request as the listing gives it: exactly the recorded keys, all strings.

    ``row`` is the 1-based position in the whole listing (``startAfterRow``
    counted). Telescope, filter, exposure, completion, folder and job are not
    in the listing (PROTOCOL.md section 2): only in the request's view.
    """
    return {'id': str(r.rid), 'seen': '1' if r.seen else '0',
            'usercomments': r.comments, 'objecttype': r.object_type,
            'objectid': r.object_id, 'objectname': r.object_name,
            'requesttime': str(int(r.request_time)), 'status': str(r.status),
            'row': str(row)}


def _by_completion(r: Any) -> tuple:
    """The live site's ``sort=completion`` (PROTOCOL.md section 2, recorded.md 1.5).

    Complete requests the owner has not seen come first, newest completion
    first; then the queued ones (status < 8); then the seen complete ones,
    newest completion first; then the other finished ones (expired,
    cancelled...).  Recorded: an old unseen complete request at row 1
    (2021, 2022); rows 1-9 Waiting when nothing complete was unseen, the
    Cancelled ones after row 10 (2021-08); ten unseen complete requests above
    8-10 Waiting ones (2023, 2024).  [assumed]: newest id first among the
    queued and among the other finished requests.
    """
    if r.completion_time and not r.seen:
        return (0, -r.completion_time, -r.rid)
    if r.status < 8:
        return (1, 0, -r.rid)
    if r.completion_time:
        return (2, -r.completion_time, -r.rid)
    return (3, 0, -r.rid)


#: Sort keys of the listing's ``sort`` values. ``object`` is [assumed]: by
#: name, case ignored, newest id first among equal names.
LISTING_ORDERS: dict[str, Callable[[Any], tuple]] = {
    'rid': lambda r: (-r.rid,),
    'completion': _by_completion,
    'object': lambda r: (r.object_name.lower(), -r.rid),
}


class _FlippedFile(io.RawIOBase):
    """A product file read with ``nbytes`` bytes from ``offset`` inverted (same size)."""

    def __init__(self, path: os.PathLike | str, offset: int, nbytes: int) -> None:
        self._file = open(path, 'rb')
        self._start, self._stop = int(offset), int(offset) + int(nbytes)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer) -> int:
        position = self._file.tell()
        count = self._file.readinto(buffer)
        lo, hi = max(self._start, position), min(self._stop, position + count)
        for index in range(lo - position, hi - position):
            buffer[index] ^= 0xFF
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


class SimulatorApp:
    """The WSGI application of the simulator.

    Parameters
    ----------
    archive : Archive
        Accounts, folders, requests and jobs.
    engine : ImageEngine
        Staging of image products.
    faults : Faults
        Armed failures.
    counters : Counters
        Call counters.
    latency_ms : float
        Added to every call; may be changed at run time.
    sleep : callable
        How to wait (tests of timing may pass their own).
    """

    def __init__(self, archive: Any, engine: ImageEngine, faults: Faults,
                 counters: Counters, *, latency_ms: float = 0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.archive = archive
        self.engine = engine
        self.faults = faults
        self.counters = counters
        self.latency_ms = latency_ms
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._tickets: dict[int, Ticket] = {}
        self._ticket_ids = itertools.count(52117)
        self.url_map = Map([
            Rule('/', endpoint='index'),
            Rule('/index.php', endpoint='index'),
            Rule('/login.php', endpoint='login'),
            Rule('/logout.php', endpoint='logout'),
            Rule(f'/{API}', endpoint='api', methods=['POST']),
            Rule('/v4request-view.php', endpoint='view'),
            Rule('/v3job-search-query.php', endpoint='search'),
            Rule('/imageengine-request.php', endpoint='processed', methods=['GET']),
            Rule(f'/{DOWNLOAD}', endpoint='download', methods=['GET']),
            Rule('/request-constructor.php', endpoint='constructor'),
        ], merge_slashes=False, strict_slashes=False)
        self._api = {
            ('request-manager', '0-get-my-folders'): self._api_folders,
            ('request-manager', '1-get-list-own'): self._api_list_own,
            ('request-constructor', '0-rb-clear'): self._api_rb_clear,
            ('request-constructor', '0-rb-set'): self._api_rb_set,
            ('request-constructor', '0-rb-submit'): self._api_rb_submit,
            ('image-engine', '0-create-dl3d'): self._api_create,
            ('image-engine', '0-create-dlzip'): self._api_create,
            ('image-engine', '0-is-job-ready'): self._api_is_ready,
        }

    # -- the WSGI entry point ---------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        path = re.sub('/+', '/', request.path)  # '//x.php' counts as '/x.php'
        name = path.lstrip('/')
        keys = [name]
        api_request = None
        if name == API:
            api_request = f'{request.form.get("module", "")}/{request.form.get("request", "")}'
            keys.append(f'{name}/{api_request}')
        self.counters.hit(name, api_request)

        delay = float(self.latency_ms or 0)
        delay += sum(float(f.params['ms']) for f in self.faults.take_all('latency', keys))
        if delay > 0:
            self._sleep(delay / 1000)

        fault = self.faults.take('http_500', keys)
        if fault is not None and not fault.params['after']:
            response = self._error_500()
        else:
            response = self._dispatch(request, path, keys)
            if fault is not None:
                response.close()
                response = self._error_500()
        return self._deliver(response, keys, environ, start_response)

    def _dispatch(self, request: Request, path: str, keys: list[str]) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, _ = adapter.match(path, method=request.method)
        except HTTPException as error:
            return error.get_response(request.environ)
        if endpoint in PAGE_ENDPOINTS:
            if self.faults.take('login_page', keys) is not None:
                return _html(pages.login_form())
        return getattr(self, f'_on_{endpoint}')(request, keys)

    @staticmethod
    def _error_500() -> Response:
        return _html('<!DOCTYPE html>\n<html><head><title>500 Internal Server Error'
                     '</title></head><body><h1>Internal Server Error</h1></body></html>\n',
                     status=500)

    def _deliver(self, response: Response, keys: list[str], environ: dict,
                 start_response: Callable) -> Iterable[bytes]:
        """Send the answer, cut short if a ``cut_connection``/``short_body`` fault fires."""
        length = response.content_length
        if environ['REQUEST_METHOD'] == 'HEAD' or not length:
            return response(environ, start_response)
        limit = None
        if (fault := self.faults.take('cut_connection', keys)) is not None:
            limit = max(0, min(length, int(fault.params['after_bytes'])))
        elif (fault := self.faults.take('short_body', keys)) is not None:
            limit = max(0, length - int(fault.params['missing_bytes']))
        body = response(environ, start_response)
        if limit is None:
            return body
        return self._truncated(body, limit, environ)

    @staticmethod
    def _truncated(body: Iterable[bytes], limit: int, environ: dict) -> Iterator[bytes]:
        """The first ``limit`` bytes of ``body``, then the connection is closed."""
        sent = 0
        try:
            yield b''  # makes the server send the headers even when limit is 0
            for chunk in body:
                chunk = chunk[:limit - sent]
                sent += len(chunk)
                yield chunk
                if sent >= limit:
                    break
        finally:
            if hasattr(body, 'close'):
                body.close()
            connection = environ.get('werkzeug.socket')
            if connection is not None:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    # -- sessions ---------------------------------------------------------------------
    def _session(self, request: Request, keys: list[str]) -> tuple[str, Session] | None:
        """The caller's live session, or None (an ``expire_session`` fault ends it)."""
        sid = request.cookies.get(SESSION_COOKIE)
        with self._lock:
            session = self._sessions.get(sid) if sid else None
        if session is None:
            return None
        if self.faults.session_expires(keys):
            self._end_session(sid)
            return None
        return sid, session

    def _end_session(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)
            for number in [n for n, t in self._tickets.items() if t.sid == sid]:
                del self._tickets[number]

    def session_count(self) -> int:
        """Number of live sessions."""
        with self._lock:
            return len(self._sessions)

    # -- session pages ----------------------------------------------------------------
    def _on_index(self, request: Request, keys: list[str]) -> Response:
        found = self._session(request, keys)
        if found is None:
            return _html(pages.login_form())
        return _html(pages.logged_in(found[1].user))

    def _on_login(self, request: Request, keys: list[str]) -> Response:
        if request.method != 'POST':
            return _html(pages.login_form())
        user = request.form.get('username', '')
        password = request.form.get('password', '')
        if not self.archive.check_password(user, password):
            # As the site does: 200 with an HTML page, and no session.
            return _html(pages.login_form('Wrong user name or password.'))
        sid = secrets.token_hex(16)
        with self._lock:
            self._sessions[sid] = Session(user)
        response = _html(pages.logged_in(user))
        remember = request.form.get('stayloggedin', '') == 'true'
        response.set_cookie(SESSION_COOKIE, sid, path='/', httponly=True,
                            max_age=30 * 86400 if remember else None)
        return response

    def _on_logout(self, request: Request, keys: list[str]) -> Response:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            self._end_session(sid)
        response = _html(pages.logged_out())
        response.delete_cookie(SESSION_COOKIE, path='/')
        return response

    # -- the JSON user API --------------------------------------------------------------
    def _on_api(self, request: Request, keys: list[str]) -> Response:
        answer = self._api_answer(request, keys)
        text = json.dumps(answer)
        if self.faults.take('non_json', keys) is not None:
            return _html(pages.api_html_error())
        if self.faults.take('truncated_json', keys) is not None:
            text = text[:len(text) // 2]
        return Response(text, mimetype='application/json')

    def _api_answer(self, request: Request, keys: list[str]) -> dict[str, Any]:
        found = self._session(request, keys)
        if found is None:
            return _api_answer(0, 'ERR_NOT_LOGGED_IN')
        sid, session = found
        handler = self._api.get((request.form.get('module'), request.form.get('request')))
        if handler is None:
            return _api_answer(0, 'ERR_UNKNOWN_REQUEST')
        text = request.form.get('params')
        try:
            params = {} if text in (None, '') else json.loads(text)
        except ValueError:
            return _api_answer(0, 'ERR_BAD_PARAMS')
        if not isinstance(params, dict):
            return _api_answer(0, 'ERR_BAD_PARAMS')
        try:
            return handler(session, params, request.form.get('request'), keys)
        except ApiError as error:
            # The basket answers booleans, the other modules 1/0 (both occur).
            basket = request.form.get('module') == 'request-constructor'
            return _api_answer(False if basket else 0, error.status)

    def _api_folders(self, session: Session, params: dict, name: str,
                     keys: list[str]) -> dict[str, Any]:
        folders = []
        for folder in self.archive.folders(session.user):
            count = self.archive.folder_count(session.user, folder.folder_id)
            folders.append({'id': str(folder.folder_id),
                            'creationtime': str(int(folder.creation_time)),
                            'name': folder.name,
                            'count': str(count) if count else None})
        return _api_answer(1, 'OK', folders)

    def _api_list_own(self, session: Session, params: dict, name: str,
                      keys: list[str]) -> dict[str, Any]:
        folder_id = _as_int(params.get('folderid', 1), 'folderid')
        if folder_id not in {f.folder_id for f in self.archive.folders(session.user)}:
            raise ApiError('ERR_NO_SUCH_FOLDER')
        sort = params.get('sort', 'rid')
        if sort not in LISTING_ORDERS:
            raise ApiError('ERR_BAD_PARAMS')
        rows = sorted(self.archive.requests(session.user, folder_id),
                      key=LISTING_ORDERS[sort])
        start = _as_int(params.get('startAfterRow', 0), 'startAfterRow')
        limit = _as_int(params['limit'], 'limit') if 'limit' in params else len(rows)
        if start < 0 or limit < 0:
            raise ApiError('ERR_BAD_PARAMS')
        page = rows[start:start + limit]
        return _api_answer(1, 'OK', {
            'totalRequests': str(len(rows)),
            'requests': [_record(r, start + index + 1) for index, r in enumerate(page)]})

    # The request basket (module request-constructor).
    def _api_rb_clear(self, session: Session, params: dict, name: str,
                      keys: list[str]) -> dict[str, Any]:
        session.basket = None
        return _api_answer(True, 'OK')

    def _api_rb_set(self, session: Session, params: dict, name: str,
                    keys: list[str]) -> dict[str, Any]:
        try:
            telescope = _as_int(params.get('telescopeid'), 'telescopeid')
        except ApiError:
            raise ApiError('ERR_BAD_TELESCOPE') from None
        if telescope not in FILTERS:
            raise ApiError('ERR_BAD_TELESCOPE')
        filter_name = params.get('filtertype')
        if filter_name not in FILTERS[telescope]:
            raise ApiError('ERR_BAD_FILTER')
        exposure = _as_number(params.get('exposuretime'))
        # Over the telescope's maximum (180 s on COAST and PIRATE), or not a
        # positive number: refused with this [assumed] status word.
        if exposure is None or not 0 < exposure <= MAX_EXPOSURE_MS[telescope]:
            raise ApiError('ERR_BAD_EXPOSURE')
        if params.get('objecttype', 'RADEC') != 'RADEC':
            raise ApiError('ERR_BAD_OBJECTTYPE')
        position = _parse_object_id(params.get('objectid'))
        if position is None:
            raise ApiError('ERR_BAD_OBJECTID')
        session.basket = dict(
            object_name=str(params.get('objectname') or params['objectid']),
            object_type='RADEC', object_id=params['objectid'],
            ra_deg=position[0], dec_deg=position[1], telescope_id=telescope,
            filter_type=filter_name, exposure_ms=int(round(exposure)),
            dark_frame=bool(_as_number(params.get('darkframe', 1))),
            comments=str(params.get('usercomments', '')))
        return _api_answer(True, 'OK')

    def _api_rb_submit(self, session: Session, params: dict, name: str,
                       keys: list[str]) -> dict[str, Any]:
        if not session.basket:
            raise ApiError('ERR_BASKET_EMPTY')
        try:
            created = self.archive.add_request(session.user, **session.basket)
        except QueueFullError:
            # [assumed] status word; the basket keeps its request for a later try.
            raise ApiError('ERR_QUEUE_FULL') from None
        session.basket = None
        return _api_answer(True, 'OK', {'id': str(created.rid)})

    # The image engine.
    def _visible_job(self, user: str, jid: int | None) -> Any | None:
        """The job if this user may see it (their own or a public one)."""
        job = self.archive.job(jid) if jid is not None else None
        if job is None or not (job.public or job.owner == user):
            return None
        return job

    def _api_create(self, session: Session, params: dict, name: str,
                    keys: list[str]) -> dict[str, Any]:
        job = self._visible_job(session.user, _as_int(params.get('jid'), 'jid'))
        if job is None:
            raise ApiError('ERR_NO_SUCH_JOB')
        if not job.success:
            raise ApiError('ERR_NO_IMAGES')
        kind = 'cube' if name == '0-create-dl3d' else 'zip'
        flat_id = _as_int(params.get('flatid', 0), 'flatid')
        if flat_id < 0:
            raise ApiError('ERR_BAD_PARAMS')
        staging, status = self.engine.create(job, kind, flat_id=flat_id)
        # OK_READY echoes the flat id sent as a number; OK_WAIT has no flatID [seen].
        data = {'ieID': str(staging.ieid)}
        if status == 'OK_READY':
            data['flatID'] = flat_id
        return _api_answer(1, status, data)

    def _api_is_ready(self, session: Session, params: dict, name: str,
                      keys: list[str]) -> dict[str, Any]:
        ieid = _as_int(params.get('ieid'), 'ieid')
        staging = self.engine.get(ieid)
        if staging is None or self._visible_job(session.user, staging.job.jid) is None:
            raise ApiError('ERR_NO_SUCH_IEID')
        status, size = self._staging_status(staging, keys)
        if status != 'READY':
            return _api_answer(1, status)      # WAIT / PROCESSING: data null [seen]
        cube = staging.kind == 'cube'
        # Once READY: the flat id as a string, the size under the kind's key.
        return _api_answer(1, status, {'flatID': str(staging.flat_id),
                                       'fitsbzsize': '0' if cube else str(size),
                                       'fitssize': str(size) if cube else '0'})

    def _staging_status(self, staging: Staging, keys: list[str]) -> tuple[str, int]:
        if self.faults.take('never_ready', keys, jid=staging.job.jid) is not None:
            return 'PROCESSING', 0
        return self.engine.status(staging)

    # -- HTML pages behind the login --------------------------------------------------
    def _page_user(self, request: Request, keys: list[str]) -> str | None:
        found = self._session(request, keys)
        return None if found is None else found[1].user

    def _on_view(self, request: Request, keys: list[str]) -> Response:
        user = self._page_user(request, keys)
        if user is None:
            return _html(pages.login_form())
        now = self.archive.current_time()
        if 'jid' in request.values:
            jid = _id_arg(request.values.get('jid'))
            return _html(pages.job_view(jid or 0, self._visible_job(user, jid), user=user,
                                        now=now, telescope_types=TELESCOPE_TYPES))
        rid = _id_arg(request.values.get('rid'))
        # The owner opening the view is what makes a request "seen".
        found = self.archive.mark_seen(user, rid) if rid is not None else None
        job = None
        if found is not None and found.status == 8:
            job = self.archive.job_of_request(user, found.rid)
        return _html(pages.request_view(rid or 0, found, job, user=user, now=now,
                                        status_texts=STATUS_TEXTS, telescopes=TELESCOPES,
                                        telescope_types=TELESCOPE_TYPES))

    def _on_search(self, request: Request, keys: list[str]) -> Response:
        user = self._page_user(request, keys)
        if user is None:
            return _html(pages.login_form())
        values = request.values
        now = self.archive.current_time()
        latest = _search_time(values.getlist('searchlatestcom[]'))
        latest = now if latest is None else latest + 59  # the whole minute
        earliest = _search_time(values.getlist('searchearliestcom[]'))
        earliest = latest - 86400 if earliest is None else earliest
        filter_name = values.get('searchfilter', '').strip()
        telescope_text = values.get('searchtelescope', '').strip()
        telescope = int(telescope_text) if telescope_text.isdigit() else None
        per_page_text = values.get('resultsperpage', '').strip()
        per_page = int(per_page_text) if per_page_text.isdigit() else 1000
        per_page = per_page or 1000
        if telescope_text and telescope is None:
            jobs = []  # a telescope that is not an id matches nothing
        else:
            jobs = self.archive.search_jobs(earliest, latest, telescope_id=telescope,
                                            filter_type=filter_name or None)
        return _html(pages.job_search(
            earliest, latest, jobs[:per_page], per_page=per_page,
            filter_name=filter_name,
            telescope=TELESCOPES.get(telescope, telescope_text) if telescope_text else '',
            user=user, telescopes=TELESCOPES))

    def _on_processed(self, request: Request, keys: list[str]) -> Response:
        user = self._page_user(request, keys)
        if user is None:
            return _html(pages.login_form())
        jid = _id_arg(request.args.get('jid'))
        kind = PROCESSED_TYPES.get(request.args.get('type', ''))
        job = self._visible_job(user, jid)
        if job is None or not job.success or kind is None:
            return _html(pages.message('Processed images',
                                       'No such job, or no images of this type.', user))
        staging = self.engine.latest(job, kind, processed=True)
        if staging is None:
            staging, _ = self.engine.create(job, kind, processed=True)
        state, _ = self._staging_status(staging, keys)
        src = None
        if state == 'READY':
            src = f'{DOWNLOAD}?jid={job.jid}&ieid={staging.ieid}'
        return _html(pages.processed_images(job.jid, src, state, user))

    def _on_download(self, request: Request, keys: list[str]) -> Response:
        user = self._page_user(request, keys)
        if user is None:
            return _html(pages.login_form())
        jid = _id_arg(request.args.get('jid'))
        ieid = _id_arg(request.args.get('ieid'))
        staging = self.engine.get(ieid) if ieid is not None else None
        if (staging is None or staging.job.jid != jid
                or self._visible_job(user, jid) is None):
            return NotFound('No such staged product.').get_response(request.environ)
        status, size = self.engine.status(staging)
        if status != 'READY':
            return _html(pages.message('Not ready', f'The product is {status}.', user),
                         status=409)
        path = self.engine.path(staging)
        fault = self.faults.take('corrupt_product', keys)
        if fault is None:
            file = open(path, 'rb')
        else:
            file = _FlippedFile(path, fault.params['offset'], fault.params['nbytes'])
        suffix = 'fits' if staging.kind == 'cube' else 'zip'
        prefix = 'art_' if staging.processed else ''
        response = send_file(
            file, request.environ, as_attachment=True,
            mimetype='application/fits' if suffix == 'fits' else 'application/zip',
            download_name=f'{prefix}{jid}.{suffix}', conditional=False,
            etag=f'{jid}-{staging.kind}-{int(staging.processed)}-{staging.flat_id}-{size}',
            last_modified=os.stat(path).st_mtime)
        # send_file cannot know the size of an open file: give it, then let
        # make_conditional answer Range requests (206) with Accept-Ranges.
        response.content_length = size
        response = response.make_conditional(request.environ, accept_ranges=True,
                                             complete_length=size)
        del response.headers['Date']  # the server adds its own
        return response

    # -- the form-based request constructor -------------------------------------------
    def _on_constructor(self, request: Request, keys: list[str]) -> Response:
        found = self._session(request, keys)
        if found is None:
            return _html(pages.login_form())
        sid, session = found
        if request.method == 'GET':
            if request.args.get('action') != 'new':
                return _html(pages.message('Request constructor',
                                           'Start a new request with action=new.',
                                           session.user))
            with self._lock:
                number = next(self._ticket_ids)
                self._tickets[number] = Ticket(sid, session.user)
            return self._constructor_page(number, 'main', session.user)
        number = _id_arg(request.form.get('ticket'))
        with self._lock:
            ticket = self._tickets.get(number) if number is not None else None
        if ticket is None or ticket.sid != sid:
            return _html(pages.message('Request constructor',
                                       'This request form has expired; start a new one.',
                                       session.user))
        return self._constructor_step(number, ticket, request.form)

    def _constructor_page(self, number: int, step: str, user: str,
                          state: dict | None = None, error: str = '') -> Response:
        return _html(pages.constructor(number, step, state or {}, user=user, error=error,
                                       telescopes=TELESCOPES, filters=FILTERS))

    def _constructor_step(self, number: int, ticket: Ticket, form: Any) -> Response:
        action = form.get('action', '')
        state, user = ticket.state, ticket.user
        moves = {'main-go-part1': 'part1', 'part1-go-radec': 'radec',
                 'main-go-part2': 'part2', 'main-go-part3': 'part3'}
        if action in moves:
            return self._constructor_page(number, moves[action], user, state)
        saves = {'part1-radec-save': (_form_radec, 'radec'),
                 'part2-save': (_form_telescope, 'part2'),
                 'part3-save': (_form_exposure, 'part3')}
        if action in saves:
            parse, step = saves[action]
            try:
                state.update(parse(form, state))
            except ValueError as error:
                return self._constructor_page(number, step, user, state, str(error))
            return self._constructor_page(number, 'main', user, state)
        if action == 'main-submit':
            missing = [part for part, key in (('object', 'object_id'),
                                              ('telescope', 'telescope_id'),
                                              ('exposure', 'exposure_ms'))
                       if key not in state]
            if missing:
                return self._constructor_page(number, 'main', user, state,
                                              f'Still to be set: {", ".join(missing)}.')
            if state['filter_type'] not in FILTERS[state['telescope_id']]:
                return self._constructor_page(number, 'main', user, state,
                                              'The filter is not one of the telescope\'s.')
            limit = MAX_EXPOSURE_MS[state['telescope_id']]
            if state['exposure_ms'] > limit:    # the telescope changed after part 3
                return self._constructor_page(number, 'main', user, state,
                                              f'The exposure is over {limit} ms.')
            try:
                created = self.archive.add_request(user, **state)
            except QueueFullError:
                # The same limit as the basket's; the wording is [assumed].
                return self._constructor_page(
                    number, 'main', user, state,
                    f'Your queue is full: {self.archive.queue_limit(user)} requests are '
                    'waiting. Submit again when one has been observed.')
            with self._lock:
                self._tickets.pop(number, None)
            return _html(pages.constructor_done(created.rid, user))
        return self._constructor_page(number, 'main', user, state,
                                      f'Unknown action {action!r}.')


def _search_time(parts: list[str]) -> float | None:
    """Day, month, year, hour, minute (unpadded strings) as Unix seconds (UTC)."""
    try:
        day, month, year, hour, minute = (int(p) for p in parts)
        if year < 100:
            year += 2000
        when = dt.datetime(year, month, day, hour, minute, tzinfo=dt.timezone.utc)
    except (TypeError, ValueError):
        return None
    return when.timestamp()


def _two_digits(form: Any, name: str, top: int, signed: bool = False) -> tuple[int, bool]:
    text = (form.get(name) or '').strip()
    negative = signed and text.startswith('-')
    if signed and text[:1] in '+-':
        text = text[1:]
    if not text.isdigit() or int(text) > top:
        raise ValueError(f'{name} must be a number from 0 to {top}, got {form.get(name)!r}')
    return int(text), negative


def _fraction(form: Any, name: str) -> str:
    text = (form.get(name) or '0').strip()
    if not text.isdigit():
        raise ValueError(f'{name} must be digits, got {text!r}')
    return text


def _form_radec(form: Any, state: dict) -> dict[str, Any]:
    """The object of the form flow: ``raHours``... ``decFract``, ``newObjectName``."""
    ra_h = _two_digits(form, 'raHours', 23)[0]
    ra_m = _two_digits(form, 'raMins', 59)[0]
    ra_s = _two_digits(form, 'raSecs', 59)[0]
    ra_f = _fraction(form, 'raFract')
    dec_d, negative = _two_digits(form, 'decDegrees', 90, signed=True)
    dec_m = _two_digits(form, 'decMins', 59)[0]
    dec_s = _two_digits(form, 'decSecs', 59)[0]
    dec_f = _fraction(form, 'decFract')
    sign = '-' if negative else '+'
    object_id = (f'{ra_h:02d}:{ra_m:02d}:{ra_s:02d}.{ra_f[:2]:0<2} '
                 f'{sign}{dec_d:02d}:{dec_m:02d}:{dec_s:02d}.{dec_f[:2]:0<2}')
    ra_deg, dec_deg = _parse_object_id(object_id) or (None, None)
    if ra_deg is None:
        raise ValueError(f'not a position: {object_id}')
    return {'object_type': 'RADEC', 'object_id': object_id, 'ra_deg': ra_deg,
            'dec_deg': dec_deg,
            'object_name': (form.get('newObjectName') or '').strip() or object_id}


def _form_telescope(form: Any, state: dict) -> dict[str, Any]:
    text = (form.get('newTelescopeSelection') or '').strip()
    if not text.isdigit() or int(text) not in FILTERS:
        raise ValueError(f'unknown telescope {text!r}')
    return {'telescope_id': int(text)}


def _form_exposure(form: Any, state: dict) -> dict[str, Any]:
    telescope = state.get('telescope_id')
    if telescope is None:
        raise ValueError('choose a telescope first')
    exposure = _as_number(form.get('newExposureTime'))
    if exposure is None or not 0 < exposure <= MAX_EXPOSURE_MS[telescope]:
        raise ValueError(f'exposure must be from 1 to {MAX_EXPOSURE_MS[telescope]} ms')
    filter_name = form.get('newFilterSelection', '')
    if filter_name not in FILTERS[telescope]:
        raise ValueError(f'filter {filter_name!r} is not one of {TELESCOPES[telescope]}\'s')
    return {'exposure_ms': int(round(exposure)), 'filter_type': filter_name,
            'dark_frame': form.get('newDarkFrame', '0') == '1',
            'comments': form.get('newRequestComments', '')}
