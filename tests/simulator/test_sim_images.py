"""The simulator's synthetic FITS products: layout, headers, quirks, store and padding."""
import re
import threading
import time
import warnings
import zipfile
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.time import Time
from astropy.wcs import WCS, FITSFixedWarning
import astropy.units as u

from telescope_query.simulator import catalog, images, optics
from telescope_query.simulator.archive import Job
from telescope_query.simulator.images import (ProductStore, overscan_width, plane_names,
                                              render_plane, sky_stars, star_field)

T_CRB = catalog.VARIABLE_STARS[2]
assert T_CRB.name == 'T CrB'
COMPLETED = 1731908469          # 2024-11-18 05:41:09 UTC, as in the seed docs


def make_job(jid=418580, filter_type='BVR', telescope_id=6, target=T_CRB, **kw):
    fields = dict(jid=jid, rids=[766264], owner='demo', public=True,
                  object_name=target.name + '_M', object_type=target.object_type,
                  object_id=target.object_id, ra_deg=target.ra_deg, dec_deg=target.dec_deg,
                  telescope_id=telescope_id, filter_type=filter_type, exposure_ms=120000,
                  completion_time=COMPLETED, success=True, flat_id=31)
    fields.update(kw)
    return Job(**fields)


@pytest.fixture
def store():
    with ProductStore(image_size=32) as s:
        yield s


def bright_mask(plane):
    """Pixels well above the sky: where the stars are."""
    ov = overscan_width(plane.shape[0])
    data = plane[:-ov, :-ov].astype(float)
    sky = np.median(data)
    return data > sky + 8 * np.sqrt(sky - images.BIAS + images.READ_NOISE ** 2)


def overlap(a, b):
    return (a & b).sum() / (a | b).sum()


# -- cube -----------------------------------------------------------------------------

def test_cube_layout_and_headers(store):
    job = make_job()
    with fits.open(store.path(job, 'cube')) as hdul:
        assert len(hdul) == 1
        hdr, data = hdul[0].header, hdul[0].data
        assert hdr['NAXIS'] == 3 and data.shape == (3, 32, 32)
        assert hdr['BITPIX'] == 16 and hdr['BZERO'] == 32768 and data.dtype == np.uint16
        assert hdr['FILTER'] == 'R,V,B'                   # the recorded order
        assert hdr['TELESCOP'] == 'cdk17'                 # COAST, 2024
        # The first frame's time, minutes before completion; no MJD-OBS.
        first = Time(hdr['DATE-OBS'], scale='utc').unix
        assert 350 < COMPLETED - first < 370 and 'MJD-OBS' not in hdr   # 3 x 120 s
        assert hdr['EXPTIME'] == 120.0
        assert hdr['OBJCTRA'] == '15:59:30' and hdr['OBJCTDEC'] == '+25:55:12'
        pointing = SkyCoord(hdr['OBJCTRA'], hdr['OBJCTDEC'], unit=(u.hourangle, u.deg))
        assert pointing.separation(SkyCoord(T_CRB.ra_deg, T_CRB.dec_deg, unit='deg')) \
            < 15 * u.arcsec
        assert hdr['EQUINOX'] == 2000
        assert hdr['EPOCH'] == 'REAL' and hdr['RADECSYS'] == 'ICRS'
        assert hdr['OBJECT'] == 'T CrB_M'


def test_header_quirks_make_astropy_warn(store):
    with zipfile.ZipFile(store.path(make_job(), 'zip')) as zf, \
            fits.open(zf.open(zf.namelist()[0])) as member:
        header = member[0].header
    with pytest.warns(FITSFixedWarning) as caught:
        WCS(header)
    text = ' '.join(str(w.message) for w in caught)
    assert 'RADECSYS' in text and 'EPOCH' in text
    assert "'datfix' made the change 'Set MJD-OBS" in text    # as recorded


