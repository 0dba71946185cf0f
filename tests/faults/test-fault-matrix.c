/* test-fault-matrix.c: one table of faults, for the library and both
 * elements, against the in-process local backend
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each row injects one fault (a spec of synapse_test_fault_parse(), and
 * sometimes an action from another thread: the backend stopped and
 * started again, or its uploads expired) into one subject, and says what
 * the user must get: the very output of a run without the fault, or an
 * error of a given domain and code that names the cause. Whatever the
 * outcome, the checks are the same:
 *
 * - listings (library list_all, a pager with prefetch, a synapsegtsrc
 *   pipeline): what was delivered is the backend's events in order, each
 *   once (compared with synapse_test_backend_dup_events()); after an
 *   error, exactly the events of the pages before the failed one;
 * - uploads (SynapseChunkedUpload, create_model, a synapsemodelsink
 *   pipeline): on success the bytes stored are the file's and a single
 *   upload was made (an interrupted upload resumed rather than started
 *   over); a failed upload creates no model, and no complete upload;
 * - the fault did hit (no row passes by missing its target).
 *
 * The 404 of a dataset version: what a user hits is GET
 * ground_truth_dataset_versions/<id>/ for an unknown id (404, the
 * "version" rows). A listing filtered on an unknown version is answered
 * 400 by the backend (DRF: "Select a valid choice"), which is the
 * synapsegtsrc row; a version deleted while it is streamed gives a 404 on
 * a later page, which the "404-mid-stream" rows inject.
 */

#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "kit-gst.h"

#define TOKEN "matrix-Token-4e1b7d93"
#define EVENTS 50               /* in version 1, the one listed */
#define PAGE 10                 /* 5 pages */
#define FILE_SIZE 200000        /* 4 chunks */
#define CHUNK 65536
#define SEEDED_MODELS 2
#define RESTART_DOWNTIME_MS 200
#define EVENTS_PATH "path=sdk/ground_truth_events/"
#define PUT_CHUNK "method=PUT path=chunked_upload/"

typedef enum
{
  LIST_ALL,                     /* list_ground_truth_events (), list_all */
  PAGER,                        /* synapse_pager_next with prefetch 4 */
  GTSRC,                        /* synapsegtsrc ! filesink, prefetch 4 */
  VERSION,                      /* synapse_client_get_ground_truth_version */
  UPLOAD,                       /* SynapseChunkedUpload, written in pieces */
  CREATE_MODEL,                 /* synapse_client_create_model from a file */
  MODELSINK,                    /* filesrc ! synapsemodelsink */
} Subject;

static const gchar *const subject_names[] = {
  "list-all", "pager", "gtsrc", "version", "upload", "create-model",
  "modelsink",
};

typedef enum
{
  ACTION_NONE,
  /* once the row's fault hit: stop the backend, wait, start it again */
  ACTION_RESTART,
  /* once the first chunk is stored: every unfinished upload expires */
  ACTION_EXPIRE,
} Action;

typedef struct
{
  const gchar *name;
  Subject subject;
  const gchar *fault;           /* NULL: none */
  Action action;

  /* settings (0: the default) */
  guint timeout;                /* s; default 10 */
  gint retries;                 /* default 3; NO_RETRIES for 0 */
  gdouble backoff_max;          /* s; default 0.05 */
  guint64 max_upload_bytes;
  gint64 version;               /* default 1 */
  gboolean hide_model_upload;   /* models do not name their upload */
  guint low_speed_limit;        /* B/s; default the client's */

  /* the outcome: 0 for success, else the error code, SynapseClientError
   * for the library, GstResourceError (in GST_RESOURCE_ERROR) for the
   * elements */
  gint code;
  guint status;                 /* the HTTP status it carries; 0: none */
  const gchar *says;            /* the message names the cause */
  guint delivered;              /* listings: events delivered before it */
  gint models;                  /* uploads: models created */
  guint mismatches;             /* uploads: "Offsets do not match" answers */
  gdouble min_seconds;          /* e.g. Retry-After honoured */
} Row;

#define NO_RETRIES -1
#define OK .code = 0
#define ONE_MODEL .models = 1

