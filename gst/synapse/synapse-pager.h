/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* SynapsePager (synapse-pager.c): a paginated listing walked in order,
 * a result or a page at a time, with pages fetched ahead. */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <synapse/synapse-client.h>
#include <synapse/synapse-page.h>
#include <synapse/synapse-url-conversion.h>

G_BEGIN_DECLS

/**
 * SynapsePagination:
 * @SYNAPSE_PAGINATION_UNKNOWN: no page has arrived yet
 * @SYNAPSE_PAGINATION_PAGE_NUMBER: the pages are numbered (`?page=N`, as
 *   Django REST Framework's PageNumberPagination links them): a walk can
 *   start at any page, and walks can share the pages
 * @SYNAPSE_PAGINATION_OTHER: the pages link on by something else (a
 *   cursor): a walk follows the links from the first page
 *
 * How a listing is paginated, as a [class@Synapse.Pager] finds out from its
 * pages.
 *
 * Since: 0.1
 */
typedef enum
{
  SYNAPSE_PAGINATION_UNKNOWN,
  SYNAPSE_PAGINATION_PAGE_NUMBER,
  SYNAPSE_PAGINATION_OTHER,
} SynapsePagination;

#define SYNAPSE_TYPE_PAGER (synapse_pager_get_type ())

SYNAPSE_API
G_DECLARE_FINAL_TYPE (SynapsePager, synapse_pager, SYNAPSE, PAGER, GObject)

SYNAPSE_API SynapsePager *synapse_pager_new (SynapseClient * client,
    const char *path,
    JsonObject * params,
    SynapseUrlConversion * conversion);

SYNAPSE_API JsonObject *synapse_pager_next (SynapsePager * self,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_pager_next_async (SynapsePager * self,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonObject *synapse_pager_next_finish (SynapsePager * self,
    GAsyncResult * result,
    GError ** error);

SYNAPSE_API SynapsePage *synapse_pager_read_page (SynapsePager * self,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_pager_read_page_async (SynapsePager * self,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API SynapsePage *synapse_pager_read_page_finish (SynapsePager * self,
    GAsyncResult * result,
    GError ** error);

SYNAPSE_API JsonArray *synapse_pager_next_page (SynapsePager * self,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_pager_next_page_async (SynapsePager * self,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonArray *synapse_pager_next_page_finish (SynapsePager * self,
    GAsyncResult * result,
    GError ** error);

SYNAPSE_API gint64 synapse_pager_get_total_count (SynapsePager * self);

SYNAPSE_API guint synapse_pager_get_pages_fetched (SynapsePager * self);

SYNAPSE_API guint64 synapse_pager_get_position (SynapsePager * self);

SYNAPSE_API guint synapse_pager_get_prefetch (SynapsePager * self);

SYNAPSE_API void synapse_pager_set_prefetch (SynapsePager * self,
    guint prefetch);

SYNAPSE_API void synapse_pager_set_limit (SynapsePager * self,
    guint64 limit);

SYNAPSE_API void synapse_pager_set_prefetch_bytes (SynapsePager * self,
    guint64 prefetch_bytes);

SYNAPSE_API void synapse_pager_set_start_index (SynapsePager * self,
    guint64 start_index);

SYNAPSE_API void synapse_pager_set_shard (SynapsePager * self,
    guint shard_index,
    guint shard_count);

SYNAPSE_API guint64 synapse_pager_get_next_index (SynapsePager * self);

SYNAPSE_API SynapsePagination synapse_pager_get_pagination (SynapsePager * self);

G_END_DECLS
