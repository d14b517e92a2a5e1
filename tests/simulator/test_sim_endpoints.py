"""Each endpoint of PROTOCOL.md sections 1-3, over real loopback HTTP.

Expected values come from the archive (``sim.archive``), never from the
pages under test.
"""
from __future__ import annotations

import json
import re
import time

import pytest
import requests
from bs4 import BeautifulSoup

from helpers import time_words

NOT_LOGGED_IN = {'success': 0, 'status': 'ERR_NOT_LOGGED_IN', 'data': None}
NOW = 1731945600            # 2024-11-18 16:00 UTC: the seed records are there
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


RECORD_KEYS = ['id', 'seen', 'usercomments', 'objecttype', 'objectid', 'objectname',
               'requesttime', 'status', 'row']


def test_listing_records_are_the_recorded_keys_as_strings(simulator, login, api):
    records = list_own(login(simulator), simulator, api, limit=500)['data']['requests']
    by_rid = {r.rid: r for r in simulator.archive.requests('demo')}
    for row, record in enumerate(records, 1):
        # Exactly these keys, in the recorded order; nothing else (no telescope,
        # filter, exposure, completion, folder or job).
        assert list(record) == RECORD_KEYS
        assert all(isinstance(value, str) for value in record.values()), record
        truth = by_rid[int(record['id'])]
        assert record['status'] == str(truth.status)
        assert record['objectname'] == truth.object_name
        assert record['objecttype'] == truth.object_type
        assert record['objectid'] == truth.object_id
        assert record['usercomments'] == truth.comments
        assert record['requesttime'] == str(truth.request_time)
        assert record['seen'] == ('1' if truth.seen else '0')
        assert record['row'] == str(row)


def test_listing_rows_count_start_after_row(simulator, login, api):
    http = login(simulator)
    whole = list_own(http, simulator, api, sort='rid')['data']['requests']
    page = list_own(http, simulator, api, sort='rid', limit=4,
                    startAfterRow=7)['data']['requests']
    assert [r['row'] for r in page] == ['8', '9', '10', '11']
    assert page == whole[7:11]


def test_seen_follows_changes_and_views(simulator_factory, login, api):
    sim = simulator_factory(requests=20)
    http = login(sim)

    def seen(rid):
        records = list_own(http, sim, api)['data']['requests']
        return next(r['seen'] for r in records if r['id'] == str(rid))

    rid = submit(http, sim, api, basket_item(objectname='Seen test'))['data']['id']
    assert seen(rid) == '0'                     # a new submission
    view(http, sim, f'rid={rid}')
    assert seen(rid) == '1'                     # its owner opened it
    sim.complete_queue('demo')
    assert seen(rid) == '0'                     # a new completion
    view(http, sim, f'jid={sim.archive.request("demo", int(rid)).jid}')
    assert seen(rid) == '0'                     # the job view does not count
    view(login(sim, 'alice'), sim, f'rid={rid}')
    assert seen(rid) == '0'                     # nor another user
    view(http, sim, f'rid={rid}')
    assert seen(rid) == '1'


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
    by_object = list_own(http, simulator, api, sort='object')['data']['requests']
    names = [r['objectname'].lower() for r in by_object]
    assert names == sorted(names)


def test_listing_by_completion_puts_the_unseen_and_the_queue_first(simulator_factory,
                                                                      login, api):
    sim = simulator_factory(requests=150)
    http = login(sim)
    records = list_own(http, sim, api, sort='completion')['data']['requests']
    truth = [sim.archive.request('demo', int(r['id'])) for r in records]
    # Unseen complete, queued, seen complete, other finished (recorded.md 1.5).
    groups = [0 if r.completion_time and not r.seen else 1 if r.status < 8
              else 2 if r.completion_time else 3 for r in truth]
    assert groups == sorted(groups)
    assert set(groups) == {0, 1, 2, 3}
    assert records[0]['seen'] == '0' and records[0]['status'] == '8'
    # Within the complete groups: newest completion first.
    for group in (0, 2):
        times = [r.completion_time for r, g in zip(truth, groups) if g == group]
        assert times == sorted(times, reverse=True)
    # An old unseen completion stands above recent seen ones and the queue.
    unseen = [r for r, g in zip(truth, groups) if g == 0]
    seen = [r for r, g in zip(truth, groups) if g == 2]
    assert min(r.completion_time for r in unseen) < max(r.completion_time for r in seen)
    # Opening the views of the unseen ones brings the queue to the top.
    for r in unseen:
        view(http, sim, f'rid={r.rid}')
    records = list_own(http, sim, api, sort='completion')['data']['requests']
    assert int(records[0]['status']) < 8
    queued = sum(r.status < 8 for r in truth)
    assert all(int(r['status']) < 8 for r in records[:queued])
    assert records[queued]['status'] == '8'


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
    assert rows['Dark Frame'] == ('Instant' if req.dark_frame else 'None')
    if req.telescope_id in (6, 7):
        assert rows['Telescope Type Name'] == 'Galaxy'
        assert rows['Telescope Name'] == {6: 'COAST', 7: 'PIRATE'}[req.telescope_id]
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
    assert info['jid'] == str(job.jid)          # a JSON string, as recorded
    assert lines[0].startswith('var info = {"') and ' = ' in lines[0]
    # No flat-field control on request views (recorded: none since 2022), though
    # the job has a flat: it is on the job view only.
    assert 'flat' not in html.lower() and job.flat_id


