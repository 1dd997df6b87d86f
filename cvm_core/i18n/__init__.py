"""The languages the app speaks: English (the source text), German and Chinese.

English text is the key, gettext style: ``_("Time unit")`` reads "Zeiteinheit" in German and
"时间单位" in Chinese, and the English text itself wherever a catalog has no entry yet. The catalogs
are the ``.po`` files beside this module (read with Babel when a language other than English is
first used); ``glossary.csv`` lists the domain terms in their three forms, the reference for
every translation. The language is per thread (a context variable): each Streamlit session's
script sets it at the start of its run, the command line once; code that runs outside a script
run (a deferred download) sets the one captured when the page was drawn.
"""

from __future__ import annotations

import contextvars
import functools
import re
from pathlib import Path

LANGUAGES = {"en": "English", "de": "Deutsch", "zh": "中文"}
"""Language code -> its name in itself (what the language switch lists)."""
BABEL_LOCALES = {"en": "en_US", "de": "de_DE", "zh": "zh_CN"}
"""Language code -> the Babel/CLDR locale whose number and date formats it uses."""
HERE = Path(__file__).parent

_language: contextvars.ContextVar[str] = contextvars.ContextVar("cvm_language", default="en")
_pseudo: contextvars.ContextVar[bool] = contextvars.ContextVar("cvm_pseudo", default=False)
"""Pseudo-localisation for tests: every text through the catalogs reads ⟦text⟧ (numbers and dates
stay English), so a test can list the texts on a page that bypass them."""
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"


def use(language: str) -> None:
    """Make ``language`` the current one for this thread's work (unknown codes: English)."""
    _language.set(language if language in LANGUAGES else "en")


def current() -> str:
    """The current language code."""
    return _language.get()


