/* test-synapsemodelsink.c: synapsemodelsink against the in-process local
 * backend
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "synapse-test-backend.h"

#define TOKEN "msink-Test-Token-5d1f07"
#define WRONG_TOKEN "msink-Wrong-Token-3a9c62"
#define SEEDED_MODELS 2
#define RUN_TIMEOUT (20 * GST_SECOND)
#define SMALL_CHUNK (64 * 1024)
#define MODEL "model-name=unit-model model-type=detection project=1"

typedef struct
{
  SynapseTestBackend *backend;
  gchar *url;
  gchar *dir;
} Fixture;

static void
fixture_init (Fixture * f, guint64 max_upload_bytes)
{
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 1,
    .events = 0,
    .models = SEEDED_MODELS,
    .seed = 5,
    .max_upload_bytes = max_upload_bytes,
  };
  g_autoptr (GError) error = NULL;

  f->backend = synapse_test_backend_new (&options, &error);
  g_assert_no_error (error);
  f->url = synapse_test_backend_dup_url (f->backend);
  f->dir = g_dir_make_tmp ("synapsemodelsink-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  fixture_init (f, 0);
}

/* A backend that refuses uploads over 100000 bytes with 413. */
static void
fixture_set_up_small_uploads (Fixture * f, gconstpointer data)
{
  fixture_init (f, 100000);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->backend);
  synapse_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->url);
}

/* --- input -------------------------------------------------------------- */

/* @size deterministic bytes that differ from one seed to the next. */
static GBytes *
make_data (gsize size, guint32 seed)
{
  guint8 *data = g_malloc (size);
  guint32 x = seed * 2654435761u + 1;

  for (gsize i = 0; i < size; i++) {
    /* xorshift: fast enough for 64 MiB */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = x >> 24;
  }
  return g_bytes_new_take (data, size);
}

static gchar *
write_file (Fixture * f, const gchar * name, GBytes * bytes)
{
  gchar *path = g_build_filename (f->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
  return path;
}

typedef enum
{
  SOURCE_FILESRC,               /* known size */
  SOURCE_APPSRC,                /* no size: spooled */
  SOURCE_FDSRC_PIPE,            /* a pipe: spooled */
  SOURCE_APPSRC_SIZED,          /* appsrc with its size property */
} SourceKind;

/* What feeds the sink, and how. */
typedef struct
{
  SourceKind kind;
  GBytes *data;
  gchar *path;                  /* filesrc */
  gint pipe_write;              /* fdsrc */
  GThread *writer;
  gboolean send_eos;            /* appsrc: end the stream after the data */
  gsize push_limit;             /* appsrc: push at most this much (0: all) */
} Input;

static void
input_clear (Input * input)
{
  if (input->writer)
    g_thread_join (input->writer);
  if (input->pipe_write >= 0)
    close (input->pipe_write);
  g_clear_pointer (&input->data, g_bytes_unref);
  g_clear_pointer (&input->path, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Input, input_clear);

/* The launch-line source for @input; makes its file or pipe. */
static gchar *
input_prepare (Fixture * f, Input * input, SourceKind kind, GBytes * data)
{
  gint fds[2];
  g_autoptr (GError) error = NULL;

  input->kind = kind;
  input->data = g_bytes_ref (data);
  input->pipe_write = -1;
  input->send_eos = TRUE;

  switch (kind) {
    case SOURCE_FILESRC:
      input->path = write_file (f, "weights.onnx", data);
      return g_strdup_printf ("filesrc name=src location=\"%s\"", input->path);
    case SOURCE_APPSRC:
      return g_strdup ("appsrc name=src format=bytes max-bytes=0");
    case SOURCE_APPSRC_SIZED:
      return g_strdup_printf ("appsrc name=src format=bytes max-bytes=0 "
          "size=%" G_GSIZE_FORMAT, g_bytes_get_size (data));
    case SOURCE_FDSRC_PIPE:
      g_assert_true (g_unix_open_pipe (fds, FD_CLOEXEC, &error));
      g_assert_no_error (error);
      input->pipe_write = fds[1];
      return g_strdup_printf ("fdsrc name=src fd=%d", fds[0]);
  }
  g_assert_not_reached ();
}

static gpointer
write_pipe (gpointer user_data)
{
  Input *input = user_data;
  gsize size;
  const guint8 *data = g_bytes_get_data (input->data, &size);

  /* in odd pieces, as a producer would */
  while (size > 0) {
    gssize n = write (input->pipe_write, data, MIN (size, 7001));

    g_assert_cmpint (n, >, 0);
    data += n;
    size -= n;
  }
  close (input->pipe_write);
  input->pipe_write = -1;
  return NULL;
}

/* Starts feeding @pipeline (already going to PLAYING). */
static void
input_feed (Input * input, GstElement * pipeline)
{
  g_autoptr (GstElement) src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gsize size;
  const guint8 *data = g_bytes_get_data (input->data, &size);
  gsize offset = 0;
  gsize limit = input->push_limit ? input->push_limit : size;

  switch (input->kind) {
    case SOURCE_FILESRC:
      return;
    case SOURCE_FDSRC_PIPE:
      input->writer = g_thread_new ("pipe-writer", write_pipe, input);
      return;
    case SOURCE_APPSRC:
    case SOURCE_APPSRC_SIZED:
      while (offset < limit) {
        gsize piece = MIN (limit - offset, 10007);
        GstBuffer *buffer = gst_buffer_new_memdup (data + offset, piece);
        GstFlowReturn ret = GST_FLOW_ERROR;

        g_signal_emit_by_name (src, "push-buffer", buffer, &ret);
        gst_buffer_unref (buffer);
        g_assert_cmpint (ret, ==, GST_FLOW_OK);
        offset += piece;
      }
      if (input->send_eos) {
        GstFlowReturn ret = GST_FLOW_ERROR;

        g_signal_emit_by_name (src, "end-of-stream", &ret);
        g_assert_cmpint (ret, ==, GST_FLOW_OK);
      }
      return;
  }
}

/* --- pipelines ---------------------------------------------------------- */

/* `SOURCE ! synapsemodelsink name=sink <props>`, pointed at the backend with
 * the right token and quick retries. */
static GstElement *
make_pipeline (Fixture * f, const gchar * source, const gchar * props)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *launch = g_strdup_printf ("%s ! synapsemodelsink "
      "name=sink retry-backoff-factor=0.01 %s", source, props ? props : "");
  GstElement *pipeline = gst_parse_launch (launch, &error);
  g_autoptr (GstElement) sink = NULL;

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "base-url", f->url, "access-token", TOKEN, NULL);
  return pipeline;
}

static GstElement *
get_sink (GstElement * pipeline)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");

  g_assert_nonnull (sink);
  gst_object_unref (sink);      /* the pipeline keeps it alive */
  return sink;
}

typedef struct
{
  GMutex lock;
  GPtrArray *messages;
} MessageLog;

/* Keeps every message as it is posted: going to NULL flushes the bus. */
static GstBusSyncReply
log_message (GstBus * bus, GstMessage * message, gpointer user_data)
{
  MessageLog *log = user_data;

  g_mutex_lock (&log->lock);
  g_ptr_array_add (log->messages, gst_message_ref (message));
  g_mutex_unlock (&log->lock);
  return GST_BUS_PASS;
}

static void
message_log_start (MessageLog * log, GstElement * pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);

  g_mutex_init (&log->lock);
  log->messages =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);
  gst_bus_set_sync_handler (bus, log_message, log, NULL);
}

static GPtrArray *
message_log_stop (MessageLog * log, GstElement * pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  g_mutex_clear (&log->lock);
  return g_steal_pointer (&log->messages);
}

/* Runs @pipeline fed by @input until EOS or an error; returns every
 * message it posted. The pipeline is left where it got to. */
static GPtrArray *
run_pipeline (GstElement * pipeline, Input * input)
{
  GPtrArray *messages =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT / GST_USECOND;

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  if (input)
    input_feed (input, pipeline);
  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *message;

    g_assert_cmpint (left, >, 0);
    message = gst_bus_timed_pop (bus, left * GST_USECOND);
    g_assert_nonnull (message);
    g_ptr_array_add (messages, message);
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS
        || GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
      break;
  }
  return messages;
}

static GstMessage *
find_message (GPtrArray * messages, GstMessageType type)
{
  for (guint i = 0; i < messages->len; i++) {
    GstMessage *message = messages->pdata[i];

    if (GST_MESSAGE_TYPE (message) == type)
      return message;
  }
  return NULL;
}

