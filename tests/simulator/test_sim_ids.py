"""Ids grow with time, around the seed records' real ids, as on the live site.

Request ids grow with the request time, job ids with the allocation time
(PROTOCOL.md section 3; recorded.md 1.4-1.6: 759658 requested 2023-12-07,
760525-760531 on 2023-12-15, 771144 on 2024-10-30, 771974-771981 on
2024-11-17). Every account's requests, other users' (shown only as ids in
job views) and the seed's, which keep their literal ids, are one sequence;
jobs likewise.
"""
import calendar
import json
import re
import time

import pytest

from telescope_query.simulator import ids
from telescope_query.simulator.archive import (SEED_JOBS, SEED_REQUESTS, SEED_SEARCH_WINDOW,
                                               Archive)
from telescope_query.simulator.history import generate
from telescope_query.simulator.seed import SEED_REQUEST_TIMES

NOW = 1731945600            # 2024-11-18 16:00 UTC: the clock of the docs and the tests
#: The archive of the documentation's pages (docs/conftest.py).
DOCS = dict(requests_per_account=60, seed=11, now=NOW)
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


ARCHIVES = [
    pytest.param(['demo'], 60, 11, NOW, id='docs'),
    pytest.param(['demo', 'other'], 120, 3, NOW, id='two-accounts'),
    pytest.param(['demo'], 2000, 1, NOW, id='2000'),
    pytest.param(['alice', 'bob'], 300, 2, NOW, id='no-demo'),
    pytest.param(['demo'], 300, 4, NOW - 3 * 86400, id='before-the-seed'),
    pytest.param(['demo', 'alice'], 500, 5, utc('2026-12-04 23:00:00'), id='later'),
]


@pytest.mark.parametrize('users, size, seed, now', ARCHIVES)
def test_request_ids_grow_with_request_time(users, size, seed, now):
    made = Archive(dict.fromkeys(users, 'pw'), requests_per_account=size, seed=seed, now=now)
    everyone = []
    for user in users:
        mine = [(r.request_time, r.rid) for r in made.requests(user)]
        assert not out_of_order(mine), user
        everyone += mine
    # Globally too, with other users' requests (whose times only the history holds).
    history = generate(users, requests_per_account=size, seed=seed, now=now)
    assert sorted(everyone) == sorted((r.request_time, r.rid)
                                      for own in history.requests.values() for r in own.values())
    everyone += [(t, rid) for rid, t in history.others.items()]
    assert not out_of_order(everyone)
    # Every rid of every job is someone's request with a time.
    known = {rid for _, rid in everyone}
    assert {rid for job in history.jobs for rid in job.rids} <= known


@pytest.mark.parametrize('users, size, seed, now', ARCHIVES)
def test_job_ids_grow_with_allocation_time(users, size, seed, now):
    history = generate(users, requests_per_account=size, seed=seed, now=now)
    assert not out_of_order((job.allocation_time, job.jid) for job in history.jobs)
    asked = dict(history.others)
    asked.update((r.rid, r.request_time) for own in history.requests.values()
                 for r in own.values())
    for job in history.jobs:
        # Allocated after its first request, before its completion.
        assert min(asked[rid] for rid in job.rids) <= job.allocation_time
        assert job.allocation_time <= job.completion_time


def test_the_documentations_archive_numbers_requests_in_time_order():
    # The example of the problem: a generated LX Cyg request of 12 November 2024
    # had id 762231, below the seed's 771144 of 30 October.
    made = Archive({'demo': 'demo'}, **DOCS)
    requests = made.requests('demo')
    lx = made.request('demo', 771144)
    later = [r for r in requests if r.request_time > lx.request_time]
    earlier = [r for r in requests if r.request_time < lx.request_time]
    assert later and all(r.rid > 771144 for r in later)
    assert earlier and all(r.rid < 771144 for r in earlier)
    # Jobs: allocated after J422672 means a higher id, before it a lower one.
    j422672 = made.job(422672)
    for r in requests:
        if r.jid is not None and r.jid != 422672:
            job = made.job(r.jid)
            assert (job.jid > 422672) == (job.allocation_time > j422672.allocation_time)


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


