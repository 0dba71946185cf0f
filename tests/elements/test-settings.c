/* test-settings.c: settings that cannot work are refused at start, naming
 * the property; the connection's defaults come from the environment
 * without showing it; against the in-process local backend
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each refusal goes through gst_parse_launch () with the value as a
 * launch line gives it (the string gst-launch-1.0 hands the element), or
 * through g_object_set (), and is checked as a user would: the pipeline
 * does not start, the error is a RESOURCE SETTINGS error from the element
 * that names the property (in its text, and as `property` in its
 * details), no request reached the backend, and the access token shows
 * nowhere. GLib warnings are fatal in these tests (g_test_init ()): a
 * value GObject refused with a warning, as it did before, fails them.
 */

#include <string.h>

#include "kit-gst.h"

#define TOKEN "settings-Test-Token-d41c07"
#define EVENTS_PER_VERSION 12
#define RUN_TIMEOUT_S 20
#define MODEL "model-name=refusals model-type=detection project=1"

typedef struct
{
  SynapseTestBackend *backend;
  gchar *url;
  gchar *dir;
  gchar *model_file;
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 1,
    .events = EVENTS_PER_VERSION,
    .models = 1,
  };
  g_autoptr (GBytes) model = g_bytes_new_static ("model bytes", 11);

  f->backend = kit_backend_new (&options, &f->url);
  f->dir = kit_make_tmp_dir ();
  f->model_file = kit_write_file (f->dir, "model.bin", model);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->backend);
  kit_clear_tmp_dir (&f->dir);
  g_free (f->model_file);
  g_free (f->url);
}

/* The launch line of @factory named "el" with @props: a source into
 * fakesink, the sink fed the model file. */
static gchar *
launch_line (Fixture * f, const gchar * factory, const gchar * props)
{
  if (g_str_equal (factory, "synapsemodelsink"))
    return g_strdup_printf ("filesrc location=\"%s\" ! synapsemodelsink "
        "name=el " MODEL " %s", f->model_file, props);
  return g_strdup_printf ("%s name=el %s ! fakesink", factory, props);
}

static GstElement *
make_pipeline (Fixture * f, const gchar * factory, const gchar * props)
{
  g_autofree gchar *launch = launch_line (f, factory, props);

  return kit_pipeline_new (launch, "el", f->url, TOKEN);
}

static void
assert_says (const gchar * text, const gchar * words)
{
  if (strstr (text, words) == NULL)
    g_error ("\"%s\" does not say \"%s\"", text, words);
}

/* @pipeline, whose element "el" is pointed at the backend, does not start:
 * a RESOURCE SETTINGS error from "el" names @property and says @words;
 * it made no request; the token is nowhere in the run's messages. */
static void
assert_pipeline_refused (Fixture * f, GstElement * pipeline,
    const gchar * property, const gchar * words)
{
  const gchar *const secrets[] = { TOKEN, NULL };
  g_auto (KitRun) run = { 0 };
  guint requests = kit_count_requests (f->backend, NULL, NULL, 0);

  kit_run_refused (&run, pipeline, GST_STATE_PAUSED);
  kit_run_assert_error_from (&run, "el");
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  assert_says (run.gerror->message, property);
  assert_says (run.gerror->message, words);
  g_assert_nonnull (run.details);
  g_assert_cmpstr (gst_structure_get_string (run.details, "property"), ==,
      property);
  kit_run_assert_no_secret (&run, secrets);
  g_assert_cmpuint (kit_count_requests (f->backend, NULL, NULL, 0), ==,
      requests);
}

/* @factory with the launch-line properties @props is refused. */
static void
assert_refused (Fixture * f, const gchar * factory, const gchar * props,
    const gchar * property, const gchar * words)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, factory, props);

  assert_pipeline_refused (f, pipeline, property, words);
}

/* --- numbers out of range ----------------------------------------------- */

/* What a launch line gives, in the property's type but out of its range:
 * GObject used to refuse it with a warning and keep the default. */
