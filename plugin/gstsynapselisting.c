/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: what a source that walks the backend's ground-truth
 * listing does the same way whatever it pushes. synapsegtsrc pushes each
 * event as a line of JSON; synapsemediasrc pushes each event's file from
 * the same walk; seeking and sharding (planned) will come through the same
 * query and pager.
 *
 * - The listing properties, declared here for every listing source (an
 *   element sets their ids aside and calls
 *   gst_synapse_listing_class_init ()): the filters
 *   (dataset-versions, project, data-type, created-after, search,
 *   extra-params), page-size, prefetch, prefetch-bytes and the read-only
 *   total-count; their values live in the element's GstSynapseListing,
 *   where gstsynapsesettings.c finds them. gst-inspect-1.0 shows them
 *   with each element.
 * - The query: the filter properties as the parameters of the first
 *   page, or a SETTINGS error that names the property, before any
 *   request; the client with the paging properties applied; the duration
 *   query, answered with total-count; not seekable (yet).
 * - The walk: the run's client and pager (gst_synapse_listing_open ());
 *   the cancellable that unlock ()
 *   cancels, so that going to READY ends the request in flight and any
 *   backoff wait at once; the messages around each page (the element
 *   message `synapse-page`, and a `fetch` progress operation a request,
 *   START before it, COMPLETE when its events are ready, rather than one
 *   operation for the whole stream, which applications such as
 *   gst-launch-1.0 would wait for before going to PLAYING); and what a
 *   failure becomes: FLUSHING without a word for a cancellation, else an
 *   error message in the listing's words.
 */

#include "config.h"

#include "gstsynapselisting.h"
#include "gstsynapseconnection.h"
#include "gstsynapseerror.h"
#include "gstsynapseelements.h"
#include "gstsynapsesettings.h"

#define GST_CAT_DEFAULT gst_synapse_debug

#define PROGRESS_CODE "fetch"

/* One query parameter value: a number, boolean or string. */
static JsonNode *
scalar_to_json (const gchar * field, const GValue * value, GError ** error)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  GType type = G_VALUE_TYPE (value);

  if (type == G_TYPE_INT) {
    json_node_set_int (node, g_value_get_int (value));
  } else if (type == G_TYPE_UINT) {
    json_node_set_int (node, g_value_get_uint (value));
  } else if (type == G_TYPE_INT64) {
    json_node_set_int (node, g_value_get_int64 (value));
  } else if (type == G_TYPE_UINT64) {
    if (g_value_get_uint64 (value) > G_MAXINT64)
      goto unsupported;
    json_node_set_int (node, (gint64) g_value_get_uint64 (value));
  } else if (type == G_TYPE_BOOLEAN) {
    json_node_set_boolean (node, g_value_get_boolean (value));
  } else if (type == G_TYPE_DOUBLE) {
    json_node_set_double (node, g_value_get_double (value));
  } else if (type == G_TYPE_FLOAT) {
    json_node_set_double (node, g_value_get_float (value));
  } else if (type == G_TYPE_STRING && g_value_get_string (value) != NULL) {
    json_node_set_string (node, g_value_get_string (value));
  } else {
    goto unsupported;
  }
  return node;

unsupported:
  json_node_unref (node);
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "the field \"%s\" holds a %s; a query parameter must be a whole "
      "number (up to 2^63 - 1), a number, a boolean, a string, or a list of "
      "them", field, g_type_name (type));
  return NULL;
}

static JsonNode *
value_to_json (const gchar * field, const GValue * value, GError ** error)
{
  JsonArray *array;
  JsonNode *node;
  guint size;
  gboolean is_array = GST_VALUE_HOLDS_ARRAY (value);

  if (!is_array && !GST_VALUE_HOLDS_LIST (value))
    return scalar_to_json (field, value, error);

  size = is_array ? gst_value_array_get_size (value)
      : gst_value_list_get_size (value);
  array = json_array_sized_new (size);
  for (guint i = 0; i < size; i++) {
    const GValue *item = is_array ? gst_value_array_get_value (value, i)
        : gst_value_list_get_value (value, i);

    node = scalar_to_json (field, item, error);
    if (node == NULL) {
      json_array_unref (array);
      return NULL;
    }
    json_array_add_element (array, node);
  }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}

/* Query parameters from the fields of @structure (its name is not used):
 * whole numbers, numbers, booleans and strings, and arrays (`<1,2>`) or
 * lists (`{1,2}`) of them, which are sent as the same key repeated; NULL
 * with @error set when a field has another type. */
