/* The library's contract with its callers, as GLib's rules state it:
 *
 * - every public call that can fail accepts a NULL GError ** (the caller
 *   does not want the details) and still says it failed, by returning
 *   NULL or FALSE, without a crash or a critical: each call of the public
 *   headers is made to fail here, on a refused request or on bad input;
 * - the error getters (synapse_client_error_get_*) on an error of another
 *   domain give 0 or NULL, without a critical;
 * - a cancellation while an error body is still arriving is reported as
 *   the cancellation, not as the HTTP status;
 * - every object is whole when g_object_new () makes it from its construct
 *   properties alone, as bindings make objects (a pager, a URL conversion,
 *   a chunked upload), and works against the backend as one from its
 *   _new () does.
 *
 * The tests run with G_DEBUG=fatal-criticals, so a g_return_if_fail() hit
 * fails them as a crash would.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "kit-fixture.h"

/* @spec becomes the backend's one fault. */
static void
set_fault (Fixture * f, const char *spec)
{
  synapse_test_backend_clear_faults (f->backend);
  kit_add_fault (f->backend, spec);
}

/* The result of an _async call, waited for in the thread-default main
 * context. */
static void
on_done (GObject * source, GAsyncResult * result, gpointer data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult ** result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* --- NULL GError ** -------------------------------------------------- */

static void
test_null_error_client (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) body = json_from_string ("{\"name\": \"m\"}", NULL);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (JsonNode) reply = NULL;

  g_unsetenv ("SYNAPSE_BACKEND_URL");
  g_assert_null (synapse_client_new_from_env (NULL));
  g_setenv ("SYNAPSE_BACKEND_URL", "ftp://user:pw@example.com/", TRUE);
  g_assert_null (synapse_client_new_from_env (NULL));
  g_unsetenv ("SYNAPSE_BACKEND_URL");

  /* an answer that is an error, with and without a body worth reading */
  g_assert_null (synapse_client_request (f->client, "GET", "models/999/",
          NULL, NULL, NULL, NULL));
  set_fault (f, "status=500 method=POST path=models/");
  g_assert_null (synapse_client_request (f->client, "POST", "models/", NULL,
          body, NULL, NULL));
  /* a URL no request can go to */
  g_assert_null (synapse_client_request (f->client, "GET",
          "https://", NULL, NULL, NULL, NULL));
  /* a connection that breaks, retried and given up */
  set_fault (f, "cut-response bytes=5 path=models/");
  g_assert_null (synapse_client_request (f->client, "GET", "models/", NULL,
          NULL, NULL, NULL));

  synapse_client_request_async (f->client, "GET", "models/", NULL, NULL,
      NULL, on_done, &result);
  reply = synapse_client_request_finish (f->client, wait_for (&result), NULL);
  g_assert_null (reply);
}

static void
test_null_error_ml (Fixture * f, gconstpointer data)
{
  g_autofree char *file = fixture_make_file (f, "model.bin", 1000);
  g_autoptr (JsonObject) model = json_object_new ();
  g_autoptr (JsonObject) bad = json_object_new ();
  g_autoptr (JsonObject) upload = json_object_new ();
  GAsyncResult *result = NULL;

  json_object_set_string_member (model, "name", "contract");
  json_object_set_string_member (model, "model_type", "detection");
  json_object_set_int_member (model, "project", 1);
  json_object_set_string_member (model, "file", file);
  json_object_set_string_member (bad, "name", "no type, no project");
  json_object_set_string_member (upload, "id", "no-such-upload");

  set_fault (f, "status=400 path=models/");
  g_assert_null (synapse_client_list_models (f->client, NULL, NULL, NULL,
          NULL));
  g_assert_null (synapse_client_get_model (f->client, 1, NULL, NULL, NULL,
          NULL));
  synapse_client_list_models_async (f->client, NULL, NULL, on_done, &result);
  g_assert_null (synapse_client_list_models_finish (f->client,
          wait_for (&result), NULL, NULL));
  g_clear_object (&result);
  synapse_client_get_model_async (f->client, 1, NULL, NULL, NULL, on_done,
      &result);
  g_assert_null (synapse_client_get_model_finish (f->client,
          wait_for (&result), NULL));
  g_clear_object (&result);

  /* refused before any request, and refused by the backend */
  g_assert_null (synapse_client_create_model (f->client, bad, NULL, NULL,
          NULL, NULL));
  g_assert_null (synapse_client_create_model (f->client, model, NULL, NULL,
          NULL, NULL));
  synapse_client_create_model_async (f->client, model, NULL, NULL, NULL,
      NULL, on_done, &result);
  g_assert_null (synapse_client_create_model_finish (f->client,
          wait_for (&result), NULL));
  g_clear_object (&result);
  json_object_remove_member (model, "file");
  g_assert_null (synapse_client_create_model_from_upload (f->client, bad,
          upload, NULL, NULL));
  g_assert_null (synapse_client_create_model_from_upload (f->client, model,
          upload, NULL, NULL));
  synapse_client_create_model_from_upload_async (f->client, model, upload,
      NULL, on_done, &result);
  g_assert_null (synapse_client_create_model_from_upload_finish (f->client,
          wait_for (&result), NULL));
  g_clear_object (&result);
  /* the upload itself fails */
  json_object_set_string_member (model, "file", file);
  set_fault (f, "status=403 path=chunked_upload/");
  g_assert_null (synapse_client_create_model (f->client, model, NULL, NULL,
          NULL, NULL));

  g_assert_null (synapse_client_get_ground_truth_version (f->client, 99,
          NULL, NULL));
  synapse_client_get_ground_truth_version_async (f->client, 99, NULL,
      on_done, &result);
  g_assert_null (synapse_client_get_ground_truth_version_finish (f->client,
          wait_for (&result), NULL));
  g_clear_object (&result);
}

