"""Switchable failures of the simulator, per test and per endpoint.

A fault is armed with `Faults.add` and fires on the next matching calls:

==================  ===========================================================
kind                effect (parameters, with defaults)
==================  ===========================================================
``http_500``        the call answers HTTP 500. By default the server does
                    nothing else (fires *before* the call is handled: no
                    request is created by a failed ``0-rb-submit``). With
                    ``after=True`` the call is handled first (a submission
                    *is* created) and only its answer is replaced by a 500.
``http_error``      as ``http_500`` with the HTTP ``status`` given (required),
                    such as 502, 503 or 504 (a gateway in front of the site),
                    before the call is handled or, with ``after=True``, after;
                    with ``retry_after`` (seconds), a ``Retry-After`` header.
``latency``         the answer is delayed by ``ms`` milliseconds (required).
``cut_connection``  the connection is closed after ``after_bytes`` bytes of
                    the body (required); ``Content-Length`` is the full size.
``close_unanswered`` the connection is closed before any answer (no status
                    line), as by a proxy that gave up on a slow site; the
                    call is handled first with ``after=True``.
``short_body``      the body is ``missing_bytes`` (1) shorter than its
                    ``Content-Length``, then the connection is closed.
``stall_body``      the headers and ``after_bytes`` (0) bytes of the body are
                    sent, then nothing for ``ms`` milliseconds (required),
                    then the rest: the call was handled first. With
                    ``still_saving=True`` the headers (200, no length) go out
                    first and the call is handled after the pause, as by a
                    site that is still saving a request.
``name_suffix``     a request made by the basket or the forms is stored (and
                    listed) under its name with ``suffix`` ('_M') appended.
                    PROTOCOL.md 2: listed names may carry suffixes such as
                    ``T CrB_M`` [seen]; whether the site adds them is not
                    recorded, so this is a fault, not the simulator's way.
``corrupt_product`` a product download has ``nbytes`` (64) bytes flipped
                    from byte ``offset`` (0) of the file: same size, bad
                    content. Only ``v3image-download.php`` consumes it.
``expire_session``  the session of a logged-in caller expires after
                    ``after_calls`` (0) more authenticated calls: the next
                    one answers as not logged in and the session is gone.
``never_ready``     image-engine stagings (of job ``jid`` only, if given)
                    stay ``PROCESSING``; each poll (``0-is-job-ready``) or
                    ``imageengine-request.php`` page consumes one count.
``non_json``        ``api-user.php`` answers an HTML page.
``truncated_json``  ``api-user.php`` answers the first half of its JSON.
``login_page``      an HTML page (a view, the job search, the processed
                    page, the form constructor) answers the login form
                    instead; the session itself stays valid.
``page_cap``        a listing (``1-get-list-own``) sends at most ``rows``
                    (required) requests, whatever ``limit`` asks for.
``short_total``     a listing's ``totalRequests`` counts ``missing`` (10)
                    requests more than the folder holds and ever sends.
``ignore_start``    a listing ignores ``startAfterRow``: every page starts
                    again at the folder's first request.
``echo_form``       the call answers an HTML error page (HTTP ``status``,
                    500) that quotes the form it was sent, every field and
                    value, as a broken script's debug page might; before
                    it is handled.
``drip``            the body is sent ``nbytes`` (1) at a time, one piece
                    every ``interval_ms`` (50) milliseconds; all of it
                    in the end, unless the client hangs up first.
``slow_headers``    the answer's status line and headers are sent one
                    byte every ``interval_ms`` (50) milliseconds and never
                    finished; after ``seconds`` (30), or as soon as the
                    client hangs up, the connection is closed.
==================  ===========================================================

``endpoint`` is a path such as ``'api-user.php'`` or ``'v3image-download.php'``,
one API request ``'api-user.php/image-engine/0-is-job-ready'``, or one step of
the form flow ``'request-constructor.php/main-submit'``; None matches every
endpoint where the kind makes sense. ``count`` is how many calls the fault
affects (None: until `Faults.clear`).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ['Fault', 'Faults', 'KINDS', 'normalize_endpoint']

_REQUIRED = object()

#: Every fault kind and its parameters with their defaults.
KINDS: dict[str, dict[str, Any]] = {
    'http_500': {'after': False},
    'http_error': {'status': _REQUIRED, 'after': False, 'retry_after': None},
    'latency': {'ms': _REQUIRED},
    'cut_connection': {'after_bytes': _REQUIRED},
    'close_unanswered': {'after': False},
    'short_body': {'missing_bytes': 1},
    'stall_body': {'after_bytes': 0, 'ms': _REQUIRED, 'still_saving': False},
    'name_suffix': {'suffix': '_M'},
    'corrupt_product': {'offset': 0, 'nbytes': 64},
    'expire_session': {'after_calls': 0},
    'never_ready': {'jid': None},
    'non_json': {},
    'truncated_json': {},
    'login_page': {},
    'page_cap': {'rows': _REQUIRED},
    'short_total': {'missing': 10},
    'ignore_start': {},
    'echo_form': {'status': 500},
    'drip': {'nbytes': 1, 'interval_ms': 50},
    'slow_headers': {'interval_ms': 50, 'seconds': 30},
}


def normalize_endpoint(path: str) -> str:
    """``'//api-user.php'`` -> ``'api-user.php'``: no leading or repeated ``/``."""
    return re.sub('/+', '/', path).lstrip('/')


@dataclass
class Fault:
    """One armed fault; ``remaining`` is None for a fault that lasts until cleared."""

    kind: str
    endpoint: str | None
    remaining: int | None
    params: dict[str, Any] = field(default_factory=dict)
    countdown: int = 0  # expire_session: authenticated calls still allowed

    def matches(self, keys: Iterable[str]) -> bool:
        return self.endpoint is None or self.endpoint in keys


class Faults:
    """The set of armed faults, shared by every thread of the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: str, endpoint: str | None = None, count: int | None = 1,
            **params: Any) -> Fault:
        """Arm a fault.

        Parameters
        ----------
        kind : str
            One of `KINDS`.
        endpoint : str, optional
            ``'api-user.php'``, ``'v3image-download.php'``,
            ``'api-user.php/<module>/<request>'``, ``'request-constructor.php/<action>'``...;
            None for every endpoint.
        count : int or None
            How many calls it affects; None until `clear`.
        **params
            The kind's parameters (see the module documentation).

        Returns
        -------
        Fault
            The armed fault (its ``remaining`` counts down as it fires).
        """
        if kind not in KINDS:
            raise ValueError(f'unknown fault kind {kind!r}; kinds: {", ".join(KINDS)}')
        unknown = set(params) - set(KINDS[kind])
        if unknown:
            raise TypeError(f'fault {kind!r} takes no parameter(s) {sorted(unknown)}; '
                            f'it takes {sorted(KINDS[kind]) or "none"}')
        values = {**KINDS[kind], **params}
        missing = [name for name, value in values.items() if value is _REQUIRED]
        if missing:
            raise TypeError(f'fault {kind!r} needs the parameter(s) {missing}')
        if count is not None and count < 1:
            raise ValueError(f'count must be a positive integer or None, got {count!r}')
        fault = Fault(kind, None if endpoint is None else normalize_endpoint(endpoint),
                      count, values)
        fault.countdown = int(values.get('after_calls') or 0)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        """The armed faults, oldest first."""
        with self._lock:
            return list(self._faults)

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def take(self, kind: str, keys: Iterable[str], **match: Any) -> Fault | None:
        """Fire the oldest armed fault of ``kind`` matching this call, if any.

        ``keys`` are the endpoint names of the call (its path and, for the JSON
        API, ``path/module/request``). ``match`` restricts to faults whose
        parameter is None or equal (``jid=418581`` for ``never_ready``).
        Firing uses up one count; the fault is returned (None if none fired).
        """
        keys = tuple(keys)
        with self._lock:
            for fault in self._faults:
                if fault.kind != kind or not fault.matches(keys):
                    continue
                if any(fault.params.get(name) not in (None, value)
                       for name, value in match.items()):
                    continue
                self._use(fault)
                return fault
        return None

    def take_all(self, kind: str, keys: Iterable[str]) -> list[Fault]:
        """Fire every armed fault of ``kind`` matching this call, once each."""
        keys = tuple(keys)
        with self._lock:
            fired = [f for f in self._faults if f.kind == kind and f.matches(keys)]
            for fault in fired:
                self._use(fault)
        return fired

    def session_expires(self, keys: Iterable[str]) -> bool:
        """Count one authenticated call; True when an ``expire_session`` fault fires."""
        keys = tuple(keys)
        fired = False
        with self._lock:
            for fault in list(self._faults):
                if fault.kind != 'expire_session' or not fault.matches(keys):
                    continue
                if fault.countdown > 0:
                    fault.countdown -= 1
                elif not fired:
                    # Fires, then allows after_calls calls again before a next expiry.
                    fired = True
                    fault.countdown = int(fault.params['after_calls'])
                    self._use(fault)
        return fired

    def _use(self, fault: Fault) -> None:
        # Called with the lock held.
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
