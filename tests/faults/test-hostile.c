/* test-hostile.c: the elements against a hostile or untrusted backend
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The element side of what tests/lib proves for the library:
 *
 * - TLS is verified by default: against an HTTPS backend whose certificate
 *   no trusted authority signed, both elements fail with a clear error
 *   before any request (so before any credential) reaches it, unless the
 *   user gives the authority (ca-file) or opts out (ssl-strict=false);
 * - a huge or deeply nested answer is refused with a clear error, by
 *   either element, without crashing or parsing it;
 * - downloaded files stay in download-dir, whatever the file URLs say
 *   (`..`, encoded separators, absolute paths, NUL bytes);
 * - the backend's error text (escape sequences, BEL) reaches messages with
 *   its control characters replaced.
 */

#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "kit-gst.h"

#define TOKEN "hostile-Token-0d5e7a21"
#define EVENTS 12
#define CHUNK 65536

typedef struct
{
  SynapseTestBackend *backend;
  gchar *url;
  gchar *dir;
  gchar *input;                 /* a model file */
  guint models;
} Fixture;

static void
fixture_init (Fixture * f, GTlsCertificate * certificate)
{
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 1,
    .events = EVENTS,
    .models = 2,
    .seed = 4,
    .tls_certificate = certificate,
  };
  g_autoptr (GBytes) data = kit_make_bytes (2 * CHUNK + 3, 8);

  f->backend = kit_backend_new (&options, &f->url);
  f->dir = kit_make_tmp_dir ();
  f->input = kit_write_file (f->dir, "model.bin", data);
  f->models = synapse_test_backend_count_models (f->backend);
}

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  fixture_init (f, NULL);
}

static void
fixture_set_up_tls (Fixture * f, gconstpointer data)
{
  g_autoptr (GTlsCertificate) certificate = kit_dup_test_certificate ();

  fixture_init (f, certificate);
  g_assert_true (g_str_has_prefix (f->url, "https://"));
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->backend);
  kit_clear_tmp_dir (&f->dir);
  g_free (f->url);
  g_free (f->input);
}

typedef enum
{
  GTSRC,
  MODELSINK,
} Which;

static const gchar *const which_names[] = { "synapsegtsrc",
  "synapsemodelsink"
};

/* The element of @which, pointed at the backend with the token (a
 * property, never in the launch line) and @props, run to its end. */
static GstElement *
run_element (Fixture * f, Which which, const gchar * props, KitRun * run)
{
  g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson", NULL);
  g_autofree gchar *launch = which == GTSRC ?
      g_strdup_printf ("synapsegtsrc name=el retries=0 dataset-versions=1 "
      "%s ! filesink location=\"%s\"", props, output) :
      g_strdup_printf ("filesrc location=\"%s\" ! synapsemodelsink name=el "
      "retries=0 chunk-size=%u model-name=hostile model-type=detection "
      "project=1 %s", f->input, CHUNK, props);
  GstElement *pipeline = kit_pipeline_new (launch, "el", f->url, TOKEN);

  kit_run_pipeline (run, pipeline);
  return pipeline;
}

static void
assert_failed (Fixture * f, Which which, KitRun * run, gint code,
    const gchar * says, const gchar * debug_says)
{
  if (run->gerror == NULL)
    g_error ("%s: expected an error saying \"%s\"", which_names[which], says);
  g_test_message ("%s: %s (%s)", which_names[which], run->gerror->message,
      run->debug);
  g_assert_error (run->gerror, GST_RESOURCE_ERROR, code);
  if (!strstr (run->gerror->message, says))
    g_error ("\"%s\" does not say \"%s\"", run->gerror->message, says);
  if (debug_says && !strstr (run->debug, debug_says))
    g_error ("\"%s\" does not say \"%s\"", run->debug, debug_says);
  /* no model from a failed upload */
  if (which == MODELSINK)
    g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
        f->models);
}

