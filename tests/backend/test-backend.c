/* test-backend.c: the local backend against a plain libsoup client
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Deliberately does not use the project's client library: these tests pin
 * what the backend serves, so the library's tests can trust it.
 */

#include "synapse-test-backend.h"

#include <string.h>

#define TOKEN "t0ken-é"

typedef struct
{
  SynapseTestBackend *backend;
  SoupSession *session;
  char *url;
} Fixture;

static void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {
    .token = TOKEN,
    .versions = 3,
    .events = 250,
    .models = 4,
    .seed = 7,
    .max_page_size = 300,
  };
  g_autoptr (GError) error = NULL;

  f->backend = synapse_test_backend_new (&options, &error);
  g_assert_no_error (error);
  f->url = synapse_test_backend_dup_url (f->backend);
  f->session = soup_session_new ();
}

static void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_object_unref (f->session);
  g_clear_object (&f->backend);
  g_free (f->url);
}

/* A message to @path (relative to the backend) or to an absolute URL. */
static SoupMessage *
new_message (Fixture * f, const char *method, const char *path, gboolean auth)
{
  g_autofree char *url = strstr (path, "://") ? g_strdup (path) :
      g_strconcat (f->url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (auth)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Synapse-Access-Token", "Token " TOKEN);
  return msg;
}

/* Sends @msg; returns the body, NULL with @error on a transport failure. */
static GBytes *
send (Fixture * f, SoupMessage * msg, GError ** error)
{
  return soup_session_send_and_read (f->session, msg, NULL, error);
}

static JsonNode *
parse (GBytes * body)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL),
      g_bytes_get_size (body));
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

/* GET @path with the token; asserts @status, returns the parsed body. */
static JsonNode *
get_json (Fixture * f, const char *path, guint status)
{
  g_autoptr (SoupMessage) msg = new_message (f, "GET", path, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = send (f, msg, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, status);
  return parse (body);
}

static void
assert_detail (JsonNode * node, const char *detail)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object
          (node), "detail"), ==, detail);
}

static void
assert_field_error (JsonNode * node, const char *field, const char *message)
{
  JsonArray *errors = json_object_get_array_member (json_node_get_object
      (node), field);

  g_assert_nonnull (errors);
  g_assert_cmpstr (json_array_get_string_element (errors, 0), ==, message);
}

/* The ids of a page's results. */
static GArray *
result_ids (JsonNode * page)
{
  JsonArray *results = json_object_get_array_member (json_node_get_object
      (page), "results");
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < json_array_get_length (results); i++) {
    gint64 id = json_object_get_int_member (json_array_get_object_element
        (results, i), "id");

    g_array_append_val (ids, id);
  }
  return ids;
}

static void
assert_same_ids (GArray * a, GArray * b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  g_assert_cmpmem (a->data, a->len * sizeof (gint64), b->data,
      b->len * sizeof (gint64));
}

static JsonObject *put_chunk (Fixture * f, const char *url,
    const guint8 * data, gsize len, gsize start, gsize total, guint status);

/* ----------------------------------------------------------------- pages */

static void
test_pages_follow_next_links (Fixture * f, gconstpointer data)
{
  g_autofree char *first = g_strconcat (f->url,
      "sdk/ground_truth_events/?ground_truth_dataset_versions=1"
      "&ground_truth_dataset_versions=2", NULL);
  g_autofree char *next = g_strdup (first);
  g_autoptr (JsonArray) version1 =
      synapse_test_backend_dup_events (f->backend, 1);
  gint64 expected = 1;
  guint pages = 0;

  while (next) {
    g_autoptr (JsonNode) page = get_json (f, next, SOUP_STATUS_OK);
    JsonObject *object = json_node_get_object (page);
    JsonArray *results = json_object_get_array_member (object, "results");
    g_autoptr (GList) members = json_object_get_members (object);

    /* DRF's key order */
    g_assert_cmpstr (g_list_nth_data (members, 0), ==, "count");
    g_assert_cmpstr (g_list_nth_data (members, 1), ==, "next");
    g_assert_cmpstr (g_list_nth_data (members, 2), ==, "previous");
    g_assert_cmpstr (g_list_nth_data (members, 3), ==, "results");
    g_assert_cmpint (json_object_get_int_member (object, "count"), ==, 500);

    if (pages == 0) {
      g_assert_true (json_object_get_null_member (object, "previous"));
    } else if (pages == 1) {
      /* the previous of page 2 has no page parameter at all */
      g_assert_cmpstr (json_object_get_string_member (object, "previous"),
          ==, first);
    }
    for (guint i = 0; i < json_array_get_length (results); i++) {
      JsonNode *event = json_array_get_element (results, i);

      g_assert_cmpint (json_object_get_int_member (json_node_get_object
              (event), "id"), ==, expected);
      if (expected <= 250)
        g_assert_true (json_node_equal (event,
                json_array_get_element (version1, expected - 1)));
      expected++;
    }

    g_free (next);
    next = json_object_get_null_member (object, "next") ? NULL :
        g_strdup (json_object_get_string_member (object, "next"));
    if (next) {
      g_assert_true (g_str_has_prefix (next, f->url));
      g_assert_nonnull (strstr (next, "ground_truth_dataset_versions=1&"
              "ground_truth_dataset_versions=2"));
    }
    pages++;
  }
  g_assert_cmpint (expected, ==, 501);
  g_assert_cmpuint (pages, ==, 5);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "sdk/ground_truth_events/"), ==, 5);
}

static void
test_pages_sizes_and_bounds (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) capped = get_json (f,
      "sdk/ground_truth_events/?page_size=5000", SOUP_STATUS_OK);
  g_autoptr (JsonNode) small = get_json (f,
      "sdk/ground_truth_events/?page_size=7&page=3", SOUP_STATUS_OK);
  g_autoptr (JsonNode) last = get_json (f,
      "sdk/ground_truth_events/?page_size=300&page=3", SOUP_STATUS_OK);
  g_autoptr (JsonNode) past = get_json (f,
      "sdk/ground_truth_events/?page=9", SOUP_STATUS_NOT_FOUND);
  g_autoptr (JsonNode) word = get_json (f,
      "sdk/ground_truth_events/?page=two", SOUP_STATUS_NOT_FOUND);
  g_autoptr (GArray) ids = result_ids (small);
  g_autoptr (GArray) capped_ids = result_ids (capped);

  g_assert_cmpuint (capped_ids->len, ==, 300);
  g_assert_cmpuint (ids->len, ==, 7);
  g_assert_cmpint (g_array_index (ids, gint64, 0), ==, 15);
  g_assert_true (json_object_get_null_member (json_node_get_object (last),
          "next"));
  assert_detail (past, "Invalid page.");
  assert_detail (word, "Invalid page.");
}

