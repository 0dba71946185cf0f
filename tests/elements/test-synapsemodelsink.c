/* test-synapsemodelsink.c: synapsemodelsink against the in-process local
 * backend
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Most tests are rows of one table (rows[] below): a stream (its source,
 * size and bytes), the sink's properties, the backend's faults, how the
 * run goes (to its end, refused at start, paused, stopped or flushed on
 * the way) and what the user must get. Whatever the row, the same checks
 * follow, by its outcome:
 *
 * - a model: EOS, the model made once (id, synapse-model-created, the
 *   last progress COMPLETE) from one complete upload of the very bytes,
 *   its file named after the source;
 * - an error of the sink: its code, its words and HTTP status, no EOS,
 *   no model, the last progress (if any) ERROR;
 * - stopped on the way: neither an error nor EOS, no model, the last
 *   progress CANCELED;
 *
 * and, for every row: how far the upload got on the backend (a model
 * requested once, chunks only, or not a request), the chunk requests
 * when the row counts them, the warnings (exactly those the row names),
 * that each fault did hit, and that no message holds a token. The tests
 * after the table check what a row cannot: the order of messages at EOS,
 * their rate, memory, gst-launch-1.0, the properties and the logs.
 */

#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "kit-gst.h"

#define TOKEN "msink-Test-Token-5d1f07"
#define WRONG_TOKEN "msink-Wrong-Token-3a9c62"
#define SEEDED_MODELS 2
#define SMALL_CHUNK (64 * 1024)
#define MODEL "model-name=unit-model model-type=detection project=1"
/* MODEL in chunks of SMALL_CHUNK */
#define IN_CHUNKS MODEL " chunk-size=65536"

static const gchar *const secrets[] = { TOKEN, WRONG_TOKEN, NULL };

typedef struct
{
  SynapseTestBackend *backend;
  gchar *url;
  gchar *dir;
} Fixture;

/* --- input -------------------------------------------------------------- */

