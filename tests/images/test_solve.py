"""Plate solving (images/solve.py): hints, key, cache and the offline message.
The solve itself needs astrometry.net: test_solve_remote (remote_data)."""
from __future__ import annotations

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

from astroquery.astrometry_net import conf as astrometry_conf

from telescope_query import PlateSolveError
from telescope_query.images import solve
from telescope_query.images.wcs import WCSNAME

from helpers import demo_jids
from keyring_stub import MemoryKeyring, keyring_in_use


def coast_job(sim):
    return next(j for j in demo_jids(sim) if sim.archive.job(j).telescope_id == 6
                and sim.archive.job(j).ra_deg is not None
                and sim.archive.job(j).filter_type == 'BVR')


@pytest.fixture
def nowhere():
    """astrometry.net's server as a closed port of this machine, and no key configured."""
    with astrometry_conf.set_temp('server', 'http://127.0.0.1:9'), \
            astrometry_conf.set_temp('api_key', ''), keyring_in_use(MemoryKeyring()):
        yield


def fake_solution(header, shift_arcsec=30.0):
    """A solution as astrometry.net writes one (TAN-SIP, other centre)."""
    wcs = WCS(header).celestial
    out = fits.Header()
    out['WCSAXES'] = 2
    out['CTYPE1'], out['CTYPE2'] = 'RA---TAN-SIP', 'DEC--TAN-SIP'
    out['CRVAL1'] = header['CRVAL1']
    out['CRVAL2'] = header['CRVAL2'] + shift_arcsec / 3600
    out['CRPIX1'], out['CRPIX2'] = header['CRPIX1'], header['CRPIX2']
    for key in ('CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'):
        out[key] = header[key]
    out['A_ORDER'] = out['B_ORDER'] = 2
    out['A_0_2'] = out['B_2_0'] = 1e-7
    out['IMAGEW'], out['IMAGEH'] = wcs.pixel_shape or (0, 0)
    return out


def test_hints_come_from_the_approximate_wcs(telescope, simulator, quick):
    hdul, = telescope.get_images(coast_job(simulator))
    header = hdul[0].header
    hints = solve.solve_hints(header)
    centre = WCS(header).celestial.pixel_to_world(31.5, 31.5)
    assert SkyCoord(hints['center_ra'], hints['center_dec'], unit='deg').separation(
        centre).arcsec < 1e-6
    scale = WCS(header).celestial.proj_plane_pixel_scales()[0].to_value('arcsec')
    assert hints['scale_lower'] < scale < hints['scale_upper']
    assert hints['radius'] * 3600 > 64 / 2 * scale
    plain, = telescope.get_images(coast_job(simulator), wcs=False)
    assert solve.solve_hints(plain[0].header) == {}      # no approximate WCS: blind


def test_the_upload_is_the_imaging_area():
    hdu = fits.PrimaryHDU(np.arange(3 * 96 * 96, dtype=np.uint16).reshape(3, 96, 96))
    data = solve.frame_for_upload(hdu)
    assert data.shape == (94, 94) and data.dtype == np.float32     # 32 px at 1536 -> 2 at 96
    assert data[0, 0] == 0 and data[-1, -1] == hdu.data[0, 93, 93]


def test_no_key_is_said_before_any_request(telescope, simulator, quick, nowhere):
    hdul, = telescope.get_images(coast_job(simulator))
    with pytest.raises(PlateSolveError, match='needs an astrometry.net API key'):
        telescope.solve_wcs(hdul)
    assert hdul[0].header['WCSNAME'] == WCSNAME


def test_offline_it_says_it_needs_the_network(telescope, simulator, quick, nowhere):
    hdul, = telescope.get_images(coast_job(simulator))
    with pytest.raises(PlateSolveError, match='needs the network: http://127.0.0.1:9'):
        telescope.solve_wcs(hdul, api_key='not-a-real-key')
    with keyring_in_use(MemoryKeyring({(solve.KEYRING_SERVICE, 'api_key'): 'from-keyring'})):
        assert solve.find_api_key(None) == 'from-keyring'
        with pytest.raises(PlateSolveError, match='needs the network'):
            telescope.solve_wcs(hdul)


def test_a_cached_solution_costs_no_request(telescope, simulator, quick, nowhere):
    jid = coast_job(simulator)
    zipped, = telescope.get_images(jid, cube=False)
    for hdu in zipped[1:]:
        kept = solve.solution_path(telescope.product_cache, hdu.header)
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(fake_solution(hdu.header).tostring(sep='\n', padding=False))
    # No key and no server: only the cache can answer.
    telescope.solve_wcs(zipped)
    for hdu in zipped[1:]:
        assert hdu.header['WCSNAME'] == 'astrometry.net plate solution'
        assert hdu.header['CTYPE1'] == 'RA---TAN-SIP' and 'CSYER1' not in hdu.header
        WCS(hdu.header)
    # The cube's planes are the same frames: its first plane's filter is solved.
    cube, = telescope.get_images(jid)
    telescope.solve_wcs(cube)
    assert cube[0].header['WCSNAME'] == 'astrometry.net plate solution'
    assert WCS(cube[0].header, naxis=2).sip is not None      # SIP: read in two dimensions
    # A solution is not overwritten by the approximate WCS.
    telescope.add_wcs(cube)
    assert cube[0].header['WCSNAME'] == 'astrometry.net plate solution'


def test_solve_wcs_checks_its_arguments(telescope):
    with pytest.raises(TypeError, match='hdul must be an HDUList'):
        telescope.solve_wcs('369256.fits')
    with pytest.raises(ValueError, match='api_key must be a non-empty string'):
        telescope.solve_wcs(fits.HDUList([fits.PrimaryHDU()]), api_key='  ')


@pytest.mark.remote_data
def test_solve_remote(telescope, simulator, quick):
    """A real solve of a simulated frame (needs the network and a key in astroquery's
    configuration): the solution lies within the approximate WCS's stated error."""
    hdul, = telescope.get_images(coast_job(simulator), cube=False)
    approximate = WCS(hdul[1].header).celestial
    telescope.solve_wcs(hdul[:2])
    solved = WCS(hdul[1].header).celestial
    a, b = approximate.pixel_to_world(30, 30), solved.pixel_to_world(30, 30)
    assert a.separation(b).arcsec < 60


@pytest.fixture
def refusing_astrometry():
    """An astrometry.net look-alike on 127.0.0.1 that refuses every API key."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get('Content-Length') or 0))
            body = json.dumps({'status': 'error', 'errormessage': 'bad apikey'}).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with astrometry_conf.set_temp('server', f'http://127.0.0.1:{server.server_port}'):
            yield
    finally:
        server.shutdown()
        server.server_close()


def test_a_refused_key_is_a_plate_solve_error(telescope, simulator, quick, refusing_astrometry):
    hdul, = telescope.get_images(coast_job(simulator))
    with pytest.raises(PlateSolveError, match='Unable to log in to astrometry.net'):
        telescope.solve_wcs(hdul, api_key='wrong-key')
    assert hdul[0].header['WCSNAME'] == WCSNAME           # the approximate WCS kept
    assert not (telescope.product_cache / 'solutions').exists()
