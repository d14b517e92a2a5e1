"""The ``telescope-query`` command line, against the simulator over loopback HTTP.

Commands run in-process through ``cli.main`` (fast, output captured); a few
run as real processes to check the entry points and Ctrl-C. Every test has its
own keyring (in memory), astropy cache and home folder: the machine's are never
touched.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import astropy.units as u
import pytest
from astropy.io import fits
from astropy.table import Table

import telescope_query
from telescope_query import TelescopeClass
from telescope_query.cli import main
from telescope_query.cli.output import format_table, table_records
from telescope_query.credentials import KEYRING_SERVICE

from helpers import PASSWORDS, SUBMIT
from keyring_stub import keyring_in_use

SECRET = PASSWORDS['demo']

@pytest.fixture
def api(telescope):
    """The public API as the reference the command line must agree with."""
    return telescope


# ------------------------------------------------------------------ usage (exit 2)

def test_version(cli):
    result = cli('--version')
    assert result.status == 0
    assert result.out.strip() == f'telescope-query {telescope_query.__version__}'


def test_help_lists_every_command_with_examples(cli):
    result = cli('--help')
    assert result.status == 0
    for command in ('login', 'folders', 'requests', 'jobs', 'show', 'download', 'submit',
                    'submit-missing', 'simulate', 'demo'):
        assert f'\n    {command}' in result.out
        assert f'telescope-query {command}' in result.out    # an example in the epilog
    assert 'Exit status: 0 success, 1 a failed operation, 2 wrong usage' in result.out


@pytest.mark.parametrize('command', ['requests', 'jobs', 'download', 'submit', 'simulate'])
def test_command_help_has_examples(cli, command):
    result = cli(command, '--help')
    assert result.status == 0
    assert 'example' in result.out and f'telescope-query {command}' in result.out


@pytest.mark.parametrize('argv, message', [
    ([], 'the following arguments are required: COMMAND'),
    (['frobnicate'], "invalid choice: 'frobnicate'"),
    (['folders', '--format', 'xml'], "invalid choice: 'xml'"),
    (['download', 'R706248'], "'R706248' is a request id"),
    (['download', 'J12x'], "JOB_ID must be an integer id (like 418581), got 'J12x'"),
    (['show', '418581'], 'say R418581 for a request or J418581 for a job'),
    (['show', 'J5', '--request'], "'J5' contradicts --request"),
    (['submit', '20:00:00 +40:00:00', '--exposure', '-5'], '--exposure: exposure must be'),
    (['submit', '20:00:00 +40:00:00', '--exposure', 'long'], "'long' is not a number"),
    (['requests', '--limit', '0'], 'must be at least 1, got 0'),
    (['--server', 'localhost', 'folders'], "--server must be an http:// or https:// URL"),
    (['login', '--password-s'], 'unrecognized arguments: --password-s'),
])
def test_wrong_usage_exits_2_with_one_message(cli, simulator, argv, message):
    result = cli(*argv)
    assert result.status == 2
    assert message in result.err
    assert 'Traceback' not in result.err
    assert result.out == ''
    assert simulator.counters.total() == 0          # nothing was sent


@pytest.mark.parametrize('argv', [['login', '--password', 'hunter2'],
                                  ['folders', '--passwd=hunter2'],
                                  ['--password', 'hunter2', 'requests']])
def test_a_password_on_the_command_line_is_refused_unechoed(cli, simulator, argv):
    result = cli(*argv)
    assert result.status == 2
    assert 'a password is never taken from the command line' in result.err
    assert 'hunter2' not in result.err + result.out
    assert simulator.counters.total() == 0


def test_common_options_go_before_or_after_the_command(cli, as_demo, simulator):
    before = cli('--server', simulator.url, '-q', 'folders', '--format', 'json')
    after = cli('folders', '--format', 'json', '-q', '--server', simulator.url)
    assert before.status == after.status == 0
    assert before.json() == after.json()


def test_server_option_points_at_another_server(cli, simulator_factory, monkeypatch):
    other = simulator_factory(accounts={'carol': 'Carol-pw-1'}, requests=7)
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'carol')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', 'Carol-pw-1')
    result = cli('--server', other.url, 'requests', '--format', 'json')
    assert result.status == 0, result.err
    assert len(result.json()) == 7
    assert os.environ['TELESCOPE_QUERY_SERVER'] != other.url   # restored afterwards


# ------------------------------------------------------------------ listings

def test_folders_table_and_formats(cli, as_demo, api):
    expected = api.get_folders()
    table = cli('folders')
    assert table.status == 0
    lines = table.out.splitlines()
    assert lines[0].split() == ['folder_id', 'name', 'count', 'created']
    assert set(lines[1]) == {'-', ' '}            # no units line: folders have none
    assert len(lines) == len(expected) + 2
    for row, line in zip(expected, lines[2:]):
        assert line.split()[:2] == [str(row['folder_id']), row['name']]
    records = cli('folders', '--format', 'json').json()
    assert [r['name'] for r in records] == list(expected['name'])
    assert [r['count'] for r in records] == [None if c is None else int(c)
                                             for c in expected['count'].tolist()]
    csv = Table.read(cli('folders', '--format', 'csv').out, format='ascii.csv')
    assert list(csv['folder_id']) == list(expected['folder_id'])


def test_requests_lists_the_whole_inbox(cli, as_demo, api):
    inbox = api.get_requests()
    result = cli('requests', '--format', 'csv')
    assert result.status == 0
    table = Table.read(result.out, format='ascii.csv')
    assert len(table) == len(inbox) > 100
    assert list(table['rid']) == list(inbox['rid'])
    # Coordinates become ra/dec degrees, times ISO 8601, for scripts.
    assert {'ra', 'dec', 'requested'} <= set(table.colnames)
    assert 'T' in str(table['requested'][0])


def test_requests_aligned_table_has_every_row(cli, as_demo, api):
    inbox = api.get_requests()
    result = cli('requests')
    lines = result.out.splitlines()
    assert len(lines) == len(inbox) + 2          # names, dashes, rows (no unit line)
    assert lines[0].split()[:3] == ['rid', 'object_name', 'status']
    assert str(inbox['rid'][-1]) == lines[-1].split()[0]


def test_requests_filters_and_sort(cli, as_demo, api):
    queued = cli('requests', '--status', 'queued', '--format', 'json').json()
    assert queued and all(r['status'] < 8 for r in queued)
    assert len(queued) == sum(1 for s in api.get_requests()['status'] if s < 8)
    by_completion = cli('requests', '--status', 'complete', '--sort', 'completion',
                        '--limit', '5', '--details', '--format', 'json').json()
    assert len(by_completion) == 5
    assert all(r['completed'] and r['jid'] and r['exposure'] for r in by_completion)
    done = [r['completed'] for r in by_completion]
    assert done == sorted(done, reverse=True)       # the newest completions, first
    everything = api.get_requests(status='complete', sort='completion', details=True)
    assert [r['rid'] for r in by_completion] == list(everything['rid'][:5])
    archive = cli('requests', '--folder', 'Archive', '--format', 'json').json()
    assert len(archive) == len(api.get_requests('Archive'))


def test_requests_by_object(cli, as_demo, api):
    name = str(api.get_requests(status='complete')['object_name'][0])
    result = cli('requests', '--object', name.lower(), '--format', 'json')
    assert result.status == 0
    records = result.json()
    assert records and {r['object_name'] for r in records} == {name}
    assert all(r['jid'] for r in records if r['status'] == 8)


@pytest.mark.parametrize('argv, message', [
    (['requests', '--folder', 'Nowhere'], "no folder 'Nowhere'"),
    (['requests', '--status', 'sleepy'], "status must be a status code"),
    (['requests', '--object', 'M 31', '--folder', 'Archive'], 'drop --folder'),
    (['jobs', '--since', 'yesterday-ish'], '--since must be an astropy Time'),
    (['jobs', '--since', '2024-11-18', '--until', '2024-11-17'],
     '--since must be before --until'),
    (['jobs', '--telescope', 'Hubble'], 'telescope'),
])
def test_refused_arguments_exit_2(cli, as_demo, argv, message):
    result = cli(*argv)
    assert result.status == 2
    assert message in result.err
    assert result.err.count('\n') == 1 and result.out == ''


def test_jobs_agree_with_the_api(cli, as_demo, api):
    expected = api.query_jobs('2000-01-01', None)
    result = cli('jobs', '--since', '2000-01-01', '--format', 'json')
    assert result.status == 0
    assert [r['jid'] for r in result.json()] == list(expected['jid'])


def test_jobs_with_details_and_telescope(cli, as_demo, api):
    result = cli('jobs', '--since', '2000-01-01', '--telescope', 'PIRATE', '--details',
                 '--format', 'json')
    assert result.status == 0
    records = result.json()
    # Job views say Galaxy for COAST and PIRATE alike [seen]; the search's rows name it.
    assert records and {r['telescope_type'] for r in records} == {'Galaxy'}
    assert {r['telescope'] for r in records} == {'PIRATE'}
    assert [r['jid'] for r in records] == list(api.query_jobs('2000-01-01',
                                                              telescope='PIRATE')['jid'])
    assert all(r['completed'] for r in records)


def test_show_request_and_job(cli, as_demo, api):
    done = api.get_requests(status='complete')
    rid = int(done['rid'][0])
    jid = int(api.get_request_details(rid)['jid'][0])
    result = cli('show', f'R{rid}', f'J{jid}')
    assert result.status == 0
    assert f'Request R{rid}\n' in result.out and f'Job J{jid}\n' in result.out
    fields = dict(line.strip().split(': ', 1) for line in result.out.splitlines()
                  if ': ' in line)
    assert fields['jid'] == str(jid)
    assert fields['status_text'] == 'Complete'
    records = cli('show', '--request', str(rid), '--format', 'json').json()
    assert records[0]['rid'] == rid and records[0]['jid'] == jid


def test_show_mixed_kinds_need_the_table_format(cli, as_demo):
    result = cli('show', 'R1', 'J1', '--format', 'csv')
    assert result.status == 2
    assert 'ids of one kind' in result.err


@pytest.fixture
def done(api):
    """Two completed requests of the demo account, with their jobs."""
    return api.get_request_details(api.get_requests(status='complete')['rid'][:2])


def test_show_keeps_the_order_given(cli, as_demo, done):
    (rid, jid), (other, _) = done['rid', 'jid']
    result = cli('show', f'J{jid}', f'R{rid}', f'R{other}')
    assert result.status == 0, result.err
    titles = [line for line in result.out.splitlines() if line.startswith(('Job ', 'Request '))]
    assert titles == [f'Job J{jid}', f'Request R{rid}', f'Request R{other}']
    records = cli('show', f'R{other}', f'R{rid}', '--format', 'json').json()
    assert [r['rid'] for r in records] == [other, rid]


@pytest.mark.parametrize('output', ['table', 'json'])
def test_show_prints_the_good_ids_and_names_the_bad_one(cli, as_demo, done, output,
                                                        simulator):
    rid, other = (int(r) for r in done['rid'])
    result = cli('show', f'R{rid}', 'R999999999', f'R{other}', '--format', output)
    assert result.status == 1
    if output == 'json':
        assert [r['rid'] for r in result.json()] == [rid, other]
    else:
        assert result.out.index(f'Request R{rid}\n') < result.out.index(f'Request R{other}\n')
    assert 'R999999999' not in result.out
    assert result.err == ("R999999999: No request R999999999 in the account of 'demo' "
                          f"on {simulator.url}.\n")


def test_details_says_how_many_views_before_opening_them(cli, as_demo, simulator, api):
    count = len(api.query_jobs('2000-01-01'))
    simulator.faults.add('http_500', endpoint='v4request-view.php', count=None)
    result = cli('jobs', '--since', '2000-01-01', '--details')
    assert result.status == 1                          # the views fail...
    assert (f'--details opens the view of each of the {count} jobs: up to {count} '
            f'pages') in result.err                    # ...after it was said
    quiet = cli('-q', 'requests', '--status', 'queued', '--details', '--format', 'csv')
    assert quiet.status == 1 and '--details' not in quiet.err


def test_details_of_one_object_opens_every_view(cli, as_demo, api):
    name = str(api.get_requests(status='queued')['object_name'][0])
    plain = cli('requests', '--object', name, '--format', 'json')
    detailed = cli('requests', '--object', name, '--details', '--format', 'json')
    assert plain.status == detailed.status == 0
    assert [r['rid'] for r in plain.json()] == [r['rid'] for r in detailed.json()]
    assert any(r['status'] < 8 and r['telescope'] is None for r in plain.json())
    assert all(r['telescope'] in ('COAST', 'PIRATE') for r in detailed.json())
    assert f"each of the {len(plain.json())} requests" in detailed.err


# ------------------------------------------------------------------ failures (exit 1)

def test_missing_request_is_one_line_on_stderr(cli, as_demo, simulator):
    result = cli('show', 'R999999999')
    assert result.status == 1
    assert result.out == ''
    assert result.err == ("R999999999: No request R999999999 in the account of 'demo' "
                          f"on {simulator.url}.\n")


def test_verbose_adds_the_traceback(cli, as_demo):
    result = cli('-v', 'show', 'J999999999')
    assert result.status == 1
    assert 'Traceback (most recent call last)' in result.err
    assert result.err.rstrip().splitlines()[-1].startswith('J999999999: No job J999999999')


def test_verbose_says_who_logged_in_and_quiet_says_nothing(cli, as_demo, simulator):
    loud = cli('-v', 'folders', '--format', 'csv')
    assert loud.status == 0
    assert f'Logged in as demo on {simulator.url}' in loud.err
    quiet = cli('-q', 'folders', '--format', 'csv')
    assert quiet.status == 0 and quiet.err == ''
    assert quiet.out == loud.out


def test_no_password_and_no_terminal_is_a_clear_error(cli, monkeypatch):
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'demo')
    result = cli('folders')
    assert result.status == 1
    assert "No password for user 'demo'" in result.err
    assert 'no prompt' in result.err
    assert result.out == ''


@pytest.fixture
def no_keyring_backend(memory_keyring, monkeypatch):
    """A machine without a keyring: keyring's own failing backend (after the
    ``cli`` fixture's in-memory one, restored before it)."""
    from keyring.backends import fail
    from telescope_query import credentials
    monkeypatch.setattr(credentials, '_KEYRING_WARNED', False)
    with keyring_in_use(fail.Keyring()):
        yield