def test_completion_time_cell_reads_for_the_original_client(simulator, login, value_rows):
    req, job = own_job(simulator)
    cell = value_rows(view(login(simulator), simulator, f'rid={req.rid}'))['Completion Time']
    words = cell.split()
    # The original took words 4-8: day, month, year, time, 'UTC)'.
    assert words[3:8] == time_words(req.completion_time)


def test_request_view_of_an_unfinished_request(simulator, login, api, value_rows):
    http = login(simulator)
    # A request of its own: the shared simulator's queue may have been completed.
    rid = submit(http, simulator, api, basket_item())['data']['id']
    html = view(http, simulator, f'rid={rid}')
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


def test_job_view_telescope_names(simulator_factory, login, value_rows):
    from telescope_query.simulator.archive import TELESCOPE_TYPES
    sim = simulator_factory(requests=200, now=NOW)
    http = login(sim)
    jobs = [sim.archive.job(r.jid) for r in complete_requests(sim)]
    jobs += sim.archive.search_jobs(0, NOW)
    # Today's telescopes, COAST (6) and PIRATE (7), and an old camera or two.
    chosen = {job.telescope_id: job for job in jobs}
    assert {6, 7} <= set(chosen) and set(chosen) - {6, 7}
    for tid, job in chosen.items():
        rows = value_rows(view(http, sim, f'jid={job.jid}'))
        assert rows['Telescope Type Name'] == TELESCOPE_TYPES[tid]
        assert rows['Telescope Type Name'] == ('Galaxy' if tid in (6, 7) else
                                               {1: 'Constellation', 2: 'Galaxy',
                                                3: 'Cluster', 5: 'Planet'}[tid])
        # The job view never names the telescope: only the request view does.
        assert 'Telescope Name' not in rows


@pytest.mark.parametrize('telescope,filter_name,name', [(6, 'V', 'COAST'),
                                                        (7, 'Green', 'PIRATE')])
def test_request_view_names_the_telescope(simulator, login, api, value_rows, telescope,
                                          filter_name, name):
    http = login(simulator)
    rid = submit(http, simulator, api, basket_item(
        telescopeid=telescope, filtertype=filter_name, darkframe=0))['data']['id']
    rows = value_rows(view(http, simulator, f'rid={rid}'))
    assert rows['Telescope Type Name'] == 'Galaxy'
    assert rows['Telescope Name'] == name
    assert rows['Dark Frame'] == 'None'         # [assumed] word for no dark frame
    rid = submit(http, simulator, api, basket_item(telescopeid=telescope,
                                                   filtertype=filter_name))['data']['id']
    assert value_rows(view(http, simulator, f'rid={rid}'))['Dark Frame'] == 'Instant'


def test_views_show_the_summer_date_slip(simulator, login, value_rows, api):
    http = login(simulator)
    # J336896, completed 2019-06-18 23:45:04 UTC: the view reads 19 June [seen].
    cell = value_rows(view(http, simulator, 'jid=336896'))['Completion Time']
    assert cell.split()[3:] == ['19', 'June', '2019', '(23:45:04', 'UTC)']
    # Its frames carry the true date: the first one 2019-06-18T23:38:22.
    ieid = stage(http, simulator, api, 336896, 'zip')['data']['ieID']
    engine(http, simulator, api, '0-is-job-ready', ieid=ieid)
    import io
    import zipfile
    from astropy.io import fits
    data = http.get(simulator.url + 'v3image-download.php', timeout=30,
                    params={'jid': 336896, 'ieid': ieid}).content
    with zipfile.ZipFile(io.BytesIO(data)) as zf, \
            fits.open(zf.open(zf.namelist()[0])) as first:
        assert first[0].header['DATE-OBS'].startswith('2019-06-18T23:38:22.')
        assert first[0].header['FILTER'] == 'R'
    # A generated one of demo's own, on its request view too.
    late = next(r for r in complete_requests(simulator)
                if time.gmtime(r.completion_time).tm_hour == 23
                and 6 <= time.gmtime(r.completion_time).tm_mon <= 9)
    rows = value_rows(view(http, simulator, f'rid={late.rid}'))
    assert rows['Completion Time'].split()[3:8] == time_words(late.completion_time)
    utc_day = time.gmtime(late.completion_time).tm_mday
    assert rows['Completion Time'].split()[3] != str(utc_day)


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


# -- section 2: image engine, section 2/3: downloads ---------------------------------------
def engine(http, sim, api, request_name, **params):
    answer = api(http, sim, 'image-engine', request_name, params)
    assert answer.status_code == 200
    return answer.json()


def stage(http, sim, api, jid, kind='cube'):
    request_name = '0-create-dl3d' if kind == 'cube' else '0-create-dlzip'
    return engine(http, sim, api, request_name, jid=jid)


def fresh_job(sim, kind='zip', processed=False):
    """A public job of another user whose product nobody has staged yet."""
    for req in complete_requests(sim, 'alice'):
        job = sim.archive.job(req.jid)
        if job.public and sim.engine.latest(job, kind, processed) is None:
            return job
    raise LookupError('no fresh public job left')


