/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What uploading a local file (synapse-file-upload.c) needs of the chunked
 * upload: feeding it a file without a copy. */

#pragma once

#include "synapse-chunked-upload.h"

G_BEGIN_DECLS

/* Writes the rest of the file behind @fd, read straight into the chunk
 * buffer: no copy on the way, one chunk in memory. */
gboolean synapse_chunked_upload_write_from_fd (SynapseChunkedUpload * self,
    int fd, GCancellable * cancellable, GError ** error);

G_END_DECLS
