"""What each ``telescope-query`` sub-command does: a thin layer over the public API.

Every command takes the parsed arguments, already checked (`.options`), and a
`Console`, and returns the exit status. Failures are raised, not printed:
``cli.main`` turns them into one line on standard error and the exit status (1, or
2 for `UsageError` and `ValueError`, which the API raises for arguments it refuses
before sending anything).
"""
from __future__ import annotations

import argparse
import csv
import getpass
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np
from astropy import units as u
from astropy.io import ascii
from astropy.table import MaskedColumn, Table, hstack, vstack
from astropy.time import Time

from .. import conf, tables
from ..utils import run_batch
from .options import UsageError, ids_of_kind
from .output import format_record, format_table
from .parser import PROG

__all__ = ['Console', 'UsageError', 'COMMANDS']


class Console:
    """Where a command writes: results to stdout, messages and progress to stderr.

    The streams are looked up at each write, so that tests capturing
    ``sys.stdout``/``sys.stderr`` see everything.
    """

    def __init__(self, *, quiet: bool = False, verbose: int = 0):
        self.quiet = quiet
        self.verbose = verbose

    @property
    def out(self) -> TextIO:
        return sys.stdout

    @property
    def err(self) -> TextIO:
        return sys.stderr

    @property
    def show_progress(self) -> bool:
        """Progress bars unless ``--quiet`` (the API shows them only in terminals)."""
        return not self.quiet

    def result(self, text: str) -> None:
        """Write a result (a table, an id) to stdout."""
        self.out.write(text)
        self.out.flush()

    def say(self, message: str) -> None:
        """Tell the user what happens, on stderr, unless ``--quiet``."""
        if not self.quiet:
            print(message, file=self.err, flush=True)

    def warn(self, message: str) -> None:
        """A problem worth knowing even with ``--quiet``, on stderr."""
        print(message, file=self.err, flush=True)


# ---------------------------------------------------------------- the client

def make_client():
    """A fresh client (its own session, the configured cache)."""
    from ..core import TelescopeClass
    return TelescopeClass()


def logged_in_client(args: argparse.Namespace, console: Console):
    """A client logged in with the stored password (keyring, environment, config file).

    `~telescope_query.TelescopeClass.login` does the lookup; it prompts only when
    someone can answer (a terminal), else raises ``LoginError`` saying where it
    looked, which becomes the one-line error.
    """
    client = make_client()
    client.login(args.user)
    if console.verbose:
        console.say(f"Logged in as {client.user} on {client.server_url}")
    return client


# ---------------------------------------------------------------- commands

def _user_name(args: argparse.Namespace) -> str:
    """--user, else the configured or environment's user name, else (in a terminal)
    asked for."""
    from ..credentials import find_username, interactive
    from .. import conf

    try:
        return find_username(args.user, default=conf.username)
    except Exception:
        if not interactive():
            raise UsageError("no user name: give --user NAME (or set "
                             "TELESCOPE_QUERY_USER)") from None
        user = input(f'User name on {make_client().server_url}: ').strip()
        if not user:
            raise UsageError('no user name given') from None
        return user


def no_keyring_advice(user: str, problem: str) -> str:
    """What to do on a machine whose keyring cannot keep a password: the commands."""
    import shlex

    python = shlex.quote(sys.executable)
    return (f"This machine has no keyring to store the password in ({problem}). "
            f"Either install one that keeps it in a file of your home folder, readable "
            f"by you only but not encrypted, then log in again:\n"
            f"    {python} -m pip install keyrings.alt\n"
            f"    {PROG} login --user {shlex.quote(user)}\n"
            f"or give the password in the environment of each session or cron job "
            f"(read -s asks for it without showing it):\n"
            f"    export TELESCOPE_QUERY_USER={shlex.quote(user)}\n"
            f"    read -rs TELESCOPE_QUERY_PASSWORD && export TELESCOPE_QUERY_PASSWORD")