static GstMessage *
find_element_message (GPtrArray * messages, const gchar * name)
{
  for (guint i = 0; i < messages->len; i++) {
    GstMessage *message = messages->pdata[i];

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (message, name))
      return message;
  }
  return NULL;
}

/* Runs to EOS, then to NULL; returns the model id the element reports. */
static gint64
run_to_eos (GstElement * pipeline, Input * input)
{
  g_autoptr (GPtrArray) messages = run_pipeline (pipeline, input);
  GstMessage *error = find_message (messages, GST_MESSAGE_ERROR);
  gint64 id = -1;

  if (error) {
    g_autoptr (GError) gerror = NULL;
    g_autofree gchar *debug = NULL;

    gst_message_parse_error (error, &gerror, &debug);
    g_error ("unexpected error: %s (%s)", gerror->message, debug);
  }
  g_assert_nonnull (find_message (messages, GST_MESSAGE_EOS));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_object_get (get_sink (pipeline), "model-id", &id, NULL);
  g_assert_cmpint (id, >, SEEDED_MODELS);
  return id;
}

/* The error a failed run posted, with its details. */
typedef struct
{
  GError *error;
  gchar *debug;
  GstStructure *details;
} PostedError;

static void
posted_error_clear (PostedError * posted)
{
  g_clear_error (&posted->error);
  g_clear_pointer (&posted->debug, g_free);
  g_clear_pointer (&posted->details, gst_structure_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PostedError, posted_error_clear);

static void
parse_posted_error (GstMessage * message, PostedError * posted)
{
  const GstStructure *details = NULL;

  g_assert_nonnull (message);
  g_assert_cmpstr (GST_MESSAGE_SRC_NAME (message), ==, "sink");
  gst_message_parse_error (message, &posted->error, &posted->debug);
  gst_message_parse_error_details (message, &details);
  posted->details = details ? gst_structure_copy (details) : NULL;
}

static GPtrArray *
run_to_error (GstElement * pipeline, Input * input, PostedError * posted)
{
  GPtrArray *messages = run_pipeline (pipeline, input);

  parse_posted_error (find_message (messages, GST_MESSAGE_ERROR), posted);
  g_assert_null (find_message (messages, GST_MESSAGE_EOS));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return messages;
}

/* Nothing a user can see holds @secret. */
static void
assert_no_secret (const PostedError * posted, const gchar * secret)
{
  g_autofree gchar *details = posted->details ?
      gst_structure_to_string (posted->details) : NULL;

  g_assert_null (strstr (posted->error->message, secret));
  g_assert_true (posted->debug == NULL || !strstr (posted->debug, secret));
  g_assert_true (details == NULL || !strstr (details, secret));
}

static void
add_fault (Fixture * f, const gchar * spec)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (synapse_test_backend_add_fault_spec (f->backend, spec,
          &error), >, 0);
  g_assert_no_error (error);
}

/* Requests of @method whose path holds @path that the backend answered
 * with @status (0: any answer or none). */
static guint
count_answered (Fixture * f, const gchar * method, const gchar * path,
    guint status)
{
  g_autoptr (GPtrArray) requests =
      synapse_test_backend_dup_requests (f->backend);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (g_str_equal (request->method, method)
        && strstr (request->path, path)
        && (status == 0 || request->status == status))
      n++;
  }
  return n;
}

static void
wait_for_request (Fixture * f, const gchar * path, guint n)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (synapse_test_backend_count_requests (f->backend, path) < n) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (2000);
  }
}

/* The model as the backend has it, and the bytes of its file. */
static JsonObject *
stored_model (Fixture * f, gint64 id, GBytes ** file)
{
  JsonObject *model = synapse_test_backend_dup_model (f->backend, id);
  const gchar *url;

  g_assert_nonnull (model);
  url = json_object_get_string_member (model, "file");
  g_assert_nonnull (url);
  *file = synapse_test_backend_dup_media (f->backend, url);
  g_assert_nonnull (*file);
  return model;
}

static void
assert_stored (Fixture * f, gint64 id, GBytes * want)
{
  g_autoptr (GBytes) got = NULL;
  g_autoptr (JsonObject) model = stored_model (f, id, &got);

  g_assert_cmpuint (g_bytes_get_size (got), ==, g_bytes_get_size (want));
  g_assert_true (g_bytes_equal (got, want));
}

/* --- byte-identical storage --------------------------------------------- */

typedef struct
{
  SourceKind kind;
  gsize size;
  guint puts;                   /* chunks sent, with SMALL_CHUNK */
} StorageCase;

static const StorageCase storage_cases[] = {
  {SOURCE_FILESRC, 1, 1},
  {SOURCE_FILESRC, SMALL_CHUNK, 1},
  {SOURCE_FILESRC, 3 * SMALL_CHUNK + 4321, 4},
  {SOURCE_APPSRC, 1, 1},
  {SOURCE_APPSRC, SMALL_CHUNK, 1},
  {SOURCE_APPSRC, 3 * SMALL_CHUNK + 4321, 4},
  {SOURCE_FDSRC_PIPE, 1, 1},
  {SOURCE_FDSRC_PIPE, SMALL_CHUNK, 1},
  {SOURCE_FDSRC_PIPE, 3 * SMALL_CHUNK + 4321, 4},
};

static void
test_stores_identical_bytes (Fixture * f, gconstpointer data)
{
  const StorageCase *c = data;
  g_autoptr (GBytes) bytes = make_data (c->size, c->size);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, c->kind, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GBytes) file = NULL;
  gint64 id;

  id = run_to_eos (pipeline, &input);
  assert_stored (f, id, bytes);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS + 1);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE), ==,
      1);
  /* one request a chunk, no more */
  g_assert_cmpuint (count_answered (f, "PUT", "chunked_upload/", 0), ==,
      c->puts);
  g_assert_cmpuint (count_answered (f, "POST", "models/", 201), ==, 1);

  /* filesrc's file name, else the default */
  model = stored_model (f, id, &file);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (model,
              "file"), c->kind == SOURCE_FILESRC ? "/weights.onnx" :
          "/model.bin"));
}

static void
test_appsrc_with_size_streams (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (5 * SMALL_CHUNK + 17, 11);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source =
      input_prepare (f, &input, SOURCE_APPSRC_SIZED, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d "
      "filename=/some/dir/net.pt", SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GBytes) file = NULL;
  gint64 id;

  id = run_to_eos (pipeline, &input);
  assert_stored (f, id, bytes);
  g_assert_cmpuint (count_answered (f, "PUT", "chunked_upload/", 200), ==, 6);
  /* the property's base name */
  model = stored_model (f, id, &file);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (model,
              "file"), "/net.pt"));
}

static void
test_file_name_through_queue_and_bin (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (5000, 12);
  g_autofree gchar *path = write_file (f, "detector v2.pt", bytes);
  g_autofree gchar *source = g_strdup_printf ("( filesrc location=\"%s\" ! "
      "identity ) ! queue", path);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, MODEL);
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GBytes) file = NULL;
  gint64 id;

  id = run_to_eos (pipeline, NULL);
  model = stored_model (f, id, &file);
  g_assert_true (g_bytes_equal (file, bytes));
  /* the name filesrc reads, found through the queue and the bin */
  g_assert_true (g_str_has_suffix (json_object_get_string_member (model,
              "file"), "/detector%20v2.pt"));
}

/* --- the model's fields ------------------------------------------------- */

