/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gstsynapseutils.h"
#include "gstsynapseelements.h"

GST_DEBUG_CATEGORY_STATIC (gst_synapse_debug);
#define GST_CAT_DEFAULT gst_synapse_debug

/* libsynapse logs with GLib under this domain (its retries, for one); the
 * plugin shows those lines in the GStreamer log too. */
#define SYNAPSE_LOG_DOMAIN "Synapse"

static void
forward_library_log (const gchar * domain, GLogLevelFlags flags,
    const gchar * message, gpointer user_data)
{
  GstDebugLevel level;

  switch (flags & G_LOG_LEVEL_MASK) {
    case G_LOG_LEVEL_ERROR:
    case G_LOG_LEVEL_CRITICAL:
      level = GST_LEVEL_ERROR;
      break;
    case G_LOG_LEVEL_WARNING:
      level = GST_LEVEL_WARNING;
      break;
    case G_LOG_LEVEL_MESSAGE:
    case G_LOG_LEVEL_INFO:
      level = GST_LEVEL_INFO;
      break;
    default:
      level = GST_LEVEL_DEBUG;
      break;
  }
  GST_CAT_LEVEL_LOG (gst_synapse_debug, level, NULL, "%s", message);

  /* what GLib would have done without this handler */
  g_log_default_handler (domain, flags, message, user_data);
}

/**
 * synapse_element_init:
 * @plugin: the plugin being loaded
 *
 * What every element of the plugin needs once, whichever registers first.
 */
void
synapse_element_init (GstPlugin * plugin)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_synapse_debug, "synapse", 0,
        "Synapse elements and the libsynapse client");
    g_log_set_handler (SYNAPSE_LOG_DOMAIN,
        G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
        forward_library_log, NULL);
    g_once_init_leave (&done, 1);
  }
}

/* The client's own property, so that the elements' ranges and defaults
 * are the library's. */
GParamSpec *
gst_synapse_client_find_property (const gchar * name)
{
  static GObjectClass *client_class = NULL;
  GParamSpec *pspec;

  /* kept for good: the class must outlive the pspecs handed out */
  if (g_once_init_enter (&client_class))
    g_once_init_leave (&client_class, g_type_class_ref (SYNAPSE_TYPE_CLIENT));

  pspec = g_object_class_find_property (client_class, name);
  g_assert (pspec != NULL);
  return pspec;
}

