"""Products put into the user's folder, as files that are the user's from then on.

`place` puts a verified product into a folder under its file name: a reflink
or a copy of the cached file (`telescope_query.files.clone_or_copy`), never
a hard link, so that the user's file and the cache never share storage;
written under a temporary name and renamed into place (complete or absent).
A product that ``download_data`` downloads is written once, straight beside
its place in the user's folder, and renamed into it (``move``, `Delivery`):
the cache then keeps only its record.

A file already there is the user's unless this package wrote it and nobody
changed it since. `Ledger` keeps a record of each file written (its path,
size, CRC-32, ``st_mtime_ns`` and inode) in the product cache's folder; a
file that still matches its record (its stat, else its CRC-32) may be
replaced. A file holding the product's exact bytes is left as it is. Any
other is `NotOurs`, unless the caller says ``overwrite``. Files only, no HTTP.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import stat as stat_module
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..files import clone_or_copy, read_record, write_atomically
from .cache import (USER_FILE_MARGIN_NS, file_crc, remove_stale_temporaries, stamp,
                    take_back, temporary_beside, trusted_stat, verified)
from .product import Fetched, Product

__all__ = ['place', 'Delivery', 'NotOurs', 'Ledger', 'LEDGER_FOLDER']

#: The ledger's folder in an account's product cache folder.
LEDGER_FOLDER = 'placed'


class NotOurs(FileExistsError):
    """A file of the target's name that this package did not write, or that was
    changed since it wrote it: left as it is."""


class Ledger:
    """Records of the files `place` wrote, one small JSON file per target path.

    Parameters
    ----------
    folder : path-like
        Where the records live (``<product cache>/placed``).
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    @staticmethod
    def key(target: Path) -> str:
        """The target's path as recorded: absolute, its folder's links resolved."""
        return os.path.join(os.path.realpath(target.parent), target.name)

    def _file(self, target: Path) -> Path:
        digest = hashlib.sha256(self.key(target).encode('utf-8', 'surrogateescape'))
        return self.folder / f'{digest.hexdigest()[:32]}.json'

    def get(self, target: Path) -> tuple[dict[str, Any], int] | None:
        """The record of ``target`` and when it was written (``st_mtime_ns``), or None."""
        try:
            record, written_ns = read_record(self._file(target))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get('path') != self.key(target) or not all(
                type(record.get(key)) is int for key in ('size', 'crc32', 'mtime_ns', 'inode')):
            return None                 # not this file's, or damaged: as if there were none
        return record, written_ns

    def note(self, target: Path, fetched: Fetched, stat: os.stat_result,
             cached_as: Path | None = None) -> None:
        """Record that ``target`` now holds the bytes of ``fetched``, written here.

        ``stat``: the file's as it was written (taken before its rename, which
        keeps it: a change made just after is seen). ``cached_as``: for a
        delivered product, its place in the cache, whose record names
        ``target`` (see `place`).
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self._file(target), json.dumps({
            'path': self.key(target), 'jid': fetched.product.jid,
            'product': fetched.product.label, 'size': fetched.size, 'crc32': fetched.crc,
            'mtime_ns': stat.st_mtime_ns, 'inode': stat.st_ino,
            **({} if cached_as is None else {'cached_as': os.path.abspath(cached_as)})}))


class _Found(NamedTuple):
    """What is at a target, as `_existing` judged it."""

    state: str                          # 'absent', 'same', 'ours' or 'foreign'
    stat: os.stat_result | None = None  # the file's, taken before it was read
    record: dict[str, Any] | None = None    # its ledger record


def _existing(target: Path, fetched: Fetched, ledger: Ledger) -> _Found:
    """What is at ``target``: ``'absent'``; ``'same'`` (the product's bytes
    already); ``'ours'`` (written by `place` and unchanged since); ``'foreign'``
    (anything else, and a file that changed while it was read)."""
    try:
        stat = os.lstat(target)
    except FileNotFoundError:
        return _Found('absent')
    if not stat_module.S_ISREG(stat.st_mode):
        return _Found('foreign', stat)        # a link, a folder...: never written here
    product = (fetched.size, fetched.crc)
    noted = ledger.get(target)
    record = noted[0] if noted else None
    recorded = (record['size'], record['crc32']) if record else None
    if noted is not None and trusted_stat(noted[0], stat, noted[1], USER_FILE_MARGIN_NS):
        return _Found('same' if recorded == product else 'ours', stat, record)
    if stat.st_size not in (fetched.size, recorded and recorded[0]):
        return _Found('foreign', stat, record)
    try:
        found = file_crc(target)
        if stamp(os.lstat(target)) != stamp(stat):
            return _Found('foreign', stat, record)      # changed while it was read
    except OSError:
        return _Found('foreign', stat, record)
    state = 'same' if found == product else 'ours' if found == recorded else 'foreign'
    return _Found(state, stat, record)


def _not_ours(target: Path) -> NotOurs:
    return NotOurs(errno.EEXIST, "a file of that name is there that telescope_query did not "
                   "write (or that was changed since): it is left as it is; overwrite=True "
                   "replaces it", os.fspath(target))


def place(fetched: Fetched, folder: str | os.PathLike, name: str | None = None, *,
          overwrite: bool = False, ledger: Ledger | None = None, tidy: bool = True,
          move: bool = False, cached_as: Path | None = None) -> Path:
    """Put a verified product into ``folder`` under its file name (or ``name``).

    Parameters
    ----------
    fetched : `~telescope_query.images.product.Fetched`
        The verified product.
    folder : path-like
        An existing folder.
    name : str, optional
        The file name; the product's by default.
    overwrite : bool, optional
        Replace a file of that name even when this package did not write it,
        or it was changed since.
    ledger : `Ledger`, optional
        The records of the files written; by default those of the product
        cache that holds ``fetched``.
    tidy : bool, optional
        First remove temporaries of that name left by a killed process (a
        caller that tidied the whole folder already passes False).
    move : bool, optional
        ``fetched.path`` is a file of its own beside the target (a download
        written there): it is renamed into place, not copied. Where it is not
        put there (an exception), or the target already holds its bytes, it is
        left as it is.
    cached_as : `~pathlib.Path`, optional
        With ``move``: the product's place in the cache, which keeps only a
        record naming the file (a `Delivery`). Before such a file is replaced
        by another product, the cache takes a copy of it back: it is the
        product's only copy here.

    Returns
    -------
    `~pathlib.Path`
        The file.

    Raises
    ------
    NotOurs
        A file of that name is there that this package did not write, or
        that was changed since: it is left as it is.
    OSError
        The file could not be written (nothing is left half-written), or it
        holds a delivered product the cache could not copy back first (it is
        left as it is).
    """
    target = Path(folder) / (name or fetched.product.file_name)
    if ledger is None:
        ledger = Ledger(fetched.path.parent.parent / LEDGER_FOLDER)
    if tidy:
        remove_stale_temporaries(target.parent, lambda found: found == target.name)
    found = _existing(target, fetched, ledger)
    if found.state == 'foreign' and not overwrite:
        raise _not_ours(target)
    if found.state == 'ours':
        found = _keep_delivered(found, target, fetched, ledger, overwrite)
    if found.state == 'same':
        written = found.stat
        if cached_as is None and found.record and \
                (found.record['size'], found.record['crc32']) == (fetched.size, fetched.crc):
            cached_as = _cached_as(found.record)     # still the delivered product's place
    elif move:
        written = _put(fetched.path, target, found, overwrite, fetched, ledger)
    else:
        written = _write_copy(fetched, target, found, overwrite, ledger)
    assert written is not None  # every state but 'absent' has its stat; 'absent' is written
    ledger.note(target, fetched, written, cached_as)
    return target


def _cached_as(record: dict[str, Any] | None) -> Path | None:
    cached_as = record.get('cached_as') if record else None
    return Path(cached_as) if isinstance(cached_as, str) else None


def _keep_delivered(found: _Found, target: Path, fetched: Fetched, ledger: Ledger,
                    overwrite: bool) -> _Found:
    """Before ``target`` (written here, unchanged) is replaced by another product:
    when it holds a delivered product (the cache may keep only a record naming
    it), the cache takes a copy first, from where its record says, else from
    ``target`` itself (CRC-checked either way). When it cannot, the file is
    judged again: changed meanwhile, it is the user's (`NotOurs` unless
    ``overwrite``); else `OSError`, and it is left as it is."""
    final = _cached_as(found.record)
    if final is None or found.record is None or verified(final) is not None:
        return found
    wanted = {key: found.record[key] for key in ('jid', 'product', 'size', 'crc32')}
    if take_back(final, {**wanted, 'placed': os.path.abspath(target)}) is not None:
        return found
    again = _existing(target, fetched, ledger)
    if again.state == 'foreign' and not overwrite:
        raise _not_ours(target)
    if again.state == 'ours':
        raise OSError(errno.EIO, "it holds a product downloaded there that could not be "
                      "copied back into the cache first: it is left as it is",
                      os.fspath(target))
    return again


@dataclass(frozen=True)
class Delivery:
    """Where ``download_data`` puts the products it downloads: each is written
    beside its place in ``folder`` and renamed into it (`place` with ``move``),
    the one write of its bytes; the cache keeps only its record.

    Parameters
    ----------
    folder : `~pathlib.Path`
        The user's folder (it exists).
    overwrite : bool
        As for `place`.
    ledger : `Ledger`
        The records of the files written.
    cached : bool, optional
        False with ``cache=False``: the products' place is then a temporary
        folder, which the ledger does not name.
    """

    folder: Path
    overwrite: bool
    ledger: Ledger
    cached: bool = True

    def target(self, product: Product) -> Path:
        """The user's file of ``product``."""
        return self.folder / product.file_name

    def put(self, fetched: Fetched, cached_as: Path) -> Path:
        """Rename the download ``fetched.path`` into place (see `place`);
        ``cached_as``: its place in the cache, which keeps only its record."""
        return place(fetched, self.folder, overwrite=self.overwrite, ledger=self.ledger,
                     tidy=False, move=True, cached_as=cached_as if self.cached else None)


