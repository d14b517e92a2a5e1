"""Image products: stage -> poll -> download, many at once, into the cache.

The scheduler's I/O: the calls to the site (through the client's contract,
`telescope_query.contract.Client`) and the thread pool. For each product:

1. the cache first: a verified product costs no HTTP call;
2. the job view: the job exists, has images, and its flat field;
3. the image engine asked for the product, then polled; after each answer
   `telescope_query.images.polling` (pure) says download, poll again, or give up;
4. the bytes into a temporary file beside the product's place in the cache
   (`telescope_query.images.transfer`), checked, stored with its record
   (`telescope_query.images.cache`); a corrupt transfer is fetched once more.
   For ``download_data`` (a `~telescope_query.images.placing.Delivery`), beside
   the user's file instead, renamed into it, and only its record cached.

`fetch` stages every product first, polls the stagings together and
downloads each as soon as it is ready, at most ``conf.max_workers`` calls at
a time. More: docs/internals.rst, Images.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlencode

from .. import conf, views
from ..contract import Client
from ..exceptions import DownloadError
from ..protocol import image_engine as ie
from . import cache, transfer
from .cache import PRODUCT_FOLDERS, product_path, remove_stale_temporaries, verified
from .eviction import keep_within_limit
from .fits import ProductFormatError
from .placing import Delivery
from .polling import (Answer, Download, GiveUp, Polling, Rules, next_action,
                      seconds_to_next)
from .product import Fetched, Product
from .progress import FetchProgress
from .transfer import Stop

__all__ = ['fetch', 'fetch_one', 'Product', 'Fetched', 'StatusHook', 'MAX_CORRUPT',
           'CANCEL_WAIT']

#: Whole downloads of one product that may fail verification before giving up
#: (a corrupt transfer is fetched again once).
MAX_CORRUPT = 2
#: Seconds an interrupted fetch waits for its calls in flight to stop (each
#: download stops at its next block, its connection shut; a call to the API
#: ends when it is answered) before the interruption is raised.
CANCEL_WAIT = 5.0

#: ``on_status(product, status, from_engine)``: see `fetch`.
StatusHook = Callable[[Product, str, bool], None]


# --- one product, step by step -----------------------------------------------

@dataclass(eq=False)
class _Task:
    """The state of one product while it is fetched."""

    product: Product
    final: Path                       # its place in the cache (or the fresh folder)
    delivery: Delivery | None = None  # download_data: the download goes to the user's folder
    status: str = 'queued'
    ie_id: str | None = None          # raw products: the image engine's id
    src: str | None = None            # processed products: the iframe link
    expected_size: int | None = None  # announced by the image engine
    polling: Polling | None = None    # None until the staging is answered
    next_poll: float = 0.0            # monotonic time of the next poll


def _check_job(client: Client, jid: int) -> int | None:
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


def _stage(client: Client, task: _Task, stop: Stop) -> Answer:
    """Ask for the product. The create answer is never ``READY`` [seen]; a
    processed product's first page may already hold its link."""
    stop.check()
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
    return Answer(staged.status, ready=False)


def _poll(client: Client, task: _Task, stop: Stop) -> Answer:
    """One poll of the image engine."""
    stop.check()
    if task.product.processed:
        return _poll_processed(client, task)
    call = ie.poll_call(_staged_id(task))
    answer = client._api_call(call.module, call.request, call.params, allow_failure=True)
    state = ie.parse_poll(answer, cube=task.product.cube, jid=task.product.jid)
    if state.ready:
        task.expected_size = state.size
    return Answer(state.status, state.ready)


def _poll_processed(client: Client, task: _Task) -> Answer:
    params = ie.processed_params(task.product.jid, cube=task.product.cube)
    html = client._page(ie.PROCESSED_PAGE, params=params, method='GET')
    state = ie.parse_processed_page(html)
    task.src = state.src
    return Answer(state.status, state.ready)


def _staged_id(task: _Task) -> str:
    if task.ie_id is None:  # pragma: no cover - polled only once staged
        raise AssertionError(f'{task.product} polled before it was staged')
    return task.ie_id


