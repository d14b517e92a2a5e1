"""Case 6: import time of ``telescope_query`` against astroquery's own.

Each figure is the time of the import statement alone (interpreter start-up
not counted) in a fresh interpreter, the best of several, alternating.

The baseline is ``from astroquery.query import QueryWithLogin``: astroquery's
query machinery, which every astroquery service module imports before any
code of its own (and which brings in astropy, requests and pyvo). That is
"astroquery alone" as a user meets it; the bare ``import astroquery`` loads
only the package's configuration and logger and is reported for information.
Target: at most 2 times astroquery's: the package adds its own modules and
astropy's Table, Time, units and coordinates on top, which astroquery's
service modules (ESO, MAST: about 1×) also load; more than twice would mean
something heavy (matplotlib, the simulator's werkzeug, keyring backends,
tqdm's notebook widgets) is imported eagerly and should be deferred.
"""
from __future__ import annotations

from common import Row, python_seconds

NAME = 'imports'
PROJECT = 'import telescope_query'
BASELINE = 'from astroquery.query import QueryWithLogin'
BARE = 'import astroquery'


def settings(quick: bool) -> None:
    return None                             # no simulator needed


def run(server, quick: bool) -> list[Row]:
    repeat = 1 if quick else 7
    times: dict[str, list[float]] = {PROJECT: [], BASELINE: [], BARE: []}
    for _ in range(repeat):
        for code in times:
            times[code].append(python_seconds(code))
    ours, base, bare = (min(times[code]) * 1000 for code in (PROJECT, BASELINE, BARE))
    return [
        Row(NAME, 'import telescope_query', ours, 'ms', base, 'astroquery.query',
            ours / base, ('ratio', '<=', 2.0), f'best of {repeat} fresh interpreters'),
        Row(NAME, 'import telescope_query vs bare astroquery', ours, 'ms', bare,
            'import astroquery', ours / bare, note='for information'),
    ]
