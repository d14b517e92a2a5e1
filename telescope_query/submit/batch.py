"""``submit_missing``: a batch of targets, each submitted unless it waits in the queue.

The targets are checked first, the queue is read once, a target waiting there
(`telescope_query.submit.queue.waiting_for`) is left alone, one observed
within ``min_interval`` too (`telescope_query.submit.cadence`), and the
others go through `telescope_query.submit.send.submit_plan`, one by one, while
the queue has room. The answer is a Table, one row per target. See
``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, Table

from .. import arguments, views
from ..contract import Client
from ..exceptions import LoginError, QueueFullError, RemoteServiceError
from . import cadence
from .plan import DEFAULT_EXPOSURE, SubmissionPlan, exposure_to_ms, plan_submission
from .queue import QueueEntry, completed_for, read_queue, waiting_for
from .target import (LowAltitudeWarning, check_target_name, format_objectid,
                     looks_like_coordinates)
from .send import submit_plan

__all__ = ['submit_missing']


@dataclass
class _Target:
    """One target of the batch: its own settings, then its plan, or why it has none."""

    label: str
    target: Any
    exposure: Any
    filter: Any
    comment: Any
    plan: SubmissionPlan | None = None
    error: str = ''
    notes: str = ''


def _label(target: Any) -> str:
    """The target as the report shows it: a position as the site writes it."""
    if isinstance(target, SkyCoord) and target.isscalar:
        try:
            return format_objectid(target.icrs)
        except Exception:
            return str(target)
    return str(target)


def _targets(targets: Any, exposure: Any, filter: Any) -> list[_Target]:
    """Targets given as a list (or SkyCoord array) or a Table, with per-row settings."""
    if isinstance(targets, Table):
        column = next((name for name in ('target', 'name') if name in targets.colnames), None)
        if column is None:
            raise ValueError(f"targets: the table needs a 'target' (or 'name') column; it "
                             f"has {', '.join(targets.colnames) or 'none'}")
        extra = {'exposure', 'filter', 'comment'} & set(targets.colnames)
        rows = []
        for row in targets:
            value = row[column]
            if np.ma.is_masked(value):
                raise ValueError("targets: a row has no target (masked cell)")
            settings = {name: row[name] for name in extra if not np.ma.is_masked(row[name])}
            if 'exposure' in settings and targets['exposure'].unit is not None:
                settings['exposure'] = settings['exposure'] * targets['exposure'].unit
            rows.append(_Target(_label(value), value if isinstance(value, SkyCoord)
                                else str(value),
                                _plain(settings.get('exposure', exposure)),
                                _plain(settings.get('filter', filter)),
                                _plain(settings.get('comment', ''))))
        return rows
    if isinstance(targets, SkyCoord):
        items = [targets] if targets.isscalar else list(targets)
    elif isinstance(targets, (str, bytes)) or not isinstance(targets, Iterable):
        raise TypeError(f"targets must be a list of targets (names, coordinate strings, "
                        f"SkyCoords) or a Table with a 'target' column; got "
                        f"{type(targets).__name__}")
    else:
        items = list(targets)
    return [_Target(_label(item), item, exposure, filter, '') for item in items]


def _plain(value: Any) -> Any:
    """numpy scalars from Table cells as Python values (str, float)."""
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_cheaply(item: _Target, telescope: str) -> None:
    """Check what needs no name resolver: a name waits until the queue is read.

    Coordinates are planned at once; for a name only its settings and its
    length are checked. A problem is kept as the item's error.
    """
    if not isinstance(item.target, str) or looks_like_coordinates(item.target.strip()):
        _plan(item, telescope)
        return
    try:
        arguments.filter_name(item.filter, telescope)
        exposure_to_ms(item.exposure, telescope)
        arguments.comment(item.comment)
        check_target_name(item.target)
    except (ValueError, TypeError) as error:
        item.error = str(error)


def _plan(item: _Target, telescope: str) -> SubmissionPlan | None:
    """Plan one target: its plan, or None with the problem kept as its error.

    A low-altitude warning is kept as its note, and still shown.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', LowAltitudeWarning)
        try:
            item.plan = plan_submission(item.target, exposure=item.exposure,
                                        telescope=telescope, filter=item.filter,
                                        comment=item.comment)
        except (ValueError, TypeError) as error:
            item.error = str(error)
    for warning in caught:
        item.notes = str(warning.message)
        warnings.warn_explicit(warning.message, warning.category, warning.filename,
                               warning.lineno)
    return item.plan


def _look_ahead(item: _Target, plan: SubmissionPlan) -> None:
    """Warn, and note in the report, when the target has no observable night soon."""
    from ..observe.api import warn_if_not_observable
    from ..observe.observability import NotObservableWarning
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', NotObservableWarning)
        warn_if_not_observable(plan.coord, item.label)
    for warning in caught:
        item.notes = f'{item.notes}; {warning.message}' if item.notes else str(warning.message)
        warnings.warn_explicit(warning.message, warning.category, warning.filename,
                               warning.lineno)


def _names(item: _Target) -> list[str]:
    names = [item.target] if isinstance(item.target, str) else []
    if item.plan is not None:
        names.append(item.plan.object_name)
    return names


def _queued_match(item: _Target, queue: list[QueueEntry]) -> QueueEntry | None:
    """A queued request for this target: its name, its plan's name, or near its position."""
    return waiting_for(queue, _names(item), None if item.plan is None else item.plan.coord)


