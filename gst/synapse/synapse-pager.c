/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The pager: a listing walked in order for its callers, one result or one
 * page at a time, with pages fetched ahead (by the page numbers of the
 * `next` links) within a count and a byte budget. Fetching and checking
 * each page, and the guards that stop a walk that would never end, are
 * the listing layer's (synapse-listing.c); this decides which page comes
 * next and when it is asked for. */

/**
 * SynapsePager:
 *
 * Walks a paginated listing one result at a time (or one page at a time),
 * following the backend's `next` links: N pages cost N requests, and the
 * total comes from the first page.
 *
 * When the `next` links number their pages (`page=2`, as Django REST
 * Framework's do), the pager requests up to [property@Synapse.Pager:prefetch]
 * pages at once, ahead of the one being read, and still delivers every result
 * in order, exactly once: a page is only used when the page before it links
 * to it, and no page past the last one (by the first page's count) is
 * asked for. With a prefetch of 1 it walks the pages strictly one after
 * another. Memory holds at most the page being read and the pages being
 * fetched ahead, however long the listing, and the pages ahead hold no
 * more than [property@Synapse.Pager:prefetch-bytes] (one is always requested,
 * so that the walk goes on).
 *
 * A walk never goes on forever, whatever the backend's links say. It ends
 * with a %SYNAPSE_CLIENT_ERROR_PROTOCOL error that says what the backend
 * did when a `next` link leads to a page this walk has visited (links that
 * go round in a circle, by page number or by cursor), when the pages hold
 * more results than the first page's `count`, when a page past the last
 * one that count fills (at the first page's size) links on, and when 3
 * empty pages in a row still link on: Django REST Framework never sends
 * one, so a few are tolerated from a backend that filters after paging,
 * at the cost of 3 requests. The count is the first page's: a listing that
 * grows while it is walked can fail with that error rather than hand out
 * results twice. The results before the misstep are handed out, each once
 * (a page whose results go past the count is not); then every call fails
 * with that error, without a request. Visited pages are kept as 64-bit
 * hashes of their URLs (`page=1` and no `page` being one page), 16 bytes a
 * page, however long the walk.
 *
 * A walk can start anywhere ([property@Synapse.Pager:start-index]) and
 * share a listing with other walks ([property@Synapse.Pager:shard-count],
 * [property@Synapse.Pager:shard-index]). Such a walk asks for its pages by
 * number (`page=N`) instead of following the links, and checks each one
 * against the first page's count: its number of results, its link to the
 * next page, and the count itself (a listing that changes while it is
 * read by number would skip or repeat results, so the walk fails with a
 * %SYNAPSE_CLIENT_ERROR_PROTOCOL error that says so). Results keep their
 * index in the whole listing ([method@Synapse.Page.get_position]), and
 * [method@Synapse.Pager.get_next_index] is where a walk that stops
 * resumes.
 *
 * A page that fails (after the client's retries) fails the call that
 * needed it; the next call asks for that page again.
 *
 * With a [class@Synapse.UrlConversion], only the results handed out are
 * converted (their files downloaded): with [property@Synapse.Pager:limit], not
 * those of a page past the limit.
 *
 * A pager is used by one caller at a time: call [method@Synapse.Pager.next] (or
 * another reading call) again only when the previous one has returned.
 *
 * Since: 0.1
 */

#include "config.h"

#include "synapse-client-private.h"
#include "synapse-enums.h"
#include "synapse-error-private.h"
#include "synapse-listing.h"
#include "synapse-page-private.h"
#include "synapse-pager.h"
#include "synapse-task.h"
#include "synapse-uri.h"
#include "synapse-workers.h"

/* A page requested ahead: a job of the client's workers, which holds
 * what it needs (not the pager, which may go first). */
typedef struct
{
  gatomicrefcount ref_count;
  SynapseClient *client;
  SynapseUrlConversion *conversion;
  char *url;
  guint number;                 /* the `page` parameter it asks for */
  guint wanted;                 /* results to convert */
  SynapseJob *job;
  gint done;                    /* atomic: the fields below are set */
  SynapseFetchedPage result;
  GError *error;
} Fetch;

struct _SynapsePager
{
  GObject parent_instance;

  SynapseClient *client;
  char *path;
  JsonObject *params;
  SynapseUrlConversion *conversion;
  guint prefetch;
  guint64 prefetch_bytes;
  guint64 limit;                /* 0: every result */
  guint64 start_index;          /* results of the listing passed over */
  guint shard_count;            /* 1: the whole listing */
  guint shard_index;
  SynapsePagination pagination;

  char *first_url;              /* the first page, without `page` */
  char *template_url;           /* the first page, with `page=1` */
  char *next_url;               /* the next page to ask for in sequence */
  SynapsePage *page;            /* the page being read */
  guint page_index;             /* its next result to hand out */
  gint64 total_count;           /* -1 until the first page arrived */
  guint pages_fetched;
  guint64 position;             /* results handed out */
  guint64 next_index;           /* the listing's index after them */
  guint64 handed;               /* results in the pages delivered */
  guint64 walked;               /* results in the pages walked in
                                 * sequence, dropped ones included */
  guint64 skip;                 /* results still to drop in sequence */
  gboolean started;             /* the first page has arrived */
  SynapseWalkGuard guard;
  GError *walk_error;           /* the backend's misstep that ended the walk */

  /* The pages fetched ahead, `ahead_number` … `ahead_last` of
   * `ahead_url`, every `stride`th from `first_page` (1 and 1 when the
   * walk follows the links): the layout of a listing paginated by page
   * number, each page `page_length` results but the last. */
  GQueue ahead;                 /* of Fetch, in page order */
  char *ahead_url;
  guint ahead_number;
  guint ahead_last;
  gsize page_bytes;             /* the largest page seen: what one in
                                 * flight is expected to cost */
  guint first_page;
  guint stride;
  guint page_length;
  guint drop_first;             /* results of the first page dropped */
  /* a walk by page number (start-index or shards): the pages are asked
   * for by number, not by the links, and checked against the count */
  gboolean numbered;
  gint64 numbered_count;
  guint last_page;
};

G_DEFINE_FINAL_TYPE (SynapsePager, synapse_pager, G_TYPE_OBJECT);

