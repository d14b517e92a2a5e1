"""``submit_missing``: a batch of targets, each submitted unless it waits in the queue.

The targets are checked first, the queue is read once, a target waiting there
(`telescope_query.submit.queue.waiting_for`) is left alone, one observed
within ``min_interval`` too (`telescope_query.submit.cadence`), and the others
go through `telescope_query.submit.send.submit_plan`, one by one, while the
queue has room, the client's submission lock held for the whole batch. A Table gives each target its own
settings: `COLUMNS` is the one list of the columns read, for the docstring
of ``submit_missing`` and the command line's help. The answer is a Table, one
row per target. See ``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

import textwrap
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, Table

from .. import arguments, views
from ..contract import Client
from ..exceptions import LoginError, QueueFullError, RemoteServiceError, SubmissionError
from . import cadence
from .never_twice import AMBIGUOUS
from .plan import DEFAULT_EXPOSURE, SubmissionPlan, exposure_to_ms, plan_submission
from .queue import QueueEntry, completed_for, read_queue, waiting_for
from .send import submit_plan
from .serial import one_at_a_time
from .target import (check_target_name, format_objectid, looks_like_coordinates,
                     low_altitude_message)

__all__ = ['submit_missing', 'COLUMNS', 'columns_help', 'check_columns']

#: The columns a Table of targets may have (names compared without regard to
#: case), and what each holds. Any other column is an error. An empty cell
#: takes the default given to ``submit_missing`` (or the command line's option).
COLUMNS: dict[str, str] = {
    'target': "coordinates ('20:42:59.6 +43:35:10') or a name resolved by astropy; "
              "a table without it takes its targets from 'name'",
    'name': 'the object name shown in the request list (default: the target name, '
            'or its coordinates)',
    'telescope': 'COAST or PIRATE',
    'filter': "a filter in either naming scheme ('BVR', 'Colour', 'V'...)",
    'exposure': 'the exposure in seconds (or a column with a unit of time)',
    'comment': 'a comment stored with the request',
    'dark_frame': 'whether to take a dark frame: true/false, yes/no or 1/0',
}
_TRUE = frozenset({'true', 'yes', 'y', '1'})
_FALSE = frozenset({'false', 'no', 'n', '0'})


def columns_help(indent: str = '  ', width: int = 79) -> str:
    """`COLUMNS` as text: each column and what it holds, wrapped to ``width``."""
    name_width = max(len(name) for name in COLUMNS)
    hanging = ' ' * (len(indent) + name_width + 2)
    return '\n'.join(textwrap.fill(meaning, width, subsequent_indent=hanging,
                                   initial_indent=f'{indent}{name:<{name_width}}  ')
                     for name, meaning in COLUMNS.items())


@dataclass
class _Target:
    """One target of the batch: its own settings, then its plan, or why it has none."""

    label: str
    target: Any
    exposure: Any
    filter: Any
    telescope: Any
    name: Any = None
    comment: Any = ''
    dark_frame: Any = True
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


def check_columns(table: Table) -> dict[str, str]:
    """The name in ``table`` of each column of `COLUMNS` it has, by its key.

    Raises
    ------
    ValueError
        A column not in `COLUMNS` (naming it and the known ones), one given
        twice (in two cases), or neither ``target`` nor ``name``.
    """
    found: dict[str, str] = {}
    for given in table.colnames:
        key = given.strip().lower()
        if key not in COLUMNS:
            raise ValueError(f"targets: the table has a column {given!r} that is not read; "
                             f"the columns are {', '.join(COLUMNS)} (case ignored): rename "
                             f"or remove it")
        if key in found:
            raise ValueError(f"targets: the columns {found[key]!r} and {given!r} are the "
                             f"same column (case ignored): keep one")
        found[key] = given
    if 'target' not in found and 'name' not in found:
        raise ValueError(f"targets: the table needs a 'target' (or 'name') column; it "
                         f"has {', '.join(table.colnames) or 'none'}")
    return found


def _targets(targets: Any, defaults: dict[str, Any]) -> list[_Target]:
    """Targets given as a list (or SkyCoord array) or a Table, with per-row settings."""
    if isinstance(targets, Table):
        columns = check_columns(targets)
        target_column = columns.get('target', columns.get('name'))
        rows = []
        for number, row in enumerate(targets, start=1):
            value = row[target_column]
            if np.ma.is_masked(value) or (isinstance(value, str) and not value.strip()):
                raise ValueError(f"targets: row {number} has no target (an empty "
                                 f"{target_column!r} cell)")
            target = value if isinstance(value, SkyCoord) else str(value)
            settings = dict(defaults)
            for key, column in columns.items():
                cell = None if key == 'target' else _cell(
                    row[column], key, getattr(targets[column], 'unit', None))
                if cell is not None:
                    settings[key] = cell
            rows.append(_Target(_label(target), target, **settings))
        return rows
    if isinstance(targets, SkyCoord):
        items = [targets] if targets.isscalar else list(targets)
    elif isinstance(targets, (str, bytes)) or not isinstance(targets, Iterable):
        raise TypeError(f"targets must be a list of targets (names, coordinate strings, "
                        f"SkyCoords) or a Table with a 'target' column; got "
                        f"{type(targets).__name__}")
    else:
        items = list(targets)
    return [_Target(_label(item), item, **defaults) for item in items]


def _cell(value: Any, key: str, unit: Any) -> Any:
    """A Table cell as the argument it stands for; None when it is empty."""
    if np.ma.is_masked(value):
        return None
    value = _plain(value)
    if isinstance(value, str) and not value.strip():
        return None
    if key == 'exposure':
        if isinstance(value, u.Quantity):   # a QTable's cell carries its unit
            return value
        if unit is not None and not isinstance(value, str):
            return value * unit
        return _exposure_text(value) if isinstance(value, str) else value
    if key == 'dark_frame':
        return _flag(value)
    return str(value)       # name, telescope, filter, comment: text, even when numbers


def _exposure_text(text: str) -> Any:
    """``'60'`` as 60 (seconds), ``'2 min'`` as a Quantity; otherwise the text,
    which `telescope_query.arguments.exposure_ms` refuses with its message."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return u.Quantity(text)
    except (TypeError, ValueError):
        return text


