/* Tests of SynapseUrlConversion against the local backend: converters,
 * downloads into a cache folder, defaults, hostile names.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>

#include "test-common.h"

static JsonObject *
version_params (guint version, guint page_size)
{
  JsonObject *params = json_object_new ();

  json_object_set_int_member (params, "ground_truth_dataset_versions",
      version);
  json_object_set_int_member (params, "page_size", page_size);
  return params;
}

static char *
to_cdn (const char *url, gpointer user_data, GError ** error)
{
  guint *calls = user_data;
  const char *path = strstr (url, "/media/");

  (*calls)++;
  g_assert_nonnull (path);
  return g_strconcat ("https://cdn.example.com", path, NULL);
}

static void
test_converter_applies_to_every_page (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint calls = 0;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_converter (NULL, to_cdn, &calls, NULL);
  g_autoptr (JsonObject) params = version_params (1, 30);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events (f->backend,
      1);

  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (events), ==, 100);
  /* "files" by default: each event has two file URLs */
  g_assert_cmpuint (calls, ==, 200);
  for (guint i = 0; i < json_array_get_length (events); i++) {
    JsonObject *files = json_object_get_object_member
        (json_array_get_object_element (events, i), "files");
    JsonObject *original = json_object_get_object_member
        (json_array_get_object_element (expected, i), "files");
    const char *image = json_object_get_string_member (files, "image");

    g_assert_true (g_str_has_prefix (image, "https://cdn.example.com/media/"));
    g_assert_true (g_str_has_suffix (json_object_get_string_member (original,
                "image"), strstr (image, "/media/")));
    /* data_unit.files is not a default field */
    g_assert_true (g_str_has_prefix (json_object_get_string_member
            (json_object_get_object_member (json_object_get_object_member
                    (json_object_get_object_member
                        (json_array_get_object_element (events, i),
                            "data_unit"), "files"), "image"), "url"), f->url));
  }
}

static void
test_converter_on_a_single_page (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint calls = 0;
  const char *fields[] = { "data_unit.files", NULL };
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_converter (fields, to_cdn, &calls, NULL);
  g_autoptr (JsonObject) params = version_params (2, 10);
  g_autoptr (JsonArray) events = NULL;

  /* the SDK converts nothing on a single page; we do */
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (calls, ==, 10);
  for (guint i = 0; i < 10; i++) {
    JsonObject *image = json_object_get_object_member
        (json_object_get_object_member (json_object_get_object_member
            (json_array_get_object_element (events, i), "data_unit"),
            "files"), "image");

    /* a file entry keeps its other keys; its url is converted in place */
    g_assert_true (g_str_has_prefix (json_object_get_string_member (image,
                "url"), "https://cdn.example.com/"));
    g_assert_true (json_object_has_member (image, "checksum"));
  }
}

static char *
refuse (const char *url, gpointer user_data, GError ** error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
      "no CDN for %s", url);
  return NULL;
}

static void
test_converter_error_fails_the_listing (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_converter (NULL, refuse, NULL, NULL);
  g_autoptr (JsonObject) params = version_params (1, 10);
  g_autoptr (JsonArray) events =
      synapse_client_list_ground_truth_events (f->client, params, conversion,
      FALSE, NULL, NULL, &error);

  g_assert_null (events);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
}

static void
assert_holds_media (Fixture * f, const char *path, const char *url)
{
  g_autoptr (GBytes) expected = synapse_test_backend_dup_media (f->backend,
      url);
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (expected);
  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length, g_bytes_get_data (expected, NULL),
      g_bytes_get_size (expected));
}

static guint
count_files (const char *dir, const char *suffix)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d)))
    if (suffix == NULL || g_str_has_suffix (name, suffix))
      n++;
  return n;
}

static void
test_download_into_cache_folder (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *fields[] = { "files", "data_unit.files", NULL };
  g_autofree char *dir = g_build_filename (f->tmpdir, "cache", "nested",
      NULL);
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (fields, dir);
  g_autoptr (JsonObject) params = version_params (3, 25);
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events (f->backend,
      3);
  g_autoptr (JsonArray) events = NULL;
  guint media_requests;

  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, TRUE, NULL, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < json_array_get_length (events); i++) {
    JsonObject *event = json_array_get_object_element (events, i);
    JsonObject *original = json_array_get_object_element (expected, i);
    JsonObject *files = json_object_get_object_member (event, "files");
    JsonObject *original_files = json_object_get_object_member (original,
        "files");
    JsonObject *unit_image = json_object_get_object_member
        (json_object_get_object_member (json_object_get_object_member (event,
                "data_unit"), "files"), "image");
    const char *image_url = json_object_get_string_member (original_files,
        "image");
    const char *image_path = json_object_get_string_member (files, "image");
    g_autofree char *cache_path =
        synapse_url_conversion_get_cache_path (conversion, image_url);
    g_autofree char *digest = NULL;
    g_autofree char *name = g_path_get_basename (image_path);
    g_autofree char *without_query = g_strndup (image_url,
        strcspn (image_url, "?"));

    /* <md5 of the URL without its query><suffix>, in the folder */
    digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, without_query, -1);
    g_assert_cmpstr (image_path, ==, cache_path);
    g_assert_true (g_str_has_prefix (name, digest));
    g_assert_true (g_str_has_suffix (name, ".jpg"));
    assert_holds_media (f, image_path, image_url);
    assert_holds_media (f, json_object_get_string_member (files, "mask"),
        json_object_get_string_member (original_files, "mask"));

    /* a file entry's url moves to path, as the SDK does */
    g_assert_false (json_object_has_member (unit_image, "url"));
    g_assert_true (g_file_test (json_object_get_string_member (unit_image,
                "path"), G_FILE_TEST_IS_REGULAR));
    assert_holds_media (f, json_object_get_string_member (unit_image, "path"),
        json_object_get_string_member (json_object_get_object_member
            (json_object_get_object_member (json_object_get_object_member
                    (original, "data_unit"), "files"), "image"), "url"));
  }
  g_assert_cmpuint (count_files (dir, ".part"), ==, 0);
  g_assert_cmpuint (count_files (dir, NULL), ==, 300);

  /* a second listing reuses what is there */
  media_requests = synapse_test_backend_count_requests (f->backend, "media/");
  g_clear_pointer (&events, json_array_unref);
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, media_requests);
}