typedef enum
{
  SOURCE_FILESRC,               /* known size */
  SOURCE_APPSRC,                /* no size: spooled */
  SOURCE_FDSRC_PIPE,            /* a pipe: spooled */
  SOURCE_APPSRC_SIZED,          /* appsrc with its size property */
  SOURCE_FILESRC_IN_BIN,        /* filesrc in a bin, then a queue */
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

/* The launch-line source for @input; makes its file (@file_name, NULL:
 * weights.onnx) or pipe. */
static gchar *
input_prepare (Fixture * f, Input * input, SourceKind kind, GBytes * data,
    const gchar * file_name)
{
  gint fds[2];
  g_autoptr (GError) error = NULL;

  input->kind = kind;
  input->data = g_bytes_ref (data);
  input->pipe_write = -1;
  input->send_eos = TRUE;

  switch (kind) {
    case SOURCE_FILESRC:
    case SOURCE_FILESRC_IN_BIN:
      input->path = kit_write_file (f->dir, file_name ? file_name :
          "weights.onnx", data);
      return g_strdup_printf (kind == SOURCE_FILESRC ?
          "filesrc name=src location=\"%s\"" :
          "( filesrc location=\"%s\" ! identity ) ! queue", input->path);
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
  GstElement *src;
  gsize size;
  const guint8 *data = g_bytes_get_data (input->data, &size);
  gsize offset = 0;
  gsize limit = input->push_limit ? input->push_limit : size;

  switch (input->kind) {
    case SOURCE_FILESRC:
    case SOURCE_FILESRC_IN_BIN:
      return;
    case SOURCE_FDSRC_PIPE:
      input->writer = g_thread_new ("pipe-writer", write_pipe, input);
      return;
    case SOURCE_APPSRC:
    case SOURCE_APPSRC_SIZED:
      src = kit_get_element (pipeline, "src");
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
  g_autofree gchar *launch = g_strdup_printf ("%s ! synapsemodelsink "
      "name=sink retry-backoff-factor=0.01 %s", source, props ? props : "");

  return kit_pipeline_new (launch, "sink", f->url, TOKEN);
}

static GstElement *
get_sink (GstElement * pipeline)
{
  return kit_get_element (pipeline, "sink");
}

/* Sets @pipeline to PLAYING, which must not fail, and feeds it @input
 * (nullable); @run keeps what it posts. */
static void
play (KitRun * run, GstElement * pipeline, Input * input)
{
  g_assert_cmpint (kit_run_start (run, pipeline), !=, GST_STATE_CHANGE_FAILURE);
  if (input)
    input_feed (input, pipeline);
}

/* Plays @pipeline to EOS; returns the id of the model it made. */
static gint64
run_to_eos (GstElement * pipeline, Input * input)
{
  g_auto (KitRun) run = { 0 };
  gint64 id = -1;

  play (&run, pipeline, input);
  kit_run_end (&run);
  kit_run_assert_eos (&run);
  g_object_get (get_sink (pipeline), "model-id", &id, NULL);
  g_assert_cmpint (id, >, SEEDED_MODELS);
  return id;
}

/* The model as the backend has it, and the bytes of its file. */
static JsonObject *
stored_model (Fixture * f, gint64 id, GBytes ** file)
{
  JsonObject *model = synapse_test_backend_dup_model (f->backend, id);

  g_assert_nonnull (model);
  *file = kit_dup_model_file (f->backend, id);
  g_assert_nonnull (*file);
  return model;
}

static void
assert_stored (Fixture * f, gint64 id, GBytes * want)
{
  g_autoptr (GBytes) got = kit_dup_model_file (f->backend, id);

  g_assert_nonnull (got);
  g_assert_cmpuint (g_bytes_get_size (got), ==, g_bytes_get_size (want));
  g_assert_true (g_bytes_equal (got, want));
}

static guint
count_puts (Fixture * f, guint status)
{
  return kit_count_requests (f->backend, "PUT", "chunked_upload/", status);
}

/* --- the table ---------------------------------------------------------- */

typedef enum
{
  TO_THE_END,                   /* played until EOS or an error */
  REFUSED_AT_START,             /* PLAYING fails: settings are checked first */
  PAUSED_ON_THE_WAY,            /* paused at the row's point, played again */
  STOPPED_ON_THE_WAY,           /* set to NULL at the row's point */
  FLUSHED_ON_THE_WAY,           /* a flushing seek at the row's point */
} How;

/* How far the upload got on the backend. */
typedef enum
{
  REACHED_A_MODEL,              /* one complete upload, POST models/ once */
  REACHED_THE_FINISH,           /* the upload's finish sent, not completed */
  REACHED_CHUNKS,               /* chunks at most, no finish */
  REACHED_NOTHING,              /* not a single request */
} Reached;

typedef struct
{
  const gchar *name;

  /* the stream: @size bytes made from @seed */
  SourceKind source;
  gsize size;
  guint32 seed;
  const gchar *file_name;       /* filesrc's file; NULL: weights.onnx */
  gsize push_limit;             /* appsrc: push this much only (0: all) */
  gboolean no_eos;              /* appsrc: never end the stream */
  /* expected-size and expected-md5 (in upper case) say the stream's */
  gboolean expects_itself;

  /* the sink: its launch-line properties, then one set as an application
   * does (a NULL value unsets it), then anything else */
  const gchar *props;
  const gchar *property;
  const gchar *value;
  void (*configure) (GstElement * sink);

  /* the backend */
  guint64 max_upload_bytes;     /* 0: none */
  const gchar *faults[3];

  /* how the run goes: the pause, stop or seek comes once @at_count
   * requests whose path holds @at reached the backend (@at NULL: once the
   * upload's first progress message is posted) */
  How how;
  const gchar *at;
  guint at_count;

  /* the outcome: 0 a model (or, stopped on the way, none and no error);
   * else the code of the sink's error, in GST_RESOURCE_ERROR */
  gint code;
  const gchar *says[4];         /* the error message says each */
  guint status;                 /* its http-status-code; 0: none */
  const gchar *warns[4];        /* one warning says each; none: no warning */
  Reached reached;
  guint puts;                   /* chunk requests, answered or not; 0: any */
  guint requests;               /* every request; 0: any */
  guint orphans;                /* unfinished uploads besides the model's */
  const gchar *stored_as;       /* the model file's name; NULL: the source's */
  void (*check) (Fixture * f, KitRun * run, gint64 id);
} Row;

/* model-type, project and is-active have defaults. */
static void
check_defaults (Fixture * f, KitRun * run, gint64 id)
{
  g_autoptr (JsonObject) model = synapse_test_backend_dup_model (f->backend,
      id);

  g_assert_cmpstr (json_object_get_string_member (model, "model_type"), ==,
      "classification");
  g_assert_cmpint (json_object_get_int_member (model, "project"), ==, 0);
  /* active unless said otherwise */
  g_assert_true (json_object_get_boolean_member (model, "is_active"));
}

static void
set_every_field (GstElement * sink)
{
  g_object_set (sink, "model-name", "café detector 🐈",
      "description", "fine-tuned on \"set 12\"", "project", 2,
      "metrics", "{\"accuracy\": 0.93, \"f1_score\": 0.9, \"n\": 7}",
      "configuration", "{\"input\": [640, 640], \"classes\": {\"a\": 1}}",
      "is-active", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (sink), "model-type", "segmentation");
}

static void
assert_member_is (JsonObject * object, const gchar * name, const gchar * json)
{
  g_autoptr (JsonNode) want = json_from_string (json, NULL);

  g_assert_true (json_node_equal (json_object_get_member (object, name), want));
}

/* The model has the fields set_every_field () gave. */
static void
check_every_field (Fixture * f, KitRun * run, gint64 id)
{
  g_autoptr (JsonObject) model = synapse_test_backend_dup_model (f->backend,
      id);

  g_assert_cmpint (json_object_get_int_member (model, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (model, "name"), ==,
      "café detector 🐈");
  g_assert_cmpstr (json_object_get_string_member (model, "description"), ==,
      "fine-tuned on \"set 12\"");
  g_assert_cmpstr (json_object_get_string_member (model, "model_type"), ==,
      "segmentation");
  g_assert_cmpint (json_object_get_int_member (model, "project"), ==, 2);
  g_assert_false (json_object_get_boolean_member (model, "is_active"));
  assert_member_is (model, "metrics",
      "{\"accuracy\": 0.93, \"f1_score\": 0.9, \"n\": 7}");
  assert_member_is (model, "configuration",
      "{\"input\": [640, 640], \"classes\": {\"a\": 1}}");
}

static void
set_numbers_json_glib_would_change (GstElement * sink)
{
  g_object_set (sink, "metrics", "{\"accuracy\": 0.942}",
      "configuration", "{\"lr\": 1e-05, \"scale\": 1e22, \"size\": [640]}",
      NULL);
}

/* metrics and configuration reach the backend as the user wrote them,
 * number for number, and so does the model in synapse-model-created. */
static void
check_numbers_as_written (Fixture * f, KitRun * run, gint64 id)
{
  g_autofree gchar *sent = kit_dup_request_body (f->backend, "POST",
      "models/");
  const gchar *posted = gst_structure_get_string (gst_message_get_structure
      (kit_run_find_element_message (run, "synapse-model-created")), "model");

  if (!strstr (sent, "\"metrics\":{\"accuracy\":0.942}")
      || !strstr (sent, "\"configuration\":{\"lr\":1e-05,\"scale\":1e+22,"
          "\"size\":[640]}"))
    g_error ("sent %s", sent);
  g_assert_nonnull (strstr (posted, "\"accuracy\":0.942"));
  g_assert_nonnull (strstr (posted, "\"scale\":1e+22,"));
}

/* The refused POST models/ is described for programs too. */
static void
check_field_errors (Fixture * f, KitRun * run, gint64 id)
{
  g_assert_cmpstr (gst_structure_get_string (run->details, "method"), ==,
      "POST");
  g_assert_true (g_str_has_suffix (gst_structure_get_string (run->details,
              "url"), "/models/"));
  g_assert_nonnull (strstr (gst_structure_get_string (run->details,
              "server-detail"), "already exists"));
}

/* The refused chunk is described for programs too. */
static void
check_refused_chunk (Fixture * f, KitRun * run, gint64 id)
{
  g_assert_cmpstr (gst_structure_get_string (run->details, "method"), ==,
      "PUT");
  g_assert_nonnull (strstr (gst_structure_get_string (run->details, "url"),
          "chunked_upload/"));
}

#define ABANDONED "Stopped before the end of the stream: the upload of "

/* *INDENT-OFF* */
static const Row rows[] = {
  /* --- byte-identical storage, a request a chunk ---------------------- */
  {"storage/filesrc/one-byte", SOURCE_FILESRC, 1, 1, .props = IN_CHUNKS,
      .puts = 1},
  {"storage/filesrc/exact-chunk", SOURCE_FILESRC, SMALL_CHUNK, SMALL_CHUNK,
      .props = IN_CHUNKS, .puts = 1},
  {"storage/filesrc/multi-chunk", SOURCE_FILESRC, 3 * SMALL_CHUNK + 4321,
      3 * SMALL_CHUNK + 4321, .props = IN_CHUNKS, .puts = 4},
  {"storage/appsrc/one-byte", SOURCE_APPSRC, 1, 1, .props = IN_CHUNKS,
      .puts = 1},
  {"storage/appsrc/exact-chunk", SOURCE_APPSRC, SMALL_CHUNK, SMALL_CHUNK,
      .props = IN_CHUNKS, .puts = 1},
  {"storage/appsrc/multi-chunk", SOURCE_APPSRC, 3 * SMALL_CHUNK + 4321,
      3 * SMALL_CHUNK + 4321, .props = IN_CHUNKS, .puts = 4},
  {"storage/fdsrc-pipe/one-byte", SOURCE_FDSRC_PIPE, 1, 1,
      .props = IN_CHUNKS, .puts = 1},
  {"storage/fdsrc-pipe/exact-chunk", SOURCE_FDSRC_PIPE, SMALL_CHUNK,
      SMALL_CHUNK, .props = IN_CHUNKS, .puts = 1},
  {"storage/fdsrc-pipe/multi-chunk", SOURCE_FDSRC_PIPE,
      3 * SMALL_CHUNK + 4321, 3 * SMALL_CHUNK + 4321, .props = IN_CHUNKS,
      .puts = 4},
  /* a size upstream announces streams too; filename names the file */
  {"storage/appsrc-with-size-streams", SOURCE_APPSRC_SIZED,
        5 * SMALL_CHUNK + 17, 11,
        .props = IN_CHUNKS " filename=/some/dir/net.pt", .puts = 6,
      .stored_as = "net.pt"},
  /* the name filesrc reads, found through the queue and the bin */
  {"storage/file-name-through-queue-and-bin", SOURCE_FILESRC_IN_BIN, 5000,
        12, .file_name = "detector v2.pt", .props = MODEL,
      .stored_as = "detector%20v2.pt"},

  /* --- the model's fields --------------------------------------------- */
  {"model/fields-as-given", SOURCE_FILESRC, 1000, 3,
      .configure = set_every_field, .check = check_every_field},
  {"model/defaults", SOURCE_FILESRC, 10, 4,
        .props = "model-name=plain model-type=classification project=0",
      .check = check_defaults},
  {"model/json-sent-as-written", SOURCE_FILESRC, 100, 5, .props = MODEL,
        .configure = set_numbers_json_glib_would_change,
      .check = check_numbers_as_written},

  /* --- transient failures: one model all the same --------------------- */
  /* the third chunk's connection is cut halfway: sent again, same bytes */
  {"faults/cut-request-mid-upload", SOURCE_FILESRC, 4 * SMALL_CHUNK + 99, 21,
        .props = IN_CHUNKS, .faults = {"cut-request bytes=30000 method=PUT "
          "path=chunked_upload/ skip=2 times=1"}},
  {"faults/cut-request-first-chunk", SOURCE_APPSRC, 4 * SMALL_CHUNK + 99, 21,
        .props = IN_CHUNKS, .faults = {"cut-request bytes=20000 method=PUT "
          "path=chunked_upload/ times=1"}},
  /* the chunk is stored but its reply lost: the element resumes from the
   * backend's offset, it does not send the chunk twice into the file */
  {"faults/drop-response-resumes", SOURCE_FILESRC, 4 * SMALL_CHUNK + 99, 21,
        .props = IN_CHUNKS, .faults = {"drop-response method=PUT "
          "path=chunked_upload/ skip=1 times=1"}},
  {"faults/503-on-a-chunk", SOURCE_FDSRC_PIPE, 4 * SMALL_CHUNK + 99, 21,
        .props = IN_CHUNKS, .faults = {"status=503 method=PUT "
          "path=chunked_upload/ skip=3 times=1"}},
  /* the first chunk's answer is lost and the backend lists no uploads:
   * the upload goes on as a new one, and a warning says one may be left */
  {"faults/first-chunk-orphan-warns", SOURCE_FILESRC, 2 * SMALL_CHUNK + 1,
        45, .props = IN_CHUNKS,
        .faults = {"status=405 method=GET path=chunked_upload/ query=page",
          "drop-response method=PUT path=chunked_upload/ times=1"},
        .warns = {"the backend may keep 1 unfinished upload of "
          "weights.onnx besides it"}, .orphans = 1},

  /* --- failures: no model --------------------------------------------- */
  /* the upload went through, the model was refused, and only once; the
   * message names the fields and what is wrong with them */
  {"errors/400-on-model-creation", SOURCE_FILESRC, 2 * SMALL_CHUNK, 5,
        .props = IN_CHUNKS,
        .faults = {"status=400 method=POST path=models/ body='{\"name\": "
          "[\"A model with this name already exists.\"], \"project\": "
          "[\"Invalid pk \\\"1\\\" - object does not exist.\"]}'"},
        .code = GST_RESOURCE_ERROR_WRITE,
        .says = {"model could not be created", "HTTP 400",
          "name: A model with this name already exists.",
          "project: Invalid pk"}, .status = 400,
      .check = check_field_errors},
  /* never POST models/ after a failed upload */
  {"errors/413-creates-no-model", SOURCE_FILESRC, 3 * SMALL_CHUNK, 6,
        .props = IN_CHUNKS, .max_upload_bytes = 100000,
        .code = GST_RESOURCE_ERROR_WRITE,
        .says = {"upload of the model failed", "too large"}, .status = 413,
      .reached = REACHED_CHUNKS, .check = check_refused_chunk},
  {"errors/413-when-spooled", SOURCE_APPSRC, 3 * SMALL_CHUNK, 6,
        .props = MODEL, .max_upload_bytes = 100000,
        .code = GST_RESOURCE_ERROR_WRITE, .status = 413,
      .reached = REACHED_CHUNKS},
  {"errors/finish-refused-creates-no-model", SOURCE_FILESRC,
        SMALL_CHUNK + 5, 7, .props = IN_CHUNKS,
        .faults = {"status=410 method=POST path=chunked_upload/"},
        .code = GST_RESOURCE_ERROR_WRITE, .status = 410,
      .reached = REACHED_THE_FINISH},
  /* not retried */
  {"errors/wrong-token", SOURCE_FILESRC, 100, 1, .props = MODEL,
        .property = "access-token", .value = WRONG_TOKEN,
        .code = GST_RESOURCE_ERROR_NOT_AUTHORIZED, .status = 401,
      .reached = REACHED_CHUNKS, .puts = 1, .requests = 1},
  {"errors/no-token-says-so", SOURCE_FILESRC, 100, 1, .props = MODEL,
        .property = "access-token", .value = NULL,
        .code = GST_RESOURCE_ERROR_NOT_AUTHORIZED,
        .says = {"SYNAPSE_ACCESS_TOKEN"}, .status = 401,
      .reached = REACHED_CHUNKS, .puts = 1, .requests = 1},
  {"errors/empty-stream", SOURCE_APPSRC, 0, 0, .props = MODEL,
        .code = GST_RESOURCE_ERROR_WRITE, .says = {"empty"},
      .reached = REACHED_NOTHING},
  {"errors/upstream-sends-less-than-announced", SOURCE_APPSRC_SIZED,
        3 * SMALL_CHUNK, 2, .push_limit = 2 * SMALL_CHUNK + 10,
        .props = IN_CHUNKS, .code = GST_RESOURCE_ERROR_WRITE,
      .says = {"announced"}, .reached = REACHED_CHUNKS},

  /* --- bad settings fail at start, before any request ------------------ */
  {"settings/no-model-name", SOURCE_FILESRC, 100, 1,
        .props = "model-type=detection project=1", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
      .says = {"model-name is not set"}, .reached = REACHED_NOTHING},
  {"settings/no-model-type", SOURCE_FILESRC, 100, 1,
        .props = "model-name=m project=1", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
      .says = {"model-type is not set"}, .reached = REACHED_NOTHING},
  {"settings/no-project", SOURCE_FILESRC, 100, 1,
        .props = "model-name=m model-type=detection",
        .how = REFUSED_AT_START, .code = GST_RESOURCE_ERROR_SETTINGS,
      .says = {"project is not set"}, .reached = REACHED_NOTHING},
  {"settings/metrics-not-json", SOURCE_FILESRC, 100, 1,
        .props = MODEL " metrics=\"{accuracy: 0.9\"",
        .how = REFUSED_AT_START, .code = GST_RESOURCE_ERROR_SETTINGS,
      .says = {"metrics: Not valid JSON"}, .reached = REACHED_NOTHING},
  {"settings/metrics-not-an-object", SOURCE_FILESRC, 100, 1,
        .props = MODEL " metrics=\"[0.9]\"", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
        .says = {"metrics must be a JSON object"},
      .reached = REACHED_NOTHING},
  {"settings/configuration-not-an-object", SOURCE_FILESRC, 100, 1,
        .props = MODEL " configuration=\"42\"", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
        .says = {"configuration must be a JSON object"},
      .reached = REACHED_NOTHING},
  {"settings/filename-without-a-name", SOURCE_FILESRC, 100, 1,
        .props = MODEL " filename=/", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS, .says = {"filename"},
      .reached = REACHED_NOTHING},
  {"settings/base-url-not-http", SOURCE_FILESRC, 100, 1, .props = MODEL,
        .property = "base-url", .value = "ftp://example.com/",
        .how = REFUSED_AT_START, .code = GST_RESOURCE_ERROR_SETTINGS,
      .says = {"not an http or https URL"}, .reached = REACHED_NOTHING},
  {"settings/no-base-url", SOURCE_FILESRC, 100, 1, .props = MODEL,
        .property = "base-url", .value = "", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
        .says = {"No Synapse backend URL is set"},
      .reached = REACHED_NOTHING},
  {"settings/expected-md5-not-an-md5", SOURCE_FILESRC, 100, 1,
        .props = MODEL " expected-md5=0123", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
        .says = {"expected-md5 must be an MD5 as 32 hexadecimal digits"},
      .reached = REACHED_NOTHING},
  /* what json-glib would alter on the way is refused, naming the
   * property and the reason */
  {"settings/unsendable-json/out-of-double-range", SOURCE_FILESRC, 100, 1,
        .props = MODEL, .property = "metrics", .value = "{\"a\": 1e400}",
        .how = REFUSED_AT_START, .code = GST_RESOURCE_ERROR_SETTINGS,
        .says = {"metrics: Not JSON that can be sent as written: the number "
          "1e400 at byte 6 is out of the range of a double"},
      .reached = REACHED_NOTHING},
  {"settings/unsendable-json/beyond-64-bits", SOURCE_FILESRC, 100, 1,
        .props = MODEL, .property = "metrics",
        .value = "{\"n\": 18446744073709551615}", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
        .says = {"metrics: Not JSON that can be sent as written: the integer "
          "18446744073709551615 at byte 6 is beyond the 64-bit range"},
      .reached = REACHED_NOTHING},
  {"settings/unsendable-json/two-documents", SOURCE_FILESRC, 100, 1,
        .props = MODEL, .property = "configuration",
        .value = "{\"a\":1}{\"b\":2}", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
        .says = {"configuration: Not valid JSON: data after the JSON "
          "document at byte 7"}, .reached = REACHED_NOTHING},
  {"settings/unsendable-json/nul-in-a-string", SOURCE_FILESRC, 100, 1,
        .props = MODEL, .property = "configuration",
        .value = "{\"name\": \"a\\u0000b\"}", .how = REFUSED_AT_START,
        .code = GST_RESOURCE_ERROR_SETTINGS,
        .says = {"configuration: Not JSON that can be sent as written: the "
          "string at byte 11 holds U+0000"}, .reached = REACHED_NOTHING},

  /* --- completeness: expected-size and expected-md5 -------------------- */
  /* the stream as the file it should be passes (the MD5 in either case) */
  {"expected/size-and-md5-pass/filesrc", SOURCE_FILESRC,
        2 * SMALL_CHUNK + 3, 40, .expects_itself = TRUE,
      .props = IN_CHUNKS},
  {"expected/size-and-md5-pass/fdsrc-pipe", SOURCE_FDSRC_PIPE,
        2 * SMALL_CHUNK + 3, 41, .expects_itself = TRUE,
      .props = IN_CHUNKS},
  /* a pipe cut short (gst-launch-1.0 -e ended it on Ctrl-C) ends with EOS
   * like a whole file: expected-size tells, and, spooled, not a byte went
   * out */
  {"expected/size-catches-a-cut-pipe", SOURCE_FDSRC_PIPE, SMALL_CHUNK + 9,
        42, .props = MODEL " expected-size=196608",
        .code = GST_RESOURCE_ERROR_WRITE,
        .says = {"The stream ended after 65545 bytes, but expected-size is "
          "196608: the model file was cut short, and no model was "
          "created."}, .reached = REACHED_NOTHING},
  /* an MD5 that differs fails before the upload is completed: chunks may
   * have gone out, no upload is complete and no model is made */
  {"expected/md5-mismatch", SOURCE_FILESRC, 3 * SMALL_CHUNK + 1, 43,
        .props = IN_CHUNKS " expected-md5=0123456789abcdef0123456789abcdef",
        .code = GST_RESOURCE_ERROR_WRITE,
        .says = {"not expected-md5 0123456789abcdef0123456789abcdef"},
      .reached = REACHED_CHUNKS},
  /* other sizes are caught as soon as they show: the size upstream
   * announces, or a byte too many */
  {"expected/size-caught-early/announced", SOURCE_FILESRC, 1000, 44,
        .props = MODEL " expected-size=999", .code = GST_RESOURCE_ERROR_WRITE,
        .says = {"Upstream announces a model file of 1000 bytes, but "
          "expected-size is 999: no model was created."},
      .reached = REACHED_NOTHING},
  {"expected/size-caught-early/a-byte-too-many", SOURCE_APPSRC, 1000, 44,
        .props = MODEL " expected-size=999", .code = GST_RESOURCE_ERROR_WRITE,
        .says = {"The stream is longer than expected-size, 999 bytes: no "
          "model was created."}, .reached = REACHED_NOTHING},

  /* --- pausing never loses the upload ---------------------------------- */
  /* PLAYING, PAUSED in the middle of a chunk the backend holds, PLAYING
   * again: the chunk goes on, it is not sent again */
  {"pause/mid-chunk", SOURCE_FILESRC, 4 * SMALL_CHUNK + 17, 25,
        .props = IN_CHUNKS, .faults = {"stall ms=1000 method=PUT "
          "path=chunked_upload/ skip=1 times=1"}, .how = PAUSED_ON_THE_WAY,
      .at = "chunked_upload/", .at_count = 2, .puts = 5},
  /* paused while EOS waits for the completion (the commit runs in event ()
   * under the preroll lock): it goes on once PLAYING again */
  {"pause/while-committing", SOURCE_APPSRC, 2 * SMALL_CHUNK + 5, 26,
        .props = IN_CHUNKS, .faults = {"stall ms=1000 method=POST "
          "path=chunked_upload/ times=1"}, .how = PAUSED_ON_THE_WAY,
      .at = "chunked_upload/", .at_count = 4},

  /* --- stopping before EOS: no model, said in a warning ---------------- */
  /* two and a half chunks, and no EOS */
  {"stop/before-eos", SOURCE_APPSRC_SIZED, 6 * SMALL_CHUNK, 13,
        .push_limit = 2 * SMALL_CHUNK + SMALL_CHUNK / 2, .no_eos = TRUE,
        .props = IN_CHUNKS, .how = STOPPED_ON_THE_WAY,
        .at = "chunked_upload/", .at_count = 2,
        .warns = {ABANDONED "model.bin was abandoned after 131072 bytes had "
          "been sent, and no model was created."},
      .reached = REACHED_CHUNKS},
  /* the upload starts (as spooling) with the first buffer; nothing went
   * out: the size was never known */
  {"stop/while-spooling", SOURCE_APPSRC, 3 * SMALL_CHUNK, 14, .no_eos = TRUE,
        .props = MODEL, .how = STOPPED_ON_THE_WAY,
      .warns = {"abandoned"}, .reached = REACHED_NOTHING},
  /* a seek while the second chunk hangs */
  {"stop/flush-mid-upload-is-an-error", SOURCE_FILESRC, 4 * SMALL_CHUNK, 22,
        .props = IN_CHUNKS, .faults = {"stall method=PUT "
          "path=chunked_upload/ skip=1 times=1"}, .how = FLUSHED_ON_THE_WAY,
        .at = "chunked_upload/", .at_count = 2,
        .code = GST_RESOURCE_ERROR_WRITE,
      .says = {"flush"}, .reached = REACHED_CHUNKS},

  /* --- going to NULL never hangs --------------------------------------- */
  {"unlock/null-during-stalled-chunk", SOURCE_FILESRC, 4 * SMALL_CHUNK, 15,
        .props = IN_CHUNKS " timeout=60", .faults = {"stall method=PUT "
          "path=chunked_upload/ skip=1"}, .how = STOPPED_ON_THE_WAY,
        .at = "chunked_upload/", .at_count = 2,
        .warns = {"no model was created"},
      .reached = REACHED_CHUNKS},
  /* the element is in its EOS handling when it is stopped */
  {"unlock/null-during-stalled-finish", SOURCE_FDSRC_PIPE, SMALL_CHUNK / 2,
        16, .props = MODEL " timeout=60", .faults = {"stall method=POST "
          "path=chunked_upload/"}, .how = STOPPED_ON_THE_WAY,
        .at = "chunked_upload/", .at_count = 2,
      .warns = {"no model was created"}, .reached = REACHED_THE_FINISH},
  /* the request had gone out: the element cannot tell */
  {"unlock/null-during-stalled-creation", SOURCE_FILESRC, 1000, 17,
        .props = MODEL " timeout=60", .faults = {"stall method=POST "
          "path=models/"}, .how = STOPPED_ON_THE_WAY, .at = "models/",
        .at_count = 1,
      .warns = {"may or may not"}},
  /* the backend asks for a 30 s pause on the second chunk (the first,
   * which creates the upload, is not sent again blindly): the element
   * must not sit it out */
  {"unlock/null-during-backoff", SOURCE_FILESRC, 2 * SMALL_CHUNK, 18,
        .props = IN_CHUNKS " retries=3 retry-backoff-max=60",
        .faults = {"status=503 retry-after=30 method=PUT "
          "path=chunked_upload/ skip=1"}, .how = STOPPED_ON_THE_WAY,
        .at = "chunked_upload/", .at_count = 2,
        .warns = {"no model was created"},
      .reached = REACHED_CHUNKS},
};
/* *INDENT-ON* */

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  const Row *row = data;
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 1,
    .events = 0,
    .models = SEEDED_MODELS,
    .seed = 5,
    .max_upload_bytes = row ? row->max_upload_bytes : 0,
  };

  f->backend = kit_backend_new (&options, &f->url);
  f->dir = kit_make_tmp_dir ();
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->backend);
  kit_clear_tmp_dir (&f->dir);
  g_free (f->url);
}

/* --- a row's run -------------------------------------------------------- */

/* Waits for the row's point of the run: @at_count requests on @at, or the
 * upload's first progress message. */
static void
wait_for_the_point (Fixture * f, const Row * row, KitRun * run)
{
  if (row->at)
    kit_wait_for_requests (f->backend, row->at, row->at_count);
  else
    kit_run_wait (run, GST_MESSAGE_PROGRESS);
}

/* Plays @pipeline fed by @input as @row says, until the run is stopped. */
static void
run_as_the_row_says (Fixture * f, const Row * row, GstElement * pipeline,
    Input * input, KitRun * run)
{
  if (row->how == REFUSED_AT_START) {
    kit_run_refused (run, pipeline, GST_STATE_PLAYING);
    return;
  }
  play (run, pipeline, input);
  switch (row->how) {
    case TO_THE_END:
      break;
    case PAUSED_ON_THE_WAY:
      wait_for_the_point (f, row, run);
      /* GstBaseSink's PLAYING to PAUSED calls unlock () in the middle of
       * the request */
      g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
          GST_STATE_CHANGE_FAILURE);
      g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
              20 * GST_SECOND), ==, GST_STATE_CHANGE_SUCCESS);
      g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING),
          !=, GST_STATE_CHANGE_FAILURE);
      break;
    case STOPPED_ON_THE_WAY:
      wait_for_the_point (f, row, run);
      /* in the middle of what the element does there */
      g_usleep (100 * 1000);
      kit_run_stop_promptly (run);
      return;
    case FLUSHED_ON_THE_WAY:
      wait_for_the_point (f, row, run);
      g_assert_true (gst_element_seek_simple (pipeline, GST_FORMAT_BYTES,
              GST_SEEK_FLAG_FLUSH, 0));
      break;
    case REFUSED_AT_START:
      g_assert_not_reached ();
  }
  kit_run_end (run);
}