enum
{
  PROP_0,
  PROP_CLIENT,
  PROP_PATH,
  PROP_PARAMS,
  PROP_CONVERSION,
  PROP_PREFETCH,
  PROP_LIMIT,
  PROP_PREFETCH_BYTES,
  PROP_START_INDEX,
  PROP_SHARD_COUNT,
  PROP_SHARD_INDEX,
  PROP_PAGINATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static Fetch *
fetch_ref (Fetch * fetch)
{
  g_atomic_ref_count_inc (&fetch->ref_count);
  return fetch;
}

static void
fetch_unref (Fetch * fetch)
{
  if (!g_atomic_ref_count_dec (&fetch->ref_count))
    return;
  g_object_unref (fetch->client);
  g_clear_object (&fetch->conversion);
  g_clear_pointer (&fetch->job, synapse_job_unref);
  g_free (fetch->url);
  synapse_fetched_page_clear (&fetch->result);
  g_clear_error (&fetch->error);
  g_free (fetch);
}

/* Cancels the pages in flight ahead; they are over when this returns (a
 * fetch no worker started ends without a request). */
static void
synapse_pager_drop_ahead (SynapsePager * self)
{
  Fetch *fetch;

  for (GList * l = self->ahead.head; l; l = l->next)
    synapse_job_cancel (((Fetch *) l->data)->job);
  while ((fetch = g_queue_pop_head (&self->ahead))) {
    synapse_job_wait (fetch->job, NULL);
    fetch_unref (fetch);
  }
}

/* Stops fetching ahead, for good. */
static void
synapse_pager_stop_ahead (SynapsePager * self)
{
  synapse_pager_drop_ahead (self);
  g_clear_pointer (&self->ahead_url, g_free);
}

/* After a page (@url, number @number ahead or 0) failed: the next call
 * asks for it again. A walk by page number goes on by number; one that
 * follows the links, one page at a time. */
static void
synapse_pager_retry_from (SynapsePager * self, const char *url, guint number)
{
  if (self->numbered) {
    synapse_pager_drop_ahead (self);
    self->ahead_number = number;
    return;
  }
  synapse_pager_stop_ahead (self);
  g_free (self->next_url);
  self->next_url = g_strdup (url);
}

static void
synapse_pager_finalize (GObject * object)
{
  SynapsePager *self = SYNAPSE_PAGER (object);

  synapse_pager_stop_ahead (self);
  g_clear_object (&self->client);
  g_free (self->path);
  g_clear_pointer (&self->params, json_object_unref);
  g_clear_object (&self->conversion);
  g_free (self->first_url);
  g_free (self->template_url);
  g_free (self->next_url);
  g_clear_pointer (&self->page, synapse_page_unref);
  synapse_walk_guard_clear (&self->guard);
  g_clear_error (&self->walk_error);

  G_OBJECT_CLASS (synapse_pager_parent_class)->finalize (object);
}

static void
synapse_pager_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SynapsePager *self = SYNAPSE_PAGER (object);

