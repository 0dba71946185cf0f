/* Tests of the listing calls and the pager against the local backend:
 * models, events, dataset versions, pagination costs and async twins.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "kit-fixture.h"

static gboolean
objects_equal (JsonObject * a, JsonObject * b)
{
  g_autoptr (JsonNode) na = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonNode) nb = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (na, a);
  json_node_set_object (nb, b);
  return json_node_equal (na, nb);
}

static void
test_list_models_one_page (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) models = NULL;
  guint64 total = 0;

  json_object_set_int_member (params, "page_size", 2);
  models = synapse_client_list_models (f->client, params, &total, NULL,
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 5);
  g_assert_cmpuint (json_array_get_length (models), ==, 2);
  for (guint i = 0; i < 2; i++) {
    JsonObject *model = json_array_get_object_element (models, i);
    g_autoptr (JsonObject) expected = synapse_test_backend_dup_model
        (f->backend, json_object_get_int_member (model, "id"));

    g_assert_true (objects_equal (model, expected));
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "models/"), ==, 1);
}

static void
test_list_models_filters (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) models = NULL;
  guint64 total = 0;

  json_object_set_string_member (params, "model_type", "detection");
  json_object_set_boolean_member (params, "is_active", TRUE);
  models = synapse_client_list_models (f->client, params, &total, NULL,
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, json_array_get_length (models));
  g_assert_cmpuint (total, >, 0);
  for (guint i = 0; i < json_array_get_length (models); i++) {
    JsonObject *model = json_array_get_object_element (models, i);

    g_assert_cmpstr (json_object_get_string_member (model, "model_type"), ==,
        "detection");
    g_assert_true (json_object_get_boolean_member (model, "is_active"));
  }
}

static void
test_get_model (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) model = synapse_client_get_model (f->client, 4, NULL,
      NULL, NULL, &error);
  g_autoptr (JsonObject) expected = synapse_test_backend_dup_model (f->backend,
      4);

  g_assert_no_error (error);
  g_assert_true (objects_equal (model, expected));
}

static void
test_list_events_one_page (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events (f->backend,
      2);
  guint64 total = 0;

  json_object_set_int_member (params, "ground_truth_dataset_versions", 2);
  json_object_set_int_member (params, "page_size", 30);
  json_object_set_int_member (params, "page", 2);
  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      FALSE, &total, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 100);
  g_assert_cmpuint (json_array_get_length (events), ==, 30);
  for (guint i = 0; i < 30; i++)
    g_assert_true (json_node_equal (json_array_get_element (events, i),
            json_array_get_element (expected, 30 + i)));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 1);
}

static void
test_list_all_costs_one_request_a_page (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint64 total = 0;
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) expected = kit_dup_events (f->backend, versions, 3);
  g_autoptr (JsonArray) events =
      synapse_client_list_ground_truth_events (f->client, NULL, NULL, TRUE,
      &total, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 300);
  kit_assert_events (events, expected);
  /* 300 events at the default 100 a page: 3 requests, not the SDK's 4 */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          "sdk/ground_truth_events/"), ==, 3);
}

static void
test_version_filter_forms (Fixture * f, gconstpointer data)
{
  const guint versions[] = { 1, 3 };
  g_autoptr (JsonArray) expected = kit_dup_events (f->backend, versions, 2);
  const char *forms[] = {
    "{\"ground_truth_dataset_versions\": [1, 3]}",
    "{\"ground_truth_dataset_versions\": \"1,3\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) params = json_from_string (forms[i], &error);
    g_autoptr (JsonArray) events = NULL;

    g_assert_no_error (error);
    events = synapse_client_list_ground_truth_events (f->client,
        json_node_get_object (params), NULL, TRUE, NULL, NULL, &error);
    g_assert_no_error (error);
    kit_assert_events (events, expected);
  }
}

static void
test_pager_walks_every_event_once (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  const guint versions[] = { 1, 2 };
  g_autoptr (JsonArray) expected = kit_dup_events (f->backend, versions, 2);
  g_autoptr (JsonArray) versions_param = json_array_new ();
  g_autoptr (SynapsePager) pager = NULL;
  JsonObject *event;
  guint index = 0;

  json_array_add_int_element (versions_param, 1);
  json_array_add_int_element (versions_param, 2);
  json_object_set_array_member (params, "ground_truth_dataset_versions",
      g_steal_pointer (&versions_param));
  json_object_set_int_member (params, "page_size", 33);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);

  /* nothing is asked before the first result */
  g_assert_cmpint (synapse_pager_get_total_count (pager), ==, -1);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 0);

  while ((event = synapse_pager_next (pager, NULL, &error))) {
    g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

    json_node_take_object (node, event);
    g_assert_true (json_node_equal (node, json_array_get_element (expected,
                index)));
    index++;
    g_assert_cmpint (synapse_pager_get_total_count (pager), ==, 200);
    g_assert_cmpuint (synapse_pager_get_position (pager), ==, index);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 200);
  /* 200 events at 33 a page: 7 pages, each asked once */
  g_assert_cmpuint (synapse_pager_get_pages_fetched (pager), ==, 7);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 7);
  /* the end stays the end */
  g_assert_null (synapse_pager_next (pager, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 7);
}