/* --- a row's checks ----------------------------------------------------- */

static void
check_model (Fixture * f, const Row * row, KitRun * run, GBytes * bytes,
    gint64 id)
{
  g_autoptr (GBytes) file = NULL;
  g_autoptr (JsonObject) model = stored_model (f, id, &file);
  g_autofree gchar *name = g_strconcat ("/", row->stored_as ? row->stored_as :
      row->source == SOURCE_FILESRC ? "weights.onnx" : "model.bin", NULL);

  kit_run_assert_eos (run);
  g_assert_cmpint (id, ==, SEEDED_MODELS + 1);
  g_assert_true (g_bytes_equal (file, bytes));
  g_assert_true (g_str_has_suffix (json_object_get_string_member (model,
              "file"), name));
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS + 1);
  /* one upload made it (an interruption resumed it) */
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE), ==,
      1 + row->orphans);
  g_assert_cmpuint (kit_count_requests (f->backend, "POST", "models/", 201),
      ==, 1);
  g_assert_nonnull (kit_run_find_element_message (run,
          "synapse-model-created"));
  g_assert_cmpint (kit_run_last_progress (run), ==, GST_PROGRESS_TYPE_COMPLETE);
}

static void
assert_no_model (Fixture * f, KitRun * run, gint64 id)
{
  g_assert_cmpint (id, ==, -1);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS);
  g_assert_null (kit_run_find_element_message (run, "synapse-model-created"));
}

