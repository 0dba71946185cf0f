/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-synapsemodelsink
 * @title: synapsemodelsink
 * @see_also: filesrc, synapsegtsrc
 *
 * Uploads the bytes it receives as a model file to a Synapse backend and
 * registers the model. The bytes go out as they arrive, in chunks of
 * #GstSynapseModelSink:chunk-size, with the backend's chunked upload
 * (`PUT chunked_upload/`); at the end of the stream the element completes
 * the upload, which the backend checks against the file's MD5, and creates
 * the model (`POST models/`) with the properties' name, type, project and
 * so on. Any bytes are accepted (the caps are ANY): the element does not
 * look inside the file.
 *
 * ## The end of the stream means committed
 *
 * When EOS arrives, the element sends the last chunk, completes the upload,
 * creates the model, sets #GstSynapseModelSink:model-id, posts the
 * `synapse-model-created` message, and only then lets EOS go on to the
 * application. An application that sees EOS therefore knows the model
 * exists. If any step fails, the application gets an error message instead
 * of EOS, and no model exists: the model is only ever created from a
 * complete upload, and its creation is never sent twice blindly. (When the
 * backend's answer to the creation is lost, see "Robustness": only if the
 * element cannot find out whether the model was made does the error say
 * that it may exist, naming the upload it would be made from.)
 *
 * ## Pausing, stopping
 *
 * The upload runs in a thread of its own: the streaming thread hands it
 * the buffers and waits only for room for the next chunk, and EOS waits
 * for its result. Pausing the pipeline (PLAYING to PAUSED, and back) does
 * not touch it: a chunk on its way goes on, and so does the completion
 * that EOS waits for; the element holds the stream meanwhile, as a sink
 * does in PAUSED.
 *
 * A pipeline that is stopped before EOS (set to READY or NULL) cancels the
 * upload at once and creates no model; an abandoned upload is left to
 * expire on the backend. The element says how far the upload had got with
 * a RESOURCE WRITE warning, posted as it goes from PAUSED to READY (the
 * bus still delivers it then: a pipeline flushes its bus on READY to
 * NULL), and writes the same words to the GLib log (domain
 * `synapsemodelsink`, level MESSAGE: on stderr unless the application
 * installs its own log handler). The log line is for gst-launch-1.0,
 * which stops reading its bus before it stops the pipeline, however the
 * run ends (an interrupt, an error, EOS): it would never show the
 * warning. Run gst-launch-1.0 with `-e`, so that an interrupt sends EOS
 * and the model is committed rather than abandoned.
 *
 * ## A stream cut short
 *
 * EOS means "the file is complete" to the element, but a stream can end
 * early and still send EOS: `gst-launch-1.0 -e` sends it on Ctrl-C, so
 * `… | gst-launch-1.0 -e fdsrc ! synapsemodelsink` interrupted while the
 * producer still writes uploads what came so far as a complete, truncated
 * model. Nothing in the stream tells the two apart. When the size or MD5
 * of the file is known beforehand, give #GstSynapseModelSink:expected-size
 * or #GstSynapseModelSink:expected-md5: a stream that does not match fails
 * with an error, before the upload is completed, and creates no model.
 *
 * ## The size of the file
 *
 * The backend's chunked upload wants the total size of the file with the
 * first chunk. The element asks upstream for it with a duration query in
 * bytes when the first buffer arrives, if the stream is a byte stream (a
 * segment in bytes, starting at 0, as `filesrc`, `fdsrc` on a regular file
 * or `appsrc` with a `size` send). It then uploads while the data arrives,
 * holding about two chunks in memory whatever the size of the file: the one
 * going out, and the next one arriving meanwhile.
 *
 * When upstream cannot tell (a pipe through `fdsrc`, `appsrc` without a
 * size, an encoder whose output is timed), the element spools the bytes
 * to a temporary file, then uploads that file when EOS arrives and the
 * size is known. The temporary file is made in the directory that `TMPDIR`
 * names (default `/tmp`) and removed from the directory as soon as it is
 * made, so nothing is left behind even if the process dies; its space is
 * freed when the element stops. This keeps memory bounded by a chunk as
 * well, at the cost of disk space the size of the model and an upload that
 * only starts at the end of the stream. The other ways were worse: holding
 * the whole file in memory is unbounded, and announcing a made-up total
 * would break the protocol's Content-Range, which the backend checks.
 *
 * If upstream announces a size and then sends more or fewer bytes, the
 * element fails with an error and creates no model.
 *
 * ## Robustness
 *
 * A chunk that fails in a way retrying can fix (HTTP 429, 500, 502, 503,
 * 504, a broken connection, a timeout, a transfer slower than
 * #GstSynapseModelSink:low-speed-limit) is sent again with the same bytes,
 * with exponential backoff (#GstSynapseModelSink:retries); when the backend
 * holds a different part of the file than the element thought (a reply
 * was lost), the upload resumes from the backend's offset instead of
 * starting over; a backend whose offsets get nowhere (three replies in a
 * row) or go back twice ends the upload with an error instead.
 *
 * The first chunk creates the upload, so it is not sent again blindly
 * either: when its answer is lost, the element looks up the upload it made
 * (`GET chunked_upload/`, which drf-chunked-upload offers) and resumes it.
 * When the backend cannot tell (it lists no uploads, or several unfinished
 * ones of the same file hold the same first chunk), the element makes a
 * new upload and posts a RESOURCE WRITE warning saying that the backend
 * may keep an unfinished one besides it.
 *
 * Model creation is never sent twice blindly, since a second request could
 * create a second model. When its answer is lost or ambiguous (HTTP 500,
 * 502, 503 or 504, a connection closed or timed out after the request went
 * out), the element looks the model up (`GET models/?project=…&search=…`)
 * by the upload it was made from: found, it goes on exactly as if the
 * answer had arrived (#GstSynapseModelSink:model-id, `synapse-model-created`,
 * EOS); not there, it creates the model once more. A backend whose models
 * do not say which upload they came from (`chunked_upload`), a lookup that
 * fails, or a second lost answer end in an error that says the model may
 * exist and names the upload. Going to READY or NULL cancels the request
 * in flight and any backoff wait at once, so a hung backend never blocks a
 * state change; pausing cancels nothing. A flushing seek in the middle of an upload ends it with an
 * error: a model file cannot be repositioned.
 *
 * The backend's URL and credentials default to the environment variables
 * `SYNAPSE_BACKEND_URL`, `SYNAPSE_ACCESS_TOKEN` and `SYNAPSE_TENANT`, read
 * when the element is made, so that a token need not appear on a command
 * line, or read from a file with #GstSynapseModelSink:access-token-file.
 * The #GstSynapseModelSink:access-token property never reads back in clear,
 * and the token appears in no log line or message; nor does a password in
 * #GstSynapseModelSink:base-url. A credential holding a control character
 * (a line break, say) cannot be sent in a header and is a RESOURCE
 * SETTINGS error at start, before any request.
 *
 * ## Messages
 *
 * * `synapse-upload-progress`, an element message as chunks are stored,
 *   with the fields `bytes-sent` (#guint64, bytes the backend has stored),
 *   `total` (#guint64, the size of the file) and `chunk` (#guint, how many
 *   chunks are stored). At most four are posted a second; the last one,
 *   with `bytes-sent` equal to `total`, is always posted.
 * * `synapse-model-created`, an element message once the model exists and
 *   before EOS, with the fields `model-id` (#gint64), `model` (#gchararray,
 *   the model as JSON, as the backend described it) and, when the backend
 *   gave one, `file` (#gchararray, the URL of the model's file).
 * * #GST_MESSAGE_PROGRESS with the code `upload`: START when the first
 *   buffer arrives and the upload (or the spooling) begins, CONTINUE as
 *   chunks are stored (as often as `synapse-upload-progress`), COMPLETE once
 *   the model is created, ERROR when the upload or the creation fails,
 *   CANCELED when the element stops before the end. They carry a `percent`
 *   field (#gint) once the size is known. The operation only starts in
 *   PLAYING, so applications that wait for progress to complete before
 *   going to PLAYING (gst-launch-1.0) do not wait for the upload.
 * * A RESOURCE WRITE warning when the element stops before EOS: the upload
 *   was abandoned and no model was created (the same words go to the GLib
 *   log, see above); another when the backend may keep an unfinished
 *   upload besides this one (the answer to the first chunk was lost).
 * * Errors of the RESOURCE domain: SETTINGS for properties that cannot
 *   work (detected when the element starts, before any request),
 *   NOT_AUTHORIZED when the backend refuses the credentials (HTTP 401 or
 *   403), NOT_FOUND for HTTP 404, NO_SPACE_LEFT when the temporary file
 *   cannot grow, WRITE for anything else (the backend refused the data or
 *   the model, failed even after retries, could not be reached). Their
 *   details hold `http-status-code` (#guint, when the backend answered),
 *   `url` and `method` of the failed request and the backend's error body
 *   as the string `server-detail`; when the backend refuses the model
 *   (HTTP 400), the message names the fields it refused and why. Wherever
 *   the backend's own text is quoted, a tab or line break is a space and
 *   any other control character U+FFFD, so that printing an error never
 *   drives a terminal.
 *
 * ## Example launch lines
 * |[
 * SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \
 *   gst-launch-1.0 -e filesrc location=model.bin ! \
 *   synapsemodelsink model-name=yolo-v8 model-type=detection project=1
 * ]| Uploads `model.bin` in chunks of 50 MiB and registers it as the
 * detection model `yolo-v8` of project 1.
 * |[
 * gst-launch-1.0 -e -m filesrc location=weights.onnx ! \
 *   synapsemodelsink model-name=resnet model-type=classification project=4 \
 *   description="fine-tuned on set 12" metrics='{"accuracy": 0.93}' \
 *   configuration='{"input": [224, 224]}' chunk-size=8388608
 * ]| Uploads in chunks of 8 MiB and prints the messages: the
 * `synapse-upload-progress` ones, then `synapse-model-created` with the
 * new model's `model-id`.
 * |[
 * train.py | gst-launch-1.0 -e fdsrc fd=0 ! synapsemodelsink \
 *   model-name=seg model-type=segmentation project=2 filename=seg.pt
 * ]| Uploads a model written to a pipe: its size is not known, so the
 * bytes are spooled to a temporary file first.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gstsynapsemodelsink.h"
#include "gstsynapseelements.h"
#include "gstsynapseutils.h"

GST_DEBUG_CATEGORY_STATIC (gst_synapse_model_sink_debug);
#define GST_CAT_DEFAULT gst_synapse_model_sink_debug

#define PROGRESS_CODE "upload"
/* at most this many progress messages a second */
#define PROGRESS_RATE 4
#define DEFAULT_FILENAME "model.bin"
/* the piece read from the temporary file at a time, at most */
#define SPOOL_READ_SIZE (1024 * 1024)
/* how far upstream the file name is looked for */
#define MAX_UPSTREAM_DEPTH 16

#define DEFAULT_MODEL_TYPE GST_SYNAPSE_MODEL_TYPE_NONE
#define DEFAULT_PROJECT -1
#define DEFAULT_IS_ACTIVE TRUE

enum
{
  PROP_MODEL_NAME = GST_SYNAPSE_CONNECTION_PROP_LAST,
  PROP_DESCRIPTION,
  PROP_MODEL_TYPE,
  PROP_PROJECT,
  PROP_METRICS,
  PROP_CONFIGURATION,
  PROP_IS_ACTIVE,
  PROP_FILENAME,
  PROP_CHUNK_SIZE,
  PROP_EXPECTED_SIZE,
  PROP_EXPECTED_MD5,
  PROP_MODEL_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _GstSynapseModelSink
{
  GstBaseSink parent;

  /* Properties, guarded by the object lock. */
  GstSynapseConnection conn;
  gchar *model_name;
  gchar *description;
  GstSynapseModelType model_type;
  gint project;
  gchar *metrics;
  gchar *configuration;
  gboolean is_active;
  gchar *filename;
  guint64 chunk_size;
  guint64 expected_size;
  gchar *expected_md5;
  gint64 model_id;

  /* One run, from start() to stop(). Only the streaming thread touches
   * these, but for what the worker is handed when it starts. */
  SynapseClient *client;
  JsonObject *model;            /* the fields of POST models/, checked */
  gchar *run_filename;          /* the property's, or NULL: look upstream */
  gsize run_chunk_size;
  guint64 run_expected_size;    /* 0: not checked */
  gchar *run_expected_md5;      /* lower case, or NULL: not checked */
  GChecksum *md5;               /* of the bytes received, to check them */
  gchar *upload_name;           /* the name the backend stores the file under */
  gboolean started;             /* the first buffer arrived */
  guint64 received;             /* bytes received */
  guint64 announced;            /* the size upstream announced, or 0 */
  gint spool_fd;                /* the temporary file, or -1 */
  gboolean interrupted;         /* a flush broke the stream */
  gboolean done;                /* the model exists, or an error was posted */

  /* The upload runs in a worker thread of its own, so that pausing (the
   * base class's unlock ()) never touches a request in flight: render ()
   * hands it buffers, EOS waits for its result, and only stopping
   * (PAUSED to READY), a flush or a failure cancels it. Guarded by lock;
   * the worker alone uses the upload while it runs. */
  GMutex lock;
  GCond cond;
  GThread *worker;
  GCancellable *worker_cancellable;
  SynapseChunkedUpload *upload;
  GQueue queue;                 /* of GstBuffer handed over, not yet taken */
  gsize queued;                 /* their bytes */
  gboolean eos;                 /* no more buffers: finish, create */
  gboolean worker_done;         /* the worker has ended */
  gboolean worker_failed;       /* and posted an error */
  JsonObject *created;          /* its result: the model */
  gboolean creating;            /* POST models/ was sent */
  gboolean unlocked;            /* unlock (): the waits must give way */
  guint64 sent;                 /* bytes the backend acknowledged */
  guint64 total;                /* of the upload, once it exists */
  guint orphans;                /* uploads told of as possibly left behind */
  gboolean in_progress;         /* progress START awaits its end */
  gint64 last_progress;         /* monotonic time of the last message */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static const GEnumValue model_types[] = {
  {GST_SYNAPSE_MODEL_TYPE_NONE, "Not set (required)", "none"},
  {GST_SYNAPSE_MODEL_TYPE_CLASSIFICATION, "Classification", "classification"},
  {GST_SYNAPSE_MODEL_TYPE_DETECTION, "Detection", "detection"},
  {GST_SYNAPSE_MODEL_TYPE_SEGMENTATION, "Segmentation", "segmentation"},
  {0, NULL, NULL}
};

GType
gst_synapse_model_type_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("GstSynapseModelType",
            model_types));
  return type;
}

#define gst_synapse_model_sink_parent_class parent_class
G_DEFINE_TYPE (GstSynapseModelSink, gst_synapse_model_sink, GST_TYPE_BASE_SINK);

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (synapsemodelsink, "synapsemodelsink",
    GST_RANK_NONE, GST_TYPE_SYNAPSE_MODEL_SINK, synapse_element_init (plugin));

static void gst_synapse_model_sink_finalize (GObject * object);
static void gst_synapse_model_sink_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_synapse_model_sink_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static gboolean gst_synapse_model_sink_start (GstBaseSink * bsink);
static gboolean gst_synapse_model_sink_stop (GstBaseSink * bsink);
static gboolean gst_synapse_model_sink_unlock (GstBaseSink * bsink);
static gboolean gst_synapse_model_sink_unlock_stop (GstBaseSink * bsink);
static GstStateChangeReturn gst_synapse_model_sink_change_state (GstElement *
    element, GstStateChange transition);
static gboolean gst_synapse_model_sink_event (GstBaseSink * bsink,
    GstEvent * event);
static GstFlowReturn gst_synapse_model_sink_render (GstBaseSink * bsink,
    GstBuffer * buffer);

static void
gst_synapse_model_sink_class_init (GstSynapseModelSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  GParamSpecUInt64 *client_chunk_size;

  GST_DEBUG_CATEGORY_INIT (gst_synapse_model_sink_debug, "synapsemodelsink",
      0, "Synapse model upload sink");

  gobject_class->finalize = gst_synapse_model_sink_finalize;
  gobject_class->set_property = gst_synapse_model_sink_set_property;
  gobject_class->get_property = gst_synapse_model_sink_get_property;

  /**
   * GstSynapseModelSink:base-url:
   *
   * The base URL of the Synapse backend, e.g. `https://api.example.com/`.
   * When the property is not set it is read from the environment variable
   * `SYNAPSE_BACKEND_URL` as the element is made. A missing URL, or one
   * that is not http or https, fails with a RESOURCE SETTINGS error when
   * the element starts.
   *
   * A user and password in it (`https://user:password@api.example.com/`,
   * say for a proxy with Basic authentication) are taken out of it: they
   * are sent as `Authorization: Basic …` to the backend's origin only, and
   * the URL reads back, and appears in logs and messages, without them.
   * Prefer `SYNAPSE_BACKEND_URL` for such a URL: GStreamer's parser logs a
   * launch line at the DEBUG level.
   */
  /**
   * GstSynapseModelSink:access-token:
   *
   * The personal access token, sent to the backend (and only to its
   * origin) as `Synapse-Access-Token: Token …`. When the property is not
   * set it is read from the environment variable `SYNAPSE_ACCESS_TOKEN`
   * as the element is made, which keeps the token off command lines.
   * Reading the property gives %NULL when no token is set and
   * `********` when one is: the token itself is never read back.
   */
  /**
   * GstSynapseModelSink:access-token-file:
   *
   * A file holding the personal access token, read each time the element
   * starts: its content without the surrounding whitespace (a trailing
   * newline, say) is the token. It keeps the token off command lines and
   * out of the environment (GStreamer's parser logs a launch line,
   * `access-token=…` included, at the DEBUG level); a FIFO works too,
   * e.g. `access-token-file=<(pass show synapse)` in bash. A file that is
   * missing, unreadable, empty, larger than 64 KiB or more than one line
   * fails with a RESOURCE SETTINGS error at start, which names the file
   * but never shows its content. The file's token replaces one read from
   * `SYNAPSE_ACCESS_TOKEN`; setting #GstSynapseModelSink:access-token as
   * well is a RESOURCE SETTINGS error at start. Reading the property
   * gives the path.
   */
  /**
   * GstSynapseModelSink:tenant:
   *
   * The tenant code, sent as `Synapse-Tenant: Token …` when set. When the
   * property is not set it is read from the environment variable
   * `SYNAPSE_TENANT` as the element is made.
   */
  /**
   * GstSynapseModelSink:timeout:
   *
   * Seconds to wait for a connection, or for any read or write on it,
   * before the attempt fails (and is retried); 0 waits forever. A stalled
   * request never blocks a state change: going to READY cancels it.
   */
  /**
   * GstSynapseModelSink:low-speed-limit:
   *
   * The slowest transfer accepted, in bytes a second (curl's
   * `--speed-limit`, with #GstSynapseModelSink:timeout as its `--speed-time`): an
   * attempt that moves fewer than low-speed-limit × timeout bytes in any
   * window of timeout seconds fails as a timeout and is retried like one.
   * Waiting for an answer moves nothing, however many `102 Processing`
   * the backend sends, so a backend that trickles a byte a second or
   * keeps a request waiting for ever cannot hold the element. 0 turns the
   * limit off (so does a timeout of 0).
   */
  /**
   * GstSynapseModelSink:retries:
   *
   * How many times a failed chunk is sent again when retrying can help:
   * HTTP 429 (honouring `Retry-After`), 500, 502, 503 and 504, a refused or
   * broken connection. Other failures (401, 403, 404, 400, 413…) end the
   * upload at once. Model creation is never sent again blindly: a lost
   * answer is looked up first (see "Robustness" above).
   */
  /**
   * GstSynapseModelSink:retry-backoff-factor:
   *
   * Seconds to wait before the first retry; each further retry of the
   * same request waits twice as long, with random jitter down to half,
   * up to #GstSynapseModelSink:retry-backoff-max.
   */
  /**
   * GstSynapseModelSink:retry-backoff-max:
   *
   * The longest wait between two attempts, in seconds; it also caps the
   * backend's `Retry-After`.
   */
  /**
   * GstSynapseModelSink:ssl-strict:
   *
   * Whether an HTTPS backend's certificate must be trusted. Turning it
   * off accepts any certificate: for tests only; prefer
   * #GstSynapseModelSink:ca-file.
   */
  /**
   * GstSynapseModelSink:ca-file:
   *
   * A PEM file of the certificate authorities to trust instead of the
   * system's, for a backend whose certificate a company's own CA signed.
   * A file that cannot be read or holds no certificate fails with a
   * RESOURCE SETTINGS error at start; a backend whose certificate is not
   * trusted fails at the first request, before any credential is sent.
   */
  gst_synapse_connection_install_properties (gobject_class);

  /**
   * GstSynapseModelSink:model-name:
   *
   * The name of the model to create (`name`). Required: the element
   * refuses to start without it. (#GstObject:name is the element's own
   * name, hence `model-name`.)
   */
  properties[PROP_MODEL_NAME] =
      g_param_spec_string ("model-name", "Model name",
      "Name of the model to create (required)", NULL, flags);

  /**
   * GstSynapseModelSink:description:
   *
   * A description of the model (`description`); %NULL sends none.
   */
  properties[PROP_DESCRIPTION] =
      g_param_spec_string ("description", "Description",
      "Description of the model (empty: none)", NULL, flags);

  /**
   * GstSynapseModelSink:model-type:
   *
   * The kind of model (`model_type`): `classification`, `detection` or
   * `segmentation`. Required: the default, `none`, makes the element
   * refuse to start.
   */
  properties[PROP_MODEL_TYPE] =
      g_param_spec_enum ("model-type", "Model type",
      "Kind of model: classification, detection or segmentation (required)",
      GST_TYPE_SYNAPSE_MODEL_TYPE, DEFAULT_MODEL_TYPE, flags);

  /**
   * GstSynapseModelSink:project:
   *
   * The id of the project the model belongs to (`project`). Required: the
   * default, -1, makes the element refuse to start.
   */
  properties[PROP_PROJECT] =
      g_param_spec_int ("project", "Project",
      "Id of the project the model belongs to (required; -1 = not set)", -1,
      G_MAXINT, DEFAULT_PROJECT, flags);

  /**
   * GstSynapseModelSink:metrics:
   *
   * The model's metrics as a JSON object (`metrics`), e.g.
   * `{"accuracy": 0.93, "f1_score": 0.91}`; %NULL sends none. They are sent
   * as written, numbers included (`0.942` goes out as `0.942`). Anything
   * that is not a JSON object, or that could not be sent as written (a
   * number out of a double's range such as `1e400`, an integer beyond 64
   * bits, text after the object such as `{"a":1}{"b":2}`, a string holding
   * `\u0000`), fails with a RESOURCE SETTINGS error at start that names
   * the property and the reason.
   */
  properties[PROP_METRICS] =
      g_param_spec_string ("metrics", "Metrics",
      "Metrics of the model as a JSON object, e.g. "
      "'{\"accuracy\": 0.93}' (empty: none)", NULL, flags);

  /**
   * GstSynapseModelSink:configuration:
   *
   * The model's configuration as a JSON object (`configuration`), e.g.
   * `{"input": [640, 640]}`; %NULL sends none. It is sent and checked as
   * #GstSynapseModelSink:metrics are.
   */
  properties[PROP_CONFIGURATION] =
      g_param_spec_string ("configuration", "Configuration",
      "Configuration of the model as a JSON object, e.g. "
      "'{\"input\": [640, 640]}' (empty: none)", NULL, flags);

  /**
   * GstSynapseModelSink:is-active:
   *
   * Whether the new model is active (`is_active`).
   */
  properties[PROP_IS_ACTIVE] =
      g_param_spec_boolean ("is-active", "Active",
      "Whether the new model is active", DEFAULT_IS_ACTIVE, flags);

  /**
   * GstSynapseModelSink:filename:
   *
   * The name the backend stores the model's file under (its directory
   * part, if any, is dropped). When %NULL, the element takes the name of
   * the file an upstream source reads, such as `filesrc`'s `location`
   * (the last part of its URI), and `model.bin` when there is none.
   */
  properties[PROP_FILENAME] =
      g_param_spec_string ("filename", "File name",
      "Name the backend stores the file under (empty: the name of the "
      "upstream file, else \"" DEFAULT_FILENAME "\")", NULL, flags);

  /**
   * GstSynapseModelSink:chunk-size:
   *
   * Bytes sent in each request of the chunked upload, the last one
   * excepted. The element holds about two chunks in memory (the one going
   * out, the next one arriving), so this bounds its memory too. The
   * default is 50 MiB, as the Python SDK uses.
   */
  client_chunk_size =
      G_PARAM_SPEC_UINT64 (gst_synapse_client_find_property ("chunk-size"));
  properties[PROP_CHUNK_SIZE] =
      g_param_spec_uint64 ("chunk-size", "Chunk size",
      "Bytes per upload request (default 50 MiB); the element holds about "
      "two chunks in memory",
      client_chunk_size->minimum, client_chunk_size->maximum,
      client_chunk_size->default_value, flags);

  /**
   * GstSynapseModelSink:expected-size:
   *
   * The size the model file must have, in bytes; 0 (the default) checks
   * nothing. A stream of any other size fails with a RESOURCE WRITE error
   * and creates no model: at the first buffer when upstream announces
   * another size, as soon as more bytes arrive, at EOS when fewer did. A
   * stream that ends early looks complete otherwise: a pipe that
   * `gst-launch-1.0 -e` ends on Ctrl-C sends EOS after the bytes it got,
   * and only this or #GstSynapseModelSink:expected-md5 tells a cut stream
   * from a whole one.
   */
  properties[PROP_EXPECTED_SIZE] =
      g_param_spec_uint64 ("expected-size", "Expected size",
      "Size the model file must have, in bytes; any other fails and creates "
      "no model (0: not checked)", 0, G_MAXUINT64, 0, flags);

  /**
   * GstSynapseModelSink:expected-md5:
   *
   * The MD5 the model file must have, as 32 hexadecimal digits; %NULL (the
   * default) checks nothing. A stream whose MD5 differs fails at EOS with a
   * RESOURCE WRITE error, before the upload is completed, and creates no
   * model. Anything but 32 hexadecimal digits is a RESOURCE SETTINGS error
   * at start.
   */
  properties[PROP_EXPECTED_MD5] =
      g_param_spec_string ("expected-md5", "Expected MD5",
      "MD5 the model file must have (32 hex digits); any other fails and "
      "creates no model (empty: not checked)", NULL, flags);

  /**
   * GstSynapseModelSink:model-id:
   *
   * The id of the model the element created, set before EOS reaches the
   * application and kept after the element stops; -1 until the model
   * exists (and again from the next start). It is notified when set, so
   * `gst-launch-1.0 -v` prints it.
   */
  properties[PROP_MODEL_ID] =
      g_param_spec_int64 ("model-id", "Model id",
      "Id of the created model (-1 until the model exists)", -1, G_MAXINT64,
      -1, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  for (guint i = PROP_MODEL_NAME; i < N_PROPS; i++)
    g_object_class_install_property (gobject_class, i, properties[i]);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "Synapse model sink", "Sink/Network",
      "Uploads a model file to a Synapse ML backend in chunks and registers "
      "the model at EOS, e.g. filesrc location=model.bin ! synapsemodelsink "
      "model-name=m model-type=detection project=1", "gst-synapse developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_synapse_model_sink_change_state);
  basesink_class->start = GST_DEBUG_FUNCPTR (gst_synapse_model_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_synapse_model_sink_stop);
  basesink_class->unlock = GST_DEBUG_FUNCPTR (gst_synapse_model_sink_unlock);
  basesink_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_synapse_model_sink_unlock_stop);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_synapse_model_sink_event);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_synapse_model_sink_render);

  gst_type_mark_as_plugin_api (GST_TYPE_SYNAPSE_MODEL_TYPE, 0);
}

static void
gst_synapse_model_sink_init (GstSynapseModelSink * self)
{
  gst_synapse_connection_init (&self->conn);
  self->model_type = DEFAULT_MODEL_TYPE;
  self->project = DEFAULT_PROJECT;
  self->is_active = DEFAULT_IS_ACTIVE;
  self->chunk_size = G_PARAM_SPEC_UINT64 (properties[PROP_CHUNK_SIZE])
      ->default_value;
  self->model_id = -1;
  self->spool_fd = -1;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);

  /* a file upload, not a timed rendering */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
  /* no reason to keep the last buffer alive */
  gst_base_sink_set_last_sample_enabled (GST_BASE_SINK (self), FALSE);
}

static void gst_synapse_model_sink_join_worker (GstSynapseModelSink * self);

/* Drops everything a run holds; the worker must have ended. */
static void
gst_synapse_model_sink_clear_run (GstSynapseModelSink * self)
{
  gst_synapse_model_sink_join_worker (self);
  g_clear_object (&self->upload);
  g_clear_object (&self->client);
  g_clear_pointer (&self->model, json_object_unref);
  g_clear_pointer (&self->created, json_object_unref);
  g_clear_pointer (&self->run_filename, g_free);
  g_clear_pointer (&self->run_expected_md5, g_free);
  g_clear_pointer (&self->md5, g_checksum_free);
  g_clear_pointer (&self->upload_name, g_free);
  g_queue_clear_full (&self->queue, (GDestroyNotify) gst_buffer_unref);
  if (self->spool_fd >= 0) {
    /* the file has no name: closing it frees its space */
    close (self->spool_fd);
    self->spool_fd = -1;
  }
  self->run_chunk_size = 0;
  self->run_expected_size = 0;
  self->started = FALSE;
  self->received = 0;
  self->announced = 0;
  self->interrupted = FALSE;
  self->done = FALSE;
  self->queued = 0;
  self->eos = FALSE;
  self->worker_done = FALSE;
  self->worker_failed = FALSE;
  self->creating = FALSE;
  self->unlocked = FALSE;
  self->sent = 0;
  self->total = 0;
  self->orphans = 0;
  self->in_progress = FALSE;
  self->last_progress = 0;
}

static void
gst_synapse_model_sink_finalize (GObject * object)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (object);

  gst_synapse_model_sink_clear_run (self);
  gst_synapse_connection_clear (&self->conn);
  g_free (self->model_name);
  g_free (self->description);
  g_free (self->metrics);
  g_free (self->configuration);
  g_free (self->filename);
  g_free (self->expected_md5);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* A string property: empty means unset. */
static void
replace_string (gchar ** field, const GValue * value)
{
  const gchar *str = g_value_get_string (value);

  g_free (*field);
  *field = str && *str ? g_strdup (str) : NULL;
}

static void
gst_synapse_model_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (object);

  GST_OBJECT_LOCK (self);
  if (gst_synapse_connection_set_property (&self->conn, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }

  switch (prop_id) {
    case PROP_MODEL_NAME:
      replace_string (&self->model_name, value);
      break;
    case PROP_DESCRIPTION:
      replace_string (&self->description, value);
      break;
    case PROP_MODEL_TYPE:
      self->model_type = g_value_get_enum (value);
      break;
    case PROP_PROJECT:
      self->project = g_value_get_int (value);
      break;
    case PROP_METRICS:
      replace_string (&self->metrics, value);
      break;
    case PROP_CONFIGURATION:
      replace_string (&self->configuration, value);
      break;
    case PROP_IS_ACTIVE:
      self->is_active = g_value_get_boolean (value);
      break;
    case PROP_FILENAME:
      replace_string (&self->filename, value);
      break;
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint64 (value);
      break;
    case PROP_EXPECTED_SIZE:
      self->expected_size = g_value_get_uint64 (value);
      break;
    case PROP_EXPECTED_MD5:
      replace_string (&self->expected_md5, value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_synapse_model_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (object);

  GST_OBJECT_LOCK (self);
  if (gst_synapse_connection_get_property (&self->conn, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }

  switch (prop_id) {
    case PROP_MODEL_NAME:
      g_value_set_string (value, self->model_name);
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;
    case PROP_MODEL_TYPE:
      g_value_set_enum (value, self->model_type);
      break;
    case PROP_PROJECT:
      g_value_set_int (value, self->project);
      break;
    case PROP_METRICS:
      g_value_set_string (value, self->metrics);
      break;
    case PROP_CONFIGURATION:
      g_value_set_string (value, self->configuration);
      break;
    case PROP_IS_ACTIVE:
      g_value_set_boolean (value, self->is_active);
      break;
    case PROP_FILENAME:
      g_value_set_string (value, self->filename);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint64 (value, self->chunk_size);
      break;
    case PROP_EXPECTED_SIZE:
      g_value_set_uint64 (value, self->expected_size);
      break;
    case PROP_EXPECTED_MD5:
      g_value_set_string (value, self->expected_md5);
      break;
    case PROP_MODEL_ID:
      g_value_set_int64 (value, self->model_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_synapse_model_sink_set_model_id (GstSynapseModelSink * self, gint64 id)
{
  gboolean changed;

  GST_OBJECT_LOCK (self);
  changed = self->model_id != id;
  self->model_id = id;
  GST_OBJECT_UNLOCK (self);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_ID]);
}

/* --- settings ----------------------------------------------------------- */

/* The settings of one run, copied from the properties under the lock. */
typedef struct
{
  gchar *model_name;
  gchar *description;
  GstSynapseModelType model_type;
  gint project;
  gchar *metrics;
  gchar *configuration;
  gboolean is_active;
  gchar *filename;
  guint64 chunk_size;
  guint64 expected_size;
  gchar *expected_md5;
} RunSettings;

static void
run_settings_clear (RunSettings * settings)
{
  g_free (settings->model_name);
  g_free (settings->description);
  g_free (settings->metrics);
  g_free (settings->configuration);
  g_free (settings->filename);
  g_free (settings->expected_md5);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunSettings, run_settings_clear);

static void
run_settings_init (RunSettings * settings, GstSynapseModelSink * self)
{
  GST_OBJECT_LOCK (self);
  settings->model_name = g_strdup (self->model_name);
  settings->description = g_strdup (self->description);
  settings->model_type = self->model_type;
  settings->project = self->project;
  settings->metrics = g_strdup (self->metrics);
  settings->configuration = g_strdup (self->configuration);
  settings->is_active = self->is_active;
  settings->filename = g_strdup (self->filename);
  settings->chunk_size = self->chunk_size;
  settings->expected_size = self->expected_size;
  settings->expected_md5 = g_strdup (self->expected_md5);
  GST_OBJECT_UNLOCK (self);
}

/* Adds one problem of the settings to the list in @problems. */
static void
add_problem (GString * problems, const gchar * problem)
{
  if (problems->len > 0)
    g_string_append (problems, "; ");
  g_string_append (problems, problem);
}

/* The JSON object in the property @name, or NULL with a problem noted.
 * What json-glib would alter (1e400, integers beyond 64 bits, trailing
 * text, U+0000 in a string) is refused: the backend must get what the
 * user wrote. */
static JsonNode *
parse_json_object (const gchar * name, const gchar * text, GString * problems)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = synapse_json_parse_exact (text, -1, &error);
  g_autofree gchar *problem = NULL;

  if (node == NULL) {
    problem = g_strdup_printf ("%s: %s", name, error->message);
    add_problem (problems, problem);
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    problem = g_strdup_printf ("%s must be a JSON object such as "
        "{\"accuracy\": 0.9}, not %s", name,
        JSON_NODE_HOLDS_ARRAY (node) ? "an array" : "a single value");
    add_problem (problems, problem);
    return NULL;
  }
  return g_steal_pointer (&node);
}

/* A base name the backend can store a file under, or NULL. */
static gchar *
usable_file_name (const gchar * path)
{
  g_autofree gchar *name = NULL;

  if (path == NULL || *path == '\0')
    return NULL;
  name = g_path_get_basename (path);
  if (g_str_equal (name, ".") || g_str_equal (name, "..")
      || g_str_equal (name, G_DIR_SEPARATOR_S))
    return NULL;
  return g_steal_pointer (&name);
}

/* The fields of POST models/ (all but `chunked_upload`), or NULL with
 * every problem of the settings in @problems. */
static JsonObject *
build_model (const RunSettings * settings, GString * problems)
{
  g_autoptr (JsonObject) model = json_object_new ();
  g_autoptr (JsonNode) metrics = NULL;
  g_autoptr (JsonNode) configuration = NULL;

  if (settings->model_name == NULL)
    add_problem (problems, "model-name is not set");
  if (settings->model_type == GST_SYNAPSE_MODEL_TYPE_NONE)
    add_problem (problems, "model-type is not set (classification, "
        "detection or segmentation)");
  if (settings->project < 0)
    add_problem (problems, "project is not set (the id of the project the "
        "model belongs to)");
  if (settings->metrics)
    metrics = parse_json_object ("metrics", settings->metrics, problems);
  if (settings->configuration)
    configuration = parse_json_object ("configuration",
        settings->configuration, problems);
  if (settings->filename) {
    g_autofree gchar *name = usable_file_name (settings->filename);
    g_autofree gchar *problem = g_strdup_printf ("filename \"%s\" names no "
        "file", settings->filename);

    if (name == NULL)
      add_problem (problems, problem);
  }
  if (settings->expected_md5 && (strlen (settings->expected_md5) != 32
          || strspn (settings->expected_md5, "0123456789abcdefABCDEF") != 32))
    add_problem (problems, "expected-md5 must be an MD5 as 32 hexadecimal "
        "digits");
  if (problems->len > 0)
    return NULL;

  json_object_set_string_member (model, "name", settings->model_name);
  json_object_set_string_member (model, "model_type",
      model_types[settings->model_type].value_nick);
  json_object_set_int_member (model, "project", settings->project);
  if (settings->description)
    json_object_set_string_member (model, "description", settings->description);
  if (metrics)
    json_object_set_member (model, "metrics", g_steal_pointer (&metrics));
  if (configuration)
    json_object_set_member (model, "configuration",
        g_steal_pointer (&configuration));
  json_object_set_boolean_member (model, "is_active", settings->is_active);
  return g_steal_pointer (&model);
}

static gboolean
gst_synapse_model_sink_start (GstBaseSink * bsink)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (bsink);
  g_auto (RunSettings) settings = { 0 };
  g_autoptr (GString) problems = g_string_new (NULL);
  g_autoptr (JsonObject) model = NULL;

  gst_synapse_model_sink_clear_run (self);
  run_settings_init (&settings, self);

  /* everything is checked before any byte is sent */
  model = build_model (&settings, problems);
  if (model == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot upload the model: %s.", problems->str), (NULL));
    return FALSE;
  }
  self->client = gst_synapse_connection_make_client (GST_ELEMENT (self),
      &self->conn);
  if (self->client == NULL)
    return FALSE;

  self->model = g_steal_pointer (&model);
  self->run_filename = usable_file_name (settings.filename);
  self->run_chunk_size = settings.chunk_size;
  self->run_expected_size = settings.expected_size;
  if (settings.expected_md5) {
    self->run_expected_md5 = g_ascii_strdown (settings.expected_md5, -1);
    self->md5 = g_checksum_new (G_CHECKSUM_MD5);
  }
  gst_synapse_model_sink_set_model_id (self, -1);

  GST_INFO_OBJECT (self, "ready to upload the %s model \"%s\" of project %d "
      "to %s, in chunks of %" G_GSIZE_FORMAT " bytes",
      model_types[settings.model_type].value_nick, settings.model_name,
      settings.project, synapse_client_get_base_url (self->client),
      self->run_chunk_size);
  return TRUE;
}

/* --- progress ----------------------------------------------------------- */

static gint
percent_of (guint64 part, guint64 whole)
{
  if (whole == 0)
    return -1;
  return (gint) MIN (100, part * 100 / whole);
}

/* Called by the upload after each stored chunk, from the worker. */
static void
gst_synapse_model_sink_upload_progress (guint64 sent, guint64 total,
    gpointer user_data)
{
  GstSynapseModelSink *self = user_data;
  gint64 now = g_get_monotonic_time ();
  guint chunk = (guint) ((sent + self->run_chunk_size - 1) /
      self->run_chunk_size);
  gboolean in_progress;
  GstStructure *s;

  GST_LOG_OBJECT (self, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
      " bytes stored", sent, total);
  g_mutex_lock (&self->lock);
  self->sent = sent;
  self->total = total;
  in_progress = self->in_progress;
  g_mutex_unlock (&self->lock);
  /* a few a second, and always the last one */
  if (sent < total && self->last_progress != 0
      && now - self->last_progress < G_USEC_PER_SEC / PROGRESS_RATE)
    return;
  self->last_progress = now;

  s = gst_structure_new ("synapse-upload-progress",
      "bytes-sent", G_TYPE_UINT64, sent, "total", G_TYPE_UINT64, total,
      "chunk", G_TYPE_UINT, chunk, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
  if (in_progress)
    gst_synapse_element_post_progress (GST_ELEMENT (self),
        GST_PROGRESS_TYPE_CONTINUE, PROGRESS_CODE, percent_of (sent, total),
        "Uploaded %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes of %s",
        sent, total, self->upload_name);
}

/* Posts the end of the upload's progress, once, from either thread. */
static void
gst_synapse_model_sink_end_progress (GstSynapseModelSink * self,
    GstProgressType type, const gchar * text)
{
  gboolean in_progress;
  guint64 sent, total;

  g_mutex_lock (&self->lock);
  in_progress = self->in_progress;
  self->in_progress = FALSE;
  sent = self->sent;
  total = self->total;
  g_mutex_unlock (&self->lock);
  if (!in_progress)
    return;
  gst_synapse_element_post_progress (GST_ELEMENT (self), type, PROGRESS_CODE,
      type == GST_PROGRESS_TYPE_COMPLETE ? 100 : percent_of (sent, total),
      "%s", text);
}

/* --- failures ----------------------------------------------------------- */

static gboolean
is_cancellation (const GError * error, GCancellable * cancellable)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_cancellable_is_cancelled (cancellable);
}

/* Posts a failed request as the element's error: @what says which step
 * failed, the library's error how. */
static void
gst_synapse_model_sink_fail (GstSynapseModelSink * self, const GError * error,
    const gchar * what)
{
  g_autofree gchar *how = NULL;
  g_autofree gchar *text = NULL;

  GST_WARNING_OBJECT (self, "%s: %s", what, error->message);
  gst_synapse_model_sink_end_progress (self, GST_PROGRESS_TYPE_ERROR, what);

  if (error->domain == SYNAPSE_CLIENT_ERROR
      && synapse_client_error_get_status_code (error) == 401
      && !gst_synapse_connection_has_access_token (GST_ELEMENT (self),
          &self->conn))
    how = g_strdup ("The Synapse backend asked for an access token "
        "(HTTP 401): set the access-token property or the "
        "SYNAPSE_ACCESS_TOKEN environment variable.");
  else
    how = gst_synapse_describe_client_error (error);
  text = g_strdup_printf ("%s. %s", what, how);
  GST_SYNAPSE_ELEMENT_CLIENT_ERROR (self, error, GST_RESOURCE_ERROR_WRITE,
      text);
}

/* Stops the worker, which ends as soon as it can; the upload is given up. */
static void
gst_synapse_model_sink_cancel_worker (GstSynapseModelSink * self)
{
  g_mutex_lock (&self->lock);
  if (self->worker_cancellable)
    g_cancellable_cancel (self->worker_cancellable);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Posts a failure of the element's own (no request involved), from the
 * streaming thread; the upload is given up. */
#define MODEL_SINK_ERROR(self, code, text, debug) G_STMT_START {           \
  gst_synapse_model_sink_cancel_worker (self);                             \
  gst_synapse_model_sink_end_progress (self, GST_PROGRESS_TYPE_ERROR,      \
      "The upload failed");                                                \
  GST_ELEMENT_ERROR (self, RESOURCE, code, text, debug);                   \
  (self)->done = TRUE;                                                     \
} G_STMT_END

/* --- the first buffer --------------------------------------------------- */

/* The last part of @uri's path, if it names a file. */
static gchar *
file_name_of_uri (const gchar * uri)
{
  g_autoptr (GUri) parsed = NULL;
  const gchar *path;

  if (uri == NULL)
    return NULL;
  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL)
    return NULL;
  path = g_uri_get_path (parsed);
  if (path == NULL || *path == '\0')
    return NULL;
  return usable_file_name (path);
}

/* The pad feeding @pad's element from upstream, looking through ghost
 * pads; NULL at a source. Takes @pad. */
static GstPad *
upstream_step (GstPad * pad, GstElement ** element)
{
  *element = NULL;
  /* into a bin: the pad inside that the ghost pad stands for */
  while (pad && GST_IS_GHOST_PAD (pad)) {
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));

    gst_object_unref (pad);
    pad = target;
  }
  if (pad == NULL)
    return NULL;
  /* out of a bin: the ghost pad whose inside this is, then its peer */
  if (GST_IS_PROXY_PAD (pad)) {
    GstProxyPad *ghost = gst_proxy_pad_get_internal (GST_PROXY_PAD (pad));
    GstPad *peer = ghost ? gst_pad_get_peer (GST_PAD (ghost)) : NULL;

    g_clear_object (&ghost);
    gst_object_unref (pad);
    return peer;
  }
  *element = gst_pad_get_parent_element (pad);
  gst_object_unref (pad);
  return NULL;
}

/* The name of the file a source upstream reads (the last part of its
 * URI, as filesrc's location gives it), through elements of one sink pad
 * such as queue; NULL when there is none. */
static gchar *
gst_synapse_model_sink_upstream_file_name (GstSynapseModelSink * self)
{
  GstPad *pad = gst_pad_get_peer (GST_BASE_SINK_PAD (self));

  for (guint depth = 0; pad && depth < MAX_UPSTREAM_DEPTH; depth++) {
    GstElement *element = NULL;
    GstPad *next = upstream_step (pad, &element);

    if (element == NULL) {
      pad = next;
      continue;
    }
    pad = NULL;
    if (GST_IS_URI_HANDLER (element)
        && gst_uri_handler_get_uri_type (GST_URI_HANDLER (element)) ==
        GST_URI_SRC) {
      g_autofree gchar *uri =
          gst_uri_handler_get_uri (GST_URI_HANDLER (element));
      gchar *name = file_name_of_uri (uri);

      GST_DEBUG_OBJECT (self, "upstream source %s reads %s",
          GST_ELEMENT_NAME (element), uri ? uri : "(nothing)");
      gst_object_unref (element);
      return name;
    }
    GST_OBJECT_LOCK (element);
    if (element->numsinkpads == 1)
      pad = gst_object_ref (element->sinkpads->data);
    GST_OBJECT_UNLOCK (element);
    gst_object_unref (element);
    if (pad) {
      next = gst_pad_get_peer (pad);
      gst_object_unref (pad);
      pad = next;
    }
  }
  g_clear_object (&pad);
  return NULL;
}

/* The size of the whole stream when upstream knows it, else 0. Only a
 * byte stream that starts at its beginning counts: the byte size that an
 * element with timed output (an encoder) passes on from upstream is that
 * of its input. */
static guint64
gst_synapse_model_sink_query_size (GstSynapseModelSink * self)
{
  GstBaseSink *bsink = GST_BASE_SINK (self);
  GstFormat format;
  guint64 start;
  gint64 duration = -1;

  GST_OBJECT_LOCK (self);
  format = bsink->segment.format;
  start = bsink->segment.start;
  GST_OBJECT_UNLOCK (self);

  if (format != GST_FORMAT_BYTES || start != 0) {
    GST_DEBUG_OBJECT (self, "not a byte stream from its start (a %s "
        "segment from %" G_GUINT64_FORMAT "): the size is not known",
        gst_format_get_name (format), start);
    return 0;
  }
  if (!gst_pad_peer_query_duration (GST_BASE_SINK_PAD (self),
          GST_FORMAT_BYTES, &duration) || duration <= 0) {
    GST_DEBUG_OBJECT (self, "upstream does not know the size");
    return 0;
  }
  return (guint64) duration;
}

/* A temporary file without a name: it disappears when closed. */
static gint
open_spool (GError ** error)
{
  g_autofree gchar *path = NULL;
  gint fd = g_file_open_tmp ("synapsemodelsink-XXXXXX", &path, error);

  if (fd < 0)
    return -1;
  g_unlink (path);
  fcntl (fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

/* --- the worker --------------------------------------------------------- */

/* Tells of uploads the backend may keep besides this one, once each: the
 * answer to the first chunk was lost and the upload it made could not be
 * found again. From the worker. */
static void
gst_synapse_model_sink_warn_orphans (GstSynapseModelSink * self)
{
  guint orphans = synapse_chunked_upload_get_orphans (self->upload);

  if (orphans <= self->orphans)
    return;
  self->orphans = orphans;
  GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
      ("The backend's answer to the first chunk of %s was lost and the "
          "upload it made could not be found again: the upload went on as a "
          "new one, and the backend may keep %u unfinished upload%s of %s "
          "besides it (never completed, they expire).", self->upload_name,
          orphans, orphans > 1 ? "s" : "", self->upload_name), (NULL));
}

static void
gst_synapse_model_sink_set_upload (GstSynapseModelSink * self, guint64 size)
{
  self->upload = synapse_chunked_upload_new (self->client, self->upload_name,
      size, self->run_chunk_size);
  synapse_chunked_upload_set_progress_func (self->upload,
      gst_synapse_model_sink_upload_progress, self, NULL);
  g_mutex_lock (&self->lock);
  self->total = size;
  g_mutex_unlock (&self->lock);
}

/* Uploads the spooled file, now that its size is known. */
static gboolean
gst_synapse_model_sink_upload_spool (GstSynapseModelSink * self,
    GCancellable * cancellable, GError ** error)
{
  gsize piece = MIN (self->run_chunk_size, SPOOL_READ_SIZE);
  g_autofree guint8 *data = g_malloc (piece);
  guint64 left = self->received;

  gst_synapse_model_sink_set_upload (self, self->received);
  GST_INFO_OBJECT (self, "uploading the %" G_GUINT64_FORMAT " spooled bytes "
      "of %s", self->received, self->upload_name);
  gst_synapse_element_post_progress (GST_ELEMENT (self),
      GST_PROGRESS_TYPE_CONTINUE, PROGRESS_CODE, 0,
      "Uploading %s (%" G_GUINT64_FORMAT " bytes) to %s", self->upload_name,
      self->received, synapse_client_get_base_url (self->client));

  if (lseek (self->spool_fd, 0, SEEK_SET) < 0) {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot read the temporary file back: %s", g_strerror (saved_errno));
    return FALSE;
  }
  while (left > 0) {
    gssize n = read (self->spool_fd, data, MIN (piece, left));
    gboolean written;

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved_errno = errno;

      g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
          "Cannot read the temporary file back: %s",
          n == 0 ? "it became shorter" : g_strerror (saved_errno));
      return FALSE;
    }
    written = synapse_chunked_upload_write (self->upload, data, n,
        cancellable, error);
    gst_synapse_model_sink_warn_orphans (self);
    if (!written)
      return FALSE;
    left -= n;
  }
  return TRUE;
}

/* Writes the buffers render () hands over into the upload, until EOS. */
static gboolean
gst_synapse_model_sink_upload_queue (GstSynapseModelSink * self,
    GCancellable * cancellable, GError ** error)
{
  for (;;) {
    GstBuffer *buffer;
    GstMapInfo map;
    gboolean written;

    g_mutex_lock (&self->lock);
    while (g_queue_is_empty (&self->queue) && !self->eos
        && !g_cancellable_is_cancelled (cancellable))
      g_cond_wait (&self->cond, &self->lock);
    buffer = g_queue_pop_head (&self->queue);
    if (buffer) {
      self->queued -= gst_buffer_get_size (buffer);
      /* room for render () */
      g_cond_broadcast (&self->cond);
    }
    g_mutex_unlock (&self->lock);

    if (g_cancellable_set_error_if_cancelled (cancellable, error)) {
      g_clear_pointer (&buffer, gst_buffer_unref);
      return FALSE;
    }
    if (buffer == NULL)
      return TRUE;
    if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      gst_buffer_unref (buffer);
      g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
          "Could not map a buffer");
      return FALSE;
    }
    /* blocks while a full chunk goes out */
    written = synapse_chunked_upload_write (self->upload, map.data, map.size,
        cancellable, error);
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
    gst_synapse_model_sink_warn_orphans (self);
    if (!written)
      return FALSE;
  }
}