/* *INDENT-OFF* */
static const Row rows[] = {
  /* --- 503 bursts within the retry budget: identical output ----------- */
  {"503-burst", LIST_ALL, "status=503 " EVENTS_PATH " query=page=2 times=3",
      .retries = 3, OK},
  {"503-burst", PAGER, "status=503 " EVENTS_PATH " query=page=3 times=3",
      .retries = 3, OK},
  {"503-burst", GTSRC, "status=503 " EVENTS_PATH " query=page=4 times=3",
      .retries = 3, OK},
  {"503-burst", UPLOAD, "status=503 " PUT_CHUNK " skip=1 times=3",
      .retries = 3, OK},
  {"503-burst", CREATE_MODEL, "status=503 " PUT_CHUNK " skip=2 times=3",
      .retries = 3, OK, ONE_MODEL},
  {"503-burst", MODELSINK, "status=503 " PUT_CHUNK " skip=1 times=3",
      .retries = 3, OK, ONE_MODEL},
  /* (a 503 on model creation is not repeated blindly: see the recovery
   * rows below) */
  /* --- 503 beyond the budget: the real status, what came before kept -- */
  {"503-beyond-budget", LIST_ALL, "status=503 " EVENTS_PATH " query=page=2",
        .retries = 2, .code = SYNAPSE_CLIENT_ERROR_SERVICE_UNAVAILABLE,
      .status = 503, .says = "503"},
  {"503-beyond-budget", PAGER, "status=503 " EVENTS_PATH " query=page=3",
        .retries = 2, .code = SYNAPSE_CLIENT_ERROR_SERVICE_UNAVAILABLE,
      .status = 503, .says = "page=3", .delivered = 20},
  {"503-beyond-budget", GTSRC, "status=503 " EVENTS_PATH " query=page=2",
        .retries = 2, .code = GST_RESOURCE_ERROR_READ, .status = 503,
      .says = "HTTP 503", .delivered = 10},
  {"503-beyond-budget", MODELSINK, "status=503 " PUT_CHUNK " skip=1",
        .retries = 2, .code = GST_RESOURCE_ERROR_WRITE, .status = 503,
      .says = "HTTP 503"},

  /* --- 429 with Retry-After: honoured (1 s, not the 0.01 s backoff) --- */
  {"429-retry-after", LIST_ALL,
        "status=429 retry-after=1 " EVENTS_PATH " query=page=2 times=1",
      .backoff_max = 5, OK, .min_seconds = 0.9},
  {"429-retry-after", PAGER,
        "status=429 retry-after=1 " EVENTS_PATH " query=page=4 times=1",
      .backoff_max = 5, OK, .min_seconds = 0.9},
  {"429-retry-after", GTSRC,
        "status=429 retry-after=1 " EVENTS_PATH " query=page=3 times=1",
      .backoff_max = 5, OK, .min_seconds = 0.9},
  {"429-retry-after", UPLOAD,
        "status=429 retry-after=1 " PUT_CHUNK " skip=1 times=1",
      .backoff_max = 5, OK, .min_seconds = 0.9},
  {"429-retry-after", MODELSINK,
        "status=429 retry-after=1 " PUT_CHUNK " skip=2 times=1",
      .backoff_max = 5, OK, ONE_MODEL, .min_seconds = 0.9},

  /* --- a connection cut mid-page and mid-chunk ------------------------ */
  {"cut-mid-page", LIST_ALL,
      "cut-response bytes=700 " EVENTS_PATH " query=page=3 times=1", OK},
  {"cut-mid-page", PAGER,
      "cut-response bytes=700 " EVENTS_PATH " query=page=2 times=2", OK},
  {"cut-mid-page", GTSRC,
      "cut-response bytes=700 " EVENTS_PATH " query=page=5 times=1", OK},
  {"cut-mid-page", GTSRC,
        "cut-response bytes=700 " EVENTS_PATH " query=page=5",
        .retries = 1, .code = GST_RESOURCE_ERROR_READ, .delivered = 40,
      .says = "The connection to the Synapse backend at http://127.0.0.1:"},
  {"cut-mid-chunk", UPLOAD,
      "cut-request bytes=20000 " PUT_CHUNK " skip=1 times=1", OK},
  {"cut-mid-chunk", CREATE_MODEL,
      "cut-request bytes=20000 " PUT_CHUNK " skip=2 times=1", OK, ONE_MODEL},
  {"cut-mid-chunk", MODELSINK,
      "cut-request bytes=20000 " PUT_CHUNK " skip=1 times=1", OK, ONE_MODEL},
  /* the chunk is stored, its reply lost: the retry hears "Offsets do not
   * match" and the upload goes on from the backend's offset */
  {"reply-lost", UPLOAD, "drop-response " PUT_CHUNK " skip=2 times=1", OK,
      .mismatches = 1},
  {"reply-lost", CREATE_MODEL, "drop-response " PUT_CHUNK " skip=1 times=1",
      OK, ONE_MODEL, .mismatches = 1},
  {"reply-lost", MODELSINK, "drop-response " PUT_CHUNK " skip=1 times=1",
      OK, ONE_MODEL, .mismatches = 1},
  /* the first chunk creates the upload: its lost answer is not resent
   * blindly; the upload it made is looked up and resumed, one upload */
  {"reply-lost-on-first-chunk", UPLOAD,
      "drop-response " PUT_CHUNK " times=1", OK},
  {"reply-lost-on-first-chunk", CREATE_MODEL,
      "drop-response " PUT_CHUNK " times=1", OK, ONE_MODEL},
  {"reply-lost-on-first-chunk", MODELSINK,
      "drop-response " PUT_CHUNK " times=1", OK, ONE_MODEL},
  {"504-after-creating-upload", UPLOAD,
      "replace-status status=504 " PUT_CHUNK " times=1", OK},
  {"504-after-creating-upload", MODELSINK,
      "replace-status status=504 " PUT_CHUNK " times=1", OK, ONE_MODEL},

  /* --- model creation recovers a lost answer: exactly one model ------- */
  /* the model is created but its reply lost: the lookup by its upload
   * finds it, as if the answer had arrived */
  {"reply-lost-on-creation", CREATE_MODEL,
      "drop-response method=POST path=models/ times=1", OK, ONE_MODEL},
  {"reply-lost-on-creation", MODELSINK,
      "drop-response method=POST path=models/ times=1", OK, ONE_MODEL},
  /* a gateway that answers 504 to every POST after the backend acted */
  {"504-after-creating", CREATE_MODEL,
        "replace-status status=504 method=POST path=models/ times=0", OK,
      ONE_MODEL},
  {"504-after-creating", MODELSINK,
        "replace-status status=504 method=POST path=models/ times=0", OK,
      ONE_MODEL},
  /* a 503 that never reached the backend: none found, created once */
  {"503-not-handled-on-creation", CREATE_MODEL,
      "status=503 method=POST path=models/ times=1", OK, ONE_MODEL},
  {"503-not-handled-on-creation", MODELSINK,
      "status=503 method=POST path=models/ times=1", OK, ONE_MODEL},
  /* a backend whose models do not say which upload they came from: the
   * model cannot be found, and the error says it may exist */
  {"creation-lost-upload-not-named", CREATE_MODEL,
        "replace-status status=504 method=POST path=models/ times=0",
        .hide_model_upload = TRUE,
        .code = SYNAPSE_CLIENT_ERROR_GATEWAY_TIMEOUT, .status = 504,
      .says = "the model may exist all the same, made from upload",
      ONE_MODEL},
  {"creation-lost-upload-not-named", MODELSINK,
        "replace-status status=504 method=POST path=models/ times=0",
        .hide_model_upload = TRUE, .code = GST_RESOURCE_ERROR_WRITE,
        .status = 504,
      .says = "the model may exist all the same, made from upload",
      ONE_MODEL},

  /* --- offsets that move back and forth: a bounded number of resumes - */
  {"oscillating-offsets", UPLOAD, "oscillate-offset " PUT_CHUNK " skip=1",
        .code = SYNAPSE_CLIENT_ERROR_PROTOCOL, .says = "went back 2 times",
      .mismatches = 4},
  {"oscillating-offsets", CREATE_MODEL,
        "oscillate-offset " PUT_CHUNK " skip=2",
        .code = SYNAPSE_CLIENT_ERROR_PROTOCOL, .says = "went back 2 times",
      .mismatches = 4},
  {"oscillating-offsets", MODELSINK, "oscillate-offset " PUT_CHUNK " skip=1",
        .code = GST_RESOURCE_ERROR_WRITE,
        .says = "answer that could not be understood", .mismatches = 4},

  /* --- a truncated JSON page (a complete, short answer) --------------- */
  {"truncated-page", LIST_ALL,
      "truncate bytes=333 " EVENTS_PATH " query=page=2 times=1", OK},
  {"truncated-page", PAGER,
      "truncate bytes=333 " EVENTS_PATH " query=page=5 times=2", OK},
  {"truncated-page", GTSRC,
      "truncate bytes=333 " EVENTS_PATH " query=page=3 times=1", OK},
  {"truncated-page", PAGER,
        "truncate bytes=333 " EVENTS_PATH " query=page=2", .retries = 1,
        .code = SYNAPSE_CLIENT_ERROR_PROTOCOL, .says = "page=2",
      .delivered = 10},

  /* --- a response slower than the timeout ----------------------------- */
  {"slower-than-timeout", LIST_ALL,
        "stall ms=2500 " EVENTS_PATH " query=page=2 times=1", .timeout = 1,
      OK, .min_seconds = 0.9},
  {"slower-than-timeout", PAGER,
        "stall ms=2500 " EVENTS_PATH " query=page=3 times=1", .timeout = 1,
      OK, .min_seconds = 0.9},
  {"slower-than-timeout", GTSRC,
        "stall ms=2500 " EVENTS_PATH " query=page=2 times=1", .timeout = 1,
      OK, .min_seconds = 0.9},
  {"slower-than-timeout", UPLOAD,
        "stall ms=2500 " PUT_CHUNK " skip=1 times=1", .timeout = 1, OK,
      .min_seconds = 0.9},
  {"slower-than-timeout", MODELSINK,
        "stall ms=2500 " PUT_CHUNK " skip=2 times=1", .timeout = 1, OK,
      ONE_MODEL, .min_seconds = 0.9},
  {"slower-than-timeout-exhausted", PAGER,
        "stall ms=2500 " EVENTS_PATH " query=page=2", .timeout = 1,
        .retries = 1, .code = SYNAPSE_CLIENT_ERROR_TIMEOUT,
      .says = "page=2", .delivered = 10, .min_seconds = 1.9},
  {"slower-than-timeout-exhausted", GTSRC,
        "stall ms=2500 " EVENTS_PATH " query=page=4", .timeout = 1,
        .retries = NO_RETRIES, .code = GST_RESOURCE_ERROR_READ,
      .says = "did not answer in time", .delivered = 30, .min_seconds = 0.9},

  /* --- the backend stopped and started again mid-stream --------------- */
  {"backend-restarted", LIST_ALL,
        "delay ms=1000 " EVENTS_PATH " query=page=3 times=1",
      ACTION_RESTART, .retries = 10, .backoff_max = 0.1, OK},
  {"backend-restarted", PAGER,
        "delay ms=1000 " EVENTS_PATH " query=page=3 times=1",
      ACTION_RESTART, .retries = 10, .backoff_max = 0.1, OK},
  {"backend-restarted", GTSRC,
        "delay ms=1000 " EVENTS_PATH " query=page=4 times=1",
      ACTION_RESTART, .retries = 10, .backoff_max = 0.1, OK},
  {"backend-restarted", UPLOAD, "delay ms=1000 " PUT_CHUNK " skip=2 times=1",
      ACTION_RESTART, .retries = 10, .backoff_max = 0.1, OK},
  {"backend-restarted", CREATE_MODEL,
        "delay ms=1000 " PUT_CHUNK " skip=1 times=1", ACTION_RESTART,
      .retries = 10, .backoff_max = 0.1, OK, ONE_MODEL},
  {"backend-restarted", MODELSINK,
        "delay ms=1000 " PUT_CHUNK " skip=2 times=1", ACTION_RESTART,
      .retries = 10, .backoff_max = 0.1, OK, ONE_MODEL},

  /* --- a 401 mid-stream: never retried, says so ----------------------- */
  {"401-mid-stream", LIST_ALL, "status=401 " EVENTS_PATH " query=page=3",
        .code = SYNAPSE_CLIENT_ERROR_UNAUTHORIZED, .status = 401,
      .says = "401"},
  {"401-mid-stream", PAGER, "status=401 " EVENTS_PATH " query=page=3",
        .code = SYNAPSE_CLIENT_ERROR_UNAUTHORIZED, .status = 401,
      .says = "401", .delivered = 20},
  {"401-mid-stream", GTSRC, "status=401 " EVENTS_PATH " query=page=3",
        .code = GST_RESOURCE_ERROR_NOT_AUTHORIZED, .status = 401,
      .says = "refused the access token (HTTP 401)", .delivered = 20},
  {"401-mid-upload", UPLOAD, "status=401 " PUT_CHUNK " skip=1",
        .code = SYNAPSE_CLIENT_ERROR_UNAUTHORIZED, .status = 401,
      .says = "401"},
  {"401-mid-upload", CREATE_MODEL, "status=401 " PUT_CHUNK " skip=2",
        .code = SYNAPSE_CLIENT_ERROR_UNAUTHORIZED, .status = 401,
      .says = "401"},
  {"401-mid-upload", MODELSINK, "status=401 " PUT_CHUNK " skip=1",
        .code = GST_RESOURCE_ERROR_NOT_AUTHORIZED, .status = 401,
      .says = "refused the access token (HTTP 401)"},

  /* --- a 404 dataset version ------------------------------------------ */
  {"404-unknown-version", VERSION, NULL, .version = 99,
        .code = SYNAPSE_CLIENT_ERROR_NOT_FOUND, .status = 404,
      .says = "ground_truth_dataset_versions/99/"},
  {"404-mid-stream", PAGER,
        "status=404 body='{\"detail\": \"Invalid page.\"}' " EVENTS_PATH
        " query=page=2", .code = SYNAPSE_CLIENT_ERROR_NOT_FOUND,
      .status = 404, .says = "Invalid page.", .delivered = 10},
  {"404-mid-stream", GTSRC, "status=404 " EVENTS_PATH " query=page=4",
        .code = GST_RESOURCE_ERROR_NOT_FOUND, .status = 404,
      .says = "HTTP 404", .delivered = 30},
  {"400-unknown-version", GTSRC, NULL, .version = 99,
        .code = GST_RESOURCE_ERROR_READ, .status = 400,
      .says = "Select a valid choice"},

  /* --- a 413 on upload ------------------------------------------------ */
  {"413-too-large", UPLOAD, NULL, .max_upload_bytes = 100000,
        .code = SYNAPSE_CLIENT_ERROR_PAYLOAD_TOO_LARGE, .status = 413,
      .says = "413"},
  {"413-too-large", CREATE_MODEL, NULL, .max_upload_bytes = 100000,
        .code = SYNAPSE_CLIENT_ERROR_PAYLOAD_TOO_LARGE, .status = 413,
      .says = "413"},
  {"413-too-large", MODELSINK, NULL, .max_upload_bytes = 100000,
        .code = GST_RESOURCE_ERROR_WRITE, .status = 413,
      .says = "too large (HTTP 413)"},

  /* --- an expired upload ---------------------------------------------- */
  {"410-expired", UPLOAD, NULL, ACTION_EXPIRE,
        .code = SYNAPSE_CLIENT_ERROR_GONE, .status = 410,
      .says = "expired"},
  {"410-expired", CREATE_MODEL, NULL, ACTION_EXPIRE,
        .code = SYNAPSE_CLIENT_ERROR_GONE, .status = 410,
      .says = "expired"},
  {"410-expired", MODELSINK, NULL, ACTION_EXPIRE,
        .code = GST_RESOURCE_ERROR_WRITE, .status = 410,
      .says = "expired (HTTP 410)"},

  /* --- every read busy, next to nothing moved: the low-speed limit ends
   * the attempt after about `timeout`, and it is retried -------------- */
  {"trickle", LIST_ALL,
        "trickle bytes=1 ms=1000 " EVENTS_PATH " query=page=2 times=1",
      .timeout = 1, OK, .min_seconds = 0.9},
  {"trickle", GTSRC,
        "trickle bytes=1 ms=1000 " EVENTS_PATH " query=page=3 times=1",
      .timeout = 1, OK, .min_seconds = 0.9},
  {"processing-forever", PAGER,
        "processing ms=300 " EVENTS_PATH " query=page=2 times=1",
      .timeout = 1, OK, .min_seconds = 0.9},
  /* the chunk was stored before the 102s: the retry resumes from it */
  {"processing-forever", MODELSINK,
        "processing ms=300 " PUT_CHUNK " skip=1 times=1", .timeout = 1, OK,
      ONE_MODEL, .mismatches = 1, .min_seconds = 0.9},
  {"trickle-exhausted", GTSRC,
        "trickle bytes=1 ms=1000 " EVENTS_PATH " query=page=3",
        .timeout = 1, .retries = NO_RETRIES, .code = GST_RESOURCE_ERROR_READ,
      .says = "did not answer in time", .delivered = 20, .min_seconds = 0.9},
  /* the element's low-speed-limit is the client's: a page sent at 2 KB/s
   * (over more than a second) is below a floor of 1 MB/s */
  {"below-the-floor", GTSRC,
        "trickle bytes=100 ms=50 " EVENTS_PATH " query=page=2",
        .timeout = 1, .low_speed_limit = 1000000, .retries = NO_RETRIES,
        .code = GST_RESOURCE_ERROR_READ, .says = "did not answer in time",
      .delivered = 10},
};
/* *INDENT-ON* */

