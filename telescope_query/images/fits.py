"""Image products as astropy objects: checks, header fixes, zip to HDUList.

Pure: reads the bytes it is given (a file on disk or in memory), never the
network, and never writes a file.

The site's products (PROTOCOL.md section 4): a cube is one primary HDU with one
plane per filter (``FILTER = 'B,V,R'``); a zip holds one FITS file per filter,
each with its own ``FILTER``. Headers carry the non-standard ``EPOCH = 'REAL'``
and the deprecated ``RADECSYS`` [seen], which make `astropy.wcs.WCS` emit
``FITSFixedWarning``; `fix_header` repairs them and says so in ``HISTORY``.
"""
from __future__ import annotations

import io
import os
import warnings
import zipfile
import zlib
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import BinaryIO, Union

from astropy.io import fits

__all__ = ['ProductFormatError', 'sniff', 'check_product', 'open_product', 'fix_header',
           'zip_to_hdulist', 'member_base_name', 'frame_starts']

Source = Union[str, os.PathLike, bytes, BinaryIO]

FITS_MAGIC = b'SIMPLE  ='
ZIP_MAGIC = b'PK\x03\x04'
_TAG = 'telescope_query:'


class ProductFormatError(ValueError):
    """The bytes are not a valid FITS file or zip of FITS files."""


def sniff(head: bytes) -> str | None:
    """``'fits'``, ``'zip'`` or ``None`` from the first bytes of a file."""
    if head.startswith(FITS_MAGIC):
        return 'fits'
    if head.startswith(ZIP_MAGIC):
        return 'zip'
    return None


def member_base_name(name: str) -> str:
    """The last part of a zip member name, with any folders, drive or ``..`` dropped."""
    return PurePosixPath(name.replace('\\', '/')).name.lstrip('.') or 'member'


