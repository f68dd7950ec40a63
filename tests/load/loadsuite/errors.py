"""The one exception type the load suite shows to people: a problem with what they asked for."""


class SetupError(Exception):
    """A one-line message naming what is wrong and how to fix it; printed as is, no traceback."""
