"""BLAS held to one thread while simval computes, and restored afterwards."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import threadpool_info

from validator.models.blas import OneBlasThread


def _blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def test_one_thread_inside_nested_uses_and_the_original_count_after() -> None:
    before = _blas_threads()
    limiter = OneBlasThread()
    with limiter:
        assert set(_blas_threads()) <= {1}
        with limiter:  # a nested user changes nothing
            assert set(_blas_threads()) <= {1}
        assert set(_blas_threads()) <= {1}  # still one user inside
    assert _blas_threads() == before


def test_users_in_parallel_threads_restore_the_count_when_the_last_leaves() -> None:
    # Only the restoring is asserted: OpenBLAS may ignore a thread count set from a
    # worker thread once the main thread has set and restored one (see models/blas.py).
    before = _blas_threads()
    limiter = OneBlasThread()

    def use(_: int) -> int:
        with limiter:
            return len(_blas_threads())

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(use, range(16)))
    assert _blas_threads() == before
