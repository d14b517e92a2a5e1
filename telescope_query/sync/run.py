"""``sync``: the account's completed jobs into a folder, with the ledger beside them.

The I/O of the mirror: the lock (`lock.holding`), one listing, the views of
completions the ledger does not hold yet (cached once final), the stat of each
file (and its checksum only when the stat disagrees with the ledger), then the
fetches through `telescope_query.images.staging.fetch` (concurrent, verified,
from the product cache when there) in chunks, the ledger written after each
chunk so an interrupted run resumes where it stopped. The decisions are
`plan`'s.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np
import astropy.units as u
from astropy.table import Table

from .. import arguments, listing, views
from ..contract import Client
from ..exceptions import DownloadError
from ..images.cache import file_crc
from ..images.placing import place
from ..images.product import Fetched, Product
from ..images.staging import fetch
from ..protocol import site
from .ledger import LEDGER_NAME, Entry, read_ledger, write_ledger
from .lock import holding
from .plan import Decision, Job, OnDisk, after_check, check_layout, decide, relative_file

__all__ = ['sync', 'MANIFEST_COLUMNS', 'CHUNK']

MANIFEST_COLUMNS = ('jid', 'rids', 'object', 'file', 'status', 'message', 'size')
#: Jobs fetched between two writes of the ledger: the jobs of a chunk are
#: staged together, so a small chunk would wait for the image engine once per
#: chunk; an interrupted chunk is fetched again from the product cache.
CHUNK = 500


def _checksum(path: Path) -> str:
    return f'{file_crc(path)[1]:08x}'


def _stat(path: Path) -> OnDisk | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return OnDisk(stat.st_size, stat.st_mtime_ns)


def _iso(when: datetime | None) -> str:
    return '' if when is None else when.strftime('%Y-%m-%dT%H:%M:%S')


def _jobs(client: Client, folder_id: int, ledger: dict[int, Entry]) -> list[Job]:
    """The folder's completed jobs: the ledger's knowledge, and the views of
    completions it does not hold (one page each, cached once final)."""
    records = listing.requests(client, folder_id, 'rid')
    complete = [r['rid'] for r in records
                if r['rid'] is not None and r['status'] == site.STATUS_COMPLETE]
    new = [rid for rid in complete if rid not in ledger]
    by_jid: dict[int, dict[str, Any]] = {}
    for rid in complete:
        if rid in ledger:
            entry = ledger[rid]
            info = dict(object=entry.object, filter=entry.filter, exposure=entry.exposure,
                        completion=entry.completion)
            by_jid.setdefault(entry.jid, {**info, 'rids': []})['rids'].append(rid)
    for view in views.views(client, views.REQUEST, new):
        if not view.get('jid'):
            continue        # complete without a job: nothing to fetch [not seen]
        exposure = view.get('exposure_ms')
        info = dict(object=view.get('object_name') or '', filter=view.get('filter') or '',
                    exposure=float('nan') if exposure is None else exposure / 1000,
                    completion=_iso(view.get('completed')))
        by_jid.setdefault(view['jid'], {**info, 'rids': []})['rids'].append(view['rid'])
    return [Job(jid, tuple(sorted(info['rids'])), info['object'], info['filter'],
                info['exposure'], info['completion']) for jid, info in sorted(by_jid.items())]


def sync(client: Client, path: Any, *, folder: Any = 'Inbox', since: Any = None,
         cube: Any = True, layout: Any = '{object}/{jid}', show_progress: bool = False,
         say: Callable[[str], None] = lambda text: None) -> Table:
    """See `~telescope_query.core.TelescopeClass.sync`."""
    root = arguments.output_folder(path, 'path')
    cube = arguments.check_flag(cube, 'cube')
    layout = check_layout(layout)
    earliest = None if since is None else _iso(arguments.utc_datetime(since, 'since'))
    arguments.folder_argument(folder)
    client._require_login()
    root.mkdir(parents=True, exist_ok=True)
    with holding(root, say):
        ledger_path = root / LEDGER_NAME
        entries = {entry.rid: entry for entry in read_ledger(ledger_path)}
        folder_id, _ = listing.resolve_folder(client, folder)
        jobs = _jobs(client, folder_id, entries)
        if earliest is not None:
            jobs = [job for job in jobs if job.completion >= earliest]
        return _mirror(client, root, ledger_path, entries, jobs, cube, layout, show_progress)


def _mirror(client: Client, root: Path, ledger_path: Path, entries: dict[int, Entry],
            jobs: list[Job], cube: bool, layout: str, show_progress: bool) -> Table:
    extension = 'fits' if cube else 'zip'
    by_jid = {entry.jid: entry for entry in entries.values()}
    rows: dict[int, tuple] = {}
    wanted: list[tuple[Job, str, Decision]] = []
    for job in jobs:
        file = relative_file(layout, job, extension)
        entry = by_jid.get(job.jid)
        if entry is not None and entry.file != file:
            entry = None            # another layout or product: a file of its own
        decision = decide(None if entry is None else entry.size,
                          None if entry is None else entry.mtime_ns, _stat(root / file))
        if decision.action == 'check' and entry is not None:
            decision = after_check(entry.checksum, _checksum(root / file))
            if decision.action == 'keep':      # touched only: remember its new time
                entry = _record(entries, job, file, root)
        if decision.action == 'keep' and entry is not None:
            rows[job.jid] = _row(job, file, 'UNCHANGED', '', entry.size)
            _remember_rids(entries, job, entry)
        else:
            wanted.append((job, file, decision))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        products = [Product(job.jid, cube=cube) for job, _, _ in chunk]
        results = fetch(client, products, show_progress=show_progress)
        for (job, file, decision), result in zip(chunk, results):
            rows[job.jid] = _placed(root, entries, job, file, decision, result)
        write_ledger(ledger_path, list(entries.values()))
    if not wanted:
        write_ledger(ledger_path, list(entries.values()))
    return _manifest([rows[job.jid] for job in jobs])


def _placed(root: Path, entries: dict[int, Entry], job: Job, file: str,
            decision: Decision, result: Fetched | BaseException) -> tuple:
    """The product put at its place in the mirror and recorded: the manifest's row."""
    if not isinstance(result, BaseException):
        target = root / file
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # A file found changed is replaced (the mirror's promise); a new one
            # never replaces a file this package did not write (NotOurs: ERROR).
            place(result, target.parent, target.name,
                  overwrite=decision.status == 'REFETCHED')
        except OSError as exc:
            result = DownloadError(f"could not be put into {str(target)!r}: {exc}")
    if isinstance(result, BaseException):
        return _row(job, file, 'ERROR', f'{type(result).__name__}: {result}', -1)
    entry = _record(entries, job, file, root)
    return _row(job, file, decision.status, decision.reason, entry.size)


