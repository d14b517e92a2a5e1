"""Plate solving through astrometry.net (`astroquery.astrometry_net`), cached per frame.

What is decided here is pure (`solve_hints`, `frame_for_upload`,
`apply_solution`, `solution_path`); `solve_wcs` is the thin I/O around them:
it asks astrometry.net (nova.astrometry.net by default, astroquery's
``astrometry_net.conf.server``) only when the cache has no solution.

- The hints come from the approximate WCS (`telescope_query.images.wcs`):
  centre, a search radius of the field's half diagonal plus its expected
  error, and the scale within 10 %. A frame without one is solved blind.
- The image sent is the frame's imaging area: the overscan strips are the
  last columns and rows [seen], so cutting them keeps every pixel's
  coordinates, and the solution applies to the whole frame as it is.
- A solution is kept by job and frame (filter), ``solutions/<jid>_<filter>.hdr``
  beside the products in the account's cache folder: a cube's plane and the
  zip's file of the same filter are the same frame, flat-fielded or not.
- The key: the ``api_key`` argument, else astroquery's own configuration
  (``[astrometry_net] api_key``), else the keyring (service
  `KEYRING_SERVICE`, user ``api_key``). It is never logged or cached.
"""
from __future__ import annotations

import math
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyDeprecationWarning
from astropy.wcs import WCS

from ..protocol import site
from ..exceptions import PlateSolveError
from ..files import write_atomically
from .wcs import WCSNAME, has_approximate_wcs

__all__ = ['KEYRING_SERVICE', 'solve_hints', 'frame_for_upload',
           'apply_solution', 'solution_path', 'find_api_key', 'solve_wcs']

#: Where the keyring keeps an astrometry.net API key (user ``api_key``).
KEYRING_SERVICE = 'astroquery:astrometry.net'
#: Seconds astrometry.net may take to solve one frame.
SOLVE_TIMEOUT = 300
_SOLVED = 'astrometry.net plate solution'
#: The cards a solution brings (the approximate WCS's are removed first).
_WCS_PREFIXES = ('CTYPE', 'CUNIT', 'CRVAL', 'CRPIX', 'CD1_', 'CD2_', 'CD3_', 'CDELT', 'PC1_', 'PC2_',
                 'A_', 'B_', 'AP_', 'BP_', 'LONPOLE', 'LATPOLE', 'CSYER', 'WCSAXES', 'IMAGEW',
                 'IMAGEH')


def _image_hdus(hdul: fits.HDUList) -> list[int]:
    return [i for i, hdu in enumerate(hdul) if hdu.header.get('NAXIS', 0) >= 2]


def solve_hints(header: fits.Header) -> dict[str, Any]:
    """astrometry.net settings from a frame's approximate WCS; empty without one."""
    if not has_approximate_wcs(header):
        return {}
    wcs = WCS(header).celestial
    width, height = header['NAXIS1'], header['NAXIS2']
    centre = wcs.pixel_to_world((width - 1) / 2, (height - 1) / 2)
    scale = sum(q.to_value('arcsec') for q in wcs.proj_plane_pixel_scales()) / 2
    radius = math.hypot(width, height) / 2 * scale + site.POINTING_ERROR_ARCSEC
    return {'center_ra': float(centre.ra.deg), 'center_dec': float(centre.dec.deg),
            'radius': radius / 3600, 'scale_units': 'arcsecperpix', 'scale_type': 'ul',
            'scale_lower': 0.9 * scale, 'scale_upper': 1.1 * scale}


def frame_for_upload(hdu: fits.ImageHDU | fits.PrimaryHDU) -> np.ndarray:
    """The frame's imaging area (a cube's first plane), overscan cut, as float32."""
    data = np.asarray(hdu.data, dtype=np.float32)
    if data.ndim == 3:
        data = data[0]
    rows, columns = data.shape
    return data[:rows - site.overscan_width(rows), :columns - site.overscan_width(columns)]


def apply_solution(header: fits.Header, solution: fits.Header) -> None:
    """Replace ``header``'s approximate WCS by ``solution``'s cards (in place)."""
    for key in list(header.keys()):
        if key == 'WCSNAME' or key.startswith(_WCS_PREFIXES) or key in ('A_ORDER', 'B_ORDER'):
            header.remove(key, ignore_missing=True, remove_all=True)
    for card in solution.cards:
        if card.keyword == 'WCSNAME' or card.keyword.startswith(_WCS_PREFIXES) or \
                card.keyword in ('EQUINOX', 'RADESYS'):
            header[card.keyword] = (card.value, card.comment)
    header['WCSNAME'] = (_SOLVED, 'replaces the approximate WCS')
    # A cube's planes share the celestial axes; astropy reads SIP in two
    # dimensions only, so a solved cube is read with WCS(header, naxis=2).
    header.add_history(f"telescope_query: {_SOLVED} replaces the approximate WCS "
                       f"({WCSNAME})")