static void
test_model_fields_as_given (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (1000, 3);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, NULL);
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GBytes) file = NULL;
  g_autoptr (JsonNode) want_metrics = NULL;
  g_autoptr (JsonNode) want_configuration = NULL;
  JsonNode *metrics, *configuration;
  gint64 id;

  g_object_set (get_sink (pipeline), "model-name", "café detector 🐈",
      "description", "fine-tuned on \"set 12\"", "project", 2,
      "metrics", "{\"accuracy\": 0.93, \"f1_score\": 0.9, \"n\": 7}",
      "configuration", "{\"input\": [640, 640], \"classes\": {\"a\": 1}}",
      "is-active", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (get_sink (pipeline)), "model-type",
      "segmentation");

  id = run_to_eos (pipeline, &input);
  model = stored_model (f, id, &file);
  g_assert_cmpint (json_object_get_int_member (model, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (model, "name"), ==,
      "café detector 🐈");
  g_assert_cmpstr (json_object_get_string_member (model, "description"), ==,
      "fine-tuned on \"set 12\"");
  g_assert_cmpstr (json_object_get_string_member (model, "model_type"), ==,
      "segmentation");
  g_assert_cmpint (json_object_get_int_member (model, "project"), ==, 2);
  g_assert_false (json_object_get_boolean_member (model, "is_active"));

  metrics = json_object_get_member (model, "metrics");
  want_metrics =
      json_from_string ("{\"accuracy\": 0.93, \"f1_score\": 0.9, \"n\": 7}",
      NULL);
  g_assert_true (json_node_equal (metrics, want_metrics));
  configuration = json_object_get_member (model, "configuration");
  want_configuration =
      json_from_string ("{\"input\": [640, 640], \"classes\": {\"a\": 1}}",
      NULL);
  g_assert_true (json_node_equal (configuration, want_configuration));
}

static void
test_model_defaults (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (10, 4);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source,
      "model-name=plain model-type=classification project=0");
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GBytes) file = NULL;
  gint64 id;

  id = run_to_eos (pipeline, &input);
  model = stored_model (f, id, &file);
  g_assert_cmpstr (json_object_get_string_member (model, "model_type"), ==,
      "classification");
  g_assert_cmpint (json_object_get_int_member (model, "project"), ==, 0);
  /* active unless said otherwise */
  g_assert_true (json_object_get_boolean_member (model, "is_active"));
}

/* The body of the first POST models/ the backend received, as text. */
static gchar *
dup_sent_model (Fixture * f)
{
  g_autoptr (GPtrArray) requests =
      synapse_test_backend_dup_requests (f->backend);

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (g_str_equal (request->method, "POST")
        && g_str_equal (request->path, "models/")) {
      g_assert_nonnull (request->body);
      return g_strndup (g_bytes_get_data (request->body, NULL),
          g_bytes_get_size (request->body));
    }
  }
  g_assert_not_reached ();
}

/* metrics and configuration reach the backend as the user wrote them,
 * number for number, and so does the model in synapse-model-created */
static void
test_json_sent_as_written (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (100, 5);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, MODEL);
  g_autoptr (GPtrArray) messages = NULL;
  g_autofree gchar *sent = NULL;
  const gchar *posted;
  GstMessage *created;

  g_object_set (get_sink (pipeline), "metrics", "{\"accuracy\": 0.942}",
      "configuration", "{\"lr\": 1e-05, \"scale\": 1e22, \"size\": [640]}",
      NULL);
  messages = run_pipeline (pipeline, &input);
  g_assert_null (find_message (messages, GST_MESSAGE_ERROR));
  sent = dup_sent_model (f);
  if (!strstr (sent, "\"metrics\":{\"accuracy\":0.942}")
      || !strstr (sent, "\"configuration\":{\"lr\":1e-05,\"scale\":1e+22,"
          "\"size\":[640]}"))
    g_error ("sent %s", sent);
  created = find_element_message (messages, "synapse-model-created");
  g_assert_nonnull (created);
  posted = gst_structure_get_string (gst_message_get_structure (created),
      "model");
  g_assert_nonnull (strstr (posted, "\"accuracy\":0.942"));
  g_assert_nonnull (strstr (posted, "\"scale\":1e+22,"));
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

typedef struct
{
  const gchar *property;
  const gchar *value;
  const gchar *says;
} UnsendableJson;

/* What json-glib would alter on the way is refused at start, before any
 * request, naming the property and the reason. */
static void
test_unsendable_json_refused (Fixture * f, gconstpointer data)
{
  const UnsendableJson cases[] = {
    {"metrics", "{\"a\": 1e400}", "metrics: Not JSON that can be sent as "
          "written: the number 1e400 at byte 6 is out of the range of a "
          "double"},
    {"metrics", "{\"n\": 18446744073709551615}", "metrics: Not JSON that "
          "can be sent as written: the integer 18446744073709551615 at byte "
          "6 is beyond the 64-bit range"},
    {"configuration", "{\"a\":1}{\"b\":2}", "configuration: Not valid JSON: "
          "data after the JSON document at byte 7"},
    {"configuration", "{\"name\": \"a\\u0000b\"}", "configuration: Not JSON "
          "that can be sent as written: the string at byte 11 holds U+0000"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GBytes) bytes = make_data (100, 1);
    g_auto (Input) input = { 0 };
    g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC,
        bytes);
    g_autoptr (GstElement) pipeline = make_pipeline (f, source, MODEL);
    g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
    g_autoptr (GstMessage) message = NULL;
    g_auto (PostedError) posted = { 0 };

    g_object_set (get_sink (pipeline), cases[i].property, cases[i].value,
        NULL);
    g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), ==,
        GST_STATE_CHANGE_FAILURE);
    message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    parse_posted_error (message, &posted);
    g_assert_error (posted.error, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS);
    if (!strstr (posted.error->message, cases[i].says))
      g_error ("\"%s\" does not say \"%s\"", posted.error->message,
          cases[i].says);
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

/* --- messages ----------------------------------------------------------- */

typedef struct
{
  GstElement *sink;
  gint64 created_id;            /* from synapse-model-created */
  gint64 id_at_eos;             /* model-id when EOS was posted */
  gboolean created_before_eos;
} EosOrder;

static GstBusSyncReply
watch_eos_order (GstBus * bus, GstMessage * message, gpointer user_data)
{
  EosOrder *order = user_data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (message, "synapse-model-created"))
    g_assert_true (gst_structure_get_int64 (gst_message_get_structure
            (message), "model-id", &order->created_id));
  /* the pipeline's, once its sink posted EOS */
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS) {
    order->created_before_eos = order->created_id > 0;
    g_object_get (order->sink, "model-id", &order->id_at_eos, NULL);
  }
  return GST_BUS_PASS;
}

static void
test_created_before_eos (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (3 * SMALL_CHUNK + 1, 8);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (JsonObject) stored = NULL;
  g_autoptr (GBytes) file = NULL;
  g_autoptr (JsonNode) posted_model = NULL;
  EosOrder order = { get_sink (pipeline), -1, -1, FALSE };
  GstMessage *created;
  const GstStructure *s;
  gint64 id = -1;
  guint64 sent = 0, total = 0;
  guint chunk = 0;
  GstProgressType first = GST_PROGRESS_TYPE_ERROR;
  GstProgressType last = GST_PROGRESS_TYPE_ERROR;
  guint progress = 0;

  g_object_get (order.sink, "model-id", &id, NULL);
  g_assert_cmpint (id, ==, -1);

  gst_bus_set_sync_handler (bus, watch_eos_order, &order, NULL);
  messages = run_pipeline (pipeline, &input);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  g_assert_nonnull (find_message (messages, GST_MESSAGE_EOS));

  /* the model exists, and says so, before the application sees EOS */
  g_assert_true (order.created_before_eos);
  g_assert_cmpint (order.id_at_eos, ==, order.created_id);

  created = find_element_message (messages, "synapse-model-created");
  g_assert_nonnull (created);
  g_assert_true (GST_MESSAGE_SRC (created) == GST_OBJECT (order.sink));
  s = gst_message_get_structure (created);
  g_assert_true (gst_structure_get_int64 (s, "model-id", &id));
  g_assert_cmpint (id, ==, order.created_id);
  stored = stored_model (f, id, &file);
  posted_model = json_from_string (gst_structure_get_string (s, "model"), NULL);
  g_assert_nonnull (posted_model);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object
          (posted_model), "id"), ==, id);
  g_assert_cmpstr (gst_structure_get_string (s, "file"), ==,
      json_object_get_string_member (stored, "file"));

  /* the last progress message says it all went */
  for (guint i = 0; i < messages->len; i++) {
    GstMessage *message = messages->pdata[i];

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (message, "synapse-upload-progress")) {
      s = gst_message_get_structure (message);
      g_assert_true (gst_structure_get_uint64 (s, "bytes-sent", &sent));
      g_assert_true (gst_structure_get_uint64 (s, "total", &total));
      g_assert_true (gst_structure_get_uint (s, "chunk", &chunk));
    }
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS) {
      g_autofree gchar *code = NULL;

      gst_message_parse_progress (message, &last, &code, NULL);
      g_assert_cmpstr (code, ==, "upload");
      if (progress++ == 0)
        first = last;
    }
  }
  g_assert_cmpuint (sent, ==, g_bytes_get_size (bytes));
  g_assert_cmpuint (total, ==, g_bytes_get_size (bytes));
  g_assert_cmpuint (chunk, ==, 4);
  g_assert_cmpint (first, ==, GST_PROGRESS_TYPE_START);
  g_assert_cmpint (last, ==, GST_PROGRESS_TYPE_COMPLETE);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* still readable once stopped */
  g_object_get (order.sink, "model-id", &id, NULL);
  g_assert_cmpint (id, ==, order.created_id);
}

