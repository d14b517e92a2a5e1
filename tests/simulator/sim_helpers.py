"""Plain helpers of the simulator's tests (the fixtures are in conftest.py)."""
from __future__ import annotations

import datetime as dt

import pytest


def site_date(seconds: float) -> dt.date:
    """The date the site writes in its time cells: the Canary Islands' local date.

    Written with the system's time zone data, independently of the simulator's
    own rule (the summer date slip of PROTOCOL.md section 3).
    """
    try:
        from zoneinfo import ZoneInfo
        zone = ZoneInfo('Atlantic/Canary')
    except Exception:                       # no time zone data on this machine
        pytest.skip('no time zone data for Atlantic/Canary')
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).astimezone(zone).date()


def time_words(seconds: float) -> list[str]:
    """Words 4-8 of a time cell as the original client took them:
    day, month, year, '(HH:MM:SS', 'UTC)' (the date local, the clock UTC)."""
    date = site_date(seconds)
    clock = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    return [str(date.day), date.strftime('%B'), str(date.year),
            '(' + clock.strftime('%H:%M:%S'), 'UTC)']
