/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How the library makes its errors: a SYNAPSE_CLIENT_ERROR naming the
 * request (method, URL without userinfo, status, the backend's body), its
 * text safe to show, and the mark of a request whose outcome is unknown.
 * What each failure means is decided where it happens (the request core,
 * the listing, the upload); this only writes it down. */

#pragma once

#include "synapse-error.h"

G_BEGIN_DECLS

/* Sets @error (NULL is fine, as GLib's rule wants) to a SYNAPSE_CLIENT_ERROR
 * naming the request: @url is shown without userinfo, and the message with
 * its control characters replaced. */
void synapse_client_error_set (GError ** error, SynapseClientError code,
    const char *method, const char *url, guint status_code,
    JsonNode * detail, const char *format, ...) G_GNUC_PRINTF (7, 8);

/* Sets @error to a PROTOCOL error naming the request: the backend answered
 * something the library cannot use. */
void synapse_set_protocol_error (GError ** error, const char *method,
    const char *url, const char *format, ...) G_GNUC_PRINTF (4, 5);

/* Puts the request's method, URL, status and body into @error, which is
 * of SYNAPSE_CLIENT_ERROR. */
void synapse_client_error_annotate (GError * error, const char *method,
    const char *url, guint status_code, JsonNode * detail);

/* Names the local file that @error, of SYNAPSE_CLIENT_ERROR, is about. */
void synapse_client_error_set_path (GError * error, const char *path);

/* A request that is not safe to repeat failed after it may have reached
 * the backend (a 500, 502, 503 or 504, a connection broken or timed out
 * after it was sent): the backend may have acted on it. The request core
 * marks such failures and never repeats the request itself; the caller
 * decides (e.g. looks up what the request would have made). */
void synapse_client_error_mark_outcome_unknown (GError * error);

/* The backend's error body in words (see
 * synapse_client_error_describe_detail ()). */
char *synapse_describe_detail (JsonNode * detail);

G_END_DECLS