/* Completes the upload and creates the model; NULL when cancelled or
 * when it failed, *failed telling which (an error is posted then). */
static JsonObject *
gst_synapse_model_sink_create (GstSynapseModelSink * self,
    GCancellable * cancellable, gboolean * failed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;
  g_autoptr (JsonObject) model = NULL;
  JsonNode *model_id;

  upload = synapse_chunked_upload_finish (self->upload, cancellable, &error);
  gst_synapse_model_sink_warn_orphans (self);
  if (upload == NULL) {
    *failed = !is_cancellation (error, cancellable);
    if (*failed)
      gst_synapse_model_sink_fail (self, error, "The upload of the model "
          "failed");
    return NULL;
  }
  GST_INFO_OBJECT (self, "upload of %s complete (%" G_GUINT64_FORMAT
      " bytes, MD5 %s); creating the model", self->upload_name,
      synapse_chunked_upload_get_total_size (self->upload),
      synapse_chunked_upload_get_md5 (self->upload));

  g_mutex_lock (&self->lock);
  self->creating = TRUE;
  g_mutex_unlock (&self->lock);
  /* never sent twice blindly by the library, which recovers a lost answer
   * when it can; when it cannot, the model may exist */
  model = synapse_client_create_model_from_upload (self->client, self->model,
      upload, cancellable, &error);
  if (model == NULL) {
    *failed = !is_cancellation (error, cancellable);
    if (*failed && synapse_client_error_outcome_unknown (error)) {
      JsonNode *id_node = json_object_get_member (upload, "id");
      g_autofree gchar *upload_id = JSON_NODE_HOLDS_VALUE (id_node)
          && json_node_get_value_type (id_node) == G_TYPE_STRING
          ? g_strdup (json_node_get_string (id_node))
          : json_to_string (id_node, FALSE);
      g_autofree gchar *what = g_strdup_printf ("Creating the model from %s "
          "failed, but the model may exist all the same, made from upload "
          "%s: the backend's answer was lost and could not be recovered",
          self->upload_name, upload_id);

      gst_synapse_model_sink_fail (self, error, what);
    } else if (*failed) {
      gst_synapse_model_sink_fail (self, error, "The model could not be "
          "created");
    }
    return NULL;
  }
  model_id = json_object_get_member (model, "id");
  if (model_id == NULL || !JSON_NODE_HOLDS_VALUE (model_id)
      || json_node_get_value_type (model_id) != G_TYPE_INT64) {
    g_set_error (&error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL,
        "POST models/: the created model has no \"id\"");
    gst_synapse_model_sink_fail (self, error, "The backend's account of the "
        "created model cannot be used");
    *failed = TRUE;
    return NULL;
  }
  return g_steal_pointer (&model);
}

