"""The never-twice rule as a pure function: every branch of `decide`, and `lost_answer`.

No server, no client: what happened to ``0-rb-submit`` and what each look at
the queue showed are given as values, and the decision is checked.
"""
from __future__ import annotations

import http.client

import pytest
import requests
from hypothesis import given, settings, strategies as st
from urllib3.exceptions import (MaxRetryError, NewConnectionError, ProtocolError,
                                ReadTimeoutError)

from telescope_query.exceptions import (HTTPStatusError, LoginError, QueueFullError, RemoteServiceError,
                                        SubmissionError)
from telescope_query.submit.never_twice import (AMBIGUOUS, MAX_SENDS, SUBMIT_ATTEMPTS,
                                                UNSETTLED, Accepted, Attempt, Done, Found,
                                                Lost, LostAnswer, NotFound, RefillAndSend,
                                                Refused, SearchFailed, SearchQueue, SendAgain,
                                                Stop, Unsure, decide, lost_answer, lost_kind)

NAME = 'SS Cyg'
LOST_KINDS = list(Lost)
#: The kinds after which an empty queue shows that nothing was made.
SETTLED_KINDS = [kind for kind in Lost if kind not in UNSETTLED]
UNSETTLED_KINDS = [kind for kind in Lost if kind in UNSETTLED]
WAITS = (5.0, 10.0, 20.0)
#: Words of the protocol a user must never read in a message.
JARGON = ('basket', 'rb-submit', 'request-constructor', 'api-user', 'ERR_')


def lost(kind: Lost = Lost.HTTP_ERROR, detail: str = 'the server answered HTTP 500'
         ) -> LostAnswer:
    return LostAnswer(kind, detail)


def plain(message: str) -> bool:
    return not any(word in message for word in JARGON)


# --- An answer that says what happened -------------------------------------------------

@pytest.mark.parametrize('attempt', [Attempt(), Attempt(2, refilled=True, lost=('x',))])
def test_an_id_is_done_without_a_search(attempt):
    assert decide(attempt, Accepted(771144, 'OK'), name=NAME) == Done(771144)


def test_a_lost_basket_is_refilled_once_without_counting_an_attempt():
    decision = decide(Attempt(), Refused('ERR_BASKET_EMPTY'), name=NAME)
    assert decision == RefillAndSend(Attempt(1, refilled=True))
    again = decide(decision.next, Refused('ERR_BASKET_EMPTY'), name=NAME)
    assert isinstance(again, Stop) and again.refusal and again.status == 'ERR_BASKET_EMPTY'


def test_a_refill_keeps_what_came_before():
    before = Attempt(2, lost=('HTTP 500',))
    assert decide(before, Refused('ERR_BASKET_EMPTY'), name=NAME) == \
        RefillAndSend(Attempt(2, refilled=True, lost=('HTTP 500',)))


@pytest.mark.parametrize('status', ['ERR_BAD_EXPOSURE', 'ERR_QUEUE_FULL', None])
def test_other_refusals_stop_with_the_refusal(status):
    decision = decide(Attempt(), Refused(status), name=NAME)
    assert isinstance(decision, Stop) and decision.refusal and decision.status == status
    assert NAME in decision.message and plain(decision.message)


# --- An answer that may hide a request: the queue first -------------------------------------

@pytest.mark.parametrize('call', [Accepted(None, 'OK')] + [lost(k) for k in LOST_KINDS])
def test_the_queue_is_looked_at_at_once_before_anything_else(call):
    assert decide(Attempt(), call, name=NAME, waits=WAITS) == \
        SearchQueue(0.0, Attempt(looks=1))
    assert decide(Attempt(2, refilled=True), call, name=NAME) == \
        SearchQueue(0.0, Attempt(2, refilled=True, looks=1))


@pytest.mark.parametrize('call', [Accepted(None, 'OK')] + [lost(k) for k in LOST_KINDS])
@pytest.mark.parametrize('looks', [1, 2, 4])
def test_a_request_found_in_the_queue_is_done(call, looks):
    assert decide(Attempt(looks=looks), call, Found(42), name=NAME, waits=WAITS) == Done(42)
    assert decide(Attempt(SUBMIT_ATTEMPTS, looks=looks), call, Found(42), name=NAME) == \
        Done(42)


