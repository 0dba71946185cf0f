/* bench-gtsrc: stream events through `synapsegtsrc ! fakesink` and report
 * the figures as JSON: {"seconds", "events", "bytes", "first_seconds",
 * "max_rss_kib"}.
 *
 *   bench-gtsrc URL TOKEN PAGE-SIZE PREFETCH [NUM-EVENTS [URL-PREFIX]]
 *
 * A URL-PREFIX makes the element convert the events' file URLs, which it
 * rewrites in the backend's bytes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <gst/gst.h>

typedef struct
{
  gint64 start;
  gint64 first;
  guint64 events;
  guint64 bytes;
} Counts;

static gboolean
count_one (GstBuffer ** buffer, guint index, gpointer user_data)
{
  Counts *counts = user_data;

  if (counts->events == 0)
    counts->first = g_get_monotonic_time ();
  counts->events++;
  counts->bytes += gst_buffer_get_size (*buffer);
  return TRUE;
}

/* One event a buffer, pushed alone or in lists. */
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
  return GST_PAD_PROBE_OK;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  Counts counts = { 0 };
  struct rusage usage;
  gint64 end;

  gst_init (&argc, &argv);
  if (argc < 5) {
    fprintf (stderr, "usage: %s URL TOKEN PAGE-SIZE PREFETCH "
        "[NUM-EVENTS [URL-PREFIX]]\n", argv[0]);
    return 2;
  }

  pipeline = gst_parse_launch ("synapsegtsrc name=src ! "
      "fakesink name=sink sync=false", &error);
  if (pipeline == NULL) {
    fprintf (stderr, "%s\n", error->message);
    return 1;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "base-url", argv[1], "access-token", argv[2],
      "page-size", (guint) g_ascii_strtoull (argv[3], NULL, 10),
      "prefetch", (guint) g_ascii_strtoull (argv[4], NULL, 10), NULL);
  if (argc > 5 && atoi (argv[5]) > 0)
    g_object_set (src, "num-buffers", atoi (argv[5]), NULL);
  if (argc > 6)
    g_object_set (src, "url-prefix", argv[6], NULL);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, count_buffers, &counts, NULL);

  counts.start = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
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

  getrusage (RUSAGE_SELF, &usage);
  printf ("{\"seconds\": %.6f, \"events\": %" G_GUINT64_FORMAT
      ", \"bytes\": %" G_GUINT64_FORMAT ", \"first_seconds\": %.6f, "
      "\"max_rss_kib\": %ld}\n", (end - counts.start) / 1e6, counts.events,
      counts.bytes, (counts.first - counts.start) / 1e6, usage.ru_maxrss);
  return 0;
}
