/* test-secrets.c: the access token never leaks, and the token file
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Proofs that the credentials stay where they belong:
 *
 * - they are never sent to another origin: a foreign `next` link
 *   (synapsegtsrc; the library's proof is in tests/lib/test-client.c), a
 *   foreign upload `url` (library and synapsemodelsink), a foreign file URL
 *   downloaded with download-dir (library and synapsegtsrc) or fetched into
 *   memory (synapsemediasrc, also in the debug log's runs). A second
 *   backend plays the foreign origin; its request log must hold no
 *   credential header and no token anywhere;
 * - the token never appears in a bus message (every message's structure
 *   serialized, error and warning details included), in property reads
 *   (every readable property, and the pipeline's dot graph), in
 *   gst-inspect-1.0 or gst-launch-1.0 -v -m output, or in a GST_DEBUG=*:9
 *   log with G_MESSAGES_DEBUG=all, for a token given by property, by the
 *   environment or by access-token-file;
 * - access-token-file: the token is the file's content without the
 *   surrounding whitespace, read at start; a missing, unreadable, empty,
 *   multi-line file, or access-token set as well, is a RESOURCE SETTINGS
 *   error at start that names the file and never its content; the file
 *   replaces a token from SYNAPSE_ACCESS_TOKEN.
 */

#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

#include "kit-gst.h"

#define TOKEN "secrets-Token-b8e2f4a1"
#define FILE_TOKEN "secrets-FileToken-61d0aa3c"
#define WRONG_TOKEN "secrets-Wrong-9c3d7e55"
#define ENV_TOKEN "secrets-EnvToken-27f9c013"
#define AUTH_TOKEN "secrets-Auth-5a7e10bb"
#define AGENT_TOKEN "secrets-Agent-d3c4e2f0"
#define CTRL_TOKEN "secrets-Ctrl-0b9e61f7"
/* a password in base-url */
#define PASSWORD "secrets-Password-7c2d90ae"
#define USERINFO "synapse-user:" PASSWORD
#define EVENTS 25
#define CHUNK 65536
/* what the elements read back for a token that is set */
#define MASK "********"

static const gchar *const secrets[] = {
  TOKEN, FILE_TOKEN, WRONG_TOKEN, ENV_TOKEN, AUTH_TOKEN, AGENT_TOKEN,
  CTRL_TOKEN, PASSWORD, NULL
};

typedef struct
{
  SynapseTestBackend *backend;  /* the Synapse backend, wants TOKEN */
  SynapseTestBackend *foreign;  /* another origin, same data, no auth */
  gchar *url;
  gchar *foreign_url;
  gchar *dir;
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {
    .token = data ? data : TOKEN,
    .versions = 1,
    .events = EVENTS,
    .models = 2,
    .seed = 9,
  };
  SynapseTestBackendOptions foreign_options = options;

  foreign_options.token = NULL;
  f->backend = kit_backend_new (&options, &f->url);
  f->foreign = kit_backend_new (&foreign_options, &f->foreign_url);
  f->dir = kit_make_tmp_dir ();
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->backend);
  g_clear_object (&f->foreign);
  kit_clear_tmp_dir (&f->dir);
  g_free (f->url);
  g_free (f->foreign_url);
}

/* --- what must hold ----------------------------------------------------- */

static gboolean
is_credential_header (const gchar * name)
{
  return !g_ascii_strcasecmp (name, "Synapse-Access-Token")
      || !g_ascii_strcasecmp (name, "Authorization")
      || !g_ascii_strcasecmp (name, "SYNAPSE-Agent")
      || !g_ascii_strcasecmp (name, "Synapse-Tenant");
}

/* The foreign origin got requests (the test did reach it), none with a
 * credential header, and no token anywhere in them. */
static void
assert_foreign_got_no_credentials (Fixture * f)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests
      (f->foreign);

  g_assert_cmpuint (requests->len, >, 0);
  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];
    SoupMessageHeadersIter iter;
    const gchar *name, *value;

    kit_assert_no_secret_in (request->path, secrets,
        "a request path to another origin");
    kit_assert_no_secret_in (request->query, secrets,
        "a query to another origin");
    soup_message_headers_iter_init (&iter, request->headers);
    while (soup_message_headers_iter_next (&iter, &name, &value)) {
      if (is_credential_header (name))
        g_error ("%s %s on another origin carried %s", request->method,
            request->path, name);
      kit_assert_no_secret_in (value, secrets,
          "a header sent to another origin");
    }
  }
}

/* The backend's own origin did get the token, as `Token <token>`. */
static void
assert_backend_got_token (Fixture * f, const gchar * token)
{
  g_autofree gchar *want = g_strconcat ("Token ", token, NULL);
  g_autofree gchar *sent = kit_dup_request_header (f->backend, NULL, 0,
      "Synapse-Access-Token");

  g_assert_cmpstr (sent, ==, want);
}