/* ------------------------------------------------------------------------ */

typedef struct
{
  const Row *row;
  SynapseTestBackend *backend;
  gchar *url;
  gchar *dir;
  guint fault_id;
  gint64 version;
  GBytes *data;                 /* the file uploaded */
  gchar *path;
  guint models_before;

  /* the action */
  GThread *restarter;
  gint expired;                 /* atomic */

  /* what the run gave */
  gint64 elapsed_us;
  GError *error;                /* library subjects */
  KitRun run;                   /* element subjects */
  JsonArray *events;            /* listings: what was delivered */
  GBytes *stored;               /* uploads: what the backend stored */
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  const Row *row = data;
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 1,
    .events = EVENTS,
    .models = SEEDED_MODELS,
    .seed = 7,
    .max_upload_bytes = row->max_upload_bytes,
    .hide_model_upload = row->hide_model_upload,
  };

  f->row = row;
  f->version = row->version ? row->version : 1;
  f->backend = kit_backend_new (&options, &f->url);
  f->dir = kit_make_tmp_dir ();
  f->data = kit_make_bytes (FILE_SIZE, 11);
  f->path = kit_write_file (f->dir, "matrix.bin", f->data);
  f->models_before = synapse_test_backend_count_models (f->backend);
  if (row->fault)
    f->fault_id = kit_add_fault (f->backend, row->fault);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_assert_null (f->restarter);
  g_clear_error (&f->error);
  kit_run_clear (&f->run);
  g_clear_pointer (&f->events, json_array_unref);
  g_clear_pointer (&f->stored, g_bytes_unref);
  g_clear_object (&f->backend);
  kit_clear_tmp_dir (&f->dir);
  g_free (f->url);
  g_free (f->path);
  g_bytes_unref (f->data);
}