static void
test_null_error_listings (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (SynapsePager) page_pager = NULL;
  g_autoptr (SynapsePage) first = NULL;
  GAsyncResult *result = NULL;

  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  json_object_set_int_member (params, "page_size", 10);
  /* the second page fails, after one that worked */
  set_fault (f, "status=401 path=sdk/ground_truth_events/ query=page=2");
  g_assert_null (synapse_client_list_ground_truth_events (f->client, params,
          NULL, TRUE, NULL, NULL, NULL));
  synapse_client_list_ground_truth_events_async (f->client, params, NULL,
      TRUE, NULL, on_done, &result);
  g_assert_null (synapse_client_list_ground_truth_events_finish (f->client,
          wait_for (&result), NULL, NULL));
  g_clear_object (&result);

  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  for (guint i = 0; i < 10; i++) {
    g_autoptr (JsonObject) event = synapse_pager_next (pager, NULL, NULL);

    g_assert_nonnull (event);
  }
  g_assert_null (synapse_pager_next (pager, NULL, NULL));
  page_pager = synapse_client_iter_ground_truth_events (f->client, params,
      NULL);
  first = synapse_pager_read_page (page_pager, NULL, NULL);
  g_assert_nonnull (first);
  g_assert_null (synapse_pager_read_page (page_pager, NULL, NULL));

  /* from the first page on, one pager a call */
  set_fault (f, "status=401 path=sdk/ground_truth_events/");
  for (guint call = 0; call < 4; call++) {
    g_autoptr (SynapsePager) failing =
        synapse_client_iter_ground_truth_events (f->client, NULL, NULL);

    switch (call) {
      case 0:
        g_assert_null (synapse_pager_next_page (failing, NULL, NULL));
        break;
      case 1:
        synapse_pager_next_async (failing, NULL, on_done, &result);
        g_assert_null (synapse_pager_next_finish (failing,
                wait_for (&result), NULL));
        break;
      case 2:
        synapse_pager_read_page_async (failing, NULL, on_done, &result);
        g_assert_null (synapse_pager_read_page_finish (failing,
                wait_for (&result), NULL));
        break;
      default:
        synapse_pager_next_page_async (failing, NULL, on_done, &result);
        g_assert_null (synapse_pager_next_page_finish (failing,
                wait_for (&result), NULL));
        break;
    }
    g_clear_object (&result);
  }
}

