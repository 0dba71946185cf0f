/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The page object: a page's body as the backend sent it, where each of its
 * results lies in it, and its place in the listing; results are handed out
 * as their own bytes or parsed. Finding where they lie is the page scan's
 * (synapse-page-scan.c); pages are made by the pager, the ML calls and
 * the URL conversion (synapse-page-private.h). */

/**
 * SynapsePage:
 *
 * One page of a listing, as a [class@Synapse.Pager] delivers it: its results,
 * its place in the listing and the listing's total.
 *
 * A page keeps the bytes the backend sent, and
 * [method@Synapse.Page.get_item_bytes] hands out each result's own bytes
 * without parsing or serializing anything: the fast way to pass results on as
 * text (one line of NDJSON each). When the results' URLs are converted, only
 * the URL strings are rewritten in those bytes (see
 * [class@Synapse.UrlConversion]), so every other byte of a result is still the
 * backend's. [method@Synapse.Page.dup_item] parses them when asked.
 *
 * A page is used from one thread at a time.
 *
 * Since: 0.1
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include "synapse-json-scan.h"
#include "synapse-page-private.h"
#include "synapse-page-scan.h"


struct _SynapsePage
{
  gatomicrefcount ref_count;

  /* the body and where each result lies in it; the spans are those of
   * the body's results from index `first` on */
  GBytes *body;
  GArray *spans;
  guint first;
  /* the results as objects, parsed on demand */
  JsonArray *items;

  guint number;
  guint64 position;
  gint64 total_count;
};

G_DEFINE_BOXED_TYPE (SynapsePage, synapse_page, synapse_page_ref,
    synapse_page_unref);

static SynapsePage *
page_new (guint number, guint64 position, gint64 total_count)
{
  SynapsePage *page = g_new0 (SynapsePage, 1);

  g_atomic_ref_count_init (&page->ref_count);
  page->number = number;
  page->position = position;
  page->total_count = total_count;
  return page;
}

/* A page that keeps @body, whose results lie at @spans (taken). */
SynapsePage *
synapse_page_new_raw (GBytes * body, GArray * spans, guint number,
    guint64 position, gint64 total_count)
{
  SynapsePage *page = page_new (number, position, total_count);

  page->body = g_bytes_ref (body);
  page->spans = spans;
  return page;
}

SynapsePage *
synapse_page_new_rest (SynapsePage * page, guint first)
{
  SynapsePage *rest = page_new (page->number, page->position + first,
      page->total_count);
  guint n_items = synapse_page_get_n_items (page);

  rest->body = g_bytes_ref (page->body);
  rest->first = page->first + first;
  rest->spans = g_array_sized_new (FALSE, FALSE, sizeof (SynapseJsonSpan),
      n_items - first);
  g_array_append_vals (rest->spans, &g_array_index (page->spans,
          SynapseJsonSpan, first), n_items - first);
  return rest;
}

GBytes *
synapse_page_get_body (SynapsePage * page)
{
  return page->body;
}

GArray *
synapse_page_dup_spans (SynapsePage * page)
{
  GArray *spans = g_array_sized_new (FALSE, FALSE, sizeof (SynapseJsonSpan),
      page->spans->len);

  g_array_append_vals (spans, page->spans->data, page->spans->len);
  return spans;
}

SynapsePage *
synapse_page_new_converted (SynapsePage * page, GBytes * body, GArray * spans)
{
  SynapsePage *converted = synapse_page_new_raw (body, spans, page->number,
      page->position, page->total_count);

  /* the new body holds the same results, the same ones before ours */
  converted->first = page->first;
  return converted;
}

/**
 * synapse_page_ref:
 * @page: a [struct@Synapse.Page]
 *
 * Takes a reference to @page.
 *
 * Returns: (transfer full): @page
 *
 * Since: 0.1
 */
SynapsePage *
synapse_page_ref (SynapsePage * page)
{
  g_return_val_if_fail (page != NULL, NULL);

  g_atomic_ref_count_inc (&page->ref_count);
  return page;
}

/**
 * synapse_page_unref:
 * @page: (transfer full): a [struct@Synapse.Page]
 *
 * Drops a reference to @page.
 *
 * Since: 0.1
 */
