"""Serving products to views: from the store when possible, otherwise computed on a lane.

For every (product kind, session) a visible view needs, the scheduler works out the key that
describes what should be shown now (``Product.params`` + the workspace's tag), serves it from the
``ResultStore`` or submits a job, chains the products it is computed from (a map needs its
layer), shows a cheap preview meanwhile (the PCA map before UMAP), and on arrival checks the
result's tag against the workspace: a result for data or weights no longer shown is dropped, a
result still current but no longer asked for is kept for later (switching back is instant).

Qt-free and narrow: it reads the ``Workspace``, submits jobs through ``submit(lane, job)``, and
says what to draw through its own (psygnal) signals ``ready``, ``busy`` and ``unavailable``; the
controller forwards lane results to ``finished`` / ``partial`` / ``ended_without_result``. Unit
tests drive it with a fake lane (tests/test_scheduler.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Optional

from psygnal import Signal

from ..workers.lane import Job, JobFailure, JobKind
from .products import REGISTRY, Product, ProductRequest, describe
from .results import ProjectionResult, ResultKey, ResultStore
from .state import Session, Workspace

Slot = tuple[str, str]  # (product kind, session id or "")
SubmitFn = Callable[[str, Job], Any]  # (lane name, job): queue the job on that lane
PushedFn = Callable[[str, Optional[Session]], Any]  # a pushed product's value (curves)


class ProductScheduler:
    ready = Signal(str, str, object)  # product kind, session id ("" = none), result
    busy = Signal(str, str, str)  # product kind, session id, message ("" = done)
    unavailable = Signal(str, str, str)  # product kind, session id, why

    def __init__(self, workspace: Workspace, submit: SubmitFn,
                 pushed: Optional[PushedFn] = None, store: Optional[ResultStore] = None) -> None:
        self.workspace = workspace
        self._submit = submit
        self._pushed = pushed or (lambda kind, session: None)
        self.store = store or ResultStore()
        self.wanted: set[Slot] = set()
        self.current: dict[Slot, ResultKey] = {}  # what each slot should show now
        self.shown: dict[Slot, ResultKey] = {}  # what each slot shows
        self.inflight: dict[ResultKey, Job] = {}
        self.waiting: dict[ResultKey, list[ResultKey]] = {}  # input -> products waiting on it

    # --- what views want ------------------------------------------------------------------
    def set_wanted(self, slots: set[Slot]) -> None:
        added = set(slots) - self.wanted
        self.wanted = set(slots)
        for slot in added:
            self.shown.pop(slot, None)
            self.serve(slot)

    def refresh(self, session_id: Optional[str] = None, kinds: Optional[set[str]] = None) -> None:
        """Serve every wanted slot (of one session / some kinds) for the workspace as it is."""
        for slot in sorted(self.wanted):
            kind, sid = slot
            if session_id is not None and sid not in (session_id, ""):
                continue
            if kinds is not None and kind not in kinds:
                continue
            self.serve(slot)

    def forget_shown(self) -> None:
        """The views were cleared (new dataset): everything must be drawn again."""
        self.shown.clear()
        self.current.clear()

    def drop_stale(self) -> None:
        """Forget results and cancel jobs whose tags no longer describe the workspace."""
        ws = self.workspace
        self.store.drop(ws.is_current)
        for key, job in list(self.inflight.items()):
            if not ws.is_current(key.tag):
                job.cancel()
        for key in [k for k in self.waiting if not ws.is_current(k.tag)]:
            del self.waiting[key]

    # --- serving --------------------------------------------------------------------------
    def key_for(self, kind: str, session: Optional[Session]) -> Optional[ResultKey]:
        spec = REGISTRY[kind]
        ws = self.workspace
        params = spec.params(ws, session)
        if params is None:
            return None
        tag = ws.tag(session if spec.per_session else None, spec.with_samples)
        return ResultKey.make(kind, tag, params)

    def serve(self, slot: Slot) -> None:
        kind, sid = slot
        spec = REGISTRY.get(kind)
        if spec is None:
            return
        ws = self.workspace
        session = ws.session(sid) if spec.per_session else None
        key = self.key_for(kind, session) if (session is not None or not spec.per_session) \
            else None
        if key is None:
            self.current.pop(slot, None)
            self.shown.pop(slot, None)
            self.busy.emit(kind, sid, "")
            self.unavailable.emit(kind, sid, spec.why_not(ws, session))
            return
        self.current[slot] = key
        if spec.compute is None:  # pushed by the controller (training curves): always redrawn
            self._show(slot, key, self._pushed(kind, session))
            return
        if self.shown.get(slot) == key:
            return
        hit = self.store.get(key)
        if hit is not None:
            self._show(slot, key, hit)
            return
        self._show_preview(slot, spec, key, session)
        self.busy.emit(kind, sid, spec.busy)
        self.request(key, session)

    def _show(self, slot: Slot, key: ResultKey, value: Any, preview: bool = False) -> None:
        if not preview:
            self.shown[slot] = key
            self.busy.emit(slot[0], slot[1], "")
        self.ready.emit(slot[0], slot[1], value)

    def _show_preview(self, slot: Slot, spec: Product, key: ResultKey,
                      session: Optional[Session]) -> None:
        if spec.preview is None:
            return
        params = spec.preview(dict(key.params))
        if params is None:
            return
        pkey = ResultKey.make(key.kind, key.tag, params)
        hit = self.store.get(pkey)
        if hit is not None:
            self._show(slot, key, _as_preview(hit), preview=True)
        else:
            self.request(pkey, session)

    # --- computing ------------------------------------------------------------------------
    def request(self, key: ResultKey, session: Optional[Session]) -> None:
        running = self.inflight.get(key)
        if running is not None and not running.cancelled:
            return  # already computing (a superseded job is cancelled: ask again)
        spec = REGISTRY[key.kind]
        ws = self.workspace
        inputs: dict[str, Any] = {}
        for name in spec.inputs:
            # "layer@B": that product of session B (a product made from both compared models)
            kind, _, sid = name.partition("@")
            isession = ws.session(sid) if sid else session
            ikey = self.key_for(kind, isession) if (isession is not None or sid == "") \
                else None
            if ikey is None:
                return
            hit = self.store.get(ikey)
            if hit is None:
                self.waiting.setdefault(ikey, [])
                if key not in self.waiting[ikey]:
                    self.waiting[ikey].append(key)
                self.request(ikey, isession)
                return
            inputs[name] = hit
        req = ProductRequest(key, ws.dataset, ws.samples,  # type: ignore[arg-type]
                             session.handle if session is not None else None, inputs)
        compute = spec.compute
        assert compute is not None
        params = dict(key.params)
        who = session.label if session is not None and len(ws.sessions) > 1 else ""
        job = Job(JobKind.PRODUCT, lambda op, st: compute(req, op, st),
                  describe(key, who), group=f"{key.kind}:{key.tag.session_id}",
                  payload=key, interrupt_on_supersede=spec.interrupt_running)
        self.inflight[key] = job
        self._submit(spec.lane_for(params), job)

    def finished(self, job: Job, result: Any) -> None:
        key: ResultKey = job.payload
        if self.inflight.get(key) is job:
            del self.inflight[key]
        ws = self.workspace
        if not ws.is_current(key.tag):
            self.waiting.pop(key, None)
            return  # made for data or weights no longer shown: never drawn
        self.store.put(key, result)
        for dependent in self.waiting.pop(key, []):
            session = ws.session(dependent.tag.session_id)
            # only what a view still wants: ``request`` takes its inputs from the workspace as
            # it is now, so a map asked for an earlier layer would be made from this one
            if ws.is_current(dependent.tag) and self._still_wanted(dependent):
                self.request(dependent, session)
        for slot, want in list(self.current.items()):
            if slot not in self.wanted:
                continue
            if want == key:
                self._show(slot, key, result)
            elif self.shown.get(slot) != want and _is_preview_of(key, want):
                self._show(slot, want, _as_preview(result), preview=True)

    def partial(self, job: Job, result: Any) -> None:
        """A result still forming (a map's layout while it optimises): drawn as a preview where
        exactly that result is wanted and not shown yet; never stored."""
        key: ResultKey = job.payload
        if result is None or job.cancelled or not self.workspace.is_current(key.tag):
            return
        for slot, want in list(self.current.items()):
            if slot in self.wanted and want == key and self.shown.get(slot) != key:
                self._show(slot, key, result, preview=True)

    def _still_wanted(self, key: ResultKey) -> bool:
        return any(slot in self.wanted and (want == key or _is_preview_of(key, want))
                   for slot, want in self.current.items())

    def ended_without_result(self, job: Job, failure: Optional[JobFailure]) -> bool:
        """A product job failed or was cancelled. Returns True when a view was waiting for it
        (the caller then reports a failure to the user)."""
        key: ResultKey = job.payload
        if self.inflight.get(key) is not job:
            return False  # superseded, and the key asked for again since: a newer job serves it
        del self.inflight[key]
        dependents = self.waiting.pop(key, [])
        affected = False
        for slot, want in list(self.current.items()):
            if want == key or want in dependents:
                affected = True
                self.busy.emit(slot[0], slot[1], "")
                spec = REGISTRY.get(want.kind)
                params = spec.preview(dict(want.params)) if spec and spec.preview else None
                if params is not None:  # the stand-in stays, no longer called a preview
                    hit = self.store.get(ResultKey.make(want.kind, want.tag, params))
                    if hit is not None:
                        self.ready.emit(slot[0], slot[1], hit)
                self.current.pop(slot, None)
                self.shown.pop(slot, None)
        return affected and self.workspace.is_current(key.tag)


def _is_preview_of(key: ResultKey, want: ResultKey) -> bool:
    spec = REGISTRY.get(want.kind)
    if spec is None or spec.preview is None or key.kind != want.kind or key.tag != want.tag:
        return False
    return spec.preview(dict(want.params)) == dict(key.params)


def _as_preview(result: Any) -> Any:
    return replace(result, preview=True) if isinstance(result, ProjectionResult) else result