@pytest.mark.parametrize('kind,size_key,other_key', [('cube', 'fitssize', 'fitsbzsize'),
                                                     ('zip', 'fitsbzsize', 'fitssize')])
def test_stage_poll_download(simulator, login, api, kind, size_key, other_key):
    req, job = own_job(simulator)
    http = login(simulator)
    created = stage(http, simulator, api, job.jid, kind)
    assert created['success'] == 1
    assert created['status'] in ('OK_WAIT', 'OK_READY')
    # OK_READY carries flatID (the number sent, 0 without); OK_WAIT has no flatID.
    if created['status'] == 'OK_READY':
        assert created['data'] == {'ieID': created['data']['ieID'], 'flatID': 0}
    else:
        assert list(created['data']) == ['ieID']
    ieid = created['data']['ieID']
    assert isinstance(ieid, str) and ieid.isdigit()
    ready = engine(http, simulator, api, '0-is-job-ready', ieid=ieid)
    assert ready['success'] == 1 and ready['status'] == 'READY'
    assert ready['data']['flatID'] == '0'
    assert ready['data'][other_key] == '0'
    size = int(ready['data'][size_key])
    answer = http.get(simulator.url + 'v3image-download.php',
                      params={'jid': job.jid, 'ieid': ieid}, timeout=30)
    assert answer.status_code == 200
    assert answer.headers['Content-Length'] == str(size) == str(len(answer.content))
    assert answer.headers['Accept-Ranges'] == 'bytes'
    # Served from the product file, byte for byte.
    assert answer.content == simulator.products.path(job, kind).read_bytes()
    assert answer.content.startswith(b'SIMPLE' if kind == 'cube' else b'PK\x03\x04')
    # Asked again, the product is already prepared.
    again = stage(http, simulator, api, job.jid, kind)
    assert again['status'] == 'OK_READY'
    assert again['data']['ieID'] != ieid and again['data']['flatID'] == 0


def test_create_answer_is_ok_wait_for_a_new_product(simulator, login, api):
    job = fresh_job(simulator, 'zip')
    http = login(simulator)
    first = stage(http, simulator, api, str(job.jid), 'zip')  # jid as a string too
    assert first['status'] == 'OK_WAIT'
    assert first['data'] == {'ieID': first['data']['ieID']}   # no flatID key
    # With staging_seconds 0 the first poll is READY.
    poll = engine(http, simulator, api, '0-is-job-ready', ieid=first['data']['ieID'])
    assert poll['status'] == 'READY'


def test_range_requests(simulator, login, api):
    req, job = own_job(simulator)
    http = login(simulator)
    ieid = stage(http, simulator, api, job.jid)['data']['ieID']
    engine(http, simulator, api, '0-is-job-ready', ieid=int(ieid))  # ieid as a number
    whole = simulator.products.path(job, 'cube').read_bytes()
    answer = http.get(simulator.url + 'v3image-download.php', timeout=30,
                      params={'jid': job.jid, 'ieid': ieid},
                      headers={'Range': 'bytes=100-'})
    assert answer.status_code == 206
    assert answer.content == whole[100:]
    assert answer.headers['Content-Range'] == f'bytes 100-{len(whole) - 1}/{len(whole)}'


def test_download_needs_a_ready_staging_of_that_job(simulator, login, api):
    req, job = own_job(simulator)
    other = fresh_job(simulator, 'zip')
    http = login(simulator)
    ieid = stage(http, simulator, api, job.jid)['data']['ieID']
    wrong = http.get(simulator.url + 'v3image-download.php', timeout=30,
                     params={'jid': other.jid, 'ieid': ieid})
    assert wrong.status_code == 404
    unknown = http.get(simulator.url + 'v3image-download.php', timeout=30,
                       params={'jid': job.jid, 'ieid': '1'})
    assert unknown.status_code == 404
    simulator.staging_seconds = 60
    waiting = stage(http, simulator, api, other.jid, 'zip')
    early = http.get(simulator.url + 'v3image-download.php', timeout=30,
                     params={'jid': other.jid, 'ieid': waiting['data']['ieID']})
    assert early.status_code == 409


def test_staging_goes_through_processing(simulator, login, api):
    job = fresh_job(simulator, 'zip')
    http = login(simulator)
    simulator.staging_seconds = 3600
    created = stage(http, simulator, api, job.jid, 'zip')
    assert created['status'] == 'OK_WAIT'
    poll = engine(http, simulator, api, '0-is-job-ready', ieid=created['data']['ieID'])
    # A poll never answers OK_*: WAIT then PROCESSING, data null while not ready.
    assert poll == {'success': 1, 'status': 'WAIT', 'data': None}
    staging = simulator.engine.get(int(created['data']['ieID']))
    staging.created -= 2000             # past half of staging_seconds
    poll = engine(http, simulator, api, '0-is-job-ready', ieid=created['data']['ieID'])
    assert poll == {'success': 1, 'status': 'PROCESSING', 'data': None}
    # A run-time change of staging_seconds applies to stagings under way.
    simulator.staging_seconds = 0
    poll = engine(http, simulator, api, '0-is-job-ready', ieid=created['data']['ieID'])
    assert poll['status'] == 'READY' and int(poll['data']['fitsbzsize']) > 0


