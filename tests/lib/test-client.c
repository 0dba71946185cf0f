/* Tests of SynapseClient's request core against the local backend: headers
 * and credentials, the cross-origin rule, URLs and parameters, errors,
 * retries, cancellation and timeouts.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "kit-fixture.h"

static const SynapseTestBackendOptions foreign_options = {
  .versions = 3,
  .events = 100,
  .models = 5,
  .seed = 1,
};

static JsonArray *
list_models (Fixture * f, GError ** error)
{
  return synapse_client_list_models (f->client, NULL, NULL, NULL, error);
}

static void
test_credentials_are_sent_as_tokens (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;
  g_autofree char *access = NULL;
  g_autofree char *tenant = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *agent = NULL;
  g_autofree char *user_agent = NULL;

  g_object_set (f->client, "tenant", "acme", "authorization-token", "auth-1",
      "agent-token", "agent-1", NULL);
  models = list_models (f, &error);
  g_assert_no_error (error);

  access = kit_dup_request_header (f->backend, "models/", 0,
      "synapse-access-token");
  tenant = kit_dup_request_header (f->backend, "models/", 0, "Synapse-Tenant");
  authorization = kit_dup_request_header (f->backend, "models/", 0,
      "Authorization");
  agent = kit_dup_request_header (f->backend, "models/", 0, "SYNAPSE-Agent");
  user_agent = kit_dup_request_header (f->backend, "models/", 0, "User-Agent");
  g_assert_cmpstr (access, ==, "Token " TEST_TOKEN);
  g_assert_cmpstr (tenant, ==, "Token acme");
  g_assert_cmpstr (authorization, ==, "Token auth-1");
  g_assert_cmpstr (agent, ==, "Token agent-1");
  g_assert_true (g_str_has_prefix (user_agent, "gst-synapse/"
          SYNAPSE_VERSION_STRING));
}

static void
test_unset_credentials_are_not_sent (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseClient) anonymous = synapse_client_new (f->url, NULL);
  g_autoptr (JsonArray) models = synapse_client_list_models (anonymous, NULL,
      NULL, NULL, &error);
  g_autofree char *access = NULL;
  g_autofree char *tenant = NULL;

  g_assert_null (models);

  /* the backend wants a token: no header means 401 */
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_UNAUTHORIZED);
  access = kit_dup_request_header (f->backend, "models/", 0,
      "Synapse-Access-Token");
  tenant = kit_dup_request_header (f->backend, "models/", 0, "Synapse-Tenant");
  g_assert_null (access);
  g_assert_null (tenant);
}

static void
test_credentials_stay_on_the_backend_origin (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseTestBackend) foreign =
      synapse_test_backend_new (&foreign_options, &error);
  g_autofree char *foreign_url = synapse_test_backend_dup_url (foreign);
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (GPtrArray) foreign_requests = NULL;
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events (f->backend,
      1);

  g_assert_no_error (error);
  /* page 1 comes from the backend, its `next` leads to another origin
   * serving the same events */
  synapse_test_backend_set_next_base_url (f->backend, foreign_url);
  synapse_test_backend_set_media_base_url (foreign, f->url);
  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  json_object_set_int_member (params, "page_size", 40);

  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  kit_assert_events (events, expected);

  foreign_requests = synapse_test_backend_dup_requests (foreign);
  g_assert_cmpuint (foreign_requests->len, ==, 2);
  for (guint i = 0; i < foreign_requests->len; i++) {
    SynapseTestRequest *request = foreign_requests->pdata[i];

    g_assert_null (soup_message_headers_get_one (request->headers,
            "Synapse-Access-Token"));
    g_assert_null (soup_message_headers_get_one (request->headers,
            "Authorization"));
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "sdk/ground_truth_events/"), ==, 1);
}

/* The backend's URL with a user and password in it. */
static char *
url_with_userinfo (Fixture * f, const char *userinfo)
{
  return g_strdup_printf ("http://%s@127.0.0.1:%u/", userinfo,
      synapse_test_backend_get_port (f->backend));
}

static char *
basic (const char *pair)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair,
      strlen (pair));

  return g_strconcat ("Basic ", encoded, NULL);
}

/* A password in the base URL is not shown anywhere the URL is: it is
 * taken out at construction and sent as Basic authentication, to the
 * backend's origin only. */
