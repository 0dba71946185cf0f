/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The request core (see synapse-request.h), and synapse_client_request (),
 * its public face: any endpoint, with the client's credentials, retries
 * and error mapping. */

#include "config.h"

#include "synapse-client-private.h"
#include "synapse-error-private.h"
#include "synapse-json-private.h"
#include "synapse-json-scan.h"
#include "synapse-request.h"
#include "synapse-speed-watch.h"
#include "synapse-task.h"
#include "synapse-uri.h"


#define MAX_REDIRECTS 5
#define MAX_ERROR_BODY_SIZE (64 * 1024)
#define READ_CHUNK_SIZE (64 * 1024)

void
synapse_request_settings_copy (const SynapseRequestSettings * settings,
    SynapseRequestSettings * copy)
{
  *copy = *settings;
  copy->base_uri = settings->base_uri ? g_uri_ref (settings->base_uri) : NULL;
  copy->basic_auth = g_strdup (settings->basic_auth);
  copy->access_token = g_strdup (settings->access_token);
  copy->authorization_token = g_strdup (settings->authorization_token);
  copy->tenant = g_strdup (settings->tenant);
  copy->agent_token = g_strdup (settings->agent_token);
}

void
synapse_request_settings_clear (SynapseRequestSettings * settings)
{
  g_clear_pointer (&settings->base_uri, g_uri_unref);
  g_clear_pointer (&settings->basic_auth, synapse_secret_free);
  g_free (settings->access_token);
  g_free (settings->authorization_token);
  g_free (settings->tenant);
  g_free (settings->agent_token);
}

static void
set_credential (SoupMessageHeaders * headers, const char *name,
    const char *value)
{
  g_autofree char *token = NULL;

  if (value == NULL)
    return;
  token = g_strconcat ("Token ", value, NULL);
  soup_message_headers_replace (headers, name, token);
}

static gboolean
accept_any_certificate (SoupMessage * msg, GTlsCertificate * certificate,
    GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE;
}

static void
set_request_body (SoupMessage * msg, const SynapseRequest * request)
{
  g_autoptr (GInputStream) stream = NULL;
  gssize length = 0;

  if (request->body[0] && request->body[1] == NULL) {
    soup_message_set_request_body_from_bytes (msg, request->content_type,
        request->body[0]);
    return;
  }
  /* a memory stream reads the parts in place, and can be rewound when
   * libsoup has to send the message again */
  stream = g_memory_input_stream_new ();
  for (guint i = 0; request->body[i]; i++) {
    g_memory_input_stream_add_bytes (G_MEMORY_INPUT_STREAM (stream),
        request->body[i]);
    length += g_bytes_get_size (request->body[i]);
  }
  soup_message_set_request_body (msg, request->content_type, stream, length);
}

static SoupMessage *
build_message (const SynapseRequest * request, const char *method,
    GUri * uri, gboolean with_body, const SynapseRequestSettings * settings)
{
  SoupMessage *msg = soup_message_new_from_uri (method, uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  /* Redirects are followed by hand, so that credentials never follow one
   * to another origin. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  /* libsoup sends an idempotent method (PUT) again by itself when a
   * kept-alive connection turns out closed; a request that is not safe to
   * repeat (the PUT that creates an upload) goes on a connection of its
   * own, as libsoup does for a POST */
  if (!request->idempotent)
    soup_message_add_flags (msg, SOUP_MESSAGE_NEW_CONNECTION);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (request->accept_encoding) {
    soup_message_disable_feature (msg, SOUP_TYPE_CONTENT_DECODER);
    soup_message_headers_replace (headers, "Accept-Encoding",
        request->accept_encoding);
  }

  if (synapse_uri_same_origin (uri, settings->base_uri)) {
    set_credential (headers, "Synapse-Access-Token", settings->access_token);
    if (settings->authorization_token)
      set_credential (headers, "Authorization", settings->authorization_token);
    else if (settings->basic_auth)
      soup_message_headers_replace (headers, "Authorization",
          settings->basic_auth);
    set_credential (headers, "Synapse-Tenant", settings->tenant);
    set_credential (headers, "SYNAPSE-Agent", settings->agent_token);
  }
  if (with_body && request->body) {
    set_request_body (msg, request);
    /* libsoup sends a message again by itself when a kept-alive connection
     * turns out closed, but then without its consumed body stream */
    g_signal_connect (msg, "restarted", G_CALLBACK (set_request_body),
        (gpointer) request);
  }
  if (with_body && request->content_range)
    soup_message_headers_replace (headers, "Content-Range",
        request->content_range);
  if (!settings->ssl_strict)
    g_signal_connect (msg, "accept-certificate",
        G_CALLBACK (accept_any_certificate), NULL);

  return msg;
}

/* libsoup reports a connection closed early as a plain end of stream. */
gboolean
synapse_request_check_body_complete (SoupMessage * msg, guint64 received,
    GError ** error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  goffset expected;

  if (soup_message_headers_get_encoding (headers) !=
      SOUP_ENCODING_CONTENT_LENGTH
      || soup_message_headers_get_one (headers, "Content-Encoding"))
    return TRUE;
  expected = soup_message_headers_get_content_length (headers);
  if ((guint64) expected == received)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
      "the connection closed after %" G_GUINT64_FORMAT " of %" G_GINT64_FORMAT
      " bytes", received, (gint64) expected);
  return FALSE;
}

