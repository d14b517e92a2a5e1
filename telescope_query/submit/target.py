"""The target of a request: where it is, whether it rises, how the site writes it.

What a user gives (a SkyCoord, a coordinate string or a name) becomes one ICRS
position; a target that never rises at the Observatorio del Teide is refused,
one that stays low warns; ``format_objectid`` writes the position as the site
does. Pure but for astropy's name resolver, asked only for a name.
"""
from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import astropy.units as u
from astropy.coordinates import ICRS, Angle, SkyCoord
from astropy.utils.exceptions import AstropyUserWarning

from .. import arguments
from ..protocol import objectid
from ..protocol import site

__all__ = ['LowAltitudeWarning', 'MIN_ALTITUDE', 'resolve_target', 'parse_coordinates',
           'looks_like_coordinates', 'check_target_name', 'max_altitude',
           'check_observable', 'format_objectid']

#: Degrees: a target that never gets higher than this warns.
MIN_ALTITUDE = 30.0


class LowAltitudeWarning(AstropyUserWarning):
    """The target never gets high above the horizon at the Observatorio del Teide."""


# --- What the user gives ------------------------------------------------------

# A coordinate string starts with a digit or a sign followed by a digit; a name
# ('SS Cyg', 'M 31', 'V1223 Sgr', '3C 273') never consists only of these characters.
_COORD_START = re.compile(r'^\s*[+-]?\d')
_COORD_CHARS = re.compile(r'''^[\d\s:+\-.,hmsd°'"′″]+$''')
_PLAIN_NUMBER = re.compile(r'^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$')
#: The numbers of a sexagesimal field: hours or degrees, minutes, seconds.
_NUMBER_FIELD = re.compile(r'\d+(?:\.\d*)?|\.\d+')

_COORD_EXAMPLES = ("'20:42:59.6 +43:35:10' (RA hours, Dec degrees), "
                   "'20h42m59.6s +43d35m10s' or '310.75 43.58' (degrees)")


def looks_like_coordinates(text: str) -> bool:
    """Whether ``text`` is meant as coordinates rather than a name: digits, signs and
    separators, or two numbers as Python writes them (``'1e-05 10'``, ``'nan 10'``)."""
    if _COORD_START.match(text) and _COORD_CHARS.match(text):
        return True
    parts = text.replace(',', ' ').split()
    return len(parts) == 2 and all(_is_number(part) for part in parts)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _refuse_sixty(text: str, ra_text: str, dec_text: str) -> None:
    """Refuse a minutes or seconds field of 60 or more, which astropy only warns
    about. Checked here rather than by turning astropy's warning into an error:
    the warning filters are the whole process's, and another thread's warning
    (a submission's look-ahead) would be raised in that thread as an exception.
    """
    for part in (ra_text, dec_text):
        fields = _NUMBER_FIELD.findall(part)
        if any(float(field) >= 60 for field in fields[1:3]):
            raise ValueError(f"target {text!r} could not be read as coordinates "
                             f"(minutes and seconds must be below 60, got {part!r}); "
                             f"use e.g. {_COORD_EXAMPLES}")


def parse_coordinates(text: str) -> SkyCoord:
    """Parse a coordinate string (RA hours sexagesimal, or two decimal degrees).

    Accepted forms: ``'20:42:59.6 +43:35:10'``, ``'20 42 59.6 +43 35 10'``,
    ``'20h42m59.6s +43d35m10s'`` (RA in hours, Dec in degrees) and
    ``'310.75 43.58'`` (both in decimal degrees). A comma may separate RA and Dec.

    Raises
    ------
    ValueError
        Naming the parameter ``target``, when the text cannot be read or a
        value is out of range (RA 0-24 h or 0-360°, Dec -90..+90°).
    """
    parts = text.replace(',', ' ').split()
    if len(parts) == 6:
        ra_text, dec_text = ' '.join(parts[:3]), ' '.join(parts[3:])
        sexagesimal = True
    elif len(parts) == 2:
        ra_text, dec_text = parts
        plain = [bool(_PLAIN_NUMBER.match(p)) for p in parts]
        if all(plain):
            sexagesimal = False
        elif not any(plain):
            sexagesimal = True
        else:
            raise ValueError(f"target {text!r}: give RA and Dec both sexagesimal or both "
                             f"in decimal degrees, e.g. {_COORD_EXAMPLES}")
    else:
        raise ValueError(f"target {text!r} is not a pair of coordinates; use e.g. "
                         f"{_COORD_EXAMPLES}")
    ra_unit = u.hourangle if sexagesimal else u.deg
    if sexagesimal:
        _refuse_sixty(text, ra_text, dec_text)
    try:
        if sexagesimal:
            ra, dec = Angle(ra_text, unit=ra_unit), Angle(dec_text, unit=u.deg)
        else:       # as Python reads numbers: astropy's parser refuses '1e1'
            ra, dec = Angle(float(ra_text), unit=u.deg), Angle(float(dec_text), unit=u.deg)
    except Exception as exc:  # astropy raises several kinds for bad text
        raise ValueError(f"target {text!r} could not be read as coordinates ({exc}); "
                         f"use e.g. {_COORD_EXAMPLES}") from None
    if ra_text.lstrip().startswith('-'):
        raise ValueError(f"target {text!r}: RA must not be negative")
    ra_limit = 24 * u.hourangle if sexagesimal else 360 * u.deg
    if not 0 <= ra.to_value(ra_limit.unit) < ra_limit.value:
        raise ValueError(f"target {text!r}: RA must be in [0, {ra_limit:g}), got {ra}")
    if not -90 <= dec.deg <= 90:
        raise ValueError(f"target {text!r}: Dec must be in [-90, +90] degrees, got {dec}")
    return SkyCoord(ra=ra, dec=dec, frame='icrs')