static void
test_pager_pages_and_rest_of_page (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (JsonObject) first = NULL;
  g_autoptr (JsonArray) rest = NULL;
  g_autoptr (JsonArray) second = NULL;
  guint pages = 1;

  json_object_set_int_member (params, "ground_truth_dataset_versions", 3);
  json_object_set_int_member (params, "page_size", 40);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);

  first = synapse_pager_next (pager, NULL, &error);
  g_assert_no_error (error);
  rest = synapse_pager_next_page (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (rest), ==, 39);
  second = synapse_pager_next_page (pager, NULL, &error);
  g_assert_cmpuint (json_array_get_length (second), ==, 40);
  for (JsonArray * page; (page = synapse_pager_next_page (pager, NULL,
              &error)); json_array_unref (page)) {
    g_assert_cmpuint (json_array_get_length (page), ==, 20);
    pages++;
  }
  g_assert_no_error (error);
  g_assert_cmpuint (pages, ==, 2);
  g_assert_cmpuint (synapse_pager_get_position (pager), ==, 100);
}

/* One member of a result, parsed alone, is what the parse of the whole
 * page has there; the last of duplicate keys wins, as in a parse. */
static void
test_page_item_member (Fixture * f, gconstpointer data)
{
  const char *events =
      "{\"id\": 7, \"data_unit\": {\"id\": 1, \"files\": {\"image\": "
      "{\"url\": \"http://x/a.jpg\", \"size\": 12}}}, \"s\": \"caf\\u00e9\"},"
      "{\"id\": 8, \"data_unit\": {\"id\": 2}, \"data_unit\": "
      "{\"files\": [1, {\"a\": 2}]}, \"score\": 0.5e1, \"v\": {\"max\": "
      "9223372036854775807, \"min\": -9223372036854775808, \"f\": -1.25, "
      "\"t\": true, \"no\": false, \"n\": null, \"a\": [[], {}, \"\\\"\"]}}";
  const char *const paths[] = { "id", "data_unit", "data_unit.files",
    "data_unit.files.image.url", "data_unit.id", "s", "score", "missing",
    "data_unit.files.image.url.deeper", "id.x", "v", "v.max", "v.a", NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (SynapsePage) page = NULL;

  kit_serve_events (f->backend, events, 2);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  page = synapse_pager_read_page (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_page_get_n_items (page), ==, 2);

  for (guint i = 0; i < 2; i++) {
    g_autoptr (JsonObject) item = synapse_page_dup_item (page, i);
    g_autoptr (JsonNode) root = json_node_init_object (json_node_alloc (),
        item);

    for (guint k = 0; paths[k]; k++) {
      g_autoptr (JsonNode) got = synapse_page_dup_item_member (page, i,
          paths[k]);
      JsonNode *want = root;
      g_auto (GStrv) names = g_strsplit (paths[k], ".", -1);

      for (guint n = 0; names[n] && want; n++)
        want = JSON_NODE_HOLDS_OBJECT (want) ? json_object_get_member
            (json_node_get_object (want), names[n]) : NULL;
      if (want == NULL)
        g_assert_null (got);
      else
        g_assert_true (json_node_equal (got, want));
    }
  }
}

static void
test_empty_listing (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (JsonArray) events = NULL;
  guint64 total = 99;

  json_object_set_string_member (params, "search", "no event says this");
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  g_assert_null (synapse_pager_next (pager, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (synapse_pager_get_total_count (pager), ==, 0);

  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      TRUE, &total, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (events), ==, 0);
  g_assert_cmpuint (total, ==, 0);
}

static void
test_pager_error_mid_listing (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  JsonArray *page;
  guint pages = 0;

  kit_add_fault (f->backend, "status=401 path=sdk/ground_truth_events/ "
      "query=page=3");
  json_object_set_int_member (params, "page_size", 10);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  while ((page = synapse_pager_next_page (pager, NULL, &error))) {
    pages++;
    json_array_unref (page);
  }
  g_assert_cmpuint (pages, ==, 2);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_UNAUTHORIZED);
}

static void
test_retried_pages_lose_and_repeat_nothing (Fixture * f, gconstpointer data)
{
  const SynapseTestFault faults[] = {
    {.kind = SYNAPSE_TEST_FAULT_STATUS,.query = "page=2",.status = 503,
        .times = 2,.retry_after = -1},
    {.kind = SYNAPSE_TEST_FAULT_CUT_RESPONSE,.query = "page=4",.bytes = 500,
        .times = 1},
    {.kind = SYNAPSE_TEST_FAULT_TRUNCATE,.query = "page=5",.bytes = 700,
        .times = 1},
    {.kind = SYNAPSE_TEST_FAULT_DROP_RESPONSE,.query = "page=7",.times = 1},
  };
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) expected = kit_dup_events (f->backend, versions, 3);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    synapse_test_backend_add_fault (f->backend, &faults[i]);
  json_object_set_int_member (params, "page_size", 25);
  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  kit_assert_events (events, expected);
}

