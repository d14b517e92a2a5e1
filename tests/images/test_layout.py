"""The image pipeline's place in the package: it imports nothing above it.

`telescope_query.images` takes the client as an argument (the seam of
`telescope_query.contract`, checked in ``tests/test_contract.py``); it never
imports the public class, the session or the legacy layer, and its package
imports nothing, so that ``import telescope_query`` does not load it.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

IMAGES = Path(__file__).resolve().parents[2] / 'telescope_query' / 'images'
ABOVE = {'core', 'session', 'legacy'}


def _imported(path: Path) -> set[str]:
    """The package's modules that ``path`` imports, as names below ``telescope_query``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.ImportFrom):
            base = (node.module or '').split('.')
            if node.level == 2 or base[0] == 'telescope_query':
                parts = base[1:] if base[0] == 'telescope_query' else base
                names.update([parts[0]] if parts and parts[0] else
                             [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split('.')[1] for alias in node.names
                         if alias.name.startswith('telescope_query.'))
    return names


@pytest.mark.parametrize('path', sorted(IMAGES.glob('*.py')), ids=lambda p: p.name)
def test_images_imports_nothing_above_it(path):
    assert not _imported(path) & ABOVE


def test_importing_the_package_does_not_load_the_pipeline():
    code = ('import sys, telescope_query; '
            'print(sorted(m for m in sys.modules if m.startswith("telescope_query.images")))')
    loaded = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            check=True).stdout
    # The session needs the cache's layout (account_folder), nothing else of it.
    assert ast.literal_eval(loaded) == [
        'telescope_query.images', 'telescope_query.images.cache', 'telescope_query.images.product']
