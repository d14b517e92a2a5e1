"""Image products: stage -> poll -> stream -> verify -> atomic store in the cache.

The client object is passed in; only the private methods of its contract
(``docs/internals.rst``) are used: ``_api_call``, ``_page``, ``_stream``,
``_require_login``, ``_url``, ``server_url``, ``user`` and ``product_cache``.

How one product is fetched (PROTOCOL.md section 2, image-engine):

1. The cache is looked at first: a verified product is served with no HTTP
   call at all. Products never change. The cache is per server and account
   (``client.product_cache``), so nobody logged in has none
   (`~astroquery.exceptions.LoginError`).
2. The job view says whether the job exists, has images, and its flat field.
3. The image engine is asked for the product (raw: ``0-create-dl3d/dlzip``;
   processed: the ``imageengine-request.php`` page), then polled with a
   backoff that starts at `FIRST_POLL_DELAY` and grows to ``conf.poll_interval``,
   for at most ``conf.max_poll_time`` seconds (then `ProductNotReadyError`).
4. The product is streamed in `BLOCK_SIZE` blocks to a temporary file next to
   its place in the cache; a cut connection is resumed with HTTP Range when the
   server offers it, else the download starts again.
5. The file is verified (its length against ``Content-Length`` and the image
   engine's size, and that it is a complete FITS file or zip of FITS files),
   its CRC-32 is recorded beside it, and only then is it renamed into place.

Many products are fetched together by `fetch`: every job is staged first, the
stagings are polled together, and each product is downloaded as soon as it is
ready, with at most ``conf.max_workers`` HTTP calls at a time.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
import zlib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import urlencode

import numpy as np
import requests
import urllib3
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

from . import conf
from .exceptions import (DownloadError, NoSuchJobError, ProductNotReadyError,
                         RemoteServiceError)
from .products import ProductFormatError, check_product, open_product, sniff
from .protocol import image_engine as ie
from .protocol import pages
from .utils import normalize_ids, progress_wanted

__all__ = ['Product', 'Fetched', 'get_images', 'download_data', 'fetch', 'fetch_one',
           'cached_path', 'find_cached', 'place', 'BLOCK_SIZE', 'FIRST_POLL_DELAY']

#: Bytes read from the network and written to disk at a time.
BLOCK_SIZE = 1 << 20
#: First wait between two polls; each next wait is `POLL_GROWTH` times longer,
#: up to ``conf.poll_interval``.
FIRST_POLL_DELAY = 0.05
POLL_GROWTH = 1.5
#: Connections of one download that may end without delivering a byte before
#: it is given up.
MAX_STALLS = 3
#: Connections one download may use in all (resumptions after cuts included).
MAX_CONNECTIONS = 50
#: Renewals of the session one download may ask for: in a bulk job a session
#: may expire again, while other products go on, before this one is answered.
MAX_RENEWALS = 3
#: Whole downloads of one product that may fail verification before giving up
#: (a corrupt transfer is fetched again once).
MAX_CORRUPT = 2

# Errors of a connection that ends in the middle of a body.
_CUT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError,
               TimeoutError)
_META_SUFFIX = '.json'


@dataclass(frozen=True)
class Product:
    """One image product of a job: the raw or processed cube or zip."""

    jid: int
    cube: bool = True
    processed: bool = False

    @property
    def kind(self) -> str:
        """``'cube'`` or ``'zip'`` (the file is FITS or zip)."""
        return 'cube' if self.cube else 'zip'

    @property
    def file_type(self) -> str:
        return 'fits' if self.cube else 'zip'

    @property
    def file_name(self) -> str:
        """The original library's names: ``369256.fits``, ``art_369256.zip``."""
        return f"{'art_' if self.processed else ''}{self.jid}.{self.file_type}"

    @property
    def label(self) -> str:
        """``'cube'``, ``'zip'``, ``'processed cube'`` or ``'processed zip'``."""
        return f"{'processed ' if self.processed else ''}{self.kind}"

    def __str__(self) -> str:
        return f"the {self.label} of job {self.jid}"


@dataclass(frozen=True)
class Fetched:
    """A verified product file; ``cached`` is True when no HTTP call was needed."""

    product: Product
    path: Path
    size: int
    cached: bool


# --- the cache ------------------------------------------------------------------

