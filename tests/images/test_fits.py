"""Pure tests of product checks and conversion to HDUList (no server)."""
import io
import os
import warnings
import zipfile

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

from telescope_query.images import fits as products
from telescope_query.images.fits import ProductFormatError


def site_header(filter_name):
    """A header with the live site's quirks (PROTOCOL.md section 4)."""
    header = fits.Header()
    header['FILTER'] = filter_name
    header['TELESCOP'] = 'COAST Telescope'
    header['DATE-OBS'] = '2024-11-18T05:41:09'
    header['EXPTIME'] = 120.0
    header['OBJCTRA'] = '00 42 58.58'
    header['OBJCTDEC'] = '+36 28 18.97'
    header['EQUINOX'] = 2000.0
    header['EPOCH'] = 'REAL'
    header['RADECSYS'] = 'ICRS'
    return header


def cube_bytes(size=16, filters=('B', 'V', 'R')):
    data = (np.arange(len(filters) * size * size, dtype=np.uint16)
            .reshape(len(filters), size, size) + 1000)
    buffer = io.BytesIO()
    fits.PrimaryHDU(data, header=site_header(','.join(filters))).writeto(buffer)
    return buffer.getvalue()


def plane_bytes(filter_name, size=16, value=1000):
    data = np.full((size, size), value, dtype=np.uint16)
    buffer = io.BytesIO()
    fits.PrimaryHDU(data, header=site_header(filter_name)).writeto(buffer)
    return buffer.getvalue()


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_sniff():
    assert products.sniff(cube_bytes()[:16]) == 'fits'
    assert products.sniff(zip_bytes({'a.fits': b'x'})[:16]) == 'zip'
    assert products.sniff(b'<!DOCTYPE html>') is None
    assert products.sniff(b'') is None


def test_check_product_accepts_good_files(tmp_path):
    assert products.check_product(write(tmp_path, 'c.fits', cube_bytes())) == 'fits'
    members = {f'{f}.fits': plane_bytes(f) for f in 'BVR'}
    assert products.check_product(write(tmp_path, 'z.zip', zip_bytes(members)), 'zip') == 'zip'


def test_check_product_refuses_truncated_fits(tmp_path):
    path = write(tmp_path, 'c.fits', cube_bytes()[:-100])
    with pytest.raises(ProductFormatError, match='truncated'):
        products.check_product(path)


def test_check_product_refuses_html(tmp_path):
    path = write(tmp_path, 'c.fits', b'<html><form><input name="username"></form></html>')
    with pytest.raises(ProductFormatError, match='neither a FITS file nor a zip'):
        products.check_product(path)


def test_check_product_refuses_the_wrong_kind(tmp_path):
    path = write(tmp_path, 'c.zip', cube_bytes())
    with pytest.raises(ProductFormatError, match='should be a zip'):
        products.check_product(path, 'zip')


def test_check_product_refuses_a_broken_header(tmp_path):
    raw = cube_bytes()
    broken = raw.replace(b'NAXIS1  =                   16', b'NAXIS1  =                 ABCD')
    assert broken != raw
    with pytest.raises(ProductFormatError, match='not a valid FITS file'):
        products.check_product(write(tmp_path, 'c.fits', broken))


def test_check_product_refuses_garbage_after_the_data(tmp_path):
    path = write(tmp_path, 'c.fits', cube_bytes() + b'XTENSION= garbage' * 200)
    with pytest.raises(ProductFormatError, match='broken FITS header'):
        products.check_product(path)


def test_check_product_refuses_corrupt_zip_member(tmp_path):
    raw = bytearray(zip_bytes({'B.fits': plane_bytes('B', value=7)}))
    # Flip bytes in the compressed data (after the local header and the name).
    raw[60:70] = bytes(b ^ 0xFF for b in raw[60:70])
    with pytest.raises(ProductFormatError):
        products.check_product(write(tmp_path, 'z.zip', bytes(raw)))


def test_check_product_refuses_truncated_zip_and_zip_without_fits(tmp_path):
    raw = zip_bytes({f'{f}.fits': plane_bytes(f) for f in 'BVR'})
    with pytest.raises(ProductFormatError, match='zip'):
        products.check_product(write(tmp_path, 'a.zip', raw[:-200]))
    with pytest.raises(ProductFormatError, match='without FITS'):
        products.check_product(write(tmp_path, 'b.zip', zip_bytes({'readme.txt': b'hi'})))


def test_fix_header_repairs_quirks_and_keeps_history():
    header = site_header('B')
    changes = products.fix_header(header)
    assert len(changes) == 3
    assert 'EPOCH' not in header and 'RADECSYS' not in header
    assert header['RADESYS'] == 'ICRS'
    assert header['MJD-OBS'] == pytest.approx(60632.236909722, abs=1e-8)
    history = '\n'.join(str(h) for h in header['HISTORY'])
    assert "EPOCH = 'REAL'" in history and "RADECSYS = 'ICRS'" in history
    # Idempotent: nothing left to fix the second time.
    assert products.fix_header(header) == []


