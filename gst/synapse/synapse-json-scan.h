/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The JSON scanner: one validating pass over a document, without a tree
 * (see synapse-json-scan.c), and the steps that the page scan builds on.
 * What a page holds (its results, count, next link, URLs) is
 * synapse-page-scan.h's. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SYNAPSE_JSON_ONES G_GUINT64_CONSTANT (0x0101010101010101)
#define SYNAPSE_JSON_HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

/* Whether none of the 8 bytes of @w ends a plain run in a JSON string: no
 * quote, backslash, control character or non-ASCII byte; the test that
 * lets the scanner and the writer of strings go a word at a time. (Each
 * test is exact as a whole once bytes of 0x80 and up are ruled out.) */
static inline gboolean
synapse_json_word_is_plain (guint64 w)
{
  const guint64 ones = SYNAPSE_JSON_ONES;
  guint64 quote = w ^ (ones * '"');
  guint64 backslash = w ^ (ones * '\\');

  return ((w | ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote)
          | ((backslash - ones) & ~backslash)) & SYNAPSE_JSON_HIGHS) == 0;
}

/* Deeper documents are refused before any parser recurses into them. */
#define SYNAPSE_JSON_MAX_DEPTH 256

/* Checks that @data is one valid JSON document (UTF-8, at most
 * SYNAPSE_JSON_MAX_DEPTH deep); on failure @error says what and where
 * (G_IO_ERROR_INVALID_DATA). */
gboolean synapse_json_validate (const char *data, gsize length,
    GError ** error);

/* synapse_json_validate (), and also refuses what json-glib would not
 * read back as written: an integer beyond 64 bits (it wraps), a number a
 * double cannot hold (infinite, or a non-zero one that becomes 0) and a
 * string holding U+0000 (it is cut there). Of a document that is not JSON
 * it says so (G_IO_ERROR_INVALID_DATA); of one that is, the first thing it
 * would alter, at its byte (G_IO_ERROR_NOT_SUPPORTED). */
gboolean synapse_json_validate_exact (const char *data, gsize length,
    GError ** error);

/* @data without whitespace between tokens (strings are kept as they are). */
GBytes *synapse_json_compact (const char *data, gsize length);

/* --- the steps ------------------------------------------------------------
 *
 * Each step scans what starts at a position (which must lie before the
 * end, unless said otherwise) and returns the position after it, or NULL
 * with the scanner's error set. */

typedef const guchar *SynapseJsonPos;

typedef struct
{
  SynapseJsonPos start;
  SynapseJsonPos end;
  guint depth;
  gboolean whitespace;          /* seen between tokens since last reset */
  gboolean exact;               /* see synapse_json_validate_exact () */
  gboolean reference;           /* see synapse_json_scan_set_reference () */
  GError *inexact;
  GError **error;
} SynapseJsonScanner;

/* Makes the scans started from now on take the reference steps (one
 * string byte at a time, containers by recursion) instead of the wide
 * ones, for the tests and the differential fuzzer, which hold both to the
 * same verdicts, errors and positions. Not for use while a scan runs. */
void synapse_json_scan_set_reference (gboolean reference);

/* Starts a scan of @data; returns the position of its first token. */
SynapseJsonPos synapse_json_scanner_init (SynapseJsonScanner * s,
    const char *data, gsize length, GError ** error);

/* Ends a scan whose last step returned @p: only whitespace may follow. */
gboolean synapse_json_scanner_finish (SynapseJsonScanner * s,
    SynapseJsonPos p);

/* Fails at @p with "@what at byte N"; returns NULL. */
SynapseJsonPos synapse_json_scan_fail (SynapseJsonScanner * s,
    SynapseJsonPos p, const char *what);

/* Any value (@p may be the end: a missing value). */
SynapseJsonPos synapse_json_scan_value (SynapseJsonScanner * s,
    SynapseJsonPos p);

/* A string at @p (its opening quote); decoded into @out when given. */
SynapseJsonPos synapse_json_scan_string (SynapseJsonScanner * s,
    SynapseJsonPos p, GString * out);

/* A number; *@is_integer tells whether it has no fraction or exponent. */
SynapseJsonPos synapse_json_scan_number (SynapseJsonScanner * s,
    SynapseJsonPos p, gboolean * is_integer);

/* Enters the object or array whose '{' or '[' is at @p. */
SynapseJsonPos synapse_json_scan_enter (SynapseJsonScanner * s,
    SynapseJsonPos p);

/* Scans the members of an object after its '{' has been entered, handing
 * each key (its token from @key to @key_end, and its @name_length bytes
 * decoded at @name, not NUL-terminated: in the data itself when the key
 * has no escapes, and good until @member returns) and the value's
 * position (before the end of the data) to @member. */
typedef SynapseJsonPos (*SynapseJsonMemberFunc) (SynapseJsonScanner * s,
    SynapseJsonPos key, SynapseJsonPos key_end, SynapseJsonPos p,
    const char *name, gsize name_length, gpointer data);

SynapseJsonPos synapse_json_scan_members (SynapseJsonScanner * s,
    SynapseJsonPos p, SynapseJsonMemberFunc member, gpointer data);

/* Scans the elements of an array after its '[' has been entered; @element
 * (or synapse_json_scan_value ()) scans each one, from a position before
 * the end of the data. */
typedef SynapseJsonPos (*SynapseJsonElementFunc) (SynapseJsonScanner * s,
    SynapseJsonPos p, gpointer data);

SynapseJsonPos synapse_json_scan_elements (SynapseJsonScanner * s,
    SynapseJsonPos p, SynapseJsonElementFunc element, gpointer data);

G_END_DECLS