@pytest.mark.parametrize('kind', SETTLED_KINDS)
def test_nothing_in_the_queue_sends_again_as_the_next_attempt(kind):
    decision = decide(Attempt(1, refilled=True, looks=1), lost(kind, 'first'), NotFound(),
                      name=NAME, waits=WAITS)
    assert decision == SendAgain(Attempt(2, refilled=True, lost=('first',), looks=0))


@pytest.mark.parametrize('kind', SETTLED_KINDS)
def test_nothing_in_the_queue_after_the_last_attempt_is_ambiguous(kind):
    decision = decide(Attempt(SUBMIT_ATTEMPTS, lost=('first',), looks=1),
                      lost(kind, 'second'), NotFound(), name=NAME, waits=WAITS)
    assert decision == Stop(AMBIGUOUS, decision.message)
    assert not decision.refusal
    assert 'twice' in decision.message and 'first; second' in decision.message
    assert plain(decision.message)


@pytest.mark.parametrize('kind', SETTLED_KINDS)
def test_one_attempt_allowed_is_never_sent_again(kind):
    """The legacy form flow allows one attempt: an empty queue is AMBIGUOUS."""
    decision = decide(Attempt(looks=1), lost(kind, 'the server answered HTTP 500'),
                      NotFound(), name=NAME, waits=WAITS, attempts=1)
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS
    assert 'once' in decision.message and 'HTTP 500' in decision.message


# --- A server that may still be saving the request: look again, never send again ---------------

@pytest.mark.parametrize('kind', UNSETTLED_KINDS)
def test_unsettled_losses_look_again_after_each_wait_then_are_ambiguous(kind):
    attempt = Attempt(looks=1)
    seen_waits = []
    for _ in range(len(WAITS)):
        decision = decide(attempt, lost(kind, 'what happened'), NotFound(), name=NAME,
                          waits=WAITS)
        assert isinstance(decision, SearchQueue)
        seen_waits.append(decision.wait)
        attempt = decision.next
    assert seen_waits == list(WAITS) and attempt.looks == len(WAITS) + 1
    final = decide(attempt, lost(kind, 'what happened'), NotFound(), name=NAME, waits=WAITS)
    assert isinstance(final, Stop) and final.status == AMBIGUOUS and not final.refusal
    assert 'may still make it' in final.message and 'what happened' in final.message
    assert f'{len(WAITS) + 1} times over {sum(WAITS):g} s' in final.message
    assert plain(final.message)


@pytest.mark.parametrize('kind', UNSETTLED_KINDS)
@pytest.mark.parametrize('number', range(1, SUBMIT_ATTEMPTS + 1))
def test_unsettled_losses_are_never_sent_again_even_without_waits(kind, number):
    decision = decide(Attempt(number, looks=1), lost(kind, 'Read timed out'), NotFound(),
                      name=NAME)
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS
    assert 'may still make it' in decision.message and 'Read timed out' in decision.message
    assert 'looked at once' in decision.message


def test_the_gateway_and_a_stalled_answer_are_unsettled_a_500_is_not():
    assert {Lost.READ_TIMEOUT, Lost.STALLED, Lost.GATEWAY, Lost.NO_ANSWER} == UNSETTLED
    assert Lost.HTTP_ERROR not in UNSETTLED and Lost.CUT not in UNSETTLED


def test_accepted_without_an_id_looks_again_then_stops_ambiguous():
    # The server said it made the request: one the queue does not show is not
    # known either way, and a program reading status must not send it again.
    again = decide(Attempt(looks=1), Accepted(None, 'OK'), NotFound(), name=NAME, waits=(1.0,))
    assert again == SearchQueue(1.0, Attempt(looks=2))
    decision = decide(again.next, Accepted(None, 'OK'), NotFound(), name=NAME, waits=(1.0,))
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS and not decision.refusal
    assert 'gave no request id' in decision.message and plain(decision.message)


# --- A queue that cannot tell ------------------------------------------------------------------