static void
test_userinfo_is_sent_as_basic_auth (Fixture * f, gconstpointer data)
{
  g_autofree char *url = url_with_userinfo (f, "user:pw-Secret%2F1");
  g_autoptr (SynapseClient) client = synapse_client_new (url, TEST_TOKEN);
  g_autofree char *read_back = NULL;
  g_autofree char *built = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *expected = basic ("user:pw-Secret/1");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;
  g_autoptr (JsonObject) model = NULL;

  /* as stored, read back and built on: no userinfo */
  g_object_get (client, "base-url", &read_back, NULL);
  g_assert_cmpstr (read_back, ==, f->url);
  g_assert_cmpstr (synapse_client_get_base_url (client), ==, f->url);
  built = synapse_client_build_url (client, "models/", NULL);
  g_assert_null (strstr (built, "pw-Secret"));
  g_assert_true (synapse_client_is_backend_origin (client, f->url));

  g_object_set (client, "retry-backoff-factor", 0.01, NULL);
  models = synapse_client_list_models (client, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  authorization = kit_dup_request_header (f->backend, "models/", 0,
      "Authorization");
  g_assert_cmpstr (authorization, ==, expected);
  g_clear_pointer (&authorization, g_free);
  authorization = kit_dup_request_header (f->backend, "models/", 0,
      "Synapse-Access-Token");
  g_assert_cmpstr (authorization, ==, "Token " TEST_TOKEN);

  /* nor in an error */
  model = synapse_client_get_model (client, 999, NULL, NULL, NULL, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_NOT_FOUND);
  g_assert_null (strstr (error->message, "pw-Secret"));
  g_assert_null (strstr (error->message, "user@"));
  g_assert_null (strstr (synapse_client_error_get_url (error), "pw-Secret"));

  /* the same from the environment */
  {
    g_autoptr (SynapseClient) from_env = NULL;
    g_autoptr (JsonArray) listed = NULL;

    g_clear_pointer (&authorization, g_free);
    g_clear_error (&error);
    synapse_test_backend_clear_requests (f->backend);
    g_setenv ("SYNAPSE_BACKEND_URL", url, TRUE);
    g_setenv ("SYNAPSE_ACCESS_TOKEN", TEST_TOKEN, TRUE);
    from_env = synapse_client_new_from_env (&error);
    g_unsetenv ("SYNAPSE_BACKEND_URL");
    g_unsetenv ("SYNAPSE_ACCESS_TOKEN");
    g_assert_no_error (error);
    g_assert_cmpstr (synapse_client_get_base_url (from_env), ==, f->url);
    listed = synapse_client_list_models (from_env, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    authorization = kit_dup_request_header (f->backend, "models/", 0,
        "Authorization");
    g_assert_cmpstr (authorization, ==, expected);
  }

  /* an authorization token takes the Authorization header */
  g_clear_pointer (&authorization, g_free);
  g_clear_pointer (&models, json_array_unref);
  g_clear_error (&error);
  synapse_test_backend_clear_requests (f->backend);
  g_object_set (client, "authorization-token", "auth-1", NULL);
  models = synapse_client_list_models (client, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  authorization = kit_dup_request_header (f->backend, "models/", 0,
      "Authorization");
  g_assert_cmpstr (authorization, ==, "Token auth-1");
}

/* ... and only to that origin: a `next` link elsewhere gets no
 * Authorization. */
static void
test_userinfo_stays_on_the_backend_origin (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseTestBackend) foreign =
      synapse_test_backend_new (&foreign_options, &error);
  g_autofree char *foreign_url = synapse_test_backend_dup_url (foreign);
  g_autofree char *url = url_with_userinfo (f, "user:pw-Secret");
  g_autoptr (SynapseClient) client = synapse_client_new (url, TEST_TOKEN);
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (GPtrArray) foreign_requests = NULL;
  g_autofree char *authorization = NULL;
  g_autofree char *expected = basic ("user:pw-Secret");

  g_assert_no_error (error);
  synapse_test_backend_set_next_base_url (f->backend, foreign_url);
  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  json_object_set_int_member (params, "page_size", 40);
  events = synapse_client_list_ground_truth_events (client, params, NULL,
      TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (events), ==, 100);

  authorization =
      kit_dup_request_header (f->backend, "sdk/ground_truth_events/", 0,
      "Authorization");
  g_assert_cmpstr (authorization, ==, expected);
  foreign_requests = synapse_test_backend_dup_requests (foreign);
  g_assert_cmpuint (foreign_requests->len, ==, 2);
  for (guint i = 0; i < foreign_requests->len; i++) {
    SynapseTestRequest *request = foreign_requests->pdata[i];

    g_assert_null (soup_message_headers_get_one (request->headers,
            "Authorization"));
    g_assert_null (soup_message_headers_get_one (request->headers,
            "Synapse-Access-Token"));
  }
}

static void
test_http_urls_are_told_apart (Fixture * f, gconstpointer data)
{
  const char *yes[] = { "http://h/", "https://h:8443/a?b#c", "HTTPS://H/",
    "http://user:pw@127.0.0.1:8000/", NULL
  };
  const char *no[] = { NULL, "", "h/", "/path", "ftp://h/", "https://",
    "http:/.//x", "http:h", "file:///etc/passwd", NULL
  };

  for (guint i = 0; yes[i]; i++)
    g_assert_true (synapse_is_http_url (yes[i]));
  g_assert_false (synapse_is_http_url (NULL));
  for (guint i = 1; no[i]; i++)
    g_assert_false (synapse_is_http_url (no[i]));
}

/* GUri's verdict, strict as libsoup parses: the definition the library's
 * test must keep, however it gets there. */
static gboolean
guri_says_http_url (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

  return uri && (g_str_equal (g_uri_get_scheme (uri), "http")
      || g_str_equal (g_uri_get_scheme (uri), "https"))
      && g_uri_get_host (uri) && *g_uri_get_host (uri);
}

/* The library's quick test of plain URLs agrees with GUri on 200,000
 * strings made of URL pieces, well formed and not (escapes, ports past
 * 65535, brackets, spaces, non-ASCII, upper-case schemes, a second `#`). */
static void
test_http_url_check_agrees_with_guri (Fixture * f, gconstpointer data)
{
  static const char *const pieces[] = {
    "http://", "https://", "HTTP://", "http:", "//", "/", "?", "#", "@",
    ":", ":80", ":0", ":65535", ":65536", ":123456", "%", "%41", "%zz",
    " ", "[", "]", "[::1]", "a", "Z", "09", "-", ".", "_", "~", "!", "$",
    "&", "'", "(", "*", "+", ",", ";", "=", "\"", "<", "\\", "^", "|",
    "\xc3\xa9", "\x7f", "\t", "host", "cdn.example.com", "media/f.png",
    "user:pw@",
  };
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261202);
  guint agreed = 0;

  for (guint i = 0; i < 200000; i++) {
    g_autoptr (GString) url = g_string_new (NULL);
    guint n = g_rand_int_range (rand, 1, 9);

    /* most strings start as a URL does, so that the rest is what varies */
    if (g_rand_int_range (rand, 0, 10) < 7)
      g_string_append (url, g_rand_boolean (rand) ? "http://" : "https://");
    for (guint k = 0; k < n; k++)
      g_string_append (url, pieces[g_rand_int_range (rand, 0,
                  G_N_ELEMENTS (pieces))]);
    if (synapse_is_http_url (url->str) != guri_says_http_url (url->str))
      g_error ("\"%s\": the library says %d, GUri %d", url->str,
          synapse_is_http_url (url->str), guri_says_http_url (url->str));
    agreed += guri_says_http_url (url->str);
  }
  /* both verdicts came up often */
  g_assert_cmpuint (agreed, >, 20000);
  g_assert_cmpuint (agreed, <, 180000);
}

static void
test_origin_is_scheme_host_and_port (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseClient) client =
      synapse_client_new ("https://api.example.com/v1/", "t");

  g_assert_true (synapse_client_is_backend_origin (client,
          "https://api.example.com/v1/models/?page=2"));
  g_assert_true (synapse_client_is_backend_origin (client,
          "https://API.example.com:443/media/x.jpg"));
  g_assert_false (synapse_client_is_backend_origin (client,
          "http://api.example.com/v1/models/"));
  g_assert_false (synapse_client_is_backend_origin (client,
          "https://api.example.com:8443/v1/models/"));
  g_assert_false (synapse_client_is_backend_origin (client,
          "https://api.example.com.evil.test/v1/"));
  g_assert_false (synapse_client_is_backend_origin (client,
          "https://cdn.example.com/file.bin"));
}