/* Every readable property of @element, and the dot graph of @pipeline,
 * hold no token. */
static void
assert_properties_have_no_secret (GstElement * pipeline, GstElement * element)
{
  guint n = 0;
  g_autofree GParamSpec **pspecs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (element), &n);
  g_autofree gchar *dot = NULL;

  for (guint i = 0; i < n; i++) {
    g_auto (GValue) value = G_VALUE_INIT;
    g_autofree gchar *text = NULL;

    if (!(pspecs[i]->flags & G_PARAM_READABLE))
      continue;
    g_value_init (&value, pspecs[i]->value_type);
    g_object_get_property (G_OBJECT (element), pspecs[i]->name, &value);
    text = g_strdup_value_contents (&value);
    kit_assert_no_secret_in (text, secrets, pspecs[i]->name);
  }
  dot = gst_debug_bin_to_dot_data (GST_BIN (pipeline),
      GST_DEBUG_GRAPH_SHOW_ALL);
  kit_assert_no_secret_in (dot, secrets, "the pipeline's dot graph");
}

/* --- helpers ------------------------------------------------------------ */

static gchar *
write_token_file (Fixture * f, const gchar * name, const gchar * content)
{
  gchar *path = g_build_filename (f->dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
  return path;
}

static GstElement *
gtsrc_pipeline (Fixture * f, const gchar * props, const gchar * token,
    const gchar * output)
{
  g_autofree gchar *launch = g_strdup_printf ("synapsegtsrc name=src "
      "dataset-versions=1 page-size=10 retries=1 retry-backoff-factor=0.01 "
      "%s ! filesink buffer-mode=unbuffered location=\"%s\"", props, output);

  return kit_pipeline_new (launch, "src", f->url, token);
}

static GstElement *
modelsink_pipeline (Fixture * f, const gchar * props, const gchar * token,
    const gchar * input)
{
  g_autofree gchar *launch = g_strdup_printf ("filesrc location=\"%s\" ! "
      "synapsemodelsink name=sink chunk-size=%u retries=1 "
      "retry-backoff-factor=0.01 model-name=secret-model "
      "model-type=detection project=1 %s", input, CHUNK, props);

  return kit_pipeline_new (launch, "sink", f->url, token);
}

static GstElement *
mediasrc_pipeline (Fixture * f, const gchar * props, const gchar * token)
{
  g_autofree gchar *launch = g_strdup_printf ("synapsemediasrc name=src "
      "dataset-versions=1 page-size=10 retries=1 retry-backoff-factor=0.01 "
      "%s ! fakesink", props);

  return kit_pipeline_new (launch, "src", f->url, token);
}

static gchar *
make_model_file (Fixture * f, gsize size)
{
  g_autoptr (GBytes) bytes = kit_make_bytes (size, 3);

  return kit_write_file (f->dir, "model.bin", bytes);
}

static void
assert_output_is_events (Fixture * f, const gchar * output)
{
  g_autoptr (JsonArray) got = kit_read_ndjson (output);
  g_autoptr (JsonArray) want = synapse_test_backend_dup_events (f->backend, 1);

  kit_assert_first_events (got, want, EVENTS);
}

/* --- library: never to another origin ----------------------------------- */

static SynapseClient *
make_client (Fixture * f)
{
  SynapseClient *client = kit_client_new (f->url, TOKEN);

  /* every credential there is */
  g_object_set (client, "authorization-token", AUTH_TOKEN, "agent-token",
      AGENT_TOKEN, "tenant", "acme", "retries", 1, "chunk-size",
      (guint64) CHUNK, NULL);
  return client;
}

static void
test_library_foreign_upload_url (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseClient) client = make_client (f);
  g_autofree gchar *path = make_model_file (f, 3 * CHUNK);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;

  /* the backend hands out upload URLs on another origin */
  synapse_test_backend_set_upload_base_url (f->backend, f->foreign_url);
  upload = synapse_client_create_chunked_upload (client, path, CHUNK, NULL,
      NULL, NULL, &error);
  /* the other origin does not know the upload: what matters is what it
   * was sent */
  g_assert_null (upload);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (synapse_client_error_get_url (error),
          f->foreign_url));
  kit_assert_no_secret_in (error->message, secrets, "the library's error");
  assert_backend_got_token (f, TOKEN);
  assert_foreign_got_no_credentials (f);
  g_assert_cmpuint (kit_count_requests (f->foreign, "PUT",
          "chunked_upload/", 0), ==, 1);
}

