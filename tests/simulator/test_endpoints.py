"""Each endpoint of PROTOCOL.md sections 1-3, over real loopback HTTP.

Expected values come from the archive (``sim.archive``), never from the
pages under test.
"""
from __future__ import annotations

import json
import re

import pytest
import requests
from bs4 import BeautifulSoup

NOT_LOGGED_IN = {'success': 0, 'status': 'ERR_NOT_LOGGED_IN', 'data': None}
DATE_CELL = re.compile(r'^\S+ \S+ \S+ (\d{1,2}) ([A-Z][a-z]+) (\d{4}) '
                       r'\((\d\d:\d\d:\d\d) UTC\)$')


def complete_requests(sim, user='demo'):
    return [r for r in sim.archive.requests(user) if r.status == 8]


def own_job(sim, *, several=False, flat=None, user='demo'):
    """A job serving the user's request(s): with several requests / a flat field."""
    for req in complete_requests(sim, user):
        job = sim.archive.job(req.jid)
        if several and len(job.rids) < 2:
            continue
        if flat is not None and bool(job.flat_id) != flat:
            continue
        return req, job
    raise LookupError('the archive has no such job')


# -- section 1: session ------------------------------------------------------------------
def test_login_sets_the_cookie_on_its_own_answer(simulator):
    answer = requests.post(simulator.url + 'login.php', timeout=30, data={
        'action': 'login', 'username': 'alice', 'password': 'alice-Secret-42',
        'stayloggedin': 'true'})
    assert answer.status_code == 200
    assert answer.headers['Content-Type'].startswith('text/html')
    cookie = answer.cookies.get('PHPSESSID')
    assert cookie
    folders = requests.post(simulator.url + 'api-user.php', cookies={'PHPSESSID': cookie},
                            data={'module': 'request-manager',
                                  'request': '0-get-my-folders'}, timeout=30).json()
    assert folders['success'] == 1
    assert [f['name'] for f in folders['data'][:4]] == ['Inbox', 'Favourites', 'Archive',
                                                        'Trash']


def test_wrong_password_answers_a_page_and_no_session(simulator, login, api,
                                                      is_login_form):
    http = login(simulator, 'demo', password='not-the-password')
    assert http.cookies.get('PHPSESSID') is None
    answer = api(http, simulator, 'request-manager', '0-get-my-folders')
    assert answer.status_code == 200
    assert answer.json() == NOT_LOGGED_IN
    # An unknown user is refused the same way.
    http = requests.Session()
    answer = http.post(simulator.url + 'login.php', timeout=30, data={
        'action': 'login', 'username': 'nobody', 'password': 'demo'})
    assert answer.status_code == 200 and is_login_form(answer.text)
    assert api(http, simulator, 'request-manager', '0-get-my-folders').json() == NOT_LOGGED_IN


def test_login_page_answer_is_html(simulator):
    answer = requests.post(simulator.url + 'login.php', timeout=30, data={
        'action': 'login', 'username': 'demo', 'password': 'wrong', 'stayloggedin': 'true'})
    assert answer.status_code == 200
    assert '<form' in answer.text and 'name="password"' in answer.text
    assert 'wrong' not in answer.text  # the password is never echoed


@pytest.mark.parametrize('path', ['v4request-view.php?rid=1', 'v4request-view.php?jid=1',
                                  'v3job-search-query.php', 'request-constructor.php'])
def test_unauthenticated_pages_answer_the_login_form(simulator, path, is_login_form):
    answer = requests.post(simulator.url + path, timeout=30)
    assert answer.status_code == 200
    assert is_login_form(answer.text)


def test_unauthenticated_get_pages_answer_the_login_form(simulator, is_login_form):
    for path in ('imageengine-request.php?jid=1&type=1',
                 'v3image-download.php?jid=1&ieid=1',
                 'request-constructor.php?action=new'):
        answer = requests.get(simulator.url + path, timeout=30)
        assert answer.status_code == 200, path
        assert is_login_form(answer.text), path


@pytest.mark.parametrize('module,request_name', [
    ('request-manager', '0-get-my-folders'), ('request-manager', '1-get-list-own'),
    ('request-constructor', '0-rb-submit'), ('image-engine', '0-is-job-ready')])
def test_unauthenticated_api_answers_not_logged_in(simulator, api, module, request_name):
    answer = api(requests.Session(), simulator, module, request_name, {'limit': 1})
    assert answer.status_code == 200
    assert answer.json() == NOT_LOGGED_IN


