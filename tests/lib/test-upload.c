/* Tests of the chunked upload and create_model against the local backend:
 * sizes, stored bytes, resume, offsets, limits, expiry, cancellation,
 * progress and model creation.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>

#include "kit-fixture.h"

#define CHUNK 1000

static void
assert_stored_equals_file (Fixture * f, JsonObject * upload, const char *path)
{
  g_autoptr (GBytes) stored = kit_dup_upload_bytes (f->backend,
      json_object_get_string_member (upload, "id"));
  g_autofree char *local = NULL;
  gsize local_length = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *md5 = NULL;

  g_file_get_contents (path, &local, &local_length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (stored, NULL), g_bytes_get_size (stored),
      local, local_length);

  md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, (guchar *) local,
      local_length);
  g_assert_cmpstr (json_object_get_string_member (upload, "checksum"), ==,
      md5);
  g_assert_cmpstr (json_object_get_string_member (upload, "status"), ==,
      "complete");
}

typedef struct
{
  GArray *reports;
  guint64 total;
  GCancellable *cancel_after_first;
} Progress;

static void
record_progress (guint64 sent, guint64 total, gpointer data)
{
  Progress *progress = data;

  g_array_append_val (progress->reports, sent);
  progress->total = total;
  if (progress->cancel_after_first)
    g_cancellable_cancel (progress->cancel_after_first);
}

static void
test_file_sizes (Fixture * f, gconstpointer data)
{
  const gsize sizes[] = { 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 500 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    g_autofree char *name = g_strdup_printf ("model-%zu.bin", sizes[i]);
    g_autofree char *path = fixture_make_file (f, name, sizes[i]);
    g_autoptr (GArray) reports = g_array_new (FALSE, FALSE, sizeof (guint64));
    Progress progress = { reports, 0, NULL };
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) upload = NULL;
    guint chunks = (sizes[i] + CHUNK - 1) / CHUNK;

    synapse_test_backend_clear_requests (f->backend);
    upload = synapse_client_create_chunked_upload (f->client, path, CHUNK,
        record_progress, &progress, NULL, &error);
    g_assert_no_error (error);
    assert_stored_equals_file (f, upload, path);
    g_assert_cmpstr (json_object_get_string_member (upload, "filename"), ==,
        name);

    /* one PUT a chunk and one POST, nothing more */
    g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
            "chunked_upload/"), ==, chunks + 1);
    /* progress after each chunk, rising to the total */
    g_assert_cmpuint (reports->len, ==, chunks);
    for (guint r = 1; r < reports->len; r++)
      g_assert_cmpuint (g_array_index (reports, guint64, r), >,
          g_array_index (reports, guint64, r - 1));
    g_assert_cmpuint (g_array_index (reports, guint64, reports->len - 1), ==,
        sizes[i]);
    g_assert_cmpuint (progress.total, ==, sizes[i]);
  }
}

static void
test_default_chunk_is_50_mib (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload =
      synapse_chunked_upload_new (f->client, "/some/dir/model.bin", 10, 0);

  g_assert_cmpuint (synapse_chunked_upload_get_chunk_size (upload), ==,
      50 * 1024 * 1024);
  g_assert_cmpstr (synapse_chunked_upload_get_filename (upload), ==,
      "model.bin");
}

static void
test_bad_files_fail_before_any_request (Fixture * f, gconstpointer data)
{
  g_autofree char *empty = fixture_make_file (f, "empty.bin", 0);
  g_autofree char *missing = g_build_filename (f->tmpdir, "missing", NULL);
  g_autofree char *unreadable = fixture_make_file (f, "secret.bin", 10);
  const char *paths[] = { empty, missing, f->tmpdir, unreadable };

  g_chmod (unreadable, 0);
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) upload = NULL;
    int code;

    /* root reads anything: the unreadable case only means something
     * for other users */
    if (paths[i] == unreadable && g_access (unreadable, R_OK) == 0)
      continue;
    upload = synapse_client_create_chunked_upload (f->client, paths[i], CHUNK,
        NULL, NULL, NULL, &error);
    g_assert_null (upload);
    /* a file that cannot be read is an IO error; an empty one is refused */
    code = paths[i] == empty ? SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT
        : SYNAPSE_CLIENT_ERROR_IO;
    g_assert_error (error, SYNAPSE_CLIENT_ERROR, code);
    g_assert_nonnull (strstr (error->message, paths[i]));
    g_assert_cmpstr (synapse_client_error_get_path (error), ==, paths[i]);
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

static void
test_resume_after_cut_connection (Fixture * f, gconstpointer data)
{
  SynapseTestFault cut = {
    .kind = SYNAPSE_TEST_FAULT_CUT_REQUEST,
    .method = "PUT",
    .path = "chunked_upload/",
    .skip = 1,
    .times = 1,
    .bytes = 600,
  };
  g_autofree char *path = fixture_make_file (f, "cut.bin", 4 * CHUNK);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;
  guint fault;

  fault = synapse_test_backend_add_fault (f->backend, &cut);
  upload = synapse_client_create_chunked_upload (f->client, path, CHUNK, NULL,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_test_backend_get_fault_hits (f->backend, fault),
      ==, 1);
  assert_stored_equals_file (f, upload, path);
}