void
synapse_page_unref (SynapsePage * page)
{
  g_return_if_fail (page != NULL);

  if (!g_atomic_ref_count_dec (&page->ref_count))
    return;
  g_clear_pointer (&page->body, g_bytes_unref);
  g_clear_pointer (&page->spans, g_array_unref);
  g_clear_pointer (&page->items, json_array_unref);
  g_free (page);
}

/**
 * synapse_page_get_n_items:
 * @page: a [struct@Synapse.Page]
 *
 * The number of results on the page.
 *
 * Returns: the number of results on the page
 *
 * Since: 0.1
 */
guint
synapse_page_get_n_items (SynapsePage * page)
{
  g_return_val_if_fail (page != NULL, 0);

  return page->spans->len;
}

/**
 * synapse_page_get_item_bytes:
 * @page: a [struct@Synapse.Page]
 * @index: a result's index on the page
 *
 * The result as compact JSON text, without a trailing newline: the very
 * bytes the backend sent (whitespace the backend put between tokens
 * removed), with only its converted URLs rewritten when the page was
 * converted.
 *
 * Returns: (transfer full): the result's JSON text
 *
 * Since: 0.1
 */
GBytes *
synapse_page_get_item_bytes (SynapsePage * page, guint index)
{
  SynapseJsonSpan *span;

  g_return_val_if_fail (page != NULL, NULL);
  g_return_val_if_fail (index < synapse_page_get_n_items (page), NULL);

  span = &g_array_index (page->spans, SynapseJsonSpan, index);
  if (!span->has_whitespace)
    return g_bytes_new_from_bytes (page->body, span->offset, span->length);
  return synapse_json_compact ((const char *) g_bytes_get_data (page->body,
          NULL) + span->offset, span->length);
}

/**
 * synapse_page_get_items_ndjson:
 * @page: a [struct@Synapse.Page]
 *
 * All of the page's results as NDJSON, in one block: the text of each, as
 * [method@Synapse.Page.get_item_bytes] gives it, and a newline. A raw
 * newline cannot occur inside compact JSON, so each newline ends a result.
 * This is what a consumer of every result wants, e.g. to write them out or
 * to hand each one on as a slice of the block, at the cost of one copy of
 * the page's results instead of one allocation a result.
 *
 * Returns: (transfer full): the results, one line each
 *
 * Since: 0.1
 */
GBytes *
synapse_page_get_items_ndjson (SynapsePage * page)
{
  const char *body;
  guint8 *out, *end;
  gsize size = 0;

  g_return_val_if_fail (page != NULL, NULL);

  /* compaction only takes bytes away: one allocation holds all */
  for (guint i = 0; i < page->spans->len; i++)
    size += g_array_index (page->spans, SynapseJsonSpan, i).length + 1;
  out = end = g_malloc (size);
  body = g_bytes_get_data (page->body, NULL);
  for (guint i = 0; i < page->spans->len; i++) {
    SynapseJsonSpan *span = &g_array_index (page->spans, SynapseJsonSpan, i);

    if (span->has_whitespace) {
      g_autoptr (GBytes) compact = synapse_json_compact (body + span->offset,
          span->length);
      gsize length;
      gconstpointer data = g_bytes_get_data (compact, &length);

      memcpy (end, data, length);
      end += length;
    } else {
      memcpy (end, body + span->offset, span->length);
      end += span->length;
    }
    *end++ = '\n';
  }
  return g_bytes_new_take (out, end - out);
}

/* The results as objects, parsing the body once. */
static JsonArray *
page_items (SynapsePage * page)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonArray *results;
  gsize size;
  const char *data;

  if (page->items)
    return page->items;

  parser = json_parser_new ();
  data = g_bytes_get_data (page->body, &size);
  /* the body was checked when it arrived: this cannot fail */
  if (!json_parser_load_from_data (parser, data, size, NULL))
    g_return_val_if_reached (NULL);
  results = json_object_get_array_member (json_node_get_object
      (json_parser_get_root (parser)), "results");
  page->items = json_array_sized_new (page->spans->len);
  for (guint i = 0; i < page->spans->len; i++)
    json_array_add_element (page->items,
        json_node_ref (json_array_get_element (results, page->first + i)));
  return page->items;
}

/**
 * synapse_page_dup_item:
 * @page: a [struct@Synapse.Page]
 * @index: a result's index on the page
 *
 * The result at @index, parsed; the page's bytes are parsed once, on the
 * first call.
 *
 * Returns: (transfer full): the result as an object
 *
 * Since: 0.1
 */