def test_no_keyring_backend_and_a_password_in_the_environment_is_silent(
        cli, no_keyring_backend, as_demo):
    # A cron job: success prints its result and nothing on stderr.
    result = cli('folders', '--format', 'csv')
    assert result.status == 0
    assert result.err == ''
    assert result.out.splitlines()[1].split(',')[1] == 'Inbox'


def test_no_keyring_backend_and_no_password_is_one_line(cli, no_keyring_backend,
                                                        monkeypatch):
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'demo')
    result = cli('folders')
    assert result.status == 1
    assert result.out == ''
    assert result.err.count('\n') == 1
    assert result.err.startswith("telescope-query folders: error: No password for "
                                 "user 'demo'")
    assert 'keyring' in result.err and 'unavailable' in result.err


def test_server_down_is_a_failure(cli, as_demo):
    result = cli('--server', 'http://127.0.0.1:9/', 'folders')
    assert result.status == 1
    assert 'no answer from http://127.0.0.1:9/' in result.err


# ------------------------------------------------------------------ login

def test_login_stores_the_password_and_later_commands_use_it(cli, memory_keyring):
    result = cli('login', '--user', 'demo', '--password-stdin', stdin=SECRET + '\n')
    assert result.status == 0, result.err
    assert memory_keyring.passwords == {(KEYRING_SERVICE, 'demo'): SECRET}
    assert 'stored in the keyring' in result.err
    assert SECRET + '\n' not in result.err + result.out
    listing = cli('--user', 'demo', 'folders', '--format', 'json')
    assert listing.status == 0
    assert listing.json()[0]['name'] == 'Inbox'


