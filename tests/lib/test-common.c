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
