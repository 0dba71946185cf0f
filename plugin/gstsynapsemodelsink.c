/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the element synapsemodelsink, its documentation and
 * properties, the model's fields checked at start (), and what the stream
 * decides: the first buffer (the file's name and size, from upstream:
 * gstsynapseupstream.c), render () (expected-size, the announced size,
 * the MD5), EOS (the model exists before EOS goes on), a flush, and
 * stopping before EOS. The upload worker, which moves the bytes and
 * creates the model and is the sink's structure, has its own file
 * (gstsynapsemodelupload.c): this one reads as the stream's story, that
 * one as the upload's. */

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
 * The upload runs in a worker thread of its own: the streaming thread
 * hands it the buffers and waits only for room for the next chunk, and
 * EOS waits for its result. Pausing the pipeline (PLAYING to PAUSED, and
 * back) does not touch it: a chunk on its way goes on, and so does the
 * completion that EOS waits for; the element holds the stream meanwhile,
 * as a sink does in PAUSED.
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
 * #GstSynapseConnection:low-speed-limit) is sent again with the same bytes,
 * with exponential backoff (#GstSynapseConnection:retries); when the backend
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
 * state change; pausing cancels nothing. A flushing seek in the middle of
 * an upload ends it with an error: a model file cannot be repositioned.
 *
 * The backend, the credentials and how patiently the element talks to
 * it are the connection properties every Synapse element shares (see
 * #GstSynapseConnection): they default to the environment variables
 * `SYNAPSE_BACKEND_URL`, `SYNAPSE_ACCESS_TOKEN` and `SYNAPSE_TENANT`,
 * read when the element is made, or the token is read from a file with
 * #GstSynapseConnection:access-token-file; the token and any password in
 * the base URL appear in no property read, log line or message.
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

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <synapse/synapse.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <string.h>

#include "gstsynapseerror.h"
#include "gstsynapseprogress.h"
#include "gstsynapsemodelsink.h"
#include "gstsynapseconnection.h"
#include "gstsynapseelements.h"
#include "gstsynapsesettings.h"

typedef struct _GstSynapseModelUpload GstSynapseModelUpload;

GstSynapseModelUpload *gst_synapse_model_upload_new (GstBaseSink * sink,
    SynapseClient * client, JsonObject * model, gsize chunk_size);

void gst_synapse_model_upload_free (GstSynapseModelUpload * upload);

gboolean gst_synapse_model_upload_begin (GstSynapseModelUpload * upload,
    const gchar * name, guint64 size);

const gchar *gst_synapse_model_upload_get_name (GstSynapseModelUpload * upload);

GstFlowReturn gst_synapse_model_upload_write (GstSynapseModelUpload * upload,
    GstBuffer * buffer);

JsonObject *gst_synapse_model_upload_commit (GstSynapseModelUpload * upload,
    gboolean * failed);

void gst_synapse_model_upload_complete (GstSynapseModelUpload * upload,
    const gchar * text);

void gst_synapse_model_upload_cancel (GstSynapseModelUpload * upload);

void gst_synapse_model_upload_give_up (GstSynapseModelUpload * upload);

void gst_synapse_model_upload_join (GstSynapseModelUpload * upload);

gboolean gst_synapse_model_upload_has_failed (GstSynapseModelUpload * upload);

gint64 gst_synapse_model_upload_get_created_id (GstSynapseModelUpload * upload);

void gst_synapse_model_upload_abandon (GstSynapseModelUpload * upload,
    guint64 received);

void gst_synapse_model_upload_unlock (GstSynapseModelUpload * upload);

void gst_synapse_model_upload_unlock_stop (GstSynapseModelUpload * upload);

gchar *gst_synapse_file_name (const gchar * path);

gchar *gst_synapse_upstream_file_name (GstBaseSink * sink);

guint64 gst_synapse_upstream_size (GstBaseSink * sink);

/* also the category of the upload worker (gstsynapsemodelupload.c) */
GST_DEBUG_CATEGORY (gst_synapse_model_sink_debug);
#define GST_CAT_DEFAULT gst_synapse_model_sink_debug

#define DEFAULT_FILENAME "model.bin"

#define DEFAULT_MODEL_TYPE GST_SYNAPSE_MODEL_TYPE_NONE
#define DEFAULT_PROJECT -1
#define DEFAULT_IS_ACTIVE TRUE

enum
{
  PROP_0,
  PROP_MODEL_NAME,
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

  /* Properties (gst_synapse_settings_install ()), guarded by the object
   * lock. */
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
  gint64 model_id;              /* read-only: the element sets it */

  /* One run, from start() to stop(); only the streaming thread touches
   * these. The upload worker, which moves the bytes and creates the model,
   * is the sink's structure: render () hands it buffers, EOS waits for its
   * result (gstsynapsemodelupload.c). */
  GstSynapseModelUpload *upload;
  gchar *run_filename;          /* the property's, or NULL: look upstream */
  guint64 run_expected_size;    /* 0: not checked */
  gchar *run_expected_md5;      /* lower case, or NULL: not checked */
  GChecksum *md5;               /* of the bytes received, to check them */
  gboolean started;             /* the first buffer arrived */
  guint64 received;             /* bytes received */
  guint64 announced;            /* the size upstream announced, or 0 */
  gboolean interrupted;         /* a flush broke the stream */
  gboolean done;                /* the model exists, or an error was posted */
};

/* Where the value of each property lives (gstsynapsesettings.c); an enum
 * is kept as a gint. */
#define FIELD(member) G_STRUCT_OFFSET (GstSynapseModelSink, member)
G_STATIC_ASSERT (sizeof (GstSynapseModelType) == sizeof (gint));

static const gsize property_fields[N_PROPS] = {
  [PROP_MODEL_NAME] = FIELD (model_name),
  [PROP_DESCRIPTION] = FIELD (description),
  [PROP_MODEL_TYPE] = FIELD (model_type),
  [PROP_PROJECT] = FIELD (project),
  [PROP_METRICS] = FIELD (metrics),
  [PROP_CONFIGURATION] = FIELD (configuration),
  [PROP_IS_ACTIVE] = FIELD (is_active),
  [PROP_FILENAME] = FIELD (filename),
  [PROP_CHUNK_SIZE] = FIELD (chunk_size),
  [PROP_EXPECTED_SIZE] = FIELD (expected_size),
  [PROP_EXPECTED_MD5] = FIELD (expected_md5),
  [PROP_MODEL_ID] = FIELD (model_id),
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
G_DEFINE_TYPE_WITH_CODE (GstSynapseModelSink, gst_synapse_model_sink,
    GST_TYPE_BASE_SINK, G_IMPLEMENT_INTERFACE (GST_TYPE_SYNAPSE_CONNECTION,
        NULL));

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (synapsemodelsink, "synapsemodelsink",
    GST_RANK_NONE, GST_TYPE_SYNAPSE_MODEL_SINK, synapse_element_init (plugin));

static void gst_synapse_model_sink_finalize (GObject * object);
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

  GST_DEBUG_CATEGORY_INIT (gst_synapse_model_sink_debug, "synapsemodelsink",
      0, "Synapse model upload sink");

  gobject_class->finalize = gst_synapse_model_sink_finalize;

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
  properties[PROP_CHUNK_SIZE] =
      gst_synapse_param_spec_like_client ("chunk-size",
      "Chunk size", "Bytes per upload request (default 50 MiB); the "
      "element holds about two chunks in memory");

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
      "Size the model file must have, in bytes; any other fails and "
      "creates no model (0: not checked)", 0, G_MAXUINT64, 0, flags);

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

  gst_synapse_settings_install (gobject_class, properties, property_fields,
      N_PROPS);

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
  gst_synapse_settings_init (G_OBJECT (self));

  /* a file upload, not a timed rendering */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
  /* no reason to keep the last buffer alive */
  gst_base_sink_set_last_sample_enabled (GST_BASE_SINK (self), FALSE);
}

/* Drops everything a run holds; the worker ends first. */
static void
gst_synapse_model_sink_clear_run (GstSynapseModelSink * self)
{
  g_clear_pointer (&self->upload, gst_synapse_model_upload_free);
  g_clear_pointer (&self->run_filename, g_free);
  g_clear_pointer (&self->run_expected_md5, g_free);
  g_clear_pointer (&self->md5, g_checksum_free);
  self->run_expected_size = 0;
  self->started = FALSE;
  self->received = 0;
  self->announced = 0;
  self->interrupted = FALSE;
  self->done = FALSE;
}

static void
gst_synapse_model_sink_finalize (GObject * object)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (object);

  gst_synapse_model_sink_clear_run (self);
  gst_synapse_settings_clear (object);

  G_OBJECT_CLASS (parent_class)->finalize (object);
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

/* The fields of POST models/ (all but `chunked_upload`), or NULL with
 * every problem of the settings in @problems; the object lock held. */
static JsonObject *
build_model (GstSynapseModelSink * self, GString * problems)
{
  g_autoptr (JsonObject) model = json_object_new ();
  g_autoptr (JsonNode) metrics = NULL;
  g_autoptr (JsonNode) configuration = NULL;

  if (self->model_name == NULL)
    add_problem (problems, "model-name is not set");
  if (self->model_type == GST_SYNAPSE_MODEL_TYPE_NONE)
    add_problem (problems, "model-type is not set (classification, "
        "detection or segmentation)");
  if (self->project < 0)
    add_problem (problems, "project is not set (the id of the project the "
        "model belongs to)");
  if (self->metrics)
    metrics = parse_json_object ("metrics", self->metrics, problems);
  if (self->configuration)
    configuration = parse_json_object ("configuration",
        self->configuration, problems);
  if (self->filename) {
    g_autofree gchar *name = gst_synapse_file_name (self->filename);
    g_autofree gchar *problem = g_strdup_printf ("filename \"%s\" names no "
        "file", self->filename);

    if (name == NULL)
      add_problem (problems, problem);
  }
  if (self->expected_md5 && (strlen (self->expected_md5) != 32
          || strspn (self->expected_md5, "0123456789abcdefABCDEF") != 32))
    add_problem (problems, "expected-md5 must be an MD5 as 32 hexadecimal "
        "digits");
  if (problems->len > 0)
    return NULL;

  json_object_set_string_member (model, "name", self->model_name);
  json_object_set_string_member (model, "model_type",
      model_types[self->model_type].value_nick);
  json_object_set_int_member (model, "project", self->project);
  if (self->description)
    json_object_set_string_member (model, "description", self->description);
  if (metrics)
    json_object_set_member (model, "metrics", g_steal_pointer (&metrics));
  if (configuration)
    json_object_set_member (model, "configuration",
        g_steal_pointer (&configuration));
  json_object_set_boolean_member (model, "is_active", self->is_active);
  return g_steal_pointer (&model);
}

static gboolean
gst_synapse_model_sink_start (GstBaseSink * bsink)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (bsink);
  g_autoptr (GString) problems = g_string_new (NULL);
  g_autoptr (JsonObject) model = NULL;
  g_autofree gchar *filename = NULL;
  g_autofree gchar *expected_md5 = NULL;
  guint64 chunk_size, expected_size;
  SynapseClient *client;

  gst_synapse_model_sink_clear_run (self);

  /* everything is checked before any byte is sent */
  GST_OBJECT_LOCK (self);
  model = build_model (self, problems);
  filename = gst_synapse_file_name (self->filename);
  chunk_size = self->chunk_size;
  expected_size = self->expected_size;
  if (self->expected_md5)
    expected_md5 = g_ascii_strdown (self->expected_md5, -1);
  GST_OBJECT_UNLOCK (self);

  if (model == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Cannot upload the model: %s.", problems->str), (NULL));
    return FALSE;
  }
  client = gst_synapse_connection_make_client (GST_SYNAPSE_CONNECTION (self));
  if (client == NULL)
    return FALSE;

  GST_INFO_OBJECT (self, "ready to upload the %s model \"%s\" of project %"
      G_GINT64_FORMAT " to %s, in chunks of %" G_GUINT64_FORMAT " bytes",
      json_object_get_string_member (model, "model_type"),
      json_object_get_string_member (model, "name"),
      json_object_get_int_member (model, "project"),
      synapse_client_get_base_url (client), chunk_size);
  self->upload = gst_synapse_model_upload_new (GST_BASE_SINK (self), client,
      g_steal_pointer (&model), chunk_size);
  self->run_filename = g_steal_pointer (&filename);
  self->run_expected_size = expected_size;
  if (expected_md5) {
    self->run_expected_md5 = g_steal_pointer (&expected_md5);
    self->md5 = g_checksum_new (G_CHECKSUM_MD5);
  }
  gst_synapse_model_sink_set_model_id (self, -1);
  return TRUE;
}

