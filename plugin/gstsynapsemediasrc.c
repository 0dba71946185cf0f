/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the element synapsemediasrc, its documentation and its
 * own properties (file-key, max-downloads, max-bytes, framerate,
 * on-missing, on-mismatch, download-dir, max-download-size), and its run:
 * the events of each page become fetches of their files, up to
 * max-downloads at once and within the byte budget, each an async call of
 * the library (synapse_client_fetch_file_async (), run by the client's
 * workers) that completes in the streaming thread's own GMainContext;
 * create () waits for the oldest and pushes it with its caps and its
 * SynapseEventMeta (gstsynapseeventmeta.c). The walk through the listing
 * is the one synapsegtsrc takes (gstsynapselisting.c). */

/**
 * SECTION:element-synapsemediasrc
 * @title: synapsemediasrc
 * @see_also: synapsegtsrc, decodebin, appsink
 *
 * Streams the files of a Synapse backend's data units into a pipeline,
 * one buffer for each ground-truth event, each carrying its event. It
 * walks the same listing as synapsegtsrc (the same filter and paging
 * properties select the events) and, for each event, fetches one file of
 * its data unit (the entry #GstSynapseMediaSrc:file-key of
 * `data_unit.files`), so that `decodebin` and the rest of a media
 * pipeline get the images themselves.
 *
 * Each buffer holds the bytes of one file, whole. Its caps are the media
 * type of the response's `Content-Type` when that names one, else what
 * typefinding the bytes finds (never the URL's extension: backends serve
 * PNGs under `.jpg` names), else `application/octet-stream`; a file of
 * another type than the one before starts a new stream (stream-start, then
 * its caps, then the segment again): `decodebin3` follows such changes,
 * with a decoder for each type, while `decodebin` and a fixed decoder take
 * one type a stream, so a listing that mixes PNG and JPEG wants
 * `decodebin3` (or a filter that selects one type). GStreamer 1.22's
 * `decodebin3` waits for ever on a stream that ends before its first
 * buffer (an empty listing, every event skipped): an application that may
 * meet one watches for an EOS before any caps on the source's pad, as
 * `examples/frames_with_ground_truth.py` does. The buffer of
 * the event with index i in the listing (from 0, skipped events
 * included) has #GST_BUFFER_OFFSET i and #GST_BUFFER_OFFSET_END i + 1; with
 * #GstSynapseMediaSrc:framerate its PTS is i / framerate and its duration
 * one frame, so that `decodebin ! autovideosink` shows a slideshow and
 * encoders get a steady stream. The segment is in %GST_FORMAT_TIME, as
 * decoders want.
 *
 * Each buffer carries the custom meta `SynapseEventMeta`, whose structure
 * holds `event-id` (#gint64), `index` (#guint64), `event` (string: the
 * event's JSON as the backend sent it), `data-unit-id` (#gint64, -1 when
 * the event has none), `file-key` (string) and `url` (string). It has no
 * tags, so decoders and video filters such as `videoconvert` and
 * `videoscale` copy it to their output: a decoded, scaled frame still
 * says which event it is. In C:
 * |[<!-- language="C" -->
 * GstCustomMeta *meta = gst_buffer_get_custom_meta (buffer, "SynapseEventMeta");
 * const GstStructure *s = gst_custom_meta_get_structure (meta);
 * gint64 event_id;
 *
 * gst_structure_get_int64 (s, "event-id", &event_id);
 * ]|
 * In Python: `buffer.get_custom_meta("SynapseEventMeta").get_structure()`.
 *
 * Up to #GstSynapseMediaSrc:max-downloads files are fetched at once, on
 * the reused connections of one session, yet the buffers keep the events'
 * order. The files held in memory (fetched and not yet pushed, and those
 * in flight at the size their events declare) stay within
 * #GstSynapseMediaSrc:max-bytes: no new download starts past it, and one
 * always may, so a file larger than the budget still comes through (a file
 * whose event declares no size counts once it has arrived). No file is
 * larger than #GstSynapseMediaSrc:max-download-size.
 *
 * Every file is checked before its buffer is pushed: one that ends short
 * of its event's declared `size` is fetched again (like a body cut short
 * before its `Content-Length`, or a broken connection, HTTP 429 or 5xx:
 * retried as pages are); one that is longer, or does not match the
 * declared `checksum` (MD5, SHA-1, SHA-256 or SHA-512), is an error naming
 * the event and the URL, or, with #GstSynapseMediaSrc:on-mismatch=skip, a
 * warning and the event is skipped. The credentials go only to the
 * backend's own origin: a file URL on another host (presigned, most
 * often) is fetched without them. With #GstSynapseMediaSrc:download-dir,
 * files are kept in a cache folder and taken from there, checked, instead
 * of being fetched again.
 *
 * An event whose data unit has no such file is skipped (with a warning,
 * once a run, and counted in the `skipped` field of its page's
 * `synapse-page` message), or, with #GstSynapseMediaSrc:on-missing=error,
 * ends the stream with a RESOURCE NOT_FOUND error once the events before
 * it are pushed.
 *
 * #GstBaseSrc:num-buffers caps the events of the listing taken (skipped
 * ones count), and only their files are fetched. Going to READY or NULL
 * cancels every download and request at once; going to PLAYING again
 * streams the listing again from its start-index.
 *
 * #GstSynapseMediaSrc:start-index, #GstSynapseMediaSrc:shard-count and
 * #GstSynapseMediaSrc:shard-index start anywhere and share the listing as
 * in synapsegtsrc. The element is seekable in %GST_FORMAT_DEFAULT (one
 * unit, one event), and with a framerate in %GST_FORMAT_TIME too, where a
 * seek starts at the first event whose PTS is at or after the position
 * sought (a conversion query maps one to the other). A flushing seek
 * cancels the downloads and requests in flight and starts again at that
 * event; without a framerate the segment of the new stream is in TIME
 * from 0, its buffers untimed.
 *
 * The connection properties (base URL, credentials, timeouts, retries) are
 * those every Synapse element shares (see #GstSynapseConnection); the
 * filter and paging properties, the `synapse-page` and `fetch` progress
 * messages and the errors (RESOURCE NOT_AUTHORIZED, NOT_FOUND, SETTINGS,
 * READ, with `http-status-code`, `url`, `method` and `server-detail` in
 * their details) are those of synapsegtsrc.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 synapsemediasrc dataset-versions=12 framerate=2/1 ! \
 *   decodebin ! videoconvert ! autovideosink
 * ]| A slideshow of dataset version 12, two images a second.
 * |[
 * gst-launch-1.0 synapsemediasrc dataset-versions=12 file-key=image_1 ! \
 *   decodebin3 ! videoconvert ! videoscale ! \
 *   video/x-raw,format=RGB,width=224,height=224 ! appsink name=frames
 * ]| Frames for training, 224×224 RGB, each with its event in its
 * SynapseEventMeta, whatever mix of image types the dataset holds.
 * |[
 * gst-launch-1.0 -e synapsemediasrc dataset-versions=12 framerate=25/1 ! \
 *   jpegdec ! videoconvert ! videoscale ! video/x-raw,width=640,height=480 ! \
 *   x264enc ! mp4mux ! filesink location=dataset-12.mp4
 * ]| Re-encodes a dataset version of JPEG images into a video file, a frame
 * an event.
 */

