#!/usr/bin/python3
"""Conformance against a Django REST Framework server that is not ours.

Installs the project into a temporary DESTDIR, builds the C examples with
nothing but `pkg-config synapse-1.0`, starts tests/drf/serve.py (the
independent DRF reference server) and checks what a user would check:

- every event of a dataset version, listed by the C program, equals what
  the server serves (walked independently with urllib): same count, same
  objects, same order;
- a wrong token fails with HTTP 401 and the server's detail, without the
  token in the output;
- a model file of several chunks is stored byte-identical and the model is
  created, also when the connection is cut once mid-chunk (through
  tests/drf/faultproxy.py), and exactly one model appears each time;
- and the same for the installed GStreamer elements, run by gst-launch-1.0:
  `synapsegtsrc dataset-versions=N ! filesink` writes exactly that
  version's events in order, from any start-index and split into shards
  by the server's own page numbers, a wrong token ends it with the
  NOT_AUTHORIZED error and the token is nowhere in GST_DEBUG=*:9 output;
  `filesrc ! synapsemodelsink` creates exactly one model whose file has
  the local file's MD5, also with a connection cut mid-upload, with a
  peak memory near one chunk for a file many chunks long.

Usage: drf_conformance.py BUILD_DIR SOURCE_DIR
Exits 77 (skipped) when Django REST Framework is not installed.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

TOKEN = "conformance-token-5f1e"
SKIP = 77


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"ok    {message}")


def start(argv, banner, stderr=subprocess.DEVNULL):
    """Starts a server that prints '<banner> http://…/' first; returns
    (process, url)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr,
                               text=True)
    line = process.stdout.readline()
    if not line.startswith(banner):
        process.kill()
        fail(f"{argv[1]} did not start: {line!r}")
    return process, line.split()[-1]


