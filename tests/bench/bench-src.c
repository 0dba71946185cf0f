/* bench-src: stream a Synapse source element into a fakesink and report
 * the figures as JSON: {"seconds", "buffers", "bytes", "first_seconds",
 * "max_rss_kib"}.
 *
 *   bench-src [--consume-us=US] ELEMENT [PROPERTY=VALUE ...]
 *
 * e.g. `bench-src synapsegtsrc base-url=URL access-token=T page-size=100`
 * (a buffer is an event) or `bench-src synapsemediasrc base-url=URL
 * access-token=T max-downloads=8` (a buffer is a file), or `bench-src
 * benchpagesrc events=N` (bench-page-src.c: synapsegtsrc's buffers with
 * nothing behind them, GStreamer's share of an event). Each property is
 * set from its string as gst-launch-1.0 would (gst_util_set_object_arg ()),
 * so that one driver serves every element and setting the benchmarks try,
 * and a misspelt property is an error rather than a default measured.
 *
 * --consume-us makes the sink spend that long on each buffer (or buffer
 * list), in the streaming thread, as a decoder or a model would: a source
 * that fetches ahead of a slow consumer then shows what it holds
 * (synapsemediasrc's max-bytes) in the peak RSS.
 *
 * --seek=EVENT measures a seek instead of a whole stream: the pipeline
 * prerolls in PAUSED (the first page pushed, the next ones requested),
 * then a flushing seek in GST_FORMAT_DEFAULT goes to EVENT, and the report
 * is {"seek_seconds", "seek_offset", "max_rss_kib"}: the time from the
 * seek to the first buffer at that offset reaching the sink, and that
 * offset. The pipeline stops there.
 *
 * The peak RSS is the process's own (VmHWM), not getrusage ()'s
 * ru_maxrss: Linux carries ru_maxrss over an exec, so a child of run.py
 * would report at least run.py's own RSS.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/gst.h>

#include "bench-page-src.h"
#include "bench-rss.h"

static gint consume_us;
static gint64 seek_event = -1;

typedef struct
{
  gint64 start;
  gint64 first;
  guint64 buffers;
  guint64 bytes;
  /* --seek: the first buffer at the offset sought, once it is sought */
  gint seeking;
  gint64 seek_first;
  guint64 seek_offset;
} Counts;

static gboolean
count_one (GstBuffer ** buffer, guint index, gpointer user_data)
{
  Counts *counts = user_data;

  if (counts->buffers == 0)
    counts->first = g_get_monotonic_time ();
  if (g_atomic_int_get (&counts->seeking) && counts->seek_first == 0
      && GST_BUFFER_OFFSET (*buffer) == (guint64) seek_event) {
    counts->seek_first = g_get_monotonic_time ();
    counts->seek_offset = GST_BUFFER_OFFSET (*buffer);
  }
  counts->buffers++;
  counts->bytes += gst_buffer_get_size (*buffer);
  return TRUE;
}

/* Buffers pushed alone or in lists. */
static GstPadProbeReturn
count_buffers (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), count_one,
        user_data);
  else {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

    count_one (&buffer, 0, user_data);
  }
  if (consume_us > 0)
    g_usleep (consume_us);
  return GST_PAD_PROBE_OK;
}

/* The message that ends a wait for @types: an ERROR is printed, and NULL
 * returned. */
static GstMessage *
wait_for (GstBus * bus, GstMessageType types)
{
  GstMessage *message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      types | GST_MESSAGE_ERROR | GST_MESSAGE_EOS);

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) failure = NULL;

    gst_message_parse_error (message, &failure, NULL);
    fprintf (stderr, "%s\n", failure->message);
    gst_message_unref (message);
    return NULL;
  }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS
      && !(types & GST_MESSAGE_EOS)) {
    fprintf (stderr, "end of stream before the event sought\n");
    gst_message_unref (message);
    return NULL;
  }
  return message;
}

/* --seek: preroll, seek, wait for the new preroll; the figures on
 * stdout. */