@pytest.mark.parametrize('call', [Accepted(None, 'OK')] + [lost(k) for k in LOST_KINDS])
@pytest.mark.parametrize('looks', [1, 3])
def test_a_request_that_may_be_it_is_ambiguous_at_once(call, looks):
    decision = decide(Attempt(looks=looks), call, Unsure("a new request: R7 ('SS Cyg_M')"),
                      name=NAME, waits=WAITS)
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS
    assert "R7 ('SS Cyg_M')" in decision.message and plain(decision.message)


@pytest.mark.parametrize('kind', LOST_KINDS)
def test_a_queue_that_cannot_be_read_is_ambiguous(kind):
    decision = decide(Attempt(looks=1), lost(kind, 'HTTP 502'), SearchFailed('listing broken'),
                      name=NAME, waits=WAITS)
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS
    assert 'HTTP 502' in decision.message and 'listing broken' in decision.message


def test_accepted_without_an_id_and_an_unreadable_queue_is_ambiguous():
    decision = decide(Attempt(looks=1), Accepted(None, 'OK'), SearchFailed('listing broken'),
                      name=NAME)
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS
    assert 'listing broken' in decision.message


# --- Whatever happens: a bounded loop, and never a second request -----------------------------

calls = st.one_of(st.builds(Accepted, st.one_of(st.none(), st.integers(1, 10 ** 6)),
                            st.sampled_from(['OK', None])),
                  st.builds(Refused, st.sampled_from(['ERR_BASKET_EMPTY', 'ERR_X', None])),
                  st.builds(LostAnswer, st.sampled_from(LOST_KINDS), st.just('lost')))
searches = st.one_of(st.builds(Found, st.integers(1, 10 ** 6)), st.just(NotFound()),
                     st.builds(Unsure, st.just('maybe')),
                     st.builds(SearchFailed, st.just('broken')))
waits = st.lists(st.floats(0, 100), max_size=4).map(tuple)


@settings(max_examples=300, deadline=None)
@given(script=st.lists(st.tuples(calls, st.lists(searches, min_size=5, max_size=5)),
                       min_size=MAX_SENDS, max_size=MAX_SENDS),
       schedule=waits, attempts=st.integers(1, SUBMIT_ATTEMPTS))
def test_any_run_ends_within_max_sends_and_sends_only_when_nothing_was_made(
        script, schedule, attempts):
    """The loop of ``send.submit_plan``, driven by a script of what each send and
    each look met."""
    attempt = Attempt()
    for call, looks in script:
        decision = decide(attempt, call, name=NAME, waits=schedule, attempts=attempts)
        seen = []
        while isinstance(decision, SearchQueue):
            assert len(seen) <= len(schedule), 'more looks than waits allow'
            assert decision.wait == (0.0 if not seen else schedule[len(seen) - 1])
            seen.append(looks[len(seen)])
            decision = decide(decision.next, call, seen[-1], name=NAME, waits=schedule,
                              attempts=attempts)
        if isinstance(decision, (Done, Stop)):
            return
        # Sent again only when this send surely made nothing.
        if isinstance(decision, RefillAndSend):
            assert isinstance(call, Refused) and not attempt.refilled
        else:
            assert isinstance(decision, SendAgain)
            assert seen and set(seen) == {NotFound()} and isinstance(call, LostAnswer)
            assert call.kind not in UNSETTLED and len(seen) == 1
            assert decision.next.number == attempt.number + 1 <= attempts
        attempt = decision.next
    pytest.fail(f'no Done or Stop after {MAX_SENDS} sends: {script}')


# --- lost_answer: from the session's exceptions ------------------------------------------------

def chained(cause: BaseException | None, message: str = 'request-constructor/0-rb-submit: '
            'no answer from http://127.0.0.1/api-user.php') -> RemoteServiceError:
    """A RemoteServiceError as the session raises it, ``from`` the transport's exception."""
    try:
        raise RemoteServiceError(message) from cause
    except RemoteServiceError as error:
        return error


def http_error(code: int) -> RemoteServiceError:
    """An HTTP error status as the session raises it (no ``__cause__``)."""
    return HTTPStatusError(f'request-constructor/0-rb-submit: HTTP {code} from '
                           f'http://127.0.0.1/api-user.php: oops', code)


