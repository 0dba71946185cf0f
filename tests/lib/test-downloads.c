/* Tests of what a downloading SynapseUrlConversion keeps (and what
 * synapse_client_fetch_file () hands out in memory), against the local
 * backend bending its answers: only whole files (cut bodies without
 * Content-Length, gzip cut short), only the files the events declare (size
 * and checksum), cached files checked again before they are trusted, and
 * a size cap per file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <unistd.h>

#include "kit-fixture.h"

static const char *const unit_files[] = { "data_unit.files", NULL };

/* The events of one page of version 1 (of @page_size), converted. */
static JsonArray *
list (Fixture * f, SynapseUrlConversion * conversion, guint page_size,
    GError ** error)
{
  g_autoptr (JsonObject) params = kit_version_params (1, page_size);

  return synapse_client_list_ground_truth_events (f->client, params,
      conversion, FALSE, NULL, NULL, error);
}

static JsonObject *
unit_image (JsonArray * events, guint index)
{
  return kit_event_object (json_array_get_object_element (events, index),
      "data_unit.files.image");
}

static void
assert_nothing_kept (Fixture * f)
{
  g_assert_cmpuint (kit_count_files (f->tmpdir, NULL), ==, 0);
}

/* --- whole files -------------------------------------------------------- */

/* Cut at a chunk's end or by closing the connection, a body without
 * Content-Length looks whole to HTTP: the declared size tells, and the
 * download is tried again. */
static void
assert_cut_is_retried (Fixture * f, const char *kind)
{
  g_autofree char *spec = g_strdup_printf ("%s bytes=64 path=media/ "
      "times=2", kind);
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (unit_files, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;

  kit_add_fault (f->backend, spec);
  events = list (f, conversion, 3, &error);
  g_assert_no_error (error);
  fixture_assert_unit_images_whole (f, events);
  /* the two cut answers, then the three files */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 5);
}

static void
test_cut_chunked_is_retried (Fixture * f, gconstpointer data)
{
  assert_cut_is_retried (f, "cut-chunked");
}

static void
test_cut_eof_is_retried (Fixture * f, gconstpointer data)
{
  assert_cut_is_retried (f, "cut-eof");
}

static void
test_cut_without_length_fails_at_last (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (unit_files, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);

  kit_add_fault (f->backend, "cut-chunked bytes=64 path=media/data_units/1/");
  events = list (f, conversion, 1, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_CHECKSUM);
  /* the event, by its id, and the URL */
  g_assert_nonnull (strstr (error->message, "event 1 "));
  g_assert_nonnull (strstr (error->message, json_object_get_string_member
          (unit_image (sent, 0), "url")));
  g_assert_nonnull (strstr (error->message, "ended after 64 of"));
  assert_nothing_kept (f);
}

