/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The scan of a page's bytes, in the JSON scanner's one pass: where each
 * result of a DRF page lies (so that results go on as the bytes the
 * backend sent), its `count` and `next`, and the file URLs at a URL
 * conversion's field paths. Checking that the page is one the listing can
 * use is synapse-listing.c's; rewriting the URLs, synapse-url-conversion.c's. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

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

/* Validates @data like synapse_json_validate () and, when it is an object,
 * takes out what a DRF page holds. A page that lacks members is not an
 * error here: @page says what was found. */
gboolean synapse_json_scan_page (const char *data, gsize length,
    SynapseJsonPage * page, GError ** error);

/* The field paths a URL conversion looks at (`files`, `data_unit.files`),
 * split once. */
typedef struct _SynapseJsonPaths SynapseJsonPaths;

SynapseJsonPaths *synapse_json_paths_new (const char *const *fields);

void synapse_json_paths_free (SynapseJsonPaths * paths);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SynapseJsonPaths, synapse_json_paths_free);

/* A member of a file entry that a download rewrites: its `url` (whose key
 * becomes `path`) or an earlier `path`. Spans are of the tokens. */
typedef struct
{
  gsize key_offset;
  gsize key_length;
  gsize value_offset;
  gsize value_length;
  gboolean is_url;
} SynapseJsonMember;

/* A string at a field path: one file URL, found by the rules of
 * SynapseUrlConversion (a string is a URL; an object holding a `url`
 * string is one file entry; any other object is looked at entry by entry,
 * an array item by item; a path that crosses an array applies to each
 * item; of duplicate keys the last one counts, as in json-glib). */
typedef struct
{
  gsize offset;                 /* the string token, quotes included */
  gsize length;
  gsize text;                   /* its decoded text, in SynapseJsonUrls.text */
  guint result;                 /* the result it is in */
  guint field;                  /* the first field that reaches it */
  gboolean entry;               /* the `url` of a file entry */
  /* a file entry's: its `url` and `path` members, in
   * SynapseJsonUrls.members, and what it declares of its file */
  guint first_member;
  guint n_members;
  gint64 size;                  /* `size`, -1 when none */
  gsize checksum;               /* `checksum` in text, or G_MAXSIZE */
  /* the result's `id` value as JSON text; length 0 when it has none */
  gsize id_offset;
  gsize id_length;
} SynapseJsonUrl;

typedef struct
{
  GArray *urls;                 /* of SynapseJsonUrl, in document order */
  GArray *members;              /* of SynapseJsonMember */
  GString *text;                /* decoded texts, each ending with a NUL */
} SynapseJsonUrls;

void synapse_json_urls_init (SynapseJsonUrls * urls);

void synapse_json_urls_clear (SynapseJsonUrls * urls);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SynapseJsonUrls, synapse_json_urls_clear);

/* synapse_json_scan_page() that also finds, in its first @max_results
 * results, the URLs at @paths, into @urls (initialized). */
gboolean synapse_json_scan_page_urls (const char *data, gsize length,
    const SynapseJsonPaths * paths, guint max_results,
    SynapseJsonPage * page, SynapseJsonUrls * urls, GError ** error);

/* Finds the URLs at @paths in the value at @offset of @data (@length
 * bytes: one result, numbered @result), appending them to @urls with
 * spans counted from @data. */
gboolean synapse_json_find_urls (const char *data, gsize offset,
    gsize length, const SynapseJsonPaths * paths, guint result,
    SynapseJsonUrls * urls, GError ** error);

G_END_DECLS
