/* Tests of SynapseUrlConversion against the local backend: converters,
 * downloads into a cache folder, defaults, hostile names.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>

#include "kit-fixture.h"

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
  g_autoptr (JsonObject) params = kit_version_params (1, 30);
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
            (kit_event_object (json_array_get_object_element (events, i),
                    "data_unit.files.image"), "url"), f->url));
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
  g_autoptr (JsonObject) params = kit_version_params (2, 10);
  g_autoptr (JsonArray) events = NULL;

  /* the SDK converts nothing on a single page; we do */
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (calls, ==, 10);
  for (guint i = 0; i < 10; i++) {
    JsonObject *image = kit_event_object (json_array_get_object_element
        (events, i), "data_unit.files.image");

    /* a file entry keeps its other keys; its url is converted in place */
    g_assert_true (g_str_has_prefix (json_object_get_string_member (image,
                "url"), "https://cdn.example.com/"));
    g_assert_true (json_object_has_member (image, "checksum"));
  }
}

/* The URL's /media/… path on the host @user_data names. */
static char *
on_host (const char *url, gpointer user_data, GError ** error)
{
  const char *path = strstr (url, "/media/");

  g_assert_nonnull (path);
  return g_strconcat ((const char *) user_data, path, NULL);
}

static void
assert_each_field_on_its_host (JsonArray * events)
{
  g_assert_cmpuint (json_array_get_length (events), >, 0);
  for (guint i = 0; i < json_array_get_length (events); i++) {
    JsonObject *event = json_array_get_object_element (events, i);
    JsonObject *files = json_object_get_object_member (event, "files");
    JsonObject *image = kit_event_object (event, "data_unit.files.image");
    JsonObjectIter iter;
    const char *key;
    JsonNode *url;

    json_object_iter_init (&iter, files);
    while (json_object_iter_next (&iter, &key, &url))
      g_assert_true (g_str_has_prefix (json_node_get_string (url),
              "https://cdn.example.com/media/"));
    g_assert_true (g_str_has_prefix (json_object_get_string_member (image,
                "url"), "https://mirror.example.com/media/"));
    g_assert_true (json_object_has_member (image, "checksum"));
  }
}

static void
test_each_field_has_its_converter (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *fields[] = { "files", NULL };
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_converter (fields, on_host,
      g_strdup ("https://cdn.example.com"), g_free);
  g_autoptr (JsonObject) params = kit_version_params (1, 30);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) served = synapse_test_backend_dup_events (f->backend,
      1);
  g_autoptr (JsonNode) served_node = NULL;
  g_autoptr (JsonNode) events_node = NULL;
  const char *const *all;

  synapse_url_conversion_add_converter (conversion, "data_unit.files",
      on_host, g_strdup ("https://mirror.example.com"), g_free);
  all = synapse_url_conversion_get_fields (conversion);
  g_assert_cmpuint (g_strv_length ((char **) all), ==, 2);
  g_assert_cmpstr (all[0], ==, "files");
  g_assert_cmpstr (all[1], ==, "data_unit.files");

  /* in the backend's bytes, page after page */
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (events), ==, 100);
  assert_each_field_on_its_host (events);

  /* and in parsed objects, the same */
  g_assert_true (synapse_url_conversion_apply (conversion, f->client, served,
          NULL, &error));
  g_assert_no_error (error);
  served_node = json_node_init_array (json_node_alloc (), served);
  events_node = json_node_init_array (json_node_alloc (), events);
  g_assert_true (json_node_equal (served_node, events_node));

  /* once in use, it does not change */
  g_test_expect_message ("Synapse", G_LOG_LEVEL_CRITICAL, "*in use already*");
  synapse_url_conversion_add_converter (conversion, "file", on_host,
      g_strdup ("https://late.example.com"), g_free);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (g_strv_length ((char **) synapse_url_conversion_get_fields
          (conversion)), ==, 2);
}

