# libsynapse: a GObject client for the Synapse ML backend
# Copyright (C) 2026 gst-synapse developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""PyGObject overrides for Synapse-1.0.

They make the client read like Python, and like the Python SDK
(``synapse_sdk``): plain values (``dict``, ``list``, ``tuple``, ``set``,
``str``, ``int``, ``float``, ``bool``, ``None``, ``pathlib.Path`` and any
``os.PathLike``, ``datetime``/``date`` as ISO 8601, nested as deep as
needed) go in wherever C takes a ``JsonObject`` or a ``JsonNode``, and
results come back as plain ``dict`` and ``list`` values. ``list_models``
returns ``(models, total)``; ``list_ground_truth_events`` returns
``(events, total)``, or with ``list_all=True`` the list of every event; a
:class:`Pager` is a Python iterator; a ``url_conversion`` is a dict of
field → function (``{"files": lambda url: …}``) or a
:class:`UrlConversion`. Anything not overridden here is the plain
introspected API, and the overridden calls still accept ``Json.Object`` and
``Json.Node`` values.

Failures raise :class:`Error`, a ``GLib.Error`` subclass (so ``except
GLib.Error`` still catches them) that also carries ``status_code`` (the
HTTP status; 0 when the backend never answered), ``response`` (the
backend's body, parsed), ``url``, ``method`` and ``path``. An HTTP failure
has the domain of ``Synapse.client_error_quark()`` and its status as
``code``.

::

    import gi
    gi.require_version("Synapse", "1.0")
    from gi.repository import GLib, Synapse

    client = Synapse.Client(base_url="https://api.example.com/",
                            access_token="…")
    models, total = client.list_models(params={"model_type": "detection"})
    events = client.list_ground_truth_events(
        params={"ground_truth_dataset_versions": [12, 13]},
        url_conversion={"files": lambda url: url.replace("api.", "cdn.")},
        list_all=True)
    try:
        client.get_model(404404)
    except GLib.Error as error:
        print(error.status_code, error.response)   # 404 {'detail': …}
"""

import datetime
import json
import os

from gi.repository import GLib, Json

from ..module import get_introspection_module
from ..overrides import override

Synapse = get_introspection_module("Synapse")

__all__ = []


# ------------------------------------------------------- JSON in and out


def _json_value(value):
    """The JSON form of the values SDK users pass that ``json`` does not
    know: a path (``pathlib.Path``, any ``os.PathLike``) as its string, a
    ``datetime``, ``date`` or ``time`` in ISO 8601, a set as a list (in
    order when its items sort). Tuples are lists already."""
    if isinstance(value, os.PathLike):
        return os.fsdecode(os.fspath(value))
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:
            return list(value)
    raise TypeError("Object of type %s is not JSON serializable"
                    % type(value).__name__)


def _to_node(value):
    """A ``Json.Node`` holding *value* (``None`` stays ``None``)."""
    if value is None or isinstance(value, Json.Node):
        return value
    if isinstance(value, Json.Object):
        return Json.Node.alloc().init_object(value)
    if isinstance(value, Json.Array):
        return Json.Node.alloc().init_array(value)
    # json.dumps names what it cannot encode (NaN, an object)
    text = json.dumps(value, ensure_ascii=False, allow_nan=False,
                      default=_json_value)
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


def _path(value):
    """A path argument as a string: ``str``, ``bytes`` or ``os.PathLike``
    (``None`` stays ``None``)."""
    return None if value is None else os.fsdecode(os.fspath(value))


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


# ---------------------------------------------------------------- errors


_DOMAIN = GLib.quark_to_string(Synapse.client_error_quark())


class Error(GLib.Error):
    """The exception every overridden call raises when it fails: a
    ``GLib.Error`` (``domain``, ``code``, ``message``, ``matches()``) that
    also tells what the Python SDK's ``ClientError`` tells:

    ``status_code``
        the HTTP status the backend answered (after any retries: the last
        real one); 0 when it never answered (a connection, a timeout, a
        local file). A model's data that the library refuses before
        sending it, as the backend would refuse it with 400 (a missing
        ``name``, a bad ``model_type``), has 400 here too.
    ``response``
        the backend's body, parsed: a dict such as ``{"detail": "Not
        found."}`` or DRF's field errors ``{"name": ["This field is
        required."]}``, a list, or a str when it was not JSON; None without
        a body. The local refusals above have the field errors the backend
        would have sent.
    ``url``, ``method``
        the request that failed (the URL without any password), or None
        when the failure was not a request's.
    ``path``
        the local file the failure is about (a file to upload that cannot
        be read: ``code`` is ``Synapse.ClientError.IO``), or None.

    Failures of other domains (``Gio.IOErrorEnum.CANCELLED``, an error a
    URL converter raised) are this class too, with ``status_code`` 0.
    """

    def __init__(self, message="unknown error", domain=_DOMAIN, code=0,
                 status_code=0, response=None, url=None, method=None,
                 path=None):
        """An error as :meth:`GLib.Error.__init__` makes one, plus what a
        failed request tells."""
        super().__init__(message, domain, code)
        self.status_code = status_code
        self.response = response
        self.url = url
        self.method = method
        self.path = path

    def copy(self):
        """The same error, with everything it carries."""
        return Error(self.message, self.domain, self.code, self.status_code,
                     self.response, self.url, self.method, self.path)

    def __repr__(self):
        """``Synapse.Error(message, domain, code, status_code=…)``."""
        return "Synapse.Error(%r, %r, %d, status_code=%d)" % (
            self.message, self.domain, self.code, self.status_code)


__all__.append("Error")


def _is_field_errors(response):
    """Whether *response* has the shape of DRF's field errors."""
    return (isinstance(response, dict) and bool(response)
            and all(isinstance(messages, list) for messages
                    in response.values()))


def _error(error):
    """The :class:`Error` for a ``GLib.Error`` a C call raised. PyGObject
    keeps only the domain, code and message of a ``GError``; the library
    finds the rest again (``client_error_to_json``) as long as nothing
    else of it failed in this thread since, which is why this runs right
    where the call raised."""
    if isinstance(error, Error):
        return error
    if error.domain != _DOMAIN:
        return Error(error.message, error.domain, error.code)
    report = _to_python(Synapse.client_error_to_json(error))
    status_code = report["status_code"]
    response = report["detail"]
    if (status_code == 0
            and error.code == int(Synapse.ClientError.INVALID_ARGUMENT)
            and _is_field_errors(response)):
        # refused here as the backend would refuse it
        status_code = 400
    return Error(error.message, error.domain, error.code, status_code,
                 response, report["url"], report["method"], report["path"])


def _call(function, *args, **kwargs):
    """Calls *function* with the arguments given, raising :class:`Error`
    for the ``GLib.Error`` it raises."""
    try:
        return function(*args, **kwargs)
    except GLib.Error as error:
        raise _error(error) from None


def _conversion(url_conversion, conversion):
    """The ``Synapse.UrlConversion`` of an SDK-style *url_conversion* (a
    dict of field → function, or a conversion), or of *conversion*, the
    older name of the argument."""
    if conversion is not None:
        if url_conversion is not None:
            raise TypeError("give url_conversion or conversion, not both")
        url_conversion = conversion
    if url_conversion is None or isinstance(url_conversion,
                                            Synapse.UrlConversion):
        return url_conversion
    if not hasattr(url_conversion, "items"):
        raise TypeError("url_conversion must be a dict of field → function "
                        "or a Synapse.UrlConversion, not %s"
                        % type(url_conversion).__name__)
    made = None
    for field, converter in url_conversion.items():
        if not isinstance(field, str) or not callable(converter):
            raise TypeError("url_conversion maps a field (a dot path, e.g. "
                            "'files') to a function of one URL; got %r: %r"
                            % (field, converter))
        if made is None:
            made = UrlConversion.new_converter([field], converter)
        else:
            made.add_converter(field, converter)
    return made


# ------------------------------------------------------------ the client


class Client(Synapse.Client):
    """A connection to one Synapse backend.

    Make one with ``Synapse.Client(base_url=…, access_token=…)`` (any
    other property as a keyword too: ``tenant``, ``timeout``, ``retries``,
    ``page_size``, …) or with ``Synapse.Client.new_from_env()``, which
    reads ``SYNAPSE_BACKEND_URL``, ``SYNAPSE_ACCESS_TOKEN`` and
    ``SYNAPSE_TENANT``.

    The calls take their arguments as the Python SDK's ``BackendClient``
    does (``params=``, ``url_conversion=``, ``list_all=``). Every blocking
    call takes an optional ``Gio.Cancellable`` and raises :class:`Error`
    (a ``GLib.Error``) on failure; each has an ``_async`` twin whose
    callback gets the result from the matching ``_finish`` call.
    """

    @classmethod
    def new_from_env(cls):
        """A client for ``SYNAPSE_BACKEND_URL``, with
        ``SYNAPSE_ACCESS_TOKEN`` and ``SYNAPSE_TENANT`` when they are
        set."""
        return _call(Synapse.Client.new_from_env)

    def check_credentials(self, *args):
        """Checks that the credentials can be sent (no control character
        in a token); raises :class:`Error` when they cannot."""
        return _call(Synapse.Client.check_credentials, self, *args)

    def build_url(self, path, params=None):
        """The URL a request to *path* with the *params* dict goes to."""
        return Synapse.Client.build_url(self, path, _to_object(params))

    def request(self, method, path, params=None, body=None,
                cancellable=None):
        """Sends one request to any endpoint and returns its JSON answer
        as a Python value (``None`` for an empty answer). *params* is a
        dict of query parameters (a list value repeats its key), *body*
        any JSON value."""
        return _to_python(_call(
            Synapse.Client.request, self, method, path, _to_object(params),
            _to_node(body), cancellable))

    def request_async(self, method, path, params=None, body=None,
                      cancellable=None, callback=None, *user_data):
        """Starts :meth:`request`; finish it with :meth:`request_finish`."""
        Synapse.Client.request_async(
            self, method, path, _to_object(params), _to_node(body),
            cancellable, _ready(callback, user_data))

    def request_finish(self, result):
        """The answer of :meth:`request_async`, as a Python value."""
        return _to_python(_call(Synapse.Client.request_finish, self, result))

    def list_models(self, params=None, cancellable=None):
        """One page of models, filtered by the *params* dict (``project``,
        ``model_type``, ``is_active``, ``created_after``, ``search``,
        ``page``, ``page_size``): returns ``(models, total)``, a list of
        dicts and the number of models matching over all pages, as the
        SDK does."""
        models, total = _call(Synapse.Client.list_models, self,
                              _to_object(params), cancellable)
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
        models, total = _call(Synapse.Client.list_models_finish, self,
                              result)
        return _to_python(models), total

    def get_model(self, id, params=None, url_conversion=None,
                  cancellable=None, conversion=None):
        """One model as a dict; *params* may ask e.g. for
        ``{"expand": "metrics"}``, *url_conversion* converts its file URLs:
        a dict of field → function (``{"file": lambda url: …}``) or a
        :class:`UrlConversion`. (*conversion* is the older name of
        *url_conversion*.)"""
        return _to_python(_call(
            Synapse.Client.get_model, self, id, _to_object(params),
            _conversion(url_conversion, conversion), cancellable))

    def get_model_async(self, id, params=None, url_conversion=None,
                        cancellable=None, callback=None, *user_data,
                        conversion=None):
        """Starts :meth:`get_model`; finish it with
        :meth:`get_model_finish`."""
        Synapse.Client.get_model_async(
            self, id, _to_object(params),
            _conversion(url_conversion, conversion), cancellable,
            _ready(callback, user_data))

    def get_model_finish(self, result):
        """The model of :meth:`get_model_async`, as a dict."""
        return _to_python(_call(Synapse.Client.get_model_finish, self,
                                result))

    def create_model(self, data, progress=None, cancellable=None):
        """Registers a model from the *data* dict: ``name``,
        ``model_type``, ``project`` and ``file`` (the path of a local file,
        a ``str`` or a ``pathlib.Path``, uploaded first) are required;
        ``description``, ``metrics``, ``configuration`` and ``is_active``
        are optional. *progress*, when given, is called as
        ``progress(sent, total)`` after each chunk. Returns the created
        model as a dict.

        Data the backend would refuse is refused before anything is sent,
        as the backend would (``status_code`` 400, its field errors as
        ``response``); a file that cannot be read raises :class:`Error`
        with ``code`` ``Synapse.ClientError.IO`` and the file as
        ``path``."""
        return _to_python(_call(
            Synapse.Client.create_model, self, _to_object(data),
            _progress(progress), cancellable=cancellable))

    def create_model_async(self, data, progress=None, cancellable=None,
                           callback=None, *user_data):
        """Starts :meth:`create_model` (*progress* is then called from a
        worker thread); finish it with :meth:`create_model_finish`."""
        Synapse.Client.create_model_async(
            self, _to_object(data), _progress(progress),
            cancellable=cancellable, callback=_ready(callback, user_data))

    def create_model_finish(self, result):
        """The model created by :meth:`create_model_async`, as a dict."""
        return _to_python(_call(Synapse.Client.create_model_finish, self,
                                result))

    def create_model_from_upload(self, data, upload, cancellable=None):
        """Registers a model whose file was uploaded already: *data* as
        for :meth:`create_model` without ``file``, *upload* the dict that
        :meth:`ChunkedUpload.complete` or :meth:`create_chunked_upload`
        returned. Returns the created model as a dict."""
        return _to_python(_call(
            Synapse.Client.create_model_from_upload, self, _to_object(data),
            _to_object(upload), cancellable))

    def create_model_from_upload_async(self, data, upload, cancellable=None,
                                       callback=None, *user_data):
        """Starts :meth:`create_model_from_upload`; finish it with
        :meth:`create_model_from_upload_finish`."""
        Synapse.Client.create_model_from_upload_async(
            self, _to_object(data), _to_object(upload), cancellable,
            _ready(callback, user_data))

    def create_model_from_upload_finish(self, result):
        """The model created by :meth:`create_model_from_upload_async`, as
        a dict."""
        return _to_python(_call(
            Synapse.Client.create_model_from_upload_finish, self, result))

    def list_ground_truth_events(self, params=None, url_conversion=None,
                                 list_all=False, cancellable=None,
                                 conversion=None):
        """Ground-truth events filtered by the *params* dict
        (``ground_truth_dataset_versions``: an id or a list of ids,
        ``project``, ``created_after``, ``data_type``, ``search``, ``page``,
        ``page_size``), as the SDK returns them: the one page *params* asks
        for as ``(events, total)``, or with *list_all* every page from
        there as one list. *url_conversion* converts the events' file URLs:
        a dict of field → function (``{"files": lambda url: …}``, dot paths
        such as ``"data_unit.files"`` allowed) or a :class:`UrlConversion`.
        (*conversion* is the older name of *url_conversion*.)"""
        events, total = _call(
            Synapse.Client.list_ground_truth_events, self,
            _to_object(params), _conversion(url_conversion, conversion),
            list_all, cancellable)
        events = _to_python(events)
        return events if list_all else (events, total)

    def list_ground_truth_events_async(self, params=None,
                                       url_conversion=None, list_all=False,
                                       cancellable=None, callback=None,
                                       *user_data, conversion=None):
        """Starts :meth:`list_ground_truth_events`; finish it with
        :meth:`list_ground_truth_events_finish`, which returns what the
        blocking call returns for the same *list_all*."""
        ready = None
        if callback is not None:
            def ready(source, result, *ignored):
                result._synapse_list_all = list_all
                callback(source, result, *user_data)
        Synapse.Client.list_ground_truth_events_async(
            self, _to_object(params), _conversion(url_conversion, conversion),
            list_all, cancellable, ready)

    def list_ground_truth_events_finish(self, result):
        """What :meth:`list_ground_truth_events` returns, for
        :meth:`list_ground_truth_events_async`: ``(events, total)``, or
        the list of every event when it was asked for with *list_all*."""
        events, total = _call(
            Synapse.Client.list_ground_truth_events_finish, self, result)
        events = _to_python(events)
        if getattr(result, "_synapse_list_all", False):
            return events
        return events, total

    def iter_ground_truth_events(self, params=None, url_conversion=None,
                                 conversion=None):
        """A :class:`Pager` over the events the *params* dict selects:
        iterate it to stream a listing of any length, one dict at a time,
        in bounded memory. *url_conversion* as for
        :meth:`list_ground_truth_events`."""
        return Synapse.Client.iter_ground_truth_events(
            self, _to_object(params), _conversion(url_conversion, conversion))

    def get_ground_truth_version(self, id, cancellable=None):
        """One ground-truth dataset version as a dict."""
        return _to_python(_call(Synapse.Client.get_ground_truth_version,
                                self, id, cancellable))

    def get_ground_truth_version_finish(self, result):
        """The version of :meth:`get_ground_truth_version_async`, as a
        dict."""
        return _to_python(_call(
            Synapse.Client.get_ground_truth_version_finish, self, result))

    def fetch_file(self, url, size=-1, checksum=None, cache_dir=None,
                   max_size=0, cancellable=None):
        """The file at *url* (an entry of an event's ``data_unit.files``)
        whole, checked against the *size* and *checksum* the event declares
        (-1 and None: nothing declared), through the *cache_dir* folder
        (a ``str`` or a ``pathlib.Path``) when given: returns
        ``(data, content_type)``, the file's ``bytes`` and the media type
        of its ``Content-Type`` (None when it gave none or the file came
        from the folder)."""
        data, content_type = _call(
            Synapse.Client.fetch_file, self, url, size, checksum,
            _path(cache_dir), max_size, cancellable)
        return data.get_data(), content_type

    def fetch_file_async(self, url, size=-1, checksum=None, cache_dir=None,
                         max_size=0, cancellable=None, callback=None,
                         *user_data):
        """Starts :meth:`fetch_file`; finish it with
        :meth:`fetch_file_finish`. Several at once fetch several files at
        once, on the client's workers."""
        Synapse.Client.fetch_file_async(
            self, url, size, checksum, _path(cache_dir), max_size,
            cancellable, _ready(callback, user_data))

    def fetch_file_finish(self, result):
        """``(data, content_type)`` of :meth:`fetch_file_async`."""
        data, content_type = _call(Synapse.Client.fetch_file_finish, self,
                                   result)
        return data.get_data(), content_type

    def create_chunked_upload(self, path, chunk_size=0, progress=None,
                              cancellable=None):
        """Uploads the local file at *path* (a ``str`` or a
        ``pathlib.Path``) in chunks (0: the client's ``chunk-size``),
        calling ``progress(sent, total)`` after each one when given.
        Returns the completed upload as a dict; its ``id`` is what a
        model's ``chunked_upload`` takes."""
        return _to_python(_call(
            Synapse.Client.create_chunked_upload, self, _path(path),
            chunk_size, _progress(progress), cancellable=cancellable))

    def create_chunked_upload_async(self, path, chunk_size=0, progress=None,
                                    cancellable=None, callback=None,
                                    *user_data):
        """Starts :meth:`create_chunked_upload` (*progress* is then called
        from a worker thread); finish it with
        :meth:`create_chunked_upload_finish`."""
        Synapse.Client.create_chunked_upload_async(
            self, _path(path), chunk_size, _progress(progress),
            cancellable=cancellable, callback=_ready(callback, user_data))

    def create_chunked_upload_finish(self, result):
        """The upload completed by :meth:`create_chunked_upload_async`, as
        a dict."""
        return _to_python(_call(
            Synapse.Client.create_chunked_upload_finish, self, result))


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

    def __init__(self, **properties):
        """A pager from its properties, e.g. ``Synapse.Pager(client=c,
        path="models/", params={"page_size": 10})``: *params* may be a
        dict, *conversion* a dict of field → function."""
        if "params" in properties:
            properties["params"] = _to_object(properties["params"])
        if "conversion" in properties:
            properties["conversion"] = _conversion(properties["conversion"],
                                                   None)
        super().__init__(**properties)

    @classmethod
    def new(cls, client, path, params=None, url_conversion=None,
            conversion=None):
        """A pager over any paginated endpoint (e.g. ``"models/"``), its
        first page selected by the *params* dict."""
        return Synapse.Pager.new(client, path, _to_object(params),
                                 _conversion(url_conversion, conversion))

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
        return _to_python(_call(Synapse.Pager.next, self, cancellable))

    def next_finish(self, result):
        """The result of :meth:`next_async`: a dict, or ``None`` at the
        end."""
        return _to_python(_call(Synapse.Pager.next_finish, self, result))

    def next_page(self, cancellable=None):
        """The results of the next page (the rest of the current one when
        :meth:`next` has handed out part of it) as a list of dicts, or
        ``None`` at the end."""
        return _to_python(_call(Synapse.Pager.next_page, self, cancellable))

    def next_page_finish(self, result):
        """The results of :meth:`next_page_async`: a list of dicts, or
        ``None`` at the end."""
        return _to_python(_call(Synapse.Pager.next_page_finish, self,
                                result))

    def read_page(self, cancellable=None):
        """The next page (the rest of the current one) as a :class:`Page`,
        or ``None`` at the end."""
        return _call(Synapse.Pager.read_page, self, cancellable)

    def read_page_finish(self, result):
        """The page of :meth:`read_page_async`, or ``None`` at the end."""
        return _call(Synapse.Pager.read_page_finish, self, result)


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


def _python_converter(converter, user_data):
    """The C converter that calls ``converter(url, *user_data)``."""

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

    return convert


class UrlConversion(Synapse.UrlConversion):
    """How the file URLs in results are rewritten: by Python functions
    (:meth:`new_converter`, one per field with :meth:`add_converter`, or
    from a dict of field → function wherever a call takes
    ``url_conversion=``), or by downloading each file into a cache folder
    (:meth:`new_download`)."""

    @classmethod
    def new_converter(cls, fields, converter, *user_data):
        """A conversion that passes every URL in *fields* (dot paths; ``None``
        for ``file`` and ``files``) through ``converter(url, *user_data)``,
        which returns the new URL. It may be called from a worker thread.
        When it raises, the call that converts fails with a ``GLib.Error``
        (a ``GLib.Error`` it raises is kept as it is; any other exception
        becomes ``Synapse.ClientError.INVALID_ARGUMENT`` naming it)."""
        return Synapse.UrlConversion.new_converter(
            fields, _python_converter(converter, user_data))

    @classmethod
    def new_download(cls, fields, directory):
        """A conversion that downloads every http(s) URL in *fields* into
        the *directory* folder (a ``str`` or a ``pathlib.Path``) and puts
        the local path in its place."""
        return Synapse.UrlConversion.new_download(fields, _path(directory))

    def add_converter(self, field, converter, *user_data):
        """Gives the *field* (a dot path) a converter of its own,
        ``converter(url, *user_data)``, as the SDK's dict of field →
        function does; call it before the conversion is first used."""
        Synapse.UrlConversion.add_converter(
            self, field, _python_converter(converter, user_data))

    def apply(self, client, objects, cancellable=None):
        """Converts the URLs of *objects* (a list of dicts obtained some
        other way) and returns the converted list; *objects* itself is left
        as it was."""
        array = _to_array(objects)
        _call(Synapse.UrlConversion.apply, self, client, array, cancellable)
        return _to_python(array)

    def apply_page(self, client, page, cancellable=None):
        """The :class:`Page` *page* with its URLs converted."""
        return _call(Synapse.UrlConversion.apply_page, self, client, page,
                     cancellable)


UrlConversion = override(UrlConversion)
__all__.append("UrlConversion")


# ------------------------------------------------------- chunked upload


class ChunkedUpload(Synapse.ChunkedUpload):
    """Uploads data that arrives in pieces: ``write(bytes)`` each piece,
    then :meth:`complete`."""

    def set_progress_func(self, progress):
        """Calls ``progress(sent, total)`` after each stored chunk
        (``None`` to stop)."""
        Synapse.ChunkedUpload.set_progress_func(self, _progress(progress))

    def write(self, data, cancellable=None):
        """Adds the ``bytes`` *data* to the upload, sending each chunk as
        it fills."""
        return _call(Synapse.ChunkedUpload.write, self, data, cancellable)

    def write_bytes(self, data, cancellable=None):
        """Adds the ``GLib.Bytes`` *data* to the upload."""
        return _call(Synapse.ChunkedUpload.write_bytes, self, data,
                     cancellable)

    def complete(self, cancellable=None):
        """Sends the last chunk, completes the upload and returns it as a
        dict; its ``id`` is what a model's ``chunked_upload`` takes."""
        return _to_python(_call(Synapse.ChunkedUpload.complete, self,
                                cancellable))

    def complete_finish(self, result):
        """The upload completed by :meth:`complete_async`, as a dict."""
        return _to_python(_call(Synapse.ChunkedUpload.complete_finish, self,
                                result))


ChunkedUpload = override(ChunkedUpload)
__all__.append("ChunkedUpload")
