"""The live-site client shared by the ``remote_data`` tests."""
from __future__ import annotations

import os

import pytest

from telescope_query import LoginError, TelescopeClass, conf

LIVE_SERVER = 'https://www.telescope.org/'


@pytest.fixture(scope='module')
def live(tmp_path_factory):
    """A client logged in to the live telescope.org, or a skip.

    Checked in this order so that a machine without credentials skips before
    any network call: the server, the user name, then the password sources
    (login looks them up before it sends anything), and only then the site.
    """
    if os.environ.get('TELESCOPE_QUERY_SERVER'):
        pytest.skip('TELESCOPE_QUERY_SERVER is set: these tests are for the live site')
    user = os.environ.get('TELESCOPE_QUERY_USER')
    if not user:
        pytest.skip('set TELESCOPE_QUERY_USER (and a password in the keyring or '
                    'TELESCOPE_QUERY_PASSWORD) to run the live tests')
    with conf.set_temp('server', LIVE_SERVER):
        client = TelescopeClass()
        client.cache_location = tmp_path_factory.mktemp('live-cache')
        try:
            client.login(user)
        except LoginError as exc:
            pytest.skip(f'cannot log in to the live site: {exc}')
        yield client
        client.logout()
