"""Which nights a target can be observed from the Observatorio del Teide: pure.

One time grid (``STEP``), every target at once: the Sun's and the Moon's
positions are computed once per grid time, each target's once per call, and
altitudes follow from the local sidereal time with numpy (the hour angle
formula), so 20 targets over 30 nights take a fraction of a second where
astroplan's constraints on the same grid take seconds (``docs/internals.rst``,
Observability, has the figures; the tests compare the two).

Offline by construction: UT1 is taken as UTC (``delta_ut1_utc = 0``) and the
Sun and Moon are geocentric, from astropy's built-in ephemeris, so no IERS
table is read or downloaded. What that costs is in ``docs/monitoring.rst``:
under a second of time in UT1 (at most 14 arcsec of hour angle), tens of
arcseconds of aberration over a month, the Moon's parallax (up to 1° in its
separation), no refraction (about 0.03° at 30°), and the grid's step in every
start, end and duration.
"""
from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass

import numpy as np
import astropy.units as u
import erfa
from astropy.coordinates import GCRS, SkyCoord, get_body
from astropy.table import MaskedColumn, Table
from astropy.time import Time
from astropy.utils.exceptions import AstropyUserWarning, AstropyWarning

from ..protocol import site

__all__ = ['NotObservableWarning', 'STEP', 'TWILIGHT', 'MONTHS', 'Limits', 'time_grid',
           'observable_grid', 'observable_nights', 'observability_table', 'observable_months']

#: Time between two samples of the grid: the precision of every window.
STEP = 5 * u.min
#: The Sun's altitude at the end of astronomical twilight, degrees.
TWILIGHT = -18.0
#: Month names of the ``months`` column.
MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov',
          'Dec')

_LAT = np.radians(site.SITE_LATITUDE)


class NotObservableWarning(AstropyUserWarning):
    """The target has no observable night at the Observatorio del Teide in the
    coming days (``conf.observable_days``): dark sky, high enough, away from the Moon."""


@dataclass(frozen=True)
class Limits:
    """What makes a moment observable: a dark sky, the target high, the Moon away."""

    min_altitude: float = 30.0          # degrees
    moon_separation: float = 30.0       # degrees
    twilight: float = TWILIGHT          # the Sun's altitude, degrees


def time_grid(start: Time, days: float, step: u.Quantity = STEP) -> Time:
    """Sample times from ``start`` over ``days``, UT1 taken as UTC (no IERS table)."""
    count = max(1, int(np.ceil((days * u.day / step).to_value(u.one))))
    times = Time(start.utc.jd + np.arange(count) * step.to_value(u.day), format='jd',
                 scale='utc')
    times.delta_ut1_utc = 0.0
    return times


