"""Case 2: bulk staging. Many jobs whose image-engine staging takes seconds each.

The project: ``download_data`` of ``n`` jobs (20) into an empty cache while
the image engine needs ``staging_seconds`` (2 s) to prepare each product.

The ideal, measured in the same run: the staging of one job (a fresh job
staged by hand and polled every 10 ms until READY) plus the transfer of all
``n`` products' bytes one after another by ``curl`` (already staged, one
connection). No client can beat that: it would have to wait for the engine
at least once and receive every byte. Target: at most twice the ideal.

One after another (each job staged, waited for and downloaded before the
next) would take ``n`` stagings plus the same transfer; its time is worked out
from the figures measured above rather than waited for (40 s), and the
speed-up over it is reported against the target of at least 8 times faster.

Every product is padded to the same size (``product_mb``) and made before the
clock starts, so the jobs of the project and of the ideal are alike and the
simulator's rendering is not timed. Each run uses jobs never staged before
(a staged product would answer ``OK_READY`` at once).
"""
from __future__ import annotations

from time import perf_counter

from common import (MB, QUICK_SETTINGS, RawSite, Row, baseline_tool, check, fetch_baseline,
                    new_client, scratch)

NAME = 'staging'


def settings(quick: bool) -> dict:
    if quick:
        return dict(QUICK_SETTINGS)
    return dict(requests=300, image_size=512, product_mb=14)   # about a real 1536 px cube


def run(server, quick: bool) -> list[Row]:
    jobs = 3 if quick else 20
    stage_seconds = 0.2 if quick else 2.0
    repeat = 1 if quick else 2
    jids = server.fresh_jobs(repeat * (2 * jobs + 1))
    sizes = server.prepare(jids)
    site = RawSite(server.url)
    server.set(staging_seconds=stage_seconds)
    try:
        ideal, staging, transfer, project = [], [], [], []
        for index in range(repeat):
            batch = jids[index * (2 * jobs + 1):(index + 1) * (2 * jobs + 1)]
            one, theirs, ours = batch[0], batch[1:jobs + 1], batch[jobs + 1:]

            start = perf_counter()              # the ideal: one staging ...
            url, = site.stage([one])
            staged = perf_counter() - start
            urls = site.stage(theirs)           # (untimed: staged together)
            with scratch('ideal') as folder:    # ... plus every byte, one after another
                start = perf_counter()
                received = fetch_baseline(urls, site.cookie, folder)
                moved = perf_counter() - start
            check(received == sum(sizes[1:jobs + 1]), f'the baseline received {received}')
            staging.append(staged)
            transfer.append(moved)
            ideal.append(staged + moved)

            with scratch('bulk') as folder:     # the project
                client = new_client(server.url, folder / 'cache')
                start = perf_counter()
                manifest = client.download_data(ours, path=folder / 'out',
                                                show_progress=False)
                project.append(perf_counter() - start)
            check(list(manifest['status']) == ['COMPLETE'] * jobs, f'download_data: {manifest}')
    finally:
        server.set(staging_seconds=0)
        site.close()

    best, best_ideal = min(project), min(ideal)
    one_after_another = jobs * min(staging) + min(transfer)
    total_mb = sum(sizes[:jobs]) / MB
    return [
        Row(NAME, f'{jobs} jobs, {stage_seconds:g} s staging: time ÷ ideal', best, 's',
            best_ideal, f'ideal, {baseline_tool()}', best / best_ideal, ('ratio', '<=', 2.0),
            f'{total_mb:.0f} MB; ideal = {min(staging):.2f} s staging + '
            f'{min(transfer):.2f} s transfer; best of {repeat}'),
        Row(NAME, 'speed-up over one after another', best, 's', one_after_another,
            'one after another', one_after_another / best, ('ratio', '>=', 8.0),
            f'one after another = {jobs} × staging + transfer (worked out)'),
    ]
