"""``observability`` and the submission's look-ahead: targets read, then the pure part.

Targets are read as ``submit`` reads them (`telescope_query.submit.target`),
the limits come from ``conf``, and `telescope_query.observe.observability`
does the astronomy, offline.
"""
from __future__ import annotations

import warnings
from datetime import datetime, timezone
from typing import Any, Iterable

from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time

from .. import arguments
from ..submit.target import format_objectid, resolve_target
from .observability import Limits, NotObservableWarning, observability_table, observable_nights

__all__ = ['observability', 'limits', 'warn_if_not_observable', 'now']


def now() -> datetime:
    """The client's clock (UTC) for the look-ahead and the cadence: one place, so
    that the documentation's pages can set it to their simulated day."""
    return datetime.now(timezone.utc)


def limits() -> Limits:
    """The limits ``conf`` sets (each checked: a bad setting is a clear ValueError)."""
    from .. import conf
    return Limits(
        min_altitude=arguments.degrees_limit(conf.observable_min_altitude,
                                             'conf.observable_min_altitude', 0.0, 90.0),
        moon_separation=arguments.degrees_limit(conf.observable_moon_separation,
                                                'conf.observable_moon_separation', 0.0, 180.0))


def _targets(targets: Any) -> tuple[SkyCoord, list[str]]:
    """Targets as one SkyCoord array and their labels; each checked before any is used."""
    if isinstance(targets, Table):
        column = next((n for n in ('target', 'name') if n in targets.colnames), None)
        if column is None:
            raise ValueError(f"targets: the table needs a 'target' (or 'name') column; it "
                             f"has {', '.join(targets.colnames) or 'none'}")
        items: list[Any] = [value if isinstance(value, SkyCoord) else str(value)
                            for value in targets[column]]
    elif isinstance(targets, SkyCoord):
        items = [targets] if targets.isscalar else list(targets)
    elif isinstance(targets, (str, bytes)):
        items = [targets]
    elif isinstance(targets, Iterable):
        items = list(targets)
    else:
        raise TypeError(f"targets must be a target (a name, a coordinate string, a "
                        f"SkyCoord), a list of them or a Table with a 'target' column; got "
                        f"{type(targets).__name__}")
    if not items:
        raise ValueError("targets is empty: give at least one target")
    coords, labels = [], []
    for item in items:
        coord, name = resolve_target(item)
        coords.append(coord)
        labels.append(name if name is not None else
                      item.strip() if isinstance(item, str) else format_objectid(coord))
    return SkyCoord(coords), labels


def observability(targets: Any, start: Any = None, days: Any = 30, *,
                  telescope: Any = 'COAST') -> Table:
    """See `~telescope_query.core.TelescopeClass.observability`."""
    telescope_name = arguments.telescope(telescope)
    when = arguments.observing_start(start)
    span = arguments.observing_days(days)
    rules = limits()
    coords, labels = _targets(targets)
    table = observability_table(coords, labels, when, span, rules)
    table.meta['telescope'] = telescope_name
    table.meta['site'] = 'Observatorio del Teide'
    return table


def warn_if_not_observable(coord: SkyCoord, label: str, *, stacklevel: int = 2) -> bool:
    """Warn (`NotObservableWarning`) when ``coord`` has no observable night in the
    next ``conf.observable_days``; True when it has one."""
    message = not_observable_message(coord, label)
    if message:
        warnings.warn(message, NotObservableWarning, stacklevel=stacklevel + 1)
    return not message


def not_observable_message(coord: SkyCoord, label: str) -> str:
    """The `NotObservableWarning`'s text when ``coord`` has no observable night in
    the next ``conf.observable_days``, else ''.

    A text, not a warning caught and read back: the warning filters are the
    whole process's, so catching them in one thread would catch, or lose,
    another thread's warnings too.
    """
    from .. import conf
    days = arguments.observing_days(conf.observable_days, 'conf.observable_days')
    rules = limits()
    # From the start of this hour: the Sun's and Moon's grid is then the same
    # for every target of a batch (observability._sky keeps it).
    start = now().replace(minute=0, second=0, microsecond=0)
    nights = int(observable_nights(coord.reshape((1,)) if coord.isscalar else coord,
                                   Time(start), days, rules)[0])
    if nights:
        return ''
    return (f"{label} has no night in the next {days:g} days when it can be observed "
            f"from the Observatorio del Teide (dark sky, above "
            f"{rules.min_altitude:g}° and {rules.moon_separation:g}° from the Moon; "
            f"conf.observable_days and conf.observable_min_altitude set these)")
