#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs every example of examples/ against synapse-dev-backend and checks
what it wrote, so that none can rot:

- quickstart.sh, with SKIP_APT=1 (no package check), BUILD_DIR set to this
  build directory (reused: only ninja runs) and OUTPUT_DIR set to a
  temporary directory; it starts and stops a backend of its own;
- gst-events-to-file.sh, gst-download-files.sh and gst-upload-model.sh, the
  gst-launch-1.0 pipelines, with the plugin of this build;
- list_events.py, with the typelib of this build and the override of this
  tree;
- sdk_port.py, the Python SDK's ML examples as written for the SDK: what
  they print is checked against the backend's data, the models they
  create are read back, and robust_model_operations' 404, 400 and missing
  file take the branches the SDK's ClientError would;
- frames_with_ground_truth.py, synapsemediasrc with decodebin3 and appsink:
  its printed frames are checked against the listing, and its frames()
  generator, imported, is checked to yield each data unit's own image (the
  id the backend paints in it, read back from the pixels at an odd width,
  whose rows are padded);
- dask_shards.py, 1, 3 and 7 shards on a LocalCluster: what it writes is
  byte for byte what one synapsegtsrc ! filesink writes, and the backend's
  log shows every page requested once; a refused token, a cursor listing
  and a dead backend fail it cleanly;
- kubernetes-indexed-job.yaml, parsed (with python3-yaml), and its pods'
  command run here with the merge script it carries.

Each runs inside `meson devenv -C BUILD_DIR`, as the README tells users to
run them from a build tree, so the development environment is tested too.

The C examples (list-events.c, upload-model.c) are built from an install
and run by tests/conformance/drf_conformance.py.

Usage: run_examples.py BUILD_DIR SOURCE_DIR [unittest arguments]
Exits 77 (skipped) when gst-launch-1.0 is not installed.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.parse
import urllib.request

BUILD = SOURCE = None
TOKEN = "examples-token-2b7d"
VERSIONS, EVENTS, MODELS = 3, 250, 3
backend = None
URL = None
tmp = None
env = None


