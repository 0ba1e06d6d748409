"""How many BLAS / OpenMP threads the heavy numeric steps of a map may use.

OpenBLAS and OpenMP threads wait for work by spinning. On a machine whose cores are already busy
(two cores shared with other work, or the window's training beside the map child) a second
spinning thread slowed the steps it was meant to speed up, measured on all 70,000 Fashion-MNIST
images at a load average of 7 on two cores: the PCA to 50 components 0.4 s with one thread,
2.8 s with two; faiss's neighbour search 4.1 s with one, 13.3 s with two. So the steps use the
cores the load average leaves free, at least one (every core where there is no load average).
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator


def free_cores() -> int:
    """The cores the 1-minute load average leaves free, counting this process's own (one run
    queue entry) as free: at least 1, at most ``os.cpu_count()``."""
    n = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows: no load average, the libraries' default
        return n
    return max(1, min(n, int(n + 1 - load)))


@contextlib.contextmanager
def numeric_threads(threads: int | None = None) -> Iterator[int]:
    """While active, BLAS and OpenMP libraries (numpy's, scipy's, faiss's) use at most
    ``threads`` threads (default ``free_cores()``), never more than a limit already in force
    around the call; yields the number."""
    import importlib

    from threadpoolctl import threadpool_info, threadpool_limits

    with contextlib.suppress(ImportError):  # loaded first, so its OpenMP runtime is limited too
        importlib.import_module("faiss")
    threads = free_cores() if threads is None else max(1, int(threads))
    threads = min([threads] + [int(lib["num_threads"]) for lib in threadpool_info()])
    with threadpool_limits(limits=threads):
        yield threads
