"""Every option of every ``telescope-query`` command is checked before anything is sent.

A bad value exits with status 2 and one message naming the option, and the
simulator has received no call at all, not even the login, although the
environment holds a password that would log in. The table ``BAD`` has bad values
of every option that takes one; ``test_every_option_has_bad_values`` reads the
parser, so a new option without them fails.
"""
from __future__ import annotations

import argparse

import pytest

from telescope_query.cli import options
from telescope_query.cli.parser import COMMON_FLAGS, TAKES, build_parser

#: (argv, the option as named in the message, a piece of the message).
BAD = [
    # the shared options, on a command of each kind
    (['folders', '--server', 'localhost'], '--server', 'must be an http:// or https:// URL'),
    (['--server', 'ftp://127.0.0.1/', 'requests'], '--server', 'http:// or https://'),
    (['jobs', '--server', 'http://127.0.0.1:port/'], '--server', 'http:// or https://'),
    (['folders', '--user', ''], '--user', 'must not be empty'),
    (['--user', 'de\tmo', 'show', 'R1'], '--user', 'printable'),
    (['logout', '--user', ' '], '--user', 'must not be empty'),
    (['login', '--user', 'x' * 300, '--password-stdin'], '--user', 'at most 255'),
    (['login', '--server', 'http://'], '--server', 'http:// or https://'),
    # --format, on every command that prints a table
    *[([*argv, '--format', 'xml'], '--format', "invalid choice: 'xml'") for argv in (
        ['folders'], ['requests'], ['jobs'], ['show', 'R1'], ['download', 'J1'],
        ['submit', '20:00:00 +40:00:00'], ['submit-missing', 'targets.csv'],
        ['check-site'])],
    # requests
    (['requests', '--folder', '0'], '--folder', 'positive id'),
    (['requests', '--folder', '  '], '--folder', 'folder must be a folder name'),
    (['requests', '--status', 'sleepy'], '--status', 'status must be a status code'),
    (['requests', '--status', '99'], '--status', 'unknown code 99'),
    (['requests', '--object', ''], '--object', 'must not be empty'),
    (['requests', '--object', 'x' * 1001], '--object', 'at most 1000'),
    (['requests', '--object', 'M 31', '--folder', 'Archive'], '--object', 'drop --folder'),
    (['requests', '--sort', 'size'], '--sort', "invalid choice: 'size'"),
    (['requests', '--limit', '0'], '--limit', 'must be at least 1'),
    (['requests', '--limit', 'ten'], '--limit', "'ten' is not a whole number"),
    # jobs
    (['jobs', '--since', 'yesterday-ish'], '--since', 'ISO time string'),
    (['jobs', '--until', 'soon'], '--until', 'ISO time string'),
    (['jobs', '--since', '2024-11-18', '--until', '2024-11-17'], '--since',
     'must be before --until'),
    (['jobs', '--since', '2099-01-01'], '--since', 'must be before --until'),  # until: now
    (['jobs', '--telescope', 'Hubble'], '--telescope', 'must be'),
    (['jobs', '--telescope', '0'], '--telescope', 'must be'),
    (['jobs', '--filter', 'Hα'], '--filter', 'is not a filter'),
    (['jobs', '--telescope', 'COAST', '--filter', 'Luminous'], '--filter', 'of COAST'),
    # show
    (['show', 'J12x'], 'REQUEST_OR_JOB_ID', "integer id (like 418581), got 'J12x'"),
    (['show', 'R0'], 'REQUEST_OR_JOB_ID', 'positive'),
    (['show', 'R1', '418581'], 'REQUEST_OR_JOB_ID', 'say R418581 for a request'),
    (['show', 'J5', '--request'], 'REQUEST_OR_JOB_ID', "'J5' contradicts --request"),
    (['show', 'R' + '9' * 25], 'REQUEST_OR_JOB_ID', 'below 2**63'),
    (['show', 'R1', 'J1', '--format', 'csv'], '--format', 'ids of one kind'),
    # download
    (['download', 'R706248'], 'JOB_ID', "'R706248' is a request id"),
    (['download', 'J1', 'J12x'], 'JOB_ID', "got 'J12x'"),
    (['download', '-5'], 'JOB_ID', 'integer id'),
    (['download', 'J1', '--dir', 'a-file'], '--dir', "'a-file' is a file"),
    (['download', 'J1', '--dir', 'a-file/below'], '--dir', "'a-file' is a file"),
    (['download', 'J1', '--dir', ''], '--dir', 'must be a folder name'),
    (['download', 'J1', '--flat', '--processed'], '--flat', 'use one or the other'),
    # submit: TARGET and each option
    (['submit', '99:99:99 +99:99:99'], 'target', 'could not be read as coordinates'),
    (['submit', ' '], 'target', 'must not be empty'),
    (['submit', '12:00:00 -85:00:00'], 'target', 'never rises'),
    (['submit', '20:00:00 +40:00:00', '--exposure', '-5'], '--exposure', 'must be a time'),
    (['submit', '20:00:00 +40:00:00', '--exposure', '500'], '--exposure', 'too long'),
    (['submit', '20:00:00 +40:00:00', '--exposure', 'nan'], '--exposure', 'must be'),
    (['submit', '20:00:00 +40:00:00', '--exposure', 'long'], '--exposure',
     "'long' is not a number of seconds"),
    (['submit', '20:00:00 +40:00:00', '--telescope', 'Hubble'], '--telescope', 'must be'),
    (['submit', '20:00:00 +40:00:00', '--filter', 'Hα'], '--filter', 'is not a filter'),
    (['submit', '20:00:00 +40:00:00', '--name', ''], '--name', 'must not be empty'),
    (['submit', '20:00:00 +40:00:00', '--name', 'x' * 65], '--name', 'at most 64'),
    (['submit', '20:00:00 +40:00:00', '--comment', 'x' * 256], '--comment', 'at most 255'),
    (['submit', '20:00:00 +40:00:00', '--comment', 'a\x07b'], '--comment', 'printable'),
    # submit-missing: the defaults for every target
    (['submit-missing', 'targets.csv', '--exposure', '500'], '--exposure', 'too long'),
    (['submit-missing', 'targets.csv', '--exposure', '0'], '--exposure', 'must be'),
    (['submit-missing', 'targets.csv', '--telescope', 'Galaxy'], '--telescope',
     'takes no new requests'),
    (['submit-missing', 'targets.csv', '--filter', 'Hα'], '--filter', 'is not a filter'),
    (['submit-missing', 'targets.csv', '--min-interval', '-1'], '--min-interval',
     'a time span at least 0'),
    (['submit-missing', 'targets.csv', '--min-interval', 'week'], '--min-interval',
     "invalid float value: 'week'"),
    # the observer's loop
    (['observable', 'SS Cyg', '--days', '0'], '--days', 'above 0 and at most 366'),
    (['observable', 'SS Cyg', '--days', '400'], '--days', 'above 0 and at most 366'),
    (['observable', 'SS Cyg', '--days', 'x'], '--days', 'is not a number of days'),
    (['observable', 'SS Cyg', '--start', 'soon'], '--start', 'must be an astropy time'),
    (['observable', 'SS Cyg', '--telescope', 'Galaxy'], '--telescope',
     'takes no new requests'),
    (['observable', 'SS Cyg', '--format', 'xml'], '--format', "invalid choice: 'xml'"),
    (['wait', 'R1', '--format', 'xml'], '--format', "invalid choice: 'xml'"),
    (['sync', 'out', '--format', 'xml'], '--format', "invalid choice: 'xml'"),
    (['wait', 'J5'], 'REQUEST_ID', 'is a job id'),
    (['wait', 'R12x'], 'REQUEST_ID', "got 'r12x'"),
    (['wait', 'R1', '--timeout', '0'], '--timeout', 'seconds above 0'),
    (['wait', 'R1', '--poll', '-1'], '--poll', 'seconds above 0'),
    (['wait', 'R1', '--download', 'a-file'], '--download', "'a-file' is a file"),
    (['wait', 'R1', '--notify', '"x'], '--notify', 'cannot be split into a command'),
    (['sync', 'a-file'], 'DIR', "'a-file' is a file"),
    (['sync', 'out', '--folder', '0'], '--folder', 'a folder name or a positive id'),
    (['sync', 'out', '--since', 'soon'], '--since', 'must be an astropy time'),
    (['sync', 'out', '--layout', '/abs/{jid}'], '--layout', 'must stay inside the folder'),
    (['sync', 'out', '--layout', '{object}'], '--layout', 'relative path pattern'),
    # check-site
    (['check-site', '--capture', 'missing/site.json'], '--capture', 'does not exist'),
    (['check-site', '--capture', '.'], '--capture', 'is a folder'),
    # simulate: the simulator's own options
    (['simulate', '--port', '70000'], '--port', 'a port is 0 to 65535'),
    (['simulate', '--port', 'http'], '--port', 'not a whole number'),
    (['simulate', '--accounts', 'no-colon'], '--account', 'USER:PASSWORD'),
    (['simulate', '--accounts', 'carol:'], '--account', 'USER:PASSWORD'),
    (['simulate', '--requests', '-1'], '--requests', 'at least 0'),
    (['simulate', '--size', '4'], '--image-size', 'at least 8'),
    (['simulate', '--product-mb', '-1'], '--product-mb', 'zero or more'),
    (['simulate', '--staging-seconds', 'inf'], '--staging-seconds', 'zero or more'),
    (['simulate', '--latency-ms', '-5'], '--latency-ms', 'zero or more'),
    (['simulate', '--seed', 'x'], '--seed', "invalid int value: 'x'"),
    (['simulate', '--now', 'yesterday'], '--now', 'Unix seconds or an ISO date'),
    (['simulate', '--now', 'nan'], '--now', 'is not a time'),
    (['simulate', '--queue-limit', '-1'], '--queue-limit', 'at least 0'),
    # times
    (['times', 'J1', '--format', 'xml'], '--format', "invalid choice: 'xml'"),
    (['times', 'R706248'], 'JOB_ID', "'R706248' is a request id"),
    (['times', 'J12x'], 'JOB_ID', "got 'J12x'"),
    (['times', 'J1', '--target', 'Vega'], '--target', 'must be a SkyCoord or a coordinate'),
    (['times', 'J1', '--target', '10:00:00 +95:00:00'], '--target', 'coordinate string'),
    # demo
    (['demo', '--dir', 'a-file'], '--dir', "'a-file' is a file"),
    (['demo', '--requests', '0'], '--requests', 'at least 1'),
    (['demo', '--size', '7'], '--size', 'at least 8'),
]

