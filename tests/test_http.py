"""The transport helpers of telescope_query.http that need no server."""
from __future__ import annotations

import pytest
import requests

from telescope_query import http


def test_cut_body_is_asked_again_then_given_up():
    calls = []

    def send():
        calls.append(1)
        if len(calls) < 3:
            raise requests.exceptions.ChunkedEncodingError('cut')
        return 'answer'

    assert http.with_cut_retries(send, retries=4, backoff_factor=0) == 'answer'
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        http.with_cut_retries(send, retries=1, backoff_factor=0)   # two cuts, one retry
    assert len(calls) == 2


def test_no_retry_for_other_errors():
    calls = []

    def send():
        calls.append(1)
        raise requests.exceptions.ConnectionError('refused')

    with pytest.raises(requests.exceptions.ConnectionError):
        http.with_cut_retries(send, retries=4, backoff_factor=0)
    assert len(calls) == 1


def test_has_secret():
    assert http.has_secret({'username': 'demo', 'password': 'x'})
    assert http.has_secret({'passwd': 'x'})
    assert not http.has_secret({'username': 'demo'})
    assert not http.has_secret('password=x')    # only forms (dicts) are sent with one
    assert not http.has_secret(None)


# --- a streamed body read into the response when it is small ---------------------------

def streamed(body: bytes, content_type: str = 'text/html; charset=UTF-8',
             length: bool = True) -> requests.Response:
    """A streamed `requests.Response` over ``body``, as the session gets one."""
    import io
    from urllib3.response import HTTPResponse
    headers = {'Content-Type': content_type}
    if length:
        headers['Content-Length'] = str(len(body))
    response = requests.Response()
    response.status_code = 200
    response.headers.update(headers)
    response.raw = HTTPResponse(body=io.BytesIO(body), headers=headers, status=200,
                                preload_content=False)
    return response


def test_is_html():
    assert http.is_html(streamed(b'', 'text/html; charset=UTF-8'))
    assert http.is_html(streamed(b'', 'application/xhtml+xml'))
    assert not http.is_html(streamed(b'', 'application/fits'))
    response = streamed(b'')
    del response.headers['Content-Type']
    assert not http.is_html(response)


@pytest.mark.parametrize('length', [True, False])
def test_a_small_body_is_read_and_stays_readable(length):
    response = streamed(b'<html><form></form></html>', length=length)
    assert not http.body_in_memory(response)
    assert http.read_small_body(response, 1000)
    assert http.body_in_memory(response)
    assert response.content == b'<html><form></form></html>'
    assert response.text.startswith('<html>')
    assert b''.join(response.iter_content(4)) == b'<html><form></form></html>'


def test_a_body_announced_longer_is_not_read():
    response = streamed(b'x' * 2000)
    assert not http.read_small_body(response, 1000)
    assert not http.body_in_memory(response)
    assert response.raw.read() == b'x' * 2000        # all still there for the caller


def test_a_body_of_unannounced_length_longer_than_the_bound_stops_the_reading():
    response = streamed(b'x' * (300 << 10), length=False)
    with pytest.raises(http.BodyTooLongError):
        http.read_small_body(response, 100 << 10)
    assert response.raw.tell() < 200 << 10          # read no further than needed


def test_user_agent_puts_the_product_first_once():
    agent = 'astroquery/0.4.11 Python/3.11.7 (Linux) python-requests/2.34.2'
    ours = http.user_agent('telescope_query/0.1.0', agent)
    assert ours == 'telescope_query/0.1.0 ' + agent
    assert http.user_agent('telescope_query/0.2.0', ours) == 'telescope_query/0.2.0 ' + agent


def test_retry_after_is_honoured_up_to_its_bound():
    retry = http.read_retry(3, 0.5, max_retry_after=1.5)
    assert retry.parse_retry_after('3600') == 1.5
    assert retry.parse_retry_after('1') == 1
    later = retry.new(total=2)          # urllib3 makes a new Retry at each retry
    assert later.parse_retry_after('86400') == 1.5
    assert http.read_retry(3, 0.5, max_retry_after=0).parse_retry_after('60') == 0