static void
assert_succeeded (Fixture * f, Which which, KitRun * run)
{
  if (run->gerror)
    g_error ("%s: %s (%s)", which_names[which], run->gerror->message,
        run->debug);
  g_assert_true (run->eos);
  if (which == MODELSINK)
    g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
        f->models + 1);
}

/* --- TLS ---------------------------------------------------------------- */

static void
test_untrusted_certificate_refused (Fixture * f, gconstpointer data)
{
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    g_auto (KitRun) run = { 0 };
    g_autoptr (GstElement) pipeline = run_element (f, which, "", &run);
    g_autofree gchar *origin = g_strndup (f->url, strlen (f->url) - 1);

    assert_failed (f, which, &run, which == GTSRC ? GST_RESOURCE_ERROR_READ :
        GST_RESOURCE_ERROR_WRITE, "certificate", NULL);
    g_assert_nonnull (strstr (run.gerror->message, "is not trusted"));
    g_assert_nonnull (strstr (run.gerror->message, origin));
  }
  /* the handshake failed: no request, so no token, reached the server */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

static void
test_certificate_trusted_through_ca_file (Fixture * f, gconstpointer data)
{
  g_autofree gchar *ca = kit_data_file ("ca.pem");
  g_autofree gchar *props = g_strdup_printf ("ca-file=\"%s\"", ca);

  for (Which which = GTSRC; which <= MODELSINK; which++) {
    g_auto (KitRun) run = { 0 };
    g_autoptr (GstElement) pipeline = run_element (f, which, props, &run);
    g_autofree gchar *read_back = NULL;

    assert_succeeded (f, which, &run);
    g_object_get (kit_get_element (pipeline, "el"), "ca-file", &read_back,
        NULL);
    g_assert_cmpstr (read_back, ==, ca);
  }
}

static void
test_certificate_check_opted_out (Fixture * f, gconstpointer data)
{
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    g_auto (KitRun) run = { 0 };
    g_autoptr (GstElement) pipeline = run_element (f, which,
        "ssl-strict=false", &run);

    assert_succeeded (f, which, &run);
  }
}

static void
test_bad_ca_file (Fixture * f, gconstpointer data)
{
  g_autofree gchar *not_pem = g_build_filename (f->dir, "not.pem", NULL);
  const gchar *files[] = { "/nonexistent/ca.pem", not_pem };

  g_assert_true (g_file_set_contents (not_pem, "no certificate here\n", -1,
          NULL));
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
      g_autofree gchar *props = g_strdup_printf ("ca-file=\"%s\"", files[i]);
      g_auto (KitRun) run = { 0 };
      g_autoptr (GstElement) pipeline = run_element (f, which, props, &run);

      assert_failed (f, which, &run, GST_RESOURCE_ERROR_SETTINGS,
          "Cannot use the ca-file", NULL);
      g_assert_nonnull (strstr (run.gerror->message, files[i]));
    }
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

/* --- huge and deeply nested answers ------------------------------------- */

static void
test_deep_nesting_refused (Fixture * f, gconstpointer data)
{
  g_autoptr (GString) deep = g_string_new ("{\"count\": 1, \"results\": [");

  /* a million levels would overflow a recursive parser's stack */
  for (guint i = 0; i < 1000000; i++)
    g_string_append_c (deep, '[');
  kit_answer_with (f->backend, "GET", "sdk/ground_truth_events/", deep->str);
  kit_answer_with (f->backend, "PUT", "chunked_upload/", deep->str);

  for (Which which = GTSRC; which <= MODELSINK; which++) {
    g_auto (KitRun) run = { 0 };
    g_autoptr (GstElement) pipeline = run_element (f, which, "", &run);

    assert_failed (f, which, &run, which == GTSRC ? GST_RESOURCE_ERROR_READ :
        GST_RESOURCE_ERROR_WRITE, "could not be understood",
        "nesting deeper than");
  }
}