/* A server that answers every request with a redirect to @target. */
typedef struct
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  char *target;
  char *url;
  GMutex lock;
  GCond ready;
  GPtrArray *seen_tokens;
} Redirector;

static void
redirect_handler (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  Redirector *r = user_data;
  const char *token =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Synapse-Access-Token");
  g_autofree char *location = g_strconcat (r->target, path + 1, NULL);

  g_mutex_lock (&r->lock);
  g_ptr_array_add (r->seen_tokens, g_strdup (token ? token : "(none)"));
  g_mutex_unlock (&r->lock);
  soup_server_message_set_redirect (msg, 302, location);
}

static gpointer
redirector_run (gpointer data)
{
  Redirector *r = data;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (r->context);
  r->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (r->server, NULL, redirect_handler, r, NULL);
  soup_server_listen_local (r->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY,
      &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (r->server);
  g_mutex_lock (&r->lock);
  r->url = g_uri_to_string (uris->data);
  g_cond_signal (&r->ready);
  g_mutex_unlock (&r->lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (r->loop);
  soup_server_disconnect (r->server);
  g_clear_object (&r->server);
  g_main_context_pop_thread_default (r->context);
  return NULL;
}

static Redirector *
redirector_new (const char *target)
{
  Redirector *r = g_new0 (Redirector, 1);

  g_mutex_init (&r->lock);
  g_cond_init (&r->ready);
  r->target = g_strdup (target);
  r->seen_tokens = g_ptr_array_new_with_free_func (g_free);
  r->context = g_main_context_new ();
  r->loop = g_main_loop_new (r->context, FALSE);
  r->thread = g_thread_new ("redirector", redirector_run, r);
  g_mutex_lock (&r->lock);
  while (r->url == NULL)
    g_cond_wait (&r->ready, &r->lock);
  g_mutex_unlock (&r->lock);
  return r;
}

static void
redirector_free (Redirector * r)
{
  g_main_loop_quit (r->loop);
  g_thread_join (r->thread);
  g_main_loop_unref (r->loop);
  g_main_context_unref (r->context);
  g_ptr_array_unref (r->seen_tokens);
  g_free (r->target);
  g_free (r->url);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->ready);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Redirector, redirector_free)

static void
test_redirect_to_another_origin_drops_credentials (Fixture * f,
    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseTestBackend) foreign =
      synapse_test_backend_new (&foreign_options, &error);
  g_autofree char *foreign_url = synapse_test_backend_dup_url (foreign);
  g_autoptr (Redirector) redirector = redirector_new (foreign_url);
  g_autoptr (SynapseClient) client = synapse_client_new (redirector->url,
      TEST_TOKEN);
  g_autoptr (JsonArray) models = NULL;
  g_autofree char *forwarded = NULL;

  g_assert_no_error (error);
  models = synapse_client_list_models (client, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (models), ==, 5);

  /* the redirecting origin is the backend's and got the token; the target
   * of its redirect did not */
  g_assert_cmpstr (redirector->seen_tokens->pdata[0], ==,
      "Token " TEST_TOKEN);
  g_assert_cmpuint (synapse_test_backend_count_requests (foreign, "models/"),
      ==, 1);
  forwarded = NULL;
  {
    g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests
        (foreign);
    SynapseTestRequest *request = requests->pdata[0];

    g_assert_null (soup_message_headers_get_one (request->headers,
            "Synapse-Access-Token"));
  }
}

static void
test_urls_are_joined_like_the_sdk (Fixture * f, gconstpointer data)
{
  const char *bases[] = { "http://h.test/api", "http://h.test/api/",
    "http://h.test/api//"
  };

  for (guint i = 0; i < G_N_ELEMENTS (bases); i++) {
    g_autoptr (SynapseClient) client = synapse_client_new (bases[i], NULL);
    g_autofree char *a = synapse_client_build_url (client, "models/", NULL);
    g_autofree char *b = synapse_client_build_url (client, "/models/1/",
        NULL);
    g_autofree char *c = synapse_client_build_url (client,
        "https://other.test/x/?page=2", NULL);

    g_assert_cmpstr (a, ==, "http://h.test/api/models/");
    g_assert_cmpstr (b, ==, "http://h.test/api/models/1/");
    g_assert_cmpstr (c, ==, "https://other.test/x/?page=2");
  }
}

static void
test_params_are_encoded_like_the_sdk (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseClient) client = synapse_client_new ("http://h.test/",
      NULL);
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) versions = json_array_new ();
  g_autofree char *url = NULL;
  g_autofree char *with_query = NULL;

  json_array_add_int_element (versions, 1);
  json_array_add_int_element (versions, 22);
  json_object_set_array_member (params, "ground_truth_dataset_versions",
      json_array_ref (versions));
  json_object_set_boolean_member (params, "is_active", TRUE);
  json_object_set_boolean_member (params, "include_file", FALSE);
  json_object_set_int_member (params, "project", -7);
  json_object_set_double_member (params, "score", 0.1);
  json_object_set_string_member (params, "search", "café & co/=?+");
  json_object_set_null_member (params, "skipped");

  url = synapse_client_build_url (client, "sdk/ground_truth_events/",
      params);
  g_assert_cmpstr (url, ==, "http://h.test/sdk/ground_truth_events/?"
      "ground_truth_dataset_versions=1&ground_truth_dataset_versions=22"
      "&is_active=true&include_file=false&project=-7&score=0.1"
      "&search=caf%C3%A9%20%26%20co%2F%3D%3F%2B");

  with_query = synapse_client_build_url (client, "http://h.test/x/?page=2",
      params);
  g_assert_true (g_str_has_prefix (with_query,
          "http://h.test/x/?page=2&ground_truth_dataset_versions=1&"));
}

