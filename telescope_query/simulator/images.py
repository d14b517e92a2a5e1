"""Synthetic FITS products of the simulator's jobs (PROTOCOL.md section 4).

A job's raw product is a 3-D cube (one primary HDU, one plane per filter) or
a zip of one 2-D FITS file per filter.  Each plane shows a star field that is
the same in the sky for every job of a target (seeded from its position or
name), seen through the job's own WCS (:mod:`.optics`: recorded scale by era,
rotation and pointing offset):
Gaussian stars with a power-law brightness spread, sky background, vignetting,
a bias pedestal, photon and read noise, and overscan strips (bias and read
noise only) along the last columns and rows.  Data are 16-bit unsigned
(``BITPIX = 16``, ``BZERO = 32768``).  Planes come in the recorded order
(R, V, B) and headers carry the recorded cards and quirks: see
:mod:`.headers`.

A product asked for with a flat id (``flatid`` of the image engine) is a
product of its own: the frames divided by that flat field (one flat image
per filter, normalised to 1), so other bytes and another size; its header
records the flat (``FLATID`` and ``HISTORY``) and, for a cube, is padded by
blank cards into one more 2880-byte block, so that a cube's size differs
too (a zip's differs by its compression) [assumed: the site's flat-fielded
zip differs in size, recorded; its cube's header is not known].

Processed ("artefact-corrected", ``art_``) products are, as far as the
record tells, the flat-fielded raw frames: the same dimensions (no crop) and
the size of the raw product with its flat field [seen].  Here they are that
very product, with the job's flat (or, for a job without one, the month's
flat of its telescope and filter: [assumed]).

:class:`ProductStore` makes each product once, on first use, as a file on
disk, and hands out its path and exact size.  Rendering is pure
(:func:`render_plane`, :func:`apply_flat`, :func:`.headers.product_header`)
and tested without a server.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
from astropy.io import fits

from .model import Job, month_flat_id
from .headers import flat_header, frame_times, plane_names, product_header
from .optics import overscan_width, sky_box, to_pixels

__all__ = ['ProductStore', 'MIN_IMAGE_SIZE', 'plane_names', 'overscan_width', 'star_field',
           'render_plane', 'flat_field', 'apply_flat', 'product_header', 'flat_plane',
           'flat_header', 'product_flat', 'sky_stars']

KINDS = ('cube', 'zip')
MIN_IMAGE_SIZE = 8      # pixels: the overscan and the star field need some room
BIAS = 1000.0           # ADU pedestal, also the overscan level
READ_NOISE = 9.0        # ADU
SKY_PER_MINUTE = 450.0  # ADU per pixel per minute of exposure, V band
# Plane name -> (colour step from blue to red, throughput, relative sky).
_BANDS = {
    'B': (-1, 0.55, 0.55), 'Blue': (-1, 0.6, 0.6),
    'V': (0, 1.0, 1.0), 'Green': (0, 1.0, 0.95),
    'R': (1, 1.15, 1.4), 'Red': (1, 1.1, 1.35),
    'Clear': (0, 2.2, 2.4), 'Luminance': (0, 2.0, 2.2),
    'HAlpha': (1, 0.12, 0.08), 'Halpha': (1, 0.12, 0.08), 'SII': (1, 0.08, 0.06),
    'OIII': (-1, 0.1, 0.07),
}
_MB = 1_000_000


def _seed_of(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], 'little')


def _field_key(job: Job) -> str:
    """What makes two jobs show the same sky: the position, else the base name."""
    if job.ra_deg is not None and job.dec_deg is not None:
        return f'{job.ra_deg:.2f} {job.dec_deg:.2f}'
    return job.object_name.split('_')[0].strip().lower()


def star_field(job: Job, size: int, seed: int) -> tuple[np.ndarray, ...]:
    """Positions (pixels), V-band fluxes (ADU per minute) and colours of a field.

    A target with a position has its stars in the sky (:func:`sky_stars`),
    seen through the job's own WCS (:func:`.optics.frame_wcs`): the target's
    star lies where that WCS puts the requested position.  Without a position
    the stars are drawn in pixels, the target at the centre.
    """
    if job.ra_deg is not None and job.dec_deg is not None:
        east, north, flux, colour = sky_stars(job, size, seed)
        x, y = to_pixels(job, size, east, north)
        return x, y, flux, colour
    east, north, flux, colour = sky_stars(job, size, seed)
    box = sky_box()
    return (east / box + 0.5) * size, (north / box + 0.5) * size, flux, colour


def sky_stars(job: Job, size: int, seed: int) -> tuple[np.ndarray, ...]:
    """East and north offsets (arc seconds) from the target, V-band fluxes (ADU per
    minute) and colours of the stars of a field: the same for every job of a
    target (seeded from its position or name), in a patch a little wider than
    a full frame (:func:`.optics.sky_box`)."""
    rng = np.random.default_rng([seed, _seed_of(_field_key(job))])
    box = sky_box()
    n = max(8, round(700 * (size / 1536) ** 2))
    east = rng.uniform(-box / 2, box / 2, n)
    north = rng.uniform(-box / 2, box / 2, n)
    # Counts N(>F) ~ F**-0.75, as star counts grow ~0.3 dex per magnitude.
    flux = np.minimum(1.5e3 * rng.uniform(1e-4, 1, n) ** (-1 / 0.75), 6e6)
    colour = rng.normal(0.6, 0.4, n)
    extra = []
    if job.object_type in ('MESSIER', 'NGC'):
        # A concentrated cluster of fainter stars about the centre.
        m = max(4, n // 4)
        extra.append((rng.normal(0, box / 14, m), rng.normal(0, box / 14, m),
                      1.5e3 * rng.uniform(0.05, 1, m) ** -1.0, rng.normal(0.8, 0.3, m)))
    elif job.object_type != 'PLANET':
        # The target itself, bright, at the requested position.
        extra.append((np.zeros(1), np.zeros(1), np.array([4e5]), np.array([1.2])))
    else:
        # A planet: one very bright, slightly extended disc-like source.
        extra.append((np.zeros(1), np.zeros(1), np.array([3e6]), np.array([0.9])))
    for ex in extra:
        east, north, flux, colour = (np.concatenate([a, b])
                                     for a, b in zip((east, north, flux, colour), ex))
    return east, north, flux, colour


def _stamp(image: np.ndarray, x: np.ndarray, y: np.ndarray, flux: np.ndarray,
           sigma: float) -> None:
    """Add Gaussian stars to ``image`` (in place) by stamping small patches."""
    size = image.shape[0]
    r = max(2, math.ceil(4 * sigma))
    d = np.arange(-r, r + 1)
    px = np.floor(x).astype(np.int64)[:, None, None] + d[None, None, :]
    py = np.floor(y).astype(np.int64)[:, None, None] + d[None, :, None]
    g = np.exp(-((px + 0.5 - x[:, None, None]) ** 2 + (py + 0.5 - y[:, None, None]) ** 2)
               / (2 * sigma ** 2))
    g *= (flux / (2 * np.pi * sigma ** 2))[:, None, None]
    px, py, g = np.broadcast_arrays(px, py, g)
    inside = (px >= 0) & (px < size) & (py >= 0) & (py < size)
    flat = py[inside] * size + px[inside]
    image += np.bincount(flat, weights=g[inside], minlength=size * size).reshape(
        size, size).astype(image.dtype)


def _vignetting(size: int) -> np.ndarray:
    """The telescope's flat field: 1 at the centre, about 0.85 in the corners."""
    u = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    return (1 - 0.3 * np.add.outer(u ** 2, u ** 2)).astype(np.float32)


