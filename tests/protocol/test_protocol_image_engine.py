"""Pure tests of the image-engine payloads and answer parsers (no server)."""
import pytest
from hypothesis import given, strategies as st

from telescope_query.exceptions import DownloadError
from telescope_query.protocol import image_engine as ie


def test_create_call_cube_and_zip():
    call = ie.create_call(369256, cube=True)
    assert (call.module, call.request, call.params) == (
        'image-engine', '0-create-dl3d', {'jid': 369256})
    call = ie.create_call(369256, cube=False)
    assert call.request == '0-create-dlzip'


def test_create_call_sends_flatid_only_with_a_flat_field():
    assert ie.create_call(423183, cube=True, flat_id=31).params == {'jid': 423183, 'flatid': 31}
    assert 'flatid' not in ie.create_call(423183, cube=True, flat_id=None).params
    assert 'flatid' not in ie.create_call(423183, cube=True, flat_id=0).params


def test_poll_call_echoes_the_id_as_a_string():
    call = ie.poll_call('1783970')
    assert (call.module, call.request, call.params) == (
        'image-engine', '0-is-job-ready', {'ieid': '1783970'})


def test_download_and_processed_params():
    assert ie.download_params(369256, '1783970') == {'jid': '369256', 'ieid': '1783970'}
    assert ie.processed_params(369256, cube=True) == {'jid': '369256', 'type': '1'}
    assert ie.processed_params(369256, cube=False) == {'jid': '369256', 'type': '3'}


def test_parse_create_seen_answer():
    # The live site's answer from the original documentation.
    answer = {'success': 1, 'status': 'OK_READY', 'data': {'ieID': '1783970', 'flatID': 0}}
    assert ie.parse_create(answer) == ie.Staged('1783970', 'OK_READY')
    answer = {'success': True, 'status': 'OK_WAIT', 'data': {'ieID': 12, 'flatID': 0}}
    assert ie.parse_create(answer) == ie.Staged('12', 'OK_WAIT')


@pytest.mark.parametrize('answer, word', [
    ({'success': 0, 'status': 'ERR_NO_SUCH_JOB', 'data': None}, 'ERR_NO_SUCH_JOB'),
    ({'success': False, 'status': 'NOT_COMPLETE'}, 'NOT_COMPLETE'),
    ({'success': 1, 'status': 'ERR_FAILED', 'data': {'ieID': '1'}}, 'ERR_FAILED'),
    ({'success': 0}, '(none)'),
])
def test_parse_create_refusal_names_the_status(answer, word):
    with pytest.raises(ie.ImageEngineError, match=word) as info:
        ie.parse_create(answer, jid=77)
    assert 'job 77' in str(info.value)
    assert isinstance(info.value, DownloadError)


@pytest.mark.parametrize('data', [None, {}, {'ieID': ''}, {'ieid': '5'}, 'text'])
def test_parse_create_without_ieid_is_a_clear_error(data):
    with pytest.raises(ie.ImageEngineError, match='ieID'):
        ie.parse_create({'success': 1, 'status': 'OK_WAIT', 'data': data})


def test_parse_create_rejects_non_objects():
    with pytest.raises(ie.ImageEngineError, match='JSON object'):
        ie.parse_create(['OK_WAIT'])


def test_parse_poll_seen_zip_answer():
    answer = {'success': 1, 'status': 'READY',
              'data': {'flatID': '0', 'fitsbzsize': '8247874', 'fitssize': '0'}}
    state = ie.parse_poll(answer, cube=False)
    assert state.ready and state.size == 8247874
    # The same answer read for a cube has no usable size: fitssize is "0".
    state = ie.parse_poll(answer, cube=True)
    assert state.ready and state.size is None


def test_parse_poll_cube_size():
    answer = {'success': 1, 'status': 'READY',
              'data': {'flatID': '0', 'fitsbzsize': '0', 'fitssize': '14158080'}}
    assert ie.parse_poll(answer, cube=True).size == 14158080


@pytest.mark.parametrize('status', ['OK_WAIT', 'OK_READY', 'PROCESSING', 'ready',
                                    'READY ', 'READY_SOON', '', None])
def test_only_exactly_ready_ends_polling(status):
    answer = {'success': 1, 'status': status,
              'data': {'fitssize': '100', 'fitsbzsize': '100'}}
    state = ie.parse_poll(answer, cube=True)
    assert not state.ready
    assert state.size is None


@pytest.mark.parametrize('data', [None, {}, {'fitssize': 'n/a'}, {'fitssize': None},
                                  {'fitssize': '-5'}, []])
def test_parse_poll_missing_or_bad_size_degrades_to_none(data):
    state = ie.parse_poll({'success': 1, 'status': 'READY', 'data': data}, cube=True)
    assert state.ready and state.size is None


def test_parse_poll_refusal():
    with pytest.raises(ie.ImageEngineError, match='ERR_EXPIRED'):
        ie.parse_poll({'success': 0, 'status': 'ERR_EXPIRED', 'data': None}, cube=True)


@given(st.integers(min_value=1, max_value=10**12))
def test_parse_poll_sizes_round_trip(size):
    answer = {'success': 1, 'status': 'READY', 'data': {'fitsbzsize': str(size)}}
    assert ie.parse_poll(answer, cube=False).size == size


def test_processed_page_without_iframe_is_not_ready():
    page = '<html><body><p>Your image is being prepared, please wait.</p></body></html>'
    state = ie.parse_processed_page(page)
    assert not state.ready and state.src is None
    assert 'no iframe' in state.status


def test_processed_page_first_iframe_counts():
    page = ('<html><body><div><iframe src="tmp/art/369256.zip" width="0"></iframe>'
            '<iframe src="other.zip"></iframe></div></body></html>')
    state = ie.parse_processed_page(page)
    assert state.ready and state.src == 'tmp/art/369256.zip' and state.status == 'READY'


@pytest.mark.parametrize('frame', ['<iframe></iframe>', '<iframe src=""></iframe>',
                                   '<iframe src="   "></iframe>'])
def test_processed_page_iframe_without_src_degrades(frame):
    state = ie.parse_processed_page(f'<html><body>{frame}</body></html>')
    assert not state.ready
    assert 'without src' in state.status


def test_resolve_src_relative_and_same_server():
    base = 'http://127.0.0.1:8000/'
    assert ie.resolve_src(base, 'tmp/a.zip') == 'http://127.0.0.1:8000/tmp/a.zip'
    # A leading slash gives a doubled slash, which the site accepts [seen].
    assert ie.resolve_src(base, '/tmp/a.zip') == 'http://127.0.0.1:8000//tmp/a.zip'
    assert ie.resolve_src(base, 'http://127.0.0.1:8000/x.fits') == 'http://127.0.0.1:8000/x.fits'


@pytest.mark.parametrize('src', ['http://evil.example/x.zip', '//evil.example/x.zip',
                                 'https://127.0.0.1:8000/x.zip'])
def test_resolve_src_refuses_other_servers(src):
    with pytest.raises(ie.ImageEngineError, match='not followed'):
        ie.resolve_src('http://127.0.0.1:8000/', src)
