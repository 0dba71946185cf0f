/* test-synapsegtsrc.c: synapsegtsrc against the in-process local backend
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstharness.h>

#include "kit-gst.h"

#define TOKEN "gtsrc-Test-Token-0c7e41"
#define WRONG_TOKEN "gtsrc-Wrong-Token-9b2d55"
#define EVENTS_PER_VERSION 25
#define RUN_TIMEOUT_S 10
#define EVENTS_PATH "sdk/ground_truth_events/"

static const gchar *const secrets[] = { TOKEN, WRONG_TOKEN, NULL };

typedef struct
{
  SynapseTestBackend *backend;
  gchar *url;
  gchar *dir;
  gchar *output;
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 3,
    .events = EVENTS_PER_VERSION,
    .seed = 3,
  };

  f->backend = kit_backend_new (&options, &f->url);
  f->dir = kit_make_tmp_dir ();
  f->output = g_build_filename (f->dir, "events.ndjson", NULL);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->backend);
  kit_clear_tmp_dir (&f->dir);
  g_free (f->output);
  g_free (f->url);
}

/* `synapsegtsrc name=src <props> ! filesink location=<output>`, pointed at
 * the backend with the right token and quick retries. */
static GstElement *
make_pipeline (Fixture * f, const gchar * props)
{
  g_autofree gchar *launch =
      g_strdup_printf ("synapsegtsrc name=src retry-backoff-factor=0.01 %s ! "
      "filesink name=sink buffer-mode=unbuffered location=\"%s\"",
      props ? props : "", f->output);

  return kit_pipeline_new (launch, "src", f->url, TOKEN);
}

/* Runs @pipeline until EOS or an error (within RUN_TIMEOUT_S), then to
 * NULL. */
static void
run_pipeline (GstElement * pipeline, KitRun * run)
{
  run->timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (run, pipeline);
}

static void
run_to_eos (GstElement * pipeline)
{
  g_auto (KitRun) run = { 0 };

  run_pipeline (pipeline, &run);
  kit_run_assert_eos (&run);
}

/* The run ends with an error of the source. */
static void
run_to_error (GstElement * pipeline, KitRun * run)
{
  run_pipeline (pipeline, run);
  kit_run_assert_error_from (run, "src");
}

/* The NDJSON the pipeline wrote, one parsed event a line. */
static JsonArray *
read_output (Fixture * f)
{
  return kit_read_ndjson (f->output);
}

static guint
count_listings (Fixture * f)
{
  return synapse_test_backend_count_requests (f->backend, EVENTS_PATH);
}

/* The query of the first event listing the backend received. */
static gchar *
dup_first_query (Fixture * f)
{
  return kit_dup_request_query (f->backend, EVENTS_PATH, 0);
}

/* --- streaming ---------------------------------------------------------- */

static void
test_ndjson_equals_backend_events (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=2 page-size=10");
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) want = NULL;
  const guint versions[] = { 2 };

  run_to_eos (pipeline);

  got = read_output (f);
  want = kit_dup_events (f->backend, versions, 1);
  g_assert_cmpuint (json_array_get_length (want), ==, EVENTS_PER_VERSION);
  kit_assert_events (got, want);
  /* 25 events, 10 a page: 3 requests, no more */
  g_assert_cmpuint (count_listings (f), ==, 3);
}

static void
test_buffers_offsets_and_caps (Fixture * f, gconstpointer data)
{
  GstHarness *h = gst_harness_new ("synapsegtsrc");
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstCaps) want_caps =
      gst_caps_from_string ("application/x-json, format=ndjson");
  g_autoptr (JsonArray) want = synapse_test_backend_dup_events (f->backend, 1);
  gint64 duration = -1;
  gboolean saw_segment = FALSE;

  g_object_set (h->element, "base-url", f->url, "access-token", TOKEN,
      "dataset-versions", "1", "page-size", 7, NULL);
  gst_harness_play (h);

  for (guint i = 0; i < EVENTS_PER_VERSION; i++) {
    g_autoptr (GstBuffer) buffer = gst_harness_pull (h);
    GstMapInfo map;
    g_autoptr (JsonNode) node = NULL;
    g_autofree gchar *line = NULL;
    g_autoptr (GError) error = NULL;

    g_assert_nonnull (buffer);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buffer), ==, i);
    g_assert_cmpuint (GST_BUFFER_OFFSET_END (buffer), ==, i + 1);
    g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
    /* one compact object and its newline */
    g_assert_cmpuint (map.size, >, 2);
    g_assert_cmpint (map.data[map.size - 1], ==, '\n');
    g_assert_null (memchr (map.data, '\n', map.size - 1));
    g_assert_cmpint (map.data[0], ==, '{');
    line = g_strndup ((const gchar *) map.data, map.size - 1);
    gst_buffer_unmap (buffer, &map);

    node = json_from_string (line, &error);
    g_assert_no_error (error);
    g_assert_true (json_node_equal (node, json_array_get_element (want, i)));

    /* a read-only slice of its page's lines: writing to it writes to a
     * copy, and the events after it (the loop goes on) stay as they came.
     * Made writable first, as any writer must: the page's buffer list
     * holds its own reference until the last of its buffers is pushed. */
    buffer = gst_buffer_make_writable (buffer);
    g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_WRITE));
    memset (map.data, 'X', map.size);
    gst_buffer_unmap (buffer, &map);
  }

  caps = gst_pad_get_current_caps (h->sinkpad);
  g_assert_true (gst_caps_is_equal (caps, want_caps));
  g_assert_true (gst_element_query_duration (h->element, GST_FORMAT_DEFAULT,
          &duration));
  g_assert_cmpint (duration, ==, EVENTS_PER_VERSION);

  for (;;) {
    g_autoptr (GstEvent) event = gst_harness_pull_event (h);

    g_assert_nonnull (event);
    if (GST_EVENT_TYPE (event) == GST_EVENT_SEGMENT) {
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      g_assert_cmpint (segment->format, ==, GST_FORMAT_DEFAULT);
      saw_segment = TRUE;
    }
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
      break;
  }
  g_assert_true (saw_segment);
  g_assert_null (gst_harness_try_pull (h));
  gst_harness_teardown (h);
}

static void
test_num_buffers_caps_the_events (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=3 page-size=5 num-buffers=12");
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) all = synapse_test_backend_dup_events (f->backend, 3);

  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_first_events (got, all, 12);
  /* events 11 and 12 are on page 3: no page beyond is asked for */
  g_assert_cmpuint (count_listings (f), ==, 3);
}

static void
test_empty_listing (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 created-after=2100-01-01T00:00:00Z");
  g_auto (KitRun) run = {.timeout_s = RUN_TIMEOUT_S };
  g_autoptr (JsonArray) got = NULL;
  guint pages = 0;
  gint64 total = -2;

  /* the total, once the stream ended, before it is stopped */
  kit_run_start (&run, pipeline);
  g_assert_true (GST_MESSAGE_TYPE (kit_run_wait (&run, GST_MESSAGE_EOS |
              GST_MESSAGE_ERROR)) == GST_MESSAGE_EOS);
  g_object_get (kit_get_element (pipeline, "src"), "total-count", &total, NULL);
  kit_run_stop (&run);
  for (guint i = 0; i < run.messages->len; i++) {
    const GstStructure *s = gst_message_get_structure (run.messages->pdata[i]);
    guint events = 99;

    if (s && gst_structure_has_name (s, "synapse-page")) {
      g_assert_true (gst_structure_get_uint (s, "events", &events));
      g_assert_cmpuint (events, ==, 0);
      pages++;
    }
  }
  g_assert_cmpuint (pages, ==, 1);
  g_assert_cmpint (total, ==, 0);

  got = read_output (f);
  g_assert_cmpuint (json_array_get_length (got), ==, 0);
}