static void
check_error (Fixture * f, const Row * row, KitRun * run, gint64 id)
{
  guint status = 0;

  kit_run_assert_error_from (run, "sink");
  g_assert_error (run->gerror, GST_RESOURCE_ERROR, row->code);
  for (guint i = 0; i < G_N_ELEMENTS (row->says) && row->says[i]; i++) {
    if (!strstr (run->gerror->message, row->says[i]))
      g_error ("\"%s\" does not say \"%s\"", run->gerror->message,
          row->says[i]);
  }
  if (run->details)
    gst_structure_get_uint (run->details, "http-status-code", &status);
  g_assert_cmpuint (status, ==, row->status);
  /* EOS means committed: a failed sink never lets it through */
  g_assert_false (run->eos);
  assert_no_model (f, run, id);
  /* an upload that began ends in its progress too */
  if (row->reached != REACHED_NOTHING
      || kit_run_find (run, GST_MESSAGE_PROGRESS))
    g_assert_cmpint (kit_run_last_progress (run), ==, GST_PROGRESS_TYPE_ERROR);
}

static void
check_stopped (Fixture * f, KitRun * run, gint64 id)
{
  /* a cancellation is not an error */
  g_assert_null (run->error);
  g_assert_false (run->eos);
  assert_no_model (f, run, id);
  g_assert_cmpint (kit_run_last_progress (run), ==, GST_PROGRESS_TYPE_CANCELED);
}

