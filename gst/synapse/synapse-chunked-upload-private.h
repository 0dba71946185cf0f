/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How the chunked upload reads the backend's replies, apart so that they
 * can be fuzzed; how a local file is fed to it and checked before it is
 * uploaded (synapse-file-upload.c). */

#pragma once

#include "synapse-chunked-upload.h"

G_BEGIN_DECLS

/* The offset the backend reports in an "Offsets do not match" answer. */
gboolean synapse_chunked_upload_backend_offset (const GError * error,
    guint64 * offset);

/* Takes the backend's reply to the chunk that ends at @chunk_end: the
 * upload's URL from the first one, and what the backend stored. */
gboolean synapse_chunked_upload_take_reply (SynapseChunkedUpload * self,
    JsonNode * reply, guint64 chunk_end, guint64 * stored, GError ** error);

/* The backend's account of the finished file must match what was sent. */
gboolean synapse_chunked_upload_verify_finished (SynapseChunkedUpload * self,
    JsonNode * reply, const char *md5_hex, GError ** error);

/* Writes the rest of the file behind @fd, read straight into the chunk
 * buffer: no copy on the way, one chunk in memory. */
gboolean synapse_chunked_upload_write_from_fd (SynapseChunkedUpload * self,
    int fd, GCancellable * cancellable, GError ** error);

/* Opens a file to upload: a readable, non-empty regular file; -1 with
 * SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT otherwise. */
int synapse_open_upload_file (const char *path, guint64 * size,
    GError ** error);

G_END_DECLS
