/* test-seek.c: both listing sources started anywhere, sought in events
 * (and, for synapsemediasrc with a framerate, in time) and sharded,
 * against the in-process local backend, whose request log tells which
 * pages were asked for.
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "kit-gst.h"

#define TOKEN "seek-Test-Token-4e8b20"
#define EVENTS_PER_VERSION 40
#define EVENTS (3 * EVENTS_PER_VERSION)
#define RUN_TIMEOUT_S 20
#define EVENTS_PATH "sdk/ground_truth_events/"

static const gchar *const secrets[] = { TOKEN, NULL };

typedef struct
{
  SynapseTestBackend *backend;
  gchar *url;
  JsonArray *listing;           /* every event, in the backend's order */
  /* what reached the sink, in order */
  GMutex lock;
  GCond cond;
  GArray *offsets;              /* of guint64 */
  GPtrArray *buffers;           /* of GstBuffer */
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 3,
    .events = EVENTS_PER_VERSION,
    .seed = 7,
  };
  const guint versions[] = { 1, 2, 3 };

  f->backend = kit_backend_new (&options, &f->url);
  f->listing = kit_dup_events (f->backend, versions, 3);
  g_mutex_init (&f->lock);
  g_cond_init (&f->cond);
  f->offsets = g_array_new (FALSE, FALSE, sizeof (guint64));
  f->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->backend);
  g_free (f->url);
  json_array_unref (f->listing);
  g_array_unref (f->offsets);
  g_ptr_array_unref (f->buffers);
  g_mutex_clear (&f->lock);
  g_cond_clear (&f->cond);
}

static void
forget_buffers (Fixture * f)
{
  g_mutex_lock (&f->lock);
  g_array_set_size (f->offsets, 0);
  g_ptr_array_set_size (f->buffers, 0);
  g_mutex_unlock (&f->lock);
}

static void
keep_buffer (GstElement * sink, GstBuffer * buffer, GstPad * pad,
    gpointer user_data)
{
  Fixture *f = user_data;
  guint64 offset = GST_BUFFER_OFFSET (buffer);

  g_mutex_lock (&f->lock);
  g_array_append_val (f->offsets, offset);
  g_ptr_array_add (f->buffers, gst_buffer_ref (buffer));
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->lock);
}

/* `<factory> name=src <props> ! fakesink`, whose buffers the fixture
 * keeps. */
static GstElement *
make_pipeline (Fixture * f, const gchar * factory, const gchar * props)
{
  g_autofree gchar *launch =
      g_strdup_printf ("%s name=src retry-backoff-factor=0.01 %s ! "
      "fakesink name=sink signal-handoffs=true", factory, props ? props : "");
  GstElement *pipeline = kit_pipeline_new (launch, "src", f->url, TOKEN);

  g_signal_connect (kit_get_element (pipeline, "sink"), "handoff",
      G_CALLBACK (keep_buffer), f);
  return pipeline;
}

/* Waits until the sink has kept @n buffers. */
static void
wait_for_buffers (Fixture * f, guint n)
{
  gint64 deadline = g_get_monotonic_time () + RUN_TIMEOUT_S * G_TIME_SPAN_SECOND
      * kit_timeout_multiplier ();

  g_mutex_lock (&f->lock);
  while (f->offsets->len < n)
    if (!g_cond_wait_until (&f->cond, &f->lock, deadline))
      g_error ("%u buffers, not %u, within the run's time", f->offsets->len,
          n);
  g_mutex_unlock (&f->lock);
}

/* The listing's event of the synapsegtsrc buffer @buffer, which holds it
 * as one line. */
static JsonNode *
buffer_event (GstBuffer * buffer)
{
  GstMapInfo map;
  g_autofree gchar *line = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *node;

  g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
  line = g_strndup ((const gchar *) map.data, map.size - 1);
  gst_buffer_unmap (buffer, &map);
  node = json_from_string (line, &error);
  g_assert_no_error (error);
  return node;
}

/* The buffers kept from @from on are the events @first, @first + 1, …
 * @end - 1 of the listing, each at its listing offset. */
