/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-synapsegtsrc
 * @title: synapsegtsrc
 * @see_also: filesink, appsink
 *
 * Streams the ground-truth events of a Synapse backend into a pipeline. It
 * pages through the backend's `sdk/ground_truth_events/` listing and pushes
 * one event per buffer, as compact UTF-8 JSON followed by a newline, so
 * that `filesink` writes NDJSON (one JSON object a line). The caps are
 * `application/x-json, format=ndjson`.
 *
 * Buffers count events: the buffer of the event with index i (from 0) has
 * #GST_BUFFER_OFFSET i and #GST_BUFFER_OFFSET_END i + 1, and the segment is
 * in %GST_FORMAT_DEFAULT, whose unit is one event. A duration query in
 * that format answers the backend's count of matching events once the
 * first page has arrived (also the #GstSynapseGtSrc:total-count property).
 * Each buffer holds the very bytes the backend sent for the event (any
 * whitespace between tokens removed); with #GstSynapseGtSrc:url-prefix,
 * #GstSynapseGtSrc::convert-url or #GstSynapseGtSrc:download-dir, only the
 * converted URL strings differ (and a downloaded file entry's `url` key,
 * which becomes `path`): numbers such as `0.942` or
 * `18446744073709551615`, escapes and key order stay as they came. The
 * element holds the page being pushed (and, with
 * #GstSynapseGtSrc:prefetch, the pages requested ahead, no more bytes of
 * them than #GstSynapseGtSrc:prefetch-bytes), so its memory stays bounded
 * however long the listing is and however large its pages.
 * #GstBaseSrc:num-buffers caps the number of events; after the last one
 * the element sends EOS.
 *
 * A backend whose pages would be walked forever ends the stream with a
 * READ error instead, after the events before its misstep (each pushed
 * once): `next` links that lead back to a page already walked (by page
 * number or by cursor), more events than the first page's `count` (or
 * pages past the last one the count fills), or 3 empty pages in a row
 * that still link on. The debug string says which.
 *
 * The backend's URL and credentials default to the environment variables
 * `SYNAPSE_BACKEND_URL`, `SYNAPSE_ACCESS_TOKEN` and `SYNAPSE_TENANT`, read
 * when the element is made, so that a token need not appear on a command
 * line, or read from a file with #GstSynapseGtSrc:access-token-file.
 * The #GstSynapseGtSrc:access-token property never reads back in clear,
 * and the token appears in no log line or message; nor does a password in
 * #GstSynapseGtSrc:base-url. A credential holding a control character (a
 * line break, say) cannot be sent in a header and is a RESOURCE SETTINGS
 * error at start, before any request.
 *
 * Failed requests are retried when retrying can help (HTTP 429, 500, 502,
 * 503, 504, a broken connection, a timeout, a cut or malformed page), with
 * exponential backoff, without losing or repeating any event. A backend
 * that keeps a request alive while sending next to nothing (a byte a
 * second, or `102 Processing` for ever) is given up on as a timeout after
 * about #GstSynapseGtSrc:timeout seconds, and retried
 * (#GstSynapseGtSrc:low-speed-limit). Going to
 * READY or NULL cancels the request in flight and any backoff wait at
 * once, so a hung backend never blocks a state change; going to PLAYING
 * again streams the listing again from the start.
 *
 * ## Messages
 *
 * * `synapse-page`, an element message after each page, with the fields
 *   `page` (#guint, from 1), `events` (#guint, events in this page),
 *   `position` (#guint64, events received so far, this page included) and
 *   `total` (#gint64, the backend's count, -1 if it gave none).
 * * #GST_MESSAGE_PROGRESS with the code `fetch`, around each request:
 *   START before it, COMPLETE once its events are ready, files downloaded
 *   included ("Received all N ground-truth events" for the last page),
 *   ERROR when it fails, CANCELED when the element stops during it; a
 *   CONTINUE may come in between while the page's files are downloaded.
 *   They carry a `percent` field (#gint) with the share of the listing
 *   received so far, when the backend gives a total. Each request is an
 *   operation of its own, rather than the whole stream one long
 *   operation, because applications such as gst-launch-1.0 wait for a
 *   progress operation to complete before they go to PLAYING.
 * * Errors of the RESOURCE domain: NOT_AUTHORIZED when the backend refuses
 *   the credentials (HTTP 401 or 403), NOT_FOUND for HTTP 404 (most often
 *   a base URL that does not lead to the backend's API), SETTINGS for
 *   properties that cannot work (found at start, before any request: a
 *   #GstSynapseGtSrc:dataset-versions item that is empty or not a whole
 *   number, a #GstSynapseGtSrc:url-prefix without a scheme and a host, a
 *   bad #GstSynapseGtSrc:extra-params…), READ for anything else (the backend
 *   failed even after retries, could not be reached, sent something
 *   unusable, or refused the filters with HTTP 400, as a Django REST
 *   Framework backend refuses an unknown dataset version; some backends
 *   answer it with no events instead; with #GstSynapseGtSrc:download-dir,
 *   a file that does not match the size or checksum its event declares,
 *   whose message names the event's `id` and the URL, or one larger than
 *   #GstSynapseGtSrc:max-download-size). Their details
 *   hold `http-status-code` (#guint, when the backend answered), `url` and
 *   `method` of the failed request and the backend's error body as the
 *   string `server-detail`; the debug string is the client library's
 *   account of the failure. Wherever the backend's own text is quoted
 *   (messages, debug string, `server-detail`), a tab or line break is a
 *   space and any other control character U+FFFD, so that printing an
 *   error never drives a terminal.
 * * A warning of the RESOURCE domain, SETTINGS, once a run, when the URLs
 *   are converted and none of the first page's events has one of the
 *   #GstSynapseGtSrc:url-fields paths (most often a typo); the stream goes
 *   on.
 *
 * ## Example launch lines
 * |[
 * SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \
 *   gst-launch-1.0 synapsegtsrc dataset-versions=12 ! \
 *   filesink location=events.ndjson
 * ]| Writes every event of dataset version 12 to `events.ndjson`, in the
 * backend's order.
 * |[
 * gst-launch-1.0 -m synapsegtsrc dataset-versions=12,13 project=4 \
 *   extra-params="params, page_size=500" num-buffers=1000 ! fakesink
 * ]| Reads the first 1000 events of versions 12 and 13 in project 4, 500 a
 * request, and prints the `synapse-page` and progress messages.
 * |[
 * gst-launch-1.0 synapsegtsrc dataset-versions=12 download-dir=media \
 *   url-fields=files,data_unit.files ! filesink location=events.ndjson
 * ]| Downloads the files the events point to into the folder `media` and
 * writes events whose file URLs are replaced by the local paths.
 * |[
 * gst-launch-1.0 synapsegtsrc dataset-versions=12 \
 *   url-prefix=https://cdn.example.com/mirror ! filesink location=events.ndjson
 * ]| Writes events whose file URLs point to the same paths on a mirror.
 */

#include "config.h"

#include <string.h>

#include "gstsynapsegtsrc.h"
#include "gstsynapseelements.h"
#include "gstsynapseutils.h"

GST_DEBUG_CATEGORY_STATIC (gst_synapse_gt_src_debug);
#define GST_CAT_DEFAULT gst_synapse_gt_src_debug

#define PROGRESS_CODE "fetch"

#define DEFAULT_DATASET_VERSIONS NULL
#define DEFAULT_PROJECT -1
#define DEFAULT_URL_FIELDS "files"
#define DEFAULT_MAX_DOWNLOAD_SIZE (G_GUINT64_CONSTANT (4) << 30)

enum
{
  PROP_DATASET_VERSIONS = GST_SYNAPSE_CONNECTION_PROP_LAST,
  PROP_PROJECT,
  PROP_DATA_TYPE,
  PROP_CREATED_AFTER,
  PROP_SEARCH,
  PROP_EXTRA_PARAMS,
  PROP_PAGE_SIZE,
  PROP_PREFETCH,
  PROP_URL_PREFIX,
  PROP_DOWNLOAD_DIR,
  PROP_URL_FIELDS,
  PROP_TOTAL_COUNT,
  PROP_PREFETCH_BYTES,
  PROP_MAX_DOWNLOAD_SIZE,
  N_PROPS
};

enum
{
  SIGNAL_CONVERT_URL,
  LAST_SIGNAL
};

static GParamSpec *properties[N_PROPS];
static guint signals[LAST_SIGNAL];

struct _GstSynapseGtSrc
{
  GstPushSrc parent;

  /* Properties, guarded by the object lock. */
  GstSynapseConnection conn;
  gchar *dataset_versions;
  gint project;
  gchar *data_type;
  gchar *created_after;
  gchar *search;
  gchar *extra_params;
  guint page_size;
  guint prefetch;
  guint64 prefetch_bytes;
  gchar *url_prefix;
  gchar *download_dir;
  gchar *url_fields;
  gint64 total_count;
  guint64 max_download_size;

  /* Cancelled by unlock(), replaced by unlock_stop(); object lock. */
  GCancellable *cancellable;

  /* One run, from start() to stop(). While the element runs, only the
   * streaming thread touches these. */
  SynapseClient *client;
  SynapsePager *pager;
  SynapseUrlConversion *download;
  gchar *run_url_prefix;
  gboolean run_convert_signal;
  GStrv run_url_fields;         /* converted, to be checked on the first
                                 * events; NULL once checked */
  SynapsePage *page;            /* the events of the current page */
  guint page_index;             /* the next one to push */
  gboolean page_downloaded;     /* its files are in download-dir */
  guint64 offset;               /* index of the next event pushed */
  guint pages_reported;
  gboolean in_progress;         /* a request's progress START awaits its end */
  gboolean finished;            /* the listing has no more pages */
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-json, format = (string) ndjson"));

#define gst_synapse_gt_src_parent_class parent_class
G_DEFINE_TYPE (GstSynapseGtSrc, gst_synapse_gt_src, GST_TYPE_PUSH_SRC);

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (synapsegtsrc, "synapsegtsrc",
    GST_RANK_NONE, GST_TYPE_SYNAPSE_GT_SRC, synapse_element_init (plugin));

static void gst_synapse_gt_src_finalize (GObject * object);
static void gst_synapse_gt_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_synapse_gt_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_synapse_gt_src_start (GstBaseSrc * bsrc);
static gboolean gst_synapse_gt_src_stop (GstBaseSrc * bsrc);
static gboolean gst_synapse_gt_src_unlock (GstBaseSrc * bsrc);
static gboolean gst_synapse_gt_src_unlock_stop (GstBaseSrc * bsrc);
static gboolean gst_synapse_gt_src_is_seekable (GstBaseSrc * bsrc);
static gboolean gst_synapse_gt_src_query (GstBaseSrc * bsrc, GstQuery * query);
static GstFlowReturn gst_synapse_gt_src_create (GstPushSrc * psrc,
    GstBuffer ** outbuf);

/* Emission stops at the first handler that returns a URL. */
static gboolean
first_url_accumulator (GSignalInvocationHint * hint, GValue * return_accu,
    const GValue * handler_return, gpointer data)
{
  const gchar *url = g_value_get_string (handler_return);

  if (url == NULL)
    return TRUE;
  g_value_set_string (return_accu, url);
  return FALSE;
}

static void
gst_synapse_gt_src_class_init (GstSynapseGtSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;
  GParamSpecUInt *client_page_size, *client_prefetch;
  GParamSpecUInt64 *client_prefetch_bytes;

  GST_DEBUG_CATEGORY_INIT (gst_synapse_gt_src_debug, "synapsegtsrc", 0,
      "Synapse ground-truth event source");

  gobject_class->finalize = gst_synapse_gt_src_finalize;
  gobject_class->set_property = gst_synapse_gt_src_set_property;
  gobject_class->get_property = gst_synapse_gt_src_get_property;

  /**
   * GstSynapseGtSrc:base-url:
   *
   * The base URL of the Synapse backend, e.g. `https://api.example.com/`.
   * When the property is not set it is read from the environment variable
   * `SYNAPSE_BACKEND_URL` as the element is made.
   *
   * A user and password in it (`https://user:password@api.example.com/`,
   * say for a proxy with Basic authentication) are taken out of it: they
   * are sent as `Authorization: Basic …` to the backend's origin only, and
   * the URL reads back, and appears in logs and messages, without them.
   * Prefer `SYNAPSE_BACKEND_URL` for such a URL: GStreamer's parser logs a
   * launch line at the DEBUG level.
   */
  /**
   * GstSynapseGtSrc:access-token:
   *
   * The personal access token, sent to the backend (and only to its
   * origin) as `Synapse-Access-Token: Token …`. When the property is not
   * set it is read from the environment variable `SYNAPSE_ACCESS_TOKEN`
   * as the element is made, which keeps the token off command lines.
   * Reading the property gives %NULL when no token is set and
   * `********` when one is: the token itself is never read back.
   */
  /**
   * GstSynapseGtSrc:access-token-file:
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
   * `SYNAPSE_ACCESS_TOKEN`; setting #GstSynapseGtSrc:access-token as
   * well is a RESOURCE SETTINGS error at start. Reading the property
   * gives the path.
   */
  /**
   * GstSynapseGtSrc:tenant:
   *
   * The tenant code, sent as `Synapse-Tenant: Token …` when set. When the
   * property is not set it is read from the environment variable
   * `SYNAPSE_TENANT` as the element is made.
   */
  /**
   * GstSynapseGtSrc:timeout:
   *
   * Seconds to wait for a connection, or for any read or write on it,
   * before the attempt fails (and is retried); 0 waits forever. A stalled
   * request never blocks a state change: going to READY cancels it.
   */
  /**
   * GstSynapseGtSrc:low-speed-limit:
   *
   * The slowest transfer accepted, in bytes a second (curl's
   * `--speed-limit`, with #GstSynapseGtSrc:timeout as its `--speed-time`): an
   * attempt that moves fewer than low-speed-limit × timeout bytes in any
   * window of timeout seconds fails as a timeout and is retried like one.
   * Waiting for an answer moves nothing, however many `102 Processing`
   * the backend sends, so a backend that trickles a byte a second or
   * keeps a request waiting for ever cannot hold the element. 0 turns the
   * limit off (so does a timeout of 0).
   */
  /**
   * GstSynapseGtSrc:retries:
   *
   * How many times a failed request is tried again when retrying can
   * help: HTTP 429 (honouring `Retry-After`), 500, 502, 503 and 504, a
   * refused or broken connection, a cut or malformed page. Other failures
   * (401, 403, 404, 400…) end the stream at once.
   */
  /**
   * GstSynapseGtSrc:retry-backoff-factor:
   *
   * Seconds to wait before the first retry; each further retry of the
   * same request waits twice as long, with random jitter down to half,
   * up to #GstSynapseGtSrc:retry-backoff-max.
   */
  /**
   * GstSynapseGtSrc:retry-backoff-max:
   *
   * The longest wait between two attempts, in seconds; it also caps the
   * backend's `Retry-After`.
   */
  /**
   * GstSynapseGtSrc:ssl-strict:
   *
   * Whether an HTTPS backend's certificate must be trusted. Turning it
   * off accepts any certificate: for tests only; prefer
   * #GstSynapseGtSrc:ca-file.
   */
  /**
   * GstSynapseGtSrc:ca-file:
   *
   * A PEM file of the certificate authorities to trust instead of the
   * system's, for a backend whose certificate a company's own CA signed.
   * A file that cannot be read or holds no certificate fails with a
   * RESOURCE SETTINGS error at start; a backend whose certificate is not
   * trusted fails at the first request, before any credential is sent.
   */
  gst_synapse_connection_install_properties (gobject_class);

  /**
   * GstSynapseGtSrc:dataset-versions:
   *
   * The ground-truth dataset versions whose events are streamed, as a
   * comma-separated list of ids, e.g. `12,13`
   * (`ground_truth_dataset_versions`, one parameter an id). %NULL or empty
   * streams every event the credentials may read. A list with an item that
   * is not a whole number, or empty (`1,,2`, `,`, blanks), fails with a
   * RESOURCE SETTINGS error at start.
   */
  properties[PROP_DATASET_VERSIONS] =
      g_param_spec_string ("dataset-versions", "Dataset versions",
      "Comma-separated ids of the ground-truth dataset versions to stream, "
      "e.g. \"12,13\" (empty: every version)", DEFAULT_DATASET_VERSIONS, flags);
  g_object_class_install_property (gobject_class, PROP_DATASET_VERSIONS,
      properties[PROP_DATASET_VERSIONS]);

  /**
   * GstSynapseGtSrc:project:
   *
   * Only the events of this project (`project`); -1 for any project.
   */
  properties[PROP_PROJECT] =
      g_param_spec_int ("project", "Project",
      "Id of the project whose events to stream (-1 = any project)", -1,
      G_MAXINT, DEFAULT_PROJECT, flags);
  g_object_class_install_property (gobject_class, PROP_PROJECT,
      properties[PROP_PROJECT]);

  /**
   * GstSynapseGtSrc:data-type:
   *
   * Only the events of this data type (`data_type`), e.g. `image`; %NULL
   * for any.
   */
  properties[PROP_DATA_TYPE] =
      g_param_spec_string ("data-type", "Data type",
      "Data type of the events to stream, e.g. \"image\" (empty: any)", NULL,
      flags);
  g_object_class_install_property (gobject_class, PROP_DATA_TYPE,
      properties[PROP_DATA_TYPE]);

  /**
   * GstSynapseGtSrc:created-after:
   *
   * Only the events created after this moment (`created_after`), an ISO
   * 8601 date or date and time such as `2024-05-01T00:00:00Z`, passed to
   * the backend as it is; %NULL for no limit.
   */
  properties[PROP_CREATED_AFTER] =
      g_param_spec_string ("created-after", "Created after",
      "Only events created after this ISO 8601 date or date-time, e.g. "
      "\"2024-05-01T00:00:00Z\" (empty: no limit)", NULL, flags);
  g_object_class_install_property (gobject_class, PROP_CREATED_AFTER,
      properties[PROP_CREATED_AFTER]);

  /**
   * GstSynapseGtSrc:search:
   *
   * Only the events that the backend's text search finds for these words
   * (`search`); %NULL for all.
   */
  properties[PROP_SEARCH] =
      g_param_spec_string ("search", "Search",
      "Only events matching this text search (empty: all)", NULL, flags);
  g_object_class_install_property (gobject_class, PROP_SEARCH,
      properties[PROP_SEARCH]);

  /**
   * GstSynapseGtSrc:extra-params:
   *
   * Any other query parameters, as a #GstStructure string whose name is
   * not used, e.g. `params, page_size=50, search=cat`. Each field becomes
   * a parameter of the first request: a whole number, a number, a boolean
   * (sent as `true`/`false`) or a string, or an array (`<1,2>`) or list
   * (`{1,2}`) of them sent as the same key repeated. A field replaces the
   * parameter of the same name set by another property (`page_size` that
   * of #GstSynapseGtSrc:page-size). A string that is not a structure, or a
   * field of another type, fails with a RESOURCE SETTINGS error at start.
   */
  properties[PROP_EXTRA_PARAMS] =
      g_param_spec_string ("extra-params", "Extra parameters",
      "More query parameters as a GstStructure string, e.g. "
      "\"params, page_size=50, search=cat\"; arrays <1,2> repeat the key "
      "(empty: none)", NULL, flags);
  g_object_class_install_property (gobject_class, PROP_EXTRA_PARAMS,
      properties[PROP_EXTRA_PARAMS]);

  /**
   * GstSynapseGtSrc:page-size:
   *
   * How many events each request asks for (`page_size`). Backends cap it,
   * often at 1000. Only one page is held in memory at a time.
   */
  client_page_size =
      G_PARAM_SPEC_UINT (gst_synapse_client_find_property ("page-size"));
  properties[PROP_PAGE_SIZE] =
      g_param_spec_uint ("page-size", "Page size",
      "Events asked for in each request (the backend may cap it)",
      client_page_size->minimum, client_page_size->maximum,
      client_page_size->default_value, flags);
  g_object_class_install_property (gobject_class, PROP_PAGE_SIZE,
      properties[PROP_PAGE_SIZE]);

  /**
   * GstSynapseGtSrc:prefetch:
   *
   * How many page requests may be in flight at once: with more than 1,
   * and a backend whose `next` links number their pages (Django REST
   * Framework's do), the pages after the one being pushed are requested
   * (and their URLs converted, their files downloaded) ahead, several at
   * once. 1 fetches the pages strictly one after the other. Events are
   * pushed in order, each exactly once, whatever the value; memory holds
   * at most this many pages plus the one being pushed, and no more bytes
   * ahead than #GstSynapseGtSrc:prefetch-bytes.
   */
  client_prefetch =
      G_PARAM_SPEC_UINT (gst_synapse_client_find_property ("prefetch"));
  properties[PROP_PREFETCH] =
      g_param_spec_uint ("prefetch", "Prefetch",
      "Page requests in flight at once, ahead of the page being pushed "
      "(1 = one page at a time)",
      client_prefetch->minimum, client_prefetch->maximum,
      client_prefetch->default_value, flags);
  g_object_class_install_property (gobject_class, PROP_PREFETCH,
      properties[PROP_PREFETCH]);

  /**
   * GstSynapseGtSrc:prefetch-bytes:
   *
   * The most bytes of pages held ahead of the page being pushed: those
   * fetched but not pushed yet, by their size, and those in flight, by
   * the size of the largest page so far. No page is requested ahead while
   * one more would go over it, but one always is, so the stream goes on
   * whatever the budget. With ordinary pages (100 events of a few KiB)
   * the default lets #GstSynapseGtSrc:prefetch have its way; with pages
   * of tens of MiB it holds one or two ahead, not eight.
   */
  client_prefetch_bytes =
      G_PARAM_SPEC_UINT64 (gst_synapse_client_find_property ("prefetch-bytes"));
  properties[PROP_PREFETCH_BYTES] =
      g_param_spec_uint64 ("prefetch-bytes", "Prefetch bytes",
      "Most bytes of pages held ahead of the page being pushed (one page is "
      "always requested ahead)", client_prefetch_bytes->minimum,
      client_prefetch_bytes->maximum, client_prefetch_bytes->default_value,
      flags);
  g_object_class_install_property (gobject_class, PROP_PREFETCH_BYTES,
      properties[PROP_PREFETCH_BYTES]);

  /**
   * GstSynapseGtSrc:url-prefix:
   *
   * Rewrites the file URLs of the events (the fields of
   * #GstSynapseGtSrc:url-fields): the scheme, host and port of each
   * http(s) URL are replaced by this prefix, and its path, query and
   * fragment are kept. With `https://cdn.example.com/mirror`, the URL
   * `http://backend:8000/media/a.jpg?v=2` becomes
   * `https://cdn.example.com/mirror/media/a.jpg?v=2`; a trailing `/` of
   * the prefix is ignored. A prefix without a scheme and a host (such as
   * `cdn.example.com/mirror`) fails with a RESOURCE SETTINGS error at
   * start. A URL that a #GstSynapseGtSrc::convert-url handler converts is
   * not rewritten again. With #GstSynapseGtSrc:download-dir, files are
   * downloaded from the rewritten URLs (credentials are only ever sent to
   * the backend's own origin).
   * The URL strings are rewritten in the backend's bytes: nothing else of
   * an event changes. With #GstBaseSrc:num-buffers, only the events pushed
   * are converted.
   */
  properties[PROP_URL_PREFIX] =
      g_param_spec_string ("url-prefix", "URL prefix",
      "Replace scheme://host[:port] of each file URL by this prefix, keeping "
      "path and query, e.g. \"https://cdn.example.com/mirror\" (empty: keep "
      "the URLs)", NULL, flags);
  g_object_class_install_property (gobject_class, PROP_URL_PREFIX,
      properties[PROP_URL_PREFIX]);

  /**
   * GstSynapseGtSrc:download-dir:
   *
   * Downloads the files the events point to (the fields of
   * #GstSynapseGtSrc:url-fields) into this folder, made when missing, and
   * replaces each URL by the local path before the event is pushed; a
   * file entry `{"url": …}` gets a `path` key instead of its `url`. Only
   * the files of the events pushed are downloaded (with
   * #GstBaseSrc:num-buffers, not those of the rest of the last page).
   * %NULL keeps the URLs.
   *
   * A file is named after the MD5 of its URL without the fragment and
   * without the query parameters that sign it (AWS `X-Amz-*`, Google
   * `X-Goog-*`, Azure SAS, CloudFront), so that `get?id=1` and `get?id=2`
   * are two files while a presigned URL whose signature changes is one.
   * It is written under a temporary name and renamed only once it is
   * whole and right: a body cut short (before its `Content-Length`, or a
   * gzip or deflate body before its compressed end) is downloaded again,
   * as is one shorter than the `size` its event declares; one that is
   * longer than that or does not match the event's `checksum` (MD5,
   * SHA-1, SHA-256 or SHA-512 in hex) is an error naming the event and
   * the URL; one larger than #GstSynapseGtSrc:max-download-size is an
   * error. Nothing of a file that fails is left in the folder. A file
   * already there is reused only when it is a regular file (a symlink is
   * replaced, never followed) that still has its declared size (and its
   * declared checksum, when at most 16 MiB). A chunked body, or one ended
   * by closing the connection, that is cut short without gzip is only
   * caught through a declared `size` or `checksum`.
   */
  properties[PROP_DOWNLOAD_DIR] =
      g_param_spec_string ("download-dir", "Download folder",
      "Download the events' files into this folder and put the local paths "
      "in place of the URLs (empty: keep the URLs)", NULL, flags);
  g_object_class_install_property (gobject_class, PROP_DOWNLOAD_DIR,
      properties[PROP_DOWNLOAD_DIR]);

  /**
   * GstSynapseGtSrc:url-fields:
   *
   * The fields of an event whose file URLs #GstSynapseGtSrc:url-prefix,
   * #GstSynapseGtSrc:download-dir and #GstSynapseGtSrc::convert-url
   * convert, as a comma-separated list of dot paths, e.g.
   * `files,data_unit.files`. A field holding a string is one URL; an
   * object is converted entry by entry (an entry that is an object with a
   * `url` is converted there); an array item by item. Missing fields are
   * skipped; when the URLs are converted and no event of the first page
   * that has events holds a path, a RESOURCE SETTINGS warning names it,
   * once a run (looking at one page keeps the check's cost to that page;
   * a path only later events hold is named too).
   */
  properties[PROP_URL_FIELDS] =
      g_param_spec_string ("url-fields", "URL fields",
      "Comma-separated dot paths of the event fields holding file URLs to "
      "convert, e.g. \"files,data_unit.files\"", DEFAULT_URL_FIELDS, flags);
  g_object_class_install_property (gobject_class, PROP_URL_FIELDS,
      properties[PROP_URL_FIELDS]);

  /**
   * GstSynapseGtSrc:max-download-size:
   *
   * The largest file #GstSynapseGtSrc:download-dir takes, in bytes as
   * written to the disk (after any gzip or deflate `Content-Encoding` is
   * decoded); 0 for no limit. A larger file, told by its `Content-Length`
   * or counted as it arrives (so that a gzip bomb or an endless body
   * cannot fill the disk), is an error and nothing of it is kept. The
   * default, 4 GiB, is more than the images, clips and point clouds of a
   * labelling dataset need, yet bounds what one download can write.
   */
  properties[PROP_MAX_DOWNLOAD_SIZE] =
      g_param_spec_uint64 ("max-download-size", "Maximum download size",
      "Largest file download-dir takes, in bytes (0 = no limit)", 0,
      G_MAXUINT64, DEFAULT_MAX_DOWNLOAD_SIZE, flags);
  g_object_class_install_property (gobject_class, PROP_MAX_DOWNLOAD_SIZE,
      properties[PROP_MAX_DOWNLOAD_SIZE]);

  /**
   * GstSynapseGtSrc:total-count:
   *
   * The backend's count of the events matching the filters, from the
   * first page of the current (or last) run; -1 until the first page has
   * arrived or when the backend gives no count. It is notified when it
   * changes.
   */
  properties[PROP_TOTAL_COUNT] =
      g_param_spec_int64 ("total-count", "Total count",
      "Events matching the filters, as the backend counts them (-1 until the "
      "first page arrived)", -1, G_MAXINT64, -1,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property (gobject_class, PROP_TOTAL_COUNT,
      properties[PROP_TOTAL_COUNT]);

  /**
   * GstSynapseGtSrc::convert-url:
   * @src: the element
   * @url: a file URL of an event, as the backend sent it
   *
   * Lets an application convert the file URLs of the events (those of
   * #GstSynapseGtSrc:url-fields), e.g. to a signed CDN URL. When a handler
   * is connected before the element starts, it is called for each URL
   * before the event is pushed, from the streaming thread or, when pages
   * are fetched ahead (#GstSynapseGtSrc:prefetch), from a worker thread.
   * The first handler that returns a string gives the new URL; when all
   * return %NULL, the URL is kept (and #GstSynapseGtSrc:url-prefix
   * applies). With #GstSynapseGtSrc:download-dir, files are downloaded
   * from the converted URLs.
   *
   * Returns: (transfer full) (nullable): the URL to put in the event, or
   *   %NULL to keep @url
   */
  signals[SIGNAL_CONVERT_URL] =
      g_signal_new ("convert-url", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, first_url_accumulator, NULL, NULL, G_TYPE_STRING,
      1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Synapse ground-truth event source", "Source/Network",
      "Streams the ground-truth events of a Synapse ML backend, one JSON "
      "object per buffer (NDJSON), e.g. synapsegtsrc dataset-versions=12 ! "
      "filesink location=events.ndjson", "gst-synapse developers");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_synapse_gt_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_synapse_gt_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_synapse_gt_src_unlock);
  basesrc_class->unlock_stop =
      GST_DEBUG_FUNCPTR (gst_synapse_gt_src_unlock_stop);
  basesrc_class->is_seekable =
      GST_DEBUG_FUNCPTR (gst_synapse_gt_src_is_seekable);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_synapse_gt_src_query);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_synapse_gt_src_create);
}

static void
gst_synapse_gt_src_init (GstSynapseGtSrc * self)
{
  gst_synapse_connection_init (&self->conn);
  self->dataset_versions = g_strdup (DEFAULT_DATASET_VERSIONS);
  self->project = DEFAULT_PROJECT;
  self->page_size = G_PARAM_SPEC_UINT (properties[PROP_PAGE_SIZE])
      ->default_value;
  self->prefetch = G_PARAM_SPEC_UINT (properties[PROP_PREFETCH])
      ->default_value;
  self->prefetch_bytes = G_PARAM_SPEC_UINT64 (properties[PROP_PREFETCH_BYTES])
      ->default_value;
  self->url_fields = g_strdup (DEFAULT_URL_FIELDS);
  self->total_count = -1;
  self->max_download_size = DEFAULT_MAX_DOWNLOAD_SIZE;
  self->cancellable = g_cancellable_new ();

  /* one unit of the segment is one event: see the offsets */
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_DEFAULT);
  gst_base_src_set_live (GST_BASE_SRC (self), FALSE);
}

/* Drops everything a run holds. */
static void
gst_synapse_gt_src_clear_run (GstSynapseGtSrc * self)
{
  g_clear_pointer (&self->page, synapse_page_unref);
  g_clear_object (&self->pager);
  g_clear_object (&self->download);
  g_clear_object (&self->client);
  g_clear_pointer (&self->run_url_prefix, g_free);
  self->run_convert_signal = FALSE;
  g_clear_pointer (&self->run_url_fields, g_strfreev);
  self->page_index = 0;
  self->page_downloaded = FALSE;
  self->offset = 0;
  self->pages_reported = 0;
  self->in_progress = FALSE;
  self->finished = FALSE;
}

static void
gst_synapse_gt_src_finalize (GObject * object)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (object);

  gst_synapse_gt_src_clear_run (self);
  gst_synapse_connection_clear (&self->conn);
  g_free (self->dataset_versions);
  g_free (self->data_type);
  g_free (self->created_after);
  g_free (self->search);
  g_free (self->extra_params);
  g_free (self->url_prefix);
  g_free (self->download_dir);
  g_free (self->url_fields);
  g_clear_object (&self->cancellable);

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
gst_synapse_gt_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (object);

  GST_OBJECT_LOCK (self);
  if (gst_synapse_connection_set_property (&self->conn, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }

  switch (prop_id) {
    case PROP_DATASET_VERSIONS:
      replace_string (&self->dataset_versions, value);
      break;
    case PROP_PROJECT:
      self->project = g_value_get_int (value);
      break;
    case PROP_DATA_TYPE:
      replace_string (&self->data_type, value);
      break;
    case PROP_CREATED_AFTER:
      replace_string (&self->created_after, value);
      break;
    case PROP_SEARCH:
      replace_string (&self->search, value);
      break;
    case PROP_EXTRA_PARAMS:
      replace_string (&self->extra_params, value);
      break;
    case PROP_PAGE_SIZE:
      self->page_size = g_value_get_uint (value);
      break;
    case PROP_PREFETCH:
      self->prefetch = g_value_get_uint (value);
      break;
    case PROP_PREFETCH_BYTES:
      self->prefetch_bytes = g_value_get_uint64 (value);
      break;
    case PROP_URL_PREFIX:
      replace_string (&self->url_prefix, value);
      break;
    case PROP_DOWNLOAD_DIR:
      replace_string (&self->download_dir, value);
      break;
    case PROP_URL_FIELDS:
      replace_string (&self->url_fields, value);
      if (self->url_fields == NULL)
        self->url_fields = g_strdup (DEFAULT_URL_FIELDS);
      break;
    case PROP_MAX_DOWNLOAD_SIZE:
      self->max_download_size = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_synapse_gt_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (object);

  GST_OBJECT_LOCK (self);
  if (gst_synapse_connection_get_property (&self->conn, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }

  switch (prop_id) {
    case PROP_DATASET_VERSIONS:
      g_value_set_string (value, self->dataset_versions);
      break;
    case PROP_PROJECT:
      g_value_set_int (value, self->project);
      break;
    case PROP_DATA_TYPE:
      g_value_set_string (value, self->data_type);
      break;
    case PROP_CREATED_AFTER:
      g_value_set_string (value, self->created_after);
      break;
    case PROP_SEARCH:
      g_value_set_string (value, self->search);
      break;
    case PROP_EXTRA_PARAMS:
      g_value_set_string (value, self->extra_params);
      break;
    case PROP_PAGE_SIZE:
      g_value_set_uint (value, self->page_size);
      break;
    case PROP_PREFETCH:
      g_value_set_uint (value, self->prefetch);
      break;
    case PROP_PREFETCH_BYTES:
      g_value_set_uint64 (value, self->prefetch_bytes);
      break;
    case PROP_URL_PREFIX:
      g_value_set_string (value, self->url_prefix);
      break;
    case PROP_DOWNLOAD_DIR:
      g_value_set_string (value, self->download_dir);
      break;
    case PROP_URL_FIELDS:
      g_value_set_string (value, self->url_fields);
      break;
    case PROP_TOTAL_COUNT:
      g_value_set_int64 (value, self->total_count);
      break;
    case PROP_MAX_DOWNLOAD_SIZE:
      g_value_set_uint64 (value, self->max_download_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* "12, 13" → [12, 13]. An empty item ("1,,2", ",", "  ") is a mistake,
 * not a wish for every version: an unset or empty property says that. */
static JsonArray *
parse_dataset_versions (const gchar * text, GError ** error)
{
  g_auto (GStrv) items = g_strsplit (text, ",", -1);
  g_autoptr (JsonArray) versions = json_array_new ();

  for (guint i = 0; items[i]; i++) {
    const gchar *item = g_strstrip (items[i]);
    gint64 id;

    if (*item == '\0') {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "The dataset-versions property \"%s\" must be a comma-separated "
          "list of dataset version ids, but it has an empty item (leave "
          "the property unset for every version).", text);
      return NULL;
    }
    if (!g_ascii_string_to_signed (item, 10, 0, G_MAXINT64, &id, NULL)) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "The dataset-versions property \"%s\" must be a comma-separated "
          "list of dataset version ids, but \"%s\" is not a whole number.",
          text, item);
      return NULL;
    }
    json_array_add_int_element (versions, id);
  }
  return g_steal_pointer (&versions);
}

/* The settings of one run, copied from the properties under the lock. */
typedef struct
{
  gchar *dataset_versions;
  gint project;
  gchar *data_type;
  gchar *created_after;
  gchar *search;
  gchar *extra_params;
  guint page_size;
  guint prefetch;
  guint64 prefetch_bytes;
  gchar *url_prefix;
  gchar *download_dir;
  gchar *url_fields;
  guint64 max_download_size;
} RunSettings;

static void
run_settings_clear (RunSettings * settings)
{
  g_free (settings->dataset_versions);
  g_free (settings->data_type);
  g_free (settings->created_after);
  g_free (settings->search);
  g_free (settings->extra_params);
  g_free (settings->url_prefix);
  g_free (settings->download_dir);
  g_free (settings->url_fields);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunSettings, run_settings_clear);

static void
run_settings_init (RunSettings * settings, GstSynapseGtSrc * self)
{
  GST_OBJECT_LOCK (self);
  settings->dataset_versions = g_strdup (self->dataset_versions);
  settings->project = self->project;
  settings->data_type = g_strdup (self->data_type);
  settings->created_after = g_strdup (self->created_after);
  settings->search = g_strdup (self->search);
  settings->extra_params = g_strdup (self->extra_params);
  settings->page_size = self->page_size;
  settings->prefetch = self->prefetch;
  settings->prefetch_bytes = self->prefetch_bytes;
  settings->url_prefix = g_strdup (self->url_prefix);
  settings->download_dir = g_strdup (self->download_dir);
  settings->url_fields = g_strdup (self->url_fields);
  settings->max_download_size = self->max_download_size;
  GST_OBJECT_UNLOCK (self);
}

/* The query parameters of the first page. */
static JsonObject *
build_params (const RunSettings * settings, GError ** error)
{
  g_autoptr (JsonObject) params = json_object_new ();

  if (settings->dataset_versions) {
    JsonArray *versions = parse_dataset_versions (settings->dataset_versions,
        error);

    if (versions == NULL)
      return NULL;
    json_object_set_array_member (params, "ground_truth_dataset_versions",
        versions);
  }
  if (settings->project >= 0)
    json_object_set_int_member (params, "project", settings->project);
  if (settings->data_type)
    json_object_set_string_member (params, "data_type", settings->data_type);
  if (settings->created_after)
    json_object_set_string_member (params, "created_after",
        settings->created_after);
  if (settings->search)
    json_object_set_string_member (params, "search", settings->search);

  if (settings->extra_params) {
    g_autoptr (GstStructure) structure =
        gst_structure_from_string (settings->extra_params, NULL);
    g_autoptr (JsonObject) extra = NULL;
    g_autoptr (GError) field_error = NULL;
    JsonObjectIter iter;
    const gchar *name;
    JsonNode *node;

    if (structure == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "The extra-params property \"%s\" is not a GstStructure string, "
          "such as \"params, page_size=50, search=cat\".",
          settings->extra_params);
      return NULL;
    }
    extra = gst_synapse_structure_to_params (structure, &field_error);
    if (extra == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
          "The extra-params property \"%s\" cannot be used: %s.",
          settings->extra_params, field_error->message);
      return NULL;
    }
    json_object_iter_init_ordered (&iter, extra);
    while (json_object_iter_next_ordered (&iter, &name, &node))
      json_object_set_member (params, name, json_node_ref (node));
  }

  return g_steal_pointer (&params);
}

/* A url-prefix must give what it replaces a URL's own with: a scheme and a
 * host. The value is not quoted: it may carry a password. */
static gboolean
check_url_prefix (const gchar * prefix, GError ** error)
{
  g_autoptr (GUri) uri = prefix ? g_uri_parse (prefix, G_URI_FLAGS_NONE,
      NULL) : NULL;

  if (prefix == NULL || (uri && g_uri_get_host (uri)
          && *g_uri_get_host (uri) != '\0'))
    return TRUE;
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "The url-prefix property must start with a scheme and a host, such as "
      "\"https://cdn.example.com/mirror\": it replaces the scheme, host "
      "and port of each file URL.");
  return FALSE;
}

/* "files, data_unit.files" → {"files", "data_unit.files"}. */
static GStrv
parse_url_fields (const gchar * text)
{
  g_auto (GStrv) items = g_strsplit (text ? text : "", ",", -1);
  g_autoptr (GStrvBuilder) fields = g_strv_builder_new ();
  gboolean any = FALSE;

  for (guint i = 0; items[i]; i++) {
    const gchar *item = g_strstrip (items[i]);

    if (*item == '\0')
      continue;
    g_strv_builder_add (fields, item);
    any = TRUE;
  }
  if (!any)
    g_strv_builder_add (fields, DEFAULT_URL_FIELDS);
  return g_strv_builder_end (fields);
}

/* @url with its scheme://host[:port] replaced by @prefix; NULL for a
 * string that is not an http(s) URL. */
static gchar *
replace_origin (const gchar * url, const gchar * prefix)
{
  const gchar *rest;
  gsize prefix_len = strlen (prefix);
  gchar *converted;

  if (g_ascii_strncasecmp (url, "http://", 7) == 0)
    rest = url + 7;
  else if (g_ascii_strncasecmp (url, "https://", 8) == 0)
    rest = url + 8;
  else
    return NULL;
  rest += strcspn (rest, "/?#");

  while (prefix_len > 0 && prefix[prefix_len - 1] == '/')
    prefix_len--;
  /* for each file URL of each event: no printf */
  converted = g_malloc (prefix_len + strlen (rest) + 1);
  memcpy (converted, prefix, prefix_len);
  strcpy (converted + prefix_len, rest);
  return converted;
}

/* The converter of the run's URL conversion: convert-url handlers first,
 * then url-prefix. Called from the streaming thread or the pager's worker
 * threads, which stop before stop() clears what it reads. */
static gchar *
convert_url (const gchar * url, gpointer user_data, GError ** error)
{
  GstSynapseGtSrc *self = user_data;
  gchar *converted = NULL;

  if (self->run_convert_signal)
    g_signal_emit (self, signals[SIGNAL_CONVERT_URL], 0, url, &converted);
  if (converted == NULL && self->run_url_prefix)
    converted = replace_origin (url, self->run_url_prefix);
  return converted ? converted : g_strdup (url);
}

static gboolean
gst_synapse_gt_src_start (GstBaseSrc * bsrc)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (bsrc);
  g_auto (RunSettings) settings = { 0 };
  g_autoptr (JsonObject) params = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) converter = NULL;
  g_autoptr (SynapseUrlConversion) download = NULL;
  g_auto (GStrv) fields = NULL;
  g_autofree gchar *first_url = NULL;
  gboolean total_changed;

  gst_synapse_gt_src_clear_run (self);
  run_settings_init (&settings, self);

  params = build_params (&settings, &error);
  if (params == NULL || !check_url_prefix (settings.url_prefix, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    return FALSE;
  }

  self->client = gst_synapse_connection_make_client (GST_ELEMENT (self),
      &self->conn);
  if (self->client == NULL)
    return FALSE;
  g_object_set (self->client, "page-size", settings.page_size, "prefetch",
      settings.prefetch, "prefetch-bytes", settings.prefetch_bytes, NULL);

  fields = parse_url_fields (settings.url_fields);
  self->run_url_prefix = g_steal_pointer (&settings.url_prefix);
  self->run_convert_signal = g_signal_has_handler_pending (self,
      signals[SIGNAL_CONVERT_URL], 0, FALSE);
  if (self->run_url_prefix || self->run_convert_signal)
    converter = synapse_url_conversion_new_converter ((const gchar * const *)
        fields, convert_url, self, NULL);
  if (settings.download_dir) {
    download = synapse_url_conversion_new_download ((const gchar *
            const *) fields, settings.download_dir);
    synapse_url_conversion_set_max_file_size (download,
        settings.max_download_size);
  }
  if (converter || download)
    self->run_url_fields = g_steal_pointer (&fields);

  /* The pager converts pages as they arrive (ahead, with prefetch), in
   * their bytes: an event differs from the backend's only inside the URLs
   * converted. It takes one conversion: with both kinds, the URLs are
   * converted first and the files downloaded from the converted URLs
   * here. Without any, it hands out each event as the very bytes the
   * backend sent. With num-buffers it converts only the events pushed. */
  if (converter && download)
    self->download = g_steal_pointer (&download);
  self->pager = synapse_client_iter_ground_truth_events (self->client, params,
      converter ? converter : download);
  /* with num-buffers, no page past the last event wanted is asked for,
   * not even ahead */
  if (GST_BASE_SRC (self)->num_buffers > 0)
    synapse_pager_set_limit (self->pager, GST_BASE_SRC (self)->num_buffers);

  GST_OBJECT_LOCK (self);
  total_changed = self->total_count != -1;
  self->total_count = -1;
  GST_OBJECT_UNLOCK (self);
  if (total_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_COUNT]);

  first_url = synapse_client_build_url (self->client,
      "sdk/ground_truth_events/", params);
  GST_INFO_OBJECT (self, "streaming %s, %u events a page%s%s%s%s%s",
      first_url, settings.page_size,
      self->run_url_prefix ? ", URLs rewritten to " : "",
      self->run_url_prefix ? self->run_url_prefix : "",
      self->run_convert_signal ? ", URLs converted by the application" : "",
      settings.download_dir ? ", files downloaded into " : "",
      settings.download_dir ? settings.download_dir : "");
  return TRUE;
}

static gboolean
gst_synapse_gt_src_stop (GstBaseSrc * bsrc)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (bsrc);

  if (self->in_progress)
    gst_synapse_element_post_progress (GST_ELEMENT (self),
        GST_PROGRESS_TYPE_CANCELED, PROGRESS_CODE, -1,
        "Stopped the request after %" G_GUINT64_FORMAT " ground-truth events",
        self->offset);
  GST_DEBUG_OBJECT (self, "stopping after %" G_GUINT64_FORMAT " events",
      self->offset);
  gst_synapse_gt_src_clear_run (self);
  return TRUE;
}

/* Ends the request in flight, or any backoff wait, at once. */
static gboolean
gst_synapse_gt_src_unlock (GstBaseSrc * bsrc)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (bsrc);
  g_autoptr (GCancellable) cancellable = NULL;

  GST_DEBUG_OBJECT (self, "unlock: cancelling the request in flight");
  GST_OBJECT_LOCK (self);
  cancellable = g_object_ref (self->cancellable);
  GST_OBJECT_UNLOCK (self);

  /* outside the lock: cancelling runs the request's handlers */
  g_cancellable_cancel (cancellable);
  return TRUE;
}

static gboolean
gst_synapse_gt_src_unlock_stop (GstBaseSrc * bsrc)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (bsrc);

  GST_DEBUG_OBJECT (self, "unlock_stop: a new cancellable");
  GST_OBJECT_LOCK (self);
  g_object_unref (self->cancellable);
  self->cancellable = g_cancellable_new ();
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_synapse_gt_src_is_seekable (GstBaseSrc * bsrc)
{
  return FALSE;
}

static gboolean
gst_synapse_gt_src_query (GstBaseSrc * bsrc, GstQuery * query)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (bsrc);

  if (GST_QUERY_TYPE (query) == GST_QUERY_DURATION) {
    GstFormat format;
    gint64 total;

    gst_query_parse_duration (query, &format, NULL);
    if (format == GST_FORMAT_DEFAULT) {
      GST_OBJECT_LOCK (self);
      total = self->total_count;
      GST_OBJECT_UNLOCK (self);
      if (total >= 0) {
        gst_query_set_duration (query, format, total);
        return TRUE;
      }
    }
  }

  return GST_BASE_SRC_CLASS (parent_class)->query (bsrc, query);
}