/* The upload, in a thread of its own: the bytes, the completion, the
 * model. Failures are posted here, as they happen; a cancellation (the
 * element stops) posts nothing. */
static gpointer
gst_synapse_model_sink_worker (gpointer data)
{
  GstSynapseModelSink *self = data;
  GCancellable *cancellable = self->worker_cancellable;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;
  gboolean failed = FALSE;
  gboolean uploaded = self->spool_fd >= 0
      ? gst_synapse_model_sink_upload_spool (self, cancellable, &error)
      : gst_synapse_model_sink_upload_queue (self, cancellable, &error);

  if (uploaded) {
    model = gst_synapse_model_sink_create (self, cancellable, &failed);
  } else if (!is_cancellation (error, cancellable)) {
    gst_synapse_model_sink_fail (self, error, "The upload of the model "
        "failed");
    failed = TRUE;
  }

  g_mutex_lock (&self->lock);
  self->worker_done = TRUE;
  self->worker_failed = failed;
  self->created = g_steal_pointer (&model);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return NULL;
}

static gboolean
gst_synapse_model_sink_start_worker (GstSynapseModelSink * self)
{
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&self->lock);
  self->worker_cancellable = g_cancellable_new ();
  g_mutex_unlock (&self->lock);
  self->worker = g_thread_try_new ("synapse-upload",
      gst_synapse_model_sink_worker, self, &error);
  if (self->worker == NULL) {
    MODEL_SINK_ERROR (self, FAILED, ("Could not start the upload."),
        ("%s", error->message));
    return FALSE;
  }
  return TRUE;
}

