"""The site's text of a position: ``objectid`` of a RADEC request, both ways.

``'HH:MM:SS.ss +DD:MM:SS.ss'``: RA in hours and Dec in degrees, colon separated,
zero padded, two decimals, Dec always signed [seen: ``00:42:58.58 +36:28:18.97``].
Pure functions of degrees: no astropy here.
"""
from __future__ import annotations

import math
import re

__all__ = ['format_objectid', 'parse_objectid']

_OBJECTID = re.compile(r'^\s*(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d*)?)\s+([+-]?)(\d{1,3}):'
                       r'(\d{1,2}):(\d{1,2}(?:\.\d*)?)\s*$')


def _round_half_up(value: float) -> int:
    # A tiny allowance so that 59.995 s, which floats store as 59.99499..., still
    # rounds up as written: far below the 0.01 s precision of the text.
    return math.floor(value + 0.5 + 1e-6)


def format_objectid(ra_deg: float, dec_deg: float) -> str:
    """A position as the site writes it.

    Rounding carries into minutes, hours and degrees (``59.995`` seconds becomes
    the next minute, RA 24h wraps to 00h).
    """
    centi_ra = _round_half_up(float(ra_deg) / 15 * 360000) % (24 * 360000)
    ra_h, rest = divmod(centi_ra, 360000)
    ra_m, rest = divmod(rest, 6000)
    ra_s, ra_c = divmod(rest, 100)
    dec = float(dec_deg)
    centi_dec = min(_round_half_up(abs(dec) * 360000), 90 * 360000)
    sign = '-' if dec < 0 and centi_dec > 0 else '+'
    dec_d, rest = divmod(centi_dec, 360000)
    dec_m, rest = divmod(rest, 6000)
    dec_s, dec_c = divmod(rest, 100)
    return (f"{ra_h:02d}:{ra_m:02d}:{ra_s:02d}.{ra_c:02d} "
            f"{sign}{dec_d:02d}:{dec_m:02d}:{dec_s:02d}.{dec_c:02d}")


def parse_objectid(text: str | None) -> tuple[float, float] | None:
    """RA and Dec in degrees from a RADEC object id, or None when it is not one."""
    found = _OBJECTID.match(text) if text else None
    if not found:
        return None
    h, m, s, sign, d, dm, ds = found.groups()
    ra = (int(h) + int(m) / 60 + float(s) / 3600) * 15
    dec = int(d) + int(dm) / 60 + float(ds) / 3600
    dec = -dec if sign == '-' else dec
    if not (0 <= ra < 360 and -90 <= dec <= 90):
        return None
    return ra, dec
