"""What users control of the caches: clear_cache, cache=False, conf.cache_limit.

- ``clear_cache()`` empties the package's own caches (products and records of
  views), not only astroquery's request cache; ``products=``/``records=``
  choose one; files that are not the package's stay.
- ``cache=False`` (astroquery's meaning): the product cache is neither read
  nor written.
- ``conf.cache_limit``: beyond it, the least recently used products go, never
  one the same call uses.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from telescope_query import conf
from telescope_query.images import cache
from telescope_query.images.product import Product

from helpers import CREATE_CUBE, DOWNLOAD, demo_jids, served_bytes


def files_under(folder):
    folder = Path(folder)
    return sorted(p for p in folder.rglob('*') if p.is_file()) if folder.exists() else []


def test_clear_cache_empties_products_and_records(telescope, simulator, quick, tmp_path):
    jids = demo_jids(simulator)[50:52]
    out = tmp_path / 'out'
    telescope.download_data(jids, path=out)
    telescope.get_job_details(jids)
    location = Path(telescope.cache_location)
    pickle = location / 'astroquery-request.pickle'
    pickle.write_bytes(b'astroquery request cache')
    assert files_under(location / 'products') and files_under(location / 'records')
    telescope.clear_cache()
    assert files_under(location / 'products') == [] == files_under(location / 'records')
    assert not pickle.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(f'{j}.fits' for j in jids)
    simulator.counters.reset()
    telescope.get_images(jids[0])[0].close()
    assert simulator.counters[DOWNLOAD] == 1


def test_clear_cache_of_one_kind_only(telescope, simulator, quick):
    jid = demo_jids(simulator)[52]
    telescope.get_images(jid)[0].close()
    location = Path(telescope.cache_location)
    products, records = files_under(location / 'products'), files_under(location / 'records')
    assert products and records
    telescope.clear_cache(products=False)
    assert files_under(location / 'products') == products
    assert files_under(location / 'records') == []
    telescope.get_job_details(jid)
    telescope.clear_cache(records=False)
    assert files_under(location / 'products') == []
    assert files_under(location / 'records')


def test_clear_cache_removes_only_the_packages_files(telescope, simulator, quick):
    """The original constructor's ``cache`` folder may be one of the user's: only
    the package's files and folders go."""
    jid = demo_jids(simulator)[53]
    telescope.get_images(jid)[0].close()
    location = Path(telescope.cache_location)
    mine = [location / 'products' / 'notes.txt', location / 'records' / 'notes.txt',
            location / 'products' / 'mine' / 'raw' / f'{jid}.fits',
            Path(telescope.product_cache) / 'raw' / 'notes.txt']
    for path in mine:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('mine')
    telescope.clear_cache()
    assert all(path.read_text() == 'mine' for path in mine)
    assert not (Path(telescope.product_cache) / 'raw' / f'{jid}.fits').exists()


def test_cache_false_neither_reads_nor_writes_the_cache(telescope, simulator, quick,
                                                        tmp_path):
    jids = demo_jids(simulator)[54:56]
    cached = cache.cached_path(telescope, Product(jids[0]))
    telescope.get_images(jids[0])[0].close()
    before = cached.stat()
    simulator.counters.reset()
    hdul, = telescope.get_images(jids[0], cache=False)
    assert simulator.counters[DOWNLOAD] == 1                 # fetched afresh
    with fits.open(simulator.products.path(simulator.archive.job(jids[0]), 'cube')) as real:
        assert np.array_equal(hdul[0].data, real[0].data)
    hdul.close()
    after = cached.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    manifest = telescope.download_data(jids[1], path=tmp_path / 'out', cache=False)
    assert list(manifest['status']) == ['COMPLETE']
    assert (tmp_path / 'out' / f'{jids[1]}.fits').read_bytes() == served_bytes(simulator,
                                                                              jids[1])
    assert not cache.cached_path(telescope, Product(jids[1])).exists()
    assert simulator.counters[CREATE_CUBE] == 2


def same_size_jobs(simulator, count):
    """``count`` jobs whose cubes all have one size, and that size."""
    by_size = {}
    for jid in demo_jids(simulator)[56:]:
        by_size.setdefault(len(served_bytes(simulator, jid)), []).append(jid)
    size, jids = max(by_size.items(), key=lambda item: len(item[1]))
    assert len(jids) >= count
    return jids[:count], size


def test_cache_limit_removes_the_least_recently_used(telescope, simulator, quick):
    jids, size = same_size_jobs(simulator, 8)
    telescope.download_data(jids[0], path=telescope.cache_location / 'out')

    def in_cache():
        return [j for j in jids if cache.cached_path(telescope, Product(j)).exists()]

    with conf.set_temp('cache_limit', 2.5 * size / 1e9):      # room for two products
        for jid in jids[1:3]:
            telescope.get_images(jid)[0].close()
        assert in_cache() == jids[1:3]                         # the oldest went
        telescope.get_images(jids[1])[0].close()               # used again
        telescope.get_images(jids[3])[0].close()
        assert in_cache() == [jids[1], jids[3]]                # not the one just used
        # One call using more than the limit keeps every product it uses.
        hduls = telescope.get_images(jids[4:8])
        assert in_cache() == jids[4:8]
        for hdul in hduls:
            assert hdul[0].data.sum() > 0                      # still readable
            hdul.close()
    with conf.set_temp('cache_limit', 0):                      # no limit
        telescope.get_images(jids[:4])
        assert in_cache() == jids


def test_cache_limit_leaves_the_records_of_what_it_removes_nowhere(telescope, simulator,
                                                                   quick):
    jids = demo_jids(simulator)[64:67]
    with conf.set_temp('cache_limit', 1e-9):                   # one byte: keep nothing old
        for jid in jids:
            telescope.get_images(jid)[0].close()
    raw = Path(telescope.product_cache) / 'raw'
    assert sorted(os.listdir(raw)) == [f'{jids[-1]}.fits', f'{jids[-1]}.fits.json']


def test_preview_of_a_job_takes_cache_false_too(telescope, simulator, quick):
    """``preview(jid)`` fetches a product like ``get_images``: with ``cache=False`` it
    neither serves it from the cache nor keeps it there."""
    pytest.importorskip('matplotlib')
    jids = demo_jids(simulator)[56:58]
    cached = cache.cached_path(telescope, Product(jids[0]))
    telescope.get_images(jids[0])[0].close()
    before = cached.stat()
    simulator.counters.reset()
    telescope.preview(jids[0], cache=False)
    assert simulator.counters[DOWNLOAD] == 1                 # fetched afresh
    after = cached.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    telescope.preview(jids[1], cache=False)
    assert not cache.cached_path(telescope, Product(jids[1])).exists()
    with pytest.raises(TypeError, match='^cache '):
        telescope.preview(jids[1], cache='no')