static guint
row_timeout (const Row * row)
{
  return row->timeout ? row->timeout : 10;
}

static guint
row_retries (const Row * row)
{
  if (row->retries < 0)
    return 0;
  return row->retries ? row->retries : 3;
}

static gdouble
row_backoff_max (const Row * row)
{
  return row->backoff_max > 0 ? row->backoff_max : 0.05;
}

/* --- actions ------------------------------------------------------------ */

/* Waits for the row's fault to take a request (a delayed one, still in
 * flight), then stops the backend (every connection dropped) and starts
 * it again on the same port. */
static gpointer
restart_backend (gpointer data)
{
  Fixture *f = data;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autoptr (GError) error = NULL;

  while (synapse_test_backend_get_fault_hits (f->backend, f->fault_id) == 0) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (1000);
  }
  /* let the request's body arrive (a chunk is then stored, its answer
   * never sent) */
  g_usleep (100 * 1000);
  synapse_test_backend_stop (f->backend);
  g_usleep (RESTART_DOWNTIME_MS * 1000);
  g_assert_true (synapse_test_backend_start (f->backend, &error));
  g_assert_no_error (error);
  return NULL;
}

static void
action_begin (Fixture * f)
{
  if (f->row->action == ACTION_RESTART) {
    g_assert_cmpuint (f->fault_id, >, 0);
    f->restarter = g_thread_new ("restarter", restart_backend, f);
  }
}

