/* synapse-test-backend.c: the server thread, routing, auth, log, faults, latency
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A request goes: early handler (headers read: log entry, fault chosen,
 * request-body watch) → handler (body read: fault or routing) → optional
 * pause (latency, DELAY, STALL: a timeout on the server's context unpauses,
 * so concurrent requests never wait for each other) → delivery (where
 * TRUNCATE, CUT_RESPONSE, DROP_RESPONSE, RELINK, REPLACE_STATUS, CUT_CHUNKED,
 * CUT_EOF, GZIP, CORRUPT, TRICKLE and PROCESSING bend the answer).
 */

#include "synapse-test-backend-private.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#define REQUEST_KEY "synapse-test-request"
/* how soon a deferred call (an upload finish waiting for its last chunk's
 * write) is tried again */
#define RETRY_MS 2

G_DEFINE_TYPE (SynapseTestBackend, synapse_test_backend, G_TYPE_OBJECT);

/* One request's state, attached to its message. */
typedef struct
{
  SynapseTestBackend *self;
  StbLogEntry *entry;           /* NULL when not logged */
  gboolean control;
  gboolean media;
  gboolean has_fault;
  SynapseTestFault fault;       /* a copy of the fault that took it */
  guint fault_hit;              /* which of the fault's hits this is, from 1 */
  gsize received;               /* request body bytes so far */
  GByteArray *upload_body;      /* a chunk PUT's body, in one piece */
  GBytes *body;                 /* the same, once complete */
  gboolean cut;                 /* the connection was taken away */
  gboolean finished;            /* libsoup is done with the message */
  gint64 start_us;
} StbRequest;

typedef enum
{
  STAGE_PROCESS,                /* STALL ended, or a deferred call: handle */
  STAGE_DELIVER,                /* latency or DELAY ended: answer */
} StbStage;

/* A paused message waiting for its timeout (or, without one, for stop). */
typedef struct
{
  SynapseTestBackend *self;
  SoupServerMessage *msg;
  GSource *source;
  StbStage stage;
} StbPending;

typedef enum
{
  ROUTE_NONE,
  ROUTE_MODELS,
  ROUTE_MODEL,
  ROUTE_EVENTS,
  ROUTE_VERSION,
  ROUTE_UPLOADS,
  ROUTE_UPLOAD,
  ROUTE_MEDIA,
} StbRoute;

static const char *const route_methods[] = {
  [ROUTE_NONE] = "",
  [ROUTE_MODELS] = "GET, HEAD, POST",
  [ROUTE_MODEL] = "GET, HEAD",
  [ROUTE_EVENTS] = "GET, HEAD",
  [ROUTE_VERSION] = "GET, HEAD",
  [ROUTE_UPLOADS] = "GET, HEAD, PUT",
  [ROUTE_UPLOAD] = "GET, HEAD, PUT, POST",
  [ROUTE_MEDIA] = "GET, HEAD",
};

/* ------------------------------------------------------------- request log */

static void
log_entry_clear (gpointer data)
{
  SynapseTestRequest *r = data;

  g_free (r->method);
  g_free (r->path);
  g_free (r->query);
  g_clear_pointer (&r->headers, soup_message_headers_unref);
  g_clear_pointer (&r->body, g_bytes_unref);
}

static void
log_entry_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, log_entry_clear);
}

void
synapse_test_request_free (SynapseTestRequest * request)
{
  if (!request)
    return;
  log_entry_clear (request);
  g_free (request);
}

static SynapseTestRequest *
request_copy (const SynapseTestRequest * r)
{
  SynapseTestRequest *copy = g_new0 (SynapseTestRequest, 1);

  copy->method = g_strdup (r->method);
  copy->path = g_strdup (r->path);
  copy->query = g_strdup (r->query);
  copy->headers = soup_message_headers_ref (r->headers);
  copy->status = r->status;
  copy->body_size = r->body_size;
  copy->body = r->body ? g_bytes_ref (r->body) : NULL;
  return copy;
}

/* -------------------------------------------------------- request lifecycle */

static void
request_free (gpointer data)
{
  StbRequest *req = data;

  g_clear_pointer (&req->entry, log_entry_release);
  synapse_test_fault_clear (&req->fault);
  if (req->upload_body)
    g_byte_array_unref (req->upload_body);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req);
}

static const char *
message_path (SoupServerMessage * msg)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));

  return path[0] == '/' ? path + 1 : path;
}

static void
on_got_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer user_data);

static void
on_finished (SoupServerMessage * msg, gpointer user_data)
{
  StbRequest *req = user_data;

  req->finished = TRUE;
}

/* Runs once the headers are in: decides the request's fate before its body
 * arrives, which CUT_REQUEST needs. */
static StbRequest *
request_attach (SynapseTestBackend * self, SoupServerMessage * msg)
{
  StbRequest *req = g_new0 (StbRequest, 1);
  const char *path = message_path (msg);
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  req->self = self;
  req->start_us = g_get_monotonic_time ();
  req->control = g_str_has_prefix (path, "_control/")
      || !strcmp (path, "_control");
  req->media = g_str_has_prefix (path, "media/");

  if (!req->control) {
    StbFault *fault;

    g_mutex_lock (&self->lock);
    if (self->log_enabled) {
      StbLogEntry *entry = g_atomic_rc_box_new0 (StbLogEntry);

      entry->method = g_strdup (method);
      entry->path = g_strdup (path);
      entry->query = g_strdup (query);
      entry->headers = soup_message_headers_ref (headers);
      g_ptr_array_add (self->log, entry);
      req->entry = g_atomic_rc_box_acquire (entry);
    }
    fault = stb_faults_match (self, method, path, query);
    if (fault) {
      req->has_fault = TRUE;
      req->fault_hit = fault->hits;
      stb_fault_copy (&req->fault, &fault->fault);
    }
    g_mutex_unlock (&self->lock);
  }

  /* Chunks are gathered in one buffer sized from Content-Length, instead
   * of libsoup's list of 8 KiB pieces that would then be flattened: one
   * copy of a 50 MiB chunk instead of two. */
  if (!req->control && method == SOUP_METHOD_PUT
      && g_str_has_prefix (path, "chunked_upload/")) {
    goffset length = soup_message_headers_get_content_length (headers);

    /* room for the NUL that request_body () adds */
    req->upload_body = g_byte_array_sized_new ((guint) CLAMP (length, 0,
            256 * 1024 * 1024) + 1);
    soup_message_body_set_accumulate (soup_server_message_get_request_body
        (msg), FALSE);
  }

  g_object_set_data_full (G_OBJECT (msg), REQUEST_KEY, req, request_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), req);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), req);
  return req;
}

