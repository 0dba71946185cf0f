/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The ML endpoints of protocol §3: reading models, ground-truth events
 * and dataset versions (synapse-ml.c), and creating models
 * (synapse-model-create.c). */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <synapse/synapse-chunked-upload.h>
#include <synapse/synapse-client.h>
#include <synapse/synapse-pager.h>
#include <synapse/synapse-url-conversion.h>

G_BEGIN_DECLS

SYNAPSE_API JsonArray *synapse_client_list_models (SynapseClient * self,
    JsonObject * params,
    guint64 * total_count,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_list_models_async (SynapseClient * self,
    JsonObject * params,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonArray *synapse_client_list_models_finish (SynapseClient * self,
    GAsyncResult * result,
    guint64 * total_count,
    GError ** error);

SYNAPSE_API JsonObject *synapse_client_get_model (SynapseClient * self,
    gint64 id,
    JsonObject * params,
    SynapseUrlConversion * conversion,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_get_model_async (SynapseClient * self,
    gint64 id,
    JsonObject * params,
    SynapseUrlConversion * conversion,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonObject *synapse_client_get_model_finish (SynapseClient * self,
    GAsyncResult * result,
    GError ** error);

SYNAPSE_API JsonObject *synapse_client_create_model (SynapseClient * self,
    JsonObject * data,
    SynapseProgressFunc progress,
    gpointer progress_data,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_create_model_async (SynapseClient * self,
    JsonObject * data,
    SynapseProgressFunc progress,
    gpointer progress_data,
    GDestroyNotify progress_data_free,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonObject *synapse_client_create_model_finish (SynapseClient * self,
    GAsyncResult * result,
    GError ** error);

SYNAPSE_API JsonObject *synapse_client_create_model_from_upload (SynapseClient * self,
    JsonObject * data,
    JsonObject * upload,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_create_model_from_upload_async (SynapseClient * self,
    JsonObject * data,
    JsonObject * upload,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonObject *synapse_client_create_model_from_upload_finish (
    SynapseClient * self,
    GAsyncResult * result,
    GError ** error);

SYNAPSE_API JsonArray *synapse_client_list_ground_truth_events (SynapseClient * self,
    JsonObject * params,
    SynapseUrlConversion * conversion,
    gboolean list_all,
    guint64 * total_count,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_list_ground_truth_events_async (SynapseClient * self,
    JsonObject * params,
    SynapseUrlConversion * conversion,
    gboolean list_all,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonArray *synapse_client_list_ground_truth_events_finish (SynapseClient * self,
    GAsyncResult * result,
    guint64 * total_count,
    GError ** error);

SYNAPSE_API SynapsePager *synapse_client_iter_ground_truth_events (SynapseClient * self,
    JsonObject * params,
    SynapseUrlConversion * conversion);

SYNAPSE_API JsonObject *synapse_client_get_ground_truth_version (SynapseClient * self,
    gint64 id,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_get_ground_truth_version_async (SynapseClient * self,
    gint64 id,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonObject *synapse_client_get_ground_truth_version_finish (
    SynapseClient * self,
    GAsyncResult * result,
    GError ** error);

G_END_DECLS
