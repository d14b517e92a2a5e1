"""Staging, polling, streaming, verification and the product cache, over real
loopback HTTP against the simulator (and its faults)."""
from __future__ import annotations

import json
import os
import sys
import threading
import zlib
from pathlib import Path

import pytest
import requests
from urllib.parse import parse_qsl
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from astroquery.exceptions import LoginError

from telescope_query import conf
from telescope_query.exceptions import (DownloadError, NoSuchJobError, ProductNotReadyError,
                                        RemoteServiceError)
from telescope_query.protocol import image_engine as ie
from telescope_query.images import cache, staging, transfer
from telescope_query.images.product import Fetched, Product

from helpers import CREATE_CUBE, DOWNLOAD, POLL, demo_jids, own_simulator, served_bytes


def record(client):
    """Every request the client's session sends (method, url, headers, body), in order."""
    seen = []
    lock = threading.Lock()

    def hook(response, *args, **kwargs):
        with lock:
            seen.append(response.request)
    client._session.hooks['response'].append(hook)
    return seen


def leftovers(folder):
    """Temporary files anywhere under ``folder``."""
    return [p for p in Path(folder).rglob('*') if p.name.endswith(('.part', '.tmp'))]


@pytest.fixture
def fresh(simulator_factory, login_as, monkeypatch):
    """A simulator of its own (nothing staged yet, 0.2 s staging) and a client on it."""
    sim, client = own_simulator(simulator_factory, login_as, monkeypatch, staging_seconds=0.2)
    sim.counters.reset()
    with conf.set_temp('poll_interval', 0.01), conf.set_temp('max_poll_time', 30):
        yield sim, client


def test_fetch_cube_stores_the_verified_product(telescope, simulator, quick):
    jid = demo_jids(simulator)[0]
    fetched = staging.fetch_one(telescope, Product(jid))
    assert not fetched.cached
    assert fetched.path == cache.cached_path(telescope, Product(jid))
    assert fetched.path.name == f'{jid}.fits'
    assert fetched.path.read_bytes() == served_bytes(simulator, jid)
    assert fetched.size == fetched.path.stat().st_size
    meta = json.loads(fetched.path.with_name(f'{jid}.fits.json').read_text())
    assert meta['size'] == fetched.size and meta['jid'] == jid
    assert simulator.counters[CREATE_CUBE] == 1 and simulator.counters[DOWNLOAD] == 1
    assert not leftovers(telescope.product_cache)


_OPENED: list | None = None   # (path, flags) of every file opened while recording


def _audit_open(event, args):
    if event == 'open' and _OPENED is not None and isinstance(args[2], int):
        _OPENED.append((os.fsdecode(args[0]) if not isinstance(args[0], int) else '',
                        args[2]))


sys.addaudithook(_audit_open)  # audit hooks stay for the process: it records only when asked


def test_the_download_never_truncates_its_temporary_file(telescope, simulator, quick):
    """The temporary file is written without O_TRUNC: on ext4 a file truncated
    to zero and rewritten is flushed to disk when it is closed (auto_da_alloc),
    35-50 ms per 200 MB that curl never pays."""
    global _OPENED
    jid = demo_jids(simulator)[1]
    _OPENED = []
    try:
        fetched = staging.fetch_one(telescope, Product(jid))
    finally:
        opened, _OPENED = _OPENED, None
    assert fetched.path.read_bytes() == served_bytes(simulator, jid)
    cache = os.fspath(telescope.product_cache)
    written = [(path, flags) for path, flags in opened if path.startswith(cache)
               and path.endswith('.part') and flags & (os.O_WRONLY | os.O_RDWR)]
    assert written, opened
    assert not [path for path, flags in written if flags & os.O_TRUNC], written


