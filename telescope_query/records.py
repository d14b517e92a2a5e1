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
from datetime import datetime
from pathlib import Path
from typing import Any, Callable
from .files import write_atomically

__all__ = ['RecordCache', 'canonical']


class RecordCache:
    """JSON files of parsed records in ``root``, one folder per ``scope``.

    ``scope`` names the server and the account (``'<server url>\\n<user>'``):
    it is kept only as a hash, the folder's name. ``current`` tells whether the
    scope still holds (the session is still the account's it was chosen for):
    once it says False, `put` keeps nothing, as the answer may be another's.
    """

    def __init__(self, root: Path, scope: str, current: Callable[[], bool] = lambda: True):
        self.folder = Path(root) / hashlib.sha256(scope.encode()).hexdigest()[:24]
        self._current = current

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
        """Keep ``value`` (JSON and datetimes) under ``key``, atomically; nothing
        when the scope no longer holds."""
        if not self._current():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self._file(key), json.dumps(value, default=_encode))


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