static JsonObject *
structure_to_params (const GstStructure * structure, GError ** error)
{
  g_autoptr (JsonObject) params = json_object_new ();
  guint n = gst_structure_n_fields (structure);

  for (guint i = 0; i < n; i++) {
    const gchar *field = gst_structure_nth_field_name (structure, i);
    JsonNode *node = value_to_json (field,
        gst_structure_get_value (structure, field), error);

    if (node == NULL)
      return NULL;
    json_object_set_member (params, field, node);
  }
  return g_steal_pointer (&params);
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
      gst_synapse_settings_set_error (error, "dataset-versions",
          "The dataset-versions property \"%s\" must be a comma-separated "
          "list of dataset version ids, but it has an empty item (leave "
          "the property unset for every version).", text);
      return NULL;
    }
    if (!g_ascii_string_to_signed (item, 10, 0, G_MAXINT64, &id, NULL)) {
      gst_synapse_settings_set_error (error, "dataset-versions",
          "The dataset-versions property \"%s\" must be a comma-separated "
          "list of dataset version ids, but \"%s\" is not a whole number.",
          text, item);
      return NULL;
    }
    json_array_add_int_element (versions, id);
  }
  return g_steal_pointer (&versions);
}

/* The query parameters of the listing's first page (the client adds
 * `page_size`; a field of extra-params replaces a parameter of the same
 * name), or NULL with a GST_SYNAPSE_SETTINGS_ERROR that names the property
 * and what is wrong with it; the element's object lock held. */
static JsonObject *
query_to_params (const GstSynapseListingQuery * query, GError ** error)
{
  g_autoptr (JsonObject) params = json_object_new ();

  if (query->dataset_versions) {
    JsonArray *versions = parse_dataset_versions (query->dataset_versions,
        error);

    if (versions == NULL)
      return NULL;
    json_object_set_array_member (params, "ground_truth_dataset_versions",
        versions);
  }
  if (query->project >= 0)
    json_object_set_int_member (params, "project", query->project);
  if (query->data_type)
    json_object_set_string_member (params, "data_type", query->data_type);
  if (query->created_after)
    json_object_set_string_member (params, "created_after",
        query->created_after);
  if (query->search)
    json_object_set_string_member (params, "search", query->search);

  if (query->extra_params) {
    g_autoptr (GstStructure) structure =
        gst_structure_from_string (query->extra_params, NULL);
    g_autoptr (JsonObject) extra = NULL;
    g_autoptr (GError) field_error = NULL;
    JsonObjectIter iter;
    const gchar *name;
    JsonNode *node;

    if (structure == NULL) {
      gst_synapse_settings_set_error (error, "extra-params",
          "The extra-params property \"%s\" is not a GstStructure string, "
          "such as \"params, page_size=50, search=cat\".", query->extra_params);
      return NULL;
    }
    extra = structure_to_params (structure, &field_error);
    if (extra == NULL) {
      gst_synapse_settings_set_error (error, "extra-params",
          "The extra-params property \"%s\" cannot be used: %s.",
          query->extra_params, field_error->message);
      return NULL;
    }
    json_object_iter_init_ordered (&iter, extra);
    while (json_object_iter_next_ordered (&iter, &name, &node))
      json_object_set_member (params, name, json_node_ref (node));
  }

  return g_steal_pointer (&params);
}

/* Where the value of each listing property lives in GstSynapseListing. */
#define FIELD(member) G_STRUCT_OFFSET (GstSynapseListing, member)

static const gsize listing_fields[GST_SYNAPSE_LISTING_N_PROPS] = {
  [GST_SYNAPSE_LISTING_PROP_DATASET_VERSIONS] = FIELD (query.dataset_versions),
  [GST_SYNAPSE_LISTING_PROP_PROJECT] = FIELD (query.project),
  [GST_SYNAPSE_LISTING_PROP_DATA_TYPE] = FIELD (query.data_type),
  [GST_SYNAPSE_LISTING_PROP_CREATED_AFTER] = FIELD (query.created_after),
  [GST_SYNAPSE_LISTING_PROP_SEARCH] = FIELD (query.search),
  [GST_SYNAPSE_LISTING_PROP_EXTRA_PARAMS] = FIELD (query.extra_params),
  [GST_SYNAPSE_LISTING_PROP_PAGE_SIZE] = FIELD (page_size),
  [GST_SYNAPSE_LISTING_PROP_PREFETCH] = FIELD (prefetch),
  [GST_SYNAPSE_LISTING_PROP_PREFETCH_BYTES] = FIELD (prefetch_bytes),
  [GST_SYNAPSE_LISTING_PROP_START_INDEX] = FIELD (start_index),
  [GST_SYNAPSE_LISTING_PROP_SHARD_COUNT] = FIELD (shard_count),
  [GST_SYNAPSE_LISTING_PROP_SHARD_INDEX] = FIELD (shard_index),
  [GST_SYNAPSE_LISTING_PROP_TOTAL_COUNT] = FIELD (total_count),
};

static GQuark
listing_offset_quark (void)
{
  return g_quark_from_static_string ("gst-synapse-listing-offset");
}

/* The GstSynapseListing of @src, whose class gst_synapse_listing_class_init ()
 * told where it is. */
static GstSynapseListing *
listing_of (GstBaseSrc * src)
{
  gsize offset = GPOINTER_TO_SIZE (g_type_get_qdata (G_OBJECT_TYPE (src),
          listing_offset_quark ()));

  return G_STRUCT_MEMBER_P (src, offset);
}

/* The source's unlock (): ends the request in flight, or any backoff
 * wait, at once. */
