"""The simulator's synthetic accounts, folders, requests and jobs.

An :class:`Archive` is generated deterministically from ``(seed, accounts,
requests_per_account, now)``: every account gets a history that looks like a
real user's (years of requests on the old cameras and on COAST and PIRATE,
statuses over the whole status table, jobs serving several requests, flat
fields, a few completions in the last two days), and synthetic other users
add public jobs for the job search.

Folder membership model
-----------------------
Every request is in the Inbox (folder 1): the Inbox count equals the number
of the user's requests, as on the live site.  Each request also has one
``folder_id``: 1 when it lives only in the Inbox, else the one other folder
it was filed in (3 Archive, 4 Trash, or the user's own folder, id >= 100).
Favourites (2) is empty in a generated archive, so its count is 0 (the
server shows ``null``).

The seed documentation's records
--------------------------------
The account named ``demo`` (and only an account of that name) also carries
the real records that the original library's documentation shows
(``seed-telescope-api.txt``), with their literal ids, so that its examples
run unchanged: requests 766264-767380 (ten variable stars, status 8, jobs
418581-419547, completed 4-8 November 2024) and request 706248 (job 369256,
22 December 2020), with the exposures and comments of the author's recorded
requests, and the recorded request 771144 (LX Cyg, job 422672, 11 November
2024), see :data:`SEED_REQUESTS`.  Other users' public jobs 423183
(requests 771716 and 771970, M109) to 423342 are the six jobs that the
documented job search of 17/11/24 16:00 - 18/11/24 16:00:59 finds
(:data:`SEED_SEARCH_WINDOW`); no generated job completes in that window.
Job 336896 (EQ Lyr, 18 June 2019 23:45:04 UTC) is another user's public job:
its view shows the recorded summer date slip (19 June).  These records are
added whatever ``requests_per_account`` is, once the archive's ``now``
reaches :data:`SEED_EPOCH` (18 November 2024, 06:24:20 UTC); ``demo``'s
history is then ``requests_per_account`` requests of which twelve are the
seed's (twelve when it asks for fewer).  Generated ids skip theirs.
Generated ids grow with time; the seed's keep their real values.

Objects handed out (:class:`Folder`, :class:`Request`, :class:`Job`) are
frozen: a state change (``complete_queue``) replaces them, so a reader never
sees one half-updated.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import bisect
import calendar
import hmac
import random
import threading
import time
from dataclasses import dataclass, replace
from typing import Mapping

from . import catalog
from .catalog import Target

__all__ = ['STATUS_TEXTS', 'QUEUED_STATUSES', 'TELESCOPES', 'TELESCOPE_TYPES', 'FILTERS',
           'FILTER_PLANES', 'MAX_EXPOSURE_MS', 'MIN_EXPOSURE_MS', 'DEFAULT_QUEUE_LIMIT',
           'QUEUE_ROOM', 'Folder', 'Request', 'Job', 'Archive', 'QueueFullError',
           'never_rises', 'month_flat_id', 'SEED_ACCOUNT', 'SEED_REQUESTS', 'SEED_JOBS',
           'SEED_EPOCH', 'SEED_SEARCH_WINDOW']

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
    6: ('BVR', 'B', 'V', 'R'),
    7: ('Colour', 'Blue', 'Green', 'Red'),
}

#: The image planes (cube) or files (zip) a filter choice produces, in the
#: order they are stored and taken: R, V, B as recorded (PIRATE's likewise).
FILTER_PLANES: dict[str, tuple[str, ...]] = {
    'BVR': ('R', 'V', 'B'),
    'Colour': ('Red', 'Green', 'Blue'),
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
HISTORY_YEARS = 10
FIRST_RID = 700000
FIRST_JID = 400000
FIRST_FOLDER = 400


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


class Archive:
    """Synthetic telescope.org accounts with their folders, requests and jobs.

    Parameters
    ----------
    accounts : mapping of str to str
        User name to password.
    requests_per_account : int
        Size of each account's generated history.
    seed : int
        Seed of the generation; the archive is a function of
        ``(seed, accounts, requests_per_account, now)``.
    now : float, optional
        Unix time the archive is anchored to (default: the time of
        construction).  The archive's clock, :meth:`current_time`, runs on
        from it.
    queue_limits : mapping of str to int, optional
        Requests each named account may have in the queue (status < 8);
        :data:`DEFAULT_QUEUE_LIMIT` (10) for the others.  A generated history
        leaves :data:`QUEUE_ROOM` (5) places free.  Change it at run time
        with :meth:`set_queue_limit`.

    Notes
    -----
    All methods are thread-safe (one re-entrant lock, ``archive.lock``).
    """

    def __init__(self, accounts: Mapping[str, str], *, requests_per_account: int = 2000,
                 seed: int = 1, now: float | None = None,
                 queue_limits: Mapping[str, int] | None = None) -> None:
        self.lock = threading.RLock()
        self.now: float = time.time() if now is None else float(now)
        self.seed = seed
        self.requests_per_account = requests_per_account
        self._started = time.monotonic()
        self._passwords = dict(accounts)
        self._queue_limits: dict[str, int] = {}
        for user, limit in (queue_limits or {}).items():
            self.set_queue_limit(user, limit)
        self._folders: dict[str, list[Folder]] = {}
        self._requests: dict[str, dict[int, Request]] = {}
        self._jobs: dict[int, Job] = {}
        # Public successful jobs as (completion_time, jid), sorted, for search.
        self._searchable: list[tuple[int, int]] = []
        _Generator(self).run()
        self._next_rid = max((rid for reqs in self._requests.values() for rid in reqs),
                             default=FIRST_RID) + 1
        for job in self._jobs.values():
            self._next_rid = max(self._next_rid, max(job.rids, default=0) + 1)
        self._next_jid = max(self._jobs, default=FIRST_JID) + 1

    #: Whether a declination never rises at Teide (the module's `never_rises`).
    never_rises = staticmethod(never_rises)

    def __repr__(self) -> str:
        return (f'<Archive users={self.users()} requests_per_account='
                f'{self.requests_per_account} seed={self.seed}>')

    # -- accounts and clock ---------------------------------------------------------
    def current_time(self) -> float:
        """The archive's clock: ``now`` plus the time elapsed since construction."""
        return self.now + (time.monotonic() - self._started)

    def users(self) -> list[str]:
        """Names of the accounts."""
        return list(self._passwords)

    def queue_limit(self, user: str) -> int:
        """How many requests ``user`` may have in the queue (status < 8)."""
        return self._queue_limits.get(user, DEFAULT_QUEUE_LIMIT)

    def set_queue_limit(self, user: str, limit: int) -> None:
        """Let ``user`` have ``limit`` requests in the queue (from the next submission).

        Requests already queued beyond a lowered limit stay; new ones are
        refused until the queue is shorter than the limit.
        """
        if user not in self._passwords:
            raise KeyError(f'no such account: {user!r}')
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValueError(f'a queue limit is an integer >= 0, not {limit!r}')
        with self.lock:
            self._queue_limits[user] = limit

    def queued(self, user: str) -> int:
        """Number of the user's requests in the queue (status < 8)."""
        with self.lock:
            return sum(r.status in QUEUED_STATUSES for r in self._requests[user].values())

    def check_password(self, user: str, password: str) -> bool:
        """Whether ``password`` is the password of ``user`` (False for unknown users)."""
        expected = self._passwords.get(user)
        if expected is None or not isinstance(password, str):
            return False
        return hmac.compare_digest(expected.encode(), password.encode())

    # -- folders and requests -------------------------------------------------------
    def folders(self, user: str) -> list[Folder]:
        """The user's folders: 1 Inbox, 2 Favourites, 3 Archive, 4 Trash, then own ones."""
        with self.lock:
            return list(self._folders[user])

    def folder_count(self, user: str, folder_id: int) -> int:
        """Number of requests in one of the user's folders (0 when empty or unknown)."""
        return len(self.requests(user, folder_id))

    def requests(self, user: str, folder_id: int | None = None) -> list[Request]:
        """The user's requests in a folder, by ascending rid.

        The Inbox (1), and ``None``, give every request of the user; any other
        folder gives the requests filed in it (see the module's membership model).
        """
        with self.lock:
            own = self._requests[user]
            if folder_id is None or folder_id == 1:
                return list(own.values())
            return [r for r in own.values() if r.folder_id == folder_id]

    def request(self, user: str, rid: int) -> Request | None:
        """The user's request ``rid``, or None (also for another user's request)."""
        with self.lock:
            return self._requests.get(user, {}).get(rid)

    def mark_seen(self, user: str, rid: int) -> Request | None:
        """The owner opened the request's view: it is ``seen`` until its next change.

        Returns the request as it is now, or None for no such request of the user.
        """
        with self.lock:
            req = self.request(user, rid)
            if req is not None and not req.seen:
                req = self._requests[user][rid] = replace(req, seen=True)
            return req

    # -- jobs -----------------------------------------------------------------------
    def job(self, jid: int) -> Job | None:
        """Any job by id (of any user), or None."""
        with self.lock:
            return self._jobs.get(jid)

    def job_of_request(self, user: str, rid: int) -> Job | None:
        """The job that served the user's request ``rid``, or None."""
        with self.lock:
            req = self.request(user, rid)
            return None if req is None or req.jid is None else self._jobs.get(req.jid)

    def search_jobs(self, earliest: float, latest: float, telescope_id: int | None = None,
                    filter_type: str | None = None) -> list[Job]:
        """Public successful jobs of all users completed in ``[earliest, latest]``.

        Newest first; optionally only one telescope and/or one filter name.
        """
        with self.lock:
            lo = bisect.bisect_left(self._searchable, (earliest, -1))
            hi = bisect.bisect_right(self._searchable, (latest, float('inf')))
            found = []
            for _, jid in reversed(self._searchable[lo:hi]):
                job = self._jobs[jid]
                if telescope_id is not None and job.telescope_id != telescope_id:
                    continue
                if filter_type and job.filter_type != filter_type:
                    continue
                found.append(job)
            return found

    # -- the living queue -----------------------------------------------------------
    def add_request(self, user: str, *, object_name: str, object_type: str,
                    object_id: str, ra_deg: float | None, dec_deg: float | None,
                    telescope_id: int, filter_type: str, exposure_ms: int,
                    dark_frame: bool, comments: str) -> Request:
        """Queue a new request (status 3, Waiting) in the user's Inbox.

        Raises
        ------
        KeyError
            For an unknown account.
        QueueFullError
            When the user's queue already holds :meth:`queue_limit` requests.
        """
        with self.lock:
            if user not in self._requests:
                raise KeyError(f'no such account: {user!r}')
            if self.queued(user) >= self.queue_limit(user):
                raise QueueFullError(f'{user!r} has {self.queued(user)} requests in the '
                                     f'queue, the limit is {self.queue_limit(user)}')
            req = Request(
                rid=self._next_rid, owner=user, object_name=object_name,
                object_type=object_type, object_id=object_id, ra_deg=ra_deg,
                dec_deg=dec_deg, telescope_id=int(telescope_id), filter_type=filter_type,
                exposure_ms=int(exposure_ms), dark_frame=bool(dark_frame), status=3,
                request_time=int(self.current_time()), completion_time=0,
                comments=comments, folder_id=1, jid=None, seen=False)
            self._next_rid += 1
            self._requests[user][req.rid] = req
            return req

    def complete_queue(self, user: str | None = None) -> list[tuple[int, int]]:
        """Complete every queued request (status below 8) of one user or of all.

        Requests for targets that never rise at Teide become status 25.  The
        others become status 8 with a new successful, public job with a flat
        field; queued requests of one user for the same target and settings
        share one job (as on the site).  Both changes make the request
        unseen.

        Job ids are handed out as the jobs are allocated, in the order of the
        requests; the telescope then observes them in order of right
        ascension ([assumed]: targets setting first), one second apart, the
        last one completing now.  So, as on the live site, jobs sorted by
        completion are not in id order.

        Returns
        -------
        list of (rid, jid)
            In the order the jobs were allocated.
        """
        with self.lock:
            now = int(self.current_time())
            users = [user] if user is not None else list(self._requests)
            groups: list[list[Request]] = []
            for name in users:
                own = self._requests[name]
                by_setup: dict[tuple, list[Request]] = {}
                for req in list(own.values()):
                    if req.status not in QUEUED_STATUSES:
                        continue
                    if never_rises(req.dec_deg):
                        own[req.rid] = replace(req, status=NEVER_RISES, seen=False)
                        continue
                    key = (req.object_name, req.object_type, req.object_id,
                           req.telescope_id, req.filter_type, req.exposure_ms)
                    by_setup.setdefault(key, []).append(req)
                groups += by_setup.values()
            # Allocation: ids in request order.  Observation: by right ascension.
            jids = {id(reqs): self._next_jid + index for index, reqs in enumerate(groups)}
            self._next_jid += len(groups)
            observed = sorted(groups, key=lambda reqs: (reqs[0].ra_deg is None,
                                                        reqs[0].ra_deg or 0.0))
            done: dict[int, list[tuple[int, int]]] = {}
            for position, reqs in enumerate(observed):
                # Never before a request was made (requests of the last seconds).
                completion = max(now - (len(observed) - 1 - position),
                                 max(r.request_time for r in reqs))
                job = self._complete(reqs, jids[id(reqs)], completion)
                done[job.jid] = [(r.rid, job.jid) for r in reqs]
            return [pair for jid in sorted(done) for pair in done[jid]]

    def _complete(self, reqs: list[Request], jid: int, completion: int) -> Job:
        """One new public job serving ``reqs`` (one user's), completed at ``completion``."""
        first = reqs[0]
        job = Job(jid=jid, rids=[r.rid for r in reqs], owner=first.owner, public=True,
                  object_name=first.object_name, object_type=first.object_type,
                  object_id=first.object_id, ra_deg=first.ra_deg, dec_deg=first.dec_deg,
                  telescope_id=first.telescope_id, filter_type=first.filter_type,
                  exposure_ms=first.exposure_ms, completion_time=completion, success=True,
                  flat_id=month_flat_id(first.telescope_id, first.filter_type, completion))
        self._add_job(job)
        own = self._requests[first.owner]
        for r in reqs:
            own[r.rid] = replace(r, status=COMPLETE, completion_time=completion,
                                 jid=jid, seen=False)
        return job

    def _add_job(self, job: Job) -> None:
        self._jobs[job.jid] = job
        if job.public and job.success:
            bisect.insort(self._searchable, (job.completion_time, job.jid))