def test_login_with_a_wrong_password_stores_nothing(cli, memory_keyring):
    wrong = 'not-the-Password-77'
    result = cli('login', '--user', 'demo', '--password-stdin', stdin=wrong + '\n')
    assert result.status == 1
    assert "as 'demo' failed" in result.err
    assert wrong not in result.err + result.out
    assert memory_keyring.passwords == {}


def test_login_never_prompts_without_a_terminal(cli, memory_keyring):
    result = cli('login', '--user', 'demo', stdin=SECRET + '\n')
    assert result.status == 2
    assert '--password-stdin' in result.err
    assert memory_keyring.passwords == {}


def test_login_needs_a_user_name(cli):
    result = cli('login', '--password-stdin', stdin=SECRET + '\n')
    assert result.status == 2
    assert 'give --user NAME' in result.err


@pytest.mark.parametrize('backend', ['fail', 'null'])
def test_login_without_a_keyring_says_how_to_go_on(cli, simulator, monkeypatch, backend):
    from keyring.backends import fail, null
    ring = {'fail': fail.Keyring, 'null': null.Keyring}[backend]()
    with keyring_in_use(ring):
        result = cli('login', '--user', 'demo', '--password-stdin', stdin=SECRET + '\n')
    assert result.status == 1
    assert f'(keyring.backends.{backend}.Keyring)' in result.err
    for command in (f'{sys.executable} -m pip install keyrings.alt',
                    'telescope-query login --user demo',
                    'export TELESCOPE_QUERY_USER=demo',
                    'read -rs TELESCOPE_QUERY_PASSWORD && export TELESCOPE_QUERY_PASSWORD'):
        assert f'\n    {command}' in result.err, command
    assert simulator.counters.total() == 0           # said before asking, nothing sent
    assert sys.stdin.read() == SECRET + '\n'         # the password was not even read


