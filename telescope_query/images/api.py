"""The work behind `TelescopeClass.get_images` and `TelescopeClass.download_data`.

The arguments first (no HTTP call for a bad one, nor for a folder that cannot
be written), then the pipeline: the products fetched into the cache
(`telescope_query.images.staging`), or afresh into a temporary folder with
``cache=False``, then opened as HDULists (`telescope_query.images.fits`) or
put into the user's folder (`telescope_query.images.placing.place`) with a
manifest Table; ``download_data`` downloads new products straight into the
user's folder (`telescope_query.images.placing.Delivery`).
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

from .. import arguments
from ..contract import Client
from .cache import find_cached, remove_stale_temporaries, temporary_beside
from .fits import ProductFormatError, frame_starts, open_product
from .placing import LEDGER_FOLDER, Delivery, Ledger, NotOurs, place
from .product import FILE_NAME, Fetched, Product
from .staging import fetch
from .times import add_times
from .wcs import add_wcs

__all__ = ['get_images', 'download_data', 'cached_frame_starts', 'MANIFEST_COLUMNS']

MANIFEST_COLUMNS = ('jid', 'product', 'local_path', 'status', 'message', 'size')


def _products(jids: Any, cube: Any, processed: Any, flat: Any) -> list[Product]:
    ids, _ = arguments.ids(jids, 'jids')
    cube, processed, flat = arguments.product_flags(cube, processed, flat)
    return [Product(jid, cube, processed, flat) for jid in ids]


@contextmanager
def _fetching_folder(cache: bool) -> Iterator[Path | None]:
    """None: fetch through the product cache. ``cache=False`` (astroquery's meaning:
    the cache neither read nor written): a temporary folder, removed afterwards."""
    if cache:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix='telescope_query-') as folder:
        yield Path(folder)


def get_images(client: Client, jids: Any, *, cube: bool = True, processed: bool = False,
               flat: bool = False, wcs: bool = True, show_progress: bool = True,
               cache: bool = True) -> list[fits.HDUList]:
    """Each job's product as an `~astropy.io.fits.HDUList`.

    Every product is fetched (or found in the cache) before the first failure,
    if any, is raised: the others stay cached for the next call.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        The logged-in session.
    jids, cube, processed, flat, wcs, show_progress, cache
        As for `~telescope_query.core.TelescopeClass.get_images`.

    Returns
    -------
    list of `~astropy.io.fits.HDUList`
        One per job, in order, header quirks fixed, with the approximate WCS
        (`telescope_query.images.wcs`) and the frames' times
        (`telescope_query.images.times`) unless ``wcs=False``.
    """
    products = _products(jids, cube, processed, flat)
    show_progress = arguments.check_flag(show_progress, 'show_progress')
    wcs = arguments.check_flag(wcs, 'wcs')
    cache = arguments.check_flag(cache, 'cache')
    client._require_login()
    with _fetching_folder(cache) as fresh:
        fetched: list[Fetched] = []
        for result in fetch(client, products, show_progress=show_progress, folder=fresh):
            if isinstance(result, BaseException):
                raise result
            fetched.append(result)
        # Not kept: opened in memory before the temporary folder goes.
        opened = [add_times(open_product(found.path if cache else found.path.read_bytes(),
                                         label=str(found.product))) for found in fetched]
    if wcs:
        for hdul in opened:
            add_wcs(hdul)
    return opened


def download_data(client: Client, jids: Any, *, path: str | os.PathLike = '.',
                  cube: bool = True, processed: bool = False, flat: bool = False,
                  show_progress: bool = True, overwrite: bool = False,
                  cache: bool = True) -> Table:
    """Fetch products and put them into the folder ``path``.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        The logged-in session.
    jids, path, cube, processed, flat, show_progress, overwrite, cache
        As for `~telescope_query.core.TelescopeClass.download_data`.

    Returns
    -------
    `~astropy.table.Table`
        The manifest: one row per job, columns `MANIFEST_COLUMNS`; a failed
        job is a row with status ``ERROR`` and its message, one whose file
        was left as it was ``SKIPPED`` and why.
    """
    products = _products(jids, cube, processed, flat)
    show_progress = arguments.check_flag(show_progress, 'show_progress')
    overwrite = arguments.check_flag(overwrite, 'overwrite')
    cache = arguments.check_flag(cache, 'cache')
    folder = arguments.output_folder(path, 'path')
    client._require_login()
    _writable_folder(folder)
    remove_stale_temporaries(folder, lambda name: bool(FILE_NAME.match(name)))   # left by a killed process
    ledger = Ledger(Path(client.product_cache) / LEDGER_FOLDER)
    rows = []
    with _fetching_folder(cache) as fresh:
        # New products go straight into the user's folder, written once; the
        # cached ones are copied there (place).
        results = fetch(client, products, show_progress=show_progress, folder=fresh,
                        delivery=Delivery(folder, overwrite, ledger, cached=fresh is None))
        for product, result in zip(products, results):
            rows.append(_placed_row(product, result, folder, overwrite, ledger))
    table = Table(rows=rows, names=MANIFEST_COLUMNS,
                  dtype=(int, str, str, str, str, np.int64), masked=True)
    table['size'].mask = table['size'] < 0
    table['size'].unit = u.byte
    return table


def _placed_row(product: Product, result: Fetched | BaseException, folder: Path,
                overwrite: bool, ledger: Ledger) -> tuple:
    """The manifest's row of one product: placed into ``folder``, or why not."""
    if isinstance(result, BaseException):
        return (product.jid, product.label, '', 'ERROR',
                f"{type(result).__name__}: {result}", -1)
    if result.delivered:
        return (product.jid, product.label, os.fspath(result.path),
                'CACHED' if result.cached else 'COMPLETE', '', result.size)
    try:
        target = place(result, folder, overwrite=overwrite, ledger=ledger, tidy=False)
    except NotOurs as exc:
        return (product.jid, product.label, os.fspath(exc.filename), 'SKIPPED',
                f"not replaced: {exc.strerror}", -1)
    except OSError as exc:
        where = os.fspath(exc.filename or folder / product.file_name)
        return (product.jid, product.label, '', 'ERROR',
                f"DownloadError: {product}: could not write {where!r} "
                f"({exc.strerror or exc})", -1)
    return (product.jid, product.label, os.fspath(target),
            'CACHED' if result.cached else 'COMPLETE', '', result.size)