def test_fix_header_leaves_numeric_epoch_and_bad_dates_alone():
    header = fits.Header({'EPOCH': 2000.0, 'DATE-OBS': 'yesterday'})
    assert products.fix_header(header) == []
    assert header['EPOCH'] == 2000.0 and 'MJD-OBS' not in header


def test_fixed_headers_open_without_fits_fixed_warning():
    with warnings.catch_warnings():
        warnings.simplefilter('error', FITSFixedWarning)
        with pytest.raises(FITSFixedWarning):
            WCS(site_header('B'))  # the site's raw header does warn
        header = site_header('B')
        products.fix_header(header)
        WCS(header)


def test_open_cube_as_it_is(tmp_path):
    path = write(tmp_path, '1.fits', cube_bytes(size=16))
    with products.open_product(path) as hdul:
        assert len(hdul) == 1
        assert hdul[0].data.shape == (3, 16, 16) and hdul[0].data.dtype == np.uint16
        assert hdul[0].data[0, 0, 0] == 1000
        assert hdul[0].header['FILTER'] == 'B,V,R'
        assert hdul[0].header['RADESYS'] == 'ICRS' and 'EPOCH' not in hdul[0].header
        with warnings.catch_warnings():
            warnings.simplefilter('error', FITSFixedWarning)
            WCS(hdul[0].header)


def test_open_from_bytes_and_file_objects():
    raw = cube_bytes()
    with products.open_product(raw) as hdul:
        assert hdul[0].data.shape == (3, 16, 16)
    with products.open_product(io.BytesIO(raw)) as hdul:
        assert hdul[0].header['FILTER'] == 'B,V,R'


def test_open_zip_one_extension_per_filter(tmp_path):
    members = {'369256_B.fits': plane_bytes('B', value=1),
               '369256_V.fits': plane_bytes('V', value=2),
               '369256_R.fits': plane_bytes('R', value=3),
               'notes/': b'', 'readme.txt': b'not an image'}
    path = write(tmp_path, '369256.zip', zip_bytes(members))
    hdul = products.open_product(path)
    assert hdul[0].data is None and isinstance(hdul[0], fits.PrimaryHDU)
    assert [h.name for h in hdul[1:]] == ['B', 'V', 'R']
    for hdu, value in zip(hdul[1:], (1, 2, 3)):
        assert isinstance(hdu, fits.ImageHDU)
        assert hdu.data.dtype == np.uint16 and (hdu.data == value).all()
        # The original headers are kept, quirks fixed.
        assert hdu.header['TELESCOP'] == 'COAST Telescope'
        assert hdu.header['OBJCTRA'] == '00 42 58.58'
        assert hdu.header['RADESYS'] == 'ICRS' and 'EPOCH' not in hdu.header
    # It writes back as valid FITS with the same content.
    buffer = io.BytesIO()
    hdul.writeto(buffer)
    buffer.seek(0)
    with fits.open(buffer) as again:
        assert again['V'].data[0, 0] == 2 and again['V'].header['FILTER'] == 'V'


def test_zip_member_without_filter_is_named_by_base_name():
    plain = io.BytesIO()
    fits.PrimaryHDU(np.zeros((4, 4), dtype=np.int16)).writeto(plain)
    hdul = products.open_product(zip_bytes({'a/b/plane.fits': plain.getvalue()}))
    assert hdul[1].name == 'plane'


def test_hostile_zip_member_names_are_only_read_in_memory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'inner').mkdir()
    members = {'../../escape.fits': plane_bytes('B'), '/abs/path.fits': plane_bytes('V'),
               '..\\win.fits': plane_bytes('R')}
    path = write(tmp_path / 'inner', 'evil.zip', zip_bytes(members))
    before = sorted(os.walk(tmp_path.parent))
    hdul = products.open_product(path)
    assert [h.name for h in hdul[1:]] == ['B', 'V', 'R']
    assert sorted(os.walk(tmp_path.parent)) == before
    assert products.member_base_name('../../escape.fits') == 'escape.fits'
    assert products.member_base_name('/abs/path.fits') == 'path.fits'
    assert products.member_base_name('..\\win.fits') == 'win.fits'
    assert products.member_base_name('..') == 'member'