def test_the_seed_documentations_examples_hold_over_http(simulator_factory, login, api,
                                                         value_rows):
    # The documentation's archive, read as the original client read the site.
    sim = simulator_factory(accounts={'demo': 'demo'}, requests=60, image_size=64, seed=11,
                            now=NOW)
    http = login(sim)
    folders = api(http, sim, 'request-manager', '0-get-my-folders').json()['data']
    listing = api(http, sim, 'request-manager', '1-get-list-own',
                  {'limit': 1000, 'sort': 'rid', 'folderid': 1}).json()['data']
    records = listing['requests']
    assert folders[0]['count'] == listing['totalRequests'] == str(len(records)) == '60'
    assert not out_of_order((int(r['requesttime']), int(r['id'])) for r in records)
    by_rid = {int(r['id']): r for r in records}
    views = {}
    for rid, name, jid in SEED_TEN:
        assert by_rid[rid]['objectname'] == name and by_rid[rid]['status'] == '8'
        page = http.post(sim.url + f'v4request-view.php?rid={rid}', timeout=30).text
        info = re.search(r'^var info = (\{.*\});$', page, re.M).group(1)
        assert json.loads(info)['jid'] == str(jid)
        views[rid] = value_rows(page)['Completion Time']
    # The ten complete in the documented order, newest first.
    completion = {rid: time.strptime(' '.join(cell.split()[3:7]).strip('()'),
                                     '%d %B %Y (%H:%M:%S') for rid, cell in views.items()}
    assert sorted(completion, key=lambda rid: completion[rid], reverse=True) == [
        rid for rid, _, _ in SEED_TEN]
    # The documented job search finds the six seed jobs, 423342 first, 423183 last.
    lo, hi = SEED_SEARCH_WINDOW
    found = [j.jid for j in sim.archive.search_jobs(lo, hi)]
    assert found[0] == 423342 and found[-1] == 423183 and len(found) == 6
    assert set(found) <= {job.jid for job in SEED_JOBS}
    job = value_rows(http.post(sim.url + 'v4request-view.php?jid=423183', timeout=30).text)
    assert re.findall(r'R(\d+)', job['Request ID']) == ['771716', '771970']
    assert '18 November 2024 (05:41:09 UTC)' in job['Completion Time']
    job = value_rows(http.post(sim.url + 'v4request-view.php?jid=369256', timeout=30).text)
    assert '22 December 2020 (23:34:10 UTC)' in job['Completion Time']


def test_a_crowded_gap_moves_the_earliest_records_before_it():
    clock = ids.Clock(((0, 100), (1000, 1100)), 1.0, 86400.0)
    # Fixed ids 110 (t=10) and 113 (t=20), 112 reserved: one free id between.
    got, moved = ids.number([1, 5, 12, 13, 14, 15, 25, 30], clock, [(10, 110), (20, 113)],
                            reserved=[112])
    assert got == [101, 105, 107, 108, 109, 111, 125, 130]
    # 12, 13 and 14 move to just before t=10, one second apart, in order.
    assert moved == [1, 5, 7, 8, 9, 15, 25, 30]
    # A record at a fixed point's time counts as after it; no room: moved before.
    assert ids.number([10, 10, 11], clock, [(10, 110), (11, 111)]) == (
        [108, 109, 112], [8, 9, 11])
    with pytest.raises(ValueError, match='out of order'):
        ids.number([1], clock, [(10, 110), (20, 105)])


def test_a_big_archive_is_in_order_within_the_sites_ranges():
    # 20,000 requests for each of two accounts up to 18 November 2024: more
    # requests in the weeks before the seed's last ones than ids between them.
    history = generate(['demo', 'alice'], requests_per_account=20000, seed=1, now=NOW)
    requests = [(r.request_time, r.rid) for own in history.requests.values()
                for r in own.values()]
    assert not out_of_order(requests + [(t, rid) for rid, t in history.others.items()])
    assert not out_of_order((job.allocation_time, job.jid) for job in history.jobs)
    for own in history.requests.values():
        for r in own.values():
            assert r.completion_time == 0 or r.request_time <= r.completion_time
    # Within the live site's ranges.
    rids = sorted(rid for _, rid in requests)
    jids = sorted(job.jid for job in history.jobs)
    assert 550000 < rids[0] and rids[-1] < 775000
    assert 230000 < jids[0] and jids[-1] < 425000