static void
test_restart_streams_again (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=1 page-size=10");
  const guint versions[] = { 1 };
  g_autoptr (JsonArray) want = kit_dup_events (f->backend, versions, 1);

  for (guint run = 0; run < 2; run++) {
    g_autoptr (JsonArray) got = NULL;

    run_to_eos (pipeline);
    got = read_output (f);
    kit_assert_events (got, want);
    g_assert_cmpuint (count_listings (f), ==, 3 * (run + 1));
  }
}

static void
test_prefetch_keeps_order (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=1,2,3 page-size=7 prefetch=4");
  g_autoptr (JsonArray) got = NULL;
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) want = kit_dup_events (f->backend, versions, 3);

  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_events (got, want);
  /* 75 events, 7 a page: 11 pages, and none past the last */
  g_assert_cmpuint (count_listings (f), ==, 11);
}

/* Counts, as each page goes out, the pages requested beyond it. */
typedef struct
{
  Fixture *f;
  guint pages;
  guint most_ahead;
} AheadCount;

static GstPadProbeReturn
count_ahead (GstPad * pad, GstPadProbeInfo * info, gpointer data)
{
  AheadCount *count = data;
  guint requests = count_listings (count->f);

  /* the element pushes each page as one buffer list */
  count->pages++;
  if (requests > count->pages)
    count->most_ahead = MAX (count->most_ahead, requests - count->pages);
  return GST_PAD_PROBE_OK;
}

static void
test_prefetch_bytes_bound_the_pages_ahead (Fixture * f, gconstpointer data)
{
  /* pages of about 3 KB, and room for less than one */
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "page-size=5 prefetch=8 prefetch-bytes=1000");
  g_autoptr (GstPad) pad =
      gst_element_get_static_pad (kit_get_element (pipeline, "src"), "src");
  AheadCount count = {.f = f };
  g_autoptr (JsonArray) got = NULL;
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) want = kit_dup_events (f->backend, versions, 3);

  /* requests sent at once all reach the backend before any is answered */
  synapse_test_backend_set_latency (f->backend, 50);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER_LIST, count_ahead,
      &count, NULL);
  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_events (got, want);
  g_assert_cmpuint (count.pages, ==, 15);
  /* one page ahead at most, whatever the prefetch */
  g_assert_cmpuint (count.most_ahead, <=, 1);
  g_assert_cmpuint (count_listings (f), ==, 15);
}

/* --- filters ------------------------------------------------------------ */

static void
test_filter_versions_list (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=\"3, 1\" page-size=20");
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) want = NULL;
  g_autofree gchar *query = NULL;
  const guint versions[] = { 1, 3 };

  run_to_eos (pipeline);
  got = read_output (f);
  want = kit_dup_events (f->backend, versions, 2);
  kit_assert_events (got, want);

  query = dup_first_query (f);
  g_assert_cmpuint (count_listings (f), ==, 3);
  /* a list is sent as the key repeated */
  g_assert_nonnull (strstr (query,
          "ground_truth_dataset_versions=3&ground_truth_dataset_versions=1"));
}

static void
test_filter_project (Fixture * f, gconstpointer data)
{
  /* version v belongs to project (v - 1) % 2 + 1: project 2 is version 2 */
  g_autoptr (GstElement) pipeline = make_pipeline (f, "project=2");
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) want = NULL;
  g_autofree gchar *query = NULL;
  const guint versions[] = { 2 };

  run_to_eos (pipeline);
  got = read_output (f);
  want = kit_dup_events (f->backend, versions, 1);
  kit_assert_events (got, want);

  query = dup_first_query (f);
  g_assert_nonnull (strstr (query, "project=2"));
  g_assert_null (strstr (query, "ground_truth_dataset_versions"));
}

static gboolean
is_of_data_type (JsonNode * event, const gchar * type)
{
  JsonObject *unit = json_object_get_object_member (json_node_get_object
      (event), "data_unit");

  return g_strcmp0 (json_object_get_string_member (unit, "data_type"),
      type) == 0;
}

static void
test_filter_data_type_property (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=1 data-type=video");
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) all = synapse_test_backend_dup_events (f->backend, 1);
  g_autoptr (JsonArray) want = json_array_new ();

  for (guint i = 0; i < json_array_get_length (all); i++) {
    JsonNode *event = json_array_get_element (all, i);

    if (is_of_data_type (event, "video"))
      json_array_add_element (want, json_node_copy (event));
  }
  g_assert_cmpuint (json_array_get_length (want), >, 0);

  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_events (got, want);
}

static void
test_filter_extra_params (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "page-size=100 extra-params=\"params, page_size=4, "
      "ground_truth_dataset_versions=(int)<1,3>, data_type=image\"");
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) all = NULL;
  g_autoptr (JsonArray) want = json_array_new ();
  g_autofree gchar *query = NULL;
  const guint versions[] = { 1, 3 };
  guint n;

  all = kit_dup_events (f->backend, versions, 2);
  for (guint i = 0; i < json_array_get_length (all); i++) {
    JsonNode *event = json_array_get_element (all, i);

    if (is_of_data_type (event, "image"))
      json_array_add_element (want, json_node_copy (event));
  }
  n = json_array_get_length (want);
  g_assert_cmpuint (n, >, 4);

  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_events (got, want);

  /* page_size of extra-params wins over the page-size property */
  query = dup_first_query (f);
  g_assert_cmpuint (count_listings (f), ==, (n + 3) / 4);
  g_assert_nonnull (strstr (query, "page_size=4"));
  g_assert_null (strstr (query, "page_size=100"));
  g_assert_nonnull (strstr (query,
          "ground_truth_dataset_versions=1&ground_truth_dataset_versions=3"));
  g_assert_nonnull (strstr (query, "data_type=image"));
}

static void
test_extra_params_types (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 extra-params=\"p, search=cat, flag=true, "
      "ratio=0.5, big=(gint64)12345678901, n=(uint)7, tags={a,b}\"");
  g_autofree gchar *query = NULL;

  run_to_eos (pipeline);
  query = dup_first_query (f);
  g_assert_nonnull (strstr (query, "search=cat"));
  g_assert_nonnull (strstr (query, "flag=true"));
  g_assert_nonnull (strstr (query, "ratio=0.5"));
  g_assert_nonnull (strstr (query, "big=12345678901"));
  g_assert_nonnull (strstr (query, "n=7"));
  g_assert_nonnull (strstr (query, "tags=a&tags=b"));
}

/* --- settings refused at start ------------------------------------------ */

/* Going to PAUSED fails with a SETTINGS error that says @message_part,
 * before any request. */
static void
assert_pipeline_refused (Fixture * f, GstElement * pipeline,
    const gchar * message_part)
{
  g_auto (KitRun) run = { 0 };

  kit_run_refused (&run, pipeline, GST_STATE_PAUSED);
  kit_run_assert_error_from (&run, "src");
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  if (message_part && !strstr (run.gerror->message, message_part))
    g_error ("\"%s\" does not say \"%s\"", run.gerror->message, message_part);
  g_assert_cmpuint (count_listings (f), ==, 0);
}

static void
assert_refused_at_start (Fixture * f, const gchar * props,
    const gchar * message_part)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, props);

  assert_pipeline_refused (f, pipeline, message_part);
}

