"""Plain helpers shared by every test folder (the fixtures are in ``conftest.py``).

Imported as ``helpers`` (pytest puts this folder on ``sys.path``, as for
``sesame_stub``): the one helpers module of the suite.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest

from telescope_query.images import cache as product_cache
from telescope_query.images.fits import ProductFormatError, check_product

#: The simulator's accounts that the tests log in to.
PASSWORDS = {'demo': 'demo', 'alice': 'alice-Secret-42'}

# Endpoints, as the simulator counts them.
DOWNLOAD = 'v3image-download.php'
CREATE_CUBE = 'api-user.php/image-engine/0-create-dl3d'
POLL = 'api-user.php/image-engine/0-is-job-ready'
SET = 'api-user.php/request-constructor/0-rb-set'
SUBMIT = 'api-user.php/request-constructor/0-rb-submit'


# The seed documentation's real answer of 0-get-my-folders.
SEED_FOLDERS = [{'id': '1', 'creationtime': '0', 'name': 'Inbox', 'count': '1849'},
                {'id': '2', 'creationtime': '0', 'name': 'Favourites', 'count': None},
                {'id': '3', 'creationtime': '0', 'name': 'Archive', 'count': '447'},
                {'id': '4', 'creationtime': '0', 'name': 'Trash', 'count': '63'},
                {'id': '461', 'creationtime': '1407254495', 'name': 'Complete',
                 'count': '13'}]


def demo_jids(sim, user: str = 'demo') -> list[int]:
    """Successful jobs of an account (demo's by default), in id order."""
    return sorted({r.jid for r in sim.archive.requests(user) if r.jid})


def served_bytes(sim, jid: int, kind: str = 'cube', processed: bool = False,
                 flat: bool = False) -> bytes:
    """The product file exactly as the simulator serves it (``flat``: asked for
    with the job's flat id)."""
    job = sim.archive.job(jid)
    flat_id = (job.flat_id or 0) if flat else 0
    return Path(sim.products.path(job, kind, processed, flat_id)).read_bytes()


def module_simulator():
    """The session simulator's settings, in a simulator of one module's own: for a
    module-scoped ``_simulator_session`` fixture, where what other tests leave in
    the shared archive would change the results."""
    from telescope_query.simulator import Simulator
    from telescope_query.simulator.pytest_plugin import ACCOUNTS, SMALL
    with Simulator(dict(ACCOUNTS), **SMALL) as sim:
        yield sim


def own_simulator(simulator_factory, login_as, monkeypatch, *, legacy=False, **settings):
    """A simulator of the test's own (``settings`` as for `Simulator`) and a client
    logged in to it as demo (the original library's class with ``legacy``):
    ``(sim, client)``."""
    sim = simulator_factory(**settings)
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', sim.url)
    return sim, login_as('demo', legacy=legacy)


def unique(prefix: str) -> str:
    """A name no other test uses (the simulator is shared by the session)."""
    return f'{prefix} {uuid.uuid4().hex[:8]}'


def made(sim, name: str, user: str = 'demo') -> list:
    """An account's requests of that name, in the simulator's archive."""
    return [r for r in sim.archive.requests(user) if r.object_name == name]


def cache_problems(folder: Path) -> list[str]:
    """Everything that is not sound in a cache folder (empty list: all is well).

    - no temporary file (``*.part``, ``*.tmp``) is left behind;
    - every product (``*.fits``/``*.zip`` under ``products/``) has its
      verification record and matches it, and opens as a complete FITS file or
      zip of FITS files;
    - every record file parses as JSON.
    """
    folder = Path(folder)
    problems = []
    if not folder.exists():
        return problems
    for path in folder.rglob('*'):
        if not path.is_file():
            continue
        if path.name.endswith(('.part', '.tmp')):
            problems.append(f'temporary file left: {path}')
        elif path.suffix in ('.fits', '.zip') and 'products' in path.parts:
            if product_cache.verified_size(path) is None:
                problems.append(f'product does not match its verification record: {path}')
            try:
                check_product(path)
            except ProductFormatError as exc:
                problems.append(f'corrupt product: {exc}')
        elif path.suffix == '.json':
            try:
                json.loads(path.read_text(encoding='utf-8'))
            except ValueError:
                problems.append(f'unreadable record: {path}')
    return problems


class HostileProxy:
    """A loopback proxy in front of the simulator whose answers a test can rewrite.

    The simulator is an independent implementation with a fixed set of faults;
    answers it cannot give (a hostile zip, a body far longer than announced, a
    broken FITS header, JSON of any shape) are made here. ``handler(request,
    forward)`` gets the werkzeug `Request` and a ``forward()`` that returns the
    simulator's answer as ``(status, headers, body)``; it returns a werkzeug
    `Response`. The default handler forwards everything unchanged.
    """

    HOP_BY_HOP = {'content-length', 'transfer-encoding', 'connection', 'keep-alive',
                  'content-encoding', 'date', 'server'}

    def __init__(self, upstream: str, handler=None):
        import threading

        import requests
        from werkzeug.serving import make_server

        self.upstream = upstream.rstrip('/')
        self.handler = handler or (lambda request, forward: self.respond(*forward()))
        self.session = requests.Session()
        # Forward the client's own cookies only: the proxy keeps none of its own.
        from http.cookiejar import DefaultCookiePolicy
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.sent = 0              # body bytes sent to the client, in all
        self.server = make_server('127.0.0.1', 0, self._app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.server.server_port}/'

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.session.close()

    def _app(self, environ, start_response):
        from werkzeug.wrappers import Request
        request = Request(environ)

        def forward():
            headers = {k: v for k, v in request.headers.items()
                       if k.lower() in ('cookie', 'range', 'if-range', 'content-type',
                                        'accept-encoding')}
            answer = self.session.request(
                request.method, self.upstream + request.full_path.rstrip('?'),
                data=request.get_data(), headers=headers, allow_redirects=False,
                timeout=30)
            kept = [(k, v) for k, v in answer.raw.headers.items()
                    if k.lower() not in self.HOP_BY_HOP]
            return answer.status_code, kept, answer.content

        response = self.handler(request, forward)
        return self._counted(response(environ, start_response))

    def _counted(self, body):
        try:
            for chunk in body:
                self.sent += len(chunk)
                yield chunk
        finally:
            if hasattr(body, 'close'):
                body.close()

    @staticmethod
    def respond(status, headers, body, *, length=True):
        """A werkzeug Response of ``body`` (bytes or an iterable of bytes)."""
        from werkzeug.wrappers import Response
        response = Response(body, status=status, headers=headers)
        if not length:
            response.headers.pop('Content-Length', None)
            response.direct_passthrough = True
        return response


def site_date(seconds: float) -> dt.date:
    """The date the site writes in its time cells: the Canary Islands' local date.

    Written with the system's time zone data, independently of the simulator's
    own rule (the summer date slip of PROTOCOL.md section 3).
    """
    try:
        from zoneinfo import ZoneInfo
        zone = ZoneInfo('Atlantic/Canary')
    except Exception:                       # no time zone data on this machine
        pytest.skip('no time zone data for Atlantic/Canary')
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).astimezone(zone).date()


def time_words(seconds: float) -> list[str]:
    """Words 4-8 of a time cell as the original client took them:
    day, month, year, '(HH:MM:SS', 'UTC)' (the date local, the clock UTC)."""
    date = site_date(seconds)
    clock = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    return [str(date.day), date.strftime('%B'), str(date.year),
            '(' + clock.strftime('%H:%M:%S'), 'UTC)']