static void
assert_events (Fixture * f, guint from, guint64 first, guint64 end,
    gboolean gtsrc)
{
  g_mutex_lock (&f->lock);
  g_assert_cmpuint (f->offsets->len - from, ==, end - first);
  for (guint i = from; i < f->offsets->len; i++) {
    guint64 index = first + (i - from);
    GstBuffer *buffer = f->buffers->pdata[i];

    g_assert_cmpuint (g_array_index (f->offsets, guint64, i), ==, index);
    if (gtsrc) {
      g_autoptr (JsonNode) event = buffer_event (buffer);

      g_assert_true (json_node_equal (event, json_array_get_element
              (f->listing, index)));
    } else {
      GstCustomMeta *meta = gst_buffer_get_custom_meta (buffer,
          "SynapseEventMeta");
      GstStructure *s = gst_custom_meta_get_structure (meta);
      gint64 id = 0;
      guint64 meta_index = 0;

      g_assert_true (gst_structure_get_uint64 (s, "index", &meta_index));
      g_assert_cmpuint (meta_index, ==, index);
      g_assert_true (gst_structure_get_int64 (s, "event-id", &id));
      g_assert_cmpint (id, ==, json_object_get_int_member
          (json_array_get_object_element (f->listing, index), "id"));
    }
  }
  g_mutex_unlock (&f->lock);
}

/* The page numbers the listing's requests asked for, each once, are
 * exactly @first … @last. */
static void
assert_pages_requested (Fixture * f, guint first, guint last)
{
  g_autoptr (GPtrArray) requests =
      synapse_test_backend_dup_requests (f->backend);
  g_autofree guint *seen = g_new0 (guint, last + 2);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];
    guint number = kit_request_page_number (request);

    if (!g_str_has_prefix (request->path, EVENTS_PATH))
      continue;
    g_assert_cmpuint (request->status, ==, 200);
    g_assert_cmpuint (number, >=, first);
    g_assert_cmpuint (number, <=, last);
    seen[number]++;
    n++;
  }
  for (guint number = first; number <= last; number++)
    g_assert_cmpuint (seen[number], ==, 1);
  g_assert_cmpuint (n, ==, last - first + 1);
}

/* Sets @pipeline to PAUSED and waits for it to preroll. */
static void
preroll (GstElement * pipeline)
{
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PAUSED), !=,
      GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (gst_element_get_state (pipeline, NULL, NULL,
          GST_CLOCK_TIME_NONE), ==, GST_STATE_CHANGE_SUCCESS);
}

static const gchar *const factories[] = { "synapsegtsrc", "synapsemediasrc" };

/* --- start-index -------------------------------------------------------- */

typedef struct
{
  guint64 start;
  gint num_buffers;             /* -1: all */
  guint first_page, last_page;  /* at 10 a page */
} StartCase;

static const StartCase start_cases[] = {
  {20, -1, 3, 12},              /* a page boundary */
  {37, -1, 4, 12},              /* inside a page */
  {119, -1, 12, 12},            /* the last event */
  {37, 5, 4, 5},                /* 37 to 41: pages 4 and 5 */
  {30, 10, 4, 4},               /* one page, no page past it */
};

static void
test_start_index (Fixture * f, gconstpointer data)
{
  for (guint k = 0; k < G_N_ELEMENTS (factories); k++) {
    for (guint i = 0; i < G_N_ELEMENTS (start_cases); i++) {
      const StartCase *c = &start_cases[i];
      g_autofree gchar *props = g_strdup_printf ("page-size=10 "
          "start-index=%" G_GUINT64_FORMAT " num-buffers=%d", c->start,
          c->num_buffers);
      g_autoptr (GstElement) pipeline = make_pipeline (f, factories[k], props);
      g_auto (KitRun) run = { 0 };
      guint64 end = c->num_buffers < 0 ? EVENTS : c->start + c->num_buffers;
      GstMessage *page;
      guint64 next_index = 0, position = 0;

      forget_buffers (f);
      synapse_test_backend_clear_requests (f->backend);
      run.timeout_s = RUN_TIMEOUT_S;
      kit_run_pipeline (&run, pipeline);
      kit_run_assert_eos (&run);
      assert_events (f, 0, c->start, end, k == 0);
      assert_pages_requested (f, c->first_page, c->last_page);

      /* the first page message numbers its events as the listing does */
      page = kit_run_find_element_message (&run, "synapse-page");
      g_assert_nonnull (page);
      g_assert_true (gst_structure_get_uint64 (gst_message_get_structure
              (page), "next-index", &next_index));
      g_assert_true (gst_structure_get_uint64 (gst_message_get_structure
              (page), "position", &position));
      g_assert_cmpuint (next_index, ==, c->start);
      g_assert_cmpuint (position, ==, MIN (c->start + 10 - c->start % 10,
              (guint64) EVENTS));
    }
  }
}