  switch (prop_id) {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_PARAMS:
      self->params = g_value_dup_boxed (value);
      break;
    case PROP_CONVERSION:
      self->conversion = g_value_dup_object (value);
      break;
    case PROP_PREFETCH:
      self->prefetch = g_value_get_uint (value);
      break;
    case PROP_LIMIT:
      self->limit = g_value_get_uint64 (value);
      break;
    case PROP_PREFETCH_BYTES:
      self->prefetch_bytes = g_value_get_uint64 (value);
      break;
    case PROP_START_INDEX:
      self->start_index = g_value_get_uint64 (value);
      break;
    case PROP_SHARD_COUNT:
      self->shard_count = g_value_get_uint (value);
      break;
    case PROP_SHARD_INDEX:
      self->shard_index = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
synapse_pager_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  SynapsePager *self = SYNAPSE_PAGER (object);

  switch (prop_id) {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_PARAMS:
      g_value_set_boxed (value, self->params);
      break;
    case PROP_CONVERSION:
      g_value_set_object (value, self->conversion);
      break;
    case PROP_PREFETCH:
      g_value_set_uint (value, self->prefetch);
      break;
    case PROP_LIMIT:
      g_value_set_uint64 (value, self->limit);
      break;
    case PROP_PREFETCH_BYTES:
      g_value_set_uint64 (value, self->prefetch_bytes);
      break;
    case PROP_START_INDEX:
      g_value_set_uint64 (value, self->start_index);
      break;
    case PROP_SHARD_COUNT:
      g_value_set_uint (value, self->shard_count);
      break;
    case PROP_SHARD_INDEX:
      g_value_set_uint (value, self->shard_index);
      break;
    case PROP_PAGINATION:
      g_value_set_enum (value, self->pagination);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/* The page size @params ask for (the client adds one when they do not). */
static guint
requested_page_size (SynapseClient * client, JsonObject * params)
{
  JsonNode *node = json_object_get_member (params, "page_size");
  guint page_size = 0;
  gint64 value = 0;

  if (JSON_NODE_HOLDS_VALUE (node)) {
    if (json_node_get_value_type (node) == G_TYPE_INT64)
      value = json_node_get_int (node);
    else if (json_node_get_value_type (node) == G_TYPE_STRING)
      value = g_ascii_strtoll (json_node_get_string (node), NULL, 10);
  }
  if (value > 0 && value <= G_MAXUINT)
    return value;
  g_object_get (client, "page-size", &page_size, NULL);
  return MAX (page_size, 1);
}

/* The walk starts here, once the construct properties are in: the
 * client's fetch-ahead defaults (which properties given to g_object_new ()
 * then override, being set after this), and the first page's URL. */
static void
synapse_pager_constructed (GObject * object)
{
  SynapsePager *self = SYNAPSE_PAGER (object);
  g_autoptr (JsonObject) page_params = NULL;

  G_OBJECT_CLASS (synapse_pager_parent_class)->constructed (object);
  /* a binding may leave out what synapse_pager_new () requires: such a
   * pager walks nothing */
  g_return_if_fail (self->client != NULL && self->path != NULL);

  g_object_get (self->client, "prefetch", &self->prefetch, "prefetch-bytes",
      &self->prefetch_bytes, NULL);
  page_params = synapse_listing_params (self->client, self->params);
  self->first_url = synapse_client_build_url (self->client, self->path,
      page_params);
  self->next_url = g_strdup (self->first_url);
  synapse_walk_guard_init (&self->guard, self->first_url);
  self->page_length = requested_page_size (self->client, page_params);
  json_object_set_int_member (page_params, "page", 1);
  self->template_url = synapse_client_build_url (self->client, self->path,
      page_params);
}

static void
synapse_pager_class_init (SynapsePagerClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = synapse_pager_constructed;
  object_class->finalize = synapse_pager_finalize;
  object_class->set_property = synapse_pager_set_property;
  object_class->get_property = synapse_pager_get_property;

  /**
   * SynapsePager:client:
   *
   * The client whose backend the listing is read from.
   *
   * Since: 0.1
   */
  properties[PROP_CLIENT] =
      g_param_spec_object ("client", "Client",
      "The client whose backend the listing is read from",
      SYNAPSE_TYPE_CLIENT,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:path:
   *
   * The paginated endpoint, e.g. `models/`, or the URL of a first page.
   *
   * Since: 0.1
   */
  properties[PROP_PATH] =
      g_param_spec_string ("path", "Path",
      "The paginated endpoint, e.g. models/, or the URL of a first page",
      NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:params:
   *
   * The query parameters of the first page; the client's
   * [property@Synapse.Client:page-size] is added unless they set `page_size`.
   *
   * Since: 0.1
   */
  properties[PROP_PARAMS] =
      g_param_spec_boxed ("params", "Parameters",
      "Query parameters of the first page", JSON_TYPE_OBJECT,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:conversion:
   *
   * The URL conversion applied to the results handed out, or %NULL.
   *
   * Since: 0.1
   */
  properties[PROP_CONVERSION] =
      g_param_spec_object ("conversion", "Conversion",
      "URL conversion applied to the results handed out",
      SYNAPSE_TYPE_URL_CONVERSION,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:prefetch:
   *
   * How many page requests may be in flight at once; 1 walks the pages
   * one after another. It takes effect after the first page. The default
   * is the client's [property@Synapse.Client:prefetch].
   *
   * Since: 0.1
   */
  properties[PROP_PREFETCH] =
      g_param_spec_uint ("prefetch", "Prefetch",
      "Page requests in flight at once (1 = one page at a time)", 1, 64, 1,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:limit:
   *
   * The most results the walk hands out, 0 for all of them. No page past
   * the one that holds the last of them is requested, not even ahead.
   *
   * Since: 0.1
   */
  properties[PROP_LIMIT] =
      g_param_spec_uint64 ("limit", "Limit",
      "Most results handed out (0 = all); no page past them is requested",
      0, G_MAXUINT64, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:prefetch-bytes:
   *
   * The most bytes of pages held ahead of the one being read: the pages
   * fetched but not handed out yet, by their size, and those in flight,
   * by the size of the largest page seen so far. No page is requested
   * ahead while one more would go over it, but one page is always
   * requested ahead, so that a budget smaller than a page still walks
   * on: 0 fetches one page ahead at a time. [property@Synapse.Pager:prefetch]
   * bounds the pages, this bounds their bytes; the default is the
   * client's [property@Synapse.Client:prefetch-bytes].
   *
   * Since: 0.1
   */
  properties[PROP_PREFETCH_BYTES] =
      g_param_spec_uint64 ("prefetch-bytes", "Prefetch bytes",
      "Most bytes of pages held ahead of the one being read (one page is "
      "always requested ahead)", 0, G_MAXUINT64, SYNAPSE_DEFAULT_PREFETCH_BYTES,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:start-index:
   *
   * The results of the listing passed over before the first one handed
   * out: a walk that resumes where another stopped. When the listing is
   * paginated by page number (Django REST Framework's `?page=N`), the
   * walk starts with the page that holds that result and no page before
   * it is requested (see [property@Synapse.Pager:pagination]); otherwise
   * it walks from the first page and drops the results before it. Results
   * keep their index in the whole listing
   * ([method@Synapse.Page.get_position]). Set it before the first result is
   * asked for.
   *
   * Since: 0.1
   */
  properties[PROP_START_INDEX] =
      g_param_spec_uint64 ("start-index", "Start index",
      "Results of the listing passed over before the first one handed out",
      0, G_MAXUINT64, 0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:shard-count:
   *
   * How many walks share the listing, by pages: the walk of
   * [property@Synapse.Pager:shard-index] i reads pages i + 1, i + 1 + N,
   * i + 1 + 2N, … and no other, so N walks together read every page once.
   * Only a listing paginated by page number can be shared: another fails
   * with %SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT at its first page. Set it
   * before the first result is asked for.
   *
   * Since: 0.1
   */
  properties[PROP_SHARD_COUNT] =
      g_param_spec_uint ("shard-count", "Shard count",
      "Walks that share the listing by pages (1 = this walk reads it all)",
      1, G_MAXUINT, 1, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:shard-index:
   *
   * Which of the [property@Synapse.Pager:shard-count] walks this is, from 0.
   *
   * Since: 0.1
   */
  properties[PROP_SHARD_INDEX] =
      g_param_spec_uint ("shard-index", "Shard index",
      "Which of the shard-count walks this is, from 0", 0, G_MAXUINT - 1, 0,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapsePager:pagination:
   *
   * How the listing is paginated, as far as the pages so far tell:
   * %SYNAPSE_PAGINATION_UNKNOWN until the first page has arrived.
   *
   * Since: 0.1
   */
  properties[PROP_PAGINATION] =
      g_param_spec_enum ("pagination", "Pagination",
      "How the listing is paginated, as far as its pages tell",
      SYNAPSE_TYPE_PAGINATION, SYNAPSE_PAGINATION_UNKNOWN,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
synapse_pager_init (SynapsePager * self)
{
  self->total_count = -1;
  self->shard_count = 1;
  self->stride = 1;
  self->first_page = 1;
  self->prefetch = 1;
  self->prefetch_bytes = SYNAPSE_DEFAULT_PREFETCH_BYTES;
  g_queue_init (&self->ahead);
}

/**
 * synapse_pager_new:
 * @client: a [class@Synapse.Client]
 * @path: the path of a paginated endpoint, e.g. `models/`
 * @params: (nullable): query parameters of the first page; the client's
 *   [property@Synapse.Client:page-size] is added unless they set `page_size`
 * @conversion: (nullable): URL conversion applied to every page
 *
 * A pager over any paginated endpoint of the backend, as
 * [ctor@GObject.Object.new] makes it with these construct properties. No
 * request is sent until the first result is asked for.
 *
 * Returns: (transfer full): a new [class@Synapse.Pager]
 *
 * Since: 0.1
 */
SynapsePager *
synapse_pager_new (SynapseClient * client, const char *path,
    JsonObject * params, SynapseUrlConversion * conversion)
{
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (client), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (conversion == NULL
      || SYNAPSE_IS_URL_CONVERSION (conversion), NULL);

  return g_object_new (SYNAPSE_TYPE_PAGER, "client", client, "path", path,
      "params", params, "conversion", conversion, NULL);
}

/* Takes @size as a page's, for the estimate of those in flight. */
static void
note_page_size (SynapsePager * self, gsize size)
{
  self->page_bytes = MAX (self->page_bytes, size);
}

/* How many results the limit leaves to hand out after @handed of them:
 * all of them without one. */
static guint
wanted_from (SynapsePager * self, guint64 handed)
{
  if (self->limit == 0)
    return G_MAXUINT;
  return self->limit > handed ? (guint) MIN (self->limit - handed,
      G_MAXUINT) : 0;
}

/* The results this walk hands out before page @number, were its pages
 * before it full ones. */
static guint64
handed_before_page (SynapsePager * self, guint number)
{
  guint64 pages = (number - self->first_page) / self->stride;

  return pages ? pages * self->page_length - self->drop_first : 0;
}

/* The last page of the walk the limit needs, at most @last. */
static guint
last_needed_page (SynapsePager * self, guint last)
{
  guint64 pages;

  if (self->limit == 0)
    return last;
  pages = (self->limit + self->drop_first - 1) / self->page_length;
  return MIN (last, self->first_page + pages * self->stride);
}

static void
fetch_ahead (gpointer data, GCancellable * cancellable)
{
  Fetch *fetch = data;

  synapse_fetch_page (fetch->client, fetch->url, fetch->conversion,
      fetch->wanted, &fetch->result, cancellable, &fetch->error);
  g_atomic_int_set (&fetch->done, TRUE);
}

/* The bytes held ahead: the pages fetched by their size, those in flight
 * by the largest page seen. */
static guint64
ahead_bytes (SynapsePager * self)
{
  guint64 bytes = 0;

  for (GList * l = self->ahead.head; l; l = l->next) {
    Fetch *fetch = l->data;

    if (g_atomic_int_get (&fetch->done)) {
      note_page_size (self, fetch->result.size);
      bytes += fetch->result.size;
    } else {
      bytes += self->page_bytes;
    }
  }
  return bytes;
}

/* Keeps `prefetch` pages requested, never past the last one, and no more
 * than `prefetch-bytes` can hold; but always one, so the walk goes on. */
static void
synapse_pager_top_up (SynapsePager * self)
{
  SynapseWorkers *workers = synapse_client_get_workers (self->client);

  while (self->ahead_url && self->ahead.length < self->prefetch
      && self->ahead_number <= self->ahead_last
      && (self->ahead.length == 0
          || ahead_bytes (self) + self->page_bytes <= self->prefetch_bytes)) {
    Fetch *fetch = g_new0 (Fetch, 1);

    g_atomic_ref_count_init (&fetch->ref_count);
    fetch->client = g_object_ref (self->client);
    fetch->conversion = self->conversion ? g_object_ref (self->conversion)
        : NULL;
    fetch->number = self->ahead_number;
    self->ahead_number += self->stride;
    fetch->url = synapse_listing_url_with_page (self->ahead_url, fetch->number);
    /* converted as far as the limit, were the pages before it full ones;
     * a first page that drops results is converted once they are gone */
    fetch->wanted = fetch->number == self->first_page && self->drop_first
        ? 0 : wanted_from (self, handed_before_page (self, fetch->number));
    /* not the caller's cancellable: the page serves later calls too; a
     * call that gives up waiting for it stops the fetches ahead */
    fetch->job = synapse_workers_push (workers, fetch_ahead, fetch_ref (fetch),
        (GDestroyNotify) fetch_unref, NULL);
    g_queue_push_tail (&self->ahead, fetch);
  }
}

/* After the first page of a walk that follows the links: fetch ahead
 * when the links number their pages and the count says where they end. */
static void
synapse_pager_maybe_start_ahead (SynapsePager * self,
    const SynapseFetchedPage * first, guint n_results)
{
  guint number;

  if (self->prefetch < 2 || first->next == NULL
      || synapse_walk_guard_get_last_page (&self->guard) == 0)
    return;
  number = synapse_listing_page_number (first->next);
  if (number < 2)
    return;

  self->ahead_url = g_strdup (first->next);
  self->ahead_number = number;
  self->page_length = n_results;
  /* the page that holds the last result wanted: no request goes past it */
  self->ahead_last = last_needed_page (self,
      synapse_walk_guard_get_last_page (&self->guard));

  /* the ahead pages take over from the sequential walk */
  g_clear_pointer (&self->next_url, g_free);
  synapse_pager_top_up (self);
}

/* Takes the next page requested ahead into @result, with the URL it came
 * from and its number. A caller that gives up waiting stops the fetches
 * ahead: the next call asks for that page again. */
static gboolean
take_ahead (SynapsePager * self, SynapseFetchedPage * result, char **url,
    guint * number, GCancellable * cancellable, GError ** error)
{
  Fetch *fetch = g_queue_peek_head (&self->ahead);

  if (!synapse_job_wait (fetch->job, cancellable)) {
    g_autofree char *again = g_strdup (fetch->url);

    synapse_pager_retry_from (self, again, fetch->number);
    return !g_cancellable_set_error_if_cancelled (cancellable, error);
  }
  g_queue_pop_head (&self->ahead);
  note_page_size (self, fetch->result.size);

  if (fetch->error) {
    g_propagate_error (error, g_steal_pointer (&fetch->error));
    synapse_pager_retry_from (self, fetch->url, fetch->number);
    fetch_unref (fetch);
    return FALSE;
  }

  *result = fetch->result;
  memset (&fetch->result, 0, sizeof fetch->result);
  *url = g_strdup (fetch->url);
  *number = fetch->number;
  fetch_unref (fetch);
  return TRUE;
}

/* Ends the walk on @error (taken), the backend's misstep: every later
 * call fails with it, without a request. */
static void
synapse_pager_end_walk (SynapsePager * self, GError * error)
{
  synapse_pager_stop_ahead (self);
  g_clear_pointer (&self->next_url, g_free);
  g_clear_error (&self->walk_error);
  self->walk_error = error;
}

/* Goes on from @page of @n_results, fetched from @url (page @number of
 * those fetched ahead, 0 for one fetched in sequence), when its `next`
 * link may be followed. */
static void
synapse_pager_follow (SynapsePager * self, const char *url, guint number,
    const SynapseFetchedPage * page, guint n_results)
{
  GError *walk_error = NULL;
  g_autofree char *expected = NULL;

  if (self->numbered) {
    /* checked against the count: the pages the walk needs are known */
    synapse_pager_top_up (self);
    return;
  }
  if (page->next == NULL) {
    /* the last page: what was asked past it is not needed */
    synapse_pager_stop_ahead (self);
    return;
  }
  if (!synapse_walk_guard_check_next (&self->guard, url, page->next,
          &walk_error)) {
    /* this page's results still go out; the next call fails */
    synapse_pager_end_walk (self, walk_error);
    return;
  }

  if (number == 0) {
    self->next_url = g_strdup (page->next);
    if (self->pages_fetched == 1)
      synapse_pager_maybe_start_ahead (self, page, n_results);
    return;
  }
  /* a page fetched ahead is only used when the page before it links to
   * it, the very URL */
  expected = synapse_listing_url_with_page (self->ahead_url, number + 1);
  if (number >= self->ahead_last || strcmp (page->next, expected) != 0) {
    /* the links no longer match the count: follow them one by one */
    synapse_pager_stop_ahead (self);
    self->next_url = g_strdup (page->next);
  } else {
    synapse_pager_top_up (self);
  }
}

/* The pages a listing of @count results fills at @page_length a page (an
 * empty listing has its one empty page). */
static guint
pages_of (gint64 count, guint page_length)
{
  return count <= 0 ? 1 : MIN (G_MAXUINT, 1 + (guint64) (count - 1)
      / page_length);
}

/* The results page @number of a listing of @count results holds at
 * @page_length a page (the pages up to the last: pages_of ()). */
static guint64
results_on_page (gint64 count, guint page_length, guint number)
{
  guint last = pages_of (count, page_length);

  return number < last ? page_length
      : (guint64) MAX (count, 0) - (guint64) (last - 1) * page_length;
}

/* Checks page @number of a walk by page number, @n_results results from
 * @url, against what the first page's count says it must be. */
static gboolean
check_numbered_page (SynapsePager * self, const char *url, guint number,
    const SynapseFetchedPage * page, guint n_results, GError ** error)
{
  g_autofree char *shown = synapse_uri_redact (url);
  guint64 expected = results_on_page (self->numbered_count,
      self->page_length, number);

  if (page->count != self->numbered_count) {
    synapse_set_protocol_error (error, "GET", shown, "its count (%"
        G_GINT64_FORMAT ") is not the %" G_GINT64_FORMAT " of the walk's "
        "first page: the listing changed while it was read by page number, "
        "and its pages no longer hold the results they held", page->count,
        self->numbered_count);
    return FALSE;
  }
  if (n_results != expected) {
    synapse_set_protocol_error (error, "GET", shown, "page %u holds %u "
        "results, but %" G_GUINT64_FORMAT " results at %u a page put %"
        G_GUINT64_FORMAT " on it", number, n_results, self->numbered_count,
        self->page_length, expected);
    return FALSE;
  }
  if (number < self->last_page ? page->next == NULL
      || synapse_listing_page_number (page->next) != number + 1
      : page->next != NULL) {
    synapse_set_protocol_error (error, "GET", shown, "page %u of %u does "
        "not link on as its count says (to page %u)", number,
        self->last_page, number < self->last_page ? number + 1 : 0);
    return FALSE;
  }
  return TRUE;
}

/* How a page asked for as page @number of @page_length results answered:
 * it is that page of a listing paginated by number (TRUE), or the first
 * page of a listing that took no notice of `page` (FALSE, @unnumbered
 * set), or neither. */
static gboolean
answers_page (const SynapseFetchedPage * page, guint number,
    guint page_length, gboolean * unnumbered)
{
  guint n_results = page->spans->len;
  guint next_number = page->next ? synapse_listing_page_number (page->next)
      : 0;

  *unnumbered = FALSE;
  if (page->count >= 0 && number <= pages_of (page->count, page_length)) {
    gboolean last = number == pages_of (page->count, page_length);

    if (n_results == results_on_page (page->count, page_length, number)
        && (last ? page->next == NULL : next_number == number + 1))
      return TRUE;
  }
  /* a link by cursor (or offset), which may carry the `page` asked for
   * as it was, or the one page of a listing without a count: the backend
   * took no notice of `page` and answered its first page */
  *unnumbered = page->next ? next_number == 0 || next_number == number
      : page->count < 0 || page->count == n_results;
  return FALSE;
}

/* The first page of a walk that starts by number (start-index, shards):
 * the page that holds result `start-index`, or the first of this shard's
 * pages from there, into @result with its @url and @number. A walk that
 * has nothing to read ends: TRUE with @url NULL. When the backend does not
 * number its pages, the answer is the listing's first page, walked from
 * and dropped from in sequence (@number 0). */
static gboolean
synapse_pager_jump (SynapsePager * self, SynapseFetchedPage * result,
    char **url, guint * number, GCancellable * cancellable, GError ** error)
{
  guint page_length = self->page_length;

  if (self->shard_index >= self->shard_count) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT, "shard index %u is not one "
        "of the %u shards (0 to %u)", self->shard_index, self->shard_count,
        self->shard_count - 1);
    return FALSE;
  }

  for (guint attempt = 0;; attempt++) {
    guint64 holding = self->start_index / page_length + 1;
    guint64 first = holding + ((guint64) self->shard_index
        + self->shard_count - (holding - 1) % self->shard_count)
        % self->shard_count;
    g_autofree char *page_url = NULL;
    g_autofree char *shown = NULL;
    g_autoptr (GError) page_error = NULL;
    SynapseFetchedPage probe = { 0 };
    gboolean unnumbered = FALSE;

    if (first > G_MAXUINT / 2) {
      *url = NULL;              /* past any listing a page number reaches */
      return TRUE;
    }
    page_url = synapse_listing_url_with_page (self->template_url, first);
    if (synapse_fetch_page (self->client, page_url, NULL, 0, result,
            cancellable, &page_error)) {
      if (answers_page (result, first, page_length, &unnumbered)) {
        self->pagination = SYNAPSE_PAGINATION_PAGE_NUMBER;
        self->numbered = TRUE;
        self->numbered_count = result->count;
        self->first_page = first;
        self->stride = self->shard_count;
        self->page_length = page_length;
        self->drop_first = first == holding ?
            self->start_index % page_length : 0;
        self->last_page = pages_of (result->count, page_length);
        self->ahead_url = g_strdup (self->template_url);
        self->ahead_number = first + self->stride;
        self->ahead_last = last_needed_page (self, self->last_page);
        g_clear_pointer (&self->next_url, g_free);
        *url = g_steal_pointer (&page_url);
        *number = first;
        return TRUE;
      }
      if (unnumbered) {
        self->pagination = SYNAPSE_PAGINATION_OTHER;
        if (self->shard_count > 1) {
          GError *walk_error = NULL;

          synapse_fetched_page_clear (result);
          g_set_error (&walk_error, SYNAPSE_CLIENT_ERROR,
              SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT, "the listing at %s is "
              "not paginated by page number (its pages link on by cursor), "
              "so it cannot be split into shards", self->path);
          synapse_pager_end_walk (self, walk_error);
          g_propagate_error (error, g_error_copy (walk_error));
          return FALSE;
        }
        g_debug ("the listing at %s is not paginated by page number: "
            "walking it from the first page and dropping %" G_GUINT64_FORMAT
            " results", self->path, self->start_index);
        self->skip = self->start_index;
        g_clear_pointer (&self->next_url, g_free);
        *url = g_strdup (self->first_url);
        *number = 0;
        return TRUE;
      }
      /* neither: a backend whose pages are not the size asked for (its
       * largest page size) is found out from its first page below */
      if (first == 1)
        probe = *result;
      else
        synapse_fetched_page_clear (result);
      memset (result, 0, sizeof *result);
      shown = synapse_uri_redact (page_url);
      synapse_set_protocol_error (&page_error, "GET", shown, "page %"
          G_GUINT64_FORMAT " is not the page %u results a page and the "
          "count make it", first, page_length);
    } else if (!g_error_matches (page_error, SYNAPSE_CLIENT_ERROR,
            SYNAPSE_CLIENT_ERROR_NOT_FOUND)) {
      g_propagate_error (error, g_steal_pointer (&page_error));
      return FALSE;
    }

    /* A page past the end is Django REST Framework's 404, and a page
     * that is not what it should be may come from a smaller page size
     * than asked: the first page tells both, at one request. */
    if (attempt > 0 || (first == 1 && probe.spans == NULL)) {
      synapse_fetched_page_clear (&probe);
      g_propagate_error (error, g_steal_pointer (&page_error));
      return FALSE;
    }
    if (probe.spans == NULL) {
      g_free (page_url);
      page_url = synapse_listing_url_with_page (self->template_url, 1);
      if (!synapse_fetch_page (self->client, page_url, NULL, 0, &probe,
              cancellable, error))
        return FALSE;
    }
    if (probe.count >= 0 && first > pages_of (probe.count, probe.next
            ? MAX (probe.spans->len, 1) : page_length)) {
      /* the walk starts past the last page */
      self->pagination = SYNAPSE_PAGINATION_PAGE_NUMBER;
      self->total_count = probe.count;
      synapse_fetched_page_clear (&probe);
      *url = NULL;
      return TRUE;
    }
    if (probe.next == NULL || probe.spans->len == 0
        || probe.spans->len == page_length) {
      synapse_fetched_page_clear (&probe);
      g_propagate_error (error, g_steal_pointer (&page_error));
      return FALSE;
    }
    page_length = probe.spans->len;
    synapse_fetched_page_clear (&probe);
  }
}

/* Fetches the walk's next page into @result, with its @url and @number
 * (0 for a page fetched in sequence); TRUE with @url NULL at the end. */
static gboolean
synapse_pager_fetch_next (SynapsePager * self, SynapseFetchedPage * result,
    char **url, guint * number, GCancellable * cancellable, GError ** error)
{
  *url = NULL;
  if (!self->started && (self->start_index > 0 || self->shard_count > 1)) {
    if (!synapse_pager_jump (self, result, url, number, cancellable, error))
      return FALSE;
    self->started = TRUE;
    if (*url == NULL)           /* nothing from the start index on */
      g_clear_pointer (&self->next_url, g_free);
    return TRUE;
  }
  if (self->numbered)
    synapse_pager_top_up (self);
  if (!g_queue_is_empty (&self->ahead))
    return take_ahead (self, result, url, number, cancellable, error);
  if (self->next_url == NULL || self->numbered)
    return TRUE;
  if (!synapse_fetch_page (self->client, self->next_url, self->conversion,
          self->skip ? 0 : wanted_from (self, self->handed), result,
          cancellable, error))
    return FALSE;
  *url = g_steal_pointer (&self->next_url);
  note_page_size (self, result->size);
  return TRUE;
}

/* The next page, or NULL at the end (@error unset) or on failure. */
static SynapsePage *
synapse_pager_advance (SynapsePager * self, GCancellable * cancellable,
    GError ** error)
{
  SynapseFetchedPage result = { 0 };
  g_autofree char *url = NULL;
  guint number = 0;
  GError *walk_error = NULL;
  SynapsePage *page;
  guint64 first_index;
  guint n_results, drop, keep;

  if (self->limit && self->handed >= self->limit)
    return NULL;
  if (self->walk_error) {
    g_propagate_error (error, g_error_copy (self->walk_error));
    return NULL;
  }
  if (!synapse_pager_fetch_next (self, &result, &url, &number, cancellable,
          error) || url == NULL)
    return NULL;

  /* Only the results handed out are converted (their files downloaded):
   * those before the start index are dropped and the limit truncates the
   * page first. A page fetched ahead is converted as far as the pages
   * before it were expected to reach; when they held fewer results, the
   * rest is converted here. It is converted before the walk guard sees
   * it, so that a page whose conversion failed, and which is asked for
   * again, is counted once. */
  n_results = result.spans->len;
  if (self->numbered) {
    first_index = (guint64) (number - 1) * self->page_length;
    drop = number == self->first_page ? MIN (self->drop_first, n_results) : 0;
  } else {
    first_index = self->walked;
    drop = (guint) MIN (self->skip, n_results);
  }
  keep = MIN (n_results - drop, wanted_from (self, self->handed));
  g_array_set_size (result.spans, drop + keep);
  /* the dropped results are not converted, as if they were already */
  g_assert (drop == 0 || result.n_converted == 0);
  result.n_converted = MAX (result.n_converted, drop);
  if (!synapse_fetched_page_convert (self->client, self->conversion, &result,
          drop + keep, cancellable, error)) {
    synapse_pager_retry_from (self, url, number);
    synapse_fetched_page_clear (&result);
    return NULL;
  }
  if (self->numbered ? !check_numbered_page (self, url, number, &result,
          n_results, &walk_error)
      : !synapse_walk_guard_check_page (&self->guard, url, result.count,
          n_results, &walk_error)) {
    synapse_pager_end_walk (self, walk_error);
    g_propagate_error (error, g_error_copy (walk_error));
    synapse_fetched_page_clear (&result);
    return NULL;
  }
  if (self->pages_fetched == 0) {
    self->total_count = result.count;
    if (!self->numbered && self->pagination == SYNAPSE_PAGINATION_UNKNOWN)
      self->pagination = result.next == NULL
          || synapse_listing_page_number (result.next) >= 2 ?
          SYNAPSE_PAGINATION_PAGE_NUMBER : SYNAPSE_PAGINATION_OTHER;
  }
  self->started = TRUE;
  self->pages_fetched++;
  if (!self->numbered) {
    self->walked += n_results;
    self->skip -= drop;
  }
  synapse_pager_follow (self, url, number, &result, n_results);

  page = synapse_page_new_raw (result.body, g_steal_pointer (&result.spans),
      self->numbered ? number : self->pages_fetched, first_index,
      self->total_count);
  if (drop > 0) {
    SynapsePage *rest = synapse_page_new_rest (page, drop);

    synapse_page_unref (page);
    page = rest;
  }
  self->handed += keep;
  synapse_fetched_page_clear (&result);
  return page;
}

static gboolean
synapse_pager_has_pending (SynapsePager * self)
{
  return self->page && self->page_index < synapse_page_get_n_items (self->page);
}

/* Makes sure a page with results to hand out is the current one. */
static gboolean
synapse_pager_ensure_pending (SynapsePager * self,
    GCancellable * cancellable, GError ** error)
{
  while (!synapse_pager_has_pending (self)) {
    SynapsePage *page = synapse_pager_advance (self, cancellable, error);

    if (page == NULL)
      return FALSE;
    g_clear_pointer (&self->page, synapse_page_unref);
    self->page = page;
    self->page_index = 0;
  }
  return TRUE;
}

static gpointer
pager_next_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  SynapsePager *self = source;

  if (!synapse_pager_ensure_pending (self, cancellable, error))
    return NULL;
  self->position++;
  self->next_index = synapse_page_get_position (self->page)
      + self->page_index + 1;
  return synapse_page_dup_item (self->page, self->page_index++);
}

static gpointer
pager_read_page_run (gpointer source, gpointer data,
    GCancellable * cancellable, GError ** error)
{
  SynapsePager *self = source;
  SynapsePage *rest;
  guint n_items;

  if (!synapse_pager_ensure_pending (self, cancellable, error))
    return NULL;

  n_items = synapse_page_get_n_items (self->page);
  rest = self->page_index == 0 ? synapse_page_ref (self->page)
      : synapse_page_new_rest (self->page, self->page_index);
  self->position += n_items - self->page_index;
  self->next_index = synapse_page_get_position (self->page) + n_items;
  self->page_index = n_items;
  return rest;
}

static gpointer
pager_next_page_run (gpointer source, gpointer data,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (SynapsePage) page = pager_read_page_run (source, data,
      cancellable, error);

  return page ? synapse_page_dup_items (page) : NULL;
}

/**
 * synapse_pager_next:
 * @self: a [class@Synapse.Pager]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * The next result, fetching the next page when the current one is used up.
 *
 * Returns: (transfer full) (nullable): the next result, or %NULL at the
 *   end (with @error unset) or on failure (with @error set)
 *
 * Since: 0.1
 */
JsonObject *
synapse_pager_next (SynapsePager * self, GCancellable * cancellable,
    GError ** error)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return pager_next_run (self, NULL, cancellable, error);
}

/**
 * synapse_pager_next_async:
 * @self: a [class@Synapse.Pager]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Gets the next result as [method@Synapse.Pager.next] does, without blocking.
 *
 * Since: 0.1
 */
void
synapse_pager_next_async (SynapsePager * self, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  synapse_task_run (self->client, self, synapse_pager_next_async,
      pager_next_run, NULL, NULL, (GDestroyNotify) json_object_unref,
      cancellable, callback, user_data);
}

/**
 * synapse_pager_next_finish:
 * @self: a [class@Synapse.Pager]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Pager.next_async].
 *
 * Returns: (transfer full) (nullable): the next result, or %NULL at the
 *   end (with @error unset) or on failure (with @error set)
 *
 * Since: 0.1
 */
JsonObject *
synapse_pager_next_finish (SynapsePager * self, GAsyncResult * result,
    GError ** error)
{
  return synapse_task_finish (self, result, synapse_pager_next_async, error);
}

/**
 * synapse_pager_read_page:
 * @self: a [class@Synapse.Pager]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * The next page; when [method@Synapse.Pager.next] has handed out part of a
 * page, the rest of that page. A [struct@Synapse.Page] gives each result as the
 * backend's own bytes when nothing was converted: the way to pass results on as
 * text without parsing them.
 *
 * Returns: (transfer full) (nullable): the page, never empty, or %NULL at
 *   the end (with @error unset) or on failure (with @error set)
 *
 * Since: 0.1
 */
SynapsePage *
synapse_pager_read_page (SynapsePager * self, GCancellable * cancellable,
    GError ** error)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return pager_read_page_run (self, NULL, cancellable, error);
}

/**
 * synapse_pager_read_page_async:
 * @self: a [class@Synapse.Pager]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Gets the next page as [method@Synapse.Pager.read_page] does, without
 * blocking.
 *
 * Since: 0.1
 */
void
synapse_pager_read_page_async (SynapsePager * self,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  synapse_task_run (self->client, self, synapse_pager_read_page_async,
      pager_read_page_run, NULL, NULL, (GDestroyNotify) synapse_page_unref,
      cancellable, callback, user_data);
}

/**
 * synapse_pager_read_page_finish:
 * @self: a [class@Synapse.Pager]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Pager.read_page_async].
 *
 * Returns: (transfer full) (nullable): the page, or %NULL at the end or on
 *   failure
 *
 * Since: 0.1
 */
SynapsePage *
synapse_pager_read_page_finish (SynapsePager * self, GAsyncResult * result,
    GError ** error)
{
  return synapse_task_finish (self, result, synapse_pager_read_page_async,
      error);
}

/**
 * synapse_pager_next_page:
 * @self: a [class@Synapse.Pager]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * The results of the next page as objects; when [method@Synapse.Pager.next] has
 * handed out part of a page, the rest of that page.
 *
 * Returns: (transfer full) (nullable): the results, never empty, or %NULL
 *   at the end (with @error unset) or on failure (with @error set)
 *
 * Since: 0.1
 */
JsonArray *
synapse_pager_next_page (SynapsePager * self, GCancellable * cancellable,
    GError ** error)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return pager_next_page_run (self, NULL, cancellable, error);
}

/**
 * synapse_pager_next_page_async:
 * @self: a [class@Synapse.Pager]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Gets the next page as [method@Synapse.Pager.next_page] does, without
 * blocking.
 *
 * Since: 0.1
 */
void
synapse_pager_next_page_async (SynapsePager * self,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  synapse_task_run (self->client, self, synapse_pager_next_page_async,
      pager_next_page_run, NULL, NULL, (GDestroyNotify) json_array_unref,
      cancellable, callback, user_data);
}

/**
 * synapse_pager_next_page_finish:
 * @self: a [class@Synapse.Pager]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Pager.next_page_async].
 *
 * Returns: (transfer full) (nullable): the results, or %NULL at the end or
 *   on failure
 *
 * Since: 0.1
 */
JsonArray *
synapse_pager_next_page_finish (SynapsePager * self, GAsyncResult * result,
    GError ** error)
{
  return synapse_task_finish (self, result, synapse_pager_next_page_async,
      error);
}

/**
 * synapse_pager_get_total_count:
 * @self: a [class@Synapse.Pager]
 *
 * The backend's `count` of results in the whole listing.
 *
 * Returns: the total, or -1 until the first page has arrived (or when the
 *   backend does not give one)
 *
 * Since: 0.1
 */
gint64
synapse_pager_get_total_count (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), -1);

  return self->total_count;
}

/**
 * synapse_pager_get_pages_fetched:
 * @self: a [class@Synapse.Pager]
 *
 * How many pages the pager has received from the backend.
 *
 * Returns: how many pages have been delivered so far
 *
 * Since: 0.1
 */
guint
synapse_pager_get_pages_fetched (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), 0);

  return self->pages_fetched;
}

/**
 * synapse_pager_get_position:
 * @self: a [class@Synapse.Pager]
 *
 * How many results the pager has handed out, one at a time or as pages.
 *
 * Returns: how many results have been handed out so far
 *
 * Since: 0.1
 */
guint64
synapse_pager_get_position (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), 0);

  return self->position;
}

/**
 * synapse_pager_get_prefetch:
 * @self: a [class@Synapse.Pager]
 *
 * How many pages the pager keeps requested ahead of the one being read.
 *
 * Returns: how many page requests may be in flight at once
 *
 * Since: 0.1
 */
guint
synapse_pager_get_prefetch (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), 1);

  return self->prefetch;
}

/**
 * synapse_pager_set_prefetch:
 * @self: a [class@Synapse.Pager]
 * @prefetch: page requests in flight at once, at least 1
 *
 * Sets [property@Synapse.Pager:prefetch]. Call it before the first page is
 * read.
 *
 * Since: 0.1
 */
void
synapse_pager_set_prefetch (SynapsePager * self, guint prefetch)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  g_object_set (self, "prefetch", prefetch, NULL);
}

/**
 * synapse_pager_set_limit:
 * @self: a [class@Synapse.Pager]
 * @limit: the most results to hand out, 0 for all
 *
 * Sets [property@Synapse.Pager:limit]. Call it before the first page is read.
 *
 * Since: 0.1
 */
void
synapse_pager_set_limit (SynapsePager * self, guint64 limit)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  g_object_set (self, "limit", limit, NULL);
}

