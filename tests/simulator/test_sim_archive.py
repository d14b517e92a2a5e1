"""The simulator's synthetic archive: content, consistency, search and the living queue."""
import calendar
import re
import threading
import time
from collections import Counter

import pytest
from hypothesis import given, strategies as st

from telescope_query.simulator import catalog
from telescope_query.simulator.archive import (DEFAULT_QUEUE_LIMIT, FILTERS,
                                               MAX_EXPOSURE_MS, SEED_EPOCH, SEED_JOBS,
                                               SEED_REQUESTS, SEED_SEARCH_WINDOW,
                                               STATUS_TEXTS, TELESCOPES, Archive,
                                               QueueFullError, never_rises)

NOW = 1731945600            # 2024-11-18 16:00 UTC
ACCOUNTS = {'demo': 'demo', 'other': 's3cret-Pa55'}
SIZE = 120
RADEC_RE = re.compile(r'^(\d\d):(\d\d):(\d\d\.\d\d) ([+-])(\d\d):(\d\d):(\d\d\.\d\d)$')


@pytest.fixture(scope='module')
def archive():
    """A small archive, read-only for the tests that use it."""
    return Archive(ACCOUNTS, requests_per_account=SIZE, seed=3, now=NOW)


@pytest.fixture
def fresh():
    """An archive a test may change, with room in its queues for many submissions."""
    return Archive(ACCOUNTS, requests_per_account=SIZE, seed=3, now=NOW,
                   queue_limits={'demo': 200, 'other': 200})


def parse_radec(object_id):
    h, m, s, sign, d, dm, ds = RADEC_RE.match(object_id).groups()
    ra = 15 * (int(h) + int(m) / 60 + float(s) / 3600)
    dec = int(d) + int(dm) / 60 + float(ds) / 3600
    return ra, -dec if sign == '-' else dec


def own_jobs(archive, user):
    return {r.jid: archive.job(r.jid) for r in archive.requests(user) if r.jid is not None}


# -- generation -----------------------------------------------------------------------

def test_generation_is_deterministic():
    a = Archive(ACCOUNTS, requests_per_account=60, seed=5, now=NOW)
    b = Archive(ACCOUNTS, requests_per_account=60, seed=5, now=NOW)
    c = Archive(ACCOUNTS, requests_per_account=60, seed=6, now=NOW)
    for user in ACCOUNTS:
        assert a.requests(user) == b.requests(user)
        assert a.folders(user) == b.folders(user)
        assert own_jobs(a, user) == own_jobs(b, user)
        assert a.requests(user) != c.requests(user)
    assert a.search_jobs(0, NOW) == b.search_jobs(0, NOW)

def _shape(archive, user):
    """What fixed draws keep from one ``now`` to another: the statuses, the jobs and
    each request's target, without the times (a telescope, a filter, may change
    where the date crosses the 2017 change of cameras)."""
    reqs = archive.requests(user)
    return (Counter(r.status for r in reqs), Counter(r.object_id for r in reqs),
            len({r.jid for r in reqs if r.jid}))


@pytest.mark.parametrize('days', [1 / 86400, 1, 37, 400, 3000])
def test_fixed_draws_give_the_same_archive_whatever_the_date(days):
    """The test fixtures' archive does not change with the second it is made: the
    suite once failed on a day whose archive had fewer jobs than its tests pick."""
    later = NOW + days * 86400
    a = Archive(ACCOUNTS, requests_per_account=SIZE, seed=3, now=NOW, fixed_draws=True)
    b = Archive(ACCOUNTS, requests_per_account=SIZE, seed=3, now=later, fixed_draws=True)
    drawn = Archive(ACCOUNTS, requests_per_account=SIZE, seed=3, now=later)
    for user in ACCOUNTS:
        assert _shape(a, user) == _shape(b, user)
        assert _shape(a, user) != _shape(drawn, user)
        # The times still follow the clock.
        newest = max(r.request_time for r in b.requests(user))
        assert later - 2 * 86400 < newest <= later



def test_generation_time_is_reported():
    # Not a timed assertion: the numbers are printed for the record (-s).
    for n in (120, 2000):
        start = time.perf_counter()
        made = Archive({'demo': 'demo'}, requests_per_account=n, now=NOW)
        print(f'{n} requests: {time.perf_counter() - start:.3f} s')
        assert len(made.requests('demo')) == n


