"""Exchanges made safe for a file: redacted, written and read as JSON.

Pure, but for reading and writing the file. A capture never holds a cookie, a
password, the user's name or an e-mail address; names of other users are
masked too (the job search's columns other than the job link, the values of
view rows the client does not read), so a capture can be shared in an issue and
replayed by the test suite (``telescope_query.simulator.replay``). What the
client reads stays as it was: the facts of ``facts`` give the same verdicts on
the redacted copy as on the answers themselves.
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from ..protocol import pages
from ..protocol.user_api import decode_json
from ..files import write_atomically

__all__ = ['FORMAT', 'MASK', 'redact', 'save_capture', 'load_capture']

FORMAT = 'telescope_query site capture'
VERSION = 1
MASK = '[masked]'
SECRET_MASK = '********'
USER_MASK = 'USER'
_EMAIL = re.compile(r'[\w.+-]+@[\w-]+(?:\.[\w-]+)+')
#: Response headers a capture keeps; ``Set-Cookie`` only as "present".
_KEPT_HEADERS = ('content-type', 'content-length', 'accept-ranges', 'content-range',
                 'location')
_KNOWN_LABELS = {label.lower() for label in pages.JOB_LABELS + pages.REQUEST_LABELS}
_SECRET_FIELDS = ('password', 'passwd')


def _text_masker(user: str, hide: Callable[[str], str]) -> Callable[[str], str]:
    """Hide the secrets, the user's name (a whole word, any case) and e-mail addresses."""
    name = re.compile(rf'(?<![\w]){re.escape(user)}(?![\w])', re.IGNORECASE) if user else None

    def mask(text: str) -> str:
        text = _EMAIL.sub('someone@example.org', hide(text))
        return name.sub(USER_MASK, text) if name else text
    return mask


def _redact_html(text: str) -> str:
    """Mask what the client does not read and may name other people."""
    soup = BeautifulSoup(text, 'html.parser')
    for row in soup.find_all('tr'):
        cells = row.find_all(['td', 'th'], recursive=False)
        link = row.find('a', href=True)
        if link is not None and 'jid=' in str(link['href']):
            # A result row of the job search: only its job link is read.
            kept = link.find_parent(['td', 'th'])
            for cell in cells:
                if cell is not kept and cell.get_text(strip=True):
                    cell.string = MASK
        elif len(cells) >= 2 and cells[0].name == 'td':
            label = ' '.join(cells[0].get_text(' ').split()).rstrip(':').lower()
            if label not in _KNOWN_LABELS:
                for cell in cells[1:]:
                    if cell.get_text(strip=True):
                        cell.string = MASK
    for script in soup.find_all('script'):
        info = pages.parse_var_info(script.get_text())
        script.string = ('\nvar info = ' + json.dumps({'jid': info.get('jid')}) + ';\n'
                         if info is not None and 'jid' in info else '')
    for field in soup.find_all('input'):
        if field.get('type') == 'password' or field.get('name') in _SECRET_FIELDS:
            field.attrs.pop('value', None)
    return str(soup)


def _redact_json(value: Any, mask: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [_redact_json(item, mask) for item in value]
    if isinstance(value, dict):
        return {key: _redact_json(item, mask) for key, item in value.items()}
    return value


def _redact_one(exchange: Mapping[str, Any], mask: Callable[[str], str]) -> dict[str, Any]:
    headers = {}
    for key, value in (exchange.get('headers') or {}).items():
        if key.lower() == 'set-cookie':
            headers['Set-Cookie'] = '(present, value withheld)'
        elif key.lower() in _KEPT_HEADERS:
            headers[key] = mask(str(value))
    form = {}
    for key, value in (exchange.get('form') or {}).items():
        form[key] = SECRET_MASK if key in _SECRET_FIELDS else mask(str(value))
    body = exchange.get('body')
    if isinstance(body, str):
        kind = (exchange.get('headers') or {}).get('Content-Type', '')
        if 'html' in kind.lower() or body.lstrip()[:1] == '<':
            body = mask(_redact_html(body))
        else:
            try:
                body = json.dumps(_redact_json(decode_json(body), mask))
            except ValueError:
                body = mask(body)
    return {**exchange, 'headers': headers, 'form': form, 'body': body,
            'params': {k: mask(str(v)) for k, v in (exchange.get('params') or {}).items()},
            'url': None}


def redact(exchanges: Mapping[str, Any], *, user: str,
           hide: Callable[[str], str] = lambda text: text) -> dict[str, Any]:
    """A copy of ``exchanges`` fit for a file (see the module's docstring).

    ``hide`` masks the secrets in a text (the password: an error page may echo
    the login form with what was typed).
    """
    mask = _text_masker(user, hide)
    copy: dict[str, Any] = {}
    for name, value in exchanges.items():
        if isinstance(value, list):
            copy[name] = [_redact_one(item, mask) for item in value]
        elif isinstance(value, Mapping):
            copy[name] = _redact_one(value, mask)
    return copy


def save_capture(path: str | os.PathLike, exchanges: Mapping[str, Any], *,
                 server: str, client_version: str) -> Path:
    """Write redacted ``exchanges`` as a capture file (JSON), atomically."""
    target = Path(path)
    parts = urlsplit(server)
    document = {'format': FORMAT, 'version': VERSION,
                'server': f'{parts.scheme}://{parts.hostname or ""}'
                          + (f':{parts.port}' if parts.port else '') + '/',
                'taken': datetime.now(timezone.utc).isoformat(timespec='seconds'),
                'client': client_version, 'exchanges': dict(exchanges)}
    return write_atomically(target, json.dumps(document, indent=1))


def load_capture(path: str | os.PathLike) -> dict[str, Any]:
    """The exchanges of a capture file; ValueError naming the file when it is not one."""
    try:
        document = json.loads(Path(path).read_text(encoding='utf-8'))
    except (OSError, ValueError) as exc:
        raise ValueError(f"capture {os.fspath(path)!r} cannot be read: {exc}") from None
    if not isinstance(document, dict) or document.get('format') != FORMAT:
        raise ValueError(f"capture {os.fspath(path)!r} is not a {FORMAT} file")
    return document['exchanges']