static GParamSpec *
uint_like_client (const gchar * name, const gchar * nick, const gchar * blurb)
{
  GParamSpecUInt *client = G_PARAM_SPEC_UINT (gst_synapse_client_find_property
      (name));

  return g_param_spec_uint (name, nick, blurb, client->minimum,
      client->maximum, client->default_value,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
}

static GParamSpec *
double_like_client (const gchar * name, const gchar * nick, const gchar * blurb)
{
  GParamSpecDouble *client =
      G_PARAM_SPEC_DOUBLE (gst_synapse_client_find_property (name));

  return g_param_spec_double (name, nick, blurb, client->minimum,
      client->maximum, client->default_value,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
}

/**
 * gst_synapse_connection_install_properties:
 * @klass: the class of a Synapse element
 *
 * Installs the connection properties, with the ids of the
 * GST_SYNAPSE_CONNECTION_PROP_* enum. Ranges and defaults are those of
 * #SynapseClient. Each element documents them in its own file.
 */
void
gst_synapse_connection_install_properties (GObjectClass * klass)
{
  GParamSpecBoolean *ssl_strict =
      G_PARAM_SPEC_BOOLEAN (gst_synapse_client_find_property ("ssl-strict"));
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
      | GST_PARAM_MUTABLE_READY;

  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_BASE_URL,
      g_param_spec_string ("base-url", "Base URL",
          "Base URL of the Synapse backend, e.g. https://api.example.com/ "
          "(default: the SYNAPSE_BACKEND_URL environment variable)", NULL,
          flags));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_ACCESS_TOKEN,
      g_param_spec_string ("access-token", "Access token",
          "Personal access token sent to the backend; it reads back as "
          GST_SYNAPSE_SECRET_MASK " (default: the SYNAPSE_ACCESS_TOKEN "
          "environment variable, which keeps it off command lines)", NULL,
          flags));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_ACCESS_TOKEN_FILE,
      g_param_spec_string ("access-token-file", "Access token file",
          "File holding the personal access token, read when the element "
          "starts (surrounding whitespace removed); it replaces the "
          "SYNAPSE_ACCESS_TOKEN environment variable, and setting "
          "access-token as well is an error", NULL, flags));
  g_object_class_install_property (klass, GST_SYNAPSE_CONNECTION_PROP_TENANT,
      g_param_spec_string ("tenant", "Tenant",
          "Tenant code sent to the backend, if any (default: the "
          "SYNAPSE_TENANT environment variable)", NULL, flags));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_TIMEOUT,
      uint_like_client ("timeout", "Timeout",
          "Seconds to wait for a connection or for any read or write before "
          "an attempt fails and is retried (0 = wait forever)"));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_RETRIES,
      uint_like_client ("retries", "Retries",
          "How many times a request is tried again after a failure that "
          "retrying can fix (HTTP 429, 500, 502, 503, 504, a broken "
          "connection or response)"));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_RETRY_BACKOFF_FACTOR,
      double_like_client ("retry-backoff-factor", "Retry backoff factor",
          "Seconds before the first retry; each further retry waits twice "
          "as long (with random jitter), up to retry-backoff-max"));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_RETRY_BACKOFF_MAX,
      double_like_client ("retry-backoff-max", "Retry backoff maximum",
          "Longest wait between two attempts in seconds; it also caps the "
          "backend's Retry-After"));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_SSL_STRICT,
      g_param_spec_boolean ("ssl-strict", "Strict TLS",
          "Refuse HTTPS backends whose certificate is not trusted (turn it "
          "off for tests only)", ssl_strict->default_value, flags));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_CA_FILE,
      g_param_spec_string ("ca-file", "CA file",
          "PEM file of the certificate authorities to trust instead of the "
          "system's, e.g. a company's own CA (empty: the system's)", NULL,
          flags));
  g_object_class_install_property (klass,
      GST_SYNAPSE_CONNECTION_PROP_LOW_SPEED_LIMIT,
      uint_like_client ("low-speed-limit", "Low-speed limit",
          "Slowest transfer accepted, in bytes a second: an attempt that "
          "moves less than this times timeout in any timeout seconds fails "
          "and is retried like a timeout (0 = no limit)"));
}

static gchar *
dup_env (const gchar * name)
{
  const gchar *value = g_getenv (name);

  return value && *value ? g_strdup (value) : NULL;
}

/* Frees a secret after overwriting it, so that it does not linger in freed
 * memory. */