def _download_url(client: Client, task: _Task) -> str:
    if task.product.processed:
        if task.src is None:  # pragma: no cover - downloaded only once ready
            raise AssertionError(f'{task.product} downloaded before it was ready')
        return ie.resolve_src(client.server_url, task.src)
    query = urlencode(ie.download_params(task.product.jid, _staged_id(task)))
    return client._url(f'{ie.DOWNLOAD_PAGE}?{query}')


def _download(client: Client, task: _Task, progress: Callable[[int], None],
              stop: Stop) -> Fetched:
    """Download a ready product into the cache (temporary file, verify, store),
    or into the user's file for a `Delivery`."""
    stop.check()
    product, final = task.product, task.final
    with cache.lock(final):
        # Another thread may have fetched it while this one was staging.
        found = _found(task)
        if found is not None:
            return found
        url = _download_url(client, task)
        where = final if task.delivery is None else task.delivery.target(product)
        for attempt in range(1, MAX_CORRUPT + 1):
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
                with cache.temporary_beside(where) as temporary:
                    size, crc = transfer.download(client, url, temporary, product,
                                                  progress, task.expected_size, stop)
                    if task.delivery is None:
                        return cache.store(temporary, final, product, size, crc)
                    return _deliver(Fetched(product, temporary, size, crc, cached=False),
                                    task.delivery, final)
            except ProductFormatError as exc:
                if attempt < MAX_CORRUPT:
                    continue  # a corrupt transfer: fetch it once more
                raise DownloadError(f"{product} arrived corrupt {MAX_CORRUPT} times: "
                                    f"{exc}") from None
            except OSError as exc:  # a full disk, a folder one may not write to...
                if isinstance(exc, transfer.NETWORK_ERRORS):
                    raise
                into = ' into the cache' if task.delivery is None else ''
                raise DownloadError(f"{product}: could not write "
                                    f"{os.fspath(exc.filename or where)!r}{into} "
                                    f"({exc.strerror or exc})") from exc
    raise AssertionError('unreachable')  # pragma: no cover


def _deliver(download: Fetched, delivery: Delivery, final: Path) -> Fetched:
    """Rename a verified download (a temporary beside the user's file) into the
    user's file, and record in the cache where it went: its bytes written once.

    Where it is not put there (the user's own file is there, a rename fails),
    it goes into the cache instead, and ``download_data`` reports why when it
    places it: a product downloaded is never thrown away. Where the file there
    already holds the product (whoever wrote it), the download goes into the
    cache too: the cache names only files that are its own downloads.
    """
    written = os.stat(download.path)         # the rename keeps it (see cache.note_placed)
    target = delivery.target(download.product)
    try:
        delivery.put(download, final)
    except OSError:
        if not _holds(target, written):
            return _keep(download, final)
        # Put there; only its ledger record could not be written.
    if not _holds(target, written):
        return replace(_keep(download, final), path=target, delivered=True)
    try:
        cache.note_placed(final, download.product, download.size, download.crc, target,
                          written)
    except OSError:
        pass    # a cache one cannot write to: the product is fetched again when next asked
    return replace(download, path=target, delivered=True)


def _holds(path: Path, written: os.stat_result) -> bool:
    """Whether ``path`` is the file whose stat was ``written`` (renamed or linked there)."""
    try:
        found = os.stat(path)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (written.st_dev, written.st_ino)


def _keep(download: Fetched, final: Path) -> Fetched:
    """Store a download that is not the user's file into the cache (`OSError`,
    and so an ERROR row, when it is gone)."""
    return cache.store(download.path, final, download.product, download.size, download.crc)


def _found(task: _Task) -> Fetched | None:
    """The product with no HTTP call: the user's file it was delivered to, when
    the delivery goes there again and the file is untouched (nothing to copy),
    else from the cache (`verified`)."""
    if task.delivery is not None:
        target = task.delivery.target(task.product)
        delivered = cache.delivered_to(task.final, target)
        if delivered is not None:
            return Fetched(task.product, target, *delivered, cached=True, delivered=True)
    found = verified(task.final)
    return None if found is None else Fetched(task.product, task.final, *found, cached=True)