/* Reads at most @max bytes of @stream. Past @max, a JSON response is an
 * error (it would not fit the promise of bounded memory), while an error
 * body is simply cut. */
static GBytes *
read_body (SoupMessage * msg, GInputStream * stream, guint64 max,
    gboolean cut_at_max, const char *method, const char *url,
    GCancellable * cancellable, GError ** error)
{
  goffset content_length =
      soup_message_headers_get_content_length
      (soup_message_get_response_headers (msg));
  g_autoptr (GByteArray) buffer = NULL;
  gsize length = 0;
  gsize capacity;

  if (content_length > 0 && (guint64) content_length > max && !cut_at_max) {
    synapse_set_protocol_error (error, method, url,
        "the response of %" G_GINT64_FORMAT " bytes exceeds the limit of %"
        G_GUINT64_FORMAT " bytes", (gint64) content_length, max);
    return NULL;
  }

  /* an announced body is read into one allocation, a byte more than it
   * to see its end; one without a length, or longer than announced, grows */
  capacity = content_length > 0
      ? MIN ((guint64) content_length, max) + 1 : READ_CHUNK_SIZE;
  buffer = g_byte_array_sized_new (capacity);
  for (;;) {
    gssize n;

    if (length == capacity)
      capacity += READ_CHUNK_SIZE;
    g_byte_array_set_size (buffer, capacity);
    n = g_input_stream_read (stream, buffer->data + length,
        MIN (capacity - length, READ_CHUNK_SIZE), cancellable, error);
    if (n < 0)
      return NULL;
    if (n == 0)
      break;
    length += n;
    if (length > max) {
      if (cut_at_max) {
        length = max;
        break;
      }
      synapse_set_protocol_error (error, method, url,
          "the response exceeds the limit of %" G_GUINT64_FORMAT " bytes", max);
      return NULL;
    }
  }
  g_byte_array_set_size (buffer, length);
  if (!cut_at_max && !synapse_request_check_body_complete (msg, length, error))
    return NULL;

  return g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
}

static JsonNode *
parse_error_body (GBytes * body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (body, &size);
  JsonNode *node;
  g_autofree char *text = NULL;

  if (size == 0)
    return NULL;
  if (json_parser_load_from_data (parser, data, size, NULL))
    return json_parser_steal_root (parser);

  text = g_utf8_make_valid (data, size);
  node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, g_strstrip (text));
  return node;
}

/* Seconds from a Retry-After header (delta-seconds or an HTTP date);
 * negative when there is none. */
static double
parse_retry_after (SoupMessage * msg)
{
  const char *value =
      soup_message_headers_get_one (soup_message_get_response_headers (msg),
      "Retry-After");
  g_autoptr (GDateTime) date = NULL;
  char *end = NULL;
  guint64 seconds;

  if (value == NULL)
    return -1;
  seconds = g_ascii_strtoull (value, &end, 10);
  if (end != value && *end == '\0')
    return seconds;
  date = soup_date_time_new_from_http_string (value);
  if (date) {
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

    return MAX (0.0, g_date_time_difference (date, now) / (double)
        G_USEC_PER_SEC);
  }
  return -1;
}