/* A gzip-encoded answer is decoded here, and its file is the bytes. */
static void
test_gzip_is_decoded (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (unit_files, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;
  g_autofree char *encoding = NULL;

  kit_add_fault (f->backend, "gzip path=media/");
  events = list (f, conversion, 3, &error);
  g_assert_no_error (error);
  fixture_assert_unit_images_whole (f, events);
  encoding =
      kit_dup_request_header (f->backend, "media/", 0, "Accept-Encoding");
  g_assert_cmpstr (encoding, ==, "gzip, deflate");
}

/* A gzip stream that ends early (Content-Length and all) is a broken
 * download, even for a file that declares nothing. */
static void
test_gzip_cut_short_is_retried (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);

  kit_add_fault (f->backend, "gzip bytes=100 path=media/ times=2");
  events = list (f, conversion, 1, &error);
  g_assert_no_error (error);
  kit_assert_file_holds_media (f->backend, json_object_get_string_member
      (json_object_get_object_member (json_array_get_object_element (events,
                  0), "files"), "mask"), json_object_get_string_member
      (json_object_get_object_member (json_array_get_object_element (sent,
                  0), "files"), "mask"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 4);
}

static void
test_gzip_cut_short_fails_at_last (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;

  kit_add_fault (f->backend, "gzip bytes=100 path=media/");
  events = list (f, conversion, 1, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_CONNECTION);
  g_assert_nonnull (strstr (error->message, "gzip"));
  assert_nothing_kept (f);
}

/* --- declared size and checksum ----------------------------------------- */

static void
test_checksum_mismatch_names_the_event (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (unit_files, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);

  /* same size, one byte changed */
  kit_add_fault (f->backend, "corrupt bytes=10 path=media/data_units/2/");
  events = list (f, conversion, 3, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_CHECKSUM);
  g_assert_nonnull (strstr (error->message, "event 2 "));
  g_assert_nonnull (strstr (error->message, json_object_get_string_member
          (unit_image (sent, 1), "url")));
  g_assert_nonnull (strstr (error->message, "checksum"));
  g_assert_cmpuint (kit_count_files (f->tmpdir, ".part"), ==, 0);
  /* not that file, and not retried: the server said what it has */
  {
    g_autofree char *path = synapse_url_conversion_get_cache_path (conversion,
        json_object_get_string_member (unit_image (sent, 1), "url"));

    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/data_units/2/"), ==, 1);
}

/* A body of another size than declared, which HTTP calls whole. */
static void
test_size_mismatch_names_the_event (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (unit_files, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;

  kit_add_fault (f->backend, "truncate bytes=100 path=media/data_units/3/");
  events = list (f, conversion, 3, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_CHECKSUM);
  g_assert_nonnull (strstr (error->message, "event 3 "));
  g_assert_nonnull (strstr (error->message, "media/data_units/3/image.jpg"));
  g_assert_cmpuint (kit_count_files (f->tmpdir, ".part"), ==, 0);
  g_assert_cmpuint (kit_count_files (f->tmpdir, ".jpg"), <, 3);
  /* a short file may be a cut one: tried again, as many times as a
   * broken download */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/data_units/3/"), ==, 4);
}

static void
test_checksum_forms (Fixture * f, gconstpointer data)
{
  const struct
  {
    GChecksumType type;
    const char *prefix;
  } forms[] = {
    {G_CHECKSUM_MD5, NULL},
    {G_CHECKSUM_SHA1, "sha1:"},
    {G_CHECKSUM_SHA256, "SHA-256:"},
    {G_CHECKSUM_SHA512, NULL},
  };
  g_autoptr (GString) events = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (unit_files, f->tmpdir);
  g_autoptr (JsonArray) got = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++) {
    g_autofree char *url = g_strdup_printf ("%smedia/forms/%u.bin", f->url, i);
    g_autofree char *entry = kit_file_entry (f->backend, url, forms[i].type,
        forms[i].prefix);

    g_string_append_printf (events, "%s{\"id\":%u,\"data_unit\":{\"files\":"
        "{\"f\":%s}}}", i ? "," : "", i + 1, entry);
  }
  /* a form that is not known is not checked */
  g_string_append_printf (events, ",{\"id\":9,\"data_unit\":{\"files\":"
      "{\"f\":{\"url\":\"%smedia/forms/9.bin\",\"checksum\":\"crc32c:"
      "0123abcd\"}}}}", f->url);
  kit_serve_events (f->backend, events->str, G_N_ELEMENTS (forms) + 1);
  got = synapse_client_list_ground_truth_events (f->client, NULL, conversion,
      FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kit_count_files (f->tmpdir, ".bin"), ==,
      G_N_ELEMENTS (forms) + 1);

  /* and a wrong one of each known form is refused */
  for (guint i = 0; i < G_N_ELEMENTS (forms); i++) {
    g_autofree char *path = g_strdup_printf ("media/forms/%u.bin", i);
    g_autofree char *spec = g_strdup_printf ("corrupt path=%s", path);

    synapse_test_remove_tree (f->tmpdir);
    g_mkdir (f->tmpdir, 0700);
    synapse_test_backend_clear_faults (f->backend);
    kit_serve_events (f->backend, events->str, G_N_ELEMENTS (forms) + 1);
    kit_add_fault (f->backend, spec);
    g_clear_pointer (&got, json_array_unref);
    got = synapse_client_list_ground_truth_events (f->client, NULL,
        conversion, FALSE, NULL, NULL, &error);
    g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_CHECKSUM);
    g_clear_error (&error);
  }
}

/* --- the cache ---------------------------------------------------------- */

static char *
first_unit_image_path (Fixture * f, SynapseUrlConversion * conversion)
{
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);

  return synapse_url_conversion_get_cache_path (conversion,
      json_object_get_string_member (unit_image (sent, 0), "url"));
}

