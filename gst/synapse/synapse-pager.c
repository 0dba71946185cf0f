/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SynapsePager:
 *
 * Walks a paginated listing one result at a time (or one page at a time),
 * following the backend's `next` links. It holds one page in memory, so a
 * listing of any length streams in bounded memory; N pages cost N
 * requests, and the total comes from the first page.
 *
 * A pager is used by one caller at a time: call synapse_pager_next() (or
 * its `_async` twin) again only when the previous call has returned.
 */

#include "config.h"

#include "synapse-pager.h"
#include "synapse-private.h"

struct _SynapsePager
{
  GObject parent_instance;

  SynapseClient *client;
  SynapseUrlConversion *conversion;
  char *next_url;               /* NULL once the last page is fetched */
  JsonArray *page;              /* the results of the page being read */
  guint page_index;             /* next result of @page to hand out */
  gint64 total_count;           /* -1 until the first page arrived */
  guint pages_fetched;
  guint64 position;
  guint prefetch;
};

G_DEFINE_FINAL_TYPE (SynapsePager, synapse_pager, G_TYPE_OBJECT);

static void
synapse_pager_finalize (GObject * object)
{
  SynapsePager *self = SYNAPSE_PAGER (object);

  g_clear_object (&self->client);
  g_clear_object (&self->conversion);
  g_free (self->next_url);
  g_clear_pointer (&self->page, json_array_unref);

  G_OBJECT_CLASS (synapse_pager_parent_class)->finalize (object);
}

static void
synapse_pager_class_init (SynapsePagerClass * klass)
{
  G_OBJECT_CLASS (klass)->finalize = synapse_pager_finalize;
}

static void
synapse_pager_init (SynapsePager * self)
{
  self->total_count = -1;
}

/* @params with the client's page size unless they name one. */
JsonObject *
synapse_listing_params (SynapseClient * client, JsonObject * params)
{
  JsonObject *copy = synapse_json_object_copy (params);

  if (!json_object_has_member (copy, "page_size"))
    json_object_set_int_member (copy, "page_size",
        synapse_client_get_page_size (client));
  return copy;
}

/**
 * synapse_pager_new:
 * @client: a #SynapseClient
 * @path: the path of a paginated endpoint, e.g. `models/`
 * @params: (nullable): query parameters of the first page; the client's
 *   #SynapseClient:page-size is added unless they set `page_size`
 * @conversion: (nullable): URL conversion applied to every page
 *
 * A pager over any paginated endpoint of the backend. No request is sent
 * until the first result is asked for.
 *
 * Returns: (transfer full): a new #SynapsePager
 */
SynapsePager *
synapse_pager_new (SynapseClient * client, const char *path,
    JsonObject * params, SynapseUrlConversion * conversion)
{
  SynapsePager *self;
  g_autoptr (JsonObject) page_params = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (client), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (conversion == NULL
      || SYNAPSE_IS_URL_CONVERSION (conversion), NULL);

  self = g_object_new (SYNAPSE_TYPE_PAGER, NULL);
  self->client = g_object_ref (client);
  self->conversion = conversion ? g_object_ref (conversion) : NULL;
  page_params = synapse_listing_params (client, params);
  self->next_url = synapse_client_build_url (client, path, page_params);
  self->prefetch = synapse_client_get_default_prefetch (client);
  return self;
}