static void
test_null_error_uploads (Fixture * f, gconstpointer data)
{
  g_autofree char *file = fixture_make_file (f, "model.bin", 5000);
  g_autofree char *missing = g_build_filename (f->tmpdir, "missing", NULL);
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (SynapseChunkedUpload) bytes_upload = NULL;
  g_autoptr (SynapseChunkedUpload) finish_upload = NULL;
  g_autoptr (SynapseChunkedUpload) async_upload = NULL;
  g_autoptr (GBytes) chunk = g_bytes_new_static ("0123456789", 10);
  GAsyncResult *result = NULL;

  g_assert_null (synapse_client_create_chunked_upload (f->client, missing,
          0, NULL, NULL, NULL, NULL));
  set_fault (f, "status=413 path=chunked_upload/");
  g_assert_null (synapse_client_create_chunked_upload (f->client, file, 1000,
          NULL, NULL, NULL, NULL));
  synapse_client_create_chunked_upload_async (f->client, file, 1000, NULL,
      NULL, NULL, NULL, on_done, &result);
  g_assert_null (synapse_client_create_chunked_upload_finish (f->client,
          wait_for (&result), NULL));
  g_clear_object (&result);

  /* a full chunk is sent at once, and refused */
  upload = synapse_chunked_upload_new (f->client, "m.bin", 20, 10);
  g_assert_false (synapse_chunked_upload_write (upload,
          (const guint8 *) "0123456789", 10, NULL, NULL));
  /* once failed, it takes no more */
  g_assert_false (synapse_chunked_upload_write (upload,
          (const guint8 *) "0123456789", 10, NULL, NULL));
  g_assert_null (synapse_chunked_upload_complete (upload, NULL, NULL));

  bytes_upload = synapse_chunked_upload_new (f->client, "m.bin", 20, 10);
  g_assert_false (synapse_chunked_upload_write_bytes (bytes_upload, chunk,
          NULL, NULL));

  /* the last chunk goes at finish, and is refused */
  finish_upload = synapse_chunked_upload_new (f->client, "m.bin", 5, 10);
  g_assert_true (synapse_chunked_upload_write (finish_upload,
          (const guint8 *) "01234", 5, NULL, NULL));
  g_assert_null (synapse_chunked_upload_complete (finish_upload, NULL, NULL));

  async_upload = synapse_chunked_upload_new (f->client, "m.bin", 5, 10);
  g_assert_true (synapse_chunked_upload_write (async_upload,
          (const guint8 *) "01234", 5, NULL, NULL));
  synapse_chunked_upload_complete_async (async_upload, NULL, on_done, &result);
  g_assert_null (synapse_chunked_upload_complete_finish (async_upload,
          wait_for (&result), NULL));
  g_clear_object (&result);
}

static char *
refuse_url (const char *url, gpointer user_data, GError ** error)
{
  g_set_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT, "no URL for %s", url);
  return NULL;
}

static char *
forget_url (const char *url, gpointer user_data, GError ** error)
{
  return NULL;
}

static void
test_null_error_url_conversion (Fixture * f, gconstpointer data)
{
  const char *fields[] = { "files", NULL };
  const char *model_fields[] = { "file", NULL };
  g_autofree char *cache = g_build_filename (f->tmpdir, "cache", NULL);
  g_autoptr (SynapseUrlConversion) download =
      synapse_url_conversion_new_download (fields, cache);
  g_autoptr (SynapseUrlConversion) model_download =
      synapse_url_conversion_new_download (model_fields, cache);
  g_autoptr (SynapseUrlConversion) refusing =
      synapse_url_conversion_new_converter (fields, refuse_url, NULL, NULL);
  g_autoptr (SynapseUrlConversion) forgetting =
      synapse_url_conversion_new_converter (fields, forget_url, NULL, NULL);
  g_autoptr (JsonArray) events = synapse_test_backend_dup_events (f->backend,
      1);
  g_autoptr (JsonObject) params = json_object_new ();

  g_assert_false (synapse_url_conversion_apply (refusing, f->client, events,
          NULL, NULL));
  g_assert_false (synapse_url_conversion_apply (forgetting, f->client, events,
          NULL, NULL));
  /* the files are not there */
  set_fault (f, "status=404 path=media/");
  g_assert_false (synapse_url_conversion_apply (download, f->client, events,
          NULL, NULL));
  /* and through the calls that convert */
  g_assert_null (synapse_client_get_model (f->client, 1, NULL,
          model_download, NULL, NULL));
  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  g_assert_null (synapse_client_list_ground_truth_events (f->client, params,
          download, FALSE, NULL, NULL, NULL));
}

/* --- error getters ----------------------------------------------------- */

static void
test_getters_on_another_domain (void)
{
  g_autoptr (GError) io = g_error_new_literal (G_IO_ERROR,
      G_IO_ERROR_NOT_FOUND, "not ours");
  /* a code that looks like an HTTP status, in another domain */
  g_autoptr (GError) other = g_error_new_literal (G_FILE_ERROR, 404,
      "not ours either");

  g_assert_cmpuint (synapse_client_error_get_status_code (io), ==, 0);
  g_assert_null (synapse_client_error_get_detail (io));
  g_assert_null (synapse_client_error_describe_detail (io));
  g_assert_null (synapse_client_error_get_url (io));
  g_assert_null (synapse_client_error_get_method (io));
  g_assert_cmpuint (synapse_client_error_get_status_code (other), ==, 0);
  g_assert_null (synapse_client_error_get_detail (other));
  g_assert_null (synapse_client_error_get_url (other));
}