@pytest.mark.parametrize('kind,size_key', [('cube', 'fitssize'), ('zip', 'fitsbzsize')])
def test_a_flatid_stages_another_product(simulator, login, api, kind, size_key):
    req, job = own_job(simulator, flat=True)
    http = login(simulator)
    request_name = '0-create-dl3d' if kind == 'cube' else '0-create-dlzip'
    plain = stage(http, simulator, api, job.jid, kind)['data']['ieID']
    plain_poll = engine(http, simulator, api, '0-is-job-ready', ieid=plain)
    created = engine(http, simulator, api, request_name, jid=job.jid, flatid=job.flat_id)
    ieid = created['data']['ieID']
    if created['status'] == 'OK_WAIT':
        assert list(created['data']) == ['ieID']
    poll = engine(http, simulator, api, '0-is-job-ready', ieid=ieid)
    assert poll['status'] == 'READY'
    assert poll['data']['flatID'] == str(job.flat_id)          # a string when polling
    assert plain_poll['data']['flatID'] == '0'
    size = int(poll['data'][size_key])
    assert size != int(plain_poll['data'][size_key])
    flat = http.get(simulator.url + 'v3image-download.php', timeout=30,
                    params={'jid': job.jid, 'ieid': ieid}).content
    raw = http.get(simulator.url + 'v3image-download.php', timeout=30,
                   params={'jid': job.jid, 'ieid': plain}).content
    assert len(flat) == size and flat != raw
    assert flat == simulator.products.path(job, kind, flat_id=job.flat_id).read_bytes()
    # Prepared now: OK_READY echoes the flat id sent, as a JSON number.
    again = api(http, simulator, 'image-engine', request_name,
                {'jid': job.jid, 'flatid': str(job.flat_id)}).json()
    assert again['status'] == 'OK_READY'
    assert again['data']['flatID'] == job.flat_id and again['data']['ieID'] != ieid
    # Never READY from a create, never OK_* from a poll.
    assert engine(http, simulator, api, '0-is-job-ready',
                  ieid=again['data']['ieID'])['status'] == 'READY'


def test_a_negative_flatid_is_refused(simulator, login, api):
    req, job = own_job(simulator, flat=True)
    answer = engine(login(simulator), simulator, api, '0-create-dlzip', jid=job.jid,
                    flatid=-3)
    assert answer['success'] == 0 and answer['status'] == 'ERR_BAD_PARAMS'


def test_engine_refuses_unknown_and_private_jobs(simulator, login, api):
    private = next(simulator.archive.job(r.jid) for r in complete_requests(simulator, 'alice')
                   if not simulator.archive.job(r.jid).public)
    http = login(simulator)
    for jid in (1, private.jid):
        answer = stage(http, simulator, api, jid)
        assert not answer['success'] and answer['status'] == 'ERR_NO_SUCH_JOB'
    answer = engine(http, simulator, api, '0-is-job-ready', ieid='12')
    assert not answer['success'] and answer['status']
    answer = engine(http, simulator, api, '0-is-job-ready')
    assert not answer['success'] and answer['status'] == 'ERR_BAD_PARAMS'


def test_stagings_of_private_jobs_stay_private(simulator, login, api):
    private = next(simulator.archive.job(r.jid) for r in complete_requests(simulator, 'alice')
                   if not simulator.archive.job(r.jid).public)
    alice = login(simulator, 'alice')
    ieid = stage(alice, simulator, api, private.jid)['data']['ieID']
    demo = login(simulator)
    assert not engine(demo, simulator, api, '0-is-job-ready', ieid=ieid)['success']
    answer = demo.get(simulator.url + 'v3image-download.php', timeout=30,
                      params={'jid': private.jid, 'ieid': ieid})
    assert answer.status_code == 404


def iframes(html):
    return BeautifulSoup(html, 'html.parser').find_all('iframe')


@pytest.mark.parametrize('type_,kind', [('1', 'cube'), ('3', 'zip')])
def test_processed_images_page(simulator, login, type_, kind):
    job = fresh_job(simulator, kind, processed=True)
    http = login(simulator)
    simulator.staging_seconds = 3600
    page = http.get(simulator.url + 'imageengine-request.php', timeout=30,
                    params={'jid': job.jid, 'type': type_})
    assert page.status_code == 200
    assert iframes(page.text) == [] and '<iframe' not in page.text
    simulator.staging_seconds = 0
    page = http.get(simulator.url + 'imageengine-request.php', timeout=30,
                    params={'jid': job.jid, 'type': type_})
    frames = iframes(page.text)
    assert frames
    src = frames[0]['src']
    assert '://' not in src and not src.startswith('/')
    expected = simulator.products.path(job, kind, processed=True).read_bytes()
    assert expected != simulator.products.path(job, kind).read_bytes()
    # The flat-fielded raw frames, as far as the record tells.
    flat = job.flat_id or None
    if flat:
        assert expected == simulator.products.path(job, kind, flat_id=flat).read_bytes()
    for url in (simulator.url + src, simulator.url + '/' + src):
        answer = http.get(url, timeout=30)
        assert answer.status_code == 200
        assert answer.content == expected
        assert answer.headers['Content-Length'] == str(len(expected))


def test_processed_images_of_unknown_job_or_type(simulator, login):
    http = login(simulator)
    req, job = own_job(simulator)
    for params in ({'jid': 1, 'type': '1'}, {'jid': job.jid, 'type': '2'}):
        page = http.get(simulator.url + 'imageengine-request.php', params=params, timeout=30)
        assert page.status_code == 200 and not iframes(page.text)


