"""The work behind `TelescopeClass.get_images` and `TelescopeClass.download_data`.

The arguments first (no HTTP call for a bad one), then the pipeline: the
products fetched into the cache (`telescope_query.images.staging`), then opened
as HDULists (`telescope_query.images.fits`) or put into the user's folder
(`telescope_query.images.cache.place`) with a manifest Table.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

from .. import arguments
from ..contract import Client
from ..exceptions import DownloadError
from .cache import find_cached, place
from .fits import ProductFormatError, frame_starts, open_product
from .product import Fetched, Product
from .staging import fetch
from .times import add_times
from .wcs import add_wcs

__all__ = ['get_images', 'download_data', 'cached_frame_starts', 'MANIFEST_COLUMNS']

MANIFEST_COLUMNS = ('jid', 'product', 'local_path', 'status', 'message', 'size')


def _products(jids: Any, cube: Any, processed: Any, flat: Any) -> list[Product]:
    ids, _ = arguments.ids(jids, 'jids')
    cube = arguments.check_flag(cube, 'cube')
    processed = arguments.check_flag(processed, 'processed')
    if arguments.check_flag(flat, 'flat') and processed:
        raise ValueError("flat=True asks for the raw frames divided by the flat field; the "
                         "processed products are flat-fielded already: use one or the other")
    return [Product(jid, cube, processed, bool(flat)) for jid in ids]


def get_images(client: Client, jids: Any, *, cube: bool = True, processed: bool = False,
               flat: bool = False, wcs: bool = True,
               show_progress: bool = True) -> list[fits.HDUList]:
    """Each job's product as an `~astropy.io.fits.HDUList`.

    Every product is fetched (or found in the cache) before the first failure,
    if any, is raised: the others stay cached for the next call.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        The logged-in session.
    jids, cube, processed, flat, wcs, show_progress
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
    client._require_login()
    fetched: list[Fetched] = []
    for result in fetch(client, products, show_progress=show_progress):
        if isinstance(result, BaseException):
            raise result
        fetched.append(result)
    opened = [add_times(open_product(found.path, label=str(found.product)))
              for found in fetched]
    if wcs:
        for hdul in opened:
            add_wcs(hdul)
    return opened


def download_data(client: Client, jids: Any, *, path: str | os.PathLike = '.',
                  cube: bool = True, processed: bool = False, flat: bool = False,
                  show_progress: bool = True) -> Table:
    """Fetch products and put them into the folder ``path``.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        The logged-in session.
    jids, path, cube, processed, flat, show_progress
        As for `~telescope_query.core.TelescopeClass.download_data`.

    Returns
    -------
    `~astropy.table.Table`
        The manifest: one row per job, columns `MANIFEST_COLUMNS`; a failed
        job is a row with status ``ERROR`` and its message.
    """
    products = _products(jids, cube, processed, flat)
    show_progress = arguments.check_flag(show_progress, 'show_progress')
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
