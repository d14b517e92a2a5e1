"""Small files written whole or not at all.

`write_atomically` writes a text to a temporary file beside its place and
renames it there: a reader finds the old content or the new, never half of
one, and a failure leaves no temporary behind.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ['write_atomically']


def write_atomically(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file renamed into place."""
    target = Path(path)
    handle = tempfile.NamedTemporaryFile('w', dir=target.parent, prefix=f'.{target.name}.',
                                         suffix='.tmp', delete=False, encoding='utf-8')
    try:
        with handle:
            handle.write(text)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return target
