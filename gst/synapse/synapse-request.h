/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The request core: one HTTP request as the endpoint code describes it,
 * sent with the client's settings. It adds the base URL and the
 * credentials (to the backend's origin only), follows redirects by hand,
 * retries as the policy says (what is retried, the backoff, what a request
 * that is not safe to repeat may do), bounds what it reads, watches the
 * transfer's speed and maps every failure to a SYNAPSE_CLIENT_ERROR. The
 * client object, its settings and its session are synapse-client.c's;
 * URLs are synapse-uri.c's. */

#pragma once

#include <libsoup/soup.h>

#include "synapse-client.h"

G_BEGIN_DECLS

/* One HTTP request as the endpoint code describes it. */
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
  /* Non-NULL: sent as Accept-Encoding, and the body reaches the reader as
   * it was sent (libsoup's decoder off), for a reader that decodes it and
   * checks that the encoded stream ended where it should. */
  const char *accept_encoding;
} SynapseRequest;

/* The client's settings one request reads, copied once so that it does
 * not hold the client's lock while it waits on the network. */
typedef struct
{
  GUri *base_uri;               /* the origin that receives credentials */
  char *basic_auth;
  char *access_token;
  char *authorization_token;
  char *tenant;
  char *agent_token;
  guint timeout;
  guint low_speed_limit;
  guint retries;
  double backoff_factor;
  double backoff_max;
  gboolean ssl_strict;
} SynapseRequestSettings;

/* Fills @copy with what @settings hold, its own copies of them. */
void synapse_request_settings_copy (const SynapseRequestSettings * settings,
    SynapseRequestSettings * copy);

void synapse_request_settings_clear (SynapseRequestSettings * settings);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SynapseRequestSettings,
    synapse_request_settings_clear);

/* Consumes a 2xx response body. A G_IO_ERROR is a transport failure (the
 * request may be retried); a SYNAPSE_CLIENT_ERROR_PROTOCOL error is a bad
 * response (retried like a transport failure); any other error is final. */
typedef gboolean (*SynapseResponseReader) (SoupMessage * msg,
    GInputStream * body, gpointer user_data, GCancellable * cancellable,
    GError ** error);

/* Sends @request, follows redirects, retries as the client's policy says
 * and hands a 2xx body to @reader (which may fail, and then the attempt
 * counts as failed too). */
gboolean synapse_request_send (SynapseClient * client,
    const SynapseRequest * request, SynapseResponseReader reader,
    gpointer reader_data, GCancellable * cancellable, GError ** error);

/* Accepts or refuses a 2xx body as it arrives; a refusal with a
 * SYNAPSE_CLIENT_ERROR_PROTOCOL error is retried like a broken
 * connection. */
typedef gboolean (*SynapseBodyCheck) (SoupMessage * msg, GBytes * body,
    const char *method, const char *url, gpointer data, GError ** error);

/* Sends @request and returns its answer's body, of at most the client's
 * max-response-size bytes, once @check (when given) accepts it. */
GBytes *synapse_request_send_bytes (SynapseClient * client,
    const SynapseRequest * request, SynapseBodyCheck check,
    gpointer check_data, GCancellable * cancellable, GError ** error);

/* Sends @request and parses its JSON answer (a null node for a 204). */
JsonNode *synapse_request_send_json (SynapseClient * client,
    const SynapseRequest * request, GCancellable * cancellable,
    GError ** error);

/* The wait before attempt @attempt + 1 (from 0) of a request that the
 * caller repeats itself (the core would not), as the retry policy says. */
gint64 synapse_request_retry_delay (SynapseClient * client, guint attempt);

/* Fails with G_IO_ERROR_PARTIAL_INPUT when fewer bytes than the response's
 * Content-Length arrived. */
gboolean synapse_request_check_body_complete (SoupMessage * msg,
    guint64 received, GError ** error);

G_END_DECLS