def cmd_login(args: argparse.Namespace, console: Console) -> int:
    """Log in once, verify the password, and store it in the keyring."""
    import keyring

    from ..credentials import KEYRING_SERVICE, interactive, keyring_unusable

    user = _user_name(args)
    problem = keyring_unusable()
    if problem is not None:          # nothing to store it in: say so before asking
        console.warn(no_keyring_advice(user, problem))
        return 1
    if args.password_stdin:
        password = sys.stdin.readline().rstrip('\r\n')
        if not password:
            raise UsageError('--password-stdin: standard input has no password line')
    elif interactive():
        password = getpass.getpass(f'Password of {user} on {make_client().server_url}: ')
        if not password:
            raise UsageError('no password typed')
    else:
        raise UsageError('standard input is not a terminal, so there is no one to ask '
                         'for the password: pipe it in with --password-stdin')
    client = make_client()
    client.login(user, password=password, store_password=True)
    try:
        stored = keyring.get_password(KEYRING_SERVICE, user) == password
    except Exception as exc:  # a backend that fails only now: reported below
        problem = type(exc).__name__
        stored = False
    del password
    client.logout()
    if not stored:
        console.warn(f"Logged in as {user} on {client.server_url}, but the password was "
                     "not stored. " + no_keyring_advice(
                         user, problem or f"{type(keyring.get_keyring()).__name__} kept "
                                           "nothing"))
        return 1
    console.say(f"Logged in as {user} on {client.server_url}; the password is stored "
                f"in the keyring (service {KEYRING_SERVICE!r}).")
    return 0


def cmd_logout(args: argparse.Namespace, console: Console) -> int:
    """Forget the password stored in the keyring (no call to the server)."""
    import os

    import keyring

    from ..credentials import (CONFIG_SECTION, DEFAULT_CONFIG, ENV_PASSWORD,
                               KEYRING_SERVICE, keyring_unusable, read_config_file)

    user = _user_name(args)
    where = f"the keyring (service {KEYRING_SERVICE!r})"
    problem = keyring_unusable()
    if problem is not None:
        console.say(f"This machine has no keyring ({problem}): no password of {user} "
                    "was stored there, nothing to forget.")
    elif keyring.get_password(KEYRING_SERVICE, user) is None:
        console.say(f"No password of {user} is stored in {where}: nothing to forget.")
    else:
        keyring.delete_password(KEYRING_SERVICE, user)
        console.say(f"Forgot the password of {user}: it is no longer in {where}.")
    # The other places a password may come from, which this command leaves alone.
    if os.environ.get(ENV_PASSWORD):
        console.warn(f"{ENV_PASSWORD} is still set in this environment, and commands "
                     f"use it: unset {ENV_PASSWORD}")
    try:
        section = read_config_file(None)
    except Exception:          # an unreadable file holds no password we could use
        section = {}
    if section.get('password') and section.get('user', user) == user:
        console.warn(f"{DEFAULT_CONFIG} still holds a password for {user} (section "
                     f"[{CONFIG_SECTION}]), and commands use it: remove its password line")
    return 0


def cmd_folders(args: argparse.Namespace, console: Console) -> int:
    """List the account's folders."""
    client = logged_in_client(args, console)
    console.result(format_table(client.get_folders(), args.format))
    return 0


def _warn_views(console: Console, count: int, what: str) -> None:
    """Say, before opening them, how many views ``--details`` opens."""
    console.say(f"--details opens the view of each of the {count} {what}: up to {count} "
                f"page{'s' if count != 1 else ''} (those that can no longer change come "
                "from the cache)...")


def _with_views(table: Table, views: Table) -> Table:
    """``table`` with the columns of ``views`` (row for row): added, or filled in where
    ``table`` has them but without a value (``query_object`` gives the completed
    requests' only). A value the listing or the search gave is kept."""
    new = [name for name in views.colnames if name not in table.colnames]
    joined = hstack([table, views[new]]) if new else table.copy()
    for name in views.colnames:
        if name in new:
            continue
        empty = np.ma.getmaskarray(joined[name])
        if empty.any():
            joined[name] = _filled(joined[name], views[name], empty)
    return joined