static void
test_lost_reply_continues_from_backend_offset (Fixture * f,
    gconstpointer data)
{
  /* the second chunk is stored but its reply lost: the retry is told
   * "Offsets do not match" and the upload goes on from there */
  SynapseTestFault drop = {
    .kind = SYNAPSE_TEST_FAULT_DROP_RESPONSE,
    .method = "PUT",
    .path = "chunked_upload/",
    .skip = 1,
    .times = 1,
  };
  g_autofree char *path = fixture_make_file (f, "drop.bin", 3 * CHUNK + 7);
  g_autoptr (GArray) reports = g_array_new (FALSE, FALSE, sizeof (guint64));
  Progress progress = { reports, 0, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  guint mismatches = 0;

  synapse_test_backend_add_fault (f->backend, &drop);
  upload = synapse_client_create_chunked_upload (f->client, path, CHUNK,
      record_progress, &progress, NULL, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, upload, path);

  requests = synapse_test_backend_dup_requests (f->backend);
  for (guint i = 0; i < requests->len; i++)
    if (((SynapseTestRequest *) requests->pdata[i])->status == 400)
      mismatches++;
  g_assert_cmpuint (mismatches, ==, 1);
  for (guint r = 1; r < reports->len; r++)
    g_assert_cmpuint (g_array_index (reports, guint64, r), >,
        g_array_index (reports, guint64, r - 1));
}

static void
test_server_errors_on_a_chunk_are_retried (Fixture * f, gconstpointer data)
{
  SynapseTestFault busy = {
    .kind = SYNAPSE_TEST_FAULT_STATUS,
    .method = "PUT",
    .path = "chunked_upload/",
    .skip = 2,
    .times = 2,
    .status = 503,
    .retry_after = -1,
  };
  g_autofree char *path = fixture_make_file (f, "busy.bin", 4 * CHUNK);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;

  synapse_test_backend_add_fault (f->backend, &busy);
  upload = synapse_client_create_chunked_upload (f->client, path, CHUNK, NULL,
      NULL, NULL, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, upload, path);
}

static void
test_too_large_is_413 (Fixture * f, gconstpointer data)
{
  g_autofree char *path = fixture_make_file (f, "big.bin", 5000);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;

  upload = synapse_client_create_chunked_upload (f->client, path, CHUNK, NULL,
      NULL, NULL, &error);
  g_assert_null (upload);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_PAYLOAD_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "big.bin"));
  g_assert_nonnull (strstr (error->message, "exceeds the limit"));
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE), ==,
      0);
}

static void
test_expired_upload_is_410 (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload =
      synapse_chunked_upload_new (f->client, "late.bin", 3 * CHUNK, CHUNK);
  g_autoptr (GError) error = NULL;
  guint8 block[CHUNK] = { 0 };

  g_assert_true (synapse_chunked_upload_write (upload, block, CHUNK, NULL,
          &error));
  g_assert_no_error (error);
  g_assert_nonnull (synapse_chunked_upload_get_url (upload));
  synapse_test_backend_expire_uploads (f->backend);
  g_assert_false (synapse_chunked_upload_write (upload, block, CHUNK, NULL,
          &error));
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_GONE);
  g_assert_nonnull (strstr (error->message, "expired"));
  g_clear_error (&error);
  /* a failed write ends the upload */
  g_assert_false (synapse_chunked_upload_write (upload, block, 1, NULL,
          &error));
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
}

static void
test_cancelled_upload_stops (Fixture * f, gconstpointer data)
{
  g_autofree char *path = fixture_make_file (f, "cancel.bin", 5 * CHUNK);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GArray) reports = g_array_new (FALSE, FALSE, sizeof (guint64));
  Progress progress = { reports, 0, cancellable };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;

  upload = synapse_client_create_chunked_upload (f->client, path, CHUNK,
      record_progress, &progress, cancellable, &error);
  g_assert_null (upload);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (reports->len, ==, 1);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE), ==,
      0);
}

static void
test_streaming_writes_of_any_size (Fixture * f, gconstpointer data)
{
  const gsize total = 4321;
  g_autofree char *path = fixture_make_file (f, "stream.bin", total);
  g_autofree char *contents = NULL;
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GError) error = NULL;
  const gsize pieces[] = { 1, 7, 999, 1000, 1, 13, 2000 };
  gsize written = 0;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  upload = synapse_chunked_upload_new (f->client, path, total, CHUNK);
  for (guint i = 0; written < total; i = (i + 1) % G_N_ELEMENTS (pieces)) {
    gsize n = MIN (pieces[i], total - written);

    g_assert_true (synapse_chunked_upload_write (upload,
            (guint8 *) contents + written, n, NULL, &error));
    g_assert_no_error (error);
    written += n;
    /* never more than a chunk held */
    g_assert_cmpuint (written - synapse_chunked_upload_get_offset (upload),
        <, CHUNK);
  }
  result = synapse_chunked_upload_complete (upload, NULL, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, result, path);
  g_assert_cmpstr (synapse_chunked_upload_get_md5 (upload), ==,
      json_object_get_string_member (result, "checksum"));
}

/* Whole chunks given as GBytes go out as they are, among bytes copied into
 * the upload's own chunk: every PUT carries the range that follows the one
 * before, a chunk long, and the backend stores the file. */
