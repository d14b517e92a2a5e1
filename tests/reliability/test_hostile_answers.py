"""Hostile or broken answers.

The simulator cannot serve these, so they are made in two ways: crafted files
fed to the client's pure product functions (`telescope_query.images.fits`), and a
`HostileProxy` in front of the simulator that rewrites its answers, so that
the whole client (staging, cache, legacy calls) meets them over HTTP:

- a zip product whose members are named with absolute paths or ``..`` never
  writes outside its target folder (members are read in memory only);
- an answer far longer than announced is cut off and reported, and bytes
  beyond ``Content-Length`` are never taken;
- a FITS product with a broken header gives a clear error, and nothing stays
  in the cache;
- HTML, or JSON of the wrong shape, where JSON was expected gives
  `RemoteServiceError` naming the call, never a ``KeyError`` from inside.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from telescope_query import conf
from telescope_query.images import fits as products
from telescope_query.exceptions import DownloadError, RemoteServiceError
from telescope_query.images.fits import ProductFormatError

from helpers import cache_problems, demo_jids

DOWNLOAD = 'v3image-download.php'
POLL = '0-is-job-ready'


# --- crafted products ------------------------------------------------------------------

def fits_bytes(filter_name: str = 'B', size: int = 8) -> bytes:
    hdu = fits.PrimaryHDU(np.arange(size * size, dtype=np.int16).reshape(size, size))
    hdu.header['FILTER'] = filter_name
    hdu.header['TELESCOP'] = 'COAST'
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def hostile_zip(absolute_target: Path) -> bytes:
    """A zip of valid FITS files whose member names try to leave any folder."""
    names = ['../../../escaped_B.fits', str(absolute_target), 'sub/../../escaped_R.fits',
             '..\\..\\escaped_win.fits', 'C:/escaped_drive.fits', './../escaped_dot.fits']
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name, filter_name in zip(names, ['B', 'V', 'R', 'B2', 'V2', 'R2']):
            info = zipfile.ZipInfo(name)     # ZipFile.writestr would keep the name as is
            archive.writestr(info, fits_bytes(filter_name))
    data = buffer.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as check:
        assert str(absolute_target).lstrip('/') in ' '.join(check.namelist()) or \
            str(absolute_target) in check.namelist()
    return data


def snapshot(*folders: Path) -> set[Path]:
    return {p for folder in folders for p in Path(folder).rglob('*')}


def escaped(root: Path, absolute_target: Path) -> list[Path]:
    found = [p for p in root.rglob('escaped*')]
    if absolute_target.exists():
        found.append(absolute_target)
    return found


# --- zips that try to escape ---------------------------------------------------------------

def test_hostile_zip_read_by_the_product_functions_writes_nothing(tmp_path, monkeypatch):
    """open_product/check_product of a zip with absolute and '..' member names
    read the members in memory: no file appears anywhere, and each member
    becomes an extension named by its FILTER."""
    work = tmp_path / 'a' / 'b' / 'c' / 'work'
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    target = tmp_path / 'absolute' / 'escaped_abs.fits'
    data = hostile_zip(target)
    path = work / 'hostile.zip'
    path.write_bytes(data)
    before = snapshot(tmp_path)
    assert products.check_product(path) == 'zip'
    for source in (data, path, io.BytesIO(data)):
        with products.open_product(source) as hdul:
            assert [h.header['EXTNAME'] for h in hdul[1:]] == ['B', 'V', 'R', 'B2', 'V2', 'R2']
    assert snapshot(tmp_path) == before
    assert not escaped(tmp_path, target)
    for name, base in [('../../etc/passwd', 'passwd'), ('/abs/x.fits', 'x.fits'),
                       ('..', 'member'), ('C:\\x\\..\\y.fits', 'y.fits'), ('../.hidden', 'hidden')]:
        assert products.member_base_name(name) == base


@pytest.fixture
def replaced_product(hostile_proxy, simulator):
    """``replaced_product(body, *, length=True, announced=None)``: the proxy serves
    ``body`` as every product download, and the image engine announces its length
    (``announced``: another; ``announced=False``: none). A callable ``body`` is
    called for each download (a fresh iterator each time)."""
    def make(body, *, length=True, announced=None):
        size = len(body) if announced is None else announced

        def handler(request, forward):
            if request.path.endswith(DOWNLOAD):
                chunks = (body() if callable(body) else body
                          if not isinstance(body, (bytes, bytearray)) else [bytes(body)])
                return hostile_proxy_respond(200, [('Content-Type', 'application/zip')],
                                             chunks, length=length, size=size)
            status, headers, content = forward()
            if request.form.get('request') == POLL:
                answer = json.loads(content)
                if answer.get('status') == 'READY':
                    for key in ('fitssize', 'fitsbzsize'):
                        if size is False:
                            answer['data'].pop(key, None)
                        else:
                            answer['data'][key] = str(size)
                    content = json.dumps(answer).encode()
            return proxy.respond(status, headers, content)

        proxy = hostile_proxy(handler)
        return proxy
    return make


def hostile_proxy_respond(status, headers, chunks, *, length, size):
    from werkzeug.wrappers import Response
    chunks = list(chunks) if isinstance(chunks, list) else chunks
    response = Response(chunks, status=status, headers=headers, direct_passthrough=True)
    if length is True:
        response.headers['Content-Length'] = str(sum(len(c) for c in chunks))
    elif isinstance(length, int) and not isinstance(length, bool):
        response.headers['Content-Length'] = str(length)
    return response


def test_hostile_zip_through_the_client_writes_nothing_outside(make_client, simulator,
                                                               replaced_product, tmp_path,
                                                               monkeypatch):
    """get_images, download_data, get_obs and download_obs of a hostile zip:
    the product is cached and placed only under its own name; no member is
    ever written by its stored path."""
    work = tmp_path / 'a' / 'b' / 'c' / 'work'
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    target = tmp_path / 'absolute' / 'escaped_abs.fits'
    data = hostile_zip(target)
    replaced_product(data)
    jids = demo_jids(simulator)[30:32]
    client = make_client(cache=tmp_path / 'cache')
    (hdul,) = client.get_images(jids[0], cube=False, show_progress=False)
    with hdul:
        assert [h.header['EXTNAME'] for h in hdul[1:]] == ['B', 'V', 'R', 'B2', 'V2', 'R2']
    table = client.download_data(jids, path=work / 'files', cube=False, show_progress=False)
    assert list(table['status']) == ['CACHED', 'COMPLETE']
    with client.get_obs(jids[0], cube=False) as archive:
        assert len(archive.namelist()) == 6           # handed over, never extracted
    assert client.download_obs(jids[1], directory=work / 'legacy', cube=False) == \
        f'{jids[1]}.zip'
    assert not escaped(tmp_path, target)
    assert sorted(p.name for p in (work / 'files').iterdir()) == sorted(f'{j}.zip' for j in jids)
    assert not cache_problems(tmp_path / 'cache')


# --- longer than announced ------------------------------------------------------------------

def _endless(head: bytes, limit: int = 64 << 20):
    """The real product, then zeros: up to ``limit`` bytes (a bound for a failing test)."""
    yield head
    sent, block = len(head), b'\0' * (256 << 10)
    while sent < limit:
        yield block
        sent += len(block)


@pytest.mark.parametrize('how', ['no Content-Length', 'huge Content-Length'])
def test_body_far_longer_than_announced_is_cut_off_and_reported(how, make_client, simulator,
                                                                 replaced_product, tmp_path):
    """A product body that goes on far past the size the image engine announced
    (64 MiB for a product of a few kB) is cut off early, reported as a
    DownloadError naming the announced size, and nothing stays behind."""
    jid = demo_jids(simulator)[33]
    clean = make_client(cache=tmp_path / 'clean')
    real = clean.get_images(jid, cube=False, show_progress=False)[0]
    real.close()
    real_bytes = next((tmp_path / 'clean').rglob(f'{jid}.zip')).read_bytes()
    proxy = replaced_product(_endless(real_bytes), announced=len(real_bytes),
                             length=False if how == 'no Content-Length' else 64 << 20)
    client = make_client(cache=tmp_path / 'cache')
    with conf.set_temp('timeout', 10.0):
        table = client.download_data(jid, path=tmp_path / 'files', cube=False,
                                     show_progress=False)
    assert list(table['status']) == ['ERROR']
    assert 'DownloadError' in table['message'][0] and str(len(real_bytes)) in table['message'][0]
    assert proxy.sent < 16 << 20, f'the client read {proxy.sent} bytes of a {len(real_bytes)}'
    assert not cache_problems(tmp_path / 'cache')
    assert not list((tmp_path / 'cache').rglob(f'{jid}.zip'))
    assert not (tmp_path / 'files' / f'{jid}.zip').exists()


def test_bytes_beyond_content_length_are_never_taken(make_client, simulator, replaced_product,
                                                     tmp_path):
    """A server that sends more than its own Content-Length: the client takes
    exactly Content-Length bytes (the product) and nothing after."""
    jid = demo_jids(simulator)[34]
    data = hostile_zip(tmp_path / 'absolute' / 'escaped_abs.fits')
    replaced_product([data, b'GARBAGE' * 10_000], length=len(data), announced=len(data))
    client = make_client(cache=tmp_path / 'cache')
    table = client.download_data(jid, path=tmp_path / 'files', cube=False, show_progress=False)
    assert list(table['status']) == ['COMPLETE'], list(table['message'])
    assert (tmp_path / 'files' / f'{jid}.zip').read_bytes() == data


# --- zip bombs, and products of no announced length ------------------------------------------

def _bomb(kind: str) -> bytes:
    """A zip product that would blow up once uncompressed, or one inside another."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        if kind == 'high ratio':
            archive.writestr('B.fits', b'SIMPLE  =' + bytes(32 << 20))
        elif kind == 'many members':
            for index in range(products.ZIP_MAX_MEMBERS + 1):
                archive.writestr(f'{index}.fits', fits_bytes('B'))
        else:
            inner = io.BytesIO()
            with zipfile.ZipFile(inner, 'w') as nested:
                nested.writestr('B.fits', fits_bytes('B'))
            archive.writestr('B.zip', inner.getvalue())
            archive.writestr('V.fits', fits_bytes('V'))
    return buffer.getvalue()