static void
test_library_foreign_file_download (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseClient) client = make_client (f);
  g_autofree gchar *cache = g_build_filename (f->dir, "cache", NULL);
  const gchar *fields[] = { "files", NULL };
  const gchar *model_fields[] = { "file", NULL };
  g_autoptr (SynapseUrlConversion) download =
      synapse_url_conversion_new_download (fields, cache);
  g_autoptr (SynapseUrlConversion) model_download =
      synapse_url_conversion_new_download (model_fields, cache);
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GError) error = NULL;

  synapse_test_backend_set_media_base_url (f->backend, f->foreign_url);
  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  events = synapse_client_list_ground_truth_events (client, params, download,
      TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (events), ==, EVENTS);
  /* the files came from the other origin, into the cache folder */
  for (guint i = 0; i < json_array_get_length (events); i++) {
    JsonObject *files = json_object_get_object_member
        (json_array_get_object_element (events, i), "files");
    GList *names = json_object_get_members (files);

    for (GList * l = names; l; l = l->next) {
      const gchar *local = json_object_get_string_member (files, l->data);

      g_assert_true (g_str_has_prefix (local, cache));
      g_assert_true (g_file_test (local, G_FILE_TEST_IS_REGULAR));
    }
    g_list_free (names);
  }

  /* a model's file too */
  model = synapse_client_get_model (client, 1, NULL, model_download, NULL,
      &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (model,
              "file"), cache));

  assert_backend_got_token (f, TOKEN);
  assert_foreign_got_no_credentials (f);
  g_assert_cmpuint (kit_count_requests (f->foreign, "GET", "media/", 200),
      >=, EVENTS);
  g_assert_cmpuint (kit_count_requests (f->backend, "GET", "media/", 0), ==, 0);
}

/* --- elements: never to another origin ---------------------------------- */

static void
test_gtsrc_foreign_next (Fixture * f, gconstpointer data)
{
  g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson", NULL);
  g_autoptr (GstElement) pipeline = gtsrc_pipeline (f, "", TOKEN, output);
  g_auto (KitRun) run = { 0 };

  /* page 1 from the backend, whose `next` leads to another origin serving
   * the same events (pointing at the backend's media) */
  synapse_test_backend_set_next_base_url (f->backend, f->foreign_url);
  synapse_test_backend_set_media_base_url (f->foreign, f->url);
  kit_run_pipeline (&run, pipeline);
  g_assert_null (run.gerror);
  assert_output_is_events (f, output);
  kit_run_assert_no_secret (&run, secrets);
  assert_backend_got_token (f, TOKEN);
  assert_foreign_got_no_credentials (f);
  /* pages 2 and 3 came from there */
  g_assert_cmpuint (kit_count_requests (f->foreign, "GET",
          "sdk/ground_truth_events/", 200), ==, 2);
}

static void
test_gtsrc_foreign_file_download (Fixture * f, gconstpointer data)
{
  g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson", NULL);
  g_autofree gchar *media = g_build_filename (f->dir, "media", NULL);
  g_autofree gchar *props = g_strdup_printf ("download-dir=\"%s\"", media);
  g_autoptr (GstElement) pipeline = gtsrc_pipeline (f, props, TOKEN, output);
  g_auto (KitRun) run = { 0 };
  g_autoptr (JsonArray) got = NULL;

  synapse_test_backend_set_media_base_url (f->backend, f->foreign_url);
  kit_run_pipeline (&run, pipeline);
  g_assert_null (run.gerror);
  got = kit_read_ndjson (output);
  g_assert_cmpuint (json_array_get_length (got), ==, EVENTS);
  g_assert_true (g_str_has_prefix (json_object_get_string_member
          (json_object_get_object_member (json_array_get_object_element (got,
                      0), "files"), "image"), media));
  kit_run_assert_no_secret (&run, secrets);
  assert_backend_got_token (f, TOKEN);
  assert_foreign_got_no_credentials (f);
  g_assert_cmpuint (kit_count_requests (f->foreign, "GET", "media/", 200),
      >=, EVENTS);
}

/* Data unit files on another origin (a presigned store) are fetched into
 * memory without the backend's credentials. */
static void
test_mediasrc_foreign_files (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = mediasrc_pipeline (f, "", TOKEN);
  g_auto (KitRun) run = { 0 };

  synapse_test_backend_set_media_base_url (f->backend, f->foreign_url);
  kit_run_pipeline (&run, pipeline);
  g_assert_null (run.gerror);
  g_assert_true (run.eos);
  kit_run_assert_no_secret (&run, secrets);
  assert_backend_got_token (f, TOKEN);
  assert_foreign_got_no_credentials (f);
  g_assert_cmpuint (kit_count_requests (f->foreign, "GET", "media/", 200),
      ==, EVENTS);
  g_assert_cmpuint (kit_count_requests (f->backend, "GET", "media/", 0), ==,
      0);
}

