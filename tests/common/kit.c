/* kit.c: what every C test shares, the GLib part
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

#include <glib/gstdio.h>

#include "kit.h"

static void
assert_library_is_this_builds (void)
{
  const char *build = g_getenv ("SYNAPSE_BUILD_LIBRARY_DIR");
  Dl_info info = { 0 };
  g_autofree char *directory = NULL;
  g_autofree char *loaded = NULL;
  g_autofree char *expected = NULL;

  if (build == NULL)
    return;
  g_assert_true (dladdr ((void *) synapse_client_new, &info) != 0);
  directory = g_path_get_dirname (info.dli_fname);
  loaded = g_canonicalize_filename (directory, NULL);
  expected = g_canonicalize_filename (build, NULL);
  if (!g_str_equal (loaded, expected))
    g_error ("the libsynapse loaded is %s, not this build's (in %s)",
        info.dli_fname, expected);
}

void
kit_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, NULL);
  assert_library_is_this_builds ();
}

/* --- the backend -------------------------------------------------------- */

SynapseTestBackend *
kit_backend_new (const SynapseTestBackendOptions * options, char **url)
{
  g_autoptr (GError) error = NULL;
  SynapseTestBackend *backend = synapse_test_backend_new (options, &error);

  g_assert_no_error (error);
  *url = synapse_test_backend_dup_url (backend);
  return backend;
}

guint
kit_add_fault (SynapseTestBackend * backend, const char *spec)
{
  g_autoptr (GError) error = NULL;
  guint id = synapse_test_backend_add_fault_spec (backend, spec, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (id, >, 0);
  return id;
}

void
kit_answer_with (SynapseTestBackend * backend, const char *method,
    const char *path, const char *body)
{
  SynapseTestFault answer = {
    .kind = SYNAPSE_TEST_FAULT_STATUS,
    .method = method,
    .path = path,
    .status = 200,
    .retry_after = -1,
    .body = body,
  };

  synapse_test_backend_add_fault (backend, &answer);
}

void
kit_serve_events (SynapseTestBackend * backend, const char *results,
    guint count)
{
  g_autofree char *body = g_strdup_printf ("{\"count\":%u,\"next\":null,"
      "\"previous\":null,\"results\":[%s]}", count, results);

  kit_answer_with (backend, NULL, "sdk/ground_truth_events/", body);
}

guint
kit_request_page_number (const SynapseTestRequest * request)
{
  const char *at = request->query ? strstr (request->query, "page=") : NULL;

  /* `page=` and not the end of `page_size=` */
  while (at && at != request->query && at[-1] != '&')
    at = strstr (at + 1, "page=");
  return at ? (guint) g_ascii_strtoull (at + 5, NULL, 10) : 1;
}

guint
kit_count_requests (SynapseTestBackend * backend, const char *method,
    const char *path, guint status)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests (backend);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if ((method == NULL || g_str_equal (request->method, method))
        && (path == NULL || strstr (request->path, path))
        && (status == 0 || request->status == status))
      n++;
  }
  return n;
}

gint64
kit_timeout_multiplier (void)
{
  const char *multiplier = g_getenv ("KIT_TIMEOUT_MULTIPLIER");

  return multiplier ? MAX (g_ascii_strtoll (multiplier, NULL, 10), 1) : 1;
}

void
kit_wait_for_requests (SynapseTestBackend * backend, const char *path, guint n)
{
  gint64 deadline = g_get_monotonic_time () + kit_timeout_multiplier () * 5
      * G_USEC_PER_SEC;

  while (synapse_test_backend_count_requests (backend, path) < n) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (2000);
  }
}

/* The @index-th request of @requests whose path holds @path. */
static SynapseTestRequest *
find_request (GPtrArray * requests, const char *path, guint index)
{
  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (path == NULL || strstr (request->path, path)) {
      if (index == 0)
        return request;
      index--;
    }
  }
  g_error ("no request %u to a path holding %s", index, path);
}

char *
kit_dup_request_header (SynapseTestBackend * backend, const char *path,
    guint index, const char *header)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests (backend);
  SynapseTestRequest *request = find_request (requests, path, index);

  return g_strdup (soup_message_headers_get_one (request->headers, header));
}