#include "config.h"

#include <gst/gst.h>
#include <gst/base/gsttypefindhelper.h>
#include <synapse/synapse.h>

#include <string.h>

#include "gstsynapseconnection.h"
#include "gstsynapseelements.h"
#include "gstsynapseerror.h"
#include "gstsynapseeventmeta.h"
#include "gstsynapselisting.h"
#include "gstsynapsemediasrc.h"
#include "gstsynapsesettings.h"

GST_DEBUG_CATEGORY_STATIC (gst_synapse_media_src_debug);
#define GST_CAT_DEFAULT gst_synapse_media_src_debug

#define DEFAULT_MAX_DOWNLOADS 8
#define DEFAULT_MAX_BYTES (G_GUINT64_CONSTANT (64) << 20)
#define DEFAULT_MAX_DOWNLOAD_SIZE (G_GUINT64_CONSTANT (1) << 30)

enum
{
  PROP_0,
  /* dataset-versions … total-count (gstsynapselisting.c) */
  PROP_LISTING,
  PROP_FILE_KEY = PROP_LISTING + GST_SYNAPSE_LISTING_N_PROPS,
  PROP_MAX_DOWNLOADS,
  PROP_MAX_BYTES,
  PROP_FRAMERATE,
  PROP_ON_MISSING,
  PROP_ON_MISMATCH,
  PROP_DOWNLOAD_DIR,
  PROP_MAX_DOWNLOAD_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The settings one run reads at start. */
typedef struct
{
  gchar *file_key;
  guint max_downloads;
  guint64 max_bytes;
  gint framerate[2];
  GstSynapseMediaSrcAction on_missing;
  GstSynapseMediaSrcAction on_mismatch;
  gchar *download_dir;
  guint64 max_download_size;
} MediaSettings;

/* One event's file, from the moment its page arrives to its buffer. */
typedef struct
{
  GstSynapseMediaSrc *self;
  GstSynapseEventFields fields;
  gchar *file_key;
  gchar *url;
  gint64 size;                  /* declared, -1: not */
  gchar *checksum;              /* declared, or NULL */
  guint64 counted;              /* its bytes in the budget */
  /* in flight: its own cancellable, cancelled with the one of create ()
   * that started it (unlock) or alone (stop) */
  GCancellable *cancellable;
  GCancellable *parent;
  gulong parent_handler;
  gboolean done;
  GBytes *bytes;
  gchar *content_type;
  GError *error;
} MediaFetch;

struct _GstSynapseMediaSrc
{
  GstPushSrc parent;

  /* Properties (gst_synapse_settings_install ()), guarded by the object
   * lock; the listing's are in the listing. */
  MediaSettings settings;

  /* The listing properties, and one run's walk. */
  GstSynapseListing listing;

  /* One run, from start () to stop (); only the streaming thread touches
   * these while the element runs. */
  MediaSettings run;
  GMainContext *context;        /* where the fetches complete */
  GPtrArray *upcoming;          /* of MediaFetch: the current page's
                                 * events not fetched yet, NULL: skipped */
  guint upcoming_index;
  GQueue fetches;               /* of MediaFetch, in event order */
  guint in_flight;
  guint64 held_bytes;           /* the budget's count */
  gboolean listed_all;
  gboolean warned_missing;
  GstCaps *caps;                /* of the last buffer pushed */
  guint64 pushed;

