"""`python -m watch.reader_process FILE`: a DECP file's batches (watch.files._read_batches), sent on stdout.

Started by watch.files for a big file, so that reading and mapping run beside the writing process. What it
writes is only for that process: each batch, then None; a file it cannot read ends with its one-line reason
(a str) instead. A bug ends it with a traceback on stderr and no None, which the writing process reports.
"""

from __future__ import annotations

import sys
from pathlib import Path

from notices.checks import RecordError
from settings.runtime import many_objects
from watch.files import READ_ERRORS, FileProblem, _read_batches
from watch.pipe import send


def main(path: str) -> int:
    out = sys.stdout.buffer
    try:
        with many_objects():  # a batch of contracts is thousands of small objects
            for batch in _read_batches(Path(path)):
                send(out, batch)
        send(out, None)
    except BrokenPipeError:  # the writing process stopped reading (it failed or was interrupted); first, as
        return 1  # it is an OSError, which READ_ERRORS holds
    except (RecordError, FileProblem, *READ_ERRORS) as exc:
        send(out, str(exc))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
