"""Plain helpers shared by the client's tests (the fixtures are in ``conftest.py``).

Imported as ``helpers`` (pytest puts this folder on ``sys.path``, as for
``sesame_stub``); the reliability suite has its own, ``reliability.helpers``.
"""
from __future__ import annotations

import uuid
from pathlib import Path

#: The simulator's accounts that the tests log in to.
PASSWORDS = {'demo': 'demo', 'alice': 'alice-Secret-42'}

# Endpoints, as the simulator counts them.
DOWNLOAD = 'v3image-download.php'
CREATE_CUBE = 'api-user.php/image-engine/0-create-dl3d'
POLL = 'api-user.php/image-engine/0-is-job-ready'
SET = 'api-user.php/request-constructor/0-rb-set'
SUBMIT = 'api-user.php/request-constructor/0-rb-submit'


# The seed documentation's real answer of 0-get-my-folders.
SEED_FOLDERS = [{'id': '1', 'creationtime': '0', 'name': 'Inbox', 'count': '1849'},
                {'id': '2', 'creationtime': '0', 'name': 'Favourites', 'count': None},
                {'id': '3', 'creationtime': '0', 'name': 'Archive', 'count': '447'},
                {'id': '4', 'creationtime': '0', 'name': 'Trash', 'count': '63'},
                {'id': '461', 'creationtime': '1407254495', 'name': 'Complete',
                 'count': '13'}]


def demo_jids(sim, user: str = 'demo') -> list[int]:
    """Successful jobs of an account (demo's by default), in id order."""
    return sorted({r.jid for r in sim.archive.requests(user) if r.jid})


def served_bytes(sim, jid: int, kind: str = 'cube', processed: bool = False,
                 flat: bool = False) -> bytes:
    """The product file exactly as the simulator serves it (``flat``: asked for
    with the job's flat id)."""
    job = sim.archive.job(jid)
    flat_id = (job.flat_id or 0) if flat else 0
    return Path(sim.products.path(job, kind, processed, flat_id)).read_bytes()


def own_simulator(simulator_factory, login_as, monkeypatch, *, legacy=False, **settings):
    """A simulator of the test's own (``settings`` as for `Simulator`) and a client
    logged in to it as demo (the original library's class with ``legacy``):
    ``(sim, client)``."""
    sim = simulator_factory(**settings)
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', sim.url)
    return sim, login_as('demo', legacy=legacy)


def unique(prefix: str) -> str:
    """A name no other test uses (the simulator is shared by the session)."""
    return f'{prefix} {uuid.uuid4().hex[:8]}'


def made(sim, name: str, user: str = 'demo') -> list:
    """An account's requests of that name, in the simulator's archive."""
    return [r for r in sim.archive.requests(user) if r.object_name == name]