#: Options whose values are someone else's to check: submit-missing's TARGETS_FILE
#: is read by the command itself (owned with the submission pipeline); observable's
#: TARGETs are read by the computation, which logs in nowhere (a name needs the
#: resolver: tests/cli/test_cli_loop.py).
NOT_HERE = {('submit-missing', 'targets_file'), ('observable', 'targets')}


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / 'a-file').write_text('not a folder')
    return tmp_path


@pytest.mark.parametrize('argv, option, message', BAD,
                         ids=[' '.join(argv)[:60] for argv, _, _ in BAD])
def test_a_bad_value_is_refused_before_anything_is_sent(cli, as_demo, simulator, workdir,
                                                        argv, option, message):
    result = cli(*argv)
    assert result.status == 2, result.err
    assert result.out == ''
    *usage, line = result.err.strip().splitlines()          # argparse's usage, then one line
    assert all(text.startswith(('usage: ', ' ')) for text in usage), result.err
    line = line.lower()
    assert option.lower() in line and message.lower() in line, result.err
    assert 'Traceback' not in result.err
    assert simulator.counters.total() == 0                  # not even the login
    assert not (workdir / 'telescope-demo').exists()


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(action for action in parser._actions
                if isinstance(action, argparse._SubParsersAction)).choices


def _named(action: argparse.Action, option: str) -> bool:
    """Whether a message naming ``option`` names ``action``."""
    return option in action.option_strings or (
        not action.option_strings and option.lower() in (action.dest.lower(),
                                                         str(action.metavar).lower()))


