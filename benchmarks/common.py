"""What every benchmark case shares: result rows, timing, memory, raw HTTP baselines.

The baselines here never use the client: they log in and stage products
with plain `requests` calls (PROTOCOL.md sections 1 and 2) and fetch bytes
with ``curl`` (or, where curl is missing, a plain socket read).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import requests

__all__ = ['Row', 'timed', 'check', 'PeakMemory', 'RawSite', 'fetch_baseline',
           'baseline_tool', 'new_client', 'scratch', 'python_seconds', 'USER', 'PASSWORD',
           'MB', 'QUICK_SETTINGS']

USER, PASSWORD = 'demo', 'demo'
MB = 1_000_000
#: The one simulator of a ``--quick`` run: every case fits in it.
QUICK_SETTINGS = dict(requests=300, image_size=64, product_mb=1)
_OPS = {'>=': lambda a, b: a >= b, '<=': lambda a, b: a <= b, '<': lambda a, b: a < b,
        '==': lambda a, b: a == b}


@dataclass
class Row:
    """One line of the table: the project's figure, the baseline's, their ratio.

    ``target`` is ``(what, op, threshold)`` with ``what`` 'value' or 'ratio'
    and ``op`` one of ``>=``, ``<=``, ``<``, ``==``; None for a figure that is
    reported only.
    """

    case: str
    measure: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ''
    ratio: float | None = None
    target: tuple[str, str, float] | None = None
    note: str = ''

    @property
    def passed(self) -> bool | None:
        """True/False against the target; None when there is no target."""
        if self.target is None:
            return None
        what, op, threshold = self.target
        figure = self.ratio if what == 'ratio' else self.value
        return figure is not None and _OPS[op](figure, threshold)

    @property
    def target_text(self) -> str:
        if self.target is None:
            return '-'
        what, op, threshold = self.target
        op = {'>=': '≥', '<=': '≤'}.get(op, op)
        return f"{op} {threshold:g}{'×' if what == 'ratio' else ' ' + self.unit}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data['target'] = list(self.target) if self.target else None
        data.update(target_text=self.target_text, passed=self.passed)
        return data


# --- timing and memory ---------------------------------------------------------------

def timed(function: Callable[[], Any]) -> float:
    """Seconds one call of ``function`` takes.

    The cases call it several times, alternating the project's runs with the
    baseline's so that both see the same machine, and keep the best of each:
    the figure least disturbed by other work.
    """
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def check(condition: bool, message: str) -> None:
    """Stop the case when what was measured is not what was meant to be measured."""
    if not condition:
        raise AssertionError(message)


def _status_kb(field: str) -> int:
    with open('/proc/self/status', encoding='ascii') as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


class PeakMemory:
    """Peak resident memory growth of this process during a ``with`` block, in bytes.

    On Linux the kernel's own high-water mark is used: it is reset on entry
    (``/proc/self/clear_refs``) and read on exit (``VmHWM``), so no peak is
    missed however short. Elsewhere a thread samples the RSS every 2 ms
    with psutil (the ``bench`` extra).
    """

    def __init__(self) -> None:
        self.growth: int = 0
        self._exact = _can_reset_peak()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = self._peak = 0

    def __enter__(self) -> 'PeakMemory':
        if self._exact:
            with open('/proc/self/clear_refs', 'w', encoding='ascii') as refs:
                refs.write('5')
            self._start = _status_kb('VmRSS') * 1024
        else:
            import psutil
            process = psutil.Process()
            self._start = self._peak = process.memory_info().rss

            def sample() -> None:
                while not self._stop.wait(0.002):
                    self._peak = max(self._peak, process.memory_info().rss)

            self._thread = threading.Thread(target=sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._exact:
            self._peak = _status_kb('VmHWM') * 1024
        else:
            self._stop.set()
            assert self._thread is not None
            self._thread.join()
        self.growth = max(0, self._peak - self._start)


def _can_reset_peak() -> bool:
    try:
        with open('/proc/self/clear_refs', 'w', encoding='ascii') as refs:
            refs.write('5')
        _status_kb('VmHWM')
        return True
    except (OSError, KeyError):
        return False


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder removed afterwards (downloads are large)."""
    folder = Path(tempfile.mkdtemp(prefix=f'tq-bench-{prefix}-'))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the client ----------------------------------------------------------------------