static void
test_base_url_overrides (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) page = NULL;
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (GBytes) media = NULL;
  g_autoptr (JsonObject) upload = NULL;
  guint8 byte = 42;
  JsonObject *object;
  const char *mask;

  synapse_test_backend_set_next_base_url (f->backend, "http://localhost:1");
  synapse_test_backend_set_media_base_url (f->backend,
      "http://cdn.example:8080/");
  synapse_test_backend_set_upload_base_url (f->backend,
      "http://uploads.example/");

  page = get_json (f, "sdk/ground_truth_events/?page=2", SOUP_STATUS_OK);
  object = json_node_get_object (page);
  g_assert_cmpstr (json_object_get_string_member (object, "next"), ==,
      "http://localhost:1/sdk/ground_truth_events/?page=3");
  g_assert_cmpstr (json_object_get_string_member (object, "previous"), ==,
      "http://localhost:1/sdk/ground_truth_events/");
  mask = json_object_get_string_member (json_object_get_object_member
      (json_array_get_object_element (json_object_get_array_member (object,
                  "results"), 0), "files"), "mask");
  g_assert_cmpstr (mask, ==,
      "http://cdn.example:8080/media/events/101/mask.png");
  media = synapse_test_backend_dup_media (f->backend, mask);
  g_assert_nonnull (media);

  events = synapse_test_backend_dup_events (f->backend, 1);
  g_assert_true (g_str_has_prefix (json_object_get_string_member
          (json_object_get_object_member (json_array_get_object_element (events,
                      0), "files"), "image"),
          "http://cdn.example:8080/media/"));

  upload = put_chunk (f, "chunked_upload/", &byte, 1, 0, 2, 200);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (upload,
              "url"), "http://uploads.example/chunked_upload/"));

  synapse_test_backend_set_next_base_url (f->backend, NULL);
  g_clear_pointer (&page, json_node_unref);
  page = get_json (f, "sdk/ground_truth_events/", SOUP_STATUS_OK);
  g_assert_true (g_str_has_prefix (json_object_get_string_member
          (json_node_get_object (page), "next"), f->url));
}

/* --------------------------------------------------------------- filters */

static void
test_filters_versions_both_forms (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) repeated = get_json (f,
      "sdk/ground_truth_events/?ground_truth_dataset_versions=3"
      "&ground_truth_dataset_versions=1&page_size=300&page=2", SOUP_STATUS_OK);
  g_autoptr (JsonNode) comma = get_json (f,
      "sdk/ground_truth_events/?ground_truth_dataset_versions=1,3"
      "&page_size=300&page=2", SOUP_STATUS_OK);
  g_autoptr (JsonNode) mixed = get_json (f,
      "sdk/ground_truth_events/?ground_truth_dataset_versions=1"
      "&ground_truth_dataset_versions=3,1&page_size=300&page=2",
      SOUP_STATUS_OK);
  g_autoptr (JsonNode) unknown = get_json (f,
      "sdk/ground_truth_events/?ground_truth_dataset_versions=1,99",
      SOUP_STATUS_BAD_REQUEST);
  g_autoptr (JsonNode) word = get_json (f,
      "sdk/ground_truth_events/?ground_truth_dataset_versions=x",
      SOUP_STATUS_BAD_REQUEST);
  g_autoptr (GArray) a = result_ids (repeated);
  g_autoptr (GArray) b = result_ids (comma);
  g_autoptr (GArray) c = result_ids (mixed);

  /* page 2 of 300: the last 200 ids of version 3 */
  g_assert_cmpuint (a->len, ==, 200);
  g_assert_cmpint (g_array_index (a, gint64, 0), ==, 551);
  assert_same_ids (a, b);
  assert_same_ids (a, c);
  assert_field_error (unknown, "ground_truth_dataset_versions",
      "Select a valid choice. 99 is not one of the available choices.");
  assert_field_error (word, "ground_truth_dataset_versions",
      "Enter a whole number.");
}

static void
test_filters_other (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) project = get_json (f,
      "sdk/ground_truth_events/?project=2&page_size=300", SOUP_STATUS_OK);
  g_autoptr (JsonNode) video = get_json (f,
      "sdk/ground_truth_events/?data_type=video&page_size=300", SOUP_STATUS_OK);
  g_autoptr (JsonNode) after = get_json (f,
      "sdk/ground_truth_events/?created_after=2024-01-01T00:10:00Z",
      SOUP_STATUS_OK);
  g_autoptr (JsonNode) search = get_json (f,
      "sdk/ground_truth_events/?search=SNOW&page_size=300", SOUP_STATUS_OK);
  JsonArray *results;

  /* version 2 is the only one of project 2 */
  g_assert_cmpint (json_object_get_int_member (json_node_get_object
          (project), "count"), ==, 250);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element
          (json_object_get_array_member (json_node_get_object (project),
                  "results"), 0), "ground_truth_dataset_version"), ==, 2);

  results = json_object_get_array_member (json_node_get_object (video),
      "results");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (video),
          "count"), ==, 250);
  for (guint i = 0; i < json_array_get_length (results); i++) {
    JsonObject *unit = json_object_get_object_member
        (json_array_get_object_element (results, i), "data_unit");

    g_assert_cmpstr (json_object_get_string_member (unit, "data_type"), ==,
        "video");
  }

  /* one event a minute from id 1 at 00:01, strictly after 00:10 */
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (after),
          "count"), ==, 740);

  results = json_object_get_array_member (json_node_get_object (search),
      "results");
  g_assert_cmpuint (json_array_get_length (results), >, 0);
  for (guint i = 0; i < json_array_get_length (results); i++) {
    g_autofree char *label = g_utf8_casefold (json_object_get_string_member
        (json_object_get_object_member (json_array_get_object_element
                (results, i), "data"), "label"), -1);

    g_assert_nonnull (strstr (label, "snow"));
  }
}

/* ------------------------------------------------------------------ auth */

static void
test_auth (Fixture * f, gconstpointer data)
{
  g_autoptr (SoupMessage) none = new_message (f, "GET", "models/", FALSE);
  g_autoptr (SoupMessage) wrong = new_message (f, "GET", "models/", FALSE);
  g_autoptr (SoupMessage) authorization =
      new_message (f, "GET", "models/", FALSE);
  g_autoptr (SoupMessage) lower = new_message (f, "GET", "models/", FALSE);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonArray) events = synapse_test_backend_dup_events (f->backend,
      1);
  JsonObject *file =
      json_object_get_object_member (json_object_get_object_member
      (json_object_get_object_member (json_array_get_object_element (events,
                  0), "data_unit"), "files"), "image");
  g_autoptr (SoupMessage) media = new_message (f, "GET",
      json_object_get_string_member (file, "url"), FALSE);
  g_autofree char *md5 = NULL;

  body = send (f, none, NULL);
  g_assert_cmpuint (soup_message_get_status (none), ==, 401);
  g_assert_cmpstr (soup_message_headers_get_one
      (soup_message_get_response_headers (none), "WWW-Authenticate"), ==,
      "Token");
  node = parse (body);
  assert_detail (node, "Authentication credentials were not provided.");
  g_clear_pointer (&node, json_node_unref);
  g_clear_pointer (&body, g_bytes_unref);

  soup_message_headers_replace (soup_message_get_request_headers (wrong),
      "Synapse-Access-Token", "Token nope");
  body = send (f, wrong, NULL);
  g_assert_cmpuint (soup_message_get_status (wrong), ==, 401);
  node = parse (body);
  assert_detail (node, "Invalid token.");
  g_clear_pointer (&body, g_bytes_unref);

  soup_message_headers_replace (soup_message_get_request_headers
      (authorization), "Authorization", "Token " TOKEN);
  body = send (f, authorization, NULL);
  g_assert_cmpuint (soup_message_get_status (authorization), ==, 200);
  g_clear_pointer (&body, g_bytes_unref);

  soup_message_headers_replace (soup_message_get_request_headers (lower),
      "synapse-access-token", "Token " TOKEN);
  body = send (f, lower, NULL);
  g_assert_cmpuint (soup_message_get_status (lower), ==, 200);
  g_clear_pointer (&body, g_bytes_unref);

  /* media needs no token, and its bytes are what the event promised */
  body = send (f, media, NULL);
  g_assert_cmpuint (soup_message_get_status (media), ==, 200);
  g_assert_cmpint (g_bytes_get_size (body), ==,
      json_object_get_int_member (file, "size"));
  md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, body);
  g_assert_cmpstr (md5, ==, json_object_get_string_member (file, "checksum"));
}