static void
test_modelsink_foreign_upload_url (Fixture * f, gconstpointer data)
{
  g_autofree gchar *input = make_model_file (f, 3 * CHUNK + 5);
  g_autoptr (GstElement) pipeline = modelsink_pipeline (f, "", TOKEN, input);
  g_auto (KitRun) run = { 0 };
  guint models = synapse_test_backend_count_models (f->backend);

  synapse_test_backend_set_upload_base_url (f->backend, f->foreign_url);
  kit_run_pipeline (&run, pipeline);
  /* the other origin does not know the upload */
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_assert_false (run.eos);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, models);
  kit_run_assert_no_secret (&run, secrets);
  assert_backend_got_token (f, TOKEN);
  assert_foreign_got_no_credentials (f);
}

/* --- access-token-file -------------------------------------------------- */

typedef enum
{
  GTSRC,
  MODELSINK,
} Which;

/* Runs the element of @which with @props and @token (nullable). */
static void
run_element (Fixture * f, Which which, const gchar * props,
    const gchar * token, KitRun * run, GstElement ** pipeline_out)
{
  g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson", NULL);
  g_autofree gchar *input = make_model_file (f, 2 * CHUNK + 1);
  GstElement *pipeline = which == GTSRC ?
      gtsrc_pipeline (f, props, token, output) :
      modelsink_pipeline (f, props, token, input);

  kit_run_pipeline (run, pipeline);
  kit_run_assert_no_secret (run, secrets);
  if (pipeline_out)
    *pipeline_out = pipeline;
  else
    gst_object_unref (pipeline);
}

static void
test_token_file (Fixture * f, gconstpointer data)
{
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    const gchar *name = which == GTSRC ? "src" : "sink";
    /* the newline an editor or `echo` leaves, and a stray space */
    g_autofree gchar *file = write_token_file (f, "token",
        " " FILE_TOKEN " \r\n");
    g_autofree gchar *props = g_strdup_printf ("access-token-file=\"%s\"",
        file);
    g_auto (KitRun) run = { 0 };
    g_autoptr (GstElement) pipeline = NULL;
    GstElement *element;
    g_autofree gchar *token = NULL;
    g_autofree gchar *read_file = NULL;

    synapse_test_backend_clear_requests (f->backend);
    run_element (f, which, props, NULL, &run, &pipeline);
    if (run.gerror)
      g_error ("%s", run.gerror->message);
    g_assert_true (run.eos);
    assert_backend_got_token (f, FILE_TOKEN);

    /* the path reads back, the token never */
    element = kit_get_element (pipeline, name);
    g_object_get (element, "access-token", &token, "access-token-file",
        &read_file, NULL);
    g_assert_null (token);
    g_assert_cmpstr (read_file, ==, file);
    assert_properties_have_no_secret (pipeline, element);
  }
}

static void
test_token_file_replaces_environment (Fixture * f, gconstpointer data)
{
  g_autofree gchar *file = write_token_file (f, "token", FILE_TOKEN "\n");
  g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson", NULL);
  g_autoptr (GstElement) pipeline = NULL;
  g_auto (KitRun) run = { 0 };
  g_autofree gchar *token = NULL;

  g_setenv ("SYNAPSE_ACCESS_TOKEN", ENV_TOKEN, TRUE);
  pipeline = gtsrc_pipeline (f, "", NULL, output);
  g_unsetenv ("SYNAPSE_ACCESS_TOKEN");
  /* the environment's token is used, never read back, not even masked */
  g_object_get (kit_get_element (pipeline, "src"), "access-token", &token,
      NULL);
  g_assert_null (token);
  g_object_set (kit_get_element (pipeline, "src"), "access-token-file", file,
      NULL);

  kit_run_pipeline (&run, pipeline);
  g_assert_null (run.gerror);
  kit_run_assert_no_secret (&run, secrets);
  assert_backend_got_token (f, FILE_TOKEN);
  assert_properties_have_no_secret (pipeline, kit_get_element (pipeline,
          "src"));
}

typedef struct
{
  const gchar *what;
  const gchar *content;         /* NULL: no such file; "\1dir": a folder */
  const gchar *token;           /* access-token as well */
  const gchar *says;
} BadFile;

static const BadFile bad_files[] = {
  {"missing", NULL, NULL, "No such file or directory"},
  {"empty", "", NULL, "it is empty"},
  {"blank", " \n\t\n", NULL, "it is empty"},
  {"folder", "\1dir", NULL, "Is a directory"},
  /* a token and then something else: the content is never shown */
  {"two-lines", FILE_TOKEN "\n" WRONG_TOKEN "\n", NULL,
      "more than one line"},
  {"both-set", FILE_TOKEN, TOKEN,
      "Both access-token and access-token-file are set"},
};