def test_logout_ends_the_session(simulator, login, api, is_login_form):
    http = login(simulator)
    cookie = http.cookies['PHPSESSID']
    assert api(http, simulator, 'request-manager', '0-get-my-folders').json()['success'] == 1
    answer = http.post(simulator.url + 'logout.php', timeout=30)
    assert answer.status_code == 200
    assert answer.headers['Content-Type'].startswith('text/html')
    # The old cookie, sent again by hand, no longer opens anything.
    again = requests.post(simulator.url + 'api-user.php', cookies={'PHPSESSID': cookie},
                          data={'module': 'request-manager',
                                'request': '0-get-my-folders'}, timeout=30)
    assert again.json() == NOT_LOGGED_IN
    page = requests.post(simulator.url + 'v4request-view.php?rid=1',
                         cookies={'PHPSESSID': cookie}, timeout=30)
    assert is_login_form(page.text)


def test_sessions_are_independent(simulator, login, api):
    demo, alice = login(simulator, 'demo'), login(simulator, 'alice')
    demo.post(simulator.url + 'logout.php', timeout=30)
    assert api(alice, simulator, 'request-manager',
               '0-get-my-folders').json()['success'] == 1


# -- section 2: request-manager ------------------------------------------------------------
def test_folders(simulator, login, api):
    answer = api(login(simulator), simulator, 'request-manager', '0-get-my-folders').json()
    assert answer['success'] == 1 and answer['status']
    folders = answer['data']
    assert [f['id'] for f in folders[:4]] == ['1', '2', '3', '4']
    assert len(folders) >= 5  # and the user's own
    for folder in folders:
        assert set(folder) == {'id', 'creationtime', 'name', 'count'}
        assert isinstance(folder['id'], str) and isinstance(folder['creationtime'], str)
        expected = simulator.archive.folder_count('demo', int(folder['id']))
        # count: a string, null for an empty folder.
        assert folder['count'] == (str(expected) if expected else None)
    assert folders[0]['count'] == str(len(simulator.archive.requests('demo')))
    assert folders[1]['count'] is None  # Favourites is empty
    assert folders[0]['creationtime'] == '0' and folders[4]['creationtime'] != '0'


def list_own(http, sim, api, **params):
    answer = api(http, sim, 'request-manager', '1-get-list-own', params)
    assert answer.status_code == 200
    return answer.json()


def test_listing_pages_as_the_original_client(simulator, login, api):
    http = login(simulator)
    first = list_own(http, simulator, api, limit=100, sort='rid', folderid=1)
    assert first['success'] == 1
    total = int(first['data']['totalRequests'])
    assert total == len(simulator.archive.requests('demo'))
    got = first['data']['requests']
    assert len(got) == min(100, total)
    second = list_own(http, simulator, api, limit=total - len(got), sort='rid', folderid=1,
                      startAfterRow=len(got))
    got += second['data']['requests']
    assert sorted(int(r['id']) for r in got) == sorted(
        r.rid for r in simulator.archive.requests('demo'))
    # The original always makes the second call: with limit 0 it gets an empty page.
    empty = list_own(http, simulator, api, limit=0, sort='rid', folderid=1,
                     startAfterRow=total)
    assert empty['success'] == 1
    assert empty['data']['requests'] == []
    assert empty['data']['totalRequests'] == str(total)


def test_listing_records_carry_strings(simulator, login, api):
    records = list_own(login(simulator), simulator, api, limit=500)['data']['requests']
    by_rid = {r.rid: r for r in simulator.archive.requests('demo')}
    for record in records:
        truth = by_rid[int(record['id'])]
        assert record['status'] == str(truth.status)
        assert record['objectname'] == truth.object_name
        assert record['requesttime'] == str(truth.request_time)
        for key in ('id', 'status', 'requesttime', 'telescopeid', 'exposuretime',
                    'completiontime', 'folderid'):
            assert isinstance(record[key], str), key
        assert record['completiontime'] == str(truth.completion_time)
        assert record['filtertype'] == truth.filter_type


def test_listing_without_params_is_the_whole_inbox(simulator, login):
    http = login(simulator)
    # No 'params' field at all, as requests sends a dropped {}.
    answer = http.post(simulator.url + 'api-user.php', timeout=30,
                       data={'module': 'request-manager', 'request': '1-get-list-own'})
    data = answer.json()['data']
    assert len(data['requests']) == len(simulator.archive.requests('demo'))


def test_listing_accepts_numbers_as_strings(simulator, login, api):
    http = login(simulator)
    as_numbers = list_own(http, simulator, api, limit=7, folderid=1, startAfterRow=3)
    as_strings = list_own(http, simulator, api, limit='7', folderid='1', startAfterRow='3')
    assert as_strings == as_numbers
    assert len(as_numbers['data']['requests']) == 7


