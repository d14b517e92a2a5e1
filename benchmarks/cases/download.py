"""Case 1: download throughput of one large product, and the memory it takes.

The project: ``download_data`` and ``get_images`` of one job whose product is
``product_mb`` large (200 MB), each into an empty cache, timed as a user
waits for the call (the job check, the image engine's answers, the transfer,
the verification and the rename all count). The baseline: ``curl`` fetching
the same staged URL with the same session cookie into a file on the same
disk. Runs alternate between them; the best of each counts. The image engine
has prepared the product before anything is timed (``OK_READY``), so the
figures are about moving bytes, not about waiting for the engine.

Memory: the growth of this process's peak resident set over the call (the
kernel's high-water mark, see `common.PeakMemory`), the largest of the runs.
A warm-up run of each call comes first, untimed, so that modules imported on
first use are not counted as download memory.
"""
from __future__ import annotations

from time import perf_counter

from common import (MB, QUICK_SETTINGS, PeakMemory, RawSite, Row, baseline_tool, check,
                    fetch_baseline, new_client, scratch)

NAME = 'download'
MEMORY_LIMIT_MB = 64


def settings(quick: bool) -> dict:
    if quick:
        return dict(QUICK_SETTINGS)
    return dict(requests=300, image_size=1536, product_mb=200)


def run(server, quick: bool) -> list[Row]:
    repeat = 1 if quick else 3
    jid, = server.fresh_jobs(1)
    size, = server.prepare([jid])
    site = RawSite(server.url)
    url, = site.stage([jid])        # now prepared: the client's staging is OK_READY
    tool = baseline_tool()

    def baseline() -> float:
        with scratch('curl') as folder:
            start = perf_counter()
            received = fetch_baseline([url], site.cookie, folder)
            seconds = perf_counter() - start
        check(received == size, f'{tool} received {received} of {size} bytes')
        return seconds

    def through_download_data() -> tuple[float, int]:
        with scratch('download_data') as folder:
            client = new_client(server.url, folder / 'cache')
            with PeakMemory() as memory:
                start = perf_counter()
                manifest = client.download_data([jid], path=folder / 'out',
                                                show_progress=False)
                seconds = perf_counter() - start
            check(list(manifest['status']) == ['COMPLETE'] and manifest['size'][0] == size,
                   f'download_data: {manifest}')
        return seconds, memory.growth

    def through_get_images() -> tuple[float, int]:
        with scratch('get_images') as folder:
            client = new_client(server.url, folder / 'cache')
            with PeakMemory() as memory:
                start = perf_counter()
                hdul, = client.get_images([jid], show_progress=False)
                seconds = perf_counter() - start
            hdul.close()
        return seconds, memory.growth

    through_download_data(), through_get_images()        # warm-up, not counted
    curl, data, images = [], [], []
    for _ in range(repeat):
        curl.append(baseline())
        data.append(through_download_data())
        images.append(through_get_images())
    site.close()

    best_curl = size / MB / min(curl)
    rows = []
    for call, runs in (('download_data', data), ('get_images', images)):
        speed = size / MB / min(seconds for seconds, _ in runs)
        rows.append(Row(NAME, f'{call} throughput', speed, 'MB/s', best_curl, tool,
                        speed / best_curl, ('ratio', '>=', 0.9),
                        f'{size / MB:.0f} MB, best of {repeat}'))
    for call, runs in (('download_data', data), ('get_images', images)):
        growth = max(grown for _, grown in runs) / MB
        rows.append(Row(NAME, f'{call} peak RSS growth', growth, 'MB',
                        target=('value', '<', MEMORY_LIMIT_MB),
                        note=f'largest of {repeat}'))
    return rows