def get_json(url, token=TOKEN):
    request = urllib.request.Request(
        url, headers={"Synapse-Access-Token": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def walk(url):
    """Every result of a listing, following `next` as the server links."""
    results = []
    while url:
        page = get_json(url)
        results.extend(page["results"])
        url = page["next"]
    return results, page["count"]


def install(build, destdir):
    subprocess.run(["meson", "install", "-C", build, "--destdir", destdir,
                    "--no-rebuild", "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    for root, _, files in os.walk(destdir):
        if "synapse-1.0.pc" in files:
            installed_pc = os.path.join(root, "synapse-1.0.pc")
            break
    else:
        fail("meson install put no synapse-1.0.pc in the DESTDIR")
    # the install is relocated to DESTDIR: so is its prefix
    pcdir = os.path.join(destdir, "pkgconfig-relocated")
    os.makedirs(pcdir)
    with open(installed_pc) as f:
        lines = [f"prefix={destdir}{line[len('prefix='):]}"
                 if line.startswith("prefix=") else line for line in f]
    with open(os.path.join(pcdir, "synapse-1.0.pc"), "w") as f:
        f.writelines(lines)
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs",
                            "synapse-1.0"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    libdir = [f[2:] for f in flags if f.startswith("-L")]
    for root, _, files in os.walk(destdir):
        if "libgstsynapse.so" in files:
            plugin_dir = root
            break
    else:
        plugin_dir = None
    return flags, libdir, plugin_dir


def build_example(source, name, flags, workdir):
    output = os.path.join(workdir, name)
    subprocess.run(["cc", "-Wall", "-Werror", source, "-o", output] + flags,
                   check=True)
    return output


def ndjson(text):
    """NDJSON lines: split at \n only (str.splitlines also splits at
    U+2028, which JSON strings may hold raw)."""
    return [json.loads(line) for line in text.split("\n") if line]


def run(program, args, url, token=TOKEN, env_extra=None, libdir=()):
    env = dict(os.environ, SYNAPSE_BACKEND_URL=url,
               SYNAPSE_ACCESS_TOKEN=token,
               LD_LIBRARY_PATH=":".join(libdir))
    env.pop("SYNAPSE_TENANT", None)
    env.update(env_extra or {})
    return subprocess.run([program] + args, env=env, capture_output=True,
                          text=True, timeout=300)


def gst_launch(args, url, plugin_dir, libdir, work, token=TOKEN,
               env_extra=None):
    """gst-launch-1.0 with the installed plugin; (result, peak RSS KiB)."""
    env = dict(os.environ, SYNAPSE_BACKEND_URL=url, SYNAPSE_ACCESS_TOKEN=token,
               GST_PLUGIN_PATH=plugin_dir, LD_LIBRARY_PATH=":".join(libdir),
               GST_REGISTRY=os.path.join(work, "registry.bin"))
    env.update(env_extra or {})
    result = subprocess.run(["/usr/bin/time", "-f", "peak-rss-kib %M",
                             "gst-launch-1.0"] + args, env=env,
                            capture_output=True, text=True, timeout=300)
    rss = int(result.stderr.strip().splitlines()[-1].split()[-1])
    return result, rss


def check_elements(url, drf, plugin_dir, libdir, work, version, expected):
    events_file = os.path.join(work, "events.ndjson")
    result, _ = gst_launch(["synapsegtsrc", f"dataset-versions={version}",
                            "!", "filesink", f"location={events_file}"],
                           url, plugin_dir, libdir, work)
    check(result.returncode == 0, "gst-launch-1.0 synapsegtsrc ! filesink ran")
    with open(events_file, encoding="utf-8") as f:
        written = ndjson(f.read())
    check(written == expected, f"synapsegtsrc wrote exactly version "
          f"{version}'s {len(expected)} events, in order")

    # Django REST Framework's own page numbers: a start inside a page, and
    # three shards whose pages, taken in turn, are the listing
    first = len(expected) // 2 + 3
    result, _ = gst_launch(["synapsegtsrc", f"dataset-versions={version}",
                            "page-size=7", f"start-index={first}", "!",
                            "filesink", f"location={events_file}"],
                           url, plugin_dir, libdir, work)
    with open(events_file, encoding="utf-8") as f:
        written = ndjson(f.read())
    check(result.returncode == 0 and written == expected[first:],
          f"synapsegtsrc start-index={first} wrote the events from there")
    shards = []
    for index in range(3):
        result, _ = gst_launch(["synapsegtsrc", f"dataset-versions={version}",
                                "page-size=7", f"shard-index={index}",
                                "shard-count=3", "!", "filesink",
                                f"location={events_file}"],
                               url, plugin_dir, libdir, work)
        if result.returncode != 0:
            fail(f"shard {index}: {result.stdout[-500:]}")
        with open(events_file, encoding="utf-8") as f:
            shards.append(ndjson(f.read()))
    merged = []
    for page in range(0, len(expected), 7):
        shard = shards[(page // 7) % 3]
        merged += shard[:7]
        del shard[:7]
    check(merged == expected and not any(shards),
          "three shards of 7-event pages hold the listing once between them")

    wrong = "wrong-token-for-the-element"
    log = os.path.join(work, "gst-debug.log")
    result, _ = gst_launch(["synapsegtsrc", f"dataset-versions={version}",
                            "!", "fakesink"], url, plugin_dir, libdir, work,
                           token=wrong,
                           env_extra={"GST_DEBUG": "*:9",
                                      "GST_DEBUG_FILE": log})
    check(result.returncode != 0 and "refused the access token (HTTP 401)"
          in result.stdout + result.stderr,
          "a wrong token ends the pipeline with the NOT_AUTHORIZED error")
    with open(log, encoding="utf-8", errors="replace") as f:
        debug = f.read()
    check(len(debug) > 100000 and wrong not in debug
          and wrong not in result.stdout + result.stderr,
          f"the token is nowhere in {len(debug) // 1024} KiB of "
          "GST_DEBUG=*:9 output")

    chunk = 1024 * 1024
    model_file = os.path.join(work, "model.pt")
    data = os.urandom(24 * chunk + 4321)
    with open(model_file, "wb") as f:
        f.write(data)
    md5 = hashlib.md5(data).hexdigest()

    def upload(base, name):
        before = get_json(url + "models/")["count"]
        result, rss = gst_launch(
            ["-e", "-m", "filesrc", f"location={model_file}", "!",
             "synapsemodelsink", f"model-name={name}", "model-type=detection",
             "project=3", f"chunk-size={chunk}"], base, plugin_dir, libdir,
            work)
        if result.returncode != 0:
            fail(f"gst-launch-1.0 filesrc ! synapsemodelsink: "
                 f"{result.stdout[-500:]} {result.stderr[-500:]}")
        match = re.search(r"synapse-model-created, model-id=\(gint64\)(\d+)",
                          result.stdout)
        check(match is not None, f"synapsemodelsink printed the model id")
        model = get_json(f"{url}models/{match.group(1)}/")
        with urllib.request.urlopen(model["file"]) as response:
            stored = response.read()
        check(get_json(url + "models/")["count"] == before + 1
              and model["name"] == name,
              "exactly one model was created")
        return stored, rss

    stored, rss = upload(url, "element model")
    check(hashlib.md5(stored).hexdigest() == md5,
          "the model file uploaded by synapsemodelsink has the local MD5")
    check(rss < 4 * chunk // 1024 + 40 * 1024,
          f"peak memory {rss // 1024} MiB for a 25-chunk file of 1 MiB "
          "chunks (gst-launch-1.0 itself included)")

    proxy, proxy_url = start(
        ["/usr/bin/python3", os.path.join(drf, "faultproxy.py"),
         "--listen-port", "0", "--upstream", url, "--cut-after-bytes",
         "300000", "--cut-match", "PUT /chunked_upload/", "--skip", "3",
         "--times", "1"], "faultproxy listening on", stderr=subprocess.PIPE)
    try:
        stored, _ = upload(proxy_url, "element model, cut once")
    finally:
        proxy.terminate()
        cut = "faultproxy: cut" in proxy.communicate(timeout=10)[1]
    check(cut and hashlib.md5(stored).hexdigest() == md5,
          "with a connection cut mid-chunk, synapsemodelsink still stores "
          "the file byte-identical")


def main():
    try:
        import django  # noqa: F401
        import rest_framework  # noqa: F401
    except ImportError:
        print("Django REST Framework is not installed: skipped")
        return SKIP

    build, source = sys.argv[1], sys.argv[2]
    drf = os.path.join(source, "tests", "drf")
    examples = os.path.join(source, "examples")

    with tempfile.TemporaryDirectory(prefix="synapse-conformance-") as work:
        flags, libdir, plugin_dir = install(build,
                                            os.path.join(work, "destdir"))
        list_events = build_example(os.path.join(examples, "list-events.c"),
                                    "list-events", flags, work)
        upload_model = build_example(os.path.join(examples,
                                                  "upload-model.c"),
                                     "upload-model", flags, work)
        print("ok    built the examples against pkg-config synapse-1.0 "
              "only")

        server, url = start(["/usr/bin/python3", os.path.join(drf, "serve.py"),
                             "--port", "0", "--token", TOKEN, "--versions",
                             "4", "--events", "1300", "--quiet"],
                            "drf-server listening on")
        proxy = None
        try:
            all_events, _ = walk(url + "sdk/ground_truth_events/?page_size=1000")
            versions = sorted({e["ground_truth_dataset_version"]
                               for e in all_events})
            by_size = sorted(versions, key=lambda v: sum(
                e["ground_truth_dataset_version"] == v for e in all_events))
            version = by_size[-1]

            expected, count = walk(
                f"{url}sdk/ground_truth_events/"
                f"?ground_truth_dataset_versions={version}")
            result = run(list_events, [str(version)], url, libdir=libdir)
            check(result.returncode == 0,
                  f"list-events {version} ran ({result.stderr.strip()})")
            listed = ndjson(result.stdout)
            check(len(listed) == count == len(expected),
                  f"version {version}: {len(listed)} events listed, the "
                  f"server counts {count}")
            check(listed == expected,
                  f"version {version}: the same objects in the same order")

            two = versions[:2]
            expected_two = [e for e in all_events
                            if e["ground_truth_dataset_version"] in two]
            result = run(list_events, [str(v) for v in two], url,
                         libdir=libdir)
            check(ndjson(result.stdout) == expected_two,
                  f"versions {two}: the same objects")

            wrong = "wrong-token-do-not-print"
            result = run(list_events, [str(version)], url, token=wrong,
                         libdir=libdir)
            check(result.returncode == 1 and "HTTP 401" in result.stderr
                  and "Invalid token." in result.stderr
                  and "http-status: 401" in result.stderr,
                  "a wrong token gives 401 with the server's detail")
            check(wrong not in result.stderr + result.stdout,
                  "the token appears nowhere in the output")

            models_before = get_json(url + "models/")["count"]
            model_file = os.path.join(work, "weights.bin")
            data = os.urandom(5 * 65536 + 1234)
            with open(model_file, "wb") as f:
                f.write(data)
            md5 = hashlib.md5(data).hexdigest()

            def upload(base, name):
                result = run(upload_model, [model_file, name, "detection",
                                            "3"], base,
                             env_extra={"SYNAPSE_CHUNK_SIZE": "65536"},
                             libdir=libdir)
                if result.returncode != 0:
                    fail(f"upload-model: {result.stderr}")
                model_id = int(result.stdout.splitlines()[0])
                model = get_json(f"{url}models/{model_id}/")
                with urllib.request.urlopen(model["file"]) as response:
                    stored = response.read()
                return model, stored

            model, stored = upload(url, "conformance model")
            check(hashlib.md5(stored).hexdigest() == md5,
                  "a 6-chunk model file is stored byte-identical")
            check(model["name"] == "conformance model"
                  and model["model_type"] == "detection",
                  "the model is created and retrievable")

            proxy, proxy_url = start(
                ["/usr/bin/python3", os.path.join(drf, "faultproxy.py"),
                 "--listen-port", "0", "--upstream", url,
                 "--cut-after-bytes", "30000", "--cut-match",
                 "PUT /chunked_upload/", "--skip", "2", "--times", "1"],
                "faultproxy listening on", stderr=subprocess.PIPE)
            model, stored = upload(proxy_url, "resumed model")
            proxy.terminate()
            check("faultproxy: cut" in proxy.communicate(timeout=10)[1],
                  "the proxy cut the third chunk's connection")
            check(hashlib.md5(stored).hexdigest() == md5,
                  "with the connection cut mid-chunk, the upload resumes "
                  "and the file is byte-identical")
            check(get_json(url + "models/")["count"] == models_before + 2,
                  "exactly one model per upload")

            if plugin_dir and shutil.which("gst-launch-1.0"):
                check_elements(url, drf, plugin_dir, libdir, work, version,
                               expected)
            else:
                print("note: the GStreamer plugin was not built: elements "
                      "not checked")
        finally:
            for process in (server, proxy):
                if process:
                    process.terminate()
                    process.wait(timeout=10)
    print("conformance: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