/* A cached file that no longer matches its event is downloaded again; one
 * that does is used as it is. */
static void
test_cached_file_is_checked_again (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (unit_files, f->tmpdir);
  g_autofree char *path = first_unit_image_path (f, conversion);
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);
  g_autoptr (GBytes) media = synapse_test_backend_dup_media (f->backend,
      json_object_get_string_member (unit_image (sent, 0), "url"));
  g_autofree char *wrong = g_malloc0 (g_bytes_get_size (media));

  /* of the right size, but not the file: its checksum tells */
  g_file_set_contents (path, wrong, g_bytes_get_size (media), &error);
  g_assert_no_error (error);
  events = list (f, conversion, 1, &error);
  g_assert_no_error (error);
  fixture_assert_unit_images_whole (f, events);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 1);

  /* right, it is reused */
  g_clear_pointer (&events, json_array_unref);
  events = list (f, conversion, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 1);

  /* cut short, it is not */
  g_assert_cmpint (truncate (path, 10), ==, 0);
  g_clear_pointer (&events, json_array_unref);
  events = list (f, conversion, 1, &error);
  g_assert_no_error (error);
  fixture_assert_unit_images_whole (f, events);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 2);
}

/* Whatever sits under a cached file's name and is not a regular file is
 * replaced, never followed: a symlink out of the folder, a folder. */
static void
test_cached_symlink_is_replaced (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *folder = g_build_filename (f->tmpdir, "cache", NULL);
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (unit_files, folder);
  g_autofree char *path = first_unit_image_path (f, conversion);
  g_autofree char *outside = g_build_filename (f->tmpdir, "outside", NULL);
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);
  g_autoptr (GBytes) media = synapse_test_backend_dup_media (f->backend,
      json_object_get_string_member (unit_image (sent, 0), "url"));
  g_autoptr (JsonArray) events = NULL;
  g_autofree char *left = NULL;
  gsize length;

  /* even pointing at the right bytes, a link is not trusted */
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  g_file_set_contents (outside, g_bytes_get_data (media, NULL),
      g_bytes_get_size (media), &error);
  g_assert_no_error (error);
  g_assert_cmpint (symlink (outside, path), ==, 0);
  events = list (f, conversion, 1, &error);
  g_assert_no_error (error);
  kit_assert_file_holds_media (f->backend, path, json_object_get_string_member
      (unit_image (sent, 0), "url"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 1);
  /* and what it pointed at is untouched */
  g_assert_true (g_file_get_contents (outside, &left, &length, NULL));
  g_assert_cmpmem (left, length, g_bytes_get_data (media, NULL),
      g_bytes_get_size (media));

  /* an empty folder under the name */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  g_clear_pointer (&events, json_array_unref);
  events = list (f, conversion, 1, &error);
  g_assert_no_error (error);
  kit_assert_file_holds_media (f->backend, path, json_object_get_string_member
      (unit_image (sent, 0), "url"));
}

/* --- a size cap per file ------------------------------------------------ */

static void
test_cap_by_content_length (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;

  g_assert_cmpuint (synapse_url_conversion_get_max_file_size (conversion),
      ==, G_GUINT64_CONSTANT (4) << 30);
  synapse_url_conversion_set_max_file_size (conversion, 63);
  events = list (f, conversion, 1, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "63 bytes"));
  assert_nothing_kept (f);
  /* the answer says so up front: not tried again */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), <=, 2);
}

/* Without a length up front (a body ended by the connection's end, or a
 * gzip bomb), the bytes are counted as they are written. */
static void
assert_cap_counted_as_it_arrives (Fixture * f, const char *fault)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (NULL, f->tmpdir);
  g_autoptr (JsonArray) events = NULL;
  g_autofree char *event = g_strdup_printf ("{\"id\":1,\"files\":"
      "\"%smedia/zeros/16777216\"}", f->url);

  kit_serve_events (f->backend, event, 1);
  kit_add_fault (f->backend, fault);
  synapse_url_conversion_set_max_file_size (conversion, 1 << 20);
  events = synapse_client_list_ground_truth_events (f->client, NULL,
      conversion, FALSE, NULL, NULL, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE);
  assert_nothing_kept (f);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 1);
}