static void
test_a_field_converter_beside_downloads (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (f->tmpdir, "cache", NULL);
  const char *fields[] = { "files", NULL };
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (fields, dir);
  g_autoptr (JsonObject) params = kit_version_params (2, 10);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) served = synapse_test_backend_dup_events (f->backend,
      2);

  /* the SDK's default field, converted; the events' own files downloaded */
  synapse_url_conversion_add_converter (conversion, "data_unit.files",
      on_host, g_strdup ("https://mirror.example.com"), g_free);
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (events), ==, 10);
  for (guint i = 0; i < 10; i++) {
    JsonObject *event = json_array_get_object_element (events, i);
    JsonObject *files = json_object_get_object_member (event, "files");
    JsonObject *original = json_object_get_object_member
        (json_array_get_object_element (served, i), "files");
    JsonObject *image = kit_event_object (event, "data_unit.files.image");

    kit_assert_file_holds_media (f->backend,
        json_object_get_string_member (files, "image"),
        json_object_get_string_member (original, "image"));
    /* a converted entry keeps its url: nothing was downloaded for it */
    g_assert_true (g_str_has_prefix (json_object_get_string_member (image,
                "url"), "https://mirror.example.com/media/"));
    g_assert_false (json_object_has_member (image, "path"));
  }
  g_assert_cmpuint (kit_count_files (dir, NULL), ==, 20);
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
  g_autoptr (JsonObject) params = kit_version_params (1, 10);
  g_autoptr (JsonArray) events =
      synapse_client_list_ground_truth_events (f->client, params, conversion,
      FALSE, NULL, NULL, &error);

  g_assert_null (events);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
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
  g_autoptr (JsonObject) params = kit_version_params (3, 25);
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
    const char *image_url = json_object_get_string_member (original_files,
        "image");
    const char *image_path = json_object_get_string_member (files, "image");
    g_autofree char *cache_path =
        synapse_url_conversion_get_cache_path (conversion, image_url);
    g_autofree char *digest = NULL;
    g_autofree char *name = g_path_get_basename (image_path);
    g_autofree char *without_query = g_strndup (image_url,
        strcspn (image_url, "?"));

    /* <md5 of the cache key><suffix>, in the folder: the key of a URL
     * whose query is only a signature (?sig=…) is the URL without it */
    g_assert_nonnull (strstr (image_url, "?sig="));
    digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, without_query, -1);
    g_assert_cmpstr (image_path, ==, cache_path);
    g_assert_true (g_str_has_prefix (name, digest));
    g_assert_true (g_str_has_suffix (name, ".jpg"));
    /* and every file is there (a file entry's url moves to path, as the
     * SDK does) */
    kit_assert_event_downloaded (f->backend, event, original, dir);
  }
  g_assert_cmpuint (kit_count_files (dir, ".part"), ==, 0);
  g_assert_cmpuint (kit_count_files (dir, NULL), ==, 300);

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
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) params = kit_version_params (1, 4);
  g_autoptr (JsonArray) events = NULL;
  gint64 start;

  synapse_url_conversion_set_max_downloads (conversion, 2);
  kit_add_fault (f->backend, "delay path=media/ ms=150");
  start = g_get_monotonic_time ();
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  /* 8 files, 2 at a time, 150 ms each: no faster than 4 rounds */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 4 * 150 * 1000);
  g_assert_cmpuint (kit_count_files (f->tmpdir, NULL), ==, 8);
}

static void
test_failed_download_leaves_nothing (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) params = kit_version_params (1, 5);
  g_autoptr (JsonArray) events = NULL;

  kit_add_fault (f->backend, "status=404 path=mask.png");
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "mask.png"));
  g_assert_cmpuint (kit_count_files (f->tmpdir, ".part"), ==, 0);
  g_assert_cmpuint (kit_count_files (f->tmpdir, ".png"), ==, 0);
}