def _check_fits(fileobj: BinaryIO, size: int, label: str) -> None:
    """Raise unless ``fileobj`` holds complete FITS HDUs (headers parsed, data present)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            # Headers only: data stays unread, so this is cheap for any size.
            with fits.open(fileobj, lazy_load_hdus=False, memmap=False) as hdul:
                _check_structure(hdul, label)
                last = hdul.fileinfo(len(hdul) - 1)
                end = last['datLoc'] + last['datSpan']
        except ProductFormatError:
            raise
        except Exception as exc:  # astropy fails in many ways on a broken header
            raise ProductFormatError(f"{label} is not a valid FITS file: "
                                     f"{type(exc).__name__}: {exc}") from None
    # astropy only warns about a header it cannot parse after the first HDU.
    broken = [w for w in caught if issubclass(w.category, fits.verify.VerifyWarning)]
    if broken:
        first_line = str(broken[0].message).strip().splitlines()[0]
        raise ProductFormatError(f"{label} has a broken FITS header: {first_line}")
    if end > size:
        raise ProductFormatError(f"{label} is truncated: its FITS headers announce "
                                 f"{end} bytes, the file has {size}")


_BITPIX = (8, 16, 32, 64, -32, -64)


def _check_structure(hdul: fits.HDUList, label: str) -> None:
    """The keywords that say where the data is and how to read it must be sound.

    astropy takes ``BITPIX = 17`` or ``NAXIS1 = 'eight'`` when it opens a file
    and fails only when the data is read, with a ``KeyError`` or ``TypeError``.
    """
    for index, hdu in enumerate(hdul):
        header = hdu.header
        where = f"{label} has a broken FITS header (HDU {index})"
        bitpix, naxis = header.get('BITPIX'), header.get('NAXIS')
        if isinstance(bitpix, bool) or bitpix not in _BITPIX:
            raise ProductFormatError(f"{where}: BITPIX = {bitpix!r}, not one of {_BITPIX}")
        if isinstance(naxis, bool) or not isinstance(naxis, int) or not 0 <= naxis <= 999:
            raise ProductFormatError(f"{where}: NAXIS = {naxis!r}")
        for axis in range(1, naxis + 1):
            length = header.get(f'NAXIS{axis}')
            if isinstance(length, bool) or not isinstance(length, int) or length < 0:
                raise ProductFormatError(f"{where}: NAXIS{axis} = {length!r}")


def _check_zip(fileobj: BinaryIO, label: str) -> None:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            bad = archive.testzip()  # reads every member and checks its CRC
            if bad is not None:
                raise ProductFormatError(f"{label}: member {bad!r} is corrupt (CRC mismatch)")
            members = [info for info in archive.infolist() if not info.is_dir()]
            fits_members = 0
            for info in members:
                with archive.open(info) as member:
                    if sniff(member.read(len(FITS_MAGIC))) == 'fits':
                        fits_members += 1
                        _check_fits(io.BytesIO(archive.read(info)), info.file_size,
                                    f"{label}: member {info.filename!r}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error) as exc:
        raise ProductFormatError(f"{label} is not a valid zip file: {exc}") from None
    if not fits_members:
        raise ProductFormatError(f"{label} is a zip without FITS files")


def check_product(path: str | os.PathLike, file_type: str | None = None) -> str:
    """Check that the file at ``path`` is a complete FITS file or zip of FITS files.

    Parameters
    ----------
    path : str or path-like
        The file to check.
    file_type : {'fits', 'zip'}, optional
        What the file must be; by default whatever its first bytes say.

    Returns
    -------
    file_type : str
        ``'fits'`` or ``'zip'``.

    Raises
    ------
    ProductFormatError
        Naming the file and what is wrong with it.
    """
    label = os.fspath(path)
    with open(path, 'rb') as fileobj:
        found = sniff(fileobj.read(16))
        if found is None:
            raise ProductFormatError(f"{label} is neither a FITS file nor a zip")
        if file_type is not None and found != file_type:
            raise ProductFormatError(f"{label} should be a {file_type} file, but it is a "
                                     f"{found}")
        fileobj.seek(0)
        if found == 'fits':
            _check_fits(fileobj, os.fstat(fileobj.fileno()).st_size, label)
        else:
            _check_zip(fileobj, label)
    return found


def fix_header(header: fits.Header) -> list[str]:
    """Repair the site's header quirks in place, keeping the originals in HISTORY.

    - ``EPOCH`` that is not a number (the site writes ``'REAL'``) is removed;
      the equinox is in ``EQUINOX``.
    - ``RADECSYS`` (deprecated) becomes ``RADESYS`` with the same value.
    - ``MJD-OBS`` is added from ``DATE-OBS`` when missing, as astropy.wcs would
      otherwise do, with a warning, every time the header is read.

    Returns the list of changes made (empty when there was nothing to fix).
    """
    changes = []
    if 'EPOCH' in header:
        value = header['EPOCH']
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            del header['EPOCH']
            changes.append(f"{_TAG} removed EPOCH = {value!r} (not a number; "
                           "see EQUINOX)")
    if 'RADECSYS' in header:
        value = header['RADECSYS']
        if 'RADESYS' in header:
            del header['RADECSYS']
        else:
            header.rename_keyword('RADECSYS', 'RADESYS')
        changes.append(f"{_TAG} RADECSYS = {value!r} renamed RADESYS (RADECSYS "
                       "is deprecated)")
    if 'DATE-OBS' in header and 'MJD-OBS' not in header:
        from astropy.time import Time
        try:
            mjd = Time(str(header['DATE-OBS']).strip(), scale='utc').mjd
        except ValueError:
            pass  # unreadable date: leave it to the reader
        else:
            header['MJD-OBS'] = (mjd, '[d] MJD of DATE-OBS')
            changes.append(f"{_TAG} MJD-OBS computed from DATE-OBS")
    for change in changes:
        header.add_history(change)
    return changes


def _open_fits(source: str | os.PathLike | BinaryIO, label: str) -> fits.HDUList:
    """`astropy.io.fits.open`, with a broken file turned into one clear error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            hdul = fits.open(source, lazy_load_hdus=False)
        except Exception as exc:  # OSError, ValueError, and TypeError on broken cards
            # astropy's warnings about the same breakage would only repeat it.
            raise ProductFormatError(f"{label} is not a valid FITS file: "
                                     f"{type(exc).__name__}: {exc}") from None
        try:
            _check_structure(hdul, label)
            last = hdul.fileinfo(len(hdul) - 1)
            size = _source_size(source)
            if size is not None and last['datLoc'] + last['datSpan'] > size:
                raise ProductFormatError(f"{label} is truncated: its FITS headers announce "
                                         f"{last['datLoc'] + last['datSpan']} bytes, the "
                                         f"file has {size}")
        except BaseException:
            hdul.close()
            raise
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename,
                               warning.lineno)
    return hdul