static void
print_request (SynapseTestBackend * self, SoupServerMessage * msg,
    StbRequest * req, guint status)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));

  if (!self->print_requests)
    return;
  g_printerr ("%s /%s%s%s %u %.1f ms%s\n",
      soup_server_message_get_method (msg), message_path (msg),
      query ? "?" : "", query ? query : "", status,
      (g_get_monotonic_time () - req->start_us) / 1000.0,
      req->has_fault ? " (fault)" : "");
}

/* Records what was answered (0: nothing, the connection was cut). */
static void
request_answered (SynapseTestBackend * self, SoupServerMessage * msg,
    StbRequest * req, guint status)
{
  if (req->entry) {
    g_mutex_lock (&self->lock);
    req->entry->status = status;
    req->entry->body_size = req->received;
    g_mutex_unlock (&self->lock);
  }
  print_request (self, msg, req, status);
}

/* CUT_REQUEST: nothing of the request is processed or stored. */
static void
cut_request (SynapseTestBackend * self, SoupServerMessage * msg,
    StbRequest * req)
{
  req->cut = TRUE;
  request_answered (self, msg, req, 0);
  /* @req dies with @msg, which stealing may finalise */
  stb_close_connection (msg);
}

static void
on_got_chunk (SoupServerMessage * msg, GBytes * chunk, gpointer user_data)
{
  StbRequest *req = user_data;
  gsize size;
  const guint8 *data = g_bytes_get_data (chunk, &size);

  if (req->cut)
    return;
  req->received += size;
  if (req->upload_body)
    g_byte_array_append (req->upload_body, data, size);
  if (req->has_fault && req->fault.kind == SYNAPSE_TEST_FAULT_CUT_REQUEST
      && req->received >= req->fault.bytes)
    cut_request (req->self, msg, req);
  else if (req->has_fault && req->fault.kind == SYNAPSE_TEST_FAULT_SLOW_READ)
    stb_fault_slow_read (req->self, msg, &req->fault);
}

static void
early_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  SynapseTestBackend *self = user_data;
  StbRequest *req = request_attach (self, msg);

  if (req->has_fault && req->fault.kind == SYNAPSE_TEST_FAULT_CUT_REQUEST
      && req->fault.bytes == 0)
    cut_request (self, msg, req);
}

/* ------------------------------------------------------------------ routing */

static gboolean
one_segment (const char *path, const char *prefix, char **arg)
{
  const char *rest, *slash;

  if (!g_str_has_prefix (path, prefix))
    return FALSE;
  rest = path + strlen (prefix);
  slash = strchr (rest, '/');
  if (!slash || slash == rest || slash[1] != '\0')
    return FALSE;
  *arg = g_strndup (rest, slash - rest);
  return TRUE;
}

static StbRoute
route_lookup (const char *path, char **arg)
{
  if (g_str_has_prefix (path, "media/") && path[6])
    return ROUTE_MEDIA;
  if (!strcmp (path, "models/"))
    return ROUTE_MODELS;
  if (!strcmp (path, "sdk/ground_truth_events/"))
    return ROUTE_EVENTS;
  if (!strcmp (path, "chunked_upload/"))
    return ROUTE_UPLOADS;
  if (one_segment (path, "models/", arg))
    return ROUTE_MODEL;
  if (one_segment (path, "ground_truth_dataset_versions/", arg))
    return ROUTE_VERSION;
  if (one_segment (path, "chunked_upload/", arg))
    return ROUTE_UPLOAD;
  return ROUTE_NONE;
}

static gboolean
method_allowed (StbRoute route, const char *method)
{
  g_auto (GStrv) methods = g_strsplit (route_methods[route], ", ", -1);

  return g_strv_contains ((const char *const *) methods, method);
}

/* DRF's TokenAuthentication: NULL when authenticated, else the detail. */
static const char *
auth_failure (SynapseTestBackend * self, SoupServerMessage * msg)
{
  static const char *const names[] =
      { "Synapse-Access-Token", "Authorization" };
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  gboolean presented = FALSE;

  if (!self->token)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    const char *value = soup_message_headers_get_one (headers, names[i]);
    const char *credential;

    if (!value)
      continue;
    while (*value == ' ')
      value++;
    /* another scheme is not ours to judge */
    if (g_ascii_strncasecmp (value, "Token", 5) != 0
        || (value[5] != ' ' && value[5] != '\0'))
      continue;
    credential = value + 5;
    while (*credential == ' ')
      credential++;
    if (!strcmp (credential, self->token))
      return NULL;
    presented = TRUE;
  }
  return presented ? "Invalid token." :
      "Authentication credentials were not provided.";
}

/* The request body in one piece; kept, as a deferred PUT is processed
 * again.  A NUL follows it in memory, as after soup_message_body_flatten ():
 * libsoup's multipart parser runs strstr () over the body. */
