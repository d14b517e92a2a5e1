"""The benchmark cases, in the order they run.

Each case module has ``NAME``, ``settings(quick)`` (the simulator it needs,
or None) and ``run(server, quick)`` returning `common.Row` objects.
"""
from . import cache, details, download, imports, listing, mirror, resync, staging

#: Cases with equal simulator settings sit next to each other: they share one.
CASES = [download, staging, cache, listing, details, imports, mirror, resync]

__all__ = ['CASES']