/* The message for people of a failure, when the generic one would not do
 * for this element. */
static const gchar *
describe_failure (GstSynapseGtSrc * self, const GError * error)
{
  if (error->domain != SYNAPSE_CLIENT_ERROR)
    return NULL;
  /* a downloaded file: the library's words name the event and the URL */
  if (error->code == SYNAPSE_CLIENT_ERROR_CHECKSUM
      || error->code == SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE)
    return error->message;
  switch (synapse_client_error_get_status_code (error)) {
    case 401:
      if (!gst_synapse_connection_has_access_token (GST_ELEMENT (self),
              &self->conn))
        return "The Synapse backend asked for an access token (HTTP 401): "
            "set the access-token property or the SYNAPSE_ACCESS_TOKEN "
            "environment variable.";
      return NULL;
    case 404:
      return "The Synapse backend has no such endpoint (HTTP 404): check "
          "the base URL.";
    default:
      return NULL;
  }
}

/* Turns a failed request into a flow return: a cancellation (unlock) into
 * FLUSHING without a word, anything else into an error message. */
static GstFlowReturn
gst_synapse_gt_src_fail (GstSynapseGtSrc * self, const GError * error,
    GCancellable * cancellable)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_cancellable_is_cancelled (cancellable)) {
    GST_DEBUG_OBJECT (self, "request cancelled: flushing");
    if (self->in_progress) {
      gst_synapse_element_post_progress (GST_ELEMENT (self),
          GST_PROGRESS_TYPE_CANCELED, PROGRESS_CODE, -1,
          "Stopped the request after %" G_GUINT64_FORMAT
          " ground-truth events", self->offset);
      self->in_progress = FALSE;
    }
    return GST_FLOW_FLUSHING;
  }

  GST_WARNING_OBJECT (self, "request failed: %s", error->message);
  if (self->in_progress)
    gst_synapse_element_post_progress (GST_ELEMENT (self),
        GST_PROGRESS_TYPE_ERROR, PROGRESS_CODE, -1,
        "The request failed after %" G_GUINT64_FORMAT " ground-truth events",
        self->offset);
  self->in_progress = FALSE;
  GST_SYNAPSE_ELEMENT_CLIENT_ERROR (self, error, GST_RESOURCE_ERROR_READ,
      describe_failure (self, error));
  return GST_FLOW_ERROR;
}