@pytest.mark.parametrize('filter_type, telescope_id, planes', [
    ('BVR', 6, ('R', 'V', 'B')), ('V', 6, ('V',)),
    ('Colour', 7, ('Red', 'Green', 'Blue')), ('Red', 7, ('Red',)), ('Clear', 2, ('Clear',)),
])
def test_planes_follow_the_filter(store, filter_type, telescope_id, planes):
    job = make_job(filter_type=filter_type, telescope_id=telescope_id, jid=418580)
    assert plane_names(job) == planes
    with fits.open(store.path(job, 'cube')) as hdul:
        assert hdul[0].data.shape == (len(planes), 32, 32)
        assert hdul[0].header['FILTER'] == ','.join(planes)


def rare_jid(start=418580):
    """A job id whose three-colour planes come in the rarer order."""
    return next(jid for jid in range(start, start + 2000)
                if plane_names(make_job(jid=jid))[0] != 'R')


def test_plane_order_is_rvb_once_in_a_while_vbr_and_data_follow_it(store):
    orders = Counter(plane_names(make_job(jid=jid)) for jid in range(400000, 402000))
    assert set(orders) == {('R', 'V', 'B'), ('V', 'B', 'R')}
    assert 0.01 < orders[('V', 'B', 'R')] / 2000 < 0.1
    colour = Counter(plane_names(make_job(jid=jid, filter_type='Colour', telescope_id=7))
                     for jid in range(400000, 402000))
    assert set(colour) == {('Red', 'Green', 'Blue'), ('Green', 'Blue', 'Red')}
    straight, rare = make_job(jid=418580), make_job(jid=rare_jid())
    for job in (straight, rare):
        with fits.open(store.path(job, 'cube')) as hdul:
            order = hdul[0].header['FILTER'].split(',')
            assert tuple(order) == plane_names(job)
            sky = dict(zip(order, np.median(hdul[0].data, axis=(1, 2))))
            # The sky is brighter in R than in B: each plane holds its own filter.
            assert sky['R'] > sky['V'] > sky['B']


def test_target_without_position_has_no_pointing_cards(store):
    job = make_job(target=catalog.PLANETS[1], object_name='Jupiter')
    with fits.open(store.path(job, 'cube')) as hdul:
        header = hdul[0].header
        assert not {'OBJCTRA', 'MNTRA', 'RA-TEL'} & set(header)
        assert header['EPOCH'] == 'REAL'


# -- times ----------------------------------------------------------------------------

def utc(text):
    return Time(text, scale='utc').unix


@pytest.mark.parametrize('year,exposure,low,high', [
    (2019, 180, 391, 418), (2020, 60, 151, 164), (2020, 120, 270, 290),
    (2023, 180, 400, 415), (2024, 180, 470, 490),
])
def test_first_frame_lead_reproduces_the_record(year, exposure, low, high):
    completed = utc(f'{year}-06-18 23:45:04')
    leads = []
    for jid in range(336890, 336900):
        job = make_job(jid=jid, exposure_ms=exposure * 1000, completion_time=completed)
        first = frames_times(job)[0]
        leads.append(completed - first)
    assert low <= min(leads) and max(leads) <= high
    assert max(leads) - min(leads) > 3                 # jitter from job to job


def frames_times(job):
    """Each frame's DATE-OBS (Unix), from the zip members in their order."""
    times = []
    with ProductStore(image_size=8) as store, zipfile.ZipFile(store.path(job, 'zip')) as zf:
        for name in zf.namelist():
            with fits.open(zf.open(name)) as member:
                text = member[0].header['DATE-OBS']
                assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}', text)
                times.append(Time(text, scale='utc').unix)
    return times


