/* Fuzzes URL conversion: the first line of the input holds field paths
 * (comma-separated), the rest a JSON array of results. Converting must
 * visit only strings, and every cache path must stay a plain name inside
 * the cache folder.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <synapse/synapse.h>

#include "synapse-json-scan.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define CACHE "/nonexistent/cache"

static char *
check_and_mark (const char *url, gpointer user_data, GError ** error)
{
  SynapseUrlConversion *download = user_data;
  g_autofree char *path = synapse_url_conversion_get_cache_path (download,
      url);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);

  g_assert_cmpstr (dir, ==, CACHE);
  g_assert_null (strchr (name, '/'));
  g_assert_cmpstr (name, !=, "..");
  g_assert_cmpstr (name, !=, ".");
  return g_strconcat ("converted:", url, NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static SynapseClient *client;
  static SynapseUrlConversion *download;
  const char *text = (const char *) data;
  const char *newline = memchr (text, '\n', size);
  g_autofree char *field_line = NULL;
  g_auto (GStrv) fields = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (SynapseUrlConversion) conversion = NULL;
  JsonNode *root;

  if (client == NULL) {
    client = synapse_client_new ("https://api.example.com/", NULL);
    download = synapse_url_conversion_new_download (NULL, CACHE);
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
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return 0;

  conversion = synapse_url_conversion_new_converter ((const char *const *)
      fields, check_and_mark, download, NULL);
  g_assert_true (synapse_url_conversion_apply (conversion, client,
          json_node_get_array (root), NULL, NULL));
  return 0;
}
