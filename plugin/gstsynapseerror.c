/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: how a failure of the client library becomes an error
 * message of an element, the same for every element. Its code says what
 * to fix (NOT_AUTHORIZED for 401 and 403, NOT_FOUND for 404, SETTINGS for
 * an argument refused before any request, else the element's READ or
 * WRITE); its text says it for people, without a credential; its details
 * say it for programs (`http-status-code`, `url`, `method`,
 * `server-detail`). An element puts its own words first where it knows
 * better what failed (the sink: which step of the upload). */

#include "config.h"

#include "gstsynapseerror.h"
#include "gstsynapseconnection.h"

/* "scheme://host[:port]" of @url, or NULL. */
static gchar *
origin_of (const gchar * url)
{
  g_autoptr (GUri) uri = url ? g_uri_parse (url,
      G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL) : NULL;
  const gchar *host = uri ? g_uri_get_host (uri) : NULL;

  if (host == NULL)
    return NULL;
  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri), host,
        g_uri_get_port (uri));
  return g_strdup_printf ("%s://%s", g_uri_get_scheme (uri), host);
}

static GstResourceError
resource_error_for (const GError * error, GstResourceError fallback)
{
  if (error->domain != SYNAPSE_CLIENT_ERROR)
    return fallback;

  switch (error->code) {
    case SYNAPSE_CLIENT_ERROR_UNAUTHORIZED:
    case SYNAPSE_CLIENT_ERROR_FORBIDDEN:
      return GST_RESOURCE_ERROR_NOT_AUTHORIZED;
    case SYNAPSE_CLIENT_ERROR_NOT_FOUND:
      return GST_RESOURCE_ERROR_NOT_FOUND;
    case SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT:
      return GST_RESOURCE_ERROR_SETTINGS;
    default:
      return fallback;
  }
}

/* A message for people about @error. */
static gchar *
describe_client_error (const GError * error)
{
  guint status;
  g_autofree gchar *origin = NULL;
  g_autofree gchar *detail = NULL;

  if (error->domain != SYNAPSE_CLIENT_ERROR)
    return g_strdup ("A request to the Synapse backend failed.");

  status = synapse_client_error_get_status_code (error);
  origin = origin_of (synapse_client_error_get_url (error));

  switch (status) {
    case 0:
      break;
    case 400:
      detail = synapse_client_error_describe_detail (error);
      return g_strdup_printf ("The Synapse backend refused the request as "
          "invalid (HTTP 400)%s%s", detail ? ": " : ".", detail ? detail : "");
    case 401:
      return g_strdup ("The Synapse backend refused the access token "
          "(HTTP 401).");
    case 403:
      return g_strdup ("The Synapse backend denied this access token access "
          "to the resource (HTTP 403).");
    case 404:
      return g_strdup ("The Synapse backend has no such resource "
          "(HTTP 404).");
    case 408:
      return g_strdup ("The Synapse backend gave up waiting for the request "
          "(HTTP 408).");
    case 410:
      return g_strdup ("The resource on the Synapse backend has expired "
          "(HTTP 410).");
    case 413:
      return g_strdup ("The Synapse backend refused the data as too large "
          "(HTTP 413).");
    case 429:
      return g_strdup ("The Synapse backend kept refusing requests as too "
          "many (HTTP 429).");
    default:
      if (status >= 500)
        return g_strdup_printf ("The Synapse backend failed (HTTP %u).",
            status);
      return g_strdup_printf ("The Synapse backend answered with an error "
          "(HTTP %u).", status);
  }

  switch (error->code) {
    case SYNAPSE_CLIENT_ERROR_CONNECTION:
      /* refused, or cut in the middle of an answer: the debug string
       * says which */
      return g_strdup_printf ("The connection to the Synapse backend%s%s "
          "failed.", origin ? " at " : "", origin ? origin : "");
    case SYNAPSE_CLIENT_ERROR_TIMEOUT:
      return g_strdup_printf ("The Synapse backend%s%s did not answer in "
          "time.", origin ? " at " : "", origin ? origin : "");
    case SYNAPSE_CLIENT_ERROR_PROTOCOL:
      return g_strdup ("The Synapse backend sent an answer that could not be "
          "understood.");
    case SYNAPSE_CLIENT_ERROR_TLS:
      return g_strdup_printf ("The TLS certificate of the Synapse backend%s%s "
          "is not trusted.", origin ? " at " : "", origin ? origin : "");
    case SYNAPSE_CLIENT_ERROR_IO:
      return g_strdup ("Could not read or write a local file.");
    case SYNAPSE_CLIENT_ERROR_CHECKSUM:
      return g_strdup ("The Synapse backend's checksum of the sent data does "
          "not match.");
    case SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT:
      return g_strdup ("The request to the Synapse backend is invalid.");
    default:
      return g_strdup ("A request to the Synapse backend failed.");
  }
}

