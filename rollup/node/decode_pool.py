"""Decoding (hashing and signature recovery) of large intake batches off the event loop.

First choice: the native decoder (:mod:`rollup.node.native_decode`, C, run in a thread without
the GIL; about 60 µs of the other core and 5 µs of the event loop per transfer). Where it cannot
be built, or with ``decode_native = false``, worker processes, as follows.

``decode_transaction`` costs about 80 to 120 µs per transfer, a third of the node's CPU per
transaction. In a thread it still holds the GIL for the RLP split and the integer fields, and
every keccak / secp256k1 call hands the GIL back and waits to get it again (up to the 5 ms
switch interval while the event loop or the block builder runs). A worker process decodes on
the other core; the event loop only unpickles the results (about 7 µs per transaction).

The workers run the very same ``rollup.core.decode_transaction``. A raw transaction the worker
refuses comes back as a marker and is decoded again in the caller's process, so the caller
gets the core's own exception object (exceptions with data do not always survive pickling).
If the pool cannot be started or breaks, decoding falls back to a thread for good.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import time
from typing import Any, Final, Sequence

from rollup.core.exceptions import TransactionError
from rollup.core.transactions import decode_transaction

from .native_decode import load_native_decoder

__all__ = ["DecodePool", "decode_chunk", "REFUSED", "CHUNK_MIN", "READY_TIMEOUT"]

_log = logging.getLogger(__name__)

REFUSED: Final = None
"""Worker result for a transaction it could not decode (the caller decodes it again)."""

_PR_SET_PDEATHSIG: Final = 1
"""``prctl`` option: the signal the kernel sends this process when its parent dies."""

CHUNK_MIN: Final = 64
"""Batches smaller than this are not worth a process round trip (about 0.3 ms)."""

READY_TIMEOUT: Final = 20.0
"""Seconds the node waits at start for the workers to answer before it serves anyway (decoding
in threads until they do). A worker imports the core (about 1 to 2 s here)."""


def decode_chunk(raws: Sequence[bytes], chain_id: int) -> list[Any]:
    """Worker side: the decoded transactions, :data:`REFUSED` where decoding raised."""
    out: list[Any] = []
    for raw in raws:
        try:
            out.append(decode_transaction(raw, chain_id))
        except TransactionError:
            out.append(REFUSED)
    return out


def _warm() -> int:
    return 0


def _worker_init(parent_pid: int) -> None:
    """Tie the worker's life to the node's: a ``kill -9`` of the node must not leave workers
    behind (they would keep its stdout and stderr pipes open). Linux: the kernel kills the
    worker when its parent dies; elsewhere a thread polls the parent pid."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        def watch() -> None:
            while os.getppid() == parent_pid:
                time.sleep(0.5)
            os._exit(0)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent_pid:  # the node died before the line above
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the node, which stops us


class DecodePool:
    """``processes`` worker processes (started lazily, in the background) that decode batches."""

    def __init__(self, processes: int, chain_id: int, *, native: bool = False) -> None:
        self.processes = processes
        self.chain_id = chain_id
        self.native = load_native_decoder(chain_id) if native else None
        """The native decoder in use (then no worker process is started), or None."""
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._ready = False
        self._broken = processes <= 0
        self._warm: concurrent.futures.Future[int] | None = None

    @property
    def usable(self) -> bool:
        """Whether batches go to the native decoder or the workers (started and not broken)."""
        return self.native is not None or (self._ready and not self._broken)

    def start(self) -> None:
        """Start the workers in the background; batches use a thread until they answer."""
        if self.native is not None or self._broken or self._executor is not None:
            return
        try:
            # spawn: never fork the node's threads (event loop, store, builder); the workers are
            # the node's own children (started from this thread), so they die with it
            context = multiprocessing.get_context("spawn")
            self._executor = concurrent.futures.ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=_worker_init,
                initargs=(os.getpid(),))
            future = self._executor.submit(_warm)
        except Exception:  # no process support here: threads it is
            _log.warning("decode workers unavailable; decoding in threads", exc_info=True)
            self._broken = True
            return
        self._warm = future
        future.add_done_callback(self._started)

    async def wait_ready(self, timeout: float = READY_TIMEOUT) -> bool:
        """Wait (at most ``timeout`` seconds) until the workers answered; whether they did
        (at once True with the native decoder)."""
        if self.native is None and self._warm is not None and not self._broken:
            try:
                await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._warm)), timeout)
            except Exception:  # noqa: BLE001 - slow or failed: threads meanwhile or for good
                pass
        return self.usable

    def _started(self, future: concurrent.futures.Future[int]) -> None:
        if future.exception() is None:
            self._ready = True
            _log.info("%d decode worker process(es) ready", self.processes)
        else:
            _log.warning("decode workers failed to start; decoding in threads: %s", future.exception())
            self._broken = True

    async def decode(self, raws: list[bytes]) -> list[Any]:
        """Decode ``raws`` off the event loop: per item a transaction or the exception that
        refused it."""
        if self.native is not None:
            return self.native.build(await asyncio.to_thread(self.native.scan, raws))
        assert self._executor is not None
        loop = asyncio.get_running_loop()
        parts = self.processes if len(raws) >= CHUNK_MIN * self.processes else 1
        size = -(-len(raws) // parts)
        try:
            chunks = await asyncio.gather(*(
                loop.run_in_executor(self._executor, decode_chunk, raws[i:i + size], self.chain_id)
                for i in range(0, len(raws), size)))
        except concurrent.futures.process.BrokenProcessPool:
            _log.warning("decode workers died; decoding in threads from now on")
            self._broken = True
            raise
        out: list[Any] = [tx for chunk in chunks for tx in chunk]
        for i, tx in enumerate(out):
            if tx is REFUSED:
                try:
                    out[i] = decode_transaction(raws[i], self.chain_id)
                except TransactionError as exc:
                    out[i] = exc
        return out

    def close(self) -> None:
        """Stop the workers (queued work is cancelled)."""
        executor, self._executor = self._executor, None
        self._ready = False
        self._broken = True
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
