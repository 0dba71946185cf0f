/* test-synapsemediasrc.c: synapsemediasrc against the in-process local
 * backend, whose data units' files are real PNG and JPEG images that paint
 * their id
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <gst/video/video.h>

#include "kit-gst.h"
#include "synapse-test-media.h"

#define TOKEN "mediasrc-Test-Token-5d1a93"
#define WRONG_TOKEN "mediasrc-Wrong-Token-70c2e8"
#define EVENTS_PER_VERSION 25
#define RUN_TIMEOUT_S 20
#define MEDIA_PATH "media/data_units/"

static const gchar *const secrets[] = { TOKEN, WRONG_TOKEN, NULL };

typedef struct
{
  SynapseTestBackend *backend;
  gchar *url;
  gchar *dir;
  /* what reached the sink, in order */
  GMutex lock;
  GPtrArray *buffers;           /* of GstBuffer */
  GPtrArray *caps;              /* of GstCaps, one a buffer */
  guint stream_starts;
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 2,
    .events = EVENTS_PER_VERSION,
    .seed = 5,
  };

  f->backend = kit_backend_new (&options, &f->url);
  f->dir = kit_make_tmp_dir ();
  g_mutex_init (&f->lock);
  f->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  f->caps = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_caps_unref);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->backend);
  kit_clear_tmp_dir (&f->dir);
  g_free (f->url);
  g_ptr_array_unref (f->buffers);
  g_ptr_array_unref (f->caps);
  g_mutex_clear (&f->lock);
}

static GstPadProbeReturn
keep_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Fixture *f = user_data;

  g_mutex_lock (&f->lock);
  g_ptr_array_add (f->buffers, gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER
          (info)));
  g_ptr_array_add (f->caps, gst_pad_get_current_caps (pad));
  g_mutex_unlock (&f->lock);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
