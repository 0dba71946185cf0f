/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The ML endpoints of protocol §3 that read: models, ground-truth events
 * (a page, every page, or a pager) and dataset versions. Each blocking call
 * is a *_run function that its _async twin runs in a worker thread.
 * Creating a model is synapse-model-create.c's. */

#include "config.h"

#include "synapse-error-private.h"
#include "synapse-listing.h"
#include "synapse-ml-private.h"
#include "synapse-page-private.h"
#include "synapse-request.h"
#include "synapse-task.h"

/* The arguments of every call here, so that one set of helpers carries
 * them to a worker thread. */
typedef struct
{
  gint64 id;
  JsonObject *params;
  SynapseUrlConversion *conversion;
  gboolean list_all;
} MlArgs;

static MlArgs *
ml_args_new (gint64 id, JsonObject * params,
    SynapseUrlConversion * conversion, gboolean list_all)
{
  MlArgs *args = g_new0 (MlArgs, 1);

  args->id = id;
  args->params = params ? json_object_ref (params) : NULL;
  args->conversion = conversion ? g_object_ref (conversion) : NULL;
  args->list_all = list_all;
  return args;
}

static void
ml_args_free (MlArgs * args)
{
  g_clear_pointer (&args->params, json_object_unref);
  g_clear_object (&args->conversion);
  g_free (args);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MlArgs, ml_args_free);

/* A listing's results with the backend's total. */
typedef struct
{
  JsonArray *results;
  guint64 total_count;
} Listing;

static void
listing_free (Listing * listing)
{
  g_clear_pointer (&listing->results, json_array_unref);
  g_free (listing);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Listing, listing_free);

static JsonArray *
listing_unpack (Listing * listing, guint64 * total_count)
{
  g_autoptr (Listing) owned = listing;

  if (owned == NULL)
    return NULL;
  if (total_count)
    *total_count = owned->total_count;
  return g_steal_pointer (&owned->results);
}

static Listing *
list_one_page (SynapseClient * client, const char *path, JsonObject * params,
    SynapseUrlConversion * conversion, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (JsonObject) page_params = synapse_listing_params (client, params);
  g_autofree char *url = synapse_client_build_url (client, path,
      page_params);
  SynapseFetchedPage fetched = { 0 };
  g_autoptr (SynapsePage) page = NULL;
  Listing *listing;

  if (!synapse_fetch_page (client, url, conversion, G_MAXUINT, &fetched,
          cancellable, error))
    return NULL;
  page = synapse_page_new_raw (fetched.body, g_steal_pointer (&fetched.spans),
      1, 0, fetched.count);
  synapse_fetched_page_clear (&fetched);

  listing = g_new0 (Listing, 1);
  listing->results = synapse_page_dup_items (page);
  listing->total_count = fetched.count >= 0 ? (guint64) fetched.count
      : json_array_get_length (listing->results);
  return listing;
}

static Listing *
list_every_page (SynapseClient * client, const char *path,
    JsonObject * params, SynapseUrlConversion * conversion,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (SynapsePager) pager = synapse_pager_new (client, path, params,
      conversion);
  g_autoptr (JsonArray) all = json_array_new ();
  g_autoptr (GError) page_error = NULL;
  JsonArray *page;
  Listing *listing;

  while ((page = synapse_pager_next_page (pager, cancellable, &page_error))) {
    for (guint i = 0; i < json_array_get_length (page); i++)
      json_array_add_element (all,
          json_node_ref (json_array_get_element (page, i)));
    json_array_unref (page);
  }
  if (page_error) {
    g_propagate_error (error, g_steal_pointer (&page_error));
    return NULL;
  }

  listing = g_new0 (Listing, 1);
  listing->total_count = synapse_pager_get_total_count (pager) >= 0
      ? (guint64) synapse_pager_get_total_count (pager)
      : json_array_get_length (all);
  listing->results = g_steal_pointer (&all);
  return listing;
}