# -- section 3: job search -----------------------------------------------------------------
def search_form(earliest, latest, *, telescope='', filter_name='', per_page=1000):
    """The original client's form: unpadded day, month, year, hour, minute."""
    import datetime as dt

    def parts(seconds):
        when = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
        return [str(when.day), str(when.month), str(when.year), str(when.hour),
                str(when.minute)]

    return {'sort1': 'completetime', 'sort1order': 'desc',
            'searchearliestcom[]': parts(earliest), 'searchlatestcom[]': parts(latest),
            'searchstatus[]': '1', 'resultsperpage': str(per_page),
            'searchfilter': filter_name, 'searchtelescope': telescope, 'submit': 'Go'}


def search(http, sim, form):
    answer = http.post(sim.url + 'v3job-search-query.php', data=form, timeout=30)
    assert answer.status_code == 200
    return answer.text


def result_jids(html):
    """The jid of the first link of each row, as the original client read them."""
    jids = []
    for tr in BeautifulSoup(html, 'html.parser').find_all('tr'):
        link = tr.find('a')
        if link is not None and 'jid=' in link.get('href', ''):
            match = re.search(r'jid=(\d+)(?:&|$)', link['href'])
            assert match and match.start() > 0
            jids.append(int(match.group(1)))
    return jids


def section_after(html, heading):
    soup = BeautifulSoup(html, 'html.parser')
    h3 = next(h for h in soup.find_all('h3') if heading in h.get_text())
    return h3.find_next_sibling()


def test_job_search(simulator, login):
    now = simulator.archive.current_time()
    earliest, latest = now - 2 * 86400, now
    html = search(login(simulator), simulator, search_form(earliest, latest))
    jids = result_jids(html)
    assert jids
    jobs = [simulator.archive.job(jid) for jid in jids]
    times = [job.completion_time for job in jobs]
    assert times == sorted(times, reverse=True)
    for job in jobs:
        assert job.public and job.success
        assert earliest - 60 <= job.completion_time <= latest + 60
    # No Results heading and no 'N jobs' count: the live site has none.
    assert [h.get_text() for h in BeautifulSoup(html, 'html.parser').find_all('h3')] == [
        'Parameters']
    assert not re.search(r'\d+ jobs\b', html) and 'Results' not in html
    params = section_after(html, 'Parameters')
    assert params.name != 'h3'
    text = params.get_text()
    for line in ('Job status values of:', '\xa0 - Success', 'Private jobs excluded',
                 '1000 results per page',
                 'Sorted by Completion time in descending order'):
        assert line in text
    assert re.search(r'Earliest completion time: \d\d/\d\d/\d\d \d\d:\d\d:00', text)
    assert re.search(r'Latest completion time: \d\d/\d\d/\d\d \d\d:\d\d:59', text)


def test_job_search_window_includes_the_whole_latest_minute(simulator, login):
    now = simulator.archive.current_time()
    jids = result_jids(search(login(simulator), simulator,
                              search_form(now - 2 * 86400, now)))
    job = next(simulator.archive.job(j) for j in jids
               if simulator.archive.job(j).completion_time % 60)
    minute = job.completion_time - job.completion_time % 60
    http = login(simulator)
    inside = result_jids(search(http, simulator, search_form(minute, minute)))
    assert job.jid in inside
    after = result_jids(search(http, simulator, search_form(minute + 60, minute + 120)))
    assert job.jid not in after
    before = result_jids(search(http, simulator, search_form(minute - 120, minute - 60)))
    assert job.jid not in before


def test_job_search_excludes_private_and_failed_jobs(simulator, login):
    private = next(simulator.archive.job(r.jid) for r in complete_requests(simulator, 'alice')
                   if not simulator.archive.job(r.jid).public)
    t = private.completion_time
    # Seen by its owner's search too: the search is of public jobs only.
    jids = result_jids(search(login(simulator, 'alice'), simulator,
                              search_form(t - 60, t)))
    assert private.jid not in jids
    for jid in jids:
        assert simulator.archive.job(jid).public


@pytest.mark.parametrize('telescope,filter_name', [('6', ''), ('7', ''), ('', 'V'),
                                                   ('6', 'BVR')])
def test_job_search_selectors(simulator, login, telescope, filter_name):
    now = simulator.archive.current_time()
    http = login(simulator)
    everything = result_jids(search(http, simulator, search_form(now - 60 * 86400, now)))
    html = search(http, simulator, search_form(now - 60 * 86400, now, telescope=telescope,
                                               filter_name=filter_name))
    jids = result_jids(html)
    expected = [jid for jid in everything
                if (not telescope or simulator.archive.job(jid).telescope_id == int(telescope))
                and (not filter_name or simulator.archive.job(jid).filter_type == filter_name)]
    assert jids == expected and jids


def test_job_search_results_per_page(simulator, login):
    now = simulator.archive.current_time()
    html = search(login(simulator), simulator,
                  search_form(now - 60 * 86400, now, per_page=5))
    assert len(result_jids(html)) == 5
    everything = search(login(simulator), simulator, search_form(now - 60 * 86400, now))
    assert result_jids(everything)[:5] == result_jids(html)
    assert len(result_jids(everything)) > 5