  /* a seek in events, kept from prepare_seek_segment () for do_seek ()
   * (which sees only the TIME segment made of it) */
  gboolean seek_recorded;
  guint64 seek_start;
  guint64 seek_stop;
};

/* Where the value of each property lives (gstsynapsesettings.c). */
#define FIELD(member) G_STRUCT_OFFSET (GstSynapseMediaSrc, settings.member)

/* filled in by class_init () for the listing properties */
static gsize property_fields[N_PROPS] = {
  [PROP_FILE_KEY] = FIELD (file_key),
  [PROP_MAX_DOWNLOADS] = FIELD (max_downloads),
  [PROP_MAX_BYTES] = FIELD (max_bytes),
  [PROP_FRAMERATE] = FIELD (framerate),
  [PROP_ON_MISSING] = FIELD (on_missing),
  [PROP_ON_MISMATCH] = FIELD (on_mismatch),
  [PROP_DOWNLOAD_DIR] = FIELD (download_dir),
  [PROP_MAX_DOWNLOAD_SIZE] = FIELD (max_download_size),
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

GType
gst_synapse_media_src_action_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_SYNAPSE_MEDIA_SRC_ERROR, "Stop with an error", "error"},
    {GST_SYNAPSE_MEDIA_SRC_SKIP, "Skip the event, with a warning", "skip"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstSynapseMediaSrcAction", values));
  return type;
}

#define gst_synapse_media_src_parent_class parent_class
GST_SYNAPSE_ELEMENT_DEFINE (synapsemediasrc, GstSynapseMediaSrc,
    gst_synapse_media_src, GST_TYPE_PUSH_SRC, GST_TYPE_SYNAPSE_MEDIA_SRC);

/* the listing's query (), which the element's own chains to */
static gboolean (*listing_query) (GstBaseSrc * src, GstQuery * query);

static void gst_synapse_media_src_finalize (GObject * object);
static gboolean gst_synapse_media_src_start (GstBaseSrc * bsrc);
static gboolean gst_synapse_media_src_stop (GstBaseSrc * bsrc);
static gboolean gst_synapse_media_src_query (GstBaseSrc * bsrc,
    GstQuery * query);
static gboolean gst_synapse_media_src_prepare_seek_segment (GstBaseSrc *
    bsrc, GstEvent * event, GstSegment * segment);
static gboolean gst_synapse_media_src_do_seek (GstBaseSrc * bsrc,
    GstSegment * segment);
static GstClockTime event_time (GstSynapseMediaSrc * self, guint64 index);
static GstFlowReturn gst_synapse_media_src_create (GstPushSrc * psrc,
    GstBuffer ** outbuf);

static void
gst_synapse_media_src_class_init (GstSynapseMediaSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);
  const GParamFlags flags = GST_SYNAPSE_PARAM_SETTING;

  GST_DEBUG_CATEGORY_INIT (gst_synapse_media_src_debug, "synapsemediasrc", 0,
      "Synapse data unit media source");
  gst_synapse_event_meta_register ();

  gobject_class->finalize = gst_synapse_media_src_finalize;

  gst_synapse_listing_class_init (basesrc_class, properties + PROP_LISTING,
      property_fields + PROP_LISTING, G_STRUCT_OFFSET (GstSynapseMediaSrc,
          listing));

  /**
   * GstSynapseMediaSrc:file-key:
   *
   * Which file of each event's data unit to fetch: the key of the entry
   * in `data_unit.files` (e.g. `image_1`), whose value is an object with
   * a `url` (and, when the backend declares them, a `size` and a
   * `checksum`) or a URL string. %NULL takes each data unit's first
   * entry.
   */
  properties[PROP_FILE_KEY] =
      g_param_spec_string ("file-key", "File key",
      "Key of the data unit's file to fetch in data_unit.files, e.g. "
      "\"image_1\" (empty: the first entry)", NULL, flags);

  /**
   * GstSynapseMediaSrc:max-downloads:
   *
   * How many files are fetched at once, on the session's reused
   * connections. The buffers keep the events' order whatever order the
   * files arrive in.
   */
  properties[PROP_MAX_DOWNLOADS] =
      g_param_spec_uint ("max-downloads", "Maximum downloads",
      "Files fetched at once", 1, 64, DEFAULT_MAX_DOWNLOADS, flags);

  /**
   * GstSynapseMediaSrc:max-bytes:
   *
   * The byte budget: no new download starts while the files fetched and
   * not yet pushed, and those in flight at their declared size, hold this
   * many bytes or more. One download always may start, so that a file
   * larger than the budget still comes through.
   */
  properties[PROP_MAX_BYTES] =
      g_param_spec_uint64 ("max-bytes", "Maximum bytes",
      "Bytes of files held in memory before no new download starts", 1,
      G_MAXUINT64, DEFAULT_MAX_BYTES, flags);

  /**
   * GstSynapseMediaSrc:framerate:
   *
   * With a framerate, the buffer of the event with index i has the PTS
   * i / framerate and the duration of one frame; 0/1 leaves the buffers
   * without timestamps.
   */
  properties[PROP_FRAMERATE] =
      gst_param_spec_fraction ("framerate", "Frame rate",
      "Events a second, for the buffers' timestamps (0/1: no timestamps)",
      0, 1, G_MAXINT, 1, 0, 1, flags);

  /**
   * GstSynapseMediaSrc:on-missing:
   *
   * What to do with an event whose data unit has no such file: skip it
   * (a warning once a run; the `synapse-page` message counts it), or stop
   * with a RESOURCE NOT_FOUND error after the events before it.
   */
  properties[PROP_ON_MISSING] =
      g_param_spec_enum ("on-missing", "On missing",
      "What to do with an event without the file",
      GST_TYPE_SYNAPSE_MEDIA_SRC_ACTION, GST_SYNAPSE_MEDIA_SRC_SKIP, flags);

  /**
   * GstSynapseMediaSrc:on-mismatch:
   *
   * What to do with a file that does not match the size or checksum its
   * event declares (after the retries, for one cut short): stop with a
   * RESOURCE READ error naming the event and the URL, or skip the event
   * with a warning that names them.
   */
  properties[PROP_ON_MISMATCH] =
      g_param_spec_enum ("on-mismatch", "On mismatch",
      "What to do with a file that does not match its declared size or "
      "checksum", GST_TYPE_SYNAPSE_MEDIA_SRC_ACTION,
      GST_SYNAPSE_MEDIA_SRC_ERROR, flags);

  /**
   * GstSynapseMediaSrc:download-dir:
   *
   * A cache folder, made when missing: a file found there (a regular file
   * that still matches its event's size and checksum) is read from there
   * instead of being fetched; a file fetched is kept there, under a name
   * made from its URL as synapsegtsrc's #GstSynapseGtSrc:download-dir
   * makes it. %NULL fetches every file into memory only.
   */
  properties[PROP_DOWNLOAD_DIR] =
      g_param_spec_string ("download-dir", "Download folder",
      "Cache folder for the files (empty: fetch into memory only)", NULL,
      flags);

