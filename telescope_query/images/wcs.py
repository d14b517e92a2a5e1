"""An approximate WCS for a frame, from its header and the recorded optics.

Pure: a header in, header cards out; no I/O. The site's frames carry no WCS
(PROTOCOL.md section 4), but they do carry the requested position
(``OBJCTRA``/``OBJCTDEC``, else ``MNTRA``/``MNTDEC``, else ``RA-TEL``/
``DEC-TEL``) and the date, and the plate scale, orientation and pointing error
of COAST frames are recorded (`telescope_query.protocol.site.OPTICS`). The WCS
puts the requested position at the centre of the imaging area (the overscan
strips left out), north up and east left, turned by the recorded rotation.
It is marked as approximate (``WCSNAME`` and ``HISTORY``, with its expected
error): a plate solution (`telescope_query.images.solve`) replaces it.

A frame whose telescope or optics are unknown (PIRATE today), or that has no
pointing or date, gets no WCS and a ``HISTORY`` line saying why.
"""
from __future__ import annotations

import math
import re
import textwrap
from datetime import datetime, timezone

from astropy import units as u
from astropy.coordinates import Angle
from astropy.io import fits

from ..protocol import site

__all__ = ['WCSNAME', 'frame_telescope', 'pointing', 'optics_for', 'approximate_wcs',
           'add_wcs', 'has_approximate_wcs']

#: ``WCSNAME`` of the approximate WCS: a plate solution has another (or none).
WCSNAME = 'approximate: pointing and recorded optics'
_TAG = 'telescope_query:'
#: The cards this module writes (removed before writing them again).
_CARDS = ('WCSNAME', 'CTYPE1', 'CTYPE2', 'CUNIT1', 'CUNIT2', 'CRVAL1', 'CRVAL2', 'CRPIX1',
          'CRPIX2', 'CD1_1', 'CD1_2', 'CD2_1', 'CD2_2', 'CTYPE3', 'CRPIX3', 'CRVAL3',
          'CD3_3', 'CSYER1', 'CSYER2')


def frame_telescope(header: fits.Header) -> str | None:
    """The telescope a frame was taken with, from ``TELESCOP``'s first word
    (`~telescope_query.protocol.site.TELESCOP_WORDS`), or None when unknown."""
    words = str(header.get('TELESCOP') or '').split()
    return site.TELESCOP_WORDS.get(words[0].lower()) if words else None


_SEXAGESIMAL = re.compile(r'^\s*([+-]?)(\d{1,3})[:\s]+(\d{1,2})[:\s]+(\d{1,2}(?:\.\d*)?)\s*$')


def _angle(value: object, unit: u.UnitBase) -> Angle | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        # The site's form, '19:19:02' / '+41:06:34' [seen]: read directly, as
        # astropy's general parser costs a millisecond a frame.
        match = _SEXAGESIMAL.match(value)
        if match:
            sign, whole, minutes, seconds = match.groups()
            if int(minutes) >= 60 or float(seconds) >= 60 or (
                    unit is u.hourangle and (sign == '-' or int(whole) >= 24)):
                return None                     # not a position: the next keywords
            number = int(whole) + int(minutes) / 60 + float(seconds) / 3600
            return Angle(-number if sign == '-' else number, unit)
    try:
        if isinstance(value, (int, float)):
            return Angle(float(value), u.deg)   # a number: degrees [assumed]
        return Angle(str(value).strip(), unit)
    except (ValueError, u.UnitsError):
        return None


def pointing(header: fits.Header) -> tuple[float, float, str] | None:
    """``(ra_deg, dec_deg, keyword)``: the frame's pointing from the first pair of
    `~telescope_query.protocol.site.POINTING_KEYWORDS` that reads as a position
    (RA in hours, Dec in degrees, sexagesimal), or None."""
    for ra_key, dec_key in site.POINTING_KEYWORDS:
        ra, dec = _angle(header.get(ra_key), u.hourangle), _angle(header.get(dec_key), u.deg)
        if ra is not None and dec is not None and -90 <= dec.deg <= 90:
            return ra.wrap_at(360 * u.deg).deg, dec.deg, ra_key
    return None