def test_accounts_are_isolated(archive):
    demo, other = archive.requests('demo'), archive.requests('other')
    assert len(demo) == len(other) == SIZE
    assert {r.owner for r in demo} == {'demo'} and {r.owner for r in other} == {'other'}
    assert not {r.rid for r in demo} & {r.rid for r in other}
    assert [r.object_name for r in demo] != [r.object_name for r in other]
    rid = demo[0].rid
    assert archive.request('other', rid) is None
    assert archive.request('nobody', rid) is None
    complete = next(r for r in demo if r.jid is not None)
    assert archive.job_of_request('other', complete.rid) is None
    assert archive.job_of_request('demo', complete.rid).jid == complete.jid


def test_passwords_are_checked_and_never_shown(archive):
    assert archive.check_password('other', 's3cret-Pa55')
    assert not archive.check_password('other', 'demo')
    assert not archive.check_password('nobody', 'demo')
    assert not archive.check_password('demo', None)
    assert archive.users() == ['demo', 'other']
    assert 's3cret' not in repr(archive)


def test_status_table_is_the_protocols():
    assert set(STATUS_TEXTS) == set(range(1, 11)) | set(range(20, 27))
    assert STATUS_TEXTS[8] == 'Complete' and STATUS_TEXTS[25] == 'Never rises'
    assert TELESCOPES[6] == 'COAST' and TELESCOPES[7] == 'PIRATE'
    others = ('Clear', 'HAlpha', 'Luminance', 'SHO')      # on both [seen on views]
    assert FILTERS[6] == ('BVR', 'B', 'V', 'R') + others
    assert FILTERS[7] == ('Colour', 'Blue', 'Green', 'Red') + others
    assert 'BVR' in FILTERS[2]


def test_statuses_cover_the_whole_table(fresh):
    for user in ACCOUNTS:
        counts = Counter(r.status for r in fresh.requests(user))
        assert set(counts) == set(STATUS_TEXTS)
        assert counts[8] > SIZE / 2


def test_history_leaves_room_in_the_queue(archive):
    # The site's limit of 10 requests in the queue: at most 5 queued, of
    # several queued codes, and every other code.
    for user in ACCOUNTS:
        assert archive.queue_limit(user) == DEFAULT_QUEUE_LIMIT == 10
        counts = Counter(r.status for r in archive.requests(user))
        queued = {code: n for code, n in counts.items() if code < 8}
        assert sum(queued.values()) == archive.queued(user) == 5
        assert len(queued) >= 4 and 3 in queued
        assert set(counts) >= {code for code in STATUS_TEXTS if code >= 8}


def test_queue_limit_refuses_a_submission_beyond_it(fresh):
    fresh.set_queue_limit('demo', fresh.queued('demo') + 2)
    assert submit(fresh).rid < submit(fresh).rid          # two places left: both taken
    before = len(fresh.requests('demo'))
    with pytest.raises(QueueFullError):
        submit(fresh)
    assert len(fresh.requests('demo')) == before          # nothing was created
    assert submit(fresh, user='other')                     # other accounts unaffected
    fresh.complete_queue('demo')                           # the queue empties...
    assert fresh.queued('demo') == 0 and submit(fresh)     # ...and takes requests again
    with pytest.raises(ValueError):
        fresh.set_queue_limit('demo', -1)
    with pytest.raises(KeyError):
        fresh.set_queue_limit('nobody', 10)
    with pytest.raises(KeyError):
        Archive(ACCOUNTS, requests_per_account=5, queue_limits={'nobody': 3})


def test_status_and_job_are_consistent(archive):
    for user in ACCOUNTS:
        for r in archive.requests(user):
            assert r.request_time <= NOW
            if r.status == 8:
                job = archive.job(r.jid)
                assert r.rid in job.rids and job.success
                assert r.request_time < r.completion_time == job.completion_time <= NOW
                assert (job.object_id, job.telescope_id, job.filter_type, job.exposure_ms) \
                    == (r.object_id, r.telescope_id, r.filter_type, r.exposure_ms)
            else:
                assert r.jid is None and r.completion_time == 0


