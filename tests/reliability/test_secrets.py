"""The password and the session cookie never leak.

The whole workflow runs as ``alice`` (password ``alice-Secret-42``) with
astroquery's log at its most verbose (level 5, below DEBUG) and Python's root
logger open too: login, listings, views, the job search, downloads, a
submission, the legacy calls, and errors (a wrong password, broken answers,
an expired session renewed, a login that fails over and over). Then:

- no log record, and no line any handler wrote, holds the password;
- no exception message or traceback (with its chained causes) holds it;
- neither ``repr`` nor ``str`` of the client holds it;
- no file under the temporary home, cache and download folders holds the
  password or the session cookie's value.

The original config file (``~/.config/telescope.ini``) draws a warning when
group or others can read it.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
import traceback
from pathlib import Path

import pytest
from astroquery import log as astroquery_log

from telescope_query.legacy import Telescope
from telescope_query import TelescopeClass, conf
from telescope_query.exceptions import LoginError, RemoteServiceError

from helpers import PASSWORDS, demo_jids, unique

PASSWORD = PASSWORDS['alice']
WRONG_PASSWORD = 'alice-Wrong-Guess-77'


@pytest.fixture
def everything_logged(capfd):
    """Every log record and every byte written by log handlers (astroquery's at
    level 5, and the root logger's), while the test runs."""
    records: list[logging.LogRecord] = []
    stream = io.StringIO()

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep, text = Keep(level=1), logging.StreamHandler(stream)
    text.setLevel(1)
    for quiet in ('urllib3', 'urllib3.connectionpool'):      # DEBUG, whatever set them
        logging.getLogger(quiet).setLevel(logging.NOTSET)
    text.setFormatter(logging.Formatter('%(name)s %(levelname)s %(message)s %(args)s'))
    root = logging.getLogger()
    saved = astroquery_log.level, root.level
    astroquery_log.setLevel(5)
    root.setLevel(1)
    for logger in (astroquery_log, root):
        logger.addHandler(keep)
        logger.addHandler(text)
    try:
        yield records, stream, capfd
    finally:
        for logger in (astroquery_log, root):
            logger.removeHandler(keep)
            logger.removeHandler(text)
        astroquery_log.setLevel(saved[0])
        root.setLevel(saved[1])


def files_under(*folders: Path):
    for folder in folders:
        for path in Path(folder).rglob('*'):
            if path.is_file():
                yield path, path.read_bytes()


def holds(data: bytes, secret: str) -> bool:
    """The secret in bytes as text, URL-encoded or UTF-16 (a careless writer's forms)."""
    from urllib.parse import quote
    forms = {secret, quote(secret), quote(secret, safe='')}
    return any(f.encode() in data or f.encode('utf-16-le') in data for f in forms)


@pytest.mark.parametrize('level', [5, 10])
def test_workflow_at_the_most_verbose_log_leaks_no_secret(simulator, client_env, tmp_path,
                                                          everything_logged, level):
    """At level 5 astroquery logs every answer with its headers (Set-Cookie);
    at level 10 (DEBUG) every request with its headers and body (the login
    form, the Cookie header). The log also goes to a file here, as astropy's
    ``log_to_file`` would write it."""
    records, stream, capfd = everything_logged
    astroquery_log.setLevel(level)
    home = Path(os.environ['HOME'])
    errors: list[BaseException] = []
    log_file = tmp_path / 'logs' / 'astroquery.log'
    log_file.parent.mkdir()
    with astroquery_log.log_to_file(str(log_file)):
        client, stranger, cookie = _workflow(simulator, tmp_path, errors)
    assert log_file.stat().st_size > 0
    _check_no_leak(records, stream, capfd, errors, tmp_path, home, level,
                   (client, stranger), cookie)


def _workflow(simulator, tmp_path, errors):
    """Every public operation, and errors on the way, as alice."""

    def expect_error(call, kind):
        with pytest.raises(kind) as caught:
            call()
        errors.append(caught.value)

    # A wrong password first: its error and log lines must hold neither password.
    stranger = TelescopeClass()
    stranger.cache_location = tmp_path / 'cache'
    expect_error(lambda: stranger.login('alice', password=WRONG_PASSWORD), LoginError)

    client = Telescope()            # the legacy class: the new calls and the original's
    client.cache_location = tmp_path / 'cache'
    simulator.faults.add('http_500', endpoint='login.php', count=1)   # a retried login
    client.login('alice', password=PASSWORD)
    cookie = {c.name: c.value for c in client._session.cookies}
    assert cookie, 'the client keeps no session cookie: nothing to check'

    jids = demo_jids(simulator, 'alice')[:2]
    rids = sorted(r.rid for r in simulator.archive.requests('alice'))[:3]
    client.get_folders()
    client.get_requests(sort='completion')
    client.get_request_details(rids)
    client.get_job_details(jids)
    client.query_object(simulator.archive.requests('alice')[0].object_name)
    client.query_jobs('2024-11-17 16:00', '2024-11-18 16:00')
    client.get_images(jids[0], show_progress=False)[0].close()
    client.download_data(jids, path=tmp_path / 'files', show_progress=False)
    # A position of its own: test_isolation looks for its own at 10:00 +40:00.
    client.submit('10:20:00 +41:00:00', exposure=30, name=unique('Secret run'))
    client.submit_missing(['11:00:00 +40:00:00'], dry_run=True)
    client.get_user_requests(1)
    client.get_job(jids[0])
    client.download_obs(jids[1], directory=tmp_path / 'legacy')

    # Errors on the way: broken answers, a renewed session, a login failing for good.
    simulator.faults.add('non_json', endpoint='api-user.php', count=1)
    expect_error(client.get_folders, RemoteServiceError)
    simulator.faults.add('expire_session', count=1)
    client.get_folders()                                  # renewed: the password is sent again
    simulator.faults.add('cut_connection', endpoint='login.php', count=None, after_bytes=3)
    simulator.faults.add('expire_session', count=1)
    with conf.set_temp('retries', 1):
        expect_error(client.get_folders, RemoteServiceError)
    simulator.faults.clear()
    simulator.faults.add('http_500', endpoint='login.php', count=None)
    with conf.set_temp('retries', 1):
        expect_error(lambda: client.login('alice', password=PASSWORD), RemoteServiceError)
    simulator.faults.clear()
    client.login('alice', password=PASSWORD)
    expect_error(lambda: client.get_request_details(1), Exception)

    return client, stranger, cookie


def _check_no_leak(records, stream, capfd, errors, tmp_path, home, level, clients, cookie):
    out, err = capfd.readouterr()
    logged = [(r.getMessage(), repr(r.args), str(r.__dict__)) for r in records]
    assert len(records) > 20, 'the log did not record the workflow: nothing was checked'
    if level == 5:
        assert any('Set-Cookie' in line[0] for line in logged), \
            'no answer headers were logged: the cookie was not exercised'
    else:
        assert any('password=' in line[0] for line in logged), \
            'no login form was logged: the redaction was not exercised'
    for secret in (PASSWORD, WRONG_PASSWORD):
        for line in logged:
            assert secret not in ' '.join(line), f'password in a log record: {line[0][:200]}'
        assert secret not in stream.getvalue()
        assert secret not in out and secret not in err
        for error in errors:
            text = ''.join(traceback.format_exception(error))
            assert secret not in text and secret not in repr(error)
        for client_ in clients:
            assert secret not in repr(client_) and secret not in str(client_)
        for path, data in files_under(tmp_path, home):
            assert not holds(data, secret), f'password in {path}'
    for path, data in files_under(tmp_path, home):
        for value in cookie.values():
            assert value.encode() not in data, f'session cookie in {path}'


# --- the original config file ------------------------------------------------------

def _config(home: Path, mode: int) -> Path:
    path = home / '.config' / 'telescope.ini'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[telescope.org]\nuser = alice\npassword = {PASSWORD}\n')
    path.chmod(mode)
    return path


@pytest.mark.parametrize('mode', [0o644, 0o640, 0o604, 0o666])
def test_config_file_readable_by_others_draws_a_warning(simulator, client_env, tmp_path,
                                                        mode, astroquery_log_records):
    """A ~/.config/telescope.ini that group or others may read holds a password
    in the open: logging in from it warns (naming the file, not the password)."""
    path = _config(Path(os.environ['HOME']), mode)
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    client.login('alice')
    warnings = [r.getMessage() for r in astroquery_log_records if r.levelname == 'WARNING']
    about = [w for w in warnings if 'telescope.ini' in w and 'readable' in w]
    assert about, f'no warning about {oct(mode)} permissions: {warnings}'
    assert all(PASSWORD not in w for w in warnings)
    assert str(path) in about[0] or '~/.config/telescope.ini' in about[0]


@pytest.mark.parametrize('given', ['explicit', 'default'])
def test_private_config_file_draws_no_warning(simulator, client_env, tmp_path, given,
                                              astroquery_log_records):
    """A config file only its owner can read (0600) is used without a warning."""
    path = _config(Path(os.environ['HOME']), 0o600)
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    client.login('alice', config=str(path) if given == 'explicit' else None)
    assert client.user == 'alice'
    assert not [r for r in astroquery_log_records
                if r.levelname == 'WARNING' and 'telescope.ini' in r.getMessage()]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600        # left as it was


@pytest.fixture
def astroquery_log_records():
    with astroquery_log.log_to_list() as records:
        yield records


# --- the password goes only to the server it was given for --------------------------

@pytest.mark.parametrize('switch', ['environment', 'conf.server', 'use_server'])
def test_password_goes_only_to_the_server_it_was_given_for(simulator_factory, client_env,
                                                           tmp_path, monkeypatch, switch):
    """Logged in to one server, the client pointed at another (the three ways a
    user or the command line can) sends that one neither the password nor any
    call: a LoginError names both servers; back on the first, all is as before."""
    from telescope_query.cli.server import use_server
    first, second = simulator_factory(), simulator_factory()
    monkeypatch.delenv('TELESCOPE_QUERY_SERVER')
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    with conf.set_temp('server', first.url):
        client.login('alice', password=PASSWORD)
        if switch == 'environment':
            monkeypatch.setenv('TELESCOPE_QUERY_SERVER', second.url)
            moved = contextlib.nullcontext()
        elif switch == 'conf.server':
            moved = conf.set_temp('server', second.url)
        else:
            moved = use_server(second.url)
        with moved:
            for call in (client.get_folders, lambda: client.get_request_details(1),
                         lambda: client.get_images(1, show_progress=False)):
                with pytest.raises(LoginError) as caught:
                    call()
                message = str(caught.value)
                assert first.url in message and second.url in message, message
                assert 'log in again' in message and PASSWORD not in message
            assert second.counters.total() == 0, second.counters
            client.logout()                                  # ends the first's session
        assert second.counters.total() == 0 and first.counters['logout.php'] == 1
        monkeypatch.delenv('TELESCOPE_QUERY_SERVER', raising=False)
        client.login('alice', password=PASSWORD)
        assert len(client.get_folders()) == len(first.archive.folders('alice'))
    assert first.counters['login.php'] == 2 and second.counters['login.php'] == 0


def test_a_new_login_binds_the_password_to_the_new_server(simulator_factory, client_env,
                                                           tmp_path, monkeypatch):
    """Logging in again after the switch is how to use the other server."""
    first, second = simulator_factory(), simulator_factory()
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', first.url)
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    client.login('alice', password=PASSWORD)
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', second.url)
    client.login('alice', password=PASSWORD)
    second.faults.add('expire_session', count=1)
    assert len(client.get_folders()) == len(second.archive.folders('alice'))
    assert second.counters['login.php'] == 2              # the login and one renewal
    monkeypatch.setenv('TELESCOPE_QUERY_SERVER', first.url)
    with pytest.raises(LoginError, match='log in again'):
        client.get_folders()
    assert first.counters['login.php'] == 1 and first.counters['api-user.php'] == 1


# --- no password in errors, their chains and frames, or the log, whatever the answer --

def _exposed(error: BaseException, secret: str, frames: bool = True) -> list[str]:
    """Where ``secret`` shows in an exception: its message, its chain
    (``__cause__``, ``__context__``), and (``frames``) the locals of every frame
    of every traceback on the way, as a debugger or a traceback printer with
    locals would show them (``repr``), PreparedRequest bodies included."""
    import requests
    found, seen, todo = [], set(), [error]
    for _ in range(100):                     # ends: a chain is a few links long
        if not todo:
            break
        exc = todo.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        for text in (str(exc), repr(exc), *map(repr, exc.args)):
            if secret in text:
                found.append(f'{type(exc).__name__} message: {text[:200]}')
        todo += [exc.__cause__, exc.__context__]
        held = [getattr(exc, 'request', None), getattr(exc, 'response', None)]
        tb = exc.__traceback__ if frames else None
        while tb is not None:
            frame = tb.tb_frame
            if frame.f_code.co_filename == __file__:      # the test's own frame
                tb = tb.tb_next
                continue
            for name, value in frame.f_locals.items():
                if secret in repr(value):
                    found.append(f'{frame.f_code.co_name}() local {name}: {repr(value)[:200]}')
                held.append(value)
            tb = tb.tb_next
        for value in held:
            responses = [value] if isinstance(value, requests.Response) else []
            requests_ = [value] if isinstance(value, requests.PreparedRequest) else []
            for response in list(responses):
                responses += list(response.history)
            requests_ += [r.request for r in responses if r.request is not None]
            for request in requests_:
                body = request.body if isinstance(request.body, str) else \
                    (request.body or b'').decode('utf-8', 'replace')
                if holds(body.encode(), secret) or secret in (request.url or ''):
                    found.append(f'a PreparedRequest body held: {body[:200]}')
    return found


def _log_leaks(records, stream, secret):
    lines = [r.getMessage() for r in records] + [stream.getvalue()]
    return [line[:200] for line in lines if secret in line]


ECHOES = {
    # the login answered by a page that quotes the form it was sent
    'HTTP 500 quoting the form': dict(kind='echo_form', endpoint='login.php', status=500),
    'HTTP 200 quoting the form': dict(kind='echo_form', endpoint='login.php', status=200),
    'HTTP 403 quoting the form': dict(kind='echo_form', endpoint='login.php', status=403),
    'HTTP 503 at every try': dict(kind='http_error', endpoint='login.php', status=503),
    'login answer cut': dict(kind='cut_connection', endpoint='login.php', after_bytes=5),
}


@pytest.mark.parametrize('when', ['login', 'renewal'])
@pytest.mark.parametrize('echo', list(ECHOES))
def test_a_failed_login_leaks_no_password(simulator, client_env, tmp_path, everything_logged,
                                          echo, when):
    """Whatever the login answer holds (the password itself, quoted back), the
    error has no password in its message, its chained causes, the locals of
    its frames or the request bodies they hold; no log record of astroquery,
    urllib3 or the root logger at their most verbose has it either."""
    records, stream, _ = everything_logged
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    fault = dict(ECHOES[echo])
    if when == 'renewal':
        client.login('alice', password=PASSWORD)
        simulator.faults.add('expire_session', count=1)
    simulator.faults.add(fault.pop('kind'), count=None, **fault)
    with conf.set_temp('retries', 1), pytest.raises((LoginError, RemoteServiceError)) as caught:
        if when == 'login':
            client.login('alice', password=PASSWORD)
        else:
            client.get_folders()
    assert simulator.counters['login.php'] >= 1 + (when == 'renewal')
    assert not _exposed(caught.value, PASSWORD), _exposed(caught.value, PASSWORD)
    assert any(r.name.startswith('urllib3') for r in records), 'urllib3 logged nothing'
    assert not _log_leaks(records, stream, PASSWORD)


def test_a_login_redirected_elsewhere_sends_the_password_once(simulator, client_env,
                                                             tmp_path, hostile_proxy,
                                                             everything_logged):
    """A login answered by a redirect (307 would send the form again, to wherever
    it points) is not followed: the password goes out once, to login.php."""
    records, stream, _ = everything_logged
    sent = []

    def handler(request, forward):
        sent.append((request.path, request.get_data()))
        if request.path.endswith('login.php'):
            return proxy.respond(307, [('Location', f'/elsewhere.php?p={PASSWORD}')], b'')
        return proxy.respond(*forward())

    proxy = hostile_proxy(handler)
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    with pytest.raises(LoginError) as caught:
        client.login('alice', password=PASSWORD)
    assert [path for path, body in sent if holds(body, PASSWORD)] == ['/login.php']
    assert not any(path.startswith('/elsewhere') for path, _ in sent)
    assert not _exposed(caught.value, PASSWORD)
    assert not _log_leaks(records, stream, PASSWORD)


@pytest.mark.parametrize('verbosity', [[], ['-v'], ['-vv']])
def test_the_command_line_error_leaks_no_password(simulator, client_env, monkeypatch,
                                                  capsys, tmp_path, verbosity, hostile_proxy):
    """``telescope-query folders`` whose login answer quotes the password first
    thing: its one-line error (and, with -v, the traceback; with -vv, the HTTP
    log) has none."""
    from astropy.config import paths
    from telescope_query.cli import main

    def handler(request, forward):
        if request.path.endswith('login.php'):
            said = f'Password {request.form.get("password")} is not accepted here'
            return proxy.respond(500, [('Content-Type', 'text/html')], said.encode())
        return proxy.respond(*forward())

    proxy = hostile_proxy(handler)
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'alice')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', PASSWORD)
    with conf.set_temp('retries', 0), paths.set_temp_cache(tmp_path / 'cache'):
        status = main([*verbosity, 'folders'])
    out, err = capsys.readouterr()
    assert status == 1 and 'login' in err and 'HTTP 500' in err
    assert PASSWORD not in out + err


