"""The queue as listing records, and which listed request is which (no server).

`read_queue` is given a stand-in client whose ``_api_call`` answers the
listing as PROTOCOL.md section 2 records it; the matching is pure.
"""
from __future__ import annotations

from typing import Any

import pytest
import astropy.units as u
from astropy.coordinates import SkyCoord

from hypothesis import given, settings, strategies as st

from telescope_query.protocol import user_api
from telescope_query.protocol.objectid import format_objectid
from telescope_query.submit.never_twice import Found, NotFound, Unsure
from telescope_query.submit.plan import SubmissionPlan
from telescope_query.submit.queue import (MATCH_RADIUS, Likeness, QueueEntry, find_new,
                                          likeness, read_queue, same_object_name, waiting_for)


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


# --- How the listing may spell a request ----------------------------------------------------

SAME, PERHAPS, OTHER = Likeness.SAME, Likeness.PERHAPS, Likeness.OTHER


def like(name: str, objectid: str | None = '21:55:57.03 +48:20:52.52', *,
         sent: str = 'LX Cyg', sent_id: str = '21:55:57.03 +48:20:52.52') -> Likeness:
    return likeness(entry(raw(1, name, objectid=objectid)), plan(sent, sent_id))


@pytest.mark.parametrize('listed', ['LX Cyg', '  lx   CYG ', 'LXCyg', 'LX\tCyg'])
def test_a_name_is_the_same_up_to_case_and_spacing(listed):
    assert like(listed) is SAME


@pytest.mark.parametrize('listed, sent', [('T CrB_M', 'T CrB'), ('T CrB_m', 't crb'),
                                          ('T CrB_Mira2', 'T CrB'), ('T  CrB_M', 'T CrB'),
                                          ('T CrB_M', 'T CrB_M')])
def test_a_name_with_a_suffix_is_the_same(listed, sent):
    # PROTOCOL.md 2 [seen]: 'T CrB_M' beside 'T CrB' in one account's listing.
    assert same_object_name(listed, sent)
    assert like(listed, sent=sent) is SAME


@pytest.mark.parametrize('listed, sent', [('T CrB', 'T CrB_M'), ('T CrB_', 'T CrB'),
                                          ('T CrB_M extra', 'T CrB'), ('T CrBM', 'T CrB'),
                                          ('LX Cyg b', 'LX Cyg'),
                                          ('T CrB_verylongsuffix', 'T CrB')])
def test_other_names_are_not_the_same(listed, sent):
    assert not same_object_name(listed, sent)


@pytest.mark.parametrize('listed', [
    '21:55:57.03 +48:20:52.52',    # as sent
    '21:55:57.0 +48:20:52.5',      # one decimal, rounded
    '21:55:57 +48:20:53',          # none, rounded
    '21:55:57 +48:20:52',          # none, truncated
    '21:55:57.030 +48:20:52.520',  # more decimals
    '21:55:57.04 +48:20:52.52',    # the last decimal off by one
    '21 55 57.03 +48 20 52.52',    # spaces
    '21h55m57.03s +48d20m52.52s',  # units
    '21:55:57.03 48:20:52.52',     # no sign
])
def test_the_same_position_however_the_listing_writes_it(listed):
    assert like('LX Cyg', listed) is SAME


def test_a_position_is_compared_to_the_precision_of_the_listing():
    # 0.2 s of RA is 2 arcsec at this Dec: not the same at two decimals, but near.
    assert like('LX Cyg', '21:55:57.23 +48:20:52.52') is PERHAPS
    assert like('LX Cyg', '21:55:57.2 +48:20:52.5') is PERHAPS
    assert like('LX Cyg', '21:55:57 +48:20:52') is SAME     # within one unit at none
    assert like('LX Cyg', '21:55:58.03 +48:20:52.52') is OTHER    # 10 arcsec away
    assert like('LX Cyg', '21:55:57.03 -48:20:52.52') is OTHER


def test_the_same_position_near_ra_0h_and_the_south():
    sent = '00:00:00.00 -05:00:00.00'
    assert like('X', '23:59:59.99 -05:00:00.0', sent='X', sent_id=sent) is SAME
    assert like('X', '00:00:00 -05:00:00', sent='X', sent_id=sent) is SAME
    assert like('X', '00:00:00 +05:00:00', sent='X', sent_id=sent) is OTHER


