/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void synapse_element_init (GstPlugin * plugin);

GST_ELEMENT_REGISTER_DECLARE (synapsegtsrc);
GST_ELEMENT_REGISTER_DECLARE (synapsemodelsink);

G_END_DECLS
