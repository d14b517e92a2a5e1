"""Submission I/O: one request into the queue, never twice (the basket, the legacy forms).

This module talks to the site only through the client's private methods of
``docs/internals.rst`` (``_api_call``, ``_page``, ``_session_generation``) and
its public ``get_requests``; the validation and payloads it sends come from the pure
modules `telescope_query.submission`, `telescope_query.protocol.basket` and
`telescope_query.protocol.request_form`. The batch of ``submit_missing`` is
`telescope_query.submit_batch`, which uses `read_queue` and `submit_plan`.

Never twice
-----------
``0-rb-clear`` and ``0-rb-set`` only change this session's basket: they go
through the retrying transport. ``0-rb-submit`` creates a request: it is sent
once (``idempotent=False``). When its answer is lost (a timeout, a cut
connection, an HTTP 5xx, a broken body) the request may or may not exist, so
before sending again the queue is searched for it: a request of the same
object name and position that was not in the queue just before the
submission (the listing gives no telescope, filter or exposure [seen]). The
comparison uses request ids, not clocks, so a server
whose clock differs from ours changes nothing. Only when no such request is
found is the basket filled and submitted once more. After a *timeout* the
server may still be working on the call, so an empty search proves nothing:
then no second submission is made and `SubmissionError` (status
``'AMBIGUOUS'``) asks the user to look at the queue.
"""
from __future__ import annotations

from typing import Any

import requests

from ..exceptions import LoginError, RemoteServiceError, SubmissionError
from ..protocol import basket, pages, request_form, user_api
from .plan import SubmissionPlan
from .queue import find_submitted, read_queue

__all__ = ['basket_params', 'submit_plan', 'submit_form', 'SUBMIT_ATTEMPTS']

#: Submissions of one request at most; the second only after the queue showed
#: that the first did not create it.
SUBMIT_ATTEMPTS = 2
#: Statuses of a refused 0-rb-submit after which the basket is filled again and
#: the submission repeated once: the server created nothing. ERR_BASKET_EMPTY
#: follows a session renewed between 0-rb-set and 0-rb-submit (the basket
#: belongs to the old session). These words are [assumed] (the simulator's).
_REFILL_STATUSES = ('ERR_BASKET_EMPTY',)


def basket_params(plan: SubmissionPlan) -> dict[str, Any]:
    """The ``0-rb-set`` parameters of a validated plan."""
    return basket.set_params(telescope_id=plan.telescope_id, exposure_ms=plan.exposure_ms,
                             filter=plan.filter, object_name=plan.object_name,
                             object_id=plan.object_id, comment=plan.comment,
                             dark_frame=plan.dark_frame)


# --- The basket ------------------------------------------------------------------

def _ambiguous(error: BaseException) -> bool:
    """A failure after which the request may exist: the answer was lost or broken.

    The client turns timeouts, cut connections, HTTP errors and unreadable
    answers into `RemoteServiceError`. A refusal (`SubmissionError`) and a
    session problem (`LoginError`) are definite: nothing was created.
    """
    return isinstance(error, RemoteServiceError) and not isinstance(
        error, (SubmissionError, LoginError))


def _may_still_happen(error: BaseException) -> bool:
    """A read timeout: the server may still be handling the call, and create it later.

    The client chains the transport's exception as ``__cause__``. A connect
    timeout means nothing was sent.
    """
    cause = error.__cause__
    return isinstance(cause, requests.Timeout) and not isinstance(
        cause, requests.ConnectTimeout)


def _call(client: Any, call: user_api.ApiCall, *, idempotent: bool = True) -> dict:
    return client._api_call(call.module, call.request, call.params,
                            idempotent=idempotent, allow_failure=True)


def _fill_basket(client: Any, params: dict[str, Any]) -> None:
    """``0-rb-clear`` then ``0-rb-set``: safe to repeat, retried by the transport."""
    basket.check_answer(_call(client, basket.clear_call()), basket.CLEAR)
    # A refusal naming the [assumed] darkframe key when it was sent (basket.set_params).
    basket.check_answer(_call(client, basket.set_call(params)), basket.SET, params=params)