def month_flat_id(telescope_id: int, filter_type: str, when: float) -> int:
    """A flat-field id: one flat series per telescope and filter, renewed monthly.

    [assumed]: how the site numbers its flats (the ids seen: 24 in December
    2020, 26 in August 2021, 28 in September 2022, 30 in December 2023, 31 in
    November 2024).
    """
    month = int(when // (30 * DAY))
    return 1 + (month * 7 + telescope_id * 3 + len(filter_type)) % 60


# ----------------------------------------------------------------------------------
# The seed documentation's records (see the module's docstring)
# ----------------------------------------------------------------------------------

#: The only account that carries the seed documentation's requests and jobs.
SEED_ACCOUNT = 'demo'


def _utc(text: str) -> int:
    """Unix seconds of a UTC time written ``'YYYY-MM-DD HH:MM:SS'``."""
    return calendar.timegm(time.strptime(text, '%Y-%m-%d %H:%M:%S'))


def _catalogue_target(name: str) -> Target:
    for pool in (catalog.VARIABLE_STARS, catalog.MESSIER, catalog.NGC, catalog.FIELDS):
        for target in pool:
            if target.name == name:
                return target
    raise KeyError(name)


def _seed_records() -> tuple[tuple[Request, ...], tuple[Job, ...]]:
    # demo's requests: the documented rids, names, status 8 and jids; the
    # documented job 369256 of request 706248.  The ten November requests were
    # sent in batches by the author's script (hence the consecutive rids) and
    # observed with COAST; their completions are in the documented newest-first
    # order 767380, 767374, 767376, 767375, 767373, 766438, 766436, 766435,
    # 766437, 766264.  Exposures and comments are the script's (submit_batch.py,
    # Dec 2023 to Nov 2024): 180 s 'Mira' for the Miras, 60 s 'Symbiotic AAVSO'
    # for CH Cyg; T CrB's 180 s 'AAVSO' is [assumed].  Their flat, 31, is the
    # one recorded on COAST jobs of November 2024.  771144 (LX Cyg, J422672) is
    # a recorded request (row 113 of the listing on 17 November 2024).
    demo = (
        # rid, object name, target, telescope, filter, exposure (ms), comment,
        # requested, jid, completed, flat, first frame's lead (s) when recorded
        (706248, 'RaDec object', 'RaDec object', 6, 'BVR', 120000, 'AutoSubmit',
         '2020-12-21 11:27:45', 369256, '2020-12-22 23:34:10', 24, None),
        (766264, 'T CrB_M', 'T CrB', 6, 'BVR', 180000, 'AAVSO',
         '2024-11-03 18:52:07', 418581, '2024-11-04 19:47:31', 31, None),
        (766435, 'T CrB', 'T CrB', 6, 'BVR', 180000, 'AAVSO',
         '2024-11-05 20:14:02', 418736, '2024-11-06 19:31:20', 31, None),
        (766436, 'CH Cyg', 'CH Cyg', 6, 'BVR', 60000, 'Symbiotic AAVSO',
         '2024-11-05 20:14:05', 418737, '2024-11-06 20:05:53', 31, None),
        (766437, 'SS Cyg', 'SS Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-11-05 20:14:08', 418738, '2024-11-06 19:12:44', 31, None),
        (766438, 'DX Vul', 'DX Vul', 6, 'BVR', 180000, 'Mira',
         '2024-11-05 20:14:11', 418739, '2024-11-06 20:40:16', 31, None),
        (767373, 'CH Cyg', 'CH Cyg', 6, 'BVR', 60000, 'Symbiotic AAVSO',
         '2024-11-07 19:03:40', 419540, '2024-11-08 19:50:27', 31, None),
        (767374, 'SS Cyg', 'SS Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-11-07 19:03:43', 419541, '2024-11-08 21:02:35', 31, None),
        (767375, 'IP Cyg', 'IP Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-11-07 19:03:46', 419542, '2024-11-08 20:14:09', 31, None),
        (767376, 'V686 Cyg', 'V686 Cyg', 6, 'BVR', 180000, 'Mira',
         '2024-11-07 19:03:49', 419543, '2024-11-08 20:37:58', 31, None),
        (767380, 'EQ Lyr', 'EQ Lyr', 6, 'BVR', 180000, 'Mira',
         '2024-11-07 19:26:12', 419547, '2024-11-08 21:25:50', 31, None),
        (771144, 'LX Cyg', 'LX Cyg', 6, 'BVR', 180000, 'AAVSO',
         '2024-10-30 20:53:23', 422672, '2024-11-11 00:25:33', 31, 480.5),
    )
    # Other users' public successful jobs: what the documented job search of
    # 17/11/24 16:00 - 18/11/24 16:00:59 finds, 423342 first and 423183 last;
    # and J336896 (EQ Lyr, request 664342, recorded: its view reads 19 June
    # 2019 23:45:04 UTC, its first frame 2019-06-18T23:38:22, the summer date
    # slip), here another user's public job.
    public = (
        # jid, rids, owner, target, telescope, filter, exposure (ms), completed,
        # flat, first frame's lead (s) when recorded
        (336896, (664342,), 'observer03', 'EQ Lyr', 6, 'BVR', 180000,
         '2019-06-18 23:45:04', None, 401.05),
        (423183, (771716, 771970), 'observer17', 'M109', 6, 'BVR', 120000,
         '2024-11-18 05:41:09', 31, None),
        (423219, (771808,), 'observer05', 'M1', 6, 'BVR', 60000, '2024-11-18 05:49:52',
         None, None),
        (423256, (771874,), 'observer31', 'Algol', 7, 'Colour', 10000,
         '2024-11-18 05:58:36', None, None),
        (423297, (771925,), 'observer05', 'M42', 6, 'R', 30000, '2024-11-18 06:07:03',
         None, None),
        (423318, (771951,), 'observer22', 'NGC 891', 7, 'Colour', 180000,
         '2024-11-18 06:15:47', None, None),
        (423342, (771989,), 'observer09', 'M45', 6, 'BVR', 20000, '2024-11-18 06:24:20',
         None, None),
    )
    requests, jobs = [], []
    for (rid, name, target_name, tele, filt, exposure, comment, asked, jid, done, flat,
         lead) in demo:
        t = _catalogue_target(target_name)
        completed = _utc(done)
        jobs.append(Job(
            jid=jid, rids=[rid], owner=SEED_ACCOUNT, public=False, object_name=name,
            object_type=t.object_type, object_id=t.object_id, ra_deg=t.ra_deg,
            dec_deg=t.dec_deg, telescope_id=tele, filter_type=filt, exposure_ms=exposure,
            completion_time=completed, success=True,
            flat_id=flat or month_flat_id(tele, filt, completed), frame_lead=lead))
        requests.append(Request(
            rid=rid, owner=SEED_ACCOUNT, object_name=name, object_type=t.object_type,
            object_id=t.object_id, ra_deg=t.ra_deg, dec_deg=t.dec_deg, telescope_id=tele,
            filter_type=filt, exposure_ms=exposure, dark_frame=True, status=COMPLETE,
            request_time=_utc(asked), completion_time=completed, comments=comment,
            folder_id=1, jid=jid, seen=True))
    for (jid, rids, owner, target_name, tele, filt, exposure, done, flat, lead) in public:
        t = _catalogue_target(target_name)
        completed = _utc(done)
        jobs.append(Job(
            jid=jid, rids=list(rids), owner=owner, public=True, object_name=t.name,
            object_type=t.object_type, object_id=t.object_id, ra_deg=t.ra_deg,
            dec_deg=t.dec_deg, telescope_id=tele, filter_type=filt, exposure_ms=exposure,
            completion_time=completed, success=True,
            flat_id=flat or month_flat_id(tele, filt, completed), frame_lead=lead))
    return tuple(requests), tuple(jobs)


#: ``demo``'s documented requests, and the documented jobs (``demo``'s, private,
#: and other users' public ones).
SEED_REQUESTS, SEED_JOBS = _seed_records()
#: The archive's ``now`` from which the seed records are present.
SEED_EPOCH = max(job.completion_time for job in SEED_JOBS)
#: The documented job search's window (inclusive): only seed jobs complete in it.
SEED_SEARCH_WINDOW = (_utc('2024-11-17 16:00:00'), _utc('2024-11-18 16:00:59'))


# ----------------------------------------------------------------------------------
# Generation
# ----------------------------------------------------------------------------------

# Status weights of a generated history (each code also appears at least once).
_STATUS_WEIGHTS = {
    1: 0.4, 2: 0.4, 3: 1.5, 4: 0.4, 5: 0.2, 6: 0.3, 7: 0.3, 8: 78.0, 9: 0.8, 10: 0.5,
    20: 7.0, 21: 1.2, 22: 3.5, 23: 0.8, 24: 0.8, 25: 1.5, 26: 1.0,
}
_EXPOSURES_MS = (10000, 20000, 30000, 45000, 60000, 90000, 120000, 180000, 240000, 300000)
_SUFFIXES = ('_M', '_B', '_2')
_OWN_FOLDER_NAMES = ('Complete', 'Variables', 'Messier', 'Projects', 'Course')
_OTHER_USERS = 40


@dataclass(slots=True)
class _Draft:
    """A request being generated (ids are assigned once all are known)."""

    owner: str
    target: Target
    object_name: str
    telescope_id: int
    filter_type: str
    exposure_ms: int
    dark_frame: bool
    status: int
    request_time: int
    completion_time: int
    comments: str
    folder_id: int
    job: _JobDraft | None = None
    rid: int = 0
    seen: bool = True


@dataclass(slots=True)
class _JobDraft:
    owner: str
    public: bool
    success: bool
    completion_time: int
    flat_id: int | None
    requests: list[_Draft]
    jid: int = 0
    allocated: int = 0      # when the job was allocated: its id follows this time

    def allocate(self, rng: random.Random) -> None:
        """Allocated some time between its last request and its completion."""
        last = max(d.request_time for d in self.requests)
        self.allocated = int(last + rng.uniform(0.05, 0.95) * (self.completion_time - last))


class _Generator:
    """Builds the archive's content; kept apart so the Archive stays readable."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.now = int(archive.now)
        self.drafts: list[_Draft] = []
        self.jobs: list[_JobDraft] = []
        # The seed documentation's records, once the archive reaches their date;
        # demo's only when there is an account of that name.
        self.seeded = self.now >= SEED_EPOCH
        has_demo = SEED_ACCOUNT in archive._passwords
        self.seed_requests = SEED_REQUESTS if self.seeded and has_demo else ()
        self.seed_jobs = tuple(j for j in SEED_JOBS if self.seeded
                               and (j.owner != SEED_ACCOUNT or has_demo))
        # Their ids are never generated, whether demo exists or not.
        reserved = SEED_JOBS if self.seeded else ()
        self.reserved_rids = {rid for j in reserved for rid in j.rids}
        self.reserved_jids = {j.jid for j in reserved}

    def run(self) -> None:
        n = self.archive.requests_per_account
        for index, user in enumerate(self.archive._passwords):
            rng = random.Random(f'telescope-sim:{self.archive.seed}:{user}:{n}:{self.now}')
            own_folder = FIRST_FOLDER + 7 * index + rng.randrange(7)
            # demo's seed requests are part of its requests_per_account.
            size = max(0, n - len(self.seed_requests)) if user == SEED_ACCOUNT else n
            self._account(rng, user, size, own_folder)
        self._other_users(random.Random(f'telescope-sim:{self.archive.seed}:others:{n}'))
        self._assign_ids(random.Random(f'telescope-sim:{self.archive.seed}:ids'))
        self._materialise()

    # -- one account ------------------------------------------------------------
    def _account(self, rng: random.Random, user: str, n: int, own_folder: int) -> None:
        arch = self.archive
        first_request = self.now - HISTORY_YEARS * YEAR
        arch._folders[user] = [
            Folder(1, 'Inbox', 0), Folder(2, 'Favourites', 0),
            Folder(3, 'Archive', 0), Folder(4, 'Trash', 0),
            Folder(own_folder, rng.choice(_OWN_FOLDER_NAMES),
                   int(first_request + rng.uniform(0.2, 0.6) * HISTORY_YEARS * YEAR)),
        ]
        arch._requests[user] = {}
        room = max(0, arch.queue_limit(user) - QUEUE_ROOM)
        statuses = self._statuses(rng, n, room)
        complete = [s for s in statuses if s == COMPLETE]
        others = [s for s in statuses if s != COMPLETE]
        made: list[_Draft] = []

        # Completed requests, grouped into jobs; about 5% of jobs serve 2-3 requests.
        remaining = len(complete)
        n_recent = min(remaining, max(3, n // 150))
        n_shared_min = 2 if remaining >= 8 else 0
        job_index = 0
        while remaining > 0:
            shared = (job_index < n_shared_min and remaining >= 3) or rng.random() < 0.05
            size = min(remaining, (3 if rng.random() < 0.3 else 2) if shared else 1)
            recent = n_shared_min <= job_index < n_shared_min + n_recent
            # The first ordinary job completes late on a summer evening: its
            # view shows the next day's date (the recorded summer date slip).
            late = job_index == n_shared_min + n_recent
            made += self._complete_job(rng, user, size, recent, late)
            remaining -= size
            job_index += 1

        for status in others:
            made.append(self._incomplete(rng, user, status))

        # A user has opened most of their requests since they last changed; not
        # the recent completions, and one old completion forgotten long ago (the
        # live site once listed such a one first, sorted by completion).
        old = [d for d in made
               if d.status == COMPLETE and d.completion_time < self.now - 60 * DAY]
        if old:
            rng.choice(old).seen = False

        self._file_in_folders(rng, made, own_folder)
        self.drafts += made

    @staticmethod
    def _statuses(rng: random.Random, n: int, max_queued: int) -> list[int]:
        """``n`` statuses, at most ``max_queued`` of them queued (below 8)."""
        codes = list(_STATUS_WEIGHTS)
        chosen = rng.choices(codes, weights=list(_STATUS_WEIGHTS.values()), k=n)
        # Every status class at least once when the archive is big enough;
        # the queued ones as far as the queue limit leaves room, the most
        # common first.
        if n >= 2 * len(codes):
            queued = sorted(QUEUED_STATUSES, key=lambda c: -_STATUS_WEIGHTS[c])
            forced = [c for c in codes if c != COMPLETE and c not in QUEUED_STATUSES]
            forced += queued[:max_queued]
            chosen[:len(forced)] = forced
        # Past the limit, a queued request is an older one completed instead.
        allowed = max_queued
        for index, code in enumerate(chosen):
            if code in QUEUED_STATUSES:
                if allowed > 0:
                    allowed -= 1
                else:
                    chosen[index] = COMPLETE
        return chosen

    def _clear(self, completion: int) -> int:
        """A generated completion time kept out of the seed's search window
        (mirrored to before it), so that window finds the documented jobs only."""
        lo, hi = SEED_SEARCH_WINDOW
        if self.seeded and lo <= completion <= hi:
            return lo - 1 - (completion - lo)
        return completion

    def _when(self, rng: random.Random, min_age: float = 0.0) -> int:
        """A past time, more likely recent: users were more active lately."""
        age = min_age + (HISTORY_YEARS * YEAR - min_age) * rng.random() ** 1.6
        return int(self.now - age)

    def _setup(self, rng: random.Random, target: Target, when: float):
        """Telescope, filter and exposure plausible for the target and the date."""
        if target.object_type == 'PLANET':
            telescope = 5 if when < COAST_ERA else rng.choice((6, 7))
        elif when >= COAST_ERA:     # the Bradford cameras are retired
            telescope = rng.choice((6, 7))
        else:
            telescope = rng.choices((2, 1, 3), weights=(55, 25, 20))[0]
        names = FILTERS[telescope]
        filt = names[0] if rng.random() < 0.6 else rng.choice(names[1:])
        limit = MAX_EXPOSURE_MS[telescope]
        exposure = rng.choice([e for e in _EXPOSURES_MS if e <= limit] or [limit])
        if telescope == 5:
            exposure = rng.choice((100, 500, 1000, 5000))
        return telescope, filt, exposure

    def _target(self, rng: random.Random, southern: bool = False) -> Target:
        if southern:
            return rng.choice(catalog.SOUTHERN)
        pool = rng.choices((catalog.VARIABLE_STARS, catalog.MESSIER, catalog.FIELDS,
                            catalog.NGC, catalog.PLANETS), weights=(50, 28, 12, 7, 3))[0]
        return rng.choice(pool)

    def _name(self, rng: random.Random, target: Target) -> str:
        if target.object_type != 'PLANET' and rng.random() < 0.04:
            return target.name + rng.choice(_SUFFIXES)
        return target.name

    def _comment(self, rng: random.Random, target: Target) -> str:
        return rng.choice((target.comment, target.comment, 'AutoSubmit', '', 'AAVSO',
                           'Course S282', 'Colour image', 'Light curve'))

    def _summer_night(self, rng: random.Random) -> int:
        """A past moment between 23:00 and 24:00 UTC, June to September."""
        year = time.gmtime(self._when(rng, min_age=2 * DAY)).tm_year
        for back in range(HISTORY_YEARS + 1):       # this year's may be in the future
            when = calendar.timegm((year - back, rng.randint(6, 9), rng.randint(1, 28),
                                    23, rng.randrange(60), rng.randrange(60)))
            if when < self.now - 2 * DAY:
                return when
        return when

    def _complete_job(self, rng, user, size, recent, late=False) -> list[_Draft]:
        target = self._target(rng)
        if recent:
            completion = int(self.now - rng.uniform(0.5, 40.0) * 3600)
        elif late:
            completion = self._summer_night(rng)
        else:
            completion = self._when(rng, min_age=2 * DAY)
        completion = self._clear(completion)
        telescope, filt, exposure = self._setup(rng, target, completion)
        name = self._name(rng, target)
        dark = rng.random() < 0.85
        job = _JobDraft(owner=user, public=rng.random() < 0.4, success=True,
                        completion_time=completion,
                        flat_id=(month_flat_id(telescope, filt, completion)
                                 if rng.random() < 0.85 else None),
                        requests=[])
        drafts = []
        # Recent completions are not seen yet; an older one rarely.
        seen = not recent and rng.random() > 0.01
        for _ in range(size):
            # One request of a shared job may ask days before the other.
            delay = rng.uniform(0.5, 30.0 if size > 1 else 8.0) * 3600 * (
                1 if recent else rng.uniform(1, 6))
            d = _Draft(user, target, name, telescope, filt, exposure, dark, COMPLETE,
                       int(completion - delay), completion, self._comment(rng, target),
                       1, job, seen=seen)
            job.requests.append(d)
            drafts.append(d)
        job.allocate(rng)
        self.jobs.append(job)
        return drafts

    def _incomplete(self, rng, user, status) -> _Draft:
        target = self._target(rng, southern=(status == NEVER_RISES))
        if status in QUEUED_STATUSES:
            # Still in the queue: asked recently ("In progress" within the day).
            age = rng.uniform(0.1, 1.0 if status == 4 else 12.0) * DAY
            when = int(self.now - age)
        elif status in (9, 10):
            when = int(self.now - rng.uniform(1, 120) * DAY)
        elif status in (20, 21):
            when = self._when(rng, min_age=30 * DAY)
        else:
            when = self._when(rng, min_age=DAY)
        telescope, filt, exposure = self._setup(rng, target, when)
        # A request submitted in the last day is not seen yet.
        return _Draft(user, target, self._name(rng, target), telescope, filt, exposure,
                      rng.random() < 0.85, status, when, 0, self._comment(rng, target), 1,
                      seen=when < self.now - DAY)

    def _file_in_folders(self, rng, made: list[_Draft], own_folder: int) -> None:
        # Archive mostly holds old finished requests; Trash cancelled and failed
        # ones; the own folder a handful of completed ones.
        for d in made:
            old = d.request_time < self.now - YEAR
            if d.status == COMPLETE and rng.random() < 0.012:
                d.folder_id = own_folder
            elif d.status >= 20 and rng.random() < 0.2:
                d.folder_id = 4
            elif d.status not in QUEUED_STATUSES and rng.random() < (0.33 if old else 0.08):
                d.folder_id = 3
            elif rng.random() < 0.01:
                d.folder_id = 4
        # Non-empty folders even in a small archive.
        finished = [d for d in made if d.status == COMPLETE]
        for folder, pick in ((own_folder, 0), (3, 1), (4, 2)):
            if finished and not any(d.folder_id == folder for d in made):
                finished[min(pick, len(finished) - 1) * 7 % len(finished)].folder_id = folder

    # -- other users' jobs, for the job search ----------------------------------------
    def _other_users(self, rng: random.Random) -> None:
        n_old = max(50, self.archive.requests_per_account // 2)
        times = [int(self.now - rng.uniform(60 * 60, 60 * DAY)) for _ in range(8 * 60)]
        times += [self._when(rng, min_age=60 * DAY) for _ in range(n_old)]
        for completion in times:
            completion = self._clear(completion)
            owner = f'observer{rng.randrange(_OTHER_USERS):02d}'
            target = self._target(rng)
            telescope, filt, exposure = self._setup(rng, target, completion)
            job = _JobDraft(owner=owner, public=rng.random() < 0.85,
                            success=rng.random() < 0.92, completion_time=completion,
                            flat_id=(month_flat_id(telescope, filt, completion)
                                     if rng.random() < 0.85 else None), requests=[])
            for _ in range(2 if rng.random() < 0.05 else 1):
                d = _Draft(owner, target, self._name(rng, target), telescope, filt,
                           exposure, True, COMPLETE,
                           int(completion - rng.uniform(1, 72) * 3600), completion,
                           '', 1, job)
                job.requests.append(d)
                self.drafts.append(d)
            job.allocate(rng)
            self.jobs.append(job)

    # -- ids --------------------------------------------------------------------------
    def _assign_ids(self, rng: random.Random) -> None:
        # Ids grow with time, with gaps left by the site's other users; spans
        # resemble the live site's (rids ~700000-770000, jids ~400000-425000).
        # The seed records' ids are skipped.
        self.drafts.sort(key=lambda d: d.request_time)
        gap = max(1, 2 * 70000 // max(1, len(self.drafts)))
        rid = FIRST_RID
        for d in self.drafts:
            rid += rng.randint(1, gap)
            while rid in self.reserved_rids:
                rid += 1
            d.rid = rid
        # Job ids are handed out at allocation, not at completion [seen]: jobs
        # sorted by completion are not in id order.
        self.jobs.sort(key=lambda j: j.allocated)
        gap = max(1, 2 * 25000 // max(1, len(self.jobs)))
        jid = FIRST_JID
        for j in self.jobs:
            jid += rng.randint(1, gap)
            while jid in self.reserved_jids:
                jid += 1
            j.jid = jid

    def _materialise(self) -> None:
        arch = self.archive
        for j in self.jobs:
            first = j.requests[0]
            t = first.target
            arch._add_job(Job(
                jid=j.jid, rids=sorted(d.rid for d in j.requests), owner=j.owner,
                public=j.public, object_name=first.object_name, object_type=t.object_type,
                object_id=t.object_id, ra_deg=t.ra_deg, dec_deg=t.dec_deg,
                telescope_id=first.telescope_id, filter_type=first.filter_type,
                exposure_ms=first.exposure_ms, completion_time=j.completion_time,
                success=j.success, flat_id=j.flat_id))
        for d in self.drafts:
            own = arch._requests.get(d.owner)
            if own is None:
                continue            # another user's request: only its rid is shown
            t = d.target
            own[d.rid] = Request(
                rid=d.rid, owner=d.owner, object_name=d.object_name,
                object_type=t.object_type, object_id=t.object_id, ra_deg=t.ra_deg,
                dec_deg=t.dec_deg, telescope_id=d.telescope_id, filter_type=d.filter_type,
                exposure_ms=d.exposure_ms, dark_frame=d.dark_frame, status=d.status,
                request_time=d.request_time, completion_time=d.completion_time,
                comments=d.comments, folder_id=d.folder_id,
                jid=d.job.jid if d.job is not None else None, seen=d.seen)
        # The seed documentation's records, beside the generated ones.
        for job in self.seed_jobs:
            arch._add_job(replace(job, rids=list(job.rids)))
        if self.seed_requests:
            own = arch._requests[SEED_ACCOUNT]
            own.update((r.rid, r) for r in self.seed_requests)
            arch._requests[SEED_ACCOUNT] = dict(sorted(own.items()))