def test_never_rises_only_for_far_southern_targets(archive):
    requests = archive.requests('demo')
    southern = [r for r in requests if r.status == 25]
    assert southern and all(never_rises(r.dec_deg) for r in southern)
    assert not any(never_rises(r.dec_deg) for r in requests if r.status == 8)
    assert never_rises(-62.0) and not never_rises(-61.0) and not never_rises(None)
    assert archive.never_rises(-70.0) and not archive.never_rises(10.0)
    assert all(never_rises(t.dec_deg) for t in catalog.SOUTHERN)


def test_queued_requests_are_recent_and_expired_ones_old(archive):
    for r in archive.requests('demo'):
        if r.status < 8:
            assert NOW - r.request_time < 14 * 86400
        if r.status in (20, 21):
            assert NOW - r.request_time > 30 * 86400


def test_telescopes_filters_and_exposures(archive):
    requests = archive.requests('demo') + archive.requests('other')
    for r in requests:
        assert r.filter_type in FILTERS[r.telescope_id]
        assert 0 < r.exposure_ms <= MAX_EXPOSURE_MS[r.telescope_id]
        if r.telescope_id in (6, 7):
            assert r.exposure_ms <= 180000      # "180s is max exp"
    assert MAX_EXPOSURE_MS[6] == MAX_EXPOSURE_MS[7] == 180000
    telescopes = Counter(r.telescope_id for r in requests)
    assert telescopes[6] and telescopes[7]
    assert set(telescopes) - {6, 7}, 'old cameras missing'
    # The old cameras are retired: from 2017 on only COAST and PIRATE observe.
    assert all(r.telescope_id in (6, 7) for r in requests
               if r.request_time >= calendar.timegm((2017, 1, 2, 0, 0, 0)))


def test_ids_look_like_the_sites(archive):
    # Generated ids; the seed documentation's records keep their real ones.
    seed_rids = {r.rid for r in SEED_REQUESTS}
    requests = sorted((r for r in archive.requests('demo') + archive.requests('other')
                       if r.rid not in seed_rids), key=lambda r: r.rid)
    # The live site's ids of ten years (2014, at the pace of 2019, to 2024).
    assert 550000 < requests[0].rid and requests[-1].rid < 775000
    # Ids grow with time (the site numbers requests as they come).
    times = [r.request_time for r in requests]
    assert times == sorted(times)
    jobs = sorted({r.jid for r in requests if r.jid})
    assert 230000 < jobs[0] and jobs[-1] < 425000
    # Each job's id was handed out after its first request was made.
    for jid in jobs:
        asked = min(r.request_time for r in requests if r.jid == jid)
        later = [j for j in jobs if archive.job(j).completion_time < asked]
        assert all(j < jid for j in later)


def test_job_ids_follow_allocation_not_completion(archive):
    # Ids are given when a job is allocated [seen]: by completion they are
    # roughly, not strictly, in id order (the site's 402894, 402772, 402591...).
    found = archive.search_jobs(NOW - 60 * 86400, NOW)
    jids = [j.jid for j in found]
    assert len(found) > 100
    assert jids != sorted(jids, reverse=True)
    # A job allocated days after another completed has the higher id.
    for newer in found[::7]:
        older = [j for j in found if j.completion_time < newer.completion_time - 8 * 86400]
        assert all(j.jid < newer.jid for j in older)


def test_object_types_names_and_ids(archive):
    requests = archive.requests('demo') + archive.requests('other')
    types = Counter(r.object_type for r in requests)
    assert types['RADEC'] and types['MESSIER']
    for r in requests:
        if r.object_type == 'RADEC':
            ra, dec = parse_radec(r.object_id)
            assert ra == pytest.approx(r.ra_deg, abs=1e-4)
            assert dec == pytest.approx(r.dec_deg, abs=1e-4)
        elif r.object_type == 'MESSIER':
            assert r.object_id.isdigit() and r.object_name.startswith('M' + r.object_id)
    names = {r.object_name for r in requests}
    assert names & {'SS Cyg', 'CH Cyg', 'T CrB', 'EQ Lyr', 'V686 Cyg', 'IP Cyg', 'DX Vul'}


def test_suffixed_names_and_comments_exist():
    big = Archive({'demo': 'demo'}, requests_per_account=600, seed=3, now=NOW)
    requests = big.requests('demo')
    assert any('_' in r.object_name for r in requests)
    assert any(r.comments for r in requests)
    assert any(not r.dark_frame for r in requests) and any(r.dark_frame for r in requests)


