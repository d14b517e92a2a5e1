"""The tests' one in-memory keyring (``keyring_stub``), shared with docs/conftest.py."""
from __future__ import annotations

import ast
from pathlib import Path

import keyring
import pytest

from keyring_stub import MemoryKeyring, keyring_in_use

ROOT = Path(__file__).resolve().parent.parent


def test_memory_keyring_keeps_passwords_and_is_put_back_after_the_block():
    before = keyring.get_keyring()
    with pytest.raises(RuntimeError):
        with keyring_in_use(MemoryKeyring({('service', 'ann'): 'one'})) as ring:
            assert keyring.get_keyring() is ring
            assert keyring.get_password('service', 'ann') == 'one'
            keyring.set_password('service', 'bob', 'two')
            keyring.delete_password('service', 'ann')
            raise RuntimeError('the block fails')
    assert keyring.get_keyring() is before
    assert ring.passwords == {('service', 'bob'): 'two'}


def _keyring_backends(path: Path) -> list[str]:
    """Classes of a file built straight on ``keyring.backend.KeyringBackend``."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    return [node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
            and any(ast.unparse(base).endswith('KeyringBackend') for base in node.bases)]


def test_there_is_one_in_memory_keyring():
    files = sorted((ROOT / 'tests').rglob('*.py')) + [ROOT / 'docs' / 'conftest.py']
    defined = {path.relative_to(ROOT).as_posix(): _keyring_backends(path) for path in files}
    # test_demo.py's RecordingKeyring keeps no password: it records that the
    # demo never used the keyring, another tool.
    assert {path: names for path, names in defined.items() if names} == {
        'tests/keyring_stub.py': ['MemoryKeyring'],
        'tests/cli/test_demo.py': ['RecordingKeyring']}
