"""Case 3: listing a big account. ``get_requests`` of a 20,000-request Inbox.

Two figures:

* HTTP calls of one ``get_requests()`` (login excluded), from the simulator's
  own counters. Target: at most 3.
* Client-side time per 1,000 rows: the CPU time this process spends in the
  call (the simulator runs in another process, so none of its work is
  counted), against the baseline of the same listing fetched with plain
  `requests` and decoded with `json.loads` (the least any client must do).
  The ratio says what turning the JSON into a Table (units, ``Time``,
  ``SkyCoord``, masks) costs. Wall times are in the note.
"""
from __future__ import annotations

import json
from time import perf_counter, process_time

from common import QUICK_SETTINGS, RawSite, Row, check, new_client, scratch

NAME = 'listing'


def settings(quick: bool) -> dict:
    return dict(QUICK_SETTINGS) if quick else dict(requests=20_000, image_size=64)


def _timed(function) -> tuple[float, float, object]:
    """``(wall seconds, CPU seconds of this process, result)`` of one call."""
    wall, cpu = perf_counter(), process_time()
    result = function()
    return perf_counter() - wall, process_time() - cpu, result


def run(server, quick: bool) -> list[Row]:
    repeat = 2 if quick else 5
    expected = server.settings['requests']
    site = RawSite(server.url)

    def raw_listing() -> int:
        answer = site.http.post(server.url + 'api-user.php', timeout=120, data={
            'module': 'request-manager', 'request': '1-get-list-own',
            'params': json.dumps({'limit': 100_000, 'sort': 'rid', 'folderid': 1})})
        return len(json.loads(answer.content)['data']['requests'])

    with scratch('listing') as folder:
        client = new_client(server.url, folder / 'cache')
        client.get_requests()               # warm-up: first-use imports are not counted
        raw_listing()
        server.reset()
        table = client.get_requests()
        calls = server.counters()['total']
        check(len(table) == expected, f'get_requests gave {len(table)} of {expected} rows')

        project, baseline = [], []
        for _ in range(repeat):
            project.append(_timed(client.get_requests)[:2])
            wall, cpu, rows = _timed(raw_listing)
            check(rows == expected, f'the raw listing gave {rows} rows')
            baseline.append((wall, cpu))
    site.close()

    per_1000 = 1000 / expected * 1000      # seconds -> ms per 1,000 rows
    cpu, raw_cpu = min(c for _, c in project) * per_1000, min(c for _, c in baseline) * per_1000
    wall, raw_wall = min(w for w, _ in project) * per_1000, min(w for w, _ in baseline) * per_1000
    return [
        Row(NAME, f'get_requests of {expected:,} requests: HTTP calls', calls, 'calls',
            target=('value', '<=', 3), note='login excluded'),
        Row(NAME, 'client CPU per 1,000 rows', cpu, 'ms', raw_cpu, 'requests+json',
            cpu / raw_cpu,
            note=f'wall {wall:.1f} vs {raw_wall:.1f} ms per 1,000 rows; best of {repeat}'),
    ]
