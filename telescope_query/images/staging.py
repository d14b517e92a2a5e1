"""Image products: stage -> poll -> download, many at once, into the cache.

The client object is passed in; only the private methods of its contract
(``docs/internals.rst``) are used: ``_api_call``, ``_page``,
``_stream``, ``_require_login``, ``_url``, ``server_url``, ``user`` and ``product_cache``.

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
4. The product is downloaded to a temporary file next to its place in the
   cache, resumed after cuts and checked (`telescope_query.images.transfer`); a
   corrupt transfer is fetched once more; then it is stored with its CRC-32
   record (`telescope_query.images.cache`).

Many products are fetched together by `fetch`: every job is staged first, the
stagings are polled together, and each product is downloaded as soon as it is
ready, with at most ``conf.max_workers`` HTTP calls at a time.
"""
from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import urlencode

from .. import conf, views
from ..exceptions import DownloadError, ProductNotReadyError
from ..protocol import image_engine as ie
from . import cache, transfer
from .cache import cached_path, find_cached
from .fits import ProductFormatError
from .product import Fetched, Product
from .progress import FetchProgress

__all__ = ['fetch', 'fetch_one', 'Product', 'Fetched', 'FIRST_POLL_DELAY']

#: First wait between two polls; each next wait is `POLL_GROWTH` times longer,
#: up to ``conf.poll_interval``.
FIRST_POLL_DELAY = 0.05
POLL_GROWTH = 1.5
#: Whole downloads of one product that may fail verification before giving up
#: (a corrupt transfer is fetched again once).
MAX_CORRUPT = 2


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
    """Make sure the job exists and has images; return its flat-field id.

    The job view comes from the client (`NoSuchJobError` for an empty view,
    [assumed] for an unknown id), cached once the job is complete.
    """
    record = views.job_view(client, jid)
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
    # The flat id makes the engine divide by that flat field [seen]: only when asked.
    call = ie.create_call(product.jid, cube=product.cube,
                          flat_id=flat_id if product.flat else None)
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


def _download(client: Any, task: _Task, progress: Callable[[int], None]) -> Fetched:
    """Download a ready product into the cache: temporary file, verify, store."""
    product = task.product
    final = cached_path(client, product)
    final.parent.mkdir(parents=True, exist_ok=True)
    with cache.lock(final):
        # Another thread may have fetched it while this one was staging.
        found = find_cached(client, product)
        if found is not None:
            return found
        url = _download_url(client, task)
        for attempt in range(1, MAX_CORRUPT + 1):
            with cache.temporary_beside(final) as temporary:
                try:
                    size, crc = transfer.download(client, url, temporary, product, progress,
                                                  task.expected_size)
                except ProductFormatError as exc:
                    if attempt < MAX_CORRUPT:
                        continue  # a corrupt transfer: fetch it once more
                    raise DownloadError(f"{product} arrived corrupt {MAX_CORRUPT} times: "
                                        f"{exc}") from None
                return cache.store(temporary, final, product, size, crc)
    raise AssertionError('unreachable')  # pragma: no cover


# --- many products at once ---------------------------------------------------

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
    progress = FetchProgress(len(unique), show_progress)
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
                progress.states(task.status for task in tasks)
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
