"""The seam of `telescope_query.contract`: what the session offers the modules that use it.

The modules that take a client (``listing``, ``views``, ``search``, the image
and submission pipelines, ``site_check``, the legacy layer on top) use nothing
private of it beyond `~telescope_query.contract.Client`; the session has every
member; and the one-shot page call keeps its promise: sent once, never retried
by the transport, never sent again after a renewal.
"""
from __future__ import annotations

import ast
from pathlib import Path
from types import FunctionType

import pytest

from telescope_query import RemoteServiceError
from telescope_query.contract import Client
from telescope_query.protocol import pages, request_form
from telescope_query.session import SessionQuery

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / 'telescope_query'
PAGE = 'request-constructor.php'
LOGIN = 'login.php'
#: The modules that implement the seam rather than use it.
SESSION_SIDE = {'core.py', 'session.py', 'contract.py'}


def _contract() -> set[str]:
    """The members of `Client`: its properties, methods and attributes."""
    return {name for name, value in vars(Client).items()
            if isinstance(value, (property, FunctionType))} | set(Client.__annotations__)


def _uses_of_the_client(path: Path) -> set[str]:
    """Attributes read on a name ``client`` (or ``self`` in the legacy layer)."""
    names = {'client', 'self'} if 'legacy' in path.parts else {'client'}
    tree = ast.parse(path.read_text(encoding='utf-8'))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in names}


def _client_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob('*.py')
                  if 'simulator' not in p.parts and 'cli' not in p.parts
                  and p.name not in SESSION_SIDE)


def test_the_contract_lists_what_the_modules_rely_on():
    assert {'server_url', '_url', '_api_call', '_page', '_stream', '_require_login',
            'user', 'product_cache', '_records'} <= _contract()


@pytest.mark.parametrize('path', _client_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_use_only_the_contract(path):
    private = {name for name in _uses_of_the_client(path) if name.startswith('_')}
    allowed = _contract() | ({'_legacy_fetch', '_legacy_place', '_legacy_plan',
                              '_products_root'} if 'legacy' in path.parts else set())
    assert private <= allowed, (
        f'{path.name} uses {sorted(private - allowed)} of the client, which '
        f'telescope_query.contract.Client does not list')


def test_the_session_has_every_member_of_the_contract(telescope):
    for name in _contract():
        assert hasattr(SessionQuery, name) or hasattr(telescope, name), name


# --- _page(..., idempotent=False): a one-shot page call ---------------------------------

def _new_form(client, **options) -> str:
    return client._page(request_form.PAGE, params=request_form.NEW_PARAMS, method='GET',
                        **options)


def test_a_page_is_retried_by_the_transport(telescope, simulator):
    simulator.counters.reset()
    simulator.faults.add('http_500', endpoint=PAGE, count=1)
    assert request_form.extract_ticket(_new_form(telescope), 'new')
    assert simulator.counters[PAGE] == 2


def test_a_one_shot_page_is_sent_once_whatever_happens(telescope, simulator):
    simulator.counters.reset()
    simulator.faults.add('http_500', endpoint=PAGE, count=1)
    with pytest.raises(RemoteServiceError, match='HTTP 500'):
        _new_form(telescope, idempotent=False)
    assert simulator.counters[PAGE] == 1
    assert request_form.extract_ticket(_new_form(telescope, idempotent=False), 'new')
    assert simulator.counters[PAGE] == 2


def test_a_one_shot_page_answered_by_the_login_form_is_not_sent_again(telescope, simulator):
    simulator.counters.reset()
    simulator.faults.add('login_page', endpoint=PAGE, count=1)
    text = _new_form(telescope, idempotent=False)
    assert pages.is_login_form(text)              # the caller reads it: nothing was done
    assert simulator.counters[PAGE] == 1 and simulator.counters[LOGIN] == 0


def test_a_one_shot_page_is_never_cached(telescope, simulator):
    simulator.counters.reset()
    with pytest.raises(ValueError, match='idempotent'):
        _new_form(telescope, idempotent=False, cache=True)
    assert simulator.counters.total() == 0


# --- _session_generation: whether calls ran on one session ------------------------------

def test_the_session_generation_changes_when_the_session_is_renewed(telescope, simulator):
    generation = telescope._session_generation
    telescope.get_folders()
    assert telescope._session_generation == generation
    simulator.faults.add('expire_session', count=1)
    telescope.get_folders()
    assert telescope._session_generation != generation
    with pytest.raises(AttributeError):
        telescope._session_generation = 0          # read only: the session keeps it