static GBytes *
request_body (SoupServerMessage * msg, StbRequest * req)
{
  if (!req->body) {
    if (req->upload_body) {
      guint length = req->upload_body->len;
      g_autoptr (GBytes) terminated = NULL;

      g_byte_array_append (req->upload_body, (const guint8 *) "", 1);
      terminated = g_byte_array_free_to_bytes (g_steal_pointer
          (&req->upload_body));
      req->body = g_bytes_new_from_bytes (terminated, 0, length);
    } else {
      req->body = stb_request_body (msg);
    }
  }
  return g_bytes_ref (req->body);
}

static void
call_init (StbCall * call, SynapseTestBackend * self, SoupServerMessage * msg)
{
  memset (call, 0, sizeof (*call));
  call->self = self;
  call->msg = msg;
  call->method = soup_server_message_get_method (msg);
  call->path = message_path (msg);
  call->raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  call->params = stb_params_parse (call->raw_query);

  g_mutex_lock (&self->lock);
  call->own_url = g_strdup (self->own_url);
  call->next_base = g_strdup (self->next_base_url ? self->next_base_url :
      self->own_url);
  call->media_base = g_strdup (self->media_base_url ? self->media_base_url :
      self->own_url);
  call->upload_base = g_strdup (self->upload_base_url ?
      self->upload_base_url : self->own_url);
  g_mutex_unlock (&self->lock);
}

static void
call_clear (StbCall * call)
{
  g_ptr_array_unref (call->params);
  g_free (call->own_url);
  g_free (call->next_base);
  g_free (call->media_base);
  g_free (call->upload_base);
}

/* Handles an API or media request: route, auth, method, endpoint.  TRUE
 * when the endpoint cannot answer yet and wants to be called again. */
static gboolean
process (SynapseTestBackend * self, SoupServerMessage * msg, StbRequest * req)
{
  gboolean deferred;
  StbCall call;
  g_autofree char *arg = NULL;
  StbRoute route;
  const char *failure;

  call_init (&call, self, msg);
  route = route_lookup (call.path, &arg);

  if (route == ROUTE_NONE) {
    stb_respond_detail (msg, SOUP_STATUS_NOT_FOUND, "Not found.");
  } else if (route != ROUTE_MEDIA && (failure = auth_failure (self, msg))) {
    stb_respond_detail (msg, SOUP_STATUS_UNAUTHORIZED, failure);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "WWW-Authenticate", "Token");
  } else if (!method_allowed (route, call.method)) {
    g_autofree char *detail = g_strdup_printf ("Method \"%s\" not allowed.",
        call.method);

    stb_respond_detail (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, detail);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", route_methods[route]);
  } else {
    switch (route) {
      case ROUTE_MODELS:
        if (call.method == SOUP_METHOD_POST)
          stb_handle_model_create (&call);
        else
          stb_handle_models (&call);
        break;
      case ROUTE_MODEL:
        stb_handle_model (&call, arg);
        break;
      case ROUTE_EVENTS:
        stb_handle_events (&call);
        break;
      case ROUTE_VERSION:
        stb_handle_version (&call, arg);
        break;
      case ROUTE_UPLOADS:
        if (call.method == SOUP_METHOD_PUT) {
          g_autoptr (GBytes) body = request_body (msg, req);

          stb_handle_upload_put (&call, NULL, body);
        } else {
          stb_handle_uploads (&call);
        }
        break;
      case ROUTE_UPLOAD:
        if (call.method == SOUP_METHOD_PUT) {
          g_autoptr (GBytes) body = request_body (msg, req);

          stb_handle_upload_put (&call, arg, body);
        } else if (call.method == SOUP_METHOD_POST) {
          stb_handle_upload_post (&call, arg);
        } else {
          stb_handle_upload_get (&call, arg);
        }
        break;
      case ROUTE_MEDIA:
        stb_handle_media (&call);
        break;
      case ROUTE_NONE:
        g_assert_not_reached ();
    }
  }
  deferred = call.deferred;
  call_clear (&call);
  return deferred;
}

/* ------------------------------------------------------------------ control */

static void
respond_no_content (SoupServerMessage * msg)
{
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static void
write_log_json (SynapseTestBackend * self, GString * out)
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < self->log->len; i++) {
    SynapseTestRequest *r = g_ptr_array_index (self->log, i);
    SoupMessageHeadersIter iter;
    const char *name, *value;
    g_autoptr (GHashTable) seen =
        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    gboolean first = TRUE;

    if (i)
      g_string_append_c (out, ',');
    g_string_append (out, "{\"method\":");
    stb_json_string (out, r->method);
    g_string_append (out, ",\"path\":");
    stb_json_string (out, r->path);
    g_string_append (out, ",\"query\":");
    stb_json_string_or_null (out, r->query);
    g_string_append (out, ",\"headers\":{");
    /* repeated headers folded into one member, as HTTP allows */
    soup_message_headers_iter_init (&iter, r->headers);
    while (soup_message_headers_iter_next (&iter, &name, &value)) {
      char *folded = g_ascii_strdown (name, -1);

      if (!g_hash_table_add (seen, folded))
        continue;
      if (!first)
        g_string_append_c (out, ',');
      stb_json_string (out, name);
      g_string_append_c (out, ':');
      stb_json_string (out, soup_message_headers_get_list (r->headers, name));
      first = FALSE;
    }
    g_string_append (out, "},\"status\":");
    stb_json_uint (out, r->status);
    g_string_append (out, ",\"body_size\":");
    stb_json_uint (out, r->body_size);
    g_string_append_c (out, '}');
  }
  g_string_append_c (out, ']');
}

