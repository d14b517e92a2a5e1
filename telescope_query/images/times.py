"""When each frame was taken: DATE-AVG/MJD-AVG in headers, a Table of frames, BJD_TDB.

Pure: headers in, cards and Tables out; no I/O (no IERS download either:
see `bjd_tdb`). Each frame has its own ``DATE-OBS`` [seen]: every member of a
zip, and the planes of a cube one after another (a cube's one header gives
plane ``k`` as ``DATE-OBk`` when present [assumed: no cube header recorded]).
``DATE-OBS`` is the start of the exposure; ``EXPTIME`` [assumed keyword] or
the job view's exposure gives the middle. A job's completion time is never
an observation time: it comes minutes after the last frame (PROTOCOL.md
section 4).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import MaskedColumn, Table
from astropy.time import Time

from ..protocol import site

__all__ = ['add_times', 'frame_table', 'bjd_tdb', 'site_location']

_TAG = 'telescope_query:'


def _time(value: Any) -> Time | None:
    text = str(value or '').strip()
    if not text:
        return None
    try:
        return Time(text, scale='utc', format='isot')
    except ValueError:
        return None


def _exposure(header: fits.Header) -> float | None:
    value = header.get('EXPTIME')
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return float(value)


def add_times(hdul: fits.HDUList) -> fits.HDUList:
    """Add ``MJD-OBS``, ``DATE-AVG`` and ``MJD-AVG`` (mid-exposure) to every
    one-frame HDU with a readable ``DATE-OBS`` and ``EXPTIME`` (in place).

    A cube of several planes keeps one ``DATE-OBS`` (its first frame's):
    its planes' own times are in `frame_table`.
    """
    for hdu in hdul:
        header = hdu.header
        naxis = header.get('NAXIS', 0)
        if naxis < 2 or (naxis == 3 and header.get('NAXIS3') != 1) or naxis > 3:
            continue
        start, exposure = _time(header.get('DATE-OBS')), _exposure(header)
        if start is None:
            continue
        if 'MJD-OBS' not in header:
            header['MJD-OBS'] = (start.mjd, '[d] MJD of DATE-OBS (start of exposure)')
        if exposure is None or 'DATE-AVG' in header:
            continue
        mid = start + exposure / 2 * u.s
        header['DATE-AVG'] = (mid.isot, 'UTC, middle of the exposure')
        header['MJD-AVG'] = (mid.mjd, '[d] MJD of DATE-AVG')
    return hdul


def _frames(hdul: fits.HDUList) -> list[tuple[str, Time | None, float | None]]:
    """(filter, start, exposure) of every frame, in the product's order."""
    frames = []
    for hdu in hdul:
        header = hdu.header
        naxis = header.get('NAXIS', 0)
        if naxis < 2:
            continue
        exposure = _exposure(header)
        planes = header.get('NAXIS3', 1) if naxis == 3 else 1
        names = [name.strip() for name in str(header.get('FILTER') or '').split(',')]
        if len(names) != planes:
            names = [str(header.get('FILTER') or '')] * planes
        for k in range(planes):
            when = header.get(f'DATE-OB{k + 1}') if planes > 1 else None
            if when is None and k == 0:
                when = header.get('DATE-OBS')
            frames.append((names[k], _time(when), exposure))
    return frames


def site_location():
    """The Observatorio del Teide as an `~astropy.coordinates.EarthLocation`."""
    from astropy.coordinates import EarthLocation
    return EarthLocation.from_geodetic(site.SITE_LONGITUDE * u.deg, site.SITE_LATITUDE * u.deg,
                                       site.SITE_HEIGHT * u.m)


def bjd_tdb(times: Time, target: Any) -> Time:
    """Barycentric Julian Dates (TDB) of ``times`` seen from Teide for ``target``.

    No download: astropy's IERS tables are not fetched (``auto_download``
    off); UT1 is taken from the tables astropy has, however old their
    predictions (``auto_max_age`` off: astropy refuses predictions older than
    30 days by default, so without it this failed a month after each
    astropy-iers-data release). A UT1 off by a second moves the observatory
    by under 0.5 km, the light travel time by under 2 microseconds -- far
    below what a 3-minute exposure resolves.
    """
    from astropy.utils import iers
    with iers.conf.set_temp('auto_download', False), \
            iers.conf.set_temp('auto_max_age', None):
        located = Time(times, location=site_location(), copy=True)
        return located.tdb + located.light_travel_time(target, kind='barycentric')


def frame_table(hdul: fits.HDUList, *, exposure: u.Quantity | None = None,
                target: Any = None) -> Table:
    """One row per frame: ``filter``, ``start``, ``mid``, ``exposure`` (and
    ``bjd_tdb`` with a ``target``).

    Parameters
    ----------
    hdul : `~astropy.io.fits.HDUList`
        A product: a zip's HDUList (a frame per extension) or a cube.
    exposure : `~astropy.units.Quantity`, optional
        The exposure when a header has no ``EXPTIME`` (from the job view).
    target : `~astropy.coordinates.SkyCoord`, optional
        For the ``bjd_tdb`` column.

    Returns
    -------
    `~astropy.table.Table`
        ``start``/``mid`` are `~astropy.time.Time` (UTC); a frame whose time
        or exposure is unknown has them masked (``mid`` as well).
    """
    rows = _frames(hdul)
    fallback = None if exposure is None else exposure.to_value(u.s)
    filters = [name for name, _, _ in rows]
    seconds = [given if given is not None else fallback for _, _, given in rows]
    starts = [when for _, when, _ in rows]
    table = Table()
    table['filter'] = filters
    known = [when is not None for when in starts]
    mids = [when is not None and s is not None for when, s in zip(starts, seconds)]
    base = Time('2000-01-01T00:00:00', scale='utc')
    start = Time([when if when is not None else base for when in starts] or [], scale='utc')
    mid = (start + np.array([s or 0.0 for s in seconds]) / 2 * u.s).copy()
    bjd = bjd_tdb(mid, target).copy() if target is not None and rows else None
    # Masked only where something is unknown: plain Times otherwise.
    if not all(known):
        start[~np.array(known)] = np.ma.masked
    if not all(mids):
        mid[~np.array(mids)] = np.ma.masked
        if bjd is not None:
            bjd[~np.array(mids)] = np.ma.masked
    table['start'] = start
    table['start'].info.description = 'UTC start of the exposure (DATE-OBS)'
    table['mid'] = mid
    table['mid'].info.description = 'UTC middle of the exposure'
    table['exposure'] = MaskedColumn([s if s is not None else 0.0 for s in seconds],
                                     mask=[s is None for s in seconds], unit=u.s,
                                     description='exposure time of the frame')
    if target is not None:
        table['bjd_tdb'] = bjd if bjd is not None else mid.copy()
        table['bjd_tdb'].format = 'jd'
        table['bjd_tdb'].info.description = 'barycentric Julian date (TDB) of mid-exposure'
    return table