/* Posts a failure of the element's own (no request involved), from the
 * streaming thread; the upload is given up. */
#define MODEL_SINK_ERROR(self, code, text, debug) G_STMT_START {           \
  gst_synapse_model_upload_give_up ((self)->upload);                       \
  GST_ELEMENT_ERROR (self, RESOURCE, code, text, debug);                   \
  (self)->done = TRUE;                                                     \
} G_STMT_END

/* --- the first buffer --------------------------------------------------- */

/* Learns, at the first buffer, the file's name and size, and begins the
 * upload: as the bytes arrive when the size is known, else spooled. */
static gboolean
gst_synapse_model_sink_begin (GstSynapseModelSink * self)
{
  g_autofree gchar *name = NULL;

  self->started = TRUE;
  name = self->run_filename ? g_strdup (self->run_filename)
      : gst_synapse_upstream_file_name (GST_BASE_SINK (self));
  self->announced = gst_synapse_upstream_size (GST_BASE_SINK (self));

  if (self->announced > 0 && self->run_expected_size > 0
      && self->announced != self->run_expected_size) {
    MODEL_SINK_ERROR (self, WRITE,
        ("Upstream announces a model file of %" G_GUINT64_FORMAT " bytes, "
            "but expected-size is %" G_GUINT64_FORMAT ": no model was "
            "created.", self->announced, self->run_expected_size), (NULL));
    return FALSE;
  }
  if (!gst_synapse_model_upload_begin (self->upload,
          name ? name : DEFAULT_FILENAME, self->announced)) {
    self->done = TRUE;
    return FALSE;
  }
  return TRUE;
}

