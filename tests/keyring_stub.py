"""An in-memory keyring, so that tests and doctests never touch the machine's own.

``MemoryKeyring(passwords)`` keeps ``{(service, username): password}`` in its
``passwords`` dict; ``with keyring_in_use(backend):`` makes any backend (this
one, or keyring's failing ``keyring.backends.fail.Keyring``) the one `keyring`
uses, and puts the previous one back after.

Imported as ``keyring_stub`` by the tests (pytest puts this folder on
``sys.path``, as for ``helpers``) and by ``docs/conftest.py``.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import keyring
import keyring.backend

__all__ = ['MemoryKeyring', 'keyring_in_use']


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in this process only: what `keyring` gets on a desktop."""

    priority = 1

    def __init__(self, passwords: dict[tuple[str, str], str] | None = None):
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = dict(passwords or {})

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)


@contextlib.contextmanager
def keyring_in_use(backend: keyring.backend.KeyringBackend) -> Iterator[
        keyring.backend.KeyringBackend]:
    """Use ``backend`` as the keyring inside the block; the previous one after."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
