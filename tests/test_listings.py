"""Folders and request listings as Tables, against the simulator.

Expected values come from the simulator's archive (``simulator.archive``),
never from constants: other tests may add requests to the shared simulator.
"""
from __future__ import annotations

import json
import threading
from io import BytesIO
from urllib.parse import parse_qsl, urlencode

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time
from werkzeug.serving import make_server

from telescope_query import RemoteServiceError, TelescopeClass


def test_get_folders_matches_the_archive(telescope, simulator):
    table = telescope.get_folders()
    folders = simulator.archive.folders('demo')
    assert table.colnames == ['folder_id', 'name', 'count', 'created']
    assert list(table['folder_id']) == [f.folder_id for f in folders]
    assert list(table['name']) == [f.name for f in folders]
    for row, folder in zip(table, folders):
        count = simulator.archive.folder_count('demo', folder.folder_id)
        assert (np.ma.is_masked(row['count']) if count == 0 else row['count'] == count)
    assert isinstance(table['created'], Time)


def test_get_requests_of_the_inbox_in_one_call(telescope, simulator):
    simulator.counters.reset()
    table = telescope.get_requests()
    assert simulator.counters['api-user.php'] == 1
    archive = {r.rid: r for r in simulator.archive.requests('demo', 1)}
    assert sorted(table['rid']) == sorted(archive)
    assert table.meta['folder'] == 'Inbox' and table.meta['folder_id'] == 1
    for row in table[:20]:
        request = archive[row['rid']]
        assert row['object_name'] == request.object_name
        assert row['status'] == request.status
        assert row['requested'].unix == pytest.approx(request.request_time)
        assert (np.ma.is_masked(row['comment']) if not request.comments
                else row['comment'] == request.comments)
    # Only what the listing sends [seen]: the views carry the rest.
    assert 'exposure' not in table.colnames and 'telescope' not in table.colnames
    assert table['requested'].scale == 'utc'


def test_details_join_the_views_and_a_second_call_costs_the_listing(telescope, simulator):
    simulator.counters.reset()
    table = telescope.get_requests(details=True)
    archive = {r.rid: r for r in simulator.archive.requests('demo', 1)}
    assert simulator.counters['v4request-view.php'] == len(table) == len(archive)
    for row in table[:30]:
        request = archive[row['rid']]
        assert row['exposure'] == request.exposure_ms / 1000
        assert row['filter'] == request.filter_type
        assert (np.ma.is_masked(row['jid']) if request.jid is None else row['jid'] == request.jid)
    assert table['exposure'].unit == u.s
    simulator.counters.reset()
    again = telescope.get_requests(details=True)
    assert simulator.counters.total() == 1          # the listing, nothing else
    assert list(again['rid']) == list(table['rid'])


def test_status_filter(telescope, simulator):
    requests = simulator.archive.requests('demo', 1)
    complete = telescope.get_requests(status='Complete')
    assert sorted(complete['rid']) == sorted(r.rid for r in requests if r.status == 8)
    assert set(complete['status_text']) == {'Complete'}
    queued = telescope.get_requests(status='queued')
    assert sorted(queued['rid']) == sorted(r.rid for r in requests if r.status < 8)
    both = telescope.get_requests(status=[8, 'never rises'])
    assert set(both['status']) <= {8, 25}
    assert len(both) == sum(r.status in (8, 25) for r in requests)


def test_sort_by_completion_with_details_is_newest_completion_first(telescope):
    table = telescope.get_requests(sort='completion', status='complete', details=True)
    times = table['completed'].unix
    assert len(times) > 2 and all(np.diff(times) <= 0)


def test_sort_by_completion_keeps_the_sites_order(telescope, simulator):
    # The listing has no completion time: the site's order is kept [seen: some
    # requests it puts first are not the newest completions].
    table = telescope.get_requests(sort='completion')
    assert list(table['rid']) != sorted(table['rid'], reverse=True)
    assert sorted(table['rid']) == sorted(r.rid for r in simulator.archive.requests('demo', 1))


