"""Fixtures of the command line's tests: ``cli`` runs ``telescope-query`` in-process.

Every test has its own keyring (in memory), astropy cache and home folder: the
machine's are never touched.
"""
from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass

import pytest
from astropy.config import paths

from telescope_query.cli import main

from helpers import PASSWORDS
from keyring_stub import MemoryKeyring, keyring_in_use


@dataclass
class Run:
    status: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def memory_keyring():
    with keyring_in_use(MemoryKeyring()) as ring:
        yield ring


@pytest.fixture
def cli(client_env, memory_keyring, tmp_path, capsys, monkeypatch):
    """``cli(*argv, stdin='')`` runs telescope-query in-process and returns a `Run`.

    The simulator is the server (``client_env``); the cache is under ``tmp_path``;
    standard input is not a terminal unless a test says otherwise.
    """
    cache = tmp_path / 'astropy-cache'
    cache.mkdir()
    monkeypatch.chdir(tmp_path)

    def run(*argv: str, stdin: str = '') -> Run:
        capsys.readouterr()
        monkeypatch.setattr(sys, 'stdin', io.StringIO(stdin))
        with paths.set_temp_cache(cache):
            status = main(list(argv))
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


@pytest.fixture
def as_demo(monkeypatch):
    """The demo account's password in the environment, as a cron job would have it."""
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'demo')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', PASSWORDS['demo'])
