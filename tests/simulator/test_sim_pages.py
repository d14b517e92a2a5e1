"""Pure page functions of the simulator: time cells and the summer date slip."""
import calendar
import datetime as dt
import time

import pytest

from telescope_query.simulator import pages
from helpers import time_words


def utc(text):
    return calendar.timegm(time.strptime(text, '%Y-%m-%d %H:%M:%S'))


@pytest.mark.parametrize('completed,shown', [
    # J336896: frames of 18 June, the view reads the 19th with the UTC clock [seen].
    ('2019-06-18 23:45:04', '19 June 2019 (23:45:04 UTC)'),
    ('2019-09-30 23:12:01', '1 October 2019 (23:12:01 UTC)'),       # J339515 [seen]
    ('2019-07-09 00:01:09', '9 July 2019 (00:01:09 UTC)'),          # J337837 [seen]
    ('2019-12-01 23:36:41', '1 December 2019 (23:36:41 UTC)'),      # J341416, winter
    ('2024-11-18 05:41:09', '18 November 2024 (05:41:09 UTC)'),     # J423183
])
def test_time_cell_shows_the_local_date_and_the_utc_clock(completed, shown):
    now = utc('2024-11-18 16:00:00')
    cell = pages.time_cell(utc(completed), now)
    words = cell.split()
    assert ' '.join(words[3:]) == shown
    assert len(words) == 8 and words[2] == 'ago'   # exactly three words before the date


def test_date_slip_follows_the_canary_islands_clock():
    # Every hour of 2019 and 2024 (both clock changes included).
    for year in (2019, 2024):
        start = utc(f'{year}-01-01 00:30:00')
        for hour in range(0, 366 * 24, 1):
            moment = start + hour * 3600
            assert pages.time_cell(moment, moment + 10).split()[3:8] == time_words(moment)


def test_slip_only_late_in_summer_evenings():
    def utc_date(moment):
        return dt.datetime.fromtimestamp(moment, dt.timezone.utc).date()

    year = range(utc('2019-01-01 00:00:00'), utc('2020-01-01 00:00:00'), 1800)
    slipped = [m for m in year if pages.local_date(m) != utc_date(m)]
    assert slipped
    for moment in slipped:
        when = time.gmtime(moment)
        assert when.tm_hour == 23 and 3 <= when.tm_mon <= 10
        assert pages.local_date(moment) == utc_date(moment) + dt.timedelta(days=1)
