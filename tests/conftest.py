"""Fixtures of the client's tests, and the guard of tests that change the live account.

``simulator`` (one small simulated telescope.org per test session) comes from
the package's pytest plugin, ``telescope_query.simulator.pytest_plugin``.

``telescope``
    A fresh `~telescope_query.TelescopeClass` pointed at the simulator (through
    ``TELESCOPE_QUERY_SERVER``), with its own cache folder under ``tmp_path``,
    logged in as ``demo``. Retries do not wait (``conf.backoff_factor = 0``), nor
    do the looks at the queue after a lost submission (``conf.submit_recheck_wait = 0``).
``login_as``
    ``login_as(user, password, legacy=False)``: another such client (``alice``
    for example); ``legacy=True`` makes it the original library's class,
    `telescope_query.legacy.Telescope`.
``astroquery_log``
    The records of astroquery's log during the test, at every level (the
    level is set to DEBUG for the test and restored after).
``quick``
    Image-engine polls every 10 ms, for 30 s at most; the simulator's counters
    start after ``telescope``'s login.
``no_internet``
    astropy refuses any download: name resolution fails at once.

Plain helpers (``demo_jids``, ``served_bytes``, ``unique``...) are in ``helpers.py``.

Tests marked ``changes_live_account`` run only with ``--live-submit`` (on top
of ``--remote-data``, which pytest-remotedata handles for ``remote_data``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from telescope_query import TelescopeClass, conf
from telescope_query.legacy import Telescope as LegacyTelescope

from helpers import PASSWORDS

pytest_plugins = ['telescope_query.simulator.pytest_plugin']


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption('--live-submit', action='store_true', default=False,
                     help='also run the tests marked changes_live_account: they submit '
                          'real requests with the live account (needs --remote-data)')


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption('--live-submit'):
        return
    skip = pytest.mark.skip(reason='changes the live account: run with --live-submit '
                                   '(and --remote-data) to include it')
    for item in items:
        if item.get_closest_marker('changes_live_account') is not None:
            item.add_marker(skip)


@pytest.fixture
def client_env(simulator, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    """The environment of a client under test: the simulator, no stray credentials,
    no waiting between retries or between looks at the queue after a lost
    submission, no config file of the machine's user."""
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', simulator.url)
    for name in ('TELESCOPE_QUERY_USER', 'TELESCOPE_QUERY_PASSWORD'):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / 'home'
    home.mkdir()
    monkeypatch.setenv('HOME', str(home))      # ~/.config/telescope.ini is read when present
    # The session's simulator lets each account queue many requests (the tests
    # share its queue); the client's limit says the same.
    from telescope_query.simulator.pytest_plugin import GENEROUS_QUEUE_LIMIT
    with conf.set_temp('backoff_factor', 0.0), conf.set_temp('username', ''), \
            conf.set_temp('submit_recheck_wait', 0.0), \
            conf.set_temp('queue_limit', GENEROUS_QUEUE_LIMIT):
        yield


@pytest.fixture
def login_as(client_env, tmp_path) -> Iterator[Callable[..., TelescopeClass]]:
    """``login_as(user='demo', password=None, *, legacy=False, cache=None)``: a fresh
    client logged in to the simulator (the original library's class with
    ``legacy``; its cache in ``cache``, else the test's ``cache`` folder)."""
    made: list[TelescopeClass] = []

    def make(user: str = 'demo', password: str | None = None, *,
             legacy: bool = False, cache: Path | None = None) -> TelescopeClass:
        client = LegacyTelescope() if legacy else TelescopeClass()
        client.cache_location = Path(cache) if cache is not None else tmp_path / 'cache'
        client.login(user, password=PASSWORDS[user] if password is None else password)
        made.append(client)
        return client

    yield make
    for client in made:
        client._session.close()


@pytest.fixture
def telescope(login_as) -> TelescopeClass:
    """A fresh client logged in to the simulator as ``demo``."""
    return login_as('demo')


@pytest.fixture
def quick(telescope, simulator) -> Iterator[None]:
    """Quick image-engine polls; the counters start after the client's login."""
    simulator.counters.reset()
    with conf.set_temp('poll_interval', 0.01), conf.set_temp('max_poll_time', 30):
        yield


@pytest.fixture
def no_internet() -> Iterator[None]:
    """astropy refuses any download: nothing may leave this machine."""
    from astropy.utils import data as astropy_data
    with astropy_data.conf.set_temp('allow_internet', False):
        yield


@pytest.fixture
def astroquery_log() -> Iterator[list]:
    """astroquery's log records during the test, DEBUG and up."""
    from astroquery import log
    previous = log.level
    log.setLevel('DEBUG')
    try:
        with log.log_to_list() as records:
            yield records
    finally:
        log.setLevel(previous)