static void
gst_synapse_gt_src_update_total_count (GstSynapseGtSrc * self)
{
  gint64 total = synapse_pager_get_total_count (self->pager);
  gboolean changed;

  GST_OBJECT_LOCK (self);
  changed = self->total_count != total;
  self->total_count = total;
  GST_OBJECT_UNLOCK (self);

  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_COUNT]);
}

/* How far the listing is, for progress messages; -1 when not known. */
static gint
gst_synapse_gt_src_percent (GstSynapseGtSrc * self)
{
  gint64 total = synapse_pager_get_total_count (self->pager);
  guint64 position = synapse_pager_get_position (self->pager);

  if (total <= 0)
    return total == 0 ? 100 : -1;
  return (gint) MIN (100, position * 100 / (guint64) total);
}

/* Progress messages bracket each request: START before it, COMPLETE when
 * its events are ready (ERROR or CANCELED when it fails). An application
 * that waits for the progress to complete before going to PLAYING, as
 * gst-launch-1.0 does, therefore never waits for the end of the stream. */
static void
gst_synapse_gt_src_begin_request (GstSynapseGtSrc * self)
{
  gint64 total = synapse_pager_get_total_count (self->pager);

  if (self->in_progress)
    return;
  /* every event counted has arrived: asking the pager for more only
   * confirms the end, it sends no request */
  if (synapse_pager_get_pages_fetched (self->pager) > 0 && total >= 0
      && synapse_pager_get_position (self->pager) >= (guint64) total)
    return;
  self->in_progress = TRUE;
  gst_synapse_element_post_progress (GST_ELEMENT (self),
      GST_PROGRESS_TYPE_START, PROGRESS_CODE,
      synapse_pager_get_pages_fetched (self->pager) > 0 ?
      gst_synapse_gt_src_percent (self) : 0,
      "Requesting ground-truth events from %s",
      synapse_client_get_base_url (self->client));
}

