"""Progress bars of a bulk fetch: jobs (with their current states) and bytes.

``tqdm.auto``: a text bar in terminals, a widget in Jupyter; nothing at all
when nobody can see it (`~telescope_query.utils.progress_wanted`). Safe to
call from several threads.
"""
from __future__ import annotations

import sys
import threading
from typing import Iterable

from ..utils import progress_wanted

__all__ = ['FetchProgress']


class FetchProgress:
    """Bars for jobs (with the current staging states) and bytes: tqdm.auto."""

    def __init__(self, count: int, show: bool) -> None:
        self.jobs = self.data = None
        self._lock = threading.Lock()
        if not progress_wanted(show):
            return
        from tqdm.auto import tqdm
        self.jobs = tqdm(total=count, desc='products', unit='job', file=sys.stderr,
                         position=0)
        self.data = tqdm(total=0, desc='download', unit='B', unit_scale=True,
                         unit_divisor=1024, file=sys.stderr, position=1)

    def states(self, statuses: Iterable[str]) -> None:
        """Show how many jobs are in each state."""
        if self.jobs is None:
            return
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        self.jobs.set_postfix_str(', '.join(f'{k} {v}' for k, v in sorted(counts.items())))

    def job_done(self) -> None:
        if self.jobs is not None:
            self.jobs.update(1)

    def expect(self, size: int | None) -> None:
        """``size`` more bytes to come (nothing when unknown)."""
        if self.data is not None and size:
            with self._lock:
                self.data.total = (self.data.total or 0) + size
                self.data.refresh()

    def bytes(self, count: int) -> None:
        """``count`` bytes received (negative: thrown away)."""
        if self.data is not None:
            with self._lock:
                self.data.update(count)

    def close(self) -> None:
        for bar in (self.jobs, self.data):
            if bar is not None:
                bar.close()
