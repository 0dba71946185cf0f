/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* An operation that an element reports with GST_MESSAGE_PROGRESS: one
 * START, CONTINUEs, one end (see gstsynapseprogress.c). */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstSynapseProgress:
 *
 * One progress operation of an element, e.g. a request of synapsegtsrc
 * or the upload of synapsemodelsink. Embedded in the element; any thread
 * may end it.
 */
typedef struct
{
  /*< private >*/
  GstElement *element;
  const gchar *code;
  gint active;                  /* atomic: a START awaits its end */
} GstSynapseProgress;

void gst_synapse_progress_init (GstSynapseProgress * progress,
    GstElement * element, const gchar * code);

void gst_synapse_progress_start (GstSynapseProgress * progress, gint percent,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

void gst_synapse_progress_continue (GstSynapseProgress * progress,
    gint percent, const gchar * format, ...) G_GNUC_PRINTF (3, 4);

gboolean gst_synapse_progress_end (GstSynapseProgress * progress,
    GstProgressType type, gint percent, const gchar * format, ...)
    G_GNUC_PRINTF (4, 5);

gboolean gst_synapse_progress_is_active (GstSynapseProgress * progress);

void gst_synapse_progress_reset (GstSynapseProgress * progress);

G_END_DECLS
