/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What plugin.c and the elements share: the elements' registration, and
 * what the plugin sets up once whichever element registers first (the
 * `synapse` debug category, which also logs the shared layer, and the
 * forwarding of the library's GLib log to it). */

#pragma once

#include <gst/gst.h>

#include "gstsynapseconnection.h"

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_synapse_debug);

void synapse_element_init (GstPlugin * plugin);

/**
 * GST_SYNAPSE_ELEMENT_DEFINE:
 * @e: the element's name, e.g. synapsegtsrc
 * @TN: its type, e.g. GstSynapseGtSrc
 * @t_n: its type's prefix, e.g. gst_synapse_gt_src
 * @PARENT: the GType of its parent class
 * @TYPE: its own GType macro
 *
 * Defines a Synapse element: its type, which implements
 * GstSynapseConnection, and its registration, which sets up what the
 * plugin's elements share (synapse_element_init ()).
 */
#define GST_SYNAPSE_ELEMENT_DEFINE(e, TN, t_n, PARENT, TYPE)             \
  G_DEFINE_TYPE_WITH_CODE (TN, t_n, PARENT,                              \
      G_IMPLEMENT_INTERFACE (GST_TYPE_SYNAPSE_CONNECTION, NULL));        \
  GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (e, #e, GST_RANK_NONE, TYPE,    \
      synapse_element_init (plugin))

GST_ELEMENT_REGISTER_DECLARE (synapsegtsrc);
GST_ELEMENT_REGISTER_DECLARE (synapsemediasrc);
GST_ELEMENT_REGISTER_DECLARE (synapsemodelsink);

G_END_DECLS
