"""Plain records -> astropy Tables: units, Time, masks, SkyCoord (no server)."""
from datetime import datetime, timezone

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time

from telescope_query import tables
from telescope_query.protocol import user_api

from helpers import SEED_FOLDERS  # the seed documentation's real answer


def test_time_column_is_utc_and_masked_where_unknown():
    when = datetime(2024, 11, 18, 5, 41, 9, tzinfo=timezone.utc)
    times = tables.time_column([when, None])
    assert isinstance(times, Time) and times.scale == 'utc'
    assert times[0].isot == '2024-11-18T05:41:09'
    assert list(times.mask) == [False, True]


def test_folders_table_from_the_seed_answer():
    table = tables.folders_table(user_api.parse_folders(SEED_FOLDERS))
    assert table.colnames == ['folder_id', 'name', 'count', 'created']
    assert list(table['folder_id']) == [1, 2, 3, 4, 461]
    assert table['count'][0] == 1849 and table['count'].mask[1]
    assert table['created'].mask[0] and not table['created'].mask[4]
    assert str(table['created'][4].iso) == '2014-08-05 16:01:35'


def raw_request(rid, **extra):
    return user_api.request_record({'id': str(rid), 'objectname': f'obj {rid}',
                                    'status': '8', 'requesttime': '1700000000', **extra})


LISTING_COLUMNS = ['rid', 'object_name', 'status', 'status_text', 'requested',
                   'object_type', 'object_id', 'coord', 'comment', 'seen']


def test_requests_table_has_the_listings_columns_only():
    table = tables.requests_table([
        raw_request(1, objecttype='RADEC', objectid='20:42:59.60 +43:35:10.00',
                    usercomments='Mira', seen='0'),
        raw_request(2, objecttype='MESSIER', objectid='109', telescopeid='7',
                    exposuretime='30000')])
    # Nothing the listing does not send, even when a server adds keys.
    assert table.colnames == LISTING_COLUMNS
    assert isinstance(table['coord'], SkyCoord)
    assert table['coord'][0].ra.deg == pytest.approx(310.748333, abs=1e-5)
    assert np.isnan(table['coord'][1].ra.deg)          # MESSIER 109: not resolved
    assert list(table['comment'].filled('')) == ['Mira', '']
    assert table['seen'][0] == False and table['seen'].mask[1]     # noqa: E712
    assert all(table[name].info.description for name in table.colnames)


def test_requests_table_joins_the_views():
    view = {'rid': 1, 'jid': 418581, 'telescope': 'COAST', 'telescope_type': 'Galaxy',
            'filter': 'BVR', 'dark_frame': True, 'exposure_ms': 180000,
            'completed': datetime(2024, 6, 19, 23, 45, 4, tzinfo=timezone.utc),
            'completion_check': 'uncertain', 'flat_id': 31}
    table = tables.requests_table([raw_request(1), raw_request(2, status='3')], [view, None])
    # One telescope column: the view's Telescope Name. Its Telescope Type Name
    # reads Galaxy for COAST and PIRATE alike [seen]: beside it, it says nothing.
    assert table.colnames == LISTING_COLUMNS + [
        'telescope', 'filter', 'dark_frame', 'exposure', 'completed',
        'completion_check', 'jid', 'flat_id']
    assert table['exposure'].unit == u.s and table['exposure'][0] == 180
    assert list(table['completion_check']) == ['uncertain', '']
    assert table['jid'][0] == 418581 and table['jid'].mask[1]
    assert table['telescope'].mask[1] and table['completed'].mask[1]
    with pytest.raises(ValueError, match='1 views for 2 requests'):
        tables.requests_table([raw_request(1), raw_request(2)], [view])


def test_empty_tables_keep_their_columns():
    assert len(tables.requests_table([])) == 0
    assert tables.job_details_table([]).colnames[:2] == ['jid', 'rids']
    assert tables.request_details_table([]).colnames[:2] == ['rid', 'jid']
    assert tables.jobs_table([]).colnames == ['jid']


def job(jid, rids, **extra):
    record = {'jid': jid, 'rids': rids, 'object_type': 'RADEC',
              'object_id': '00:42:58.58 +36:28:18.97', 'telescope': None,
              'telescope_type': 'Galaxy',
              'filter': 'BVR', 'exposure_ms': 120000,
              'completed': datetime(2020, 12, 22, 23, 34, 10, tzinfo=timezone.utc),
              'success': True, 'flat_id': 24}
    record.update(extra)
    return record


def test_job_details_table():
    table = tables.job_details_table([job(369256, [706248]),
                                      job(423183, [771716, 771970], object_type='MESSIER',
                                          object_id='109', flat_id=None, success=False)])
    assert table.colnames == ['jid', 'rids', 'object_type', 'object_id', 'coord',
                              'telescope', 'telescope_type', 'filter', 'exposure',
                              'completed', 'completion_check', 'success', 'flat_id']
    assert table['telescope'].mask.all() and list(table['telescope_type']) == ['Galaxy'] * 2
    assert table['rids'][1] == [771716, 771970]
    assert table['exposure'].to(u.min)[0] == 2 * u.min
    assert table['completed'][0].iso == '2020-12-22 23:34:10'
    assert list(table['success']) == [True, False]
    assert table['flat_id'][0] == 24 and table['flat_id'].mask[1]


def test_request_details_table_masks_what_the_view_lacks():
    record = {'rid': 5, 'jid': None, 'object_name': 'SS Cyg', 'object_type': None,
              'object_id': None, 'telescope': None, 'telescope_type': None,
              'filter': None, 'dark_frame': None, 'exposure_ms': None, 'requested': None,
              'completed': None, 'status': 3, 'status_text': 'Waiting', 'flat_id': None}
    table = tables.request_details_table([record])
    assert table['jid'].mask[0] and table['dark_frame'].mask[0]
    assert table['status'][0] == 3 and table['status_text'][0] == 'Waiting'
    # A record cached before views kept a comment has no 'comment' key.
    assert table['comment'].mask[0]


def test_request_details_have_one_telescope_column_and_the_comment():
    record = {'rid': 5, 'jid': 418581, 'object_name': 'SS Cyg', 'object_type': 'RADEC',
              'object_id': '21:42:42.80 +43:35:09.86', 'telescope': 'PIRATE',
              'telescope_type': 'Galaxy', 'filter': 'Colour', 'dark_frame': True,
              'exposure_ms': 60000, 'requested': None, 'completed': None, 'status': 8,
              'status_text': 'Complete', 'flat_id': None, 'comment': 'AAVSO'}
    table = tables.request_details_table([record, {**record, 'rid': 6, 'comment': None}])
    assert 'telescope_type' not in table.colnames
    assert list(table['telescope']) == ['PIRATE'] * 2
    assert 'COAST or PIRATE' in table['telescope'].info.description
    assert table['comment'][0] == 'AAVSO' and table['comment'].mask[1]
    assert all(table[name].info.description for name in table.colnames)


def test_the_telescope_columns_of_job_tables_say_what_they_mean():
    table = tables.job_details_table([job(369256, [706248])])
    assert 'not a telescope of its own' in table['telescope_type'].info.description
    assert 'never COAST or PIRATE' in table['telescope'].info.description
    assert table['jid'].info.description == 'job id'
