"""Case 5: a cache hit. ``get_images`` of a product already in the cache.

The product is downloaded once (untimed); then ``get_images`` of it must
make no HTTP call at all, not even a login check (the simulator's counters
must stay at 0), and its time is set against `astropy.io.fits.open` of the
very same cached file. ``get_images`` does more than open: it checks the
file against the record made when it was verified (size, ``st_mtime_ns`` and
inode; the CRC-32 is read again only when they differ), and fixes the site's
header quirks; the ratio says what that costs.

``get_images`` also adds the approximate WCS and the frames' mid-exposure
times by default (header cards only: no pixel is read). The second pair of
rows holds that to the targets of the issue "Images ready for science": a
cache hit of a 14 MB cube stays well under 10 ms, and costs about what
``wcs=False`` costs (ratio at most 1.5).
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
    with scratch('cache') as folder:
        client = new_client(server.url, folder / 'cache')
        # A COAST job with a position, so that the WCS is really added (PIRATE
        # frames get none): the first of a few fresh jobs that has one.
        for jid in server.fresh_jobs(1 if quick else 8):
            manifest = client.download_data([jid], path=folder / 'out', show_progress=False)
            check(list(manifest['status']) == ['COMPLETE'], f'download_data: {manifest}')
            with client.get_images([jid], show_progress=False)[0] as hdul:
                if str(hdul[0].header.get('WCSNAME', '')).startswith('approximate'):
                    break
        # download_data's file is the cached one (a hard link, else a copy of it).
        cached = manifest['local_path'][0]

        def project() -> None:
            client.get_images([jid], show_progress=False)[0].close()

        def without_wcs() -> None:
            client.get_images([jid], wcs=False, show_progress=False)[0].close()

        def baseline() -> None:
            fits.open(cached).close()

        project()                           # warm-up, not counted
        baseline()
        without_wcs()
        server.reset()
        times, base, plain = [], [], []
        for _ in range(repeat):             # alternate, so all see the same machine
            times.append(timed(project))
            base.append(timed(baseline))
            plain.append(timed(without_wcs))
        calls = server.counters()['total']
        with client.get_images([jid], show_progress=False)[0] as hdul:
            has_wcs = hdul[0].header.get('WCSNAME', '').startswith('approximate')
    size_mb = manifest['size'][0] / 1e6
    best, best_base, best_plain = min(times), min(base), min(plain)
    return [
        Row(NAME, 'get_images of a cached product: HTTP calls', calls, 'calls',
            target=('value', '==', 0), note=f'counted over {repeat} get_images calls'),
        Row(NAME, 'get_images of a cached product: time', best * 1000, 'ms',
            best_base * 1000, 'fits.open', best / best_base,
            note=f'{size_mb:.0f} MB file; best of {repeat}'),
        Row(NAME, 'cache hit with the WCS added: time', best * 1000, 'ms',
            target=('value', '<', 10.0),
            note=f'{size_mb:.0f} MB cube; WCS added: {has_wcs}'),
        Row(NAME, 'cache hit: WCS added vs wcs=False', best * 1000, 'ms',
            best_plain * 1000, 'wcs=False', best / best_plain, target=('ratio', '<=', 1.5),
            note=f'best of {repeat}'),
    ]
