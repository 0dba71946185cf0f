/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What a sink learns from upstream about the file that comes to it: its
 * name and its size (see gstsynapseupstream.c). */

#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

gchar *gst_synapse_file_name (const gchar * path);

gchar *gst_synapse_upstream_file_name (GstBaseSink * sink);

guint64 gst_synapse_upstream_size (GstBaseSink * sink);

G_END_DECLS