static void
action_end (Fixture * f)
{
  if (f->restarter)
    g_thread_join (g_steal_pointer (&f->restarter));
}

/* After the first chunk is stored: from the uploading thread, so nothing
 * else is sent in between. */
static void
expire_once (Fixture * f)
{
  if (f->row->action == ACTION_EXPIRE
      && g_atomic_int_compare_and_exchange (&f->expired, 0, 1))
    synapse_test_backend_expire_uploads (f->backend);
}

static void
on_library_progress (guint64 sent, guint64 total, gpointer data)
{
  expire_once (data);
}

static void
on_element_message (GstMessage * message, gpointer data)
{
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
      && gst_message_has_name (message, "synapse-upload-progress"))
    expire_once (data);
}

/* --- subjects ----------------------------------------------------------- */

static SynapseClient *
make_client (Fixture * f, guint prefetch)
{
  SynapseClient *client = kit_client_new (f->url, TOKEN);

  g_object_set (client, "timeout", row_timeout (f->row), "retries",
      row_retries (f->row), "retry-backoff-max", row_backoff_max (f->row),
      "page-size", PAGE, "prefetch", prefetch, NULL);
  if (f->row->low_speed_limit)
    g_object_set (client, "low-speed-limit", f->row->low_speed_limit, NULL);
  return client;
}

