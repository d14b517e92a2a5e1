"""Case 4: details of many requests. The job ids of 500 completed requests.

``get_request_details`` of 500 completed requests while every call to the
simulator takes 20 ms more (``latency_ms``, as a distant server would), in
the bounded pool (``conf.max_workers``, default 8) against the same call one
after another (``conf.set_temp('max_workers', 1)``). Each run starts with an
empty cache, so every view is fetched (the call counts are checked), and the
job ids must be those of the archive. Target: at least 3 times faster.
"""
from __future__ import annotations

import contextlib
from time import perf_counter

from common import QUICK_SETTINGS, Row, check, new_client, scratch
from telescope_query import conf

NAME = 'details'


def settings(quick: bool) -> dict:
    # The same simulator as the listing: plenty of completed requests.
    return dict(QUICK_SETTINGS) if quick else dict(requests=20_000, image_size=64)


def run(server, quick: bool) -> list[Row]:
    count = 10 if quick else 500
    repeat = 1 if quick else 2
    latency_ms = 20
    pairs = server.completed('demo', count)
    check(len(pairs) == count, f'only {len(pairs)} completed requests')
    rids = [rid for rid, _ in pairs]
    expected = {rid: jid for rid, jid in pairs}

    def details(one_by_one: bool) -> float:
        with scratch('details') as folder:
            client = new_client(server.url, folder / 'cache')
            server.reset()
            with conf.set_temp('max_workers', 1) if one_by_one else contextlib.nullcontext():
                start = perf_counter()
                table = client.get_request_details(rids)
                seconds = perf_counter() - start
        calls = server.counters()['total']
        check(calls == count, f'{calls} HTTP calls for {count} views (a cache was used)')
        check({int(r): int(j) for r, j in zip(table['rid'], table['jid'])} == expected,
              'get_request_details gave other job ids than the archive has')
        return seconds

    server.set(latency_ms=latency_ms)
    try:
        pooled, sequential = [], []
        for _ in range(repeat):
            pooled.append(details(False))
            sequential.append(details(True))
    finally:
        server.set(latency_ms=0)
    best, one_by_one = min(pooled), min(sequential)
    return [Row(NAME, f'{count} request views, {latency_ms} ms latency: speed-up', best, 's',
                one_by_one, 'one after another', one_by_one / best, ('ratio', '>=', 3.0),
                f'max_workers={conf.max_workers} vs 1; best of {repeat}')]
