"""Plain helpers of the reliability suite (the fixtures are in ``conftest.py``)."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from telescope_query import staging
from telescope_query.products import ProductFormatError, check_product

PASSWORDS = {'demo': 'demo', 'alice': 'alice-Secret-42'}


def unique(prefix: str) -> str:
    """A name no other test uses (the simulator is shared by the session)."""
    return f'{prefix} {uuid.uuid4().hex[:8]}'


def cache_problems(folder: Path) -> list[str]:
    """Everything that is not sound in a cache folder (empty list: all is well).

    - no temporary file (``*.part``, ``*.tmp``) is left behind;
    - every product (``*.fits``/``*.zip`` under ``products/``) has its
      verification record and matches it, and opens as a complete FITS file or
      zip of FITS files;
    - every record file parses as JSON.
    """
    folder = Path(folder)
    problems = []
    if not folder.exists():
        return problems
    for path in folder.rglob('*'):
        if not path.is_file():
            continue
        if path.name.endswith(('.part', '.tmp')):
            problems.append(f'temporary file left: {path}')
        elif path.suffix in ('.fits', '.zip') and 'products' in path.parts:
            if staging._verified_size(path) is None:
                problems.append(f'product does not match its verification record: {path}')
            try:
                check_product(path)
            except ProductFormatError as exc:
                problems.append(f'corrupt product: {exc}')
        elif path.suffix == '.json':
            try:
                json.loads(path.read_text(encoding='utf-8'))
            except ValueError:
                problems.append(f'unreadable record: {path}')
    return problems


def demo_jids(sim, user: str = 'demo') -> list[int]:
    """Successful jobs of an account, in id order."""
    return sorted({r.jid for r in sim.archive.requests(user) if r.jid})
