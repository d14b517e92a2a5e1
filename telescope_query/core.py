"""The telescope.org client: `TelescopeClass` and its instance `Telescope`.

The only module that talks to the server. Public methods check their
arguments, call the site through the private methods below, and hand the
answers to `telescope_query.protocol` (parsing) and `telescope_query.tables`.
The private methods listed in ``docs/internals.rst`` are the contract with
the modules below (staging, submission, legacy).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from astroquery import log
from astroquery.query import QueryWithLogin

from . import conf, credentials, http
from .exceptions import LoginError, RemoteServiceError
from .legacy import LegacyMixin
from .protocol import pages, user_api

__all__ = ['Telescope', 'TelescopeClass']

SERVER_ENV = 'TELESCOPE_QUERY_SERVER'


class TelescopeClass(LegacyMixin, QueryWithLogin):
    """Astroquery-style access to telescope.org (COAST and PIRATE).

    Parameters
    ----------
    user, passwd, config, cache
        The original library's constructor: when ``user`` or ``config`` is
        given, the new instance logs in at once (see `login`); ``passwd`` is
        the password, ``config`` the original config file
        (``~/.config/telescope.ini``) and ``cache`` the original folder for
        downloaded jobs (kept as ``legacy_cache`` for the legacy downloads).

    Examples
    --------
    >>> from telescope_query import Telescope        # doctest: +SKIP
    >>> Telescope.login('jochym')                     # doctest: +SKIP
    >>> Telescope.get_requests(status='Complete')     # doctest: +SKIP
    """

    def __init__(self, user: str = '', passwd: str = '', config: str | None = None,
                 cache: str = '.cache/jobs'):
        super().__init__()
        self._user = ''
        self._credentials: credentials.Credentials | None = None
        self._auth_lock = threading.RLock()
        self._transport_lock = threading.Lock()
        self._transport_setting: tuple | None = None
        # Counts logins, so that threads which all find the session expired
        # renew it once between them.
        self._session_generation = 0
        # astroquery's DEBUG hook logs request bodies: show it a redacted copy.
        self._session.hooks['response'] = [http.redacting_hook(self._response_hook)]
        self._once_session = http.one_shot_session(self._session)
        self.legacy_cache = Path(cache)
        if user or config:
            self.login(user or None, password=passwd or None, config=config)

    # --- Transport: what the modules below core use (docs/internals.rst) -----

    @property
    def server_url(self) -> str:
        """Base URL with a trailing ``/``: ``TELESCOPE_QUERY_SERVER`` or ``conf.server``."""
        url = os.environ.get(SERVER_ENV, '').strip() or str(conf.server)
        return url if url.endswith('/') else url + '/'

    def _url(self, path: str) -> str:
        """``server_url + path``; a leading ``/`` is kept (the site accepts ``//``)."""
        return self.server_url + path

    @property
    def user(self) -> str:
        """The logged-in user name (``''`` when nobody is logged in)."""
        return self._user

    @property
    def product_cache(self) -> Path:
        """Folder of verified image products of this server, in the cache location."""
        netloc = urlsplit(self.server_url).netloc or 'server'
        folder = self.cache_location / 'products' / netloc.replace(':', '_')
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _require_login(self) -> None:
        """Raise `~astroquery.exceptions.LoginError` at once when nobody is logged in."""
        if not self._authenticated:
            raise LoginError("Not logged in to telescope.org: call Telescope.login() first "
                             "(or set TELESCOPE_QUERY_USER and a password source).")

    def _ensure_transport(self) -> None:
        # Configuration is read at call time: remount when the retry settings change.
        setting = (int(conf.retries), float(conf.backoff_factor), int(conf.max_workers))
        if setting != self._transport_setting:
            with self._transport_lock:
                http.configure_session(self._session, retries=setting[0],
                                       backoff_factor=setting[1],
                                       pool_size=max(10, setting[2]))
                self._transport_setting = setting

    def _send(self, method: str, url: str, *, what: str, params: Any = None,
              data: Any = None, headers: dict | None = None, stream: bool = False,
              idempotent: bool = True) -> requests.Response:
        """One HTTP call; transport failures and HTTP errors become RemoteServiceError.

        The session is used directly rather than through ``BaseQuery._request``:
        astroquery's response cache must never see a logged-in call, and its
        ``cache=False`` path flips a global setting that is not thread-safe.
        """
        self._ensure_transport()
        session = self._session if idempotent else self._once_session
        try:
            response = session.request(method, url, params=params, data=data,
                                       headers=headers, stream=stream,
                                       timeout=float(conf.timeout))
        except requests.RequestException as exc:
            message = f"{what}: no answer from {url.split('?')[0]} ({type(exc).__name__}: {exc})"
            if _has_secret(data):
                # The exception holds the prepared request, body and all.
                raise RemoteServiceError(f"{what}: no answer from {url.split('?')[0]} "
                                         f"({type(exc).__name__})") from None
            raise RemoteServiceError(message) from exc
        if response.status_code >= 400 and not stream:
            raise RemoteServiceError(f"{what}: HTTP {response.status_code} from "
                                     f"{url.split('?')[0]}: {user_api.quote_body(response.text)}")
        return response

    def _api_once(self, module: str, request: str, params: dict | None,
                  idempotent: bool) -> dict:
        """One ``api-user.php`` call, decoded; a login page reads as not logged in."""
        call = f'{module}/{request}'
        response = self._send('POST', self._url(user_api.ENDPOINT), what=call,
                              data=user_api.api_form(module, request, params),
                              idempotent=idempotent)
        try:
            return user_api.parse_answer(response.text, call)
        except RemoteServiceError:
            # PROTOCOL.md 1 [assumed]: an expired session answers JSON
            # ERR_NOT_LOGGED_IN; a site that sends its login page instead is
            # read the same way rather than as a broken answer.
            if pages.is_login_form(response.text):
                return {'success': 0, 'status': user_api.NOT_LOGGED_IN, 'data': None}
            raise

    def _api_call(self, module: str, request: str, params: dict | None = None, *,
                  idempotent: bool = True, allow_failure: bool = False) -> dict:
        """``POST api-user.php``; returns the whole answer ``{"success", "status", "data"}``.

        Raises `~astroquery.exceptions.RemoteServiceError` (naming
        ``module/request`` and quoting the answer) for a broken answer, and for
        a falsy ``success`` unless ``allow_failure``. An expired session is
        renewed once when the password is in memory, else `LoginError`.
        ``idempotent=False`` is never retried by the transport.
        """
        self._require_login()
        call = f'{module}/{request}'
        generation = self._session_generation
        answer = self._api_once(module, request, params, idempotent)
        if user_api.is_not_logged_in(answer):
            self._renew_session(generation, call)
            answer = self._api_once(module, request, params, idempotent)
            if user_api.is_not_logged_in(answer):
                raise LoginError(f"{call}: still not logged in after logging in again as "
                                 f"{self._user!r}; call Telescope.login() again.")
        if not allow_failure and not user_api.succeeded(answer):
            raise RemoteServiceError(
                f"{call} failed: status {user_api.answer_status(answer)!r} "
                f"({user_api.quote_body(json.dumps(answer))})")
        return answer

    def _page(self, path: str, *, params: dict | None = None, data: Any = None,
              method: str = 'POST', cache: bool = False) -> str:
        """An HTML page of the logged-in session.

        A login form where a page was expected renews the session once, else
        `LoginError`. ``cache=True`` only for pages that never change (views of
        completed requests/jobs): the page is then kept per server and account.
        """
        self._require_login()
        key = ('page', method.upper(), path, _canonical(params), _canonical(data))
        if cache:
            cached = self._records.get(key)
            if isinstance(cached, str):
                return cached
        generation = self._session_generation
        url = self._url(path)
        text = self._send(method, url, what=path, params=params, data=data).text
        if pages.is_login_form(text):
            self._renew_session(generation, path)
            text = self._send(method, url, what=path, params=params, data=data).text
            if pages.is_login_form(text):
                raise LoginError(f"{path}: the site shows its login form although "
                                 f"{self._user!r} logged in again; call Telescope.login().")
        if cache:
            self._records.put(key, text)
        return text

    def _stream(self, url: str, *, headers: dict | None = None) -> requests.Response:
        """``GET url`` with ``stream=True`` on the logged-in session; the caller
        checks the status and closes the response. A relative ``url`` is taken
        from `server_url`."""
        self._require_login()
        if not urlsplit(url).scheme:
            url = self._url(url)
        return self._send('GET', url, what=url.split('?')[0].rsplit('/', 1)[-1],
                          headers=headers, stream=True)

    @property
    def _records(self) -> '_RecordCache':
        """Parsed records and unchanging pages of this server and account."""
        return _RecordCache(self.cache_location / 'records',
                            f'{self.server_url}\n{self._user}')

    # --- Session ----------------------------------------------------------------

    def _login(self, username: str | None = None, *, password: str | None = None,
               store_password: bool = False, reenter_password: bool = False,
               config: str | None = None) -> bool:
        """Log in to telescope.org.

        Parameters
        ----------
        username : str, optional
            Defaults to ``conf.username``, then ``TELESCOPE_QUERY_USER``, then
            ``user`` in the config file.
        password : str, optional
            When not given, looked up in this order: the keyring (service
            ``astroquery:telescope.org``), ``TELESCOPE_QUERY_PASSWORD``, the
            config file, and a prompt when the session is interactive.
        store_password : bool, optional
            Save the password in the keyring after a successful login.
        reenter_password : bool, optional
            Ignore stored passwords and ask again (to replace the keyring's).
        config : str, optional
            The original library's config file, section ``[telescope.org]``
            with keys ``user`` and ``password``; ``~/.config/telescope.ini``
            is read when it exists.

        Returns
        -------
        True
            Success is checked by an authenticated call.

        Raises
        ------
        `~astroquery.exceptions.LoginError`
            No password found (saying where it looked), or the site refused
            the user name and password.
        """
        name = credentials.find_username(username, default=str(conf.username or ''),
                                         config=config)
        found = credentials.find_credentials(name, password=password,
                                             reenter_password=reenter_password,
                                             config=config)
        with self._auth_lock:
            self._forget_session()
            self._post_login(found)
            answer = self._api_once('request-manager', '0-get-my-folders', None, True)
            if not user_api.succeeded(answer):
                self._session.cookies.clear()
                raise LoginError(f"Login to telescope.org as {name!r} failed: the site did "
                                 f"not accept the user name and password (it answered "
                                 f"{user_api.answer_status(answer)!r}).")
            self._credentials = found
            self._user = name
            self._session_generation += 1
            self._authenticated = True
        if store_password and not found.from_keyring:
            credentials.store_in_keyring(found)
        log.info(f"Logged in to {self.server_url} as {name!r} (password from the "
                 f"{found.source}).")
        return True

    def _post_login(self, found: credentials.Credentials) -> None:
        """Send the login form; the session cookie comes with its answer [seen]."""
        self._send('POST', self._url(pages.LOGIN_PATH), what='login',
                   data=pages.login_payload(found.username, found.password.reveal()))

    def _renew_session(self, generation: int, call: str) -> None:
        """Log in again after the site forgot the session, once for all threads."""
        with self._auth_lock:
            if self._session_generation != generation:
                return          # another thread has renewed it meanwhile
            if self._credentials is None:
                self._authenticated = False
                raise LoginError(f"{call}: the telescope.org session has expired; "
                                 f"log in again with Telescope.login().")
            log.info(f"The session of {self._user!r} expired; logging in again.")
            self._session.cookies.clear()
            self._post_login(self._credentials)
            self._session_generation += 1

    def _forget_session(self) -> None:
        self._authenticated = False
        self._credentials = None
        self._user = ''
        self._session.cookies.clear()

    def logout(self) -> None:
        """End the session on the site and forget the password.

        ``logout.php`` is [assumed] (the original never sent it): when the site
        does not answer it, a warning says so and the session is dropped here.
        """
        if self._authenticated:
            try:
                self._send('POST', self._url(pages.LOGOUT_PATH), what='logout')
            except RemoteServiceError as exc:
                log.warning(f"The site did not confirm the logout ({exc}); the local "
                            f"session is dropped anyway.")
        with self._auth_lock:
            self._forget_session()
            self._session_generation += 1

    # --- Images (issue 4): get_images, download_data, preview -------------

    # --- Submission (issue 5): submit, submit_missing -----------------------


@functools.wraps(TelescopeClass._login)
def _login_entry(self, *args, **kwargs):
    # astroquery's LoginABCMeta makes ``login`` call ``bases[0].login`` (here the
    # legacy mixin) and drops its result: call QueryWithLogin.login (cache off
    # during login) and return what _login returned.
    return QueryWithLogin.login(self, *args, **kwargs)


_login_entry.__name__ = _login_entry.__qualname__ = 'login'
TelescopeClass.login = _login_entry


def _has_secret(data: Any) -> bool:
    if isinstance(data, dict):
        return bool(http.SECRET_FIELDS & set(data))
    return False


def _canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of params/data, for cache keys."""
    if value is None:
        return None
    if isinstance(value, dict):
        return sorted([str(k), str(v)] for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [[str(k), str(v)] for k, v in value]
    return str(value)


class _RecordCache:
    """JSON files of parsed records, one folder per server and account.

    Only for things that never change (views of completed requests and jobs).
    Files are written atomically; an unreadable file counts as a miss.
    Nothing with a cookie or password is ever stored.
    """

    def __init__(self, root: Path, scope: str):
        self.folder = root / hashlib.sha256(scope.encode()).hexdigest()[:24]

    def _file(self, key: tuple) -> Path:
        name = hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:40]
        return self.folder / f'{name}.json'

    def get(self, key: tuple) -> Any:
        path = self._file(key)
        try:
            return json.loads(path.read_text(encoding='utf-8'), object_hook=_decode)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            return None

    def put(self, key: tuple, value: Any) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile('w', dir=self.folder, suffix='.tmp',
                                             delete=False, encoding='utf-8')
        try:
            with handle:
                json.dump(value, handle, default=_encode)
            os.replace(handle.name, self._file(key))
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {'__datetime__': value.isoformat()}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(obj: dict) -> Any:
    if set(obj) == {'__datetime__'}:
        return datetime.fromisoformat(obj['__datetime__'])
    return obj


Telescope = TelescopeClass()
