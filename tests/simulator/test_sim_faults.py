"""Every fault kind and the call counters, over real loopback HTTP."""
from __future__ import annotations

import http.client as http_client
import json
import time
from urllib.parse import urlsplit

import pytest
import requests

from telescope_query.simulator.faults import KINDS, Faults

NOT_LOGGED_IN = {'success': 0, 'status': 'ERR_NOT_LOGGED_IN', 'data': None}


def folders(http, sim, api):
    return api(http, sim, 'request-manager', '0-get-my-folders')


def some_job(sim, user='demo'):
    req = next(r for r in sim.archive.requests(user) if r.status == 8)
    return sim.archive.job(req.jid)


def staged(http, sim, api, kind='cube'):
    """A READY staging of one of demo's jobs: (job, ieid, download URL, size)."""
    job = some_job(sim)
    request_name = '0-create-dl3d' if kind == 'cube' else '0-create-dlzip'
    ieid = api(http, sim, 'image-engine', request_name, {'jid': job.jid}).json()['data']['ieID']
    ready = api(http, sim, 'image-engine', '0-is-job-ready', {'ieid': ieid}).json()
    assert ready['status'] == 'READY'
    size = int(ready['data']['fitssize' if kind == 'cube' else 'fitsbzsize'])
    url = f'{sim.url}v3image-download.php?jid={job.jid}&ieid={ieid}'
    return job, ieid, url, size


def receive(http, url, headers=None):
    """(bytes received, whether the body was cut short, the response), read with
    http.client so that bytes received before a cut are kept."""
    split = urlsplit(url)
    connection = http_client.HTTPConnection(split.hostname, split.port, timeout=30)
    cookie = '; '.join(f'{c.name}={c.value}' for c in http.cookies)
    try:
        connection.request('GET', f'{split.path}?{split.query}',
                           headers={'Cookie': cookie, **(headers or {})})
        answer = connection.getresponse()
        try:
            return answer.read(), False, answer
        except http_client.IncompleteRead as cut:
            return cut.partial, True, answer
    finally:
        connection.close()


# -- arming faults --------------------------------------------------------------------------
def test_every_kind_is_known():
    assert set(KINDS) == {'http_500', 'http_error', 'latency', 'cut_connection',
                          'short_body', 'stall_body', 'corrupt_product', 'expire_session',
                          'never_ready', 'non_json', 'truncated_json', 'login_page',
                          'name_suffix', 'close_unanswered', 'page_cap', 'short_total',
                          'ignore_start', 'echo_form', 'drip', 'slow_headers'}


def test_add_checks_its_arguments():
    faults = Faults()
    with pytest.raises(ValueError, match='unknown fault kind'):
        faults.add('http_404')
    with pytest.raises(TypeError, match='needs'):
        faults.add('latency')
    with pytest.raises(TypeError, match='takes no parameter'):
        faults.add('http_500', ms=3)
    with pytest.raises(ValueError, match='count'):
        faults.add('http_500', count=0)
    fault = faults.add('latency', endpoint='//api-user.php', ms=5, count=None)
    assert fault.endpoint == 'api-user.php' and fault.remaining is None
    assert len(faults) == 1
    faults.clear()
    assert len(faults) == 0 and faults.active() == []


def test_take_uses_counts_and_endpoints():
    faults = Faults()
    faults.add('http_500', endpoint='api-user.php/image-engine/0-is-job-ready', count=2)
    assert faults.take('http_500', ['api-user.php', 'api-user.php/x/y']) is None
    keys = ['api-user.php', 'api-user.php/image-engine/0-is-job-ready']
    assert faults.take('http_500', keys) is not None
    assert faults.take('http_500', keys) is not None
    assert faults.take('http_500', keys) is None
    faults.add('never_ready', jid=5, count=None)
    assert faults.take('never_ready', ['x'], jid=6) is None
    assert faults.take('never_ready', ['x'], jid=5) is not None
    assert faults.take('never_ready', ['x'], jid=5) is not None  # until cleared


