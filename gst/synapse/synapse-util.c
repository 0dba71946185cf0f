/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Small pieces the rest of the library shares: cancellable sleeps, the
 * GTask runner behind every _async twin, JSON and URL helpers. */

#include "config.h"

#include <math.h>

#include "synapse-json-scan.h"
#include "synapse-private.h"

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean woken;
} Sleeper;

static void
sleeper_wake (GCancellable * cancellable, Sleeper * sleeper)
{
  g_mutex_lock (&sleeper->lock);
  sleeper->woken = TRUE;
  g_cond_signal (&sleeper->cond);
  g_mutex_unlock (&sleeper->lock);
}

/* Waits @microseconds unless @cancellable fires first; a backoff sleep must
 * end at once when the caller gives up, so g_usleep() will not do. */
gboolean
synapse_sleep (gint64 microseconds, GCancellable * cancellable, GError ** error)
{
  Sleeper sleeper = { 0 };
  gulong handler = 0;
  gint64 end = g_get_monotonic_time () + microseconds;

  g_mutex_init (&sleeper.lock);
  g_cond_init (&sleeper.cond);
  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (sleeper_wake),
        &sleeper, NULL);

  g_mutex_lock (&sleeper.lock);
  while (!sleeper.woken && g_cond_wait_until (&sleeper.cond, &sleeper.lock,
          end));
  g_mutex_unlock (&sleeper.lock);

  if (cancellable)
    g_cancellable_disconnect (cancellable, handler);
  g_mutex_clear (&sleeper.lock);
  g_cond_clear (&sleeper.cond);

  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

typedef struct
{
  SynapseTaskFunc func;
  gpointer data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;
} TaskJob;

static void
task_job_free (TaskJob * job)
{
  if (job->data_free)
    job->data_free (job->data);
  g_free (job);
}

static void
task_job_run (GTask * task, gpointer source, gpointer task_data,
    GCancellable * cancellable)
{
  TaskJob *job = task_data;
  GError *error = NULL;
  gpointer result = job->func (source, job->data, cancellable, &error);

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, job->result_free);
}

void
synapse_task_run (gpointer source, gpointer source_tag, SynapseTaskFunc func,
    gpointer data, GDestroyNotify data_free, GDestroyNotify result_free,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source, cancellable, callback,
      user_data);
  TaskJob *job = g_new0 (TaskJob, 1);

  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) task_job_free);
  g_task_run_in_thread (task, task_job_run);
}

gpointer
synapse_task_finish (gpointer source, GAsyncResult * result,
    gpointer source_tag, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag,
      NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
synapse_set_protocol_error (GError ** error, const char *method,
    const char *url, const char *format, ...)
{
  g_autofree char *what = NULL;
  g_autofree char *shown = synapse_uri_redact (url);
  va_list args;

  if (error == NULL)
    return;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_PROTOCOL, method,
      shown, 0, NULL, "%s %s: unexpected response from the Synapse backend: "
      "%s", method, shown, what);
}

JsonObject *
synapse_json_object_copy (JsonObject * object)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (object == NULL)
    return copy;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (copy, name, json_node_copy (node));
  return copy;
}

JsonNode *
synapse_parse_json_bytes (GBytes * bytes, const char *method,
    const char *url, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  if (size == 0) {
    synapse_set_protocol_error (error, method, url, "empty body");
    return NULL;
  }
  /* json-glib's parser recurses without a bound: check the nesting (and
   * the rest) first */
  if (!synapse_json_validate (data, size, &parse_error)
      || !json_parser_load_from_data (parser, data, size, &parse_error)) {
    synapse_set_protocol_error (error, method, url, "malformed JSON (%s)",
        parse_error->message);
    return NULL;
  }
  return json_parser_steal_root (parser);
}

void
synapse_append_double (GString * out, double value)
{
  char format[8];
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* JSON has no infinity or NaN; what parses into them is refused before
   * (synapse_json_parse_exact ()) */
  if (!isfinite (value)) {
    g_string_append (out, "null");
    return;
  }
  for (int digits = 1; digits <= 17; digits++) {
    g_snprintf (format, sizeof format, "%%.%dg", digits);
    g_ascii_formatd (buf, sizeof buf, format, value);
    if (g_ascii_strtod (buf, NULL) == value)
      break;
  }
  g_string_append (out, buf);
  /* still a float when read back, as Python writes 1.0 */
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
append_json_string (GString * out, const char *text)
{
  g_string_append_c (out, '"');
  for (const char *c = text; *c; c++) {
    switch (*c) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if ((guchar) * c < 0x20)
          g_string_append_printf (out, "\\u%04x", (guchar) * c);
        else
          g_string_append_c (out, *c);
        break;
    }
  }
  g_string_append_c (out, '"');
}

static void
append_json (GString * out, JsonNode * node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:{
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      gboolean first = TRUE;

      g_string_append_c (out, '{');
      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member)) {
        if (!first)
          g_string_append_c (out, ',');
        first = FALSE;
        append_json_string (out, name);
        g_string_append_c (out, ':');
        append_json (out, member);
      }
      g_string_append_c (out, '}');
      break;
    }
    case JSON_NODE_ARRAY:{
      JsonArray *array = json_node_get_array (node);

      g_string_append_c (out, '[');
      for (guint i = 0; i < json_array_get_length (array); i++) {
        if (i > 0)
          g_string_append_c (out, ',');
        append_json (out, json_array_get_element (array, i));
      }
      g_string_append_c (out, ']');
      break;
    }
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node)) {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT,
              json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          synapse_append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" :
              "false");
          break;
        case G_TYPE_STRING:
          if (json_node_get_string (node))
            append_json_string (out, json_node_get_string (node));
          else
            g_string_append (out, "null");
          break;
        default:
          g_string_append (out, "null");
          break;
      }
      break;
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
  }
}

/* Not json_to_string (): json-glib writes doubles with 17 digits, so the
 * 0.942 a user gave would go out as 0.94199999999999995. */
GBytes *
synapse_json_to_bytes (JsonNode * node)
{
  GString *out = g_string_new (NULL);

  append_json (out, node);
  return g_string_free_to_bytes (out);
}

const char *
synapse_json_get_string (JsonObject * object, const char *name)
{
  JsonNode *member = json_object_get_member (object, name);

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (member);
}