/* --- data --------------------------------------------------------------- */

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
  if (self->announced > 0 && size > self->announced - self->received) {
    MODEL_SINK_ERROR (self, WRITE,
        ("Upstream announced a model file of %" G_GUINT64_FORMAT " bytes but "
            "sent more: no model was created.", self->announced),
        ("%" G_GUINT64_FORMAT " bytes received, then a buffer of %"
            G_GSIZE_FORMAT, self->received, size));
    return GST_FLOW_ERROR;
  }

  if (self->md5) {
    GstMapInfo map;

    if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      MODEL_SINK_ERROR (self, WRITE, (NULL), ("Could not map a buffer"));
      return GST_FLOW_ERROR;
    }
    g_checksum_update (self->md5, map.data, map.size);
    gst_buffer_unmap (buffer, &map);
  }

  ret = gst_synapse_model_upload_write (self->upload, buffer);
  if (ret == GST_FLOW_OK)
    self->received += size;
  else if (ret == GST_FLOW_ERROR)
    self->done = TRUE;
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

/* Checks that the stream is whole, lets the worker complete the upload
 * and create the model, and waits for it; FALSE when EOS must not go on
 * (an error was posted, or the element is stopping). */
static gboolean
gst_synapse_model_sink_commit (GstSynapseModelSink * self)
{
  g_autoptr (JsonObject) model = NULL;
  g_autofree gchar *done = NULL;
  const gchar *name;
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
  if (self->announced > 0 && self->received != self->announced) {
    MODEL_SINK_ERROR (self, WRITE,
        ("Upstream announced a model file of %" G_GUINT64_FORMAT " bytes but "
            "the stream ended after %" G_GUINT64_FORMAT ": no model was "
            "created.", self->announced, self->received), (NULL));
    return FALSE;
  }
  if (!gst_synapse_model_sink_check_complete (self))
    return FALSE;

  model = gst_synapse_model_upload_commit (self->upload, &failed);
  if (model == NULL) {
    self->done = failed;
    return FALSE;
  }

  name = gst_synapse_model_upload_get_name (self->upload);
  id = json_object_get_int_member (model, "id");
  self->done = TRUE;
  gst_synapse_model_sink_set_model_id (self, id);
  GST_INFO_OBJECT (self, "created model %" G_GINT64_FORMAT " from %s",
      id, name);
  gst_synapse_model_sink_post_created (self, id, model);
  done = g_strdup_printf ("Created model %" G_GINT64_FORMAT " from %s (%"
      G_GUINT64_FORMAT " bytes)", id, name, self->received);
  gst_synapse_model_upload_complete (self->upload, done);
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
        gst_synapse_model_upload_cancel (self->upload);
      }
      break;
    default:
      break;
  }

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}

/* --- stopping ----------------------------------------------------------- */

/* PAUSED to READY: the stream is over, the upload too. Ends the worker
 * and, when the model was not committed, says how far it had got. */
static void
gst_synapse_model_sink_abandon (GstSynapseModelSink * self)
{
  gint64 id;

  if (self->upload == NULL)
    return;
  gst_synapse_model_upload_join (self->upload);
  if (!self->started || self->done
      || gst_synapse_model_upload_has_failed (self->upload))
    return;
  self->done = TRUE;

  /* made in the very moment the element stopped: it exists */
  id = gst_synapse_model_upload_get_created_id (self->upload);
  if (id >= 0)
    gst_synapse_model_sink_set_model_id (self, id);
  gst_synapse_model_upload_abandon (self->upload, self->received);
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
  if (self->upload)
    gst_synapse_model_upload_unlock (self->upload);
  return TRUE;
}

static gboolean
gst_synapse_model_sink_unlock_stop (GstBaseSink * bsink)
{
  GstSynapseModelSink *self = GST_SYNAPSE_MODEL_SINK (bsink);

  GST_DEBUG_OBJECT (self, "unlock_stop");
  if (self->upload)
    gst_synapse_model_upload_unlock_stop (self->upload);
  return TRUE;
}

/* What lives here: the upload worker of synapsemodelsink, the structure
 * of the sink. The element (gstsynapsemodelsink.c) checks the stream and
 * decides when it ends; this file moves the bytes and makes the model.
 *
 * - One upload a run, made at start () with the run's client and model
 *   fields, freed at stop ().
 * - At the first buffer, gst_synapse_model_upload_begin () learns the
 *   file's name and size. A known size starts the worker at once: render
 *   () hands it each buffer (gst_synapse_model_upload_write ()), waiting
 *   only for room, so that about two chunks are held whatever the file's
 *   size (the one going out, the next one arriving). An unknown size
 *   spools the bytes to an unlinked temporary file instead; the worker
 *   starts at EOS, when the size is known, and reads the file back.
 * - At EOS, gst_synapse_model_upload_commit () lets the worker complete
 *   the upload and create the model, and waits for it: EOS reaches the
 *   application only once the model exists.
 * - The worker is a thread of its own so that pausing the pipeline (the
 *   base class's unlock ()) never touches a request in flight: unlock ()
 *   only makes the streaming thread's waits give way to
 *   gst_base_sink_wait_preroll (). Only a flush, a failure or stopping
 *   (PAUSED to READY) cancels it, and every request and wait of the
 *   worker takes that cancellable, so it ends at once.
 * - The worker posts its failures as they happen, the upload's progress
 *   (the `synapse-upload-progress` element message and the `upload`
 *   progress operation) and the warnings about uploads the backend may
 *   keep; gst_synapse_model_upload_abandon () says what became of an
 *   upload stopped before EOS.
 *
 * Locking: @lock guards the hand-over (queue, flags, result) between the
 * streaming thread and the worker; the worker alone uses the chunked
 * upload while it runs.
 */






