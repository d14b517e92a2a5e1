"""One sync of a folder at a time: a lock file beside the ledger.

The lock holds the process id, the host name and the time. A run that finds
it and sees that its process is gone (same host) takes it over, saying so; a
live one makes `SyncLockedError`, which names the file to remove if the
other run is in fact dead (another host's run cannot be checked).
"""
from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path
from typing import Callable, Iterator

__all__ = ['LOCK_NAME', 'SyncLockedError', 'holding']

LOCK_NAME = '.telescope-sync.lock'


class SyncLockedError(RuntimeError):
    """Another sync of the same folder is running."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:     # someone else's process: alive
        return True
    return True


@contextlib.contextmanager
def holding(folder: Path, say: Callable[[str], None] = lambda text: None) -> Iterator[Path]:
    """Hold the folder's lock for the block; released whatever happens."""
    path = folder / LOCK_NAME
    me = f'{os.getpid()} {socket.gethostname()} {time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}\n'
    for _ in range(2):
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(path)
            parts = holder.split()
            stale = (len(parts) >= 2 and parts[0].isdigit() and parts[1] == socket.gethostname()
                     and not _alive(int(parts[0])))
            if not stale:
                raise SyncLockedError(
                    f"another sync of {str(folder)!r} is running ({holder.strip() or 'unknown'}:"
                    f" process, host, start); if it is not, remove {str(path)!r}") from None
            say(f"taking over the lock of a sync that ended without releasing it "
                f"({holder.strip()})")
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(handle, 'w') as out:
            out.write(me)
        break
    else:
        raise SyncLockedError(f"could not take the lock {str(path)!r}")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding='utf-8', errors='replace')[:200]
    except OSError:
        return ''