def test_job_search_rows_other_than_jobs_have_no_jid_links(simulator, login):
    now = simulator.archive.current_time()
    html = search(login(simulator), simulator, search_form(now - 86400, now))
    soup = BeautifulSoup(html, 'html.parser')
    rows = soup.find_all('tr')
    first_links = [tr.find('a') for tr in rows]
    with_jid = [a for a in first_links if a is not None and 'jid' in a.get('href', '')]
    assert len(with_jid) == len(result_jids(html)) == len(rows) - 1  # minus the header


# -- section 2: the request basket ---------------------------------------------------------
def basket_item(**changes):
    item = {'telescopeid': 6, 'telescopetype': 2, 'exposuretime': 30000,
            'filtertype': 'BVR', 'objecttype': 'RADEC', 'objectname': 'M 31 test',
            'objectid': '00:42:44.33 +41:16:07.50', 'usercomments': 'AutoSubmit'}
    item.update(changes)
    return item


def submit(http, sim, api, item):
    assert api(http, sim, 'request-constructor', '0-rb-clear').json()['success']
    answer = api(http, sim, 'request-constructor', '0-rb-set', item).json()
    if not answer['success']:
        return answer
    return api(http, sim, 'request-constructor', '0-rb-submit').json()


def test_basket_submission_joins_the_queue(simulator, login, api, value_rows):
    http = login(simulator)
    before = len(simulator.archive.requests('demo'))
    answer = submit(http, simulator, api, basket_item(objectname='Queued star'))
    assert answer['success'] is True and answer['status']
    rid = int(answer['data']['id'])
    assert len(simulator.archive.requests('demo')) == before + 1
    listed = {r['id']: r for r in list_own(http, simulator, api)['data']['requests']}
    record = listed[str(rid)]
    assert record['status'] == '3' and record['seen'] == '0'
    assert record['objectname'] == 'Queued star'
    assert record['objectid'] == '00:42:44.33 +41:16:07.50'
    assert record['objecttype'] == 'RADEC'
    assert record['usercomments'] == 'AutoSubmit'
    rows = value_rows(view(http, simulator, f'rid={rid}'))
    assert rows['Status'] == 'Waiting' and 'Completion Time' not in rows
    truth = simulator.archive.request('demo', rid)
    assert (truth.telescope_id, truth.filter_type, truth.exposure_ms) == (6, 'BVR', 30000)
    assert truth.ra_deg == pytest.approx(10.684708, abs=1e-5)
    assert truth.dec_deg == pytest.approx(41.26875, abs=1e-5)
    # Not in another user's listing.
    assert str(rid) not in {r['id'] for r in list_own(login(simulator, 'alice'), simulator,
                                                      api)['data']['requests']}


def test_basket_accepts_numbers_as_strings(simulator, login, api):
    answer = submit(login(simulator), simulator, api,
                    basket_item(telescopeid='7', exposuretime='60000', filtertype='Red',
                                objectid='23:59:59.99 -05:00:00.00'))
    assert answer['success'] is True
    truth = simulator.archive.request('demo', int(answer['data']['id']))
    assert (truth.telescope_id, truth.exposure_ms, truth.filter_type) == (7, 60000, 'Red')
    assert truth.dec_deg == pytest.approx(-5.0)


@pytest.mark.parametrize('changes,status', [
    ({'telescopeid': 99}, 'ERR_BAD_TELESCOPE'),
    ({'telescopeid': 'COAST'}, 'ERR_BAD_TELESCOPE'),
    ({'filtertype': 'Colour'}, 'ERR_BAD_FILTER'),
    ({'telescopeid': 7, 'filtertype': 'BVR'}, 'ERR_BAD_FILTER'),
    ({'exposuretime': 0}, 'ERR_BAD_EXPOSURE'),
    ({'exposuretime': -1000}, 'ERR_BAD_EXPOSURE'),
    ({'exposuretime': 180001}, 'ERR_BAD_EXPOSURE'),
    ({'exposuretime': 240000}, 'ERR_BAD_EXPOSURE'),         # "180s is max exp"
    ({'telescopeid': 7, 'filtertype': 'Red', 'exposuretime': 180001}, 'ERR_BAD_EXPOSURE'),
    ({'exposuretime': 'long'}, 'ERR_BAD_EXPOSURE'),
    ({'objectid': '00:42:44 +41:16:07'}, 'ERR_BAD_OBJECTID'),
    ({'objectid': '24:00:00.00 +41:16:07.50'}, 'ERR_BAD_OBJECTID'),
    ({'objectid': '00:42:44.33 +91:00:00.00'}, 'ERR_BAD_OBJECTID'),
    ({'objectid': 'M31'}, 'ERR_BAD_OBJECTID'),
    ({'objectid': '00:42:44.33 41:16:07.50'}, 'ERR_BAD_OBJECTID'),
    ({'objectid': '0:42:44.33 +41:16:07.50'}, 'ERR_BAD_OBJECTID'),
])
def test_basket_refuses_bad_values(simulator, login, api, changes, status):
    http = login(simulator)
    before = len(simulator.archive.requests('demo'))
    answer = api(http, simulator, 'request-constructor', '0-rb-set',
                 basket_item(**changes)).json()
    assert answer['success'] is False
    assert answer['status'] == status
    # Nothing was put in the basket: a submit now finds it empty.
    submitted = api(http, simulator, 'request-constructor', '0-rb-submit').json()
    assert submitted['success'] is False and submitted['status'] == 'ERR_BASKET_EMPTY'
    assert len(simulator.archive.requests('demo')) == before


