"""The product cache: where verified image products live, and how they get there.

Files only, no HTTP. A product lives at ``client.product_cache / ('raw' |
'processed') / file_name`` (`account_folder`: one folder per server and
account), beside a record (``<file>.json``: size, CRC-32, ``st_mtime_ns``,
inode) that `verified` checks it against. Files are written under a
temporary name beside their place and renamed into it (`temporary_beside`,
`store`): complete or absent. A temporary is locked while its writer lives,
so one left by a killed process is told from one in use and removed
(`remove_stale_temporaries`). One lock per product (`lock`). A product that
``download_data`` downloaded straight into a user's file has only its record
here, naming that file (`note_placed`); the cache takes a copy from it when
it is next asked (`verified`). When a hit is trusted without reading the
file, and what that cannot see: docs/internals.rst, Images.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import threading
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

try:
    import fcntl
except ImportError:  # Windows: a file in use cannot be removed there anyway
    fcntl = None  # type: ignore[assignment]

from ..contract import Client
from .product import Fetched, Product
from ..files import clone_or_copy, read_record, write_atomically

__all__ = ['account_folder', 'product_path', 'cached_path', 'find_cached', 'verified', 'verified_size',
           'file_crc', 'trusted_stat', 'lock', 'temporary_beside', 'remove_stale_temporaries',
           'store', 'note_placed', 'delivered_to', 'take_back', 'stamp', 'USER_FILE_MARGIN_NS',
           'PRODUCT_FOLDERS']

#: Bytes read at a time when a cached file's CRC-32 is checked.
READ_SIZE = 1 << 20
_RECORD_SUFFIX = '.json'
#: The folders of the products in an account's folder.
PRODUCT_FOLDERS = ('raw', 'processed')


# --- layout and records ------------------------------------------------------------

def account_folder(root: Path, server_url: str, user: str) -> Path:
    """``root/<server>/<account>``: a product cache's folder for one server and account.

    The server as its host and port (``127.0.0.1_8000``), the account as a
    hash of its name (see ``SessionQuery.product_cache``).
    """
    netloc = urlsplit(server_url).netloc or 'server'
    account = hashlib.sha256(user.encode()).hexdigest()[:16]
    return Path(root) / netloc.replace(':', '_') / account


def product_path(folder: str | os.PathLike, product: Product) -> Path:
    """Where ``product`` lives in a folder of products: ``raw/`` or ``processed/``."""
    return Path(folder) / PRODUCT_FOLDERS[product.processed] / product.file_name


def cached_path(client: Client, product: Product) -> Path:
    """Where ``product`` lives in the client's product cache (per server and account)."""
    return product_path(client.product_cache, product)


def find_cached(client: Client, product: Product) -> Fetched | None:
    """The verified cached copy of ``product``, or None; no HTTP call.

    Raises `~astroquery.exceptions.LoginError` when nobody is logged in: the
    cache of products is the logged-in account's.
    """
    path = cached_path(client, product)
    found = verified(path)
    return None if found is None else Fetched(product, path, *found, cached=True)


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
    """The size of a cached product whose bytes are those verified at download
    (see `verified`), or None."""
    found = verified(path)
    return None if found is None else found[0]


def verified(path: Path) -> tuple[int, int] | None:
    """``(size, crc32)`` of a cached product whose bytes are those verified at
    download, or None.

    A file whose size, ``st_mtime_ns`` and inode are those of its record
    (written after its last change: not "racy") is trusted without being
    read (`trusted_stat`). Otherwise the CRC-32 recorded when the product was
    verified must match: a file changed or cut since (a disk error, an editor,
    a copy interrupted) is a miss, fetched again; one that matches is
    recorded again with its present times, so the next hit need not read it.
    A product whose record names the user's file it was delivered to
    (`note_placed`), and that is not here whole, is copied back from that file
    while it still holds the product's bytes (`take_back`). What the first
    test cannot see: docs/internals.rst, Images.
    """
    try:
        record, written_ns = read_record(_record_path(path))
        try:
            holds = _holds_recorded(path, record, written_ns, path)
        except FileNotFoundError:
            holds = False
        return (int(record['size']), int(record['crc32'])) if holds else \
            take_back(path, record)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _holds_recorded(file: Path, record: dict[str, Any], written_ns: int, final: Path,
                    margin_ns: int = 0) -> bool:
    """Whether ``file`` holds the bytes ``record`` (of the product at ``final``,
    written at ``written_ns``) describes: by its stat (`trusted_stat`), else by
    its CRC-32, after which the record is written again with the file's present
    stat, so the next look need not read it. `OSError` when it cannot be read."""
    size, crc = int(record['size']), int(record['crc32'])
    before = os.stat(file)
    if before.st_size != size:
        return False
    if trusted_stat(record, before, written_ns, margin_ns):
        return True
    if file_crc(file) != (size, crc):
        return False
    try:
        after = os.stat(file)
        if stamp(after) == stamp(before):  # not changed while it was read
            _write_record(final, {**record, 'mtime_ns': after.st_mtime_ns,
                                  'inode': after.st_ino})
    except OSError:
        pass  # a cache folder one cannot write to: read again next time
    return True


