/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* SynapseEventMeta: the ground-truth event a buffer of synapsemediasrc
 * comes from, as a custom meta (see gstsynapseeventmeta.c). */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The name under which the plugin registers the meta, and the name of its
 * structure: gst_buffer_get_custom_meta (buffer, "SynapseEventMeta"). */
#define GST_SYNAPSE_EVENT_META_NAME "SynapseEventMeta"

/**
 * GstSynapseEventFields:
 * @event_id: the event's `id`
 * @index: its index in the listing, from 0
 * @event: the event's JSON, the bytes the backend sent
 * @data_unit_id: its data unit's `id`, -1 when it has none
 * @file_key: the key of the file in `data_unit.files`
 * @url: the file's URL
 *
 * What the meta holds.
 */
typedef struct
{
  gint64 event_id;
  guint64 index;
  GBytes *event;
  gint64 data_unit_id;
  const gchar *file_key;
  const gchar *url;
} GstSynapseEventFields;

void gst_synapse_event_meta_register (void);

void gst_synapse_event_meta_add (GstBuffer * buffer,
    const GstSynapseEventFields * fields);

G_END_DECLS
