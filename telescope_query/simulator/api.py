"""The JSON user API, ``POST api-user.php`` (PROTOCOL.md section 2).

Form fields ``module``, ``request`` and ``params`` (a JSON object; missing
means ``{}``); the answer is ``{"success": 1|0, "status": ..., "data": ...}``,
the basket's with ``true``/``false`` (both occur on the site).

- ``request-manager``: ``0-get-my-folders``; ``1-get-list-own``, whose
  records carry exactly ``id``, ``seen``, ``usercomments``, ``objecttype``,
  ``objectid``, ``objectname``, ``requesttime``, ``status`` and ``row``, all
  strings (:func:`listing_record`), sorted by :data:`LISTING_ORDERS`.
- ``request-constructor``: the basket ``0-rb-clear``, ``0-rb-set``,
  ``0-rb-submit``; exposures over the telescope's maximum are refused
  (``ERR_BAD_EXPOSURE``), a submission beyond the queue limit too
  (``ERR_QUEUE_FULL``); both words are [assumed].
- ``image-engine``: ``0-create-dl3d``/``0-create-dlzip`` answer ``OK_READY``
  with ``{"ieID": "...", "flatID": <flat sent, a number>}`` or ``OK_WAIT``
  with ``{"ieID": "..."}``; ``0-is-job-ready`` answers ``WAIT`` or
  ``PROCESSING`` with ``data`` null, then ``READY`` with ``{"flatID": "<flat>",
  "fitsbzsize": ..., "fitssize": ...}``.

Other failure statuses (``ERR_BAD_PARAMS``, ``ERR_NO_SUCH_JOB``...) are
[assumed]; a client tests ``success`` only.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from .engine import ImageEngine, Staging
from .faults import Faults
from .model import COMPLETE, FILTERS, MAX_EXPOSURE_MS, QueueFullError
from .sessions import Session
from .values import BadValue, as_int, as_number, parse_object_id

__all__ = ['ApiError', 'UserApi', 'answer', 'listing_record', 'LISTING_ORDERS',
           'visible_job', 'staging_status', 'with_name_suffix']


class ApiError(Exception):
    """An API call that answers ``success`` 0 (or false) with ``status``."""

    def __init__(self, status: str, message: str = '') -> None:
        super().__init__(message or status)
        self.status = status


def answer(success: Any, status: str, data: Any = None) -> dict[str, Any]:
    """The envelope of every answer."""
    return {'success': success, 'status': status, 'data': data}


def listing_record(r: Any, row: int) -> dict[str, str]:
    """A request as the listing gives it: exactly the recorded keys, all strings.

    ``row`` is the 1-based position in the whole listing (``startAfterRow``
    counted). Telescope, filter, exposure, completion, folder and job are not
    in the listing (PROTOCOL.md section 2): only in the request's view.
    """
    return {'id': str(r.rid), 'seen': '1' if r.seen else '0',
            'usercomments': r.comments, 'objecttype': r.object_type,
            'objectid': r.object_id, 'objectname': r.object_name,
            'requesttime': str(int(r.request_time)), 'status': str(r.status),
            'row': str(row)}


def _by_completion(r: Any) -> tuple:
    """The live site's ``sort=completion`` (PROTOCOL.md section 2, recorded.md 1.5).

    Complete requests the owner has not seen come first, newest completion
    first; then the queued ones (status < 8); then the seen complete ones,
    newest completion first; then the other finished ones (expired,
    cancelled...).  Recorded: an old unseen complete request at row 1
    (2021, 2022); rows 1-9 Waiting when nothing complete was unseen, the
    Cancelled ones after row 10 (2021-08); ten unseen complete requests above
    8-10 Waiting ones (2023, 2024).  [assumed]: newest id first among the
    queued and among the other finished requests.
    """
    if r.completion_time and not r.seen:
        return (0, -r.completion_time, -r.rid)
    if r.status < COMPLETE:
        return (1, 0, -r.rid)
    if r.completion_time:
        return (2, -r.completion_time, -r.rid)
    return (3, 0, -r.rid)


#: Sort keys of the listing's ``sort`` values. ``object`` is [assumed]: by
#: name, case ignored, newest id first among equal names.
LISTING_ORDERS: dict[str, Callable[[Any], tuple]] = {
    'rid': lambda r: (-r.rid,),
    'completion': _by_completion,
    'object': lambda r: (r.object_name.lower(), -r.rid),
}


def visible_job(archive: Any, user: str, jid: int | None) -> Any | None:
    """The job if this user may see it (their own or a public one), else None."""
    job = archive.job(jid) if jid is not None else None
    if job is None or not (job.public or job.owner == user):
        return None
    return job


def with_name_suffix(faults: Faults, keys: list[str], fields: dict[str, Any]
                     ) -> dict[str, Any]:
    """The fields of a new request, its name suffixed when a ``name_suffix`` fault fires."""
    fault = faults.take('name_suffix', keys)
    if fault is None:
        return fields
    return {**fields, 'object_name': f"{fields['object_name']}{fault.params['suffix']}"}


def staging_status(engine: ImageEngine, faults: Faults, staging: Staging,
                   keys: list[str]) -> tuple[str, int]:
    """The engine's ``(status, size)``, held at ``PROCESSING`` by a ``never_ready`` fault."""
    if faults.take('never_ready', keys, jid=staging.job.jid) is not None:
        return 'PROCESSING', 0
    return engine.status(staging)