@pytest.mark.parametrize('kind', ['high ratio', 'many members', 'nested'])
def test_zip_bomb_served_as_a_product_is_refused(kind, make_client, simulator,
                                                 replaced_product, tmp_path):
    """A zip bomb as a job's product: refused with a clear error (checked by
    streaming, in bounded memory), fetched once more as any corrupt product,
    and nothing kept in the cache or the folder."""
    jid = demo_jids(simulator)[36]
    replaced_product(_bomb(kind))
    client = make_client(cache=tmp_path / 'cache')
    table = client.download_data(jid, path=tmp_path / 'files', cube=False, show_progress=False)
    assert list(table['status']) == ['ERROR']
    assert ('zip bomb' if kind != 'nested' else 'itself a zip') in table['message'][0]
    assert not cache_problems(tmp_path / 'cache')
    assert not list((tmp_path / 'cache').rglob(f'{jid}.zip'))
    assert not list((tmp_path / 'files').iterdir())


@pytest.mark.parametrize('what', ['the product', 'trailing junk', 'a cut product',
                                  'an endless body'])
def test_product_of_no_announced_length_must_be_whole_and_bounded(
        what, make_client, simulator, replaced_product, tmp_path, monkeypatch):
    """No Content-Length and no size from the image engine: the body's end is all
    that says where the product ends. It must be exactly a whole FITS file
    (nothing after its last HDU) and at most resume.UNANNOUNCED_LIMIT bytes
    (1 GiB; 1 MiB in this test), else a DownloadError and nothing kept."""
    from telescope_query.images import resume
    monkeypatch.setattr(resume, 'UNANNOUNCED_LIMIT', 1 << 20)
    jid = demo_jids(simulator)[37]
    clean = make_client(cache=tmp_path / 'clean')
    clean.get_images(jid, show_progress=False)[0].close()
    real = next((tmp_path / 'clean').rglob(f'{jid}.fits')).read_bytes()
    chunks = {'the product': lambda: iter([real]),
              'trailing junk': lambda: iter([real, bytes(2880)]),
              'a cut product': lambda: iter([real[:-2880]]),
              'an endless body': lambda: _endless(real, 64 << 20)}[what]
    # Iterators: werkzeug adds no Content-Length to them.
    proxy = replaced_product(chunks, length=False, announced=False)
    client = make_client(cache=tmp_path / 'cache')
    table = client.download_data(jid, path=tmp_path / 'files', show_progress=False)
    if what == 'the product':
        assert list(table['status']) == ['COMPLETE']
        assert (tmp_path / 'files' / f'{jid}.fits').read_bytes() == real
        return
    assert list(table['status']) == ['ERROR']
    message = table['message'][0]
    assert {'trailing junk': 'not a whole product', 'a cut product': 'truncated',
            'an endless body': 'announces no size'}[what] in message
    if what == 'an endless body':
        assert proxy.sent < 16 << 20
    assert not cache_problems(tmp_path / 'cache')
    assert not list((tmp_path / 'files').iterdir())


