"""The telescope.org client: `TelescopeClass` and its instance `Telescope`.

The public API. Each method checks its arguments (`telescope_query.arguments`),
then composes the modules that do the work through the logged-in session of
`telescope_query.session` (the seam of `telescope_query.contract`):
``listing`` (folders, requests), ``views`` (request and job pages), ``search``
(the job search), ``images`` (products), ``submit`` (new requests) and
``site_check``; `telescope_query.tables` turns their records into Tables. The
original library's names are a layer on top: `telescope_query.legacy`.
"""
from __future__ import annotations

import os
from typing import Any, Literal, overload

from astropy.table import Table
import astropy.units as u
from astroquery.query import QueryWithLogin

from . import arguments, credentials, listing, search, tables, views
from .submit import batch, send
from .submit.plan import plan_submission
from .protocol import pages, site
from .protocol.shapes import RequestRecord
from .session import SessionQuery

__all__ = ['Telescope', 'TelescopeClass']

#: The message for the original library's constructor arguments, given to the new class.
_ORIGINAL_CONSTRUCTOR = (
    "{call} with the original library's arguments (user, passwd, config, cache) is "
    "telescope_query.legacy.Telescope: import it with 'from telescope_query.legacy import "
    "Telescope' (docs/migrating.rst); here, log in with .login(username)")


