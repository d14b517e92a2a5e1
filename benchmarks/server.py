"""The simulator in a process of its own, driven through a pipe.

Why a subprocess and not ``Simulator`` in the benchmark's own process: the
simulator is Python too (werkzeug), so in-process it would share the
client's GIL. Every byte the server sends would then compete with every byte
the client reads, while ``curl`` (the baseline) would face a server with the
interpreter to itself: the comparison would be rigged against the client.
Resident memory and CPU time of the client would also include the server's.
In its own process the server treats the client and the baseline alike, and
whatever the benchmark process measures is the client's alone.

The child (``python benchmarks/server.py SETTINGS_JSON``) starts a
`~telescope_query.simulator.Simulator`, prints one JSON line with its URL, and
then answers one JSON line per command read from stdin (see `_COMMANDS`):
the counters, run-time knobs, and a few questions about the archive that the
benchmarks need (which requests are complete, make a product ahead of time).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

__all__ = ['SimServer']


class SimServer:
    """A simulator subprocess on a free port of 127.0.0.1.

    Parameters
    ----------
    **settings
        Keyword arguments of `~telescope_query.simulator.Simulator`
        (``accounts``, ``requests``, ``image_size``, ``product_mb``, ...).

    Examples
    --------
    >>> with SimServer(requests=100, image_size=64) as sim:     # doctest: +SKIP
    ...     sim.reset()
    ...     sim.counters()['total']
    0
    """

    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self._process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), json.dumps(settings)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        hello = self._read()
        self.url: str = hello['url']
        self.pid: int = self._process.pid
        self._handed_out: set[int] = set()

    # -- the pipe ---------------------------------------------------------------------
    def _read(self) -> dict:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait()
            raise RuntimeError(f'the simulator process ended (exit status {code})')
        answer = json.loads(line)
        if 'error' in answer:
            raise RuntimeError(f"simulator: {answer['error']}")
        return answer

    def call(self, command: str, **args: Any) -> Any:
        """Send one command and return its answer."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({'command': command, **args}) + '\n')
        self._process.stdin.flush()
        return self._read()['result']

    # -- what the benchmarks ask ------------------------------------------------------
    def counters(self) -> dict[str, int]:
        """Calls received per endpoint and API request, and ``'total'``."""
        return self.call('counters')

    def reset(self) -> None:
        """Set every counter back to 0."""
        self.call('reset')

    def set(self, **knobs: float) -> None:
        """Change run-time knobs: ``latency_ms``, ``staging_seconds``."""
        self.call('set', **knobs)

    def completed(self, user: str, count: int) -> list[tuple[int, int]]:
        """``(rid, jid)`` of up to ``count`` completed requests of ``user`` whose job
        succeeded, one request per job, newest first."""
        return [tuple(pair) for pair in self.call('completed', user=user, count=count)]

    def fresh_jobs(self, count: int) -> list[int]:
        """``count`` completed jobs of ``demo`` never handed out before by this method.

        Cases sharing a simulator get jobs whose products no one has staged
        yet (a product staged once answers ``OK_READY`` at once).
        """
        pairs = self.completed('demo', count + len(self._handed_out))
        jids = [jid for _, jid in pairs if jid not in self._handed_out][:count]
        if len(jids) < count:
            raise RuntimeError(f'the archive has only {len(jids)} more completed jobs')
        self._handed_out.update(jids)
        return jids

    def prepare(self, jids: list[int], kind: str = 'cube') -> list[int]:
        """Make the products now (not when first staged); returns their sizes."""
        return self.call('prepare', jids=jids, kind=kind)

    def complete(self, user: str) -> list[tuple[int, int]]:
        """The clock knob: every queued request of ``user`` becomes a job."""
        return [tuple(pair) for pair in self.call('complete', user=user)]

    def stop(self) -> None:
        """Stop the simulator and wait for its process to end."""
        if self._process.poll() is None:
            try:
                self.call('stop')
            except (RuntimeError, OSError, ValueError):
                pass
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()

    def __enter__(self) -> 'SimServer':
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# --- the child side ------------------------------------------------------------------

def _completed(sim: Any, user: str, count: int) -> list[tuple[int, int]]:
    found, jobs = [], set()
    for request in reversed(sim.archive.requests(user)):
        job = sim.archive.job_of_request(user, request.rid)
        if request.status == 8 and job is not None and job.success and job.jid not in jobs:
            jobs.add(job.jid)
            found.append((request.rid, job.jid))
            if len(found) == count:
                break
    return found


def _prepare(sim: Any, jids: list[int], kind: str) -> list[int]:
    return [sim.products.size(sim.archive.job(jid), kind, False) for jid in jids]


def _set(sim: Any, **knobs: float) -> None:
    for name, value in knobs.items():
        if name not in ('latency_ms', 'staging_seconds'):
            raise ValueError(f'unknown knob {name!r}')
        setattr(sim, name, value)


_COMMANDS = {
    'counters': lambda sim: {**sim.counters.snapshot(), 'total': sim.counters.total()},
    'reset': lambda sim: sim.counters.reset(),
    'set': _set,
    'completed': _completed,
    'prepare': _prepare,
    'complete': lambda sim, user: sim.complete_queue(user),   # the clock knob
}


def _serve(settings: dict) -> None:
    from telescope_query.simulator import Simulator

    def say(answer: dict) -> None:
        sys.stdout.write(json.dumps(answer) + '\n')
        sys.stdout.flush()

    with Simulator(**settings) as sim:
        say({'url': sim.url})
        for line in sys.stdin:
            message = json.loads(line)
            command = message.pop('command')
            if command == 'stop':
                say({'result': None})
                break
            try:
                say({'result': _COMMANDS[command](sim, **message)})
            except Exception as exc:  # reported to the parent, the server goes on
                say({'error': f'{command}: {type(exc).__name__}: {exc}'})


if __name__ == '__main__':
    _serve(json.loads(sys.argv[1]))
