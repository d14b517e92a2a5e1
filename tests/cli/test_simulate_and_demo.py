"""``simulate`` and ``demo``: every option they offer does what it says.

``simulate`` is the simulator's own command line (``python -m
telescope_query.simulator``): the same parser, so the two never differ, and each
option reaches the `~telescope_query.simulator.Simulator` it starts (what each
knob does there is the simulator's tests' business). ``demo`` runs a simulator of
its own: its options (the folder, the archive's size, the images' size, -v and -q)
are tested in ``test_demo.py``.
"""
from __future__ import annotations

import argparse

import pytest

from telescope_query.cli import main
from telescope_query.cli.parser import COMMON_FLAGS, build_parser
from telescope_query.simulator import __main__ as simulator_command

#: Every option of the simulator's command line, with a value that is not its default.
EVERY_OPTION = ['--port', '8089', '--accounts', 'carol:Carol-pw-1', 'dave:d',
                '--requests', '12', '--image-size', '16', '--product-mb', '2.5',
                '--staging-seconds', '3', '--latency-ms', '40', '--seed', '7',
                '--now', '2024-11-18T16:00', '--fixed-draws', '--queue-limit', '40',
                '--quiet']


def _simulate_parser() -> argparse.ArgumentParser:
    return next(action for action in build_parser()._actions
                if isinstance(action, argparse._SubParsersAction)).choices['simulate']


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def test_simulate_offers_exactly_the_simulators_options():
    ours = _flags(_simulate_parser()) - {'--password', '--passwd'}
    assert ours == _flags(simulator_command.parser())
    every = {flag for flag in EVERY_OPTION if flag.startswith('--')}
    long_flags = {f for f in ours if f.startswith('--')} - {'--help', '--size', '--account'}
    assert every == long_flags, 'EVERY_OPTION names every option once'


@pytest.mark.parametrize('argv', [[], EVERY_OPTION, ['--size', '64', '-q', '--account',
                                                     'a:b', '--account', 'c:d']])
def test_simulate_reads_its_arguments_as_the_simulator_does(argv):
    ours = vars(build_parser().parse_args(['simulate', *argv]))
    theirs = vars(simulator_command.parser().parse_args(argv))
    assert {k: v for k, v in ours.items() if k not in ('command', *COMMON_FLAGS)} == {
        k: v for k, v in theirs.items() if k != 'quiet'}
    assert ours.get('quiet', False) == theirs['quiet']


class RecordingSimulator:
    """Stands in for the simulator's server class: records what it was asked to be."""

    made: list[tuple[dict, dict]] = []

    def __init__(self, accounts, **settings):
        RecordingSimulator.made.append((dict(accounts), settings))
        self.url = 'http://127.0.0.1:8089/'
        self.startup_seconds = 0.0

    def start(self):
        return self

    def serve_forever(self):
        raise KeyboardInterrupt

    def stop(self):
        pass


@pytest.mark.parametrize('before', [[], ['-q']], ids=['', '-q before the command'])
def test_every_simulate_option_reaches_the_simulator(monkeypatch, capsys, before):
    monkeypatch.setattr('telescope_query.simulator.server.Simulator', RecordingSimulator)
    RecordingSimulator.made.clear()
    argv = [*before, 'simulate', *[a for a in EVERY_OPTION if not before or a != '--quiet']]
    assert main(argv) == 0
    (accounts, settings), = RecordingSimulator.made
    assert accounts == {'carol': 'Carol-pw-1', 'dave': 'd'}
    assert settings == dict(requests=12, image_size=16, product_mb=2.5, staging_seconds=3.0,
                            latency_ms=40.0, seed=7, now=1731945600.0, fixed_draws=True,
                            queue_limits={'carol': 40, 'dave': 40}, port=8089,
                            log_requests=False)
    out, err = capsys.readouterr()
    assert out == 'http://127.0.0.1:8089/\n'
    assert '--server http://127.0.0.1:8089/' in err and 'Stopped.' in err


def test_simulate_logs_each_request_unless_quiet(monkeypatch, capsys):
    monkeypatch.setattr('telescope_query.simulator.server.Simulator', RecordingSimulator)
    RecordingSimulator.made.clear()
    assert main(['simulate']) == 0
    (accounts, settings), = RecordingSimulator.made
    assert accounts == {'demo': 'demo'} and settings['log_requests'] is True
    assert settings['port'] == 0 and settings['image_size'] == 1536
    assert settings['fixed_draws'] is False
