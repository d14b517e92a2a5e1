"""FITS header cards of the simulator's products (PROTOCOL.md section 4).

What the recorded products show, and what this module writes:

- planes (cube) and members (zip) in the order **R, V, B** for ``BVR``
  (244 of 248 recorded jobs), once in a while **V, B, R** (J412679);
  PIRATE's ``Colour`` likewise ``Red, Green, Blue`` or ``Green, Blue, Red``
  ([assumed]: how often, here one job in 25);
- one ``DATE-OBS`` per frame, ISO 8601 with fractional seconds, minutes
  before the job's completion, the frames taken one after another in plane
  order (:func:`frame_times` gives the rule and the figures it reproduces);
  a cube has one header: ``DATE-OBS`` is its first frame's, and, with more
  than one plane, ``DATE-OB1`` .. ``DATE-OBn`` give every plane's own time
  ([assumed] keywords: no cube header was ever recorded); no ``MJD-OBS``;
- ``OBJCTRA``/``OBJCTDEC``: the requested position truncated (not rounded)
  to whole seconds, ``19:19:02`` / ``+41:06:34`` for ``19:19:02.60
  +41:06:34.24`` [seen, through a plate solver's echo];
- ``TELESCOP``: one of the first words the solver of the original author
  knew (:func:`telescop`), by telescope and era [assumed mapping];
- ``EXPTIME`` (seconds), ``EQUINOX``, ``FILTER`` and the site's quirks
  ``EPOCH = 'REAL'`` and ``RADECSYS = 'ICRS'`` (both make astropy warn
  ``FITSFixedWarning``, as the live site's files do) [seen].

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import calendar
import datetime as dt
import hashlib

from astropy.io import fits

from .model import FILTER_PLANES, Job
from .catalog import radec_id

__all__ = ['plane_names', 'frame_times', 'frame_gap', 'iso_time', 'truncated_position',
           'telescop', 'product_header', 'flat_header', 'UPGRADE_2021']

#: [assumed] the date of the 2021 upgrade (COAST a CDK17, new cameras): the
#: recorded plate scale changed between December 2020 and September 2022.
UPGRADE_2021 = calendar.timegm((2021, 7, 1, 0, 0, 0))
_MOUNT_ERA = calendar.timegm((2019, 1, 1, 0, 0, 0))       # [assumed]
_SLOWER_2024 = calendar.timegm((2024, 1, 1, 0, 0, 0))     # [assumed]
_LAST_BRT_YEAR = calendar.timegm((2016, 1, 1, 0, 0, 0))   # [assumed]

#: How often the planes come in their rarer order (one job in this many).
RARE_ORDER_EVERY = 25


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], 'little')


def plane_names(job: Job) -> tuple[str, ...]:
    """The filters of a job's planes, in the order they are stored and taken.

    ``R, V, B`` (``Red, Green, Blue``) for a three-colour filter, once in a
    while ``V, B, R`` (``Green, Blue, Red``); one plane for one filter.
    """
    planes = FILTER_PLANES.get(job.filter_type, (job.filter_type,))
    if len(planes) > 1 and _hash(f'order:{job.jid}') % RARE_ORDER_EVERY == 0:
        planes = planes[1:] + planes[:1]
    return planes


def frame_gap(when: float) -> float:
    """Seconds between the end of one frame and the start of the next.

    Fitted to the recorded offsets (below): 16 s up to the 2021 upgrade,
    21 s after it, 58 s from 2024 (the era boundaries are [assumed]).
    """
    if when < UPGRADE_2021:
        return 16.0
    return 21.0 if when < _SLOWER_2024 else 58.0


def frame_times(job: Job, planes: tuple[str, ...]) -> list[float]:
    """Unix time of each frame's ``DATE-OBS``, in plane order.

    The frames are taken one after another, each ``exposure + gap`` after
    the one before, and the job completes ``jitter`` seconds after the last
    frame's ``DATE-OBS``::

        DATE-OBS(k) = completion - (n - 1 - k) * (exposure + gap) - jitter

    with ``gap`` from :func:`frame_gap` and ``jitter`` between 0 and 10 s
    (from the job id).  Completion minus the first frame's ``DATE-OBS`` is
    then 392-402 s for 3 x 180 s and 152-162 s for 3 x 60 s jobs up to 2020
    (recorded: mostly 391-418 s and 151-164 s), 272-282 s for 3 x 120 s
    (recorded median 273.6 s), 402-412 s in 2023 (recorded 405-408 s) and
    476-486 s for 3 x 180 s in 2024 (recorded: about 480 s).  A job whose
    first frame was recorded (``job.frame_lead``) uses that lead instead.
    """
    n = len(planes)
    step = job.exposure_ms / 1000 + frame_gap(job.completion_time)
    lead = job.frame_lead
    if lead is None:
        jitter = (_hash(f'jitter:{job.jid}') % 10000) / 1000
        lead = (n - 1) * step + jitter
    first = job.completion_time - lead
    return [first + k * step for k in range(n)]


def iso_time(seconds: float) -> str:
    """``'2019-06-18T23:38:22.417'``: ISO 8601, UTC, milliseconds ([assumed] digits)."""
    when = dt.datetime.fromtimestamp(round(seconds, 3), dt.timezone.utc)
    return f'{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}'


def truncated_position(job: Job) -> tuple[str, str] | None:
    """The requested position truncated to whole seconds: ``('19:19:02', '+41:06:34')``.

    From the request's ``objectid`` for a RADEC job (truncated, not
    rounded), else from the catalogue position; None without a position.
    """
    if job.object_type == 'RADEC' and ' ' in job.object_id:
        text = job.object_id
    elif job.ra_deg is not None and job.dec_deg is not None:
        text = radec_id(job.ra_deg, job.dec_deg)
    else:
        return None
    ra, dec = text.split()
    return ra.split('.')[0], dec.split('.')[0]


def telescop(telescope_id: int, when: float) -> str:
    """The ``TELESCOP`` value of a frame: telescope and era decide [assumed mapping].

    Only first words are recorded (those the original author's plate solver
    knew): ``galaxy``, ``cluster``, ``coast``, ``pirate``, ``10micron``,
    ``cdk17``, ``undefined``, ``'undefined'`` (quotes included) and
    ``BRT <camera>``; the COAST frames of 2017-2024 gave ``galaxy``,
    ``coast``, ``pirate``, ``10micron`` or ``cdk17``.  Here:

    - old Bradford cameras: ``BRT <Camera>``, the Galaxy and Cluster cameras
      ``galaxy`` / ``cluster`` in their last year (2016);
    - COAST: ``coast`` (2017), ``galaxy`` (2018), ``10micron`` (its mount,
      2019 to the 2021 upgrade), ``cdk17`` after it;
    - PIRATE: ``pirate`` (2017-2018), ``undefined`` (to the upgrade),
      ``'undefined'`` after it.
    """
    year = dt.datetime.fromtimestamp(when, dt.timezone.utc).year
    if telescope_id == 6:
        if when < _MOUNT_ERA:
            return 'coast' if year <= 2017 else 'galaxy'
        return '10micron' if when < UPGRADE_2021 else 'cdk17'
    if telescope_id == 7:
        if when < _MOUNT_ERA:
            return 'pirate'
        return 'undefined' if when < UPGRADE_2021 else "'undefined'"
    camera = {1: 'Constellation', 2: 'Galaxy', 3: 'Cluster', 5: 'Planet'}.get(
        telescope_id, str(telescope_id))
    if telescope_id in (2, 3) and when >= _LAST_BRT_YEAR:
        return camera.lower()
    return f'BRT {camera}'


def _pointing_cards(h: fits.Header, job: Job) -> None:
    """``OBJCTRA``/``OBJCTDEC``, and the mount's or telescope's cards by era.

    [assumed]: the old Bradford cameras write only ``RA-TEL``/``DEC-TEL``;
    COAST and PIRATE write ``OBJCTRA``/``OBJCTDEC``, and in the 10Micron
    mount's years (2019 to the 2021 upgrade) also ``MNTRA``/``MNTDEC``; all
    hold the truncated requested position.  (A plate solver of the original
    author reads OBJCTRA, else MNTRA, else RA-TEL.)
    """
    position = truncated_position(job)
    if position is None:
        return
    ra, dec = position
    if job.telescope_id not in (6, 7):
        h['RA-TEL'] = (ra, 'telescope RA (J2000)')
        h['DEC-TEL'] = (dec, 'telescope Dec (J2000)')
        return
    h['OBJCTRA'] = (ra, 'nominal object RA (J2000)')
    h['OBJCTDEC'] = (dec, 'nominal object Dec (J2000)')
    if _MOUNT_ERA <= job.completion_time < UPGRADE_2021:
        h['MNTRA'] = (ra, 'mount RA (J2000)')
        h['MNTDEC'] = (dec, 'mount Dec (J2000)')


def product_header(job: Job, planes: tuple[str, ...] | str, flat_id: int = 0,
                   times: list[float] | None = None) -> fits.Header:
    """Header cards of a product: a cube (``planes`` a tuple) or a zip member
    (``planes`` one filter name); the data cards are added by astropy.

    ``times`` are the frames' ``DATE-OBS`` (Unix seconds) in plane order,
    default :func:`frame_times` of the job's planes (a zip member gives its
    own one-element list).  ``flat_id`` is the flat field the frames were
    divided by (0: none).
    """
    names = (planes,) if isinstance(planes, str) else tuple(planes)
    if times is None:
        times = frame_times(job, names)
    filters = ','.join(names)
    h = fits.Header()
    h['OBJECT'] = (job.object_name, 'target name of the request')
    h['TELESCOP'] = (telescop(job.telescope_id, job.completion_time), 'telescope')
    h['OBSERVAT'] = ('Observatorio del Teide', 'Tenerife')
    h['SITELAT'] = ('+28 18 00', 'site latitude')
    h['SITELONG'] = ('-16 30 36', 'site longitude (east positive)')
    h['DATE-OBS'] = (iso_time(times[0]), 'UTC, frame' if len(names) == 1
                     else 'UTC, first frame (plane 1)')
    if len(names) > 1:
        for index, (name, when) in enumerate(zip(names, times), 1):
            h[f'DATE-OB{index}'] = (iso_time(when), f'UTC, frame of plane {index} ({name})')
    h['EXPTIME'] = (job.exposure_ms / 1000, '[s] exposure time of each frame')
    h['FILTER'] = (filters, 'filter of each plane' if len(names) > 1 else 'filter')
    _pointing_cards(h, job)
    h['EQUINOX'] = (2000.0, 'equinox of the coordinates')
    # The site's quirks, kept on purpose (astropy warns about both).
    h['EPOCH'] = 'REAL'
    h['RADECSYS'] = 'ICRS'
    h['JOBID'] = (job.jid, 'telescope.org job id')
    if flat_id:
        h['FLATID'] = (int(flat_id), 'telescope.org flat field applied')
        h['HISTORY'] = f'Flat fielded: divided by flat field {int(flat_id)}'
        h['HISTORY'] = 'normalised to a median of 1 in each filter.'
    return h


def flat_header(flat_id: int) -> fits.Header:
    """Header cards of flat field ``flat_id``."""
    h = fits.Header()
    h['IMAGETYP'] = ('Flat Field', 'frame type')
    h['FLATID'] = (flat_id, 'telescope.org flat field id')
    h['OBSERVAT'] = ('Observatorio del Teide', 'Tenerife')
    return h
