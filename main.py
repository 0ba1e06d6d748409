"""Start reprviz: `python main.py` opens the window; `python main.py analyze ...` runs headless."""

from reprviz_gui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