static void
test_bad_dataset_versions (Fixture * f, gconstpointer data)
{
  /* empty items are mistakes too: only an unset property means every
   * version */
  const gchar *const empty_items[] = { "1,,2", ",", "  ", "3," };

  assert_refused_at_start (f, "dataset-versions=12,x3", "\"x3\"");
  assert_refused_at_start (f, "dataset-versions=\"1 2\"", "dataset-versions");
  for (guint i = 0; i < G_N_ELEMENTS (empty_items); i++) {
    g_autoptr (GstElement) pipeline = make_pipeline (f, NULL);

    g_object_set (kit_get_element (pipeline, "src"), "dataset-versions",
        empty_items[i], NULL);
    assert_pipeline_refused (f, pipeline, "empty item");
  }
}

static void
test_empty_dataset_versions_mean_every_version (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "page-size=30");
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) want = kit_dup_events (f->backend, versions, 3);
  g_autoptr (JsonArray) got = NULL;
  g_autofree gchar *query = NULL;

  g_object_set (kit_get_element (pipeline, "src"), "dataset-versions", "",
      NULL);
  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_events (got, want);
  query = dup_first_query (f);
  g_assert_null (strstr (query, "ground_truth_dataset_versions"));
}

static void
test_bad_url_prefix (Fixture * f, gconstpointer data)
{
  const gchar *const prefixes[] = {
    "cdn.example.com/mirror", "/srv/mirror", "https:///mirror",
    "mailto:someone@example.com",
  };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++) {
    g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=1");

    g_object_set (kit_get_element (pipeline, "src"), "url-prefix", prefixes[i],
        NULL);
    assert_pipeline_refused (f, pipeline, "url-prefix");
  }
}

static void
test_bad_extra_params (Fixture * f, gconstpointer data)
{
  assert_refused_at_start (f, "extra-params=\",,=\"", "extra-params");
  assert_refused_at_start (f, "extra-params=\"p, ratio=(fraction)1/2\"",
      "ratio");
}

static void
test_missing_base_url (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, NULL);

  g_object_set (kit_get_element (pipeline, "src"), "base-url", NULL, NULL);
  assert_pipeline_refused (f, pipeline, "SYNAPSE_BACKEND_URL");
  g_object_set (kit_get_element (pipeline, "src"), "base-url",
      "ftp://example.com/", NULL);
  assert_pipeline_refused (f, pipeline, NULL);
}

/* --- URL conversion ----------------------------------------------------- */

/* @url with scheme://host:port replaced by @prefix. */
static gchar *
with_prefix (const gchar * url, const gchar * prefix)
{
  const gchar *rest = strstr (url, "://") + 3;

  rest += strcspn (rest, "/");
  return g_strconcat (prefix, rest, NULL);
}

static void
test_url_prefix (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 url-prefix=https://cdn.example.com:8443/mirror/");
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) want = synapse_test_backend_dup_events (f->backend, 1);

  for (guint i = 0; i < json_array_get_length (want); i++) {
    JsonObject *files = json_object_get_object_member
        (json_array_get_object_element (want, i), "files");
    JsonObjectIter iter;
    const gchar *name;
    JsonNode *node;

    json_object_iter_init (&iter, files);
    while (json_object_iter_next (&iter, &name, &node)) {
      g_autofree gchar *converted = with_prefix (json_node_get_string (node),
          "https://cdn.example.com:8443/mirror");

      /* the query (a signature) is kept */
      g_assert_true (!g_str_equal (name, "image")
          || strstr (converted, "?sig=") != NULL);
      json_node_set_string (node, converted);
    }
  }

  run_to_eos (pipeline);
  got = read_output (f);
  /* only "files" (the default url-fields) changed: data_unit is as sent */
  kit_assert_events (got, want);
}

static void
test_download_dir (Fixture * f, gconstpointer data)
{
  g_autofree gchar *media = g_build_filename (f->dir, "media", NULL);
  g_autofree gchar *props = g_strdup_printf ("dataset-versions=2 "
      "page-size=10 num-buffers=12 url-fields=\"files, data_unit.files\" "
      "download-dir=\"%s\"", media);
  g_autoptr (GstElement) pipeline = make_pipeline (f, props);
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 2);

  run_to_eos (pipeline);
  got = read_output (f);
  g_assert_cmpuint (json_array_get_length (got), ==, 12);

  /* each a file in media (a file entry gets a path in place of its url) */
  for (guint i = 0; i < 12; i++)
    kit_assert_event_downloaded (f->backend, json_array_get_object_element
        (got, i), json_array_get_object_element (sent, i), media);
}

static gchar *
convert_masks (GstElement * src, const gchar * url, gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
  if (g_str_has_suffix (url, "/mask.png"))
    return g_strconcat ("s3://masks", strstr (url, "/media/"), NULL);
  return NULL;
}

static void
test_convert_url_signal (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 num-buffers=5 url-prefix=http://mirror.test");
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);
  guint calls = 0;

  g_signal_connect (kit_get_element (pipeline, "src"), "convert-url",
      G_CALLBACK (convert_masks), &calls);
  run_to_eos (pipeline);
  got = read_output (f);
  g_assert_cmpuint (json_array_get_length (got), ==, 5);
  /* two URLs an event, only the 5 events pushed converted */
  g_assert_cmpuint (calls, ==, 2 * 5);

  for (guint i = 0; i < 5; i++) {
    JsonObject *files = json_object_get_object_member
        (json_array_get_object_element (got, i), "files");
    JsonObject *sent_files = json_object_get_object_member
        (json_array_get_object_element (sent, i), "files");
    g_autofree gchar *mask = g_strconcat ("s3://masks",
        strstr (json_object_get_string_member (sent_files, "mask"),
            "/media/"), NULL);
    g_autofree gchar *image =
        with_prefix (json_object_get_string_member (sent_files, "image"),
        "http://mirror.test");

    /* the handler's URL wins; where it returns NULL, url-prefix applies */
    g_assert_cmpstr (json_object_get_string_member (files, "mask"), ==, mask);
    g_assert_cmpstr (json_object_get_string_member (files, "image"), ==, image);
  }
}

static void
test_prefix_then_download (Fixture * f, gconstpointer data)
{
  g_autofree gchar *media = g_build_filename (f->dir, "media", NULL);
  g_autofree gchar *other_origin = g_strdup_printf ("http://localhost:%u",
      synapse_test_backend_get_port (f->backend));
  g_autofree gchar *props = g_strdup_printf ("dataset-versions=1 "
      "num-buffers=4 page-size=4 prefetch=2 url-prefix=%s download-dir=\"%s\"",
      other_origin, media);
  g_autoptr (GstElement) pipeline = make_pipeline (f, props);
  g_autoptr (JsonArray) got = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  guint media_requests = 0;

  run_to_eos (pipeline);
  got = read_output (f);
  g_assert_cmpuint (json_array_get_length (got), ==, 4);
  for (guint i = 0; i < 4; i++) {
    JsonObject *files = json_object_get_object_member
        (json_array_get_object_element (got, i), "files");

    g_assert_true (g_str_has_prefix (json_object_get_string_member (files,
                "mask"), media));
    g_assert_true (g_file_test (json_object_get_string_member (files,
                "mask"), G_FILE_TEST_IS_REGULAR));
  }

  /* the files came from the rewritten origin, which gets no credentials */
  requests = synapse_test_backend_dup_requests (f->backend);
  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];
    const gchar *host;

    if (!g_str_has_prefix (request->path, "media/"))
      continue;
    media_requests++;
    host = soup_message_headers_get_one (request->headers, "Host");
    g_assert_true (g_str_has_prefix (host, "localhost:"));
    g_assert_null (soup_message_headers_get_one (request->headers,
            "Synapse-Access-Token"));
  }
  g_assert_cmpuint (media_requests, >=, 8);
}

