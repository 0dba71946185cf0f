/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The chunked upload: SynapseChunkedUpload, for data that arrives in
 * pieces (synapse-chunked-upload.c), and the upload of a local file in one
 * call (synapse_client_create_chunked_upload (), synapse-file-upload.c). */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <synapse/synapse-client.h>

G_BEGIN_DECLS

/**
 * SYNAPSE_DEFAULT_CHUNK_SIZE:
 *
 * The chunk size of an upload when none is given: 50 MiB, as the Python
 * SDK uses.
 *
 * Since: 0.1
 */
#define SYNAPSE_DEFAULT_CHUNK_SIZE (50 * 1024 * 1024)

/**
 * SynapseProgressFunc:
 * @sent: bytes the backend has acknowledged so far
 * @total: bytes of the whole upload
 * @user_data: the data given with the function
 *
 * Reports the progress of an upload after each chunk the backend stored;
 * @sent never decreases. It is called from the thread that runs the
 * upload.
 *
 * Since: 0.1
 */
typedef void (*SynapseProgressFunc) (guint64 sent,
    guint64 total,
    gpointer user_data);

#define SYNAPSE_TYPE_CHUNKED_UPLOAD (synapse_chunked_upload_get_type ())

SYNAPSE_API
G_DECLARE_FINAL_TYPE (SynapseChunkedUpload, synapse_chunked_upload,
    SYNAPSE, CHUNKED_UPLOAD, GObject)

SYNAPSE_API SynapseChunkedUpload *synapse_chunked_upload_new (SynapseClient * client,
    const char *filename,
    guint64 total_size,
    gsize chunk_size);

SYNAPSE_API void synapse_chunked_upload_set_progress_func (SynapseChunkedUpload * self,
    SynapseProgressFunc progress,
    gpointer user_data,
    GDestroyNotify user_data_free);

SYNAPSE_API gboolean synapse_chunked_upload_write (SynapseChunkedUpload * self,
    const guint8 * data,
    gsize size,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API gboolean synapse_chunked_upload_write_bytes (SynapseChunkedUpload * self,
    GBytes * bytes,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API JsonObject *synapse_chunked_upload_complete (SynapseChunkedUpload * self,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_chunked_upload_complete_async (SynapseChunkedUpload * self,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonObject *synapse_chunked_upload_complete_finish (SynapseChunkedUpload * self,
    GAsyncResult * result,
    GError ** error);

SYNAPSE_API const char *synapse_chunked_upload_get_filename (SynapseChunkedUpload * self);

SYNAPSE_API guint64 synapse_chunked_upload_get_total_size (SynapseChunkedUpload * self);

SYNAPSE_API gsize synapse_chunked_upload_get_chunk_size (SynapseChunkedUpload * self);

SYNAPSE_API guint64 synapse_chunked_upload_get_offset (SynapseChunkedUpload * self);

SYNAPSE_API const char *synapse_chunked_upload_get_url (SynapseChunkedUpload * self);

SYNAPSE_API const char *synapse_chunked_upload_get_md5 (SynapseChunkedUpload * self);

SYNAPSE_API guint synapse_chunked_upload_get_orphans (SynapseChunkedUpload * self);

SYNAPSE_API JsonObject *synapse_client_create_chunked_upload (SynapseClient * self,
    const char *path,
    gsize chunk_size,
    SynapseProgressFunc progress,
    gpointer progress_data,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_create_chunked_upload_async (SynapseClient * self,
    const char *path,
    gsize chunk_size,
    SynapseProgressFunc progress,
    gpointer progress_data,
    GDestroyNotify progress_data_free,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API JsonObject *synapse_client_create_chunked_upload_finish (SynapseClient * self,
    GAsyncResult * result,
    GError ** error);

G_END_DECLS