static JsonObject *
get_object (SynapseClient * client, const char *path, JsonObject * params,
    SynapseUrlConversion * conversion, GCancellable * cancellable,
    GError ** error)
{
  SynapseRequest request = {
    .method = "GET",
    .path = path,
    .params = params,
    .idempotent = TRUE,
  };
  g_autoptr (JsonNode) root = NULL;

  root = synapse_request_send_json (client, &request, cancellable, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    g_autofree char *url = synapse_client_build_url (client, path, params);

    synapse_set_protocol_error (error, "GET", url, "expected a JSON object");
    return NULL;
  }

  if (conversion) {
    g_autoptr (JsonArray) one = json_array_sized_new (1);

    json_array_add_element (one, json_node_ref (root));
    if (!synapse_url_conversion_apply (conversion, client, one, cancellable,
            error))
      return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

static gpointer
list_models_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  MlArgs *args = data;

  return list_one_page (SYNAPSE_CLIENT (source), SYNAPSE_MODELS_PATH,
      args->params, NULL, cancellable, error);
}

/**
 * synapse_client_list_models:
 * @self: a [class@Synapse.Client]
 * @params: (nullable): filters and paging: `project`, `model_type`
 *   (`classification`, `detection`, `segmentation`), `is_active`,
 *   `created_after` (ISO 8601), `search`, `page`, `page_size`
 * @total_count: (out) (optional): the number of models matching the
 *   filters, over all pages
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * One page of the models (`GET models/`).
 *
 * Returns: (transfer full): the models of the
 *   page, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonArray *
synapse_client_list_models (SynapseClient * self, JsonObject * params,
    guint64 * total_count, GCancellable * cancellable, GError ** error)
{
  g_autoptr (MlArgs) args = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  args = ml_args_new (0, params, NULL, FALSE);
  return listing_unpack (list_models_run (self, args, cancellable, error),
      total_count);
}

/**
 * synapse_client_list_models_async:
 * @self: a [class@Synapse.Client]
 * @params: (nullable): filters and paging, as for
 *   [method@Synapse.Client.list_models]
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the page is there
 * @user_data: data for @callback
 *
 * Lists one page of models without blocking.
 *
 * Since: 0.1
 */
void
synapse_client_list_models_async (SynapseClient * self, JsonObject * params,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CLIENT (self));

  synapse_task_run (self, self, synapse_client_list_models_async,
      list_models_run, ml_args_new (0, params, NULL, FALSE),
      (GDestroyNotify) ml_args_free, (GDestroyNotify) listing_free, cancellable,
      callback, user_data);
}

/**
 * synapse_client_list_models_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @total_count: (out) (optional): the number of models over all pages
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.list_models_async].
 *
 * Returns: (transfer full): the models of the
 *   page, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonArray *
synapse_client_list_models_finish (SynapseClient * self,
    GAsyncResult * result, guint64 * total_count, GError ** error)
{
  return listing_unpack (synapse_task_finish (self, result,
          synapse_client_list_models_async, error), total_count);
}

static gpointer
get_model_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  MlArgs *args = data;
  g_autofree char *path =
      g_strdup_printf (SYNAPSE_MODELS_PATH "%" G_GINT64_FORMAT "/", args->id);

  return get_object (SYNAPSE_CLIENT (source), path, args->params,
      args->conversion, cancellable, error);
}

/**
 * synapse_client_get_model:
 * @self: a [class@Synapse.Client]
 * @id: the model's id
 * @params: (nullable): e.g. `expand` (`metrics`, `evaluations`,
 *   `versions`) or `include_file`
 * @conversion: (nullable): how to convert the model's file URL; a
 *   conversion without fields converts `file`
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * One model (`GET models/<id>/`). An unknown id fails with
 * %SYNAPSE_CLIENT_ERROR_NOT_FOUND.
 *
 * Returns: (transfer full): the model, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_get_model (SynapseClient * self, gint64 id,
    JsonObject * params, SynapseUrlConversion * conversion,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MlArgs) args = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  args = ml_args_new (id, params, conversion, FALSE);
  return get_model_run (self, args, cancellable, error);
}

/**
 * synapse_client_get_model_async:
 * @self: a [class@Synapse.Client]
 * @id: the model's id
 * @params: (nullable): query parameters, as for
 *   [method@Synapse.Client.get_model]
 * @conversion: (nullable): how to convert the model's file URL
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the model is there
 * @user_data: data for @callback
 *
 * Gets one model without blocking.
 *
 * Since: 0.1
 */
void
synapse_client_get_model_async (SynapseClient * self, gint64 id,
    JsonObject * params, SynapseUrlConversion * conversion,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CLIENT (self));

  synapse_task_run (self, self, synapse_client_get_model_async, get_model_run,
      ml_args_new (id, params, conversion, FALSE),
      (GDestroyNotify) ml_args_free, (GDestroyNotify) json_object_unref,
      cancellable, callback, user_data);
}

/**
 * synapse_client_get_model_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.get_model_async].
 *
 * Returns: (transfer full): the model, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_get_model_finish (SynapseClient * self, GAsyncResult * result,
    GError ** error)
{
  return synapse_task_finish (self, result, synapse_client_get_model_async,
      error);
}

static gpointer
list_events_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  MlArgs *args = data;

  if (args->list_all)
    return list_every_page (SYNAPSE_CLIENT (source), SYNAPSE_EVENTS_PATH,
        args->params, args->conversion, cancellable, error);
  return list_one_page (SYNAPSE_CLIENT (source), SYNAPSE_EVENTS_PATH,
      args->params, args->conversion, cancellable, error);
}

/**
 * synapse_client_list_ground_truth_events:
 * @self: a [class@Synapse.Client]
 * @params: (nullable): filters and paging:
 *   `ground_truth_dataset_versions` (an id or an array of ids), `project`,
 *   `created_after`, `data_type`, `search`, `page`, `page_size`
 * @conversion: (nullable): how to convert the events' file URLs (on every
 *   page); a conversion without fields converts `files`
 * @list_all: %FALSE for the one page @params asks for, %TRUE for every
 *   page from there on
 * @total_count: (out) (optional): the number of events matching the
 *   filters
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Ground-truth events (`GET sdk/ground_truth_events/`), in the backend's
 * order. With @list_all, N pages cost N requests; to stream a long listing
 * in bounded memory use [method@Synapse.Client.iter_ground_truth_events].
 *
 * Returns: (transfer full): the events, or
 *   %NULL with @error set
 *
 * Since: 0.1
 */
