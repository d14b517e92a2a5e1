"""Progress bars of a bulk fetch: jobs (with their current states) and bytes.

tqdm (`~telescope_query.utils.progress_bar`): a widget in Jupyter with
ipywidgets, two text bars in a terminal, and one text bar (the bytes in its
postfix) in a notebook without ipywidgets, whose output keeps every line a
bar moves to. Nothing when nobody can see it, and nothing until some product
has to be fetched (`start`): a call served from the cache draws no bar.
Safe to call from several threads.
"""
from __future__ import annotations

import threading
from typing import Any, Iterable

from ..utils import progress_bar, progress_style

__all__ = ['FetchProgress']


class FetchProgress:
    """Bars for jobs (with the current staging states) and bytes."""

    def __init__(self, count: int, show: bool) -> None:
        self.count = count
        self.style = progress_style(show)
        self.jobs: Any = None
        self.data: Any = None
        self._done = 0                  # jobs finished before the bars were drawn
        self._bytes = self._total = 0   # for the one-line bar's postfix
        self._states = ''
        self._lock = threading.Lock()

    def start(self, done: int = 0) -> None:
        """Draw the bars: some product has to be fetched (``done``: found in the cache)."""
        if self.style is None or self.jobs is not None:
            return
        self.jobs = progress_bar(self.style, total=self.count, initial=done, desc='products',
                                 unit='job', position=0)
        if self.style != 'text':
            self.data = progress_bar(self.style, total=0, desc='download', unit='B',
                                     unit_scale=True, unit_divisor=1024, position=1)

    def states(self, statuses: Iterable[str]) -> None:
        """Show how many jobs are in each state."""
        if self.jobs is None:
            return
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        with self._lock:
            self._states = ', '.join(f'{k} {v}' for k, v in sorted(counts.items()))
            self._show_postfix()

    def _show_postfix(self) -> None:
        text = self._states
        if self.data is None and self._total:
            text += f', {self._bytes / 2**20:.1f}/{self._total / 2**20:.1f} MiB'
        self.jobs.set_postfix_str(text, refresh=False)

    def job_done(self) -> None:
        if self.jobs is not None:
            with self._lock:
                self.jobs.update(1)

    def expect(self, size: int | None) -> None:
        """``size`` more bytes to come (nothing when unknown)."""
        if not size:
            return
        with self._lock:
            self._total += size
            if self.data is not None:
                self.data.total = (self.data.total or 0) + size
                self.data.refresh()

    def bytes(self, count: int) -> None:
        """``count`` bytes received (negative: thrown away)."""
        with self._lock:
            self._bytes += count
            if self.data is not None:
                self.data.update(count)

    def close(self) -> None:
        with self._lock:
            if self.jobs is not None and self.data is None and self._total:
                self._show_postfix()
            for bar in (self.jobs, self.data):
                if bar is not None:
                    bar.close()