count_stream_start (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Fixture *f = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_STREAM_START) {
    g_mutex_lock (&f->lock);
    f->stream_starts++;
    g_mutex_unlock (&f->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* `synapsemediasrc name=src <props> ! <downstream> ! fakesink name=sink`,
 * pointed at the backend with the right token and quick retries; the
 * buffers reaching the sink are kept in the fixture. */
static GstElement *
make_pipeline_to (Fixture * f, const gchar * props, const gchar * downstream)
{
  g_autofree gchar *launch =
      g_strdup_printf ("synapsemediasrc name=src retry-backoff-factor=0.01 "
      "%s ! %s%sfakesink name=sink", props ? props : "",
      downstream ? downstream : "", downstream ? " ! " : "");
  GstElement *pipeline = kit_pipeline_new (launch, "src", f->url, TOKEN);
  g_autoptr (GstPad) pad =
      gst_element_get_static_pad (kit_get_element (pipeline, "sink"), "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, keep_buffer, f, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      count_stream_start, f, NULL);
  return pipeline;
}

static GstElement *
make_pipeline (Fixture * f, const gchar * props)
{
  return make_pipeline_to (f, props, NULL);
}

static void
run_to_eos (GstElement * pipeline, KitRun * run)
{
  run->timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (run, pipeline);
  kit_run_assert_eos (run);
}

static void
run_to_error (GstElement * pipeline, KitRun * run)
{
  run->timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (run, pipeline);
  kit_run_assert_error_from (run, "src");
}

static guint
count_file_requests (Fixture * f)
{
  return kit_count_requests (f->backend, "GET", MEDIA_PATH, 0);
}

static const GstStructure *
event_meta (GstBuffer * buffer)
{
  GstCustomMeta *meta = gst_buffer_get_custom_meta (buffer,
      "SynapseEventMeta");

  g_assert_nonnull (meta);
  return gst_custom_meta_get_structure (meta);
}

static gint64
meta_int64 (GstBuffer * buffer, const gchar * field)
{
  gint64 value = G_MININT64;

  g_assert_true (gst_structure_get_int64 (event_meta (buffer), field,
          &value));
  return value;
}

/* The buffer holds the file @event's data unit declares: its size and
 * MD5, which the backend computed from the bytes it serves. */
static void
assert_buffer_is_file_of (GstBuffer * buffer, JsonObject * event)
{
  JsonObject *file = kit_event_object (event, "data_unit.files.image");
  GstMapInfo map;
  g_autofree gchar *md5 = NULL;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, map.data, map.size);
  g_assert_cmpint (map.size, ==, json_object_get_int_member (file, "size"));
  g_assert_cmpstr (md5, ==, json_object_get_string_member (file, "checksum"));
  gst_buffer_unmap (buffer, &map);
}

/* The meta of @buffer names @event, the @index-th of the listing. */
static void
assert_meta_is_event (GstBuffer * buffer, JsonObject * event, guint64 index)
{
  const GstStructure *s = event_meta (buffer);
  JsonObject *file = kit_event_object (event, "data_unit.files.image");
  guint64 meta_index = G_MAXUINT64;
  g_autoptr (JsonNode) parsed = NULL;
  g_autoptr (JsonNode) want = json_node_init_object (json_node_alloc (),
      event);

  g_assert_cmpint (meta_int64 (buffer, "event-id"), ==,
      json_object_get_int_member (event, "id"));
  g_assert_true (gst_structure_get_uint64 (s, "index", &meta_index));
  g_assert_cmpuint (meta_index, ==, index);
  g_assert_cmpint (meta_int64 (buffer, "data-unit-id"), ==,
      json_object_get_int_member (kit_event_object (event, "data_unit"),
          "id"));
  g_assert_cmpstr (gst_structure_get_string (s, "file-key"), ==, "image");
  g_assert_cmpstr (gst_structure_get_string (s, "url"), ==,
      json_object_get_string_member (file, "url"));
  parsed = json_from_string (gst_structure_get_string (s, "event"), NULL);
  g_assert_nonnull (parsed);
  g_assert_true (json_node_equal (parsed, want));
}

/* --- streaming ---------------------------------------------------------- */

static void
test_files_in_event_order (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=2 page-size=10 max-downloads=4");
  g_auto (KitRun) run = { 0 };
  g_autoptr (JsonArray) want = NULL;
  const guint versions[] = { 2 };
  guint type_changes = 0;

  run_to_eos (pipeline, &run);

  want = kit_dup_events (f->backend, versions, 1);
  g_assert_cmpuint (f->buffers->len, ==, EVENTS_PER_VERSION);
  for (guint i = 1; i < f->caps->len; i++)
    type_changes += !gst_caps_is_equal (f->caps->pdata[i - 1],
        f->caps->pdata[i]);
  /* each change of type is a new stream, with its caps */
  g_assert_cmpuint (type_changes, >, 0);
  g_assert_cmpuint (f->stream_starts, ==, type_changes + 1);
  for (guint i = 0; i < f->buffers->len; i++) {
    GstBuffer *buffer = f->buffers->pdata[i];
    JsonObject *event = json_array_get_object_element (want, i);
    SynapseTestMediaInfo media;
    const gchar *type;

    assert_buffer_is_file_of (buffer, event);
    assert_meta_is_event (buffer, event, i);
    g_assert_cmpuint (GST_BUFFER_OFFSET (buffer), ==, i);
    g_assert_cmpuint (GST_BUFFER_OFFSET_END (buffer), ==, i + 1);
    /* no framerate, no timestamps */
    g_assert_false (GST_BUFFER_PTS_IS_VALID (buffer));

    /* the Content-Type, or typefinding for the file served as
     * application/octet-stream; never the URL's `.jpg` */
    synapse_test_media_describe (meta_int64 (buffer, "data-unit-id"), &media);
    type = gst_structure_get_name (gst_caps_get_structure (f->caps->pdata[i],
            0));
    g_assert_cmpstr (type, ==, media.format == SYNAPSE_TEST_MEDIA_PNG ?
        "image/png" : "image/jpeg");
  }
  /* each file fetched once */
  g_assert_cmpuint (count_file_requests (f), ==, EVENTS_PER_VERSION);
}

static void
test_framerate_timestamps (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 framerate=5/2 num-buffers=6");
  g_auto (KitRun) run = { 0 };
  gint64 duration = -1;

  run_to_eos (pipeline, &run);

  g_assert_cmpuint (f->buffers->len, ==, 6);
  for (guint i = 0; i < f->buffers->len; i++) {
    GstBuffer *buffer = f->buffers->pdata[i];

    g_assert_cmpuint (GST_BUFFER_PTS (buffer), ==, i * 400 * GST_MSECOND);
    g_assert_cmpuint (GST_BUFFER_DURATION (buffer), ==, 400 * GST_MSECOND);
  }
  /* the listing's events, a frame each */
  g_assert_true (gst_element_query_duration (kit_get_element (pipeline,
              "src"), GST_FORMAT_TIME, &duration));
  g_assert_cmpint (duration, ==, EVENTS_PER_VERSION * 400 * GST_MSECOND);
}

/* The file entry of data unit @id, as the backend declares it. */
static gchar *
file_entry (Fixture * f, gint64 id)
{
  SynapseTestMediaInfo media;
  g_autofree gchar *url = NULL;

  synapse_test_media_describe (id, &media);
  url = g_strdup_printf ("%s" MEDIA_PATH "%" G_GINT64_FORMAT "/%s", f->url,
      id, media.name);
  return kit_file_entry (f->backend, url, G_CHECKSUM_MD5, NULL);
}

/* Events 1001, 1002… of the data units @ids. */
static gchar *
events_of_data_units (Fixture * f, const gint64 * ids, guint n)
{
  GString *events = g_string_new (NULL);

  for (guint i = 0; i < n; i++) {
    g_autofree gchar *entry = file_entry (f, ids[i]);

    g_string_append_printf (events, "%s{\"id\": %u, \"data_unit\": {\"id\": %"
        G_GINT64_FORMAT ", \"files\": {\"image\": %s}}}", i ? "," : "",
        1001 + i, ids[i], entry);
  }
  return g_string_free (events, FALSE);
}

/* Decoded, converted and scaled, every frame still carries its event, and
 * its pixels are the image of that event's data unit. */
static void
assert_meta_survives_decoding (Fixture * f, const gint64 * ids, guint n)
{
  g_autofree gchar *events = events_of_data_units (f, ids, n);
  g_autoptr (GstElement) pipeline = make_pipeline_to (f, NULL,
      "decodebin ! videoconvert ! videoscale ! "
      "video/x-raw,format=RGB,width=100,height=90");
  g_auto (KitRun) run = { 0 };

  kit_serve_events (f->backend, events, n);
  run_to_eos (pipeline, &run);

  g_assert_cmpuint (f->buffers->len, ==, n);
  for (guint i = 0; i < n; i++) {
    GstBuffer *buffer = f->buffers->pdata[i];
    GstVideoInfo info;
    GstVideoFrame frame;

    g_assert_cmpint (meta_int64 (buffer, "event-id"), ==, 1001 + i);
    g_assert_cmpint (meta_int64 (buffer, "data-unit-id"), ==, ids[i]);
    g_assert_true (gst_video_info_from_caps (&info, f->caps->pdata[i]));
    g_assert_true (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READ));
    g_assert_cmpint (synapse_test_media_id_from_rgb
        (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0), 100, 90,
            GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0)), ==, ids[i]);
    gst_video_frame_unmap (&frame);
  }
}