# -- http_500 -------------------------------------------------------------------------------
def test_http_500_for_the_next_n_calls_of_one_endpoint(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('http_500', endpoint='api-user.php', count=2)
    job = some_job(simulator)
    # Another endpoint is not affected.
    view = http.post(simulator.url + f'v4request-view.php?jid={job.jid}', timeout=30)
    assert view.status_code == 200
    assert [folders(http, simulator, api).status_code for _ in range(3)] == [500, 500, 200]


def test_http_500_on_one_api_request(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('http_500', endpoint='api-user.php/request-manager/1-get-list-own',
                         count=None)
    assert folders(http, simulator, api).status_code == 200
    for _ in range(3):
        assert api(http, simulator, 'request-manager', '1-get-list-own').status_code == 500
    simulator.faults.clear()
    assert api(http, simulator, 'request-manager', '1-get-list-own').status_code == 200


def test_http_500_on_every_endpoint(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('http_500', count=2)
    assert requests.get(simulator.url + 'login.php', timeout=30).status_code == 500
    assert folders(http, simulator, api).status_code == 500
    assert folders(http, simulator, api).status_code == 200


BASKET = {'telescopeid': 6, 'telescopetype': 2, 'exposuretime': 30000, 'filtertype': 'V',
          'objecttype': 'RADEC', 'objectname': 'Fault test',
          'objectid': '05:35:17.30 -05:23:28.00', 'usercomments': 'fault'}
SUBMIT = 'api-user.php/request-constructor/0-rb-submit'


def test_http_500_on_submit_fires_before_the_request_is_made(simulator, login, api):
    http = login(simulator)
    before = len(simulator.archive.requests('demo'))
    api(http, simulator, 'request-constructor', '0-rb-set', BASKET)
    simulator.faults.add('http_500', endpoint=SUBMIT)
    assert api(http, simulator, 'request-constructor', '0-rb-submit').status_code == 500
    assert len(simulator.archive.requests('demo')) == before
    # The basket is untouched: submitting again makes the request once.
    answer = api(http, simulator, 'request-constructor', '0-rb-submit').json()
    assert answer['success'] is True
    assert len(simulator.archive.requests('demo')) == before + 1


def test_http_500_after_submit_fires_once_the_request_is_made(simulator, login, api):
    http = login(simulator)
    before = {r.rid for r in simulator.archive.requests('demo')}
    api(http, simulator, 'request-constructor', '0-rb-set', BASKET)
    simulator.faults.add('http_500', endpoint=SUBMIT, after=True)
    assert api(http, simulator, 'request-constructor', '0-rb-submit').status_code == 500
    made = [r for r in simulator.archive.requests('demo') if r.rid not in before]
    assert len(made) == 1 and made[0].object_name == 'Fault test' and made[0].status == 3
    # A client that looks in the queue finds it.
    listing = api(http, simulator, 'request-manager', '1-get-list-own',
                  {'limit': 5, 'sort': 'rid', 'folderid': 1}).json()
    assert listing['data']['requests'][0]['id'] == str(made[0].rid)


@pytest.mark.parametrize('status', [502, 503, 504])
@pytest.mark.parametrize('after', [False, True])
def test_http_error_with_a_gateway_status(simulator, login, api, status, after):
    http = login(simulator)
    before = {r.rid for r in simulator.archive.requests('demo')}
    api(http, simulator, 'request-constructor', '0-rb-set', BASKET)
    simulator.faults.add('http_error', endpoint=SUBMIT, status=status, after=after)
    answer = api(http, simulator, 'request-constructor', '0-rb-submit')
    assert answer.status_code == status and str(status) in answer.text
    made = [r for r in simulator.archive.requests('demo') if r.rid not in before]
    assert len(made) == (1 if after else 0)


def test_stall_body_sends_the_headers_then_stalls(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('stall_body', endpoint='api-user.php', after_bytes=3, ms=1500)
    data = {'module': 'request-manager', 'request': '0-get-my-folders'}
    # The headers come at once: only the body's read runs out of time.
    with pytest.raises(requests.ConnectionError, match='Read timed out'):
        http.post(simulator.url + 'api-user.php', data=data, timeout=0.5)
    answer = http.post(simulator.url + 'api-user.php', data=data, stream=True, timeout=5)
    assert answer.status_code == 200 and answer.json()['success']    # once only


def test_stall_body_answer_arrives_whole_after_the_pause(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('stall_body', endpoint='api-user.php', ms=50)
    assert folders(http, simulator, api).json()['success']


def test_name_suffix_on_a_new_request(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('name_suffix', count=1)
    api(http, simulator, 'request-constructor', '0-rb-set', BASKET)
    rid = int(api(http, simulator, 'request-constructor', '0-rb-submit').json()['data']['id'])
    assert simulator.archive.request('demo', rid).object_name == 'Fault test_M'
    listing = api(http, simulator, 'request-manager', '1-get-list-own',
                  {'limit': 1, 'sort': 'rid', 'folderid': 1}).json()
    assert listing['data']['requests'][0]['objectname'] == 'Fault test_M'
    # Used up: the next request keeps its name.
    api(http, simulator, 'request-constructor', '0-rb-set', BASKET)
    rid = int(api(http, simulator, 'request-constructor', '0-rb-submit').json()['data']['id'])
    assert simulator.archive.request('demo', rid).object_name == 'Fault test'


# -- latency --------------------------------------------------------------------------------
def test_latency_fault_delays_matching_calls(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('latency', endpoint='api-user.php', ms=300)
    start = time.perf_counter()
    assert folders(http, simulator, api).status_code == 200
    slow = time.perf_counter() - start
    start = time.perf_counter()
    folders(http, simulator, api)
    fast = time.perf_counter() - start
    assert slow >= 0.3 and fast < slow


def test_latency_until_cleared_adds_up_with_latency_ms(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('latency', ms=150, count=None)
    simulator.faults.add('latency', endpoint='api-user.php', ms=100, count=None)
    simulator.latency_ms = 50
    for _ in range(2):
        start = time.perf_counter()
        folders(http, simulator, api)
        assert time.perf_counter() - start >= 0.3
    assert len(simulator.faults) == 2


def test_latency_ms_adds_to_every_call(simulator, login, api):
    http = login(simulator)
    simulator.latency_ms = 250
    start = time.perf_counter()
    http.post(simulator.url + 'v4request-view.php?rid=1', timeout=30)
    assert time.perf_counter() - start >= 0.25
    simulator.latency_ms = 0
    start = time.perf_counter()
    http.post(simulator.url + 'v4request-view.php?rid=1', timeout=30)
    assert time.perf_counter() - start < 0.25


# -- cut_connection / short_body / corrupt_product -----------------------------------------
def test_cut_connection_after_k_bytes(simulator, login, api):
    http = login(simulator)
    job, ieid, url, size = staged(http, simulator, api)
    simulator.faults.add('cut_connection', endpoint='v3image-download.php', after_bytes=1000)
    body, cut, answer = receive(http, url)
    assert answer.getheader('Content-Length') == str(size)
    assert cut is True
    assert body == simulator.products.path(job, 'cube').read_bytes()[:1000]
    body, cut, _ = receive(http, url)  # count=1: the next download is whole
    assert cut is False and len(body) == size


def test_cut_connection_at_zero_bytes(simulator, login, api):
    http = login(simulator)
    job, ieid, url, size = staged(http, simulator, api, 'zip')
    simulator.faults.add('cut_connection', endpoint='v3image-download.php', after_bytes=0)
    body, cut, answer = receive(http, url)
    assert answer.status == 200 and body == b'' and cut is True


def test_short_body(simulator, login, api):
    http = login(simulator)
    job, ieid, url, size = staged(http, simulator, api, 'zip')
    simulator.faults.add('short_body', endpoint='v3image-download.php', missing_bytes=10)
    body, cut, answer = receive(http, url)
    assert answer.getheader('Content-Length') == str(size)
    assert len(body) == size - 10 and cut is True


def test_short_body_of_an_api_answer(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('short_body', endpoint='api-user.php')
    with pytest.raises(requests.exceptions.RequestException):
        folders(http, simulator, api)


def test_corrupt_product_keeps_the_size(simulator, login, api):
    http = login(simulator)
    job, ieid, url, size = staged(http, simulator, api)
    truth = simulator.products.path(job, 'cube').read_bytes()
    simulator.faults.add('corrupt_product', offset=2880, nbytes=16)
    body, cut, answer = receive(http, url)
    assert cut is False and len(body) == size == len(truth)
    differ = [i for i in range(size) if body[i] != truth[i]]
    assert differ == list(range(2880, 2896))
    # Default: the start of the file, so the product no longer opens.
    simulator.faults.add('corrupt_product')
    body, _, _ = receive(http, url)
    assert len(body) == size and body[:6] != b'SIMPLE'
    body, _, _ = receive(http, url)
    assert body == truth


def test_corrupt_product_with_a_range(simulator, login, api):
    http = login(simulator)
    job, ieid, url, size = staged(http, simulator, api, 'zip')
    truth = simulator.products.path(job, 'zip').read_bytes()
    simulator.faults.add('corrupt_product', offset=100, nbytes=4)
    body, cut, answer = receive(http, url, headers={'Range': 'bytes=90-'})
    assert answer.status == 206 and cut is False
    assert body[:10] == truth[90:100] and body[14:] == truth[104:]
    assert body[10:14] == bytes(b ^ 0xFF for b in truth[100:104])


def test_corrupt_product_only_on_downloads(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('corrupt_product')
    assert folders(http, simulator, api).json()['success'] == 1
    assert len(simulator.faults) == 1


# -- expire_session -------------------------------------------------------------------------
def test_expire_session_after_n_calls(simulator, login, api, is_login_form):
    http = login(simulator)
    simulator.faults.add('expire_session', after_calls=2)
    assert folders(http, simulator, api).json()['success'] == 1
    page = http.post(simulator.url + 'v4request-view.php?rid=1', timeout=30)
    assert not is_login_form(page.text)
    assert folders(http, simulator, api).json() == NOT_LOGGED_IN
    # The session is gone for good, and logging in again works.
    assert is_login_form(http.post(simulator.url + 'v4request-view.php?rid=1',
                                   timeout=30).text)
    http = login(simulator)
    assert folders(http, simulator, api).json()['success'] == 1


def test_expire_session_at_once_on_a_page(simulator, login, is_login_form):
    http = login(simulator)
    simulator.faults.add('expire_session', endpoint='v4request-view.php')
    assert is_login_form(http.post(simulator.url + 'v4request-view.php?rid=1',
                                   timeout=30).text)


def test_unauthenticated_calls_do_not_count_towards_expiry(simulator, login, api):
    simulator.faults.add('expire_session', after_calls=1)
    requests.post(simulator.url + 'api-user.php', timeout=30,
                  data={'module': 'request-manager', 'request': '0-get-my-folders'})
    http = login(simulator)  # login.php is not an authenticated call either
    assert folders(http, simulator, api).json()['success'] == 1
    assert folders(http, simulator, api).json() == NOT_LOGGED_IN


# -- never_ready ----------------------------------------------------------------------------
def test_never_ready(simulator, login, api):
    http = login(simulator)
    job = some_job(simulator)
    ieid = api(http, simulator, 'image-engine', '0-create-dl3d',
               {'jid': job.jid}).json()['data']['ieID']
    simulator.faults.add('never_ready', count=None)
    for _ in range(3):
        poll = api(http, simulator, 'image-engine', '0-is-job-ready', {'ieid': ieid}).json()
        assert poll == {'success': 1, 'status': 'PROCESSING', 'data': None}
    download = http.get(f'{simulator.url}v3image-download.php?jid={job.jid}&ieid={ieid}',
                        timeout=30)
    assert download.status_code == 200  # the fault holds back polls only
    simulator.faults.clear()
    poll = api(http, simulator, 'image-engine', '0-is-job-ready', {'ieid': ieid}).json()
    assert poll['status'] == 'READY'


def test_never_ready_for_one_job(simulator, login, api):
    http = login(simulator)
    jids = dict.fromkeys(r.jid for r in simulator.archive.requests('demo') if r.status == 8)
    jobs = [simulator.archive.job(jid) for jid in list(jids)[:2]]   # two distinct jobs
    simulator.faults.add('never_ready', jid=jobs[0].jid, count=None)
    statuses = []
    for job in jobs:
        ieid = api(http, simulator, 'image-engine', '0-create-dlzip',
                   {'jid': job.jid}).json()['data']['ieID']
        statuses.append(api(http, simulator, 'image-engine', '0-is-job-ready',
                            {'ieid': ieid}).json()['status'])
    assert statuses == ['PROCESSING', 'READY']


def test_never_ready_on_the_processed_page(simulator, login):
    http = login(simulator)
    job = some_job(simulator)
    simulator.faults.add('never_ready', jid=job.jid, count=2)
    url = f'{simulator.url}imageengine-request.php?jid={job.jid}&type=3'
    pages = [http.get(url, timeout=30).text for _ in range(3)]
    assert ['<iframe' in page for page in pages] == [False, False, True]


# -- page_cap / short_total / ignore_start: listings that page otherwise --------------------
LIST_OWN = 'api-user.php/request-manager/1-get-list-own'


def listing(http, sim, api, **params):
    data = api(http, sim, 'request-manager', '1-get-list-own',
               {'limit': 100000, 'sort': 'rid', 'folderid': 1, **params}).json()['data']
    return int(data['totalRequests']), [int(r['id']) for r in data['requests']]


def test_page_cap_limits_every_page(simulator, login, api):
    http = login(simulator)
    total, whole = listing(http, simulator, api)
    simulator.faults.add('page_cap', endpoint=LIST_OWN, rows=7, count=2)
    assert listing(http, simulator, api) == (total, whole[:7])
    assert listing(http, simulator, api, startAfterRow=7) == (total, whole[7:14])
    assert listing(http, simulator, api) == (total, whole)         # used up


def test_short_total_counts_more_than_is_sent(simulator, login, api):
    http = login(simulator)
    total, whole = listing(http, simulator, api)
    simulator.faults.add('short_total', endpoint=LIST_OWN, missing=5, count=None)
    assert listing(http, simulator, api) == (total + 5, whole)
    assert listing(http, simulator, api, startAfterRow=total) == (total + 5, [])


def test_ignore_start_sends_the_first_page_again(simulator, login, api):
    http = login(simulator)
    total, whole = listing(http, simulator, api)
    simulator.faults.add('ignore_start', count=1)
    assert listing(http, simulator, api, startAfterRow=10, limit=5) == (total, whole[:5])
    assert listing(http, simulator, api, startAfterRow=10, limit=5) == (total, whole[10:15])


# -- non_json / truncated_json / login_page --------------------------------------------------
def test_non_json(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('non_json')
    answer = folders(http, simulator, api)
    assert answer.status_code == 200
    assert answer.headers['Content-Type'].startswith('text/html')
    with pytest.raises(ValueError):
        json.loads(answer.text)
    assert folders(http, simulator, api).json()['success'] == 1


def test_truncated_json(simulator, login, api):
    http = login(simulator)
    simulator.faults.add('truncated_json', endpoint='api-user.php/request-manager/'
                                                  '0-get-my-folders')
    answer = folders(http, simulator, api)
    whole = folders(http, simulator, api).text
    assert answer.status_code == 200 and whole.startswith(answer.text)
    assert 0 < len(answer.text) < len(whole)
    with pytest.raises(ValueError):
        json.loads(answer.text)


def test_json_faults_only_on_the_api(simulator, login, value_rows):
    http = login(simulator)
    simulator.faults.add('non_json')
    job = some_job(simulator)
    page = http.post(f'{simulator.url}v4request-view.php?jid={job.jid}', timeout=30)
    assert value_rows(page.text)['Status'] == 'Success'
    assert len(simulator.faults) == 1


def test_login_page_instead_of_a_view(simulator, login, api, is_login_form, value_rows):
    http = login(simulator)
    job = some_job(simulator)
    simulator.faults.add('login_page', endpoint='v4request-view.php')
    url = f'{simulator.url}v4request-view.php?jid={job.jid}'
    assert folders(http, simulator, api).json()['success'] == 1  # the API is untouched
    assert is_login_form(http.post(url, timeout=30).text)
    # The session itself is still valid.
    assert value_rows(http.post(url, timeout=30).text)['Status'] == 'Success'


def test_login_page_on_any_page(simulator, login, is_login_form):
    http = login(simulator)
    simulator.faults.add('login_page', count=3)
    job = some_job(simulator)
    for answer in (
            http.post(simulator.url + 'v3job-search-query.php', timeout=30),
            http.get(f'{simulator.url}imageengine-request.php?jid={job.jid}&type=1',
                     timeout=30),
            http.get(simulator.url + 'request-constructor.php?action=new', timeout=30)):
        assert is_login_form(answer.text)
    assert len(simulator.faults) == 0


# -- Retry-After, echo_form, drip, slow_headers ---------------------------------------------------
@pytest.mark.parametrize('retry_after, header', [(3600, '3600'), (None, None)])
def test_a_503_says_when_to_come_back(simulator, login, api, retry_after, header):
    http = login(simulator)
    simulator.faults.add('http_error', endpoint='api-user.php', status=503,
                         retry_after=retry_after)
    answer = folders(http, simulator, api)
    assert answer.status_code == 503 and answer.headers.get('Retry-After') == header
    assert folders(http, simulator, api).status_code == 200


def test_echo_form_quotes_every_field_sent(simulator):
    simulator.faults.add('echo_form', endpoint='login.php', status=502)
    answer = requests.post(simulator.url + 'login.php', timeout=30, data={
        'action': 'login', 'username': 'alice', 'password': 'alice-Secret-42'})
    assert answer.status_code == 502 and 'Set-Cookie' not in answer.headers
    assert '[username] =&gt; alice' in answer.text
    assert '[password] =&gt; alice-Secret-42' in answer.text


def test_drip_sends_the_whole_body_in_pieces(simulator, login, api):
    http = login(simulator)
    whole = folders(http, simulator, api).content
    simulator.faults.add('drip', endpoint='api-user.php', nbytes=128, interval_ms=20)
    pieces = []
    with http.post(simulator.url + 'api-user.php', stream=True, timeout=30, data={
            'module': 'request-manager', 'request': '0-get-my-folders'}) as answer:
        for _ in range(len(whole) + 1):     # ends: at the end of the body
            pieces.append(answer.raw.read1(1 << 16))
            if not pieces[-1]:
                break
    assert b''.join(pieces) == whole
    assert len([p for p in pieces if p]) >= 2        # not all at once


def test_slow_headers_never_finish_and_close_in_the_end(simulator):
    import socket
    simulator.faults.add('slow_headers', endpoint='login.php', interval_ms=1, seconds=0.2)
    split = urlsplit(simulator.url)
    received = b''
    with socket.create_connection((split.hostname, split.port), timeout=10) as raw:
        raw.sendall(b'GET /login.php HTTP/1.1\r\nHost: x\r\n\r\n')
        for _ in range(100_000):        # ends: the server closes after 0.2 s
            piece = raw.recv(1024)
            if not piece:
                break
            received += piece
    assert received.startswith(b'HTTP/1.1 200 OK\r\nX-Slow: ')
    assert b'\r\n\r\n' not in received           # the headers never end


# -- the archive's identity ----------------------------------------------------------------
def test_login_answer_names_the_archive(simulator, simulator_factory):
    other = simulator_factory()
    ids = []
    for sim in (simulator, other):
        answer = requests.post(sim.url + 'login.php', timeout=30, data={
            'action': 'login', 'username': 'demo', 'password': 'demo'})
        ids.append(answer.headers['X-Archive-Id'])
        assert ids[-1] == sim.archive_id
    assert ids[0] != ids[1]


# -- counters -------------------------------------------------------------------------------
def test_counters(simulator, login, api):
    http = login(simulator)
    folders(http, simulator, api)
    for _ in range(2):
        api(http, simulator, 'request-manager', '1-get-list-own', {'limit': 1})
    http.post(simulator.url + '/v4request-view.php?rid=1', timeout=30)
    counters = simulator.counters
    assert counters['login.php'] == 1
    assert counters['api-user.php'] == 3
    assert counters['api-user.php/request-manager/1-get-list-own'] == 2
    assert counters['api-user.php/request-manager/0-get-my-folders'] == 1
    assert counters['v4request-view.php'] == 1
    assert counters['v3image-download.php'] == 0
    assert counters.total() == 5
    snapshot = counters.snapshot()
    assert snapshot['api-user.php'] == 3 and 'v3image-download.php' not in snapshot
    counters.reset()
    assert counters.total() == 0 and counters['api-user.php'] == 0
    assert snapshot['api-user.php'] == 3  # a snapshot is a copy


def test_counters_keep_the_headers_of_the_last_call(simulator, login, api):
    http = login(simulator)
    http.headers['User-Agent'] = 'first/1'
    folders(http, simulator, api)
    http.headers['User-Agent'] = 'second/2'
    api(http, simulator, 'request-manager', '1-get-list-own', {'limit': 1})
    counters = simulator.counters
    assert counters.headers('api-user.php')['User-Agent'] == 'second/2'
    assert counters.headers('api-user.php/request-manager/0-get-my-folders')['User-Agent'] \
        == 'first/1'
    assert counters.headers('v3image-download.php') == {}
    counters.reset()
    assert counters.headers('api-user.php') == {}


def test_counters_count_failed_and_unauthenticated_calls(simulator, api):
    simulator.faults.add('http_500', endpoint='v4request-view.php')
    requests.post(simulator.url + 'v4request-view.php?rid=1', timeout=30)
    api(requests.Session(), simulator, 'image-engine', '0-is-job-ready')
    requests.get(simulator.url + 'nothing.php', timeout=30)
    assert simulator.counters['v4request-view.php'] == 1
    assert simulator.counters['api-user.php/image-engine/0-is-job-ready'] == 1
    assert simulator.counters['nothing.php'] == 1
    assert simulator.counters.total() == 3


def test_fixture_starts_clean(simulator):
    # Faults, counters and delays of earlier tests are gone.
    assert len(simulator.faults) == 0
    assert simulator.counters.total() == 0
    assert simulator.staging_seconds == 0 and simulator.latency_ms == 0


def test_stall_body_still_saving_handles_the_call_after_the_pause(simulator, login, api):
    http = login(simulator)
    api(http, simulator, 'request-constructor', '0-rb-set', dict(BASKET, objectname='Saving'))
    simulator.faults.add('stall_body', endpoint=SUBMIT, ms=600, still_saving=True)
    data = {'module': 'request-constructor', 'request': '0-rb-submit'}
    with pytest.raises(requests.ConnectionError, match='Read timed out'):
        http.post(simulator.url + 'api-user.php', data=data, timeout=0.2)
    assert not [r for r in simulator.archive.requests('demo') if r.object_name == 'Saving']
    saved = simulator.archive.wait_for_requests(      # the site is still saving it
        'demo', lambda r: r.object_name == 'Saving')
    assert len(saved) == 1


def test_a_fault_on_one_step_of_the_form_flow(simulator, login):
    http = login(simulator)
    simulator.faults.add('http_error', endpoint='request-constructor.php/main-submit',
                         status=504)
    page = http.get(simulator.url + 'request-constructor.php', params={'action': 'new'})
    assert page.status_code == 200         # another step: untouched
    answer = http.post(simulator.url + 'request-constructor.php',
                       data={'ticket': '0', 'action': 'main-submit'})
    assert answer.status_code == 504


@pytest.mark.parametrize('after, made', [(False, 0), (True, 1)])
def test_close_unanswered_closes_before_the_status_line(simulator, login, api, after, made):
    http = login(simulator)
    name = f'Unanswered {after}'
    api(http, simulator, 'request-constructor', '0-rb-set', dict(BASKET, objectname=name))
    simulator.faults.add('close_unanswered', endpoint=SUBMIT, after=after)
    with pytest.raises(requests.ConnectionError, match='Connection aborted'):
        api(http, simulator, 'request-constructor', '0-rb-submit')
    assert len([r for r in simulator.archive.requests('demo') if r.object_name == name]) == made
    assert api(http, simulator, 'request-constructor', '0-rb-clear').status_code == 200
