"""The telescope.org client: `TelescopeClass` and its instance `Telescope`.

The public API: each method checks its arguments (with the pure helpers of
`telescope_query.arguments`), calls the site through the logged-in session
of `telescope_query.session` (the only I/O layer that talks to the server),
and hands the answers to `telescope_query.protocol` (parsing) and
`telescope_query.tables`. The images and submission methods are thin over
the modules that do that work (`telescope_query.images`,
`telescope_query.submitter`, `telescope_query.submit_batch`).
"""
from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from astroquery import log
from astropy.table import Table
import astropy.units as u
from astroquery.query import QueryWithLogin

from . import arguments, conf, credentials, tables
from . import submission, submit_batch, submitter
from .exceptions import NoSuchJobError, NoSuchRequestError, RemoteServiceError
from .legacy import LegacyMixin
from .protocol import pages, site, user_api
from .session import SessionQuery
from .utils import normalize_ids, run_batch

__all__ = ['Telescope', 'TelescopeClass']

# The first listing call asks for this many requests: one call holds any
# real account (the original's second call asked for all but 100 at once).
_FIRST_PAGE = 100_000
_PROGRESS_FROM = 20     # batches longer than this show a progress bar


@dataclass(frozen=True)
class _ViewKind:
    """What differs between the views of requests and of jobs (one code serves both)."""

    id_name: str                                # 'rid' or 'jid': id column, page parameter
    what: str                                   # 'request' or 'job'
    parse: Callable[[str, int], dict | None]    # a protocol.pages parser: None, no such id
    missing: type[LookupError]                  # raised for an empty view
    where: Callable[[Any], str]                 # where the id was looked for, for messages
    unchanging: Callable[[dict], bool]          # the view can no longer change: cache it
    table: Callable[[list[dict]], Table]


_REQUEST_VIEWS = _ViewKind(
    'rid', 'request', pages.parse_request_view, NoSuchRequestError,
    where=lambda client: f"in the account of {client.user!r}",
    # A complete request with its job, or one that ended without images.
    unchanging=lambda record: record['status'] in site.FINAL_STATUSES and (
        record['status'] != site.STATUS_COMPLETE or record['jid'] is not None),
    table=tables.request_details_table)
_JOB_VIEWS = _ViewKind(
    'jid', 'job', pages.parse_job_view, NoSuchJobError,
    where=lambda client: f"on {client.server_url} that {client.user!r} may see",
    unchanging=lambda record: record['completed'] is not None,
    table=tables.job_details_table)


def _completion_key(view: dict | None) -> tuple[int, float]:
    """Sort key of ``sort='completion'`` with views: unfinished first (in the
    site's order: the sort is stable), then the newest completion first."""
    completed = None if view is None else view.get('completed')
    return (0, 0.0) if completed is None else (1, -completed.timestamp())


class _OriginalDefault(str):
    """The original constructor's default ``cache``, told apart from the same
    text passed on purpose (which makes that folder the product cache)."""


