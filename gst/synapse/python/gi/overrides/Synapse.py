# libsynapse: a GObject client for the Synapse ML backend
# Copyright (C) 2026 gst-synapse developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""PyGObject overrides for Synapse-1.0.

They make the client read like Python: plain values (``dict``, ``list``,
``str``, ``int``, ``float``, ``bool``, ``None``, nested as deep as needed)
go in wherever C takes a ``JsonObject`` or a ``JsonNode``, and results come
back as plain ``dict`` and ``list`` values. A one-page listing returns
``(results, total)``; a :class:`Pager` is a Python iterator; a Python
function is a URL converter. Anything not overridden here is the plain
introspected API, and the overridden calls still accept ``Json.Object`` and
``Json.Node`` values.

Failures are ``GLib.Error`` exceptions. An HTTP failure has the domain of
``Synapse.client_error_quark()`` and its HTTP status as ``code``, which
``Synapse.client_error_get_status_code(error)`` also returns. PyGObject
keeps only the domain, code and message of an error, so the backend's
parsed body (``client_error_get_detail``), URL and method are not there in
Python: the message names the request and quotes the body.

::

    import gi
    gi.require_version("Synapse", "1.0")
    from gi.repository import GLib, Synapse

    client = Synapse.Client(base_url="https://api.example.com/",
                            access_token="…")
    models, total = client.list_models({"model_type": "detection"})
    for event in client.iter_ground_truth_events(
            {"ground_truth_dataset_versions": [12, 13]}):
        print(event["id"], event["files"])
    try:
        client.get_model(404404)
    except GLib.Error as error:
        print(Synapse.client_error_get_status_code(error))   # 404
