/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The error domain: the extended error's private part (status, the
 * backend's body, method, URL, the outcome-unknown mark), its public
 * getters, and how the library sets such errors. The last error freed by
 * each thread is kept, for bindings whose copies of errors lose the
 * private part (synapse_client_error_to_json ()). Which failure maps to
 * which code is the request core's (synapse-request.c). */

#include "config.h"

#include "synapse-error-private.h"
#include "synapse-json-private.h"
#include "synapse-uri.h"

typedef struct
{
  guint status_code;
  JsonNode *detail;
  char *url;
  char *method;
  /* the local file a failure is about (SYNAPSE_CLIENT_ERROR_IO) */
  char *path;
  /* the request may have reached the backend and been acted on, though no
   * answer says so (see synapse_client_error_outcome_unknown()) */
  gboolean outcome_unknown;
} SynapseClientErrorPrivate;

static void
synapse_client_error_private_copy (const SynapseClientErrorPrivate * src,
    SynapseClientErrorPrivate * dest)
{
  dest->status_code = src->status_code;
  dest->detail = src->detail ? json_node_copy (src->detail) : NULL;
  dest->url = g_strdup (src->url);
  dest->method = g_strdup (src->method);
  dest->path = g_strdup (src->path);
  dest->outcome_unknown = src->outcome_unknown;
}

static void
synapse_client_error_private_clear (SynapseClientErrorPrivate * priv)
{
  g_clear_pointer (&priv->detail, json_node_unref);
  g_clear_pointer (&priv->url, g_free);
  g_clear_pointer (&priv->method, g_free);
  g_clear_pointer (&priv->path, g_free);
}

static gboolean
private_is_empty (const SynapseClientErrorPrivate * priv)
{
  return priv->status_code == 0 && priv->detail == NULL && priv->url == NULL
      && priv->method == NULL && priv->path == NULL && !priv->outcome_unknown;
}

/* The last error of this domain with a private part that was freed by
 * each thread: language bindings that raise their own exception from an
 * error's domain, code and message (PyGObject does, and frees the error
 * right away in the same thread) find the rest again here, through
 * synapse_client_error_to_json (). */
typedef struct
{
  int code;
  char *message;
  SynapseClientErrorPrivate priv;
} FreedError;

static void
freed_error_free (gpointer data)
{
  FreedError *freed = data;

  if (freed == NULL)
    return;
  synapse_client_error_private_clear (&freed->priv);
  g_free (freed->message);
  g_free (freed);
}

static GPrivate last_freed = G_PRIVATE_INIT (freed_error_free);

/* G_DEFINE_EXTENDED_ERROR's layout (the private part just before the
 * GError, aligned to two words), registered by hand so that the clear
 * function sees the error's code and message as well as its private
 * part. */
#define PRIVATE_SIZE ((sizeof (SynapseClientErrorPrivate) \
        + (2 * sizeof (gsize) - 1)) & -(2 * sizeof (gsize)))

static SynapseClientErrorPrivate *
synapse_client_error_get_private (const GError * error)
{
  return (SynapseClientErrorPrivate *) (((guint8 *) error) - PRIVATE_SIZE);
}

static void
error_private_init (GError * error)
{
  /* GLib hands out the private part zeroed */
}

static void
error_private_copy (const GError * src, GError * dest)
{
  synapse_client_error_private_copy (synapse_client_error_get_private (src),
      synapse_client_error_get_private (dest));
}

static void
error_private_clear (GError * error)
{
  SynapseClientErrorPrivate *priv = synapse_client_error_get_private (error);
  FreedError *freed;

  /* a binding's copy (an empty private part) would hide the error it was
   * made from: only errors that carry something are kept */
  if (!private_is_empty (priv)) {
    freed = g_new0 (FreedError, 1);
    freed->code = error->code;
    freed->message = g_strdup (error->message);
    freed->priv = *priv;        /* moved: nothing is left to clear */
    memset (priv, 0, sizeof (*priv));
    g_private_replace (&last_freed, freed);
    return;
  }
  synapse_client_error_private_clear (priv);
}

/**
 * synapse_client_error_quark:
 *
 * The quark of [error@Synapse.ClientError].
 *
 * Returns: the error domain's quark
 *
 * Since: 0.1
 */
GQuark
synapse_client_error_quark (void)
{
  static GQuark quark;
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized)) {
    quark = g_error_domain_register_static ("SynapseClientError",
        sizeof (SynapseClientErrorPrivate), error_private_init,
        error_private_copy, error_private_clear);
    g_once_init_leave (&initialized, 1);
  }
  return quark;
}