static void
test_meta_survives_decoding_png (Fixture * f, gconstpointer data)
{
  /* 128×96 image/png, 320×240 image/png named .jpg, 240×320 served as
   * application/octet-stream (typefound) */
  const gint64 ids[] = { 2, 4, 6, 8, 10 };

  assert_meta_survives_decoding (f, ids, G_N_ELEMENTS (ids));
}

static void
test_meta_survives_decoding_jpeg (Fixture * f, gconstpointer data)
{
  /* 320×240, 640×480, 128×96 */
  const gint64 ids[] = { 1, 3, 5, 7, 9 };

  assert_meta_survives_decoding (f, ids, G_N_ELEMENTS (ids));
}

/* A listing that mixes PNGs and JPEGs: each change of type is a new
 * stream, which decodebin3 follows, a decoder for each. */
static void
test_mixed_types_through_decodebin3 (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline_to (f,
      "dataset-versions=1 num-buffers=12",
      "decodebin3 ! videoconvert ! videoscale ! "
      "video/x-raw,format=RGB,width=100,height=90");
  g_auto (KitRun) run = { 0 };

  run_to_eos (pipeline, &run);

  g_assert_cmpuint (f->buffers->len, ==, 12);
  for (guint i = 0; i < f->buffers->len; i++) {
    guint64 index = G_MAXUINT64;

    g_assert_true (gst_structure_get_uint64 (event_meta (f->buffers->pdata[i]),
            "index", &index));
    g_assert_cmpuint (index, ==, i);
    g_assert_cmpint (meta_int64 (f->buffers->pdata[i], "data-unit-id"), ==,
        i + 1);
  }
}