def note_placed(final: Path, product: Product, size: int, crc: int, placed: Path,
                stat: os.stat_result) -> None:
    """Record a product that ``download_data`` downloaded straight into the user's
    file ``placed``: the cache keeps no copy of its own, only its record (size,
    CRC-32, and ``stat``: the download's, taken before it was renamed into
    place, so that a change made just after is seen), with the file's path, for
    `verified` to copy it back from when asked.

    A file already at ``final`` stays (another process may have stored the
    product and be reading it): `verified` finds it whole, or takes the
    product back.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    _write_record(final, {'jid': product.jid, 'product': product.label, 'size': size,
                          'crc32': crc, 'mtime_ns': stat.st_mtime_ns, 'inode': stat.st_ino,
                          'placed': os.path.abspath(placed)})


def delivered_to(final: Path, target: Path) -> tuple[int, int] | None:
    """``(size, crc32)`` when the user's file ``target`` is where the product of
    ``final`` was delivered (`note_placed`) and still holds its bytes (by its
    stat, else its CRC-32, as `verified` checks); else None. Nothing copied."""
    try:
        record, written_ns = read_record(_record_path(final))
        if record.get('placed') != os.path.abspath(target) or not _holds_recorded(
                target, record, written_ns, final, USER_FILE_MARGIN_NS):
            return None
        return int(record['size']), int(record['crc32'])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def take_back(path: Path, record: dict[str, Any]) -> tuple[int, int] | None:
    """Copy a delivered product (`note_placed`) back into the cache from the user's
    file; ``(size, crc32)``, or None when there is no such file or it no longer
    holds the product's bytes (changed, cut, replaced: the product is fetched again).

    The copy's CRC-32 must be the product's, whatever the user's file's stat
    says: a file of the user's may be edited with its times put back, or live
    on a file system whose times are coarse. The record keeps ``placed``, so
    that a copy cut short before its rename still knows where the product is.
    """
    placed = record.get('placed')
    if not isinstance(placed, str):
        return None
    size, crc = int(record['size']), int(record['crc32'])
    source = Path(placed)
    if source.stat().st_size != size:
        return None
    with temporary_beside(path) as temporary:
        clone_or_copy(source, temporary)
        if file_crc(temporary) != (size, crc):
            return None
        _install(temporary, path, record)
    return size, crc


#: How much newer than a user's file its record must be for its stat to be trusted
#: (ns): the file may live on another file system than the record, one whose
#: times are coarse (FAT keeps them to 2 s), so "written after it" must be by more.
USER_FILE_MARGIN_NS = 2 * 10**9


def trusted_stat(record: dict[str, Any], stat: os.stat_result, written_ns: int,
                 margin_ns: int = 0) -> bool:
    """Whether a file is, without reading it, the one ``record`` describes: same
    size, ``st_mtime_ns`` and inode, and the record (written at ``written_ns``)
    newer than the file's last change (by more than ``margin_ns``), so a change
    within the same clock tick cannot hide (a "racy" record is never trusted,
    as git does with its index)."""
    return (record.get('size') == stat.st_size
            and record.get('mtime_ns') == stat.st_mtime_ns
            and record.get('inode') == stat.st_ino
            and stat.st_mtime_ns + margin_ns < written_ns)


def stamp(stat: os.stat_result) -> tuple[int, int, int]:
    """What says a file changed: its size, ``st_mtime_ns`` and inode."""
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
#: ``.<name>.<8 hex digits>.part``: the temporaries of `temporary_beside`.
TEMPORARY_NAME = re.compile(r'^\.(?P<name>.+)\.[0-9a-f]{8}\.part$')
#: ``.<name>.json.<8 characters>.tmp``: a record being written (`write_atomically`).
_RECORD_TEMPORARY = re.compile(r'^\..+\.json\.[a-z0-9_]{8}\.tmp$')
#: A record's temporary older than this (seconds) was left by a killed process:
#: a live one exists for the microseconds of a small write.
RECORD_TEMPORARY_AGE = 60.0
_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0) | \
    getattr(os, 'O_BINARY', 0)


@contextmanager
def temporary_beside(target: Path) -> Iterator[Path]:
    """A new empty file next to ``target`` (``.<name>.*.part``), gone afterwards.

    Created with mode ``0o666`` less the process's umask, as any file the user
    makes (why not ``mkstemp``: docs/internals.rst, Images). It is locked
    (``flock``) for as long as the block runs, so that
    `remove_stale_temporaries` tells it from one left by a killed process.
    Whatever happens in the block, the temporary does not stay: renamed into
    place, or removed on the way out.
    """
    for _ in range(_TEMPORARY_TRIES):
        temporary = target.parent / f'.{target.name}.{secrets.token_hex(4)}.part'
        try:
            fd = os.open(temporary, _FLAGS, 0o666)
        except FileExistsError:
            continue
        if _locked(fd, temporary):
            break
        os.close(fd)  # removed as stale between its creation and its lock: another name
    else:  # pragma: no cover
        raise FileExistsError(f'no free temporary name beside {os.fspath(target)!r}')
    try:
        yield Path(temporary)
    finally:
        # Gone after a rename; still there after a failure, or after a rename
        # that did nothing (the target became a link of the same file meanwhile).
        try:
            Path(temporary).unlink(missing_ok=True)
        finally:
            os.close(fd)  # the lock goes with it


def _locked(fd: int, path: Path) -> bool:
    """Lock a new temporary; False when a cleaner removed it before the lock was taken."""
    if fcntl is None:
        return True
    fcntl.flock(fd, fcntl.LOCK_EX)  # waits only while a cleaner looks at this very file
    try:
        return _same_inode(os.stat(path), os.fstat(fd))
    except FileNotFoundError:
        return False


def _same_inode(one: os.stat_result, other: os.stat_result) -> bool:
    return (one.st_dev, one.st_ino) == (other.st_dev, other.st_ino)


def remove_stale_temporaries(folder: Path,
                             wanted: Callable[[str], bool] = lambda name: True) -> int:
    """Remove the temporaries left in ``folder`` by processes that died (killed,
    or the machine stopped) while writing; returns how many.

    A temporary ``.<name>.<random>.part`` whose ``name`` is ``wanted`` is stale
    when no live process holds its lock (`temporary_beside`). Where there is
    no ``flock`` (Windows), a file still open cannot be removed, which tells
    the same. A record's temporary is stale after `RECORD_TEMPORARY_AGE`.
    """
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        match = TEMPORARY_NAME.match(entry.name)
        if match and wanted(match['name']):
            removed += _remove_if_unlocked(Path(entry.path))
        elif _RECORD_TEMPORARY.match(entry.name):
            try:
                if time.time() - entry.stat(follow_symlinks=False).st_mtime > \
                        RECORD_TEMPORARY_AGE:
                    os.unlink(entry.path)
                    removed += 1
            except OSError:
                pass
    return removed


def _remove_if_unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_BINARY', 0))
    except OSError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # a live writer holds it
            if not _same_inode(os.stat(path), os.fstat(fd)):
                return False
        else:
            os.close(fd)
            fd = -1
        os.unlink(path)  # Windows: refused while a writer has it open
        return True
    except OSError:
        return False
    finally:
        if fd >= 0:
            os.close(fd)


def store(temporary: Path, final: Path, product: Product, size: int, crc: int) -> Fetched:
    """Put a verified download into its place in the cache: its record, then the file.

    The record holds the file's size, CRC-32, ``st_mtime_ns`` and inode (a
    rename keeps both), for `verified`. A temporary on another file system
    (a download into the user's folder that could not be put there) is
    copied, and the copy checked against the CRC-32.
    """
    record = {'jid': product.jid, 'product': product.label, 'size': size, 'crc32': crc}
    if _same_file_system(temporary, final.parent):
        _install(temporary, final, record)
    else:
        with temporary_beside(final) as copied:
            clone_or_copy(temporary, copied)
            if file_crc(copied) != (size, crc):
                raise OSError(errno.EIO, 'the copy differs from the download', str(final))
            _install(copied, final, record)
    return Fetched(product, final, size, crc, cached=False)


def _install(temporary: Path, final: Path, record: dict[str, Any]) -> None:
    """Rename ``temporary`` to ``final`` after writing its record (with its stat)."""
    stat = os.stat(temporary)
    _write_record(final, {**record, 'mtime_ns': stat.st_mtime_ns, 'inode': stat.st_ino})
    os.replace(temporary, final)


def _same_file_system(path: Path, folder: Path) -> bool:
    try:
        return os.stat(path).st_dev == os.stat(folder).st_dev
    except OSError:
        return False
