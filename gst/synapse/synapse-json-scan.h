/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A validating JSON scanner: it checks a whole document in one pass
 * without building a tree, bounds its nesting, and locates the results of
 * a DRF page in the bytes the backend sent. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Deeper documents are refused before any parser recurses into them. */
#define SYNAPSE_JSON_MAX_DEPTH 256

/* Where one result lies in a page's bytes. */
typedef struct
{
  gsize offset;
  gsize length;
  /* The result holds whitespace between tokens: its bytes must be
   * compacted before they are one line of NDJSON. */
  gboolean has_whitespace;
} SynapseJsonSpan;

typedef struct
{
  gboolean is_object;           /* the document is an object */
  GArray *results;              /* of SynapseJsonSpan; NULL unless
                                 * "results" is an array */
  gboolean results_are_objects;
  gint64 count;                 /* -1 when missing or null */
  gboolean count_valid;         /* FALSE: neither a whole number nor null */
  char *next;                   /* the "next" string, unescaped, or NULL */
  gboolean next_valid;          /* FALSE: neither a string nor null */
} SynapseJsonPage;

void synapse_json_page_clear (SynapseJsonPage * page);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SynapseJsonPage, synapse_json_page_clear);

/* Checks that @data is one valid JSON document (UTF-8, at most
 * SYNAPSE_JSON_MAX_DEPTH deep); on failure @error says what and where
 * (G_IO_ERROR_INVALID_DATA). */
gboolean synapse_json_validate (const char *data, gsize length,
    GError ** error);

/* Validates @data like synapse_json_validate() and, when it is an object,
 * takes out what a DRF page holds. A page that lacks members is not an
 * error here: @page says what was found. */
gboolean synapse_json_scan_page (const char *data, gsize length,
    SynapseJsonPage * page, GError ** error);

/* @data without whitespace between tokens (strings are kept as they are). */
GBytes *synapse_json_compact (const char *data, gsize length);

G_END_DECLS