def start_backend(*flags):
    """synapse-dev-backend on a free port: (its process, its URL)."""
    process = subprocess.Popen(
        [os.path.join(BUILD, "tests", "backend", "synapse-dev-backend"),
         "--port", "0", "--token", TOKEN, "--quiet"] + list(flags),
        stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        process.wait()
        raise RuntimeError("synapse-dev-backend did not start: %r" % line)
    return process, line.split("listening on ", 1)[1].strip()


def stop_backend(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


def setUpModule():
    global backend, URL, tmp, env
    tmp = tempfile.mkdtemp(prefix="synapse-examples-")
    backend, URL = start_backend("--versions", str(VERSIONS), "--events",
                                 str(EVENTS), "--models", str(MODELS))

    env = dict(os.environ)
    for name in list(env):
        if name.startswith("SYNAPSE_"):
            del env[name]
    env.update({
        "SYNAPSE_BACKEND_URL": URL,
        "SYNAPSE_ACCESS_TOKEN": TOKEN,
        "PYTHONDONTWRITEBYTECODE": "1",
        "GIO_USE_PROXY_RESOLVER": "dummy",
    })


def tearDownModule():
    if backend is not None:
        stop_backend(backend)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def get(url, token=TOKEN):
    request = urllib.request.Request(url)
    if token:
        request.add_header("Synapse-Access-Token", "Token " + token)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def served_events(version):
    """The events of a version as the backend serves them, as text."""
    return get(URL + "_control/events/?version=%d" % version,
               token=None).decode("utf-8")


def example(name):
    return os.path.join(SOURCE, "examples", name)


# PyGObject searches its own overrides directory first: when a gst-synapse
# installed there would shadow this tree's override, a Python example runs
# with this tree's put first by hand (as the suite's other tests do).
SHADOWED = os.path.exists(os.path.join(os.path.dirname(
    __import__("gi.overrides").overrides.__file__), "Synapse.py"))
OVERRIDES_FIRST = """
import os, runpy, sys
import gi.overrides
gi.overrides.__path__.insert(0, os.path.join(sys.argv[1], "gst", "synapse",
                                             "python", "gi", "overrides"))
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def python_example(name, *args):
    """The argv that runs a Python example with /usr/bin/python3."""
    if SHADOWED:
        return [sys.executable, "-c", OVERRIDES_FIRST, SOURCE,
                example(name)] + list(args)
    return [sys.executable, example(name)] + list(args)


# Imports examples/frames_with_ground_truth.py and prints, for each (frame,
# event) its frames() generator yields, the event's ids, the frame's shape
# and dtype and the id painted in it (read as synapse_test_media_id_from_rgb ()
# reads it, see tests/backend/synapse-test-media.h; -1: none): argv is the
# example, the dataset versions, the width, the height and how many frames
# to take before closing the generator.
FRAMES_DRIVER = """
import json, runpy, sys
frames = runpy.run_path(sys.argv[1])["frames"]
versions, width, height, limit = sys.argv[2], *map(int, sys.argv[3:6])

def painted_id(frame):
    h, w = frame.shape[:2]
    value = 0
    for k in range(16):
        r, c = divmod(k, 8)
        cell = frame[h * (9 + 4 * r) // 16:h * (11 + 4 * r) // 16,
                     w * (4 * c + 1) // 32:w * (4 * c + 3) // 32]
        sums = cell.reshape(-1, 3).sum(axis=0, dtype="uint64")
        for ch in range(3):
            if int(sums[ch]) > 128 * cell.shape[0] * cell.shape[1]:
                value |= 1 << (3 * k + 2 - ch)
    id = value & ((1 << 40) - 1)
    check = (((id * 0x9E3779B97F4A7C15) % (1 << 64)) >> 56) ^ 0xA5
    return id if id and id | check << 40 == value else -1

loader = frames(versions, width, height)
for n, (frame, event) in enumerate(loader):
    print(json.dumps({"event": event["id"],
                      "data_unit": event["data_unit"]["id"],
                      "shape": frame.shape, "dtype": str(frame.dtype),
                      "painted": painted_id(frame)}))
    if n + 1 == limit:
        break
loader.close()
print("closed")
"""

FRAME_LINE = re.compile(r"^event (\d+)  data unit (\d+)  "
                        r"shape \((\d+), (\d+), 3\)  mean (\d+\.\d)$")


def run(argv, extra_env=None, timeout=120, logs_dir=None):
    """Runs an example in a process group of its own; one that has not
    ended after *timeout* seconds is killed with everything it started
    (gst-launch-1.0, a backend) and fails the test with what it printed
    and the logs in *logs_dir*."""
    process_env = dict(env)
    process_env.update(extra_env or {})
    process = subprocess.Popen(["meson", "devenv", "-C", BUILD,
                                "--workdir", tmp] + argv, env=process_env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        stdout, stderr = process.communicate()
        logs = ""
        for name in sorted(os.listdir(logs_dir)) if logs_dir else []:
            if name.endswith(".log"):
                with open(os.path.join(logs_dir, name), errors="replace") as f:
                    logs += "\n--- %s\n%s" % (name, f.read()[-4000:])
        raise AssertionError("%s did not end in %d s\n--- stdout\n%s\n"
                             "--- stderr\n%s%s" % (argv, timeout, stdout,
                                                   stderr, logs))
    return subprocess.CompletedProcess(argv, process.returncode, stdout,
                                       stderr)


class Case(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=tmp)

    def assertRan(self, result, status=0):
        self.assertEqual(result.returncode, status,
                         "%s exited with %d\n--- stdout\n%s\n--- stderr\n%s"
                         % (result.args, result.returncode, result.stdout,
                            result.stderr))


class TestQuickstart(Case):

    def test_quickstart_writes_events_and_creates_a_model(self):
        result = run(["sh", example("quickstart.sh")],
                     {"SKIP_APT": "1", "BUILD_DIR": BUILD,
                      "OUTPUT_DIR": self.dir,
                      # it starts its own backend and sets these itself
                      "SYNAPSE_BACKEND_URL": "", "SYNAPSE_ACCESS_TOKEN": ""},
                     timeout=180, logs_dir=self.dir)
        self.assertRan(result)
        out = result.stdout
        self.assertIn("gst-synapse quickstart: done.", out)
        self.assertNotIn("installing", out)

        summary = dict(re.findall(r"^  (\w+(?: \w+)?) {2,}(.*)$", out, re.M))
        events_file = summary["events file"]
        self.assertEqual(events_file, os.path.join(self.dir, "events.ndjson"))
        self.assertRegex(summary["events"],
                         r"^250 events of dataset version 2 \(3 pages\)$")

        # what it wrote is what its backend (same data flags as ours, on
        # another port) serves for version 2
        its_url = re.search(r"synapse-dev-backend at (\S+) \(stopped\)",
                            out).group(1)
        with open(events_file, encoding="utf-8") as f:
            written = f.read()
        self.assertEqual(written.replace(its_url, URL), served_events(2))

        model_id = int(summary["model id"].split()[0])
        self.assertEqual(model_id, MODELS + 1)
        model_file = os.path.join(self.dir, "model.bin")
        self.assertEqual(summary["model file"],
                         "%s (262144 bytes, uploaded in 4 chunks)"
                         % model_file)
        self.assertEqual(os.path.getsize(model_file), 262144)
        self.assertTrue(summary["stored at"].startswith(its_url + "media/"))
        with open(os.path.join(self.dir, "model.log")) as f:
            log = f.read()
        self.assertIn("synapse-model-created, model-id=(gint64)%d,"
                      % model_id, log)
        self.assertIn('\\"name\\":\\"quickstart-detector\\"', log)

        # it stopped the backend it started
        pid = int(re.search(r"synapse-dev-backend \(pid (\d+)\)",
                            out).group(1))
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)
        with self.assertRaises(urllib.error.URLError):
            get(its_url + "models/")


class TestPipelines(Case):

    def test_events_to_file(self):
        out = os.path.join(self.dir, "events.ndjson")
        result = run([example("gst-events-to-file.sh"), "1,3", out])
        self.assertRan(result)
        with open(out, encoding="utf-8") as f:
            self.assertEqual(f.read(), served_events(1) + served_events(3))
        self.assertIn("%d events in %s" % (2 * EVENTS, out), result.stdout)

    def test_events_to_file_with_a_refused_token(self):
        out = os.path.join(self.dir, "events.ndjson")
        result = run([example("gst-events-to-file.sh"), "1", out],
                     {"SYNAPSE_ACCESS_TOKEN": "wrong-token"})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("HTTP 401", result.stdout + result.stderr)
        self.assertNotIn("wrong-token", result.stdout + result.stderr)

    def test_a_missing_backend_url_is_named(self):
        result = run([example("gst-events-to-file.sh"), "1", "x.ndjson"],
                     {"SYNAPSE_BACKEND_URL": ""})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SYNAPSE_BACKEND_URL", result.stderr)

    def test_download_files(self):
        target = os.path.join(self.dir, "dataset-2")
        result = run([example("gst-download-files.sh"), "2", target])
        self.assertRan(result)
        with open(os.path.join(target, "events.ndjson"),
                  encoding="utf-8") as f:
            events = [json.loads(line) for line in f]
        served = [json.loads(line) for line in
                  served_events(2).splitlines()]
        self.assertEqual([e["id"] for e in events],
                         [e["id"] for e in served])
        files_dir = os.path.join(target, "files")
        n_files = len(os.listdir(files_dir))
        self.assertIn("%d events in %s/events.ndjson, %d files in %s"
                      % (EVENTS, target, n_files, files_dir), result.stdout)

        referenced = set()
        for event, original in zip(events, served):
            self.assertEqual(event["data"], original["data"])
            for key, path in event["files"].items():
                self.assertTrue(path.startswith(files_dir + "/"), path)
                with open(path, "rb") as f:
                    content = f.read()
                # the bytes the event's URL serves
                self.assertEqual(content, get(original["files"][key]))
                referenced.add(path)
            for key, entry in event["data_unit"]["files"].items():
                # a {"url", …} entry: the path in place of the URL, and the
                # file matches the size and checksum the backend gives
                self.assertNotIn("url", entry)
                with open(entry["path"], "rb") as f:
                    content = f.read()
                self.assertEqual(len(content), entry["size"])
                self.assertEqual(hashlib.md5(content).hexdigest(),
                                 entry["checksum"])
                referenced.add(entry["path"])
        self.assertEqual(n_files, len(referenced))

    def test_upload_model(self):
        path = os.path.join(self.dir, "weights.pt")
        data = b"".join(hashlib.sha256(b"%d" % i).digest()
                        for i in range(5000))
        with open(path, "wb") as f:
            f.write(data)
        result = run([example("gst-upload-model.sh"), path, "yolo-v8",
                      "detection", "2", 'metrics={"map": 0.61}',
                      "description=trained on set 12", "chunk-size=65536"])
        self.assertRan(result)
        match = re.search(r"^model (\d+): yolo-v8 \(detection, project 2\) "
                          r"from (.*)$", result.stdout, re.M)
        self.assertIsNotNone(match, result.stdout)
        self.assertEqual(match.group(2), path)
        self.assertIn("Progress: (upload) Created model %s"
                      % match.group(1), result.stdout)

        model = json.loads(get(URL + "models/%s/" % match.group(1)))
        self.assertEqual(model["name"], "yolo-v8")
        self.assertEqual(model["model_type"], "detection")
        self.assertEqual(model["project"], 2)
        self.assertEqual(model["description"], "trained on set 12")
        self.assertEqual(model["metrics"], {"map": 0.61})
        self.assertTrue(model["file"].endswith("/weights.pt"))
        self.assertEqual(get(model["file"]), data)

    def test_upload_model_refused(self):
        path = os.path.join(self.dir, "weights.pt")
        with open(path, "wb") as f:
            f.write(b"weights")
        result = run([example("gst-upload-model.sh"), path, "m",
                      "detection", "1"],
                     {"SYNAPSE_ACCESS_TOKEN": "wrong-token"})
        self.assertEqual(result.returncode, 1)
        self.assertIn("HTTP 401", result.stderr)
        self.assertNotIn("wrong-token", result.stdout + result.stderr)


class TestPython(Case):

    def test_list_events(self):
        result = run(python_example("list_events.py", "1", "2"))
        self.assertRan(result)
        listed = [json.loads(line) for line in result.stdout.splitlines()]
        served = [json.loads(line) for line in
                  (served_events(1) + served_events(2)).splitlines()]
        self.assertEqual(listed, served)
        self.assertIn("%d of %d events" % (2 * EVENTS, 2 * EVENTS),
                      result.stderr)
        self.assertIn("version 1: ", result.stderr)

    def test_list_events_with_a_dict_filter(self):
        result = run(python_example("list_events.py", "--data-type",
                                    "video", "3"))
        self.assertRan(result)
        listed = [json.loads(line) for line in result.stdout.splitlines()]
        served = [e for e in (json.loads(line) for line in
                              served_events(3).splitlines())
                  if e["data_unit"]["data_type"] == "video"]
        self.assertTrue(served)
        self.assertEqual(listed, served)

    def test_list_events_reports_a_404_with_its_status(self):
        result = run(python_example("list_events.py", "1", "99"))
        self.assertRan(result, 1)
        self.assertEqual(result.stdout, "")
        self.assertIn("http-status: 404", result.stderr)
        self.assertIn("ground_truth_dataset_versions/99/", result.stderr)

    def test_list_events_reports_a_401_with_its_status(self):
        result = run(python_example("list_events.py", "1"),
                     {"SYNAPSE_ACCESS_TOKEN": "wrong-token"})
        self.assertRan(result, 1)
        self.assertIn("http-status: 401", result.stderr)
        self.assertNotIn("wrong-token", result.stderr)


class TestSdkPort(Case):
    """examples/sdk_port.py"""

    def created(self, stdout, prefix):
        """The model whose id follows *prefix* in *stdout* (its first
        line so), as the backend has it."""
        line = next(line for line in stdout.splitlines()
                    if line.startswith(prefix))
        return json.loads(get(URL + "models/%d/" % int(line[len(prefix):])))

    def test_the_sdk_examples_run_unchanged(self):
        result = run(python_example("sdk_port.py"))
        self.assertRan(result)
        out = result.stdout
        lines = out.splitlines()
        # listings: one page is (events, total), list_all the whole list
        self.assertIn("One page: 100 of %d events" % EVENTS, lines)
        self.assertIn("All events: %d" % (VERSIONS * EVENTS), lines)
        self.assertIn("Ground truth events: %d" % EVENTS, lines)
        self.assertIn("Exported %d images and 0 annotations" % EVENTS, lines)
        # project 1 holds versions 1 and 3
        self.assertIn("Found %d ground truth events" % (2 * EVENTS), lines)
        self.assertIn("Training samples: %d" % (2 * EVENTS * 8 // 10), lines)
        # url_conversion={'file': …} and {'files': …}
        self.assertIn("Converted file: https://cdn.example.com" + URL
                      + "media/models/1/model.pt", lines)
        self.assertIn("Converted files: {'image': 'https://cdn.example.com"
                      + URL + "media/events/1/image.jpg", out)
        # the models they create are there, as they described them
        made = self.created(out, "Created model with ID: ")
        self.assertEqual(made["name"], "Object Detection Model v2")
        self.assertEqual(made["configuration"]["input_size"], [640, 640])
        deployed = self.created(out, "Deployed model: ")
        self.assertEqual(deployed["name"], "Production Object Detector v3")
        self.assertIs(deployed["is_active"], True)
        workflow = self.created(out.split("=== ML Workflow Started")[1],
                                "Deployed model: ")
        self.assertEqual(workflow["name"],
                         "Auto-Generated Model for Project 1")
        # robust_model_operations: e.status_code and e.response
        self.assertIn("== robust_model_operations\nModel not found\n"
                      "returned: None\n", out)
        self.assertIn("Error creating model: ", out)
        self.assertIn("/path/to/model.pkl", out)
        self.assertIn("Invalid model data: {'name': ['This field is "
                      "required.']}", lines)
        # the two refused, the third created
        self.assertEqual([line for line in lines
                          if line.startswith("created: ")][:2],
                         ["created: None", "created: None"])
        test_model = self.created(
            "\n".join(lines[-2:]), "created: ")
        self.assertEqual(test_model["name"], "Test Model")

    def test_a_refused_token_is_reported_with_its_status(self):
        result = run(python_example("sdk_port.py"),
                     {"SYNAPSE_ACCESS_TOKEN": "wrong-token"})
        self.assertRan(result, 1)
        self.assertIn("(HTTP 401)", result.stderr)
        self.assertNotIn("wrong-token", result.stdout + result.stderr)


class TestFrames(Case):
    """examples/frames_with_ground_truth.py"""

    def frames(self, result):
        """The (event id, data unit id, (height, width)) of each frame
        line it printed, and its summary line."""
        self.assertRan(result)
        lines = result.stdout.splitlines()
        self.assertTrue(lines, result.stderr)
        printed = []
        for line in lines[:-1]:
            match = FRAME_LINE.match(line)
            self.assertIsNotNone(match, "not a frame line: %r" % line)
            event, data_unit, height, width, mean = match.groups()
            self.assertLessEqual(float(mean), 255)
            printed.append((int(event), int(data_unit),
                            (int(height), int(width))))
        return printed, lines[-1]

    def listed(self, *versions):
        """The (event id, data unit id) of the versions' events, in the
        listing's order."""
        events = [json.loads(line) for version in versions
                  for line in served_events(version).splitlines()]
        return [(e["id"], e["data_unit"]["id"]) for e in events]

    def test_frames_with_ground_truth(self):
        # the consumer stops after 20 frames of 250: the pipeline stops
        # with it, and the example ends as it should
        result = run(python_example("frames_with_ground_truth.py",
                                    "--dataset-versions", "1",
                                    "--size", "224", "--limit", "20"))
        printed, summary = self.frames(result)
        self.assertEqual(len(printed), 20)
        self.assertEqual([p[:2] for p in printed], self.listed(1)[:20])
        self.assertEqual({p[2] for p in printed}, {(224, 224)})
        self.assertRegex(summary, r"^20 frames of 224x224 from dataset "
                         r"versions 1, mean pixel value \d+\.\d$")
        self.assertEqual(result.stderr, "")

    def test_frames_of_two_whole_versions_at_an_odd_size(self):
        # every event, to the end of the stream; PNG and JPEG files in
        # turn (a new stream at each change); rows of 75 * 3 bytes padded
        result = run(python_example("frames_with_ground_truth.py",
                                    "--dataset-versions", "2,3",
                                    "--size", "75x51"))
        printed, summary = self.frames(result)
        self.assertEqual(len(printed), 2 * EVENTS)
        self.assertEqual([p[:2] for p in printed], self.listed(2, 3))
        self.assertEqual({p[2] for p in printed}, {(51, 75)})
        self.assertTrue(summary.startswith(
            "%d frames of 75x51 from dataset versions 2,3, " % (2 * EVENTS)),
            summary)

    def test_frames_are_the_data_units_images(self):
        # 67 * 3 bytes a row, padded to 204; 40 events: each of the six
        # kinds of file (PNG and JPEG, three sizes) several times
        result = run([sys.executable, "-c", FRAMES_DRIVER,
                      example("frames_with_ground_truth.py"), "3", "67",
                      "45", "40"])
        self.assertRan(result)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[-1], "closed")
        yielded = [json.loads(line) for line in lines[:-1]]
        self.assertEqual([(y["event"], y["data_unit"]) for y in yielded],
                         self.listed(3)[:40])
        for y in yielded:
            self.assertEqual(y["shape"], [45, 67, 3])
            self.assertEqual(y["dtype"], "uint8")
            self.assertEqual(y["painted"], y["data_unit"],
                             "event %d: not the image of its data unit"
                             % y["event"])

    def test_frames_of_no_event_end(self):
        # every event skipped (no such file): no frame, a warning, an end
        result = run(python_example("frames_with_ground_truth.py",
                                    "--dataset-versions", "1",
                                    "--file-key", "no-such-key"))
        printed, summary = self.frames(result)
        self.assertEqual(printed, [])
        self.assertEqual(summary, "0 frames of 224x224 from dataset "
                         "versions 1")
        self.assertIn("WARNING: source: Event %d has no file no-such-key"
                      % self.listed(1)[0][0], result.stderr)

    def test_frames_with_a_refused_token(self):
        result = run(python_example("frames_with_ground_truth.py",
                                    "--dataset-versions", "1"),
                     {"SYNAPSE_ACCESS_TOKEN": "wrong-token"})
        self.assertRan(result, 1)
        self.assertEqual(result.stdout, "")
        self.assertIn("error: source: The Synapse backend refused the "
                      "access token (HTTP 401).", result.stderr)
        self.assertIn("http-status: 401", result.stderr)
        self.assertNotIn("wrong-token", result.stderr)


def requested_pages(url=None):
    """The page numbers of the listing requests in the backend's log, in
    the order they came (a request without `page` asks for page 1), and
    the log emptied."""
    base = url or URL
    log = json.loads(get(base + "_control/requests", token=None))
    request = urllib.request.Request(base + "_control/requests",
                                     method="DELETE")
    urllib.request.urlopen(request, timeout=10).close()
    pages = []
    for entry in log:
        if entry["path"] != "sdk/ground_truth_events/":
            continue
        query = urllib.parse.parse_qs(entry["query"])
        pages.append(int(query.get("page", ["1"])[0]))
    return pages


def element_has(element, prop):
    """Whether this build's *element* has the property *prop*."""
    result = run(["gst-inspect-1.0", element])
    return re.search(r"^  %s +:" % re.escape(prop), result.stdout,
                     re.M) is not None


# All three versions, 40 events a page: 750 events on 19 pages (the last of
# 30), which neither 3 nor 7 shards divide.
SHARDED_VERSIONS = ",".join(str(v) for v in range(1, VERSIONS + 1))
SHARDED_PAGE_SIZE = 40
SHARDED_PAGES = -(-VERSIONS * EVENTS // SHARDED_PAGE_SIZE)


class Sharded(Case):
    """What one pipeline writes of the listing the shard tests read."""

    one_pipeline = None

    def setUp(self):
        super().setUp()
        if Sharded.one_pipeline is None:
            out = os.path.join(self.dir, "one-pipeline.ndjson")
            result = run(["gst-launch-1.0", "-q", "synapsegtsrc",
                          "dataset-versions=" + SHARDED_VERSIONS,
                          "page-size=%d" % SHARDED_PAGE_SIZE, "!",
                          "filesink", "location=" + out])
            self.assertRan(result)
            with open(out, "rb") as f:
                Sharded.one_pipeline = f.read()
            # which is the backend's listing, in its order
            self.assertEqual(Sharded.one_pipeline.decode("utf-8"), "".join(
                served_events(v) for v in range(1, VERSIONS + 1)))
        requested_pages()


class TestDaskShards(Sharded):
    """examples/dask_shards.py on a LocalCluster (worker processes)."""

    def setUp(self):
        try:
            import distributed  # noqa: F401
        except ImportError:
            self.skipTest("python3-distributed is not installed")
        super().setUp()

    def dask_shards(self, workers, *extra, extra_env=None):
        out = os.path.join(self.dir, "events.ndjson")
        result = run(python_example(
            "dask_shards.py", "--workers", str(workers),
            "--dataset-versions", SHARDED_VERSIONS,
            "--page-size", str(SHARDED_PAGE_SIZE), "--out", out, *extra),
            extra_env, timeout=180)
        return result, out

    def assertShardsWroteTheListing(self, workers, *extra):
        result, out = self.dask_shards(workers, *extra)
        self.assertRan(result)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), Sharded.one_pipeline)
        self.assertFalse(os.path.exists(out + ".partial"))
        # every page requested, none twice
        self.assertEqual(sorted(requested_pages()),
                         list(range(1, SHARDED_PAGES + 1)))
        self.assertIn("%d events, %d pages, %d shards" % (
            VERSIONS * EVENTS, SHARDED_PAGES, workers), result.stderr)

    def test_one_shard_writes_what_one_pipeline_writes(self):
        self.assertShardsWroteTheListing(1)

    def test_three_shards_write_what_one_pipeline_writes(self):
        self.assertShardsWroteTheListing(3)

    def test_seven_shards_write_what_one_pipeline_writes(self):
        # a page ahead at most and one waiting in each queue: the merge
        # waits for shards and shards for the merge, in turn
        self.assertShardsWroteTheListing(7, "--prefetch", "1",
                                         "--queue-depth", "1")

    def test_three_shards_as_pipelines(self):
        if not element_has("synapsegtsrc", "shard-count"):
            self.skipTest("synapsegtsrc has no shard-count yet")
        self.assertShardsWroteTheListing(3, "--pipeline")

    def assertFailedCleanly(self, result, out):
        self.assertRan(result, 1)
        self.assertFalse(os.path.exists(out))
        self.assertFalse(os.path.exists(out + ".partial"))
        self.assertNotIn("Traceback", result.stderr)

    def test_a_refused_token_fails_with_its_status(self):
        result, out = self.dask_shards(
            3, extra_env={"SYNAPSE_ACCESS_TOKEN": "wrong-token-5e1f"})
        self.assertFailedCleanly(result, out)
        self.assertIn("HTTP 401", result.stderr)
        self.assertIn("http-status: 401 (check SYNAPSE_ACCESS_TOKEN)",
                      result.stderr)
        self.assertNotIn("wrong-token-5e1f", result.stdout + result.stderr)

    def test_a_cursor_listing_cannot_be_sharded(self):
        cursor, cursor_url = start_backend("--versions", "1", "--events",
                                           "100", "--cursor-pagination")
        try:
            out = os.path.join(self.dir, "events.ndjson")
            modes = [[]]
            if element_has("synapsegtsrc", "shard-count"):
                modes.append(["--pipeline"])
            for mode in modes:
                with self.subTest(mode=mode):
                    result = run(python_example(
                        "dask_shards.py", "--workers", "2", "--out", out,
                        *mode), {"SYNAPSE_BACKEND_URL": cursor_url})
                    self.assertFailedCleanly(result, out)
                    self.assertIn("cannot be split into shards (read it "
                                  "with --workers 1)", result.stderr)

            # one shard reads it
            result = run(python_example(
                "dask_shards.py", "--workers", "1", "--out", out),
                {"SYNAPSE_BACKEND_URL": cursor_url})
            self.assertRan(result)
            with open(out, "rb") as f:
                written = f.read()
            self.assertEqual(written, get(cursor_url + "_control/events/"
                                          "?version=1", token=None))
        finally:
            stop_backend(cursor)

    def test_a_dead_backend_fails_with_a_connection_error(self):
        # a port nothing listens on
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        result, out = self.dask_shards(
            2, "--threads",
            extra_env={"SYNAPSE_BACKEND_URL": "http://127.0.0.1:%d/" % port})
        self.assertFailedCleanly(result, out)
        self.assertRegex(result.stderr, r"error: shard 0: GET http://"
                         r"127\.0\.0\.1:%d/sdk/ground_truth_events/\S*: "
                         r"Could not connect" % port)


class TestKubernetesJob(Sharded):
    """examples/kubernetes-indexed-job.yaml: parsed, and its pods' command
    run here, one after another, with the merge it documents."""

    def setUp(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("python3-yaml is not installed")
        with open(example("kubernetes-indexed-job.yaml"),
                  encoding="utf-8") as f:
            documents = list(yaml.safe_load_all(f))
        self.kinds = {d["kind"]: d for d in documents}
        super().setUp()

    def test_an_indexed_job_of_four_shards_with_the_token_in_a_secret(self):
        job = self.kinds["Job"]["spec"]
        self.assertEqual(job["completionMode"], "Indexed")
        container = job["template"]["spec"]["containers"][0]
        command = container["command"][-1]
        count = int(re.search(r"shard-count=(\d+)", command).group(1))
        self.assertEqual((job["completions"], job["parallelism"]),
                         (count, count))
        self.assertIn('shard-index="$JOB_COMPLETION_INDEX"', command)
        self.assertIn('location="/out/shard-$JOB_COMPLETION_INDEX.ndjson"',
                      command)
        env = {e["name"]: e.get("valueFrom", e.get("value"))
               for e in container["env"]}
        self.assertEqual(env["SYNAPSE_ACCESS_TOKEN"]["secretKeyRef"]["name"],
                         "synapse-token")
        config = self.kinds["ConfigMap"]
        self.assertEqual(env["SYNAPSE_BACKEND_URL"]["configMapKeyRef"],
                         {"name": config["metadata"]["name"],
                          "key": "base-url"})
        self.assertIn("merge.sh", config["data"])

    def test_its_pods_and_merge_write_what_one_pipeline_writes(self):
        if not element_has("synapsegtsrc", "shard-count"):
            self.skipTest("synapsegtsrc has no shard-count yet")
        job = self.kinds["Job"]["spec"]
        command = job["template"]["spec"]["containers"][0]["command"]
        script = command[-1].replace("/out/", self.dir + "/")
        script = re.sub(r"page-size=\d+", "page-size=%d" % SHARDED_PAGE_SIZE,
                        script)
        for index in range(job["completions"]):
            result = run(command[:-1] + [script],
                         {"JOB_COMPLETION_INDEX": str(index),
                          "DATASET_VERSIONS": SHARDED_VERSIONS})
            self.assertRan(result)
        self.assertEqual(sorted(requested_pages()),
                         list(range(1, SHARDED_PAGES + 1)))
        merge = os.path.join(self.dir, "merge.sh")
        with open(merge, "w") as f:
            f.write(self.kinds["ConfigMap"]["data"]["merge.sh"])
        result = subprocess.run(["sh", merge, str(job["completions"]),
                                 str(SHARDED_PAGE_SIZE), self.dir],
                                capture_output=True, check=True)
        self.assertEqual(result.stdout, Sharded.one_pipeline)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    BUILD = os.path.abspath(sys.argv[1])
    SOURCE = os.path.abspath(sys.argv[2])
    if shutil.which("gst-launch-1.0") is None:
        print("SKIP: gst-launch-1.0 is not installed (gstreamer1.0-tools)")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + sys.argv[3:], verbosity=2)