static void
test_num_buffers_fetches_only_pushed (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 num-buffers=5 max-downloads=8 page-size=10");
  g_auto (KitRun) run = { 0 };

  run_to_eos (pipeline, &run);
  g_assert_cmpuint (f->buffers->len, ==, 5);
  g_assert_cmpuint (count_file_requests (f), ==, 5);
}

/* A budget smaller than one file: one download at a time, yet every file
 * comes through. */
static void
test_max_bytes_bounds_the_downloads (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 max-bytes=1 max-downloads=8 timeout=60");

  {
    g_auto (KitRun) run = { 0 };

    /* the first file stalls: with the budget spent, no other starts
     * (however long one waits: the check cannot pass by being early) */
    kit_add_fault (f->backend, "stall path=" MEDIA_PATH "1/");
    g_assert_cmpint (kit_run_start (&run, pipeline), ==,
        GST_STATE_CHANGE_ASYNC);
    kit_wait_for_requests (f->backend, MEDIA_PATH, 1);
    g_usleep (200 * 1000);
    g_assert_cmpuint (count_file_requests (f), ==, 1);
    kit_run_stop_promptly (&run);
  }
  synapse_test_backend_clear_faults (f->backend);
  {
    g_auto (KitRun) run = { 0 };

    run_to_eos (pipeline, &run);
  }
  g_assert_cmpuint (f->buffers->len, ==, EVENTS_PER_VERSION);
}

static void
test_restart_streams_again (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 num-buffers=3");

  for (guint round = 1; round <= 2; round++) {
    g_auto (KitRun) run = { 0 };

    run_to_eos (pipeline, &run);
    g_assert_cmpuint (f->buffers->len, ==, 3 * round);
    g_assert_cmpint (meta_int64 (f->buffers->pdata[3 * (round - 1)],
            "event-id"), ==, meta_int64 (f->buffers->pdata[0], "event-id"));
  }
}

static void
test_download_dir_is_a_cache (Fixture * f, gconstpointer data)
{
  g_autofree gchar *props = g_strdup_printf ("dataset-versions=1 "
      "num-buffers=6 download-dir=\"%s\"", f->dir);
  g_autoptr (GstElement) pipeline = make_pipeline (f, props);
  g_autoptr (JsonArray) want = NULL;
  const guint versions[] = { 1 };

  for (guint round = 1; round <= 2; round++) {
    g_auto (KitRun) run = { 0 };

    run_to_eos (pipeline, &run);
  }
  /* the second run took every file from the folder */
  g_assert_cmpuint (count_file_requests (f), ==, 6);
  g_assert_cmpuint (kit_count_files (f->dir, NULL), ==, 6);
  want = kit_dup_events (f->backend, versions, 1);
  g_assert_cmpuint (f->buffers->len, ==, 12);
  for (guint i = 0; i < 12; i++) {
    assert_buffer_is_file_of (f->buffers->pdata[i],
        json_array_get_object_element (want, i % 6));
    /* typefound: the folder keeps no Content-Type */
    g_assert_nonnull (f->caps->pdata[i]);
  }
}

/* --- the events' files ---------------------------------------------------- */

