#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""dask_shards: a listing of events read by N shards on a dask cluster, merged.

    SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \\
        examples/dask_shards.py --workers 3 --dataset-versions 12 \\
        --out events.ndjson

    examples/dask_shards.py --scheduler tcp://10.0.0.5:8786 --workers 16 \\
        --dataset-versions 12,13 --pipeline --out events.ndjson

writes the ground-truth events of the dataset versions as NDJSON, in the
backend's order, byte for byte what one pipeline writes
(`gst-launch-1.0 synapsegtsrc dataset-versions=12 ! filesink`), with the
listing's pages read by N shards at once on a dask.distributed cluster: a
LocalCluster of N worker processes (--threads: threads of this process), or
the cluster whose scheduler --scheduler names.

The recipe:

1. A shard is a set of pages. Shard i of N reads pages i+1, i+1+N,
   i+1+2N, … of the listing and no other page: Synapse.Pager.set_shard(i, N)
   in the library, or `synapsegtsrc shard-index=i shard-count=N ! appsink`
   with --pipeline. Together the N shards read every page once. Only a
   listing numbered by page (Django REST Framework's ?page=N) can be
   split: one whose pages link on by cursor fails with a message that says
   so (read it with --workers 1).

2. Each shard is one dask task. It sends each of its pages to this
   process through a dask Queue of its own, with the page's position (the
   listing index of its first event: Synapse.Page.get_position(), or the
   first buffer's offset with --pipeline) and its events as the backend's
   own bytes (Synapse.Page.get_item_bytes(), what synapsegtsrc pushes), one
   line each. A full queue (--queue-depth pages) holds the task back until
   the merge takes a page from it.

3. The merge writes the page with the lowest position among the next
   pages of the shards, and checks that it starts where the one before
   ended: a page missing or read twice fails the run, and so does a total
   other than the backend's count.

What is held at once: here, one page of each shard; in the scheduler, at
most --queue-depth pages of each shard; in each worker, its shard's pages
fetched ahead (--prefetch). Never the whole listing. The backend serves up
to N x prefetch page requests at once.

The shards run at the same time, as the merge needs a page of each: a
cluster with fewer free threads than --workers is refused. A task that is
run again (its worker was lost) sends its pages again; the merge drops the
ones it has. The output goes to OUT.partial and is renamed OUT when every
event is in; on a failure it is removed, and the script exits 1 after
printing what failed (the shard, the message, the HTTP status); 2 on a
usage error. Its figures (events, pages, shards) go to stderr.

The token reaches the tasks as an argument (a real cluster's workers lack
this process's environment), wrapped so that dask's logs and dashboard show
'***'; it is never printed. Needs python3-distributed and, on every worker,
gst-synapse (its typelib and Python override; with --pipeline also its
plugin, python3-gst-1.0 and gir1.2-gst-plugins-base-1.0).
"""

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid

# How long a task whose queue is full waits before it looks again (not a
# timeout: a slow merge only makes the loop turn more often).
POLL = 0.2
# A task whose page the merge has not taken for this long gives up: the
# merge is gone (this process was killed, the shards outnumber the threads).
STALL = 600


class Secret:
    """The access token, shown as '***' wherever dask prints a task's
    arguments."""

    def __init__(self, value):
        self._value = value

    def reveal(self):
        return self._value

    def __repr__(self):
        return "Secret('***')"

    __str__ = __repr__


class Stopped(Exception):
    """The merge has given up: the task ends without a word."""


class ShardError(Exception):
    """A failure of one shard, as the merge reports it."""

    def __init__(self, shard, message, status=0):
        super().__init__("shard %d: %s" % (shard, message))
        self.shard = shard
        self.status = status


# ----------------------------------------------------------- the tasks


def _sender(queue_name, stop_name, depth):
    """A function that puts an item in the queue once it holds fewer than
    *depth*, and raises Stopped once the merge has stopped.

    No call on a dask Queue has a timeout: the scheduler logs each one
    that expires as an error, with its traceback."""
    from distributed import Event, Queue

    queue, stop = Queue(queue_name), Event(stop_name)

    def send(item):
        waited = 0.0
        while queue.qsize() >= depth:
            if stop.is_set() or waited >= STALL:
                raise Stopped()
            time.sleep(POLL)
            waited += POLL
        queue.put(item)

    return send


# The tasks import gi themselves: cloudpickle sends the functions of a
# script by value with the modules they use by name, and the proxy modules
# of gi.repository have none.


def _synapse():
    import gi

    gi.require_version("Synapse", "1.0")
    from gi.repository import GLib, Synapse

    return GLib, Synapse


def _run_pager(job, shard, send):
    """The shard's pages, read by a Synapse.Pager."""
    GLib, Synapse = _synapse()
    client = Synapse.Client(base_url=job["base_url"],
                            access_token=job["token"].reveal())
    if job["tenant"]:
        client.props.tenant = job["tenant"]
    if job["page_size"]:
        client.props.page_size = job["page_size"]
    pager = client.iter_ground_truth_events(job["params"])
    pager.set_shard(shard, job["shards"])
    if job["prefetch"]:
        pager.set_prefetch(job["prefetch"])
    while True:
        try:
            page = pager.read_page(None)
        except GLib.Error as error:
            if pager.get_pagination() == Synapse.Pagination.OTHER and \
                    job["shards"] > 1:
                raise CursorListing(error.message)
            raise
        if page is None:
            return
        n = page.get_n_items()
        data = b"".join(page.get_item_bytes(i).get_data() + b"\n"
                        for i in range(n))
        send(("page", page.get_position(), n, page.get_total_count(), data))


def _check_bus(bus, Gst, shards):
    """Raises the first error on the pipeline's bus as a PipelineError: the
    element's message, the reason its debug text gives, the HTTP status
    (0: none); a CursorListing for shards of a cursor listing."""
    while True:
        message = bus.pop_filtered(Gst.MessageType.ERROR)
        if message is None:
            return
        error, debug = message.parse_error()
        details = message.parse_error_details()
        status = 0
        if details is not None and details.has_field("http-status-code"):
            status = details.get_uint("http-status-code")[1]
        # the debug text: "file(line): function (): element path:\nreason"
        reason = debug.split("\n", 1)[-1].strip() if debug else ""
        if shards > 1 and "cursor" in reason and error.matches(
                Gst.ResourceError.quark(), Gst.ResourceError.SETTINGS):
            raise CursorListing(reason)
        raise PipelineError("%s (%s)" % (error.message, reason) if reason
                            else error.message, status)


class CursorListing(Exception):
    """A listing linked by cursor, which a shard cannot split."""


class PipelineError(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def _run_pipeline(job, shard, send):
    """The shard's pages, read by `synapsegtsrc ! appsink`: runs of
    consecutive buffer offsets (a page at most) make the pages sent."""
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstApp", "1.0")
    from gi.repository import Gst, GstApp  # noqa: F401

    Gst.init(None)
    pipeline = Gst.parse_launch(
        "synapsegtsrc name=source ! appsink name=sink sync=false "
        "buffer-list=true max-buffers=4")
    source = pipeline.get_by_name("source")
    settings = {"base-url": job["base_url"],
                "access-token": job["token"].reveal(),
                "tenant": job["tenant"], "shard-index": shard,
                "shard-count": job["shards"]}
    settings.update(job["element"])
    for name, value in settings.items():
        if value in (None, "", 0) and name not in ("shard-index",):
            continue
        if source.find_property(name) is None:
            raise PipelineError("synapsegtsrc has no property %s (a "
                                "gst-synapse older than this example)"
                                % name, 0)
        source.set_property(name, value)
    sink = pipeline.get_by_name("sink")
    bus = pipeline.get_bus()
    limit = job["page_size"] or 100
    run = []                    # [position, count, [bytes…]]

    def flush():
        if run:
            send(("page", run[0], run[1], source.props.total_count,
                  b"".join(run[2])))
            run.clear()

    try:
        if pipeline.set_state(Gst.State.PLAYING) == \
                Gst.StateChangeReturn.FAILURE:
            _check_bus(bus, Gst, job["shards"])
            raise PipelineError("the pipeline cannot start", 0)
        while True:
            _check_bus(bus, Gst, job["shards"])
            sample = sink.try_pull_sample(int(POLL * Gst.SECOND))
            if sample is None:
                if sink.is_eos():
                    # an error ends the stream too
                    _check_bus(bus, Gst, job["shards"])
                    flush()
                    return
                continue
            buffers = sample.get_buffer_list()
            buffers = ([buffers.get(i) for i in range(buffers.length())]
                       if buffers is not None else [sample.get_buffer()])
            for buffer in buffers:
                if run and (buffer.offset != run[0] + run[1]
                            or run[1] >= limit):
                    flush()
                if not run:
                    run.extend((buffer.offset, 0, []))
                run[1] += 1
                run[2].append(buffer.extract_dup(0, buffer.get_size()))
    finally:
        pipeline.set_state(Gst.State.NULL)


def read_shard(job, shard, queue_name, stop_name):
    """The dask task: reads shard *shard* of job["shards"] and sends its
    pages to *queue_name*, then ("end",); a failure is sent as ("error",
    message, HTTP status) rather than raised, so that the merge reports it
    as the backend put it."""
    GLib, Synapse = _synapse()
    _CutOffReportStream.install()
    send = _sender(queue_name, stop_name, job["queue_depth"])
    try:
        try:
            if job["pipeline"]:
                _run_pipeline(job, shard, send)
            else:
                _run_pager(job, shard, send)
        except GLib.Error as error:
            send(("error", error.message,
                  Synapse.client_error_get_status_code(error)))
            return
        except PipelineError as error:
            send(("error", str(error), error.status))
            return
        except CursorListing as error:
            send(("error", "%s (read it with --workers 1)" % error, 0))
            return
        send(("end",))
    except Stopped:
        pass


# ----------------------------------------------------------- the merge


class Shard:
    """The merge's side of one shard: its queue, its task, its next page."""

    def __init__(self, index, queue, future):
        self.index = index
        self.queue = queue
        self.future = future
        self.head = None         # (position, count, total, data)
        self.ended = False
        self.taken = 0           # the listing index after its last page
        self.pages = 0
        self.closing = False

    def watch(self):
        """Makes sure the merge hears of a task that ends without its last
        word (its worker lost once too often, a bug): ("lost", …) goes in
        its queue (which has no bound: the tasks keep to --queue-depth
        themselves)."""
        def done(future):
            if future.status == "finished" or self.closing:
                return
            error = future.exception() if future.status == "error" else None
            item = ("lost", "the task ended without its pages: %s"
                    % (repr(error) if error else future.status))
            self.queue.put(item)

        self.future.add_done_callback(done)

    def advance(self):
        """Takes the shard's next page into head, or sets ended."""
        while True:
            item = self.queue.get()
            if item[0] == "end":
                self.head, self.ended = None, True
                return
            if item[0] == "error":
                raise ShardError(self.index, item[1], item[2])
            if item[0] == "lost":
                raise ShardError(self.index, item[1])
            _, position, count, total, data = item
            if position + count <= self.taken:
                continue        # sent again by a task run again
            self.head = (position, count, total, data)
            return


def merge(shards, out):
    """Writes the shards' pages to *out* in the listing's order; returns
    (events, pages)."""
    for shard in shards:
        shard.advance()
    expected = 0
    total = -1
    pages = 0
    while True:
        waiting = [s for s in shards if not s.ended]
        if not waiting:
            break
        shard = min(waiting, key=lambda s: s.head[0])
        position, count, page_total, data = shard.head
        if position != expected:
            raise ShardError(shard.index, "its page at event %d does not "
                             "follow event %d: %s" % (
                                 position, expected - 1,
                                 "read twice" if position < expected
                                 else "events %d to %d are missing"
                                 % (expected, position - 1)))
        if page_total >= 0:
            if total >= 0 and page_total != total:
                raise ShardError(shard.index, "the listing changed while "
                                 "it was read: %d events, then %d"
                                 % (total, page_total))
            total = page_total
        out.write(data)
        expected += count
        pages += 1
        shard.taken = expected
        shard.pages += 1
        shard.advance()
    if total >= 0 and expected != total:
        raise ShardError(0, "%d events read of the %d the backend counts"
                         % (expected, total))
    return expected, pages


@contextlib.contextmanager
def output(path):
    """The file the merge writes: *path*.partial, renamed *path* when the
    block ends without an exception, removed otherwise; '-' is stdout."""
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    partial = path + ".partial"
    try:
        with open(partial, "wb") as f:
            yield f
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)


class _CutOffReportStream:
    """A logging filter for a close that distributed 2022.12 logs as an
    error: a Client gives the scheduler 100 ms to close its report stream,
    then cancels it, and the CancelledError goes to the log with its
    traceback (a busy machine is enough). It is no failure of the run,
    whose failures come through the queues and the futures."""

    def filter(self, record):
        return not (record.exc_info and isinstance(record.exc_info[1],
                                                   asyncio.CancelledError))

    @classmethod
    def install(cls):
        """On the loggers it comes through, in this process: the driver's
        Client, and in a worker the Client its tasks' queues use."""
        import logging

        # log_errors () logs as the module of its caller's frame: for a
        # task, the event loop's
        for name in ("asyncio.events", "distributed.client",
                     "distributed.utils"):
            logger = logging.getLogger(name)
            if not any(isinstance(f, cls) for f in logger.filters):
                logger.addFilter(cls())


@contextlib.contextmanager
def dask_client(args):
    """A dask Client: on the scheduler of --scheduler, or on a LocalCluster
    of --workers single-threaded workers (processes, or threads with
    --threads) stopped at the end."""
    import logging

    import dask
    from distributed import Client, LocalCluster

    _CutOffReportStream.install()

    if args.scheduler:
        with Client(args.scheduler) as client:
            yield client
        return
    workspace = tempfile.mkdtemp(prefix="dask-shards-")
    # forkserver: one fresh interpreter imports dask once and forks the
    # workers (spawn starts each from nothing, several times slower; fork
    # would copy this process and its threads)
    method = {"distributed.worker.multiprocessing-method": "forkserver"}
    try:
        with dask.config.set(method), \
                LocalCluster(n_workers=args.workers, threads_per_worker=1,
                             processes=not args.threads,
                             dashboard_address=None,
                             local_directory=workspace,
                             silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            yield client
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("not at least 1: %r" % text)
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=positive, default=2, metavar="N",
                        help="shards, run at once (default 2)")
    parser.add_argument("--dataset-versions", metavar="ID[,ID…]",
                        help="ground-truth dataset version ids, e.g. 12,13")
    parser.add_argument("--project", type=int, help="only this project")
    parser.add_argument("--data-type", help="only events of this data type")
    parser.add_argument("--page-size", type=positive, metavar="N",
                        help="events a page (default: the client's)")
    parser.add_argument("--prefetch", type=positive, metavar="N",
                        help="pages each shard fetches ahead (default: "
                        "the client's)")
    parser.add_argument("--queue-depth", type=positive, default=2,
                        metavar="N", help="pages of a shard waiting for "
                        "the merge at most (default 2)")
    parser.add_argument("--pipeline", action="store_true",
                        help="each shard a synapsegtsrc pipeline, not a "
                        "Synapse.Pager")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a dask scheduler, e.g. tcp://10.0.0.5:8786 "
                        "(default: a LocalCluster)")
    parser.add_argument("--threads", action="store_true",
                        help="a LocalCluster of threads, not processes")
    parser.add_argument("--out", default="-", metavar="FILE",
                        help="the NDJSON file (default -: stdout)")
    args = parser.parse_args()

    base_url = os.environ.get("SYNAPSE_BACKEND_URL")
    token = os.environ.get("SYNAPSE_ACCESS_TOKEN")
    if not base_url or not token:
        parser.error("set SYNAPSE_BACKEND_URL and SYNAPSE_ACCESS_TOKEN")
    try:
        versions = [int(v) for v in args.dataset_versions.split(",")] \
            if args.dataset_versions else []
    except ValueError:
        parser.error("--dataset-versions: not ids: %r"
                     % args.dataset_versions)

    params = {}
    element = {"page-size": args.page_size or 0,
               "prefetch": args.prefetch or 0}
    if versions:
        params["ground_truth_dataset_versions"] = versions
        element["dataset-versions"] = ",".join(map(str, versions))
    if args.project is not None:
        params["project"] = args.project
        element["project"] = args.project
    if args.data_type:
        params["data_type"] = args.data_type
        element["data-type"] = args.data_type
    job = {"base_url": base_url, "token": Secret(token),
           "tenant": os.environ.get("SYNAPSE_TENANT"), "params": params,
           "element": element, "shards": args.workers,
           "page_size": args.page_size, "prefetch": args.prefetch,
           "pipeline": args.pipeline, "queue_depth": args.queue_depth}

    from distributed import Event, Queue

    start = time.monotonic()
    try:
        with dask_client(args) as client:
            threads = sum(client.nthreads().values())
            if threads < args.workers:
                print("error: the cluster has %d threads, fewer than the %d "
                      "shards, which run at once" % (threads, args.workers),
                      file=sys.stderr)
                return 1
            run = uuid.uuid4().hex[:12]
            stop_name = "synapse-stop-%s" % run
            stop = Event(stop_name)
            shards = []
            try:
                for i in range(args.workers):
                    name = "synapse-shard-%s-%d" % (run, i)
                    queue = Queue(name)
                    future = client.submit(
                        read_shard, job, i, name, stop_name, pure=False,
                        key="synapse-shard-%d-of-%d-%s" % (i, args.workers,
                                                           run))
                    shards.append(Shard(i, queue, future))
                    shards[-1].watch()
                with output(args.out) as out:
                    events, pages = merge(shards, out)
            finally:
                stop.set()
                for shard in shards:
                    shard.closing = True
                    shard.future.cancel()
                    shard.queue.close()
    except ShardError as error:
        print("error: %s" % error, file=sys.stderr)
        if error.status == 401:
            print("http-status: 401 (check SYNAPSE_ACCESS_TOKEN)",
                  file=sys.stderr)
        elif error.status:
            print("http-status: %d" % error.status, file=sys.stderr)
        return 1
    except OSError as error:
        # the scheduler cannot be reached, the output cannot be written
        print("error: %s" % error, file=sys.stderr)
        return 1

    print("%d events, %d pages, %d shards (%s) in %.1f s -> %s" % (
        events, pages, args.workers,
        "pipelines" if args.pipeline else "pagers",
        time.monotonic() - start, args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
