"""Quoting text from a file, or from a library's error about a file, in a message to the user.

Damaged or random files make readers fail with messages that repeat what they read, and their
"headers" can be kilobytes long; a message quoting them must stay a readable sentence.
"""

from __future__ import annotations

MAX_ECHO_CHARS = 80
"""Most characters of a file's text (or of an error about it) quoted in one message."""


def excerpt(text: object, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` on one line, unprintable characters as '?', cut to ``limit`` characters with '…'.

    Examples
    --------
    >>> excerpt("line one\\nline two")
    'line one line two'
    >>> excerpt("x" * 100, 10)
    'xxxxxxxxx…'
    """
    one_line = " ".join(str(text).split())
    printable = "".join(c if c.isprintable() else "?" for c in one_line)
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"