/* Cancels the worker and waits for its end, which is prompt: every wait
 * and request of the upload takes the cancellable. */
static void
gst_synapse_model_sink_join_worker (GstSynapseModelSink * self)
{
  if (self->worker == NULL)
    return;
  gst_synapse_model_sink_cancel_worker (self);
  g_thread_join (g_steal_pointer (&self->worker));
  g_mutex_lock (&self->lock);
  g_clear_object (&self->worker_cancellable);
  g_mutex_unlock (&self->lock);
}

/* Waits on the worker for as long as @until says, from the streaming
 * thread (the preroll lock held): when the base class pauses or stops it
 * (unlock ()), the wait gives way to gst_base_sink_wait_preroll (), as
 * the base class wants, and goes on when it returns GST_FLOW_OK (back to
 * PLAYING). Returns what it returned otherwise (flushing); the lock is
 * held on return. */
static GstFlowReturn
gst_synapse_model_sink_wait (GstSynapseModelSink * self,
    gboolean (*until) (GstSynapseModelSink * self))
{
  while (!until (self)) {
    if (self->unlocked) {
      GstFlowReturn ret;

      g_mutex_unlock (&self->lock);
      ret = gst_base_sink_wait_preroll (GST_BASE_SINK (self));
      g_mutex_lock (&self->lock);
      if (ret != GST_FLOW_OK)
        return ret;
      continue;
    }
    g_cond_wait (&self->cond, &self->lock);
  }
  return GST_FLOW_OK;
}

