"""Telescope.get_images against the simulator: HDULists, ids, cache, errors, progress."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS, FITSFixedWarning

from astroquery.exceptions import LoginError

from telescope_query import conf
from telescope_query.images import cache, progress
from telescope_query.images.product import Product
from telescope_query.legacy import Telescope as LegacyTelescope
from telescope_query.exceptions import DownloadError, NoSuchJobError, ProductNotReadyError

from helpers import DOWNLOAD, demo_jids


def three_colour(sim, telescope_filter):
    return [j for j in demo_jids(sim) if sim.archive.job(j).filter_type == telescope_filter]


def served(sim, jid, kind='cube', processed=False):
    return fits.getdata(sim.products.path(sim.archive.job(jid), kind, processed))


def test_cube_as_it_is_with_quirks_fixed(telescope, simulator, quick):
    jid = three_colour(simulator, 'BVR')[0]
    hdul, = telescope.get_images(jid)
    assert len(hdul) == 1
    header = hdul[0].header
    assert hdul[0].data.shape == (3, 64, 64) and hdul[0].data.dtype == np.uint16
    assert np.array_equal(hdul[0].data, served(simulator, jid))
    assert sorted(header['FILTER'].split(',')) == ['B', 'R', 'V']
    original = fits.getheader(simulator.products.path(simulator.archive.job(jid), 'cube'))
    assert header['JOBID'] == jid and header['TELESCOP'] == original['TELESCOP']
    assert 'EPOCH' not in header and 'RADECSYS' not in header
    assert header['RADESYS'] == 'ICRS'
    history = ' '.join(str(h) for h in header['HISTORY'])
    assert "EPOCH = 'REAL'" in history and "RADECSYS = 'ICRS'" in history
    with warnings.catch_warnings():
        warnings.simplefilter('error', FITSFixedWarning)
        WCS(header)
    hdul.close()


@pytest.mark.parametrize('telescope_filter, names', [('BVR', ['B', 'V', 'R']),
                                                     ('Colour', ['Blue', 'Green', 'Red'])])
def test_zip_becomes_one_extension_per_filter(telescope, simulator, quick,
                                              telescope_filter, names):
    jid = three_colour(simulator, telescope_filter)[0]
    hdul, = telescope.get_images([jid], cube=False)
    assert hdul[0].data is None
    assert sorted(h.name for h in hdul[1:]) == sorted(names)
    assert hdul[names[0].upper()].name == names[0]   # astropy looks names up in any case
    with fits.open(simulator.products.path(simulator.archive.job(jid), 'cube')) as cube:
        planes = cube[0].header['FILTER'].split(',')
        for hdu in hdul[1:]:
            assert hdu.header['FILTER'] == hdu.header['EXTNAME']
            assert hdu.header['JOBID'] == jid         # the member's header is kept
            assert 'EPOCH' not in hdu.header
            assert np.array_equal(hdu.data, cube[0].data[planes.index(hdu.header['FILTER'])])


def test_ids_in_every_form(telescope, simulator, quick):
    jids = demo_jids(simulator)[:3]
    table = Table({'jid': jids})
    for given in (jids, [str(j) for j in jids], [f'J{j}' for j in jids], table,
                  table['jid'], np.array(jids)):
        images = telescope.get_images(given, show_progress=False)
        assert [h[0].header['JOBID'] for h in images] == jids
    row, = telescope.get_images(table[1])
    assert row[0].header['JOBID'] == jids[1]


@pytest.mark.parametrize('jids, error', [(None, TypeError), ('abc', ValueError),
                                         ([], ValueError), (-5, ValueError),
                                         ([1.5], TypeError)])
def test_bad_ids_are_refused_before_any_request(telescope, simulator, quick, jids, error):
    with pytest.raises(error, match='jids'):
        telescope.get_images(jids)
    assert simulator.counters.total() == 0


@pytest.mark.parametrize('name', ['cube', 'processed', 'show_progress'])
def test_bad_flags_are_refused_before_any_request(telescope, simulator, quick, name):
    with pytest.raises(TypeError, match=name):
        telescope.get_images(demo_jids(simulator)[0], **{name: 'yes'})
    assert simulator.counters.total() == 0


def test_cached_images_need_no_http_call(telescope, simulator, quick):
    jids = demo_jids(simulator)[3:5]
    first = telescope.get_images(jids, cube=False)
    simulator.counters.reset()
    again = telescope.get_images(jids, cube=False)
    assert simulator.counters.total() == 0
    for a, b in zip(first, again):
        assert [h.name for h in a] == [h.name for h in b]
        assert all(np.array_equal(x.data, y.data) for x, y in zip(a[1:], b[1:]))


def test_not_logged_in_and_not_cached_is_a_login_error(telescope, simulator, quick):
    telescope.logout()
    with pytest.raises(Exception, match='[Nn]ot logged in') as info:
        telescope.get_images(demo_jids(simulator)[5])
    assert type(info.value).__name__ == 'LoginError'


@pytest.mark.parametrize('call', ['get_images', 'download_data', 'get_obs', 'download_obs',
                                  'preview'])
def test_cached_but_logged_out_is_a_login_error_at_once(login_as, simulator, quick,
                                                        tmp_path, call):
    """Before login (or after logout) every images method raises LoginError at
    once, even for a product in the cache: the cache is the account's (the
    original's calls too: the legacy class)."""
    telescope = login_as('demo', legacy=True)
    jid = demo_jids(simulator)[3]
    telescope.get_images(jid, show_progress=False)[0].close()
    telescope.logout()
    simulator.counters.reset()
    out = tmp_path / 'out'
    calls = {'get_images': lambda: telescope.get_images(jid),
             'download_data': lambda: telescope.download_data(jid, path=out),
             'get_obs': lambda: telescope.get_obs(jid),
             'download_obs': lambda: telescope.download_obs(jid, directory=out),
             'preview': lambda: telescope.preview(jid)}
    with pytest.raises(LoginError, match='[Nn]ot logged in'):
        calls[call]()
    assert simulator.counters.total() == 0
    assert not out.exists()


