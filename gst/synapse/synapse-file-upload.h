/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Uploading a local file (see synapse-file-upload.c): the checks a file
 * passes before any request, for the callers that check first. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Opens a file to upload: a readable, non-empty regular file; -1 with
 * SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT otherwise. */
int synapse_open_upload_file (const char *path, guint64 * size,
    GError ** error);

G_END_DECLS