static gboolean
has_room (GstSynapseModelSink * self)
{
  /* the upload holds one chunk at most; the queue the next one */
  return self->queued < self->run_chunk_size || self->worker_done;
}

static gboolean
worker_ended (GstSynapseModelSink * self)
{
  return self->worker_done;
}

/* --- the first buffer --------------------------------------------------- */

/* Decides, at the first buffer, how the file goes out: uploaded as it
 * arrives when its size is known, else spooled. */
static gboolean
gst_synapse_model_sink_begin (GstSynapseModelSink * self)
{
  g_autoptr (GError) error = NULL;

  self->started = TRUE;
  self->upload_name = self->run_filename ? g_strdup (self->run_filename)
      : gst_synapse_model_sink_upstream_file_name (self);
  if (self->upload_name == NULL)
    self->upload_name = g_strdup (DEFAULT_FILENAME);
  self->announced = gst_synapse_model_sink_query_size (self);

  if (self->announced > 0 && self->run_expected_size > 0
      && self->announced != self->run_expected_size) {
    MODEL_SINK_ERROR (self, WRITE,
        ("Upstream announces a model file of %" G_GUINT64_FORMAT " bytes, "
            "but expected-size is %" G_GUINT64_FORMAT ": no model was "
            "created.", self->announced, self->run_expected_size), (NULL));
    return FALSE;
  }

  if (self->announced > 0) {
    gst_synapse_model_sink_set_upload (self, self->announced);
    GST_INFO_OBJECT (self, "uploading %s (%" G_GUINT64_FORMAT " bytes) as it "
        "arrives", self->upload_name, self->announced);
    g_mutex_lock (&self->lock);
    self->in_progress = TRUE;
    g_mutex_unlock (&self->lock);
    gst_synapse_element_post_progress (GST_ELEMENT (self),
        GST_PROGRESS_TYPE_START, PROGRESS_CODE, 0,
        "Uploading %s (%" G_GUINT64_FORMAT " bytes) to %s", self->upload_name,
        self->announced, synapse_client_get_base_url (self->client));
    return gst_synapse_model_sink_start_worker (self);
  }

  self->spool_fd = open_spool (&error);
  if (self->spool_fd < 0) {
    MODEL_SINK_ERROR (self, OPEN_WRITE,
        ("Could not make a temporary file to hold the model until its size "
            "is known."), ("%s", error->message));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "the size of %s is not known: spooling it to a "
      "temporary file until EOS", self->upload_name);
  g_mutex_lock (&self->lock);
  self->in_progress = TRUE;
  g_mutex_unlock (&self->lock);
  gst_synapse_element_post_progress (GST_ELEMENT (self),
      GST_PROGRESS_TYPE_START, PROGRESS_CODE, -1,
      "Keeping %s in a temporary file until its size is known, then "
      "uploading it to %s", self->upload_name,
      synapse_client_get_base_url (self->client));
  return TRUE;
}