/* The private part of an error of this domain; NULL for another domain
 * (the generated getter complains about those) or a copy without one. */
static SynapseClientErrorPrivate *
private_of (const GError * error)
{
  if (error == NULL || error->domain != SYNAPSE_CLIENT_ERROR)
    return NULL;
  return synapse_client_error_get_private (error);
}

/**
 * synapse_client_error_get_status_code:
 * @error: a [struct@GLib.Error]
 *
 * The HTTP status of the failed request, as the backend answered it (after
 * any retries: the last real status, never a summary).
 *
 * Returns: the HTTP status, or 0 when @error is not an HTTP failure of
 *   [error@Synapse.ClientError]
 *
 * Since: 0.1
 */
guint
synapse_client_error_get_status_code (const GError * error)
{
  SynapseClientErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, 0);

  priv = private_of (error);
  if (priv == NULL)
    return 0;
  /* a copy made from the domain and code alone (as language bindings make
   * them) has lost the private part, but an HTTP failure's code is its
   * status */
  if (priv->status_code == 0 && error->code >= 100 && error->code < 600)
    return error->code;
  return priv->status_code;
}

/**
 * synapse_client_error_get_detail:
 * @error: a [struct@GLib.Error]
 *
 * The backend's parsed error body, e.g. `{"detail": "Not found."}` or the
 * field errors of a 400 (`{"name": ["This field is required."]}`). A body
 * that is not JSON is given as a string node.
 *
 * Returns: (transfer none) (nullable): the body, or %NULL when there was
 *   none or @error is not of [error@Synapse.ClientError]
 *
 * Since: 0.1
 */
JsonNode *
synapse_client_error_get_detail (const GError * error)
{
  SynapseClientErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  priv = private_of (error);
  return priv ? priv->detail : NULL;
}

/* DRF's field errors, {"name": ["This field is required."]}, as
 * "name: This field is required." (non-field errors without a name);
 * NULL when @object is not of that shape. */
static char *
describe_field_errors (JsonObject * object)
{
  g_autoptr (GString) text = g_string_new (NULL);
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &member)) {
    JsonArray *messages;

    if (!JSON_NODE_HOLDS_ARRAY (member))
      return NULL;
    messages = json_node_get_array (member);
    for (guint i = 0; i < json_array_get_length (messages); i++) {
      JsonNode *message = json_array_get_element (messages, i);

      if (!JSON_NODE_HOLDS_VALUE (message)
          || json_node_get_value_type (message) != G_TYPE_STRING)
        return NULL;
      if (text->len)
        g_string_append (text, "; ");
      if (g_strcmp0 (name, "non_field_errors") != 0)
        g_string_append_printf (text, "%s: ", name);
      g_string_append (text, json_node_get_string (message));
    }
  }
  return text->len ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/* @text (@length bytes, or NUL-terminated when -1) safe to show: made valid
 * UTF-8, a tab or line break as a space, any other control character
 * (C0, DEL, C1) as U+FFFD. For whatever quotes the backend. */
static char *
text_for_display (const char *text, gssize length)
{
  g_autofree char *valid = g_utf8_make_valid (text, length);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (c == '\t' || c == '\n' || c == '\r')
      g_string_append_c (out, ' ');
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0))
      g_string_append_unichar (out, 0xfffd);
    else
      g_string_append_len (out, p, g_utf8_next_char (p) - p);
  }
  return g_string_free (out, FALSE);
}

char *
synapse_describe_detail (JsonNode * detail)
{
  g_autofree char *text = NULL;
  g_autofree char *shown = NULL;

  if (detail == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_OBJECT (detail)) {
    JsonObject *object = json_node_get_object (detail);
    const char *message = synapse_json_get_string (object, "detail");

    text = message ? g_strdup (message) : describe_field_errors (object);
  }
  if (text == NULL && JSON_NODE_HOLDS_VALUE (detail)
      && json_node_get_value_type (detail) == G_TYPE_STRING)
    text = g_strdup (json_node_get_string (detail));
  if (text == NULL)
    text = json_to_string (detail, FALSE);
  shown = text_for_display (text, -1);
  if (g_utf8_strlen (shown, -1) > 500) {
    g_autofree char *cut = g_utf8_substring (shown, 0, 500);

    return g_strconcat (cut, "…", NULL);
  }
  return g_steal_pointer (&shown);
}