static void
test_repeated_keys_reach_the_backend (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) versions = json_array_new ();
  g_autoptr (JsonArray) events = NULL;
  g_autofree char *query = NULL;
  guint64 total = 0;

  json_array_add_int_element (versions, 1);
  json_array_add_int_element (versions, 3);
  json_object_set_array_member (params, "ground_truth_dataset_versions",
      g_steal_pointer (&versions));
  json_object_set_int_member (params, "page_size", 1000);

  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      FALSE, &total, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 200);
  for (guint i = 0; i < json_array_get_length (events); i++) {
    JsonObject *event = json_array_get_object_element (events, i);
    gint64 version = json_object_get_int_member (event,
        "ground_truth_dataset_version");

    g_assert_true (version == 1 || version == 3);
  }
  query = kit_dup_request_query (f->backend, "sdk/ground_truth_events/", 0);
  g_assert_nonnull (strstr (query, "ground_truth_dataset_versions=1&"
          "ground_truth_dataset_versions=3"));
}

static void
test_http_errors_keep_status_and_detail (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = synapse_client_get_model (f->client, 999,
      NULL, NULL, NULL, &error);
  JsonNode *detail;

  g_assert_null (model);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpuint (synapse_client_error_get_status_code (error), ==, 404);
  detail = synapse_client_error_get_detail (error);
  g_assert_nonnull (detail);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object
          (detail), "detail"), ==, "Not found.");
  g_assert_cmpstr (synapse_client_error_get_method (error), ==, "GET");
  g_assert_true (g_str_has_suffix (synapse_client_error_get_url (error),
          "/models/999/"));
  /* the message names the request and the server's words */
  g_assert_nonnull (strstr (error->message, "models/999/"));
  g_assert_nonnull (strstr (error->message, "Not found."));
  /* a 404 is not worth a retry */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/999/"), ==, 1);
}

static void
test_wrong_token_is_401_with_the_server_detail (Fixture * f,
    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseClient) client = synapse_client_new (f->url, "wrong");
  g_autoptr (JsonArray) models = synapse_client_list_models (client, NULL,
      NULL, NULL, &error);

  g_assert_null (models);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "Invalid token."));
  g_assert_null (strstr (error->message, "wrong"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 1);
}

static void
test_400_field_errors_are_described (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;
  JsonNode *detail;

  kit_add_fault (f->backend, "status=400 path=models/ body='{\"page_size\": "
      "[\"Enter a whole number.\"]}'");
  models = list_models (f, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message,
          "page_size: Enter a whole number."));
  detail = synapse_client_error_get_detail (error);
  g_assert_true (json_object_has_member (json_node_get_object (detail),
          "page_size"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 1);
}

/* Whether @text holds a control character a terminal would act on: C0,
 * DEL or C1. */
static gboolean
has_control_characters (const char *text)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (c < 0x20 || (c >= 0x7f && c < 0xa0))
      return TRUE;
  }
  return FALSE;
}

/* The backend's words reach terminals: escape sequences (ESC as JSON
 * escapes it, raw in a text body, and C1's CSI), BEL and line breaks are
 * replaced in every message, while the parsed body stays as it came. */
static void
test_server_text_is_quoted_safely (Fixture * f, gconstpointer data)
{
  const char *bodies[] = {
    "{\"detail\": \"\\u001b[2J\\u001b[31mBackend on fire\\u0007 \\u009b6n\"}",
    "{\"name\": [\"\\u001b]0;owned\\u0007Bad name\\nsecond line\"]}",
    "\x1b[1;31mBad gateway\x07\r\nX-Forged: yes",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++) {
    SynapseTestFault fault = {
      .kind = SYNAPSE_TEST_FAULT_STATUS,
      .path = "models/",
      .status = 400,
      .retry_after = -1,
      .body = bodies[i],
    };
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonArray) models = NULL;
    g_autofree char *described = NULL;
    g_autofree char *text = NULL;
    g_autofree char *raw = NULL;

    synapse_test_backend_clear_faults (f->backend);
    synapse_test_backend_add_fault (f->backend, &fault);
    models = list_models (f, &error);
    g_assert_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_BAD_REQUEST);
    described = synapse_client_error_describe_detail (error);
    text = synapse_client_error_dup_detail_text (error);
    g_test_message ("%s | %s | %s", error->message, described, text);

    g_assert_false (has_control_characters (error->message));
    g_assert_false (has_control_characters (described));
    g_assert_false (has_control_characters (text));
    /* the words are all there, the controls replaced by U+FFFD */
    g_assert_nonnull (strstr (error->message, "\xef\xbf\xbd"));
    g_assert_nonnull (strstr (described, i == 1 ? "Bad name second line" :
            i == 0 ? "Backend on fire" :
            "Bad gateway\xef\xbf\xbd  X-Forged: yes"));
    g_assert_nonnull (strstr (error->message, described));
    /* the body itself, for programs, is the backend's */
    raw = json_to_string (synapse_client_error_get_detail (error), FALSE);
    g_assert_true (strstr (raw, "\\u001b") || strchr (raw, '\x1b'));
  }
}

typedef struct
{
  guint status;
  guint times;                  /* 0: always */
  gboolean succeeds;
  guint expected_requests;
} RetryCase;

static void
test_retryable_statuses (Fixture * f, gconstpointer data)
{
  const RetryCase cases[] = {
    {500, 1, TRUE, 2},
    {502, 2, TRUE, 3},
    {503, 3, TRUE, 4},
    {504, 1, TRUE, 2},
    {429, 1, TRUE, 2},
    /* exhausted: the last real status, never a summary */
    {500, 0, FALSE, 4},
    {503, 0, FALSE, 4},
    {429, 0, FALSE, 4},
    /* never retried */
    {400, 0, FALSE, 1},
    {403, 0, FALSE, 1},
    {409, 0, FALSE, 1},
  };

  g_object_set (f->client, "retries", 3, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const RetryCase *c = &cases[i];
    SynapseTestFault fault = {
      .kind = SYNAPSE_TEST_FAULT_STATUS,
      .path = "models/",
      .status = c->status,
      .times = c->times,
      .retry_after = -1,
    };
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonArray) models = NULL;

    synapse_test_backend_clear_faults (f->backend);
    synapse_test_backend_clear_requests (f->backend);
    synapse_test_backend_add_fault (f->backend, &fault);

    models = list_models (f, &error);
    if (c->succeeds) {
      g_assert_no_error (error);
      g_assert_cmpuint (json_array_get_length (models), ==, 5);
    } else {
      g_assert_error (error, SYNAPSE_CLIENT_ERROR, (gint) c->status);
      g_assert_cmpuint (synapse_client_error_get_status_code (error), ==,
          c->status);
    }
    g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
            "models/"), ==, c->expected_requests);
  }
}