static void
test_get_ground_truth_version (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) version =
      synapse_client_get_ground_truth_version (f->client, 2, NULL, &error);
  g_autoptr (JsonObject) expected = synapse_test_backend_dup_version
      (f->backend, 2);
  g_autoptr (JsonObject) missing = NULL;

  g_assert_no_error (error);
  g_assert_true (objects_equal (version, expected));
  g_assert_cmpint (json_object_get_int_member (version, "event_count"), ==,
      100);

  missing = synapse_client_get_ground_truth_version (f->client, 99, NULL,
      &error);
  g_assert_null (missing);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_NOT_FOUND);
}

typedef struct
{
  GMainLoop *loop;
  JsonArray *events;
  guint64 total;
  JsonObject *model;
  JsonObject *version;
  GPtrArray *streamed;
  SynapsePager *pager;
  guint pending;
} AsyncState;

static void
async_done (AsyncState * state)
{
  if (--state->pending == 0)
    g_main_loop_quit (state->loop);
}

static void
on_events (GObject * source, GAsyncResult * result, gpointer data)
{
  AsyncState *state = data;
  g_autoptr (GError) error = NULL;

  state->events =
      synapse_client_list_ground_truth_events_finish (SYNAPSE_CLIENT (source),
      result, &state->total, &error);
  g_assert_no_error (error);
  async_done (state);
}

static void
on_model (GObject * source, GAsyncResult * result, gpointer data)
{
  AsyncState *state = data;
  g_autoptr (GError) error = NULL;

  state->model = synapse_client_get_model_finish (SYNAPSE_CLIENT (source),
      result, &error);
  g_assert_no_error (error);
  async_done (state);
}

static void
on_version (GObject * source, GAsyncResult * result, gpointer data)
{
  AsyncState *state = data;
  g_autoptr (GError) error = NULL;

  state->version =
      synapse_client_get_ground_truth_version_finish (SYNAPSE_CLIENT (source),
      result, &error);
  g_assert_no_error (error);
  async_done (state);
}

static void
on_next (GObject * source, GAsyncResult * result, gpointer data)
{
  AsyncState *state = data;
  g_autoptr (GError) error = NULL;
  JsonObject *event = synapse_pager_next_finish (SYNAPSE_PAGER (source),
      result, &error);

  g_assert_no_error (error);
  if (event == NULL) {
    async_done (state);
    return;
  }
  g_ptr_array_add (state->streamed, event);
  synapse_pager_next_async (state->pager, NULL, on_next, state);
}

static void
test_async_twins (Fixture * f, gconstpointer data)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (GPtrArray) streamed =
      g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events (f->backend,
      1);
  AsyncState state = {.loop = loop,.streamed = streamed,.pending = 4 };

  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  json_object_set_int_member (params, "page_size", 30);
  state.pager = synapse_client_iter_ground_truth_events (f->client, params,
      NULL);

  synapse_client_list_ground_truth_events_async (f->client, params, NULL,
      TRUE, NULL, on_events, &state);
  synapse_client_get_model_async (f->client, 2, NULL, NULL, NULL, on_model,
      &state);
  synapse_client_get_ground_truth_version_async (f->client, 1, NULL,
      on_version, &state);
  synapse_pager_next_async (state.pager, NULL, on_next, &state);
  g_main_loop_run (loop);

  kit_assert_events (state.events, expected);
  g_assert_cmpuint (state.total, ==, 100);
  g_assert_cmpint (json_object_get_int_member (state.model, "id"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (state.version, "id"), ==, 1);
  g_assert_cmpuint (streamed->len, ==, 100);
  for (guint i = 0; i < streamed->len; i++)
    g_assert_cmpint (json_object_get_int_member (streamed->pdata[i], "id"),
        ==, json_object_get_int_member (json_array_get_object_element
            (expected, i), "id"));

  json_array_unref (state.events);
  json_object_unref (state.model);
  json_object_unref (state.version);
  g_object_unref (state.pager);
}

static void
store_result (GObject * source, GAsyncResult * result, gpointer data)
{
  GAsyncResult **stored = data;

  *stored = g_object_ref (result);
}

