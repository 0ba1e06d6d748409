"""Refuse requests that would not fit in memory, before allocating anything.

A cosine matrix of N samples is N×N float32: 1,000 samples need 4 MB, 50,000 need 9.3 GiB. Rather
than letting numpy (or the operating system) kill the app halfway, callers ask ``check_fits`` first
and the user gets one clear line telling them to choose fewer samples.

The budget is min(40 % of the memory available now, 4 GiB). ``REPRVIZ_MEMORY_LIMIT_MB`` overrides
it (tests use a tiny value; a user on a big machine can raise it). Memory is read from
``/proc/meminfo`` (Linux's "available", which counts reclaimable cache) or ``os.sysconf``; no
psutil dependency. Where neither works (Windows) the budget is the 4 GiB cap.
"""

from __future__ import annotations

import os

from .errors import ReprvizError, ResourceLimitError

ENV_LIMIT = "REPRVIZ_MEMORY_LIMIT_MB"
FRACTION_OF_AVAILABLE = 0.40
HARD_CAP_BYTES = 4 * 1024**3

_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(n_bytes: float) -> str:
    """Human-readable size in binary units: ``format_bytes(3 * 1024**3) == '3.0 GiB'``."""
    n = float(n_bytes)
    if n < 1024:
        return f"{int(n)} bytes" if n != 1 else "1 byte"
    for unit in _UNITS[1:]:
        n /= 1024.0
        if n < 1024 or unit == _UNITS[-1]:
            return f"{n:.1f} {unit}"
    return f"{n:.1f} {_UNITS[-1]}"  # pragma: no cover - loop always returns


def available_memory_bytes() -> int | None:
    """Memory the process could still get now, or None if the platform does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        try:
            pages = os.sysconf("SC_AVPHYS_PAGES")
        except (ValueError, OSError):
            pages = os.sysconf("SC_PHYS_PAGES") // 2  # macOS: no "available"; assume half free
        if page > 0 and pages > 0:
            return int(page) * int(pages)
    except (AttributeError, ValueError, OSError):
        pass
    return None


def memory_budget_bytes() -> int:
    """The most a single request may allocate (see the module docstring)."""
    raw = os.environ.get(ENV_LIMIT, "").strip()
    if raw:
        try:
            mb = float(raw)
        except ValueError:
            mb = -1.0
        if not mb > 0 or mb != mb or mb == float("inf"):
            raise ReprvizError(
                f"{ENV_LIMIT} must be a positive number of megabytes, not {raw!r}")
        return max(1, int(mb * 1024 * 1024))
    available = available_memory_bytes()
    if available is None:
        return HARD_CAP_BYTES
    return int(min(FRACTION_OF_AVAILABLE * available, HARD_CAP_BYTES))


def check_fits(n_bytes: int | float, what: str) -> None:
    """Raise ``ResourceLimitError`` if allocating ``n_bytes`` for ``what`` exceeds the budget.

    ``what`` names the thing: ``"cosine matrix of 50,000 samples"`` (lower case: the message
    says "The cosine matrix ... would need") or ``"Reading x.csv"`` (used as the subject).
    """
    limit = memory_budget_bytes()
    if n_bytes > limit:
        what = str(what).strip()
        # "cosine matrix of N samples" -> "The cosine matrix ..."; "Reading x.csv" stays as is
        subject = f"The {what}" if what[:1].islower() else what
        raise ResourceLimitError(
            f"{subject} would need {format_bytes(n_bytes)}; the limit is {format_bytes(limit)} "
            f"— choose fewer samples (or set {ENV_LIMIT} to allow more)")


def max_square_samples(bytes_per_cell: int = 4, matrices: int = 1) -> int:
    """The largest N whose ``matrices`` N×N arrays of ``bytes_per_cell`` fit the budget
    (for a GUI that wants to cap its sample spin box)."""
    limit = memory_budget_bytes()
    return int((limit / (bytes_per_cell * max(1, matrices))) ** 0.5)