static JsonObject *
listing_params (Fixture * f)
{
  JsonObject *params = json_object_new ();
  JsonArray *versions = json_array_new ();

  json_array_add_int_element (versions, f->version);
  json_object_set_array_member (params, "ground_truth_dataset_versions",
      versions);
  return params;
}

static void
run_list_all (Fixture * f)
{
  g_autoptr (SynapseClient) client = make_client (f, 1);
  g_autoptr (JsonObject) params = listing_params (f);
  guint64 total = 0;

  f->events = synapse_client_list_ground_truth_events (client, params, NULL,
      TRUE, &total, NULL, &f->error);
  if (f->events == NULL)
    f->events = json_array_new ();
  else
    g_assert_cmpuint (total, ==, EVENTS);
}

static void
run_pager (Fixture * f)
{
  g_autoptr (SynapseClient) client = make_client (f, 4);
  g_autoptr (JsonObject) params = listing_params (f);
  g_autoptr (SynapsePager) pager =
      synapse_client_iter_ground_truth_events (client, params, NULL);
  JsonObject *event;

  g_assert_cmpuint (synapse_pager_get_prefetch (pager), ==, 4);
  f->events = json_array_new ();
  while ((event = synapse_pager_next (pager, NULL, &f->error)))
    json_array_add_object_element (f->events, event);
}

static void
run_version (Fixture * f)
{
  g_autoptr (SynapseClient) client = make_client (f, 1);
  g_autoptr (JsonObject) version =
      synapse_client_get_ground_truth_version (client, f->version, NULL,
      &f->error);

  if (version)
    g_assert_cmpint (json_object_get_int_member (version, "id"), ==,
        f->version);
}

static void
run_upload (Fixture * f)
{
  g_autoptr (SynapseClient) client = make_client (f, 1);
  g_autoptr (SynapseChunkedUpload) upload =
      synapse_chunked_upload_new (client, f->path, FILE_SIZE, CHUNK);
  g_autoptr (JsonObject) result = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (f->data, &size);

  synapse_chunked_upload_set_progress_func (upload, on_library_progress, f,
      NULL);
  /* in pieces of an odd size, as the sink gets them */
  for (gsize done = 0; done < size;) {
    gsize n = MIN (10007, size - done);

    if (!synapse_chunked_upload_write (upload, data + done, n, NULL, &f->error))
      return;
    done += n;
  }
  result = synapse_chunked_upload_complete (upload, NULL, &f->error);
  if (result)
    f->stored = kit_dup_upload_bytes (f->backend,
        json_object_get_string_member (result, "id"));
}

