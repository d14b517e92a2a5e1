"""Run the documentation's examples against the simulator, so that they cannot rot.

pytest collects the ``>>>`` examples of every ``docs/*.rst`` page as one doctest
per page (``--doctest-glob='*.rst'`` in ``pyproject.toml``). Each page gets a fresh
simulator with a fixed archive (seed and clock), so its printed outputs are exact,
and runs the way a reader's session would after ``telescope-query login``
(``tests/reader_session.py`` says what that session holds). The top ``conftest.py``
does the same for ``README.rst``.

Examples that need the live site (or the internet) are marked ``# doctest: +SKIP``
in the pages, with a comment saying why.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

# The reader's session is the tests' own (tests/reader_session.py); the folder is
# on sys.path already when pytest runs tests/ too, not when it runs docs/ alone.
TESTS = str(Path(__file__).resolve().parent.parent / 'tests')
if TESTS not in sys.path:
    sys.path.append(TESTS)
from reader_session import docs_simulator, reader_session  # noqa: E402

pytest_plugins = ['telescope_query.simulator.pytest_plugin']

# automodapi's generated pages and the built HTML hold no examples of their own.
collect_ignore = ['_build', 'api', 'conf.py']


@pytest.fixture(autouse=True)
def docs_session(tmp_path, monkeypatch, doctest_namespace) -> Iterator[None]:
    """A fresh simulator for one page (every page starts from the same archive), and
    the reader's session pointed at it."""
    with docs_simulator() as sim, reader_session(sim, tmp_path, monkeypatch,
                                                 doctest_namespace):
        yield
