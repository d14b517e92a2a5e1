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
import time
import warnings
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import requests
from astroquery import log
from astropy.table import Table
from astropy.time import Time
import astropy.units as u
from astroquery.query import QueryWithLogin

from . import conf, credentials, http, tables
from . import submission, submitter
from .exceptions import LoginError, NoSuchJobError, NoSuchRequestError, RemoteServiceError
from .legacy import LegacyMixin
from .protocol import pages, user_api
from .utils import normalize_ids, run_batch

__all__ = ['Telescope', 'TelescopeClass']

SERVER_ENV = 'TELESCOPE_QUERY_SERVER'
# The first listing call asks for this many requests: one call holds any
# real account (the original's second call asked for all but 100 at once).
_FIRST_PAGE = 100_000
_PROGRESS_FROM = 20     # batches longer than this show a progress bar
# Renewals of the session one call may make: in a long bulk job a session may
# expire again before a call renewed once is answered (other threads go on).
_MAX_RENEWALS = 3


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
        # The newest generation on which a call was answered (not logged out).
        self._confirmed_generation = 0
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
        """Folder of verified image products of this server and account, in the cache location.

        ``products/<server>/<account>/`` (the account as a hash of its name):
        a product of one account's job is never served from the cache to
        another account sharing the cache folder. The account is known
        locally after login, so a cached product still costs no HTTP call;
        before login (or after logout) this raises
        `~astroquery.exceptions.LoginError`.
        """
        self._require_login()
        user = self._user
        if not user:  # another thread logged out meanwhile
            raise LoginError("Not logged in to telescope.org: call Telescope.login() first.")
        netloc = urlsplit(self.server_url).netloc or 'server'
        account = hashlib.sha256(user.encode()).hexdigest()[:16]
        folder = self.cache_location / 'products' / netloc.replace(':', '_') / account
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
            response = _with_cut_retries(
                lambda: session.request(method, url, params=params, data=data,
                                        headers=headers, stream=stream,
                                        timeout=float(conf.timeout)),
                retries=int(conf.retries) if idempotent and not stream else 0)
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
        for renewals in range(_MAX_RENEWALS + 1):
            generation = self._session_generation
            answer = self._api_once(module, request, params, idempotent)
            if not user_api.is_not_logged_in(answer):
                self._confirmed_generation = max(self._confirmed_generation, generation)
                break
            if renewals == _MAX_RENEWALS or not self._renewal_worked(generation, renewals):
                raise LoginError(f"{call}: still not logged in after logging in again as "
                                 f"{self._user!r}; call Telescope.login() again.")
            self._renew_session(generation, call)
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
        url = self._url(path)
        for renewals in range(_MAX_RENEWALS + 1):
            generation = self._session_generation
            text = self._send(method, url, what=path, params=params, data=data).text
            if not pages.is_login_form(text):
                self._confirmed_generation = max(self._confirmed_generation, generation)
                break
            if renewals == _MAX_RENEWALS or not self._renewal_worked(generation, renewals):
                raise LoginError(f"{path}: the site shows its login form although "
                                 f"{self._user!r} logged in again; call Telescope.login().")
            self._renew_session(generation, path)
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
            self._confirmed_generation = self._session_generation
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

    def _renewal_worked(self, generation: int, renewals: int) -> bool:
        """Whether renewing again makes sense after a call of ``generation`` failed.

        Yes for the first renewal of a call. After that, only when some call
        was answered on the session that then expired (a session that worked
        and expired again, as in a long bulk job); a session that expires at
        once, every time, is not renewed in a loop.
        """
        return renewals == 0 or self._confirmed_generation >= generation

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

    # --- Listings and views -----------------------------------------------------

    def get_folders(self) -> Table:
        """The account's request folders.

        Returns
        -------
        `~astropy.table.Table`
            Columns ``folder_id``, ``name``, ``count`` (masked for an empty
            folder) and ``created`` (masked for the standard folders).
        """
        self._require_login()
        return tables.folders_table(user_api.parse_folders(self._folders_raw()))

    def get_requests(self, folder: str | int = 'Inbox', *, sort: str = 'rid',
                     status: Any = None) -> Table:
        """The requests of one folder, every page of them.

        Parameters
        ----------
        folder : str or int, optional
            A folder name (``'Inbox'``, ``'Archive'``, one of yours; case is
            ignored) or id.
        sort : {'rid', 'object', 'completion'}, optional
            The site's order: newest request first, by object name, or most
            recently completed first.
        status : int, str or list, optional
            Keep only these statuses: codes (``8``), texts (``'Complete'``),
            ``'queued'`` (codes below 8) or ``'complete'``.

        Returns
        -------
        `~astropy.table.Table`
            ``rid``, ``object_name``, ``status``, ``status_text``,
            ``requested`` and, when the site sends them, ``object_type``,
            ``object_id``, ``coord``, ``telescope``, ``filter``, ``exposure``,
            ``completed``.
        """
        sort = user_api.check_sort(sort)
        wanted = _status_filter(status)
        self._require_login()
        folder_id, folder_name = self._resolve_folder(folder)
        records = [user_api.request_record(raw)
                   for raw in self._list_requests_raw(folder_id, sort)]
        if wanted is not None:
            records = [r for r in records if r['status'] in wanted]
        table = tables.requests_table(records)
        table.meta.update({'folder_id': folder_id, 'folder': folder_name, 'sort': sort})
        return table

    def get_request_details(self, rids: Any) -> Table:
        """The views of requests (one call each, in parallel; completed ones cached).

        Parameters
        ----------
        rids : int, str, list, `~astropy.table.Table` or `~astropy.table.Row`
            Request ids (``706248``, ``'R706248'``) or a table with ``rid``.

        Returns
        -------
        `~astropy.table.Table`
            ``rid``, ``jid`` (masked until complete), ``object_name``,
            ``object_type``, ``object_id``, ``coord``, ``telescope``,
            ``telescope_name``, ``filter``, ``dark_frame``, ``exposure``,
            ``requested``, ``completed``, ``status``, ``status_text``, ``flat_id``.

        Raises
        ------
        `~telescope_query.exceptions.NoSuchRequestError`
            Naming every id the account does not have.
        """
        ids, _ = normalize_ids(rids, 'rids', 'rid')
        self._require_login()
        return tables.request_details_table(
            self._views(self._request_view, ids, 'request views', NoSuchRequestError))

    def get_job_details(self, jids: Any) -> Table:
        """The views of jobs (one call each, in parallel; cached).

        Parameters
        ----------
        jids : int, str, list, `~astropy.table.Table` or `~astropy.table.Row`
            Job ids (``418581``, ``'J418581'``) or a table with ``jid``.

        Returns
        -------
        `~astropy.table.Table`
            ``jid``, ``rids`` (the requests the job served), ``object_type``,
            ``object_id``, ``coord``, ``telescope``, ``filter``, ``exposure``,
            ``completed``, ``success``, ``flat_id``.

        Raises
        ------
        `~telescope_query.exceptions.NoSuchJobError`
            Naming every id that has no job.
        """
        ids, _ = normalize_ids(jids, 'jids', 'jid')
        self._require_login()
        return tables.job_details_table(
            self._views(self._job_view, ids, 'job views', NoSuchJobError))

    def query_object(self, name: str, *, status: Any = None) -> Table:
        """Your requests for one object, from every folder but the Trash.

        Names match regardless of case and spacing (``'ss cyg'`` finds
        ``SS Cyg``). Completed requests get their ``jid`` from their view.

        Parameters
        ----------
        name : str
            The object name as you gave it in the request.
        status : int, str or list, optional
            As in `get_requests`.

        Returns
        -------
        `~astropy.table.Table`
            The columns of `get_requests` plus ``jid`` (masked until complete).
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name must be a non-empty object name, got {name!r}")
        wanted = _status_filter(status)
        self._require_login()
        key = _name_key(name)
        found: dict[int, dict] = {}
        for folder in user_api.parse_folders(self._folders_raw()):
            if folder['folder_id'] == user_api.STANDARD_FOLDERS['trash'] or not folder['count']:
                continue
            for raw in self._list_requests_raw(folder['folder_id'], 'rid'):
                record = user_api.request_record(raw)
                if _name_key(record['object_name']) == key and (
                        wanted is None or record['status'] in wanted):
                    found.setdefault(record['rid'], record)
        records = sorted(found.values(), key=lambda r: r['rid'], reverse=True)
        complete = [r['rid'] for r in records if r['status'] == user_api.STATUS_COMPLETE]
        if complete:
            views = self._views(self._request_view, complete, 'request views',
                                NoSuchRequestError)
            jids = {view['rid']: view['jid'] for view in views}
            for record in records:
                record['jid'] = jids.get(record['rid'])
        table = tables.requests_table(records, with_jid=True)
        table.meta['object'] = name
        return table

    def query_jobs(self, start: Any = None, end: Any = None, *,
                   telescope: str | int | None = None, filter: str | None = None,
                   details: bool = False) -> Table:
        """Public successful jobs of all users completed in a time window.

        Parameters
        ----------
        start, end : `~astropy.time.Time`, `~datetime.datetime` or str, optional
            The completion-time window, UTC (naive datetimes are UTC; strings
            in ISO format). ``end`` defaults to now, ``start`` to a day before
            ``end``. The site works in whole minutes.
        telescope : str or int, optional
            ``'COAST'``, ``'PIRATE'`` or an older camera (``'Galaxy'``, ...),
            or its id.
        filter : str, optional
            A filter of that telescope (``'BVR'``, ``'B'``, ..., or PIRATE's
            ``'Colour'``, ``'Blue'``, ...).
        details : bool, optional
            Also fetch each job's view (as `get_job_details`).

        Returns
        -------
        `~astropy.table.Table`
            ``jid`` (newest completion first), or the `get_job_details`
            columns when ``details``. ``meta['parameters']`` holds the search
            as the site echoed it.
        """
        end_time = _utc_datetime(end, 'end') if end is not None else _utc_now()
        start_time = (_utc_datetime(start, 'start') if start is not None
                      else end_time - timedelta(days=1))
        if start_time >= end_time:
            raise ValueError(f"start must be before end, got start={start_time:%Y-%m-%d %H:%M} "
                             f"and end={end_time:%Y-%m-%d %H:%M} (UTC)")
        telescope_id = user_api.check_telescope(telescope, 'telescope')
        filter_name = user_api.check_filter(filter, telescope_id, 'filter')
        if not isinstance(details, (bool, np.bool_)):
            raise TypeError(f"details must be True or False, got {details!r}")
        self._require_login()
        found = self._job_search(start_time, end_time, telescope_id, filter_name)
        table = (self.get_job_details(found['jids']) if details and found['jids']
                 else tables.job_details_table([]) if details
                 else tables.jobs_table(found['jids']))
        table.meta.update({'start': start_time.isoformat(), 'end': end_time.isoformat(),
                           'parameters': found['parameters']})
        return table

    # --- Helpers of the listings (also used by the legacy wrappers) -------------

    def _folders_raw(self) -> list[dict]:
        """The ``data`` of ``0-get-my-folders``: the site's folder dicts."""
        call = 'request-manager/0-get-my-folders'
        data = self._api_call('request-manager', '0-get-my-folders').get('data')
        if not isinstance(data, list) or not all(isinstance(f, dict) for f in data):
            raise RemoteServiceError(f"{call}: expected a list of folders in 'data', got "
                                     f"{user_api.quote_body(json.dumps(data))}")
        return data

    def _resolve_folder(self, folder: Any) -> tuple[int, str]:
        """A folder name or id -> (id, name); the standard folders need no call."""
        if isinstance(folder, (bool, np.bool_)) or not isinstance(
                folder, (str, int, np.integer)):
            raise TypeError(f"folder must be a folder name or id, got "
                            f"{type(folder).__name__} {folder!r}")
        text = str(folder).strip()
        digits = text.isascii() and text.isdigit()     # '²'.isdigit() is True
        standard = {v: k.capitalize() for k, v in user_api.STANDARD_FOLDERS.items()}
        if digits and int(text) in standard:
            return int(text), standard[int(text)]
        if text.lower() in user_api.STANDARD_FOLDERS:
            return user_api.STANDARD_FOLDERS[text.lower()], text.lower().capitalize()
        if not text or (digits and int(text) <= 0) or (
                not isinstance(folder, str) and folder <= 0):
            raise ValueError(f"folder must be a folder name or a positive id, got {folder!r}")
        folders = user_api.parse_folders(self._folders_raw())
        for record in folders:
            if (digits and record['folder_id'] == int(text)) or (
                    _name_key(record['name']) == _name_key(text)):
                return record['folder_id'], record['name']
        known = ', '.join(f"{r['name']!r} ({r['folder_id']})" for r in folders)
        raise ValueError(f"folder: {self._user!r} has no folder {folder!r}; the folders "
                         f"are {known}")

    def _list_requests_raw(self, folder_id: int, sort: str) -> list[dict]:
        """Every request of a folder as the site sends them, in as few calls as possible.

        One big first page usually holds everything. ``totalRequests`` [seen]
        says whether more is left; a server that caps its pages (how it
        pages is partly [assumed]) is followed with ``startAfterRow`` until
        the total is reached or a page comes back empty.
        """
        rows: list[dict] = []
        seen: set[int] = set()
        limit, offset = _FIRST_PAGE, 0
        while True:
            answer = self._api_call('request-manager', '1-get-list-own',
                                    user_api.list_own_params(folder_id, sort, limit, offset))
            total, page = user_api.parse_request_list(answer.get('data'))
            offset += len(page)
            for raw in page:
                rid = user_api.to_int(raw['id'])
                if rid not in seen:         # the listing may move while paging
                    seen.add(rid)
                    rows.append(raw)
            if not page or total is None or offset >= total:
                return rows
            limit = total - offset

    def _views(self, fetch, ids: list[int], description: str, missing_error) -> list[dict]:
        """Fetch views in the bounded pool; every missing id is named in one error."""
        results = run_batch(fetch, ids, max_workers=int(conf.max_workers),
                            show_progress=len(ids) > _PROGRESS_FROM,
                            description=description, unit='view')
        missing = [i for i, r in zip(ids, results) if isinstance(r, missing_error)]
        if missing:
            if len(missing) == 1:
                raise results[ids.index(missing[0])]
            raise missing_error(f"{len(missing)} of the ids do not exist: "
                                + ', '.join(str(i) for i in missing))
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    def _request_view(self, rid: int) -> dict:
        """A request view as a record; a completed request's is cached."""
        key = ('request-view', int(rid))
        cached = self._records.get(key)
        if isinstance(cached, dict):
            return cached
        html = self._page(pages.VIEW_PATH, params={'rid': rid})
        record = pages.parse_request_view(html, rid)
        if record is None:
            raise NoSuchRequestError(f"No request R{rid} in the account of {self._user!r} "
                                     f"(its view is empty).")
        if record['jid'] is not None and (record['completed'] is not None
                                          or record['status'] == user_api.STATUS_COMPLETE):
            self._records.put(key, record)
        return record

    def _job_view(self, jid: int) -> dict:
        """A job view as a record; cached once it shows its completion time."""
        key = ('job-view', int(jid))
        cached = self._records.get(key)
        if isinstance(cached, dict):
            return cached
        html = self._page(pages.VIEW_PATH, params={'jid': jid})
        record = pages.parse_job_view(html, jid)
        if record is None:
            raise NoSuchJobError(f"No job J{jid} on {self.server_url} (its view is empty).")
        if record['completed'] is not None:
            self._records.put(key, record)
        return record

    def _job_search(self, start: datetime, end: datetime, telescope_id: int | None,
                    filter_name: str | None) -> dict:
        """Run the public job search: ``{'jids', 'parameters', 'count'}``."""
        html = self._page(pages.JOB_SEARCH_PATH, data=pages.job_search_form(
            start, end, telescope_id=telescope_id, filter_name=filter_name))
        found = pages.parse_job_search(html)
        shown = len(found['jids'])
        if shown >= pages.RESULTS_PER_PAGE or (found['count'] or 0) > shown:
            log.warning(f"The job search shows {shown} jobs"
                        + (f" of {found['count']}" if found['count'] else '')
                        + f" (at most {pages.RESULTS_PER_PAGE} per page): narrow the window.")
        return found

    # --- Images (issue 4): get_images, download_data, preview -------------
    # Thin: the work is in telescope_query.staging (imported here, not at the top,
    # so that this block stays self-contained).

    def get_images(self, jids: Any, *, cube: bool = True, processed: bool = False,
                   show_progress: bool = True) -> list:
        """The images of jobs, one `~astropy.io.fits.HDUList` per job.

        Products are staged by the site's image engine, downloaded, verified
        and kept in the cache: a product already there opens with no HTTP
        call at all. Many jobs are staged together and downloaded as each
        becomes ready (``conf.max_workers`` at a time).

        Parameters
        ----------
        jids : int, str, list, `~astropy.table.Table`, `~astropy.table.Row` or `~astropy.table.Column`
            Job ids (a table contributes its ``jid`` column).
        cube : bool, optional
            True: the 3-D cube as it is (one plane per filter, ``FILTER`` lists
            them). False: the zip of per-filter files, as one HDUList with an
            empty primary HDU and one image extension per filter (``EXTNAME``
            = the filter, the original headers kept).
        processed : bool, optional
            The artefact-corrected images instead of the raw ones.
        show_progress : bool, optional
            Progress bars (jobs with their staging state, and bytes) when
            someone can see them.

        Returns
        -------
        list of `~astropy.io.fits.HDUList`
            In the order of ``jids``. The site's header quirks are fixed
            (``EPOCH = 'REAL'`` removed, ``RADECSYS`` renamed ``RADESYS``,
            ``MJD-OBS`` added) with the original values in ``HISTORY``.

        Raises
        ------
        `~astroquery.exceptions.LoginError`
            Nobody is logged in: raised at once, even for a cached product (the
            product cache is per account).
        `~telescope_query.exceptions.NoSuchJobError`
            A job does not exist.
        `~telescope_query.exceptions.ProductNotReadyError`
            The image engine did not make a product ready within ``conf.max_poll_time``.
        `~telescope_query.exceptions.DownloadError`
            A job has no images, the image engine refused, or the product could
            not be downloaded intact. Raised after every other product was
            fetched (they stay cached).
        """
        from . import staging
        return staging.get_images(self, jids, cube=cube, processed=processed,
                                  show_progress=show_progress)

    def download_data(self, jids: Any, *, path: str | os.PathLike = '.', cube: bool = True,
                      processed: bool = False, show_progress: bool = True) -> Table:
        """Download the images of jobs into a folder.

        As `get_images`, but the files are put into ``path`` under the original
        library's names (``369256.fits``, ``369256.zip``, ``art_369256.zip``).
        Files are complete or absent: never half-written under their name.

        Parameters
        ----------
        jids : int, str, list or Table
            Job ids.
        path : str or path-like, optional
            Folder for the files (made when missing); the current one by default.
        cube, processed, show_progress : bool, optional
            As for `get_images`.

        Returns
        -------
        manifest : `~astropy.table.Table`
            One row per job: ``jid``, ``product`` (``cube``, ``zip``,
            ``processed cube``...), ``local_path``, ``status`` (``COMPLETE``:
            downloaded; ``CACHED``: taken from the cache with no HTTP call;
            ``ERROR``), ``message`` (why it failed) and ``size`` [byte]. One
            failed job never stops the others.
        """
        from . import staging
        return staging.download_data(self, jids, path=path, cube=cube, processed=processed,
                                     show_progress=show_progress)

    def preview(self, jid_or_hdul: Any, **options: Any):
        """A quick-look colour composite: a matplotlib `~matplotlib.figure.Figure`.

        Parameters
        ----------
        jid_or_hdul : int, str or `~astropy.io.fits.HDUList`
            A job id (its raw cube is fetched, or taken from the cache) or a
            product from `get_images`.
        **options
            Passed to `telescope_query.preview.preview` (``crop_overscan``,
            ``stretch``, ``q``, ``title``, figure options).

        Raises
        ------
        ImportError
            matplotlib (the ``plot`` extra) is not installed.
        """
        from astropy.io import fits
        from . import preview as quick_look
        if isinstance(jid_or_hdul, fits.HDUList):
            return quick_look.preview(jid_or_hdul, **options)
        quick_look._figure_class()  # a missing matplotlib is said before any download
        (jid,), _ = normalize_ids(jid_or_hdul, 'jid_or_hdul', column='jid')
        hdul = self.get_images([jid], show_progress=False)[0]
        return quick_look.preview(hdul, **options)

    # --- Submission (issue 5): submit, submit_missing -----------------------

    def submit(self, target: Any, *, exposure: Any = 60 * u.s, telescope: str = 'COAST',
               filter: str = 'BVR', dark_frame: bool = True, name: str | None = None,
               comment: str = '', get_query_payload: bool = False) -> int | dict:
        """Put a new observation request in the queue.

        Everything is checked before anything is sent. The final submission
        is sent once: when its answer is lost, the queue is searched for the
        request before trying again, so one call never makes two requests.

        Parameters
        ----------
        target : `~astropy.coordinates.SkyCoord` or str
            Coordinates, a coordinate string (``'20:42:59.6 +43:35:10'``: RA in
            hours; ``'310.75 43.58'``: degrees) or a name, resolved with
            astropy's name resolver (needs the network; offline, a
            `ValueError` says to pass coordinates).
        exposure : `~astropy.units.Quantity` or float, optional
            Exposure time; a number is seconds. At most 600 s.
        telescope : str, optional
            ``'COAST'`` or ``'PIRATE'`` (any case).
        filter : str, optional
            ``BVR``/``B``/``V``/``R`` or ``Colour``/``Blue``/``Green``/``Red``
            (any case): translated to the telescope's own names.
        dark_frame : bool, optional
            Ask for a dark frame.
        name : str, optional
            Object name shown in the listing (at most 64 characters); defaults
            to the target's name, or its coordinates.
        comment : str, optional
            Comment stored with the request (at most 255 characters).
        get_query_payload : bool, optional
            Return the ``0-rb-set`` parameters that would be sent, sending
            nothing (no login needed).

        Returns
        -------
        int or dict
            The new request id (the payload with ``get_query_payload``).

        Raises
        ------
        ValueError, TypeError
            Bad input, naming the parameter and what is allowed.
        `~telescope_query.exceptions.SubmissionError`
            The site refused (``status`` holds its word) or the outcome stayed
            unknown (``status == 'AMBIGUOUS'``).

        Warns
        -----
        `~telescope_query.submission.LowAltitudeWarning`
            The target never gets above 30° at the Observatorio del Teide.
        """
        plan = submission.plan_submission(target, exposure=exposure, telescope=telescope,
                                          filter=filter, dark_frame=dark_frame, name=name,
                                          comment=comment)
        if get_query_payload:
            return submitter.basket_params(plan)
        return submitter.submit_plan(self, plan)

    def submit_missing(self, targets: Any, *, exposure: Any = 60 * u.s,
                       telescope: str = 'COAST', filter: str = 'BVR',
                       dry_run: bool = False) -> Table:
        """Submit the targets that are not already waiting in the queue.

        The monitoring workflow of the original batch script: a target with
        a queued request (status below 8) of the same name (case and spaces
        ignored) or within 5 arcsec is left alone; the others are submitted
        as `submit` would. Names are resolved only when the queue does not
        already hold them.

        Parameters
        ----------
        targets : list or `~astropy.table.Table`
            Names, coordinate strings or SkyCoords; or a Table with a
            ``target`` column and optional per-target ``exposure`` (Quantity
            or seconds), ``filter`` and ``comment`` columns.
        exposure, telescope, filter
            Defaults for every target, as in `submit`.
        dry_run : bool, optional
            Report what would be done without submitting.

        Returns
        -------
        `~astropy.table.Table`
            One row per target: ``target``, ``action`` (``'queued'``,
            ``'submitted'``, ``'failed'``, or ``'would submit'`` in a dry run),
            ``rid`` (masked when none) and ``message`` (why it failed, and any
            low-altitude warning).
        """
        return submitter.submit_missing(self, targets, exposure=exposure,
                                        telescope=telescope, filter=filter,
                                        dry_run=dry_run)


