"""The narrated offline demo: ``telescope-query demo``.

It starts the built-in simulator of telescope.org on a free loopback port and walks
through what the package does, saying what each step is before doing it: log in,
list folders and the latest requests, open their views for what the listing does not
give, find a recently completed three-colour job, download its 3-D FITS cube, open
it as an `~astropy.io.fits.HDUList`, write a quick-look colour PNG, submit a new
request and show it waiting in the queue.

It needs no account and no network, and leaves the user's own settings alone: the
password is passed directly (nothing goes to the keyring), the cache is a temporary
folder removed at the end, and ``TELESCOPE_QUERY_SERVER`` is pointed at the simulator
only while the demo runs. The files it makes go into one folder (by default
``./telescope-demo``), so they can be looked at afterwards.
"""
from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.table import Table

from .. import tables

__all__ = ['run_demo', 'DemoResult', 'DEMO_FOLDER']

#: Where the demo writes its files unless told otherwise (relative to the current folder).
DEMO_FOLDER = 'telescope-demo'

#: The demo's own account on its simulator.
DEMO_USER, DEMO_PASSWORD = 'demo', 'demo'

#: The three-colour filter of COAST and of PIRATE: their cubes make colour previews.
THREE_COLOUR = ('BVR', 'Colour')
#: Completed requests whose views the demo opens to find a three-colour one.
_LOOK_AT = 20

#: A target that rises high above Teide most of the year (the Andromeda galaxy).
DEMO_TARGET = '00:42:44.33 +41:16:07.5'


@dataclass
class DemoResult:
    """What the demo made, for callers and tests."""

    folder: Path
    jid: int | None = None
    cube: Path | None = None
    png: Path | None = None
    rid: int | None = None
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)


