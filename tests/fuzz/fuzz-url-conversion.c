/* Fuzzes URL conversion: the first line of the input holds field paths
 * (comma-separated), the rest a JSON array of results. Converting must
 * visit only strings, every cache path must stay a plain name inside the
 * cache folder, and the two ways of converting must agree: the bytes'
 * (the scanner finds the URLs in the page's text, which is rewritten) and
 * the tree's (json-glib objects edited), both as a converter and as
 * downloads do it (a file entry's `url` becoming `path`). They agree when
 * the converter sees the same URLs and the rewritten text parses to the
 * objects the tree conversion made.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <synapse/synapse.h>

#include "synapse-json-scan.h"
#include "synapse-page-scan.h"
#include "synapse-url-conversion-private.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define CACHE "/nonexistent/cache"

typedef struct
{
  SynapseUrlConversion *download;
  GPtrArray *seen;
} Recorder;

static char *
check_and_mark (const char *url, gpointer user_data, GError ** error)
{
  Recorder *recorder = user_data;
  g_autofree char *path =
      synapse_url_conversion_get_cache_path (recorder->download, url);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);

  g_assert_cmpstr (dir, ==, CACHE);
  g_assert_null (strchr (name, '/'));
  g_assert_cmpstr (name, !=, "..");
  g_assert_cmpstr (name, !=, ".");
  g_ptr_array_add (recorder->seen, g_strdup (url));
  return g_strconcat ("converted:", url, NULL);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

static void
assert_same_urls (GPtrArray * a, GPtrArray * b)
{
  g_ptr_array_sort (a, compare_strings);
  g_ptr_array_sort (b, compare_strings);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_cmpstr (a->pdata[i], ==, b->pdata[i]);
}

/* The page scan finds in its results what a search of each result finds. */
static void
assert_same_as_searched (const char *page, GArray * spans,
    const SynapseJsonPaths * paths, const SynapseJsonUrls * found)
{
  g_auto (SynapseJsonUrls) searched = { 0 };

  synapse_json_urls_init (&searched);
  for (guint i = 0; i < spans->len; i++) {
    SynapseJsonSpan *span = &g_array_index (spans, SynapseJsonSpan, i);

    g_assert_true (synapse_json_find_urls (page, span->offset, span->length,
            paths, i, &searched, NULL));
  }
  g_assert_cmpuint (searched.urls->len, ==, found->urls->len);
  for (guint i = 0; i < found->urls->len; i++) {
    SynapseJsonUrl *a = &g_array_index (found->urls, SynapseJsonUrl, i);
    SynapseJsonUrl *b = &g_array_index (searched.urls, SynapseJsonUrl, i);

    g_assert_cmpuint (a->offset, ==, b->offset);
    g_assert_cmpuint (a->length, ==, b->length);
    g_assert_cmpuint (a->entry, ==, b->entry);
    g_assert_cmpuint (a->field, ==, b->field);
    g_assert_cmpuint (a->n_members, ==, b->n_members);
    g_assert_cmpint (a->size, ==, b->size);
    g_assert_cmpuint (a->id_length, ==, b->id_length);
    g_assert_cmpstr (found->text->str + a->text, ==,
        searched.text->str + b->text);
    /* a URL is a string token of its result */
    g_assert_true (page[a->offset] == '"');
    g_assert_true (page[a->offset + a->length - 1] == '"');
  }
}

