"""What a sync does with each job: pure, tested without a server or a disk.

From the ledger's entry of a job, what the disk shows of its file (size and
modification time: a stat, no read) and, only when they disagree, its
checksum: keep it (``UNCHANGED``), fetch it (``NEW``), or fetch it again
(``REFETCHED``, with the reason). See ``docs/internals.rst``, The mirror.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

__all__ = ['Job', 'OnDisk', 'Decision', 'decide', 'after_check', 'relative_file',
           'check_layout', 'LAYOUT_FIELDS']

#: The fields a layout may use.
LAYOUT_FIELDS = ('object', 'jid', 'rid', 'filter')

_UNSAFE = re.compile(r'[^A-Za-z0-9._+-]+')


@dataclass(frozen=True)
class Job:
    """A completed job of the account, with what is known of it."""

    jid: int
    rids: tuple[int, ...]
    object: str
    filter: str
    exposure: float
    completion: str


@dataclass(frozen=True)
class OnDisk:
    """A file's stat: enough to tell it unchanged without reading it."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Decision:
    """``action``: ``'keep'``, ``'fetch'`` or ``'check'`` (read its checksum, then
    `after_check`); ``status`` for the manifest; ``reason`` for a refetch."""

    action: str
    status: str
    reason: str = ''


def decide(recorded_size: int | None, recorded_mtime_ns: int | None,
           disk: OnDisk | None) -> Decision:
    """What to do with a job's file. ``recorded_*`` are the ledger's (None: the
    ledger has no such job); ``disk`` None: no file."""
    if recorded_size is None:
        return Decision('fetch', 'NEW')
    if disk is None:
        return Decision('fetch', 'REFETCHED', 'the file was deleted')
    if disk.size != recorded_size:
        return Decision('fetch', 'REFETCHED',
                        f'the file changed size ({disk.size} bytes, the ledger says '
                        f'{recorded_size}): truncated or rewritten')
    if disk.mtime_ns != recorded_mtime_ns:
        return Decision('check', 'UNCHANGED')
    return Decision('keep', 'UNCHANGED')


def after_check(recorded_checksum: str, checksum: str) -> Decision:
    """A file whose time changed but not its size: kept when its bytes are the same."""
    if checksum == recorded_checksum:
        return Decision('keep', 'UNCHANGED')
    return Decision('fetch', 'REFETCHED', 'the file was changed (its checksum differs)')


def check_layout(layout: str) -> str:
    """``layout`` if it is a relative path pattern of `LAYOUT_FIELDS` holding
    ``{jid}`` (files are one per job); else ValueError."""
    allowed = (f"layout must be a relative path pattern using {{jid}} and any of "
               f"{', '.join('{' + name + '}' for name in LAYOUT_FIELDS)}, like "
               f"'{{object}}/{{jid}}'")
    if not isinstance(layout, str):
        raise TypeError(f"{allowed}; got {type(layout).__name__}")
    try:
        parsed = list(string.Formatter().parse(layout))
    except ValueError as exc:
        raise ValueError(f"{allowed}; got {layout!r} ({exc})") from None
    names = [name for _, name, _, _ in parsed if name is not None]
    if any(spec or conv for _, name, spec, conv in parsed if name is not None):
        raise ValueError(f"{allowed}; got {layout!r} (no format specs)")
    if 'jid' not in names or set(names) - set(LAYOUT_FIELDS):
        raise ValueError(f"{allowed}; got {layout!r}")
    parts = layout.replace('\\', '/').split('/')
    if layout.startswith(('/', '~')) or any(part in ('', '.', '..') for part in parts):
        raise ValueError(f"{allowed}; got {layout!r} (it must stay inside the folder)")
    return layout


def _safe(text: str) -> str:
    """A name as one harmless path component."""
    return _UNSAFE.sub('_', text).strip('._') or 'unnamed'


def relative_file(layout: str, job: Job, extension: str) -> str:
    """The job's file, relative to the mirror ('/'-separated)."""
    values = {'object': _safe(job.object), 'jid': str(job.jid),
              'rid': str(min(job.rids)), 'filter': _safe(job.filter)}
    return layout.format(**values) + '.' + extension
