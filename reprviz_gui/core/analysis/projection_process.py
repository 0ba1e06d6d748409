"""Slow projections (MDS, t-SNE, UMAP) in a long-lived child process.

Why a process and not a thread: numba (UMAP) compiles with its own LLVM, and doing that while
TensorFlow traces a graph on another thread of the same process segfaulted (seen in the window:
llvmlite's pass manager on one thread, TF's ``graph_def_versions`` on the other). A child
process isolates them, runs truly in parallel with training, can be cancelled at once by
terminating it, and never holds up closing the window. The child stays alive, so imports are
paid once per session (``start`` / ``warm_up``), not per map; UMAP's numba code is also cached
on disk per user (``jit_cache``), so a later launch loads it instead of compiling it.

While a t-SNE or UMAP layout optimises, the child sends it about twice a second
(``on_layout(coords, fraction)``), so the window can draw the map as it forms.

The child keeps what its last few UMAP maps were fitted on, so your own input is placed on a
UMAP map by umap's own ``transform`` here (``transform_in_process``; ``umap_transform``).

Messages cross a multiprocessing pipe between this app and its own child; no user file is ever
unpickled here.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
import traceback
from typing import Any, Optional

import numpy as np

from .. import errors
from ..errors import Cancelled, ReprvizError
from ..progress import ProgressFn, StopFn, report
from .layouts import LayoutFn

_POLL_S = 0.05


def _serve(conn: Any) -> None:
    """The child's loop: answer requests until told to stop or the pipe closes."""
    from .jit_cache import use_persistent_numba_cache

    use_persistent_numba_cache()  # before anything imports numba
    from .. import analysis
    from . import umap_transform
    from .projection import warm_up

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        kind = request[0]
        if kind == "stop":
            return
        try:
            if kind == "warmup":
                methods = tuple(request[1]) if len(request) > 1 else ("umap",)
                conn.send(("result", warm_up(methods)))
            elif kind == "modules":  # what the child has imported (tests: never TF or Qt)
                import sys

                conn.send(("result", sorted(sys.modules)))
            elif kind == "project":
                _, a, method, seed, params, want_layout = request

                def on_progress(p: Any) -> None:
                    conn.send(("progress", p))

                def on_layout(coords: np.ndarray, fraction: float) -> None:
                    conn.send(("layout", coords, fraction))

                def on_fitted(fit: Any) -> None:  # kept for placing new rows on this map
                    umap_transform.keep(umap_transform.fit_key(
                        umap_transform.digest(a), a.shape, seed, params), fit)

                conn.send(("result", analysis.project(
                    a, method, seed=seed, on_progress=on_progress,
                    on_layout=on_layout if want_layout else None, on_fitted=on_fitted,
                    **params)))
            elif kind == "transform":  # new rows on a UMAP map (None: send the activations)
                _, key, coords, rows, a, seed, params = request
                conn.send(("result", umap_transform.transform(key, coords, rows, a, seed,
                                                              params)))
            else:
                conn.send(("error", "ReprvizError", f"unknown request {kind!r}", ""))
        except ReprvizError as exc:
            conn.send(("error", type(exc).__name__, str(exc), ""))
        except MemoryError:
            conn.send(("error", "ResourceLimitError",
                       "Out of memory while computing the map: choose fewer samples.", ""))
        except Exception as exc:  # a bug: let the parent show it with details
            conn.send(("error", "", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


class ProjectionProcess:
    """One child process, one request at a time (callers are serialised by a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: Optional[Any] = None
        self._conn: Optional[Any] = None

    # --- lifecycle ------------------------------------------------------------------------
    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        ctx = mp.get_context("spawn")  # never fork a process that has Qt and TF threads
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child,), name="reprviz-projections",
                           daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent

    def close(self, timeout: float = 1.0) -> None:
        """Stop the child (at once if it is busy)."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if proc is None:
            return
        try:
            conn.send(("stop",))
        except (OSError, ValueError):
            pass
        proc.join(timeout)
        if proc.is_alive():
            proc.terminate()
            proc.join(1.0)
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)  # reaped: is_alive() is False once close() returns
        conn.close()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    # --- requests -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the child now (it imports numpy/scikit-learn while the caller goes on)."""
        with self._lock:
            self._ensure_started()

    def warm_up(self, should_stop: StopFn | None = None,
                methods: tuple[str, ...] = ("umap",)) -> float:
        """Start the child and pay the start-up cost of ``methods`` there (imports; UMAP's
        numba code: compiled on a machine's first launch, loaded from disk after). Returns the
        child's seconds."""
        return float(self._call(("warmup", tuple(methods)), None, should_stop))

    def loaded_modules(self) -> list[str]:
        """Names of the modules imported in the child (``sorted(sys.modules)``)."""
        return list(self._call(("modules",), None, None))

    def project(self, a: np.ndarray, method: str, seed: int = 0,
                on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                on_layout: Optional[LayoutFn] = None, **params: Any) -> Any:
        """``analysis.project`` in the child; ``on_layout(coords, fraction)`` is called here
        (on the caller's thread) with the layout while it optimises."""
        a = np.ascontiguousarray(a, dtype=np.float32)
        request = ("project", a, method, int(seed), params, on_layout is not None)
        return self._call(request, on_progress, should_stop, on_layout)

    def transform(self, a: np.ndarray, coords: np.ndarray, rows: np.ndarray, seed: int = 0,
                  params: Optional[dict] = None, should_stop: StopFn | None = None) -> dict:
        """``rows`` placed on the UMAP map ``coords`` of ``a`` by umap's ``transform`` in the
        child (``umap_transform.transform``): against the fit the child kept from computing
        that map, else one refitted there on ``a`` (sent only then)."""
        from . import umap_transform

        params = dict(params or {})
        key = umap_transform.fit_key(_digest_of(a), np.shape(a), seed, params)
        coords = np.ascontiguousarray(coords, dtype=np.float32)
        rows = np.ascontiguousarray(np.atleast_2d(rows), dtype=np.float32)
        out = self._call(("transform", key, coords, rows, None, int(seed), params), None,
                         should_stop)
        if out is None:  # not kept there: send the activations once, to refit on
            a32 = np.ascontiguousarray(a, dtype=np.float32)
            out = self._call(("transform", key, coords, rows, a32, int(seed), params), None,
                             should_stop)
        return out

    def _acquire(self, should_stop: StopFn | None) -> None:
        """Wait for the child (another lane may be mapping), checking ``should_stop``."""
        while not self._lock.acquire(timeout=_POLL_S):
            if should_stop is not None and should_stop():
                raise Cancelled("Cancelled by the user.")

    def _call(self, request: tuple, on_progress: ProgressFn | None,
              should_stop: StopFn | None, on_layout: Optional[LayoutFn] = None) -> Any:
        self._acquire(should_stop)
        try:
            return self._call_locked(request, on_progress, should_stop, on_layout)
        finally:
            self._lock.release()

    def _call_locked(self, request: tuple, on_progress: ProgressFn | None,
                     should_stop: StopFn | None, on_layout: Optional[LayoutFn] = None) -> Any:
        self._ensure_started()
        conn, proc = self._conn, self._proc
        conn.send(request)
        while True:
            if should_stop is not None and should_stop():
                # the only way to interrupt numba or sklearn mid-call; restarted lazily
                self.close(timeout=0.0)
                raise Cancelled("Cancelled by the user.")
            try:
                ready = conn.poll(_POLL_S)
                message = conn.recv() if ready else False
            except (EOFError, OSError, ValueError):  # closed under us (app closing)
                message = None
            if message is not False:
                if message is None:
                    if should_stop is not None and should_stop():
                        raise Cancelled("Cancelled by the user.")  # closed on purpose
                    return self._died(proc)
                kind = message[0]
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(message[1])
                elif kind == "layout":
                    if on_layout is not None:
                        on_layout(message[1], float(message[2]))
                elif kind == "result":
                    return message[1]
                elif kind == "error":
                    _, name, text, details = message
                    raise _rebuild_error(name, text, details)
            elif not proc.is_alive():
                return self._died(proc)

    def _died(self, proc: Any) -> Any:
        proc.join(0.5)  # collect it, or exitcode still reads None
        code = proc.exitcode
        self.close(timeout=0.0)
        raise ReprvizError(f"The map worker process stopped unexpectedly (exit code {code}); "
                           "try again, or choose fewer samples or PCA.")


def _rebuild_error(name: str, text: str, details: str) -> Exception:
    cls = getattr(errors, name, None) if name else None
    if isinstance(cls, type) and issubclass(cls, ReprvizError):
        return cls(text)
    return RuntimeError(text + ("\n\n" + details if details else ""))


_digests: dict[tuple, tuple[str, np.ndarray]] = {}  # (id, shape) -> (digest, the array)


def _digest_of(a: np.ndarray) -> str:
    """``umap_transform.digest`` of the map's activations, computed once per array (each
    stroke of a drawing places one row on the same map)."""
    from .umap_transform import digest

    key = (id(a), np.shape(a))
    hit = _digests.get(key)
    if hit is None or hit[1] is not a:
        _digests.clear()  # one map at a time: the one shown
        _digests[key] = hit = (digest(a), a)  # the array kept so its id stays its own
    return hit[0]


_shared: Optional[ProjectionProcess] = None
_shared_lock = threading.Lock()


def shared_process() -> ProjectionProcess:
    """The app's one projection process (started on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ProjectionProcess()
        return _shared


def close_shared_process(timeout: float = 1.0) -> None:
    """Stop the child; a busy one is terminated after ``timeout`` seconds (the window closing
    passes a short one: a map nobody will see is not worth waiting for)."""
    global _shared
    with _shared_lock:
        proc, _shared = _shared, None
    if proc is not None:
        proc.close(timeout)


def project_in_process(a: np.ndarray, method: str, seed: int = 0,
                       on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                       on_layout: Optional[LayoutFn] = None, **params: Any) -> Any:
    """``analysis.project`` for the slow methods, in the child process; PCA stays here."""
    if method == "pca":
        from .projection import project

        return project(a, method, seed=seed, on_progress=on_progress, should_stop=should_stop,
                       **params)
    from .projection import METHOD_LABELS

    label = METHOD_LABELS.get(method, method.upper())
    report(on_progress, "project", 0.0, f"Computing the {label} map…")
    started = time.monotonic()
    result = shared_process().project(a, method, seed, on_progress, should_stop, on_layout,
                                      **params)
    report(on_progress, "project", 1.0, f"{label} map in {time.monotonic() - started:.1f} s")
    return result


def transform_in_process(a: np.ndarray, coords: np.ndarray, rows: np.ndarray, seed: int = 0,
                         params: Optional[dict] = None, should_stop: StopFn | None = None
                         ) -> dict:
    """umap's ``transform`` of ``rows`` onto the UMAP map ``coords`` of ``a``, in the child
    (``ProjectionProcess.transform``)."""
    return shared_process().transform(a, coords, rows, seed, params, should_stop)