JsonObject *
synapse_page_dup_item (SynapsePage * page, guint index)
{
  g_return_val_if_fail (page != NULL, NULL);
  g_return_val_if_fail (index < synapse_page_get_n_items (page), NULL);

  return json_object_ref (json_array_get_object_element (page_items (page),
          index));
}

/* --- one value, built from the scanner: the bytes were checked when the
 * page arrived, and a JsonParser costs more than the little it reads --- */

static SynapseJsonPos build_value (SynapseJsonScanner * s, SynapseJsonPos p,
    JsonNode ** out);

static SynapseJsonPos
build_member (SynapseJsonScanner * s, SynapseJsonPos key,
    SynapseJsonPos key_end, SynapseJsonPos p, const char *name,
    gsize name_length, gpointer data)
{
  /* the name, cut at a U+0000 as in a parse */
  g_autofree char *member_name = g_strndup (name, name_length);
  JsonNode *value = NULL;

  p = build_value (s, p, &value);
  /* the last of duplicate keys wins, as in a parse */
  if (value)
    json_object_set_member (data, member_name, value);
  return p;
}

static SynapseJsonPos
build_element (SynapseJsonScanner * s, SynapseJsonPos p, gpointer data)
{
  JsonNode *value = NULL;

  p = build_value (s, p, &value);
  if (value)
    json_array_add_element (data, value);
  return p;
}

/* A number as json-glib reads it: a whole number that fits a gint64 is an
 * integer, anything else a double. */
static JsonNode *
build_number (SynapseJsonPos start, SynapseJsonPos end, gboolean is_integer)
{
  char text[64];
  g_autofree char *long_text = NULL;
  const char *digits = text;
  gint64 integer;

  if ((gsize) (end - start) < sizeof text) {
    memcpy (text, start, end - start);
    text[end - start] = '\0';
  } else {
    digits = long_text = g_strndup ((const char *) start, end - start);
  }
  if (is_integer) {
    errno = 0;
    integer = g_ascii_strtoll (digits, NULL, 10);
    if (errno == 0)
      return json_node_init_int (json_node_alloc (), integer);
  }
  return json_node_init_double (json_node_alloc (), g_ascii_strtod (digits,
          NULL));
}

static SynapseJsonPos
build_value (SynapseJsonScanner * s, SynapseJsonPos p, JsonNode ** out)
{
  SynapseJsonPos end;
  gboolean is_integer;

  switch (*p) {
    case '{':{
      JsonObject *object = json_object_new ();

      *out = json_node_init_object (json_node_alloc (), object);
      json_object_unref (object);
      return (p = synapse_json_scan_enter (s, p))
          ? synapse_json_scan_members (s, p, build_member, object) : NULL;
    }
    case '[':{
      JsonArray *array = json_array_new ();

      *out = json_node_init_array (json_node_alloc (), array);
      json_array_unref (array);
      return (p = synapse_json_scan_enter (s, p))
          ? synapse_json_scan_elements (s, p, build_element, array) : NULL;
    }
    case '"':{
      g_autoptr (GString) text = g_string_new (NULL);

      if ((end = synapse_json_scan_string (s, p, text)))
        *out = json_node_init_string (json_node_alloc (), text->str);
      return end;
    }
    case 't':
    case 'f':
      *out = json_node_init_boolean (json_node_alloc (), *p == 't');
      return synapse_json_scan_value (s, p);
    case 'n':
      *out = json_node_init_null (json_node_alloc ());
      return synapse_json_scan_value (s, p);
    default:
      if ((end = synapse_json_scan_number (s, p, &is_integer)))
        *out = build_number (p, end, is_integer);
      return end;
  }
}

/* The search for the value at a dot path in one result: as a parse
 * would, the last of duplicate keys wins. */
typedef struct
{
  char **names;                 /* the path's names left */
  SynapseJsonPos start;         /* the value, once found */
  SynapseJsonPos end;
} PathSearch;

