"""Child processes that read untrusted audio (ffmpeg, ffprobe, espeak-ng) run inside hard limits.

A crafted file can make a decoder spin or write without end. The wall-clock timeout alone does not bound
either: a process may burn every core until it fires, and a file written meanwhile can fill the disk. So
each child also gets a CPU-time limit (the kernel sends SIGXCPU, then SIGKILL) and a file-size limit (a write
past it fails with SIGXFSZ). util-linux's `prlimit` sets them and then execs the child: a `preexec_fn` would
run Python between fork and exec, which is unsafe in the threaded web and worker processes. Output-length
caps (`-t`) are the callers' job: they know what length is legitimate.

A child also dies with its parent: a Celery worker killed with `kill -9` mid-normalization must not leave its
ffmpeg running for minutes, writing a file nobody will use. util-linux's `setpriv --pdeathsig KILL` makes the
kernel send SIGKILL when the parent goes (`prctl(PR_SET_PDEATHSIG)`, kept across both execs), again without
Python between fork and exec. The kernel fires it when the *thread* that forked exits, not the process:
`run` waits for the child in the thread that started it, so that thread outlives the child.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence

from django.conf import settings

MB = 1024 * 1024
# Exec'd first: sets the parent-death signal (SIGKILL), then execs prlimit, which execs the child.
DIE_WITH_PARENT = ("setpriv", "--pdeathsig", "KILL", "--")


class ChildLimitExceeded(Exception):
    """The child was stopped by a limit (time, CPU or file size); the message says which, without paths."""


def limited(cmd: Sequence[str], *, cpu_s: int, fsize_bytes: int) -> list[str]:
    """`cmd` under a CPU-time limit (soft, then hard one second later), a file-size limit and no core file,
    killed when its parent dies."""
    return [*DIE_WITH_PARENT, "prlimit", f"--cpu={cpu_s}:{cpu_s + 1}", f"--fsize={fsize_bytes}", "--core=0", "--", *cmd]


def default_fsize() -> int:
    return int(settings.SOUNDS_CHILD_MAX_FILE_MB) * MB


def run(
    cmd: Sequence[str],
    *,
    timeout: float,
    cpu_s: int | None = None,
    fsize_bytes: int | None = None,
    input: str | None = None,  # the same name as subprocess.run's
) -> subprocess.CompletedProcess[str]:
    """subprocess.run with captured text output, a wall timeout, a CPU-time and a file-size limit.

    The CPU limit defaults to the wall timeout (a single-threaded decoder can't legitimately use more).
    Raises ChildLimitExceeded when a limit stopped the child; a plain failure is returned for the caller.
    """
    cpu = max(1, int(cpu_s if cpu_s is not None else timeout))
    fsize = fsize_bytes if fsize_bytes is not None else default_fsize()
    try:
        result = subprocess.run(
            limited(cmd, cpu_s=cpu, fsize_bytes=fsize),
            input=input,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ChildLimitExceeded("it took too long") from exc
    # SIGKILL comes from the hard CPU limit (ffmpeg catches the soft limit's SIGXCPU and stops by itself).
    if result.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise ChildLimitExceeded("it used too much processing time")
    if result.returncode == -signal.SIGXFSZ:
        raise ChildLimitExceeded("it produced too large a file")
    return result