static void
free_secret (gchar * secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

/**
 * gst_synapse_connection_init:
 * @conn: the connection settings of a new element
 *
 * Sets the defaults: the environment for the URL and the credentials, the
 * library's defaults for the rest.
 */
void
gst_synapse_connection_init (GstSynapseConnection * conn)
{
  memset (conn, 0, sizeof (*conn));
  conn->base_url = dup_env ("SYNAPSE_BACKEND_URL");
  conn->access_token = dup_env ("SYNAPSE_ACCESS_TOKEN");
  conn->access_token_from_env = conn->access_token != NULL;
  conn->tenant = dup_env ("SYNAPSE_TENANT");
  conn->timeout =
      G_PARAM_SPEC_UINT (gst_synapse_client_find_property
      ("timeout"))->default_value;
  conn->low_speed_limit =
      G_PARAM_SPEC_UINT (gst_synapse_client_find_property
      ("low-speed-limit"))->default_value;
  conn->retries =
      G_PARAM_SPEC_UINT (gst_synapse_client_find_property
      ("retries"))->default_value;
  conn->retry_backoff_factor =
      G_PARAM_SPEC_DOUBLE (gst_synapse_client_find_property
      ("retry-backoff-factor"))->default_value;
  conn->retry_backoff_max =
      G_PARAM_SPEC_DOUBLE (gst_synapse_client_find_property
      ("retry-backoff-max"))->default_value;
  conn->ssl_strict =
      G_PARAM_SPEC_BOOLEAN (gst_synapse_client_find_property
      ("ssl-strict"))->default_value;
}

void
gst_synapse_connection_clear (GstSynapseConnection * conn)
{
  g_clear_pointer (&conn->base_url, free_secret);
  g_clear_pointer (&conn->access_token, free_secret);
  g_clear_pointer (&conn->access_token_file, g_free);
  g_clear_pointer (&conn->tenant, g_free);
  g_clear_pointer (&conn->ca_file, g_free);
}

static gchar *
dup_nonempty (const GValue * value)
{
  const gchar *str = g_value_get_string (value);

  return str && *str ? g_strdup (str) : NULL;
}

/**
 * gst_synapse_connection_set_property:
 * @conn: connection settings, with the element's object lock held
 * @prop_id: a property id
 * @value: the new value
 *
 * Returns: %TRUE if @prop_id was a connection property
 */
gboolean
gst_synapse_connection_set_property (GstSynapseConnection * conn,
    guint prop_id, const GValue * value)
{
  switch (prop_id) {
    case GST_SYNAPSE_CONNECTION_PROP_BASE_URL:
      /* it may hold a password */
      free_secret (conn->base_url);
      conn->base_url = dup_nonempty (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_ACCESS_TOKEN:
      free_secret (conn->access_token);
      conn->access_token = dup_nonempty (value);
      conn->access_token_from_env = FALSE;
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_ACCESS_TOKEN_FILE:
      g_free (conn->access_token_file);
      conn->access_token_file = dup_nonempty (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_TENANT:
      g_free (conn->tenant);
      conn->tenant = dup_nonempty (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_TIMEOUT:
      conn->timeout = g_value_get_uint (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_LOW_SPEED_LIMIT:
      conn->low_speed_limit = g_value_get_uint (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_RETRIES:
      conn->retries = g_value_get_uint (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_RETRY_BACKOFF_FACTOR:
      conn->retry_backoff_factor = g_value_get_double (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_RETRY_BACKOFF_MAX:
      conn->retry_backoff_max = g_value_get_double (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_SSL_STRICT:
      conn->ssl_strict = g_value_get_boolean (value);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_CA_FILE:
      g_free (conn->ca_file);
      conn->ca_file = dup_nonempty (value);
      return TRUE;
    default:
      return FALSE;
  }
}

/* @url for people and property reads: without userinfo (a password the
 * base URL was given with), and nothing at all when it does not parse (it
 * could hold anything). */
static gchar *
shown_url (const gchar * url)
{
  g_autoptr (GUri) uri = NULL;

  if (url == NULL)
    return NULL;
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED,
      NULL);
  if (uri == NULL)
    return g_strdup ("(unparsable)");
  if (g_uri_get_userinfo (uri) == NULL)
    return g_strdup (url);
  return g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
}

/**
 * gst_synapse_connection_get_property:
 * @conn: connection settings, with the element's object lock held
 * @prop_id: a property id
 * @value: set to the value
 *
 * The access token is never handed out: it reads as
 * %GST_SYNAPSE_SECRET_MASK when set and %NULL otherwise; the base URL reads
 * without the user and password it may hold.
 *
 * Returns: %TRUE if @prop_id was a connection property
 */
gboolean
gst_synapse_connection_get_property (GstSynapseConnection * conn,
    guint prop_id, GValue * value)
{
  switch (prop_id) {
    case GST_SYNAPSE_CONNECTION_PROP_BASE_URL:
      g_value_take_string (value, shown_url (conn->base_url));
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_ACCESS_TOKEN:
      g_value_set_static_string (value,
          conn->access_token ? GST_SYNAPSE_SECRET_MASK : NULL);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_ACCESS_TOKEN_FILE:
      /* the path, not the token */
      g_value_set_string (value, conn->access_token_file);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_TENANT:
      g_value_set_string (value, conn->tenant);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_TIMEOUT:
      g_value_set_uint (value, conn->timeout);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_LOW_SPEED_LIMIT:
      g_value_set_uint (value, conn->low_speed_limit);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_RETRIES:
      g_value_set_uint (value, conn->retries);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_RETRY_BACKOFF_FACTOR:
      g_value_set_double (value, conn->retry_backoff_factor);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_RETRY_BACKOFF_MAX:
      g_value_set_double (value, conn->retry_backoff_max);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_SSL_STRICT:
      g_value_set_boolean (value, conn->ssl_strict);
      return TRUE;
    case GST_SYNAPSE_CONNECTION_PROP_CA_FILE:
      g_value_set_string (value, conn->ca_file);
      return TRUE;
    default:
      return FALSE;
  }
}

/**
 * gst_synapse_connection_has_access_token:
 * @element: the element owning @conn
 * @conn: its connection settings
 *
 * Returns: whether an access token is set, or a file to read it from
 */
gboolean
gst_synapse_connection_has_access_token (GstElement * element,
    GstSynapseConnection * conn)
{
  gboolean has_token;

  GST_OBJECT_LOCK (element);
  has_token = conn->access_token != NULL || conn->access_token_file != NULL;
  GST_OBJECT_UNLOCK (element);
  return has_token;
}


/* A token file larger than this is not a token file. */
#define MAX_TOKEN_FILE_SIZE (64 * 1024)

/* The access token held in the file at @path: its content without the
 * surrounding whitespace (the newline editors and `echo` add). A FIFO or
 * a /dev/fd/N path works too (`access-token-file=<(pass synapse)` in a
 * shell). Errors say what is wrong with the file, never what it holds. */
static gchar *
read_token_file (const gchar * path, GError ** error)
{
  gchar *raw = g_malloc (MAX_TOKEN_FILE_SIZE + 1);
  gsize length = 0, start, end;
  gchar *token = NULL;
  gint fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0) {
    gint saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
        "cannot open it: %s", g_strerror (saved));
    goto out;
  }
  while (length <= MAX_TOKEN_FILE_SIZE) {
    gssize n = read (fd, raw + length, MAX_TOKEN_FILE_SIZE + 1 - length);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      gint saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
          "cannot read it: %s", g_strerror (saved));
      goto out;
    }
    if (n == 0)
      break;
    length += n;
  }
  if (length > MAX_TOKEN_FILE_SIZE) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
        "it is larger than %u bytes: not a token file", MAX_TOKEN_FILE_SIZE);
    goto out;
  }

  for (start = 0; start < length && g_ascii_isspace (raw[start]); start++);
  for (end = length; end > start && g_ascii_isspace (raw[end - 1]); end--);
  if (start == end) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "it is empty");
    goto out;
  }
  /* a token goes into an HTTP header: one line of printable text */
  for (gsize i = start; i < end; i++) {
    if ((guchar) raw[i] < 0x20 || raw[i] == 0x7f) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
          "it holds more than one line or control characters, where a "
          "token is one line of text");
      goto out;
    }
  }
  token = g_strndup (raw + start, end - start);

