"""Small helpers shared by the client modules: batches and progress bars.

No I/O of its own: `run_batch` only runs the callables it is given. Progress
bars are tqdm's: a widget in a Jupyter kernel with ipywidgets (the
``jupyter`` extra), text in a terminal, and, in a notebook without
ipywidgets, text kept to one line per bar (`progress_style`).
"""
from __future__ import annotations

import importlib.util
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, Sequence, TypeVar

__all__ = ['run_batch', 'progress_wanted', 'progress_style', 'progress_bar']

T = TypeVar('T')
R = TypeVar('R')


def progress_style(show_progress: bool) -> str | None:
    """How progress bars are shown, if at all.

    None: not asked, or nobody can see them (standard error is not a
    terminal, outside a notebook). ``'widget'``: a Jupyter kernel with
    ipywidgets. ``'text'``: a Jupyter kernel without ipywidgets, whose output
    keeps every line a text bar moves to: bars must not stack there (no
    ``position``), each stays one line. ``'terminal'``: a terminal, where
    bars may stack.
    """
    if not show_progress:
        return None
    if _in_kernel():
        return 'widget' if _has_widgets() else 'text'
    return 'terminal' if sys.stderr.isatty() else None


def progress_wanted(show_progress: bool) -> bool:
    """Show progress bars only when asked and when someone can see them."""
    return progress_style(show_progress) is not None


def progress_bar(style: str, **options: Any) -> Any:
    """A tqdm bar to standard error in ``style`` (`progress_style`): tqdm.notebook's
    widget, or tqdm's text (``'text'``: one line, never stacked)."""
    if style == 'widget':
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
        if style == 'text':
            options.pop('position', None)
            options.setdefault('dynamic_ncols', False)
    return tqdm(file=sys.stderr, **options)


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (not IPython in a terminal)."""
    shell = getattr(sys.modules.get('IPython'), 'get_ipython', lambda: None)()
    return shell is not None and 'IPKernelApp' in getattr(shell, 'config', {})


def _has_widgets() -> bool:
    return importlib.util.find_spec('ipywidgets') is not None


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
    style = progress_style(show_progress)
    if style is not None and len(items) > 1:
        bar = progress_bar(style, total=len(items), desc=description, unit=unit)
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

