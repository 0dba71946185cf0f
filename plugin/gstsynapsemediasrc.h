/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* synapsemediasrc: the files of the events' data units, one buffer an
 * event (see gstsynapsemediasrc.c). */

#pragma once

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

/**
 * GstSynapseMediaSrcAction:
 * @GST_SYNAPSE_MEDIA_SRC_ERROR: stop with an error
 * @GST_SYNAPSE_MEDIA_SRC_SKIP: skip the event, with a warning
 *
 * What synapsemediasrc does with an event whose file it cannot push.
 */
typedef enum
{
  GST_SYNAPSE_MEDIA_SRC_ERROR,
  GST_SYNAPSE_MEDIA_SRC_SKIP,
} GstSynapseMediaSrcAction;

#define GST_TYPE_SYNAPSE_MEDIA_SRC_ACTION \
  (gst_synapse_media_src_action_get_type ())
GType gst_synapse_media_src_action_get_type (void);

#define GST_TYPE_SYNAPSE_MEDIA_SRC (gst_synapse_media_src_get_type ())
G_DECLARE_FINAL_TYPE (GstSynapseMediaSrc, gst_synapse_media_src, GST,
    SYNAPSE_MEDIA_SRC, GstPushSrc)

G_END_DECLS