def test_logout_forgets_the_stored_password(cli, memory_keyring, simulator):
    memory_keyring.passwords[(KEYRING_SERVICE, 'demo')] = SECRET
    memory_keyring.passwords[(KEYRING_SERVICE, 'alice')] = 'other'
    result = cli('logout', '--user', 'demo')
    assert result.status == 0, result.err
    assert result.err == ("Forgot the password of demo: it is no longer in the keyring "
                          "(service 'astroquery:telescope.org').\n")
    assert memory_keyring.passwords == {(KEYRING_SERVICE, 'alice'): 'other'}
    again = cli('logout', '--user', 'demo')
    assert again.status == 0
    assert 'No password of demo is stored in the keyring' in again.err
    assert cli('-q', 'logout', '--user', 'alice').err == ''
    assert memory_keyring.passwords == {}
    assert simulator.counters.total() == 0


def test_logout_says_which_other_password_still_counts(cli, memory_keyring, monkeypatch,
                                                      tmp_path):
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'demo')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', SECRET)
    config = tmp_path / 'home' / '.config' / 'telescope.ini'
    config.parent.mkdir(parents=True)
    config.write_text('[telescope.org]\nuser = demo\npassword = demo\n')
    config.chmod(0o600)
    result = cli('logout')
    assert result.status == 0
    assert 'TELESCOPE_QUERY_PASSWORD is still set' in result.err
    assert '~/.config/telescope.ini still holds a password for demo' in result.err