static void
handle_control (SynapseTestBackend * self, SoupServerMessage * msg)
{
  const char *method = soup_server_message_get_method (msg);
  const char *path = message_path (msg);
  g_autofree char *name = g_strdup (path + strlen ("_control"));
  StbCall call;
  GString *out;

  g_strdelimit (name, "/", ' ');
  g_strstrip (name);
  call_init (&call, self, msg);

  if (!strcmp (name, "faults") && method == SOUP_METHOD_POST) {
    g_autoptr (GBytes) body = stb_request_body (msg);
    g_autofree char *spec = g_strndup (g_bytes_get_data (body, NULL),
        g_bytes_get_size (body));
    g_auto (SynapseTestFault) fault = { 0, };
    g_autoptr (GError) error = NULL;

    if (!synapse_test_fault_parse (spec, &fault, &error)) {
      stb_respond_detail (msg, SOUP_STATUS_BAD_REQUEST, error->message);
    } else {
      out = g_string_new ("{\"id\":");
      stb_json_uint (out, synapse_test_backend_add_fault (self, &fault));
      g_string_append_c (out, '}');
      stb_respond (msg, SOUP_STATUS_CREATED, out);
    }
  } else if (!strcmp (name, "faults") && method == SOUP_METHOD_DELETE) {
    synapse_test_backend_clear_faults (self);
    respond_no_content (msg);
  } else if (!strcmp (name, "faults") && method == SOUP_METHOD_GET) {
    out = g_string_new ("[");
    g_mutex_lock (&self->lock);
    for (guint i = 0; i < self->faults->len; i++) {
      StbFault *f = g_ptr_array_index (self->faults, i);
      g_autofree char *spec = stb_fault_to_string (&f->fault);

      g_string_append (out, i ? ",{\"id\":" : "{\"id\":");
      stb_json_uint (out, f->id);
      g_string_append (out, ",\"spec\":");
      stb_json_string (out, spec);
      g_string_append (out, ",\"hits\":");
      stb_json_uint (out, f->hits);
      g_string_append_c (out, '}');
    }
    g_mutex_unlock (&self->lock);
    g_string_append_c (out, ']');
    stb_respond (msg, SOUP_STATUS_OK, out);
  } else if (!strcmp (name, "requests") && method == SOUP_METHOD_GET) {
    out = g_string_new (NULL);
    g_mutex_lock (&self->lock);
    write_log_json (self, out);
    g_mutex_unlock (&self->lock);
    stb_respond (msg, SOUP_STATUS_OK, out);
  } else if (!strcmp (name, "requests") && method == SOUP_METHOD_DELETE) {
    synapse_test_backend_clear_requests (self);
    respond_no_content (msg);
  } else if (!strcmp (name, "events") && method == SOUP_METHOD_GET) {
    stb_handle_control_events (&call);
  } else if (!strcmp (name, "expire-uploads") && method == SOUP_METHOD_POST) {
    synapse_test_backend_expire_uploads (self);
    respond_no_content (msg);
  } else if (!strcmp (name, "latency") && (method == SOUP_METHOD_PUT
          || method == SOUP_METHOD_POST)) {
    const char *value = stb_params_get (call.params, "ms");
    gint64 ms;

    if (!value || !stb_parse_int (value, &ms) || ms < 0 || ms > G_MAXUINT) {
      stb_respond_detail (msg, SOUP_STATUS_BAD_REQUEST,
          "Expected ?ms=<milliseconds>");
    } else {
      synapse_test_backend_set_latency (self, (guint) ms);
      out = g_string_new ("{\"latency_ms\":");
      stb_json_uint (out, ms);
      g_string_append_c (out, '}');
      stb_respond (msg, SOUP_STATUS_OK, out);
    }
  } else {
    stb_respond_detail (msg, SOUP_STATUS_NOT_FOUND, "Not found.");
  }
  call_clear (&call);
}

/* ------------------------------------------------------- delays, delivery */

static void
deliver (SynapseTestBackend * self, SoupServerMessage * msg,
    StbRequest * req, gboolean paused)
{
  if (req->has_fault) {
    switch (req->fault.kind) {
      case SYNAPSE_TEST_FAULT_TRUNCATE:
        stb_fault_truncate (msg, req->fault.bytes);
        break;
      case SYNAPSE_TEST_FAULT_RELINK:
        stb_fault_relink (msg, &req->fault);
        break;
      case SYNAPSE_TEST_FAULT_CUT_RESPONSE:
        request_answered (self, msg, req, 0);
        stb_fault_cut_response (self, msg, req->fault.bytes);
        return;
      case SYNAPSE_TEST_FAULT_DROP_RESPONSE:
        request_answered (self, msg, req, 0);
        stb_close_connection (msg);
        return;
      case SYNAPSE_TEST_FAULT_REPLACE_STATUS:
        /* the request was handled: only its answer is lost */
        soup_message_body_truncate (soup_server_message_get_response_body
            (msg));
        stb_fault_respond_status (msg, &req->fault);
        break;
      case SYNAPSE_TEST_FAULT_CUT_CHUNKED:
      case SYNAPSE_TEST_FAULT_CUT_EOF:
        request_answered (self, msg, req, 0);
        stb_fault_cut_framed (self, msg, req->fault.bytes,
            req->fault.kind == SYNAPSE_TEST_FAULT_CUT_CHUNKED);
        return;
      case SYNAPSE_TEST_FAULT_GZIP:
        stb_fault_gzip (msg, req->fault.bytes);
        break;
      case SYNAPSE_TEST_FAULT_CORRUPT:
        stb_fault_corrupt (msg, req->fault.bytes);
        break;
      case SYNAPSE_TEST_FAULT_TRICKLE:
        request_answered (self, msg, req, soup_server_message_get_status (msg));
        stb_fault_trickle (self, msg, &req->fault);
        return;
      case SYNAPSE_TEST_FAULT_PROCESSING:
        request_answered (self, msg, req, soup_server_message_get_status (msg));
        stb_fault_processing (self, msg, &req->fault);
        return;
      default:
        break;
    }
  }
  request_answered (self, msg, req, soup_server_message_get_status (msg));
  if (paused)
    soup_server_message_unpause (msg);
}

