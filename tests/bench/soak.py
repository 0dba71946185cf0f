#!/usr/bin/python3
"""gst-synapse soak: long runs with faults along the way; memory stays flat.

    tests/bench/soak.py [--build _build] [--quick] [--events N]
                        [--upload-mib N] [--only events,upload]

Two runs, each of gst-launch-1.0 against synapse-dev-backend, with faults
injected through `POST _control/faults` (some before the run, with `skip=`
so that they strike along the way, some while it runs):

  events  `synapsegtsrc ! fdsink` streams N events (default 1,000,000) in
          pages of 1000 through 503 and 502 bursts, a 429 with Retry-After,
          responses cut mid-page, a truncated page and a stall shorter than
          the timeout. The output must be byte for byte the backend's
          events (`GET _control/events/?version=1`): none lost, repeated or
          reordered.
  upload  `filesrc ! synapsemodelsink` uploads an N MiB file (default
          2048) in 50 MiB chunks, to a backend that keeps only the running
          MD5 (--discard-uploads), through 503 bursts, chunk requests cut
          mid-body, a lost reply, a stall shorter than the timeout, a 429
          and a 503 on the finishing POST. Exactly one model must be
          created, from an upload whose size and MD5 are the file's.

The element's process RSS (VmRSS in /proc/PID/status) is sampled every
0.2 s; the table gives it at 10 %, 50 % and 90 % of the run, at the end,
and its peak (VmHWM). Memory is flat when the RSS at the end is within
max(8 MiB, 10 %) of the RSS at 10 %. The token goes through a token file
(events) and the environment (upload), never the command line.

Exit status: 0 when every output is right (and, without --quick, memory is
flat), 1 otherwise, 77 when there is nothing to run (no gst-launch-1.0 or
no plugin built). --quick shrinks the sizes so that the test suite can
smoke-run it in seconds (the memory verdict is then only printed).
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

MIB = 1024 * 1024
TOKEN = "soak-token-6b1f"
SAMPLE_S = 0.2
# Faults are dense, and a request retried may meet the next fault: enough
# retries that they never add up to a failure.
RETRIES = 10


# --- the backend -------------------------------------------------------------

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

    def request(self, method, path, body=None, auth=False):
        headers = {}
        if auth:
            headers["Synapse-Access-Token"] = f"Token {TOKEN}"
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data,
                                     method=method, headers=headers)
        return urllib.request.urlopen(req, timeout=60)

    def get_json(self, path, auth=False):
        with self.request("GET", path, auth=auth) as response:
            return json.load(response)

    def add_fault(self, spec):
        with self.request("POST", "_control/faults", spec) as response:
            return json.load(response)["id"]

    def faults(self):
        return self.get_json("_control/faults")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


# --- the element's process ---------------------------------------------------

class RssSampler(threading.Thread):
    """VmRSS of `pid` every SAMPLE_S until it exits; VmHWM at the last."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples = []           # (seconds since start, KiB)
        self.peak_kib = 0
        self.start_time = time.monotonic()
        self.stopped = threading.Event()

    def run(self):
        path = f"/proc/{self.pid}/status"
        while not self.stopped.is_set():
            try:
                with open(path) as f:
                    status = f.read()
            except OSError:
                break
            rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            hwm = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if not rss:             # a zombie: the process is done
                break
            self.samples.append((time.monotonic() - self.start_time,
                                 int(rss.group(1))))
            self.peak_kib = max(self.peak_kib, int(hwm.group(1)))
            self.stopped.wait(SAMPLE_S)

    def at(self, fraction):
        """The sample at `fraction` of the run's duration."""
        if not self.samples:
            return 0
        end = self.samples[-1][0]
        for t, kib in self.samples:
            if t >= fraction * end:
                return kib
        return self.samples[-1][1]

    def end(self):
        return self.samples[-1][1] if self.samples else 0


def gst_env(build, **extra):
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "plugin"),
               GST_REGISTRY=os.path.join(build, "soak-registry.bin"),
               GIO_USE_PROXY_RESOLVER="dummy", no_proxy="127.0.0.1")
    # the token is never taken from the caller's environment by accident
    env.pop("SYNAPSE_ACCESS_TOKEN", None)
    env.update(extra)
    return env


def inject_later(backend, specs_at):
    """Posts each (seconds, spec) while the run goes on."""
    def run():
        start = time.monotonic()
        for at, spec in specs_at:
            time.sleep(max(0.0, at - (time.monotonic() - start)))
            try:
                backend.add_fault(spec)
            except OSError:
                return
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def faults_hit(backend):
    faults = backend.faults()
    return sum(f["hits"] for f in faults), faults


def mib(kib):
    return f"{kib / 1024:.1f}"


# --- events ------------------------------------------------------------------

