"""Smoke test of the benchmarks: ``benchmarks/run.py --quick`` runs, every case reports.

Only that the runner works and its figures are sane is checked here; the
speed targets mean nothing at quick sizes and are not asserted (the full run,
``python benchmarks/run.py``, is not part of the tests).
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent.parent / 'benchmarks' / 'run.py'
CASES = {'download', 'staging', 'cache', 'listing', 'details', 'imports', 'mirror', 'resync'}


@pytest.fixture(scope='module')
def quick_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    """One ``--quick`` run of every case, with its table and JSON."""
    out = tmp_path_factory.mktemp('bench') / 'results.json'
    done = subprocess.run([sys.executable, str(RUNNER), '--quick', '--json', str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done, json.loads(out.read_text(encoding='utf-8'))


def test_every_case_reports_without_error(quick_run):
    done, results = quick_run
    assert results['quick'] is True
    assert results['errors'] == {}
    assert {row['case'] for row in results['rows']} == CASES


def test_figures_are_sane(quick_run):
    _, results = quick_run
    for row in results['rows']:
        figures = [row['value']] + [row[k] for k in ('baseline', 'ratio') if row[k] is not None]
        assert all(math.isfinite(x) and x >= 0 for x in figures), row
        if row['unit'] in ('s', 'ms', 'MB/s'):
            assert row['value'] > 0, row
        if row['baseline'] is not None:
            assert row['ratio'] > 0, row
        assert row['passed'] in (True, False, None)
        assert (row['target'] is None) == (row['passed'] is None), row


def test_counted_targets_hold_even_when_quick(quick_run):
    # HTTP calls and memory do not depend on the machine's speed.
    _, results = quick_run
    rows = {row['measure']: row for row in results['rows']}
    calls = [row for name, row in rows.items() if name.endswith('HTTP calls')]
    assert {row['case'] for row in calls} == {'listing', 'cache', 'resync'}
    assert all(row['passed'] for row in calls), calls
    memory = [row for name, row in rows.items() if 'RSS' in name]
    assert len(memory) == 2 and all(row['passed'] for row in memory), memory


def test_table_is_printed_with_every_case(quick_run):
    done, results = quick_run
    lines = done.stdout.splitlines()
    assert lines[0].split() == ['case', 'measure', 'project', 'baseline', 'ratio',
                                'target', 'result']
    assert {line.split()[0] for line in lines[2:] if line.strip()} >= CASES
    assert results['table'] == lines[:len(results['table'])]


def test_only_runs_one_case(tmp_path):
    out = tmp_path / 'listing.json'
    done = subprocess.run([sys.executable, str(RUNNER), '--quick', '--only', 'listing',
                           '--json', str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert {row['case'] for row in json.loads(out.read_text())['rows']} == {'listing'}


def test_unknown_case_is_refused():
    done = subprocess.run([sys.executable, str(RUNNER), '--only', 'nonsense'],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and 'invalid choice' in done.stderr


def _row_line(stdout: str, case: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith(case + ' ')
             and ('PASS' in line or 'FAIL' in line)]
    assert len(lines) == 1, stdout
    return lines[0]


def test_a_missed_target_sets_exit_status_1(tmp_path):
    """``--require-ratio CASE=VALUE``: an impossible target is missed, even when quick."""
    out = tmp_path / 'impossible.json'
    done = subprocess.run([sys.executable, str(RUNNER), '--quick', '--only', 'imports',
                           '--require-ratio', 'imports=0.001', '--json', str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    line = _row_line(done.stdout, 'imports')
    assert line.split()[-1] == 'FAIL' and '≤ 0.001×' in line
    rows = [row for row in json.loads(out.read_text())['rows'] if row['target']]
    assert [(row['target'], row['passed']) for row in rows] == [(['ratio', '<=', 0.001], False)]
    assert '1 missed' in done.stdout


def test_a_required_target_that_is_met_exits_0(tmp_path):
    done = subprocess.run([sys.executable, str(RUNNER), '--quick', '--only', 'imports',
                           '--require-ratio', 'imports=1000'],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _row_line(done.stdout, 'imports').split()[-1] == 'PASS'


@pytest.mark.parametrize('value', ['nonsense=2', 'imports', 'imports=fast', 'imports=-1'])
def test_a_bad_required_ratio_is_refused(value):
    done = subprocess.run([sys.executable, str(RUNNER), '--quick', '--only', 'imports',
                           '--require-ratio', value], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and '--require-ratio' in done.stderr, done.stderr


def test_a_required_ratio_for_a_case_without_one_is_an_error():
    done = subprocess.run([sys.executable, str(RUNNER), '--quick', '--only', 'listing',
                           '--require-ratio', 'listing=2'], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and 'listing' in done.stderr, done.stdout + done.stderr