/* A copy made from the domain and code alone (as bindings make them) has
 * lost the private part; the getters still answer. */
static void
test_getters_on_a_bare_copy (void)
{
  g_autoptr (GError) bare = g_error_new_literal (SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_NOT_FOUND, "Not found.");

  g_assert_cmpuint (synapse_client_error_get_status_code (bare), ==, 404);
  g_assert_null (synapse_client_error_get_detail (bare));
  g_assert_null (synapse_client_error_describe_detail (bare));
  g_assert_null (synapse_client_error_get_url (bare));
}

/* --- a cancellation while an error body arrives ------------------------ */

typedef struct
{
  Fixture *f;
  GCancellable *cancellable;
} Canceller;

/* Cancels once the backend has answered with its status, while the body
 * still trickles. */
static gpointer
cancel_when_answered (gpointer data)
{
  Canceller *c = data;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;) {
    g_autoptr (GPtrArray) requests =
        synapse_test_backend_dup_requests (c->f->backend);

    if (requests->len > 0
        && ((SynapseTestRequest *) requests->pdata[0])->status != 0)
      break;
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_usleep (10 * 1000);
  }
  g_usleep (200 * 1000);
  g_cancellable_cancel (c->cancellable);
  return NULL;
}

static void
test_cancel_while_reading_an_error_body (Fixture * f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Canceller canceller = { f, cancellable };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;
  GThread *thread;

  /* a 400 is final: without the cancellation, it would be the answer */
  set_fault (f, "trickle status=400 bytes=1 ms=500 path=models/1/ "
      "body='{\"detail\": \"This answer takes a minute to arrive.\"}'");
  g_object_set (f->client, "timeout", 60, NULL);
  thread = g_thread_new ("canceller", cancel_when_answered, &canceller);
  model = synapse_client_get_model (f->client, 1, NULL, NULL, cancellable,
      &error);
  g_thread_join (thread);

  g_assert_null (model);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/1/"), ==, 1);
}

/* --- g_object_new () -------------------------------------------------- */

static void
test_g_object_new_pager (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events
      (f->backend, 2);
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (SynapseClient) client = NULL;
  g_autofree char *path = NULL;
  g_autoptr (JsonArray) walked = json_array_new ();
  JsonObject *event;

  json_object_set_int_member (params, "ground_truth_dataset_versions", 2);
  json_object_set_int_member (params, "page_size", 30);
  pager = g_object_new (SYNAPSE_TYPE_PAGER, "client", f->client, "path",
      "sdk/ground_truth_events/", "params", params, NULL);
  g_object_get (pager, "client", &client, "path", &path, NULL);
  g_assert_true (client == f->client);
  g_assert_cmpstr (path, ==, "sdk/ground_truth_events/");

  while ((event = synapse_pager_next (pager, NULL, &error)))
    json_array_add_object_element (walked, event);
  g_assert_no_error (error);
  kit_assert_events (walked, expected);
  g_assert_cmpint (synapse_pager_get_total_count (pager), ==, 100);
  /* the params' page size, not the client's */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "sdk/ground_truth_events/"), ==, 4);
}

static char *
to_cdn (const char *url, gpointer user_data, GError ** error)
{
  guint *calls = user_data;

  (*calls)++;
  return g_strconcat ("https://cdn.example.com/", url, NULL);
}

static void
count_free (gpointer data)
{
  guint *calls = data;

  *calls = G_MAXUINT;
}

