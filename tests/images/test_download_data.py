"""Telescope.download_data against the simulator: files, manifest, cache, failures."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

from telescope_query import conf
from telescope_query.images import cache
from telescope_query.images.product import Product

from helpers import DOWNLOAD, demo_jids, served_bytes


def files(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def test_manifest_and_files(telescope, simulator, quick, tmp_path):
    jids = demo_jids(simulator)[:3]
    out = tmp_path / 'out'
    manifest = telescope.download_data(jids, path=out)
    assert manifest.colnames == ['jid', 'product', 'local_path', 'status', 'message', 'size']
    assert list(manifest['jid']) == jids
    assert set(manifest['status']) == {'COMPLETE'} and set(manifest['product']) == {'cube'}
    assert manifest['size'].unit == u.byte
    assert files(out) == sorted(f'{j}.fits' for j in jids)
    for row in manifest:
        path = Path(row['local_path'])
        assert path.parent == out and path.read_bytes() == served_bytes(simulator, row['jid'])
        assert row['size'] == path.stat().st_size and row['message'] == ''
    assert simulator.counters[DOWNLOAD] == 3


def test_second_time_from_the_cache_with_no_http_call(telescope, simulator, quick, tmp_path):
    jids = demo_jids(simulator)[3:5]
    telescope.download_data(jids, path=tmp_path / 'a', cube=False)
    simulator.counters.reset()
    manifest = telescope.download_data(jids, path=tmp_path / 'b', cube=False)
    assert simulator.counters.total() == 0
    assert list(manifest['status']) == ['CACHED', 'CACHED']
    assert files(tmp_path / 'b') == sorted(f'{j}.zip' for j in jids)
    for row in manifest:
        assert Path(row['local_path']).read_bytes() == served_bytes(simulator, row['jid'], 'zip')


def test_one_bad_job_does_not_stop_the_others(telescope, simulator, quick, tmp_path):
    good = demo_jids(simulator)[5:7]
    never = demo_jids(simulator)[7]
    simulator.faults.add('never_ready', count=None, jid=never)
    with conf.set_temp('max_poll_time', 0.1):
        manifest = telescope.download_data([good[0], 424242, never, good[1]],
                                           path=tmp_path / 'out')
    assert list(manifest['status']) == ['COMPLETE', 'ERROR', 'ERROR', 'COMPLETE']
    bad, slow = manifest[1], manifest[2]
    assert bad['message'].startswith('NoSuchJobError') and '424242' in bad['message']
    assert slow['message'].startswith('ProductNotReadyError') and str(never) in slow['message']
    assert bad['local_path'] == '' and manifest['size'].mask[1] and manifest['size'].mask[2]
    # Nothing half-written: only the two good files, no temporary leftovers.
    assert files(tmp_path / 'out') == sorted(f'{j}.fits' for j in good)


def test_failed_transfers_leave_nothing_behind(telescope, simulator, quick, tmp_path):
    jid = demo_jids(simulator)[8]
    simulator.faults.add('cut_connection', endpoint=DOWNLOAD, count=None, after_bytes=0)
    manifest = telescope.download_data(jid, path=tmp_path / 'out')
    assert manifest['status'][0] == 'ERROR' and 'DownloadError' in manifest['message'][0]
    assert files(tmp_path / 'out') == []
    assert [p for p in Path(telescope.product_cache).rglob('*') if p.is_file()] == []


def test_processed_names(telescope, simulator, quick, tmp_path):
    jid = demo_jids(simulator)[9]
    manifest = telescope.download_data(jid, path=tmp_path / 'out', processed=True, cube=False)
    assert manifest['product'][0] == 'processed zip' and manifest['status'][0] == 'COMPLETE'
    assert files(tmp_path / 'out') == [f'art_{jid}.zip']
    assert (tmp_path / 'out' / f'art_{jid}.zip').read_bytes() == \
        served_bytes(simulator, jid, 'zip', processed=True)


def test_path_is_made_and_a_foreign_file_is_replaced_only_when_asked(telescope, simulator,
                                                                     quick, tmp_path):
    jid = demo_jids(simulator)[10]
    out = tmp_path / 'new' / 'deeper'
    (tmp_path / 'new').mkdir()
    telescope.download_data(jid, path=str(out))
    target = out / f'{jid}.fits'
    target.unlink()                       # a new file, not an edit of the old one
    target.write_bytes(b'an older, broken copy')
    manifest = telescope.download_data(jid, path=out)
    assert manifest['status'][0] == 'SKIPPED' and 'overwrite=True' in manifest['message'][0]
    assert target.read_bytes() == b'an older, broken copy'
    manifest = telescope.download_data(jid, path=out, overwrite=True)
    assert manifest['status'][0] == 'CACHED'
    assert target.read_bytes() == served_bytes(simulator, jid)


def test_editing_a_downloaded_file_never_spoils_the_cache(telescope, simulator, quick,
                                                          tmp_path):
    jid = demo_jids(simulator)[11]
    manifest = telescope.download_data(jid, path=tmp_path / 'out')
    local = Path(manifest['local_path'][0])
    with open(local, 'r+b') as edited:     # in place, as fits.open(mode='update') does
        edited.seek(-100, 2)
        edited.write(b'x' * 50)
    # The cached copy may share the file (a hard link): it is then found
    # changed by its CRC and fetched again; either way it is intact.
    hdul, = telescope.get_images(jid)
    with fits.open(simulator.products.path(simulator.archive.job(jid), 'cube')) as original:
        assert np.array_equal(hdul[0].data, original[0].data)
    cached = cache.cached_path(telescope, Product(jid))
    assert cached.read_bytes() == served_bytes(simulator, jid)
    hdul.close()


@pytest.fixture
def umask():
    """``umask(value)`` sets the process's umask for the test; the old one comes back."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda value: os.umask(value)
    os.umask(old)