def solution_path(folder: Path, header: fits.Header) -> Path | None:
    """Where the solution of a frame is kept: by job and filter; None without a job id."""
    jid = header.get('JOBID')
    if isinstance(jid, bool) or not isinstance(jid, int):
        return None
    first = str(header.get('FILTER') or '').split(',')[0]       # a cube's first plane
    name = ''.join(c for c in first if c.isalnum()) or 'frame'
    return Path(folder) / 'solutions' / f'{jid}_{name}.hdr'


def find_api_key(api_key: str | None) -> str:
    """The astrometry.net key to use (see the module's notes), or a clear error."""
    if api_key:
        return api_key
    from astroquery.astrometry_net import conf
    if conf.api_key:
        return str(conf.api_key)
    try:
        import keyring
        stored = keyring.get_password(KEYRING_SERVICE, 'api_key')
    except Exception:  # no usable keyring backend: the message below says what to do
        stored = None
    if stored:
        return stored
    raise PlateSolveError("plate solving needs an astrometry.net API key (free at "
                          "https://nova.astrometry.net): pass api_key=, set api_key in the "
                          "[astrometry_net] section of astroquery's configuration, or "
                          f"store it with keyring (service {KEYRING_SERVICE!r}, user "
                          "'api_key')")


def _ask(data: np.ndarray, hints: dict[str, Any], api_key: str) -> fits.Header:
    """One frame to astrometry.net; its WCS header, or PlateSolveError."""
    import requests
    from astroquery.astrometry_net import AstrometryNet, conf
    from astroquery.exceptions import TimeoutError as SolveTimeout
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, 'frame.fits')
        fits.PrimaryHDU(data).writeto(path)
        solver = AstrometryNet()
        # astroquery fixes its URLs when it is imported: read the server now, so
        # that conf.server (a mirror, or a test's 127.0.0.1) is the one asked.
        solver.URL = str(conf.server).rstrip('/')
        solver.API_URL = solver.URL + '/api'
        try:
            with conf.set_temp('api_key', api_key), warnings.catch_warnings():
                # The upload is what is wanted (astrometry.net's own source
                # extraction); astroquery deprecates asking for it by name.
                warnings.filterwarnings('ignore', '.*force_image_upload',
                                        AstropyDeprecationWarning)
                solution = solver.solve_from_image(path, force_image_upload=True,
                                                   solve_timeout=SOLVE_TIMEOUT, verbose=False,
                                                   **hints)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise PlateSolveError(f"plate solving needs the network: {conf.server} could "
                                  f"not be reached ({type(exc).__name__})") from None
        except SolveTimeout:
            raise PlateSolveError(f"astrometry.net found no solution within "
                                  f"{SOLVE_TIMEOUT} s") from None
        except RuntimeError as exc:     # refused login (a wrong key), a failed post
            raise PlateSolveError(f"astrometry.net ({conf.server}): {exc}") from None
    if not solution:
        raise PlateSolveError("astrometry.net found no solution for this frame")
    return solution


def solve_wcs(hdul: fits.HDUList, cache_folder: Path, *, api_key: str | None = None
              ) -> fits.HDUList:
    """Plate-solve every frame of ``hdul`` (a cube by its first plane), in place.

    A solution already in ``cache_folder`` is used with no request; a new one
    is kept there. Raises `~telescope_query.exceptions.PlateSolveError` when the
    key is missing (before any request), the network cannot be reached, the key
    is refused, or no solution is found.
    """
    wanted = []
    for index in _image_hdus(hdul):
        header = hdul[index].header
        kept = solution_path(cache_folder, header)
        if kept is not None and kept.is_file():
            apply_solution(header, fits.Header.fromstring(kept.read_text(), sep='\n'))
        else:
            wanted.append((index, kept))
    if not wanted:
        return hdul
    key = find_api_key(api_key)
    for index, kept in wanted:
        header = hdul[index].header
        solution = _ask(frame_for_upload(hdul[index]), solve_hints(header), key)
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(kept, solution.tostring(sep='\n', padding=False))
        apply_solution(header, solution)
    return hdul