@dataclass
class _Batch:
    """The queue as this batch knows it, and whether the site said it is full."""

    client: Client
    telescope: str
    dry_run: bool
    queue: list[QueueEntry]
    free: int                               # places left in the queue
    limit: int
    min_interval: timedelta | None = None
    now: datetime | None = None
    full: QueueFullError | None = None

    def handle(self, item: _Target) -> tuple[str, int | None, str]:
        """``(action, rid, message)`` of one target, submitting it when it is missing."""
        if item.error:
            return 'failed', None, item.error
        if item.plan is None:       # a name: resolved only when the listing does not settle it
            settled = self.settled(item)
            if settled is not None:
                return settled
            _plan(item, self.telescope)
        if item.plan is None:
            return 'failed', None, item.error
        settled = self.settled(item)
        if settled is not None:
            return settled
        _look_ahead(item, item.plan)
        if self.full is not None:
            return 'not sent', None, f'not sent: {self.full}'
        if self.free <= 0:
            return ('waits for room', None,
                    f'waits for room: the queue holds {self.limit} requests '
                    f'(conf.queue_limit); submit it once some are observed')
        self.free -= 1
        if self.dry_run:
            return 'would submit', None, 'dry run: not submitted'
        action, rid, message = self.submit(item.plan)
        if action != 'submitted':
            self.free += 1
        return action, rid, message

    def settled(self, item: _Target) -> tuple[str, int | None, str] | None:
        """The row of a target the listing settles: waiting in the queue, observed
        within ``min_interval``, or its last completion unknown; else None."""
        match = _queued_match(item, self.queue)
        if match is not None:
            return ('queued', match.rid,
                    f'already waiting in the queue as R{match.rid} ({match.object_name})')
        try:
            recent = self.too_recent(item)
        except LoginError:
            raise
        except RemoteServiceError as error:     # not known to be due: not sent
            return 'failed', None, f'when it was last observed is unknown: {error}'
        if recent is not None:
            return 'skipped', recent[0], recent[1]
        return None

    def too_recent(self, item: _Target) -> tuple[int, str] | None:
        """``(rid, message)`` of a completion within ``min_interval``, else None.

        The completion times are in the views of the target's newest completed
        requests (`cadence.LOOK_BACK`), cached once final.
        """
        if self.min_interval is None or self.now is None:
            return None
        coord = None if item.plan is None else item.plan.coord
        done = completed_for(self.queue, _names(item), coord, cadence.LOOK_BACK)
        shown = views.views(self.client, views.REQUEST, [entry.rid for entry in done])
        last = cadence.last_completion({record['rid']: record['completed']
                                        for record in shown})
        message = cadence.too_recent(last, self.now, self.min_interval)
        return (last[0], message) if message and last is not None else None

    def submit(self, plan: SubmissionPlan) -> tuple[str, int | None, str]:
        before = {entry.rid for entry in self.queue}
        try:
            rid = submit_plan(self.client, plan, before=before)
        except QueueFullError as error:         # nothing more is sent
            self.full = error
            return 'not sent', None, f'not sent: {error}'
        except LoginError:
            raise
        except RemoteServiceError as error:     # refusals and lost answers
            return 'failed', None, str(error)
        # The new request waits in the queue: a repeated target finds it.
        self.queue.insert(0, QueueEntry(rid, plan.object_name, 1, plan.object_id,
                                        (float(plan.coord.ra.deg), float(plan.coord.dec.deg))))
        return 'submitted', rid, ''


def submit_missing(client: Client, targets: Any, *, exposure: Any = DEFAULT_EXPOSURE,
                   telescope: Any = 'COAST', filter: Any = 'BVR',
                   dry_run: bool = False, min_interval: Any = None) -> Table:
    """Submit the targets that are not waiting in the queue; report on each.

    See `~telescope_query.core.TelescopeClass.submit_missing`.
    """
    telescope_name = arguments.telescope(telescope)
    arguments.filter_name(filter, telescope_name)
    exposure_to_ms(exposure, telescope_name)
    arguments.check_flag(dry_run, 'dry_run')
    interval = arguments.min_interval(min_interval)
    from .. import conf
    limit = arguments.queue_limit(conf.queue_limit)
    items = _targets(targets, exposure, filter)
    if not items:
        raise ValueError("targets is empty: give at least one target")
    for item in items:
        _check_cheaply(item, telescope_name)
    client._require_login()
    # A batch of nothing but bad rows has nothing to ask the site.
    queue = [] if all(item.error for item in items) else read_queue(client)
    from ..observe.api import now
    batch = _Batch(client, telescope_name, dry_run, queue, cadence.free_places(queue, limit),
                   limit, interval, now())
    rows = []
    for item in items:
        action, rid, message = batch.handle(item)
        if item.notes:
            message = f'{message}; {item.notes}' if message else item.notes
        rows.append((item.label, action, rid, message))
    return _report(rows)


def _report(rows: list[tuple[str, str, int | None, str]]) -> Table:
    """The Table of `submit_missing`: target, action, rid (masked when none), message."""
    table = Table()
    table['target'] = [row[0] for row in rows]
    table['action'] = [row[1] for row in rows]
    table['rid'] = MaskedColumn([row[2] or 0 for row in rows], dtype=int,
                                mask=[row[2] is None for row in rows])
    table['message'] = [row[3] for row in rows]
    return table
