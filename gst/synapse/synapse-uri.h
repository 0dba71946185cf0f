/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* URLs as the library makes, checks and shows them: joining an endpoint
 * path to the base URL with its query, the origin that receives
 * credentials, links resolved against the page they came from, userinfo
 * taken out of a base URL, and URLs without userinfo for messages. The one
 * test of "an http(s) URL with a host" is synapse_is_http_url () (public,
 * declared in synapse-client.h); every place that asks uses it. Requests
 * themselves are synapse-request.c's. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* @path (an endpoint path, or an http(s) URL with a host, kept as it is)
 * joined to @base_url, with @params encoded as its query (see
 * synapse_client_build_url ()). */
char *synapse_uri_build (const char *base_url, const char *path,
    JsonObject * params);

/* Whether @a and @b have the same scheme, host and port (a missing port
 * being the scheme's); FALSE when either is NULL or has no host. */
gboolean synapse_uri_same_origin (GUri * a, GUri * b);

/* @reference (a link the backend gave) resolved against @base: an
 * absolute http(s) URL with a host, or NULL. */
char *synapse_uri_resolve (const char *base, const char *reference);

/* The URL without a password or other userinfo, for messages and logs. */
char *synapse_uri_redact (const char *url);

/* @url without its userinfo; the user and password it held, when it held
 * any, as an `Authorization: Basic …` value in *@basic_auth (else NULL),
 * to free with synapse_secret_free (). */
char *synapse_uri_split_userinfo (const char *url, char **basic_auth);

/* Frees a secret after overwriting it, so that it does not linger in
 * freed memory. */
void synapse_secret_free (char *secret);

G_END_DECLS
