"""The record cache: JSON files of parsed records, one folder per server and account.

Only for things that never change (views of completed requests and jobs, and
the pages they come from). Pure file I/O: the client decides what is kept and
under which key; this module only stores and reads. Files are written
atomically; an unreadable file counts as a miss (and is removed). Nothing
with a cookie or password is ever stored: values are JSON (with datetimes),
never pickles.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from .files import write_atomically

__all__ = ['RecordCache', 'canonical', 'clear']


class RecordCache:
    """JSON files of parsed records in ``root``, one folder per ``scope``.

    ``scope`` names the server and the account (``'<server url>\\n<user>'``):
    it is kept only as a hash, the folder's name.
    """

    def __init__(self, root: Path, scope: str):
        self.folder = Path(root) / hashlib.sha256(scope.encode()).hexdigest()[:24]

    def _file(self, key: tuple) -> Path:
        name = hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:40]
        return self.folder / f'{name}.json'

    def get(self, key: tuple) -> Any:
        """The value kept under ``key``, or None (missing or unreadable)."""
        path = self._file(key)
        try:
            return json.loads(path.read_text(encoding='utf-8'), object_hook=_decode)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            return None

    def put(self, key: tuple, value: Any) -> None:
        """Keep ``value`` (JSON and datetimes) under ``key``, atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self._file(key), json.dumps(value, default=_encode))

    def clear(self) -> int:
        """Remove every record of this server and account; returns how many."""
        return _clear_folder(self.folder)


#: The record files and their temporaries (`write_atomically`): what `clear` removes.
_RECORD_FILE = re.compile(r'^([0-9a-f]{40}\.json|\.[0-9a-f]{40}\.json\.[a-z0-9_]{8}\.tmp)$')
_SCOPE_FOLDER = re.compile(r'^[0-9a-f]{24,64}$')


def clear(root: str | os.PathLike) -> int:
    """Remove the records of every server and account under ``root``; returns how
    many. Only the cache's own files and folders go (hex names of its making)."""
    removed = 0
    try:
        folders = [Path(e.path) for e in os.scandir(os.fspath(root))
                   if e.is_dir(follow_symlinks=False) and _SCOPE_FOLDER.match(e.name)]
    except OSError:
        return 0
    for folder in folders:
        removed += _clear_folder(folder)
    try:
        Path(root).rmdir()
    except OSError:
        pass  # something else is there
    return removed


def _clear_folder(folder: Path) -> int:
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if _RECORD_FILE.match(entry.name):
            try:
                os.unlink(entry.path)
                removed += entry.name.endswith('.json')
            except OSError:
                pass
    try:
        folder.rmdir()
    except OSError:
        pass
    return removed


def canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of params/data, for cache keys."""
    if value is None:
        return None
    if isinstance(value, dict):
        return sorted([str(k), str(v)] for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [[str(k), str(v)] for k, v in value]
    return str(value)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {'__datetime__': value.isoformat()}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(obj: dict) -> Any:
    if set(obj) == {'__datetime__'}:
        return datetime.fromisoformat(obj['__datetime__'])
    return obj
