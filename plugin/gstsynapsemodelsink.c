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

#include <string.h>

#include "gstsynapseerror.h"
#include "gstsynapseprogress.h"
#include "gstsynapsemodelsink.h"
#include "gstsynapseconnection.h"
#include "gstsynapseelements.h"
#include "gstsynapsemodelupload.h"
#include "gstsynapsesettings.h"
#include "gstsynapseupstream.h"

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
GST_SYNAPSE_ELEMENT_DEFINE (synapsemodelsink, GstSynapseModelSink,
    gst_synapse_model_sink, GST_TYPE_BASE_SINK, GST_TYPE_SYNAPSE_MODEL_SINK);

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
  const GParamFlags flags = GST_SYNAPSE_PARAM_SETTING;

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
      "model-name=m model-type=detection project=1. Bus messages: element "
      "synapse-upload-progress as chunks are stored (bytes-sent, total, "
      "chunk) and synapse-model-created before EOS (model-id, model, file); "
      "progress, code upload; need-context and have-context synapse.client "
      "(one client for the pipeline); RESOURCE WRITE warnings when the "
      "upload is abandoned or the backend may keep an unfinished one; "
      "RESOURCE errors SETTINGS (at start, before any request), "
      "NOT_AUTHORIZED, NOT_FOUND, NO_SPACE_LEFT, WRITE, with "
      "http-status-code, url, method and server-detail in their details. "
      "The connection properties are those of GstSynapseConnection, shared "
      "by every Synapse element", "gst-synapse developers");

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
