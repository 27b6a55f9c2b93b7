"""One exception tree for fonds; lower-level errors are translated at the boundary."""

from __future__ import annotations


class FondsError(Exception):
    """Base of every error fonds raises on purpose."""


class ConfigError(FondsError):
    """A setting, option or data file is wrong; the run stops with one clear message."""


class DependencyError(FondsError):
    """An optional dependency or external tool is missing."""


class ReadError(FondsError):
    """One input file cannot be read or understood; the run goes on with the others."""


class QuerySyntaxError(FondsError):
    """A search query cannot be parsed; the message says where and what to try."""


class StoreError(FondsError):
    """The database refused an operation or is in an unexpected state."""


class StoreLost(StoreError):
    """The database went away (a server restarted or unreachable): no file is to blame,
    and the run stops; what was committed stays."""


class NotFound(FondsError):
    """A document or entity asked for by id does not exist."""
