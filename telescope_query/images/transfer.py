"""One product's bytes over HTTP into a file: streamed, resumed, checked.

`download` streams a URL through the client's ``_stream`` (the logged-in
session, docs/internals.rst) into a file in `BLOCK_SIZE` blocks. A cut
connection is resumed with HTTP Range when the server offers it, else the
download starts again. The session renews itself when the server says it
is missing (``_stream``). The result is checked: its length against
``Content-Length`` and the size the image engine announced, and that it is a
complete FITS file or zip of FITS files. Where the file goes and what becomes
of it is the caller's business (`telescope_query.images.cache`).
"""
from __future__ import annotations

import io
import os
import zlib
from typing import Any, BinaryIO, Callable

import requests
import urllib3

from .. import http
from ..exceptions import DownloadError, LoginError, RemoteServiceError
from .fits import ProductFormatError, check_product, sniff
from .product import Product

__all__ = ['download', 'stream_to', 'BLOCK_SIZE', 'MAX_STALLS', 'MAX_CONNECTIONS']

#: Bytes read from the network and written to disk at a time.
BLOCK_SIZE = 1 << 20
#: Connections of one download that may end without delivering a byte before
#: it is given up.
MAX_STALLS = 3
#: Connections one download may use in all (resumptions after cuts included).
MAX_CONNECTIONS = 50

Progress = Callable[[int], None]

# Errors of a connection that ends in the middle of a body.
_CUT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError,
               TimeoutError)