/* --- data --------------------------------------------------------------- */

static gboolean
spool_write (GstSynapseModelSink * self, const guint8 * data, gsize size)
{
  while (size > 0) {
    gssize n = write (self->spool_fd, data, size);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved_errno = errno;

      if (saved_errno == ENOSPC)
        MODEL_SINK_ERROR (self, NO_SPACE_LEFT,
            ("No space left for the temporary file that holds the model "
                "until its size is known (set TMPDIR to a larger place)."),
            ("after %" G_GUINT64_FORMAT " bytes", self->received));
      else
        MODEL_SINK_ERROR (self, WRITE,
            ("Could not write the temporary file that holds the model until "
                "its size is known."), ("after %" G_GUINT64_FORMAT
                " bytes: %s", self->received, g_strerror (saved_errno)));
      return FALSE;
    }
    data += n;
    size -= n;
  }
  return TRUE;
}

/* Hands @buffer to the worker once there is room for it. */
static GstFlowReturn
gst_synapse_model_sink_hand_over (GstSynapseModelSink * self,
    GstBuffer * buffer)
{
  GstFlowReturn ret;
  gboolean failed;

  g_mutex_lock (&self->lock);
  ret = gst_synapse_model_sink_wait (self, has_room);
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&self->lock);
    GST_DEBUG_OBJECT (self, "stopped while waiting for room: %s",
        gst_flow_get_name (ret));
    return ret;
  }
  if (!self->worker_done) {
    g_queue_push_tail (&self->queue, gst_buffer_ref (buffer));
    self->queued += gst_buffer_get_size (buffer);
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    return GST_FLOW_OK;
  }
  failed = self->worker_failed;
  g_mutex_unlock (&self->lock);
  /* it posted its error; else it was cancelled, by a flush or a stop */
  self->done = failed;
  return failed ? GST_FLOW_ERROR : GST_FLOW_FLUSHING;
}

