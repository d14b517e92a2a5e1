"""Login, password sources, session renewal, logout, transport and secrets.

Against the simulator over loopback HTTP.
"""
from __future__ import annotations

import io
import logging
import pickle

import keyring
import pytest
import requests
from astroquery import log
from urllib3.response import HTTPResponse

from telescope_query import LoginError, RemoteServiceError, Telescope, TelescopeClass, conf
from telescope_query.legacy import Telescope as LegacyTelescope
from telescope_query import credentials, http
from telescope_query.protocol import pages
from telescope_query.session import SessionQuery

from keyring_stub import MemoryKeyring, keyring_in_use

SECRET = 'alice-Secret-42'


class BrokenKeyring(MemoryKeyring):
    """A machine without a usable keyring backend."""

    def get_password(self, service, username):
        raise keyring.errors.NoKeyringError('No recommended backend was available.')

    set_password = get_password


@pytest.fixture
def memory_keyring():
    with keyring_in_use(MemoryKeyring()) as ring:
        yield ring


@pytest.fixture
def broken_keyring():
    with keyring_in_use(BrokenKeyring()):
        yield


@pytest.fixture
def client(client_env, tmp_path):
    made = TelescopeClass()
    made.cache_location = tmp_path / 'cache'
    return made


def test_login_returns_true_and_is_checked_by_an_authenticated_call(client, simulator):
    assert client.login('demo', password='demo') is True
    assert client.user == 'demo' and client.authenticated()
    assert simulator.counters['login.php'] == 1
    assert simulator.counters['api-user.php/request-manager/0-get-my-folders'] == 1


def test_wrong_password_raises_naming_the_user_not_the_password(client):
    with pytest.raises(LoginError) as info:
        client.login('alice', password='not-' + SECRET)
    assert "'alice'" in str(info.value) and SECRET not in str(info.value)
    assert not client.authenticated() and client.user == ''
    with pytest.raises(LoginError, match='Not logged in'):
        client.get_folders()


@pytest.mark.parametrize('call', [
    lambda c: c.get_folders(), lambda c: c.get_requests(),
    lambda c: c.get_request_details(1), lambda c: c.get_job_details(1),
    lambda c: c.query_object('M 31'), lambda c: c.query_jobs(),
    lambda c: c._api_call('request-manager', '0-get-my-folders'),
    lambda c: c._page('v4request-view.php', params={'rid': 1}),
    lambda c: c.get_user_requests(), lambda c: c.get_job(1)])
def test_methods_before_login_raise_at_once(client_env, tmp_path, simulator, call):
    client = LegacyTelescope()          # the new calls and the original's
    client.cache_location = tmp_path / 'cache'
    with pytest.raises(LoginError, match='Telescope.login'):
        call(client)
    assert simulator.counters.total() == 0


def test_password_from_the_keyring_and_store_password(client, memory_keyring):
    with pytest.raises(LoginError, match='keyring'):
        client.login('alice')
    client.login('alice', password=SECRET, store_password=True)
    assert memory_keyring.passwords == {(credentials.KEYRING_SERVICE, 'alice'): SECRET}
    client.logout()
    assert client.login('alice') is True and client.user == 'alice'


def test_reenter_password_skips_the_keyring(client, memory_keyring, monkeypatch):
    memory_keyring.set_password(credentials.KEYRING_SERVICE, 'alice', 'stale')
    monkeypatch.setattr(credentials, 'interactive', lambda: True)
    monkeypatch.setattr(credentials.getpass, 'getpass', lambda prompt: SECRET)
    client.login('alice', reenter_password=True, store_password=True)
    assert memory_keyring.passwords[(credentials.KEYRING_SERVICE, 'alice')] == SECRET


