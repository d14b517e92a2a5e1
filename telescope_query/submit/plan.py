"""The plan of one request: every argument checked, nothing sent.

`plan_submission` checks the telescope, filter, exposure, name and comment
(`telescope_query.arguments`) before it resolves the target
(`telescope_query.submit.target`), and returns a `SubmissionPlan`: what the
basket or the form flow sends. Pure but for the name resolver.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import astropy.units as u
from astropy.coordinates import SkyCoord

from .. import arguments, conf
from ..protocol import site
from .target import check_observable, format_objectid, resolve_target

__all__ = ['DEFAULT_EXPOSURE', 'SubmissionPlan', 'plan_submission', 'max_exposure',
           'exposure_to_ms']

DEFAULT_EXPOSURE = 60 * u.s


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


# --- Exposure ------------------------------------------------------------------

def max_exposure(telescope: str) -> u.Quantity:
    """The longest exposure ``telescope`` takes: COAST's is 180 s [seen]; PIRATE's
    is not known, ``conf.pirate_max_exposure`` (180 s until known)."""
    if telescope == 'PIRATE':
        return float(conf.pirate_max_exposure) * u.s
    return site.MAX_EXPOSURE_S[telescope] * u.s


def exposure_to_ms(exposure: Any, telescope: str = 'COAST', *, name: str = 'exposure',
                   unit: u.UnitBase = u.s) -> int:
    """An exposure (a Quantity of time, or a number of ``unit``) on ``telescope``, in
    milliseconds; a message names the parameter ``name``."""
    telescope_name = arguments.telescope(telescope)
    return arguments.exposure_ms(exposure, max_exposure(telescope_name), telescope_name,
                                 name, unit)


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
    telescope_name = arguments.telescope(telescope)
    telescope_id = site.TELESCOPE_IDS[telescope_name.lower()]
    filter_name = arguments.filter_name(filter, telescope_name)
    exposure_ms = exposure_to_ms(exposure, telescope_name)
    arguments.check_flag(dark_frame, 'dark_frame')
    object_name = None if name is None else arguments.object_name(name)
    comment_text = arguments.comment(comment)
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
