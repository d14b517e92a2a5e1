"""``python -m telescope_query.simulator``: serve the simulated telescope.org.

Prints the base URL, then serves until Ctrl-C (or SIGTERM).
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import signal
import sys
from typing import Callable, Sequence

from .images import MIN_IMAGE_SIZE

__all__ = ['main', 'parser', 'run', 'moment', 'whole_number', 'port_number',
           'non_negative']


def _account(text: str) -> tuple[str, str]:
    user, colon, password = text.partition(':')
    if not user or not colon or not password:
        # The text is not echoed: it may hold a password.
        raise argparse.ArgumentTypeError('an account is USER:PASSWORD, both not empty')
    return user, password


def moment(text: str) -> float:
    """Unix seconds, or an ISO 8601 date/time (UTC unless it says otherwise)."""
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(seconds):
            return seconds
        raise argparse.ArgumentTypeError(f'{text!r} is not a time')
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--now takes Unix seconds or an ISO date such as 2024-11-18T16:00, not {text!r}')
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{text!r} is not a whole number') from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f'must be at least {minimum}, got {value}')
        return value
    convert.__name__ = f'whole number from {minimum}'
    return convert


def port_number(text: str) -> int:
    """A TCP port, 0 meaning "any free port"."""
    value = whole_number(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f'a port is 0 to 65535, got {value}')
    return value


def non_negative(text: str) -> float:
    """A finite number, zero or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f'must be a number, zero or more, got {text!r}')
    return value


def parser(prog: str = 'python -m telescope_query.simulator', *,
           add_help: bool = True) -> argparse.ArgumentParser:
    """The simulator's command line (also ``telescope-query simulate``'s)."""
    p = argparse.ArgumentParser(
        prog=prog, add_help=add_help, allow_abbrev=False,
        description='Serve a local telescope.org that speaks the site\'s protocol, '
                    'with a synthetic archive of requests, jobs and FITS images.')
    p.add_argument('--port', type=port_number, default=0,
                   help='port on 127.0.0.1 (default: a free one; the URL is printed)')
    p.add_argument('--account', '--accounts', dest='account', type=_account,
                   action='extend', nargs='+', metavar='USER:PASSWORD',
                   help='accounts (repeatable; default demo:demo)')
    p.add_argument('--requests', type=whole_number(0), default=2000, metavar='N',
                   help='generated requests per account (default 2000)')
    p.add_argument('--image-size', '--size', dest='image_size',
                   type=whole_number(MIN_IMAGE_SIZE), default=1536, metavar='PIXELS',
                   help='width and height of the images (default 1536, as the real '
                        f'cameras; at least {MIN_IMAGE_SIZE})')
    p.add_argument('--product-mb', type=non_negative, default=None, metavar='MB',
                   help='pad each image product to about this size (benchmarks)')
    p.add_argument('--staging-seconds', type=non_negative, default=0.0, metavar='S',
                   help='image-engine processing time (default 0)')
    p.add_argument('--latency-ms', type=non_negative, default=0.0, metavar='MS',
                   help='added to every call (default 0)')
    p.add_argument('--seed', type=int, default=1, help='seed of the archive (default 1)')
    p.add_argument('--now', type=moment, default=None, metavar='WHEN',
                   help='anchor the archive to this time (Unix seconds or ISO date; '
                        'default: now)')
    p.add_argument('--fixed-draws', action='store_true',
                   help='the same requests and jobs whatever --now is; only their '
                        'times follow it (default: each moment draws its own)')
    p.add_argument('--queue-limit', type=whole_number(0), default=None, metavar='N',
                   help='requests each account may have in the queue (default 10)')
    p.add_argument('-q', '--quiet', action='store_true', help='do not log each request')
    return p


def _stop_on_sigterm() -> None:
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)


def run(args: argparse.Namespace) -> int:
    """Serve as ``args`` (of `parser`) say until interrupted; returns the exit status."""
    from .server import Simulator

    accounts = dict(args.account or [('demo', 'demo')])
    sim = Simulator(accounts, requests=args.requests, image_size=args.image_size,
                    product_mb=args.product_mb, staging_seconds=args.staging_seconds,
                    latency_ms=args.latency_ms, seed=args.seed, now=args.now,
                    fixed_draws=args.fixed_draws,
                    queue_limits=(None if args.queue_limit is None else
                                  dict.fromkeys(accounts, args.queue_limit)),
                    port=args.port, log_requests=not args.quiet)
    try:
        sim.start()
    except OSError as error:
        sim.stop()
        print(f'cannot serve on port {args.port}: {error}', file=sys.stderr)
        return 1
    print(sim.url, flush=True)
    print(f'telescope.org simulator: accounts {", ".join(accounts)} '
          f'({args.requests} requests each), ready in {sim.startup_seconds:.2f} s. '
          f'Point a client at it with --server {sim.url} or '
          f'TELESCOPE_QUERY_SERVER={sim.url}. Ctrl-C stops it.', file=sys.stderr, flush=True)
    _stop_on_sigterm()
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        print('Stopped.', file=sys.stderr, flush=True)
    finally:
        sim.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until interrupted; returns the exit status."""
    return run(parser().parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