def _filled(column: Any, other: Any, empty: np.ndarray) -> Any:
    """``column`` with ``other``'s values where ``empty``, in a type wide enough for
    both (a column of masked strings may be one character wide)."""
    if isinstance(column, Time):
        merged = column.copy()
        merged[empty] = other[empty]
        return merged
    data = np.ma.where(empty, np.ma.asanyarray(other), np.ma.asanyarray(column))
    return MaskedColumn(data, name=column.info.name, unit=column.info.unit or other.info.unit,
                        description=column.info.description or other.info.description)


def cmd_requests(args: argparse.Namespace, console: Console) -> int:
    """List requests of a folder, or of one object, optionally by status."""
    client = logged_in_client(args, console)
    if args.object:
        table = client.query_object(args.object, status=args.status)
    else:
        table = client.get_requests(args.folder, sort=args.sort, status=args.status)
    # The completion order needs every request's completion time: every view.
    limit_first = args.limit is not None and not (args.details and args.sort == 'completion')
    if limit_first:
        table = table[:args.limit]
    if args.details and len(table):
        _warn_views(console, len(table), 'requests')
        table = _with_views(table, client.get_request_details(table))  # listing's order
        if args.sort == 'completion' and not args.object:
            table = tables.by_completion(table)
    if args.limit is not None and not limit_first:
        table = table[:args.limit]
    console.result(format_table(table, args.format))
    return 0


def cmd_jobs(args: argparse.Namespace, console: Console) -> int:
    """Search the public completed jobs in a completion-time window."""
    client = logged_in_client(args, console)
    table = client.query_jobs(args.since, args.until, telescope=args.telescope,
                              filter=args.filter)
    if args.details and len(table):
        _warn_views(console, len(table), 'jobs')
        views = client.get_job_details(table)
        joined = _with_views(table, views)
        # The columns in the order of query_jobs(details=True): the view's, with the
        # search's object name after the request ids and its other columns last.
        order = list(views.colnames)
        if 'object_name' in joined.colnames:
            order.insert(order.index('rids') + 1, 'object_name')
        table = joined[order + [name for name in joined.colnames if name not in order]]
    console.result(format_table(table, args.format))
    return 0


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    """Show request and job views in the order given; the ones that fail are named
    on standard error after the others are shown (exit status 1)."""
    wanted = ids_of_kind(args.ids, args.kind, 'REQUEST_OR_JOB_ID')
    client = logged_in_client(args, console)
    details = {'R': client.get_request_details, 'J': client.get_job_details}
    found = run_batch(lambda item: details[item[0]](item[1]), wanted,
                      max_workers=int(conf.max_workers))
    good = [(kind, number, table) for (kind, number), table in zip(wanted, found)
            if isinstance(table, Table)]
    if args.format != 'table':
        if good:
            console.result(format_table(vstack([table for _, _, table in good]),
                                        args.format))
    else:
        titles = {'R': 'Request', 'J': 'Job'}
        console.result('\n'.join(f'{titles[kind]} {kind}{number}\n' + format_record(table[0])
                                  for kind, number, table in good))
    failed = [(kind, number, error) for (kind, number), error in zip(wanted, found)
              if not isinstance(error, Table)]
    for kind, number, error in failed:
        if not isinstance(error, Exception):   # KeyboardInterrupt and the like
            raise error
        if console.verbose:
            traceback.print_exception(error, file=console.err)
        console.warn(f"{kind}{number}: {' '.join(str(error).split())}")
    return 1 if failed else 0


