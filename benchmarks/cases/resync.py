"""Case 8: the re-sync of an unchanged account of about 2,000 jobs, and
``wait_for`` of 100 requests.

Re-sync: a first ``sync`` (untimed) mirrors every completed job; the second,
with nothing new, must cost at most 3 HTTP calls (the simulator's counters)
and under 1 s (a stat per file, no read, no view: the ledger has them).
Against it, the cost of reading every file's checksum (what a mirror without
recorded times would do) is reported.

Wait: 100 requests are queued, and ``wait_for`` runs with its ``sleep``
replaced by the simulator's clock knob on the third round (nothing sleeps);
the listing calls per round must be 1, where a poll of each request's view
would cost 100.
"""
from __future__ import annotations

from time import perf_counter

from common import QUICK_SETTINGS, Row, check, new_client, scratch

NAME = 'resync'


def settings(quick: bool) -> dict:
    limits = {'demo': 1000}
    if quick:
        return dict(QUICK_SETTINGS, queue_limits=limits)
    return dict(requests=2600, image_size=32, queue_limits=limits)


def run(server, quick: bool) -> list[Row]:
    return _resync(server) + _wait(server, 10 if quick else 100)


def _resync(server) -> list[Row]:
    from telescope_query.images.cache import file_crc
    with scratch('resync') as folder:
        client = new_client(server.url, folder / 'cache')
        mirror = folder / 'mirror'
        first = client.sync(mirror, show_progress=False)
        check(set(first['status']) == {'NEW'}, f'first sync: {first.meta}')
        server.reset()
        start = perf_counter()
        second = client.sync(mirror, show_progress=False)
        seconds = perf_counter() - start
        calls = server.counters()['total']
        check(set(second['status']) == {'UNCHANGED'}, f'second sync: {second.meta}')
        start = perf_counter()
        for file in second['file']:
            file_crc(mirror / file)
        read_all = perf_counter() - start
    jobs = len(second)
    return [
        Row(NAME, f're-sync of {jobs:,} unchanged jobs: HTTP calls', calls, 'calls',
            target=('value', '<=', 3), note='login excluded'),
        Row(NAME, f're-sync of {jobs:,} unchanged jobs: time', seconds, 's', read_all,
            'a checksum of every file', seconds / read_all if read_all else 0.0,
            ('value', '<', 1.0), 'a stat per file, no read; the baseline reads these tiny '
            'files (32 px) fast: real cubes of ~14 MB would take minutes'),
    ]


def _wait(server, count: int) -> list[Row]:
    from telescope_query.monitor import loop
    with scratch('wait') as folder:
        client = new_client(server.url, folder / 'cache')
        rids = [client.submit(f'{hour:02d}:{minute:02d}:00 +45:00:00', name=f'wait {index}')
                for index, (hour, minute) in enumerate(
                    (i % 24, i // 24) for i in range(count))]
        rounds = []

        def knob(seconds: float) -> None:      # the clock knob instead of a sleep
            rounds.append(seconds)
            if len(rounds) == 3:
                server.complete('demo')
        saved = loop.sleep
        loop.sleep = knob
        try:
            server.reset()
            table = client.wait_for(rids, poll=5)
        finally:
            loop.sleep = saved
        counters = server.counters()
    check(all(table['final']), f'wait_for left {table.meta["pending"]} pending')
    listing = counters.get('api-user.php/request-manager/1-get-list-own', 0)
    per_round = listing / (len(rounds) + 1)
    return [Row(NAME, f'wait_for of {count} requests: listing calls per round', per_round,
                'calls', count, 'a view per request', count / per_round,
                ('value', '<=', 1.0),
                f'{len(rounds) + 1} rounds, {counters["total"]} calls in all '
                f'(the views of the completed requests included)')]