static void
test_progress_is_rate_limited (Fixture * f, gconstpointer data)
{
  /* 256 chunks of 4 KiB: many more chunks than messages allowed */
  g_autoptr (GBytes) bytes = make_data (256 * 4096, 9);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, source, MODEL " chunk-size=4096");
  g_autoptr (GPtrArray) messages = NULL;
  gint64 start = g_get_monotonic_time ();
  gdouble seconds;
  guint progress = 0, continues = 0;
  guint64 sent = 0;

  messages = run_pipeline (pipeline, &input);
  seconds = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
  g_assert_nonnull (find_message (messages, GST_MESSAGE_EOS));
  gst_element_set_state (pipeline, GST_STATE_NULL);

  for (guint i = 0; i < messages->len; i++) {
    GstMessage *message = messages->pdata[i];

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (message, "synapse-upload-progress")) {
      g_assert_true (gst_structure_get_uint64 (gst_message_get_structure
              (message), "bytes-sent", &sent));
      progress++;
    }
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS) {
      GstProgressType type;

      gst_message_parse_progress (message, &type, NULL, NULL);
      if (type == GST_PROGRESS_TYPE_CONTINUE)
        continues++;
    }
  }
  g_assert_cmpuint (count_answered (f, "PUT", "chunked_upload/", 200), ==, 256);
  /* four a second at most, plus the final one */
  g_assert_cmpuint (progress, >=, 1);
  g_assert_cmpuint (progress, <=, 4 * seconds + 2);
  g_assert_cmpuint (continues, ==, progress);
  /* the final one is always there */
  g_assert_cmpuint (sent, ==, g_bytes_get_size (bytes));
}

/* --- transient failures ------------------------------------------------- */

static void
assert_one_model_despite (Fixture * f, const gchar * fault, SourceKind kind)
{
  g_autoptr (GBytes) bytes = make_data (4 * SMALL_CHUNK + 99, 21);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, kind, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GError) error = NULL;
  guint fault_id = synapse_test_backend_add_fault_spec (f->backend, fault,
      &error);
  gint64 id;

  g_assert_no_error (error);
  id = run_to_eos (pipeline, &input);
  g_assert_cmpuint (synapse_test_backend_get_fault_hits (f->backend,
          fault_id), ==, 1);
  assert_stored (f, id, bytes);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS + 1);
  g_assert_cmpuint (count_answered (f, "POST", "models/", 0), ==, 1);
}

static void
test_cut_request_mid_upload (Fixture * f, gconstpointer data)
{
  /* the third chunk's connection is cut halfway: sent again, same bytes */
  assert_one_model_despite (f, "cut-request bytes=30000 method=PUT "
      "path=chunked_upload/ skip=2 times=1", SOURCE_FILESRC);
}

static void
test_cut_request_first_chunk (Fixture * f, gconstpointer data)
{
  assert_one_model_despite (f, "cut-request bytes=20000 method=PUT "
      "path=chunked_upload/ times=1", SOURCE_APPSRC);
}

static void
test_drop_response_resumes (Fixture * f, gconstpointer data)
{
  /* the chunk is stored but its reply lost: the element resumes from the
   * backend's offset, it does not send the chunk twice into the file */
  assert_one_model_despite (f, "drop-response method=PUT "
      "path=chunked_upload/ skip=1 times=1", SOURCE_FILESRC);
}

static void
test_503_on_a_chunk (Fixture * f, gconstpointer data)
{
  assert_one_model_despite (f, "status=503 method=PUT path=chunked_upload/ "
      "skip=3 times=1", SOURCE_FDSRC_PIPE);
}

/* --- failures ----------------------------------------------------------- */

static void
test_400_on_model_creation (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (2 * SMALL_CHUNK, 5);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };
  guint status = 0;
  gint64 id = 0;
  GstProgressType last = GST_PROGRESS_TYPE_COMPLETE;

  add_fault (f, "status=400 method=POST path=models/ body='{\"name\": "
      "[\"A model with this name already exists.\"], \"project\": "
      "[\"Invalid pk \\\"1\\\" - object does not exist.\"]}'");
  messages = run_to_error (pipeline, &input, &posted);

  g_assert_error (posted.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  /* the message names the fields and what is wrong with them */
  g_assert_nonnull (strstr (posted.error->message, "model could not be "
          "created"));
  g_assert_nonnull (strstr (posted.error->message, "HTTP 400"));
  g_assert_nonnull (strstr (posted.error->message,
          "name: A model with this name already exists."));
  g_assert_nonnull (strstr (posted.error->message, "project: Invalid pk"));
  g_assert_true (gst_structure_get_uint (posted.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 400);
  g_assert_cmpstr (gst_structure_get_string (posted.details, "method"), ==,
      "POST");
  g_assert_true (g_str_has_suffix (gst_structure_get_string (posted.details,
              "url"), "/models/"));
  g_assert_nonnull (strstr (gst_structure_get_string (posted.details,
              "server-detail"), "already exists"));
  assert_no_secret (&posted, TOKEN);

  /* the upload went through, the model was refused, and only once */
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE), ==,
      1);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS);
  g_assert_cmpuint (count_answered (f, "POST", "models/", 0), ==, 1);
  g_object_get (get_sink (pipeline), "model-id", &id, NULL);
  g_assert_cmpint (id, ==, -1);
  g_assert_null (find_element_message (messages, "synapse-model-created"));
  for (guint i = 0; i < messages->len; i++) {
    if (GST_MESSAGE_TYPE (messages->pdata[i]) == GST_MESSAGE_PROGRESS)
      gst_message_parse_progress (messages->pdata[i], &last, NULL, NULL);
  }
  g_assert_cmpint (last, ==, GST_PROGRESS_TYPE_ERROR);
}

static void
test_413_creates_no_model (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (3 * SMALL_CHUNK, 6);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };
  guint status = 0;

  messages = run_to_error (pipeline, &input, &posted);
  g_assert_error (posted.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  g_assert_nonnull (strstr (posted.error->message, "upload of the model "
          "failed"));
  g_assert_nonnull (strstr (posted.error->message, "too large"));
  g_assert_true (gst_structure_get_uint (posted.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 413);
  g_assert_cmpstr (gst_structure_get_string (posted.details, "method"), ==,
      "PUT");
  g_assert_nonnull (strstr (gst_structure_get_string (posted.details, "url"),
          "chunked_upload/"));
  assert_no_secret (&posted, TOKEN);
  /* never POST models/ after a failed upload */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 0);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS);
}

static void
test_413_when_spooled (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (3 * SMALL_CHUNK, 6);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_APPSRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, MODEL);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };
  guint status = 0;

  messages = run_to_error (pipeline, &input, &posted);
  g_assert_true (gst_structure_get_uint (posted.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 413);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 0);
}

static void
test_finish_refused_creates_no_model (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (SMALL_CHUNK + 5, 7);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };
  guint status = 0;

  add_fault (f, "status=410 method=POST path=chunked_upload/");
  messages = run_to_error (pipeline, &input, &posted);
  g_assert_true (gst_structure_get_uint (posted.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 410);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 0);
}

static void
test_wrong_token (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (100, 1);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, MODEL);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };
  guint status = 0;

  g_object_set (get_sink (pipeline), "access-token", WRONG_TOKEN, NULL);
  messages = run_to_error (pipeline, &input, &posted);
  g_assert_error (posted.error, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  g_assert_true (gst_structure_get_uint (posted.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 401);
  assert_no_secret (&posted, WRONG_TOKEN);
  assert_no_secret (&posted, TOKEN);
  /* not retried */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "chunked_upload/"), ==, 1);
}

static void
test_no_token_says_so (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (100, 1);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, MODEL);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };

  g_object_set (get_sink (pipeline), "access-token", NULL, NULL);
  messages = run_to_error (pipeline, &input, &posted);
  g_assert_error (posted.error, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (posted.error->message, "SYNAPSE_ACCESS_TOKEN"));
}

