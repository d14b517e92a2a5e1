"""The legacy form-based request constructor: form fields and tickets, no I/O.

PROTOCOL.md section 3, ``request-constructor.php`` [seen in the predecessor
client]: ``GET ?action=new``, then one POST per step, each carrying the hidden
``<input type="hidden" name="ticket" value="N">`` of the previous answer and an
``action``. The answers up to and including ``part3-save`` carry a ticket; the
final ``main-submit`` needs only an HTTP 200. The JSON basket (``basket``) does
the same in three calls and is the preferred path.
"""
from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup

from ..exceptions import SubmissionError

__all__ = ['PAGE', 'NEW_PARAMS', 'SUBMIT_ACTION', 'extract_ticket', 'radec_fields',
           'form_steps', 'parse_submitted_rid', 'page_error']

PAGE = 'request-constructor.php'
NEW_PARAMS = {'action': 'new'}   # GET PAGE?action=new opens a new request
SUBMIT_ACTION = 'main-submit'

_RID_LINK = re.compile(r'[?&]rid=(\d+)(?:&|$)')
_OBJECT_ID = re.compile(r'^(\d{2}):(\d{2}):(\d{2})\.(\d{2}) ([+-]\d{2}):(\d{2}):(\d{2})\.(\d{2})$')


def extract_ticket(html: str, step: str = '') -> int:
    """The integer ticket of a request-constructor answer.

    Raises
    ------
    SubmissionError
        When the page has no ``<input type="hidden" name="ticket">`` with an
        integer value (``status`` is ``'NO_TICKET'``).
    """
    soup = BeautifulSoup(html, 'html.parser')
    for tag in soup.find_all('input', attrs={'name': 'ticket'}):
        if str(tag.get('type', '')).lower() != 'hidden':
            continue
        value = str(tag.get('value', '')).strip()
        if value.isascii() and value.isdigit():     # '²'.isdigit() is True
            return int(value)
    after = f" after {_STEP_WORDS.get(step, 'one of its steps')}" if step else ''
    raise SubmissionError(f"the request could not be made: the server's request form did "
                          f"not offer the next step{after}", status='NO_TICKET')


#: The steps of `form_steps` (and ``new``) in words, for messages: the actions
#: are the site's tokens, which a user is not shown.
_STEP_WORDS = {
    'new': 'opening a new request',
    'main-go-part1': 'opening the target part',
    'part1-go-radec': 'choosing a target by position',
    'part1-radec-save': 'saving the position and name',
    'main-go-part2': 'opening the telescope part',
    'part2-save': 'saving the telescope',
    'main-go-part3': 'opening the exposure part',
    'part3-save': 'saving the exposure, filter and comment',
}


def radec_fields(object_id: str) -> dict[str, str]:
    """Split ``'HH:MM:SS.ss +DD:MM:SS.ss'`` into the ``part1-radec-save`` fields.

    ``decDegrees`` keeps the sign (``'+41'``, ``'-05'``, ``'-00'``); every part is
    zero padded to two digits.
    """
    match = _OBJECT_ID.match(object_id)
    if match is None:
        raise ValueError(f"object_id must read 'HH:MM:SS.ss +DD:MM:SS.ss', got "
                         f"{object_id!r}")
    ra_h, ra_m, ra_s, ra_f, dec_d, dec_m, dec_s, dec_f = match.groups()
    return {'raHours': ra_h, 'raMins': ra_m, 'raSecs': ra_s, 'raFract': ra_f,
            'decDegrees': dec_d, 'decMins': dec_m, 'decSecs': dec_s, 'decFract': dec_f}


def form_steps(*, object_id: str, object_name: str, telescope_id: int,
               exposure_ms: int, dark_frame: bool, filter: str,
               comment: str) -> list[dict[str, Any]]:
    """The POST bodies (without ``ticket``) of every step after ``?action=new``.

    In order: ``main-go-part1``, ``part1-go-radec``, ``part1-radec-save``,
    ``main-go-part2``, ``part2-save``, ``main-go-part3``, ``part3-save``,
    ``main-submit``. The caller adds the ticket of the previous answer to each.
    """
    return [
        {'action': 'main-go-part1'},
        {'action': 'part1-go-radec'},
        {'action': 'part1-radec-save', **radec_fields(object_id),
         'newObjectName': object_name},
        {'action': 'main-go-part2'},
        {'action': 'part2-save', 'submittype': 'Save',
         'newTelescopeSelection': str(int(telescope_id))},
        {'action': 'main-go-part3'},
        {'action': 'part3-save', 'submittype': 'Save',
         'newExposureTime': str(int(exposure_ms)),
         'newDarkFrame': '1' if dark_frame else '0',
         'newFilterSelection': filter,
         'newRequestComments': comment},
        {'action': SUBMIT_ACTION},
    ]


def parse_submitted_rid(html: str) -> int | None:
    """The new request id on the answer of ``main-submit``, or None.

    Only an HTTP 200 is [seen] for that answer; a link to the new request's
    view (``v4request-view.php?rid=R``) is [assumed]. Without one the caller
    looks for the request in the queue.
    """
    soup = BeautifulSoup(html, 'html.parser')
    if soup.find('input', attrs={'name': 'ticket'}) is not None:
        return None     # the form came back: nothing was submitted
    for link in soup.find_all('a', href=True):
        href = str(link['href'])
        if 'request-view' in href:
            match = _RID_LINK.search(href)
            if match:
                return int(match.group(1))
    return None


def page_error(html: str) -> str | None:
    """The text of an error note on a constructor page (``class="error"``), if any.

    The markup of the site's messages is [assumed]: None when there is none.
    """
    soup = BeautifulSoup(html, 'html.parser')
    note = soup.find(class_='error')
    if note is None:
        return None
    text = ' '.join(note.get_text(' ').split())
    return text or None
