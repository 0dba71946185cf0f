/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the element synapsegtsrc, its documentation and its
 * own properties (the URL conversion: url-prefix, download-dir,
 * url-fields, max-download-size, and the convert-url signal), its run
 * (start () reads the settings once and makes the URL conversion and the
 * pager) and create (), which turns each page into a list of buffers,
 * one an event. What another listing source shares lives beside it: the
 * listing properties, the walk through the listing, unlock (), the
 * duration query and the page messages (gstsynapselisting.c), the
 * url-fields and url-prefix helpers (gstsynapseurls.c), the connection
 * (gstsynapseconnection.c) and the property plumbing
 * (gstsynapsesettings.c). */

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
 * Buffers count events: the buffer of the event with index i in the
 * listing (from 0) has #GST_BUFFER_OFFSET i and #GST_BUFFER_OFFSET_END
 * i + 1, whatever event the stream started at, and the segment is in
 * %GST_FORMAT_DEFAULT, whose unit is one event. A duration query in
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
 * however long the listing is and however large its pages. The buffers of
 * a page's events are read-only slices of one block, the page's events as
 * NDJSON: a buffer held downstream keeps that block alive, so an element
 * that keeps a few events of many pages (rather than passing them on)
 * should copy them (gst_buffer_copy_deep ()).
 * #GstBaseSrc:num-buffers caps the number of events; after the last one
 * the element sends EOS.
 *
 * ## Starting anywhere, seeking, sharing a listing
 *
 * #GstSynapseGtSrc:start-index starts the stream at any event of the
 * listing. The element is seekable in %GST_FORMAT_DEFAULT: a flushing seek
 * (also from PAUSED, or sent in READY before any data) cancels the
 * requests in flight and starts the walk again at the event sought; a
 * seek's stop ends the stream before that event (a stop of 50 pushes
 * events up to 49). When the backend numbers its pages (Django REST
 * Framework's `?page=N`, as its `next` links show), the walk requests the
 * page that holds that event first and no page before it: a seek to the
 * middle of a long listing costs one page request, not the pages before
 * it. A backend that links its pages by cursor is walked from its first
 * page with the events before the start dropped (a start-index, or a seek
 * before the first page), and once that is known the element answers the
 * seeking query with not seekable.
 *
 * #GstSynapseGtSrc:shard-count and #GstSynapseGtSrc:shard-index split the
 * listing between N streams (in as many processes or machines) by pages:
 * the stream of shard-index i reads pages i + 1, i + 1 + N, … and no
 * other, and pushes their events in order with the offsets of the whole
 * listing, so that the N outputs merged by offset are the listing, each
 * event once. A stream whose first page is past the end is empty. A
 * backend that links its pages by cursor cannot be shared: the stream
 * fails with a SETTINGS error at its first page.
 *
 * To resume after a crash, keep the `next-index` of the last `synapse-page`
 * message (or, event by event, the offset of the last buffer done with,
 * plus one) and start the new stream with start-index at it (and the same
 * shards): the events of that page come again, so nothing is lost.
 *
 * A backend whose pages would be walked forever ends the stream with a
 * READ error instead, after the events before its misstep (each pushed
 * once): `next` links that lead back to a page already walked (by page
 * number or by cursor), more events than the first page's `count` (or
 * pages past the last one the count fills), or 3 empty pages in a row
 * that still link on. The debug string says which.
 *
 * The backend, the credentials and how patiently the element talks to
 * it are the connection properties every Synapse element shares (see
 * #GstSynapseConnection): they default to the environment variables
 * `SYNAPSE_BACKEND_URL`, `SYNAPSE_ACCESS_TOKEN` and `SYNAPSE_TENANT`,
 * read when the element is made, or the token is read from a file with
 * #GstSynapseConnection:access-token-file; the token and any password in
 * the base URL appear in no property read, log line or message.
 *
 * Failed requests are retried when retrying can help (HTTP 429, 500, 502,
 * 503, 504, a broken connection, a timeout, a cut or malformed page), with
 * exponential backoff, without losing or repeating any event. A backend
 * that keeps a request alive while sending next to nothing (a byte a
 * second, or `102 Processing` for ever) is given up on as a timeout after
 * about #GstSynapseConnection:timeout seconds, and retried
 * (#GstSynapseConnection:low-speed-limit). Going to
 * READY or NULL cancels the request in flight and any backoff wait at
 * once, so a hung backend never blocks a state change; going to PLAYING
 * again streams the listing again from its start-index.
 *
 * ## Messages
 *
 * * `synapse-page`, an element message after each page, with the fields
 *   `page` (#guint, from 1, pages of this walk), `events` (#guint, events
 *   in this page), `next-index` (#guint64, the listing index of the page's
 *   first event: the next event pushed, where a stream that stops now
 *   resumes), `position` (#guint64, the listing index after the page's
 *   events), `total` (#gint64, the backend's count, -1 if it gave none) and
 *   `skipped` (#guint, events of the page not pushed: always 0 here;
 *   synapsemediasrc skips events without their file).
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
 *   bad #GstSynapseGtSrc:extra-params, a number out of its property's
 *   range such as `prefetch=100`, a #GstSynapseGtSrc:shard-index not
 *   below #GstSynapseGtSrc:shard-count…; the details' `property` names
 *   it; and at the first page, shards of a listing linked by cursor), READ
 *   for anything else (the backend
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
 * |[
 * gst-launch-1.0 synapsegtsrc dataset-versions=12 shard-index=2 \
 *   shard-count=8 ! filesink location=shard-2.ndjson
 * ]| Writes the events of pages 3, 11, 19, … of version 12: one of 8 workers
 * that read the listing between them (see `examples/dask_shards.py` and
 * `examples/kubernetes-indexed-job.yaml`).
 * |[
 * gst-launch-1.0 synapsegtsrc dataset-versions=12 start-index=250000 ! \
 *   filesink location=rest.ndjson append=true
 * ]| Resumes a stream that stopped before event 250000 (the `next-index` of
 * its last `synapse-page` message).
 */

#include "config.h"

#include <gst/gst.h>
#include <synapse/synapse.h>

#include <string.h>

#include "gstsynapseprogress.h"
#include "gstsynapseerror.h"
#include "gstsynapsegtsrc.h"
#include "gstsynapseconnection.h"
#include "gstsynapseelements.h"
#include "gstsynapselisting.h"
#include "gstsynapsesettings.h"
#include "gstsynapseurls.h"

GST_DEBUG_CATEGORY_STATIC (gst_synapse_gt_src_debug);
#define GST_CAT_DEFAULT gst_synapse_gt_src_debug

#define DEFAULT_MAX_DOWNLOAD_SIZE (G_GUINT64_CONSTANT (4) << 30)

enum
{
  PROP_0,
  /* dataset-versions … total-count (gstsynapselisting.c) */
  PROP_LISTING,
  PROP_URL_PREFIX = PROP_LISTING + GST_SYNAPSE_LISTING_N_PROPS,
  PROP_DOWNLOAD_DIR,
  PROP_URL_FIELDS,
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

  /* Properties (gst_synapse_settings_install ()), guarded by the object
   * lock; the listing's are in the listing. */
  gchar *url_prefix;
  gchar *download_dir;
  gchar *url_fields;
  guint64 max_download_size;

  /* The listing properties, and one run's walk. */
  GstSynapseListing listing;

  /* One run, from start() to stop(). While the element runs, only the
   * streaming thread touches these. */
  SynapseUrlConversion *download;
  gchar *run_url_prefix;
  gboolean run_convert_signal;
  GStrv run_url_fields;         /* converted, to be checked on the first
                                 * events; NULL once checked */
  SynapsePage *page;            /* the events of the current page */
  guint page_index;             /* the next one to push */
  GBytes *lines;                /* the page's events as NDJSON, once the
                                 * first is pushed, else NULL */
  const guint8 *lines_data;     /* its bytes */
  gsize lines_size;
  gsize lines_offset;           /* where the next one's line starts */
  gboolean page_downloaded;     /* its files are in download-dir */
  guint64 offset;               /* index of the next event pushed */
};

/* Where the value of each property lives (gstsynapsesettings.c). */
#define FIELD(member) G_STRUCT_OFFSET (GstSynapseGtSrc, member)

/* filled in by class_init () for the listing properties */
static gsize property_fields[N_PROPS] = {
  [PROP_URL_PREFIX] = FIELD (url_prefix),
  [PROP_DOWNLOAD_DIR] = FIELD (download_dir),
  [PROP_URL_FIELDS] = FIELD (url_fields),
  [PROP_MAX_DOWNLOAD_SIZE] = FIELD (max_download_size),
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-json, format = (string) ndjson"));

#define gst_synapse_gt_src_parent_class parent_class
GST_SYNAPSE_ELEMENT_DEFINE (synapsegtsrc, GstSynapseGtSrc, gst_synapse_gt_src,
    GST_TYPE_PUSH_SRC, GST_TYPE_SYNAPSE_GT_SRC);

static void gst_synapse_gt_src_finalize (GObject * object);
static gboolean gst_synapse_gt_src_start (GstBaseSrc * bsrc);
static gboolean gst_synapse_gt_src_stop (GstBaseSrc * bsrc);
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
  const GParamFlags flags = GST_SYNAPSE_PARAM_SETTING;

  GST_DEBUG_CATEGORY_INIT (gst_synapse_gt_src_debug, "synapsegtsrc", 0,
      "Synapse ground-truth event source");

  gobject_class->finalize = gst_synapse_gt_src_finalize;

  gst_synapse_listing_class_init (basesrc_class, properties + PROP_LISTING,
      property_fields + PROP_LISTING, FIELD (listing));

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
      "Replace scheme://host[:port] of each file URL by this prefix, "
      "keeping path and query, e.g. \"https://cdn.example.com/mirror\" "
      "(empty: keep the URLs)", NULL, flags);

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
      "convert, e.g. \"files,data_unit.files\"",
      GST_SYNAPSE_DEFAULT_URL_FIELDS, flags);

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

  gst_synapse_settings_install (gobject_class, properties, property_fields,
      N_PROPS);

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
      "filesink location=events.ndjson. Bus messages: element synapse-page "
      "after each page (page, events, next-index, position, total, "
      "skipped); progress, code fetch, around each request; need-context "
      "and have-context synapse.client (one client for the pipeline); a "
      "RESOURCE SETTINGS "
      "warning for url-fields no event has; RESOURCE errors SETTINGS (at "
      "start, before any request, for settings that cannot work), "
      "NOT_AUTHORIZED, NOT_FOUND, READ, with http-status-code, url, "
      "method and server-detail in their details. The connection "
      "properties are those of GstSynapseConnection, shared by every "
      "Synapse element", "gst-synapse developers");

  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_synapse_gt_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_synapse_gt_src_stop);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_synapse_gt_src_create);
}

