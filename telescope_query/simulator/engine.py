"""The image engine: staging of image products before they can be downloaded.

A client asks for a product of a job (``0-create-dl3d`` / ``0-create-dlzip``,
with or without a ``flatid``, or the processed-images page); the engine
answers with a staging id (``ieID``) and the staging then goes ``WAIT`` ->
``PROCESSING`` -> ``READY`` as time passes, ``staging_seconds`` after its
creation (the first half ``WAIT``, the second ``PROCESSING``: both were
seen; their timing is [assumed]).  Stagings progress by the clock, so any
number of them are processed concurrently, as on a real server.  The
product file itself is made in a background thread as soon as it is asked
for.

The create answer is ``OK_READY`` when the same product was already made
ready once (the staging is then READY at once) and ``OK_WAIT`` otherwise;
never ``READY``.  Polls answer ``WAIT``, ``PROCESSING`` or ``READY``, never
an ``OK_*`` status (PROTOCOL.md section 2, image-engine).  A product is a
job, a kind (cube or zip), raw or processed, and a flat id (0 for none):
each is staged and made on its own.
"""
from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ['ImageEngine', 'Staging', 'KINDS']

#: Product kinds: the image-engine request that makes them, and the size key
#: of the poll answer that gives their exact length.
KINDS = {'cube': ('0-create-dl3d', 'fitssize'), 'zip': ('0-create-dlzip', 'fitsbzsize')}

_FIRST_IEID = 1783970  # the order of magnitude of the live site's ids

ProductKey = tuple[int, str, bool, int]


@dataclass
class Staging:
    """One staging of a product: job ``jid``, ``kind`` 'cube' or 'zip', flat id."""

    ieid: int
    job: Any
    kind: str
    processed: bool
    created: float
    ready_at_once: bool = False
    flat_id: int = 0

    @property
    def key(self) -> ProductKey:
        return (self.job.jid, self.kind, self.processed, self.flat_id)


class ImageEngine:
    """Staging state of every product asked for.

    Parameters
    ----------
    products : ProductStore
        Makes the product files (``path(job, kind, processed, flat_id)``,
        ``size(...)``).
    staging_seconds : float
        Time from the creation of a staging to READY; may be changed at run time.
    clock : callable
        Monotonic seconds (tests of timing may pass their own).
    """

    def __init__(self, products: Any, staging_seconds: float = 0.0, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.products = products
        self.staging_seconds = float(staging_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(_FIRST_IEID)
        self._stagings: dict[int, Staging] = {}
        self._latest: dict[ProductKey, Staging] = {}
        self._prepared: set[ProductKey] = set()
        self._making: dict[ProductKey, Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix='image-engine')

    def create(self, job: Any, kind: str, processed: bool = False,
               flat_id: int = 0) -> tuple[Staging, str]:
        """Start staging a product; returns the staging and ``OK_READY``/``OK_WAIT``."""
        if kind not in KINDS:
            raise ValueError(f'unknown product kind {kind!r}')
        staging = Staging(0, job, kind, processed, self._clock(), flat_id=int(flat_id or 0))
        key = staging.key
        with self._lock:
            staging.ieid = next(self._ids)
            staging.ready_at_once = prepared = key in self._prepared
            self._stagings[staging.ieid] = staging
            self._latest[key] = staging
            if key not in self._making:
                self._making[key] = self._pool.submit(self.products.size, job, kind,
                                                      processed, staging.flat_id)
        return staging, 'OK_READY' if prepared else 'OK_WAIT'

    def get(self, ieid: int) -> Staging | None:
        """The staging with this id, or None."""
        with self._lock:
            return self._stagings.get(ieid)

    def latest(self, job: Any, kind: str, processed: bool,
               flat_id: int = 0) -> Staging | None:
        """The most recent staging of this product, or None."""
        with self._lock:
            return self._latest.get((job.jid, kind, processed, int(flat_id or 0)))

    def status(self, staging: Staging) -> tuple[str, int]:
        """``(status, size)``: ``WAIT``/``PROCESSING`` with size 0, or ``READY``
        with the exact byte length of the product file."""
        elapsed = self._clock() - staging.created
        if not staging.ready_at_once and elapsed < self.staging_seconds:
            return ('WAIT' if elapsed < self.staging_seconds / 2 else 'PROCESSING'), 0
        with self._lock:
            making = self._making[staging.key]
        try:
            size = making.result()  # waits if the file is still being made
        except Exception:
            with self._lock:  # a later staging makes the product afresh
                if self._making.get(staging.key) is making:
                    del self._making[staging.key]
            raise
        with self._lock:
            self._prepared.add(staging.key)
        return 'READY', size

    def path(self, staging: Staging):
        """The product file of a READY staging."""
        return self.products.path(staging.job, staging.kind, staging.processed,
                                  staging.flat_id)

    def close(self) -> None:
        """Stop the background workers (products being made are finished first)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
