"""pytest fixtures serving the simulated telescope.org, an opt-in pytest plugin.

A test suite loads it from its top ``conftest.py`` (or a test module)::

    pytest_plugins = ['telescope_query.simulator.pytest_plugin']

(installing the package no longer registers it with every pytest run).

``simulator``
    One small simulator for the whole test session (accounts ``demo``/``demo``
    and ``alice``/``alice-Secret-42``, 150 requests each, 64-pixel images, no
    staging time, no latency, seed 1, and fixed draws: the same requests and
    jobs in every run, so a test that picks the 70th job always finds it,
    whatever the date). Before each test its faults are
    cleared, its counters reset and ``staging_seconds``/``latency_ms`` set
    back to 0. Tests that change the archive (submissions, ``complete_queue``)
    share it with later tests: they look only at what they made. Its
    accounts may queue :data:`GENEROUS_QUEUE_LIMIT` (1000) requests, not the
    site's 10: many tests submit, and the shared queue fills up.
``simulator_factory``
    ``simulator_factory(**settings)`` returns a started `Simulator` with other
    settings (same defaults as ``simulator``, the generous queue limit for
    every account given); each is stopped at teardown.
    ``simulator_factory(queue_limits={})`` gives the site's limit of 10.

The simulator is imported only when a fixture is used, so loading the plugin
costs nothing to test runs that do not need it.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

ACCOUNTS = {'demo': 'demo', 'alice': 'alice-Secret-42'}
SMALL = dict(requests=150, image_size=64, staging_seconds=0.0, latency_ms=0, seed=1,
             fixed_draws=True)
#: The test simulators' queue limit (the site's is 10): room for every test's submissions.
GENEROUS_QUEUE_LIMIT = 1000


def _small(**settings: Any):
    from telescope_query.simulator import Simulator
    options = {'accounts': dict(ACCOUNTS), **SMALL, **settings}
    options.setdefault('queue_limits', dict.fromkeys(options['accounts'],
                                                     GENEROUS_QUEUE_LIMIT))
    return Simulator(**options).start()


@pytest.fixture(scope='session')
def _simulator_session() -> Iterator[Any]:
    sim = _small()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def simulator(_simulator_session: Any) -> Any:
    """The session's simulator, with faults, counters, delays reset for this test."""
    sim = _simulator_session
    sim.faults.clear()
    sim.counters.reset()
    sim.staging_seconds = 0.0
    sim.latency_ms = 0
    return sim


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., Any]]:
    """A callable making started simulators with custom settings, stopped at teardown."""
    made: list[Any] = []

    def factory(**settings: Any) -> Any:
        sim = _small(**settings)
        made.append(sim)
        return sim

    try:
        yield factory
    finally:
        for sim in made:
            sim.stop()
