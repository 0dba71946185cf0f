/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The client object: its properties (under one lock, since requests in
 * several threads read them), the checks of its credentials, and the
 * libsoup session made from its settings. What one request does with them
 * is synapse-request.c's; how URLs are built and compared, synapse-uri.c's;
 * the endpoints are synapse-ml.c's. */

/**
 * SynapseClient:
 *
 * A connection to one Synapse backend: its base URL, the credentials sent
 * to it, and the policy for timeouts and retries.
 *
 * Every request goes to the base URL joined with an endpoint path (or to an
 * absolute URL the backend gave, such as a `next` link). Credentials are
 * sent as `Token <value>` headers, and only to the base URL's origin
 * (scheme, host and port): a link, upload URL or file URL on another origin
 * is fetched without them, and so is the target of a redirect to another
 * origin. A user and password in the base URL are taken out of it and sent
 * as Basic authentication, to that origin only (see
 * [property@Synapse.Client:base-url]); no URL the library shows (in an error, a
 * log line) holds userinfo. A credential holding a control character cannot go
 * into a header: every request refuses it before anything is sent
 * ([method@Synapse.Client.check_credentials]).
 *
 * Failures are retried when retrying can help: HTTP 429 (honouring
 * `Retry-After`, capped by [property@Synapse.Client:retry-backoff-max]), 500,
 * 502, 503, 504, broken or refused connections and timeouts, with exponential
 * backoff and jitter. Other 4xx answers are never retried. A request that
 * is not safe to send twice (a POST, such as creating a model) is repeated
 * only when the backend cannot have acted on it (429, a connection refused
 * or never made): after a 5xx, or a connection broken or timed out
 * once it was sent, it is not sent again, and the error says the outcome is
 * unknown. Every wait, in a request or in a backoff sleep, ends at once when
 * the operation's [class@Gio.Cancellable] is cancelled.
 *
 * An attempt times out when the backend takes longer than
 * [property@Synapse.Client:timeout] to connect or for any read, and also when
 * it moves too little: fewer than [property@Synapse.Client:low-speed-limit]
 * bytes a second over a window of [property@Synapse.Client:timeout] seconds,
 * however busy it keeps each read (a byte a second, `102 Processing` for ever).
 *
 * Text the backend sent (a reason phrase, an error body) is quoted in
 * messages with its control characters replaced: a tab or line break as a
 * space, any other as U+FFFD.
 *
 * A client may be used from several threads at once; its blocking calls
 * are meant for worker threads and its `_async` twins for the main loop.
 *
 * Since: 0.1
 */

#include "config.h"

#include "synapse-chunked-upload.h"
#include "synapse-client-private.h"
#include "synapse-error.h"
#include "synapse-uri.h"


#define DEFAULT_TIMEOUT 60
#define DEFAULT_LOW_SPEED_LIMIT 1024
#define DEFAULT_RETRIES 3
#define DEFAULT_BACKOFF_FACTOR 0.5
#define DEFAULT_BACKOFF_MAX 30.0
#define DEFAULT_PAGE_SIZE 100
#define DEFAULT_PREFETCH 8
#define DEFAULT_WORKER_THREADS 16
#define DEFAULT_MAX_RESPONSE_SIZE (64 * 1024 * 1024)
#define DEFAULT_USER_AGENT "gst-synapse/" VERSION " "

struct _SynapseClient
{
  GObject parent_instance;

  /* Guards every field below: requests run in several threads and read
   * them while an application may set them. */
  GMutex lock;

  char *base_url;               /* without userinfo */
  /* what a request reads (copied for it): the origin, the credentials,
   * the basic auth from the userinfo base-url was given with, timeouts
   * and the retry policy */
  SynapseRequestSettings settings;
  guint page_size;
  guint prefetch;
  char *user_agent;
  char *ca_file;
  guint64 max_response_size;
  guint64 chunk_size;
  guint64 prefetch_bytes;

  /* Made on first use with the settings above; dropped when one of them
   * changes (libsoup wants a session configured before its first request),
   * while requests in flight keep their own reference to the old one. */
  SoupSession *session;