def test_frames_are_taken_one_after_another_in_member_order(store):
    job = make_job(exposure_ms=180000)
    times = frames_times(job)
    steps = np.diff(times)
    assert len(times) == 3 and all(180 < step < 180 + 60 for step in steps)
    assert steps[0] == pytest.approx(steps[1], abs=0.002)
    assert 0 <= job.completion_time - times[-1] < 10     # done just after the last
    # The cube: DATE-OBS is the first frame's, DATE-OB1..3 every plane's own.
    with fits.open(store.path(job, 'cube')) as hdul:
        header = hdul[0].header
        assert header['DATE-OBS'] == header['DATE-OB1']
        cube_times = [Time(header[f'DATE-OB{k}']).unix for k in (1, 2, 3)]
        assert cube_times == pytest.approx(times, abs=0.002)
        assert 'DATE-OB4' not in header
    with zipfile.ZipFile(store.path(job, 'zip')) as zf, \
            fits.open(zf.open(zf.namelist()[0])) as member:
        assert 'DATE-OB1' not in member[0].header


def test_a_recorded_first_frame_is_kept():
    # J336896: completed 2019-06-18 23:45:04 UTC, first frame 23:38:22 [seen].
    job = make_job(jid=336896, exposure_ms=180000, completion_time=utc('2019-06-18 23:45:04'),
                   frame_lead=401.05)
    assert Time(frames_times(job)[0], format='unix').isot.startswith('2019-06-18T23:38:22')


# -- pointing and telescope -----------------------------------------------------------

@pytest.mark.parametrize('object_id,ra,dec', [
    ('19:19:02.60 +41:06:34.24', '19:19:02', '+41:06:34'),    # EQ Lyr [seen]
    ('21:55:57.03 +48:20:52.52', '21:55:57', '+48:20:52'),    # LX Cyg [seen]
    ('18:55:02.31 -31:09:49.59', '18:55:02', '-31:09:49'),    # truncated, not rounded
    ('05:35:17.99 -00:23:28.99', '05:35:17', '-00:23:28'),
])
def test_pointing_is_the_request_truncated_to_whole_seconds(store, object_id, ra, dec):
    job = make_job(object_id=object_id, target=T_CRB)
    with fits.open(store.path(job, 'cube')) as hdul:
        assert (hdul[0].header['OBJCTRA'], hdul[0].header['OBJCTDEC']) == (ra, dec)


@pytest.mark.parametrize('telescope_id,date,first_word,cards', [
    (6, '2017-06-01', 'coast', {'OBJCTRA'}),
    (6, '2018-06-01', 'galaxy', {'OBJCTRA'}),
    (6, '2020-06-01', '10micron', {'OBJCTRA', 'MNTRA'}),
    (6, '2024-11-18', 'cdk17', {'OBJCTRA'}),
    (7, '2018-06-01', 'pirate', {'OBJCTRA'}),
    (7, '2020-06-01', 'undefined', {'OBJCTRA', 'MNTRA'}),
    (7, '2023-06-01', "'undefined'", {'OBJCTRA'}),
    (2, '2015-06-01', 'BRT', {'RA-TEL'}),
    (2, '2016-06-01', 'galaxy', {'RA-TEL'}),
    (3, '2016-06-01', 'cluster', {'RA-TEL'}),
    (1, '2016-06-01', 'BRT', {'RA-TEL'}),
])
def test_telescop_and_pointing_cards_by_era(store, telescope_id, date, first_word, cards):
    filter_type = {6: 'BVR', 7: 'Colour'}.get(telescope_id, 'Clear')
    job = make_job(telescope_id=telescope_id, filter_type=filter_type,
                   completion_time=utc(f'{date} 03:00:00'))
    with fits.open(store.path(job, 'cube')) as hdul:
        header = hdul[0].header
        assert header['TELESCOP'].split()[0] == first_word
        present = {'OBJCTRA', 'MNTRA', 'RA-TEL'} & set(header)
        assert present == cards
        for key in present:
            partner = {'OBJCTRA': 'OBJCTDEC', 'MNTRA': 'MNTDEC', 'RA-TEL': 'DEC-TEL'}[key]
            assert (header[key], header[partner]) == ('15:59:30', '+25:55:12')
    if first_word == 'BRT':
        assert header['TELESCOP'] in ('BRT Galaxy', 'BRT Constellation')


# -- zip ------------------------------------------------------------------------------

