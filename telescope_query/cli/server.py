"""Which server the command line talks to: the ``--server`` option and the demo's
simulator, both through the ``TELESCOPE_QUERY_SERVER`` variable."""
from __future__ import annotations

import contextlib
import os
from typing import Iterator

from ..session import SERVER_ENV

__all__ = ['use_server']


@contextlib.contextmanager
def use_server(url: str) -> Iterator[None]:
    """Point every client at ``url`` (through ``TELESCOPE_QUERY_SERVER``) while
    the block runs, then restore the environment as it was.

    The environment rather than ``conf``: the variable overrides ``conf.server``,
    and clients read it at call time, also those built by code we call.
    """
    saved = os.environ.get(SERVER_ENV)
    os.environ[SERVER_ENV] = url if url.endswith('/') else url + '/'
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(SERVER_ENV, None)
        else:
            os.environ[SERVER_ENV] = saved
