"""The one error type of the data layer."""


class DataError(ValueError):
    """Anything a user can get wrong about data: a bad ``[data]`` key, a missing or unreadable file,
    a cell that is not a number, an array of the wrong shape.

    ``str(error)`` is the whole message for the user; it names the file (and row and column where
    that makes sense) or the ``data.<key>`` at fault, and what is allowed instead.
    """
