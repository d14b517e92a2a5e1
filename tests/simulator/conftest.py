"""Helpers for the simulator's own tests: raw HTTP with `requests`, nothing of the client.

The ``simulator`` and ``simulator_factory`` fixtures come from the package's
pytest plugin (``telescope_query.simulator.pytest_plugin``).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator

import pytest
import requests
from bs4 import BeautifulSoup

PASSWORDS = {'demo': 'demo', 'alice': 'alice-Secret-42'}


@pytest.fixture
def login() -> Iterator[Callable[..., requests.Session]]:
    """``login(sim, user='demo')``: a `requests.Session` logged in to ``sim``."""
    made: list[requests.Session] = []

    def log_in(sim: Any, user: str = 'demo', password: str | None = None) -> requests.Session:
        http = requests.Session()
        made.append(http)
        answer = http.post(sim.url + 'login.php', timeout=30, data={
            'action': 'login', 'username': user,
            'password': PASSWORDS[user] if password is None else password,
            'stayloggedin': 'true'})
        answer.raise_for_status()
        return http

    yield log_in
    for http in made:
        http.close()


def api(http: requests.Session, sim: Any, module: str, request: str,
        params: dict | None = None) -> requests.Response:
    """One ``POST api-user.php`` as the original client sends it (``{}`` is dropped)."""
    data = {'module': module, 'request': request}
    if params:
        data['params'] = json.dumps(params)
    return http.post(sim.url + 'api-user.php', data=data, timeout=30)


@pytest.fixture(name='api')
def api_fixture() -> Callable[..., requests.Response]:
    """``api(http, sim, module, request, params=None)`` -> the raw answer."""
    return api


def value_rows(html: str) -> dict[str, str]:
    """Label -> value of every ``<tr>`` made of exactly two ``<td>`` cells."""
    rows = {}
    for tr in BeautifulSoup(html, 'html.parser').find_all('tr'):
        cells = tr.find_all('td')
        if len(cells) == 2:
            rows[cells[0].get_text()] = cells[1].get_text()
    return rows


@pytest.fixture(name='value_rows')
def value_rows_fixture() -> Callable[[str], dict[str, str]]:
    return value_rows


def is_login_form(html: str) -> bool:
    """A page with a ``<form`` holding ``username`` and ``password`` inputs."""
    soup = BeautifulSoup(html, 'html.parser')
    form = soup.find('form')
    return (form is not None and form.find('input', attrs={'name': 'username'}) is not None
            and form.find('input', attrs={'name': 'password'}) is not None)


@pytest.fixture(name='is_login_form')
def is_login_form_fixture() -> Callable[[str], bool]:
    return is_login_form

