"""The simulated telescope.org: a werkzeug WSGI application.

It speaks the protocol of ``PROTOCOL.md`` (sections 1-3) over the synthetic
`~.archive.Archive`, the `~.engine.ImageEngine` and its products, with the
switchable `~.faults.Faults` and the call `~.counters.Counters`.  This module
routes and keeps the sessions; the answers are made by :mod:`.api` (the JSON
user API), :mod:`.views` (the pages behind the login and the downloads) and
:mod:`.constructor` (the form-based request constructor).

Every call goes through `SimulatorApp.__call__`: it counts the call, adds the
configured latency, applies the faults that act before a call is handled,
routes it (repeated ``/`` in the path count as one, for every method), and
applies the faults that act on the answer.
"""
from __future__ import annotations

import json
import re
import socket
import time
from typing import Any, Callable, Iterable, Iterator

from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import pages
from .api import UserApi
from .constructor import FormConstructor
from .counters import Counters
from .engine import ImageEngine
from .faults import Faults
from .sessions import SESSION_COOKIE, Session, SessionStore
from .views import DOWNLOAD, Pages, html

__all__ = ['SimulatorApp', 'SESSION_COOKIE', 'ARCHIVE_HEADER']

API = 'api-user.php'
CONSTRUCTOR = 'request-constructor.php'
#: The header of the login answer that names this archive (one simulator instance).
ARCHIVE_HEADER = 'X-Archive-Id'
#: Endpoints of the HTML pages behind the login (``login_page`` may replace them).
PAGE_ENDPOINTS = frozenset({'view', 'search', 'processed', 'constructor'})


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
    archive_id : str
        Sent in the `ARCHIVE_HEADER` of every login answer: two simulators
        behind one address are told apart by it.
    """

    def __init__(self, archive: Any, engine: ImageEngine, faults: Faults,
                 counters: Counters, *, latency_ms: float = 0,
                 sleep: Callable[[float], None] = time.sleep,
                 archive_id: str = '') -> None:
        self.archive = archive
        self.archive_id = archive_id
        self.engine = engine
        self.faults = faults
        self.counters = counters
        self.latency_ms = latency_ms
        self._sleep = sleep
        self.sessions = SessionStore()
        self.api = UserApi(archive, engine, faults)
        self.pages = Pages(archive, engine, faults)
        self.constructor = FormConstructor(archive, self.sessions, faults)
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
        elif name == CONSTRUCTOR and request.method == 'POST':
            keys.append(f'{name}/{request.form.get("action", "")}')     # one step of the form
        self.counters.hit(name, api_request, headers=dict(request.headers.items()))

        delay = float(self.latency_ms or 0)
        delay += sum(float(f.params['ms']) for f in self.faults.take_all('latency', keys))
        if delay > 0:
            self._sleep(delay / 1000)

        stall = self.faults.take('stall_body', keys)
        if stall is not None and stall.params['still_saving']:
            return self._saving(request, path, keys, float(stall.params['ms']),
                                start_response)
        unanswered = self.faults.take('close_unanswered', keys)
        if unanswered is not None:
            if unanswered.params['after']:
                self._dispatch(request, path, keys).close()
            return self._unanswered(environ)
        if (slow := self.faults.take('slow_headers', keys)) is not None:
            self._drip_headers(environ, slow.params)   # the connection is closed after
            return html('')(environ, start_response)
        if (refusal := self._refused_at_once(request, keys)) is not None:
            return self._deliver(refusal, keys, environ, start_response)
        fault = self.faults.take('http_500', keys) or self.faults.take('http_error', keys)
        status = 500 if fault is None else int(fault.params.get('status', 500))
        if fault is not None and not fault.params['after']:
            response = self._error(status)
        else:
            response = self._dispatch(request, path, keys)
            if fault is not None:
                response.close()
                response = self._error(status)
        if fault is not None and fault.params.get('retry_after') is not None:
            response.headers['Retry-After'] = str(fault.params['retry_after'])
        return self._deliver(response, keys, environ, start_response, stall)

    def _dispatch(self, request: Request, path: str, keys: list[str]) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, _ = adapter.match(path, method=request.method)
        except HTTPException as error:
            return error.get_response(request.environ)
        if endpoint in PAGE_ENDPOINTS:
            if self.faults.take('login_page', keys) is not None:
                return html(pages.login_form())
        if endpoint in ('view', 'search', 'processed', 'download'):
            found = self._session(request, keys)
            if found is None:
                return html(pages.login_form())
            return getattr(self.pages, endpoint)(request, found[1].user, keys)
        return getattr(self, f'_on_{endpoint}')(request, keys)

    def _refused_at_once(self, request: Request, keys: list[str]) -> Response | None:
        """The answer of an ``echo_form`` fault, or None."""
        if (fault := self.faults.take('echo_form', keys)) is not None:
            return html(pages.form_echo(request.form.items(multi=True), keys[0]),
                        status=int(fault.params['status']))
        return None

    def _drip_headers(self, environ: dict, params: dict) -> None:
        """Send a status line and headers a byte at a time, never finished; then close."""
        connection = environ.get('werkzeug.socket')
        if connection is None:
            return
        head = b'HTTP/1.1 200 OK\r\nX-Slow: '
        interval = float(params['interval_ms']) / 1000
        end = time.monotonic() + float(params['seconds'])
        sent = 0
        try:
            while time.monotonic() < end:   # ends: in time, or when the client hangs up
                connection.sendall(head[sent:sent + 1] or b'a')
                sent += 1
                self._sleep(interval)
        except OSError:
            pass
        finally:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def _error(status: int) -> Response:
        """An error page as a web server (or the gateway in front of it) sends one."""
        title = f'{status} {HTTP_STATUS_CODES.get(status, "Error")}'
        return html(f'<!DOCTYPE html>\n<html><head><title>{title}</title></head><body>'
                    f'<h1>{title}</h1></body></html>\n', status=status)

    def _deliver(self, response: Response, keys: list[str], environ: dict,
                 start_response: Callable, stall: Any = None) -> Iterable[bytes]:
        """Send the answer, cut short if a ``cut_connection``/``short_body`` fault
        fires, or stalled midway by the ``stall_body`` fault ``stall``."""
        length = response.content_length
        if stall is not None:
            return self._stalled(response(environ, start_response),
                                 int(stall.params['after_bytes']), float(stall.params['ms']))
        if environ['REQUEST_METHOD'] == 'HEAD' or not length:
            return response(environ, start_response)
        if (drip := self.faults.take('drip', keys)) is not None:
            return self._dripped(response(environ, start_response),
                                 int(drip.params['nbytes']),
                                 float(drip.params['interval_ms']) / 1000)
        limit = None
        if (fault := self.faults.take('cut_connection', keys)) is not None:
            limit = max(0, min(length, int(fault.params['after_bytes'])))
        elif (fault := self.faults.take('short_body', keys)) is not None:
            limit = max(0, length - int(fault.params['missing_bytes']))
        body = response(environ, start_response)
        if limit is None:
            return body
        return self._truncated(body, limit, environ)

    def _saving(self, request: Request, path: str, keys: list[str], ms: float,
                start_response: Callable) -> Iterator[bytes]:
        """Headers at once (200, no length: chunked), the call handled after ``ms``."""
        kind = 'application/json' if path.lstrip('/') == API else 'text/html; charset=utf-8'
        start_response('200 OK', [('Content-Type', kind)])
        yield b''                           # the headers go out now
        self._sleep(ms / 1000)
        response = self._dispatch(request, path, keys)
        try:
            yield from response.iter_encoded()
        finally:
            response.close()

    def _stalled(self, body: Iterable[bytes], after: int, ms: float) -> Iterator[bytes]:
        """The headers and ``after`` bytes of ``body``, a pause of ``ms``, the rest."""
        data = b''.join(body)
        if hasattr(body, 'close'):
            body.close()
        yield data[:max(0, after)] or b''   # the headers go out with the first chunk
        self._sleep(ms / 1000)
        yield data[max(0, after):]

    @staticmethod
    def _unanswered(environ: dict) -> Iterable[bytes]:
        """Close the connection without sending anything."""
        _close(environ)
        # werkzeug takes a ConnectionError as a dropped connection, quietly.
        raise ConnectionAbortedError('closed unanswered (close_unanswered fault)')

    def _dripped(self, body: Iterable[bytes], nbytes: int, interval: float
                 ) -> Iterator[bytes]:
        """``body`` in pieces of ``nbytes``, one every ``interval`` seconds."""
        try:
            yield b''  # the headers at once
            for chunk in body:      # ends with the body (or when the client hangs up)
                for start in range(0, len(chunk), max(1, nbytes)):
                    self._sleep(interval)
                    yield chunk[start:start + max(1, nbytes)]
        finally:
            if hasattr(body, 'close'):
                body.close()

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
            _close(environ)

    # -- sessions ---------------------------------------------------------------------
    def _session(self, request: Request, keys: list[str]) -> tuple[str, Session] | None:
        """The caller's live session, or None (an ``expire_session`` fault ends it)."""
        sid = request.cookies.get(SESSION_COOKIE)
        session = None if sid is None else self.sessions.get(sid)
        if sid is None or session is None:
            return None
        if self.faults.session_expires(keys):
            self.sessions.end(sid)
            return None
        return sid, session

    def session_count(self) -> int:
        """Number of live sessions."""
        return self.sessions.count()

    def _on_index(self, request: Request, keys: list[str]) -> Response:
        found = self._session(request, keys)
        if found is None:
            return html(pages.login_form())
        return html(pages.logged_in(found[1].user))

    def _on_login(self, request: Request, keys: list[str]) -> Response:
        if request.method != 'POST':
            return html(pages.login_form())
        user = request.form.get('username', '')
        password = request.form.get('password', '')
        if not self.archive.check_password(user, password):
            # As the site does: 200 with an HTML page, and no session.
            return html(pages.login_form('Wrong user name or password.'))
        sid = self.sessions.open(user)
        response = html(pages.logged_in(user))
        if self.archive_id:
            response.headers[ARCHIVE_HEADER] = self.archive_id
        remember = request.form.get('stayloggedin', '') == 'true'
        response.set_cookie(SESSION_COOKIE, sid, path='/', httponly=True,
                            max_age=30 * 86400 if remember else None)
        return response

    def _on_logout(self, request: Request, keys: list[str]) -> Response:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            self.sessions.end(sid)
        response = html(pages.logged_out())
        response.delete_cookie(SESSION_COOKIE, path='/')
        return response

    # -- the JSON user API and the form constructor --------------------------------------
    def _on_api(self, request: Request, keys: list[str]) -> Response:
        found = self._session(request, keys)
        answer = self.api.answer(None if found is None else found[1], request.form, keys)
        text = json.dumps(answer)
        if self.faults.take('non_json', keys) is not None:
            return html(pages.api_html_error())
        if self.faults.take('truncated_json', keys) is not None:
            text = text[:len(text) // 2]
        return Response(text, mimetype='application/json')

    def _on_constructor(self, request: Request, keys: list[str]) -> Response:
        found = self._session(request, keys)
        if found is None:
            return html(pages.login_form())
        return self.constructor.handle(request, *found)


def _close(environ: dict) -> None:
    """Shut the connection of a request down, whatever is sent afterwards."""
    connection = environ.get('werkzeug.socket')
    if connection is not None:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
