"""The JSON user API's pure code: forms, answer checks, records (no server)."""
import json
from datetime import datetime, timezone

import pytest
from astroquery.exceptions import RemoteServiceError

from telescope_query.protocol import site, user_api

from helpers import SEED_FOLDERS  # the seed documentation's real answer


def test_api_form_sends_params_as_json_and_drops_empty_params():
    form = user_api.api_form('request-manager', '1-get-list-own',
                             {'limit': 100, 'sort': 'rid', 'folderid': 1})
    assert form['module'] == 'request-manager'
    assert form['request'] == '1-get-list-own'
    assert json.loads(form['params']) == {'limit': 100, 'sort': 'rid', 'folderid': 1}
    assert 'params' not in user_api.api_form('request-manager', '0-get-my-folders', {})
    assert 'params' not in user_api.api_form('request-manager', '0-get-my-folders')


@pytest.mark.parametrize('success, expected', [(1, True), (0, False), (True, True),
                                               (False, False), ('1', True), ('0', False)])
def test_success_is_tested_for_truthiness(success, expected):
    answer = user_api.parse_answer(json.dumps({'success': success, 'status': 'X'}), 'm/r')
    assert user_api.succeeded(answer) is expected


def test_parse_answer_returns_the_answer_unchanged():
    text = '{"success": 1, "status": "OK_READY", "data": {"ieID": "1783970", "flatID": 0}}'
    assert user_api.parse_answer(text, 'image-engine/0-create-dlzip') == json.loads(text)


@pytest.mark.parametrize('body', ['<html><body>Please log in</body></html>',
                                  '{"success": 1, "status": "OK", "da',
                                  '[1, 2, 3]', '{"status": "OK"}', ''])
def test_broken_answers_name_the_call_and_quote_the_body(body):
    with pytest.raises(RemoteServiceError) as info:
        user_api.parse_answer(body, 'request-manager/1-get-list-own')
    message = str(info.value)
    assert 'request-manager/1-get-list-own' in message
    assert body[:10] in message


def test_quote_body_is_short_and_on_one_line():
    quoted = user_api.quote_body('<html>\n' + 'x' * 1000)
    assert '\n' not in quoted and len(quoted) < 250 and quoted.endswith("...'")


def test_not_logged_in_is_recognised():
    assert user_api.is_not_logged_in(
        {'success': 0, 'status': 'ERR_NOT_LOGGED_IN', 'data': None})
    assert not user_api.is_not_logged_in({'success': 0, 'status': 'ERR_OTHER'})
    assert not user_api.is_not_logged_in({'success': 1, 'status': 'ERR_NOT_LOGGED_IN'})


def test_status_texts_match_the_protocol_table():
    assert site.STATUS_TEXTS[8] == 'Complete'
    assert site.STATUS_TEXTS[25] == 'Never rises'
    assert sorted(site.STATUS_TEXTS) == list(range(1, 11)) + list(range(20, 27))
    assert site.status_text(3) == 'Waiting'
    assert site.status_text(99) == 'Unknown status 99'
    assert site.status_code('complete on SITE') == 7
    assert site.status_code('nonsense') is None
    assert [c for c in site.STATUS_TEXTS if site.is_queued(c)] == list(range(1, 8))


def test_seed_folders_become_records():
    records = user_api.parse_folders(SEED_FOLDERS)
    assert [r['folder_id'] for r in records] == [1, 2, 3, 4, 461]
    assert records[0] == {'folder_id': 1, 'name': 'Inbox', 'count': 1849, 'created': None}
    assert records[1]['count'] is None            # null for an empty folder
    assert records[4]['created'] == datetime(2014, 8, 5, 16, 1, 35, tzinfo=timezone.utc)


def test_folders_that_are_not_a_list_are_a_protocol_error():
    with pytest.raises(RemoteServiceError, match='0-get-my-folders'):
        user_api.parse_folders({'id': '1'})
    with pytest.raises(RemoteServiceError, match="numeric 'id'"):
        user_api.parse_folders([{'name': 'Inbox'}])


