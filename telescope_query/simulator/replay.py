"""A server that answers from a capture file: the answers one site really gave.

``telescope-query check-site --capture FILE`` writes the answers of a site
(redacted) as *exchanges*; `Replay` serves them again on 127.0.0.1, so that the
client can be run against what a site really said (the test suite does so with
the captures in ``tests/data/captures``). Only what was captured can be
answered:

- ``POST login.php`` opens a session (a cookie), whatever the password;
- ``api-user.php``: the folders, the listing page (sliced by ``limit`` and
  ``startAfterRow``), the image-engine create answer, then its polls in
  turn (the last one again after that); a call without the session cookie
  gets the captured answer of a call without a session; anything else an
  error answer saying it was not captured;
- ``v4request-view.php``: the captured request and job views by their id
  (``request_view``, ``job_view``, and further ones under keys starting so),
  and for any other id a page without values (no such request or job);
- ``v3job-search-query.php``: the captured search answer;
- anything else: HTTP 404.

Like the rest of the simulator it reads JSON and imports nothing of the client.
"""
from __future__ import annotations

import itertools
import json
import secrets
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

__all__ = ['Replay', 'load_exchanges']

COOKIE = 'PHPSESSID'
EMPTY_VIEW = ('<!DOCTYPE html>\n<html><body><h2>View</h2>\n<table class="details">\n'
              '</table>\n</body></html>\n')


def load_exchanges(path: str | Path) -> dict[str, Any]:
    """The exchanges of a capture file (``{"format": ..., "exchanges": {...}}``)."""
    document = json.loads(Path(path).read_text(encoding='utf-8'))
    exchanges = document.get('exchanges') if isinstance(document, dict) else None
    if not isinstance(exchanges, dict):
        raise ValueError(f'{path}: not a capture file (no "exchanges")')
    return exchanges


def _answer(exchange: Mapping[str, Any] | None, default_type: str) -> Response:
    if exchange is None:
        return Response('not in the capture', status=404, mimetype='text/plain')
    headers = exchange.get('headers') or {}
    return Response(exchange.get('body') or '', status=int(exchange.get('status') or 200),
                    content_type=headers.get('Content-Type', default_type))


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = '-', size: int | str = '-') -> None:
        pass


class Replay:
    """Serve a capture's exchanges on a free port of 127.0.0.1 (a context manager).

    Parameters
    ----------
    exchanges : mapping
        As `load_exchanges` returns them (or as ``check_site`` records them).
    """

    def __init__(self, exchanges: Mapping[str, Any]) -> None:
        self.exchanges = dict(exchanges)
        self._sessions: set[str] = set()
        self._polls = itertools.count()
        self._lock = threading.Lock()
        self.calls: list[str] = []          # path (and API request) of every call
        self._server = make_server('127.0.0.1', 0, self._app, threaded=True,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        """Base URL with a trailing ``/``."""
        return f'http://127.0.0.1:{self._server.server_port}/'

    def __enter__(self) -> 'Replay':
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- answers ----------------------------------------------------------------------
    def _app(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        name = request.path.strip('/').rsplit('/', 1)[-1]
        with self._lock:
            self.calls.append(name + (f"/{request.form.get('request')}"
                                      if name == 'api-user.php' else ''))
        if name == 'login.php' and request.method == 'POST':
            response = self._login()
        elif name == 'api-user.php':
            response = self._api(request)
        elif name == 'v4request-view.php':
            response = self._view(request)
        elif name == 'v3job-search-query.php':
            response = _answer(self.exchanges.get('search'), 'text/html')
        elif name == 'logout.php':
            response = Response('<html><body>Logged out</body></html>', mimetype='text/html')
        else:
            response = _answer(None, 'text/plain')
        return response(environ, start_response)

    def _login(self) -> Response:
        sid = secrets.token_hex(8)
        with self._lock:
            self._sessions.add(sid)
        login = self.exchanges.get('login') or {}
        response = Response(login.get('body') or '<html><body>Welcome</body></html>',
                            mimetype='text/html')
        response.set_cookie(COOKIE, sid, path='/')
        return response

    def _api(self, request: Request) -> Response:
        if request.cookies.get(COOKIE) not in self._sessions:
            anonymous = self.exchanges.get('anonymous')
            if anonymous is not None:
                return _answer(anonymous, 'application/json')
            return Response(json.dumps({'success': 0, 'status': 'ERR_NOT_LOGGED_IN',
                                        'data': None}), mimetype='application/json')
        call = request.form.get('request', '')
        try:
            params = json.loads(request.form.get('params') or '{}')
        except ValueError:
            params = {}
        if call == '0-get-my-folders':
            return _answer(self.exchanges.get('folders'), 'application/json')
        if call == '1-get-list-own' and 'listing' in self.exchanges:
            return self._listing(params)
        if call.startswith('0-create-dl') and 'ie_create' in self.exchanges:
            return _answer(self.exchanges['ie_create'], 'application/json')
        polls = self.exchanges.get('ie_polls') or []
        if call == '0-is-job-ready' and polls:
            number = min(next(self._polls), len(polls) - 1)
            return _answer(polls[number], 'application/json')
        return Response(json.dumps({'success': 0, 'status': 'ERR_NOT_CAPTURED',
                                    'data': None}), mimetype='application/json')

    def _listing(self, params: Mapping[str, Any]) -> Response:
        answer = json.loads(self.exchanges['listing'].get('body') or '{}')
        data = answer.get('data') if isinstance(answer, dict) else None
        if isinstance(data, dict) and isinstance(data.get('requests'), list):
            start = int(params.get('startAfterRow') or 0)
            limit = int(params.get('limit', len(data['requests'])))
            data = {**data, 'requests': data['requests'][start:start + limit]}
            answer = {**answer, 'data': data}
        return Response(json.dumps(answer), mimetype='application/json')

    def _view(self, request: Request) -> Response:
        # Every captured view: 'request_view' and 'job_view', and any further
        # ones a hand-made capture adds under keys such as 'job_view 369256'.
        for name, captured in self.exchanges.items():
            key = 'rid' if name.startswith('request_view') else \
                'jid' if name.startswith('job_view') else None
            asked = request.values.get(key) if key else None
            if asked is not None and isinstance(captured, dict) and \
                    str((captured.get('params') or {}).get(key)) == asked.strip():
                return _answer(captured, 'text/html')
        return Response(EMPTY_VIEW, mimetype='text/html')