/* The sink warned once, saying all of @warns; or, @warns empty, never. */
static void
check_warnings (const Row * row, KitRun * run)
{
  g_autoptr (GPtrArray) warnings = kit_run_dup_warnings (run);
  GstMessage *warning = kit_run_find (run, GST_MESSAGE_WARNING);
  const GError *error;

  if (row->warns[0] == NULL) {
    g_assert_cmpuint (warnings->len, ==, 0);
    return;
  }
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_cmpstr (GST_MESSAGE_SRC_NAME (warning), ==, "sink");
  error = warnings->pdata[0];
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE);
  for (guint i = 0; i < G_N_ELEMENTS (row->warns) && row->warns[i]; i++) {
    if (!strstr (error->message, row->warns[i]))
      g_error ("\"%s\" does not say \"%s\"", error->message, row->warns[i]);
  }
}

/* How far the upload got on the backend, in requests. */
static void
check_requests (Fixture * f, const Row * row)
{
  guint completed = synapse_test_backend_count_uploads (f->backend, TRUE);
  guint finishes = kit_count_requests (f->backend, "POST", "chunked_upload/",
      0);

  switch (row->reached) {
    case REACHED_A_MODEL:
      g_assert_cmpuint (completed, ==, 1);
      g_assert_cmpuint (kit_count_requests (f->backend, "POST", "models/", 0),
          ==, 1);
      break;
    case REACHED_THE_FINISH:
    case REACHED_CHUNKS:
      g_assert_cmpuint (completed, ==, 0);
      /* never a model request after a failed upload */
      g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
              "models/"), ==, 0);
      if (row->reached == REACHED_CHUNKS)
        g_assert_cmpuint (finishes, ==, 0);
      else
        g_assert_cmpuint (finishes, >, 0);
      break;
    case REACHED_NOTHING:
      g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
              NULL), ==, 0);
      break;
  }
  /* one request a chunk, no more */
  if (row->puts)
    g_assert_cmpuint (count_puts (f, 0), ==, row->puts);
  if (row->requests)
    g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
        ==, row->requests);
}