/**
 * synapse_pager_set_prefetch_bytes:
 * @self: a [class@Synapse.Pager]
 * @prefetch_bytes: the most bytes of pages held ahead
 *
 * Sets [property@Synapse.Pager:prefetch-bytes]. It takes effect at the next
 * page requested ahead.
 *
 * Since: 0.1
 */
void
synapse_pager_set_prefetch_bytes (SynapsePager * self, guint64 prefetch_bytes)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  g_object_set (self, "prefetch-bytes", prefetch_bytes, NULL);
}

/**
 * synapse_pager_set_start_index:
 * @self: a [class@Synapse.Pager]
 * @start_index: the results of the listing to pass over
 *
 * Sets [property@Synapse.Pager:start-index]: the walk starts at result
 * @start_index of the listing, e.g. the
 * [method@Synapse.Pager.get_next_index] of a walk that stopped. Call it
 * before the first result is asked for.
 *
 * Since: 0.1
 */
void
synapse_pager_set_start_index (SynapsePager * self, guint64 start_index)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  g_object_set (self, "start-index", start_index, NULL);
}

/**
 * synapse_pager_set_shard:
 * @self: a [class@Synapse.Pager]
 * @shard_index: which of the walks this is, from 0
 * @shard_count: how many walks share the listing, at least 1
 *
 * Sets [property@Synapse.Pager:shard-index] and
 * [property@Synapse.Pager:shard-count]: this walk reads pages
 * @shard_index + 1, @shard_index + 1 + @shard_count, … of the listing.
 * Call it before the first result is asked for.
 *
 * Since: 0.1
 */
void
synapse_pager_set_shard (SynapsePager * self, guint shard_index,
    guint shard_count)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));
  g_return_if_fail (shard_count >= 1 && shard_index < shard_count);

  g_object_set (self, "shard-count", shard_count, "shard-index", shard_index,
      NULL);
}

/**
 * synapse_pager_get_next_index:
 * @self: a [class@Synapse.Pager]
 *
 * The index in the whole listing of the result after the last one handed
 * out: where a walk that stops here resumes, with it as its
 * [property@Synapse.Pager:start-index] (and the same shards).
 *
 * Returns: the listing index to resume from
 *
 * Since: 0.1
 */
guint64
synapse_pager_get_next_index (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), 0);

  return self->position ? self->next_index : self->start_index;
}

/**
 * synapse_pager_get_pagination:
 * @self: a [class@Synapse.Pager]
 *
 * How the listing is paginated, as far as the pages so far tell.
 *
 * Returns: the [enum@Synapse.Pagination] found
 *
 * Since: 0.1
 */
SynapsePagination
synapse_pager_get_pagination (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), SYNAPSE_PAGINATION_UNKNOWN);

  return self->pagination;
}
