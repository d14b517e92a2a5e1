"""The JSON user API (``POST api-user.php``): payloads, answer checks, records.

Pure functions: they build the form of a call and turn its answer into plain
records (dicts of Python values). Facts marked [seen]/[assumed] refer to
PROTOCOL.md section 2. Nothing here does I/O or builds Tables.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from ..exceptions import RemoteServiceError
from .shapes import FolderRecord, RequestRecord
from .site import status_text

__all__ = ['ENDPOINT', 'NOT_LOGGED_IN', 'LISTING_KEYS', 'api_form',
           'parse_answer', 'decode_json', 'MAX_JSON_DEPTH', 'JsonTooDeepError', 'succeeded', 'answer_status', 'is_not_logged_in', 'quote_body',
           'folder_record', 'parse_folders', 'list_own_params', 'parse_request_list',
           'request_record', 'in_listing_order', 'unix_time', 'to_int', 'legacy_strings',
           'ApiCall']

ENDPOINT = 'api-user.php'
NOT_LOGGED_IN = 'ERR_NOT_LOGGED_IN'   # [assumed] status of a call without a session
# PROTOCOL.md 1 [assumed]: the word above is a guess. Other spellings of "log in
# first" (NOT_LOGGED_IN, ERR_LOGIN_REQUIRED, ERR_SESSION_EXPIRED...) are read the
# same way; any other falsy answer stays an error naming its status.
_LOGGED_OUT_STATUS = re.compile(r'NOT_?LOGGED|LOGIN|SESSION_?EXPIRED|NO_?SESSION',
                                re.IGNORECASE)



@dataclass(frozen=True)
class ApiCall:
    """One call of the JSON user API: the arguments of ``client._api_call``."""

    module: str
    request: str
    params: dict[str, Any] | None
#: The keys of a request record in the listing, exactly [seen: dumps of 2021 and
#: 2024]. The telescope, filter, exposure, completion time, folder and job id are
#: NOT among them: only a request's view shows those (see ``pages``).
LISTING_KEYS = ('id', 'seen', 'usercomments', 'objecttype', 'objectid', 'objectname',
                'requesttime', 'status', 'row')

_QUOTE_LENGTH = 200


def api_form(module: str, request: str, params: dict | None = None) -> dict[str, str]:
    """The form fields of one call.

    ``params`` is sent as a JSON string; when empty the field is left out, as
    the original client's ``{}`` ended up (a server treats it as ``{}``) [seen].
    """
    form = {'module': module, 'request': request}
    if params:
        form['params'] = json.dumps(params)
    return form


def quote_body(text: str | bytes, length: int = _QUOTE_LENGTH) -> str:
    """The start of an answer, on one line, for an error message."""
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    text = ' '.join(text.split())
    return repr(text[:length] + ('...' if len(text) > length else ''))


# The site's answers nest three levels or so; a document nested deeper than
# this is refused: it would need Python's recursion to decode, quote or walk.
MAX_JSON_DEPTH = 64


class JsonTooDeepError(ValueError):
    """A JSON document nested more than `MAX_JSON_DEPTH` levels."""


def decode_json(text: str | bytes) -> Any:
    """``json.loads``, with a document nested more than `MAX_JSON_DEPTH` levels
    a `JsonTooDeepError` (a `ValueError`) rather than a `RecursionError` (or a value that code walking
    it recursively would choke on)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonTooDeepError(f'JSON nested more than {MAX_JSON_DEPTH} levels') from None
    level = [value] if isinstance(value, (dict, list)) else []
    for _ in range(MAX_JSON_DEPTH):     # one level of containers at a time: no recursion
        level = [inner for item in level
                 for inner in (item.values() if isinstance(item, dict) else item)
                 if isinstance(inner, (dict, list))]
    if level:
        raise JsonTooDeepError(f'JSON nested more than {MAX_JSON_DEPTH} levels')
    return value


def parse_answer(text: str, call: str) -> dict[str, Any]:
    """Decode an answer and check its shape ``{"success", "status", "data"}``.

    Parameters
    ----------
    text : str
        The body as received.
    call : str
        ``module/request``, named in errors.

    Returns
    -------
    answer : dict
        The decoded object, unchanged (the legacy API hands it out as the site
        sent it). Test it with `succeeded`: ``success`` is 1/0 or true/false
        [seen].

    Raises
    ------
    `~astroquery.exceptions.RemoteServiceError`
        For HTML, truncated JSON, or JSON that is not an object with ``success``.
    """
    try:
        answer = decode_json(text)
    except JsonTooDeepError as exc:
        raise RemoteServiceError(f"{call}: the answer from {ENDPOINT} is {exc}: "
                                 f"{quote_body(text)}") from None
    except ValueError:
        raise RemoteServiceError(
            f"{call}: expected a JSON answer from {ENDPOINT}, got {quote_body(text)}") from None
    if not isinstance(answer, dict) or 'success' not in answer:
        raise RemoteServiceError(
            f"{call}: the answer is not an object with 'success': {quote_body(text)}")
    return answer


def succeeded(answer: dict) -> bool:
    """Whether an answer says ``success`` (1/0, true/false, or their strings)."""
    value = answer.get('success')
    if isinstance(value, str):
        return value.strip().lower() not in ('', '0', 'false', 'no')
    return bool(value)


def answer_status(answer: dict) -> str:
    """The ``status`` word of an answer, ``''`` when missing."""
    status = answer.get('status')
    return '' if status is None else str(status)