/* ---------------------------------------------------------------- faults */

static void
test_fault_status (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint id = synapse_test_backend_add_fault_spec (f->backend,
      "status=503 path=sdk/ground_truth_events/ query=page=2 times=2 "
      "retry-after=1", &error);

  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++) {
    g_autoptr (SoupMessage) msg = new_message (f, "GET",
        "sdk/ground_truth_events/?page=2", TRUE);
    g_autoptr (GBytes) body = send (f, msg, NULL);
    g_autoptr (JsonNode) node = parse (body);

    if (i < 2) {
      g_assert_cmpuint (soup_message_get_status (msg), ==, 503);
      g_assert_cmpstr (soup_message_headers_get_one
          (soup_message_get_response_headers (msg), "Retry-After"), ==, "1");
      assert_detail (node, "Service Unavailable");
    } else {
      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    }
  }
  g_assert_cmpuint (synapse_test_backend_get_fault_hits (f->backend, id), ==,
      2);

  /* skip lets the first match through; other paths are untouched */
  synapse_test_backend_clear_faults (f->backend);
  id = synapse_test_backend_add_fault_spec (f->backend,
      "status=429 skip=1 times=1 path=models/ body='{\"detail\": \"slow\"}'",
      &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++) {
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "models/", TRUE);
    g_autoptr (GBytes) body = send (f, msg, NULL);

    g_assert_nonnull (body);
    g_assert_cmpuint (soup_message_get_status (msg), ==, i == 1 ? 429 : 200);
  }
  g_assert_cmpuint (synapse_test_backend_get_fault_hits (f->backend, id), ==,
      1);
}

static void
test_fault_cut_and_truncate (Fixture * f, gconstpointer data)
{
  g_autoptr (SoupMessage) cut = new_message (f, "GET", "models/", TRUE);
  g_autoptr (SoupMessage) truncated = new_message (f, "GET", "models/", TRUE);
  g_autoptr (SoupMessage) dropped = new_message (f, "GET", "models/", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GPtrArray) log = NULL;

  synapse_test_backend_add_fault_spec (f->backend,
      "cut-response bytes=100 path=models/ times=1", &error);
  g_assert_no_error (error);
  body = send (f, cut, &error);
  g_assert_null (body);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
  g_clear_error (&error);

  synapse_test_backend_add_fault_spec (f->backend,
      "truncate bytes=10 path=models/ times=1", &error);
  g_assert_no_error (error);
  body = send (f, truncated, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (truncated), ==, 200);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 10);
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), 10);
    g_autoptr (JsonNode) node = json_from_string (text, NULL);

    g_assert_null (node);
  }
  g_clear_pointer (&body, g_bytes_unref);

  synapse_test_backend_add_fault_spec (f->backend,
      "drop-response path=models/ times=1", &error);
  g_assert_no_error (error);
  /* on a reused connection libsoup would resend the GET by itself */
  soup_message_add_flags (dropped, SOUP_MESSAGE_NEW_CONNECTION);
  body = send (f, dropped, &error);
  g_assert_null (body);
  g_assert_nonnull (error);
  g_clear_error (&error);

  log = synapse_test_backend_dup_requests (f->backend);
  g_assert_cmpuint (log->len, ==, 3);
  g_assert_cmpuint (((SynapseTestRequest *) log->pdata[0])->status, ==, 0);
  g_assert_cmpuint (((SynapseTestRequest *) log->pdata[1])->status, ==, 200);
  g_assert_cmpuint (((SynapseTestRequest *) log->pdata[2])->status, ==, 0);
  g_assert_cmpstr (((SynapseTestRequest *) log->pdata[0])->path, ==, "models/");
}

static void
test_fault_stall_and_delay (Fixture * f, gconstpointer data)
{
  g_autoptr (SoupSession) impatient = soup_session_new_with_options ("timeout",
      1, NULL);
  g_autoptr (GError) error = NULL;
  gint64 start;

  synapse_test_backend_add_fault_spec (f->backend,
      "stall ms=300 path=models/ times=1", &error);
  g_assert_no_error (error);
  synapse_test_backend_add_fault_spec (f->backend,
      "delay ms=200 path=models/ times=1", &error);
  g_assert_no_error (error);
  synapse_test_backend_add_fault_spec (f->backend,
      "stall path=ground_truth_dataset_versions/", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 2; i++) {
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "models/", TRUE);
    g_autoptr (GBytes) body = NULL;

    start = g_get_monotonic_time ();
    body = send (f, msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_cmpint (g_get_monotonic_time () - start, >=,
        (i == 0 ? 300 : 200) * 1000);
  }

  /* a stall without end: the client times out, stop releases it */
  {
    g_autoptr (SoupMessage) msg = new_message (f, "GET",
        "ground_truth_dataset_versions/1/", TRUE);
    g_autoptr (GBytes) body = soup_session_send_and_read (impatient, msg,
        NULL, &error);

    g_assert_null (body);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  }
}

static void
count_informational (SoupMessage * msg, guint * count)
{
  if (soup_message_get_status (msg) == SOUP_STATUS_PROCESSING)
    (*count)++;
}

