"""Ingest on a Dask cluster: the pipeline's executor (``fonds.parallel``) is the
cluster's, so its workers read, extract, annotate and write documents on every machine;
the client plans, reports progress and settles the run's names at the end.

A team starts a scheduler and workers once:

    dask scheduler                                   # on one machine: tcp://host:8786
    dask worker tcp://host:8786 --nworkers auto --nthreads 1   # on each machine

and ingests into the shared PostgreSQL database from any machine that sees the files:

    fonds ingest /shared/frus --db postgresql://fonds@dbhost/archive --cluster tcp://host:8786

Every worker must see the paths given (a shared folder) and reach the database: it
reads the archive's entities from there, and writes its records there. A worker that
dies has its tasks run again on another (Dask's own retry: a record is written whole or
not at all, and written again is the same record); a task that kills three workers ends
the run with ``WorkerLost``, everything written before it kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from fonds.errors import ConfigError, DependencyError

CONNECT_SECONDS = 30
WORKERS_SECONDS = 120  # how long to wait for a first worker to join the scheduler


class ClusterExecutor(Executor):
    """A Dask client's executor whose futures say a lost worker the way a process
    pool's do (``BrokenProcessPool``), so the pipeline handles both alike."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.inner = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        from distributed import KilledWorker

        inner = self.inner.submit(fn, *args, **kwargs)
        outer: Future[Any] = Future()

        def settle(done: Future[Any]) -> None:
            if done.cancelled():
                outer.cancel()
                outer.set_running_or_notify_cancel()
                return
            err = done.exception()
            if isinstance(err, KilledWorker):
                outer.set_exception(
                    BrokenProcessPool(f"a task killed cluster workers again and again ({err})")
                )
            elif err is not None:
                outer.set_exception(err)
            else:
                outer.set_result(done.result())

        inner.add_done_callback(settle)
        outer.cancel = inner.cancel  # type: ignore[method-assign]
        return outer

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait)


@contextmanager
def cluster_executor(address: str) -> Iterator[tuple[Executor, int]]:
    """The executor of the Dask scheduler at ``address``, and how many tasks its workers
    run at once; the client is closed at the end (the cluster stays up)."""
    try:
        from distributed import Client
    except ImportError as err:
        raise DependencyError(
            f"ingest on a cluster needs Dask: pip install 'fonds[server]' ({err})"
        ) from err
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except OSError as err:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({err})") from err
    try:
        if not client.nthreads():
            try:
                client.wait_for_workers(1, timeout=WORKERS_SECONDS)
            except TimeoutError as err:
                raise ConfigError(
                    f"the Dask scheduler at {address} has no workers: start some with "
                    f"`dask worker {address} --nthreads 1`"
                ) from err
        yield ClusterExecutor(client), sum(client.nthreads().values())
    finally:
        client.close()