static void
test_interrupted_download_is_retried (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) params = kit_version_params (2, 3);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events (f->backend,
      2);

  kit_add_fault (f->backend, "cut-response path=media/ times=3 bytes=10");
  events = synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++) {
    JsonObject *files = json_object_get_object_member
        (json_array_get_object_element (events, i), "files");
    JsonObject *original = json_object_get_object_member
        (json_array_get_object_element (expected, i), "files");

    kit_assert_file_holds_media (f->backend,
        json_object_get_string_member (files, "image"),
        json_object_get_string_member (original, "image"));
    kit_assert_file_holds_media (f->backend,
        json_object_get_string_member (files, "mask"),
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
  kit_assert_file_holds_media (f->backend, json_object_get_string_member (model,
          "file"), json_object_get_string_member (original, "file"));
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

/* --- the backend's bytes ------------------------------------------------ */

/* @text with each JSON string token @from (unescaped text) replaced by
 * the token of @to. */
static char *
replace_string_token (const char *text, const char *from, const char *to)
{
  g_autoptr (JsonNode) from_node = json_node_init_string (json_node_alloc (),
      from);
  g_autoptr (JsonNode) to_node = json_node_init_string (json_node_alloc (), to);
  g_autofree char *from_token = json_to_string (from_node, FALSE);
  g_autofree char *to_token = json_to_string (to_node, FALSE);
  g_auto (GStrv) pieces = g_strsplit (text, from_token, -1);

  g_assert_cmpuint (g_strv_length (pieces), >, 1);
  return g_strjoinv (to_token, pieces);
}

/* An event json-glib cannot give back as it came (numbers it rounds or
 * wraps, 1e400 it writes as inf.0, a string it cuts at \u0000), with
 * three file URLs: two in `files`, one file entry in `data_unit.files`. */
static char *
hostile_event (Fixture * f, guint id, char **urls)
{
  g_autofree char *entry = NULL;

  urls[0] = g_strdup_printf ("%smedia/events/%u/image.jpg?sig=ab12", f->url,
      id);
  urls[1] = g_strdup_printf ("%smedia/events/%u/mask.png", f->url, id);
  urls[2] = g_strdup_printf ("%smedia/data_units/%u/image.jpg", f->url, id);
  entry = kit_file_entry (f->backend, urls[2], G_CHECKSUM_MD5, NULL);
  return g_strdup_printf ("{\"id\":%u,\"data\":{\"score\":0.942,"
      "\"big\":18446744073709551615,\"far\":1e400,\"nul\":\"a\\u0000b\","
      "\"esc\":\"caf\\u00e9 \\/ \\\"q\\\"\"},\"files\":{\"image\":\"%s\","
      "\"mask\":\"%s\"},\"data_unit\":{\"files\":{\"image\":%s}},"
      "\"z\":-0.0E+0}", id, urls[0], urls[1], entry);
}

static const char *const both_fields[] = { "files", "data_unit.files", NULL };

/* The listing's events as text, read through a pager with @conversion. */
static GPtrArray *
events_as_text (Fixture * f, SynapseUrlConversion * conversion)
{
  g_autoptr (SynapsePager) pager =
      synapse_client_iter_ground_truth_events (f->client, NULL, conversion);
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapsePage) page = synapse_pager_read_page (pager, NULL, &error);
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  g_assert_nonnull (page);
  for (guint i = 0; i < synapse_page_get_n_items (page); i++) {
    g_autoptr (GBytes) bytes = synapse_page_get_item_bytes (page, i);
    gsize size;
    const char *data = g_bytes_get_data (bytes, &size);

    g_ptr_array_add (texts, g_strndup (data, size));
  }
  return texts;
}

static void
test_converter_keeps_the_backend_bytes (Fixture * f, gconstpointer data)
{
  g_auto (GStrv) urls = g_new0 (char *, 4);
  g_autofree char *event = hostile_event (f, 7, urls);
  guint calls = 0;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_converter (both_fields, to_cdn, &calls, NULL);
  g_autoptr (GPtrArray) texts = NULL;
  g_autofree char *want = g_strdup (event);

  kit_serve_events (f->backend, event, 1);
  texts = events_as_text (f, conversion);
  for (guint i = 0; i < 3; i++) {
    g_autofree char *cdn = g_strconcat ("https://cdn.example.com",
        strstr (urls[i], "/media/"), NULL);
    g_autofree char *next = replace_string_token (want, urls[i], cdn);

    g_free (want);
    want = g_steal_pointer (&next);
  }
  g_assert_cmpuint (calls, ==, 3);
  g_assert_cmpuint (texts->len, ==, 1);
  /* byte for byte the backend's, but inside the three URLs */
  g_assert_cmpstr (texts->pdata[0], ==, want);
}

static void
test_download_keeps_the_backend_bytes (Fixture * f, gconstpointer data)
{
  g_auto (GStrv) urls = g_new0 (char *, 4);
  g_autofree char *event = hostile_event (f, 8, urls);
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (both_fields, f->tmpdir);
  g_autoptr (GPtrArray) texts = NULL;
  g_autofree char *want = g_strdup (event);

  kit_serve_events (f->backend, event, 1);
  texts = events_as_text (f, conversion);
  for (guint i = 0; i < 3; i++) {
    g_autofree char *path = synapse_url_conversion_get_cache_path (conversion,
        urls[i]);
    g_autofree char *next = replace_string_token (want, urls[i], path);

    kit_assert_file_holds_media (f->backend, path, urls[i]);
    g_free (want);
    want = g_steal_pointer (&next);
  }
  /* the file entry's url became its path, as the SDK does */
  {
    g_auto (GStrv) pieces = g_strsplit (want, "\"image\":{\"url\":", -1);

    g_assert_cmpuint (g_strv_length (pieces), ==, 2);
    g_free (want);
    want = g_strjoinv ("\"image\":{\"path\":", pieces);
  }
  g_assert_cmpstr (texts->pdata[0], ==, want);
}

/* A page read without conversion and converted afterwards is the same as
 * one the pager converted. */
static void
test_apply_page_converts_in_the_bytes (Fixture * f, gconstpointer data)
{
  g_auto (GStrv) urls = g_new0 (char *, 4);
  g_autofree char *first = hostile_event (f, 9, urls);
  g_auto (GStrv) more_urls = g_new0 (char *, 4);
  g_autofree char *second = hostile_event (f, 10, more_urls);
  g_autofree char *events = g_strdup_printf ("%s,\n  %s", first, second);
  guint calls = 0;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_converter (both_fields, to_cdn, &calls, NULL);
  g_autoptr (GPtrArray) converted_by_pager = NULL;
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (SynapsePage) page = NULL;
  g_autoptr (SynapsePage) converted = NULL;
  g_autoptr (GError) error = NULL;

  kit_serve_events (f->backend, events, 2);
  converted_by_pager = events_as_text (f, conversion);
  pager = synapse_client_iter_ground_truth_events (f->client, NULL, NULL);
  page = synapse_pager_read_page (pager, NULL, &error);
  g_assert_no_error (error);
  converted = synapse_url_conversion_apply_page (conversion, f->client, page,
      NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_page_get_n_items (converted), ==, 2);
  for (guint i = 0; i < 2; i++) {
    g_autoptr (GBytes) bytes = synapse_page_get_item_bytes (converted, i);
    g_autoptr (JsonObject) object = synapse_page_dup_item (converted, i);

    g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
        converted_by_pager->pdata[i], strlen (converted_by_pager->pdata[i]));
    /* and parsed, the converted URL */
    g_assert_true (g_str_has_prefix (json_object_get_string_member
            (json_object_get_object_member (object, "files"), "mask"),
            "https://cdn.example.com/media/"));
  }
  g_assert_cmpuint (calls, ==, 12);
}

