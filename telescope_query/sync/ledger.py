"""The mirror's ledger: one row per request, a plain ECSV file a person can read.

Columns: rid, jid, object, filter, exposure [s], completion (UTC, ISO), file
(relative to the mirror), size [byte], checksum (CRC-32, 8 hex digits) and
mtime_ns (the file's modification time when it was verified). Several
requests can share a job, and so a file. The file is written whole or not at
all (`telescope_query.files.write_atomically`).
"""
from __future__ import annotations

import io
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np
from astropy.table import Table

from ..files import write_atomically

__all__ = ['LEDGER_NAME', 'Entry', 'LedgerError', 'read_ledger', 'write_ledger', 'to_text']

#: The ledger's file name in the mirror's folder.
LEDGER_NAME = 'telescope-ledger.ecsv'


class LedgerError(RuntimeError):
    """The ledger cannot be read: it is not the ECSV this package writes."""


@dataclass(frozen=True)
class Entry:
    """One request of the mirror and the file of its job."""

    rid: int
    jid: int
    object: str
    filter: str
    exposure: float         # seconds; nan when unknown
    completion: str         # ISO UTC; '' when unknown
    file: str               # relative to the mirror, '/'-separated
    size: int
    checksum: str           # CRC-32 as 8 hex digits
    mtime_ns: int


_NAMES = [field.name for field in fields(Entry)]
_TYPES = [int, int, str, str, float, str, str, int, str, int]
_DESCRIPTIONS = {
    'rid': 'request id', 'jid': 'job id (several requests may share one)',
    'object': 'object name', 'filter': 'filter', 'exposure': 'exposure time',
    'completion': 'completion time (UTC)', 'file': 'file, relative to this folder',
    'size': 'file size', 'checksum': 'CRC-32 of the file (hex)',
    'mtime_ns': "the file's modification time (ns) when verified",
}


def to_text(entries: list[Entry]) -> str:
    """The ledger as ECSV text."""
    rows = [astuple(entry) for entry in sorted(entries, key=lambda e: (e.jid, e.rid))]
    table = Table(rows=rows or None, names=_NAMES, dtype=_TYPES)
    table['exposure'].unit = 's'
    table['size'].unit = 'byte'
    for name, text in _DESCRIPTIONS.items():
        table[name].description = text
    table.meta['comments'] = ['telescope_query mirror ledger: one row per request; '
                              'delete a file to have it fetched again']
    out = io.StringIO()
    table.write(out, format='ascii.ecsv')
    return out.getvalue()


def write_ledger(path: Path, entries: list[Entry]) -> None:
    write_atomically(path, to_text(entries))


def read_ledger(path: Path) -> list[Entry]:
    """The entries of the ledger at ``path``; none when there is no file."""
    if not path.exists():
        return []
    try:
        table = Table.read(path, format='ascii.ecsv')
        missing = [name for name in _NAMES if name not in table.colnames]
        if missing:
            raise ValueError(f"no column {', '.join(missing)}")
        entries = []
        for row in table:
            values = [kind(row[name]) if not _masked(row[name]) else kind()
                      for name, kind in zip(_NAMES, _TYPES)]
            entries.append(Entry(*values))
    except Exception as exc:
        raise LedgerError(f"the mirror's ledger {str(path)!r} cannot be read ({exc}); move it "
                          f"aside to rebuild it (the files are checked again)") from None
    return entries


def _masked(value) -> bool:
    return bool(np.ma.is_masked(value))