static void
test_streaming_whole_chunks_as_bytes (Fixture * f, gconstpointer data)
{
  const gsize total = 4321;
  g_autofree char *path = fixture_make_file (f, "chunks.bin", total);
  g_autofree char *contents = NULL;
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) file = NULL;
  /* bytes: two whole chunks and half a one; then copied, the rest of that
   * chunk; bytes: a whole chunk; bytes again: the end, shorter */
  const struct
  {
    gsize size;
    gboolean as_bytes;
  } pieces[] = { {2500, TRUE}, {500, FALSE}, {1000, TRUE}, {321, TRUE} };
  const char *ranges[] = { "bytes 0-999/4321", "bytes 1000-1999/4321",
    "bytes 2000-2999/4321", "bytes 3000-3999/4321", "bytes 4000-4320/4321"
  };
  gsize written = 0;
  guint puts = 0;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  file = g_bytes_new_static (contents, total);
  upload = synapse_chunked_upload_new (f->client, path, total, CHUNK);
  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++) {
    gsize n = pieces[i].size;

    if (pieces[i].as_bytes) {
      g_autoptr (GBytes) piece = g_bytes_new_from_bytes (file, written, n);

      g_assert_true (synapse_chunked_upload_write_bytes (upload, piece, NULL,
              &error));
    } else {
      g_assert_true (synapse_chunked_upload_write (upload,
              (guint8 *) contents + written, n, NULL, &error));
    }
    g_assert_no_error (error);
    written += n;
    /* what is not stored yet is less than a chunk */
    g_assert_cmpuint (written - synapse_chunked_upload_get_offset (upload),
        <, CHUNK);
  }
  result = synapse_chunked_upload_complete (upload, NULL, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, result, path);

  requests = synapse_test_backend_dup_requests (f->backend);
  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (!g_str_equal (request->method, "PUT"))
      continue;
    g_assert_cmpuint (puts, <, G_N_ELEMENTS (ranges));
    g_assert_cmpstr (soup_message_headers_get_one (request->headers,
            "Content-Range"), ==, ranges[puts]);
    g_assert_cmpuint (request->status, ==, 200);
    puts++;
  }
  g_assert_cmpuint (puts, ==, G_N_ELEMENTS (ranges));
}

static void
test_streaming_size_must_match (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload =
      synapse_chunked_upload_new (f->client, "short.bin", 100, CHUNK);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) result = NULL;
  guint8 block[200] = { 0 };

  g_assert_false (synapse_chunked_upload_write (upload, block, 200, NULL,
          &error));
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (synapse_chunked_upload_write (upload, block, 50, NULL,
          &error));
  result = synapse_chunked_upload_complete (upload, NULL, &error);
  g_assert_null (result);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "50 of the 100"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

static void
test_checksum_disagreement_is_an_error (Fixture * f, gconstpointer data)
{
  SynapseTestFault liar = {
    .kind = SYNAPSE_TEST_FAULT_STATUS,
    .method = "POST",
    .path = "chunked_upload/",
    .status = 200,
    .retry_after = -1,
    .body = "{\"id\": \"x\", \"status\": \"complete\", "
        "\"checksum\": \"00000000000000000000000000000000\"}",
  };
  g_autofree char *path = fixture_make_file (f, "liar.bin", 10);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;

  synapse_test_backend_add_fault (f->backend, &liar);
  upload = synapse_client_create_chunked_upload (f->client, path, CHUNK, NULL,
      NULL, NULL, &error);
  g_assert_null (upload);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_CHECKSUM);
}

static void
test_lost_finish_reply_is_recovered (Fixture * f, gconstpointer data)
{
  g_autofree char *path = fixture_make_file (f, "finish.bin", 2 * CHUNK);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;

  kit_add_fault (f->backend, "drop-response method=POST path=chunked_upload/ "
      "times=1");
  upload = synapse_client_create_chunked_upload (f->client, path, CHUNK, NULL,
      NULL, NULL, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, upload, path);
}

static JsonObject *
model_data (const char *file)
{
  g_autoptr (JsonNode) node = json_from_string ("{\"name\": \"yolo-é\", "
      "\"model_type\": \"detection\", \"project\": 2, "
      "\"description\": \"trained on v3\", "
      "\"metrics\": {\"accuracy\": 0.91, \"f1_score\": 0.88}, "
      "\"configuration\": {\"epochs\": 30}, \"is_active\": true}", NULL);
  JsonObject *data = json_object_ref (json_node_get_object (node));

  if (file)
    json_object_set_string_member (data, "file", file);
  return data;
}

static void
test_create_model (Fixture * f, gconstpointer data)
{
  g_autofree char *path = fixture_make_file (f, "weights.pt", 2500);
  g_autoptr (JsonObject) input = model_data (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (JsonObject) fetched = NULL;
  g_autoptr (GBytes) stored = NULL;
  g_autofree char *local = NULL;
  gsize local_length = 0;
  const char *fields[] = { "name", "model_type", "description" };

  model = synapse_client_create_model (f->client, input, NULL, NULL, NULL,
      &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    g_assert_cmpstr (json_object_get_string_member (model, fields[i]), ==,
        json_object_get_string_member (input, fields[i]));
  g_assert_cmpint (json_object_get_int_member (model, "project"), ==, 2);
  g_assert_true (json_object_get_boolean_member (model, "is_active"));
  g_assert_cmpfloat (json_object_get_double_member
      (json_object_get_object_member (model, "metrics"), "accuracy"), ==,
      0.91);
  /* the caller's data is left as it was */
  g_assert_true (json_object_has_member (input, "file"));

  fetched = synapse_client_get_model (f->client,
      json_object_get_int_member (model, "id"), NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (fetched, "name"), ==,
      "yolo-é");
  stored = synapse_test_backend_dup_media (f->backend,
      json_object_get_string_member (fetched, "file"));
  g_file_get_contents (path, &local, &local_length, &error);
  g_assert_cmpmem (g_bytes_get_data (stored, NULL), g_bytes_get_size (stored),
      local, local_length);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, 6);
}

static void
test_create_model_checks_first (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonObject) input = json_object_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;
  JsonNode *detail;
  JsonObject *fields;

  json_object_set_string_member (input, "model_type", "regression");
  json_object_set_string_member (input, "metrics", "high");
  json_object_set_string_member (input, "file", "/nonexistent/model.bin");
  model = synapse_client_create_model (f->client, input, NULL, NULL, NULL,
      &error);
  g_assert_null (model);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
  /* every problem at once */
  g_assert_nonnull (strstr (error->message, "\"name\""));
  g_assert_nonnull (strstr (error->message, "\"model_type\""));
  g_assert_nonnull (strstr (error->message, "\"project\""));
  g_assert_nonnull (strstr (error->message, "\"metrics\""));
  g_assert_nonnull (strstr (error->message, "/nonexistent/model.bin"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
  /* and as the backend's 400 would list them: DRF's field errors */
  detail = synapse_client_error_get_detail (error);
  g_assert_nonnull (detail);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (detail));
  fields = json_node_get_object (detail);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member
          (fields, "name"), 0), ==, "This field is required.");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member
          (fields, "model_type"), 0), ==, "\"regression\" is not a valid choice.");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member
          (fields, "project"), 0), ==, "This field is required.");
  g_assert_true (json_object_has_member (fields, "metrics"));
  g_assert_true (json_object_has_member (fields, "file"));
  /* nothing was sent: no status, no request */
  g_assert_cmpuint (synapse_client_error_get_status_code (error), ==, 0);
  g_assert_null (synapse_client_error_get_url (error));
}