static gpointer
cancel_soon (gpointer data)
{
  g_usleep (G_USEC_PER_SEC);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_fault_trickle_and_processing (Fixture * f, gconstpointer data)
{
  g_autoptr (SoupMessage) plain = new_message (f, "GET", "models/", TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) expected = send (f, plain, &error);
  gint64 start;

  g_assert_no_error (error);

  /* the whole answer, 50 bytes every 10 ms */
  synapse_test_backend_add_fault_spec (f->backend,
      "trickle bytes=50 ms=10 path=models/ times=1", &error);
  g_assert_no_error (error);
  {
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "models/", TRUE);
    g_autoptr (GBytes) body = NULL;

    start = g_get_monotonic_time ();
    body = send (f, msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_true (g_bytes_equal (body, expected));
    /* at least one pause between each two pieces */
    g_assert_cmpint (g_get_monotonic_time () - start, >=,
        (g_bytes_get_size (expected) / 50 - 1) * 10 * 1000);
  }

  /* an error status, trickled */
  synapse_test_backend_add_fault_spec (f->backend,
      "trickle status=500 bytes=3 ms=5 path=models/ times=1", &error);
  g_assert_no_error (error);
  {
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "models/", TRUE);
    g_autoptr (GBytes) body = send (f, msg, &error);
    g_autoptr (JsonNode) node = NULL;

    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 500);
    node = parse (body);
    assert_detail (node, "Internal Server Error");
  }

  /* three 102s, then the answer */
  synapse_test_backend_add_fault_spec (f->backend,
      "processing ms=20 count=3 path=models/ times=1", &error);
  g_assert_no_error (error);
  {
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "models/", TRUE);
    g_autoptr (GBytes) body = NULL;
    guint interim = 0;

    g_signal_connect (msg, "got-informational",
        G_CALLBACK (count_informational), &interim);
    body = send (f, msg, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_true (g_bytes_equal (body, expected));
    g_assert_cmpuint (interim, ==, 3);
  }

  /* 102s without end: each read gets something, so only the caller can
   * end the wait */
  synapse_test_backend_add_fault_spec (f->backend,
      "processing ms=20 path=models/ times=1", &error);
  g_assert_no_error (error);
  {
    g_autoptr (SoupSession) impatient =
        soup_session_new_with_options ("timeout", 1, NULL);
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "models/", TRUE);
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_autoptr (GBytes) body = NULL;
    guint interim = 0;
    GThread *canceller;

    g_signal_connect (msg, "got-informational",
        G_CALLBACK (count_informational), &interim);
    canceller = g_thread_new ("canceller", cancel_soon, cancellable);
    body = soup_session_send_and_read (impatient, msg, cancellable, &error);
    g_thread_join (canceller);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpuint (interim, >, 1);
  }
}

/* A chunk read slowly is stored whole, and its request takes at least
 * a pause for each 8 KiB piece. */
static void
test_fault_slow_read (Fixture * f, gconstpointer data)
{
  gsize len = 256 * 1024;
  g_autofree guint8 *chunk = g_malloc (len);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) upload = NULL;
  gint64 start;

  for (gsize i = 0; i < len; i++)
    chunk[i] = i * 7;
  synapse_test_backend_add_fault_spec (f->backend,
      "slow-read ms=5 method=PUT path=chunked_upload/", &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  upload = put_chunk (f, "chunked_upload/", chunk, len, 0, len, SOUP_STATUS_OK);
  g_assert_cmpint (json_object_get_int_member (upload, "offset"), ==, len);
  g_assert_cmpint (g_get_monotonic_time () - start, >=,
      (len / 8192 - 1) * 5 * 1000);
}

typedef struct
{
  guint done;
  guint ok;
} Parallel;

static void
parallel_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Parallel *p = user_data;
  g_autoptr (GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION
      (source), result, NULL);

  p->done++;
  if (body)
    p->ok++;
}

/* The latency delays requests side by side: with a latency longer than
 * the test, four requests reach the backend while none is answered, which
 * a backend that delayed them in turn could not let happen. Nothing is
 * timed: however slow the machine, the outcome is the same. */
static void
test_latency_is_concurrent (Fixture * f, gconstpointer data)
{
  Parallel p = { 0, 0 };
  g_autoptr (SoupSession) session = soup_session_new_with_options
      ("max-conns-per-host", 4, NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  /* a guard against a hang, generous enough for valgrind */
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  synapse_test_backend_set_latency (f->backend, 3600 * 1000);
  for (guint i = 0; i < 4; i++) {
    g_autofree char *path =
        g_strdup_printf ("sdk/ground_truth_events/?page=%u", i + 1);
    g_autoptr (SoupMessage) msg = new_message (f, "GET", path, TRUE);

    soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT,
        cancellable, parallel_done, &p);
  }
  while (synapse_test_backend_count_requests (f->backend,
          "sdk/ground_truth_events/") < 4) {
    g_assert_cmpint (g_get_monotonic_time (), <, deadline);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  g_assert_cmpuint (p.done, ==, 0);

  g_cancellable_cancel (cancellable);
  while (p.done < 4)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (p.ok, ==, 0);
}

/* --------------------------------------------------------------- uploads */

static SoupMessage *
chunk_message (Fixture * f, const char *url, const guint8 * data, gsize len,
    gsize start, gsize total)
{
  g_autoptr (SoupMultipart) multipart =
      soup_multipart_new ("multipart/form-data");
  g_autoptr (GBytes) part = g_bytes_new (data, len);
  g_autoptr (GBytes) body = NULL;
  g_autofree char *content_type = NULL;
  g_autofree char *range = g_strdup_printf ("bytes %" G_GSIZE_FORMAT "-%"
      G_GSIZE_FORMAT "/%" G_GSIZE_FORMAT, start, start + len - 1, total);
  SoupMessage *msg = new_message (f, "PUT", url, TRUE);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  soup_multipart_append_form_string (multipart, "filename", "weights é.bin");
  soup_multipart_append_form_file (multipart, "file", "blob",
      "application/octet-stream", part);
  soup_multipart_to_message (multipart, headers, &body);
  content_type = g_strdup (soup_message_headers_get_one (headers,
          "Content-Type"));
  soup_message_set_request_body_from_bytes (msg, content_type, body);
  soup_message_headers_replace (headers, "Content-Range", range);
  /* a fresh connection: libsoup would silently resend an idempotent PUT
   * that failed on a reused one */
  soup_message_add_flags (msg, SOUP_MESSAGE_NEW_CONNECTION);
  return msg;
}

/* PUTs one chunk; returns the reply, asserting @status. */
static JsonObject *
put_chunk (Fixture * f, const char *url, const guint8 * data, gsize len,
    gsize start, gsize total, guint status)
{
  g_autoptr (SoupMessage) msg = chunk_message (f, url, data, len, start, total);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = send (f, msg, &error);
  g_autoptr (JsonNode) node = NULL;

  g_assert_no_error (error);
  node = parse (body);
  g_assert_cmpuint (soup_message_get_status (msg), ==, status);
  return json_object_ref (json_node_get_object (node));
}

static JsonObject *
post_json (Fixture * f, const char *url, const char *json, guint status)
{
  g_autoptr (SoupMessage) msg = new_message (f, "POST", url, TRUE);
  g_autoptr (GBytes) request = g_bytes_new (json, strlen (json));
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) node = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  body = send (f, msg, &error);
  g_assert_no_error (error);
  node = parse (body);
  g_assert_cmpuint (soup_message_get_status (msg), ==, status);
  return json_object_ref (json_node_get_object (node));
}

