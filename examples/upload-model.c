/* upload-model: register a trained model file with the Synapse backend.
 *
 *   SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \
 *     ./upload-model weights.pt "yolo v8" detection 1
 *
 * Build it against the installed library only:
 *
 *   cc upload-model.c -o upload-model $(pkg-config --cflags --libs synapse-1.0)
 *
 * SYNAPSE_CHUNK_SIZE sets the upload's chunk size in bytes (default 50 MiB).
 * It prints the new model's id, then the model as JSON.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>

#include <synapse/synapse.h>

static void
report (guint64 sent, guint64 total, gpointer user_data)
{
  fprintf (stderr, "uploaded %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
      " bytes\n", sent, total);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseClient) client = NULL;
  g_autoptr (JsonObject) data = json_object_new ();
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;
  const char *chunk_size = g_getenv ("SYNAPSE_CHUNK_SIZE");

  if (argc != 5) {
    fprintf (stderr, "usage: %s FILE NAME MODEL-TYPE PROJECT-ID\n", argv[0]);
    return 2;
  }

  client = synapse_client_new_from_env (&error);
  if (client == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  if (chunk_size)
    g_object_set (client, "chunk-size", g_ascii_strtoull (chunk_size, NULL,
            10), NULL);

  json_object_set_string_member (data, "file", argv[1]);
  json_object_set_string_member (data, "name", argv[2]);
  json_object_set_string_member (data, "model_type", argv[3]);
  json_object_set_int_member (data, "project", g_ascii_strtoll (argv[4], NULL,
          10));

  /* checks the data and the file, uploads it in chunks (resuming after a
   * broken connection), then creates the model */
  model = synapse_client_create_model (client, data, report, NULL, NULL,
      &error);
  if (model == NULL) {
    fprintf (stderr, "error: %s\n", error->message);
    return 1;
  }

  node = json_node_init_object (json_node_alloc (), model);
  text = json_to_string (node, FALSE);
  printf ("%" G_GINT64_FORMAT "\n%s\n", json_object_get_int_member (model,
          "id"), text);
  return 0;
}