def cmd_download(args: argparse.Namespace, console: Console) -> int:
    """Download job products; the manifest goes to stdout, failures to stderr."""
    jids = [number for _, number in ids_of_kind(args.jids, None, 'JOB_ID', only='J')]
    client = logged_in_client(args, console)
    product = (('processed ' if args.processed else '') + ('flat-fielded ' if args.flat else '')
               + ('zip' if args.zip else 'cube'))
    console.say(f"Downloading the {product} of {len(jids)} job"
                f"{'s' if len(jids) != 1 else ''} into {args.dir}")
    manifest = client.download_data(jids, path=args.dir, cube=not args.zip,
                                    processed=args.processed, flat=args.flat,
                                    show_progress=console.show_progress)
    console.result(format_table(manifest, args.format))
    failed = [row for row in manifest if str(row['status']) == 'ERROR']
    for row in failed:
        console.warn(f"J{row['jid']}: {row['message']}")
    return 1 if failed else 0


def _submission_options(args: argparse.Namespace) -> dict[str, Any]:
    options = {}
    if args.exposure is not None:
        options['exposure'] = args.exposure * u.s
    for name in ('telescope', 'filter'):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    return options


def cmd_submit(args: argparse.Namespace, console: Console) -> int:
    """Submit one request, or show what would be sent (``--dry-run``)."""
    from ..submit.plan import plan_submission

    options = _submission_options(args)
    options.update(dark_frame=args.dark_frame, name=args.name, comment=args.comment)
    # Everything checked, the target read (a name resolved) before any login.
    plan = plan_submission(args.target, **options)
    if args.dry_run:
        payload = make_client().submit(plan.coord, get_query_payload=True,
                                       **{**options, 'name': plan.object_name})
        console.result(format_record(_one_row(payload), args.format))
        console.say('Dry run: checked, nothing was sent.')
        return 0
    client = logged_in_client(args, console)
    rid = client.submit(plan.coord, **{**options, 'name': plan.object_name})
    console.say(f"Submitted request R{rid}.")
    row = _one_row({'rid': rid, 'target': args.target, 'name': plan.object_name,
                    'telescope': plan.telescope, 'filter': plan.filter,
                    'exposure': plan.exposure.to_value(u.s)})
    row['exposure'].unit = u.s
    console.result(format_record(row, args.format))
    return 0


def _one_row(mapping: dict[str, Any]) -> Table:
    """A dict as a one-row Table (nested values as text)."""
    return Table(rows=[[v if np.isscalar(v) or v is None else str(v)
                        for v in mapping.values()]],
                 names=list(mapping), dtype=[object if v is None else None
                                             for v in mapping.values()])