def test_no_keyring_backend_is_quiet_when_the_environment_has_the_password(
        client, broken_keyring, monkeypatch, astroquery_log):
    # A cron job on a machine without a keyring: the environment supplies the
    # password, so there is nothing to warn about (quiet on success).
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'alice')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', SECRET)
    assert client.login() is True             # user from the environment too
    assert client.user == 'alice'
    assert [m.getMessage() for m in astroquery_log if m.levelno >= logging.WARNING] == []


@pytest.fixture
def failing_keyring(monkeypatch):
    """keyring's own backend of a machine that has none; the once-per-process
    warning starts unsaid."""
    from keyring.backends import fail
    monkeypatch.setattr(credentials, '_KEYRING_WARNED', False)
    with keyring_in_use(fail.Keyring()):
        yield


def _warnings(records):
    return [m.getMessage() for m in records if m.levelno >= logging.WARNING]


def test_failing_keyring_then_environment_logs_nothing(client, failing_keyring,
                                                       monkeypatch, astroquery_log):
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'alice')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', SECRET)
    assert client.login() is True
    assert _warnings(astroquery_log) == []


def test_failing_keyring_then_config_file_logs_nothing(client, failing_keyring, tmp_path,
                                                       astroquery_log):
    config = write_config(tmp_path / 'private.ini', 'alice', SECRET)
    config.chmod(0o600)
    assert client.login(config=str(config)) is True
    assert _warnings(astroquery_log) == []


def test_failing_keyring_and_no_password_says_so_in_the_error_alone(
        client, failing_keyring, astroquery_log):
    with pytest.raises(LoginError) as info:
        client.login('alice')
    message = str(info.value)
    assert '\n' not in message
    assert 'keyring' in message and 'unavailable' in message
    assert 'NoKeyringError' in message
    assert _warnings(astroquery_log) == []     # the error says it all


def test_failing_keyring_before_a_prompt_warns_once_per_process(
        client, failing_keyring, monkeypatch, astroquery_log):
    monkeypatch.setattr(credentials, 'interactive', lambda: True)
    monkeypatch.setattr(credentials.getpass, 'getpass', lambda prompt: SECRET)
    for _ in range(3):
        assert client.login('alice') is True
        client.logout()
    warnings = _warnings(astroquery_log)
    assert len(warnings) == 1 and 'keyring' in warnings[0]
    assert '\n' not in warnings[0]


def test_environment_password_belongs_to_the_environment_user(client, monkeypatch,
                                                              broken_keyring):
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'alice')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', SECRET)
    with pytest.raises(LoginError, match="'demo'.*TELESCOPE_QUERY_PASSWORD"):
        client.login('demo')


def write_config(path, user, password):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[telescope.org]\nuser = {user}\npassword = {password}\n')
    return path


def test_password_from_the_original_config_file(client, tmp_path, broken_keyring):
    config = write_config(tmp_path / 'telescope.ini', 'alice', SECRET)
    assert client.login(config=str(config)) is True and client.user == 'alice'


def test_default_config_file_in_home(client, broken_keyring, monkeypatch, tmp_path):
    import os
    write_config(tmp_path / 'home' / '.config' / 'telescope.ini', 'alice', SECRET)
    assert os.environ['HOME'] == str(tmp_path / 'home')
    assert client.login() is True and client.user == 'alice'


def test_missing_config_file_is_named(client, tmp_path):
    with pytest.raises(LoginError, match='nowhere.ini'):
        client.login(config=str(tmp_path / 'nowhere.ini'))


def test_no_password_anywhere_says_where_it_looked(client, broken_keyring):
    with pytest.raises(LoginError) as info:
        client.login('alice')
    message = str(info.value)
    for place in ('argument', 'keyring', 'TELESCOPE_QUERY_PASSWORD', 'telescope.ini',
                  'not an interactive session'):
        assert place in message


def test_no_user_name_at_all(client):
    with pytest.raises(LoginError, match='No user name'):
        client.login()


def test_conf_username_is_the_default_user(client):
    with conf.set_temp('username', 'alice'):
        assert client.login(password=SECRET) and client.user == 'alice'