static void
gst_synapse_gt_src_end_request (GstSynapseGtSrc * self)
{
  guint64 position = synapse_pager_get_position (self->pager);
  gint64 total = synapse_pager_get_total_count (self->pager);
  guint pages = synapse_pager_get_pages_fetched (self->pager);

  if (!self->in_progress)
    return;
  self->in_progress = FALSE;
  if (self->finished || (total >= 0 && position >= (guint64) total))
    gst_synapse_element_post_progress (GST_ELEMENT (self),
        GST_PROGRESS_TYPE_COMPLETE, PROGRESS_CODE, 100,
        "Received all %" G_GUINT64_FORMAT " ground-truth events (%u pages)",
        position, pages);
  else
    gst_synapse_element_post_progress (GST_ELEMENT (self),
        GST_PROGRESS_TYPE_COMPLETE, PROGRESS_CODE,
        gst_synapse_gt_src_percent (self),
        "Received page %u: %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT
        " ground-truth events", pages, position, total);
}

static void
gst_synapse_gt_src_post_page (GstSynapseGtSrc * self, guint events)
{
  guint page = synapse_pager_get_pages_fetched (self->pager);
  guint64 position = synapse_pager_get_position (self->pager);
  gint64 total = synapse_pager_get_total_count (self->pager);
  GstStructure *s;

  self->pages_reported = page;
  GST_INFO_OBJECT (self, "page %u: %u events, %" G_GUINT64_FORMAT " of %"
      G_GINT64_FORMAT " so far", page, events, position, total);

  s = gst_structure_new ("synapse-page", "page", G_TYPE_UINT, page,
      "events", G_TYPE_UINT, events, "position", G_TYPE_UINT64, position,
      "total", G_TYPE_INT64, total, NULL);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* Whether @node holds the dot path @segments with a value other than null,
 * looked for as the URL conversion looks: through arrays item by item. */
static gboolean
node_holds_path (JsonNode * node, gchar ** segments)
{
  if (*segments == NULL)
    return !JSON_NODE_HOLDS_NULL (node);
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonNode *member = json_object_get_member (json_node_get_object (node),
        *segments);

    return member && node_holds_path (member, segments + 1);
  }
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++) {
      if (node_holds_path (json_array_get_element (array, i), segments))
        return TRUE;
    }
  }
  return FALSE;
}