/* The warnings a run to EOS posted. */
static GPtrArray *
run_for_warnings (GstElement * pipeline)
{
  g_auto (KitRun) run = { 0 };

  run_pipeline (pipeline, &run);
  kit_run_assert_eos (&run);
  return kit_run_dup_warnings (&run);
}

static void
test_url_fields_never_matched_warn_once (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=1 "
      "page-size=10 url-prefix=https://cdn.example.com "
      "url-fields=\"files, data_unit.file, labels\"");
  g_autoptr (GPtrArray) warnings = run_for_warnings (pipeline);
  g_autoptr (JsonArray) got = read_output (f);
  const GError *warning;

  /* one warning for the run, naming the paths no event of the first page
   * has, and only those */
  g_assert_cmpuint (warnings->len, ==, 1);
  warning = warnings->pdata[0];
  g_assert_error (warning, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  g_assert_nonnull (strstr (warning->message, "url-fields paths "
          "\"data_unit.file\", \"labels\""));
  g_assert_nonnull (strstr (warning->message, "10 events of the first page"));
  g_assert_null (strstr (warning->message, "\"files\""));
  /* the path that matches is still converted */
  g_assert_cmpuint (json_array_get_length (got), ==, EVENTS_PER_VERSION);
  g_assert_true (g_str_has_prefix (json_object_get_string_member
          (json_object_get_object_member (json_array_get_object_element (got,
                      0), "files"), "image"), "https://cdn.example.com/"));
}

static void
test_url_fields_that_match_say_nothing (Fixture * f, gconstpointer data)
{
  /* every path found, through the array of a field too */
  g_autoptr (GstElement) converting = make_pipeline (f, "dataset-versions=1 "
      "url-prefix=https://cdn.example.com "
      "url-fields=\"files, data_unit.files, data.bbox\"");
  /* without a conversion, url-fields is not used: nothing to check */
  g_autoptr (GstElement) plain = make_pipeline (f, "dataset-versions=1 "
      "url-fields=nothing.here");
  g_autoptr (GPtrArray) converting_warnings = run_for_warnings (converting);
  g_autoptr (GPtrArray) plain_warnings = run_for_warnings (plain);

  g_assert_cmpuint (converting_warnings->len, ==, 0);
  g_assert_cmpuint (plain_warnings->len, ==, 0);
}

/* --- the backend's bytes, the right files ------------------------------- */

/* Events whose numbers and strings json-glib cannot give back as they
 * came, each with a file URL in `files` and a file entry, of the real
 * size and checksum, in `data_unit.files`. */
static gchar *
hostile_events (Fixture * f, guint count, GPtrArray * urls)
{
  GString *events = g_string_new (NULL);

  for (guint id = 1; id <= count; id++) {
    gchar *file = g_strdup_printf ("%smedia/events/%u/mask.png", f->url, id);
    gchar *unit = g_strdup_printf ("%smedia/data_units/%u/image.jpg", f->url,
        id);
    g_autofree gchar *entry = kit_file_entry (f->backend, unit,
        G_CHECKSUM_MD5, NULL);

    g_string_append_printf (events, "%s{\"id\":%u,\"data\":{\"score\":0.942,"
        "\"big\":18446744073709551615,\"far\":1e400,\"nul\":\"a\\u0000b\"},"
        "\"files\":{\"mask\":\"%s\"},\"data_unit\":{\"files\":{\"image\":"
        "%s}}}", id > 1 ? "," : "", id, file, entry);
    g_ptr_array_add (urls, file);
    g_ptr_array_add (urls, unit);
  }
  return g_string_free (events, FALSE);
}

/* @text with the string token of @from replaced by that of @to. */
static gchar *
replace_token (const gchar * text, const gchar * from, const gchar * to)
{
  g_autofree gchar *from_token = g_strdup_printf ("\"%s\"", from);
  g_autofree gchar *to_token = g_strdup_printf ("\"%s\"", to);
  g_auto (GStrv) pieces = g_strsplit (text, from_token, -1);

  g_assert_cmpuint (g_strv_length (pieces), ==, 2);
  return g_strjoinv (to_token, pieces);
}

/* What the pipeline wrote is the backend's events, one a line, each URL
 * of @urls replaced by what @convert makes of it. */
static void
assert_output_is_the_events (Fixture * f, const gchar * events,
    GPtrArray * urls, gchar * (*convert) (Fixture *, const gchar *))
{
  g_autofree gchar *output = NULL;
  g_autofree gchar *want = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;

  /* the events were written one after the other, a comma between */
  lines = g_strsplit (events, "},{\"id\":", -1);
  want = g_strjoinv ("}\n{\"id\":", lines);
  for (guint i = 0; i < urls->len; i++) {
    g_autofree gchar *converted = convert (f, urls->pdata[i]);
    g_autofree gchar *next = replace_token (want, urls->pdata[i], converted);

    g_free (want);
    want = g_steal_pointer (&next);
  }
  g_file_get_contents (f->output, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (output, "\n"));
  output[strlen (output) - 1] = '\0';
  g_assert_cmpstr (output, ==, want);
}

static gchar *
on_the_mirror (Fixture * f, const gchar * url)
{
  return with_prefix (url, "https://cdn.example.com/mirror");
}

static void
test_url_prefix_keeps_the_bytes (Fixture * f, gconstpointer data)
{
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *events = hostile_events (f, 3, urls);
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "url-fields=files,data_unit.files "
      "url-prefix=https://cdn.example.com/mirror");

  kit_serve_events (f->backend, events, 3);
  run_to_eos (pipeline);
  assert_output_is_the_events (f, events, urls, on_the_mirror);
}

static gchar *
to_bucket (GstElement * src, const gchar * url, gpointer user_data)
{
  return g_strconcat ("s3://bucket", strstr (url, "/media/"), NULL);
}

static gchar *
in_the_bucket (Fixture * f, const gchar * url)
{
  return to_bucket (NULL, url, NULL);
}

static void
test_convert_url_keeps_the_bytes (Fixture * f, gconstpointer data)
{
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *events = hostile_events (f, 3, urls);
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "url-fields=files,data_unit.files");

  g_signal_connect (kit_get_element (pipeline, "src"), "convert-url",
      G_CALLBACK (to_bucket), NULL);
  kit_serve_events (f->backend, events, 3);
  run_to_eos (pipeline);
  assert_output_is_the_events (f, events, urls, in_the_bucket);
}

static gchar *
media_dir (Fixture * f)
{
  return g_build_filename (f->dir, "media", NULL);
}

/* Where download-dir puts @url: a file that holds its bytes. */
static gchar *
downloaded (Fixture * f, const gchar * url)
{
  g_autofree gchar *dir = media_dir (f);
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, dir);
  gchar *path = synapse_url_conversion_get_cache_path (conversion, url);

  kit_assert_file_holds_media (f->backend, path, url);
  return path;
}

static GstElement *
download_pipeline (Fixture * f, const gchar * more)
{
  g_autofree gchar *dir = media_dir (f);
  g_autofree gchar *props = g_strdup_printf ("url-fields=files,"
      "data_unit.files download-dir=\"%s\" %s", dir, more ? more : "");

  return make_pipeline (f, props);
}

