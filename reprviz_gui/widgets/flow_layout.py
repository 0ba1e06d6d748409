"""A layout that wraps its widgets onto the next line when the row is too narrow (Qt's flow
layout example), so a view's control bar never forces its dock wider than a small window allows.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget, QWidgetItem


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt API
        self._items.append(item)

    def addStretch(self, _stretch: int = 1) -> None:  # noqa: N802 - QBoxLayout's name
        """A break in the row: what follows goes to the right edge when there is room."""
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        spacer.setProperty("flow_stretch", True)
        self.addWidget(spacer)

    def insertWidget(self, index: int, widget: QWidget) -> None:  # noqa: N802 - QBoxLayout's
        """Put a widget at ``index`` (as QBoxLayout.insertWidget does)."""
        self.addChildWidget(widget)
        self._items.insert(max(0, min(index, len(self._items))), QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt API
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt API
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt API
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt API
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        w = sum(i.sizeHint().width() + self.spacing() for i in self._visible())
        h = max((i.sizeHint().height() for i in self._visible()), default=0)
        return QSize(w, h)

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt API
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        m: QMargins = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if i.widget() is None or not i.widget().isHidden()]

    def _arrange(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_h = area.x(), area.y(), 0
        line: list[tuple[QLayoutItem, QSize]] = []

        def flush(last: bool) -> None:
            # a stretch item takes the row's spare width, pushing what follows to the right
            if not apply or not line:
                return
            used = sum(s.width() for _, s in line) + self.spacing() * (len(line) - 1)
            spare = max(0, area.width() - used)
            stretches = [i for i, _ in line if i.widget() is not None
                         and i.widget().property("flow_stretch")]
            cx = area.x()
            for item, size in line:
                w = size.width() + (spare // len(stretches) if item in stretches else 0)
                item.setGeometry(QRect(QPoint(cx, line_y), QSize(w, line_h)))
                cx += w + self.spacing()

        line_y = y
        for item in self._visible():
            size = item.sizeHint()
            if item.widget() is not None and item.widget().property("flow_stretch"):
                size = QSize(0, 0)
            if line and x + size.width() > area.right() + 1:
                flush(False)
                line = []
                x, y = area.x(), y + line_h + self.spacing()
                line_y, line_h = y, 0
            line.append((item, size))
            x += size.width() + self.spacing()
            line_h = max(line_h, size.height())
        flush(True)
        return y + line_h - rect.y() + m.bottom()
