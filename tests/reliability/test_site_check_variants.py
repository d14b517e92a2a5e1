"""``check_site`` against answers altered one protocol fact at a time.

A `HostileProxy` in front of the simulator changes one fact of the answers
(the rest stays as the simulator sends it). ``check_site`` must report that
fact as ``differs`` (and no other fact), and the client's own call that rests
on the fact must still work, or fail with an error that names what is wrong.
"""
from __future__ import annotations

import json
import re
from typing import Callable

import pytest
from werkzeug.wrappers import Response

from telescope_query import conf
from telescope_query.exceptions import DownloadError, RemoteServiceError
from telescope_query.site_check import FACTS

from helpers import HostileProxy, demo_jids, module_simulator
from .test_assumed_variants import api_request, as_json, html, proxied


# check-site looks for a completed request among the first 150 listed by
# completion; in the session's simulator the requests other tests submit for demo
# fill those, so this module has a simulator of its own.
_simulator_session = pytest.fixture(scope='module', name='_simulator_session')(
    module_simulator)


VIEW = 'v4request-view.php'
SEARCH = 'v3job-search-query.php'
DOWNLOAD = 'v3image-download.php'


def _json_rewrite(request_name: str, change: Callable[[dict], dict | None]):
    """Rewrite the JSON answers of one API request with ``change(answer)``."""
    def rewrite(request, status, headers, body):
        if api_request(request) != request_name:
            return None
        try:
            answer = json.loads(body)
        except ValueError:
            return None
        if not isinstance(answer, dict) or not answer.get('success'):
            return None         # only the answers that say success are altered
        changed = change(answer)
        return None if changed is None else as_json(changed)
    return rewrite


def _page_rewrite(path: str, change: Callable[[str, object], str | None]):
    def rewrite(request, status, headers, body):
        if not request.path.endswith(path):
            return None
        text = change(body.decode('utf-8', 'replace'), request)
        return None if text is None else html(text)
    return rewrite


def _is_job_view(request) -> bool:
    return 'jid' in request.values


def _records(change):
    def apply(answer):
        for record in (answer.get('data') or {}).get('requests') or []:
            change(record)
        return answer
    return apply


def _polls_then_ready():
    """The first poll answers an OK_ status: the simulator's next ones go on."""
    seen = []

    def change(answer):
        if not seen:
            seen.append(1)
            return {'success': 1, 'status': 'OK_WAIT', 'data': None}
        return None
    return change


def _no_sizes(answer):
    if answer.get('status') == 'READY':
        answer['data'] = {'flatID': answer['data'].get('flatID')}
        return answer
    return None


def _chunked_download(request, status, headers, body):
    if not request.path.endswith(DOWNLOAD):
        return None
    kept = [(k, v) for k, v in headers if k.lower() != 'content-length']
    return HostileProxy.respond(status, kept, iter([body]), length=False)   # chunked


def _job_links_last(text, request):
    return re.sub(r'<tr><td>(<a href="v4request-view\.php\?jid=\d+">J\d+</a>)</td>(.*?)</tr>',
                  r'<tr><td><a href="user.php?uid=1">someone</a></td>\2<td>\1</td></tr>', text)


# fact key -> (rewrite, the client's call that must still work)
def _listing_works(client, simulator):
    table = client.get_requests()
    assert len(table) > 50 and 'telescope' not in table.colnames
    return table


def _views_work(client, simulator):
    listing = client.get_requests(status='complete')
    table = client.get_request_details(listing[:3])
    assert (table['jid'] > 0).all()
    return table


def _images_work(client, simulator):
    jid = demo_jids(simulator)[-2]
    hdul, = client.get_images(jid, cube=False, show_progress=False)
    assert len(hdul) > 1


def _job_details_work(client, simulator):
    jid = demo_jids(simulator)[-3]
    table = client.get_job_details(jid)
    assert table['success'][0] and table['completed'][0] is not None


def _search_works(client, simulator):
    return client.query_jobs('2024-11-17 16:00', '2024-11-18 16:00')


def _search_says_search_rows(client, simulator):
    from astroquery import log
    with log.log_to_list() as records:
        table = _search_works(client, simulator)
    assert len(table) == 0
    assert any('search-rows' in record.getMessage() for record in records)


