"""Listings that never reach their total and job searches that never end, through the client.

A listing whose server counts more requests than it sends, or ignores
``startAfterRow`` and sends its first page again, ends with a warning naming
how many of how many: never a loop, never a silent cut (simulator faults
``short_total``, ``page_cap``, ``ignore_start``). A job search answer with
rows beyond the 1000 asked for, rows nested thousands deep, thousands of
unfinished comments, or more text than any page of 1000 jobs needs is read in
one linear pass up to the rows asked for (a `HostileProxy` rewrites the
simulator's page). The work of the reading is measured by counting in
``tests/protocol/test_search_page.py``; here, what the user gets.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from werkzeug.wrappers import Response

from telescope_query.protocol import pages

from helpers import HostileProxy

LIST_OWN = 'api-user.php/request-manager/1-get-list-own'
SEARCH = 'v3job-search-query.php'


def warnings_of(records) -> list[str]:
    return [r.getMessage() for r in records if r.levelname == 'WARNING']


@pytest.mark.parametrize('call', ['get_requests', 'get_user_requests', 'query_object'])
@pytest.mark.parametrize('server', ['short total', 'ignores startAfterRow'])
def test_a_listing_that_never_reaches_its_total(call, server, simulator, make_client,
                                                astroquery_log):
    held = len(simulator.archive.requests('demo', 1))
    client = make_client()
    if server == 'short total':
        simulator.faults.add('short_total', endpoint=LIST_OWN, missing=3, count=None)
        kept, total = held, held + 3
    else:
        simulator.faults.add('page_cap', endpoint=LIST_OWN, rows=40, count=None)
        simulator.faults.add('ignore_start', endpoint=LIST_OWN, count=None)
        kept, total = 40, held
    simulator.counters.reset()
    if call == 'get_requests':
        assert len(client.get_requests()) == kept
    elif call == 'get_user_requests':
        assert len(client.get_user_requests()) == kept
    else:
        name = simulator.archive.requests('demo', 1)[0].object_name
        client.query_object(name)
    folders = sum(1 for f in simulator.archive.folders('demo')
                  if f.folder_id != 4 and simulator.archive.folder_count('demo', f.folder_id))
    assert simulator.counters[LIST_OWN] <= 2 * (folders if call == 'query_object' else 1)
    assert any(f'listed {kept} of the {total} requests' in m
               for m in warnings_of(astroquery_log)), warnings_of(astroquery_log)


def _search_rewritten(hostile_proxy, rewrite):
    def handler(request, forward):
        status, headers, body = forward()
        if request.path.endswith(SEARCH):
            return Response(rewrite(body.decode()), status=status, mimetype='text/html')
        return HostileProxy.respond(status, headers, body)
    return hostile_proxy(handler)


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr><td><a href="v4request-view\.php\?jid=\d+">.*?</tr>\n', text)


def _with_rows(text: str, rows: str) -> str:
    return text.replace('</table>', rows + '</table>', 1)


def _job_row(jid: int) -> str:
    return (f'<tr><td><a href="v4request-view.php?jid={jid}">J{jid}</a></td><td>M 1</td>'
            f'<td>COAST</td><td>BVR</td><td>18/11/24 05:41:09</td><td>60000 ms</td></tr>\n')


WINDOW = ('2024-11-17 16:00', '2024-11-18 16:00')


def test_rows_beyond_those_asked_for_are_not_read(simulator, hostile_proxy, make_client,
                                                  astroquery_log):
    clean = list(make_client().query_jobs(*WINDOW)['jid'])
    made_up = ''.join(_job_row(jid) for jid in range(10**7, 10**7 + 6000))
    _search_rewritten(hostile_proxy, lambda text: _with_rows(text, made_up))
    client = make_client()
    table = client.query_jobs(*WINDOW)
    assert len(table) == pages.RESULTS_PER_PAGE
    assert list(table['jid'][:len(clean)]) == clean
    assert any('more jobs than the 1000 asked for' in m for m in warnings_of(astroquery_log))
    legacy = client.get_obs_list(t=datetime(2024, 11, 18, 16, tzinfo=timezone.utc).timestamp())
    assert len(legacy) == pages.RESULTS_PER_PAGE


@pytest.mark.parametrize('hostile', ['rows nested 20000 deep', '20000 unclosed comments',
                                     '20000 unclosed quotes'])
def test_deep_or_unfinished_pages_are_read_in_one_pass(hostile, simulator, hostile_proxy,
                                                       make_client):
    clean = list(make_client().query_jobs(*WINDOW)['jid'])
    assert clean
    tail = {'rows nested 20000 deep': '<tr><td><table>' * 20000 + _job_row(10**7)
            + '</table></td></tr>' * 20000,
            '20000 unclosed comments': '<!--' * 20000,
            '20000 unclosed quotes': '<a href="x' * 20000}[hostile]
    _search_rewritten(hostile_proxy, lambda text: _with_rows(text, tail))
    found = list(make_client().query_jobs(*WINDOW)['jid'])
    assert found == clean + ([10**7] if 'nested' in hostile else [])


def test_a_page_beyond_the_size_bound_is_read_up_to_it(simulator, hostile_proxy, make_client,
                                                       monkeypatch, astroquery_log):
    clean = list(make_client().query_jobs(*WINDOW)['jid'])
    monkeypatch.setattr(pages, 'MAX_PAGE_CHARS', 20_000)
    padding = '<tr><td>' + 'x' * 50_000 + '</td></tr>\n'
    _search_rewritten(hostile_proxy, lambda text: _with_rows(text, padding
                                                             + _job_row(10**7)))
    found = list(make_client().query_jobs(*WINDOW)['jid'])
    assert found == clean
    assert any('longer than' in m and 'were read' in m for m in warnings_of(astroquery_log))
