"""Quick look: a colour composite of a job's filters as a matplotlib Figure.

matplotlib is an optional dependency (the ``plot`` extra). The figure is made
with the object-oriented API (`matplotlib.figure.Figure`), so it works with any
backend, Agg included, and leaves pyplot's global state alone.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from astropy.io import fits
from astropy.visualization import make_lupton_rgb

from .. import arguments
from ..protocol import site

__all__ = ['preview', 'check_options', 'filter_planes', 'overscan_width', 'composite',
           'frame_times_label']

# Filter names of both telescopes (PROTOCOL.md section 2) and common others,
# by the colour channel they feed.
_CHANNELS = {
    'red': {'r', 'red', 'i', 'rc', 'ic', 'h-alpha', 'ha'},
    'green': {'v', 'green', 'g', 'clear', 'l', 'lum', 'luminance'},
    'blue': {'b', 'blue', 'u'},
}


def overscan_width(size: int) -> int:
    """Pixels of overscan along one axis of ``size`` pixels.

    The site's raw frames are 1536 pixels wide and their last 32 columns and
    rows are overscan [seen]. Smaller images are taken to be scaled copies:
    ``ceil(size / 48)`` pixels, i.e. 32 at 1536, 2 at 64, and at least one
    pixel for any image of 2 pixels or more
    (`telescope_query.protocol.site.overscan_width`).
    """
    return site.overscan_width(size)


def filter_planes(hdul: fits.HDUList) -> list[tuple[str, np.ndarray]]:
    """``(filter, 2-D image)`` for every plane of a cube or image extension.

    A cube's planes are named from its comma-separated ``FILTER``; an extension
    by ``EXTNAME`` (set to the filter by `~telescope_query.images.fits.open_product`)
    or its own ``FILTER``. Padding extensions and non-image HDUs are skipped.
    """
    planes: list[tuple[str, np.ndarray]] = []
    for index, hdu in enumerate(hdul):
        if not isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU)) or hdu.data is None:
            continue
        header = hdu.header
        if str(header.get('EXTNAME', '')).upper() == 'PADDING':
            continue
        data = np.asarray(hdu.data)
        if data.ndim == 3:
            names = [name.strip() for name in str(header.get('FILTER', '')).split(',')]
            if len(names) != data.shape[0] or not all(names):
                names = [f'plane {i + 1}' for i in range(data.shape[0])]
            planes.extend(zip(names, data))
        elif data.ndim == 2:
            name = (header.get('FILTER') or header.get('EXTNAME') or f'HDU {index}')
            planes.append((str(name).strip(), data))
    return planes


def _channel(name: str) -> str | None:
    lowered = name.strip().lower()
    for channel, names in _CHANNELS.items():
        if lowered in names:
            return channel
    return None


def _normalise(image: np.ndarray) -> np.ndarray:
    """The image in units of its sky noise, the sky level at 0.

    Sky level and noise are the median and the scaled median absolute
    deviation, which stars hardly move; every filter then gets the same weight.
    """
    image = image.astype(np.float32)
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        return np.zeros_like(image)
    sky = float(np.median(finite))
    noise = 1.4826 * float(np.median(np.abs(finite - sky)))
    if not noise > 0:
        noise = float(np.std(finite)) or 1.0
    return np.nan_to_num((image - sky) / noise)


def composite(hdul: fits.HDUList, *, crop_overscan: bool = True, q: float = 8.0,
              stretch: float = 20.0) -> tuple[np.ndarray, list[str]]:
    """The RGB image (uint8, rows x columns x 3) and the filters used.

    Red, green and blue come from the filters of those colours (``R``/``Red``,
    ``V``/``Green``, ``B``/``Blue``); filters of unknown colour fill the
    missing channels in order; one filter alone gives a grey image, two give
    their mean as the middle channel.
    """
    planes = filter_planes(hdul)
    if not planes:
        raise ValueError("preview: the HDUList holds no 2-D or 3-D image")
    shape = planes[0][1].shape
    planes = [(name, data) for name, data in planes if data.shape == shape]
    channels: dict[str, tuple[str, np.ndarray]] = {}
    unknown = []
    for name, data in planes:
        channel = _channel(name)
        if channel and channel not in channels:
            channels[channel] = (name, data)
        else:
            unknown.append((name, data))
    for channel in ('red', 'green', 'blue'):
        if channel not in channels and unknown:
            channels[channel] = unknown.pop(0)
    if crop_overscan:
        rows, columns = shape
        crop = (slice(0, rows - overscan_width(rows)), slice(0, columns - overscan_width(columns)))
    else:
        crop = (slice(None), slice(None))
    images = {channel: _normalise(data[crop]) for channel, (name, data) in channels.items()}
    red, green, blue = _three_channels(images)
    with np.errstate(divide='ignore', invalid='ignore'):  # astropy divides by 0 in a where()
        rgb = make_lupton_rgb(red, green, blue, minimum=0.0, stretch=stretch, Q=q)
    used = [channels[c][0] for c in ('red', 'green', 'blue') if c in channels]
    return rgb, used


def _three_channels(images: dict[str, np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Red, green and blue from one to three channels: one alone is grey; a
    missing green is the mean of red and blue; a missing red or blue is the green."""
    if len(images) == 1:
        grey = next(iter(images.values()))
        return grey, grey, grey
    green = images['green'] if 'green' in images else (images['red'] + images['blue']) / 2
    return images.get('red', green), green, images.get('blue', green)