def test_logout_without_a_keyring(cli, no_keyring_backend):
    result = cli('logout', '--user', 'demo')
    assert result.status == 0
    assert 'This machine has no keyring (keyring.backends.fail.Keyring)' in result.err


def test_login_prompts_in_a_terminal(cli, memory_keyring, monkeypatch, simulator):
    typed = []
    monkeypatch.setattr('telescope_query.credentials.interactive', lambda: True)
    monkeypatch.setattr('getpass.getpass', lambda prompt: typed.append(prompt) or SECRET)
    result = cli('login', '--user', 'demo')
    assert result.status == 0, result.err
    assert typed == [f'Password of demo on {simulator.url}: ']     # not "telescope.org"
    assert memory_keyring.passwords[(KEYRING_SERVICE, 'demo')] == SECRET


# ------------------------------------------------------------------ submission

def test_submit_dry_run_sends_nothing(cli, simulator):
    result = cli('submit', '20:42:59.6 +43:35:10', '--exposure', '90', '--telescope',
                 'PIRATE', '--filter', 'BVR', '--name', 'V1500 Cyg', '--dry-run',
                 '--format', 'json')
    assert result.status == 0, result.err
    payload = result.json()[0]
    assert payload['objectid'] == '20:42:59.60 +43:35:10.00'
    assert payload['exposuretime'] == 90000
    assert payload['filtertype'] == 'Colour'          # translated for PIRATE
    assert payload['objectname'] == 'V1500 Cyg'
    assert 'nothing was sent' in result.err
    assert simulator.counters.total() == 0


def test_submit_puts_a_request_in_the_queue(cli, as_demo, api):
    result = cli('submit', '21:10:00 +47:00:00', '--exposure', '45', '--name',
                 'CLI submit test', '--comment', 'from test_cli', '--format', 'json')
    assert result.status == 0, result.err
    rid = result.json()[0]['rid']
    assert f'Submitted request R{rid}' in result.err
    queued = api.get_requests(status='queued')
    assert list(queued[queued['rid'] == rid]['object_name']) == ['CLI submit test']
    assert api.get_request_details(rid)['exposure'][0] == 45


def test_submit_bad_filter_is_usage_and_sends_nothing(cli, as_demo, simulator):
    result = cli('submit', '21:10:00 +47:00:00', '--telescope', 'COAST', '--filter', 'Hα')
    assert result.status == 2
    assert 'filter' in result.err
    assert simulator.counters['api-user.php/request-constructor/0-rb-submit'] == 0


def _targets_file(path: Path, rows: list[tuple[str, str]]) -> Path:
    Table(rows=rows, names=['target', 'name']).write(path, format='ascii.csv')
    return path


def test_submit_missing_from_csv(cli, as_demo, api, tmp_path):
    targets = _targets_file(tmp_path / 'targets.csv', [
        ('19:50:00 +32:54:00', 'CLI missing A'), ('20:10:00 +38:00:00', 'CLI missing B')])
    dry = cli('submit-missing', str(targets), '--dry-run', '--format', 'json')
    assert dry.status == 0, dry.err
    assert [r['action'] for r in dry.json()] == ['would submit'] * 2
    first = cli('submit-missing', str(targets), '--exposure', '30', '--format', 'json')
    assert first.status == 0, first.err
    rids = [r['rid'] for r in first.json()]
    assert [r['action'] for r in first.json()] == ['submitted'] * 2 and all(rids)
    again = cli('submit-missing', str(targets), '--format', 'json')
    assert [r['action'] for r in again.json()] == ['queued'] * 2
    assert [r['rid'] for r in again.json()] == rids


def test_submit_missing_reports_failures_with_status_1(cli, as_demo, tmp_path):
    targets = tmp_path / 'targets.ecsv'
    Table(rows=[('20:20:00 +40:00:00', 'CLI ok'), ('12:00:00 -85:00:00', 'CLI south')],
          names=['target', 'name']).write(targets, format='ascii.ecsv')
    result = cli('submit-missing', str(targets), '--format', 'csv')
    assert result.status == 1
    table = Table.read(result.out, format='ascii.csv')
    assert list(table['action']) == ['submitted', 'failed']
    assert result.err.splitlines()[-1].startswith('12:00:00 -85:00:00:')