static void
test_cap_without_length (Fixture * f, gconstpointer data)
{
  assert_cap_counted_as_it_arrives (f,
      "cut-eof bytes=67108864 path=media/zeros/");
}

static void
test_cap_gzip_bomb (Fixture * f, gconstpointer data)
{
  /* 16 MiB of zeros, some 16 KiB compressed */
  assert_cap_counted_as_it_arrives (f, "gzip path=media/zeros/");
}

/* --- one file in memory: synapse_client_fetch_file () ------------------- */

/* The URL of data unit @id's file, and what the backend serves there. */
static char *
unit_url (Fixture * f, guint id, const char *name)
{
  return g_strdup_printf ("%smedia/data_units/%u/%s", f->url, id, name);
}

static void
test_fetch_whole_and_typed (Fixture * f, gconstpointer data)
{
  /* data unit 2: a PNG served as image/png; 6: one served as
   * application/octet-stream, under a .jpg name */
  const struct
  {
    guint id;
    const char *name;
    const char *type;
  } files[] = { {2, "image.png", "image/png"},
  {6, "image.jpg", "application/octet-stream"}
  };

  kit_add_fault (f->backend, "gzip path=media/data_units/6/");
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *url = unit_url (f, files[i].id, files[i].name);
    g_autoptr (GBytes) want = synapse_test_backend_dup_media (f->backend, url);
    g_autofree char *checksum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1,
        want);
    g_autofree char *type = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (GBytes) got = synapse_client_fetch_file (f->client, url,
        g_bytes_get_size (want), checksum, NULL, 0, &type, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (got, want));
    g_assert_cmpstr (type, ==, files[i].type);
  }
}

static void
assert_fetch_fails (Fixture * f, const char *fault, gint64 size,
    const char *checksum, guint64 max_size, gint code,
    const char *words)
{
  g_autofree char *url = unit_url (f, 3, "image.jpg");
  g_autoptr (GBytes) want = synapse_test_backend_dup_media (f->backend, url);
  g_autofree char *md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, want);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) got = NULL;

  if (fault)
    kit_add_fault (f->backend, fault);
  got = synapse_client_fetch_file (f->client, url,
      size == 0 ? (gint64) g_bytes_get_size (want) : size,
      checksum ? checksum : md5, NULL, max_size, NULL, NULL, &error);
  g_assert_null (got);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, code);
  g_assert_nonnull (strstr (error->message, url));
  g_assert_nonnull (strstr (error->message, words));
}

static void
test_fetch_checksum_mismatch (Fixture * f, gconstpointer data)
{
  assert_fetch_fails (f, "corrupt bytes=10 path=media/data_units/3/", 0,
      NULL, 0, SYNAPSE_CLIENT_ERROR_CHECKSUM, "checksum");
}

/* cut short on every attempt: after the retries, a file that does not
 * match its declared size */
static void
test_fetch_short_after_retries (Fixture * f, gconstpointer data)
{
  assert_fetch_fails (f, "truncate bytes=20 path=media/data_units/3/", 0,
      NULL, 0, SYNAPSE_CLIENT_ERROR_CHECKSUM, "ended after 20");
}

static void
test_fetch_cap (Fixture * f, gconstpointer data)
{
  assert_fetch_fails (f, NULL, -1, NULL, 100,
      SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE, "more than 100 bytes");
}

static void
test_fetch_refuses_other_urls (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) got = synapse_client_fetch_file (f->client,
      "file:///etc/passwd", -1, NULL, NULL, 0, NULL, NULL, &error);

  g_assert_null (got);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 0);
}

/* Through the cache folder: fetched once, then read from there. */
static void
test_fetch_through_the_cache (Fixture * f, gconstpointer data)
{
  g_autofree char *url = unit_url (f, 4, "image.jpg");
  g_autoptr (GBytes) want = synapse_test_backend_dup_media (f->backend, url);

  for (guint round = 0; round < 2; round++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *type = NULL;
    g_autoptr (GBytes) got = synapse_client_fetch_file (f->client, url,
        g_bytes_get_size (want), NULL, f->tmpdir, 0, &type, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (got, want));
    g_assert_null (type);
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "media/"), ==, 1);
  g_assert_cmpuint (kit_count_files (f->tmpdir, NULL), ==, 1);
}