"""

import json

from gi.repository import GLib, Json

from ..module import get_introspection_module
from ..overrides import override

Synapse = get_introspection_module("Synapse")

__all__ = []


# ------------------------------------------------------- JSON in and out


def _to_node(value):
    """A ``Json.Node`` holding *value* (``None`` stays ``None``)."""
    if value is None or isinstance(value, Json.Node):
        return value
    if isinstance(value, Json.Object):
        return Json.Node.alloc().init_object(value)
    if isinstance(value, Json.Array):
        return Json.Node.alloc().init_array(value)
    # json.dumps names what it cannot encode (a set, NaN, an object)
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return Json.from_string(text)


def _to_object(value):
    """A ``Json.Object`` from a mapping (``None`` stays ``None``)."""
    if value is None or isinstance(value, Json.Object):
        return value
    if not hasattr(value, "keys"):
        raise TypeError("expected a dict of parameters, got %s"
                        % type(value).__name__)
    return _to_node(dict(value)).get_object()


def _to_array(values):
    """A ``Json.Array`` from a list of values."""
    if isinstance(values, Json.Array):
        return values
    return _to_node(list(values)).get_array()


def _to_python(value):
    """The plain Python value of a ``Json.Node``, ``Json.Object`` or
    ``Json.Array`` (``None`` stays ``None``)."""
    if value is None:
        return None
    return json.loads(Json.to_string(_to_node(value), False))


def _ready(callback, user_data):
    """Adapts ``callback(source, result, *user_data)`` to a
    ``GAsyncReadyCallback`` (the data stays in Python)."""
    if callback is None:
        return None
    return lambda source, result, *ignored: callback(source, result,
                                                     *user_data)


def _progress(progress):
    """Adapts a ``progress(sent, total)`` function to the C callback."""
    if progress is None:
        return None
    return lambda sent, total, *data: progress(sent, total)


# ------------------------------------------------------------ the client


class Client(Synapse.Client):
    """A connection to one Synapse backend.

    Make one with ``Synapse.Client(base_url=…, access_token=…)`` (any
    other property as a keyword too: ``tenant``, ``timeout``, ``retries``,
    ``page_size``, …) or with ``Synapse.Client.new_from_env()``, which
    reads ``SYNAPSE_BACKEND_URL``, ``SYNAPSE_ACCESS_TOKEN`` and
    ``SYNAPSE_TENANT``.

    Every blocking call takes an optional ``Gio.Cancellable`` and raises
    ``GLib.Error`` on failure; each has an ``_async`` twin whose callback
    gets the result from the matching ``_finish`` call.
    """

    def build_url(self, path, params=None):
        """The URL a request to *path* with the *params* dict goes to."""
        return Synapse.Client.build_url(self, path, _to_object(params))

    def request(self, method, path, params=None, body=None,
                cancellable=None):
        """Sends one request to any endpoint and returns its JSON answer
        as a Python value (``None`` for an empty answer). *params* is a
        dict of query parameters (a list value repeats its key), *body*
        any JSON value."""
        return _to_python(Synapse.Client.request(
            self, method, path, _to_object(params), _to_node(body),
            cancellable))

    def request_async(self, method, path, params=None, body=None,
                      cancellable=None, callback=None, *user_data):
        """Starts :meth:`request`; finish it with :meth:`request_finish`."""
        Synapse.Client.request_async(
            self, method, path, _to_object(params), _to_node(body),
            cancellable, _ready(callback, user_data))

    def request_finish(self, result):
        """The answer of :meth:`request_async`, as a Python value."""
        return _to_python(Synapse.Client.request_finish(self, result))

    def list_models(self, params=None, cancellable=None):
        """One page of models, filtered by the *params* dict (``project``,
        ``model_type``, ``is_active``, ``created_after``, ``search``,
        ``page``, ``page_size``): returns ``(models, total)``, a list of
        dicts and the number of models matching over all pages."""
        models, total = Synapse.Client.list_models(
            self, _to_object(params), cancellable)
        return _to_python(models), total

    def list_models_async(self, params=None, cancellable=None,
                          callback=None, *user_data):
        """Starts :meth:`list_models`; finish it with
        :meth:`list_models_finish`."""
        Synapse.Client.list_models_async(
            self, _to_object(params), cancellable,
            _ready(callback, user_data))

    def list_models_finish(self, result):
        """``(models, total)`` of :meth:`list_models_async`."""
        models, total = Synapse.Client.list_models_finish(self, result)
        return _to_python(models), total

    def get_model(self, id, params=None, conversion=None, cancellable=None):
        """One model as a dict; *params* may ask e.g. for
        ``{"expand": "metrics"}``, *conversion* converts its ``file``."""
        return _to_python(Synapse.Client.get_model(
            self, id, _to_object(params), conversion, cancellable))

    def get_model_async(self, id, params=None, conversion=None,
                        cancellable=None, callback=None, *user_data):
        """Starts :meth:`get_model`; finish it with
        :meth:`get_model_finish`."""
        Synapse.Client.get_model_async(
            self, id, _to_object(params), conversion, cancellable,
            _ready(callback, user_data))

    def get_model_finish(self, result):
        """The model of :meth:`get_model_async`, as a dict."""
        return _to_python(Synapse.Client.get_model_finish(self, result))

    def create_model(self, data, progress=None, cancellable=None):
        """Registers a model from the *data* dict: ``name``,
        ``model_type``, ``project`` and ``file`` (the path of a local file,
        uploaded first) are required; ``description``, ``metrics``,
        ``configuration`` and ``is_active`` are optional. *progress*, when
        given, is called as ``progress(sent, total)`` after each chunk.
        Returns the created model as a dict."""
        return _to_python(Synapse.Client.create_model(
            self, _to_object(data), _progress(progress),
            cancellable=cancellable))

    def create_model_async(self, data, progress=None, cancellable=None,
                           callback=None, *user_data):
        """Starts :meth:`create_model` (*progress* is then called from a
        worker thread); finish it with :meth:`create_model_finish`."""
        Synapse.Client.create_model_async(
            self, _to_object(data), _progress(progress),
            cancellable=cancellable, callback=_ready(callback, user_data))

    def create_model_finish(self, result):
        """The model created by :meth:`create_model_async`, as a dict."""
        return _to_python(Synapse.Client.create_model_finish(self, result))

    def list_ground_truth_events(self, params=None, conversion=None,
                                 list_all=False, cancellable=None):
        """Ground-truth events filtered by the *params* dict
        (``ground_truth_dataset_versions``: an id or a list of ids,
        ``project``, ``created_after``, ``data_type``, ``search``, ``page``,
        ``page_size``): the one page *params* asks for, or with *list_all*
        every page from there. Returns ``(events, total)``."""
        events, total = Synapse.Client.list_ground_truth_events(
            self, _to_object(params), conversion, list_all, cancellable)
        return _to_python(events), total

    def list_ground_truth_events_async(self, params=None, conversion=None,
                                       list_all=False, cancellable=None,
                                       callback=None, *user_data):
        """Starts :meth:`list_ground_truth_events`; finish it with
        :meth:`list_ground_truth_events_finish`."""
        Synapse.Client.list_ground_truth_events_async(
            self, _to_object(params), conversion, list_all, cancellable,
            _ready(callback, user_data))

    def list_ground_truth_events_finish(self, result):
        """``(events, total)`` of :meth:`list_ground_truth_events_async`."""
        events, total = Synapse.Client.list_ground_truth_events_finish(
            self, result)
        return _to_python(events), total

    def iter_ground_truth_events(self, params=None, conversion=None):
        """A :class:`Pager` over the events the *params* dict selects:
        iterate it to stream a listing of any length, one dict at a time,
        in bounded memory."""
        return Synapse.Client.iter_ground_truth_events(
            self, _to_object(params), conversion)

    def get_ground_truth_version(self, id, cancellable=None):
        """One ground-truth dataset version as a dict."""
        return _to_python(Synapse.Client.get_ground_truth_version(
            self, id, cancellable))

    def get_ground_truth_version_finish(self, result):
        """The version of :meth:`get_ground_truth_version_async`, as a
        dict."""
        return _to_python(
            Synapse.Client.get_ground_truth_version_finish(self, result))

    def fetch_file(self, url, size=-1, checksum=None, cache_dir=None,
                   max_size=0, cancellable=None):
        """The file at *url* (an entry of an event's ``data_unit.files``)
        whole, checked against the *size* and *checksum* the event declares
        (-1 and None: nothing declared), through the *cache_dir* folder
        when given: returns ``(data, content_type)``, the file's ``bytes``
        and the media type of its ``Content-Type`` (None when it gave none
        or the file came from the folder)."""
        data, content_type = Synapse.Client.fetch_file(
            self, url, size, checksum, cache_dir, max_size, cancellable)
        return data.get_data(), content_type

    def fetch_file_async(self, url, size=-1, checksum=None, cache_dir=None,
                         max_size=0, cancellable=None, callback=None,
                         *user_data):
        """Starts :meth:`fetch_file`; finish it with
        :meth:`fetch_file_finish`. Several at once fetch several files at
        once, on the client's workers."""
        Synapse.Client.fetch_file_async(
            self, url, size, checksum, cache_dir, max_size, cancellable,
            _ready(callback, user_data))

    def fetch_file_finish(self, result):
        """``(data, content_type)`` of :meth:`fetch_file_async`."""
        data, content_type = Synapse.Client.fetch_file_finish(self, result)
        return data.get_data(), content_type

    def create_chunked_upload(self, path, chunk_size=0, progress=None,
                              cancellable=None):
        """Uploads the local file at *path* in chunks (0: the client's
        ``chunk-size``), calling ``progress(sent, total)`` after each one
        when given. Returns the completed upload as a dict; its ``id`` is
        what a model's ``chunked_upload`` takes."""
        return _to_python(Synapse.Client.create_chunked_upload(
            self, path, chunk_size, _progress(progress),
            cancellable=cancellable))

    def create_chunked_upload_async(self, path, chunk_size=0, progress=None,
                                    cancellable=None, callback=None,
                                    *user_data):
        """Starts :meth:`create_chunked_upload` (*progress* is then called
        from a worker thread); finish it with
        :meth:`create_chunked_upload_finish`."""
        Synapse.Client.create_chunked_upload_async(
            self, path, chunk_size, _progress(progress),
            cancellable=cancellable, callback=_ready(callback, user_data))

    def create_chunked_upload_finish(self, result):
        """The upload completed by :meth:`create_chunked_upload_async`, as
        a dict."""
        return _to_python(
            Synapse.Client.create_chunked_upload_finish(self, result))


Client = override(Client)
__all__.append("Client")


# ------------------------------------------------------------- the pager


class Pager(Synapse.Pager):
    """Walks a paginated listing one result at a time.

    A pager is a Python iterator of dicts::

        pager = client.iter_ground_truth_events(
            {"ground_truth_dataset_versions": [1]})
        for event in pager:
            ...
        print(pager.total_count)

    Iterating blocks while a page is fetched; to cancel, call
    ``pager.next(cancellable)`` yourself (it returns ``None`` at the end).
    """

    @classmethod
    def new(cls, client, path, params=None, conversion=None):
        """A pager over any paginated endpoint (e.g. ``"models/"``), its
        first page selected by the *params* dict."""
        return Synapse.Pager.new(client, path, _to_object(params),
                                 conversion)

    @property
    def total_count(self):
        """The number of results in the whole listing, as the backend
        counts them; ``None`` until the first page has arrived."""
        total = self.get_total_count()
        return None if total < 0 else total

    def __iter__(self):
        """The pager itself: it is its own iterator."""
        return self

    def __next__(self):
        """The next result as a dict; ``StopIteration`` at the end."""
        result = self.next(None)
        if result is None:
            raise StopIteration
        return result

    def next(self, cancellable=None):
        """The next result as a dict, or ``None`` at the end."""
        return _to_python(Synapse.Pager.next(self, cancellable))

    def next_finish(self, result):
        """The result of :meth:`next_async`: a dict, or ``None`` at the
        end."""
        return _to_python(Synapse.Pager.next_finish(self, result))

    def next_page(self, cancellable=None):
        """The results of the next page (the rest of the current one when
        :meth:`next` has handed out part of it) as a list of dicts, or
        ``None`` at the end."""
        return _to_python(Synapse.Pager.next_page(self, cancellable))

    def next_page_finish(self, result):
        """The results of :meth:`next_page_async`: a list of dicts, or
        ``None`` at the end."""
        return _to_python(Synapse.Pager.next_page_finish(self, result))


Pager = override(Pager)
__all__.append("Pager")


class Page(Synapse.Page):
    """One page of a listing, from ``Pager.read_page()``: a sequence of
    dicts (``len(page)``, ``page[i]``, ``for result in page``).
    ``page.get_item_bytes(i)`` gives a result's JSON text as ``GLib.Bytes``
    without parsing it."""

    def __len__(self):
        """The number of results on the page."""
        return self.get_n_items()

    def __getitem__(self, index):
        """The result at *index* (negative from the end) as a dict, or a
        list of dicts for a slice."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("page index out of range")
        return self.dup_item(index)

    def dup_item(self, index):
        """The result at *index* on the page, as a dict."""
        return _to_python(Synapse.Page.dup_item(self, index))

    def dup_items(self):
        """The results of the page, as a list of dicts."""
        return _to_python(Synapse.Page.dup_items(self))

    def dup_item_member(self, index, path):
        """The value at the dot *path* (``"data_unit.files"``) of the result
        at *index*, as a Python value, read without parsing the page; None
        when the result has no such member."""
        return _to_python(Synapse.Page.dup_item_member(self, index, path))


Page = override(Page)
__all__.append("Page")


# ------------------------------------------------------ URL conversion


def _converter_error(url, exc):
    """The ``GLib.Error`` that fails a conversion whose Python converter
    raised *exc* (PyGObject only hands ``GLib.Error`` back to C)."""
    return GLib.Error(
        "The URL converter raised %s for %s: %s" % (type(exc).__name__, url,
                                                    exc),
        GLib.quark_to_string(Synapse.client_error_quark()),
        int(Synapse.ClientError.INVALID_ARGUMENT))


class UrlConversion(Synapse.UrlConversion):
    """How the file URLs in results are rewritten: by a Python function
    (:meth:`new_converter`) or by downloading each file into a cache folder
    (``Synapse.UrlConversion.new_download(fields, directory)``)."""

    @classmethod
    def new_converter(cls, fields, converter, *user_data):
        """A conversion that passes every URL in *fields* (dot paths; ``None``
        for ``file`` and ``files``) through ``converter(url, *user_data)``,
        which returns the new URL. It may be called from a worker thread.
        When it raises, the call that converts fails with a ``GLib.Error``
        (a ``GLib.Error`` it raises is kept as it is; any other exception
        becomes ``Synapse.ClientError.INVALID_ARGUMENT`` naming it)."""

        def convert(url, *ignored):
            try:
                converted = converter(url, *user_data)
                if converted is not None and not isinstance(converted, str):
                    raise TypeError("it returned %s, not a str"
                                    % type(converted).__name__)
                return converted
            except GLib.Error:
                raise
            except Exception as exc:
                raise _converter_error(url, exc) from exc

        return Synapse.UrlConversion.new_converter(fields, convert)

    def apply(self, client, objects, cancellable=None):
        """Converts the URLs of *objects* (a list of dicts obtained some
        other way) and returns the converted list; *objects* itself is left
        as it was."""
        array = _to_array(objects)
        Synapse.UrlConversion.apply(self, client, array, cancellable)
        return _to_python(array)


UrlConversion = override(UrlConversion)
__all__.append("UrlConversion")


# ------------------------------------------------------- chunked upload


class ChunkedUpload(Synapse.ChunkedUpload):
    """Uploads data that arrives in pieces: ``write(bytes)`` each piece,
    then :meth:`finish`."""

    def set_progress_func(self, progress):
        """Calls ``progress(sent, total)`` after each stored chunk
        (``None`` to stop)."""
        Synapse.ChunkedUpload.set_progress_func(self, _progress(progress))

    def complete(self, cancellable=None):
        """Sends the last chunk, completes the upload and returns it as a
        dict; its ``id`` is what a model's ``chunked_upload`` takes."""
        return _to_python(Synapse.ChunkedUpload.complete(self, cancellable))

    def complete_finish(self, result):
        """The upload completed by :meth:`complete_async`, as a dict."""
        return _to_python(Synapse.ChunkedUpload.complete_finish(self, result))


ChunkedUpload = override(ChunkedUpload)
__all__.append("ChunkedUpload")
