/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The umbrella header, <synapse/synapse.h>, the one users include: every
 * public header of libsynapse-1.0, none of which is included alone. */

#pragma once

#define __SYNAPSE_H_INSIDE__

#include <synapse/synapse-version.h>
#include <synapse/synapse-enums.h>
#include <synapse/synapse-error.h>
#include <synapse/synapse-client.h>
#include <synapse/synapse-json.h>
#include <synapse/synapse-url-conversion.h>
#include <synapse/synapse-file-fetch.h>
#include <synapse/synapse-page.h>
#include <synapse/synapse-pager.h>
#include <synapse/synapse-chunked-upload.h>
#include <synapse/synapse-ml.h>

#undef __SYNAPSE_H_INSIDE__