typedef struct
{
  GBytes *bytes;
  GError *error;
  guint *pending;
} Fetched;

static void
fetched (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Fetched *one = user_data;

  one->bytes = synapse_client_fetch_file_finish (SYNAPSE_CLIENT (source),
      result, NULL, &one->error);
  (*one->pending)--;
}

/* Several at once, each whole; a cancelled one ends cancelled. */
static void
test_fetch_async (Fixture * f, gconstpointer data)
{
  Fetched all[7] = { 0 };
  guint pending = G_N_ELEMENTS (all);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();

  kit_add_fault (f->backend, "stall path=media/data_units/7/");
  for (guint i = 0; i < G_N_ELEMENTS (all); i++) {
    g_autofree char *url = unit_url (f, i + 1, i == 1 ? "image.png" :
        "image.jpg");

    all[i].pending = &pending;
    synapse_client_fetch_file_async (f->client, url, -1, NULL, NULL, 0,
        i == 6 ? cancellable : NULL, fetched, &all[i]);
  }
  while (pending > 1)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < 6; i++) {
    g_autofree char *url = unit_url (f, i + 1, i == 1 ? "image.png" :
        "image.jpg");
    g_autoptr (GBytes) want = synapse_test_backend_dup_media (f->backend, url);

    g_assert_no_error (all[i].error);
    g_assert_true (g_bytes_equal (all[i].bytes, want));
    g_bytes_unref (all[i].bytes);
  }
  g_assert_null (all[6].bytes);
  g_assert_error (all[6].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&all[6].error);
}

int
main (int argc, char **argv)
{
  kit_init (&argc, &argv);

  FIXTURE_ADD ("/downloads/whole/cut-chunked-is-retried",
      test_cut_chunked_is_retried);
  FIXTURE_ADD ("/downloads/whole/cut-eof-is-retried", test_cut_eof_is_retried);
  FIXTURE_ADD ("/downloads/whole/cut-fails-at-last",
      test_cut_without_length_fails_at_last);
  FIXTURE_ADD ("/downloads/whole/gzip-is-decoded", test_gzip_is_decoded);
  FIXTURE_ADD ("/downloads/whole/gzip-cut-short-is-retried",
      test_gzip_cut_short_is_retried);
  FIXTURE_ADD ("/downloads/whole/gzip-cut-short-fails-at-last",
      test_gzip_cut_short_fails_at_last);
  FIXTURE_ADD ("/downloads/declared/checksum-mismatch",
      test_checksum_mismatch_names_the_event);
  FIXTURE_ADD ("/downloads/declared/size-mismatch",
      test_size_mismatch_names_the_event);
  FIXTURE_ADD ("/downloads/declared/checksum-forms", test_checksum_forms);
  FIXTURE_ADD ("/downloads/cache/checked-again",
      test_cached_file_is_checked_again);
  FIXTURE_ADD ("/downloads/cache/symlink-replaced",
      test_cached_symlink_is_replaced);
  FIXTURE_ADD ("/downloads/cap/content-length", test_cap_by_content_length);
  FIXTURE_ADD ("/downloads/cap/body-without-length", test_cap_without_length);
  FIXTURE_ADD ("/downloads/cap/gzip-bomb", test_cap_gzip_bomb);
  FIXTURE_ADD ("/downloads/memory/whole-and-typed", test_fetch_whole_and_typed);
  FIXTURE_ADD ("/downloads/memory/checksum-mismatch",
      test_fetch_checksum_mismatch);
  FIXTURE_ADD ("/downloads/memory/short-after-retries",
      test_fetch_short_after_retries);
  FIXTURE_ADD ("/downloads/memory/cap", test_fetch_cap);
  FIXTURE_ADD ("/downloads/memory/refuses-other-urls",
      test_fetch_refuses_other_urls);
  FIXTURE_ADD ("/downloads/memory/through-the-cache",
      test_fetch_through_the_cache);
  FIXTURE_ADD ("/downloads/memory/async", test_fetch_async);

  return g_test_run ();
}
