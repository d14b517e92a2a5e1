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

import resource
from time import perf_counter, process_time
from typing import NamedTuple

from common import (MB, QUICK_SETTINGS, PeakMemory, RawSite, Row, baseline_tool, check,
                    fetch_baseline, new_client, scratch)

NAME = 'download'
MEMORY_LIMIT_MB = 64


def settings(quick: bool) -> dict:
    if quick:
        return dict(QUICK_SETTINGS)
    return dict(requests=300, image_size=1536, product_mb=200)


class Run(NamedTuple):
    """One timed transfer: wall seconds, CPU seconds, peak RSS growth in bytes."""

    seconds: float
    cpu: float
    growth: int = 0


def run(server, quick: bool) -> list[Row]:
    repeat = 1 if quick else 5
    jid, = server.fresh_jobs(1)
    size, = server.prepare([jid])
    site = RawSite(server.url)
    url, = site.stage([jid])        # now prepared: the client's staging is OK_READY
    tool = baseline_tool()

    def baseline() -> Run:
        with scratch(tool) as folder:
            cpu = _children_cpu()
            start = perf_counter()
            received = fetch_baseline([url], site.cookie, folder)
            done = Run(perf_counter() - start, _children_cpu() - cpu)
        check(received == size, f'{tool} received {received} of {size} bytes')
        return done

    def project(call: str) -> Run:
        """``download_data`` or ``get_images`` of the product, into an empty cache."""
        with scratch(call) as folder:
            client = new_client(server.url, folder / 'cache')
            with PeakMemory() as memory:
                cpu = process_time()
                start = perf_counter()
                if call == 'download_data':
                    result = client.download_data([jid], path=folder / 'out',
                                                  show_progress=False)
                else:
                    result = client.get_images([jid], show_progress=False)
                seconds, cpu = perf_counter() - start, process_time() - cpu
            if call == 'download_data':
                check(list(result['status']) == ['COMPLETE'] and result['size'][0] == size,
                      f'download_data: {result}')
            else:
                check(len(result) == 1, f'get_images: {result}')
                result[0].close()
        return Run(seconds, cpu, memory.growth)

    calls = ('download_data', 'get_images')
    for call in calls:                      # warm-up, not counted
        project(call)
    baselines: list[Run] = []
    runs: dict[str, list[Run]] = {call: [] for call in calls}
    for _ in range(repeat):                 # alternate, so all see the same machine
        baselines.append(baseline())
        for call in calls:
            runs[call].append(project(call))
    site.close()

    best = min(baselines)
    base_speed = size / MB / best.seconds
    rows = []
    for call in calls:
        fastest = min(runs[call])
        speed = size / MB / fastest.seconds
        rows.append(Row(NAME, f'{call} throughput', speed, 'MB/s', base_speed, tool,
                        speed / base_speed, ('ratio', '>=', 0.9),
                        f'{size / MB:.0f} MB, best of {repeat}; CPU {fastest.cpu:.2f} s vs '
                        f'{best.cpu:.2f} s'))
    for call in calls:
        growth = max(r.growth for r in runs[call]) / MB
        rows.append(Row(NAME, f'{call} peak RSS growth', growth, 'MB',
                        target=('value', '<', MEMORY_LIMIT_MB), note=f'largest of {repeat}'))
    return rows


def _children_cpu() -> float:
    """CPU seconds of the ended child processes (curl; the simulator is still running)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