static void
gst_synapse_gt_src_init (GstSynapseGtSrc * self)
{
  gst_synapse_settings_init (G_OBJECT (self));
  gst_synapse_listing_init (&self->listing, GST_ELEMENT (self));

  /* one unit of the segment is one event: see the offsets */
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_DEFAULT);
  gst_base_src_set_live (GST_BASE_SRC (self), FALSE);
}

/* Lets go of the current page and its events' lines. */
static void
gst_synapse_gt_src_drop_page (GstSynapseGtSrc * self)
{
  g_clear_pointer (&self->page, synapse_page_unref);
  g_clear_pointer (&self->lines, g_bytes_unref);
  self->lines_data = NULL;
  self->lines_size = self->lines_offset = 0;
  self->page_index = 0;
}

/* Drops what a run holds but the listing's walk. */
static void
gst_synapse_gt_src_clear_run (GstSynapseGtSrc * self)
{
  gst_synapse_gt_src_drop_page (self);
  g_clear_object (&self->download);
  g_clear_pointer (&self->run_url_prefix, g_free);
  self->run_convert_signal = FALSE;
  g_clear_pointer (&self->run_url_fields, g_strfreev);
  self->page_downloaded = FALSE;
  self->offset = 0;
}

static void
gst_synapse_gt_src_finalize (GObject * object)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (object);

  gst_synapse_gt_src_clear_run (self);
  gst_synapse_listing_clear (&self->listing);
  gst_synapse_settings_clear (object);

  G_OBJECT_CLASS (parent_class)->finalize (object);
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
    converted = gst_synapse_urls_replace_origin (url, self->run_url_prefix);
  return converted ? converted : g_strdup (url);
}