static JsonObject *
model_data (Fixture * f)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "name", "matrix-model");
  json_object_set_string_member (data, "model_type", "detection");
  json_object_set_int_member (data, "project", 1);
  json_object_set_string_member (data, "file", f->path);
  return data;
}

static void
run_create_model (Fixture * f)
{
  g_autoptr (SynapseClient) client = make_client (f, 1);
  g_autoptr (JsonObject) data = model_data (f);
  g_autoptr (JsonObject) model = NULL;

  g_object_set (client, "chunk-size", (guint64) CHUNK, NULL);
  model = synapse_client_create_model (client, data, on_library_progress, f,
      NULL, &f->error);
  if (model)
    f->stored = kit_dup_model_file (f->backend,
        json_object_get_int_member (model, "id"));
}

static gchar *
connection_props (Fixture * f)
{
  g_autofree gchar *low_speed = f->row->low_speed_limit ?
      g_strdup_printf (" low-speed-limit=%u", f->row->low_speed_limit) : NULL;

  return g_strdup_printf ("base-url=\"%s\" access-token=%s timeout=%u "
      "retries=%u retry-backoff-factor=0.01 retry-backoff-max=%g%s", f->url,
      TOKEN, row_timeout (f->row), row_retries (f->row),
      row_backoff_max (f->row), low_speed ? low_speed : "");
}

static void
run_gtsrc (Fixture * f)
{
  g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson", NULL);
  g_autofree gchar *conn = connection_props (f);
  g_autofree gchar *launch = g_strdup_printf ("synapsegtsrc %s "
      "dataset-versions=%" G_GINT64_FORMAT " page-size=%u prefetch=4 ! "
      "filesink buffer-mode=unbuffered location=\"%s\"", conn, f->version,
      PAGE, output);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (launch, &error);

  g_assert_no_error (error);
  f->run.hook = on_element_message;
  f->run.hook_data = f;
  kit_run_pipeline (&f->run, pipeline);
  f->events = kit_read_ndjson (output);
}

static void
run_modelsink (Fixture * f)
{
  g_autofree gchar *conn = connection_props (f);
  g_autofree gchar *launch = g_strdup_printf ("filesrc location=\"%s\" ! "
      "synapsemodelsink name=sink %s chunk-size=%u model-name=matrix-model "
      "model-type=detection project=1", f->path, conn, CHUNK);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch (launch, &error);
  gint64 id = -1;

  g_assert_no_error (error);
  f->run.hook = on_element_message;
  f->run.hook_data = f;
  kit_run_pipeline (&f->run, pipeline);
  g_object_get (kit_get_element (pipeline, "sink"), "model-id", &id, NULL);
  if (f->run.eos) {
    g_assert_cmpint (id, >, SEEDED_MODELS);
    f->stored = kit_dup_model_file (f->backend, id);
  }
}

/* --- the checks --------------------------------------------------------- */

static gboolean
is_listing (Subject subject)
{
  return subject == LIST_ALL || subject == PAGER || subject == GTSRC;
}

static gboolean
is_upload (Subject subject)
{
  return subject == UPLOAD || subject == CREATE_MODEL || subject == MODELSINK;
}

static gboolean
is_element (Subject subject)
{
  return subject == GTSRC || subject == MODELSINK;
}

static void
check_outcome (Fixture * f)
{
  const Row *row = f->row;
  gboolean element = is_element (row->subject);
  const GError *error = element ? f->run.gerror : f->error;

  if (row->code == 0) {
    if (error)
      g_error ("expected success, got: %s (%s)", error->message,
          element ? f->run.debug : "");
    if (element)
      g_assert_true (f->run.eos);
    return;
  }

  if (error == NULL)
    g_error ("expected an error (code %d), got success", row->code);
  if (element) {
    guint status = 0;
    gboolean has_status = f->run.details
        && gst_structure_get_uint (f->run.details, "http-status-code",
        &status);

    /* EOS means committed: a failed sink never lets it through (a source
     * does send EOS downstream after its error, as every GstBaseSrc) */
    if (row->subject == MODELSINK)
      g_assert_false (f->run.eos);
    g_assert_error (error, GST_RESOURCE_ERROR, row->code);
    g_assert_cmpuint (has_status ? status : 0, ==, row->status);
    /* the URL of the failed request is there for programs */
    g_assert_nonnull (f->run.details);
    g_assert_true (g_str_has_prefix (gst_structure_get_string
            (f->run.details, "url"), f->url));
  } else {
    g_assert_error (error, SYNAPSE_CLIENT_ERROR, row->code);
    g_assert_cmpuint (synapse_client_error_get_status_code (error), ==,
        row->status);
  }
  if (row->says && !strstr (error->message, row->says))
    g_error ("the error \"%s\" does not say \"%s\"", error->message, row->says);
}