/* Warns, once a run, about the url-fields paths that none of the first
 * page's events holds: most often a typo, which would leave the URLs as
 * they are without a word. Only the first page with events is looked at,
 * so that the check costs one page whatever the listing's length; a field
 * that only later events hold is warned about too, and the warning says
 * what was looked at. */
static void
gst_synapse_gt_src_check_url_fields (GstSynapseGtSrc * self, SynapsePage * page)
{
  g_autoptr (JsonArray) events = synapse_page_dup_items (page);
  g_auto (GStrv) fields = g_steal_pointer (&self->run_url_fields);
  g_autoptr (GString) missing = g_string_new (NULL);
  guint n_missing = 0;

  for (guint f = 0; fields[f]; f++) {
    g_auto (GStrv) segments = g_strsplit (fields[f], ".", -1);
    gboolean held = FALSE;

    for (guint i = 0; !held && i < json_array_get_length (events); i++)
      held = node_holds_path (json_array_get_element (events, i), segments);
    if (!held)
      g_string_append_printf (missing, "%s\"%s\"", n_missing++ ? ", " : "",
          fields[f]);
  }
  if (n_missing > 0)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("None of the %u events of the first page has the url-fields %s %s: "
            "check the url-fields property for a typo (the events that do "
            "have %s still get their URLs converted).",
            json_array_get_length (events), n_missing > 1 ? "paths" : "path",
            missing->str, n_missing > 1 ? "them" : "it"), (NULL));
}

