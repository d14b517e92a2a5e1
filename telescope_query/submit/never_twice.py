"""What to do after the final ``0-rb-submit``: the never-twice rule, with no I/O.

`decide` takes what happened to the call (`Accepted`, `Refused` or a
`LostAnswer` of some `Lost` kind), what a search of the queue found
afterwards (`Found`, `NotFound`, `SearchFailed`, or None before any
search) and where the submission stands (`Attempt`), and returns the next
step: `Done`, `SearchQueue`, `SendAgain`, `RefillAndSend` or `Stop`.
`lost_kind` tells from an exception how an answer was lost. The loop that
sends and searches is `telescope_query.submit.send.submit_plan`. See
``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from typing import Union

import requests
from urllib3.exceptions import NewConnectionError

from ..exceptions import LoginError, RemoteServiceError, SubmissionError

__all__ = ['SUBMIT_ATTEMPTS', 'REFILL_STATUSES', 'MAX_SENDS', 'AMBIGUOUS', 'Lost',
           'Accepted', 'Refused', 'LostAnswer', 'Found', 'NotFound', 'SearchFailed',
           'Attempt', 'Done', 'SearchQueue', 'SendAgain', 'RefillAndSend', 'Stop',
           'CallOutcome', 'SearchResult', 'Decision', 'decide', 'lost_kind']

#: Submissions of one request at most; the second only after the queue showed
#: that the first did not create it.
SUBMIT_ATTEMPTS = 2
#: Refusals after which the basket is filled again and the call repeated once,
#: not counted as an attempt: the server made nothing. ERR_BASKET_EMPTY follows
#: a session renewed between ``0-rb-set`` and ``0-rb-submit`` (the basket
#: belonged to the old session). The word is [assumed] (the simulator's).
REFILL_STATUSES = frozenset({'ERR_BASKET_EMPTY'})
#: Calls of ``0-rb-submit`` for one request at most: every attempt, and one refill.
MAX_SENDS = SUBMIT_ATTEMPTS + 1
#: The status of a `SubmissionError` whose outcome is unknown.
AMBIGUOUS = 'AMBIGUOUS'


class Lost(enum.Enum):
    """How the answer of the final call was lost."""

    READ_TIMEOUT = 'read timeout'    # sent: the server may still be making the request
    CONNECT = 'connect failure'      # no connection was made
    HTTP_ERROR = 'HTTP error'        # an error status (5xx) instead of the answer
    CUT = 'cut or broken answer'     # a body cut short, or not the JSON expected


# --- What happened to the call ----------------------------------------------------------

@dataclass(frozen=True)
class Accepted:
    """``success``: the request exists. ``rid`` is None when no usable id came with it."""

    rid: int | None
    status: str | None = None


@dataclass(frozen=True)
class Refused:
    """``success`` false: the server made nothing; ``status`` is its word."""

    status: str | None


@dataclass(frozen=True)
class LostAnswer:
    """No answer to read: the request may or may not exist. ``detail`` says what happened."""

    kind: Lost
    detail: str


CallOutcome = Union[Accepted, Refused, LostAnswer]


# --- What the queue showed afterwards ---------------------------------------------------

@dataclass(frozen=True)
class Found:
    """A request made for the plan, not listed before the submission."""

    rid: int


@dataclass(frozen=True)
class NotFound:
    """No such request in the queue."""


@dataclass(frozen=True)
class SearchFailed:
    """The queue could not be read; ``detail`` says why."""

    detail: str


SearchResult = Union[Found, NotFound, SearchFailed]


# --- Where the submission stands, and what to do next ---------------------------------------

@dataclass(frozen=True)
class Attempt:
    """Which attempt this is (from 1), whether the basket was refilled, the lost answers so far."""

    number: int = 1
    refilled: bool = False
    lost: tuple[str, ...] = ()


@dataclass(frozen=True)
class Done:
    """The request exists: ``rid`` is its id."""

    rid: int


@dataclass(frozen=True)
class SearchQueue:
    """Search the queue for the request, then decide again with what it shows."""


@dataclass(frozen=True)
class SendAgain:
    """The queue shows nothing was made: fill the basket and send, as attempt ``next``."""

    next: Attempt


@dataclass(frozen=True)
class RefillAndSend:
    """A refusal that made nothing and emptied the basket: fill it and send once more.

    Not a new attempt: ``next`` has the same number.
    """

    next: Attempt


@dataclass(frozen=True)
class Stop:
    """Raise `SubmissionError` with ``status`` and ``message``; for a ``refusal``,
    the server's own (as `telescope_query.protocol.basket` raised it)."""

    status: str | None
    message: str
    refusal: bool = False