# --- broken FITS headers ---------------------------------------------------------------------

def _broken_headers():
    good = fits_bytes()
    card = good.index(b'NAXIS1')
    yield 'no END card', good[:2880].replace(b'END' + b' ' * 77, b' ' * 80) + good[2880:]
    yield 'NAXIS1 not a number', good[:card] + b"NAXIS1  = 'eight'".ljust(80) + good[card + 80:]
    yield 'BITPIX invalid', good.replace(b'BITPIX  =                   16',
                                         b'BITPIX  =                   17')
    yield 'non-ASCII in the header', good[:card] + b'NAXIS1  = \xff\xfe'.ljust(80) + \
        good[card + 80:]
    yield 'header cut mid-card', good[:1000]
    yield 'data shorter than announced', good[:2880 + 10]
    yield 'NAXIS negative', good.replace(b'NAXIS   =                    2',
                                         b'NAXIS   =                   -2')


BROKEN = list(_broken_headers())


@pytest.mark.parametrize('what, data', BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_fits_header_is_a_clear_error(what, data, tmp_path):
    """The product functions name the file and what is wrong: ProductFormatError
    (a ValueError), never an astropy error from deep inside or a silent success."""
    path = tmp_path / 'broken.fits'
    path.write_bytes(data)
    with pytest.raises(ProductFormatError, match=r'broken\.fits.*(FITS|truncated)'):
        products.check_product(path)
    with pytest.raises(ProductFormatError, match='FITS|truncated'):
        products.check_product(path, 'fits')
        with products.open_product(path) as hdul:
            hdul[0].data


@pytest.mark.parametrize('what, data', BROKEN[:4], ids=[b[0] for b in BROKEN[:4]])
def test_broken_fits_header_through_the_client(what, data, make_client, simulator,
                                               replaced_product, tmp_path):
    """A cube whose header is broken is fetched again, then reported
    (DownloadError saying the FITS file is invalid); the cache stays empty."""
    jid = demo_jids(simulator)[35]
    replaced_product(data)
    client = make_client(cache=tmp_path / 'cache')
    with pytest.raises(DownloadError, match='FITS'):
        client.get_images(jid, show_progress=False)
    assert not list((tmp_path / 'cache').rglob(f'{jid}.fits'))
    assert not cache_problems(tmp_path / 'cache')


# --- HTML, or JSON of the wrong shape, where JSON was expected ------------------------------

API_CALLS = {
    'get_folders': lambda c, s: c.get_folders(),
    'get_requests': lambda c, s: c.get_requests('Archive'),
    'query_object': lambda c, s: c.query_object('SS Cyg'),
    'get_images': lambda c, s: c.get_images(demo_jids(s)[36], show_progress=False),
    'submit': lambda c, s: c.submit('10:00:00 +40:00:00', exposure=30, name='Hostile JSON'),
    'legacy get_user_folders': lambda c, s: c.get_user_folders(),
}

HTML_PAGES = ['<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>',
              '<html><body>Fatal error: Uncaught exception in /var/www/api-user.php</body>',
              '', ' ', '\x00\x01binary', 'null', '"just a string"', '[1, 2, 3]', '{"data": []}',
              '{"success": 1', '{"success": 1, "status": "OK", "data": {"a": ']


@pytest.mark.parametrize('page', HTML_PAGES, ids=range(len(HTML_PAGES)))
@pytest.mark.parametrize('op', list(API_CALLS))
def test_non_json_answer_is_a_remote_service_error(op, page, make_client, simulator,
                                                   hostile_proxy):
    """Whatever non-JSON (or JSON without 'success') api-user.php sends, the call
    raises RemoteServiceError naming the API call, and nothing is submitted."""
    before = len(simulator.archive.requests('demo'))
    client = make_client()

    def handler(request, forward):
        status, headers, content = forward()
        if request.path.endswith('api-user.php'):
            return hostile.respond(200, [('Content-Type', 'text/html')], page.encode())
        return hostile.respond(status, headers, content)

    hostile = hostile_proxy(handler)
    with pytest.raises(RemoteServiceError) as caught:
        API_CALLS[op](client, simulator)
    assert 'request-manager/' in str(caught.value) or 'image-engine/' in str(caught.value) \
        or 'request-constructor/' in str(caught.value)
    assert len(simulator.archive.requests('demo')) == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(['id', 'name', 'count', 'creationtime', 'objectname', 'status',
                         'requesttime', 'totalRequests', 'requests', 'data', 'x']),
        inner, max_size=4),
    max_leaves=12)
