"""The queue as listing records, and which listed request is which (no server).

`read_queue` is given a stand-in client whose ``_api_call`` answers the
listing as PROTOCOL.md section 2 records it; the matching is pure.
"""
from __future__ import annotations

from typing import Any

import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord

from telescope_query.protocol import user_api
from telescope_query.submit.plan import SubmissionPlan
from telescope_query.submit.queue import (MATCH_RADIUS, QueueEntry, find_new, made_for,
                                          read_queue, waiting_for)


def raw(rid: Any, name: str, status: str = '1', objectid: str | None = '21:55:57.03 +48:20:52.52',
        objecttype: str = 'RADEC') -> dict[str, Any]:
    """A request of the listing as the site sends it (PROTOCOL.md section 2)."""
    return {'id': rid, 'seen': '1', 'usercomments': '', 'objecttype': objecttype,
            'objectid': objectid, 'objectname': name, 'requesttime': '1730321603',
            'status': status, 'row': '1'}


def entry(raw_request: dict[str, Any]) -> QueueEntry | None:
    return QueueEntry.from_record(user_api.request_record(raw_request))


def plan(name: str = 'LX Cyg', object_id: str = '21:55:57.03 +48:20:52.52') -> SubmissionPlan:
    coord = SkyCoord(object_id, unit=(u.hourangle, u.deg))
    return SubmissionPlan(coord=coord, object_id=object_id, object_name=name,
                          telescope='COAST', telescope_id=6, filter='BVR',
                          exposure_ms=60000, dark_frame=True, comment='', max_altitude=70.0)


class ListingClient:
    """Answers ``1-get-list-own`` with the given requests; records what was asked."""

    user = 'demo'

    def __init__(self, requests: list[dict[str, Any]]):
        self.requests = requests
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    def _api_call(self, module: str, request: str, params: dict[str, Any] | None = None,
                  **options: Any) -> dict[str, Any]:
        self.calls.append((module, request, params))
        return {'success': 1, 'status': 'OK',
                'data': {'totalRequests': str(len(self.requests)), 'requests': self.requests}}


# --- Entries from listing records --------------------------------------------------------

def test_an_entry_of_a_real_record():
    got = entry({'id': '771144', 'seen': '1', 'usercomments': 'AAVSO', 'objecttype': 'RADEC',
                 'objectid': '21:55:57.03 +48:20:52.52', 'objectname': 'LX Cyg',
                 'requesttime': '1730321603', 'status': '8', 'row': '113'})
    assert got is not None
    assert (got.rid, got.object_name, got.status) == (771144, 'LX Cyg', 8)
    assert got.object_id == '21:55:57.03 +48:20:52.52' and not got.queued
    assert got.position == pytest.approx((328.987625, 48.347922), abs=1e-6)
    assert got.coord.separation(SkyCoord('21h55m57.03s +48d20m52.52s')) < 0.01 * u.arcsec


def test_a_record_without_a_readable_id_is_no_entry():
    # The listing refuses such a request (user_api.parse_request_list); a record
    # made some other way still gives no entry rather than an error.
    assert entry(raw('junk', 'X')) is None and entry(raw(None, 'X')) is None


def test_queued_is_a_status_below_8():
    assert [entry(raw(1, 'X', status=s)).queued for s in ('1', '7', '8', '22', 'junk')] == \
        [True, True, False, False, False]


def test_a_catalogue_object_has_no_position():
    got = entry(raw(1, 'M 109', objecttype='MESSIER', objectid='MESSIER 109'))
    assert got.position is None and got.coord is None
    assert entry(raw(2, 'X', objectid=None)).coord is None


def test_an_objectid_astropy_reads_gives_the_coord_when_the_site_format_does_not():
    got = entry(raw(1, 'X', objecttype='OTHER', objectid='21h55m57s +48d20m52s'))
    assert got.position is None
    assert got.coord.separation(SkyCoord('21h55m57s +48d20m52s')) < 0.01 * u.arcsec


def test_read_queue_asks_the_inbox_by_rid_and_lists_newest_first():
    client = ListingClient([raw('5', 'A'), raw('9', 'B'), raw('7', 'C')])
    queue = read_queue(client)
    assert [e.rid for e in queue] == [9, 7, 5]
    module, request, params = client.calls[0]
    assert (module, request) == ('request-manager', '1-get-list-own')
    assert params['folderid'] == 1 and params['sort'] == 'rid'


# --- The request a submission made --------------------------------------------------------

def test_made_for_takes_the_name_up_to_case_and_spaces():
    assert made_for(entry(raw(1, '  lx   CYG ')), plan())
    assert not made_for(entry(raw(1, 'LX Cyg b')), plan())


def test_made_for_compares_the_objectid_when_listed():
    assert not made_for(entry(raw(1, 'LX Cyg', objectid='21:55:57.04 +48:20:52.52')), plan())
    assert made_for(entry(raw(1, 'LX Cyg', objectid=None)), plan())


def test_find_new_skips_the_requests_listed_before():
    queue = [entry(raw(rid, 'LX Cyg')) for rid in (30, 20, 10)]
    assert find_new(queue, plan(), before={10, 20, 30}) is None
    assert find_new(queue, plan(), before={10, 20}) == 30
    assert find_new(queue, plan('Other'), before=set()) is None


# --- A target already waiting ------------------------------------------------------------

def test_waiting_for_a_name_or_a_position():
    queue = [entry(raw(3, 'Done', status='8')), entry(raw(2, 'SS Cyg')),
             entry(raw(1, 'Near', objectid='18:00:00.00 +20:00:00.00'))]
    assert waiting_for(queue, ['ss  cyg'], None).rid == 2
    near = SkyCoord('18h00m00.1s +20d00m02s')          # 2.5 arcsec away
    assert waiting_for(queue, ['Nothing'], near).rid == 1
    far = SkyCoord('18h00m00s +20d00m06s')
    assert far.separation(queue[2].coord) > MATCH_RADIUS
    assert waiting_for(queue, ['Nothing'], far) is None
    assert waiting_for(queue, ['Done'], None) is None   # complete: no longer waiting
