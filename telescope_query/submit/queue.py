"""The account's queue as the Inbox listing shows it, and which listed request is which.

`read_queue` is the one call to the site here: the Inbox listing's records
(`telescope_query.listing.requests`). The rest is pure: `likeness` and
`find_new` recognise the request a submission made, `waiting_for` a
request already waiting for a target of a batch. The listing gives no
telescope, filter or exposure [seen], so requests are told apart by their
name, their position and their id. See ``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Iterable

import astropy.units as u
from astropy.coordinates import SkyCoord

from .. import arguments, listing
from ..contract import Client
from ..protocol import site
from ..protocol.shapes import RequestRecord
from ..protocol.objectid import parse_objectid
from .never_twice import Found, NotFound, Unsure
from .plan import SubmissionPlan

__all__ = ['QueueEntry', 'read_queue', 'Likeness', 'same_object_name', 'likeness',
           'find_new', 'find_submitted', 'waiting_for', 'completed_for',
           'MATCH_RADIUS']

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


# --- How the listing spells what was sent ---------------------------------------------

# PROTOCOL.md 2 [seen]: listed names may carry a suffix, as 'T CrB_M' beside
# 'T CrB'; whether the site adds it is not recorded. A listed name that is the
# sent one with such a suffix counts as the same name.
_NAME_SUFFIX = re.compile(r'_[A-Za-z0-9]{1,8}$')

# A position written as the site does ('21:55:57.03 +48:20:52.52'), with any
# number of decimals, or with the separators people use (spaces, h m s, d ' ").
_POSITION = re.compile(
    r"^\s*(\d{1,2})\s*[:hH\s]\s*(\d{1,2})\s*[:mM\s]\s*(\d{1,2})(?:\.(\d*))?\s*[sS]?\s+"
    r"([+-]?)\s*(\d{1,2})\s*[:dD°\s]\s*(\d{1,2})\s*[:mM'′\s]\s*(\d{1,2})(?:\.(\d*))?"
    r"\s*[\"″sS]?\s*$")
# The objectid sent has two decimals: a listing is never asked to be closer than that.
_SENT_UNIT = 0.01


def same_object_name(listed: str, sent: str) -> bool:
    """Whether a listed name is the name that was sent.

    Case and spacing do not count (`telescope_query.arguments.same_name`),
    nor a suffix such as ``'_M'`` after it (``'T CrB_M'`` listed is
    ``'T CrB'`` sent). The other way round does not hold: ``'T CrB'`` listed
    is not ``'T CrB_M'`` sent.
    """
    if arguments.same_name(listed, sent):
        return True
    text = str(listed).strip()
    suffix = _NAME_SUFFIX.search(text)
    return suffix is not None and arguments.same_name(text[:suffix.start()], sent)


def _listed_position(text: str | None) -> tuple[float, float, float, float] | None:
    """RA, Dec, and how precisely the text gives each (one unit of its last
    decimal), all in degrees; None when the text is not such a position."""
    found = _POSITION.match(text) if text else None
    if found is None:
        return None
    h, m, s, s_decimals, sign, d, dm, ds, ds_decimals = found.groups()
    ra_seconds = int(h) * 3600 + int(m) * 60 + int(s) + float(f'0.{s_decimals or 0}')
    dec_arcsec = int(d) * 3600 + int(dm) * 60 + int(ds) + float(f'0.{ds_decimals or 0}')
    if not (ra_seconds < 86400 and dec_arcsec <= 90 * 3600):
        return None
    ra_unit = max(10.0 ** -len(s_decimals or ''), _SENT_UNIT)     # seconds of time
    dec_unit = max(10.0 ** -len(ds_decimals or ''), _SENT_UNIT)   # arcseconds
    dec = dec_arcsec / 3600 * (-1 if sign == '-' else 1)
    return ra_seconds / 240, dec, ra_unit / 240, dec_unit / 3600


class Likeness(enum.Enum):
    """How a listed request compares with a plan."""

    SAME = 'the same request'
    PERHAPS = 'perhaps the same request'
    OTHER = 'another request'


def likeness(entry: QueueEntry, plan: SubmissionPlan) -> Likeness:
    """Whether a listed request is the one ``plan`` describes.

    `SAME`: the same name (`same_object_name`) at the same position, to the
    precision the listing writes it (one unit of its last decimal: a listing
    with fewer decimals still matches), or with no position at all (a
    listing without ``objectid``, which the client does not rely on).
    `PERHAPS`: the same name at a position within `MATCH_RADIUS` but not
    the same, or that cannot be read; or another name at the same position.
    `OTHER` otherwise.
    """
    named = same_object_name(entry.object_name, plan.object_name)
    where = _where(entry, plan)
    if named and where in ('same', 'not given'):
        return Likeness.SAME
    if where == 'same' or (named and where in ('near', 'unreadable')):
        return Likeness.PERHAPS
    return Likeness.OTHER


def _where(entry: QueueEntry, plan: SubmissionPlan) -> str:
    """The listed position against the plan's: same, near, far, unreadable or not given."""
    if not (entry.object_id or '').strip():
        return 'not given'
    listed = _listed_position(entry.object_id)
    sent = parse_objectid(plan.object_id)
    if listed is not None and sent is not None:
        ra, dec, ra_unit, dec_unit = listed
        ra_off = (ra - sent[0] + 180) % 360 - 180
        # The allowance beyond one unit only absorbs the floats' rounding.
        if abs(ra_off) <= ra_unit * 1.001 and abs(dec - sent[1]) <= dec_unit * 1.001:
            return 'same'
    position = entry.coord
    if position is None:
        return 'unreadable'
    return 'near' if position.separation(plan.coord) <= MATCH_RADIUS else 'far'


# --- The request a submission made ---------------------------------------------------

def find_new(queue: Iterable[QueueEntry], plan: SubmissionPlan,
             before: set[int]) -> Found | NotFound | Unsure:
    """What ``queue`` shows of a request made for ``plan`` and not in ``before``.

    ``before`` holds the ids listed before the submission began: a request
    outside it is new. `Found` when exactly one new request is the same
    (`likeness`) and none perhaps the same; `NotFound` when none is either;
    otherwise `Unsure`, naming them: the caller must then not send again.
    """
    new = [(entry, likeness(entry, plan)) for entry in queue if entry.rid not in before]
    sure = [entry for entry, like in new if like is Likeness.SAME]
    doubtful = [entry for entry, like in new if like is Likeness.PERHAPS]
    if len(sure) == 1 and not doubtful:
        return Found(sure[0].rid)
    if not sure and not doubtful:
        return NotFound()
    shown = ', '.join(f"R{entry.rid} ({entry.object_name!r} at "
                      f"{entry.object_id or 'a position not given'})"
                      for entry in sure + doubtful)
    if len(sure) + len(doubtful) == 1:
        return Unsure(f"a new request that may be it but does not surely match: {shown}")
    return Unsure(f"new requests that may be it, none surely the one: {shown}")


def find_submitted(client: Client, plan: SubmissionPlan,
                   before: set[int]) -> Found | NotFound | Unsure:
    """`find_new` in the queue as it is now (newest first)."""
    return find_new(read_queue(client), plan, before)


# --- A target already waiting ------------------------------------------------------

def waiting_for(queue: Iterable[QueueEntry], names: Iterable[str],
                coord: SkyCoord | None) -> QueueEntry | None:
    """A queued request under one of ``names`` (`same_object_name`), else one within `MATCH_RADIUS` of ``coord``."""
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
               if any(same_object_name(entry.object_name, name) for name in names)]
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
