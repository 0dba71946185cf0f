/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SYNAPSE_TYPE_CLIENT (synapse_client_get_type ())

G_DECLARE_FINAL_TYPE (SynapseClient, synapse_client, SYNAPSE, CLIENT, GObject)

SynapseClient *synapse_client_new (const char *base_url,
    const char *access_token);

SynapseClient *synapse_client_new_from_env (GError ** error);

const char *synapse_client_get_base_url (SynapseClient * self);

char *synapse_client_build_url (SynapseClient * self,
    const char *path,
    JsonObject * params);

gboolean synapse_client_is_backend_origin (SynapseClient * self,
    const char *url);

JsonNode *synapse_client_request (SynapseClient * self,
    const char *method,
    const char *path,
    JsonObject * params,
    JsonNode * body,
    GCancellable * cancellable,
    GError ** error);

void synapse_client_request_async (SynapseClient * self,
    const char *method,
    const char *path,
    JsonObject * params,
    JsonNode * body,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

JsonNode *synapse_client_request_finish (SynapseClient * self,
    GAsyncResult * result,
    GError ** error);

G_END_DECLS
