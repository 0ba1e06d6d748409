"""Time left in a training run, from steady-state batches plus what each epoch boundary costs.

The first estimate was the mean time per batch since the first batch. It was wrong by up to 3×:
early batches run slower than the steady state (allocation, kernel warm-up), and the time an
epoch spends outside its batches — the validation pass (whose first run traces its own graph),
a retrace for the last, smaller batch, the next epoch's data iterator — was spread over the
batches of the epochs after it (too high) or left out in the first epoch (too low). Measured on
the default model and data: 0.43× the real time left late in epoch 1, 2.2× early in epoch 2.

Now: a batch costs the mean of the recent batch-to-batch intervals inside an epoch, an epoch
boundary costs what the last one measured; until one boundary has been seen the estimate is
NaN ("estimating…") unless the run has a single epoch.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from typing import Callable, Optional

RECENT = 50  # batch intervals the median is taken over
MIN_INTERVALS = 3  # intervals needed before a batch rate is trusted
WARMUP_BATCHES = 3  # the run's first batches run slow (measured): not the steady state


class TrainingEta:
    """Fed every batch end (``batch`` 1-based within the epoch, ``epoch`` 1-based) and every
    epoch end; ``seconds_left()`` is the estimate, NaN while estimating, 0 at the end."""

    def __init__(self, epochs: int, batches: int,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.epochs, self.batches = max(1, int(epochs)), max(1, int(batches))
        self._clock = clock
        self._intervals: deque[float] = deque(maxlen=RECENT)
        self._last_batch_end: Optional[float] = None
        self._boundary: Optional[float] = None  # seconds an epoch spends outside its batches
        self._epoch, self._batch = 1, 0
        self._one_off = 0.0  # seconds of the coming boundary that will not recur

    def one_off(self, seconds: float) -> None:
        """Part of the coming epoch boundary happens once (the first validation batch traces
        the evaluation graph): left out of what later boundaries are expected to cost."""
        self._one_off += max(0.0, float(seconds))

    def batch_done(self, epoch: int, batch: int) -> None:
        now = self._clock()
        if self._last_batch_end is not None:
            gap = now - self._last_batch_end
            if batch > 1 and not (epoch == 1 and batch <= WARMUP_BATCHES):
                self._intervals.append(gap)
            elif epoch > self._epoch and self._intervals:
                # the first batch of a new epoch: the gap holds one batch plus the boundary
                self._boundary = max(0.0, gap - self._rate() - self._one_off)
                self._one_off = 0.0
        self._last_batch_end = now
        self._epoch, self._batch = epoch, batch

    def _rate(self) -> float:
        return statistics.fmean(self._intervals)  # the mean: slow outliers cost time too

    def seconds_left(self) -> float:
        if self._epoch >= self.epochs and self._batch >= self.batches:
            return 0.0
        if len(self._intervals) < MIN_INTERVALS:
            return math.nan
        # epoch ends still to come, this epoch's included (its validation pass)
        boundaries = self.epochs - self._epoch + 1
        if self.epochs > 1 and self._boundary is None:
            return math.nan  # what an epoch end costs is not known yet
        batches_left = (self.epochs - self._epoch) * self.batches + (self.batches - self._batch)
        return batches_left * self._rate() + boundaries * (self._boundary or 0.0)


__all__ = ["TrainingEta"]
