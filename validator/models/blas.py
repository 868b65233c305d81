"""BLAS on one thread while simval computes, restored afterwards.

simval's matrix products and factorisations are small (a few thousand rows,
a dozen columns) and it runs its own work in several Python threads at once.
Threaded BLAS (OpenBLAS starts one thread per core) spends more on waking and
spinning its threads than it saves on such products, and on a busy machine
it was the largest cost of a whole check: the QR decomposition of a
2,600 x 11 design took 52 ms with threaded BLAS and 0.6 ms on one thread,
and a 3-file, 7-model check took 67 s of wall and 20 s of CPU instead of 18 s
and 4.5 s (2-core machine under load; bench/bench_engine.py measures it).
"""

from __future__ import annotations

import threading
from typing import Any

# Loaded first so that the controller finds both BLAS libraries (numpy's and
# scipy's wheels each bundle one); it only sees libraries already loaded.
import numpy  # noqa: F401
import scipy.linalg  # noqa: F401
from threadpoolctl import ThreadpoolController


class OneBlasThread:
    """Context manager: BLAS on one thread while any user is inside, restored when the last one leaves.

    BLAS's thread count is process-wide and simval's computations may run in
    several Python threads at once, so the first to enter sets it and the
    last to leave restores it; entering again inside is free.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._controller: Any = None
        self._limiter: Any = None

    def __enter__(self) -> None:
        with self._lock:
            if self._users == 0:
                if self._controller is None:  # finding the BLAS libraries takes milliseconds
                    self._controller = ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._users += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._limiter is not None:
                self._limiter.restore_original_limits()
                self._limiter = None


one_blas_thread = OneBlasThread()
"""The process's one limiter: ``with one_blas_thread: ...``."""