static void
test_empty_stream (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = g_bytes_new (NULL, 0);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_APPSRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, MODEL);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };

  messages = run_to_error (pipeline, &input, &posted);
  g_assert_error (posted.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  g_assert_nonnull (strstr (posted.error->message, "empty"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

static void
test_upstream_sends_less_than_announced (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (3 * SMALL_CHUNK, 2);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source =
      input_prepare (f, &input, SOURCE_APPSRC_SIZED, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };

  input.push_limit = 2 * SMALL_CHUNK + 10;
  messages = run_to_error (pipeline, &input, &posted);
  g_assert_error (posted.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  g_assert_nonnull (strstr (posted.error->message, "announced"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 0);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE), ==,
      0);
}

/* --- bad settings fail at start ----------------------------------------- */

typedef struct
{
  const gchar *props;
  const gchar *base_url;        /* NULL: the backend's */
  const gchar *message;         /* a part of the error message */
} BadSettings;

static const BadSettings bad_settings[] = {
  {"model-type=detection project=1", NULL, "model-name is not set"},
  {"model-name=m project=1", NULL, "model-type is not set"},
  {"model-name=m model-type=detection", NULL, "project is not set"},
  {MODEL " metrics=\"{accuracy: 0.9\"", NULL, "metrics: Not valid JSON"},
  {MODEL " metrics=\"[0.9]\"", NULL, "metrics must be a JSON object"},
  {MODEL " configuration=\"42\"", NULL, "configuration must be a JSON "
        "object"},
  {MODEL " filename=/", NULL, "filename"},
  {MODEL, "ftp://example.com/", "not an http or https URL"},
  {MODEL, "", "No Synapse backend URL is set"},
  {MODEL " expected-md5=0123", NULL, "expected-md5 must be an MD5 as 32 "
        "hexadecimal digits"},
};

static void
test_bad_settings_fail_at_start (Fixture * f, gconstpointer data)
{
  const BadSettings *bad = data;
  g_autoptr (GBytes) bytes = make_data (100, 1);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, bad->props);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;
  g_auto (PostedError) posted = { 0 };

  if (bad->base_url)
    g_object_set (get_sink (pipeline), "base-url", bad->base_url, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_FAILURE);
  message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  parse_posted_error (message, &posted);
  g_assert_error (posted.error, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS);
  if (!strstr (posted.error->message, bad->message))
    g_error ("\"%s\" does not say \"%s\"", posted.error->message, bad->message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  /* before any byte was sent */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

static void
test_every_problem_at_once (Fixture * f, gconstpointer data)
{
  GstElement *sink = gst_element_factory_make ("synapsemodelsink", NULL);
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GError) error = NULL;

  src = gst_object_ref (gst_element_factory_make ("fakesrc", NULL));
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  g_assert_true (gst_element_link (src, sink));
  g_object_set (sink, "base-url", f->url, "metrics", "1", NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), ==,
      GST_STATE_CHANGE_FAILURE);
  message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_message_parse_error (message, &error, NULL);
  g_assert_nonnull (strstr (error->message, "model-name"));
  g_assert_nonnull (strstr (error->message, "model-type"));
  g_assert_nonnull (strstr (error->message, "project"));
  g_assert_nonnull (strstr (error->message, "metrics"));
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

/* --- stopping before EOS ------------------------------------------------ */

static GstMessage *
find_warning (GPtrArray * messages, GError ** error)
{
  GstMessage *warning = find_message (messages, GST_MESSAGE_WARNING);

  g_assert_nonnull (warning);
  g_assert_cmpstr (GST_MESSAGE_SRC_NAME (warning), ==, "sink");
  gst_message_parse_warning (warning, error, NULL);
  return warning;
}

static GstProgressType
last_progress (GPtrArray * messages)
{
  GstProgressType last = GST_PROGRESS_TYPE_ERROR;

  for (guint i = 0; i < messages->len; i++) {
    if (GST_MESSAGE_TYPE (messages->pdata[i]) == GST_MESSAGE_PROGRESS)
      gst_message_parse_progress (messages->pdata[i], &last, NULL, NULL);
  }
  return last;
}

static void
test_stop_before_eos (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (6 * SMALL_CHUNK, 13);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source =
      input_prepare (f, &input, SOURCE_APPSRC_SIZED, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) warning = NULL;
  MessageLog log = { 0 };
  gint64 id = 0;

  /* two and a half chunks, and no EOS */
  input.push_limit = 2 * SMALL_CHUNK + SMALL_CHUNK / 2;
  input.send_eos = FALSE;
  message_log_start (&log, pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  input_feed (&input, pipeline);
  wait_for_request (f, "chunked_upload/", 2);
  g_usleep (50 * 1000);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  messages = message_log_stop (&log, pipeline);

  g_assert_null (find_message (messages, GST_MESSAGE_ERROR));
  find_warning (messages, &warning);
  g_assert_error (warning, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  g_assert_nonnull (strstr (warning->message, "abandoned"));
  g_assert_nonnull (strstr (warning->message, "131072 bytes had been sent"));
  g_assert_nonnull (strstr (warning->message, "no model was created"));
  g_assert_cmpint (last_progress (messages), ==, GST_PROGRESS_TYPE_CANCELED);

  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 0);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE), ==,
      0);
  g_object_get (get_sink (pipeline), "model-id", &id, NULL);
  g_assert_cmpint (id, ==, -1);
}

static void
test_stop_while_spooling (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (3 * SMALL_CHUNK, 14);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_APPSRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, MODEL);
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) warning = NULL;
  MessageLog log = { 0 };
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  input.send_eos = FALSE;
  message_log_start (&log, pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  input_feed (&input, pipeline);
  /* the upload starts (as spooling) with the first buffer */
  for (;;) {
    gboolean started;

    g_mutex_lock (&log.lock);
    started = last_progress (log.messages) == GST_PROGRESS_TYPE_START;
    g_mutex_unlock (&log.lock);
    if (started)
      break;
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (2000);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  messages = message_log_stop (&log, pipeline);

  g_assert_null (find_message (messages, GST_MESSAGE_ERROR));
  find_warning (messages, &warning);
  g_assert_nonnull (strstr (warning->message, "abandoned"));
  /* nothing went out: the size was never known */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

static void
test_flush_mid_upload_is_an_error (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (4 * SMALL_CHUNK, 22);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;
  g_auto (PostedError) posted = { 0 };

  /* a seek while the second chunk hangs */
  add_fault (f, "stall method=PUT path=chunked_upload/ skip=1 times=1");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for_request (f, "chunked_upload/", 2);
  g_assert_true (gst_element_seek_simple (pipeline, GST_FORMAT_BYTES,
          GST_SEEK_FLAG_FLUSH, 0));
  message = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_ERROR);
  parse_posted_error (message, &posted);
  g_assert_nonnull (strstr (posted.error->message, "flush"));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 0);
}

/* --- completeness ------------------------------------------------------- */

/* The stream as the file it should be: expected-size and expected-md5
 * pass it (the MD5 in either case). */
static void
test_expected_size_and_md5_pass (Fixture * f, gconstpointer data)
{
  const SourceKind kinds[] = { SOURCE_FILESRC, SOURCE_FDSRC_PIPE };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    g_autoptr (GBytes) bytes = make_data (2 * SMALL_CHUNK + 3, 40 + i);
    g_autofree gchar *md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5,
        bytes);
    g_autofree gchar *upper = g_ascii_strup (md5, -1);
    g_auto (Input) input = { 0 };
    g_autofree gchar *source = input_prepare (f, &input, kinds[i], bytes);
    g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d "
        "expected-size=%" G_GSIZE_FORMAT " expected-md5=%s", SMALL_CHUNK,
        g_bytes_get_size (bytes), upper);
    g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
    gint64 id = run_to_eos (pipeline, &input);

    assert_stored (f, id, bytes);
  }
}

/* A pipe cut short (gst-launch-1.0 -e ended it on Ctrl-C) ends with EOS
 * like a whole file: expected-size tells, and nothing is uploaded. */