#define PROGRESS_CODE "upload"
/* at most this many progress messages a second */
#define PROGRESS_RATE 4
/* the piece read from the temporary file at a time, at most */
#define SPOOL_READ_SIZE (1024 * 1024)

struct _GstSynapseModelUpload
{
  GstBaseSink *sink;            /* which owns the upload */
  SynapseClient *client;
  JsonObject *model;            /* the fields of POST models/, checked */
  gsize chunk_size;
  gchar *name;                  /* the name the backend stores the file under */
  gint spool_fd;                /* the temporary file, or -1 */
  guint64 spooled;              /* bytes written to it */
  GstSynapseProgress progress;

  /* The worker's, once it runs (before, the streaming thread's). */
  SynapseChunkedUpload *upload;
  guint orphans;                /* uploads told of as possibly left behind */
  gint64 last_progress;         /* monotonic time of the last message */

  /* Guarded by lock. */
  GMutex lock;
  GCond cond;
  GThread *worker;
  GCancellable *cancellable;
  GQueue queue;                 /* of GstBuffer handed over, not yet taken */
  gsize queued;                 /* their bytes */
  gboolean eos;                 /* no more buffers: finish, create */
  gboolean ended;               /* the worker has ended */
  gboolean failed;              /* and posted an error */
  JsonObject *created;          /* its result: the model */
  gboolean creating;            /* POST models/ was sent */
  gboolean unlocked;            /* unlock (): the waits must give way */
  guint64 sent;                 /* bytes the backend acknowledged */
  guint64 total;                /* of the upload, once it exists */
};

/* Posts a failure of the upload's own (no request involved); the upload
 * is given up. */
#define UPLOAD_ERROR(upload, code, text, debug) G_STMT_START {          \
  gst_synapse_model_upload_give_up (upload);                            \
  GST_ELEMENT_ERROR ((upload)->sink, RESOURCE, code, text, debug);      \
} G_STMT_END

/**
 * gst_synapse_model_upload_new:
 * @sink: the sink, which posts the upload's messages
 * @client: (transfer full): the run's client
 * @model: (transfer full): the fields of `POST models/` but
 *   `chunked_upload`
 * @chunk_size: bytes a request
 *
 * Returns: (transfer full): the run's upload, not begun
 */
GstSynapseModelUpload *
gst_synapse_model_upload_new (GstBaseSink * sink, SynapseClient * client,
    JsonObject * model, gsize chunk_size)
{
  GstSynapseModelUpload *upload = g_new0 (GstSynapseModelUpload, 1);

  upload->sink = sink;
  upload->client = client;
  upload->model = model;
  upload->chunk_size = chunk_size;
  upload->spool_fd = -1;
  gst_synapse_progress_init (&upload->progress, GST_ELEMENT (sink),
      PROGRESS_CODE);
  g_mutex_init (&upload->lock);
  g_cond_init (&upload->cond);
  g_queue_init (&upload->queue);
  return upload;
}

/**
 * gst_synapse_model_upload_free:
 * @upload: the run's upload
 *
 * Ends the worker, if any, and frees everything (the spool's space too).
 */
void
gst_synapse_model_upload_free (GstSynapseModelUpload * upload)
{
  gst_synapse_model_upload_join (upload);
  g_clear_object (&upload->upload);
  g_clear_object (&upload->client);
  g_clear_pointer (&upload->model, json_object_unref);
  g_clear_pointer (&upload->created, json_object_unref);
  g_free (upload->name);
  g_queue_clear_full (&upload->queue, (GDestroyNotify) gst_buffer_unref);
  /* the file has no name: closing it frees its space */
  if (upload->spool_fd >= 0)
    close (upload->spool_fd);
  g_mutex_clear (&upload->lock);
  g_cond_clear (&upload->cond);
  g_free (upload);
}

/**
 * gst_synapse_model_upload_get_name:
 * @upload: the upload
 *
 * Returns: (nullable): the name the backend stores the file under, once
 *   begun
 */
const gchar *
gst_synapse_model_upload_get_name (GstSynapseModelUpload * upload)
{
  return upload->name;
}

/* --- progress ----------------------------------------------------------- */

static gint
percent_of (guint64 part, guint64 whole)
{
  if (whole == 0)
    return -1;
  return (gint) MIN (100, part * 100 / whole);
}

/* Called by the chunked upload after each stored chunk, from the worker. */
static void
gst_synapse_model_upload_progress (guint64 sent, guint64 total,
    gpointer user_data)
{
  GstSynapseModelUpload *upload = user_data;
  gint64 now = g_get_monotonic_time ();
  guint chunk = (guint) ((sent + upload->chunk_size - 1) / upload->chunk_size);
  GstStructure *s;

  GST_LOG_OBJECT (upload->sink, "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
      " bytes stored", sent, total);
  g_mutex_lock (&upload->lock);
  upload->sent = sent;
  upload->total = total;
  g_mutex_unlock (&upload->lock);
  /* a few a second, and always the last one */
  if (sent < total && upload->last_progress != 0
      && now - upload->last_progress < G_USEC_PER_SEC / PROGRESS_RATE)
    return;
  upload->last_progress = now;

  s = gst_structure_new ("synapse-upload-progress",
      "bytes-sent", G_TYPE_UINT64, sent, "total", G_TYPE_UINT64, total,
      "chunk", G_TYPE_UINT, chunk, NULL);
  gst_element_post_message (GST_ELEMENT (upload->sink),
      gst_message_new_element (GST_OBJECT (upload->sink), s));
  if (gst_synapse_progress_is_active (&upload->progress))
    gst_synapse_progress_continue (&upload->progress, percent_of (sent, total),
        "Uploaded %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes of %s",
        sent, total, upload->name);
}