def new_client(url: str, cache: Path) -> Any:
    """A fresh `TelescopeClass` logged in to the simulator at ``url``, with its own cache."""
    os.environ['TELESCOPE_QUERY_SERVER'] = url  # the environment wins over conf.server
    from telescope_query import TelescopeClass
    client = TelescopeClass()
    client.cache_location = cache
    client.login(USER, password=PASSWORD)
    return client


# --- the baselines: plain HTTP, no client code -----------------------------------------

class RawSite:
    """A `requests` session logged in to the simulator, staging products by hand."""

    def __init__(self, url: str, user: str = USER, password: str = PASSWORD) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.post(url + 'login.php', timeout=60, data={
            'action': 'login', 'username': user, 'password': password,
            'stayloggedin': 'true'}).raise_for_status()
        self.cookie = f"PHPSESSID={self.http.cookies['PHPSESSID']}"

    def api(self, module: str, request: str, params: dict | None = None) -> dict:
        """One ``POST api-user.php``; its JSON answer."""
        data = {'module': module, 'request': request}
        if params:
            data['params'] = json.dumps(params)
        answer = self.http.post(self.url + 'api-user.php', data=data, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def create(self, jid: int) -> str:
        """Ask the image engine for a job's cube; its staging id."""
        answer = self.api('image-engine', '0-create-dl3d', {'jid': jid})
        if not answer.get('success'):
            raise RuntimeError(f'staging job {jid} failed: {answer}')
        return answer['data']['ieID']

    def is_ready(self, ie_id: str) -> bool:
        return self.api('image-engine', '0-is-job-ready', {'ieid': ie_id})['status'] == 'READY'

    def wait(self, ie_ids: list[str], interval: float = 0.01, limit: float = 600) -> None:
        """Poll every ``interval`` seconds until every staging is READY."""
        deadline = time.monotonic() + limit
        left = list(ie_ids)
        while left:
            left = [ie_id for ie_id in left if not self.is_ready(ie_id)]
            if left:
                if time.monotonic() > deadline:
                    raise TimeoutError(f'stagings {left} not READY after {limit} s')
                time.sleep(interval)

    def stage(self, jids: list[int]) -> list[str]:
        """Stage every job's cube at once, wait until all are READY: their URLs."""
        ie_ids = [self.create(jid) for jid in jids]
        self.wait(ie_ids)
        return [f'{self.url}v3image-download.php?jid={jid}&ieid={ie_id}'
                for jid, ie_id in zip(jids, ie_ids)]

    def close(self) -> None:
        self.http.close()


def baseline_tool() -> str:
    """``'curl'`` when curl is installed, else ``'socket'``."""
    return 'curl' if shutil.which('curl') else 'socket'


def fetch_baseline(urls: list[str], cookie: str, folder: Path) -> int:
    """Fetch each URL into a file of ``folder`` one after another; the bytes received.

    With curl: one process for all URLs (one connection, as a user would
    run it). Without: a plain HTTP/1.1 GET on a socket, read in 1 MiB blocks.
    """
    files = [folder / f'baseline-{index}.bin' for index in range(len(urls))]
    if baseline_tool() == 'curl':
        command = ['curl', '--silent', '--show-error', '--fail', '--cookie', cookie]
        for url, path in zip(urls, files):
            command += ['--output', str(path), url]
        subprocess.run(command, check=True)
    else:
        for url, path in zip(urls, files):
            _socket_get(url, cookie, path)
    return sum(path.stat().st_size for path in files)


def _socket_get(url: str, cookie: str, path: Path) -> None:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port or 80)) as connection, \
            open(path, 'wb') as out:
        connection.sendall(f'GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}'
                           f'\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n'.encode())
        reader = connection.makefile('rb')
        head = b''
        while not head.endswith(b'\r\n\r\n'):
            line = reader.readline()
            if not line:
                raise ConnectionError(f'{url}: the answer ended in its headers')
            head += line
        if not head.startswith(b'HTTP/1.1 200'):
            raise ConnectionError(f'{url}: {head.splitlines()[0]!r}')
        while block := reader.read1(1 << 20):
            out.write(block)


def python_seconds(code: str) -> float:
    """Seconds that ``code`` takes in a fresh interpreter (start-up not counted)."""
    script = f'import time\n_t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)'
    done = subprocess.run([sys.executable, '-c', script], check=True, capture_output=True,
                          text=True)
    return float(done.stdout.strip().splitlines()[-1])
