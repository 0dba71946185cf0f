/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: what a sink learns about the file that comes to it,
 * from upstream, at its first buffer: the file's name (from the URI of
 * the source that reads it) and its size (from a duration query in
 * bytes). synapsemodelsink names the upload after the one and decides
 * with the other whether to upload as the bytes arrive or spool them;
 * apart from the element, because neither is about the upload. */

#include "config.h"

#include "gstsynapseupstream.h"

/* how far upstream the file name is looked for */
#define MAX_UPSTREAM_DEPTH 16

/**
 * gst_synapse_file_name:
 * @path: (nullable): a file's path, or its name
 *
 * Returns: (transfer full) (nullable): its base name, if it is one the
 *   backend can store a file under
 */
gchar *
gst_synapse_file_name (const gchar * path)
{
  g_autofree gchar *name = NULL;

  if (path == NULL || *path == '\0')
    return NULL;
  name = g_path_get_basename (path);
  if (g_str_equal (name, ".") || g_str_equal (name, "..")
      || g_str_equal (name, G_DIR_SEPARATOR_S))
    return NULL;
  return g_steal_pointer (&name);
}

/* The last part of @uri's path, if it names a file. */
static gchar *
file_name_of_uri (const gchar * uri)
{
  g_autoptr (GUri) parsed = NULL;
  const gchar *path;

  if (uri == NULL)
    return NULL;
  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL)
    return NULL;
  path = g_uri_get_path (parsed);
  if (path == NULL || *path == '\0')
    return NULL;
  return gst_synapse_file_name (path);
}

/* The pad feeding @pad's element from upstream, looking through ghost
 * pads; NULL at a source. Takes @pad. */
static GstPad *
upstream_step (GstPad * pad, GstElement ** element)
{
  *element = NULL;
  /* into a bin: the pad inside that the ghost pad stands for */
  while (pad && GST_IS_GHOST_PAD (pad)) {
    GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));

    gst_object_unref (pad);
    pad = target;
  }
  if (pad == NULL)
    return NULL;
  /* out of a bin: the ghost pad whose inside this is, then its peer */
  if (GST_IS_PROXY_PAD (pad)) {
    GstProxyPad *ghost = gst_proxy_pad_get_internal (GST_PROXY_PAD (pad));
    GstPad *peer = ghost ? gst_pad_get_peer (GST_PAD (ghost)) : NULL;

    g_clear_object (&ghost);
    gst_object_unref (pad);
    return peer;
  }
  *element = gst_pad_get_parent_element (pad);
  gst_object_unref (pad);
  return NULL;
}

/**
 * gst_synapse_upstream_file_name:
 * @sink: a sink
 *
 * The name of the file a source upstream of @sink reads (the last part
 * of its URI, as filesrc's location gives it), looking through bins and
 * elements of one sink pad such as queue.
 *
 * Returns: (transfer full) (nullable): the name, or %NULL when there is
 *   none
 */
gchar *
gst_synapse_upstream_file_name (GstBaseSink * sink)
{
  GstPad *pad = gst_pad_get_peer (GST_BASE_SINK_PAD (sink));

  for (guint depth = 0; pad && depth < MAX_UPSTREAM_DEPTH; depth++) {
    GstElement *element = NULL;
    GstPad *next = upstream_step (pad, &element);

    if (element == NULL) {
      pad = next;
      continue;
    }
    pad = NULL;
    if (GST_IS_URI_HANDLER (element)
        && gst_uri_handler_get_uri_type (GST_URI_HANDLER (element)) ==
        GST_URI_SRC) {
      g_autofree gchar *uri =
          gst_uri_handler_get_uri (GST_URI_HANDLER (element));
      gchar *name = file_name_of_uri (uri);

      GST_DEBUG_OBJECT (sink, "upstream source %s reads %s",
          GST_ELEMENT_NAME (element), uri ? uri : "(nothing)");
      gst_object_unref (element);
      return name;
    }
    GST_OBJECT_LOCK (element);
    if (element->numsinkpads == 1)
      pad = gst_object_ref (element->sinkpads->data);
    GST_OBJECT_UNLOCK (element);
    gst_object_unref (element);
    if (pad) {
      next = gst_pad_get_peer (pad);
      gst_object_unref (pad);
      pad = next;
    }
  }
  g_clear_object (&pad);
  return NULL;
}

/**
 * gst_synapse_upstream_size:
 * @sink: a sink, at its first buffer
 *
 * The size of the whole stream when upstream knows it. Only a byte
 * stream that starts at its beginning counts: the byte size that an
 * element with timed output (an encoder) passes on from upstream is that
 * of its input.
 *
 * Returns: the size in bytes, or 0 when not known
 */
guint64
gst_synapse_upstream_size (GstBaseSink * sink)
{
  GstFormat format;
  guint64 start;
  gint64 duration = -1;

  GST_OBJECT_LOCK (sink);
  format = sink->segment.format;
  start = sink->segment.start;
  GST_OBJECT_UNLOCK (sink);

  if (format != GST_FORMAT_BYTES || start != 0) {
    GST_DEBUG_OBJECT (sink, "not a byte stream from its start (a %s "
        "segment from %" G_GUINT64_FORMAT "): the size is not known",
        gst_format_get_name (format), start);
    return 0;
  }
  if (!gst_pad_peer_query_duration (GST_BASE_SINK_PAD (sink),
          GST_FORMAT_BYTES, &duration) || duration <= 0) {
    GST_DEBUG_OBJECT (sink, "upstream does not know the size");
    return 0;
  }
  return (guint64) duration;
}
