/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/**
 * GstSynapseModelType:
 * @GST_SYNAPSE_MODEL_TYPE_NONE: not set; the element refuses to start
 * @GST_SYNAPSE_MODEL_TYPE_CLASSIFICATION: a classification model
 * @GST_SYNAPSE_MODEL_TYPE_DETECTION: a detection model
 * @GST_SYNAPSE_MODEL_TYPE_SEGMENTATION: a segmentation model
 *
 * The kind of model, sent to the backend as `model_type` (the value's
 * nick).
 */
typedef enum
{
  GST_SYNAPSE_MODEL_TYPE_NONE = 0,
  GST_SYNAPSE_MODEL_TYPE_CLASSIFICATION,
  GST_SYNAPSE_MODEL_TYPE_DETECTION,
  GST_SYNAPSE_MODEL_TYPE_SEGMENTATION,
} GstSynapseModelType;

#define GST_TYPE_SYNAPSE_MODEL_TYPE (gst_synapse_model_type_get_type ())
GType gst_synapse_model_type_get_type (void);

#define GST_TYPE_SYNAPSE_MODEL_SINK (gst_synapse_model_sink_get_type ())

G_DECLARE_FINAL_TYPE (GstSynapseModelSink, gst_synapse_model_sink, GST,
    SYNAPSE_MODEL_SINK, GstBaseSink)

G_END_DECLS