static gint64
upload_offset (Fixture * f, const char *url)
{
  g_autoptr (JsonNode) node = get_json (f, url, SOUP_STATUS_OK);

  return json_object_get_int_member (json_node_get_object (node), "offset");
}

static void
test_upload_and_create_model (Fixture * f, gconstpointer data)
{
  const gsize chunk = 400 * 1024, total = 3 * chunk - 1234;
  g_autofree guint8 *bytes = g_malloc (total);
  g_autofree char *md5 = NULL;
  g_autofree char *url = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *json = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = NULL;
  gsize stored_len;
  guint models = synapse_test_backend_count_models (f->backend);

  for (gsize i = 0; i < total; i++)
    bytes[i] = (guint8) g_random_int ();
  md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, bytes, total);

  reply = put_chunk (f, "chunked_upload/", bytes, chunk, 0, total, 200);
  url = g_strdup (json_object_get_string_member (reply, "url"));
  id = g_strdup (json_object_get_string_member (reply, "id"));
  g_assert_true (g_str_has_prefix (url, f->url));
  g_assert_cmpint (json_object_get_int_member (reply, "offset"), ==, chunk);
  g_assert_cmpstr (json_object_get_string_member (reply, "status"), ==,
      "uploading");
  g_clear_pointer (&reply, json_object_unref);

  /* a wrong offset says where to go on */
  reply = put_chunk (f, url, bytes, chunk, 0, total, 400);
  g_assert_cmpstr (json_object_get_string_member (reply, "detail"), ==,
      "Offsets do not match");
  g_assert_cmpint (json_object_get_int_member (reply, "offset"), ==, chunk);
  g_clear_pointer (&reply, json_object_unref);

  /* not complete yet: no model from it */
  json = g_strdup_printf ("{\"name\": \"m\", \"model_type\": \"detection\", "
      "\"project\": 1, \"chunked_upload\": \"%s\"}", id);
  reply = post_json (f, "models/", json, 400);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member
          (reply, "chunked_upload"), 0), ==, "Upload is not complete.");
  g_clear_pointer (&reply, json_object_unref);

  reply = put_chunk (f, url, bytes + chunk, chunk, chunk, total, 200);
  g_clear_pointer (&reply, json_object_unref);
  reply = put_chunk (f, url, bytes + 2 * chunk, total - 2 * chunk, 2 * chunk,
      total, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "offset"), ==, total);
  g_clear_pointer (&reply, json_object_unref);

  reply = post_json (f, url, "{\"md5\": \"0123\"}", 400);
  g_assert_cmpstr (json_object_get_string_member (reply, "detail"), ==,
      "md5 checksum does not match");
  g_clear_pointer (&reply, json_object_unref);

  g_free (json);
  json = g_strdup_printf ("{\"md5\": \"%s\"}", md5);
  reply = post_json (f, url, json, 200);
  g_assert_cmpstr (json_object_get_string_member (reply, "status"), ==,
      "complete");
  g_assert_cmpstr (json_object_get_string_member (reply, "checksum"), ==, md5);
  g_assert_cmpint (json_object_get_int_member (reply, "size"), ==, total);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (synapse_test_backend_count_uploads (f->backend, TRUE), ==,
      1);

  path = synapse_test_backend_dup_upload_path (f->backend, id);
  g_assert_true (g_file_get_contents (path, &stored, &stored_len, &error));
  g_assert_cmpmem (stored, stored_len, bytes, total);

  /* every field error at once */
  reply = post_json (f, "models/", "{\"model_type\": \"foo\", \"project\": "
      "\"x\", \"chunked_upload\": \"nope\", \"metrics\": [1]}", 400);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member
          (reply, "name"), 0), ==, "This field is required.");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member
          (reply, "model_type"), 0), ==, "\"foo\" is not a valid choice.");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member
          (reply, "chunked_upload"), 0), ==,
      "Invalid pk \"nope\" - object does not exist.");
  g_assert_true (json_object_has_member (reply, "project"));
  g_assert_true (json_object_has_member (reply, "metrics"));
  g_clear_pointer (&reply, json_object_unref);

  g_free (json);
  json = g_strdup_printf ("{\"name\": \"trained ☃\", \"model_type\": "
      "\"segmentation\", \"project\": 2, \"chunked_upload\": \"%s\", "
      "\"metrics\": {\"accuracy\": 0.5}, \"is_active\": false}", id);
  reply = post_json (f, "models/", json, 201);
  g_assert_cmpint (json_object_get_int_member (reply, "id"), ==, models + 1);
  g_assert_cmpstr (json_object_get_string_member (reply, "chunked_upload"),
      ==, id);
  {
    g_autoptr (SoupMessage) msg = new_message (f, "GET",
        json_object_get_string_member (reply, "file"), FALSE);
    g_autoptr (GBytes) file = send (f, msg, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_cmpmem (g_bytes_get_data (file, NULL), g_bytes_get_size (file),
        bytes, total);
  }
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      models + 1);
  {
    g_autoptr (JsonNode) listed = get_json (f, "models/?project=2&"
        "is_active=false&model_type=segmentation", SOUP_STATUS_OK);

    g_assert_cmpint (json_object_get_int_member (json_node_get_object
            (listed), "count"), ==, 1);
  }
}

