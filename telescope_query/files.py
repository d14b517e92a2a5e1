"""Small files written whole or not at all.

`write_atomically` writes a text to a temporary file beside its place and
renames it there: a reader finds the old content or the new, never half of
one, and a failure leaves no temporary behind. `clone_or_copy` puts a file's
bytes into another that shares no storage with it (a reflink, else a copy).
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ['write_atomically', 'read_record', 'clone_or_copy']


def write_atomically(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file renamed into place."""
    target = Path(path)
    handle = tempfile.NamedTemporaryFile('w', dir=target.parent, prefix=f'.{target.name}.',
                                         suffix='.tmp', delete=False, encoding='utf-8')
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return target


def read_record(path: str | os.PathLike) -> tuple[Any, int]:
    """A JSON file's content and when it was written (``st_mtime_ns``), read through
    one open file; `OSError` or `ValueError` when it cannot be read."""
    with open(path, 'rb') as handle:
        return json.loads(handle.read().decode('utf-8')), os.fstat(handle.fileno()).st_mtime_ns


#: ``FICLONE`` (``_IOW(0x94, 9, int)``): Linux's ioctl that makes a file share the
#: blocks of another, copy-on-write (btrfs, XFS, bcachefs, OCFS2...). Python has
#: ``fcntl.FICLONE`` from 3.12 only.
_FICLONE = 0x40049409
#: Bytes asked of one ``copy_file_range`` call.
_COPY_CHUNK = 1 << 30


def clone_or_copy(source: str | os.PathLike, target: str | os.PathLike) -> str:
    """Put the bytes of the file ``source`` into the empty file ``target``.

    A reflink (a copy-on-write clone: no byte copied, and a later change of
    either file leaves the other as it was) where the file system makes
    them; else a copy in the kernel (``os.copy_file_range``: a server-side
    copy on NFS and SMB, a clone on some file systems); else a plain copy.
    The two files never share storage that a write to one would change in
    the other. Returns ``'clone'`` or ``'copy'`` (what was done).
    """
    with open(source, 'rb') as src, open(target, 'r+b') as dst:
        if _clone(src.fileno(), dst.fileno()):
            return 'clone'
        if not _copy_in_kernel(src.fileno(), dst.fileno()):
            src.seek(0)
            dst.seek(0)
            if os.fstat(dst.fileno()).st_size:
                # ``target`` starts empty: only a kernel copy that failed
                # midway left bytes to drop.
                dst.truncate()
            shutil.copyfileobj(src, dst, 1 << 20)
    return 'copy'


def _clone(source_fd: int, target_fd: int) -> bool:
    """A reflink of the whole file, where the platform and file system make one."""
    if not sys.platform.startswith('linux'):
        return False
    import fcntl
    try:
        fcntl.ioctl(target_fd, getattr(fcntl, 'FICLONE', _FICLONE), source_fd)
    except OSError:  # EOPNOTSUPP, EXDEV, EINVAL, ENOTTY: no clone here
        return False
    return True


def _copy_in_kernel(source_fd: int, target_fd: int) -> bool:
    """``os.copy_file_range`` to the end of ``source``; False where it is not offered
    (another platform, an old kernel, two file systems it cannot copy between)."""
    copy = getattr(os, 'copy_file_range', None)
    if copy is None:
        return False
    try:
        # Ends: each call copies at least a byte until the end of the file (0).
        while copy(source_fd, target_fd, _COPY_CHUNK):
            pass
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP,
                         errno.EPERM, errno.ETXTBSY):
            return False
        raise  # a full disk, an I/O error: the caller reports it
    return True
