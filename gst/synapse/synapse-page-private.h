/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How the library makes pages and reaches into them: a page keeps the
 * body the backend sent and where each result lies in it (spans of the
 * page scan), so that its results go on as the backend's bytes. */

#pragma once

#include "synapse-page.h"

G_BEGIN_DECLS

/* A page that keeps @body, whose results lie at @spans (taken): the
 * @number-th page of its walk, its first result the @position-th. */
SynapsePage *synapse_page_new_raw (GBytes * body, GArray * spans,
    guint number, guint64 position, gint64 total_count);

/* The results of @page from @first on, as a page of their own. */
SynapsePage *synapse_page_new_rest (SynapsePage * page, guint first);

/* @page with its results in @body at @spans (taken). */
SynapsePage *synapse_page_new_converted (SynapsePage * page, GBytes * body,
    GArray * spans);

/* The bytes @page's results lie in, and (a copy of) where. */
GBytes *synapse_page_get_body (SynapsePage * page);

GArray *synapse_page_dup_spans (SynapsePage * page);

G_END_DECLS