class TelescopeClass(LegacyMixin, SessionQuery):
    """Astroquery-style access to telescope.org (COAST and PIRATE).

    Parameters
    ----------
    user, passwd, config
        The original library's constructor: when ``user`` or ``config`` is
        given, the new instance logs in at once (see `login`); ``passwd`` is
        the password, ``config`` the original config file
        (``~/.config/telescope.ini``).
    cache : str or path-like, optional
        The original's folder for downloaded jobs. When given, it becomes this
        instance's product cache: the images of ``get_images``,
        ``download_data``, ``get_obs``... are kept and found there, in the
        package's layout (``<cache>/<server>/<account-hash>/raw/369256.fits``,
        ``processed/`` for processed products), per server and account like
        the default cache. A relative folder is taken from the current folder
        when the instance is made. When not given, products live in the
        astroquery cache folder of the package (``product_cache``), as for
        ``Telescope``. Either way it is also kept as ``legacy_cache`` (the
        original's ``'.cache/jobs'`` when not given). Views and listings stay
        in the astroquery cache folder.

    Examples
    --------
    >>> from telescope_query import Telescope        # doctest: +SKIP
    >>> Telescope.login('jochym')                     # doctest: +SKIP
    >>> Telescope.get_requests(status='Complete')     # doctest: +SKIP
    """

    def __init__(self, user: str = '', passwd: str = '', config: str | None = None,
                 cache: str | os.PathLike = _OriginalDefault('.cache/jobs')):
        super().__init__()
        self.legacy_cache = Path(cache)
        # Given on purpose: this instance's product cache root (see product_cache).
        self._products_root = (None if type(cache) is _OriginalDefault
                               else Path(cache).expanduser().absolute())
        if user or config:
            self.login(user or None, password=passwd or None, config=config)

    # --- Login and logout (the session itself: telescope_query.session) ---------

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
        self._open_session(found)
        if store_password and not found.from_keyring:
            credentials.store_in_keyring(found)
        log.info(f"Logged in to {self.server_url} as {name!r} (password from the "
                 f"{found.source}).")
        return True

    def logout(self) -> None:
        """End the session on the site and forget the password.

        ``logout.php`` is [assumed] (the original never sent it): when the site
        does not answer it, a warning says so and the session is dropped here.
        """
        self._close_session()

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
                     status: Any = None, details: bool = False) -> Table:
        """The requests of one folder, every page of them.

        Parameters
        ----------
        folder : str or int, optional
            A folder name (``'Inbox'``, ``'Archive'``, one of yours; case is
            ignored) or id.
        sort : {'rid', 'object', 'completion'}, optional
            Newest request first, or by object name (case ignored), or the
            site's completion order: requests still in the queue first, then
            roughly the most recently completed (with ``details``, sorted by
            the views' completion times).
        status : int, str or list, optional
            Keep only these statuses: codes (``8``), texts (``'Complete'``),
            ``'queued'`` (codes below 8) or ``'complete'``.
        details : bool, optional
            Also open each request's view (one page each, in parallel) for the
            columns the listing does not give. Views of requests that can no
            longer change are kept in the cache, and any other view is reused
            while the listing shows its status unchanged: a second call then
            costs only the listing. The site counts an opened view as seen.

        Returns
        -------
        `~astropy.table.Table`
            From the listing: ``rid``, ``object_name``, ``status``,
            ``status_text``, ``requested``, ``object_type``, ``object_id``,
            ``coord``, ``comment``, ``seen``. With ``details``, from the views:
            ``telescope``, ``telescope_type``, ``filter``, ``dark_frame``,
            ``exposure``, ``completed``, ``completion_check``, ``jid``,
            ``flat_id``. Each column's ``description`` says what it holds.
        """
        sort = user_api.check_sort(sort)
        wanted = arguments.status_filter(status)
        arguments.check_flag(details, 'details')
        self._require_login()
        folder_id, folder_name = self._resolve_folder(folder)
        records = user_api.in_listing_order(   # the rid/object direction is [assumed]
            [user_api.request_record(raw) for raw in self._list_requests_raw(folder_id, sort)],
            sort)
        if wanted is not None:
            records = [r for r in records if r['status'] in wanted]
        views = None
        if details:
            views = self._listed_views(records)
            if sort == 'completion':
                order = sorted(range(len(records)), key=lambda i: _completion_key(views[i]))
                records, views = [records[i] for i in order], [views[i] for i in order]
        table = tables.requests_table(records, views)
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
        return self._details(_REQUEST_VIEWS, rids)

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
        return self._details(_JOB_VIEWS, jids)

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
            The columns of `get_requests` with ``details``: from the views of
            the completed requests (masked for the others).
        """
        arguments.check_object_name(name)
        wanted = arguments.status_filter(status)
        self._require_login()
        key = arguments.name_key(name)
        found: dict[int, dict] = {}
        for folder in user_api.parse_folders(self._folders_raw()):
            if folder['folder_id'] == site.STANDARD_FOLDERS['trash'] or not folder['count']:
                continue
            for raw in self._list_requests_raw(folder['folder_id'], 'rid'):
                record = user_api.request_record(raw)
                if arguments.name_key(record['object_name']) == key and (
                        wanted is None or record['status'] in wanted):
                    found.setdefault(record['rid'], record)
        records = sorted(found.values(), key=lambda r: r['rid'], reverse=True)
        complete = [r['rid'] for r in records if r['status'] == site.STATUS_COMPLETE]
        by_rid = dict(zip(complete, self._views(_REQUEST_VIEWS, complete))) if complete else {}
        table = tables.requests_table(records, [by_rid.get(r['rid']) for r in records])
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
        start_time, end_time = arguments.time_window(start, end)
        telescope_id = user_api.check_telescope(telescope, 'telescope')
        filter_name = user_api.check_filter(filter, telescope_id, 'filter')
        arguments.check_flag(details, 'details')
        self._require_login()
        if telescope_id is not None and site.TELESCOPE_NAMES[telescope_id] in site.IN_SERVICE:
            found = self._search_by_telescope(start_time, end_time, telescope_id, filter_name)
        else:
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
        folder_id, text = arguments.folder_argument(folder)
        if folder_id is not None:
            return folder_id, text
        folders = user_api.parse_folders(self._folders_raw())
        record = arguments.match_folder(text, folders)
        if record is not None:
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

    def _details(self, kind: _ViewKind, given: Any) -> Table:
        """`get_request_details` and `get_job_details`: the ids checked, their views a Table."""
        ids, _ = normalize_ids(given, f'{kind.id_name}s', kind.id_name)
        self._require_login()
        return kind.table(self._views(kind, ids))

    def _views(self, kind: _ViewKind, ids: list[int],
               listed: dict[int, int | None] | None = None) -> list[dict]:
        """Fetch views in the bounded pool; every missing id is named in one error.

        ``listed`` maps request ids to the status the listing shows: a cached
        view of that status is used again (see `_view`).
        """
        results = self._view_results(kind, ids, listed)
        missing = [i for i, r in zip(ids, results) if isinstance(r, kind.missing)]
        if missing:
            if len(missing) == 1:
                raise results[ids.index(missing[0])]
            raise kind.missing(f"{len(missing)} of the ids do not exist: "
                               + ', '.join(str(i) for i in missing))
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [self._checked_completion(record) for record in results]

    def _view_results(self, kind: _ViewKind, ids: list[int],
                      listed: dict[int, int | None] | None = None) -> list:
        """Views or the exception of each id, in order (`run_batch`)."""
        listed = listed or {}
        return run_batch(lambda number: self._view(kind, number, listed.get(number)), ids,
                         max_workers=int(conf.max_workers),
                         show_progress=len(ids) > _PROGRESS_FROM,
                         description=f'{kind.what} views', unit='view')

    def _listed_views(self, records: list[dict]) -> list[dict | None]:
        """The view of each request of a listing; None (and a warning) where the
        site shows none although it listed the request."""
        ids = [r['rid'] for r in records]
        results = self._view_results(_REQUEST_VIEWS, ids,
                                     {r['rid']: r['status'] for r in records})
        missing = [i for i, r in zip(ids, results) if isinstance(r, NoSuchRequestError)]
        if missing:
            log.warning(f"{len(missing)} listed request(s) show an empty view, so their "
                        f"view columns are masked: {', '.join(f'R{i}' for i in missing[:10])}"
                        + (' ...' if len(missing) > 10 else ''))
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, NoSuchRequestError):
                raise result
        return [None if isinstance(r, BaseException) else self._checked_completion(r)
                for r in results]

    def _request_view(self, rid: int) -> dict:
        """A request view as a record; a completed request's is cached."""
        return self._view(_REQUEST_VIEWS, rid)

    def _job_view(self, jid: int) -> dict:
        """A job view as a record; cached once it shows its completion time."""
        return self._view(_JOB_VIEWS, jid)

    def _view(self, kind: _ViewKind, number: int, listed_status: int | None = None) -> dict:
        """A view as a record, from the record cache when it cannot have changed.

        A view that can no longer change is always taken from the cache. A
        request view that still can is kept too, and used again only when the
        listing shows the same status (``listed_status``): what a request view
        shows changes only with its status [assumed].
        """
        key = (f'{kind.what}-view', int(number))
        cached = self._records.get(key)
        if isinstance(cached, dict) and (kind.unchanging(cached) or (
                listed_status is not None and cached.get('status') == listed_status)):
            return cached
        html = self._page(pages.VIEW_PATH, params={kind.id_name: number})
        record = kind.parse(html, number)
        if record is None:
            raise kind.missing(f"No {kind.what} {kind.id_name[0].upper()}{number} "
                               f"{kind.where(self)}.")
        if kind.unchanging(record) or kind is _REQUEST_VIEWS:
            self._records.put(key, record)
        return record

    def _checked_completion(self, record: dict) -> dict:
        """A view record whose completion time is checked for the summer date slip
        against the frames of the job's products in the cache (no HTTP call)."""
        completed = record.get('completed')
        if completed is None or not pages.completion_may_slip(completed):
            return record
        from .images import cached_frame_starts     # the image modules load on demand
        starts = cached_frame_starts(self, record['jid']) if record.get('jid') else []
        completed, check = pages.check_completion(completed, starts)
        return {**record, 'completed': completed, 'completion_check': check}

    def _job_search(self, start: datetime, end: datetime, telescope_id: int | None,
                    filter_name: str | None) -> dict:
        """Run the public job search: ``{'jids', 'parameters'}``."""
        html = self._page(pages.JOB_SEARCH_PATH, data=pages.job_search_form(
            start, end, telescope_id=telescope_id, filter_name=filter_name))
        found = pages.parse_job_search(html)
        if not found['jids'] and 'jid=' in html:
            log.warning("The job search page links to jobs, but none is the first link of "
                        "its row, where this client reads them (docs/protocol.rst, "
                        "search-rows): no job is taken from it.")
        if len(found['jids']) >= pages.RESULTS_PER_PAGE:
            log.warning(f"The job search shows {len(found['jids'])} jobs, the most it shows "
                        f"at once ({pages.RESULTS_PER_PAGE}): narrow the time window.")
        return found

    def _search_by_telescope(self, start: datetime, end: datetime, telescope_id: int,
                             filter_name: str | None) -> dict:
        """The job search for one of today's telescopes, not trusting its selector.

        Whether the site's telescope selector (``searchtelescope=6``) finds the
        jobs of today's telescopes, whose views say ``Galaxy``, is not known
        [assumed]. When it finds nothing although the same window holds jobs,
        those are kept whose views show today's telescope type: COAST and
        PIRATE cannot be told apart there, so both are kept, with a warning.
        """
        found = self._job_search(start, end, telescope_id, filter_name)
        if found['jids']:
            return found
        wider = self._job_search(start, end, None, filter_name)
        if not wider['jids']:
            return found
        name = site.TELESCOPE_NAMES[telescope_id]
        views = self._views(_JOB_VIEWS, wider['jids'])
        kept = [view['jid'] for view in views
                if (view['telescope'] or '').upper() == name
                or (view['telescope'] is None and (view['telescope_type'] or '').lower()
                    == site.TODAYS_TELESCOPE_TYPE.lower())]
        log.warning(f"The site's telescope selector found no {name} jobs in this window, "
                    f"but {len(wider['jids'])} jobs of all telescopes completed in it. "
                    f"Their views cannot tell COAST from PIRATE: the {len(kept)} jobs of "
                    f"either are shown.")
        return {**wider, 'jids': kept}

    def check_site(self, *, capture: str | os.PathLike | None = None,
                   download: bool = False) -> Table:
        """Check that the site still answers as this client expects.

        Read-only and cheap: the folders, one listing page, the views of your
        newest completed request and of its job, one job search, one
        image-engine staging of that job's zip and its polls, one call without
        a session; the download of that zip only with ``download``. Nothing
        is submitted or changed, except that the site counts the opened
        request as seen.

        Parameters
        ----------
        capture : str or path-like, optional
            Write the answers to this file (JSON), redacted: no cookie,
            password, user name or e-mail address, and other users' names
            masked. The test suite replays such files (``tests/data/captures``):
            attach one to a report when something differs.
        download : bool, optional
            Also download the staged zip (about 8 MB) to check its length.

        Returns
        -------
        `~astropy.table.Table`
            One row per protocol fact the client relies on (``docs/protocol.rst``):
            ``fact``, ``section`` (of the protocol), ``basis`` (``seen`` in the
            site's recorded answers, or ``assumed``), ``result`` (``holds``,
            ``differs`` or ``not checked``), ``seen`` (what the site answered)
            and ``statement``. ``meta['capture']`` is the file written.
        """
        arguments.check_flag(download, 'download')
        if capture is not None and not isinstance(capture, (str, os.PathLike)):
            raise TypeError(f"capture must be a file name (str or path-like), got "
                            f"{type(capture).__name__} {capture!r}")
        self._require_login()
        from .site_check import check_site
        return check_site(self, capture_path=capture, download=download)

    # --- Images (issue 4): get_images, download_data, preview -------------
    # Thin: the work is in telescope_query.images (imported here, not at the top,
    # so that this block stays self-contained).

    def get_images(self, jids: Any, *, cube: bool = True, processed: bool = False,
                   flat: bool = False, show_progress: bool = True) -> list:
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
        flat : bool, optional
            The raw frames divided by the job's flat field: the image engine
            does it when it is given the job's flat id, and the result is a
            product of its own, cached apart (a job without a flat field gives
            its plain frames).
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
        from . import images
        return images.get_images(self, jids, cube=cube, processed=processed, flat=flat,
                                 show_progress=show_progress)

    def download_data(self, jids: Any, *, path: str | os.PathLike = '.', cube: bool = True,
                      processed: bool = False, flat: bool = False,
                      show_progress: bool = True) -> Table:
        """Download the images of jobs into a folder.

        As `get_images`, but the files are put into ``path`` under the original
        library's names (``369256.fits``, ``369256.zip``, ``art_369256.zip``;
        ``369256_flat.fits`` with ``flat``).
        Files are complete or absent: never half-written under their name.

        Parameters
        ----------
        jids : int, str, list or Table
            Job ids.
        path : str or path-like, optional
            Folder for the files (made when missing); the current one by default.
        cube, processed, flat, show_progress : bool, optional
            As for `get_images`.

        Returns
        -------
        manifest : `~astropy.table.Table`
            One row per job: ``jid``, ``product`` (``cube``, ``zip``,
            ``flat-fielded cube``, ``processed zip``...), ``local_path``, ``status`` (``COMPLETE``:
            downloaded; ``CACHED``: taken from the cache with no HTTP call;
            ``ERROR``), ``message`` (why it failed) and ``size`` [byte]. One
            failed job never stops the others.
        """
        from . import images
        return images.download_data(self, jids, path=path, cube=cube, processed=processed,
                                    flat=flat, show_progress=show_progress)

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
            Exposure time; a number is seconds. At most 180 s on COAST (the
            site's limit), and ``conf.pirate_max_exposure`` on PIRATE.
        telescope : str, optional
            ``'COAST'`` or ``'PIRATE'`` (any case).
        filter : str, optional
            ``BVR``/``B``/``V``/``R`` or ``Colour``/``Blue``/``Green``/``Red``
            (any case): translated to the telescope's own names; or
            ``Clear``, ``HAlpha``, ``Luminance``, ``SHO`` (narrowband three
            colours).
        dark_frame : bool, optional
            Ask for a dark frame (the site's default: nothing extra is sent).
            False is sent as ``darkframe: 0``, a basket field PROTOCOL.md marks
            [assumed]; a refusal says so (see `SubmissionError`).
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
        `~telescope_query.exceptions.QueueFullError`
            The account's queue is full: nothing was made.
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
            ``'submitted'``, ``'failed'``, ``'not sent'`` once the site says
            the account's queue is full, or ``'would submit'`` in a dry run),
            ``rid`` (masked when none) and ``message`` (why it failed, and any
            low-altitude warning).
        """
        return submit_batch.submit_missing(self, targets, exposure=exposure,
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


Telescope = TelescopeClass()