def test_zip_has_one_fits_per_filter_matching_the_cube(store):
    job = make_job()
    with zipfile.ZipFile(store.path(job, 'zip')) as zf, \
            fits.open(store.path(job, 'cube')) as cube:
        # Member names are [assumed]; their order is the recorded R, V, B.
        assert zf.namelist() == ['418580_R.fits', '418580_V.fits', '418580_B.fits']
        for index, name in enumerate(('R', 'V', 'B')):
            with fits.open(zf.open(f'418580_{name}.fits')) as member:
                assert len(member) == 1
                assert member[0].header['FILTER'] == name
                assert member[0].header['BZERO'] == 32768
                assert member[0].header['EPOCH'] == 'REAL'
                assert member[0].header['DATE-OBS'] == cube[0].header[f'DATE-OB{index + 1}']
                assert np.array_equal(member[0].data, cube[0].data[index])


# -- pixels ---------------------------------------------------------------------------

def test_overscan_strips_hold_only_bias_and_read_noise():
    assert overscan_width(1536) == 32 and overscan_width(64) == 2 and overscan_width(32) == 2
    plane = render_plane(make_job(), 'V', 192).astype(float)
    ov = overscan_width(192)
    strips = np.concatenate([plane[:, -ov:].ravel(), plane[-ov:, :].ravel()])
    assert np.median(strips) == pytest.approx(images.BIAS, abs=2)
    assert np.std(strips) == pytest.approx(images.READ_NOISE, rel=0.2)
    assert np.median(plane[:-ov, :-ov]) > images.BIAS + 100


def test_star_field_is_the_targets_and_noise_the_jobs():
    job = make_job()
    again = render_plane(job, 'V', 128)
    assert np.array_equal(again, render_plane(job, 'V', 128))
    later = replace(job, jid=419000)
    elsewhere = replace(job, ra_deg=325.678, dec_deg=43.586, object_name='SS Cyg')
    # The same stars in the sky for every job of a target, seen through each
    # job's own pointing and rotation.
    for a, b in zip(sky_stars(job, 128, 1), sky_stars(later, 128, 1)):
        assert np.array_equal(a, b)
    assert not np.array_equal(sky_stars(job, 128, 1)[0], sky_stars(elsewhere, 128, 1)[0])
    assert not np.array_equal(again, render_plane(later, 'V', 128))
    assert overlap(bright_mask(again), bright_mask(render_plane(elsewhere, 'V', 128))) < 0.5


def test_star_brightness_spread_is_a_power_law():
    x, y, flux, _ = star_field(make_job(), 1536, seed=1)
    inside = (0 <= x) & (x < 1536) & (0 <= y) & (y < 1536)
    assert len(flux) > 300 and inside.mean() > 0.7
    faint = flux < 10 * flux.min()
    # Many faint stars, few bright ones, over more than two decades.
    assert faint.sum() > 2 * (~faint).sum() > 0
    assert flux.max() / flux.min() > 100


def centroid(plane, x, y, r=3):
    """The flux-weighted centre (0-based pixels) of the star nearest (x, y)."""
    i, j = int(round(float(y))), int(round(float(x)))
    patch = plane[i - r:i + r + 1, j - r:j + r + 1]
    patch = np.clip(patch - np.median(plane), 0, None)
    assert patch.max() > 20 * images.READ_NOISE       # a star is there
    yy, xx = np.mgrid[i - r:i + r + 1, j - r:j + r + 1]
    return (xx * patch).sum() / patch.sum(), (yy * patch).sum() / patch.sum()


@pytest.mark.parametrize('jid, completed', [(418580, COMPLETED), (369256, 1608680050),
                                            (412679, 1702150592)])
