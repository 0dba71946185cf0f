/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the connection of a Synapse element to its backend,
 * declared once for every element.
 *
 * - The GstSynapseConnection interface, whose properties (base-url, the
 *   credentials, TLS, timeouts, retries) are installed on the interface
 *   and documented here, once; the interface is marked as plugin API, so
 *   that the documentation shows it once and each element lists it among
 *   its interfaces (gst-inspect-1.0 prints the properties with each
 *   element, as it prints every property). An interface rather than a
 *   helper that installs copies on each class, because the properties
 *   are then one set of GParamSpecs that applications and bindings can
 *   recognise on any Synapse element (g_type_is_a (type,
 *   GST_TYPE_SYNAPSE_CONNECTION)), as GstURIHandler or GstChildProxy are.
 * - Their values, which this file keeps for each element (in its qdata,
 *   under the element's object lock): the defaults from the environment
 *   as the element is made, the token and any password in the URL never
 *   read back nor left in freed memory.
 * - The one place an element gets its SynapseClient:
 *   gst_synapse_connection_make_client (), which looks for a
 *   `synapse.client` GstContext first (one client shared by a pipeline:
 *   the application's, or one another element made from the same
 *   settings), else reads an access-token file, refuses settings that
 *   cannot work before any request, makes the client and posts it as a
 *   context; the elements' set_context () keeps what they are given.
 * - Properties that mirror one of the client's (page-size, chunk-size,
 *   timeout…), so that their ranges and defaults are the library's.
 *
 * An element joins with a few lines (gstsynapsesettings.c does the
 * property plumbing; a listing source adds gstsynapselisting.c's):
 *
 *   GST_SYNAPSE_ELEMENT_DEFINE (synapsemediasrc, GstSynapseMediaSrc,
 *       gst_synapse_media_src, GST_TYPE_PUSH_SRC,
 *       GST_TYPE_SYNAPSE_MEDIA_SRC);     (gstsynapseelements.h)
 *
 *   class_init:  gst_synapse_settings_install (gobject_class, properties,
 *                    property_fields, N_PROPS);
 *                    (its own properties, then these)
 *   init:        gst_synapse_settings_init (G_OBJECT (self));
 *   finalize:    gst_synapse_settings_clear (G_OBJECT (self));
 *   start:       self->client = gst_synapse_connection_make_client (
 *                    GST_SYNAPSE_CONNECTION (self));   (NULL: error posted)
 *   on failure:  GST_SYNAPSE_ELEMENT_CLIENT_ERROR (self, error,
 *                    GST_RESOURCE_ERROR_READ, NULL);   (gstsynapseerror.h)
 */

/**
 * SECTION:gstsynapseconnection
 * @title: GstSynapseConnection
 * @short_description: the connection properties of every Synapse element
 * @see_also: synapsegtsrc, synapsemediasrc, synapsemodelsink
 *
 * Every Synapse element implements this interface: its properties say
 * which backend the element talks to, with which credentials, and how
 * patiently. They are set before the element starts
 * (%GST_PARAM_MUTABLE_READY), which is when the element makes its client
 * and checks them: settings that cannot work (no base URL, a URL that is
 * not http or https, an unreadable token file or CA file, a credential
 * holding a control character) fail with a RESOURCE SETTINGS error then,
 * before any request; so does a number out of its property's range, which
 * GObject would otherwise refuse with a GLib warning and ignore (the error
 * names the property and its range; its details hold the name as
 * `property`).
 *
 * The backend's URL and credentials default to the environment variables
 * `SYNAPSE_BACKEND_URL`, `SYNAPSE_ACCESS_TOKEN` and `SYNAPSE_TENANT`, read
 * when the element is made, so that a token need not appear on a command
 * line, or read from a file with #GstSynapseConnection:access-token-file.
 * The properties read back what was set on them, never the environment
 * (%NULL when they are not set), so that gst-inspect-1.0 shows the same
 * defaults whatever the caller's environment holds.
 * The #GstSynapseConnection:access-token property never reads back in
 * clear, and the token appears in no log line or message; nor does a
 * password in #GstSynapseConnection:base-url. A credential holding a
 * control character (a line break, say) cannot be sent in a header and is
 * a RESOURCE SETTINGS error at start, before any request.
 *
 * Failed requests are retried when retrying can help, with exponential
 * backoff (#GstSynapseConnection:retries); an attempt that stalls, or
 * moves next to nothing, is given up as a timeout after about
 * #GstSynapseConnection:timeout seconds and retried
 * (#GstSynapseConnection:low-speed-limit). What each element retries, and
 * what it recovers rather than repeats, its own documentation says.
 *
 * ## One client for the whole pipeline
 *
 * The elements of a pipeline share one SynapseClient through a GstContext
 * of type `synapse.client` (#GST_SYNAPSE_CLIENT_CONTEXT), whose structure
 * holds the client in the field `client`, as souphttpsrc shares its
 * session through `gst.soup.session`:
 *
 * * An application configures one client (URL, token, TLS, proxy,
 *   retries) and sets the context on the pipeline, or answers an
 *   element's need-context message with it from a bus sync handler; every
 *   Synapse element then uses that client, and its own connection
 *   properties do not apply. From a binding that cannot fill a
 *   GstContext's structure (PyGObject 3.42 hands out a copy), set
 *   #GstSynapseConnection:client on one element instead: it offers the
 *   client to the others.
 * * Otherwise an element makes a client from its connection properties as
 *   it starts and posts it in a have-context message; an element of the
 *   same pipeline whose connection properties are the same (URL,
 *   credentials, tenant, TLS settings, timeouts and retries) uses that
 *   client instead of making another one.
 *
 * |[<!-- language="C" -->
 * GstContext *context = gst_context_new ("synapse.client", TRUE);
 *
 * gst_structure_set (gst_context_writable_structure (context), "client",
 *     SYNAPSE_TYPE_CLIENT, client, NULL);
 * gst_element_set_context (pipeline, context);
 * gst_context_unref (context);
 * ]|
 *
 * The paging properties (page-size, prefetch…) stay the element's, even
 * on a shared client.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "gstsynapseconnection.h"
#include "gstsynapseelements.h"
#include "gstsynapsesettings.h"

#define GST_CAT_DEFAULT gst_synapse_debug

/* The mask get_property returns for a secret that is set. */
#define SECRET_MASK "********"

enum
{
  PROP_0,
  PROP_BASE_URL,
  PROP_ACCESS_TOKEN,
  PROP_ACCESS_TOKEN_FILE,
  PROP_TENANT,
  PROP_TIMEOUT,
  PROP_RETRIES,
  PROP_RETRY_BACKOFF_FACTOR,
  PROP_RETRY_BACKOFF_MAX,
  PROP_SSL_STRICT,
  PROP_CA_FILE,
  PROP_LOW_SPEED_LIMIT,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The connection settings of an element, guarded by its object lock. */
typedef struct
{
  /* as set on the properties (NULL: not set) */
  gchar *base_url;
  gchar *access_token;
  /* SYNAPSE_BACKEND_URL, SYNAPSE_ACCESS_TOKEN and SYNAPSE_TENANT as the
   * element was made: used where the property is not set, never read back
   * (gst-inspect-1.0 would show the caller's environment as defaults) */
  gchar *env_base_url;
  gchar *env_access_token;
  gchar *env_tenant;
  /* read at start (gst_synapse_connection_make_client ()) */
  gchar *access_token_file;
  gchar *tenant;
  guint timeout;
  guint low_speed_limit;
  guint retries;
  gdouble retry_backoff_factor;
  gdouble retry_backoff_max;
  gboolean ssl_strict;
  gchar *ca_file;
  /* from a synapse.client context (set_context ()) */
  SynapseClient *shared;
  /* the client property */
  SynapseClient *client;
} Connection;

static Connection *connection_of (GstSynapseConnection * self);
static void post_client (GstSynapseConnection * self, SynapseClient * client);

G_DEFINE_INTERFACE (GstSynapseConnection, gst_synapse_connection,
    GST_TYPE_ELEMENT);

static GQuark
connection_quark (void)
{
  return g_quark_from_static_string ("gst-synapse-connection");
}

/* On a client an element made: a digest of the settings it was made from,
 * so that another element with the same settings reuses it. A client
 * without it is the application's. */
static GQuark
settings_digest_quark (void)
{
  return g_quark_from_static_string ("gst-synapse-settings-digest");
}

/* The client's own property @name. */
static GParamSpec *
client_property (const gchar * name)
{
  static GObjectClass *client_class = NULL;
  GParamSpec *pspec;

  /* kept for good: the class must outlive the pspecs looked at */
  if (g_once_init_enter (&client_class))
    g_once_init_leave (&client_class, g_type_class_ref (SYNAPSE_TYPE_CLIENT));

  pspec = g_object_class_find_property (client_class, name);
  g_assert (pspec != NULL);
  return pspec;
}

/**
 * gst_synapse_param_spec_like_client:
 * @name: the name of a boolean, unsigned or double property of
 *   SynapseClient, which the element's property passes on
 * @nick: (not nullable): a static nick
 * @blurb: (not nullable): a static blurb for people using the element
 *
 * A property with the type, range and default of the client's @name, so
 * that an element offers what the library accepts, and the library's
 * default: writable, mutable in READY.
 *
 * Returns: (transfer floating): the property
 */
GParamSpec *
gst_synapse_param_spec_like_client (const gchar * name, const gchar * nick,
    const gchar * blurb)
{
  const GParamFlags flags = GST_SYNAPSE_PARAM_SETTING;
  GParamSpec *client = client_property (name);

  switch (G_TYPE_FUNDAMENTAL (client->value_type)) {
    case G_TYPE_BOOLEAN:
      return g_param_spec_boolean (name, nick, blurb,
          G_PARAM_SPEC_BOOLEAN (client)->default_value, flags);
    case G_TYPE_UINT:{
      GParamSpecUInt *spec = G_PARAM_SPEC_UINT (client);

      return g_param_spec_uint (name, nick, blurb, spec->minimum,
          spec->maximum, spec->default_value, flags);
    }
    case G_TYPE_UINT64:{
      GParamSpecUInt64 *spec = G_PARAM_SPEC_UINT64 (client);

      return g_param_spec_uint64 (name, nick, blurb, spec->minimum,
          spec->maximum, spec->default_value, flags);
    }
    case G_TYPE_DOUBLE:{
      GParamSpecDouble *spec = G_PARAM_SPEC_DOUBLE (client);

      return g_param_spec_double (name, nick, blurb, spec->minimum,
          spec->maximum, spec->default_value, flags);
    }
    default:
      g_assert_not_reached ();
  }
}

static void
gst_synapse_connection_default_init (GstSynapseConnectionInterface * iface)
{
  const GParamFlags flags = GST_SYNAPSE_PARAM_SETTING;

  /**
   * GstSynapseConnection:base-url:
   *
   * The base URL of the Synapse backend, e.g. `https://api.example.com/`.
   * When the property is not set (or set to %NULL or an empty string), the
   * element uses the environment variable `SYNAPSE_BACKEND_URL` as it was
   * when the element was made; the property then reads %NULL, so that
   * gst-inspect-1.0 never shows the environment as the default. A missing
   * URL, or one
   * that is not http or https with a host, fails with a RESOURCE SETTINGS
   * error when the element starts.
   *
   * A user and password in it (`https://user:password@api.example.com/`,
   * say for a proxy with Basic authentication) are taken out of it: they
   * are sent as `Authorization: Basic …` to the backend's origin only, and
   * the URL reads back, and appears in logs and messages, without them.
   * Prefer `SYNAPSE_BACKEND_URL` for such a URL: GStreamer's parser logs a
   * launch line at the DEBUG level.
   */
  properties[PROP_BASE_URL] =
      g_param_spec_string ("base-url", "Base URL",
      "Base URL of the Synapse backend, e.g. https://api.example.com/ "
      "(default: the SYNAPSE_BACKEND_URL environment variable)", NULL, flags);

  /**
   * GstSynapseConnection:access-token:
   *
   * The personal access token, sent to the backend (and only to its
   * origin) as `Synapse-Access-Token: Token …`. When the property is not
   * set, the element uses the environment variable `SYNAPSE_ACCESS_TOKEN`
   * as it was when the element was made, which keeps the token off
   * command lines. Reading the property gives %NULL when no token is set
   * on it (whatever the environment holds) and `********` when one is:
   * the token itself is never read back.
   */
  properties[PROP_ACCESS_TOKEN] =
      g_param_spec_string ("access-token", "Access token",
      "Personal access token sent to the backend; it reads back as "
      SECRET_MASK " (default: the SYNAPSE_ACCESS_TOKEN environment variable, "
      "which keeps it off command lines)", NULL, flags);

  /**
   * GstSynapseConnection:access-token-file:
   *
   * A file holding the personal access token, read each time the element
   * starts: its content without the surrounding whitespace (a trailing
   * newline, say) is the token. It keeps the token off command lines and
   * out of the environment (GStreamer's parser logs a launch line,
   * `access-token=…` included, at the DEBUG level); a FIFO works too,
   * e.g. `access-token-file=<(pass show synapse)` in bash. A file that is
   * missing, unreadable, empty, larger than 64 KiB or more than one line
   * fails with a RESOURCE SETTINGS error at start, which names the file
   * but never shows its content. The file's token replaces one read from
   * `SYNAPSE_ACCESS_TOKEN`; setting #GstSynapseConnection:access-token as
   * well is a RESOURCE SETTINGS error at start. Reading the property
   * gives the path.
   */
  properties[PROP_ACCESS_TOKEN_FILE] =
      g_param_spec_string ("access-token-file", "Access token file",
      "File holding the personal access token, read when the element "
      "starts (surrounding whitespace removed); it replaces the "
      "SYNAPSE_ACCESS_TOKEN environment variable, and setting "
      "access-token as well is an error", NULL, flags);

  /**
   * GstSynapseConnection:tenant:
   *
   * The tenant code, sent as `Synapse-Tenant: Token …` when set. When the
   * property is not set, the element uses the environment variable
   * `SYNAPSE_TENANT` as it was when the element was made (the property
   * then reads %NULL).
   */
  properties[PROP_TENANT] =
      g_param_spec_string ("tenant", "Tenant",
      "Tenant code sent to the backend, if any (default: the "
      "SYNAPSE_TENANT environment variable)", NULL, flags);

  /**
   * GstSynapseConnection:timeout:
   *
   * Seconds to wait for a connection, or for any read or write on it,
   * before the attempt fails (and is retried); 0 waits forever. A stalled
   * request never blocks a state change: going to READY cancels it.
   */
  properties[PROP_TIMEOUT] =
      gst_synapse_param_spec_like_client ("timeout", "Timeout",
      "Seconds to wait for a connection or for any read or write before "
      "an attempt fails and is retried (0 = wait forever)");

  /**
   * GstSynapseConnection:retries:
   *
   * How many times a failed request is tried again when retrying can
   * help: HTTP 429 (honouring `Retry-After`), 500, 502, 503 and 504, a
   * refused or broken connection, a timeout, a cut or malformed answer.
   * Other failures (401, 403, 404, 400, 413…) end the element's work at
   * once. A request whose repetition could do harm is not repeated
   * blindly: synapsemodelsink looks a lost model creation up first.
   */
  properties[PROP_RETRIES] =
      gst_synapse_param_spec_like_client ("retries", "Retries",
      "How many times a request is tried again after a failure that "
      "retrying can fix (HTTP 429, 500, 502, 503, 504, a broken "
      "connection or response)");

  /**
   * GstSynapseConnection:retry-backoff-factor:
   *
   * Seconds to wait before the first retry; each further retry of the
   * same request waits twice as long, with random jitter down to half,
   * up to #GstSynapseConnection:retry-backoff-max.
   */
  properties[PROP_RETRY_BACKOFF_FACTOR] =
      gst_synapse_param_spec_like_client ("retry-backoff-factor",
      "Retry backoff factor",
      "Seconds before the first retry; each further retry waits twice "
      "as long (with random jitter), up to retry-backoff-max");

  /**
   * GstSynapseConnection:retry-backoff-max:
   *
   * The longest wait between two attempts, in seconds; it also caps the
   * backend's `Retry-After`.
   */
  properties[PROP_RETRY_BACKOFF_MAX] =
      gst_synapse_param_spec_like_client ("retry-backoff-max",
      "Retry backoff maximum",
      "Longest wait between two attempts in seconds; it also caps the "
      "backend's Retry-After");

  /**
   * GstSynapseConnection:ssl-strict:
   *
   * Whether an HTTPS backend's certificate must be trusted. Turning it
   * off accepts any certificate: for tests only; prefer
   * #GstSynapseConnection:ca-file.
   */
  properties[PROP_SSL_STRICT] =
      gst_synapse_param_spec_like_client ("ssl-strict", "Strict TLS",
      "Refuse HTTPS backends whose certificate is not trusted (turn it "
      "off for tests only)");

  /**
   * GstSynapseConnection:ca-file:
   *
   * A PEM file of the certificate authorities to trust instead of the
   * system's, for a backend whose certificate a company's own CA signed.
   * A file that cannot be read or holds no certificate fails with a
   * RESOURCE SETTINGS error at start; a backend whose certificate is not
   * trusted fails at the first request, before any credential is sent.
   */
  properties[PROP_CA_FILE] =
      g_param_spec_string ("ca-file", "CA file",
      "PEM file of the certificate authorities to trust instead of the "
      "system's, e.g. a company's own CA (empty: the system's)", NULL, flags);

  /**
   * GstSynapseConnection:low-speed-limit:
   *
   * The slowest transfer accepted, in bytes a second (curl's
   * `--speed-limit`, with #GstSynapseConnection:timeout as its
   * `--speed-time`): an attempt that moves fewer than low-speed-limit ×
   * timeout bytes in any window of timeout seconds fails as a timeout and
   * is retried like one. Waiting for an answer moves nothing, however many
   * `102 Processing` the backend sends, so a backend that trickles a byte
   * a second or keeps a request waiting for ever cannot hold the element.
   * 0 turns the limit off (so does a timeout of 0).
   */
  properties[PROP_LOW_SPEED_LIMIT] =
      gst_synapse_param_spec_like_client ("low-speed-limit",
      "Low-speed limit",
      "Slowest transfer accepted, in bytes a second: an attempt that "
      "moves less than this times timeout in any timeout seconds fails "
      "and is retried like a timeout (0 = no limit)");

  /**
   * GstSynapseConnection:client:
   *
   * An application's client, for this element and, shared as a
   * `synapse.client` GstContext, for every Synapse element of the
   * pipeline: when it is set, the connection properties above do not
   * apply. It is what a C application does with a GstContext set on the
   * pipeline, in one property, for bindings that cannot fill a
   * GstContext's structure (PyGObject 3.42 hands out a copy of it). Set on
   * an element that is in its pipeline already, it is offered to the
   * others at once, so that every element has it before any starts; else
   * when the element starts. %NULL (the default): the client the pipeline
   * shares, if any, else one made from the connection properties.
   */
  properties[PROP_CLIENT] =
      g_param_spec_object ("client", "Client",
      "An application's SynapseClient, for every Synapse element of the "
      "pipeline (its connection properties then do not apply)",
      SYNAPSE_TYPE_CLIENT, flags);

  /* numbers out of range are refused at start, with the property named */
  for (guint id = 1; id < N_PROPS; id++) {
    properties[id] = gst_synapse_settings_checked_at_start (properties[id]);
    g_object_interface_install_property (iface, properties[id]);
  }
}

/* The element's set_context (): keeps the client of a synapse.client
 * context for gst_synapse_connection_make_client (). */
static void
gst_synapse_connection_set_context (GstElement * element, GstContext * context)
{
  GstElementClass *parent_class =
      g_type_class_peek_parent (G_OBJECT_GET_CLASS (element));
  const GValue *value = gst_context_has_context_type (context,
      GST_SYNAPSE_CLIENT_CONTEXT) ? gst_structure_get_value
      (gst_context_get_structure (context), "client") : NULL;
  /* held as a SynapseClient, or as a GObject that is one (bindings) */
  SynapseClient *client = value && G_VALUE_HOLDS_OBJECT (value)
      && SYNAPSE_IS_CLIENT (g_value_get_object (value)) ?
      g_value_get_object (value) : NULL;

  if (client) {
    Connection *conn = connection_of (GST_SYNAPSE_CONNECTION (element));

    GST_DEBUG_OBJECT (element, "given the client of %s",
        synapse_client_get_base_url (client));
    GST_OBJECT_LOCK (element);
    g_set_object (&conn->shared, client);
    GST_OBJECT_UNLOCK (element);
  }
  if (parent_class->set_context)
    parent_class->set_context (element, context);
}

/**
 * gst_synapse_connection_install_properties:
 * @klass: the class of an element that implements GstSynapseConnection
 * @first_prop_id: the property id of the first connection property; the
 *   others follow it
 *
 * Makes the interface's properties the element's
 * (g_object_class_override_property()). gst_synapse_settings_install()
 * calls it.
 */
void
gst_synapse_connection_install_properties (GObjectClass * klass,
    guint first_prop_id)
{
  for (guint id = 1; id < N_PROPS; id++)
    g_object_class_override_property (klass, first_prop_id + id - 1,
        properties[id]->name);
  GST_ELEMENT_CLASS (klass)->set_context = gst_synapse_connection_set_context;
  /* documented once, as the interface, rather than with each element */
  gst_type_mark_as_plugin_api (GST_TYPE_SYNAPSE_CONNECTION, 0);
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

static void
connection_free (Connection * conn)
{
  g_clear_object (&conn->shared);
  g_clear_object (&conn->client);
  free_secret (conn->base_url);
  free_secret (conn->access_token);
  free_secret (conn->env_base_url);
  free_secret (conn->env_access_token);
  g_free (conn->env_tenant);
  g_free (conn->access_token_file);
  g_free (conn->tenant);
  g_free (conn->ca_file);
  g_free (conn);
}

static Connection *
connection_of (GstSynapseConnection * self)
{
  return g_object_get_qdata (G_OBJECT (self), connection_quark ());
}

/**
 * gst_synapse_connection_init:
 * @self: a new element
 *
 * Gives the connection properties their defaults: the environment for
 * the URL and the credentials, the library's defaults for the rest.
 * gst_synapse_settings_init() calls it; the values go with the element.
 */
void
gst_synapse_connection_init (GstSynapseConnection * self)
{
  Connection *conn = g_new0 (Connection, 1);

  conn->env_base_url = dup_env ("SYNAPSE_BACKEND_URL");
  conn->env_access_token = dup_env ("SYNAPSE_ACCESS_TOKEN");
  conn->env_tenant = dup_env ("SYNAPSE_TENANT");
  conn->timeout = G_PARAM_SPEC_UINT (properties[PROP_TIMEOUT])->default_value;
  conn->low_speed_limit =
      G_PARAM_SPEC_UINT (properties[PROP_LOW_SPEED_LIMIT])->default_value;
  conn->retries = G_PARAM_SPEC_UINT (properties[PROP_RETRIES])->default_value;
  conn->retry_backoff_factor =
      G_PARAM_SPEC_DOUBLE (properties[PROP_RETRY_BACKOFF_FACTOR])
      ->default_value;
  conn->retry_backoff_max =
      G_PARAM_SPEC_DOUBLE (properties[PROP_RETRY_BACKOFF_MAX])->default_value;
  conn->ssl_strict =
      G_PARAM_SPEC_BOOLEAN (properties[PROP_SSL_STRICT])->default_value;
  g_object_set_qdata_full (G_OBJECT (self), connection_quark (), conn,
      (GDestroyNotify) connection_free);
}

/* The interface's id of @pspec. */
static guint
prop_id_of (GParamSpec * pspec)
{
  for (guint id = 1; id < N_PROPS; id++) {
    if (properties[id] == pspec)
      return id;
  }
  g_return_val_if_reached (PROP_0);
}

static gchar *
dup_nonempty (const GValue * value)
{
  const gchar *str = g_value_get_string (value);

  return str && *str ? g_strdup (str) : NULL;
}

/**
 * gst_synapse_connection_set_property:
 * @self: the element
 * @pspec: one of the interface's properties
 * @value: its new value
 *
 * The element's set_property for the connection properties (see
 * gst_synapse_settings_install()).
 */
void
gst_synapse_connection_set_property (GstSynapseConnection * self,
    GParamSpec * pspec, const GValue * value)
{
  Connection *conn = connection_of (self);
  g_autoptr (SynapseClient) offered = NULL;

  GST_OBJECT_LOCK (self);
  switch (prop_id_of (pspec)) {
    case PROP_BASE_URL:
      /* it may hold a password */
      free_secret (conn->base_url);
      conn->base_url = dup_nonempty (value);
      break;
    case PROP_ACCESS_TOKEN:
      free_secret (conn->access_token);
      conn->access_token = dup_nonempty (value);
      break;
    case PROP_ACCESS_TOKEN_FILE:
      g_free (conn->access_token_file);
      conn->access_token_file = dup_nonempty (value);
      break;
    case PROP_TENANT:
      g_free (conn->tenant);
      conn->tenant = dup_nonempty (value);
      break;
    case PROP_TIMEOUT:
      conn->timeout = g_value_get_uint (value);
      break;
    case PROP_LOW_SPEED_LIMIT:
      conn->low_speed_limit = g_value_get_uint (value);
      break;
    case PROP_RETRIES:
      conn->retries = g_value_get_uint (value);
      break;
    case PROP_RETRY_BACKOFF_FACTOR:
      conn->retry_backoff_factor = g_value_get_double (value);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      conn->retry_backoff_max = g_value_get_double (value);
      break;
    case PROP_SSL_STRICT:
      conn->ssl_strict = g_value_get_boolean (value);
      break;
    case PROP_CA_FILE:
      g_free (conn->ca_file);
      conn->ca_file = dup_nonempty (value);
      break;
    case PROP_CLIENT:
      g_set_object (&conn->client, g_value_get_object (value));
      offered = conn->client ? g_object_ref (conn->client) : NULL;
      break;
    default:
      break;
  }
  GST_OBJECT_UNLOCK (self);
  /* in its pipeline already: the others get it before any of them starts */
  if (offered && GST_OBJECT_PARENT (self))
    post_client (self, offered);
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
 * @self: the element
 * @pspec: one of the interface's properties
 * @value: set to its value
 *
 * The element's get_property for the connection properties. The access
 * token is never handed out: it reads as `********` when set and %NULL
 * otherwise; the base URL reads without the user and password it may
 * hold.
 */
void
gst_synapse_connection_get_property (GstSynapseConnection * self,
    GParamSpec * pspec, GValue * value)
{
  Connection *conn = connection_of (self);

  GST_OBJECT_LOCK (self);
  switch (prop_id_of (pspec)) {
    case PROP_BASE_URL:
      g_value_take_string (value, shown_url (conn->base_url));
      break;
    case PROP_ACCESS_TOKEN:
      g_value_set_static_string (value,
          conn->access_token ? SECRET_MASK : NULL);
      break;
    case PROP_ACCESS_TOKEN_FILE:
      /* the path, not the token */
      g_value_set_string (value, conn->access_token_file);
      break;
    case PROP_TENANT:
      g_value_set_string (value, conn->tenant);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, conn->timeout);
      break;
    case PROP_LOW_SPEED_LIMIT:
      g_value_set_uint (value, conn->low_speed_limit);
      break;
    case PROP_RETRIES:
      g_value_set_uint (value, conn->retries);
      break;
    case PROP_RETRY_BACKOFF_FACTOR:
      g_value_set_double (value, conn->retry_backoff_factor);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      g_value_set_double (value, conn->retry_backoff_max);
      break;
    case PROP_SSL_STRICT:
      g_value_set_boolean (value, conn->ssl_strict);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, conn->ca_file);
      break;
    case PROP_CLIENT:
      g_value_set_object (value, conn->client);
      break;
    default:
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/**
 * gst_synapse_connection_has_access_token:
 * @self: the element
 *
 * Returns: whether an access token is set, or a file to read it from
 */
gboolean
gst_synapse_connection_has_access_token (GstSynapseConnection * self)
{
  Connection *conn = connection_of (self);
  gboolean has_token;

  GST_OBJECT_LOCK (self);
  has_token = conn->access_token != NULL || conn->access_token_file != NULL
      || conn->env_access_token != NULL;
  GST_OBJECT_UNLOCK (self);
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

/* A digest of the settings a client is made from, the token included (a
 * digest only: it never leaves the process, nor shows the token). */
static gchar *
settings_digest (const gchar * base_url, const gchar * token,
    const gchar * tenant, guint timeout, guint low_speed_limit, guint retries,
    gdouble backoff_factor, gdouble backoff_max, gboolean ssl_strict,
    const gchar * ca_file)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const gchar *strings[] = { base_url, token, tenant, ca_file };
  g_autofree gchar *numbers = g_strdup_printf ("%u %u %u %.17g %.17g %d",
      timeout, low_speed_limit, retries, backoff_factor, backoff_max,
      ssl_strict);

  /* each string with its NUL, NULL as "\1": no two settings read alike */
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_checksum_update (sum, (const guchar *) (strings[i] ? strings[i] :
            "\1"), strings[i] ? strlen (strings[i]) + 1 : 2);
  g_checksum_update (sum, (const guchar *) numbers, -1);
  return g_strdup (g_checksum_get_string (sum));
}

/* The client of the element's own connection properties, and the digest
 * of its settings in @digest; NULL after posting an error. */
static SynapseClient *
make_own_client (GstSynapseConnection * self, gchar ** digest)
{
  GstElement *element = GST_ELEMENT (self);
  Connection *conn = connection_of (self);
  g_autofree gchar *base_url = NULL;
  g_autofree gchar *tenant = NULL;
  g_autofree gchar *token_file = NULL;
  g_autofree gchar *ca_file = NULL;
  gchar *token;
  gboolean token_from_env;
  guint timeout, low_speed_limit, retries;
  gdouble backoff_factor, backoff_max;
  gboolean ssl_strict;
  SynapseClient *client;
  gboolean has_token;

  GST_OBJECT_LOCK (self);
  base_url = g_strdup (conn->base_url ? conn->base_url : conn->env_base_url);
  token_from_env = conn->access_token == NULL;
  token = g_strdup (token_from_env ? conn->env_access_token :
      conn->access_token);
  token_file = g_strdup (conn->access_token_file);
  ca_file = g_strdup (conn->ca_file);
  tenant = g_strdup (conn->tenant ? conn->tenant : conn->env_tenant);
  timeout = conn->timeout;
  low_speed_limit = conn->low_speed_limit;
  retries = conn->retries;
  backoff_factor = conn->retry_backoff_factor;
  backoff_max = conn->retry_backoff_max;
  ssl_strict = conn->ssl_strict;
  GST_OBJECT_UNLOCK (self);

  if (base_url == NULL) {
    free_secret (token);
    GST_ELEMENT_ERROR_WITH_DETAILS (element, RESOURCE, SETTINGS,
        ("No Synapse backend URL is set: set the base-url property or the "
            "SYNAPSE_BACKEND_URL environment variable."), (NULL),
        ("property", G_TYPE_STRING, "base-url", NULL));
    return NULL;
  }

  if (!synapse_is_http_url (base_url)) {
    g_autofree gchar *shown = shown_url (base_url);

    free_secret (token);
    GST_ELEMENT_ERROR_WITH_DETAILS (element, RESOURCE, SETTINGS,
        ("The Synapse backend URL %s (the base-url property, else "
            "SYNAPSE_BACKEND_URL) is not an http or https URL.", shown),
        (NULL), ("property", G_TYPE_STRING, "base-url", NULL));
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
      GST_ELEMENT_ERROR_WITH_DETAILS (element, RESOURCE, SETTINGS,
          ("Cannot use the ca-file \"%s\": %s%s", ca_file, error->message,
              period ? "" : "."), (NULL),
          ("property", G_TYPE_STRING, "ca-file", NULL));
      return NULL;
    }
  }

  if (token_file) {
    g_autoptr (GError) error = NULL;

    if (token && !token_from_env) {
      free_secret (token);
      GST_ELEMENT_ERROR_WITH_DETAILS (element, RESOURCE, SETTINGS,
          ("Both access-token and access-token-file are set: set only one "
              "of them."), (NULL),
          ("property", G_TYPE_STRING, "access-token-file", NULL));
      return NULL;
    }
    free_secret (token);
    token = read_token_file (token_file, &error);
    if (token == NULL) {
      GST_ELEMENT_ERROR_WITH_DETAILS (element, RESOURCE, SETTINGS,
          ("Cannot use the access-token-file \"%s\": %s.", token_file,
              error->message), (NULL),
          ("property", G_TYPE_STRING, "access-token-file", NULL));
      return NULL;
    }
  }

  *digest = settings_digest (base_url, token, tenant, timeout,
      low_speed_limit, retries, backoff_factor, backoff_max, ssl_strict,
      ca_file);
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

/* The client of a synapse.client context: one set on the element (by the
 * application, or by the pipeline when another element posted it), else
 * one the application or the pipeline gives when the element asks, with a
 * need-context message. */
static SynapseClient *
find_shared_client (GstSynapseConnection * self)
{
  GstElement *element = GST_ELEMENT (self);
  Connection *conn = connection_of (self);
  SynapseClient *client;

  for (guint asked = 0;; asked++) {
    GST_OBJECT_LOCK (element);
    client = conn->shared ? g_object_ref (conn->shared) : NULL;
    GST_OBJECT_UNLOCK (element);
    if (client || asked)
      return client;
    /* a bin answers from the contexts it has, an application's sync
     * handler by setting one: either before the post returns */
    gst_element_post_message (element, gst_message_new_need_context
        (GST_OBJECT (element), GST_SYNAPSE_CLIENT_CONTEXT));
  }
}

/* Offers @client, which the element made, to the rest of the pipeline. */
static void
post_client (GstSynapseConnection * self, SynapseClient * client)
{
  GstContext *context = gst_context_new (GST_SYNAPSE_CLIENT_CONTEXT, FALSE);

  gst_structure_set (gst_context_writable_structure (context), "client",
      SYNAPSE_TYPE_CLIENT, client, NULL);
  gst_element_set_context (GST_ELEMENT (self), context);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_have_context (GST_OBJECT (self), context));
}

/**
 * gst_synapse_connection_make_client:
 * @self: the element; errors are posted on it
 *
 * The element's client for a run. An application's client, given by the
 * client property (then posted for the rest of the pipeline) or in a
 * `synapse.client` context (set on the element or the pipeline, or in
 * answer to the element's need-context message), is used as it is, and
 * the element's connection properties are not looked at. Otherwise the
 * client is made from the connection properties, unless another element of
 * the pipeline made one from the same settings (the same base URL,
 * credentials, TLS settings, timeouts and retries), which is used instead;
 * a client made here is posted in a have-context message for the others.
 *
 * First, whichever client the element gets: a number property out of its
 * range (gst_synapse_settings_check_ranges ()) is posted as a RESOURCE
 * SETTINGS error that names it and its range.
 *
 * Making one: a missing base URL, or one that is not an http(s) URL with
 * a host, is posted as a RESOURCE SETTINGS error. With
 * `access-token-file`, the token is read from the file now: a file that
 * cannot be read, or that is empty, is a RESOURCE SETTINGS error, and so is
 * an `access-token` set as well (one set by SYNAPSE_ACCESS_TOKEN is
 * replaced by the file's), and so is a credential holding a control
 * character (synapse_client_check_credentials()).
 *
 * Returns: (transfer full) (nullable): the client, or %NULL after posting
 *   an error
 */
SynapseClient *
gst_synapse_connection_make_client (GstSynapseConnection * self)
{
  GstElement *element = GST_ELEMENT (self);
  Connection *conn = connection_of (self);
  g_autoptr (SynapseClient) shared = NULL;
  const gchar *made_from;
  g_autofree gchar *digest = NULL;
  g_autoptr (GError) error = NULL;
  SynapseClient *client;

  /* every element starts here: its numbers out of range, which GObject
   * let through to be refused now (gstsynapsesettings.c), whatever client
   * it gets */
  if (!gst_synapse_settings_check_ranges (G_OBJECT (self), &error)) {
    GST_SYNAPSE_ELEMENT_SETTINGS_ERROR (self, error);
    return NULL;
  }

  GST_OBJECT_LOCK (element);
  client = conn->client ? g_object_ref (conn->client) : NULL;
  GST_OBJECT_UNLOCK (element);
  if (client) {
    GST_INFO_OBJECT (element, "using the client property's client of %s, "
        "for the pipeline", synapse_client_get_base_url (client));
    post_client (self, client);
    return client;
  }

  shared = find_shared_client (self);
  made_from = shared ? g_object_get_qdata (G_OBJECT (shared),
      settings_digest_quark ()) : NULL;
  if (shared && made_from == NULL) {
    GST_INFO_OBJECT (element, "using the application's client of %s (the "
        "connection properties do not apply)",
        synapse_client_get_base_url (shared));
    return g_steal_pointer (&shared);
  }
  client = make_own_client (self, &digest);
  if (client == NULL)
    return NULL;
  if (shared && g_str_equal (made_from, digest)) {
    GST_DEBUG_OBJECT (element, "using the pipeline's client of %s, made from "
        "the same settings", synapse_client_get_base_url (shared));
    g_object_unref (client);
    return g_steal_pointer (&shared);
  }
  g_object_set_qdata_full (G_OBJECT (client), settings_digest_quark (),
      g_steal_pointer (&digest), g_free);
  post_client (self, client);
  return client;
}
