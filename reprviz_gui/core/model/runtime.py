"""Lazy, quiet access to TensorFlow/Keras.

Importing TensorFlow takes seconds, so nothing in ``core`` imports it at module level: the
window must open first. Call ``keras_module()`` inside the functions that need Keras.

TensorFlow 2.21 prints a handful of C++ start-up lines ("oneDNN custom operations are on",
"Could not find cuda drivers", "failed call to cuInit") before its own log settings apply, so
``TF_CPP_MIN_LOG_LEVEL`` alone cannot hide them. The first call therefore captures the process's
stderr while TensorFlow starts, drops exactly those start-up lines, and writes everything else
back to stderr. Set ``TF_CPP_MIN_LOG_LEVEL=0`` (or ``1``) to see all of TensorFlow's output.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import sys
import tempfile
import threading
from typing import Any

_lock = threading.Lock()
_keras: Any = None

# start-up chatter that says nothing to a user of this app
_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} .*"
    r"|E\d{4} .*(cuInit|cuda_platform|cuda_dnn|cuda_blas|cuda_fft|Unable to register).*)\s*$"
)


def _quiet_environment() -> bool:
    """Set quiet defaults; return whether start-up chatter should be filtered."""
    user_level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide INFO and WARNING from C++
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    return user_level not in ("0", "1")


def _import_quietly(filter_noise: bool) -> Any:
    def do_import() -> Any:
        import tensorflow as tf
        import keras

        tf.config.list_physical_devices("GPU")  # device start-up logs happen here, not later
        return tf, keras

    if not filter_noise:
        return do_import()
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr (e.g. pythonw): just import
        return do_import()
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            result = do_import()
        finally:
            try:
                sys.stderr.flush()
            except Exception:
                pass
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines() if line and not _NOISE.match(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
                sys.stderr.flush()
    return result


def keras_module() -> Any:
    """Import Keras (TensorFlow backend) on first use and return the module."""
    global _keras
    if _keras is not None:
        return _keras
    with _lock:
        if _keras is None:
            filter_noise = _quiet_environment()
            tf, keras = _import_quietly(filter_noise)
            tf.get_logger().setLevel(logging.ERROR)
            try:
                from absl import logging as absl_logging

                absl_logging.set_verbosity(absl_logging.ERROR)
            except Exception:  # pragma: no cover - absl ships with TF; never fail over logs
                pass
            # TF and Keras leave ~400,000 module-level objects that live as long as the
            # process. A full garbage collection walks them all: 450 ms with the GIL held on
            # these cores, the window's longest freeze (a trace at the start of training
            # triggers one). Frozen, the collector skips them: a full collection takes 8 ms.
            gc.freeze()
            _keras = keras
    return _keras


def tf_module() -> Any:
    """Import TensorFlow on first use and return the module."""
    keras_module()
    import tensorflow as tf

    return tf


def set_seed(seed: int) -> None:
    """Seed Python, NumPy, TensorFlow and Keras so a run can be repeated."""
    keras_module().utils.set_random_seed(int(seed))