static void
pending_free (gpointer data)
{
  StbPending *pending = data;

  if (pending->source) {
    g_source_destroy (pending->source);
    g_source_unref (pending->source);
  }
  g_object_unref (pending->msg);
  g_free (pending);
}

static void pending_add (SynapseTestBackend * self, SoupServerMessage * msg,
    guint ms, StbStage stage, gboolean paused);

/* After handling: the latency and any DELAY, then the answer. */
static void
answer (SynapseTestBackend * self, SoupServerMessage * msg, StbRequest * req,
    gboolean paused)
{
  guint delay;

  g_mutex_lock (&self->lock);
  delay = req->media ? 0 : self->latency_ms;
  g_mutex_unlock (&self->lock);
  if (req->has_fault && req->fault.kind == SYNAPSE_TEST_FAULT_DELAY)
    delay += req->fault.ms;
  if (delay > 0)
    pending_add (self, msg, delay, STAGE_DELIVER, paused);
  else
    deliver (self, msg, req, paused);
}

static gboolean
pending_fire (gpointer data)
{
  StbPending *pending = data;
  SynapseTestBackend *self = pending->self;
  g_autoptr (SoupServerMessage) msg = g_object_ref (pending->msg);
  StbStage stage = pending->stage;
  StbRequest *req;

  g_hash_table_remove (self->pending, pending);
  req = g_object_get_data (G_OBJECT (msg), REQUEST_KEY);
  if (req && !req->finished) {
    if (stage == STAGE_DELIVER)
      deliver (self, msg, req, TRUE);
    else if (process (self, msg, req))
      pending_add (self, msg, RETRY_MS, STAGE_PROCESS, TRUE);
    else
      answer (self, msg, req, TRUE);
  }
  return G_SOURCE_REMOVE;
}

/* Pauses @msg until @ms have passed (0: until the backend stops). */
static void
pending_add (SynapseTestBackend * self, SoupServerMessage * msg, guint ms,
    StbStage stage, gboolean paused)
{
  StbPending *pending = g_new0 (StbPending, 1);

  if (!paused)
    soup_server_message_pause (msg);
  pending->self = self;
  pending->msg = g_object_ref (msg);
  pending->stage = stage;
  if (ms > 0) {
    pending->source = g_timeout_source_new (ms);
    g_source_set_callback (pending->source, pending_fire, pending, NULL);
    g_source_attach (pending->source, self->context);
  }
  g_hash_table_add (self->pending, pending);
}

/* Keeps a small request body in the log, so that tests can check what a
 * client sent byte by byte (chunks are counted, not kept). */
static void
log_body (SynapseTestBackend * self, SoupServerMessage * msg,
    StbRequest * req)
{
  g_autoptr (GBytes) body = NULL;

  if (!req->entry || req->upload_body || req->body || req->received == 0
      || req->received > SYNAPSE_TEST_LOGGED_BODY_MAX)
    return;
  body = stb_request_body (msg);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&req->entry->body, g_bytes_unref);
  req->entry->body = g_steal_pointer (&body);
  g_mutex_unlock (&self->lock);
}

static void
server_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  SynapseTestBackend *self = user_data;
  StbRequest *req = g_object_get_data (G_OBJECT (msg), REQUEST_KEY);

  if (!req)
    req = request_attach (self, msg);
  if (req->cut)
    return;
  if (req->control) {
    handle_control (self, msg);
    return;
  }
  log_body (self, msg, req);

  if (req->has_fault) {
    switch (req->fault.kind) {
      case SYNAPSE_TEST_FAULT_CUT_REQUEST:
        /* the whole body came in under `bytes`: cut all the same */
        cut_request (self, msg, req);
        return;
      case SYNAPSE_TEST_FAULT_STALL:
        pending_add (self, msg, req->fault.ms, STAGE_PROCESS, FALSE);
        return;
      case SYNAPSE_TEST_FAULT_STATUS:
        stb_fault_respond_status (msg, &req->fault);
        answer (self, msg, req, FALSE);
        return;
      case SYNAPSE_TEST_FAULT_OSCILLATE_OFFSET:
        stb_fault_oscillate_offset (msg, req->fault.bytes,
            req->fault_hit % 2 == 1);
        answer (self, msg, req, FALSE);
        return;
      case SYNAPSE_TEST_FAULT_TRICKLE:
        /* a slow error answer, when it has a status */
        if (req->fault.status) {
          stb_fault_respond_status (msg, &req->fault);
          answer (self, msg, req, FALSE);
          return;
        }
        break;
      default:
        break;
    }
  }
  if (process (self, msg, req))
    pending_add (self, msg, RETRY_MS, STAGE_PROCESS, FALSE);
  else
    answer (self, msg, req, FALSE);
}

/* ---------------------------------------------------------- server thread */

typedef gboolean (*ThreadFunc) (SynapseTestBackend * self, GError ** error);

typedef struct
{
  SynapseTestBackend *self;
  ThreadFunc func;
  GError *error;
  gboolean result;
  gboolean done;
} SyncCall;