/* --- cache names -------------------------------------------------------- */

static void
test_query_names_the_file (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autofree char *one = g_strconcat (f->url, "media/by-query/get?id=1",
      NULL);
  g_autofree char *two = g_strconcat (f->url, "media/by-query/get?id=2",
      NULL);
  g_autofree char *events = g_strdup_printf ("{\"id\":1,\"files\":[\"%s\"]},"
      "{\"id\":2,\"files\":[\"%s\"]}", one, two);
  g_autoptr (JsonArray) got = NULL;
  const char *first, *second;

  kit_serve_events (f->backend, events, 2);
  got = synapse_client_list_ground_truth_events (f->client, NULL, conversion,
      FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  first = json_array_get_string_element (json_object_get_array_member
      (json_array_get_object_element (got, 0), "files"), 0);
  second = json_array_get_string_element (json_object_get_array_member
      (json_array_get_object_element (got, 1), "files"), 0);
  /* two files, each with its own bytes */
  g_assert_cmpstr (first, !=, second);
  kit_assert_file_holds_media (f->backend, first, one);
  kit_assert_file_holds_media (f->backend, second, two);
  g_assert_cmpuint (kit_count_files (f->tmpdir, NULL), ==, 2);
}

static void
test_signatures_do_not_name_the_file (Fixture * f, gconstpointer data)
{
  const char *queries[] = {
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z"
        "&X-Amz-Expires=900&X-Amz-Signature=aaaa",
    "x-amz-algorithm=AWS4-HMAC-SHA256&x-amz-date=20240102T000000Z"
        "&x-amz-expires=600&x-amz-signature=bbbb",
    "sv=2022-11-02&se=2024-01-01T00%3A00Z&sp=r&sig=cccc",
    "Expires=1700000000&Key-Pair-Id=K1&Signature=dddd",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (GString) events = g_string_new (NULL);
  g_autoptr (JsonArray) got = NULL;
  g_autofree char *bare = g_strconcat (f->url, "media/signed/a.jpg", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    g_string_append_printf (events, "%s{\"id\":%u,\"files\":\"%s?%s\"}",
        i ? "," : "", i + 1, bare, queries[i]);
  kit_serve_events (f->backend, events->str, G_N_ELEMENTS (queries));
  got = synapse_client_list_ground_truth_events (f->client, NULL, conversion,
      FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  /* a presigned URL whose signature changes is one file, fetched once */
  for (guint i = 0; i < G_N_ELEMENTS (queries); i++) {
    const char *path = json_object_get_string_member
        (json_array_get_object_element (got, i), "files");
    g_autofree char *cache = synapse_url_conversion_get_cache_path
        (conversion, bare);

    g_assert_cmpstr (path, ==, cache);
  }
  kit_assert_file_holds_media (f->backend, json_object_get_string_member
      (json_array_get_object_element (got, 0), "files"), bare);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/signed/"), ==, 1);
}

static void
test_cache_keys (Fixture * f, gconstpointer data)
{
  /* pairs of URLs that are, or are not, the same file */
  const struct
  {
    const char *a, *b;
    gboolean same;
  } cases[] = {
    {"http://h/f.jpg", "http://h/f.jpg#part", TRUE},
    {"http://h/get?id=1", "http://h/get?id=2", FALSE},
    {"http://h/get?id=1&X-Goog-Signature=1", "http://h/get?id=1", TRUE},
    {"http://h/get?id=1&X-Goog-Signature=1", "http://h/get?id=2", FALSE},
    {"http://h/b?a=1&X-Amz-Credential=k&X-Amz-Security-Token=t",
        "http://h/b?a=1", TRUE},
    {"http://h/b?X-Amz-Signature=1&v=2", "http://h/b?v=2", TRUE},
    /* Azure's short names are a signature only with sig= */
    {"http://h/b?sp=r&st=1&sig=s", "http://h/b", TRUE},
    {"http://h/b?sp=2", "http://h/b", FALSE},
    {"http://h/b?sig=s&page=2", "http://h/b?page=2", TRUE},
    /* CloudFront's and S3's legacy ones only with Signature= */
    {"http://h/b?Expires=1&Signature=s&Key-Pair-Id=k", "http://h/b", TRUE},
    {"http://h/b?Expires=1", "http://h/b", FALSE},
    {"http://h/b?AWSAccessKeyId=a&Expires=1&Signature=s", "http://h/b", TRUE},
    {"http://h/b?GoogleAccessId=a&Expires=1&Signature=s", "http://h/b", TRUE},
    {"http://h/b?a=1&b=2", "http://h/b?b=2&a=1", FALSE},
  };
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *a = synapse_url_conversion_get_cache_path (conversion,
        cases[i].a);
    g_autofree char *b = synapse_url_conversion_get_cache_path (conversion,
        cases[i].b);

    if (cases[i].same != g_str_equal (a, b))
      g_error ("%s and %s should %sbe one file", cases[i].a, cases[i].b,
          cases[i].same ? "" : "not ");
  }
}

/* --- what is converted -------------------------------------------------- */

static void
test_limit_downloads_only_what_is_handed_out (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) params = kit_version_params (1, 25);
  g_autoptr (SynapsePager) pager =
      synapse_client_iter_ground_truth_events (f->client, params, conversion);
  g_autoptr (GError) error = NULL;
  guint n = 0;
  SynapsePage *page;

  synapse_pager_set_limit (pager, 4);
  while ((page = synapse_pager_read_page (pager, NULL, &error))) {
    n += synapse_page_get_n_items (page);
    synapse_page_unref (page);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 4);
  /* two files an event ("files"), of the 4 events handed out only */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 8);
  g_assert_cmpuint (kit_count_files (f->tmpdir, NULL), ==, 8);
}

static void
test_limit_with_pages_ahead (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonObject) params = kit_version_params (2, 25);
  g_autoptr (SynapsePager) pager =
      synapse_client_iter_ground_truth_events (f->client, params, conversion);
  g_autoptr (GError) error = NULL;
  JsonObject *event;
  guint n = 0;

  synapse_pager_set_prefetch (pager, 4);
  synapse_pager_set_limit (pager, 30);
  while ((event = synapse_pager_next (pager, NULL, &error))) {
    g_assert_true (g_str_has_prefix (json_object_get_string_member
            (json_object_get_object_member (event, "files"), "mask"),
            f->tmpdir));
    json_object_unref (event);
    n++;
  }
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 30);
  /* page 2 was fetched ahead, its 5 events wanted converted there */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "sdk/ground_truth_events/"), ==, 2);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 60);
}

