"""``telescope-query``: the command line of telescope_query.

``main`` parses the arguments (`.parser`), checks every option (`.options`) before
anything is sent, runs one sub-command (`.commands`) and turns its outcome into an
exit status: 0 success, 1 a failed operation (one line on standard error; the
traceback too with ``--verbose``), 2 wrong usage.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from typing import Iterator, Sequence

from .commands import COMMANDS, Console
from .options import UsageError, check
from .parser import COMMON_DEFAULTS, PROG, build_parser
from .server import use_server

__all__ = ['main']

#: Exit statuses, after the Unix conventions argparse follows.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@contextlib.contextmanager
def server_override(url: str | None) -> Iterator[None]:
    """Point the client at ``url`` (checked by `.options`) for one command.

    The client reads ``TELESCOPE_QUERY_SERVER`` at call time, which also reaches
    code that builds its own client.
    """
    if url is None:
        yield
        return
    with use_server(url):
        yield


class _StderrHandler(logging.Handler):
    """Log records as ``LEVEL: message`` on the current ``sys.stderr``."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(f'{record.levelname}: {record.getMessage()}', file=sys.stderr)
        except Exception:
            self.handleError(record)


@contextlib.contextmanager
def cli_logging(verbose: int, quiet: bool) -> Iterator[None]:
    """``-v`` informs, ``-vv`` shows the (password-redacted) HTTP calls, ``-q`` hushes.

    astropy's logger prints INFO to standard output; a command's standard output
    is its result (a CSV, say), so while it runs every log line goes to standard
    error instead. The logger is restored afterwards.
    """
    from astroquery import log

    level = 'ERROR' if quiet else {0: 'WARNING', 1: 'INFO'}.get(verbose, 'DEBUG')
    saved_level, saved_handlers = log.level, list(log.handlers)
    for handler in saved_handlers:
        log.removeHandler(handler)
    handler = _StderrHandler()
    log.addHandler(handler)
    log.setLevel(level)
    try:
        yield
    finally:
        log.removeHandler(handler)
        for saved in saved_handlers:
            log.addHandler(saved)
        log.setLevel(saved_level)


def _one_line(exc: BaseException) -> str:
    """The exception as one readable line.

    The package's errors and the usual operating-system ones speak for
    themselves; anything else (a bug, most likely) is named by its type too.
    """
    text = ' '.join(str(exc).split())
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}"
    plain = (OSError, ValueError, RuntimeError, TimeoutError, UsageError)
    if not text or (type(exc).__module__ == 'builtins' and not isinstance(exc, plain)):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``telescope-query`` with ``argv`` (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 when the operation failed, 2 on wrong usage.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version, or a usage error (2)
        return exit.code if isinstance(exit.code, int) else EXIT_USAGE
    prefix = f'{PROG} {args.command}'
    try:
        check(args)                # before the defaults: it sees which were given
    except UsageError as exc:
        print(f'{prefix}: error: {exc}', file=sys.stderr)
        return EXIT_USAGE
    for name, value in COMMON_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    console = Console(quiet=args.quiet, verbose=args.verbose)
    try:
        with cli_logging(args.verbose, args.quiet), server_override(args.server):
            return COMMANDS[args.command](args, console)
    except (UsageError, ValueError) as exc:
        # The API raises ValueError for arguments it refuses before sending anything.
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        print(f'{prefix}: error: {_one_line(exc)}', file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f'{prefix}: interrupted', file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): say nothing more on a closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        print(f'{prefix}: error: {_one_line(exc)}', file=sys.stderr)
        return EXIT_FAILED
