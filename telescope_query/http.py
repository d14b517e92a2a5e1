"""The transport: a ``requests`` session with retries for reads, and secrets kept out of logs.

Two ways to send, sharing one cookie jar (one login):

* :func:`configure_session` mounts an adapter whose urllib3 `~urllib3.util.Retry`
  retries connection errors and HTTP 5xx answers with exponential backoff. The
  site reads with POST (``api-user.php``, ``v4request-view.php``), so POST is
  retried too: only use this session for calls that are safe to repeat.
* :func:`one_shot_session` gives a session that never retries, for calls that
  change something (the final submission): its caller decides what to do
  after an ambiguous failure.

astroquery's ``BaseQuery._response_hook`` logs every request body at DEBUG
level; :func:`redacting_hook` wraps it so that a password (the login form) or
a session cookie never reaches the log, even at astroquery's level 5, even
when an answer quotes the password back.

A form with a password travels as a :class:`SecretForm`, whose ``repr``
hides it (a traceback printer showing locals shows none);
:func:`forget_secret_body` takes it out of the request a response keeps, and
:func:`hide` masks it in any text quoted from an answer.

:func:`with_cut_retries` asks a read again when its body is cut short (which
urllib3's ``Retry`` cannot see), and :func:`has_secret` tells whether a form
holds a password (then no exception may quote the request).

:func:`read_small_body` reads a streamed answer's body into the response when
it is small (the session looks for its login form there), and
:func:`body_in_memory` tells a reader of the stream that it was.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import parse_qsl, quote_plus, urlencode

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from astroquery import log
from urllib3.exceptions import MaxRetryError, NewConnectionError, TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

__all__ = ['configure_session', 'one_shot_session', 'read_retry', 'BoundedRetry', 'with_cut_retries',
           'has_secret', 'redact_body', 'redacting_hook', 'SECRET_FIELDS', 'is_html',
           'read_small_body', 'body_in_memory', 'BodyTooLongError', 'user_agent',
           'SecretForm', 'secrets_of', 'hide', 'forget_secret_body', 'call_deadline',
           'Deadline', 'timed_out']

#: Form fields whose values never appear in a log (login form, legacy spelling).
SECRET_FIELDS = frozenset({'password', 'passwd'})
REDACTED = '********'
RETRY_STATUSES = (500, 502, 503, 504)


def user_agent(product: str, agent: str) -> str:
    """``agent`` (astroquery's ``User-Agent``) with ``product`` (``name/version``) in
    front, as astroquery's own modules add theirs; never twice."""
    words = [word for word in agent.split() if word.split('/')[0] != product.split('/')[0]]
    return ' '.join([product, *words])


class BoundedRetry(Retry):
    """urllib3's `~urllib3.util.retry.Retry` honouring ``Retry-After`` up to
    ``max_retry_after`` seconds: a server asking for an hour (or a day) gets
    the bound, and the retries go on (``retry_after_max`` exists only in
    recent urllib3 releases)."""

    max_retry_after: float = 0.0

    def new(self, **kw: Any) -> 'BoundedRetry':
        retry = super().new(**kw)           # each retry is a new object: keep the bound
        retry.max_retry_after = self.max_retry_after
        return retry

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), self.max_retry_after)

    def increment(self, method: str | None = None, url: str | None = None,
                  *args: Any, **kwargs: Any) -> 'BoundedRetry':
        deadline = _current_deadline()
        if deadline is not None and deadline.expired:   # no retry after the call's limit
            raise MaxRetryError(kwargs.get('_pool'), url or '',  # type: ignore[arg-type]
                                DeadlineError(f'no complete answer within '
                                              f'{deadline.seconds:g} s'))
        retry = super().increment(method, url, *args, **kwargs)
        response, error, pool = (kwargs.get(key) for key in ('response', 'error', '_pool'))
        said = (type(error).__name__ if error is not None else
                f'HTTP {response.status}' if response is not None
                and response.status in RETRY_STATUSES else '')
        if said:                        # not a redirect: shown with -v on the command line
            where = f'{pool.scheme}://{pool.host}:{pool.port}{url}' if pool else url
            log.info(f"{method} {where}: {said}; trying again ({retry.total} more "
                     f"{'retry' if retry.total == 1 else 'retries'} left).")
        return retry


# --- the whole-call limit ------------------------------------------------------------
#
# ``timeout`` bounds each read; a server that sends a byte now and then (or never
# ends its headers) is never cut off by it. A `Deadline` bounds the whole call:
# the connections a call uses are watched (their class below tells the thread's
# deadline about them when they wait for an answer), and when the time is up
# their sockets are shut down, which wakes the blocked read at once.

class DeadlineError(Exception):
    """The reason given to urllib3 when a call's deadline ended its retries."""


