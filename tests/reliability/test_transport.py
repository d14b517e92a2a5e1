"""The transport's bounds: how long a server can make a call wait.

A server may ask to be left alone for an hour (``Retry-After``); the client
waits at most ``conf.max_retry_after`` before each retry. The waits are
recorded rather than slept (urllib3's sleep is replaced), so the tests never
wait and still see what the client would have waited.
"""
from __future__ import annotations

import pytest
import requests
import urllib3.util.retry

from telescope_query import conf
from telescope_query.exceptions import RemoteServiceError


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """What urllib3 would sleep between retries (nothing is slept)."""
    slept: list[float] = []
    monkeypatch.setattr(urllib3.util.retry.time, 'sleep', slept.append)
    return slept


@pytest.mark.parametrize('retry_after', ['3600', '86400', 'Fri, 31 Dec 2100 23:59:59 GMT'])
def test_retry_after_is_honoured_only_up_to_the_bound(retry_after, make_client, simulator,
                                                      waits):
    """A 503 asking to come back in an hour, a day, or in 2100: the read waits
    conf.max_retry_after before each retry and then succeeds; refused to the
    end, a RemoteServiceError naming HTTP 503, after as many bounded waits."""
    client = make_client()
    simulator.counters.reset()
    with conf.set_temp('max_retry_after', 0.25), conf.set_temp('retries', 2):
        simulator.faults.add('http_error', endpoint='api-user.php', status=503, count=2,
                             retry_after=retry_after)
        assert len(client.get_folders()) > 0
        assert waits == [0.25, 0.25]
        waits.clear()
        simulator.faults.add('http_error', endpoint='api-user.php', status=503, count=None,
                             retry_after=retry_after)
        with pytest.raises(RemoteServiceError, match='HTTP 503'):
            client.get_folders()
        assert waits == [0.25, 0.25]
    simulator.faults.clear()


@pytest.mark.parametrize('fault', [
    dict(kind='slow_headers', interval_ms=20, seconds=20),
    dict(kind='drip', nbytes=1, interval_ms=20)])
def test_a_server_that_drips_is_cut_off_by_the_call_deadline(fault, make_client, simulator):
    """A server that sends its headers, or its body, a byte at a time never
    trips the per-read timeout; conf.max_call_time cuts the call off, retries
    included, with an error naming the server and the limit."""
    client = make_client()
    simulator.faults.add(fault.pop('kind'), endpoint='api-user.php', count=None, **fault)
    with conf.set_temp('max_call_time', 0.5), conf.set_temp('timeout', 5.0):
        with pytest.raises(RemoteServiceError) as caught:
            client.get_folders()
    simulator.faults.clear()
    message = str(caught.value)
    assert simulator.url in message and 'within 0.5 s (conf.max_call_time)' in message
    # A timeout to the submission's judge (the server may still be at work).
    assert isinstance(caught.value.__cause__, requests.Timeout)
    assert client.get_folders()['name'][0]           # the next call is served as usual


@pytest.mark.parametrize('named_by', ['TELESCOPE_QUERY_SERVER', 'conf.server'])
def test_an_unresponsive_server_is_named_and_given_up(named_by, client_env, monkeypatch,
                                                      capsys, tmp_path):
    """``telescope-query -v folders`` against a server that accepts connections and
    never answers: it gives up after conf.retries retries of conf.timeout each,
    says "timed out" and which server, and that TELESCOPE_QUERY_SERVER named it
    when it did; -v shows each retry."""
    import socket
    from astropy.config import paths
    from telescope_query.cli import main

    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(16)                   # the kernel accepts; nobody ever answers
    url = f'http://127.0.0.1:{silent.getsockname()[1]}/'
    if named_by == 'conf.server':
        monkeypatch.delenv('TELESCOPE_QUERY_SERVER')
    else:
        monkeypatch.setenv('TELESCOPE_QUERY_SERVER', url)
    monkeypatch.setenv('TELESCOPE_QUERY_USER', 'demo')
    monkeypatch.setenv('TELESCOPE_QUERY_PASSWORD', 'demo')
    try:
        with conf.set_temp('server', url if named_by == 'conf.server' else conf.server), \
                conf.set_temp('timeout', 0.2), conf.set_temp('retries', 2), \
                paths.set_temp_cache(tmp_path / 'cache'):
            status = main(['-v', 'folders'])
        silent.setblocking(False)
        tries = 0
        while True:                     # the connections it made, one per try
            try:
                silent.accept()[0].close()
            except BlockingIOError:
                break
            tries += 1
    finally:
        silent.close()
    err = capsys.readouterr().err
    error = [line for line in err.splitlines() if 'error:' in line][-1]
    assert status == 1 and tries == 3
    assert 'timed out' in error and url in error and '3 tries' in error
    assert ('TELESCOPE_QUERY_SERVER' in error) == (named_by == 'TELESCOPE_QUERY_SERVER')
    assert err.count('trying again') == 2
