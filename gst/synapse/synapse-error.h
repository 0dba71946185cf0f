/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The error domain, SYNAPSE_CLIENT_ERROR: its codes (HTTP statuses and
 * small local ones) and the getters of what an error carries (status,
 * the backend's body, method, URL, local path, the outcome-unknown mark,
 * all of it as JSON), in
 * synapse-error.c. */

#pragma once

#if !defined(__SYNAPSE_H_INSIDE__) && !defined(SYNAPSE_COMPILATION)
#error "Only <synapse/synapse.h> can be included directly."
#endif

#include <synapse/synapse-api.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * SYNAPSE_CLIENT_ERROR:
 *
 * The error domain of the Synapse client. An HTTP failure uses the HTTP
 * status as its code (404 is %SYNAPSE_CLIENT_ERROR_NOT_FOUND, and a status
 * without a name here is still its own number); failures without a status
 * use the small codes of [error@Synapse.ClientError]. Cancellation is reported
 * as %G_IO_ERROR_CANCELLED, as everywhere in GIO.
 *
 * Since: 0.1
 */
#define SYNAPSE_CLIENT_ERROR (synapse_client_error_quark ())

/**
 * SynapseClientError:
 * @SYNAPSE_CLIENT_ERROR_CONNECTION: the backend could not be reached, or the
 *   connection broke (retries exhausted)
 * @SYNAPSE_CLIENT_ERROR_TIMEOUT: the backend did not answer within the
 *   client's [property@Synapse.Client:timeout] (retries exhausted)
 * @SYNAPSE_CLIENT_ERROR_PROTOCOL: the backend answered something this client
 *   cannot use: malformed or unexpected JSON, a page without `results`, an
 *   oversized response; the message names the URL
 * @SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT: the caller's input was refused
 *   before any request was sent (a missing field, an unreadable file)
 * @SYNAPSE_CLIENT_ERROR_IO: a local file could not be read or written
 *   ([func@Synapse.ClientError.get_path] names it when it is a file to
 *   upload)
 * @SYNAPSE_CLIENT_ERROR_TLS: the backend's TLS certificate was not trusted
 * @SYNAPSE_CLIENT_ERROR_CHECKSUM: the backend's checksum of uploaded bytes
 *   did not match the local one, or a downloaded file does not match the
 *   size or checksum its event declares (the message names the event and
 *   the URL)
 * @SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE: a downloaded file is larger than
 *   [property@Synapse.UrlConversion:max-file-size]
 * @SYNAPSE_CLIENT_ERROR_BAD_REQUEST: HTTP 400, the backend refused the data;
 *   the detail holds its field errors
 * @SYNAPSE_CLIENT_ERROR_UNAUTHORIZED: HTTP 401, the credentials are missing
 *   or wrong
 * @SYNAPSE_CLIENT_ERROR_FORBIDDEN: HTTP 403
 * @SYNAPSE_CLIENT_ERROR_NOT_FOUND: HTTP 404
 * @SYNAPSE_CLIENT_ERROR_REQUEST_TIMEOUT: HTTP 408
 * @SYNAPSE_CLIENT_ERROR_GONE: HTTP 410, e.g. an expired upload
 * @SYNAPSE_CLIENT_ERROR_PAYLOAD_TOO_LARGE: HTTP 413, a file or chunk too large
 * @SYNAPSE_CLIENT_ERROR_TOO_MANY_REQUESTS: HTTP 429 (retries exhausted)
 * @SYNAPSE_CLIENT_ERROR_INTERNAL_SERVER_ERROR: HTTP 500 (retries exhausted)
 * @SYNAPSE_CLIENT_ERROR_BAD_GATEWAY: HTTP 502 (retries exhausted)
 * @SYNAPSE_CLIENT_ERROR_SERVICE_UNAVAILABLE: HTTP 503 (retries exhausted)
 * @SYNAPSE_CLIENT_ERROR_GATEWAY_TIMEOUT: HTTP 504 (retries exhausted)
 *
 * Error codes of [error@Synapse.ClientError].
 *
 * Since: 0.1
 */
typedef enum
{
  SYNAPSE_CLIENT_ERROR_CONNECTION = 1,
  SYNAPSE_CLIENT_ERROR_TIMEOUT = 2,
  SYNAPSE_CLIENT_ERROR_PROTOCOL = 3,
  SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT = 4,
  SYNAPSE_CLIENT_ERROR_IO = 5,
  SYNAPSE_CLIENT_ERROR_TLS = 6,
  SYNAPSE_CLIENT_ERROR_CHECKSUM = 7,
  SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE = 8,
  SYNAPSE_CLIENT_ERROR_BAD_REQUEST = 400,
  SYNAPSE_CLIENT_ERROR_UNAUTHORIZED = 401,
  SYNAPSE_CLIENT_ERROR_FORBIDDEN = 403,
  SYNAPSE_CLIENT_ERROR_NOT_FOUND = 404,
  SYNAPSE_CLIENT_ERROR_REQUEST_TIMEOUT = 408,
  SYNAPSE_CLIENT_ERROR_GONE = 410,
  SYNAPSE_CLIENT_ERROR_PAYLOAD_TOO_LARGE = 413,
  SYNAPSE_CLIENT_ERROR_TOO_MANY_REQUESTS = 429,
  SYNAPSE_CLIENT_ERROR_INTERNAL_SERVER_ERROR = 500,
  SYNAPSE_CLIENT_ERROR_BAD_GATEWAY = 502,
  SYNAPSE_CLIENT_ERROR_SERVICE_UNAVAILABLE = 503,
  SYNAPSE_CLIENT_ERROR_GATEWAY_TIMEOUT = 504,
} SynapseClientError;

SYNAPSE_API GQuark synapse_client_error_quark (void);

SYNAPSE_API guint synapse_client_error_get_status_code (const GError * error);

SYNAPSE_API JsonNode *synapse_client_error_get_detail (const GError * error);

SYNAPSE_API char *synapse_client_error_describe_detail (const GError * error);

SYNAPSE_API char *synapse_client_error_dup_detail_text (const GError * error);

SYNAPSE_API const char *synapse_client_error_get_url (const GError * error);

SYNAPSE_API const char *synapse_client_error_get_method (const GError * error);

SYNAPSE_API const char *synapse_client_error_get_path (const GError * error);

SYNAPSE_API gboolean synapse_client_error_outcome_unknown (const GError * error);

SYNAPSE_API JsonNode *synapse_client_error_to_json (const GError * error);

G_END_DECLS
