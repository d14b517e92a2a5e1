"""The product cache's size limit (``conf.cache_limit``): least recently used out.

Files only, no HTTP. `note_used` records, in one small JSON file of the
account's folder (`USAGE_FILE`), when this package last used each product
(found in the cache or stored); file access times are not used: they are
often not kept (``noatime``, ``relatime``) and other programs read the files
too. `evict` removes the least recently used products (and their records)
until the products take at most the limit; the products of the current call
are never removed. `clear` empties a product folder. See docs/internals.rst,
Images.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Iterable

from ..files import write_atomically
from .cache import PRODUCT_FOLDERS, TEMPORARY_NAME, remove_stale_temporaries
from .placing import LEDGER_FOLDER
from .product import FILE_NAME

__all__ = ['note_used', 'evict', 'keep_within_limit', 'cached_products', 'clear', 'clear_all',
           'USAGE_FILE']

#: The record of uses, in an account's product folder.
USAGE_FILE = 'usage.json'
_RECORD_SUFFIX = '.json'
_ACCOUNT = re.compile(r'^[0-9a-f]{16,64}$')
# One writer of the usage file at a time in this process (another process
# writing at the same moment may lose a use: the order stays nearly right).
_lock = threading.Lock()


def _read_usage(folder: Path) -> dict[str, float]:
    try:
        usage = json.loads((folder / USAGE_FILE).read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return {}
    if not isinstance(usage, dict):
        return {}
    return {str(k): float(v) for k, v in usage.items() if isinstance(v, (int, float))}


def _key(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def cached_products(folder: Path) -> list[Path]:
    """Every product file in a product folder (its records and temporaries aside).

    Only the files beside their record: the cache writes the record first, so
    a file without one is not the cache's (a user's file put there by
    ``download_data`` into that folder), and is never evicted or cleared.
    """
    found = []
    for sub in PRODUCT_FOLDERS:
        try:
            names = {e.name: e for e in os.scandir(folder / sub)}
        except OSError:
            continue
        found += [Path(e.path) for name, e in names.items()
                  if FILE_NAME.match(name) and name + _RECORD_SUFFIX in names
                  and e.is_file(follow_symlinks=False)]
    return found


def note_used(folder: Path, paths: Iterable[Path]) -> None:
    """Record that the products at ``paths`` (in ``folder``) were used now."""
    now = time.time()
    with _lock:
        usage = _read_usage(folder)
        for path in paths:
            usage[_key(folder, Path(path))] = now
        try:
            write_atomically(folder / USAGE_FILE, json.dumps(usage, sort_keys=True))
        except OSError:
            pass  # a cache one cannot write to: the order of uses is lost, no more


def evict(folder: Path, limit: int, keep: Iterable[Path] = ()) -> list[Path]:
    """Remove the least recently used products until they take at most ``limit`` bytes.

    Products never used through `note_used` count as used when their record
    was last written. The products in ``keep`` stay whatever their size.
    Returns the products removed.
    """
    kept = {Path(p) for p in keep}
    sizes = {}
    for path in cached_products(folder):
        try:
            sizes[path] = path.stat().st_size
        except OSError:
            continue
    total = sum(sizes.values())
    if total <= limit:
        return []
    with _lock:
        usage = _read_usage(folder)

        def last_used(path: Path) -> float:
            used = usage.get(_key(folder, path))
            if used is not None:
                return used
            try:
                return path.with_name(path.name + _RECORD_SUFFIX).stat().st_mtime
            except OSError:
                return 0.0

        removed = []
        for path in sorted(sizes, key=last_used):
            if total <= limit:
                break
            if path in kept:
                continue
            try:
                path.unlink()
            except OSError:
                continue  # in use where files in use cannot be removed (Windows)
            path.with_name(path.name + _RECORD_SUFFIX).unlink(missing_ok=True)
            usage.pop(_key(folder, path), None)
            total -= sizes[path]
            removed.append(path)
        if removed:
            try:
                write_atomically(folder / USAGE_FILE, json.dumps(usage, sort_keys=True))
            except OSError:
                pass
    return removed


def keep_within_limit(folder: Path, used: Iterable[Path], limit_gb: float | None) -> list[Path]:
    """After a call: note the products it ``used``, then `evict` beyond ``limit_gb``
    (GB, 10**9 bytes; 0 or None: no limit), never one of those it used."""
    used = list(used)
    if used:
        note_used(folder, used)
    if not limit_gb or limit_gb <= 0:
        return []
    return evict(folder, int(limit_gb * 1e9), keep=used)


def clear_all(root: Path, depth: int = 4) -> int:
    """`clear` every product folder under ``root`` (the account folders of every
    server, at most ``depth`` levels down); returns how many products.

    An account folder is one named by a hash (hexadecimal digits, as
    `~telescope_query.images.cache.account_folder` names it) that holds
    ``raw``, ``processed`` or ``placed``: a folder the original constructor's
    ``cache`` argument points to may hold the user's own files too.
    """
    root = Path(root)
    removed = 0
    visited = []
    for here, folders, _ in os.walk(root):
        level = len(Path(here).relative_to(root).parts)
        if _ACCOUNT.match(Path(here).name) and any(
                name in folders for name in (*PRODUCT_FOLDERS, LEDGER_FOLDER)):
            removed += clear(Path(here))
            folders[:] = []
        elif level >= depth:
            folders[:] = []
        visited.append(Path(here))
    for folder in reversed(visited):   # the deepest first: empty folders go
        _remove_if_empty(folder)
    return removed


def clear(folder: Path) -> int:
    """Remove every product of a product folder, with their records, the records
    of the files put into users' folders and the usage file; returns how many
    products. Only the package's own files go: nothing else in the folder."""
    products = cached_products(folder)
    for path in products:
        path.unlink(missing_ok=True)
    for sub in PRODUCT_FOLDERS:
        remove_stale_temporaries(folder / sub)
        try:
            for entry in os.scandir(folder / sub):
                stem = entry.name[:-len(_RECORD_SUFFIX)]
                if entry.name.endswith(_RECORD_SUFFIX) and FILE_NAME.match(stem):
                    os.unlink(entry.path)
        except OSError:
            pass
        _remove_if_empty(folder / sub)
    ledger = folder / LEDGER_FOLDER
    try:
        for entry in os.scandir(ledger):
            if entry.name.endswith(_RECORD_SUFFIX) and not TEMPORARY_NAME.match(entry.name):
                os.unlink(entry.path)
    except OSError:
        pass
    _remove_if_empty(ledger)
    (folder / USAGE_FILE).unlink(missing_ok=True)
    _remove_if_empty(folder)
    return len(products)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty, or not there