/* Makes the next page the current one; EOS at the end of the listing. */
static GstFlowReturn
gst_synapse_gt_src_fetch_page (GstSynapseGtSrc * self,
    GCancellable * cancellable)
{
  g_autoptr (GError) error = NULL;
  SynapsePage *page;

  gst_synapse_gt_src_begin_request (self);
  GST_DEBUG_OBJECT (self, "fetching the next page (%u so far)",
      synapse_pager_get_pages_fetched (self->pager));
  page = synapse_pager_read_page (self->pager, cancellable, &error);
  gst_synapse_gt_src_update_total_count (self);

  if (page == NULL && error != NULL)
    return gst_synapse_gt_src_fail (self, error, cancellable);

  if (page == NULL) {
    /* an empty last page (an empty listing) is still a page */
    if (synapse_pager_get_pages_fetched (self->pager) > self->pages_reported)
      gst_synapse_gt_src_post_page (self, 0);
    GST_INFO_OBJECT (self, "end of the listing: %u pages, %" G_GUINT64_FORMAT
        " events", synapse_pager_get_pages_fetched (self->pager),
        synapse_pager_get_position (self->pager));
    self->finished = TRUE;
    gst_synapse_gt_src_end_request (self);
    return GST_FLOW_EOS;
  }

  self->page = page;
  self->page_index = 0;
  self->page_downloaded = self->download == NULL;
  if (self->run_url_fields && synapse_page_get_n_items (page) > 0)
    gst_synapse_gt_src_check_url_fields (self, page);
  gst_synapse_gt_src_post_page (self, synapse_page_get_n_items (page));
  if (self->page_downloaded)
    gst_synapse_gt_src_end_request (self);
  return GST_FLOW_OK;
}

