"""One request into the queue through the ticketed ``request-constructor.php`` forms.

The older flow of PROTOCOL.md section 3, behind the original library's
``submit_RADEC_job``: a page per step, each carrying the ticket of the
next. The final step makes the request: it is sent once, and never again
after a lost answer: the queue is looked at as
`telescope_query.submit.never_twice` says (`telescope_query.submit.send.settle`),
and when it does not show the request the outcome is ``AMBIGUOUS``. See
``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

from ..contract import Client
from ..exceptions import SubmissionError
from ..protocol import pages, request_form
from .never_twice import AMBIGUOUS, Attempt, Done, Found, Stop, Unsure, lost_answer
from .plan import SubmissionPlan
from .queue import find_submitted, read_queue
from .send import before_the_final_call, settle
from .serial import one_at_a_time

__all__ = ['submit_form', 'made_nothing', 'FORM_ATTEMPTS', 'LOGGED_OUT']

#: Passes through the forms at most; the second only when the first surely
#: made nothing (`made_nothing`).
FORM_ATTEMPTS = 2
#: Status of a final step that the login form answered: nothing was made.
LOGGED_OUT = 'LOGGED_OUT'


def submit_form(client: Client, plan: SubmissionPlan) -> int:
    """Put one validated request in the queue through the forms; return its id.

    One submission at a time per client (`telescope_query.submit.serial`):
    the forms' tickets belong to the session.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        A logged-in client.
    plan : `~telescope_query.submit.plan.SubmissionPlan`
        What to submit.

    Raises
    ------
    SubmissionError
        A step had no ticket (``status`` is ``'NO_TICKET'``); the queue shows
        no request after the final step (``status`` is the form's error
        message, ``'LOGGED_OUT'`` or ``'NOT_CREATED'``); or the final step's
        answer was lost and the queue does not surely show the request
        (``status`` is ``'AMBIGUOUS'``: it is not sent again).
    """
    client._require_login()
    with one_at_a_time(client):
        before = {entry.rid for entry in read_queue(client)}
        for attempt in range(1, FORM_ATTEMPTS + 1):
            generation = client._session_generation
            try:
                return _submit_form_once(client, plan, before)
            except SubmissionError as error:
                renewed = client._session_generation != generation
                if attempt == FORM_ATTEMPTS or not made_nothing(error.status, renewed):
                    raise
    raise AssertionError('unreachable: the last attempt returns or raises')  # pragma: no cover


def made_nothing(status: str | None, renewed: bool) -> bool:
    """Whether a pass through the forms that failed with ``status`` surely made nothing.

    The final step answered by the login form (`LOGGED_OUT`, and the queue
    shows no such request), or a step without its ticket after the session
    was renewed midway (the tickets belonged to the old session).
    """
    return status == LOGGED_OUT or (renewed and status == 'NO_TICKET')


def _submit_form_once(client: Client, plan: SubmissionPlan, before: set[int]) -> int:
    steps = request_form.form_steps(object_id=plan.object_id, object_name=plan.object_name,
                                    telescope_id=plan.telescope_id,
                                    exposure_ms=plan.exposure_ms,
                                    dark_frame=plan.dark_frame, filter=plan.filter,
                                    comment=plan.comment)
    with before_the_final_call(plan.object_name):
        html = client._page(request_form.PAGE, params=request_form.NEW_PARAMS, method='GET')
        ticket = request_form.extract_ticket(html, 'new')
        for step in steps[:-1]:
            html = client._page(request_form.PAGE, data={'ticket': ticket, **step})
            ticket = request_form.extract_ticket(html, step['action'])
    final = {'ticket': ticket, **steps[-1]}
    try:
        # This step creates a request: sent once (no transport retry, not sent
        # again after a renewal); a login form in its answer comes back as is.
        text = client._page(request_form.PAGE, data=final, idempotent=False)
    except Exception as error:
        lost = lost_answer(error)
        if lost is None:
            raise
        # One attempt: whatever the queue shows, the forms are not gone through again.
        decision = settle(client, plan, before, Attempt(), lost, attempts=1)
        if isinstance(decision, Done):
            return decision.rid
        # A lost answer and one attempt allowed: the queue shows it, or it is the end.
        assert isinstance(decision, Stop), decision
        raise SubmissionError(decision.message, status=decision.status) from error
    rid = request_form.parse_submitted_rid(text)
    if rid is not None:
        return rid
    problem = LOGGED_OUT if pages.is_login_form(text) else request_form.page_error(text)
    found = find_submitted(client, plan, before)
    if isinstance(found, Found):
        return found.rid
    if isinstance(found, Unsure):
        raise SubmissionError(f"the request for {plan.object_name!r} may or may not have "
                              f"been made: the server's last page showed no new request, "
                              f"and the queue shows {found.detail}; check "
                              f"get_requests(status='queued') before submitting it again",
                              status=AMBIGUOUS)
    said = {None: 'its last page showed no new request, and none is in the queue',
            LOGGED_OUT: 'the server showed its login page at the last step (the session '
                        'had ended)'}
    raise SubmissionError(f"the request for {plan.object_name!r} could not be made: "
                          f"{said.get(problem, f'the server said: {problem}')}",
                          status=problem or 'NOT_CREATED')