def render_plane(job: Job, plane: str, size: int, seed: int = 1) -> np.ndarray:
    """The raw image of one filter plane of a job, ``uint16`` of shape (size, size).

    Deterministic from ``(job, plane, size, seed)``: the stars depend on the
    target only; noise and seeing on the job.
    """
    step, throughput, sky_factor = _BANDS.get(plane, (0, 1.0, 1.0))
    minutes = max(job.exposure_ms, 1) / 60000
    rng = np.random.default_rng([seed, job.jid, _seed_of(plane)])
    x, y, flux, colour = star_field(job, size, seed)
    # Redder stars brighter in red planes; a small shift between filters.
    band_flux = flux * throughput * minutes * 10 ** (0.2 * step * (colour - 0.6))
    fwhm = rng.uniform(2.4, 4.2) * size / 1536
    sigma = max(0.7, fwhm / 2.355)
    image = np.full((size, size), SKY_PER_MINUTE * sky_factor * minutes, np.float32)
    _stamp(image, x + 0.25 * step, y - 0.15 * step, band_flux, sigma)
    if job.object_type in ('MESSIER', 'NGC'):
        # Diffuse light of the galaxy, nebula or cluster core.
        blob = size / 18
        peak = 1.2 * SKY_PER_MINUTE * throughput * minutes
        centre = (to_pixels(job, size, 0.0, 0.0) if job.ra_deg is not None
                  and job.dec_deg is not None else (size / 2, size / 2))
        _stamp(image, np.atleast_1d(centre[0]), np.atleast_1d(centre[1]),
               np.array([peak * 2 * np.pi * blob ** 2]), blob)
    image *= _vignetting(size)
    noise = rng.standard_normal((size, size), dtype=np.float32)
    raw = BIAS + image + np.sqrt(image + READ_NOISE ** 2) * noise
    ov = overscan_width(size)
    raw[:, -ov:] = BIAS + READ_NOISE * noise[:, -ov:]
    raw[-ov:, :] = BIAS + READ_NOISE * noise[-ov:, :]
    return np.clip(np.rint(raw), 0, 65535).astype(np.uint16)


