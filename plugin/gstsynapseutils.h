/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the Synapse elements share: the connection properties and the
 * SynapseClient made from them, the mapping of library errors to element
 * errors, progress messages and query parameters from a GstStructure. */

#pragma once

#include <gst/gst.h>
#include <synapse/synapse.h>

G_BEGIN_DECLS

/* The mask get_property returns for a secret that is set. */
#define GST_SYNAPSE_SECRET_MASK "********"

/* Property ids of the connection properties. An element numbers its own
 * properties from GST_SYNAPSE_CONNECTION_PROP_LAST on. */
enum
{
  GST_SYNAPSE_CONNECTION_PROP_BASE_URL = 1,
  GST_SYNAPSE_CONNECTION_PROP_ACCESS_TOKEN,
  GST_SYNAPSE_CONNECTION_PROP_ACCESS_TOKEN_FILE,
  GST_SYNAPSE_CONNECTION_PROP_TENANT,
  GST_SYNAPSE_CONNECTION_PROP_TIMEOUT,
  GST_SYNAPSE_CONNECTION_PROP_RETRIES,
  GST_SYNAPSE_CONNECTION_PROP_RETRY_BACKOFF_FACTOR,
  GST_SYNAPSE_CONNECTION_PROP_RETRY_BACKOFF_MAX,
  GST_SYNAPSE_CONNECTION_PROP_SSL_STRICT,
  GST_SYNAPSE_CONNECTION_PROP_CA_FILE,
  GST_SYNAPSE_CONNECTION_PROP_LOW_SPEED_LIMIT,
  GST_SYNAPSE_CONNECTION_PROP_LAST
};

/* The connection settings of an element, guarded by its object lock. */
typedef struct
{
  gchar *base_url;
  gchar *access_token;
  /* the token came from SYNAPSE_ACCESS_TOKEN, not from the property */
  gboolean access_token_from_env;
  /* read at start (gst_synapse_connection_make_client()) */
  gchar *access_token_file;
  gchar *tenant;
  guint timeout;
  guint low_speed_limit;
  guint retries;
  gdouble retry_backoff_factor;
  gdouble retry_backoff_max;
  gboolean ssl_strict;
  gchar *ca_file;
} GstSynapseConnection;

void gst_synapse_connection_install_properties (GObjectClass * klass);

void gst_synapse_connection_init (GstSynapseConnection * conn);

void gst_synapse_connection_clear (GstSynapseConnection * conn);

gboolean gst_synapse_connection_set_property (GstSynapseConnection * conn,
    guint prop_id, const GValue * value);

gboolean gst_synapse_connection_get_property (GstSynapseConnection * conn,
    guint prop_id, GValue * value);

gboolean gst_synapse_connection_has_access_token (GstElement * element,
    GstSynapseConnection * conn);

SynapseClient *gst_synapse_connection_make_client (GstElement * element,
    GstSynapseConnection * conn);

GParamSpec *gst_synapse_client_find_property (const gchar * name);

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

gchar *gst_synapse_describe_client_error (const GError * error);

void gst_synapse_element_post_progress (GstElement * element,
    GstProgressType type, const gchar * code, gint percent,
    const gchar * format, ...) G_GNUC_PRINTF (5, 6);

JsonObject *gst_synapse_structure_to_params (const GstStructure * structure,
    GError ** error);

G_END_DECLS