# --- many products at once ---------------------------------------------------

class _Scheduler:
    """One `fetch`: the pool's calls in flight, and the stagings waiting to be polled.

    The loop only carries out what `next_action` decides.
    """

    def __init__(self, client: Client, pool: ThreadPoolExecutor, tasks: Sequence[_Task],
                 progress: FetchProgress, hook: StatusHook, rules: Rules) -> None:
        self.client, self.pool, self.tasks, self.progress = client, pool, tasks, progress
        self.hook, self.rules = hook, rules
        self.results: dict[Product, Fetched | BaseException] = {}
        self.running: dict[Future, tuple[str, _Task]] = {}
        self.waiting: list[_Task] = []   # staged, not ready: each waits for its next poll
        self.stop = Stop()

    def set_status(self, task: _Task, status: str, engine: bool = False) -> None:
        """Our own states are told when they change; the engine's at every answer."""
        if engine or status != task.status:
            task.status = status
            self.hook(task.product, status, engine)

    def finish(self, task: _Task, result: Fetched | BaseException) -> None:
        self.results[task.product] = result
        self.set_status(task, 'failed' if isinstance(result, BaseException)
                        else 'cached' if result.cached else 'done')
        self.progress.job_done()

    def run(self, read_cache: bool = True) -> None:
        """Fetch every task: from the cache (when ``read_cache``), else staged,
        polled and downloaded; their results go to `results`. Interrupted
        (Ctrl-C), it stops every call in flight first (`cancel`)."""
        try:
            self._run(read_cache)
        except BaseException:
            self.cancel()
            raise

    def _run(self, read_cache: bool) -> None:
        # Every product looks in the cache first, with no HTTP call at all.
        pending = []
        for task in self.tasks:
            found = _found(task) if read_cache else None
            if found is not None:
                self.finish(task, found)
            else:
                pending.append(task)
        if pending:     # no bar for work already done
            self.progress.start(done=len(self.tasks) - len(pending))
        # Stage every product before anything else: the pool runs calls in order.
        for task in pending:
            self.set_status(task, 'staging')
            self.submit('stage', task, _stage, self.client, task, self.stop)
        # Ends: each task downloads (transfer's bounds), fails, or gives up at its
        # polling deadline; every call has conf.timeout.
        while self.running or self.waiting:
            now = time.monotonic()
            for task in [t for t in self.waiting if t.next_poll <= now]:
                self.waiting.remove(task)
                self.submit('poll', task, _poll, self.client, task, self.stop)
            timeout = seconds_to_next((t.next_poll for t in self.waiting), now)
            if not self.running:
                time.sleep(timeout or 0.0)  # only stagings waiting for their next poll
                continue
            done, _ = wait(list(self.running), timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                self.carry_out(future)
            self.progress.states(task.status for task in self.tasks)

    def submit(self, step: str, task: _Task, function: Callable, *args: object) -> None:
        self.running[self.pool.submit(function, *args)] = (step, task)

    def cancel(self) -> None:
        """Stop: no new call, the queued ones dropped, the downloads in flight cut
        (their temporaries removed as they end); wait for them at most
        `CANCEL_WAIT` seconds."""
        self.stop.set()
        for future in self.running:
            future.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)
        wait([f for f in self.running if not f.cancelled()], timeout=CANCEL_WAIT)

    def carry_out(self, future: Future) -> None:
        """The next step of the task whose call ``future`` has ended."""
        step, task = self.running.pop(future)
        try:
            value = future.result()
        except Exception as exc:  # reported in its place, never lost
            self.finish(task, exc)
            return
        if step == 'download':
            self.finish(task, value)
            return
        self.set_status(task, value.status, engine=True)
        action = next_action(task.product, value, time.monotonic(), self.rules, task.polling)
        if isinstance(action, Download):
            self.set_status(task, 'downloading')
            self.progress.expect(task.expected_size)
            self.submit('download', task, _download, self.client, task, self.progress.bytes,
                        self.stop)
        elif isinstance(action, GiveUp):
            self.finish(task, action.error)
        else:
            task.polling, task.next_poll = action.polling, action.when
            self.waiting.append(task)


