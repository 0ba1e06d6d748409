"""Adding and removing a compared model, twice, then closing and deleting the window: once
crashed in QGraphicsScene::clear, because a view built after start-up took other views'
pyqtgraph menus for its own orphans (run in a subprocess: a crash must not end the suite)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_compare_twice_then_close_does_not_crash(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys, time
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["REPRVIZ_CONFIG_DIR"] = {str(tmp_path)!r}
        sys.path.insert(0, {str(__file__.rsplit('/', 1)[0])!r})
        from PySide6.QtCore import QCoreApplication, QEvent
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from gui_support import fast_settings, layer_result, pending, session
        from reprviz_gui.main_window import MainWindow
        from reprviz_gui.workspace.controller import Controller

        def wait(pred, t=180):
            end = time.monotonic() + t
            while not pred():
                assert time.monotonic() < end, "timed out"
                app.processEvents(); time.sleep(0.01)

        def flush():
            for _ in range(3):
                QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                app.processEvents()

        win = MainWindow(Controller(fast_settings()), remember=False)
        win.show(); win.start()
        c = win.controller
        wait(lambda: layer_result(win) is not None)
        for _ in range(2):
            c.add_comparison("lenet")
            wait(lambda: "B" in c.workspace.sessions and not session(win, "B").building
                 and layer_result(win, "B") is not None)
            wait(lambda: not pending(win))
            c.remove_comparison()
            flush()
            c.select_layer("hidden_1")
            wait(lambda: not pending(win))
        win.close(); win.deleteLater(); flush()
        print("closed cleanly", flush=True)
        os._exit(0)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "closed cleanly" in proc.stdout
