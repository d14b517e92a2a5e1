"""Frame times (images/times.py): DATE-AVG/MJD-AVG, Telescope.frame_times, BJD_TDB."""
from __future__ import annotations

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.time import Time

from telescope_query.images.times import add_times, bjd_tdb, frame_table
from telescope_query.simulator.headers import frame_times as simulated_times, plane_names

from helpers import demo_jids


def three_colour(sim):
    return [j for j in demo_jids(sim) if sim.archive.job(j).filter_type == 'BVR']


def test_every_frame_keeps_its_own_time(telescope, simulator, quick):
    jid = three_colour(simulator)[0]
    job = simulator.archive.job(jid)
    truth = [Time(t, format='unix', scale='utc') for t in simulated_times(job, plane_names(job))]
    zipped, = telescope.get_images(jid, cube=False)
    frames = [hdu for hdu in zipped if hdu.data is not None]
    starts = [Time(hdu.header['DATE-OBS']) for hdu in frames]
    assert [abs((s - t).to_value(u.s)) < 0.001 for s, t in zip(starts, truth)] == [True] * 3
    for hdu, start in zip(frames, starts):
        mid = start + hdu.header['EXPTIME'] / 2 * u.s
        assert Time(hdu.header['DATE-AVG']).isot == mid.isot
        assert hdu.header['MJD-AVG'] == pytest.approx(mid.mjd, abs=1e-9)
        assert hdu.header['MJD-OBS'] == pytest.approx(start.mjd, abs=1e-9)
    cube, = telescope.get_images(jid)
    assert 'DATE-AVG' not in cube[0].header            # three frames, three times
    table = telescope.frame_times(cube)
    assert [abs((s - t).to_value(u.s)) < 0.001 for s, t in zip(table['start'], truth)] == [True] * 3


def test_frame_times_of_a_job(telescope, simulator, quick):
    jid = three_colour(simulator)[0]
    job = simulator.archive.job(jid)
    table = telescope.frame_times(jid)
    assert list(table['filter']) == list(plane_names(job))       # the order taken: R, V, B
    assert table['exposure'].unit == u.s and (table['exposure'] == job.exposure_ms / 1000).all()
    assert np.allclose((table['mid'] - table['start']).to_value(u.s), job.exposure_ms / 2000)
    # Never the completion time: every frame starts before it, the first minutes before.
    completed = Time(job.completion_time, format='unix', scale='utc')
    lead = (completed - table['start']).to_value(u.s)
    assert (lead > 0).all() and lead[0] > 2 * job.exposure_ms / 1000
    # Each frame after the one before.
    assert (np.diff(table['start'].mjd) > 0).all()


def test_barycentric_dates_for_a_target(telescope, simulator, quick):
    jid = three_colour(simulator)[0]
    job = simulator.archive.job(jid)
    star = SkyCoord(job.ra_deg, job.dec_deg, unit='deg')
    table = telescope.frame_times(jid, target=star)
    again = telescope.frame_times(jid, target=star.to_string('hmsdms', sep=':'))
    assert table['bjd_tdb'].scale == 'tdb' and table['bjd_tdb'].format == 'jd'
    correction = (table['bjd_tdb'] - table['mid']).to_value(u.s)
    assert (np.abs(correction) < 500 + 70).all()          # light time 8.3 min at most, + TT-UTC
    assert np.allclose(again['bjd_tdb'].jd, table['bjd_tdb'].jd, atol=1e-8)
    with pytest.raises(ValueError, match="target must be a SkyCoord or a coordinate string"):
        telescope.frame_times(jid, target='Vega')


def test_bjd_matches_astropy_done_by_hand():
    when = Time('2023-12-09T19:29:47.1', scale='utc')
    star = SkyCoord('19:19:02.60 +41:06:34.24', unit=('hourangle', 'deg'))
    from astropy.coordinates import EarthLocation
    teide = EarthLocation.from_geodetic(-16.51, 28.30, 2390)
    located = Time(when, location=teide)
    expected = located.tdb + located.light_travel_time(star)
    assert bjd_tdb(when, star).jd == pytest.approx(expected.jd, abs=1e-9)


@pytest.mark.parametrize('when', ['2027-03-01T22:00:00', '2031-01-01T00:00:00'])
def test_bjd_needs_no_fresh_iers_predictions(when):
    """Frames newer than the IERS table's measured values (predictions, or past
    its end), with the predictions older than astropy accepts: the suite once
    failed 30 days after the installed astropy-iers-data was made."""
    from astropy.utils import iers
    star = SkyCoord('19:19:02.60 +41:06:34.24', unit=('hourangle', 'deg'))
    with iers.conf.set_temp('auto_max_age', 1e-9):     # every prediction is too old
        bjd = bjd_tdb(Time(when, scale='utc'), star)
    correction = (bjd - Time(when, scale='utc')).to_value(u.s)
    # TT-UTC (69.184 s since 2017) and the light travel time, at most ~8.3 min.
    assert abs(correction - 69.184) < 500


def test_missing_times_and_exposures_are_masked_not_invented():
    frames = [fits.ImageHDU(np.zeros((4, 4), np.uint8)) for _ in range(3)]
    frames[0].header.update({'FILTER': 'R', 'DATE-OBS': '2024-11-11T00:17:32.5', 'EXPTIME': 180.0})
    frames[1].header.update({'FILTER': 'V', 'DATE-OBS': '2024-11-11T00:21:00.0'})
    frames[2].header.update({'FILTER': 'B', 'DATE-OBS': 'soon', 'EXPTIME': 180.0})
    hdul = add_times(fits.HDUList([fits.PrimaryHDU(), *frames]))
    assert 'DATE-AVG' in hdul[1].header and 'DATE-AVG' not in hdul[2].header
    assert 'MJD-OBS' in hdul[2].header and 'MJD-OBS' not in hdul[3].header
    table = frame_table(hdul)
    assert list(table['start'].mask) == [False, False, True]
    assert list(table['mid'].mask) == [False, True, True]
    assert list(table['exposure'].mask) == [False, True, False]
    given = frame_table(hdul, exposure=120 * u.s)       # the job view's exposure
    assert list(given['exposure']) == [180, 120, 180] and not given['mid'].mask[1]
