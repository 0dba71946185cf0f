/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_SYNAPSE_GT_SRC (gst_synapse_gt_src_get_type ())

G_DECLARE_FINAL_TYPE (GstSynapseGtSrc, gst_synapse_gt_src, GST,
    SYNAPSE_GT_SRC, GstPushSrc)

G_END_DECLS