static void
test_listing_numbers_out_of_range (Fixture * f, gconstpointer data)
{
  const gchar *const sources[] = { "synapsegtsrc", "synapsemediasrc" };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++) {
    assert_refused (f, sources[i], "page-size=0", "page-size",
        "is 0, out of its range: 1 to 4294967295");
    assert_refused (f, sources[i], "prefetch=0", "prefetch",
        "is 0, out of its range: 1 to 64");
    assert_refused (f, sources[i], "prefetch=65", "prefetch",
        "is 65, out of its range: 1 to 64");
    assert_refused (f, sources[i], "project=-5", "project",
        "is -5, out of its range: -1 to 2147483647");
  }
  assert_refused (f, "synapsemediasrc", "max-downloads=100", "max-downloads",
      "is 100, out of its range: 1 to 64");
}

static void
test_chunk_size_out_of_range (Fixture * f, gconstpointer data)
{
  assert_refused (f, "synapsemodelsink", "chunk-size=0", "chunk-size",
      "is 0, out of its range: 1 to ");
}

/* The connection properties every element shares. */
static void
test_connection_numbers_out_of_range (Fixture * f, gconstpointer data)
{
  const gchar *const factories[] = {
    "synapsegtsrc", "synapsemediasrc", "synapsemodelsink"
  };

  for (guint i = 0; i < G_N_ELEMENTS (factories); i++) {
    assert_refused (f, factories[i], "retries=101", "retries",
        "is 101, out of its range: 0 to 100");
    assert_refused (f, factories[i], "retry-backoff-factor=-1",
        "retry-backoff-factor", "is -1, out of its range: 0 to 3600");
    assert_refused (f, factories[i], "retry-backoff-max=nan",
        "retry-backoff-max", "is nan, out of its range: 0 to 86400");
  }
}

/* An application's g_object_set () gets no GLib warning (fatal here), and
 * the element still refuses to start. */
static void
test_number_set_by_the_application (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "synapsegtsrc", "");
  guint prefetch = 0;

  g_object_set (kit_get_element (pipeline, "el"), "prefetch", 100, NULL);
  /* it reads back what was set: nothing was silently kept */
  g_object_get (kit_get_element (pipeline, "el"), "prefetch", &prefetch, NULL);
  g_assert_cmpuint (prefetch, ==, 100);
  assert_pipeline_refused (f, pipeline, "prefetch", "out of its range");
}

/* An application's client does not skip the element's own checks. */
static void
test_number_refused_with_an_application_client (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = gst_parse_launch ("synapsegtsrc name=el "
      "page-size=0 ! fakesink", &error);
  g_autoptr (SynapseClient) client = kit_client_new (f->url, TOKEN);

  g_assert_no_error (error);
  g_object_set (kit_get_element (pipeline, "el"), "client", client, NULL);
  assert_pipeline_refused (f, pipeline, "page-size", "out of its range");
}

/* The ends of the ranges are not refused. */
static void
test_numbers_at_the_ends_of_their_ranges_run (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "synapsegtsrc",
      "page-size=1 prefetch=64 retries=100 retry-backoff-factor=0 "
      "project=-1 num-buffers=3");
  g_auto (KitRun) run = { 0 };
  g_autoptr (GstElement) sink_pipeline = make_pipeline (f,
      "synapsemodelsink", "chunk-size=1 retries=0");
  g_auto (KitRun) sink_run = { 0 };

  run.timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (&run, pipeline);
  kit_run_assert_eos (&run);
  sink_run.timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (&sink_run, sink_pipeline);
  kit_run_assert_eos (&sink_run);
  g_assert_nonnull (kit_run_find_element_message (&sink_run,
          "synapse-model-created"));
}

/* --- strings that cannot work ------------------------------------------- */

static void
test_bad_dataset_versions (Fixture * f, gconstpointer data)
{
  const gchar *const sources[] = { "synapsegtsrc", "synapsemediasrc" };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++) {
    assert_refused (f, sources[i], "dataset-versions=1,,x",
        "dataset-versions", "empty item");
    assert_refused (f, sources[i], "dataset-versions=1,x", "dataset-versions",
        "\"x\" is not a whole number");
  }
}