static gboolean
gst_synapse_gt_src_start (GstBaseSrc * bsrc)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (bsrc);
  g_autoptr (JsonObject) params = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) converter = NULL;
  g_autoptr (SynapseUrlConversion) download = NULL;
  g_auto (GStrv) fields = NULL;
  g_autofree gchar *download_dir = NULL;
  g_autofree gchar *first_url = NULL;
  guint64 max_download_size;

  gst_synapse_gt_src_clear_run (self);

  /* the run's settings, read at once */
  params = gst_synapse_listing_make_params (&self->listing, &error);
  GST_OBJECT_LOCK (self);
  if (params && !gst_synapse_urls_check_prefix (self->url_prefix, &error))
    g_clear_pointer (&params, json_object_unref);
  self->run_url_prefix = g_strdup (self->url_prefix);
  download_dir = g_strdup (self->download_dir);
  fields = gst_synapse_urls_parse_fields (self->url_fields);
  max_download_size = self->max_download_size;
  GST_OBJECT_UNLOCK (self);

  if (params == NULL) {
    GST_SYNAPSE_ELEMENT_SETTINGS_ERROR (self, error);
    return FALSE;
  }

  self->run_convert_signal = g_signal_has_handler_pending (self,
      signals[SIGNAL_CONVERT_URL], 0, FALSE);
  if (self->run_url_prefix || self->run_convert_signal)
    converter = synapse_url_conversion_new_converter ((const gchar * const *)
        fields, convert_url, self, NULL);
  if (download_dir) {
    download = synapse_url_conversion_new_download ((const gchar *
            const *) fields, download_dir);
    synapse_url_conversion_set_max_file_size (download, max_download_size);
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
  first_url = gst_synapse_listing_open (&self->listing, params,
      converter ? converter : download);
  if (first_url == NULL)
    return FALSE;
  /* one unit of the segment is one event of the listing */
  GST_OBJECT_LOCK (self);
  bsrc->segment.start = bsrc->segment.position = bsrc->segment.time =
      self->listing.walk_start;
  GST_OBJECT_UNLOCK (self);

  /* the URL names the page size */
  GST_INFO_OBJECT (self, "streaming %s%s%s%s%s%s", first_url,
      self->run_url_prefix ? ", URLs rewritten to " : "",
      self->run_url_prefix ? self->run_url_prefix : "",
      self->run_convert_signal ? ", URLs converted by the application" : "",
      download_dir ? ", files downloaded into " : "",
      download_dir ? download_dir : "");
  return TRUE;
}