out:
  if (fd >= 0)
    g_close (fd, NULL);
  /* the token does not linger in freed memory */
  memset (raw, 0, MAX_TOKEN_FILE_SIZE + 1);
  g_free (raw);
  return token;
}

/**
 * gst_synapse_connection_make_client:
 * @element: the element owning @conn; errors are posted on it
 * @conn: its connection settings
 *
 * Makes a client from the element's connection properties. A missing or
 * malformed base URL is posted as a RESOURCE SETTINGS error. With
 * `access-token-file`, the token is read from the file now: a file that
 * cannot be read, or that is empty, is a RESOURCE SETTINGS error, and so
 * is an `access-token` set as well (one set by SYNAPSE_ACCESS_TOKEN is
 * replaced by the file's), and so is a credential holding a control
 * character (synapse_client_check_credentials()).
 *
 * Returns: (transfer full) (nullable): the client, or %NULL after posting
 *   an error
 */
SynapseClient *
gst_synapse_connection_make_client (GstElement * element,
    GstSynapseConnection * conn)
{
  g_autofree gchar *base_url = NULL;
  g_autofree gchar *tenant = NULL;
  g_autofree gchar *token_file = NULL;
  g_autofree gchar *ca_file = NULL;
  g_autoptr (GUri) uri = NULL;
  gchar *token;
  gboolean token_from_env;
  guint timeout, low_speed_limit, retries;
  gdouble backoff_factor, backoff_max;
  gboolean ssl_strict;
  SynapseClient *client;
  gboolean has_token;

  GST_OBJECT_LOCK (element);
  base_url = g_strdup (conn->base_url);
  token = g_strdup (conn->access_token);
  token_from_env = conn->access_token_from_env;
  token_file = g_strdup (conn->access_token_file);
  ca_file = g_strdup (conn->ca_file);
  tenant = g_strdup (conn->tenant);
  timeout = conn->timeout;
  low_speed_limit = conn->low_speed_limit;
  retries = conn->retries;
  backoff_factor = conn->retry_backoff_factor;
  backoff_max = conn->retry_backoff_max;
  ssl_strict = conn->ssl_strict;
  GST_OBJECT_UNLOCK (element);

  if (base_url == NULL) {
    free_secret (token);
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("No Synapse backend URL is set: set the base-url property or the "
            "SYNAPSE_BACKEND_URL environment variable."), (NULL));
    return NULL;
  }

  uri = g_uri_parse (base_url, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED,
      NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || *g_uri_get_host (uri) == '\0'
      || (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0
          && g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0)) {
    g_autofree gchar *shown = shown_url (base_url);

    free_secret (token);
    GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
        ("The Synapse backend URL %s is not an http or https URL.", shown),
        (NULL));
    return NULL;
  }

  /* checked here, where a bad file is a setting to fix, rather than at the
   * first request, where it would look like an untrusted backend */
  if (ca_file) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GTlsDatabase) database = g_tls_file_database_new (ca_file,
        &error);

    if (database == NULL) {
      gboolean period = g_str_has_suffix (error->message, ".");

      free_secret (token);
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
          ("Cannot use the ca-file \"%s\": %s%s", ca_file, error->message,
              period ? "" : "."), (NULL));
      return NULL;
    }
  }

  if (token_file) {
    g_autoptr (GError) error = NULL;

    if (token && !token_from_env) {
      free_secret (token);
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
          ("Both access-token and access-token-file are set: set only one "
              "of them."), (NULL));
      return NULL;
    }
    free_secret (token);
    token = read_token_file (token_file, &error);
    if (token == NULL) {
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS,
          ("Cannot use the access-token-file \"%s\": %s.", token_file,
              error->message), (NULL));
      return NULL;
    }
  }

  client = g_object_new (SYNAPSE_TYPE_CLIENT, "base-url", base_url,
      "access-token", token, "tenant", tenant, "timeout", timeout,
      "low-speed-limit", low_speed_limit, "retries", retries,
      "retry-backoff-factor", backoff_factor, "retry-backoff-max", backoff_max,
      "ssl-strict", ssl_strict, "ca-file", ca_file, NULL);
  has_token = token != NULL;
  free_secret (token);

  /* a credential that cannot go into a header would be dropped from every
   * request: a setting to fix, said before any request */
  {
    g_autoptr (GError) error = NULL;

    if (!synapse_client_check_credentials (client, &error)) {
      /* the access-token (SYNAPSE_ACCESS_TOKEN by default) is named, never
       * its value */
      GST_ELEMENT_ERROR (element, RESOURCE, SETTINGS, ("%s.", error->message),
          (NULL));
      g_object_unref (client);
      return NULL;
    }
  }

  GST_DEBUG_OBJECT (element, "client for %s (token %s%s%s, timeout %u s, "
      "low-speed limit %u B/s, %u retries, backoff %.3f s up to %.3f s, "
      "ssl-strict %d%s%s)",
      synapse_client_get_base_url (client), has_token ? "set" : "unset",
      token_file ? " from " : "", token_file ? token_file : "",
      timeout, low_speed_limit, retries, backoff_factor, backoff_max,
      ssl_strict, ca_file ? ", CAs of " : "", ca_file ? ca_file : "");
  return client;
}

