"""Helpers of the reliability suite.

Every test here runs against the session's simulator over loopback HTTP
(``simulator`` from the package's pytest plugin, ``client_env``/``login_as``
from ``tests/conftest.py``) with settings that keep it fast: retries without
backoff, quick polls, and nothing that may leave this machine (astropy's
downloads and IERS updates are off).

``make_client(user='demo', cache=None)``
    A fresh client logged in as ``user``, with its own cache folder (or the
    one given): tests that compare a faulted run with a clean one use two
    caches, so the clean run's cached views cannot hide the fault. It is the
    original library's class, `telescope_query.legacy.Telescope` (a
    `~telescope_query.TelescopeClass` with the legacy names on top), so that
    one client runs every operation of the suite's tables, new and legacy.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest
from astropy.utils import data as astropy_data
from astropy.utils import iers

from telescope_query import TelescopeClass, conf

from helpers import HostileProxy


@pytest.fixture(autouse=True)
def quick_and_offline(client_env) -> Iterator[None]:
    """Fast retries and polls; no name resolution or IERS download may leave the machine."""
    with conf.set_temp('retries', 2), conf.set_temp('timeout', 5.0), \
            conf.set_temp('poll_interval', 0.01), conf.set_temp('max_poll_time', 5.0), \
            conf.set_temp('max_workers', 4), \
            astropy_data.conf.set_temp('allow_internet', False), \
            iers.conf.set_temp('auto_download', False):
        yield


@pytest.fixture
def make_client(login_as, tmp_path) -> Callable[..., TelescopeClass]:
    """``make_client(user='demo', cache=None)``: a fresh logged-in client."""
    count = iter(range(1000))

    def make(user: str = 'demo', cache: Path | None = None) -> TelescopeClass:
        folder = cache if cache is not None else tmp_path / f'cache-{next(count)}'
        return login_as(user, legacy=True, cache=folder)

    return make


@pytest.fixture
def hostile_proxy(simulator, monkeypatch) -> Iterator[Callable[..., HostileProxy]]:
    """``hostile_proxy(handler)``: a `HostileProxy` before the simulator, with
    clients made afterwards pointed at it."""
    made: list[HostileProxy] = []

    def make(handler=None) -> HostileProxy:
        proxy = HostileProxy(simulator.url, handler)
        made.append(proxy)
        monkeypatch.setenv('TELESCOPE_QUERY_SERVER', proxy.url)
        return proxy

    yield make
    for proxy in made:
        proxy.close()
