"""Plain records (from `telescope_query.protocol`) -> astropy Tables.

Pure: no I/O. Times become `~astropy.time.Time` in UTC, exposures carry units
(seconds), unknown values are masked, and RA/Dec object ids give a
`~astropy.coordinates.SkyCoord` column (NaN where the object is not given by
RA/Dec, e.g. ``MESSIER 109``: nothing is resolved here).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.table import Column, MaskedColumn, Table
from astropy.time import Time

from .protocol.objectid import parse_objectid

__all__ = ['time_column', 'folders_table', 'requests_table', 'by_completion',
           'request_details_table', 'job_details_table', 'jobs_table', 'with_search_columns',
           'SEARCH_DESCRIPTIONS']

def time_column(values: Sequence[datetime | None]) -> Time:
    """UTC times, masked where a value is None."""
    seconds = np.array([value.timestamp() if value is not None else 0.0
                        for value in values], dtype=float)
    times = Time(seconds, format='unix', scale='utc')
    times.format = 'iso'
    times.precision = 0     # the site gives whole seconds
    missing = np.array([value is None for value in values], dtype=bool)
    if missing.any():
        times[missing] = np.ma.masked
    return times


def _masked(values: Sequence[Any], dtype: Any, **kwargs) -> MaskedColumn:
    missing = [value is None for value in values]
    fill = {int: 0, float: np.nan, bool: False, str: ''}[dtype]
    return MaskedColumn([fill if value is None else value for value in values],
                        mask=missing, dtype=dtype, **kwargs)


def _exposure(values_ms: Sequence[int | None]) -> MaskedColumn:
    return _masked([None if value is None else value / 1000 for value in values_ms],
                   float, unit=u.s, description='exposure time')


def _coords(object_types: Sequence[str | None], object_ids: Sequence[str | None]) -> SkyCoord:
    ra, dec = [], []
    for kind, text in zip(object_types, object_ids):
        parsed = parse_objectid(text) if kind in (None, 'RADEC') else None
        ra.append(parsed[0] if parsed else np.nan)
        dec.append(parsed[1] if parsed else np.nan)
    return SkyCoord(ra=np.array(ra) * u.deg, dec=np.array(dec) * u.deg, frame='icrs')


def _ids(values: Sequence[int | None]) -> MaskedColumn:
    return _masked(values, int)


def folders_table(records: Iterable[Mapping[str, Any]]) -> Table:
    """Columns ``folder_id``, ``name``, ``count`` (masked when empty), ``created``."""
    records = list(records)
    table = Table()
    table['folder_id'] = Column([r['folder_id'] for r in records], dtype=int)
    table['name'] = Column([r['name'] for r in records], dtype=str)
    table['count'] = _masked([r['count'] for r in records], int)
    table['created'] = time_column([r['created'] for r in records])
    return table


#: What each column of the request and job tables means (``Column.description``).
DESCRIPTIONS = {
    'rid': 'request id',
    'jid': 'job id (masked until the request is complete)',
    'object_name': 'object name given with the request',
    'object_type': "object type (RADEC, MESSIER, ...)",
    'object_id': 'object id: RA/Dec for RADEC, a catalogue number otherwise',
    'coord': 'position of RADEC targets (NaN for catalogue objects)',
    'comment': 'comment given with the request (masked where the site shows none)',
    'seen': 'whether the request was opened since it last changed',
    'status': 'request status code',
    'status_text': 'request status',
    'requested': 'request time (UTC)',
    'telescope': "telescope that took (or is to take) the request: COAST or PIRATE, "
                 "as its view's Telescope Name says (an old camera's name for older "
                 "requests); masked where the view does not say",
    'telescope_type': "the job view's 'Telescope Type Name': not a telescope of its own, "
                      "but the type of camera, Galaxy for COAST and PIRATE alike (an old "
                      "camera's name for older jobs)",
    'filter': 'filter',
    'dark_frame': 'whether a dark frame is taken',
    'exposure': 'exposure time of each frame',
    'completed': 'completion time of the job (UTC), not an observation time',
    'completion_check': "'corrected' or 'confirmed' by the frames' DATE-OBS, "
                        "'uncertain' when the view's date may be one day late "
                        "(summer date slip), '' otherwise",
    'flat_id': 'flat field id (masked without one)',
    'rids': 'the requests the job served',
    'success': "whether the job succeeded (status 'Success')",
}


def _describe(table: Table, overrides: Mapping[str, str] | None = None) -> Table:
    """Each column's description: ``overrides``, else `DESCRIPTIONS`."""
    for name in table.colnames:
        text = (overrides or {}).get(name, DESCRIPTIONS.get(name))
        if text is not None and hasattr(table[name], 'info'):
            table[name].info.description = text
    return table


