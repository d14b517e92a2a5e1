"""The work behind `TelescopeClass.get_images` and `TelescopeClass.download_data`.

Arguments are checked first (no HTTP call for a bad one); the products are
fetched into the cache by `telescope_query.images.staging`; then they are opened as
HDULists (`telescope_query.images.fits`) or put into the user's folder
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
from ..exceptions import DownloadError
from .cache import find_cached, place
from .fits import ProductFormatError, frame_starts, open_product
from .product import Product
from .staging import fetch

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


def get_images(client: Any, jids: Any, *, cube: bool = True, processed: bool = False,
               flat: bool = False, show_progress: bool = True) -> list[fits.HDUList]:
    """Each job's product as an `~astropy.io.fits.HDUList` (see `TelescopeClass.get_images`).

    Every product is fetched (or found in the cache) before the first failure,
    if any, is raised: the others stay cached for the next call.
    """
    products = _products(jids, cube, processed, flat)
    show_progress = arguments.check_flag(show_progress, 'show_progress')
    client._require_login()
    results = fetch(client, products, show_progress=show_progress)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [open_product(result.path, label=str(result.product)) for result in results]


def download_data(client: Any, jids: Any, *, path: str | os.PathLike = '.',
                  cube: bool = True, processed: bool = False, flat: bool = False,
                  show_progress: bool = True) -> Table:
    """Fetch products into ``path``; a manifest Table (see `TelescopeClass.download_data`)."""
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


def cached_frame_starts(client: Any, jid: int) -> list[datetime]:
    """The frames' ``DATE-OBS`` of a job, from a product of it already in the
    cache (no HTTP call); empty when none is there."""
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
