"""The simulator's archive: accounts, their folders and requests, and the jobs.

An :class:`Archive` holds what :func:`.history.generate` made (with the seed
records of :mod:`.seed`) and lives on: submissions join the queue (within
each account's queue limit), :meth:`Archive.complete_queue` turns the queue
into jobs, opening a request's view marks it seen.  Its records are the
frozen ones of :mod:`.model`: a state change replaces them, so a reader never
sees one half-updated.

The model's and the seed's names are importable from here too
(``from telescope_query.simulator.archive import SEED_JOBS, Job``).

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import bisect
import hmac
import threading
import time
from dataclasses import replace
from typing import Callable, Mapping

from .history import generate
from .model import (COAST_ERA, COMPLETE, DAY, DEFAULT_QUEUE_LIMIT, FILTER_PLANES, FILTERS,
                    MAX_EXPOSURE_MS, MIN_EXPOSURE_MS, NEVER_RISES, QUEUE_ROOM,
                    QUEUED_STATUSES, STATUS_TEXTS, TELESCOPE_TYPES, TELESCOPES, YEAR,
                    Folder, Job, QueueFullError, Request, month_flat_id, never_rises)
from .seed import SEED_ACCOUNT, SEED_EPOCH, SEED_JOBS, SEED_REQUESTS, SEED_SEARCH_WINDOW

__all__ = ['Archive',
           # re-exported from .model and .seed
           'STATUS_TEXTS', 'QUEUED_STATUSES', 'COMPLETE', 'NEVER_RISES', 'TELESCOPES',
           'TELESCOPE_TYPES', 'FILTERS', 'FILTER_PLANES', 'MAX_EXPOSURE_MS',
           'MIN_EXPOSURE_MS', 'DEFAULT_QUEUE_LIMIT', 'QUEUE_ROOM', 'COAST_ERA', 'DAY',
           'YEAR', 'Folder', 'Request', 'Job', 'QueueFullError', 'never_rises',
           'month_flat_id', 'SEED_ACCOUNT', 'SEED_REQUESTS', 'SEED_JOBS', 'SEED_EPOCH',
           'SEED_SEARCH_WINDOW']


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
    fixed_draws : bool
        Draw the histories from ``seed`` alone: every run has the same
        requests, jobs and statuses whatever ``now`` is, and only their times
        move with it (see `.history.generate`). By default a different ``now``
        gives a different archive.

    Notes
    -----
    All methods are thread-safe (one re-entrant lock, ``archive.lock``).
    """

    def __init__(self, accounts: Mapping[str, str], *, requests_per_account: int = 2000,
                 seed: int = 1, now: float | None = None,
                 queue_limits: Mapping[str, int] | None = None,
                 fixed_draws: bool = False) -> None:
        self.lock = threading.RLock()
        self._added = threading.Condition(self.lock)    # a request was queued
        self.now: float = time.time() if now is None else float(now)
        self.seed = seed
        self.requests_per_account = requests_per_account
        self._started = time.monotonic()
        self._passwords = dict(accounts)
        self._queue_limits: dict[str, int] = {}
        for user, limit in (queue_limits or {}).items():
            self.set_queue_limit(user, limit)
        history = generate(list(self._passwords), requests_per_account=requests_per_account,
                           seed=seed, now=self.now, queue_limits=self._queue_limits,
                           fixed_draws=fixed_draws)
        self._folders: dict[str, list[Folder]] = history.folders
        self._requests: dict[str, dict[int, Request]] = history.requests
        self._jobs: dict[int, Job] = {}
        # Public successful jobs as (completion_time, jid), sorted, for search.
        self._searchable: list[tuple[int, int]] = []
        for job in history.jobs:
            self._add_job(job)
        # New ids follow the highest ever handed out (another user's included).
        self._next_rid = 1 + max([rid for reqs in self._requests.values() for rid in reqs]
                                 + [rid for job in self._jobs.values() for rid in job.rids],
                                 default=0)
        self._next_jid = max(self._jobs, default=0) + 1

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
            self._added.notify_all()
            return req

    def wait_for_requests(self, user: str, wanted: Callable[[Request], bool],
                          count: int = 1, timeout: float = 5.0) -> list[Request]:
        """The user's requests that are ``wanted``, once ``count`` of them exist or
        ``timeout`` seconds have passed: for a test whose site saves a request
        after the client gave up (the ``still_saving`` faults)."""
        def found() -> list[Request]:
            return [r for r in self.requests(user) if wanted(r)]
        with self._added:
            self._added.wait_for(lambda: len(found()) >= count, timeout)
            return found()

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
            # Never before a request was made (requests of the last seconds).
            completions = [max(now - (len(observed) - 1 - position),
                               max(r.request_time for r in reqs))
                           for position, reqs in enumerate(observed)]
            # All allocated at once, when the night's work starts (the first
            # completion): my choice, as the queue's night takes seconds here.
            allocated = min(completions, default=now)
            done: dict[int, list[tuple[int, int]]] = {}
            for reqs, completion in zip(observed, completions):
                job = self._complete(reqs, jids[id(reqs)], allocated, completion)
                done[job.jid] = [(r.rid, job.jid) for r in reqs]
            return [pair for jid in sorted(done) for pair in done[jid]]

    def _complete(self, reqs: list[Request], jid: int, allocated: int,
                  completion: int) -> Job:
        """One new public job serving ``reqs`` (one user's), allocated at
        ``allocated``, completed at ``completion``."""
        first = reqs[0]
        job = Job(jid=jid, rids=[r.rid for r in reqs], owner=first.owner, public=True,
                  object_name=first.object_name, object_type=first.object_type,
                  object_id=first.object_id, ra_deg=first.ra_deg, dec_deg=first.dec_deg,
                  telescope_id=first.telescope_id, filter_type=first.filter_type,
                  exposure_ms=first.exposure_ms, completion_time=completion, success=True,
                  flat_id=month_flat_id(first.telescope_id, first.filter_type, completion),
                  allocation_time=allocated)
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