def _writable_folder(folder: Path) -> None:
    """Make ``folder`` (and its parents) and check that a file can be written
    there, before anything is sent; `ValueError` naming ``path`` otherwise."""
    shown = os.fspath(folder)
    for above in (folder, *folder.parents):
        if above.exists():
            if not above.is_dir():
                raise ValueError(f"path must be a folder, but {os.fspath(above)!r} is a file"
                                 + ('' if above == folder else f" (in {shown!r})"))
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with temporary_beside(folder / '.telescope_query-write-check'):
            pass
    except OSError as exc:
        raise ValueError(f"path {shown!r} is not a folder files can be written to: "
                         f"{exc.strerror or exc}") from exc


def cached_frame_starts(client: Client, jid: int) -> list[datetime]:
    """The frames' ``DATE-OBS`` of a job, from a product of it already in the cache.

    No HTTP call: for the check of a view's completion time
    (`telescope_query.protocol.pages.check_completion`).

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        The logged-in session (whose product cache is looked in).
    jid : int
        The job.

    Returns
    -------
    list of `~datetime.datetime`
        UTC, one per frame; empty when no readable product of the job is cached.
    """
    for cube in (True, False):
        for processed, flat in ((False, False), (False, True), (True, False)):
            found = find_cached(client, Product(int(jid), cube, processed, flat))
            if found is None:
                continue
            try:
                starts = frame_starts(found.path)
            except (OSError, ProductFormatError):
                continue
            if starts:
                return starts
    return []
