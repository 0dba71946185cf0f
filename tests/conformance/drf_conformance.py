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
  tests/drf/faultproxy.py), and exactly one model appears each time.

Usage: drf_conformance.py BUILD_DIR SOURCE_DIR
Exits 77 (skipped) when Django REST Framework is not installed.
"""

import hashlib
import json
import os
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
    return flags, libdir


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
        flags, libdir = install(build, os.path.join(work, "destdir"))
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
        finally:
            for process in (server, proxy):
                if process:
                    process.terminate()
                    process.wait(timeout=10)
    print("conformance: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