/* Checks that @root is a DRF page and takes it apart. */
gboolean
synapse_parse_page (JsonNode * root, const char *url, JsonArray ** results,
    gint64 * count, char **next, GError ** error)
{
  JsonObject *page;
  JsonNode *member;
  g_autofree char *shown = synapse_redact_url (url);

  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    synapse_set_protocol_error (error, "GET", shown,
        "a page must be a JSON object");
    return FALSE;
  }
  page = json_node_get_object (root);

  member = json_object_get_member (page, "results");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member)) {
    synapse_set_protocol_error (error, "GET", shown,
        "the page has no \"results\" array");
    return FALSE;
  }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (member));
      i++) {
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array
                (member), i))) {
      synapse_set_protocol_error (error, "GET", shown,
          "result %u of the page is not a JSON object", i);
      return FALSE;
    }
  }
  *results = json_array_ref (json_node_get_array (member));

  *count = -1;
  member = json_object_get_member (page, "count");
  if (member && !JSON_NODE_HOLDS_NULL (member)) {
    if (!JSON_NODE_HOLDS_VALUE (member)
        || json_node_get_value_type (member) != G_TYPE_INT64
        || json_node_get_int (member) < 0) {
      synapse_set_protocol_error (error, "GET", shown,
          "\"count\" is not a whole number");
      g_clear_pointer (results, json_array_unref);
      return FALSE;
    }
    *count = json_node_get_int (member);
  }

  if (next == NULL)
    return TRUE;
  *next = NULL;
  member = json_object_get_member (page, "next");
  if (member && !JSON_NODE_HOLDS_NULL (member)) {
    g_autoptr (GUri) base = NULL;
    g_autoptr (GUri) resolved = NULL;

    if (JSON_NODE_HOLDS_VALUE (member)
        && json_node_get_value_type (member) == G_TYPE_STRING) {
      base = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
      resolved = base ? g_uri_parse_relative (base,
          json_node_get_string (member), SOUP_HTTP_URI_FLAGS, NULL) : NULL;
    }
    if (resolved == NULL) {
      synapse_set_protocol_error (error, "GET", shown, "\"next\" is not a URL");
      g_clear_pointer (results, json_array_unref);
      return FALSE;
    }
    *next = g_uri_to_string (resolved);
    /* a page that links to itself would be walked forever */
    if (g_strcmp0 (*next, url) == 0) {
      synapse_set_protocol_error (error, "GET", shown,
          "the page's \"next\" link points to the page itself");
      g_clear_pointer (next, g_free);
      g_clear_pointer (results, json_array_unref);
      return FALSE;
    }
  }
  return TRUE;
}

/* Fetches the page at @url, checks and converts it. */
JsonArray *
synapse_fetch_page (SynapseClient * client, const char *url,
    SynapseUrlConversion * conversion, gint64 * count, char **next,
    GCancellable * cancellable, GError ** error)
{
  SynapseRequest request = {
    .method = "GET",
    .path = url,
    .idempotent = TRUE,
  };
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonArray) results = NULL;

  root = synapse_client_send_json (client, &request, cancellable, error);
  if (root == NULL)
    return NULL;
  if (!synapse_parse_page (root, url, &results, count, next, error))
    return NULL;
  if (conversion && !synapse_url_conversion_apply (conversion, client,
          results, cancellable, error)) {
    if (next)
      g_clear_pointer (next, g_free);
    return NULL;
  }
  return g_steal_pointer (&results);
}

/* Makes the next page the current one; FALSE at the end or on error. */
static gboolean
synapse_pager_advance (SynapsePager * self, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (JsonArray) results = NULL;
  gint64 count = -1;
  char *next = NULL;

  if (self->next_url == NULL)
    return FALSE;

  results = synapse_fetch_page (self->client, self->next_url,
      self->conversion, &count, &next, cancellable, error);
  if (results == NULL)
    return FALSE;

  g_free (self->next_url);
  self->next_url = next;
  if (self->pages_fetched == 0 || count >= 0)
    self->total_count = count;
  self->pages_fetched++;
  g_clear_pointer (&self->page, json_array_unref);
  self->page = g_steal_pointer (&results);
  self->page_index = 0;
  return TRUE;
}

static gboolean
synapse_pager_has_pending (SynapsePager * self)
{
  return self->page && self->page_index < json_array_get_length (self->page);
}

static gpointer
pager_next_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  SynapsePager *self = source;
  JsonObject *result;

  while (!synapse_pager_has_pending (self)) {
    if (!synapse_pager_advance (self, cancellable, error))
      return NULL;
  }
  result = json_array_get_object_element (self->page, self->page_index++);
  self->position++;
  return json_object_ref (result);
}

