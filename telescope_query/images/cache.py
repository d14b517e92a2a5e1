"""The product cache: where verified image products live, and how they get there.

Files only, no HTTP. A product lives at ``client.product_cache / ('raw' |
'processed') / file_name`` (`account_folder`: one folder per server and
account), beside a record (``<file>.json``: size, CRC-32, ``st_mtime_ns``,
inode) that `verified_size` checks it against. Files are written under a
temporary name beside their place and renamed into it (`temporary_beside`,
`store`, `place`): complete or absent. One lock per product (`lock`). When a
hit is trusted without reading the file, and what that cannot see:
docs/internals.rst, Images.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import threading
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

from ..contract import Client
from .product import Fetched, Product
from ..files import write_atomically

__all__ = ['account_folder', 'cached_path', 'find_cached',
           'verified_size', 'file_crc', 'lock', 'temporary_beside', 'store', 'place']

#: Bytes read at a time when a cached file's CRC-32 is checked.
READ_SIZE = 1 << 20
_RECORD_SUFFIX = '.json'


# --- layout and records ------------------------------------------------------------

def account_folder(root: Path, server_url: str, user: str) -> Path:
    """``root/<server>/<account>``: a product cache's folder for one server and account.

    The server as its host and port (``127.0.0.1_8000``), the account as a
    hash of its name (see ``SessionQuery.product_cache``).
    """
    netloc = urlsplit(server_url).netloc or 'server'
    account = hashlib.sha256(user.encode()).hexdigest()[:16]
    return Path(root) / netloc.replace(':', '_') / account


def cached_path(client: Client, product: Product) -> Path:
    """Where ``product`` lives in the client's product cache (per server and account)."""
    folder = 'processed' if product.processed else 'raw'
    return Path(client.product_cache) / folder / product.file_name


def find_cached(client: Client, product: Product) -> Fetched | None:
    """The verified cached copy of ``product``, or None; no HTTP call.

    Raises `~astroquery.exceptions.LoginError` when nobody is logged in: the
    cache of products is the logged-in account's.
    """
    path = cached_path(client, product)
    size = verified_size(path)
    return None if size is None else Fetched(product, path, size, cached=True)


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + _RECORD_SUFFIX)


def file_crc(path: Path) -> tuple[int, int]:
    """``(size, crc32)`` of a file, read in large blocks."""
    crc = size = 0
    with open(path, 'rb', buffering=0) as fileobj:
        buffer = bytearray(READ_SIZE)
        view = memoryview(buffer)
        while (count := fileobj.readinto(buffer)):
            crc = zlib.crc32(view[:count], crc)
            size += count
    return size, crc


def verified_size(path: Path) -> int | None:
    """The size of a cached product whose bytes are those verified at download.

    A file whose size, ``st_mtime_ns`` and inode are those of its record
    (written after its last change: not "racy") is trusted without being
    read. Otherwise the CRC-32 recorded when the product was verified must
    match: a file changed or cut since (a disk error, an editor, a copy
    interrupted) is a miss, fetched again; one that matches is recorded again
    with its present times, so the next hit need not read it. What the first
    test cannot see: docs/internals.rst, Images.
    """
    record_path = _record_path(path)
    try:
        with open(record_path, 'rb') as handle:
            record = json.loads(handle.read().decode('utf-8'))
            written_ns = os.fstat(handle.fileno()).st_mtime_ns
        size, crc = int(record['size']), int(record['crc32'])
        before = path.stat()
        if before.st_size != size:
            return None
        if (record.get('mtime_ns') == before.st_mtime_ns
                and record.get('inode') == before.st_ino
                and before.st_mtime_ns < written_ns):
            return size
        if file_crc(path) != (size, crc):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    try:
        after = path.stat()
        if _stamp(after) == _stamp(before):  # not changed while it was read
            _write_record(path, {**record, 'mtime_ns': after.st_mtime_ns,
                                 'inode': after.st_ino})
    except OSError:
        pass  # a cache folder one cannot write to: read again next time
    return size


def _stamp(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _write_record(path: Path, record: dict[str, Any]) -> None:
    write_atomically(_record_path(path), json.dumps(record))


# --- one writer per product ----------------------------------------------------------

class _KeyLocks:
    """One lock per product: two threads never download the same product twice."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def __call__(self, key: Path) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(str(key), threading.Lock())


#: ``with lock(path):`` one thread at a time for the product that lives at ``path``.
lock = _KeyLocks()


# --- atomic placement ----------------------------------------------------------------

#: Names tried for a temporary before giving up (each random: a clash is rare).
_TEMPORARY_TRIES = 100


@contextmanager
def temporary_beside(target: Path) -> Iterator[Path]:
    """A new empty file next to ``target`` (``.<name>.*.part``), gone afterwards.

    Created with mode ``0o666`` less the process's umask, as any file the user
    makes (why not ``mkstemp``: docs/internals.rst, Images). Whatever happens in
    the block, the temporary does not stay: renamed into place, or removed on
    the way out.
    """
    flags = (os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0)
             | getattr(os, 'O_BINARY', 0))
    for _ in range(_TEMPORARY_TRIES):
        temporary = target.parent / f'.{target.name}.{secrets.token_hex(4)}.part'
        try:
            fd = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover
        raise FileExistsError(f'no free temporary name beside {os.fspath(target)!r}')
    os.close(fd)
    try:
        yield Path(temporary)
    finally:
        # Gone after a rename; still there after a failure, or after a rename
        # that did nothing (the target became a link of the same file meanwhile).
        Path(temporary).unlink(missing_ok=True)


def store(temporary: Path, final: Path, product: Product, size: int, crc: int) -> Fetched:
    """Put a verified download into its place in the cache: its record, then the file.

    The record holds the file's size, CRC-32, ``st_mtime_ns`` and inode (a
    rename keeps both), for `verified_size`.
    """
    stat = os.stat(temporary)
    _write_record(final, {'jid': product.jid, 'product': product.label, 'size': size,
                          'crc32': crc, 'mtime_ns': stat.st_mtime_ns,
                          'inode': stat.st_ino})
    os.replace(temporary, final)
    return Fetched(product, final, size, cached=False)


def place(fetched: Fetched, folder: str | os.PathLike, name: str | None = None) -> Path:
    """Put a verified product into ``folder`` under its file name (or ``name``), atomically.

    A hard link to the cached file when the file system allows (no copy of
    the bytes), else a copy under a temporary name that is then renamed. A
    target that already is the cached file (the cache's own folder, or a link
    made by an earlier placing) is left as it is. No temporary file stays
    behind, whatever happens.
    """
    target = Path(folder) / (name or fetched.product.file_name)
    if _same_file(target, fetched.path):
        # Already the verified product. Renaming a link onto another link of
        # the same file would do nothing at all (POSIX rename) and leave the
        # temporary behind.
        return target
    with temporary_beside(target) as temporary:
        os.unlink(temporary)
        try:
            os.link(fetched.path, temporary)
        except OSError:  # another file system, or links not supported
            shutil.copyfile(fetched.path, temporary)
        os.replace(temporary, target)
    return target


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist
        return False