/**
 * gst_synapse_describe_client_error:
 * @element: the element that made the request
 * @error: a #GError from libsynapse
 *
 * The message for people that gst_synapse_element_post_client_error()
 * posts by default, e.g. "The Synapse backend refused the request as
 * invalid (HTTP 400): name: This field is required.", for an element that
 * puts words of its own around it. A 401 of an element given no token
 * says how to give one. It never holds a credential.
 *
 * Returns: (transfer full): the message
 */
gchar *
gst_synapse_describe_client_error (GstElement * element, const GError * error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == SYNAPSE_CLIENT_ERROR
      && synapse_client_error_get_status_code (error) == 401
      && GST_IS_SYNAPSE_CONNECTION (element)
      && !gst_synapse_connection_has_access_token (GST_SYNAPSE_CONNECTION
          (element)))
    return g_strdup ("The Synapse backend asked for an access token "
        "(HTTP 401): set the access-token property or the "
        "SYNAPSE_ACCESS_TOKEN environment variable.");
  return describe_client_error (error);
}

/**
 * gst_synapse_is_cancellation:
 * @error: a failure of a request
 * @cancellable: (nullable): the cancellable the request took
 *
 * Whether the request failed because the element cancelled it (unlock,
 * a flush, stopping): a failure to say nothing about.
 *
 * Returns: %TRUE for a cancellation
 */
gboolean
gst_synapse_is_cancellation (const GError * error, GCancellable * cancellable)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_cancellable_is_cancelled (cancellable);
}

/**
 * gst_synapse_element_post_client_error:
 * @element: the element
 * @error: a #GError from libsynapse (not a cancellation)
 * @fallback: the code for failures that are not about credentials (401,
 *   403: NOT_AUTHORIZED), a missing resource (404: NOT_FOUND) or settings
 *   refused before any request (SETTINGS)
 * @text: (nullable): a message for people, instead of the default one
 * @file: source file of the caller
 * @function: function of the caller
 * @line: line of the caller
 *
 * Posts @error as an error message of the RESOURCE domain. Its debug
 * string is the library's message (method, URL and the server's answer;
 * libsynapse never puts a credential in it); its details hold
 * `http-status-code` (guint) when the backend answered, `url` and
 * `method` of the failed request, and the backend's error body as the
 * string `server-detail` (synapse_client_error_dup_detail_text(): its
 * control characters replaced). Use GST_SYNAPSE_ELEMENT_CLIENT_ERROR().
 */
void
gst_synapse_element_post_client_error (GstElement * element,
    const GError * error, GstResourceError fallback, const gchar * text,
    const gchar * file, const gchar * function, gint line)
{
  GstStructure *details = gst_structure_new_empty ("details");
  gchar *message;

  g_return_if_fail (error != NULL);

  if (error->domain == SYNAPSE_CLIENT_ERROR) {
    guint status = synapse_client_error_get_status_code (error);
    const gchar *url = synapse_client_error_get_url (error);
    const gchar *method = synapse_client_error_get_method (error);
    /* the backend's words, safe to print */
    g_autofree gchar *server_detail =
        synapse_client_error_dup_detail_text (error);

    if (status > 0)
      gst_structure_set (details, "http-status-code", G_TYPE_UINT, status,
          NULL);
    if (url)
      gst_structure_set (details, "url", G_TYPE_STRING, url, NULL);
    if (method)
      gst_structure_set (details, "method", G_TYPE_STRING, method, NULL);
    if (server_detail)
      gst_structure_set (details, "server-detail", G_TYPE_STRING,
          server_detail, NULL);
  }

  message = text ? g_strdup (text)
      : gst_synapse_describe_client_error (element, error);
  gst_element_message_full_with_details (element, GST_MESSAGE_ERROR,
      GST_RESOURCE_ERROR, resource_error_for (error, fallback), message,
      g_strdup (error->message), file, function, line, details);
}
