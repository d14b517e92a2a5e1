"""Facts about telescope.org itself: telescopes, filters, statuses, limits, the site.

Every fact of this kind has its home here, and the rest of the package reads it
from here. Each is marked as ``docs/protocol.rst`` explains: [seen] in the live
site's recorded answers, or [assumed] (a reasonable guess the client must not
depend on). No I/O, no configuration: where a limit can be changed by the user
(PIRATE's exposure, the queue), ``telescope_query.conf`` holds the setting and
this module its default.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = ['STATUS_TEXTS', 'STATUS_COMPLETE', 'FINAL_STATUSES', 'is_queued', 'status_text', 'status_code',
           'TELESCOPE_IDS', 'TELESCOPE_NAMES', 'IN_SERVICE', 'TODAYS_TELESCOPE_TYPE',
           'STANDARD_FILTERS', 'OTHER_FILTERS', 'FILTER_PLANES', 'MAX_EXPOSURE_S', 'MIN_EXPOSURE_S',
           'DEFAULT_QUEUE_LIMIT', 'LISTING_SORTS', 'STANDARD_FOLDERS', 'SITE_LATITUDE', 'SITE_LONGITUDE',
           'SITE_HEIGHT', 'NEVER_RISES_BELOW_DEC', 'ARCHIVE_START']
__all__ += ['Optics', 'OPTICS', 'OPTICS_UPGRADE_2021', 'DETECTOR_PIXELS', 'OVERSCAN_PIXELS',
            'ROTATION_RANGE_DEG', 'ROTATION_DEG', 'POINTING_ERROR_ARCSEC', 'TELESCOP_WORDS',
            'POINTING_KEYWORDS', 'overscan_width']

#: Request status codes and texts [seen].
STATUS_TEXTS: dict[int, str] = {
    1: 'New', 2: 'New, allocated', 3: 'Waiting', 4: 'In progress', 5: 'Reallocate',
    6: 'Waiting again', 7: 'Complete on site', 8: 'Complete', 9: 'Hold', 10: 'Frozen',
    20: 'Expired', 21: 'Expired w/CJobs', 22: 'Cancelled', 23: 'Cancelled w/CJobs',
    24: 'Invalid', 25: 'Never rises', 26: 'Other error',
}
#: The only status with a job and images [seen].
STATUS_COMPLETE = 8
#: Statuses a request never leaves: complete, and the ends without images
#: (expired, cancelled, invalid, never rises, other error).
FINAL_STATUSES = frozenset({STATUS_COMPLETE, 20, 21, 22, 23, 24, 25, 26})


def is_queued(code: int | None) -> bool:
    """Codes below 8 are still in the queue [seen]."""
    return code is not None and code < STATUS_COMPLETE


def status_text(code: int | None) -> str:
    """The text of a request status code; unknown codes say so."""
    if code is None:
        return 'Unknown'
    return STATUS_TEXTS.get(code, f'Unknown status {code}')


def status_code(text: str) -> int | None:
    """The code of a status text (case and spacing ignored), None when unknown."""
    wanted = ' '.join(text.split()).lower()
    for code, name in STATUS_TEXTS.items():
        if name.lower() == wanted:
            return code
    return None


#: ``telescopeid`` values, also the camera selector of the job search [seen].
TELESCOPE_IDS: dict[str, int] = {'constellation': 1, 'galaxy': 2, 'cluster': 3,
                                 'planet': 5, 'coast': 6, 'pirate': 7}
#: Display names of the ids.
TELESCOPE_NAMES: dict[int, str] = {1: 'Constellation', 2: 'Galaxy', 3: 'Cluster',
                                   5: 'Planet', 6: 'COAST', 7: 'PIRATE'}
#: The telescopes that take requests since 2017; the others are the retired
#: cameras of the Bradford Robotic Telescope, seen only on old jobs.
IN_SERVICE: tuple[str, ...] = ('COAST', 'PIRATE')
#: What views show as ``Telescope Type Name`` for COAST and PIRATE [seen]: a job
#: view alone therefore does not tell the two apart; a request view's
#: ``Telescope Name`` does.
TODAYS_TELESCOPE_TYPE = 'Galaxy'

#: The same four filters under each telescope's own names [seen], in the same
#: order (three colours, blue, green or V, red): the client translates between them.
STANDARD_FILTERS: dict[str, tuple[str, ...]] = {
    'COAST': ('BVR', 'B', 'V', 'R'),
    'PIRATE': ('Colour', 'Blue', 'Green', 'Red'),
}
#: Other filters on both telescopes [seen on public jobs' views, 2020-2023]. Their
#: spelling in the basket is [assumed] to be the views'; ``SHO`` is the 2017
#: pipeline's name of the narrowband three-colour product.
OTHER_FILTERS: tuple[str, ...] = ('Clear', 'HAlpha', 'Luminance', 'SHO')
#: The planes (cube) or files (zip) of a three-colour filter [seen].
FILTER_PLANES: dict[str, tuple[str, ...]] = {
    'BVR': ('B', 'V', 'R'), 'Colour': ('Blue', 'Green', 'Red'),
    'SHO': ('SII', 'Halpha', 'OIII'),
}

#: Longest exposure in seconds [seen for COAST: "180s is max exp", Dec 2023];
#: PIRATE's is unknown and [assumed] the same (``conf.pirate_max_exposure``).
MAX_EXPOSURE_S: dict[str, float] = {'COAST': 180.0, 'PIRATE': 180.0}

#: Shortest exposure in seconds: the site's is unknown; [assumed] 0.1 s (the
#: shortest the cameras' old request forms offered was in that range).
MIN_EXPOSURE_S = 0.1

#: Requests a standard account may have in the queue [seen on the FAQ; a
#: professional account 40]: ``conf.queue_limit``.
DEFAULT_QUEUE_LIMIT = 10

#: The sort orders of a listing [seen].
LISTING_SORTS = ('rid', 'object', 'completion')

#: Folders 1-4 exist for every user [seen].
STANDARD_FOLDERS: dict[str, int] = {'inbox': 1, 'favourites': 2, 'archive': 3, 'trash': 4}

#: The Observatorio del Teide.
SITE_LATITUDE = 28.30      # degrees north
SITE_LONGITUDE = -16.51    # degrees east
SITE_HEIGHT = 2390.0       # metres
#: A target south of this declination never rises there (status 25 exists for it).
NEVER_RISES_BELOW_DEC = SITE_LATITUDE - 90.0

#: No job of the site can be older than this [assumed]: the site's own history
#: page says its first telescope (Bradford's, at Oxenhope) was "the first robot
#: on the Web in December 1993"; today's archive began with the Tenerife
#: telescope of 2004, as far as can be told. The oldest dates in the recorded
#: outputs are later: a folder created 2014-08-05 and job J295541, completed
#: 2017-07-14 [seen]. The job search refuses times before it.
ARCHIVE_START = datetime(1993, 12, 1, tzinfo=timezone.utc)

# Not sent by telescope.org: a server that names its archive in this header of
# its login answer (the simulator does, new for every instance) gets a cache of
# its own, so that another archive answering at the same address later (a
# simulator restarted with other settings) is never served the first one's
# views or products. Without it, the cache is per address.
ARCHIVE_ID_HEADER = 'X-Archive-Id'

# --- Optics and frame times of the image products (PROTOCOL.md section 4) -----
# From the plate solutions of real COAST frames in the recorded outputs (listed
# in docs/protocol.rst, "The FITS products"); the approximate WCS of
# `telescope_query.images.wcs` is built from these facts only.

@dataclass(frozen=True)
class Optics:
    """The plate scale of one telescope over a range of dates.

    ``start``/``end``: the range this row applies to (None: open). ``seen``:
    the dates of the first and last frame whose plate solution gave the
    scale [seen]; a frame outside them gets the scale with a note that it is
    [assumed] for its date.
    """

    telescope: str
    start: datetime | None
    end: datetime | None
    scale_arcsec: float
    seen: tuple[datetime, datetime]


#: [assumed] the date of the 2021 upgrade (COAST became a PlaneWave CDK17 with
#: an FLI camera): the recorded scale changed between the frames of
#: 2020-12-22 and 2022-09-10; its date is not recorded.
OPTICS_UPGRADE_2021 = datetime(2021, 7, 1, tzinfo=timezone.utc)

#: The plate scale by telescope and date [seen: plate solutions of COAST
#: frames, 1.2124-1.2139"/px from 2019-11-27 to 2020-12-22, 1.6782-1.6827"/px
#: from 2022-09-10 to 2024-11-11]. PIRATE's is unknown: no solution recorded.
OPTICS: tuple[Optics, ...] = (
    Optics('COAST', None, OPTICS_UPGRADE_2021, 1.213,
           (datetime(2019, 11, 27, tzinfo=timezone.utc),
            datetime(2020, 12, 22, tzinfo=timezone.utc))),
    Optics('COAST', OPTICS_UPGRADE_2021, None, 1.682,
           (datetime(2022, 9, 10, tzinfo=timezone.utc),
            datetime(2024, 11, 11, tzinfo=timezone.utc))),
)

#: Width and height of a full frame in pixels, and the overscan strips along
#: its last columns and rows [seen: 1536 x 1536, 32 rows and columns]. The
#: scale above is a full frame's; a smaller frame is [assumed] binned by
#: ``DETECTOR_PIXELS / NAXIS1``.
DETECTOR_PIXELS = 1536
OVERSCAN_PIXELS = 32

#: Orientation of COAST frames [seen]: north up, east left in FITS pixel order
#: (CD1_1 < 0, CD2_2 > 0), rotated by 0.27-0.94 degrees (CROTA2 sense: the
#: +y axis turned from north towards west); the approximate WCS uses the
#: middle of the range. One frame of December 2020 solved rotated by 179
#: degrees (south up) [seen].
ROTATION_RANGE_DEG = (0.27, 0.94)
ROTATION_DEG = 0.6

#: How far the approximate WCS may be off [seen]: the centre of a frame's
#: imaging area (overscan cropped) lay 14-42" from the requested position,
#: and the header's pointing is that position truncated to whole seconds
#: (up to 15" in RA); about one minute of arc in all.
POINTING_ERROR_ARCSEC = 60.0

#: What the first word of ``TELESCOP`` says about the telescope [seen
#: indirectly: the original author's COAST frames of 2017-2024 all had one of
#: ``galaxy``, ``coast``, ``10micron``, ``cdk17`` or ``pirate``]; other words
#: (``undefined``, ``BRT <camera>``...) name no telescope.
TELESCOP_WORDS: dict[str, str] = {'coast': 'COAST', 'cdk17': 'COAST', '10micron': 'COAST',
                                  'galaxy': 'COAST', 'pirate': 'PIRATE'}

#: Header keywords of the pointing, in the order a reader trusts them [seen:
#: the original author's plate solver read them in this order].
POINTING_KEYWORDS: tuple[tuple[str, str], ...] = (
    ('OBJCTRA', 'OBJCTDEC'), ('MNTRA', 'MNTDEC'), ('RA-TEL', 'DEC-TEL'))


def overscan_width(size: int) -> int:
    """Overscan pixels along one axis of ``size`` pixels: `OVERSCAN_PIXELS` of a
    full frame, scaled for a smaller (binned) one and rounded up; 0 below 2 px."""
    return math.ceil(size * OVERSCAN_PIXELS / DETECTOR_PIXELS) if size >= 2 else 0