  guint worker_threads;
  /* made on first use (synapse-workers.c) */
  SynapseWorkers *workers;
};

G_DEFINE_FINAL_TYPE (SynapseClient, synapse_client, G_TYPE_OBJECT);

enum
{
  PROP_0,
  PROP_BASE_URL,
  PROP_ACCESS_TOKEN,
  PROP_AUTHORIZATION_TOKEN,
  PROP_TENANT,
  PROP_AGENT_TOKEN,
  PROP_TIMEOUT,
  PROP_RETRIES,
  PROP_RETRY_BACKOFF_FACTOR,
  PROP_RETRY_BACKOFF_MAX,
  PROP_PAGE_SIZE,
  PROP_PREFETCH,
  PROP_USER_AGENT,
  PROP_SSL_STRICT,
  PROP_CA_FILE,
  PROP_MAX_RESPONSE_SIZE,
  PROP_CHUNK_SIZE,
  PROP_PREFETCH_BYTES,
  PROP_LOW_SPEED_LIMIT,
  PROP_WORKER_THREADS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A user and password in the base URL are sent as Basic authentication
 * instead, to the base URL's origin only. */
static void
synapse_client_set_base_url (SynapseClient * self, const char *base_url)
{
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->settings.base_uri, g_uri_unref);
  g_clear_pointer (&self->settings.basic_auth, synapse_secret_free);
  if (base_url == NULL)
    return;

  self->base_url =
      synapse_uri_split_userinfo (base_url, &self->settings.basic_auth);
  self->settings.base_uri =
      g_uri_parse (self->base_url, SOUP_HTTP_URI_FLAGS, NULL);
}

/* Stores a string setting; returns whether it changed. */
static gboolean
replace_string (char **field, const GValue * value)
{
  const char *str = g_value_get_string (value);

  if (g_strcmp0 (*field, str) == 0)
    return FALSE;
  g_free (*field);
  *field = (str && *str) ? g_strdup (str) : NULL;
  return TRUE;
}

static void
synapse_client_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SynapseClient *self = SYNAPSE_CLIENT (object);
  gboolean session_changed = FALSE;

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_BASE_URL:
      synapse_client_set_base_url (self, g_value_get_string (value));
      break;
    case PROP_ACCESS_TOKEN:
      replace_string (&self->settings.access_token, value);
      break;
    case PROP_AUTHORIZATION_TOKEN:
      replace_string (&self->settings.authorization_token, value);
      break;
    case PROP_TENANT:
      replace_string (&self->settings.tenant, value);
      break;
    case PROP_AGENT_TOKEN:
      replace_string (&self->settings.agent_token, value);
      break;
    case PROP_TIMEOUT:
      session_changed = self->settings.timeout != g_value_get_uint (value);
      self->settings.timeout = g_value_get_uint (value);
      break;
    case PROP_RETRIES:
      self->settings.retries = g_value_get_uint (value);
      break;
    case PROP_RETRY_BACKOFF_FACTOR:
      self->settings.backoff_factor = g_value_get_double (value);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      self->settings.backoff_max = g_value_get_double (value);
      break;
    case PROP_PAGE_SIZE:
      self->page_size = g_value_get_uint (value);
      break;
    case PROP_PREFETCH:
      session_changed = self->prefetch != g_value_get_uint (value);
      self->prefetch = g_value_get_uint (value);
      break;
    case PROP_USER_AGENT:
      if (g_value_get_string (value) == NULL) {
        session_changed = g_strcmp0 (self->user_agent, DEFAULT_USER_AGENT);
        g_free (self->user_agent);
        self->user_agent = g_strdup (DEFAULT_USER_AGENT);
      } else {
        session_changed = replace_string (&self->user_agent, value);
      }
      break;
    case PROP_SSL_STRICT:
      self->settings.ssl_strict = g_value_get_boolean (value);
      break;
    case PROP_CA_FILE:
      session_changed = replace_string (&self->ca_file, value);
      break;
    case PROP_MAX_RESPONSE_SIZE:
      self->max_response_size = g_value_get_uint64 (value);
      break;
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint64 (value);
      break;
    case PROP_PREFETCH_BYTES:
      self->prefetch_bytes = g_value_get_uint64 (value);
      break;
    case PROP_LOW_SPEED_LIMIT:
      self->settings.low_speed_limit = g_value_get_uint (value);
      break;
    case PROP_WORKER_THREADS:
      self->worker_threads = g_value_get_uint (value);
      if (self->workers)
        synapse_workers_set_max_threads (self->workers, self->worker_threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  if (session_changed)
    g_clear_object (&self->session);
  g_mutex_unlock (&self->lock);
}

