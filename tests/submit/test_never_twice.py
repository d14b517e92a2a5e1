"""The never-twice rule as a pure function: every branch of `decide`, and `lost_kind`.

No server, no client: what happened to ``0-rb-submit`` and what the queue
showed are given as values, and the decision is checked.
"""
from __future__ import annotations

import http.client

import pytest
import requests
from hypothesis import given, settings, strategies as st
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from telescope_query.exceptions import (LoginError, QueueFullError, RemoteServiceError,
                                        SubmissionError)
from telescope_query.submit.never_twice import (AMBIGUOUS, MAX_SENDS, SUBMIT_ATTEMPTS,
                                                Accepted, Attempt, Done, Found, Lost,
                                                LostAnswer, NotFound, RefillAndSend, Refused,
                                                SearchFailed, SearchQueue, SendAgain, Stop,
                                                decide, lost_kind)

NAME = 'SS Cyg'
LOST_KINDS = list(Lost)
#: The kinds after which an empty queue shows that nothing was made.
SETTLED_KINDS = [kind for kind in Lost if kind is not Lost.READ_TIMEOUT]


def lost(kind: Lost = Lost.HTTP_ERROR, detail: str = 'HTTP 500') -> LostAnswer:
    return LostAnswer(kind, detail)


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
    assert (status or 'no status given') in decision.message and NAME in decision.message


# --- An answer that may hide a request: the queue first -------------------------------------

@pytest.mark.parametrize('call', [Accepted(None, 'OK')] + [lost(k) for k in LOST_KINDS])
def test_the_queue_is_searched_before_anything_else(call):
    assert decide(Attempt(), call, name=NAME) == SearchQueue()
    assert decide(Attempt(2, refilled=True), call, name=NAME) == SearchQueue()


@pytest.mark.parametrize('call', [Accepted(None, 'OK')] + [lost(k) for k in LOST_KINDS])
def test_a_request_found_in_the_queue_is_done(call):
    assert decide(Attempt(), call, Found(42), name=NAME) == Done(42)
    assert decide(Attempt(SUBMIT_ATTEMPTS), call, Found(42), name=NAME) == Done(42)


@pytest.mark.parametrize('kind', SETTLED_KINDS)
def test_nothing_in_the_queue_sends_again_as_the_next_attempt(kind):
    decision = decide(Attempt(1, refilled=True), lost(kind, 'first'), NotFound(), name=NAME)
    assert decision == SendAgain(Attempt(2, refilled=True, lost=('first',)))


@pytest.mark.parametrize('kind', SETTLED_KINDS)
def test_nothing_in_the_queue_after_the_last_attempt_is_ambiguous(kind):
    decision = decide(Attempt(SUBMIT_ATTEMPTS, lost=('first',)), lost(kind, 'second'),
                      NotFound(), name=NAME)
    assert decision == Stop(AMBIGUOUS, decision.message)
    assert not decision.refusal
    assert f'failed {SUBMIT_ATTEMPTS} times' in decision.message
    assert 'first; second' in decision.message


@pytest.mark.parametrize('number', range(1, SUBMIT_ATTEMPTS + 1))
def test_a_read_timeout_with_an_empty_queue_is_never_sent_again(number):
    decision = decide(Attempt(number), lost(Lost.READ_TIMEOUT, 'Read timed out'), NotFound(),
                      name=NAME)
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS
    assert 'may still make it' in decision.message and 'Read timed out' in decision.message


@pytest.mark.parametrize('kind', LOST_KINDS)
def test_a_queue_that_cannot_be_read_is_ambiguous(kind):
    decision = decide(Attempt(), lost(kind, 'HTTP 502'), SearchFailed('listing broken'),
                      name=NAME)
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS
    assert 'HTTP 502' in decision.message and 'listing broken' in decision.message


def test_accepted_without_an_id_and_not_listed_stops_with_the_answers_status():
    decision = decide(Attempt(), Accepted(None, 'OK'), NotFound(), name=NAME)
    assert isinstance(decision, Stop) and decision.status == 'OK' and not decision.refusal
    assert 'gave no request id' in decision.message