static void
test_huge_answer_refused (Fixture * f, gconstpointer data)
{
  /* one byte over the client's 64 MiB limit */
  gsize size = 64 * 1024 * 1024 + 1;
  gchar *huge = g_malloc (size + 1);

  memset (huge, ' ', size);
  huge[0] = '[';
  huge[size - 1] = ']';
  huge[size] = '\0';
  kit_answer_with (f->backend, "GET", "sdk/ground_truth_events/", huge);
  kit_answer_with (f->backend, "PUT", "chunked_upload/", huge);
  g_free (huge);

  for (Which which = GTSRC; which <= MODELSINK; which++) {
    g_auto (KitRun) run = { 0 };
    g_autoptr (GstElement) pipeline = run_element (f, which, "", &run);

    assert_failed (f, which, &run, which == GTSRC ? GST_RESOURCE_ERROR_READ :
        GST_RESOURCE_ERROR_WRITE, "could not be understood",
        "exceeds the limit");
  }
}

/* --- the backend's words ---------------------------------------------- */

/* GStreamer puts a line break of its own in a debug string: @lines allows
 * them. */
static void
assert_printable (const gchar * text, gboolean lines, const gchar * what)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const gchar * p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (lines && c == '\n')
      continue;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0))
      g_error ("%s holds the control character U+%04X: %s", what, c, text);
  }
}

/* An error answer holding terminal escape sequences and BEL reaches the
 * application's message, debug string and server-detail with them
 * replaced: printing an error never drives the terminal. */
static void
test_server_text_quoted_safely (Fixture * f, gconstpointer data)
{
  SynapseTestFault fault = {
    .kind = SYNAPSE_TEST_FAULT_STATUS,
    .status = 400,
    .retry_after = -1,
    .body = "{\"name\": [\"\\u001b]0;owned\\u0007\\u001b[2J\\u001b[31m"
        "Bad name\\u0007\"]}",
  };

  synapse_test_backend_add_fault (f->backend, &fault);
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    g_auto (KitRun) run = { 0 };
    const gchar *detail;

    /* the run keeps what was posted */
    gst_object_unref (run_element (f, which, "", &run));
    assert_failed (f, which, &run, which == GTSRC ? GST_RESOURCE_ERROR_READ :
        GST_RESOURCE_ERROR_WRITE, "HTTP 400", "Bad name");
    assert_printable (run.gerror->message, FALSE, "the error message");
    assert_printable (run.debug, TRUE, "the debug string");
    detail = gst_structure_get_string (run.details, "server-detail");
    assert_printable (detail, FALSE, "server-detail");
    g_assert_nonnull (strstr (detail, "Bad name"));
  }
}

/* --- download names ----------------------------------------------------- */

/* File URLs on the backend's own origin (it serves any media/ path) whose
 * names try to leave the folder. */
static const gchar *const hostile_paths[] = {
  "media/..%2F..%2F..%2F..%2Fescape-1.png",
  "media/x.%2e%2e%2fescape-2",
  "media/%2Ftmp%2Fescape-3.png",
  "media/evil.sh%00.jpg",
  "media/a%5C..%5C..%5Cescape-4.png",
  "media/.hidden",
  "media/name.with%20spaces",
};

static gchar *
to_hostile (GstElement * src, const gchar * url, gpointer user_data)
{
  Fixture *f = user_data;
  static gint next = 0;
  guint i = (guint) g_atomic_int_add (&next, 1) % G_N_ELEMENTS (hostile_paths);

  return g_strconcat (f->url, hostile_paths[i], NULL);
}

static void
assert_tree_holds_only (const gchar * root, const gchar * cache,
    const gchar * output)
{
  GDir *dir = g_dir_open (root, 0, NULL);
  const gchar *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_build_filename (root, name, NULL);

    if (g_str_equal (path, cache) || g_str_equal (path, output)
        || g_str_has_suffix (path, "/model.bin"))
      continue;
    g_error ("%s was written outside the download folder", path);
  }
  g_dir_close (dir);
}