static void
test_extra_params_not_a_structure (Fixture * f, gconstpointer data)
{
  const gchar *const sources[] = { "synapsegtsrc", "synapsemediasrc" };

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++) {
    assert_refused (f, sources[i], "extra-params=\"page_size=5, ,\"",
        "extra-params", "is not a GstStructure string");
    assert_refused (f, sources[i],
        "extra-params=\"params, ratio=(fraction)1/2\"", "extra-params",
        "ratio");
  }
}

static void
test_url_prefix_without_scheme_and_host (Fixture * f, gconstpointer data)
{
  const gchar *const prefixes[] = {
    "url-prefix=cdn.example.com/mirror", "url-prefix=https:///mirror",
    "url-prefix=/srv/mirror",
  };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    assert_refused (f, "synapsegtsrc", prefixes[i], "url-prefix",
        "scheme and a host");
}

static void
test_base_url_refused_names_it (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "synapsegtsrc", "");

  g_object_set (kit_get_element (pipeline, "el"), "base-url",
      "ftp://example.com/", NULL);
  assert_pipeline_refused (f, pipeline, "base-url", "not an http or https");
}

/* --- the environment: used, never shown --------------------------------- */

/* The launch line of @factory, made while SYNAPSE_BACKEND_URL and
 * SYNAPSE_ACCESS_TOKEN are @url and @token, which are unset again once it
 * is made. */
static GstElement *
make_pipeline_in_environment (Fixture * f, const gchar * factory,
    const gchar * props, const gchar * url, const gchar * token)
{
  g_autofree gchar *launch = launch_line (f, factory, props);
  g_autoptr (GError) error = NULL;
  GstElement *pipeline;

  g_setenv ("SYNAPSE_BACKEND_URL", url, TRUE);
  g_setenv ("SYNAPSE_ACCESS_TOKEN", token, TRUE);
  g_setenv ("SYNAPSE_TENANT", "settings-tenant", TRUE);
  pipeline = gst_parse_launch (launch, &error);
  g_unsetenv ("SYNAPSE_BACKEND_URL");
  g_unsetenv ("SYNAPSE_ACCESS_TOKEN");
  g_unsetenv ("SYNAPSE_TENANT");
  g_assert_no_error (error);
  return pipeline;
}

static void
run_to_eos (GstElement * pipeline)
{
  g_auto (KitRun) run = { 0 };

  run.timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (&run, pipeline);
  kit_run_assert_eos (&run);
}

/* Each element runs on the environment as it was when it was made, and
 * its properties read NULL: what gst-inspect-1.0 shows as defaults
 * (tests/inspect checks its output with the variables set). */
static void
test_environment_used_not_read_back (Fixture * f, gconstpointer data)
{
  const gchar *const factories[] = {
    "synapsegtsrc", "synapsemediasrc", "synapsemodelsink"
  };

  for (guint i = 0; i < G_N_ELEMENTS (factories); i++) {
    g_autoptr (GstElement) pipeline = make_pipeline_in_environment (f,
        factories[i], g_str_equal (factories[i], "synapsemodelsink") ? "" :
        "num-buffers=2", f->url, TOKEN);
    g_autofree gchar *url = NULL;
    g_autofree gchar *token = NULL;
    g_autofree gchar *tenant = NULL;

    g_object_get (kit_get_element (pipeline, "el"), "base-url", &url,
        "access-token", &token, "tenant", &tenant, NULL);
    g_assert_null (url);
    g_assert_null (token);
    g_assert_null (tenant);
    run_to_eos (pipeline);
  }
  /* with the token: the backend answered each element */
  g_assert_cmpuint (kit_count_requests (f->backend, NULL, NULL, 401), ==, 0);
  g_assert_cmpuint (kit_count_requests (f->backend, "POST", "models/", 0), ==,
      1);
}

/* A property set wins over the environment; set to "" again, it gives way
 * to it. */