def test_jobs_serving_several_requests(archive):
    for user in ACCOUNTS:
        shared = [j for j in own_jobs(archive, user).values() if len(j.rids) > 1]
        assert shared
        for job in shared:
            reqs = [archive.request(user, rid) for rid in job.rids]
            assert all(r is not None and r.jid == job.jid for r in reqs)
            assert len({(r.object_id, r.completion_time) for r in reqs}) == 1
            assert len({r.request_time for r in reqs}) == len(reqs)


def test_flat_fields_and_recent_completions(archive):
    jobs = list(own_jobs(archive, 'demo').values())
    with_flat = [j for j in jobs if j.flat_id is not None]
    assert len(with_flat) > len(jobs) / 2
    assert all(j.flat_id > 0 for j in with_flat)
    recent = [j for j in jobs if NOW - 48 * 3600 <= j.completion_time <= NOW]
    assert len(recent) >= 3
    years = {time.gmtime(j.completion_time).tm_year for j in jobs}
    assert len(years) >= 4


def test_seen_is_mostly_set_but_not_for_recent_completions(archive):
    for user in ACCOUNTS:
        requests = archive.requests(user)
        seen = [r for r in requests if r.seen]
        assert len(seen) > 0.8 * len(requests)
        recent = [r for r in requests
                  if r.status == 8 and NOW - r.completion_time < 40 * 3600
                  and r.rid not in {s.rid for s in SEED_REQUESTS}]
        assert recent and not any(r.seen for r in recent)
        # One old completion was never opened: the live site listed such a one first.
        assert any(not r.seen for r in requests
                   if r.status == 8 and NOW - r.completion_time > 60 * 86400)


def test_mark_seen(fresh):
    req = submit(fresh)
    assert not req.seen
    assert fresh.mark_seen('demo', req.rid).seen and fresh.request('demo', req.rid).seen
    assert fresh.mark_seen('other', req.rid) is None
    fresh.complete_queue('demo')
    assert not fresh.request('demo', req.rid).seen


# -- the seed documentation's records -------------------------------------------------

SEED_TEN = [(767380, 'EQ Lyr', 419547), (767374, 'SS Cyg', 419541),
            (767376, 'V686 Cyg', 419543), (767375, 'IP Cyg', 419542),
            (767373, 'CH Cyg', 419540), (766438, 'DX Vul', 418739),
            (766436, 'CH Cyg', 418737), (766435, 'T CrB', 418736),
            (766437, 'SS Cyg', 418738), (766264, 'T CrB_M', 418581)]


@pytest.mark.parametrize('size', [0, 5, SIZE, 600])
def test_seed_records_are_demos_whatever_the_size(size):
    made = Archive(ACCOUNTS, requests_per_account=size, seed=3, now=NOW)
    demo = made.requests('demo')
    assert len(demo) == max(size, len(SEED_REQUESTS)) == max(size, 12)
    assert made.folder_count('demo', 1) == len(demo)
    assert len(made.requests('other')) == size
    assert [r.rid for r in demo] == sorted(r.rid for r in demo)
    newest = sorted(demo, key=lambda r: (r.completion_time, r.rid), reverse=True)
    ten = {rid for rid, _, _ in SEED_TEN}
    assert [(r.rid, r.object_name, r.jid) for r in newest if r.rid in ten] == SEED_TEN
    assert all(made.request('demo', rid).status == 8 for rid in ten)
    assert all(made.request('other', r.rid) is None for r in SEED_REQUESTS)
    # Generated ids skip the seed's.
    seed_jobs = {j.jid: j for j in SEED_JOBS}
    seed_rids = {rid for j in SEED_JOBS for rid in j.rids}
    jobs = made.search_jobs(0, NOW) + [made.job(r.jid) for u in ACCOUNTS
                                       for r in made.requests(u) if r.jid]
    assert all(j == seed_jobs[j.jid] for j in jobs if j.jid in seed_jobs)
    assert all(made.job(jid) == job for jid, job in seed_jobs.items())
    assert not {rid for j in jobs if j.jid not in seed_jobs for rid in j.rids} & seed_rids


