"""`Simulator`: the simulated telescope.org served on a free port of 127.0.0.1.

.. code-block:: python

    with Simulator(accounts={'demo': 'demo'}, requests=200, image_size=64) as sim:
        requests.post(sim.url + 'login.php', data={...})
"""
from __future__ import annotations

import secrets
import threading
import time
from typing import Any, Mapping

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SimulatorApp
from .archive import Archive
from .counters import Counters
from .engine import ImageEngine
from .faults import Faults
from .images import ProductStore

__all__ = ['Simulator']


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request line (errors still are)."""

    def log_request(self, code: int | str = '-', size: int | str = '-') -> None:
        pass


class Simulator:
    """A local telescope.org speaking the site's protocol, for tests and demos.

    Parameters
    ----------
    accounts : mapping of str to str, optional
        User name to password; default ``{'demo': 'demo'}``.
    requests : int
        Generated requests per account.
    image_size : int
        Width and height in pixels of the synthetic images.
    product_mb : float, optional
        Pad each product to about this many megabytes (benchmarks).
    staging_seconds : float
        Image-engine processing time (settable at run time).
    latency_ms : float
        Added to every call (settable at run time).
    seed : int
        Seed of the synthetic archive and images.
    now : float, optional
        Unix time the archive is anchored to; default the time of creation.
    fixed_draws : bool
        The same archive on every run, whatever ``now`` is: its requests,
        jobs and statuses come from ``seed`` alone and only their times follow
        ``now`` (the test fixtures use it). By default each ``now`` draws its
        own.
    queue_limits : mapping of str to int, optional
        Requests each named account may have in the queue (status < 8); the
        others 10, the site's standard account.  Settable at run time with
        `set_queue_limit`.
    host : str
        Address to listen on; only the loopback address is meant.
    port : int
        Port; 0 picks a free one.
    log_requests : bool
        Log every request line (the command line does; tests do not).

    Attributes
    ----------
    url : str
        ``'http://127.0.0.1:PORT/'`` once started.
    archive, products, counters, faults
        The simulator's state (see `~.archive.Archive`, `~.images.ProductStore`,
        `~.counters.Counters`, `~.faults.Faults`).
    startup_seconds : float
        Time from construction to serving, as measured by `start`.
    archive_id : str
        This simulator's own identity, new for every instance, sent in the
        ``X-Archive-Id`` header of its login answers: a client tells by it
        that another simulator now answers at the same address (the live
        site sends no such header).
    """

    def __init__(self, accounts: Mapping[str, str] | None = None, *, requests: int = 2000,
                 image_size: int = 1536, product_mb: float | None = None,
                 staging_seconds: float = 0.0, latency_ms: float = 0, seed: int = 1,
                 now: float | None = None, queue_limits: Mapping[str, int] | None = None,
                 fixed_draws: bool = False, host: str = '127.0.0.1', port: int = 0,
                 log_requests: bool = False) -> None:
        self._created = time.perf_counter()
        self.host, self.port = host, port
        self.archive = Archive(accounts if accounts is not None else {'demo': 'demo'},
                               requests_per_account=requests, seed=seed, now=now,
                               queue_limits=queue_limits, fixed_draws=fixed_draws)
        self.products = ProductStore(image_size=image_size, product_mb=product_mb,
                                     seed=seed)
        self.counters = Counters()
        self.faults = Faults()
        self.engine = ImageEngine(self.products, staging_seconds)
        self.archive_id = secrets.token_hex(8)
        self.app = SimulatorApp(self.archive, self.engine, self.faults, self.counters,
                                latency_ms=latency_ms, archive_id=self.archive_id)
        self._handler = WSGIRequestHandler if log_requests else _QuietHandler
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.startup_seconds: float | None = None

    # -- run-time knobs ---------------------------------------------------------------
    @property
    def staging_seconds(self) -> float:
        """Image-engine processing time in seconds."""
        return self.engine.staging_seconds

    @staging_seconds.setter
    def staging_seconds(self, value: float) -> None:
        self.engine.staging_seconds = float(value)

    @property
    def latency_ms(self) -> float:
        """Milliseconds added to every call."""
        return self.app.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.app.latency_ms = float(value)

    def set_queue_limit(self, user: str, limit: int) -> None:
        """Let ``user`` have ``limit`` requests in the queue from the next submission."""
        self.archive.set_queue_limit(user, limit)

    def complete_queue(self, user: str | None = None) -> list[tuple[int, int]]:
        """The clock knob: every queued request (of ``user``, or of all) becomes a job.

        Returns the ``(rid, jid)`` pairs completed.
        """
        return self.archive.complete_queue(user)

    # -- life cycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL with a trailing ``/``."""
        if self._server is None:
            raise RuntimeError('the simulator is not running: call start() or use "with"')
        return f'http://{self.host}:{self._server.port}/'

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> 'Simulator':
        """Serve in a background thread (one thread per connection)."""
        if self._closed:
            raise RuntimeError('a stopped simulator cannot be started again')
        if self._server is None:
            self._server = make_server(self.host, self.port, self.app, threaded=True,
                                       request_handler=self._handler)
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={'poll_interval': 0.05},
                                            name=f'simulator:{self._server.port}',
                                            daemon=True)
            self._thread.start()
            if self.startup_seconds is None:
                self.startup_seconds = time.perf_counter() - self._created
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the command line)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and release the products and workers."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join()
            self._server = self._thread = None
        if not self._closed:
            self._closed = True
            self.engine.close()
            self.products.close()

    def __enter__(self) -> 'Simulator':
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else 'stopped'
        return f'<Simulator {where} users={self.archive.users()}>'
