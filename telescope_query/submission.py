"""Pure submission logic: from what a user types to a validated plan.

Target resolution (SkyCoord, coordinate string or name), telescope and filter
names, exposure, object name and comment, observability from the Observatorio
del Teide, and the ``objectid`` text the site expects. Nothing here talks to
telescope.org; the only network access is astropy's name resolver, and only
when the target is a name.

Limits the site enforces are not published. The ones below are this package's
choice, checked before anything is sent (PROTOCOL.md marks the site's own
limits as unknown, i.e. [assumed]):

- exposure: more than 0 and at most `max_exposure` (the site's limit, 180 s);
- object name: 1 to `MAX_NAME_LENGTH` (64) printable characters;
- comment: at most `MAX_COMMENT_LENGTH` (255) characters, no control characters
  other than tab and newline.
"""
from __future__ import annotations

import math
import numbers
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import astropy.units as u
from astropy.coordinates import ICRS, Angle, SkyCoord
from astropy.utils.exceptions import AstropyUserWarning

from . import conf
from .protocol import site

__all__ = ['TELESCOPES', 'FILTERS', 'max_exposure', 'MAX_NAME_LENGTH',
           'MAX_COMMENT_LENGTH', 'MIN_ALTITUDE', 'SITE_LATITUDE',
           'LowAltitudeWarning', 'SubmissionPlan', 'plan_submission',
           'resolve_target', 'parse_coordinates', 'normalize_telescope',
           'normalize_filter', 'exposure_to_ms', 'looks_like_coordinates', 'check_name',
           'check_target_name', 'check_comment',
           'max_altitude', 'check_observable', 'format_objectid', 'same_name',
           'DEFAULT_EXPOSURE']

# The telescopes that take requests, by name -> id [seen]; the retired cameras of
# the Bradford Robotic Telescope only appear on old jobs.
TELESCOPES = {name: site.TELESCOPE_IDS[name.lower()] for name in site.IN_SERVICE}
RETIRED_TELESCOPES = {name.upper(): number for name, number in site.TELESCOPE_IDS.items()
                      if name.upper() not in TELESCOPES}

# The filters each telescope takes: its own names of the four standard filters
# (translated from the other telescope's names), then the other filters.
FILTERS = {name: site.STANDARD_FILTERS[name] + site.OTHER_FILTERS for name in TELESCOPES}
# Lower-case spelling of a standard filter -> its position (both schemes).
_FILTER_INDEX = {name.lower(): index for names in site.STANDARD_FILTERS.values()
                 for index, name in enumerate(names)}
_FILTER_INDEX['color'] = 0  # American spelling of PIRATE's 'Colour'


def max_exposure(telescope: str) -> u.Quantity:
    """The longest exposure ``telescope`` takes: COAST's is 180 s [seen]; PIRATE's
    is not known, ``conf.pirate_max_exposure`` (180 s until known)."""
    if telescope == 'PIRATE':
        return float(conf.pirate_max_exposure) * u.s
    return site.MAX_EXPOSURE_S[telescope] * u.s


DEFAULT_EXPOSURE = 60 * u.s
MAX_NAME_LENGTH = 64       # our choice; site limit [assumed]
MAX_COMMENT_LENGTH = 255   # our choice; site limit [assumed]

# Observatorio del Teide (PROTOCOL.md section 2).
SITE_LATITUDE = site.SITE_LATITUDE
MIN_ALTITUDE = 30.0        # degrees: below this all night, warn


class LowAltitudeWarning(AstropyUserWarning):
    """The target never gets high above the horizon at the Observatorio del Teide."""


