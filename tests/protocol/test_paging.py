"""The listing's paging decisions (`telescope_query.protocol.paging`), without a server.

A made-up server answers each call of a `ListingPager` as the test says: whole,
capped, short of its total, ignoring ``startAfterRow``, or inventing requests
without end. The pager must end every time, within its bound, and say how a
listing fell short.
"""
from __future__ import annotations

import pytest

from telescope_query.protocol.paging import FIRST_PAGE, ListingPager


def records(ids):
    return [{'id': str(i), 'objectname': f'R{i}'} for i in ids]


def run(server, **pager_settings):
    """Page through ``server(limit, start_after) -> (total, ids)``: (pager, calls)."""
    pager, calls = ListingPager(**pager_settings), []
    while (call := pager.next_call()) is not None:
        calls.append(call)
        assert len(calls) <= 10_000, 'the pager does not end'
        total, ids = server(*call)
        pager.receive(total, records(ids))
    return pager, calls


def honest(count, cap=None):
    def answer(limit, start_after):
        limit = min(limit, cap) if cap else limit
        return count, range(start_after + 1, min(start_after + limit, count) + 1)
    return answer


def test_one_call_holds_a_whole_folder():
    pager, calls = run(honest(1849))
    assert calls == [(FIRST_PAGE, 0)] and len(pager.rows) == 1849
    assert pager.shortfall is None


def test_an_empty_folder_is_one_call():
    pager, calls = run(lambda limit, start: (0, []))
    assert len(calls) == 1 and pager.rows == [] and pager.shortfall is None


def test_capped_pages_are_followed_to_the_total():
    pager, calls = run(honest(103, cap=25))
    assert [start for _, start in calls] == [0, 25, 50, 75, 100]
    assert calls[1][0] == 78                       # the rest, as the original asked
    assert [int(r['id']) for r in pager.rows] == list(range(1, 104))
    assert pager.shortfall is None


def test_a_total_never_reached_ends_when_nothing_more_comes():
    pager, calls = run(lambda limit, start: (110, range(start + 1, min(start + limit, 100) + 1)))
    assert len(calls) == 2 and len(pager.rows) == 100
    short = pager.shortfall
    assert (short.listed, short.total, short.after_row, short.why) == (100, 110, 100,
                                                                       'none sent')
    assert 'listed 100 of the 110 requests' in short.message('folder 1')
    assert 'after row 100' in short.message('folder 1')


def test_a_server_ignoring_start_after_row_ends_at_its_first_repeat():
    pager, calls = run(lambda limit, start: (500, range(1, min(limit, 20) + 1)))
    assert len(calls) == 2 and len(pager.rows) == 20
    assert pager.shortfall.why == 'sent again'
    message = pager.shortfall.message('folder 3')
    assert 'listed 20 of the 500 requests it counts in folder 3' in message
    assert 'startAfterRow' in message


def test_a_server_inventing_requests_without_end_is_bounded():
    pager, calls = run(lambda limit, start: (10**9, [start + 1]), max_calls=50)
    assert len(calls) == 50
    assert pager.shortfall.why == 'too many calls'
    assert 'listed 50 of the 1000000000 requests' in pager.shortfall.message('folder 1')


def test_a_listing_that_moves_while_paging_keeps_each_request_once():
    # A new request (201) arrives at the top between two pages: page 2 starts one
    # row early. Each request is kept once, and the newcomer, above the rows
    # already read, is missed: the shortfall says so rather than asking round.
    state = {'calls': 0}

    def answer(limit, start_after):
        state['calls'] += 1
        ids = list(range(200, 0, -1)) if state['calls'] == 1 else list(range(201, 0, -1))
        return len(ids), ids[start_after:start_after + min(limit, 100)]

    pager, calls = run(answer)
    ids = [int(r['id']) for r in pager.rows]
    assert len(ids) == len(set(ids)) == 200 and 201 not in ids
    assert len(calls) <= 4
    assert 'listed 200 of the 201 requests' in pager.shortfall.message('folder 1')


def test_no_total_means_one_call():
    pager, calls = run(lambda limit, start: (None, range(1, 31)))
    assert len(calls) == 1 and len(pager.rows) == 30 and pager.shortfall is None


@pytest.mark.parametrize('total', [0, 5])
def test_a_first_page_with_nothing_but_a_total(total):
    pager, calls = run(lambda limit, start: (total, []))
    assert len(calls) == 1
    assert (pager.shortfall is None) == (total == 0)
    if total:
        assert 'asked for those of the folder, it sent none' in pager.shortfall.message('x')