static GstFlowReturn
gst_synapse_model_sink_render (GstBaseSink * bsink, GstBuffer * buffer)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (bsink);
  gsize size = gst_buffer_get_size (buffer);
  GstFlowReturn ret;

  if (self->done)
    return GST_FLOW_ERROR;
  if (self->interrupted) {
    MODEL_SINK_ERROR (self, WRITE,
        ("A flush interrupted the upload of the model, which cannot go on: "
            "no model was created."), (NULL));
    return GST_FLOW_ERROR;
  }
  if (!self->started && !gst_synapse_model_sink_begin (self))
    return GST_FLOW_ERROR;

  if (self->run_expected_size > 0
      && size > self->run_expected_size - self->received) {
    MODEL_SINK_ERROR (self, WRITE,
        ("The stream is longer than expected-size, %" G_GUINT64_FORMAT
            " bytes: no model was created.", self->run_expected_size),
        ("%" G_GUINT64_FORMAT " bytes received, then a buffer of %"
            G_GSIZE_FORMAT, self->received, size));
    return GST_FLOW_ERROR;
  }
  if (self->spool_fd < 0 && size > self->announced - self->received) {
    MODEL_SINK_ERROR (self, WRITE,
        ("Upstream announced a model file of %" G_GUINT64_FORMAT " bytes but "
            "sent more: no model was created.", self->announced),
        ("%" G_GUINT64_FORMAT " bytes received, then a buffer of %"
            G_GSIZE_FORMAT, self->received, size));
    return GST_FLOW_ERROR;
  }

  if (self->md5 || self->spool_fd >= 0) {
    GstMapInfo map;
    gboolean written = TRUE;

    if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      MODEL_SINK_ERROR (self, WRITE, (NULL), ("Could not map a buffer"));
      return GST_FLOW_ERROR;
    }
    if (self->md5)
      g_checksum_update (self->md5, map.data, map.size);
    if (self->spool_fd >= 0)
      written = spool_write (self, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
    if (!written)
      return GST_FLOW_ERROR;
    if (self->spool_fd >= 0) {
      self->received += size;
      return GST_FLOW_OK;
    }
  }

  ret = gst_synapse_model_sink_hand_over (self, buffer);
  if (ret == GST_FLOW_OK)
    self->received += size;
  return ret;
}

