/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the listing layer asks of a conversion: its field paths, for the
 * page scan to find the URLs in the same pass as it checks the page, and
 * the conversion of a page's bytes. */

#pragma once

#include "synapse-page-scan.h"
#include "synapse-url-conversion.h"

G_BEGIN_DECLS

/* The field paths of @self, split once. */
const SynapseJsonPaths *synapse_url_conversion_get_paths (
    SynapseUrlConversion * self);

/* Converts the URLs of the results @from to @to of @body, whose results
 * lie at @spans: those in @urls (found by the page's scan), or, when it
 * is NULL, those looked for there. Returns the new bytes (@body when
 * nothing changed) and moves @spans into them. */
GBytes *synapse_url_conversion_convert_bytes (SynapseUrlConversion * self,
    SynapseClient * client, GBytes * body, GArray * spans, guint from,
    guint to, const SynapseJsonUrls * urls, GCancellable * cancellable,
    GError ** error);

/* For tests: a converter conversion whose URLs stand for local paths, so
 * that file entries get `path` in place of `url` as downloads do. */
void synapse_url_conversion_set_renames_entries (SynapseUrlConversion * self,
    gboolean renames);

G_END_DECLS