def test_listing_sorts(simulator, login, api):
    http = login(simulator)
    by_rid = list_own(http, simulator, api, sort='rid')['data']['requests']
    assert [int(r['id']) for r in by_rid] == sorted((int(r['id']) for r in by_rid),
                                                    reverse=True)
    by_completion = list_own(http, simulator, api, sort='completion')['data']['requests']
    times = [int(r['completiontime']) for r in by_completion]
    assert times == sorted(times, reverse=True)
    assert by_completion[0]['status'] == '8'
    by_object = list_own(http, simulator, api, sort='object')['data']['requests']
    names = [r['objectname'].lower() for r in by_object]
    assert names == sorted(names)


def test_listing_of_other_folders(simulator, login, api):
    http = login(simulator)
    for folder in simulator.archive.folders('demo'):
        data = list_own(http, simulator, api, folderid=folder.folder_id)['data']
        expected = {r.rid for r in simulator.archive.requests('demo', folder.folder_id)}
        assert {int(r['id']) for r in data['requests']} == expected
        assert data['totalRequests'] == str(len(expected))


def test_listing_of_a_folder_not_ones_own_fails(simulator, login, api):
    alice_own = simulator.archive.folders('alice')[4].folder_id
    answer = list_own(login(simulator), simulator, api, folderid=alice_own)
    assert not answer['success'] and answer['status']


def test_users_see_only_their_own_requests(simulator, login, api):
    demo = {r['id'] for r in list_own(login(simulator), simulator, api)['data']['requests']}
    alice = {r['id'] for r in list_own(login(simulator, 'alice'), simulator,
                                       api)['data']['requests']}
    assert demo and alice and not demo & alice
    assert alice == {str(r.rid) for r in simulator.archive.requests('alice')}


@pytest.mark.parametrize('params', ['not json', '[1, 2]'])
def test_bad_params_fail_with_a_status(simulator, login, params):
    answer = login(simulator).post(simulator.url + 'api-user.php', timeout=30, data={
        'module': 'request-manager', 'request': '1-get-list-own', 'params': params}).json()
    assert not answer['success'] and answer['status'] == 'ERR_BAD_PARAMS'


def test_unknown_api_request_fails_with_a_status(simulator, login, api):
    answer = api(login(simulator), simulator, 'request-manager', '9-nothing').json()
    assert answer == {'success': 0, 'status': 'ERR_UNKNOWN_REQUEST', 'data': None}


# -- section 3: views ---------------------------------------------------------------------
def view(http, sim, query):
    """As the original client: POST, the id in the query string, an empty body."""
    answer = http.post(sim.url + 'v4request-view.php?' + query, timeout=30)
    assert answer.status_code == 200
    return answer.text


def test_request_view_of_a_completed_request(simulator, login, value_rows):
    req, job = own_job(simulator, flat=True)
    html = view(login(simulator), simulator, f'rid={req.rid}')
    rows = value_rows(html)
    assert rows['Job ID'] == f'J{job.jid}'
    assert rows['Object Type'] == req.object_type
    assert rows['Object ID'] == req.object_id
    assert rows['Object Name'] == req.object_name
    assert rows['Filter Type'] == req.filter_type
    assert rows['Exposure Time'] == f'{req.exposure_ms} ms'
    assert rows['Status'] == 'Complete'
    assert rows['Dark Frame'] in ('Yes', 'No')
    for label in ('Request Time', 'Completion Time'):
        assert DATE_CELL.match(rows[label]), rows[label]
    for label, value in rows.items():
        assert value == value.strip(), label
        # No cell holds another row's label.
        assert not any(other in value for other in rows), (label, value)
    # The var info line: strict JSON from the first { to the last }.
    lines = [line for line in html.splitlines() if line.startswith('var info = {')]
    assert len(lines) == 1 and lines[0].endswith('};')
    info = json.loads(lines[0][lines[0].index('{'):lines[0].rindex('}') + 1])
    assert info['jid'] == job.jid
    # The flat-field link: the id right after the first '='.
    links = [a['href'] for a in BeautifulSoup(html, 'html.parser').find_all('a')
             if 'flat' in a['href']]
    assert links == [f'v3dl-flat.php?flatid={job.flat_id}']
    assert links[0].split('=', 1)[1] == str(job.flat_id)


def test_completion_time_cell_reads_for_the_original_client(simulator, login, value_rows):
    req, job = own_job(simulator)
    cell = value_rows(view(login(simulator), simulator, f'rid={req.rid}'))['Completion Time']
    words = cell.split()
    # The original took words 4-8: day, month, year, time, 'UTC)'.
    import datetime as dt
    when = dt.datetime.fromtimestamp(req.completion_time, dt.timezone.utc)
    assert words[3:8] == [str(when.day), when.strftime('%B'), str(when.year),
                          '(' + when.strftime('%H:%M:%S'), 'UTC)']


