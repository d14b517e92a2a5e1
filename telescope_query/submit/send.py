"""One request into the queue through the request basket, never twice.

``0-rb-clear`` and ``0-rb-set`` fill this session's basket and may be
repeated; ``0-rb-submit`` makes the request and is sent once per attempt.
What follows each send, searching the queue included, is decided by
`telescope_query.submit.never_twice.decide`; this module only carries it
out. See ``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

from typing import Any

from ..contract import Client
from ..exceptions import SubmissionError
from ..protocol import basket, user_api
from . import never_twice
from .never_twice import (Accepted, Attempt, CallOutcome, Done, Found, LostAnswer,
                          NotFound, RefillAndSend, Refused, SearchFailed, SearchQueue,
                          SearchResult, SendAgain, Stop)
from .plan import SubmissionPlan
from .queue import find_submitted, read_queue

__all__ = ['basket_params', 'submit_plan']


def basket_params(plan: SubmissionPlan) -> dict[str, Any]:
    """The ``0-rb-set`` parameters of a validated plan."""
    return basket.set_params(telescope_id=plan.telescope_id, exposure_ms=plan.exposure_ms,
                             filter=plan.filter, object_name=plan.object_name,
                             object_id=plan.object_id, comment=plan.comment,
                             dark_frame=plan.dark_frame)


def submit_plan(client: Client, plan: SubmissionPlan, *, before: set[int] | None = None) -> int:
    """Put one validated request in the queue; return its request id.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        A logged-in client.
    plan : `~telescope_query.submit.plan.SubmissionPlan`
        What to submit.
    before : set of int, optional
        Ids of the Inbox listed just before (a batch passes its own listing);
        read here when not given.

    Raises
    ------
    SubmissionError
        The server refused (``status`` holds its word), or the outcome stays
        unknown after the queue was searched (``status`` is ``'AMBIGUOUS'``).
    """
    client._require_login()
    params = basket_params(plan)
    if before is None:
        before = {entry.rid for entry in read_queue(client)}
    attempt = Attempt()
    for _ in range(never_twice.MAX_SENDS):
        _fill_basket(client, params)
        call, error = _submit_once(client)
        decision = never_twice.decide(attempt, call, name=plan.object_name)
        if isinstance(decision, SearchQueue):
            decision = never_twice.decide(attempt, call, _search(client, plan, before),
                                          name=plan.object_name)
        if isinstance(decision, Done):
            return decision.rid
        if isinstance(decision, (SendAgain, RefillAndSend)):
            attempt = decision.next
            continue
        if isinstance(decision, Stop):
            if decision.refusal and isinstance(error, SubmissionError):
                raise error                         # the server's refusal, as it was raised
            raise SubmissionError(decision.message, status=decision.status) from error
        raise AssertionError(f'never_twice.decide asked for {decision!r} after a search')
    raise AssertionError(f'never_twice.decide stops within {never_twice.MAX_SENDS} sends')


def _call(client: Client, call: user_api.ApiCall, *, idempotent: bool = True
          ) -> dict[str, Any]:
    return client._api_call(call.module, call.request, call.params,
                            idempotent=idempotent, allow_failure=True)


def _fill_basket(client: Client, params: dict[str, Any]) -> None:
    """``0-rb-clear`` then ``0-rb-set``: safe to repeat, retried by the transport."""
    basket.check_answer(_call(client, basket.clear_call()), basket.CLEAR)
    basket.check_answer(_call(client, basket.set_call(params)), basket.SET, params=params)


def _submit_once(client: Client) -> tuple[CallOutcome, Exception | None]:
    """``0-rb-submit``, sent once: what happened, and the exception that told it."""
    try:
        answer = _call(client, basket.submit_call(), idempotent=False)
    except Exception as error:
        kind = never_twice.lost_kind(error)
        if kind is None:
            raise
        return LostAnswer(kind, str(error)), error
    status = answer.get('status')
    try:
        rid = basket.parse_submit(answer)
    except SubmissionError as refusal:
        return Refused(refusal.status), refusal
    return Accepted(rid, None if status is None else str(status)), None


def _search(client: Client, plan: SubmissionPlan, before: set[int]) -> SearchResult:
    """The queue searched for a request made for ``plan`` since ``before``."""
    try:
        rid = find_submitted(client, plan, before)
    except Exception as error:      # whatever stops the listing, the outcome stays open
        return SearchFailed(str(error))
    return NotFound() if rid is None else Found(rid)
