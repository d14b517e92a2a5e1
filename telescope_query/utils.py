"""Small helpers shared by the client modules: id normalisation and batches.

No I/O of its own: `run_batch` only runs the callables it is given.
"""
from __future__ import annotations

import numbers
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

__all__ = ['normalize_ids', 'run_batch', 'progress_wanted']

#: Largest id accepted: ids beyond a signed 64-bit integer cannot exist on the site.
MAX_ID = 2 ** 63 - 1

T = TypeVar('T')
R = TypeVar('R')


def _one_id(value: Any, name: str) -> int:
    """Return ``value`` as a positive int id, or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer id, got the boolean {value!r}")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        # Ids as the site prints them carry a one-letter prefix (R706248, J418581).
        if text[:1] in ('R', 'J', 'r', 'j') and text[1:].isdigit():
            text = text[1:]
        if not text.isdigit() or not text.isascii():
            raise ValueError(f"{name} must be an integer id (like 418581), got "
                             f"{_shorten(value)}")
        if len(text.lstrip('0')) > len(str(MAX_ID)):
            # int() of thousands of digits is slow, or refused by Python itself.
            raise ValueError(f"{name} must be an id below 2**63 (the site's largest), got "
                             f"{_shorten(value)}")
        number = int(text)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        number = int(value)
    else:
        raise TypeError(f"{name} must be an integer id (int or numeric string), "
                        f"got {type(value).__name__} {value!r}")
    if number <= 0:
        raise ValueError(f"{name} must be a positive integer id, got {value!r}")
    if number > MAX_ID:
        raise ValueError(f"{name} must be an id below 2**63 (the site's largest), got "
                         f"{_shorten(value)}")
    return number


def _shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def normalize_ids(ids: Any, name: str, column: str | None = None) -> tuple[list[int], bool]:
    """Turn the ways users give ids into a list of ints.

    Parameters
    ----------
    ids : int, str, sequence, `~astropy.table.Table`, `~astropy.table.Row` or `~astropy.table.Column`
        One id or many. A Table or Row contributes its ``column`` column.
    name : str
        Parameter name for error messages (``'jids'``, ``'rids'``).
    column : str, optional
        Column to take from a Table or Row (``'jid'``, ``'rid'``); defaults to
        ``name`` without a trailing ``s``.

    Returns
    -------
    ids : list of int
    single : bool
        True when one scalar id was given (callers may return a scalar then).

    Raises
    ------
    ValueError, TypeError
        Naming ``name`` and what is allowed, before anything is sent.
    """
    from astropy.table import Row, Table  # local: keep import of utils cheap

    column = column or name.rstrip('s')
    if isinstance(ids, (Table, Row)):
        if column not in ids.colnames:
            raise ValueError(f"{name}: the table has no {column!r} column "
                             f"(columns: {', '.join(ids.colnames)})")
        values = ids[column]
        single = isinstance(ids, Row)
        values = [values] if single else list(values)
    elif isinstance(ids, (str, bytes)) or np.ndim(ids) == 0:
        if isinstance(ids, bytes):
            ids = ids.decode('ascii', 'replace')
        values, single = [ids], True
    else:
        values, single = list(ids), False
    if hasattr(values, 'mask'):
        values = list(values)
    out = []
    for value in values:
        if np.ma.is_masked(value):
            raise ValueError(f"{name} contains a masked (missing) id")
        out.append(_one_id(value, name))
    if not out:
        raise ValueError(f"{name} is empty: give at least one id")
    return out, single


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

