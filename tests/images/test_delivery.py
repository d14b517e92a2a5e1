"""download_data writes a new product once, straight into the user's folder.

The download goes to a temporary beside the user's file and is renamed into
it; the cache keeps only the product's record, naming that file, and copies
the product back from it when next asked, while the file still holds the
product's bytes. Whatever cannot be put into the user's folder goes into the
cache: a product downloaded is never thrown away.
"""
from __future__ import annotations

import errno
import json
import os
import threading
import time
from pathlib import Path

import pytest

from telescope_query import conf, files
from telescope_query.images import cache, placing, staging
from telescope_query.images.product import Fetched, Product

from helpers import DOWNLOAD, cache_problems, demo_jids, served_bytes


def products_in_cache(client):
    """The files of the cache's ``raw`` folder (products and records)."""
    folder = Path(client.product_cache) / 'raw'
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def record(client, jid):
    path = cache.cached_path(client, Product(jid))
    return json.loads(path.with_name(path.name + '.json').read_text())


@pytest.fixture
def copies(monkeypatch):
    """Every clone or copy of a file the package makes, as (source, target)."""
    made = []
    real = files.clone_or_copy

    def counted(source, target):
        made.append((Path(source), Path(target)))
        return real(source, target)
    monkeypatch.setattr(cache, 'clone_or_copy', counted)
    monkeypatch.setattr(placing, 'clone_or_copy', counted)
    return made


def test_a_new_product_is_written_once_and_taken_back_when_asked(telescope, simulator, quick,
                                                                 tmp_path, copies):
    jid = demo_jids(simulator)[50]
    out = tmp_path / 'out'
    manifest = telescope.download_data(jid, path=out, show_progress=False)
    assert list(manifest['status']) == ['COMPLETE']
    target = out / f'{jid}.fits'
    assert target.read_bytes() == served_bytes(simulator, jid)
    assert copies == []                                   # no second write
    assert products_in_cache(telescope) == [f'{jid}.fits.json']
    assert record(telescope, jid)['placed'] == os.path.abspath(target)
    assert sorted(p.name for p in out.iterdir()) == [target.name]
    # get_images: no HTTP call; the cache copies the product back, a file of its own.
    simulator.counters.reset()
    telescope.get_images(jid, show_progress=False)[0].close()
    assert simulator.counters.total() == 0
    assert copies == [(target, copies[0][1])]
    cached = cache.cached_path(telescope, Product(jid))
    assert cached.read_bytes() == target.read_bytes()
    assert not os.path.samefile(cached, target)
    assert record(telescope, jid)['placed'] == os.path.abspath(target)   # kept: harmless
    assert not cache_problems(tmp_path / 'cache')