def test_never_logged_in_is_a_login_error_at_once(client_env, simulator, tmp_path):
    client = LegacyTelescope()       # the new calls, and the original's get_obs
    client.cache_location = tmp_path / 'cache'
    simulator.counters.reset()
    for call in (lambda: client.get_images(1), lambda: client.get_obs(1),
                 lambda: client.download_data(1, path=tmp_path / 'out')):
        with pytest.raises(LoginError):
            call()
    assert simulator.counters.total() == 0 and not (tmp_path / 'out').exists()


def test_processed_images(telescope, simulator, quick):
    jid = three_colour(simulator, 'BVR')[1]
    hdul, = telescope.get_images(jid, processed=True)
    # The artefact-corrected frames keep the raw dimensions [seen].
    assert hdul[0].data.shape == (3, 64, 64)
    assert np.array_equal(hdul[0].data, served(simulator, jid, processed=True))


def test_one_bad_job_raises_after_the_others_are_cached(telescope, simulator, quick):
    good = demo_jids(simulator)[6:8]
    with pytest.raises(NoSuchJobError, match='No job J31337 '):
        telescope.get_images([good[0], 31337, good[1]])
    simulator.counters.reset()
    assert len(telescope.get_images(good)) == 2
    assert simulator.counters.total() == 0


def test_never_ready_is_a_timeout_naming_the_job(telescope, simulator, quick):
    jid = demo_jids(simulator)[8]
    simulator.faults.add('never_ready', count=None, jid=jid)
    with conf.set_temp('max_poll_time', 0.05):
        with pytest.raises(ProductNotReadyError, match=f'job {jid}'):
            telescope.get_images(jid)
    assert not cache.cached_path(telescope, Product(jid)).exists()


def test_corrupt_download_twice_is_a_download_error(telescope, simulator, quick):
    jid = demo_jids(simulator)[9]
    simulator.faults.add('corrupt_product', endpoint=DOWNLOAD, count=2)
    with pytest.raises(DownloadError, match='corrupt'):
        telescope.get_images(jid)
    leftovers = [p for p in Path(telescope.product_cache).rglob('*') if p.is_file()]
    assert leftovers == []


def test_progress_is_quiet_when_nobody_watches(telescope, simulator, quick, capsys):
    telescope.get_images(demo_jids(simulator)[10:12], show_progress=True)
    captured = capsys.readouterr()
    assert 'download' not in captured.err and 'products' not in captured.err


def test_progress_shows_jobs_states_and_bytes(telescope, simulator, quick, capsys,
                                              monkeypatch):
    monkeypatch.setattr(progress, 'progress_style', lambda show: 'terminal' if show else None)
    telescope.get_images(demo_jids(simulator)[12:14], show_progress=True)
    err = capsys.readouterr().err
    assert 'products' in err and 'download' in err
    assert '2/2' in err
    assert 'done' in err                 # the state of staging is shown
    telescope.get_images(demo_jids(simulator)[14], show_progress=False)
    assert capsys.readouterr().err == ''