static void
test_retry_after_is_honoured (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;
  gint64 start;

  g_object_set (f->client, "retry-backoff-max", 5.0, NULL);
  kit_add_fault (f->backend, "status=429 path=models/ times=1 retry-after=1");
  start = g_get_monotonic_time ();
  models = list_models (f, &error);
  g_assert_no_error (error);
  /* waited as told, not the 0.01 s backoff */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 950 * 1000);
}

static void
test_retry_after_is_capped (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;
  gint64 start;

  g_object_set (f->client, "retry-backoff-max", 0.2, NULL);
  kit_add_fault (f->backend, "status=429 path=models/ times=1 "
      "retry-after=3600");
  start = g_get_monotonic_time ();
  models = list_models (f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 30 * G_USEC_PER_SEC);
}

/* A POST that may have reached the backend is never sent again: a gateway
 * that answers 502, 503 or 504 (or a server that fails with 500) may do so
 * after the backend acted on it, and a second POST could make a second
 * model. Only an answer that says the request was not handled (429) lets
 * it go again. */
static void
test_post_is_never_repeated_blindly (Fixture * f, gconstpointer data)
{
  const struct
  {
    guint status;
    guint expected_requests;
  } cases[] = {
    {500, 1}, {502, 1}, {503, 1}, {504, 1}, {429, 2},
  };

  g_object_set (f->client, "retries", 3, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    SynapseTestFault fault = {
      .kind = SYNAPSE_TEST_FAULT_STATUS,
      .method = "POST",
      .path = "models/",
      .status = cases[i].status,
      .times = 1,
      .retry_after = -1,
    };
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) body = json_from_string ("{\"name\": \"m\"}", NULL);
    g_autoptr (JsonNode) reply = NULL;

    synapse_test_backend_clear_faults (f->backend);
    synapse_test_backend_clear_requests (f->backend);
    synapse_test_backend_add_fault (f->backend, &fault);
    reply = synapse_client_request (f->client, "POST", "models/", NULL, body,
        NULL, &error);
    if (cases[i].expected_requests == 1) {
      g_assert_error (error, SYNAPSE_CLIENT_ERROR, (gint) cases[i].status);
      g_assert_cmpuint (synapse_client_error_get_status_code (error), ==,
          cases[i].status);
    }
    g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
            "models/"), ==, cases[i].expected_requests);
  }
}

static void
test_broken_responses_are_retried (Fixture * f, gconstpointer data)
{
  const SynapseTestFaultKind kinds[] = {
    SYNAPSE_TEST_FAULT_CUT_RESPONSE,
    SYNAPSE_TEST_FAULT_TRUNCATE,
    SYNAPSE_TEST_FAULT_DROP_RESPONSE,
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++) {
    SynapseTestFault fault = {
      .kind = kinds[i],
      .path = "ground_truth_dataset_versions/2/",
      .bytes = 20,
      .times = 1,
    };
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) version = NULL;
    g_autoptr (JsonObject) expected =
        synapse_test_backend_dup_version (f->backend, 2);
    g_autoptr (JsonNode) a = json_node_new (JSON_NODE_OBJECT);
    g_autoptr (JsonNode) b = json_node_new (JSON_NODE_OBJECT);

    synapse_test_backend_clear_faults (f->backend);
    synapse_test_backend_clear_requests (f->backend);
    synapse_test_backend_add_fault (f->backend, &fault);
    version = synapse_client_get_ground_truth_version (f->client, 2, NULL,
        &error);
    g_assert_no_error (error);
    json_node_set_object (a, version);
    json_node_set_object (b, expected);
    g_assert_true (json_node_equal (a, b));
    g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
            "ground_truth_dataset_versions/"), ==, 2);
  }
}

static void
test_malformed_json_is_a_protocol_error (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;

  g_object_set (f->client, "retries", 1, NULL);
  kit_add_fault (f->backend, "truncate path=models/ bytes=15");
  models = list_models (f, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "/models/"));
  g_assert_nonnull (strstr (error->message, "malformed JSON"));
}

static void
test_unexpected_shapes_are_protocol_errors (Fixture * f, gconstpointer data)
{
  const char *bodies[] = {
    "[1, 2]",
    "{\"count\": 3}",
    "{\"count\": 3, \"results\": {}}",
    "{\"count\": \"3\", \"results\": []}",
    "{\"count\": 1, \"results\": [42]}",
    "{\"count\": 1, \"next\": 7, \"results\": []}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++) {
    SynapseTestFault fault = {
      .kind = SYNAPSE_TEST_FAULT_STATUS,
      .path = "sdk/ground_truth_events/",
      .status = 200,
      .retry_after = -1,
      .body = bodies[i],
    };
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonArray) events = NULL;

    synapse_test_backend_clear_faults (f->backend);
    synapse_test_backend_add_fault (f->backend, &fault);
    events = synapse_client_list_ground_truth_events (f->client, NULL, NULL,
        TRUE, NULL, NULL, &error);
    g_assert_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_PROTOCOL);
    g_assert_null (events);
  }
}

static void
test_oversized_response_is_refused (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;

  g_object_set (f->client, "max-response-size", (guint64) 4096, NULL);
  json_object_set_int_member (params, "page_size", 100);
  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      FALSE, NULL, NULL, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "exceeds the limit"));
}

typedef struct
{
  GCancellable *cancellable;
  guint delay_ms;
} Canceller;

static gpointer
cancel_later (gpointer data)
{
  Canceller *canceller = data;

  g_usleep (canceller->delay_ms * 1000);
  g_cancellable_cancel (canceller->cancellable);
  return NULL;
}

static void
assert_cancelled_promptly (Fixture * f)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Canceller canceller = { cancellable, 200 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;
  GThread *thread;
  gint64 start = g_get_monotonic_time ();

  thread = g_thread_new ("canceller", cancel_later, &canceller);
  models = synapse_client_list_models (f->client, NULL, NULL, cancellable,
      &error);
  g_thread_join (thread);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
}

static void
test_cancel_ends_a_stalled_request (Fixture * f, gconstpointer data)
{

  kit_add_fault (f->backend, "stall path=models/");
  assert_cancelled_promptly (f);
}