static void
test_g_object_new_url_conversion (Fixture * f, gconstpointer data)
{
  const char *const fields[] = { "data_unit.files", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapseUrlConversion) download = NULL;
  g_autoptr (SynapseUrlConversion) converter = NULL;
  g_autoptr (SynapseUrlConversion) neither = NULL;
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) page = NULL;
  guint calls = 0;

  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  json_object_set_int_member (params, "page_size", 3);

  /* downloading, through a pager made the same way */
  download = g_object_new (SYNAPSE_TYPE_URL_CONVERSION, "fields", fields,
      "directory", f->tmpdir, "max-downloads", 2, NULL);
  g_assert_cmpstr (synapse_url_conversion_get_directory (download), ==,
      f->tmpdir);
  g_assert_cmpuint (synapse_url_conversion_get_max_downloads (download), ==, 2);
  pager = g_object_new (SYNAPSE_TYPE_PAGER, "client", f->client, "path",
      "sdk/ground_truth_events/", "params", params, "conversion", download,
      NULL);
  page = synapse_pager_next_page (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (page), ==, 3);
  /* what it fetched ahead is dropped with it */
  g_clear_object (&pager);
  fixture_assert_unit_images_whole (f, page);

  /* a converter, its data freed with the conversion */
  converter = g_object_new (SYNAPSE_TYPE_URL_CONVERSION, "fields", fields,
      "converter", to_cdn, "converter-data", &calls, "converter-data-free",
      count_free, NULL);
  g_assert_null (synapse_url_conversion_get_directory (converter));
  events = synapse_client_list_ground_truth_events (f->client, params,
      converter, FALSE, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (events), ==, 3);
  g_assert_true (g_str_has_prefix (json_object_get_string_member
          (kit_event_object (json_array_get_object_element (events, 0),
                  "data_unit.files.image"), "url"),
          "https://cdn.example.com/http"));
  g_assert_cmpuint (calls, >=, 3);
  g_clear_object (&converter);
  g_assert_cmpuint (calls, ==, G_MAXUINT);

  /* neither way of converting: a critical, then a failure, not a crash */
  g_test_expect_message ("Synapse", G_LOG_LEVEL_CRITICAL,
      "*needs either a converter or a download directory*");
  neither = g_object_new (SYNAPSE_TYPE_URL_CONVERSION, NULL);
  g_test_assert_expected_messages ();
  g_clear_pointer (&events, json_array_unref);
  events = synapse_client_list_ground_truth_events (f->client, params,
      neither, FALSE, NULL, NULL, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
}

static void
test_g_object_new_chunked_upload (Fixture * f, gconstpointer data)
{
  const char bytes[] = "0123456789abcdefghij";
  const gsize size = sizeof bytes - 1;
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (SynapseChunkedUpload) defaults = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autofree char *md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5,
      (const guchar *) bytes, size);
  g_autofree char *filename = NULL;
  guint64 chunk_size = 0, client_chunk_size = 0;

  upload = g_object_new (SYNAPSE_TYPE_CHUNKED_UPLOAD, "client", f->client,
      "filename", "models/m.bin", "total-size", (guint64) size, "chunk-size",
      (guint64) 8, NULL);
  g_object_get (upload, "filename", &filename, "chunk-size", &chunk_size, NULL);
  g_assert_cmpstr (filename, ==, "m.bin");
  g_assert_cmpuint (chunk_size, ==, 8);
  g_assert_true (synapse_chunked_upload_write (upload,
          (const guint8 *) bytes, size, NULL, &error));
  g_assert_no_error (error);
  result = synapse_chunked_upload_complete (upload, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (result, "checksum"), ==, md5);
  g_assert_cmpstr (json_object_get_string_member (result, "filename"), ==,
      "m.bin");
  g_assert_cmpuint (synapse_chunked_upload_get_total_size (upload), ==, size);
  /* three chunks of at most 8 bytes, then the completion */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "chunked_upload/"), ==, 4);

  /* no chunk size: the client's */
  defaults = g_object_new (SYNAPSE_TYPE_CHUNKED_UPLOAD, "client", f->client,
      "filename", "m.bin", "total-size", (guint64) size, NULL);
  g_object_get (defaults, "chunk-size", &chunk_size, NULL);
  g_object_get (f->client, "chunk-size", &client_chunk_size, NULL);
  g_assert_cmpuint (chunk_size, ==, client_chunk_size);
}

int
main (int argc, char **argv)
{
  kit_init (&argc, &argv);

  FIXTURE_ADD ("/contract/null-error/client", test_null_error_client);
  FIXTURE_ADD ("/contract/null-error/ml", test_null_error_ml);
  FIXTURE_ADD ("/contract/null-error/listings", test_null_error_listings);
  FIXTURE_ADD ("/contract/null-error/uploads", test_null_error_uploads);
  FIXTURE_ADD ("/contract/null-error/url-conversion",
      test_null_error_url_conversion);
  g_test_add_func ("/contract/getters/another-domain",
      test_getters_on_another_domain);
  g_test_add_func ("/contract/getters/bare-copy", test_getters_on_a_bare_copy);
  FIXTURE_ADD ("/contract/cancel/while-reading-an-error-body",
      test_cancel_while_reading_an_error_body);
  FIXTURE_ADD ("/contract/g-object-new/pager", test_g_object_new_pager);
  FIXTURE_ADD ("/contract/g-object-new/url-conversion",
      test_g_object_new_url_conversion);
  FIXTURE_ADD ("/contract/g-object-new/chunked-upload",
      test_g_object_new_chunked_upload);

  return g_test_run ();
}