/* "scheme://host[:port]" of @url, or NULL. */
static gchar *
origin_of (const gchar * url)
{
  g_autoptr (GUri) uri = NULL;

  if (url == NULL)
    return NULL;
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED,
      NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri),
        g_uri_get_host (uri), g_uri_get_port (uri));
  return g_strdup_printf ("%s://%s", g_uri_get_scheme (uri),
      g_uri_get_host (uri));
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
 * @error: a #GError from libsynapse
 *
 * The message for people that gst_synapse_element_post_client_error()
 * posts by default, e.g. "The Synapse backend refused the request as
 * invalid (HTTP 400): name: This field is required.", for an element that
 * puts words of its own around it. It never holds a credential.
 *
 * Returns: (transfer full): the message
 */
gchar *
gst_synapse_describe_client_error (const GError * error)
{
  g_return_val_if_fail (error != NULL, NULL);

  return describe_client_error (error);
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

  message = text ? g_strdup (text) : describe_client_error (error);
  gst_element_message_full_with_details (element, GST_MESSAGE_ERROR,
      GST_RESOURCE_ERROR, resource_error_for (error, fallback), message,
      g_strdup (error->message), file, function, line, details);
}

/**
 * gst_synapse_element_post_progress:
 * @element: the element
 * @type: the #GstProgressType
 * @code: the progress code, e.g. `request`
 * @percent: how far the operation is, 0–100, or -1 when not known; added
 *   as the `percent` field (gint) of the message
 * @format: printf format of the message for people
 * @...: its arguments
 *
 * Posts a %GST_MESSAGE_PROGRESS.
 */
