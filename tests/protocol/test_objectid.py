"""The site's text of a position (``objectid``), written and read back."""
from __future__ import annotations

import pytest
from astropy.coordinates import SkyCoord
from hypothesis import given, strategies as st

from telescope_query.protocol.objectid import format_objectid, parse_objectid


def test_parse_objectid():
    ra, dec = parse_objectid('00:42:58.58 +36:28:18.97')
    expected = SkyCoord('00h42m58.58s +36d28m18.97s')
    assert ra == pytest.approx(expected.ra.deg) and dec == pytest.approx(expected.dec.deg)
    assert parse_objectid('12:00:00.00 -00:30:00.00')[1] == pytest.approx(-0.5)
    assert parse_objectid('109') is None and parse_objectid(None) is None
    assert parse_objectid('25:00:00 +00:00:00') is None


def test_format_objectid_as_the_site_writes_it():
    assert format_objectid(10.744083, 36.471936) == '00:42:58.58 +36:28:18.97'
    assert format_objectid(359.99999999, -0.0000001) == '00:00:00.00 +00:00:00.00'
    assert format_objectid(0.0, -90.0) == '00:00:00.00 -90:00:00.00'


@given(st.floats(0, 359.9999), st.floats(-90, 90))
def test_written_and_read_back_within_the_texts_precision(ra, dec):
    back_ra, back_dec = parse_objectid(format_objectid(ra, dec))
    assert abs(back_dec - dec) <= 0.005 / 3600 + 1e-9
    # 0.01 s of RA is 0.15 arcsec: half of it at most, and half of 0.01 arcsec in Dec.
    assert min(abs(back_ra - ra), 360 - abs(back_ra - ra)) <= 0.01 * 15 / 3600 / 2 + 1e-9