  /**
   * GstSynapseMediaSrc:max-download-size:
   *
   * The largest file taken, in bytes after any gzip or deflate
   * `Content-Encoding` is decoded (0: no limit); a larger one is a
   * RESOURCE READ error. A file is held in memory whole.
   */
  properties[PROP_MAX_DOWNLOAD_SIZE] =
      g_param_spec_uint64 ("max-download-size", "Maximum download size",
      "Largest file taken, in bytes (0 = no limit)", 0, G_MAXUINT64,
      DEFAULT_MAX_DOWNLOAD_SIZE, flags);

  gst_synapse_settings_install (gobject_class, properties, property_fields,
      N_PROPS);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Synapse data unit media source", "Source/Network",
      "Streams the files of the data units of a Synapse ML backend's "
      "ground-truth events, one buffer an event carrying the event in a "
      "SynapseEventMeta, e.g. synapsemediasrc dataset-versions=12 ! "
      "decodebin ! videoconvert ! autovideosink. Bus messages: element "
      "synapse-page after each page (page, events, next-index, position, "
      "total, skipped); progress, code fetch, around each request; need-context "
      "and have-context synapse.client (one client for the pipeline); a "
      "RESOURCE NOT_FOUND warning for events skipped without their file, a "
      "RESOURCE READ one for files skipped with on-mismatch=skip; RESOURCE "
      "errors SETTINGS (at start, before any request, for settings that "
      "cannot work), NOT_AUTHORIZED, NOT_FOUND, READ, with "
      "http-status-code, url, method and server-detail in their details. "
      "The connection properties are those of GstSynapseConnection, shared "
      "by every Synapse element", "gst-synapse developers");

  listing_query = basesrc_class->query;
  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_synapse_media_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_synapse_media_src_stop);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_synapse_media_src_query);
  basesrc_class->prepare_seek_segment =
      GST_DEBUG_FUNCPTR (gst_synapse_media_src_prepare_seek_segment);
  basesrc_class->do_seek = GST_DEBUG_FUNCPTR (gst_synapse_media_src_do_seek);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_synapse_media_src_create);

  gst_type_mark_as_plugin_api (GST_TYPE_SYNAPSE_MEDIA_SRC_ACTION, 0);
}

static void
gst_synapse_media_src_init (GstSynapseMediaSrc * self)
{
  gst_synapse_settings_init (G_OBJECT (self));
  gst_synapse_listing_init (&self->listing, GST_ELEMENT (self));
  g_queue_init (&self->fetches);

  /* decoders take TIME segments */
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
  gst_base_src_set_live (GST_BASE_SRC (self), FALSE);
}

static void
media_settings_clear (MediaSettings * settings)
{
  g_clear_pointer (&settings->file_key, g_free);
  g_clear_pointer (&settings->download_dir, g_free);
}

/* Forgets the cancellables of a fetch that is over. */
static void
media_fetch_release (MediaFetch * fetch)
{
  if (fetch->parent)
    g_cancellable_disconnect (fetch->parent, fetch->parent_handler);
  fetch->parent_handler = 0;
  g_clear_object (&fetch->parent);
  g_clear_object (&fetch->cancellable);
}

/* NULL-safe: the page's array holds NULL for each event skipped */
static void
media_fetch_free (MediaFetch * fetch)
{
  if (fetch == NULL)
    return;
  media_fetch_release (fetch);
  g_bytes_unref (fetch->fields.event);
  g_free (fetch->file_key);
  g_free (fetch->url);
  g_free (fetch->checksum);
  g_clear_pointer (&fetch->bytes, g_bytes_unref);
  g_free (fetch->content_type);
  g_clear_error (&fetch->error);
  g_free (fetch);
}

/* Ends every fetch in flight (they complete cancelled) and forgets the
 * events of the walk: a walk starts again after it. Not from the
 * streaming thread while it runs. */
static void
gst_synapse_media_src_drop_fetches (GstSynapseMediaSrc * self)
{
  for (GList * l = self->fetches.head; l; l = l->next) {
    MediaFetch *fetch = l->data;

    if (fetch->cancellable)
      g_cancellable_cancel (fetch->cancellable);
  }
  while (self->in_flight > 0)
    g_main_context_iteration (self->context, TRUE);
  g_queue_clear_full (&self->fetches, (GDestroyNotify) media_fetch_free);
  g_clear_pointer (&self->upcoming, g_ptr_array_unref);
  self->upcoming_index = 0;
  self->held_bytes = 0;
  self->listed_all = FALSE;
}

/* Drops what a run holds but the listing's walk. */
static void
gst_synapse_media_src_clear_run (GstSynapseMediaSrc * self)
{
  gst_synapse_media_src_drop_fetches (self);
  g_clear_pointer (&self->context, g_main_context_unref);
  media_settings_clear (&self->run);
  self->warned_missing = FALSE;
  gst_clear_caps (&self->caps);
  self->pushed = 0;
  self->seek_recorded = FALSE;
}

