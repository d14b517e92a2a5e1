"""No temporary file is ever left in a target folder or in the product cache.

Each scenario (success, the same job again into the same folder, a file
replaced, failures of the transfer, errors while placing, an interruption)
ends with a listing of every file of the target folder and of the cache:
exactly the products (and their records in the cache), nothing else.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from telescope_query import conf, files
from telescope_query.images import cache, placing, staging, transfer
from telescope_query.images.product import Product

from helpers import DOWNLOAD, demo_jids


def listing(folder):
    """Every file under ``folder``, relative to it (hidden ones included)."""
    folder = Path(folder)
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob('*') if p.is_file())


def cache_listing(client):
    """The cache's products and their records (not the records of placed files,
    ``placed/``, nor the record of uses, ``usage.json``)."""
    return [name for name in listing(client.product_cache)
            if name.startswith(('raw/', 'processed/'))]


def cached(*names):
    """What the cache holds for raw products ``names``: each file and its record."""
    return sorted([f'raw/{n}' for n in names] + [f'raw/{n}.json' for n in names])


def delivered(*names):
    """What the cache holds for raw products ``names`` that ``download_data``
    downloaded straight into the user's folder: only their records."""
    return sorted(f'raw/{n}.json' for n in names)


def test_the_same_job_twice_into_the_same_folder(telescope, simulator, quick, tmp_path):
    """The second placing finds the file it wrote, unchanged: nothing to write
    (not even into the cache), and no temporary stays."""
    jid = demo_jids(simulator)[13]
    out = tmp_path / 'out'
    first = telescope.download_data([jid], path=out)
    assert first['status'][0] == 'COMPLETE'
    assert listing(out) == [f'{jid}.fits']
    assert cache_listing(telescope) == delivered(f'{jid}.fits')
    simulator.counters.reset()
    for _ in range(2):
        again = telescope.download_data([jid], path=out)
        assert again['status'][0] == 'CACHED'
        assert listing(out) == [f'{jid}.fits'], 'a temporary was left in the target folder'
        assert cache_listing(telescope) == delivered(f'{jid}.fits')
    assert simulator.counters.total() == 0
    # Asked for it, the cache takes a copy of its own back from the user's file.
    found = cache.find_cached(telescope, Product(jid))
    assert cache_listing(telescope) == cached(f'{jid}.fits')
    assert (out / f'{jid}.fits').read_bytes() == found.path.read_bytes()
    assert (out / f'{jid}.fits').stat().st_ino != found.path.stat().st_ino


def test_the_same_job_twice_with_the_legacy_call(login_as, simulator, quick, tmp_path):
    telescope = login_as('demo', legacy=True)
    jid = demo_jids(simulator)[13]
    for _ in range(2):
        assert telescope.download_obs(jid, directory=tmp_path / 'out') == f'{jid}.fits'
        assert listing(tmp_path / 'out') == [f'{jid}.fits']
        # The original's product: the frames with the job's flat field.
        assert cache_listing(telescope) == cached(f'{jid}_flat.fits')


def test_placing_where_no_clone_is_made(telescope, simulator, quick, tmp_path, monkeypatch):
    """A file system without clones nor in-kernel copies: a plain copy under a
    temporary name, renamed (a product found in the cache, and one the cache
    takes back from a user's file)."""
    jid = demo_jids(simulator)[14]
    monkeypatch.setattr(files, '_clone', lambda source, target: False)
    monkeypatch.setattr(files.os, 'copy_file_range', _raise(OSError(18, 'cross-device')),
                        raising=False)
    telescope.download_data([jid], path=tmp_path / 'first')
    telescope.get_images(jid, show_progress=False)[0].close()    # taken back: a copy
    assert cache_listing(telescope) == cached(f'{jid}.fits')
    for _ in range(2):
        manifest = telescope.download_data([jid], path=tmp_path / 'out')
        assert manifest['status'][0] in ('COMPLETE', 'CACHED')
        assert listing(tmp_path / 'out') == [f'{jid}.fits']
        assert cache_listing(telescope) == cached(f'{jid}.fits')
    assert (tmp_path / 'out' / f'{jid}.fits').read_bytes() == \
        cache.cached_path(telescope, Product(jid)).read_bytes()


def test_an_older_file_of_the_same_name_is_replaced_when_asked(telescope, simulator, quick,
                                                               tmp_path):
    jid = demo_jids(simulator)[14]
    out = tmp_path / 'out'
    out.mkdir()
    (out / f'{jid}.fits').write_bytes(b'an older copy')
    manifest = telescope.download_data([jid], path=out, overwrite=True)
    assert manifest['status'][0] == 'COMPLETE'
    assert listing(out) == [f'{jid}.fits']
    assert (out / f'{jid}.fits').read_bytes() != b'an older copy'
    assert cache_listing(telescope) == delivered(f'{jid}.fits')


@pytest.mark.parametrize('fault, params', [
    ('cut_connection', {'after_bytes': 0}),
    ('corrupt_product', {}),
    ('short_body', {'missing_bytes': 100}),
    ('http_500', {}),
])
def test_failed_transfers(telescope, simulator, quick, tmp_path, fault, params):
    jid = demo_jids(simulator)[15]
    out = tmp_path / 'out'
    simulator.faults.add(fault, endpoint=DOWNLOAD, count=None, **params)
    with conf.set_temp('retries', 0):
        manifest = telescope.download_data([jid], path=out)
    assert manifest['status'][0] == 'ERROR'
    assert listing(out) == []
    assert cache_listing(telescope) == []


