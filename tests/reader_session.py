"""The session a reader of the documentation has, for the examples that run as tests.

The ``>>>`` examples of ``README.rst`` (through the top ``conftest.py``) and of
``docs/*.rst`` (through ``docs/conftest.py``), the console examples of
``docs/cli.rst`` and ``tests/test_docs.py`` all run against a simulator made with
`DOCS_ACCOUNTS` and `DOCS_SETTINGS`: a fixed archive (seed and clock), so printed
outputs are exact. `reader_session` sets up what a reader's session has after
``telescope-query login``:

- ``TELESCOPE_QUERY_SERVER`` points at the simulator;
- the keyring (an in-memory one, never the machine's) holds the password of the
  ``demo`` account, so ``Telescope.login('demo')`` finds it;
- the current folder, the astropy cache, the astropy configuration folder and the
  home folder are temporary (the home folder holds the original library's
  ``~/.config/telescope.ini`` for ``demo``);
- the shared ``Telescope`` instance starts logged out, with its own cache.

Imported as ``reader_session`` (pytest puts ``tests/`` on ``sys.path``, as for
``keyring_stub``; the conftests add it when they run alone).
"""
from __future__ import annotations

import contextlib
import datetime
from pathlib import Path
from typing import Any, Iterator

import pytest

from keyring_stub import MemoryKeyring, keyring_in_use

__all__ = ['DOCS_NOW', 'DOCS_ACCOUNTS', 'DOCS_SETTINGS', 'docs_simulator', 'reader_session']

#: The simulated clock of every page: 18 November 2024, 16:00 UTC.
DOCS_NOW = datetime.datetime(2024, 11, 18, 16, 0, tzinfo=datetime.timezone.utc).timestamp()
DOCS_ACCOUNTS = {'demo': 'demo'}
DOCS_SETTINGS: dict[str, Any] = dict(requests=60, image_size=128, staging_seconds=0.0,
                                     latency_ms=0, seed=11, now=DOCS_NOW)


@contextlib.contextmanager
def docs_simulator() -> Iterator[Any]:
    """A fresh simulator of the documentation's archive."""
    from telescope_query.simulator import Simulator

    with Simulator(dict(DOCS_ACCOUNTS), **DOCS_SETTINGS) as sim:
        yield sim


def pin_client_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's clock of the observer's loop (the look-ahead of submit, the
    cadence) set to the pages' day: else what the pages print would change with
    the season the suite runs in (SS Cyg has no dark night from Teide in February)."""
    monkeypatch.setattr('telescope_query.observe.api.now',
                        lambda: datetime.datetime.fromtimestamp(DOCS_NOW, datetime.timezone.utc))


@contextlib.contextmanager
def reader_session(simulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   namespace: dict[str, Any]) -> Iterator[None]:
    """The reader's session of one page, pointed at ``simulator``.

    ``namespace`` (pytest's ``doctest_namespace``) gets ``simulator``.
    """
    from astropy.config import paths

    from telescope_query import Telescope, conf
    from telescope_query.credentials import KEYRING_SERVICE

    for name in ('TELESCOPE_QUERY_USER', 'TELESCOPE_QUERY_PASSWORD'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', simulator.url)
    home = tmp_path / 'home'
    (home / '.config').mkdir(parents=True)
    # The demo user also has a config file of the original library (docs/migrating.rst).
    config = home / '.config' / 'telescope.ini'
    config.write_text('[telescope.org]\nuser = demo\npassword = demo\n')
    config.chmod(0o600)             # as the reader keeps a file with a password
    monkeypatch.setenv('HOME', str(home))
    work = tmp_path / 'work'
    work.mkdir()
    monkeypatch.chdir(work)
    folders = {name: tmp_path / name for name in ('astropy-cache', 'astropy-config')}
    for folder in folders.values():
        folder.mkdir()

    Telescope.logout()
    Telescope.cache_location = tmp_path / 'telescope-cache'
    namespace['simulator'] = simulator
    pin_client_clock(monkeypatch)
    try:
        with keyring_in_use(MemoryKeyring({(KEYRING_SERVICE, 'demo'): 'demo'})), \
                paths.set_temp_cache(folders['astropy-cache']), \
                paths.set_temp_config(folders['astropy-config']), \
                conf.set_temp('backoff_factor', 0.0):
            yield
    finally:
        Telescope.logout()
        Telescope.reset_cache_location()
