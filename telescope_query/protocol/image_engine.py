"""The image engine's side of the protocol: payloads and answers, no I/O.

PROTOCOL.md section 2, module ``image-engine`` [seen]:

1. ``0-create-dl3d`` (cube) or ``0-create-dlzip`` (zip of one FITS file per
   filter) with ``{"jid": J}`` plus ``"flatid": F`` when the job has a flat
   field; the answer carries ``data.ieID`` and ``OK_READY`` or ``OK_WAIT``.
2. ``0-is-job-ready`` with ``{"ieid": IE}`` until the status is exactly
   ``READY``; then ``fitssize`` (cube) or ``fitsbzsize`` (zip) is the byte
   length the download will have.
3. ``GET v3image-download.php?jid=J&ieid=IE`` streams the product.

Processed (artefact-corrected) products come from ``GET
imageengine-request.php?jid=J&type=T`` (``T=1`` cube, ``T=3`` zip): an HTML page
that holds an ``<iframe src="RELATIVE-URL">`` once the product is ready, and no
iframe before [seen].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from ..exceptions import DownloadError
from .user_api import ApiCall

__all__ = ['MODULE', 'READY', 'DOWNLOAD_PAGE', 'PROCESSED_PAGE', 'ImageEngineError',
           'ApiCall', 'Staged', 'PollState', 'FrameState', 'create_call', 'poll_call',
           'download_params', 'processed_params', 'parse_create', 'parse_poll',
           'parse_processed_page', 'resolve_src']

MODULE = 'image-engine'
READY = 'READY'  # polling ends on exactly this status, nothing else [seen]
DOWNLOAD_PAGE = 'v3image-download.php'
PROCESSED_PAGE = 'imageengine-request.php'

_CREATE = {True: '0-create-dl3d', False: '0-create-dlzip'}
_POLL = '0-is-job-ready'
# After dl3d the exact length is fitssize, after dlzip fitsbzsize [seen].
_SIZE_KEY = {True: 'fitssize', False: 'fitsbzsize'}
_PROCESSED_TYPE = {True: 1, False: 3}


class ImageEngineError(DownloadError):
    """The image engine refused a product or broke its protocol.

    ``status`` holds the engine's own word for it (``None`` when it gave none).
    """

    def __init__(self, message: str, status: str | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Staged:
    """The create answer: the engine's id for the product and its first status."""

    ie_id: str
    status: str


@dataclass(frozen=True)
class PollState:
    """One poll answer.

    ``size`` is the byte length the engine announces for the product, ``None``
    when it gave no usable number.
    """

    status: str
    size: int | None

    @property
    def ready(self) -> bool:
        return self.status == READY


@dataclass(frozen=True)
class FrameState:
    """What a processed-product page says: ``src`` is set once it is ready."""

    src: str | None
    status: str

    @property
    def ready(self) -> bool:
        return self.src is not None


def create_call(jid: int, *, cube: bool, flat_id: int | None = None) -> ApiCall:
    """Payload asking the engine to prepare a job's cube or zip.

    ``flat_id`` is sent as ``flatid`` only when the job has a flat field.
    """
    params: dict[str, Any] = {'jid': int(jid)}
    if flat_id:
        params['flatid'] = int(flat_id)
    return ApiCall(MODULE, _CREATE[bool(cube)], params)


def poll_call(ie_id: str) -> ApiCall:
    """Payload of one readiness poll; ``ie_id`` goes back as the string received."""
    return ApiCall(MODULE, _POLL, {'ieid': str(ie_id)})


def download_params(jid: int, ie_id: str) -> dict[str, str]:
    """Query string of ``v3image-download.php`` for a staged product."""
    return {'jid': str(int(jid)), 'ieid': str(ie_id)}


def processed_params(jid: int, *, cube: bool) -> dict[str, str]:
    """Query string of ``imageengine-request.php`` (``type`` 1 = cube, 3 = zip)."""
    return {'jid': str(int(jid)), 'type': str(_PROCESSED_TYPE[bool(cube)])}


