"""The observer's loop on the command line: observable, submit-missing's cadence, wait."""
from __future__ import annotations

from pathlib import Path

import pytest

import test_cli
from helpers import unique

# The command line's fixtures: cli, memory_keyring, as_demo in tests/cli/conftest.py;
# api in tests/cli/test_cli.py.
api = test_cli.api


# Tests that complete a queue with the clock knob use alice: the other tests'
# queued requests (demo's) stay queued.
@pytest.fixture
def as_alice(monkeypatch):
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'alice')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', 'alice-Secret-42')


@pytest.fixture
def alice(login_as):
    return login_as('alice', 'alice-Secret-42')


def test_observable_needs_no_login_and_prints_the_windows(cli, simulator, no_internet):
    result = cli('observable', '20:42:59.6 +43:35:10', '05:35:17 -05:23:28',
                 '--start', '2027-01-01', '--days', '10')
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[:6] == ['target', 'window_start', 'window_end', 'nights',
                                    'hours', 'best_airmass']
    assert lines[3].startswith('20:42:59.6 +43:35:10') and \
        lines[4].lstrip().startswith('05:35:17 -05:23:28')
    assert simulator.counters.total() == 0


def test_observable_formats_for_scripts(cli, no_internet):
    result = cli('observable', '05:35:17 -05:23:28', '--start', '2027-01-01', '--days', '2',
                 '--format', 'csv')
    assert result.status == 0
    header, row = result.out.splitlines()
    assert header.startswith('target,ra,dec,window_start,window_end,nights,hours')
    assert row.startswith('05:35:17 -05:23:28,')


@pytest.mark.parametrize('argv, message', [
    (['observable', '05:35:17 -05:23:28', '--days', '0'], '--days must be a number of days'),
    (['observable', '05:35:17 -05:23:28', '--days', '400'], 'at most 366'),
    (['observable', '05:35:17 -05:23:28', '--days', 'week'], "'week' is not a number"),
    (['observable', '05:35:17 -05:23:28', '--start', 'soon'], 'start must be'),
    (['observable', '99:00:00 +00:00:00'], "target '99:00:00 +00:00:00'"),
    (['observable'], 'the following arguments are required: TARGET'),
])
def test_observable_refuses_bad_input(cli, simulator, argv, message):
    result = cli(*argv)
    assert result.status == 2, result.err
    assert message in result.err and 'Traceback' not in result.err
    assert simulator.counters.total() == 0


def test_submit_missing_with_a_cadence(cli, as_alice, alice, simulator, tmp_path):
    name = unique('Cli cadence')
    where = '08:10:00 +33:00:00'
    rid = alice.submit(where, name=name)
    simulator.complete_queue('alice')
    targets = tmp_path / 'targets.csv'
    targets.write_text(f'target\n{where}\n')
    result = cli('submit-missing', str(targets), '--min-interval', '2', '--format', 'json')
    assert result.status == 0, result.err
    (row,) = result.json()
    assert row['action'] == 'skipped' and row['rid'] == rid


def test_submit_missing_refuses_a_negative_cadence_before_login(cli, as_demo, simulator,
                                                                 tmp_path):
    targets = tmp_path / 'targets.csv'
    targets.write_text('target\n08:10:00 +33:00:00\n')
    result = cli('submit-missing', str(targets), '--min-interval', '-1')
    assert result.status == 2 and '--min-interval must be a time span' in result.err
    assert simulator.counters.total() == 0


# --- wait ----------------------------------------------------------------------------

NOTE = '''import json, os, sys
with open(sys.argv[1], 'a') as out:
    out.write(json.dumps({k: os.environ[k] for k in ('TELESCOPE_RID', 'TELESCOPE_JID',
              'TELESCOPE_FILE', 'TELESCOPE_STATUS')} | {'argv': sys.argv[2:]}) + '\\n')
'''


@pytest.fixture
def clock_knob(monkeypatch, simulator):
    """The wait's sleep completes the demo queue: nothing sleeps."""
    from telescope_query.monitor import loop
    monkeypatch.setattr(loop, 'sleep', lambda seconds: simulator.complete_queue('alice'))


