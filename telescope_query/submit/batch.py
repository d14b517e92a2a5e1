"""``submit_missing``: a batch of targets, each submitted unless it waits in the queue.

The targets (a list, a SkyCoord array, or a Table with per-row settings) are
checked first, so that nothing is sent for a batch of nothing but bad rows;
the queue is read once; a target already waiting there (same name, or within
`MATCH_RADIUS`) is left alone, the others are submitted one by one through
`telescope_query.submitter.submit_plan` (never twice). The answer is a Table,
one row per target.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, Table

from .. import arguments
from ..exceptions import LoginError, QueueFullError, RemoteServiceError
from .plan import DEFAULT_EXPOSURE, SubmissionPlan, exposure_to_ms, plan_submission
from .target import (LowAltitudeWarning, check_target_name, format_objectid,
                     looks_like_coordinates)
from .queue import QueueEntry, read_queue, waiting_for
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


def _plan(item: _Target, telescope: str) -> None:
    """Validate one target; a problem is kept as its error, warnings as notes."""
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


def _queued_match(item: _Target, queue: list[QueueEntry]) -> QueueEntry | None:
    """A queued request for this target: its name, its plan's name, or near its position."""
    names = [item.target] if isinstance(item.target, str) else []
    if item.plan is not None:
        names.append(item.plan.object_name)
    return waiting_for(queue, names, None if item.plan is None else item.plan.coord)


def submit_missing(client: Any, targets: Any, *, exposure: Any = DEFAULT_EXPOSURE,
                   telescope: Any = 'COAST', filter: Any = 'BVR',
                   dry_run: bool = False) -> Table:
    """Submit the targets that are not waiting in the queue; report on each.

    See `~telescope_query.core.TelescopeClass.submit_missing`.
    """
    telescope_name = arguments.telescope(telescope)
    arguments.filter_name(filter, telescope_name)
    exposure_to_ms(exposure, telescope_name)
    arguments.check_flag(dry_run, 'dry_run')
    items = _targets(targets, exposure, filter)
    if not items:
        raise ValueError("targets is empty: give at least one target")
    # Cheap checks first, so that nothing is sent for a batch of bad rows;
    # names are resolved later, and only when the queue does not have them.
    for item in items:
        if not isinstance(item.target, str) or looks_like_coordinates(
                item.target.strip()):
            _plan(item, telescope_name)
        else:
            try:
                arguments.filter_name(item.filter, telescope_name)
                exposure_to_ms(item.exposure, telescope_name)
                arguments.comment(item.comment)
                check_target_name(item.target)
            except (ValueError, TypeError) as error:
                item.error = str(error)
    client._require_login()
    # A batch of nothing but bad rows has nothing to ask the site.
    queue = [] if all(item.error for item in items) else read_queue(client)
    before = {entry.rid for entry in queue}
    full: QueueFullError | None = None   # once the site says the queue is full
    rows = []
    for item in items:
        action, rid, message = 'failed', None, item.error
        if not item.error:
            match = _queued_match(item, queue)
            if match is None and item.plan is None:
                _plan(item, telescope_name)
                match = None if item.error else _queued_match(item, queue)
            if item.error:
                message = item.error
            elif match is not None:
                action, rid = 'queued', match.rid
                message = f'already waiting in the queue as R{match.rid} ({match.object_name})'
            elif dry_run:
                action, message = 'would submit', 'dry run: not submitted'
            elif full is not None:
                action, message = 'not sent', f'not sent: {full}'
            else:
                try:
                    rid = submit_plan(client, item.plan, before=before)
                except QueueFullError as error:       # nothing more is sent
                    full = error
                    action, message = 'not sent', f'not sent: {error}'
                except RemoteServiceError as error:    # refusals and lost answers
                    if isinstance(error, LoginError):
                        raise
                    message = str(error)
                else:
                    action, message = 'submitted', ''
                    before.add(rid)
                    queue.insert(0, QueueEntry(rid, item.plan.object_name, 1,
                                               item.plan.object_id,
                                               (float(item.plan.coord.ra.deg),
                                                float(item.plan.coord.dec.deg))))
            if item.notes:
                message = f'{message}; {item.notes}' if message else item.notes
        rows.append((item.label, action, rid, message))
    table = Table()
    table['target'] = [row[0] for row in rows]
    table['action'] = [row[1] for row in rows]
    table['rid'] = MaskedColumn([row[2] or 0 for row in rows], dtype=int,
                                mask=[row[2] is None for row in rows])
    table['message'] = [row[3] for row in rows]
    return table