/* Pages fetched ahead that turn out shorter than the first: what the limit
 * reaches on a later page is converted all the same. */
static void
test_limit_with_short_pages_ahead (Fixture * f, gconstpointer data)
{
  const guint lengths[] = { 3, 2, 3 };
  guint calls = 0;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_converter (NULL, to_cdn, &calls, NULL);
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *event;
  guint id = 0, n = 0;

  /* page=2 and page=3 first: the first matching fault wins */
  for (guint page = 3; page >= 1; page--) {
    g_autoptr (GString) body = g_string_new ("{\"count\":8,\"next\":");
    g_autofree char *query = g_strdup_printf ("page=%u", page);
    SynapseTestFault fault = {
      .kind = SYNAPSE_TEST_FAULT_STATUS,
      .path = "sdk/ground_truth_events/",
      .query = page > 1 ? query : NULL,
      .status = 200,
      .retry_after = -1,
    };

    if (page < 3)
      g_string_append_printf (body, "\"%ssdk/ground_truth_events/?page=%u\"",
          f->url, page + 1);
    else
      g_string_append (body, "null");
    g_string_append (body, ",\"previous\":null,\"results\":[");
    for (guint i = 0; i < lengths[page - 1]; i++) {
      guint event_id = 1;

      for (guint p = 1; p < page; p++)
        event_id += lengths[p - 1];
      event_id += i;
      g_string_append_printf (body, "%s{\"id\":%u,\"files\":"
          "\"%smedia/events/%u/a.jpg\"}", i ? "," : "", event_id, f->url,
          event_id);
    }
    g_string_append (body, "]}");
    fault.body = body->str;
    synapse_test_backend_add_fault (f->backend, &fault);
  }

  pager = synapse_client_iter_ground_truth_events (f->client, NULL, conversion);
  synapse_pager_set_prefetch (pager, 3);
  synapse_pager_set_limit (pager, 7);
  while ((event = synapse_pager_next (pager, NULL, &error))) {
    g_assert_cmpint (json_object_get_int_member (event, "id"), ==, ++id);
    g_assert_true (g_str_has_prefix (json_object_get_string_member (event,
                "files"), "https://cdn.example.com/"));
    json_object_unref (event);
    n++;
  }
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 7);
  g_assert_cmpuint (calls, ==, 7);
}