def test_prompt_when_interactive(client, monkeypatch, broken_keyring):
    prompts = []
    monkeypatch.setattr(credentials, 'interactive', lambda: True)
    monkeypatch.setattr(credentials.getpass, 'getpass',
                        lambda prompt: prompts.append(prompt) or SECRET)
    assert client.login('alice')
    assert prompts == ['telescope.org password for alice: ']


def test_original_constructor_returns_a_fresh_logged_in_instance(client_env, tmp_path):
    scope = LegacyTelescope(user='alice', passwd=SECRET)
    assert isinstance(scope, TelescopeClass) and scope is not Telescope
    assert scope.user == 'alice' and not Telescope.authenticated()
    config = write_config(tmp_path / 'orig.ini', 'demo', 'demo')
    other = LegacyTelescope(config=str(config), cache=str(tmp_path / 'jobs'))
    assert other.user == 'demo' and other.legacy_cache == tmp_path / 'jobs'
    assert other.get_folders()['name'][0] == 'Inbox'
    assert TelescopeClass().user == '' == LegacyTelescope().user   # no arguments: no login
    assert Telescope().user == '' and isinstance(Telescope(), TelescopeClass)


def test_the_original_constructor_on_the_new_instance_says_where_it_went(client_env):
    # Telescope(config=...) was the original class; the new Telescope is an instance.
    with pytest.raises(TypeError, match='from telescope_query.legacy import Telescope'):
        Telescope(config='~/.config/telescope.ini')
    # The class too (it once gave Python's bare "takes 1 positional argument").
    for args, kwargs in ((('demo', 'demo'), {}), ((), {'user': 'demo'})):
        with pytest.raises(TypeError, match=r"TelescopeClass\(\.\.\.\) with the original.*"
                                            r"legacy import Telescope.*\.login\(username\)"):
            TelescopeClass(*args, **kwargs)


def test_expired_session_is_renewed_once_transparently(telescope, simulator):
    simulator.counters.reset()       # forget the fixture's login
    simulator.faults.add('expire_session', count=1)
    folders = telescope.get_folders()
    assert len(folders) == len(simulator.archive.folders('demo'))
    assert simulator.counters['login.php'] == 1


def test_session_that_keeps_expiring_is_a_login_error(telescope, simulator):
    simulator.counters.reset()       # forget the fixture's login
    simulator.faults.add('expire_session', count=None)
    with pytest.raises(LoginError, match='still not logged in'):
        telescope.get_folders()
    assert simulator.counters['login.php'] == 1       # renewed once, not in a loop


def test_expired_session_without_the_password_says_log_in_again(telescope, simulator):
    telescope._credentials = None         # as if the password had been forgotten
    simulator.faults.add('expire_session', count=1)
    with pytest.raises(LoginError, match='expired; log in again'):
        telescope.get_folders()


def test_login_form_instead_of_a_page_renews_the_session(telescope, simulator):
    simulator.counters.reset()       # forget the fixture's login
    rid = next(r.rid for r in simulator.archive.requests('demo') if r.jid)
    simulator.faults.add('login_page', endpoint='v4request-view.php', count=1)
    assert telescope.get_request_details(rid)['rid'][0] == rid
    assert simulator.counters['login.php'] == 1
    assert simulator.counters['v4request-view.php'] == 2


def _processed_page(simulator) -> str:
    """A page fetched with GET, as the session streams files: a job's processed page."""
    jid = next(r.jid for r in simulator.archive.requests('demo') if r.jid)
    return f'imageengine-request.php?jid={jid}&type=1'


def test_a_stream_answered_by_the_login_form_renews_the_session(telescope, simulator):
    simulator.counters.reset()       # forget the fixture's login
    simulator.faults.add('login_page', endpoint='imageengine-request.php', count=1)
    with telescope._stream(_processed_page(simulator)) as response:
        assert response.status_code == 200
        text = response.text         # read by the session, still readable
    assert text and not pages.is_login_form(text)
    assert simulator.counters['login.php'] == 1
    assert simulator.counters['imageengine-request.php'] == 2


