"""Observability from the Observatorio del Teide: the pure computation, checked
against astroplan (an independent implementation) and against cases whose
answer is known without it."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord, get_body
from astropy.time import Time
from astropy.utils import iers

from telescope_query import NotObservableWarning, Telescope, conf
from telescope_query.observe import observability as ob

START = Time('2027-03-01 12:00', scale='utc')


def _sun(when: Time) -> SkyCoord:
    """Where the Sun is seen from the Earth (its GCRS direction, not the barycentre's)."""
    sun = get_body('sun', when)
    return SkyCoord(sun.ra, sun.dec)


def _opposite_sun(when: Time) -> SkyCoord:
    """High at midnight: opposite the Sun in RA, Dec +20 (transits at 82°)."""
    return SkyCoord(_sun(when).ra + 180 * u.deg, 20 * u.deg)


def test_the_grid_agrees_with_astroplan(monkeypatch):
    """astroplan's constraints (topocentric, with the IERS table) and this module's
    grid differ only at the edges of windows: under 1% of the samples."""
    astroplan = pytest.importorskip('astroplan')
    targets = SkyCoord(ra=[30, 120, 200, 300] * u.deg, dec=[10, 45, -20, 60] * u.deg)
    times = ob.time_grid(START, 3)
    limits = ob.Limits(min_altitude=30, moon_separation=30)
    mine, _ = ob.observable_grid(targets, times, limits)
    monkeypatch.undo()      # astroplan reads the bundled IERS table (no download)
    from astropy.coordinates import EarthLocation
    observer = astroplan.Observer(location=EarthLocation(lat=28.30 * u.deg,
                                                         lon=-16.51 * u.deg,
                                                         height=2390 * u.m))
    constraints = [astroplan.AtNightConstraint.twilight_astronomical(),
                   astroplan.AltitudeConstraint(min=30 * u.deg),
                   astroplan.MoonSeparationConstraint(min=30 * u.deg)]
    # START is in the IERS table's predictions; astropy refuses those once they
    # are 30 days old (auto_max_age), which this comparison does not need.
    with warnings.catch_warnings(), iers.conf.set_temp('auto_max_age', None):
        warnings.simplefilter('ignore')
        theirs = np.logical_and.reduce([c(observer, targets, times=Time(times.jd, format='jd'),
                                          grid_times_targets=True) for c in constraints])
    assert mine.shape == theirs.shape
    assert mine.sum() > 100                          # the comparison compares something
    assert (mine != theirs).mean() < 0.01


def test_a_target_beside_the_sun_is_never_observable():
    table = ob.observability_table(_sun(START).reshape((1,)), ['sun'], START, 10,
                                   ob.Limits())
    row = table[0]
    assert row['nights'] == 0 and row['hours'] == 0
    assert np.ma.is_masked(row['best_airmass'])
    assert table['window_start'].mask[0] and table['window_end'].mask[0]


def test_a_target_opposite_the_sun_is_observable_every_night_but_near_the_moon():
    target = _opposite_sun(START + 5 * u.day).reshape((1,))
    table = ob.observability_table(target, ['anti'], START, 10,
                                   ob.Limits(moon_separation=0))
    row = table[0]
    assert row['nights'] >= 10
    assert 1.0 <= row['best_airmass'] < 1.05        # it transits at 82°
    start, end = table['window_start'][0], table['window_end'][0]
    assert START < start < end < START + 1 * u.day
    # The window lies in the night: at its edges the Sun is below -18°, within
    # the 5 minutes of the grid (about 1.2° of the Sun's altitude).
    altitudes = []
    for edge in (start, end):
        lst, sun_ra, sun_dec, _, _ = ob._sky(ob.time_grid(edge, 1e-3))
        altitudes.append(ob._altitude(sun_ra, sun_dec, lst)[0])
    assert max(altitudes) < -16.5


def test_the_moon_takes_hours_away():
    """The full Moon of 2027-03-22 beside the target: fewer hours with a
    separation limit than without."""
    when = Time('2027-03-22 00:00', scale='utc')
    moon = get_body('moon', when)
    target = SkyCoord(moon.ra, moon.dec + 5 * u.deg).reshape((1,))
    free = ob.observability_table(target, ['m'], when - 12 * u.h, 2, ob.Limits(moon_separation=0))
    kept = ob.observability_table(target, ['m'], when - 12 * u.h, 2, ob.Limits(moon_separation=30))
    assert free['hours'][0] > 0
    assert kept['hours'][0] < free['hours'][0]


def test_months_follow_the_season():
    """Orion's belt is a winter target: January yes, July no."""
    target = SkyCoord('05h36m -01d12m').reshape((1,))
    months = ob.observable_months(target, 2027, ob.Limits())[0].split()
    assert 'Jan' in months and 'Dec' in months
    assert 'Jul' not in months and 'Jun' not in months


def test_a_target_too_far_south_has_no_month():
    target = SkyCoord('12h -50d').reshape((1,))
    assert ob.observable_months(target, 2027, ob.Limits()) == ['']


def test_the_public_method_takes_names_coordinates_and_tables(no_internet):
    from astropy.table import Table
    table = Telescope.observability(['05:36:00 -01:12:00', SkyCoord('12h -50d')],
                                    start='2027-01-10', days=5)
    assert list(table['target']) == ['05:36:00 -01:12:00', '12:00:00.00 -50:00:00.00']
    assert table['nights'][0] > 0 and table['nights'][1] == 0
    assert table.meta['telescope'] == 'COAST' and table.meta['days'] == 5
    again = Telescope.observability(Table({'target': ['05:36:00 -01:12:00']}),
                                    start='2027-01-10', days=5)
    assert again['hours'][0] == table['hours'][0]


@pytest.mark.parametrize('kwargs, error, words', [
    ({'days': 0}, ValueError, 'days must be a number of days above 0'),
    ({'days': -3}, ValueError, 'days'),
    ({'days': 400}, ValueError, 'at most 366'),
    ({'days': float('nan')}, ValueError, 'days'),
    ({'days': 'ten'}, TypeError, 'days'),
    ({'days': True}, TypeError, 'days'),
    ({'days': 3 * u.m}, ValueError, 'days'),
    ({'start': 'yesterday-ish'}, ValueError, 'start must be'),
    ({'start': 12}, TypeError, 'start must be'),
    ({'telescope': 'Hubble'}, ValueError, 'telescope'),
])
def test_bad_arguments_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        Telescope.observability(['05:36:00 -01:12:00'], **kwargs)


@pytest.mark.parametrize('targets, error, words', [
    ([], ValueError, 'targets is empty'),
    (42, TypeError, 'targets must be'),
    (['99:00:00 +00:00:00'], ValueError, "target '99:00:00"),
])
def test_bad_targets_are_named(targets, error, words):
    with pytest.raises(error, match=words):
        Telescope.observability(targets, start='2027-01-10', days=1)


def test_bad_conf_limits_are_named():
    with conf.set_temp('observable_min_altitude', 95.0), \
            pytest.raises(ValueError, match='conf.observable_min_altitude'):
        Telescope.observability(['05:36:00 -01:12:00'], start='2027-01-10', days=1)


def test_days_are_a_quantity_too():
    table = Telescope.observability(['05:36:00 -01:12:00'], start='2027-01-10',
                                    days=48 * u.h)
    assert table.meta['days'] == 2


def test_the_look_ahead_warns_only_without_a_night():
    now = Time.now()
    with pytest.warns(NotObservableWarning, match='no night in the next 14 days'):
        from telescope_query.observe.api import warn_if_not_observable
        assert warn_if_not_observable(_sun(now), 'the Sun') is False
    with warnings.catch_warnings():
        warnings.simplefilter('error', NotObservableWarning)
        assert warn_if_not_observable(_opposite_sun(now), 'anti') is True
