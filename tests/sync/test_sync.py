"""Telescope.sync against the simulator: the mirror, its ledger, and its faults."""
from __future__ import annotations

import os

import pytest

from telescope_query.sync import run
from telescope_query.sync.ledger import LEDGER_NAME, read_ledger
from telescope_query.sync.lock import LOCK_NAME, SyncLockedError

from helpers import unique

DOWNLOAD = 'v3image-download.php'
VIEW = 'v4request-view.php'
LISTING = 'api-user.php/request-manager/1-get-list-own'


@pytest.fixture
def mirror(login_as, tmp_path, simulator):
    """A client of its own (account alice: the other tests' submissions stay in
    demo's queue) and an empty mirror folder."""
    client = login_as('alice', 'alice-Secret-42')
    return client, tmp_path / 'mirror'


def _statuses(manifest):
    return {int(row['jid']): str(row['status']) for row in manifest}


def test_first_and_second_run(mirror, simulator):
    client, folder = mirror
    first = client.sync(folder, show_progress=False)
    assert len(first) > 5 and set(first['status']) == {'NEW'}
    for row in first:
        assert (folder / row['file']).stat().st_size == row['size']
    ledger = read_ledger(folder / LEDGER_NAME)
    assert {e.jid for e in ledger} == set(first['jid'])
    simulator.counters.reset()
    second = client.sync(folder, show_progress=False)
    assert set(second['status']) == {'UNCHANGED'} and len(second) == len(first)
    assert simulator.counters.total() == 1 and simulator.counters[LISTING] == 1


def test_a_new_completion_costs_its_view_and_its_download(mirror, simulator):
    client, folder = mirror
    client.sync(folder, show_progress=False)
    rid = client.submit('17:30:00 +45:00:00', name=unique('Sync new'))
    simulator.complete_queue('alice')
    simulator.counters.reset()
    manifest = client.sync(folder, show_progress=False)
    new = [row for row in manifest if row['status'] == 'NEW']
    assert any(f'R{rid}' in row['rids'] for row in new)
    assert manifest.meta['UNCHANGED'] == len(manifest) - len(new)
    # (the account's other queued requests completed too: one view and one
    # download each, nothing for the jobs already there)
    # (a view per new request, and the job view the download checks first)
    assert simulator.counters[VIEW] == sum(len(row['rids'].split()) for row in new) + len(new)
    assert simulator.counters[DOWNLOAD] == len(new)


def test_deleted_truncated_and_changed_files_are_fetched_again(mirror, simulator):
    client, folder = mirror
    first = client.sync(folder, show_progress=False)
    deleted, truncated, changed, touched = [folder / f for f in first['file'][:4]]
    sizes = {path: path.stat().st_size for path in (deleted, truncated, changed, touched)}
    deleted.unlink()
    with open(truncated, 'r+b') as out:
        out.truncate(100)
    data = bytearray(changed.read_bytes())
    data[3000] ^= 0xFF                        # same size, another byte, a new time
    changed.unlink()                          # a new inode: the cache's copy is kept
    changed.write_bytes(bytes(data))
    os.utime(touched, ns=(10**18, 10**18))    # only touched
    second = client.sync(folder, show_progress=False)
    by_file = {row['file']: row for row in second}
    assert by_file[str(deleted.relative_to(folder))]['message'] == 'the file was deleted'
    assert 'truncated' in by_file[str(truncated.relative_to(folder))]['message']
    assert 'checksum' in by_file[str(changed.relative_to(folder))]['message']
    assert by_file[str(touched.relative_to(folder))]['status'] == 'UNCHANGED'
    assert second.meta['REFETCHED'] == 3
    for path, size in sizes.items():
        assert path.stat().st_size == size
    assert client.sync(folder, show_progress=False).meta['UNCHANGED'] == len(first)


def test_a_cut_download_is_resumed(mirror, simulator):
    client, folder = mirror
    simulator.faults.add('cut_connection', endpoint=DOWNLOAD, count=2, after_bytes=1000)
    manifest = client.sync(folder, show_progress=False)
    assert set(manifest['status']) == {'NEW'}


def test_a_failed_download_is_an_error_and_the_next_run_fetches_it(mirror, simulator):
    client, folder = mirror
    simulator.faults.add('http_500', endpoint=DOWNLOAD, count=None)
    failed = client.sync(folder, show_progress=False)
    assert set(failed['status']) == {'ERROR'} and failed.meta['ERROR'] == len(failed)
    assert read_ledger(folder / LEDGER_NAME) == []
    simulator.faults.clear()
    again = client.sync(folder, show_progress=False)
    assert set(again['status']) == {'NEW'}


def test_an_interrupted_run_resumes(mirror, simulator, monkeypatch):
    client, folder = mirror
    monkeypatch.setattr(run, 'CHUNK', 3)
    calls = []
    real_fetch = run.fetch

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_fetch(*args, **kwargs)
    monkeypatch.setattr(run, 'fetch', interrupted)
    with pytest.raises(KeyboardInterrupt):
        client.sync(folder, show_progress=False)
    assert len({e.jid for e in read_ledger(folder / LEDGER_NAME)}) == 3
    assert not (folder / LOCK_NAME).exists()
    monkeypatch.setattr(run, 'fetch', real_fetch)
    resumed = client.sync(folder, show_progress=False)
    assert resumed.meta['UNCHANGED'] == 3 and resumed.meta['NEW'] == len(resumed) - 3


def test_requests_sharing_a_job_share_its_file(mirror, simulator):
    client, folder = mirror
    name = unique('Shared')
    rids = [client.submit('18:40:00 +39:00:00', name=name) for _ in range(2)]
    simulator.complete_queue('alice')
    manifest = client.sync(folder, layout='{object}/{jid}', show_progress=False)
    (row,) = [row for row in manifest if row['object'] == name]
    assert row['rids'] == ' '.join(f'R{rid}' for rid in sorted(rids))
    ledger = [e for e in read_ledger(folder / LEDGER_NAME) if e.object == name]
    assert sorted(e.rid for e in ledger) == sorted(rids)
    assert len({e.file for e in ledger}) == 1


def test_since_and_layout(mirror, simulator):
    client, folder = mirror
    every = client.sync(folder / 'all', show_progress=False)
    recent = client.sync(folder / 'recent', since='2024-01-01', layout='{jid}',
                         show_progress=False)
    assert 0 < len(recent) < len(every)
    assert all('/' not in row['file'] for row in recent)


def test_a_second_run_at_once_is_refused(mirror, simulator):
    client, folder = mirror
    folder.mkdir()
    (folder / LOCK_NAME).write_text(f'{os.getpid()} {os.uname().nodename} now\n')
    simulator.counters.reset()
    with pytest.raises(SyncLockedError, match='another sync'):
        client.sync(folder, show_progress=False)
    assert (folder / LOCK_NAME).exists()


@pytest.mark.parametrize('kwargs, error, words', [
    ({'layout': '{object}'}, ValueError, 'layout'),
    ({'cube': 'yes'}, TypeError, 'cube'),
    ({'since': 'soon'}, ValueError, 'since must be'),
    ({'folder': -1}, ValueError, 'folder'),
])
def test_bad_arguments_send_nothing(mirror, simulator, kwargs, error, words):
    client, folder = mirror
    simulator.counters.reset()
    with pytest.raises(error, match=words):
        client.sync(folder, **kwargs)
    assert simulator.counters.total() == 0 and not folder.exists()