Handler = Callable[[Session, dict, str, list], dict]


class UserApi:
    """The handlers of ``api-user.php``, by module and request.

    Parameters
    ----------
    archive : Archive
        Accounts, folders, requests and jobs.
    engine : ImageEngine
        Staging of image products.
    faults : Faults
        Armed failures (``never_ready`` acts here).
    """

    def __init__(self, archive: Any, engine: ImageEngine, faults: Faults) -> None:
        self.archive = archive
        self.engine = engine
        self.faults = faults
        self._handlers: dict[tuple[str, str], Handler] = {
            ('request-manager', '0-get-my-folders'): self._folders,
            ('request-manager', '1-get-list-own'): self._list_own,
            ('request-constructor', '0-rb-clear'): self._rb_clear,
            ('request-constructor', '0-rb-set'): self._rb_set,
            ('request-constructor', '0-rb-submit'): self._rb_submit,
            ('image-engine', '0-create-dl3d'): self._create,
            ('image-engine', '0-create-dlzip'): self._create,
            ('image-engine', '0-is-job-ready'): self._is_ready,
        }

    def answer(self, session: Session | None, form: Mapping[str, str],
               keys: list[str]) -> dict[str, Any]:
        """The answer to one call from ``session`` (None: not logged in)."""
        if session is None:
            return answer(0, 'ERR_NOT_LOGGED_IN')
        module, request = form.get('module', ''), form.get('request', '')
        handler = self._handlers.get((module, request))
        if handler is None:
            return answer(0, 'ERR_UNKNOWN_REQUEST')
        text = form.get('params')
        try:
            params = {} if text in (None, '') else json.loads(text)
        except ValueError:
            return answer(0, 'ERR_BAD_PARAMS')
        if not isinstance(params, dict):
            return answer(0, 'ERR_BAD_PARAMS')
        try:
            return handler(session, params, request, keys)
        except (ApiError, BadValue) as error:
            status = error.status if isinstance(error, ApiError) else 'ERR_BAD_PARAMS'
            # The basket answers booleans, the other modules 1/0 (both occur).
            return answer(False if module == 'request-constructor' else 0, status)

    # -- request-manager ----------------------------------------------------------------
    def _folders(self, session: Session, params: dict, name: str,
                 keys: list[str]) -> dict[str, Any]:
        folders = []
        for folder in self.archive.folders(session.user):
            count = self.archive.folder_count(session.user, folder.folder_id)
            folders.append({'id': str(folder.folder_id),
                            'creationtime': str(int(folder.creation_time)),
                            'name': folder.name,
                            'count': str(count) if count else None})
        return answer(1, 'OK', folders)

    def _list_own(self, session: Session, params: dict, name: str,
                  keys: list[str]) -> dict[str, Any]:
        folder_id = as_int(params.get('folderid', 1), 'folderid')
        if folder_id not in {f.folder_id for f in self.archive.folders(session.user)}:
            raise ApiError('ERR_NO_SUCH_FOLDER')
        sort = params.get('sort', 'rid')
        if sort not in LISTING_ORDERS:
            raise ApiError('ERR_BAD_PARAMS')
        rows = sorted(self.archive.requests(session.user, folder_id),
                      key=LISTING_ORDERS[sort])
        start = as_int(params.get('startAfterRow', 0), 'startAfterRow')
        limit = as_int(params['limit'], 'limit') if 'limit' in params else len(rows)
        if start < 0 or limit < 0:
            raise ApiError('ERR_BAD_PARAMS')
        # Faults of a server that pages otherwise (PROTOCOL.md 2: [assumed]).
        cap = self.faults.take('page_cap', keys)
        if cap is not None:
            limit = min(limit, int(cap.params['rows']))
        if self.faults.take('ignore_start', keys) is not None:
            start = 0
        short = self.faults.take('short_total', keys)
        total = len(rows) + (int(short.params['missing']) if short is not None else 0)
        page = rows[start:start + limit]
        return answer(1, 'OK', {
            'totalRequests': str(total),
            'requests': [listing_record(r, start + index + 1)
                         for index, r in enumerate(page)]})

    # -- request-constructor: the basket --------------------------------------------------
    def _rb_clear(self, session: Session, params: dict, name: str,
                  keys: list[str]) -> dict[str, Any]:
        session.basket = None
        return answer(True, 'OK')

    def _rb_set(self, session: Session, params: dict, name: str,
                keys: list[str]) -> dict[str, Any]:
        try:
            telescope = as_int(params.get('telescopeid'), 'telescopeid')
        except BadValue:
            raise ApiError('ERR_BAD_TELESCOPE') from None
        if telescope not in FILTERS:
            raise ApiError('ERR_BAD_TELESCOPE')
        filter_name = params.get('filtertype')
        if filter_name not in FILTERS[telescope]:
            raise ApiError('ERR_BAD_FILTER')
        exposure = as_number(params.get('exposuretime'))
        # Over the telescope's maximum (180 s on COAST and PIRATE), or not a
        # positive number: refused with this [assumed] status word.
        if exposure is None or not 0 < exposure <= MAX_EXPOSURE_MS[telescope]:
            raise ApiError('ERR_BAD_EXPOSURE')
        if params.get('objecttype', 'RADEC') != 'RADEC':
            raise ApiError('ERR_BAD_OBJECTTYPE')
        position = parse_object_id(params.get('objectid'))
        if position is None:
            raise ApiError('ERR_BAD_OBJECTID')
        session.basket = dict(
            object_name=str(params.get('objectname') or params['objectid']),
            object_type='RADEC', object_id=params['objectid'],
            ra_deg=position[0], dec_deg=position[1], telescope_id=telescope,
            filter_type=filter_name, exposure_ms=int(round(exposure)),
            dark_frame=bool(as_number(params.get('darkframe', 1))),
            comments=str(params.get('usercomments', '')))
        return answer(True, 'OK')

    def _rb_submit(self, session: Session, params: dict, name: str,
                   keys: list[str]) -> dict[str, Any]:
        if not session.basket:
            raise ApiError('ERR_BASKET_EMPTY')
        try:
            created = self.archive.add_request(
                session.user, **with_name_suffix(self.faults, keys, session.basket))
        except QueueFullError:
            # [assumed] status word; the basket keeps its request for a later try.
            raise ApiError('ERR_QUEUE_FULL') from None
        session.basket = None
        return answer(True, 'OK', {'id': str(created.rid)})

    # -- image-engine -------------------------------------------------------------------
    def _create(self, session: Session, params: dict, name: str,
                keys: list[str]) -> dict[str, Any]:
        job = visible_job(self.archive, session.user, as_int(params.get('jid'), 'jid'))
        if job is None:
            raise ApiError('ERR_NO_SUCH_JOB')
        if not job.success:
            raise ApiError('ERR_NO_IMAGES')
        kind = 'cube' if name == '0-create-dl3d' else 'zip'
        flat_id = as_int(params.get('flatid', 0), 'flatid')
        if flat_id < 0:
            raise ApiError('ERR_BAD_PARAMS')
        staging, status = self.engine.create(job, kind, flat_id=flat_id)
        # OK_READY echoes the flat id sent as a number; OK_WAIT has no flatID [seen].
        data: dict[str, Any] = {'ieID': str(staging.ieid)}
        if status == 'OK_READY':
            data['flatID'] = flat_id
        return answer(1, status, data)

    def _is_ready(self, session: Session, params: dict, name: str,
                  keys: list[str]) -> dict[str, Any]:
        ieid = as_int(params.get('ieid'), 'ieid')
        staging = self.engine.get(ieid)
        if staging is None or visible_job(self.archive, session.user,
                                          staging.job.jid) is None:
            raise ApiError('ERR_NO_SUCH_IEID')
        status, size = staging_status(self.engine, self.faults, staging, keys)
        if status != 'READY':
            return answer(1, status)      # WAIT / PROCESSING: data null [seen]
        cube = staging.kind == 'cube'
        # Once READY: the flat id as a string, the size under the kind's key.
        return answer(1, status, {'flatID': str(staging.flat_id),
                                  'fitsbzsize': '0' if cube else str(size),
                                  'fitssize': str(size) if cube else '0'})