static gboolean
gst_synapse_gt_src_stop (GstBaseSrc * bsrc)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (bsrc);

  gst_synapse_listing_stop (&self->listing, self->offset);
  gst_synapse_gt_src_clear_run (self);
  return TRUE;
}

/* Makes the next page the current one; EOS at the end of the listing. */
static GstFlowReturn
gst_synapse_gt_src_fetch_page (GstSynapseGtSrc * self,
    GCancellable * cancellable)
{
  g_autoptr (GError) error = NULL;
  SynapsePage *page;

  page = gst_synapse_listing_read_page (&self->listing, cancellable, &error);
  if (page == NULL && error != NULL)
    return gst_synapse_listing_fail (&self->listing, error, cancellable,
        self->offset);
  if (page == NULL)
    return gst_synapse_listing_end (&self->listing);

  self->page = page;
  self->page_index = 0;
  self->offset = synapse_page_get_position (page);
  self->page_downloaded = self->download == NULL;
  if (self->run_url_fields && synapse_page_get_n_items (page) > 0) {
    /* once a run */
    g_auto (GStrv) fields = g_steal_pointer (&self->run_url_fields);

    gst_synapse_urls_check_fields (GST_ELEMENT (self),
        (const gchar * const *) fields, page);
  }
  gst_synapse_listing_post_page (&self->listing, page, 0);
  if (self->page_downloaded)
    gst_synapse_listing_end_request (&self->listing);
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
  GstSynapseListing *listing = &self->listing;
  g_autoptr (GError) error = NULL;
  SynapsePage *downloaded;
  const gchar *directory =
      synapse_url_conversion_get_directory (self->download);

  gst_synapse_listing_begin_request (listing);
  gst_synapse_progress_continue (&listing->progress,
      gst_synapse_listing_percent (listing),
      "Downloading the files of page %u into %s",
      synapse_pager_get_pages_fetched (listing->pager), directory);
  GST_DEBUG_OBJECT (self, "downloading the files of %u events into %s",
      synapse_page_get_n_items (self->page), directory);

  downloaded = synapse_url_conversion_apply_page (self->download,
      listing->client, self->page, cancellable, &error);
  if (downloaded == NULL)
    return gst_synapse_listing_fail (listing, error, cancellable, self->offset);
  synapse_page_unref (self->page);
  self->page = downloaded;
  self->page_downloaded = TRUE;
  gst_synapse_listing_end_request (listing);
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
    gst_synapse_gt_src_drop_page (self);
    if (gst_synapse_listing_is_finished (&self->listing))
      return GST_FLOW_EOS;
    ret = gst_synapse_gt_src_fetch_page (self, cancellable);
    if (ret != GST_FLOW_OK)
      return ret;
  }
}