Decision = Union[Done, SearchQueue, SendAgain, RefillAndSend, Stop]


def decide(attempt: Attempt, call: CallOutcome, search: SearchResult | None = None, *,
           name: str) -> Decision:
    """The next step after the final call of ``attempt``.

    Parameters
    ----------
    attempt : Attempt
        Where the submission stood when the call was sent.
    call : Accepted, Refused or LostAnswer
        What happened to the call.
    search : Found, NotFound, SearchFailed or None
        What the queue showed after the call; None when it was not searched.
    name : str
        The request's object name, for messages.

    Returns
    -------
    Done, SearchQueue, SendAgain, RefillAndSend or Stop
        `SearchQueue` only while ``search`` is None: decide again with
        what the search found.
    """
    if isinstance(call, Accepted) and call.rid is not None:
        return Done(call.rid)
    if isinstance(call, Refused):
        if call.status in REFILL_STATUSES and not attempt.refilled:
            return RefillAndSend(replace(attempt, refilled=True))
        return Stop(call.status, f"the server refused the submission of {name!r}: "
                                 f"{call.status or 'no status given'}", refusal=True)
    # The request may exist (accepted without an id, or the answer lost): look first.
    if search is None:
        return SearchQueue()
    if isinstance(search, Found):
        return Done(search.rid)
    if isinstance(call, Accepted):
        return _unconfirmed(call, search, name)
    if isinstance(search, SearchFailed):
        return Stop(AMBIGUOUS, f"the submission of {name!r} got no clear answer "
                               f"({call.detail}) and the queue could not be read to see "
                               f"whether the request was made ({search.detail}); check "
                               f"get_requests() before submitting again")
    if call.kind is Lost.READ_TIMEOUT:
        # The server may still be working on the call: an empty queue proves nothing.
        return Stop(AMBIGUOUS, f"the submission of {name!r} got no answer in time "
                               f"({call.detail}); it is not in the queue yet but the server "
                               f"may still make it: check get_requests() before submitting "
                               f"again")
    lost = attempt.lost + (call.detail,)
    if attempt.number < SUBMIT_ATTEMPTS:
        return SendAgain(replace(attempt, number=attempt.number + 1, lost=lost))
    return Stop(AMBIGUOUS, f"the submission of {name!r} failed {len(lost)} times without a "
                           f"clear answer, and the queue shows no such request: "
                           f"{'; '.join(lost)}")


def _unconfirmed(call: Accepted, search: NotFound | SearchFailed, name: str) -> Stop:
    """Accepted without an id, and the queue does not show the request."""
    if isinstance(search, SearchFailed):
        return Stop(AMBIGUOUS, f"the server accepted {name!r} but gave no request id, and "
                               f"the queue could not be read to find it ({search.detail}); "
                               f"check get_requests() before submitting again")
    return Stop(call.status, f"the server accepted {name!r} but gave no request id, and "
                             f"no such request is in the queue")


# --- From an exception to a lost answer -----------------------------------------------------

# How the session words an HTTP error status (``SessionQuery._send``).
_HTTP_STATUS = re.compile(r': HTTP \d{3} from ')


def lost_kind(error: BaseException) -> Lost | None:
    """How the answer of a call was lost, or None when ``error`` is not a lost answer.

    The session turns timeouts, failed connections, HTTP errors and
    unreadable answers into `RemoteServiceError`, chaining the transport's
    exception as ``__cause__``. A refusal (`SubmissionError`), a session
    problem (`LoginError`) and any other exception are not lost answers.
    """
    if not isinstance(error, RemoteServiceError) or isinstance(
            error, (SubmissionError, LoginError)):
        return None
    cause = error.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return Lost.CONNECT
    if isinstance(cause, requests.Timeout):
        return Lost.READ_TIMEOUT
    if isinstance(cause, requests.ConnectionError) and _never_connected(cause):
        return Lost.CONNECT
    if cause is None and _HTTP_STATUS.search(str(error)):
        return Lost.HTTP_ERROR
    return Lost.CUT


def _never_connected(error: requests.ConnectionError) -> bool:
    """A refused connection (urllib3's NewConnectionError), not one cut midway."""
    reason = getattr(error.args[0], 'reason', None) if error.args else None
    return isinstance(reason, NewConnectionError)