static void
test_expected_size_catches_a_cut_pipe (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) whole = make_data (3 * SMALL_CHUNK, 42);
  g_autoptr (GBytes) cut = g_bytes_new_from_bytes (whole, 0, SMALL_CHUNK + 9);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FDSRC_PIPE,
      cut);
  g_autofree gchar *props = g_strdup_printf (MODEL " expected-size=%"
      G_GSIZE_FORMAT, g_bytes_get_size (whole));
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };

  messages = run_to_error (pipeline, &input, &posted);
  g_assert_error (posted.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  g_assert_nonnull (strstr (posted.error->message, "The stream ended after "
          "65545 bytes, but expected-size is 196608: the model file was cut "
          "short, and no model was created."));
  /* spooled, so not a byte went out */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

/* An MD5 that differs fails before the upload is completed: chunks may
 * have gone out, no upload is complete and no model is made. */
static void
test_expected_md5_mismatch (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (3 * SMALL_CHUNK + 1, 43);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d "
      "expected-md5=0123456789abcdef0123456789abcdef", SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };

  messages = run_to_error (pipeline, &input, &posted);
  g_assert_error (posted.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  g_assert_nonnull (strstr (posted.error->message, "not expected-md5 "
          "0123456789abcdef0123456789abcdef"));
  g_assert_cmpuint (count_answered (f, "POST", "chunked_upload/", 0), ==, 0);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE), ==,
      0);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 0);
}

/* Other sizes are caught as soon as they show: the size upstream
 * announces, or a byte too many. */
static void
test_expected_size_caught_early (Fixture * f, gconstpointer data)
{
  const SourceKind kinds[] = { SOURCE_FILESRC, SOURCE_APPSRC };
  const gchar *says[] = {
    "Upstream announces a model file of 1000 bytes, but expected-size is "
        "999: no model was created.",
    "The stream is longer than expected-size, 999 bytes: no model was "
        "created.",
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    g_autoptr (GBytes) bytes = make_data (1000, 44);
    g_auto (Input) input = { 0 };
    g_autofree gchar *source = input_prepare (f, &input, kinds[i], bytes);
    g_autoptr (GstElement) pipeline = make_pipeline (f, source,
        MODEL " expected-size=999");
    g_autoptr (GPtrArray) messages = NULL;
    g_auto (PostedError) posted = { 0 };

    messages = run_to_error (pipeline, &input, &posted);
    if (!strstr (posted.error->message, says[i]))
      g_error ("\"%s\" does not say \"%s\"", posted.error->message, says[i]);
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

/* The first chunk's answer is lost and the backend lists no uploads: the
 * upload goes on as a new one, and a warning says one may be left. */
static void
test_first_chunk_orphan_warns (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (2 * SMALL_CHUNK + 1, 45);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) warning = NULL;
  gint64 id;

  add_fault (f, "status=405 method=GET path=chunked_upload/ query=page");
  add_fault (f, "drop-response method=PUT path=chunked_upload/ times=1");
  messages = run_pipeline (pipeline, &input);
  g_assert_null (find_message (messages, GST_MESSAGE_ERROR));
  find_warning (messages, &warning);
  g_assert_error (warning, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  g_assert_nonnull (strstr (warning->message, "the backend may keep 1 "
          "unfinished upload of weights.onnx besides it"));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_object_get (get_sink (pipeline), "model-id", &id, NULL);
  assert_stored (f, id, bytes);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE), ==,
      2);
}

/* --- pausing never loses the upload ------------------------------------- */

/* Pauses @pipeline once @path reached the backend @n times (a request the
 * backend holds for a while), plays it again, and runs it to EOS. */
static gint64
pause_and_resume (Fixture * f, GstElement * pipeline, Input * input,
    const gchar * path, guint n, GPtrArray ** messages)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT / GST_USECOND;
  gint64 id = -1;

  *messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  if (input)
    input_feed (input, pipeline);
  wait_for_request (f, path, n);
  /* GstBaseSink's PLAYING to PAUSED calls unlock () in the middle of the
   * request */
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          RUN_TIMEOUT), ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *message;

    g_assert_cmpint (left, >, 0);
    message = gst_bus_timed_pop (bus, left * GST_USECOND);
    g_assert_nonnull (message);
    g_ptr_array_add (*messages, message);
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
      g_autoptr (GError) error = NULL;

      gst_message_parse_error (message, &error, NULL);
      g_error ("unexpected error: %s", error->message);
    }
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS)
      break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_object_get (get_sink (pipeline), "model-id", &id, NULL);
  return id;
}

/* PLAYING, PAUSED in the middle of a chunk, PLAYING again: the chunk
 * goes on, the model is made from the whole file, in one upload. */
static void
test_pause_mid_chunk (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (4 * SMALL_CHUNK + 17, 25);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  gint64 id;

  /* the backend holds the second chunk long enough to pause in it */
  add_fault (f, "stall ms=1000 method=PUT path=chunked_upload/ skip=1 "
      "times=1");
  id = pause_and_resume (f, pipeline, NULL, "chunked_upload/", 2, &messages);
  g_assert_cmpint (id, ==, SEEDED_MODELS + 1);
  assert_stored (f, id, bytes);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE), ==,
      1);
  /* the paused chunk was not sent again: it went on */
  g_assert_cmpuint (count_answered (f, "PUT", "chunked_upload/", 200), ==, 5);
  g_assert_null (find_message (messages, GST_MESSAGE_WARNING));
}

/* Paused while EOS waits for the completion (the commit runs in event ()
 * under the preroll lock): it goes on once PLAYING again. */
static void
test_pause_while_committing (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (2 * SMALL_CHUNK + 5, 26);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_APPSRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  gint64 id;

  add_fault (f, "stall ms=1000 method=POST path=chunked_upload/ times=1");
  id = pause_and_resume (f, pipeline, &input, "chunked_upload/", 4,
      &messages);
  g_assert_cmpint (id, ==, SEEDED_MODELS + 1);
  assert_stored (f, id, bytes);
  g_assert_nonnull (find_element_message (messages,
          "synapse-model-created"));
}

/* --- going to NULL never hangs ------------------------------------------ */

/* Goes to PLAYING, waits for @path to reach the backend, then to NULL,
 * which must take well under a second; returns the messages posted. */
static GPtrArray *
assert_null_is_prompt (Fixture * f, GstElement * pipeline, Input * input,
    const gchar * path)
{
  MessageLog log = { 0 };
  gint64 start;
  gint64 elapsed;
  GPtrArray *messages;

  message_log_start (&log, pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  input_feed (input, pipeline);
  wait_for_request (f, path, 1);
  g_usleep (100 * 1000);

  start = g_get_monotonic_time ();
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  elapsed = g_get_monotonic_time () - start;
  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC / 2);

  messages = message_log_stop (&log, pipeline);
  /* a cancellation is not an error */
  g_assert_null (find_message (messages, GST_MESSAGE_ERROR));
  g_assert_null (find_message (messages, GST_MESSAGE_EOS));
  g_assert_cmpint (last_progress (messages), ==, GST_PROGRESS_TYPE_CANCELED);
  return messages;
}

static void
test_null_during_stalled_chunk (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (4 * SMALL_CHUNK, 15);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d "
      "timeout=60", SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) warning = NULL;

  add_fault (f, "stall method=PUT path=chunked_upload/ skip=1");
  messages = assert_null_is_prompt (f, pipeline, &input, "chunked_upload/");
  find_warning (messages, &warning);
  g_assert_nonnull (strstr (warning->message, "no model was created"));
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS);
}

static void
test_null_during_stalled_finish (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (SMALL_CHUNK / 2, 16);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FDSRC_PIPE,
      bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source,
      MODEL " timeout=60");
  g_autoptr (GPtrArray) messages = NULL;

  /* the element is in its EOS handling when it is stopped */
  add_fault (f, "stall method=POST path=chunked_upload/");
  messages = assert_null_is_prompt (f, pipeline, &input, "chunked_upload/");
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 0);
}

static void
test_null_during_stalled_creation (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (1000, 17);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source,
      MODEL " timeout=60");
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) warning = NULL;

  add_fault (f, "stall method=POST path=models/");
  messages = assert_null_is_prompt (f, pipeline, &input, "models/");
  /* the request had gone out: the element cannot tell */
  find_warning (messages, &warning);
  g_assert_nonnull (strstr (warning->message, "may or may not"));
}

static void
test_null_during_backoff (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (2 * SMALL_CHUNK, 18);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d "
      "retries=3 retry-backoff-max=60", SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GPtrArray) messages = NULL;

  /* the backend asks for a 30 s pause on the second chunk (the first,
   * which creates the upload, is not sent again blindly): the element
   * must not sit it out */
  add_fault (f, "status=503 retry-after=30 method=PUT path=chunked_upload/ "
      "skip=1");
  messages = assert_null_is_prompt (f, pipeline, &input, "chunked_upload/");
}

