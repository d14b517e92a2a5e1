"""``telescope-query demo``: the narrated tour runs offline, quickly, and leaves the
user's cache, keyring and environment alone."""
from __future__ import annotations

import os
import socket
import time

import keyring
import keyring.backend
import pytest
from astropy.config import paths
from astropy.io import fits

from telescope_query.cli import main
from telescope_query.cli.demo import run_demo

STEPS = ['Starting a simulator', 'Logging in as "demo"', 'Your folders',
         'The account has 2000 requests', 'The newest completed three-colour request',
         'Downloading the 3-D FITS cube', 'Opening it as an HDUList',
         'A quick-look colour composite', 'Submitting a new request',
         'It is waiting in the queue']


class RecordingKeyring(keyring.backend.KeyringBackend):
    """A keyring that only records that someone used it."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.calls = []

    def get_password(self, service, username):
        self.calls.append(('get', service, username))

    def set_password(self, service, username, password):
        self.calls.append(('set', service, username))

    def delete_password(self, service, username):
        self.calls.append(('delete', service, username))


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """An empty astropy cache and a recording keyring; no connection beyond loopback."""
    cache = tmp_path / 'user-cache'
    cache.mkdir()
    ring = RecordingKeyring()
    saved = keyring.get_keyring()
    keyring.set_keyring(ring)
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', 'https://sentinel.invalid/')
    real_connect = socket.socket.connect

    def loopback_only(sock, address):
        if isinstance(address, tuple) and address[0] not in ('127.0.0.1', '::1', 'localhost'):
            raise AssertionError(f'the demo tried to reach {address}')
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, 'connect', loopback_only)
    try:
        with paths.set_temp_cache(cache):
            yield cache, ring
    finally:
        keyring.set_keyring(saved)


def test_demo_command_runs_offline_in_under_30_seconds(isolated, tmp_path, capsys):
    cache, ring = isolated
    folder = tmp_path / 'demo-files'
    started = time.perf_counter()
    status = main(['demo', '--dir', str(folder)])
    seconds = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert status == 0, err
    assert seconds < 30
    positions = [out.index(f'. {step}') for step in STEPS]
    assert positions == sorted(positions)                  # every step, in order
    cubes = list(folder.glob('*.fits'))
    pngs = list(folder.glob('*.png'))
    assert len(cubes) == 1 and len(pngs) == 1
    with fits.open(cubes[0]) as hdul:
        assert hdul[0].data.shape == (3, 512, 512)
        assert f'Filename: {cubes[0]}' in out               # the hdul.info() summary
    assert pngs[0].read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert pngs[0].stem == cubes[0].stem                    # the same job
    assert f'Files in {folder}{os.sep}: {cubes[0].name}, {pngs[0].name}' in out
    # The user's cache, keyring and server setting are untouched.
    assert list(cache.iterdir()) == []
    assert ring.calls == []
    assert os.environ['TELESCOPE_QUERY_SERVER'] == 'https://sentinel.invalid/'


def test_demo_result_and_queue(isolated, tmp_path, capsys):
    result = run_demo(tmp_path / 'out', requests=150, image_size=64, show_progress=False)
    out = capsys.readouterr().out
    assert result.cube == tmp_path / 'out' / f'{result.jid}.fits'
    assert result.png == tmp_path / 'out' / f'{result.jid}.png'
    assert f'New request R{result.rid}' in out
    queue_lines = out[out.index('It is waiting in the queue'):].splitlines()
    row = next(line for line in queue_lines if line.strip().startswith(str(result.rid)))
    assert 'M 31 (demo)' in row and 'Waiting' in row and 'COAST' in row
    assert 'The account has 150 requests' in out


def test_quiet_demo_says_only_where_the_files_are(isolated, tmp_path, capsys):
    status = main(['demo', '-q', '--dir', str(tmp_path / 'q'), '--requests', '100',
                   '--size', '48'])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.strip().startswith('Done in') and out.count('\n') == 2
    assert err == ''


def test_demo_without_matplotlib_still_finishes(isolated, tmp_path, capsys, monkeypatch):
    def no_matplotlib(self, *args, **kwargs):
        raise ImportError("preview() needs matplotlib, an optional dependency")

    monkeypatch.setattr('telescope_query.core.TelescopeClass.preview', no_matplotlib)
    result = run_demo(tmp_path / 'np', requests=100, image_size=48, show_progress=False)
    out = capsys.readouterr().out
    assert result.png is None and result.cube.is_file()
    assert 'No preview: preview() needs matplotlib' in out
    assert result.rid is not None


def test_demo_options(isolated, tmp_path, capsys):
    """--dir, --requests, --size and -v each change what the demo does."""
    folder = tmp_path / 'tour'
    assert main(['demo', '-v', '--dir', str(folder), '--requests', '60', '--size', '24']) == 0
    out, err = capsys.readouterr()
    assert 'holding 60 requests and 24x24-pixel images' in out
    assert 'The account has 60 requests' in out
    (cube,) = folder.glob('*.fits')
    with fits.open(cube) as hdul:
        assert hdul[0].data.shape == (3, 24, 24)
    assert "INFO: Logged in to http://127.0.0.1:" in err       # -v: the client says more
