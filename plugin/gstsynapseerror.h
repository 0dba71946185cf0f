/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* A failure of the client library as an element's error message, the
 * same for every Synapse element (see gstsynapseerror.c). */

#pragma once

#include <gst/gst.h>
#include <synapse/synapse.h>

G_BEGIN_DECLS

void gst_synapse_element_post_client_error (GstElement * element,
    const GError * error, GstResourceError fallback, const gchar * text,
    const gchar * file, const gchar * function, gint line);

/**
 * GST_SYNAPSE_ELEMENT_CLIENT_ERROR:
 * @el: the element
 * @error: a #GError from libsynapse
 * @fallback: the #GstResourceError for failures that are not about
 *   credentials or a missing resource (READ for a source, WRITE for a sink)
 * @text: (nullable): a message for people replacing the default one
 *
 * Posts @error as an error message of the RESOURCE domain with the details
 * `http-status-code`, `url`, `method` and `server-detail` where known.
 */
#define GST_SYNAPSE_ELEMENT_CLIENT_ERROR(el, error, fallback, text)       \
  gst_synapse_element_post_client_error (GST_ELEMENT_CAST (el), error,  \
      fallback, text, __FILE__, GST_FUNCTION, __LINE__)

gchar *gst_synapse_describe_client_error (GstElement * element,
    const GError * error);

gboolean gst_synapse_is_cancellation (const GError * error,
    GCancellable * cancellable);

G_END_DECLS