def test_accepted_without_an_id_and_an_unreadable_queue_is_ambiguous():
    decision = decide(Attempt(), Accepted(None, 'OK'), SearchFailed('listing broken'),
                      name=NAME)
    assert isinstance(decision, Stop) and decision.status == AMBIGUOUS
    assert 'listing broken' in decision.message


# --- Whatever happens: a bounded loop, and never a second request -----------------------------

calls = st.one_of(st.builds(Accepted, st.one_of(st.none(), st.integers(1, 10 ** 6)),
                            st.sampled_from(['OK', None])),
                  st.builds(Refused, st.sampled_from(['ERR_BASKET_EMPTY', 'ERR_X', None])),
                  st.builds(LostAnswer, st.sampled_from(LOST_KINDS), st.just('lost')))
searches = st.one_of(st.builds(Found, st.integers(1, 10 ** 6)), st.just(NotFound()),
                     st.builds(SearchFailed, st.just('broken')))


@settings(max_examples=300, deadline=None)
@given(script=st.lists(st.tuples(calls, searches), min_size=MAX_SENDS, max_size=MAX_SENDS))
def test_any_run_ends_within_max_sends_and_sends_only_when_nothing_was_made(script):
    """The loop of ``send.submit_plan``, driven by a script of what each send met."""
    attempt = Attempt()
    for sends, (call, search) in enumerate(script, start=1):
        decision = decide(attempt, call, name=NAME)
        searched = isinstance(decision, SearchQueue)
        if searched:
            decision = decide(attempt, call, search, name=NAME)
            assert not isinstance(decision, SearchQueue)
        if isinstance(decision, (Done, Stop)):
            return
        # Sent again only when this send surely made nothing.
        if isinstance(decision, RefillAndSend):
            assert isinstance(call, Refused) and not attempt.refilled
        else:
            assert isinstance(decision, SendAgain)
            assert searched and search == NotFound() and isinstance(call, LostAnswer)
            assert call.kind is not Lost.READ_TIMEOUT
            assert decision.next.number == attempt.number + 1 <= SUBMIT_ATTEMPTS
        attempt = decision.next
    pytest.fail(f'no Done or Stop after {MAX_SENDS} sends: {script}')


# --- lost_kind: from the session's exceptions ------------------------------------------------

def chained(cause: BaseException | None, message: str = 'request-constructor/0-rb-submit: '
            'no answer from http://127.0.0.1/api-user.php') -> RemoteServiceError:
    """A RemoteServiceError as the session raises it, ``from`` the transport's exception."""
    try:
        raise RemoteServiceError(message) from cause
    except RemoteServiceError as error:
        return error


def test_a_read_timeout_is_told_from_a_connect_timeout():
    assert lost_kind(chained(requests.ReadTimeout('read'))) is Lost.READ_TIMEOUT
    assert lost_kind(chained(requests.ConnectTimeout('connect'))) is Lost.CONNECT


def test_a_refused_connection_is_told_from_one_cut_midway():
    refused = requests.ConnectionError(MaxRetryError(
        None, '/api-user.php', NewConnectionError(None, 'Connection refused')))
    cut = requests.ConnectionError(ProtocolError(
        'Connection aborted.', http.client.RemoteDisconnected('closed')))
    assert lost_kind(chained(refused)) is Lost.CONNECT
    assert lost_kind(chained(cut)) is Lost.CUT
    assert lost_kind(chained(requests.exceptions.ChunkedEncodingError('short'))) is Lost.CUT


def test_an_http_error_is_told_from_a_broken_body():
    assert lost_kind(chained(None, 'request-constructor/0-rb-submit: HTTP 500 from '
                                   'http://127.0.0.1/api-user.php: oops')) is Lost.HTTP_ERROR
    assert lost_kind(chained(None, 'request-constructor/0-rb-submit: expected a JSON answer '
                                   "from api-user.php, got '<html>'")) is Lost.CUT


@pytest.mark.parametrize('error', [
    SubmissionError('refused', status='ERR_X'), QueueFullError('full', status='ERR_QUEUE_FULL'),
    LoginError('logged out'), ValueError('a bug'), KeyError('data')])
def test_refusals_session_problems_and_bugs_are_no_lost_answers(error):
    assert lost_kind(error) is None
