"""Files and downloads: the user's files, the cache, and what a killed or
interrupted process leaves.

A user's file is theirs: download_data never overwrites a file it did not
write, or one changed since it wrote it. A file of the product's name in the
target folder is, for ``download_data``:

- absent: written;
- the product's exact bytes (whoever wrote it): left as it is, nothing to do;
- written by the package and unchanged since (its placement record says so):
  replaced when the product differs;
- anything else (a file of the user's, one the package wrote and the user
  edited, a link, a folder): left as it is, its row ``SKIPPED`` with why,
  unless ``overwrite=True``.

Two download folders (and the cache) never share storage. A temporary left by
a killed process is removed by the next run. Ctrl-C stops a bulk download
within about a second, leaving no temporary and a sound cache. A full disk
names the job and the file.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from telescope_query.images import cache, staging
from telescope_query.images.product import Product

from helpers import DOWNLOAD, cache_problems, demo_jids, served_bytes


def skipped(manifest, index=0):
    row = manifest[index]
    return row['status'] == 'SKIPPED' and 'overwrite=True' in row['message']


def test_a_foreign_file_of_the_same_name_is_left_as_it_is(telescope, simulator, quick,
                                                          tmp_path):
    jids = demo_jids(simulator)[20:22]
    out = tmp_path / 'out'
    out.mkdir()
    mine = out / f'{jids[0]}.fits'
    mine.write_bytes(b'my own notes, not a product')
    manifest = telescope.download_data(jids, path=out)
    assert skipped(manifest, 0) and manifest['local_path'][0] == os.fspath(mine)
    assert manifest['size'].mask[0]
    assert mine.read_bytes() == b'my own notes, not a product'
    assert manifest['status'][1] == 'COMPLETE'        # the others go on
    # A file of the same size is not taken for the product either.
    same_size = b'\0' * len(served_bytes(simulator, jids[0]))
    mine.write_bytes(same_size)
    assert skipped(telescope.download_data(jids[0], path=out))
    assert mine.read_bytes() == same_size


def test_a_file_of_the_products_exact_bytes_is_fine(telescope, simulator, quick, tmp_path):
    """Whoever wrote it (another tool, the original library), it is the product:
    nothing to replace, nothing refused."""
    jid = demo_jids(simulator)[22]
    out = tmp_path / 'out'
    out.mkdir()
    (out / f'{jid}.fits').write_bytes(served_bytes(simulator, jid))
    manifest = telescope.download_data(jid, path=out)
    assert manifest['status'][0] == 'COMPLETE' and manifest['message'][0] == ''


@pytest.mark.parametrize('edit', ['in place', 'appended', 'rewritten, time put back'])
def test_a_file_the_package_wrote_then_the_user_edited_is_left_as_it_is(
        telescope, simulator, quick, tmp_path, edit):
    jid = demo_jids(simulator)[23]
    out = tmp_path / 'out'
    local = Path(telescope.download_data(jid, path=out)['local_path'][0])
    before = local.stat()
    with open(local, 'r+b') as edited:
        if edit == 'appended':
            edited.seek(0, 2)
            edited.write(b'COMMENT my reduction notes'.ljust(2880))
        else:
            edited.seek(-100, 2)
            edited.write(b'x' * 50)
    if edit == 'rewritten, time put back':
        os.utime(local, ns=(before.st_atime_ns, before.st_mtime_ns))
    changed = local.read_bytes()
    manifest = telescope.download_data(jid, path=out)
    assert local.read_bytes() == changed          # never overwritten
    if edit != 'rewritten, time put back':
        assert skipped(manifest)
    # else the file's size, time and inode are those recorded: it is trusted to be
    # the product without being read (docs/downloading.rst says so), and the
    # manifest cannot tell. Either way it is left as it is.


def test_a_file_the_package_wrote_and_nobody_changed_is_placed_again(telescope, simulator,
                                                                     quick, tmp_path):
    jid = demo_jids(simulator)[24]
    out = tmp_path / 'out'
    assert telescope.download_data(jid, path=out)['status'][0] == 'COMPLETE'
    local = out / f'{jid}.fits'
    os.utime(local)                            # touched only: still the same bytes
    for _ in range(2):
        manifest = telescope.download_data(jid, path=out)
        assert manifest['status'][0] == 'CACHED' and manifest['message'][0] == ''
    assert local.read_bytes() == served_bytes(simulator, jid)


def test_a_written_unchanged_file_is_replaced_by_another_product(telescope, simulator,
                                                                 quick, tmp_path):
    """The package's own file, unchanged, gives way to a product of other bytes
    under its name; once edited by the user, it no longer does."""
    from telescope_query.images import placing
    jids = demo_jids(simulator)[25:27]
    one, two = (staging.fetch_one(telescope, Product(jid)) for jid in jids)
    out = tmp_path / 'out'
    out.mkdir()
    placing.place(one, out, 'image.fits')
    assert placing.place(two, out, 'image.fits').read_bytes() == two.path.read_bytes()
    with open(out / 'image.fits', 'ab') as edited:
        edited.write(b'more')
    with pytest.raises(placing.NotOurs):
        placing.place(one, out, 'image.fits')
    assert placing.place(one, out, 'image.fits', overwrite=True).read_bytes() == \
        one.path.read_bytes()


def test_a_link_or_a_folder_of_that_name_is_left_as_it_is(telescope, simulator, quick,
                                                          tmp_path):
    jids = demo_jids(simulator)[27:29]
    out = tmp_path / 'out'
    out.mkdir()
    elsewhere = tmp_path / 'elsewhere.fits'
    elsewhere.write_bytes(b'the file a link points to')
    (out / f'{jids[0]}.fits').symlink_to(elsewhere)
    (out / f'{jids[1]}.fits').mkdir()
    manifest = telescope.download_data(jids, path=out)
    assert skipped(manifest, 0) and skipped(manifest, 1)
    assert elsewhere.read_bytes() == b'the file a link points to'
    assert (out / f'{jids[0]}.fits').is_symlink() and (out / f'{jids[1]}.fits').is_dir()


def test_a_file_that_appears_while_the_product_is_written_is_kept(telescope, simulator,
                                                                  quick, tmp_path,
                                                                  monkeypatch):
    """The check and the rename are not one step: a file made in between is
    never replaced (the new file is linked in, which fails on a taken name)."""
    from telescope_query.images import placing
    jid = demo_jids(simulator)[29]
    fetched = staging.fetch_one(telescope, Product(jid))
    out = tmp_path / 'out'
    out.mkdir()
    real_copy = placing.clone_or_copy

    def copy_while_the_user_saves(source, target):
        (out / f'{jid}.fits').write_bytes(b'saved by the user meanwhile')
        return real_copy(source, target)

    monkeypatch.setattr(placing, 'clone_or_copy', copy_while_the_user_saves)
    with pytest.raises(placing.NotOurs):
        placing.place(fetched, out)
    assert (out / f'{jid}.fits').read_bytes() == b'saved by the user meanwhile'
    assert sorted(p.name for p in out.iterdir()) == [f'{jid}.fits']
    assert cache.verified(fetched.path) == (fetched.size, fetched.crc)


# --- storage ---------------------------------------------------------------------

def test_two_folders_and_the_cache_never_share_storage(telescope, simulator, quick,
                                                        tmp_path):
    """docs/downloading.rst: each placed file is a file of its own (a clone or a
    copy, never a hard link): editing one in place, as fits.open(mode='update')
    does, changes neither the cache nor another folder's copy, and the cache is
    still served with no HTTP call."""
    jid = demo_jids(simulator)[14]
    first = Path(telescope.download_data(jid, path=tmp_path / 'a')['local_path'][0])
    second = Path(telescope.download_data(jid, path=tmp_path / 'b')['local_path'][0])
    cached = cache.cached_path(telescope, Product(jid))
    original = served_bytes(simulator, jid)
    for one, other in ((first, cached), (second, cached), (first, second)):
        assert not os.path.samefile(one, other)
    with open(first, 'r+b') as edited:        # in place, as fits.open(mode='update') does
        edited.seek(-100, 2)
        edited.write(b'x' * 50)
    assert first.read_bytes() != original
    assert second.read_bytes() == original and cached.read_bytes() == original
    simulator.counters.reset()
    telescope.get_images(jid)[0].close()
    assert simulator.counters.total() == 0


# --- what a killed process leaves ---------------------------------------------------------

def test_temporaries_left_by_a_killed_process_are_removed_by_the_next_run(telescope, simulator,
                                                                          quick, tmp_path):
    """A ``.<name>.<random>.part`` as a killed download leaves it, beside a cache
    entry and in the user's folder, goes at the next run; one that a live
    writer holds (locked) stays, and a file of the user's that merely looks
    alike is not a product's temporary."""
    jids = demo_jids(simulator)[30:32]
    out = tmp_path / 'out'
    out.mkdir()
    raw = Path(telescope.product_cache) / 'raw'
    raw.mkdir(parents=True, exist_ok=True)
    dead = [raw / f'.{jids[0]}.fits.0badc0de.part', out / f'.{jids[0]}.fits.1badc0de.part',
            out / f'.{jids[0] + 7}.zip.2badc0de.part']      # another job's, too
    for path in dead:
        path.write_bytes(b'SIMPLE  = half a product')
    users = out / '.notes.txt.3badc0de.part'
    users.write_bytes(b'not a product: kept')
    with cache.temporary_beside(out / f'{jids[1]}.fits') as live:
        manifest = telescope.download_data(jids[0], path=out)
        assert live.exists(), 'the temporary of a live writer was removed'
    assert list(manifest['status']) == ['COMPLETE']
    assert not [p for p in dead if p.exists()]
    assert users.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted([f'{jids[0]}.fits', users.name])
    assert not cache_problems(tmp_path / 'cache')