answers = st.fixed_dictionaries(
    {'success': st.sampled_from([1, True, '1']), 'status': st.text(max_size=6)},
    optional={'data': json_values})


def test_json_of_any_shape_never_crashes_the_listings(make_client, simulator, hostile_proxy):
    """A successful answer whose data has any JSON shape: the listing returns a
    Table (or list) or raises RemoteServiceError; never KeyError, TypeError or
    another crash from deep inside."""
    from helpers import HostileProxy
    state = {'answer': None}

    def handler(request, forward):
        status, headers, content = forward()
        if state['answer'] is not None and request.path.endswith('api-user.php') \
                and request.form.get('module') == 'request-manager':
            return HostileProxy.respond(200, [('Content-Type', 'application/json')],
                                        state['answer'])
        return HostileProxy.respond(status, headers, content)

    hostile_proxy(handler)
    client = make_client()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(answer=answers, op=st.sampled_from(['get_folders', 'get_requests',
                                               'legacy get_user_folders']))
    def check(answer, op):
        state['answer'] = json.dumps(answer).encode()
        try:
            API_CALLS[op](client, simulator)
        except RemoteServiceError:
            pass

    check()


odd_text = st.one_of(st.text(max_size=8), st.sampled_from(
    ['\u00b2', '\u0661\u0662', '1e5', '-1', '0', '99999999999999999999999', ' 42 ', 'READY',
     'OK_WAIT', 'ERR_X', 'NaN']))