/* Past the end, a stream is empty: EOS, no error. */
static void
test_start_index_past_the_end (Fixture * f, gconstpointer data)
{
  for (guint k = 0; k < G_N_ELEMENTS (factories); k++) {
    g_autoptr (GstElement) pipeline = make_pipeline (f, factories[k],
        "page-size=10 start-index=500");
    g_auto (KitRun) run = { 0 };

    forget_buffers (f);
    run.timeout_s = RUN_TIMEOUT_S;
    kit_run_pipeline (&run, pipeline);
    kit_run_assert_eos (&run);
    g_assert_cmpuint (f->offsets->len, ==, 0);
  }
}

/* A stream that stopped resumes at the next-index of its last page
 * message: together, the two runs pushed every event, numbered alike. */
static void
test_resume_recipe (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) first = make_pipeline (f, "synapsegtsrc",
      "page-size=10 num-buffers=45");
  g_autoptr (GstElement) second = NULL;
  g_auto (KitRun) run = { 0 };
  g_auto (KitRun) resumed = { 0 };
  guint64 next_index = G_MAXUINT64;
  g_autofree gchar *props = NULL;

  run.timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (&run, first);
  kit_run_assert_eos (&run);
  for (guint i = 0; i < run.messages->len; i++) {
    const GstStructure *s = gst_message_get_structure (run.messages->pdata[i]);

    if (s && gst_structure_has_name (s, "synapse-page"))
      g_assert_true (gst_structure_get_uint64 (s, "next-index", &next_index));
  }
  /* the last page held events 40 to 44: they come again */
  g_assert_cmpuint (next_index, ==, 40);
  g_assert_cmpuint (f->offsets->len, ==, 45);
  g_mutex_lock (&f->lock);
  g_array_set_size (f->offsets, 40);
  g_ptr_array_set_size (f->buffers, 40);
  g_mutex_unlock (&f->lock);

  props = g_strdup_printf ("page-size=10 start-index=%" G_GUINT64_FORMAT,
      next_index);
  second = make_pipeline (f, "synapsegtsrc", props);
  resumed.timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (&resumed, second);
  kit_run_assert_eos (&resumed);
  assert_events (f, 0, 0, EVENTS, TRUE);
}

/* --- seeking ------------------------------------------------------------ */

static gboolean
seek_events (GstElement * pipeline, gint64 start, gint64 stop)
{
  return gst_element_seek (pipeline, 1.0, GST_FORMAT_DEFAULT,
      GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, start,
      stop < 0 ? GST_SEEK_TYPE_NONE : GST_SEEK_TYPE_SET, stop);
}

/* Seeks from PAUSED, once prerolled: to the middle, into the last page,
 * to 0, past the end, with a stop; the walk starts at that event, at the
 * page that holds it. */
static void
test_seek_from_paused (Fixture * f, gconstpointer data)
{
  const struct
  {
    gint64 start, stop;
    guint first_page, last_page;
  } seeks[] = {
    {57, -1, 6, 12},
    {113, -1, 12, 12},
    {0, -1, 1, 12},
    {30, 45, 4, 5},
    {120, -1, 0, 0},
  };

  for (guint k = 0; k < G_N_ELEMENTS (factories); k++) {
    for (guint i = 0; i < G_N_ELEMENTS (seeks); i++) {
      /* one page at a time: none is in flight when it has prerolled */
      g_autoptr (GstElement) pipeline = make_pipeline (f, factories[k],
          "page-size=10 prefetch=1");
      g_auto (KitRun) run = { 0 };
      gint64 end = seeks[i].stop < 0 ? EVENTS : seeks[i].stop;
      guint prerolled;

      forget_buffers (f);
      run.timeout_s = RUN_TIMEOUT_S;
      preroll (pipeline);
      synapse_test_backend_clear_requests (f->backend);
      g_mutex_lock (&f->lock);
      prerolled = f->offsets->len;
      g_mutex_unlock (&f->lock);

      g_assert_true (seek_events (pipeline, seeks[i].start, seeks[i].stop));
      kit_run_start (&run, pipeline);
      kit_run_end (&run);
      kit_run_assert_eos (&run);
      if (seeks[i].start >= EVENTS) {
        g_assert_cmpuint (f->offsets->len, ==, prerolled);
        continue;
      }
      assert_events (f, prerolled, seeks[i].start, end, k == 0);
      assert_pages_requested (f, seeks[i].first_page, seeks[i].last_page);
    }
  }
}