def language_of(locale: str | None) -> str:
    """The language for a browser locale ('de-DE' -> 'de', 'zh-Hans-CN' -> 'zh'); English for
    anything else."""
    code = (locale or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def N_(text: str) -> str:
    """Mark ``text`` for the catalogs where it is defined (a menu title in a table), translated
    later where it is shown with ``_(variable)``."""
    return text


def Nn_(singular: str, plural: str) -> str:
    """Mark a unit word and its plural for the catalogs (:func:`cvm_core.formatting.counted`
    translates them with :func:`ngettext`)."""
    return singular


UNIT_WORDS = (
    Nn_("customer", "customers"),
    Nn_("transaction", "transactions"),
    Nn_("order", "orders"),
    Nn_("day", "days"),
    Nn_("week", "weeks"),
    Nn_("month", "months"),
)
"""The unit words counted most often, in the catalogs with their plurals."""


def _(text: str) -> str:
    """``text`` (English) in the current language."""
    if _pseudo.get():
        return f"{PSEUDO_OPEN}{text}{PSEUDO_CLOSE}"
    language = _language.get()
    if language == "en":
        return text
    return _catalog(language).get(text) or text


def ngettext(singular: str, plural: str, n: float) -> str:
    """The word for ``n`` things: English and German have a singular for exactly one, Chinese one
    form for every number."""
    language = _language.get()
    english = singular if n == 1 else plural
    if _pseudo.get():
        return f"{PSEUDO_OPEN}{english}{PSEUDO_CLOSE}"
    if language == "en":
        return english
    forms = _catalog(language).get((singular, plural))
    if not forms:
        return english
    return forms[0] if len(forms) == 1 or n == 1 else forms[1]


@functools.cache
def _catalog(language: str) -> dict:
    """msgid (or (singular, plural)) -> translation, from ``<language>.po``; fuzzy and empty
    entries are left out (the English text shows instead)."""
    from babel.messages.pofile import read_po

    with (HERE / f"{language}.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    out: dict = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            forms = [s for s in message.string if s]
            if forms:
                out[tuple(message.id)] = forms
                out.setdefault(message.id[0], forms[0])  # _("day"): the same word alone
        elif message.string:
            out[message.id] = message.string
    return out


_BRACKETED = re.compile(r"^(?P<name>.+) \((?P<rest>[^()]*)\)$")


def header_text(label: str) -> str:
    """A column's header in the current language. A label the catalogs lack whole is translated
    before its last bracket, which is kept: "Net revenue (EUR)" reads "Nettoumsatz (EUR)", "Value
    (2024Q3)" "Wert (2024Q3)". Tables keep their English column names, so code, number formats
    and tests address columns the same way in every language; only the header row is translated."""
    whole = _(label)
    if whole != label:
        return whole
    part = _BRACKETED.match(label)
    return f"{_(part['name'])} ({part['rest']})" if part else whole


class Message(str):
    """A sentence kept in English that reads in the current language where it is shown.

    Intake notes and other texts stored with a cached result (a loaded dataset is kept across
    language switches) are made when the data is read; a page shows them later, in whatever
    language is on then. A Message is that English sentence, a plain ``str`` everywhere (tests,
    logs, JSON), that also keeps its template and values: :func:`shown` renders it again through
    the catalogs, whole numbers grouped as the language writes them. Mark the template with N_.

    ``Message("{n} return rows kept as negative revenue.", n=4741)`` is the str "4,741 return rows
    kept as negative revenue."; shown in German "4.741 Retourenzeilen als negativer Umsatz
    übernommen."
    """

    template: str
    values: dict

    def __new__(cls, template: str, **values: object) -> Message:
        english = template.format(**{k: _english(v) for k, v in values.items()})
        message = super().__new__(cls, english)
        message.template, message.values = template, values
        return message

    def __reduce__(self):  # pickled (a saved session) with its template and values
        return (_message, (type(self), self.template, self.values))

    def in_language(self) -> str:
        from cvm_core import formatting

        def local(value: object) -> object:
            if isinstance(value, int) and not isinstance(value, bool):
                return formatting.count(value)
            return value.in_language() if hasattr(value, "in_language") else value

        return _(self.template).format(**{k: local(v) for k, v in self.values.items()})


class Number(float):
    """A number with decimals in a :class:`Message`: '1.5' in English, '1,5' in German."""

    decimals: int
    english = ",.{decimals}f"
    """The format spec that writes it in English (the Message's str)."""

    def __new__(cls, value: float, decimals: int = 1) -> Number:
        number = super().__new__(cls, value)
        number.decimals = decimals
        return number

    def __reduce__(self):
        return (type(self), (float(self), self.decimals))

    def __format__(self, spec: str) -> str:
        return format(float(self), spec or self.english.format(decimals=self.decimals))

    def in_language(self) -> str:
        from cvm_core import formatting

        return formatting.number(float(self), self.decimals)


class Percent(Number):
    """A share in a :class:`Message`: 0.347 reads '34.7%' in English, '34,7 %' in German."""

    english = ".{decimals}%"

    def in_language(self) -> str:
        from cvm_core import formatting

        return formatting.pct(float(self), self.decimals)


class Date(str):
    """A day in a :class:`Message`: '01 Jan 2024' in English, '01.01.2024' in German."""

    english = "{:%d %b %Y}"
    """How the Message's English str writes it."""
    day: object

    def __new__(cls, day) -> Date:
        text = super().__new__(cls, cls.english.format(day))
        text.day = day
        return text

    def __reduce__(self):
        return (type(self), (self.day,))

    def in_language(self) -> str:
        from cvm_core import formatting

        return formatting.date(self.day)


class Month(Date):
    """A month in a :class:`Message`: 'December 2024' in English, 'Dez. 2024' in German."""

    english = "{:%B %Y}"

    def in_language(self) -> str:
        from cvm_core import formatting

        return formatting.month(self.day)


def _message(cls: type, template: str, values: dict) -> Message:
    return cls(template, **values)


def _english(value: object) -> object:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value


def shown(text: object) -> str:
    """``text`` as the reader sees it: a :class:`Message` in the current language, anything else
    as it is (a plain str was written in the language it was made in)."""
    return text.in_language() if hasattr(text, "in_language") else str(text)


def error_text(error: BaseException) -> str:
    """An exception's message as the reader sees it: one raised with a :class:`Message` in the
    current language, any other as ``str(error)``."""
    return shown(error_message(error))


def error_message(error: BaseException) -> str:
    """An exception's message to keep and show later (a cached result, a message for the next
    run): its :class:`Message` when it was raised with one, else ``str(error)``."""
    args = getattr(error, "args", ())
    return args[0] if len(args) == 1 and isinstance(args[0], Message) else str(error)