static void
test_token_file_errors (Fixture * f, gconstpointer data)
{
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    for (guint i = 0; i < G_N_ELEMENTS (bad_files); i++) {
      const BadFile *bad = &bad_files[i];
      g_autofree gchar *file = g_build_filename (f->dir, bad->what, NULL);
      g_autofree gchar *props = g_strdup_printf ("access-token-file=\"%s\"",
          file);
      g_auto (KitRun) run = { 0 };

      if (bad->content && bad->content[0] == '\1')
        g_assert_cmpint (g_mkdir (file, 0700), ==, 0);
      else if (bad->content)
        g_free (write_token_file (f, bad->what, bad->content));

      synapse_test_backend_clear_requests (f->backend);
      run_element (f, which, props, bad->token, &run, NULL);
      g_test_message ("%s: %s", bad->what, run.gerror ?
          run.gerror->message : "(no error)");
      g_assert_error (run.gerror, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS);
      if (!strstr (run.gerror->message, bad->says))
        g_error ("\"%s\" does not say \"%s\"", run.gerror->message, bad->says);
      /* it names the file (except when the problem is not the file) */
      if (!g_str_equal (bad->what, "both-set"))
        g_assert_nonnull (strstr (run.gerror->message, file));
      /* at start: not a single request */
      g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
              NULL), ==, 0);
      if (bad->content && bad->content[0] == '\1')
        g_rmdir (file);
      else
        g_remove (file);
    }
  }
}

static void
test_unreadable_token_file (Fixture * f, gconstpointer data)
{
  g_autofree gchar *file = write_token_file (f, "token", FILE_TOKEN);
  g_autofree gchar *props = g_strdup_printf ("access-token-file=\"%s\"",
      file);
  g_auto (KitRun) run = { 0 };

  g_chmod (file, 0);
  if (g_access (file, R_OK) == 0) {
    g_test_skip ("root reads any file");
    return;
  }
  run_element (f, GTSRC, props, NULL, &run, NULL);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  g_assert_nonnull (strstr (run.gerror->message, "Permission denied"));
}

/* --- credentials that cannot be sent ------------------------------------ */

/* A token or tenant with a control character would be dropped from every
 * request (libsoup refuses such a header): a SETTINGS error at start,
 * naming the setting and not its value, and not a single request. */
static void
test_control_characters_refused (Fixture * f, gconstpointer data)
{
  const gchar *values[] = {
    CTRL_TOKEN "\r\nX-Injected: yes", CTRL_TOKEN "\n", CTRL_TOKEN "\x1b[2J",
  };

  for (Which which = GTSRC; which <= MODELSINK; which++) {
    for (guint i = 0; i < G_N_ELEMENTS (values); i++) {
      for (guint how = 0; how < 3; how++) {
        const gchar *name = which == GTSRC ? "src" : "sink";
        g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson",
            NULL);
        g_autofree gchar *input = make_model_file (f, CHUNK);
        g_autoptr (GstElement) pipeline = NULL;
        g_auto (KitRun) run = { 0 };
        GstElement *element;

        /* the property, the environment, the tenant */
        if (how == 1)
          g_setenv ("SYNAPSE_ACCESS_TOKEN", values[i], TRUE);
        pipeline = which == GTSRC ? gtsrc_pipeline (f, "", NULL, output) :
            modelsink_pipeline (f, "", NULL, input);
        g_unsetenv ("SYNAPSE_ACCESS_TOKEN");
        element = kit_get_element (pipeline, name);
        if (how == 0)
          g_object_set (element, "access-token", values[i], NULL);
        else if (how == 2)
          g_object_set (element, "access-token", TOKEN, "tenant", values[i],
              NULL);

        synapse_test_backend_clear_requests (f->backend);
        kit_run_pipeline (&run, pipeline);
        kit_run_assert_no_secret (&run, secrets);
        g_assert_error (run.gerror, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS);
        g_assert_nonnull (strstr (run.gerror->message,
                how == 2 ? "tenant" : "access-token"));
        g_assert_nonnull (strstr (run.gerror->message, "control character"));
        g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
                NULL), ==, 0);
      }
    }
  }
}

/* --- a password in base-url --------------------------------------------- */

static gchar *
url_with_userinfo (Fixture * f)
{
  return g_strdup_printf ("http://" USERINFO "@127.0.0.1:%u/",
      synapse_test_backend_get_port (f->backend));
}

/* The backend's origin got the user and password as Basic
 * authentication, beside the token. */
static void
assert_backend_got_basic_auth (Fixture * f)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests
      (f->backend);
  g_autofree gchar *encoded = g_base64_encode ((const guchar *) USERINFO,
      strlen (USERINFO));
  g_autofree gchar *want = g_strconcat ("Basic ", encoded, NULL);

  g_assert_cmpuint (requests->len, >, 0);
  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    g_assert_cmpstr (soup_message_headers_get_one (request->headers,
            "Authorization"), ==, want);
  }
}