# --- interruptions ------------------------------------------------------------------------

CREATE = 'api-user.php/image-engine/0-create-dl3d'

#: The start of every script run in a process of its own: a client of the
#: simulator, its cache in argv[1].
PRELUDE = textwrap.dedent('''
    import resource, signal, sys
    from telescope_query import TelescopeClass, conf
    conf.backoff_factor = 0.0
    conf.poll_interval = 0.01
    conf.max_workers = 2
    client = TelescopeClass()
    client.cache_location = sys.argv[1]
    client.login('demo', password='demo')
''')


def client_process(simulator, script, *args, **options):
    """``script`` (after `PRELUDE`) in a Python process of its own, ``args`` as argv."""
    return subprocess.Popen([sys.executable, '-c', PRELUDE + textwrap.dedent(script),
                             *map(str, args)],
                            env={**os.environ, 'TELESCOPE_QUERY_SERVER': simulator.url},
                            **options)


def test_ctrl_c_stops_a_bulk_download_at_once_leaving_everything_sound(simulator, tmp_path):
    """SIGINT to a process in the middle of a bulk download_data (every image-engine
    staging answered 300 ms late, two calls at a time): it exits within 5 s,
    where finishing the calls already queued would take some 6 s more; no
    temporary stays, every cached product matches its record."""
    jids = demo_jids(simulator)[40:100]
    simulator.faults.add('latency', endpoint=CREATE, ms=300, count=None)
    cache_folder, out = tmp_path / 'cache', tmp_path / 'out'
    process = client_process(simulator, '''
        # Ctrl-C as in a terminal: a process started in the background (a
        # script's `cmd &`, some CI runners) inherits SIGINT ignored, and
        # Python then installs no KeyboardInterrupt for it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        jids = [int(j) for j in sys.argv[3].split(',')]
        client.download_data(jids, path=sys.argv[2], show_progress=False)
    ''', cache_folder, out, ','.join(map(str, jids)), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        assert simulator.counters.wait_for(CREATE, 2, timeout=60), 'the download never began'
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode != 0 and b'KeyboardInterrupt' in err
    assert simulator.counters[CREATE] < len(jids) // 2, 'the queued calls went on'
    assert not cache_problems(cache_folder)
    assert not [p for p in out.rglob('*') if p.is_file()]


def test_a_download_killed_midway_leaves_a_temporary_the_next_run_removes(simulator,
                                                                          telescope, quick,
                                                                          tmp_path):
    """SIGKILL while the product's body is on its way (the simulator holds it back):
    the ``.part`` it leaves in the cache is removed, and the product fetched
    whole, by the next call."""
    jid = demo_jids(simulator)[33]
    cache_folder = tmp_path / 'cache'            # the telescope fixture's cache
    simulator.faults.add('latency', endpoint=DOWNLOAD, ms=60_000, count=1)
    process = client_process(simulator, '''
        client.get_images([int(sys.argv[2])], show_progress=False)
    ''', cache_folder, jid, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert simulator.counters.wait_for(DOWNLOAD, 1, timeout=60)
    finally:
        process.kill()
        process.wait()
    assert list(cache_folder.rglob('*.part')), 'the killed download left no temporary'
    simulator.faults.clear()
    telescope.get_images(jid)[0].close()
    assert not list(cache_folder.rglob('*.part'))
    assert not cache_problems(cache_folder)


# --- a full disk, and folders one cannot write to --------------------------------------------

@pytest.mark.skipif(not hasattr(signal, 'SIGXFSZ'), reason='needs RLIMIT_FSIZE (POSIX)')
def test_a_full_disk_names_the_job_and_the_file(simulator, tmp_path):
    """A disk that fills up during the download: the job's row says ERROR and
    names the job and the file; nothing half-written stays. Simulated with
    RLIMIT_FSIZE in a process of its own, which any user (root included, in
    CI) may set: a write past the limit fails as on a full disk (EFBIG)."""
    jid = demo_jids(simulator)[34]
    # Half the product: its own file cannot be written whole, the small records can.
    # (Which job is [34] depends on what earlier tests left in the shared simulator,
    # and products range from ~10 kB up: a fixed limit may exceed the product.)
    limit = len(served_bytes(simulator, jid)) // 2
    assert limit > 4096, 'a product too small for this test'
    process = client_process(simulator, '''
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[4]), int(sys.argv[4])))
        manifest = client.download_data([int(sys.argv[3])], path=sys.argv[2],
                                        show_progress=False)
        print(manifest['status'][0])
        print(manifest['message'][0])
    ''', tmp_path / 'cache', tmp_path / 'out', jid, limit, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    status, message = out.decode().splitlines()[-2:]
    assert status == 'ERROR'
    assert f'job {jid}' in message and f'{jid}.fits' in message and 'File too large' in message
    assert not cache_problems(tmp_path / 'cache')
    assert not [p for p in (tmp_path / 'out').rglob('*')]


def test_a_folder_that_cannot_be_written_is_refused_before_anything_is_sent(telescope,
                                                                            simulator, quick,
                                                                            tmp_path):
    """``path`` under a file, or in a folder no file can be made in: ValueError
    naming ``path``, and no call to the server."""
    a_file = tmp_path / 'notes.txt'
    a_file.write_text('mine')
    read_only = Path('/proc/telescope_query_test')           # for root too (Linux)
    cases = [a_file / 'images', a_file / 'images' / 'deeper']
    if read_only.parent.is_dir():
        cases.append(read_only)
    if os.geteuid() != 0:                                    # root writes anywhere else
        locked = tmp_path / 'locked'
        locked.mkdir(mode=0o500)
        cases += [locked, locked / 'images']
    simulator.counters.reset()
    for path in cases:
        with pytest.raises(ValueError, match=r'^path '):
            telescope.download_data(demo_jids(simulator)[35], path=path)
    assert simulator.counters.total() == 0
    assert a_file.read_text() == 'mine'