@pytest.mark.parametrize('change, taken_back', [
    ('edited', False),        # in place, as fits.open(mode='update') does
    ('cut', False),
    ('removed', False),
    ('replaced', False),      # another file of the same size under that name
    ('touched', True),        # its times changed, its bytes not: read, and taken back
])
def test_the_cache_takes_back_only_the_products_bytes(telescope, simulator, quick, tmp_path,
                                                      change, taken_back):
    jid = demo_jids(simulator)[51]
    target = Path(telescope.download_data(jid, path=tmp_path / 'out',
                                          show_progress=False)['local_path'][0])
    original = target.read_bytes()
    if change == 'edited':
        with open(target, 'r+b') as edited:
            edited.seek(-100, 2)
            edited.write(b'x' * 50)
    elif change == 'cut':
        os.truncate(target, len(original) // 2)
    elif change == 'removed':
        target.unlink()
    elif change == 'replaced':
        target.unlink()
        target.write_bytes(b'\0' * len(original))
    else:
        os.utime(target, ns=(time.time_ns() - 10**10, time.time_ns() - 10**10))
    users = target.read_bytes() if target.exists() else None
    simulator.counters.reset()
    hdul, = telescope.get_images(jid, show_progress=False)
    hdul.close()
    assert simulator.counters[DOWNLOAD] == (0 if taken_back else 1)
    assert cache.cached_path(telescope, Product(jid)).read_bytes() == original
    if users is not None:
        assert target.read_bytes() == users                 # the user's file: untouched
    assert not cache_problems(tmp_path / 'cache')


def test_the_same_folder_again_needs_nothing_another_folder_gets_a_copy(telescope, simulator,
                                                                         quick, tmp_path,
                                                                         copies):
    jid = demo_jids(simulator)[52]
    first = Path(telescope.download_data(jid, path=tmp_path / 'a')['local_path'][0])
    simulator.counters.reset()
    again = telescope.download_data(jid, path=tmp_path / 'a')
    assert list(again['status']) == ['CACHED'] and copies == []
    other = telescope.download_data(jid, path=tmp_path / 'b')
    assert list(other['status']) == ['CACHED']
    assert simulator.counters.total() == 0
    second = Path(other['local_path'][0])
    cached = cache.cached_path(telescope, Product(jid))
    for one, two in ((first, second), (first, cached), (second, cached)):
        assert one.read_bytes() == two.read_bytes() and not os.path.samefile(one, two)


def test_a_product_the_users_folder_will_not_take_is_kept_in_the_cache(telescope, simulator,
                                                                       quick, tmp_path):
    """The user's own file of that name: SKIPPED, and the download kept in the
    cache, so that overwrite=True needs no second download."""
    jid = demo_jids(simulator)[53]
    out = tmp_path / 'out'
    out.mkdir()
    (out / f'{jid}.fits').write_bytes(b'my own notes')
    skipped = telescope.download_data(jid, path=out)
    assert list(skipped['status']) == ['SKIPPED']
    assert (out / f'{jid}.fits').read_bytes() == b'my own notes'
    assert sorted(p.name for p in out.iterdir()) == [f'{jid}.fits']
    assert products_in_cache(telescope) == [f'{jid}.fits', f'{jid}.fits.json']
    simulator.counters.reset()
    replaced = telescope.download_data(jid, path=out, overwrite=True)
    assert list(replaced['status']) == ['CACHED'] and simulator.counters.total() == 0
    assert (out / f'{jid}.fits').read_bytes() == served_bytes(simulator, jid)
    assert not cache_problems(tmp_path / 'cache')


def test_a_rename_that_fails_keeps_the_product_in_the_cache(telescope, simulator, quick,
                                                            tmp_path, monkeypatch):
    """The user's folder refuses the file (an I/O error at the rename): the row
    says ERROR and names the file; the product stays in the cache, nothing
    half-written in the folder."""
    jid = demo_jids(simulator)[54]
    out = tmp_path / 'out'

    def refused(source, target, *args):
        raise OSError(errno.EIO, 'Input/output error', os.fspath(target))
    real = placing._put
    monkeypatch.setattr(placing, '_put', refused)
    manifest = telescope.download_data(jid, path=out)
    assert list(manifest['status']) == ['ERROR']
    assert f'{jid}.fits' in manifest['message'][0] and 'Input/output' in manifest['message'][0]
    assert list(out.iterdir()) == []
    assert products_in_cache(telescope) == [f'{jid}.fits', f'{jid}.fits.json']
    monkeypatch.setattr(placing, '_put', real)
    simulator.counters.reset()
    assert list(telescope.download_data(jid, path=out)['status']) == ['CACHED']
    assert simulator.counters.total() == 0


@pytest.mark.parametrize('copy_differs', [False, True])
def test_across_file_systems_the_cache_gets_a_checked_copy(telescope, simulator, quick,
                                                           tmp_path, monkeypatch, copy_differs):
    """The user's folder on another file system than the cache, and a file of the
    user's in the way: the download is copied into the cache and the copy
    checked against its CRC-32; a copy that differs is an ERROR, never cached."""
    jid = demo_jids(simulator)[55]
    out = tmp_path / 'out'
    out.mkdir()
    (out / f'{jid}.fits').write_bytes(b'my own notes')
    monkeypatch.setattr(cache, '_same_file_system', lambda path, folder: False)
    if copy_differs:
        def spoiled(source, target):
            Path(target).write_bytes(Path(source).read_bytes()[:-1] + b'!')
        monkeypatch.setattr(cache, 'clone_or_copy', spoiled)
    manifest = telescope.download_data(jid, path=out)
    if copy_differs:
        assert list(manifest['status']) == ['ERROR']
        assert 'differs' in manifest['message'][0]
        assert products_in_cache(telescope) == []
    else:
        assert list(manifest['status']) == ['SKIPPED']
        cached = cache.cached_path(telescope, Product(jid))
        assert cached.read_bytes() == served_bytes(simulator, jid)
    assert sorted(p.name for p in out.iterdir()) == [f'{jid}.fits']
    assert not cache_problems(tmp_path / 'cache')


def test_a_cache_that_cannot_keep_the_record_costs_only_a_later_download(
        telescope, simulator, quick, tmp_path, monkeypatch):
    jid = demo_jids(simulator)[56]

    def unwritable(*args):
        raise PermissionError(errno.EACCES, 'Permission denied')
    monkeypatch.setattr(cache, 'note_placed', unwritable)
    manifest = telescope.download_data(jid, path=tmp_path / 'out')
    assert list(manifest['status']) == ['COMPLETE']
    assert Path(manifest['local_path'][0]).read_bytes() == served_bytes(simulator, jid)
    assert products_in_cache(telescope) == []
    simulator.counters.reset()
    telescope.get_images(jid, show_progress=False)[0].close()
    assert simulator.counters[DOWNLOAD] == 1


def test_threads_delivering_one_product_download_it_once(telescope, simulator, quick, tmp_path):
    """Six threads of one client, three folders: one download; each folder has a
    file of its own, and no temporary stays anywhere."""
    jid = demo_jids(simulator)[57]
    folders = [tmp_path / name for name in 'abc']
    rows, errors = [], []

    def one(folder):
        try:
            rows.append(telescope.download_data(jid, path=folder, show_progress=False)[0])
        except Exception as exc:   # reported below, not lost in the thread
            errors.append(exc)
    threads = [threading.Thread(target=one, args=(folder,)) for folder in folders * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(rows) == 6
    assert sorted(row['status'] for row in rows) == ['CACHED'] * 5 + ['COMPLETE']
    assert simulator.counters[DOWNLOAD] == 1
    placed = [folder / f'{jid}.fits' for folder in folders]
    for folder in folders:
        assert sorted(p.name for p in folder.iterdir()) == [f'{jid}.fits']
    assert len({p.stat().st_ino for p in placed}) == 3
    assert all(p.read_bytes() == served_bytes(simulator, jid) for p in placed)
    assert not cache_problems(tmp_path / 'cache')


def test_a_cache_size_limit_counts_only_the_caches_own_files(telescope, simulator, quick,
                                                             tmp_path):
    """Delivered products are not in the cache: the limit neither fails on them
    nor removes the user's files."""
    jids = demo_jids(simulator)[58:60]
    with conf.set_temp('cache_limit', 1e-9):
        manifest = telescope.download_data(jids, path=tmp_path / 'out')
    assert list(manifest['status']) == ['COMPLETE', 'COMPLETE']
    assert all(Path(p).exists() for p in manifest['local_path'])


def test_download_data_into_the_caches_own_folder(telescope, simulator, quick, tmp_path):
    """The user's folder is the cache's (by another name, too): the product is
    the cache's file, kept whole, not delivered onto itself."""
    jid = demo_jids(simulator)[60]
    raw = Path(telescope.product_cache) / 'raw'
    raw.mkdir(parents=True)
    (tmp_path / 'alias').symlink_to(raw)
    for folder in (raw, tmp_path / 'alias'):
        manifest = telescope.download_data(jid, path=folder)
        assert manifest['status'][0] in ('COMPLETE', 'CACHED')
        assert (raw / f'{jid}.fits').read_bytes() == served_bytes(simulator, jid)
    assert products_in_cache(telescope) == [f'{jid}.fits', f'{jid}.fits.json']
    assert not cache_problems(tmp_path / 'cache')


def test_a_ledger_that_cannot_be_written_leaves_no_hard_link(telescope, simulator, quick,
                                                              tmp_path, monkeypatch):
    """The file is put there, then its ledger record fails: it is delivered all
    the same, and its temporary's second name went with the link (it was once
    stored into the cache: one inode under two names)."""
    jid = demo_jids(simulator)[61]
    out = tmp_path / 'out'
    real, calls = placing.Ledger.note, []

    def fails_once(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise PermissionError(errno.EACCES, 'Permission denied', os.fspath(self.folder))
        return real(self, *args, **kwargs)
    monkeypatch.setattr(placing.Ledger, 'note', fails_once)
    manifest = telescope.download_data(jid, path=out, show_progress=False)
    assert list(manifest['status']) == ['COMPLETE'] and len(calls) == 1
    target = out / f'{jid}.fits'
    assert target.read_bytes() == served_bytes(simulator, jid)
    assert target.stat().st_nlink == 1
    assert sorted(p.name for p in out.iterdir()) == [target.name]
    telescope.get_images(jid, show_progress=False)[0].close()
    assert not os.path.samefile(target, cache.cached_path(telescope, Product(jid)))


def test_a_delivery_leaves_a_product_another_process_stored(telescope, simulator, quick,
                                                            tmp_path, monkeypatch):
    """Another process stored the product after this one looked: its file stays
    (it may be reading it), and is still a hit."""
    jid = demo_jids(simulator)[62]
    telescope.get_images(jid, show_progress=False)[0].close()     # the other process's
    cached = cache.cached_path(telescope, Product(jid))
    monkeypatch.setattr(staging, '_found', lambda task: None)     # looked before it stored
    telescope.download_data(jid, path=tmp_path / 'out', show_progress=False)
    assert cached.read_bytes() == served_bytes(simulator, jid)
    assert cache.find_cached(telescope, Product(jid)).path == cached


def test_a_change_right_after_the_rename_is_never_taken_back(telescope, simulator, quick,
                                                             tmp_path, monkeypatch):
    """A program watching the folder edits the new file before the cache's record
    is written: the record has the download's stat, and the cache checks the
    bytes it copies back; the product is fetched again, the edit left alone."""
    jid = demo_jids(simulator)[63]
    real = cache.note_placed

    def watched(final, product, size, crc, placed, stat):
        with open(placed, 'r+b') as edited:
            edited.seek(-100, 2)
            edited.write(b'x' * 50)
        real(final, product, size, crc, placed, stat)
    monkeypatch.setattr(staging.cache, 'note_placed', watched)
    target = Path(telescope.download_data(jid, path=tmp_path / 'out',
                                          show_progress=False)['local_path'][0])
    edited = target.read_bytes()
    simulator.counters.reset()
    telescope.get_images(jid, show_progress=False)[0].close()
    assert simulator.counters[DOWNLOAD] == 1
    assert cache.cached_path(telescope, Product(jid)).read_bytes() == \
        served_bytes(simulator, jid)
    assert target.read_bytes() == edited


def test_another_product_placed_over_a_delivered_one_saves_it_first(telescope, login_as,
                                                                     simulator, quick,
                                                                     tmp_path):
    """The legacy call names a job's flat-fielded product as download_data names
    the raw one: placing it replaces the file download_data wrote, the raw
    product's only copy here. The cache takes it back first."""
    jid = next(j for j in demo_jids(simulator)[64:] if simulator.archive.job(j).flat_id)
    out = tmp_path / 'out'
    telescope.download_data(jid, path=out, show_progress=False)
    legacy = login_as('demo', legacy=True)
    assert legacy.download_obs(jid, directory=out) == f'{jid}.fits'
    simulator.counters.reset()
    telescope.get_images(jid, show_progress=False)[0].close()
    assert simulator.counters[DOWNLOAD] == 0
    assert cache.cached_path(telescope, Product(jid)).read_bytes() == \
        served_bytes(simulator, jid)


def test_a_take_back_cut_short_still_knows_where_the_product_is(telescope, simulator, quick,
                                                                 tmp_path, monkeypatch):
    """Killed (here: interrupted) between the record and the rename of a copy
    taken back: the record still names the user's file."""
    jid = demo_jids(simulator)[68]
    target = Path(telescope.download_data(jid, path=tmp_path / 'out',
                                          show_progress=False)['local_path'][0])
    real = cache._install

    def cut(temporary, final, kept):
        stat = os.stat(temporary)
        cache._write_record(final, {**kept, 'mtime_ns': stat.st_mtime_ns,
                                    'inode': stat.st_ino})
        raise KeyboardInterrupt
    monkeypatch.setattr(cache, '_install', cut)
    with pytest.raises(KeyboardInterrupt):
        telescope.get_images(jid, show_progress=False)
    monkeypatch.setattr(cache, '_install', real)
    assert target.read_bytes() == served_bytes(simulator, jid)
    simulator.counters.reset()
    telescope.get_images(jid, show_progress=False)[0].close()
    assert simulator.counters[DOWNLOAD] == 0
    assert not cache_problems(tmp_path / 'cache')


# --- another product placed over a delivered one, and other edges -----------------------

def _flat_jid(simulator, start):
    return next(j for j in demo_jids(simulator)[start:] if simulator.archive.job(j).flat_id)


def test_a_take_back_that_fails_leaves_the_delivered_file(telescope, login_as, simulator,
                                                          quick, tmp_path, monkeypatch):
    """The cache cannot take the delivered product back (a full disk): the file,
    its only copy, is left as it is, and taken back once the disk has room."""
    jid = _flat_jid(simulator, 70)
    out = tmp_path / 'out'
    target = Path(telescope.download_data(jid, path=out, show_progress=False)
                  ['local_path'][0])
    legacy = login_as('demo', legacy=True)
    legacy.download_obs(jid, directory=tmp_path / 'warm')      # the flat product, cached

    def full(source, to):
        raise OSError(errno.ENOSPC, 'No space left on device', os.fspath(to))
    real = cache.clone_or_copy
    monkeypatch.setattr(cache, 'clone_or_copy', full)
    assert legacy.download_obs(jid, directory=out) is None        # it says why, in the log
    monkeypatch.setattr(cache, 'clone_or_copy', real)
    assert target.read_bytes() == served_bytes(simulator, jid)
    simulator.counters.reset()
    telescope.get_images(jid, show_progress=False)[0].close()
    assert simulator.counters[DOWNLOAD] == 0


def test_an_edit_during_the_take_back_is_never_overwritten(telescope, login_as, simulator,
                                                           quick, tmp_path, monkeypatch):
    jid = _flat_jid(simulator, 70)
    out = tmp_path / 'out'
    target = Path(telescope.download_data(jid, path=out, show_progress=False)
                  ['local_path'][0])
    legacy = login_as('demo', legacy=True)
    legacy.download_obs(jid, directory=tmp_path / 'warm')
    real = cache.clone_or_copy

    def user_edits_meanwhile(source, to):
        with open(target, 'r+b') as edited:             # fits.open(mode='update')
            edited.seek(-100, 2)
            edited.write(b'x' * 50)
        return real(source, to)
    monkeypatch.setattr(cache, 'clone_or_copy', user_edits_meanwhile)
    assert legacy.download_obs(jid, directory=out) is None        # the user's: left
    monkeypatch.setattr(cache, 'clone_or_copy', real)
    assert target.read_bytes()[-100:-50] == b'x' * 50


def test_a_file_changed_while_it_is_judged_is_never_recorded_as_ours(tmp_path, monkeypatch):
    """Changed while its CRC-32 is read: the user's, and never recorded as the
    product (another product would then replace the change)."""
    root = tmp_path / 'cache'
    ledger = placing.Ledger(root / 'placed')
    (root / 'raw').mkdir(parents=True)
    one, two = Product(7), Product(7, flat=True)
    for product, body in ((one, b'SIMPLE  = T' + bytes(200)),
                          (two, b'SIMPLE  = F' + bytes(200))):
        cache.product_path(root, product).write_bytes(body)
    fetched = {p: Fetched(p, cache.product_path(root, p),
                          *cache.file_crc(cache.product_path(root, p)), cached=True)
               for p in (one, two)}
    out = tmp_path / 'out'
    out.mkdir()
    target = out / '7.fits'
    target.write_bytes(cache.product_path(root, one).read_bytes())   # the user's own copy
    real = placing.file_crc

    def edited_after_the_read(path):
        found = real(path)
        if Path(path) == target:
            with open(target, 'r+b') as edited:
                edited.write(b'MINE')
        return found
    monkeypatch.setattr(placing, 'file_crc', edited_after_the_read)
    with pytest.raises(placing.NotOurs):
        placing.place(fetched[one], out, ledger=ledger)
    monkeypatch.setattr(placing, 'file_crc', real)
    mine = target.read_bytes()
    with pytest.raises(placing.NotOurs):
        placing.place(fetched[two], out, '7.fits', ledger=ledger)
    assert target.read_bytes() == mine and ledger.get(target) is None


def test_a_download_gone_before_its_rename_is_an_error(telescope, simulator, quick, tmp_path,
                                                       monkeypatch):
    jid = demo_jids(simulator)[71]

    def vanished(source, target, *args):
        os.unlink(source)
        raise FileNotFoundError(errno.ENOENT, 'No such file or directory', os.fspath(source))
    monkeypatch.setattr(placing, '_put', vanished)
    row = telescope.download_data(jid, path=tmp_path / 'out', show_progress=False)[0]
    assert row['status'] == 'ERROR' and f'job {jid}' in row['message']
    assert not (tmp_path / 'out' / f'{jid}.fits').exists()


def test_cache_false_keeps_where_the_delivered_product_is(telescope, login_as, simulator,
                                                          quick, tmp_path):
    """download_data(cache=False) into the folder of a delivered product: the
    ledger still names the product's place in the cache, not a temporary folder."""
    jid = _flat_jid(simulator, 72)
    out = tmp_path / 'out'
    telescope.download_data(jid, path=out, show_progress=False)
    again = telescope.download_data(jid, path=out, show_progress=False, cache=False)
    assert list(again['status']) == ['COMPLETE']
    legacy = login_as('demo', legacy=True)
    assert legacy.download_obs(jid, directory=out) == f'{jid}.fits'
    simulator.counters.reset()
    telescope.get_images(jid, show_progress=False)[0].close()
    assert simulator.counters[DOWNLOAD] == 0


def test_a_users_file_in_another_folder_of_the_cache_is_never_evicted(telescope, simulator,
                                                                      quick, tmp_path):
    jid = demo_jids(simulator)[73]
    folder = Path(telescope.product_cache) / 'processed'
    folder.mkdir(parents=True)
    with conf.set_temp('cache_limit', 1e-9):
        manifest = telescope.download_data(jid, path=folder, show_progress=False)
        telescope.get_images(demo_jids(simulator)[74], show_progress=False)[0].close()
    assert list(manifest['status']) == ['COMPLETE']
    assert Path(manifest['local_path'][0]).read_bytes() == served_bytes(simulator, jid)
    telescope.clear_cache()
    assert Path(manifest['local_path'][0]).exists()


def test_a_damaged_ledger_record_is_as_if_there_were_none(tmp_path):
    ledger = placing.Ledger(tmp_path / 'placed')
    target = tmp_path / '7.fits'
    target.write_bytes(b'SIMPLE')
    fetched = Fetched(Product(7), target, *cache.file_crc(target), cached=True)
    ledger.note(target, fetched, os.stat(target))
    assert ledger.get(target) is not None
    record = ledger._file(target)
    record.write_text(record.read_text().replace('"size": 6', '"size": null'))
    assert ledger.get(target) is None


# --- the cache's records, without a server ----------------------------------------------

def _delivered(tmp_path, product=Product(7)):
    """A product "delivered" to ``tmp_path/user/7.fits``, recorded in ``tmp_path/cache``."""
    user = tmp_path / 'user'
    user.mkdir()
    target = user / product.file_name
    target.write_bytes(b'SIMPLE  = T' + bytes(100))
    size, crc = cache.file_crc(target)
    final = cache.product_path(tmp_path / 'cache', product)
    past = time.time_ns() - 10**10     # a record written in the file's own clock tick is racy
    os.utime(target, ns=(past, past))
    cache.note_placed(final, product, size, crc, target, os.stat(target))
    return target, final, (size, crc)


def test_delivered_to_trusts_only_that_file_with_the_products_bytes(tmp_path, monkeypatch):
    target, final, found = _delivered(tmp_path)
    reads = []
    real = cache.file_crc
    monkeypatch.setattr(cache, 'file_crc', lambda path: reads.append(path) or real(path))
    assert cache.delivered_to(final, target) == found and reads == []     # by its stat
    assert cache.delivered_to(final, tmp_path / 'elsewhere' / target.name) is None
    os.utime(target, ns=(1, 1))                 # touched: read once, then recorded again
    assert cache.delivered_to(final, target) == found and reads == [target]
    assert cache.delivered_to(final, target) == found and reads == [target]
    with open(target, 'r+b') as edited:
        edited.write(b'X')
    assert cache.delivered_to(final, target) is None
    assert not final.exists()                              # nothing copied


def test_a_cached_file_that_failed_its_check_is_taken_back(tmp_path):
    product = Product(7)
    final = cache.product_path(tmp_path / 'cache', product)
    final.parent.mkdir(parents=True)
    final.write_bytes(b'a spoiled older file')
    target, final, found = _delivered(tmp_path, product)
    assert cache.verified(final) == found                 # taken back, not the spoiled one
    assert final.read_bytes() == target.read_bytes()


def test_a_users_file_is_trusted_by_its_stat_only_well_after_its_last_change(tmp_path,
                                                                             monkeypatch):
    """A user's folder may keep times to 2 s (FAT): a record written within that of
    the file's last change is not enough to trust the stat; the file is read."""
    target, final, found = _delivered(tmp_path)             # changed 10 s before its record
    reads = []
    real = cache.file_crc
    monkeypatch.setattr(cache, 'file_crc', lambda path: reads.append(path) or real(path))
    assert cache.delivered_to(final, target) == found and reads == []
    recent = time.time_ns() - 10**9                         # 1 s before its record
    os.utime(target, ns=(recent, recent))
    cache.note_placed(final, Product(7), *found, target, os.stat(target))
    assert cache.delivered_to(final, target) == found and reads == [target]
