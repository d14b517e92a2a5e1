"""Flat-fielded products: asked with the job's flat id, cached apart, named in the
manifest; the WCS and times apply to them as to the plain ones."""
from __future__ import annotations

import numpy as np
import pytest

from telescope_query.images.wcs import WCSNAME

from helpers import DOWNLOAD, demo_jids, served_bytes


def with_flat(sim):
    return next(j for j in demo_jids(sim) if sim.archive.job(j).flat_id
                and sim.archive.job(j).telescope_id == 6)


@pytest.mark.parametrize('cube, form', [(True, 'cube'), (False, 'zip')])
def test_plain_and_flat_fielded_side_by_side(telescope, simulator, quick, tmp_path,
                                             cube, form):
    jid = with_flat(simulator)
    manifest = telescope.download_data([jid], path=tmp_path, cube=cube, flat=True)
    plain = telescope.download_data([jid], path=tmp_path, cube=cube)
    assert manifest['product'][0] == f'flat-fielded {form}' and plain['product'][0] == form
    flat_path, plain_path = manifest['local_path'][0], plain['local_path'][0]
    assert flat_path != plain_path and flat_path.endswith(f'_flat.{"fits" if cube else "zip"}')
    assert open(flat_path, 'rb').read() == served_bytes(simulator, jid, form, flat=True)
    assert open(plain_path, 'rb').read() == served_bytes(simulator, jid, form)
    # Both cached, apart: asking again costs no download and says CACHED.
    simulator.counters.reset()
    again = telescope.download_data([jid], path=tmp_path / 'again', cube=cube, flat=True)
    assert again['status'][0] == 'CACHED' and again['product'][0] == f'flat-fielded {form}'
    assert simulator.counters[DOWNLOAD] == 0


def test_get_images_flat_is_the_flat_fielded_product(telescope, simulator, quick):
    jid = with_flat(simulator)
    flat, = telescope.get_images(jid, flat=True)
    plain, = telescope.get_images(jid)
    assert flat[0].header['FLATID'] == simulator.archive.job(jid).flat_id
    assert 'FLATID' not in plain[0].header
    assert not np.array_equal(flat[0].data, plain[0].data)
    # The same frames: the same WCS and times.
    assert flat[0].header['WCSNAME'] == WCSNAME
    for key in ('CRVAL1', 'CRVAL2', 'CRPIX1', 'CD1_1', 'DATE-OBS'):
        assert flat[0].header[key] == plain[0].header[key]
    simulator.counters.reset()
    cached_flat, = telescope.get_images(jid, flat=True)
    assert simulator.counters.total() == 0
    assert np.array_equal(cached_flat[0].data, flat[0].data)


def test_flat_and_processed_together_are_refused_before_any_request(telescope, simulator):
    simulator.counters.reset()
    with pytest.raises(ValueError, match='flat=True asks for the raw frames'):
        telescope.get_images(with_flat(simulator), flat=True, processed=True)
    with pytest.raises(TypeError, match='flat'):
        telescope.download_data(with_flat(simulator), flat='yes')
    assert simulator.counters.total() == 0