def test_a_read_timeout_is_told_from_a_connect_timeout():
    assert lost_kind(chained(requests.ReadTimeout('read'))) is Lost.READ_TIMEOUT
    assert lost_kind(chained(requests.ConnectTimeout('connect'))) is Lost.CONNECT


def test_a_body_that_stops_coming_is_told_from_one_cut_short():
    # What requests raises when the headers came and the body's read times out.
    stalled = requests.ConnectionError(ReadTimeoutError(None, '/api-user.php',
                                                        'Read timed out.'))
    assert lost_kind(chained(stalled)) is Lost.STALLED
    assert lost_kind(chained(requests.exceptions.ChunkedEncodingError('short'))) is Lost.CUT


def test_a_refused_connection_is_told_from_one_closed_without_an_answer():
    refused = requests.ConnectionError(MaxRetryError(
        None, '/api-user.php', NewConnectionError(None, 'Connection refused')))
    assert lost_kind(chained(refused)) is Lost.CONNECT


@pytest.mark.parametrize('reason', [
    ProtocolError('Connection aborted.', http.client.RemoteDisconnected('closed')),
    ProtocolError('Connection aborted.', ConnectionResetError(104, 'reset by peer')),
    MaxRetryError(None, '/api-user.php', ProtocolError(
        'Connection aborted.', http.client.RemoteDisconnected('closed'))),
    ConnectionResetError(104, 'reset by peer'),
])
def test_a_connection_closed_before_any_answer_is_unsettled(reason):
    # The request was sent and the connection closed before the status line: a
    # proxy that gave up on a slow site does that, and the site may still be
    # saving the request. requests reports it as a ConnectionError (an answer
    # cut after its headers is a ChunkedEncodingError, below).
    found = lost_answer(chained(requests.ConnectionError(reason)))
    assert found is not None and found.kind is Lost.NO_ANSWER and found.kind in UNSETTLED
    assert plain(found.detail) and 'closed' in found.detail
    assert lost_kind(chained(requests.exceptions.ChunkedEncodingError('short'))) is Lost.CUT


def test_a_read_timeout_inside_urllib3s_retry_error_is_a_read_timeout():
    slow = MaxRetryError(None, '/api-user.php', ReadTimeoutError(None, '/x', 'Read timed out.'))
    assert lost_kind(chained(requests.ConnectionError(slow))) is Lost.READ_TIMEOUT


@pytest.mark.parametrize('code, kind', [(500, Lost.HTTP_ERROR), (501, Lost.HTTP_ERROR),
                                        (502, Lost.GATEWAY), (503, Lost.GATEWAY),
                                        (504, Lost.GATEWAY), (429, Lost.HTTP_ERROR)])
def test_a_gateway_error_is_told_from_the_sites_own(code, kind):
    found = lost_answer(http_error(code))
    assert found is not None and found.kind is kind
    assert found.detail == f'the server answered HTTP {code}'


def test_an_http_error_is_told_from_a_broken_body():
    assert lost_kind(chained(None, 'request-constructor/0-rb-submit: expected a JSON answer '
                                   "from api-user.php, got '<html>'")) is Lost.CUT
    # A body that quotes a status is no status: only the session's HTTPStatusError is.
    assert lost_kind(chained(None, 'request-constructor/0-rb-submit: HTTP 503 from '
                                   'http://127.0.0.1/api-user.php (quoted)')) is Lost.CUT


@pytest.mark.parametrize('error', [
    chained(requests.ReadTimeout('read')), chained(requests.ConnectTimeout('c')),
    chained(requests.exceptions.ChunkedEncodingError('short')), http_error(503),
    chained(requests.ConnectionError(ReadTimeoutError(None, '/x', 'Read timed out.')))])
def test_what_a_lost_answer_says_is_for_users(error):
    found = lost_answer(error)
    assert found is not None and plain(found.detail) and 'http://' not in found.detail


@pytest.mark.parametrize('error', [
    SubmissionError('refused', status='ERR_X'), QueueFullError('full', status='ERR_QUEUE_FULL'),
    LoginError('logged out'), ValueError('a bug'), KeyError('data')])
def test_refusals_session_problems_and_bugs_are_no_lost_answers(error):
    assert lost_kind(error) is None and lost_answer(error) is None