static void
test_download_dir_keeps_the_bytes (Fixture * f, gconstpointer data)
{
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *events = hostile_events (f, 3, urls);
  g_autoptr (GstElement) pipeline = download_pipeline (f, NULL);
  g_autofree gchar *entries = NULL;

  kit_serve_events (f->backend, events, 3);
  run_to_eos (pipeline);
  /* a file entry's url became its path: the only other change */
  {
    g_auto (GStrv) pieces = g_strsplit (events, "{\"image\":{\"url\":", -1);

    entries = g_strjoinv ("{\"image\":{\"path\":", pieces);
  }
  assert_output_is_the_events (f, entries, urls, downloaded);
}

/* URLs that differ in their query are different files. */
static void
test_download_dir_query_names_the_file (Fixture * f, gconstpointer data)
{
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) events = g_string_new (NULL);
  g_autoptr (GstElement) pipeline = download_pipeline (f, NULL);

  for (guint id = 1; id <= 2; id++) {
    gchar *url = g_strdup_printf ("%smedia/by-query/get?id=%u", f->url, id);

    g_string_append_printf (events, "%s{\"id\":%u,\"files\":\"%s\"}",
        id > 1 ? "," : "", id, url);
    g_ptr_array_add (urls, url);
  }
  kit_serve_events (f->backend, events->str, 2);
  run_to_eos (pipeline);
  assert_output_is_the_events (f, events->str, urls, downloaded);
}

/* The error a failing download posts names the event and the URL, and
 * download-dir keeps nothing of the file. */
static void
assert_download_fails (Fixture * f, const gchar * fault, const gchar * what)
{
  g_autoptr (GstElement) pipeline = download_pipeline (f, NULL);
  g_auto (KitRun) run = { 0 };
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *events = hostile_events (f, 2, urls);
  g_autofree gchar *dir = media_dir (f);
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, dir);
  g_autofree gchar *path = synapse_url_conversion_get_cache_path (conversion,
      urls->pdata[3]);

  kit_serve_events (f->backend, events, 2);
  kit_add_fault (f->backend, fault);
  run_to_error (pipeline, &run);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_assert_nonnull (strstr (run.gerror->message, what));
  g_assert_nonnull (strstr (run.debug, urls->pdata[3]));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const gchar *name;

    while (d && (name = g_dir_read_name (d)))
      g_assert_false (g_str_has_suffix (name, ".part"));
  }
}

static void
test_download_checksum_mismatch (Fixture * f, gconstpointer data)
{
  assert_download_fails (f, "corrupt bytes=3 path=media/data_units/2/",
      "event 2 ");
}

static void
test_download_size_mismatch (Fixture * f, gconstpointer data)
{
  assert_download_fails (f, "truncate bytes=30 path=media/data_units/2/",
      "event 2 ");
}

/* No file is larger than 63 bytes: the first one tried fails the page,
 * and nothing of any is kept. */
static void
test_max_download_size (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = download_pipeline (f,
      "max-download-size=63");
  g_auto (KitRun) run = { 0 };
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *events = hostile_events (f, 2, urls);
  g_autofree gchar *dir = media_dir (f);
  g_autoptr (GDir) d = NULL;

  g_assert_cmpuint (g_value_get_uint64 (g_param_spec_get_default_value
          (g_object_class_find_property (G_OBJECT_GET_CLASS (kit_get_element
                      (pipeline, "src")), "max-download-size"))), ==,
      G_GUINT64_CONSTANT (4) << 30);
  kit_serve_events (f->backend, events, 2);
  run_to_error (pipeline, &run);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_assert_nonnull (strstr (run.gerror->message, "more than 63 bytes"));
  d = g_dir_open (dir, 0, NULL);
  g_assert_true (d == NULL || g_dir_read_name (d) == NULL);
}

/* A cached file is checked against its event before it is trusted: a
 * wrong one, or a symlink even to the right bytes, is replaced. */
static void
test_download_dir_checks_the_cache (Fixture * f, gconstpointer data)
{
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *events = hostile_events (f, 2, urls);
  g_autoptr (GstElement) pipeline = download_pipeline (f, NULL);
  g_autofree gchar *dir = media_dir (f);
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, dir);
  g_autofree gchar *wrong = synapse_url_conversion_get_cache_path (conversion,
      urls->pdata[1]);
  g_autofree gchar *linked = synapse_url_conversion_get_cache_path
      (conversion, urls->pdata[3]);
  g_autofree gchar *outside = g_build_filename (f->dir, "outside.jpg", NULL);
  g_autoptr (GBytes) right = synapse_test_backend_dup_media (f->backend,
      urls->pdata[3]);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_file_set_contents (wrong, "not the image", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (outside, g_bytes_get_data (right, NULL),
      g_bytes_get_size (right), &error);
  g_assert_no_error (error);
  g_assert_cmpint (symlink (outside, linked), ==, 0);

  kit_serve_events (f->backend, events, 2);
  run_to_eos (pipeline);
  g_assert_false (g_file_test (linked, G_FILE_TEST_IS_SYMLINK));
  g_free (downloaded (f, urls->pdata[1]));
  g_free (downloaded (f, urls->pdata[3]));
  /* the two data unit images came again; the masks were not there */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 4);
}

/* A gzip download cut short is tried again, and the file is whole. */
static void
test_download_dir_gzip_cut_is_retried (Fixture * f, gconstpointer data)
{
  g_autoptr (GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *events = hostile_events (f, 2, urls);
  g_autoptr (GstElement) pipeline = download_pipeline (f, "retries=3");

  kit_serve_events (f->backend, events, 2);
  kit_add_fault (f->backend, "gzip bytes=40 path=media/ times=2");
  run_to_eos (pipeline);
  for (guint i = 0; i < urls->len; i++)
    g_free (downloaded (f, urls->pdata[i]));
}

/* --- download only what is pushed --------------------------------------- */

static void
assert_downloads_only_what_is_pushed (Fixture * f, const gchar * props,
    guint events)
{
  g_autofree gchar *dir = media_dir (f);
  g_autofree gchar *all = g_strdup_printf ("dataset-versions=1 page-size=10 "
      "download-dir=\"%s\" %s", dir, props);
  g_autoptr (GstElement) pipeline = make_pipeline (f, all);
  g_autoptr (JsonArray) got = NULL;

  run_to_eos (pipeline);
  got = read_output (f);
  g_assert_cmpuint (json_array_get_length (got), ==, events);
  /* "files": an image and a mask an event */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 2 * events);
}

static void
test_num_buffers_downloads_only_pushed (Fixture * f, gconstpointer data)
{
  assert_downloads_only_what_is_pushed (f, "num-buffers=4 prefetch=1", 4);
}

static void
test_num_buffers_downloads_only_pushed_ahead (Fixture * f, gconstpointer data)
{
  assert_downloads_only_what_is_pushed (f, "num-buffers=13 prefetch=4", 13);
}

/* With url-prefix, the element downloads from the rewritten URLs itself. */
static void
test_num_buffers_downloads_only_pushed_prefixed (Fixture * f,
    gconstpointer data)
{
  g_autofree gchar *props = g_strdup_printf ("num-buffers=4 "
      "url-prefix=http://localhost:%u",
      synapse_test_backend_get_port (f->backend));

  assert_downloads_only_what_is_pushed (f, props, 4);
}

/* --- faults ------------------------------------------------------------- */

static void
assert_identical_despite (Fixture * f, const gchar * fault, guint expected_hits)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=3 page-size=5 retries=3");
  g_autoptr (JsonArray) got = NULL;
  const guint versions[] = { 3 };
  g_autoptr (JsonArray) want = kit_dup_events (f->backend, versions, 1);
  g_autoptr (GError) error = NULL;
  guint id = synapse_test_backend_add_fault_spec (f->backend, fault, &error);

  g_assert_no_error (error);
  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_events (got, want);
  g_assert_cmpuint (synapse_test_backend_get_fault_hits (f->backend, id), ==,
      expected_hits);
  /* 5 pages, plus one request a fault */
  g_assert_cmpuint (count_listings (f), ==, 5 + expected_hits);
}

