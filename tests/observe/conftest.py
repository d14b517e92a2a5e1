"""Fixtures of the observability tests: nothing may leave the machine.

``offline`` (autouse): astropy refuses any download, and reading an IERS table
at all is an error, so the tests prove that the computation needs none.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from astropy.utils import data as astropy_data
from astropy.utils import iers


@pytest.fixture(autouse=True)
def offline(monkeypatch) -> Iterator[None]:
    def refuse(cls, *args, **kwargs):
        raise AssertionError('an IERS table was read')
    monkeypatch.setattr(iers.IERS_Auto, 'open', classmethod(refuse))
    monkeypatch.setattr(iers.IERS_A, 'open', classmethod(refuse))
    monkeypatch.setattr(iers.IERS_B, 'open', classmethod(refuse))
    with astropy_data.conf.set_temp('allow_internet', False), \
            iers.conf.set_temp('auto_download', False):
        yield
