"""Threads submitting through one logged-in client at the same time.

The request basket (``0-rb-clear``, ``0-rb-set``, ``0-rb-submit``) belongs to
the client's session on the server: threads that fill it at once would send
each other's requests, or none, or one twice. Each thread here submits
requests of its own, each under a name of its own, through one client, with
``0-rb-set`` slowed down so that the threads' calls interleave; then the
simulator's archive must hold every request exactly once, under the id its
caller was given.
"""
from __future__ import annotations

import threading

import pytest
from astropy.table import Table

from helpers import SET, SUBMIT, unique

THREADS = 6
EACH = 2                 # requests per thread
JOIN_TIMEOUT = 60        # seconds: a thread that hangs fails the test instead


def run_together(work) -> list[BaseException]:
    """``work(index)`` in `THREADS` threads started at once; the crashes."""
    start = threading.Barrier(THREADS)
    crashes: list[BaseException] = []

    def run(index: int) -> None:
        start.wait()
        try:
            work(index)
        except BaseException as exc:       # every crash is reported by the caller
            crashes.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
        assert not thread.is_alive(), 'a submitting thread hangs'
    return crashes


def position(index: int) -> str:
    """A position of its own for each request (no two within 5 arcsec)."""
    return f'{1 + index // 60:02d}:{index % 60:02d}:00 +{20 + index % 7}:00:00'


@pytest.mark.parametrize('how', ['submit', 'legacy submit_job_api', 'legacy submit_RADEC_job'])
def test_threads_submitting_through_one_client_each_get_their_own_request(
        how, make_client, simulator):
    """Each caller's id is the request it asked for; every request exists once."""
    client = make_client()
    prefix = unique(how.split()[-1])
    names = [f'{prefix} {index}' for index in range(THREADS * EACH)]
    given: dict[str, object] = {}
    simulator.faults.add('latency', endpoint=SET, count=None, ms=15)

    def submit(index: int) -> None:
        for number in range(index * EACH, (index + 1) * EACH):
            target, name = position(number), names[number]
            if how == 'submit':
                given[name] = client.submit(target, exposure=30, name=name)
            elif how == 'legacy submit_job_api':
                given[name] = client.submit_job_api(target, exposure=30000, name=name)[1]
            else:
                given[name] = client.submit_RADEC_job(target, exposure=30000, name=name)[1]

    try:
        crashes = run_together(submit)
    finally:
        simulator.faults.clear()
    assert not crashes, crashes[:3]
    made = {}
    for request in simulator.archive.requests('demo'):
        if request.object_name.startswith(prefix):
            made.setdefault(request.object_name, []).append(request.rid)
    assert {name: len(rids) for name, rids in made.items()} == dict.fromkeys(names, 1)
    assert {name: rids[0] for name, rids in made.items()} == given


def test_threads_running_one_batch_each_submit_every_target_once(make_client, simulator):
    """Two batches of the same targets at once: one submits, the other finds them queued."""
    client = make_client()
    prefix = unique('Batch')
    names = [f'{prefix} {index}' for index in range(4)]
    targets = Table({'target': [position(200 + index) for index in range(4)],
                     'comment': names})
    reports: list[Table] = []
    simulator.faults.add('latency', endpoint=SET, count=None, ms=15)
    simulator.counters.reset()
    try:
        crashes = run_together(lambda index: reports.append(
            client.submit_missing(targets, exposure=30)))
    finally:
        simulator.faults.clear()
    assert not crashes, crashes[:3]
    made = {r.comments: r.rid for r in simulator.archive.requests('demo')
            if r.comments.startswith(prefix)}
    assert sorted(made) == sorted(names) and simulator.counters[SUBMIT] == len(names)
    for report in reports:                  # every thread reports the one request of each
        assert [int(rid) for rid in report['rid']] == [made[name] for name in names]
    actions = sorted(tuple(report['action']) for report in reports)
    assert actions == [('queued',) * 4] * (THREADS - 1) + [('submitted',) * 4]
