"""Case 5: a cache hit. ``get_images`` of a product already in the cache.

The product is downloaded once (untimed); then ``get_images`` of it must
make no HTTP call at all, not even a login check (the simulator's counters
must stay at 0), and its time is set against `astropy.io.fits.open` of the
very same cached file. ``get_images`` does more than open: it checks the
file against the record made when it was verified (size, ``st_mtime_ns`` and
inode; the CRC-32 is read again only when they differ), and fixes the site's
header quirks; the ratio says what that costs.
"""
from __future__ import annotations

from astropy.io import fits

from common import QUICK_SETTINGS, Row, check, new_client, scratch, timed

NAME = 'cache'


def settings(quick: bool) -> dict:
    # The same simulator as the bulk staging: products of a real cube's size.
    if quick:
        return dict(QUICK_SETTINGS)
    return dict(requests=300, image_size=512, product_mb=14)


def run(server, quick: bool) -> list[Row]:
    repeat = 3 if quick else 20
    jid, = server.fresh_jobs(1)
    with scratch('cache') as folder:
        client = new_client(server.url, folder / 'cache')
        manifest = client.download_data([jid], path=folder / 'out', show_progress=False)
        check(list(manifest['status']) == ['COMPLETE'], f'download_data: {manifest}')
        # download_data's file is the cached one (a hard link, else a copy of it).
        cached = manifest['local_path'][0]

        def project() -> None:
            client.get_images([jid], show_progress=False)[0].close()

        def baseline() -> None:
            fits.open(cached).close()

        project()                           # warm-up, not counted
        baseline()
        server.reset()
        times, base = [], []
        for _ in range(repeat):             # alternate, so both see the same machine
            times.append(timed(project))
            base.append(timed(baseline))
        calls = server.counters()['total']
    size_mb = manifest['size'][0] / 1e6
    best, best_base = min(times), min(base)
    return [
        Row(NAME, 'get_images of a cached product: HTTP calls', calls, 'calls',
            target=('value', '==', 0), note=f'counted over {repeat} get_images calls'),
        Row(NAME, 'get_images of a cached product: time', best * 1000, 'ms',
            best_base * 1000, 'fits.open', best / best_base,
            note=f'{size_mb:.0f} MB file; best of {repeat}'),
    ]