def _resolve_name(name: str) -> SkyCoord:
    """Resolve a name with astropy's resolver (Sesame); offline is a clear ValueError."""
    from astropy.coordinates.name_resolve import NameResolveError
    try:
        # cache=False: nothing lands in astropy's download cache, and an unknown
        # name is asked again next time rather than remembered.
        return SkyCoord.from_name(name, cache=False)
    except NameResolveError as exc:
        raise ValueError(
            f"target {name!r} could not be resolved to coordinates by astropy's name "
            f"resolver (no network, or an unknown name): pass coordinates instead, "
            f"e.g. a SkyCoord or {_COORD_EXAMPLES}. Resolver said: {' '.join(str(exc).split())}"
        ) from None
    except OSError as exc:  # network trouble not wrapped by astropy
        raise ValueError(
            f"target {name!r} could not be resolved (network error: {exc}): pass "
            f"coordinates instead, e.g. a SkyCoord or {_COORD_EXAMPLES}") from None


def resolve_target(target: Any) -> tuple[SkyCoord, str | None]:
    """Turn a target into ICRS coordinates.

    Parameters
    ----------
    target : `~astropy.coordinates.SkyCoord` or str
        Coordinates, a coordinate string (see `parse_coordinates`) or an object
        name. Only a name is sent to astropy's name resolver (which needs the
        network).

    Returns
    -------
    coord : `~astropy.coordinates.SkyCoord`
        One ICRS position.
    name : str or None
        The name when the target was a name, else None.

    Raises
    ------
    TypeError, ValueError
        Naming the parameter ``target``.
    """
    if isinstance(target, SkyCoord):
        if not target.isscalar:
            raise ValueError(f"target must be one position; got a SkyCoord of shape "
                             f"{target.shape} (submit them one by one or use "
                             f"submit_missing)")
        try:
            coord = target.transform_to(ICRS())
        except Exception as exc:
            raise ValueError(f"target could not be converted to ICRS: {exc}") from None
        if not (np.isfinite(coord.ra.deg) and np.isfinite(coord.dec.deg)):
            raise ValueError(f"target has no finite coordinates: {target!r}")
        return SkyCoord(ra=coord.ra, dec=coord.dec, frame='icrs'), None
    if not isinstance(target, str):
        raise TypeError(f"target must be a SkyCoord, a coordinate string such as "
                        f"{_COORD_EXAMPLES}, or an object name; got "
                        f"{type(target).__name__} {target!r}")
    text = target.strip()
    if not text:
        raise ValueError("target must not be empty: give a SkyCoord, coordinates or a name")
    if looks_like_coordinates(text):
        return parse_coordinates(text), None
    check_target_name(text)
    return _resolve_name(text), text


def check_target_name(text: Any) -> str:
    """A target given by name: it must also be usable as the request's object name.

    Raises
    ------
    TypeError, ValueError
        Naming the parameter ``target``.
    """
    try:
        return arguments.object_name(text)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"target: as a name, its {exc} (it becomes the request's "
                        f"object name)") from None


# --- Observability from the Observatorio del Teide -----------------------------

def max_altitude(dec_deg: float, latitude: float = site.SITE_LATITUDE) -> float:
    """Highest altitude (degrees) reached at upper culmination: ``90 - |lat - dec|``.

    Pure geometry: no refraction, no horizon dip, no time dependence.
    """
    return 90.0 - abs(latitude - dec_deg)


def check_observable(coord: SkyCoord) -> float:
    """Refuse a target that never rises at the site; warn when it stays low.

    Returns
    -------
    float
        The target's maximum altitude in degrees.

    Raises
    ------
    ValueError
        When the target never rises above the horizon (Dec below about -61.7°).

    Warns
    -----
    LowAltitudeWarning
        When it never gets above `MIN_ALTITUDE` (30°).
    """
    dec = float(coord.dec.deg)
    altitude = max_altitude(dec)
    if altitude <= 0:
        raise ValueError(f"target at Dec {dec:+.2f}° never rises above the horizon at the "
                         f"Observatorio del Teide (latitude {site.SITE_LATITUDE:+.2f}°): "
                         f"targets must be north of Dec {site.NEVER_RISES_BELOW_DEC:+.1f}°")
    message = low_altitude_message(dec, altitude)
    if message:
        warnings.warn(message, LowAltitudeWarning, stacklevel=3)
    return altitude


def low_altitude_message(dec: float, altitude: float) -> str:
    """The `LowAltitudeWarning`'s text for a target at ``dec`` whose highest
    altitude is ``altitude`` (degrees), or '' when it rises above `MIN_ALTITUDE`."""
    if altitude >= MIN_ALTITUDE:
        return ''
    return (f"target at Dec {dec:+.2f}° never gets higher than {altitude:.1f}° "
            f"above the horizon at the Observatorio del Teide (below "
            f"{MIN_ALTITUDE:.0f}°): images will suffer from airmass")


# --- The site's coordinate text ------------------------------------------------

def format_objectid(coord: SkyCoord) -> str:
    """Coordinates as the site writes them (`telescope_query.protocol.objectid`)."""
    return objectid.format_objectid(float(coord.ra.deg), float(coord.dec.deg))
