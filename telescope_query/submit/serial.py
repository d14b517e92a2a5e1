"""One submission at a time on a client.

The request basket (``0-rb-clear``, ``0-rb-set``, ``0-rb-submit``) and the
tickets of the form flow belong to the client's session on the server, and
the queue a submission reads before sending is what tells its request from
the others: two threads submitting at once through one client would mix
their baskets and take each other's requests. `one_at_a_time` makes them
take turns; a thread may enter again (``submit_missing`` holds it for its
whole batch and submits through `telescope_query.submit.send`). Clients of
their own (another ``TelescopeClass()``) have sessions of their own and do
not wait for each other. See ``docs/internals.rst``, Submitting.
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Iterator

from ..contract import Client

__all__ = ['one_at_a_time']

# The lock of each client, for as long as the client lives (kept here rather
# than on the session: the submission pipeline is the only one that needs it).
_locks: weakref.WeakKeyDictionary[Client, threading.RLock] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


@contextlib.contextmanager
def one_at_a_time(client: Client) -> Iterator[None]:
    """Hold ``client``'s submission lock while the block runs (reentrant)."""
    with _guard:
        lock = _locks.get(client)
        if lock is None:
            lock = _locks[client] = threading.RLock()
    with lock:
        yield
