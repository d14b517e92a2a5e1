"""The contract of docs/internals.rst: what the client offers the modules below ``core``.

The modules that receive the client as an argument use only what the page
lists (besides the public API), and the one-shot page call keeps its promise:
sent once, never retried by the transport, never sent again after a renewal.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from telescope_query import RemoteServiceError
from telescope_query.protocol import pages, request_form

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / 'telescope_query'
PAGE = 'request-constructor.php'
LOGIN = 'login.php'


def _contract() -> set[str]:
    """The names listed under "What ``TelescopeClass`` offers the modules below it"."""
    text = (ROOT / 'docs' / 'internals.rst').read_text(encoding='utf-8')
    section = text.split('What ``TelescopeClass`` offers the modules below it\n', 1)[1]
    section = section.split('\n', 1)[1]                   # its underline
    section = section.split('\n-----', 1)[0].rsplit('\n', 1)[0]   # up to the next title
    return set(re.findall(r'^``client\.(\w+)', section, flags=re.MULTILINE))


def _uses_of_the_client(path: Path) -> set[str]:
    """Attributes read on a name ``client`` in a module."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == 'client'}


def test_the_contract_lists_what_it_promised():
    assert {'server_url', '_url', '_api_call', '_page', '_stream', '_require_login',
            'user', 'product_cache'} <= _contract()


@pytest.mark.parametrize('path', sorted(p for p in PACKAGE.glob('*.py')
                                        if p.name not in ('core.py', 'session.py')),
                         ids=lambda p: p.name)
def test_modules_below_core_use_only_the_contract(path):
    private = {name for name in _uses_of_the_client(path) if name.startswith('_')}
    assert private <= _contract(), (
        f'{path.name} uses {sorted(private - _contract())} of the client, which '
        f'docs/internals.rst does not list')


def test_every_private_name_of_the_contract_exists(telescope):
    for name in _contract():
        assert hasattr(type(telescope), name) or hasattr(telescope, name), name


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