static void
test_fault_503_on_page_3 (Fixture * f, gconstpointer data)
{
  assert_identical_despite (f,
      "status=503 path=sdk/ground_truth_events/ query=page=3 times=2", 2);
}

static void
test_fault_cut_response (Fixture * f, gconstpointer data)
{
  assert_identical_despite (f,
      "cut-response bytes=700 path=sdk/ground_truth_events/ query=page=2 "
      "times=1", 1);
}

static void
test_fault_truncated_page (Fixture * f, gconstpointer data)
{
  assert_identical_despite (f,
      "truncate bytes=900 path=sdk/ground_truth_events/ query=page=4 times=1",
      1);
}

static void
test_fault_503_with_prefetch (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=2 page-size=3 prefetch=3");
  g_autoptr (JsonArray) got = NULL;
  const guint versions[] = { 2 };
  g_autoptr (JsonArray) want = kit_dup_events (f->backend, versions, 1);

  kit_add_fault (f->backend,
      "status=503 path=sdk/ground_truth_events/ query=page=3 " "times=2");
  kit_add_fault (f->backend,
      "cut-response bytes=500 path=sdk/ground_truth_events/ "
      "query=page=6 times=1");
  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_events (got, want);
}

/* --- walks that would never end ------------------------------------------ */

/* Streams the three versions, 5 events a page, with @props and the faults
 * of @faults: the run must end with a READ error whose debug says @says,
 * after the first @n_events events (each once), and the backend must have
 * got between @min_requests and @max_requests pages. */
static void
assert_stream_refused (Fixture * f, const gchar * props,
    const gchar * const *faults, guint n_events, guint min_requests,
    guint max_requests, const gchar * says)
{
  g_autofree gchar *all_props = g_strconcat ("page-size=5 ", props, NULL);
  g_autoptr (GstElement) pipeline = make_pipeline (f, all_props);
  g_auto (KitRun) run = { 0 };
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) all = kit_dup_events (f->backend, versions, 3);
  g_autoptr (JsonArray) got = NULL;

  for (guint i = 0; faults[i]; i++)
    kit_add_fault (f->backend, faults[i]);
  run_to_error (pipeline, &run);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  if (!strstr (run.debug, says))
    g_error ("\"%s\" does not say \"%s\"", run.debug, says);
  got = read_output (f);
  kit_assert_first_events (got, all, n_events);
  g_assert_cmpuint (count_listings (f), >=, min_requests);
  g_assert_cmpuint (count_listings (f), <=, max_requests);
}

static const gchar *const page_cycle[] = {
  "relink path=sdk/ground_truth_events/ query=page=3 next=page=2", NULL
};

static void
test_cycle_by_page_number (Fixture * f, gconstpointer data)
{
  assert_stream_refused (f, "prefetch=1", page_cycle, 15, 3, 3,
      "leads back to a page this walk has already visited");
}

static void
test_cycle_by_page_number_prefetch (Fixture * f, gconstpointer data)
{
  /* pages 4 to 10 may have been asked for ahead, no more */
  assert_stream_refused (f, "prefetch=8", page_cycle, 15, 3, 3 + 8,
      "leads back to a page this walk has already visited");
}

/* cursors a → b → a; each cursor's page is the backend's next one, and
 * there is no count, as with Django REST Framework's cursor pagination */
static const gchar *const cursor_cycle[] = {
  "relink query=cursor=b next='cursor=a&page=2' count=none",
  "relink query=cursor=a next='cursor=b&page=3' count=none",
  "relink path=sdk/ground_truth_events/ next='cursor=a&page=2' count=none",
  NULL
};

static void
test_cycle_by_cursor (Fixture * f, gconstpointer data)
{
  assert_stream_refused (f, "prefetch=1", cursor_cycle, 15, 3, 3,
      "leads back to a page this walk has already visited");
}

static void
test_cycle_by_cursor_prefetch (Fixture * f, gconstpointer data)
{
  assert_stream_refused (f, "prefetch=8", cursor_cycle, 15, 3, 3,
      "leads back to a page this walk has already visited");
}

static void
test_more_events_than_count (Fixture * f, gconstpointer data)
{
  const gchar *const faults[] = {
    "relink path=sdk/ground_truth_events/ count=8", NULL
  };

  /* the second page brings 10 of 8: refused whole */
  assert_stream_refused (f, "", faults, 5, 2, 2,
      "hold 10 results, more than the 8 its first page counted");
}

static void
test_endless_empty_pages (Fixture * f, gconstpointer data)
{
  const gchar *const faults[] = {
    "relink query=cursor= next=cursor=+1 results=0",
    "relink path=sdk/ground_truth_events/ next=cursor=+1", NULL
  };

  assert_stream_refused (f, "", faults, 5, 4, 4,
      "3 pages in a row held no results, yet each linked on");
}

/* --- fatal errors ------------------------------------------------------- */

static void
test_wrong_token_not_authorized (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=1");
  g_auto (KitRun) run = { 0 };
  guint status = 0;
  const gchar *url;

  g_object_set (kit_get_element (pipeline, "src"), "access-token", WRONG_TOKEN,
      NULL);
  run_to_error (pipeline, &run);

  g_assert_error (run.gerror, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (run.gerror->message, "access token"));
  g_assert_nonnull (strstr (run.gerror->message, "401"));
  g_assert_nonnull (run.details);
  g_assert_true (gst_structure_get_uint (run.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 401);
  url = gst_structure_get_string (run.details, "url");
  g_assert_true (g_str_has_prefix (url, f->url));
  g_assert_nonnull (strstr (url, "sdk/ground_truth_events/"));
  g_assert_cmpstr (gst_structure_get_string (run.details, "method"), ==, "GET");
  g_assert_nonnull (gst_structure_get_string (run.details, "server-detail"));
  /* the debug string is the library's account: method and URL */
  g_assert_nonnull (strstr (run.debug, "GET "));
  kit_run_assert_no_secret (&run, secrets);
  /* 401 is never retried */
  g_assert_cmpuint (count_listings (f), ==, 1);
}

static void
test_no_token_says_so (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=1");
  g_auto (KitRun) run = { 0 };

  g_object_set (kit_get_element (pipeline, "src"), "access-token", NULL, NULL);
  run_to_error (pipeline, &run);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (run.gerror->message, "SYNAPSE_ACCESS_TOKEN"));
}

