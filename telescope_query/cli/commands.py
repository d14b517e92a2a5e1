"""What each ``telescope-query`` sub-command does: a thin layer over the public API.

Every command takes the parsed arguments and a `Console` and returns the exit
status. Failures are raised, not printed: ``cli.main`` turns them into one line on
standard error and the exit status (1, or 2 for `UsageError` and `ValueError`,
which the API raises for arguments it refuses before sending anything).
"""
from __future__ import annotations

import argparse
import getpass
import signal
import sys
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np
from astropy import units as u
from astropy.table import Table, hstack

from .. import tables
from .output import format_record, format_table

__all__ = ['Console', 'UsageError', 'COMMANDS']


class UsageError(Exception):
    """The command line asks for something impossible (exit status 2)."""


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

def cmd_login(args: argparse.Namespace, console: Console) -> int:
    """Log in once, verify the password, and store it in the keyring."""
    import keyring

    from ..credentials import KEYRING_SERVICE, find_username, interactive
    from .. import conf

    try:
        user = find_username(args.user, default=conf.username)
    except Exception:
        if not interactive():
            raise UsageError("no user name: give --user NAME (or set "
                             "TELESCOPE_QUERY_USER)") from None
        user = input('telescope.org user name: ').strip()
        if not user:
            raise UsageError('no user name given') from None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip('\r\n')
        if not password:
            raise UsageError('--password-stdin: standard input has no password line')
    elif interactive():
        password = getpass.getpass(f'telescope.org password for {user}: ')
        if not password:
            raise UsageError('no password typed')
    else:
        raise UsageError('standard input is not a terminal, so there is no one to ask '
                         'for the password: pipe it in with --password-stdin')
    client = make_client()
    client.login(user, password=password, store_password=True)
    try:
        stored = keyring.get_password(KEYRING_SERVICE, user) == password
    except Exception:  # no usable backend: reported below
        stored = False
    del password
    if not stored:
        raise RuntimeError(
            f"logged in as {user}, but the password could not be stored in the keyring "
            "(no usable keyring backend): use TELESCOPE_QUERY_PASSWORD instead")
    console.say(f"Logged in as {user} on {client.server_url}; the password is stored "
                f"in the keyring (service {KEYRING_SERVICE!r}).")
    client.logout()
    return 0


def cmd_folders(args: argparse.Namespace, console: Console) -> int:
    """List the account's folders."""
    client = logged_in_client(args, console)
    console.result(format_table(client.get_folders(), args.format))
    return 0


def cmd_requests(args: argparse.Namespace, console: Console) -> int:
    """List requests of a folder, or of one object, optionally by status."""
    client = logged_in_client(args, console)
    if args.object:
        if args.folder != 'Inbox':
            raise UsageError('--object searches all your requests: drop --folder')
        table = client.query_object(args.object, status=args.status)
    else:
        table = client.get_requests(args.folder, sort=args.sort, status=args.status)
    # The completion order needs every request's completion time: every view.
    limit_first = args.limit is not None and not (args.details and args.sort == 'completion')
    if limit_first:
        table = table[:args.limit]
    if args.details and not args.object and len(table):
        console.say(f"Opening the view of each of the {len(table)} requests (one page "
                    f"each; views that can no longer change come from the cache)...")
        views = client.get_request_details(table)    # in the listing's order
        table = hstack([table, views[[name for name in views.colnames
                                      if name not in table.colnames]]])
        if args.sort == 'completion':
            table = tables.by_completion(table)
    if args.limit is not None and not limit_first:
        table = table[:args.limit]
    console.result(format_table(table, args.format))
    return 0


def cmd_jobs(args: argparse.Namespace, console: Console) -> int:
    """Search the public completed jobs in a completion-time window."""
    client = logged_in_client(args, console)
    table = client.query_jobs(args.since, args.until, telescope=args.telescope,
                              filter=args.filter, details=args.details)
    console.result(format_table(table, args.format))
    return 0


def split_ids(texts: list[str], kind: str | None) -> tuple[list[int], list[int]]:
    """Sort ``R123``/``J456``/bare ids into request ids and job ids."""
    from .parser import parse_id

    rids: list[int] = []
    jids: list[int] = []
    for text in texts:
        try:
            prefix, number = parse_id(text)
        except argparse.ArgumentTypeError as exc:
            raise UsageError(str(exc)) from None
        if prefix and kind and prefix != kind:
            raise UsageError(f"{text!r} contradicts --{'request' if kind == 'R' else 'job'}")
        prefix = prefix or kind
        if prefix is None:
            raise UsageError(f"{text!r}: say R{number} for a request or J{number} for a "
                             "job (or use --request / --job)")
        (rids if prefix == 'R' else jids).append(number)
    return rids, jids


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    """Show request and job views, one block each."""
    rids, jids = split_ids(args.ids, args.kind)
    if rids and jids and args.format != 'table':
        raise UsageError(f'--format {args.format} takes ids of one kind: '
                         'requests or jobs, not both')
    client = logged_in_client(args, console)
    tables = []
    if rids:
        tables.append(('Request', 'rid', client.get_request_details(rids)))
    if jids:
        tables.append(('Job', 'jid', client.get_job_details(jids)))
    if args.format != 'table':
        console.result(format_table(tables[0][2], args.format))
        return 0
    blocks = []
    for title, key, table in tables:
        for row in table:
            prefix = title[0]
            blocks.append(f'{title} {prefix}{row[key]}\n' + format_record(row))
    console.result('\n'.join(blocks))
    return 0


