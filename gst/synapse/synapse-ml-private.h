/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The endpoints of protocol §3, for the files that call them: reading
 * (synapse-ml.c) and creating models (synapse-model-create.c). */

#pragma once

#include "synapse-ml.h"

#define SYNAPSE_MODELS_PATH "models/"
#define SYNAPSE_EVENTS_PATH "sdk/ground_truth_events/"
#define SYNAPSE_VERSIONS_PATH "ground_truth_dataset_versions/"