@dataclass(frozen=True)
class SubmissionPlan:
    """A validated observation request, ready to be turned into a payload.

    Attributes
    ----------
    coord : `~astropy.coordinates.SkyCoord`
        The target, ICRS.
    object_id : str
        ``coord`` as the site writes it (``'00:42:58.58 +36:28:18.97'``).
    object_name : str
        Name shown in the request listing.
    telescope : str
        ``'COAST'`` or ``'PIRATE'``.
    telescope_id : int
        The site's telescope id (6 or 7).
    filter : str
        Filter name in the telescope's own scheme.
    exposure_ms : int
        Exposure in milliseconds.
    dark_frame : bool
        Whether a dark frame is asked for.
    comment : str
        User comment stored with the request.
    max_altitude : float
        Highest altitude in degrees the target reaches at the site.
    """

    coord: SkyCoord
    object_id: str
    object_name: str
    telescope: str
    telescope_id: int
    filter: str
    exposure_ms: int
    dark_frame: bool
    comment: str
    max_altitude: float

    @property
    def exposure(self) -> u.Quantity:
        """Exposure as a Quantity in seconds."""
        return (self.exposure_ms / 1000) * u.s


# --- Telescope, filter, exposure, texts ---------------------------------------

def normalize_telescope(telescope: Any) -> tuple[str, int]:
    """Return ``(name, id)`` of a telescope given by name, in any case.

    Raises
    ------
    TypeError, ValueError
        Naming the parameter ``telescope`` and the telescopes allowed.
    """
    allowed = ' or '.join(TELESCOPES)
    if not isinstance(telescope, str):
        raise TypeError(f"telescope must be a name ({allowed}), "
                        f"got {type(telescope).__name__} {telescope!r}")
    key = telescope.strip().upper()
    if key in TELESCOPES:
        return key, TELESCOPES[key]
    if key in RETIRED_TELESCOPES:
        raise ValueError(f"telescope {telescope!r} is a retired camera of the Bradford "
                         f"Robotic Telescope and takes no new requests; use {allowed}")
    raise ValueError(f"telescope must be {allowed} (any case), got {telescope!r}")


def normalize_filter(filter: Any, telescope: str = 'COAST') -> str:
    """Return the filter's name in ``telescope``'s own naming scheme.

    The four standard filters are accepted in either scheme, in any case:
    COAST ``BVR``/``B``/``V``/``R`` and PIRATE ``Colour``/``Blue``/``Green``/
    ``Red`` name the same four [seen]. The other filters in use [seen]
    (``Clear``, ``HAlpha``, ``Luminance`` and the narrowband three-colour
    ``SHO``) are taken on either telescope, spelled as the views show them;
    that the basket takes these spellings is [assumed].

    Raises
    ------
    TypeError, ValueError
        Naming the parameter ``filter`` and the filters allowed.
    """
    telescope, _ = normalize_telescope(telescope)
    allowed = ', '.join(FILTERS[telescope])
    other = [name for scope, names in site.STANDARD_FILTERS.items() if scope != telescope
             for name in names]
    if not isinstance(filter, str):
        raise TypeError(f"filter must be a filter name ({allowed}), "
                        f"got {type(filter).__name__} {filter!r}")
    wanted = filter.strip().lower()
    index = _FILTER_INDEX.get(wanted)
    if index is not None:
        return site.STANDARD_FILTERS[telescope][index]
    for name in site.OTHER_FILTERS:
        if name.lower() == wanted:
            return name
    raise ValueError(f"filter {filter!r} is not a filter of {telescope}: use one of "
                     f"{allowed} (or the same filters as {', '.join(other)})")


def exposure_to_ms(exposure: Any, telescope: str = 'COAST') -> int:
    """Exposure (Quantity of time, or a number of seconds) in whole milliseconds.

    Raises
    ------
    TypeError, ValueError
        Naming the parameter ``exposure``: it must be a positive, finite time of
        at most `max_exposure` of the telescope.
    """
    telescope, _ = normalize_telescope(telescope)
    limit = max_exposure(telescope)
    allowed = f"a positive time of at most {limit:g} on {telescope}, as a Quantity or seconds"
    if isinstance(exposure, (bool, np.bool_)) or not isinstance(
            exposure, (u.Quantity, numbers.Real)):
        raise TypeError(f"exposure must be {allowed}; got {type(exposure).__name__} "
                        f"{exposure!r}")
    if isinstance(exposure, u.Quantity):
        if not exposure.isscalar:
            raise ValueError(f"exposure must be one value, {allowed}; got {exposure!r}")
        try:
            seconds = exposure.to_value(u.s)
        except u.UnitConversionError:
            raise ValueError(f"exposure must be {allowed}; {exposure} is not a "
                             f"time") from None
    else:
        seconds = float(exposure)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"exposure must be {allowed}; got {exposure!r}")
    milliseconds = round(seconds * 1000)
    if milliseconds < 1:
        raise ValueError(f"exposure must be {allowed} (at least 1 ms); got {exposure!r}")
    if milliseconds > limit.to_value(u.ms):
        raise ValueError(f"exposure {seconds:g} s is too long: must be {allowed}")
    return int(milliseconds)