static void
test_async_cancel (Fixture * f, gconstpointer data)
{
  SynapseTestFault stall = {.kind = SYNAPSE_TEST_FAULT_STALL };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (JsonArray) models = NULL;

  synapse_test_backend_add_fault (f->backend, &stall);
  synapse_client_list_models_async (f->client, NULL, cancellable,
      store_result, &result);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  models = synapse_client_list_models_finish (f->client, result, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The walks again, with pages fetched ahead. */
static void
test_prefetch_walks_every_event_once (Fixture * f, gconstpointer data)
{
  g_object_set (f->client, "prefetch", 4, NULL);
  test_pager_walks_every_event_once (f, data);
}

static void
test_prefetch_pages_and_rest_of_page (Fixture * f, gconstpointer data)
{
  g_object_set (f->client, "prefetch", 3, NULL);
  test_pager_pages_and_rest_of_page (f, data);
}

static void
test_prefetch_retries_lose_nothing (Fixture * f, gconstpointer data)
{
  g_object_set (f->client, "prefetch", 5, NULL);
  test_retried_pages_lose_and_repeat_nothing (f, data);
}

static void
test_prefetch_never_asks_past_the_last_page (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;
  g_autoptr (GPtrArray) requests = NULL;
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) expected = kit_dup_events (f->backend, versions, 3);

  /* 300 events, 64 a page: 5 pages, the last one short */
  g_object_set (f->client, "prefetch", 8, NULL);
  json_object_set_int_member (params, "page_size", 64);
  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      TRUE, NULL, NULL, &error);
  g_assert_no_error (error);
  kit_assert_events (events, expected);

  requests = synapse_test_backend_dup_requests (f->backend);
  g_assert_cmpuint (requests->len, ==, 5);
  for (guint i = 0; i < requests->len; i++)
    g_assert_cmpuint (((SynapseTestRequest *) requests->pdata[i])->status,
        ==, 200);
}

static void
test_prefetch_failure_surfaces_in_order (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) expected = kit_dup_events (f->backend, versions, 3);
  g_autoptr (JsonArray) walked = json_array_new ();
  SynapsePage *page;
  guint failures = 0;

  kit_add_fault (f->backend, "status=401 query=page=4 times=1");
  json_object_set_int_member (params, "page_size", 30);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  synapse_pager_set_prefetch (pager, 4);

  /* pages 1-3 arrive, page 4 fails once and is asked again on the next
   * call: nothing is lost or repeated */
  for (;;) {
    page = synapse_pager_read_page (pager, NULL, &error);
    if (page == NULL && error) {
      g_assert_error (error, SYNAPSE_CLIENT_ERROR,
          SYNAPSE_CLIENT_ERROR_UNAUTHORIZED);
      g_assert_cmpuint (json_array_get_length (walked), ==, 90);
      g_clear_error (&error);
      failures++;
      continue;
    }
    if (page == NULL)
      break;
    for (guint i = 0; i < synapse_page_get_n_items (page); i++) {
      g_autoptr (JsonObject) item = synapse_page_dup_item (page, i);

      json_array_add_object_element (walked, g_steal_pointer (&item));
    }
    g_assert_cmpuint (synapse_page_get_position (page) +
        synapse_page_get_n_items (page), ==, json_array_get_length (walked));
    synapse_page_unref (page);
  }
  g_assert_cmpuint (failures, ==, 1);
  kit_assert_events (walked, expected);
}

static void
test_limit_stops_the_walk (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  const guint versions[] = { 1 };
  g_autoptr (JsonArray) expected = kit_dup_events (f->backend, versions, 1);
  JsonObject *event;
  guint n = 0;

  json_object_set_int_member (params, "ground_truth_dataset_versions", 1);
  json_object_set_int_member (params, "page_size", 20);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  synapse_pager_set_prefetch (pager, 8);
  synapse_pager_set_limit (pager, 45);
  while ((event = synapse_pager_next (pager, NULL, &error))) {
    g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (),
        event);

    g_assert_true (json_node_equal (node, json_array_get_element (expected,
                n)));
    json_object_unref (event);
    n++;
  }
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 45);
  /* pages 1-3 hold the first 45 events: nothing past them, not even ahead */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend, NULL),
      ==, 3);
}

static void
test_raw_item_bytes_are_the_backend_bytes (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (SynapsePage) page = NULL;
  g_autoptr (JsonArray) expected = synapse_test_backend_dup_events (f->backend,
      2);

  json_object_set_int_member (params, "ground_truth_dataset_versions", 2);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  page = synapse_pager_read_page (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_page_get_n_items (page), ==, 100);
  g_assert_cmpint (synapse_page_get_total_count (page), ==, 100);
  for (guint i = 0; i < 100; i++) {
    g_autoptr (GBytes) bytes = synapse_page_get_item_bytes (page, i);
    gsize size;
    const char *text = g_bytes_get_data (bytes, &size);
    g_autofree char *copy = g_strndup (text, size);
    g_autoptr (JsonNode) parsed = NULL;

    g_assert_null (memchr (text, '\n', size));
    g_assert_true (text[0] == '{' && text[size - 1] == '}');
    parsed = json_from_string (copy, &error);
    g_assert_no_error (error);
    g_assert_true (json_node_equal (parsed, json_array_get_element (expected,
                i)));
  }
}