@pytest.mark.parametrize('telescope,filter_name', [(6, 'BVR'), (7, 'Colour')])
def test_exposure_limit_is_180_seconds(simulator, login, api, telescope, filter_name):
    http = login(simulator)
    at_limit = submit(http, simulator, api, basket_item(
        telescopeid=telescope, filtertype=filter_name, exposuretime=180000))
    assert at_limit['success'] is True
    over = submit(http, simulator, api, basket_item(
        telescopeid=telescope, filtertype=filter_name, exposuretime=180001))
    assert over == {'success': False, 'status': 'ERR_BAD_EXPOSURE', 'data': None}


def test_queue_limit_of_ten(simulator_factory, login, api):
    sim = simulator_factory(requests=60, queue_limits={})    # the site's default: 10
    http = login(sim)
    queued = sim.archive.queued('demo')
    assert queued == 5                     # the generated history leaves room
    made = [submit(http, sim, api, basket_item())['data']['id'] for _ in range(10 - queued)]
    assert len(set(made)) == 10 - queued
    before = len(sim.archive.requests('demo'))
    refused = submit(http, sim, api, basket_item(objectname='Eleventh'))
    assert refused == {'success': False, 'status': 'ERR_QUEUE_FULL', 'data': None}
    assert len(sim.archive.requests('demo')) == before
    # The basket keeps the refused request: once a place is free it goes in.
    sim.set_queue_limit('demo', 11)
    again = api(http, sim, 'request-constructor', '0-rb-submit').json()
    assert again['success'] is True
    assert sim.archive.request('demo', int(again['data']['id'])).object_name == 'Eleventh'
    # Another account has a queue of its own.
    assert submit(login(sim, 'alice'), sim, api, basket_item())['success'] is True
    # Completed requests free the queue.
    sim.complete_queue('demo')
    assert submit(http, sim, api, basket_item())['success'] is True


def test_queue_limit_per_account(simulator_factory, login, api):
    sim = simulator_factory(requests=20, queue_limits={'demo': 40})
    assert sim.archive.queue_limit('demo') == 40 and sim.archive.queue_limit('alice') == 10
    http = login(sim)
    for _ in range(40 - sim.archive.queued('demo')):
        assert submit(http, sim, api, basket_item())['success'] is True
    assert submit(http, sim, api, basket_item())['status'] == 'ERR_QUEUE_FULL'


def test_shared_simulator_has_a_generous_queue_limit(simulator):
    from telescope_query.simulator.pytest_plugin import GENEROUS_QUEUE_LIMIT
    assert simulator.archive.queue_limit('demo') == GENEROUS_QUEUE_LIMIT >= 1000


def test_basket_is_per_session(simulator, login, api):
    first, second = login(simulator), login(simulator)
    assert api(first, simulator, 'request-constructor', '0-rb-set',
               basket_item()).json()['success'] is True
    answer = api(second, simulator, 'request-constructor', '0-rb-submit').json()
    assert answer == {'success': False, 'status': 'ERR_BASKET_EMPTY', 'data': None}
    # And the clear empties it.
    api(first, simulator, 'request-constructor', '0-rb-clear')
    assert api(first, simulator, 'request-constructor',
               '0-rb-submit').json()['status'] == 'ERR_BASKET_EMPTY'


def test_queue_completes_into_jobs_with_images(simulator_factory, login, api, value_rows):
    sim = simulator_factory(requests=20)
    http = login(sim)
    rid = int(submit(http, sim, api, basket_item(objectname='Queued'))['data']['id'])
    south = int(submit(http, sim, api, basket_item(
        objectname='South', objectid='12:00:00.00 -75:00:00.00'))['data']['id'])
    done = dict(sim.complete_queue('demo'))
    assert rid in done and south not in done
    listed = {r['id']: r for r in list_own(http, sim, api)['data']['requests']}
    assert listed[str(rid)]['status'] == '8'
    assert listed[str(south)]['status'] == '25'
    html = view(http, sim, f'rid={rid}')
    assert value_rows(html)['Job ID'] == f'J{done[rid]}'
    assert f'"jid": "{done[rid]}"' in html
    ieid = stage(http, sim, api, done[rid])['data']['ieID']
    assert engine(http, sim, api, '0-is-job-ready', ieid=ieid)['status'] == 'READY'


# -- section 3: the form-based request constructor ----------------------------------------
def ticket_of(html):
    field = BeautifulSoup(html, 'html.parser').find('input', attrs={'name': 'ticket',
                                                                     'type': 'hidden'})
    assert field is not None, html
    return int(field['value'])


FORM_STEPS = [
    {'action': 'main-go-part1'},
    {'action': 'part1-go-radec'},
    {'action': 'part1-radec-save', 'raHours': '20', 'raMins': '42', 'raSecs': '59',
     'raFract': '60', 'decDegrees': '-05', 'decMins': '35', 'decSecs': '10',
     'decFract': '00', 'newObjectName': 'Form star'},
    {'action': 'main-go-part2'},
    {'action': 'part2-save', 'submittype': 'Save', 'newTelescopeSelection': '7'},
    {'action': 'main-go-part3'},
    {'action': 'part3-save', 'submittype': 'Save', 'newExposureTime': '45000',
     'newDarkFrame': '0', 'newFilterSelection': 'Green',
     'newRequestComments': 'Form comment'},
]