def test_the_flat_field_is_sent_only_when_asked_for(telescope, simulator, quick):
    jids = demo_jids(simulator)
    with_flat = next(j for j in jids if simulator.archive.job(j).flat_id)
    flat_id = simulator.archive.job(with_flat).flat_id
    seen = record(telescope)
    flat = staging.fetch_one(telescope, Product(with_flat, cube=False, flat=True))
    plain = staging.fetch_one(telescope, Product(with_flat, cube=False))
    bodies = [r.body for r in seen if 'api-user.php' in r.url and 'create' in (r.body or '')]
    assert [json.loads(dict(parse_qsl(body))['params']) for body in bodies] == [
        {'jid': with_flat, 'flatid': flat_id}, {'jid': with_flat}]
    # Two products [seen]: other bytes and another size, each cached under its name.
    assert flat.path.read_bytes() == served_bytes(simulator, with_flat, 'zip', flat=True)
    assert plain.path.read_bytes() == served_bytes(simulator, with_flat, 'zip')
    assert flat.size != plain.size and flat.path != plain.path
    assert flat.path.name == f'{with_flat}_flat.zip'


def test_create_without_flat_field_sends_only_the_jid(telescope, simulator, quick):
    jids = demo_jids(simulator)
    without = [j for j in jids if not simulator.archive.job(j).flat_id]
    if not without:
        pytest.skip('no job without a flat field in this archive')
    seen = record(telescope)
    staging.fetch_one(telescope, Product(without[0]))
    body = next(r.body for r in seen if 'create' in (r.body or ''))
    assert json.loads(dict(parse_qsl(body))['params']) == {'jid': without[0]}


def test_zip_polls_through_processing_until_ready(fresh):
    simulator, telescope = fresh
    jid = demo_jids(simulator)[1]
    statuses = []
    staging.fetch_one(telescope, Product(jid, cube=False),
                      on_status=lambda p, s, engine: engine and statuses.append(s))
    assert statuses[0] == 'OK_WAIT' and statuses[-1] == 'READY'
    assert 'PROCESSING' in statuses
    # The backoff starts fast: several polls within the short staging time.
    assert simulator.counters[POLL] >= 3
    assert cache.cached_path(telescope, Product(jid, cube=False)).read_bytes() == \
        served_bytes(simulator, jid, 'zip')


@pytest.mark.parametrize('fault, params', [('cut_connection', {'after_bytes': 5000}),
                                           ('short_body', {'missing_bytes': 100})])
def test_a_cut_download_is_resumed_with_range(telescope, simulator, quick, fault, params):
    jid = demo_jids(simulator)[2]
    simulator.faults.add(fault, endpoint=DOWNLOAD, count=1, **params)
    seen = record(telescope)
    fetched = staging.fetch_one(telescope, Product(jid))
    assert fetched.path.read_bytes() == served_bytes(simulator, jid)
    downloads = [r for r in seen if DOWNLOAD in r.url]
    assert len(downloads) == 2
    assert 'Range' not in downloads[0].headers
    expected_start = params.get('after_bytes') or len(served_bytes(simulator, jid)) - 100
    assert downloads[1].headers['Range'] == f'bytes={expected_start}-'
    assert downloads[1].headers.get('If-Range')
    assert not leftovers(telescope.product_cache)


@pytest.mark.parametrize('fault, params, error, connections', [
    # No connection brings a byte: given up after MAX_STALLS.
    ('cut_connection', {'after_bytes': 0}, 'connection broke', transfer.MAX_STALLS),
    # Every answer brings 100 more bytes, then breaks: progress, but too slow.
    ('cut_connection', {'after_bytes': 100}, f'broke {transfer.MAX_CONNECTIONS} times',
     transfer.MAX_CONNECTIONS),
    ('http_500', {}, 'HTTP 500', transfer.MAX_STALLS),
])
def test_a_download_that_keeps_failing_is_given_up_leaving_nothing(
        telescope, simulator, quick, fault, params, error, connections):
    jid = demo_jids(simulator)[3]
    simulator.faults.add(fault, endpoint=DOWNLOAD, count=None, **params)
    # The transport's own retries off: each failure is one connection.
    with conf.set_temp('retries', 0):
        with pytest.raises(DownloadError, match=f'job {jid}.*{error}'):
            staging.fetch_one(telescope, Product(jid))
    assert simulator.counters[DOWNLOAD] == connections
    assert not cache.cached_path(telescope, Product(jid)).exists()
    assert not leftovers(telescope.product_cache)