def _listing_columns(table: Table, records: Sequence[Mapping[str, Any]]) -> None:
    """The columns the listing itself gives [seen]."""
    table['rid'] = Column([r['rid'] for r in records], dtype=int)
    table['object_name'] = Column([r['object_name'] for r in records], dtype=str)
    table['status'] = _masked([r['status'] for r in records], int)
    table['status_text'] = Column([r['status_text'] for r in records], dtype=str)
    table['requested'] = time_column([r['requested'] for r in records])
    table['object_type'] = _masked([r['object_type'] for r in records], str)
    table['object_id'] = _masked([r['object_id'] for r in records], str)
    table['coord'] = _coords([r['object_type'] for r in records],
                             [r['object_id'] for r in records])
    table['comment'] = _masked([r['comment'] for r in records], str)
    table['seen'] = _masked([r['seen'] for r in records], bool)


def _view_columns(table: Table, views: Sequence[Mapping[str, Any] | None], *,
                  jid: bool = True) -> None:
    """The columns only a request's view gives [seen], masked where there is none
    (``jid`` too unless the caller places it itself)."""
    def get(key: str) -> list[Any]:
        return [None if view is None else view.get(key) for view in views]

    # The view's Telescope Type Name is left out: it reads Galaxy for COAST and
    # PIRATE alike [seen], so beside Telescope Name it says nothing more.
    table['telescope'] = _masked(get('telescope'), str)
    table['filter'] = _masked(get('filter'), str)
    table['dark_frame'] = _masked(get('dark_frame'), bool)
    table['exposure'] = _exposure(get('exposure_ms'))
    table['completed'] = time_column(get('completed'))
    table['completion_check'] = Column([value or '' for value in get('completion_check')],
                                       dtype=str)
    if jid:
        table['jid'] = _ids(get('jid'))
    table['flat_id'] = _ids(get('flat_id'))


def requests_table(records: Iterable[Mapping[str, Any]],
                   views: Sequence[Mapping[str, Any] | None] | None = None) -> Table:
    """One row per request of a listing (records of `.protocol.user_api.request_record`).

    ``rid``, ``object_name``, ``status``, ``status_text``, ``requested``,
    ``object_type``, ``object_id``, ``coord``, ``comment`` and ``seen``: what
    the listing gives. With ``views`` (one request view record per row, of
    `.protocol.pages.parse_request_view`, or None where there is none) also
    ``telescope``, ``filter``, ``dark_frame``,
    ``exposure``, ``completed``, ``completion_check``, ``jid`` and ``flat_id``.
    """
    records = list(records)
    table = Table()
    _listing_columns(table, records)
    if views is not None:
        views = list(views)
        if len(views) != len(records):
            raise ValueError(f"requests_table: {len(views)} views for {len(records)} "
                             f"requests")
        _view_columns(table, views)
    return _describe(table)


def by_completion(table: Table) -> Table:
    """A requests table with views in completion order: unfinished requests first
    (in their order), then the newest completion first."""
    completed = table['completed']
    missing = np.ma.getmaskarray(completed.mask) if getattr(completed, 'masked', False) \
        else np.zeros(len(table), bool)
    unix = np.where(missing, 0.0, getattr(completed, 'unmasked', completed).unix)
    order = sorted(range(len(table)), key=lambda i: (0, 0.0) if missing[i] else (1, -unix[i]))
    return table[order]


def request_details_table(records: Iterable[Mapping[str, Any]]) -> Table:
    """One row per request view (records of `.protocol.pages.parse_request_view`)."""
    records = list(records)
    table = Table()
    table['rid'] = Column([r['rid'] for r in records], dtype=int)
    table['jid'] = _ids([r['jid'] for r in records])
    table['object_name'] = _masked([r['object_name'] for r in records], str)
    table['object_type'] = _masked([r['object_type'] for r in records], str)
    table['object_id'] = _masked([r['object_id'] for r in records], str)
    table['coord'] = _coords([r['object_type'] for r in records],
                             [r['object_id'] for r in records])
    _view_columns(table, records, jid=False)
    table['requested'] = time_column([r['requested'] for r in records])
    table['status'] = _masked([r['status'] for r in records], int)
    table['status_text'] = _masked([r['status_text'] for r in records], str)
    table['comment'] = _masked([r.get('comment') for r in records], str)
    return _describe(table)


