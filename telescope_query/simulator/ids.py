"""Request and job ids that grow with time, through the seed's fixed ids.

The live site numbers requests as they come and jobs as they are allocated
[seen]: 759658 was requested on 2023-12-07, 760525-760531 on 2023-12-15,
771144 on 2024-10-30, 771974-771981 on 2024-11-17; J413202 completed on
2023-12-14, J422672 on 2024-11-11, J423183 on 2024-11-18.  Here every id is
a function of a time (request ids of the request time, job ids of the
allocation time) through two things:

- a clock (:data:`REQUEST_CLOCK`, :data:`JOB_CLOCK`): the site's id at a
  time, interpolated between recorded (time, id) points [seen] and the seed
  records' (:mod:`.seed`), at a constant pace before the first point and
  after the last [assumed];
- fixed points: records that keep their own ids (the seed's) and are in the
  archive.  Generated records whose times fall between two fixed points'
  get ids between theirs, after the last one above it, before the first
  one below it; no generated id is a reserved one (a seed id).

Where more records fall between two fixed points than there are free ids
between them (a big archive; seed ids close together, such as a batch's),
:func:`number` moves the earliest of them to just before the earlier fixed
point: see there.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import bisect
import calendar
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .model import DAY
from .seed import SEED_JOBS, SEED_REQUEST_TIMES

__all__ = ['Clock', 'REQUEST_CLOCK', 'JOB_CLOCK', 'number']


@dataclass(frozen=True)
class Clock:
    """The site's id at a time: piecewise linear through ``points``.

    ``points`` are (Unix time, id) pairs, increasing in both; before the
    first the id falls by ``pace_before`` a day, after the last it grows by
    ``pace_after`` a day.
    """

    points: tuple[tuple[int, int], ...]
    pace_before: float
    pace_after: float

    def __post_init__(self) -> None:
        for (t0, i0), (t1, i1) in zip(self.points, self.points[1:]):
            if not (t0 < t1 and i0 < i1):
                raise ValueError(f'clock points out of order: {(t0, i0)}, {(t1, i1)}')

    def __call__(self, when: np.ndarray) -> np.ndarray:
        """Ids (floats) at the times ``when``."""
        when = np.asarray(when, dtype=float)
        times = np.array([t for t, _ in self.points], dtype=float)
        ids = np.array([i for _, i in self.points], dtype=float)
        inside = np.interp(when, times, ids)
        before = ids[0] - (times[0] - when) * self.pace_before / DAY
        after = ids[-1] + (when - times[-1]) * self.pace_after / DAY
        return np.where(when < times[0], before, np.where(when > times[-1], after, inside))


def _utc(text: str) -> int:
    """Unix seconds of a UTC time written ``'YYYY-MM-DD HH:MM:SS'``."""
    return calendar.timegm(time.strptime(text, '%Y-%m-%d %H:%M:%S'))


def _clock(recorded: Iterable[tuple[str, int]], seeds: Iterable[tuple[int, int]],
           pace_before: float, pace_after: float) -> Clock:
    points = sorted({*((_utc(when), i) for when, i in recorded), *seeds})
    return Clock(tuple(points), pace_before, pace_after)


#: Request ids by request time.  [seen] points: listings' ``requesttime``
#: (recorded.md 1.1, 1.6), 760525 submitted 10:35-10:54 CET on 2023-12-15
#: and 771974 at 17:26:46 CET on 2024-11-17; plus the seed's.  [assumed]
#: paces: 60 a day before (2019-2020's was 63), 35 a day after (the mean
#: of December 2023 - November 2024).
REQUEST_CLOCK = _clock(
    [('2020-05-12 09:23:55', 685130), ('2020-12-30 17:33:45', 707037),
     ('2021-08-26 13:37:42', 725587), ('2021-10-09 22:50:43', 729127),
     ('2022-08-30 13:45:53', 744382), ('2023-12-07 21:36:16', 759658),
     ('2023-12-15 09:45:00', 760525), ('2024-11-17 16:26:46', 771974)],
    ((when, rid) for rid, when in SEED_REQUEST_TIMES.items()),
    pace_before=60.0, pace_after=35.0)

#: Job ids by allocation time.  [seen] points: completions of recorded jobs
#: (recorded.md 3.2, jobs_completion_vs_dateobs.csv), a little after their
#: allocation; plus the seed's allocations.  [assumed] paces: 58 a day before
#: (2017-2019's), 30 a day after (the mean of December 2023 - November 2024).
JOB_CLOCK = _clock(
    [('2017-07-14 22:16:09', 295541), ('2018-10-04 00:59:49', 326016),
     ('2020-02-22 03:58:51', 350522), ('2021-08-26 02:34:00', 383366),
     ('2022-09-12 01:08:47', 399267), ('2022-12-05 22:09:30', 402772),
     ('2023-12-08 19:15:02', 412482), ('2023-12-14 19:47:39', 413119)],
    ((job.allocation_time, job.jid) for job in SEED_JOBS),
    pace_before=58.0, pace_after=30.0)


def number(times: Sequence[int], clock: Clock, fixed: Iterable[tuple[int, int]],
           reserved: Iterable[int] = ()) -> tuple[list[int], list[int]]:
    """Ids for records at ``times``, in time order around ``fixed`` points.

    Parameters
    ----------
    times : sequence of int
        The records' times (request or allocation), ascending.
    clock : Clock
        The ideal id of a time.
    fixed : iterable of (int, int)
        (time, id) of records that keep their ids, increasing in both.
    reserved : iterable of int
        Ids never to hand out (the fixed ones are, too).

    Returns
    -------
    ids, times : list of int, list of int
        Aligned with ``times``: increasing ids, and the times, some moved.
        A record at a fixed point's time counts as after it (equal times
        are not ordered).  Every record is as close to the clock as the
        fixed points allow: between two of them, ids are the clock's, pushed
        apart where the clock gives two records one id, and squeezed below
        the later point where it runs past it.

    Notes
    -----
    When more records fall between two fixed points than there are free ids
    between them, the earliest of them are moved to just before the earlier
    point, one second apart, keeping their order (tied with the last
    record before them, or with the point before, when there is no room),
    and so on backwards.  Moving earlier keeps a request before its job's
    allocation and completion; my choice over moving later.
    """
    fixed = sorted(fixed)
    for (t0, i0), (t1, i1) in zip(fixed, fixed[1:]):
        if not (t0 < t1 and i0 < i1):
            raise ValueError(f'fixed points out of order: {(t0, i0)}, {(t1, i1)}')
    free = _Free(sorted(set(reserved) | {i for _, i in fixed}))
    original = list(times)
    n, k_last = len(original), len(fixed)
    # ends[k]: the records before fixed point k (the others are after it).
    ends = [bisect.bisect_left(original, t) for t, _ in fixed]
    # Too many records between two points: the earliest go before the first.
    for k in range(k_last - 1, 0, -1):
        room = free.count(fixed[k - 1][1], fixed[k][1])
        if ends[k] - ends[k - 1] > room:
            ends[k - 1] = ends[k] - room
    if k_last and ends[0] > free.count(0, fixed[0][1]):
        raise ValueError('too many records before the first fixed point')

    moved = list(original)
    bounds = [0, *ends, n]
    for k in range(k_last):
        start, end = bounds[k], bounds[k + 1]
        first_moved = bisect.bisect_left(original, fixed[k][0], start, end)
        if first_moved == end:
            continue
        floor = fixed[k - 1][0] if k else None
        if first_moved > start:
            floor = original[first_moved - 1] if floor is None else max(
                floor, original[first_moved - 1])
        count = end - first_moved
        for j in range(count):
            when = fixed[k][0] - count + j
            moved[first_moved + j] = when if floor is None else max(floor, when)

    ideal = np.floor(clock(np.array(moved, dtype=float))).astype(np.int64)
    ids: list[int] = []
    for k in range(k_last + 1):
        start, end = bounds[k], bounds[k + 1]
        if start == end:
            continue
        low = fixed[k - 1][1] if k else 0
        high = fixed[k][1] if k < k_last else None
        ids += free.spread(ideal[start:end], low, high)
    return ids, moved


class _Free:
    """The ids not reserved, counted and handed out between two bounds."""

    def __init__(self, reserved: list[int]) -> None:
        self.reserved = np.array(reserved, dtype=np.int64)

    def _taken(self, ids: np.ndarray | int) -> np.ndarray:
        """How many reserved ids are <= each of ``ids``."""
        return np.searchsorted(self.reserved, ids, side='right')

    def count(self, low: int, high: int) -> int:
        """Free ids strictly between ``low`` and ``high``."""
        return int(high - low - 1 - (self._taken(high - 1) - self._taken(low)))

    def spread(self, ideal: np.ndarray, low: int, high: int | None) -> list[int]:
        """Increasing free ids strictly between ``low`` and ``high`` (None:
        no bound), as near ``ideal`` (non-decreasing) as they fit."""
        # Work in positions among the free ids above ``low``: the k-th free id.
        position = ideal - low - 1 - (self._taken(ideal) - self._taken(low))
        steps = np.arange(len(ideal))
        # At least one apart (and from 0), then at most the room there is.
        position = np.maximum.accumulate(np.maximum(position, 0) - steps) + steps
        if high is not None:
            last = self.count(low, high) - 1
            position = np.minimum(position - steps, last - steps[-1])
            position = np.minimum.accumulate(position[::-1])[::-1] + steps
        # Back to ids: skip the reserved ones at or below each.
        ids = low + 1 + position
        while True:
            again = low + 1 + position + (self._taken(ids) - self._taken(low))
            if np.array_equal(again, ids):
                return ids.tolist()
            ids = again