/* Three events: @second's data unit is what the middle one has. */
static gchar *
three_events (Fixture * f, const gchar * second)
{
  g_autofree gchar *file1 = file_entry (f, 1);
  g_autofree gchar *url3 = g_strdup_printf ("%s" MEDIA_PATH "3/image.jpg",
      f->url);
  g_autofree gchar *file3 = kit_file_entry (f->backend, url3,
      G_CHECKSUM_SHA256, "sha256:");

  return g_strdup_printf ("{\"id\": 101, \"score\": 0.940, \"label\": "
      "\"caf\\u00e9\", \"data_unit\": {\"id\": 1, \"files\": {\"image\": %s}}},"
      "{\"id\": 102, \"data_unit\": %s},"
      "{\"id\": 103, \"data_unit\": {\"id\": 3, \"files\": {\"mask\": %s, "
      "\"image\": %s}}}", file1, second, file3, file3);
}

static void
test_event_bytes_as_sent (Fixture * f, gconstpointer data)
{
  g_autofree gchar *events = three_events (f, "{\"id\": 2, \"files\": {}}");
  g_autoptr (GstElement) pipeline = make_pipeline (f, "file-key=image");
  g_auto (KitRun) run = { 0 };

  kit_serve_events (f->backend, events, 3);
  run_to_eos (pipeline, &run);

  g_assert_cmpuint (f->buffers->len, ==, 2);
  /* the backend's bytes, whitespace between tokens aside: the number and
   * the escape as they came */
  g_assert_true (g_str_has_prefix (gst_structure_get_string (event_meta
              (f->buffers->pdata[0]), "event"), "{\"id\":101,\"score\":0.940,"
          "\"label\":\"caf\\u00e9\","));
  g_assert_cmpint (meta_int64 (f->buffers->pdata[1], "event-id"), ==, 103);
  g_assert_cmpuint (GST_BUFFER_OFFSET (f->buffers->pdata[1]), ==, 2);
}

static void
test_missing_file_skipped (Fixture * f, gconstpointer data)
{
  g_autofree gchar *events = three_events (f, "{\"id\": 2, \"files\": {}}");
  g_autoptr (GstElement) pipeline = make_pipeline (f, NULL);
  g_auto (KitRun) run = { 0 };
  g_autoptr (GPtrArray) warnings = NULL;
  GstMessage *page;
  guint skipped = 0;

  kit_serve_events (f->backend, events, 3);
  run_to_eos (pipeline, &run);

  g_assert_cmpuint (f->buffers->len, ==, 2);
  g_assert_cmpint (meta_int64 (f->buffers->pdata[0], "event-id"), ==, 101);
  /* the first entry of event 103 is its mask: the same file here */
  g_assert_cmpint (meta_int64 (f->buffers->pdata[1], "event-id"), ==, 103);
  g_assert_cmpstr (gst_structure_get_string (event_meta (f->buffers->pdata
              [1]), "file-key"), ==, "mask");
  warnings = kit_run_dup_warnings (&run);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (((GError *) warnings->pdata[0])->message,
          "Event 102"));
  page = kit_run_find_element_message (&run, "synapse-page");
  g_assert_nonnull (page);
  g_assert_true (gst_structure_get_uint (gst_message_get_structure (page),
          "skipped", &skipped));
  g_assert_cmpuint (skipped, ==, 1);
}

static void
test_missing_file_error (Fixture * f, gconstpointer data)
{
  g_autofree gchar *events = three_events (f,
      "{\"id\": 2, \"files\": {\"mask\": \"http://127.0.0.1:1/x.png\"}}");
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "file-key=image on-missing=error");
  g_auto (KitRun) run = { 0 };

  kit_serve_events (f->backend, events, 3);
  run_to_error (pipeline, &run);

  /* the event before it is pushed, then the error names it */
  g_assert_cmpuint (f->buffers->len, ==, 1);
  g_assert_error (run.gerror, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (run.gerror->message, "Event 102"));
  g_assert_nonnull (strstr (run.gerror->message, "image"));
}

static void
test_checksum_mismatch_is_an_error (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 max-downloads=1");
  g_auto (KitRun) run = { 0 };

  kit_add_fault (f->backend, "corrupt bytes=100 path=" MEDIA_PATH "3/");
  run_to_error (pipeline, &run);

  g_assert_error (run.gerror, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ);
  g_assert_nonnull (strstr (run.gerror->message, "event 3"));
  g_assert_nonnull (strstr (run.gerror->message, MEDIA_PATH "3/"));
  g_assert_nonnull (strstr (run.gerror->message, "checksum"));
  /* events 1 and 2 came out before it */
  g_assert_cmpuint (f->buffers->len, ==, 2);
  kit_run_assert_no_secret (&run, secrets);
}

