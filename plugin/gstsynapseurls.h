/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The file URLs in a listing source's events, as its url-fields and
 * url-prefix properties describe them (see gstsynapseurls.c). */

#pragma once

#include <gst/gst.h>
#include <synapse/synapse.h>

G_BEGIN_DECLS

/* the url-fields of an event when none are given */
#define GST_SYNAPSE_DEFAULT_URL_FIELDS "files"

GStrv gst_synapse_urls_parse_fields (const gchar * text);

void gst_synapse_urls_check_fields (GstElement * element,
    const gchar * const *fields, SynapsePage * page);

gboolean gst_synapse_urls_check_prefix (const gchar * prefix, GError ** error);

gchar *gst_synapse_urls_replace_origin (const gchar * url,
    const gchar * prefix);

G_END_DECLS