def _record(entries: dict[int, Entry], job: Job, file: str, root: Path) -> Entry:
    """The ledger's entries of the job's requests, from the file as it is now."""
    path = root / file
    stat = path.stat()
    entry = Entry(min(job.rids), job.jid, job.object, job.filter, job.exposure,
                  job.completion, file, stat.st_size, _checksum(path), stat.st_mtime_ns)
    _remember_rids(entries, job, entry)
    return entry


def _remember_rids(entries: dict[int, Entry], job: Job, entry: Entry) -> None:
    for rid in job.rids:
        entries[rid] = Entry(rid, *[getattr(entry, name) for name in
                                    ('jid', 'object', 'filter', 'exposure', 'completion',
                                     'file', 'size', 'checksum', 'mtime_ns')])


def _row(job: Job, file: str, status: str, message: str, size: int) -> tuple:
    return (job.jid, ' '.join(f'R{rid}' for rid in job.rids), job.object, file, status,
            message, size)


def _manifest(rows: list[tuple]) -> Table:
    table = Table(rows=rows or None, names=MANIFEST_COLUMNS,
                  dtype=(int, str, str, str, str, str, np.int64), masked=True)
    table['size'].mask = table['size'] < 0
    table['size'].unit = u.byte
    counts = {status: int(sum(table['status'] == status))
              for status in ('NEW', 'UNCHANGED', 'REFETCHED', 'ERROR')}
    table.meta.update(counts)
    return table


