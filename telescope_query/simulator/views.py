"""The HTML pages behind the login (PROTOCOL.md section 3) and the downloads.

- ``v4request-view.php?rid=`` / ``?jid=``: a request's or a job's view;
  opening a request's view makes it seen;
- ``v3job-search-query.php``: public successful jobs completed in a window;
- ``imageengine-request.php?jid=&type=``: the processed products' page, an
  ``<iframe src>`` once ready;
- ``v3image-download.php?jid=&ieid=``: a READY staging's file, with
  ``Content-Length`` and HTTP ranges.

The HTML itself is :mod:`.pages`'.  Each method takes the werkzeug request,
the logged-in user and the call's fault keys.

This module is part of the simulator and imports nothing from the client.
"""
from __future__ import annotations

import io
import os
from typing import IO, Any

from werkzeug.exceptions import NotFound
from werkzeug.utils import send_file
from werkzeug.wrappers import Request, Response

from . import pages
from .api import staging_status, visible_job
from .engine import ImageEngine
from .faults import Faults
from .model import COMPLETE, STATUS_TEXTS, TELESCOPE_TYPES, TELESCOPES
from .values import id_arg, search_time

__all__ = ['Pages', 'DOWNLOAD', 'PROCESSED_TYPES', 'html']

DOWNLOAD = 'v3image-download.php'
#: ``type`` of imageengine-request.php: the product kind.
PROCESSED_TYPES = {'1': 'cube', '3': 'zip'}


def html(text: str, status: int = 200) -> Response:
    """An HTML answer."""
    return Response(text, status=status, mimetype='text/html')


class _FlippedFile(io.RawIOBase):
    """A product file read with ``nbytes`` bytes from ``offset`` inverted (same size)."""

    def __init__(self, path: os.PathLike | str, offset: int, nbytes: int) -> None:
        self._file = open(path, 'rb')
        self._start, self._stop = int(offset), int(offset) + int(nbytes)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer) -> int:
        position = self._file.tell()
        count = self._file.readinto(buffer)
        lo, hi = max(self._start, position), min(self._stop, position + count)
        for index in range(lo - position, hi - position):
            buffer[index] ^= 0xFF
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


class Pages:
    """The pages behind the login.

    Parameters
    ----------
    archive : Archive
        Accounts, folders, requests and jobs.
    engine : ImageEngine
        Staging of image products.
    faults : Faults
        Armed failures (``never_ready`` and ``corrupt_product`` act here).
    """

    def __init__(self, archive: Any, engine: ImageEngine, faults: Faults) -> None:
        self.archive = archive
        self.engine = engine
        self.faults = faults

    def view(self, request: Request, user: str, keys: list[str]) -> Response:
        """``v4request-view.php``: a job's view (``jid``) or a request's (``rid``)."""
        now = self.archive.current_time()
        if 'jid' in request.values:
            jid = id_arg(request.values.get('jid'))
            return html(pages.job_view(jid or 0, visible_job(self.archive, user, jid),
                                       user=user, now=now, telescope_types=TELESCOPE_TYPES))
        rid = id_arg(request.values.get('rid'))
        # The owner opening the view is what makes a request "seen".
        found = self.archive.mark_seen(user, rid) if rid is not None else None
        job = None
        if found is not None and found.status == COMPLETE:
            job = self.archive.job_of_request(user, found.rid)
        return html(pages.request_view(rid or 0, found, job, user=user, now=now,
                                       status_texts=STATUS_TEXTS, telescopes=TELESCOPES,
                                       telescope_types=TELESCOPE_TYPES))

    def search(self, request: Request, user: str, keys: list[str]) -> Response:
        """``v3job-search-query.php``: public successful jobs in a completion window."""
        values = request.values
        now = self.archive.current_time()
        latest = search_time(values.getlist('searchlatestcom[]'))
        latest = now if latest is None else latest + 59  # the whole minute
        earliest = search_time(values.getlist('searchearliestcom[]'))
        earliest = latest - 86400 if earliest is None else earliest
        filter_name = values.get('searchfilter', '').strip()
        telescope_text = values.get('searchtelescope', '').strip()
        telescope = int(telescope_text) if telescope_text.isdigit() else None
        per_page_text = values.get('resultsperpage', '').strip()
        per_page = int(per_page_text) if per_page_text.isdigit() else 1000
        per_page = per_page or 1000
        if telescope_text and telescope is None:
            jobs = []  # a telescope that is not an id matches nothing
        else:
            jobs = self.archive.search_jobs(earliest, latest, telescope_id=telescope,
                                            filter_type=filter_name or None)
        return html(pages.job_search(
            earliest, latest, jobs[:per_page], per_page=per_page,
            filter_name=filter_name,
            telescope=(TELESCOPES.get(telescope, telescope_text)
                       if telescope is not None else telescope_text),
            user=user, telescopes=TELESCOPES))

    def processed(self, request: Request, user: str, keys: list[str]) -> Response:
        """``imageengine-request.php``: no iframe until the processed product is ready."""
        jid = id_arg(request.args.get('jid'))
        kind = PROCESSED_TYPES.get(request.args.get('type', ''))
        job = visible_job(self.archive, user, jid)
        if job is None or not job.success or kind is None:
            return html(pages.message('Processed images',
                                      'No such job, or no images of this type.', user))
        staging = self.engine.latest(job, kind, processed=True)
        if staging is None:
            staging, _ = self.engine.create(job, kind, processed=True)
        state, _ = staging_status(self.engine, self.faults, staging, keys)
        src = None
        if state == 'READY':
            src = f'{DOWNLOAD}?jid={job.jid}&ieid={staging.ieid}'
        return html(pages.processed_images(job.jid, src, state, user))

    def download(self, request: Request, user: str, keys: list[str]) -> Response:
        """``v3image-download.php``: the file of a READY staging of a visible job."""
        jid = id_arg(request.args.get('jid'))
        ieid = id_arg(request.args.get('ieid'))
        staging = self.engine.get(ieid) if ieid is not None else None
        if (staging is None or staging.job.jid != jid
                or visible_job(self.archive, user, jid) is None):
            return NotFound('No such staged product.').get_response(request.environ)
        status, size = self.engine.status(staging)
        if status != 'READY':
            return html(pages.message('Not ready', f'The product is {status}.', user),
                        status=409)
        path = self.engine.path(staging)
        fault = self.faults.take('corrupt_product', keys)
        file: IO[bytes]
        if fault is None:
            file = open(path, 'rb')
        else:
            file = io.BufferedReader(
                _FlippedFile(path, fault.params['offset'], fault.params['nbytes']))
        suffix = 'fits' if staging.kind == 'cube' else 'zip'
        prefix = 'art_' if staging.processed else ''
        response = send_file(
            file, request.environ, as_attachment=True,
            mimetype='application/fits' if suffix == 'fits' else 'application/zip',
            download_name=f'{prefix}{jid}.{suffix}', conditional=False,
            etag=f'{jid}-{staging.kind}-{int(staging.processed)}-{staging.flat_id}-{size}',
            last_modified=os.stat(path).st_mtime)
        # send_file cannot know the size of an open file: give it, then let
        # make_conditional answer Range requests (206) with Accept-Ranges.
        response.content_length = size
        response = response.make_conditional(request.environ, accept_ranges=True,
                                             complete_length=size)
        del response.headers['Date']  # the server adds its own
        return response