static void
test_download_names_stay_in_folder (Fixture * f, gconstpointer data)
{
  /* the download folder two levels down, so that `../..` lands in the
   * test's own folder, where nothing else may appear */
  g_autofree gchar *cache = g_build_filename (f->dir, "cache", NULL);
  g_autofree gchar *deep = g_build_filename (cache, "a", "b", NULL);
  g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson", NULL);
  g_autofree gchar *launch = g_strdup_printf ("synapsegtsrc name=el "
      "retries=0 dataset-versions=1 download-dir=\"%s\" ! filesink "
      "location=\"%s\"", deep, output);
  g_autoptr (GstElement) pipeline = kit_pipeline_new (launch, "el", f->url,
      TOKEN);
  g_autoptr (JsonArray) events = NULL;
  g_auto (KitRun) run = { 0 };
  guint files = 0;

  g_signal_connect (kit_get_element (pipeline, "el"), "convert-url",
      G_CALLBACK (to_hostile), f);
  kit_run_pipeline (&run, pipeline);
  assert_succeeded (f, GTSRC, &run);

  /* every file is in the folder, named after the URL's MD5 */
  events = kit_read_ndjson (output);
  g_assert_cmpuint (json_array_get_length (events), ==, EVENTS);
  for (guint i = 0; i < json_array_get_length (events); i++) {
    JsonObject *event_files = json_object_get_object_member
        (json_array_get_object_element (events, i), "files");
    GList *keys = json_object_get_members (event_files);

    for (GList * l = keys; l; l = l->next) {
      const gchar *local = json_object_get_string_member (event_files,
          l->data);
      g_autofree gchar *parent = g_path_get_dirname (local);
      g_autofree gchar *name = g_path_get_basename (local);

      g_assert_cmpstr (parent, ==, deep);
      g_assert_cmpuint (strspn (name, "0123456789abcdef"), ==, 32);
      g_assert_true (g_file_test (local, G_FILE_TEST_IS_REGULAR));
      files++;
    }
    g_list_free (keys);
  }
  g_assert_cmpuint (files, ==, 2 * EVENTS);
  /* and nothing anywhere else */
  assert_tree_holds_only (f->dir, cache, output);
  for (guint i = 1; i <= 4; i++) {
    g_autofree gchar *name = g_strdup_printf ("/tmp/escape-%u.png", i);

    g_assert_false (g_file_test (name, G_FILE_TEST_EXISTS));
  }
}

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

  g_test_add ("/hostile/tls/untrusted-refused", Fixture, NULL,
      fixture_set_up_tls, test_untrusted_certificate_refused,
      fixture_tear_down);
  g_test_add ("/hostile/tls/ca-file", Fixture, NULL, fixture_set_up_tls,
      test_certificate_trusted_through_ca_file, fixture_tear_down);
  g_test_add ("/hostile/tls/opt-out", Fixture, NULL, fixture_set_up_tls,
      test_certificate_check_opted_out, fixture_tear_down);
  g_test_add ("/hostile/tls/bad-ca-file", Fixture, NULL, fixture_set_up_tls,
      test_bad_ca_file, fixture_tear_down);
  g_test_add ("/hostile/json/deep-nesting", Fixture, NULL, fixture_set_up,
      test_deep_nesting_refused, fixture_tear_down);
  g_test_add ("/hostile/json/huge-answer", Fixture, NULL, fixture_set_up,
      test_huge_answer_refused, fixture_tear_down);
  g_test_add ("/hostile/words/server-text-quoted-safely", Fixture, NULL,
      fixture_set_up, test_server_text_quoted_safely, fixture_tear_down);
  g_test_add ("/hostile/download/names-stay-in-folder", Fixture, NULL,
      fixture_set_up, test_download_names_stay_in_folder, fixture_tear_down);

  return g_test_run ();
}