@pytest.mark.parametrize('fault, count', [
    ('corrupt_product', 1),     # a corrupt transfer is fetched again
    ('http_500', 2),            # retried (by the transport)
])
def test_a_download_that_fails_for_a_while_is_tried_again(telescope, simulator, quick,
                                                           fault, count):
    jid = demo_jids(simulator)[4]
    simulator.faults.add(fault, endpoint=DOWNLOAD, count=count)
    fetched = staging.fetch_one(telescope, Product(jid))
    assert fetched.path.read_bytes() == served_bytes(simulator, jid)
    assert simulator.counters[DOWNLOAD] == count + 1


@pytest.mark.parametrize('cube', [True, False])
def test_a_product_always_corrupt_is_an_error_and_nothing_is_kept(telescope, simulator,
                                                                    quick, cube):
    jid = demo_jids(simulator)[5]
    # Bytes flipped in the middle of the file: a zip's CRC sees them, a cube's
    # FITS header at offset 0 does.
    simulator.faults.add('corrupt_product', endpoint=DOWNLOAD, count=None,
                         offset=0 if cube else 3000, nbytes=64)
    with pytest.raises(DownloadError, match='corrupt'):
        staging.fetch_one(telescope, Product(jid, cube=cube))
    assert not cache.cached_path(telescope, Product(jid, cube=cube)).exists()
    assert not leftovers(telescope.product_cache)


def test_a_product_never_ready_times_out_naming_the_job(telescope, simulator):
    jid = demo_jids(simulator)[7]
    simulator.faults.add('never_ready', count=None, jid=jid)
    with conf.set_temp('poll_interval', 0.01), conf.set_temp('max_poll_time', 0.2):
        with pytest.raises(ProductNotReadyError, match=f'job {jid}.*PROCESSING') as info:
            staging.fetch_one(telescope, Product(jid))
    assert isinstance(info.value, TimeoutError)
    assert 'max_poll_time' in str(info.value)
    assert simulator.counters[DOWNLOAD] == 0
    # Polling backed off up to poll_interval: a bounded number of polls.
    assert 2 <= simulator.counters[POLL] <= 0.2 / 0.01 + 5


def test_poll_backoff_grows_to_poll_interval(telescope, simulator):
    jid = demo_jids(simulator)[7]
    simulator.faults.add('never_ready', count=None, jid=jid)
    seen = record(telescope)
    with conf.set_temp('poll_interval', 0.05), conf.set_temp('max_poll_time', 0.4):
        with pytest.raises(ProductNotReadyError):
            staging.fetch_one(telescope, Product(jid))
    polls = [r for r in seen if '0-is-job-ready' in (r.body or '')]
    # Waits of 0.05 s at most: about 8 polls in 0.4 s, not hundreds.
    assert 4 <= len(polls) <= 12


def test_session_expiring_before_the_download_is_renewed(telescope, simulator, quick):
    jid = demo_jids(simulator)[8]
    # The session ends on the download call itself: it answers the login form.
    simulator.faults.add('expire_session', endpoint=DOWNLOAD, count=1)
    fetched = staging.fetch_one(telescope, Product(jid))
    assert fetched.path.read_bytes() == served_bytes(simulator, jid)
    assert simulator.counters[DOWNLOAD] == 2
    assert simulator.counters['login.php'] == 1


def test_session_expiring_while_polling_is_renewed(fresh):
    simulator, telescope = fresh       # nothing staged yet: several polls
    jid = demo_jids(simulator)[9]
    simulator.faults.add('expire_session', endpoint=POLL, count=1, after_calls=1)
    fetched = staging.fetch_one(telescope, Product(jid))
    assert fetched.path.read_bytes() == served_bytes(simulator, jid)
    assert simulator.counters['login.php'] == 1


def test_job_that_does_not_exist(telescope, simulator, quick):
    with pytest.raises(NoSuchJobError, match='No job J12345 '):
        staging.fetch_one(telescope, Product(12345))
    assert simulator.counters['api-user.php'] == 0   # nothing asked of the engine
    assert not leftovers(telescope.product_cache)


