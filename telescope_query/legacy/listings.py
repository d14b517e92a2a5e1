"""The original library's listings: requests, folders, jobs, the job search.

Thin wrappers over the modules behind `~telescope_query.core.TelescopeClass`
(``listing``, ``views``, ``search``), returning the original shapes (lists of
dicts with the site's keys and string values, the dicts of ``get_job`` and
``get_request``).
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .. import arguments, listing, search, views
from ..protocol import user_api
from ..protocol.site import STATUS_COMPLETE, STATUS_TEXTS, TELESCOPE_IDS, TELESCOPE_NAMES

__all__ = ['ListingsLegacy']

if TYPE_CHECKING:       # a mixin of telescope_query.legacy.Telescope, over TelescopeClass
    from ..core import TelescopeClass as _Base
else:
    _Base = object


class ListingsLegacy(_Base):
    """Listing methods of the original ``Telescope`` class."""

    #: Text of each request status code, indexable by ``int(status)``.
    REQUESTSTATUS_TEXTS: dict[int, str] = dict(STATUS_TEXTS)
    #: Camera (telescope) name -> telescope id, as the job search and requests use.
    cameratypes: dict[str, int] = dict(TELESCOPE_IDS)

    def get_user_requests(self, folder: int | str = 1, sort: str = 'rid') -> list[dict]:
        """All requests of a folder (Inbox=1 by default) as the site's dicts.

        ``sort`` is ``'rid'``, ``'object'`` or ``'completion'``. Values are
        strings (``rq["status"]`` is ``'8'``), as the original returned them.
        """
        sort = arguments.check_sort(sort)
        self._require_login()
        folder_id, _ = listing.resolve_folder(self, folder)
        return user_api.legacy_strings(listing.requests_raw(self, folder_id, sort))

    def get_user_folders(self) -> list[dict]:
        """All folders as the site's dicts (``count`` is None for an empty folder)."""
        self._require_login()
        return user_api.legacy_strings(listing.folders_raw(self))

    def get_jid_for_req(self, req: dict | int | str | None = None) -> int | bool:
        """The job id of a request (a dict of `get_user_requests`, or an id);
        False when the request is not done yet."""
        if isinstance(req, dict):
            if 'id' not in req:
                raise ValueError("req: a request dict needs its 'id' key")
            # The original skipped unfinished requests by their status string.
            if 'status' in req and str(req['status']) != str(STATUS_COMPLETE):
                return False
            req = req['id']
        if req is None:
            raise TypeError("req must be a request dict or a request id")
        (rid,), _ = arguments.ids(req, 'req')
        self._require_login()
        jid = views.request_view(self, rid)['jid']
        return jid if jid is not None else False

    def get_request(self, rid: int | str | None = None) -> dict[str, Any]:
        """The view of one request as a dict.

        Keys: ``rid``, ``jid`` (None until complete), ``type``, ``oid``,
        ``name``, ``tele``, ``telename``, ``filter``, ``dark``, ``exp`` (as
        shown, ``'120000 ms'``), ``requested`` and ``completion`` (five words,
        ``['18', 'November', '2024', '05:41:09', 'UTC']``, or None),
        ``status`` (the site's text), ``flatid``.
        """
        if rid is None:
            raise TypeError("rid must be a request id")
        (number,), _ = arguments.ids(rid, 'rid')
        self._require_login()
        view = views.request_view(self, number)
        return {'rid': view['rid'], 'jid': view['jid'], 'type': view['object_type'],
                'oid': view['object_id'], 'name': view['object_name'],
                'tele': view['telescope_type'], 'telename': view['telescope'],
                'filter': view['filter'], 'dark': view['dark_frame'],
                'exp': view['exposure_text'], 'requested': view['requested_words'],
                'completion': view['completion_words'], 'status': view['status_text'],
                'flatid': view['flat_id']}

    def get_job(self, jid: int | str | None = None) -> dict[str, Any]:
        """The view of one job as the original's dict.

        ``jid`` (int), ``rid`` (``'706248'``; several requests as
        ``'R771716 R771970'``), ``type``, ``oid``, ``exp`` (``'120000 ms'``),
        ``filter``, ``tele``, ``completion`` (five words), ``status`` (True for
        a successful job), ``flatid`` (int, None without a flat field).
        """
        if jid is None:
            raise TypeError("jid must be a job id")
        (number,), _ = arguments.ids(jid, 'jid')
        self._require_login()
        view = views.job_view(self, number)
        rids = view['rids']
        return {'jid': view['jid'],
                'rid': str(rids[0]) if len(rids) == 1 else ' '.join(f'R{r}' for r in rids),
                'type': view['object_type'], 'oid': view['object_id'],
                'exp': view['exposure_text'], 'filter': view['filter'],
                'tele': view['telescope_type'], 'completion': view['completion_words'],
                'status': view['success'], 'flatid': view['flat_id']}

    def get_obs_list(self, t: float | None = None, dt: float = 1, filtertype: str = '',
                     camera: str | int = '', hour: int = 16, minute: int = 0,
                     verb: bool = False) -> list[int]:
        """Job ids (ints) of the public jobs completed in the ``dt`` days up to
        ``hour:minute`` UTC of the day of ``t`` (seconds since the epoch,
        default now). ``verb`` prints the search parameters the site echoes."""
        if t is None:
            t = time.time()
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            raise TypeError(f"t must be seconds since the epoch (as time.time()), got {t!r}")
        if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not dt > 0:
            raise ValueError(f"dt must be a positive number of days, got {dt!r}")
        if not (isinstance(hour, int) and not isinstance(hour, bool) and 0 <= hour <= 23
                and isinstance(minute, int) and not isinstance(minute, bool)
                and 0 <= minute <= 59):
            raise ValueError(f"hour must be 0-23 and minute 0-59, got {hour!r}:{minute!r}")
        try:
            end = datetime.fromtimestamp(t, timezone.utc).replace(
                hour=hour, minute=minute, second=0, microsecond=0)
        except (ValueError, OverflowError, OSError):    # NaN, infinite, beyond year 9999
            raise ValueError(f"t must be seconds since the epoch (as time.time()), got "
                             f"{t!r}") from None
        arguments.searchable(end, 't')
        try:
            start = end - timedelta(days=dt)
        except (ValueError, OverflowError):
            start = datetime.min.replace(tzinfo=timezone.utc)
        arguments.searchable(start, 'dt', days=dt)
        telescope_id = (arguments.telescope_id(camera, 'camera', in_service=False)
                        if arguments.given(camera) else None)
        filter_name = (arguments.filter_name(filtertype, TELESCOPE_NAMES.get(telescope_id or 0),
                                             'filtertype')
                       if arguments.given(filtertype) else None)
        self._require_login()
        found = search.job_search(self, start, end, telescope_id, filter_name)
        if verb:
            print('Params:')
            for line in found['parameters']:
                print(line)
        return list(found['jids'])


def _do_api_call(self, module: str, request: str, params: dict | None = None) -> dict[str, Any]:
    """Call the JSON user API and return its raw answer, failures included.

    The original's ``scope.__do_api_call(module, request, params)``: a name
    with two leading underscores used from outside a class is not mangled, so
    it is attached with ``setattr`` after the class body (inside the body it
    would become ``_ListingsLegacy__do_api_call``).
    """
    return self._api_call(module, request, params or None, allow_failure=True)


setattr(ListingsLegacy, '__do_api_call', _do_api_call)
