"""Pure: what the scheduler does after each answer of the image engine.

No I/O and no clock of its own (the time is given): `next_action` takes a
product's polling state and the engine's answer, and says download now, poll
again at a given time, or give up with which error. `telescope_query.images.staging`
carries the actions out. Why polling backs off: docs/internals.rst, Images.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Union

from ..exceptions import ProductNotReadyError
from .product import Product

__all__ = ['Rules', 'Answer', 'Polling', 'Download', 'PollAt', 'GiveUp', 'Action',
           'next_action', 'seconds_to_next', 'FIRST_POLL_DELAY', 'POLL_GROWTH']

#: First wait between two polls; each next wait is `POLL_GROWTH` times longer,
#: up to `Rules.interval`.
FIRST_POLL_DELAY = 0.05
POLL_GROWTH = 1.5
#: What the create answer says of a product the engine has prepared already
#: (never ``READY``, which only a poll says [seen]).
PREPARED = 'OK_READY'


@dataclass(frozen=True)
class Rules:
    """How polling goes (``conf.poll_interval``, ``conf.max_poll_time``)."""

    interval: float        # the longest wait between two polls, in seconds
    max_poll_time: float   # give up this many seconds after the staging answer


@dataclass(frozen=True)
class Answer:
    """What one answer of the image engine says: its status word, and whether the
    product is ready to download."""

    status: str
    ready: bool


@dataclass(frozen=True)
class Polling:
    """A staged product's polling: when to give up, and the next wait."""

    deadline: float        # on the clock the times are given in
    delay: float


@dataclass(frozen=True)
class Download:
    """The product is ready: download it now."""


@dataclass(frozen=True)
class PollAt:
    """Not ready yet: poll again at ``when``, with the ``polling`` that follows."""

    when: float
    polling: Polling


@dataclass(frozen=True)
class GiveUp:
    """Not ready in time: the product fails with ``error``."""

    error: ProductNotReadyError


Action = Union[Download, PollAt, GiveUp]


def next_action(product: Product, answer: Answer, now: float, rules: Rules,
                polling: Polling | None = None) -> Action:
    """What to do after an answer of the image engine about ``product``.

    Parameters
    ----------
    product : `~telescope_query.images.product.Product`
        The product asked for (named in the error).
    answer : `Answer`
        The engine's answer: to the staging (create call, or the first
        processed page) when ``polling`` is None, else to a poll.
    now : float
        The time of the answer, in seconds on a monotonic clock.
    rules : `Rules`
        The longest wait between polls, and how long to poll at all.
    polling : `Polling`, optional
        The product's polling so far; None: the staging answer, polling starts.

    Returns
    -------
    `Download`, `PollAt` or `GiveUp`
        Ready: download. Else poll again after the current delay (at once
        after a create answer of ``OK_READY``), each delay `POLL_GROWTH` times
        the last, up to ``rules.interval``; past the deadline, give up.
    """
    staging = polling is None
    if polling is None:
        polling = Polling(deadline=now + rules.max_poll_time,
                          delay=min(FIRST_POLL_DELAY, rules.interval))
    if answer.ready:
        return Download()
    if now >= polling.deadline:
        return GiveUp(not_ready(product, answer.status, rules))
    # The engine has the product already: the first poll gives its size at once.
    wait = 0.0 if staging and answer.status == PREPARED else polling.delay
    return PollAt(now + wait, Polling(polling.deadline,
                                      min(polling.delay * POLL_GROWTH, rules.interval)))


def not_ready(product: Product, status: str, rules: Rules) -> ProductNotReadyError:
    """The error of a product the engine did not make ready in time."""
    return ProductNotReadyError(
        f"{product} was not ready after {rules.max_poll_time:g} s (the image engine "
        f"still says {status!r}); try again later, or allow more time with "
        f"conf.max_poll_time")


def seconds_to_next(times: Iterable[float], now: float) -> float | None:
    """How long until the earliest of ``times`` (0 when one is due); None for none."""
    earliest = min(times, default=None)
    return None if earliest is None else max(0.0, earliest - now)