static gboolean
gst_synapse_listing_unlock (GstBaseSrc * src)
{
  g_autoptr (GCancellable) cancellable =
      gst_synapse_listing_ref_cancellable (listing_of (src));

  GST_DEBUG_OBJECT (src, "unlock: cancelling the request in flight");
  /* outside the lock: cancelling runs the request's handlers */
  g_cancellable_cancel (cancellable);
  return TRUE;
}

/* The source's unlock_stop (): the requests to come take a new
 * cancellable. */
static gboolean
gst_synapse_listing_unlock_stop (GstBaseSrc * src)
{
  GstSynapseListing *listing = listing_of (src);

  GST_DEBUG_OBJECT (src, "unlock_stop: a new cancellable");
  GST_OBJECT_LOCK (src);
  g_object_unref (listing->cancellable);
  listing->cancellable = g_cancellable_new ();
  GST_OBJECT_UNLOCK (src);
  return TRUE;
}

/* Seekable in events unless the listing turned out to link its pages by
 * cursor: a walk by page number starts at any page. */
static gboolean
gst_synapse_listing_is_seekable (GstBaseSrc * src)
{
  GstSynapseListing *listing = listing_of (src);
  gboolean seekable;

  GST_OBJECT_LOCK (src);
  seekable = listing->pagination != SYNAPSE_PAGINATION_OTHER;
  GST_OBJECT_UNLOCK (src);
  return seekable;
}

/* The source's do_seek () in events (GST_FORMAT_DEFAULT): the walk starts
 * again at the segment's start (start-index, as start () set it, before
 * any seek) and stops before its stop. */
static gboolean
gst_synapse_listing_do_seek (GstBaseSrc * src, GstSegment * segment)
{
  if (segment->format != GST_FORMAT_DEFAULT)
    return FALSE;
  /* a segment's stop of -1 (none) is G_MAXUINT64, the walk's none */
  gst_synapse_listing_seek (listing_of (src), segment->start, segment->stop);
  segment->position = segment->start;
  return TRUE;
}

/* The source's query (): a duration query in events (GST_FORMAT_DEFAULT)
 * is answered with the backend's count, once the first page has arrived;
 * the rest is the parent class's. */
static gboolean
gst_synapse_listing_query (GstBaseSrc * src, GstQuery * query)
{
  GstSynapseListing *listing = listing_of (src);
  GstBaseSrcClass *parent_class =
      g_type_class_peek_parent (G_OBJECT_GET_CLASS (src));
  GstFormat format;
  gint64 total;

  if (GST_QUERY_TYPE (query) != GST_QUERY_DURATION)
    return parent_class->query (src, query);
  gst_query_parse_duration (query, &format, NULL);
  GST_OBJECT_LOCK (src);
  total = listing->total_count;
  GST_OBJECT_UNLOCK (src);
  if (format != GST_FORMAT_DEFAULT || total < 0)
    return parent_class->query (src, query);
  gst_query_set_duration (query, format, total);
  return TRUE;
}

/**
 * gst_synapse_listing_class_init:
 * @klass: the class of a listing source
 * @pspecs: (out caller-allocates) (array fixed-size=GST_SYNAPSE_LISTING_N_PROPS):
 *   the element's property table from the first id it sets aside for the
 *   listing properties
 * @fields: (out caller-allocates) (array fixed-size=GST_SYNAPSE_LISTING_N_PROPS):
 *   the element's field table (gst_synapse_settings_install ()) from the
 *   same id
 * @listing_offset: where the element's GstSynapseListing is in its
 *   instance (G_STRUCT_OFFSET)
 *
 * Fills in the listing properties, new GParamSpecs for the element's
 * class, and where their values live, for the element to install with
 * its own; makes unlock (), unlock_stop (), is_seekable (), do_seek ()
 * (in events) and query () the listing's.
 */