def _offline(func):
    """Run ``func`` with astropy's IERS and leap-second age warnings silenced: the
    computation reads no IERS table, and a bundled leap-second list that is old
    changes nothing before the next leap second is announced."""
    def wrapped(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', AstropyWarning)
            warnings.filterwarnings('ignore', message='.*leap-second.*')
            warnings.filterwarnings('ignore', message='.*dubious year.*')
            return func(*args, **kwargs)
    wrapped.__doc__ = func.__doc__
    wrapped.__name__ = func.__name__
    return wrapped


def _of_date(coord: SkyCoord, times: Time) -> tuple[np.ndarray, np.ndarray]:
    """Geocentric right ascension and declination (radians) in the true equator
    and equinox of date, the frame the apparent sidereal time belongs to.

    The geocentric (GCRS) position is turned by ERFA's bias-precession-nutation
    matrix: astropy's own TETE frame reads the IERS table for the polar motion
    (and downloads it when old), and so would a position on the Earth. The
    Moon's parallax this leaves out is at most 1°, the rest arcseconds.
    """
    geocentric = coord if isinstance(coord.frame, GCRS) else coord.transform_to(
        GCRS(obstime=times))
    vectors = geocentric.cartesian.xyz.value
    vectors = vectors / np.linalg.norm(vectors, axis=0)
    tt = times.tt
    matrix = erfa.pnm06a(tt.jd1, tt.jd2)
    true = np.einsum('...ij,j...->i...', matrix, vectors)
    return np.arctan2(true[1], true[0]), np.arcsin(np.clip(true[2], -1.0, 1.0))


def _altitude(ra: np.ndarray, dec: np.ndarray, lst: np.ndarray) -> np.ndarray:
    """Altitude (degrees) from the hour angle: arrays that broadcast together."""
    hour_angle = lst - ra
    sin_alt = np.sin(_LAT) * np.sin(dec) + np.cos(_LAT) * np.cos(dec) * np.cos(hour_angle)
    return np.degrees(np.arcsin(np.clip(sin_alt, -1.0, 1.0)))


def _separation(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Angular distance (degrees), Vincenty's formula: arrays that broadcast."""
    delta = ra2 - ra1
    num = np.hypot(np.cos(dec2) * np.sin(delta),
                   np.cos(dec1) * np.sin(dec2) - np.sin(dec1) * np.cos(dec2) * np.cos(delta))
    den = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(delta)
    return np.degrees(np.arctan2(num, den))


#: Samples between two exact computations of the Sun, the Moon and the sidereal
#: time; the grid between them is interpolated (an hour: tens of arcseconds
#: for the Moon's parallax, far less for the rest).
COARSE = 12


def _interpolated(times: Time, compute, block: int | None = None) -> list[np.ndarray]:
    """Angles (radians) that ``compute(times)`` returns, computed every `COARSE`
    samples (and at the last) and interpolated linearly in between.

    ``block``: the times are separate runs of this many samples (nights of
    different months), each interpolated on its own; one ``compute`` call
    serves them all.
    """
    block = block or len(times)
    starts = range(0, len(times), block)
    within = np.unique(np.append(np.arange(0, block, COARSE), block - 1))
    picked = np.concatenate([start + within for start in starts])
    values = [np.unwrap(np.reshape(v, (len(starts), len(within))), axis=1)
              for v in compute(times[picked])]
    jd = times.jd.reshape(len(starts), block)
    picked_jd = jd[:, within]
    return [np.concatenate([np.interp(jd[i], picked_jd[i], v[i]) for i in range(len(starts))])
            for v in values]


def _sky(times: Time) -> tuple[np.ndarray, ...]:
    """The local sidereal time, the Sun's and the Moon's RA and Dec of date.

    Kept for the last few grids (`_SKY_KEPT`): they do not depend on the
    targets, and the look-ahead of a batch asks for the same hours again.
    """
    key = tuple(np.round(times.jd, 8))
    with _sky_lock:
        kept = _sky_kept.get(key)
    if kept is None:
        kept = _compute_sky(times)
        with _sky_lock:
            while len(_sky_kept) >= _SKY_KEPT:
                _sky_kept.pop(next(iter(_sky_kept)))
            _sky_kept[key] = kept
    return kept


#: How many grids of the Sun, Moon and sidereal time are kept.
_SKY_KEPT = 8
_sky_kept: dict[tuple, tuple[np.ndarray, ...]] = {}
_sky_lock = threading.Lock()


def _compute_sky(times: Time) -> tuple[np.ndarray, ...]:
    # At Greenwich, then shifted: astropy's local sidereal time reads the IERS
    # table for the polar motion (under an arcsecond here).
    lst = (times.sidereal_time('apparent', longitude='greenwich').rad
           + np.radians(site.SITE_LONGITUDE))
    sun = _of_date(get_body('sun', times), times)
    moon = _of_date(get_body('moon', times), times)
    return (np.atleast_1d(lst),) + tuple(np.atleast_1d(v) for v in sun + moon)


@_offline
def observable_grid(coords: SkyCoord, times: Time, limits: Limits, *,
                    moon: bool = True, block: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``(observable, altitude)``: arrays of shape (targets, times).

    A moment is observable when the Sun is below ``limits.twilight``, the
    target above ``limits.min_altitude`` and (with ``moon``) at least
    ``limits.moon_separation`` from the Moon as seen from the site. ``block``:
    as for `_interpolated`.
    """
    lst, sun_ra, sun_dec, moon_ra, moon_dec = _interpolated(times, _sky, block)
    dark = _altitude(sun_ra, sun_dec, lst) < limits.twilight
    # One frame of date for the targets, the grid's middle: the change of
    # aberration over the span is tens of arcseconds at most.
    middle = times[len(times) // 2]
    ra, dec = _of_date(SkyCoord(coords).icrs, middle)
    ra, dec = np.atleast_1d(ra)[:, None], np.atleast_1d(dec)[:, None]
    altitude = _altitude(ra, dec, lst[None, :])
    observable = dark[None, :] & (altitude > limits.min_altitude)
    if moon:
        far = _separation(ra, dec, moon_ra[None, :], moon_dec[None, :]) \
            >= limits.moon_separation
        observable &= far
    return observable, altitude


@_offline
def observable_nights(coords: SkyCoord, start: Time, days: float,
                      limits: Limits) -> np.ndarray:
    """How many nights from ``start`` over ``days`` each target can be observed."""
    times = time_grid(start, days)
    observable, _ = observable_grid(coords, times, limits)
    nights = _night_index(times)
    return np.array([len(set(nights[row])) for row in observable])


def _night_index(times: Time) -> np.ndarray:
    """The night each time belongs to: a number that changes at local noon."""
    return np.floor(times.utc.jd + site.SITE_LONGITUDE / 360.0).astype(int)


def _first_run(row: np.ndarray) -> tuple[int, int] | None:
    """First and last index of the first run of True, None when there is none."""
    hits = np.flatnonzero(row)
    if hits.size == 0:
        return None
    first = int(hits[0])
    gaps = np.flatnonzero(~row[first:])
    last = first + (int(gaps[0]) if gaps.size else len(row) - first) - 1
    return first, last


def observable_months(coords: SkyCoord, year: int, limits: Limits) -> list[str]:
    """The months of ``year`` in which each target is observable, as text.

    One night per month (the 15th, 18h to 08h UTC, every ``STEP``): dark sky
    and the target above ``limits.min_altitude``; the Moon is left out (it
    passes every target once a month).
    """
    nights = [time_grid(Time(f'{year}-{month:02d}-15 18:00', scale='utc'), 14 / 24)
              for month in range(1, 13)]
    block = len(nights[0])
    times = Time(np.concatenate([night.jd for night in nights]), format='jd', scale='utc')
    times.delta_ut1_utc = 0.0
    observable, _ = observable_grid(coords, times, limits, moon=False, block=block)
    by_month = observable.reshape(observable.shape[0], 12, block).any(axis=2)
    return [' '.join(name for name, seen in zip(MONTHS, row) if seen) for row in by_month]


@_offline
def observability_table(coords: SkyCoord, labels: list[str], start: Time, days: float,
                        limits: Limits) -> Table:
    """The Table of `~telescope_query.core.TelescopeClass.observability`."""
    times = time_grid(start, days)
    observable, altitude = observable_grid(coords, times, limits)
    step_days = STEP.to_value(u.day)
    nights = _night_index(times)
    starts, ends, missing = [], [], []
    for row in observable:
        run = _first_run(row)
        missing.append(run is None)
        first, last = run if run is not None else (0, 0)
        starts.append(times.jd[first])
        ends.append(times.jd[last] + step_days)
    with np.errstate(divide='ignore'):
        airmass = np.where(observable, 1.0 / np.sin(np.radians(altitude)), np.inf).min(axis=1)
    table = Table()
    table['target'] = labels
    table['coord'] = SkyCoord(coords).icrs
    table['window_start'] = _times(starts, missing)
    table['window_end'] = _times(ends, missing)
    table['nights'] = [len(set(nights[row])) for row in observable]
    table['hours'] = (observable.sum(axis=1) * STEP.to_value(u.h)) * u.h
    table['hours'].info.format = '.2f'
    table['best_airmass'] = MaskedColumn(np.where(np.isfinite(airmass), airmass, np.nan),
                                         mask=~np.isfinite(airmass))
    table['best_airmass'].format = '.3f'
    table['months'] = observable_months(coords, int(start.utc.datetime.year), limits)
    for name, text in _DESCRIPTIONS.items():
        table[name].info.description = text
    table.meta.update({'start': start.utc.iso, 'days': days,
                       'min_altitude': limits.min_altitude,
                       'moon_separation': limits.moon_separation,
                       'step_minutes': STEP.to_value(u.min)})
    return table


def _times(jds: list[float], missing: list[bool]) -> Time:
    times = Time(jds, format='jd', scale='utc')
    times.format = 'iso'
    times.precision = 0
    if any(missing):
        times[np.array(missing)] = np.ma.masked
    return times


_DESCRIPTIONS = {
    'target': 'the target as given',
    'coord': 'its ICRS position',
    'window_start': 'start of the next observable window (UTC; masked when none)',
    'window_end': 'end of that window (UTC)',
    'nights': 'nights of the span with any observable time',
    'hours': 'observable hours in the span',
    'best_airmass': 'lowest airmass while observable (masked when never)',
    'months': 'months of the year with dark hours above the altitude limit '
              '(Moon ignored)',
}