def test_stars_are_where_the_jobs_own_wcs_puts_them(jid, completed):
    """Each frame is rendered through a known WCS (optics.frame_wcs): the
    target's star lies at the requested position, and the field's stars at
    their sky positions, whatever the job's rotation and pointing offset."""
    job = make_job(jid=jid, completion_time=completed)
    size = 192
    wcs = optics.frame_wcs(job, size)
    plane = render_plane(job, 'V', size).astype(float)
    x, y = wcs.world_to_pixel_values(job.ra_deg, job.dec_deg)
    cx, cy = centroid(plane, x, y)
    assert abs(cx - x) < 0.5 and abs(cy - y) < 0.5
    # The known WCS has the recorded kind: scale by era, rotation, offset.
    scale = np.hypot(*wcs.wcs.cd[:, 0]) * 3600 * size / 1536
    assert scale == pytest.approx(1.213 if completed < 1625097600 else 1.682)
    assert 0.27 <= optics.rotation_deg(job) <= 0.94
    east, north = optics.pointing_offset(job)
    assert 14 <= np.hypot(east, north) <= 42 and north > 0
    centre = wcs.pixel_to_world_values((size - 4 + 1) / 2 - 1, (size - 4 + 1) / 2 - 1)
    moved = SkyCoord(*centre, unit='deg').separation(SkyCoord(job.ra_deg, job.dec_deg,
                                                              unit='deg'))
    assert moved.arcsec == pytest.approx(np.hypot(east, north), rel=1e-3)


def test_a_target_without_a_position_is_at_the_centre():
    job = make_job(ra_deg=None, dec_deg=None, object_type='PLANET', object_id='Jupiter')
    assert optics.frame_wcs(job, 64) is None
    plane = render_plane(job, 'V', 64).astype(float)
    ys, xs = np.unravel_index(np.argmax(plane), plane.shape)
    assert abs(xs - 32) <= 2 and abs(ys - 32) <= 2


def test_filters_differ_slightly():
    job = make_job()
    b, r = render_plane(job, 'B', 64), render_plane(job, 'R', 64)
    assert not np.array_equal(b, r)
    assert overlap(bright_mask(b), bright_mask(r)) > 0.3


# -- processed products ---------------------------------------------------------------

@pytest.mark.parametrize('kind', ['cube', 'zip'])
def test_a_flat_id_makes_another_product(store, kind):
    job = make_job()
    raw, flat24, flat31 = (store.path(job, kind, flat_id=f) for f in (0, 24, 31))
    assert len({raw, flat24, flat31}) == 3 and raw.name == f'418580.{raw.suffix[1:]}'
    # Other bytes and another size, for the cube as well as for the zip.
    assert len({p.read_bytes() for p in (raw, flat24, flat31)}) == 3
    assert raw.stat().st_size not in (flat24.stat().st_size, flat31.stat().st_size)
    assert store.path(job, kind, flat_id=24) == flat24     # kept once made


def frames(path):
    """(header, data) of each frame of a cube or a zip."""
    if path.suffix == '.fits':
        with fits.open(path) as hdul:
            return [(hdul[0].header, plane) for plane in hdul[0].data.astype(float)]
    found = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            with fits.open(zf.open(name)) as member:
                found.append((member[0].header, member[0].data.astype(float)))
    return found


@pytest.mark.parametrize('kind', ['cube', 'zip'])
def test_flat_fielded_frames_are_the_raw_ones_divided_by_the_flat(store, kind):
    job = make_job()
    raw = frames(store.path(job, kind))
    flat = frames(store.path(job, kind, flat_id=24))
    for (raw_header, raw_data), (header, data) in zip(raw, flat):
        assert data.shape == raw_data.shape == (32, 32)
        assert header['FLATID'] == 24 and 'FLATID' not in raw_header
        assert 'flat field 24' in str(header['HISTORY'])
        ratio = raw_data / np.maximum(data, 1)
        # The vignetting is divided out: corners gain more than the centre.
        assert ratio[:4, :4].mean() < ratio[14:18, 14:18].mean()