@functools.wraps(TelescopeClass._login)
def _login_entry(self, *args, **kwargs):
    # astroquery's LoginABCMeta makes ``login`` call ``bases[0].login`` (here the
    # legacy mixin) and drops its result: call QueryWithLogin.login (cache off
    # during login) and return what _login returned.
    return QueryWithLogin.login(self, *args, **kwargs)


_login_entry.__name__ = _login_entry.__qualname__ = 'login'
TelescopeClass.login = _login_entry


def _status_filter(status: Any) -> set[int] | None:
    """The status codes a ``status`` argument asks for (None: all)."""
    if status is None:
        return None
    if isinstance(status, (list, tuple, set, frozenset)):
        if not status:
            raise ValueError("status must not be an empty list")
        return set().union(*(_status_filter(one) for one in status))
    allowed = ("status must be a status code (1-26, e.g. 8), a status text ('Complete', "
               "'Waiting', ...), 'queued' or 'complete'")
    if isinstance(status, (bool, np.bool_)):
        raise TypeError(f"{allowed}, got {status!r}")
    if isinstance(status, (int, np.integer)) or (isinstance(status, str)
                                                 and status.strip().isascii()
                                                 and status.strip().isdigit()):
        code = int(status)
        if code not in user_api.STATUS_TEXTS:
            raise ValueError(f"{allowed}, got the unknown code {code}")
        return {code}
    if isinstance(status, str):
        word = ' '.join(status.split()).lower()
        if word == 'queued':
            return {c for c in user_api.STATUS_TEXTS if user_api.is_queued(c)}
        if word in ('complete', 'completed'):
            return {user_api.STATUS_COMPLETE}
        code = user_api.status_code(word)
        if code is not None:
            return {code}
    raise ValueError(f"{allowed}, got {status!r}")