def cached_path(client: Any, product: Product) -> Path:
    """Where ``product`` lives in the client's product cache (per server and account)."""
    folder = 'processed' if product.processed else 'raw'
    return Path(client.product_cache) / folder / product.file_name


def find_cached(client: Any, product: Product) -> Fetched | None:
    """The verified cached copy of ``product``, or None; no HTTP call.

    Raises `~astroquery.exceptions.LoginError` when nobody is logged in: the
    cache of products is the logged-in account's.
    """
    path = cached_path(client, product)
    size = _verified_size(path)
    return None if size is None else Fetched(product, path, size, cached=True)


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + _META_SUFFIX)


def _file_crc(path: Path) -> tuple[int, int]:
    """``(size, crc32)`` of a file, read in large blocks."""
    crc = size = 0
    with open(path, 'rb', buffering=0) as fileobj:
        buffer = bytearray(BLOCK_SIZE)
        view = memoryview(buffer)
        while (count := fileobj.readinto(buffer)):
            crc = zlib.crc32(view[:count], crc)
            size += count
    return size, crc


def _verified_size(path: Path) -> int | None:
    """The size of a cached product whose bytes are those verified at download.

    The CRC-32 recorded when the product was verified must match: a file
    changed or cut since (a disk error, an editor, a copy interrupted) is a
    miss, fetched again.
    """
    try:
        meta = json.loads(_meta_path(path).read_text(encoding='utf-8'))
        expected = (int(meta['size']), int(meta['crc32']))
        if path.stat().st_size != expected[0]:
            return None
        return expected[0] if _file_crc(path) == expected else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_meta(path: Path, product: Product, size: int, crc: int) -> None:
    meta = {'jid': product.jid, 'product': product.label, 'size': size, 'crc32': crc}
    handle = tempfile.NamedTemporaryFile('w', dir=path.parent, suffix='.tmp',
                                         delete=False, encoding='utf-8')
    try:
        with handle:
            json.dump(meta, handle)
        os.replace(handle.name, _meta_path(path))
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