/* Converts @results (JSON text of an array) both ways with @conversion. */
static void
convert_both_ways (SynapseClient * client, SynapseUrlConversion * conversion,
    Recorder * recorder, const char *results, gsize size, gboolean rescan)
{
  g_autofree char *page = g_strdup_printf ("{\"results\":%.*s}", (int) size,
      results);
  g_autoptr (GBytes) body = g_bytes_new (page, strlen (page));
  g_auto (SynapseJsonPage) scan = { 0 };
  g_auto (SynapseJsonUrls) urls = { 0 };
  g_autoptr (GBytes) converted = NULL;
  g_autoptr (JsonParser) tree = json_parser_new ();
  g_autoptr (JsonParser) rewritten = json_parser_new ();
  g_autoptr (GPtrArray) tree_urls = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) byte_urls = g_ptr_array_new_with_free_func (g_free);
  JsonArray *objects, *texts;
  gsize length;
  const char *text;

  synapse_json_urls_init (&urls);
  g_assert_true (synapse_json_scan_page_urls (page, strlen (page),
          synapse_url_conversion_get_paths (conversion), G_MAXUINT, &scan,
          &urls, NULL));
  g_assert_nonnull (scan.results);
  assert_same_as_searched (page, scan.results,
      synapse_url_conversion_get_paths (conversion), &urls);

  recorder->seen = byte_urls;
  converted = synapse_url_conversion_convert_bytes (conversion, client, body,
      scan.results, 0, scan.results->len, rescan ? NULL : &urls, NULL, NULL);
  g_assert_nonnull (converted);
  text = g_bytes_get_data (converted, &length);
  g_assert_true (synapse_json_validate (text, length, NULL));
  g_assert_true (json_parser_load_from_data (rewritten, text, length, NULL));
  texts = json_object_get_array_member (json_node_get_object
      (json_parser_get_root (rewritten)), "results");
  /* the moved spans still hold each result */
  for (guint i = 0; i < scan.results->len; i++) {
    SynapseJsonSpan *span = &g_array_index (scan.results, SynapseJsonSpan, i);

    g_assert_cmpuint (span->offset + span->length, <=, length);
    g_assert_true (synapse_json_validate (text + span->offset, span->length,
            NULL));
  }

  recorder->seen = tree_urls;
  g_assert_true (json_parser_load_from_data (tree, results, size, NULL));
  objects = json_node_get_array (json_parser_get_root (tree));
  g_assert_true (synapse_url_conversion_apply (conversion, client, objects,
          NULL, NULL));

  assert_same_urls (tree_urls, byte_urls);
  g_assert_cmpuint (json_array_get_length (objects), ==,
      json_array_get_length (texts));
  for (guint i = 0; i < json_array_get_length (objects); i++)
    g_assert_true (json_node_equal (json_array_get_element (objects, i),
            json_array_get_element (texts, i)));
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static SynapseClient *client;
  static Recorder recorder;
  const char *text = (const char *) data;
  const char *newline = memchr (text, '\n', size);
  g_autofree char *field_line = NULL;
  g_auto (GStrv) fields = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (SynapseUrlConversion) conversion = NULL;

  if (client == NULL) {
    client = synapse_client_new ("https://api.example.com/", NULL);
    recorder.download = synapse_url_conversion_new_download (NULL, CACHE);
  }
  if (newline == NULL)
    return 0;
  field_line = g_strndup (text, newline - text);
  if (!g_utf8_validate (field_line, -1, NULL))
    return 0;
  fields = g_strsplit (field_line, ",", 8);

  text = newline + 1;
  size -= newline + 1 - (const char *) data;
  if (!synapse_json_validate (text, size, NULL))
    return 0;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, size, NULL))
    return 0;
  if (!JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return 0;
  /* json-glib cuts a string at \u0000, so that the tree sees another
   * string (or key) than the bytes hold: the bytes' way, which keeps such
   * strings as they are, is the one to trust there */
  if (g_strstr_len (text, size, "\\u0000"))
    return 0;

  conversion = synapse_url_conversion_new_converter ((const char *const *)
      fields, check_and_mark, &recorder, NULL);
  convert_both_ways (client, conversion, &recorder, text, size, FALSE);
  synapse_url_conversion_set_renames_entries (conversion, TRUE);
  convert_both_ways (client, conversion, &recorder, text, size, TRUE);
  return 0;
}
