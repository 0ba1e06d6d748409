"""User-facing errors.

Every problem a user can cause (a bad file, a model that does not fit, a request too big for
memory) is raised as a ``ReprvizError`` subclass whose message is one clear line naming the file
and the problem. The CLI prints that line and exits 2; the window shows it in a dialog. Anything
else that escapes is a bug and is shown with its traceback as "details".
"""

from __future__ import annotations

import re

# Characters a terminal acts on instead of showing (ESC starts ANSI sequences that recolour,
# retitle or clear it), C1 controls, and the bidi overrides that reorder what is shown.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """``text`` safe to print: control characters from a file (a class name, a CSV cell, a
    file name) shown escaped as ``\\x1b`` instead of reaching the terminal raw."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                            str(text))



class ReprvizError(Exception):
    """A problem the user can understand and fix. ``str(err)`` is one line."""

    category = "error"

    def __init__(self, message: str, *, hint: str = "") -> None:
        # Messages must be one line: the CLI promises a single stderr line.
        message = printable(" ".join(str(message).split()))
        super().__init__(message)
        self.hint = hint


# --- data ---------------------------------------------------------------------------------
class DataError(ReprvizError):
    """A data file or folder cannot be used."""

    category = "data"


class FileFormatError(DataError):
    """The file is not what its name or the chosen loader says (wrong magic, not an image, ...)."""

    category = "format"


class CorruptFileError(DataError):
    """The file is damaged: truncated gzip, fewer bytes than the header promises, ..."""

    category = "corrupt"


class EmptyDataError(DataError):
    """The file or folder holds no samples."""

    category = "empty"


class LabelError(DataError):
    """Labels do not match the samples: count differs, values out of range, unknown label."""

    category = "labels"


class ValueDataError(DataError):
    """Cells are not numbers, or are NaN/inf."""

    category = "values"


class ShapeDataError(DataError):
    """Rows of different lengths, mixed image sizes, a shape option that does not fit."""

    category = "shape"


class UnsafeFileError(DataError):
    """The file needs pickle (arbitrary code) to load and the user did not explicitly allow it."""

    category = "unsafe"


# --- models -------------------------------------------------------------------------------
class ModelError(ReprvizError):
    """A model cannot be built, loaded or used."""

    category = "model"


class ModelFileError(ModelError):
    """A ``.keras``/``.h5`` file is corrupt or not a model."""

    category = "model-file"


class UnsafeModelError(ModelError):
    """The model contains code (e.g. a Lambda layer); loading it needs the user's explicit trust."""

    category = "unsafe-model"


class ShapeMismatchError(ModelError):
    """The model's input does not fit the dataset's samples."""

    category = "mismatch"


class UnknownLayerError(ModelError):
    """A layer name or index that the model does not have."""

    category = "layer"


# --- requests -----------------------------------------------------------------------------
class ResourceLimitError(ReprvizError):
    """The request would not fit in memory; refused before allocating anything."""

    category = "memory"


class Cancelled(ReprvizError):
    """The user pressed Cancel. Not an error to show; workers turn it into a 'cancelled' signal."""

    category = "cancelled"