def job_details_table(records: Iterable[Mapping[str, Any]]) -> Table:
    """One row per job view (records of `.protocol.pages.parse_job_view`).

    ``rids`` holds, per job, the list of request ids it served. ``telescope``
    is masked unless a request view named it (a job view does not).
    """
    records = list(records)
    table = Table()
    table['jid'] = Column([r['jid'] for r in records], dtype=int)
    rids = np.empty(len(records), dtype=object)
    for index, record in enumerate(records):
        rids[index] = list(record['rids'])
    table['rids'] = Column(rids, dtype=object)
    table['object_type'] = _masked([r['object_type'] for r in records], str)
    table['object_id'] = _masked([r['object_id'] for r in records], str)
    table['coord'] = _coords([r['object_type'] for r in records],
                             [r['object_id'] for r in records])
    table['telescope'] = _masked([r.get('telescope') for r in records], str)
    table['telescope_type'] = _masked([r.get('telescope_type') for r in records], str)
    table['filter'] = _masked([r['filter'] for r in records], str)
    table['exposure'] = _exposure([r['exposure_ms'] for r in records])
    table['completed'] = time_column([r['completed'] for r in records])
    table['completion_check'] = Column([r.get('completion_check') or '' for r in records],
                                       dtype=str)
    table['success'] = Column([bool(r['success']) for r in records], dtype=bool)
    table['flat_id'] = _ids([r['flat_id'] for r in records])
    return _describe(table, JOB_DESCRIPTIONS)


#: What the job views' columns mean where they differ from the requests' (``DESCRIPTIONS``).
JOB_DESCRIPTIONS = {
    'jid': 'job id',
    'telescope': "telescope that took the job where known: a job view names only an old "
                 "camera (Cluster, ...), never COAST or PIRATE (see telescope_type)",
}

#: What the job search's columns mean where they differ from the views' (``DESCRIPTIONS``).
SEARCH_DESCRIPTIONS = {
    'jid': 'job id',
    'object_name': 'object name as the job search lists it',
    'telescope': "telescope as the job search lists it (masked where it says the "
                 "telescope type Galaxy, which names COAST and PIRATE alike)",
    'filter': 'filter as the job search lists it',
    'exposure': 'exposure time of each frame, as the job search lists it',
    'completed': 'completion time of the job (UTC) as the job search lists it, not an '
                 'observation time',
    'user': 'the user the job search names',
    'comment': 'comment as the job search lists it',
}
# The search row keys -> the columns they give.
_SEARCH_NAMES = {'exposure_ms': 'exposure'}


def _search_column(key: str, values: Sequence[Any]) -> Any:
    if key == 'exposure_ms':
        return _exposure(values)
    if key == 'completed':
        return time_column(values)
    return _masked(values, str)


def jobs_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = ()) -> Table:
    """The job search's answer without details: ``jid`` and the ``columns`` the
    page gives (records of `.protocol.pages.parse_job_search`: ``object_name``,
    ``telescope``, ``filter``, ``exposure``, ``completed``, ``user``, ``comment``)."""
    table = Table({'jid': Column([r['jid'] for r in rows], dtype=int)})
    for key in columns:
        table[_SEARCH_NAMES.get(key, key)] = _search_column(key, [r[key] for r in rows])
    return _describe(table, SEARCH_DESCRIPTIONS)


def with_search_columns(details: Table, rows: Sequence[Mapping[str, Any]],
                        columns: Sequence[str]) -> Table:
    """A `job_details_table` with what only the search's rows give: ``object_name``
    (after ``rids``), ``user`` and ``comment`` (last); and ``telescope`` where the view does not
    say (a job view never names COAST or PIRATE [seen]) but the row does."""
    by_jid = {row['jid']: row for row in rows}
    found = [by_jid.get(jid, {}) for jid in details['jid']]
    if 'object_name' in columns:
        details.add_column(_search_column('object_name', [r.get('object_name') for r in found]),
                           index=details.colnames.index('rids') + 1, name='object_name')
        details['object_name'].info.description = SEARCH_DESCRIPTIONS['object_name']
    if 'telescope' in columns and len(details):
        shown = details['telescope']
        listed = [r.get('telescope') for r in found]
        merged = [listed[i] if np.ma.is_masked(shown[i]) else str(shown[i])
                  for i in range(len(details))]
        details['telescope'] = _masked(merged, str)
        details['telescope'].info.description = (
            'telescope: as the job search lists it, or as an old camera\'s view names it; '
            'masked where neither says (a job view shows Galaxy for COAST and PIRATE alike)')
    for key in ('user', 'comment'):
        if key in columns:
            details[key] = _search_column(key, [r.get(key) for r in found])
            details[key].info.description = SEARCH_DESCRIPTIONS[key]
    return details