def test_job_without_images(telescope, simulator, quick):
    failed = next(jid for jid in range(400000, 440000)
                  if (job := simulator.archive.job(jid)) is not None
                  and job.public and not job.success)
    with pytest.raises(DownloadError, match=f'job {failed} has no images'):
        staging.fetch_one(telescope, Product(failed))
    assert simulator.counters['api-user.php'] == 0


def test_image_engine_refusal_is_a_clear_error(telescope, simulator, quick, monkeypatch):
    # Skip the job check, so that the engine itself is asked about a job it
    # does not know and answers with an error status.
    monkeypatch.setattr(staging, '_check_job', lambda client, jid: None)
    with pytest.raises(ie.ImageEngineError, match='job 7654321.*ERR_') as info:
        staging.fetch_one(telescope, Product(7654321))
    assert info.value.status.startswith('ERR_')
    assert isinstance(info.value, DownloadError)
    assert simulator.counters[DOWNLOAD] == 0
    assert not leftovers(telescope.product_cache)


def test_broken_image_engine_answer(telescope, simulator, quick):
    jid = demo_jids(simulator)[10]
    simulator.faults.add('non_json', endpoint=CREATE_CUBE, count=None)
    with pytest.raises(RemoteServiceError, match='image-engine/0-create-dl3d'):
        staging.fetch_one(telescope, Product(jid))
    simulator.faults.clear()
    simulator.faults.add('truncated_json', endpoint=POLL, count=None)
    with pytest.raises(RemoteServiceError, match='image-engine/0-is-job-ready'):
        staging.fetch_one(telescope, Product(jid))
    assert simulator.counters[DOWNLOAD] == 0
    assert not cache.cached_path(telescope, Product(jid)).exists()


def test_cache_hit_makes_no_http_call(telescope, simulator, quick):
    jid = demo_jids(simulator)[11]
    staging.fetch_one(telescope, Product(jid, cube=False))
    simulator.counters.reset()
    again = staging.fetch_one(telescope, Product(jid, cube=False))
    assert again.cached
    assert simulator.counters.total() == 0


def test_logged_out_the_cache_is_nobodys(telescope, simulator, quick):
    """The product cache is the logged-in account's: logged out, a cached
    product is a LoginError at once (no HTTP call), not a cache hit."""
    jid = demo_jids(simulator)[11]
    staging.fetch_one(telescope, Product(jid, cube=False))
    telescope.logout()
    simulator.counters.reset()
    with pytest.raises(LoginError, match='[Nn]ot logged in'):
        staging.fetch_one(telescope, Product(jid, cube=False))
    with pytest.raises(LoginError):
        cache.find_cached(telescope, Product(jid, cube=False))
    assert simulator.counters.total() == 0


@pytest.mark.parametrize('damage', ['flip', 'truncate', 'no_meta', 'meta_garbage'])
def test_a_damaged_cached_product_is_fetched_again(telescope, simulator, quick, damage):
    jid = demo_jids(simulator)[12]
    path = staging.fetch_one(telescope, Product(jid)).path
    meta = path.with_name(path.name + '.json')
    if damage == 'flip':
        data = bytearray(path.read_bytes())
        data[-10] ^= 0xFF        # in the pixel data: only the recorded CRC sees it
        path.write_bytes(bytes(data))
    elif damage == 'truncate':
        path.write_bytes(path.read_bytes()[:-2880])
    elif damage == 'no_meta':
        meta.unlink()
    else:
        meta.write_text('{not json')
    simulator.counters.reset()
    fetched = staging.fetch_one(telescope, Product(jid))
    assert not fetched.cached
    assert simulator.counters[DOWNLOAD] == 1
    assert path.read_bytes() == served_bytes(simulator, jid)


def _reads_of(path, action):
    """``action()``'s result, and how many times it opened ``path`` (audit hook)."""
    global _OPENED
    _OPENED = []
    try:
        result = action()
    finally:
        opened, _OPENED = _OPENED, None
    return result, sum(1 for name, _ in opened if name == os.fspath(path))


def _trusted(client, product):
    """Fetch ``product`` and bring its record to the state of a later day: its file's
    mtime in the past (out of the racy window), re-checked once and recorded again."""
    path = staging.fetch_one(client, product).path
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**10))
    again, reads = _reads_of(path, lambda: staging.fetch_one(client, product))
    assert again.cached and reads == 1   # the stat changed: the CRC is read again
    return path