JsonArray *
synapse_client_list_ground_truth_events (SynapseClient * self,
    JsonObject * params, SynapseUrlConversion * conversion,
    gboolean list_all, guint64 * total_count, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (MlArgs) args = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  args = ml_args_new (0, params, conversion, list_all);
  return listing_unpack (list_events_run (self, args, cancellable, error),
      total_count);
}

/**
 * synapse_client_list_ground_truth_events_async:
 * @self: a [class@Synapse.Client]
 * @params: (nullable): filters and paging, as for
 *   [method@Synapse.Client.list_ground_truth_events]
 * @conversion: (nullable): how to convert the events' file URLs
 * @list_all: %FALSE for one page, %TRUE for every page
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the events are there
 * @user_data: data for @callback
 *
 * Lists ground-truth events without blocking.
 *
 * Since: 0.1
 */
void
synapse_client_list_ground_truth_events_async (SynapseClient * self,
    JsonObject * params, SynapseUrlConversion * conversion,
    gboolean list_all, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CLIENT (self));

  synapse_task_run (self, self, synapse_client_list_ground_truth_events_async,
      list_events_run, ml_args_new (0, params, conversion, list_all),
      (GDestroyNotify) ml_args_free, (GDestroyNotify) listing_free,
      cancellable, callback, user_data);
}

/**
 * synapse_client_list_ground_truth_events_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @total_count: (out) (optional): the number of events matching the
 *   filters
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.list_ground_truth_events_async].
 *
 * Returns: (transfer full): the events, or
 *   %NULL with @error set
 *
 * Since: 0.1
 */
JsonArray *
synapse_client_list_ground_truth_events_finish (SynapseClient * self,
    GAsyncResult * result, guint64 * total_count, GError ** error)
{
  return listing_unpack (synapse_task_finish (self, result,
          synapse_client_list_ground_truth_events_async, error), total_count);
}

/**
 * synapse_client_iter_ground_truth_events:
 * @self: a [class@Synapse.Client]
 * @params: (nullable): filters, as for
 *   [method@Synapse.Client.list_ground_truth_events]
 * @conversion: (nullable): how to convert the events' file URLs
 *
 * A pager over the ground-truth events: the way to stream a listing of any
 * length in bounded memory. No request is sent before the first
 * [method@Synapse.Pager.next].
 *
 * Returns: (transfer full): a new [class@Synapse.Pager]
 *
 * Since: 0.1
 */
SynapsePager *
synapse_client_iter_ground_truth_events (SynapseClient * self,
    JsonObject * params, SynapseUrlConversion * conversion)
{
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);

  return synapse_pager_new (self, SYNAPSE_EVENTS_PATH, params, conversion);
}

static gpointer
get_version_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  MlArgs *args = data;
  g_autofree char *path =
      g_strdup_printf (SYNAPSE_VERSIONS_PATH "%" G_GINT64_FORMAT "/", args->id);

  return get_object (SYNAPSE_CLIENT (source), path, NULL, NULL, cancellable,
      error);
}

/**
 * synapse_client_get_ground_truth_version:
 * @self: a [class@Synapse.Client]
 * @id: the dataset version's id
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * One ground-truth dataset version
 * (`GET ground_truth_dataset_versions/<id>/`), with its `event_count`.
 *
 * Returns: (transfer full): the version, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_get_ground_truth_version (SynapseClient * self, gint64 id,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (MlArgs) args = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  args = ml_args_new (id, NULL, NULL, FALSE);
  return get_version_run (self, args, cancellable, error);
}

/**
 * synapse_client_get_ground_truth_version_async:
 * @self: a [class@Synapse.Client]
 * @id: the dataset version's id
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the version is there
 * @user_data: data for @callback
 *
 * Gets one dataset version without blocking.
 *
 * Since: 0.1
 */
void
synapse_client_get_ground_truth_version_async (SynapseClient * self,
    gint64 id, GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CLIENT (self));

  synapse_task_run (self, self, synapse_client_get_ground_truth_version_async,
      get_version_run, ml_args_new (id, NULL, NULL, FALSE),
      (GDestroyNotify) ml_args_free, (GDestroyNotify) json_object_unref,
      cancellable, callback, user_data);
}

/**
 * synapse_client_get_ground_truth_version_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.get_ground_truth_version_async].
 *
 * Returns: (transfer full): the version, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_get_ground_truth_version_finish (SynapseClient * self,
    GAsyncResult * result, GError ** error)
{
  return synapse_task_finish (self, result,
      synapse_client_get_ground_truth_version_async, error);
}