static void
test_create_model_unreadable_file_is_its_own_error (Fixture * f,
    gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->tmpdir, "gone.pt", NULL);
  g_autoptr (JsonObject) input = model_data (missing);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;

  model = synapse_client_create_model (f->client, input, NULL, NULL, NULL,
      &error);
  g_assert_null (model);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO);
  g_assert_cmpstr (synapse_client_error_get_path (error), ==, missing);
  g_assert_nonnull (strstr (error->message, missing));
  g_assert_null (synapse_client_error_get_detail (error));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);
}

/* What a binding sees: it raises its own exception from the domain, code
 * and message, frees the error, and hands a copy of those back. */
static void
test_error_to_json_finds_a_bindings_copy (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) copy = NULL;
  g_autoptr (GError) stranger = NULL;
  g_autoptr (JsonNode) original = NULL;
  g_autoptr (JsonNode) found = NULL;
  g_autoptr (JsonNode) none = NULL;
  g_autoptr (JsonObject) model = NULL;
  JsonObject *object;

  model = synapse_client_get_model (f->client, 424242, NULL, NULL, NULL,
      &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_NOT_FOUND);
  original = synapse_client_error_to_json (error);
  object = json_node_get_object (original);
  g_assert_cmpint (json_object_get_int_member (object, "status_code"), ==,
      404);
  g_assert_cmpstr (json_object_get_string_member (object, "method"), ==,
      "GET");
  g_assert_nonnull (strstr (json_object_get_string_member (object, "url"),
          "models/424242/"));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (object,
              "detail")));
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==,
      error->message);

  copy = g_error_new_literal (error->domain, error->code, error->message);
  g_clear_error (&error);
  g_assert_null (synapse_client_error_get_url (copy));
  found = synapse_client_error_to_json (copy);
  g_assert_true (json_node_equal (found, original));

  /* another message is another error: nothing is made up for it */
  stranger = g_error_new_literal (SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_NOT_FOUND, "something else");
  none = synapse_client_error_to_json (stranger);
  object = json_node_get_object (none);
  g_assert_cmpint (json_object_get_int_member (object, "status_code"), ==,
      404);
  g_assert_true (json_object_get_null_member (object, "url"));
  g_assert_true (json_object_get_null_member (object, "detail"));
}

static void
test_create_model_400_carries_field_errors (Fixture * f, gconstpointer data)
{
  g_autofree char *path = fixture_make_file (f, "dup.pt", 100);
  g_autoptr (JsonObject) input = model_data (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;
  JsonNode *detail;

  kit_add_fault (f->backend, "status=400 method=POST path=models/ "
      "body='{\"name\": [\"A model with this name already exists.\"]}'");
  model = synapse_client_create_model (f->client, input, NULL, NULL, NULL,
      &error);
  g_assert_null (model);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message,
          "name: A model with this name already exists."));
  detail = synapse_client_error_get_detail (error);
  g_assert_true (json_object_has_member (json_node_get_object (detail),
          "name"));
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, 5);
}

static void
test_create_model_real_validation (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) body = json_from_string ("{\"name\": \"x\", "
      "\"model_type\": \"detection\", \"project\": 1, "
      "\"chunked_upload\": \"no-such-upload\"}", NULL);
  g_autoptr (JsonNode) reply = synapse_client_request (f->client, "POST",
      "models/", NULL, body, NULL, &error);

  g_assert_null (reply);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "chunked_upload:"));
}

static void
on_model_created (GObject * source, GAsyncResult * result, gpointer data)
{
  JsonObject **model = data;
  g_autoptr (GError) error = NULL;

  *model = synapse_client_create_model_finish (SYNAPSE_CLIENT (source),
      result, &error);
  g_assert_no_error (error);
}

static void
test_create_model_async (Fixture * f, gconstpointer data)
{
  g_autofree char *path = fixture_make_file (f, "async.pt", 3 * CHUNK);
  g_autoptr (JsonObject) input = model_data (path);
  JsonObject *model = NULL;

  synapse_client_create_model_async (f->client, input, NULL, NULL, NULL, NULL,
      on_model_created, &model);
  while (model == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (json_object_get_string_member (model, "model_type"), ==,
      "detection");
  json_object_unref (model);
}

static void
test_create_model_from_streamed_upload (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload =
      synapse_chunked_upload_new (f->client, "stream.pt", 2500, CHUNK);
  g_autoptr (JsonObject) input = model_data (NULL);
  g_autoptr (JsonObject) finished = NULL;
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GError) error = NULL;
  guint8 block[2500];

  for (guint i = 0; i < sizeof block; i++)
    block[i] = i * 7;
  g_assert_true (synapse_chunked_upload_write (upload, block, sizeof block,
          NULL, &error));
  finished = synapse_chunked_upload_complete (upload, NULL, &error);
  g_assert_no_error (error);

  model = synapse_client_create_model_from_upload (f->client, input,
      finished, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (model, "chunked_upload"),
      ==, json_object_get_string_member (finished, "id"));
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, 6);

  /* the file belongs to the upload, not to the data */
  json_object_set_string_member (input, "file", "/tmp/x");
  g_clear_pointer (&model, json_object_unref);
  model = synapse_client_create_model_from_upload (f->client, input,
      finished, NULL, &error);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, 6);
}

