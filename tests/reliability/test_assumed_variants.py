"""What PROTOCOL.md marks [assumed], answered otherwise, through the whole client.

The simulator implements every [assumed] fact one way; the live site may
behave differently. A `HostileProxy` in front of the simulator rewrites its
answers into such variants (a wrong password refused with HTTP 401, an
expired session answered with a redirect, request records without their
optional fields, an unknown job rendered as an error text, zip members in a
folder, a cube without EXPTIME, a flat-field control of another shape, a
basket that refuses the ``darkframe`` key...). Each test checks that the
public API gives the correct (possibly degraded) result or a named error with
a clear message: never a KeyError/TypeError/IndexError from inside.

The same variants, fed to the pure parsers, are in ``tests/protocol/test_assumed_facts.py``.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timedelta, timezone
from typing import Callable

import numpy as np
import pytest
from astropy.io import fits
from werkzeug.wrappers import Response

from telescope_query import TelescopeClass, conf
from telescope_query.exceptions import (LoginError, NoSuchJobError, NoSuchRequestError,
                                        RemoteServiceError, SubmissionError)

from telescope_query.simulator.model import FILTER_PLANES

from helpers import PASSWORDS, HostileProxy, cache_problems, demo_jids, unique

API = 'api-user.php'
VIEW = 'v4request-view.php'
SEARCH = 'v3job-search-query.php'
DOWNLOAD = 'v3image-download.php'
LOGIN = 'login.php'
ODD_LOGIN_PAGE = ('<html><body><h1>Sign in</h1><form action="auth.php" method="post">'
                  '<input name="user"><input type="password" name="pass"></form></body></html>')

Rewrite = Callable[..., 'Response | None']


def proxied(hostile_proxy, rewrite: Rewrite) -> HostileProxy:
    """A proxy whose answers ``rewrite(request, status, headers, body)`` may replace
    (it returns None to pass the simulator's answer on). The simulator is always
    asked first, so the request body is forwarded before a handler reads the form."""
    def handler(request, forward):
        status, headers, body = forward()
        if request.method == 'POST' and request.path.endswith(LOGIN):
            proxy.logins += 1
        replaced = rewrite(request, status, headers, body)
        return replaced if replaced is not None else HostileProxy.respond(status, headers,
                                                                          body)
    proxy = hostile_proxy(handler)
    proxy.logins = 0        # login forms sent (POST login.php)
    return proxy


def html(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype='text/html')


def as_json(value) -> Response:
    return Response(json.dumps(value), mimetype='application/json')


def redirect_to_login() -> Response:
    return Response('', status=302, headers=[('Location', '/login.php?return=x')])


def api_request(request) -> str | None:
    return request.form.get('request') if request.path.endswith(API) else None


def is_logged_out_json(body: bytes) -> bool:
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get('status') == 'ERR_NOT_LOGGED_IN'


def is_login_page(body: bytes) -> bool:
    return b'name="username"' in body and b'name="password"' in body


# --- section 1: a wrong password [assumed: 200 with an HTML page] -----------------------

WRONG_PASSWORD_VARIANTS = {
    'login 401': lambda r, s, h, b: (html('Unauthorized', 401) if r.path.endswith(LOGIN)
                                     and is_login_page(b) else None),
    'login 403': lambda r, s, h, b: (html('<h1>Forbidden</h1>', 403)
                                     if r.path.endswith(LOGIN) and is_login_page(b) else None),
    'login redirects home': lambda r, s, h, b: (
        Response('', status=302, headers=[('Location', '/index.php')])
        if r.path.endswith(LOGIN) and r.method == 'POST' and is_login_page(b) else None),
    'api 403': lambda r, s, h, b: (html('Forbidden', 403) if api_request(r)
                                   and is_logged_out_json(b) else None),
    'api 401': lambda r, s, h, b: (html('Unauthorized', 401) if api_request(r)
                                   and is_logged_out_json(b) else None),
    'api other status': lambda r, s, h, b: (
        as_json({'success': False, 'status': 'ERR_AUTH_FAILED', 'data': None})
        if api_request(r) and is_logged_out_json(b) else None),
    'api redirect to login': lambda r, s, h, b: (
        redirect_to_login() if api_request(r) and is_logged_out_json(b) else
        html(ODD_LOGIN_PAGE) if r.path.endswith(LOGIN) and r.method == 'GET' else None),
}


@pytest.mark.parametrize('variant', list(WRONG_PASSWORD_VARIANTS))
def test_wrong_password_answered_otherwise_is_a_login_error(variant, simulator, hostile_proxy,
                                                            tmp_path):
    """However the site refuses a wrong password, login raises LoginError saying
    so (never a RemoteServiceError about HTTP 401, or a crash), the password is
    not in the message, and the right password still logs in."""
    proxied(hostile_proxy, WRONG_PASSWORD_VARIANTS[variant])
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    with pytest.raises(LoginError) as caught:
        client.login('demo', password='not-the-Password-9')
    message = str(caught.value)
    assert "'demo'" in message and 'not-the-Password-9' not in message
    assert re.search(r'refused|did not accept', message), message
    assert not client._authenticated
    assert client.login('demo', password=PASSWORDS['demo']) is True
    assert len(client.get_folders()) >= 4
    client._session.close()


def test_api_answering_a_plain_page_at_login_is_a_named_error(simulator, hostile_proxy, tmp_path):
    """A non-JSON page that is no login form (PROTOCOL.md: any non-JSON answer
    is an error the client can name): RemoteServiceError naming the call."""
    proxied(hostile_proxy, lambda r, s, h, b: (
        html('<p>Please log in first.</p>') if api_request(r) and is_logged_out_json(b)
        else None))
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    with pytest.raises(RemoteServiceError, match='0-get-my-folders.*expected a JSON answer'):
        client.login('demo', password='wrong')


# --- section 1: an expired session [assumed: JSON ERR_NOT_LOGGED_IN, or the login form] --

def _expired(kind: str) -> Rewrite:
    """Rewrite the simulator's "not logged in" answers into ``kind``."""
    def rewrite(request, status, headers, body):
        if request.path.endswith(LOGIN):
            return html(ODD_LOGIN_PAGE) if request.method == 'GET' else None
        api = api_request(request) is not None
        if api and is_logged_out_json(body):
            return {'api 401': html('Unauthorized', 401), 'api 403': html('Forbidden', 403),
                    'api NOT_LOGGED_IN': as_json({'success': False, 'status': 'NOT_LOGGED_IN'}),
                    'api ERR_LOGIN_REQUIRED': as_json({'success': 0,
                                                       'status': 'ERR_LOGIN_REQUIRED',
                                                       'data': []}),
                    'api redirect': redirect_to_login()}.get(kind)
        if not api and is_login_page(body):
            return {'page 401': html('Unauthorized', 401), 'page 403': html('Forbidden', 403),
                    'page redirect': redirect_to_login()}.get(kind)
        return None
    return rewrite


@pytest.mark.parametrize('kind', ['api 401', 'api 403', 'api NOT_LOGGED_IN',
                                  'api ERR_LOGIN_REQUIRED', 'api redirect'])
def test_expired_session_said_otherwise_by_the_api_is_renewed(kind, simulator, hostile_proxy,
                                                              tmp_path, make_client):
    """An expired session that api-user.php reports with HTTP 401/403, another
    status word or a redirect to the login page: renewed once, the call answered."""
    proxy = proxied(hostile_proxy, _expired(kind))
    client = make_client()
    logins = proxy.logins
    simulator.faults.add('expire_session', endpoint=API, count=1)
    assert len(client.get_folders()) >= 4
    assert proxy.logins == logins + 1


@pytest.mark.parametrize('kind', ['page 401', 'page 403', 'page redirect'])
def test_expired_session_said_otherwise_by_a_page_is_renewed(kind, simulator, hostile_proxy,
                                                             tmp_path, make_client):
    """A view that answers HTTP 401/403, or redirects to a login page whose form
    does not look like the simulator's: renewed once, the view read."""
    proxy = proxied(hostile_proxy, _expired(kind))
    client = make_client()
    jid = demo_jids(simulator)[40]
    logins = proxy.logins
    simulator.faults.add('expire_session', endpoint=VIEW, count=1)
    table = client.get_job_details(jid)
    assert list(table['jid']) == [jid] and table['success'][0]
    assert proxy.logins == logins + 1


@pytest.mark.parametrize('status', [401, 403])
def test_page_refused_even_after_a_new_login_is_a_clear_login_error(status, simulator,
                                                                    hostile_proxy, tmp_path,
                                                                    make_client):
    """A page that keeps answering 401/403: one renewal, then LoginError naming
    the HTTP status and both causes; never a loop of logins."""
    jid = demo_jids(simulator)[41]
    proxy = proxied(hostile_proxy, lambda r, s, h, b: (
        html('Forbidden', status) if r.path.endswith(VIEW) and r.args.get('jid') == str(jid)
        else None))
    client = make_client()
    logins = proxy.logins
    with pytest.raises(LoginError, match=f'HTTP {status}.*not open to this account'):
        client.get_job_details(jid)
    assert proxy.logins == logins + 1


@pytest.mark.parametrize('kind', ['HTTP 401', 'HTTP 403', 'redirect'])
def test_expired_session_said_otherwise_by_a_download_is_renewed(kind, simulator, hostile_proxy,
                                                                 tmp_path, make_client):
    """A product download that answers 401/403 or redirects to the login page
    when the session has ended: renewed, and the product arrives intact."""
    def rewrite(request, status, headers, body):
        if request.path.endswith(LOGIN) and request.method == 'GET':
            return html(ODD_LOGIN_PAGE)
        if request.path.endswith(DOWNLOAD) and is_login_page(body):
            return (redirect_to_login() if kind == 'redirect'
                    else html('No', int(kind.split()[1])))
        return None

    proxy = proxied(hostile_proxy, rewrite)
    client = make_client()
    jid = demo_jids(simulator)[46]
    logins = proxy.logins
    simulator.faults.add('expire_session', endpoint=DOWNLOAD, count=1)
    (hdul,) = client.get_images(jid, show_progress=False)
    with hdul:
        assert np.ndim(hdul[0].data) == 3
    assert proxy.logins == logins + 1
    assert not cache_problems(client.cache_location)


def test_download_refused_for_good_is_a_clear_download_error(simulator, hostile_proxy, tmp_path,
                                                             make_client):
    """A download that answers 403 whatever the session: a DownloadError naming
    HTTP 403 (after a few renewals of the session, no loop), nothing cached."""
    proxied(hostile_proxy, lambda r, s, h, b: (html('Forbidden', 403)
                                                if r.path.endswith(DOWNLOAD) else None))
    client = make_client()
    jid = demo_jids(simulator)[47]
    manifest = client.download_data(jid, path=tmp_path / 'files', show_progress=False)
    assert list(manifest['status']) == ['ERROR']
    assert 'DownloadError' in manifest['message'][0] and 'HTTP 403' in manifest['message'][0]
    assert not cache_problems(client.cache_location)
    assert not list(client.cache_location.rglob(f'{jid}.fits'))


# --- section 1: logout.php [assumed] -----------------------------------------------------

LOGOUT_VARIANTS = {
    'missing (404)': lambda r, s, h, b: html('Not Found', 404) if 'logout' in r.path else None,
    'server error': lambda r, s, h, b: html('Oops', 500) if 'logout' in r.path else None,
    'redirect home': lambda r, s, h, b: (Response('', status=302,
                                                  headers=[('Location', '/index.php')])
                                         if 'logout' in r.path else None),
    'JSON': lambda r, s, h, b: as_json({'success': 1}) if 'logout' in r.path else None,
}


@pytest.mark.parametrize('variant', list(LOGOUT_VARIANTS))
def test_logout_answered_otherwise(variant, simulator, hostile_proxy, tmp_path, astroquery_log,
                                   make_client):
    """logout.php missing or answering anything: the local session is dropped
    (a warning when the site did not confirm), never an exception."""
    proxied(hostile_proxy, LOGOUT_VARIANTS[variant])
    client = make_client()
    client.logout()
    assert not client._authenticated and client.user == ''
    warned = [r for r in astroquery_log if r.levelname == 'WARNING' and 'logout' in r.getMessage()]
    assert bool(warned) is (variant in ('missing (404)', 'server error'))
    with pytest.raises(LoginError, match='Not logged in'):
        client.get_folders()


# --- section 2: request records without their [assumed] fields --------------------------

OPTIONAL = ('objecttype', 'objectid', 'telescopeid', 'filtertype', 'exposuretime',
            'completiontime', 'usercomments', 'folderid')


def _records(kind: str) -> Rewrite:
    def change(record: dict) -> dict:
        if kind == 'absent':
            return {k: v for k, v in record.items() if k not in OPTIONAL}
        if kind == 'empty strings':
            return {**record, **{k: '' for k in OPTIONAL if k in record}}
        if kind == 'ints':
            return {k: (int(float(v)) if k in OPTIONAL and isinstance(v, str)
                        and re.fullmatch(r'\d+(\.\d+)?', v) else v) for k, v in record.items()}
        return record

    def rewrite(request, status, headers, body):
        if api_request(request) != '1-get-list-own':
            return None
        answer = json.loads(body)
        if answer.get('success') and isinstance(answer.get('data'), dict):
            requests = [change(r) for r in answer['data']['requests']]
            # 'oldest first': every sort the other way round (the rid/object
            # directions are [assumed]).
            answer['data']['requests'] = requests[::-1] if kind == 'oldest first' else requests
        return as_json(answer)
    return rewrite


@pytest.mark.parametrize('kind', ['absent', 'empty strings', 'ints', 'oldest first'])
def test_listing_without_assumed_fields_or_in_another_order(kind, simulator, hostile_proxy,
                                                            tmp_path, make_client):
    """Request records with only their [seen] fields (or the others as '' or
    numbers), or listed oldest first (the direction of rid sorting is
    [assumed]): get_requests, query_object, submit (which looks in the queue
    after a lost answer) and submit_missing work and never submit twice."""
    proxied(hostile_proxy, _records(kind))
    client = make_client()
    table = client.get_requests('Inbox')
    assert list(table['rid']) == sorted(table['rid'], reverse=True)     # newest first
    by_name = client.get_requests('Inbox', sort='object')
    assert [n.casefold() for n in by_name['object_name']] == \
        sorted(n.casefold() for n in by_name['object_name'])
    folders = client.get_folders()
    assert len(table) == folders['count'][list(folders['folder_id']).index(1)]
    assert {'rid', 'object_name', 'status', 'status_text', 'requested'} <= set(table.colnames)
    archive = {r.rid: r for r in simulator.archive.requests('demo')}
    for row in table:
        known = archive[int(row['rid'])]
        assert (row['object_name'], row['status']) == (known.object_name, known.status)
    complete = next(r for r in simulator.archive.requests('demo') if r.jid)
    found = client.query_object(complete.object_name)
    assert complete.rid in list(found['rid'])
    assert found['jid'][list(found['rid']).index(complete.rid)] == complete.jid

    name = unique(f'Assumed {kind}')
    simulator.faults.add('http_500', endpoint=f'{API}/request-constructor/0-rb-submit',
                         count=1, after=True)
    rid = client.submit('10:00:00 +40:00:00', exposure=30, name=name)
    made = [r for r in simulator.archive.requests('demo') if r.object_name == name]
    assert [r.rid for r in made] == [rid]
    report = client.submit_missing([name], exposure=30)
    assert list(report['action']) == ['queued'] and report['rid'][0] == rid
    assert len([r for r in simulator.archive.requests('demo') if r.object_name == name]) == 1


# --- section 3: the job search: no count [seen], other columns [assumed] -----------------

def _with_results(block: str):
    return lambda text: text.replace('<table class="results">', block + '<table class="results">',
                                     1)


SEARCH_VARIANTS = {
    'a count element': _with_results('<h3>Results</h3>\n<p class="count">12 jobs</p>\n'),
    'count as bare text': _with_results('<h3>Results</h3>\n12 jobs\n'),
    'count in the heading': _with_results('<h3>Results: 1,234 jobs</h3>\n'),
    'extra columns': lambda text: text.replace('<tr><td><a href="v4request-view',
                                               '<tr><td><img src="t.png"></td><td>'
                                               '<a href="v4request-view'),
}


@pytest.mark.parametrize('variant', list(SEARCH_VARIANTS))
def test_job_search_with_a_count_or_other_columns(variant, simulator, hostile_proxy,
                                                            tmp_path, make_client):
    """The search answer with a count of jobs (the live site shows none), or with a
    column before the job link: the same jobs, in the same order."""
    times = [simulator.archive.job(jid).completion_time for jid in demo_jids(simulator)]
    start, end = (datetime.fromtimestamp(t, timezone.utc) for t in (min(times) - 60,
                                                                      max(times) + 60))
    plain = make_client()
    expected = list(plain.query_jobs(start, end)['jid'])
    assert expected
    proxied(hostile_proxy, lambda r, s, h, b: (
        html(SEARCH_VARIANTS[variant](b.decode())) if r.path.endswith(SEARCH) else None))
    client = make_client()
    assert list(client.query_jobs(start, end)['jid']) == expected


def _blind_selector(galaxy_rows: bool):
    """The job search finding nothing when asked for one telescope, as the live
    site's selector may for jobs shown as ``Galaxy``; with ``galaxy_rows`` the
    rows' telescope column says ``Galaxy`` instead of the name."""
    def rewrite(request, status, headers, body):
        if not request.path.endswith(SEARCH):
            return None
        text = body.decode()
        if request.form.get('searchtelescope'):
            text = re.sub(r'<tr><td><a href="v4request-view[^\n]*\n', '', text)
        elif galaxy_rows:
            text = re.sub(r'<td>(COAST|PIRATE)</td>', '<td>Galaxy</td>', text)
        return html(text)
    return rewrite


@pytest.mark.parametrize('rows_say', ['the telescope', 'Galaxy'])
def test_a_telescope_selector_that_finds_nothing(rows_say, simulator, hostile_proxy,
                                                 make_client, astroquery_log):
    """The search by telescope finds nothing although the window holds jobs: the
    jobs of the search of all telescopes are kept whose rows name it, with no view
    opened; where the rows say Galaxy, the views cannot tell COAST from PIRATE
    either, so the jobs of both are kept, with a warning."""
    now = datetime.fromtimestamp(simulator.archive.current_time(), timezone.utc)
    start, end = now - timedelta(days=60), now.replace(second=0, microsecond=0)

    def expected(telescope_id):
        return [job.jid for job in simulator.archive.search_jobs(
            start.timestamp(), end.timestamp() + 59, telescope_id)]

    proxied(hostile_proxy, _blind_selector(galaxy_rows=rows_say == 'Galaxy'))
    client = make_client()
    simulator.counters.reset()
    table = client.query_jobs(start, end, telescope='PIRATE')
    warned = [r.getMessage() for r in astroquery_log if r.levelname == 'WARNING']
    if rows_say == 'Galaxy':
        assert sorted(table['jid']) == sorted(expected(6) + expected(7))
        assert any('tell COAST from PIRATE' in m for m in warned), warned
    else:
        assert list(table['jid']) == expected(7) != []
        assert simulator.counters[VIEW] == 0 and not warned
        assert set(table['telescope']) == {'PIRATE'}


# --- section 3: unknown ids [assumed: a view without value rows] -------------------------

UNKNOWN_VIEWS = {
    'error text': lambda text: re.sub(r'<p>No (job|request) with this id.</p>\s*'
                                      r'<table class="details">\s*</table>',
                                      '<p class="error">Error: no such id.</p>', text),
    'labels with empty values': lambda text: text.replace(
        '<table class="details">\n</table>',
        '<table class="details">' + ''.join(
            f'<tr><td>{label}</td><td></td></tr>' for label in
            ('Request ID', 'Job ID', 'Object Type', 'Object ID', 'Telescope Type Name',
             'Filter Type', 'Exposure Time', 'Status')) + '</table>'),
    'no table at all': lambda text: re.sub(r'<table class="details">\s*</table>', '', text),
}


@pytest.mark.parametrize('variant', list(UNKNOWN_VIEWS))
def test_unknown_ids_rendered_otherwise_say_no_such_id(variant, simulator, hostile_proxy, tmp_path,
                                                       make_client):
    """An unknown job or request rendered as an error text, or as the labels
    with empty values: NoSuchJobError/NoSuchRequestError naming the id, from the
    views, get_images, download_data (a manifest row) and the legacy calls."""
    proxied(hostile_proxy, lambda r, s, h, b: (
        html(UNKNOWN_VIEWS[variant](b.decode()))
        if r.path.endswith(VIEW) and b'with this id' in b else None))
    client = make_client()
    jid, rid = 987654321, 987654322
    with pytest.raises(NoSuchJobError, match=str(jid)):
        client.get_job_details(jid)
    with pytest.raises(NoSuchJobError, match=str(jid)):
        client.get_job(jid)
    with pytest.raises(NoSuchJobError, match=str(jid)):
        client.get_images(jid, show_progress=False)
    manifest = client.download_data(jid, path=tmp_path / 'files', show_progress=False)
    assert list(manifest['status']) == ['ERROR'] and 'NoSuchJobError' in manifest['message'][0]
    with pytest.raises(NoSuchRequestError, match=str(rid)):
        client.get_request_details(rid)
    with pytest.raises(NoSuchRequestError, match=str(rid)):
        client.get_request(rid)


def test_unknown_id_answered_by_the_login_form_is_a_clear_login_error(simulator, hostile_proxy,
                                                                      tmp_path, make_client):
    """A site that shows its login form for a job the account may not see: one
    renewal, then LoginError saying the page may not be open to this account."""
    proxied(hostile_proxy, lambda r, s, h, b: (
        html(ODD_LOGIN_PAGE.replace('"user"', '"username"').replace('"pass"', '"password"'))
        if r.path.endswith(VIEW) and b'with this id' in b else None))
    client = make_client()
    with pytest.raises(LoginError, match='login form.*not open to this account'):
        client.get_job_details(987654321)


# --- section 3: views of other shapes ----------------------------------------------------

def _job_with_flat(simulator) -> int:
    return next(j for j in demo_jids(simulator)[42:] if simulator.archive.job(j).flat_id)


FLAT_CONTROLS = {
    'absent': lambda flat: '',
    'double quotes': lambda flat: (f"<button onclick='location.href=\"dl.php?flatid={flat}\"'>"
                                   "Flat</button>"),
    'a link': lambda flat: f'<a href="v3dl-flat.php?flatid={flat}">Download flat field</a>',
    'unknown script': lambda flat: (f'<button onclick="location.href=\'dl.php?id={flat}\'">'
                                    'Flat</button>'),
    'only a download button': lambda flat: ('<button onclick="location.href=\'v3image-download'
                                            '.php?jid=1234\'">Get</button>'),
}


@pytest.mark.parametrize('variant', list(FLAT_CONTROLS))
def test_flat_field_control_absent_or_shaped_differently(variant, simulator, hostile_proxy,
                                                         tmp_path, make_client):
    """The job view's flat control absent or of another shape: the flat id when
    it is clearly one, else none (and the product is asked for without
    ``flatid``, never with a job id taken for it); get_images works."""
    jid = _job_with_flat(simulator)
    flat = simulator.archive.job(jid).flat_id
    sent: list[dict] = []

    def rewrite(request, status, headers, body):
        if api_request(request) in ('0-create-dl3d', '0-create-dlzip'):
            sent.append(json.loads(request.form.get('params') or '{}'))
        if request.path.endswith(VIEW) and request.args.get('jid') == str(jid):
            text = re.sub(r'<p><button[^>]*>Download flat field</button></p>',
                          FLAT_CONTROLS[variant](flat), body.decode())
            return html(text)
        return None

    proxied(hostile_proxy, rewrite)
    client = make_client()
    expected = None if variant in ('absent', 'only a download button') else flat
    table = client.get_job_details(jid)
    assert (None if table['flat_id'].mask[0] else table['flat_id'][0]) == expected
    (hdul,) = client.get_images(jid, flat=True, show_progress=False)
    hdul.close()
    assert sent and sent[-1].get('flatid') == expected


REQUEST_ID_CELLS = {
    'commas': lambda rids: ','.join(f'R{r}' for r in rids),
    'spaced prefix': lambda rids: ' '.join(f'R {r}' for r in rids),
    'lower case': lambda rids: '&nbsp;'.join(f'r{r}' for r in rids),
    'no prefix': lambda rids: ' '.join(str(r) for r in rids),
    'line breaks': lambda rids: '<br>'.join(f'R{r}' for r in rids),
}


@pytest.mark.parametrize('variant', list(REQUEST_ID_CELLS))
def test_request_id_cell_in_other_spacing(variant, simulator, hostile_proxy, tmp_path, make_client):
    jid = demo_jids(simulator)[43]
    rids = list(simulator.archive.job(jid).rids) + [1]   # as if it served two

    def rewrite(request, status, headers, body):
        if request.path.endswith(VIEW) and request.args.get('jid') == str(jid):
            return html(re.sub(r'<tr><td>Request ID</td><td>[^<]*</td></tr>',
                               f'<tr><td>Request ID</td><td>{REQUEST_ID_CELLS[variant](rids)}'
                               '</td></tr>', body.decode()))
        return None

    proxied(hostile_proxy, rewrite)
    client = make_client()
    assert list(client.get_job_details(jid)['rids'][0]) == rids
    assert client.get_job(jid)['rid'] == ' '.join(f'R{r}' for r in rids)


def test_request_views_with_only_the_seen_label(simulator, hostile_proxy, tmp_path, make_client):
    """Request views whose labels other than ``Job ID`` ([seen in code only])
    are missing: get_request_details gives masked values, query_object still
    finds the job, the legacy calls give None."""
    def rewrite(request, status, headers, body):
        if request.path.endswith(VIEW) and 'rid' in request.args:
            return html(re.sub(r'<tr><td>(?!Job ID)[^<]*</td><td>[^<]*</td></tr>\n?', '',
                               body.decode()))
        return None

    proxied(hostile_proxy, rewrite)
    client = make_client()
    complete = [r for r in simulator.archive.requests('demo') if r.jid][:3]
    table = client.get_request_details([r.rid for r in complete])
    assert list(table['jid']) == [r.jid for r in complete]
    assert table['status'].mask.all() and table['object_name'].mask.all()
    found = client.query_object(complete[0].object_name)
    assert complete[0].jid in list(found['jid'])
    legacy = client.get_request(complete[0].rid)
    assert legacy['jid'] == complete[0].jid and legacy['status'] is None
    assert client.get_jid_for_req(complete[0].rid) == complete[0].jid


# --- section 4: products ------------------------------------------------------------------

def _rewrite_zip(data: bytes, *, names: Callable[[str], str], drop_filter: bool) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w') as target:
        for info in source.infolist():
            member = source.read(info)
            if drop_filter:
                with fits.open(io.BytesIO(member)) as hdul:
                    del hdul[0].header['FILTER']
                    buffer = io.BytesIO()
                    hdul.writeto(buffer)
                    member = buffer.getvalue()
            target.writestr(names(info.filename), member)
    return out.getvalue()


def _product_proxy(hostile_proxy, transform: Callable[[bytes], bytes]):
    """Products rewritten by ``transform``. Their new length is announced only by
    ``Content-Length``: READY polls say ``"0"`` for both sizes (the engine's "no
    number" [seen])."""
    def rewrite(request, status, headers, body):
        if request.path.endswith(DOWNLOAD) and status == 200:
            kept = [(k, v) for k, v in headers if k.lower() != 'content-length']
            return HostileProxy.respond(200, kept, transform(body))
        if api_request(request) == '0-is-job-ready':
            answer = json.loads(body)
            if answer.get('status') == 'READY':
                answer['data'].update({'fitssize': '0', 'fitsbzsize': '0'})
            return as_json(answer)
        return None
    return proxied(hostile_proxy, rewrite)


ZIP_NAMES = {
    'in a folder': (lambda name: f'J{name.split("_")[0]}/{name}', False),
    'upper case': (lambda name: name.upper(), False),
    'other names, no FILTER': (lambda name: f'plane-{name.rsplit("_", 1)[1].lower()}', True),
}


@pytest.mark.parametrize('variant', list(ZIP_NAMES))
def test_zip_member_names_otherwise(variant, simulator, hostile_proxy, tmp_path, make_client):
    """Zip members named otherwise than ``<jid>_<F>.fits`` ([assumed]): one
    extension per member, named by its FILTER (or its file name without one);
    download_data and the legacy get_obs work, nothing is extracted."""
    names, drop_filter = ZIP_NAMES[variant]
    _product_proxy(hostile_proxy,
                   lambda data: _rewrite_zip(data, names=names, drop_filter=drop_filter))
    jid = demo_jids(simulator)[44]
    client = make_client()
    (hdul,) = client.get_images(jid, cube=False, show_progress=False)
    with hdul:
        extnames = [h.header['EXTNAME'] for h in hdul[1:]]
        assert len(extnames) == len(hdul) - 1 >= 1
        assert all(hdu.data is not None for hdu in hdul[1:])
    if not drop_filter:
        job = simulator.archive.job(jid)
        assert set(extnames) <= set(FILTER_PLANES.get(job.filter_type, (job.filter_type,)))
    else:
        assert all(name.startswith('plane-') for name in extnames)
    manifest = client.download_data(jid, path=tmp_path / 'files', cube=False,
                                    show_progress=False)
    assert list(manifest['status']) == ['CACHED']
    assert sorted(p.name for p in (tmp_path / 'files').iterdir()) == [f'{jid}.zip']
    with client.get_obs(jid, cube=False) as archive:
        assert len(archive.namelist()) == len(extnames)
    assert not cache_problems(client.cache_location)


def _without_keywords(data: bytes) -> bytes:
    with fits.open(io.BytesIO(data)) as hdul:
        for key in ('EXPTIME', 'OBJCTRA', 'OBJCTDEC', 'OBJECT'):
            hdul[0].header.remove(key, ignore_missing=True, remove_all=True)
        buffer = io.BytesIO()
        hdul.writeto(buffer)
        return buffer.getvalue()


def test_cube_without_exptime_or_objctra(simulator, hostile_proxy, tmp_path, make_client):
    """EXPTIME is [assumed] and pointing keywords vary: a cube without EXPTIME,
    OBJCTRA/OBJCTDEC and OBJECT is fetched, verified, opened and previewed."""
    _product_proxy(hostile_proxy, _without_keywords)
    jid = demo_jids(simulator)[45]
    client = make_client()
    (hdul,) = client.get_images(jid, show_progress=False)
    with hdul:
        assert 'EXPTIME' not in hdul[0].header and 'OBJCTRA' not in hdul[0].header
        assert np.ndim(hdul[0].data) == 3
        pytest.importorskip('matplotlib')
        client.preview(hdul)
    assert not cache_problems(client.cache_location)


def _zip_without_exptime(data: bytes) -> bytes:
    """A product zip whose members have no EXPTIME."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, _without_keywords(source.read(info)))
    return out.getvalue()


def test_frames_without_exptime_take_the_job_views_exposure(simulator, hostile_proxy,
                                                            make_client):
    """EXPTIME is [assumed]: without it, get_images adds no DATE-AVG (it would be a
    guess) and no WCS (no pointing either), and frame_times takes the exposure
    from the job's view; the starts stay each frame's own."""
    _product_proxy(hostile_proxy, _zip_without_exptime)
    jid = demo_jids(simulator)[46]
    client = make_client()
    (hdul,) = client.get_images(jid, cube=False, show_progress=False)
    frames = [hdu for hdu in hdul if hdu.data is not None]
    assert frames and all('EXPTIME' not in h.header and 'DATE-AVG' not in h.header
                          and 'CTYPE1' not in h.header and 'MJD-OBS' in h.header
                          for h in frames)
    times = client.frame_times(jid)
    exposure = simulator.archive.job(jid).exposure_ms / 1000
    assert list(times['exposure']) == [exposure] * len(frames)
    assert [t.isot for t in times['start']] == [h.header['DATE-OBS'] for h in frames]
    assert np.allclose((times['mid'] - times['start']).sec, exposure / 2)


# --- section 2: the basket's darkframe key [assumed] --------------------------------------

def test_basket_refusing_darkframe(simulator, hostile_proxy, tmp_path, make_client):
    """A site whose 0-rb-set refuses the unknown ``darkframe`` key: the default
    submission (a dark frame) does not send it and is made; dark_frame=False is
    a SubmissionError with the site's status that names the key and the way
    round, and makes nothing."""
    def rewrite(request, status, headers, body):
        if api_request(request) == '0-rb-set' and \
                'darkframe' in json.loads(request.form.get('params') or '{}'):
            return as_json({'success': False, 'status': 'ERR_BAD_PARAMS'})
        return None

    proxied(hostile_proxy, rewrite)
    client = make_client()
    name = unique('Dark default')
    rid = client.submit('10:00:00 +40:00:00', exposure=30, name=name)
    made = [r for r in simulator.archive.requests('demo') if r.object_name == name]
    assert [r.rid for r in made] == [rid] and made[0].dark_frame is True
    name = unique('No dark')
    with pytest.raises(SubmissionError, match='dark_frame=False relies on a field.*'
                                              'dark_frame=True') as caught:
        client.submit('10:00:00 +40:00:00', exposure=30, name=name, dark_frame=False)
    assert caught.value.status == 'ERR_BAD_PARAMS'
    assert not [r for r in simulator.archive.requests('demo') if r.object_name == name]
    assert client.submit_job_api('10:00:00 +40:00:00', name=name, darkframe=False) == \
        (False, 'ERR_BAD_PARAMS')
    with conf.set_temp('retries', 0):
        rid = client.submit_RADEC_job('10:00:00 +40:00:00', name=name, darkframe=False)[1]
    made = [r for r in simulator.archive.requests('demo') if r.object_name == name]
    assert [r.rid for r in made] == [rid] and made[0].dark_frame is False
