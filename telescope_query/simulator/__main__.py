"""``python -m telescope_query.simulator``: serve the simulated telescope.org.

Prints the base URL, then serves until Ctrl-C (or SIGTERM).
"""
from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
from typing import Sequence

__all__ = ['main', 'parser', 'moment']


def _account(text: str) -> tuple[str, str]:
    user, colon, password = text.partition(':')
    if not user or not colon:
        raise argparse.ArgumentTypeError('an account is USER:PASSWORD')
    return user, password


def moment(text: str) -> float:
    """Unix seconds, or an ISO 8601 date/time (UTC unless it says otherwise)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--now takes Unix seconds or an ISO date such as 2024-11-18T16:00, not {text!r}')
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.timestamp()


def parser() -> argparse.ArgumentParser:
    """The command line's arguments."""
    p = argparse.ArgumentParser(
        prog='python -m telescope_query.simulator',
        description='Serve a local telescope.org that speaks the site\'s protocol, '
                    'with a synthetic archive of requests, jobs and FITS images.')
    p.add_argument('--port', type=int, default=0,
                   help='port on 127.0.0.1 (default: a free one)')
    p.add_argument('--account', type=_account, action='append', metavar='USER:PASSWORD',
                   help='an account (repeatable; default demo:demo)')
    p.add_argument('--requests', type=int, default=2000, metavar='N',
                   help='generated requests per account (default 2000)')
    p.add_argument('--image-size', type=int, default=1536, metavar='PIXELS',
                   help='width and height of the images (default 1536)')
    p.add_argument('--product-mb', type=float, default=None, metavar='MB',
                   help='pad each image product to about this size (benchmarks)')
    p.add_argument('--staging-seconds', type=float, default=0.0, metavar='S',
                   help='image-engine processing time (default 0)')
    p.add_argument('--latency-ms', type=float, default=0.0, metavar='MS',
                   help='added to every call (default 0)')
    p.add_argument('--seed', type=int, default=1, help='seed of the archive (default 1)')
    p.add_argument('--now', type=moment, default=None, metavar='WHEN',
                   help='anchor the archive to this time (Unix seconds or ISO date; '
                        'default: now)')
    p.add_argument('--queue-limit', type=int, default=None, metavar='N',
                   help='requests each account may have in the queue (default 10)')
    p.add_argument('--quiet', action='store_true', help='do not log each request')
    return p


def _stop_on_sigterm() -> None:
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator until interrupted; returns the exit status."""
    args = parser().parse_args(argv)
    from .server import Simulator

    accounts = dict(args.account or [('demo', 'demo')])
    sim = Simulator(accounts, requests=args.requests, image_size=args.image_size,
                    product_mb=args.product_mb, staging_seconds=args.staging_seconds,
                    latency_ms=args.latency_ms, seed=args.seed, now=args.now,
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
          'Ctrl-C stops.', file=sys.stderr, flush=True)
    _stop_on_sigterm()
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