static void
synapse_client_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  SynapseClient *self = SYNAPSE_CLIENT (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_TENANT:
      g_value_set_string (value, self->settings.tenant);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->settings.timeout);
      break;
    case PROP_RETRIES:
      g_value_set_uint (value, self->settings.retries);
      break;
    case PROP_RETRY_BACKOFF_FACTOR:
      g_value_set_double (value, self->settings.backoff_factor);
      break;
    case PROP_RETRY_BACKOFF_MAX:
      g_value_set_double (value, self->settings.backoff_max);
      break;
    case PROP_PAGE_SIZE:
      g_value_set_uint (value, self->page_size);
      break;
    case PROP_PREFETCH:
      g_value_set_uint (value, self->prefetch);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    case PROP_SSL_STRICT:
      g_value_set_boolean (value, self->settings.ssl_strict);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_MAX_RESPONSE_SIZE:
      g_value_set_uint64 (value, self->max_response_size);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint64 (value, self->chunk_size);
      break;
    case PROP_PREFETCH_BYTES:
      g_value_set_uint64 (value, self->prefetch_bytes);
      break;
    case PROP_LOW_SPEED_LIMIT:
      g_value_set_uint (value, self->settings.low_speed_limit);
      break;
    case PROP_WORKER_THREADS:
      g_value_set_uint (value, self->worker_threads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
synapse_client_finalize (GObject * object)
{
  SynapseClient *self = SYNAPSE_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->workers, synapse_workers_shutdown);
  g_free (self->base_url);
  synapse_request_settings_clear (&self->settings);
  g_free (self->user_agent);
  g_free (self->ca_file);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (synapse_client_parent_class)->finalize (object);
}

