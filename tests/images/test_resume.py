"""A download's decisions (`telescope_query.images.resume`): pure, no server.

Each case gives what was received so far and what the server answered, and
reads the decision: the cases ``test_staging.py`` and the reliability suite
see over HTTP (resumed with Range and If-Range, started again without ranges,
given up after stalls, refused past the announced size), and the edges a
simulator does not serve (a changed file, a part other than the one asked
for, a Content-Range without its total, headers in any case).
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from telescope_query.images.resume import (MAX_STALLS, Accept, AskAgain, Complete, Received,
                                           Refuse, Restart, Resume, after_body,
                                           content_range_start, length_problem, next_request,
                                           on_answer, stall, total_length)

SIZE = 10_000
ETAG = '"5f3c-2710"'
WHOLE = {'Content-Length': str(SIZE), 'Accept-Ranges': 'bytes', 'ETag': ETAG}


def part(start: int, size: int = SIZE, total: str | None = None) -> dict[str, str]:
    """The headers of a 206 answer from ``start`` to the end."""
    return {'Content-Range': f'bytes {start}-{size - 1}/{total or size}',
            'Content-Length': str(size - start), 'ETag': ETAG}


# --- how to ask ---------------------------------------------------------------

def test_the_first_request_asks_for_plain_bytes():
    assert next_request(Received()) == ({'Accept-Encoding': 'identity'}, False)


def test_bytes_kept_with_ranges_offered_ask_for_the_rest_of_the_same_file():
    headers, drop = next_request(Received(offset=5000, ranges=True, etag=ETAG))
    assert headers == {'Accept-Encoding': 'identity', 'Range': 'bytes=5000-',
                       'If-Range': ETAG}
    assert not drop


def test_without_an_etag_the_range_goes_unguarded():
    headers, drop = next_request(Received(offset=5000, ranges=True))
    assert headers['Range'] == 'bytes=5000-' and 'If-Range' not in headers and not drop


def test_without_ranges_the_bytes_kept_are_dropped_and_everything_asked_again():
    headers, drop = next_request(Received(offset=5000))
    assert 'Range' not in headers and drop


# --- what to do with an answer -------------------------------------------------

def test_a_whole_answer_is_accepted_and_says_what_it_offers():
    decision = on_answer(Received(), 200, WHOLE)
    assert decision == Accept(Received(offset=0, ranges=True, etag=ETAG, total=SIZE))


def test_an_answer_without_a_length_is_accepted_with_the_length_unknown():
    assert on_answer(Received(), 200, {}) == Accept(Received())


def test_the_part_asked_for_is_resumed():
    kept = Received(offset=5000, ranges=True, etag=ETAG, total=SIZE, best=5000)
    assert on_answer(kept, 206, part(5000)) == Resume(kept)


def test_a_part_whose_total_is_unknown_counts_its_length_from_the_offset():
    kept = Received(offset=5000, ranges=True)
    decision = on_answer(kept, 206, part(5000, total='*'))
    assert isinstance(decision, Resume) and decision.received.total == SIZE


@pytest.mark.parametrize('content_range', ['bytes 0-9999/10000', 'bytes 4000-9999/10000',
                                           'items 5000-9999/10000', 'garbage', None])
def test_another_part_than_the_one_asked_for_is_asked_again_without_ranges(content_range):
    kept = Received(offset=5000, ranges=True, etag=ETAG, total=SIZE, stalls=1)
    headers = {} if content_range is None else {'Content-Range': content_range}
    # Not held against the download: the next request asks for the whole product.
    assert on_answer(kept, 206, headers) == AskAgain(
        Received(offset=5000, ranges=False, etag=ETAG, total=SIZE, stalls=1))


def test_the_whole_product_again_after_a_range_request_restarts_it():
    # If-Range did not match (the file changed), or the server ignores Range.
    kept = Received(offset=5000, ranges=True, etag='"old"', total=SIZE, best=5000)
    decision = on_answer(kept, 200, WHOLE)
    assert decision == Restart(Received(offset=0, ranges=True, etag=ETAG, total=SIZE,
                                        best=5000))


@pytest.mark.parametrize('status', [500, 502, 503])
def test_a_server_error_is_a_stall(status):
    decision = on_answer(Received(offset=300, total=SIZE), status, {})
    assert decision == AskAgain(Received(offset=300, total=SIZE, stalls=1))


def test_server_errors_in_a_row_give_up_naming_the_last():
    state = Received(offset=300, total=SIZE)
    for _ in range(MAX_STALLS - 1):
        decision = on_answer(state, 500, {})
        assert isinstance(decision, AskAgain)
        state = decision.received
    assert on_answer(state, 503, {}) == Refuse(
        f'the server answered HTTP 503; gave up after {MAX_STALLS} tries '
        f'(300 of {SIZE} bytes received)')


@pytest.mark.parametrize('status', [301, 304, 400, 401, 403, 404, 416])
def test_other_statuses_are_refused_quoting_the_body(status):
    assert on_answer(Received(), status, {}) == Refuse(f'the server answered HTTP {status}',
                                                       quote_body=True)


@pytest.mark.parametrize('status, headers, start', [
    (200, {'Content-Length': '20000'}, 0),
    (206, part(5000, total='20000'), 5000),
    (206, {'Content-Range': 'bytes 5000-9999/*', 'Content-Length': '15000'}, 5000),
])
def test_an_answer_longer_than_the_engine_announced_is_refused_unread(status, headers, start):
    decision = on_answer(Received(offset=start, ranges=True), status, headers, limit=SIZE)
    assert decision == Refuse(f'the server announces 20000 bytes (Content-Length), more '
                              f'than the {SIZE} the image engine announced; not downloaded')


def test_an_answer_of_the_announced_length_is_taken():
    assert isinstance(on_answer(Received(), 200, WHOLE, limit=SIZE), Accept)
    assert isinstance(on_answer(Received(), 200, {}, limit=SIZE), Accept)   # unknown: read


def test_headers_are_read_in_any_case():
    headers = {'content-length': str(SIZE), 'ACCEPT-RANGES': 'Bytes', 'etag': ETAG}
    assert on_answer(Received(), 200, headers) == Accept(
        Received(ranges=True, etag=ETAG, total=SIZE))


def test_what_earlier_answers_said_is_kept_when_an_answer_does_not_say_it():
    kept = Received(offset=5000, ranges=True, etag=ETAG, total=SIZE)
    decision = on_answer(kept, 206, {'Content-Range': f'bytes 5000-9999/{SIZE}'})
    assert decision == Resume(kept)


# --- once the body has ended ------------------------------------------------------

@pytest.mark.parametrize('total', [SIZE, None])
def test_a_body_that_ended_with_every_byte_is_complete(total):
    assert after_body(Received(offset=SIZE, total=total), None) == Complete()


def test_a_cut_that_brought_bytes_is_asked_again_with_its_stalls_forgiven():
    decision = after_body(Received(offset=5000, total=SIZE, stalls=2, best=100),
                          'ProtocolError')
    assert decision == AskAgain(Received(offset=5000, total=SIZE, stalls=0, best=5000))


def test_a_short_body_is_asked_again():
    decision = after_body(Received(offset=SIZE - 100, total=SIZE), None)
    assert isinstance(decision, AskAgain) and decision.received.best == SIZE - 100


@pytest.mark.parametrize('cut, said', [('ReadTimeoutError', 'ReadTimeoutError'),
                                       (None, 'short body')])
def test_connections_that_get_no_further_give_up_after_max_stalls(cut, said):
    state = Received(offset=5000, total=SIZE, best=5000)
    for _ in range(MAX_STALLS - 1):
        decision = after_body(state, cut)
        assert isinstance(decision, AskAgain)
        state = decision.received
    assert after_body(state, cut) == Refuse(
        f'the connection broke ({said}); gave up after {MAX_STALLS} tries '
        f'(5000 of {SIZE} bytes received)')


def test_a_transport_failure_is_a_stall():
    assert stall(Received(), 'no answer from the server') == AskAgain(Received(stalls=1))
    assert stall(Received(stalls=MAX_STALLS - 1), 'no answer') == Refuse(
        f'no answer; gave up after {MAX_STALLS} tries (0 of ? bytes received)')


# --- whole downloads, answer after answer ----------------------------------------

def test_a_download_cut_once_is_resumed_where_it_stopped():
    """test_a_cut_download_is_resumed_with_range, without the server."""
    headers, _ = next_request(Received())
    assert 'Range' not in headers
    decision = on_answer(Received(), 200, WHOLE)
    assert isinstance(decision, Accept)
    decision = after_body(replace(decision.received, offset=5000), 'cut')
    assert isinstance(decision, AskAgain)
    state = decision.received
    headers, drop = next_request(state)
    assert headers['Range'] == 'bytes=5000-' and headers['If-Range'] == ETAG and not drop
    decision = on_answer(state, 206, part(5000))
    assert isinstance(decision, Resume)
    assert after_body(replace(decision.received, offset=SIZE), None) == Complete()


def test_without_ranges_a_download_that_gets_no_further_is_given_up():
    """test_without_ranges_gives_up_when_no_answer_gets_further, without the server:
    the first cut brought bytes, then MAX_STALLS answers that got no further."""
    state, connections = Received(), 0
    for connections in range(1, 20):
        headers, drop = next_request(state)
        if drop:
            state = replace(state, offset=0)
        assert 'Range' not in headers
        decision = on_answer(state, 200, {'Content-Length': str(SIZE)})
        assert isinstance(decision, (Accept, Restart))
        decision = after_body(replace(decision.received, offset=SIZE // 2), 'cut')
        if isinstance(decision, Refuse):
            break
        state = decision.received
    assert connections == 1 + MAX_STALLS
    assert 'connection broke (cut)' in decision.reason


# --- lengths ------------------------------------------------------------------------

def test_length_problems():
    assert length_problem(SIZE, SIZE, SIZE) is None
    assert length_problem(SIZE, None, None) is None
    assert length_problem(SIZE, SIZE + 1, None) == (
        f'received {SIZE} bytes, the server announced {SIZE + 1} (Content-Length)')
    assert length_problem(SIZE, None, SIZE - 1) == (
        f'received {SIZE} bytes, the image engine announced {SIZE - 1}')


def test_content_range_and_total_length():
    assert content_range_start('bytes 1000-1999/2000') == 1000
    assert content_range_start('Bytes 0-0/1') == 0
    assert content_range_start('bytes */2000') is None
    assert content_range_start(None) is None
    assert total_length(206, {'content-range': 'bytes 1000-1999/2000'}, 1000) == 2000
    assert total_length(206, {'content-range': 'bytes 1000-1999/*',
                              'content-length': '1000'}, 1000) == 2000
    assert total_length(200, {'content-length': '2000'}, 1000) == 2000
    assert total_length(200, {'content-length': 'many'}, 0) is None
    assert total_length(200, {}, 0) is None
