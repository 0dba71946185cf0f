/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The listing layer, under every walk of a paginated endpoint (the pager,
 * the ML calls' single pages): the parameters of a first page, fetching
 * one page and checking that it is a Django REST Framework page (in the
 * pass that finds its results and, for a conversion, their URLs), its
 * `next` link resolved, and the page numbers those links carry. Walking
 * (the order, fetching ahead, limits) is the pager's.
 *
 * The walk guards live here too, not in a file of their own: they are a
 * page's check carried over the pages of one walk (the first page's
 * `count`, the `next` links followed), and they see nothing but fetched
 * pages. They stop a walk that would never end: a backend whose links go
 * round in a circle, that sends more results than its `count`, or that
 * links on from empty page to empty page would have it request (and hand
 * out duplicates) forever. The guard of a walk sees each of its pages in
 * order, and fails with a PROTOCOL error that says what the backend did:
 *
 * - a `next` link to a page this walk already visited;
 * - more results than the first page's `count`, or a page past the last
 *   one that count fills at the first page's size (a page with a `next`
 *   link is a full one, as Django REST Framework sends them);
 * - SYNAPSE_WALK_MAX_EMPTY_RUN empty pages in a row that still link on.
 *
 * Visited pages are kept as 64-bit hashes of their URLs, not the URLs:
 * 16 bytes a page, however long the URLs and the walk. */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "synapse-error-private.h"
#include "synapse-json-private.h"
#include "synapse-listing.h"
#include "synapse-request.h"
#include "synapse-uri.h"
#include "synapse-url-conversion-private.h"

JsonObject *
synapse_listing_params (SynapseClient * client, JsonObject * params)
{
  JsonObject *copy = synapse_json_object_copy (params);

  if (!json_object_has_member (copy, "page_size")) {
    guint page_size = 0;

    g_object_get (client, "page-size", &page_size, NULL);
    json_object_set_int_member (copy, "page_size", page_size);
  }
  return copy;
}

void
synapse_fetched_page_clear (SynapseFetchedPage * page)
{
  g_clear_pointer (&page->url, g_free);
  g_clear_pointer (&page->body, g_bytes_unref);
  g_clear_pointer (&page->spans, g_array_unref);
  g_clear_pointer (&page->next, g_free);
}

/* A page's scan: what it found, and the URLs it looked for on the way. */
typedef struct
{
  SynapseJsonPage page;
  const SynapseJsonPaths *paths;
  guint n_convert;
  SynapseJsonUrls urls;
} PageScan;

static void
page_scan_clear (PageScan * scan)
{
  synapse_json_page_clear (&scan->page);
  synapse_json_urls_clear (&scan->urls);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PageScan, page_scan_clear);

static gboolean
scan_page_body (SoupMessage * msg, GBytes * body, const char *method,
    const char *url, gpointer data, GError ** error)
{
  PageScan *scan = data;
  g_autoptr (GError) scan_error = NULL;
  gsize size;
  const char *bytes = g_bytes_get_data (body, &size);

  page_scan_clear (scan);
  if (scan->paths)
    synapse_json_urls_init (&scan->urls);
  if (!synapse_json_scan_page_urls (bytes, size, scan->paths,
          scan->n_convert, &scan->page, &scan->urls, &scan_error)) {
    synapse_set_protocol_error (error, method, url, "malformed JSON (%s)",
        scan_error->message);
    return FALSE;
  }
  return TRUE;
}

/* Checks that a scanned body is a DRF page and takes its `next` link. */
static gboolean
check_page (SynapseJsonPage * scan, const char *url, char **next,
    GError ** error)
{
  g_autofree char *shown = synapse_uri_redact (url);

  *next = NULL;
  if (!scan->is_object) {
    synapse_set_protocol_error (error, "GET", shown,
        "a page must be a JSON object");
    return FALSE;
  }
  if (scan->results == NULL) {
    synapse_set_protocol_error (error, "GET", shown,
        "the page has no \"results\" array");
    return FALSE;
  }
  if (!scan->results_are_objects) {
    synapse_set_protocol_error (error, "GET", shown,
        "the page's results are not all JSON objects");
    return FALSE;
  }
  if (!scan->count_valid) {
    synapse_set_protocol_error (error, "GET", shown,
        "\"count\" is not a whole number");
    return FALSE;
  }
  if (!scan->next_valid) {
    synapse_set_protocol_error (error, "GET", shown, "\"next\" is not a URL");
    return FALSE;
  }
  if (scan->next == NULL)
    return TRUE;

  *next = synapse_uri_resolve (url, scan->next);
  if (*next == NULL) {
    synapse_set_protocol_error (error, "GET", shown, "\"next\" is not a URL");
    return FALSE;
  }
  return TRUE;
}