static gboolean
sync_call_dispatch (gpointer data)
{
  SyncCall *call = data;
  gboolean result = call->func (call->self, &call->error);

  g_mutex_lock (&call->self->sync_lock);
  call->result = result;
  call->done = TRUE;
  g_cond_broadcast (&call->self->sync_cond);
  g_mutex_unlock (&call->self->sync_lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func in the server thread and waits for it. */
static gboolean
run_in_server_thread (SynapseTestBackend * self, ThreadFunc func,
    GError ** error)
{
  SyncCall call = { self, func, NULL, FALSE, FALSE };
  GSource *source;

  if (g_main_context_is_owner (self->context))
    return func (self, error);

  /* an explicit source, not g_main_context_invoke(): that would run @func
   * right here if the server thread has not acquired its context yet */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, sync_call_dispatch, &call, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);

  g_mutex_lock (&self->sync_lock);
  while (!call.done)
    g_cond_wait (&self->sync_cond, &self->sync_lock);
  g_mutex_unlock (&self->sync_lock);

  if (call.error)
    g_propagate_error (error, call.error);
  return call.result;
}

static gboolean
start_in_thread (SynapseTestBackend * self, GError ** error)
{
  g_autoptr (SoupServer) server = NULL;
  GSList *uris;
  guint port;

  if (self->server)
    return TRUE;

  /* raw-paths: keep %-escapes, the routes and the log see the path as sent */
  server = soup_server_new ("server-header", "synapse-dev-backend ",
      "raw-paths", TRUE, "tls-certificate", self->tls_certificate, NULL);
  soup_server_add_early_handler (server, NULL, early_handler, self, NULL);
  soup_server_add_handler (server, NULL, server_handler, self, NULL);
  if (!soup_server_listen_local (server, self->port,
          SOUP_SERVER_LISTEN_IPV4_ONLY |
          (self->tls_certificate ? SOUP_SERVER_LISTEN_HTTPS : 0), error))
    return FALSE;

  uris = soup_server_get_uris (server);
  port = uris ? g_uri_get_port (uris->data) : 0;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_mutex_lock (&self->lock);
  self->port = port;
  g_free (self->own_url);
  self->own_url = g_strdup_printf ("%s://127.0.0.1:%u/",
      self->tls_certificate ? "https" : "http", port);
  g_mutex_unlock (&self->lock);

  self->io_cancellable = g_cancellable_new ();
  self->server = g_steal_pointer (&server);
  return TRUE;
}

static gboolean
stop_in_thread (SynapseTestBackend * self, GError ** error)
{
  GHashTableIter iter;
  gpointer key;

  if (!self->server)
    return TRUE;

  /* libsoup only releases a dropped message that has a status: give the
   * stalled ones one, nothing is sent on a closed connection anyway */
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    StbPending *pending = key;

    if (!soup_server_message_get_status (pending->msg))
      soup_server_message_set_status (pending->msg,
          SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
  }
  g_hash_table_remove_all (self->pending);
  g_cancellable_cancel (self->io_cancellable);
  g_clear_object (&self->io_cancellable);
  soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  return TRUE;
}

static gpointer
server_thread (gpointer data)
{
  SynapseTestBackend *self = data;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);
  /* let cancelled writes on stolen connections finish */
  while (self->outstanding_io > 0)
    g_main_context_iteration (self->context, TRUE);
  while (g_main_context_iteration (self->context, FALSE));
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* --------------------------------------------------------------- GObject */

void
synapse_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree char *child = g_build_filename (path, name, NULL);

    if (g_file_test (child, G_FILE_TEST_IS_DIR)
        && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
      synapse_test_remove_tree (child);
    else
      g_unlink (child);
  }
  if (dir)
    g_rmdir (path);
  else
    g_unlink (path);
}

static void
synapse_test_backend_dispose (GObject * object)
{
  SynapseTestBackend *self = SYNAPSE_TEST_BACKEND (object);

  if (self->thread) {
    run_in_server_thread (self, stop_in_thread, NULL);
    g_main_loop_quit (self->loop);
    g_thread_join (self->thread);
    self->thread = NULL;
  }
  stb_uploads_shutdown (self);
  G_OBJECT_CLASS (synapse_test_backend_parent_class)->dispose (object);
}

static void
synapse_test_backend_finalize (GObject * object)
{
  SynapseTestBackend *self = SYNAPSE_TEST_BACKEND (object);

  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->events_cache);
  g_queue_clear (&self->events_cache_order);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  if (self->own_data_dir && self->data_dir)
    synapse_test_remove_tree (self->data_dir);
  g_free (self->data_dir);
  g_free (self->token);
  g_clear_object (&self->tls_certificate);
  stb_data_free (self->data);
  g_free (self->own_url);
  g_free (self->next_base_url);
  g_free (self->media_base_url);
  g_free (self->upload_base_url);
  g_ptr_array_unref (self->log);
  g_ptr_array_unref (self->faults);
  g_ptr_array_unref (self->models);
  g_hash_table_unref (self->uploads);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->upload_cond);
  g_mutex_clear (&self->sync_lock);
  g_cond_clear (&self->sync_cond);

  G_OBJECT_CLASS (synapse_test_backend_parent_class)->finalize (object);
}

static void
synapse_test_backend_class_init (SynapseTestBackendClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = synapse_test_backend_dispose;
  object_class->finalize = synapse_test_backend_finalize;
}

static void
synapse_test_backend_init (SynapseTestBackend * self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->sync_lock);
  g_cond_init (&self->sync_cond);
  self->log = g_ptr_array_new_with_free_func (log_entry_release);
  self->faults = g_ptr_array_new_with_free_func ((GDestroyNotify)
      stb_fault_free);
  self->models = g_ptr_array_new_with_free_func ((GDestroyNotify)
      stb_model_free);
  self->uploads = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) stb_upload_free);
  self->pending = g_hash_table_new_full (NULL, NULL, pending_free, NULL);
  self->events_cache = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) g_bytes_unref);
  g_queue_init (&self->events_cache_order);
  stb_uploads_init (self);
}