static SynapseJsonPos
find_path_member (SynapseJsonScanner * s, SynapseJsonPos key,
    SynapseJsonPos key_end, SynapseJsonPos p, const char *name,
    gsize name_length, gpointer data)
{
  PathSearch *search = data;
  PathSearch inner = { search->names + 1, NULL, NULL };

  /* (a name holding U+0000 is no path's) */
  if (name_length != strlen (search->names[0])
      || memcmp (name, search->names[0], name_length) != 0)
    return synapse_json_scan_value (s, p);
  search->start = search->end = NULL;
  if (search->names[1] == NULL) {
    search->start = p;
    return search->end = synapse_json_scan_value (s, p);
  }
  /* the path goes on through an object, or finds nothing here */
  if (*p != '{')
    return synapse_json_scan_value (s, p);
  if (!(p = synapse_json_scan_enter (s, p))
      || !(p = synapse_json_scan_members (s, p, find_path_member, &inner)))
    return NULL;
  search->start = inner.start;
  search->end = inner.end;
  return p;
}

/**
 * synapse_page_dup_item_member:
 * @page: a [struct@Synapse.Page]
 * @index: a result's index on the page
 * @path: a dot path of member names, e.g. `id` or `data_unit.files`
 *
 * The value at @path in the result at @index, read alone: the result's
 * bytes are scanned to the value and only the value is read, into the
 * nodes a parse would give (numbers as json-glib reads them: a whole
 * number that fits a #gint64 is an integer, anything else a double), so
 * reading a few members of each result costs much less than
 * [method@Synapse.Page.dup_item], which parses the whole page.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL when the
 *   result has no such member
 *
 * Since: 0.1
 */
JsonNode *
synapse_page_dup_item_member (SynapsePage * page, guint index,
    const char *path)
{
  g_auto (GStrv) names = NULL;
  PathSearch search = { NULL, NULL, NULL };
  SynapseJsonScanner s;
  SynapseJsonSpan *span;
  SynapseJsonPos p;
  JsonNode *value = NULL;

  g_return_val_if_fail (page != NULL, NULL);
  g_return_val_if_fail (index < synapse_page_get_n_items (page), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  span = &g_array_index (page->spans, SynapseJsonSpan, index);
  names = g_strsplit (path, ".", -1);
  search.names = names;
  /* the body was checked when it arrived: the scan cannot fail */
  p = synapse_json_scanner_init (&s, (const char *) g_bytes_get_data
      (page->body, NULL) + span->offset, span->length, NULL);
  if (p && *p == '{' && (p = synapse_json_scan_enter (&s, p)))
    p = synapse_json_scan_members (&s, p, find_path_member, &search);
  if (p == NULL || search.start == NULL)
    return NULL;
  p = synapse_json_scanner_init (&s, (const char *) search.start,
      search.end - search.start, NULL);
  if (p == NULL || build_value (&s, p, &value) == NULL)
    g_clear_pointer (&value, json_node_unref);
  return value;
}

/**
 * synapse_page_dup_items:
 * @page: a [struct@Synapse.Page]
 *
 * Every result of the page, parsed.
 *
 * Returns: (transfer full): the results as an array of objects
 *
 * Since: 0.1
 */
JsonArray *
synapse_page_dup_items (SynapsePage * page)
{
  g_return_val_if_fail (page != NULL, NULL);

  return json_array_ref (page_items (page));
}

/**
 * synapse_page_get_number:
 * @page: a [struct@Synapse.Page]
 *
 * Where the page comes among the pages of the walk.
 *
 * Returns: the page's place among the pages of the walk, from 1
 *
 * Since: 0.1
 */
guint
synapse_page_get_number (SynapsePage * page)
{
  g_return_val_if_fail (page != NULL, 0);

  return page->number;
}

/**
 * synapse_page_get_position:
 * @page: a [struct@Synapse.Page]
 *
 * Where the page's first result comes in the whole listing.
 *
 * Returns: the index in the whole listing of the page's first result
 *
 * Since: 0.1
 */
guint64
synapse_page_get_position (SynapsePage * page)
{
  g_return_val_if_fail (page != NULL, 0);

  return page->position;
}

/**
 * synapse_page_get_total_count:
 * @page: a [struct@Synapse.Page]
 *
 * The backend's count of results in the whole listing.
 *
 * Returns: the backend's count of results in the whole listing, or -1
 *   when it gave none
 *
 * Since: 0.1
 */
gint64
synapse_page_get_total_count (SynapsePage * page)
{
  g_return_val_if_fail (page != NULL, -1);

  return page->total_count;
}