def _status(answer: Mapping[str, Any], what: str) -> str:
    if not isinstance(answer, Mapping):
        raise ImageEngineError(f"image engine {what}: expected a JSON object, "
                               f"got {type(answer).__name__}")
    status = answer.get('status')
    return '' if status is None else str(status)


def _check_success(answer: Mapping[str, Any], status: str, what: str) -> None:
    # Clients test `success` only for truthiness: 1/0 and true/false both occur [seen].
    if not answer.get('success') or status.upper().startswith('ERR'):
        raise ImageEngineError(f"image engine refused {what}: status "
                               f"{status or '(none)'!s}", status or None)


def parse_create(answer: Mapping[str, Any], *, jid: int | None = None) -> Staged:
    """Read the answer of ``0-create-dl3d``/``0-create-dlzip``.

    Raises
    ------
    ImageEngineError
        When ``success`` is falsy, the status is an error, or ``data.ieID`` is missing.
    """
    what = f"the product of job {jid}" if jid is not None else "the product"
    status = _status(answer, what)
    _check_success(answer, status, what)
    data = answer.get('data')
    ie_id = data.get('ieID') if isinstance(data, Mapping) else None
    if ie_id is None or str(ie_id).strip() == '':
        raise ImageEngineError(f"image engine accepted {what} but its answer has no "
                               f"data.ieID (status {status or '(none)'})", status or None)
    return Staged(str(ie_id), status)


def _size(value: Any) -> int | None:
    try:
        size = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    # "0" is what the engine reports for the product kind not asked for [seen]:
    # a real product is never empty, so 0 means "no number given".
    return size if size > 0 else None


def parse_poll(answer: Mapping[str, Any], *, cube: bool, jid: int | None = None) -> PollState:
    """Read the answer of ``0-is-job-ready``.

    Any status other than exactly ``READY`` means "not yet". Once ready, the
    size comes from ``fitssize`` for a cube and ``fitsbzsize`` for a zip.

    Raises
    ------
    ImageEngineError
        When ``success`` is falsy or the status is an error.
    """
    what = f"the product of job {jid}" if jid is not None else "the product"
    status = _status(answer, what)
    _check_success(answer, status, what)
    size = None
    data = answer.get('data')
    if status == READY and isinstance(data, Mapping):
        size = _size(data.get(_SIZE_KEY[bool(cube)]))
    return PollState(status, size)


def parse_processed_page(html: str) -> FrameState:
    """Find the product link on an ``imageengine-request.php`` page.

    The first ``<iframe>`` counts. No iframe means "not ready yet" [seen]; an
    iframe without a usable ``src`` (which crashed the original client) is
    reported as a state of its own and treated as not ready.
    """
    frame = BeautifulSoup(html, 'html.parser').find('iframe')
    if frame is None:
        return FrameState(None, 'WAITING (no iframe yet)')
    src = frame.get('src')
    if isinstance(src, list):  # bs4 returns a list only for multi-valued attributes
        src = ' '.join(src)
    src = (src or '').strip()
    if not src:
        return FrameState(None, 'WAITING (iframe without src)')
    return FrameState(src, READY)


def resolve_src(server_url: str, src: str) -> str:
    """Full URL of an iframe ``src`` on the server at ``server_url``.

    The site's src is relative with no leading ``/`` [seen]; it is appended to
    the base URL as the original client did (a leading ``/`` gives a doubled
    slash, which the site accepts). An absolute URL is followed only when it
    points at the same server: the session's cookies must not go elsewhere.
    """
    parts = urlsplit(src)
    if not parts.scheme and not parts.netloc:
        return server_url + src
    absolute = urljoin(server_url, src)
    target, base = urlsplit(absolute), urlsplit(server_url)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc):
        raise ImageEngineError(f"the processed product's link points away from the "
                               f"server ({target.scheme}://{target.netloc}); not followed")
    return absolute