/* Each fault did hit (as many times as it says, if it says), in a run
 * not cut short: no row passes by missing its target. */
static void
check_faults_hit (Fixture * f, const Row * row, const guint * fault_ids)
{
  if (row->how == STOPPED_ON_THE_WAY || row->how == FLUSHED_ON_THE_WAY)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (row->faults) && row->faults[i]; i++) {
    g_auto (SynapseTestFault) fault = { 0 };
    guint hits = synapse_test_backend_get_fault_hits (f->backend,
        fault_ids[i]);

    g_assert_true (synapse_test_fault_parse (row->faults[i], &fault, NULL));
    if (fault.times)
      g_assert_cmpuint (hits, ==, fault.times);
    else if (hits == 0)
      g_error ("the fault \"%s\" never hit", row->faults[i]);
  }
}

static void
test_row (Fixture * f, gconstpointer data)
{
  const Row *row = data;
  g_autoptr (GBytes) bytes = kit_make_bytes (row->size, row->seed);
  g_auto (Input) input = {.push_limit = row->push_limit };
  g_autofree gchar *source = input_prepare (f, &input, row->source, bytes,
      row->file_name);
  g_autofree gchar *md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5,
      bytes);
  g_autofree gchar *upper_md5 = g_ascii_strup (md5, -1);
  g_autofree gchar *props = row->expects_itself ?
      g_strdup_printf ("%s expected-size=%" G_GSIZE_FORMAT " expected-md5=%s",
      row->props, row->size, upper_md5) : g_strdup (row->props);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, props);
  GstElement *sink = get_sink (pipeline);
  g_auto (KitRun) run = { 0 };
  guint fault_ids[G_N_ELEMENTS (row->faults)] = { 0 };
  gint64 id = 0;

  input.send_eos = !row->no_eos;
  if (row->property)
    g_object_set (sink, row->property, row->value, NULL);
  if (row->configure)
    row->configure (sink);
  for (guint i = 0; i < G_N_ELEMENTS (row->faults) && row->faults[i]; i++)
    fault_ids[i] = kit_add_fault (f->backend, row->faults[i]);

  run_as_the_row_says (f, row, pipeline, &input, &run);
  g_object_get (sink, "model-id", &id, NULL);
  g_test_message ("%s: %s", row->name, run.gerror ? run.gerror->message :
      run.eos ? "a model" : "stopped");

  if (row->how == STOPPED_ON_THE_WAY)
    check_stopped (f, &run, id);
  else if (row->code == 0)
    check_model (f, row, &run, bytes, id);
  else
    check_error (f, row, &run, id);
  check_warnings (row, &run);
  check_requests (f, row);
  check_faults_hit (f, row, fault_ids);
  kit_run_assert_no_secret (&run, secrets);
  if (row->check)
    row->check (f, &run, id);
}