SynapseTestBackend *
synapse_test_backend_new (const SynapseTestBackendOptions * options,
    GError ** error)
{
  const SynapseTestBackendOptions defaults = {
    .versions = 3,.events = 100,.models = 5,.seed = 1,
  };
  g_autoptr (SynapseTestBackend) self = NULL;

  if (!options)
    options = &defaults;

  self = g_object_new (SYNAPSE_TYPE_TEST_BACKEND, NULL);
  self->token = options->token && *options->token ?
      g_strdup (options->token) : NULL;
  self->versions = options->versions ? options->versions : 3;
  self->events = options->events;
  self->seed = options->seed;
  self->port = options->port;
  self->latency_ms = options->latency_ms;
  self->cursor_pagination = options->cursor_pagination;
  self->default_page_size = options->default_page_size ?
      options->default_page_size : 100;
  self->max_page_size = options->max_page_size ? options->max_page_size : 1000;
  self->max_upload_bytes = options->max_upload_bytes;
  self->upload_expiry_s = options->upload_expiry_s ?
      options->upload_expiry_s : 86400;
  self->discard_uploads = options->discard_uploads;
  self->placeholder_media = options->placeholder_media;
  self->log_enabled = !options->disable_request_log;
  self->print_requests = options->print_requests;
  self->hide_model_upload = options->hide_model_upload;
  if (options->tls_certificate)
    self->tls_certificate = g_object_ref (options->tls_certificate);

  /* the temporary dir is only made at the first upload: most tests never
   * upload, and a test that aborts leaves nothing behind */
  if (options->data_dir) {
    self->data_dir = g_strdup (options->data_dir);
    if (g_mkdir_with_parents (self->data_dir, 0755) < 0) {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
          "Cannot create %s: %s", self->data_dir, g_strerror (saved));
      return NULL;
    }
  }

  self->data = stb_data_new (self->seed);
  stb_models_seed (self, options->models);

  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("synapse-backend", server_thread, self);

  if (!run_in_server_thread (self, start_in_thread, error))
    return NULL;
  return g_steal_pointer (&self);
}

SynapseTestBackend *
synapse_test_backend_new_default (GError ** error)
{
  return synapse_test_backend_new (NULL, error);
}

/* ------------------------------------------------------------- public API */

guint
synapse_test_backend_get_port (SynapseTestBackend * self)
{
  guint port;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), 0);
  g_mutex_lock (&self->lock);
  port = self->port;
  g_mutex_unlock (&self->lock);
  return port;
}

char *
synapse_test_backend_dup_url (SynapseTestBackend * self)
{
  char *url;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), NULL);
  g_mutex_lock (&self->lock);
  url = g_strdup (self->own_url);
  g_mutex_unlock (&self->lock);
  return url;
}

void
synapse_test_backend_set_latency (SynapseTestBackend * self, guint ms)
{
  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  g_mutex_lock (&self->lock);
  self->latency_ms = ms;
  g_mutex_unlock (&self->lock);
}

void
synapse_test_backend_set_cursor_pagination (SynapseTestBackend * self,
    gboolean cursor_pagination)
{
  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  /* read by the listings without the lock */
  g_atomic_int_set (&self->cursor_pagination, cursor_pagination);
}

static void
set_base (SynapseTestBackend * self, char **field, const char *url)
{
  g_mutex_lock (&self->lock);
  g_free (*field);
  *field = url ? (g_str_has_suffix (url, "/") ? g_strdup (url) :
      g_strconcat (url, "/", NULL)) : NULL;
  g_mutex_unlock (&self->lock);
}

void
synapse_test_backend_set_next_base_url (SynapseTestBackend * self,
    const char *url)
{
  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  set_base (self, &self->next_base_url, url);
}

void
synapse_test_backend_set_media_base_url (SynapseTestBackend * self,
    const char *url)
{
  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  set_base (self, &self->media_base_url, url);
}

void
synapse_test_backend_set_upload_base_url (SynapseTestBackend * self,
    const char *url)
{
  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  set_base (self, &self->upload_base_url, url);
}

void
synapse_test_backend_stop (SynapseTestBackend * self)
{
  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  run_in_server_thread (self, stop_in_thread, NULL);
}

gboolean
synapse_test_backend_start (SynapseTestBackend * self, GError ** error)
{
  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), FALSE);
  return run_in_server_thread (self, start_in_thread, error);
}

guint
synapse_test_backend_add_fault (SynapseTestBackend * self,
    const SynapseTestFault * fault)
{
  guint id;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), 0);
  g_return_val_if_fail (fault != NULL, 0);
  g_mutex_lock (&self->lock);
  id = ++self->next_fault_id;
  g_ptr_array_add (self->faults, stb_fault_new (id, fault));
  g_mutex_unlock (&self->lock);
  return id;
}

guint
synapse_test_backend_add_fault_spec (SynapseTestBackend * self,
    const char *spec, GError ** error)
{
  g_auto (SynapseTestFault) fault = { 0, };

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), 0);
  if (!synapse_test_fault_parse (spec, &fault, error))
    return 0;
  return synapse_test_backend_add_fault (self, &fault);
}

guint
synapse_test_backend_get_fault_hits (SynapseTestBackend * self, guint fault_id)
{
  guint hits = 0;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), 0);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->faults->len; i++) {
    StbFault *f = g_ptr_array_index (self->faults, i);

    if (f->id == fault_id)
      hits = f->hits;
  }
  g_mutex_unlock (&self->lock);
  return hits;
}

void
synapse_test_backend_clear_faults (SynapseTestBackend * self)
{
  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->faults, 0);
  g_mutex_unlock (&self->lock);
}

GPtrArray *
synapse_test_backend_dup_requests (SynapseTestBackend * self)
{
  GPtrArray *copies;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), NULL);
  g_mutex_lock (&self->lock);
  copies = g_ptr_array_new_full (self->log->len,
      (GDestroyNotify) synapse_test_request_free);
  for (guint i = 0; i < self->log->len; i++)
    g_ptr_array_add (copies, request_copy (g_ptr_array_index (self->log, i)));
  g_mutex_unlock (&self->lock);
  return copies;
}

