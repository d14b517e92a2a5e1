"""Counters of the calls the simulator received, per endpoint and per API request.

A test reads them to prove how many HTTP requests a client made, e.g.
``sim.counters['api-user.php/request-manager/1-get-list-own'] == 2``.
"""
from __future__ import annotations

import threading
from collections import Counter

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

    def hit(self, path: str, api_request: str | None = None) -> None:
        """Count one call of ``path`` (and of ``path/api_request`` when given)."""
        with self._lock:
            self._paths[path] += 1
            if api_request is not None:
                self._api[f'{path}/{api_request}'] += 1
            self._changed.notify_all()

    def wait_for(self, key: str, count: int = 1, timeout: float = 30.0) -> bool:
        """Wait until ``key`` has been called ``count`` times, at most ``timeout``
        seconds; whether it was. For a test that acts once a client has begun."""
        with self._changed:
            return self._changed.wait_for(
                lambda: (self._paths.get(key, 0) or self._api.get(key, 0)) >= count,
                timeout)

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

    def snapshot(self) -> dict[str, int]:
        """A copy of every non-zero counter, per path and per API request."""
        with self._lock:
            return {**self._paths, **self._api}

    def __repr__(self) -> str:
        return f'Counters({self.snapshot()!r})'