/* Runs @which against the base URL with a password, set by property (the
 * launch line, which GStreamer logs, has none), and checks that nothing
 * shows it. */
static void
run_with_userinfo (Fixture * f, Which which, KitRun * run)
{
  const gchar *name = which == GTSRC ? "src" : "sink";
  g_autofree gchar *url = url_with_userinfo (f);
  g_autofree gchar *output = g_build_filename (f->dir, "events.ndjson", NULL);
  g_autofree gchar *input = make_model_file (f, 2 * CHUNK + 1);
  g_autoptr (GstElement) pipeline = which == GTSRC ?
      gtsrc_pipeline (f, "", TOKEN, output) :
      modelsink_pipeline (f, "", TOKEN, input);
  GstElement *element = kit_get_element (pipeline, name);
  g_autofree gchar *read_back = NULL;

  g_object_set (element, "base-url", url, NULL);
  synapse_test_backend_clear_requests (f->backend);
  kit_run_pipeline (run, pipeline);
  kit_run_assert_no_secret (run, secrets);
  assert_properties_have_no_secret (pipeline, element);
  g_object_get (element, "base-url", &read_back, NULL);
  g_assert_cmpstr (read_back, ==, f->url);
}

/* Both elements with `http://user:password@…/`: the backend gets Basic
 * authentication; no message, error, property or dot graph shows the
 * password, on success, on a failure after retries, and with a `next`
 * link or upload URL on another origin, which get no Authorization. The
 * parent test runs this in a child with GST_DEBUG=*:9. */
static void
test_userinfo_runs (Fixture * f, gconstpointer data)
{
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    g_auto (KitRun) good = { 0 };
    g_auto (KitRun) failed = { 0 };
    g_auto (KitRun) foreign = { 0 };
    g_autoptr (GError) error = NULL;

    run_with_userinfo (f, which, &good);
    g_assert_null (good.gerror);
    g_assert_true (good.eos);
    assert_backend_got_basic_auth (f);

    /* retried, then given up: the library's retry lines and the error */
    synapse_test_backend_add_fault_spec (f->backend, which == GTSRC ?
        "status=503 path=sdk/ground_truth_events/" :
        "status=503 path=chunked_upload/", &error);
    g_assert_no_error (error);
    run_with_userinfo (f, which, &failed);
    g_assert_error (failed.gerror, GST_RESOURCE_ERROR,
        (which == GTSRC ? GST_RESOURCE_ERROR_READ : GST_RESOURCE_ERROR_WRITE));
    synapse_test_backend_clear_faults (f->backend);

    if (which == GTSRC) {
      synapse_test_backend_set_next_base_url (f->backend, f->foreign_url);
      synapse_test_backend_set_media_base_url (f->foreign, f->url);
    } else {
      synapse_test_backend_set_upload_base_url (f->backend, f->foreign_url);
    }
    run_with_userinfo (f, which, &foreign);
    assert_foreign_got_no_credentials (f);
    synapse_test_backend_set_next_base_url (f->backend, NULL);
    synapse_test_backend_set_upload_base_url (f->backend, NULL);
    synapse_test_backend_clear_requests (f->foreign);
  }
}

static void
test_userinfo_never_logged (Fixture * f, gconstpointer data)
{
  /* the log did capture the runs: the client, its retries, the error */
  const gchar *const logged[] = { "client for http://127.0.0.1:",
    "retrying in", "HTTP 503", NULL
  };

  kit_assert_child_logs_no_secret ("/secrets/userinfo/runs", f->dir, logged,
      secrets);
}

/* --- messages, properties, logs ----------------------------------------- */

/* A good run and a refused one of each element, the token by property. */
static void
test_messages_and_properties (Fixture * f, gconstpointer data)
{
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    const gchar *name = which == GTSRC ? "src" : "sink";
    g_autoptr (GstElement) good = NULL;
    g_autoptr (GstElement) bad = NULL;
    g_auto (KitRun) good_run = { 0 };
    g_auto (KitRun) bad_run = { 0 };
    g_autofree gchar *token = NULL;

    run_element (f, which, "", TOKEN, &good_run, &good);
    g_assert_null (good_run.gerror);
    assert_properties_have_no_secret (good, kit_get_element (good, name));
    g_object_get (kit_get_element (good, name), "access-token", &token, NULL);
    g_assert_cmpstr (token, ==, MASK);

    run_element (f, which, "", WRONG_TOKEN, &bad_run, &bad);
    g_assert_error (bad_run.gerror, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_NOT_AUTHORIZED);
    assert_properties_have_no_secret (bad, kit_get_element (bad, name));
  }
}

/* The runs whose logs test_debug_log() searches; in a child process
 * (GLib runs a /subprocess path only when asked for it). */
