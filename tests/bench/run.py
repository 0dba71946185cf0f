#!/usr/bin/python3
"""gst-synapse benchmarks: one command, a table of figures and ratios.

    tests/bench/run.py [--build _build] [--quick] [--only upload,...]

Every figure is measured in the same run against the same local backend
(synapse-dev-backend), beside baselines run the same way, so the ratios
mean something on any machine. --quick shrinks every size so that the test
suite can smoke-run the whole thing in seconds.

Sections:
  events   events/s of `synapsegtsrc ! fakesink` at 0 ms and 20 ms of
           latency a page, beside the SDK's way in Python (sdk_baseline.py)
           and curl fetching the same page URLs, one after another and 8 at
           a time; time to the first event
  media    files/s (and MiB/s) of `synapsemediasrc ! fakesink` over a
           listing of 2,000 events, a data unit's image each (max-downloads
           8, and 1, 4, 16), beside the SDK's way in Python (the listing,
           then each file in turn on one session) and curl fetching the
           same file URLs in turn and 8 at a time (listed beforehand,
           untimed); time to the first file; peak RSS, and with a slow
           sink at max-bytes 64 MiB and 1 MiB beside synapsegtsrc's
           listing alone
  memory   peak RSS while streaming 1,000 and 1,000,000 events
  cost     what an event costs the machine, whole process: instructions
           (callgrind, 20,000 events minus 1, prefetch=1: the same figure
           however loaded the machine) of the raw path and of a URL
           conversion (url-prefix), and where they are (gst-synapse's own
           code, GStreamer's, GLib's, libc's, libsoup's), beside curl
           fetching the same pages and benchpagesrc pushing the same
           buffers with nothing behind them (bench-page-src.c: what
           GStreamer alone costs an event, which with curl's is the floor
           while a buffer is an event);
           CPU seconds (user+sys) a million events, beside the SDK's way
           and curl; synapsemediasrc's instructions a file (500 files
           minus 1) beside curl fetching the same files
  upload   a file uploaded by `filesrc ! synapsemodelsink` (and by the
           library alone), beside curl sending the same chunked PUTs (the
           MD5 by md5sum before them, or alongside: the baseline the
           ratios take, as the protocol needs the MD5) and the SDK's upload
           in Python; throughput, CPU seconds of client and server, the
           rate at which both would fill every core, and peak RSS, and
           filesrc into a fakesink (what 4 KiB buffers cost GStreamer
           alone); to upload_endpoint.py, which throws the bytes away at
           next to no cost (the client measured), and to synapse-dev-backend,
           which parses and hashes them as a backend does and, on a
           2-core machine, takes the cores the client would use
  shards   events/s of 1, 2 and 4 `synapsegtsrc shard-index=i shard-count=N`
           processes run at once (aggregate, prefetch 4 each) over 1,000
           pages at 20 ms a page, beside one pipeline with the same total
           prefetch (4N); the time from a flushing seek to its first event
           near the start, in the middle and at the end of that listing,
           beside one page request
"""

import argparse
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

MIB = 1024 * 1024


TOKEN = "bench-token"
HERE = os.path.dirname(os.path.abspath(__file__))


class Backend:
    """synapse-dev-backend on a free port, for the length of a `with`."""

    def __init__(self, build, *flags):
        binary = os.path.join(build, "tests", "backend", "synapse-dev-backend")
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--no-log", "--quiet", "--token", TOKEN,
             *flags],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"(https?://\S+)", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"synapse-dev-backend did not start: {line!r}")
        self.url = match.group(1)

    def set_latency(self, ms):
        subprocess.run(["curl", "-sS", "--fail", "-X", "PUT", "-o",
                        os.devnull, f"{self.url}_control/latency/?ms={ms}"],
                       check=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)


def children_max_rss_kib():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def run_json(argv, env=None):
    result = subprocess.run(argv, capture_output=True, text=True, env=env,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def gst_env(build):
    return dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "plugin"),
                GST_REGISTRY=os.path.join(build, "bench-registry.bin"))


# Every client talks to loopback: no system proxy lookups on the way.
os.environ["GIO_USE_PROXY_RESOLVER"] = "dummy"
os.environ["no_proxy"] = "127.0.0.1"


def bench_src_argv(build, element, url, settings, consume_us=0):
    """bench-src streaming `element` from the backend at `url` into a
    fakesink, each of `settings` a PROPERTY=VALUE; the sink spends
    `consume_us` on each buffer."""
    argv = [os.path.join(build, "tests", "bench", "bench-src")]
    if consume_us:
        argv.append(f"--consume-us={consume_us}")
    return argv + [element, f"base-url={url}", f"access-token={TOKEN}",
                   *settings]


def run_gtsrc(build, url, page_size, prefetch, num_events=None):
    settings = [f"page-size={page_size}", f"prefetch={prefetch}"]
    if num_events is not None:
        settings.append(f"num-buffers={num_events}")
    result = run_json(bench_src_argv(build, "synapsegtsrc", url, settings),
                      env=gst_env(build))
    result["events"] = result.pop("buffers")
    return result


def run_mediasrc(build, url, page_size, *settings, consume_us=0):
    result = run_json(bench_src_argv(build, "synapsemediasrc", url,
                                     [f"page-size={page_size}", *settings],
                                     consume_us), env=gst_env(build))
    result["files"] = result.pop("buffers")
    return result


def run_shards(build, url, page_size, shards, prefetch):
    """`shards` bench-src processes of synapsegtsrc, shard i of `shards`
    each, started together: the wall-clock seconds from the first start to
    the last end, and the events of all."""
    argvs = [bench_src_argv(build, "synapsegtsrc", url, [
        f"page-size={page_size}", f"prefetch={prefetch}",
        f"shard-index={i}", f"shard-count={shards}"])
        for i in range(shards)]
    start = time.monotonic()
    processes = [subprocess.Popen(argv, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  env=gst_env(build)) for argv in argvs]
    results = [p.communicate() for p in processes]
    seconds = time.monotonic() - start
    events = 0
    for process, (out, err) in zip(processes, results):
        if process.returncode != 0:
            raise RuntimeError(f"bench-src failed: {err.strip()}")
        events += json.loads(out.strip().splitlines()[-1])["buffers"]
    return {"seconds": seconds, "events": events}


