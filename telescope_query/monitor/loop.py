"""``wait_for``: poll the listing until requests complete, fetching as they do.

One listing call per round, whatever the number of requests (the listing
gives every request's status [seen]); the wait between rounds is
``monitor.wait.next_wait``'s. A request that completes has its view read for
its job id (cached once final) and, with ``download``, its product fetched
at once by ``images.api.download_data``, so the first images arrive while
others still wait. Ctrl-C ends the wait and returns what is known.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from astropy.table import MaskedColumn, Table

from .. import arguments, listing, views
from ..contract import Client
from ..exceptions import NoSuchRequestError
from ..protocol import site
from .wait import MAX_WAIT, Progress, next_wait

__all__ = ['wait_for']

#: The loop's clock and sleep: tests replace ``sleep`` with the simulator's clock
#: knob (a "sleep" that completes the queue), so that they never sleep.
clock: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep

#: Called once per completed request: ``(rid, status, jid, file)``.
OnFinal = Callable[[int, int, 'int | None', 'str | None'], None]


def _listed(client: Client) -> dict[int, int | None]:
    records = listing.requests(client, site.STANDARD_FOLDERS['inbox'], 'rid')
    return {record['rid']: record['status'] for record in records if record['rid'] is not None}


def wait_for(client: Client, rids: Any, *, timeout: Any = None, poll: Any = 60.0,
             download: Any = None, on_final: OnFinal | None = None,
             show_progress: bool = False) -> Table:
    """See `~telescope_query.core.TelescopeClass.wait_for`."""
    numbers, _ = arguments.ids(rids, 'rids', column='rid')
    limit = MAX_WAIT if timeout is None else arguments.seconds(timeout, 'timeout')
    longest = arguments.seconds(poll, 'poll', low=0.0)
    folder = None if download is None else arguments.output_folder(download, 'download')
    client._require_login()
    progress = Progress(list(dict.fromkeys(numbers)))
    jids: dict[int, int | None] = {}
    files: dict[int, str] = {}
    deadline = clock() + limit
    wait = None
    try:
        listed = _listed(client)
        missing = progress.missing(listed)
        if missing:
            raise NoSuchRequestError(
                f"no such request in the Inbox of {client.user!r} on {client.server_url}: "
                + ', '.join(f'R{rid}' for rid in missing))
        while True:
            newly = progress.update(listed)
            _finish(client, newly, progress, jids, files, folder, on_final, show_progress)
            if not progress.pending or clock() >= deadline:
                break
            wait = next_wait(wait, longest)
            sleep(max(0.0, min(wait, deadline - clock())))
            listed = _listed(client)
    except KeyboardInterrupt:
        pass
    return _table(progress, jids, files, folder is not None)


def _finish(client: Client, newly: list[int], progress: Progress, jids: dict,
            files: dict, folder: Path | None, on_final: OnFinal | None,
            show_progress: bool) -> None:
    """Job ids of the requests completed this round; their products with ``folder``."""
    complete = [rid for rid in newly if progress.status[rid] == site.STATUS_COMPLETE]
    for rid, record in zip(complete, views.views(client, views.REQUEST, complete)):
        jids[rid] = record['jid']
    if folder is not None:
        wanted = sorted({jids[rid] for rid in complete if jids.get(rid)})
        if wanted:
            from ..images.api import download_data
            manifest = download_data(client, wanted, path=folder,
                                     show_progress=show_progress)
            placed = {int(row['jid']): str(row['local_path']) for row in manifest
                      if str(row['status']) != 'ERROR'}
            for rid in complete:
                if jids.get(rid) in placed:
                    files[rid] = placed[jids[rid]]
    for rid in newly:
        if on_final is not None:
            on_final(rid, int(progress.status[rid] or 0), jids.get(rid), files.get(rid))


def _table(progress: Progress, jids: dict, files: dict, with_files: bool) -> Table:
    rids = progress.rids
    table = Table()
    table['rid'] = rids
    status = [progress.status.get(rid) for rid in rids]
    table['status'] = MaskedColumn([s or 0 for s in status], mask=[s is None for s in status],
                                   dtype=int)
    table['status_text'] = [site.status_text(s) for s in status]
    table['final'] = [rid in progress.finished for rid in rids]
    table['jid'] = MaskedColumn([jids.get(rid) or 0 for rid in rids],
                                mask=[not jids.get(rid) for rid in rids], dtype=int)
    if with_files:
        table['local_path'] = MaskedColumn([files.get(rid, '') for rid in rids],
                                           mask=[rid not in files for rid in rids])
    descriptions = {'rid': 'request id', 'status': 'last status seen',
                    'status_text': 'its text', 'final': 'whether the status is final',
                    'jid': 'job id (masked unless complete)',
                    'local_path': 'the downloaded file (masked when none)'}
    for name in table.colnames:
        table[name].info.description = descriptions[name]
    table.meta['pending'] = len(progress.pending)
    return table


