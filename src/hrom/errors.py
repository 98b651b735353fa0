"""User-facing errors: one actionable line, exit code 2, no traceback (see ``hrom.cli``)."""


class HromError(Exception):
    """Bad input or a missing file: the message says what was wrong and what was expected."""

    exit_code = 2