static void
test_debug_log_child (Fixture * f, gconstpointer data)
{
  g_autofree gchar *file = NULL;
  g_autofree gchar *wrong = NULL;
  g_autofree gchar *with_file = NULL;
  g_autofree gchar *with_wrong = NULL;
  g_autofree gchar *media = g_build_filename (f->dir, "media", NULL);
  g_autofree gchar *with_download = NULL;

  file = write_token_file (f, "token", FILE_TOKEN "\n");
  wrong = write_token_file (f, "wrong", WRONG_TOKEN "\n");
  with_file = g_strdup_printf ("access-token-file=\"%s\"", file);
  with_wrong = g_strdup_printf ("access-token-file=\"%s\"", wrong);
  with_download = g_strdup_printf ("%s download-dir=\"%s\"", with_file, media);

  /* the backend wants FILE_TOKEN */
  for (Which which = GTSRC; which <= MODELSINK; which++) {
    g_auto (KitRun) by_file = { 0 };
    g_auto (KitRun) refused_file = { 0 };
    g_auto (KitRun) by_property = { 0 };
    g_auto (KitRun) refused = { 0 };

    run_element (f, which, with_file, NULL, &by_file, NULL);
    g_assert_null (by_file.gerror);
    run_element (f, which, with_wrong, NULL, &refused_file, NULL);
    g_assert_nonnull (refused_file.gerror);
    run_element (f, which, "", FILE_TOKEN, &by_property, NULL);
    g_assert_null (by_property.gerror);
    run_element (f, which, "", WRONG_TOKEN, &refused, NULL);
    g_assert_nonnull (refused.gerror);
  }

  /* other origins: a `next` link, a file URL, an upload URL */
  synapse_test_backend_set_next_base_url (f->backend, f->foreign_url);
  synapse_test_backend_set_media_base_url (f->foreign, f->url);
  {
    g_auto (KitRun) run = { 0 };

    run_element (f, GTSRC, with_file, NULL, &run, NULL);
    g_assert_null (run.gerror);
  }
  synapse_test_backend_set_next_base_url (f->backend, NULL);
  synapse_test_backend_set_media_base_url (f->backend, f->foreign_url);
  {
    g_auto (KitRun) run = { 0 };

    run_element (f, GTSRC, with_download, NULL, &run, NULL);
    g_assert_null (run.gerror);
  }
  synapse_test_backend_set_upload_base_url (f->backend, f->foreign_url);
  {
    g_auto (KitRun) run = { 0 };

    run_element (f, MODELSINK, with_file, NULL, &run, NULL);
    g_assert_nonnull (run.gerror);
  }
  /* the files of the data units, from the other origin, then refused */
  {
    g_auto (KitRun) run = { 0 };
    g_auto (KitRun) refused = { 0 };
    g_autoptr (GstElement) pipeline = mediasrc_pipeline (f, with_file, NULL);
    g_autoptr (GstElement) wrong_pipeline = mediasrc_pipeline (f, with_wrong,
        NULL);

    kit_run_pipeline (&run, pipeline);
    g_assert_null (run.gerror);
    kit_run_pipeline (&refused, wrong_pipeline);
    g_assert_nonnull (refused.gerror);
  }
}

static void
test_debug_log (Fixture * f, gconstpointer data)
{
  /* the log did capture the work and the refusals, in detail, and the
   * token file's use, by its path */
  const gchar *const logged[] = { "page 1:", "HTTP 401", "token set from ",
    NULL
  };

  kit_assert_child_logs_no_secret ("/secrets/logs/debug-log/subprocess",
      f->dir, logged, secrets);
}

/* Runs @argv with synapse*:9 debug output, @token_env (NULL: none) as
 * SYNAPSE_ACCESS_TOKEN; returns all it printed. */
static gchar *
run_command (const gchar * const *argv, const gchar * token_env, gboolean * ok)
{
  const gchar *const env[] = { "GST_DEBUG", "synapse*:9",
    "GST_DEBUG_NO_COLOR", "1", "SYNAPSE_ACCESS_TOKEN", token_env, NULL
  };
  gchar *output = NULL;

  *ok = kit_spawn (argv, env, &output);
  return output;
}

static void
test_gst_inspect (Fixture * f, gconstpointer data)
{
  g_autofree gchar *inspect = g_find_program_in_path ("gst-inspect-1.0");
  const gchar *elements[] = { "synapsegtsrc", "synapsemediasrc",
    "synapsemodelsink"
  };

  if (inspect == NULL) {
    g_test_skip ("no gst-inspect-1.0");
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (elements); i++) {
    const gchar *argv[] = { inspect, elements[i], NULL };
    gboolean ok = FALSE;
    g_autofree gchar *output = run_command (argv, ENV_TOKEN, &ok);

    g_assert_true (ok);
    /* it did describe the properties */
    g_assert_nonnull (strstr (output, "access-token-file"));
    kit_assert_no_secret_in (output, secrets, "gst-inspect-1.0's output");
  }
}

