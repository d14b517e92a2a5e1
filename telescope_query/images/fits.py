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
           'zip_to_hdulist', 'zip_members', 'member_base_name', 'frame_starts']

Source = Union[str, os.PathLike, bytes, BinaryIO]

FITS_MAGIC = b'SIMPLE  ='
ZIP_MAGIC = b'PK\x03\x04'
_TAG = 'telescope_query:'

#: Bytes read at a time from a zip member: a member is checked by streaming it,
#: never read whole (``ZipExtFile`` seeks forward by reading at most this much).
READ_SIZE = 1 << 20
#: What a zip product may hold. The site's zips hold one FITS file per filter
#: (three [seen]) of at most 28 MB each, that deflate compresses less than 2:1
#: (noisy pixels); a zip beyond these bounds is refused as a zip bomb.
ZIP_MAX_MEMBERS = 64
ZIP_MAX_UNCOMPRESSED = 2 << 30           # bytes, all members together
ZIP_MAX_RATIO = 100                      # uncompressed : compressed, for a member...
ZIP_RATIO_FROM = 1 << 20                 # ...of more than 1 MiB uncompressed
_END_OF_ZIP = b'PK\x05\x06'


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


def _check_fits(fileobj: BinaryIO, size: int, label: str, whole: bool = False) -> None:
    """Raise unless ``fileobj`` holds complete FITS HDUs (headers parsed, data
    present); ``whole``: and nothing after them."""
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
    if whole and end < size:
        raise ProductFormatError(f"{label} has {size - end} bytes after its last FITS HDU: "
                                 f"not a whole product")


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


def zip_members(archive: zipfile.ZipFile, label: str) -> list[zipfile.ZipInfo]:
    """The files of a zip product, once their declared sizes are within bounds.

    Raises `ProductFormatError` for a zip bomb: more than `ZIP_MAX_MEMBERS`
    files, more than `ZIP_MAX_UNCOMPRESSED` bytes in all once uncompressed, or
    a member that would grow more than `ZIP_MAX_RATIO` times. The sizes are
    those the zip declares; `_check_zip` checks them against the bytes.
    """
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > ZIP_MAX_MEMBERS:
        raise ProductFormatError(f"{label} is refused as a zip bomb: it holds "
                                 f"{len(members)} files, more than {ZIP_MAX_MEMBERS}")
    total = sum(info.file_size for info in members)
    if total > ZIP_MAX_UNCOMPRESSED:
        raise ProductFormatError(f"{label} is refused as a zip bomb: its files would take "
                                 f"{total} bytes once uncompressed, more than "
                                 f"{ZIP_MAX_UNCOMPRESSED}")
    for info in members:
        if (info.file_size > ZIP_RATIO_FROM
                and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1)):
            raise ProductFormatError(
                f"{label} is refused as a zip bomb: member {info.filename!r} would grow "
                f"from {info.compress_size} to {info.file_size} bytes, more than "
                f"{ZIP_MAX_RATIO} times")
    return members


def _check_zip(fileobj: BinaryIO, label: str, whole: bool = False) -> None:
    """Every member streamed, in bounded memory: its CRC and its declared size
    against its bytes, then each FITS member's structure; a zip inside is
    refused. ``whole``: nothing may follow the zip's end record."""
    fits_members = 0
    try:
        with zipfile.ZipFile(fileobj) as archive:
            for info in zip_members(archive, label):
                where = f"{label}: member {info.filename!r}"
                with archive.open(info) as member:
                    head = member.read(len(FITS_MAGIC))
                    kind, size = sniff(head), len(head)
                    # To its end: ZipExtFile checks the CRC there, and stops at the
                    # declared size (a longer member then fails its CRC).
                    while block := member.read(READ_SIZE):
                        size += len(block)
                if size != info.file_size:
                    raise ProductFormatError(f"{where} declares {info.file_size} bytes "
                                             f"but holds {size}: not a valid zip")
                if kind == 'zip':
                    raise ProductFormatError(f"{where} is itself a zip: refused (a product "
                                             f"holds FITS files)")
                if kind == 'fits':
                    fits_members += 1
                    # astropy reads the headers and seeks over the data (ZipExtFile
                    # seeks forward by reading at most MAX_SEEK_READ at a time).
                    member = archive.open(info)
                    member.MAX_SEEK_READ = READ_SIZE  # type: ignore[attr-defined]
                    with member:
                        _check_fits(member, info.file_size, where)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error,
            NotImplementedError) as exc:
        raise ProductFormatError(f"{label} is not a valid zip file: {exc}") from None
    if not fits_members:
        raise ProductFormatError(f"{label} is a zip without FITS files")
    if whole:
        _check_zip_end(fileobj, label)


def _check_zip_end(fileobj: BinaryIO, label: str) -> None:
    """The zip's end record (and its comment) must be the file's last bytes."""
    size = fileobj.seek(0, os.SEEK_END)
    start = max(0, size - (22 + 0xFFFF))
    fileobj.seek(start)
    tail = fileobj.read()
    at = tail.rfind(_END_OF_ZIP)
    comment = int.from_bytes(tail[at + 20:at + 22], 'little') if at >= 0 else 0
    if at < 0 or at + 22 + comment != len(tail):
        raise ProductFormatError(f"{label} has {len(tail) - (at + 22 + comment)} bytes after "
                                 f"the end of the zip: not a whole product")


def check_product(path: str | os.PathLike, file_type: str | None = None, *,
                  whole: bool = False) -> str:
    """Check that the file at ``path`` is a complete FITS file or zip of FITS files.

    A zip is streamed, in bounded memory (`READ_SIZE` at a time), and refused
    as a zip bomb beyond the bounds of `zip_members`.

    Parameters
    ----------
    path : str or path-like
        The file to check.
    file_type : {'fits', 'zip'}, optional
        What the file must be; by default whatever its first bytes say.
    whole : bool, optional
        Nothing may follow the product: no byte after the FITS file's last
        HDU, or after the zip's end record (for a download whose length no
        one announced).

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
            _check_fits(fileobj, os.fstat(fileobj.fileno()).st_size, label, whole=whole)
        else:
            _check_zip(fileobj, label, whole=whole)
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
    for info in zip_members(archive, label):
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
