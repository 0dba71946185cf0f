/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The client (synapse-client.c): making one and reading its settings;
 * any request to the backend, with its credentials, retries and errors
 * (synapse_client_request (), synapse-request.c); and the one test of an
 * http(s) URL with a host (synapse_is_http_url (), synapse-uri.c). The
 * endpoints are synapse-ml.h's; the properties are documented in
 * synapse-client.c. */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SYNAPSE_TYPE_CLIENT (synapse_client_get_type ())

SYNAPSE_API
G_DECLARE_FINAL_TYPE (SynapseClient, synapse_client, SYNAPSE, CLIENT, GObject)

SYNAPSE_API SynapseClient *synapse_client_new (const char *base_url,
    const char *access_token);

SYNAPSE_API SynapseClient *synapse_client_new_from_env (GError ** error);

SYNAPSE_API const char *synapse_client_get_base_url (SynapseClient * self);

SYNAPSE_API char *synapse_client_build_url (SynapseClient * self,
    const char *path,
    JsonObject * params);

SYNAPSE_API gboolean synapse_is_http_url (const char *url);

SYNAPSE_API gboolean synapse_client_is_backend_origin (SynapseClient * self,
    const char *url);

SYNAPSE_API gboolean synapse_client_check_credentials (SynapseClient * self,
    GError ** error);

SYNAPSE_API JsonNode *synapse_client_request (SynapseClient * self,
    const char *method,
    const char *path,
    JsonObject * params,
    JsonNode * body,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_request_async (SynapseClient * self,
    const char *method,
    const char *path,
    JsonObject * params,
    JsonNode * body,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonNode *synapse_client_request_finish (SynapseClient * self,
    GAsyncResult * result,
    GError ** error);

G_END_DECLS
