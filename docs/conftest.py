"""Run the documentation's examples against the simulator, so that they cannot rot.

pytest collects the ``>>>`` examples of every ``docs/*.rst`` page as one doctest
per page (``--doctest-glob='*.rst'`` in ``pyproject.toml``). Each page gets a fresh
simulator with a fixed archive (seed and clock), so its printed outputs are exact;
the page then runs the way a reader's session would after ``telescope-query login``:

- ``TELESCOPE_QUERY_SERVER`` points at the simulator;
- the keyring (an in-memory one, never the machine's) holds the password of the
  ``demo`` account, so ``Telescope.login('demo')`` finds it;
- the current folder, the astropy cache and the home folder are temporary (the
  home folder holds the original library's ``~/.config/telescope.ini`` for ``demo``);
- the shared ``Telescope`` instance starts logged out, with its own cache.

Examples that need the live site are marked ``# doctest: +SKIP`` in the pages.
"""
from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Iterator

import pytest

# The in-memory keyring is the tests' own (tests/keyring_stub.py); the folder is
# on sys.path already when pytest runs tests/ too, not when it runs docs/ alone.
TESTS = str(Path(__file__).resolve().parent.parent / 'tests')
if TESTS not in sys.path:
    sys.path.append(TESTS)
from keyring_stub import MemoryKeyring, keyring_in_use  # noqa: E402

pytest_plugins = ['telescope_query.simulator.pytest_plugin']

# automodapi's generated pages and the built HTML hold no examples of their own.
collect_ignore = ['_build', 'api', 'conf.py']

#: The simulated clock of every page: 18 November 2024, 16:00 UTC.
DOCS_NOW = datetime.datetime(2024, 11, 18, 16, 0, tzinfo=datetime.timezone.utc).timestamp()
DOCS_ACCOUNTS = {'demo': 'demo'}
DOCS_SETTINGS = dict(requests=60, image_size=128, staging_seconds=0.0, latency_ms=0,
                     seed=11, now=DOCS_NOW)


@pytest.fixture
def docs_simulator() -> Iterator[object]:
    """A fresh simulator for one page: every page starts from the same archive."""
    from telescope_query.simulator import Simulator

    with Simulator(dict(DOCS_ACCOUNTS), **DOCS_SETTINGS) as sim:
        yield sim


@pytest.fixture(autouse=True)
def docs_session(docs_simulator, tmp_path, monkeypatch, doctest_namespace) -> Iterator[None]:
    """The reader's session of one page, pointed at the page's simulator."""
    from astropy.config import paths

    from telescope_query import Telescope, conf
    from telescope_query.credentials import KEYRING_SERVICE

    for name in ('TELESCOPE_QUERY_USER', 'TELESCOPE_QUERY_PASSWORD'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', docs_simulator.url)
    home = tmp_path / 'home'
    (home / '.config').mkdir(parents=True)
    # The demo user also has a config file of the original library (docs/migrating.rst).
    (home / '.config' / 'telescope.ini').write_text(
        '[telescope.org]\nuser = demo\npassword = demo\n')
    monkeypatch.setenv('HOME', str(home))
    work = tmp_path / 'work'
    work.mkdir()
    monkeypatch.chdir(work)
    cache = tmp_path / 'astropy-cache'
    cache.mkdir()

    Telescope.logout()
    Telescope.cache_location = tmp_path / 'telescope-cache'
    doctest_namespace['simulator'] = docs_simulator
    # The client's clock of the observer's loop (look-ahead, cadence) is the page's day.
    monkeypatch.setattr('telescope_query.observe.api.now',
                        lambda: datetime.datetime.fromtimestamp(DOCS_NOW, datetime.timezone.utc))
    try:
        with keyring_in_use(MemoryKeyring({(KEYRING_SERVICE, 'demo'): 'demo'})), \
                paths.set_temp_cache(cache), conf.set_temp('backoff_factor', 0.0):
            yield
    finally:
        Telescope.logout()
        Telescope.reset_cache_location()