def test_wait_downloads_and_notifies_without_a_shell(cli, as_alice, alice, simulator,
                                                     tmp_path, clock_knob):
    import json
    import sys
    rids = [alice.submit(f'16:{m:02d}:00 +50:00:00', name=unique('Cli wait')) for m in (1, 2)]
    script = tmp_path / 'note.py'
    script.write_text(NOTE)
    notes = tmp_path / 'notes.jsonl'
    command = f'{sys.executable} {script} {notes} "; touch pwned"'
    result = cli('wait', *[f'R{rid}' for rid in rids], '--download', 'frames', '--notify',
                 command, '--format', 'json')
    assert result.status == 0, result.err
    rows = result.json()
    assert [row['rid'] for row in rows] == rids and all(row['final'] for row in rows)
    seen = [json.loads(line) for line in notes.read_text().splitlines()]
    assert sorted(int(n['TELESCOPE_RID']) for n in seen) == rids
    for note in seen:
        assert note['TELESCOPE_STATUS'] == '8' and note['TELESCOPE_JID']
        assert Path(note['TELESCOPE_FILE']).is_file()
        assert note['argv'] == ['; touch pwned']          # an argument, not shell syntax
    assert not (tmp_path / 'pwned').exists() and not Path('pwned').exists()


def test_wait_exits_1_while_requests_still_wait(cli, as_demo, api, monkeypatch):
    from telescope_query.monitor import loop
    rid = api.submit('16:05:00 +50:00:00', name=unique('Cli timeout'))
    now = [0.0]
    monkeypatch.setattr(loop, 'clock', lambda: now[0])
    monkeypatch.setattr(loop, 'sleep', lambda s: now.__setitem__(0, now[0] + s))
    result = cli('wait', str(rid), '--timeout', '5', '--poll', '2')
    assert result.status == 1
    assert f'R{rid}: Waiting (still waiting)' in result.err


@pytest.mark.parametrize('argv, message', [
    (['wait', 'J5'], "'J5' is a job id"),
    (['wait', 'R5', '--poll', '0'], '--poll must be a number of seconds above 0'),
    (['wait', 'R5', '--timeout', '-2'], '--timeout must be'),
    (['wait', 'R5', '--notify', '"unclosed'], '--notify'),
    (['wait', 'R5', '--notify', ''], '--notify: the command is empty'),
])
def test_wait_refuses_bad_input_before_login(cli, simulator, argv, message):
    result = cli(*argv)
    assert result.status == 2, result.err
    assert message in result.err
    assert simulator.counters.total() == 0


# --- sync ----------------------------------------------------------------------------

def test_sync_prints_the_manifest_then_nothing_new(cli, as_alice, simulator, tmp_path):
    first = cli('sync', str(tmp_path / 'm'), '--format', 'json')
    assert first.status == 0, first.err
    assert {row['status'] for row in first.json()} == {'NEW'}
    assert 'NEW, 0 UNCHANGED, 0 REFETCHED, 0 ERROR' in first.err
    quiet = cli('-q', 'sync', str(tmp_path / 'm'))
    assert quiet.status == 0 and quiet.out == '' and quiet.err == ''


def test_sync_exits_1_on_any_error_even_quiet(cli, as_alice, simulator, tmp_path):
    simulator.faults.add('http_500', endpoint='v3image-download.php', count=None)
    result = cli('-q', 'sync', str(tmp_path / 'm'))
    assert result.status == 1 and result.out == ''
    assert result.err.count('\n') >= 1 and result.err.startswith('J')


def test_sync_exits_1_while_another_run_holds_the_lock(cli, as_alice, simulator, tmp_path):
    import os
    from telescope_query.sync.lock import LOCK_NAME
    folder = tmp_path / 'm'
    folder.mkdir()
    (folder / LOCK_NAME).write_text(f'{os.getpid()} {os.uname().nodename} now\n')
    result = cli('-q', 'sync', str(folder))
    assert result.status == 1 and 'another sync' in result.err


@pytest.mark.parametrize('argv, message', [
    (['sync', 'm', '--layout', '{object}'], 'layout must be'),
    (['sync', 'm', '--since', 'soon'], '--since must be'),
])
def test_sync_refuses_bad_input_before_login(cli, simulator, argv, message):
    result = cli(*argv)
    assert result.status == 2 and message in result.err
    assert simulator.counters.total() == 0


@pytest.mark.parametrize('command', ['observable', 'wait', 'sync'])
def test_the_loop_commands_are_listed_with_examples(cli, command):
    assert f'\n    {command}' in cli('--help').out
    result = cli(command, '--help')
    assert result.status == 0
    assert 'example' in result.out and f'telescope-query {command}' in result.out