def is_not_logged_in(answer: dict) -> bool:
    """Whether a parsed answer says the session is missing or expired.

    [assumed] ``{"success": 0, "status": "ERR_NOT_LOGGED_IN"}``; a falsy answer
    whose status is another spelling of it counts too (see `_LOGGED_OUT_STATUS`).
    """
    return not succeeded(answer) and bool(_LOGGED_OUT_STATUS.search(answer_status(answer)))


def to_int(value: Any) -> int | None:
    """An integer from the API's numbers-as-strings; None for null, '' or junk."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() else None


def unix_time(value: Any) -> datetime | None:
    """A UTC datetime from Unix seconds; None for ``0``, null or junk."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc)






def _require(data: Any, kind: type, call: str, what: str) -> Any:
    if not isinstance(data, kind):
        raise RemoteServiceError(f"{call}: expected {what} in 'data', got "
                                 f"{quote_body(json.dumps(data))}")
    return data


def folder_record(raw: dict, call: str = 'request-manager/0-get-my-folders') -> FolderRecord:
    """One folder as a plain record: ``folder_id``, ``name``, ``count``, ``created``.

    ``count`` is None for an empty folder (the site sends null [seen]);
    ``creationtime`` ``"0"`` (the standard folders) becomes ``created=None``.
    """
    _require(raw, dict, call, 'folder objects')
    folder_id = to_int(raw.get('id'))
    if folder_id is None:
        raise RemoteServiceError(f"{call}: a folder without a numeric 'id': "
                                 f"{quote_body(json.dumps(raw))}")
    count = to_int(raw.get('count'))
    return {'folder_id': folder_id, 'name': str(raw.get('name') or ''),
            'count': count, 'created': unix_time(raw.get('creationtime'))}


def parse_folders(data: Any, call: str = 'request-manager/0-get-my-folders'
                  ) -> list[FolderRecord]:
    """The ``data`` of ``0-get-my-folders`` as folder records."""
    return [folder_record(raw, call) for raw in _require(data, list, call, 'a list')]


def list_own_params(folder_id: int, sort: str, limit: int,
                    start_after: int = 0) -> dict[str, int | str]:
    """The params of ``1-get-list-own`` [seen]; ``startAfterRow`` only when paging."""
    params: dict[str, int | str] = {'limit': int(limit), 'sort': sort,
                                    'folderid': int(folder_id)}
    if start_after:
        params['startAfterRow'] = int(start_after)
    return params


def parse_request_list(data: Any, call: str = 'request-manager/1-get-list-own'
                       ) -> tuple[int | None, list[dict]]:
    """``data`` of ``1-get-list-own``: ``(totalRequests, raw request dicts)``.

    The raw dicts are returned as the site sent them (the legacy API hands
    them out); ``totalRequests`` is None when missing or not a number.
    """
    _require(data, dict, call, "an object with 'requests'")
    requests = data.get('requests')
    if requests is None:
        requests = []
    _require(requests, list, call, "a list in 'requests'")
    for raw in requests:
        if not isinstance(raw, dict) or to_int(raw.get('id')) is None:
            raise RemoteServiceError(f"{call}: a request without a numeric 'id': "
                                     f"{quote_body(json.dumps(raw))}")
    return to_int(data.get('totalRequests')), requests


def request_record(raw: dict) -> RequestRecord:
    """A request of the listing as a plain record.

    Keys: ``rid``, ``object_name``, ``status``, ``status_text``,
    ``requested``, ``object_type``, ``object_id``, ``comment``, ``seen``
    (True/False, None when unreadable) and ``row`` (the 1-based position the
    site gave). Only the recorded keys of `LISTING_KEYS` are read; any other
    key a server adds is ignored, so a table never shows a column the live
    site does not send. A value that is missing, null or junk (a list where
    text was expected) becomes None.
    """
    code = to_int(raw.get('status'))
    seen = to_int(raw.get('seen'))
    return {
        'rid': to_int(raw.get('id')),
        'object_name': str(raw.get('objectname') or ''),
        'status': code,
        'status_text': status_text(code),
        'requested': unix_time(raw.get('requesttime')),
        'object_type': _text(raw.get('objecttype')),
        'object_id': _text(raw.get('objectid')),
        'comment': _text(raw.get('usercomments')),
        'seen': None if seen not in (0, 1) else bool(seen),
        'row': to_int(raw.get('row')),
    }


def in_listing_order(records: list[RequestRecord], sort: str) -> list[RequestRecord]:
    """Request records (of `request_record`) in the order ``sort`` promises.

    ``rid``: newest id first; ``object``: by object name (case ignored), newest
    first within a name. The site's direction of these two is [assumed], so
    they are put in order here whatever the site did. ``completion`` is kept
    as the site sent it [seen: unfinished requests first, then roughly the
    newest completion first]: the listing has no completion time to sort by
    (``get_requests(details=True)`` sorts by the views' times).
    """
    if sort == 'rid':
        return sorted(records, key=lambda r: -(r['rid'] or 0))
    if sort == 'object':
        return sorted(records, key=lambda r: (r['object_name'].casefold(), -(r['rid'] or 0)))
    return list(records)


def _text(value: Any) -> str | None:
    """A scalar as stripped text; None for null, ``''``, or a list/object (junk)."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    text = str(value).strip()
    return text or None


def legacy_strings(records: Iterable[dict]) -> list[dict]:
    """Copies of raw records with every non-null value as a string.

    The original library handed out the site's dicts, whose numbers are
    strings [seen]; a server that sends JSON numbers must not change that.
    """
    return [{key: (value if value is None or isinstance(value, str) else
                   json.dumps(value) if isinstance(value, (dict, list)) else str(value))
             for key, value in raw.items()} for raw in records]