void
gst_synapse_element_post_progress (GstElement * element, GstProgressType type,
    const gchar * code, gint percent, const gchar * format, ...)
{
  GstMessage *message;
  gchar *text;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  message = gst_message_new_progress (GST_OBJECT_CAST (element), type, code,
      text);
  if (percent >= 0)
    gst_structure_set (gst_message_writable_structure (message), "percent",
        G_TYPE_INT, CLAMP (percent, 0, 100), NULL);
  g_free (text);

  gst_element_post_message (element, message);
}

/* One query parameter value: a number, boolean or string. */
static JsonNode *
scalar_to_json (const gchar * field, const GValue * value, GError ** error)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);
  GType type = G_VALUE_TYPE (value);

  if (type == G_TYPE_INT) {
    json_node_set_int (node, g_value_get_int (value));
  } else if (type == G_TYPE_UINT) {
    json_node_set_int (node, g_value_get_uint (value));
  } else if (type == G_TYPE_INT64) {
    json_node_set_int (node, g_value_get_int64 (value));
  } else if (type == G_TYPE_UINT64) {
    if (g_value_get_uint64 (value) > G_MAXINT64)
      goto unsupported;
    json_node_set_int (node, (gint64) g_value_get_uint64 (value));
  } else if (type == G_TYPE_BOOLEAN) {
    json_node_set_boolean (node, g_value_get_boolean (value));
  } else if (type == G_TYPE_DOUBLE) {
    json_node_set_double (node, g_value_get_double (value));
  } else if (type == G_TYPE_FLOAT) {
    json_node_set_double (node, g_value_get_float (value));
  } else if (type == G_TYPE_STRING && g_value_get_string (value) != NULL) {
    json_node_set_string (node, g_value_get_string (value));
  } else {
    goto unsupported;
  }
  return node;

unsupported:
  json_node_unref (node);
  g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      "the field \"%s\" holds a %s; a query parameter must be a whole "
      "number (up to 2^63 - 1), a number, a boolean, a string, or a list of "
      "them", field, g_type_name (type));
  return NULL;
}

static JsonNode *
value_to_json (const gchar * field, const GValue * value, GError ** error)
{
  JsonArray *array;
  JsonNode *node;
  guint size;
  gboolean is_array = GST_VALUE_HOLDS_ARRAY (value);

  if (!is_array && !GST_VALUE_HOLDS_LIST (value))
    return scalar_to_json (field, value, error);

  size = is_array ? gst_value_array_get_size (value)
      : gst_value_list_get_size (value);
  array = json_array_sized_new (size);
  for (guint i = 0; i < size; i++) {
    const GValue *item = is_array ? gst_value_array_get_value (value, i)
        : gst_value_list_get_value (value, i);

    node = scalar_to_json (field, item, error);
    if (node == NULL) {
      json_array_unref (array);
      return NULL;
    }
    json_array_add_element (array, node);
  }
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}

/**
 * gst_synapse_structure_to_params:
 * @structure: a #GstStructure, e.g. from `params, page_size=50, search=cat`
 * @error: return location for a #GError (GST_RESOURCE_ERROR_SETTINGS)
 *
 * Query parameters from the fields of @structure (its name is not used):
 * whole numbers, numbers, booleans and strings, and arrays (`<1,2>`) or
 * lists (`{1,2}`) of them, which are sent as the same key repeated.
 *
 * Returns: (transfer full) (nullable): the parameters, or %NULL with
 *   @error set when a field has another type
 */
JsonObject *
gst_synapse_structure_to_params (const GstStructure * structure,
    GError ** error)
{
  g_autoptr (JsonObject) params = json_object_new ();
  guint n = gst_structure_n_fields (structure);

  for (guint i = 0; i < n; i++) {
    const gchar *field = gst_structure_nth_field_name (structure, i);
    JsonNode *node = value_to_json (field,
        gst_structure_get_value (structure, field), error);

    if (node == NULL)
      return NULL;
    json_object_set_member (params, field, node);
  }
  return g_steal_pointer (&params);
}
