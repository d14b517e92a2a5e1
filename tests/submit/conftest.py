"""Fixtures of the submission tests (those of every test are in ``tests/conftest.py``).

``sesame``
    astropy's name resolver pointed at a local stand-in of CDS Sesame
    (``sesame_stub``) that knows a few stars; the fixture is the list of
    names it was asked for. Internet access is allowed in astropy while it
    runs (under ``no_internet`` it would refuse to ask even the stand-in).
"""
from __future__ import annotations

from typing import Iterator

import pytest
from astropy.utils import data as astropy_data

from sesame_stub import local_sesame


@pytest.fixture
def sesame() -> Iterator[list[str]]:
    with astropy_data.conf.set_temp('allow_internet', True), local_sesame() as calls:
        yield calls