/**
 * synapse_client_error_describe_detail:
 * @error: a [struct@GLib.Error]
 *
 * The backend's error body in words, for people: DRF's `detail`, its field
 * errors as `name: This field is required.` (several joined by `; `), or
 * the body itself, cut at 500 characters. The message of @error already
 * ends with it; this is for callers who word the failure themselves.
 *
 * The backend's text is quoted safe to print: a tab or line break becomes
 * a space and any other control character (such as the escape that starts
 * a terminal's escape sequence, or BEL) becomes U+FFFD `�`, as in every
 * message of the library.
 *
 * Returns: (transfer full) (nullable): the description, or %NULL when the
 *   backend's answer had no body or @error is not of
 *   [error@Synapse.ClientError]
 *
 * Since: 0.1
 */
char *
synapse_client_error_describe_detail (const GError * error)
{
  SynapseClientErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  priv = private_of (error);
  return priv ? synapse_describe_detail (priv->detail) : NULL;
}

/**
 * synapse_client_error_dup_detail_text:
 * @error: a [struct@GLib.Error]
 *
 * The backend's error body as one line of text, whole: a text body as it
 * came, a JSON body as compact JSON, with control characters replaced as
 * [func@Synapse.ClientError.describe_detail] does, so that it is safe to print
 * or to put in a message. [func@Synapse.ClientError.get_detail] gives the body
 * itself.
 *
 * Returns: (transfer full) (nullable): the text, or %NULL when the
 *   backend's answer had no body or @error is not of
 *   [error@Synapse.ClientError]
 *
 * Since: 0.1
 */
char *
synapse_client_error_dup_detail_text (const GError * error)
{
  SynapseClientErrorPrivate *priv;
  g_autofree char *text = NULL;

  g_return_val_if_fail (error != NULL, NULL);

  priv = private_of (error);
  if (priv == NULL || priv->detail == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (priv->detail)
      && json_node_get_value_type (priv->detail) == G_TYPE_STRING)
    return text_for_display (json_node_get_string (priv->detail), -1);
  text = json_to_string (priv->detail, FALSE);
  return text_for_display (text, -1);
}

/**
 * synapse_client_error_get_url:
 * @error: a [struct@GLib.Error]
 *
 * The URL of the failed request, without any password it may have held.
 *
 * Returns: (transfer none) (nullable): the URL, or %NULL when the failure
 *   was not a request's
 *
 * Since: 0.1
 */
const char *
synapse_client_error_get_url (const GError * error)
{
  SynapseClientErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  priv = private_of (error);
  return priv ? priv->url : NULL;
}

/**
 * synapse_client_error_get_method:
 * @error: a [struct@GLib.Error]
 *
 * The HTTP method of the failed request.
 *
 * Returns: (transfer none) (nullable): the method, or %NULL when the failure
 *   was not a request's
 *
 * Since: 0.1
 */
const char *
synapse_client_error_get_method (const GError * error)
{
  SynapseClientErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  priv = private_of (error);
  return priv ? priv->method : NULL;
}

/**
 * synapse_client_error_get_path:
 * @error: a [struct@GLib.Error]
 *
 * The local file that a failure is about: the file to upload that
 * [method@Synapse.Client.create_chunked_upload] or
 * [method@Synapse.Client.create_model] could not read, with
 * %SYNAPSE_CLIENT_ERROR_IO.
 *
 * Returns: (transfer none) (nullable): the path, or %NULL when the failure
 *   was not about a local file
 *
 * Since: 0.1
 */
const char *
synapse_client_error_get_path (const GError * error)
{
  SynapseClientErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  priv = private_of (error);
  return priv ? priv->path : NULL;
}