def cmd_download(args: argparse.Namespace, console: Console) -> int:
    """Download job products; the manifest goes to stdout, failures to stderr."""
    client = logged_in_client(args, console)
    product = (('processed ' if args.processed else '') + ('flat-fielded ' if args.flat else '')
               + ('zip' if args.zip else 'cube'))
    console.say(f"Downloading the {product} of {len(args.jids)} job"
                f"{'s' if len(args.jids) != 1 else ''} into {args.dir}")
    manifest = client.download_data(args.jids, path=args.dir, cube=not args.zip,
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
    options = _submission_options(args)
    options.update(dark_frame=args.dark_frame, name=args.name, comment=args.comment)
    if args.dry_run:
        # Checks and builds the payload without a session: nothing is sent.
        payload = make_client().submit(args.target, get_query_payload=True, **options)
        console.result(format_record(_one_row(payload), args.format))
        console.say('Dry run: checked, nothing was sent.')
        return 0
    client = logged_in_client(args, console)
    rid = client.submit(args.target, **options)
    console.say(f"Submitted request R{rid}.")
    row = _one_row({'rid': rid, 'target': args.target, 'name': args.name or '',
                    'telescope': args.telescope, 'filter': args.filter,
                    'exposure': args.exposure})
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
    try:
        if suffix in formats:
            table = Table.read(file, format=formats[suffix])
        else:
            table = Table.read(file)
    except Exception as exc:
        raise ValueError(f"{path}: cannot read it as a CSV or ECSV table "
                         f"({type(exc).__name__}: {' '.join(str(exc).split())})") from None
    if len(table) == 0:
        raise ValueError(f"{path}: the table has no targets (no rows under its header)")
    return table


def cmd_submit_missing(args: argparse.Namespace, console: Console) -> int:
    """Submit the targets of a file that are not already waiting in the queue."""
    from .. import arguments
    arguments.min_interval(args.min_interval, '--min-interval')     # before the login
    targets = read_targets(args.targets_file)
    client = logged_in_client(args, console)
    console.say(f"{len(targets)} targets in {args.targets_file}"
                + (' (dry run: nothing will be submitted)' if args.dry_run else ''))
    report = client.submit_missing(targets, dry_run=args.dry_run,
                                   min_interval=args.min_interval,
                                   **_submission_options(args))
    console.result(format_table(report, args.format))
    failed = [row for row in report if str(row['action']) == 'failed']
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
            console.warn(f"{row['fact']} differs: {row['statement']} The site: {row['seen']}")
    return 1 if counts['differs'] else 0


def cmd_simulate(args: argparse.Namespace, console: Console) -> int:
    """Serve a simulator on 127.0.0.1 until interrupted (Ctrl-C or SIGTERM)."""
    from ..simulator import Simulator

    accounts = {}
    for text in args.accounts or ['demo:demo']:
        user, sep, password = text.partition(':')
        if not sep or not user or not password:
            raise UsageError(f"--accounts: {text!r} is not USER:PASSWORD")
        accounts[user] = password
    sim = Simulator(accounts, port=args.port, requests=args.requests,
                    image_size=args.image_size, product_mb=args.product_mb,
                    staging_seconds=args.staging_seconds, latency_ms=args.latency_ms,
                    seed=args.seed, now=args.now, log_requests=console.verbose > 0)
    try:
        sim.start()
        console.result(f"Simulator of telescope.org serving {sim.url}\n")
        console.say(f"Accounts: {', '.join(accounts)} ({args.requests} requests each). "
                    f"Point the client at it with --server {sim.url} or "
                    f"TELESCOPE_QUERY_SERVER={sim.url}. Ctrl-C stops it.")
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            sim.serve_forever()
        except KeyboardInterrupt:
            console.say('Stopped.')
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        sim.stop()
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    """The narrated offline tour (see `telescope_query.cli.demo`)."""
    from .demo import run_demo

    run_demo(args.dir, requests=args.requests, image_size=args.image_size,
             quiet=console.quiet)
    return 0


# ---------------------------------------------------------------- the observer's loop

def cmd_observable(args: argparse.Namespace, console: Console) -> int:
    """When targets can be observed: computed here, no login."""
    from .. import arguments
    arguments.observing_days(args.days, '--days')      # said before anything is computed
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
    from .. import arguments
    from ..monitor.loop import wait_for
    if args.timeout is not None:
        arguments.seconds(args.timeout, '--timeout')
    arguments.seconds(args.poll, '--poll')
    if args.download is not None:
        arguments.folder_path(args.download, '--download')
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
    from .. import arguments
    from ..sync.plan import check_layout
    from ..sync.run import sync
    arguments.folder_path(args.dir, 'DIR')
    check_layout(args.layout)
    if args.since is not None:
        arguments.utc_datetime(args.since, '--since')
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
COMMANDS.update({'observable': cmd_observable, 'wait': cmd_wait, 'sync': cmd_sync})
