"""The request basket of the JSON user API: payloads and answers, no I/O.

PROTOCOL.md section 2, module ``request-constructor`` [seen]:

1. ``0-rb-clear``, no params: empty this session's basket.
2. ``0-rb-set`` with the request's fields; answers ``success`` true or false
   (with a ``status`` saying why).
3. ``0-rb-submit``, no params: ``{"success": true, "data": {"id": RID}}`` on
   success; on failure ``success`` is false and ``status`` says why.

Clear and set only change the session's basket and may be repeated; submit
creates a request and must never be repeated blindly (see ``submit.send``).
"""
from __future__ import annotations

from typing import Any, Mapping

import re

from ..exceptions import QueueFullError, SubmissionError
from .user_api import ApiCall

__all__ = ['MODULE', 'CLEAR', 'SET', 'SUBMIT', 'TELESCOPE_TYPE', 'OBJECT_TYPE',
           'ApiCall', 'clear_call', 'set_call', 'submit_call', 'set_params',
           'check_answer', 'parse_submit', 'REFUSALS', 'refusal_reason']

MODULE = 'request-constructor'
CLEAR = '0-rb-clear'
SET = '0-rb-set'
SUBMIT = '0-rb-submit'
TELESCOPE_TYPE = 2       # the constant the original client sent [seen]
OBJECT_TYPE = 'RADEC'    # requests by coordinates [seen]
# [assumed]: not among the [seen] 0-rb-set params (only the form flow's
# newDarkFrame is [seen]). Sent only to say "no dark frame": see `set_params`.
DARK_FRAME_KEY = 'darkframe'
# What the basket answers to a request beyond the queue's limit is [assumed]
# (PROTOCOL.md 2): a refusal whose status speaks of a full queue or a limit.
_QUEUE_FULL = re.compile(r'QUEUE|FULL|LIMIT|TOO_?MANY', re.IGNORECASE)


def set_params(*, telescope_id: int, exposure_ms: int, filter: str, object_name: str,
               object_id: str, comment: str, dark_frame: bool) -> dict[str, Any]:
    """The ``0-rb-set`` parameters of PROTOCOL.md section 2.

    The values must already be validated (see ``submission.plan_submission``):
    ``object_id`` in the site's ``'HH:MM:SS.ss +DD:MM:SS.ss'`` form, the filter
    in the telescope's own naming scheme, the exposure in milliseconds.

    The dark frame: the basket's name for the flag is [assumed] (only the
    form flow's ``newDarkFrame`` is [seen]), so the client does not depend
    on it. With ``dark_frame=True`` (the default) exactly the [seen] params
    are sent, as the original client did, whose requests had dark frames
    (the site's default). Only ``dark_frame=False`` adds ``darkframe: 0``:
    if the site refuses the key, `check_answer` says so.
    """
    params: dict[str, Any] = {
        'telescopeid': int(telescope_id),
        'telescopetype': TELESCOPE_TYPE,
        'exposuretime': int(exposure_ms),
        'filtertype': filter,
        'objecttype': OBJECT_TYPE,
        'objectname': object_name,
        'objectid': object_id,
        'usercomments': comment,
    }
    if not dark_frame:
        params[DARK_FRAME_KEY] = 0
    return params


def clear_call() -> ApiCall:
    """``0-rb-clear``: no parameters."""
    return ApiCall(MODULE, CLEAR, None)


def set_call(params: Mapping[str, Any]) -> ApiCall:
    """``0-rb-set`` with parameters from `set_params`."""
    return ApiCall(MODULE, SET, dict(params))


def submit_call() -> ApiCall:
    """``0-rb-submit``: no parameters. Creates the request: never resend blindly."""
    return ApiCall(MODULE, SUBMIT, None)


def _status(answer: Mapping[str, Any]) -> str | None:
    status = answer.get('status')
    return None if status is None else str(status)


#: What each call is, for a message.
_WHAT = {CLEAR: 'to start a new request', SET: "the request's details",
         SUBMIT: 'the request'}
#: The basket's refusals in words. The words are [assumed] (the simulator's; no
#: refusal of the live site was ever recorded): an unknown one is quoted.
REFUSALS = {
    'ERR_BAD_TELESCOPE': 'it does not know the telescope',
    'ERR_BAD_FILTER': "the filter is not one of the telescope's",
    'ERR_BAD_EXPOSURE': "the exposure is outside the telescope's range",
    'ERR_BAD_OBJECTTYPE': 'it takes only positions (RA and Dec)',
    'ERR_BAD_OBJECTID': 'it could not read the position',
    'ERR_BAD_PARAMS': 'it could not read what was sent',
    'ERR_BASKET_EMPTY': "it had lost the request's details (the session was renewed)",
    'ERR_NOT_LOGGED_IN': 'the session had ended',
}


def refusal_reason(status: str | None) -> str:
    """Why the server refused, in words: `REFUSALS`, else its status quoted."""
    if status is None:
        return 'it gave no reason'
    return REFUSALS.get(status, f'it gave the reason {status!r}')


def check_answer(answer: Any, request: str, *, params: Mapping[str, Any] | None = None,
                 name: str | None = None) -> None:
    """Raise `SubmissionError` carrying the server's status when ``success`` is falsy.

    Used for the answers of ``0-rb-clear``, ``0-rb-set`` and ``0-rb-submit``.
    ``params`` are those sent with ``0-rb-set``: when they hold the [assumed]
    ``darkframe`` key, a refusal says that the key may be the cause. ``name``
    is the request's object name, for the message; the message says what
    happened in words, the site's status word is kept in ``status``.
    """
    made = f"the request for {name!r}" if name else 'the request'
    if not isinstance(answer, Mapping):
        raise SubmissionError(f"{made} could not be made: the server's answer about "
                              f"{_WHAT.get(request, request)} was not the JSON object "
                              f"expected ({type(answer).__name__})", status=None)
    if not answer.get('success'):
        status = _status(answer)
        hint = ''
        if params is not None and DARK_FRAME_KEY in params:
            hint = ("; dark_frame=False relies on a field the server is not known to "
                    "take: submit with dark_frame=True, or through the forms "
                    "(legacy submit_RADEC_job)")
        if status and _QUEUE_FULL.search(status):
            raise QueueFullError(f"{made} could not be made: the account's queue is full "
                                 f"(see conf.queue_limit); submit more once some are "
                                 f"observed", status=status)
        raise SubmissionError(f"{made} could not be made: the server refused "
                              f"{_WHAT.get(request, request)}: {refusal_reason(status)}"
                              f"{hint}", status=status)


def parse_submit(answer: Any, *, name: str | None = None) -> int | None:
    """The new request id from a ``0-rb-submit`` answer.

    Returns
    -------
    int or None
        The id from ``data.id`` (a number or a numeric string); None when the
        server said success but gave no usable id (the request then exists and
        must be looked up in the queue, not submitted again).

    Raises
    ------
    SubmissionError
        When ``success`` is falsy; ``status`` holds the server's word.
    """
    check_answer(answer, SUBMIT, name=name)
    data = answer.get('data')
    rid = data.get('id') if isinstance(data, Mapping) else None
    if isinstance(rid, bool):
        return None
    if isinstance(rid, int):
        return rid if rid > 0 else None
    if isinstance(rid, str) and rid.strip().isascii() and rid.strip().isdigit() \
            and int(rid) > 0:     # '²'.isdigit() is True, and int() refuses it
        return int(rid)
    if isinstance(rid, float) and rid.is_integer() and rid > 0:
        return int(rid)
    return None