/* --- what a row cannot check ------------------------------------------- */

typedef struct
{
  GstElement *sink;
  gint64 created_id;            /* from synapse-model-created */
  gint64 id_at_eos;             /* model-id when EOS was posted */
  gboolean created_before_eos;
} EosOrder;

static void
watch_eos_order (GstMessage * message, gpointer user_data)
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
}

static void
test_created_before_eos (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = kit_make_bytes (3 * SMALL_CHUNK + 1, 8);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source =
      input_prepare (f, &input, SOURCE_FILESRC, bytes, NULL);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, IN_CHUNKS);
  g_autoptr (JsonObject) stored = NULL;
  g_autoptr (GBytes) file = NULL;
  g_autoptr (JsonNode) posted_model = NULL;
  EosOrder order = { get_sink (pipeline), -1, -1, FALSE };
  g_auto (KitRun) run = {.hook = watch_eos_order,.hook_data = &order };
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

  play (&run, pipeline, &input);
  kit_run_end (&run);
  kit_run_assert_eos (&run);

  /* the model exists, and says so, before the application sees EOS */
  g_assert_true (order.created_before_eos);
  g_assert_cmpint (order.id_at_eos, ==, order.created_id);

  created = kit_run_find_element_message (&run, "synapse-model-created");
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
  for (guint i = 0; i < run.messages->len; i++) {
    GstMessage *message = run.messages->pdata[i];

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

  /* still readable once stopped */
  g_object_get (order.sink, "model-id", &id, NULL);
  g_assert_cmpint (id, ==, order.created_id);
}

static void
test_progress_is_rate_limited (Fixture * f, gconstpointer data)
{
  /* 256 chunks of 4 KiB: many more chunks than messages allowed */
  g_autoptr (GBytes) bytes = kit_make_bytes (256 * 4096, 9);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source =
      input_prepare (f, &input, SOURCE_FILESRC, bytes, NULL);
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, source, MODEL " chunk-size=4096");
  g_auto (KitRun) run = { 0 };
  gint64 start = g_get_monotonic_time ();
  gdouble seconds;
  guint progress = 0, continues = 0;
  guint64 sent = 0;

  play (&run, pipeline, &input);
  kit_run_wait (&run, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  seconds = (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC;
  kit_run_stop (&run);
  kit_run_assert_eos (&run);

  for (guint i = 0; i < run.messages->len; i++) {
    GstMessage *message = run.messages->pdata[i];

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
  g_assert_cmpuint (count_puts (f, 200), ==, 256);
  /* four a second at most, plus the final one */
  g_assert_cmpuint (progress, >=, 1);
  g_assert_cmpuint (progress, <=, 4 * seconds + 2);
  g_assert_cmpuint (continues, ==, progress);
  /* the final one is always there */
  g_assert_cmpuint (sent, ==, g_bytes_get_size (bytes));
}

static void
test_restart_after_interruption (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = kit_make_bytes (3 * SMALL_CHUNK + 3, 19);
  g_auto (Input) input = { 0 };
  g_autofree gchar *source =
      input_prepare (f, &input, SOURCE_FILESRC, bytes, NULL);
  g_autoptr (GstElement) pipeline = make_pipeline (f, source, IN_CHUNKS);
  gint64 id;

  kit_add_fault (f->backend, "stall method=PUT path=chunked_upload/ skip=1");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  kit_wait_for_requests (f->backend, "chunked_upload/", 2);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  synapse_test_backend_clear_faults (f->backend);

  /* a new run uploads the whole file again, as a new upload */
  id = run_to_eos (pipeline, &input);
  assert_stored (f, id, bytes);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS + 1);
}

static void
test_every_problem_at_once (Fixture * f, gconstpointer data)
{
  GstElement *sink = gst_element_factory_make ("synapsemodelsink", NULL);
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstElement) src = NULL;
  g_auto (KitRun) run = { 0 };

  src = gst_object_ref (gst_element_factory_make ("fakesrc", NULL));
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  g_assert_true (gst_element_link (src, sink));
  g_object_set (sink, "base-url", f->url, "metrics", "1", NULL);
  kit_run_refused (&run, pipeline, GST_STATE_PAUSED);
  g_assert_nonnull (strstr (run.gerror->message, "model-name"));
  g_assert_nonnull (strstr (run.gerror->message, "model-type"));
  g_assert_nonnull (strstr (run.gerror->message, "project"));
  g_assert_nonnull (strstr (run.gerror->message, "metrics"));
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
  g_autoptr (GBytes) bytes = kit_make_bytes (size, 64);
  g_autofree gchar *path = kit_write_file (f->dir, "big.bin", bytes);
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
  g_assert_cmpuint (count_puts (f, 200), ==, 8);
  assert_stored (f, id, bytes);
}