@pytest.mark.parametrize('folder', ['Archive', 'archive', 3, '3'])
def test_folder_by_name_or_id(telescope, simulator, folder):
    simulator.counters.reset()
    table = telescope.get_requests(folder)
    assert sorted(table['rid']) == sorted(r.rid for r in simulator.archive.requests('demo', 3))
    assert simulator.counters['api-user.php'] == 1        # standard folders need no lookup


def test_own_folder_by_name(telescope, simulator):
    own = [f for f in simulator.archive.folders('demo') if f.folder_id > 4][0]
    table = telescope.get_requests(own.name.upper())
    assert table.meta['folder_id'] == own.folder_id
    assert sorted(table['rid']) == sorted(
        r.rid for r in simulator.archive.requests('demo', own.folder_id))


def test_unknown_folder_lists_the_folders(telescope, simulator):
    simulator.counters.reset()
    with pytest.raises(ValueError, match=f"folder: 'demo' has no folder 'Holidays' on "
                                         f"{simulator.url}; the folders are 'Inbox' \\(1\\)"):
        telescope.get_requests('Holidays')
    with pytest.raises(ValueError, match='has no folder 99999'):
        telescope.get_requests(99999)
    assert simulator.counters['api-user.php/request-manager/1-get-list-own'] == 0


@pytest.mark.parametrize('kwargs, error, text', [
    ({'sort': 'date'}, ValueError, "sort must be one of 'rid', 'object', 'completion'"),
    ({'status': 'lost'}, ValueError, "status must be a status code"),
    ({'status': 99}, ValueError, 'unknown code 99'),
    ({'status': True}, TypeError, 'status must be'),
    ({'folder': 0}, ValueError, 'folder must be a folder name or a positive id'),
    ({'folder': 2.5}, TypeError, 'folder must be a folder name or id'),
])
def test_bad_arguments_fail_before_any_request(telescope, simulator, kwargs, error, text):
    simulator.counters.reset()
    with pytest.raises(error, match=text):
        telescope.get_requests(**kwargs)
    assert simulator.counters.total() == 0


def test_twenty_thousand_requests_in_at_most_three_calls(simulator_factory, client_env,
                                                         monkeypatch, tmp_path):
    big = simulator_factory(requests=20000)
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', big.url)
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    client.login('demo', password='demo')
    big.counters.reset()
    table = client.get_requests()
    assert len(table) == 20000 == len(set(table['rid']))
    assert big.counters.total() <= 3


class PageCap:
    """WSGI middleware: the server caps 1-get-list-own pages at ``cap`` rows.

    How the live site pages is partly [assumed]; the client must keep paging.
    """

    def __init__(self, app, cap):
        self.app, self.cap = app, cap

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '').endswith('api-user.php'):
            length = int(environ.get('CONTENT_LENGTH') or 0)
            form = dict(parse_qsl(environ['wsgi.input'].read(length).decode()))
            if form.get('request') == '1-get-list-own' and 'params' in form:
                params = json.loads(form['params'])
                params['limit'] = min(int(params.get('limit', self.cap)), self.cap)
                form['params'] = json.dumps(params)
            body = urlencode(form).encode()
            environ['wsgi.input'] = BytesIO(body)
            environ['CONTENT_LENGTH'] = str(len(body))
        return self.app(environ, start_response)