/* The buffer of the current page's next event: its compact JSON and a
 * newline, the backend's own bytes when nothing was converted. It wraps
 * its line in the page's lines, made when the first is pushed: one
 * allocation and one copy a page, not an allocation and a copy an event.
 * Wrapped, each holding a reference to the lines, rather than shared from
 * one memory: gst_memory_share () locks and unlocks its parent for each
 * (about 330 instructions an event more, measured with benchpagesrc). */
static GstBuffer *
gst_synapse_gt_src_event_buffer (GstSynapseGtSrc * self)
{
  const guint8 *line, *newline;
  GstBuffer *buffer = gst_buffer_new ();
  gsize length;

  if (self->lines == NULL) {
    self->lines = synapse_page_get_items_ndjson (self->page);
    self->lines_data = g_bytes_get_data (self->lines, &self->lines_size);
    self->lines_offset = 0;
  }
  /* compact JSON holds no raw newline: the first one ends the event */
  line = self->lines_data + self->lines_offset;
  newline = memchr (line, '\n', self->lines_size - self->lines_offset);
  length = newline - line + 1;
  gst_buffer_append_memory (buffer,
      gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY, (gpointer) line,
          length, 0, length, g_bytes_ref (self->lines),
          (GDestroyNotify) g_bytes_unref));
  self->lines_offset += length;

  GST_BUFFER_OFFSET (buffer) = self->offset;
  GST_BUFFER_OFFSET_END (buffer) = self->offset + 1;
  self->offset++;
  return buffer;
}

static GstFlowReturn
gst_synapse_gt_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstSynapseGtSrc *self = GST_SYNAPSE_GT_SRC (psrc);
  g_autoptr (GCancellable) cancellable =
      gst_synapse_listing_ref_cancellable (&self->listing);
  guint64 stop = gst_synapse_listing_get_stop (&self->listing);
  GstBufferList *list;
  GstFlowReturn ret;
  guint n_events;

  if (gst_synapse_listing_restart (&self->listing)) {
    /* a seek: the walk starts again, without what the last one held */
    gst_synapse_gt_src_drop_page (self);
  }
  ret = gst_synapse_gt_src_next_event (self, cancellable);
  if (ret != GST_FLOW_OK)
    return ret;
  if (self->offset >= stop)
    return GST_FLOW_EOS;

  /* The rest of the page goes out at once, one buffer an event, as one
   * buffer list: pushing them one by one costs more than making them;
   * no further than the segment's stop. */
  n_events = synapse_page_get_n_items (self->page);
  if (stop - self->offset < n_events - self->page_index)
    n_events = self->page_index + (guint) (stop - self->offset);
  list = gst_buffer_list_new_sized (n_events - self->page_index);
  GST_LOG_OBJECT (self, "events %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
      self->offset, self->offset + n_events - self->page_index - 1);
  for (; self->page_index < n_events; self->page_index++)
    gst_buffer_list_add (list, gst_synapse_gt_src_event_buffer (self));

  gst_base_src_submit_buffer_list (GST_BASE_SRC (self), list);
  *outbuf = NULL;
  return GST_FLOW_OK;
}
