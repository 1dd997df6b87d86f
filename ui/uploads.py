"""File types for ``st.file_uploader``, written so that a file Streamlit would refuse reaches our
own checks and messages instead.

When ``type`` lists only extensions, Streamlit 1.67 checks the uploaded name again on the server,
and a mismatch (a file without an extension, a null byte in the name, a drop the browser let
through) raises inside Streamlit before the page runs: the page shows only the generic "This app
has encountered an error" and loses what it showed. With a MIME type in the list Streamlit leaves
the check to the browser's file filter, and our readers, which tell a format from its bytes, say
what is wrong with the file in the page.
"""

from __future__ import annotations

SALES_FILES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "xlsb", "ods", "parquet"]
ACTIVITY_FILES = ["csv", "xlsx", "xls", "ods"]
WORKSPACE_FILES = ["json", "zip"]

_MIME = {"csv": "text/csv", "json": "application/json"}


def accepted(extensions: list[str]) -> list[str]:
    """``extensions`` plus the MIME type of the first one that has one (see the module's doc)."""
    mime = next(_MIME[e] for e in extensions if e in _MIME)
    return [*extensions, mime]