def test_a_server_that_caps_pages_is_paged_through(simulator, client_env, monkeypatch,
                                                   tmp_path):
    server = make_server('127.0.0.1', 0, PageCap(simulator.app, cap=25), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv('TELESCOPE_QUERY_SERVER', f'http://127.0.0.1:{server.port}/')
        client = TelescopeClass()
        client.cache_location = tmp_path / 'cache'
        client.login('demo', password='demo')
        simulator.counters.reset()
        table = client.get_requests()
        expected = sorted(r.rid for r in simulator.archive.requests('demo', 1))
        assert sorted(table['rid']) == expected
        calls = simulator.counters['api-user.php/request-manager/1-get-list-own']
        assert calls == -(-len(expected) // 25)
    finally:
        server.shutdown()
        server.server_close()


LIST_OWN = 'api-user.php/request-manager/1-get-list-own'


def test_a_listing_short_of_its_total_warns_how_many_of_how_many(telescope, simulator,
                                                                 astroquery_log):
    """The server counts more requests than it ever sends: the listing stops when
    it sends none, and a warning names the shortfall; the requests are kept."""
    held = len(simulator.archive.requests('demo', 1))
    simulator.faults.add('short_total', endpoint=LIST_OWN, missing=7, count=None)
    simulator.counters.reset()
    table = telescope.get_requests()
    assert len(table) == held
    assert simulator.counters[LIST_OWN] == 2        # the page, and one ask for the rest
    warned = [r.getMessage() for r in astroquery_log if r.levelname == 'WARNING']
    assert any(f'listed {held} of the {held + 7} requests' in m and simulator.url in m
               for m in warned), warned


def test_a_server_that_ignores_start_after_row_is_not_followed_round(telescope, simulator,
                                                                    astroquery_log):
    """A server that caps its pages and sends its first page again whatever
    ``startAfterRow`` says: one more call shows it, never a page per row."""
    held = len(simulator.archive.requests('demo', 1))
    simulator.faults.add('page_cap', endpoint=LIST_OWN, rows=25, count=None)
    simulator.faults.add('ignore_start', endpoint=LIST_OWN, count=None)
    simulator.counters.reset()
    table = telescope.get_requests()
    assert len(table) == 25 == len(set(table['rid']))
    assert simulator.counters[LIST_OWN] == 2
    warned = [r.getMessage() for r in astroquery_log if r.levelname == 'WARNING']
    assert any(f'listed 25 of the {held} requests' in m and 'startAfterRow' in m
               for m in warned), warned


def test_a_whole_listing_warns_nothing(telescope, simulator, astroquery_log):
    simulator.faults.add('page_cap', endpoint=LIST_OWN, rows=300, count=None)
    table = telescope.get_requests()
    assert len(table) == len(simulator.archive.requests('demo', 1))
    assert not [r for r in astroquery_log if r.levelname == 'WARNING']


def test_a_listing_without_requests_key_is_a_protocol_error(telescope, simulator):
    simulator.faults.add('truncated_json', endpoint='api-user.php/request-manager/1-get-list-own')
    with pytest.raises(RemoteServiceError, match='1-get-list-own'):
        telescope.get_requests()


def test_query_object_matches_names_regardless_of_case_and_spacing(telescope, simulator):
    requests = simulator.archive.requests('demo')
    complete = [r for r in requests if r.status == 8 and ' ' in r.object_name]
    name = complete[0].object_name
    wanted = {r.rid for r in requests
              if r.object_name.replace(' ', '').lower() == name.replace(' ', '').lower()}
    table = telescope.query_object('  ' + name.upper().replace(' ', '   '))
    assert set(table['rid']) == wanted
    assert 'jid' in table.colnames
    for row in table:
        request = simulator.archive.request('demo', int(row['rid']))
        if request.status == 8:
            assert row['jid'] == request.jid
        else:
            assert np.ma.is_masked(row['jid'])
    only_complete = telescope.query_object(name, status='complete')
    assert set(only_complete['rid']) == {r for r in wanted
                                         if simulator.archive.request('demo', r).status == 8}


def test_query_object_checks_its_name(telescope):
    with pytest.raises(ValueError, match='name must not be empty'):
        telescope.query_object('  ')


def test_query_object_of_an_unknown_object_is_empty(telescope):
    table = telescope.query_object('No Such Object 12345')
    assert len(table) == 0 and 'jid' in table.colnames
