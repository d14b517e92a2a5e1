"""The cadence and the room of submit_missing: the pure rules, then against the
simulator (its clock knob completes requests: nothing sleeps)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord

from telescope_query import arguments, conf
from telescope_query.submit import cadence
from telescope_query.submit.queue import QueueEntry, completed_for

from helpers import SUBMIT, unique

pytestmark = pytest.mark.usefixtures('no_internet')

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
VIEW = 'v4request-view.php'


# --- pure ------------------------------------------------------------------------

def _entry(rid, name='X', status=3, position=None):
    return QueueEntry(rid, name, status, None, position)


def test_free_places_count_only_the_waiting_requests():
    queue = [_entry(1, status=3), _entry(2, status=8), _entry(3, status=1), _entry(4, status=22)]
    assert cadence.free_places(queue, 10) == 8
    assert cadence.free_places(queue, 2) == 0
    # More waiting than the limit: the account's own limit is higher; not known.
    assert cadence.free_places(queue, 1) is None


def test_the_last_completion_is_the_newest_time_not_the_newest_id():
    assert cadence.last_completion({}) is None
    assert cadence.last_completion({5: None}) is None
    assert cadence.last_completion({5: NOW - timedelta(days=3), 4: NOW - timedelta(days=1),
                                    6: None}) == (4, NOW - timedelta(days=1))


@pytest.mark.parametrize('age, interval, due', [
    (timedelta(days=1), timedelta(days=7), False),
    (timedelta(days=7), timedelta(days=7), True),        # exactly the interval: due
    (timedelta(days=8), timedelta(days=7), True),
    (timedelta(hours=1), timedelta(0), True),
    (-timedelta(minutes=5), timedelta(hours=1), False),  # the server's clock ahead of ours
])
def test_too_recent(age, interval, due):
    message = cadence.too_recent((7, NOW - age), NOW, interval)
    assert (message == '') is due
    if not due:
        assert 'R7 completed' in message and 'min_interval' in message
    assert cadence.too_recent(None, NOW, interval) == ''


SUMMER_NIGHT = datetime(2027, 6, 21, 23, 31, tzinfo=timezone.utc)
WINTER_NIGHT = datetime(2027, 12, 21, 23, 31, tzinfo=timezone.utc)


AHEAD = "ahead of this computer's clock"


@pytest.mark.parametrize('now, shown, interval, expected', [
    # Completed two minutes ago at 23:29 UTC in June: the view shows tomorrow's date.
    (SUMMER_NIGHT, SUMMER_NIGHT + timedelta(days=1, minutes=-2), timedelta(0), ''),
    (SUMMER_NIGHT, SUMMER_NIGHT + timedelta(days=1, minutes=-2), timedelta(days=7),
     'completed 2027-06-21 23:29 UTC, 0.0 hours ago'),
    # In winter there is no slip: a time ahead is the server's clock ahead of ours.
    (WINTER_NIGHT, WINTER_NIGHT + timedelta(days=1, minutes=-2), timedelta(0), AHEAD),
    # Not the slip's hour, or more than a day ahead: the slip does not explain it.
    (SUMMER_NIGHT, SUMMER_NIGHT + timedelta(hours=12), timedelta(0), AHEAD),
    (SUMMER_NIGHT, SUMMER_NIGHT + timedelta(days=1, minutes=5), timedelta(0), AHEAD),
])
def test_a_completion_the_summer_date_slip_shows_tomorrow_is_today(now, shown, interval,
                                                                     expected):
    """The suite once failed between 23:00 and 24:00 UTC in summer: a request
    completed a minute before read as 24 hours ahead, and min_interval=0 skipped it."""
    message = cadence.too_recent((7, shown), now, interval)
    assert (message == '') is (expected == '')
    assert expected in message


def test_a_slipped_time_in_the_past_is_kept_as_shown():
    """Two days ago at 23:30 may show as yesterday: the later time is kept, so the
    target waits a day longer, never less, than min_interval."""
    shown = SUMMER_NIGHT - timedelta(days=1)
    assert cadence.without_slip(shown, SUMMER_NIGHT) == shown
    assert cadence.too_recent((7, shown), SUMMER_NIGHT, timedelta(days=1, hours=1))


def test_completed_requests_of_a_target_by_name_or_position_newest_first():
    here = (310.0, 40.0)
    queue = [_entry(10, 'SS Cyg', 8), _entry(11, 'other', 8, here), _entry(12, 'ss  cyg', 3),
             _entry(13, 'far', 8, (10.0, 10.0)), _entry(14, 'SS CYG', 8)]
    found = completed_for(queue, ['SS Cyg'], SkyCoord(310 * u.deg, 40 * u.deg), 5)
    assert [entry.rid for entry in found] == [14, 11, 10]
    assert [e.rid for e in completed_for(queue, ['SS Cyg'], None, 1)] == [14]


@pytest.mark.parametrize('value, days', [
    (None, None), (3, 3.0), (0, 0.0), (12 * u.h, 0.5), (timedelta(days=2), 2.0),
])
def test_min_interval_values(value, days):
    got = arguments.min_interval(value)
    assert (got is None) if days is None else got == timedelta(days=days)


@pytest.mark.parametrize('value, error', [
    (-1, ValueError), ('weekly', TypeError), (True, TypeError), (3 * u.m, ValueError),
    (float('inf'), ValueError), (timedelta(days=-1), ValueError),
])
def test_min_interval_refused(telescope, simulator, value, error):
    simulator.counters.reset()
    with pytest.raises(error, match='min_interval must be a time span'):
        telescope.submit_missing(['03:00:00 +10:00:00'], min_interval=value)
    assert simulator.counters.total() == 0


@pytest.mark.parametrize('limit', [0, -3])
def test_a_bad_queue_limit_setting_is_named(telescope, simulator, limit):
    simulator.counters.reset()
    with conf.set_temp('queue_limit', limit), pytest.raises(ValueError,
                                                             match='conf.queue_limit'):
        telescope.submit_missing(['03:00:00 +10:00:00'])
    assert simulator.counters.total() == 0


# --- against the simulator ---------------------------------------------------------

@pytest.fixture
def alice(login_as):
    """A client of alice: the clock knob completes her queue, and the other
    tests' queued requests (demo's) stay queued."""
    return login_as('alice', 'alice-Secret-42')


def test_a_target_observed_within_min_interval_is_skipped(alice, simulator):
    name = unique('Cadence')
    rid = alice.submit('07:00:00 +30:00:00', name=name)
    simulator.complete_queue('alice')                     # the clock knob: observed now
    table = alice.submit_missing([name], min_interval=7 * u.day)
    assert list(table['action']) == ['skipped'] and table['rid'][0] == rid
    assert f'R{rid} completed' in table['message'][0]
    # The view is cached once final: a second run reads only the listing.
    simulator.counters.reset()
    again = alice.submit_missing([name], min_interval=7 * u.day, dry_run=True)
    assert list(again['action']) == ['skipped']
    assert simulator.counters[VIEW] == 0
    # No cadence, or one already passed: due again (a name not queued needs the
    # resolver, offline here: its coordinates then).
    where = '07:00:00 +30:00:00'
    assert list(alice.submit_missing([where], dry_run=True)['action']) == ['would submit']
    assert list(alice.submit_missing([where], min_interval=0,
                                         dry_run=True)['action']) == ['would submit']
    assert list(alice.submit_missing([where], min_interval=1,
                                         dry_run=True)['action']) == ['skipped']


def test_a_target_matched_by_position_counts_too(alice, simulator):
    rid = alice.submit('07:10:00 +31:00:00', name=unique('Pos'))
    simulator.complete_queue('alice')
    table = alice.submit_missing(['07:10:00.1 +31:00:01'], min_interval=1 * u.day)
    assert list(table['action']) == ['skipped'] and table['rid'][0] == rid


def test_a_lost_view_fails_the_target_and_sends_nothing(alice, simulator):
    name = unique('Lost')
    alice.submit('07:20:00 +32:00:00', name=name)
    simulator.complete_queue('alice')
    simulator.faults.add('http_500', endpoint=VIEW, count=100)
    simulator.counters.reset()
    table = alice.submit_missing([name], min_interval=1 * u.day)
    assert list(table['action']) == ['failed']
    assert 'when it was last observed is unknown' in table['message'][0]
    assert simulator.counters[SUBMIT] == 0


@pytest.fixture
def site_limit(simulator_factory, login_as, monkeypatch):
    """A simulator with the site's queue limit (10), and a client logged in to it."""
    sim = simulator_factory(queue_limits={})
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', sim.url)
    with conf.set_temp('queue_limit', 10):
        yield sim, login_as('demo')