@pytest.mark.parametrize('kind', ['cube', 'zip'])
def test_processed_products_are_the_flat_fielded_raw_frames(store, kind):
    job = make_job()                                   # flat 31
    art = store.path(job, kind, processed=True)
    assert art.name == f'art_418580.{art.suffix[1:]}'
    assert art.read_bytes() == store.path(job, kind, flat_id=31).read_bytes()
    assert art.read_bytes() != store.path(job, kind).read_bytes()
    # Raw dimensions: no crop.
    assert [data.shape for _, data in frames(art)] == [(32, 32)] * 3
    # A job without a flat: the month's flat of its telescope and filter.
    bare = make_job(jid=418590, flat_id=None)
    assert frames(store.path(bare, kind, processed=True))[0][0]['FLATID'] > 0
    with pytest.raises(ValueError):
        store.path(job, kind, processed=True, flat_id=24)


# -- the store ------------------------------------------------------------------------

@pytest.mark.parametrize('size', [32, 64])
@pytest.mark.parametrize('kind', ['cube', 'zip'])
def test_sizes_are_exact_and_products_made_once(kind, size):
    with ProductStore(image_size=size) as store:
        job = make_job()
        path = store.path(job, kind)
        assert path.parent == store.directory
        assert store.size(job, kind) == len(path.read_bytes()) == path.stat().st_size
        made = store.renders
        assert store.path(job, kind) == path and store.renders == made == 1
        assert not list(store.directory.glob('*.part'))


def test_close_removes_only_its_own_folder(tmp_path):
    owned = ProductStore(image_size=32)
    path = owned.path(make_job(), 'cube')
    owned.close()
    assert not path.exists()
    given = ProductStore(tmp_path, image_size=32)
    path = given.path(make_job(), 'cube')
    given.close()
    assert path.exists() and tmp_path in path.parents


def test_two_threads_asking_at_once_make_one_product(store, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    inside, most = [0], [0]
    write = store._write

    def slow_write(*args):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        entered.set()
        release.wait(5)
        try:
            write(*args)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(store, '_write', slow_write)
    job, paths = make_job(), []
    first = threading.Thread(target=lambda: paths.append(store.path(job, 'cube')))
    second = threading.Thread(target=lambda: paths.append(store.path(job, 'cube')))
    first.start()
    assert entered.wait(5)
    second.start()
    second.join(0.2)            # give the second thread time to reach the lock
    release.set()
    first.join(5)
    second.join(5)
    assert most[0] == 1 and store.renders == 1
    assert len(paths) == 2 and paths[0] == paths[1]


def test_flat_fields(store):
    path = store.flat_path(31)
    assert store.flat_path(31) == path and path.name == 'flat_31.fits'
    with fits.open(path) as hdul:
        assert hdul[0].header['FLATID'] == 31 and hdul[0].data.shape == (32, 32)
        data = hdul[0].data.astype(float)
        # Brightest in the centre, darker in the corners (the vignetting it corrects).
        assert data[14:18, 14:18].mean() > data[:3, :3].mean() > 10000
    with fits.open(store.flat_path(24)) as other:
        assert not np.array_equal(other[0].data, data)


def test_cube_generation_time_is_reported():
    # Not a timed assertion: printed for the record (-s).
    with ProductStore(image_size=1536) as store:
        start = time.perf_counter()
        size = store.size(make_job(), 'cube')
        print(f'1536x1536x3 cube: {time.perf_counter() - start:.3f} s')
        assert size > 1536 * 1536 * 3 * 2


# -- padding for benchmarks -----------------------------------------------------------

@pytest.mark.parametrize('kind', ['cube', 'zip'])
def test_product_mb_pads_to_about_that_size(kind):
    with ProductStore(image_size=32, product_mb=5) as store:
        job = make_job()
        size = store.size(job, kind)
        assert 5_000_000 <= size < 5_000_000 + 3 * 2880 + 4096
        path = store.path(job, kind)
        if kind == 'cube':
            with fits.open(path) as hdul:
                assert hdul[0].data.shape == (3, 32, 32) and hdul[0].header['EXTEND']
                assert hdul[1].name == 'PADDING'
        else:
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    with warnings.catch_warnings():
                        warnings.simplefilter('error')
                        with fits.open(zf.open(name)) as member:
                            assert member[0].data.shape == (32, 32)
                            assert member[1].name == 'PADDING'