static void
gst_synapse_media_src_finalize (GObject * object)
{
  GstSynapseMediaSrc *self = GST_SYNAPSE_MEDIA_SRC (object);

  gst_synapse_media_src_clear_run (self);
  gst_synapse_listing_clear (&self->listing);
  gst_synapse_settings_clear (object);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static gboolean
gst_synapse_media_src_start (GstBaseSrc * bsrc)
{
  GstSynapseMediaSrc *self = GST_SYNAPSE_MEDIA_SRC (bsrc);
  g_autoptr (JsonObject) params = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *first_url = NULL;
  guint workers, prefetch;

  params = gst_synapse_listing_make_params (&self->listing, &error);
  if (params == NULL) {
    GST_SYNAPSE_ELEMENT_SETTINGS_ERROR (self, error);
    return FALSE;
  }
  first_url = gst_synapse_listing_open (&self->listing, params, NULL);
  if (first_url == NULL)
    return FALSE;

  GST_OBJECT_LOCK (self);
  self->run = self->settings;
  self->run.file_key = g_strdup (self->settings.file_key);
  self->run.download_dir = g_strdup (self->settings.download_dir);
  GST_OBJECT_UNLOCK (self);

  /* the downloads and the pages fetched ahead share the client's
   * workers: enough of them that both run at once */
  g_object_get (self->listing.client, "worker-threads", &workers,
      "prefetch", &prefetch, NULL);
  if (workers < self->run.max_downloads + prefetch)
    g_object_set (self->listing.client, "worker-threads",
        self->run.max_downloads + prefetch, NULL);

  self->context = g_main_context_new ();
  /* with a framerate, the segment starts at the time of the first event */
  GST_OBJECT_LOCK (self);
  bsrc->segment.start = bsrc->segment.position = bsrc->segment.time =
      event_time (self, self->listing.walk_start);
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "streaming the files %s of %s, %u at once, "
      "%" G_GUINT64_FORMAT " bytes held at most%s%s",
      self->run.file_key ? self->run.file_key : "(the first)", first_url,
      self->run.max_downloads, self->run.max_bytes,
      self->run.download_dir ? ", cached in " : "",
      self->run.download_dir ? self->run.download_dir : "");
  return TRUE;
}

static gboolean
gst_synapse_media_src_stop (GstBaseSrc * bsrc)
{
  GstSynapseMediaSrc *self = GST_SYNAPSE_MEDIA_SRC (bsrc);

  gst_synapse_listing_stop (&self->listing, self->pushed);
  gst_synapse_media_src_clear_run (self);
  return TRUE;
}

/* --- seeking: events, and with a framerate their times ------------------- */

/* The time of event @index (%G_MAXUINT64: the end, none); without a
 * framerate the events have none, and a segment spans from 0 to the
 * end. */
static GstClockTime
event_time (GstSynapseMediaSrc * self, guint64 index)
{
  gint fps_n = self->run.framerate[0], fps_d = self->run.framerate[1];

  if (index == G_MAXUINT64)
    return GST_CLOCK_TIME_NONE;
  if (fps_n <= 0)
    return 0;
  return gst_util_uint64_scale (index, fps_d * GST_SECOND, fps_n);
}

/* The first event at or after @time, with a framerate. */
static guint64
event_at (GstSynapseMediaSrc * self, GstClockTime time)
{
  gint fps_n = self->run.framerate[0], fps_d = self->run.framerate[1];

  if (!GST_CLOCK_TIME_IS_VALID (time))
    return G_MAXUINT64;
  return gst_util_uint64_scale_ceil (time, fps_n, fps_d * GST_SECOND);
}

/* A seek in events (GST_FORMAT_DEFAULT): the walk's events are kept for
 * do_seek (), and the segment, in TIME for the decoders, spans their
 * times (from 0, without a framerate). */
static gboolean
gst_synapse_media_src_prepare_seek_segment (GstBaseSrc * bsrc,
    GstEvent * event, GstSegment * segment)
{
  GstSynapseMediaSrc *self = GST_SYNAPSE_MEDIA_SRC (bsrc);
  GstSeekType start_type, stop_type;
  GstSeekFlags flags;
  GstFormat format;
  gint64 start, stop;
  gdouble rate;

  gst_event_parse_seek (event, &rate, &format, &flags, &start_type, &start,
      &stop_type, &stop);
  if (format != GST_FORMAT_DEFAULT || start_type != GST_SEEK_TYPE_SET
      || stop_type == GST_SEEK_TYPE_END || start < 0)
    return FALSE;
  self->seek_start = start;
  self->seek_stop = stop_type == GST_SEEK_TYPE_SET && stop >= 0 ?
      (guint64) stop : G_MAXUINT64;
  self->seek_recorded = TRUE;
  return gst_segment_do_seek (segment, rate, GST_FORMAT_TIME, flags,
      GST_SEEK_TYPE_SET, event_time (self, start), GST_SEEK_TYPE_SET,
      self->run.framerate[0] > 0 ? event_time (self, self->seek_stop)
      : GST_CLOCK_TIME_NONE, NULL);
}

/* The walk starts again at the segment's events: those of a seek in
 * events, or, with a framerate, the first at or after its start time;
 * without one a TIME seek can only go back to the first event. The
 * segment start () set is the start-index's. */
static gboolean
gst_synapse_media_src_do_seek (GstBaseSrc * bsrc, GstSegment * segment)
{
  GstSynapseMediaSrc *self = GST_SYNAPSE_MEDIA_SRC (bsrc);
  GstSynapseListing *listing = &self->listing;
  guint64 start, stop;

  if (self->seek_recorded) {
    start = self->seek_start;
    stop = self->seek_stop;
    self->seek_recorded = FALSE;
  } else if (self->run.framerate[0] > 0) {
    /* start () set the segment at the start-index's time */
    start = event_at (self, segment->start);
    stop = event_at (self, segment->stop);
  } else if (!listing->streaming && listing->walk_pending) {
    /* untimed: the first segment is the start-index's */
    start = listing->walk_start;
    stop = G_MAXUINT64;
  } else if (segment->start == 0) {
    start = 0;
    stop = G_MAXUINT64;
  } else {
    GST_DEBUG_OBJECT (self, "a seek in time needs a framerate");
    return FALSE;
  }
  gst_synapse_listing_seek (listing, start, stop);
  segment->position = segment->start;
  return TRUE;
}

/* Converts between events and their times, with a framerate. */
static gboolean
convert (GstSynapseMediaSrc * self, GstFormat from, gint64 value,
    GstFormat to, gint64 * result)
{
  if (from == to) {
    *result = value;
    return TRUE;
  }
  if (self->run.framerate[0] <= 0 || value < 0)
    return FALSE;
  if (from == GST_FORMAT_DEFAULT && to == GST_FORMAT_TIME)
    *result = event_time (self, value);
  else if (from == GST_FORMAT_TIME && to == GST_FORMAT_DEFAULT)
    *result = event_at (self, value);
  else
    return FALSE;
  return TRUE;
}