/* Posts the end of the upload's progress, once, from either thread. */
static void
gst_synapse_model_upload_end_progress (GstSynapseModelUpload * upload,
    GstProgressType type, const gchar * text)
{
  guint64 sent, total;

  g_mutex_lock (&upload->lock);
  sent = upload->sent;
  total = upload->total;
  g_mutex_unlock (&upload->lock);
  gst_synapse_progress_end (&upload->progress, type,
      type == GST_PROGRESS_TYPE_COMPLETE ? 100 : percent_of (sent, total),
      "%s", text);
}

/**
 * gst_synapse_model_upload_complete:
 * @upload: the upload, whose model was created
 * @text: the message for people
 *
 * Completes the upload's progress operation.
 */
void
gst_synapse_model_upload_complete (GstSynapseModelUpload * upload,
    const gchar * text)
{
  gst_synapse_model_upload_end_progress (upload, GST_PROGRESS_TYPE_COMPLETE,
      text);
}

/* --- failures ----------------------------------------------------------- */

/* Posts a failed request as the element's error: @what says which step
 * failed, the library's error how. */
static void
gst_synapse_model_upload_fail (GstSynapseModelUpload * upload,
    const GError * error, const gchar * what)
{
  g_autofree gchar *how = NULL;
  g_autofree gchar *text = NULL;

  GST_WARNING_OBJECT (upload->sink, "%s: %s", what, error->message);
  gst_synapse_model_upload_end_progress (upload, GST_PROGRESS_TYPE_ERROR, what);
  how = gst_synapse_describe_client_error (GST_ELEMENT (upload->sink), error);
  text = g_strdup_printf ("%s. %s", what, how);
  GST_SYNAPSE_ELEMENT_CLIENT_ERROR (upload->sink, error,
      GST_RESOURCE_ERROR_WRITE, text);
}

/**
 * gst_synapse_model_upload_cancel:
 * @upload: the upload
 *
 * Stops the worker, which ends as soon as it can: the upload is given up
 * (a flush, a failure, stopping).
 */
void
gst_synapse_model_upload_cancel (GstSynapseModelUpload * upload)
{
  g_mutex_lock (&upload->lock);
  if (upload->cancellable)
    g_cancellable_cancel (upload->cancellable);
  g_cond_broadcast (&upload->cond);
  g_mutex_unlock (&upload->lock);
}

/**
 * gst_synapse_model_upload_give_up:
 * @upload: the upload
 *
 * Cancels the upload and ends its progress as an ERROR, for a failure
 * the element posts itself.
 */
void
gst_synapse_model_upload_give_up (GstSynapseModelUpload * upload)
{
  gst_synapse_model_upload_cancel (upload);
  gst_synapse_model_upload_end_progress (upload, GST_PROGRESS_TYPE_ERROR,
      "The upload failed");
}

/* --- the spool ---------------------------------------------------------- */

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

static gboolean
spool_write (GstSynapseModelUpload * upload, const guint8 * data, gsize size)
{
  while (size > 0) {
    gssize n = write (upload->spool_fd, data, size);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved_errno = errno;

      if (saved_errno == ENOSPC)
        UPLOAD_ERROR (upload, NO_SPACE_LEFT,
            ("No space left for the temporary file that holds the model "
                "until its size is known (set TMPDIR to a larger place)."),
            ("after %" G_GUINT64_FORMAT " bytes", upload->spooled));
      else
        UPLOAD_ERROR (upload, WRITE,
            ("Could not write the temporary file that holds the model until "
                "its size is known."), ("after %" G_GUINT64_FORMAT
                " bytes: %s", upload->spooled, g_strerror (saved_errno)));
      return FALSE;
    }
    data += n;
    size -= n;
  }
  return TRUE;
}

/* --- the worker --------------------------------------------------------- */

/* Tells of uploads the backend may keep besides this one, once each: the
 * answer to the first chunk was lost and the upload it made could not be
 * found again. From the worker. */
static void
gst_synapse_model_upload_warn_orphans (GstSynapseModelUpload * upload)
{
  guint orphans = synapse_chunked_upload_get_orphans (upload->upload);

  if (orphans <= upload->orphans)
    return;
  upload->orphans = orphans;
  GST_ELEMENT_WARNING (upload->sink, RESOURCE, WRITE,
      ("The backend's answer to the first chunk of %s was lost and the "
          "upload it made could not be found again: the upload went on as a "
          "new one, and the backend may keep %u unfinished upload%s of %s "
          "besides it (never completed, they expire).", upload->name,
          orphans, orphans > 1 ? "s" : "", upload->name), (NULL));
}

/* Makes the chunked upload of @size bytes. */
static void
gst_synapse_model_upload_set_size (GstSynapseModelUpload * upload, guint64 size)
{
  upload->upload = synapse_chunked_upload_new (upload->client, upload->name,
      size, upload->chunk_size);
  synapse_chunked_upload_set_progress_func (upload->upload,
      gst_synapse_model_upload_progress, upload, NULL);
  g_mutex_lock (&upload->lock);
  upload->total = size;
  g_mutex_unlock (&upload->lock);
}

/* Uploads the spooled file, now that its size is known. */
static gboolean
gst_synapse_model_upload_spool (GstSynapseModelUpload * upload,
    GCancellable * cancellable, GError ** error)
{
  gsize piece = MIN (upload->chunk_size, SPOOL_READ_SIZE);
  g_autofree guint8 *data = g_malloc (piece);
  guint64 left = upload->spooled;

  gst_synapse_model_upload_set_size (upload, upload->spooled);
  GST_INFO_OBJECT (upload->sink, "uploading the %" G_GUINT64_FORMAT
      " spooled bytes of %s", upload->spooled, upload->name);
  gst_synapse_progress_continue (&upload->progress, 0,
      "Uploading %s (%" G_GUINT64_FORMAT " bytes) to %s", upload->name,
      upload->spooled, synapse_client_get_base_url (upload->client));

  if (lseek (upload->spool_fd, 0, SEEK_SET) < 0) {
    int saved_errno = errno;

    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot read the temporary file back: %s", g_strerror (saved_errno));
    return FALSE;
  }
  while (left > 0) {
    gssize n = read (upload->spool_fd, data, MIN (piece, left));
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
    written = synapse_chunked_upload_write (upload->upload, data, n,
        cancellable, error);
    gst_synapse_model_upload_warn_orphans (upload);
    if (!written)
      return FALSE;
    left -= n;
  }
  return TRUE;
}

