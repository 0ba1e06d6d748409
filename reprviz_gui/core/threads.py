"""How many BLAS / OpenMP threads the heavy numeric steps of a map may use.

OpenBLAS and OpenMP threads wait for work by spinning. On a machine whose cores are already busy
(two cores shared with other work, or the window's training beside the map child) a second
spinning thread slowed the steps it was meant to speed up, measured on all 70,000 Fashion-MNIST
images at a load average of 7 on two cores: the PCA to 50 components 0.4 s with one thread,
2.8 s with two; faiss's neighbour search 4.1 s with one, 13.3 s with two. So the steps use half
the machine's cores (one on two cores), leaving the rest to training and the window.

The number is fixed for a machine, not read from the load average: the thread count changes the
order of BLAS / OpenMP sums and so the map (a t-SNE or UMAP of the same rows differed by tens of
units between one and two threads), and a map must be the same whenever it is made with the same
seed. For the same reason the libraries are loaded before the limit is set: a library loaded
inside the block is not limited, and the first map of a process differed from the next ones.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from typing import Iterator

# the libraries whose BLAS / OpenMP pools the map steps use, loaded before limiting them
_POOLS = ("faiss", "sklearn.decomposition", "sklearn.neighbors", "openTSNE")


def map_threads(cpu_count: int | None = None) -> int:
    """Threads for a map's numeric steps: half the cores, at least one (one on two cores)."""
    n = (os.cpu_count() or 1) if cpu_count is None else int(cpu_count)
    return max(1, n // 2)


@contextlib.contextmanager
def numeric_threads(threads: int | None = None) -> Iterator[int]:
    """While active, BLAS and OpenMP libraries (numpy's, scipy's, faiss's, openTSNE's) use at
    most ``threads`` threads (default ``map_threads()``), never more than a limit already in
    force around the call; yields the number."""
    from threadpoolctl import threadpool_info, threadpool_limits

    for name in _POOLS:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    threads = map_threads() if threads is None else max(1, int(threads))
    threads = min([threads] + [int(lib["num_threads"]) for lib in threadpool_info()])
    with threadpool_limits(limits=threads):
        yield threads
