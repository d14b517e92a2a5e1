"""The original library's names and return shapes, as thin wrappers.

`LegacyMixin` is a base of `~telescope_query.core.TelescopeClass`; each part of
the original API lives in its own mixin (no ``__init__`` in any of them) and is
added to the bases below.
"""
from .downloads import DownloadsLegacy
from .listings import ListingsLegacy
from .submission import SubmissionLegacy

__all__ = ['LegacyMixin']


class LegacyMixin(ListingsLegacy, SubmissionLegacy, DownloadsLegacy):
    """All the original library's methods and attributes."""
