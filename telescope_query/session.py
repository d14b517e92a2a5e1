"""The logged-in session: `SessionQuery`, the base of the client that talks to the server.

It holds what ``docs/internals.rst`` promises the modules below ``core``
(``server_url``, ``_url``, ``user``, ``product_cache``, ``_require_login``,
``_api_call``, ``_page``, ``_stream``, ``_session_generation``) and what keeps
the session alive: opening and closing it, and renewing it once, for all
threads, when the site has forgotten it. Every call goes through `SessionQuery._send`, on the
session itself rather than ``BaseQuery._request`` (see there). The public
methods live in `telescope_query.core`.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import requests
from astroquery import log
from astroquery.query import QueryWithLogin

from . import __version__, conf, credentials, http
from .exceptions import HTTPStatusError, LoginError, RemoteServiceError
from .images.cache import account_folder
from .protocol import pages, site, user_api
from .records import RecordCache, canonical

__all__ = ['SessionQuery', 'SERVER_ENV', 'MAX_RENEWALS']

SERVER_ENV = 'TELESCOPE_QUERY_SERVER'


# Logins one call may make itself to renew the session: in a long bulk job a
# session may expire again before a call renewed once is answered. Renewals
# that other threads made do not count (MAX_RESENDS bounds those).
MAX_RENEWALS = 3
# Times one call may be sent again after a renewal, its own or another
# thread's (many threads on a session that expires every few calls).
MAX_RESENDS = 30
# Generations whose count of calls sent is kept (_renewal_worked).
_SENT_KEPT = 8
# HTTP statuses read as "not logged in" rather than as a broken answer. PROTOCOL.md 1
# [assumed]: without a session the site answers 200 (JSON ERR_NOT_LOGGED_IN, or the
# login form); a site that answers 401 or 403 instead is renewed the same way.
_LOGGED_OUT_HTTP = (401, 403)
# The most of an HTML answer to a stream read to look for the login form in it
# (the form is a few kB).
_SMALL_PAGE = 1 << 20


def _logged_out_said(response: requests.Response) -> str:
    """How an answer said that the session is missing, for a message."""
    if response.status_code in _LOGGED_OUT_HTTP:
        return f"answers HTTP {response.status_code}"
    if pages.is_login_url(response.url):
        return "redirects to its login page"
    return "shows its login form"


class SessionQuery(QueryWithLogin):
    """A `~astroquery.query.QueryWithLogin` whose calls go through one logged-in session.

    It offers what `telescope_query.contract.Client` lists; `_login` finds the
    credentials (`telescope_query.credentials`) and opens the session.
    """

    def __init__(self):
        super().__init__()
        self._user = ''
        # Root of the product cache; None: ``products/`` in the cache location.
        self._products_root: Path | None = None
        self._credentials: credentials.Credentials | None = None
        # The server the credentials were given for (server_url at login): the
        # password and the session go to no other (docs/internals.rst, Renewal).
        self._login_server: str | None = None
        # The archive the login answer named (site.ARCHIVE_ID_HEADER), or ''.
        self._archive_id = ''
        self._auth_lock = threading.RLock()
        self._transport_lock = threading.Lock()
        self._transport_setting: tuple | None = None
        # Counts logins, so that threads which all find the session expired
        # renew it once between them.
        self._generation = 0
        # The newest generation on which a call was answered (not logged out).
        self._confirmed_generation = 0
        # How many calls were sent on each of the newest generations.
        self._sent: dict[int, int] = {}
        self._sent_lock = threading.Lock()
        # Changes when a login starts and when it ends, and at logout (not at a
        # renewal): a record cache chosen on one keeps nothing after (_records).
        self._account_epoch = 0
        # What the last login was answered (no body, no cookie value), for check_site.
        self._login_answer: dict[str, Any] | None = None
        # Astroquery's convention (BaseVOQuery): the product's name and version first.
        self._session.headers['User-Agent'] = http.user_agent(
            f'telescope_query/{__version__}', self._session.headers['User-Agent'])
        # astroquery's DEBUG hook logs request bodies: show it a redacted copy.
        self._session.hooks['response'] = [http.redacting_hook(self._response_hook,
                                                               self._secret_values)]
        self._once_session = http.one_shot_session(self._session)

    # --- What the modules below core use (docs/internals.rst) -------------------

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
        """Folder of verified image products of this server and account.

        ``<root>/<server>/<account>/`` (the account as a hash of its name), the
        root being ``products/`` in the cache location unless the original
        constructor was given a ``cache`` folder: a product of one account's
        job is never served from the cache to another account sharing the
        cache folder. The account is known locally after login, so a cached
        product still costs no HTTP call; before login (or after logout) this
        raises `~astroquery.exceptions.LoginError`.
        """
        self._require_login()
        user = self._user
        if not user:  # another thread logged out meanwhile
            raise LoginError("Not logged in to telescope.org: call Telescope.login() first.")
        root = self._products_root or self.cache_location / 'products'
        folder = account_folder(root, self.server_url, self._cache_account(user))
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @property
    def _session_generation(self) -> int:
        """A number that changes whenever the session is opened, renewed or closed.

        Read before and after some calls, it tells whether they all ran on one
        session (the tickets of the legacy form flow belong to one session).
        """
        return self._generation

    def _require_login(self) -> None:
        """Raise `~astroquery.exceptions.LoginError` at once when nobody is logged in,
        or when the server is no longer the one logged in to."""
        if not self._authenticated:
            raise LoginError("Not logged in to telescope.org: call Telescope.login() first "
                             "(or set TELESCOPE_QUERY_USER and a password source).")
        self._check_server()

    def _check_server(self) -> None:
        """`LoginError` when ``server_url`` is not the server of the login: the
        session and its password belong to that server alone."""
        bound, now = self._login_server, self.server_url
        if bound is None or now == bound:
            return
        source = SERVER_ENV if self._server_source() else 'conf.server'
        raise LoginError(f"Logged in to {bound} as {self._user!r}, but the server is now "
                         f"{now} (from {source}): the password goes only to the server it "
                         f"was given for. To use {now}, log in again (Telescope.login()); "
                         f"or point back at {bound}.")

    def _server_source(self) -> str:
        """For a message about the server: that ``TELESCOPE_QUERY_SERVER`` named it,
        when it overrides ``conf.server`` (else ``''``)."""
        named = os.environ.get(SERVER_ENV, '').strip()
        if not named or named.rstrip('/') == str(conf.server).rstrip('/'):
            return ''
        return f" (the server set by {SERVER_ENV}, which overrides conf.server {conf.server})"

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
        answer = self._renewing(
            call, lambda: self._api_once(module, request, params, idempotent),
            logged_out=user_api.is_not_logged_in,
            refused=lambda: (f"{call}: still not logged in after logging in again as "
                             f"{self._user!r}; call Telescope.login() again."))
        if not allow_failure and not user_api.succeeded(answer):
            raise RemoteServiceError(self._hide_secrets(
                f"{call} failed: status {user_api.answer_status(answer)!r} "
                f"({user_api.quote_body(json.dumps(answer))})"))
        return answer

    def _page(self, path: str, *, params: dict | None = None, data: Any = None,
              method: str = 'POST', cache: bool = False, idempotent: bool = True) -> str:
        """An HTML page of the logged-in session.

        A login form where a page was expected renews the session once, else
        `LoginError`. ``cache=True`` only for pages that never change (views of
        completed requests/jobs): the page is then kept per server and account.

        ``idempotent=False`` (a form step that creates something) sends the
        call once: never retried by the transport, never sent again after a
        renewal. A login form in its answer is returned as it is (the site did
        nothing; the caller decides), and such a page is never cached.
        """
        if not idempotent and cache:
            raise ValueError("_page: a call with idempotent=False is never cached")
        self._require_login()
        if not idempotent:
            return self._send(method, self._url(path), what=path, params=params, data=data,
                              idempotent=False).text
        key = ('page', method.upper(), path, canonical(params), canonical(data))
        records = self._records             # chosen before the call is sent
        if cache:
            cached = records.get(key)
            if isinstance(cached, str):
                return cached
        url = self._url(path)
        last: list[requests.Response] = []

        def send() -> requests.Response:
            last[:] = [self._send(method, url, what=path, params=params, data=data,
                                  passed=_LOGGED_OUT_HTTP)]
            return last[0]

        def refused() -> str:
            code = last[0].status_code if last else 200
            shown = (f"answers HTTP {code}" if code in _LOGGED_OUT_HTTP
                     else "shows its login form")
            return (f"{path}: the site {shown} although {self._user!r} logged in again "
                    f"(the session is refused, or the page is not open to this account); "
                    f"call Telescope.login().")

        text = self._renewing(path, send, logged_out=self._page_logged_out,
                              refused=refused).text
        if cache:
            records.put(key, text)
        return text

    @staticmethod
    def _page_logged_out(response: requests.Response) -> bool:
        """Whether a page answer says the session is missing.

        PROTOCOL.md 1 [assumed]: the login form in a 200 page. Also read so: a
        redirect that ended on ``login.php`` (whatever its form looks like), and
        HTTP 401/403 (`_LOGGED_OUT_HTTP`).
        """
        return (response.status_code in _LOGGED_OUT_HTTP or pages.is_login_url(response.url)
                or pages.is_login_form(response.text))

    def _stream(self, url: str, *, headers: dict | None = None) -> requests.Response:
        """``GET url`` with ``stream=True`` on the logged-in session; the caller
        checks the status and closes the response. A relative ``url`` is taken
        from `server_url`.

        An answer that says the session is missing (`_stream_logged_out`) renews
        it and the call is sent again, as for `_page`; still refused after the
        renewals allowed, `LoginError`. A small HTML answer is read to tell
        whether it is the login form: its body is then in ``response.content``
        (``response.raw`` is spent).
        """
        self._require_login()
        if not urlsplit(url).scheme:
            url = self._url(url)
        what = url.split('?')[0].rsplit('/', 1)[-1]
        last: list[requests.Response] = []

        def send() -> requests.Response:
            if last:
                last.pop().close()      # the logged-out answer: its connection back
            last.append(self._send('GET', url, what=what, headers=headers, stream=True))
            return last[0]

        def refused() -> str:
            return (f"{what}: the site {_logged_out_said(last[0])} although {self._user!r} "
                    f"logged in again (the session is refused, or the file is not open "
                    f"to this account); call Telescope.login().")

        try:
            return self._renewing(what, send, refused=refused,
                                  logged_out=lambda answer: self._stream_logged_out(
                                      answer, what))
        except BaseException:
            if last:
                last[0].close()
            raise

    @staticmethod
    def _stream_logged_out(response: requests.Response, what: str) -> bool:
        """Whether a streamed answer says the session is missing.

        As `_page_logged_out`: HTTP 401/403, a redirect that ended on
        ``login.php``, or the login form. The body is read only for an HTML
        answer of at most `_SMALL_PAGE` bytes: a product is FITS or zip, never
        HTML, and a hostile server cannot make this read on and on.
        """
        if response.status_code in _LOGGED_OUT_HTTP or pages.is_login_url(response.url):
            return True
        if not http.is_html(response):
            return False
        try:
            small = http.read_small_body(response, _SMALL_PAGE)
        except http.BodyTooLongError:
            raise RemoteServiceError(f"{what}: an HTML page of more than {_SMALL_PAGE} "
                                     f"bytes where a file was expected") from None
        except requests.RequestException as exc:
            response.close()
            raise RemoteServiceError(f"{what}: the answer broke off "
                                     f"({type(exc).__name__}: {exc})") from exc
        return small and pages.is_login_form(response.text)

    @contextlib.contextmanager
    def _recording(self, hook: Callable[..., Any]) -> Iterator[None]:
        """Also give every answer of the session to ``hook`` (a ``requests``
        response hook) while the block runs."""
        hooks = self._session.hooks['response']      # shared by the one-shot session
        hooks.append(hook)
        try:
            yield
        finally:
            hooks.remove(hook)

    def _hide_secrets(self, text: str, data: Any = None) -> str:
        """``text`` with the password of the session (and of the form ``data``)
        masked, wherever it appears."""
        return http.hide(text, [*http.secrets_of(data), *self._secret_values()])

    def _secret_values(self) -> list[str]:
        """The session's password, for masking (empty when nobody is logged in)."""
        found = self._credentials
        return [found.password.reveal()] if found is not None else []

    @property
    def _records(self) -> RecordCache:
        """Parsed records and unchanging pages of this server and account.

        Choose it before the call whose answer it keeps: it keeps nothing once
        another login (or a logout) has begun since, so that an answer on one
        account is never filed under another (docs/internals.rst, Renewal).
        """
        epoch = self._account_epoch         # read first: a login changes it first
        user = self._user
        return RecordCache(self.cache_location / 'records',
                           f'{self.server_url}\n{self._cache_account(user)}',
                           current=lambda: bool(user) and self._account_epoch == epoch)

    def _cache_account(self, user: str) -> str:
        """The account as the caches know it: the user, and the archive when the
        server names it (``site.ARCHIVE_ID_HEADER``; telescope.org does not)."""
        archive = self._archive_id
        return f'{user}\n{archive}' if archive and user else user

    # --- The transport ------------------------------------------------------------

    def _ensure_transport(self) -> None:
        # Configuration is read at call time: remount when the retry settings change.
        setting = (int(conf.retries), float(conf.backoff_factor), int(conf.max_workers),
                   float(conf.max_retry_after))
        if setting != self._transport_setting:
            with self._transport_lock:
                http.configure_session(self._session, retries=setting[0],
                                       backoff_factor=setting[1],
                                       pool_size=max(10, setting[2]),
                                       max_retry_after=setting[3])
                self._transport_setting = setting

    def _send(self, method: str, url: str, *, what: str, params: Any = None,
              data: Any = None, headers: dict | None = None, stream: bool = False,
              idempotent: bool = True, passed: tuple[int, ...] = (),
              allow_redirects: bool = True) -> requests.Response:
        """One HTTP call; transport failures and HTTP errors become RemoteServiceError.

        An HTTP status in ``passed`` is returned to the caller instead.

        The session is used directly rather than through ``BaseQuery._request``:
        astroquery's response cache must never see a logged-in call, and its
        ``cache=False`` path flips a global setting that is not thread-safe.

        A form with a password (the login) leaves no trace: it travels as an
        `http.SecretForm`, the response keeps its request body masked, and an
        error chains no transport exception (which holds the request).
        """
        self._ensure_transport()
        session = self._session if idempotent else self._once_session
        secret = http.has_secret(data)
        if secret and not isinstance(data, http.SecretForm):
            data = http.SecretForm(data)
        failure: RemoteServiceError | None = None
        cause: BaseException | None = None
        limit = float(conf.max_call_time)
        with http.call_deadline(limit) as deadline:
            try:
                response = http.with_cut_retries(
                    lambda: session.request(method, url, params=params, data=data,
                                            headers=headers, stream=stream,
                                            timeout=float(conf.timeout),
                                            allow_redirects=allow_redirects),
                    retries=int(conf.retries) if idempotent and not stream else 0,
                    backoff_factor=float(conf.backoff_factor),
                    stop=lambda: deadline.expired)
            except requests.RequestException as exc:
                reason = type(exc).__name__ if secret else f"{type(exc).__name__}: {exc}"
                tries = 1 + (int(conf.retries) if idempotent else 0)
                failure = RemoteServiceError(
                    f"{what}: {url.split('?')[0]} timed out: no answer within "
                    f"{float(conf.timeout):g} s (conf.timeout), "
                    f"{tries} {'try' if tries == 1 else 'tries'}"
                    f"{self._server_source()}" if http.timed_out(exc) else
                    f"{what}: no answer from {url.split('?')[0]} ({reason})"
                    f"{self._server_source()}")
                cause = None if secret else exc
        if deadline.expired:    # also when the cut looked like the end of the answer
            if failure is None:
                response.close()
            failure = RemoteServiceError(
                f"{what}: {url.split('?')[0]} did not finish answering within {limit:g} s "
                f"(conf.max_call_time); it sends too slowly or not at all"
                f"{self._server_source()}")
            # A timeout, as submit.never_twice.lost_kind reads it: the server may
            # still be working on the call. Made here: it holds no request.
            cause = requests.Timeout(f'the call took more than {limit:g} s')
        if failure is not None:         # raised here, not in the except: no __context__
            raise failure from cause
        if secret:
            http.forget_secret_body(response)
        if response.status_code >= 400 and not stream and response.status_code not in passed:
            raise HTTPStatusError(
                f"{what}: HTTP {response.status_code} from {url.split('?')[0]}: "
                f"{user_api.quote_body(self._hide_secrets(response.text, data))}",
                response.status_code)
        return response

    def _api_once(self, module: str, request: str, params: dict | None,
                  idempotent: bool, *, server: str | None = None) -> dict:
        """One ``api-user.php`` call (to ``server``, else `server_url`), decoded; a
        login page reads as not logged in."""
        call = f'{module}/{request}'
        response = self._send('POST', (server or self.server_url) + user_api.ENDPOINT,
                              what=call,
                              data=user_api.api_form(module, request, params),
                              idempotent=idempotent, passed=_LOGGED_OUT_HTTP)
        # PROTOCOL.md 1 [assumed]: an expired session answers JSON
        # ERR_NOT_LOGGED_IN; a site that answers HTTP 401/403, redirects to
        # login.php or sends its login page instead is read the same way
        # (``note`` says which) rather than as a broken answer.
        if response.status_code in _LOGGED_OUT_HTTP:
            return self._logged_out_answer(f'HTTP {response.status_code}')
        if pages.is_login_url(response.url):
            return self._logged_out_answer('a redirect to the login page')
        try:
            return user_api.parse_answer(response.text, call)
        except RemoteServiceError as exc:
            if pages.is_login_form(response.text):
                return self._logged_out_answer('the login page')
            broken = RemoteServiceError(self._hide_secrets(str(exc)))
        raise broken from None      # it quotes the answer: with the password masked

    @staticmethod
    def _logged_out_answer(note: str) -> dict:
        """The answer an expired session gives, for a site that said it otherwise."""
        return {'success': 0, 'status': user_api.NOT_LOGGED_IN, 'data': None, 'note': note}

    # --- Opening, renewing and closing the session --------------------------------

    def _login(self, username: str | None = None, *,
               password: str | credentials.Secret | None = None,
               store_password: bool = False, reenter_password: bool = False,
               config: str | None = None) -> bool:
        """Find the credentials and open the session (see `TelescopeClass.login`)."""
        name = credentials.find_username(username, default=str(conf.username or ''),
                                         config=config)
        found = credentials.find_credentials(name, password=password,
                                             reenter_password=reenter_password,
                                             config=config)
        self._open_session(found)
        if store_password and not found.from_keyring:
            credentials.store_in_keyring(found)
        log.info(f"Logged in to {self.server_url} as {name!r} (password from the "
                 f"{found.source}).")
        return True

    def _renewing(self, what: str, send: Callable[[], Any], *,
                  logged_out: Callable[[Any], bool], refused: Callable[[], str]) -> Any:
        """``send()``, with the session renewed when its answer is ``logged_out``.

        Renewals are shared: a thread that finds the session already renewed by
        another sends again without logging in, and such renewals do not count
        against the call. `LoginError` with the message ``refused()`` when the
        renewed session answers nothing (see `_renewal_worked`), after
        `MAX_RENEWALS` logins of this call's own, or after `MAX_RESENDS` sends.
        """
        own = 0
        for resends in range(MAX_RESENDS + 1):
            generation = self._generation
            self._count_sent(generation)
            answer = send()
            if not logged_out(answer):
                self._confirmed_generation = max(self._confirmed_generation, generation)
                return answer
            if (own == MAX_RENEWALS or resends == MAX_RESENDS
                    or not self._renewal_worked(generation, resends)):
                raise LoginError(refused())
            own += self._renew_session(generation, what)
        raise AssertionError('unreachable')  # pragma: no cover

    def _open_session(self, found: credentials.Credentials) -> None:
        """Log in as ``found.username``, checked by an authenticated call.

        Raises `LoginError` when the site refuses the user name and password.
        """
        name = found.username
        with self._auth_lock:
            self._forget_session()
            server = self.server_url
            self._post_login(found, server)
            answer = self._api_once('request-manager', '0-get-my-folders', None, True,
                                    server=server)
            if not user_api.succeeded(answer):
                self._session.cookies.clear()
                said = answer.get('note') or repr(user_api.answer_status(answer))
                # The login answer sets the session cookie [seen]: without one the
                # password may be right and the site changed (check-site's session-cookie).
                cookie = 'Set-Cookie' in ((self._login_answer or {}).get('headers') or {})
                raise LoginError(
                    f"Login to {server} as {name!r} failed: the site did not accept "
                    f"the user name and password (it answered {said}"
                    + ('' if cookie else '; its login answer set no session cookie') + ').')
            self._credentials = found
            self._login_server = server
            self._user = name
            self._generation += 1
            self._account_epoch += 1
            self._confirmed_generation = self._generation
            self._authenticated = True

    def _close_session(self) -> None:
        """End the session on the site (a warning when it does not answer) and here."""
        if self._authenticated:
            try:   # to the server of the login, whatever server_url says now
                self._send('POST', (self._login_server or self.server_url) + pages.LOGOUT_PATH,
                           what='logout')
            except RemoteServiceError as exc:
                log.warning(f"The site did not confirm the logout ({exc}); the local "
                            f"session is dropped anyway.")
        with self._auth_lock:
            self._forget_session()
            self._generation += 1

    def _post_login(self, found: credentials.Credentials, server: str) -> None:
        """Send the login form to ``server``; the session cookie comes with its answer [seen].

        A wrong password answers 200 with an HTML page [assumed]: success is
        known only from the call that follows. A site that refuses with HTTP
        401/403 instead gives `LoginError` at once.
        """
        # Never redirected: a 307 would send the form, password and all, wherever
        # it points. The cookie comes with this answer; the check call tells.
        response = self._send('POST', server + pages.LOGIN_PATH, what='login',
                              data=http.SecretForm(pages.login_payload(
                                  found.username, found.password.reveal())),
                              passed=_LOGGED_OUT_HTTP, allow_redirects=False)
        archive = response.headers.get(site.ARCHIVE_ID_HEADER, '').strip()
        if archive != self._archive_id:     # another archive now answers here
            self._account_epoch += 1        # caches chosen before keep nothing
            self._archive_id = archive
        self._login_answer = {
            'method': 'POST', 'path': pages.LOGIN_PATH, 'params': {},
            'form': {key: ('********' if key == 'password' else value) for key, value in
                     pages.login_payload(found.username, '').items()},
            'status': response.status_code, 'body': None, 'size': None,
            'headers': {key: ('(present)' if key == 'Set-Cookie' else response.headers[key])
                        for key in ('Content-Type', 'Set-Cookie') if key in response.headers}}
        if response.status_code in _LOGGED_OUT_HTTP:
            self._session.cookies.clear()
            raise LoginError(f"Login to telescope.org as {found.username!r} failed: the "
                             f"site refused the user name and password (HTTP "
                             f"{response.status_code} from {pages.LOGIN_PATH}).")

    def _renew_session(self, generation: int, call: str) -> bool:
        """Log in again after the site forgot the session, once for all threads.

        Returns whether this call logged in (False: another thread had already).
        """
        with self._auth_lock:
            if self._generation != generation:
                return False    # another thread has renewed it meanwhile
            if self._credentials is None:
                self._authenticated = False
                raise LoginError(f"{call}: the telescope.org session has expired; "
                                 f"log in again with Telescope.login().")
            self._check_server()
            log.info(f"The session of {self._user!r} expired; logging in again.")
            self._session.cookies.clear()
            self._post_login(self._credentials, str(self._login_server))
            self._generation += 1
            return True

    def _count_sent(self, generation: int) -> None:
        """Count a call sent on ``generation`` (the counts of older ones are dropped)."""
        with self._sent_lock:
            self._sent[generation] = self._sent.get(generation, 0) + 1
            for old in [key for key in self._sent if key < generation - _SENT_KEPT]:
                del self._sent[old]

    def _renewal_worked(self, generation: int, renewals: int) -> bool:
        """Whether renewing again makes sense after a call of ``generation`` failed.

        Yes for the first renewal of a call. After that, only when some call
        was answered on the session that then expired (a session that worked
        and expired again, as in a long bulk job), or when other calls were
        sent on it too: the site may have counted theirs first, and their
        answers may not be read yet (threads on a session that expires every
        few calls). A session that expires at once for a call alone on it is
        not renewed in a loop.
        """
        return (renewals == 0 or self._confirmed_generation >= generation
                or self._sent.get(generation, 0) > 1)

    def _forget_session(self) -> None:
        self._account_epoch += 1           # first: calls on the old account keep nothing
        self._authenticated = False
        self._credentials = None
        self._login_server = None
        self._archive_id = ''
        self._user = ''
        self._session.cookies.clear()