static void
test_restart_after_interruption (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (3 * SMALL_CHUNK + 3, 19);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source = input_prepare (f, &input, SOURCE_FILESRC, bytes);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%d",
      SMALL_CHUNK);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  gint64 id;

  add_fault (f, "stall method=PUT path=chunked_upload/ skip=1");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  wait_for_request (f, "chunked_upload/", 2);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  synapse_test_backend_clear_faults (f->backend);

  /* a new run uploads the whole file again, as a new upload */
  id = run_to_eos (pipeline, &input);
  assert_stored (f, id, bytes);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS + 1);
}

/* --- memory ------------------------------------------------------------- */

typedef struct
{
  Fixture *f;
  guint64 chunk_size;
  guint64 entered;              /* bytes that reached the sink */
  guint64 most_held;            /* the most it held unsent at a buffer */
  guint64 largest_put;
  guint buffers;
} MemoryWatch;

/* Bytes the backend has acknowledged so far, with the multipart framing:
 * a little more than the file bytes it stored. */
static guint64
acknowledged_bytes (MemoryWatch * watch)
{
  g_autoptr (GPtrArray) requests =
      synapse_test_backend_dup_requests (watch->f->backend);
  guint64 sum = 0;

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (g_str_equal (request->method, "PUT") && request->status == 200) {
      sum += request->body_size;
      watch->largest_put = MAX (watch->largest_put, request->body_size);
    }
  }
  return sum;
}

static GstPadProbeReturn
watch_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  MemoryWatch *watch = user_data;
  guint64 acknowledged = acknowledged_bytes (watch);
  guint64 held = watch->entered > acknowledged ?
      watch->entered - acknowledged : 0;

  /* what the element holds before it takes this buffer */
  watch->most_held = MAX (watch->most_held, held);
  watch->entered += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  watch->buffers++;
  return GST_PAD_PROBE_OK;
}

static void
test_memory_two_chunks (Fixture * f, gconstpointer data)
{
  const gsize size = 64 * 1024 * 1024;
  const guint64 chunk = 8 * 1024 * 1024;
  g_autoptr (GBytes) bytes = make_data (size, 64);
  g_autofree gchar *path = write_file (f, "big.bin", bytes);
  g_autofree gchar *source = g_strdup_printf ("filesrc location=\"%s\" "
      "blocksize=1048576", path);
  g_autofree gchar *props = g_strdup_printf (MODEL " chunk-size=%"
      G_GUINT64_FORMAT, chunk);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  g_autoptr (GstPad) pad = gst_element_get_static_pad (get_sink (pipeline),
      "sink");
  MemoryWatch watch = { f, chunk, 0, 0, 0, 0 };
  gint64 id;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, watch_buffer, &watch,
      NULL);
  id = run_to_eos (pipeline, NULL);
  g_test_message ("held at most %" G_GUINT64_FORMAT " bytes unsent; the "
      "largest request carried %" G_GUINT64_FORMAT, watch.most_held,
      watch.largest_put);
  g_assert_cmpuint (watch.entered, ==, size);
  g_assert_cmpuint (watch.buffers, ==, 64);
  /* it never held more than two chunks unsent (the one going out, the
   * next one arriving meanwhile): it streamed */
  g_assert_cmpuint (watch.most_held, <=, 2 * chunk);
  g_assert_cmpuint (watch.most_held, >=, chunk - 1048576);
  /* and each request carried one chunk (plus the multipart framing) */
  g_assert_cmpuint (watch.largest_put, <=, chunk + 1024);
  g_assert_cmpuint (count_answered (f, "PUT", "chunked_upload/", 200), ==, 8);
  assert_stored (f, id, bytes);
}

/* --- gst-launch-1.0 ----------------------------------------------------- */

static void
test_gst_launch_prints_the_id (Fixture * f, gconstpointer data)
{
  g_autofree gchar *launch = g_find_program_in_path ("gst-launch-1.0");
  g_autoptr (GBytes) bytes = make_data (3 * SMALL_CHUNK + 7, 31);
  g_autofree gchar *path = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *chunk = g_strdup_printf ("chunk-size=%d", SMALL_CHUNK);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autofree gchar *want = NULL;

  if (launch == NULL) {
    g_test_skip ("gst-launch-1.0 is not installed");
    return;
  }
  path = write_file (f, "model.bin", bytes);
  location = g_strdup_printf ("location=%s", path);

  /* a cut connection on the way changes nothing */
  add_fault (f, "cut-request bytes=30000 method=PUT path=chunked_upload/ "
      "skip=1 times=1");
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "SYNAPSE_BACKEND_URL", f->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "SYNAPSE_ACCESS_TOKEN", TOKEN, TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error, launch, "-e", "-m",
      "filesrc", location, "!", "synapsemodelsink", "model-name=launched",
      "model-type=detection", "project=1", chunk,
      "retry-backoff-factor=0.01", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (child, NULL, NULL, &out, &err,
          &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (child)
      || g_subprocess_get_exit_status (child) != 0)
    g_error ("gst-launch-1.0 failed:\n%s\n%s", out, err);

  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS + 1);
  want = g_strdup_printf ("synapse-model-created, model-id=(gint64)%d,",
      SEEDED_MODELS + 1);
  g_assert_nonnull (strstr (out, want));
  g_assert_nonnull (strstr (out, "Got EOS from element"));
  g_assert_null (strstr (out, TOKEN));
  g_assert_null (strstr (err, TOKEN));
  assert_stored (f, SEEDED_MODELS + 1, bytes);
}

/* Interrupted without -e, gst-launch-1.0 stops reading its bus before it
 * stops the pipeline: the abandoned upload must be said on stderr. */
static void
test_gst_launch_says_abandoned (Fixture * f, gconstpointer data)
{
  g_autofree gchar *launch = g_find_program_in_path ("gst-launch-1.0");
  g_autoptr (GBytes) bytes = make_data (4 * SMALL_CHUNK, 32);
  g_autofree gchar *path = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *chunk = g_strdup_printf ("chunk-size=%d", SMALL_CHUNK);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;

  if (launch == NULL) {
    g_test_skip ("gst-launch-1.0 is not installed");
    return;
  }
  path = write_file (f, "model.bin", bytes);
  location = g_strdup_printf ("location=%s", path);

  /* the second chunk never gets an answer: the upload is under way */
  add_fault (f, "stall method=PUT path=chunked_upload/ skip=1");
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "SYNAPSE_BACKEND_URL", f->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "SYNAPSE_ACCESS_TOKEN", TOKEN, TRUE);
  child = g_subprocess_launcher_spawn (launcher, &error, launch, "filesrc",
      location, "!", "synapsemodelsink", "model-name=interrupted",
      "model-type=detection", "project=1", chunk, NULL);
  g_assert_no_error (error);
  wait_for_request (f, "chunked_upload/", 2);
  /* Ctrl-C, and no -e: no EOS */
  g_subprocess_send_signal (child, SIGINT);
  g_assert_true (g_subprocess_communicate_utf8 (child, NULL, NULL, &out, &err,
          &error));
  g_assert_no_error (error);

  if (!strstr (err, "Stopped before the end of the stream: the upload of "
          "model.bin was abandoned after 65536 bytes had been sent, and no "
          "model was created."))
    g_error ("gst-launch-1.0 did not say the upload was abandoned:\n%s\n%s",
        out, err);
  g_assert_nonnull (strstr (out, "Interrupt: Stopping pipeline"));
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS);
  g_assert_null (strstr (out, TOKEN));
  g_assert_null (strstr (err, TOKEN));
}

/* --- properties and secrets --------------------------------------------- */