class Deadline:
    """A whole-call time limit: ``expired`` once ``seconds`` have passed."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._watched: list[tuple[HTTPConnection, socket.socket]] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._expire)
        self._timer.daemon = True

    def watch(self, connection: HTTPConnection) -> None:
        """Shut ``connection``'s socket down if it is still this call's when time
        is up. The socket is kept here: the connection forgets it as soon as the
        answer's headers say ``Connection: close``, while the body is still read."""
        sock = connection.sock
        if sock is None:
            return
        with self._lock:
            connection._tq_deadline = self      # type: ignore[attr-defined]
            self._watched.append((connection, sock))
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection, sock in self._watched:
                # A connection back in the pool may serve another call now.
                if getattr(connection, '_tq_deadline', None) is self:
                    _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_calls = threading.local()


def _current_deadline() -> Deadline | None:
    return getattr(_calls, 'deadline', None)


@contextlib.contextmanager
def call_deadline(seconds: float) -> Iterator[Deadline]:
    """Bound the calls this thread sends in the block to ``seconds`` in all
    (headers and body; for ``stream=True``, until the headers are in)."""
    deadline = Deadline(seconds)
    previous, _calls.deadline = _current_deadline(), deadline
    deadline._timer.start()
    try:
        yield deadline
    finally:
        deadline._timer.cancel()
        _calls.deadline = previous


class _Watched:
    """Mixin for urllib3's connections: the thread's deadline watches them."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        deadline = _current_deadline()
        if deadline is not None:
            deadline.watch(self)                # type: ignore[arg-type]
        return super().getresponse(*args, **kwargs)    # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _Adapter(HTTPAdapter):
    """requests' adapter whose connections a `Deadline` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {'http': _Pool, 'https': _HTTPSPool}


def read_retry(retries: int, backoff_factor: float,
               max_retry_after: float = 30.0) -> Retry:
    """The retry policy of reads: connection errors and 5xx, any method.

    ``raise_on_status=False`` hands back the last 5xx answer once retries are
    spent, so the caller can quote its body in a clear error. A ``Retry-After``
    header is honoured up to ``max_retry_after`` seconds.
    """
    retries = max(0, int(retries))
    retry = BoundedRetry(total=retries, connect=retries, read=retries, status=retries,
                         other=0, redirect=5, backoff_factor=float(backoff_factor),
                         status_forcelist=RETRY_STATUSES, allowed_methods=None,
                         raise_on_status=False, respect_retry_after_header=True)
    retry.max_retry_after = max(0.0, float(max_retry_after))
    return retry


def configure_session(session: requests.Session, *, retries: int,
                      backoff_factor: float, pool_size: int = 10,
                      max_retry_after: float = 30.0) -> None:
    """Mount the retrying read adapter on ``session`` (http and https).

    Called again whenever ``conf.retries``, ``conf.backoff_factor`` or
    ``conf.max_retry_after`` change (configuration is read at call time).
    """
    adapter = _Adapter(max_retries=read_retry(retries, backoff_factor, max_retry_after),
                          pool_connections=pool_size, pool_maxsize=pool_size)
    session.mount('http://', adapter)
    session.mount('https://', adapter)


def one_shot_session(session: requests.Session) -> requests.Session:
    """A session sharing ``session``'s cookies, headers and hooks that never retries."""
    once = requests.Session()
    once.cookies = session.cookies          # the same jar: the same login
    once.headers = session.headers
    once.hooks = session.hooks
    adapter = _Adapter(max_retries=Retry(total=0, connect=0, read=False, status=0,
                                         redirect=5, raise_on_status=False))
    once.mount('http://', adapter)
    once.mount('https://', adapter)
    return once


def with_cut_retries(send: Callable[[], requests.Response], *, retries: int,
                     backoff_factor: float,
                     stop: Callable[[], bool] = lambda: False) -> requests.Response:
    """``send()``, sent again up to ``retries`` times when the answer's body is cut short.

    urllib3's ``Retry`` on the session's adapter covers failures before an
    answer arrives; a body that ends before its ``Content-Length``
    (``ChunkedEncodingError``) shows only after, so reads are asked again
    here, with the same backoff, until ``stop()`` (the call's deadline passed).
    Never used for calls that change something.
    """
    for attempt in range(max(0, retries)):
        try:
            return send()
        except requests.exceptions.ChunkedEncodingError:
            if stop():
                raise
            time.sleep(float(backoff_factor) * 2 ** attempt)
    return send()