def test_open_product_clear_errors(tmp_path):
    with pytest.raises(ProductFormatError, match='neither a FITS file nor a zip'):
        products.open_product(b'<html>login</html>')
    raw = cube_bytes().replace(b'NAXIS1  =                   16',
                               b'NAXIS1  =                 ABCD')
    with pytest.raises(ProductFormatError, match='not a valid FITS file'):
        products.open_product(write(tmp_path, 'x.fits', raw))
    broken_member = plane_bytes('B').replace(b'NAXIS1  =                   16',
                                             b'NAXIS1  =                 ABCD')
    with pytest.raises(ProductFormatError, match="member 'B.fits'"):
        products.open_product(zip_bytes({'B.fits': broken_member}))
    with pytest.raises(ProductFormatError, match='no FITS image'):
        products.open_product(zip_bytes({'readme.txt': b'hello'}))
    with pytest.raises(ProductFormatError, match='not a valid zip'):
        products.open_product(zip_bytes({'B.fits': plane_bytes('B')})[:40])


# --- zip bombs, and zips checked by streaming --------------------------------------------

def _set_declared_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s uncompressed size, as its central directory declares
    it, set to ``size`` (the bytes themselves unchanged)."""
    raw = bytearray(data)
    at = raw.index(b'PK\x01\x02')
    while True:
        name_length = int.from_bytes(raw[at + 28:at + 30], 'little')
        if raw[at + 46:at + 46 + name_length] == name.encode():
            raw[at + 24:at + 28] = size.to_bytes(4, 'little')
            return bytes(raw)
        at = raw.index(b'PK\x01\x02', at + 46)


def test_zip_bomb_of_many_members_is_refused(tmp_path):
    members = {f'{i}.fits': plane_bytes('B', size=4) for i in range(products.ZIP_MAX_MEMBERS + 1)}
    with pytest.raises(ProductFormatError, match='zip bomb.*files'):
        products.check_product(write(tmp_path, 'z.zip', zip_bytes(members)))
    with pytest.raises(ProductFormatError, match='zip bomb'):
        products.open_product(zip_bytes(members))


def test_zip_bomb_of_a_high_ratio_is_refused(tmp_path):
    """A member of zeros that deflates 1000 times: refused before it is read."""
    zeros = b'SIMPLE  =' + bytes(8 << 20)
    with pytest.raises(ProductFormatError, match='zip bomb.*times'):
        products.check_product(write(tmp_path, 'z.zip', zip_bytes({'B.fits': zeros})))


def test_zip_bomb_of_a_huge_declared_size_is_refused(tmp_path):
    raw = _set_declared_size(zip_bytes({'B.fits': plane_bytes('B')}), 'B.fits', 3 << 30)
    with pytest.raises(ProductFormatError, match='zip bomb.*uncompressed'):
        products.check_product(write(tmp_path, 'z.zip', raw))


@pytest.mark.parametrize('change', [-100, +100])
def test_zip_member_whose_declared_size_is_not_its_own_is_refused(tmp_path, change):
    data = plane_bytes('B')
    raw = _set_declared_size(zip_bytes({'B.fits': data}), 'B.fits', len(data) + change)
    with pytest.raises(ProductFormatError, match='not a valid zip|declares'):
        products.check_product(write(tmp_path, 'z.zip', raw))


def test_zip_inside_a_zip_is_refused(tmp_path):
    inner = zip_bytes({'B.fits': plane_bytes('B')})
    raw = zip_bytes({'V.fits': plane_bytes('V'), 'more.zip': inner})
    with pytest.raises(ProductFormatError, match='itself a zip'):
        products.check_product(write(tmp_path, 'z.zip', raw))


def test_zip_product_is_checked_in_bounded_memory(tmp_path):
    """A 48 MB FITS member is streamed, never read whole: the check's peak of
    Python memory stays a few MB."""
    import tracemalloc
    plane = np.random.default_rng(1).integers(0, 60000, (3, 2048, 4096), dtype=np.uint16)
    buffer = io.BytesIO()
    fits.PrimaryHDU(plane).writeto(buffer)
    path = tmp_path / 'big.zip'
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as archive:
        archive.writestr('B.fits', buffer.getvalue())
    del plane, buffer
    tracemalloc.start()
    try:
        assert products.check_product(path, 'zip') == 'zip'
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f'{peak / 2**20:.0f} MiB of memory for a 48 MiB member'


def test_whole_product_has_nothing_after_its_end(tmp_path):
    """For a download whose length nobody announced, bytes after the FITS file's
    last HDU or after the zip's end record are refused; a whole one passes."""
    cube = cube_bytes()
    archive = zip_bytes({f'{f}.fits': plane_bytes(f) for f in 'BVR'})
    assert products.check_product(write(tmp_path, 'c.fits', cube), whole=True) == 'fits'
    assert products.check_product(write(tmp_path, 'z.zip', archive), whole=True) == 'zip'
    with pytest.raises(ProductFormatError, match='after its last FITS HDU'):
        products.check_product(write(tmp_path, 'c2.fits', cube + bytes(2880)), whole=True)
    with pytest.raises(ProductFormatError, match='after the end of the zip'):
        products.check_product(write(tmp_path, 'z2.zip', archive + b'junk'), whole=True)
