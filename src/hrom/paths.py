"""Names that become file names.

Sequence names come from dataset files (a VOT ``list.txt`` line, a pysot JSON key) and tracker
names from the command line; both end up as ``<folder>/<name>.txt``. :func:`safe_name` makes
sure such a name cannot leave its folder, so a crafted ``../../x`` never writes elsewhere.
(Output folders are checked with :func:`hrom.io.check_writable_dir`.)
"""

from __future__ import annotations

import os

from hrom.errors import HromError


def safe_name(name: object, what: str = "name", where: str | os.PathLike | None = None) -> str:
    """``name`` if it is usable as one path component, else a HromError naming the source.

    Refused: empty or blank names, ``.`` / ``..``, path separators (``/`` and ``\\``),
    absolute paths or drive letters, and control characters (NUL, newlines).
    """
    src = f"{where}: " if where is not None else ""
    text = name if isinstance(name, str) else str(name)
    problem = None
    if not text.strip():
        problem = "is empty"
    elif text in (".", ".."):
        problem = "is a relative folder reference"
    elif "/" in text or "\\" in text or os.sep in text or (os.altsep and os.altsep in text):
        problem = "contains a path separator"
    elif os.path.isabs(text) or (len(text) > 1 and text[0].isalpha() and text[1] == ":"):
        problem = "is an absolute path"
    elif any(ord(c) < 32 for c in text):
        problem = "contains control characters"
    if problem:
        raise HromError(f"{src}{what} {text!r} {problem}; expected a plain file name "
                        f"(no '..', '/', '\\' or absolute path)")
    return text

