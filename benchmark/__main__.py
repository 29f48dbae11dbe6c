import atexit
import contextlib
import os
import sys

from benchmark.cli import main

status = main()
# Everything is written and every child process has ended: run the exit handlers and flush, then
# leave without tearing down the interpreter's modules (pandas, matplotlib, the loaded tables),
# which costs a few tenths of a second and does nothing a user can see.
atexit._run_exitfuncs()
for stream in (sys.stdout, sys.stderr):
    with contextlib.suppress(OSError):  # the reader went away (e.g. `| head`): nothing more to say
        stream.flush()
os._exit(status)
