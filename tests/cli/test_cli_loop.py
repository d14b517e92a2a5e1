"""The observer's loop on the command line: observable (wait and sync follow)."""
from __future__ import annotations

import pytest

import test_cli

# The command line's fixtures (tests/cli/test_cli.py).
cli, memory_keyring, as_demo, api = (test_cli.cli, test_cli.memory_keyring, test_cli.as_demo,
                                  test_cli.api)


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


def test_submit_missing_with_a_cadence(cli, as_demo, api, simulator, tmp_path):
    from helpers import unique
    name = unique('Cli cadence')
    where = '08:10:00 +33:00:00'
    rid = api.submit(where, name=name)
    simulator.complete_queue('demo')
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
