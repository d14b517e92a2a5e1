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

import io
import os
import zlib
from dataclasses import replace
from typing import BinaryIO, Callable

import requests
import urllib3

from .. import http
from ..contract import Client
from ..exceptions import DownloadError, LoginError, RemoteServiceError
from . import resume
from .fits import ProductFormatError, check_product, sniff
from .product import Product
from .resume import MAX_STALLS

__all__ = ['download', 'stream_to', 'BLOCK_SIZE', 'MAX_STALLS', 'MAX_CONNECTIONS']

#: Bytes read from the network and written to disk at a time.
BLOCK_SIZE = 1 << 20
#: Connections one download may use in all (resumptions after cuts included).
MAX_CONNECTIONS = 50

Progress = Callable[[int], None]

# Errors of a connection that ends in the middle of a body.
_CUT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError,
               TimeoutError)


def download(client: Client, url: str, path: str | os.PathLike, product: Product,
             progress: Progress, announced: int | None = None) -> tuple[int, int]:
    """Stream ``url`` into the file ``path`` and check it; ``(size, crc32)``.

    ``announced`` is the size the image engine gave, when it did. Raises
    `DownloadError` for a download that cannot be completed or whose length is
    wrong, and `~telescope_query.images.fits.ProductFormatError` for bytes that
    are not a complete product (their count is then taken off ``progress``).
    """
    written = 0
    try:
        with _open_for_writing(path) as out:
            written, crc, total = stream_to(client, url, out, product, progress, announced)
        problem = resume.length_problem(written, total, announced)
        if problem:
            raise DownloadError(f"{product}: {problem}")
        check_product(path, product.file_type)
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

    def __init__(self, out: BinaryIO, progress: Progress) -> None:
        self.out = out
        self.progress = progress
        self.size = 0
        self.crc = 0

    def drop(self) -> None:
        """Throw the bytes away (and take them off the progress)."""
        self.out.seek(0)
        self.out.truncate()
        self.progress(-self.size)
        self.size = self.crc = 0

    def write(self, block: bytes) -> None:
        self.out.write(block)
        self.crc = zlib.crc32(block, self.crc)
        self.size += len(block)
        self.progress(len(block))


def stream_to(client: Client, url: str, out: BinaryIO, product: Product,
              progress: Progress, limit: int | None = None) -> tuple[int, int, int | None]:
    """Stream ``url`` into the open file ``out``, resuming after cuts.

    ``limit`` is the size the image engine announced, when it did: an answer
    whose ``Content-Length`` says more is refused before its body is read, and
    a body that goes on past it is cut off (`DownloadError` either way).

    After a cut the download goes on with an HTTP ``Range`` request when the
    server offered ranges, else it starts again (the decisions:
    `telescope_query.images.resume`). It gives up after `MAX_STALLS`
    connections in a row that got no further, or `MAX_CONNECTIONS` in all.

    Returns ``(bytes written, crc32, full length announced or None)``.
    """
    file = _File(out, progress)
    state = resume.Received()
    for _ in range(MAX_CONNECTIONS):
        headers, drop = resume.next_request(state)
        if drop:
            file.drop()
            state = replace(state, offset=0)
        state, decision = _connection(client, url, headers, state, file, product, limit)
        if isinstance(decision, resume.Complete):
            return file.size, file.crc, state.total
        if isinstance(decision, resume.Refuse):
            raise DownloadError(f"{product}: {decision.reason}")
        if isinstance(decision, resume.AskAgain):
            state = decision.received
    raise DownloadError(f"{product}: the connection broke {MAX_CONNECTIONS} times "
                        f"({state.offset} of {state.total or '?'} bytes received)")


def _connection(client: Client, url: str, headers: dict[str, str], state: resume.Received,
                file: _File, product: Product, limit: int | None
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
    with response:
        decision = resume.on_answer(state, response.status_code, response.headers, limit)
        if isinstance(decision, resume.Refuse) and decision.quote_body:
            return state, resume.Refuse(f"{decision.reason} ({_quote(_reader(response))})")
        if not isinstance(decision, (resume.Accept, resume.Resume, resume.Restart)):
            return state, decision
        if isinstance(decision, resume.Restart):
            file.drop()          # the server sent the whole product again
        cut = _copy_body(response, file, product, limit)
    state = replace(decision.received, offset=file.size)
    return state, resume.after_body(state, cut)


def _copy_body(response: requests.Response, file: _File, product: Product,
               limit: int | None = None) -> str | None:
    """Copy a body into the file; returns what broke it off early (the error's
    name), or None when it ended.

    A body that brings more than ``limit`` bytes in all is cut off there
    (`DownloadError`): a server must not fill the disk. The bytes before a cut
    are kept (`_reader`): a resumed download starts right after them.
    """
    read = _reader(response)
    check_start = file.size == 0
    # Ends: at the body's end, at a cut, or past ``limit``; each read has conf.timeout.
    while True:
        try:
            block = read(BLOCK_SIZE)
        except _CUT_ERRORS as exc:
            return type(exc).__name__
        if not block:
            return None
        if limit is not None and file.size + len(block) > limit:
            raise DownloadError(f"{product}: the server sent more than the {limit} bytes "
                                f"the image engine announced; cut off after "
                                f"{file.size + len(block)} bytes")
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
