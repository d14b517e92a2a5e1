"""The public job search: windows, names checked, details, against the simulator."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

from telescope_query import conf
from telescope_query.simulator.model import TELESCOPES


def archive_jids(simulator, start, end, telescope_id=None, filter_type=None):
    """What the site should find: the latest bound includes its whole minute."""
    return [job.jid for job in simulator.archive.search_jobs(
        start.timestamp(), end.timestamp() + 59, telescope_id, filter_type)]


def window(simulator, days=30):
    end = datetime.fromtimestamp(simulator.archive.current_time(), timezone.utc).replace(
        second=0, microsecond=0)
    return end - timedelta(days=days), end


def test_window_as_datetimes_times_and_strings(telescope, simulator):
    start, end = window(simulator)
    expected = archive_jids(simulator, start, end)
    assert expected
    as_datetimes = telescope.query_jobs(start, end)
    assert list(as_datetimes['jid']) == expected                 # newest first
    as_times = telescope.query_jobs(Time(start), Time(end))
    as_text = telescope.query_jobs(start.strftime('%Y-%m-%d %H:%M'),
                                   end.strftime('%Y-%m-%dT%H:%M:%S'))
    naive = telescope.query_jobs(start.replace(tzinfo=None), end.replace(tzinfo=None))
    assert list(as_times['jid']) == list(as_text['jid']) == list(naive['jid']) == expected
    assert as_datetimes.meta['parameters'][0].startswith('Earliest completion time:')


def test_default_window_is_the_last_day(telescope, simulator):
    table = telescope.query_jobs()
    end = datetime.fromisoformat(table.meta['end'])
    start = datetime.fromisoformat(table.meta['start'])
    assert end - start == timedelta(days=1)
    assert abs(end.timestamp() - datetime.now(timezone.utc).timestamp()) < 120
    assert list(table['jid']) == archive_jids(simulator, start, end)


def test_telescope_and_filter(telescope, simulator):
    start, end = window(simulator, days=3650)
    table = telescope.query_jobs(start, end, telescope='pirate', filter='colour')
    assert list(table['jid']) == archive_jids(simulator, start, end, 7, 'Colour')
    assert len(table) > 0


SEARCH_COLUMNS = ['jid', 'object_name', 'telescope', 'filter', 'exposure', 'completed']


def test_the_columns_the_search_page_gives(telescope, simulator):
    start, end = window(simulator, days=3650)
    table = telescope.query_jobs(start, end)
    assert table.colnames == SEARCH_COLUMNS
    assert len(table) == len(archive_jids(simulator, start, end)) > 100
    assert table['exposure'].unit == u.s and table['completed'].scale == 'utc'
    for row in table:
        job = simulator.archive.job(row['jid'])
        assert row['object_name'] == job.object_name and row['filter'] == job.filter_type
        assert row['exposure'] == job.exposure_ms / 1000
        assert row['completed'].unix == pytest.approx(job.completion_time)
        # The search names the telescope, except 'Galaxy' (COAST and PIRATE alike).
        name = TELESCOPES[job.telescope_id]
        assert (np.ma.is_masked(row['telescope']) if name == 'Galaxy'
                else row['telescope'] == name)
    assert all(table[name].info.description for name in table.colnames)
    assert 'job search' in table['completed'].info.description


def test_details(telescope, simulator):
    start, end = window(simulator)
    table = telescope.query_jobs(start, end, telescope='COAST', details=True)
    assert 'rids' in table.colnames and 'coord' in table.colnames
    assert table.colnames[:3] == ['jid', 'rids', 'object_name']
    # A job view says Galaxy for COAST and PIRATE alike [seen]: the search's rows
    # name the telescope.
    assert set(table['telescope']) == {'COAST'} and set(table['telescope_type']) == {'Galaxy'}
    assert list(table['jid']) == archive_jids(simulator, start, end, 6)
    assert [simulator.archive.job(j).object_name for j in table['jid']] == list(
        table['object_name'])


def test_empty_window(telescope):
    table = telescope.query_jobs('2000-01-01', '2000-01-02')
    assert len(table) == 0 and table.colnames == SEARCH_COLUMNS
    assert len(telescope.query_jobs('2000-01-01', '2000-01-02', details=True)) == 0


@pytest.mark.parametrize('kwargs, error, text', [
    ({'start': 'yesterday'}, ValueError, "start must be an astropy Time, a datetime or an ISO"),
    ({'end': 'soon'}, ValueError, 'end must be'),
    ({'start': 12345}, TypeError, 'start must be'),
    ({'start': '2024-11-18', 'end': '2024-11-17'}, ValueError, 'start must be before end'),
    ({'telescope': 'Hubble'}, ValueError, 'telescope must be .*COAST or PIRATE'),
    ({'telescope': 'COAST', 'filter': 'U'}, ValueError, 'filter must be one of BVR'),
    ({'filter': 'H-alpha'}, ValueError, 'filter must be one of'),
    # Times the site cannot mean: before its first telescope went on the web.
    ({'start': '1990-01-01'}, ValueError,
     r"start must be on or after 1993-12-01 \(UTC\), when the site's first telescope went "
     r"on the web: no job is older; got 1990-01-01 00:00"),
    ({'start': '0024-11-17'}, ValueError, 'start must be on or after 1993-12-01.*0024-11-17'),
    ({'start': Time(0, format='mjd')}, ValueError, 'start must be on or after 1993-12-01'),
    ({'start': datetime(1970, 1, 1), 'end': '2024-11-18'}, ValueError, 'start must be on or'),
    ({'end': '1993-11-30 23:59'}, ValueError, 'end must be on or after 1993-12-01.*23:59'),
])
def test_bad_arguments_fail_before_any_request(telescope, simulator, kwargs, error, text):
    simulator.counters.reset()
    with pytest.raises(error, match=text):
        telescope.query_jobs(**kwargs)
    assert simulator.counters.total() == 0


def test_a_full_page_warns_that_the_window_is_too_wide(telescope, simulator, monkeypatch,
                                                       astroquery_log):
    from telescope_query.protocol import pages
    start, end = window(simulator, days=3650)
    found = len(archive_jids(simulator, start, end))
    monkeypatch.setattr(pages, 'RESULTS_PER_PAGE', min(found, 1000))
    telescope.query_jobs(start, end)
    assert any('narrow the time window' in m.getMessage() for m in astroquery_log)


def test_job_search_is_never_cached(telescope, simulator):
    start, end = window(simulator)
    telescope.query_jobs(start, end)
    telescope.query_jobs(start, end)
    assert simulator.counters['v3job-search-query.php'] == 2
    with conf.set_temp('max_workers', 1):
        assert len(telescope.query_jobs(start, end)) > 0

