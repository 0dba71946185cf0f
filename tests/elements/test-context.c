/* test-context.c: one SynapseClient for a whole pipeline, through the
 * `synapse.client` GstContext, against the in-process local backend
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "kit-gst.h"

#define TOKEN "context-Test-Token-39ad51"
#define EVENTS_PER_VERSION 12
#define RUN_TIMEOUT_S 20
#define MODEL "model-name=events-as-a-model model-type=detection project=1"

typedef struct
{
  SynapseTestBackend *backend;
  gchar *url;
  gchar *dir;
  gchar *output;
  SynapseClient *client;        /* the application's */
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

  f->backend = kit_backend_new (&options, &f->url);
  f->dir = kit_make_tmp_dir ();
  f->output = g_build_filename (f->dir, "events.ndjson", NULL);
  f->client = kit_client_new (f->url, TOKEN);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->backend);
  kit_clear_tmp_dir (&f->dir);
  g_free (f->output);
  g_free (f->url);
}

static GstContext *
client_context (SynapseClient * client)
{
  GstContext *context = gst_context_new ("synapse.client", TRUE);

  gst_structure_set (gst_context_writable_structure (context), "client",
      SYNAPSE_TYPE_CLIENT, client, NULL);
  return context;
}

/* A pipeline whose elements have no base-url and no token (the tests'
 * environment sets neither). */
static GstElement *
bare_pipeline (const gchar * launch)
{
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (launch, &error);

  g_assert_no_error (error);
  return pipeline;
}

static void
run_to_eos (GstElement * pipeline, KitRun * run)
{
  run->timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (run, pipeline);
  kit_run_assert_eos (run);
}

static guint
count_messages (KitRun * run, GstMessageType type)
{
  guint n = 0;

  for (guint i = 0; i < run->messages->len; i++)
    n += GST_MESSAGE_TYPE (run->messages->pdata[i]) == type;
  return n;
}

/* The application sets its client on the pipeline, before it runs. */
static void
test_application_client_on_the_pipeline (Fixture * f, gconstpointer data)
{
  g_autofree gchar *launch = g_strdup_printf ("synapsegtsrc "
      "dataset-versions=1 ! filesink location=\"%s\"", f->output);
  g_autoptr (GstElement) pipeline = bare_pipeline (launch);
  g_autoptr (GstContext) context = client_context (f->client);
  g_auto (KitRun) run = { 0 };
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) want = NULL;
  const guint versions[] = { 1 };

  gst_element_set_context (pipeline, context);
  run_to_eos (pipeline, &run);

  got = kit_read_ndjson (f->output);
  want = kit_dup_events (f->backend, versions, 1);
  kit_assert_events (got, want);
  /* it was used, not posted again as another */
  g_assert_cmpuint (count_messages (&run, GST_MESSAGE_HAVE_CONTEXT), ==, 0);
}

static void
answer_need_context (GstMessage * message, gpointer user_data)
{
  Fixture *f = user_data;
  const gchar *type = NULL;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_NEED_CONTEXT
      && gst_message_parse_context_type (message, &type)
      && g_str_equal (type, "synapse.client")) {
    g_autoptr (GstContext) context = client_context (f->client);

    gst_element_set_context (GST_ELEMENT (GST_MESSAGE_SRC (message)),
        context);
  }
}

/* The application answers the elements' need-context messages from its
 * bus sync handler. */
static void
test_application_answers_need_context (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = bare_pipeline ("synapsemediasrc "
      "dataset-versions=1 num-buffers=3 ! fakesink");
  g_auto (KitRun) run = { 0 };

  run.hook = answer_need_context;
  run.hook_data = f;
  run_to_eos (pipeline, &run);

  g_assert_cmpuint (count_messages (&run, GST_MESSAGE_NEED_CONTEXT), ==, 1);
  g_assert_cmpuint (kit_count_requests (f->backend, "GET",
          "media/data_units/", 200), ==, 3);
}

/* The events of a listing uploaded as a model file: a source and a sink,
 * pointed at the backend each by its own properties. */
static GstElement *
listing_to_model (Fixture * f, const gchar * sink_props)
{
  g_autofree gchar *launch = g_strdup_printf ("synapsegtsrc name=src "
      "dataset-versions=1 ! synapsemodelsink name=sink " MODEL " %s",
      sink_props);
  GstElement *pipeline = kit_pipeline_new (launch, "src", f->url, TOKEN);

  g_object_set (kit_get_element (pipeline, "sink"), "base-url", f->url,
      "access-token", TOKEN, NULL);
  return pipeline;
}

/* Elements of the same settings share the first one's client: it is
 * posted once, and the other takes it. */
static void
test_same_settings_share_a_client (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = listing_to_model (f, "");
  g_auto (KitRun) run = { 0 };

  run_to_eos (pipeline, &run);
  g_assert_cmpuint (count_messages (&run, GST_MESSAGE_HAVE_CONTEXT), ==, 1);
  g_assert_cmpuint (kit_count_requests (f->backend, "POST", "models/", 201),
      ==, 1);
}

/* Another setting (a timeout) is another client. */
static void
test_other_settings_make_their_own (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = listing_to_model (f, "timeout=7");
  g_auto (KitRun) run = { 0 };

  run_to_eos (pipeline, &run);
  g_assert_cmpuint (count_messages (&run, GST_MESSAGE_HAVE_CONTEXT), ==, 2);
}

/* The application's client is the one used, whatever the elements'
 * connection properties say. */
static void
test_application_client_wins (Fixture * f, gconstpointer data)
{
  g_autofree gchar *launch = g_strdup_printf ("synapsegtsrc "
      "base-url=http://127.0.0.1:1/ access-token=unused dataset-versions=1 "
      "num-buffers=2 ! filesink location=\"%s\"", f->output);
  g_autoptr (GstElement) pipeline = bare_pipeline (launch);
  g_autoptr (GstContext) context = client_context (f->client);
  g_auto (KitRun) run = { 0 };

  gst_element_set_context (pipeline, context);
  run_to_eos (pipeline, &run);
  g_assert_cmpuint (kit_count_requests (f->backend, "GET",
          "sdk/ground_truth_events/", 200), ==, 1);
}

/* The client property of one element gives every element of the pipeline
 * the application's client. */
static void
test_client_property_is_shared (Fixture * f, gconstpointer data)
{
  g_autofree gchar *launch = g_strdup_printf ("synapsegtsrc name=src "
      "dataset-versions=1 ! synapsemodelsink name=sink " MODEL);
  g_autoptr (GstElement) pipeline = bare_pipeline (launch);
  g_auto (KitRun) run = { 0 };
  g_autoptr (SynapseClient) got = NULL;

  g_object_set (kit_get_element (pipeline, "sink"), "client", f->client,
      NULL);
  run_to_eos (pipeline, &run);
  g_assert_cmpuint (kit_count_requests (f->backend, "POST", "models/", 201),
      ==, 1);
  g_object_get (kit_get_element (pipeline, "sink"), "client", &got, NULL);
  g_assert_true (got == f->client);
}

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/context/" path, Fixture, NULL, fixture_set_up, func, \
      fixture_tear_down)

  ADD ("application/on-the-pipeline", test_application_client_on_the_pipeline);
  ADD ("application/answers-need-context",
      test_application_answers_need_context);
  ADD ("application/wins", test_application_client_wins);
  ADD ("application/client-property-is-shared",
      test_client_property_is_shared);
  ADD ("elements/same-settings-share", test_same_settings_share_a_client);
  ADD ("elements/other-settings-make-their-own",
      test_other_settings_make_their_own);

  return g_test_run ();
}
