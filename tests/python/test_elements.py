#!/usr/bin/python3
# GStreamer elements for the Synapse ML backend
# Copyright (C) 2026 gst-synapse developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Both elements as a Python application drives them: pipelines made with
Gst.parse_launch(), run by a GLib main loop, watched through the bus, with
a synapse-dev-backend started for this module.

meson test runs it with the environment of tests/python/meson.build: the
build's plugin through GST_PLUGIN_PATH (and a registry of its own), the
Synapse-1.0 typelib, library and override of this tree, and
SYNAPSE_DEV_BACKEND. By hand, from the top directory:

    GST_PLUGIN_PATH=_build/plugin GST_REGISTRY=/tmp/synapse-registry.bin \\
    GI_TYPELIB_PATH=_build/gst/synapse LD_LIBRARY_PATH=_build/gst/synapse \\
    SYNAPSE_GI_OVERRIDES_DIR=gst/synapse/python/gi/overrides \\
    SYNAPSE_DEV_BACKEND=_build/tests/backend/synapse-dev-backend \\
    /usr/bin/python3 tests/python/test_elements.py -v
"""

import hashlib
import json
import os
import subprocess
import tempfile
import unittest
import urllib.request

# The element's defaults must not come from the caller's environment.
for _name in ("SYNAPSE_BACKEND_URL", "SYNAPSE_ACCESS_TOKEN",
              "SYNAPSE_TENANT"):
    os.environ.pop(_name, None)

OVERRIDES_DIR = os.environ.get("SYNAPSE_GI_OVERRIDES_DIR")
if OVERRIDES_DIR:
    import gi.overrides

    gi.overrides.__path__.insert(0, os.path.abspath(OVERRIDES_DIR))

import gi  # noqa: E402

gi.require_version("Synapse", "1.0")
try:
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
except (ValueError, ImportError) as error:
    # python3-gst-1.0 (and gir1.2-gstreamer-1.0) are test packages
    print("SKIP: no GStreamer for Python: %s" % error)
    raise SystemExit(77)
from gi.repository import GLib, Synapse  # noqa: E402

TOKEN = "python-elements-token"
VERSIONS = 3
EVENTS = 250                    # per version: pages of 100, 100 and 50
MODELS = 2
backend = None
URL = None


def setUpModule():
    global backend, URL
    binary = os.environ.get("SYNAPSE_DEV_BACKEND")
    if not binary:
        raise unittest.SkipTest("SYNAPSE_DEV_BACKEND is not set")
    Gst.init(None)
    if Gst.ElementFactory.find("synapsegtsrc") is None:
        raise RuntimeError("the synapse plugin is not on GST_PLUGIN_PATH")
    # this build's plugin, whatever gst-synapse the machine has installed
    plugin = Gst.Registry.get().find_plugin("synapse")
    if os.path.dirname(os.path.realpath(plugin.get_filename())) != \
            os.path.realpath(os.environ["GST_PLUGIN_PATH"]):
        raise RuntimeError("the synapse plugin loaded is %s, not this "
                           "build's" % plugin.get_filename())
    backend = subprocess.Popen(
        [binary, "--port", "0", "--token", TOKEN, "--versions",
         str(VERSIONS), "--events", str(EVENTS), "--models", str(MODELS),
         "--quiet"],
        stdout=subprocess.PIPE, text=True)
    line = backend.stdout.readline()
    if "listening on " not in line:
        backend.kill()
        raise RuntimeError("synapse-dev-backend did not start: %r" % line)
    URL = line.split("listening on ", 1)[1].strip()


def tearDownModule():
    if backend is not None:
        backend.terminate()
        try:
            backend.wait(timeout=10)
        except subprocess.TimeoutExpired:
            backend.kill()
            backend.wait()
        backend.stdout.close()


def control(path):
    with urllib.request.urlopen(URL + "_control/" + path,
                                timeout=10) as response:
        return response.read()


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


class Run:
    """What the bus said while a pipeline ran: the messages in order, as
    (kind, detail) pairs, plus the error if there was one."""

    def __init__(self):
        self.messages = []
        self.pages = []             # synapse-page structures, as dicts
        self.upload_progress = []   # synapse-upload-progress, as dicts
        self.created = None         # synapse-model-created, as a dict
        self.progress = []          # (type, code, percent)
        self.eos = False
        self.error = None           # (GLib.Error, debug, details dict)
        self.warnings = []

    def kinds(self):
        return [kind for kind, _ in self.messages]


def structure_dict(structure):
    """The fields of a GstStructure as a dict of Python values."""
    fields = {}
    for i in range(structure.n_fields()):
        name = structure.nth_field_name(i)
        fields[name] = structure.get_value(name)
    return fields


def run_pipeline(pipeline, timeout=30):
    """Sets *pipeline* to PLAYING and runs a main loop, with a bus watch
    collecting the messages, until EOS or an error (or *timeout* seconds,
    which fails the test); then sets it to NULL. Returns a Run."""
    run = Run()
    loop = GLib.MainLoop()

    def on_message(bus, message):
        t = message.type
        if t == Gst.MessageType.ELEMENT:
            s = message.get_structure()
            fields = structure_dict(s)
            run.messages.append((s.get_name(), fields))
            if s.get_name() == "synapse-page":
                run.pages.append(fields)
            elif s.get_name() == "synapse-upload-progress":
                run.upload_progress.append(fields)
            elif s.get_name() == "synapse-model-created":
                run.created = fields
        elif t == Gst.MessageType.PROGRESS:
            ptype, code, text = message.parse_progress()
            percent = message.get_structure().get_value("percent")
            run.progress.append((ptype, code, percent))
            run.messages.append(("progress", (ptype, code, text)))
        elif t == Gst.MessageType.WARNING:
            error, debug = message.parse_warning()
            run.warnings.append(error)
            run.messages.append(("warning", error.message))
        elif t == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            details = message.parse_error_details()
            run.error = (error, debug,
                         structure_dict(details) if details else {})
            run.messages.append(("error", error.message))
            loop.quit()
        elif t == Gst.MessageType.EOS:
            run.eos = True
            run.messages.append(("eos", None))
            loop.quit()
        return True

    def give_up():
        run.messages.append(("timeout", None))
        loop.quit()
        return GLib.SOURCE_REMOVE

    bus = pipeline.get_bus()
    watch = bus.add_watch(GLib.PRIORITY_DEFAULT, on_message)
    timer = GLib.timeout_add_seconds(timeout, give_up)
    try:
        ret = pipeline.set_state(Gst.State.PLAYING)
        if ret == Gst.StateChangeReturn.FAILURE:
            # the error message is on the bus: let the loop collect it
            pass
        loop.run()
    finally:
        pipeline.set_state(Gst.State.NULL)
        GLib.source_remove(watch)
        if ("timeout", None) not in run.messages:
            GLib.source_remove(timer)
    if ("timeout", None) in run.messages:
        raise AssertionError("the pipeline neither ended nor failed in %d s;"
                             " messages: %r" % (timeout, run.messages))
    return run


class TestSynapseGtSrc(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.tmp.name, "events.ndjson")

    def tearDown(self):
        self.tmp.cleanup()

    def pipeline(self, properties="", token=TOKEN):
        pipeline = Gst.parse_launch(
            "synapsegtsrc name=src %s ! filesink name=sink" % properties)
        src = pipeline.get_by_name("src")
        src.set_property("base-url", URL)
        src.set_property("access-token", token)
        pipeline.get_by_name("sink").set_property("location", self.out)
        return pipeline, src

    def test_events_to_filesink_equal_what_the_backend_serves(self):
        pipeline, src = self.pipeline("dataset-versions=2")
        run = run_pipeline(pipeline)

        self.assertIsNone(run.error)
        self.assertTrue(run.eos)
        with open(self.out, "rb") as f:
            written = f.read()
        # byte for byte: one compact JSON object a line, in the backend's
        # order, as the backend sent them
        self.assertEqual(written, control("events/?version=2"))
        lines = written.decode("utf-8").splitlines()
        self.assertEqual(len(lines), EVENTS)
        self.assertEqual([json.loads(line)["ground_truth_dataset_version"]
                          for line in lines], [2] * EVENTS)
        self.assertEqual(src.get_property("total-count"), EVENTS)

    def test_a_page_message_follows_each_page(self):
        pipeline, _ = self.pipeline("dataset-versions=1 page-size=100")
        run = run_pipeline(pipeline)

        self.assertTrue(run.eos)
        self.assertEqual(run.pages, [
            {"page": 1, "events": 100, "position": 100, "next-index": 0,
             "total": EVENTS, "skipped": 0},
            {"page": 2, "events": 100, "position": 200, "next-index": 100,
             "total": EVENTS, "skipped": 0},
            {"page": 3, "events": 50, "position": 250, "next-index": 200,
             "total": EVENTS, "skipped": 0},
        ])
        # ...all of them before EOS
        self.assertEqual(run.kinds()[-1], "eos")

    def test_progress_starts_and_completes_each_request(self):
        pipeline, _ = self.pipeline("dataset-versions=3")
        run = run_pipeline(pipeline)

        self.assertTrue(run.eos)
        self.assertEqual({code for _, code, _ in run.progress}, {"fetch"})
        types = [ptype for ptype, _, _ in run.progress
                 if ptype != Gst.ProgressType.CONTINUE]
        self.assertEqual(types, [Gst.ProgressType.START,
                                 Gst.ProgressType.COMPLETE] * 3)
        self.assertEqual(run.progress[-1][2], 100)
        percents = [percent for _, _, percent in run.progress]
        self.assertEqual(percents, sorted(percents))
        last_text = [detail for kind, detail in run.messages
                     if kind == "progress"][-1][2]
        self.assertIn("%d" % EVENTS, last_text)

    def test_num_buffers_caps_the_events(self):
        pipeline, _ = self.pipeline("dataset-versions=1 num-buffers=7")
        run = run_pipeline(pipeline)

        self.assertTrue(run.eos)
        served = control("events/?version=1").splitlines(keepends=True)
        with open(self.out, "rb") as f:
            self.assertEqual(f.read(), b"".join(served[:7]))

    def test_a_refused_token_is_a_not_authorized_error(self):
        pipeline, _ = self.pipeline("dataset-versions=1 retries=0",
                                    token="not-the-token")
        run = run_pipeline(pipeline)

        self.assertFalse(run.eos)
        self.assertIsNotNone(run.error)
        error, debug, details = run.error
        self.assertTrue(error.matches(Gst.ResourceError.quark(),
                                      Gst.ResourceError.NOT_AUTHORIZED),
                        error.message)
        self.assertIn("401", error.message)
        self.assertEqual(details["http-status-code"], 401)
        self.assertTrue(details["url"].startswith(URL), details["url"])
        for text in (error.message, debug or "", repr(details)):
            self.assertNotIn("not-the-token", text)


class TestSynapseMediaSrc(unittest.TestCase):

    def test_each_buffer_is_a_file_with_its_event(self):
        pipeline = Gst.parse_launch(
            "synapsemediasrc name=src dataset-versions=2 num-buffers=8 ! "
            "fakesink name=sink signal-handoffs=true")
        src = pipeline.get_by_name("src")
        src.set_property("base-url", URL)
        src.set_property("access-token", TOKEN)
        got = []

        def handoff(sink, buffer, pad):
            meta = buffer.get_custom_meta("SynapseEventMeta")
            fields = meta.get_structure()
            ok, data = buffer.map(Gst.MapFlags.READ)
            self.assertTrue(ok)
            got.append((json.loads(fields.get_string("event")),
                        fields.get_string("url"), bytes(data.data)))
            buffer.unmap(data)

        pipeline.get_by_name("sink").connect("handoff", handoff)
        run = run_pipeline(pipeline)

        self.assertIsNone(run.error)
        self.assertTrue(run.eos)
        events = [json.loads(line) for line in
                  control("events/?version=2").decode().splitlines()][:8]
        self.assertEqual([event for event, _, _ in got], events)
        for event, url, data in got:
            image = event["data_unit"]["files"]["image"]
            self.assertEqual(url, image["url"])
            self.assertEqual(len(data), image["size"])
            self.assertEqual(hashlib.md5(data).hexdigest(), image["checksum"])
            self.assertEqual(data, fetch(url))


class TestClientContext(unittest.TestCase):
    """One application client for the whole pipeline. PyGObject 3.42 hands
    out a copy of a Gst.Context's structure, so Python gives the client to
    one element's `client` property, and that element shares it with the
    others as the synapse.client GstContext."""

    def test_a_pipeline_runs_on_the_application_s_client(self):
        client = Synapse.Client(base_url=URL, access_token=TOKEN)
        # no base-url, no token: the environment sets neither
        pipeline = Gst.parse_launch(
            "synapsegtsrc name=events dataset-versions=1 num-buffers=3 ! "
            "fakesink synapsemediasrc name=media dataset-versions=2 "
            "num-buffers=2 ! fakesink")
        pipeline.get_by_name("events").set_property("client", client)
        run = run_pipeline(pipeline)

        self.assertIsNone(run.error)
        self.assertTrue(run.eos)
        self.assertEqual(sorted(page["events"] for page in run.pages), [2, 3])
        self.assertIs(pipeline.get_by_name("media").get_property("client"),
                      None)


class TestSynapseModelSink(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "weights.onnx")
        # a few chunks of 64 KiB and a short last one
        self.data = b"".join(hashlib.sha256(b"%d" % i).digest()
                             for i in range(7000))
        with open(self.path, "wb") as f:
            f.write(self.data)
        self.client = Synapse.Client(base_url=URL, access_token=TOKEN)

    def tearDown(self):
        self.tmp.cleanup()

    def pipeline(self, properties):
        pipeline = Gst.parse_launch(
            "filesrc name=src ! synapsemodelsink name=sink %s" % properties)
        pipeline.get_by_name("src").set_property("location", self.path)
        sink = pipeline.get_by_name("sink")
        sink.set_property("base-url", URL)
        sink.set_property("access-token", TOKEN)
        return pipeline, sink

    def test_the_created_model_is_announced_before_eos(self):
        pipeline, sink = self.pipeline(
            "model-name=py-detector model-type=detection project=2 "
            "description=\"from a Python pipeline\" "
            "metrics=\"{\\\"map\\\": 0.5}\" chunk-size=65536")
        run = run_pipeline(pipeline)

        self.assertIsNone(run.error)
        self.assertTrue(run.eos)
        created = run.created
        self.assertIsNotNone(created, run.messages)
        kinds = run.kinds()
        self.assertLess(kinds.index("synapse-model-created"),
                        kinds.index("eos"))
        model_id = created["model-id"]
        self.assertGreater(model_id, MODELS)
        self.assertEqual(sink.get_property("model-id"), model_id)
        announced = json.loads(created["model"])
        self.assertEqual(announced["id"], model_id)
        self.assertEqual(announced["file"], created["file"])

        # the model as the Python client reads it back
        model = self.client.get_model(model_id)
        self.assertEqual(model["name"], "py-detector")
        self.assertEqual(model["model_type"], "detection")
        self.assertEqual(model["project"], 2)
        self.assertEqual(model["description"], "from a Python pipeline")
        self.assertEqual(model["metrics"], {"map": 0.5})
        self.assertIs(model["is_active"], True)
        self.assertTrue(model["file"].endswith("/weights.onnx"),
                        model["file"])
        self.assertEqual(fetch(model["file"]), self.data)
        models, total = self.client.list_models({"project": 2})
        self.assertIn(model_id, [m["id"] for m in models])

    def test_upload_progress_reaches_the_size_of_the_file(self):
        pipeline, _ = self.pipeline(
            "model-name=py-progress model-type=classification project=1 "
            "chunk-size=65536")
        run = run_pipeline(pipeline)

        self.assertTrue(run.eos)
        size = len(self.data)
        chunks = -(-size // 65536)
        last = run.upload_progress[-1]
        self.assertEqual(last, {"bytes-sent": size, "total": size,
                                "chunk": chunks})
        sent = [p["bytes-sent"] for p in run.upload_progress]
        self.assertEqual(sent, sorted(sent))
        self.assertEqual({code for _, code, _ in run.progress}, {"upload"})
        self.assertEqual(run.progress[0][0], Gst.ProgressType.START)
        self.assertEqual(run.progress[-1][0], Gst.ProgressType.COMPLETE)
        self.assertEqual(run.progress[-1][2], 100)

    def test_a_missing_model_type_fails_before_any_upload(self):
        pipeline, sink = self.pipeline("model-name=untyped project=1")
        run = run_pipeline(pipeline)

        self.assertFalse(run.eos)
        error, _, _ = run.error
        self.assertTrue(error.matches(Gst.ResourceError.quark(),
                                      Gst.ResourceError.SETTINGS),
                        error.message)
        self.assertIsNone(run.created)
        self.assertEqual(sink.get_property("model-id"), -1)


if __name__ == "__main__":
    unittest.main()