/* Writes the buffers render () hands over into the upload, until EOS. */
static gboolean
gst_synapse_model_upload_queue (GstSynapseModelUpload * upload,
    GCancellable * cancellable, GError ** error)
{
  for (;;) {
    GstBuffer *buffer;
    GstMapInfo map;
    gboolean written;

    g_mutex_lock (&upload->lock);
    while (g_queue_is_empty (&upload->queue) && !upload->eos
        && !g_cancellable_is_cancelled (cancellable))
      g_cond_wait (&upload->cond, &upload->lock);
    buffer = g_queue_pop_head (&upload->queue);
    if (buffer) {
      upload->queued -= gst_buffer_get_size (buffer);
      /* room for render () */
      g_cond_broadcast (&upload->cond);
    }
    g_mutex_unlock (&upload->lock);

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
    written = synapse_chunked_upload_write (upload->upload, map.data,
        map.size, cancellable, error);
    gst_buffer_unmap (buffer, &map);
    gst_buffer_unref (buffer);
    gst_synapse_model_upload_warn_orphans (upload);
    if (!written)
      return FALSE;
  }
}

/* Completes the upload and creates the model; NULL when cancelled or
 * when it failed, *failed telling which (an error is posted then). */
static JsonObject *
gst_synapse_model_upload_create (GstSynapseModelUpload * upload,
    GCancellable * cancellable, gboolean * failed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) done = NULL;
  g_autoptr (JsonObject) model = NULL;
  JsonNode *model_id;

  done = synapse_chunked_upload_finish (upload->upload, cancellable, &error);
  gst_synapse_model_upload_warn_orphans (upload);
  if (done == NULL) {
    *failed = !gst_synapse_is_cancellation (error, cancellable);
    if (*failed)
      gst_synapse_model_upload_fail (upload, error, "The upload of the "
          "model failed");
    return NULL;
  }
  GST_INFO_OBJECT (upload->sink, "upload of %s complete (%" G_GUINT64_FORMAT
      " bytes, MD5 %s); creating the model", upload->name,
      synapse_chunked_upload_get_total_size (upload->upload),
      synapse_chunked_upload_get_md5 (upload->upload));

  g_mutex_lock (&upload->lock);
  upload->creating = TRUE;
  g_mutex_unlock (&upload->lock);
  /* never sent twice blindly by the library, which recovers a lost answer
   * when it can; when it cannot, the model may exist */
  model = synapse_client_create_model_from_upload (upload->client,
      upload->model, done, cancellable, &error);
  if (model == NULL) {
    *failed = !gst_synapse_is_cancellation (error, cancellable);
    if (*failed && synapse_client_error_outcome_unknown (error)) {
      JsonNode *id_node = json_object_get_member (done, "id");
      g_autofree gchar *upload_id = JSON_NODE_HOLDS_VALUE (id_node)
          && json_node_get_value_type (id_node) == G_TYPE_STRING
          ? g_strdup (json_node_get_string (id_node))
          : json_to_string (id_node, FALSE);
      g_autofree gchar *what = g_strdup_printf ("Creating the model from %s "
          "failed, but the model may exist all the same, made from upload "
          "%s: the backend's answer was lost and could not be recovered",
          upload->name, upload_id);

      gst_synapse_model_upload_fail (upload, error, what);
    } else if (*failed) {
      gst_synapse_model_upload_fail (upload, error, "The model could not be "
          "created");
    }
    return NULL;
  }
  model_id = json_object_get_member (model, "id");
  if (model_id == NULL || !JSON_NODE_HOLDS_VALUE (model_id)
      || json_node_get_value_type (model_id) != G_TYPE_INT64) {
    g_set_error (&error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL,
        "POST models/: the created model has no \"id\"");
    gst_synapse_model_upload_fail (upload, error, "The backend's account of "
        "the created model cannot be used");
    *failed = TRUE;
    return NULL;
  }
  return g_steal_pointer (&model);
}

/* The upload, in a thread of its own: the bytes, the completion, the
 * model. Failures are posted here, as they happen; a cancellation (the
 * element stops) posts nothing. */
static gpointer
gst_synapse_model_upload_worker (gpointer data)
{
  GstSynapseModelUpload *upload = data;
  GCancellable *cancellable = upload->cancellable;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;
  gboolean failed = FALSE;
  gboolean uploaded = upload->spool_fd >= 0
      ? gst_synapse_model_upload_spool (upload, cancellable, &error)
      : gst_synapse_model_upload_queue (upload, cancellable, &error);

  if (uploaded) {
    model = gst_synapse_model_upload_create (upload, cancellable, &failed);
  } else if (!gst_synapse_is_cancellation (error, cancellable)) {
    gst_synapse_model_upload_fail (upload, error, "The upload of the model "
        "failed");
    failed = TRUE;
  }

  g_mutex_lock (&upload->lock);
  upload->ended = TRUE;
  upload->failed = failed;
  upload->created = g_steal_pointer (&model);
  g_cond_broadcast (&upload->cond);
  g_mutex_unlock (&upload->lock);
  return NULL;
}