def test_submit_missing_reports_an_ambiguous_row_with_status_1(cli, as_demo, simulator,
                                                                 tmp_path):
    # A gateway error on the final call: not sent again, and the exit status says
    # that a row needs looking at, as for a failed one.
    name = f'CLI gateway {id(tmp_path) % 10000}'
    targets = tmp_path / 'gateway.csv'
    targets.write_text(f'target,name\n19:05:00 +33:00:00,{name}\n')
    simulator.faults.add('http_error', endpoint=SUBMIT, status=503, count=1)
    try:
        result = cli('submit-missing', str(targets), '--format', 'json')
    finally:
        simulator.faults.clear()
    assert result.status == 1
    assert [row['action'] for row in result.json()] == ['ambiguous']
    assert result.err.splitlines()[-1].startswith('19:05:00 +33:00:00: the request for')
    assert not [r for r in simulator.archive.requests('demo') if r.object_name == name]


def test_submit_missing_honours_every_column_of_a_csv(cli, as_demo, simulator, tmp_path):
    # The front door's case: PIRATE/Colour and a name, submitted as asked.
    targets = tmp_path / 'every.csv'
    targets.write_text('Target,Name,TELESCOPE,Filter,exposure,Comment,dark_frame\n'
                       '18:40:00 +33:00:00,CLI pirate row,PIRATE,Colour,45,first,no\n'
                       '18:50:00 +33:00:00,CLI coast row,,,,,\n')
    result = cli('submit-missing', str(targets), '--exposure', '20', '--filter', 'R',
                 '--no-dark-frame', '--format', 'json')
    assert result.status == 0, result.err
    rows = result.json()
    assert [r['action'] for r in rows] == ['submitted'] * 2
    got = [simulator.archive.request('demo', int(r['rid'])) for r in rows]
    assert [(r.object_name, r.telescope_id, r.filter_type, r.exposure_ms, r.comments,
             r.dark_frame) for r in got] == [
        ('CLI pirate row', 7, 'Colour', 45000, 'first', False),
        ('CLI coast row', 6, 'R', 20000, '', False)]


def test_submit_missing_keeps_a_csv_cell_as_written(cli, as_demo, simulator, tmp_path):
    # A CSV has no types: '0042' is a name, not the number 42.
    name = f'0042{id(tmp_path) % 10000:04d}'
    targets = tmp_path / 'digits.csv'
    targets.write_text(f'target,name,comment,exposure\n18:58:00 +33:00:00,{name},007,1.50\n')
    result = cli('submit-missing', str(targets), '--format', 'json')
    assert result.status == 0, result.err
    request = simulator.archive.request('demo', int(result.json()[0]['rid']))
    assert (request.object_name, request.comments, request.exposure_ms) == (name, '007', 1500)


def test_submit_missing_reads_a_csv_saved_by_a_spreadsheet(cli, as_demo, simulator, tmp_path):
    # Spreadsheets save UTF-8 CSVs with a byte order mark before the header.
    name = f'Spreadsheet row {id(tmp_path) % 10000}'
    targets = tmp_path / 'excel.csv'
    targets.write_bytes(f'target,name\r\n18:59:00 +33:00:00,{name}\r\n'.encode('utf-8-sig'))
    result = cli('submit-missing', str(targets), '--format', 'json')
    assert result.status == 0, result.err
    assert simulator.archive.request('demo', int(result.json()[0]['rid'])).object_name == name


def test_submit_missing_ignores_empty_columns_without_a_header(cli, as_demo, simulator,
                                                               tmp_path):
    # Trailing commas, as spreadsheets write them: columns with neither a name nor
    # a value hold no setting. A named empty column is still refused.
    name = f'Trailing commas {id(tmp_path) % 10000}'
    targets = tmp_path / 'commas.csv'
    targets.write_text(f'target,name,,\n19:01:00 +33:00:00,{name},,\n')
    result = cli('submit-missing', str(targets), '--format', 'json')
    assert result.status == 0, result.err
    assert simulator.archive.request('demo', int(result.json()[0]['rid'])).object_name == name
    targets.write_text('target,name,,priority\n19:02:00 +33:00:00,x,,\n')
    result = cli('submit-missing', str(targets))
    assert result.status == 2 and "'priority'" in result.err


def test_submit_missing_refuses_an_unknown_column_before_sending(cli, as_demo, simulator,
                                                                 tmp_path):
    targets = tmp_path / 'unknown.csv'
    targets.write_text('target,name,priority\n18:55:00 +33:00:00,CLI unknown,high\n')
    simulator.counters.reset()
    result = cli('submit-missing', str(targets))
    assert result.status == 2
    assert "'priority'" in result.err and 'dark_frame' in result.err
    assert simulator.counters.total() == 0              # not even a login
    assert not [r for r in simulator.archive.requests('demo') if r.object_name == 'CLI unknown']


