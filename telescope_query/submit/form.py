"""One request into the queue through the ticketed ``request-constructor.php`` forms.

The older flow of PROTOCOL.md section 3, behind the original library's
``submit_RADEC_job``: a page per step, each carrying the ticket of the
next. The final step makes the request: it is sent once, and when its
answer shows no new request the queue is searched. See
``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

from ..contract import Client
from ..exceptions import SubmissionError
from ..protocol import pages, request_form
from .never_twice import lost_kind
from .plan import SubmissionPlan
from .queue import find_submitted, read_queue

__all__ = ['submit_form', 'made_nothing', 'FORM_ATTEMPTS', 'LOGGED_OUT']

#: Passes through the forms at most; the second only when the first surely
#: made nothing (`made_nothing`).
FORM_ATTEMPTS = 2
#: Status of a final step that the login form answered: nothing was made.
LOGGED_OUT = 'LOGGED_OUT'


def submit_form(client: Client, plan: SubmissionPlan) -> int:
    """Put one validated request in the queue through the forms; return its id.

    Parameters
    ----------
    client : `~telescope_query.contract.Client`
        A logged-in client.
    plan : `~telescope_query.submit.plan.SubmissionPlan`
        What to submit.

    Raises
    ------
    SubmissionError
        A step had no ticket (``status`` is ``'NO_TICKET'``), or the queue
        shows no request after the final step (``status`` is the form's
        error message, ``'LOGGED_OUT'`` or ``'NOT_CREATED'``).
    """
    client._require_login()
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
        problem = (LOGGED_OUT if pages.is_login_form(text)
                   else request_form.page_error(text))
    except Exception as error:
        if lost_kind(error) is None:
            raise
        problem = str(error)
    rid = find_submitted(client, plan, before)
    if rid is not None:
        return rid
    raise SubmissionError(f"the request constructor did not make the request for "
                          f"{plan.object_name!r}: {problem or 'no new request in the queue'}",
                          status=problem or 'NOT_CREATED')