static void
test_upload_faults (Fixture * f, gconstpointer data)
{
  const gsize chunk = 1024 * 1024, total = 2 * chunk;
  g_autofree guint8 *bytes = g_malloc0 (total);
  g_autoptr (JsonObject) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  reply = put_chunk (f, "chunked_upload/", bytes, chunk, 0, total, 200);
  url = g_strdup (json_object_get_string_member (reply, "url"));
  g_clear_pointer (&reply, json_object_unref);

  /* cut mid-body: the client sees a broken connection, nothing is stored */
  synapse_test_backend_add_fault_spec (f->backend,
      "cut-request bytes=65536 method=PUT path=chunked_upload/ times=1",
      &error);
  g_assert_no_error (error);
  {
    g_autoptr (SoupMessage) msg = chunk_message (f, url, bytes + chunk,
        chunk, chunk, total);
    g_autoptr (GBytes) body = send (f, msg, &error);

    g_assert_null (body);
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
  g_assert_cmpint (upload_offset (f, url), ==, chunk);

  /* dropped reply: stored all the same */
  synapse_test_backend_add_fault_spec (f->backend,
      "drop-response method=PUT path=chunked_upload/ times=1", &error);
  g_assert_no_error (error);
  {
    g_autoptr (SoupMessage) msg = chunk_message (f, url, bytes + chunk,
        chunk, chunk, total);
    g_autoptr (GBytes) body = send (f, msg, &error);

    g_assert_null (body);
    g_assert_nonnull (error);
    g_clear_error (&error);
  }
  g_assert_cmpint (upload_offset (f, url), ==, total);

  /* expired uploads are gone */
  reply = put_chunk (f, "chunked_upload/", bytes, chunk, 0, total, 200);
  g_free (url);
  url = g_strdup (json_object_get_string_member (reply, "url"));
  g_clear_pointer (&reply, json_object_unref);
  synapse_test_backend_expire_uploads (f->backend);
  reply = put_chunk (f, url, bytes, chunk, chunk, total, 410);
  g_assert_cmpstr (json_object_get_string_member (reply, "detail"), ==,
      "Upload has expired");
}

/* A finished upload of @total bytes; returns its id. */
static char *
finished_upload (Fixture * f, gsize total)
{
  g_autofree guint8 *bytes = g_malloc0 (total);
  g_autofree char *md5 = g_compute_checksum_for_data (G_CHECKSUM_MD5, bytes,
      total);
  g_autofree char *json = g_strdup_printf ("{\"md5\": \"%s\"}", md5);
  g_autoptr (JsonObject) reply = put_chunk (f, "chunked_upload/", bytes,
      total, 0, total, 200);
  g_autoptr (JsonObject) done = post_json (f,
      json_object_get_string_member (reply, "url"), json, 200);

  return g_strdup (json_object_get_string_member (done, "id"));
}

/* replace-status: the model is made, its answer replaced */
static void
test_fault_replace_status (Fixture * f, gconstpointer data)
{
  g_autofree char *id = finished_upload (f, 100);
  g_autofree char *json = g_strdup_printf ("{\"name\": \"gw\", "
      "\"model_type\": \"detection\", \"project\": 1, "
      "\"chunked_upload\": \"%s\", \"metrics\": {\"accuracy\": 0.942}}", id);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  SynapseTestRequest *last;
  guint models = synapse_test_backend_count_models (f->backend);

  synapse_test_backend_add_fault_spec (f->backend,
      "replace-status status=504 method=POST path=models/ times=1", &error);
  g_assert_no_error (error);
  reply = post_json (f, "models/", json, 504);
  g_assert_cmpstr (json_object_get_string_member (reply, "detail"), ==,
      "Gateway Timeout");
  g_assert_cmpuint (synapse_test_backend_count_models (f->backend), ==,
      models + 1);

  /* the body is in the log as it was sent */
  requests = synapse_test_backend_dup_requests (f->backend);
  last = requests->pdata[requests->len - 1];
  g_assert_cmpstr (last->path, ==, "models/");
  g_assert_cmpuint (last->status, ==, 504);
  g_assert_nonnull (last->body);
  g_assert_cmpmem (g_bytes_get_data (last->body, NULL),
      g_bytes_get_size (last->body), json, strlen (json));
}

/* the models list and each model say which upload they came from, unless
 * the backend hides it */
static void
test_models_name_their_upload (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {.models = 1,.hide_model_upload = TRUE };
  g_autofree char *id = finished_upload (f, 10);
  g_autofree char *json = g_strdup_printf ("{\"name\": \"named\", "
      "\"model_type\": \"detection\", \"project\": 2, "
      "\"chunked_upload\": \"%s\"}", id);
  g_autoptr (JsonObject) created = post_json (f, "models/", json, 201);
  g_autoptr (JsonNode) page = get_json (f, "models/?project=2&search=named",
      SOUP_STATUS_OK);
  JsonArray *results = json_object_get_array_member (json_node_get_object
      (page), "results");
  g_autoptr (SynapseTestBackend) hiding = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *hiding_url = NULL;

  g_assert_cmpuint (json_array_get_length (results), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (created, "chunked_upload"),
      ==, id);
  g_assert_cmpstr (json_object_get_string_member
      (json_array_get_object_element (results, 0), "chunked_upload"), ==, id);

  hiding = synapse_test_backend_new (&options, &error);
  g_assert_no_error (error);
  hiding_url = synapse_test_backend_dup_url (hiding);
  {
    g_autofree char *url = g_strconcat (hiding_url, "models/", NULL);
    g_autoptr (JsonNode) hidden = get_json (f, url, SOUP_STATUS_OK);
    JsonObject *model = json_array_get_object_element
        (json_object_get_array_member (json_node_get_object (hidden),
            "results"), 0);

    g_assert_true (json_object_has_member (model, "name"));
    g_assert_false (json_object_has_member (model, "chunked_upload"));
  }
}

/* GET chunked_upload/ lists the uploads, oldest first */
static void
test_uploads_are_listed (Fixture * f, gconstpointer data)
{
  guint8 bytes[10] = { 0 };
  g_autoptr (JsonObject) first = put_chunk (f, "chunked_upload/", bytes, 4,
      0, 10, 200);
  g_autoptr (JsonObject) second = put_chunk (f, "chunked_upload/", bytes, 6,
      0, 10, 200);
  g_autoptr (JsonNode) page = get_json (f, "chunked_upload/?page_size=1&page=2",
      SOUP_STATUS_OK);
  JsonObject *object = json_node_get_object (page);
  JsonObject *listed = json_array_get_object_element
      (json_object_get_array_member (object, "results"), 0);

  g_assert_cmpint (json_object_get_int_member (object, "count"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (listed, "id"), !=,
      json_object_get_string_member (first, "id"));
  g_assert_cmpstr (json_object_get_string_member (listed, "id"), ==,
      json_object_get_string_member (second, "id"));
  g_assert_cmpint (json_object_get_int_member (listed, "offset"), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (listed, "url"), ==,
      json_object_get_string_member (second, "url"));
  g_assert_cmpstr (json_object_get_string_member (listed, "filename"), ==,
      "weights é.bin");
  g_assert_true (json_object_get_null_member (listed, "completed_at"));
}

/* oscillate-offset: +bytes past the chunk's start, then -bytes, nothing
 * stored */
static void
test_fault_oscillate_offset (Fixture * f, gconstpointer data)
{
  guint8 bytes[100] = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) reply = put_chunk (f, "chunked_upload/", bytes, 40,
      0, 100, 200);
  g_autofree char *url = g_strdup (json_object_get_string_member (reply,
          "url"));
  const gint64 want[] = { 43, 37, 43 };

  synapse_test_backend_add_fault_spec (f->backend,
      "oscillate-offset bytes=3 method=PUT path=chunked_upload/", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++) {
    g_autoptr (JsonObject) mismatch = put_chunk (f, url, bytes + 40, 20, 40,
        100, 400);

    g_assert_cmpstr (json_object_get_string_member (mismatch, "detail"), ==,
        "Offsets do not match");
    g_assert_cmpint (json_object_get_int_member (mismatch, "offset"), ==,
        want[i]);
  }
  synapse_test_backend_clear_faults (f->backend);
  g_assert_cmpint (upload_offset (f, url), ==, 40);
}

/* --------------------------------------------------- stop, start, control */

static void
test_stop_start_same_port (Fixture * f, gconstpointer data)
{
  guint port = synapse_test_backend_get_port (f->backend);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) before = get_json (f, "models/1/", SOUP_STATUS_OK);

  synapse_test_backend_stop (f->backend);
  {
    g_autoptr (SoupMessage) msg = new_message (f, "GET", "models/1/", TRUE);
    g_autoptr (GBytes) body = send (f, msg, &error);

    g_assert_null (body);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
    g_clear_error (&error);
  }
  g_assert_true (synapse_test_backend_start (f->backend, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_test_backend_get_port (f->backend), ==, port);
  {
    g_autoptr (JsonNode) after = get_json (f, "models/1/", SOUP_STATUS_OK);

    g_assert_true (json_node_equal (before, after));
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/1/"), ==, 2);
}

static void
test_control_endpoints (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonNode) requests = NULL;
  g_autoptr (JsonObject) added = NULL;
  g_autoptr (SoupMessage) events = new_message (f, "GET",
      "_control/events/?version=2", FALSE);
  g_autoptr (GBytes) lines = NULL;
  g_autoptr (JsonArray) expected =
      synapse_test_backend_dup_events (f->backend, 2);
  g_auto (GStrv) split = NULL;
  g_autoptr (JsonNode) models = get_json (f, "models/?page_size=1",
      SOUP_STATUS_OK);
  g_autofree char *text = NULL;

  g_assert_nonnull (models);

  added = post_json (f, "_control/faults", "status=500 path=nothing/", 201);
  g_assert_cmpint (json_object_get_int_member (added, "id"), >, 0);

  {
    g_autoptr (JsonNode) faults = get_json (f, "_control/faults",
        SOUP_STATUS_OK);
    JsonObject *fault = json_array_get_object_element (json_node_get_array
        (faults), 0);

    g_assert_cmpstr (json_object_get_string_member (fault, "spec"), ==,
        "status=500 path=nothing/");
    g_assert_cmpint (json_object_get_int_member (fault, "hits"), ==, 0);
  }

  requests = get_json (f, "_control/requests", SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (requests)), ==,
      1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element
          (json_node_get_array (requests), 0), "query"), ==, "page_size=1");

  lines = send (f, events, NULL);
  g_assert_cmpuint (soup_message_get_status (events), ==, 200);
  text = g_strndup (g_bytes_get_data (lines, NULL), g_bytes_get_size (lines));
  split = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (split), ==, 251);
  for (guint i = 0; i < 250; i++) {
    g_autoptr (JsonNode) event = json_from_string (split[i], NULL);

    g_assert_true (json_node_equal (event, json_array_get_element (expected,
                i)));
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 1);
}

