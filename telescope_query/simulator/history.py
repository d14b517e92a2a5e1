"""Generated histories: the synthetic requests, jobs and folders of an archive.

:func:`generate` makes, deterministically from ``(users, requests_per_account,
seed, now, queue limits)`` (or without ``now``, with ``fixed_draws``: then
only the times follow it), a history for every account that looks like a
real user's: years of requests on the old Bradford cameras and, from 2017, on
COAST and PIRATE; statuses over the whole status table, with room left in
the queue (at most the queue limit less five queued requests); jobs serving
several requests; flat fields; a few completions in the last two days (not
yet seen) and one old completion never seen; one completion late on a summer
evening (its view shows the next day's date).  Synthetic other users add
public jobs for the job search.  ``demo``'s history also holds the seed
records (:mod:`.seed`), whose ids are never generated.

Ids grow with time, as on the site: request ids in order of request, job ids
in order of allocation, so jobs sorted by completion are not in id order.
All of them, every account's and other users', follow one clock through the
seed records' ids (:mod:`.ids`): a generated request made between two seed
requests has an id between theirs, one made after the last seed request a
higher one; likewise for jobs.  A job is allocated soon after its first
request (minutes to two hours later, [assumed]): the recorded batches' job
ids run parallel to their request ids (J422664-J422672 for R771136-R771144,
J336888-J336897 for R664334-R664343), and a job serving two requests
(J423039: R771562 R771927) has the id of its first request's time [seen].
When a big archive has more requests (or jobs) between two seed records
than ids between theirs, the earliest of them are made a little earlier:
moved to just before the earlier seed record (:func:`.ids.number`).

Folder membership model
-----------------------
Every request is in the Inbox (folder 1): the Inbox count equals the number
of the user's requests, as on the live site.  Each request also has one
``folder_id``: 1 when it lives only in the Inbox, else the one other folder
it was filed in (3 Archive, 4 Trash, or the user's own folder, id >= 100).
Favourites (2) is empty in a generated archive, so its count is 0 (the
server shows ``null``).

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import calendar
import random
import time
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from . import catalog, ids
from .catalog import Target
from .model import (COAST_ERA, COMPLETE, DAY, DEFAULT_QUEUE_LIMIT, FILTERS, MAX_EXPOSURE_MS,
                    NEVER_RISES, QUEUE_ROOM, QUEUED_STATUSES, YEAR, Folder, Job, Request,
                    month_flat_id)
from .seed import (SEED_ACCOUNT, SEED_EPOCH, SEED_JOBS, SEED_REQUEST_TIMES, SEED_REQUESTS,
                   SEED_SEARCH_WINDOW)

__all__ = ['History', 'generate', 'HISTORY_YEARS']

HISTORY_YEARS = 10
FIRST_FOLDER = 400

# Status weights of a generated history (each code also appears at least once).
_STATUS_WEIGHTS = {
    1: 0.4, 2: 0.4, 3: 1.5, 4: 0.4, 5: 0.2, 6: 0.3, 7: 0.3, 8: 78.0, 9: 0.8, 10: 0.5,
    20: 7.0, 21: 1.2, 22: 3.5, 23: 0.8, 24: 0.8, 25: 1.5, 26: 1.0,
}
_EXPOSURES_MS = (10000, 20000, 30000, 45000, 60000, 90000, 120000, 180000, 240000, 300000)
_SUFFIXES = ('_M', '_B', '_2')
_OWN_FOLDER_NAMES = ('Complete', 'Variables', 'Messier', 'Projects', 'Course')
_OTHER_USERS = 40


@dataclass
class History:
    """What :func:`generate` makes: every account's folders and requests, and
    every job (the accounts' and other users'); and when other users made
    their requests (rid to Unix time; the archive shows those requests only
    as ids in job views)."""

    folders: dict[str, list[Folder]] = field(default_factory=dict)
    requests: dict[str, dict[int, Request]] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    others: dict[int, int] = field(default_factory=dict)


def generate(users: Sequence[str], *, requests_per_account: int, seed: int, now: float,
             queue_limits: Mapping[str, int] | None = None,
             fixed_draws: bool = False) -> History:
    """The histories of ``users``, and other users' public jobs.

    Parameters
    ----------
    users : sequence of str
        Account names, in order (the order matters to the result).
    requests_per_account : int
        Requests of each account's history (``demo``'s include the seed's).
    seed : int
        Seed of the generation.
    now : float
        Unix time the history ends at.
    queue_limits : mapping of str to int, optional
        Each account's queue limit (default :data:`.model.DEFAULT_QUEUE_LIMIT`):
        a history has at most the limit less :data:`.model.QUEUE_ROOM` queued
        requests.
    fixed_draws : bool
        Draw each account's history from ``seed`` alone, not from ``now`` as
        well: every run then makes the same requests, jobs, statuses and names
        (and so the same number of them), whatever the date; only their times
        follow ``now``.

    Returns
    -------
    History
        A function of the arguments.
    """
    return _Generator(list(users), requests_per_account, seed, now,
                      dict(queue_limits or {}), fixed_draws).run()


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
        """Allocated soon after its first request (see the module's notes)."""
        first = min(d.request_time for d in self.requests)
        delay = rng.uniform(60, 2 * 3600)
        self.allocated = int(min(first + delay, self.completion_time))


class _Generator:
    """Builds a :class:`History`, one account at a time."""

    def __init__(self, users: list[str], n: int, seed: int, now: float,
                 queue_limits: dict[str, int], fixed_draws: bool = False) -> None:
        self.users, self.n, self.seed = users, n, seed
        self.fixed_draws = fixed_draws
        self.queue_limits = queue_limits
        self.now = int(now)
        self.history = History()
        self.drafts: list[_Draft] = []
        self.jobs: list[_JobDraft] = []
        # The seed documentation's records, once the archive reaches their date;
        # demo's only when there is an account of that name.
        self.seeded = self.now >= SEED_EPOCH
        has_demo = SEED_ACCOUNT in users
        self.seed_requests = SEED_REQUESTS if self.seeded and has_demo else ()
        self.seed_jobs = tuple(j for j in SEED_JOBS if self.seeded
                               and (j.owner != SEED_ACCOUNT or has_demo))
        # Their ids are never generated, whether demo exists or not.
        reserved = SEED_JOBS if self.seeded else ()
        self.reserved_rids = {rid for j in reserved for rid in j.rids}
        self.reserved_jids = {j.jid for j in reserved}
        # Those in the archive are fixed points of the generated ids: (time, id).
        self.fixed_rids = [(SEED_REQUEST_TIMES[rid], rid)
                           for j in self.seed_jobs for rid in j.rids]
        self.fixed_jids = [(j.allocation_time, j.jid) for j in self.seed_jobs]

    def run(self) -> History:
        n = self.n
        for index, user in enumerate(self.users):
            # Each second's archive differs, unless the draws are fixed.
            moment = '' if self.fixed_draws else f':{self.now}'
            rng = random.Random(f'telescope-sim:{self.seed}:{user}:{n}{moment}')
            own_folder = FIRST_FOLDER + 7 * index + rng.randrange(7)
            # demo's seed requests are part of its requests_per_account.
            size = max(0, n - len(self.seed_requests)) if user == SEED_ACCOUNT else n
            self._account(rng, user, size, own_folder)
        self._other_users(random.Random(f'telescope-sim:{self.seed}:others:{n}'))
        self._assign_ids()
        self._materialise()
        return self.history

    # -- one account ------------------------------------------------------------
    def _account(self, rng: random.Random, user: str, n: int, own_folder: int) -> None:
        first_request = self.now - HISTORY_YEARS * YEAR
        self.history.folders[user] = [
            Folder(1, 'Inbox', 0), Folder(2, 'Favourites', 0),
            Folder(3, 'Archive', 0), Folder(4, 'Trash', 0),
            Folder(own_folder, rng.choice(_OWN_FOLDER_NAMES),
                   int(first_request + rng.uniform(0.2, 0.6) * HISTORY_YEARS * YEAR)),
        ]
        self.history.requests[user] = {}
        room = max(0, self.queue_limits.get(user, DEFAULT_QUEUE_LIMIT) - QUEUE_ROOM)
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
            made += self._complete_job(self._own_stream(rng), user, size, recent, late)
            remaining -= size
            job_index += 1

        for status in others:
            made.append(self._incomplete(self._own_stream(rng), user, status))

        # A user has opened most of their requests since they last changed; not
        # the recent completions, and one old completion forgotten long ago (the
        # live site once listed such a one first, sorted by completion).
        old = [d for d in made
               if d.status == COMPLETE and d.completion_time < self.now - 60 * DAY]
        if old:
            rng.choice(old).seen = False

        self._file_in_folders(rng, made, own_folder)
        self.drafts += made

    def _own_stream(self, rng: random.Random) -> random.Random:
        """The draws of one job or request. With fixed draws, a stream of its own:
        a draw that depends on the date (a telescope before or after 2017) then
        cannot shift the draws of those after it, and the account keeps its number
        of jobs on any date. Otherwise the account's stream, as it always was (the
        documentation's outputs were drawn from it)."""
        return random.Random(rng.getrandbits(64)) if self.fixed_draws else rng

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
        n_old = max(50, self.n // 2)
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
    def _assign_ids(self) -> None:
        # Job ids first: a job moved earlier (a crowded gap between seed jobs)
        # takes its first request along, which the requests' numbering then sees.
        self.jobs.sort(key=lambda j: j.allocated)
        jids, moved = ids.number([j.allocated for j in self.jobs], ids.JOB_CLOCK,
                                 self.fixed_jids, self.reserved_jids)
        for j, jid, allocated in zip(self.jobs, jids, moved):
            j.jid = jid
            if allocated != j.allocated:
                j.allocated = allocated
                first = min(j.requests, key=lambda d: d.request_time)
                first.request_time = min(first.request_time, allocated)
        self.drafts.sort(key=lambda d: d.request_time)
        rids, moved = ids.number([d.request_time for d in self.drafts], ids.REQUEST_CLOCK,
                                 self.fixed_rids, self.reserved_rids)
        for d, rid, asked in zip(self.drafts, rids, moved):
            d.rid, d.request_time = rid, asked

    def _materialise(self) -> None:
        history = self.history
        for j in self.jobs:
            first = j.requests[0]
            t = first.target
            history.jobs.append(Job(
                jid=j.jid, rids=sorted(d.rid for d in j.requests), owner=j.owner,
                public=j.public, object_name=first.object_name, object_type=t.object_type,
                object_id=t.object_id, ra_deg=t.ra_deg, dec_deg=t.dec_deg,
                telescope_id=first.telescope_id, filter_type=first.filter_type,
                exposure_ms=first.exposure_ms, completion_time=j.completion_time,
                success=j.success, flat_id=j.flat_id, allocation_time=j.allocated))
        for d in self.drafts:
            own = history.requests.get(d.owner)
            if own is None:         # another user's request: only its rid is shown
                history.others[d.rid] = d.request_time
                continue
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
        history.jobs += [replace(job, rids=list(job.rids)) for job in self.seed_jobs]
        history.others.update((rid, SEED_REQUEST_TIMES[rid]) for job in self.seed_jobs
                              if job.owner != SEED_ACCOUNT for rid in job.rids)
        if self.seed_requests:
            own = history.requests[SEED_ACCOUNT]
            own.update((r.rid, r) for r in self.seed_requests)
            history.requests[SEED_ACCOUNT] = dict(sorted(own.items()))