int
main (int argc, char **argv)
{
  kit_init (&argc, &argv);

  FIXTURE_ADD ("/url-conversion/converter/every-page",
      test_converter_applies_to_every_page);
  FIXTURE_ADD ("/url-conversion/converter/single-page",
      test_converter_on_a_single_page);
  FIXTURE_ADD ("/url-conversion/converter/one-a-field",
      test_each_field_has_its_converter);
  FIXTURE_ADD ("/url-conversion/converter/beside-downloads",
      test_a_field_converter_beside_downloads);
  FIXTURE_ADD ("/url-conversion/converter/error",
      test_converter_error_fails_the_listing);
  FIXTURE_ADD ("/url-conversion/download/cache-folder",
      test_download_into_cache_folder);
  FIXTURE_ADD ("/url-conversion/download/bounded", test_downloads_are_bounded);
  FIXTURE_ADD ("/url-conversion/download/failure-leaves-nothing",
      test_failed_download_leaves_nothing);
  FIXTURE_ADD ("/url-conversion/download/retried",
      test_interrupted_download_is_retried);
  FIXTURE_ADD ("/url-conversion/download/model-file",
      test_model_file_is_the_default_field);
  FIXTURE_ADD ("/url-conversion/download/hostile-names",
      test_hostile_urls_stay_in_the_folder);
  FIXTURE_ADD ("/url-conversion/bytes/converter-keeps-backend-bytes",
      test_converter_keeps_the_backend_bytes);
  FIXTURE_ADD ("/url-conversion/bytes/download-keeps-backend-bytes",
      test_download_keeps_the_backend_bytes);
  FIXTURE_ADD ("/url-conversion/bytes/apply-page",
      test_apply_page_converts_in_the_bytes);
  FIXTURE_ADD ("/url-conversion/cache/query-names-the-file",
      test_query_names_the_file);
  FIXTURE_ADD ("/url-conversion/cache/signatures-do-not",
      test_signatures_do_not_name_the_file);
  FIXTURE_ADD ("/url-conversion/cache/keys", test_cache_keys);
  FIXTURE_ADD ("/url-conversion/limit/downloads-only-what-is-handed-out",
      test_limit_downloads_only_what_is_handed_out);
  FIXTURE_ADD ("/url-conversion/limit/pages-ahead",
      test_limit_with_pages_ahead);
  FIXTURE_ADD ("/url-conversion/limit/short-pages-ahead",
      test_limit_with_short_pages_ahead);

  return g_test_run ();
}