class _KeyLocks:
    """One lock per product: two threads never download the same product twice."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __call__(self, key: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(str(key), threading.Lock())


_LOCKS = _KeyLocks()


def place(fetched: Fetched, folder: str | os.PathLike) -> Path:
    """Put a verified product into ``folder`` under its file name, atomically.

    A hard link to the cached file when the file system allows (no copy of
    the bytes), else a copy under a temporary name that is then renamed. A
    target that already is the cached file (the cache's own folder, or a link
    made by an earlier placing) is left as it is. No temporary file stays
    behind, whatever happens.
    """
    folder = Path(folder)
    target = folder / fetched.product.file_name
    if _same_file(target, fetched.path):
        # Already the verified product. Renaming a link onto another link of
        # the same file would do nothing at all (POSIX rename) and leave the
        # temporary behind.
        return target
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f'.{target.name}.', suffix='.part')
    os.close(fd)
    try:
        os.unlink(temporary)
        try:
            os.link(fetched.path, temporary)
        except OSError:  # another file system, or links not supported
            shutil.copyfile(fetched.path, temporary)
        os.replace(temporary, target)
    finally:
        # Gone after a rename; still there after a failure, or after a rename
        # that did nothing (the target became a link of the same file meanwhile).
        Path(temporary).unlink(missing_ok=True)
    return target


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist
        return False


# --- one product, step by step -----------------------------------------------

@dataclass(eq=False)
class _Task:
    """The state of one product while it is fetched."""

    product: Product
    status: str = 'queued'
    ie_id: str | None = None          # raw products: the image engine's id
    src: str | None = None            # processed products: the iframe link
    expected_size: int | None = None  # announced by the image engine
    deadline: float = 0.0             # give up polling after this (monotonic)
    delay: float = FIRST_POLL_DELAY   # the next wait between two polls
    next_poll: float = 0.0


def _check_job(client: Any, jid: int) -> int | None:
    """Make sure the job exists and has images; return its flat-field id."""
    html = client._page(pages.VIEW_PATH, params={'jid': str(jid)}, method='POST')
    record = pages.parse_job_view(html, jid)
    if record is None:
        # An unknown job id renders a view with no value rows [assumed].
        raise NoSuchJobError(f"job {jid} does not exist (or {client.user!r} may not "
                             f"see it)")
    status = record.get('status')
    if status is not None and not record.get('success'):
        raise DownloadError(f"job {jid} has no images: its status is {status!r}, "
                            f"not 'Success'")
    return record.get('flat_id')


def _stage(client: Any, task: _Task) -> tuple[str, bool]:
    """Ask for the product; returns ``(status, ready)`` like `_poll`.

    The create answer is never ``READY`` [seen]; a processed product's first
    page may already hold its link.
    """
    client._require_login()
    product = task.product
    flat_id = _check_job(client, product.jid)
    if product.processed:
        return _poll_processed(client, task)
    call = ie.create_call(product.jid, cube=product.cube, flat_id=flat_id)
    answer = client._api_call(call.module, call.request, call.params, allow_failure=True)
    staged = ie.parse_create(answer, jid=product.jid)
    task.ie_id = staged.ie_id
    return staged.status, False


def _poll(client: Any, task: _Task) -> tuple[str, bool]:
    """One poll: ``(status, ready)``."""
    if task.product.processed:
        return _poll_processed(client, task)
    call = ie.poll_call(task.ie_id)
    answer = client._api_call(call.module, call.request, call.params, allow_failure=True)
    state = ie.parse_poll(answer, cube=task.product.cube, jid=task.product.jid)
    if state.ready:
        task.expected_size = state.size
    return state.status, state.ready


def _poll_processed(client: Any, task: _Task) -> tuple[str, bool]:
    params = ie.processed_params(task.product.jid, cube=task.product.cube)
    html = client._page(ie.PROCESSED_PAGE, params=params, method='GET')
    state = ie.parse_processed_page(html)
    task.src = state.src
    return state.status, state.ready


def _download_url(client: Any, task: _Task) -> str:
    if task.product.processed:
        return ie.resolve_src(client.server_url, task.src)
    query = urlencode(ie.download_params(task.product.jid, task.ie_id))
    return client._url(f'{ie.DOWNLOAD_PAGE}?{query}')


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


class _Transfer:
    """The bytes of one download so far, in an open temporary file."""

    def __init__(self, out, progress: Callable[[int], None]) -> None:
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


def _copy_body(response: requests.Response, transfer: _Transfer,
               product: Product, limit: int | None = None) -> tuple[Exception | None, bool]:
    """Copy a body into the transfer; returns ``(cut, login_page)``.

    ``cut`` is the error that ended the body early (None when it ended
    normally); ``login_page`` is True when the server sent its login form
    instead of the product. A body that brings more than ``limit`` bytes in
    all is cut off there (`DownloadError`): a server must not fill the disk.

    ``read1`` hands over whatever has arrived (up to `BLOCK_SIZE`), so the
    bytes before a cut are kept and a resumed download starts right after
    them; ``read`` (urllib3 < 2) waits for whole blocks.
    """
    raw = response.raw
    read = getattr(raw, 'read1', None) or raw.read
    check_start = transfer.offset == 0
    while True:
        try:
            block = read(BLOCK_SIZE, decode_content=False)
        except _CUT_ERRORS as exc:
            return exc, False
        if not block:
            return None, False
        if limit is not None and transfer.offset + len(block) > limit:
            raise DownloadError(f"{product}: the server sent more than the {limit} bytes "
                                f"the image engine announced; cut off after "
                                f"{transfer.offset + len(block)} bytes")
        if check_start:
            check_start = False
            if sniff(block[:16]) is None:
                if pages.is_login_form(_text(block)):
                    return None, True
                raise ProductFormatError(f"{product}: the server sent something that is "
                                         f"neither FITS nor zip: {_quote_bytes(block)}")
        transfer.write(block)


def _stream_to(client: Any, url: str, out, product: Product,
               progress: Callable[[int], None],
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
    transfer = _Transfer(out, progress)
    total: int | None = None
    ranges = False
    etag = None
    stalls = 0
    best = 0          # the most bytes any connection has brought so far
    renewals = 0

    def stall(reason: str) -> None:
        nonlocal stalls
        stalls += 1
        if stalls >= MAX_STALLS:
            raise DownloadError(f"{product}: {reason}; gave up after {stalls} tries "
                                f"({transfer.offset} of {total or '?'} bytes received)")

    for _ in range(MAX_CONNECTIONS):
        # Plain bytes: lengths and ranges then count the file's own bytes.
        headers = {'Accept-Encoding': 'identity'}
        if transfer.offset and ranges:
            headers['Range'] = f'bytes={transfer.offset}-'
            if etag:
                headers['If-Range'] = etag  # the same file, or else the whole of it
        elif transfer.offset:
            transfer.restart()
        try:
            response = client._stream(url, headers=headers)
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
                                    f"({_quote(response)})")
            if status == 206 and _content_range_start(
                    response.headers.get('Content-Range')) != transfer.offset:
                ranges = False  # not the part asked for: start again, without ranges
                continue
            if status == 200 and transfer.offset:
                transfer.restart()  # the server sent the whole product again
            ranges = ranges or response.headers.get('Accept-Ranges', '').lower() == 'bytes'
            etag = response.headers.get('ETag') or etag
            total = _total_length(response, transfer.offset) or total
            if limit is not None and total is not None and total > limit:
                raise DownloadError(f"{product}: the server announces {total} bytes "
                                    f"(Content-Length), more than the {limit} the image "
                                    f"engine announced; not downloaded")
            cut, login_page = _copy_body(response, transfer, product, limit)
        if login_page:
            if renewals >= MAX_RENEWALS:
                raise DownloadError(f"{product}: the server keeps sending its login "
                                    f"form instead of the product")
            # The session ended (PROTOCOL.md section 1 [assumed]): renew it, try again.
            renewals += 1
            _renew_session(client, product)
            continue
        if cut is None and (total is None or transfer.offset >= total):
            return transfer.offset, transfer.crc, total
        if transfer.offset > best:
            best = transfer.offset
            stalls = 0  # progress: a cut that brought bytes is not held against it
        else:
            stall(f"the connection broke ({type(cut).__name__ if cut else 'short body'})")
    raise DownloadError(f"{product}: the connection broke {MAX_CONNECTIONS} times "
                        f"({transfer.offset} of {total or '?'} bytes received)")


def _renew_session(client: Any, product: Product) -> None:
    # Any page of the contract renews an ended session once (docs/internals.rst).
    client._page(pages.VIEW_PATH, params={'jid': str(product.jid)}, method='POST')


def _text(block: bytes) -> str:
    return block[:65536].decode('utf-8', 'replace')


def _quote_bytes(block: bytes) -> str:
    text = block[:120].decode('utf-8', 'replace')
    return repr(text) + ('...' if len(block) > 120 else '')


def _quote(response: requests.Response) -> str:
    try:
        return _quote_bytes(response.raw.read(200) or b'')
    except Exception:
        return 'no body'


def _download(client: Any, task: _Task, progress: Callable[[int], None]) -> Fetched:
    """Download a ready product into the cache: temporary file, verify, rename."""
    product = task.product
    final = cached_path(client, product)
    final.parent.mkdir(parents=True, exist_ok=True)
    with _LOCKS(final):
        # Another thread may have fetched it while this one was staging.
        found = find_cached(client, product)
        if found is not None:
            return found
        url = _download_url(client, task)
        for attempt in range(1, MAX_CORRUPT + 1):
            fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=f'.{final.name}.',
                                             suffix='.part')
            try:
                written = 0
                try:
                    with os.fdopen(fd, 'wb', buffering=0) as out:
                        written, crc, total = _stream_to(client, url, out, product, progress,
                                                         task.expected_size)
                    _verify_length(product, written, total, task.expected_size)
                    check_product(temporary, product.file_type)
                except ProductFormatError as exc:
                    progress(-written)
                    if attempt < MAX_CORRUPT:
                        continue  # a corrupt transfer: fetch it once more
                    raise DownloadError(f"{product} arrived corrupt {MAX_CORRUPT} times: "
                                        f"{exc}") from None
                _write_meta(final, product, written, crc)
                os.replace(temporary, final)
                return Fetched(product, final, written, cached=False)
            finally:
                Path(temporary).unlink(missing_ok=True)
    raise AssertionError('unreachable')  # pragma: no cover


def _verify_length(product: Product, written: int, total: int | None,
                   announced: int | None) -> None:
    if total is not None and written != total:
        raise DownloadError(f"{product}: received {written} bytes, the server announced "
                            f"{total} (Content-Length)")
    # The image engine's size is [seen]; when it gave none, Content-Length and
    # the format check are what is left.
    if announced is not None and written != announced:
        raise DownloadError(f"{product}: received {written} bytes, the image engine "
                            f"announced {announced}")


# --- many products at once ---------------------------------------------------

class _Progress:
    """Bars for jobs (with the current staging states) and bytes: tqdm.auto."""

    def __init__(self, count: int, show: bool) -> None:
        self.jobs = self.data = None
        self._lock = threading.Lock()
        if not progress_wanted(show):
            return
        from tqdm.auto import tqdm
        self.jobs = tqdm(total=count, desc='products', unit='job', file=sys.stderr,
                         position=0)
        self.data = tqdm(total=0, desc='download', unit='B', unit_scale=True,
                         unit_divisor=1024, file=sys.stderr, position=1)

    def states(self, tasks: Iterable[_Task]) -> None:
        if self.jobs is None:
            return
        counts: dict[str, int] = {}
        for task in tasks:
            counts[task.status] = counts.get(task.status, 0) + 1
        self.jobs.set_postfix_str(', '.join(f'{k} {v}' for k, v in sorted(counts.items())))

    def job_done(self) -> None:
        if self.jobs is not None:
            self.jobs.update(1)

    def expect(self, size: int | None) -> None:
        if self.data is not None and size:
            with self._lock:
                self.data.total = (self.data.total or 0) + size
                self.data.refresh()

    def bytes(self, count: int) -> None:
        if self.data is not None:
            with self._lock:
                self.data.update(count)

    def close(self) -> None:
        for bar in (self.jobs, self.data):
            if bar is not None:
                bar.close()


StatusHook = Callable[[Product, str, bool], None]


def fetch(client: Any, products: Sequence[Product], *, show_progress: bool = False,
          on_status: StatusHook | None = None) -> list[Fetched | BaseException]:
    """Fetch many products into the cache; results (or exceptions) in order.

    Every product not already cached is staged first; then the stagings are
    polled together and each product is downloaded as soon as it is ready.
    One failure never stops the others: its exception takes its place.

    Parameters
    ----------
    client : `~telescope_query.core.TelescopeClass`
        A logged-in client (a cached product needs no HTTP call, but the
        login says whose cache it is).
    products : sequence of `Product`
        Repeated products are fetched once.
    show_progress : bool
        Progress bars when someone can see them.
    on_status : callable, optional
        ``on_status(product, status, from_engine)`` at each change of our
        own state (``from_engine`` False: ``staging``, ``downloading``,
        ``done``...), and at EVERY answer of the image engine, repeats included
        (``from_engine`` True, its own words: the create answer's ``OK_WAIT``
        or ``OK_READY``, then each poll's ``OK_WAIT``, ``PROCESSING``... up to
        ``READY``), as the original library printed them.
    """
    unique = list(dict.fromkeys(products))
    results: dict[Product, Fetched | BaseException] = {}
    tasks = [_Task(product) for product in unique]
    progress = _Progress(len(unique), show_progress)
    hook = on_status or (lambda product, status, engine: None)

    def set_status(task: _Task, status: str, engine: bool = False) -> None:
        # Our own states are told when they change; the engine's at every answer.
        if engine or status != task.status:
            task.status = status
            hook(task.product, status, engine)

    def finish(task: _Task, result: Fetched | BaseException) -> None:
        results[task.product] = result
        set_status(task, 'failed' if isinstance(result, BaseException)
                   else 'cached' if result.cached else 'done')
        progress.job_done()

    # Every product looks in the cache first, with no HTTP call at all.
    pending = []
    for task in tasks:
        found = find_cached(client, task.product)
        if found is not None:
            finish(task, found)
        else:
            pending.append(task)

    running: dict[Future, tuple[str, _Task]] = {}
    waiting: list[_Task] = []  # staged, not ready, each waiting for its next poll
    interval = max(float(conf.poll_interval), 0.001)
    try:
        with ThreadPoolExecutor(max_workers=max(1, int(conf.max_workers)),
                                thread_name_prefix='telescope_query-images') as pool:
            # Stage every product before anything else: the pool runs tasks in order.
            for task in pending:
                set_status(task, 'staging')
                running[pool.submit(_stage, client, task)] = ('stage', task)
            while running or waiting:
                now = time.monotonic()
                for task in [t for t in waiting if t.next_poll <= now]:
                    waiting.remove(task)
                    running[pool.submit(_poll, client, task)] = ('poll', task)
                timeout = None
                if waiting:
                    timeout = max(0.0, min(t.next_poll for t in waiting) - now)
                if not running:
                    time.sleep(timeout)
                    continue
                done, _ = wait(list(running), timeout=timeout, return_when=FIRST_COMPLETED)
                for future in done:
                    step, task = running.pop(future)
                    try:
                        value = future.result()
                    except Exception as exc:  # reported in its place, never lost
                        finish(task, exc)
                        continue
                    if step == 'download':
                        finish(task, value)
                        continue
                    status, ready = value
                    set_status(task, status, engine=True)
                    now = time.monotonic()
                    if step == 'stage':
                        task.deadline = now + float(conf.max_poll_time)
                        task.delay = min(FIRST_POLL_DELAY, interval)
                    if ready:
                        set_status(task, 'downloading')
                        progress.expect(task.expected_size)
                        running[pool.submit(_download, client, task, progress.bytes)] = (
                            'download', task)
                    elif now >= task.deadline:
                        finish(task, _not_ready(task, status))
                    else:
                        # A product the engine had already prepared is asked for at once.
                        wait_for = 0.0 if status == 'OK_READY' and step == 'stage' \
                            else task.delay
                        task.next_poll = now + wait_for
                        task.delay = min(task.delay * POLL_GROWTH, interval)
                        waiting.append(task)
                progress.states(tasks)
    finally:
        progress.close()
    return [results[product] for product in products]


def _not_ready(task: _Task, status: str) -> ProductNotReadyError:
    return ProductNotReadyError(
        f"{task.product} was not ready after {float(conf.max_poll_time):g} s (the image "
        f"engine still says {status!r}); try again later, or allow more time with "
        f"conf.max_poll_time")


def fetch_one(client: Any, product: Product, *, show_progress: bool = False,
              on_status: StatusHook | None = None) -> Fetched:
    """Fetch one product (see `fetch`); its failure is raised."""
    result = fetch(client, [product], show_progress=show_progress, on_status=on_status)[0]
    if isinstance(result, BaseException):
        raise result
    return result


# --- the public entry points (behind TelescopeClass.get_images / download_data) ---

def _flag(value: Any, name: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r}")


def _products(jids: Any, cube: Any, processed: Any) -> list[Product]:
    ids, _ = normalize_ids(jids, 'jids')
    cube, processed = _flag(cube, 'cube'), _flag(processed, 'processed')
    return [Product(jid, cube, processed) for jid in ids]


def get_images(client: Any, jids: Any, *, cube: bool = True, processed: bool = False,
               show_progress: bool = True) -> list[fits.HDUList]:
    """Each job's product as an `~astropy.io.fits.HDUList` (see `TelescopeClass.get_images`).

    Every product is fetched (or found in the cache) before the first failure,
    if any, is raised: the others stay cached for the next call.
    """
    products = _products(jids, cube, processed)
    show_progress = _flag(show_progress, 'show_progress')
    client._require_login()
    results = fetch(client, products, show_progress=show_progress)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [open_product(result.path, label=str(result.product)) for result in results]


MANIFEST_COLUMNS = ('jid', 'product', 'local_path', 'status', 'message', 'size')


def download_data(client: Any, jids: Any, *, path: str | os.PathLike = '.',
                  cube: bool = True, processed: bool = False,
                  show_progress: bool = True) -> Table:
    """Fetch products into ``path``; a manifest Table (see `TelescopeClass.download_data`)."""
    products = _products(jids, cube, processed)
    show_progress = _flag(show_progress, 'show_progress')
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a folder name (str or path-like), got "
                        f"{type(path).__name__} {path!r}")
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"path must be a folder, but {os.fspath(folder)!r} is a file")
    client._require_login()
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for product, result in zip(products, fetch(client, products, show_progress=show_progress)):
        if not isinstance(result, BaseException):
            try:
                target = place(result, folder)
            except OSError as exc:
                result = DownloadError(f"{product}: could not be put into "
                                       f"{os.fspath(folder)!r}: {exc}")
        if isinstance(result, BaseException):
            rows.append((product.jid, product.label, '', 'ERROR',
                         f"{type(result).__name__}: {result}", -1))
        else:
            rows.append((product.jid, product.label, os.fspath(target),
                         'CACHED' if result.cached else 'COMPLETE', '', result.size))
    table = Table(rows=rows, names=MANIFEST_COLUMNS,
                  dtype=(int, str, str, str, str, np.int64), masked=True)
    table['size'].mask = table['size'] < 0
    table['size'].unit = u.byte
    return table