def submit_plan(client: Any, plan: SubmissionPlan, *, before: set[int] | None = None) -> int:
    """Put one validated request in the queue; return its request id.

    Parameters
    ----------
    client : `~telescope_query.core.TelescopeClass`
        A logged-in client.
    plan : `~telescope_query.submission.SubmissionPlan`
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
    failures: list[str] = []
    refilled = False
    attempt = 0
    while attempt < SUBMIT_ATTEMPTS:
        attempt += 1
        _fill_basket(client, params)
        try:
            answer = _call(client, basket.submit_call(), idempotent=False)
        except Exception as error:
            if not _ambiguous(error):
                raise
            failures.append(str(error))
            try:
                rid = find_submitted(client, plan, before)
            except Exception as lookup_error:
                raise SubmissionError(
                    f"the submission of {plan.object_name!r} got no clear answer "
                    f"({error}) and the queue could not be read to see whether the "
                    f"request was made ({lookup_error}); check get_requests() before "
                    f"submitting again", status='AMBIGUOUS') from error
            if rid is not None:
                return rid
            if _may_still_happen(error):
                raise SubmissionError(
                    f"the submission of {plan.object_name!r} got no answer in time "
                    f"({error}); it is not in the queue yet but the server may still "
                    f"make it: check get_requests() before submitting again",
                    status='AMBIGUOUS') from error
            continue        # the queue shows it was not made: safe to send again
        try:
            rid = basket.parse_submit(answer)
        except SubmissionError as refusal:
            if refusal.status in _REFILL_STATUSES and not refilled:
                refilled = True
                attempt -= 1    # a refusal made nothing: this try does not count
                continue
            raise
        if rid is None:
            # Accepted without a usable id: the request exists, find it.
            rid = find_submitted(client, plan, before)
            if rid is None:
                raise SubmissionError(
                    f"the server accepted {plan.object_name!r} but gave no request id, "
                    f"and no such request is in the queue", status=answer.get('status'))
        return rid
    raise SubmissionError(
        f"the submission of {plan.object_name!r} failed {len(failures)} times without a "
        f"clear answer, and the queue shows no such request: {'; '.join(failures)}",
        status='AMBIGUOUS')


# --- The legacy form flow ----------------------------------------------------------

def submit_form(client: Any, plan: SubmissionPlan) -> int:
    """Submit through the ticketed ``request-constructor.php`` forms (legacy).

    Every step is a page fetch; the final ``main-submit`` is sent once and, if
    its answer is lost or shows no new request, the queue is searched. Returns
    the new request id.

    A session that ends midway takes its tickets with it: the page fetch
    renews the session, and the next step finds no ticket. A final step
    answered by the login form made nothing either. In both cases, once the
    queue shows no such request, the forms are gone through once more.

    Raises
    ------
    SubmissionError
        A step had no ticket, or no new request can be found after the final step.
    """
    client._require_login()
    before = {entry.rid for entry in read_queue(client)}
    for attempt in (1, 2):
        generation = client._session_generation
        try:
            return _submit_form_once(client, plan, before)
        except SubmissionError as error:
            renewed = client._session_generation != generation
            if attempt == 2 or not (error.status == _LOGGED_OUT or (
                    renewed and error.status == 'NO_TICKET')):
                raise
    raise AssertionError('unreachable')  # pragma: no cover


#: Status of a final form step that the login form answered: nothing was made.
_LOGGED_OUT = 'LOGGED_OUT'


def _submit_form_once(client: Any, plan: SubmissionPlan, before: set[int]) -> int:
    html = client._page(request_form.PAGE, params=request_form.NEW_PARAMS, method='GET')
    ticket = request_form.extract_ticket(html, 'new')
    steps = request_form.form_steps(object_id=plan.object_id, object_name=plan.object_name,
                                    telescope_id=plan.telescope_id,
                                    exposure_ms=plan.exposure_ms,
                                    dark_frame=plan.dark_frame, filter=plan.filter,
                                    comment=plan.comment)
    for step in steps[:-1]:
        html = client._page(request_form.PAGE, data={'ticket': ticket, **step})
        ticket = request_form.extract_ticket(html, step['action'])
    final = {'ticket': ticket, **steps[-1]}
    problem = None
    try:
        # This step creates a request: sent once (no transport retry, not sent
        # again after a renewal); a login form in its answer comes back as is.
        text = client._page(request_form.PAGE, data=final, idempotent=False)
        rid = request_form.parse_submitted_rid(text)
        if rid is not None:
            return rid
        problem = (_LOGGED_OUT if pages.is_login_form(text)
                   else request_form.page_error(text))
    except Exception as error:
        if not _ambiguous(error):
            raise
        problem = str(error)
    rid = find_submitted(client, plan, before)
    if rid is not None:
        return rid
    raise SubmissionError(f"the request constructor did not make the request for "
                          f"{plan.object_name!r}: {problem or 'no new request in the queue'}",
                          status=problem or 'NOT_CREATED')
