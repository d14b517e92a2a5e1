"""The cadence and the room of ``submit_missing``: pure, tested without a server.

A target is due when its last completed request is at least ``min_interval``
old (or it has none); the batch submits at most the free places of the
account's queue (``conf.queue_limit`` less the requests waiting there), in the
order given, and the others wait for room. The listing gives no completion
time [seen]: it comes from the views of the target's newest completed requests
(`LOOK_BACK` of them, cached once final).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Mapping

from ..protocol.pages import completion_may_slip
from .queue import QueueEntry

__all__ = ['LOOK_BACK', 'free_places', 'last_completion', 'too_recent', 'without_slip']

#: How many of a target's newest completed requests (by id) are opened for
#: their completion times: requests are completed roughly in id order, and a
#: few ids cover those that were queued together and completed out of order.
LOOK_BACK = 5


def free_places(queue: Iterable[QueueEntry], limit: int) -> int | None:
    """Places left in the account's queue: ``limit`` less the requests waiting.

    None (not known: let the site say when it is full) when more requests wait
    than ``limit``: the account's own limit is higher than the client was told
    (the site's limit is per account [seen: 10 by default]; a professional
    account has 40, a test simulator may allow more).
    """
    waiting = sum(1 for entry in queue if entry.queued)
    if waiting > int(limit):
        return None
    return int(limit) - waiting


def last_completion(completions: Mapping[int, datetime | None]
                    ) -> tuple[int, datetime] | None:
    """The newest ``(rid, completed)`` among the requests' completion times."""
    known = [(when, rid) for rid, when in completions.items() if when is not None]
    if not known:
        return None
    when, rid = max(known)
    return rid, when


def too_recent(last: tuple[int, datetime] | None, now: datetime,
               min_interval: timedelta) -> str:
    """'' when due; else a message naming the last completion and its age."""
    if last is None:
        return ''
    rid, when = last
    when = without_slip(when, now)
    age = now - when
    if age >= min_interval:
        return ''
    if age < timedelta(minutes=-1):      # the server's clock ahead of ours
        ago = f"{_days(-age)} ahead of this computer's clock"
    elif age < timedelta(minutes=1):
        ago = 'just now'
    else:
        ago = f'{_days(age)} ago'
    return (f"observed recently: R{rid} completed {when:%Y-%m-%d %H:%M} UTC, "
            f"{ago}; min_interval is {_days(min_interval)}")


def without_slip(shown: datetime, now: datetime) -> datetime:
    """A view's completion time, a day earlier when the summer date slip explains
    why it is in the future.

    A completion between 23:00 and 24:00 UTC in summer is shown with the next
    day's date [seen] (`~telescope_query.protocol.pages.completion_may_slip`),
    so a request completed a minute ago can read as tomorrow. A completion is
    never in the future: one shown up to a day ahead, at that hour, is the day
    before. A slipped time in the past is kept as shown (at most a day too
    late, so a target waits longer, never less, than ``min_interval``).
    """
    earlier = shown - timedelta(days=1)
    if shown > now and completion_may_slip(shown) and earlier <= now + timedelta(minutes=1):
        return earlier
    return shown


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f'{days:.1f} days' if abs(days) >= 1 else f'{span.total_seconds() / 3600:.1f} hours'