def test_seed_jobs_are_the_documented_ones(archive):
    job = archive.job(369256)
    assert (job.rids, job.object_type, job.object_id, job.exposure_ms, job.filter_type,
            job.telescope_id, job.flat_id, job.success) == (
        [706248], 'RADEC', '00:42:58.58 +36:28:18.97', 120000, 'BVR', 6, 24, True)
    assert time.strftime('%d %B %Y %H:%M:%S', time.gmtime(job.completion_time)) == \
        '22 December 2020 23:34:10'
    assert archive.job_of_request('demo', 706248) == job and job.owner == 'demo'
    job = archive.job(423183)
    assert (job.rids, job.object_type, job.object_id, job.exposure_ms, job.filter_type,
            job.telescope_id, job.flat_id, job.success, job.public) == (
        [771716, 771970], 'MESSIER', '109', 120000, 'BVR', 6, 31, True, True)
    assert time.strftime('%d %B %Y %H:%M:%S', time.gmtime(job.completion_time)) == \
        '18 November 2024 05:41:09'
    assert job.owner not in ACCOUNTS
    found = [j.jid for j in archive.search_jobs(*SEED_SEARCH_WINDOW)]
    assert found[0] == 423342 and found[-1] == 423183 and len(found) == 6
    assert set(found) == {j.jid for j in SEED_JOBS if j.public and j.jid != 336896}


def test_seed_requests_look_like_the_recorded_ones(archive):
    by_rid = {r.rid: r for r in archive.requests('demo')}
    # The author's script: 180 s for the Miras, 60 s for CH Cyg; recorded comments.
    for rid in (766437, 766438, 767374, 767375, 767376, 767380):
        assert (by_rid[rid].exposure_ms, by_rid[rid].comments) == (180000, 'Mira')
    for rid in (766436, 767373):
        assert (by_rid[rid].exposure_ms, by_rid[rid].comments) == (60000, 'Symbiotic AAVSO')
    assert {by_rid[rid].comments for rid in (766264, 766435)} == {'AAVSO'}
    assert by_rid[767380].object_id == '19:19:02.60 +41:06:34.24'      # EQ Lyr [seen]
    assert by_rid[767374].object_id == '21:42:42.80 +43:35:09.86'      # SS Cyg [seen]
    assert by_rid[766436].object_id == '19:24:33.07 +50:14:29.06'      # CH Cyg [seen]
    assert all(by_rid[r.rid].seen for r in SEED_REQUESTS)
    # LX Cyg, as recorded on 17 November 2024.
    lx = by_rid[771144]
    assert (lx.object_name, lx.object_type, lx.object_id, lx.request_time, lx.status,
            lx.comments, lx.exposure_ms, lx.jid) == (
        'LX Cyg', 'RADEC', '21:55:57.03 +48:20:52.52', 1730321603, 8, 'AAVSO', 180000,
        422672)
    job = archive.job(422672)
    assert time.strftime('%d %B %Y %H:%M:%S', time.gmtime(job.completion_time)) == \
        '11 November 2024 00:25:33' and job.frame_lead == 480.5


def test_a_summer_late_evening_completion_in_every_history(archive):
    # The views of these show the next day's date (the recorded summer date slip).
    for user in ACCOUNTS:
        late = [r for r in archive.requests(user) if r.status == 8
                and time.gmtime(r.completion_time).tm_hour == 23
                and 6 <= time.gmtime(r.completion_time).tm_mon <= 9]
        assert late
    # And J336896 itself, another user's public job.
    job = archive.job(336896)
    assert job.public and job.owner not in ACCOUNTS and job.rids == [664342]
    assert time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(job.completion_time)) == \
        '2019-06-18 23:45:04'
    assert job in archive.search_jobs(job.completion_time, job.completion_time)


def test_seed_records_only_for_demo_and_from_their_date():
    no_demo = Archive({'alice': 'a', 'other': 'b'}, requests_per_account=60, seed=3,
                      now=NOW)
    assert no_demo.job(369256) is None and no_demo.job(418581) is None
    found = [j.jid for j in no_demo.search_jobs(*SEED_SEARCH_WINDOW)]
    assert found[0] == 423342 and found[-1] == 423183 and len(found) == 6
    assert all(no_demo.request(u, r.rid) is None
               for u in ('alice', 'other') for r in SEED_REQUESTS)
    before = Archive(ACCOUNTS, requests_per_account=60, seed=3, now=SEED_EPOCH - 1)
    assert before.job(423183) is None and before.request('demo', 706248) is None
    assert len(before.requests('demo')) == 60