static void
test_unknown_version (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=99");
  g_auto (KitRun) run = { 0 };
  guint status = 0;

  run_to_error (pipeline, &run);
  /* DRF answers an unknown choice with 400 and a field error */
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_assert_true (gst_structure_get_uint (run.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 400);
  g_assert_nonnull (strstr (gst_structure_get_string (run.details,
              "server-detail"), "Select a valid choice"));
  g_assert_nonnull (strstr (run.gerror->message, "99"));
  kit_run_assert_no_secret (&run, secrets);
}

static void
test_wrong_endpoint_not_found (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=1");
  g_autofree gchar *base = g_strconcat (f->url, "no/such/api/", NULL);
  g_auto (KitRun) run = { 0 };
  guint status = 0;

  g_object_set (kit_get_element (pipeline, "src"), "base-url", base, NULL);
  run_to_error (pipeline, &run);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_assert_cmpstr (run.gerror->message, ==,
      "The Synapse backend has no such endpoint (HTTP 404): check the base "
      "URL.");
  g_assert_true (gst_structure_get_uint (run.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 404);
}

static void
test_retries_exhausted (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=1 page-size=10 retries=2 prefetch=1");
  g_auto (KitRun) run = { 0 };
  g_autoptr (JsonArray) got = NULL;
  guint status = 0;

  kit_add_fault (f->backend,
      "status=503 path=sdk/ground_truth_events/ query=page=2");
  run_to_error (pipeline, &run);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_assert_true (gst_structure_get_uint (run.details, "http-status-code",
          &status));
  /* the real status, not a summary */
  g_assert_cmpuint (status, ==, 503);
  g_assert_nonnull (strstr (run.gerror->message, "503"));
  /* page 1, then page 2 three times */
  g_assert_cmpuint (count_listings (f), ==, 4);

  /* what came before the failure was written, once */
  got = read_output (f);
  g_assert_cmpuint (json_array_get_length (got), ==, 10);
}

static void
test_unreachable_backend (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=1 retries=0");
  g_auto (KitRun) run = { 0 };

  synapse_test_backend_stop (f->backend);
  run_to_error (pipeline, &run);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_assert_nonnull (strstr (run.gerror->message, "connect"));
  g_assert_false (gst_structure_has_field (run.details, "http-status-code"));
}

/* --- going to NULL never hangs ------------------------------------------ */

/* Goes to PLAYING, waits for the first request to reach the backend, then
 * to NULL, which must take well under a second; @run keeps the messages
 * posted all along. */
static void
assert_null_is_prompt (Fixture * f, GstElement * pipeline, KitRun * run)
{
  g_assert_cmpint (kit_run_start (run, pipeline), ==, GST_STATE_CHANGE_ASYNC);
  kit_wait_for_requests (f->backend, EVENTS_PATH, 1);
  g_usleep (100 * 1000);
  kit_run_stop_promptly (run);
  /* a cancellation is not an error */
  g_assert_null (run->error);
}

static void
test_null_during_stalled_request (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 timeout=60");
  g_auto (KitRun) run = { 0 };

  kit_add_fault (f->backend, "stall path=sdk/ground_truth_events/");
  assert_null_is_prompt (f, pipeline, &run);
  /* the request's progress ends as CANCELED */
  g_assert_cmpint (kit_run_last_progress (&run), ==,
      GST_PROGRESS_TYPE_CANCELED);
}

static void
test_null_during_stalled_prefetch (Fixture * f, gconstpointer data)
{
  /* pages 1 and 2 arrive, page 3 (requested ahead) never does */
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 page-size=5 prefetch=3");
  g_auto (KitRun) run = { 0 };

  kit_add_fault (f->backend,
      "stall path=sdk/ground_truth_events/ query=page=3");
  assert_null_is_prompt (f, pipeline, &run);
}

static void
test_restart_after_interruption (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=2 page-size=10");
  const guint versions[] = { 2 };
  g_autoptr (JsonArray) want = kit_dup_events (f->backend, versions, 1);
  g_autoptr (JsonArray) got = NULL;

  /* page 2 hangs: stop there, then start over without the fault */
  kit_add_fault (f->backend,
      "stall path=sdk/ground_truth_events/ query=page=2");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  kit_wait_for_requests (f->backend, EVENTS_PATH, 2);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  synapse_test_backend_clear_faults (f->backend);

  run_to_eos (pipeline);
  got = read_output (f);
  kit_assert_events (got, want);
}

static void
test_null_during_backoff (Fixture * f, gconstpointer data)
{
  /* the backend asks for a 30 s pause: the element must not sit it out */
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 retries=3 retry-backoff-max=60");
  g_auto (KitRun) run = { 0 };

  kit_add_fault (f->backend,
      "status=503 retry-after=30 path=sdk/ground_truth_events/");
  assert_null_is_prompt (f, pipeline, &run);
}

/* --- messages and properties ------------------------------------------- */

static void
test_page_messages_and_total_count (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline =
      make_pipeline (f, "dataset-versions=1 page-size=10");
  GstElement *src = kit_get_element (pipeline, "src");
  g_auto (KitRun) run = {.timeout_s = RUN_TIMEOUT_S };
  const guint want_events[] = { 10, 10, 5 };
  guint pages = 0;
  gint64 total = 0;
  gint64 total_at_eos = 0;
  GstProgressType last = GST_PROGRESS_TYPE_ERROR;
  guint starts = 0, completes = 0;

  g_object_get (src, "total-count", &total, NULL);
  g_assert_cmpint (total, ==, -1);

  kit_run_start (&run, pipeline);
  kit_run_wait (&run, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_object_get (src, "total-count", &total_at_eos, NULL);
  kit_run_stop (&run);
  kit_run_assert_eos (&run);
  for (guint i = 0; i < run.messages->len; i++) {
    GstMessage *message = run.messages->pdata[i];
    const GstStructure *s = gst_message_get_structure (message);

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_PROGRESS) {
      GstProgressType type;
      g_autofree gchar *code = NULL;

      gst_message_parse_progress (message, &type, &code, NULL);
      g_assert_cmpstr (code, ==, "fetch");
      /* each request is bracketed: START, then COMPLETE */
      if (type == GST_PROGRESS_TYPE_START) {
        g_assert_cmpint (last, !=, GST_PROGRESS_TYPE_START);
        starts++;
      } else {
        g_assert_cmpint (type, ==, GST_PROGRESS_TYPE_COMPLETE);
        g_assert_cmpint (last, ==, GST_PROGRESS_TYPE_START);
        completes++;
      }
      last = type;
    }

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
        && gst_structure_has_name (s, "synapse-page")) {
      guint page = 0, events = 0;
      guint64 position = 0;

      g_assert_cmpuint (pages, <, G_N_ELEMENTS (want_events));
      g_assert_true (GST_MESSAGE_SRC (message) == GST_OBJECT (src));
      g_assert_true (gst_structure_get_uint (s, "page", &page));
      g_assert_true (gst_structure_get_uint (s, "events", &events));
      g_assert_true (gst_structure_get_uint64 (s, "position", &position));
      g_assert_true (gst_structure_get_int64 (s, "total", &total));
      g_assert_cmpuint (page, ==, pages + 1);
      g_assert_cmpuint (events, ==, want_events[pages]);
      g_assert_cmpuint (position, ==, MIN (10 * (pages + 1),
              EVENTS_PER_VERSION));
      g_assert_cmpint (total, ==, EVENTS_PER_VERSION);
      pages++;
    }
  }
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpint (last, ==, GST_PROGRESS_TYPE_COMPLETE);
  g_assert_cmpuint (starts, ==, completes);
  g_assert_cmpuint (starts, >=, 3);

  g_assert_cmpint (total_at_eos, ==, EVENTS_PER_VERSION);
  /* still readable once stopped */
  g_object_get (src, "total-count", &total, NULL);
  g_assert_cmpint (total, ==, EVENTS_PER_VERSION);
}

static void
test_credentials_from_environment (void)
{
  kit_assert_connection_from_environment ("synapsegtsrc");
}

static void
test_defaults_are_the_library_s (void)
{
  g_autoptr (GstElement) src =
      gst_object_ref_sink (gst_element_factory_make ("synapsegtsrc", NULL));
  guint timeout, retries, page_size, prefetch;
  guint64 prefetch_bytes;
  gdouble factor, max;
  gboolean strict;
  gint project;
  g_autofree gchar *fields = NULL;
  g_autofree gchar *token = NULL;

  g_autoptr (SynapseClient) client = synapse_client_new ("http://h.test/",
      NULL);
  guint client_timeout, client_retries, client_page_size, client_prefetch;
  guint64 client_prefetch_bytes;
  gdouble client_factor, client_max;
  gboolean client_strict;

  g_object_get (src, "timeout", &timeout, "retries", &retries,
      "retry-backoff-factor", &factor, "retry-backoff-max", &max,
      "ssl-strict", &strict, "page-size", &page_size, "prefetch", &prefetch,
      "prefetch-bytes", &prefetch_bytes, "project", &project, "url-fields",
      &fields, "access-token", &token, NULL);
  g_object_get (client, "timeout", &client_timeout, "retries",
      &client_retries, "retry-backoff-factor", &client_factor,
      "retry-backoff-max", &client_max, "ssl-strict", &client_strict,
      "page-size", &client_page_size, "prefetch", &client_prefetch,
      "prefetch-bytes", &client_prefetch_bytes, NULL);
  g_assert_cmpuint (timeout, ==, client_timeout);
  g_assert_cmpuint (retries, ==, client_retries);
  g_assert_cmpfloat (factor, ==, client_factor);
  g_assert_cmpfloat (max, ==, client_max);
  g_assert_cmpint (strict, ==, client_strict);
  g_assert_cmpuint (page_size, ==, client_page_size);
  g_assert_cmpuint (prefetch, ==, client_prefetch);
  g_assert_cmpuint (prefetch_bytes, ==, client_prefetch_bytes);
  g_assert_cmpint (project, ==, -1);
  g_assert_cmpstr (fields, ==, "files");
  g_assert_null (token);
}

/* Runs a good and a refused stream; the parent runs this in a child
 * process with GST_DEBUG=*:9 into a file. */
static void
test_token_never_logged_subprocess (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) good =
      make_pipeline (f, "dataset-versions=1 num-buffers=3");
  g_autoptr (GstElement) bad = make_pipeline (f, "dataset-versions=1");
  g_auto (KitRun) run = { 0 };

  run_to_eos (good);
  g_object_set (kit_get_element (bad, "src"), "access-token", WRONG_TOKEN,
      NULL);
  run_to_error (bad, &run);
}

