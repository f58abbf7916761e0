"""The editors' admin: records (``records``) and their versions (``history``)."""

from . import records  # noqa: F401 - registers the record admins
