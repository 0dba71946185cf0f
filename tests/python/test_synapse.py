#!/usr/bin/python3
# libsynapse: a GObject client for the Synapse ML backend
# Copyright (C) 2026 gst-synapse developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""The library as Python sees it: GI plus the override in gst/synapse/python,
against a synapse-dev-backend started for this module.

meson test runs it with the environment of tests/python/meson.build:
GI_TYPELIB_PATH and LD_LIBRARY_PATH point into the build tree,
SYNAPSE_GI_OVERRIDES_DIR at the override's source directory and
SYNAPSE_DEV_BACKEND at the backend binary. By hand, from the top directory:

    GI_TYPELIB_PATH=_build/gst/synapse LD_LIBRARY_PATH=_build/gst/synapse \\
    SYNAPSE_GI_OVERRIDES_DIR=gst/synapse/python/gi/overrides \\
    SYNAPSE_DEV_BACKEND=_build/tests/backend/synapse-dev-backend \\
    /usr/bin/python3 tests/python/test_synapse.py -v
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

# An uninstalled override is found by putting its directory first on
# gi.overrides.__path__ before gi.repository.Synapse is imported; PyGObject
# then loads gi.overrides.Synapse from there instead of from the installed
# overrides directory.
OVERRIDES_DIR = os.environ.get("SYNAPSE_GI_OVERRIDES_DIR")
if OVERRIDES_DIR:
    import gi.overrides

    gi.overrides.__path__.insert(0, os.path.abspath(OVERRIDES_DIR))

import gi  # noqa: E402

gi.require_version("Synapse", "1.0")
from gi.repository import Gio, GLib, Synapse  # noqa: E402

TOKEN = "python-test-token"
backend = None
URL = None


