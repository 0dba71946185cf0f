/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: SynapseEventMeta, the custom meta that ties a buffer of
 * synapsemediasrc to its ground-truth event. It is registered with
 * gst_meta_register_custom () and no tags: decoders (GstVideoDecoder) and
 * video filters (videoconvert, videoscale) copy a meta without tags to
 * their output, so a decoded and scaled frame still carries its event.
 * Its structure is what users read, from C or through GI:
 *
 *   event-id      gint64   the event's `id`
 *   index         guint64  its index in the listing, from 0
 *   event         string   the event's JSON, as the backend sent it
 *   data-unit-id  gint64   its data unit's `id` (-1: none)
 *   file-key      string   the key of the file in `data_unit.files`
 *   url           string   the file's URL
 */

#include "config.h"

#include "gstsynapseeventmeta.h"

/**
 * gst_synapse_event_meta_register:
 *
 * Registers the meta, once; called when synapsemediasrc registers.
 */
void
gst_synapse_event_meta_register (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    static const gchar *no_tags[] = { NULL };

    gst_meta_register_custom (GST_SYNAPSE_EVENT_META_NAME, no_tags, NULL,
        NULL, NULL);
    g_once_init_leave (&done, 1);
  }
}

/**
 * gst_synapse_event_meta_add:
 * @buffer: a writable buffer
 * @fields: what the meta holds
 *
 * Adds a SynapseEventMeta to @buffer.
 */
void
gst_synapse_event_meta_add (GstBuffer * buffer,
    const GstSynapseEventFields * fields)
{
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buffer,
      GST_SYNAPSE_EVENT_META_NAME);
  GstStructure *s = gst_custom_meta_get_structure (meta);
  gsize length;
  const gchar *json = g_bytes_get_data (fields->event, &length);
  g_autofree gchar *event = g_strndup (json, length);

  gst_structure_set (s, "event-id", G_TYPE_INT64, fields->event_id,
      "index", G_TYPE_UINT64, fields->index,
      "event", G_TYPE_STRING, event,
      "data-unit-id", G_TYPE_INT64, fields->data_unit_id,
      "file-key", G_TYPE_STRING, fields->file_key,
      "url", G_TYPE_STRING, fields->url, NULL);
}
