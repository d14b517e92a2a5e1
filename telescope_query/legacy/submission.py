"""The original library's submission calls, as thin wrappers.

``submit_job_api`` (the JSON request basket) and ``submit_RADEC_job`` (the
ticketed ``request-constructor.php`` forms) keep their documented arguments:
``obj`` is a `~astropy.coordinates.SkyCoord` or a coordinate string, the
exposure is in **milliseconds**, ``tele`` and ``filt`` are names. They return
``(True, request_id)`` or ``(False, status)`` with the server's status word.

``submit_variable_star`` is the helper the original batch workflow
(``submit_batch.py``) used to put variable stars in the queue by name: it
resolves the name with astropy and takes the exposure in **seconds**. The
original spelling ``submitVarStar`` is kept as an alias.

Unlike the original, bad arguments (an unknown telescope, a filter it does
not have, an exposure out of range, a target that never rises) raise
`ValueError` / `TypeError` before anything is sent, instead of being replaced
by defaults or sent as they are; filter names are translated between the
COAST and PIRATE schemes, as the original meant to.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, cast

import astropy.units as u

from .. import arguments
from ..contract import Client
from ..exceptions import SubmissionError
from ..submit import form, send
from ..submit.plan import SubmissionPlan, exposure_to_ms, plan_submission

__all__ = ['SubmissionLegacy']

if TYPE_CHECKING:       # a mixin of telescope_query.legacy.Telescope, over TelescopeClass
    from ..core import TelescopeClass as _Base
else:
    _Base = object


class SubmissionLegacy(_Base):
    """Submission methods of the original ``Telescope`` class.

    Mixed into `telescope_query.legacy.Telescope`, a `TelescopeClass`: ``self``
    is the client the submission modules take.
    """

    def _legacy_plan(self, obj: Any, exposure: Any, tele: Any, filt: Any, darkframe: Any,
                     name: Any, comment: Any) -> SubmissionPlan:
        if isinstance(exposure, u.Quantity):
            exposure_time = exposure
        elif isinstance(exposure, numbers.Real) and not isinstance(exposure, bool):
            # The original took milliseconds: a message gives the range in them.
            exposure_to_ms(exposure, arguments.telescope(tele), unit=u.ms)
            exposure_time = exposure * u.ms
        else:
            raise TypeError(f"exposure must be a number of milliseconds (like 30000), got "
                            f"{type(exposure).__name__} {exposure!r}")
        return plan_submission(obj, exposure=exposure_time, telescope=tele,
                               filter=filt, dark_frame=bool(darkframe),
                               name=name, comment=comment)

    def submit_job_api(self, obj: Any, exposure: Any = 30000, tele: str = 'COAST',
                       filt: str = 'BVR', darkframe: bool = True, name: str = 'RaDec object',
                       comment: str = 'AutoSubmit') -> tuple[bool, Any]:
        """Submit a request through the JSON request basket.

        Parameters
        ----------
        obj : `~astropy.coordinates.SkyCoord` or str
            The target (a coordinate string such as ``'20:42:59.6 +43:35:10'``
            or a name is resolved as in `~telescope_query.core.TelescopeClass.submit`).
        exposure : int
            Milliseconds (``30000`` = 30 s).
        tele : str
            ``'COAST'`` or ``'PIRATE'``.
        filt : str
            Filter name, either telescope's scheme (translated).
        darkframe : bool
            Ask for a dark frame.
        name, comment : str
            Object name and comment shown with the request.

        Returns
        -------
        tuple
            ``(True, request_id)``, or ``(False, status)`` when the site refused
            (``status`` is its word, e.g. ``'ERR_BAD_EXPOSURE'``) or the outcome
            stayed unknown (``'AMBIGUOUS'``).
        """
        plan = self._legacy_plan(obj, exposure, tele, filt, darkframe, name, comment)
        try:
            return True, send.submit_plan(cast(Client, self), plan)
        except SubmissionError as error:
            return False, error.status or str(error)

    def submit_RADEC_job(self, obj: Any, exposure: Any = 30000, tele: str = 'COAST',
                         filt: str = 'BVR', darkframe: bool = True,
                         name: str = 'RaDec object',
                         comment: str = 'AutoSubmit') -> tuple[bool, Any]:
        """Submit a request through the ticketed ``request-constructor.php`` forms.

        The older multi-step path of PROTOCOL.md section 3; the arguments are
        those of `submit_job_api`. The original returned the last HTTP
        response; this returns ``(True, request_id)`` or ``(False, status)``
        like `submit_job_api`, the status being the form's error message
        when it shows one, or ``'AMBIGUOUS'`` when the last step's answer was
        lost and the queue does not show the request (it is not sent again:
        look at the queue before submitting it again).
        """
        plan = self._legacy_plan(obj, exposure, tele, filt, darkframe, name, comment)
        try:
            return True, form.submit_form(cast(Client, self), plan)
        except SubmissionError as error:
            return False, error.status or str(error)

    def submit_variable_star(self, name: str, expos: float = 90, filt: str = 'BVR',
                             comm: str = '', tele: str = 'COAST') -> tuple[bool, Any]:
        """Submit a variable star by name: the original batch workflow's helper.

        The name is resolved with astropy (``SkyCoord.from_name``; offline, a
        `ValueError` says to pass coordinates) and used as the object name.

        Parameters
        ----------
        name : str
            The star's name, e.g. ``'SS Cyg'``.
        expos : float
            Exposure in **seconds** (the original's unit for this helper).
        filt, tele : str
            Filter and telescope, as in `submit_job_api`.
        comm : str
            Comment.

        Returns
        -------
        tuple
            As `submit_job_api`: ``(True, request_id)`` or ``(False, status)``.
        """
        if isinstance(expos, bool) or not isinstance(expos, numbers.Real):
            raise TypeError(f"expos must be a number of seconds, got {expos!r}")
        exposure_to_ms(expos, arguments.telescope(tele), name='expos')
        return self.submit_job_api(name, exposure=expos * 1000, tele=tele, filt=filt,
                                   name=name, comment=comm)

    #: The original spelling (``scope.submitVarStar(...)`` in ``submit_batch.py``).
    submitVarStar = submit_variable_star
