"""The import graph has layers: no module imports one above it.

From the bottom: the site's protocol and the exceptions (pure); the plain
helpers (arguments, tables, files, http, records, credentials, the seam's types
and the parts of the image pipeline that only read files); the session; the
modules that work through the seam (listing, views, search, the image and
submission pipelines, check-site); the public class; and on top the legacy
layer, the command line and the demo. The one exception is astroquery's idiom:
any module may read ``conf`` (and ``__version__``) from the package itself.
The simulator imports nothing of the client at all.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / 'telescope_query'

#: The rank of each module (dotted name below telescope_query): lower is lower.
RANKS = {
    'exceptions': 0, 'protocol': 0,
    'simulator': 0,         # a peer that imports nothing of the client
    'arguments': 1, 'tables': 1, 'utils': 1, 'files': 1, 'http': 1, 'records': 1,
    'credentials': 1, 'images.product': 1, 'images.fits': 1, 'images.cache': 1,
    'images.polling': 1, 'images.resume': 1,
    'contract': 1,          # the seam's types: what the session offers
    'session': 2,
    'listing': 3, 'views': 3, 'search': 3, 'images': 3, 'submit': 3, 'site_check': 3,
    'observe': 3, 'observe.observability': 1, 'monitor': 3, 'monitor.wait': 1,
    'sync': 3, 'sync.plan': 1, 'sync.ledger': 1, 'sync.lock': 1,
    'core': 4,
    'legacy': 5, 'cli': 5, '__main__': 5,
}


def rank(module: str) -> int:
    """The rank of a dotted module name: its own, or its package's (the package
    itself, whose ``__init__`` gathers the public names, is the top)."""
    if module == '':
        return max(RANKS.values()) + 1
    parts = module.split('.')
    for length in range(len(parts), 0, -1):
        name = '.'.join(parts[:length])
        if name in RANKS:
            return RANKS[name]
    raise KeyError(f'telescope_query.{module} has no rank in tests/test_layers.py')


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix('')
    parts = list(relative.parts)
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def imported(path: Path) -> set[str]:
    """The package's modules ``path`` imports (dotted below telescope_query), lazy
    imports in functions included; ``''`` for the package itself."""
    name = module_name(path)
    parts = name.split('.') if name else []
    package = parts if path.name == '__init__.py' else parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1] if node.level > 1 else package
                target = '.'.join(base + ([node.module] if node.module else []))
            elif (node.module or '').startswith('telescope_query'):
                target = node.module.removeprefix('telescope_query').lstrip('.')
            else:
                continue
            names = [alias.name for alias in node.names]
            # 'from . import listing' imports the module telescope_query.listing.
            subs = [f'{target}.{n}'.lstrip('.') for n in names
                    if (PACKAGE / Path(*f'{target}.{n}'.lstrip('.').split('.'))).with_suffix(
                        '.py').exists() or (PACKAGE / Path(*f'{target}.{n}'.lstrip(
                            '.').split('.'))).is_dir()]
            found.update(subs or [target])
        elif isinstance(node, ast.Import):
            found.update(alias.name.removeprefix('telescope_query').lstrip('.')
                         for alias in node.names if alias.name.startswith('telescope_query'))
    return found


CLIENT = sorted(p for p in PACKAGE.rglob('*.py')
                if 'simulator' not in p.relative_to(PACKAGE).parts)


@pytest.mark.parametrize('path', CLIENT, ids=lambda p: module_name(p) or '__init__')
def test_no_module_imports_upward(path):
    own = rank(module_name(path))
    upward = {target for target in imported(path)
              if target and rank(target) > own}     # '' is the package: conf
    assert not upward, (f'telescope_query.{module_name(path)} (rank {own}) imports '
                        f'{sorted(upward)}, above it')


def test_the_package_only_gives_conf_and_its_version_downwards():
    """``from telescope_query import conf`` (or ``from .. import conf``): the
    astroquery idiom. Nothing else is taken from the package's ``__init__``."""
    for path in CLIENT:
        tree = ast.parse(path.read_text(encoding='utf-8'))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (
                    (node.level and not node.module and module_name(path).count('.') + 1
                     == node.level) or node.module == 'telescope_query'):
                taken = {alias.name for alias in node.names}
                modules = {n for n in taken if (PACKAGE / f'{n}.py').exists()
                           or (PACKAGE / n).is_dir()}
                assert taken - modules <= {'conf', '__version__'}, (module_name(path), taken)


def test_the_simulator_imports_nothing_of_the_client():
    for path in sorted((PACKAGE / 'simulator').rglob('*.py')):
        tree = ast.parse(path.read_text(encoding='utf-8'))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f'{path.name} imports from above the simulator'
                assert not (node.module or '').startswith('telescope_query') or \
                    node.module.startswith('telescope_query.simulator'), path.name
