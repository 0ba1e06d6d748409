"""Before the window opens on Linux/X11: are the system libraries Qt's xcb plugin needs there?

PySide6's wheels bring Qt but not every X11 library its xcb platform plugin links to. On a plain
Ubuntu/Debian `libxcb-cursor0` is missing (minimal images also lack `libxcb-icccm4`,
`libxcb-keysyms1`, ...); Qt then aborts (exit 134) with a message about plugins that names none
of them. This check runs before the QApplication exists and names the packages to install.
No Qt here: it must run before Qt can abort.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Callable, Mapping

# the shared libraries libqxcb.so needs beyond libxcb itself, and the Debian/Ubuntu package of
# each (read off `ldd libqxcb.so libQt6XcbQpa.so.6`, PySide6 6.x)
XCB_LIBRARIES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


def loadable(library: str) -> bool:
    """Whether the dynamic loader finds ``library`` (as Qt's plugin loader would)."""
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def will_use_xcb(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Qt will pick its xcb plugin: Linux, ``QT_QPA_PLATFORM`` unset or xcb, an X display, and
    not a Wayland session left to Qt's choice (it prefers Wayland there)."""
    if not platform.startswith("linux"):
        return False
    qpa = env.get("QT_QPA_PLATFORM", "").strip().lower()
    if qpa:
        return qpa.split(":")[0].split(";")[0] == "xcb" and bool(env.get("DISPLAY"))
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return False
    return bool(env.get("DISPLAY"))


def missing_packages(env: Mapping[str, str] | None = None,
                     probe: Callable[[str], bool] | None = None) -> list[str]:
    """The Debian/Ubuntu packages to install before the window can open; [] when it can (or
    when Qt will not use xcb at all: Wayland, offscreen, macOS, Windows)."""
    if not will_use_xcb(os.environ if env is None else env):
        return []
    probe = probe or loadable
    return [package for library, package in XCB_LIBRARIES.items() if not probe(library)]


def display_problem(env: Mapping[str, str] | None = None,
                    probe: Callable[[str], bool] | None = None) -> str:
    """One line saying why the window cannot open here, or "" when it can."""
    packages = missing_packages(env, probe)
    if not packages:
        return ""
    return (f"the window needs X11 libraries that are not installed: "
            f"`sudo apt-get install {' '.join(packages)}` on Debian/Ubuntu (other systems: "
            "the packages that provide " + ", ".join(
                lib for lib, pkg in XCB_LIBRARIES.items() if pkg in packages)
            + "); `reprviz analyze` works without them")


__all__ = ["XCB_LIBRARIES", "display_problem", "loadable", "missing_packages", "will_use_xcb"]