def test_list_own_params():
    assert user_api.list_own_params(1, 'rid', 100) == {'limit': 100, 'sort': 'rid',
                                                      'folderid': 1}
    assert user_api.list_own_params(461, 'completion', 1749, 100)['startAfterRow'] == 100


# A real record of the listing [seen: 2024] and one with keys a server may add.
RECORDED = {'id': '771144', 'seen': '1', 'usercomments': 'AAVSO', 'objecttype': 'RADEC',
            'objectid': '21:55:57.03 +48:20:52.52', 'objectname': 'LX Cyg',
            'requesttime': '1730321603', 'status': '8', 'row': '113'}


def test_request_list_and_records():
    extra = {'id': '766264', 'objectname': 'T CrB_M', 'status': '3', 'seen': '0',
             'requesttime': '1731000000', 'objecttype': 'RADEC', 'row': '2',
             'objectid': '15:59:30.16 +25:55:12.6', 'usercomments': '',
             'telescopeid': '6', 'filtertype': 'BVR', 'exposuretime': '30000'}
    data = {'totalRequests': '1849', 'requests': [RECORDED, extra]}
    total, raw = user_api.parse_request_list(data)
    assert total == 1849 and raw == data['requests']
    first, second = (user_api.request_record(r) for r in raw)
    assert first == {'rid': 771144, 'object_name': 'LX Cyg', 'status': 8,
                     'status_text': 'Complete',
                     'requested': datetime.fromtimestamp(1730321603, timezone.utc),
                     'object_type': 'RADEC', 'object_id': '21:55:57.03 +48:20:52.52',
                     'comment': 'AAVSO', 'seen': True, 'row': 113}
    assert set(RECORDED) == set(user_api.LISTING_KEYS)
    # Keys beyond the recorded ones are never read: the views carry those facts.
    assert set(second) == set(first)
    assert second['seen'] is False and second['comment'] is None


def test_request_list_accepts_a_limit_zero_page_and_rejects_garbage():
    assert user_api.parse_request_list({'totalRequests': '5', 'requests': []}) == (5, [])
    with pytest.raises(RemoteServiceError, match="'requests'"):
        user_api.parse_request_list({'totalRequests': '5', 'requests': 'none'})
    with pytest.raises(RemoteServiceError):
        user_api.parse_request_list([])
    with pytest.raises(RemoteServiceError, match="numeric 'id'"):
        user_api.parse_request_list({'requests': [{'objectname': 'M 31'}]})


def test_legacy_strings_keep_the_sites_string_values():
    raw = [{'id': 5, 'status': 8, 'objectname': 'M 31', 'count': None}]
    assert user_api.legacy_strings(raw) == [{'id': '5', 'status': '8',
                                             'objectname': 'M 31', 'count': None}]


def test_to_int_and_unix_time():
    assert user_api.to_int('1849') == 1849 and user_api.to_int(7) == 7
    assert user_api.to_int(None) is None and user_api.to_int('x') is None
    assert user_api.to_int('3.0') == 3 and user_api.to_int(True) is None
    assert user_api.unix_time('0') is None and user_api.unix_time(None) is None
    assert user_api.unix_time('86400').day == 2


@pytest.mark.parametrize('depth', [user_api.MAX_JSON_DEPTH + 1, 5_000, 200_000])
def test_json_nested_too_deep_is_a_remote_service_error(depth):
    """Deeper than any answer of the site (and than Python's recursion, which
    json.loads would raise as RecursionError): refused, naming the call."""
    text = '{"success": 1, "data": ' + '[' * (depth - 1) + ']' * (depth - 1) + '}'
    with pytest.raises(RemoteServiceError, match=r'm/r: .*nested more than 64 levels'):
        user_api.parse_answer(text, 'm/r')
    deepest = '{"success": 1, "data": ' + '[' * 63 + ']' * 63 + '}'
    assert user_api.parse_answer(deepest, 'm/r')['success'] == 1