/* The NDJSON block of a page: each result's bytes (compacted where the
 * backend put whitespace) and a newline. */
static void
assert_ndjson_is_the_items (SynapsePage * page)
{
  g_autoptr (GBytes) block = synapse_page_get_items_ndjson (page);
  g_autoptr (GString) expected = g_string_new (NULL);

  for (guint i = 0; i < synapse_page_get_n_items (page); i++) {
    g_autoptr (GBytes) bytes = synapse_page_get_item_bytes (page, i);
    gsize size;
    const char *text = g_bytes_get_data (bytes, &size);

    g_string_append_len (expected, text, size);
    g_string_append_c (expected, '\n');
  }
  g_assert_cmpmem (g_bytes_get_data (block, NULL), g_bytes_get_size (block),
      expected->str, expected->len);
}

static void
test_page_items_as_ndjson (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (SynapsePage) page = NULL;
  g_autoptr (SynapsePage) pretty = NULL;
  g_autoptr (GBytes) pretty_block = NULL;

  json_object_set_int_member (params, "ground_truth_dataset_versions", 2);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  page = synapse_pager_read_page (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_page_get_n_items (page), ==, 100);
  assert_ndjson_is_the_items (page);

  /* a backend that indents its page: the lines are compact all the same */
  g_assert_cmpuint (synapse_test_backend_add_fault_spec (f->backend,
          "status=200 path=sdk/ground_truth_events/ body='{\"count\": 2, "
          "\"next\": null, \"results\": [{\"id\": 1, \"data\": {\"a\": "
          "[1, 2]}}, {\"id\":2,\"note\":\"two  words\"}]}'", &error), >, 0);
  g_assert_no_error (error);
  g_clear_object (&pager);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  pretty = synapse_pager_read_page (pager, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_page_get_n_items (pretty), ==, 2);
  assert_ndjson_is_the_items (pretty);
  pretty_block = synapse_page_get_items_ndjson (pretty);
  g_assert_cmpmem (g_bytes_get_data (pretty_block, NULL),
      g_bytes_get_size (pretty_block),
      "{\"id\":1,\"data\":{\"a\":[1,2]}}\n{\"id\":2,\"note\":\"two  words\"}\n",
      57);
}

/* The walk guards: a backend whose pages would be walked forever. */

#define EVENTS_PATH "sdk/ground_truth_events/"

static void
add_faults (Fixture * f, const char *const *specs)
{
  for (guint i = 0; specs[i]; i++) {
    g_autoptr (GError) error = NULL;

    g_assert_cmpuint (synapse_test_backend_add_fault_spec (f->backend,
            specs[i], &error), >, 0);
    g_assert_no_error (error);
  }
}

/* The backend's events whose ids (1-based, over every version) are @first
 * to @last. */
static JsonArray *
events_between (Fixture * f, guint first, guint last)
{
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) all = kit_dup_events (f->backend, versions, 3);
  JsonArray *some = json_array_new ();

  for (guint id = first; id <= last; id++)
    json_array_add_element (some, json_node_ref (json_array_get_element (all,
                id - 1)));
  return some;
}

/* Walks @pager page by page to its failure, which must be a PROTOCOL
 * error that @says; the results handed out are @expected, and the backend
 * got between @min_requests and @max_requests requests for pages. The
 * walk stays failed, without another request. */
static void
assert_walk_refused (Fixture * f, SynapsePager * pager, JsonArray * expected,
    guint min_requests, guint max_requests, const char *says)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) walked = json_array_new ();
  JsonArray *page;
  guint requests;

  while ((page = synapse_pager_next_page (pager, NULL, &error))) {
    for (guint i = 0; i < json_array_get_length (page); i++)
      json_array_add_element (walked,
          json_node_ref (json_array_get_element (page, i)));
    json_array_unref (page);
  }
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL);
  if (strstr (error->message, says) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, says);
  /* what came before the backend's misstep, each once */
  kit_assert_events (walked, expected);
  requests = synapse_test_backend_count_requests (f->backend, EVENTS_PATH);
  g_assert_cmpuint (requests, >=, min_requests);
  g_assert_cmpuint (requests, <=, max_requests);

  /* pages asked for ahead before the misstep may still arrive, but no
   * call asks for more */
  for (guint i = 0; i < 3; i++) {
    g_clear_error (&error);
    g_assert_null (synapse_pager_next (pager, NULL, &error));
    g_assert_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_PROTOCOL);
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          EVENTS_PATH), <=, max_requests);
}