static gpointer
pager_next_page_run (gpointer source, gpointer data,
    GCancellable * cancellable, GError ** error)
{
  SynapsePager *self = source;
  JsonArray *rest;
  guint length;

  while (!synapse_pager_has_pending (self)) {
    if (!synapse_pager_advance (self, cancellable, error))
      return NULL;
  }

  length = json_array_get_length (self->page);
  if (self->page_index == 0) {
    rest = json_array_ref (self->page);
  } else {
    rest = json_array_sized_new (length - self->page_index);
    for (guint i = self->page_index; i < length; i++)
      json_array_add_element (rest,
          json_node_ref (json_array_get_element (self->page, i)));
  }
  self->position += length - self->page_index;
  self->page_index = length;
  return rest;
}

/**
 * synapse_pager_next:
 * @self: a #SynapsePager
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The next result, fetching the next page when the current one is used up.
 *
 * Returns: (transfer full) (nullable): the next result, or %NULL at the
 *   end (with @error unset) or on failure (with @error set)
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
 * @self: a #SynapsePager
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Gets the next result as synapse_pager_next() does, without blocking.
 */
void
synapse_pager_next_async (SynapsePager * self, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  synapse_task_run (self, synapse_pager_next_async, pager_next_run, NULL,
      NULL, (GDestroyNotify) json_object_unref, cancellable, callback,
      user_data);
}

/**
 * synapse_pager_next_finish:
 * @self: a #SynapsePager
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes synapse_pager_next_async().
 *
 * Returns: (transfer full) (nullable): the next result, or %NULL at the
 *   end (with @error unset) or on failure (with @error set)
 */
JsonObject *
synapse_pager_next_finish (SynapsePager * self, GAsyncResult * result,
    GError ** error)
{
  return synapse_task_finish (self, result, synapse_pager_next_async, error);
}

/**
 * synapse_pager_next_page:
 * @self: a #SynapsePager
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The results of the next page; when synapse_pager_next() has handed out
 * part of a page, the rest of that page.
 *
 * Returns: (transfer full) (nullable): the
 *   results, never empty, or %NULL at the end (with @error unset) or on
 *   failure (with @error set)
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
 * @self: a #SynapsePager
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called with the result
 * @user_data: data for @callback
 *
 * Gets the next page as synapse_pager_next_page() does, without blocking.
 */
void
synapse_pager_next_page_async (SynapsePager * self,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));

  synapse_task_run (self, synapse_pager_next_page_async, pager_next_page_run,
      NULL, NULL, (GDestroyNotify) json_array_unref, cancellable, callback,
      user_data);
}

/**
 * synapse_pager_next_page_finish:
 * @self: a #SynapsePager
 * @result: the #GAsyncResult given to the callback
 * @error: return location for a #GError
 *
 * Finishes synapse_pager_next_page_async().
 *
 * Returns: (transfer full) (nullable): the
 *   results, or %NULL at the end or on failure
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
 * @self: a #SynapsePager
 *
 * The backend's `count` of results in the whole listing.
 *
 * Returns: the total, or -1 until the first page has arrived (or when the
 *   backend does not give one)
 */
gint64
synapse_pager_get_total_count (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), -1);

  return self->total_count;
}

/**
 * synapse_pager_get_pages_fetched:
 * @self: a #SynapsePager
 *
 * Returns: how many pages have been fetched so far
 */
guint
synapse_pager_get_pages_fetched (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), 0);

  return self->pages_fetched;
}

/**
 * synapse_pager_get_position:
 * @self: a #SynapsePager
 *
 * Returns: how many results have been handed out so far
 */
guint64
synapse_pager_get_position (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), 0);

  return self->position;
}

/**
 * synapse_pager_get_prefetch:
 * @self: a #SynapsePager
 *
 * Returns: how many pages the pager keeps requested ahead
 */
guint
synapse_pager_get_prefetch (SynapsePager * self)
{
  g_return_val_if_fail (SYNAPSE_IS_PAGER (self), 1);

  return self->prefetch;
}

/**
 * synapse_pager_set_prefetch:
 * @self: a #SynapsePager
 * @prefetch: pages to keep requested ahead, at least 1
 *
 * Sets how many pages are requested ahead of the one being read; it takes
 * the client's #SynapseClient:prefetch by default.
 */
void
synapse_pager_set_prefetch (SynapsePager * self, guint prefetch)
{
  g_return_if_fail (SYNAPSE_IS_PAGER (self));
  g_return_if_fail (prefetch >= 1);

  self->prefetch = prefetch;
}