static void
test_properties_over_environment (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline_in_environment (f,
      "synapsegtsrc", "num-buffers=2", "ftp://not-the-backend.example.com/",
      "not-the-Token-0000");
  GstElement *src = kit_get_element (pipeline, "el");

  g_object_set (src, "base-url", f->url, "access-token", TOKEN, NULL);
  run_to_eos (pipeline);
  g_assert_cmpuint (kit_count_requests (f->backend, NULL, NULL, 401), ==, 0);

  g_object_set (src, "base-url", "", NULL);
  assert_pipeline_refused (f, pipeline, "base-url", "not an http or https");
}

/* --- gst-inspect-1.0 ---------------------------------------------------- */

/* The long description of each element, which gst-inspect-1.0 prints,
 * names the element messages it posted in a run and the code of its
 * progress messages. */
static void
test_description_lists_the_messages (Fixture * f, gconstpointer data)
{
  const gchar *const factories[] = {
    "synapsegtsrc", "synapsemediasrc", "synapsemodelsink"
  };

  for (guint i = 0; i < G_N_ELEMENTS (factories); i++) {
    g_autoptr (GstElementFactory) factory =
        gst_element_factory_find (factories[i]);
    const gchar *description = gst_element_factory_get_metadata (factory,
        GST_ELEMENT_METADATA_DESCRIPTION);
    g_autoptr (GstElement) pipeline = make_pipeline (f, factories[i],
        g_str_equal (factories[i], "synapsemodelsink") ? "" :
        "page-size=5 num-buffers=7");
    g_auto (KitRun) run = { 0 };
    guint element_messages = 0, progress_messages = 0;

    run.timeout_s = RUN_TIMEOUT_S;
    kit_run_pipeline (&run, pipeline);
    kit_run_assert_eos (&run);
    for (guint m = 0; m < run.messages->len; m++) {
      GstMessage *message = run.messages->pdata[m];
      GstProgressType type;
      g_autofree gchar *code = NULL;
      g_autofree gchar *text = NULL;
      g_autofree gchar *words = NULL;

      if (GST_MESSAGE_SRC (message) != GST_OBJECT (kit_get_element (pipeline,
                  "el")))
        continue;
      switch (GST_MESSAGE_TYPE (message)) {
        case GST_MESSAGE_ELEMENT:
          assert_says (description,
              gst_structure_get_name (gst_message_get_structure (message)));
          element_messages++;
          break;
        case GST_MESSAGE_PROGRESS:
          gst_message_parse_progress (message, &type, &code, &text);
          words = g_strdup_printf ("progress, code %s", code);
          assert_says (description, words);
          progress_messages++;
          break;
        case GST_MESSAGE_NEED_CONTEXT:
        case GST_MESSAGE_HAVE_CONTEXT:
          assert_says (description, "need-context and have-context "
              "synapse.client");
          break;
        default:
          break;
      }
    }
    g_assert_cmpuint (element_messages, >, 0);
    g_assert_cmpuint (progress_messages, >, 0);
    assert_says (description, "GstSynapseConnection");
  }
}

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/settings/" path, Fixture, NULL, fixture_set_up, func, \
      fixture_tear_down)

  ADD ("range/listing", test_listing_numbers_out_of_range);
  ADD ("range/chunk-size", test_chunk_size_out_of_range);
  ADD ("range/connection", test_connection_numbers_out_of_range);
  ADD ("range/set-by-the-application", test_number_set_by_the_application);
  ADD ("range/with-an-application-client",
      test_number_refused_with_an_application_client);
  ADD ("range/ends-run", test_numbers_at_the_ends_of_their_ranges_run);
  ADD ("refused/dataset-versions", test_bad_dataset_versions);
  ADD ("refused/extra-params", test_extra_params_not_a_structure);
  ADD ("refused/url-prefix", test_url_prefix_without_scheme_and_host);
  ADD ("refused/base-url", test_base_url_refused_names_it);
  ADD ("environment/used-not-read-back", test_environment_used_not_read_back);
  ADD ("environment/properties-over-it", test_properties_over_environment);
  ADD ("inspect/description-lists-the-messages",
      test_description_lists_the_messages);

  return g_test_run ();
}
