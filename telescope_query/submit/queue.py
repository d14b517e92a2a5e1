"""The account's queue as the Inbox listing shows it, and which listed request is which.

`read_queue` is the one call to the site here: the Inbox listing's records
(`telescope_query.listing.requests`). The rest is pure: `made_for` and
`find_new` recognise the request a submission made, `waiting_for` a
request already waiting for a target of a batch. The listing gives no
telescope, filter or exposure [seen], so requests are told apart by their
name, their position and their id. See ``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import astropy.units as u
from astropy.coordinates import SkyCoord

from .. import arguments, listing
from ..contract import Client
from ..protocol import site
from ..protocol.shapes import RequestRecord
from ..protocol.objectid import parse_objectid
from .plan import SubmissionPlan

__all__ = ['QueueEntry', 'read_queue', 'made_for', 'find_new', 'find_submitted',
           'waiting_for', 'completed_for', 'MATCH_RADIUS']

#: A waiting request this close to a target counts as the same target.
MATCH_RADIUS = 5 * u.arcsec


@dataclass(frozen=True)
class QueueEntry:
    """A request of the Inbox listing.

    Attributes
    ----------
    rid : int
        The request id.
    object_name : str
        The name shown in the listing.
    status : int or None
        The status code (None when the listing's is unreadable).
    object_id : str or None
        The site's ``objectid`` (``'HH:MM:SS.ss +DD:MM:SS.ss'`` for RADEC).
    position : tuple of float, or None
        RA and Dec in degrees, for a request by RA/Dec.
    """

    rid: int
    object_name: str
    status: int | None
    object_id: str | None = None
    position: tuple[float, float] | None = None

    @classmethod
    def from_record(cls, record: RequestRecord) -> QueueEntry | None:
        """The entry of a listing record; None for a record without a readable id."""
        rid = record['rid']
        if rid is None:
            return None
        object_id = record['object_id']
        radec = record['object_type'] in (None, 'RADEC')
        return cls(rid=rid, object_name=record['object_name'], status=record['status'],
                   object_id=object_id, position=parse_objectid(object_id) if radec else None)

    @property
    def queued(self) -> bool:
        """Still waiting (status below 8) [seen]."""
        return site.is_queued(self.status)

    @property
    def coord(self) -> SkyCoord | None:
        """The position; else the ``objectid`` as astropy reads it; else None."""
        if self.position is not None:
            return SkyCoord(self.position[0] * u.deg, self.position[1] * u.deg, frame='icrs')
        if self.object_id is None:
            return None
        try:
            return SkyCoord(self.object_id, unit=(u.hourangle, u.deg))
        except ValueError:
            return None


def read_queue(client: Client) -> list[QueueEntry]:
    """Every request of the Inbox, newest id first."""
    records = listing.requests(client, site.STANDARD_FOLDERS['inbox'], 'rid')
    entries = (QueueEntry.from_record(record) for record in records)
    return [entry for entry in entries if entry is not None]


# --- The request a submission made ---------------------------------------------------

def made_for(entry: QueueEntry, plan: SubmissionPlan) -> bool:
    """Whether a listed request is the one ``plan`` describes.

    The same object name (case and spaces ignored) and, when the listing
    gives one, the same ``objectid``.
    """
    if not arguments.same_name(entry.object_name, plan.object_name):
        return False
    return entry.object_id is None or entry.object_id == plan.object_id


def find_new(queue: Iterable[QueueEntry], plan: SubmissionPlan,
             before: set[int]) -> int | None:
    """The id of the first request of ``queue`` made for ``plan`` and not in ``before``.

    ``before`` holds the ids listed before the submission began: a matching
    request outside it can only have been made by this submission.
    """
    for entry in queue:
        if entry.rid not in before and made_for(entry, plan):
            return entry.rid
    return None


def find_submitted(client: Client, plan: SubmissionPlan, before: set[int]) -> int | None:
    """`find_new` in the queue as it is now (newest first)."""
    return find_new(read_queue(client), plan, before)


# --- A target already waiting ------------------------------------------------------

def waiting_for(queue: Iterable[QueueEntry], names: Iterable[str],
                coord: SkyCoord | None) -> QueueEntry | None:
    """A queued request under one of ``names``, else one within `MATCH_RADIUS` of ``coord``."""
    found = _for_target([entry for entry in queue if entry.queued], names, coord)
    return found[0] if found else None


def completed_for(queue: Iterable[QueueEntry], names: Iterable[str],
                  coord: SkyCoord | None, newest: int) -> list[QueueEntry]:
    """The ``newest`` completed requests (highest ids) of the target: its name, or
    within `MATCH_RADIUS` of ``coord``."""
    complete = sorted((entry for entry in queue if entry.status == site.STATUS_COMPLETE),
                      key=lambda entry: entry.rid, reverse=True)
    return _for_target(complete, names, coord, every=True)[:newest]


def _for_target(entries: list[QueueEntry], names: Iterable[str], coord: SkyCoord | None,
                *, every: bool = False) -> list[QueueEntry]:
    """The entries of the target: by name first, then by position (``every``: all
    entries matching either way, in their order)."""
    names = list(names)
    by_name = [entry for entry in entries
               if any(arguments.same_name(entry.object_name, name) for name in names)]
    if by_name and not every:
        return by_name[:1]
    near = []
    if coord is not None:
        for entry in entries:
            position = entry.coord
            if position is not None and position.separation(coord) <= MATCH_RADIUS:
                near.append(entry)
    if not every:
        return near[:1]
    chosen = {entry.rid for entry in by_name + near}
    return [entry for entry in entries if entry.rid in chosen]