odd_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | odd_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(['id', 'ieID', 'flatID', 'fitssize', 'fitsbzsize', 'x']), inner,
        max_size=4),
    max_leaves=10)
odd_answers = st.fixed_dictionaries(
    {'success': st.sampled_from([1, True, '1', 0, False, 'yes']), 'status': odd_text},
    optional={'data': odd_values})


@pytest.mark.parametrize('target', ['image-engine', 'rb-submit'])
def test_answers_of_any_shape_never_crash_images_or_submission(target, make_client, simulator,
                                                               hostile_proxy, tmp_path):
    """Image-engine answers (for get_images) and the final submission's answer
    (for submit) of any JSON shape, with odd numbers as text ('²', '1e5',
    huge): a product, a request id, or a RemoteServiceError (DownloadError,
    SubmissionError); never a ValueError, KeyError or TypeError from inside,
    which a caller would take for bad input, and never two requests."""
    from helpers import HostileProxy
    state = {'answer': None}

    def replaced(request) -> bool:
        if not request.path.endswith('api-user.php'):
            return False
        if target == 'image-engine':
            return request.form.get('module') == 'image-engine'
        return request.form.get('request') == '0-rb-submit'

    def handler(request, forward):
        status, headers, content = forward()
        if state['answer'] is not None and replaced(request):
            return HostileProxy.respond(200, [('Content-Type', 'application/json')],
                                        state['answer'])
        return HostileProxy.respond(status, headers, content)

    hostile_proxy(handler)
    jid = demo_jids(simulator)[37]
    client = make_client(cache=tmp_path / 'cache')

    @settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(answer=odd_answers)
    @example(answer={'success': 1, 'status': 'OK', 'data': {'id': '\u00b2'}})
    @example(answer={'success': 1, 'status': 'OK', 'data': {'id': '9' * 40}})
    @example(answer={'success': 1, 'status': 'READY',
                     'data': {'ieID': '\u00b2', 'fitssize': '\u00b2', 'fitsbzsize': '1e5'}})
    @example(answer={'success': 1, 'status': 'READY', 'data': {'ieID': [], 'fitssize': -5}})
    def check(answer):
        import shutil
        shutil.rmtree(client.product_cache, ignore_errors=True)    # every example downloads
        state['answer'] = json.dumps(answer).encode()
        try:
            with conf.set_temp('max_poll_time', 0.2):
                if target == 'image-engine':
                    client.get_images(jid, show_progress=False)[0].close()
                else:
                    name = f'Odd answer {len(simulator.archive.requests("demo"))}'
                    try:
                        client.submit('10:00:00 +40:00:00', exposure=30, name=name)
                    finally:
                        made = [r for r in simulator.archive.requests('demo')
                                if r.object_name == name]
                        assert len(made) <= 1
        except (RemoteServiceError, TimeoutError):
            pass
        finally:
            state['answer'] = None

    check()


@pytest.mark.parametrize('digits', ['\u00b2', '\u0661\u0662', '\uff11', '\u2460'])
def test_odd_digits_in_answers_are_protocol_errors(digits):
    """Digits int() cannot read ('²'.isdigit() is True) in a submission id or a
    form ticket: no usable id (the queue is searched) or a SubmissionError
    (NO_TICKET), never a ValueError a caller would take for bad input."""
    from telescope_query.exceptions import SubmissionError
    from telescope_query.protocol import basket, request_form
    assert basket.parse_submit({'success': 1, 'status': 'OK', 'data': {'id': digits}}) is None
    page = f'<form><input type="hidden" name="ticket" value="{digits}"></form>'
    with pytest.raises(SubmissionError) as caught:
        request_form.extract_ticket(page, 'new')
    assert caught.value.status == 'NO_TICKET'