static void
test_downloads_are_bounded (Fixture * f, gconstpointer data)
{
  SynapseTestFault slow = {
    .kind = SYNAPSE_TEST_FAULT_DELAY,
    .path = "media/",
    .ms = 150,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) params = version_params (1, 4);
  g_autoptr (JsonArray) events = NULL;
  gint64 start;

  synapse_url_conversion_set_max_downloads (conversion, 2);
  synapse_test_backend_add_fault (f->backend, &slow);
  start = g_get_monotonic_time ();
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  /* 8 files, 2 at a time, 150 ms each: no faster than 4 rounds */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 4 * 150 * 1000);
  g_assert_cmpuint (count_files (f->tmpdir, NULL), ==, 8);
}

static void
test_failed_download_leaves_nothing (Fixture * f, gconstpointer data)
{
  SynapseTestFault gone = {
    .kind = SYNAPSE_TEST_FAULT_STATUS,
    .path = "mask.png",
    .status = 404,
    .retry_after = -1,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) params = version_params (1, 5);
  g_autoptr (JsonArray) events = NULL;

  synapse_test_backend_add_fault (f->backend, &gone);
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "mask.png"));
  g_assert_cmpuint (count_files (f->tmpdir, ".part"), ==, 0);
  g_assert_cmpuint (count_files (f->tmpdir, ".png"), ==, 0);
}

static void
test_interrupted_download_is_retried (Fixture * f, gconstpointer data)
{
  SynapseTestFault cut = {
    .kind = SYNAPSE_TEST_FAULT_CUT_RESPONSE,
    .path = "media/",
    .bytes = 10,
    .times = 3,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) params = version_params (2, 3);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events (f->backend,
      2);

  synapse_test_backend_add_fault (f->backend, &cut);
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++) {
    JsonObject *files = json_object_get_object_member
        (json_array_get_object_element (events, i), "files");
    JsonObject *original = json_object_get_object_member
        (json_array_get_object_element (expected, i), "files");

    assert_holds_media (f, json_object_get_string_member (files, "image"),
        json_object_get_string_member (original, "image"));
    assert_holds_media (f, json_object_get_string_member (files, "mask"),
        json_object_get_string_member (original, "mask"));
  }
}

static void
test_model_file_is_the_default_field (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) model = synapse_client_get_model (f->client, 1, NULL,
      conversion, NULL, &error);
  g_autoptr (JsonObject) original = synapse_test_backend_dup_model (f->backend,
      1);

  g_assert_no_error (error);
  assert_holds_media (f, json_object_get_string_member (model, "file"),
      json_object_get_string_member (original, "file"));
}

static void
test_hostile_urls_stay_in_the_folder (Fixture * f, gconstpointer data)
{
  const char *urls[] = {
    "http://h.test/a/../../../../etc/passwd",
    "http://h.test/media/..%2F..%2F..%2Fetc%2Fpasswd",
    "http://h.test/media/x.%2e%2e%2fescape",
    "http://h.test/media/evil.sh%00.jpg",
    "http://h.test/media/a.b/c",
    "http://h.test/media/name.with spaces",
    "http://h.test/media/.hidden",
    "http://h.test/media/very.longsuffixthatgoesonandon",
    "http://h.test/",
    "http://h.test/media/ok.JPEG?x=../../y",
  };
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++) {
    g_autofree char *path = synapse_url_conversion_get_cache_path (conversion,
        urls[i]);
    g_autofree char *dir = g_path_get_dirname (path);
    g_autofree char *name = g_path_get_basename (path);

    g_assert_cmpstr (dir, ==, f->tmpdir);
    g_assert_null (strchr (name, '/'));
    g_assert_cmpuint (strspn (name, "0123456789abcdef"), ==, 32);
    g_assert_true (name[32] == '\0' || name[32] == '.');
  }
  {
    g_autofree char *ok = synapse_url_conversion_get_cache_path (conversion,
        urls[G_N_ELEMENTS (urls) - 1]);

    g_assert_true (g_str_has_suffix (ok, ".JPEG"));
  }
}

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("/url-conversion/converter/every-page",
      test_converter_applies_to_every_page);
  ADD ("/url-conversion/converter/single-page",
      test_converter_on_a_single_page);
  ADD ("/url-conversion/converter/error",
      test_converter_error_fails_the_listing);
  ADD ("/url-conversion/download/cache-folder",
      test_download_into_cache_folder);
  ADD ("/url-conversion/download/bounded", test_downloads_are_bounded);
  ADD ("/url-conversion/download/failure-leaves-nothing",
      test_failed_download_leaves_nothing);
  ADD ("/url-conversion/download/retried",
      test_interrupted_download_is_retried);
  ADD ("/url-conversion/download/model-file",
      test_model_file_is_the_default_field);
  ADD ("/url-conversion/download/hostile-names",
      test_hostile_urls_stay_in_the_folder);

  return g_test_run ();
}
