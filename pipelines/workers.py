"""A pool of worker processes driven by the event loop, for :func:`pipelines.pool.work`.

Workers start from a fork server that imported the extraction code once (``pipelines.pool``),
never as copies of the crawler with its threads and sockets. Each worker reads calls from a
pipe of its own and writes the results back on another, one length-prefixed pickle per call;
the reactor's event loop writes and reads those pipes itself, with no thread in between, and
gives each worker two pages at most: one it works on and the next, waiting in its pipe.

The pool holds at most ``max_pending`` pages (queued or running); a page beyond that waits for a
free place, and with it Scrapy's scraper, which stops downloading once the responses it holds
pass ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``: memory stays bounded when extraction is slower than
downloading. A worker that dies (a segfault in a parser, the OOM killer) is replaced by a fresh
one: the page it was working on is tried once more, the page waiting behind it goes on as if
nothing happened, and a page two workers died on raises :class:`WorkerCrashed` for the caller
to record. Pages on the other workers never notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import struct
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar, cast

from scrapy.utils.asyncio import run_in_thread

logger = logging.getLogger(__name__)

T = TypeVar("T")
# What a worker imports before it forks: everything a page's work needs.
_PRELOAD = ["pipelines.pool"]


class WorkerCrashed(Exception):
    """Two worker processes died working on this page."""


class WorkerError(Exception):
    """What a worker could not send back: a result or an exception that does not pickle."""


class _RemoteTraceback(Exception):
    """The worker's traceback, as the cause of the exception it raised."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


# A frame: its length (0: stop), then that many bytes of pickle.
_HEADER = struct.Struct("!Q")
_STOP = _HEADER.pack(0)
# Calls on a worker at once: the one it works on and the next, already in its pipe.
_DEPTH = 2
# A pipe large enough for a page in one write (Linux allows 1 MiB without privileges).
_PIPE_SIZE = 1 << 20
# How long close() waits for the workers to finish the page in hand before killing them.
_JOIN_SECONDS = 1.0


def _serve(requests: Connection, results: Connection) -> None:
    """A worker's life: read a call, run it, write its answer; until a stop frame or EOF.

    An answer is ``(True, result, "")`` or ``(False, exception, traceback)``. ^C is the
    crawler's to handle: the worker stops when the crawler closes its pipes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    source, sink = requests.fileno(), results.fileno()
    _write(sink, pickle.dumps((True, os.getpid(), ""), pickle.HIGHEST_PROTOCOL))
    first = True
    while True:
        header = _read(source, _HEADER.size)
        size = _HEADER.unpack(header)[0] if header is not None else 0
        frame = _read(source, size) if size else None
        if frame is None:
            return
        if not _write(sink, _answer(frame)):
            return
        if first:
            # What the fork server imported and the first call loaded (language profiles,
            # parser tables) lives as long as the worker: out of the garbage collector's
            # sight, its full collections walk only what pages leave behind (0.25 -> 0.09 ms
            # of a page's CPU).
            gc.freeze()
            first = False


def _answer(frame: bytearray) -> bytes:
    """The pickled answer to one pickled call, whatever it raises or returns."""
    try:
        function, argument = pickle.loads(frame)
        del frame
        result = function(argument)
    except Exception as error:
        trace = "".join(traceback.format_exception(error))
        try:
            answer = pickle.dumps((False, error, trace), pickle.HIGHEST_PROTOCOL)
            pickle.loads(answer)  # an exception can pickle and still fail to unpickle
            return answer
        except Exception as failure:
            problem = WorkerError(f"{error!r} raised in the worker does not pickle: {failure!r}")
            return pickle.dumps((False, problem, trace), pickle.HIGHEST_PROTOCOL)
    try:
        return pickle.dumps((True, result, ""), pickle.HIGHEST_PROTOCOL)
    except Exception as failure:
        name = getattr(function, "__qualname__", repr(function))
        problem = WorkerError(f"the result of {name}() does not pickle: {failure!r}")
        return pickle.dumps((False, problem, ""), pickle.HIGHEST_PROTOCOL)


def _read(fd: int, size: int) -> bytearray | None:
    """``size`` bytes from a blocking pipe; None at its end."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    done = 0
    while done < size:
        count = os.readv(fd, [view[done:]])
        if count == 0:
            return None
        done += count
    return buffer


def _write(fd: int, payload: bytes) -> bool:
    """One frame to a blocking pipe; False once nobody reads it."""
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        return False
    return True


