"""submit and submit_missing warn when a target has no observable night soon
(``conf.observable_days``), and still submit it."""
from __future__ import annotations

import warnings

import pytest
import astropy.units as u
from astropy.time import Time

from telescope_query import NotObservableWarning, conf

from helpers import unique
from .test_observability import _opposite_sun, _sun


def _text(coord) -> str:
    return coord.to_string('hmsdms', sep=':', precision=1)


def test_submit_warns_and_submits(telescope):
    target = _text(_sun(Time.now()))
    with pytest.warns(NotObservableWarning, match='no night in the next 14 days'):
        rid = telescope.submit(target, name=unique('Sun'))
    assert rid in list(telescope.get_requests(status='queued')['rid'])


def test_an_observable_target_does_not_warn(telescope):
    with warnings.catch_warnings():
        warnings.simplefilter('error', NotObservableWarning)
        telescope.submit(_text(_opposite_sun(Time.now())), name=unique('Night'))
        telescope.submit(_text(_sun(Time.now())), get_query_payload=True)


def test_the_look_ahead_is_a_setting(telescope):
    """Over a year even a target beside the Sun today gets its nights."""
    with conf.set_temp('observable_days', 366), warnings.catch_warnings():
        warnings.simplefilter('error', NotObservableWarning)
        telescope.submit(_text(_sun(Time.now())), name=unique('Year'))
    with conf.set_temp('observable_days', 0), pytest.raises(ValueError,
                                                             match='conf.observable_days'):
        telescope.submit(_text(_sun(Time.now())), name=unique('Never'))


@pytest.mark.parametrize('dry_run', [True, False])
def test_submit_missing_notes_the_warning(telescope, dry_run):
    # Away from the other tests' targets, and from the other run's (either may
    # come first): a queued target is not planned, so it would not warn.
    shift = (2 if dry_run else 4) * u.deg
    sun = _text(_sun(Time.now()).spherical_offsets_by(0 * u.deg, shift))
    night = _text(_opposite_sun(Time.now()).spherical_offsets_by(0 * u.deg, shift))
    with pytest.warns(NotObservableWarning) as caught:
        report = telescope.submit_missing([sun, night], dry_run=dry_run)
    assert len([w for w in caught if w.category is NotObservableWarning]) == 1
    assert 'no night in the next 14 days' in report['message'][0]
    assert 'no night' not in report['message'][1]
    assert list(report['action']) == (['would submit'] * 2 if dry_run else ['submitted'] * 2)
