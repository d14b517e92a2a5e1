"""A second copy of a download, written as the bytes arrive, on a thread of its own.

``download_data`` puts each product into the user's folder as a file of its
own (never sharing storage with the cache). Where the file system makes no
clones, copying the cached file afterwards costs a second pass over the bytes
on the user's wait. A `Mirror` writes each block to that file while the next
block is read from the network: the write (a system call that releases the
GIL) runs beside the transfer, on the second core. The cache's file stays the
one that is verified; the mirror is used only when it holds exactly as many
bytes, and it is dropped (the copy made the old way) on any doubt.
"""
from __future__ import annotations

import os
import queue
import secrets
import threading
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ['Mirror', 'start_mirror', 'discard']

_DROP = object()        # the download starts again from its first byte
_END = object()
#: Blocks waiting for the writer at most (each ``transfer.BLOCK_SIZE``): bounded memory.
QUEUE_BLOCKS = 8


class Mirror:
    """The file ``path`` (new, empty) receiving every block written to a download.

    `write` and `drop` follow the download's own; `close` says whether the
    file holds ``size`` bytes and nothing went wrong. Errors of the mirror never
    reach the download: it is then only not used.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_BLOCKS)
        self._failed = False
        self._size = 0
        self._file = open(path, 'r+b', buffering=0)
        if fcntl is not None:       # a live writer's: not removed as left by a killed process
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pass
        self._thread = threading.Thread(target=self._run, name='telescope_query-mirror',
                                        daemon=True)
        self._thread.start()

    def write(self, block: bytes) -> None:
        if not self._failed:
            self._queue.put(block)

    def drop(self) -> None:
        if not self._failed:
            self._queue.put(_DROP)

    def close(self, size: int) -> bool:
        """Wait for the writer; True when the file holds exactly ``size`` bytes."""
        self._queue.put(_END)
        self._thread.join()
        self._file.close()
        return not self._failed and self._size == size

    def _run(self) -> None:
        # Ends at _END, which close() always sends after the last block.
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._failed:
                continue                    # drained, so that put() never blocks
            try:
                if item is _DROP:
                    self._file.seek(0)
                    self._file.truncate()
                    self._size = 0
                else:
                    view = memoryview(item)
                    while view:
                        count = self._file.write(view)
                        if not count:
                            raise OSError('no byte written')
                        view = view[count:]
                    self._size += len(item)
            except (OSError, ValueError):   # a full disk, a file closed under it...
                self._failed = True


def start_mirror(folder: Path, name: str) -> Mirror | None:
    """A `Mirror` writing ``.<name>.<random>.part`` in ``folder`` (the name of the
    temporaries that `~telescope_query.images.cache.remove_stale_temporaries`
    removes when a killed process leaves one); None where it cannot be made."""
    for _ in range(8):
        path = folder / f'.{name}.{secrets.token_hex(4)}.part'
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL
                             | getattr(os, 'O_BINARY', 0), 0o666))
        except FileExistsError:
            continue
        except OSError:
            return None
        try:
            return Mirror(path)
        except OSError:
            discard(path)
            return None
    return None


def discard(path: Path | None) -> None:
    """Remove a mirror that will not be used."""
    if path is not None:
        try:
            os.unlink(path)
        except OSError:
            pass
