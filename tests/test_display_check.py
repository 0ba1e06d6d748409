"""Issue 19, 1.2: on a Linux without the X11 libraries Qt's xcb plugin needs, the window says
which packages to install (one line, exit 2) instead of Qt aborting with exit 134."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reprviz_gui import cli, display_check

ROOT = Path(__file__).resolve().parents[1]
X11 = {"DISPLAY": ":0"}


def test_missing_xcb_cursor_is_one_line_naming_the_package(monkeypatch, capsys):
    monkeypatch.setattr(display_check, "loadable", lambda lib: lib != "libxcb-cursor.so.0")
    for key in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(sys, "platform", "linux")
    assert cli.main([]) == 2  # before any QApplication or window is made
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "apt-get install libxcb-cursor0" in err[0] and "libxcb-cursor.so.0" in err[0]
    assert "icccm" not in err[0]  # only what is missing


@pytest.mark.parametrize("env, uses_xcb", [
    (X11, True),
    ({**X11, "QT_QPA_PLATFORM": "xcb"}, True),
    ({**X11, "QT_QPA_PLATFORM": "offscreen"}, False),
    ({**X11, "WAYLAND_DISPLAY": "wayland-0"}, False),  # Qt prefers Wayland there
    ({**X11, "WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, True),
    ({}, False),  # no display: Qt's own message says so
])
def test_only_an_xcb_start_is_checked(env, uses_xcb):
    nothing = lambda lib: False  # noqa: E731 - every library missing
    assert bool(display_check.missing_packages(env, nothing)) == uses_xcb
    assert display_check.missing_packages(env, nothing, ) == (
        list(display_check.XCB_LIBRARIES.values()) if uses_xcb else [])
    assert not display_check.will_use_xcb(X11, platform="darwin")


def test_every_package_present_starts_normally():
    assert display_check.display_problem(X11, lambda lib: True) == ""


@pytest.mark.skipif(not sys.platform.startswith("linux")
                    or not display_check.missing_packages(X11),
                    reason="this machine has every library the xcb plugin needs")
def test_this_machine_says_what_to_install_instead_of_aborting(tmp_path):
    """Where libraries really are missing (as on this build machine): the real start-up, in a
    child process, exits 2 with the line; before the check Qt aborted with 134."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env.update(DISPLAY=":97", REPRVIZ_CONFIG_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "apt-get install" in done.stderr and len(done.stderr.strip().splitlines()) == 1
