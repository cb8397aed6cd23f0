"""The pool of processes that check envelopes, tied to the server's life.

A worker must not outlive its server: if the server is killed (kill -9, OOM, power), the
workers exit too. On Linux the kernel tells them (PR_SET_PDEATHSIG); everywhere, a watchdog
thread sees the parent change and exits.

The kernel's "parent" is the *thread* that started the process, not the server process: a
worker started from a request thread (anyio retires those after 10 s idle) was killed with
that thread and broke the pool for good. So every worker is started from one thread of the
pool's own, which lives until the pool is shut down. And should a pool break all the same (a
worker killed, out of memory), the batch is checked again in the server's process and a fresh
pool takes the batches that follow: a broken pool is never an error for a good batch.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Callable, Iterable

PR_SET_PDEATHSIG = 1
logger = logging.getLogger("sync_server")


class CheckPool(Executor):
    """A process pool whose workers are all started from the pool's own long-lived thread."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="check-pool")
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_tie_to_parent,
                                   initargs=(os.getpid(),))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        pool = self._pool
        return self._starter.submit(pool.submit, fn, *args, **kwargs).result()

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None,
            chunksize: int = 1) -> list[Any]:
        """fn over the items, in order, on the workers; in this process if the pool breaks."""
        jobs = list(zip(*iterables))
        pool = self._pool
        try:
            futures = self._starter.submit(lambda: [pool.submit(fn, *job) for job in jobs]).result()
            return [future.result(timeout) for future in futures]
        except BrokenProcessPool:
            logger.warning("the envelope-checking pool broke; replacing it, checking this batch in-process")
            self._replace(pool)
            return [fn(*job) for job in jobs]

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = self._new_pool()
        broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        self._starter.shutdown(wait=wait)


def check_pool(workers: int) -> CheckPool:
    return CheckPool(workers)


def _tie_to_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:          # the parent died before the line above took effect
        os._exit(0)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="watch-parent").start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
