"""Case 7: the first sync of an account. ``sync`` of about 200 completed jobs
while the image engine needs 2 s to stage each product and every call takes
20 ms more (``latency_ms``).

The ideal, measured in the same run as ``staging.py`` measures it: one
staging (a job of the other account, staged by hand and polled every 10 ms)
plus the transfer of as many products' bytes, one after another, by ``curl``
(already staged; the other account's few jobs fewer or more are scaled to the
same number). The project stages, polls and downloads through
``images.staging.fetch`` and also reads the listing and one view per request
(the ledger's columns). Target: at most 1.3 times the ideal.
"""
from __future__ import annotations

from time import perf_counter

from common import (MB, QUICK_SETTINGS, RawSite, Row, baseline_tool, check, fetch_baseline,
                    new_client, scratch)

NAME = 'mirror'
OTHER = ('other', 'other-Secret-1')


def settings(quick: bool) -> dict:
    accounts = {'demo': 'demo', OTHER[0]: OTHER[1]}
    if quick:
        return dict(QUICK_SETTINGS, requests=30, accounts=accounts)
    return dict(requests=285, image_size=256, product_mb=2, accounts=accounts)


def run(server, quick: bool) -> list[Row]:
    stage_seconds = 0.2 if quick else 2.0
    latency_ms = 20
    with scratch('mirror') as folder:
        client = new_client(server.url, folder / 'cache')
        server.set(staging_seconds=stage_seconds, latency_ms=latency_ms)
        try:
            start = perf_counter()
            manifest = client.sync(folder / 'mirror', show_progress=False)
            project = perf_counter() - start
            jobs = len(manifest)
            check(jobs > 0 and set(manifest['status']) == {'NEW'}, f'sync: {manifest.meta}')
            size = int(manifest['size'].sum())

            theirs = [jid for _, jid in server.completed(OTHER[0], jobs + 1)]
            check(len(theirs) > jobs // 2, f'the other account has {len(theirs)} jobs')
            server.prepare(theirs)
            site = RawSite(server.url, *OTHER)
            try:
                start = perf_counter()          # the ideal: one staging ...
                site.stage(theirs[:1])
                staged = perf_counter() - start
                urls = site.stage(theirs[1:])   # (untimed: staged together)
                with scratch('ideal') as ideal_folder:   # ... plus every byte
                    start = perf_counter()
                    received = fetch_baseline(urls, site.cookie, ideal_folder)
                    moved = perf_counter() - start
            finally:
                site.close()
        finally:
            server.set(staging_seconds=0, latency_ms=0)
    # The other account may have a few jobs fewer: its transfer scaled to as many.
    moved *= jobs / (len(theirs) - 1)
    received = received * jobs // (len(theirs) - 1)
    ideal = staged + moved
    return [Row(NAME, f'first sync of {jobs} jobs, {stage_seconds:g} s staging, '
                f'{latency_ms} ms latency: time ÷ ideal', project, 's', ideal,
                f'ideal, {baseline_tool()}', project / ideal, ('ratio', '<=', 1.3),
                f'{size / MB:.0f} MB mirrored, {received / MB:.0f} MB in the ideal; ideal = '
                f'{staged:.2f} s staging + {moved:.2f} s transfer')]