static void
test_fault_relink (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonNode) plain = NULL;
  g_autoptr (JsonNode) cursor = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GArray) plain_ids = NULL;
  g_autofree char *page_2 = NULL;
  g_autofree char *cursor_4 = NULL;
  JsonObject *page;

  synapse_test_backend_add_fault_spec (f->backend, "relink "
      "path=sdk/ground_truth_events/ query=page=3 next=page=2 count=35 "
      "results=4", &error);
  g_assert_no_error (error);
  synapse_test_backend_add_fault_spec (f->backend, "relink query=cursor= "
      "next=cursor=+1 count=none", &error);
  g_assert_no_error (error);

  /* page 3 links back to page 2, counts 35 and holds its first 4 results */
  node = get_json (f, "sdk/ground_truth_events/?page_size=10&page=3", 200);
  plain = get_json (f, "sdk/ground_truth_events/?page_size=10&page=4", 200);
  page = json_node_get_object (node);
  page_2 = g_strconcat (f->url, "sdk/ground_truth_events/?page_size=10&page=2",
      NULL);
  g_assert_cmpstr (json_object_get_string_member (page, "next"), ==, page_2);
  g_assert_cmpint (json_object_get_int_member (page, "count"), ==, 35);
  ids = result_ids (node);
  g_assert_cmpuint (ids->len, ==, 4);
  g_assert_cmpint (g_array_index (ids, gint64, 0), ==, 21);
  /* the pages it does not match are as they were */
  plain_ids = result_ids (plain);
  g_assert_cmpuint (plain_ids->len, ==, 10);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (plain),
          "count"), ==, 750);

  /* "+1" links on forever, from whatever the request said; no count */
  cursor = get_json (f, "sdk/ground_truth_events/?cursor=3&page_size=5", 200);
  cursor_4 = g_strconcat (f->url, "sdk/ground_truth_events/?cursor=4"
      "&page_size=5", NULL);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object
          (cursor), "next"), ==, cursor_4);
  g_assert_false (json_object_has_member (json_node_get_object (cursor),
          "count"));
}

/* ------------------------------------------------------------ fault specs */