def test_a_stream_still_answered_by_the_login_form_is_a_login_error(telescope, simulator):
    simulator.counters.reset()       # forget the fixture's login
    simulator.faults.add('login_page', endpoint='imageengine-request.php', count=None)
    with pytest.raises(LoginError, match='shows its login form although .demo. logged in'):
        telescope._stream(_processed_page(simulator))
    assert simulator.counters['login.php'] == 1       # renewed once, not in a loop


def _answer(body: bytes, content_type: str, status: int = 200,
            url: str = 'http://site/v3image-download.php') -> requests.Response:
    """A streamed answer with ``body`` and no Content-Length (as a chunked one)."""
    response = requests.Response()
    response.status_code, response.url = status, url
    response.headers['Content-Type'] = content_type
    response.raw = HTTPResponse(body=io.BytesIO(body), status=status, preload_content=False)
    return response


@pytest.mark.parametrize('status, url, logged_out', [
    (401, 'http://site/v3image-download.php', True),
    (403, 'http://site/v3image-download.php', True),
    (200, 'http://site/login.php', True),            # where a redirect ended
    (404, 'http://site/v3image-download.php', False),
])
def test_a_stream_is_logged_out_by_its_status_or_address(status, url, logged_out):
    answer = _answer(b'SIMPLE  =', 'application/fits', status, url)
    assert SessionQuery._stream_logged_out(answer, 'file') is logged_out
    assert not http.body_in_memory(answer)            # told without reading the body


def test_a_stream_reads_only_a_small_html_answer():
    product = _answer(b'SIMPLE  =' + bytes(2 << 20), 'application/fits')
    assert not SessionQuery._stream_logged_out(product, 'file')
    assert product.raw.tell() == 0                    # a product's body is never read
    form = _answer(LOGIN_FORM, 'text/html; charset=UTF-8')
    assert SessionQuery._stream_logged_out(form, 'file')
    page = _answer(b'<html><p>No such file</p></html>', 'text/html')
    assert not SessionQuery._stream_logged_out(page, 'file')
    assert page.content == b'<html><p>No such file</p></html>'   # handed over readable
    huge = _answer(b'<html>' + b' ' * (2 << 20), 'text/html')
    with pytest.raises(RemoteServiceError, match='HTML page of more than'):
        SessionQuery._stream_logged_out(huge, 'file')
    assert huge.raw.tell() <= (1 << 20) + (64 << 10)  # read no further than the bound


LOGIN_FORM = (b'<html><form action="login.php" method="post"><input name="username">'
              b'<input name="password" type="password"></form></html>')


def test_logout_ends_the_session(telescope, simulator):
    telescope.logout()
    assert simulator.counters['logout.php'] == 1
    assert telescope.user == '' and not telescope.authenticated()
    with pytest.raises(LoginError):
        telescope.get_folders()


def test_server_is_read_at_call_time(client, monkeypatch, simulator):
    assert client.server_url == simulator.url
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', 'http://127.0.0.1:9')
    assert client.server_url == 'http://127.0.0.1:9/'
    assert client._url('/request-constructor.php') == 'http://127.0.0.1:9//request-constructor.php'
    monkeypatch.delenv('TELESCOPE_QUERY_SERVER')
    with conf.set_temp('server', 'http://127.0.0.1:8/x/'):
        assert client.server_url == 'http://127.0.0.1:8/x/'


def test_reads_are_retried_on_5xx(telescope, simulator):
    simulator.counters.reset()       # forget the fixture's login
    simulator.faults.add('http_500', endpoint='api-user.php', count=2)
    assert len(telescope.get_folders()) > 0
    assert simulator.counters['api-user.php'] == 3