def test_a_cache_hit_of_an_unchanged_file_does_not_read_it(telescope, simulator, quick):
    """Size, mtime_ns and inode as recorded: the file is trusted without reading it."""
    jid = demo_jids(simulator)[14]
    path = _trusted(telescope, Product(jid))
    record = json.loads(path.with_name(path.name + '.json').read_text())
    stat = path.stat()
    assert (record['size'], record['mtime_ns'], record['inode']) == (
        stat.st_size, stat.st_mtime_ns, stat.st_ino)
    assert record['crc32'] == zlib.crc32(served_bytes(simulator, jid))
    simulator.counters.reset()
    for _ in range(3):
        hit, reads = _reads_of(path, lambda: staging.fetch_one(telescope, Product(jid)))
        assert hit.cached and reads == 0
    assert simulator.counters.total() == 0


def test_a_trusted_cached_file_edited_in_place_is_fetched_again(telescope, simulator,
                                                                quick):
    """An edit keeping the size changes the mtime: the CRC is read, the file fetched."""
    jid = demo_jids(simulator)[14]
    path = _trusted(telescope, Product(jid))
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    with open(path, 'r+b') as edit:          # in place: same inode, same size
        edit.write(bytes(data))
    simulator.counters.reset()
    fetched = staging.fetch_one(telescope, Product(jid))
    assert not fetched.cached and simulator.counters[DOWNLOAD] == 1
    assert path.read_bytes() == served_bytes(simulator, jid)