def _frame_date(header: fits.Header) -> datetime | None:
    text = str(header.get('DATE-OBS') or '').strip()
    if not text:
        return None
    try:    # ISO 8601 [seen]: the standard library reads it fast
        when = datetime.fromisoformat(text)
        return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when
    except ValueError:
        pass
    from astropy.time import Time
    try:
        return Time(text, scale='utc').to_datetime(timezone=timezone.utc)
    except ValueError:
        return None


def optics_for(telescope: str, when: datetime) -> tuple[site.Optics | None, str]:
    """The optics row of ``telescope`` at ``when``, and a note when its scale is
    not recorded for that date (empty otherwise); None when unknown."""
    for row in site.OPTICS:
        if row.telescope != telescope:
            continue
        if (row.start is None or row.start <= when) and (row.end is None or when < row.end):
            first, last = row.seen
            if first <= when.replace(hour=0, minute=0, second=0, microsecond=0) <= last:
                return row, ''
            return row, (f"the plate scale is assumed: {when:%Y-%m-%d} is outside the "
                         f"recorded dates of this scale ({first:%Y-%m-%d} to "
                         f"{last:%Y-%m-%d})")
    return None, ''


def approximate_wcs(header: fits.Header, telescope: str | None = None
                    ) -> tuple[fits.Header | None, list[str]]:
    """The approximate WCS cards of one frame (or cube), and notes for ``HISTORY``.

    Parameters
    ----------
    header : `~astropy.io.fits.Header`
        The frame's header (``NAXIS1``/``NAXIS2``, ``DATE-OBS``, ``TELESCOP``
        and the pointing).
    telescope : str, optional
        The telescope, when known otherwise (``'COAST'``); by default read
        from ``TELESCOP``.

    Returns
    -------
    cards : `~astropy.io.fits.Header` or None
        The WCS cards, None when there can be none.
    notes : list of str
        What the WCS is (or why there is none), for ``HISTORY``.
    """
    naxis = header.get('NAXIS')
    if not isinstance(naxis, int) or naxis < 2:
        return None, []
    telescope = telescope or frame_telescope(header)
    if telescope is None:
        return None, [f"{_TAG} no WCS: TELESCOP = {header.get('TELESCOP')!r} names no "
                      "telescope whose optics are known"]
    when = _frame_date(header)
    if when is None:
        return None, [f"{_TAG} no WCS: no readable DATE-OBS (the optics depend on the date)"]
    row, note = optics_for(telescope, when)
    if row is None:
        return None, [f"{_TAG} no WCS: the plate scale of {telescope} is not known"]
    where = pointing(header)
    if where is None:
        return None, [f"{_TAG} no WCS: no pointing (OBJCTRA/OBJCTDEC, MNTRA/MNTDEC or "
                      "RA-TEL/DEC-TEL)"]
    ra, dec, keyword = where
    width, height = header['NAXIS1'], header['NAXIS2']
    binning = site.DETECTOR_PIXELS / width          # [assumed] for a smaller frame
    scale = row.scale_arcsec * binning / 3600
    rho = math.radians(site.ROTATION_DEG)
    error = site.POINTING_ERROR_ARCSEC / 3600
    rows: list[tuple[str, str | float, str]] = [
        ('WCSNAME', WCSNAME, 'not a plate solution'),
        ('CTYPE1', 'RA---TAN', 'approximate WCS'),
        ('CTYPE2', 'DEC--TAN', 'approximate WCS'),
        ('CUNIT1', 'deg', ''), ('CUNIT2', 'deg', ''),
        ('CRVAL1', ra, f'[deg] pointing of {keyword}'),
        ('CRVAL2', dec, '[deg] pointing'),
        ('CRPIX1', (width - site.overscan_width(width) + 1) / 2, 'centre of the imaging area'),
        ('CRPIX2', (height - site.overscan_width(height) + 1) / 2, 'centre of the imaging area'),
        ('CD1_1', -scale * math.cos(rho), f'{row.scale_arcsec * binning:.4g} arcsec/px'),
        ('CD1_2', -scale * math.sin(rho), ''),
        ('CD2_1', -scale * math.sin(rho), ''),
        ('CD2_2', scale * math.cos(rho), 'north up, east left'),
    ]
    if naxis == 3:     # a cube: its planes share the celestial axes
        rows += [('CTYPE3', '', 'plane (filter, see FILTER)'), ('CRPIX3', 1.0, ''),
                 ('CRVAL3', 1.0, ''), ('CD3_3', 1.0, '')]
    rows += [('CSYER1', error, '[deg] expected error of the approximate WCS'),
             ('CSYER2', error, '[deg] expected error of the approximate WCS')]
    cards = _header(rows)
    notes = [f"{_TAG} approximate WCS from the pointing ({keyword}) and {telescope}'s "
             f"recorded optics ({row.scale_arcsec}\"/px, north up, east left, "
             f"rotated {site.ROTATION_DEG} deg): expect errors of about "
             f"{site.POINTING_ERROR_ARCSEC / 60:.0f} arcmin; not a plate solution"]
    if binning != 1:
        notes.append(f"{_TAG} the frame is {width} px wide, taken as binned "
                     f"{binning:.3g} x {binning:.3g} (a full frame is "
                     f"{site.DETECTOR_PIXELS} px)")
    if note:
        notes.append(f"{_TAG} {note}")
    return cards, notes