/* Downloads the files of the current page's events, which are the ones
 * pushed (with num-buffers, the pager ends the last page there), from the
 * URLs the pager converted; kept apart from the pager so that a page whose
 * downloads were cancelled is tried again, not lost. */
static GstFlowReturn
gst_synapse_gt_src_download_page (GstSynapseGtSrc * self,
    GCancellable * cancellable)
{
  g_autoptr (GError) error = NULL;
  SynapsePage *downloaded;
  const gchar *directory =
      synapse_url_conversion_get_directory (self->download);

  gst_synapse_gt_src_begin_request (self);
  gst_synapse_element_post_progress (GST_ELEMENT (self),
      GST_PROGRESS_TYPE_CONTINUE, PROGRESS_CODE,
      gst_synapse_gt_src_percent (self),
      "Downloading the files of page %u into %s",
      synapse_pager_get_pages_fetched (self->pager), directory);
  GST_DEBUG_OBJECT (self, "downloading the files of %u events into %s",
      synapse_page_get_n_items (self->page), directory);

  downloaded = synapse_url_conversion_apply_page (self->download,
      self->client, self->page, cancellable, &error);
  if (downloaded == NULL)
    return gst_synapse_gt_src_fail (self, error, cancellable);
  synapse_page_unref (self->page);
  self->page = downloaded;
  self->page_downloaded = TRUE;
  gst_synapse_gt_src_end_request (self);
  return GST_FLOW_OK;
}

