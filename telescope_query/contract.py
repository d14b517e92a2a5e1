"""The seam between the logged-in session and the modules that work through it.

`Client` is what `~telescope_query.session.SessionQuery` offers (and so
`~telescope_query.core.TelescopeClass`): the modules below the public class
(``listing``, ``views``, ``search``, ``images``, ``submit``, ``site_check``) and
the legacy layer on top take a `Client` and use nothing else of it.
``docs/internals.rst`` explains each member; ``tests/test_contract.py`` checks
that the modules keep to it and that the session has all of it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, ContextManager, Protocol

import requests

from .records import RecordCache

__all__ = ['Client']


class Client(Protocol):
    """A logged-in session of telescope.org (or of a simulator)."""

    #: What the last login was answered: status and headers, no body, no cookie value.
    _login_answer: dict[str, Any] | None

    @property
    def server_url(self) -> str:
        """Base URL with a trailing ``/``, read at call time."""

    @property
    def user(self) -> str:
        """The logged-in user name (``''`` when nobody is)."""

    @property
    def product_cache(self) -> Path:
        """The folder of verified image products of this server and account."""

    @property
    def _records(self) -> RecordCache:
        """The record cache of this server and account (views that cannot change)."""

    @property
    def _session_generation(self) -> int:
        """Changes whenever the session is opened, renewed or closed."""

    def _url(self, path: str) -> str:
        """``server_url + path``."""

    def _require_login(self) -> None:
        """Raise ``LoginError`` at once when nobody is logged in."""

    def _api_call(self, module: str, request: str, params: dict[str, Any] | None = None, *,
                  idempotent: bool = True, allow_failure: bool = False) -> dict[str, Any]:
        """``POST api-user.php``: the whole answer, the session renewed when needed."""

    def _page(self, path: str, *, params: dict[str, Any] | None = None, data: Any = None,
              method: str = 'POST', cache: bool = False, idempotent: bool = True) -> str:
        """An HTML page of the session, renewed when needed."""

    def _stream(self, url: str, *, headers: dict[str, str] | None = None
                ) -> requests.Response:
        """``GET url`` streamed on the session, renewed when needed; the caller closes it."""

    def _recording(self, hook: Callable[..., Any]) -> ContextManager[None]:
        """Give every answer of the session to ``hook`` while the block runs."""

    def _hide_secrets(self, text: str) -> str:
        """``text`` with the session's password masked."""