def _write_copy(fetched: Fetched, target: Path, found: _Found, overwrite: bool,
                ledger: Ledger) -> os.stat_result:
    """Write a clone or a copy of the cached file at ``target``; the stat to record."""
    with temporary_beside(target) as temporary:
        clone_or_copy(fetched.path, temporary)
        return _put(temporary, target, found, overwrite, fetched, ledger)


def _put(source: Path, target: Path, found: _Found, overwrite: bool, fetched: Fetched,
         ledger: Ledger) -> os.stat_result:
    """Rename the file ``source`` to ``target`` (``found``: what is there); the
    stat to record: ``source``'s, taken before the rename (which keeps it)."""
    written = os.stat(source)
    if found.state != 'absent':
        # Ours and unchanged (looked at again: the product was written meanwhile),
        # or overwrite.
        if not overwrite and found.stat is not None and \
                stamp(os.lstat(target)) != stamp(found.stat):
            raise _not_ours(target)
        os.replace(source, target)
        return written
    try:
        _put_new(source, target, overwrite)
    except NotOurs:
        # Another thread or process placed the same product there meanwhile
        # (bulk downloads into one folder): that is no user's file. Anything
        # else stays the user's.
        again = _existing(target, fetched, ledger)
        if again.state != 'same' or again.stat is None:
            raise
        return again.stat
    return written


def _put_new(temporary: Path, target: Path, overwrite: bool) -> None:
    """Rename ``temporary`` to ``target``, which was absent: never over a file
    that appeared meanwhile (a hard link fails if the name is taken), unless
    ``overwrite``. The temporary's own name goes at once: the two names never
    outlive this call, whatever happens next."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        if not overwrite:
            raise NotOurs(errno.EEXIST, "a file of that name appeared while the product "
                          "was written: it is left as it is; overwrite=True replaces it",
                          os.fspath(target)) from None
        os.replace(temporary, target)
    except OSError:                           # no hard links on this file system
        os.replace(temporary, target)
    else:
        os.unlink(temporary)