/* Makes sure an event is ready in the current page. */
static GstFlowReturn
gst_synapse_gt_src_next_event (GstSynapseGtSrc * self,
    GCancellable * cancellable)
{
  for (;;) {
    guint n_events = self->page ? synapse_page_get_n_items (self->page) : 0;
    GstFlowReturn ret;

    if (self->page_index < n_events) {
      if (self->page_downloaded)
        return GST_FLOW_OK;
      ret = gst_synapse_gt_src_download_page (self, cancellable);
      if (ret != GST_FLOW_OK)
        return ret;
      continue;
    }

    /* the element holds one page at a time */
    g_clear_pointer (&self->page, synapse_page_unref);
    if (self->finished)
      return GST_FLOW_EOS;
    ret = gst_synapse_gt_src_fetch_page (self, cancellable);
    if (ret != GST_FLOW_OK)
      return ret;
  }
}

/* The buffer of the current page's event at @index: its compact JSON and
 * a newline, the backend's own bytes when nothing was converted. Copied,
 * so that buffers held downstream do not keep whole pages alive. */
static GstBuffer *
gst_synapse_gt_src_event_buffer (GstSynapseGtSrc * self, guint index)
{
  g_autoptr (GBytes) bytes = synapse_page_get_item_bytes (self->page, index);
  gsize length;
  gconstpointer data = g_bytes_get_data (bytes, &length);
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, length + 1, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  memcpy (map.data, data, length);
  map.data[length] = '\n';
  gst_buffer_unmap (buffer, &map);

  GST_BUFFER_OFFSET (buffer) = self->offset;
  GST_BUFFER_OFFSET_END (buffer) = self->offset + 1;
  self->offset++;
  return buffer;
}

static GstFlowReturn
gst_synapse_gt_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (psrc);
  g_autoptr (GCancellable) cancellable = NULL;
  GstBufferList *list;
  GstFlowReturn ret;
  guint n_events;

  GST_OBJECT_LOCK (self);
  cancellable = g_object_ref (self->cancellable);
  GST_OBJECT_UNLOCK (self);

  ret = gst_synapse_gt_src_next_event (self, cancellable);
  if (ret != GST_FLOW_OK)
    return ret;

  /* The rest of the page goes out at once, one buffer an event, as one
   * buffer list: pushing them one by one costs more than making them. */
  n_events = synapse_page_get_n_items (self->page);
  list = gst_buffer_list_new_sized (n_events - self->page_index);
  GST_LOG_OBJECT (self, "events %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
      self->offset, self->offset + n_events - self->page_index - 1);
  while (self->page_index < n_events)
    gst_buffer_list_add (list, gst_synapse_gt_src_event_buffer (self,
            self->page_index++));

  gst_base_src_submit_buffer_list (GST_BASE_SRC (self), list);
  *outbuf = NULL;
  return GST_FLOW_OK;
}
