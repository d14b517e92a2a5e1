"""What the pipeline fetches (`Product`) and what it hands back (`Fetched`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ['Product', 'Fetched', 'FILE_NAME']

#: The file names of products (`Product.file_name`, and the original library's).
FILE_NAME = re.compile(r'^(art_)?[0-9]+(_flat)?\.(fits|zip)$')


@dataclass(frozen=True)
class Product:
    """One image product of a job: the raw cube or zip, flat-fielded or not, or the
    processed one.

    ``flat``: the frames divided by the job's flat field, which the image
    engine does when it is given the job's flat id [seen]; a product of its own
    (other bytes, other size), kept apart in the cache.
    """

    jid: int
    cube: bool = True
    processed: bool = False
    flat: bool = False

    @property
    def form(self) -> str:
        """``'cube'`` (one FITS file, a plane per filter) or ``'zip'`` (a FITS file
        per filter)."""
        return 'cube' if self.cube else 'zip'

    @property
    def file_type(self) -> str:
        """``'fits'`` or ``'zip'``: what the file is (`~telescope_query.images.fits.sniff`)."""
        return 'fits' if self.cube else 'zip'

    @property
    def file_name(self) -> str:
        """``369256.fits``, ``369256_flat.zip``, ``art_369256.zip`` (the original
        library's names, and ``_flat`` for a flat-fielded product)."""
        return (f"{'art_' if self.processed else ''}{self.jid}"
                f"{'_flat' if self.flat else ''}.{self.file_type}")

    @property
    def label(self) -> str:
        """``'cube'``, ``'zip'``, ``'flat-fielded cube'``, ``'processed zip'``..."""
        return (f"{'processed ' if self.processed else ''}"
                f"{'flat-fielded ' if self.flat else ''}{self.form}")

    def __str__(self) -> str:
        return f"the {self.label} of job {self.jid}"


@dataclass(frozen=True)
class Fetched:
    """A verified product file (its size and CRC-32); ``cached`` is True when no
    HTTP call was needed."""

    product: Product
    path: Path
    size: int
    crc: int
    cached: bool
    #: ``path`` is the user's file, where the download itself was put (``download_data``:
    #: `telescope_query.images.placing.Delivery`); the cache keeps only a record of it.
    delivered: bool = False