def soak_events(build, quick, n_events, workdir):
    page = 1000
    pages = (n_events + page - 1) // page
    token_file = os.path.join(workdir, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(token_file, 0o600)
    stall_ms = 300 if quick else 1500

    with Backend(build, "--placeholder-media", "--versions", "1", "--events",
                 str(n_events)) as be:
        # along the way, by request count...
        for spec in (
                f"status=503 skip={pages // 10} times=3",
                f"cut-response bytes=20000 skip={pages // 5} times=2",
                f"truncate bytes=5000 skip={pages * 3 // 10} times=1",
                f"status=429 retry-after=1 skip={pages * 4 // 10} times=1",
                f"stall ms={stall_ms} skip={pages // 2} times=1",
                f"status=502 skip={pages * 6 // 10} times=2",
                f"cut-response bytes=1 skip={pages * 8 // 10} times=1"):
            be.add_fault(spec + " path=sdk/ground_truth_events/")

        read_fd, write_fd = os.pipe()
        argv = ["gst-launch-1.0", "-q", "synapsegtsrc",
                f"base-url={be.url}", f"access-token-file={token_file}",
                "dataset-versions=1", f"page-size={page}", "timeout=5",
                f"retries={RETRIES}", "retry-backoff-factor=0.05",
                "retry-backoff-max=2", "!", "fdsink", f"fd={write_fd}",
                "sync=false"]
        start = time.monotonic()
        process = subprocess.Popen(argv, env=gst_env(build),
                                   pass_fds=(write_fd,),
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        os.close(write_fd)
        sampler = RssSampler(process.pid)
        sampler.start()
        # ...and at moments of the run
        injector = inject_later(be, [
            (0.5, "cut-response bytes=777 path=sdk/ground_truth_events/ "
                  "times=1"),
            (1.5, "status=503 path=sdk/ground_truth_events/ times=2")])

        digest = hashlib.sha256()
        lines = 0
        with os.fdopen(read_fd, "rb", buffering=0) as output:
            while True:
                block = output.read(MIB)
                if not block:
                    break
                digest.update(block)
                lines += block.count(b"\n")
        log = process.communicate()[0]
        duration = time.monotonic() - start
        sampler.stopped.set()
        sampler.join()
        injector.join(timeout=5)

        # what the backend serves, in its order
        want = hashlib.sha256()
        want_lines = 0
        with be.request("GET", "_control/events/?version=1") as response:
            while True:
                block = response.read(MIB)
                if not block:
                    break
                want.update(block)
                want_lines += block.count(b"\n")
        hits, faults = faults_hit(be)

    ok = (process.returncode == 0 and lines == want_lines == n_events
          and digest.hexdigest() == want.hexdigest())
    verdict = (f"{lines:,} events, identical to _control/events "
               f"(sha256 {digest.hexdigest()[:12]})" if ok else
               f"WRONG: {lines:,} events, want {want_lines:,}; sha256 "
               f"{digest.hexdigest()[:12]} vs {want.hexdigest()[:12]}; "
               f"exit {process.returncode}: {log.strip()[-300:]}")
    return {"run": "events", "work": f"{n_events:,} events",
            "hits": hits, "faults": faults, "seconds": duration,
            "sampler": sampler, "ok": ok, "verdict": verdict}


# --- upload ------------------------------------------------------------------

def make_file(path, size_mib):
    """size_mib MiB, every MiB different (so that a resume at a wrong
    offset shows in the MD5); returns its MD5."""
    seed = os.urandom(16 * MIB)
    md5 = hashlib.md5()
    with open(path, "wb") as f:
        for i in range(size_mib):
            start = (i * 7919 % 15) * MIB
            block = i.to_bytes(8, "little") + seed[start + 8:start + MIB]
            md5.update(block)
            f.write(block)
    return md5.hexdigest()


def soak_upload(build, quick, size_mib, workdir):
    chunk = 4 * MIB if quick else 50 * MIB
    chunks = (size_mib * MIB + chunk - 1) // chunk
    path = os.path.join(workdir, "model.bin")
    made = time.monotonic()
    md5 = make_file(path, size_mib)
    made = time.monotonic() - made
    stall_ms = 300 if quick else 1500

    with Backend(build, "--discard-uploads", "--models", "2") as be:
        models_before = be.get_json("models/", auth=True)["count"]
        put = "method=PUT path=chunked_upload/"
        for spec in (
                f"status=503 {put} skip={chunks // 10} times=2",
                f"cut-request bytes={chunk // 3} {put} "
                f"skip={chunks // 4} times=1",
                f"drop-response {put} skip={chunks * 4 // 10} times=1",
                f"stall ms={stall_ms} {put} skip={chunks // 2} times=1",
                f"status=429 retry-after=1 {put} "
                f"skip={chunks * 6 // 10} times=1",
                f"cut-request bytes={chunk // 2} {put} "
                f"skip={chunks * 8 // 10} times=1",
                # the finishing POST to the upload's URL
                "status=503 method=POST path=chunked_upload/ times=1"):
            be.add_fault(spec)

        argv = ["gst-launch-1.0", "-e", "-m", "filesrc", f"location={path}",
                "!", "synapsemodelsink", f"base-url={be.url}",
                "model-name=soak-model", "model-type=detection", "project=1",
                f"chunk-size={chunk}", "timeout=10", f"retries={RETRIES}",
                "retry-backoff-factor=0.05", "retry-backoff-max=2"]
        start = time.monotonic()
        process = subprocess.Popen(
            argv, env=gst_env(build, SYNAPSE_ACCESS_TOKEN=TOKEN),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        sampler = RssSampler(process.pid)
        sampler.start()
        injector = inject_later(be, [
            (1.0, f"cut-request bytes={chunk // 5} {put} times=1")])
        log = process.communicate()[0]
        duration = time.monotonic() - start
        sampler.stopped.set()
        sampler.join()
        injector.join(timeout=5)

        match = re.search(r"synapse-model-created.*?model-id=\(gint64\)(\d+)",
                          log)
        models_after = be.get_json("models/", auth=True)["count"]
        stored = {}
        if match:
            model = be.get_json(f"models/{match.group(1)}/", auth=True)
            stored = be.get_json(f"chunked_upload/{model['chunked_upload']}/",
                                 auth=True)
        hits, faults = faults_hit(be)
    os.unlink(path)

    size = size_mib * MIB
    ok = (process.returncode == 0 and match is not None
          and models_after == models_before + 1
          and stored.get("size") == size and stored.get("checksum") == md5)
    verdict = (f"1 model, upload of {size:,} bytes, md5 {md5[:12]} matches"
               if ok else
               f"WRONG: exit {process.returncode}, models {models_before} -> "
               f"{models_after}, stored {stored.get('size')} bytes md5 "
               f"{stored.get('checksum')} vs {size} {md5}: "
               f"{log.strip()[-300:]}")
    return {"run": "upload", "work": f"{size_mib:,} MiB in {chunks} chunks",
            "hits": hits, "faults": faults, "seconds": duration,
            "sampler": sampler, "ok": ok, "verdict": verdict,
            "note": f"(file made in {made:.1f} s)"}


# --- the table ---------------------------------------------------------------

def is_flat(sampler):
    base = sampler.at(0.1)
    return sampler.end() - base <= max(8 * 1024, base // 10)


def print_table(results, show_samples=False):
    head = ("run", "work", "faults hit", "duration", "RSS 10%", "50%", "90%",
            "end", "peak", "memory")
    rows = []
    for r in results:
        s = r["sampler"]
        rows.append((r["run"], r["work"], str(r["hits"]),
                     f"{r['seconds']:.1f} s", mib(s.at(0.1)),
                     mib(s.at(0.5)), mib(s.at(0.9)), mib(s.end()),
                     mib(s.peak_kib), "flat" if is_flat(s) else "GROWS"))
    widths = [max(len(row[i]) for row in [head] + rows)
              for i in range(len(head))]
    line = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths))
    print(line(head) + "   (RSS in MiB)")
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()
    for r in results:
        print(f"{r['run']}: {r['verdict']} {r.get('note', '')}".rstrip())
        for f in r["faults"]:
            print(f"    {f['hits']} x  {f['spec']}")
        samples = r["sampler"].samples
        print(f"    {len(samples)} RSS samples, "
              f"{mib(min(k for _, k in samples)) if samples else '-'}"
              f"..{mib(max(k for _, k in samples)) if samples else '-'} MiB")
        if show_samples:
            print("    " + " ".join(f"{t:.1f}s:{mib(k)}" for t, k in samples))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="_build")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int)
    parser.add_argument("--upload-mib", type=int)
    parser.add_argument("--only", default="events,upload")
    parser.add_argument("--samples", action="store_true",
                        help="print every RSS sample (seconds, MiB)")
    args = parser.parse_args()

    build = os.path.abspath(args.build)
    if shutil.which("gst-launch-1.0") is None or not os.path.isdir(
            os.path.join(build, "plugin")):
        print("soak: no gst-launch-1.0 or no plugin built: nothing to run")
        return 77
    n_events = args.events or (50000 if args.quick else 1000000)
    size_mib = args.upload_mib or (32 if args.quick else 2048)
    only = args.only.split(",")

    results = []
    with tempfile.TemporaryDirectory(prefix="synapse-soak-") as workdir:
        if "events" in only:
            results.append(soak_events(build, args.quick, n_events, workdir))
        if "upload" in only:
            results.append(soak_upload(build, args.quick, size_mib, workdir))
    print_table(results, args.samples)

    ok = all(r["ok"] for r in results)
    if not args.quick:
        ok = ok and all(is_flat(r["sampler"]) for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
