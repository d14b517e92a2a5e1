"""The scheduler's decisions (`telescope_query.images.polling`): pure, no server, no clock.

Each case gives the engine's answer and the time, and reads the action: what
``test_staging.py`` sees over HTTP (backoff, at once after OK_READY, the
deadline, the error's words), and the edges it cannot reach in time.
"""
from __future__ import annotations

import pytest

from telescope_query.exceptions import ProductNotReadyError
from telescope_query.images.polling import (FIRST_POLL_DELAY, POLL_GROWTH, Answer, Download,
                                            GiveUp, PollAt, Polling, Rules, next_action,
                                            seconds_to_next)
from telescope_query.images.product import Product

RULES = Rules(interval=2.0, max_poll_time=600.0)
CUBE = Product(369256)


def test_a_ready_answer_is_downloaded():
    assert next_action(CUBE, Answer('READY', True), 10.0, RULES,
                       Polling(deadline=100.0, delay=0.5)) == Download()


def test_a_processed_page_ready_at_staging_is_downloaded_at_once():
    processed = Product(369256, processed=True)
    assert next_action(processed, Answer('ready', True), 10.0, RULES) == Download()


def test_the_staging_answer_starts_polling_with_the_first_delay():
    action = next_action(CUBE, Answer('OK_WAIT', False), 10.0, RULES)
    assert action == PollAt(10.0 + FIRST_POLL_DELAY,
                            Polling(deadline=610.0, delay=FIRST_POLL_DELAY * POLL_GROWTH))


def test_a_product_the_engine_has_prepared_is_polled_at_once():
    action = next_action(CUBE, Answer('OK_READY', False), 10.0, RULES)
    assert isinstance(action, PollAt) and action.when == 10.0
    assert action.polling.delay == FIRST_POLL_DELAY * POLL_GROWTH


def test_ok_ready_from_a_poll_waits_as_any_other_word():
    # OK_* come only from the create call [seen]: from a poll it is just a word.
    action = next_action(CUBE, Answer('OK_READY', False), 10.0, RULES,
                         Polling(deadline=100.0, delay=0.5))
    assert isinstance(action, PollAt) and action.when == 10.5


def test_the_waits_grow_up_to_the_interval():
    rules = Rules(interval=0.2, max_poll_time=60.0)
    now, polling, waits = 0.0, None, []
    for _ in range(12):
        action = next_action(CUBE, Answer('PROCESSING', False), now, rules, polling)
        assert isinstance(action, PollAt)
        waits.append(round(action.when - now, 6))
        now, polling = action.when, action.polling
    assert waits[:4] == [0.05, 0.075, 0.1125, 0.16875]
    assert waits[4:] == [0.2] * 8
    assert all(a <= b for a, b in zip(waits, waits[1:]))


def test_an_interval_shorter_than_the_first_delay_is_the_first_wait():
    action = next_action(CUBE, Answer('OK_WAIT', False), 0.0,
                         Rules(interval=0.01, max_poll_time=30.0))
    assert isinstance(action, PollAt) and action.when == 0.01
    assert action.polling.delay == 0.01


@pytest.mark.parametrize('now', [100.0, 250.0])
def test_at_or_past_the_deadline_polling_gives_up_naming_the_job(now):
    action = next_action(CUBE, Answer('PROCESSING', False), now,
                         Rules(interval=2.0, max_poll_time=90.0),
                         Polling(deadline=100.0, delay=2.0))
    assert isinstance(action, GiveUp)
    error = action.error
    assert isinstance(error, ProductNotReadyError) and isinstance(error, TimeoutError)
    assert str(error).startswith('the cube of job 369256 was not ready after 90 s')
    assert "'PROCESSING'" in str(error) and 'conf.max_poll_time' in str(error)


def test_ready_past_the_deadline_is_still_downloaded():
    assert next_action(CUBE, Answer('READY', True), 500.0, RULES,
                       Polling(deadline=100.0, delay=2.0)) == Download()


def test_no_time_to_poll_gives_up_at_the_staging_answer():
    action = next_action(Product(1, cube=False, processed=True), Answer('waiting', False),
                         5.0, Rules(interval=2.0, max_poll_time=0.0))
    assert isinstance(action, GiveUp)
    assert 'processed zip of job 1' in str(action.error)


def _polls_until_given_up(rules: Rules) -> int:
    """Polls of a product never ready, each answered the moment it is sent."""
    action = next_action(CUBE, Answer('OK_WAIT', False), 0.0, rules)
    for polls in range(10_000):
        if not isinstance(action, PollAt):
            assert isinstance(action, GiveUp)
            return polls
        action = next_action(CUBE, Answer('PROCESSING', False), action.when, rules,
                             action.polling)
    raise AssertionError('polling never gave up')


@pytest.mark.parametrize('interval, max_poll_time, fewest, most', [
    (0.01, 0.2, 2, 0.2 / 0.01 + 5),      # test_a_product_never_ready_times_out_...
    (0.05, 0.4, 4, 12),                   # test_poll_backoff_grows_to_poll_interval
    (2.0, 600.0, 290, 310),               # the defaults: every 2 s for 10 minutes
])
def test_a_product_never_ready_is_polled_a_bounded_number_of_times(interval, max_poll_time,
                                                                   fewest, most):
    assert fewest <= _polls_until_given_up(Rules(interval, max_poll_time)) <= most


def test_seconds_to_the_next_poll():
    assert seconds_to_next([], 5.0) is None
    assert seconds_to_next([7.0, 6.5], 5.0) == 1.5
    assert seconds_to_next([4.0, 9.0], 5.0) == 0.0      # one is due already
