"""Small helpers shared by the client modules: batches and progress bars.

No I/O of its own: `run_batch` only runs the callables it is given.
"""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, Sequence, TypeVar

__all__ = ['run_batch', 'progress_wanted']

T = TypeVar('T')
R = TypeVar('R')


def progress_wanted(show_progress: bool) -> bool:
    """Show progress bars only when asked and when someone can see them."""
    if not show_progress:
        return False
    try:
        from IPython import get_ipython
        if get_ipython() is not None:
            return True
    except ImportError:
        pass
    return sys.stderr.isatty()


def run_batch(function: Callable[[T], R], items: Sequence[T], *, max_workers: int,
              show_progress: bool = False, description: str = '',
              unit: str = 'item') -> list[R | BaseException]:
    """Call ``function`` on each item in a bounded thread pool.

    Returns the results in the order of ``items``; an item whose call raised
    gets its exception object in its place, so one failure never hides the
    others. Callers decide whether to raise it.
    """
    items = list(items)
    results: list[Any] = [None] * len(items)
    workers = max(1, min(int(max_workers), len(items)))
    bar = None
    if progress_wanted(show_progress) and len(items) > 1:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(items), desc=description, unit=unit, file=sys.stderr)
    try:
        if workers == 1:
            for index, item in enumerate(items):
                results[index] = _call(function, item)
                if bar is not None:
                    bar.update(1)
            return results
        with ThreadPoolExecutor(max_workers=workers,
                                thread_name_prefix='telescope_query') as pool:
            futures = {pool.submit(_call, function, item): index
                       for index, item in enumerate(items)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                if bar is not None:
                    bar.update(1)
        return results
    finally:
        if bar is not None:
            bar.close()


def _call(function: Callable[[T], R], item: T) -> R | BaseException:
    try:
        return function(item)
    except Exception as exc:  # collected, re-raised or reported by the caller
        return exc

