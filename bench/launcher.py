"""A fork-exec launcher that reports one command's own CPU time and peak memory.

``python -c LAUNCHER REPORT EXECUTABLE ARGS...`` forks, execs the command, and writes
``"<user + system seconds> <peak RSS in kB>"`` of it (and of the worker processes it
waited for) to REPORT, from ``wait4``; it ends as the command ended (its exit code, or
the signal that killed it). Started directly from a large process (a benchmark holding a
1,000,000-row file, a long pytest run), a command's high-water mark would start at that
process's size: Linux keeps the parent's across fork and exec. Used by
``bench/bench_engine.py`` and the hostile-input tests.
"""

LAUNCHER = """\
import os, signal, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
code = os.waitstatus_to_exitcode(status)
if code < 0:  # killed by a signal: end the same way, so the caller sees it
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
os._exit(code)
"""