static void
test_checksum_mismatch_skipped (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 on-mismatch=skip");
  g_auto (KitRun) run = { 0 };
  g_autoptr (GPtrArray) warnings = NULL;

  kit_add_fault (f->backend, "corrupt bytes=100 path=" MEDIA_PATH "3/");
  run_to_eos (pipeline, &run);

  g_assert_cmpuint (f->buffers->len, ==, EVENTS_PER_VERSION - 1);
  for (guint i = 0; i < f->buffers->len; i++)
    g_assert_cmpint (meta_int64 (f->buffers->pdata[i], "data-unit-id"), !=, 3);
  warnings = kit_run_dup_warnings (&run);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (((GError *) warnings->pdata[0])->message,
          "Event 3 "));
  g_assert_nonnull (strstr (((GError *) warnings->pdata[0])->message,
          MEDIA_PATH "3/"));
}

/* Files cut short, or refused for a while, are fetched again: nothing is
 * lost or repeated. */
static void
test_failed_downloads_are_retried (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=1");
  g_auto (KitRun) run = { 0 };
  g_autoptr (JsonArray) want = NULL;
  const guint versions[] = { 1 };

  kit_add_fault (f->backend, "truncate bytes=30 times=1 path=" MEDIA_PATH
      "2/");
  kit_add_fault (f->backend, "cut-response bytes=50 times=1 path="
      MEDIA_PATH "4/");
  kit_add_fault (f->backend, "status=503 times=2 path=" MEDIA_PATH "6/");
  run_to_eos (pipeline, &run);

  want = kit_dup_events (f->backend, versions, 1);
  g_assert_cmpuint (f->buffers->len, ==, EVENTS_PER_VERSION);
  for (guint i = 0; i < f->buffers->len; i++)
    assert_buffer_is_file_of (f->buffers->pdata[i],
        json_array_get_object_element (want, i));
  g_assert_cmpuint (count_file_requests (f), ==, EVENTS_PER_VERSION + 4);
}

static void
test_file_not_found (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=1");
  g_auto (KitRun) run = { 0 };
  guint status = 0;

  kit_add_fault (f->backend, "status=404 path=" MEDIA_PATH "2/");
  run_to_error (pipeline, &run);

  g_assert_error (run.gerror, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (run.gerror->message, "event 2"));
  g_assert_true (gst_structure_get_uint (run.details, "http-status-code",
          &status));
  g_assert_cmpuint (status, ==, 404);
  g_assert_nonnull (strstr (gst_structure_get_string (run.details, "url"),
          MEDIA_PATH "2/"));
}

/* Files on another origin (a presigned store, most often) are fetched
 * without the backend's credentials. */
