"""Request and job views as Tables: values, missing ids, batches, the record cache."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from telescope_query import NoSuchJobError, NoSuchRequestError, conf
from telescope_query.simulator.model import TELESCOPES


def shown_completion(true_time: float, row) -> float:
    """The completion time a view gives: a day late in the summer date slip
    [seen], unless the frames of a cached product corrected it."""
    return true_time + (86400 if row['completion_check'] == 'uncertain' else 0)


def test_the_summer_date_slip_is_flagged_and_corrected_by_the_frames(telescope, simulator):
    slipped = next(job for job in (simulator.archive.job(r.jid)
                                   for r in simulator.archive.requests('demo') if r.jid)
                   if time.gmtime(job.completion_time).tm_hour == 23
                   and 5 <= time.gmtime(job.completion_time).tm_mon <= 9)   # summer time
    row = telescope.get_job_details(slipped.jid)[0]
    assert row['completion_check'] == 'uncertain'
    assert row['completed'].unix == slipped.completion_time + 86400
    with conf.set_temp('poll_interval', 0.01):
        telescope.get_images(slipped.jid, show_progress=False)
    row = telescope.get_job_details(slipped.jid)[0]      # the frames now in the cache
    assert row['completion_check'] == 'corrected'
    assert row['completed'].unix == slipped.completion_time


def completed(simulator, user='demo', count=3):
    return [r for r in simulator.archive.requests(user) if r.status == 8 and r.jid][:count]


def test_request_details_match_the_archive(telescope, simulator):
    requests = completed(simulator)
    table = telescope.get_request_details([r.rid for r in requests])
    assert list(table['rid']) == [r.rid for r in requests]
    assert list(table['jid']) == [r.jid for r in requests]
    for row, request in zip(table, requests):
        assert row['object_name'] == request.object_name
        assert row['object_type'] == request.object_type
        assert row['filter'] == request.filter_type
        assert row['exposure'] == request.exposure_ms / 1000
        assert row['dark_frame'] == request.dark_frame
        assert row['status'] == 8 and row['status_text'] == 'Complete'
        assert row['completed'].unix == pytest.approx(shown_completion(
            request.completion_time, row))
        # The view's Telescope Name; its Telescope Type Name (Galaxy for both) is left out.
        assert row['telescope'] == TELESCOPES[request.telescope_id]
        assert 'telescope_type' not in table.colnames
        # The simulator's request views show no comment row (none was recorded).
        assert np.ma.is_masked(row['comment'])
        # Request views show no flat field since 2022 [seen]: the job view has it.
        assert np.ma.is_masked(row['flat_id'])
    assert isinstance(table['coord'], SkyCoord)


def test_ids_in_many_forms(telescope, simulator):
    request = completed(simulator, count=1)[0]
    by_int = telescope.get_request_details(request.rid)
    by_text = telescope.get_request_details(f'R{request.rid}')
    by_table = telescope.get_request_details(by_int)
    assert by_int['rid'][0] == by_text['rid'][0] == by_table['rid'][0] == request.rid


def test_queued_request_has_no_jid(telescope, simulator):
    queued = next(r for r in simulator.archive.requests('demo') if r.status < 8)
    row = telescope.get_request_details(queued.rid)[0]
    assert np.ma.is_masked(row['jid']) and row['completed'].mask
    assert row['status'] == queued.status


def test_job_details_match_the_archive(telescope, simulator):
    jobs = [simulator.archive.job(r.jid) for r in completed(simulator)]
    several = next(j for j in (simulator.archive.job(r.jid)
                               for r in simulator.archive.requests('demo') if r.jid)
                   if len(j.rids) > 1)
    jobs.append(several)
    table = telescope.get_job_details([j.jid for j in jobs])
    for row, job in zip(table, jobs):
        assert row['jid'] == job.jid and list(row['rids']) == list(job.rids)
        assert row['filter'] == job.filter_type
        assert row['exposure'] == job.exposure_ms / 1000
        assert row['success'] == job.success
        assert row['completed'].unix == pytest.approx(shown_completion(job.completion_time,
                                                                      row))


def test_unknown_ids_say_so(telescope, simulator):
    rid = completed(simulator, count=1)[0].rid
    server = re.escape(simulator.url)
    with pytest.raises(NoSuchRequestError,
                       match=f"^No request R1 in the account of 'demo' on {server}.$"):
        telescope.get_request_details(1)
    with pytest.raises(NoSuchRequestError,
                       match=f"^No requests R1, R2 in the account of 'demo' on {server}.$"):
        telescope.get_request_details([rid, 1, 2])
    with pytest.raises(NoSuchJobError, match=f"^No job J3 on {server} that 'demo' may see.$"):
        telescope.get_job_details(3)
    with pytest.raises(NoSuchJobError, match=r"^No jobs J1, J2, .*, J20 and 5 more on "):
        telescope.get_job_details(list(range(1, 26)))


def test_another_users_request_does_not_exist_for_you(login_as, simulator):
    alice = login_as('alice')
    rid = completed(simulator, 'demo', 1)[0].rid
    with pytest.raises(NoSuchRequestError):
        alice.get_request_details(rid)


@pytest.mark.parametrize('ids, error', [('abc', ValueError), ([1, 'x'], ValueError),
                                        ([], ValueError), (-5, ValueError),
                                        (1.5, TypeError), (None, TypeError)])
def test_bad_ids_fail_before_any_request(telescope, simulator, ids, error):
    simulator.counters.reset()
    with pytest.raises(error, match='rids'):
        telescope.get_request_details(ids)
    assert simulator.counters.total() == 0


def test_completed_views_are_cached_per_account_and_queued_ones_never(login_as, simulator,
                                                                      tmp_path):
    demo = login_as('demo')
    done = completed(simulator, count=2)
    queued = next(r for r in simulator.archive.requests('demo') if r.status < 8)
    jids = [r.jid for r in done]
    ids = [r.rid for r in done] + [queued.rid]
    first = demo.get_request_details(ids)
    demo.get_job_details(jids)
    simulator.counters.reset()
    again = demo.get_request_details(ids)
    demo.get_job_details(jids)
    assert simulator.counters['v4request-view.php'] == 1        # only the queued one
    assert list(again['jid'][:2]) == list(first['jid'][:2])
    # The same cache folder, another account: nothing of demo's is served to alice.
    alice = login_as('alice')
    simulator.counters.reset()
    with pytest.raises(NoSuchRequestError):
        alice.get_request_details(done[0].rid)
    assert simulator.counters['v4request-view.php'] == 1
    files = list((tmp_path / 'cache').rglob('*'))
    assert files and not any('alice-Secret-42' in f.read_text(errors='replace')
                             for f in files if f.is_file())
    assert not list((tmp_path / 'cache').rglob('*.pickle'))     # astroquery's cache unused


def test_batches_run_in_parallel_on_the_bounded_pool(telescope, simulator):
    rids = [r.rid for r in completed(simulator, count=12)]
    simulator.latency_ms = 50
    with conf.set_temp('max_workers', 6):
        simulator.counters.reset()
        table = telescope.get_request_details(rids)
    assert list(table['rid']) == rids                         # results in order
    assert simulator.counters['v4request-view.php'] == len(rids)


def test_a_failing_view_in_a_batch_is_raised(telescope, simulator):
    rids = [r.rid for r in completed(simulator, count=3)]
    simulator.faults.add('http_500', endpoint='v4request-view.php', count=None)
    with conf.set_temp('retries', 0):
        with pytest.raises(Exception, match='HTTP 500'):
            telescope.get_request_details(rids)
    simulator.faults.clear()
    assert len(telescope.get_request_details(rids)) == 3       # nothing bad was cached


# --- cache=False: read fresh, and the fresh answer replaces the cached one ----------------

def stale(client, what, number, **changes):
    """Make the cached record of a view say something else (as if the site had
    since changed it): a call that uses the cache shows the change."""
    key = (f'{what}-view', number)
    record = client._records.get(key)
    assert isinstance(record, dict), 'the view is not in the cache'
    client._records.put(key, {**record, **changes})


def test_cache_false_reads_the_views_again_and_replaces_them(telescope, simulator):
    request = completed(simulator, count=1)[0]
    telescope.get_request_details(request.rid)
    telescope.get_job_details(request.jid)
    stale(telescope, 'request', request.rid, filter='stale')
    stale(telescope, 'job', request.jid, filter='stale')
    simulator.counters.reset()
    assert telescope.get_request_details(request.rid)['filter'][0] == 'stale'
    assert telescope.get_job_details(request.jid)['filter'][0] == 'stale'
    assert simulator.counters['v4request-view.php'] == 0
    fresh = telescope.get_request_details(request.rid, cache=False)
    fresh_job = telescope.get_job_details(request.jid, cache=False)
    assert fresh['filter'][0] == fresh_job['filter'][0] == request.filter_type
    assert simulator.counters['v4request-view.php'] == 2
    simulator.counters.reset()
    assert telescope.get_request_details(request.rid)['filter'][0] == request.filter_type
    assert telescope.get_job_details(request.jid)['filter'][0] == request.filter_type
    assert simulator.counters['v4request-view.php'] == 0      # the fresh ones were kept


def test_cache_false_on_listings_with_views(telescope, simulator):
    request = completed(simulator, count=1)[0]
    telescope.get_requests(details=True)
    stale(telescope, 'request', request.rid, filter='stale')
    simulator.counters.reset()
    table = telescope.get_requests(details=True, cache=False)
    assert simulator.counters['v4request-view.php'] == len(table)
    assert table[table['rid'] == request.rid][0]['filter'] == request.filter_type
    stale(telescope, 'request', request.rid, filter='stale')
    found = telescope.query_object(request.object_name, cache=False)
    assert found[found['rid'] == request.rid][0]['filter'] == request.filter_type
    now = simulator.archive.current_time()
    job = simulator.archive.search_jobs(now - 30 * 86400, now)[0]       # a public job
    when = datetime.fromtimestamp(job.completion_time, timezone.utc)
    window = (when - timedelta(minutes=1), when + timedelta(minutes=1))
    telescope.query_jobs(*window, details=True)
    stale(telescope, 'job', job.jid, filter='stale')
    assert 'stale' in list(telescope.query_jobs(*window, details=True)['filter'])
    simulator.counters.reset()
    table = telescope.query_jobs(*window, details=True, cache=False)
    assert 'stale' not in list(table['filter'])
    assert simulator.counters['v4request-view.php'] == len(table)


@pytest.mark.parametrize('call', [
    lambda t: t.get_request_details(1, cache='no'),
    lambda t: t.get_job_details(1, cache=0),
    lambda t: t.get_requests(details=True, cache=None),
    lambda t: t.query_object('SS Cyg', cache='False'),
    lambda t: t.query_jobs(details=True, cache=1),
])
def test_cache_must_be_true_or_false(telescope, simulator, call):
    simulator.counters.reset()
    with pytest.raises(TypeError, match='cache must be True or False'):
        call(telescope)
    assert simulator.counters.total() == 0
