#!/usr/bin/python3
# libsynapse: a GObject client for the Synapse ML backend
# Copyright (C) 2026 gst-synapse developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Code written for the Python SDK (synapse_sdk's BackendClient), run on
the binding against synapse-dev-backend: the shapes its calls return, its
url_conversion dicts, its ClientError attributes, the values its users
pass (issue 15, items 1 to 4).

The backend, the environment and the helpers are test_synapse.py's (its
setUpModule starts the backend); run it as that file says, with this
file's name.
"""

import datetime
import os
import pathlib
import tempfile
import threading
import unittest

import test_synapse as base
from gi.repository import Gio, GLib, Synapse  # noqa: E402  (after base)

TOKEN = base.TOKEN


def setUpModule():
    base.setUpModule()


def tearDownModule():
    base.tearDownModule()


def cdn(url):
    """The SDK documentation's converter: the URL's path on a CDN host."""
    return "https://cdn.example.com/" + url.split("/", 3)[3]


def mirror(url):
    return "https://mirror.example.com/" + url.split("/", 3)[3]


class TestShapes(base.Case):
    """Item 1: what the listing calls return."""

    def test_list_all_is_the_list_of_every_event(self):
        events = self.client.list_ground_truth_events(
            params={"ground_truth_dataset_versions": [1], "page_size": 30},
            list_all=True)
        self.assertIsInstance(events, list)
        self.assertEqual(events, base.control_events(1))
        # SDK code: len() and iteration of the list itself
        self.assertEqual(len(events), 100)
        self.assertEqual(
            len(base.logged_requests("sdk/ground_truth_events/")), 4)

    def test_one_page_is_events_and_total(self):
        events, total = self.client.list_ground_truth_events(
            params={"ground_truth_dataset_versions": [2], "page_size": 10})
        self.assertEqual(total, 100)
        self.assertEqual(events, base.control_events(2)[:10])

    def test_list_models_keeps_models_and_total(self):
        models = self.client.list_models(params={"is_active": True})
        # the SDK's documentation indexes the tuple: models[0]
        self.assertIsInstance(models, tuple)
        self.assertTrue(all(m["is_active"] for m in models[0]))
        self.assertEqual(models[1], len(models[0]))

    def test_list_all_async_gives_the_list_too(self):
        def start(done):
            self.client.list_ground_truth_events_async(
                {"ground_truth_dataset_versions": [3], "page_size": 40},
                None, True, None,
                lambda client, result: done(
                    client.list_ground_truth_events_finish(result)))

        events = base.run_main_loop(start)
        self.assertEqual(events, base.control_events(3))

        def start_page(done):
            self.client.list_ground_truth_events_async(
                {"ground_truth_dataset_versions": [3], "page_size": 5},
                callback=lambda client, result: done(
                    client.list_ground_truth_events_finish(result)))

        events, total = base.run_main_loop(start_page)
        self.assertEqual((events, total), (base.control_events(3)[:5], 100))


class TestUrlConversionDicts(base.Case):
    """Item 2: url_conversion={field: function}."""

    def test_get_model_with_a_file_converter(self):
        plain = self.client.get_model(1)
        model = self.client.get_model(1, url_conversion={"file": cdn})
        self.assertEqual(model["file"], cdn(plain["file"]))
        del model["file"], plain["file"]
        self.assertEqual(model, plain)

    def test_each_field_its_own_function(self):
        served = base.control_events(1)
        events = self.client.list_ground_truth_events(
            params={"ground_truth_dataset_versions": [1], "page_size": 25},
            url_conversion={"files": cdn, "data_unit.files": mirror},
            list_all=True)
        self.assertEqual(len(events), len(served))
        for event, original in zip(events, served):
            self.assertEqual(event["files"],
                             {key: cdn(url) for key, url
                              in original["files"].items()})
            for key, entry in original["data_unit"]["files"].items():
                converted = event["data_unit"]["files"][key]
                self.assertEqual(converted["url"], mirror(entry["url"]))
                self.assertEqual(converted["checksum"], entry["checksum"])
            self.assertEqual(event["data"], original["data"])

    def test_a_single_page_is_converted_too(self):
        # the SDK converts nothing on a single page; this binding does
        events, total = self.client.list_ground_truth_events(
            params={"ground_truth_dataset_versions": [2], "page_size": 3},
            url_conversion={"files": lambda url: url.upper()})
        self.assertEqual(len(events), 3)
        for event in events:
            for url in event["files"].values():
                self.assertEqual(url, url.upper())

    def test_iterating_with_a_dict(self):
        pager = self.client.iter_ground_truth_events(
            params={"ground_truth_dataset_versions": [3], "page_size": 30},
            url_conversion={"data_unit.files": mirror})
        served = base.control_events(3)
        for event, original in zip(pager, served):
            self.assertEqual(event["data_unit"]["files"]["image"]["url"],
                             mirror(original["data_unit"]["files"]["image"]
                                    ["url"]))
            self.assertEqual(event["files"], original["files"])
        self.assertEqual(pager.get_position(), 100)

    def test_a_url_conversion_object_still_works(self):
        conversion = Synapse.UrlConversion.new_converter(["files"], cdn)
        conversion.add_converter("data_unit.files", mirror)
        by_object = self.client.list_ground_truth_events(
            {"ground_truth_dataset_versions": [1]}, conversion, True)
        by_dict = self.client.list_ground_truth_events(
            {"ground_truth_dataset_versions": [1]},
            url_conversion={"files": cdn, "data_unit.files": mirror},
            list_all=True)
        self.assertEqual(by_object, by_dict)

    def test_a_function_that_raises_fails_with_its_name(self):
        def broken(url):
            raise KeyError("no mirror")

        with self.assertRaises(GLib.Error) as caught:
            self.client.get_model(1, url_conversion={"file": broken})
        self.assertIn("KeyError", caught.exception.message)
        self.assertEqual(caught.exception.status_code, 0)

    def test_a_dict_that_is_not_of_functions_is_refused(self):
        with self.assertRaises(TypeError):
            self.client.get_model(1, url_conversion={"file": "cdn"})
        with self.assertRaises(TypeError):
            self.client.get_model(1, url_conversion=["file"])
        self.assertEqual(base.logged_requests("models/"), [])


class TestClientErrors(base.Case):
    """Item 3: except ClientError as e: e.status_code, e.response."""

    def test_not_found_as_the_sdk_reads_it(self):
        with self.assertRaises(GLib.Error) as caught:
            self.client.get_model(999)
        e = caught.exception
        self.assertIsInstance(e, Synapse.Error)
        self.assertEqual(e.status_code, 404)
        self.assertEqual(e.response, {"detail": "Not found."})
        self.assertEqual(e.method, "GET")
        self.assertEqual(e.url, base.URL + "models/999/")
        self.assertIsNone(e.path)
        # still the GLib.Error it was
        self.assertTrue(e.matches(Synapse.client_error_quark(),
                                  Synapse.ClientError.NOT_FOUND))
        self.assertEqual(Synapse.client_error_get_status_code(e), 404)

    def test_each_error_is_its_own(self):
        errors = []
        for model_id in (997, 998):
            try:
                self.client.get_model(model_id)
            except Synapse.Error as e:
                errors.append(e)
        self.assertEqual([e.url for e in errors],
                         [base.URL + "models/997/", base.URL + "models/998/"])

    def test_a_400_from_the_backend_has_its_field_errors(self):
        base.control("POST", "faults",
                     "status=400 method=GET path=models/ "
                     "body='{\"project\": [\"A valid integer is required.\"]}'")
        with self.assertRaises(Synapse.Error) as caught:
            self.client.list_models(params={"project": 1})
        e = caught.exception
        self.assertEqual(e.status_code, 400)
        self.assertEqual(e.response,
                         {"project": ["A valid integer is required."]})
        self.assertIn("project=1", e.url)

    def test_a_body_that_is_not_json_is_a_str(self):
        base.control("POST", "faults",
                     "status=403 path=ground_truth_dataset_versions/ "
                     "body='Forbidden by policy'")
        with self.assertRaises(Synapse.Error) as caught:
            self.client.get_ground_truth_version(1)
        self.assertEqual(caught.exception.status_code, 403)
        self.assertEqual(caught.exception.response, "Forbidden by policy")

    def test_a_wrong_token(self):
        client = Synapse.Client(base_url=base.URL, access_token="wrong",
                                retries=0)
        with self.assertRaises(Synapse.Error) as caught:
            client.list_ground_truth_events(list_all=True)
        e = caught.exception
        self.assertEqual(e.status_code, 401)
        self.assertIsInstance(e.response, dict)
        self.assertNotIn("wrong", repr(vars(e)))

    def test_a_missing_name_is_a_400_before_any_request(self):
        with tempfile.NamedTemporaryFile(suffix=".pkl") as f:
            f.write(b"weights")
            f.flush()
            with self.assertRaises(Synapse.Error) as caught:
                self.client.create_model({"model_type": "classification",
                                          "project": 1, "file": f.name})
        e = caught.exception
        self.assertEqual(e.status_code, 400)
        self.assertEqual(e.response, {"name": ["This field is required."]})
        self.assertIsNone(e.url)
        self.assertEqual(base.logged_requests(""), [])

    def test_a_bad_model_type_is_a_400_worded_as_the_backend(self):
        with tempfile.NamedTemporaryFile(suffix=".pkl") as f:
            f.write(b"weights")
            f.flush()
            with self.assertRaises(Synapse.Error) as caught:
                self.client.create_model({"name": "m", "project": 1,
                                          "model_type": "regression",
                                          "file": f.name})
        self.assertEqual(caught.exception.status_code, 400)
        self.assertEqual(caught.exception.response,
                         {"model_type": ['"regression" is not a valid '
                                         'choice.']})
        # what the backend itself answers to the same data
        upload = self.client.create_chunked_upload(__file__)
        with self.assertRaises(Synapse.Error) as backend:
            self.client.request("POST", "models/", body={
                "name": "m", "project": 1, "model_type": "regression",
                "chunked_upload": upload["id"]})
        self.assertEqual(backend.exception.status_code, 400)
        self.assertEqual(backend.exception.response,
                         caught.exception.response)

    def test_a_file_that_cannot_be_read_is_its_own_code(self):
        missing = "/nonexistent/sdk-idioms/model.pkl"
        with self.assertRaises(Synapse.Error) as caught:
            self.client.create_model({"name": "m", "project": 1,
                                      "model_type": "detection",
                                      "file": missing})
        e = caught.exception
        self.assertTrue(e.matches(Synapse.client_error_quark(),
                                  Synapse.ClientError.IO))
        self.assertEqual(e.path, missing)
        self.assertEqual(e.status_code, 0)
        self.assertIn(missing, e.message)
        self.assertEqual(base.logged_requests(""), [])

    def test_no_answer_is_status_0(self):
        with socket_that_refuses() as url:
            client = Synapse.Client(base_url=url, access_token=TOKEN,
                                    retries=0)
            with self.assertRaises(Synapse.Error) as caught:
                client.get_model(1)
        e = caught.exception
        self.assertEqual(e.status_code, 0)
        self.assertIsNone(e.response)
        self.assertTrue(e.matches(Synapse.client_error_quark(),
                                  Synapse.ClientError.CONNECTION))
        self.assertEqual(e.url, url + "models/1/")

    def test_a_failing_page_while_iterating(self):
        base.control("POST", "faults",
                     "status=502 path=sdk/ground_truth_events/ query=page=3")
        seen = 0
        with self.assertRaises(Synapse.Error) as caught:
            for event in self.client.iter_ground_truth_events(
                    {"ground_truth_dataset_versions": [1], "page_size": 20}):
                seen += 1
        self.assertEqual(seen, 40)
        self.assertEqual(caught.exception.status_code, 502)
        self.assertIn("page=3", caught.exception.url)

    def test_an_async_failure_from_finish(self):
        def start(done):
            def finished(client, result):
                try:
                    client.get_model_finish(result)
                except GLib.Error as e:
                    done(e)

            self.client.get_model_async(424242, None, None, None, finished)

        e = base.run_main_loop(start)
        self.assertIsInstance(e, Synapse.Error)
        self.assertEqual((e.status_code, e.method), (404, "GET"))
        self.assertEqual(e.response, {"detail": "Not found."})

    def test_errors_in_threads_keep_their_own(self):
        found = {}

        def fail(model_id):
            try:
                self.client.get_model(model_id)
            except Synapse.Error as e:
                found[model_id] = e

        threads = [threading.Thread(target=fail, args=(900 + i,))
                   for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(found), [900 + i for i in range(6)])
        for model_id, e in found.items():
            self.assertEqual(e.url, base.URL + "models/%d/" % model_id)
            self.assertEqual(e.status_code, 404)

    def test_cancelled_is_still_gio_cancelled(self):
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(Synapse.Error) as caught:
            self.client.list_models(None, cancellable)
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(),
                                                 Gio.IOErrorEnum.CANCELLED))
        self.assertEqual(caught.exception.status_code, 0)


class socket_that_refuses:
    """A loopback URL on which nothing listens (a port bound, never
    listened on), for the time of a with block."""

    def __enter__(self):
        import socket
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d/" % self.socket.getsockname()[1]

    def __exit__(self, *exc):
        self.socket.close()


class TestValues(base.Case):
    """Item 4: the values SDK users pass."""

    def setUp(self):
        super().setUp()
        self.folder = tempfile.TemporaryDirectory(prefix="sdk-idioms-")
        self.path = pathlib.Path(self.folder.name) / "model.pkl"
        self.path.write_bytes(os.urandom(2048))

    def tearDown(self):
        self.folder.cleanup()
        super().tearDown()

    def test_a_path_for_file(self):
        model = self.client.create_model({
            "name": "from a Path", "model_type": "detection", "project": 1,
            "file": self.path,
            "configuration": {"input_size": (640, 640)}})
        self.assertEqual(base.fetch(model["file"]), self.path.read_bytes())
        self.assertEqual(model["configuration"]["input_size"], [640, 640])
        upload = self.client.create_chunked_upload(self.path)
        self.assertEqual(upload["size"], 2048)

    def test_datetimes_in_params_are_iso_8601(self):
        after = datetime.datetime(2024, 1, 1, 1, 0,
                                  tzinfo=datetime.timezone.utc)
        events, total = self.client.list_ground_truth_events(
            params={"ground_truth_dataset_versions": [1],
                    "created_after": after})
        served = [e for e in base.control_events(1)
                  if datetime.datetime.fromisoformat(
                      e["created_at"].replace("Z", "+00:00")) > after]
        self.assertEqual(total, len(served))
        self.assertTrue(0 < total < 100)
        (logged,) = base.logged_requests("sdk/ground_truth_events/")
        self.assertIn("created_after=2024-01-01T01%3A00%3A00%2B00%3A00",
                      logged["query"])

        self.client.list_models(
            params={"created_after": datetime.date(2024, 1, 2)})
        self.assertIn("created_after=2024-01-02",
                      base.logged_requests("models/")[-1]["query"])

    def test_tuples_and_sets_are_lists(self):
        events, total = self.client.list_ground_truth_events(
            params={"ground_truth_dataset_versions": (1, 3)})
        self.assertEqual(total, 200)
        events, total = self.client.list_ground_truth_events(
            params={"ground_truth_dataset_versions": {3, 2}})
        self.assertEqual(total, 200)
        queries = [r["query"] for r
                   in base.logged_requests("sdk/ground_truth_events/")]
        self.assertIn("ground_truth_dataset_versions=1"
                      "&ground_truth_dataset_versions=3", queries[0])
        self.assertIn("ground_truth_dataset_versions=2"
                      "&ground_truth_dataset_versions=3", queries[1])

    def test_create_model_from_upload_takes_dicts(self):
        upload = self.client.create_chunked_upload(str(self.path))
        self.assertIsInstance(upload, dict)
        model = self.client.create_model_from_upload(
            {"name": "from an upload", "model_type": "segmentation",
             "project": 2, "metrics": {"accuracy": 0.5}}, upload)
        self.assertEqual(model["name"], "from an upload")
        self.assertEqual(base.fetch(model["file"]), self.path.read_bytes())

    def test_a_pager_from_properties_takes_a_dict(self):
        pager = Synapse.Pager(client=self.client, path="models/",
                              params={"model_type": "detection"})
        every, total = self.client.list_models({"model_type": "detection"})
        self.assertEqual(list(pager), every)

    def test_a_download_folder_as_a_path(self):
        folder = pathlib.Path(self.folder.name) / "cache"
        conversion = Synapse.UrlConversion.new_download(["files"], folder)
        events, total = self.client.list_ground_truth_events(
            {"ground_truth_dataset_versions": [2], "page_size": 2},
            url_conversion=conversion)
        for event in events:
            for local in event["files"].values():
                self.assertEqual(pathlib.Path(local).parent, folder)
                self.assertTrue(os.path.isfile(local))


if __name__ == "__main__":
    unittest.main(verbosity=2)