def test_request_view_of_an_unfinished_request(simulator, login, value_rows):
    req = next(r for r in simulator.archive.requests('demo') if r.status == 3)
    html = view(login(simulator), simulator, f'rid={req.rid}')
    rows = value_rows(html)
    assert rows['Status'] == 'Waiting'
    assert 'Completion Time' not in rows and 'Job ID' not in rows
    assert 'var info' not in html


def test_job_view(simulator, login, value_rows):
    req, job = own_job(simulator, flat=True)
    html = view(login(simulator), simulator, f'jid={job.jid}')
    rows = value_rows(html)
    assert set(rows) == {'Request ID', 'Object Type', 'Object ID', 'Telescope Type Name',
                         'Filter Type', 'Exposure Time', 'Completion Time', 'Status'}
    assert rows['Status'] == 'Success'
    assert rows['Exposure Time'] == f'{job.exposure_ms} ms'
    assert rows['Object ID'] == job.object_id
    assert DATE_CELL.match(rows['Completion Time'])
    buttons = BeautifulSoup(html, 'html.parser').find_all('button')
    onclicks = [b['onclick'] for b in buttons if b.has_attr('onclick')]
    assert onclicks == [f"location.href='v3dl-flat.php?flatid={job.flat_id}'"]
    assert onclicks[0].endswith(f"={job.flat_id}'")


def test_job_view_telescope_names(simulator, login, value_rows):
    from telescope_query.simulator.archive import TELESCOPES
    http = login(simulator)
    for req in complete_requests(simulator)[:5]:
        job = simulator.archive.job(req.jid)
        rows = value_rows(view(http, simulator, f'jid={job.jid}'))
        assert rows['Telescope Type Name'] == TELESCOPES[job.telescope_id]


def test_job_view_of_a_job_serving_several_requests(simulator, login, value_rows):
    req, job = own_job(simulator, several=True)
    cell = value_rows(view(login(simulator), simulator, f'jid={job.jid}'))['Request ID']
    assert cell == ' ' + ' '.join(f'R{rid}' for rid in job.rids) + ' '
    # What the original client printed: the cell minus its first character.
    assert cell[1:].split() == [f'R{rid}' for rid in job.rids]


def test_job_view_of_one_request(simulator, login, value_rows):
    req, job = next((r, simulator.archive.job(r.jid)) for r in complete_requests(simulator)
                    if len(simulator.archive.job(r.jid).rids) == 1)
    cell = value_rows(view(login(simulator), simulator, f'jid={job.jid}'))['Request ID']
    assert cell == f'R{req.rid}'


def test_job_without_flat_has_no_flat_control(simulator, login):
    req, job = own_job(simulator, flat=False)
    http = login(simulator)
    assert 'v3dl-flat.php' not in view(http, simulator, f'jid={job.jid}')
    assert 'v3dl-flat.php' not in view(http, simulator, f'rid={req.rid}')


@pytest.mark.parametrize('query', ['rid=1', 'jid=1', 'rid=abc', 'jid=', 'rid=99999999'])
def test_unknown_ids_render_no_value_rows(simulator, login, value_rows, query):
    html = view(login(simulator), simulator, query)
    assert '<table' in html
    assert value_rows(html) == {}


def test_other_users_requests_and_private_jobs_are_hidden(simulator, login, value_rows):
    alice_req = next(r for r in complete_requests(simulator, 'alice')
                     if not simulator.archive.job(r.jid).public)
    http = login(simulator)
    assert value_rows(view(http, simulator, f'rid={alice_req.rid}')) == {}
    assert value_rows(view(http, simulator, f'jid={alice_req.jid}')) == {}
    own = value_rows(view(login(simulator, 'alice'), simulator, f'jid={alice_req.jid}'))
    assert own['Status'] == 'Success'


def test_public_jobs_of_others_are_visible(simulator, login, value_rows):
    alice_public = next(simulator.archive.job(r.jid)
                        for r in complete_requests(simulator, 'alice')
                        if simulator.archive.job(r.jid).public)
    rows = value_rows(view(login(simulator), simulator, f'jid={alice_public.jid}'))
    assert rows['Object ID'] == alice_public.object_id


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_doubled_slashes_count_as_one(simulator, login, value_rows, method):
    req, job = own_job(simulator)
    http = login(simulator)
    base = simulator.url  # ends in '/'
    answer = http.request(method, base + '/v4request-view.php?jid=%d' % job.jid, timeout=30)
    assert answer.status_code == 200 and not answer.history  # no redirect either
    assert value_rows(answer.text)['Status'] == 'Success'
    api_answer = http.post(base + '//api-user.php', timeout=30, data={
        'module': 'request-manager', 'request': '0-get-my-folders'})
    assert api_answer.json()['success'] == 1
    assert simulator.counters['api-user.php'] == 1


def test_unknown_path_is_404(simulator):
    assert requests.get(simulator.url + 'nothing.php', timeout=30).status_code == 404