# -- folders --------------------------------------------------------------------------

def test_folders_and_counts(archive):
    for user in ACCOUNTS:
        folders = archive.folders(user)
        assert [(f.folder_id, f.name) for f in folders[:4]] == [
            (1, 'Inbox'), (2, 'Favourites'), (3, 'Archive'), (4, 'Trash')]
        assert all(f.creation_time == 0 for f in folders[:4])
        own = folders[4:]
        assert len(own) == 1 and own[0].folder_id >= 100
        assert 0 < own[0].creation_time < NOW
        everything = archive.requests(user)
        assert archive.requests(user, 1) == everything
        assert archive.folder_count(user, 1) == len(everything) == SIZE
        assert archive.folder_count(user, 2) == 0
        filed = 0
        for f in folders[2:]:
            inside = archive.requests(user, f.folder_id)
            assert inside and archive.folder_count(user, f.folder_id) == len(inside)
            assert all(r.folder_id == f.folder_id for r in inside)
            filed += len(inside)
        assert filed == sum(r.folder_id != 1 for r in everything)
        assert archive.folder_count(user, 999999) == 0
    assert archive.folders('demo')[4].folder_id != archive.folders('other')[4].folder_id


# -- job search -----------------------------------------------------------------------

def test_search_finds_public_successful_jobs_of_all_users(archive):
    found = archive.search_jobs(NOW - 2 * 86400, NOW)
    assert len(found) >= 5
    assert {j.owner for j in found} - set(ACCOUNTS), 'no other users\' jobs'
    times = [j.completion_time for j in found]
    assert times == sorted(times, reverse=True)
    assert all(j.public and j.success and NOW - 2 * 86400 <= j.completion_time <= NOW
               for j in found)


def test_search_leaves_out_private_jobs(archive):
    everything = {j.jid for j in archive.search_jobs(0, NOW)}
    private = [j for user in ACCOUNTS for j in own_jobs(archive, user).values()
               if not j.public]
    public = [j for user in ACCOUNTS for j in own_jobs(archive, user).values() if j.public]
    assert private and public
    assert not {j.jid for j in private} & everything
    assert {j.jid for j in public} <= everything


def test_search_window_bounds_are_inclusive(archive):
    job = archive.search_jobs(NOW - 2 * 86400, NOW)[0]
    t = job.completion_time
    assert job in archive.search_jobs(t, t)
    assert job not in archive.search_jobs(t + 1, t + 100)
    assert archive.search_jobs(NOW + 10, NOW + 1000) == []


def test_search_by_telescope_and_filter(archive):
    window = (NOW - 30 * 86400, NOW)
    coast = archive.search_jobs(*window, telescope_id=6)
    assert coast and all(j.telescope_id == 6 for j in coast)
    bvr = archive.search_jobs(*window, telescope_id=6, filter_type='BVR')
    assert bvr and all(j.filter_type == 'BVR' for j in bvr)
    assert len(bvr) < len(coast) < len(archive.search_jobs(*window))


# -- the living queue -----------------------------------------------------------------

def submit(archive, user='demo', name='SS Cyg', ra=325.678, dec=43.586, **kw):
    fields = dict(object_name=name, object_type='RADEC',
                  object_id=catalog.radec_id(ra, dec), ra_deg=ra, dec_deg=dec,
                  telescope_id=6, filter_type='BVR', exposure_ms=30000, dark_frame=True,
                  comments='test')
    fields.update(kw)
    return archive.add_request(user, **fields)


def test_add_request_queues_in_the_inbox(fresh):
    before = fresh.requests('demo')
    highest = max(r.rid for u in ACCOUNTS for r in fresh.requests(u))
    req = submit(fresh)
    assert req.rid > highest and req.status == 3 and req.jid is None
    assert req.completion_time == 0 and req.folder_id == 1
    assert abs(req.request_time - fresh.current_time()) < 5
    assert fresh.requests('demo') == before + [req]
    assert fresh.folder_count('demo', 1) == len(before) + 1
    assert fresh.request('demo', req.rid) == req and fresh.request('other', req.rid) is None
    assert submit(fresh).rid == req.rid + 1
    with pytest.raises(KeyError):
        submit(fresh, user='nobody')