static void
test_cancel_ends_a_backoff_sleep (Fixture * f, gconstpointer data)
{

  g_object_set (f->client, "retry-backoff-max", 60.0, NULL);
  kit_add_fault (f->backend, "status=503 path=models/ retry-after=60");
  assert_cancelled_promptly (f);
}

static void
test_timeout_then_retry (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;

  g_object_set (f->client, "timeout", 1, NULL);
  kit_add_fault (f->backend, "stall path=models/ times=1");
  models = list_models (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 2);
}

static void
test_timeout_exhausted (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;
  gint64 start = g_get_monotonic_time ();

  g_object_set (f->client, "timeout", 1, "retries", 1, NULL);
  kit_add_fault (f->backend, "stall path=models/");
  models = list_models (f, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "/models/"));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

/* The low-speed limit: libsoup's timeout is per read, so a server that
 * keeps each read busy while moving next to nothing held a request for
 * ever. Windows of `timeout` seconds must move low-speed-limit × timeout
 * bytes. */

/* A listing whose trickled answer would take far longer than the bound
 * the tests allow (the models page is over a kilobyte, sent a byte a
 * second). */
static void
add_slow_fault (Fixture * f, const char *spec)
{
  g_autoptr (GError) error = NULL;

  synapse_test_backend_add_fault_spec (f->backend, spec, &error);
  g_assert_no_error (error);
}

static void
assert_slow_attempt_retried (Fixture * f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;
  gint64 start = g_get_monotonic_time ();

  g_object_set (f->client, "timeout", 2, NULL);
  models = list_models (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (models), ==, 5);
  /* the slow attempt was given up, and the next one answered */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 2);
  /* a bound only against hanging: the trickle alone would take minutes */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 60 * G_USEC_PER_SEC);
}

static void
test_low_speed_trickle_is_a_timeout (Fixture * f, gconstpointer data)
{
  add_slow_fault (f, "trickle bytes=1 ms=1000 path=models/ times=1");
  assert_slow_attempt_retried (f);
}

static void
test_low_speed_processing_forever_is_a_timeout (Fixture * f,
    gconstpointer data)
{
  add_slow_fault (f, "processing ms=500 path=models/ times=1");
  assert_slow_attempt_retried (f);
}

static void
test_low_speed_exhausted (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;

  add_slow_fault (f, "trickle bytes=1 ms=1000 path=models/");
  g_object_set (f->client, "timeout", 2, "retries", 1, NULL);
  models = list_models (f, &error);
  g_assert_null (models);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "/models/"));
  g_assert_nonnull (strstr (error->message, "low-speed limit"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 2);
}

/* An error body sent too slowly leaves its status as the answer: a 503 is
 * retried as a 503. */
static void
test_low_speed_error_body_keeps_the_status (Fixture * f, gconstpointer data)
{
  add_slow_fault (f, "trickle status=503 bytes=1 ms=1000 path=models/ "
      "times=1 body='{\"detail\": \"The backend is busy, try again in a "
      "while, thank you for your patience.\"}'");
  assert_slow_attempt_retried (f);
}

/* A transfer above the floor passes however long it takes: the events of
 * a page trickle at about 20 KB/s, ten times the floor, over several
 * windows. */
static void
test_low_speed_steady_transfer_passes (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) expected =
      synapse_test_backend_dup_events (f->backend, 1);
  g_autoptr (GPtrArray) requests = NULL;
  SynapseTestRequest *request;
  gint64 start = g_get_monotonic_time ();

  add_slow_fault (f, "trickle bytes=1024 ms=50 path=sdk/ground_truth_events/");
  g_object_set (f->client, "timeout", 1, "low-speed-limit", 2000, NULL);
  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  json_object_set_int_member (params, "page_size", 100);
  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  kit_assert_events (events, expected);
  requests = synapse_test_backend_dup_requests (f->backend);
  g_assert_cmpuint (requests->len, ==, 1);
  request = requests->pdata[0];
  g_assert_cmpuint (request->status, ==, 200);
  /* it did span more than one window */
  g_assert_cmpint (g_get_monotonic_time () - start, >, G_USEC_PER_SEC);
}

/* An upload slower than a window but above the floor passes: what the
 * request body moves counts, as the backend reads it slowly. */
static void
test_low_speed_slow_upload_passes (Fixture * f, gconstpointer data)
{
  gsize size = 10 * 1024 * 1024;
  g_autofree char *path = fixture_make_file (f, "big.bin", size);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;
  gint64 start = g_get_monotonic_time ();

  /* about 1.4 MB/s, fourteen times the floor; a window long enough for
   * what the kernel buffers to drain, and for the backend to hash the
   * chunk, under valgrind too */
  add_slow_fault (f, "slow-read ms=5 method=PUT path=chunked_upload/");
  g_object_set (f->client, "timeout", 5, "low-speed-limit", 100000, NULL);
  upload = synapse_client_create_chunked_upload (f->client, path, size, NULL,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (upload, "size"), ==, size);
  /* one attempt, over more than one window */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "chunked_upload/"), ==, 2);
  g_test_message ("%.1f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (g_get_monotonic_time () - start, >, 5 * G_USEC_PER_SEC);
}

/* The caller's own cancellation during a slow answer stays a
 * cancellation, in a 2xx body as in an error body. */
static void
test_low_speed_cancel_is_not_a_timeout (Fixture * f, gconstpointer data)
{
  const char *specs[] = {
    "trickle bytes=1 ms=1000 path=models/",
    "trickle status=500 bytes=1 ms=1000 path=models/",
  };

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++) {
    synapse_test_backend_clear_faults (f->backend);
    add_slow_fault (f, specs[i]);
    g_object_set (f->client, "timeout", 30, NULL);
    assert_cancelled_promptly (f);
  }
}

static void
test_unreachable_backend_is_a_connection_error (Fixture * f,
    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;

  synapse_test_backend_stop (f->backend);
  g_object_set (f->client, "retries", 2, NULL);
  models = list_models (f, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_CONNECTION);
  g_assert_nonnull (strstr (error->message, "3 attempts"));
}

static void
test_restarted_backend_is_reached_again (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) first = list_models (f, &error);
  g_autoptr (JsonArray) second = NULL;

  g_assert_no_error (error);
  synapse_test_backend_stop (f->backend);
  g_assert_true (synapse_test_backend_start (f->backend, &error));
  g_assert_no_error (error);
  second = list_models (f, &error);
  g_assert_no_error (error);
  kit_assert_events (first, second);
}