static gboolean
gst_synapse_model_upload_start_worker (GstSynapseModelUpload * upload)
{
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&upload->lock);
  upload->cancellable = g_cancellable_new ();
  g_mutex_unlock (&upload->lock);
  upload->worker = g_thread_try_new ("synapse-upload",
      gst_synapse_model_upload_worker, upload, &error);
  if (upload->worker == NULL) {
    UPLOAD_ERROR (upload, FAILED, ("Could not start the upload."),
        ("%s", error->message));
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_synapse_model_upload_join:
 * @upload: the upload
 *
 * Cancels the worker and waits for its end, which is prompt: every wait
 * and request of the upload takes the cancellable.
 */
void
gst_synapse_model_upload_join (GstSynapseModelUpload * upload)
{
  if (upload->worker == NULL)
    return;
  gst_synapse_model_upload_cancel (upload);
  g_thread_join (g_steal_pointer (&upload->worker));
  g_mutex_lock (&upload->lock);
  g_clear_object (&upload->cancellable);
  g_mutex_unlock (&upload->lock);
}

/**
 * gst_synapse_model_upload_has_failed:
 * @upload: the upload
 *
 * Returns: whether the worker ended with an error it posted
 */
gboolean
gst_synapse_model_upload_has_failed (GstSynapseModelUpload * upload)
{
  gboolean failed;

  g_mutex_lock (&upload->lock);
  failed = upload->failed;
  g_mutex_unlock (&upload->lock);
  return failed;
}

/* Waits on the worker for as long as @until says, from the streaming
 * thread (the preroll lock held): when the base class pauses or stops it
 * (unlock ()), the wait gives way to gst_base_sink_wait_preroll (), as
 * the base class wants, and goes on when it returns GST_FLOW_OK (back to
 * PLAYING). Returns what it returned otherwise (flushing); the lock is
 * held on return. */
static GstFlowReturn
gst_synapse_model_upload_wait (GstSynapseModelUpload * upload,
    gboolean (*until) (GstSynapseModelUpload * upload))
{
  while (!until (upload)) {
    if (upload->unlocked) {
      GstFlowReturn ret;

      g_mutex_unlock (&upload->lock);
      ret = gst_base_sink_wait_preroll (upload->sink);
      g_mutex_lock (&upload->lock);
      if (ret != GST_FLOW_OK)
        return ret;
      continue;
    }
    g_cond_wait (&upload->cond, &upload->lock);
  }
  return GST_FLOW_OK;
}

static gboolean
has_room (GstSynapseModelUpload * upload)
{
  /* the chunked upload holds one chunk at most; the queue the next one */
  return upload->queued < upload->chunk_size || upload->ended;
}

static gboolean
worker_ended (GstSynapseModelUpload * upload)
{
  return upload->ended;
}

/**
 * gst_synapse_model_upload_unlock:
 * @upload: the upload
 *
 * The sink's unlock (): interrupts the waits of render () and EOS, which
 * then wait in gst_base_sink_wait_preroll () as the base class wants;
 * the upload goes on (pausing must not lose it).
 */
void
gst_synapse_model_upload_unlock (GstSynapseModelUpload * upload)
{
  g_mutex_lock (&upload->lock);
  upload->unlocked = TRUE;
  g_cond_broadcast (&upload->cond);
  g_mutex_unlock (&upload->lock);
}

/**
 * gst_synapse_model_upload_unlock_stop:
 * @upload: the upload
 *
 * The sink's unlock_stop (): the waits are waits again.
 */
void
gst_synapse_model_upload_unlock_stop (GstSynapseModelUpload * upload)
{
  g_mutex_lock (&upload->lock);
  upload->unlocked = FALSE;
  g_mutex_unlock (&upload->lock);
}

/* --- the stream --------------------------------------------------------- */

/**
 * gst_synapse_model_upload_begin:
 * @upload: the run's upload
 * @name: the name the backend stores the file under
 * @size: the file's size, or 0 when upstream cannot tell
 *
 * Decides, at the first buffer, how the file goes out: uploaded as it
 * arrives when its size is known, else spooled. Starts the progress
 * operation.
 *
 * Returns: %FALSE after posting an error
 */
gboolean
gst_synapse_model_upload_begin (GstSynapseModelUpload * upload,
    const gchar * name, guint64 size)
{
  g_autoptr (GError) error = NULL;

  upload->name = g_strdup (name);
  if (size > 0) {
    gst_synapse_model_upload_set_size (upload, size);
    GST_INFO_OBJECT (upload->sink, "uploading %s (%" G_GUINT64_FORMAT
        " bytes) as it arrives", name, size);
    gst_synapse_progress_start (&upload->progress, 0,
        "Uploading %s (%" G_GUINT64_FORMAT " bytes) to %s", name, size,
        synapse_client_get_base_url (upload->client));
    return gst_synapse_model_upload_start_worker (upload);
  }

  upload->spool_fd = open_spool (&error);
  if (upload->spool_fd < 0) {
    UPLOAD_ERROR (upload, OPEN_WRITE,
        ("Could not make a temporary file to hold the model until its size "
            "is known."), ("%s", error->message));
    return FALSE;
  }
  GST_INFO_OBJECT (upload->sink, "the size of %s is not known: spooling it "
      "to a temporary file until EOS", name);
  gst_synapse_progress_start (&upload->progress, -1,
      "Keeping %s in a temporary file until its size is known, then "
      "uploading it to %s", name, synapse_client_get_base_url (upload->client));
  return TRUE;
}

/* Hands @buffer to the worker once there is room for it. */
static GstFlowReturn
gst_synapse_model_upload_hand_over (GstSynapseModelUpload * upload,
    GstBuffer * buffer)
{
  GstFlowReturn ret;
  gboolean failed;

  g_mutex_lock (&upload->lock);
  ret = gst_synapse_model_upload_wait (upload, has_room);
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&upload->lock);
    GST_DEBUG_OBJECT (upload->sink, "stopped while waiting for room: %s",
        gst_flow_get_name (ret));
    return ret;
  }
  if (!upload->ended) {
    g_queue_push_tail (&upload->queue, gst_buffer_ref (buffer));
    upload->queued += gst_buffer_get_size (buffer);
    g_cond_broadcast (&upload->cond);
    g_mutex_unlock (&upload->lock);
    return GST_FLOW_OK;
  }
  failed = upload->failed;
  g_mutex_unlock (&upload->lock);
  /* it posted its error; else it was cancelled, by a flush or a stop */
  return failed ? GST_FLOW_ERROR : GST_FLOW_FLUSHING;
}

/**
 * gst_synapse_model_upload_write:
 * @upload: the begun upload
 * @buffer: the next bytes of the file
 *
 * Spools @buffer, or hands it to the worker once there is room for it
 * (giving way to the base class's waits meanwhile).
 *
 * Returns: %GST_FLOW_OK; %GST_FLOW_ERROR when an error was posted (here
 *   or by the worker); else the flow of a flush or a stop
 */
GstFlowReturn
gst_synapse_model_upload_write (GstSynapseModelUpload * upload,
    GstBuffer * buffer)
{
  GstMapInfo map;
  gboolean written;

  if (upload->spool_fd < 0)
    return gst_synapse_model_upload_hand_over (upload, buffer);

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    UPLOAD_ERROR (upload, WRITE, (NULL), ("Could not map a buffer"));
    return GST_FLOW_ERROR;
  }
  written = spool_write (upload, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  if (!written)
    return GST_FLOW_ERROR;
  upload->spooled += map.size;
  return GST_FLOW_OK;
}

/**
 * gst_synapse_model_upload_commit:
 * @upload: the begun upload, all of whose bytes were written
 * @failed: (out): set when an error was posted
 *
 * Lets the worker complete the upload and create the model (a spooled
 * file is uploaded now), and waits for it, giving way to the base
 * class's waits meanwhile.
 *
 * Returns: (transfer full) (nullable): the model; %NULL after an error,
 *   or when the element is stopping
 */
