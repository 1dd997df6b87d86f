"""The dataset fingerprint: the key every cache, published result and workspace uses.

One function, so that the same bytes always give the same key wherever they are read (the
command line, the app, a workspace); what goes in depends on the source and is said where it is
called (the file's bytes; the bytes plus how they were read; a frame's row hashes ...).
"""

from __future__ import annotations

import hashlib

FINGERPRINT_CHARS = 16
"""64 bits of SHA-256: collisions between one user's datasets are out of reach."""


def fingerprint(data: bytes, prefix: str = "") -> str:
    """``prefix`` + the first :data:`FINGERPRINT_CHARS` hex digits of SHA-256 of ``data``."""
    return prefix + hashlib.sha256(data).hexdigest()[:FINGERPRINT_CHARS]
