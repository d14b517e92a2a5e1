"""The original library's class, on top of the new one: `Telescope`.

Scripts written for the original ``telescope`` library run after one change,
their import (``docs/migrating.rst``)::

    from telescope_query.legacy import Telescope      # was: from telescope import Telescope
    scope = Telescope(config='~/.config/telescope.ini')

`Telescope` is a `~telescope_query.TelescopeClass` with the original's
constructor and names. Each part of the original API lives in its own mixin
(``listings``, ``downloads``, ``submission``), which uses only the public API
and the seam of `telescope_query.contract`: nothing below the public class
knows this layer.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..core import TelescopeClass
from .downloads import DownloadsLegacy
from .listings import ListingsLegacy
from .submission import SubmissionLegacy

__all__ = ['Telescope']


class _OriginalDefault(str):
    """The original constructor's default ``cache``, told apart from the same
    text passed on purpose (which makes that folder the product cache)."""


class Telescope(ListingsLegacy, SubmissionLegacy, DownloadsLegacy, TelescopeClass):
    """The original library's ``Telescope`` class.

    Parameters
    ----------
    user, passwd, config
        When ``user`` or ``config`` is given, the new instance logs in at once
        (see `~telescope_query.TelescopeClass.login`); ``passwd`` is the
        password, ``config`` the original config file
        (``~/.config/telescope.ini``).
    cache : str or path-like, optional
        The original's folder for downloaded jobs. When given, it becomes this
        instance's product cache: the images of ``get_images``,
        ``download_data``, ``get_obs``... are kept and found there, in the
        package's layout (``<cache>/<server>/<account-hash>/raw/369256.fits``),
        per server and account like the default cache. A relative folder is
        taken from the current folder when the instance is made. When not
        given, products live in the astroquery cache folder of the package.
        Either way it is also kept as ``legacy_cache`` (the original's
        ``'.cache/jobs'`` when not given). Views and listings stay in the
        astroquery cache folder.
    """

    def __init__(self, user: str = '', passwd: str = '', config: str | None = None,
                 cache: str | os.PathLike = _OriginalDefault('.cache/jobs')):
        super().__init__()
        self.legacy_cache = Path(cache)
        if type(cache) is not _OriginalDefault:     # given on purpose
            self._products_root = Path(cache).expanduser().absolute()
        if user or config:
            self.login(user or None, password=passwd or None, config=config)
