/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* GstSynapseConnection: the interface every Synapse element implements,
 * which declares the connection properties once and makes the element's
 * SynapseClient from them (see gstsynapseconnection.c for how an element
 * joins). */

#pragma once

#include <gst/gst.h>
#include <synapse/synapse.h>

G_BEGIN_DECLS

/**
 * GST_SYNAPSE_CLIENT_CONTEXT:
 *
 * The type of the GstContext that shares one SynapseClient among the
 * Synapse elements of a pipeline: its structure holds the client in the
 * field `client`.
 */
#define GST_SYNAPSE_CLIENT_CONTEXT "synapse.client"

#define GST_TYPE_SYNAPSE_CONNECTION (gst_synapse_connection_get_type ())

/* *INDENT-OFF* */
G_DECLARE_INTERFACE (GstSynapseConnection, gst_synapse_connection, GST,
    SYNAPSE_CONNECTION, GstElement)
/* *INDENT-ON* */

/**
 * GstSynapseConnectionInterface:
 * @parent_iface: the parent interface
 *
 * No methods: the interface carries the connection properties, whose
 * values the functions below keep for each element.
 */
struct _GstSynapseConnectionInterface
{
  GTypeInterface parent_iface;
};

void gst_synapse_connection_install_properties (GObjectClass * klass,
    guint first_prop_id);

void gst_synapse_connection_init (GstSynapseConnection * self);

void gst_synapse_connection_set_property (GstSynapseConnection * self,
    GParamSpec * pspec, const GValue * value);

void gst_synapse_connection_get_property (GstSynapseConnection * self,
    GParamSpec * pspec, GValue * value);

gboolean gst_synapse_connection_has_access_token (GstSynapseConnection * self);

SynapseClient *gst_synapse_connection_make_client (GstSynapseConnection * self);

GParamSpec *gst_synapse_param_spec_like_client (const gchar * name,
    const gchar * nick, const gchar * blurb);

G_END_DECLS