/* Seeking in events (and in TIME with a framerate), conversions between
 * them, and a duration in TIME with a framerate: the events of the
 * listing, a frame each; the rest is the listing's. */
static gboolean
gst_synapse_media_src_query (GstBaseSrc * bsrc, GstQuery * query)
{
  GstSynapseMediaSrc *self = GST_SYNAPSE_MEDIA_SRC (bsrc);
  GstFormat format;
  gint64 total;
  gint fps_n, fps_d;

  if (GST_QUERY_TYPE (query) == GST_QUERY_SEEKING) {
    gint64 duration = -1;

    gst_query_parse_seeking (query, &format, NULL, NULL, NULL);
    GST_OBJECT_LOCK (self);
    fps_n = self->settings.framerate[0];
    total = self->listing.total_count;
    GST_OBJECT_UNLOCK (self);
    if (format != GST_FORMAT_DEFAULT && format != GST_FORMAT_TIME)
      return listing_query (bsrc, query);
    if (total >= 0 && (format == GST_FORMAT_DEFAULT || fps_n > 0))
      convert (self, GST_FORMAT_DEFAULT, total, format, &duration);
    gst_query_set_seeking (query, format, GST_BASE_SRC_GET_CLASS (bsrc)->is_seekable (bsrc)
        && (format == GST_FORMAT_DEFAULT || fps_n > 0), 0, duration);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) == GST_QUERY_CONVERT) {
    GstFormat from, to;
    gint64 value, result;

    gst_query_parse_convert (query, &from, &value, &to, NULL);
    if (!convert (self, from, value, to, &result))
      return listing_query (bsrc, query);
    gst_query_set_convert (query, from, value, to, result);
    return TRUE;
  }
  if (GST_QUERY_TYPE (query) != GST_QUERY_DURATION)
    return listing_query (bsrc, query);
  gst_query_parse_duration (query, &format, NULL);
  GST_OBJECT_LOCK (self);
  total = self->listing.total_count;
  fps_n = self->settings.framerate[0];
  fps_d = self->settings.framerate[1];
  GST_OBJECT_UNLOCK (self);
  if (format != GST_FORMAT_TIME || fps_n <= 0 || total < 0)
    return listing_query (bsrc, query);
  gst_query_set_duration (query, format, gst_util_uint64_scale (total,
          fps_d * GST_SECOND, fps_n));
  return TRUE;
}

/* --- the events' files ---------------------------------------------------- */

static gint64
int_member (JsonObject * object, const gchar * name, gint64 fallback)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

static const gchar *
string_member (JsonObject * object, const gchar * name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
object_member (JsonObject * object, const gchar * name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_OBJECT (node) ?
      json_node_get_object (node) : NULL;
}

/* The fetch of the file of the page's event at @index, or NULL when its
 * data unit has no such file. */
static MediaFetch *
describe_fetch (GstSynapseMediaSrc * self, SynapsePage * page, guint index,
    guint64 listing_index)
{
  /* two members parsed, not the page: the cost of an event is its
   * download's */
  g_autoptr (JsonNode) id = synapse_page_dup_item_member (page, index, "id");
  g_autoptr (JsonNode) unit = synapse_page_dup_item_member (page, index,
      "data_unit");
  JsonObject *data_unit = unit && JSON_NODE_HOLDS_OBJECT (unit) ?
      json_node_get_object (unit) : NULL;
  JsonObject *files = object_member (data_unit, "files");
  JsonNode *entry = NULL;
  const gchar *key = self->run.file_key;
  const gchar *url = NULL;
  JsonObject *described = NULL;
  MediaFetch *fetch;

  if (files && key) {
    entry = json_object_get_member (files, key);
  } else if (files) {
    JsonObjectIter iter;

    json_object_iter_init_ordered (&iter, files);
    json_object_iter_next_ordered (&iter, &key, &entry);
  }
  if (entry && JSON_NODE_HOLDS_OBJECT (entry)) {
    described = json_node_get_object (entry);
    url = string_member (described, "url");
  } else if (entry && json_node_get_value_type (entry) == G_TYPE_STRING) {
    url = json_node_get_string (entry);
  }

  fetch = g_new0 (MediaFetch, 1);
  fetch->self = self;
  fetch->fields.event_id = id && json_node_get_value_type (id) ==
      G_TYPE_INT64 ? json_node_get_int (id) : -1;
  fetch->fields.index = listing_index;
  fetch->fields.event = synapse_page_get_item_bytes (page, index);
  fetch->fields.data_unit_id = int_member (data_unit, "id", -1);
  fetch->file_key = g_strdup (key);
  fetch->url = g_strdup (url);
  fetch->size = int_member (described, "size", -1);
  fetch->checksum = g_strdup (string_member (described, "checksum"));
  if (url == NULL) {
    /* pushed in turn as an error with on-missing=error */
    g_set_error (&fetch->error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
        "Event %" G_GINT64_FORMAT " has no file%s%s in its data unit's files",
        fetch->fields.event_id, self->run.file_key ? " " : "",
        self->run.file_key ? self->run.file_key : "");
    fetch->done = TRUE;
  }
  return fetch;
}

static void
fetch_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  MediaFetch *fetch = user_data;
  GstSynapseMediaSrc *self = fetch->self;

  fetch->bytes = synapse_client_fetch_file_finish (SYNAPSE_CLIENT (source),
      result, &fetch->content_type, &fetch->error);
  fetch->done = TRUE;
  media_fetch_release (fetch);
  self->in_flight--;
  /* the budget counts what it holds now, not what it declared */
  self->held_bytes -= fetch->counted;
  fetch->counted = fetch->bytes ? g_bytes_get_size (fetch->bytes) : 0;
  self->held_bytes += fetch->counted;
  GST_LOG_OBJECT (self, "event %" G_GINT64_FORMAT ": %s", fetch->fields.event_id,
      fetch->error ? fetch->error->message : "fetched");
}