def test_trade_off_an_edit_that_puts_back_size_and_mtime_is_not_seen(telescope, simulator,
                                                                      quick):
    """The documented trade-off (images.cache, docs/downloading.rst): a change
    that keeps size, inode and mtime_ns (``os.utime`` putting the old mtime
    back, a disk's bit rot) is not looked for on a hit."""
    jid = demo_jids(simulator)[14]
    path = _trusted(telescope, Product(jid))
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    with open(path, 'r+b') as edit:
        edit.write(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert staging.fetch_one(telescope, Product(jid)).cached


def test_two_threads_asking_for_one_product_download_it_once(telescope, simulator, quick):
    jid = demo_jids(simulator)[13]
    simulator.staging_seconds = 0.2     # both threads are staging at the same time
    barrier = threading.Barrier(2)
    results = []

    def ask():
        barrier.wait()
        results.append(staging.fetch_one(telescope, Product(jid)))
    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2
    assert simulator.counters[DOWNLOAD] == 1
    assert sorted(r.cached for r in results) == [False, True]
    assert results[0].path == results[1].path


def test_bulk_stages_everything_before_downloading(fresh):
    simulator, telescope = fresh
    jids = demo_jids(simulator)[14:20]
    seen = record(telescope)
    with conf.set_temp('max_workers', 2):
        results = staging.fetch(telescope, [Product(j) for j in jids])
    assert all(isinstance(r, Fetched) and not r.cached for r in results)
    assert [r.product.jid for r in results] == jids
    kinds = ['create' if 'create' in (r.body or '') else
             'download' if DOWNLOAD in r.url else 'other' for r in seen]
    assert kinds.count('create') == len(jids) and kinds.count('download') == len(jids)
    last_create = max(i for i, k in enumerate(kinds) if k == 'create')
    first_download = kinds.index('download')
    assert last_create < first_download


def test_bulk_failure_of_one_does_not_stop_the_others(telescope, simulator, quick):
    jids = demo_jids(simulator)[20:23]
    products = [Product(jids[0]), Product(99999999), Product(jids[1]), Product(jids[0])]
    results = staging.fetch(telescope, products)
    assert isinstance(results[1], NoSuchJobError)
    assert results[0].path == results[3].path      # repeated products fetched once
    assert isinstance(results[2], Fetched)
    assert simulator.counters[DOWNLOAD] == 2


@pytest.mark.parametrize('cube, suffix', [(True, 'fits'), (False, 'zip')])
def test_processed_products(fresh, cube, suffix):
    simulator, telescope = fresh
    jid = demo_jids(simulator)[23]
    fetched = staging.fetch_one(telescope, Product(jid, cube=cube, processed=True))
    assert fetched.path.name == f'art_{jid}.{suffix}'
    assert fetched.path.read_bytes() == served_bytes(
        simulator, jid, 'cube' if cube else 'zip', processed=True)
    assert simulator.counters['imageengine-request.php'] >= 2   # waited for the iframe
    assert simulator.counters['api-user.php'] == 0


def test_processed_product_never_ready(telescope, simulator):
    jid = demo_jids(simulator)[24]
    simulator.faults.add('never_ready', count=None, jid=jid)
    with conf.set_temp('poll_interval', 0.01), conf.set_temp('max_poll_time', 0.1):
        with pytest.raises(ProductNotReadyError, match=f'processed zip of job {jid}'):
            staging.fetch_one(telescope, Product(jid, cube=False, processed=True))


def test_processed_page_showing_the_login_form_is_renewed(telescope, simulator, quick):
    jid = demo_jids(simulator)[25]
    simulator.faults.add('login_page', endpoint='imageengine-request.php', count=1)
    fetched = staging.fetch_one(telescope, Product(jid, processed=True))
    assert fetched.path.read_bytes() == served_bytes(simulator, jid, 'cube', processed=True)


def test_not_logged_in_and_not_cached(simulator, login_as):
    client = login_as('demo')
    client.logout()
    with pytest.raises(Exception, match='[Nn]ot logged in'):
        staging.fetch_one(client, Product(demo_jids(simulator)[0]))


# --- a server without byte ranges: the download starts again --------------------

class _NoRangeServer:
    """A tiny loopback server sending a body that is cut the first ``cuts`` times."""

    def __init__(self, body: bytes, cuts: int):
        self.body, self.cuts, self.calls, self.ranges = body, cuts, 0, []
        self.server = make_server('127.0.0.1', 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)

    def app(self, environ, start_response):
        request = Request(environ)
        self.calls += 1
        self.ranges.append(request.headers.get('Range'))
        if self.calls <= self.cuts:
            def cut():
                yield self.body[:len(self.body) // 2]
                environ['werkzeug.socket'].shutdown(2)
            start_response('200 OK', [('Content-Length', str(len(self.body)))])
            return cut()
        return Response(self.body)(environ, start_response)

    def __enter__(self):
        self.thread.start()
        return f'http://127.0.0.1:{self.server.server_port}/product.fits'

    def __exit__(self, *exc):
        self.server.shutdown()


class _PlainClient:
    """Just the `_stream` of the client contract, on a plain session."""

    def __init__(self):
        self.session = requests.Session()

    def _stream(self, url, *, headers=None):
        return self.session.get(url, headers=headers, stream=True, timeout=10)


def big_body():
    # Longer than one block, so that the first, cut, answer leaves bytes to throw away.
    return b'SIMPLE  =' + os.urandom(3 * transfer.BLOCK_SIZE)


def test_without_ranges_a_cut_download_starts_again(tmp_path):
    body = big_body()
    fake = _NoRangeServer(body, cuts=1)
    counted = []
    with fake as url, open(tmp_path / 'out', 'wb') as out:
        written, crc, total = transfer.stream_to(_PlainClient(), url, out, Product(1),
                                                 counted.append)
    assert written == total == len(body)
    assert (tmp_path / 'out').read_bytes() == body
    assert crc == zlib.crc32(body)
    assert fake.calls == 2 and fake.ranges == [None, None]
    # The bytes of the cut answer were thrown away (and taken off the progress).
    assert sum(counted) == len(body) and min(counted) < 0


def test_without_ranges_gives_up_when_no_answer_gets_further(tmp_path):
    fake = _NoRangeServer(big_body(), cuts=10)
    with fake as url, open(tmp_path / 'out', 'wb') as out:
        with pytest.raises(DownloadError, match='connection broke'):
            transfer.stream_to(_PlainClient(), url, out, Product(1), lambda n: None)
    # The first cut brought bytes; then MAX_STALLS answers that got no further.
    assert fake.calls == 1 + transfer.MAX_STALLS