@pytest.mark.parametrize('answer', ['HTTP 500 page', 'plain page', 'refusal', 'broken JSON'])
def test_an_answer_quoting_the_password_is_quoted_masked(simulator, client_env, tmp_path,
                                                         hostile_proxy, everything_logged,
                                                         answer):
    """A server that puts the password into a later answer (it had it from the
    login): the session's error quoting that answer masks it, and so does the
    log of the answer at astroquery's level 5."""
    records, stream, _ = everything_logged
    armed = []

    def handler(request, forward):
        if not armed or not request.path.endswith('api-user.php'):
            return proxy.respond(*forward())
        body = {'HTTP 500 page': f'<p>Fatal: login {PASSWORD} expired</p>',
                'plain page': f'<p>Hello {PASSWORD}</p>',
                'refusal': f'{{"success": 0, "status": "ERR_{PASSWORD}"}}',
                'broken JSON': f'{{"success": 1, "data": "{PASSWORD}'}[answer]
        status = 500 if answer == 'HTTP 500 page' else 200
        return proxy.respond(status, [('Content-Type', 'text/html')], body.encode())

    proxy = hostile_proxy(handler)
    client = TelescopeClass()
    client.cache_location = tmp_path / 'cache'
    client.login('alice', password=PASSWORD)
    armed.append(True)
    with conf.set_temp('retries', 0), pytest.raises(RemoteServiceError) as caught:
        client.get_folders()
    assert '0-get-my-folders' in str(caught.value) and '********' in str(caught.value)
    # The answer itself, which holds it, may be in a frame: the server sent it.
    assert not _exposed(caught.value, PASSWORD, frames=False)
    assert not _log_leaks(records, stream, PASSWORD)
