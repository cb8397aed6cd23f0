"""The pool of processes that check envelopes, tied to the server's life.

A worker must not outlive its server: if the server is killed (kill -9, OOM, power), the
workers exit too. On Linux the kernel tells them (PR_SET_PDEATHSIG); everywhere, a watchdog
thread sees the parent change and exits.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

PR_SET_PDEATHSIG = 1


def check_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_tie_to_parent,
                               initargs=(os.getpid(),))


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
