"""One product's bytes over HTTP into a file: streamed, resumed, checked.

The I/O of a download: `download` streams a URL through the client's
``_stream`` (the logged-in session, which renews itself) into a file, in
`BLOCK_SIZE` blocks, and checks the result (its length, and that it is a
complete FITS file or zip of FITS files). What to do with each answer
(resume, restart, accept, refuse) is decided by `telescope_query.images.resume`
(pure). Where the file goes is the caller's business
(`telescope_query.images.cache`). More: docs/internals.rst, Images.
"""
from __future__ import annotations

import errno
import io
import os
import socket
import threading
import zlib
from dataclasses import replace
from typing import BinaryIO, Callable, Iterator
from contextlib import contextmanager

import requests
import urllib3

from .. import http
from ..contract import Client
from ..exceptions import DownloadError, LoginError, RemoteServiceError
from . import resume
from .fits import ProductFormatError, check_product, sniff
from .product import Product
from .resume import MAX_STALLS

__all__ = ['download', 'stream_to', 'Stop', 'Cancelled', 'BLOCK_SIZE', 'MAX_STALLS',
           'MAX_CONNECTIONS', 'NETWORK_ERRORS']

#: Bytes read from the network and written to disk at a time.
BLOCK_SIZE = 1 << 20
#: Connections one download may use in all (resumptions after cuts included).
MAX_CONNECTIONS = 50

Progress = Callable[[int], None]

# Errors of a connection that ends in the middle of a body.
_CUT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError,
               TimeoutError)
#: Errors of the network (some are `OSError`), told from those of the file.
NETWORK_ERRORS = _CUT_ERRORS


class Cancelled(Exception):
    """The fetch was interrupted (Ctrl-C): this download stopped."""


class Stop:
    """How a fetch stops its downloads from another thread (Ctrl-C in the main one).

    `set` marks them stopped and shuts the connections they are reading, so
    that a read waiting for bytes returns at once; each download then stops
    at its next step (`check` raises `Cancelled`).
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._reading: set[requests.Response] = set()

    def check(self) -> None:
        """Raise `Cancelled` once stopped."""
        if self._event.is_set():
            raise Cancelled('interrupted')

    def set(self) -> None:
        self._event.set()
        with self._lock:
            for response in self._reading:
                _shut(response)

    @contextmanager
    def reading(self, response: requests.Response) -> Iterator[None]:
        """While the block runs, `set` shuts ``response``'s connection."""
        with self._lock:
            self._reading.add(response)
        try:
            self.check()
            yield
        finally:
            with self._lock:
                self._reading.discard(response)


