"""The rules of waiting for requests: pure, tested without a server.

Like ``images.polling`` for the image engine: the loop (``monitor.loop``) reads
the listing once per round and does what these functions say. The first round
is at once; then the wait grows from `FIRST_WAIT` by `GROWTH` up to ``poll``,
so a request about to complete is seen soon and a long wait costs one listing
call every ``poll`` seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..protocol import site

__all__ = ['FIRST_WAIT', 'GROWTH', 'MAX_WAIT', 'next_wait', 'Progress']

#: Seconds before the second listing call.
FIRST_WAIT = 1.0
#: Each next wait is this many times the last, up to ``poll``.
GROWTH = 1.5
#: The longest a wait lasts without a ``timeout``, seconds: 30 days.
MAX_WAIT = 30 * 86400.0


def next_wait(last: float | None, poll: float) -> float:
    """Seconds until the next listing call, after a wait of ``last`` (None: the first)."""
    if last is None:
        return min(FIRST_WAIT, poll)
    return min(last * GROWTH, poll)


@dataclass
class Progress:
    """What is known of the requests waited for: the last status of each, and
    the ones that reached a final status (in the order they were seen to)."""

    rids: list[int]
    status: dict[int, int | None] = field(default_factory=dict)
    finished: list[int] = field(default_factory=list)

    def update(self, listed: Mapping[int, int | None]) -> list[int]:
        """Take a listing's statuses; return the requests that became final now.

        A request the listing no longer shows keeps its last status.
        """
        newly = []
        for rid in self.rids:
            if rid not in listed:
                continue
            self.status[rid] = listed[rid]
            if rid not in self.finished and listed[rid] in site.FINAL_STATUSES:
                self.finished.append(rid)
                newly.append(rid)
        return newly

    @property
    def pending(self) -> list[int]:
        return [rid for rid in self.rids if rid not in self.finished]

    def missing(self, listed: Iterable[int]) -> list[int]:
        """The requests waited for that a listing does not show."""
        shown = set(listed)
        return [rid for rid in self.rids if rid not in shown]
