"""The mirror's pure parts: the decisions, the layout, the ledger, the lock."""
from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

from telescope_query.sync import lock
from telescope_query.sync.ledger import Entry, LedgerError, read_ledger, write_ledger
from telescope_query.sync.plan import (Job, OnDisk, after_check, check_layout, decide,
                                       relative_file)


def test_decisions():
    assert decide(None, None, None).status == 'NEW'
    assert decide(None, None, OnDisk(10, 1)).action == 'fetch'     # not in the ledger
    deleted = decide(10, 1, None)
    assert (deleted.action, deleted.status) == ('fetch', 'REFETCHED')
    assert 'deleted' in deleted.reason
    truncated = decide(10, 1, OnDisk(4, 1))
    assert truncated.action == 'fetch' and 'truncated' in truncated.reason
    assert decide(10, 1, OnDisk(10, 2)).action == 'check'
    assert decide(10, 1, OnDisk(10, 1)) .action == 'keep'
    assert after_check('0000abcd', '0000abcd').action == 'keep'
    changed = after_check('0000abcd', 'ffff0000')
    assert changed.status == 'REFETCHED' and 'checksum' in changed.reason


@pytest.mark.parametrize('layout', ['{object}/{jid}', '{jid}', '{filter}/{object}_{rid}_{jid}'])
def test_good_layouts(layout):
    assert check_layout(layout) == layout


@pytest.mark.parametrize('layout, words', [
    ('{object}', 'using {jid}'), ('{jid}/{nope}', 'using {jid}'), ('/abs/{jid}', 'inside'),
    ('../{jid}', 'inside'), ('a//{jid}', 'inside'), ('{jid:05d}', 'no format'),
    ('{jid', 'using {jid}'), ('~/{jid}', 'inside'),
])
def test_bad_layouts(layout, words):
    with pytest.raises(ValueError, match=words):
        check_layout(layout)


def test_file_names_are_harmless():
    job = Job(5, (9, 7), '../etc/passwd x', 'B/V', 60.0, '')
    assert relative_file('{object}/{filter}_{rid}_{jid}', job, 'fits') == \
        'etc_passwd_x/B_V_7_5.fits'
    assert relative_file('{object}/{jid}', Job(5, (1,), '...', '', 1.0, ''), 'zip') == \
        'unnamed/5.zip'


def test_the_ledger_round_trips(tmp_path):
    entries = [Entry(2, 10, 'SS Cyg', 'BVR', 60.0, '2024-11-18T16:00:00', 'SS_Cyg/10.fits',
                     123, '0badcafe', 17), Entry(1, 10, 'SS Cyg', 'BVR', float('nan'), '',
                                                  'SS_Cyg/10.fits', 123, '0badcafe', 17)]
    path = tmp_path / 'ledger.ecsv'
    write_ledger(path, entries)
    back = read_ledger(path)
    assert [e.rid for e in back] == [1, 2]
    assert back[1] == entries[0] and math.isnan(back[0].exposure)
    assert read_ledger(tmp_path / 'none.ecsv') == []
    assert list(tmp_path.iterdir()) == [path]            # no temporary left


def test_an_unreadable_ledger_is_named(tmp_path):
    path = tmp_path / 'ledger.ecsv'
    path.write_text('rid,jid\n1,2\n')
    with pytest.raises(LedgerError, match='move it aside'):
        read_ledger(path)


def test_a_live_lock_is_refused_and_released(tmp_path):
    with lock.holding(tmp_path):
        with pytest.raises(lock.SyncLockedError, match='another sync') as error:
            with lock.holding(tmp_path):
                pass
        assert lock.LOCK_NAME in str(error.value)
    assert not (tmp_path / lock.LOCK_NAME).exists()
    with pytest.raises(KeyError):
        with lock.holding(tmp_path):
            raise KeyError('boom')
    assert not (tmp_path / lock.LOCK_NAME).exists()


def test_a_stale_lock_is_taken_over(tmp_path):
    import socket
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / lock.LOCK_NAME).write_text(f'{dead} {socket.gethostname()} 2024-01-01\n')
    said = []
    with lock.holding(tmp_path, said.append) as path:
        assert path.read_text().split()[0] == str(os.getpid())
    assert said and 'taking over' in said[0]