def download(client: Any, url: str, path: str | os.PathLike, product: Product,
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
        _check_length(product, written, total, announced)
        check_product(path, product.file_type)
    except ProductFormatError:
        progress(-written)
        raise
    return written, crc


def _open_for_writing(path: str | os.PathLike) -> BinaryIO:
    """``path`` open for writing from its start, unbuffered, never with ``O_TRUNC``.

    The file is usually the empty temporary that ``mkstemp`` made. Opening
    it with ``'wb'`` would truncate it, and ext4 flushes a file that was
    truncated to zero and written again to disk when it is closed
    (``auto_da_alloc``): 35-50 ms per 200 MB, on the user's wait, that
    ``curl`` writing a new file never pays. A file that is not empty is
    emptied with ``ftruncate`` (the rare case: nothing is gained there).
    The CRC-32 is computed on the blocks as they are written (`_Received`),
    so the file is never read back.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, 'O_BINARY', 0), 0o666)
    try:
        if os.fstat(fd).st_size:
            os.ftruncate(fd, 0)
        return open(fd, 'r+b', buffering=0)
    except BaseException:
        os.close(fd)
        raise


def _check_length(product: Product, written: int, total: int | None,
                  announced: int | None) -> None:
    if total is not None and written != total:
        raise DownloadError(f"{product}: received {written} bytes, the server announced "
                            f"{total} (Content-Length)")
    # The image engine's size is [seen]; when it gave none, Content-Length and
    # the format check are what is left.
    if announced is not None and written != announced:
        raise DownloadError(f"{product}: received {written} bytes, the image engine "
                            f"announced {announced}")


class _Received:
    """The bytes of one download so far, in an open file."""

    def __init__(self, out: BinaryIO, progress: Progress) -> None:
        self.out = out
        self.progress = progress
        self.offset = 0
        self.crc = 0

    def restart(self) -> None:
        self.out.seek(0)
        self.out.truncate()
        self.progress(-self.offset)
        self.offset = self.crc = 0

    def write(self, block: bytes) -> None:
        self.out.write(block)
        self.crc = zlib.crc32(block, self.crc)
        self.offset += len(block)
        self.progress(len(block))


def stream_to(client: Any, url: str, out: BinaryIO, product: Product, progress: Progress,
              limit: int | None = None) -> tuple[int, int, int | None]:
    """Stream ``url`` into the open file ``out``, resuming after cuts.

    ``limit`` is the size the image engine announced, when it did: an answer
    whose ``Content-Length`` says more is refused before its body is read, and
    a body that goes on past it is cut off (`DownloadError` either way).

    After a cut the download goes on with an HTTP ``Range`` request when the
    server offered ranges (``Accept-Ranges: bytes``), guarded by ``If-Range``
    with the product's ETag; else it starts again. It gives up after
    `MAX_STALLS` connections in a row that got no further, or `MAX_CONNECTIONS`
    in all.

    Returns ``(bytes written, crc32, full length announced or None)``.
    """
    received = _Received(out, progress)
    total: int | None = None
    ranges = False
    etag = None
    stalls = 0
    best = 0          # the most bytes any connection has brought so far

    def stall(reason: str) -> None:
        nonlocal stalls
        stalls += 1
        if stalls >= MAX_STALLS:
            raise DownloadError(f"{product}: {reason}; gave up after {stalls} tries "
                                f"({received.offset} of {total or '?'} bytes received)")

    for _ in range(MAX_CONNECTIONS):
        # Plain bytes: lengths and ranges then count the file's own bytes.
        headers = {'Accept-Encoding': 'identity'}
        if received.offset and ranges:
            headers['Range'] = f'bytes={received.offset}-'
            if etag:
                headers['If-Range'] = etag  # the same file, or else the whole of it
        elif received.offset:
            received.restart()
        try:
            response = client._stream(url, headers=headers)
        except LoginError as exc:  # still logged out after the session renewed itself
            raise DownloadError(f"{product}: {exc}") from exc
        except RemoteServiceError as exc:  # the transport gave up, after its own retries
            stall(f"no answer from the server ({exc})")
            continue
        with response:
            status = response.status_code
            if status >= 500:
                stall(f"the server answered HTTP {status}")
                continue
            if status not in (200, 206):
                raise DownloadError(f"{product}: the server answered HTTP {status} "
                                    f"({_quote(_reader(response))})")
            if status == 206 and _content_range_start(
                    response.headers.get('Content-Range')) != received.offset:
                ranges = False  # not the part asked for: start again, without ranges
                continue
            if status == 200 and received.offset:
                received.restart()  # the server sent the whole product again
            ranges = ranges or response.headers.get('Accept-Ranges', '').lower() == 'bytes'
            etag = response.headers.get('ETag') or etag
            total = _total_length(response, received.offset) or total
            if limit is not None and total is not None and total > limit:
                raise DownloadError(f"{product}: the server announces {total} bytes "
                                    f"(Content-Length), more than the {limit} the image "
                                    f"engine announced; not downloaded")
            cut = _copy_body(response, received, product, limit)
        if cut is None and (total is None or received.offset >= total):
            return received.offset, received.crc, total
        if received.offset > best:
            best = received.offset
            stalls = 0  # progress: a cut that brought bytes is not held against it
        else:
            stall(f"the connection broke ({type(cut).__name__ if cut else 'short body'})")
    raise DownloadError(f"{product}: the connection broke {MAX_CONNECTIONS} times "
                        f"({received.offset} of {total or '?'} bytes received)")


def _copy_body(response: requests.Response, received: _Received,
               product: Product, limit: int | None = None) -> Exception | None:
    """Copy a body into the file; returns the error that ended it early, or None.

    A body that brings more than ``limit`` bytes in all is cut off there
    (`DownloadError`): a server must not fill the disk. The bytes before a cut
    are kept (`_reader`): a resumed download starts right after them.
    """
    read = _reader(response)
    check_start = received.offset == 0
    while True:
        try:
            block = read(BLOCK_SIZE)
        except _CUT_ERRORS as exc:
            return exc
        if not block:
            return None
        if limit is not None and received.offset + len(block) > limit:
            raise DownloadError(f"{product}: the server sent more than the {limit} bytes "
                                f"the image engine announced; cut off after "
                                f"{received.offset + len(block)} bytes")
        if check_start:
            check_start = False
            if sniff(block[:16]) is None:
                raise ProductFormatError(f"{product}: the server sent something that is "
                                         f"neither FITS nor zip: {_quote_bytes(block)}")
        received.write(block)


def _content_range_start(value: str | None) -> int | None:
    # 'bytes 1000-1999/2000' -> 1000
    try:
        unit, _, rest = (value or '').partition(' ')
        return int(rest.split('-', 1)[0]) if unit.strip().lower() == 'bytes' else None
    except ValueError:
        return None


def _total_length(response: requests.Response, offset: int) -> int | None:
    """The full length of the product from one answer, when the server says it."""
    if response.status_code == 206:
        total = (response.headers.get('Content-Range') or '').rpartition('/')[2]
        if total.isdigit():
            return int(total)
    length = response.headers.get('Content-Length')
    if length is not None and length.isdigit():
        return int(length) + (offset if response.status_code == 206 else 0)
    return None


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