static void
test_token_never_logged (Fixture * f, gconstpointer data)
{
  /* the log did capture the element's work, and the refusal */
  const gchar *const logged[] = { "page 1: 3 events", "HTTP 401", NULL };

  kit_assert_child_logs_no_secret ("/synapsegtsrc/security/"
      "token-never-logged/subprocess", f->dir, logged, secrets);
}

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

#define ADD(name, func) \
  g_test_add ("/synapsegtsrc/" name, Fixture, NULL, fixture_set_up, func, \
      fixture_tear_down)

  ADD ("stream/ndjson-equals-backend-events",
      test_ndjson_equals_backend_events);
  ADD ("stream/buffers-offsets-and-caps", test_buffers_offsets_and_caps);
  ADD ("stream/num-buffers-caps-the-events", test_num_buffers_caps_the_events);
  ADD ("stream/empty-listing", test_empty_listing);
  ADD ("stream/restart-streams-again", test_restart_streams_again);
  ADD ("stream/prefetch-keeps-order", test_prefetch_keeps_order);
  ADD ("stream/prefetch-bytes-bound-the-pages-ahead",
      test_prefetch_bytes_bound_the_pages_ahead);
  ADD ("filter/versions-list", test_filter_versions_list);
  ADD ("filter/project", test_filter_project);
  ADD ("filter/data-type", test_filter_data_type_property);
  ADD ("filter/extra-params", test_filter_extra_params);
  ADD ("filter/extra-params-types", test_extra_params_types);
  ADD ("settings/bad-dataset-versions", test_bad_dataset_versions);
  ADD ("settings/bad-extra-params", test_bad_extra_params);
  ADD ("settings/empty-dataset-versions-mean-every-version",
      test_empty_dataset_versions_mean_every_version);
  ADD ("settings/bad-url-prefix", test_bad_url_prefix);
  ADD ("settings/missing-base-url", test_missing_base_url);
  ADD ("urls/url-prefix", test_url_prefix);
  ADD ("urls/download-dir", test_download_dir);
  ADD ("urls/convert-url-signal", test_convert_url_signal);
  ADD ("urls/prefix-then-download", test_prefix_then_download);
  ADD ("urls/url-fields-never-matched-warn-once",
      test_url_fields_never_matched_warn_once);
  ADD ("urls/url-fields-that-match-say-nothing",
      test_url_fields_that_match_say_nothing);
  ADD ("urls/bytes/url-prefix", test_url_prefix_keeps_the_bytes);
  ADD ("urls/bytes/convert-url", test_convert_url_keeps_the_bytes);
  ADD ("urls/bytes/download-dir", test_download_dir_keeps_the_bytes);
  ADD ("urls/download/query-names-the-file",
      test_download_dir_query_names_the_file);
  ADD ("urls/download/checksum-mismatch", test_download_checksum_mismatch);
  ADD ("urls/download/size-mismatch", test_download_size_mismatch);
  ADD ("urls/download/max-download-size", test_max_download_size);
  ADD ("urls/download/checks-the-cache", test_download_dir_checks_the_cache);
  ADD ("urls/download/gzip-cut-is-retried",
      test_download_dir_gzip_cut_is_retried);
  ADD ("urls/download/num-buffers-only-pushed",
      test_num_buffers_downloads_only_pushed);
  ADD ("urls/download/num-buffers-only-pushed-ahead",
      test_num_buffers_downloads_only_pushed_ahead);
  ADD ("urls/download/num-buffers-only-pushed-prefixed",
      test_num_buffers_downloads_only_pushed_prefixed);
  ADD ("faults/503-on-page-3", test_fault_503_on_page_3);
  ADD ("faults/cut-response", test_fault_cut_response);
  ADD ("faults/truncated-page", test_fault_truncated_page);
  ADD ("faults/with-prefetch", test_fault_503_with_prefetch);
  ADD ("walks/cycle-by-page-number", test_cycle_by_page_number);
  ADD ("walks/cycle-by-page-number-prefetch",
      test_cycle_by_page_number_prefetch);
  ADD ("walks/cycle-by-cursor", test_cycle_by_cursor);
  ADD ("walks/cycle-by-cursor-prefetch", test_cycle_by_cursor_prefetch);
  ADD ("walks/more-events-than-count", test_more_events_than_count);
  ADD ("walks/endless-empty-pages", test_endless_empty_pages);
  ADD ("errors/wrong-token-not-authorized", test_wrong_token_not_authorized);
  ADD ("errors/no-token-says-so", test_no_token_says_so);
  ADD ("errors/unknown-version", test_unknown_version);
  ADD ("errors/wrong-endpoint-not-found", test_wrong_endpoint_not_found);
  ADD ("errors/retries-exhausted", test_retries_exhausted);
  ADD ("errors/unreachable-backend", test_unreachable_backend);
  ADD ("unlock/null-during-stalled-request", test_null_during_stalled_request);
  ADD ("unlock/null-during-stalled-prefetch",
      test_null_during_stalled_prefetch);
  ADD ("unlock/null-during-backoff", test_null_during_backoff);
  ADD ("unlock/restart-after-interruption", test_restart_after_interruption);
  ADD ("messages/pages-and-total-count", test_page_messages_and_total_count);
  ADD ("security/token-never-logged", test_token_never_logged);
  ADD ("security/token-never-logged/subprocess",
      test_token_never_logged_subprocess);
  g_test_add_func ("/synapsegtsrc/properties/credentials-from-environment",
      test_credentials_from_environment);
  g_test_add_func ("/synapsegtsrc/properties/defaults-are-the-library-s",
      test_defaults_are_the_library_s);

  return g_test_run ();
}