char *
kit_dup_request_query (SynapseTestBackend * backend, const char *path,
    guint index)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests (backend);
  SynapseTestRequest *request = find_request (requests, path, index);

  return g_strdup (request->query ? request->query : "");
}

char *
kit_dup_request_body (SynapseTestBackend * backend, const char *method,
    const char *path)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests (backend);

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (g_str_equal (request->method, method)
        && g_str_equal (request->path, path)) {
      g_assert_nonnull (request->body);
      return g_strndup (g_bytes_get_data (request->body, NULL),
          g_bytes_get_size (request->body));
    }
  }
  g_error ("no %s %s reached the backend", method, path);
}

JsonArray *
kit_dup_events (SynapseTestBackend * backend, const guint * versions,
    guint n_versions)
{
  JsonArray *all = json_array_new ();

  for (guint v = 0; v < n_versions; v++) {
    g_autoptr (JsonArray) events = synapse_test_backend_dup_events (backend,
        versions[v]);

    g_assert_nonnull (events);
    for (guint i = 0; i < json_array_get_length (events); i++)
      json_array_add_element (all,
          json_node_copy (json_array_get_element (events, i)));
  }
  return all;
}

GBytes *
kit_dup_model_file (SynapseTestBackend * backend, gint64 id)
{
  g_autoptr (JsonObject) model = synapse_test_backend_dup_model (backend, id);
  const char *url;

  if (model == NULL)
    return NULL;
  url = json_object_get_string_member_with_default (model, "file", NULL);
  g_assert_nonnull (url);
  return synapse_test_backend_dup_media (backend, url);
}

GBytes *
kit_dup_upload_bytes (SynapseTestBackend * backend, const char *upload_id)
{
  g_autofree char *path = synapse_test_backend_dup_upload_path (backend,
      upload_id);
  g_autoptr (GError) error = NULL;
  char *data = NULL;
  gsize size = 0;

  g_assert_nonnull (path);
  g_file_get_contents (path, &data, &size, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, size);
}

char *
kit_file_entry (SynapseTestBackend * backend, const char *url,
    GChecksumType type, const char *checksum_prefix)
{
  g_autoptr (GBytes) bytes = synapse_test_backend_dup_media (backend, url);
  g_autofree char *checksum = NULL;

  g_assert_nonnull (bytes);
  checksum = g_compute_checksum_for_bytes (type, bytes);
  return g_strdup_printf ("{\"url\":\"%s\",\"size\":%" G_GSIZE_FORMAT
      ",\"checksum\":\"%s%s\"}", url, g_bytes_get_size (bytes),
      checksum_prefix ? checksum_prefix : "", checksum);
}

void
kit_assert_file_holds_media (SynapseTestBackend * backend, const char *path,
    const char *url)
{
  g_autoptr (GBytes) expected = synapse_test_backend_dup_media (backend, url);
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (expected);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (path, G_FILE_TEST_IS_SYMLINK));
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length, g_bytes_get_data (expected, NULL),
      g_bytes_get_size (expected));
}

/* @path is a file right in @dir holding what the backend serves at @url. */
static void
assert_downloaded (SynapseTestBackend * backend, const char *path,
    const char *url, const char *dir)
{
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpstr (parent, ==, dir);
  kit_assert_file_holds_media (backend, path, url);
}

void
kit_assert_event_downloaded (SynapseTestBackend * backend, JsonObject * event,
    JsonObject * original, const char *dir)
{
  JsonObject *files = json_object_get_object_member (event, "files");
  JsonObject *original_files = json_object_get_object_member (original,
      "files");
  JsonObject *entry = kit_event_object (event, "data_unit.files.image");
  JsonObject *original_entry = kit_event_object (original,
      "data_unit.files.image");
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, files);
  while (json_object_iter_next (&iter, &name, &node))
    assert_downloaded (backend, json_node_get_string (node),
        json_object_get_string_member (original_files, name), dir);
  g_assert_false (json_object_has_member (entry, "url"));
  assert_downloaded (backend, json_object_get_string_member (entry, "path"),
      json_object_get_string_member (original_entry, "url"), dir);
  g_assert_cmpint (json_object_get_int_member (entry, "size"), ==,
      json_object_get_int_member (original_entry, "size"));
}

/* --- files -------------------------------------------------------------- */

