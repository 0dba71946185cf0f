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
#include "synapse-client.h"
#include "synapse-error.h"
#include "synapse-page.h"
#include "synapse-url-conversion.h"

G_BEGIN_DECLS

/* One HTTP request as the endpoint code describes it; the core adds the
 * base URL, credentials (same origin only), retries and error mapping. */
typedef struct
{
  const char *method;
  const char *path;             /* relative to the base URL, or absolute */
  JsonObject *params;           /* query parameters, or NULL */
  /* The body as a NULL-terminated list of parts sent one after the other
   * (a multipart chunk is framing, chunk bytes, framing: no copy), or
   * NULL. */
  GBytes *const *body;
  const char *content_type;     /* of body */
  const char *content_range;    /* a Content-Range header, or NULL */
  /* Whether sending it twice is harmless, so a failure after it was sent
   * (a broken connection, a timeout, a 500) may be retried. */
  gboolean idempotent;
} SynapseRequest;

/* Consumes a 2xx response body. A G_IO_ERROR is a transport failure (the
 * request may be retried); a SYNAPSE_CLIENT_ERROR_PROTOCOL error is a bad
 * response (retried like a transport failure); any other error is final. */
typedef gboolean (*SynapseResponseReader) (SoupMessage * msg,
    GInputStream * body, gpointer user_data, GCancellable * cancellable,
    GError ** error);

gboolean synapse_client_send (SynapseClient * self,
    const SynapseRequest * request, SynapseResponseReader reader,
    gpointer reader_data, GCancellable * cancellable, GError ** error);

/* Fails with G_IO_ERROR_PARTIAL_INPUT when fewer bytes than the response's
 * Content-Length arrived. */
gboolean synapse_check_body_complete (SoupMessage * msg, guint64 received,
    GError ** error);

/* Accepts or refuses a 2xx body as it arrives; a refusal with a
 * SYNAPSE_CLIENT_ERROR_PROTOCOL error is retried like a broken
 * connection. */
typedef gboolean (*SynapseBodyCheck) (SoupMessage * msg, GBytes * body,
    const char *method, const char *url, gpointer data, GError ** error);

GBytes *synapse_client_send_bytes (SynapseClient * self,
    const SynapseRequest * request, SynapseBodyCheck check,
    gpointer check_data, GCancellable * cancellable, GError ** error);

JsonNode *synapse_client_send_json (SynapseClient * self,
    const SynapseRequest * request, GCancellable * cancellable,
    GError ** error);

guint synapse_client_get_page_size (SynapseClient * self);

gsize synapse_client_get_chunk_size (SynapseClient * self);

/* A copy of @params with the client's page size unless they name one. */
JsonObject *synapse_listing_params (SynapseClient * client,
    JsonObject * params);

/* A page as it arrived: the backend's bytes and where its results lie, or
 * (when converted) the results parsed. */
typedef struct
{
  GBytes *body;
  GArray *spans;                /* of SynapseJsonSpan */
  JsonArray *items;
  gint64 count;                 /* -1 when the backend gave none */
  char *next;                   /* absolute, or NULL on the last page */
} SynapseFetchedPage;

void synapse_fetched_page_clear (SynapseFetchedPage * page);

/* GETs the page at @url, checks that it is a DRF page and, with
 * @conversion, parses and converts its results. */
gboolean synapse_fetch_page (SynapseClient * client, const char *url,
    SynapseUrlConversion * conversion, SynapseFetchedPage * page,
    GCancellable * cancellable, GError ** error);

SynapsePage *synapse_page_new_raw (GBytes * body, GArray * spans,
    guint number, guint64 position, gint64 total_count);

SynapsePage *synapse_page_new_items (JsonArray * items, guint number,
    guint64 position, gint64 total_count);

/* The results of @page from @first on, as a page of their own. */
SynapsePage *synapse_page_new_rest (SynapsePage * page, guint first);

guint synapse_client_get_default_prefetch (SynapseClient * self);

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

gboolean synapse_client_error_outcome_unknown (const GError * error);

/* @reference (a link the backend gave) resolved against @base: an
 * absolute http(s) URL with a host, or NULL. */
char *synapse_resolve_url (const char *base, const char *reference);

/* The URL without a password or other userinfo, for messages and logs. */
char *synapse_redact_url (const char *url);

JsonObject *synapse_json_object_copy (JsonObject * object);

/* The member @name of @object when it is a string, else NULL (json-glib's
 * getters complain about other types rather than say so). */
const char *synapse_json_get_string (JsonObject * object, const char *name);

/* Compact JSON text of @node. */
GBytes *synapse_json_to_bytes (JsonNode * node);

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
