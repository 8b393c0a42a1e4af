"""Generation in a second process (``--jobs 2``), so that generating and writing use two cores.

In one process the generator (numpy, but also much Python) and the writer share the GIL. With
two jobs the process that opened the target forks a child once the target is open; the child
builds the :class:`~dbsynth.generation.engine.Generator` itself (a source connection for copied
tables is then its own), runs it and sends every item down a pipe: a Batch already encoded by
the sink's ``encode`` when the sink has one (PostgreSQL: COPY text, so the writing process only
sends bytes), the item as it is otherwise. The parent writes the items in the order they come.

* Same rows: the child runs the same generator on the same inputs, and the order is kept, so the
  target ends byte-identical to a one-process run (tests/test_jobs.py compares checksums).
* One writer: every row still goes through the one sink, on its one connection and transaction,
  so a load stays all-or-nothing exactly as with one job.
* Bounded memory: the pipe holds about one item; the child waits while the writer is behind.
* Failures: an error in the child is sent to the parent and raised there (its type and message
  kept, or a :class:`GenerationError` saying what it was when it cannot be pickled); an error or
  Ctrl-C in the parent kills the child. Ctrl-C is the parent's alone: the child ignores SIGINT.
* The child never touches the sink's connection: it ends with ``os._exit`` (as every forked
  multiprocessing child does), so no finalizer closes the socket the parent is writing on.

Forking needs a POSIX system; elsewhere the run uses one process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from dbsynth.errors import GenerationError
from dbsynth.generation.batch import Batch, Update
from dbsynth.writing.base import Encoded

Item = Batch | Update | Encoded
_STOPPING = {signal.SIGINT, signal.SIGTERM}


def effective_jobs(jobs: int | None) -> int:
    """The processes a run uses: ``jobs``, or the number of cores when None; 1 without fork."""
    wanted = jobs if jobs is not None else (os.cpu_count() or 1)
    return wanted if "fork" in multiprocessing.get_all_start_methods() else 1


def generated_elsewhere(
    items: Callable[[], Iterator[Batch | Update]], encode: Callable[[Batch], Encoded] | None
) -> Iterator[Item]:
    """The items of ``items()``, produced (and encoded with ``encode``) in a forked process."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_produce, args=(receive, send, items, encode), name="dbsynth-generate", daemon=True
    )
    # A signal during the fork would hit the at-fork hooks (logging's), which ignore exceptions:
    # Ctrl-C would be lost. Held back until the child exists, it is raised here as usual.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        child.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    send.close()  # the child holds the only write end: its exit ends the pipe
    try:
        while True:
            try:
                kind, value = receive.recv()
            except EOFError:
                child.join()
                raise GenerationError(
                    f"the generating process ended unexpectedly (exit code {child.exitcode})"
                ) from None
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        receive.close()
        if child.is_alive():
            # SIGKILL, not SIGTERM: the child may not have replaced the handlers it inherited
            # yet (the CLI's would print a traceback), and it has nothing to clean up.
            child.kill()
        child.join()


def _produce(
    receive: Connection,
    send: Connection,
    items: Callable[[], Iterator[Batch | Update]],
    encode: Callable[[Batch], Encoded] | None,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends this process
    # The parent's SIGTERM handler (the CLI's) turns it into an exception: here it must just end.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)  # blocked by the parent around the fork
    # The fork copied the read end too: closed, so a parent that dies (even by SIGKILL) leaves the
    # pipe without a reader and the next send fails instead of blocking for ever.
    receive.close()
    try:
        for item in items():
            out: Item = item
            if encode is not None and isinstance(item, Batch):
                # A batch that cannot be encoded goes as it is: the parent's write reports why.
                with contextlib.suppress(Exception):
                    out = encode(item)
            send.send(("item", out))
        send.send(("done", None))
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent stopped reading: it failed or was interrupted
    except BaseException as exc:
        try:
            send.send(("error", _portable(exc)))
        except OSError:
            return


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (type and message kept), else a GenerationError that says
    what it was, in the words the API uses for an unexpected error."""
    try:
        copy: Any = pickle.loads(pickle.dumps(exc))
        if type(copy) is type(exc) and str(copy) == str(exc):
            return exc
    except Exception:  # any failure to pickle means: describe it instead
        pass
    return GenerationError(f"generation failed: {type(exc).__name__}: {exc}")


__all__ = ["Item", "effective_jobs", "generated_elsewhere"]