static void
test_gst_launch (Fixture * f, gconstpointer data)
{
  g_autofree gchar *launch = g_find_program_in_path ("gst-launch-1.0");
  g_autofree gchar *file = write_token_file (f, "token", FILE_TOKEN "\n");
  g_autofree gchar *file_prop = g_strdup_printf ("access-token-file=%s", file);
  g_autofree gchar *url_prop = g_strdup_printf ("base-url=%s", f->url);
  g_autofree gchar *input = make_model_file (f, 2 * CHUNK);
  g_autofree gchar *location = g_strdup_printf ("location=%s", input);

  if (launch == NULL) {
    g_test_skip ("no gst-launch-1.0");
    return;
  }

  /* -v prints every property change, -m every message */
  {
    const gchar *argv[] = { launch, "-v", "-m", "synapsegtsrc", url_prop,
      file_prop, "dataset-versions=1", "!", "fakesink", NULL
    };
    gboolean ok = FALSE;
    g_autofree gchar *output = run_command (argv, NULL, &ok);

    g_assert_true (ok);
    g_assert_nonnull (strstr (output, "synapse-page"));
    kit_assert_no_secret_in (output, secrets, "gst-launch-1.0 -v -m's output");
  }
  {
    const gchar *argv[] = { launch, "-e", "-v", "-m", "filesrc", location,
      "!", "synapsemodelsink", url_prop, file_prop, "model-name=m",
      "model-type=detection", "project=1", NULL
    };
    gboolean ok = FALSE;
    g_autofree gchar *output = run_command (argv, NULL, &ok);

    g_assert_true (ok);
    g_assert_nonnull (strstr (output, "synapse-model-created"));
    kit_assert_no_secret_in (output, secrets, "gst-launch-1.0 -v -m's output");
  }
  /* the token from the environment, taken... */
  {
    const gchar *argv[] = { launch, "-v", "-m", "synapsegtsrc", url_prop,
      "dataset-versions=1", "!", "fakesink", NULL
    };
    gboolean ok = FALSE;
    g_autofree gchar *output = run_command (argv, FILE_TOKEN, &ok);

    g_assert_true (ok);
    kit_assert_no_secret_in (output, secrets, "gst-launch-1.0 -v -m's output");
  }
  /* ...and refused */
  {
    const gchar *argv[] = { launch, "-v", "-m", "synapsegtsrc", url_prop,
      "dataset-versions=1", "!", "fakesink", NULL
    };
    gboolean ok = TRUE;
    g_autofree gchar *output = run_command (argv, WRONG_TOKEN, &ok);

    g_assert_false (ok);
    g_assert_nonnull (strstr (output, "HTTP 401"));
    kit_assert_no_secret_in (output, secrets, "gst-launch-1.0 -v -m's output");
  }
}

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

#define ADD(name, func, token) \
  g_test_add ("/secrets/" name, Fixture, token, fixture_set_up, func, \
      fixture_tear_down)

  ADD ("library/foreign-upload-url", test_library_foreign_upload_url, NULL);
  ADD ("library/foreign-file-download", test_library_foreign_file_download,
      NULL);
  ADD ("gtsrc/foreign-next", test_gtsrc_foreign_next, NULL);
  ADD ("gtsrc/foreign-file-download", test_gtsrc_foreign_file_download, NULL);
  ADD ("mediasrc/foreign-files", test_mediasrc_foreign_files, NULL);
  ADD ("modelsink/foreign-upload-url", test_modelsink_foreign_upload_url, NULL);
  ADD ("token-file/read-at-start", test_token_file, FILE_TOKEN);
  ADD ("token-file/replaces-environment",
      test_token_file_replaces_environment, FILE_TOKEN);
  ADD ("token-file/errors", test_token_file_errors, FILE_TOKEN);
  ADD ("token-file/unreadable", test_unreadable_token_file, FILE_TOKEN);
  ADD ("credentials/control-characters", test_control_characters_refused, NULL);
  ADD ("userinfo/runs", test_userinfo_runs, NULL);
  ADD ("userinfo/never-logged", test_userinfo_never_logged, NULL);
  ADD ("logs/messages-and-properties", test_messages_and_properties, NULL);
  ADD ("logs/debug-log", test_debug_log, FILE_TOKEN);
  ADD ("logs/debug-log/subprocess", test_debug_log_child, FILE_TOKEN);
  ADD ("logs/gst-inspect", test_gst_inspect, FILE_TOKEN);
  ADD ("logs/gst-launch", test_gst_launch, FILE_TOKEN);

  return g_test_run ();
}