class TelescopeClass(SessionQuery):
    """Astroquery-style access to telescope.org (COAST and PIRATE).

    ``Telescope`` is the instance to use; make another (``TelescopeClass()``)
    for a second account or a separate cache. The original library's class,
    with its constructor and names, is `telescope_query.legacy.Telescope`.

    Examples
    --------
    >>> from telescope_query import Telescope        # doctest: +SKIP
    >>> Telescope.login('jochym')                     # doctest: +SKIP
    >>> Telescope.get_requests(status='Complete')     # doctest: +SKIP
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(_ORIGINAL_CONSTRUCTOR.format(call=f'{type(self).__name__}(...)'))
        super().__init__()

    def __call__(self, *args: Any, **kwargs: Any) -> 'TelescopeClass':
        """A fresh instance (astroquery's way); the original library's constructor
        arguments belong to `telescope_query.legacy.Telescope`."""
        if args or kwargs:
            raise TypeError(_ORIGINAL_CONSTRUCTOR.format(call='Telescope(...)'))
        return self.__class__()

    # --- Login and logout (the session itself: telescope_query.session) ---------

    def login(self, username: str | None = None, *, password: str | None = None,
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
        # No frame holds the password in the open (a traceback with locals).
        secret = credentials.as_secret(password)
        del password
        # QueryWithLogin.login turns astroquery's response cache off meanwhile.
        return bool(QueryWithLogin.login(self, username, password=secret,
                                         store_password=store_password,
                                         reenter_password=reenter_password, config=config))

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
        return tables.folders_table(listing.folders(self))

    def get_requests(self, folder: str | int = 'Inbox', *, sort: str = 'rid',
                     status: Any = None, details: bool = False, cache: bool = True) -> Table:
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
        cache : bool, optional
            False: with ``details``, read every view from the server, even one
            the cache holds (astroquery's ``cache=False``). The answers read
            then replace the cached ones, so the cache never serves an older
            view than the last one read. (The listing is never cached.)

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
        sort = arguments.check_sort(sort)
        wanted = arguments.status_filter(status)
        arguments.check_flag(details, 'details')
        arguments.check_flag(cache, 'cache')
        self._require_login()
        folder_id, folder_name = listing.resolve_folder(self, folder)
        records = listing.requests(self, folder_id, sort)
        if wanted is not None:
            records = [r for r in records if r['status'] in wanted]
        shown = None
        if details:
            shown = [None if v is None else self._checked(v)
                     for v in views.listed_views(self, records, fresh=not cache)]
        table = tables.requests_table(records, shown)
        if details and sort == 'completion':
            table = tables.by_completion(table)
        table.meta.update({'folder_id': folder_id, 'folder': folder_name, 'sort': sort})
        return table

    def get_request_details(self, rids: Any, *, cache: bool = True) -> Table:
        """The views of requests (one call each, in parallel; completed ones cached).

        Parameters
        ----------
        rids : int, str, list, `~astropy.table.Table` or `~astropy.table.Row`
            Request ids (``706248``, ``'R706248'``) or a table with ``rid``.
        cache : bool, optional
            False: read every view from the server, even one the cache holds
            (astroquery's ``cache=False``). The answers read then replace the
            cached ones, so the cache never serves an older view than the last
            one read.

        Returns
        -------
        `~astropy.table.Table`
            ``rid``, ``jid`` (masked until complete), ``object_name``,
            ``object_type``, ``object_id``, ``coord``, ``telescope`` (COAST or
            PIRATE, from the view's Telescope Name), ``telescope_type`` (Galaxy
            for both), ``filter``, ``dark_frame``, ``exposure``, ``completed``,
            ``completion_check`` (the summer date slip: ``uncertain``,
            ``corrected`` or ``confirmed`` by the frames), ``flat_id``,
            ``requested``, ``status``, ``status_text``. Each column's
            ``description`` says what it holds.

        Raises
        ------
        `~telescope_query.exceptions.NoSuchRequestError`
            Naming every id the account does not have.
        """
        ids, _ = arguments.ids(rids, 'rids', 'rid')
        arguments.check_flag(cache, 'cache')
        self._require_login()
        return tables.request_details_table(
            [self._checked(v) for v in views.views(self, views.REQUEST, ids, fresh=not cache)])

    def get_job_details(self, jids: Any, *, cache: bool = True) -> Table:
        """The views of jobs (one call each, in parallel; cached).

        Parameters
        ----------
        jids : int, str, list, `~astropy.table.Table` or `~astropy.table.Row`
            Job ids (``418581``, ``'J418581'``) or a table with ``jid``.
        cache : bool, optional
            False: read every view from the server, even one the cache holds
            (astroquery's ``cache=False``). The answers read then replace the
            cached ones, so the cache never serves an older view than the last
            one read.

        Returns
        -------
        `~astropy.table.Table`
            ``jid``, ``rids`` (the requests the job served), ``object_type``,
            ``object_id``, ``coord``, ``telescope`` (masked: a job view does not
            say which), ``telescope_type`` (Galaxy for COAST and PIRATE),
            ``filter``, ``exposure``, ``completed`` (the job's completion, not an
            observation time), ``completion_check``, ``success``, ``flat_id``.

        Raises
        ------
        `~telescope_query.exceptions.NoSuchJobError`
            Naming every id that has no job.
        """
        ids, _ = arguments.ids(jids, 'jids', 'jid')
        arguments.check_flag(cache, 'cache')
        self._require_login()
        return tables.job_details_table(
            [self._checked(v) for v in views.views(self, views.JOB, ids, fresh=not cache)])

    def query_object(self, name: str, *, status: Any = None, cache: bool = True) -> Table:
        """Your requests for one object, from every folder but the Trash.

        Names match regardless of case and spacing (``'ss cyg'`` finds
        ``SS Cyg``). Completed requests get their ``jid`` from their view.

        Parameters
        ----------
        name : str
            The object name as you gave it in the request.
        status : int, str or list, optional
            As in `get_requests`.
        cache : bool, optional
            False: read the views from the server, even those the cache holds
            (astroquery's ``cache=False``). The answers read then replace the
            cached ones, so the cache never serves an older view than the last
            one read.

        Returns
        -------
        `~astropy.table.Table`
            The columns of `get_requests` with ``details``: from the views of
            the completed requests (masked for the others).
        """
        arguments.object_name(name, limit=1000)
        wanted = arguments.status_filter(status)
        arguments.check_flag(cache, 'cache')
        self._require_login()
        key = arguments.name_key(name)
        found: dict[int, RequestRecord] = {}
        for folder in listing.folders(self):
            if folder['folder_id'] == site.STANDARD_FOLDERS['trash'] or not folder['count']:
                continue
            for record in listing.requests(self, folder['folder_id'], 'rid'):
                if arguments.name_key(record['object_name']) == key and (
                        wanted is None or record['status'] in wanted):
                    found.setdefault(int(record['rid'] or 0), record)
        records = sorted(found.values(), key=lambda r: r['rid'] or 0, reverse=True)
        complete = [int(r['rid'] or 0) for r in records if r['status'] == site.STATUS_COMPLETE]
        by_rid = {view['rid']: self._checked(view) for view in views.views(
            self, views.REQUEST, complete, fresh=not cache)} if complete else {}
        table = tables.requests_table(records, [by_rid.get(int(r['rid'] or 0))
                                                for r in records])
        table.meta['object'] = name
        return table

    def query_jobs(self, start: Any = None, end: Any = None, *,
                   telescope: str | int | None = None, filter: str | None = None,
                   details: bool = False, cache: bool = True) -> Table:
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
        cache : bool, optional
            False: with ``details``, read every view from the server, as
            `get_job_details` does with ``cache=False``. (The search itself
            is never cached.)

        Returns
        -------
        `~astropy.table.Table`
            Newest completion first: ``jid`` and what the search page lists
            of each job, where its rows show it (``object_name``,
            ``telescope``, ``filter``, ``exposure``, ``completed``, ``user``;
            the live site's columns beyond the job link are not known, so
            only those its headings name are there). With ``details``, the
            `get_job_details` columns, with ``object_name`` (and ``user``)
            from the search, and ``telescope`` from the search where the view
            does not say. ``meta['parameters']`` holds the search as the site
            echoed it.
        """
        start_time, end_time = arguments.time_window(start, end)
        telescope_id = (arguments.telescope_id(telescope, in_service=False)
                        if arguments.given(telescope) else None)
        filter_name = (arguments.filter_name(filter, site.TELESCOPE_NAMES.get(telescope_id or 0))
                       if arguments.given(filter) else None)
        arguments.check_flag(details, 'details')
        arguments.check_flag(cache, 'cache')
        self._require_login()
        found = search.search_jobs(self, start_time, end_time, telescope_id, filter_name)
        if details:
            table = tables.with_search_columns(
                self.get_job_details(found['jids'], cache=cache) if found['jids']
                else tables.job_details_table([]), found['rows'], found['columns'])
        else:
            table = tables.jobs_table(found['rows'], found['columns'])
        table.meta.update({'start': start_time.isoformat(), 'end': end_time.isoformat(),
                           'parameters': found['parameters']})
        return table

    def _checked(self, record: Any) -> Any:
        """A view whose completion time is checked for the summer date slip against
        the frames of the job's products in the cache (no HTTP call)."""
        completed = record.get('completed')
        if completed is None or not pages.completion_may_slip(completed):
            return record
        from .images.api import cached_frame_starts  # the image modules load on demand
        starts = cached_frame_starts(self, record['jid']) if record.get('jid') else []
        completed, check = pages.check_completion(completed, starts)
        return {**record, 'completed': completed, 'completion_check': check}

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
        if capture is not None:
            arguments.output_file(capture, 'capture')
        self._require_login()
        from .site_check import check_site
        return check_site(self, capture_path=capture, download=download)

    # --- Images: get_images, download_data, preview -----------------------
    # Thin: the work is in telescope_query.images (imported here, not at the top:
    # the image modules load on first use).

    def get_images(self, jids: Any, *, cube: bool = True, processed: bool = False,
                   flat: bool = False, wcs: bool = True, show_progress: bool = True,
                   cache: bool = True) -> list:
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
        wcs : bool, optional
            Add the approximate WCS of `add_wcs` to every frame whose optics
            are known (the default). False: no WCS cards. Either way each
            one-frame HDU (a zip's) gets ``MJD-OBS``, ``DATE-AVG`` and
            ``MJD-AVG`` (mid-exposure, from ``EXPTIME``); see `frame_times`.
        show_progress : bool, optional
            Progress bars (jobs with their staging state, and bytes) when
            someone can see them; none when every product is in the cache.
        cache : bool, optional
            False: neither read nor write the product cache (astroquery's
            meaning): each product is downloaded afresh into a temporary
            folder and opened in memory, and the folder removed.

        Returns
        -------
        list of `~astropy.io.fits.HDUList`
            In the order of ``jids``. The site's header quirks are fixed
            (``EPOCH = 'REAL'`` removed, ``RADECSYS`` renamed ``RADESYS``,
            ``MJD-OBS`` added) with the original values in ``HISTORY``;
            with ``wcs``, an approximate WCS (see `add_wcs`).

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
        from .images import api as images
        return images.get_images(self, jids, cube=cube, processed=processed, flat=flat,
                                 wcs=wcs, show_progress=show_progress, cache=cache)

    def download_data(self, jids: Any, *, path: str | os.PathLike = '.', cube: bool = True,
                      processed: bool = False, flat: bool = False,
                      show_progress: bool = True, overwrite: bool = False,
                      cache: bool = True) -> Table:
        """Download the images of jobs into a folder.

        As `get_images`, but the files are put into ``path`` under the original
        library's names (``369256.fits``, ``369256.zip``, ``art_369256.zip``;
        ``369256_flat.fits`` with ``flat``). Files are complete or absent:
        never half-written under their name. Each is a file of its own (a
        copy, or a copy-on-write clone where the file system makes them):
        editing it changes neither the cache nor another folder's copy.

        Parameters
        ----------
        jids : int, str, list or Table
            Job ids.
        path : str or path-like, optional
            Folder for the files (made when missing); the current one by
            default. Checked before anything is sent: it must be a folder (or
            one that can be made) that files can be written to.
        cube, processed, flat, show_progress : bool, optional
            As for `get_images`.
        overwrite : bool, optional
            Replace a file of the same name that this package did not write,
            or that was changed since it wrote it. By default such a file is
            left as it is and its row says ``SKIPPED``. A file it wrote and
            nobody changed is replaced whenever the product differs.
        cache : bool, optional
            False: neither read nor write the product cache (astroquery's
            meaning): each product is downloaded afresh into a temporary
            folder, put into ``path``, and the folder removed.

        Returns
        -------
        manifest : `~astropy.table.Table`
            One row per job: ``jid``, ``product`` (``cube``, ``zip``,
            ``flat-fielded cube``, ``processed zip``...), ``local_path``, ``status`` (``COMPLETE``:
            downloaded; ``CACHED``: taken from the cache with no HTTP call;
            ``SKIPPED``: a file of that name is the user's and was left as
            it is; ``ERROR``), ``message`` (why it failed or was skipped) and
            ``size`` [byte]. One failed job never stops the others.

        Raises
        ------
        ValueError, TypeError
            ``path`` is not a folder name, holds a NUL character, lies under a
            file, or cannot be made or written to: before anything is sent.
        """
        from .images import api as images
        return images.download_data(self, jids, path=path, cube=cube, processed=processed,
                                    flat=flat, show_progress=show_progress,
                                    overwrite=overwrite, cache=cache)

    def preview(self, jid_or_hdul: Any, *, cache: bool = True, **options: Any):
        """A quick-look colour composite: a matplotlib `~matplotlib.figure.Figure`.

        Parameters
        ----------
        jid_or_hdul : int, str or `~astropy.io.fits.HDUList`
            A job id (its raw cube is fetched, or taken from the cache) or a
            product from `get_images`.
        cache : bool, optional
            For a job id, as for `get_images`: False neither reads nor writes
            the product cache.
        **options
            Passed to `telescope_query.images.preview.preview` (``crop_overscan``,
            ``stretch``, ``q``, ``title``, figure options).

        Raises
        ------
        ImportError
            matplotlib (the ``plot`` extra) is not installed.
        """
        from astropy.io import fits
        from .images import preview as quick_look
        cache = arguments.check_flag(cache, 'cache')
        if isinstance(jid_or_hdul, fits.HDUList):
            return quick_look.preview(jid_or_hdul, **options)
        (jid,), _ = arguments.ids(jid_or_hdul, 'jid_or_hdul', column='jid')
        # Every option, and matplotlib itself, is checked before any download.
        quick_look.check_options(**options)
        hdul = self.get_images([jid], show_progress=False, cache=cache)[0]
        return quick_look.preview(hdul, **options)

    def clear_cache(self, *, products: bool = True, records: bool = True) -> None:
        """Empty this package's caches in the cache location.

        astroquery's own ``clear_cache`` removes only its request cache; this
        package keeps two more (docs/downloading.rst, The cache): verified
        image products, and the records of views that cannot change. Both are
        per server and account; this empties them for every server and
        account under ``cache_location`` (only the package's own files go).

        Parameters
        ----------
        products : bool, optional
            Remove the image products (``products/`` in the cache location,
            or the ``cache`` folder given to the original constructor), and
            the records of the files ``download_data`` wrote (the files
            themselves stay; a later call then leaves them as it finds them
            unless they hold the product's exact bytes).
        records : bool, optional
            Remove the records of views (``records/``) and astroquery's
            request cache.
        """
        arguments.check_flag(products, 'products')
        arguments.check_flag(records, 'records')
        if records:
            super().clear_cache()
            from .records import clear
            clear(self.cache_location / 'records')
        if products:
            from .images.eviction import clear_all
            clear_all(self._products_root or self.cache_location / 'products')

    # --- Submission: submit, submit_missing ----------------------------------

    @overload
    def submit(self, target: Any, *, exposure: Any = ..., telescope: str = ...,
               filter: str = ..., dark_frame: bool = ..., name: str | None = ...,
               comment: str = ..., get_query_payload: Literal[False] = ...) -> int: ...

    @overload
    def submit(self, target: Any, *, exposure: Any = ..., telescope: str = ...,
               filter: str = ..., dark_frame: bool = ..., name: str | None = ...,
               comment: str = ..., get_query_payload: Literal[True]) -> dict: ...

    def submit(self, target: Any, *, exposure: Any = 60 * u.s, telescope: str = 'COAST',
               filter: str = 'BVR', dark_frame: bool = True, name: str | None = None,
               comment: str = '', get_query_payload: bool = False) -> int | dict:
        """Put a new observation request in the queue.

        Everything is checked before anything is sent. The final submission
        is sent once: when its answer is lost, the queue is searched for the
        request before trying again, so one call never makes two requests.
        After a timeout, an HTTP 502/503/504 or an answer that stalled, the
        server may still be saving it: the queue is looked at again
        (``conf.submit_recheck_wait``, ``conf.submit_rechecks``) and the
        request is never sent again. Threads sharing a client submit one at a
        time.

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
            The site refused (the message says why, ``status`` holds the
            site's word) or the outcome stayed unknown (``status ==
            'AMBIGUOUS'``: look at ``get_requests(status='queued')`` before
            submitting again).

        Warns
        -----
        `~telescope_query.LowAltitudeWarning`
            The target never gets above 30° at the Observatorio del Teide.
        `~telescope_query.NotObservableWarning`
            The target has no observable night in the next
            ``conf.observable_days`` (see `observability`); it is still submitted.
        """
        plan = plan_submission(target, exposure=exposure, telescope=telescope,
                               filter=filter, dark_frame=dark_frame, name=name,
                               comment=comment)
        if get_query_payload:
            return send.basket_params(plan)
        from .observe.api import warn_if_not_observable
        warn_if_not_observable(plan.coord, plan.object_name, stacklevel=2)
        return send.submit_plan(self, plan)

    def submit_missing(self, targets: Any, *, exposure: Any = 60 * u.s,
                       telescope: str = 'COAST', filter: str = 'BVR',
                       dark_frame: bool = True, dry_run: bool = False,
                       min_interval: Any = None) -> Table:
        """Submit the targets that are not already waiting in the queue.

        The monitoring workflow of the original batch script: a target with
        a queued request (status below 8) of the same name (case, spaces and
        a suffix such as ``_M`` ignored) or within 5 arcsec is left alone; the
        others are submitted as `submit` would. Names are resolved only when
        the queue does not already hold them. One batch at a time per client:
        a `submit` from another thread waits for it.

        Parameters
        ----------
        targets : list or `~astropy.table.Table`
            Names, coordinate strings or SkyCoords; or a Table with one row
            per target and these columns (names compared without regard to
            case; an empty or masked cell takes the default below):

            ==============  ====================================================
            ``target``      coordinates or a name resolved by astropy; a table
                            without it takes its targets from ``name``
            ``name``        the object name shown in the request list (default:
                            the target name, or its coordinates)
            ``telescope``   ``COAST`` or ``PIRATE``
            ``filter``      a filter in either naming scheme
            ``exposure``    seconds (or a column with a unit of time)
            ``comment``     a comment stored with the request
            ``dark_frame``  true/false, yes/no or 1/0
            ==============  ====================================================

            Any other column is a `ValueError` naming it, raised before
            anything is sent.
        exposure, telescope, filter, dark_frame
            Defaults for every target, as in `submit`.
        dry_run : bool, optional
            Report what would be done without submitting.
        min_interval : `~astropy.units.Quantity`, timedelta or float, optional
            The cadence: a target whose last completed request completed less
            than this long ago (a number is days) is ``'skipped'``. The
            completion times come from the views of each target's 5 newest
            completed requests (cached once final), compared with this
            computer's clock.

        Only the free places of the queue (``conf.queue_limit`` less the
        requests waiting) are used, in the order the targets are given; the
        others ``'waits for room'``.

        Returns
        -------
        `~astropy.table.Table`
            One row per target: ``target``, ``action`` (``'queued'``,
            ``'submitted'``, ``'failed'``, ``'ambiguous'`` when the answer was
            lost and the queue does not show whether the request was made (it
            is not sent again: look at the queue before the next run),
            ``'skipped'`` (observed within ``min_interval``), ``'waits for
            room'`` (no free place in the queue), ``'not sent'`` once the site
            says the account's queue is full, or ``'would submit'`` in a dry
            run), ``rid`` (masked when none) and ``message`` (why it failed,
            and any low-altitude or `~telescope_query.NotObservableWarning`
            warning).

        Raises
        ------
        ValueError, TypeError
            Bad defaults, an empty list, a table without a target column or
            with a column not listed above. A bad cell fails its row alone.
        """
        return batch.submit_missing(self, targets, exposure=exposure,
                                    telescope=telescope, filter=filter,
                                    dark_frame=dark_frame, dry_run=dry_run,
                                    min_interval=min_interval)


    # --- Frames ready for science: add_wcs, solve_wcs, frame_times ----------
    # Thin: the work is in telescope_query.images.wcs, .solve and .times.

    def add_wcs(self, path_or_hdul: Any, *, telescope: str | None = None) -> Any:
        """An approximate WCS on every frame whose optics are known.

        The requested position (``OBJCTRA``/``OBJCTDEC``, else ``MNTRA``/
        ``MNTDEC``, else ``RA-TEL``/``DEC-TEL``) at the centre of the imaging
        area (overscan left out), with the telescope's recorded plate scale
        at the frame's date, north up and east left, turned by the recorded
        rotation. ``get_images`` does this by default; this method does it
        for a downloaded file or any HDUList.

        The WCS is marked as approximate (``WCSNAME``, ``CSYER1``/``CSYER2``
        and a ``HISTORY`` line: expect errors of about 1 arcmin): it is not a
        plate solution (see `solve_wcs`). A frame whose telescope or optics
        are unknown (PIRATE today), or without pointing or date, gets none,
        and a ``HISTORY`` line saying why. A frame with a WCS of another kind
        (a plate solution) is left as it is.

        Parameters
        ----------
        path_or_hdul : str, path-like or `~astropy.io.fits.HDUList`
            A product file (cube or zip: the file itself is not changed) or an
            HDUList (changed in place).
        telescope : str, optional
            ``'COAST'`` or ``'PIRATE'`` when ``TELESCOP`` does not say it; by
            default read from ``TELESCOP``.

        Returns
        -------
        `~astropy.io.fits.HDUList`
            The product with the WCS (the same object when an HDUList was given).
        """
        source = arguments.product_source(path_or_hdul, 'path_or_hdul')
        telescope = arguments.optional_telescope(telescope)
        from astropy.io import fits
        from .images.fits import open_product
        from .images.wcs import add_wcs
        hdul = source if isinstance(source, fits.HDUList) else open_product(source)
        return add_wcs(hdul, telescope)


    def frame_times(self, jid_or_hdul: Any, *, target: Any = None) -> Table:
        """When each frame of a job was taken: a Table a light-curve script can use.

        Every frame has its own ``DATE-OBS`` (the start of its exposure): each
        file of a job's zip, which is what is read for a job id (fetched, or
        taken from the cache). The job's completion time is never used: it
        comes minutes after the last frame.

        Parameters
        ----------
        jid_or_hdul : int, str or `~astropy.io.fits.HDUList`
            A job id, or a product from `get_images` (a zip's, or a cube's:
            a cube's planes after the first have a time only when its header
            gives ``DATE-OB2``...).
        target : `~astropy.coordinates.SkyCoord` or str, optional
            The star, for barycentric dates (a coordinate string such as
            ``'19:19:02.60 +41:06:34.24'`` is read as RA in hours, Dec in
            degrees).

        Returns
        -------
        `~astropy.table.Table`
            One row per frame, in the order they were taken: ``filter``,
            ``start`` and ``mid`` (`~astropy.time.Time`, UTC), ``exposure``
            [s] (from ``EXPTIME``, else the job view), and ``bjd_tdb`` (TDB,
            format ``jd``) with a ``target``. Unknown values are masked.
        """
        import numpy as np
        from astropy.io import fits
        from .images.times import frame_table
        target = arguments.sky_target(target)
        if isinstance(jid_or_hdul, fits.HDUList):
            return frame_table(jid_or_hdul, target=target)
        (jid,), _ = arguments.ids(jid_or_hdul, 'jid_or_hdul', column='jid')
        hdul = self.get_images([jid], cube=False, wcs=False, show_progress=False)[0]
        exposure = None
        if any(hdu.header.get('NAXIS', 0) >= 2 and 'EXPTIME' not in hdu.header
               for hdu in hdul):
            shown = self.get_job_details([jid])['exposure']
            exposure = None if np.ma.is_masked(shown[0]) else shown.quantity[0]
        return frame_table(hdul, exposure=exposure, target=target)


    def solve_wcs(self, hdul: Any, *, api_key: str | None = None) -> Any:
        """Plate-solve a product's frames through astrometry.net, for precise positions.

        Each frame (a cube by its first plane) is sent to astrometry.net with
        the hints of its approximate WCS (`add_wcs`: centre, radius, scale),
        overscan cut; the solution (with SIP distortion) replaces the
        approximate WCS (``WCSNAME`` says which it is; a solved cube is read
        with ``WCS(header, naxis=2)``, as astropy reads SIP distortion in two
        dimensions only). Solutions are kept in
        the product cache by job and filter, so asking again costs nothing.

        Needs the network and an astrometry.net API key (free at
        https://nova.astrometry.net).

        Parameters
        ----------
        hdul : `~astropy.io.fits.HDUList`
            A product from `get_images` (changed in place and returned).
        api_key : str, optional
            The key; by default astroquery's own configuration
            (``[astrometry_net] api_key``), else the keyring (service
            ``'astroquery:astrometry.net'``, user ``'api_key'``).

        Returns
        -------
        `~astropy.io.fits.HDUList`
            ``hdul``, solved.

        Raises
        ------
        `~telescope_query.exceptions.PlateSolveError`
            No key (said before any request), the network cannot be reached,
            or astrometry.net found no solution.
        """
        from .images.solve import solve_wcs
        hdul = arguments.hdulist(hdul, 'hdul')
        api_key = arguments.optional_secret_text(api_key, 'api_key')
        return solve_wcs(hdul, self.product_cache, api_key=api_key)


    # --- The observer's loop: observability -----------------------------------

    def observability(self, targets: Any, start: Any = None, days: Any = 30, *,
                      telescope: str = 'COAST') -> Table:
        """When targets can be observed from the Observatorio del Teide.

        Computed here, offline (no login, no download: astropy's built-in
        ephemeris, UT1 taken as UTC), on a 5-minute grid: a moment is
        observable when the Sun is below -18° (astronomical night), the target
        above ``conf.observable_min_altitude`` and at least
        ``conf.observable_moon_separation`` from the Moon. ``docs/monitoring.rst``
        says what precision this has.

        Parameters
        ----------
        targets : str, `~astropy.coordinates.SkyCoord`, list or `~astropy.table.Table`
            As `submit` takes a target (names need astropy's resolver, online),
            a list of them, or a Table with a ``target`` column.
        start : `~astropy.time.Time`, datetime or str, optional
            Start of the span (UTC); now by default.
        days : float, optional
            Length of the span, above 0 and at most 366 days.
        telescope : str, optional
            ``'COAST'`` or ``'PIRATE'``: both stand at the Teide.

        Returns
        -------
        `~astropy.table.Table`
            One row per target: ``target``, ``coord``, ``window_start`` and
            ``window_end`` (the first observable window of the span, masked
            when none), ``nights`` (with any observable time), ``hours``,
            ``best_airmass`` and ``months`` (the months of the year with dark
            hours above the altitude limit, the Moon ignored).
        """
        from .observe.api import observability
        return observability(targets, start, days, telescope=telescope)


    # --- The observer's loop: waiting for requests ----------------------------

    def wait_for(self, rids: Any, *, timeout: Any = None, poll: Any = 60.0,
                 download: Any = None) -> Table:
        """Wait until requests reach a final status; fetch their images as they do.

        One listing call per round, however many requests: the first at once,
        then after 1 s, each next wait 1.5 times the last, up to ``poll``.
        Press Ctrl-C to stop waiting: what is known so far is returned.

        Parameters
        ----------
        rids : int, str, list, `~astropy.table.Table` or `~astropy.table.Row`
            Request ids (of the Inbox, where every request of the account is
            listed).
        timeout : float or `~astropy.units.Quantity`, optional
            Stop waiting after this many seconds (30 days at most when None).
        poll : float or `~astropy.units.Quantity`, optional
            Longest wait between two listing calls, seconds (default 60).
        download : str or path-like, optional
            A folder: each completed request's product (a raw cube) is
            downloaded into it as soon as the request completes, as
            `download_data` does (verified, from the cache when there).

        Returns
        -------
        `~astropy.table.Table`
            One row per request: ``rid``, ``status`` (the last seen),
            ``status_text``, ``final``, ``jid`` (masked unless complete) and,
            with ``download``, ``local_path`` (masked when not downloaded).
            ``meta['pending']`` counts the requests still waiting.

        Raises
        ------
        `~telescope_query.exceptions.NoSuchRequestError`
            A request is not in the account's listing (before any wait).
        """
        from .monitor.loop import wait_for
        return wait_for(self, rids, timeout=timeout, poll=poll, download=download)


    # --- The observer's loop: a local mirror ----------------------------------

    def sync(self, path: str | os.PathLike, *, folder: str | int = 'Inbox',
             since: Any = None, cube: bool = True, layout: str = '{object}/{jid}',
             show_progress: bool = True) -> Table:
        """Keep a local copy of every completed job's images in a folder.

        Every completed request of ``folder`` whose job's file is not in
        ``path`` yet is downloaded (verified, as `download_data` does), and a
        ledger beside the files (``telescope-ledger.ecsv``: rid, jid, object,
        filter, exposure, completion, file, size, checksum) says what is
        there. A second run with nothing new downloads nothing and reads the
        listing only (and the views of new completions). A deleted file is
        fetched again; one whose size changed, or whose time and checksum
        changed, too, and reported. An interrupted run resumes: the ledger is
        written every 500 jobs and verified products stay in the product cache.
        A lock file (``.telescope-sync.lock``) keeps two runs of one folder
        from overlapping.

        Parameters
        ----------
        path : str or path-like
            The mirror's folder (made when missing).
        folder : str or int, optional
            The request folder whose completed requests are mirrored.
        since : `~astropy.time.Time`, datetime or str, optional
            Only jobs completed at or after this time (UTC).
        cube : bool, optional
            The FITS cube (default) or the zip of one file per filter.
        layout : str, optional
            Each file's place in ``path``, without its extension: a pattern of
            ``{object}``, ``{jid}``, ``{rid}``, ``{filter}`` holding ``{jid}``.
        show_progress : bool, optional
            Progress bars while downloading.

        Returns
        -------
        `~astropy.table.Table`
            The manifest, one row per job: ``jid``, ``rids``, ``object``,
            ``file`` (relative to ``path``), ``status`` (``NEW``,
            ``UNCHANGED``, ``REFETCHED`` or ``ERROR``), ``message`` and
            ``size``; ``meta`` counts each status.

        Raises
        ------
        `~telescope_query.sync.lock.SyncLockedError`
            Another sync of ``path`` is running.
        """
        from .sync.run import sync
        return sync(self, path, folder=folder, since=since, cube=cube, layout=layout,
                    show_progress=show_progress)


Telescope = TelescopeClass()