static int
measure_seek (GstElement * pipeline, GstBus * bus, Counts * counts)
{
  GstMessage *message;
  gint64 start;

  gst_element_set_state (pipeline, GST_STATE_PAUSED);
  if ((message = wait_for (bus, GST_MESSAGE_ASYNC_DONE)) == NULL) {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    return 1;
  }
  gst_message_unref (message);

  g_atomic_int_set (&counts->seeking, 1);
  start = g_get_monotonic_time ();
  if (!gst_element_seek (pipeline, 1.0, GST_FORMAT_DEFAULT,
          GST_SEEK_FLAG_FLUSH, GST_SEEK_TYPE_SET, seek_event,
          GST_SEEK_TYPE_NONE, -1)) {
    fprintf (stderr, "the seek to event %" G_GINT64_FORMAT " was refused\n",
        seek_event);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    return 1;
  }
  /* prerolled again: the first buffer after the seek has reached the sink */
  if ((message = wait_for (bus, GST_MESSAGE_ASYNC_DONE)) == NULL) {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    return 1;
  }
  gst_message_unref (message);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (counts->seek_first == 0) {
    fprintf (stderr, "no buffer at offset %" G_GINT64_FORMAT " after the "
        "seek\n", seek_event);
    return 1;
  }
  printf ("{\"seek_seconds\": %.6f, \"seek_offset\": %" G_GUINT64_FORMAT
      ", \"max_rss_kib\": %ld}\n", (counts->seek_first - start) / 1e6,
      counts->seek_offset, bench_peak_rss_kib ());
  return 0;
}

/* NAME=VALUE set on @src; FALSE, with a message, if it cannot be. */
static gboolean
set_property (GstElement * src, const gchar * setting)
{
  const gchar *equals = strchr (setting, '=');
  g_autofree gchar *name = NULL;

  if (equals == NULL) {
    fprintf (stderr, "not PROPERTY=VALUE: %s\n", setting);
    return FALSE;
  }
  name = g_strndup (setting, equals - setting);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (src), name) == NULL) {
    fprintf (stderr, "%s has no property %s\n", GST_ELEMENT_NAME (src), name);
    return FALSE;
  }
  gst_util_set_object_arg (G_OBJECT (src), name, equals + 1);
  return TRUE;
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    {"consume-us", 0, 0, G_OPTION_ARG_INT, &consume_us,
        "Microseconds the sink spends on each buffer", "US"},
    {"seek", 0, 0, G_OPTION_ARG_INT64, &seek_event,
        "Preroll, seek to this event and report the time to it", "EVENT"},
    {NULL}
  };
  g_autoptr (GOptionContext) options =
      g_option_context_new ("ELEMENT [PROPERTY=VALUE ...]");
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  GstElement *src, *sink;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  Counts counts = { 0 };
  gint64 end;

  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    fprintf (stderr, "%s\n", error->message);
    return 2;
  }
  if (argc < 2) {
    fprintf (stderr, "usage: %s [--consume-us=US] [--seek=EVENT] ELEMENT "
        "[PROPERTY=VALUE ...]\n", argv[0]);
    return 2;
  }

  bench_page_src_register ();
  src = gst_element_factory_make (argv[1], "src");
  if (src == NULL) {
    fprintf (stderr, "no element %s\n", argv[1]);
    return 1;
  }
  pipeline = gst_pipeline_new (NULL);
  sink = gst_element_factory_make ("fakesink", "sink");
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  if (!gst_element_link (src, sink)) {
    fprintf (stderr, "cannot link %s to fakesink\n", argv[1]);
    return 1;
  }
  for (int i = 2; i < argc; i++) {
    if (!set_property (src, argv[i]))
      return 2;
  }
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, count_buffers, &counts, NULL);

  bus = gst_element_get_bus (pipeline);
  if (seek_event >= 0)
    return measure_seek (pipeline, bus, &counts);

  counts.start = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  end = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_NULL);

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) failure = NULL;

    gst_message_parse_error (message, &failure, NULL);
    fprintf (stderr, "%s\n", failure->message);
    return 1;
  }

  printf ("{\"seconds\": %.6f, \"buffers\": %" G_GUINT64_FORMAT
      ", \"bytes\": %" G_GUINT64_FORMAT ", \"first_seconds\": %.6f, "
      "\"max_rss_kib\": %ld}\n", (end - counts.start) / 1e6, counts.buffers,
      counts.bytes, (counts.first - counts.start) / 1e6, bench_peak_rss_kib ());
  return 0;
}
