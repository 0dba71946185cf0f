/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One file of a data unit fetched into memory, checked against what its
 * event declares (synapse-file-fetch.c). */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <synapse/synapse-client.h>

G_BEGIN_DECLS

SYNAPSE_API GBytes *synapse_client_fetch_file (SynapseClient * self,
    const char *url,
    gint64 size,
    const char *checksum,
    const char *cache_dir,
    guint64 max_size,
    char **content_type,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API void synapse_client_fetch_file_async (SynapseClient * self,
    const char *url,
    gint64 size,
    const char *checksum,
    const char *cache_dir,
    guint64 max_size,
    GCancellable * cancellable,
    GAsyncReadyCallback callback,
    gpointer user_data);

SYNAPSE_API GBytes *synapse_client_fetch_file_finish (SynapseClient * self,
    GAsyncResult * result,
    char **content_type,
    GError ** error);

G_END_DECLS