static void
test_other_origin_gets_no_credentials (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = { .versions = 1,.events = 1 };
  g_autofree gchar *store_url = NULL;
  g_autoptr (SynapseTestBackend) store = kit_backend_new (&options,
      &store_url);
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 num-buffers=4");
  g_auto (KitRun) run = { 0 };
  g_autoptr (JsonArray) want = NULL;
  const guint versions[] = { 1 };

  synapse_test_backend_set_media_base_url (f->backend, store_url);
  run_to_eos (pipeline, &run);

  want = kit_dup_events (f->backend, versions, 1);
  g_assert_cmpuint (f->buffers->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    assert_buffer_is_file_of (f->buffers->pdata[i],
        json_array_get_object_element (want, i));
  g_assert_cmpuint (count_file_requests (f), ==, 0);
  g_assert_cmpuint (kit_count_requests (store, "GET", MEDIA_PATH, 200), ==, 4);
  for (guint i = 0; i < 4; i++) {
    g_autofree gchar *token = kit_dup_request_header (store, MEDIA_PATH, i,
        "Synapse-Access-Token");

    g_assert_null (token);
  }
}

/* --- errors and stops ----------------------------------------------------- */

static void
test_wrong_token_not_authorized (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "dataset-versions=1");
  g_auto (KitRun) run = { 0 };

  g_object_set (kit_get_element (pipeline, "src"), "access-token", WRONG_TOKEN,
      NULL);
  run_to_error (pipeline, &run);

  g_assert_error (run.gerror, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  g_assert_cmpuint (f->buffers->len, ==, 0);
  kit_run_assert_no_secret (&run, secrets);
}

static void
test_null_during_stalled_downloads (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 timeout=60 max-downloads=4");
  g_auto (KitRun) run = { 0 };

  /* every file stalls: four downloads hang */
  kit_add_fault (f->backend, "stall path=" MEDIA_PATH);
  g_assert_cmpint (kit_run_start (&run, pipeline), ==, GST_STATE_CHANGE_ASYNC);
  kit_wait_for_requests (f->backend, MEDIA_PATH, 4);
  kit_run_stop_promptly (&run);
  /* a cancellation is not an error */
  g_assert_null (run.error);
  g_assert_cmpuint (f->buffers->len, ==, 0);
}

static void
test_restart_after_interruption (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f,
      "dataset-versions=1 timeout=60 num-buffers=4");
  guint fault = kit_add_fault (f->backend, "stall path=" MEDIA_PATH "2/");

  {
    g_auto (KitRun) run = { 0 };

    g_assert_cmpint (kit_run_start (&run, pipeline), ==,
        GST_STATE_CHANGE_ASYNC);
    kit_wait_for_requests (f->backend, MEDIA_PATH "2/", 1);
    kit_run_stop_promptly (&run);
  }
  g_assert_cmpuint (synapse_test_backend_get_fault_hits (f->backend, fault),
      ==, 1);
  synapse_test_backend_clear_faults (f->backend);
  g_mutex_lock (&f->lock);
  g_ptr_array_set_size (f->buffers, 0);
  g_ptr_array_set_size (f->caps, 0);
  g_mutex_unlock (&f->lock);
  {
    g_auto (KitRun) run = { 0 };

    run_to_eos (pipeline, &run);
  }
  g_assert_cmpuint (f->buffers->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (GST_BUFFER_OFFSET (f->buffers->pdata[i]), ==, i);
}

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/synapsemediasrc/" path, Fixture, NULL, fixture_set_up, func, \
      fixture_tear_down)

  ADD ("stream/files-in-event-order", test_files_in_event_order);
  ADD ("stream/framerate-timestamps", test_framerate_timestamps);
  ADD ("stream/meta-survives-decoding/png", test_meta_survives_decoding_png);
  ADD ("stream/meta-survives-decoding/jpeg",
      test_meta_survives_decoding_jpeg);
  ADD ("stream/mixed-types-through-decodebin3",
      test_mixed_types_through_decodebin3);
  ADD ("stream/num-buffers-fetches-only-pushed",
      test_num_buffers_fetches_only_pushed);
  ADD ("stream/max-bytes-bounds-the-downloads",
      test_max_bytes_bounds_the_downloads);
  ADD ("stream/restart-streams-again", test_restart_streams_again);
  ADD ("stream/download-dir-is-a-cache", test_download_dir_is_a_cache);
  ADD ("files/event-bytes-as-sent", test_event_bytes_as_sent);
  ADD ("files/missing-skipped", test_missing_file_skipped);
  ADD ("files/missing-error", test_missing_file_error);
  ADD ("files/checksum-mismatch-is-an-error",
      test_checksum_mismatch_is_an_error);
  ADD ("files/checksum-mismatch-skipped", test_checksum_mismatch_skipped);
  ADD ("files/failed-downloads-are-retried",
      test_failed_downloads_are_retried);
  ADD ("files/not-found", test_file_not_found);
  ADD ("files/other-origin-gets-no-credentials",
      test_other_origin_gets_no_credentials);
  ADD ("errors/wrong-token-not-authorized", test_wrong_token_not_authorized);
  ADD ("unlock/null-during-stalled-downloads",
      test_null_during_stalled_downloads);
  ADD ("unlock/restart-after-interruption", test_restart_after_interruption);

  return g_test_run ();
}