def test_every_option_has_bad_values():
    """Each option that takes a value (and each positional) has bad values in BAD."""
    for command, sub in _subcommands(build_parser()).items():
        tested = [option for argv, option, _ in BAD if command in argv]
        for action in sub._actions:
            takes_value = action.nargs != 0 and action.default != argparse.SUPPRESS
            if not takes_value or (command, action.dest) in NOT_HERE:
                continue
            shared = action.dest in ('server', 'user')   # one check for all: a few commands
            assert shared or any(_named(action, option) for option in tested), (
                f'{command} {"/".join(action.option_strings) or action.dest}: no bad values')


@pytest.mark.parametrize('argv, flag', [
    (['--server', 'http://127.0.0.1:9/', 'demo'], '--server'),
    (['--user', 'demo', 'demo'], '--user'),
    (['--server', 'http://127.0.0.1:9/', 'simulate'], '--server'),
    (['-v', 'simulate'], '-v/--verbose'),
    (['--user', 'carol', 'simulate'], '--user'),
    (['--server', 'http://127.0.0.1:9/', 'logout'], '--server'),
])
def test_a_shared_option_that_does_nothing_there_is_refused(cli, simulator, argv, flag):
    result = cli(*argv)
    assert result.status == 2
    assert result.err.startswith(f'telescope-query {argv[-1]}: error: {flag} does not '
                                 f'apply to {argv[-1]}: ')
    assert result.out == '' and simulator.counters.total() == 0


@pytest.mark.parametrize('command', sorted(TAKES))
def test_a_command_offers_only_the_shared_options_it_takes(command):
    """After the command name, an option it does not take is not even offered."""
    sub = _subcommands(build_parser())[command]
    offered = {action.dest for action in sub._actions} & set(COMMON_FLAGS)
    assert offered == set(TAKES[command])
    flags = {flag for action in sub._actions for flag in action.option_strings}
    for name in set(COMMON_FLAGS) - TAKES[command]:
        assert not set(COMMON_FLAGS[name].split('/')) & flags


def test_checked_names_the_option_once():
    with pytest.raises(options.UsageError, match="^--status: status must be"):
        options.checked('--status', options.arguments.status_filter, 'sleepy')
    with pytest.raises(options.UsageError, match="^--since must be an astropy Time"):
        options.checked('--since', options.arguments.utc_datetime, 'x', '--since')
