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

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (gst_synapse_debug);

void synapse_element_init (GstPlugin * plugin);

GST_ELEMENT_REGISTER_DECLARE (synapsegtsrc);
GST_ELEMENT_REGISTER_DECLARE (synapsemodelsink);

G_END_DECLS
