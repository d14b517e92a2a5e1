"""Shared helpers: the bounded batch runner and progress bars."""
from __future__ import annotations

import threading
import time


from telescope_query.utils import progress_wanted, run_batch


def test_run_batch_keeps_order_and_returns_exceptions_in_place():
    def work(item):
        if item == 3:
            raise KeyError(item)
        time.sleep(0.001 * (10 - item))
        return item * 10

    results = run_batch(work, range(10), max_workers=4)
    assert [r for i, r in enumerate(results) if i != 3] == [i * 10 for i in range(10) if i != 3]
    assert isinstance(results[3], KeyError)


def test_run_batch_is_bounded_by_max_workers():
    running, peak, lock = [0], [0], threading.Lock()

    def work(item):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return item

    assert run_batch(work, range(12), max_workers=3) == list(range(12))
    assert 1 < peak[0] <= 3
    assert run_batch(work, [], max_workers=3) == []


def test_progress_only_when_asked_and_visible(monkeypatch):
    assert progress_wanted(False) is False
    import sys
    monkeypatch.setattr(sys.stderr, 'isatty', lambda: False, raising=False)
    assert progress_wanted(True) is False
