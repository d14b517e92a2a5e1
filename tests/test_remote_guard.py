"""The live-site tests skip cleanly on a machine without credentials, touching no network.

``tests/remote`` runs in a separate pytest process with ``--remote-data=any
--live-submit`` (everything switched on), no ``TELESCOPE_QUERY_*`` variables,
a home folder without ``~/.config/telescope.ini``, keyring's failing backend,
and a plugin that refuses and records every connection and name lookup.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

GUARD = '''
import os
import socket

LOG = os.environ['NETWORK_GUARD_LOG']


def _refuse(what):
    with open(LOG, 'a') as log:
        log.write(what + '\\n')
    raise OSError(f'network guard: {what}')


def _connect(self, address, *args):
    _refuse(f'connect {address!r}')


def _getaddrinfo(host, *args, **kwargs):
    _refuse(f'getaddrinfo {host!r}')


socket.socket.connect = _connect
socket.socket.connect_ex = _connect
socket.getaddrinfo = _getaddrinfo
socket.create_connection = lambda address, *a, **k: _refuse(f'connect {address!r}')
'''


@pytest.mark.parametrize('user', [None, 'jsmith'], ids=['no user', 'user, no password'])
def test_live_tests_without_credentials_all_skip_before_any_network_call(tmp_path, user):
    (tmp_path / 'network_guard.py').write_text(GUARD)
    home = tmp_path / 'home'
    home.mkdir()
    log = tmp_path / 'network.log'
    env = {name: value for name, value in os.environ.items()
           if not name.startswith('TELESCOPE_QUERY_')}
    env.update(HOME=str(home), NETWORK_GUARD_LOG=str(log),
               PYTHON_KEYRING_BACKEND='keyring.backends.fail.Keyring',
               PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path),
                                                        env.get('PYTHONPATH')])))
    if user:
        env['TELESCOPE_QUERY_USER'] = user
    done = subprocess.run(
        [sys.executable, '-m', 'pytest', 'tests/remote', '--remote-data=any',
         '--live-submit', '-q', '-p', 'no:cacheprovider', '-p', 'network_guard'],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=120)
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(r'=* ?\d+ skipped in [\d.]+s ?=*', summary), summary
    assert 'error' not in summary and 'passed' not in summary
    assert not log.exists(), log.read_text()