def _shut(response: requests.Response) -> None:
    """Shut the socket under ``response``: a read blocked on it returns."""
    connection = getattr(response.raw, '_connection', None) or \
        getattr(response.raw, 'connection', None)
    sock = getattr(connection, 'sock', None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already


def download(client: Client, url: str, path: str | os.PathLike, product: Product,
             progress: Progress, announced: int | None = None,
             stop: Stop | None = None) -> tuple[int, int]:
    """Stream ``url`` into the file ``path`` and check it; ``(size, crc32)``.

    ``announced`` is the size the image engine gave, when it did. Raises
    `DownloadError` for a download that cannot be completed or whose length is
    wrong, and `~telescope_query.images.fits.ProductFormatError` for bytes that
    are not a complete product (their count is then taken off ``progress``);
    `Cancelled` once ``stop`` is set.
    """
    written = 0
    try:
        with _open_for_writing(path) as out:
            written, crc, total = stream_to(client, url, out, product, progress, announced,
                                            stop, name=os.fspath(path))
        problem = resume.length_problem(written, total, announced)
        if problem:
            raise DownloadError(f"{product}: {problem}")
        # With no length announced, the end of the body is all that says where the
        # product ends: it must be exactly a whole product, nothing after it.
        check_product(path, product.file_type, whole=total is None and announced is None)
    except ProductFormatError:
        progress(-written)
        raise
    return written, crc


def _open_for_writing(path: str | os.PathLike) -> BinaryIO:
    """``path`` open for writing from its start, unbuffered, never with ``O_TRUNC``
    (a file truncated and written again costs a flush on ext4: docs/internals.rst,
    Images). A file that is not empty is emptied with ``ftruncate``."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_BINARY', 0), 0o666)
    try:
        if os.fstat(fd).st_size:
            os.ftruncate(fd, 0)
        return open(fd, 'r+b', buffering=0)
    except BaseException:
        os.close(fd)
        raise


class _File:
    """The bytes of one download so far, in an open file, with their CRC-32."""

    def __init__(self, out: BinaryIO, progress: Progress, product: Product,
                 name: str | None = None) -> None:
        self.out = out
        self.progress = progress
        self.product = product
        self.name = name
        self.size = 0
        self.crc = 0

    def drop(self) -> None:
        """Throw the bytes away (and take them off the progress)."""
        self.out.seek(0)
        self.out.truncate()
        self.progress(-self.size)
        self.size = self.crc = 0

    def write(self, block: bytes) -> None:
        try:
            # An unbuffered write may take only part of the block (a disk filling
            # up): the rest is written again, and the next write says why.
            rest = memoryview(block)
            while rest:
                count = self.out.write(rest)
                if not count:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                rest = rest[count:]
        except OSError as exc:  # a full disk (ENOSPC), a file size limit (EFBIG)...
            where = repr(self.name) if self.name else 'its file'
            raise DownloadError(f"{self.product}: could not write {where} after "
                                f"{self.size + len(block) - len(rest)} bytes "
                                f"({exc.strerror or exc})") from exc
        self.crc = zlib.crc32(block, self.crc)
        self.size += len(block)
        self.progress(len(block))


def stream_to(client: Client, url: str, out: BinaryIO, product: Product,
              progress: Progress, limit: int | None = None, stop: Stop | None = None,
              name: str | None = None) -> tuple[int, int, int | None]:
    """Stream ``url`` into the open file ``out``, resuming after cuts.

    ``limit`` is the size the image engine announced, when it did: an answer
    whose ``Content-Length`` says more is refused before its body is read, and
    a body that goes on past it is cut off (`DownloadError` either way).
    With no size announced, `resume.UNANNOUNCED_LIMIT` bounds it the same way.
    ``stop``: `Cancelled` is raised at the next block once it is set.
    ``name``: the file's, for the message of a write that fails.

    After a cut the download goes on with an HTTP ``Range`` request when the
    server offered ranges, else it starts again (the decisions:
    `telescope_query.images.resume`). It gives up after `MAX_STALLS`
    connections in a row that got no further, or `MAX_CONNECTIONS` in all.

    Returns ``(bytes written, crc32, full length announced or None)``.
    """
    file = _File(out, progress, product, name)
    stop = stop or Stop()
    state = resume.Received()
    for _ in range(MAX_CONNECTIONS):
        stop.check()
        headers, drop = resume.next_request(state)
        if drop:
            file.drop()
            state = replace(state, offset=0)
        state, decision = _connection(client, url, headers, state, file, product, limit,
                                      stop)
        if isinstance(decision, resume.Complete):
            return file.size, file.crc, state.total
        if isinstance(decision, resume.Refuse):
            raise DownloadError(f"{product}: {decision.reason}")
        if isinstance(decision, resume.AskAgain):
            state = decision.received
    raise DownloadError(f"{product}: the connection broke {MAX_CONNECTIONS} times "
                        f"({state.offset} of {state.total or '?'} bytes received)")


def _connection(client: Client, url: str, headers: dict[str, str], state: resume.Received,
                file: _File, product: Product, limit: int | None, stop: Stop
                ) -> tuple[resume.Received, resume.Decision]:
    """One request and its answer, carried out as `resume` decides.

    Returns the state once the answer's body is in (or unchanged), and the
    decision that ends the connection: `~resume.Complete`, `~resume.AskAgain`
    or `~resume.Refuse`.
    """
    try:
        response = client._stream(url, headers=headers)
    except LoginError as exc:  # still logged out after the session renewed itself
        raise DownloadError(f"{product}: {exc}") from exc
    except RemoteServiceError as exc:  # the transport gave up, after its own retries
        return state, resume.stall(state, f"no answer from the server ({exc})")
    with response, stop.reading(response):
        decision = resume.on_answer(state, response.status_code, response.headers, limit)
        if isinstance(decision, resume.Refuse) and decision.quote_body:
            return state, resume.Refuse(f"{decision.reason} ({_quote(_reader(response))})")
        if not isinstance(decision, (resume.Accept, resume.Resume, resume.Restart)):
            return state, decision
        if isinstance(decision, resume.Restart):
            file.drop()          # the server sent the whole product again
        cut = _copy_body(response, file, product, limit, stop)
    state = replace(decision.received, offset=file.size)
    return state, resume.after_body(state, cut)


def _copy_body(response: requests.Response, file: _File, product: Product,
               limit: int | None, stop: Stop) -> str | None:
    """Copy a body into the file; returns what broke it off early (the error's
    name), or None when it ended.

    A body that brings more than ``limit`` bytes in all is cut off there
    (`DownloadError`): a server must not fill the disk; with no size
    announced, `resume.UNANNOUNCED_LIMIT` is the bound. The bytes before a cut
    are kept (`_reader`): a resumed download starts right after them.
    """
    read = _reader(response)
    check_start = file.size == 0
    bound = resume.UNANNOUNCED_LIMIT if limit is None else limit
    # Ends: at the body's end, at a cut, past ``bound``, or stopped; each read has
    # conf.timeout.
    while True:
        stop.check()
        try:
            block = read(BLOCK_SIZE)
        except _CUT_ERRORS as exc:
            return type(exc).__name__
        if not block:
            return None
        if file.size + len(block) > bound:
            said = ('the image engine announced' if limit is not None else
                    'a product may have when the image engine announces no size')
            raise DownloadError(f"{product}: the server sent more than the {bound} bytes "
                                f"{said}; cut off after {file.size + len(block)} bytes")
        if check_start:
            check_start = False
            if sniff(block[:16]) is None:
                raise ProductFormatError(f"{product}: the server sent something that is "
                                         f"neither FITS nor zip: {_quote_bytes(block)}")
        file.write(block)


def _reader(response: requests.Response) -> Callable[[int], bytes]:
    """``read(size)`` over the body: the bytes as they arrive, or from memory
    when the session read a small HTML answer to look for its login form.

    ``read1`` hands over whatever has arrived (up to ``size``), so the bytes
    before a cut are kept; ``read`` (urllib3 < 2) waits for whole blocks.
    """
    if http.body_in_memory(response):
        return io.BytesIO(response.content).read
    raw = response.raw
    read = getattr(raw, 'read1', None) or raw.read
    return lambda size: read(size, decode_content=False)


def _quote_bytes(block: bytes) -> str:
    text = block[:120].decode('utf-8', 'replace')
    return repr(text) + ('...' if len(block) > 120 else '')


def _quote(read: Callable[[int], bytes]) -> str:
    try:
        return _quote_bytes(read(200) or b'')
    except Exception:
        return 'no body'
