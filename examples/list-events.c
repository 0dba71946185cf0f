/* list-events: print the ground-truth events of dataset versions as NDJSON.
 *
 *   SYNAPSE_BACKEND_URL=https://api.example.com/ SYNAPSE_ACCESS_TOKEN=… \
 *     ./list-events 12 13 > events.ndjson
 *
 * Build it against the installed library only:
 *
 *   cc list-events.c -o list-events $(pkg-config --cflags --libs synapse-1.0)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>

#include <synapse/synapse.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseClient) client = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) versions = json_array_new ();
  g_autoptr (SynapsePager) pager = NULL;
  JsonObject *event;

  if (argc < 2) {
    fprintf (stderr, "usage: %s VERSION-ID…\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    json_array_add_int_element (versions, g_ascii_strtoll (argv[i], NULL,
            10));
  json_object_set_array_member (params, "ground_truth_dataset_versions",
      g_steal_pointer (&versions));

  /* SYNAPSE_BACKEND_URL, SYNAPSE_ACCESS_TOKEN, SYNAPSE_TENANT */
  client = synapse_client_new_from_env (&error);
  if (client == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }

  /* one page in memory at a time, however many events there are */
  pager = synapse_client_iter_ground_truth_events (client, params, NULL);
  while ((event = synapse_pager_next (pager, NULL, &error))) {
    g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (),
        event);
    g_autofree char *line = json_to_string (node, FALSE);

    puts (line);
    json_object_unref (event);
  }
  if (error) {
    fprintf (stderr, "error: %s\n", error->message);
    if (error->domain == SYNAPSE_CLIENT_ERROR)
      fprintf (stderr, "http-status: %u\n",
          synapse_client_error_get_status_code (error));
    return 1;
  }
  fprintf (stderr, "%" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT " events\n",
      synapse_pager_get_position (pager),
      synapse_pager_get_total_count (pager));
  return 0;
}