/* Requests of @method to exactly @path. */
static guint
count_sent (Fixture * f, const char *method, const char *path)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests
      (f->backend);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (g_str_equal (request->method, method)
        && g_str_equal (request->path, path))
      n++;
  }
  return n;
}

/* Requests of @method answered @status. */
static guint
count_answered (Fixture * f, const char *method, guint status)
{
  g_autoptr (GPtrArray) requests = synapse_test_backend_dup_requests
      (f->backend);
  guint n = 0;

  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];

    if (g_str_equal (request->method, method) && request->status == status)
      n++;
  }
  return n;
}

/* The body of the first POST models/, as the backend received it. */
static JsonObject *
dup_sent_model (Fixture * f)
{
  g_autofree char *text = kit_dup_request_body (f->backend, "POST",
      "models/");
  g_autoptr (JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

/* Creates the model of model_data() from a file, with @fault on the way. */
static JsonObject *
create_with_fault (Fixture * f, const char *fault, GError ** error)
{
  g_autofree char *path = fixture_make_file (f, "recover.pt", 2 * CHUNK + 9);
  g_autoptr (JsonObject) input = model_data (path);

  g_object_set (f->client, "chunk-size", (guint64) CHUNK, NULL);
  kit_add_fault (f->backend, fault);
  return synapse_client_create_model (f->client, input, NULL, NULL, NULL,
      error);
}

/* @model is what the backend holds, the one model made from the one
 * upload. */
static void
assert_the_one_model (Fixture * f, JsonObject * model)
{
  g_autoptr (JsonObject) stored = NULL;
  g_autoptr (JsonObject) sent = dup_sent_model (f);

  g_assert_nonnull (model);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, 6);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE),
      ==, 1);
  stored = synapse_test_backend_dup_model (f->backend,
      json_object_get_int_member (model, "id"));
  g_assert_nonnull (stored);
  g_assert_cmpstr (json_object_get_string_member (model, "name"), ==,
      "yolo-é");
  g_assert_cmpstr (json_object_get_string_member (model, "chunked_upload"),
      ==, json_object_get_string_member (sent, "chunked_upload"));
  g_assert_cmpstr (json_object_get_string_member (stored, "chunked_upload"),
      ==, json_object_get_string_member (sent, "chunked_upload"));
}

/* The model is created, its answer lost: the lookup finds it, and it is
 * the result, as if the answer had arrived. */
static void
test_create_model_recovers_dropped_reply (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = create_with_fault (f,
      "drop-response method=POST path=models/ times=1", &error);

  g_assert_no_error (error);
  assert_the_one_model (f, model);
  g_assert_cmpuint (count_sent (f, "POST", "models/"), ==, 1);
  g_assert_cmpuint (count_sent (f, "GET", "models/"), >=, 1);
}

/* A gateway that answers 504 to every POST after the backend created the
 * model: still one model, found by the lookup. */
static void
test_create_model_recovers_504_after_creation (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = create_with_fault (f,
      "replace-status status=504 method=POST path=models/", &error);

  g_assert_no_error (error);
  assert_the_one_model (f, model);
  g_assert_cmpuint (count_sent (f, "POST", "models/"), ==, 1);
}

/* A 503 from a gateway that never passed the POST on: the lookup finds
 * nothing, and the model is created once more. */
static void
test_create_model_resends_when_none_was_made (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = create_with_fault (f,
      "status=503 method=POST path=models/ times=1", &error);

  g_assert_no_error (error);
  assert_the_one_model (f, model);
  g_assert_cmpuint (count_sent (f, "POST", "models/"), ==, 2);
}

/* The error of a creation that may have happened: it keeps the lost
 * answer's code and status, says so and names the upload. */
static void
assert_may_exist (Fixture * f, const GError * error, gint code, guint status,
    const char *why)
{
  g_autoptr (JsonObject) sent = dup_sent_model (f);

  g_assert_error (error, SYNAPSE_CLIENT_ERROR, code);
  g_assert_cmpuint (synapse_client_error_get_status_code (error), ==, status);
  g_assert_nonnull (strstr (error->message, "the model may exist"));
  g_assert_nonnull (strstr (error->message,
          json_object_get_string_member (sent, "chunked_upload")));
  if (!strstr (error->message, why))
    g_error ("\"%s\" does not say \"%s\"", error->message, why);
}

/* Lost again after the lookup found nothing: an error, no third POST. */
static void
test_create_model_lost_twice_is_an_error (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = create_with_fault (f,
      "status=502 method=POST path=models/", &error);

  g_assert_null (model);
  assert_may_exist (f, error, SYNAPSE_CLIENT_ERROR_BAD_GATEWAY, 502,
      "lost twice");
  g_assert_cmpuint (count_sent (f, "POST", "models/"), ==, 2);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, 5);
}

/* A lookup that fails cannot tell: an error, and the model does exist. */
static void
test_create_model_failed_lookup_is_an_error (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = NULL;

  kit_add_fault (f->backend, "status=403 method=GET path=models/");
  model = create_with_fault (f, "drop-response method=POST path=models/",
      &error);
  g_assert_null (model);
  assert_may_exist (f, error, SYNAPSE_CLIENT_ERROR_CONNECTION, 0,
      "it could not be looked up: GET");
  g_assert_nonnull (strstr (error->message, "HTTP 403"));
  g_assert_cmpuint (count_sent (f, "POST", "models/"), ==, 1);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, 6);
}

/* A backend whose models do not say which upload they came from: the
 * model cannot be found, and a second POST could make a second one. */