static void
cancel_child (GCancellable * parent, GCancellable * child)
{
  g_cancellable_cancel (child);
}

/* Starts (or, after a cancellation, starts again) the fetch of @fetch's
 * file, which completes in the streaming thread's context. */
static void
start_fetch (GstSynapseMediaSrc * self, MediaFetch * fetch,
    GCancellable * cancellable)
{
  g_clear_error (&fetch->error);
  fetch->done = FALSE;
  fetch->cancellable = g_cancellable_new ();
  fetch->parent = g_object_ref (cancellable);
  fetch->parent_handler = g_cancellable_connect (cancellable,
      G_CALLBACK (cancel_child), g_object_ref (fetch->cancellable),
      g_object_unref);
  fetch->counted = MAX (fetch->size, 0);
  self->held_bytes += fetch->counted;
  self->in_flight++;
  g_main_context_push_thread_default (self->context);
  synapse_client_fetch_file_async (self->listing.client, fetch->url,
      fetch->size, fetch->checksum, self->run.download_dir,
      self->run.max_download_size, fetch->cancellable, fetch_done, fetch);
  g_main_context_pop_thread_default (self->context);
}

/* The next page's events, ready to be fetched; listed_all at the end. */
static GstFlowReturn
read_page (GstSynapseMediaSrc * self, GCancellable * cancellable)
{
  GstSynapseListing *listing = &self->listing;
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapsePage) page = NULL;
  guint n_events, skipped = 0;
  guint64 first;

  page = gst_synapse_listing_read_page (listing, cancellable, &error);
  if (page == NULL && error != NULL)
    return gst_synapse_listing_fail (listing, error, cancellable,
        self->pushed);
  if (page == NULL) {
    gst_synapse_listing_end (listing);
    self->listed_all = TRUE;
    return GST_FLOW_OK;
  }

  n_events = synapse_page_get_n_items (page);
  first = synapse_page_get_position (page);
  g_clear_pointer (&self->upcoming, g_ptr_array_unref);
  self->upcoming = g_ptr_array_new_full (n_events, (GDestroyNotify)
      media_fetch_free);
  self->upcoming_index = 0;
  for (guint i = 0; i < n_events; i++) {
    MediaFetch *fetch = describe_fetch (self, page, i, first + i);

    if (fetch->url == NULL && self->run.on_missing == GST_SYNAPSE_MEDIA_SRC_SKIP) {
      GST_DEBUG_OBJECT (self, "%s: skipped", fetch->error->message);
      if (!self->warned_missing)
        GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND, ("%s: skipped, as "
                "every event without it will be (on-missing=skip).",
                fetch->error->message), (NULL));
      self->warned_missing = TRUE;
      media_fetch_free (fetch);
      fetch = NULL;
      skipped++;
    }
    g_ptr_array_add (self->upcoming, fetch);
  }
  gst_synapse_listing_post_page (listing, page, skipped);
  gst_synapse_listing_end_request (listing);
  return GST_FLOW_OK;
}

/* Whether another fetch may start: fewer than max-downloads in flight,
 * and the budget not spent (or nothing held at all). */
static gboolean
may_start (GstSynapseMediaSrc * self)
{
  return self->in_flight < self->run.max_downloads
      && (self->held_bytes < self->run.max_bytes
      || g_queue_is_empty (&self->fetches));
}

/* Starts the fetches that may start, reading pages as their events are
 * needed. */
static GstFlowReturn
fill (GstSynapseMediaSrc * self, GCancellable * cancellable)
{
  /* fetches that are over, not only the oldest, free their place */
  while (g_main_context_iteration (self->context, FALSE))
    continue;
  while (may_start (self)) {
    MediaFetch *fetch;

    if (self->upcoming == NULL || self->upcoming_index >= self->upcoming->len) {
      GstFlowReturn ret;

      g_clear_pointer (&self->upcoming, g_ptr_array_unref);
      if (self->listed_all)
        break;
      ret = read_page (self, cancellable);
      if (ret != GST_FLOW_OK)
        return ret;
      continue;
    }
    fetch = g_steal_pointer (&self->upcoming->pdata[self->upcoming_index++]);
    if (fetch == NULL)
      continue;
    if (fetch->fields.index >= gst_synapse_listing_get_stop (&self->listing)) {
      /* the segment's stop: nothing after it is needed */
      media_fetch_free (fetch);
      self->listed_all = TRUE;
      g_clear_pointer (&self->upcoming, g_ptr_array_unref);
      break;
    }
    g_queue_push_tail (&self->fetches, fetch);
    if (fetch->done) {
      /* an error in its turn: nothing after it is needed */
      self->listed_all = TRUE;
      g_clear_pointer (&self->upcoming, g_ptr_array_unref);
      break;
    }
    start_fetch (self, fetch, cancellable);
  }
  return GST_FLOW_OK;
}

/* The caps of a fetched file: its Content-Type's media type when it names
 * one, else typefinding's, else application/octet-stream; only the media
 * type, so that files of one type are one stream. */
static GstCaps *
caps_of (GstSynapseMediaSrc * self, MediaFetch * fetch, GstBuffer * buffer)
{
  const gchar *type = fetch->content_type;
  g_autoptr (GstCaps) found = NULL;

  if (type && (!strchr (type, '/') || !g_ascii_strcasecmp (type,
              "application/octet-stream")
          || !g_ascii_strcasecmp (type, "binary/octet-stream")))
    type = NULL;
  if (type == NULL) {
    found = gst_type_find_helper_for_buffer (GST_OBJECT (self), buffer, NULL);
    if (found && !gst_caps_is_empty (found) && !gst_caps_is_any (found))
      type = gst_structure_get_name (gst_caps_get_structure (found, 0));
  }
  if (type == NULL)
    type = "application/octet-stream";
  {
    g_autofree gchar *lower = g_ascii_strdown (type, -1);

    return gst_caps_new_empty_simple (lower);
  }
}