static SynapsePager *
events_pager (Fixture * f, guint page_size)
{
  g_autoptr (JsonObject) params = json_object_new ();

  json_object_set_int_member (params, "page_size", page_size);
  return synapse_client_iter_ground_truth_events (f->client, params, NULL);
}

/* The most page requests a walk of @pages pages makes with the client's
 * prefetch: those pages, and those requested ahead of the last. */
static guint
at_most (Fixture * f, guint pages)
{
  guint prefetch;

  g_object_get (f->client, "prefetch", &prefetch, NULL);
  return pages + (prefetch > 1 ? prefetch : 0);
}

static void
test_walk_cycle_by_page_number (Fixture * f, gconstpointer data)
{
  const char *const faults[] = {
    "relink path=" EVENTS_PATH " query=page=3 next=page=2", NULL
  };
  g_autoptr (SynapsePager) pager = events_pager (f, 10);
  g_autoptr (JsonArray) expected = events_between (f, 1, 30);

  /* pages 1 → 2 → 3 → 2 … */
  add_faults (f, faults);
  assert_walk_refused (f, pager, expected, 3, at_most (f, 3),
      "leads back to a page this walk has already visited");
}

static void
test_walk_cycle_to_the_first_page (Fixture * f, gconstpointer data)
{
  const char *const faults[] = {
    "relink path=" EVENTS_PATH " query=page=2 next=page=1", NULL
  };
  g_autoptr (SynapsePager) pager = events_pager (f, 10);
  g_autoptr (JsonArray) expected = events_between (f, 1, 20);

  /* `page=1` is the first page, which was asked for without `page` */
  add_faults (f, faults);
  assert_walk_refused (f, pager, expected, 2, at_most (f, 2),
      "leads back to a page this walk has already visited");
}

static void
test_walk_cycle_by_cursor (Fixture * f, gconstpointer data)
{
  /* cursors a → b → a, each page the backend's next one, no count (as
   * DRF's cursor pagination has none) */
  const char *const faults[] = {
    "relink query=cursor=b next='cursor=a&page=2' count=none",
    "relink query=cursor=a next='cursor=b&page=3' count=none",
    "relink path=" EVENTS_PATH " next='cursor=a&page=2' count=none",
    NULL
  };
  g_autoptr (SynapsePager) pager = events_pager (f, 10);
  g_autoptr (JsonArray) expected = events_between (f, 1, 30);

  add_faults (f, faults);
  assert_walk_refused (f, pager, expected, 3, 3,
      "leads back to a page this walk has already visited");
  g_assert_cmpint (synapse_pager_get_total_count (pager), ==, -1);
}

static void
test_walk_more_results_than_count (Fixture * f, gconstpointer data)
{
  const char *const faults[] = {
    "relink path=" EVENTS_PATH " count=15", NULL
  };
  g_autoptr (SynapsePager) pager = events_pager (f, 10);
  g_autoptr (JsonArray) expected = events_between (f, 1, 10);

  /* the second page brings 20 of 15: it is refused whole */
  add_faults (f, faults);
  assert_walk_refused (f, pager, expected, 2, 2,
      "hold 20 results, more than the 15 its first page counted");
}

static void
test_walk_more_pages_than_count_fills (Fixture * f, gconstpointer data)
{
  /* 30 results in pages of 10 are 3 pages; these are short, so the third
   * links on while the results stay within the count */
  const char *const faults[] = {
    "relink query=page= count=30 results=5",
    "relink path=" EVENTS_PATH " count=30", NULL
  };
  g_autoptr (SynapsePager) pager = events_pager (f, 10);
  g_autoptr (JsonArray) expected = events_between (f, 1, 15);
  g_autoptr (JsonArray) third = events_between (f, 21, 25);

  for (guint i = 0; i < json_array_get_length (third); i++)
    json_array_add_element (expected,
        json_node_ref (json_array_get_element (third, i)));
  add_faults (f, faults);
  assert_walk_refused (f, pager, expected, 3, 3,
      "page 3 links on to another page, but the 30 results of the first "
      "page's count fill only 3 pages of 10");
}

static void
test_walk_endless_empty_pages (Fixture * f, gconstpointer data)
{
  /* after the first page, empty pages that each link to a new one */
  const char *const faults[] = {
    "relink query=cursor= next=cursor=+1 results=0",
    "relink path=" EVENTS_PATH " next=cursor=+1", NULL
  };
  g_autoptr (SynapsePager) pager = events_pager (f, 10);
  g_autoptr (JsonArray) expected = events_between (f, 1, 10);

  add_faults (f, faults);
  assert_walk_refused (f, pager, expected, 4, 4,
      "3 pages in a row held no results, yet each linked on");
}