def test_a_product_that_never_becomes_ready(telescope, simulator, quick, tmp_path):
    jid = demo_jids(simulator)[15]
    simulator.faults.add('never_ready', count=None, jid=jid)
    with conf.set_temp('max_poll_time', 0.05):
        manifest = telescope.download_data([jid], path=tmp_path / 'out')
    assert manifest['status'][0] == 'ERROR'
    assert listing(tmp_path / 'out') == [] and cache_listing(telescope) == []


@pytest.mark.parametrize('step', ['copy', 'replace'])
def test_an_error_while_placing(telescope, simulator, quick, tmp_path, monkeypatch, step):
    jid = demo_jids(simulator)[16]
    out = tmp_path / 'out'
    telescope.get_images(jid, show_progress=False)[0].close()
    if step == 'copy':    # the copy fails (a full disk)
        monkeypatch.setattr(placing, 'clone_or_copy', _raise(OSError(28, 'disk full')))
    else:
        monkeypatch.setattr(placing.os, 'link', _raise(OSError(1, 'no links')))
        monkeypatch.setattr(placing.os, 'replace', _raise(OSError(30, 'read-only folder')))
    manifest = telescope.download_data([jid], path=out)
    assert manifest['status'][0] == 'ERROR' and 'could not write' in manifest['message'][0]
    assert f'{jid}.fits' in manifest['message'][0] and f'job {jid}' in manifest['message'][0]
    assert listing(out) == []
    assert cache_listing(telescope) == cached(f'{jid}.fits')


def test_an_interruption_while_placing(telescope, simulator, quick, tmp_path, monkeypatch):
    """Ctrl-C in the middle of putting the file into place: nothing half-done stays."""
    jid = demo_jids(simulator)[16]
    out = tmp_path / 'out'
    telescope.get_images(jid, show_progress=False)[0].close()
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(placing.os, 'link', _raise(KeyboardInterrupt()))
        telescope.download_data([jid], path=out)
    assert listing(out) == []
    assert cache_listing(telescope) == cached(f'{jid}.fits')


def test_an_interruption_while_downloading(telescope, simulator, quick, tmp_path,
                                           monkeypatch):
    jid = demo_jids(simulator)[17]
    with pytest.raises(KeyboardInterrupt):
        monkeypatch.setattr(transfer, 'check_product', _raise(KeyboardInterrupt()))
        telescope.download_data([jid], path=tmp_path / 'out')
    assert listing(tmp_path / 'out') == [] and cache_listing(telescope) == []


def test_an_error_while_downloading(telescope, simulator, quick, tmp_path, monkeypatch):
    """An unexpected error after the bytes arrived, before they are verified."""
    jid = demo_jids(simulator)[17]
    monkeypatch.setattr(transfer, 'check_product', _raise(RuntimeError('unexpected')))
    manifest = telescope.download_data([jid], path=tmp_path / 'out')
    assert manifest['status'][0] == 'ERROR' and 'unexpected' in manifest['message'][0]
    assert listing(tmp_path / 'out') == [] and cache_listing(telescope) == []


def test_an_existing_target_that_is_the_cached_file_itself(telescope, simulator, quick):
    """Placing into the cache's own folder: the file is already there."""
    jid = demo_jids(simulator)[13]
    fetched = staging.fetch_one(telescope, Product(jid))
    assert placing.place(fetched, fetched.path.parent) == fetched.path
    assert cache_listing(telescope) == cached(f'{jid}.fits')


@pytest.mark.parametrize('meanwhile, kept', [('same', True), ('other', False)])
def test_a_file_placed_meanwhile(telescope, simulator, quick, tmp_path, monkeypatch,
                                 meanwhile, kept):
    """Between the look at the target and the rename, a file of that name appears:
    the same product, placed by another thread (no user's file: fine), or any other
    bytes (the user's: NotOurs, left as it is). Failed before with the same product
    (8 threads into one folder had SKIPPED rows)."""
    jid = demo_jids(simulator)[13]
    fetched = staging.fetch_one(telescope, Product(jid))
    out = tmp_path / 'out'
    out.mkdir()
    target = out / fetched.product.file_name
    appeared = fetched.path.read_bytes() if meanwhile == 'same' else b'the user\'s own'
    real_link = placing.os.link

    def link_after_another_writer(source, destination):
        target.write_bytes(appeared)            # the other writer wins the race
        return real_link(source, destination)

    monkeypatch.setattr(placing.os, 'link', link_after_another_writer)
    if kept:
        assert placing.place(fetched, out) == target
    else:
        with pytest.raises(placing.NotOurs):
            placing.place(fetched, out)
    assert target.read_bytes() == appeared
    assert listing(out) == [target.name], 'a temporary was left in the target folder'


def _raise(error):
    def fail(*args, **kwargs):
        raise error
    return fail


def test_listing_sees_hidden_temporaries(tmp_path):
    (tmp_path / '.1.fits.abc.part').write_bytes(b'')
    assert listing(tmp_path) == ['.1.fits.abc.part']
    assert os.path.exists(tmp_path / '.1.fits.abc.part')