static void
test_generic_request (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) version = synapse_client_request (f->client, "get",
      "ground_truth_dataset_versions/1/", NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (version));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object
          (version), "id"), ==, 1);
}

static void
on_request_done (GObject * source, GAsyncResult * result, gpointer data)
{
  JsonNode **reply = data;
  g_autoptr (GError) error = NULL;

  *reply = synapse_client_request_finish (SYNAPSE_CLIENT (source), result,
      &error);
  g_assert_no_error (error);
}

static void
test_generic_request_async (Fixture * f, gconstpointer data)
{
  JsonNode *reply = NULL;

  synapse_client_request_async (f->client, "GET", "models/3/", NULL, NULL,
      NULL, on_request_done, &reply);
  while (reply == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (reply),
          "id"), ==, 3);
  json_node_unref (reply);
}

static void
test_client_from_environment (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseClient) client = NULL;
  g_autoptr (JsonArray) models = NULL;
  g_autofree char *access = NULL;
  g_autofree char *tenant = NULL;

  g_unsetenv ("SYNAPSE_BACKEND_URL");
  client = synapse_client_new_from_env (&error);
  g_assert_null (client);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_setenv ("SYNAPSE_BACKEND_URL", "ftp://example.com/", TRUE);
  client = synapse_client_new_from_env (&error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_setenv ("SYNAPSE_BACKEND_URL", f->url, TRUE);
  g_setenv ("SYNAPSE_ACCESS_TOKEN", TEST_TOKEN, TRUE);
  g_setenv ("SYNAPSE_TENANT", "acme", TRUE);
  client = synapse_client_new_from_env (&error);
  g_assert_no_error (error);
  models = synapse_client_list_models (client, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  access = kit_dup_request_header (f->backend, "models/", 0,
      "Synapse-Access-Token");
  tenant = kit_dup_request_header (f->backend, "models/", 0, "Synapse-Tenant");
  g_assert_cmpstr (access, ==, "Token " TEST_TOKEN);
  g_assert_cmpstr (tenant, ==, "Token acme");
  g_unsetenv ("SYNAPSE_BACKEND_URL");
  g_unsetenv ("SYNAPSE_ACCESS_TOKEN");
  g_unsetenv ("SYNAPSE_TENANT");
}

static void
test_token_is_write_only (Fixture * f, gconstpointer data)
{
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (f->client),
      "access-token");

  g_assert_nonnull (pspec);
  g_assert_false (pspec->flags & G_PARAM_READABLE);
}

/* A credential that cannot go into a header (libsoup drops a value with a
 * line break, with a critical, and the request went out without it) is
 * refused before any request, by name and never by value. */
static void
test_control_characters_in_credentials_are_refused (Fixture * f,
    gconstpointer data)
{
  const char *names[] = {
    "access-token", "authorization-token", "tenant", "agent-token",
  };
  const char *values[] = {
    "secret-1\r\nX-Injected: yes", "secret-2\n", "secret-3\ttab",
    "secret-4\x1b[31m", "secret-5\x7f",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    for (guint j = 0; j < G_N_ELEMENTS (values); j++) {
      g_autoptr (SynapseClient) client = synapse_client_new (f->url, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) checked = NULL;
      g_autoptr (JsonArray) models = NULL;
      g_autofree char *secret = g_strndup (values[j], 8);

      g_object_set (client, names[i], values[j], NULL);
      g_assert_false (synapse_client_check_credentials (client, &checked));
      g_assert_error (checked, SYNAPSE_CLIENT_ERROR,
          SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
      models = synapse_client_list_models (client, NULL, NULL, NULL, &error);
      g_assert_null (models);
      g_assert_error (error, SYNAPSE_CLIENT_ERROR,
          SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, checked->message);
      g_assert_nonnull (strstr (error->message, names[i]));
      g_assert_null (strstr (error->message, secret));
    }
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);

  /* the same from the environment, before a client is made */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SynapseClient) client = NULL;

    g_setenv ("SYNAPSE_BACKEND_URL", f->url, TRUE);
    g_setenv ("SYNAPSE_ACCESS_TOKEN", "secret-6\r\n", TRUE);
    client = synapse_client_new_from_env (&error);
    g_unsetenv ("SYNAPSE_BACKEND_URL");
    g_unsetenv ("SYNAPSE_ACCESS_TOKEN");
    g_assert_null (client);
    g_assert_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "SYNAPSE_ACCESS_TOKEN"));
    g_assert_null (strstr (error->message, "secret-6"));
  }

  /* printable text, UTF-8 included, is a credential like any other */
  {
    g_autoptr (GError) error = NULL;

    g_object_set (f->client, "tenant", "acmé corp", NULL);
    g_assert_true (synapse_client_check_credentials (f->client, &error));
    g_assert_no_error (error);
  }
}

/* An HTTPS backend with a certificate no system authority vouches for. */
static void
fixture_set_up_tls (Fixture * f, gconstpointer data)
{
  g_autoptr (GTlsCertificate) certificate = kit_dup_test_certificate ();
  SynapseTestBackendOptions options = {
    .token = TEST_TOKEN,
    .versions = 1,
    .events = 10,
    .models = 5,
    .seed = 1,
    .tls_certificate = certificate,
  };

  fixture_set_up (f, &options);
  g_assert_true (g_str_has_prefix (f->url, "https://"));
}

static void
test_untrusted_certificate_is_refused (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = list_models (f, &error);

  g_assert_null (models);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_TLS);
  /* nothing reached the backend, and no token left the client */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

static void
test_certificate_trusted_through_ca_file (Fixture * f, gconstpointer data)
{
  g_autofree char *ca = kit_data_file ("ca.pem");
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;

  g_object_set (f->client, "ca-file", ca, NULL);
  models = list_models (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (models), ==, 5);
}

static void
test_certificate_check_opted_out (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;

  g_object_set (f->client, "ssl-strict", FALSE, NULL);
  models = list_models (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (models), ==, 5);
}

static void
test_unreadable_ca_file (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;

  g_object_set (f->client, "ca-file", "/nonexistent/ca.pem", NULL);
  models = list_models (f, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "/nonexistent/ca.pem"));
}