guint
synapse_test_backend_count_requests (SynapseTestBackend * self,
    const char *path_substring)
{
  guint n = 0;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), 0);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->log->len; i++) {
    SynapseTestRequest *r = g_ptr_array_index (self->log, i);

    if (!path_substring || strstr (r->path, path_substring))
      n++;
  }
  g_mutex_unlock (&self->lock);
  return n;
}

void
synapse_test_backend_clear_requests (SynapseTestBackend * self)
{
  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->log, 0);
  g_mutex_unlock (&self->lock);
}

static char *
dup_media_base (SynapseTestBackend * self)
{
  char *base;

  g_mutex_lock (&self->lock);
  base = g_strdup (self->media_base_url ? self->media_base_url : self->own_url);
  g_mutex_unlock (&self->lock);
  return base;
}

static JsonNode *
parse_json (GString * text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (text->str, &error);

  /* what we generate must parse: anything else is a bug worth a crash */
  g_assert_no_error (error);
  g_string_free (text, TRUE);
  return node;
}

JsonArray *
synapse_test_backend_dup_events (SynapseTestBackend * self, guint version)
{
  g_autofree char *media_base = NULL;
  g_autoptr (JsonNode) node = NULL;
  GString *out;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), NULL);
  if (version < 1 || version > self->versions)
    return NULL;
  media_base = dup_media_base (self);
  out = g_string_sized_new (self->events * 1024 + 2);
  g_string_append_c (out, '[');
  for (guint64 i = 0; i < self->events; i++) {
    if (i)
      g_string_append_c (out, ',');
    stb_write_event (self, out, media_base,
        (guint64) (version - 1) * self->events + i + 1);
  }
  g_string_append_c (out, ']');
  node = parse_json (out);
  return json_array_ref (json_node_get_array (node));
}

JsonObject *
synapse_test_backend_dup_version (SynapseTestBackend * self, guint version)
{
  g_autoptr (JsonNode) node = NULL;
  GString *out;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), NULL);
  if (version < 1 || version > self->versions)
    return NULL;
  out = g_string_new (NULL);
  stb_write_version (self, out, version);
  node = parse_json (out);
  return json_object_ref (json_node_get_object (node));
}

JsonObject *
synapse_test_backend_dup_model (SynapseTestBackend * self, gint64 id)
{
  g_autofree char *media_base = NULL;
  g_autoptr (JsonNode) node = NULL;
  StbModel *model;
  GString *out;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), NULL);
  media_base = dup_media_base (self);
  g_mutex_lock (&self->lock);
  model = stb_model_lookup (self, id);
  if (!model) {
    g_mutex_unlock (&self->lock);
    return NULL;
  }
  out = g_string_new (NULL);
  stb_write_model (out, model, media_base, NULL, TRUE);
  g_mutex_unlock (&self->lock);
  node = parse_json (out);
  return json_object_ref (json_node_get_object (node));
}

guint
synapse_test_backend_count_models (SynapseTestBackend * self)
{
  guint n;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), 0);
  g_mutex_lock (&self->lock);
  n = self->models->len;
  g_mutex_unlock (&self->lock);
  return n;
}

GBytes *
synapse_test_backend_dup_media (SynapseTestBackend * self,
    const char *url_or_path)
{
  const char *p, *query;
  g_autofree char *path = NULL;
  g_autofree char *query_text = NULL;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), NULL);
  g_return_val_if_fail (url_or_path != NULL, NULL);
  p = url_or_path;
  if (strstr (p, "://")) {
    p = strchr (strstr (p, "://") + 3, '/');
    if (!p)
      return NULL;
  }
  while (*p == '/')
    p++;
  if (!g_str_has_prefix (p, "media/")) {
    p = strstr (p, "/media/");
    if (!p)
      return NULL;
    p++;
  }
  path = g_strndup (p, strcspn (p, "?#"));
  query = strchr (p, '?');
  if (query)
    query_text = g_strndup (query + 1, strcspn (query + 1, "#"));
  return stb_media_bytes_at (self, path, query_text);
}

guint
synapse_test_backend_count_uploads (SynapseTestBackend * self,
    gboolean completed_only)
{
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), 0);
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->uploads);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    StbUpload *upload = value;

    if (!completed_only || upload->complete)
      n++;
  }
  g_mutex_unlock (&self->lock);
  return n;
}

JsonObject *
synapse_test_backend_dup_upload (SynapseTestBackend * self,
    const char *upload_id)
{
  g_autoptr (JsonNode) node = NULL;
  StbUpload *upload;
  GString *out = NULL;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), NULL);
  g_mutex_lock (&self->lock);
  upload = g_hash_table_lookup (self->uploads, upload_id);
  if (upload) {
    out = g_string_new (NULL);
    stb_write_upload (self, out, upload, self->upload_base_url ?
        self->upload_base_url : self->own_url, self->media_base_url ?
        self->media_base_url : self->own_url);
  }
  g_mutex_unlock (&self->lock);
  if (!out)
    return NULL;
  node = parse_json (out);
  return json_object_ref (json_node_get_object (node));
}

char *
synapse_test_backend_dup_upload_path (SynapseTestBackend * self,
    const char *upload_id)
{
  StbUpload *upload;
  char *path = NULL;

  g_return_val_if_fail (SYNAPSE_IS_TEST_BACKEND (self), NULL);
  g_mutex_lock (&self->lock);
  upload = g_hash_table_lookup (self->uploads, upload_id);
  if (upload) {
    stb_upload_wait (self, upload);
    path = g_strdup (upload->path);
  }
  g_mutex_unlock (&self->lock);
  return path;
}

void
synapse_test_backend_expire_uploads (SynapseTestBackend * self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (SYNAPSE_IS_TEST_BACKEND (self));
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->uploads);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    StbUpload *upload = value;

    if (!upload->complete)
      upload->expired = TRUE;
  }
  g_mutex_unlock (&self->lock);
}
