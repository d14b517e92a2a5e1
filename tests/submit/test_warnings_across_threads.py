"""Warnings and threads: planning a target never changes how another thread's
warnings are handled.

Python's warning filters are the whole process's. Planning used to turn
astropy's warnings into errors while it read a coordinate, and to catch the
look-ahead's warning to note it: meanwhile a warning of another thread was
raised there as an exception, or noted on the wrong target. Each test holds
one thread inside the planning step and warns from another.
"""
from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from telescope_query import NotObservableWarning
from telescope_query.submit import batch, target

TIMEOUT = 10


def _inside(monkeypatch, module, name, answer=None):
    """Replace ``module.name`` with a wrapper that stops until released, then
    calls it (or gives ``answer(*args)`` instead)."""
    real = getattr(module, name) if answer is None else answer
    entered, release = threading.Event(), threading.Event()

    def held(*args, **kwargs):
        entered.set()
        assert release.wait(TIMEOUT), 'never released'
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, held)
    return entered, release


def _in_thread(work):
    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(work()))
    thread.start()
    return thread, outcome


def test_another_threads_warning_is_not_an_error_while_a_coordinate_is_read(monkeypatch):
    entered, release = _inside(monkeypatch, target, 'Angle')
    thread, outcome = _in_thread(lambda: target.parse_coordinates('20:10:59 +10:00:00'))
    try:
        assert entered.wait(TIMEOUT)
        # Under the filters as they are (no catch here, which would set its own).
        try:
            warnings.warn('not observable', NotObservableWarning)
        except NotObservableWarning:
            pytest.fail("another thread's warning was raised as an error")
    finally:
        release.set()
        thread.join(TIMEOUT)
    assert outcome and outcome[0].ra.deg == pytest.approx(302.745833, abs=1e-5)


@pytest.mark.parametrize('text', ['20:10:60 +10:00:00', '20:60:00 +10:00:00',
                                  '20:10:00 +10:00:60', '20h10m60s +10d00m00s'])
def test_minutes_or_seconds_of_sixty_are_refused_naming_target(text):
    with pytest.raises(ValueError, match='target .* must be below 60'):
        target.parse_coordinates(text)


@pytest.mark.filterwarnings('ignore:B.s target')
def test_the_look_ahead_notes_only_its_own_targets_warning(monkeypatch):
    """Thread A's target is observable; a warning of thread B meanwhile is B's."""
    import telescope_query.observe.api as observe_api
    # Three observable nights, whatever the date the suite runs on.
    entered, release = _inside(monkeypatch, observe_api, 'observable_nights',
                               answer=lambda coords, *_: np.full(len(coords), 3))
    item = _item('A', '10:00:00 +20:00:00')
    plan = batch.plan_submission('10:00:00 +20:00:00')
    thread, outcome = _in_thread(lambda: batch._look_ahead(item, plan))
    try:
        assert entered.wait(TIMEOUT)
        warnings.warn("B's target is not observable", NotObservableWarning)
    finally:
        release.set()
        thread.join(TIMEOUT)
    assert outcome == [None] and item.notes == ''


def _item(label, where):
    return batch._Target(label, where, exposure=30, filter='BVR', telescope='COAST')


def test_a_low_target_is_noted_and_warned_without_catching(recwarn):
    item = _item('low', '10:00:00 -55:00:00')
    plan = batch._plan(item)
    assert plan is not None, item.error
    assert 'never gets higher than' in item.notes
    assert any('never gets higher than' in str(w.message) for w in recwarn.list)
    high = _item('high', SkyCoord(150, 40, unit='deg'))
    assert batch._plan(high) is not None and high.notes == ''
