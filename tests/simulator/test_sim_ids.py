"""Ids grow with time, around the seed records' real ids, as on the live site.

Request ids grow with the request time, job ids with the allocation time
(PROTOCOL.md section 3; recorded.md 1.4-1.6: 759658 requested 2023-12-07,
760525-760531 on 2023-12-15, 771144 on 2024-10-30, 771974-771981 on
2024-11-17). Every account's requests, other users' (shown only as ids in
job views) and the seed's, which keep their literal ids, are one sequence;
jobs likewise.
"""
import calendar
import time

from telescope_query.simulator.archive import SEED_JOBS, SEED_REQUESTS
from telescope_query.simulator.seed import SEED_REQUEST_TIMES

#: The seed documentation's "Recent few" requests, in its (completion) order.
SEED_TEN = [(767380, 'EQ Lyr', 419547), (767374, 'SS Cyg', 419541),
            (767376, 'V686 Cyg', 419543), (767375, 'IP Cyg', 419542),
            (767373, 'CH Cyg', 419540), (766438, 'DX Vul', 418739),
            (766436, 'CH Cyg', 418737), (766435, 'T CrB', 418736),
            (766437, 'SS Cyg', 418738), (766264, 'T CrB_M', 418581)]


def utc(text):
    return calendar.timegm(time.strptime(text, '%Y-%m-%d %H:%M:%S'))


def out_of_order(pairs):
    """The (time, id) pairs whose id is not above every id of an earlier time
    (equal times are not ordered)."""
    bad, highest_before, group_time, group_highest = [], -1, None, -1
    for when, number in sorted(pairs):
        if when != group_time:
            highest_before = max(highest_before, group_highest)
            group_time = when
        if number <= highest_before:
            bad.append((when, number))
        group_highest = max(group_highest, number)
    return bad


def test_the_seed_records_are_in_time_order():
    # Requests: the seed's rids (demo's and other users') grow with request time.
    assert not out_of_order((t, rid) for rid, t in SEED_REQUEST_TIMES.items())
    assert [r.request_time for r in SEED_REQUESTS] == [SEED_REQUEST_TIMES[r.rid]
                                                       for r in SEED_REQUESTS]
    assert set(SEED_REQUEST_TIMES) == {rid for job in SEED_JOBS for rid in job.rids}
    # Jobs: the seed's jids grow with allocation time, which lies between the
    # first request and the completion.
    assert not out_of_order((job.allocation_time, job.jid) for job in SEED_JOBS)
    for job in SEED_JOBS:
        assert min(SEED_REQUEST_TIMES[rid] for rid in job.rids) < job.allocation_time
        assert job.allocation_time < job.completion_time
    # The recorded ones keep their recorded times.
    assert SEED_REQUEST_TIMES[771144] == 1730321603
    assert SEED_REQUEST_TIMES[706248] == utc('2020-12-21 11:27:45')
    completed = {job.jid: job.completion_time for job in SEED_JOBS}
    assert completed[422672] == utc('2024-11-11 00:25:33')
    assert completed[423183] == utc('2024-11-18 05:41:09')
    assert completed[369256] == utc('2020-12-22 23:34:10')
    # The ten of the seed documentation: requested before 771144 (30 October
    # 2024), in late September - early October, completed within days;
    # their jobs allocated before J422672.
    by_rid = {r.rid: r for r in SEED_REQUESTS}
    jobs = {job.jid: job for job in SEED_JOBS}
    for rid, _, jid in SEED_TEN:
        asked = by_rid[rid].request_time
        assert utc('2024-09-20 00:00:00') < asked < by_rid[771144].request_time
        assert jobs[jid].allocation_time < jobs[422672].allocation_time
        assert 0 < jobs[jid].completion_time - asked < 3 * 86400
        # Not in the hour whose views show the next day's date (March to October).
        assert time.gmtime(jobs[jid].completion_time).tm_hour != 23
    # In the documented completion order, newest first.
    newest = sorted(SEED_TEN, key=lambda ten: jobs[ten[2]].completion_time, reverse=True)
    assert newest == SEED_TEN