/* A seek before any data (from READY, applied at start) is where the
 * stream starts. */
static void
test_seek_before_data (Fixture * f, gconstpointer data)
{
  for (guint k = 0; k < G_N_ELEMENTS (factories); k++) {
    g_autoptr (GstElement) pipeline = make_pipeline (f, factories[k],
        "page-size=10");
    g_auto (KitRun) run = { 0 };

    forget_buffers (f);
    synapse_test_backend_clear_requests (f->backend);
    g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_READY), ==,
        GST_STATE_CHANGE_SUCCESS);
    g_assert_true (gst_element_send_event (kit_get_element (pipeline, "src"),
            gst_event_new_seek (1.0, GST_FORMAT_DEFAULT, GST_SEEK_FLAG_FLUSH,
                GST_SEEK_TYPE_SET, 73, GST_SEEK_TYPE_NONE, -1)));
    run.timeout_s = RUN_TIMEOUT_S;
    kit_run_pipeline (&run, pipeline);
    kit_run_assert_eos (&run);
    assert_events (f, 0, 73, EVENTS, k == 0);
    assert_pages_requested (f, 8, 12);
  }
}

/* A seek while the stream plays, while a page request hangs: what is in
 * flight is cancelled, and the stream goes on from the event sought;
 * every event before the seek was pushed once, in order. */
static void
test_seek_while_playing (Fixture * f, gconstpointer data)
{
  for (guint k = 0; k < G_N_ELEMENTS (factories); k++) {
    g_autoptr (GstElement) pipeline = make_pipeline (f, factories[k],
        "page-size=10 prefetch=1");
    g_auto (KitRun) run = { 0 };
    guint before;

    forget_buffers (f);
    synapse_test_backend_clear_faults (f->backend);
    /* page 4 hangs, once: far longer than the run may take */
    kit_add_fault (f->backend, "stall ms=60000 path=" EVENTS_PATH
        " query=page=4 times=1");
    synapse_test_backend_clear_requests (f->backend);
    run.timeout_s = RUN_TIMEOUT_S;
    kit_run_start (&run, pipeline);
    /* pages 1 to 3, and the request for page 4, which hangs; some events
     * are out (synapsemediasrc reads page 4 while the files of page 3 may
     * still be downloading) */
    kit_wait_for_requests (f->backend, EVENTS_PATH, 4);
    wait_for_buffers (f, 1);
    g_assert_true (seek_events (pipeline, 85, -1));
    kit_run_end (&run);
    kit_run_assert_eos (&run);

    /* events from 0 on (synapsegtsrc: all 30 of pages 1 to 3; the files
     * of synapsemediasrc's in flight are dropped), then 85 … */
    g_mutex_lock (&f->lock);
    before = 0;
    while (before < f->offsets->len
        && g_array_index (f->offsets, guint64, before) == before)
      before++;
    g_mutex_unlock (&f->lock);
    g_assert_cmpuint (before, <=, 30);
    if (k == 0)
      g_assert_cmpuint (before, ==, 30);
    assert_events (f, before, 85, EVENTS, k == 0);
  }
}

/* The seeking query answers what a seek would do: seekable in events
 * until the listing turns out to link by cursor; synapsemediasrc in time
 * only with a framerate. */
