#!/usr/bin/env python
"""Benchmarks of telescope_query against baselines measured in the same run.

Usage::

    python benchmarks/run.py                  # every case, full size (a few minutes)
    python benchmarks/run.py --only download  # one case (repeat --only for more)
    python benchmarks/run.py --quick          # tiny sizes: checks that it all runs
    python benchmarks/run.py --json out.json  # the table as JSON too
    python benchmarks/run.py --only download --require-ratio download=0.95
                                              # a stricter (or looser) ratio target

Each case starts the simulator it needs in a process of its own (see
``server.py`` for why not in this one), runs the project's calls and their
baselines alternately, and reports the project's figure, the baseline's and
their ratio against the case's target. Cases: see ``cases/__init__.py``.

Exit status: 0 when every target is met, 1 when one is missed, 2 when a case
could not run. With ``--quick`` the sizes are too small for the targets to
mean anything: they are shown but only a case that fails to run sets the
exit status.

``--require-ratio CASE=VALUE`` (repeatable) replaces the threshold of every
ratio target of CASE by VALUE, in the same direction (``≥`` stays ``≥``):
to hold a run to a stricter figure, or (the smoke test) to an impossible one
to see a missed target set the exit status. A target required this way is
enforced with ``--quick`` too; a case with no ratio target cannot take one
(exit status 2).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from typing import Any

from cases import CASES
from common import Row
from server import SimServer


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    names = [case.NAME for case in CASES]
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='tiny sizes, seconds not minutes; targets not enforced')
    parser.add_argument('--only', action='append', choices=names, metavar='CASE',
                        help=f"run only this case (repeatable): {', '.join(names)}")
    parser.add_argument('--json', metavar='FILE', help='also write the results as JSON')
    parser.add_argument('--require-ratio', action='append', default=[], metavar='CASE=VALUE',
                        help="hold CASE's ratio targets to VALUE instead (same direction), "
                             "enforced even with --quick (repeatable)")
    args = parser.parse_args(argv)
    args.required = {}
    for text in args.require_ratio:
        case, sep, value = text.partition('=')
        try:
            ratio = float(value)
        except ValueError:
            ratio = float('nan')
        if not sep or case not in names or not ratio > 0 or ratio == float('inf'):
            parser.error(f"argument --require-ratio: {text!r} is not CASE=VALUE with CASE "
                         f"one of {', '.join(names)} and VALUE a positive number")
        args.required[case] = ratio
    return args


def require_ratios(rows: list[Row], required: dict[str, float]) -> tuple[list[Row], list[str]]:
    """The rows whose ratio target was replaced as ``--require-ratio`` asks, and the
    cases asked for that have no ratio target to replace."""
    changed = []
    for row in rows:
        if row.case in required and row.target is not None and row.target[0] == 'ratio':
            row.target = ('ratio', row.target[1], required[row.case])
            changed.append(row)
    run = {row.case for row in rows}
    missing = [case for case in required
               if case in run and not any(row.case == case for row in changed)]
    return changed, missing


def run_cases(names: list[str] | None, quick: bool) -> tuple[list[Row], dict[str, str]]:
    """Run the cases; their rows, and the error of each case that could not run.

    Consecutive cases with the same simulator settings share its process.
    """
    rows: list[Row] = []
    errors: dict[str, str] = {}
    server: SimServer | None = None
    try:
        for case in CASES:
            if names and case.NAME not in names:
                continue
            wanted = case.settings(quick)
            if server is not None and server.settings != wanted:
                server.stop()
                server = None
            if server is None and wanted is not None:
                server = SimServer(**wanted)
            print(f'[{case.NAME}] running...', file=sys.stderr, flush=True)
            started = time.perf_counter()
            try:
                rows += case.run(server, quick)
            except Exception:  # reported in the table; the other cases still run
                errors[case.NAME] = traceback.format_exc()
                print(errors[case.NAME], file=sys.stderr)
            print(f'[{case.NAME}] {time.perf_counter() - started:.1f} s', file=sys.stderr,
                  flush=True)
    finally:
        if server is not None:
            server.stop()
    return rows, errors


def _figure(value: float | None, unit: str = '') -> str:
    if value is None:
        return '-'
    if unit == 'calls' or float(value).is_integer() and abs(value) < 1e6:
        text = f'{value:.0f}'
    elif abs(value) >= 100:
        text = f'{value:.0f}'
    elif abs(value) >= 10:
        text = f'{value:.1f}'
    else:
        text = f'{value:.2f}'
    return f'{text} {unit}'.strip()


def table_lines(rows: list[Row], errors: dict[str, str]) -> list[str]:
    """The compact table: one line per figure, one per case that could not run,
    then the notes of the figures (sizes, repeats, what the baseline is made of)."""
    header = ('case', 'measure', 'project', 'baseline', 'ratio', 'target', 'result')
    lines = []
    for row in rows:
        baseline = (f'{_figure(row.baseline, row.unit)} ({row.baseline_name})'
                    if row.baseline is not None else '-')
        result = {True: 'PASS', False: 'FAIL', None: 'info'}[row.passed]
        lines.append((row.case, row.measure, _figure(row.value, row.unit), baseline,
                      '-' if row.ratio is None else f'{row.ratio:.2f}×', row.target_text,
                      result))
    for name, error in errors.items():
        last = error.strip().splitlines()[-1]
        lines.append((name, last[:60], '-', '-', '-', '-', 'ERROR'))
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(7)]

    def render(cells) -> str:
        return '  '.join(str(cell).ljust(width) for cell, width in zip(cells, widths)).rstrip()

    notes = [f'  {row.case} / {row.measure}: {row.note}' for row in rows if row.note]
    return [render(header), render(['-' * w for w in widths]), *map(render, lines),
            *(['', 'notes:', *notes] if notes else [])]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {'python': platform.python_version(), 'platform': platform.platform(),
            'cpus': os.cpu_count(), 'load_average': [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from astroquery import log
    log.setLevel('WARNING')     # no "Logged in ..." line for each of the many clients
    started = time.perf_counter()
    before = machine()
    rows, errors = run_cases(args.only, args.quick)
    required, without = require_ratios(rows, args.required)
    for case in without:
        errors[case] = f'--require-ratio {case}: this case has no ratio target'
        print(errors[case], file=sys.stderr)
    missed = [row for row in rows if row.passed is False]
    enforced = missed if not args.quick else [row for row in missed
                                              if any(row is r for r in required)]
    lines = table_lines(rows, errors)
    print('\n'.join(lines))
    note = (' (quick: sizes too small for the targets; they do not set the exit status'
            + (', except those of --require-ratio)' if required else ')')
            if args.quick else '')
    print(f'\n{sum(r.passed is True for r in rows)} targets met, {len(missed)} missed, '
          f'{len(errors)} cases could not run, in {time.perf_counter() - started:.0f} s; '
          f'load average {before["load_average"][0]} -> {os.getloadavg()[0]:.2f} '
          f'on {before["cpus"]} CPUs{note}')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as out:
            json.dump({'quick': args.quick, 'machine': before,
                       'seconds': round(time.perf_counter() - started, 1),
                       'rows': [row.as_dict() for row in rows], 'errors': errors,
                       'table': lines}, out, indent=2)
            out.write('\n')
    if errors:
        return 2
    return 1 if enforced else 0


if __name__ == '__main__':
    sys.exit(main())