@dataclass(eq=False)
class _Call:
    """``function(argument)`` pickled, with its future and the worker deaths it has seen."""

    frame: bytes
    future: asyncio.Future[Any]
    crashes: int = 0


@dataclass(eq=False)
class _Worker:
    """A worker process and the crawler's ends of its two pipes."""

    process: BaseProcess
    loop: asyncio.AbstractEventLoop
    requests: int
    results: int
    # The worker's pid once it has started, None if it died first.
    ready: asyncio.Future[int | None]
    # Sent (or being sent), in order: the first is the one the worker works on.
    calls: deque[_Call] = field(default_factory=deque)
    # What is left to write of the frames the pipe had no room for.
    outgoing: deque[memoryview] = field(default_factory=deque)
    # The frame being read: its header, then its body.
    header: bytearray = field(default_factory=lambda: bytearray(_HEADER.size))
    body: bytearray | None = None
    gap: memoryview | None = None


class WorkerPool:
    """``workers`` processes (0: one thread of this process), at most ``max_pending`` pages in."""

    def __init__(self, workers: int, max_pending: int) -> None:
        self.workers = workers
        self.max_pending = max(1, max_pending)
        self._slots = asyncio.Semaphore(self.max_pending)
        self._workers: list[_Worker] = []
        self._waiting: deque[_Call] = deque()

    @property
    def pids(self) -> list[int]:
        """The worker processes' pids."""
        return [pid for worker in self._workers if (pid := worker.process.pid) is not None]

    async def start(self) -> None:
        """Start every worker now, so that the first pages do not wait for start-up."""
        if self.workers == 0:
            return
        while len(self._workers) < self.workers:
            self._spawn()
        pids = await asyncio.gather(*(worker.ready for worker in self._workers))
        started = sorted(pid for pid in pids if pid is not None)
        if len(started) < len(pids):
            raise WorkerCrashed("a worker process died on start")
        logger.info("extraction pool: %s worker processes %s", self.workers, started)

    async def run(self, function: Callable[[Any], T], argument: Any) -> T:
        """``function(argument)`` in a worker, once a place in the pool is free."""
        async with self._slots:
            if self.workers == 0:
                return await run_in_thread(function, argument)
            frame = pickle.dumps((function, argument), pickle.HIGHEST_PROTOCOL)
            call = _Call(
                _HEADER.pack(len(frame)) + frame, asyncio.get_running_loop().create_future()
            )
            del frame
            self._waiting.append(call)
            self._dispatch()
            return cast(T, await call.future)

    def close(self) -> None:
        """Stop the workers: one still working gets a second to finish, then is killed.

        Calls not answered yet fail with RuntimeError. A later call starts fresh workers.
        """
        workers, self._workers = self._workers, []
        waiting, self._waiting = self._waiting, deque()
        for worker in workers:
            if not worker.outgoing:
                with contextlib.suppress(OSError):
                    os.write(worker.requests, _STOP)
            self._detach(worker)
        deadline = time.monotonic() + _JOIN_SECONDS
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            self._reap(worker)
        for call in [*waiting, *(call for worker in workers for call in worker.calls)]:
            if not call.future.done() and not call.future.get_loop().is_closed():
                call.future.set_exception(
                    RuntimeError("the worker pool closed before answering this call")
                )

    def _spawn(self) -> _Worker:
        """A new worker, forked by the fork server, its pipes watched by the running loop."""
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        loop = asyncio.get_running_loop()
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        for fd in (request_write, result_read):
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
            os.set_blocking(fd, False)
        theirs = (
            Connection(request_read, writable=False),
            Connection(result_write, readable=False),
        )
        process = context.Process(target=_serve, args=theirs, name="extraction-worker", daemon=True)
        try:
            process.start()
        except BaseException:
            os.close(request_write)
            os.close(result_read)
            raise
        finally:
            for end in theirs:
                end.close()
        worker = _Worker(process, loop, request_write, result_read, loop.create_future())
        worker.gap = memoryview(worker.header)
        loop.add_reader(result_read, self._receive, worker)
        self._workers.append(worker)
        return worker

    def _dispatch(self) -> None:
        """Waiting calls to the workers with the fewest calls, two at most on each."""
        while self._waiting:
            call = self._waiting[0]
            if call.future.done():  # its caller gave up
                self._waiting.popleft()
                continue
            if len(self._workers) < self.workers:
                try:
                    worker = self._spawn()
                except Exception as error:
                    self._waiting.popleft()
                    call.future.set_exception(WorkerCrashed(f"no worker process: {error!r}"))
                    continue
            else:
                # the newest of the least busy: a fresh worker for a call that killed one
                worker = min(reversed(self._workers), key=lambda worker: len(worker.calls))
                if len(worker.calls) >= _DEPTH:
                    return
            self._waiting.popleft()
            worker.calls.append(call)
            self._send(worker, memoryview(call.frame))

    def _send(self, worker: _Worker, frame: memoryview) -> None:
        """Write now what the pipe takes; the rest when the loop finds it writable."""
        worker.outgoing.append(frame)
        if len(worker.outgoing) == 1:  # else a write is already waiting for room
            self._flush(worker)

    def _flush(self, worker: _Worker) -> None:
        while worker.outgoing:
            frame = worker.outgoing[0]
            try:
                sent = os.write(worker.requests, frame)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._lost(worker)
                return
            if sent < len(frame):
                worker.outgoing[0] = frame[sent:]
                worker.loop.add_writer(worker.requests, self._flush, worker)
                return
            worker.outgoing.popleft()
        worker.loop.remove_writer(worker.requests)

    def _receive(self, worker: _Worker) -> None:
        """Read what the worker wrote, a frame's header then its body, straight into place."""
        while worker.gap is not None:
            try:
                count = os.readv(worker.results, [worker.gap])
            except BlockingIOError:
                return
            except OSError:
                count = 0
            if count == 0:
                self._lost(worker)
                return
            worker.gap = worker.gap[count:]
            if worker.gap:
                continue
            if worker.body is None:
                worker.body = bytearray(_HEADER.unpack(worker.header)[0])
                worker.gap = memoryview(worker.body)
                continue
            body, worker.body = worker.body, None
            worker.gap = memoryview(worker.header)
            self._answered(worker, body)
            return  # the loop calls again if there is more

    def _answered(self, worker: _Worker, body: bytearray) -> None:
        try:
            ok, value, trace = pickle.loads(body)
        except Exception as error:
            ok, value, trace = (
                False,
                WorkerError(f"a worker's answer does not unpickle: {error!r}"),
                "",
            )
        if not worker.ready.done():
            worker.ready.set_result(value)
            return
        call = worker.calls.popleft()
        if not call.future.done():
            if ok:
                call.future.set_result(value)
            else:
                if trace:
                    value.__cause__ = _RemoteTraceback(trace)
                call.future.set_exception(value)
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        """A worker died: a fresh one in its place, its calls to the others or that one.

        The call it was working on is tried once more, first in line for the least busy worker
        (the fresh one, if no other is idle), and fails with WorkerCrashed if that one dies too.
        The call waiting behind it never ran: it goes back in line as it was.
        """
        if worker not in self._workers:
            return
        started = worker.ready.done() and worker.ready.result() is not None
        self._workers.remove(worker)
        self._detach(worker)
        pid, code = worker.process.pid, self._reap(worker)
        logger.error("an extraction worker died (pid %s, exit code %s)", pid, code)
        calls, worker.calls = list(worker.calls), deque()
        if calls and not calls[0].future.done():
            calls[0].crashes += 1
            if calls[0].crashes == 2:
                calls[0].future.set_exception(WorkerCrashed("a worker process died on this twice"))
        self._waiting.extendleft(call for call in reversed(calls) if not call.future.done())
        if started:  # one that died on start is replaced when a call needs it
            try:
                self._spawn()
            except Exception:
                logger.exception("cannot start an extraction worker")
        self._dispatch()

    def _detach(self, worker: _Worker) -> None:
        """Stop watching a worker's pipes and close them: the worker reads EOF."""
        worker.loop.remove_reader(worker.results)
        if worker.outgoing:
            worker.loop.remove_writer(worker.requests)
            worker.outgoing.clear()
        os.close(worker.requests)
        os.close(worker.results)
        worker.gap = worker.body = None
        if not worker.ready.done() and not worker.loop.is_closed():
            worker.ready.set_result(None)

    @staticmethod
    def _reap(worker: _Worker) -> int | None:
        """Kill the worker if it still runs, and collect it: its exit code."""
        process = worker.process
        if process.exitcode is None:
            process.kill()
            process.join(_JOIN_SECONDS)
        code = process.exitcode
        if code is not None:
            process.close()
        return code