/* Caps for a file of another type than the one before: a new stream
 * (stream-start, caps, segment, as a stream begins), so that elements that
 * follow stream changes set themselves up again. */
static void
gst_synapse_media_src_change_type (GstSynapseMediaSrc * self,
    MediaFetch * fetch, GstCaps * caps)
{
  GstBaseSrc *bsrc = GST_BASE_SRC (self);
  GstPad *pad = GST_BASE_SRC_PAD (self);
  g_autofree gchar *id = NULL;
  GstEvent *start;
  GstSegment segment;

  GST_DEBUG_OBJECT (self, "event %" G_GINT64_FORMAT ": caps %" GST_PTR_FORMAT,
      fetch->fields.event_id, caps);
  if (self->caps == NULL) {
    /* the first stream, which the base class started */
    gst_base_src_set_caps (bsrc, caps);
    gst_caps_replace (&self->caps, caps);
    return;
  }

  id = gst_pad_create_stream_id_printf (pad, GST_ELEMENT (self),
      "%" G_GUINT64_FORMAT, fetch->fields.index);
  start = gst_event_new_stream_start (id);
  gst_event_set_group_id (start, gst_util_group_id_next ());
  gst_pad_push_event (pad, start);
  gst_base_src_set_caps (bsrc, caps);
  gst_caps_replace (&self->caps, caps);
  GST_OBJECT_LOCK (self);
  gst_segment_copy_into (&bsrc->segment, &segment);
  GST_OBJECT_UNLOCK (self);
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
}

/* The buffer of a fetched file: its bytes, its offsets and timestamps,
 * its event. */
static GstBuffer *
make_buffer (GstSynapseMediaSrc * self, MediaFetch * fetch)
{
  GstBuffer *buffer = gst_buffer_new_wrapped_bytes (fetch->bytes);
  guint64 index = fetch->fields.index;
  gint fps_n = self->run.framerate[0], fps_d = self->run.framerate[1];
  g_autoptr (GstCaps) caps = caps_of (self, fetch, buffer);

  if (self->caps == NULL || !gst_caps_is_equal (caps, self->caps))
    gst_synapse_media_src_change_type (self, fetch, caps);

  GST_BUFFER_OFFSET (buffer) = index;
  GST_BUFFER_OFFSET_END (buffer) = index + 1;
  if (fps_n > 0) {
    GstClockTime pts = gst_util_uint64_scale (index, fps_d * GST_SECOND,
        fps_n);

    GST_BUFFER_PTS (buffer) = pts;
    GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale (index + 1,
        fps_d * GST_SECOND, fps_n) - pts;
  }
  fetch->fields.file_key = fetch->file_key;
  fetch->fields.url = fetch->url;
  gst_synapse_event_meta_add (buffer, &fetch->fields);
  return buffer;
}

/* What a failed fetch becomes: a skipped event (GST_FLOW_OK), or an error
 * that names the event and the URL. */
static GstFlowReturn
fetch_failed (GstSynapseMediaSrc * self, MediaFetch * fetch)
{
  const GError *error = fetch->error;
  g_autofree gchar *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NOT_FOUND, ("%s "
            "(on-missing=error).", error->message), (NULL),
        ("event-id", G_TYPE_INT64, fetch->fields.event_id, NULL));
    return GST_FLOW_ERROR;
  }

  if (g_error_matches (error, SYNAPSE_CLIENT_ERROR,
          SYNAPSE_CLIENT_ERROR_CHECKSUM)
      && self->run.on_mismatch == GST_SYNAPSE_MEDIA_SRC_SKIP) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ, ("Event %" G_GINT64_FORMAT
            " skipped (on-mismatch=skip): %s", fetch->fields.event_id,
            error->message), (NULL));
    return GST_FLOW_OK;
  }

  /* the library's words name the URL (without any password) */
  text = g_strdup_printf ("Cannot fetch the file of event %" G_GINT64_FORMAT
      ": %s", fetch->fields.event_id, error->message);
  GST_SYNAPSE_ELEMENT_CLIENT_ERROR (self, error, GST_RESOURCE_ERROR_READ,
      text);
  return GST_FLOW_ERROR;
}

static GstFlowReturn
gst_synapse_media_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstSynapseMediaSrc *self = GST_SYNAPSE_MEDIA_SRC (psrc);
  g_autoptr (GCancellable) cancellable =
      gst_synapse_listing_ref_cancellable (&self->listing);

  /* a seek: the walk starts again, without the files of the last one */
  if (gst_synapse_listing_restart (&self->listing))
    gst_synapse_media_src_drop_fetches (self);
  for (;;) {
    GstFlowReturn ret = fill (self, cancellable);
    MediaFetch *head;

    if (ret != GST_FLOW_OK)
      return ret;
    head = g_queue_peek_head (&self->fetches);
    if (head == NULL)
      return GST_FLOW_EOS;

    while (!head->done)
      g_main_context_iteration (self->context, TRUE);
    if (g_error_matches (head->error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      if (g_cancellable_is_cancelled (cancellable))
        return GST_FLOW_FLUSHING;
      /* cancelled by an earlier flush: this run wants it */
      start_fetch (self, head, cancellable);
      continue;
    }

    g_queue_pop_head (&self->fetches);
    self->held_bytes -= head->counted;
    if (head->error) {
      ret = fetch_failed (self, head);
      media_fetch_free (head);
      if (ret != GST_FLOW_OK)
        return ret;
      continue;
    }
    *outbuf = make_buffer (self, head);
    media_fetch_free (head);
    self->pushed++;
    return GST_FLOW_OK;
  }
}
