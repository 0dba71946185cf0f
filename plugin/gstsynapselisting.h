/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The walk of a source through the backend's ground-truth listing, the
 * same whatever the source pushes: the query its filter properties make,
 * the run's client and pager, unlock (), the page messages and what a
 * failure becomes (see gstsynapselisting.c). */

#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesrc.h>
#include <synapse/synapse.h>

#include "gstsynapseprogress.h"

G_BEGIN_DECLS

/**
 * GstSynapseListingQuery:
 * @dataset_versions: comma-separated dataset version ids, or %NULL
 * @project: a project id, or -1
 * @data_type: (nullable): a data type
 * @created_after: (nullable): an ISO 8601 date or date-time
 * @search: (nullable): words for the backend's text search
 * @extra_params: (nullable): more parameters, a #GstStructure string
 *
 * The filter properties of a listing source, as set (the element's
 * settings: guarded by its object lock).
 */
typedef struct
{
  gchar *dataset_versions;
  gint project;
  gchar *data_type;
  gchar *created_after;
  gchar *search;
  gchar *extra_params;
} GstSynapseListingQuery;

/* The listing properties, in the order of the ids an element sets aside
 * for them, from the first (gst_synapse_listing_class_init ()). */
enum
{
  GST_SYNAPSE_LISTING_PROP_DATASET_VERSIONS,
  GST_SYNAPSE_LISTING_PROP_PROJECT,
  GST_SYNAPSE_LISTING_PROP_DATA_TYPE,
  GST_SYNAPSE_LISTING_PROP_CREATED_AFTER,
  GST_SYNAPSE_LISTING_PROP_SEARCH,
  GST_SYNAPSE_LISTING_PROP_EXTRA_PARAMS,
  GST_SYNAPSE_LISTING_PROP_PAGE_SIZE,
  GST_SYNAPSE_LISTING_PROP_PREFETCH,
  GST_SYNAPSE_LISTING_PROP_PREFETCH_BYTES,
  GST_SYNAPSE_LISTING_PROP_START_INDEX,
  GST_SYNAPSE_LISTING_PROP_SHARD_COUNT,
  GST_SYNAPSE_LISTING_PROP_SHARD_INDEX,
  GST_SYNAPSE_LISTING_PROP_TOTAL_COUNT,
  GST_SYNAPSE_LISTING_N_PROPS
};

/**
 * GstSynapseListing:
 * @query: the filter properties
 * @page_size: the page-size property
 * @prefetch: the prefetch property
 * @prefetch_bytes: the prefetch-bytes property
 * @start_index: the start-index property
 * @shard_count: the shard-count property
 * @shard_index: the shard-index property
 * @total_count: the read-only total-count property
 * @client: the run's client
 * @pager: the run's walk through the listing
 * @progress: the `fetch` progress operation of the request in flight
 *
 * The walk of a listing source, embedded in the element, with the values
 * of the listing properties (guarded by the element's object lock); the
 * streaming thread uses the rest, but for the cancellable.
 */
typedef struct
{
  GstElement *element;
  GstSynapseListingQuery query;
  guint page_size;
  guint prefetch;
  guint64 prefetch_bytes;
  guint64 start_index;
  guint shard_count;
  guint shard_index;
  gint64 total_count;
  SynapseClient *client;
  SynapsePager *pager;
  GstSynapseProgress progress;

  /*< private >*/
  GCancellable *cancellable;    /* object lock */
  guint pages_reported;
  gboolean finished;            /* the listing has no more pages */

  /* the run's walk, made again at each seek (the streaming thread, or
   * do_seek () with the stream lock held) */
  JsonObject *params;
  SynapseUrlConversion *conversion;
  guint prefetch_run;
  guint64 prefetch_bytes_run;
  guint64 walk_start;           /* the event the walk starts at */
  guint64 walk_stop;            /* the event it stops before, or
                                 * G_MAXUINT64 */
  gboolean walk_pending;        /* to be made at walk_start */
  gboolean streaming;           /* create () has run since start () */
  SynapsePagination pagination; /* object lock: what the last walk found */
} GstSynapseListing;

void gst_synapse_listing_class_init (GstBaseSrcClass * klass,
    GParamSpec ** pspecs, gsize * fields, gsize listing_offset);

void gst_synapse_listing_init (GstSynapseListing * listing,
    GstElement * element);

JsonObject *gst_synapse_listing_make_params (GstSynapseListing * listing,
    GError ** error);


void gst_synapse_listing_clear (GstSynapseListing * listing);

gchar *gst_synapse_listing_open (GstSynapseListing * listing,
    JsonObject * params, SynapseUrlConversion * conversion);

void gst_synapse_listing_stop (GstSynapseListing * listing, guint64 pushed);

GCancellable *gst_synapse_listing_ref_cancellable (GstSynapseListing * listing);

gboolean gst_synapse_listing_is_finished (GstSynapseListing * listing);

void gst_synapse_listing_seek (GstSynapseListing * listing, guint64 start,
    guint64 stop);

gboolean gst_synapse_listing_restart (GstSynapseListing * listing);

guint64 gst_synapse_listing_get_stop (GstSynapseListing * listing);

SynapsePage *gst_synapse_listing_read_page (GstSynapseListing * listing,
    GCancellable * cancellable, GError ** error);

GstFlowReturn gst_synapse_listing_end (GstSynapseListing * listing);

void gst_synapse_listing_post_page (GstSynapseListing * listing,
    SynapsePage * page, guint skipped);

void gst_synapse_listing_begin_request (GstSynapseListing * listing);

void gst_synapse_listing_end_request (GstSynapseListing * listing);

gint gst_synapse_listing_percent (GstSynapseListing * listing);

GstFlowReturn gst_synapse_listing_fail (GstSynapseListing * listing,
    const GError * error, GCancellable * cancellable, guint64 pushed);

G_END_DECLS
