"""Paging through a request listing (``1-get-list-own``): the decisions, no I/O.

The first call asks for one big page. ``totalRequests`` [seen] says how many
requests the folder holds; while fewer have come, the rest is asked for with
``startAfterRow`` (an offset, as the original client sent it; how the live
site pages past a cap of its own is [assumed]). `ListingPager` takes each
answer and says what to ask next, or that the listing is over, and then
whether it is whole or how it fell short: a server that stops sending before
its total, that sends the same requests again (it ignores ``startAfterRow``),
or that never gets to the end within `MAX_CALLS` calls. Never a loop, never a
silent cut: the caller warns with `Shortfall.message`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .user_api import to_int

__all__ = ['FIRST_PAGE', 'MAX_CALLS', 'Shortfall', 'ListingPager']

#: The first call asks for this many requests: one call holds any real account
#: (the original's second call asked for all but 100 at once).
FIRST_PAGE = 100_000
#: Calls one listing may take in all, whatever the server answers.
MAX_CALLS = 1000


@dataclass(frozen=True)
class Shortfall:
    """How a listing fell short of the total the server gave."""

    listed: int         # requests received (each once)
    total: int          # the server's totalRequests, as last given
    after_row: int      # the startAfterRow of the last call
    why: str            # 'none sent', 'sent again' or 'too many calls'

    def message(self, folder: str) -> str:
        """The warning: how many of how many, and what the server did."""
        head = f"The server listed {self.listed} of the {self.total} requests it counts in {folder}"
        if self.why == 'sent again':
            return (f"{head}: asked for those after row {self.after_row} (startAfterRow), it "
                    f"sent requests it had sent already, so it seems not to page. Only "
                    f"{self.listed} are shown.")
        if self.why == 'none sent':
            asked = f"after row {self.after_row}" if self.after_row else "of the folder"
            return (f"{head}: asked for those {asked}, it sent none. "
                    f"Only {self.listed} are shown.")
        return (f"{head}, and the listing was still not whole after {MAX_CALLS} calls. Only "
                f"{self.listed} are shown.")


class ListingPager:
    """The calls of one listing: `next_call`, then `receive` its answer, until
    `next_call` says None; then `rows` and `shortfall`.

    Each call must bring at least one request not seen before, or the listing
    ends, so it takes at most ``min(total, MAX_CALLS)`` calls.
    """

    def __init__(self, first_page: int = FIRST_PAGE, max_calls: int = MAX_CALLS) -> None:
        self.rows: list[dict[str, Any]] = []
        self.shortfall: Shortfall | None = None
        self._ids: set[int | None] = set()
        self._first_page = first_page
        self._max_calls = max_calls
        self._calls = 0
        self._offset = 0            # rows received in all, repeats included
        self._total: int | None = None
        self._done = False

    def next_call(self) -> tuple[int, int] | None:
        """``(limit, startAfterRow)`` of the next call, or None: the listing is over."""
        if self._done:
            return None
        if self._total is None:
            return self._first_page, 0
        return max(self._total - len(self.rows), 1), self._offset

    def receive(self, total: int | None, page: list[dict[str, Any]]) -> None:
        """One answer: the server's total (None when it gave none) and its requests."""
        after_row = self._offset
        self._calls += 1
        self._offset += len(page)
        new = 0
        for raw in page:
            rid = to_int(raw.get('id'))
            if rid not in self._ids:        # the listing may move while paging
                self._ids.add(rid)
                self.rows.append(raw)
                new += 1
        if total is None or len(self.rows) >= total:
            self._done = True              # whole (no total: as whole as can be told)
            return
        self._total = total
        why = ('none sent' if not page else 'sent again' if not new else
               'too many calls' if self._calls >= self._max_calls else '')
        if why:
            self._done = True
            self.shortfall = Shortfall(len(self.rows), total, after_row, why)
