/* Fuzzes query parameter encoding: any JSON object as params gives a URL
 * that parses, carries no raw space or control character, and keeps the
 * base URL's origin.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <synapse/synapse.h>

#include "synapse-json-scan.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static void
check_url (SynapseClient * client, const char *path, JsonObject * params)
{
  g_autofree char *url = synapse_client_build_url (client, path, params);
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

  g_assert_nonnull (uri);
  for (const char *c = url; *c; c++)
    g_assert_true ((guchar) * c > 0x20 && (guchar) * c < 0x7f);
  g_assert_true (synapse_client_is_backend_origin (client, url));
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  static SynapseClient *client;
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;

  if (client == NULL)
    client = synapse_client_new ("https://api.example.com/v1/", NULL);
  /* the library only parses what its scanner accepted */
  if (!synapse_json_validate ((const char *) data, size, NULL))
    return 0;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) data, size, NULL))
    return 0;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return 0;

  check_url (client, "sdk/ground_truth_events/", json_node_get_object (root));
  check_url (client, "https://api.example.com/v1/models/?page=2",
      json_node_get_object (root));
  return 0;
}