static void
test_fault_parse (void)
{
  g_auto (SynapseTestFault) fault = { 0, };
  g_autoptr (GError) error = NULL;

  g_assert_true (synapse_test_fault_parse
      ("status=503 path=/sdk/x query=page=3 "
          "times=2 retry-after=1 method=get", &fault, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fault.kind, ==, SYNAPSE_TEST_FAULT_STATUS);
  g_assert_cmpuint (fault.status, ==, 503);
  g_assert_cmpstr (fault.path, ==, "sdk/x");
  g_assert_cmpstr (fault.query, ==, "page=3");
  g_assert_cmpstr (fault.method, ==, "GET");
  g_assert_cmpuint (fault.times, ==, 2);
  g_assert_cmpint (fault.retry_after, ==, 1);
  synapse_test_fault_clear (&fault);

  g_assert_true (synapse_test_fault_parse ("cut-request bytes=1000 skip=3",
          &fault, &error));
  g_assert_cmpint (fault.kind, ==, SYNAPSE_TEST_FAULT_CUT_REQUEST);
  g_assert_cmpuint (fault.bytes, ==, 1000);
  g_assert_cmpuint (fault.skip, ==, 3);
  g_assert_cmpint (fault.retry_after, ==, -1);
  synapse_test_fault_clear (&fault);

  g_assert_true (synapse_test_fault_parse ("status=500 body='{\"a\": 1}'",
          &fault, &error));
  g_assert_cmpstr (fault.body, ==, "{\"a\": 1}");
  synapse_test_fault_clear (&fault);

  g_assert_true (synapse_test_fault_parse
      ("trickle status=502 bytes=2 ms=100", &fault, &error));
  g_assert_cmpint (fault.kind, ==, SYNAPSE_TEST_FAULT_TRICKLE);
  g_assert_cmpuint (fault.status, ==, 502);
  g_assert_cmpuint (fault.bytes, ==, 2);
  g_assert_cmpuint (fault.ms, ==, 100);
  synapse_test_fault_clear (&fault);

  g_assert_true (synapse_test_fault_parse ("processing ms=500 count=4",
          &fault, &error));
  g_assert_cmpint (fault.kind, ==, SYNAPSE_TEST_FAULT_PROCESSING);
  g_assert_cmpstr (fault.count, ==, "4");
  synapse_test_fault_clear (&fault);

  g_assert_true (synapse_test_fault_parse ("slow-read ms=5", &fault, &error));
  g_assert_cmpint (fault.kind, ==, SYNAPSE_TEST_FAULT_SLOW_READ);
  g_assert_cmpuint (fault.ms, ==, 5);
  synapse_test_fault_clear (&fault);

  g_assert_false (synapse_test_fault_parse ("", &fault, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (synapse_test_fault_parse ("stall colour=red", &fault,
          &error));
  g_clear_error (&error);
  g_assert_false (synapse_test_fault_parse ("delay ms=-1", &fault, &error));
  g_clear_error (&error);
  g_assert_false (synapse_test_fault_parse ("truncate stall", &fault, &error));
  g_clear_error (&error);
  g_assert_false (synapse_test_fault_parse ("status", &fault, &error));
  g_clear_error (&error);

  g_assert_true (synapse_test_fault_parse ("relink next='cursor=b&page=3' "
          "count=none results=0", &fault, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fault.kind, ==, SYNAPSE_TEST_FAULT_RELINK);
  g_assert_cmpstr (fault.next, ==, "cursor=b&page=3");
  g_assert_cmpstr (fault.count, ==, "none");
  g_assert_cmpstr (fault.results, ==, "0");
  synapse_test_fault_clear (&fault);
  g_assert_true (synapse_test_fault_parse ("relink next=null", &fault, &error));
  synapse_test_fault_clear (&fault);
  g_assert_false (synapse_test_fault_parse ("relink", &fault, &error));
  g_clear_error (&error);
  g_assert_false (synapse_test_fault_parse ("relink next=page", &fault,
          &error));
  g_clear_error (&error);
  g_assert_false (synapse_test_fault_parse ("relink count=-2", &fault, &error));
  g_clear_error (&error);
  g_assert_false (synapse_test_fault_parse ("delay ms=5 results=1", &fault,
          &error));
  g_clear_error (&error);
  g_assert_true (synapse_test_fault_parse ("replace-status status=504 "
          "method=post path=models/", &fault, &error));
  g_assert_cmpint (fault.kind, ==, SYNAPSE_TEST_FAULT_REPLACE_STATUS);
  g_assert_cmpuint (fault.status, ==, 504);
  synapse_test_fault_clear (&fault);
  /* a replacement needs its status, and only it takes one */
  g_assert_false (synapse_test_fault_parse ("replace-status", &fault,
          &error));
  g_clear_error (&error);
  g_assert_false (synapse_test_fault_parse ("oscillate-offset status=400",
          &fault, &error));
  g_clear_error (&error);
  g_assert_true (synapse_test_fault_parse ("oscillate-offset bytes=2",
          &fault, &error));
  g_assert_cmpint (fault.kind, ==, SYNAPSE_TEST_FAULT_OSCILLATE_OFFSET);
  g_assert_cmpuint (fault.bytes, ==, 2);
  synapse_test_fault_clear (&fault);
  g_assert_false (synapse_test_fault_parse ("processing status=500",
          &fault, &error));
  g_clear_error (&error);
}

/* The faults that bend a body's framing or bytes. */
static void
test_fault_parse_body_kinds (void)
{
  const struct
  {
    const char *spec;
    SynapseTestFaultKind kind;
    gsize bytes;
  } cases[] = {
    {"cut-chunked bytes=64 path=media/", SYNAPSE_TEST_FAULT_CUT_CHUNKED, 64},
    {"cut-eof bytes=5", SYNAPSE_TEST_FAULT_CUT_EOF, 5},
    {"gzip", SYNAPSE_TEST_FAULT_GZIP, 0},
    {"gzip bytes=9 times=1", SYNAPSE_TEST_FAULT_GZIP, 9},
    {"corrupt bytes=3", SYNAPSE_TEST_FAULT_CORRUPT, 3},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_auto (SynapseTestFault) fault = { 0, };
    g_autoptr (GError) error = NULL;

    g_assert_true (synapse_test_fault_parse (cases[i].spec, &fault, &error));
    g_assert_no_error (error);
    g_assert_cmpint (fault.kind, ==, cases[i].kind);
    g_assert_cmpuint (fault.bytes, ==, cases[i].bytes);
  }
}

static void
test_same_seed_same_bytes (void)
{
  SynapseTestBackendOptions options = {.versions = 2,.events = 30,.seed = 3 };
  g_autoptr (SynapseTestBackend) a = synapse_test_backend_new (&options, NULL);
  g_autoptr (SynapseTestBackend) b = synapse_test_backend_new (&options, NULL);
  g_autoptr (JsonArray) events = synapse_test_backend_dup_events (a, 2);
  g_autoptr (JsonArray) other = synapse_test_backend_dup_events (b, 2);
  g_autoptr (GBytes) media = NULL;
  g_autoptr (GBytes) same = NULL;
  const char *url;

  g_assert_cmpuint (json_array_get_length (events), ==, 30);
  /* the URLs differ by port only */
  url = json_object_get_string_member (json_object_get_object_member
      (json_array_get_object_element (events, 3), "files"), "image");
  media = synapse_test_backend_dup_media (a, url);
  same = synapse_test_backend_dup_media (b, url);
  g_assert_nonnull (media);
  g_assert_true (g_bytes_equal (media, same));
  g_assert_cmpuint (g_bytes_get_size (media), >=, 64);
  g_assert_cmpuint (g_bytes_get_size (media), <=, 8192);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element
          (other, 29), "id"), ==, 60);
}

int
main (int argc, char **argv)
{
  /* nothing between the tests and the loopback backend */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/backend/" path, Fixture, NULL, fixture_set_up, func, \
      fixture_tear_down)

  ADD ("pages/follow-next-links", test_pages_follow_next_links);
  ADD ("pages/sizes-and-bounds", test_pages_sizes_and_bounds);
  ADD ("pages/base-url-overrides", test_base_url_overrides);
  ADD ("filters/versions-both-forms", test_filters_versions_both_forms);
  ADD ("filters/other", test_filters_other);
  ADD ("auth", test_auth);
  ADD ("faults/status", test_fault_status);
  ADD ("faults/cut-truncate-drop", test_fault_cut_and_truncate);
  ADD ("faults/stall-and-delay", test_fault_stall_and_delay);
  ADD ("faults/relink", test_fault_relink);
  ADD ("faults/trickle-and-processing", test_fault_trickle_and_processing);
  ADD ("faults/slow-read", test_fault_slow_read);
  ADD ("latency-is-concurrent", test_latency_is_concurrent);
  ADD ("uploads/upload-and-create-model", test_upload_and_create_model);
  ADD ("uploads/faults", test_upload_faults);
  ADD ("uploads/listed", test_uploads_are_listed);
  ADD ("faults/replace-status", test_fault_replace_status);
  ADD ("faults/oscillate-offset", test_fault_oscillate_offset);
  ADD ("models/name-their-upload", test_models_name_their_upload);
  ADD ("stop-start-same-port", test_stop_start_same_port);
  ADD ("control", test_control_endpoints);
  g_test_add_func ("/backend/fault-parse", test_fault_parse);
  g_test_add_func ("/backend/fault-parse/body-kinds",
      test_fault_parse_body_kinds);
  g_test_add_func ("/backend/same-seed-same-bytes", test_same_seed_same_bytes);

  return g_test_run ();
}