def run_form(http, sim, steps):
    answer = http.get(sim.url + '/request-constructor.php?action=new', timeout=30)
    assert answer.status_code == 200
    for step in steps:
        ticket = ticket_of(answer.text)
        answer = http.post(sim.url + '/request-constructor.php', timeout=30,
                           data={'ticket': str(ticket), **step})
        assert answer.status_code == 200
    return answer


def test_form_flow_creates_a_request(simulator, login):
    http = login(simulator)
    before = {r.rid for r in simulator.archive.requests('demo')}
    answer = run_form(http, simulator, FORM_STEPS)
    ticket_of(answer.text)  # still there after part3-save
    done = http.post(simulator.url + '/request-constructor.php', timeout=30,
                     data={'ticket': str(ticket_of(answer.text)), 'action': 'main-submit'})
    assert done.status_code == 200
    new = [r for r in simulator.archive.requests('demo') if r.rid not in before]
    assert len(new) == 1
    req = new[0]
    assert f'R{req.rid}' in done.text
    assert (req.object_type, req.object_id, req.object_name) == (
        'RADEC', '20:42:59.60 -05:35:10.00', 'Form star')
    assert (req.telescope_id, req.exposure_ms, req.filter_type, req.dark_frame) == (
        7, 45000, 'Green', False)
    assert req.comments == 'Form comment' and req.status == 3


def test_form_flow_refuses_bad_values(simulator, login):
    http = login(simulator)
    steps = [dict(step) for step in FORM_STEPS]
    steps[2]['raHours'] = '25'
    before = len(simulator.archive.requests('demo'))
    answer = run_form(http, simulator, steps)
    done = http.post(simulator.url + 'request-constructor.php', timeout=30,
                     data={'ticket': str(ticket_of(answer.text)), 'action': 'main-submit'})
    assert done.status_code == 200
    assert 'Still to be set: object' in done.text
    assert len(simulator.archive.requests('demo')) == before


def test_form_filter_must_be_the_telescopes(simulator, login):
    http = login(simulator)
    steps = [dict(step) for step in FORM_STEPS]
    steps[6]['newFilterSelection'] = 'BVR'  # a COAST filter, PIRATE chosen
    answer = run_form(http, simulator, steps)
    assert 'class="error"' in answer.text
    ticket_of(answer.text)


def test_form_refuses_a_long_exposure(simulator, login):
    http = login(simulator)
    steps = [dict(step) for step in FORM_STEPS]
    steps[6]['newExposureTime'] = '180001'
    answer = run_form(http, simulator, steps)
    assert 'class="error"' in answer.text and '180000' in answer.text
    done = http.post(simulator.url + 'request-constructor.php', timeout=30,
                     data={'ticket': str(ticket_of(answer.text)), 'action': 'main-submit'})
    assert 'Still to be set: exposure' in done.text


def test_form_refuses_a_submission_beyond_the_queue_limit(simulator_factory, login):
    sim = simulator_factory(requests=20, queue_limits={})
    sim.set_queue_limit('demo', sim.archive.queued('demo'))
    http = login(sim)
    before = len(sim.archive.requests('demo'))
    answer = run_form(http, sim, FORM_STEPS)
    done = http.post(sim.url + 'request-constructor.php', timeout=30,
                     data={'ticket': str(ticket_of(answer.text)), 'action': 'main-submit'})
    assert done.status_code == 200 and 'class="error"' in done.text
    assert 'queue is full' in done.text
    assert len(sim.archive.requests('demo')) == before
    # The form is still there: once there is room, the same ticket submits.
    sim.set_queue_limit('demo', sim.archive.queued('demo') + 1)
    done = http.post(sim.url + 'request-constructor.php', timeout=30,
                     data={'ticket': str(ticket_of(done.text)), 'action': 'main-submit'})
    assert len(sim.archive.requests('demo')) == before + 1 and 'submitted' in done.text


def test_form_ticket_of_another_session_is_refused(simulator, login):
    first, second = login(simulator), login(simulator)
    page = first.get(simulator.url + 'request-constructor.php?action=new', timeout=30)
    answer = second.post(simulator.url + 'request-constructor.php', timeout=30,
                         data={'ticket': str(ticket_of(page.text)), 'action': 'main-go-part1'})
    assert answer.status_code == 200
    assert 'name="ticket"' not in answer.text and 'expired' in answer.text


@pytest.mark.parametrize('telescope, name', [(6, 'Clear'), (7, 'HAlpha'), (6, 'Luminance'),
                                             (7, 'SHO')])
def test_the_basket_takes_the_recorded_filters(simulator, login, api, telescope, name):
    http = login(simulator)
    answer = api(http, simulator, 'request-constructor', '0-rb-set', {
        'telescopeid': telescope, 'telescopetype': 2, 'exposuretime': 60000,
        'filtertype': name, 'objecttype': 'RADEC', 'objectname': 'filters',
        'objectid': '07:00:00.00 +31:00:00.00', 'usercomments': ''}).json()
    assert answer['success'] is True, answer