def _fields(count):
    return [f'{hours:02d}:30:00 +45:00:00' for hours in range(count)]


@pytest.mark.parametrize('dry_run', [False, True])
def test_only_the_free_places_are_used_in_order(site_limit, dry_run):
    sim, client = site_limit
    free = 10 - len(client.get_requests(status='queued'))
    assert free > 0
    sim.counters.reset()
    table = client.submit_missing(_fields(free + 2), dry_run=dry_run)
    done = 'would submit' if dry_run else 'submitted'
    assert list(table['action']) == [done] * free + ['waits for room'] * 2
    assert 'waits for room' in table['message'][-1] and 'conf.queue_limit' in table['message'][-1]
    assert sim.counters[SUBMIT] == (0 if dry_run else free)


def test_a_queue_fuller_than_conf_says_stops_at_the_sites_word(site_limit):
    """conf.queue_limit above the site's: the site's refusal stops the batch."""
    sim, client = site_limit
    free = 10 - len(client.get_requests(status='queued'))
    sim.counters.reset()
    with conf.set_temp('queue_limit', 40):
        table = client.submit_missing(_fields(free + 2))
    assert list(table['action']) == ['submitted'] * free + ['not sent'] * 2
    assert 'full' in table['message'][-1]
    assert sim.counters[SUBMIT] == free + 1             # the refused one, then no more


def test_room_made_by_the_telescope_is_used_by_the_next_run(site_limit):
    sim, client = site_limit
    first = client.submit_missing(_fields(12))
    waiting = [row['target'] for row in first if row['action'] == 'waits for room']
    assert waiting
    sim.complete_queue('demo')          # this test's own simulator
    second = client.submit_missing(waiting)
    assert list(second['action']) == ['submitted'] * len(waiting)