static void
test_defaults (void)
{
  g_autoptr (GstElement) sink =
      gst_object_ref_sink (gst_element_factory_make ("synapsemodelsink", NULL));
  g_autofree gchar *name = NULL, *filename = NULL;
  g_autofree gchar *metrics = NULL, *token = NULL;
  guint64 chunk_size = 0;
  gint project = 0, type = -1;
  gint64 id = 0;
  gboolean active = FALSE, sync = TRUE;

  g_object_get (sink, "model-name", &name, "filename", &filename,
      "metrics", &metrics, "chunk-size", &chunk_size, "project", &project,
      "model-id", &id, "is-active", &active, "sync", &sync,
      "access-token", &token, "model-type", &type, NULL);
  g_assert_null (name);
  g_assert_null (filename);
  g_assert_null (metrics);
  g_assert_null (token);
  g_assert_cmpuint (chunk_size, ==, 50 * 1024 * 1024);
  g_assert_cmpint (project, ==, -1);
  g_assert_cmpint (id, ==, -1);
  g_assert_true (active);
  /* a file upload, not a timed rendering */
  g_assert_false (sync);
  /* no type until one is chosen, by its nick on a launch line */
  g_assert_cmpint (type, ==, 0);
  gst_util_set_object_arg (G_OBJECT (sink), "model-type", "segmentation");
  g_object_get (sink, "model-type", &type, NULL);
  g_assert_cmpint (type, ==, 3);
}

static void
test_credentials_from_environment (void)
{
  g_autoptr (GstElement) sink = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *token = NULL;
  g_autofree gchar *tenant = NULL;

  g_setenv ("SYNAPSE_BACKEND_URL", "https://synapse.example.com/", TRUE);
  g_setenv ("SYNAPSE_ACCESS_TOKEN", TOKEN, TRUE);
  g_setenv ("SYNAPSE_TENANT", "acme", TRUE);
  sink = gst_object_ref_sink (gst_element_factory_make ("synapsemodelsink",
          NULL));
  g_unsetenv ("SYNAPSE_BACKEND_URL");
  g_unsetenv ("SYNAPSE_ACCESS_TOKEN");
  g_unsetenv ("SYNAPSE_TENANT");

  g_object_get (sink, "base-url", &url, "access-token", &token, "tenant",
      &tenant, NULL);
  g_assert_cmpstr (url, ==, "https://synapse.example.com/");
  g_assert_cmpstr (tenant, ==, "acme");
  /* the token is never read back */
  g_assert_cmpstr (token, ==, "********");
}

/* Runs a good and a refused upload; the parent runs this in a child
 * process with GST_DEBUG=*:9 into a file. */
static void
test_token_never_logged_subprocess (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = make_data (3000, 41);
  g_auto (Input) good_input = { 0 };
  g_auto (Input) bad_input = { 0 };
  g_autofree gchar *good_source =
      input_prepare (f, &good_input, SOURCE_FILESRC, bytes);
  g_autofree gchar *bad_source =
      input_prepare (f, &bad_input, SOURCE_FILESRC, bytes);
  g_autoptr (GstElement) good = make_pipeline (f, good_source,
      MODEL " chunk-size=1024");
  g_autoptr (GstElement) bad = make_pipeline (f, bad_source, MODEL);
  g_autoptr (GPtrArray) messages = NULL;
  g_auto (PostedError) posted = { 0 };

  run_to_eos (good, &good_input);
  g_object_set (get_sink (bad), "access-token", WRONG_TOKEN, NULL);
  messages = run_to_error (bad, &bad_input, &posted);
}

static void
test_token_never_logged (Fixture * f, gconstpointer data)
{
  g_autofree gchar *log_path = g_build_filename (f->dir, "gst.log", NULL);
  g_autofree gchar *log =
      synapse_test_run_logged_child
      ("/synapsemodelsink/security/token-never-logged/subprocess", log_path);

  /* the log did capture the element's work, and the refusal */
  g_assert_nonnull (strstr (log, "created model"));
  g_assert_nonnull (strstr (log, "HTTP 401"));
  g_assert_null (strstr (log, TOKEN));
  g_assert_null (strstr (log, WRONG_TOKEN));
}

int
main (int argc, char **argv)
{
  static const gchar *kind_names[] = { "filesrc", "appsrc", "fdsrc-pipe" };

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

#define ADD(name, func) \
  g_test_add ("/synapsemodelsink/" name, Fixture, NULL, fixture_set_up, func, \
      fixture_tear_down)
#define ADD_SMALL_UPLOADS(name, func) \
  g_test_add ("/synapsemodelsink/" name, Fixture, NULL, \
      fixture_set_up_small_uploads, func, fixture_tear_down)

  for (guint i = 0; i < G_N_ELEMENTS (storage_cases); i++) {
    const StorageCase *c = &storage_cases[i];
    g_autofree gchar *path = g_strdup_printf ("/synapsemodelsink/storage/%s/%s",
        kind_names[c->kind], c->size == 1 ? "one-byte" :
        c->size == SMALL_CHUNK ? "exact-chunk" : "multi-chunk");

    g_test_add (path, Fixture, c, fixture_set_up,
        test_stores_identical_bytes, fixture_tear_down);
  }
  ADD ("storage/appsrc-with-size-streams", test_appsrc_with_size_streams);
  ADD ("storage/file-name-through-queue-and-bin",
      test_file_name_through_queue_and_bin);
  ADD ("model/fields-as-given", test_model_fields_as_given);
  ADD ("model/defaults", test_model_defaults);
  ADD ("model/json-sent-as-written", test_json_sent_as_written);
  ADD ("settings/unsendable-json-refused", test_unsendable_json_refused);
  ADD ("messages/created-before-eos", test_created_before_eos);
  ADD ("messages/progress-is-rate-limited", test_progress_is_rate_limited);
  ADD ("faults/cut-request-mid-upload", test_cut_request_mid_upload);
  ADD ("faults/cut-request-first-chunk", test_cut_request_first_chunk);
  ADD ("faults/drop-response-resumes", test_drop_response_resumes);
  ADD ("faults/503-on-a-chunk", test_503_on_a_chunk);
  ADD ("errors/400-on-model-creation", test_400_on_model_creation);
  ADD_SMALL_UPLOADS ("errors/413-creates-no-model", test_413_creates_no_model);
  ADD_SMALL_UPLOADS ("errors/413-when-spooled", test_413_when_spooled);
  ADD ("errors/finish-refused-creates-no-model",
      test_finish_refused_creates_no_model);
  ADD ("errors/wrong-token", test_wrong_token);
  ADD ("errors/no-token-says-so", test_no_token_says_so);
  ADD ("errors/empty-stream", test_empty_stream);
  ADD ("errors/upstream-sends-less-than-announced",
      test_upstream_sends_less_than_announced);
  for (guint i = 0; i < G_N_ELEMENTS (bad_settings); i++) {
    g_autofree gchar *path =
        g_strdup_printf ("/synapsemodelsink/settings/bad-%u", i);

    g_test_add (path, Fixture, &bad_settings[i], fixture_set_up,
        test_bad_settings_fail_at_start, fixture_tear_down);
  }
  ADD ("settings/every-problem-at-once", test_every_problem_at_once);
  ADD ("stop/before-eos", test_stop_before_eos);
  ADD ("stop/while-spooling", test_stop_while_spooling);
  ADD ("stop/flush-mid-upload-is-an-error", test_flush_mid_upload_is_an_error);
  ADD ("expected/size-and-md5-pass", test_expected_size_and_md5_pass);
  ADD ("expected/size-catches-a-cut-pipe",
      test_expected_size_catches_a_cut_pipe);
  ADD ("expected/md5-mismatch", test_expected_md5_mismatch);
  ADD ("expected/size-caught-early", test_expected_size_caught_early);
  ADD ("faults/first-chunk-orphan-warns", test_first_chunk_orphan_warns);
  ADD ("pause/mid-chunk", test_pause_mid_chunk);
  ADD ("pause/while-committing", test_pause_while_committing);
  ADD ("unlock/null-during-stalled-chunk", test_null_during_stalled_chunk);
  ADD ("unlock/null-during-stalled-finish", test_null_during_stalled_finish);
  ADD ("unlock/null-during-stalled-creation",
      test_null_during_stalled_creation);
  ADD ("unlock/null-during-backoff", test_null_during_backoff);
  ADD ("unlock/restart-after-interruption", test_restart_after_interruption);
  ADD ("memory/two-chunks-in-memory", test_memory_two_chunks);
  ADD ("launch/gst-launch-prints-the-id", test_gst_launch_prints_the_id);
  ADD ("launch/gst-launch-says-abandoned", test_gst_launch_says_abandoned);
  ADD ("security/token-never-logged", test_token_never_logged);
  ADD ("security/token-never-logged/subprocess",
      test_token_never_logged_subprocess);
  g_test_add_func ("/synapsemodelsink/properties/defaults", test_defaults);
  g_test_add_func ("/synapsemodelsink/properties/credentials-from-environment",
      test_credentials_from_environment);

  return g_test_run ();
}
