"""Memory of the running benchmark process (Linux), for the benchmark scripts beside this file."""

from __future__ import annotations

import os
import resource


def resident_mb() -> float:
    """This process's resident memory now, in MB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def peak_resident_mb() -> float:
    """The most resident memory this process has had, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