static void
test_seeking_query (Fixture * f, gconstpointer data)
{
  const struct
  {
    const gchar *factory, *props;
    GstFormat format;
    gboolean by_cursor, seekable;
  } cases[] = {
    {"synapsegtsrc", "", GST_FORMAT_DEFAULT, FALSE, TRUE},
    {"synapsegtsrc", "", GST_FORMAT_DEFAULT, TRUE, FALSE},
    {"synapsemediasrc", "", GST_FORMAT_DEFAULT, FALSE, TRUE},
    {"synapsemediasrc", "", GST_FORMAT_TIME, FALSE, FALSE},
    {"synapsemediasrc", "framerate=10/1", GST_FORMAT_TIME, FALSE, TRUE},
    {"synapsemediasrc", "", GST_FORMAT_DEFAULT, TRUE, FALSE},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *props = g_strdup_printf ("page-size=10 %s",
        cases[i].props);
    g_autoptr (GstElement) pipeline = make_pipeline (f, cases[i].factory,
        props);
    g_autoptr (GstQuery) query = gst_query_new_seeking (cases[i].format);
    gboolean seekable = !cases[i].seekable;

    synapse_test_backend_set_cursor_pagination (f->backend,
        cases[i].by_cursor);
    preroll (pipeline);
    g_assert_true (gst_element_query (kit_get_element (pipeline, "src"),
            query));
    gst_query_parse_seeking (query, NULL, &seekable, NULL, NULL);
    if (seekable != cases[i].seekable)
      g_error ("case %u: seekable %d", i, seekable);
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
  synapse_test_backend_set_cursor_pagination (f->backend, FALSE);
}

/* synapsemediasrc with a framerate: a seek in time starts at the first
 * event at or after it, timestamped as in the whole stream. */
static void
test_media_seek_in_time (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "synapsemediasrc",
      "page-size=10 framerate=10/1");
  g_auto (KitRun) run = { 0 };
  guint prerolled;
  GstBuffer *first;

  preroll (pipeline);
  prerolled = f->offsets->len;
  /* 2.35 s: event 24 is the first at or after it (2.4 s) */
  g_assert_true (gst_element_seek (pipeline, 1.0, GST_FORMAT_TIME,
          GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, 2350 * GST_MSECOND,
          GST_SEEK_TYPE_SET, 5 * GST_SECOND));
  run.timeout_s = RUN_TIMEOUT_S;
  kit_run_start (&run, pipeline);
  kit_run_end (&run);
  kit_run_assert_eos (&run);
  /* events 24 to 49: those before 5 s */
  assert_events (f, prerolled, 24, 50, FALSE);
  first = f->buffers->pdata[prerolled];
  g_assert_cmpuint (GST_BUFFER_PTS (first), ==, 2400 * GST_MSECOND);
}

/* synapsemediasrc with a framerate and a start-index: the segment starts
 * at that event's time, and the buffers are timed as in the whole stream
 * (a seek sent before data, in time, goes where it says). */