/* Whether an answer with @status is worth another attempt. 429 says the
 * request was not handled, so any request may be repeated; the others
 * (a gateway that timed out, a server that failed half way) may come after
 * the backend acted on it, so only a request that is harmless to repeat
 * is sent again. */
static gboolean
is_retryable_status (guint status, gboolean idempotent)
{
  switch (status) {
    case 429:                  /* Too Many Requests */
      return TRUE;
    case SOUP_STATUS_INTERNAL_SERVER_ERROR:
    case SOUP_STATUS_BAD_GATEWAY:
    case SOUP_STATUS_SERVICE_UNAVAILABLE:
    case SOUP_STATUS_GATEWAY_TIMEOUT:
      return idempotent;
    default:
      return FALSE;
  }
}

/* Whether the request surely never reached the server: a refused or
 * unreachable connection, an unknown host, a TLS handshake that failed
 * (nothing is sent before it succeeds). */
static gboolean
never_reached_server (const GError * error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
      || error->domain == G_RESOLVER_ERROR || error->domain == G_TLS_ERROR;
}

/* Whether a transport failure is worth another attempt: one that never
 * reached the server always (but TLS, which would fail the same way), one
 * that may have only if repeating the request is harmless. */
static gboolean
is_retryable_transport_error (const GError * error, gboolean idempotent)
{
  if (error->domain == G_TLS_ERROR)
    return FALSE;
  if (never_reached_server (error))
    return TRUE;
  if (error->domain == G_IO_ERROR || error->domain == SOUP_SESSION_ERROR)
    return idempotent;
  if (g_error_matches (error, SYNAPSE_CLIENT_ERROR,
          SYNAPSE_CLIENT_ERROR_PROTOCOL))
    return idempotent;
  return FALSE;
}

/* Whether a request that is not safe to repeat may have been acted on
 * although it failed: see synapse_client_error_mark_outcome_unknown(). */
static gboolean
outcome_unknown (const GError * failure, guint status, gboolean idempotent)
{
  if (idempotent)
    return FALSE;
  if (failure)
    return !never_reached_server (failure);
  /* a 2xx whose body could not be read, or a failing gateway or server */
  return SOUP_STATUS_IS_SUCCESSFUL (status)
      || status == SOUP_STATUS_INTERNAL_SERVER_ERROR
      || status == SOUP_STATUS_BAD_GATEWAY
      || status == SOUP_STATUS_SERVICE_UNAVAILABLE
      || status == SOUP_STATUS_GATEWAY_TIMEOUT;
}

static void
set_transport_error (GError ** error, const GError * cause,
    const char *method, const char *url, guint attempts)
{
  SynapseClientError code = SYNAPSE_CLIENT_ERROR_CONNECTION;
  g_autofree char *tries = NULL;

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    code = SYNAPSE_CLIENT_ERROR_TIMEOUT;
  else if (cause->domain == G_TLS_ERROR)
    code = SYNAPSE_CLIENT_ERROR_TLS;

  if (attempts > 1)
    tries = g_strdup_printf (" (gave up after %u attempts)", attempts);
  synapse_client_error_set (error, code, method, url, 0, NULL, "%s %s: %s%s",
      method, url, cause->message, tries ? tries : "");
}

static void
set_http_error (GError ** error, guint status, const char *reason,
    JsonNode * detail, const char *method, const char *url, guint attempts)
{
  g_autofree char *described = synapse_describe_detail (detail);
  g_autofree char *tries = NULL;

  if (attempts > 1)
    tries = g_strdup_printf (" (gave up after %u attempts)", attempts);
  synapse_client_error_set (error, (SynapseClientError) status, method, url,
      status, detail, "%s %s: HTTP %u %s%s%s%s", method, url, status,
      reason ? reason : soup_status_get_phrase (status),
      described ? ": " : "", described ? described : "", tries ? tries : "");
}

static gboolean
is_redirect (guint status)
{
  return status == 301 || status == 302 || status == 303 || status == 307
      || status == 308;
}

/* Exponential backoff from @factor seconds, capped at @max, with jitter;
 * or the server's @retry_after (when not negative), capped as well. */
static gint64
backoff_microseconds (double factor, double max, guint attempt,
    double retry_after)
{
  double seconds;

  if (retry_after >= 0)
    return MIN (retry_after, max) * G_USEC_PER_SEC;
  seconds = factor * (double) (1u << MIN (attempt, 30u));
  seconds = MIN (seconds, max);
  /* jitter keeps many clients from retrying in lockstep */
  return seconds * g_random_double_range (0.5, 1.0) * G_USEC_PER_SEC;
}