def _flag(value: Any) -> Any:
    """A dark_frame cell: true/false, yes/no, 1/0 as a bool; anything else as it is
    (`telescope_query.arguments.check_flag` refuses it for its row)."""
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    return value


def _plain(value: Any) -> Any:
    """numpy scalars from Table cells as Python values (str, float)."""
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_cheaply(item: _Target) -> None:
    """Check what needs no name resolver: a name waits until the queue is read.

    Coordinates are planned at once; for a name only its settings and its
    length are checked. A problem is kept as the item's error.
    """
    if not isinstance(item.target, str) or looks_like_coordinates(item.target.strip()):
        _plan(item)
        return
    try:
        telescope = arguments.telescope(item.telescope)
        arguments.filter_name(item.filter, telescope)
        exposure_to_ms(item.exposure, telescope)
        if item.name is not None:
            arguments.object_name(item.name)
        arguments.comment(item.comment)
        arguments.check_flag(item.dark_frame, 'dark_frame')
        check_target_name(item.target)
    except (ValueError, TypeError) as error:
        item.error = str(error)


def _plan(item: _Target) -> SubmissionPlan | None:
    """Plan one target: its plan, or None with the problem kept as its error.

    A low-altitude warning is shown (by the planning) and kept as its note.
    """
    try:
        item.plan = plan_submission(item.target, exposure=item.exposure,
                                    telescope=item.telescope, filter=item.filter,
                                    dark_frame=item.dark_frame, name=item.name,
                                    comment=item.comment)
    except (ValueError, TypeError) as error:
        item.error = str(error)
        return None
    low = low_altitude_message(float(item.plan.coord.dec.deg), item.plan.max_altitude)
    if low:
        item.notes = low
    return item.plan


