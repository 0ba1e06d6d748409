"""Issue 19, 1.11: the time left in a training run (the first epoch's estimate was 3× off).
A fake clock plays a run whose batches, epoch boundaries and one-off graph tracing cost known
times; the estimate is compared with the time that really remains."""

from __future__ import annotations

import math

import pytest

from reprviz_gui.core.model.eta import TrainingEta
from reprviz_gui.widgets.activity_bar import format_eta

BATCH, BOUNDARY, TRACE, WARM = 0.1, 0.5, 1.0, 0.4  # seconds


def play(epochs: int, batches: int):
    """(estimate, true time left) after every batch of a run: the first two batches are slow
    (warm-up), each epoch boundary costs BOUNDARY, the first one TRACE more (the validation
    graph is traced), reported through ``one_off`` as the training callback does."""
    now = [0.0]
    eta = TrainingEta(epochs, batches, clock=lambda: now[0])
    events = []
    for e in range(1, epochs + 1):
        for b in range(1, batches + 1):
            now[0] += BATCH + (WARM if e == 1 and b <= 2 else 0.0)
            eta.batch_done(e, b)
            events.append((e, b, eta.seconds_left(), now[0]))
        now[0] += BOUNDARY + (TRACE if e == 1 else 0.0)
        if e == 1:
            eta.one_off(TRACE)
    end = now[0] - BOUNDARY  # the last boundary (validation) counted once below
    return [(e, b, est, end + BOUNDARY - t) for e, b, est, t in events]


def test_first_epoch_says_estimating_then_the_estimate_is_right():
    events = play(epochs=5, batches=40)
    first = [est for e, b, est, _ in events if e == 1]
    assert all(math.isnan(x) for x in first)  # no guess from warm-up batches alone
    for e, b, est, left in events:
        if e >= 2 and not (e == 5 and b == 40):
            assert est == pytest.approx(left, rel=0.02), (e, b)
    assert events[-1][2] == 0.0


def test_one_epoch_runs_estimate_from_steady_batches():
    events = play(epochs=1, batches=40)
    est = {b: x for _, b, x, _ in events}
    assert math.isnan(est[2]) and math.isnan(est[3])  # too few intervals yet
    # 30 batches left of 0.1 s, plus the final validation pass this run has not measured
    assert est[10] == pytest.approx(30 * BATCH, rel=0.01)


def test_the_status_bar_says_it_is_estimating():
    assert format_eta(math.nan) == "estimating time left…"
    assert format_eta(None) == "" and format_eta(12.4) == "about 12 s left"