gint64
synapse_request_retry_delay (SynapseClient * client, guint attempt)
{
  double factor = 0, max = 0;

  g_object_get (client, "retry-backoff-factor", &factor, "retry-backoff-max",
      &max, NULL);
  return backoff_microseconds (factor, max, attempt, -1);
}

gboolean
synapse_request_send (SynapseClient * self, const SynapseRequest * request,
    SynapseResponseReader reader, gpointer reader_data,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (SoupSession) session = NULL;
  g_auto (SynapseRequestSettings) settings = { 0 };
  g_autofree char *url = NULL;
  const char *method = request->method;
  gboolean with_body = TRUE;
  guint attempt = 0;
  guint redirects = 0;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), FALSE);

  url = synapse_client_build_url (self, request->path, request->params);
  if (!synapse_client_get_request_settings (self, &settings, error))
    return FALSE;
  session = synapse_client_dup_session (self, error);
  if (session == NULL)
    return FALSE;

  for (;;) {
    g_autoptr (GUri) uri = NULL;
    g_autoptr (SoupMessage) msg = NULL;
    g_autoptr (SynapseSpeedWatch) watch = NULL;
    g_autoptr (GInputStream) stream = NULL;
    g_autoptr (GError) failure = NULL;
    g_autoptr (JsonNode) detail = NULL;
    g_autofree char *shown = synapse_uri_redact (url);
    guint status = 0;
    double retry_after = -1;
    gboolean retryable;
    GCancellable *attempt_cancellable;
    GInputStream *raw_stream;

    /* libsoup takes nothing less (and says so with a critical) */
    if (!synapse_is_http_url (url)) {
      synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
          method, shown, 0, NULL, "%s %s: not an http or https URL with a "
          "host", method, shown);
      return FALSE;
    }

    uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
    msg = build_message (request, method, uri, with_body, &settings);
    /* the attempt waits on the watch's cancellable, which the caller's
     * cancels too */
    watch = synapse_speed_watch_new (cancellable, settings.timeout,
        (guint64) settings.low_speed_limit * settings.timeout);
    attempt_cancellable = synapse_speed_watch_get_cancellable (watch);
    synapse_speed_watch_message (watch, msg);
    raw_stream = soup_session_send (session, msg, attempt_cancellable,
        &failure);
    if (raw_stream) {
      /* every reader's progress counts */
      stream = synapse_speed_watch_wrap_body (watch, raw_stream);
      g_object_unref (raw_stream);
    }
    if (stream) {
      status = soup_message_get_status (msg);

      if (is_redirect (status) && redirects < MAX_REDIRECTS) {
        const char *location =
            soup_message_headers_get_one (soup_message_get_response_headers
            (msg), "Location");
        gboolean keeps_method = status == 307 || status == 308;
        gboolean safe = g_str_equal (method, "GET")
            || g_str_equal (method, "HEAD");
        g_autofree char *target = synapse_uri_resolve (url, location);

        if (target && (keeps_method || safe || status == 303)) {
          g_input_stream_close (stream, NULL, NULL);
          g_free (url);
          url = g_steal_pointer (&target);
          if (status == 303 && !safe) {
            method = "GET";
            with_body = FALSE;
          }
          redirects++;
          continue;
        }
      }

      if (SOUP_STATUS_IS_SUCCESSFUL (status)) {
        gboolean ok = reader ? reader (msg, stream, reader_data,
            attempt_cancellable, &failure) : TRUE;

        g_input_stream_close (stream, NULL, NULL);
        if (ok)
          return TRUE;
      } else {
        g_autoptr (GError) body_error = NULL;
        g_autoptr (GBytes) body = read_body (msg, stream, MAX_ERROR_BODY_SIZE,
            TRUE, method, shown, attempt_cancellable, &body_error);

        g_input_stream_close (stream, NULL, NULL);
        /* an error body that cannot be read (or is sent too slowly) leaves
         * the status as the answer, but a cancellation while it is read is
         * the caller's */
        synapse_speed_watch_explain (watch, &body_error);
        if (g_error_matches (body_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
          failure = g_steal_pointer (&body_error);
        detail = body ? parse_error_body (body) : NULL;
        retry_after = parse_retry_after (msg);
      }
    }

    /* a cancellation the watch made is a timeout */
    synapse_speed_watch_explain (watch, &failure);
    if (failure && g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }

    if (failure)
      retryable = is_retryable_transport_error (failure, request->idempotent);
    else
      retryable = is_retryable_status (status, request->idempotent);

    if (retryable && attempt < settings.retries) {
      gint64 delay = backoff_microseconds (settings.backoff_factor,
          settings.backoff_max, attempt, retry_after);

      if (failure)
        g_debug ("%s %s: %s; retrying in %.2f s", method, shown,
            failure->message, delay / (double) G_USEC_PER_SEC);
      else
        g_debug ("%s %s: HTTP %u; retrying in %.2f s", method, shown, status,
            delay / (double) G_USEC_PER_SEC);
      if (!synapse_sleep (delay, cancellable, error))
        return FALSE;
      attempt++;
      continue;
    }

    {
      gboolean unknown = outcome_unknown (failure, status,
          request->idempotent);
      GError *final = NULL;

      if (failure == NULL)
        set_http_error (&final, status, soup_message_get_reason_phrase (msg),
            detail, method, shown, attempt + 1);
      else if (failure->domain == SYNAPSE_CLIENT_ERROR)
        final = g_steal_pointer (&failure);
      else
        set_transport_error (&final, failure, method, shown, attempt + 1);
      if (unknown)
        synapse_client_error_mark_outcome_unknown (final);
      g_propagate_error (error, final);
    }
    return FALSE;
  }
}