def _check_text(value: Any, parameter: str, limit: int, *, allow_empty: bool,
                allowed_controls: str = '') -> str:
    if not isinstance(value, str):
        raise TypeError(f"{parameter} must be text (str), got "
                        f"{type(value).__name__} {value!r}")
    text = value.strip()
    if not text and not allow_empty:
        raise ValueError(f"{parameter} must not be empty")
    if len(text) > limit:
        raise ValueError(f"{parameter} must be at most {limit} characters, "
                         f"got {len(text)}")
    bad = [c for c in text if not c.isprintable() and c not in allowed_controls]
    if bad:
        raise ValueError(f"{parameter} must be printable text; it contains "
                         f"{''.join(bad)!r}")
    return text


def check_name(name: Any) -> str:
    """Object name: text, 1 to `MAX_NAME_LENGTH` printable characters (stripped)."""
    return _check_text(name, 'name', MAX_NAME_LENGTH, allow_empty=False)


def check_comment(comment: Any) -> str:
    """Comment: text of at most `MAX_COMMENT_LENGTH` characters (may be empty)."""
    return _check_text(comment, 'comment', MAX_COMMENT_LENGTH, allow_empty=True,
                       allowed_controls='\t\n')


def same_name(a: str, b: str) -> bool:
    """Names equal up to case and white space (``'SS Cyg'`` == ``'ss  cyg'``)."""
    return _name_key(a) == _name_key(b)


def _name_key(name: str) -> str:
    return ''.join(str(name).split()).casefold()


# --- Targets -------------------------------------------------------------------

# A coordinate string starts with a digit or a sign followed by a digit; a name
# ('SS Cyg', 'M 31', 'V1223 Sgr', '3C 273') never consists only of these characters.
_COORD_START = re.compile(r'^\s*[+-]?\d')
_COORD_CHARS = re.compile(r'''^[\d\s:+\-.,hmsd°'"′″]+$''')
_PLAIN_NUMBER = re.compile(r'^[+-]?(\d+\.?\d*|\.\d+)$')

_COORD_EXAMPLES = ("'20:42:59.6 +43:35:10' (RA hours, Dec degrees), "
                   "'20h42m59.6s +43d35m10s' or '310.75 43.58' (degrees)")


def looks_like_coordinates(text: str) -> bool:
    """Whether ``text`` is meant as coordinates (digits, signs, separators) rather than a name."""
    return bool(_COORD_START.match(text) and _COORD_CHARS.match(text))


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
    try:
        with warnings.catch_warnings():
            # astropy only warns about a seconds field of 60: refuse it instead.
            warnings.simplefilter('error')
            ra = Angle(ra_text, unit=ra_unit)
            dec = Angle(dec_text, unit=u.deg)
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
        return check_name(text)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"target: as a name, its {exc} (it becomes the request's "
                        f"object name)") from None


# --- Observability from the Observatorio del Teide -----------------------------

def max_altitude(dec_deg: float, latitude: float = SITE_LATITUDE) -> float:
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
                         f"Observatorio del Teide (latitude {SITE_LATITUDE:+.2f}°): "
                         f"targets must be north of Dec {SITE_LATITUDE - 90:+.1f}°")
    if altitude < MIN_ALTITUDE:
        warnings.warn(f"target at Dec {dec:+.2f}° never gets higher than {altitude:.1f}° "
                      f"above the horizon at the Observatorio del Teide (below "
                      f"{MIN_ALTITUDE:.0f}°): images will suffer from airmass",
                      LowAltitudeWarning, stacklevel=3)
    return altitude


