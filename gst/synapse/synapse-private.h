/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the library's files share and users never see: the request core,
 * the GTask helper and small utilities. */

#pragma once

#include <libsoup/soup.h>

#include "synapse-chunked-upload.h"
#include "synapse-client-private.h"
#include "synapse-request.h"
#include "synapse-error.h"
#include "synapse-json-scan.h"
#include "synapse-page.h"
#include "synapse-url-conversion.h"
#include "synapse-uri.h"

G_BEGIN_DECLS

/* A copy of @params with the client's page size unless they name one. */
JsonObject *synapse_listing_params (SynapseClient * client,
    JsonObject * params);

/* A page as it arrived: its bytes (with converted URLs rewritten in them)
 * and where its results lie. */
typedef struct
{
  char *url;
  GBytes *body;
  GArray *spans;                /* of SynapseJsonSpan */
  guint n_converted;            /* results whose URLs are converted */
  gint64 count;                 /* -1 when the backend gave none */
  char *next;                   /* absolute, or NULL on the last page */
  gsize size;                   /* bytes of the body as it arrived */
} SynapseFetchedPage;

void synapse_fetched_page_clear (SynapseFetchedPage * page);

/* GETs the page at @url, checks that it is a DRF page and, with
 * @conversion, converts the URLs of its first @n_convert results (found
 * in the same pass as the page is checked). */
gboolean synapse_fetch_page (SynapseClient * client, const char *url,
    SynapseUrlConversion * conversion, guint n_convert,
    SynapseFetchedPage * page, GCancellable * cancellable, GError ** error);

/* Converts the URLs of the results up to @n_convert of a fetched page
 * that are not converted yet. */
gboolean synapse_fetched_page_convert (SynapseClient * client,
    SynapseUrlConversion * conversion, SynapseFetchedPage * page,
    guint n_convert, GCancellable * cancellable, GError ** error);

SynapsePage *synapse_page_new_raw (GBytes * body, GArray * spans,
    guint number, guint64 position, gint64 total_count);

/* The bytes @page's results lie in, and (a copy of) where. */
GBytes *synapse_page_get_body (SynapsePage * page);

GArray *synapse_page_dup_spans (SynapsePage * page);

/* @page with its results in @body at @spans (taken). */
SynapsePage *synapse_page_new_converted (SynapsePage * page, GBytes * body,
    GArray * spans);

/* The field paths of @self, split once. */
const SynapseJsonPaths *synapse_url_conversion_get_paths (
    SynapseUrlConversion * self);

/* Converts the URLs of the results @from to @to of @body, whose results
 * lie at @spans: those in @urls (found by the page's scan), or, when it
 * is NULL, those looked for there. Returns the new bytes (@body when
 * nothing changed) and moves @spans into them. */
GBytes *synapse_url_conversion_convert_bytes (SynapseUrlConversion * self,
    SynapseClient * client, GBytes * body, GArray * spans, guint from,
    guint to, const SynapseJsonUrls * urls, GCancellable * cancellable,
    GError ** error);

/* For tests: a converter conversion whose URLs stand for local paths, so
 * that file entries get `path` in place of `url` as downloads do. */
void synapse_url_conversion_set_renames_entries (SynapseUrlConversion * self,
    gboolean renames);

/* The results of @page from @first on, as a page of their own. */
SynapsePage *synapse_page_new_rest (SynapsePage * page, guint first);

/* Sets @error to a PROTOCOL error naming the request. */
void synapse_set_protocol_error (GError ** error, const char *method,
    const char *url, const char *format, ...) G_GNUC_PRINTF (4, 5);

/* The backend's error body in words (see
 * synapse_client_error_describe_detail()). */
char *synapse_describe_detail (JsonNode * detail);

/* @text (@length bytes, or NUL-terminated when -1) safe to show: made valid
 * UTF-8, a tab or line break as a space, any other control character
 * (C0, DEL, C1) as U+FFFD. For whatever quotes the backend. */
char *synapse_text_for_display (const char *text, gssize length);

void synapse_client_error_annotate (GError * error, const char *method,
    const char *url, guint status_code, JsonNode * detail);

/* Sets @error (NULL is fine, as GLib's rule wants) to a SYNAPSE_CLIENT_ERROR
 * naming the request: @url is shown without userinfo. */
void synapse_client_error_set (GError ** error, SynapseClientError code,
    const char *method, const char *url, guint status_code,
    JsonNode * detail, const char *format, ...) G_GNUC_PRINTF (7, 8);

/* A request that is not safe to repeat failed after it may have reached
 * the backend (a 500, 502, 503 or 504, a connection broken or timed out
 * after it was sent): the backend may have acted on it. The request core
 * marks such failures and never repeats the request itself; the caller
 * decides (e.g. looks up what the request would have made). */
void synapse_client_error_mark_outcome_unknown (GError * error);

JsonObject *synapse_json_object_copy (JsonObject * object);

/* The member @name of @object when it is a string, else NULL (json-glib's
 * getters complain about other types rather than say so). */
const char *synapse_json_get_string (JsonObject * object, const char *name);

/* Compact JSON text of @node, doubles as synapse_append_double () writes
 * them. */
GBytes *synapse_json_to_bytes (JsonNode * node);

/* Appends @value as Python writes a float: the shortest form that reads
 * back the same value (0.1 as 0.1, not 0.10000000000000001), with a ".0"
 * when it would read back as an integer. For request bodies and query
 * parameters alike. */
void synapse_append_double (GString * out, double value);

/* Reads a response body of at most @max_size bytes and parses it. */
JsonNode *synapse_parse_json_bytes (GBytes * bytes, const char *method,
    const char *url, GError ** error);

gboolean synapse_sleep (gint64 microseconds, GCancellable * cancellable,
    GError ** error);

/* Runs @func (source, data) in a worker thread: the one implementation a
 * blocking call shares with its _async twin. */
typedef gpointer (*SynapseTaskFunc) (gpointer source, gpointer data,
    GCancellable * cancellable, GError ** error);

void synapse_task_run (gpointer source, gpointer source_tag,
    SynapseTaskFunc func, gpointer data, GDestroyNotify data_free,
    GDestroyNotify result_free, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

gpointer synapse_task_finish (gpointer source, GAsyncResult * result,
    gpointer source_tag, GError ** error);

/* Opens a file to upload: a readable, non-empty regular file; -1 with
 * SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT otherwise. */
int synapse_open_upload_file (const char *path, guint64 * size,
    GError ** error);

/* How the chunked upload reads the backend's replies; apart so that they
 * can be fuzzed. */
gboolean synapse_chunked_upload_backend_offset (const GError * error,
    guint64 * offset);

gboolean synapse_chunked_upload_take_reply (SynapseChunkedUpload * self,
    JsonNode * reply, guint64 chunk_end, guint64 * stored, GError ** error);

gboolean synapse_chunked_upload_verify_finished (SynapseChunkedUpload * self,
    JsonNode * reply, const char *md5_hex, GError ** error);

G_END_DECLS