def test_submit_missing_needs_a_readable_file(cli, as_demo, tmp_path):
    assert cli('submit-missing', str(tmp_path / 'none.csv')).status == 1
    empty = tmp_path / 'empty.csv'
    empty.write_text('target,name\n')
    result = cli('submit-missing', str(empty))
    assert result.status == 2 and 'the table has no targets' in result.err
    garbage = tmp_path / 'garbage.ecsv'
    garbage.write_text('# %ECSV 1.0\n# ---\n# datatype: [oops\n')
    result = cli('submit-missing', str(garbage))
    assert result.status == 2 and 'cannot read it as a CSV or ECSV table' in result.err


# ------------------------------------------------------------------ formats

def test_ecsv_round_trips(cli, as_demo, api):
    result = cli('requests', '--limit', '10', '--format', 'ecsv')
    table = Table.read(result.out, format='ascii.ecsv')
    expected = api.get_requests()[:10]
    assert list(table['rid']) == list(expected['rid'])
    assert table.colnames == expected.colnames
    assert (table['coord'].separation(expected['coord']) < 1 * u.mas)[
        np.isfinite(expected['coord'].ra.deg)].all()
    assert (abs(table['requested'] - expected['requested']) < 1 * u.ms).all()


def test_json_records_are_plain_values():
    from astropy.coordinates import SkyCoord
    from astropy.table import MaskedColumn
    from astropy.time import Time

    table = Table({'rid': [1, 2], 'exposure': [60, 90] * u.s,
                   'completed': Time(['2024-11-18T05:41:09.4', '2024-11-19T00:00:00']),
                   'coord': SkyCoord([10.5, 20], [-30, 40.25], unit='deg'),
                   'jid': MaskedColumn([7, 0], mask=[False, True])})
    assert table_records(table) == [
        {'rid': 1, 'exposure': 60.0, 'completed': '2024-11-18T05:41:09', 'ra': 10.5,
         'dec': -30.0, 'jid': 7},
        {'rid': 2, 'exposure': 90.0, 'completed': '2024-11-19T00:00:00', 'ra': 20.0,
         'dec': 40.25, 'jid': None}]
    text = format_table(table)
    assert '00:42:00.0 -30:00:00' in text and '2024-11-18 05:41:09' in text
    assert format_table(table[:0]) == '(no rows)\n'


# ------------------------------------------------------------------ real processes

def _run(*argv: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-m', 'telescope_query', *argv],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, **kwargs)


def test_console_script_is_declared():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group='console_scripts')
                 if e.name == 'telescope-query']
    assert script.value == 'telescope_query.cli:main'
    assert script.load() is main


def test_python_m_entry_point_and_usage_status():
    assert _run('--version').stdout.strip() == f'telescope-query {telescope_query.__version__}'
    wrong = _run('requests', '--sort', 'size')
    assert wrong.returncode == 2
    assert "invalid choice: 'size'" in wrong.stderr


