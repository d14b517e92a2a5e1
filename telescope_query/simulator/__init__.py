"""A local telescope.org that speaks the site's real protocol.

``Simulator`` serves the synthetic archive of :mod:`.archive` with the
products of :mod:`.images` over HTTP on 127.0.0.1, with switchable faults
(:mod:`.faults`) and call counters (:mod:`.counters`). Run it with
``python -m telescope_query.simulator``; tests use the pytest fixtures of
:mod:`.pytest_plugin` (opt-in: ``pytest_plugins = [...]`` in a conftest).

Where things are:

- data: :mod:`.model` (codes, telescopes, records), :mod:`.catalog`
  (targets), :mod:`.seed` (documented and recorded records),
  :mod:`.history` (generated histories), :mod:`.archive` (the living archive);
- HTTP: :mod:`.server` (``Simulator``), :mod:`.app` (routing, sessions,
  faults), :mod:`.api` (``api-user.php``), :mod:`.views` (pages, downloads),
  :mod:`.constructor` (the form flow), :mod:`.pages` (HTML),
  :mod:`.sessions`, :mod:`.values`;
- products: :mod:`.engine` (staging), :mod:`.images` (pixels, the store),
  :mod:`.headers` (FITS cards and frame times).

This package is an independent implementation of the protocol: it never
imports anything from telescope_query outside ``telescope_query.simulator``.
"""
from .server import Simulator

__all__ = ['Simulator']