@pytest.mark.parametrize('mask', [0o022, 0o027, 0o002])
def test_files_have_the_mode_the_umask_gives(telescope, simulator, quick, tmp_path, umask,
                                             mask):
    """Like any file the user makes: 0o666 & ~umask, the placed file and the cached one
    (copied back from the placed file when the cache is asked)."""
    umask(mask)
    jids = demo_jids(simulator)[12:14]
    manifest = telescope.download_data(jids, path=tmp_path / 'out')
    assert set(manifest['status']) == {'COMPLETE'}
    zipped, = telescope.get_images(jids[0], cube=False)
    zipped.close()
    for row in manifest:
        cached = cache.find_cached(telescope, Product(row['jid'])).path
        for path in (Path(row['local_path']), cached):
            assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path
    cached_zip = cache.cached_path(telescope, Product(jids[0], cube=False))
    assert stat.S_IMODE(cached_zip.stat().st_mode) == 0o666 & ~mask


@pytest.mark.parametrize('kwargs, error, word', [
    ({'path': 42}, TypeError, 'path'),
    ({'cube': 'no'}, TypeError, 'cube'),
    ({'processed': 1}, TypeError, 'processed'),
])
def test_bad_arguments_before_any_request(telescope, simulator, quick, kwargs, error, word):
    with pytest.raises(error, match=word):
        telescope.download_data(demo_jids(simulator)[0], **kwargs)
    assert simulator.counters.total() == 0


def test_path_that_is_a_file(telescope, simulator, quick, tmp_path):
    a_file = tmp_path / 'file.txt'
    a_file.write_text('hello')
    with pytest.raises(ValueError, match='path must be a folder'):
        telescope.download_data(demo_jids(simulator)[0], path=a_file)
    assert simulator.counters.total() == 0


def test_path_below_a_file_is_refused_before_any_request(telescope, simulator, quick,
                                                         tmp_path):
    a_file = tmp_path / 'file.txt'
    a_file.write_text('hello')
    with pytest.raises(ValueError, match=f"path must be a folder, but '{a_file}' is a file"):
        telescope.download_data(demo_jids(simulator)[0], path=a_file / 'images')
    assert simulator.counters.total() == 0