def read_targets(path: str) -> Table:
    """A CSV or ECSV targets file as a Table (astropy guesses other formats)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"{path}: no such targets file")
    suffix = file.suffix.lower()
    formats = {'.csv': 'ascii.csv', '.ecsv': 'ascii.ecsv'}
    # utf-8-sig: the byte order mark spreadsheets write is not part of a column name.
    try:
        if suffix == '.csv':
            # A CSV has no types: every cell stays the text written ('0042' is a
            # name, not 42); submit_missing reads numbers and flags from text.
            table = Table.read(file, format='ascii.csv', encoding='utf-8-sig',
                               converters={'*': [ascii.convert_numpy(str)]})
        elif suffix in formats:
            table = Table.read(file, format=formats[suffix], encoding='utf-8-sig')
        else:
            table = Table.read(file)
    except Exception as exc:
        raise ValueError(f"{path}: cannot read it as a CSV or ECSV table "
                         f"({type(exc).__name__}: {' '.join(str(exc).split())})") from None
    if len(table) == 0:
        raise ValueError(f"{path}: the table has no targets (no rows under its header)")
    if suffix == '.csv':
        _drop_blank_columns(table, file)
    return table


def _drop_blank_columns(table: Table, file: Path) -> None:
    """Remove the columns with neither a header nor a value.

    Trailing commas (spreadsheets write them) make such columns; astropy names
    them ('col2', '_1'...), so the header line says which they are. They hold
    no setting; a column with values but no header stays, to be refused.
    """
    with file.open(encoding='utf-8-sig', newline='') as lines:
        header = next(csv.reader(lines), [])
    if len(header) != len(table.colnames):
        return                              # not a plain header line: leave it be
    for given, name in zip(header, list(table.colnames)):
        if not given.strip() and all(np.ma.is_masked(cell) or not str(cell).strip()
                                     for cell in table[name]):
            table.remove_column(name)


def cmd_submit_missing(args: argparse.Namespace, console: Console) -> int:
    """Submit the targets of a file that are not already waiting in the queue."""
    from ..submit.batch import check_columns
    targets = read_targets(args.targets_file)
    check_columns(targets)          # an unknown column: said before logging in
    client = logged_in_client(args, console)
    console.say(f"{len(targets)} targets in {args.targets_file}"
                + (' (dry run: nothing will be submitted)' if args.dry_run else ''))
    report = client.submit_missing(targets, dry_run=args.dry_run, dark_frame=args.dark_frame,
                                   min_interval=args.min_interval,
                                   **_submission_options(args))
    console.result(format_table(report, args.format))
    failed = [row for row in report if str(row['action']) in ('failed', 'ambiguous')]
    for row in failed:
        message = row['message'] if 'message' in report.colnames else 'failed'
        console.warn(f"{row['target']}: {message}")
    return 1 if failed else 0


def cmd_check_site(args: argparse.Namespace, console: Console) -> int:
    """Check the protocol facts the client relies on; exit 1 when one differs."""
    client = logged_in_client(args, console)
    console.say(f"Checking {client.server_url} (read-only, a handful of calls)...")
    report = client.check_site(capture=args.capture, download=args.download)
    console.result(format_table(report['fact', 'result', 'seen'] if args.format == 'table'
                                else report, args.format))
    counts = report.meta['counts']
    console.say(f"{counts['holds']} facts hold, {counts['differs']} differ, "
                f"{counts['not checked']} not checked.")
    if 'capture' in report.meta:
        console.say(f"The answers, redacted, are in {report.meta['capture']}.")
    for row in report:
        if row['result'] == 'differs':
            console.warn(f"{row['fact']} differs: {row['statement']} The server: "
                         f"{row['seen']}")
    return 1 if counts['differs'] else 0


def cmd_simulate(args: argparse.Namespace, console: Console) -> int:
    """Serve a simulator on 127.0.0.1 until interrupted: ``python -m
    telescope_query.simulator`` with the same arguments."""
    from ..simulator.__main__ import run

    return run(args)


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    """The narrated offline tour (see `telescope_query.cli.demo`)."""
    from .demo import run_demo

    run_demo(args.dir, requests=args.requests, image_size=args.image_size,
             quiet=console.quiet)
    return 0


# ---------------------------------------------------------------- the observer's loop

def cmd_observable(args: argparse.Namespace, console: Console) -> int:
    """When targets can be observed: computed here, no login."""
    table = make_client().observability(args.targets, start=args.start, days=args.days,
                                        telescope=args.telescope)
    if args.format == 'table':
        table = table[[name for name in table.colnames if name != 'coord']]
    console.result(format_table(table, args.format))
    return 0


def _notifier(command: str | None, console: Console):
    """``on_final`` of the wait: run ``command`` with the request in its environment.

    The command line is split as a shell would (``shlex``) and run without a
    shell, so nothing from the site (a file name) is ever read as shell syntax.
    """
    if command is None:
        return None
    import os
    import shlex
    import subprocess
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"--notify: {command!r} cannot be split into a command ({exc})")
    if not argv:
        raise UsageError('--notify: the command is empty')

    def notify(rid: int, status: int, jid: int | None, file: str | None) -> None:
        env = dict(os.environ, TELESCOPE_RID=str(rid), TELESCOPE_JID=str(jid or ''),
                   TELESCOPE_FILE=file or '', TELESCOPE_STATUS=str(status))
        try:
            done = subprocess.run(argv, env=env, check=False)
        except OSError as exc:
            console.warn(f"--notify for R{rid}: {argv[0]} could not be run: {exc}")
            return
        if done.returncode != 0:
            console.warn(f"--notify for R{rid}: {argv[0]} exited with status {done.returncode}")
    return notify


def cmd_wait(args: argparse.Namespace, console: Console) -> int:
    """Wait for requests to complete; download and notify as each does."""
    from ..monitor.loop import wait_for
    notify = _notifier(args.notify, console)
    client = logged_in_client(args, console)
    console.say(f"Waiting for {len(args.rids)} request{'s' if len(args.rids) != 1 else ''} "
                f"(Ctrl-C stops)...")
    table = wait_for(client, args.rids, timeout=args.timeout, poll=args.poll,
                     download=args.download, on_final=notify,
                     show_progress=console.show_progress)
    console.result(format_table(table, args.format))
    unfinished = [row for row in table if not row['final'] or row['status'] != 8]
    lost = [row for row in table if 'local_path' in table.colnames and row['status'] == 8
            and np.ma.is_masked(row['local_path'])]
    for row in unfinished:
        console.warn(f"R{row['rid']}: {row['status_text']}"
                     + ('' if row['final'] else ' (still waiting)'))
    for row in lost:
        console.warn(f"R{row['rid']}: its images were not downloaded")
    return 1 if unfinished or lost else 0


def cmd_sync(args: argparse.Namespace, console: Console) -> int:
    """Mirror the completed jobs into a folder; exit 1 on any ERROR."""
    from ..sync.run import sync
    client = logged_in_client(args, console)
    manifest = sync(client, args.dir, folder=args.folder, since=args.since,
                    cube=not args.zip, layout=args.layout,
                    show_progress=console.show_progress, say=console.say)
    if not console.quiet:
        console.result(format_table(manifest, args.format))
        console.say(', '.join(f"{manifest.meta[status]} {status}" for status in
                              ('NEW', 'UNCHANGED', 'REFETCHED', 'ERROR')))
    failed = [row for row in manifest if str(row['status']) == 'ERROR']
    for row in failed:
        console.warn(f"J{row['jid']}: {row['message']}")
    return 1 if failed else 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    'login': cmd_login,
    'logout': cmd_logout,
    'folders': cmd_folders,
    'requests': cmd_requests,
    'jobs': cmd_jobs,
    'show': cmd_show,
    'download': cmd_download,
    'submit': cmd_submit,
    'submit-missing': cmd_submit_missing,
    'check-site': cmd_check_site,
    'simulate': cmd_simulate,
    'demo': cmd_demo,
}


# --- frames ready for science ---

def cmd_times(args: argparse.Namespace, console: Console) -> int:
    """The frames' times of jobs, one row per frame, for light-curve scripts."""
    from astropy.table import vstack
    jids = [number for _, number in ids_of_kind(args.jids, None, 'JOB_ID', only='J')]
    client = logged_in_client(args, console)
    tables = []
    for jid in jids:
        table = client.frame_times(jid, target=args.target)
        table.add_column([jid] * len(table), name='jid', index=0)
        tables.append(table)
    table = vstack(tables) if len(tables) > 1 else tables[0]
    if args.format != 'ecsv':
        table = _precise_times(table)
    console.result(format_table(table, args.format))
    return 0


def _precise_times(table: Any) -> Any:
    """Frame times as text to the millisecond and BJD as a plain number: the listing
    formats show times to the second, too coarse for a light curve."""
    import numpy as np
    from astropy.table import MaskedColumn
    out = table.copy()
    for name in ('start', 'mid'):
        column = table[name]
        mask = np.broadcast_to(np.asarray(column.mask), (len(column),))
        texts = getattr(column, 'unmasked', column).isot if len(column) else []
        out[name] = MaskedColumn([str(t) for t in texts], mask=mask)
    if 'bjd_tdb' in table.colnames:
        column = table['bjd_tdb']
        out['bjd_tdb'] = MaskedColumn(np.round(getattr(column, 'unmasked', column).jd, 8),
                                      mask=np.broadcast_to(np.asarray(column.mask),
                                                           (len(column),)))
    return out


COMMANDS['times'] = cmd_times
COMMANDS.update({'observable': cmd_observable, 'wait': cmd_wait, 'sync': cmd_sync})
