"""The project's own exceptions.

Every failure a user can cause is raised as a subclass of :class:`CvmError` whose message says what
is wrong and what to do, in words a business user understands. The message is English; one made
as an :class:`~cvm_core.i18n.Message` is shown in the reader's language
(:func:`cvm_core.i18n.error_text`), any other as it is.
"""

from __future__ import annotations


class CvmError(Exception):
    """Base class: a problem with the user's input or settings, with a message fit to show them."""


class ReadError(CvmError):
    """The file could not be read as a table (format, encoding, damage, size, security)."""


class MappingError(CvmError):
    """The columns could not be mapped to the roles the analysis needs."""


class ValidationError(CvmError):
    """No usable rows were left after validation, or a setting contradicts the data.

    Attributes
    ----------
    rejected : DataFrame or None
        When no row could be used: every row with its reason and row number in the file, so the
        user can download them and see what is wrong (nothing is lost, even in failure).
    """

    def __init__(self, message: str, rejected=None) -> None:
        super().__init__(message)
        self.rejected = rejected


class AmbiguousDateOrderError(ValidationError):
    """A date column reads equally well day-first and month-first; the user must choose.

    Attributes
    ----------
    column : str
        The source column.
    examples : list[str]
        A few values that can be read both ways, to show the user.
    """

    def __init__(self, column: str, examples: list[str]):
        self.column = column
        self.examples = examples
        from cvm_core.i18n import N_, Message

        super().__init__(
            Message(
                N_("The dates in column '{column}' can be read day-first or month-first "
                   "(for example {examples}). Please choose which one your file uses."),
                column=column, examples=", ".join(examples[:4]),
            )
        )  # fmt: skip


class ModelError(CvmError):
    """A model could not be fitted to the data in a meaningful way."""