static void
test_walk_empty_pages_fetched_ahead (Fixture * f, gconstpointer data)
{
  /* the backend's own links, page after page, but every page after the
   * first is empty */
  const char *const faults[] = { "relink query=page= results=0", NULL };
  g_autoptr (SynapsePager) pager = events_pager (f, 10);
  g_autoptr (JsonArray) expected = events_between (f, 1, 10);

  add_faults (f, faults);
  assert_walk_refused (f, pager, expected, 4, at_most (f, 4),
      "3 pages in a row held no results, yet each linked on");
}

static void
test_list_all_refuses_a_cycle (Fixture * f, gconstpointer data)
{
  const char *const faults[] = {
    "relink path=" EVENTS_PATH " query=page=3 next=page=2", NULL
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (JsonArray) events = NULL;

  add_faults (f, faults);
  json_object_set_int_member (params, "page_size", 10);
  events = synapse_client_list_ground_truth_events (f->client, params, NULL,
      TRUE, NULL, NULL, &error);
  g_assert_null (events);
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "already visited"));
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          EVENTS_PATH), <=, at_most (f, 3));
}

/* The guards again, with the pages walked strictly one after the other
 * (the client's default prefetch fetches them ahead by number). */
#define ONE_AT_A_TIME(func) \
  static void \
  func##_one_at_a_time (Fixture * f, gconstpointer data) \
  { \
    g_object_set (f->client, "prefetch", 1, NULL); \
    func (f, data); \
  }

ONE_AT_A_TIME (test_walk_cycle_by_page_number);
ONE_AT_A_TIME (test_walk_cycle_by_cursor);
ONE_AT_A_TIME (test_walk_more_results_than_count);
ONE_AT_A_TIME (test_walk_more_pages_than_count_fills);
ONE_AT_A_TIME (test_walk_endless_empty_pages);

/* With pages of ~13 KB, 20 events each, and a budget smaller than one,
 * a prefetch of 8 still keeps just one page requested ahead of the one
 * read: the bytes bound what is held, not only the pages. */
static void
test_prefetch_bytes_bound_the_pages_ahead (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapsePager) pager = events_pager (f, 20);
  const guint versions[] = { 1, 2, 3 };
  g_autoptr (JsonArray) expected = kit_dup_events (f->backend, versions, 3);
  g_autoptr (JsonArray) walked = json_array_new ();
  SynapsePage *page;
  guint pages = 0;

  /* requests sent at once all reach the backend before any is answered */
  synapse_test_backend_set_latency (f->backend, 50);
  synapse_pager_set_prefetch (pager, 8);
  synapse_pager_set_prefetch_bytes (pager, 1000);
  while ((page = synapse_pager_read_page (pager, NULL, &error))) {
    pages++;
    /* the pages read, and one asked for ahead */
    g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
            EVENTS_PATH), <=, pages + 1);
    for (guint i = 0; i < synapse_page_get_n_items (page); i++)
      json_array_add_object_element (walked, synapse_page_dup_item (page, i));
    synapse_page_unref (page);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (pages, ==, 15);
  kit_assert_events (walked, expected);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          EVENTS_PATH), ==, 15);
}

/* Waits until the backend has received @n requests for pages: no time
 * limit but the test's, so that a slow machine only waits longer. */
static void
wait_for_page_requests (Fixture * f, guint n)
{
  while (synapse_test_backend_count_requests (f->backend, EVENTS_PATH) < n)
    g_usleep (1000);
}

/* A budget of two pages' bytes holds two ahead, not one, not three. */
static void
test_prefetch_bytes_hold_what_fits (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SynapsePager) pager = events_pager (f, 20);
  SynapsePage *page;
  guint pages = 0;
  gsize page_bytes;

  {
    g_autoptr (SynapsePager) probe = events_pager (f, 20);
    g_autoptr (SynapsePage) first = NULL;
    g_autoptr (GBytes) bytes = NULL;

    /* nothing ahead, that would count below */
    synapse_pager_set_prefetch (probe, 1);
    first = synapse_pager_read_page (probe, NULL, &error);
    g_assert_no_error (error);
    /* the events' bytes are most of a page's */
    page_bytes = 0;
    for (guint i = 0; i < synapse_page_get_n_items (first); i++) {
      bytes = synapse_page_get_item_bytes (first, i);
      page_bytes += g_bytes_get_size (bytes) + 1;
      g_clear_pointer (&bytes, g_bytes_unref);
    }
    synapse_test_backend_clear_requests (f->backend);
  }

  synapse_test_backend_set_latency (f->backend, 50);
  synapse_pager_set_prefetch (pager, 8);
  /* room for two pages (each a little more than its events), not three */
  synapse_pager_set_prefetch_bytes (pager, page_bytes * 5 / 2);
  while ((page = synapse_pager_read_page (pager, NULL, &error))) {
    pages++;
    if (pages == 1)
      wait_for_page_requests (f, 3);
    g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
            EVENTS_PATH), <=, pages + 2);
    synapse_page_unref (page);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (pages, ==, 15);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          EVENTS_PATH), ==, 15);
}