def _celestial(hdul: fits.HDUList) -> tuple[Any, bool]:
    """The celestial WCS of the product's first image (approximate or solved), and
    whether it is the approximate one; ``(None, False)`` without one."""
    from astropy.wcs import WCS
    from .wcs import has_approximate_wcs
    for hdu in hdul:
        header = hdu.header
        if header.get('NAXIS', 0) < 2:
            continue
        if 'CTYPE1' not in header:
            return None, False
        try:
            wcs = WCS(header, naxis=2)   # a cube's celestial axes
        except Exception:  # a WCS astropy cannot read: the image without axes
            return None, False
        return (wcs, has_approximate_wcs(header)) if wcs.has_celestial else (None, False)
    return None, False


def frame_times_label(hdul: fits.HDUList, used: list[str]) -> str:
    """``'2024-11-18 UTC  R 05:35:12  V 05:38:10  B 05:41:08'``: when each filter
    shown was taken (its frame's start), in the order taken; empty when unknown."""
    from .times import frame_table
    table = frame_table(hdul)
    masked: Any = np.broadcast_to(table['start'].mask, len(table)) if len(table) else []
    shown = [(name, when) for name, when, unknown in zip(table['filter'], table['start'], masked)
             if name in used and not unknown]
    if not shown:
        return ''
    dates = sorted({when.strftime('%Y-%m-%d') for _, when in shown})
    clock = '  '.join(f"{name} {when.strftime('%H:%M:%S')}" for name, when in shown)
    return f"{' / '.join(dates)} UTC  {clock}"


def _figure_class() -> type:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("preview() needs matplotlib, an optional dependency of "
                          "telescope_query: install it with "
                          "pip install 'telescope_query[plot]' (or pip install matplotlib)"
                          ) from None
    return Figure


def check_options(*, crop_overscan: Any = True, q: Any = 8.0, stretch: Any = 20.0,
                  title: Any = None, **figure_options: Any) -> dict[str, Any]:
    """Check the options of `preview` (and that matplotlib is there) before any
    product is fetched; `TypeError`/`ValueError` naming the option.

    Returns them checked, the figure options as given.
    """
    Figure = _figure_class()
    checked = {'crop_overscan': arguments.check_flag(crop_overscan, 'crop_overscan'),
               'q': arguments.positive_number(q, 'q'),
               'stretch': arguments.positive_number(stretch, 'stretch')}
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be text or None, got {type(title).__name__}")
    try:
        Figure(**{'figsize': (6, 6), **figure_options})  # matplotlib checks them
    except (TypeError, ValueError, AttributeError) as exc:
        named = ', '.join(sorted(figure_options)) or 'figure options'
        raise (TypeError if isinstance(exc, TypeError) else ValueError)(
            f"preview's figure options ({named}) are not ones matplotlib's Figure "
            f"takes: {exc}") from None
    return {**checked, 'title': title, **figure_options}


def preview(hdul: fits.HDUList, *, crop_overscan: bool = True, q: float = 8.0,
            stretch: float = 20.0, title: str | None = None, **figure_options: Any) -> Any:
    """A colour composite of a product as a matplotlib Figure.

    Parameters
    ----------
    hdul : `~astropy.io.fits.HDUList`
        A product as `~telescope_query.core.TelescopeClass.get_images` returns
        it: a cube, or one image extension per filter.
    crop_overscan : bool, optional
        Drop the overscan strips (see `overscan_width`) along the last columns
        and rows. Processed products have none: pass False for them.
    q, stretch : float, optional
        Softening and linear range of `astropy.visualization.make_lupton_rgb`
        (an asinh stretch). Each filter is first measured in units of its sky
        noise from its sky level, so ``stretch`` is in those units: the sky is
        dark grey, faint stars show, bright ones do not burn out.
    title : str, optional
        Default: the object, job id and filters used, and on a second line
        when each filter shown was taken (UTC).
    **figure_options
        Passed to `matplotlib.figure.Figure` (``figsize``, ``dpi``...).

    Returns
    -------
    `matplotlib.figure.Figure`
        With RA/Dec axes when the product has a WCS (``add_wcs`` or
        ``solve_wcs``; the approximate one says so in the RA label), a bare
        image otherwise. Not attached to pyplot: show it in a notebook by returning it, or save
        it with ``fig.savefig(...)``.

    Raises
    ------
    ImportError
        matplotlib is not installed.
    TypeError, ValueError
        ``hdul`` is not an HDUList with images.
    """
    if not isinstance(hdul, fits.HDUList):
        raise TypeError(f"preview needs an astropy HDUList (or, through Telescope.preview, "
                        f"a job id), got {type(hdul).__name__}")
    check_options(crop_overscan=crop_overscan, q=q, stretch=stretch, title=title,
                  **figure_options)
    Figure = _figure_class()
    rgb, used = composite(hdul, crop_overscan=crop_overscan, q=q, stretch=stretch)
    figure_options.setdefault('figsize', (6, 6))
    figure = Figure(**figure_options)
    wcs, approximate = _celestial(hdul)
    if wcs is None:
        axes = figure.add_subplot()
        axes.set_axis_off()
    else:
        axes = figure.add_subplot(projection=wcs)
        axes.coords[0].set_axislabel('RA (approximate WCS)' if approximate else 'RA')
        axes.coords[1].set_axislabel('Dec')
    axes.imshow(rgb, origin='lower', interpolation='nearest')
    if title is None:
        header = hdul[0].header
        if len(hdul) > 1 and 'OBJECT' not in header:
            header = hdul[1].header
        parts = [str(header.get('OBJECT', '')).strip(),
                 f"job {header['JOBID']}" if 'JOBID' in header else '',
                 '+'.join(used)]
        title = '  '.join(part for part in parts if part)
        times = frame_times_label(hdul, used)
        if times:
            title = f'{title}\n{times}'
    axes.set_title(title)
    figure.tight_layout()
    return figure