static void
test_create_model_unnamed_uploads_is_an_error (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = create_with_fault (f,
      "replace-status status=504 method=POST path=models/", &error);

  g_assert_null (model);
  assert_may_exist (f, error, SYNAPSE_CLIENT_ERROR_GATEWAY_TIMEOUT, 504,
      "without their \"chunked_upload\"");
  g_assert_cmpuint (count_sent (f, "POST", "models/"), ==, 1);
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==, 6);
}

/* Recovery in create_model_from_upload () too: it is the same code. */
static void
test_create_model_from_upload_recovers (Fixture * f, gconstpointer data)
{
  g_autofree char *path = fixture_make_file (f, "lost.pt", 100);
  g_autoptr (JsonObject) input = model_data (NULL);
  g_autoptr (JsonObject) finished = NULL;
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GError) error = NULL;

  finished = synapse_client_create_chunked_upload (f->client, path, 0, NULL,
      NULL, NULL, &error);
  g_assert_no_error (error);
  kit_add_fault (f->backend, "cut-response bytes=10 method=POST path=models/");
  model = synapse_client_create_model_from_upload (f->client, input,
      finished, NULL, &error);
  g_assert_no_error (error);
  assert_the_one_model (f, model);
}

/* Streams a 3-chunk file of its own into a new upload named
 * "first.bin"; returns the finished upload, or NULL with @error. */
static JsonObject *
stream_upload (Fixture * f, SynapseChunkedUpload ** out, GError ** error)
{
  g_autofree char *path = fixture_make_file (f, "first.bin", 3 * CHUNK);
  g_autofree char *contents = NULL;
  gsize length = 0;
  SynapseChunkedUpload *upload;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  upload = synapse_chunked_upload_new (f->client, path, length, CHUNK);
  *out = upload;
  if (!synapse_chunked_upload_write (upload, (guint8 *) contents, length,
          NULL, error))
    return NULL;
  return synapse_chunked_upload_complete (upload, NULL, error);
}

/* Requests that would create an upload: PUT chunked_upload/ itself. */
static guint
count_creations (Fixture * f)
{
  return count_sent (f, "PUT", "chunked_upload/");
}

/* The first chunk is stored, its answer lost (@fault): the upload it made
 * is found in the backend's list and resumed, no second upload is made. */
static void
assert_first_chunk_recovered (Fixture * f, const char *fault)
{
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, "first.bin", NULL);

  kit_add_fault (f->backend, fault);
  result = stream_upload (f, &upload, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, result, path);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE),
      ==, 1);
  g_assert_cmpuint (synapse_chunked_upload_get_orphans (upload), ==, 0);
  g_assert_cmpuint (count_creations (f), ==, 1);
  g_assert_cmpuint (count_sent (f, "GET", "chunked_upload/"), ==, 1);
}

static void
test_first_chunk_dropped_reply_resumes (Fixture * f, gconstpointer data)
{
  assert_first_chunk_recovered (f,
      "drop-response method=PUT path=chunked_upload/ times=1");
}

static void
test_first_chunk_504_after_creating_resumes (Fixture * f, gconstpointer data)
{
  assert_first_chunk_recovered (f,
      "replace-status status=504 method=PUT path=chunked_upload/ times=1");
}

/* A 503 from a gateway that never passed the chunk on: no upload is
 * listed, so a new one is made; nothing is left behind. */
static void
test_first_chunk_not_handled_is_sent_again (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, "first.bin", NULL);

  kit_add_fault (f->backend,
      "status=503 method=PUT path=chunked_upload/ times=1");
  result = stream_upload (f, &upload, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, result, path);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE),
      ==, 1);
  g_assert_cmpuint (synapse_chunked_upload_get_orphans (upload), ==, 0);
  g_assert_cmpuint (count_creations (f), ==, 2);
  g_assert_cmpuint (count_sent (f, "GET", "chunked_upload/"), ==, 1);
}

/* A backend that lists no uploads cannot say what the lost chunk made: a
 * new upload is made, and the orphan is counted. */
static void
test_first_chunk_lost_without_listing_says_so (Fixture * f,
    gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, "first.bin", NULL);

  kit_add_fault (f->backend,
      "status=405 method=GET path=chunked_upload/ query=page");
  kit_add_fault (f->backend,
      "drop-response method=PUT path=chunked_upload/ times=1");
  result = stream_upload (f, &upload, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, result, path);
  g_assert_cmpuint (synapse_chunked_upload_get_orphans (upload), ==, 1);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE),
      ==, 2);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE),
      ==, 1);
}

/* Two unfinished uploads of the file hold the first chunk (one left by an
 * earlier run): the lost one cannot be told apart, so none is resumed. */
static void
test_first_chunk_lost_ambiguous_says_so (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) earlier = NULL;
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->tmpdir, "first.bin", NULL);
  guint8 block[CHUNK] = { 0 };

  earlier = synapse_chunked_upload_new (f->client, "first.bin", 3 * CHUNK,
      CHUNK);
  g_assert_true (synapse_chunked_upload_write (earlier, block, CHUNK, NULL,
          &error));
  kit_add_fault (f->backend,
      "drop-response method=PUT path=chunked_upload/ times=1");
  result = stream_upload (f, &upload, &error);
  g_assert_no_error (error);
  assert_stored_equals_file (f, result, path);
  g_assert_cmpuint (synapse_chunked_upload_get_orphans (upload), ==, 1);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, FALSE),
      ==, 3);
}

/* Every creating PUT is answered 502 and no upload is listed: the first
 * chunk is sent a bounded number of times (retries), then the error. */