def timed_out(exc: BaseException) -> bool:
    """Whether a ``requests`` exception says the server did not answer in time
    (also when urllib3's retries wrapped the timeout). A refused connection is
    not one, although urllib3 derives its error from a timeout's."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0] if exc.args else None, 'reason', None)
    return isinstance(reason, Urllib3Timeout) and not isinstance(reason, NewConnectionError)


class BodyTooLongError(ValueError):
    """A streamed body proved longer than the bound it was read with."""


def is_html(response: requests.Response) -> bool:
    """Whether the answer says it is an HTML page (``Content-Type``)."""
    kind = response.headers.get('Content-Type', '').split(';', 1)[0].strip().lower()
    return kind in ('text/html', 'application/xhtml+xml')


def read_small_body(response: requests.Response, limit: int) -> bool:
    """Read the body of a streamed ``response`` into it when it has at most ``limit`` bytes.

    Returns True when the body is now in memory: ``response.content``,
    ``.text`` and ``.iter_content`` give it, as for an answer that was not
    streamed. False when ``Content-Length`` announces more: nothing is read.

    Raises `BodyTooLongError`, the response closed, when a body of unannounced
    length proves longer while it is read (the bytes read cannot be given back),
    and `requests.RequestException` when it breaks off.
    """
    announced = response.headers.get('Content-Length', '').strip()
    if announced.isdigit() and int(announced) > limit:
        return False
    chunks, size = [], 0
    for chunk in response.iter_content(64 << 10):   # ends: the bound below
        size += len(chunk)
        if size > limit:
            response.close()
            raise BodyTooLongError(f'a body of more than {limit} bytes')
        chunks.append(chunk)
    # requests keeps a body it read in ``_content``; ``content`` then returns it.
    response._content = b''.join(chunks)
    return True


def body_in_memory(response: requests.Response) -> bool:
    """Whether a streamed response's body was read into it (`read_small_body`):
    then read ``response.content``, not ``response.raw``."""
    return getattr(response, '_content_consumed', False) and \
        isinstance(getattr(response, '_content', False), bytes)


def has_secret(data: Any) -> bool:
    """Whether a form (a dict) has a password field."""
    if isinstance(data, Mapping):
        return bool(SECRET_FIELDS & set(data))
    return False


class SecretForm(Mapping[str, str]):
    """A form with a password field: ``requests`` sends it as any form, its
    ``repr`` shows the password masked."""

    def __init__(self, fields: Mapping[str, str]):
        self._fields = dict(fields)

    def __getitem__(self, key: str) -> str:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return repr({key: (REDACTED if key in SECRET_FIELDS else value)
                     for key, value in self._fields.items()})

    def __reduce__(self):
        raise TypeError('a form with a password is never pickled')


def secrets_of(data: Any) -> list[str]:
    """The values of the password fields of a form (a mapping), or of a form body."""
    if isinstance(data, (str, bytes)):
        text = data.decode('utf-8', 'replace') if isinstance(data, bytes) else data
        try:
            data = dict(parse_qsl(text, keep_blank_values=True))
        except ValueError:
            return []
    if not isinstance(data, Mapping):
        return []
    return [str(data[key]) for key in SECRET_FIELDS & set(data) if data[key]]


def hide(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret masked, as it is and as a form would encode it."""
    for secret in secrets:
        if secret:
            for form in {secret, quote_plus(secret), quote_plus(secret, safe='')}:
                text = text.replace(form, REDACTED)
    return text


def forget_secret_body(response: requests.Response) -> None:
    """Mask the password in the request bodies a response keeps (its own and
    its redirects'): the response outlives the call in locals and errors."""
    for answer in (*response.history, response):
        request = answer.request
        if request is not None and request.body is not None:
            request.body = redact_body(request.body)


def redact_body(body: str | bytes | None) -> str | bytes | None:
    """Return a form body with the values of password fields replaced."""
    if body is None:
        return None
    text = body.decode('utf-8', 'replace') if isinstance(body, bytes) else body
    if not any(field in text for field in SECRET_FIELDS):
        return body
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        # Not a form: do not try to be clever, say nothing about it.
        return '<body withheld: it may contain a password>'
    pairs = [(key, REDACTED if key in SECRET_FIELDS else value) for key, value in pairs]
    return urlencode(pairs, safe='*')


def redacting_hook(log_hook: Callable,
                   secrets: Callable[[], list[str]] = lambda: []) -> Callable:
    """Wrap astroquery's response-logging hook so it sees a redacted request.

    The real request is left untouched (a 307 redirect would resend its body);
    the logging hook gets a view whose request body has no password and whose
    ``Cookie`` and ``Set-Cookie`` headers are masked. The password of the form
    sent, and ``secrets()`` (the session's), are masked wherever the answer
    shows them (its headers, address and body).
    """
    def hook(response: requests.Response, *args, **kwargs):
        request = response.request.copy()
        hidden = [*secrets_of(request.body), *secrets()]
        request.body = redact_body(request.body)
        if 'Cookie' in request.headers:
            request.headers['Cookie'] = REDACTED
        log_hook(_RedactedView(response, request, hidden), *args, **kwargs)
        return None
    return hook


class _RedactedView:
    """A response as the log sees it: the real one, with a redacted ``request``
    and the ``hidden`` secrets masked in what it shows.

    A proxy rather than ``copy.copy``: copying a `requests.Response` reads its
    whole body, which would consume a streamed download.
    """

    def __init__(self, response: requests.Response, request: requests.PreparedRequest,
                 hidden: list[str]):
        self._response = response
        self._hidden = hidden
        self.request = request
        # The session cookie is as good as the password while it lives.
        self.headers = {key: (REDACTED if key.lower() == 'set-cookie' else hide(value, hidden))
                        for key, value in response.headers.items()}
        self.url = hide(response.url or '', hidden)

    @property
    def text(self) -> str:
        return hide(self._response.text, self._hidden)

    @property
    def content(self) -> bytes:
        return self.text.encode('utf-8')

    def __getattr__(self, name):
        return getattr(self._response, name)
