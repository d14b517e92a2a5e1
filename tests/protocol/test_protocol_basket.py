"""Pure tests of the request-basket payloads and answers (no server)."""
import json

import pytest

from telescope_query.exceptions import QueueFullError, SubmissionError
from telescope_query.protocol import basket, user_api


def _params(**changes):
    values = dict(telescope_id=6, exposure_ms=30000, filter='BVR', object_name='SS Cyg',
                  object_id='21:42:42.94 +43:35:10.21', comment='AutoSubmit',
                  dark_frame=True)
    values.update(changes)
    return basket.set_params(**values)


def test_set_params_are_the_protocol_fields():
    params = _params()
    assert params == {
        'telescopeid': 6, 'telescopetype': 2, 'exposuretime': 30000, 'filtertype': 'BVR',
        'objecttype': 'RADEC', 'objectname': 'SS Cyg',
        'objectid': '21:42:42.94 +43:35:10.21', 'usercomments': 'AutoSubmit'}
    # darkframe is [assumed]: sent only to ask for no dark frame.
    assert _params(dark_frame=False)['darkframe'] == 0
    json.dumps(params)     # travels as the JSON-encoded `params` form field


def test_calls():
    assert basket.clear_call() == user_api.ApiCall('request-constructor', '0-rb-clear', None)
    assert basket.submit_call() == user_api.ApiCall('request-constructor', '0-rb-submit', None)
    call = basket.set_call(_params(telescope_id=7, filter='Colour'))
    assert (call.module, call.request) == ('request-constructor', '0-rb-set')
    assert call.params['telescopeid'] == 7 and call.params['filtertype'] == 'Colour'


@pytest.mark.parametrize('answer, rid', [
    ({'success': True, 'status': 'OK', 'data': {'id': 771970}}, 771970),
    ({'success': 1, 'status': 'OK', 'data': {'id': '771970'}}, 771970),
    ({'success': True, 'data': {'id': 771970.0}}, 771970),
    ({'success': True, 'status': 'OK', 'data': {}}, None),
    ({'success': True, 'status': 'OK', 'data': None}, None),
    ({'success': True, 'status': 'OK'}, None),
    ({'success': True, 'data': {'id': 'R77'}}, None),
    ({'success': True, 'data': {'id': True}}, None),
    ({'success': True, 'data': {'id': 0}}, None),
])
def test_parse_submit(answer, rid):
    assert basket.parse_submit(answer) == rid


@pytest.mark.parametrize('answer, status', [
    ({'success': False, 'status': 'ERR_BASKET_EMPTY', 'data': None}, 'ERR_BASKET_EMPTY'),
    ({'success': 0, 'status': 'ERR_NOT_LOGGED_IN'}, 'ERR_NOT_LOGGED_IN'),
    ({'success': False}, None),
])
def test_refusals_carry_the_status(answer, status):
    with pytest.raises(SubmissionError) as info:
        basket.parse_submit(answer, name='SS Cyg')
    assert info.value.status == status
    assert str(info.value).startswith("the request for 'SS Cyg' could not be made: the "
                                      "server refused the request: ")
    with pytest.raises(SubmissionError) as info:
        basket.check_answer(answer, basket.SET)
    assert info.value.status == status
    assert "the server refused the request's details" in str(info.value)


#: Words of the protocol a user must never read in a message.
JARGON = ('basket', 'rb-', 'request-constructor', 'api-user', 'ERR_')


@pytest.mark.parametrize('status, said', list(basket.REFUSALS.items()) + [
    (None, 'it gave no reason'), ('SOMETHING_NEW', "it gave the reason 'SOMETHING_NEW'")])
@pytest.mark.parametrize('request_name', [basket.CLEAR, basket.SET, basket.SUBMIT])
def test_a_refusal_says_why_in_words_and_keeps_the_status(status, said, request_name):
    with pytest.raises(SubmissionError) as info:
        basket.check_answer({'success': False, 'status': status}, request_name, name='X')
    assert info.value.status == status and said in str(info.value)
    assert not any(word in str(info.value) for word in JARGON), str(info.value)


def test_non_object_answer():
    with pytest.raises(SubmissionError, match='not the JSON object expected') as info:
        basket.check_answer(['success'], basket.SET)
    assert not any(word in str(info.value) for word in JARGON)
    basket.check_answer({'success': True, 'status': 'OK'}, basket.CLEAR)   # no error


@pytest.mark.parametrize('status', ['ERR_QUEUE_FULL', 'QUEUE_LIMIT', 'ERR_TOO_MANY_REQUESTS',
                                    'err_limit_reached'])
def test_a_full_queue_is_its_own_outcome(status):
    # What the site answers to an 11th request is [assumed]: any refusal that
    # speaks of the queue or a limit is a full queue.
    for request in (basket.SET, basket.SUBMIT):
        with pytest.raises(QueueFullError, match="the account's queue is full") as info:
            basket.check_answer({'success': False, 'status': status}, request)
        assert info.value.status == status and isinstance(info.value, SubmissionError)
        assert status not in str(info.value)


def test_other_refusals_are_not_a_full_queue():
    with pytest.raises(SubmissionError) as info:
        basket.check_answer({'success': False, 'status': 'ERR_BAD_EXPOSURE'}, basket.SET)
    assert not isinstance(info.value, QueueFullError)
