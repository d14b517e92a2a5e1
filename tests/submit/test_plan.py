"""The plan of one request: exposures checked, and the whole plan (no telescope server).

Name resolution never leaves this machine (see ``test_target.py``).
"""
import numpy as np
import pytest
import astropy.units as u

from telescope_query import LowAltitudeWarning, conf
from telescope_query.submit.plan import exposure_to_ms, plan_submission


# --- Telescope, filter, exposure -----------------------------------------------------

@pytest.mark.parametrize('exposure, ms', [
    (60 * u.s, 60000), (2 * u.min, 120000), (30, 30000), (0.5, 500),
    (1500 * u.ms, 1500), (np.float64(12.25), 12250), (180 * u.s, 180000),
    (3 * u.min, 180000)])
def test_exposures_in_ms(exposure, ms):
    assert exposure_to_ms(exposure, 'COAST') == ms


def test_the_longest_exposure_is_the_sites():
    # 180 s is COAST's maximum [seen]; PIRATE's is unknown: conf, the same by default.
    with pytest.raises(ValueError, match='exposure 181 s is too long.*180 s on COAST'):
        exposure_to_ms(181, 'COAST')
    assert exposure_to_ms(180, 'PIRATE') == 180000
    with conf.set_temp('pirate_max_exposure', 300):
        assert exposure_to_ms(300, 'PIRATE') == 300000
        with pytest.raises(ValueError, match='180 s on COAST'):
            exposure_to_ms(300, 'COAST')


@pytest.mark.parametrize('exposure, error', [
    (0, ValueError), (-5, ValueError), (float('nan'), ValueError),
    (float('inf'), ValueError), (181, ValueError), (4 * u.min, ValueError),
    (5 * u.m, ValueError), ([1, 2] * u.s, ValueError), (0.0001, ValueError),
    ('60', TypeError), (True, TypeError), (None, TypeError)])
def test_bad_exposures_name_the_parameter(exposure, error):
    with pytest.raises(error, match='exposure'):
        exposure_to_ms(exposure, 'COAST')


@pytest.mark.parametrize('telescope', ['COAST', 'PIRATE'])
def test_the_shortest_exposure_names_the_parameter_and_the_range(telescope):
    assert exposure_to_ms(0.1, telescope) == 100
    with pytest.raises(ValueError, match=rf'^exposure 0.05 s is too short: must be a time '
                                         rf'from 0.1 s to 180 s on {telescope}'):
        exposure_to_ms(0.05, telescope)
    with pytest.raises(ValueError, match='exposure 0.01 s is too short'):
        exposure_to_ms(10 * u.ms, telescope)


def test_the_range_is_said_in_the_unit_of_the_number_given():
    # The original library's calls take milliseconds: so do their messages.
    assert exposure_to_ms(30000, 'COAST', unit=u.ms) == 30000
    with pytest.raises(ValueError, match='^exposure 50 ms is too short: must be a time from '
                                         '100 ms to 180000 ms on COAST, as a Quantity or '
                                         'milliseconds$'):
        exposure_to_ms(50, 'COAST', unit=u.ms)
    with pytest.raises(ValueError, match='^expos 200 s is too long: .* 0.1 s to 180 s'):
        exposure_to_ms(200, 'COAST', name='expos')


# --- The whole plan ------------------------------------------------------------------

def test_plan_for_coordinates(no_internet):
    plan = plan_submission('20:42:59.6 +43:35:10', exposure=2 * u.min,
                               telescope='pirate', filter='V', dark_frame=False,
                               comment='Mira')
    assert plan.object_id == '20:42:59.60 +43:35:10.00'
    assert plan.object_name == plan.object_id      # coordinates name themselves
    assert (plan.telescope, plan.telescope_id, plan.filter) == ('PIRATE', 7, 'Green')
    assert plan.exposure_ms == 120000 and plan.exposure == 120 * u.s
    assert plan.dark_frame is False and plan.comment == 'Mira'
    assert plan.max_altitude == pytest.approx(90 - (43.586 - 28.30), abs=1e-2)


def test_plan_for_a_name_uses_it(sesame):
    plan = plan_submission('SS Cyg')
    assert plan.object_name == 'SS Cyg' and plan.object_id == '21:42:42.94 +43:35:10.21'
    assert plan_submission('SS Cyg', name='my star').object_name == 'my star'


def test_plan_checks_cheap_things_before_resolving(sesame):
    sesame.clear()
    for kwargs in ({'telescope': 'Galaxy'}, {'filter': 'Ha'}, {'exposure': -1},
                   {'name': ''}, {'comment': 3}, {'dark_frame': 'yes'}):
        with pytest.raises((ValueError, TypeError)):
            plan_submission('SS Cyg', **kwargs)
    assert sesame == []


def test_plan_for_southern_targets(no_internet):
    with pytest.raises(ValueError, match='never rises'):
        plan_submission('12:00:00 -70:00:00')
    with pytest.warns(LowAltitudeWarning):
        plan_submission('12:00:00 -45:00:00')