int
main (int argc, char **argv)
{
  kit_init (&argc, &argv);

  FIXTURE_ADD ("/listing/models/one-page", test_list_models_one_page);
  FIXTURE_ADD ("/listing/models/filters", test_list_models_filters);
  FIXTURE_ADD ("/listing/models/get", test_get_model);
  FIXTURE_ADD ("/listing/events/one-page", test_list_events_one_page);
  FIXTURE_ADD ("/listing/events/list-all-one-request-a-page",
      test_list_all_costs_one_request_a_page);
  FIXTURE_ADD ("/listing/events/version-filter-forms",
      test_version_filter_forms);
  FIXTURE_ADD ("/listing/events/empty", test_empty_listing);
  FIXTURE_ADD ("/listing/events/retries-lose-nothing",
      test_retried_pages_lose_and_repeat_nothing);
  FIXTURE_ADD ("/listing/pager/every-event-once",
      test_pager_walks_every_event_once);
  FIXTURE_ADD ("/listing/pager/pages", test_pager_pages_and_rest_of_page);
  FIXTURE_ADD ("/listing/pager/item-member", test_page_item_member);
  FIXTURE_ADD ("/listing/pager/error-mid-listing",
      test_pager_error_mid_listing);
  FIXTURE_ADD ("/listing/pager/raw-item-bytes",
      test_raw_item_bytes_are_the_backend_bytes);
  FIXTURE_ADD ("/listing/pager/items-as-ndjson", test_page_items_as_ndjson);
  FIXTURE_ADD ("/listing/prefetch/every-event-once",
      test_prefetch_walks_every_event_once);
  FIXTURE_ADD ("/listing/prefetch/pages", test_prefetch_pages_and_rest_of_page);
  FIXTURE_ADD ("/listing/prefetch/retries-lose-nothing",
      test_prefetch_retries_lose_nothing);
  FIXTURE_ADD ("/listing/prefetch/not-past-last-page",
      test_prefetch_never_asks_past_the_last_page);
  FIXTURE_ADD ("/listing/prefetch/limit", test_limit_stops_the_walk);
  FIXTURE_ADD ("/listing/prefetch/failure-in-order",
      test_prefetch_failure_surfaces_in_order);
  FIXTURE_ADD ("/listing/versions/get", test_get_ground_truth_version);
  FIXTURE_ADD ("/listing/async/twins", test_async_twins);
  FIXTURE_ADD ("/listing/async/cancel", test_async_cancel);
  FIXTURE_ADD ("/listing/walk/cycle-by-page-number",
      test_walk_cycle_by_page_number);
  FIXTURE_ADD ("/listing/walk/cycle-by-page-number/one-at-a-time",
      test_walk_cycle_by_page_number_one_at_a_time);
  FIXTURE_ADD ("/listing/walk/cycle-to-the-first-page",
      test_walk_cycle_to_the_first_page);
  FIXTURE_ADD ("/listing/walk/cycle-by-cursor", test_walk_cycle_by_cursor);
  FIXTURE_ADD ("/listing/walk/cycle-by-cursor/one-at-a-time",
      test_walk_cycle_by_cursor_one_at_a_time);
  FIXTURE_ADD ("/listing/walk/more-results-than-count",
      test_walk_more_results_than_count);
  FIXTURE_ADD ("/listing/walk/more-results-than-count/one-at-a-time",
      test_walk_more_results_than_count_one_at_a_time);
  FIXTURE_ADD ("/listing/walk/more-pages-than-count-fills",
      test_walk_more_pages_than_count_fills);
  FIXTURE_ADD ("/listing/walk/more-pages-than-count-fills/one-at-a-time",
      test_walk_more_pages_than_count_fills_one_at_a_time);
  FIXTURE_ADD ("/listing/walk/endless-empty-pages",
      test_walk_endless_empty_pages);
  FIXTURE_ADD ("/listing/walk/endless-empty-pages/one-at-a-time",
      test_walk_endless_empty_pages_one_at_a_time);
  FIXTURE_ADD ("/listing/walk/empty-pages-fetched-ahead",
      test_walk_empty_pages_fetched_ahead);
  FIXTURE_ADD ("/listing/walk/list-all-refuses-a-cycle",
      test_list_all_refuses_a_cycle);
  FIXTURE_ADD ("/listing/prefetch/bytes-bound-the-pages-ahead",
      test_prefetch_bytes_bound_the_pages_ahead);
  FIXTURE_ADD ("/listing/prefetch/bytes-hold-what-fits",
      test_prefetch_bytes_hold_what_fits);

  return g_test_run ();
}
