"""The sky a simulated frame shows: its plate scale, orientation and pointing.

Each frame with a target position is rendered through a known world
coordinate system (:func:`frame_wcs`) of the kind the recorded plate
solutions of COAST frames show (PROTOCOL.md section 4):

- the plate scale of a full 1536-pixel frame, 1.213"/px up to the 2021
  upgrade and 1.682"/px after it [seen, 2019-2024]; PIRATE's and the old
  cameras' are unknown and [assumed] here (:data:`OTHER_SCALE`); a smaller
  image is a binned frame, so its scale grows with ``1536 / size``;
- north up, east left, rotated by 0.27-0.94 degrees [seen] (drawn per job);
- the centre of the imaging area (the overscan strips left out) 14-42" from
  the requested position, mostly to the north [seen] (drawn per job).

The rotation and the pointing offset of a job depend on its id only, so a
test can ask :func:`frame_wcs` where a star of the job must be, and compare
a client's approximate WCS with it.  This module is part of the simulator
and imports nothing from the client.
"""
from __future__ import annotations

import hashlib
import math

from astropy.wcs import WCS

from .model import Job
from .headers import UPGRADE_2021

__all__ = ['FULL_FRAME', 'plate_scale', 'rotation_deg', 'pointing_offset', 'overscan_width',
           'frame_wcs', 'OTHER_SCALE', 'sky_box', 'to_pixels']

#: Pixels of a full frame [seen].
FULL_FRAME = 1536
#: COAST's plate scale before and after the 2021 upgrade ["/px, seen].
COAST_SCALES = (1.213, 1.682)
#: [assumed] the plate scale of the other telescopes ("/px): never recorded.
OTHER_SCALE = 0.9
#: The rotation's range in degrees [seen: 0.27-0.94].
ROTATION_RANGE = (0.27, 0.94)
#: The distance of the imaging area's centre from the requested position ["],
#: [seen: 14-42"].
OFFSET_RANGE = (14.0, 42.0)


def _unit(text: str) -> float:
    """A number in [0, 1) from ``text`` (stable across runs)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], 'little') / 2 ** 64


def overscan_width(size: int) -> int:
    """Width of the overscan strips: 32 pixels at 1536, scaled for smaller images."""
    return max(2, size // 48)


def plate_scale(job: Job, size: int) -> float:
    """Arc seconds per pixel of a ``size``-pixel image of the job."""
    if job.telescope_id == 6:
        base = COAST_SCALES[0] if job.completion_time < UPGRADE_2021 else COAST_SCALES[1]
    else:
        base = OTHER_SCALE
    return base * FULL_FRAME / size


def rotation_deg(job: Job) -> float:
    """The job's rotation (CROTA2 sense: +y turned from north towards west)."""
    low, high = ROTATION_RANGE
    return low + (high - low) * _unit(f'rotation:{job.jid}')


def pointing_offset(job: Job) -> tuple[float, float]:
    """(east, north) in arc seconds of the imaging area's centre from the
    requested position: 14-42" away, at 20-100 degrees from east through north."""
    low, high = OFFSET_RANGE
    distance = low + (high - low) * _unit(f'offset:{job.jid}')
    angle = math.radians(20 + 80 * _unit(f'direction:{job.jid}'))
    return distance * math.cos(angle), distance * math.sin(angle)


def frame_wcs(job: Job, size: int) -> WCS | None:
    """The true WCS of a ``size``-pixel frame of the job; None without a position."""
    if job.ra_deg is None or job.dec_deg is None:
        return None
    scale = plate_scale(job, size) / 3600
    rho = math.radians(rotation_deg(job))
    east, north = pointing_offset(job)
    dec = job.dec_deg + north / 3600
    ra = (job.ra_deg + east / 3600 / math.cos(math.radians(dec))) % 360
    centre = (size - overscan_width(size) + 1) / 2          # FITS pixels, 1-based
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ['RA---TAN', 'DEC--TAN']
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [centre, centre]
    wcs.wcs.cd = [[-scale * math.cos(rho), -scale * math.sin(rho)],
                  [-scale * math.sin(rho), scale * math.cos(rho)]]
    return wcs


def sky_box() -> float:
    """Side in arc seconds of the patch of sky a target's stars are drawn in: a
    little more than the widest full frame, whatever the image size."""
    return 1.1 * FULL_FRAME * max(COAST_SCALES[1], OTHER_SCALE)


def to_pixels(job: Job, size: int, east: object, north: object) -> tuple:
    """Pixel positions (x, y from the image's corner, continuous: pixel ``i``
    spans ``[i, i + 1)``) of points ``east``/``north`` arc seconds from the
    target in its tangent plane, through :func:`frame_wcs`."""
    import numpy as np
    wcs = frame_wcs(job, size)
    assert wcs is not None
    ref = WCS(naxis=2)
    ref.wcs.ctype = ['RA---TAN', 'DEC--TAN']
    ref.wcs.crval = [job.ra_deg, job.dec_deg]
    ref.wcs.crpix = [1, 1]              # pixel 0 (0-based) is the target
    ref.wcs.cd = [[-1 / 3600, 0], [0, 1 / 3600]]
    ra, dec = ref.wcs_pix2world(-np.asarray(east, float), np.asarray(north, float), 0)
    x, y = wcs.wcs_world2pix(ra, dec, 0)
    return x + 0.5, y + 0.5