def test_simulate_serves_until_ctrl_c(tmp_path, monkeypatch):
    process = subprocess.Popen(
        [sys.executable, '-m', 'telescope_query', 'simulate', '--port', '0', '-q',
         '--accounts', 'carol:Carol-pw-1', '--requests', '12', '--size', '16'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        assert url.startswith('http://127.0.0.1:') and url.endswith('/')
        client = TelescopeClass()
        client.cache_location = tmp_path
        monkeypatch.setenv('TELESCOPE_QUERY_SERVER', url)
        client.login('carol', password='Carol-pw-1')
        assert len(client.get_requests()) == 12
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        err = process.stderr.read()
        assert f'--server {url}' in err and 'Stopped.' in err
        assert 'POST' not in err                # -q: no log line per request
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# ------------------------------------------------------------------ downloads

@pytest.fixture
def own_jids(api):
    """Two job ids of the demo account's completed requests."""
    done = api.get_requests(status='complete')
    return [int(j) for j in api.get_request_details(done['rid'][:2])['jid']]


def test_download_cube_then_cached(cli, as_demo, own_jids, tmp_path):
    jid = own_jids[0]
    result = cli('download', f'J{jid}', '--dir', 'images', '--format', 'json')
    assert result.status == 0, result.err
    (row,) = result.json()
    assert row['jid'] == jid and row['status'] == 'COMPLETE' and row['product'] == 'cube'
    path = tmp_path / 'images' / f'{jid}.fits'
    assert Path(row['local_path']).resolve() == path.resolve()
    assert row['size'] == path.stat().st_size
    assert 'Downloading the cube of 1 job into images' in result.err
    with fits.open(path) as hdul:
        assert hdul[0].data.ndim == 3
    again = cli('download', str(jid), '--dir', 'images', '--format', 'json')
    assert again.json()[0]['status'] == 'CACHED'


def test_download_zip_and_processed(cli, as_demo, own_jids, tmp_path):
    result = cli('download', *map(str, own_jids), '--zip', '--processed', '--dir', 'z',
                 '-q', '--format', 'csv')
    assert result.status == 0, result.err
    assert result.err == ''                                     # --quiet
    manifest = Table.read(result.out, format='ascii.csv')
    assert list(manifest['jid']) == own_jids
    assert set(manifest['status']) == {'COMPLETE'}
    assert set(manifest['product']) == {'processed zip'}
    for jid in own_jids:
        assert (tmp_path / 'z' / f'art_{jid}.zip').is_file()


def test_download_failure_names_the_job_and_exits_1(cli, as_demo, own_jids, tmp_path):
    result = cli('download', f'J{own_jids[0]}', 'J999999999', '--dir', 'd')
    assert result.status == 1
    lines = result.out.splitlines()
    assert any(line.split()[:1] == [str(own_jids[0])] and 'COMPLETE' in line
               for line in lines)
    assert any(line.split()[:1] == ['999999999'] and 'ERROR' in line for line in lines)
    assert result.err.splitlines()[-1].startswith('J999999999: ')
    assert (tmp_path / 'd' / f'{own_jids[0]}.fits').is_file()


def test_requests_details_join_the_views(cli, as_demo, api):
    result = cli('requests', '--status', 'queued', '--details', '--format', 'json')
    assert result.status == 0, result.err
    records = result.json()
    assert records and all(r['telescope'] in ('COAST', 'PIRATE') and r['exposure']
                           and r['jid'] is None for r in records)
    assert (f"--details opens the view of each of the {len(records)} requests: up to "
            f"{len(records)} pages" in result.err)


def test_download_flat_fielded(cli, as_demo, api, tmp_path):
    jid = int(api.get_requests(status='complete', details=True)['jid'][0])
    result = cli('download', f'J{jid}', '--flat', '--dir', str(tmp_path), '--format', 'json')
    assert result.status == 0, result.err
    row, = result.json()
    assert row['product'] == 'flat-fielded cube' and row['status'] == 'COMPLETE'
    assert (tmp_path / f'{jid}_flat.fits').is_file()
    assert 'flat-fielded cube' in result.err


def test_check_site_reports_every_fact(cli, as_demo, tmp_path):
    capture = tmp_path / 'site.json'
    result = cli('check-site', '--capture', str(capture), '--format', 'json')
    assert result.status == 0, result.err
    facts = {r['fact']: r['result'] for r in result.json()}
    assert facts['listing-keys'] == 'holds' and 'download-length' in facts
    assert 'facts hold, 0 differ' in result.err and str(capture) in result.err
    assert capture.is_file()


# ------------------------------------------------------------------ words

JARGON = re.compile(r"\b(?:ERR|OK)_[A-Z_]+\b|basket|view is empty|"
                    r"(?<!astroquery:)telescope\.org(?!/)", re.IGNORECASE)


@pytest.mark.parametrize('argv', [
    ['folders'], ['-v', 'requests', '--limit', '2', '--details'],
    ['jobs', '--since', '2000-01-01', '--details'], ['show', 'R706248', 'R999', 'J1'],
    ['download', 'J999999999'], ['submit', '20:00:00 +40:00:00', '--dry-run'],
    ['requests', '--folder', 'Nowhere'], ['logout'], ['--user', 'nobody', 'folders'],
    ['login', '--user', 'demo'], ['requests', '--sort', 'completion', '--details', '-q'],
], ids=' '.join)
def test_what_the_command_line_prints_has_no_jargon(cli, as_demo, argv):
    """No protocol tokens or internal words, and the server is not called
    "telescope.org" when it is the simulator (the keyring's service name aside)."""
    result = cli(*argv)
    assert not JARGON.findall(result.out + result.err), result.out + result.err


# --- frames ready for science: times --------------------------------------------------

def test_times_of_a_jobs_frames(cli, as_demo, api):
    jid = int(api.get_requests(status='complete', details=True)['jid'][0])
    result = cli('times', f'J{jid}', '--format', 'json')
    assert result.status == 0, result.err
    rows = result.json()
    frames = api.frame_times(jid)
    assert [r['filter'] for r in rows] == list(frames['filter'])
    assert [r['jid'] for r in rows] == [jid] * len(frames)
    assert [r['start'] for r in rows] == [t.isot for t in frames['start']]
    assert 'bjd_tdb' not in rows[0]
    with_bjd = cli('times', str(jid), '--target', '19:19:02.60 +41:06:34.24', '--format',
                   'csv')
    assert with_bjd.status == 0 and 'bjd_tdb' in with_bjd.out.splitlines()[0]
    bad = cli('times', str(jid), '--target', 'Vega')
    assert bad.status == 2 and '--target must be a SkyCoord or a coordinate string' in bad.err
    wrong_kind = cli('times', f'R{jid}')
    assert wrong_kind.status == 2 and 'R' in wrong_kind.err