typedef struct
{
  guint64 max_size;
  const char *method;
  SynapseBodyCheck check;
  gpointer check_data;
  GBytes *body;
} BodyReader;

static gboolean
read_checked_body (SoupMessage * msg, GInputStream * stream,
    gpointer user_data, GCancellable * cancellable, GError ** error)
{
  BodyReader *reader = user_data;
  g_autofree char *full_url = g_uri_to_string (soup_message_get_uri (msg));
  g_autofree char *url = synapse_uri_redact (full_url);
  g_autoptr (GBytes) body = NULL;

  body = read_body (msg, stream, reader->max_size, FALSE, reader->method,
      url, cancellable, error);
  if (body == NULL)
    return FALSE;
  /* checked here, so that a body that arrived broken is fetched again */
  if (reader->check && !reader->check (msg, body, reader->method, url,
          reader->check_data, error))
    return FALSE;

  g_clear_pointer (&reader->body, g_bytes_unref);
  reader->body = g_steal_pointer (&body);
  return TRUE;
}

GBytes *
synapse_request_send_bytes (SynapseClient * self,
    const SynapseRequest * request, SynapseBodyCheck check,
    gpointer check_data, GCancellable * cancellable, GError ** error)
{
  BodyReader reader = {
    .method = request->method,
    .check = check,
    .check_data = check_data,
  };

  g_object_get (self, "max-response-size", &reader.max_size, NULL);

  if (!synapse_request_send (self, request, read_checked_body, &reader,
          cancellable, error)) {
    g_clear_pointer (&reader.body, g_bytes_unref);
    return NULL;
  }
  return reader.body;
}

/* A JSON answer: checked by the scanner before json-glib parses it. */
static JsonNode *
parse_json_bytes (GBytes * bytes, const char *method,
    const char *url, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) parse_error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);

  if (size == 0) {
    synapse_set_protocol_error (error, method, url, "empty body");
    return NULL;
  }
  /* json-glib's parser recurses without a bound: check the nesting (and
   * the rest) first */
  if (!synapse_json_validate (data, size, &parse_error)
      || !json_parser_load_from_data (parser, data, size, &parse_error)) {
    synapse_set_protocol_error (error, method, url, "malformed JSON (%s)",
        parse_error->message);
    return NULL;
  }
  return json_parser_steal_root (parser);
}

static gboolean
parse_json_body (SoupMessage * msg, GBytes * body, const char *method,
    const char *url, gpointer data, GError ** error)
{
  JsonNode **result = data;

  g_clear_pointer (result, json_node_unref);
  if (soup_message_get_status (msg) == SOUP_STATUS_NO_CONTENT) {
    *result = json_node_new (JSON_NODE_NULL);
    return TRUE;
  }
  *result = parse_json_bytes (body, method, url, error);
  return *result != NULL;
}