def _look_ahead(item: _Target, plan: SubmissionPlan) -> None:
    """Warn, and note in the report, when the target has no observable night soon."""
    from ..observe.api import not_observable_message
    from ..observe.observability import NotObservableWarning
    message = not_observable_message(plan.coord, item.label)
    if message:
        item.notes = f'{item.notes}; {message}' if item.notes else message
        warnings.warn(message, NotObservableWarning, stacklevel=2)


def _names(item: _Target) -> list[str]:
    """The names the target may be listed under: as given, its ``name``, its plan's."""
    names = [item.target] if isinstance(item.target, str) else []
    if isinstance(item.name, str):
        names.append(item.name)
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
    dry_run: bool
    queue: list[QueueEntry]
    free: int | None                        # places left in the queue (None: unknown)
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
            _plan(item)
        if item.plan is None:
            return 'failed', None, item.error
        settled = self.settled(item)
        if settled is not None:
            return settled
        _look_ahead(item, item.plan)
        if self.full is not None:
            return 'not sent', None, ("not sent: the account's queue is full (the server "
                                      "refused an earlier target)")
        if self.free is not None and self.free <= 0:
            return ('waits for room', None,
                    f'waits for room: the queue holds {self.limit} requests '
                    f'(conf.queue_limit); submit it once some are observed')
        self._take_place(-1)
        if self.dry_run:
            return 'would submit', None, 'dry run: not submitted'
        action, rid, message = self.submit(item.plan)
        if action in ('failed', 'not sent'):    # an ambiguous one may hold its place
            self._take_place(+1)
        return action, rid, message

    def _take_place(self, change: int) -> None:
        if self.free is not None:   # None: the site's own limit decides (QueueFullError)
            self.free += change

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
        except SubmissionError as error:        # refusals, and outcomes not known
            return ('ambiguous' if error.status == AMBIGUOUS else 'failed'), None, str(error)
        except RemoteServiceError as error:     # the queue or the basket could not be used
            return 'failed', None, str(error)
        # The new request waits in the queue: a repeated target finds it.
        self.queue.insert(0, QueueEntry(rid, plan.object_name, 1, plan.object_id,
                                        (float(plan.coord.ra.deg), float(plan.coord.dec.deg))))
        return 'submitted', rid, ''


def submit_missing(client: Client, targets: Any, *, exposure: Any = DEFAULT_EXPOSURE,
                   telescope: Any = 'COAST', filter: Any = 'BVR', dark_frame: Any = True,
                   dry_run: bool = False, min_interval: Any = None) -> Table:
    """Submit the targets that are not waiting in the queue; report on each.

    See `~telescope_query.core.TelescopeClass.submit_missing`.
    """
    telescope_name = arguments.telescope(telescope)
    arguments.filter_name(filter, telescope_name)
    exposure_to_ms(exposure, telescope_name)
    arguments.check_flag(dark_frame, 'dark_frame')
    arguments.check_flag(dry_run, 'dry_run')
    interval = arguments.min_interval(min_interval)
    from .. import conf
    limit = arguments.queue_limit(conf.queue_limit)
    items = _targets(targets, {'exposure': exposure, 'filter': filter,
                               'telescope': telescope_name, 'dark_frame': bool(dark_frame)})
    if not items:
        raise ValueError("targets is empty: give at least one target")
    for item in items:
        _check_cheaply(item)
    client._require_login()
    with one_at_a_time(client):     # no other submission of this client in between
        # A batch of nothing but bad rows has nothing to ask the site.
        queue = [] if all(item.error for item in items) else read_queue(client)
        from ..observe.api import now
        batch = _Batch(client, dry_run, queue, cadence.free_places(queue, limit), limit,
                       interval, now())
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
