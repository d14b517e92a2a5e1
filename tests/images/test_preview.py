"""The quick-look colour composite: pure tests on small HDULists, and one through
Telescope.preview against the simulator."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from astropy.io import fits

from telescope_query import conf
from telescope_query.images import preview

matplotlib = pytest.importorskip('matplotlib')
from matplotlib.figure import Figure  # noqa: E402


def star_plane(size, x, y, sky=1000.0, seed=0):
    """Sky with noise and one bright star at column ``x``, row ``y``."""
    rng = np.random.default_rng(seed)
    plane = rng.normal(sky, 10.0, (size, size))
    plane[y, x] += 5000.0
    return plane.astype(np.float32)


def cube(planes, names):
    hdu = fits.PrimaryHDU(np.stack(planes))
    hdu.header['FILTER'] = ','.join(names)
    hdu.header['OBJECT'] = 'SS Cyg'
    hdu.header['JOBID'] = 369256
    return fits.HDUList([hdu])


def extensions(planes, names):
    hdus = [fits.PrimaryHDU()]
    for plane, name in zip(planes, names):
        hdus.append(fits.ImageHDU(plane, name=name))
        hdus[-1].header['FILTER'] = name
    return fits.HDUList(hdus)


def test_overscan_rule():
    assert preview.overscan_width(1536) == 32
    assert preview.overscan_width(64) == 2
    assert preview.overscan_width(48) == 1
    assert preview.overscan_width(1) == 0


def test_planes_of_a_cube_and_of_extensions():
    planes = [np.zeros((8, 8)), np.ones((8, 8))]
    found = preview.filter_planes(cube(planes, ['R', 'B']))
    assert [name for name, _ in found] == ['R', 'B']
    found = preview.filter_planes(extensions(planes, ['Red', 'Blue']))
    assert [name for name, _ in found] == ['Red', 'Blue']
    padding = extensions(planes, ['Red', 'Blue'])
    padding.append(fits.ImageHDU(np.zeros(100, dtype=np.uint8), name='PADDING'))
    assert len(preview.filter_planes(padding)) == 2
    unnamed = fits.HDUList([fits.PrimaryHDU(np.stack(planes))])
    assert [n for n, _ in preview.filter_planes(unnamed)] == ['plane 1', 'plane 2']


@pytest.mark.parametrize('make, names', [(cube, ['B', 'V', 'R']), (cube, ['R', 'V', 'B']),
                                         (extensions, ['Blue', 'Green', 'Red'])])
def test_each_filter_feeds_its_colour(make, names):
    spots = {'B': (5, 5), 'V': (15, 15), 'R': (25, 25), 'Blue': (5, 5),
             'Green': (15, 15), 'Red': (25, 25)}
    planes = [star_plane(64, *spots[name], seed=i) for i, name in enumerate(names)]
    rgb, used = preview.composite(make(planes, names))
    assert rgb.shape == (62, 62, 3) and rgb.dtype == np.uint8
    # Red is brightest where the red filter's star is, and so on.
    red_star, green_star, blue_star = (25, 25), (15, 15), (5, 5)
    assert np.argmax(rgb[red_star]) == 0
    assert np.argmax(rgb[green_star]) == 1
    assert np.argmax(rgb[blue_star]) == 2
    assert set(used) == set(names)


def test_sky_is_dark_and_stars_are_bright():
    planes = [star_plane(64, 20, 30, seed=i) for i in range(3)]
    rgb, _ = preview.composite(cube(planes, ['B', 'V', 'R']))
    assert rgb[30, 20].min() > 200
    assert np.median(rgb) < 60


def test_overscan_is_cropped_only_when_asked():
    planes = [star_plane(96, 10, 10, seed=i) for i in range(3)]
    assert preview.composite(cube(planes, ['B', 'V', 'R']))[0].shape == (94, 94, 3)
    rgb, _ = preview.composite(cube(planes, ['B', 'V', 'R']), crop_overscan=False)
    assert rgb.shape == (96, 96, 3)


def test_one_filter_is_grey():
    rgb, used = preview.composite(cube([star_plane(32, 3, 3)], ['V']))
    assert used == ['V']
    assert np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])


def test_preview_makes_a_figure_without_pyplot():
    pyplot = sys.modules.get('matplotlib.pyplot')
    before = pyplot.get_fignums() if pyplot else []
    planes = [star_plane(64, 20, 30, seed=i) for i in range(3)]
    figure = preview.preview(cube(planes, ['B', 'V', 'R']))
    assert isinstance(figure, Figure)
    image, = figure.axes[0].get_images()
    assert image.get_array().shape == (62, 62, 3)
    assert figure.axes[0].get_title() == 'SS Cyg  job 369256  R+V+B'
    pyplot = sys.modules.get('matplotlib.pyplot')
    assert (pyplot.get_fignums() if pyplot else []) == before
    figure.savefig(__import__('io').BytesIO(), format='png')   # renders with Agg


def test_preview_refuses_what_is_not_an_image():
    with pytest.raises(TypeError, match='HDUList'):
        preview.preview(np.zeros((3, 3)))
    with pytest.raises(ValueError, match='no 2-D or 3-D image'):
        preview.preview(fits.HDUList([fits.PrimaryHDU()]))


def test_missing_matplotlib_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    monkeypatch.setitem(sys.modules, 'matplotlib.figure', None)
    with pytest.raises(ImportError, match=r"telescope_query\[plot\]"):
        preview.preview(cube([star_plane(16, 3, 3)], ['V']))


def test_telescope_preview_of_a_job(telescope, simulator):
    jid = next(j for j in sorted({r.jid for r in simulator.archive.requests('demo') if r.jid})
               if simulator.archive.job(j).filter_type == 'BVR')
    with conf.set_temp('poll_interval', 0.01):
        figure = telescope.preview(jid)
    image, = figure.axes[0].get_images()
    assert image.get_array().shape == (62, 62, 3)
    assert str(jid) in figure.axes[0].get_title()
    # An HDUList is shown as it is, with no HTTP call.
    hdul, = telescope.get_images(jid)
    simulator.counters.reset()
    assert isinstance(telescope.preview(hdul, crop_overscan=False), Figure)
    assert simulator.counters.total() == 0


def test_telescope_preview_without_matplotlib_downloads_nothing(telescope, simulator,
                                                                monkeypatch):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    monkeypatch.setitem(sys.modules, 'matplotlib.figure', None)
    simulator.counters.reset()
    with pytest.raises(ImportError, match='matplotlib'):
        telescope.preview(400000)
    assert simulator.counters.total() == 0


def test_preview_uses_the_wcs_and_shows_the_frame_times(telescope, simulator):
    from astropy.visualization.wcsaxes import WCSAxes
    from telescope_query.images.times import frame_table
    jid = next(j for j in sorted({r.jid for r in simulator.archive.requests('demo') if r.jid})
               if simulator.archive.job(j).filter_type == 'BVR'
               and simulator.archive.job(j).telescope_id == 6)
    with conf.set_temp('poll_interval', 0.01):
        zipped, = telescope.get_images(jid, cube=False)
        plain, = telescope.get_images(jid, cube=False, wcs=False)
    figure = preview.preview(zipped)
    axes = figure.axes[0]
    assert isinstance(axes, WCSAxes)
    assert axes.coords[0].get_axislabel() == 'RA (approximate WCS)'
    assert axes.coords[1].get_axislabel() == 'Dec'
    title = axes.get_title()
    for row in frame_table(zipped):          # every filter with its own start time
        assert f"{row['filter']} {row['start'].strftime('%H:%M:%S')}" in title
    assert 'UTC' in title
    figure.savefig(__import__('io').BytesIO(), format='png')
    bare = preview.preview(plain).axes[0]
    assert not isinstance(bare, WCSAxes) and not bare.axison