def test_complete_queue_turns_queued_requests_into_jobs(fresh):
    new = submit(fresh)
    south = submit(fresh, name='47 Tuc', ra=6.02, dec=-72.08)
    other_queue = [r.rid for r in fresh.requests('other') if r.status < 8]
    queued = [r.rid for r in fresh.requests('demo') if r.status < 8 and r.rid != south.rid]
    assert other_queue and len(queued) > 1
    highest_jid = max([j.jid for j in fresh.search_jobs(0, NOW + 1000)]
                      + [j for u in ACCOUNTS for j in own_jobs(fresh, u)])

    pairs = fresh.complete_queue('demo')

    assert sorted(rid for rid, _ in pairs) == sorted(queued)
    assert fresh.request('demo', south.rid).status == 25
    assert all(r.status >= 8 for r in fresh.requests('demo'))
    assert [r.rid for r in fresh.requests('other') if r.status < 8] == other_queue
    done = fresh.request('demo', new.rid)
    job = fresh.job(done.jid)
    assert done.status == 8 and (new.rid, job.jid) in pairs
    assert job.success and job.public and job.flat_id and job.owner == 'demo'
    assert job.completion_time == done.completion_time
    assert done.request_time <= job.completion_time <= fresh.current_time()
    assert fresh.current_time() - job.completion_time < 60
    assert fresh.job_of_request('demo', new.rid) == job
    assert job in fresh.search_jobs(job.completion_time - 60, job.completion_time + 60)
    assert min(j for _, j in pairs) > highest_jid
    assert fresh.complete_queue('demo') == []


def test_complete_queue_allocates_in_request_order_and_observes_by_ra(fresh):
    fresh.complete_queue()
    east = submit(fresh, name='East', ra=300.0, dec=20.0)
    west = submit(fresh, name='West', ra=10.0, dec=20.0)
    middle = submit(fresh, name='Middle', ra=150.0, dec=20.0)
    fresh.now += 120                    # two minutes pass before the night's work
    pairs = fresh.complete_queue('demo')
    jids = [jid for _, jid in pairs]
    assert [rid for rid, _ in pairs] == [east.rid, west.rid, middle.rid]
    assert jids == sorted(jids)         # allocated in request order
    jobs = [fresh.job(jid) for jid in jids]
    # Observed by right ascension, one after another, the last one now.
    times = {job.object_name: job.completion_time for job in jobs}
    assert times['West'] < times['Middle'] < times['East'] <= fresh.current_time()
    # Allocated together, when the night's work starts.
    assert {job.allocation_time for job in jobs} == {times['West']}
    found = [j.jid for j in fresh.search_jobs(times['West'], times['East'])]
    assert found == [jids[0], jids[2], jids[1]]   # by completion: not in id order


def test_complete_queue_groups_identical_requests(fresh):
    a, b = submit(fresh, user='other'), submit(fresh, user='other')
    c = submit(fresh, user='other', filter_type='V')
    pairs = dict(fresh.complete_queue())
    assert pairs[a.rid] == pairs[b.rid] != pairs[c.rid]
    assert fresh.job(pairs[a.rid]).rids == [a.rid, b.rid]
    assert not any(r.status < 8 for u in ACCOUNTS for r in fresh.requests(u))


def test_concurrent_submissions_get_distinct_ids(fresh):
    made = []

    def worker():
        for _ in range(20):
            made.append(submit(fresh).rid)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == 80
    assert len(fresh.requests('demo')) == SIZE + 80


# -- catalogue ------------------------------------------------------------------------

def test_radec_id_of_the_seed_job():
    ra, dec = parse_radec('00:42:58.58 +36:28:18.97')
    assert catalog.radec_id(ra, dec) == '00:42:58.58 +36:28:18.97'
    assert catalog.radec_id(90.0, -0.5) == '06:00:00.00 -00:30:00.00'
    assert catalog.radec_id(359.99999999, 89.9999999) == '00:00:00.00 +90:00:00.00'


@given(st.floats(0, 359.9999), st.floats(-90, 90))
def test_radec_id_round_trips(ra, dec):
    text = catalog.radec_id(ra, dec)
    back_ra, back_dec = parse_radec(text)
    assert abs((back_ra - ra + 180) % 360 - 180) < 0.006 / 3600 * 15
    assert back_dec == pytest.approx(dec, abs=0.006 / 3600)
