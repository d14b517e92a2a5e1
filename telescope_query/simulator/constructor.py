"""The legacy form-based request constructor, ``request-constructor.php``
(PROTOCOL.md section 3).

``GET ?action=new`` opens a form with a ticket; each ``POST`` carries the
ticket and an ``action``: moves between the parts (``main-go-part1``...),
saves of a part (``part1-radec-save``, ``part2-save``, ``part3-save``) and
``main-submit``.  Every answer up to the submission carries the hidden
``ticket`` input.  The limits are the basket's: the telescope's maximum
exposure (180 s on COAST and PIRATE) and the account's queue limit; a
refusal is the form again with an error (``class="error"``, wording
[assumed]).

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from . import pages
from .api import with_name_suffix
from .faults import Faults
from .model import FILTERS, MAX_EXPOSURE_MS, TELESCOPES, QueueFullError
from .sessions import Session, SessionStore, Ticket
from .values import as_number, id_arg, parse_object_id
from .views import html

__all__ = ['FormConstructor']

# Actions that only show a part of the form, and the part they show.
_MOVES = {'main-go-part1': 'part1', 'part1-go-radec': 'radec',
          'main-go-part2': 'part2', 'main-go-part3': 'part3'}


class FormConstructor:
    """The form flow of one simulator.

    Parameters
    ----------
    archive : Archive
        Where submitted requests go.
    sessions : SessionStore
        The tickets of the forms live there, with their sessions.
    faults : Faults, optional
        Armed failures (``name_suffix`` acts on a submission).
    """

    def __init__(self, archive: Any, sessions: SessionStore,
                 faults: Faults | None = None) -> None:
        self.archive = archive
        self.sessions = sessions
        self.faults = faults if faults is not None else Faults()

    def handle(self, request: Request, sid: str, session: Session) -> Response:
        """One call of ``request-constructor.php`` from a logged-in session."""
        if request.method == 'GET':
            if request.args.get('action') != 'new':
                return html(pages.message('Request constructor',
                                          'Start a new request with action=new.',
                                          session.user))
            number = self.sessions.new_ticket(sid, session.user)
            return self._page(number, 'main', session.user)
        given = id_arg(request.form.get('ticket'))
        ticket = None if given is None else self.sessions.ticket(given)
        if given is None or ticket is None or ticket.sid != sid:
            return html(pages.message('Request constructor',
                                      'This request form has expired; start a new one.',
                                      session.user))
        return self._step(given, ticket, request.form)

    def _page(self, number: int, step: str, user: str, state: dict | None = None,
              error: str = '') -> Response:
        return html(pages.constructor(number, step, state or {}, user=user, error=error,
                                      telescopes=TELESCOPES, filters=FILTERS))

    def _step(self, number: int, ticket: Ticket, form: Any) -> Response:
        action = form.get('action', '')
        state, user = ticket.state, ticket.user
        if action in _MOVES:
            return self._page(number, _MOVES[action], user, state)
        saves = {'part1-radec-save': (_form_radec, 'radec'),
                 'part2-save': (_form_telescope, 'part2'),
                 'part3-save': (_form_exposure, 'part3')}
        if action in saves:
            parse, step = saves[action]
            try:
                state.update(parse(form, state))
            except ValueError as error:
                return self._page(number, step, user, state, str(error))
            return self._page(number, 'main', user, state)
        if action == 'main-submit':
            return self._submit(number, ticket)
        return self._page(number, 'main', user, state, f'Unknown action {action!r}.')

    def _submit(self, number: int, ticket: Ticket) -> Response:
        state, user = ticket.state, ticket.user
        missing = [part for part, key in (('object', 'object_id'),
                                          ('telescope', 'telescope_id'),
                                          ('exposure', 'exposure_ms'))
                   if key not in state]
        if missing:
            return self._page(number, 'main', user, state,
                              f'Still to be set: {", ".join(missing)}.')
        if state['filter_type'] not in FILTERS[state['telescope_id']]:
            return self._page(number, 'main', user, state,
                              'The filter is not one of the telescope\'s.')
        limit = MAX_EXPOSURE_MS[state['telescope_id']]
        if state['exposure_ms'] > limit:    # the telescope changed after part 3
            return self._page(number, 'main', user, state,
                              f'The exposure is over {limit} ms.')
        try:
            created = self.archive.add_request(
                user, **with_name_suffix(self.faults, ['request-constructor.php'], state))
        except QueueFullError:
            # The same limit as the basket's; the wording is [assumed].
            return self._page(number, 'main', user, state,
                              f'Your queue is full: {self.archive.queue_limit(user)} '
                              'requests are waiting. Submit again when one has been '
                              'observed.')
        self.sessions.drop_ticket(number)
        return html(pages.constructor_done(created.rid, user))


def _two_digits(form: Any, name: str, top: int, signed: bool = False) -> tuple[int, bool]:
    text = (form.get(name) or '').strip()
    negative = signed and text.startswith('-')
    if signed and text[:1] in '+-':
        text = text[1:]
    if not text.isdigit() or int(text) > top:
        raise ValueError(f'{name} must be a number from 0 to {top}, got {form.get(name)!r}')
    return int(text), negative


def _fraction(form: Any, name: str) -> str:
    text = (form.get(name) or '0').strip()
    if not text.isdigit():
        raise ValueError(f'{name} must be digits, got {text!r}')
    return text


def _form_radec(form: Any, state: dict) -> dict[str, Any]:
    """The object of the form flow: ``raHours``... ``decFract``, ``newObjectName``."""
    ra_h = _two_digits(form, 'raHours', 23)[0]
    ra_m = _two_digits(form, 'raMins', 59)[0]
    ra_s = _two_digits(form, 'raSecs', 59)[0]
    ra_f = _fraction(form, 'raFract')
    dec_d, negative = _two_digits(form, 'decDegrees', 90, signed=True)
    dec_m = _two_digits(form, 'decMins', 59)[0]
    dec_s = _two_digits(form, 'decSecs', 59)[0]
    dec_f = _fraction(form, 'decFract')
    sign = '-' if negative else '+'
    object_id = (f'{ra_h:02d}:{ra_m:02d}:{ra_s:02d}.{ra_f[:2]:0<2} '
                 f'{sign}{dec_d:02d}:{dec_m:02d}:{dec_s:02d}.{dec_f[:2]:0<2}')
    ra_deg, dec_deg = parse_object_id(object_id) or (None, None)
    if ra_deg is None:
        raise ValueError(f'not a position: {object_id}')
    return {'object_type': 'RADEC', 'object_id': object_id, 'ra_deg': ra_deg,
            'dec_deg': dec_deg,
            'object_name': (form.get('newObjectName') or '').strip() or object_id}


def _form_telescope(form: Any, state: dict) -> dict[str, Any]:
    text = (form.get('newTelescopeSelection') or '').strip()
    if not text.isdigit() or int(text) not in FILTERS:
        raise ValueError(f'unknown telescope {text!r}')
    return {'telescope_id': int(text)}


def _form_exposure(form: Any, state: dict) -> dict[str, Any]:
    telescope = state.get('telescope_id')
    if telescope is None:
        raise ValueError('choose a telescope first')
    exposure = as_number(form.get('newExposureTime'))
    if exposure is None or not 0 < exposure <= MAX_EXPOSURE_MS[telescope]:
        raise ValueError(f'exposure must be from 1 to {MAX_EXPOSURE_MS[telescope]} ms')
    filter_name = form.get('newFilterSelection', '')
    if filter_name not in FILTERS[telescope]:
        raise ValueError(f'filter {filter_name!r} is not one of {TELESCOPES[telescope]}\'s')
    return {'exposure_ms': int(round(exposure)), 'filter_type': filter_name,
            'dark_frame': form.get('newDarkFrame', '0') == '1',
            'comments': form.get('newRequestComments', '')}
