"""Every option of a ``telescope-query`` command checked before anything is sent.

`check` runs before a command logs in: a value the API would refuse is refused
here, with the API's own check (`telescope_query.arguments`, one home for each),
and the message names the option. Nothing here re-implements a check: argparse
converts text (a number, a choice), the functions of `telescope_query.arguments`
say what is allowed. The API checks the same values again when it is called,
with the same verdict.

Pure: no client, no HTTP, no file written (a path is only looked at).
"""
from __future__ import annotations

import argparse
from typing import Any, Callable, TypeVar

from .. import arguments
from ..protocol import site
from .parser import COMMON_FLAGS, NOT_TAKEN, TAKES

__all__ = ['UsageError', 'check', 'checked', 'given_options', 'ids_of_kind', 'CHECKS']

T = TypeVar('T')


class UsageError(Exception):
    """The command line asks for something impossible (exit status 2)."""


def checked(option: str, check: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``check(*args, **kwargs)``; its `ValueError` or `TypeError` becomes a
    `UsageError` that starts with ``option`` (unless the message names it already)."""
    try:
        return check(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        text = ' '.join(str(exc).split())
        raise UsageError(text if text.startswith(option) else f'{option}: {text}') from None


def given_options(args: argparse.Namespace) -> list[str]:
    """The shared options given (before or after the command name), by stored name.

    The parser leaves no default behind for them (`telescope_query.cli.parser`),
    so an attribute present is an option given.
    """
    return [name for name in COMMON_FLAGS if hasattr(args, name)]


def _common(args: argparse.Namespace) -> None:
    for name in given_options(args):
        if name not in TAKES[args.command]:
            raise UsageError(f"{COMMON_FLAGS[name]} does not apply to {args.command}: "
                             f"{NOT_TAKEN[args.command]}")
    if getattr(args, 'server', None) is not None:
        args.server = checked('--server', arguments.server_url, args.server, '--server')
    if getattr(args, 'user', None) is not None:
        args.user = checked('--user', arguments.user_name, args.user, '--user')


def ids_of_kind(texts: list[str], kind: str | None, option: str,
                only: str | None = None) -> list[tuple[str, int]]:
    """``R123``/``J456``/bare ids as ``(kind, number)`` in the order given.

    ``kind`` ('R' or 'J', from ``--request``/``--job``) is the kind of the bare
    ones; ``only`` the one kind a command takes.
    """
    words = {'R': 'request', 'J': 'job'}
    found = []
    for text in texts:
        prefix, number = checked(option, arguments.prefixed_id, text, option)
        if prefix and kind and prefix != kind:
            raise UsageError(f"{option}: {text!r} contradicts --{words[kind]}")
        prefix = prefix or kind or only
        if prefix is None:
            raise UsageError(f"{option}: {text!r}: say R{number} for a request or "
                             f"J{number} for a job (or use --request / --job)")
        if only and prefix != only:
            raise UsageError(f"{option}: {text!r} is a {words[prefix]} id, where "
                             f"{words[only]} ids are wanted ({only}...)"
                             + (f": 'show {text}' tells the job of a completed request"
                                if prefix == 'R' else ''))
        found.append((prefix, number))
    return found


# ---------------------------------------------------------------- per command

def _requests(args: argparse.Namespace) -> None:
    checked('--folder', arguments.folder_argument, args.folder)
    checked('--status', arguments.status_filter, args.status)
    checked('--sort', arguments.check_sort, args.sort)
    if args.object is not None:
        checked('--object', arguments.object_name, args.object, '--object', limit=1000)
        if args.folder != 'Inbox':
            raise UsageError('--object searches all your requests: drop --folder')


def _jobs(args: argparse.Namespace) -> None:
    checked('--since', arguments.time_window, args.since, args.until,
            names=('--since', '--until'))
    telescope_name = None
    if arguments.given(args.telescope):
        number = checked('--telescope', arguments.telescope_id, args.telescope,
                         '--telescope', in_service=False)
        telescope_name = site.TELESCOPE_NAMES[number]
    if arguments.given(args.filter):
        checked('--filter', arguments.filter_name, args.filter, telescope_name, '--filter')


def _show(args: argparse.Namespace) -> None:
    found = ids_of_kind(args.ids, args.kind, 'REQUEST_OR_JOB_ID')
    if len({kind for kind, _ in found}) > 1 and args.format != 'table':
        raise UsageError(f'--format {args.format} takes ids of one kind: requests or '
                         'jobs, not both')


def _download(args: argparse.Namespace) -> None:
    ids_of_kind(args.jids, None, 'JOB_ID', only='J')
    try:
        arguments.product_flags(not args.zip, args.processed, args.flat)
    except ValueError:
        raise UsageError('--flat asks for the raw frames divided by the flat field; '
                         '--processed products are flat-fielded already: use one or '
                         'the other') from None
    checked('--dir', arguments.output_folder, args.dir, '--dir')


def _submission_defaults(args: argparse.Namespace, telescope: str | None) -> None:
    """--telescope, --filter and --exposure of submit and submit-missing."""
    from ..submit.plan import exposure_to_ms

    name = 'COAST'
    if telescope is not None:
        name = checked('--telescope', arguments.telescope, telescope, '--telescope')
    if args.filter is not None:
        checked('--filter', arguments.filter_name, args.filter, name, '--filter')
    if args.exposure is not None:
        checked('--exposure', exposure_to_ms, args.exposure, name)


def _submit(args: argparse.Namespace) -> None:
    _submission_defaults(args, args.telescope)
    if args.name is not None:
        checked('--name', arguments.object_name, args.name, '--name')
    checked('--comment', arguments.comment, args.comment)
    # TARGET is read (and a name resolved) by the plan, still before any login.


def _submit_missing(args: argparse.Namespace) -> None:
    _submission_defaults(args, args.telescope)
    checked('--min-interval', arguments.min_interval, args.min_interval, '--min-interval')


def _check_site(args: argparse.Namespace) -> None:
    if args.capture is not None:
        checked('--capture', arguments.output_file, args.capture, '--capture')


def _demo(args: argparse.Namespace) -> None:
    checked('--dir', arguments.output_folder, args.dir, '--dir')


#: The checks of each command's own options (the shared ones are checked for all).
CHECKS: dict[str, Callable[[argparse.Namespace], None]] = {
    'requests': _requests,
    'jobs': _jobs,
    'show': _show,
    'download': _download,
    'submit': _submit,
    'submit-missing': _submit_missing,
    'check-site': _check_site,
    'demo': _demo,
}


def check(args: argparse.Namespace) -> None:
    """Check every option of ``args.command``; `UsageError` naming the first bad one.

    ``--server`` and ``--user`` come back normalised (a URL ending in ``/``, a
    name without surrounding spaces).
    """
    _common(args)
    own = CHECKS.get(args.command)
    if own is not None:
        own(args)


# --- frames ready for science ---

def _times(args: argparse.Namespace) -> None:
    ids_of_kind(args.jids, None, 'JOB_ID', only='J')
    if args.target is not None:
        checked('--target', arguments.sky_target, args.target, '--target')


CHECKS['times'] = _times


# --- the observer's loop ---

def _observable(args: argparse.Namespace) -> None:
    checked('--days', arguments.observing_days, args.days, '--days')
    if args.start is not None:
        checked('--start', arguments.utc_datetime, args.start, '--start')
    checked('--telescope', arguments.telescope, args.telescope, '--telescope')
    # TARGET is read (and a name resolved) by the computation, which needs no login.


def _wait(args: argparse.Namespace) -> None:
    if args.timeout is not None:
        checked('--timeout', arguments.seconds, args.timeout, '--timeout')
    checked('--poll', arguments.seconds, args.poll, '--poll')
    if args.download is not None:
        checked('--download', arguments.output_folder, args.download, '--download')


def _sync(args: argparse.Namespace) -> None:
    from ..sync.plan import check_layout
    checked('DIR', arguments.output_folder, args.dir, 'DIR')
    checked('--folder', arguments.folder_argument, args.folder)
    if args.since is not None:
        checked('--since', arguments.utc_datetime, args.since, '--since')
    checked('--layout', check_layout, args.layout)


CHECKS.update({'observable': _observable, 'wait': _wait, 'sync': _sync})