static void
test_hostile_nesting_is_refused (Fixture * f, gconstpointer data)
{
  g_autoptr (GString) deep = g_string_new ("{\"count\": 1, \"results\": [");
  SynapseTestFault fault = {
    .kind = SYNAPSE_TEST_FAULT_STATUS,
    .path = "models/",
    .status = 200,
    .retry_after = -1,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) models = NULL;

  /* a million levels would overflow a recursive parser's stack */
  for (guint i = 0; i < 1000000; i++)
    g_string_append_c (deep, '[');
  fault.body = deep->str;
  g_object_set (f->client, "retries", 0, NULL);
  synapse_test_backend_add_fault (f->backend, &fault);
  models = list_models (f, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "nesting deeper than"));
}

int
main (int argc, char **argv)
{
  kit_init (&argc, &argv);

  FIXTURE_ADD ("/client/credentials/sent-as-tokens",
      test_credentials_are_sent_as_tokens);
  FIXTURE_ADD ("/client/credentials/unset-not-sent",
      test_unset_credentials_are_not_sent);
  FIXTURE_ADD ("/client/credentials/stay-on-origin",
      test_credentials_stay_on_the_backend_origin);
  FIXTURE_ADD ("/client/credentials/origin-rule",
      test_origin_is_scheme_host_and_port);
  FIXTURE_ADD ("/client/url/http-urls", test_http_urls_are_told_apart);
  FIXTURE_ADD ("/client/url/http-urls/agree-with-guri",
      test_http_url_check_agrees_with_guri);
  FIXTURE_ADD ("/client/credentials/userinfo-is-basic-auth",
      test_userinfo_is_sent_as_basic_auth);
  FIXTURE_ADD ("/client/credentials/userinfo-stays-on-origin",
      test_userinfo_stays_on_the_backend_origin);
  FIXTURE_ADD ("/client/credentials/not-through-redirects",
      test_redirect_to_another_origin_drops_credentials);
  FIXTURE_ADD ("/client/credentials/token-write-only",
      test_token_is_write_only);
  FIXTURE_ADD ("/client/credentials/control-characters-refused",
      test_control_characters_in_credentials_are_refused);
  FIXTURE_ADD ("/client/url/joining", test_urls_are_joined_like_the_sdk);
  FIXTURE_ADD ("/client/url/params", test_params_are_encoded_like_the_sdk);
  FIXTURE_ADD ("/client/url/repeated-keys",
      test_repeated_keys_reach_the_backend);
  FIXTURE_ADD ("/client/errors/404", test_http_errors_keep_status_and_detail);
  FIXTURE_ADD ("/client/errors/401",
      test_wrong_token_is_401_with_the_server_detail);
  FIXTURE_ADD ("/client/errors/400", test_400_field_errors_are_described);
  FIXTURE_ADD ("/client/errors/server-text-quoted-safely",
      test_server_text_is_quoted_safely);
  FIXTURE_ADD ("/client/errors/malformed-json",
      test_malformed_json_is_a_protocol_error);
  FIXTURE_ADD ("/client/errors/unexpected-shapes",
      test_unexpected_shapes_are_protocol_errors);
  FIXTURE_ADD ("/client/errors/oversized", test_oversized_response_is_refused);
  FIXTURE_ADD ("/client/errors/hostile-nesting",
      test_hostile_nesting_is_refused);
  FIXTURE_ADD ("/client/errors/unreachable",
      test_unreachable_backend_is_a_connection_error);
  FIXTURE_ADD ("/client/retry/statuses", test_retryable_statuses);
  FIXTURE_ADD ("/client/retry/retry-after", test_retry_after_is_honoured);
  FIXTURE_ADD ("/client/retry/retry-after-capped", test_retry_after_is_capped);
  FIXTURE_ADD ("/client/retry/post-not-repeated",
      test_post_is_never_repeated_blindly);
  FIXTURE_ADD ("/client/retry/broken-responses",
      test_broken_responses_are_retried);
  FIXTURE_ADD ("/client/retry/restarted-backend",
      test_restarted_backend_is_reached_again);
  FIXTURE_ADD ("/client/cancel/stalled-request",
      test_cancel_ends_a_stalled_request);
  FIXTURE_ADD ("/client/cancel/backoff-sleep",
      test_cancel_ends_a_backoff_sleep);
  FIXTURE_ADD ("/client/timeout/retried", test_timeout_then_retry);
  FIXTURE_ADD ("/client/timeout/exhausted", test_timeout_exhausted);
  FIXTURE_ADD ("/client/low-speed/trickle",
      test_low_speed_trickle_is_a_timeout);
  FIXTURE_ADD ("/client/low-speed/processing-forever",
      test_low_speed_processing_forever_is_a_timeout);
  FIXTURE_ADD ("/client/low-speed/exhausted", test_low_speed_exhausted);
  FIXTURE_ADD ("/client/low-speed/error-body-keeps-status",
      test_low_speed_error_body_keeps_the_status);
  FIXTURE_ADD ("/client/low-speed/steady-transfer-passes",
      test_low_speed_steady_transfer_passes);
  FIXTURE_ADD ("/client/low-speed/slow-upload-passes",
      test_low_speed_slow_upload_passes);
  FIXTURE_ADD ("/client/low-speed/cancel-is-not-a-timeout",
      test_low_speed_cancel_is_not_a_timeout);
  FIXTURE_ADD ("/client/request/generic", test_generic_request);
  FIXTURE_ADD ("/client/request/generic-async", test_generic_request_async);
  FIXTURE_ADD ("/client/environment", test_client_from_environment);

  g_test_add ("/client/tls/untrusted-refused", Fixture, NULL,
      fixture_set_up_tls, test_untrusted_certificate_is_refused,
      fixture_tear_down);
  g_test_add ("/client/tls/ca-file", Fixture, NULL, fixture_set_up_tls,
      test_certificate_trusted_through_ca_file, fixture_tear_down);
  g_test_add ("/client/tls/opt-out", Fixture, NULL, fixture_set_up_tls,
      test_certificate_check_opted_out, fixture_tear_down);
  g_test_add ("/client/tls/unreadable-ca-file", Fixture, NULL,
      fixture_set_up_tls, test_unreadable_ca_file, fixture_tear_down);

  return g_test_run ();
}