static void
set_member_string (JsonObject * object, const char *name, const char *value)
{
  if (value)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

/* The record of the last error freed by this thread, when it is the one
 * @error was copied from (same domain, code and message). */
static const SynapseClientErrorPrivate *
freed_original_of (const GError * error)
{
  FreedError *freed = g_private_get (&last_freed);

  if (freed == NULL || freed->code != error->code
      || g_strcmp0 (freed->message, error->message) != 0)
    return NULL;
  return &freed->priv;
}

/**
 * synapse_client_error_to_json:
 * @error: a [struct@GLib.Error]
 *
 * Everything @error tells, as one JSON object: `domain` (the domain's
 * name), `code`, `message`, `status_code` (as
 * [func@Synapse.ClientError.get_status_code]: 0 when the backend never
 * answered), `detail` (the backend's parsed body, or `null`), `method` and
 * `url` (the request's, or `null`), `path` (see
 * [func@Synapse.ClientError.get_path]) and `outcome_unknown`.
 *
 * For language bindings: a binding that turns an error into an exception
 * of its own from the error's domain, code and message alone, and gives
 * that copy back here (PyGObject does both), gets what the original error
 * carried when it is the last error of [error@Synapse.ClientError] that
 * the calling thread freed, as the binding's call returning it does. The
 * Python override builds its exceptions' `status_code`, `response`, `url`
 * and `method` from this.
 *
 * Returns: (transfer full): a JSON object node
 *
 * Since: 0.1
 */
JsonNode *
synapse_client_error_to_json (const GError * error)
{
  const SynapseClientErrorPrivate *priv;
  g_autoptr (JsonObject) object = json_object_new ();
  guint status_code = 0;

  g_return_val_if_fail (error != NULL, NULL);

  json_object_set_string_member (object, "domain",
      g_quark_to_string (error->domain));
  json_object_set_int_member (object, "code", error->code);
  json_object_set_string_member (object, "message", error->message);

  priv = private_of (error);
  if (priv && private_is_empty (priv)) {
    const SynapseClientErrorPrivate *original = freed_original_of (error);

    if (original)
      priv = original;
  }
  if (priv) {
    status_code = priv->status_code;
    /* as synapse_client_error_get_status_code () reads a copy */
    if (status_code == 0 && error->code >= 100 && error->code < 600)
      status_code = error->code;
  }
  json_object_set_int_member (object, "status_code", status_code);
  if (priv && priv->detail)
    json_object_set_member (object, "detail", json_node_copy (priv->detail));
  else
    json_object_set_null_member (object, "detail");
  set_member_string (object, "method", priv ? priv->method : NULL);
  set_member_string (object, "url", priv ? priv->url : NULL);
  set_member_string (object, "path", priv ? priv->path : NULL);
  json_object_set_boolean_member (object, "outcome_unknown",
      priv && priv->outcome_unknown);
  return json_node_init_object (json_node_alloc (), object);
}

void
synapse_client_error_set_path (GError * error, const char *path)
{
  SynapseClientErrorPrivate *priv = private_of (error);

  if (priv) {
    g_free (priv->path);
    priv->path = g_strdup (path);
  }
}

void
synapse_client_error_annotate (GError * error, const char *method,
    const char *url, guint status_code, JsonNode * detail)
{
  SynapseClientErrorPrivate *priv = private_of (error);

  g_return_if_fail (priv != NULL);

  priv->status_code = status_code;
  g_clear_pointer (&priv->detail, json_node_unref);
  priv->detail = detail ? json_node_ref (detail) : NULL;
  g_free (priv->url);
  priv->url = g_strdup (url);
  g_free (priv->method);
  priv->method = g_strdup (method);
}

void
synapse_client_error_set (GError ** error, SynapseClientError code,
    const char *method, const char *url, guint status_code,
    JsonNode * detail, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *shown_message = NULL;
  g_autofree char *shown = NULL;
  GError *made;
  va_list args;

  /* GLib's rule: a caller may pass NULL for errors it does not want */
  if (error == NULL)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  /* what it quotes of the backend (a reason phrase, a checksum, a
   * detail) reaches terminals */
  shown_message = text_for_display (message, -1);

  made = g_error_new_literal (SYNAPSE_CLIENT_ERROR, code, shown_message);
  shown = synapse_uri_redact (url);
  synapse_client_error_annotate (made, method, shown, status_code, detail);
  g_propagate_error (error, made);
}

void
synapse_client_error_mark_outcome_unknown (GError * error)
{
  SynapseClientErrorPrivate *priv = private_of (error);

  if (priv)
    priv->outcome_unknown = TRUE;
}

/**
 * synapse_client_error_outcome_unknown:
 * @error: a [struct@GLib.Error]
 *
 * Whether the request that failed with @error may have been acted on all
 * the same: a request that is not safe to repeat (creating a model, the
 * first chunk of an upload) whose answer was lost or ambiguous (HTTP 500,
 * 502, 503 or 504, a connection closed or timed out after the request
 * went out). Such a request is never repeated blindly; when the library
 * could not find out what became of it, its error says so and this
 * returns %TRUE. %FALSE for errors of other domains.
 *
 * Returns: %TRUE when the backend may have done what the request asked
 *
 * Since: 0.1
 */
gboolean
synapse_client_error_outcome_unknown (const GError * error)
{
  SynapseClientErrorPrivate *priv = private_of (error);

  return priv && priv->outcome_unknown;
}

void
synapse_set_protocol_error (GError ** error, const char *method,
    const char *url, const char *format, ...)
{
  g_autofree char *what = NULL;
  g_autofree char *shown = synapse_uri_redact (url);
  va_list args;

  if (error == NULL)
    return;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_PROTOCOL, method,
      shown, 0, NULL, "%s %s: unexpected response from the Synapse backend: "
      "%s", method, shown, what);
}
