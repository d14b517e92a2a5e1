"""The simulator's data model: status codes, telescopes, filters, and the
records (:class:`Folder`, :class:`Request`, :class:`Job`) an archive holds.

Records are frozen: a state change replaces them, so a reader never sees one
half-updated.  Times are Unix seconds (UTC).

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass

from . import catalog

__all__ = ['STATUS_TEXTS', 'QUEUED_STATUSES', 'COMPLETE', 'NEVER_RISES', 'TELESCOPES',
           'TELESCOPE_TYPES', 'FILTERS', 'FILTER_PLANES', 'MAX_EXPOSURE_MS',
           'MIN_EXPOSURE_MS', 'DEFAULT_QUEUE_LIMIT', 'QUEUE_ROOM', 'COAST_ERA', 'DAY',
           'YEAR', 'Folder', 'Request', 'Job', 'QueueFullError', 'never_rises',
           'month_flat_id']

STATUS_TEXTS: dict[int, str] = {
    1: 'New', 2: 'New, allocated', 3: 'Waiting', 4: 'In progress', 5: 'Reallocate',
    6: 'Waiting again', 7: 'Complete on site', 8: 'Complete', 9: 'Hold', 10: 'Frozen',
    20: 'Expired', 21: 'Expired w/CJobs', 22: 'Cancelled', 23: 'Cancelled w/CJobs',
    24: 'Invalid', 25: 'Never rises', 26: 'Other error',
}
#: Codes below 8 are still in the queue.
QUEUED_STATUSES = frozenset(code for code in STATUS_TEXTS if code < 8)
COMPLETE = 8
NEVER_RISES = 25

#: The "Telescope Name" of each telescope id (request views).  For the old
#: Bradford cameras it is [assumed] to be the camera's name.
TELESCOPES: dict[int, str] = {1: 'Constellation', 2: 'Galaxy', 3: 'Cluster', 5: 'Planet',
                              6: 'COAST', 7: 'PIRATE'}
#: The "Telescope Type Name" of each telescope id (request and job views):
#: ``Galaxy`` for today's COAST and PIRATE [seen], the camera's own name for
#: the old Bradford cameras.
TELESCOPE_TYPES: dict[int, str] = {1: 'Constellation', 2: 'Galaxy', 3: 'Cluster',
                                   5: 'Planet', 6: 'Galaxy', 7: 'Galaxy'}

#: Filter names each telescope takes; the first is its three-colour filter
#: where it has one.
FILTERS: dict[int, tuple[str, ...]] = {
    1: ('Colour', 'Clear'),
    2: ('BVR', 'B', 'V', 'R', 'Clear'),
    3: ('Colour', 'Clear'),
    5: ('Colour', 'Clear'),
    # The standard four, then the others in use on both [seen on public jobs'
    # views, 2020-2023]; that the basket takes these spellings is [assumed].
    6: ('BVR', 'B', 'V', 'R', 'Clear', 'HAlpha', 'Luminance', 'SHO'),
    7: ('Colour', 'Blue', 'Green', 'Red', 'Clear', 'HAlpha', 'Luminance', 'SHO'),
}

#: The image planes (cube) or files (zip) a filter choice produces, in the
#: order they are stored and taken: R, V, B as recorded (PIRATE's likewise).
FILTER_PLANES: dict[str, tuple[str, ...]] = {
    'BVR': ('R', 'V', 'B'),
    'Colour': ('Red', 'Green', 'Blue'),
    'SHO': ('SII', 'Halpha', 'OIII'),     # the planes' FITS spelling [seen: J350019]
}

#: Exposure limits in milliseconds, per telescope.  180 s is COAST's maximum
#: [seen: "180s is max exp"]; PIRATE's is [assumed] the same; the old
#: cameras' limits are [assumed].
MAX_EXPOSURE_MS: dict[int, int] = {1: 120000, 2: 300000, 3: 300000, 5: 10000,
                                   6: 180000, 7: 180000}
MIN_EXPOSURE_MS: dict[int, int] = {1: 100, 2: 100, 3: 100, 5: 1, 6: 100, 7: 100}

#: Requests an account may have in the queue (status < 8) unless told
#: otherwise [seen: 10 for a standard account on the site's FAQ, and the
#: original author's batch of November 2024 stopped at 10].
DEFAULT_QUEUE_LIMIT = 10
#: Free places a generated history leaves in its account's queue.
QUEUE_ROOM = 5

# COAST and PIRATE are in service from 2017 on (Unix seconds of 2017-01-01).
COAST_ERA = calendar.timegm((2017, 1, 1, 0, 0, 0))
DAY = 86400
YEAR = 365.25 * DAY


class QueueFullError(Exception):
    """A submission beyond the account's queue limit (nothing was created)."""


def never_rises(dec_deg: float | None) -> bool:
    """True for a declination that never rises at Teide (below about -61.7 deg)."""
    return dec_deg is not None and dec_deg < catalog.TEIDE_LATITUDE - 90.0


@dataclass(frozen=True, slots=True)
class Folder:
    """A request folder of one user; ``creation_time`` 0 for the four built-in ones."""

    folder_id: int
    name: str
    creation_time: int


@dataclass(frozen=True, slots=True)
class Request:
    """One observation request of a user.  Times are Unix seconds."""

    rid: int
    owner: str
    object_name: str
    object_type: str
    object_id: str
    ra_deg: float | None
    dec_deg: float | None
    telescope_id: int
    filter_type: str
    exposure_ms: int
    dark_frame: bool
    status: int
    request_time: int
    completion_time: int          # 0 when not complete
    comments: str
    folder_id: int                # secondary folder; 1 = Inbox only
    jid: int | None
    # Whether the owner has opened the request's view since its state last
    # changed (a submission, a completion): the listing's "seen".
    seen: bool = True


@dataclass(frozen=True, slots=True)
class Job:
    """One telescope job: the exposure that served one or more requests."""

    jid: int
    rids: list[int]
    owner: str | None
    public: bool
    object_name: str
    object_type: str
    object_id: str
    ra_deg: float | None
    dec_deg: float | None
    telescope_id: int
    filter_type: str
    exposure_ms: int
    completion_time: int
    success: bool
    flat_id: int | None
    # Completion minus the first frame's DATE-OBS, where a record gives it
    # (None: the products' rule, headers.frame_times).
    frame_lead: float | None = None
    # When the job was allocated (Unix seconds; 0 when unknown): job ids grow
    # with it, not with the completion [seen].
    allocation_time: int = 0


def month_flat_id(telescope_id: int, filter_type: str, when: float) -> int:
    """A flat-field id: one flat series per telescope and filter, renewed monthly.

    [assumed]: how the site numbers its flats (the ids seen: 24 in December
    2020, 26 in August 2021, 28 in September 2022, 30 in December 2023, 31 in
    November 2024).
    """
    month = int(when // (30 * DAY))
    return 1 + (month * 7 + telescope_id * 3 + len(filter_type)) % 60