JsonNode *
synapse_request_send_json (SynapseClient * self,
    const SynapseRequest * request, GCancellable * cancellable, GError ** error)
{
  JsonNode *result = NULL;
  g_autoptr (GBytes) body = synapse_request_send_bytes (self, request,
      parse_json_body, &result, cancellable, error);

  if (body == NULL)
    g_clear_pointer (&result, json_node_unref);
  return result;
}

static gboolean
is_idempotent_method (const char *method)
{
  return g_str_equal (method, "GET") || g_str_equal (method, "HEAD")
      || g_str_equal (method, "PUT") || g_str_equal (method, "DELETE")
      || g_str_equal (method, "OPTIONS");
}

typedef struct
{
  char *method;
  char *path;
  JsonObject *params;
  JsonNode *body;
} RequestArgs;

static void
request_args_free (RequestArgs * args)
{
  g_free (args->method);
  g_free (args->path);
  g_clear_pointer (&args->params, json_object_unref);
  g_clear_pointer (&args->body, json_node_unref);
  g_free (args);
}

static gpointer
request_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  RequestArgs *args = data;
  g_autoptr (GBytes) body = NULL;
  GBytes *parts[2] = { NULL, NULL };
  SynapseRequest request = {
    .method = args->method,
    .path = args->path,
    .params = args->params,
    .idempotent = is_idempotent_method (args->method),
  };

  if (args->body) {
    body = synapse_json_to_bytes (args->body);
    parts[0] = body;
    request.body = parts;
    request.content_type = "application/json";
  }
  return synapse_request_send_json (SYNAPSE_CLIENT (source), &request,
      cancellable, error);
}

static RequestArgs *
request_args_new (const char *method, const char *path, JsonObject * params,
    JsonNode * body)
{
  RequestArgs *args = g_new0 (RequestArgs, 1);

  args->method = g_ascii_strup (method, -1);
  args->path = g_strdup (path);
  args->params = params ? json_object_ref (params) : NULL;
  args->body = body ? json_node_ref (body) : NULL;
  return args;
}

/**
 * synapse_client_request:
 * @self: a [class@Synapse.Client]
 * @method: an HTTP method, e.g. `GET`
 * @path: an endpoint path such as `models/`, or an absolute URL
 * @params: (nullable): query parameters, encoded as
 *   [method@Synapse.Client.build_url] says
 * @body: (nullable): a JSON request body
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Sends one request to any endpoint of the backend, with the client's
 * credentials, retries and error mapping, and returns its JSON answer. The
 * typed calls such as [method@Synapse.Client.get_model] are built on it.
 *
 * Returns: (transfer full): the parsed response (a null node for an empty
 *   204), or %NULL with @error set
 *
 * Since: 0.1
 */
JsonNode *
synapse_client_request (SynapseClient * self, const char *method,
    const char *path, JsonObject * params, JsonNode * body,
    GCancellable * cancellable, GError ** error)
{
  RequestArgs *args;
  JsonNode *result;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (method != NULL && path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  args = request_args_new (method, path, params, body);
  result = request_run (self, args, cancellable, error);
  request_args_free (args);
  return result;
}

/**
 * synapse_client_request_async:
 * @self: a [class@Synapse.Client]
 * @method: an HTTP method, e.g. `GET`
 * @path: an endpoint path such as `models/`, or an absolute URL
 * @params: (nullable): query parameters
 * @body: (nullable): a JSON request body
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the request is done
 * @user_data: data for @callback
 *
 * Sends a request as [method@Synapse.Client.request] does, without blocking.
 *
 * Since: 0.1
 */
void
synapse_client_request_async (SynapseClient * self, const char *method,
    const char *path, JsonObject * params, JsonNode * body,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL);

  synapse_task_run (self, self, synapse_client_request_async, request_run,
      request_args_new (method, path, params, body),
      (GDestroyNotify) request_args_free, (GDestroyNotify) json_node_unref,
      cancellable, callback, user_data);
}

/**
 * synapse_client_request_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.request_async].
 *
 * Returns: (transfer full): the parsed response, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonNode *
synapse_client_request_finish (SynapseClient * self, GAsyncResult * result,
    GError ** error)
{
  return synapse_task_finish (self, result, synapse_client_request_async,
      error);
}