def flat_plane(flat_id: int, size: int, seed: int = 1, plane: str = '') -> np.ndarray:
    """A twilight flat field: the vignetting at about 30000 ADU, with pixel response.

    ``plane`` names the filter: a flat series has one image per filter.
    """
    rng = np.random.default_rng([seed, 7919, flat_id, _seed_of(plane)])
    level = 30000 * rng.uniform(0.8, 1.1)
    response = 1 + 0.01 * rng.standard_normal((size, size), dtype=np.float32)
    flat = BIAS + level * _vignetting(size) * response
    return np.clip(np.rint(flat), 0, 65535).astype(np.uint16)


def flat_field(flat_id: int, plane: str, size: int, seed: int = 1) -> np.ndarray:
    """The flat of one filter normalised to a median of 1 (bias removed), float32."""
    flat = flat_plane(flat_id, size, seed, plane).astype(np.float32) - BIAS
    return flat / np.float32(np.median(flat))


def apply_flat(raw: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """A raw frame divided by a normalised flat field, back to ``uint16``."""
    return np.clip(np.rint(raw / flat), 0, 65535).astype(np.uint16)


def product_flat(job: Job, processed: bool, flat_id: int = 0) -> int:
    """The flat id a product is divided by (0: none).

    A raw product uses the flat id it was asked with; a processed one the
    job's flat, else ([assumed]) the month's flat of its telescope and filter.
    """
    if processed:
        return int(job.flat_id or month_flat_id(job.telescope_id, job.filter_type,
                                                 job.completion_time))
    return int(flat_id or 0)


def _one_block_more(header: fits.Header, reference: fits.Header) -> None:
    """Pad ``header`` with blank cards until it fills more 2880-byte blocks than
    ``reference``: a flat-fielded cube must not have the raw cube's size."""
    for _ in range(37):             # a block holds 36 cards
        if len(header.tostring()) > len(reference.tostring()):
            return
        header.append(fits.Card('', ''), useblanks=False, bottom=True)


class ProductStore:
    """Makes each job's products once and keeps them as files on disk.

    Parameters
    ----------
    directory : str or Path, optional
        Where to keep the files.  Default: a temporary folder that the store
        owns and :meth:`close` removes.
    image_size : int
        Width and height of the images in pixels (1536 like the site; tests
        use 32 or 64).
    product_mb : float, optional
        Pad every product to about this many megabytes (10**6 bytes), for
        benchmarks: a ``PADDING`` image extension written in chunks, so a
        large product never sits whole in memory.  A zip is stored
        uncompressed then.
    seed : int
        Seed of the star fields and noise.

    Notes
    -----
    Thread-safe: two threads asking for the same product wait for one
    rendering; different products render concurrently.
    """

    def __init__(self, directory: str | Path | None = None, *, image_size: int = 1536,
                 product_mb: float | None = None, seed: int = 1) -> None:
        if image_size < MIN_IMAGE_SIZE:
            raise ValueError(f'image_size must be at least {MIN_IMAGE_SIZE} pixels')
        self._owned = directory is None
        base = Path(tempfile.mkdtemp(prefix='telescope-sim-')) if directory is None \
            else Path(directory)
        self._base = base
        self.directory = base / f'seed{seed}-{image_size}px-{product_mb or 0}MB'
        self.directory.mkdir(parents=True, exist_ok=True)
        self.image_size = image_size
        self.product_mb = product_mb
        self.seed = seed
        self.renders = 0            # files made so far (tests count these)
        self._guard = threading.Lock()
        self._locks: dict[tuple, threading.Lock] = {}

    def __enter__(self) -> ProductStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the store's folder if it made it itself."""
        if self._owned:
            shutil.rmtree(self._base, ignore_errors=True)

    def path(self, job: Job, kind: str, processed: bool = False, flat_id: int = 0) -> Path:
        """The file of a product (made now if needed).

        ``kind`` is 'cube' or 'zip'; ``flat_id`` (raw products only) the flat
        field the frames are divided by, 0 for none: each is a product of its own.
        """
        if kind not in KINDS:
            raise ValueError(f'kind must be one of {KINDS}, not {kind!r}')
        if processed and flat_id:
            raise ValueError('a processed product takes no flat id: it uses the job\'s')
        flat = product_flat(job, processed, flat_id)
        stem = f'art_{job.jid}' if processed else (
            f'{job.jid}_flat{flat}' if flat else str(job.jid))
        name = f"{stem}.{'fits' if kind == 'cube' else 'zip'}"
        return self._once((job.jid, kind, bool(processed), flat), self.directory / name,
                          lambda tmp: self._write(job, kind, flat, tmp))

    def size(self, job: Job, kind: str, processed: bool = False, flat_id: int = 0) -> int:
        """Exact byte length of a product's file (made now if needed)."""
        return self.path(job, kind, processed, flat_id).stat().st_size

    def flat_path(self, flat_id: int) -> Path:
        """The file of flat field ``flat_id`` (made now if needed): a 2-D FITS image
        (of its V or Green filter: [assumed])."""
        flat_id = int(flat_id)

        def write(tmp: Path) -> None:
            fits.PrimaryHDU(flat_plane(flat_id, self.image_size, self.seed, 'V'),
                            header=flat_header(flat_id)).writeto(tmp, overwrite=True)

        return self._once((flat_id, 'flat', False), self.directory / f'flat_{flat_id}.fits',
                          write)

    # -- making ---------------------------------------------------------------------
    def _once(self, key: tuple, final: Path, write) -> Path:
        """Make ``final`` with ``write(tmp_path)`` unless it exists; one maker per key."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if final.exists():
                return final
            # Write under a temporary name, then rename: no reader sees half a file.
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix='.part')
            os.close(fd)
            try:
                write(Path(tmp))
                os.replace(tmp, final)
                with self._guard:
                    self.renders += 1
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return final

    def _write(self, job: Job, kind: str, flat_id: int, tmp: Path) -> None:
        if kind == 'cube':
            self._write_cube(job, flat_id, tmp)
        else:
            self._write_zip(job, flat_id, tmp)

    def _planes(self, job: Job, flat_id: int):
        """(filter, frame) of each plane, divided by flat field ``flat_id`` if not 0."""
        for name in plane_names(job):
            raw = render_plane(job, name, self.image_size, self.seed)
            if flat_id:
                raw = apply_flat(raw, flat_field(flat_id, name, self.image_size, self.seed))
            yield name, raw

    def _write_cube(self, job: Job, flat_id: int, path: Path) -> None:
        names, planes = zip(*self._planes(job, flat_id))
        data = np.stack(planes)
        hdu = fits.PrimaryHDU(data, header=product_header(job, names, flat_id))
        _allow_extensions(hdu, self.product_mb)
        if flat_id:
            raw = fits.PrimaryHDU(data, header=product_header(job, names))
            _allow_extensions(raw, self.product_mb)
            _one_block_more(hdu.header, raw.header)
        hdu.writeto(path, overwrite=True)
        del hdu, planes, data
        if self.product_mb:
            _pad(path, int(self.product_mb * _MB))

    def _write_zip(self, job: Job, flat_id: int, path: Path) -> None:
        names = plane_names(job)
        compression = zipfile.ZIP_STORED if self.product_mb else zipfile.ZIP_DEFLATED
        times = frame_times(job, names)
        with tempfile.TemporaryDirectory(dir=self.directory) as work, \
                zipfile.ZipFile(path, 'w', compression=compression, compresslevel=1,
                                allowZip64=True) as zf:
            for (name, data), when in zip(self._planes(job, flat_id), times):
                # Member names are [assumed]: never recorded.
                member = Path(work) / f'{job.jid}_{name}.fits'
                header = product_header(job, name, flat_id, times=[when])
                hdu = fits.PrimaryHDU(data, header=header)
                _allow_extensions(hdu, self.product_mb)
                hdu.writeto(member)
                if self.product_mb:
                    _pad(member, int(self.product_mb * _MB / len(names)))
                # The job's completion as the member's time, not the file's:
                # the same product is the same bytes whenever it is made.
                info = zipfile.ZipInfo.from_file(member, arcname=member.name)
                info.date_time = time.gmtime(max(job.completion_time, 315532800))[:6]
                info.compress_type = compression
                if self.product_mb:     # stored, maybe large: streamed
                    with open(member, 'rb') as source, zf.open(info, 'w') as target:
                        shutil.copyfileobj(source, target, 1 << 20)
                else:                   # level 1: five times faster than the default
                    zf.writestr(info, member.read_bytes(), compresslevel=1)
                member.unlink()


def _allow_extensions(hdu: fits.PrimaryHDU, product_mb: float | None) -> None:
    """Announce the padding extension in the primary header (``EXTEND = T``)."""
    if product_mb:
        last = f"NAXIS{hdu.header['NAXIS']}"
        hdu.header.set('EXTEND', True, 'FITS file may contain extensions', after=last)


def _pad(path: Path, target_bytes: int) -> None:
    """Append a ``PADDING`` extension so the file is about ``target_bytes`` long.

    The extension's data are written in 4 MB chunks of random bytes (which do
    not compress), so memory stays small whatever the target.
    """
    missing = target_bytes - path.stat().st_size - 2880     # less the extension header
    if missing <= 0:
        return
    header = fits.Header([('XTENSION', 'IMAGE'), ('BITPIX', 8), ('NAXIS', 1),
                          ('NAXIS1', missing), ('PCOUNT', 0), ('GCOUNT', 1),
                          ('EXTNAME', 'PADDING', 'benchmark padding, not data')])
    chunk = np.random.default_rng(missing).integers(0, 256, 4 << 20, dtype=np.uint8)
    stream = fits.StreamingHDU(str(path), header)   # not a Path: astropy takes its .name
    try:
        left = missing
        while left > 0:
            n = min(left, chunk.size)
            stream.write(chunk[:n])
            left -= n
    finally:
        stream.close()