void
gst_synapse_listing_class_init (GstBaseSrcClass * klass, GParamSpec ** pspecs,
    gsize * fields, gsize listing_offset)
{
  const GParamFlags flags = GST_SYNAPSE_PARAM_SETTING;

  /* dataset-versions:
   *
   * The ground-truth dataset versions whose events are streamed, as a
   * comma-separated list of ids, e.g. `12,13`
   * (`ground_truth_dataset_versions`, one parameter an id). %NULL or empty
   * streams every event the credentials may read. A list with an item that
   * is not a whole number, or empty (`1,,2`, `,`, blanks), fails with a
   * RESOURCE SETTINGS error at start.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_DATASET_VERSIONS] =
      g_param_spec_string ("dataset-versions", "Dataset versions",
      "Comma-separated ids of the ground-truth dataset versions to stream, "
      "e.g. \"12,13\" (empty: every version)", NULL, flags);

  /* project:
   *
   * Only the events of this project (`project`); -1 for any project.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_PROJECT] =
      g_param_spec_int ("project", "Project",
      "Id of the project whose events to stream (-1 = any project)", -1,
      G_MAXINT, -1, flags);

  /* data-type:
   *
   * Only the events of this data type (`data_type`), e.g. `image`; %NULL
   * for any.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_DATA_TYPE] =
      g_param_spec_string ("data-type", "Data type",
      "Data type of the events to stream, e.g. \"image\" (empty: any)",
      NULL, flags);

  /* created-after:
   *
   * Only the events created after this moment (`created_after`), an ISO
   * 8601 date or date and time such as `2024-05-01T00:00:00Z`, passed to
   * the backend as it is; %NULL for no limit.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_CREATED_AFTER] =
      g_param_spec_string ("created-after", "Created after",
      "Only events created after this ISO 8601 date or date-time, e.g. "
      "\"2024-05-01T00:00:00Z\" (empty: no limit)", NULL, flags);

  /* search:
   *
   * Only the events that the backend's text search finds for these words
   * (`search`); %NULL for all.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_SEARCH] =
      g_param_spec_string ("search", "Search",
      "Only events matching this text search (empty: all)", NULL, flags);

  /* extra-params:
   *
   * Any other query parameters, as a #GstStructure string whose name is
   * not used, e.g. `params, page_size=50, search=cat`. Each field becomes
   * a parameter of the first request: a whole number, a number, a boolean
   * (sent as `true`/`false`) or a string, or an array (`<1,2>`) or list
   * (`{1,2}`) of them sent as the same key repeated. A field replaces the
   * parameter of the same name set by another property (`page_size` that
   * of `page-size`). A string that is not a structure, or a
   * field of another type, fails with a RESOURCE SETTINGS error at start.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_EXTRA_PARAMS] =
      g_param_spec_string ("extra-params", "Extra parameters",
      "More query parameters as a GstStructure string, e.g. "
      "\"params, page_size=50, search=cat\"; arrays <1,2> repeat the key "
      "(empty: none)", NULL, flags);

  /* page-size:
   *
   * How many events each request asks for (`page_size`). Backends cap it,
   * often at 1000. Only one page is held in memory at a time.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_PAGE_SIZE] =
      gst_synapse_param_spec_like_client ("page-size", "Page size",
      "Events asked for in each request (the backend may cap it)");

  /* prefetch:
   *
   * How many page requests may be in flight at once: with more than 1,
   * and a backend whose `next` links number their pages (Django REST
   * Framework's do), the pages after the one being pushed are requested
   * (and their URLs converted, their files downloaded) ahead, several at
   * once. 1 fetches the pages strictly one after the other. Events are
   * pushed in order, each exactly once, whatever the value; memory holds
   * at most this many pages plus the one being pushed, and no more bytes
   * ahead than `prefetch-bytes`.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_PREFETCH] =
      gst_synapse_param_spec_like_client ("prefetch", "Prefetch",
      "Page requests in flight at once, ahead of the page being pushed "
      "(1 = one page at a time)");

  /* prefetch-bytes:
   *
   * The most bytes of pages held ahead of the page being pushed: those
   * fetched but not pushed yet, by their size, and those in flight, by
   * the size of the largest page so far. No page is requested ahead while
   * one more would go over it, but one always is, so the stream goes on
   * whatever the budget. With ordinary pages (100 events of a few KiB)
   * the default lets `prefetch` have its way; with pages
   * of tens of MiB it holds one or two ahead, not eight.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_PREFETCH_BYTES] =
      gst_synapse_param_spec_like_client ("prefetch-bytes",
      "Prefetch bytes", "Most bytes of pages held ahead of the page being "
      "pushed (one page is always requested ahead)");

  /* start-index:
   *
   * The events of the listing passed over: the stream starts at event
   * start-index, e.g. the `next-index` of the last `synapse-page` message
   * of a stream that stopped. Offsets count from the listing's start all
   * the same. With a backend that numbers its pages (Django REST
   * Framework's `?page=N`), the first request is for the page that holds
   * that event and no page before it is fetched; with pages linked by
   * cursor the listing is walked from its first page and the events
   * before it are dropped (the log says so). A start past the end is an
   * empty stream.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_START_INDEX] =
      g_param_spec_uint64 ("start-index", "Start index",
      "Events of the listing passed over: the stream starts at this event",
      0, G_MAXUINT64, 0, flags);

  /* shard-count:
   *
   * How many streams share the listing, by pages: the stream of
   * shard-index i reads pages i + 1, i + 1 + N, i + 1 + 2N, … of the
   * listing and no other, and pushes their events in order, with the
   * offsets of the whole listing, so that N sources (in as many processes
   * or machines) read every event once between them. Only a backend that
   * numbers its pages can be shared: another fails with a RESOURCE
   * SETTINGS error at its first page.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_SHARD_COUNT] =
      g_param_spec_uint ("shard-count", "Shard count",
      "Streams that share the listing by pages (1 = this one reads it all)",
      1, G_MAXUINT, 1, flags);

  /* shard-index:
   *
   * Which of the shard-count streams this is, from 0; it must be below
   * shard-count (a RESOURCE SETTINGS error at start otherwise).
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_SHARD_INDEX] =
      g_param_spec_uint ("shard-index", "Shard index",
      "Which of the shard-count streams this is, from 0", 0, G_MAXUINT - 1,
      0, flags);

  /* total-count:
   *
   * The backend's count of the events matching the filters, from the
   * first page of the current (or last) run; -1 until the first page has
   * arrived or when the backend gives no count. It is notified when it
   * changes.
   */
  pspecs[GST_SYNAPSE_LISTING_PROP_TOTAL_COUNT] =
      g_param_spec_int64 ("total-count", "Total count",
      "Events matching the filters, as the backend counts them (-1 until "
      "the first page arrived)", -1, G_MAXINT64, -1,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  for (guint id = 0; id < GST_SYNAPSE_LISTING_N_PROPS; id++)
    fields[id] = listing_offset + listing_fields[id];

  g_type_set_qdata (G_TYPE_FROM_CLASS (klass), listing_offset_quark (),
      GSIZE_TO_POINTER (listing_offset));
  klass->unlock = GST_DEBUG_FUNCPTR (gst_synapse_listing_unlock);
  klass->unlock_stop = GST_DEBUG_FUNCPTR (gst_synapse_listing_unlock_stop);
  klass->is_seekable = GST_DEBUG_FUNCPTR (gst_synapse_listing_is_seekable);
  klass->do_seek = GST_DEBUG_FUNCPTR (gst_synapse_listing_do_seek);
  klass->query = GST_DEBUG_FUNCPTR (gst_synapse_listing_query);
}

/**
 * gst_synapse_listing_init:
 * @listing: the walk of a new element
 * @element: the element, which posts the walk's messages
 *
 * The listing properties have their defaults already
 * (gst_synapse_settings_init ()).
 */
void
gst_synapse_listing_init (GstSynapseListing * listing, GstElement * element)
{
  listing->element = element;
  listing->cancellable = g_cancellable_new ();
  gst_synapse_progress_init (&listing->progress, element, PROGRESS_CODE);
}

/**
 * gst_synapse_listing_make_params:
 * @listing: the walk
 * @error: return location for a #GST_SYNAPSE_SETTINGS_ERROR that names
 *   the property and what is wrong with it (post it with
 *   GST_SYNAPSE_ELEMENT_SETTINGS_ERROR ())
 *
 * The query parameters of the listing's first page, from the filter
 * properties (the client adds `page_size`; a field of extra-params
 * replaces a parameter of the same name).
 *
 * Returns: (transfer full) (nullable): the parameters
 */
JsonObject *
gst_synapse_listing_make_params (GstSynapseListing * listing, GError ** error)
{
  JsonObject *params;

  GST_OBJECT_LOCK (listing->element);
  params = query_to_params (&listing->query, error);
  GST_OBJECT_UNLOCK (listing->element);
  return params;
}

/* Sets total-count, notified when it changes. */
static void
set_total_count (GstSynapseListing * listing, gint64 total)
{
  gboolean changed;

  GST_OBJECT_LOCK (listing->element);
  changed = listing->total_count != total;
  listing->total_count = total;
  GST_OBJECT_UNLOCK (listing->element);
  if (changed)
    g_object_notify (G_OBJECT (listing->element), "total-count");
}

/* Forgets the run's walk, without a word. */
static void
gst_synapse_listing_reset (GstSynapseListing * listing)
{
  g_clear_object (&listing->pager);
  g_clear_object (&listing->client);
  g_clear_pointer (&listing->params, json_object_unref);
  g_clear_object (&listing->conversion);
  gst_synapse_progress_reset (&listing->progress);
  listing->pages_reported = 0;
  listing->finished = FALSE;
  listing->walk_pending = FALSE;
  listing->streaming = FALSE;
}

/* Ends the progress operation of a request in flight as CANCELED. */
static void
gst_synapse_listing_cancel_request (GstSynapseListing * listing, guint64 pushed)
{
  gst_synapse_progress_end (&listing->progress, GST_PROGRESS_TYPE_CANCELED,
      -1, "Stopped the request after %" G_GUINT64_FORMAT
      " ground-truth events", pushed);
}

/**
 * gst_synapse_listing_open:
 * @listing: the walk
 * @params: the query of the listing's first page
 *   (gst_synapse_listing_make_params ()), which gets the page-size
 *   property as `page_size` unless it has one
 * @conversion: (nullable): how the pager converts the pages
 *
 * Begins a run's walk: the client made from the connection and paging
 * properties, and a pager over the ground-truth listing, which ends at
 * #GstBaseSrc:num-buffers events if it is set (no page past the last event
 * wanted is asked for, not even ahead); total-count is -1 until its first
 * page.
 *
 * Returns: (transfer full) (nullable): the URL of the first page, for the
 *   log, or %NULL when no client could be made (an error was posted)
 */
gchar *
gst_synapse_listing_open (GstSynapseListing * listing, JsonObject * params,
    SynapseUrlConversion * conversion)
{
  SynapseClient *client;
  guint page_size, shard_count, shard_index;
  guint64 start_index;

  GST_OBJECT_LOCK (listing->element);
  page_size = listing->page_size;
  start_index = listing->start_index;
  shard_count = listing->shard_count;
  shard_index = listing->shard_index;
  GST_OBJECT_UNLOCK (listing->element);
  /* the properties' ranges first */
  client = gst_synapse_connection_make_client (GST_SYNAPSE_CONNECTION
      (listing->element));
  if (client == NULL)
    return NULL;
  if (shard_index >= shard_count) {
    g_autoptr (GError) error = NULL;

    gst_synapse_settings_set_error (&error, "shard-index", "The shard-index "
        "property (%u) must be below shard-count (%u).", shard_index,
        shard_count);
    GST_SYNAPSE_ELEMENT_SETTINGS_ERROR (listing->element, error);
    g_object_unref (client);
    return NULL;
  }

  /* the paging properties go to this walk, not to the client, which may
   * be the pipeline's (extra-params may give page_size) */
  if (!json_object_has_member (params, "page_size"))
    json_object_set_int_member (params, "page_size", page_size);

  gst_synapse_listing_reset (listing);
  listing->client = client;
  listing->params = json_object_ref (params);
  listing->conversion = conversion ? g_object_ref (conversion) : NULL;
  GST_OBJECT_LOCK (listing->element);
  listing->prefetch_run = listing->prefetch;
  listing->prefetch_bytes_run = listing->prefetch_bytes;
  listing->pagination = SYNAPSE_PAGINATION_UNKNOWN;
  GST_OBJECT_UNLOCK (listing->element);
  /* the walk is made by the first create (), or by a seek before it */
  gst_synapse_listing_seek (listing, start_index, G_MAXUINT64);
  set_total_count (listing, -1);
  return synapse_client_build_url (client, "sdk/ground_truth_events/",
      params);
}

/**
 * gst_synapse_listing_seek:
 * @listing: the walk
 * @start: the event the walk is to start at
 * @stop: the event it is to stop before, or %G_MAXUINT64
 *
 * Makes the next gst_synapse_listing_restart () start the walk again at
 * @start (the element's do_seek (), with the stream lock held).
 */
void
gst_synapse_listing_seek (GstSynapseListing * listing, guint64 start,
    guint64 stop)
{
  GST_DEBUG_OBJECT (listing->element, "the walk starts at event %"
      G_GUINT64_FORMAT ", stops before %" G_GUINT64_FORMAT, start, stop);
  listing->walk_start = start;
  listing->walk_stop = stop;
  listing->walk_pending = TRUE;
}

/**
 * gst_synapse_listing_restart:
 * @listing: the walk
 *
 * Called by create () before anything else: when a seek (or start ())
 * asked for it, makes the walk, at the event it starts at, and no page
 * past the stop, the shards or #GstBaseSrc:num-buffers is asked for; the
 * element then forgets what it held of the walk before.
 *
 * Returns: whether the walk starts (again) here
 */
gboolean
gst_synapse_listing_restart (GstSynapseListing * listing)
{
  gint num_buffers = GST_BASE_SRC (listing->element)->num_buffers;
  guint shard_count, shard_index;
  guint64 limit = 0;

  listing->streaming = TRUE;
  if (!listing->walk_pending)
    return FALSE;
  listing->walk_pending = FALSE;

  GST_OBJECT_LOCK (listing->element);
  shard_count = listing->shard_count;
  shard_index = listing->shard_index;
  GST_OBJECT_UNLOCK (listing->element);

  g_clear_object (&listing->pager);
  listing->pager = synapse_client_iter_ground_truth_events (listing->client,
      listing->params, listing->conversion);
  synapse_pager_set_prefetch (listing->pager, listing->prefetch_run);
  synapse_pager_set_prefetch_bytes (listing->pager,
      listing->prefetch_bytes_run);
  synapse_pager_set_start_index (listing->pager, listing->walk_start);
  synapse_pager_set_shard (listing->pager, shard_index, shard_count);
  /* a shard's stop is checked event by event: its pages are not all */
  if (listing->walk_stop != G_MAXUINT64 && shard_count == 1)
    limit = listing->walk_stop > listing->walk_start ?
        listing->walk_stop - listing->walk_start : 1;
  if (num_buffers > 0)
    limit = limit ? MIN (limit, (guint64) num_buffers) : (guint64) num_buffers;
  synapse_pager_set_limit (listing->pager, limit);
  listing->pages_reported = 0;
  listing->finished = listing->walk_stop <= listing->walk_start;
  GST_INFO_OBJECT (listing->element, "walking the listing from event %"
      G_GUINT64_FORMAT "%s (shard %u of %u)", listing->walk_start,
      listing->finished ? ", past the segment's stop" : "", shard_index,
      shard_count);
  return TRUE;
}

/**
 * gst_synapse_listing_get_stop:
 * @listing: the walk
 *
 * Returns: the event the walk stops before (a seek's stop), or
 *   %G_MAXUINT64
 */
guint64
gst_synapse_listing_get_stop (GstSynapseListing * listing)
{
  return listing->walk_stop;
}

/**
 * gst_synapse_listing_stop:
 * @listing: the walk
 * @pushed: how many events the element pushed, for the message
 *
 * Ends a run's walk: a request in flight ends as CANCELED.
 */
void
gst_synapse_listing_stop (GstSynapseListing * listing, guint64 pushed)
{
  gst_synapse_listing_cancel_request (listing, pushed);
  GST_DEBUG_OBJECT (listing->element, "stopping after %" G_GUINT64_FORMAT
      " events", pushed);
  gst_synapse_listing_reset (listing);
}

/**
 * gst_synapse_listing_clear:
 * @listing: the walk of an element being finalized
 */
void
gst_synapse_listing_clear (GstSynapseListing * listing)
{
  gst_synapse_listing_reset (listing);
  g_clear_object (&listing->cancellable);
}

/**
 * gst_synapse_listing_ref_cancellable:
 * @listing: the walk
 *
 * Returns: (transfer full): the cancellable for the requests of one call
 *   of create ()
 */
GCancellable *
gst_synapse_listing_ref_cancellable (GstSynapseListing * listing)
{
  GCancellable *cancellable;

  GST_OBJECT_LOCK (listing->element);
  cancellable = g_object_ref (listing->cancellable);
  GST_OBJECT_UNLOCK (listing->element);
  return cancellable;
}

/**
 * gst_synapse_listing_is_finished:
 * @listing: the walk
 *
 * Returns: whether the listing has no more pages
 */
gboolean
gst_synapse_listing_is_finished (GstSynapseListing * listing)
{
  return listing->finished;
}

/**
 * gst_synapse_listing_percent:
 * @listing: the walk
 *
 * Returns: how far the listing is, for progress messages; -1 when the
 *   backend gives no count
 */
gint
gst_synapse_listing_percent (GstSynapseListing * listing)
{
  gint64 total = synapse_pager_get_total_count (listing->pager);
  guint64 position = synapse_pager_get_next_index (listing->pager);

  if (total <= 0)
    return total == 0 ? 100 : -1;
  return (gint) MIN (100, position * 100 / (guint64) total);
}

/**
 * gst_synapse_listing_begin_request:
 * @listing: the walk
 *
 * Starts the progress operation of a request, unless one is under way or
 * no request is left to make.
 */
void
gst_synapse_listing_begin_request (GstSynapseListing * listing)
{
  SynapsePager *pager = listing->pager;
  gint64 total = synapse_pager_get_total_count (pager);

  if (gst_synapse_progress_is_active (&listing->progress))
    return;
  /* every event counted has arrived: asking the pager for more only
   * confirms the end, it sends no request */
  if (synapse_pager_get_pages_fetched (pager) > 0 && total >= 0
      && synapse_pager_get_next_index (pager) >= (guint64) total)
    return;
  gst_synapse_progress_start (&listing->progress,
      synapse_pager_get_pages_fetched (pager) > 0 ?
      gst_synapse_listing_percent (listing) : 0,
      "Requesting ground-truth events from %s",
      synapse_client_get_base_url (listing->client));
}

/**
 * gst_synapse_listing_end_request:
 * @listing: the walk
 *
 * Completes the progress operation of a request whose events are ready.
 */
void
gst_synapse_listing_end_request (GstSynapseListing * listing)
{
  guint64 position = synapse_pager_get_next_index (listing->pager);
  gint64 total = synapse_pager_get_total_count (listing->pager);
  guint pages = synapse_pager_get_pages_fetched (listing->pager);

  if (listing->finished || (total >= 0 && position >= (guint64) total))
    gst_synapse_progress_end (&listing->progress, GST_PROGRESS_TYPE_COMPLETE,
        100, "Received all %" G_GUINT64_FORMAT " ground-truth events (%u "
        "pages)", position, pages);
  else
    gst_synapse_progress_end (&listing->progress, GST_PROGRESS_TYPE_COMPLETE,
        gst_synapse_listing_percent (listing), "Received page %u: %"
        G_GUINT64_FORMAT " of %" G_GINT64_FORMAT " ground-truth events",
        pages, position, total);
}

/**
 * gst_synapse_listing_post_page:
 * @listing: the walk
 * @page: (nullable): the page that arrived, %NULL for the end of the
 *   listing
 * @skipped: how many of its events the element will not push
 *
 * Posts the `synapse-page` element message: `position` is the index in
 * the listing after the page's events, `next-index` that of its first,
 * the next event the element pushes (where a stream that stops now
 * resumes, with start-index).
 */
void
gst_synapse_listing_post_page (GstSynapseListing * listing,
    SynapsePage * page, guint skipped)
{
  guint pages = synapse_pager_get_pages_fetched (listing->pager);
  guint events = page ? synapse_page_get_n_items (page) : 0;
  guint64 next_index = page ? synapse_page_get_position (page)
      : synapse_pager_get_next_index (listing->pager);
  guint64 position = next_index + events;
  gint64 total = synapse_pager_get_total_count (listing->pager);
  GstStructure *s;

  listing->pages_reported = pages;
  GST_INFO_OBJECT (listing->element, "page %u: %u events, %" G_GUINT64_FORMAT
      " to %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT, pages, events,
      next_index, position, total);

  s = gst_structure_new ("synapse-page", "page", G_TYPE_UINT, pages,
      "events", G_TYPE_UINT, events, "position", G_TYPE_UINT64, position,
      "next-index", G_TYPE_UINT64, next_index, "total", G_TYPE_INT64, total,
      "skipped", G_TYPE_UINT, skipped, NULL);
  gst_element_post_message (listing->element,
      gst_message_new_element (GST_OBJECT (listing->element), s));
}

/**
 * gst_synapse_listing_read_page:
 * @listing: the walk
 * @cancellable: the cancellable of this create ()
 * @error: return location for the failure
 *
 * Requests the next page (its progress operation begun), or takes the
 * one fetched ahead; total-count follows the backend's count.
 *
 * Returns: (transfer full) (nullable): the page; %NULL with @error at a
 *   failure, without at the end of the listing
 */
SynapsePage *
gst_synapse_listing_read_page (GstSynapseListing * listing,
    GCancellable * cancellable, GError ** error)
{
  SynapsePage *page;

  gst_synapse_listing_begin_request (listing);
  GST_DEBUG_OBJECT (listing->element, "fetching the next page (%u so far)",
      synapse_pager_get_pages_fetched (listing->pager));
  page = synapse_pager_read_page (listing->pager, cancellable, error);
  set_total_count (listing, synapse_pager_get_total_count (listing->pager));
  GST_OBJECT_LOCK (listing->element);
  listing->pagination = synapse_pager_get_pagination (listing->pager);
  GST_OBJECT_UNLOCK (listing->element);
  if (listing->pagination == SYNAPSE_PAGINATION_OTHER
      && listing->walk_start > 0 && synapse_pager_get_pages_fetched
      (listing->pager) == 1)
    GST_WARNING_OBJECT (listing->element, "the backend links its pages by "
        "cursor: walking the listing from its first page to event %"
        G_GUINT64_FORMAT, listing->walk_start);
  return page;
}

/**
 * gst_synapse_listing_end:
 * @listing: the walk
 *
 * The end of the listing: its last page said (an empty listing is still
 * a page) and its request completed.
 *
 * Returns: %GST_FLOW_EOS
 */
GstFlowReturn
gst_synapse_listing_end (GstSynapseListing * listing)
{
  if (synapse_pager_get_pages_fetched (listing->pager) >
      listing->pages_reported)
    gst_synapse_listing_post_page (listing, NULL, 0);
  GST_INFO_OBJECT (listing->element, "end of the listing: %u pages, %"
      G_GUINT64_FORMAT " events",
      synapse_pager_get_pages_fetched (listing->pager),
      synapse_pager_get_position (listing->pager));
  listing->finished = TRUE;
  gst_synapse_listing_end_request (listing);
  return GST_FLOW_EOS;
}

/* The message for people of a failure, when the generic one would not do
 * for a listing. */
static const gchar *
describe_failure (const GError * error)
{
  if (error->domain != SYNAPSE_CLIENT_ERROR)
    return NULL;
  /* a downloaded file: the library's words name the event and the URL */
  if (error->code == SYNAPSE_CLIENT_ERROR_CHECKSUM
      || error->code == SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE)
    return error->message;
  /* the library's words on the walk asked for (shards of a listing by
   * cursor), which hold no secret */
  if (error->code == SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT)
    return error->message;
  if (synapse_client_error_get_status_code (error) == 404)
    return "The Synapse backend has no such endpoint (HTTP 404): check "
        "the base URL.";
  return NULL;
}

/**
 * gst_synapse_listing_fail:
 * @listing: the walk
 * @error: a failure of a request of the walk (a page, a page's files)
 * @cancellable: the cancellable the request took
 * @pushed: how many events the element pushed, for the messages
 *
 * Turns a failed request into a flow return: a cancellation (unlock) into
 * FLUSHING without a word, anything else into a READ error (or the code
 * the failure calls for).
 *
 * Returns: %GST_FLOW_FLUSHING or %GST_FLOW_ERROR
 */
GstFlowReturn
gst_synapse_listing_fail (GstSynapseListing * listing, const GError * error,
    GCancellable * cancellable, guint64 pushed)
{
  if (gst_synapse_is_cancellation (error, cancellable)) {
    GST_DEBUG_OBJECT (listing->element, "request cancelled: flushing");
    gst_synapse_listing_cancel_request (listing, pushed);
    return GST_FLOW_FLUSHING;
  }

  GST_WARNING_OBJECT (listing->element, "request failed: %s", error->message);
  gst_synapse_progress_end (&listing->progress, GST_PROGRESS_TYPE_ERROR, -1,
      "The request failed after %" G_GUINT64_FORMAT " ground-truth events",
      pushed);
  GST_SYNAPSE_ELEMENT_CLIENT_ERROR (listing->element, error,
      GST_RESOURCE_ERROR_READ, describe_failure (error));
  return GST_FLOW_ERROR;
}