def _header(rows: list[tuple[str, str | float, str]]) -> fits.Header:
    """A Header of fixed-format cards, written as text: astropy's card-by-card
    assignment costs about a millisecond for these 20 cards, on every cache hit."""
    images = []
    for key, value, comment in rows:
        if isinstance(value, str):
            text = "'" + value.replace("'", "''").ljust(8) + "'"
            text = text.ljust(20)
        else:
            text = format(float(value), '.14G').rjust(20)   # at most 20 characters
        card = f'{key:<8}= {text}' + (f' / {comment}' if comment else '')
        images.append(card[:80].ljust(80))
    return fits.Header.fromstring(''.join(images))


def _history(notes: list[str]) -> fits.Header:
    """``HISTORY`` cards of ``notes`` (wrapped at 72 characters), written as text as
    `_header` does."""
    images = [f'HISTORY {line}'.ljust(80) for note in notes
              for line in textwrap.wrap(note, 72, break_on_hyphens=False)]
    return fits.Header.fromstring(''.join(images))


def has_approximate_wcs(header: fits.Header) -> bool:
    """True when ``header`` holds this module's WCS (and not, say, a plate solution)."""
    return header.get('WCSNAME') == WCSNAME


def add_wcs(hdul: fits.HDUList, telescope: str | None = None) -> fits.HDUList:
    """Add the approximate WCS to every image HDU of ``hdul`` (in place; returned).

    An HDU that has a WCS of another kind already (a plate solution) is left
    as it is; one that has this module's gets it anew. Notes go to ``HISTORY``.
    """
    for hdu in hdul:
        header = hdu.header
        if header.get('NAXIS', 0) < 2:
            continue
        if 'CTYPE1' in header and not has_approximate_wcs(header):
            continue                                # a real solution: keep it
        if telescope is None and _done(header):
            continue                                # added before: the same again
        cards, notes = approximate_wcs(header, telescope)
        if 'WCSNAME' in header or 'CTYPE1' in header:
            for key in _CARDS:
                header.remove(key, ignore_missing=True, remove_all=True)
        if cards is not None:
            header.extend(cards.cards)
        header.extend(_history(notes).cards)
    return hdul


def _done(header: fits.Header) -> bool:
    """This module's WCS, or its note that there can be none, is in ``header``."""
    return has_approximate_wcs(header) or any(
        str(line).startswith(f'{_TAG} no WCS:') for line in header.get('HISTORY', []))
