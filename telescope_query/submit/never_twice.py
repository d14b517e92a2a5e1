"""What to do after the final ``0-rb-submit``: the never-twice rule, with no I/O.

`decide` takes what happened to the call (`Accepted`, `Refused` or a
`LostAnswer` of some `Lost` kind), what the latest look at the queue found
(`Found`, `NotFound`, `Unsure`, `SearchFailed`, or None before any look)
and where the submission stands (`Attempt`), and returns the next step:
`Done`, `SearchQueue`, `SendAgain`, `RefillAndSend` or `Stop`.
`lost_answer` tells from an exception how an answer was lost. The loop
that sends and looks is `telescope_query.submit.send`. See
``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Sequence, Union

import requests
from urllib3.exceptions import (MaxRetryError, NewConnectionError, ProtocolError,
                                ReadTimeoutError)

from ..exceptions import HTTPStatusError, LoginError, RemoteServiceError, SubmissionError

__all__ = ['SUBMIT_ATTEMPTS', 'REFILL_STATUSES', 'MAX_SENDS', 'AMBIGUOUS', 'Lost',
           'UNSETTLED', 'GATEWAY_STATUSES', 'Accepted', 'Refused', 'LostAnswer', 'Found',
           'NotFound', 'Unsure', 'SearchFailed', 'Attempt', 'Done', 'SearchQueue',
           'SendAgain', 'RefillAndSend', 'Stop', 'CallOutcome', 'SearchResult', 'Decision',
           'decide', 'lost_answer', 'lost_kind']

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
#: HTTP statuses a gateway in front of the site answers when the site is slow or
#: away (bad gateway, unavailable, gateway timeout): the site may still be
#: saving the request. [assumed]: the live site's gateway was never seen failing.
GATEWAY_STATUSES = frozenset({502, 503, 504})


class Lost(enum.Enum):
    """How the answer of the final call was lost."""

    READ_TIMEOUT = 'read timeout'    # sent, no answer in time: the server may still be at it
    STALLED = 'stalled answer'       # the answer began, then stopped coming: the same
    GATEWAY = 'gateway error'        # HTTP 502/503/504: the site behind may still be at it
    NO_ANSWER = 'closed unanswered'  # sent, the connection closed before any answer: the same
    CONNECT = 'connect failure'      # no connection was made
    HTTP_ERROR = 'HTTP error'        # another error status (500...): the server has finished
    CUT = 'cut or broken answer'     # a body cut short, or not the JSON expected


#: Lost answers after which the server may still be making the request: a
#: queue that does not show it proves nothing yet. It is looked at again after
#: the waits given to `decide`, and the request is never sent again.
UNSETTLED = frozenset({Lost.READ_TIMEOUT, Lost.STALLED, Lost.GATEWAY, Lost.NO_ANSWER})


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
    """No answer to read: the request may or may not exist.

    ``detail`` says what happened, in words for the user.
    """

    kind: Lost
    detail: str


CallOutcome = Union[Accepted, Refused, LostAnswer]


# --- What the queue showed afterwards ---------------------------------------------------

@dataclass(frozen=True)
class Found:
    """One request made for the plan, not listed before the submission."""

    rid: int


@dataclass(frozen=True)
class NotFound:
    """No such request in the queue."""


@dataclass(frozen=True)
class Unsure:
    """New requests that may be the one made, none surely (or more than one).

    ``detail`` names them for the user.
    """

    detail: str


@dataclass(frozen=True)
class SearchFailed:
    """The queue could not be read; ``detail`` says why."""

    detail: str


SearchResult = Union[Found, NotFound, Unsure, SearchFailed]


# --- Where the submission stands, and what to do next ---------------------------------------

@dataclass(frozen=True)
class Attempt:
    """Where a submission stands.

    ``number``: the attempt (from 1); ``refilled``: whether the basket was
    filled again after a refusal; ``lost``: what the lost answers so far
    said; ``looks``: how many times the queue was looked at since the last
    send (the latest look is the ``search`` given to `decide`).
    """

    number: int = 1
    refilled: bool = False
    lost: tuple[str, ...] = ()
    looks: int = 0


@dataclass(frozen=True)
class Done:
    """The request exists: ``rid`` is its id."""

    rid: int


@dataclass(frozen=True)
class SearchQueue:
    """Wait ``wait`` seconds, look at the queue, then decide again with ``next``
    and what the look found."""

    wait: float
    next: Attempt


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

_CHECK = "check get_requests(status='queued') before submitting it again"


def decide(attempt: Attempt, call: CallOutcome, search: SearchResult | None = None, *,
           name: str, waits: Sequence[float] = (), attempts: int = SUBMIT_ATTEMPTS
           ) -> Decision:
    """The next step after the final call of ``attempt``.

    Parameters
    ----------
    attempt : Attempt
        Where the submission stands: as it was sent, then as the last
        `SearchQueue` gave it.
    call : Accepted, Refused or LostAnswer
        What happened to the call.
    search : Found, NotFound, Unsure, SearchFailed or None
        What the latest look at the queue found; None before any look.
    name : str
        The request's object name, for messages.
    waits : sequence of float
        Seconds to wait before each further look at the queue, when a first
        look did not show a request the server may still be making (an
        `UNSETTLED` loss, or accepted without an id). Empty: one look only.
    attempts : int
        Attempts allowed: after a loss that surely made nothing, the request
        is sent again only while ``attempt.number`` is below it.

    Returns
    -------
    Done, SearchQueue, SendAgain, RefillAndSend or Stop
    """
    if isinstance(call, Accepted) and call.rid is not None:
        return Done(call.rid)
    if isinstance(call, Refused):
        if call.status in REFILL_STATUSES and not attempt.refilled:
            return RefillAndSend(replace(attempt, refilled=True))
        return Stop(call.status, f"the request for {name!r} could not be made: the "
                                 f"server refused it", refusal=True)
    # The request may exist (accepted without an id, or the answer lost): look first.
    if search is None:
        return SearchQueue(0.0, replace(attempt, looks=1))
    if isinstance(search, Found):
        return Done(search.rid)
    looks = max(1, attempt.looks)       # a search was given: it was looked at at least once
    unsettled = isinstance(call, Accepted) or call.kind in UNSETTLED
    if isinstance(search, NotFound) and unsettled and looks <= len(waits):
        return SearchQueue(float(waits[looks - 1]), replace(attempt, looks=looks + 1))
    what = ('the server accepted it but gave no request id' if isinstance(call, Accepted)
            else f'its answer was lost ({call.detail})')
    if isinstance(search, SearchFailed):
        return Stop(AMBIGUOUS, f"the request for {name!r} may or may not have been made: "
                               f"{what}, and the queue could not be read to see whether "
                               f"it was ({search.detail}); {_CHECK}")
    if isinstance(search, Unsure):
        return Stop(AMBIGUOUS, f"the request for {name!r} may or may not have been made: "
                               f"{what}, and the queue shows {search.detail}; {_CHECK}")
    looked = (f"the queue was looked at {looks} times over {sum(waits[:looks - 1]):g} s"
              if looks > 1 else "the queue was looked at once")
    if isinstance(call, Accepted):      # said made, not seen: not known either way
        return Stop(AMBIGUOUS, f"the request for {name!r} may or may not have been made: "
                               f"the server accepted it but gave no request id, and "
                               f"{looked} without finding it; {_CHECK}")
    if call.kind in UNSETTLED:
        return Stop(AMBIGUOUS, f"the request for {name!r} may or may not have been made: "
                               f"{what}; {looked} and it is not there yet, but the server "
                               f"may still make it: {_CHECK}")
    lost = attempt.lost + (call.detail,)
    if attempt.number < attempts:
        return SendAgain(replace(attempt, number=attempt.number + 1, lost=lost, looks=0))
    return Stop(AMBIGUOUS, f"the request for {name!r} could not be confirmed: "
                           f"{_times(len(lost))} its answer was lost ({'; '.join(lost)}), "
                           f"and the queue shows no such request; {_CHECK}")


def _times(count: int) -> str:
    return 'once' if count == 1 else ('twice' if count == 2 else f'{count} times')


# --- From an exception to a lost answer -----------------------------------------------------

_SAID = {
    Lost.READ_TIMEOUT: 'the server did not answer within conf.timeout',
    Lost.STALLED: 'the answer began and then stopped coming',
    Lost.CONNECT: 'no connection to the server could be made',
    Lost.NO_ANSWER: 'the connection was closed before any answer came',
    Lost.CUT: 'the answer was cut short or could not be read',
}


def lost_answer(error: BaseException) -> LostAnswer | None:
    """How the answer of a call was lost, or None when ``error`` is not a lost answer.

    The session turns timeouts, failed connections, HTTP errors and
    unreadable answers into `RemoteServiceError`, chaining the transport's
    exception as ``__cause__``; an HTTP error status is an `HTTPStatusError`
    with its ``status_code``. A refusal (`SubmissionError`), a session problem
    (`LoginError`) and any other exception are not lost answers.
    """
    if not isinstance(error, RemoteServiceError) or isinstance(
            error, (SubmissionError, LoginError)):
        return None
    if isinstance(error, HTTPStatusError):
        code = error.status_code
        kind = Lost.GATEWAY if code in GATEWAY_STATUSES else Lost.HTTP_ERROR
        return LostAnswer(kind, f'the server answered HTTP {code}')
    kind = _kind(error.__cause__)
    return LostAnswer(kind, _SAID[kind])


def lost_kind(error: BaseException) -> Lost | None:
    """The `Lost` kind of `lost_answer`, or None."""
    lost = lost_answer(error)
    return None if lost is None else lost.kind


def _kind(cause: BaseException | None) -> Lost:
    if isinstance(cause, requests.ConnectTimeout):
        return Lost.CONNECT
    if isinstance(cause, requests.Timeout):
        return Lost.READ_TIMEOUT            # no answer at all within the timeout
    if isinstance(cause, requests.ConnectionError):
        reason = cause.args[0] if cause.args else None
        # requests reports a body that stops coming within the timeout as a
        # ConnectionError around urllib3's ReadTimeoutError: headers came first.
        if isinstance(reason, ReadTimeoutError):
            return Lost.STALLED
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
            if isinstance(reason, ReadTimeoutError):
                return Lost.READ_TIMEOUT    # no answer at all within the timeout
        if isinstance(reason, NewConnectionError):
            return Lost.CONNECT             # refused: never connected
        # Connected, then closed before the status line (urllib3's 'Connection
        # aborted.', or the socket's own error): the request went out, and a
        # proxy that gave up on a slow site does this. A body cut after the
        # headers is a ChunkedEncodingError instead, and stays CUT.
        if isinstance(reason, (ProtocolError, OSError)):
            return Lost.NO_ANSWER
    return Lost.CUT