/* --- the end of the stream ---------------------------------------------- */

static void
gst_synapse_model_sink_post_created (GstSynapseModelSink * self, gint64 id,
    JsonObject * model)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree gchar *json = NULL;
  GstStructure *s;
  JsonNode *file = json_object_get_member (model, "file");

  json_node_set_object (node, model);
  /* the backend's numbers as it wrote them, not json-glib's 17 digits */
  json = synapse_json_to_string (node);
  s = gst_structure_new ("synapse-model-created", "model-id", G_TYPE_INT64, id,
      "model", G_TYPE_STRING, json, NULL);
  if (file && JSON_NODE_HOLDS_VALUE (file)
      && json_node_get_value_type (file) == G_TYPE_STRING)
    gst_structure_set (s, "file", G_TYPE_STRING, json_node_get_string (file),
        NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Whether the stream is the file the user expected (expected-size,
 * expected-md5): a pipe cut short ends with an EOS like a whole one. */
static gboolean
gst_synapse_model_sink_check_complete (GstSynapseModelSink * self)
{
  if (self->run_expected_size > 0 && self->received != self->run_expected_size) {
    MODEL_SINK_ERROR (self, WRITE,
        ("The stream ended after %" G_GUINT64_FORMAT " bytes, but "
            "expected-size is %" G_GUINT64_FORMAT ": the model file was cut "
            "short, and no model was created.", self->received,
            self->run_expected_size), (NULL));
    return FALSE;
  }
  if (self->md5 && g_strcmp0 (g_checksum_get_string (self->md5),
          self->run_expected_md5) != 0) {
    MODEL_SINK_ERROR (self, WRITE,
        ("The MD5 of the stream (%" G_GUINT64_FORMAT " bytes) is %s, not "
            "expected-md5 %s: it is not the model file expected (cut short?), "
            "and no model was created.", self->received,
            g_checksum_get_string (self->md5), self->run_expected_md5), (NULL));
    return FALSE;
  }
  return TRUE;
}

/* Lets the worker complete the upload and create the model, and waits
 * for it; FALSE when EOS must not go on (an error was posted, or the
 * element is stopping). */
static gboolean
gst_synapse_model_sink_commit (GstSynapseModelSink * self)
{
  g_autoptr (JsonObject) model = NULL;
  g_autofree gchar *done = NULL;
  GstFlowReturn ret;
  gboolean failed;
  gint64 id;

  if (self->done)
    return FALSE;
  if (!self->started) {
    MODEL_SINK_ERROR (self, WRITE,
        ("The stream ended before any data arrived: there is no model file "
            "to upload, and the backend cannot store an empty one."), (NULL));
    return FALSE;
  }
  if (self->interrupted) {
    MODEL_SINK_ERROR (self, WRITE,
        ("A flush interrupted the upload of the model, which cannot go on: "
            "no model was created."), (NULL));
    return FALSE;
  }
  if (self->spool_fd < 0 && self->received != self->announced) {
    MODEL_SINK_ERROR (self, WRITE,
        ("Upstream announced a model file of %" G_GUINT64_FORMAT " bytes but "
            "the stream ended after %" G_GUINT64_FORMAT ": no model was "
            "created.", self->announced, self->received), (NULL));
    return FALSE;
  }
  if (!gst_synapse_model_sink_check_complete (self))
    return FALSE;
  if (self->spool_fd >= 0 && !gst_synapse_model_sink_start_worker (self))
    return FALSE;

  g_mutex_lock (&self->lock);
  self->eos = TRUE;
  g_cond_broadcast (&self->cond);
  ret = gst_synapse_model_sink_wait (self, worker_ended);
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&self->lock);
    /* stopping: the state change ends the worker and says what became of
     * the upload */
    GST_DEBUG_OBJECT (self, "stopped while committing: %s",
        gst_flow_get_name (ret));
    return FALSE;
  }
  failed = self->worker_failed;
  model = g_steal_pointer (&self->created);
  g_mutex_unlock (&self->lock);
  if (model == NULL) {
    self->done = failed;
    return FALSE;
  }

  id = json_object_get_int_member (model, "id");
  self->done = TRUE;
  gst_synapse_model_sink_set_model_id (self, id);
  GST_INFO_OBJECT (self, "created model %" G_GINT64_FORMAT " from %s",
      id, self->upload_name);
  gst_synapse_model_sink_post_created (self, id, model);
  done = g_strdup_printf ("Created model %" G_GINT64_FORMAT " from %s (%"
      G_GUINT64_FORMAT " bytes)", id, self->upload_name, self->received);
  gst_synapse_model_sink_end_progress (self, GST_PROGRESS_TYPE_COMPLETE, done);
  return TRUE;
}

static gboolean
gst_synapse_model_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (bsink);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      /* EOS reaches the application only once the model exists */
      if (!gst_synapse_model_sink_commit (self)) {
        gst_event_unref (event);
        return FALSE;
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      if (self->started && !self->done) {
        GST_DEBUG_OBJECT (self, "flushed in the middle of the upload");
        self->interrupted = TRUE;
        gst_synapse_model_sink_cancel_worker (self);
      }
      break;
    default:
      break;
  }

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

/* --- stopping ----------------------------------------------------------- */

/* Says that an upload stopped before EOS was abandoned: on the bus, and
 * on the GLib log, which goes to stderr by default. The bus message is
 * posted while the bus still delivers (PAUSED to READY; the pipeline
 * flushes its bus at READY to NULL), but gst-launch-1.0 has stopped
 * reading its bus by then whichever way it ends (an interrupt without
 * -e, an error, EOS): it only sees errors, through its sync handler. */
static void
gst_synapse_model_sink_say_abandoned (GstSynapseModelSink * self,
    const gchar * text, const gchar * debug)
{
  g_autofree gchar *path = gst_object_get_path_string (GST_OBJECT (self));

  GST_ELEMENT_WARNING (self, RESOURCE, WRITE, ("%s", text), ("%s", debug));
  g_log ("synapsemodelsink", G_LOG_LEVEL_MESSAGE, "%s: %s", path, text);
}

/* PAUSED to READY: the stream is over, the upload too. Ends the worker
 * and, when the model was not committed, says how far it had got. */
static void
gst_synapse_model_sink_abandon (GstSynapseModelSink * self)
{
  g_autofree gchar *text = NULL;
  g_autofree gchar *debug = NULL;
  gint64 id;

  gst_synapse_model_sink_join_worker (self);
  if (!self->started || self->done || self->worker_failed)
    return;
  self->done = TRUE;

  if (self->created) {
    /* made in the very moment the element stopped: it exists */
    id = json_object_get_int_member (self->created, "id");
    gst_synapse_model_sink_set_model_id (self, id);
    gst_synapse_model_sink_end_progress (self, GST_PROGRESS_TYPE_CANCELED,
        "Stopped before the end of the stream went on");
    text = g_strdup_printf ("Stopped before the end of the stream went on, "
        "but after model %" G_GINT64_FORMAT " had been created from %s.", id,
        self->upload_name);
    gst_synapse_model_sink_say_abandoned (self, text, "");
    return;
  }
  gst_synapse_model_sink_end_progress (self, GST_PROGRESS_TYPE_CANCELED,
      "Stopped before the end of the stream: the upload was abandoned");
  if (self->creating) {
    text = g_strdup_printf ("Stopped while the model was being created from "
        "the upload of %s: the backend may or may not have created it.",
        self->upload_name);
    debug = g_strdup ("");
  } else {
    text = g_strdup_printf ("Stopped before the end of the stream: the "
        "upload of %s was abandoned after %" G_GUINT64_FORMAT " bytes had "
        "been sent, and no model was created.", self->upload_name, self->sent);
    debug = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes received, %"
        G_GUINT64_FORMAT " stored by the backend%s", self->received,
        self->sent, self->spool_fd >= 0 ? " (the size was not known yet)" : "");
  }
  gst_synapse_model_sink_say_abandoned (self, text, debug);
}

static GstStateChangeReturn
gst_synapse_model_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (element);
  GstStateChangeReturn ret;

  /* the streaming thread leaves its waits here (unlock (), then the
   * flushing wait_preroll ()), before the worker is cancelled */
  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    gst_synapse_model_sink_abandon (self);
  return ret;
}

static gboolean
gst_synapse_model_sink_stop (GstBaseSink * bsink)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (bsink);

  GST_DEBUG_OBJECT (self, "stopping after %" G_GUINT64_FORMAT " bytes",
      self->received);
  gst_synapse_model_sink_clear_run (self);
  return TRUE;
}

/* Interrupts the waits of render () and EOS, which then wait in
 * gst_base_sink_wait_preroll () as the base class wants; the upload goes
 * on (pausing must not lose it): only PAUSED to READY cancels it. */
static gboolean
gst_synapse_model_sink_unlock (GstBaseSink * bsink)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (bsink);

  GST_DEBUG_OBJECT (self, "unlock: interrupting the waits");
  g_mutex_lock (&self->lock);
  self->unlocked = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_synapse_model_sink_unlock_stop (GstBaseSink * bsink)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (bsink);

  GST_DEBUG_OBJECT (self, "unlock_stop");
  g_mutex_lock (&self->lock);
  self->unlocked = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}
