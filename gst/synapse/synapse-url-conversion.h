/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* SynapseUrlConversion (synapse-url-conversion.c): how the file URLs of
 * results are rewritten, by a converter function (one for all its fields,
 * or one a field) or into the local paths of the download cache
 * (synapse-download.c). */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <synapse/synapse-client.h>
#include <synapse/synapse-page.h>

G_BEGIN_DECLS

/**
 * SynapseUrlConverter:
 * @url: a file URL found in a converted field
 * @user_data: the data given with the converter
 * @error: return location for a [struct@GLib.Error]
 *
 * Turns one file URL into another string, e.g. the same path on a CDN host.
 * It may be called from a worker thread.
 *
 * Returns: (transfer full) (nullable): the converted URL, or %NULL with
 *   @error set to fail the whole request
 *
 * Since: 0.1
 */
typedef char *(*SynapseUrlConverter) (const char *url,
    gpointer user_data,
    GError ** error);

#define SYNAPSE_TYPE_URL_CONVERSION (synapse_url_conversion_get_type ())

SYNAPSE_API
G_DECLARE_FINAL_TYPE (SynapseUrlConversion, synapse_url_conversion,
    SYNAPSE, URL_CONVERSION, GObject)

SYNAPSE_API SynapseUrlConversion *synapse_url_conversion_new_converter (
    const char * const *fields,
    SynapseUrlConverter converter,
    gpointer user_data,
    GDestroyNotify user_data_free);

SYNAPSE_API SynapseUrlConversion *synapse_url_conversion_new_download (
    const char * const *fields,
    const char *directory);

SYNAPSE_API void synapse_url_conversion_add_converter (
    SynapseUrlConversion * self,
    const char *field,
    SynapseUrlConverter converter,
    gpointer user_data,
    GDestroyNotify user_data_free);

SYNAPSE_API const char * const *synapse_url_conversion_get_fields (
    SynapseUrlConversion * self);

SYNAPSE_API const char *synapse_url_conversion_get_directory (
    SynapseUrlConversion * self);

SYNAPSE_API guint synapse_url_conversion_get_max_downloads (SynapseUrlConversion * self);

SYNAPSE_API void synapse_url_conversion_set_max_downloads (SynapseUrlConversion * self,
    guint max_downloads);

SYNAPSE_API guint64 synapse_url_conversion_get_max_file_size (SynapseUrlConversion * self);

SYNAPSE_API void synapse_url_conversion_set_max_file_size (SynapseUrlConversion * self,
    guint64 max_file_size);

SYNAPSE_API char *synapse_url_conversion_get_cache_path (SynapseUrlConversion * self,
    const char *url);

SYNAPSE_API gboolean synapse_url_conversion_apply (SynapseUrlConversion * self,
    SynapseClient * client,
    JsonArray * objects,
    GCancellable * cancellable,
    GError ** error);

SYNAPSE_API SynapsePage *synapse_url_conversion_apply_page (SynapseUrlConversion * self,
    SynapseClient * client,
    SynapsePage * page,
    GCancellable * cancellable,
    GError ** error);

G_END_DECLS