def setUpModule():
    global backend, URL
    binary = os.environ.get("SYNAPSE_DEV_BACKEND")
    if not binary:
        raise unittest.SkipTest("SYNAPSE_DEV_BACKEND is not set")
    backend = subprocess.Popen(
        [binary, "--port", "0", "--token", TOKEN, "--versions", "3",
         "--events", "100", "--models", "5", "--quiet"],
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


def control(method, path, body=None):
    """Calls one of the backend's _control/ endpoints; returns its body."""
    request = urllib.request.Request(
        URL + "_control/" + path, method=method,
        data=body.encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def control_events(version):
    """Every event of a dataset version, as the backend serves them."""
    text = control("GET", "events/?version=%d" % version)
    return [json.loads(line) for line in text.splitlines() if line]


def logged_requests(path):
    """The logged requests whose path contains *path*, oldest first."""
    return [r for r in json.loads(control("GET", "requests"))
            if path in r["path"]]


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def run_main_loop(start, timeout=10):
    """Runs a main loop until start(done) has called done(value)."""
    loop = GLib.MainLoop()
    outcome = {}

    def done(value):
        outcome["value"] = value
        loop.quit()

    def give_up():
        outcome["timeout"] = True
        loop.quit()
        return GLib.SOURCE_REMOVE

    start(done)
    timer = GLib.timeout_add_seconds(timeout, give_up)
    loop.run()
    if "timeout" in outcome:
        raise AssertionError("the async call did not finish in %d s"
                             % timeout)
    GLib.source_remove(timer)
    return outcome["value"]


class Case(unittest.TestCase):

    def setUp(self):
        control("DELETE", "faults")
        control("DELETE", "requests")
        self.client = Synapse.Client(base_url=URL, access_token=TOKEN,
                                     retries=0)

    def tearDown(self):
        control("DELETE", "faults")

    def assertClientError(self, error, code):
        self.assertIsInstance(error, GLib.Error)
        self.assertTrue(error.matches(Synapse.client_error_quark(), code),
                        "%s (%s %d) is not SynapseClientError %d"
                        % (error.message, error.domain, error.code, code))


class TestBinding(Case):

    def test_the_override_in_use_is_this_trees(self):
        module = sys.modules["gi.overrides.Synapse"]
        self.assertIs(type(self.client), module.Client)
        if OVERRIDES_DIR:
            self.assertEqual(os.path.dirname(module.__file__),
                             os.path.abspath(OVERRIDES_DIR))

    def test_the_library_and_typelib_in_use_are_this_builds(self):
        # whatever gst-synapse the machine has installed elsewhere (an
        # older one in /usr), this build's files are the ones loaded
        build = os.environ.get("SYNAPSE_BUILD_LIBRARY_DIR")
        if not build:
            self.skipTest("SYNAPSE_BUILD_LIBRARY_DIR is not set")
        gi.require_version("GIRepository", "2.0")
        from gi.repository import GIRepository
        typelib = GIRepository.Repository.get_default().get_typelib_path(
            "Synapse")
        with open("/proc/self/maps") as maps:
            libraries = {line.split()[-1] for line in maps
                         if "libsynapse-1.0.so" in line}
        self.assertEqual(os.path.dirname(os.path.realpath(typelib)),
                         os.path.realpath(build))
        self.assertEqual({os.path.dirname(os.path.realpath(path))
                          for path in libraries}, {os.path.realpath(build)})

    def test_every_override_is_documented(self):
        module = sys.modules["gi.overrides.Synapse"]
        self.assertTrue(module.__doc__)
        for name in module.__all__:
            cls = getattr(module, name)
            # vars(): PyGObject's StructMeta hides a boxed class's __doc__
            self.assertTrue(vars(cls).get("__doc__"), name)
            for attribute, value in vars(cls).items():
                if callable(value) or isinstance(value, (property,
                                                         classmethod)):
                    self.assertTrue(value.__doc__,
                                    "%s.%s" % (name, attribute))

    def test_keyword_properties(self):
        client = Synapse.Client(base_url=URL, access_token=TOKEN,
                                tenant="acme", timeout=7, page_size=25,
                                retries=1, retry_backoff_factor=0.1)
        self.assertEqual(client.props.base_url, URL)
        self.assertEqual(client.get_base_url(), URL)
        self.assertEqual(client.props.tenant, "acme")
        self.assertEqual(client.props.timeout, 7)
        self.assertEqual(client.props.page_size, 25)
        self.assertEqual(client.props.retry_backoff_factor, 0.1)
        models, total = client.list_models()
        self.assertEqual(total, self.client.list_models()[1])
        self.assertGreaterEqual(total, 5)

    def test_objects_from_their_construct_properties(self):
        # GObject constructors, as any binding makes objects
        every, total = self.client.list_models({"page_size": 1000})
        pager = Synapse.Pager(client=self.client, path="models/")
        self.assertEqual(list(pager), every)
        self.assertEqual(pager.total_count, total)

        with tempfile.TemporaryDirectory() as folder:
            conversion = Synapse.UrlConversion(fields=["files"],
                                               directory=folder)
            events, _ = self.client.list_ground_truth_events(
                {"ground_truth_dataset_versions": [3], "page_size": 2},
                conversion)
            url = control_events(3)[0]["files"]
            url = url[sorted(url)[0]]
            with open(conversion.get_cache_path(url), "rb") as f:
                self.assertEqual(f.read(), fetch(url))

        data = b"0123456789" * 3
        upload = Synapse.ChunkedUpload(client=self.client,
                                       filename="props.bin",
                                       total_size=len(data), chunk_size=16)
        self.assertTrue(upload.write(data))
        self.assertEqual(upload.complete()["checksum"],
                         hashlib.md5(data).hexdigest())

    def test_new_from_env(self):
        saved = {name: os.environ.get(name) for name in
                 ("SYNAPSE_BACKEND_URL", "SYNAPSE_ACCESS_TOKEN",
                  "SYNAPSE_TENANT")}
        try:
            os.environ["SYNAPSE_BACKEND_URL"] = URL
            os.environ["SYNAPSE_ACCESS_TOKEN"] = TOKEN
            os.environ["SYNAPSE_TENANT"] = "acme"
            client = Synapse.Client.new_from_env()
            self.assertIsInstance(client, Synapse.Client)
            self.assertEqual(client.props.tenant, "acme")
            self.assertEqual(client.list_models()[1],
                             self.client.list_models()[1])

            del os.environ["SYNAPSE_BACKEND_URL"]
            with self.assertRaises(GLib.Error) as caught:
                Synapse.Client.new_from_env()
            self.assertClientError(caught.exception,
                                   Synapse.ClientError.INVALID_ARGUMENT)
            self.assertIn("SYNAPSE_BACKEND_URL", caught.exception.message)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def test_build_url_encodes_a_dict(self):
        url = self.client.build_url("models/", {
            "project": [1, 2], "is_active": True, "search": "café sign",
            "score": 0.5, "skipped": None})
        self.assertEqual(
            url, URL + "models/?project=1&project=2&is_active=true"
            "&search=caf%C3%A9%20sign&score=0.5")

    def test_params_must_be_a_dict(self):
        with self.assertRaises(TypeError):
            self.client.list_models(["model_type", "detection"])
        with self.assertRaises(TypeError):
            self.client.list_models({"project": object()})

    def test_a_json_object_is_still_accepted(self):
        from gi.repository import Json

        params = Json.Object.new()
        params.set_string_member("model_type", "detection")
        models, total = self.client.list_models(params)
        self.assertTrue(models)
        self.assertTrue(all(m["model_type"] == "detection" for m in models))


class TestListing(Case):

    def test_list_values_are_sent_as_repeated_keys(self):
        events, total = self.client.list_ground_truth_events(
            {"ground_truth_dataset_versions": [1, 3], "page_size": 10})
        self.assertEqual(total, 200)
        self.assertEqual(len(events), 10)
        self.assertTrue(all(e["ground_truth_dataset_version"] in (1, 3)
                            for e in events))
        (logged,) = logged_requests("sdk/ground_truth_events/")
        self.assertIn("ground_truth_dataset_versions=1"
                      "&ground_truth_dataset_versions=3", logged["query"])

    def test_list_models_with_a_dict_filter(self):
        every, total = self.client.list_models({"page_size": 1000})
        self.assertEqual(total, len(every))
        detection, count = self.client.list_models(
            {"model_type": "detection", "is_active": True})
        expected = [m for m in every
                    if m["model_type"] == "detection" and m["is_active"]]
        self.assertTrue(expected)
        self.assertEqual(detection, expected)
        self.assertEqual(count, len(expected))
        self.assertIn("model_type=detection&is_active=true",
                      logged_requests("models/")[-1]["query"])

    def test_get_model(self):
        model = self.client.get_model(2)
        self.assertIsInstance(model, dict)
        self.assertEqual(model["id"], 2)
        self.assertIsInstance(model["metrics"], dict)
        self.assertIsInstance(model["configuration"]["input_size"], list)
        self.assertIsInstance(model["is_active"], bool)
        listed = {m["id"]: m for m in self.client.list_models()[0]}
        self.assertEqual(model, listed[2])

    def test_get_ground_truth_version(self):
        version = self.client.get_ground_truth_version(1)
        self.assertEqual(version["id"], 1)
        self.assertEqual(version["event_count"], 100)

    def test_request_any_endpoint(self):
        page = self.client.request("GET", "models/", {"page_size": 2})
        self.assertEqual(page["count"], self.client.list_models()[1])
        self.assertEqual(len(page["results"]), 2)
        self.assertEqual(
            self.client.request("GET", "ground_truth_dataset_versions/2/"),
            self.client.get_ground_truth_version(2))

    def test_iterating_events_equals_what_the_backend_serves(self):
        client = Synapse.Client(base_url=URL, access_token=TOKEN,
                                page_size=30)
        pager = client.iter_ground_truth_events(
            {"ground_truth_dataset_versions": [2]})
        self.assertIsInstance(pager, Synapse.Pager)
        self.assertIsNone(pager.total_count)
        events = list(pager)
        self.assertEqual(events, control_events(2))
        self.assertEqual(pager.total_count, 100)
        self.assertEqual(pager.get_pages_fetched(), 4)
        self.assertIsNone(pager.next())

    def test_a_failing_page_ends_the_iteration_with_its_error(self):
        control("POST", "faults",
                "status=500 path=sdk/ground_truth_events/ query=page=2")
        pager = self.client.iter_ground_truth_events(
            {"ground_truth_dataset_versions": 1, "page_size": 40})
        seen = []
        with self.assertRaises(GLib.Error) as caught:
            for event in pager:
                seen.append(event)
        self.assertEqual(len(seen), 40)
        self.assertClientError(caught.exception,
                               Synapse.ClientError.INTERNAL_SERVER_ERROR)

    def test_list_all(self):
        events = self.client.list_ground_truth_events(
            {"ground_truth_dataset_versions": 1, "page_size": 40},
            list_all=True)
        self.assertEqual(events, control_events(1))
        self.assertEqual(len(logged_requests("sdk/ground_truth_events/")), 3)

    def test_a_page_is_a_sequence_of_dicts(self):
        pager = self.client.iter_ground_truth_events(
            {"ground_truth_dataset_versions": [1], "page_size": 30})
        served = control_events(1)
        self.assertEqual(next(pager), served[0])
        page = pager.read_page()  # the rest of the first page
        self.assertIsInstance(page, Synapse.Page)
        self.assertEqual(len(page), 29)
        self.assertEqual(page.get_position(), 1)
        self.assertEqual(list(page), served[1:30])
        self.assertEqual(page[-1], served[29])
        self.assertEqual(page[1:3], served[2:4])
        self.assertEqual(page.dup_items(), served[1:30])
        self.assertEqual(json.loads(page.get_item_bytes(0).get_data()),
                         served[1])
        with self.assertRaises(IndexError):
            page[29]
        self.assertEqual(list(pager.read_page()), served[30:60])

    def test_one_member_of_a_result(self):
        pager = self.client.iter_ground_truth_events(
            {"ground_truth_dataset_versions": [1], "page_size": 5})
        page = pager.read_page()
        served = control_events(1)
        for i in range(len(page)):
            self.assertEqual(page.dup_item_member(i, "data_unit"),
                             served[i]["data_unit"])
            self.assertEqual(page.dup_item_member(i, "id"), served[i]["id"])
            self.assertIsNone(page.dup_item_member(i, "data_unit.nothing"))

    def test_fetch_file_checks_what_the_event_declares(self):
        event = control_events(1)[1]
        entry = event["data_unit"]["files"]["image"]
        data, content_type = self.client.fetch_file(
            entry["url"], entry["size"], entry["checksum"])
        self.assertEqual(len(data), entry["size"])
        self.assertEqual(hashlib.md5(data).hexdigest(), entry["checksum"])
        self.assertEqual(content_type, "image/png")
        with self.assertRaises(GLib.Error) as caught:
            self.client.fetch_file(entry["url"], entry["size"], "0" * 32)
        self.assertTrue(caught.exception.matches(
            Synapse.client_error_quark(), Synapse.ClientError.CHECKSUM))

    def test_next_page(self):
        every, total = self.client.list_models({"page_size": 1000})
        pager = Synapse.Pager.new(self.client, "models/", {"page_size": 2})
        pages = []
        while (page := pager.next_page()) is not None:
            pages.append(page)
        self.assertEqual([len(p) for p in pages],
                         [2] * (total // 2) + [1] * (total % 2))
        self.assertEqual(sum(pages, []), every)
        self.assertEqual(pager.total_count, total)


class TestErrors(Case):

    def test_not_found_has_its_status_code(self):
        with self.assertRaises(GLib.Error) as caught:
            self.client.get_model(424242)
        error = caught.exception
        self.assertClientError(error, Synapse.ClientError.NOT_FOUND)
        self.assertEqual(error.domain,
                         GLib.quark_to_string(Synapse.client_error_quark()))
        self.assertEqual(error.code, 404)
        self.assertEqual(Synapse.client_error_get_status_code(error), 404)
        self.assertIn("models/424242/", error.message)
        self.assertIn("Not found", error.message)

    def test_a_wrong_token_is_a_401(self):
        client = Synapse.Client(base_url=URL, access_token="wrong-token")
        with self.assertRaises(GLib.Error) as caught:
            client.list_models()
        self.assertClientError(caught.exception,
                               Synapse.ClientError.UNAUTHORIZED)
        self.assertEqual(
            Synapse.client_error_get_status_code(caught.exception), 401)
        self.assertNotIn("wrong-token", caught.exception.message)

    def test_a_server_error_has_its_status_code(self):
        control("POST", "faults", "status=503 path=models/ times=1")
        with self.assertRaises(GLib.Error) as caught:
            self.client.list_models()
        self.assertEqual(caught.exception.code, 503)
        self.assertEqual(
            Synapse.client_error_get_status_code(caught.exception), 503)
        # the fault was used up: the next call succeeds
        self.assertGreaterEqual(self.client.list_models()[1], 5)

    def test_a_local_refusal_has_no_http_status_in_c(self):
        with self.assertRaises(GLib.Error) as caught:
            self.client.create_model({"name": "x"})
        self.assertClientError(caught.exception,
                               Synapse.ClientError.INVALID_ARGUMENT)
        # nothing was sent: the library's status is 0 (the exception's
        # status_code is the 400 the backend would answer: see
        # test_sdk_idioms.py)
        self.assertEqual(
            Synapse.client_error_get_status_code(caught.exception), 0)
        self.assertEqual(caught.exception.status_code, 400)


class TestUrlConversion(Case):

    def test_a_python_function_converts_urls(self):
        cdn = "https://cdn.example.com/"

        def to_cdn(url):
            return cdn + url[len(URL):]

        conversion = Synapse.UrlConversion.new_converter(
            ["files", "data_unit.files"], to_cdn)
        events, _ = self.client.list_ground_truth_events(
            {"ground_truth_dataset_versions": 1, "page_size": 3}, conversion)
        served = control_events(1)[:3]
        self.assertEqual(len(events), 3)
        for event, original in zip(events, served):
            for name, url in original["files"].items():
                self.assertEqual(event["files"][name], to_cdn(url))
            for name, entry in original["data_unit"]["files"].items():
                self.assertEqual(event["data_unit"]["files"][name]["url"],
                                 to_cdn(entry["url"]))

    def test_a_converter_gets_its_user_data(self):
        conversion = Synapse.UrlConversion.new_converter(
            None, lambda url, scheme: scheme + url.split(":", 1)[1], "s3:")
        model = self.client.get_model(1, None, conversion)
        self.assertEqual(model["file"],
                         "s3://" + URL.split("://", 1)[1]
                         + "media/models/1/model.pt")

    def test_a_converter_that_raises_fails_the_call(self):
        def refuse(url):
            raise ValueError("no CDN for this")

        conversion = Synapse.UrlConversion.new_converter(None, refuse)
        with self.assertRaises(GLib.Error) as caught:
            self.client.get_model(1, None, conversion)
        self.assertClientError(caught.exception,
                               Synapse.ClientError.INVALID_ARGUMENT)
        self.assertIn("ValueError", caught.exception.message)
        self.assertIn("no CDN for this", caught.exception.message)
        self.assertIn("media/models/1/model.pt", caught.exception.message)

    def test_a_converter_that_raises_a_glib_error_keeps_it(self):
        def quota(url):
            raise GLib.Error("quota exceeded", "my-app-error", 7)

        conversion = Synapse.UrlConversion.new_converter(None, quota)
        with self.assertRaises(GLib.Error) as caught:
            self.client.get_model(1, None, conversion)
        self.assertEqual(caught.exception.domain, "my-app-error")
        self.assertEqual(caught.exception.code, 7)
        self.assertEqual(caught.exception.message, "quota exceeded")

    def test_a_converter_must_return_a_string(self):
        conversion = Synapse.UrlConversion.new_converter(None, len)
        with self.assertRaises(GLib.Error) as caught:
            self.client.get_model(1, None, conversion)
        self.assertIn("TypeError", caught.exception.message)

    def test_downloads_into_a_folder(self):
        with tempfile.TemporaryDirectory() as folder:
            conversion = Synapse.UrlConversion.new_download(["files"], folder)
            events, _ = self.client.list_ground_truth_events(
                {"ground_truth_dataset_versions": [3], "page_size": 2},
                conversion)
            for event, original in zip(events, control_events(3)):
                self.assertEqual(event["files"].keys(),
                                 original["files"].keys())
                for name, url in original["files"].items():
                    path = event["files"][name]
                    self.assertEqual(path, conversion.get_cache_path(url))
                    self.assertEqual(os.path.dirname(path), folder)
                    with open(path, "rb") as f:
                        self.assertEqual(f.read(), fetch(url))

    def test_apply_converts_a_list_of_dicts(self):
        conversion = Synapse.UrlConversion.new_converter(
            ["file"], lambda url: url.upper())
        results = [{"id": 1, "file": "http://a.example/x.pt"},
                   {"id": 2, "file": None}]
        converted = conversion.apply(self.client, results)
        self.assertEqual(converted,
                         [{"id": 1, "file": "HTTP://A.EXAMPLE/X.PT"},
                          {"id": 2, "file": None}])
        self.assertEqual(results[0]["file"], "http://a.example/x.pt")


class TestCreateModel(Case):

    def setUp(self):
        super().setUp()
        self.folder = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.folder.name, "model.pt")
        self.size = 300 * 1024
        with open(self.path, "wb") as f:
            f.write(os.urandom(self.size))
        self.client.props.chunk_size = 64 * 1024

    def tearDown(self):
        self.folder.cleanup()
        super().tearDown()

    def model_data(self, name):
        return {"name": name, "model_type": "detection", "project": 1,
                "file": self.path, "description": "from a dict",
                "metrics": {"map": 0.5, "per_class": [0.25, 0.75]},
                "configuration": {"epochs": 3, "augment": False},
                "is_active": False}

    def test_create_model_from_a_dict(self):
        progress = []
        model = self.client.create_model(
            self.model_data("python-model"),
            lambda sent, total: progress.append((sent, total)))
        self.assertIsInstance(model, dict)
        self.assertEqual(model["name"], "python-model")
        self.assertEqual(model["metrics"],
                         {"map": 0.5, "per_class": [0.25, 0.75]})
        self.assertIs(model["is_active"], False)
        self.assertEqual(self.client.get_model(model["id"])["name"],
                         "python-model")
        self.assertEqual(progress[-1], (self.size, self.size))
        self.assertEqual(len(progress), 5)
        self.assertEqual(progress, sorted(progress))
        with open(self.path, "rb") as f:
            self.assertEqual(fetch(model["file"]), f.read())

    def test_create_model_async_reports_progress(self):
        progress = []

        def start(done):
            self.client.create_model_async(
                self.model_data("async-model"),
                lambda sent, total: progress.append(sent), None,
                lambda client, result: done(
                    client.create_model_finish(result)))

        model = run_main_loop(start)
        self.assertEqual(model["name"], "async-model")
        self.assertEqual(progress[-1], self.size)

    def test_chunked_upload_of_pieces(self):
        with open(self.path, "rb") as f:
            data = f.read()
        upload = Synapse.ChunkedUpload.new(self.client, "pieces.bin",
                                           len(data), 100 * 1024)
        progress = []
        upload.set_progress_func(lambda sent, total: progress.append(sent))
        for start in range(0, len(data), 7000):
            self.assertTrue(upload.write(data[start:start + 7000]))
        completed = upload.complete()
        self.assertIsInstance(completed, dict)
        self.assertIn("id", completed)
        self.assertEqual(upload.get_md5(), hashlib.md5(data).hexdigest())
        self.assertEqual(progress, [100 * 1024, 200 * 1024, len(data)])

        from_file = self.client.create_chunked_upload(self.path)
        self.assertIsInstance(from_file, dict)
        self.assertNotEqual(from_file["id"], completed["id"])

    def test_bad_data_is_refused_before_any_request(self):
        data = self.model_data("bad")
        data["project"] = "one"
        data["model_type"] = "regression"
        with self.assertRaises(GLib.Error) as caught:
            self.client.create_model(data)
        self.assertClientError(caught.exception,
                               Synapse.ClientError.INVALID_ARGUMENT)
        self.assertIn("project", caught.exception.message)
        self.assertIn("model_type", caught.exception.message)
        self.assertEqual(logged_requests(""), [])


class TestAsync(Case):

    def test_list_models_async(self):
        def start(done):
            self.client.list_models_async(
                {"page_size": 2}, None,
                lambda client, result, data: done(
                    (client.list_models_finish(result), data)),
                "user data")

        (models, total), data = run_main_loop(start)
        self.assertEqual(total, self.client.list_models()[1])
        self.assertEqual([m["id"] for m in models], [1, 2])
        self.assertEqual(data, "user data")

    def test_an_async_error_comes_from_finish(self):
        def finish(client, result, done):
            try:
                client.get_model_finish(result)
            except GLib.Error as error:
                done(error)

        error = run_main_loop(lambda done: self.client.get_model_async(
            424242, None, None, None, finish, done))
        self.assertClientError(error, Synapse.ClientError.NOT_FOUND)
        self.assertEqual(Synapse.client_error_get_status_code(error), 404)

    def test_a_python_converter_runs_in_an_async_call(self):
        conversion = Synapse.UrlConversion.new_converter(
            ["files"], lambda url: "cache:" + url.rsplit("/", 1)[1])

        def start(done):
            self.client.list_ground_truth_events_async(
                {"ground_truth_dataset_versions": 2, "page_size": 5},
                conversion, False, None,
                lambda client, result: done(
                    client.list_ground_truth_events_finish(result)))

        events, total = run_main_loop(start)
        self.assertEqual(total, 100)
        self.assertEqual(events[0]["files"]["mask"], "cache:mask.png")

    def test_fetch_files_at_once(self):
        entries = [event["data_unit"]["files"]["image"]
                   for event in control_events(1)[:6]]
        loop = GLib.MainLoop()
        got = {}

        def done(client, result, index):
            got[index] = client.fetch_file_finish(result)
            if len(got) == len(entries):
                loop.quit()

        for index, entry in enumerate(entries):
            self.client.fetch_file_async(entry["url"], entry["size"],
                                         entry["checksum"], None, 0, None,
                                         done, index)
        loop.run()
        self.assertEqual([len(got[i][0]) for i in range(len(entries))],
                         [entry["size"] for entry in entries])

    def test_pager_next_async(self):
        pager = self.client.iter_ground_truth_events(
            {"ground_truth_dataset_versions": [1], "page_size": 50})
        events = []

        def start(done):
            def on_next(pager, result):
                event = pager.next_finish(result)
                if event is None:
                    done(len(events))
                else:
                    events.append(event)
                    pager.next_async(None, on_next)

            pager.next_async(None, on_next)

        self.assertEqual(run_main_loop(start), 100)
        self.assertEqual(events, control_events(1))


class TestCancellation(Case):

    def test_cancel_a_blocking_call_from_another_thread(self):
        control("POST", "faults", "stall ms=10000 path=models/ times=1")
        cancellable = Gio.Cancellable()
        threading.Timer(0.2, cancellable.cancel).start()
        started = time.monotonic()
        with self.assertRaises(GLib.Error) as caught:
            self.client.list_models(None, cancellable)
        self.assertTrue(caught.exception.matches(
            Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
        self.assertLess(time.monotonic() - started, 5)

    def test_cancel_an_async_call(self):
        control("POST", "faults", "stall ms=10000 path=models/ times=1")
        cancellable = Gio.Cancellable()

        def finish(client, result, done):
            try:
                client.get_model_finish(result)
                done(None)
            except GLib.Error as error:
                done(error)

        def start(done):
            self.client.get_model_async(1, None, None, cancellable, finish,
                                        done)
            GLib.timeout_add(200, cancellable.cancel)

        started = time.monotonic()
        error = run_main_loop(start)
        self.assertIsNotNone(error)
        self.assertTrue(error.matches(Gio.io_error_quark(),
                                      Gio.IOErrorEnum.CANCELLED))
        self.assertLess(time.monotonic() - started, 5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