def test_reads_give_up_with_a_clear_error(telescope, simulator):
    simulator.counters.reset()       # forget the fixture's login
    simulator.faults.add('http_500', endpoint='api-user.php', count=None)
    with conf.set_temp('retries', 2):
        with pytest.raises(RemoteServiceError, match=r'0-get-my-folders: HTTP 500'):
            telescope.get_folders()
    assert simulator.counters['api-user.php'] == 3


def test_non_idempotent_calls_are_never_retried(telescope, simulator):
    simulator.counters.reset()       # forget the fixture's login
    simulator.faults.add('http_500', endpoint='api-user.php', count=1)
    with pytest.raises(RemoteServiceError, match='HTTP 500'):
        telescope._api_call('request-manager', '0-get-my-folders', idempotent=False)
    assert simulator.counters['api-user.php'] == 1


def test_unreachable_server_is_a_remote_service_error(client, monkeypatch):
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', 'http://127.0.0.1:9/')
    with conf.set_temp('retries', 0):
        with pytest.raises(RemoteServiceError, match='login: no answer') as info:
            client.login('alice', password=SECRET)
    assert info.value.__cause__ is None        # the request (with its body) is not kept


@pytest.mark.parametrize('fault', ['non_json', 'truncated_json'])
def test_broken_json_names_the_call_and_quotes_the_answer(telescope, simulator, fault):
    simulator.faults.add(fault, endpoint='api-user.php', count=1)
    with pytest.raises(RemoteServiceError) as info:
        telescope.get_requests()
    message = str(info.value)
    assert 'request-manager/1-get-list-own' in message and "'" in message


def test_failed_api_call_names_its_status(telescope):
    with pytest.raises(RemoteServiceError, match='no-such-module/0-x failed: status'):
        telescope._api_call('no-such-module', '0-x')
    answer = telescope._api_call('no-such-module', '0-x', allow_failure=True)
    assert not answer['success'] and 'status' in answer


def test_password_never_reaches_the_log_repr_or_a_pickle(client, astroquery_log):
    client.login('alice', password=SECRET)       # DEBUG: astroquery logs request bodies
    log.setLevel(5)                              # 5: it logs the answers instead
    client.login('alice', password=SECRET)
    text = '\n'.join(m.getMessage() for m in astroquery_log)
    cookie = client._session.cookies.get_dict()
    assert cookie and not any(value in text for value in cookie.values())
    assert 'username=alice' in text and 'action=login' in text     # bodies are logged...
    assert SECRET not in text                                       # ...redacted
    assert 'PHPSESSID=' not in text or 'Cookie: ********' in text
    assert SECRET not in repr(client) and SECRET not in repr(vars(client))
    with pytest.raises(TypeError):
        pickle.dumps(client._credentials.password)


def test_product_cache_is_per_server_inside_the_cache_location(telescope, tmp_path):
    folder = telescope.product_cache
    assert folder.is_dir() and tmp_path / 'cache' in folder.parents
    assert '127.0.0.1' in folder.parent.name      # products/<server>/<account>


def test_user_agent_names_the_package_then_astroquery(telescope, simulator):
    """As astroquery's own modules do (``BaseVOQuery``): the product first, then
    astroquery's part, for every kind of call (read, one-shot, streamed)."""
    import astroquery
    from telescope_query import __version__
    simulator.counters.reset()
    telescope.get_folders()
    telescope._api_call('request-manager', '0-get-my-folders', idempotent=False)
    with telescope._stream(_processed_page(simulator)):
        pass
    telescope.login('demo', password='demo')
    for endpoint in ('login.php', 'api-user.php', 'imageengine-request.php'):
        agent = simulator.counters.headers(endpoint)['User-Agent']
        words = agent.split()
        assert words[0] == f'telescope_query/{__version__}', agent
        assert words[1] == f'astroquery/{astroquery.__version__}', agent
        assert f'python-requests/{requests.__version__}' in words, agent
        assert agent.count('telescope_query/') == 1
