/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* JSON for callers that send what users wrote: the exact parse, which
 * refuses what json-glib would alter, and the writer the library writes
 * request bodies with (synapse-json.c). */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

SYNAPSE_API JsonNode *synapse_json_parse_exact (const char * text,
    gssize length,
    GError ** error);

SYNAPSE_API char *synapse_json_to_string (JsonNode * node);

G_END_DECLS