JsonObject *
gst_synapse_model_upload_commit (GstSynapseModelUpload * upload,
    gboolean * failed)
{
  JsonObject *model;
  GstFlowReturn ret;

  *failed = FALSE;
  if (upload->spool_fd >= 0 && !gst_synapse_model_upload_start_worker (upload)) {
    *failed = TRUE;
    return NULL;
  }

  g_mutex_lock (&upload->lock);
  upload->eos = TRUE;
  g_cond_broadcast (&upload->cond);
  ret = gst_synapse_model_upload_wait (upload, worker_ended);
  if (ret != GST_FLOW_OK) {
    g_mutex_unlock (&upload->lock);
    /* stopping: the state change ends the worker and says what became of
     * the upload */
    GST_DEBUG_OBJECT (upload->sink, "stopped while committing: %s",
        gst_flow_get_name (ret));
    return NULL;
  }
  *failed = upload->failed;
  model = g_steal_pointer (&upload->created);
  g_mutex_unlock (&upload->lock);
  return model;
}

/* --- stopping ----------------------------------------------------------- */

/* Says that an upload stopped before EOS was abandoned: on the bus, and
 * on the GLib log, which goes to stderr by default. The bus message is
 * posted while the bus still delivers (PAUSED to READY; the pipeline
 * flushes its bus at READY to NULL), but gst-launch-1.0 has stopped
 * reading its bus by then whichever way it ends (an interrupt without
 * -e, an error, EOS): it only sees errors, through its sync handler. */
static void
gst_synapse_model_upload_say_abandoned (GstSynapseModelUpload * upload,
    const gchar * text, const gchar * debug)
{
  g_autofree gchar *path =
      gst_object_get_path_string (GST_OBJECT (upload->sink));

  GST_ELEMENT_WARNING (upload->sink, RESOURCE, WRITE, ("%s", text), ("%s",
          debug));
  g_log ("synapsemodelsink", G_LOG_LEVEL_MESSAGE, "%s: %s", path, text);
}

/**
 * gst_synapse_model_upload_get_created_id:
 * @upload: the upload, whose worker has ended
 *
 * Returns: the id of the model the worker created and nobody took, or -1
 */
gint64
gst_synapse_model_upload_get_created_id (GstSynapseModelUpload * upload)
{
  return upload->created ? json_object_get_int_member (upload->created,
      "id") : -1;
}

/**
 * gst_synapse_model_upload_abandon:
 * @upload: the begun upload, whose worker has ended without an error and
 *   whose model was not committed
 * @received: the bytes the element received
 *
 * Says, as the element stops before EOS went on, how far the upload had
 * got: a model made in that very moment, a creation whose outcome is not
 * known, or an upload left to expire on the backend.
 */
void
gst_synapse_model_upload_abandon (GstSynapseModelUpload * upload,
    guint64 received)
{
  g_autofree gchar *text = NULL;
  g_autofree gchar *debug = NULL;

  if (upload->created) {
    gst_synapse_model_upload_end_progress (upload,
        GST_PROGRESS_TYPE_CANCELED,
        "Stopped before the end of the stream went on");
    text = g_strdup_printf ("Stopped before the end of the stream went on, "
        "but after model %" G_GINT64_FORMAT " had been created from %s.",
        gst_synapse_model_upload_get_created_id (upload), upload->name);
    gst_synapse_model_upload_say_abandoned (upload, text, "");
    return;
  }
  gst_synapse_model_upload_end_progress (upload, GST_PROGRESS_TYPE_CANCELED,
      "Stopped before the end of the stream: the upload was abandoned");
  if (upload->creating) {
    text = g_strdup_printf ("Stopped while the model was being created from "
        "the upload of %s: the backend may or may not have created it.",
        upload->name);
    debug = g_strdup ("");
  } else {
    text = g_strdup_printf ("Stopped before the end of the stream: the "
        "upload of %s was abandoned after %" G_GUINT64_FORMAT " bytes had "
        "been sent, and no model was created.", upload->name, upload->sent);
    debug = g_strdup_printf ("%" G_GUINT64_FORMAT " bytes received, %"
        G_GUINT64_FORMAT " stored by the backend%s", received, upload->sent,
        upload->spool_fd >= 0 ? " (the size was not known yet)" : "");
  }
  gst_synapse_model_upload_say_abandoned (upload, text, debug);
}

/* What lives here: what a sink learns about the file that comes to it,
 * from upstream, at its first buffer: the file's name (from the URI of
 * the source that reads it) and its size (from a duration query in
 * bytes). synapsemodelsink names the upload after the one and decides
 * with the other whether to upload as the bytes arrive or spool them;
 * apart from the element, because neither is about the upload. */




/* how far upstream the file name is looked for */
#define MAX_UPSTREAM_DEPTH 16

/**
 * gst_synapse_file_name:
 * @path: (nullable): a file's path, or its name
 *
 * Returns: (transfer full) (nullable): its base name, if it is one the
 *   backend can store a file under
 */
gchar *
gst_synapse_file_name (const gchar * path)
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
  return gst_synapse_file_name (path);
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

/**
 * gst_synapse_upstream_file_name:
 * @sink: a sink
 *
 * The name of the file a source upstream of @sink reads (the last part
 * of its URI, as filesrc's location gives it), looking through bins and
 * elements of one sink pad such as queue.
 *
 * Returns: (transfer full) (nullable): the name, or %NULL when there is
 *   none
 */
gchar *
gst_synapse_upstream_file_name (GstBaseSink * sink)
{
  GstPad *pad = gst_pad_get_peer (GST_BASE_SINK_PAD (sink));

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

      GST_DEBUG_OBJECT (sink, "upstream source %s reads %s",
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

/**
 * gst_synapse_upstream_size:
 * @sink: a sink, at its first buffer
 *
 * The size of the whole stream when upstream knows it. Only a byte
 * stream that starts at its beginning counts: the byte size that an
 * element with timed output (an encoder) passes on from upstream is that
 * of its input.
 *
 * Returns: the size in bytes, or 0 when not known
 */
guint64
gst_synapse_upstream_size (GstBaseSink * sink)
{
  GstFormat format;
  guint64 start;
  gint64 duration = -1;

  GST_OBJECT_LOCK (sink);
  format = sink->segment.format;
  start = sink->segment.start;
  GST_OBJECT_UNLOCK (sink);

  if (format != GST_FORMAT_BYTES || start != 0) {
    GST_DEBUG_OBJECT (sink, "not a byte stream from its start (a %s "
        "segment from %" G_GUINT64_FORMAT "): the size is not known",
        gst_format_get_name (format), start);
    return 0;
  }
  if (!gst_pad_peer_query_duration (GST_BASE_SINK_PAD (sink),
          GST_FORMAT_BYTES, &duration) || duration <= 0) {
    GST_DEBUG_OBJECT (sink, "upstream does not know the size");
    return 0;
  }
  return (guint64) duration;
}
