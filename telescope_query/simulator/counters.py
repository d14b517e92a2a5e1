"""Counters of the calls the simulator received, per endpoint and per API request.

A test reads them to prove how many HTTP requests a client made, e.g.
``sim.counters['api-user.php/request-manager/1-get-list-own'] == 2``, and
what the last call of an endpoint sent as headers
(``sim.counters.headers('login.php')['User-Agent']``).
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Mapping

__all__ = ['Counters']


class Counters:
    """Thread-safe call counters.

    Keys are paths without the leading ``/`` (``'api-user.php'``,
    ``'v4request-view.php'``) and, for the JSON user API, also
    ``'api-user.php/<module>/<request>'``. A key never seen reads as 0.
    Every call is counted on arrival, whether it then succeeds, fails or
    is hit by a fault.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._paths: Counter[str] = Counter()
        self._api: Counter[str] = Counter()
        self._headers: dict[str, dict[str, str]] = {}

    def hit(self, path: str, api_request: str | None = None, *,
            headers: Mapping[str, str] | None = None) -> None:
        """Count one call of ``path`` (and of ``path/api_request`` when given),
        keeping the ``headers`` it was sent with."""
        kept = dict(headers) if headers is not None else {}
        with self._lock:
            self._paths[path] += 1
            self._headers[path] = kept
            if api_request is not None:
                self._api[f'{path}/{api_request}'] += 1
                self._headers[f'{path}/{api_request}'] = kept
            self._changed.notify_all()

    def wait_for(self, key: str, count: int = 1, timeout: float = 30.0) -> bool:
        """Wait until ``key`` has been called ``count`` times, at most ``timeout``
        seconds; whether it was. For a test that acts once a client has begun."""
        with self._changed:
            return self._changed.wait_for(
                lambda: (self._paths.get(key, 0) or self._api.get(key, 0)) >= count,
                timeout)

    def headers(self, key: str) -> dict[str, str]:
        """The headers of the last call of ``key`` (a path or an API request); {} if none."""
        with self._lock:
            return dict(self._headers.get(key, {}))

    def __getitem__(self, key: str) -> int:
        with self._lock:
            return self._paths.get(key, 0) or self._api.get(key, 0)

    def total(self) -> int:
        """All HTTP calls received (an API call counts once, not twice)."""
        with self._lock:
            return sum(self._paths.values())

    def reset(self) -> None:
        """Set every counter back to 0."""
        with self._lock:
            self._paths.clear()
            self._api.clear()
            self._headers.clear()

    def snapshot(self) -> dict[str, int]:
        """A copy of every non-zero counter, per path and per API request."""
        with self._lock:
            return {**self._paths, **self._api}

    def __repr__(self) -> str:
        return f'Counters({self.snapshot()!r})'