def run_seek(build, url, page_size, event):
    """bench-src --seek: seconds from a flushing seek to event `event` to
    that event at the sink, the pipeline prerolled before."""
    result = run_json([bench_src_argv(build, "synapsegtsrc", url, [])[0],
                       f"--seek={event}", *bench_src_argv(
                           build, "synapsegtsrc", url,
                           [f"page-size={page_size}"])[1:]],
                      env=gst_env(build))
    assert result["seek_offset"] == event, result
    result["seconds"] = result["seek_seconds"]
    return result


def page_round_trip(url, page_size, page):
    """Seconds one GET of a page takes (urllib, a new connection)."""
    request = urllib.request.Request(
        f"{url}sdk/ground_truth_events/?page_size={page_size}&page={page}",
        headers={"Synapse-Access-Token": f"Token {TOKEN}"})
    start = time.monotonic()
    with urllib.request.urlopen(request, timeout=60) as reply:
        reply.read()
    return {"seconds": time.monotonic() - start}


def bench_shards(build, quick, workdir, rows):
    page_size = 100
    pages = 20 if quick else 1000
    events = pages * page_size
    latency = 20
    prefetch = 4
    runs = 1 if quick else 3

    with Backend(build, "--placeholder-media", "--versions", "1", "--events",
                 str(events), "--latency-ms", str(latency)) as backend:
        run_gtsrc(build, backend.url, page_size, prefetch)        # warm up
        # both timed the same way, process starts included: one pipeline
        # is one shard of one, with N times the prefetch
        measures = {}
        for n in (1, 2, 4):
            measures[("shards", n)] = (lambda n=n: run_shards(
                build, backend.url, page_size, n, prefetch))
            if n > 1:
                measures[("one", n)] = (lambda n=n: run_shards(
                    build, backend.url, page_size, 1, n * prefetch))
        medians = interleaved_medians(runs, measures)

        middle = events // 2
        seeks = {"near the start": page_size + page_size // 2,
                 "in the middle": middle,
                 "in the last page": events - page_size // 2}
        seek_measures = {name: (lambda event=event: run_seek(
            build, backend.url, page_size, event))
            for name, event in seeks.items()}
        seek_measures["page"] = lambda: page_round_trip(
            backend.url, page_size, pages // 2 + 1)
        seek_runs = 3 if quick else 7
        seek_medians = interleaved_medians(seek_runs, seek_measures)

    for result in medians.values():
        assert result["events"] == events, result
    base = events / medians[("shards", 1)]["seconds"]
    rows.append(("shards", f"{pages:,} pages of {page_size}, {latency} ms a "
                 "page" + (f" (median of {runs})" if runs > 1 else ""),
                 f"1 shard (one pipeline), prefetch={prefetch}",
                 f"{base:,.0f} events/s", ""))
    for n in (2, 4):
        shards = events / medians[("shards", n)]["seconds"]
        one = events / medians[("one", n)]["seconds"]
        rows.append(("shards", "", f"{n} shards at once, prefetch={prefetch}"
                     " each (aggregate)", f"{shards:,.0f} events/s",
                     f"x{shards / base:.2f} 1 shard, "
                     f"x{shards / one:.2f} one pipeline"))
        rows.append(("shards", "", f"one pipeline, prefetch={n * prefetch}",
                     f"{one:,.0f} events/s", f"x{one / base:.2f} 1 shard"))
    page = seek_medians["page"]["seconds"]
    near = seek_medians["near the start"]["seconds"]
    first = True
    for name, event in seeks.items():
        seconds = seek_medians[name]["seconds"]
        rows.append(("shards", f"seek, from PAUSED (median of {seek_runs})"
                     if first else "",
                     f"to event {event:,} ({name}, page "
                     f"{event // page_size + 1:,}): first event",
                     f"{seconds * 1000:.1f} ms",
                     f"x{seconds / page:.2f} a page request"
                     + ("" if first else
                        f", x{seconds / near:.2f} near the start")))
        first = False
    rows.append(("shards", "", f"one page request (urllib, page "
                 f"{pages // 2 + 1:,})", f"{page * 1000:.1f} ms", ""))


def run_sdk_events(url, page_size):
    return run_json(["/usr/bin/python3", os.path.join(HERE, "sdk_baseline.py"),
                     "events", url, TOKEN, str(page_size)])


def run_curl(urls, parallel, workdir):
    """Seconds curl takes to fetch `urls` (bodies thrown away), on one
    connection in turn, or `parallel` at a time."""
    config = os.path.join(workdir, "urls.curl")
    with open(config, "w") as f:
        for each in urls:
            f.write(f'url = "{each}"\noutput = "{os.devnull}"\n')
    argv = ["curl", "-sS", "--no-progress-meter", "--fail", "-H",
            f"Synapse-Access-Token: Token {TOKEN}", "-K", config]
    if parallel > 1:
        argv[1:1] = ["--parallel", "--parallel-max", str(parallel)]
    start = time.monotonic()
    subprocess.run(argv, check=True)
    return time.monotonic() - start


def run_curl_pages(url, page_size, pages, parallel, workdir):
    """run_curl () over the page URLs 1..pages."""
    return run_curl([f"{url}sdk/ground_truth_events/?page_size={page_size}"
                     f"&page={page}" for page in range(1, pages + 1)],
                    parallel, workdir)


def list_file_urls(url, page_size):
    """The URL of the first file of each event's data unit, the listing
    walked by its `next` links (with the standard library: the suite's
    python3 may lack requests)."""
    urls = []
    page_url = f"{url}sdk/ground_truth_events/?page_size={page_size}"
    while page_url:
        request = urllib.request.Request(page_url, headers={
            "Synapse-Access-Token": f"Token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            page = json.load(reply)
        for event in page["results"]:
            files = (event.get("data_unit") or {}).get("files") or {}
            for entry in files.values():
                urls.append(entry["url"] if isinstance(entry, dict)
                            else entry)
                break
        page_url = page["next"]
    return urls


def median_run(runs, measure):
    """The run with the median time of `runs` runs of `measure()` (a dict
    with "seconds"): these 2-core machines are noisy."""
    results = sorted((measure() for _ in range(runs)),
                     key=lambda r: r["seconds"])
    return results[len(results) // 2]


def interleaved_medians(runs, measures):
    """median_run () of each of `measures` (a dict of name: measure), the
    runs taken in rounds, one of each a round: a burst of load from
    elsewhere on the machine then slows every contender alike, rather than
    the one whose runs it falls on."""
    results = {name: [] for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            results[name].append(measure())
    return {name: sorted(done, key=lambda r: r["seconds"])[len(done) // 2]
            for name, done in results.items()}


def bench_events(build, quick, workdir, rows):
    page_size = 100
    pages = 20 if quick else 1000
    events = pages * page_size
    prefetch = default_prefetch(build)

    with Backend(build, "--placeholder-media", "--versions", "1", "--events",
                 str(events)) as backend:
        run_gtsrc(build, backend.url, page_size, prefetch)        # warm up
        for latency in (0, 20):
            # at 0 ms the run is short and the machine noisy: take medians
            runs = 5 if latency == 0 and not quick else 1
            backend.set_latency(latency)
            ours = median_run(runs, lambda: run_gtsrc(
                build, backend.url, page_size, prefetch))
            sequential = median_run(runs, lambda: run_gtsrc(
                build, backend.url, page_size, 1))
            sdk = median_run(runs, lambda: run_sdk_events(backend.url,
                                                          page_size))
            curl_seq = median_run(runs, lambda: {
                "seconds": run_curl_pages(backend.url, page_size, pages, 1,
                                          workdir)})["seconds"]
            curl_par = median_run(runs, lambda: {
                "seconds": run_curl_pages(backend.url, page_size, pages, 8,
                                          workdir)})["seconds"]
            assert ours["events"] == sdk["events"] == events

            rate = events / ours["seconds"]
            work = (f"{pages} pages of {page_size}, {latency} ms a page"
                    + (f" (median of {runs})" if runs > 1 else ""))
            rows.append(("events", work,
                         f"synapsegtsrc ! fakesink, prefetch={prefetch}",
                         f"{rate:,.0f} events/s",
                         f"x{rate / (events / sdk['seconds']):.1f} the SDK"))
            rows.append(("events", "", "synapsegtsrc ! fakesink, prefetch=1",
                         f"{events / sequential['seconds']:,.0f} events/s",
                         ""))
            rows.append(("events", "", "SDK-style Python (sdk_baseline.py)",
                         f"{events / sdk['seconds']:,.0f} events/s", ""))
            rows.append(("events", "", "curl, pages in turn",
                         f"{events / curl_seq:,.0f} events/s",
                         f"x{rate / (events / curl_seq):.2f} curl"))
            rows.append(("events", "", "curl, 8 pages at a time",
                         f"{events / curl_par:,.0f} events/s",
                         f"x{rate / (events / curl_par):.2f} curl -Z"))
            rows.append(("events", "", "time to first event",
                         f"{ours['first_seconds'] * 1000:.1f} ms",
                         f"SDK {sdk['first_seconds'] * 1000:.1f} ms"))
        backend.set_latency(0)


def bench_media(build, quick, workdir, rows):
    page_size = 100
    events = 60 if quick else 2000
    runs = 1 if quick else 5
    downloads = element_default(build, "synapsemediasrc", "max-downloads", 8)
    budget = element_default(build, "synapsemediasrc", "max-bytes", 64 * MIB)
    small_budget = 1 * MIB
    # a sink that takes 1 ms a file (a decoder, a model) gives the element
    # the time to fetch ahead of it, within max-bytes: a budget that binds
    # shows in the peak RSS
    consume_us = 1000

    # real images (no --placeholder-media): the element checks each MD5
    with Backend(build, "--versions", "1", "--events", str(events)) as backend:
        run_mediasrc(build, backend.url, page_size)               # warm up
        urls = list_file_urls(backend.url, page_size)             # untimed
        measures = {
            "ours": lambda: run_mediasrc(build, backend.url, page_size),
            "sdk": lambda: run_json(
                ["/usr/bin/python3", os.path.join(HERE, "sdk_baseline.py"),
                 "media", backend.url, TOKEN, str(page_size)]),
            "curl_seq": lambda: {
                "seconds": run_curl(urls, 1, workdir)},
            "curl_par": lambda: {
                "seconds": run_curl(urls, 8, workdir)}}
        for n in (1, 4, 16):
            measures[n] = (lambda n=n: run_mediasrc(
                build, backend.url, page_size, f"max-downloads={n}"))
        medians = interleaved_medians(runs, measures)
        slow_default = run_mediasrc(build, backend.url, page_size,
                                    consume_us=consume_us)
        slow_small = run_mediasrc(build, backend.url, page_size,
                                  f"max-bytes={small_budget}",
                                  consume_us=consume_us)
        listing = run_gtsrc(build, backend.url, page_size,
                            default_prefetch(build))
    ours, sdk = medians["ours"], medians["sdk"]
    curl_seq = medians["curl_seq"]["seconds"]
    curl_par = medians["curl_par"]["seconds"]
    others = {n: medians[n] for n in (1, 4, 16)}
    files = len(urls)
    size = ours["bytes"]
    for result in (ours, sdk, slow_default, slow_small, *others.values()):
        assert (result["files"], result["bytes"]) == (files, size), result
    assert files == events, files

    def rates(seconds):
        return (f"{files / seconds:,.0f} files/s, "
                f"{size / seconds / MIB:.1f} MiB/s")

    def over_listing(result):
        extra = (result["max_rss_kib"] - listing["max_rss_kib"]) / 1024
        return f"+{extra:.1f} MiB over the listing"

    rate = files / ours["seconds"]
    work = (f"{events:,} events, images of {size / files / 1024:.1f} KiB"
            + (f" (median of {runs})" if runs > 1 else ""))
    rows.append(("media", work,
                 f"synapsemediasrc ! fakesink, max-downloads={downloads}",
                 rates(ours["seconds"]),
                 f"x{rate / (files / sdk['seconds']):.1f} the SDK"))
    for n, result in others.items():
        rows.append(("media", "", f"synapsemediasrc, max-downloads={n}",
                     rates(result["seconds"]),
                     f"x{(files / result['seconds']) / rate:.2f} "
                     f"max-downloads={downloads}"))
    rows.append(("media", "", "SDK-style Python, files in turn",
                 rates(sdk["seconds"]), ""))
    rows.append(("media", "", "curl, files in turn (listing untimed)",
                 rates(curl_seq), f"x{rate / (files / curl_seq):.2f} curl"))
    rows.append(("media", "", "curl, 8 files at a time (listing untimed)",
                 rates(curl_par),
                 f"x{rate / (files / curl_par):.2f} curl -Z"))
    rows.append(("media", "", "time to first file",
                 f"{ours['first_seconds'] * 1000:.1f} ms",
                 f"SDK {sdk['first_seconds'] * 1000:.1f} ms"))
    rows.append(("media", "", "synapsemediasrc peak RSS",
                 f"{ours['max_rss_kib'] / 1024:.1f} MiB",
                 f"SDK {sdk['max_rss_kib'] / 1024:.1f} MiB"))
    small_to_default = slow_small["max_rss_kib"] / slow_default["max_rss_kib"]
    rows.append(("media", f"sink {consume_us // 1000} ms a file",
                 f"synapsemediasrc peak RSS, max-bytes={budget // MIB} MiB",
                 f"{slow_default['max_rss_kib'] / 1024:.1f} MiB",
                 over_listing(slow_default)))
    rows.append(("media", "", "synapsemediasrc peak RSS, max-bytes="
                 f"{small_budget // MIB} MiB",
                 f"{slow_small['max_rss_kib'] / 1024:.1f} MiB",
                 f"x{small_to_default:.2f} the default, "
                 f"{over_listing(slow_small)}"))
    rows.append(("media", "", "synapsegtsrc peak RSS, the listing alone",
                 f"{listing['max_rss_kib'] / 1024:.1f} MiB", ""))


def bench_memory(build, quick, workdir, rows):
    small, large = (1000, 20000) if quick else (1000, 1000000)
    prefetch = default_prefetch(build)
    with Backend(build, "--placeholder-media", "--versions", "10", "--events",
                 str(large // 10)) as backend:
        few = run_gtsrc(build, backend.url, 100, prefetch, small)
        many = run_gtsrc(build, backend.url, 100, prefetch)
    assert many["events"] == large, many
    rows.append(("memory", f"{small:,} events", "synapsegtsrc peak RSS",
                 f"{few['max_rss_kib'] / 1024:.1f} MiB", ""))
    rows.append(("memory", f"{large:,} events", "synapsegtsrc peak RSS",
                 f"{many['max_rss_kib'] / 1024:.1f} MiB",
                 f"+{(many['max_rss_kib'] - few['max_rss_kib']) / 1024:.1f}"
                 f" MiB over {small:,}"))


def run_rusage(argv, env=None):
    """Runs `argv` to its end: (its stdout, its user+sys CPU seconds), the
    CPU from wait4 (), that process alone."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                   stderr=errors, env=env)
        out = process.stdout.read()
        process.stdout.close()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{argv[0]} failed: "
                               f"{errors.read().decode().strip()}")
    return out.decode(), usage.ru_utime + usage.ru_stime


def callgrind_refs(argv, env=None):
    """The instructions (callgrind's I refs) `argv` executes, every thread
    of the process counted."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         *argv], capture_output=True, text=True, env=env, check=False)
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"callgrind of {argv[0]} failed: "
                           f"{result.stderr.strip()[-2000:]}")
    return int(match.group(1).replace(",", ""))


# The parts of the process an instruction count is split into, by the
# shared object the instruction lies in (inlined code counts where it was
# inlined).
COST_PARTS = (("gst-synapse", ("libsynapse", "libgstsynapse")),
              ("GStreamer", ("libgstreamer", "libgstbase",
                             "libgstcoreelements")),
              ("libsoup+GIO", ("libsoup", "libgio")),
              ("GLib+GObject", ("libglib", "libgobject")),
              ("libc", ("libc.so", "ld-linux")))


def callgrind_parts(argv, workdir, env=None):
    """callgrind_refs (), split into COST_PARTS (and "other"): each
    object's own instructions, read from callgrind's profile."""
    profile = os.path.join(workdir, "callgrind.out")
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}",
         *argv], capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"callgrind of {argv[0]} failed: "
                           f"{result.stderr.strip()[-2000:]}")
    names = {}
    parts = dict.fromkeys([name for name, _ in COST_PARTS] + ["other"], 0)
    part = "other"
    after_call = False
    with open(profile) as lines:
        for line in lines:
            if line.startswith(("ob=", "cob=")):
                # "ob=(id) name" (or cob=, a callee's) names an object
                # once, "ob=(id)" after
                ident, _, name = line.split("=", 1)[1].strip().partition(" ")
                name = names.setdefault(ident, name)
                if line.startswith("ob="):
                    part = next((title for title, objects in COST_PARTS
                                 if any(o in name for o in objects)), "other")
            elif line.startswith("calls="):
                after_call = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                # the line after calls= is the call's inclusive cost
                if not after_call:
                    parts[part] += int(line.split()[-1])
                after_call = False
    os.unlink(profile)
    return parts


def curl_config(urls, workdir, name):
    """A curl -K file fetching `urls`, bodies thrown away."""
    config = os.path.join(workdir, name)
    with open(config, "w") as f:
        for each in urls:
            f.write(f'url = "{each}"\noutput = "{os.devnull}"\n')
    return ["curl", "-sS", "--no-progress-meter", "--fail", "-H",
            f"Synapse-Access-Token: Token {TOKEN}", "-K", config]


def bench_cost(build, quick, workdir, rows):
    """What an event (and a file) costs the machine: instructions, whole
    process, counted by callgrind (the same figure on any machine, however
    loaded), and CPU seconds (user+sys), each beside a baseline measured
    the same way in the same run. An instruction figure is the difference
    between a run of N and a run of 1 (N minus 1 events, or files): the
    process's start-up, the first page and the shut-down cancel out."""
    page_size = 100
    # instructions: 20,000 events (200 pages), 500 files; CPU: 100,000
    grind_events = 400 if quick else 20000
    grind_files = 20 if quick else 500
    cpu_events = 2000 if quick else 100000
    runs = 1 if quick else 5
    prefix = "https://cdn.example.com"
    prefetch = default_prefetch(build)
    env = gst_env(build)
    have_valgrind = shutil.which("valgrind") is not None

    def gtsrc(url, n, *settings):
        extra = [f"num-buffers={n}"] if n else []
        return bench_src_argv(build, "synapsegtsrc", url,
                              [f"page-size={page_size}", *extra, *settings])

    def pages(url, n):
        return [f"{url}sdk/ground_truth_events/?page_size={page_size}"
                f"&page={page}" for page in range(1, n + 1)]

    def per_unit(high, low, n):
        return (high - low) / (n - 1)

    with Backend(build, "--placeholder-media", "--versions", "1", "--events",
                 str(max(grind_events, cpu_events))) as backend:
        url = backend.url
        # CPU seconds, whole process, a full listing of cpu_events; the
        # contenders interleaved round by round
        def cpu(argv, env=None):
            return lambda: dict(zip(("out", "seconds"), run_rusage(argv,
                                                                   env)))
        cpu_pages = cpu_events // page_size
        measures = {
            "raw": cpu(gtsrc(url, cpu_events, f"prefetch={prefetch}"), env),
            "raw1": cpu(gtsrc(url, cpu_events, "prefetch=1"), env),
            "converted": cpu(gtsrc(url, cpu_events, f"prefetch={prefetch}",
                                   f"url-prefix={prefix}"), env),
            "sdk": cpu(["/usr/bin/python3",
                        os.path.join(HERE, "sdk_baseline.py"), "events", url,
                        TOKEN, str(page_size)]),
            "curl": cpu(curl_config(pages(url, cpu_pages), workdir,
                                    "cost-pages.curl"))}
        measures["raw"]()                                         # warm up
        cpu_med = interleaved_medians(runs, measures)
        for name in ("raw", "raw1", "converted"):
            assert json.loads(cpu_med[name]["out"])["buffers"] == cpu_events
        assert json.loads(cpu_med["sdk"]["out"])["events"] == cpu_events

        grind = {}
        if have_valgrind:
            for name, settings in (("raw", []),
                                   ("converted", [f"url-prefix={prefix}"])):
                one = callgrind_parts(gtsrc(url, 1, "prefetch=1", *settings),
                                      workdir, env)
                many = callgrind_parts(gtsrc(url, grind_events, "prefetch=1",
                                             *settings), workdir, env)
                grind[name] = (per_unit(sum(many.values()),
                                        sum(one.values()), grind_events),
                               sum(one.values()))
                grind[name, "parts"] = {
                    part: per_unit(many[part], one[part], grind_events)
                    for part in many}
            # GStreamer's part: the same buffers (as many, as large, in
            # lists of a page) made and pushed with nothing behind them
            raw_out = json.loads(cpu_med["raw"]["out"])
            event_bytes = round(raw_out["bytes"] / raw_out["buffers"])

            def page_src(n):
                return callgrind_refs(
                    [os.path.join(build, "tests", "bench", "bench-src"),
                     "benchpagesrc", f"events={n}", f"page-size={page_size}",
                     f"event-bytes={event_bytes}"], env)
            grind["gstreamer"] = per_unit(page_src(grind_events),
                                          page_src(1), grind_events)
            # curl fetching the same pages in turn: the bytes received
            curl_one = callgrind_refs(curl_config(pages(url, 1), workdir,
                                                  "cost-one.curl"))
            curl_many = callgrind_refs(curl_config(
                pages(url, grind_events // page_size), workdir,
                "cost-many.curl"))
            grind["curl"] = ((curl_many - curl_one) / (grind_events - page_size),
                             curl_one)

    if have_valgrind:
        # real images (no --placeholder-media): the element checks each MD5
        with Backend(build, "--versions", "1", "--events",
                     str(grind_files)) as backend:
            urls = list_file_urls(backend.url, page_size)
            assert len(urls) == grind_files, len(urls)

            def mediasrc(n):
                return bench_src_argv(build, "synapsemediasrc", backend.url,
                                      [f"page-size={page_size}",
                                       f"num-buffers={n}"])
            media_one = callgrind_refs(mediasrc(1), env)
            media_many = callgrind_refs(mediasrc(grind_files), env)
            curl_one = callgrind_refs(curl_config(urls[:1], workdir,
                                                  "cost-file.curl"))
            curl_many = callgrind_refs(curl_config(urls, workdir,
                                                   "cost-files.curl"))
            media = (per_unit(media_many, media_one, grind_files),
                     per_unit(curl_many, curl_one, grind_files))

    def per_million(name):
        return cpu_med[name]["seconds"] / cpu_events * 1e6

    work = f"{cpu_events:,} events, whole process" + (
        f" (median of {runs})" if runs > 1 else "")
    rows.append(("cost", work,
                 f"synapsegtsrc ! fakesink, prefetch={prefetch}",
                 f"{per_million('raw'):.2f} CPU s/M events",
                 f"SDK/this = {per_million('sdk') / per_million('raw'):.1f}"))
    rows.append(("cost", "", "synapsegtsrc ! fakesink, prefetch=1",
                 f"{per_million('raw1'):.2f} CPU s/M events", ""))
    rows.append(("cost", "", "synapsegtsrc url-prefix=…",
                 f"{per_million('converted'):.2f} CPU s/M events",
                 f"x{per_million('converted') / per_million('raw'):.2f} "
                 "the raw path"))
    rows.append(("cost", "", "SDK-style Python (sdk_baseline.py)",
                 f"{per_million('sdk'):.2f} CPU s/M events", ""))
    rows.append(("cost", "", "curl, pages in turn",
                 f"{per_million('curl'):.2f} CPU s/M events",
                 f"prefetch={prefetch}/curl = "
                 f"{per_million('raw') / per_million('curl'):.2f}"))
    if not have_valgrind:
        rows.append(("cost", "", "valgrind is not installed", "-", ""))
        return
    work = (f"callgrind, {grind_events:,} events minus 1, whole process,"
            " prefetch=1")
    rows.append(("cost", work, "synapsegtsrc ! fakesink (raw)",
                 f"{grind['raw'][0]:,.0f} instructions/event",
                 f"x{grind['raw'][0] / grind['curl'][0]:.1f} curl"))
    rows.append(("cost", "", "synapsegtsrc url-prefix=… (converted)",
                 f"{grind['converted'][0]:,.0f} instructions/event",
                 f"x{grind['converted'][0] / grind['raw'][0]:.2f} the raw "
                 "path"))
    for name in ("raw", "converted"):
        parts = grind[name, "parts"]
        rows.append(("cost", "", f"  {name}, where they are",
                     ", ".join(f"{part} {parts[part]:,.0f}"
                               for part, _ in COST_PARTS),
                     f"other {parts['other']:,.0f}"))
    rows.append(("cost", "", "curl, the same pages in turn",
                 f"{grind['curl'][0]:,.0f} instructions/event", ""))
    floor = grind["gstreamer"] + grind["curl"][0]
    rows.append(("cost", "", "benchpagesrc (the raw path's buffers alone)",
                 f"{grind['gstreamer']:,.0f} instructions/event",
                 f"+ curl's = {floor:,.0f}, the floor of a buffer an event"))
    rows.append(("cost", "", "start-up and 1 event, raw / converted",
                 f"{grind['raw'][1] / 1e6:.1f} / "
                 f"{grind['converted'][1] / 1e6:.1f} M instructions", ""))
    rows.append(("cost", f"callgrind, {grind_files:,} files minus 1 "
                 "(image files, MD5 checked)",
                 "synapsemediasrc ! fakesink",
                 f"{media[0]:,.0f} instructions/file",
                 f"x{media[0] / media[1]:.1f} curl"))
    rows.append(("cost", "", "curl, the same files in turn",
                 f"{media[1]:,.0f} instructions/file", ""))


def element_default(build, element, prop, fallback):
    """An element's default for a number property, as gst-inspect-1.0
    reports it."""
    out = subprocess.run(["gst-inspect-1.0", element],
                         capture_output=True, text=True, env=gst_env(build),
                         check=True).stdout
    match = re.search(r"\n  " + re.escape(prop) + r" .*?Default: (\d+)",
                      out, re.S)
    return int(match.group(1)) if match else fallback


def default_prefetch(build):
    """synapsegtsrc's default prefetch."""
    return element_default(build, "synapsegtsrc", "prefetch", 1)


def make_file(path, size):
    """A file of incompressible bytes, written a MiB at a time."""
    block = os.urandom(MIB)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(block[:min(left, MIB)])
            left -= min(left, MIB)


def split_chunks(path, chunk_size, workdir):
    """The file split into chunk files (once, untimed), as a client that
    PUTs them with curl would have them: [(chunk path, offset, length)]."""
    chunks = []
    with open(path, "rb") as f:
        index = 0
        while True:
            data = f.read(chunk_size)
            if not data:
                break
            chunk = os.path.join(workdir, f"chunk{index:05d}")
            with open(chunk, "wb") as out:
                out.write(data)
            chunks.append((chunk, index * chunk_size, len(data)))
            index += 1
    return chunks


def curl_chunked_upload(url, path, chunks, md5_alongside=False):
    """The protocol's chunked upload done by curl, one process a chunk,
    from `chunks` (split_chunks ()), as a client would send them. The MD5
    that finishing needs is taken by md5sum: before the PUTs and timed
    apart ("md5_seconds"; "seconds" and "cpu" are the PUTs' and the
    finish's), or, with `md5_alongside`, while the PUTs go out, as a
    client that hashes and sends at once would (then "seconds" is the
    whole, md5sum included, and "cpu" curl's alone)."""
    size = os.path.getsize(path)
    md5_argv = ["md5sum", path]
    md5_seconds = 0.0
    if md5_alongside:
        start = time.monotonic()
        hashing = subprocess.Popen(md5_argv, stdout=subprocess.PIPE,
                                   text=True)
    else:
        start = time.monotonic()
        md5 = subprocess.run(md5_argv, capture_output=True, text=True,
                             check=True).stdout.split()[0]
        md5_seconds = time.monotonic() - start
        start = time.monotonic()

    cpu = 0.0
    target = url + "chunked_upload/"
    for chunk, offset, length in chunks:
        reply, used = run_rusage(
            ["curl", "-sS", "--fail", "-X", "PUT", "-H",
             f"Synapse-Access-Token: Token {TOKEN}", "-H",
             f"Content-Range: bytes {offset}-{offset + length - 1}/{size}",
             "-F", f"filename={os.path.basename(path)}",
             "-F", f"file=@{chunk};type=application/octet-stream", target])
        cpu += used
        target = json.loads(reply)["url"]
    if md5_alongside:
        md5 = hashing.communicate()[0].split()[0]
        assert hashing.returncode == 0
    _, used = run_rusage(["curl", "-sS", "--fail", "-X", "POST", "-H",
                          f"Synapse-Access-Token: Token {TOKEN}", "-H",
                          "Content-Type: application/json", "--data",
                          json.dumps({"md5": md5}), target])
    cpu += used
    return {"seconds": time.monotonic() - start, "cpu": cpu,
            "md5_seconds": md5_seconds}


def run_sink(build, url, path, chunk, blocksize=None, sink=None):
    """`filesrc ! synapsemodelsink` through gst-launch-1.0: seconds (process
    start included), CPU seconds and peak RSS; filesrc reads `blocksize`
    bytes a buffer (its default: 4 KiB). `sink` (a gst-launch description)
    replaces the upload, e.g. to measure the reading alone."""
    env = dict(gst_env(build), SYNAPSE_BACKEND_URL=url,
               SYNAPSE_ACCESS_TOKEN=TOKEN)
    sink = sink or ["synapsemodelsink", "model-name=bench",
                    "model-type=detection", "project=1",
                    f"chunk-size={chunk}"]
    argv = ["/usr/bin/time", "-f", "%M %U %S", "gst-launch-1.0", "-e", "-q",
            "filesrc", f"location={path}",
            *([f"blocksize={blocksize}"] if blocksize else []),
            "!", *sink]
    start = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, env=env,
                            check=False)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        raise RuntimeError(f"gst-launch-1.0 failed: {result.stderr}")
    rss, user, system = result.stderr.strip().splitlines()[-1].split()
    return {"seconds": seconds, "max_rss_kib": int(rss),
            "cpu": float(user) + float(system)}


class UploadEndpoint(Backend):
    """upload_endpoint.py on a free port: a chunked-upload endpoint that
    throws the bytes away, so that what is measured is the client."""

    def __init__(self):
        self.process = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(HERE, "upload_endpoint.py")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"(https?://\S+)", line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"upload_endpoint.py did not start: {line!r}")
        self.url = match.group(1)


def process_cpu_seconds(pid):
    """User+sys CPU seconds a running process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_server_cpu(server, measure):
    """`measure` (a dict with "seconds"), plus "server_cpu": the CPU
    seconds the server process used meanwhile."""
    def run():
        before = process_cpu_seconds(server.process.pid)
        result = measure()
        result["server_cpu"] = process_cpu_seconds(server.process.pid) - before
        return result
    return run


def bench_upload(build, quick, workdir, rows):
    """The same upload to two servers: synapse-dev-backend, which parses
    each multipart body and hashes every chunk as a real backend does (on
    this machine it shares the cores with the client), and
    upload_endpoint.py, which throws the bytes away at next to no cost;
    the client is only measured on the latter. CPU seconds per side."""
    size = 8 * MIB if quick else 1024 * MIB
    chunk = 1 * MIB if quick else 50 * MIB
    path = os.path.join(workdir, "model.bin")
    make_file(path, size)
    chunks = split_chunks(path, chunk, workdir)
    bench = os.path.join(build, "tests", "bench", "bench-upload")
    runs = 1 if quick else 3

    def library(url, chunk=chunk):
        def run():
            out, cpu = run_rusage([bench, url, path, str(chunk)])
            return dict(json.loads(out.strip().splitlines()[-1]), cpu=cpu)
        return run

    def sdk(url):
        def run():
            out, cpu = run_rusage(["/usr/bin/python3",
                                   os.path.join(HERE, "sdk_baseline.py"),
                                   "upload", url, TOKEN, path, str(chunk)])
            return dict(json.loads(out.strip().splitlines()[-1]), cpu=cpu)
        return run

    results = {}
    with Backend(build, "--discard-uploads") as backend, \
            UploadEndpoint() as endpoint:
        measures = {}
        for where, server in (("fast", endpoint), ("dev", backend)):
            url = server.url
            measures[where, "sink"] = with_server_cpu(
                server, lambda url=url: run_sink(build, url, path, chunk))
            measures[where, "library"] = with_server_cpu(server,
                                                         library(url))
            measures[where, "curl"] = with_server_cpu(
                server, lambda url=url: curl_chunked_upload(url, path,
                                                            chunks))
            measures[where, "curl_md5"] = with_server_cpu(
                server, lambda url=url: curl_chunked_upload(
                    url, path, chunks, md5_alongside=True))
            measures[where, "sdk"] = with_server_cpu(server, sdk(url))
        # the cost of a buffer: filesrc's default 4 KiB, and 64 KiB
        measures["fast", "sink64k"] = with_server_cpu(
            endpoint, lambda: run_sink(build, endpoint.url, path, chunk,
                                       64 * 1024))
        # and what GStreamer alone spends on those buffers: the same
        # reading into a fakesink, nothing uploaded
        for name, blocksize in (("read4k", None), ("read64k", 64 * 1024)):
            measures["fast", name] = with_server_cpu(
                endpoint, lambda blocksize=blocksize: run_sink(
                    build, endpoint.url, path, chunk, blocksize,
                    ["fakesink", "sync=false"]))
        # warm the page cache and both servers, measured by none
        for where in ("fast", "dev"):
            measures[where, "sink"]()
        results = interleaved_medians(runs, measures)
        # the chunks held: the peak RSS beside that of chunks 8 times
        # smaller, the rest of the process being the same
        small = chunk // 8
        small_sink = run_sink(build, endpoint.url, path, small)
        small_lib = library(endpoint.url, small)()
    for each, _, _ in chunks:
        os.unlink(each)
    os.unlink(path)

    def held(result, small_result):
        return ((result["max_rss_kib"] - small_result["max_rss_kib"]) * 1024
                / (chunk - small))

    def rate(seconds):
        return size / seconds / MIB

    def cpu(result):
        return f"CPU client {result['cpu']:.2f} s, server " \
            f"{result['server_cpu']:.2f} s"

    cores = os.cpu_count() or 1

    def cpu_bound(result):
        # the rate at which the client and the server together would keep
        # every core busy: a measured rate near it is the machine's CPU,
        # not the client, setting the pace
        return size / ((result["cpu"] + result["server_cpu"]) / cores) / MIB

    for where, title in (
            ("fast", "upload_endpoint.py (bytes discarded): the client"),
            ("dev", "synapse-dev-backend --discard-uploads, end to end: the "
             f"backend parses and hashes every chunk on the same {cores} "
             "cores")):
        sink, lib, curl, both, py = (results[where, name] for name in
                                     ("sink", "library", "curl", "curl_md5",
                                      "sdk"))
        sink_rate = rate(sink["seconds"])
        curl_rate = rate(curl["seconds"])
        # the fair baseline: the protocol needs the file's MD5, which a
        # client hashing while it sends (md5sum alongside curl) pays too
        both_rate = rate(both["seconds"])
        work = f"{size // MIB} MiB in {chunk // MIB} MiB chunks to {title}" \
            + (f" (median of {runs})" if runs > 1 else "")
        rows.append(("upload", work, "filesrc ! synapsemodelsink (gst-launch)",
                     f"{sink_rate:.0f} MiB/s",
                     f"x{sink_rate / both_rate:.2f} md5sum alongside curl, "
                     f"x{sink_rate / curl_rate:.2f} curl alone; {cpu(sink)}"
                     f"; CPU bound {cpu_bound(sink):.0f} MiB/s"))
        if (where, "sink64k") in results:
            big = results[where, "sink64k"]
            rows.append(("upload", "", "filesrc blocksize=65536 ! "
                         "synapsemodelsink", f"{rate(big['seconds']):.0f} "
                         "MiB/s", f"x{rate(big['seconds']) / both_rate:.2f} "
                         "md5sum alongside curl, "
                         f"x{rate(big['seconds']) / sink_rate:.2f} 4 KiB "
                         f"buffers; {cpu(big)}"))
            small_cpu = results[where, "read4k"]["cpu"]
            big_cpu = results[where, "read64k"]["cpu"]
            rows.append(("upload", "", "filesrc ! fakesink, 4 KiB / 64 KiB "
                         "buffers (nothing uploaded)",
                         f"{small_cpu:.2f} / {big_cpu:.2f} CPU s",
                         f"4 KiB buffers cost {small_cpu - big_cpu:.2f} CPU s "
                         f"more; in the sink {sink['cpu'] - big['cpu']:.2f} "
                         "s more"))
        rows.append(("upload", "", "libsynapse create_chunked_upload",
                     f"{rate(lib['seconds']):.0f} MiB/s",
                     f"x{rate(lib['seconds']) / both_rate:.2f} md5sum "
                     f"alongside curl, x{rate(lib['seconds']) / curl_rate:.2f}"
                     f" curl alone; {cpu(lib)}"))
        rows.append(("upload", "", "md5sum alongside curl PUTs",
                     f"{both_rate:.0f} MiB/s",
                     f"md5sum alone {rate(curl['md5_seconds']):.0f} MiB/s; "
                     f"{cpu(both)} (md5sum's not counted); CPU bound "
                     f"{cpu_bound(both):.0f} MiB/s"))
        rows.append(("upload", "", "curl PUTs alone (no MD5)",
                     f"{curl_rate:.0f} MiB/s", cpu(curl)))
        md5_curl = rate(curl["seconds"] + curl["md5_seconds"])
        rows.append(("upload", "", "md5sum, then curl PUTs",
                     f"{md5_curl:.0f} MiB/s",
                     f"sink/that = {sink_rate / md5_curl:.2f}"))
        rows.append(("upload", "", "SDK-style Python (requests)",
                     f"{rate(py['seconds']):.0f} MiB/s",
                     f"sink/SDK = {sink_rate / rate(py['seconds']):.2f}; "
                     f"{cpu(py)}"))
        rows.append(("upload", "", "synapsemodelsink peak RSS",
                     f"{sink['max_rss_kib'] / 1024:.1f} MiB",
                     f"{held(sink, small_sink):.2f} chunks held "
                     f"(beside {small_sink['max_rss_kib'] / 1024:.1f} MiB "
                     f"with chunks of {small / MIB:g} MiB)"))
        rows.append(("upload", "", "libsynapse peak RSS",
                     f"{lib['max_rss_kib'] / 1024:.1f} MiB",
                     f"{held(lib, small_lib):.2f} chunks held "
                     f"(beside {small_lib['max_rss_kib'] / 1024:.1f} MiB)"))
        rows.append(("upload", "", "SDK-style Python peak RSS",
                     f"{py['max_rss_kib'] / 1024:.1f} MiB", ""))


SECTIONS = {"events": bench_events, "media": bench_media,
            "memory": bench_memory, "cost": bench_cost,
            "upload": bench_upload, "shards": bench_shards}


def print_table(rows):
    headers = ("section", "workload", "what", "figure", "ratio")
    widths = [max(len(str(r[i])) for r in rows + [headers])
              for i in range(len(headers))]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "_build"))
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes: a smoke run")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="comma-separated sections")
    args = parser.parse_args()

    if shutil.which("curl") is None:
        print("curl is needed for the baselines", file=sys.stderr)
        return 1
    # bench-upload reads its token from the environment
    os.environ["SYNAPSE_ACCESS_TOKEN"] = TOKEN
    rows = []
    with tempfile.TemporaryDirectory(prefix="synapse-bench-") as workdir:
        for name in args.only.split(","):
            SECTIONS[name](os.path.abspath(args.build), args.quick, workdir,
                           rows)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
