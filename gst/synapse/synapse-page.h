/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* SynapsePage (synapse-page.c): one page of a listing, its results kept as
 * the bytes the backend sent. */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SYNAPSE_TYPE_PAGE (synapse_page_get_type ())

typedef struct _SynapsePage SynapsePage;

SYNAPSE_API GType synapse_page_get_type (void) G_GNUC_CONST;

SYNAPSE_API SynapsePage *synapse_page_ref (SynapsePage * page);

SYNAPSE_API void synapse_page_unref (SynapsePage * page);

SYNAPSE_API guint synapse_page_get_n_items (SynapsePage * page);

SYNAPSE_API GBytes *synapse_page_get_item_bytes (SynapsePage * page,
    guint index);

SYNAPSE_API GBytes *synapse_page_get_items_ndjson (SynapsePage * page);

SYNAPSE_API JsonObject *synapse_page_dup_item (SynapsePage * page,
    guint index);

SYNAPSE_API JsonNode *synapse_page_dup_item_member (SynapsePage * page,
    guint index,
    const char *path);

SYNAPSE_API JsonArray *synapse_page_dup_items (SynapsePage * page);

SYNAPSE_API guint synapse_page_get_number (SynapsePage * page);

SYNAPSE_API guint64 synapse_page_get_position (SynapsePage * page);

SYNAPSE_API gint64 synapse_page_get_total_count (SynapsePage * page);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SynapsePage, synapse_page_unref)

G_END_DECLS
