"""A local telescope.org that speaks the site's real protocol.

``Simulator`` serves the synthetic archive of :mod:`.archive` with the
products of :mod:`.images` over HTTP on 127.0.0.1, with switchable faults
(:mod:`.faults`) and call counters (:mod:`.counters`). Run it with
``python -m telescope_query.simulator``; tests use the pytest fixtures of
:mod:`.pytest_plugin`.

This package is an independent implementation of the protocol: it never
imports anything from telescope_query outside ``telescope_query.simulator``.
"""
from .server import Simulator

__all__ = ['Simulator']