char *
kit_make_tmp_dir (void)
{
  g_autofree char *program = g_path_get_basename (g_get_prgname ());
  g_autofree char *template = g_strconcat (program, "-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  return dir;
}

void
kit_clear_tmp_dir (char **dir)
{
  if (*dir)
    synapse_test_remove_tree (*dir);
  g_clear_pointer (dir, g_free);
}

GBytes *
kit_make_bytes (gsize size, guint32 seed)
{
  guint8 *data = g_malloc (size ? size : 1);
  guint32 x = seed * 2654435761u + 1;

  for (gsize i = 0; i < size; i++) {
    /* xorshift: fast enough for the 64 MiB of the memory test */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    data[i] = x >> 24;
  }
  return g_bytes_new_take (data, size);
}

char *
kit_write_file (const char *dir, const char *name, GBytes * bytes)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  g_file_set_contents (path, data, size, &error);
  g_assert_no_error (error);
  return path;
}

guint
kit_count_files (const char *dir, const char *suffix)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d)))
    if (suffix == NULL || g_str_has_suffix (name, suffix))
      n++;
  return n;
}

gboolean
kit_spawn (const char *const *argv, const char *const *env, char **output)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; env[i]; i += 2) {
    if (env[i + 1])
      g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
    else
      g_subprocess_launcher_unsetenv (launcher, env[i]);
  }
  child = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (child, NULL, NULL, output, NULL, &error);
  g_assert_no_error (error);
  return g_subprocess_get_successful (child);
}

char *
kit_data_file (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "..", "data", name, NULL);
}

GTlsCertificate *
kit_dup_test_certificate (void)
{
  g_autofree char *cert = kit_data_file ("server.pem");
  g_autofree char *key = kit_data_file ("server-key.pem");
  g_autoptr (GError) error = NULL;
  GTlsCertificate *certificate =
      g_tls_certificate_new_from_files (cert, key, &error);

  g_assert_no_error (error);
  return certificate;
}

/* --- events ------------------------------------------------------------- */

JsonArray *
kit_read_ndjson (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *events = json_array_new ();
  guint n;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  if (*text == '\0')
    return events;
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  /* every line ends with \n, so the last piece is empty */
  g_assert_cmpstr (lines[n - 1], ==, "");
  for (guint i = 0; i + 1 < n; i++) {
    JsonNode *node = json_from_string (lines[i], &error);

    g_assert_no_error (error);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
    json_array_add_element (events, node);
  }
  return events;
}

void
kit_assert_first_events (JsonArray * got, JsonArray * want, guint n)
{
  g_assert_cmpuint (n, <=, json_array_get_length (want));
  g_assert_cmpuint (json_array_get_length (got), ==, n);
  for (guint i = 0; i < n; i++) {
    JsonNode *a = json_array_get_element (got, i);
    JsonNode *b = json_array_get_element (want, i);

    if (!json_node_equal (a, b)) {
      g_autofree char *sa = json_to_string (a, FALSE);
      g_autofree char *sb = json_to_string (b, FALSE);

      g_error ("event %u differs (lost, repeated or reordered):\n"
          " got %.200s\nwant %.200s", i, sa, sb);
    }
  }
}

void
kit_assert_events (JsonArray * got, JsonArray * want)
{
  kit_assert_first_events (got, want, json_array_get_length (want));
}

JsonObject *
kit_event_object (JsonObject * event, const char *dot_path)
{
  g_auto (GStrv) names = g_strsplit (dot_path, ".", -1);
  JsonObject *object = event;

  for (guint i = 0; names[i]; i++) {
    g_assert_true (json_object_has_member (object, names[i]));
    object = json_object_get_object_member (object, names[i]);
    g_assert_nonnull (object);
  }
  return object;
}

/* --- the library -------------------------------------------------------- */

SynapseClient *
kit_client_new (const char *url, const char *token)
{
  SynapseClient *client = synapse_client_new (url, token);

  g_object_set (client, "retry-backoff-factor", 0.01, "retry-backoff-max",
      0.05, "timeout", 10, NULL);
  return client;
}

JsonObject *
kit_version_params (guint version, guint page_size)
{
  JsonObject *params = json_object_new ();

  json_object_set_int_member (params, "ground_truth_dataset_versions", version);
  json_object_set_int_member (params, "page_size", page_size);
  return params;
}
