"""Bring the translation catalogs (cvm_core/i18n/<language>.po) up to date with the code.

    python scripts/update_catalogs.py          # add new texts (empty, to translate), drop gone ones

Finds every text marked with ``_("...")``, ``N_("...")``, ``ngettext("...", "...", n)`` or
``Nn_("...", "...")`` in
app.py, pages/, ui/ and cvm_core/, adds the new ones to each language's catalog with an empty
translation, and marks texts no longer in the code obsolete. Translate the empty entries by hand,
using the glossary (cvm_core/i18n/glossary.csv); tests/unit/test_i18n.py fails while any is empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = ROOT / "cvm_core" / "i18n"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "Nn_": (1, 2)}
SOURCES = ("app.py", "pages", "ui", "cvm_core")


def marked_texts() -> Catalog:
    """Every marked text in the code, with where it is used."""
    template = Catalog(project="cvm-dashboard")
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            found = extract_from_dir(ROOT, method_map=[(source, "python")], keywords=KEYWORDS)
        else:
            found = extract_from_dir(path, method_map=[("**.py", "python")], keywords=KEYWORDS)
        for filename, lineno, message, _comments, _context in found:
            where = f"{source}/{filename}" if path.is_dir() else source
            template.add(message, locations=[(where, lineno)])
    return template


def main() -> int:
    template = marked_texts()
    for language in ("de", "zh"):
        path = CATALOGS / f"{language}.po"
        with path.open("rb") as po:
            catalog = read_po(po, locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as po:
            write_po(po, catalog, width=100, omit_header=False, ignore_obsolete=True)
        empty = [
            m.id
            for m in catalog
            if m.id and not any(m.string if isinstance(m.string, tuple) else [m.string])
        ]
        print(f"{path.relative_to(ROOT)}: {len(catalog)} texts, {len(empty)} to translate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
