/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The upload worker of synapsemodelsink: it moves the bytes render ()
 * hands it, and at EOS completes the upload and creates the model (see
 * gstsynapsemodelupload.c). */

#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>
#include <synapse/synapse.h>

G_BEGIN_DECLS

typedef struct _GstSynapseModelUpload GstSynapseModelUpload;

GstSynapseModelUpload *gst_synapse_model_upload_new (GstBaseSink * sink,
    SynapseClient * client, JsonObject * model, gsize chunk_size);

void gst_synapse_model_upload_free (GstSynapseModelUpload * upload);

gboolean gst_synapse_model_upload_begin (GstSynapseModelUpload * upload,
    const gchar * name, guint64 size);

const gchar *gst_synapse_model_upload_get_name (GstSynapseModelUpload * upload);

GstFlowReturn gst_synapse_model_upload_write (GstSynapseModelUpload * upload,
    GstBuffer * buffer);

JsonObject *gst_synapse_model_upload_commit (GstSynapseModelUpload * upload,
    gboolean * failed);

void gst_synapse_model_upload_complete (GstSynapseModelUpload * upload,
    const gchar * text);

void gst_synapse_model_upload_cancel (GstSynapseModelUpload * upload);

void gst_synapse_model_upload_give_up (GstSynapseModelUpload * upload);

void gst_synapse_model_upload_join (GstSynapseModelUpload * upload);

gboolean gst_synapse_model_upload_has_failed (GstSynapseModelUpload * upload);

gint64 gst_synapse_model_upload_get_created_id (GstSynapseModelUpload * upload);

void gst_synapse_model_upload_abandon (GstSynapseModelUpload * upload,
    guint64 received);

void gst_synapse_model_upload_unlock (GstSynapseModelUpload * upload);

void gst_synapse_model_upload_unlock_stop (GstSynapseModelUpload * upload);

G_END_DECLS
