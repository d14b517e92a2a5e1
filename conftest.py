"""README.rst's ``>>>`` examples run as a doctest against the simulator, as the pages
of ``docs/`` do (``docs/conftest.py``): the same fixed archive, the same reader's
session (``tests/reader_session.py``).

``testpaths`` in ``pyproject.toml`` names README.rst, and ``--doctest-glob=*.rst``
collects it; this file's fixture acts on that doctest only.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

TESTS = str(Path(__file__).resolve().parent / 'tests')
if TESTS not in sys.path:
    sys.path.append(TESTS)
from reader_session import docs_simulator, reader_session  # noqa: E402

README = Path(__file__).resolve().parent / 'README.rst'


@pytest.fixture(autouse=True)
def readme_session(request, tmp_path_factory, monkeypatch,
                   doctest_namespace) -> Iterator[None]:
    """For README.rst's doctest: a fresh simulator and the reader's session."""
    if getattr(request.node, 'path', None) != README:
        yield
        return
    tmp_path = tmp_path_factory.mktemp('readme')
    with docs_simulator() as sim, reader_session(sim, tmp_path, monkeypatch,
                                                 doctest_namespace):
        yield