static void
test_media_start_index_in_time (Fixture * f, gconstpointer data)
{
  g_autoptr (GstElement) pipeline = make_pipeline (f, "synapsemediasrc",
      "page-size=10 framerate=10/1 start-index=37");
  g_autoptr (GstElement) sought = make_pipeline (f, "synapsemediasrc",
      "page-size=10 framerate=10/1 start-index=37");
  g_auto (KitRun) run = { 0 };
  g_auto (KitRun) run_sought = { 0 };

  run.timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (&run, pipeline);
  kit_run_assert_eos (&run);
  assert_events (f, 0, 37, EVENTS, FALSE);
  g_assert_cmpuint (GST_BUFFER_PTS (f->buffers->pdata[0]), ==,
      3700 * GST_MSECOND);

  forget_buffers (f);
  g_assert_cmpint (gst_element_set_state (sought, GST_STATE_READY), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_true (gst_element_send_event (kit_get_element (sought, "src"),
          gst_event_new_seek (1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH,
              GST_SEEK_TYPE_SET, 9 * GST_SECOND, GST_SEEK_TYPE_NONE, -1)));
  run_sought.timeout_s = RUN_TIMEOUT_S;
  kit_run_pipeline (&run_sought, sought);
  kit_run_assert_eos (&run_sought);
  assert_events (f, 0, 90, EVENTS, FALSE);
}

/* --- shards ------------------------------------------------------------- */

/* Shards 0 … N-1, one pipeline each: each pushes its pages' events in
 * order with the whole listing's offsets; together, the listing once; no
 * page was requested twice. 120 events at 9 a page: 14 pages. */
static void
test_shards (Fixture * f, gconstpointer data)
{
  const guint counts[] = { 1, 2, 3, 7 };

  for (guint k = 0; k < G_N_ELEMENTS (factories); k++) {
    for (guint c = 0; c < G_N_ELEMENTS (counts); c++) {
      g_autofree guint *pushed = g_new0 (guint, EVENTS);

      synapse_test_backend_clear_requests (f->backend);
      for (guint i = 0; i < counts[c]; i++) {
        g_autofree gchar *props = g_strdup_printf ("page-size=9 prefetch=3 "
            "shard-index=%u shard-count=%u", i, counts[c]);
        g_autoptr (GstElement) pipeline = make_pipeline (f, factories[k],
            props);
        g_auto (KitRun) run = { 0 };

        forget_buffers (f);
        run.timeout_s = RUN_TIMEOUT_S;
        kit_run_pipeline (&run, pipeline);
        kit_run_assert_eos (&run);
        for (guint j = 0; j < f->offsets->len; j++) {
          guint64 index = g_array_index (f->offsets, guint64, j);

          if (j > 0)
            g_assert_cmpuint (index, >, g_array_index (f->offsets, guint64,
                    j - 1));
          g_assert_cmpuint ((index / 9) % counts[c], ==, i);
          g_assert_cmpuint (index, <, EVENTS);
          pushed[index]++;
          if (k == 0) {
            g_autoptr (JsonNode) event = buffer_event (f->buffers->pdata[j]);

            g_assert_true (json_node_equal (event, json_array_get_element
                    (f->listing, index)));
          }
        }
      }
      for (guint index = 0; index < EVENTS; index++)
        g_assert_cmpuint (pushed[index], ==, 1);
      assert_pages_requested (f, 1, 14);
    }
  }
}

/* A listing linked by cursor cannot be sharded: a SETTINGS error that
 * says so, without the token. */
static void
test_shards_of_a_cursor_listing (Fixture * f, gconstpointer data)
{
  for (guint k = 0; k < G_N_ELEMENTS (factories); k++) {
    g_autoptr (GstElement) pipeline = make_pipeline (f, factories[k],
        "page-size=10 shard-index=1 shard-count=2");
    g_auto (KitRun) run = { 0 };

    synapse_test_backend_set_cursor_pagination (f->backend, TRUE);
    run.timeout_s = RUN_TIMEOUT_S;
    kit_run_pipeline (&run, pipeline);
    kit_run_assert_error_from (&run, "src");
    g_assert_error (run.gerror, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS);
    g_assert_nonnull (strstr (run.gerror->message,
            "cannot be split into shards"));
    kit_run_assert_no_secret (&run, secrets);
    synapse_test_backend_set_cursor_pagination (f->backend, FALSE);
  }
}

/* A shard index that is not below the count is refused at start. */
static void
test_shard_index_out_of_range (Fixture * f, gconstpointer data)
{
  for (guint k = 0; k < G_N_ELEMENTS (factories); k++) {
    g_autoptr (GstElement) pipeline = make_pipeline (f, factories[k],
        "shard-index=3 shard-count=3");
    g_auto (KitRun) run = { 0 };

    kit_run_refused (&run, pipeline, GST_STATE_PAUSED);
    g_assert_error (run.gerror, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_SETTINGS);
    g_assert_nonnull (strstr (run.gerror->message, "shard-index"));
    g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
            EVENTS_PATH), ==, 0);
  }
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  kit_gst_init (&argc, &argv);

  ADD ("/seek/start-index", test_start_index);
  ADD ("/seek/start-index/past-the-end", test_start_index_past_the_end);
  ADD ("/seek/resume-recipe", test_resume_recipe);
  ADD ("/seek/from-paused", test_seek_from_paused);
  ADD ("/seek/before-data", test_seek_before_data);
  ADD ("/seek/while-playing", test_seek_while_playing);
  ADD ("/seek/query", test_seeking_query);
  ADD ("/seek/media-in-time", test_media_seek_in_time);
  ADD ("/seek/media-start-index-in-time", test_media_start_index_in_time);
  ADD ("/shard/union", test_shards);
  ADD ("/shard/cursor-listing", test_shards_of_a_cursor_listing);
  ADD ("/shard/index-out-of-range", test_shard_index_out_of_range);

  return g_test_run ();
}
