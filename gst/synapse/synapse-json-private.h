/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* JSON as the library writes it (request bodies, query values, the text
 * that replaces a URL in a page) and the small readers it shares. Scanning
 * what the backend sends is synapse-json-scan.c's. */

#pragma once

#include "synapse-json.h"

G_BEGIN_DECLS

/* Compact JSON text of @node, doubles as synapse_append_double () writes
 * them. */
GBytes *synapse_json_to_bytes (JsonNode * node);

/* Appends @value as Python writes a float: the shortest form that reads
 * back the same value (0.1 as 0.1, not 0.10000000000000001), with a ".0"
 * when it would read back as an integer. For request bodies and query
 * parameters alike. */
void synapse_append_double (GString * out, double value);

/* Appends @text (UTF-8) to @out as a JSON string, quotes included. */
void synapse_json_append_string (GString * out, const char *text);

/* g_utf8_validate (@text, -1, NULL), with ASCII checked a word at a time:
 * for the strings that go into JSON text once per URL. */
gboolean synapse_utf8_validate (const char *text);

/* A deep copy of @object (a new empty object for NULL), members in their
 * order. */
JsonObject *synapse_json_object_copy (JsonObject * object);

/* The member @name of @object when it is a string, else NULL (json-glib's
 * getters complain about other types rather than say so). */
const char *synapse_json_get_string (JsonObject * object, const char *name);

G_END_DECLS
