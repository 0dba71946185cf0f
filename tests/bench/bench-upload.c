/* bench-upload: time one chunked upload of a file with libsynapse and
 * report it as JSON: {"seconds", "bytes", "max_rss_kib"}.
 *
 *   bench-upload URL FILE CHUNK-SIZE
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synapse/synapse.h>

#include "bench-rss.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseClient) client = NULL;
  g_autoptr (JsonObject) upload = NULL;
  gint64 start;
  double seconds;

  if (argc != 4) {
    fprintf (stderr, "usage: %s URL FILE CHUNK-SIZE\n", argv[0]);
    return 2;
  }
  client = synapse_client_new (argv[1], g_getenv ("SYNAPSE_ACCESS_TOKEN"));

  start = g_get_monotonic_time ();
  upload = synapse_client_create_chunked_upload (client, argv[2],
      g_ascii_strtoull (argv[3], NULL, 10), NULL, NULL, NULL, &error);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  if (upload == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }

  printf ("{\"seconds\": %.6f, \"bytes\": %" G_GINT64_FORMAT
      ", \"max_rss_kib\": %ld}\n", seconds,
      json_object_get_int_member_with_default (upload, "size", 0),
      bench_peak_rss_kib ());
  return 0;
}
