/* Shared by the library's tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE
#include <dlfcn.h>

#include <glib/gstdio.h>

#include "test-common.h"

/* This build's library is the one these tests run, whatever gst-synapse
 * the machine has installed elsewhere (tests/install puts one first on
 * every path to prove it). */
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
  g_assert_cmpstr (loaded, ==, expected);
}

void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions defaults = {
    .token = TEST_TOKEN,
    .versions = 3,
    .events = 100,
    .models = 5,
    .seed = 1,
  };
  const SynapseTestBackendOptions *options = data ? data : &defaults;
  g_autoptr (GError) error = NULL;

  assert_library_is_this_builds ();
  f->backend = synapse_test_backend_new (options, &error);
  g_assert_no_error (error);
  f->url = synapse_test_backend_dup_url (f->backend);
  f->client = synapse_client_new (f->url, options->token);
  /* quick retries keep the retry tests short */
  g_object_set (f->client, "retry-backoff-factor", 0.01,
      "retry-backoff-max", 0.05, "timeout", 10, NULL);
  f->tmpdir = g_dir_make_tmp ("synapse-test-XXXXXX", &error);
  g_assert_no_error (error);
}

void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->backend);
  g_clear_pointer (&f->url, g_free);
  if (f->tmpdir)
    synapse_test_remove_tree (f->tmpdir);
  g_clear_pointer (&f->tmpdir, g_free);
}

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
  return NULL;
}

char *
fixture_dup_request_header (Fixture * f, const char *path, guint index,
    const char *header)
{
  g_autoptr (GPtrArray) requests =
      synapse_test_backend_dup_requests (f->backend);
  SynapseTestRequest *request = find_request (requests, path, index);

  g_assert_nonnull (request);
  return g_strdup (soup_message_headers_get_one (request->headers, header));
}

char *
fixture_dup_request_query (Fixture * f, const char *path, guint index)
{
  g_autoptr (GPtrArray) requests =
      synapse_test_backend_dup_requests (f->backend);
  SynapseTestRequest *request = find_request (requests, path, index);

  g_assert_nonnull (request);
  return g_strdup (request->query);
}

gboolean
json_arrays_equal (JsonArray * a, JsonArray * b)
{
  if (json_array_get_length (a) != json_array_get_length (b))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (a); i++) {
    if (!json_node_equal (json_array_get_element (a, i),
            json_array_get_element (b, i)))
      return FALSE;
  }
  return TRUE;
}

char *
fixture_make_file (Fixture * f, const char *name, gsize size)
{
  char *path = g_build_filename (f->tmpdir, name, NULL);
  g_autofree guint8 *data = g_malloc (size ? size : 1);
  g_autoptr (GRand) rand = g_rand_new_with_seed (size);
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = g_rand_int (rand) & 0xff;
  g_file_set_contents (path, (const char *) data, size, &error);
  g_assert_no_error (error);
  return path;
}

void
fixture_serve_events (Fixture * f, const char *results, guint count)
{
  g_autofree char *body = g_strdup_printf ("{\"count\":%u,\"next\":null,"
      "\"previous\":null,\"results\":[%s]}", count, results);
  SynapseTestFault page = {
    .kind = SYNAPSE_TEST_FAULT_STATUS,
    .path = "sdk/ground_truth_events/",
    .status = 200,
    .retry_after = -1,
    .body = body,
  };

  synapse_test_backend_add_fault (f->backend, &page);
}

char *
fixture_file_entry (Fixture * f, const char *path, GChecksumType type,
    const char *checksum_prefix)
{
  g_autofree char *url = g_strconcat (f->url, path, NULL);
  g_autoptr (GBytes) bytes = synapse_test_backend_dup_media (f->backend, url);
  g_autofree char *checksum = NULL;

  g_assert_nonnull (bytes);
  checksum = g_compute_checksum_for_bytes (type, bytes);
  return g_strdup_printf ("{\"url\":\"%s\",\"size\":%" G_GSIZE_FORMAT
      ",\"checksum\":\"%s%s\"}", url, g_bytes_get_size (bytes),
      checksum_prefix ? checksum_prefix : "", checksum);
}

guint
fixture_count_files (const char *dir, const char *suffix)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d)))
    if (suffix == NULL || g_str_has_suffix (name, suffix))
      n++;
  return n;
}

void
fixture_assert_file_holds_media (Fixture * f, const char *path, const char *url)
{
  g_autoptr (GBytes) expected = synapse_test_backend_dup_media (f->backend,
      url);
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

JsonObject *
fixture_unit_image (JsonArray * events, guint index)
{
  return json_object_get_object_member (json_object_get_object_member
      (json_object_get_object_member (json_array_get_object_element (events,
                  index), "data_unit"), "files"), "image");
}

void
fixture_assert_unit_images_whole (Fixture * f, JsonArray * events)
{
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);

  for (guint i = 0; i < json_array_get_length (events); i++)
    fixture_assert_file_holds_media (f, json_object_get_string_member
        (fixture_unit_image (events, i), "path"),
        json_object_get_string_member (fixture_unit_image (sent, i), "url"));
  g_assert_cmpuint (fixture_count_files (f->tmpdir, ".part"), ==, 0);
}