def _name_key(name: str) -> str:
    """Object names compared regardless of case and spacing."""
    return ''.join(name.split()).casefold()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(second=0, microsecond=0)


def _utc_datetime(value: Any, name: str) -> datetime:
    """A UTC datetime from a Time, datetime, date or ISO string; ValueError naming ``name``."""
    allowed = (f"{name} must be an astropy Time, a datetime or an ISO time string "
               f"like '2024-11-18 16:00' (UTC)")
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return when.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, Time):
        if not value.isscalar:
            raise ValueError(f"{allowed}, got a Time array")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')    # ERFA's 'dubious year': refused below
                return value.utc.to_datetime(timezone=timezone.utc)
        except (ValueError, OverflowError):        # ErfaError is a ValueError
            raise ValueError(f"{allowed}, got a time out of range (JD "
                             f"{value.utc.jd:.1f})") from None
    if isinstance(value, str):
        try:
            return _utc_datetime(Time(value.strip(), scale='utc'), name)
        except ValueError:
            raise ValueError(f"{allowed}, got {value!r}") from None
    raise TypeError(f"{allowed}, got {type(value).__name__} {value!r}")


def _with_cut_retries(send, retries: int) -> requests.Response:
    """``send()``, sent again up to ``retries`` times when the answer's body is cut short.

    urllib3's ``Retry`` on the session's adapter covers failures before an
    answer arrives; a body that ends before its ``Content-Length``
    (``ChunkedEncodingError``) shows only after, so reads are asked again
    here, with the same backoff. Never used for calls that change something.
    """
    for attempt in range(max(0, retries)):
        try:
            return send()
        except requests.exceptions.ChunkedEncodingError:
            time.sleep(float(conf.backoff_factor) * 2 ** attempt)
    return send()


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
