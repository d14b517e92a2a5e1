"""The original library's downloads: ``download_obs``, ``get_obs`` and their
processed twins, with the original arguments, file names and returns.

Thin wrappers over `telescope_query.images.staging` and `telescope_query.images.cache`
(the same cache, checks and guarantees as
`~telescope_query.core.TelescopeClass.get_images`). Like the original, a
download that fails returns None; here a warning says why. As the original,
the raw products are asked for with the job's flat field (``get_images(...,
flat=True)``), under the original's file names (``369256.fits``).
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from astroquery import log
from astroquery.exceptions import LoginError

from .. import arguments
from ..exceptions import RemoteServiceError
from ..images import staging
from ..images.cache import find_cached
from ..images.placing import place
from ..images.product import Fetched, Product

__all__ = ['DownloadsLegacy']

if TYPE_CHECKING:       # a mixin of telescope_query.legacy.Telescope, over TelescopeClass
    from ..core import TelescopeClass as _Base
else:
    _Base = object

# What a failed download may raise: the original returned None for each.
_FAILURES = (RemoteServiceError, LoginError, LookupError, TimeoutError, OSError)


def _jid_of(obs: Any) -> int:
    """The job id of ``obs``: the dict of ``get_job`` or a job id."""
    if obs is None:
        raise TypeError("obs must be a job (the dict returned by get_job) or a job id")
    if isinstance(obs, dict):
        if 'jid' not in obs:
            raise ValueError(f"obs has no 'jid' key (keys: {', '.join(map(str, obs))}); "
                             f"pass the dict returned by get_job or a job id")
        obs = obs['jid']
    (jid,), _ = arguments.ids(obs, 'obs', column='jid')
    return jid


def _printer(verbose: bool) -> Callable[[Product, str, bool], None] | None:
    """Print the image engine's statuses as the original did: the create answer's
    (``OK_WAIT``/``OK_READY``), then every poll's, repeats included (``PROCESSING``,
    ``PROCESSING``, ..., ``READY``)."""
    if not verbose:
        return None

    def show(product: Product, status: str, from_engine: bool) -> None:
        if from_engine:
            print(status)
    return show


def _legacy_product(obs: Any, cube: Any, processed: bool) -> Product:
    """The product the original asked for: raw ones with the job's flat field."""
    return Product(_jid_of(obs), arguments.check_flag(cube, 'cube'), processed,
                   flat=not processed)


def _original_name(product: Product) -> str:
    """The original's file name: ``369256.fits``, ``art_369256.zip``."""
    return f"{'art_' if product.processed else ''}{product.jid}.{product.file_type}"


class DownloadsLegacy(_Base):
    """Download methods of the original ``Telescope`` class."""

    def _legacy_fetch(self, obs: Any, cube: bool, processed: bool, pbar: bool,
                      verbose: bool) -> Fetched | None:
        product = _legacy_product(obs, cube, processed)
        self._require_login()  # before login: LoginError at once, as every method
        try:
            return staging.fetch_one(self, product, show_progress=bool(pbar),
                                     on_status=_printer(verbose))
        except _FAILURES as exc:
            log.warning(f"Download of {product} failed: {exc}")
            return None

    def _legacy_place(self, obs: Any, directory: str | os.PathLike, cube: bool,
                      processed: bool, pbar: bool, verbose: bool) -> str | None:
        if not isinstance(directory, (str, os.PathLike)):
            raise TypeError(f"directory must be a folder name, got {directory!r}")
        fetched = self._legacy_fetch(obs, cube, processed, pbar, verbose)
        if fetched is None:
            return None
        try:
            Path(directory).mkdir(parents=True, exist_ok=True)
            return place(fetched, directory, _original_name(fetched.product)).name
        except OSError as exc:
            log.warning(f"Could not put {fetched.product} into {os.fspath(directory)!r}: "
                        f"{exc}")
            return None

    def download_obs(self, obs: Any = None, directory: str | os.PathLike = '.',
                     cube: bool = True, pbar: bool = False,
                     verbose: bool = False) -> str | None:
        """Download the raw observation ``obs`` into ``directory``.

        Parameters
        ----------
        obs : dict or int
            The job, as returned by ``get_job``, or its job id.
        directory : str, optional
            Folder to put the file in (made if missing); the current one by default.
        cube : bool, optional
            True: a 3-D FITS cube ``<jid>.fits``; False: a zip of one FITS file
            per filter ``<jid>.zip``.
        pbar : bool, optional
            Show progress bars.
        verbose : bool, optional
            Print the image engine's status at every answer, as the original:
            the create answer's, then each poll's (``OK_WAIT``, ``PROCESSING``,
            ``PROCESSING``, ``READY``). Nothing for a product in the cache.

        Returns
        -------
        str or None
            The file name without the folder (``'369256.fits'``), or None when
            the download failed (a warning says why).
        """
        return self._legacy_place(obs, directory, cube, False, pbar, verbose)

    def get_obs(self, obs: Any = None, cube: bool = True, recurse: bool = True,
                pbar: bool = False, verbose: bool = False) -> BinaryIO | zipfile.ZipFile | None:
        """The raw observation ``obs`` from the cache, downloaded first if needed.

        Parameters
        ----------
        obs : dict or int
            The job, as returned by ``get_job``, or its job id.
        cube : bool, optional
            True for the FITS cube, False for the zip of per-filter FITS files.
        recurse : bool, optional
            Download the product when it is not in the cache yet (the
            original's meaning); False only looks in the cache.
        pbar, verbose : bool, optional
            As for `download_obs`.

        Returns
        -------
        file, `zipfile.ZipFile` or None
            An open binary file of the cube, or a ZipFile of the zip (the
            caller closes it); None when it is not available.
        """
        product = _legacy_product(obs, cube, False)
        self._require_login()  # the cache is the logged-in account's
        fetched = find_cached(self, product)
        if fetched is None and recurse:
            fetched = self._legacy_fetch(obs, cube, False, pbar, verbose)
        if fetched is None:
            return None
        return open(fetched.path, 'rb') if product.cube else zipfile.ZipFile(fetched.path)

    def download_obs_processed(self, obs: Any = None, directory: str | os.PathLike = '.',
                               cube: bool = False, pbar: bool = False) -> str | None:
        """Download the processed (artefact-corrected) observation ``obs``.

        As `download_obs`, but the file is ``art_<jid>.zip`` (or
        ``art_<jid>.fits`` with ``cube=True``), and the zip is the default.
        """
        return self._legacy_place(obs, directory, cube, True, pbar, False)

    def get_obs_processed(self, obs: Any = None,
                          cube: bool = False) -> io.BytesIO | zipfile.ZipFile | None:
        """The processed observation ``obs`` in memory.

        Returns
        -------
        `io.BytesIO`, `zipfile.ZipFile` or None
            The bytes of the cube, or a ZipFile over the bytes of the zip;
            None when the download failed (a warning says why).
        """
        fetched = self._legacy_fetch(obs, cube, True, False, False)
        if fetched is None:
            return None
        data = io.BytesIO(fetched.path.read_bytes())
        return data if fetched.product.cube else zipfile.ZipFile(data)