def _source_size(source: str | os.PathLike | BinaryIO) -> int | None:
    """The byte length of a FITS source (path or file object), when it can be known."""
    try:
        if isinstance(source, (str, os.PathLike)):
            return os.path.getsize(source)
        position = source.tell()
        size = source.seek(0, os.SEEK_END)
        source.seek(position)
        return size
    except (OSError, AttributeError, ValueError):
        return None


def _filter_name(header: fits.Header, fallback: str) -> str:
    value = header.get('FILTER')
    text = str(value).strip() if value is not None else ''
    return text or fallback


def zip_to_hdulist(archive: zipfile.ZipFile, label: str = 'zip') -> fits.HDUList:
    """One HDUList from a zip of per-filter FITS files.

    An empty primary HDU, then one `~astropy.io.fits.ImageHDU` per FITS member in
    archive order, ``EXTNAME`` = its ``FILTER`` (or the member's base name), with
    the member's header kept (quirks fixed). Members are read in memory only.
    """
    extensions = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        data = archive.read(info)
        if sniff(data[:16]) != 'fits':
            continue  # not an image: a read-me or similar
        base = member_base_name(info.filename)
        with _open_fits(io.BytesIO(data), f"{label}: member {base!r}") as member:
            for hdu in member:
                if hdu.data is None:
                    continue
                header = hdu.header.copy()
                fix_header(header)
                extension = fits.ImageHDU(data=hdu.data, header=header)
                extension.header['EXTNAME'] = (
                    _filter_name(header, base.rsplit('.', 1)[0]), 'filter')
                extensions.append(extension)
    if not extensions:
        raise ProductFormatError(f"{label} holds no FITS image")
    return fits.HDUList([fits.PrimaryHDU(), *extensions])


def open_product(source: Source, *, label: str | None = None) -> fits.HDUList:
    """Open a product as an `~astropy.io.fits.HDUList` with its header quirks fixed.

    Parameters
    ----------
    source : path-like, bytes or binary file
        A FITS cube or a zip of FITS files.
    label : str, optional
        How to name the product in error messages.

    Returns
    -------
    `~astropy.io.fits.HDUList`
        The cube as it is (file-backed, data read on access), or for a zip an
        empty primary HDU and one image extension per filter (see
        `zip_to_hdulist`).

    Raises
    ------
    ProductFormatError
        When the bytes are not a valid FITS file or zip of FITS files.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    if isinstance(source, (str, os.PathLike)):
        label = label or os.fspath(source)
        with open(source, 'rb') as fileobj:
            head = fileobj.read(16)
    else:
        label = label or getattr(source, 'name', None) or 'product'
        position = source.tell()
        head = source.read(16)
        source.seek(position)
    file_type = sniff(head)
    if file_type == 'zip':
        try:
            with zipfile.ZipFile(source) as archive:
                return zip_to_hdulist(archive, label)
        except zipfile.BadZipFile as exc:
            raise ProductFormatError(f"{label} is not a valid zip file: {exc}") from None
    if file_type != 'fits':
        raise ProductFormatError(f"{label} is neither a FITS file nor a zip "
                                 f"(it starts with {head[:16]!r})")
    hdul = _open_fits(source, label)
    for hdu in hdul:
        fix_header(hdu.header)
    return hdul


def frame_starts(source: Source) -> list[datetime]:
    """The ``DATE-OBS`` of every frame of a product (UTC), for checks of its job's times.

    Each frame has its own [seen]: every image HDU of a cube file, every FITS
    member of a zip. A frame whose ``DATE-OBS`` is missing or unreadable is
    left out; a file that is not a product gives `ProductFormatError`.
    """
    hdul = open_product(source)
    try:
        return [when for hdu in hdul if hdu.header.get('NAXIS')
                for when in [_date_obs(hdu.header)] if when is not None]
    finally:
        hdul.close()


def _date_obs(header: fits.Header) -> datetime | None:
    from astropy.time import Time
    text = str(header.get('DATE-OBS') or '').strip()
    if not text:
        return None
    try:
        return Time(text, scale='utc').to_datetime(timezone=timezone.utc)
    except ValueError:
        return None