/* GETs the page at @url and checks it: the page stays as the backend's
 * bytes, the URLs of its first @n_convert results (found in the same pass
 * as the page is checked) rewritten in them. */
gboolean
synapse_fetch_page (SynapseClient * client, const char *url,
    SynapseUrlConversion * conversion, guint n_convert,
    SynapseFetchedPage * page, GCancellable * cancellable, GError ** error)
{
  SynapseRequest request = {
    .method = "GET",
    .path = url,
    .idempotent = TRUE,
  };
  g_auto (PageScan) scan = { 0 };
  g_autoptr (GBytes) body = NULL;
  char *next = NULL;

  memset (page, 0, sizeof *page);
  if (conversion && n_convert > 0) {
    scan.paths = synapse_url_conversion_get_paths (conversion);
    scan.n_convert = n_convert;
  }
  body = synapse_request_send_bytes (client, &request, scan_page_body, &scan,
      cancellable, error);
  if (body == NULL || !check_page (&scan.page, url, &next, error))
    return FALSE;

  page->url = g_strdup (url);
  page->next = next;
  page->count = scan.page.count;
  page->size = g_bytes_get_size (body);
  page->spans = g_steal_pointer (&scan.page.results);
  if (scan.paths) {
    page->n_converted = MIN (n_convert, page->spans->len);
    page->body = synapse_url_conversion_convert_bytes (conversion, client,
        body, page->spans, 0, page->n_converted, &scan.urls, cancellable,
        error);
    if (page->body == NULL) {
      synapse_fetched_page_clear (page);
      return FALSE;
    }
  } else {
    page->body = g_steal_pointer (&body);
  }
  return TRUE;
}

gboolean
synapse_fetched_page_convert (SynapseClient * client,
    SynapseUrlConversion * conversion, SynapseFetchedPage * page,
    guint n_convert, GCancellable * cancellable, GError ** error)
{
  GBytes *body;

  n_convert = MIN (n_convert, page->spans->len);
  if (conversion == NULL || page->n_converted >= n_convert)
    return TRUE;
  body = synapse_url_conversion_convert_bytes (conversion, client,
      page->body, page->spans, page->n_converted, n_convert, NULL,
      cancellable, error);
  if (body == NULL)
    return FALSE;
  g_bytes_unref (page->body);
  page->body = body;
  page->n_converted = n_convert;
  return TRUE;
}

guint
synapse_listing_page_number (const char *url)
{
  const char *query = strchr (url, '?');
  g_auto (GStrv) params = NULL;
  guint number = 0;

  if (query == NULL)
    return 0;
  params = g_strsplit (query + 1, "&", -1);
  for (guint i = 0; params[i]; i++) {
    char *end;
    guint64 value;

    if (!g_str_has_prefix (params[i], "page="))
      continue;
    value = g_ascii_strtoull (params[i] + 5, &end, 10);
    number = (*end == '\0' && end != params[i] + 5 && value < G_MAXUINT)
        ? value : 0;
  }
  return number;
}

char *
synapse_listing_url_with_page (const char *url, guint number)
{
  const char *query = strchr (url, '?');
  g_auto (GStrv) params = g_strsplit (query + 1, "&", -1);
  GString *out = g_string_new_len (url, query + 1 - url);

  for (guint i = 0; params[i]; i++) {
    if (i > 0)
      g_string_append_c (out, '&');
    if (g_str_has_prefix (params[i], "page="))
      g_string_append_printf (out, "page=%u", number);
    else
      g_string_append (out, params[i]);
  }
  return g_string_free (out, FALSE);
}