# --- The site's coordinate text ------------------------------------------------

def _round_half_up(value: float) -> int:
    # A tiny allowance so that 59.995 s, which floats store as 59.99499..., still
    # rounds up as written: far below the 0.01 s precision of the text.
    return math.floor(value + 0.5 + 1e-6)


def format_objectid(coord: SkyCoord) -> str:
    """Coordinates as the site writes them: ``'HH:MM:SS.ss +DD:MM:SS.ss'``.

    RA in hours and Dec in degrees, colon separated, zero padded, two decimals,
    Dec always signed. Rounding carries into minutes, hours and degrees
    (``59.995`` seconds becomes the next minute, RA 24h wraps to 00h).
    """
    centi_ra = _round_half_up(float(coord.ra.hour) * 360000) % (24 * 360000)
    ra_h, rest = divmod(centi_ra, 360000)
    ra_m, rest = divmod(rest, 6000)
    ra_s, ra_c = divmod(rest, 100)
    dec = float(coord.dec.deg)
    centi_dec = min(_round_half_up(abs(dec) * 360000), 90 * 360000)
    sign = '-' if dec < 0 and centi_dec > 0 else '+'
    dec_d, rest = divmod(centi_dec, 360000)
    dec_m, rest = divmod(rest, 6000)
    dec_s, dec_c = divmod(rest, 100)
    return (f"{ra_h:02d}:{ra_m:02d}:{ra_s:02d}.{ra_c:02d} "
            f"{sign}{dec_d:02d}:{dec_m:02d}:{dec_s:02d}.{dec_c:02d}")


# --- The whole plan ------------------------------------------------------------

def plan_submission(target: Any, *, exposure: Any = DEFAULT_EXPOSURE,
                    telescope: Any = 'COAST', filter: Any = 'BVR',
                    dark_frame: Any = True, name: Any = None,
                    comment: Any = '') -> SubmissionPlan:
    """Validate everything about one request; nothing is sent.

    Cheap checks (telescope, filter, exposure, name, comment, dark frame) run
    before the target is resolved, so bad input never reaches the name resolver.

    Parameters
    ----------
    target : `~astropy.coordinates.SkyCoord` or str
        Coordinates, a coordinate string, or a name (resolved by astropy).
    exposure : `~astropy.units.Quantity` or float
        Exposure time; a plain number is seconds.
    telescope : str
        ``'COAST'`` or ``'PIRATE'`` (any case).
    filter : str
        A filter in either naming scheme; translated to the telescope's own.
    dark_frame : bool
        Ask for a dark frame.
    name : str, optional
        Object name; defaults to the target's name, or to its coordinates.
    comment : str
        Comment stored with the request.

    Returns
    -------
    SubmissionPlan

    Raises
    ------
    TypeError, ValueError
        Naming the parameter at fault and what is allowed.

    Warns
    -----
    LowAltitudeWarning
        When the target never gets above 30° at the site.
    """
    telescope_name, telescope_id = normalize_telescope(telescope)
    filter_name = normalize_filter(filter, telescope_name)
    exposure_ms = exposure_to_ms(exposure, telescope_name)
    if not isinstance(dark_frame, (bool, np.bool_)):
        raise TypeError(f"dark_frame must be True or False, got {dark_frame!r}")
    object_name = None if name is None else check_name(name)
    comment_text = check_comment(comment)
    coord, resolved_name = resolve_target(target)
    altitude = check_observable(coord)
    object_id = format_objectid(coord)
    if object_name is None:
        object_name = resolved_name or object_id
    return SubmissionPlan(coord=coord, object_id=object_id, object_name=object_name,
                          telescope=telescope_name, telescope_id=telescope_id,
                          filter=filter_name, exposure_ms=exposure_ms,
                          dark_frame=bool(dark_frame), comment=comment_text,
                          max_altitude=altitude)