def fetch(client: Client, products: Sequence[Product], *, show_progress: bool = False,
          on_status: StatusHook | None = None,
          folder: str | os.PathLike | None = None,
          delivery: Delivery | None = None) -> list[Fetched | BaseException]:
    """Fetch many products into the cache; results (or exceptions) in order.

    Every product not already cached is staged first; then the stagings are
    polled together and each product is downloaded as soon as it is ready.
    One failure never stops the others: its exception takes its place.
    Interrupted (Ctrl-C), it stops within about a second: no new call is
    made, the downloads in flight are cut, and their temporaries removed.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        A logged-in client (a cached product needs no HTTP call, but the
        login says whose cache it is).
    products : sequence of `Product`
        Repeated products are fetched once.
    show_progress : bool
        Progress bars when someone can see them (none when every product is
        in the cache).
    on_status : callable, optional
        ``on_status(product, status, from_engine)`` at each change of our
        own state (``from_engine`` False: ``staging``, ``downloading``,
        ``done``...), and at EVERY answer of the image engine, repeats included
        (``from_engine`` True, its own words: the create answer's ``OK_WAIT``
        or ``OK_READY``, then each poll's ``OK_WAIT``, ``PROCESSING``... up to
        ``READY``), as the original library printed them.
    folder : path-like, optional
        Fetch into this folder, afresh, instead of the product cache (its
        products neither read nor written: ``cache=False``).
    delivery : `~telescope_query.images.placing.Delivery`, optional
        Each product downloaded goes straight into the user's folder, its bytes
        written once (``Fetched.delivered``; the cache keeps its record, and
        copies it back when next asked); a product that cannot be put there
        goes into the cache. Cached products are left to the caller to place.

    Returns
    -------
    list of `Fetched` or exception
        One per item of ``products``, in order.
    """
    read_cache = folder is None
    root = Path(client.product_cache if folder is None else folder)
    for sub in PRODUCT_FOLDERS:         # temporaries of a killed process go
        remove_stale_temporaries(root / sub)
    unique = list(dict.fromkeys(products))
    tasks = []
    for product in unique:
        final = product_path(root, product)
        own = delivery is not None and _same_folder(delivery.folder, final.parent)
        tasks.append(_Task(product, final, None if own else delivery))
    progress = FetchProgress(len(unique), show_progress)
    rules = Rules(interval=max(float(conf.poll_interval), 0.001),
                  max_poll_time=float(conf.max_poll_time))
    pool = ThreadPoolExecutor(max_workers=max(1, int(conf.max_workers)),
                              thread_name_prefix='telescope_query-images')
    scheduler = _Scheduler(client, pool, tasks, progress,
                           on_status or (lambda product, status, engine: None), rules)
    try:
        scheduler.run(read_cache)
        pool.shutdown(wait=True)
    finally:
        progress.close()
    if read_cache:
        keep_within_limit(root, [found.path for found in scheduler.results.values()
                                 if isinstance(found, Fetched) and not found.delivered],
                          conf.cache_limit)
    return [scheduler.results[product] for product in products]


def _same_folder(folder: Path, other: Path) -> bool:
    """Whether two paths name one folder (a user's folder that is the cache's own:
    its products are the cache's files, not delivered there)."""
    try:
        return os.path.samefile(folder, other)
    except OSError:
        return os.path.realpath(folder) == os.path.realpath(other)


def fetch_one(client: Client, product: Product, *, show_progress: bool = False,
              on_status: StatusHook | None = None) -> Fetched:
    """Fetch one product (see `fetch`); its failure is raised."""
    result = fetch(client, [product], show_progress=show_progress, on_status=on_status)[0]
    if isinstance(result, BaseException):
        raise result
    return result