class _Narrator:
    """Numbered steps and indented results on one text stream."""

    def __init__(self, stream: TextIO | None, quiet: bool):
        self.stream = stream
        self.quiet = quiet
        self.step_number = 0

    def _write(self, text: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(text)
        stream.flush()

    def step(self, text: str) -> None:
        self.step_number += 1
        if not self.quiet:
            self._write('\n' + textwrap.fill(f'{self.step_number}. {text}', width=88,
                                             subsequent_indent='   ') + '\n')

    def show(self, text: str) -> None:
        if not self.quiet:
            lines = text.rstrip('\n').splitlines()
            self._write(''.join(f'   {line}'.rstrip() + '\n' for line in lines))

    def always(self, text: str) -> None:
        self._write(text.rstrip('\n') + '\n')


def _table_text(table: Table, columns: list[str]) -> str:
    from .output import format_table
    return format_table(table[[name for name in columns if name in table.colnames]])


def run_demo(folder: str | os.PathLike = DEMO_FOLDER, *, requests: int = 2000,
             image_size: int = 512, quiet: bool = False, stream: TextIO | None = None,
             show_progress: bool = True, seed: int = 2024) -> DemoResult:
    """Run the narrated tour on a fresh simulator.

    Parameters
    ----------
    folder : str or path-like
        Where to write the downloaded cube and the preview PNG (created if needed).
    requests : int
        Number of requests in the demo account's synthetic history.
    image_size : int
        Side of the synthetic images, in pixels.
    quiet : bool
        Say only where the files are, not every step.
    stream : file-like, optional
        Where the narration goes (default: standard output). Progress bars go to
        standard error, and only when it is a terminal.
    show_progress : bool
        Progress bars for the download.
    seed : int
        Seed of the synthetic archive: the same seed tells the same story.

    Returns
    -------
    result : `DemoResult`
    """
    from ..core import TelescopeClass
    from ..simulator import Simulator
    from .server import use_server

    started = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result = DemoResult(folder=folder)
    say = _Narrator(stream, quiet)

    say.step(f'Starting a simulator of telescope.org on a free loopback port, with an '
             f'account "{DEMO_USER}" holding {requests} requests and '
             f'{image_size}x{image_size}-pixel images. Nothing leaves this machine.')
    with Simulator(accounts={DEMO_USER: DEMO_PASSWORD}, requests=requests,
                   image_size=image_size, staging_seconds=0.5, latency_ms=0,
                   seed=seed) as sim, \
            tempfile.TemporaryDirectory(prefix='telescope-demo-cache-') as cache, \
            use_server(sim.url):
        say.show(f'Serving {sim.url}')
        client = TelescopeClass()
        client.cache_location = cache  # a throw-away cache: the user's stays untouched

        say.step(f'Logging in as "{DEMO_USER}". The password is passed directly here; '
                 'for your own account it comes from the keyring (telescope-query login).')
        client.login(DEMO_USER, password=DEMO_PASSWORD)

        say.step('Your folders, with the number of requests in each (get_folders):')
        say.show(_table_text(client.get_folders(), ['folder_id', 'name', 'count']))

        listing = client.get_requests(sort='rid')
        say.step(f'The account has {len(listing)} requests; the five with the highest '
                 'request ids, with what the server\'s listing gives (get_requests): no '
                 'telescope, filter, exposure or job:')
        say.show(_table_text(listing[:5], ['rid', 'object_name', 'status_text',
                                           'requested', 'comment', 'seen']))
        say.step('Those are on each request\'s own page, its view: one call each '
                 '(get_request_details, or get_requests with details=True). Views that '
                 'can no longer change are cached:')
        say.show(_table_text(client.get_request_details(listing[:5]),
                             ['rid', 'telescope', 'filter', 'exposure', 'jid']))

        say.step('The newest completed three-colour request, and the job that observed '
                 'it. The server\'s completion order puts some older requests first, so the '
                 'views of the first few are sorted by their completion times '
                 '(get_requests sorted by completion, then get_request_details):')
        done = client.get_requests(sort='completion', status='complete')[:_LOOK_AT]
        details = client.get_request_details(done) if len(done) else done
        if len(details):  # a colour preview needs the three-colour filter
            details = details[np.isin(np.ma.filled(details['filter'], ''), THREE_COLOUR)]
        if len(details) == 0:
            raise RuntimeError('the demo account has no completed three-colour request')
        details = tables.by_completion(details)[:1]
        result.jid = int(details['jid'][0])
        say.show(_table_text(details, ['rid', 'jid', 'object_name', 'completed',
                                       'telescope', 'filter', 'exposure']))

        say.step(f'Downloading the 3-D FITS cube of job J{result.jid}: the image engine '
                 'stages it, the client polls until it is ready, streams it, checks its '
                 'size and that it opens as FITS, then renames it into place '
                 '(download_data).')
        manifest = client.download_data([result.jid], path=folder, cube=True,
                                        show_progress=show_progress)
        say.show(_table_text(manifest, ['jid', 'product', 'status', 'size',
                                        'local_path']))
        row = manifest[0]
        if str(row['status']) == 'ERROR':
            raise RuntimeError(f"the demo download failed: {row['message']}")
        result.cube = Path(str(row['local_path']))
        result.files.append(result.cube)

        say.step('Opening it as an HDUList (astropy.io.fits.open) and printing its summary:')
        with fits.open(result.cube) as hdul:
            say.show(_info_text(hdul))
            say.step('A quick-look colour composite of the three filters, overscan '
                     'cropped (preview), saved as PNG:')
            result.png = _write_preview(client, hdul, folder / f'{result.jid}.png', say)
        if result.png is not None:
            result.files.append(result.png)

        say.step(f'Submitting a new request: the Andromeda galaxy ({DEMO_TARGET}), '
                 '60 s with COAST through the B, V and R filters. Everything is '
                 'checked before anything is sent (submit):')
        result.rid = client.submit(DEMO_TARGET, exposure=60 * u.s, telescope='COAST',
                                   filter='BVR', name='M 31 (demo)',
                                   comment='telescope-query demo')
        say.show(f'New request R{result.rid}')

        say.step('It is waiting in the queue (get_request_details):')
        say.show(_table_text(client.get_request_details(result.rid),
                             ['rid', 'object_name', 'status', 'status_text',
                              'telescope', 'filter', 'exposure']))
        client.logout()

    result.seconds = time.perf_counter() - started
    names = ', '.join(path.name for path in result.files)
    say.always(f'\nDone in {result.seconds:.1f} s. Files in {folder}{os.sep}: {names}')
    return result


def _info_text(hdul: fits.HDUList) -> str:
    """``hdul.info()`` as text."""
    import io

    buffer = io.StringIO()
    hdul.info(output=buffer)
    return buffer.getvalue()


def _write_preview(client, hdul: fits.HDUList, path: Path, say: _Narrator) -> Path | None:
    """Save ``preview(hdul)`` as PNG; without matplotlib, say how to get it."""
    try:
        figure = client.preview(hdul)
    except ImportError as exc:  # matplotlib is an optional extra
        say.show(f'No preview: {exc}')
        return None
    # The Figure is not attached to pyplot: saving it opens no window.
    figure.savefig(path, dpi=100)
    say.show(f'Wrote {path}')
    return path