VARIANTS = {
    'logged-out-answer': (
        lambda r, s, h, b: (html('<form><input name="username"><input name="password"></form>')
                            if api_request(r) and b'ERR_NOT_LOGGED_IN' in b else None),
        lambda client, simulator: client.get_folders()),
    'api-envelope': (
        _json_rewrite('0-get-my-folders', lambda a: {k: v for k, v in a.items()
                                                    if k != 'status'}),
        lambda client, simulator: client.get_folders()),
    'folders': (
        _json_rewrite('0-get-my-folders', lambda a: {**a, 'data': [
            {**f, 'colour': 'blue'} for f in a['data']]}),
        lambda client, simulator: client.get_folders()),
    'listing-total': (
        _json_rewrite('1-get-list-own', lambda a: {**a, 'data': {
            **a['data'], 'totalRequests': int(a['data']['totalRequests'])}}),
        _listing_works),
    'listing-keys': (
        _json_rewrite('1-get-list-own', _records(lambda r: r.update(telescopeid='6'))),
        _listing_works),
    'listing-strings': (
        _json_rewrite('1-get-list-own', _records(lambda r: r.update(status=int(r['status'])))),
        _listing_works),
    'image-engine-create': (
        _json_rewrite('0-create-dlzip', lambda a: {**a, 'status': 'READY'}),
        _images_work),
    'image-engine-flat-id': (
        _json_rewrite('0-create-dlzip', lambda a: {**a, 'status': 'OK_WAIT',
                                                   'data': {**a['data'], 'flatID': 99}}),
        _images_work),
    'image-engine-poll': (
        _json_rewrite('0-is-job-ready', _polls_then_ready()),
        _images_work),
    'image-engine-size': (
        _json_rewrite('0-is-job-ready', _no_sizes),
        _images_work),
    'download-length': (_chunked_download, _images_work),
    'view-rows': (
        _page_rewrite(VIEW, lambda t, r: t.replace('<tr><td>', '<tr><th>').replace(
            '</td><td>', '</th><td>')),
        _views_work),
    'request-view-telescope': (
        _page_rewrite(VIEW, lambda t, r: None if _is_job_view(r) else t.replace(
            '<td>Galaxy</td>', '<td>COAST</td>').replace('<tr><td>Telescope Name</td>',
                                                         '<tr><td>Instrument</td>')),
        _views_work),
    'request-view-dark-frame': (
        _page_rewrite(VIEW, lambda t, r: t.replace('<td>Instant</td>', '<td>Yes</td>').replace(
            '<td>None</td>', '<td>Yes</td>')),
        _views_work),
    'request-view-info': (
        _page_rewrite(VIEW, lambda t, r: re.sub(r'"jid": "(\d+)"', r'"jid": \1', t)),
        _views_work),
    'request-time': (
        _page_rewrite(VIEW, lambda t, r: None if _is_job_view(r) else re.sub(
            r'(<td>Request Time</td><td>[^<]*?)\d\d:(\d\d:\d\d UTC)', r'\g<1>03:\2', t)),
        _views_work),
    'time-cells': (
        _page_rewrite(VIEW, lambda t, r: re.sub(r'<td>\S+ \S+ \S+ (\d{1,2} \w+ \d{4})',
                                                r'<td>\1', t)),
        _job_details_work),
    'job-view': (
        _page_rewrite(VIEW, lambda t, r: t.replace('<td>Success</td>', '<td>Succeeded</td>')
                      if _is_job_view(r) else None),
        None),      # the client names it: see test_a_job_status_of_another_word
    'job-view-telescope': (
        _page_rewrite(VIEW, lambda t, r: t.replace(
            '<tr><td>Filter Type</td>', '<tr><td>Telescope Name</td><td>COAST</td></tr>\n'
            '<tr><td>Filter Type</td>') if _is_job_view(r) else None),
        _job_details_work),
    'search-parameters': (
        _page_rewrite(SEARCH, lambda t, r: t.replace('<h3>Parameters</h3>', '<h3>Search</h3>')),
        None),      # the client names it: see test_a_search_page_without_parameters
    'search-rows': (_page_rewrite(SEARCH, _job_links_last), _search_says_search_rows),
    'search-no-count': (
        _page_rewrite(SEARCH, lambda t, r: t.replace('<table', '<p>3 jobs</p>\n<table', 1)),
        _search_works),
}


def test_every_fact_has_a_variant():
    assert set(VARIANTS) | {'session-cookie'} == {fact.key for fact in FACTS}


@pytest.mark.parametrize('key', list(VARIANTS))
def test_one_fact_altered_is_reported_and_the_client_copes(key, simulator, hostile_proxy,
                                                           make_client):
    rewrite, works = VARIANTS[key]
    proxied(hostile_proxy, rewrite)
    client = make_client()
    with conf.set_temp('poll_interval', 0.01):
        report = client.check_site(download=True)
    differing = {row['fact'] for row in report if row['result'] == 'differs'}
    assert differing == {key}, [(row['fact'], row['seen']) for row in report
                                if row['result'] != 'holds']
    seen = report[list(report['fact']).index(key)]['seen']
    assert seen and 'could not be read' not in seen
    if works is not None:
        works(client, simulator)


def test_a_job_status_of_another_word_is_named(simulator, hostile_proxy, make_client):
    proxied(hostile_proxy, VARIANTS['job-view'][0])
    client = make_client()
    with pytest.raises(DownloadError, match="status is 'Succeeded', not 'Success'"):
        client.get_images(demo_jids(simulator)[-4], show_progress=False)


def test_a_search_page_without_parameters_is_named(simulator, hostile_proxy, make_client):
    proxied(hostile_proxy, VARIANTS['search-parameters'][0])
    client = make_client()
    with pytest.raises(RemoteServiceError, match="no 'Parameters' heading"):
        client.query_jobs()


def test_a_login_that_sets_no_cookie_is_named(simulator, hostile_proxy, client_env, tmp_path):
    def rewrite(request, status, headers, body):
        if request.path.endswith('login.php') and request.method == 'POST':
            kept = [(k, v) for k, v in headers if k.lower() != 'set-cookie']
            return Response(body, status=status, headers=kept)
        return None
    proxied(hostile_proxy, rewrite)
    from telescope_query import TelescopeClass
    from telescope_query.exceptions import LoginError
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    with pytest.raises(LoginError, match='set no session cookie'):
        client.login('demo', password='demo')