static void
check_listing (Fixture * f)
{
  const Row *row = f->row;
  g_autoptr (JsonArray) want = synapse_test_backend_dup_events (f->backend, 1);

  if (row->subject == VERSION || !is_listing (row->subject))
    return;
  /* what was delivered is the backend's events in order, each once */
  kit_assert_first_events (f->events, want,
      row->code == 0 ? EVENTS : row->delivered);
}

static void
check_upload (Fixture * f)
{
  const Row *row = f->row;
  guint models = synapse_test_backend_count_models (f->backend);
  guint created = models - f->models_before;

  if (!is_upload (row->subject))
    return;

  if (row->code == 0) {
    /* the very bytes, in one upload: an interruption resumed it */
    g_assert_nonnull (f->stored);
    g_assert_cmpuint (g_bytes_get_size (f->stored), ==, FILE_SIZE);
    g_assert_true (g_bytes_equal (f->stored, f->data));
    g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE),
        ==, 1);
    g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE),
        ==, 1);
  } else if (row->models == 0) {
    /* a failed upload completes nothing and creates no model */
    g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE),
        ==, 0);
  }
  g_assert_cmpuint (created, ==, row->models);
}

/* Requests the backend took but never answered (cut, dropped, stalled). */
static guint
count_unanswered (Fixture * f, const gchar * path)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests
      (f->backend);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (request->status == 0 && strstr (request->path, path))
      n++;
  }
  return n;
}

static void
check_fault_hit (Fixture * f)
{
  const Row *row = f->row;

  if (f->fault_id == 0)
    return;
  if (synapse_test_backend_get_fault_hits (f->backend, f->fault_id) == 0)
    g_error ("the fault \"%s\" never hit", row->fault);
  if (row->action == ACTION_EXPIRE)
    g_assert_cmpint (g_atomic_int_get (&f->expired), ==, 1);
  /* the stop did interrupt a request, which the client sent again */
  if (row->action == ACTION_RESTART)
    g_assert_cmpuint (count_unanswered (f, is_upload (row->subject) ?
            "chunked_upload/" : "sdk/ground_truth_events/"), >=, 1);
  /* the upload went on from the backend's offset, not from the start */
  if (row->mismatches)
    g_assert_cmpuint (kit_count_requests (f->backend, "PUT",
            "chunked_upload/", 400), ==, row->mismatches);
}

static void
test_row (Fixture * f, gconstpointer data)
{
  const Row *row = f->row;
  gint64 start = g_get_monotonic_time ();

  action_begin (f);
  switch (row->subject) {
    case LIST_ALL:
      run_list_all (f);
      break;
    case PAGER:
      run_pager (f);
      break;
    case GTSRC:
      run_gtsrc (f);
      break;
    case VERSION:
      run_version (f);
      break;
    case UPLOAD:
      run_upload (f);
      break;
    case CREATE_MODEL:
      run_create_model (f);
      break;
    case MODELSINK:
      run_modelsink (f);
      break;
  }
  f->elapsed_us = g_get_monotonic_time () - start;
  action_end (f);
  if (row->action == ACTION_EXPIRE)
    g_assert_cmpint (g_atomic_int_get (&f->expired), ==, 1);

  {
    const GError *error = is_element (row->subject) ? f->run.gerror : f->error;

    g_test_message ("%s/%s: %s in %.2f s%s%s", subject_names[row->subject],
        row->name, error ? "error" : "identical output",
        f->elapsed_us / (double) G_USEC_PER_SEC, error ? ": " : "",
        error ? error->message : "");
  }
  check_outcome (f);
  check_listing (f);
  check_upload (f);
  check_fault_hit (f);
  g_assert_cmpfloat (f->elapsed_us / (double) G_USEC_PER_SEC, >=,
      row->min_seconds);
}

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++) {
    const Row *row = &rows[i];
    g_autofree gchar *path = NULL;
    guint same = 0;

    /* a name a row, even when a subject has two rows of a fault */
    for (guint j = 0; j < i; j++)
      if (rows[j].subject == row->subject
          && g_str_equal (rows[j].name, row->name))
        same++;
    path = same ? g_strdup_printf ("/faults/%s/%s-%s",
        subject_names[row->subject], row->name, row->code ? "error" : "ok")
        : g_strdup_printf ("/faults/%s/%s", subject_names[row->subject],
        row->name);
    g_test_add (path, Fixture, row, fixture_set_up, test_row,
        fixture_tear_down);
  }
  return g_test_run ();
}
