/* synapse-dev-backend: a local Synapse backend for demos, scripts, benchmarks
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The first line on stdout is always
 *   synapse-dev-backend listening on http://127.0.0.1:PORT/
 * so a script can start it with --port 0 and read the URL.
 */

#include "synapse-test-backend.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  SynapseTestBackendOptions options = { 0, };
  g_autofree char *token = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_auto (GStrv) faults = NULL;
  gint port = 0, versions = 3, events = 100, models = 5, seed = 1;
  gint latency = 0, page_size = 100, max_page_size = 1000, expiry = 86400;
  gint64 max_upload = 0;
  gboolean discard = FALSE, no_log = FALSE, quiet = FALSE;
  gboolean cursor_pagination = FALSE;
  gboolean placeholder_media = FALSE;
  gboolean hide_model_upload = FALSE;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "Port on 127.0.0.1 (0: a free one)", "PORT"},
    {"token", 't', 0, G_OPTION_ARG_STRING, &token,
        "Require this access token (Synapse-Access-Token: Token …)", "TOKEN"},
    {"versions", 0, 0, G_OPTION_ARG_INT, &versions,
        "Dataset versions, ids 1..N (default 3)", "N"},
    {"events", 0, 0, G_OPTION_ARG_INT, &events,
        "Events per version (default 100)", "N"},
    {"models", 0, 0, G_OPTION_ARG_INT, &models,
        "Seeded models (default 5)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &seed, "Data seed (default 1)", "N"},
    {"latency-ms", 0, 0, G_OPTION_ARG_INT, &latency,
        "Delay every API response", "MS"},
    {"page-size", 0, 0, G_OPTION_ARG_INT, &page_size,
        "Default page size (default 100)", "N"},
    {"max-page-size", 0, 0, G_OPTION_ARG_INT, &max_page_size,
        "Largest page_size honoured (default 1000)", "N"},
    {"cursor-pagination", 0, 0, G_OPTION_ARG_NONE, &cursor_pagination,
        "Paginate listings by cursor, as DRF's CursorPagination", NULL},
    {"max-upload-bytes", 0, 0, G_OPTION_ARG_INT64, &max_upload,
          "Refuse uploads larger than this with 413 (default: no limit)",
        "BYTES"},
    {"upload-expiry", 0, 0, G_OPTION_ARG_INT, &expiry,
        "Seconds before an unfinished upload expires (default 86400)", "S"},
    {"data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
          "Keep uploads here (default: a temporary dir, removed on exit)",
        "DIR"},
    {"placeholder-media", 0, 0, G_OPTION_ARG_NONE, &placeholder_media,
        "Serve seeded bytes instead of images as the data units' files "
          "(benchmarks of the events path)", NULL},
    {"discard-uploads", 0, 0, G_OPTION_ARG_NONE, &discard,
        "Keep only the size and MD5 of uploads (benchmarks)", NULL},
    {"fault", 'f', 0, G_OPTION_ARG_STRING_ARRAY, &faults,
        "Inject a fault, e.g. \"status=503 path=sdk/ times=2 retry-after=1\" "
          "(repeatable)", "SPEC"},
    {"no-log", 0, 0, G_OPTION_ARG_NONE, &no_log,
        "Do not keep the request log (_control/requests)", NULL},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
        "Serve HTTPS with this PEM certificate", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
        "The certificate's PEM private key", "FILE"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
        "Do not print a line per request on stderr", NULL},
    {"hide-model-upload", 0, 0, G_OPTION_ARG_NONE, &hide_model_upload,
        "Leave chunked_upload out of models, as a backend that does not "
          "list it", NULL},
    {NULL}
  };
  g_autoptr (GOptionContext) context =
      g_option_context_new ("- a local Synapse backend");
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (SynapseTestBackend) backend = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *url = NULL;
  guint sigint, sigterm;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
      "Serves models/, sdk/ground_truth_events/, ground_truth_dataset_versions/,\n"
      "chunked_upload/ and media/ with deterministic data, plus _control/\n"
      "(faults, requests, events, expire-uploads, latency) for tests.\n"
      "E.g. --fault \"replace-status status=504 method=POST path=models/\" or\n"
      "--fault \"drop-response method=POST path=models/\": the model is\n"
      "created, its reply lost.\n");
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("synapse-dev-backend: %s\n", error->message);
    return EXIT_FAILURE;
  }
  if (port < 0 || port > 65535 || versions < 1 || events < 0 || models < 0
      || latency < 0 || page_size < 1 || max_page_size < 1 || expiry < 1
      || max_upload < 0 || seed < 0) {
    g_printerr ("synapse-dev-backend: a numeric option is out of range\n");
    return EXIT_FAILURE;
  }
  if (!tls_cert != !tls_key) {
    g_printerr ("synapse-dev-backend: --tls-cert and --tls-key go together\n");
    return EXIT_FAILURE;
  }
  if (tls_cert) {
    certificate = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
    if (!certificate) {
      g_printerr ("synapse-dev-backend: %s\n", error->message);
      return EXIT_FAILURE;
    }
  }

  options.token = token;
  options.versions = versions;
  options.events = events;
  options.models = models;
  options.seed = seed;
  options.port = port;
  options.latency_ms = latency;
  options.default_page_size = page_size;
  options.max_page_size = max_page_size;
  options.cursor_pagination = cursor_pagination;
  options.max_upload_bytes = max_upload;
  options.upload_expiry_s = expiry;
  options.data_dir = data_dir;
  options.tls_certificate = certificate;
  options.discard_uploads = discard;
  options.placeholder_media = placeholder_media;
  options.disable_request_log = no_log;
  options.print_requests = !quiet;
  options.hide_model_upload = hide_model_upload;

  backend = synapse_test_backend_new (&options, &error);
  if (!backend) {
    g_printerr ("synapse-dev-backend: %s\n", error->message);
    return EXIT_FAILURE;
  }
  for (guint i = 0; faults && faults[i]; i++) {
    if (!synapse_test_backend_add_fault_spec (backend, faults[i], &error)) {
      g_printerr ("synapse-dev-backend: %s\n", error->message);
      return EXIT_FAILURE;
    }
  }

  url = synapse_test_backend_dup_url (backend);
  printf ("synapse-dev-backend listening on %s\n", url);
  fflush (stdout);

  /* the backend serves from its own thread; this one only waits */
  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, quit, loop);
  sigterm = g_unix_signal_add (SIGTERM, quit, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (!quiet)
    g_printerr ("synapse-dev-backend: stopping\n");
  return EXIT_SUCCESS;
}
