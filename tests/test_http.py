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
