/* faults-common.c: what the fault matrix and the secret proofs share
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <glib/gstdio.h>

#include "faults-common.h"

typedef struct
{
  GMutex lock;
  GCond cond;
  GPtrArray *messages;
  gboolean done;
  FaultsMessageHook hook;
  gpointer hook_data;
} Collector;

static GstBusSyncReply
collect (GstBus * bus, GstMessage * message, gpointer user_data)
{
  Collector *c = user_data;

  if (c->hook)
    c->hook (message, c->hook_data);
  g_mutex_lock (&c->lock);
  g_ptr_array_add (c->messages, gst_message_ref (message));
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS
      || GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    c->done = TRUE;
    g_cond_broadcast (&c->cond);
  }
  g_mutex_unlock (&c->lock);
  /* kept here; the bus's queue is flushed at the end */
  return GST_BUS_PASS;
}

void
faults_run_clear (FaultsRun * run)
{
  g_clear_pointer (&run->messages, g_ptr_array_unref);
  run->error = NULL;
  g_clear_error (&run->gerror);
  g_clear_pointer (&run->debug, g_free);
  g_clear_pointer (&run->details, gst_structure_free);
}

void
faults_run_pipeline (GstElement * pipeline, guint timeout_s,
    FaultsMessageHook hook, gpointer hook_data, FaultsRun * run)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  Collector c = { 0 };
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  c.messages =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);
  c.hook = hook;
  c.hook_data = hook_data;
  gst_bus_set_sync_handler (bus, collect, &c, NULL);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_mutex_lock (&c.lock);
  while (!c.done) {
    if (!g_cond_wait_until (&c.cond, &c.lock, deadline))
      break;
  }
  g_mutex_unlock (&c.lock);
  if (!c.done)
    g_error ("the pipeline neither ended nor failed within %u s", timeout_s);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_bus_set_flushing (bus, FALSE);

  memset (run, 0, sizeof (*run));
  run->messages = c.messages;
  for (guint i = 0; i < run->messages->len; i++) {
    GstMessage *message = run->messages->pdata[i];

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS)
      run->eos = TRUE;
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR && !run->error) {
      const GstStructure *details = NULL;

      run->error = message;
      gst_message_parse_error (message, &run->gerror, &run->debug);
      gst_message_parse_error_details (message, &details);
      run->details = details ? gst_structure_copy (details) : NULL;
    }
  }
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
}

GBytes *
faults_make_bytes (gsize size, guint32 seed)
{
  guint8 *data = g_malloc (size ? size : 1);
  guint32 x = seed * 2654435761u + 1;

  for (gsize i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = x >> 24;
  }
  return g_bytes_new_take (data, size);
}

gchar *
faults_write_file (const gchar * dir, const gchar * name, GBytes * bytes)
{
  gchar *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
  return path;
}

JsonArray *
faults_read_ndjson (const gchar * path)
{
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *events = json_array_new ();

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return events;
  g_assert_true (g_utf8_validate (text, -1, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++) {
    JsonNode *node;

    if (lines[i][0] == '\0') {
      /* only the piece after the last newline may be empty */
      g_assert_null (lines[i + 1]);
      break;
    }
    node = json_from_string (lines[i], &error);
    g_assert_no_error (error);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
    json_array_add_element (events, node);
  }
  return events;
}

gboolean
faults_events_are_prefix (JsonArray * got, JsonArray * want, gchar ** why)
{
  guint n_got = json_array_get_length (got);
  guint n_want = json_array_get_length (want);

  if (n_got > n_want) {
    *why = g_strdup_printf ("%u events where the backend has %u", n_got,
        n_want);
    return FALSE;
  }
  for (guint i = 0; i < n_got; i++) {
    JsonNode *a = json_array_get_element (got, i);
    JsonNode *b = json_array_get_element (want, i);

    if (!json_node_equal (a, b)) {
      g_autofree gchar *sa = json_to_string (a, FALSE);
      g_autofree gchar *sb = json_to_string (b, FALSE);

      *why = g_strdup_printf ("event %u differs (lost, repeated or "
          "reordered):\n got %.200s\nwant %.200s", i, sa, sb);
      return FALSE;
    }
  }
  *why = NULL;
  return TRUE;
}

GBytes *
faults_dup_model_file (SynapseTestBackend * backend, gint64 id)
{
  g_autoptr (JsonObject) model = synapse_test_backend_dup_model (backend, id);
  const gchar *url;

  if (model == NULL)
    return NULL;
  url = json_object_get_string_member_with_default (model, "file", NULL);
  g_assert_nonnull (url);
  return synapse_test_backend_dup_media (backend, url);
}

GBytes *
faults_dup_upload_bytes (SynapseTestBackend * backend, const gchar * upload_id)
{
  g_autofree gchar *path = synapse_test_backend_dup_upload_path (backend,
      upload_id);
  g_autoptr (GError) error = NULL;
  gchar *data = NULL;
  gsize size = 0;

  g_assert_nonnull (path);
  g_file_get_contents (path, &data, &size, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, size);
}

guint
faults_count_requests (SynapseTestBackend * backend, const gchar * method,
    const gchar * path, guint status)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests (backend);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if ((method == NULL || g_str_equal (request->method, method))
        && strstr (request->path, path)
        && (status == 0 || request->status == status))
      n++;
  }
  return n;
}