static void
test_first_chunk_lost_every_time_gives_up (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GError) error = NULL;

  g_object_set (f->client, "retries", 2, NULL);
  kit_add_fault (f->backend, "status=502 method=PUT path=chunked_upload/");
  result = stream_upload (f, &upload, &error);
  g_assert_null (result);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_BAD_GATEWAY);
  g_assert_cmpuint (count_creations (f), ==, 3);
  g_assert_cmpuint (count_sent (f, "GET", "chunked_upload/"), ==, 3);
  g_assert_cmpuint (synapse_chunked_upload_get_orphans (upload), ==, 0);
}

/* create_chunked_upload () gives no upload object to ask: the orphan is
 * told of on the log. */
static void
test_first_chunk_orphan_is_logged (Fixture * f, gconstpointer data)
{
  g_autofree char *path = fixture_make_file (f, "logged.bin", 2 * CHUNK);
  g_autoptr (JsonObject) upload = NULL;
  g_autoptr (GError) error = NULL;

  kit_add_fault (f->backend,
      "status=405 method=GET path=chunked_upload/ query=page");
  kit_add_fault (f->backend,
      "replace-status status=502 method=PUT path=chunked_upload/ " "times=1");
  g_test_expect_message ("Synapse", G_LOG_LEVEL_MESSAGE,
      "Upload of logged.bin: * may keep 1 unfinished upload of it *");
  upload = synapse_client_create_chunked_upload (f->client, path, CHUNK, NULL,
      NULL, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  assert_stored_equals_file (f, upload, path);
}

/* Offsets that move back and forth (+1, -1, …) would be followed for
 * ever: the second step back ends the upload, a few requests in. */
static void
test_oscillating_offsets_end_the_upload (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GError) error = NULL;

  kit_add_fault (f->backend,
      "oscillate-offset method=PUT path=chunked_upload/ skip=1");
  result = stream_upload (f, &upload, &error);
  g_assert_null (result);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "first.bin"));
  g_assert_nonnull (strstr (error->message, "went back 2 times"));
  g_assert_nonnull (strstr (error->message,
          synapse_chunked_upload_get_url (upload)));
  /* the first chunk, then +1, -1, +1, -1 */
  g_assert_cmpuint (count_sent (f, "PUT", "chunked_upload/"), ==, 1);
  g_assert_cmpuint (count_answered (f, "PUT", 400), ==, 4);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE),
      ==, 0);
}

/* A backend that answers the same offset however often it is sent the
 * rest: three replies without progress end the upload. */
static void
test_no_progress_ends_the_upload (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapseChunkedUpload) upload = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (GError) error = NULL;

  kit_add_fault (f->backend,
      "status=400 method=PUT path=chunked_upload/ skip=1 "
      "body='{\"detail\": \"Offsets do not match\", \"offset\": 1000}'");
  result = stream_upload (f, &upload, &error);
  g_assert_null (result);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "no further than byte 1000 "
          "over 3 replies"));
  g_assert_cmpuint (count_answered (f, "PUT", 400), ==, 3);
}

/* What is sent is what the caller wrote: json-glib's own writer would
 * send 0.942 as 0.94199999999999995. */
static void
test_create_model_numbers_as_written (Fixture * f, gconstpointer data)
{
  const char *metrics = "{\"accuracy\":0.942,\"big\":9007199254740993,"
      "\"tiny\":5e-324,\"one\":1.0,\"neg\":-0.0,\"huge\":1e+22,"
      "\"third\":0.3333333333333333,\"text\":\"tab\\tq\\\"\\u0001\"}";
  g_autofree char *path = fixture_make_file (f, "exact.pt", 10);
  g_autoptr (JsonObject) input = model_data (path);
  g_autoptr (JsonNode) parsed = NULL;
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *want = g_strdup_printf ("\"metrics\":%s", metrics);
  g_autofree char *sent = NULL;

  parsed = synapse_json_parse_exact (metrics, -1, &error);
  g_assert_no_error (error);
  json_object_set_member (input, "metrics", g_steal_pointer (&parsed));
  model = synapse_client_create_model (f->client, input, NULL, NULL, NULL,
      &error);
  g_assert_no_error (error);

  sent = kit_dup_request_body (f->backend, "POST", "models/");
  if (!strstr (sent, want))
    g_error ("sent %s, not %s", sent, want);
}

/* The same writer for query parameters. */
static void
test_query_numbers_as_written (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autofree char *url = NULL;

  json_object_set_double_member (params, "a", 0.942);
  json_object_set_double_member (params, "b", 1.0);
  json_object_set_double_member (params, "c", 0.1 + 0.2);
  url = synapse_client_build_url (f->client, "models/", params);
  g_assert_true (g_str_has_suffix (url,
          "models/?a=0.942&b=1.0&c=0.30000000000000004"));
}

typedef struct
{
  const char *text;
  const char *says;             /* NULL: accepted */
} ExactCase;

/* What json-glib would take and alter is refused, saying what and where;
 * the edges that it holds exactly are taken. */
static void
test_json_parse_exact (void)
{
  const ExactCase cases[] = {
    {"{\"a\": 1e400}", "the number 1e400 at byte 6 is out of the range"},
    {"[-1e400]", "the number -1e400 at byte 1"},
    {"[1e-400]", "the number 1e-400 at byte 1"},
    {"{\"n\": 18446744073709551615}", "the integer 18446744073709551615 at "
          "byte 6 is beyond the 64-bit range"},
    {"[-9223372036854775809]", "beyond the 64-bit range"},
    {"{\"a\":1}{\"b\":2}", "Not valid JSON: data after the JSON document"},
    {"{\"s\": \"a\\u0000b\"}", "holds U+0000"},
    {"{\"a\\u0000\": 1}", "holds U+0000"},
    {"{\"a\": 0.9", "Not valid JSON"},
    {"[9223372036854775807, -9223372036854775808]", NULL},
    {"[1.7976931348623157e308, 5e-324, 0e-999, -0.0]", NULL},
    {"{\"escaped\": \"\\\\u0000\"}", NULL},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) node = synapse_json_parse_exact (cases[i].text, -1,
        &error);

    if (cases[i].says == NULL) {
      g_assert_no_error (error);
      g_assert_nonnull (node);
      continue;
    }
    g_assert_null (node);
    g_assert_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
    if (!strstr (error->message, cases[i].says))
      g_error ("%s: \"%s\" does not say \"%s\"", cases[i].text,
          error->message, cases[i].says);
  }
}

