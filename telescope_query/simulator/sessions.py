"""Logged-in sessions (with their request baskets) and the tickets of the
form-based request constructor.

A session is known by its ``PHPSESSID`` cookie; logging out or an expiry ends
it, and with it the tickets of its forms.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ['SESSION_COOKIE', 'Session', 'Ticket', 'SessionStore']

SESSION_COOKIE = 'PHPSESSID'
_FIRST_TICKET = 52117       # [assumed] an order of magnitude


@dataclass
class Session:
    """A logged-in session: its user and request basket."""

    user: str
    basket: dict[str, Any] | None = None


@dataclass
class Ticket:
    """One run of the form-based request constructor."""

    sid: str
    user: str
    state: dict[str, Any] = field(default_factory=dict)


class SessionStore:
    """The live sessions and form tickets, shared by every thread of the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._tickets: dict[int, Ticket] = {}
        self._ticket_ids = itertools.count(_FIRST_TICKET)

    def open(self, user: str) -> str:
        """A new session of ``user``; returns its id (the cookie's value)."""
        sid = secrets.token_hex(16)
        with self._lock:
            self._sessions[sid] = Session(user)
        return sid

    def get(self, sid: str | None) -> Session | None:
        """The live session with this id, or None."""
        with self._lock:
            return self._sessions.get(sid) if sid else None

    def end(self, sid: str) -> None:
        """End a session and drop the tickets of its forms."""
        with self._lock:
            self._sessions.pop(sid, None)
            for number in [n for n, t in self._tickets.items() if t.sid == sid]:
                del self._tickets[number]

    def count(self) -> int:
        """Number of live sessions."""
        with self._lock:
            return len(self._sessions)

    def new_ticket(self, sid: str, user: str) -> int:
        """A new form of session ``sid``; returns its ticket number."""
        with self._lock:
            number = next(self._ticket_ids)
            self._tickets[number] = Ticket(sid, user)
        return number

    def ticket(self, number: int | None) -> Ticket | None:
        """The ticket with this number, or None."""
        with self._lock:
            return self._tickets.get(number) if number is not None else None

    def drop_ticket(self, number: int) -> None:
        """A submitted form's ticket is used up."""
        with self._lock:
            self._tickets.pop(number, None)