/* --- gst-launch-1.0 ----------------------------------------------------- */

/* gst-launch-1.0 @options filesrc location=model.bin !
 * synapsemodelsink @props (a detection model of project 1, in chunks of
 * SMALL_CHUNK) reading @bytes, pointed at the backend by the environment,
 * as a user would; NULL (the test skipped) without gst-launch-1.0. */
static GSubprocess *
spawn_gst_launch (Fixture * f, GBytes * bytes, const gchar * options,
    const gchar * props)
{
  g_autofree gchar *launch = g_find_program_in_path ("gst-launch-1.0");
  g_autofree gchar *program = NULL;
  g_autofree gchar *path = NULL;
  g_autofree gchar *location = NULL;
  g_autofree gchar *command = NULL;
  g_auto (GStrv) argv = NULL;
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GError) error = NULL;
  GSubprocess *child;

  if (launch == NULL) {
    g_test_skip ("gst-launch-1.0 is not installed");
    return NULL;
  }
  program = g_shell_quote (launch);
  path = kit_write_file (f->dir, "model.bin", bytes);
  location = g_shell_quote (path);
  command = g_strdup_printf ("%s %s filesrc location=%s ! "
      "synapsemodelsink model-type=detection project=1 chunk-size=%d %s",
      program, options, location, SMALL_CHUNK, props);
  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  g_subprocess_launcher_setenv (launcher, "SYNAPSE_BACKEND_URL", f->url, TRUE);
  g_subprocess_launcher_setenv (launcher, "SYNAPSE_ACCESS_TOKEN", TOKEN, TRUE);
  child = g_subprocess_launcher_spawnv (launcher,
      (const gchar * const *) argv, &error);
  g_assert_no_error (error);
  return child;
}

/* What @child printed, once it ended; neither holds a token. */
static void
communicate (GSubprocess * child, gchar ** out, gchar ** err)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_communicate_utf8 (child, NULL, NULL, out, err,
          &error));
  g_assert_no_error (error);
  kit_assert_no_secret_in (*out, secrets, "gst-launch-1.0's stdout");
  kit_assert_no_secret_in (*err, secrets, "gst-launch-1.0's stderr");
}

static void
test_gst_launch_prints_the_id (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = kit_make_bytes (3 * SMALL_CHUNK + 7, 31);
  g_autoptr (GSubprocess) child = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autofree gchar *want = NULL;

  /* a cut connection on the way changes nothing */
  kit_add_fault (f->backend,
      "cut-request bytes=30000 method=PUT path=chunked_upload/ "
      "skip=1 times=1");
  child = spawn_gst_launch (f, bytes, "-e -m",
      "model-name=launched retry-backoff-factor=0.01");
  if (child == NULL)
    return;
  communicate (child, &out, &err);
  if (!g_subprocess_get_if_exited (child)
      || g_subprocess_get_exit_status (child) != 0)
    g_error ("gst-launch-1.0 failed:\n%s\n%s", out, err);

  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS + 1);
  want = g_strdup_printf ("synapse-model-created, model-id=(gint64)%d,",
      SEEDED_MODELS + 1);
  g_assert_nonnull (strstr (out, want));
  g_assert_nonnull (strstr (out, "Got EOS from element"));
  assert_stored (f, SEEDED_MODELS + 1, bytes);
}

/* Interrupted without -e, gst-launch-1.0 stops reading its bus before it
 * stops the pipeline: the abandoned upload must be said on stderr. */
static void
test_gst_launch_says_abandoned (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = kit_make_bytes (4 * SMALL_CHUNK, 32);
  g_autoptr (GSubprocess) child = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;

  /* the second chunk never gets an answer: the upload is under way */
  kit_add_fault (f->backend, "stall method=PUT path=chunked_upload/ skip=1");
  child = spawn_gst_launch (f, bytes, "", "model-name=interrupted");
  if (child == NULL)
    return;
  kit_wait_for_requests (f->backend, "chunked_upload/", 2);
  /* Ctrl-C, and no -e: no EOS */
  g_subprocess_send_signal (child, SIGINT);
  communicate (child, &out, &err);

  if (!strstr (err, ABANDONED "model.bin was abandoned after 65536 bytes "
          "had been sent, and no model was created."))
    g_error ("gst-launch-1.0 did not say the upload was abandoned:\n%s\n%s",
        out, err);
  g_assert_nonnull (strstr (out, "Interrupt: Stopping pipeline"));
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      SEEDED_MODELS);
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
  kit_assert_connection_from_environment ("synapsemodelsink");
}

/* Runs a good and a refused upload; the parent runs this in a child
 * process with GST_DEBUG=*:9 into a file. */
static void
test_token_never_logged_subprocess (Fixture * f, gconstpointer data)
{
  g_autoptr (GBytes) bytes = kit_make_bytes (3000, 41);
  g_auto (Input) good_input = { 0 };
  g_auto (Input) bad_input = { 0 };
  g_autofree gchar *good_source =
      input_prepare (f, &good_input, SOURCE_FILESRC, bytes, NULL);
  g_autofree gchar *bad_source =
      input_prepare (f, &bad_input, SOURCE_FILESRC, bytes, NULL);
  g_autoptr (GstElement) good = make_pipeline (f, good_source,
      MODEL " chunk-size=1024");
  g_autoptr (GstElement) bad = make_pipeline (f, bad_source, MODEL);
  g_auto (KitRun) refused = { 0 };

  run_to_eos (good, &good_input);
  g_object_set (get_sink (bad), "access-token", WRONG_TOKEN, NULL);
  play (&refused, bad, &bad_input);
  kit_run_end (&refused);
  g_assert_error (refused.gerror, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED);
}

static void
test_token_never_logged (Fixture * f, gconstpointer data)
{
  /* the log did capture the element's work, and the refusal */
  const gchar *const logged[] = { "created model", "HTTP 401", NULL };

  kit_assert_child_logs_no_secret ("/synapsemodelsink/security/"
      "token-never-logged/subprocess", f->dir, logged, secrets);
}

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    g_autofree gchar *path = g_strconcat ("/synapsemodelsink/", rows[i].name,
        NULL);

    g_test_add (path, Fixture, &rows[i], fixture_set_up, test_row,
        fixture_tear_down);
  }

#define ADD(name, func) \
  g_test_add ("/synapsemodelsink/" name, Fixture, NULL, fixture_set_up, func, \
      fixture_tear_down)

  ADD ("messages/created-before-eos", test_created_before_eos);
  ADD ("messages/progress-is-rate-limited", test_progress_is_rate_limited);
  ADD ("settings/every-problem-at-once", test_every_problem_at_once);
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