static void
synapse_client_class_init (SynapseClientClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->set_property = synapse_client_set_property;
  object_class->get_property = synapse_client_get_property;
  object_class->finalize = synapse_client_finalize;

  /**
   * SynapseClient:base-url:
   *
   * The backend's base URL, e.g. `https://api.example.com/`. Endpoint paths
   * are joined to it; its origin is the only one that receives credentials.
   *
   * A user and password in it (`https://user:password@api.example.com/`,
   * percent-encoded as URLs want) are taken out of it when the client is
   * made, and sent as `Authorization: Basic …` to that origin only, unless
   * [property@Synapse.Client:authorization-token] is set, which then takes the
   * `Authorization` header. The URL as stored, read back and shown in
   * messages has no userinfo.
   *
   * Since: 0.1
   */
  properties[PROP_BASE_URL] =
      g_param_spec_string ("base-url", "Base URL",
      "The Synapse backend's base URL, e.g. https://api.example.com/", NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:access-token:
   *
   * The personal access token, sent as `Synapse-Access-Token: Token …`.
   * Write-only: a secret is never read back.
   *
   * Since: 0.1
   */
  properties[PROP_ACCESS_TOKEN] =
      g_param_spec_string ("access-token", "Access token",
      "Personal access token (write-only)", NULL,
      G_PARAM_WRITABLE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:authorization-token:
   *
   * An authorization token, sent as `Authorization: Token …`. Write-only.
   * It takes the place of the Basic authentication of a user and password
   * in [property@Synapse.Client:base-url].
   *
   * Since: 0.1
   */
  properties[PROP_AUTHORIZATION_TOKEN] =
      g_param_spec_string ("authorization-token", "Authorization token",
      "Authorization token (write-only)", NULL,
      G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:tenant:
   *
   * The tenant code, sent as `Synapse-Tenant: Token …`.
   *
   * Since: 0.1
   */
  properties[PROP_TENANT] =
      g_param_spec_string ("tenant", "Tenant", "Tenant code", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:agent-token:
   *
   * An agent token, sent as `SYNAPSE-Agent: Token …`. Write-only.
   *
   * Since: 0.1
   */
  properties[PROP_AGENT_TOKEN] =
      g_param_spec_string ("agent-token", "Agent token",
      "Agent token (write-only)", NULL,
      G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:timeout:
   *
   * Seconds to wait for a connection or for any read or write on it before
   * the attempt fails (and is retried); 0 waits forever. It is also the
   * window of [property@Synapse.Client:low-speed-limit].
   *
   * Since: 0.1
   */
  properties[PROP_TIMEOUT] =
      g_param_spec_uint ("timeout", "Timeout",
      "Seconds to wait for a connection, a read or a write (0 = forever)",
      0, G_MAXUINT, DEFAULT_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:low-speed-limit:
   *
   * The slowest transfer accepted, in bytes a second, as curl's
   * `--speed-limit` with [property@Synapse.Client:timeout] as its
   * `--speed-time`: an attempt that moves fewer than this many bytes times
   * [property@Synapse.Client:timeout] in any window of
   * [property@Synapse.Client:timeout] seconds fails as
   * %SYNAPSE_CLIENT_ERROR_TIMEOUT and is retried like a timeout. It counts the
   * request body as it is sent and the response body as it is read; waiting for
   * the response counts as nothing however many interim `1xx` answers arrive,
   * and the final response's headers start a new window. So a server that sends
   * a byte a second, or `102 Processing` for ever, cannot hold a request. 0
   * turns the limit off, and so does a [property@Synapse.Client:timeout] of 0.
   *
   * Since: 0.1
   */
  properties[PROP_LOW_SPEED_LIMIT] =
      g_param_spec_uint ("low-speed-limit", "Low-speed limit",
      "Slowest transfer accepted in bytes a second, measured over windows "
      "of timeout seconds (0 = no limit)", 0, G_MAXUINT,
      DEFAULT_LOW_SPEED_LIMIT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:worker-threads:
   *
   * How many threads at most run this client's work in the background:
   * the `_async` calls, the pages a [class@Synapse.Pager] fetches ahead,
   * the downloads of a [class@Synapse.UrlConversion], the checksum of an
   * upload's chunk while it is sent. A caller that waits for work no thread has
   * started runs it itself, so a small number makes the client slower,
   * never stuck; cancelling the call cancels the work done for it.
   *
   * Since: 0.1
   */
  properties[PROP_WORKER_THREADS] =
      g_param_spec_uint ("worker-threads", "Worker threads",
      "Threads at most that run the client's background work", 1, 1024,
      DEFAULT_WORKER_THREADS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:retries:
   *
   * How many times a failed request is tried again when retrying can help.
   *
   * Since: 0.1
   */
  properties[PROP_RETRIES] =
      g_param_spec_uint ("retries", "Retries",
      "Retries of a request after a retryable failure", 0, 100,
      DEFAULT_RETRIES, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:retry-backoff-factor:
   *
   * Seconds before the first retry; each further retry waits twice as long
   * (with random jitter down to half), up to
   * [property@Synapse.Client:retry-backoff-max].
   *
   * Since: 0.1
   */
  properties[PROP_RETRY_BACKOFF_FACTOR] =
      g_param_spec_double ("retry-backoff-factor", "Retry backoff factor",
      "Seconds before the first retry, doubled for each next one", 0.0,
      3600.0, DEFAULT_BACKOFF_FACTOR,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:retry-backoff-max:
   *
   * The longest wait between two attempts, in seconds; it also caps a
   * server's `Retry-After`.
   *
   * Since: 0.1
   */
  properties[PROP_RETRY_BACKOFF_MAX] =
      g_param_spec_double ("retry-backoff-max", "Retry backoff maximum",
      "Longest wait between attempts in seconds, Retry-After included", 0.0,
      86400.0, DEFAULT_BACKOFF_MAX, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:page-size:
   *
   * The `page_size` asked for by listings whose parameters do not set one.
   *
   * Since: 0.1
   */
  properties[PROP_PAGE_SIZE] =
      g_param_spec_uint ("page-size", "Page size",
      "Results per page asked for when the parameters do not say", 1,
      G_MAXUINT, DEFAULT_PAGE_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:prefetch:
   *
   * How many pages a [class@Synapse.Pager] made by this client keeps requested
   * ahead of the one being read; 1 walks the pages strictly in sequence.
   *
   * Since: 0.1
   */
  properties[PROP_PREFETCH] =
      g_param_spec_uint ("prefetch", "Prefetch",
      "Pages requested ahead by pagers (1 = one page at a time)", 1, 64,
      DEFAULT_PREFETCH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:user-agent:
   *
   * The `User-Agent` header; the default names this library and its
   * version.
   *
   * Since: 0.1
   */
  properties[PROP_USER_AGENT] =
      g_param_spec_string ("user-agent", "User agent", "User-Agent header",
      DEFAULT_USER_AGENT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:ssl-strict:
   *
   * Whether an HTTPS backend's certificate must be trusted. Turning this
   * off accepts any certificate: for tests only; prefer
   * [property@Synapse.Client:ca-file].
   *
   * Since: 0.1
   */
  properties[PROP_SSL_STRICT] =
      g_param_spec_boolean ("ssl-strict", "Strict TLS",
      "Refuse HTTPS servers whose certificate is not trusted", TRUE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:ca-file:
   *
   * A PEM file of certificate authorities to trust instead of the system's.
   *
   * Since: 0.1
   */
  properties[PROP_CA_FILE] =
      g_param_spec_string ("ca-file", "CA file",
      "PEM file of the certificate authorities to trust", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:max-response-size:
   *
   * The largest JSON response accepted, in bytes; a larger one fails with
   * %SYNAPSE_CLIENT_ERROR_PROTOCOL before it is read into memory.
   *
   * Since: 0.1
   */
  properties[PROP_MAX_RESPONSE_SIZE] =
      g_param_spec_uint64 ("max-response-size", "Maximum response size",
      "Largest JSON response accepted, in bytes", 1024, G_MAXUINT64,
      DEFAULT_MAX_RESPONSE_SIZE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:chunk-size:
   *
   * Bytes per chunk of the uploads that do not say otherwise, such as
   * [method@Synapse.Client.create_model]'s. An upload holds one chunk in
   * memory.
   *
   * Since: 0.1
   */
  properties[PROP_CHUNK_SIZE] =
      g_param_spec_uint64 ("chunk-size", "Chunk size",
      "Bytes per chunk of uploads that do not say otherwise", 1,
      G_MAXSIZE, SYNAPSE_DEFAULT_CHUNK_SIZE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * SynapseClient:prefetch-bytes:
   *
   * The most bytes of pages a [class@Synapse.Pager] made by this client holds
   * ahead of the one being read ([property@Synapse.Pager:prefetch-bytes]); one
   * page is always requested ahead.
   *
   * Since: 0.1
   */
  properties[PROP_PREFETCH_BYTES] =
      g_param_spec_uint64 ("prefetch-bytes", "Prefetch bytes",
      "Most bytes of pages pagers hold ahead of the one being read", 0,
      G_MAXUINT64, SYNAPSE_DEFAULT_PREFETCH_BYTES,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
synapse_client_init (SynapseClient * self)
{
  g_mutex_init (&self->lock);
  self->settings.timeout = DEFAULT_TIMEOUT;
  self->settings.low_speed_limit = DEFAULT_LOW_SPEED_LIMIT;
  self->settings.retries = DEFAULT_RETRIES;
  self->settings.backoff_factor = DEFAULT_BACKOFF_FACTOR;
  self->settings.backoff_max = DEFAULT_BACKOFF_MAX;
  self->page_size = DEFAULT_PAGE_SIZE;
  self->prefetch = DEFAULT_PREFETCH;
  self->user_agent = g_strdup (DEFAULT_USER_AGENT);
  self->settings.ssl_strict = TRUE;
  self->max_response_size = DEFAULT_MAX_RESPONSE_SIZE;
  self->chunk_size = SYNAPSE_DEFAULT_CHUNK_SIZE;
  self->prefetch_bytes = SYNAPSE_DEFAULT_PREFETCH_BYTES;
  self->worker_threads = DEFAULT_WORKER_THREADS;
}

/**
 * synapse_client_new:
 * @base_url: the backend's base URL, e.g. `https://api.example.com/`
 * @access_token: (nullable): a personal access token
 *
 * Makes a client for the backend at @base_url. Further credentials and
 * settings are properties.
 *
 * Returns: (transfer full): a new [class@Synapse.Client]
 *
 * Since: 0.1
 */
SynapseClient *
synapse_client_new (const char *base_url, const char *access_token)
{
  g_return_val_if_fail (base_url != NULL, NULL);

  return g_object_new (SYNAPSE_TYPE_CLIENT, "base-url", base_url,
      "access-token", access_token, NULL);
}

/* A credential goes into an HTTP header as it is: one line of printable
 * text. libsoup drops a header value with a line break (with a critical),
 * so the request would go out without it. */
static gboolean
check_credential (const char *name, const char *value, GError ** error)
{
  if (value == NULL)
    return TRUE;
  for (const char *p = value; *p; p++) {
    if ((guchar) * p < 0x20 || *p == 0x7f) {
      /* never the value: it is a secret */
      g_set_error (error, SYNAPSE_CLIENT_ERROR,
          SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
          "The %s holds a control character (such as a line break or a "
          "tab): a credential must be one line of printable text", name);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
check_credentials (const char *access_token, const char *authorization_token,
    const char *tenant, const char *agent_token, GError ** error)
{
  return check_credential ("access-token", access_token, error)
      && check_credential ("authorization-token", authorization_token, error)
      && check_credential ("tenant", tenant, error)
      && check_credential ("agent-token", agent_token, error);
}

/**
 * synapse_client_check_credentials:
 * @self: a [class@Synapse.Client]
 * @error: return location for a [struct@GLib.Error]
 *
 * Checks that every credential set can be sent: a credential holding a
 * control character (a line break, a tab…) cannot go into an HTTP header,
 * so every request refuses it before anything is sent. This says so
 * before the first request, e.g. when an application starts.
 *
 * Returns: %TRUE if the credentials can be sent, else %FALSE with
 *   %SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT naming the credential (never
 *   its value)
 *
 * Since: 0.1
 */
gboolean
synapse_client_check_credentials (SynapseClient * self, GError ** error)
{
  gboolean ok;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->lock);
  ok = check_credentials (self->settings.access_token,
      self->settings.authorization_token, self->settings.tenant,
      self->settings.agent_token, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

/**
 * synapse_client_new_from_env:
 * @error: return location for a [struct@GLib.Error]
 *
 * Makes a client from the environment: `SYNAPSE_BACKEND_URL` (required),
 * `SYNAPSE_ACCESS_TOKEN` and `SYNAPSE_TENANT`. Keeping the token in the
 * environment keeps it off command lines.
 *
 * Returns: (transfer full): a new [class@Synapse.Client], or %NULL with
 *   %SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT when the URL is missing or not
 *   an http(s) URL, or when the token or tenant holds a control character
 *
 * Since: 0.1
 */
SynapseClient *
synapse_client_new_from_env (GError ** error)
{
  const char *base_url = g_getenv ("SYNAPSE_BACKEND_URL");
  const char *token = g_getenv ("SYNAPSE_ACCESS_TOKEN");
  const char *tenant = g_getenv ("SYNAPSE_TENANT");

  if (base_url == NULL || *base_url == '\0') {
    g_set_error_literal (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "SYNAPSE_BACKEND_URL is not set: it must hold the Synapse backend's "
        "base URL, e.g. https://api.example.com/");
    return NULL;
  }
  if (!synapse_is_http_url (base_url)) {
    g_autofree char *shown = synapse_uri_redact (base_url);

    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "SYNAPSE_BACKEND_URL is not an http or https URL with a host: %s",
        shown);
    return NULL;
  }

  if (!check_credential ("SYNAPSE_ACCESS_TOKEN variable", token, error)
      || !check_credential ("SYNAPSE_TENANT variable", tenant, error))
    return NULL;

  return g_object_new (SYNAPSE_TYPE_CLIENT, "base-url", base_url,
      "access-token", token, "tenant", tenant, NULL);
}

/**
 * synapse_client_get_base_url:
 * @self: a [class@Synapse.Client]
 *
 * The backend's base URL, as [property@Synapse.Client:base-url] holds it:
 * without any user and password it was given with.
 *
 * Returns: (transfer none): the backend's base URL
 *
 * Since: 0.1
 */
const char *
synapse_client_get_base_url (SynapseClient * self)
{
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);

  /* construct-only, so no lock is needed to hand it out */
  return self->base_url;
}

/**
 * synapse_client_build_url:
 * @self: a [class@Synapse.Client]
 * @path: an endpoint path such as `models/`, or an absolute URL
 * @params: (nullable): query parameters
 *
 * The URL a request to @path with @params goes to: the base URL without
 * its trailing `/`, a `/`, and @path without its leading `/`; an absolute
 * @path (a `next` link, an upload URL) is kept as it is, query included.
 * Each member of @params is added percent-encoded: an array as the same key
 * repeated, booleans as `true`/`false`, numbers in decimal; null members
 * are left out.
 *
 * Returns: (transfer full): the URL
 *
 * Since: 0.1
 */
char *
synapse_client_build_url (SynapseClient * self, const char *path,
    JsonObject * params)
{
  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  /* construct-only, so no lock is needed to read it */
  return synapse_uri_build (self->base_url, path, params);
}

/**
 * synapse_client_is_backend_origin:
 * @self: a [class@Synapse.Client]
 * @url: an absolute URL
 *
 * Whether @url is on the base URL's origin (same scheme, host and port),
 * the only origin that receives the client's credentials.
 *
 * Returns: %TRUE if requests to @url carry the credentials
 *
 * Since: 0.1
 */
gboolean
synapse_client_is_backend_origin (SynapseClient * self, const char *url)
{
  g_autoptr (GUri) uri = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  return synapse_uri_same_origin (uri, self->settings.base_uri);
}

SynapseWorkers *
synapse_client_get_workers (SynapseClient * self)
{
  SynapseWorkers *workers;

  g_mutex_lock (&self->lock);
  if (self->workers == NULL)
    self->workers = synapse_workers_new (self->worker_threads);
  workers = self->workers;
  g_mutex_unlock (&self->lock);
  return workers;
}

SoupSession *
synapse_client_dup_session (SynapseClient * self, GError ** error)
{
  SoupSession *session;

  g_mutex_lock (&self->lock);
  if (self->session == NULL) {
    g_autoptr (GTlsDatabase) database = NULL;

    if (self->ca_file) {
      g_autoptr (GError) ca_error = NULL;

      database = g_tls_file_database_new (self->ca_file, &ca_error);
      if (database == NULL) {
        g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_TLS,
            "Cannot load the certificate authorities of %s: %s",
            self->ca_file, ca_error->message);
        g_mutex_unlock (&self->lock);
        return NULL;
      }
    }
    /* Enough connections per host for the pages a pager fetches ahead and
     * the downloads of a URL conversion. */
    self->session =
        soup_session_new_with_options ("timeout", self->settings.timeout,
        "user-agent", self->user_agent, "max-conns-per-host", MAX (8,
            self->prefetch + 2), "max-conns", MAX (16, self->prefetch * 2 + 4),
        NULL);
    if (database)
      soup_session_set_tls_database (self->session, database);
  }
  session = g_object_ref (self->session);
  g_mutex_unlock (&self->lock);

  return session;
}

gboolean
synapse_client_get_request_settings (SynapseClient * self,
    SynapseRequestSettings * settings, GError ** error)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  synapse_request_settings_copy (&self->settings, settings);
  /* the very values the request will send */
  ok = check_credentials (settings->access_token,
      settings->authorization_token, settings->tenant, settings->agent_token,
      error);
  g_mutex_unlock (&self->lock);
  return ok;
}
