"""One request into the queue through the request basket, never twice.

``0-rb-clear`` and ``0-rb-set`` fill this session's basket and may be
repeated; ``0-rb-submit`` makes the request and is sent once per attempt.
What follows each send, searching the queue included, is decided by
`telescope_query.submit.never_twice.decide`; this module only carries it
out. See ``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

import contextlib
import time
from typing import Any, Callable, Iterator

from .. import conf
from ..contract import Client
from ..exceptions import RemoteServiceError, SubmissionError
from ..protocol import basket, user_api
from . import never_twice
from .never_twice import (Accepted, Attempt, CallOutcome, Decision, Done, RefillAndSend,
                          Refused, SearchFailed, SearchQueue, SearchResult, SendAgain, Stop)
from .plan import SubmissionPlan
from .queue import find_submitted, read_queue
from .serial import one_at_a_time

__all__ = ['basket_params', 'submit_plan', 'recheck_waits', 'settle', 'before_the_final_call',
           'MAX_RECHECKS']

#: Further looks at the queue at most, whatever ``conf.submit_rechecks`` says.
MAX_RECHECKS = 10


def basket_params(plan: SubmissionPlan) -> dict[str, Any]:
    """The ``0-rb-set`` parameters of a validated plan."""
    return basket.set_params(telescope_id=plan.telescope_id, exposure_ms=plan.exposure_ms,
                             filter=plan.filter, object_name=plan.object_name,
                             object_id=plan.object_id, comment=plan.comment,
                             dark_frame=plan.dark_frame)


def submit_plan(client: Client, plan: SubmissionPlan, *, before: set[int] | None = None) -> int:
    """Put one validated request in the queue; return its request id.

    One submission at a time per client (`telescope_query.submit.serial`):
    the basket belongs to the session.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        A logged-in client.
    plan : `~telescope_query.submit.plan.SubmissionPlan`
        What to submit.
    before : set of int, optional
        Ids of the Inbox listed just before (a batch passes its own listing,
        read while it holds the client's submission lock); read here when
        not given.

    Raises
    ------
    SubmissionError
        The server refused (``status`` holds its word), or the outcome stays
        unknown after the queue was looked at (``status`` is ``'AMBIGUOUS'``).
    """
    client._require_login()
    params = basket_params(plan)
    with one_at_a_time(client):
        if before is None:
            before = {entry.rid for entry in read_queue(client)}
        attempt = Attempt()
        for _ in range(never_twice.MAX_SENDS):
            _fill_basket(client, params, plan.object_name)
            call, error = _submit_once(client, plan.object_name)
            decision = settle(client, plan, before, attempt, call)
            if isinstance(decision, Done):
                return decision.rid
            if isinstance(decision, (SendAgain, RefillAndSend)):
                attempt = decision.next
                continue
            assert isinstance(decision, Stop)
            if decision.refusal and isinstance(error, SubmissionError):
                raise error                         # the server's refusal, as it was raised
            raise SubmissionError(decision.message, status=decision.status) from error
    raise AssertionError(f'never_twice.decide stops within {never_twice.MAX_SENDS} sends')


def recheck_waits() -> tuple[float, ...]:
    """Seconds to wait before each further look at the queue (from ``conf``).

    ``conf.submit_rechecks`` looks, the first after ``conf.submit_recheck_wait``
    seconds, each later wait twice the one before.
    """
    first = max(0.0, float(conf.submit_recheck_wait))
    count = min(max(0, int(conf.submit_rechecks)), MAX_RECHECKS)
    return tuple(first * 2 ** number for number in range(count))


def settle(client: Client, plan: SubmissionPlan, before: set[int], attempt: Attempt,
           call: CallOutcome, *, attempts: int = never_twice.SUBMIT_ATTEMPTS,
           sleep: Callable[[float], None] | None = None) -> Decision:
    """What ``never_twice.decide`` says after ``call``, looking at the queue as it asks.

    Returns any decision but `SearchQueue`: the looks and the waits between
    them (`recheck_waits`, waited with ``sleep``, by default `time.sleep`) are
    done here, at most ``1 + len(waits)`` looks.
    """
    waits = recheck_waits()
    decision = never_twice.decide(attempt, call, name=plan.object_name, waits=waits,
                                  attempts=attempts)
    for _ in range(len(waits) + 2):
        if not isinstance(decision, SearchQueue):
            return decision
        if decision.wait > 0:
            (sleep or time.sleep)(decision.wait)
        decision = never_twice.decide(decision.next, call, _search(client, plan, before),
                                      name=plan.object_name, waits=waits, attempts=attempts)
    raise AssertionError(f'never_twice.decide looks {len(waits) + 1} times at most')


def _call(client: Client, call: user_api.ApiCall, *, idempotent: bool = True
          ) -> dict[str, Any]:
    return client._api_call(call.module, call.request, call.params,
                            idempotent=idempotent, allow_failure=True)


def _fill_basket(client: Client, params: dict[str, Any], name: str) -> None:
    """``0-rb-clear`` then ``0-rb-set``: safe to repeat, retried by the transport.

    An answer lost here (after the transport's retries) made nothing: it is
    said in words, the session's message (which names the calls) chained.
    """
    with before_the_final_call(name):
        basket.check_answer(_call(client, basket.clear_call()), basket.CLEAR, name=name)
        basket.check_answer(_call(client, basket.set_call(params)), basket.SET,
                            params=params, name=name)


@contextlib.contextmanager
def before_the_final_call(name: str) -> Iterator[None]:
    """Word an answer lost before the call that creates a request: nothing was made.

    The session's message names the calls; it stays chained. A refusal or a
    session problem is raised as it was.
    """
    try:
        yield
    except RemoteServiceError as error:
        lost = never_twice.lost_answer(error)
        if lost is None:
            raise
        raise RemoteServiceError(f"the request for {name!r} was not made: the server could "
                                 f"not take its details ({lost.detail}); nothing was sent "
                                 f"to create it, so it may be submitted again") from error


def _submit_once(client: Client, name: str) -> tuple[CallOutcome, Exception | None]:
    """``0-rb-submit``, sent once: what happened, and the exception that told it."""
    try:
        answer = _call(client, basket.submit_call(), idempotent=False)
    except Exception as error:
        lost = never_twice.lost_answer(error)
        if lost is None:
            raise
        return lost, error
    status = answer.get('status')
    try:
        rid = basket.parse_submit(answer, name=name)
    except SubmissionError as refusal:
        return Refused(refusal.status), refusal
    return Accepted(rid, None if status is None else str(status)), None


def _search(client: Client, plan: SubmissionPlan, before: set[int]) -> SearchResult:
    """The queue searched for a request made for ``plan`` since ``before``."""
    try:
        return find_submitted(client, plan, before)
    except Exception as error:      # whatever stops the listing, the outcome stays open
        lost = never_twice.lost_answer(error)
        return SearchFailed(str(error) if lost is None else lost.detail)
