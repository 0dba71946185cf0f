/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The verified downloads (see synapse-download.c): where the cache of a
 * downloading URL conversion keeps a URL's file, batches of files
 * downloaded together, and one file fetched into memory, each checked
 * against what its events declare. */

#pragma once

#include "synapse-client.h"

G_BEGIN_DECLS

/* Where @url's file is kept in the cache folder @directory. */
char *synapse_download_cache_path (const char *directory, const char *url);

typedef struct _SynapseDownloadBatch SynapseDownloadBatch;

/* A batch of files for the cache folder @directory, each of at most
 * @max_file_size bytes after decoding (0: no limit), @max_downloads
 * downloaded at a time. */
SynapseDownloadBatch *synapse_download_batch_new (const char *directory,
    guint max_downloads, guint64 max_file_size);

void synapse_download_batch_free (SynapseDownloadBatch * batch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SynapseDownloadBatch,
    synapse_download_batch_free);

/* Adds the file at @url (an http(s) URL) with what one event declares of
 * it: @size bytes (-1: nothing) and @checksum (NULL: nothing); @event is
 * the event's `id` as JSON text, for messages, or NULL. URLs of one cache
 * path are one file, which must match every declaration. Returns the
 * file's index. The strings are borrowed until the batch is freed. */
guint synapse_download_batch_add (SynapseDownloadBatch * batch,
    const char *url, const char *event, gint64 size, const char *checksum);

/* Makes every file of the batch be in the folder, whole and as declared:
 * reused when it is there already, else downloaded with @client. On
 * failure nothing of a file that failed is left, and the other downloads
 * stop. */
gboolean synapse_download_batch_run (SynapseDownloadBatch * batch,
    SynapseClient * client, GCancellable * cancellable, GError ** error);

/* The local path of the file at @index. */
const char *synapse_download_batch_get_path (SynapseDownloadBatch * batch,
    guint index);

/* The file at @url (an http(s) URL) in memory, whole and as declared:
 * @size bytes (-1: not declared), the @checksum (NULL: none), at most
 * @max_size bytes after decoding (0: no limit). With @directory, it goes
 * through the cache folder (reused when there and right, else downloaded
 * there first), and @content_type is left alone; else @content_type (when
 * given) gets the response's media type, or NULL. */
GBytes *synapse_download_fetch (SynapseClient * client, const char *url,
    const char *directory, gint64 size, const char *checksum,
    guint64 max_size, char **content_type, GCancellable * cancellable,
    GError ** error);

G_END_DECLS