/* --- walk guards -------------------------------------------------------- */

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The hash a URL is known by. The fragment is dropped and the query
 * parameters are taken in sorted order, without `page=1` (Django REST
 * Framework's link back to the first page has no `page`), so that links
 * to one page written two ways are one key; the first 64 bits of a
 * SHA-256 make a false match between two pages of a walk a 2^-64
 * chance. */
static guint64
url_key (const char *url)
{
  g_autofree char *head = g_strndup (url, strcspn (url, "#"));
  char *query = strchr (head, '?');
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  guint64 key;

  if (query)
    *query++ = '\0';
  g_checksum_update (checksum, (const guchar *) head, -1);
  if (query) {
    g_auto (GStrv) params = g_strsplit (query, "&", -1);

    qsort (params, g_strv_length (params), sizeof (char *), compare_strings);
    for (guint i = 0; params[i]; i++) {
      if (*params[i] == '\0' || g_str_equal (params[i], "page=1"))
        continue;
      /* no URL holds a newline: parameters cannot run into the path */
      g_checksum_update (checksum, (const guchar *) "\n", 1);
      g_checksum_update (checksum, (const guchar *) params[i], -1);
    }
  }
  g_checksum_get_digest (checksum, digest, &digest_len);
  memcpy (&key, digest, sizeof key);
  return key ? key : 1;
}

static gboolean visited_add (SynapseWalkGuard * guard, guint64 key);

static void
visited_grow (SynapseWalkGuard * guard)
{
  guint64 *old = guard->visited;
  gsize old_slots = guard->n_slots;

  guard->n_slots = old_slots ? old_slots * 2 : 16;
  guard->visited = g_new0 (guint64, guard->n_slots);
  guard->n_visited = 0;
  for (gsize i = 0; i < old_slots; i++) {
    if (old[i])
      visited_add (guard, old[i]);
  }
  g_free (old);
}

/* Adds @key to the visited set; FALSE when it was there already. */
static gboolean
visited_add (SynapseWalkGuard * guard, guint64 key)
{
  gsize mask, i;

  if ((guard->n_visited + 1) * 2 > guard->n_slots)
    visited_grow (guard);
  mask = guard->n_slots - 1;
  for (i = key & mask; guard->visited[i]; i = (i + 1) & mask) {
    if (guard->visited[i] == key)
      return FALSE;
  }
  guard->visited[i] = key;
  guard->n_visited++;
  return TRUE;
}

void
synapse_walk_guard_init (SynapseWalkGuard * guard, const char *first_url)
{
  memset (guard, 0, sizeof *guard);
  guard->count = -1;
  visited_add (guard, url_key (first_url));
}

void
synapse_walk_guard_clear (SynapseWalkGuard * guard)
{
  g_clear_pointer (&guard->visited, g_free);
  memset (guard, 0, sizeof *guard);
}

gboolean
synapse_walk_guard_check_page (SynapseWalkGuard * guard, const char *url,
    gint64 count, guint n_results, GError ** error)
{
  if (guard->pages == 0) {
    guard->count = count;
    guard->first_results = n_results;
    if (count > 0 && n_results > 0)
      guard->last_page = MIN (G_MAXUINT, 1 + (guint64) (count - 1)
          / n_results);
  }
  guard->pages++;
  guard->results += n_results;
  guard->empty_run = n_results == 0 ? guard->empty_run + 1 : 0;

  if (guard->count >= 0 && guard->results > (guint64) guard->count) {
    synapse_set_protocol_error (error, "GET", url,
        "its pages so far hold %" G_GUINT64_FORMAT " results, more than "
        "the %" G_GINT64_FORMAT " its first page counted", guard->results,
        guard->count);
    return FALSE;
  }
  return TRUE;
}

gboolean
synapse_walk_guard_check_next (SynapseWalkGuard * guard, const char *url,
    const char *next, GError ** error)
{
  if (!visited_add (guard, url_key (next))) {
    g_autofree char *shown = synapse_uri_redact (next);

    synapse_set_protocol_error (error, "GET", url,
        "its \"next\" link leads back to a page this walk has already "
        "visited (%s): the pages link round in a circle", shown);
    return FALSE;
  }
  if (guard->empty_run >= SYNAPSE_WALK_MAX_EMPTY_RUN) {
    synapse_set_protocol_error (error, "GET", url,
        "%u pages in a row held no results, yet each linked on to another "
        "page", guard->empty_run);
    return FALSE;
  }
  if (guard->last_page && guard->pages >= guard->last_page) {
    synapse_set_protocol_error (error, "GET", url,
        "page %u links on to another page, but the %" G_GINT64_FORMAT
        " results of the first page's count fill only %u pages of %u",
        guard->pages, guard->count, guard->last_page, guard->first_results);
    return FALSE;
  }
  return TRUE;
}

guint
synapse_walk_guard_get_last_page (const SynapseWalkGuard * guard)
{
  return guard->last_page;
}