@pytest.mark.parametrize('objectid', ['not a position', '99:99:99 +99:99:99', 'MESSIER 31'])
def test_the_same_name_where_the_position_cannot_be_read_is_perhaps(objectid):
    assert like('LX Cyg', objectid) is PERHAPS
    assert like('Other', objectid) is OTHER


@pytest.mark.parametrize('objectid', [None, '', '  '])
def test_a_listing_without_positions_goes_by_the_name(objectid):
    # The client does not rely on the listing's objectid: without it, the name decides.
    assert like('LX Cyg', objectid) is SAME and like('LX Cyg_M', objectid) is SAME
    assert like('Other', objectid) is OTHER


def test_another_name_at_the_same_position_is_perhaps_near_it_another():
    assert like('Renamed', '21:55:57.03 +48:20:52.52') is PERHAPS
    assert like('Renamed', '21:55:57.2 +48:20:52.5') is OTHER


@settings(max_examples=200, deadline=None)
@given(ra=st.floats(0, 359.999), dec=st.floats(-89.9, 89.9), decimals=st.integers(0, 3),
       truncate=st.booleans())
def test_the_listing_rounding_or_truncating_what_was_sent_is_the_same(ra, dec, decimals,
                                                                      truncate):
    sent = format_objectid(ra, dec)
    ra_part, dec_part = sent.split()

    def fewer(part: str) -> str:
        head, fraction = part.rsplit('.', 1)
        if decimals >= 2:
            return f"{head}.{fraction}{'0' * (decimals - 2)}"
        if truncate or decimals == 1 and int(fraction[1]) < 5:
            return head + ('.' + fraction[:decimals] if decimals else '')
        # Rounded up: written from the value, as a site that reformats would.
        seconds = float(head.rsplit(':', 1)[1] + '.' + fraction)
        rounded = round(seconds + 10 ** -(decimals + 3), decimals)
        if rounded >= 60:       # a carry: keep it simple and truncate instead
            return head + ('.' + fraction[:decimals] if decimals else '')
        text = f'{rounded:0{3 + decimals if decimals else 2}.{decimals}f}'
        return f"{head.rsplit(':', 1)[0]}:{text}"

    listed = f'{fewer(ra_part)} {fewer(dec_part)}'
    assert likeness(entry(raw(1, 'Star', objectid=listed)), plan('Star', sent)) is SAME, listed


# --- The request a submission made --------------------------------------------------------

def test_find_new_skips_the_requests_listed_before():
    queue = [entry(raw(rid, 'LX Cyg')) for rid in (30, 20, 10)]
    assert find_new(queue, plan(), before={10, 20, 30}) == NotFound()
    assert find_new(queue, plan(), before={10, 20}) == Found(30)
    assert find_new(queue, plan('Other', '10:00:00.00 +10:00:00.00'), before=set()) == \
        NotFound()


def test_find_new_finds_the_request_however_the_listing_spells_it():
    queue = [entry(raw(31, 'LX Cyg_M', objectid='21 55 57.0 +48 20 52.5')),
             entry(raw(30, 'Other', objectid='10:00:00.00 +10:00:00.00'))]
    assert find_new(queue, plan(), before=set()) == Found(31)


def test_two_new_requests_that_match_are_unsure():
    queue = [entry(raw(31, 'LX Cyg')), entry(raw(30, 'lx cyg_M'))]
    found = find_new(queue, plan(), before=set())
    assert isinstance(found, Unsure)
    assert 'R31' in found.detail and 'R30' in found.detail and 'none surely' in found.detail


def test_a_match_beside_one_that_may_be_it_is_unsure():
    queue = [entry(raw(31, 'LX Cyg')), entry(raw(30, 'Renamed'))]
    found = find_new(queue, plan(), before=set())
    assert isinstance(found, Unsure) and "R30 ('Renamed'" in found.detail
    assert find_new(queue, plan(), before={30}) == Found(31)


def test_one_new_request_that_may_be_it_is_unsure():
    queue = [entry(raw(31, 'LX Cyg', objectid='21:55:57.3 +48:20:52.5'))]
    found = find_new(queue, plan(), before=set())
    assert isinstance(found, Unsure) and 'does not surely match' in found.detail
    assert "R31 ('LX Cyg' at 21:55:57.3 +48:20:52.5)" in found.detail


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


def test_waiting_for_a_name_the_listing_gave_a_suffix():
    queue = [entry(raw(2, 'T CrB_M', objectid='16:00:00.00 +25:00:00.00'))]
    assert waiting_for(queue, ['T CrB'], None).rid == 2
    assert waiting_for(queue, ['T CrB_V'], None) is None