static const SynapseTestBackendOptions small_limit = {
  .token = TEST_TOKEN,
  .versions = 1,
  .events = 1,
  .models = 5,
  .seed = 1,
  .max_upload_bytes = 4096,
};

static const SynapseTestBackendOptions hidden_uploads = {
  .token = TEST_TOKEN,
  .versions = 1,
  .events = 1,
  .models = 5,
  .seed = 1,
  .hide_model_upload = TRUE,
};

int
main (int argc, char **argv)
{
  kit_init (&argc, &argv);

  FIXTURE_ADD ("/upload/sizes", test_file_sizes);
  FIXTURE_ADD ("/upload/default-chunk", test_default_chunk_is_50_mib);
  FIXTURE_ADD ("/upload/bad-files", test_bad_files_fail_before_any_request);
  FIXTURE_ADD ("/upload/resume/cut-connection",
      test_resume_after_cut_connection);
  FIXTURE_ADD ("/upload/resume/lost-reply",
      test_lost_reply_continues_from_backend_offset);
  FIXTURE_ADD ("/upload/resume/server-errors",
      test_server_errors_on_a_chunk_are_retried);
  FIXTURE_ADD ("/upload/resume/lost-finish-reply",
      test_lost_finish_reply_is_recovered);
  FIXTURE_ADD ("/upload/resume/oscillating-offsets-end",
      test_oscillating_offsets_end_the_upload);
  FIXTURE_ADD ("/upload/resume/no-progress-ends",
      test_no_progress_ends_the_upload);
  g_test_add ("/upload/errors/413", Fixture, &small_limit, fixture_set_up,
      test_too_large_is_413, fixture_tear_down);
  FIXTURE_ADD ("/upload/errors/410", test_expired_upload_is_410);
  FIXTURE_ADD ("/upload/first-chunk/dropped-reply-resumes",
      test_first_chunk_dropped_reply_resumes);
  FIXTURE_ADD ("/upload/first-chunk/504-after-creating-resumes",
      test_first_chunk_504_after_creating_resumes);
  FIXTURE_ADD ("/upload/first-chunk/not-handled-sent-again",
      test_first_chunk_not_handled_is_sent_again);
  FIXTURE_ADD ("/upload/first-chunk/no-listing-says-so",
      test_first_chunk_lost_without_listing_says_so);
  FIXTURE_ADD ("/upload/first-chunk/ambiguous-says-so",
      test_first_chunk_lost_ambiguous_says_so);
  FIXTURE_ADD ("/upload/first-chunk/lost-every-time-gives-up",
      test_first_chunk_lost_every_time_gives_up);
  FIXTURE_ADD ("/upload/first-chunk/orphan-is-logged",
      test_first_chunk_orphan_is_logged);
  FIXTURE_ADD ("/upload/errors/checksum",
      test_checksum_disagreement_is_an_error);
  FIXTURE_ADD ("/upload/cancel", test_cancelled_upload_stops);
  FIXTURE_ADD ("/upload/streaming/any-sizes",
      test_streaming_writes_of_any_size);
  FIXTURE_ADD ("/upload/streaming/whole-chunks-as-bytes",
      test_streaming_whole_chunks_as_bytes);
  FIXTURE_ADD ("/upload/streaming/size-must-match",
      test_streaming_size_must_match);
  FIXTURE_ADD ("/model/create", test_create_model);
  FIXTURE_ADD ("/model/create/checks-first", test_create_model_checks_first);
  FIXTURE_ADD ("/model/create/unreadable-file",
      test_create_model_unreadable_file_is_its_own_error);
  FIXTURE_ADD ("/errors/to-json", test_error_to_json_finds_a_bindings_copy);
  FIXTURE_ADD ("/model/create/400-field-errors",
      test_create_model_400_carries_field_errors);
  FIXTURE_ADD ("/model/create/backend-validation",
      test_create_model_real_validation);
  FIXTURE_ADD ("/model/create/async", test_create_model_async);
  FIXTURE_ADD ("/model/create/from-streamed-upload",
      test_create_model_from_streamed_upload);
  FIXTURE_ADD ("/model/create/numbers-as-written",
      test_create_model_numbers_as_written);
  FIXTURE_ADD ("/client/query-numbers-as-written",
      test_query_numbers_as_written);
  g_test_add_func ("/json/parse-exact", test_json_parse_exact);
  FIXTURE_ADD ("/model/create/recovery/reply-dropped",
      test_create_model_recovers_dropped_reply);
  FIXTURE_ADD ("/model/create/recovery/504-after-creation",
      test_create_model_recovers_504_after_creation);
  FIXTURE_ADD ("/model/create/recovery/none-made-resent",
      test_create_model_resends_when_none_was_made);
  FIXTURE_ADD ("/model/create/recovery/lost-twice",
      test_create_model_lost_twice_is_an_error);
  FIXTURE_ADD ("/model/create/recovery/lookup-failed",
      test_create_model_failed_lookup_is_an_error);
  g_test_add ("/model/create/recovery/uploads-not-named", Fixture,
      &hidden_uploads, fixture_set_up,
      test_create_model_unnamed_uploads_is_an_error, fixture_tear_down);
  FIXTURE_ADD ("/model/create/recovery/from-upload",
      test_create_model_from_upload_recovers);

  return g_test_run ();
}
