/* Tests of walks that start anywhere and of walks that share a listing:
 * the pager's start-index and shards against the local backend, whose
 * request log tells which pages were asked for.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "kit-fixture.h"

#define EVENTS_PATH "sdk/ground_truth_events/"

/* 3 versions of 100 events: the listing of every event. */
static JsonArray *
all_events (Fixture * f)
{
  const guint versions[] = { 1, 2, 3 };

  return kit_dup_events (f->backend, versions, 3);
}

static SynapsePager *
events_pager (Fixture * f, guint page_size, guint64 start_index)
{
  g_autoptr (JsonObject) params = json_object_new ();
  SynapsePager *pager;

  json_object_set_int_member (params, "page_size", page_size);
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  synapse_pager_set_start_index (pager, start_index);
  return pager;
}

/* Walks @pager to its end, page by page: its results, and (when
 * @positions) each one's index in the listing. Each page's results
 * follow on from its position. */
static JsonArray *
walk (SynapsePager * pager, GArray * positions)
{
  g_autoptr (GError) error = NULL;
  JsonArray *walked = json_array_new ();
  SynapsePage *page;

  while ((page = synapse_pager_read_page (pager, NULL, &error))) {
    guint64 position = synapse_page_get_position (page);
    g_autoptr (JsonArray) items = synapse_page_dup_items (page);

    for (guint i = 0; i < json_array_get_length (items); i++) {
      json_array_add_element (walked,
          json_node_ref (json_array_get_element (items, i)));
      if (positions) {
        guint64 index = position + i;

        g_array_append_val (positions, index);
      }
    }
    synapse_page_unref (page);
  }
  g_assert_no_error (error);
  return walked;
}

/* Events @from to @to (excluded) of @events. */
static JsonArray *
slice (JsonArray * events, guint from, guint to)
{
  JsonArray *out = json_array_new ();

  for (guint i = from; i < to && i < json_array_get_length (events); i++)
    json_array_add_element (out,
        json_node_ref (json_array_get_element (events, i)));
  return out;
}

/* The page numbers of the listing's requests, in order (no `page`: 1),
 * with their answers' statuses. */
static GArray *
requested_pages (Fixture * f, GArray ** statuses)
{
  g_autoptr (GPtrArray) requests =
      synapse_test_backend_dup_requests (f->backend);
  GArray *pages = g_array_new (FALSE, FALSE, sizeof (guint));

  *statuses = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < requests->len; i++) {
    SynapseTestRequest *request = requests->pdata[i];
    guint number = kit_request_page_number (request);

    if (!g_str_has_prefix (request->path, EVENTS_PATH))
      continue;
    g_array_append_val (pages, number);
    g_array_append_val (*statuses, request->status);
  }
  return pages;
}

/* The listing's requests asked for pages @first, @first + 1, … @last,
 * each once, in any order, and each was answered. */
static void
assert_pages_requested (Fixture * f, guint first, guint last)
{
  g_autoptr (GArray) statuses = NULL;
  g_autoptr (GArray) pages = requested_pages (f, &statuses);
  g_autofree guint *seen = g_new0 (guint, last + 2);

  for (guint i = 0; i < pages->len; i++) {
    guint number = g_array_index (pages, guint, i);

    g_assert_cmpuint (g_array_index (statuses, guint, i), ==, 200);
    g_assert_cmpuint (number, >=, first);
    g_assert_cmpuint (number, <=, last);
    seen[number]++;
  }
  for (guint number = first; number <= last; number++)
    g_assert_cmpuint (seen[number], ==, 1);
}

static const guint start_indexes[] = { 25, 50, 37, 199, 275, 299 };

/* Starting anywhere in a listing paginated by page number: the walk asks
 * for the page that holds the start and those after it, never one before,
 * and numbers its results as the whole listing does. */
static void
test_start_index_requests_no_page_before (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonArray) expected = all_events (f);

  for (guint i = 0; i < G_N_ELEMENTS (start_indexes); i++) {
    guint64 start = start_indexes[i];
    g_autoptr (SynapsePager) pager = events_pager (f, 25, start);
    g_autoptr (GArray) positions = g_array_new (FALSE, FALSE,
        sizeof (guint64));
    g_autoptr (JsonArray) walked = NULL;
    g_autoptr (JsonArray) rest = slice (expected, start, 300);

    synapse_test_backend_clear_requests (f->backend);
    walked = walk (pager, positions);
    kit_assert_events (walked, rest);
    for (guint j = 0; j < positions->len; j++)
      g_assert_cmpuint (g_array_index (positions, guint64, j), ==, start + j);
    /* 300 events at 25 a page: pages 1 to 12 */
    assert_pages_requested (f, start / 25 + 1, 12);
    g_assert_cmpint (synapse_pager_get_total_count (pager), ==, 300);
    g_assert_cmpint (synapse_pager_get_pagination (pager), ==,
        SYNAPSE_PAGINATION_PAGE_NUMBER);
    g_assert_cmpuint (synapse_pager_get_next_index (pager), ==, 300);
  }
}

/* A start at or past the end is an empty walk, not an error. */
static void
test_start_index_past_the_end (Fixture * f, gconstpointer data)
{
  const guint64 starts[] = { 300, 301, 350, 100000 };

  for (guint i = 0; i < G_N_ELEMENTS (starts); i++) {
    g_autoptr (SynapsePager) pager = events_pager (f, 25, starts[i]);
    g_autoptr (GError) error = NULL;

    g_assert_null (synapse_pager_next (pager, NULL, &error));
    g_assert_no_error (error);
    g_assert_null (synapse_pager_next (pager, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (synapse_pager_get_position (pager), ==, 0);
  }
}

/* With a limit, the walk asks for no page past the last result wanted,
 * not even ahead. */
static void
test_start_index_with_limit (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonArray) expected = all_events (f);
  const guint prefetches[] = { 1, 4 };

  for (guint i = 0; i < G_N_ELEMENTS (prefetches); i++) {
    g_autoptr (SynapsePager) pager = NULL;
    g_autoptr (JsonArray) walked = NULL;
    g_autoptr (JsonArray) want = slice (expected, 30, 60);

    g_object_set (f->client, "prefetch", prefetches[i], NULL);
    pager = events_pager (f, 25, 30);
    synapse_pager_set_limit (pager, 30);
    synapse_test_backend_clear_requests (f->backend);
    walked = walk (pager, NULL);
    kit_assert_events (walked, want);
    /* results 30 to 59: pages 2 and 3 */
    assert_pages_requested (f, 2, 3);
  }
}

/* A walk stopped part way resumes from its next index: together, the two
 * hand out the listing once. */
static void
test_resume_from_next_index (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonArray) expected = all_events (f);
  g_autoptr (SynapsePager) first = events_pager (f, 40, 0);
  g_autoptr (SynapsePager) resumed = NULL;
  g_autoptr (JsonArray) walked = json_array_new ();
  g_autoptr (JsonArray) rest = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 57; i++) {
    JsonObject *event = synapse_pager_next (first, NULL, &error);
    JsonNode *node = json_node_new (JSON_NODE_OBJECT);

    g_assert_no_error (error);
    json_node_take_object (node, event);
    json_array_add_element (walked, node);
  }
  g_assert_cmpuint (synapse_pager_get_next_index (first), ==, 57);

  resumed = events_pager (f, 40, synapse_pager_get_next_index (first));
  rest = walk (resumed, NULL);
  for (guint i = 0; i < json_array_get_length (rest); i++)
    json_array_add_element (walked,
        json_node_ref (json_array_get_element (rest, i)));
  kit_assert_events (walked, expected);
}

/* Shards 0 … N-1 of a listing whose page count is not a multiple of N:
 * each hands out its pages' results in order, numbered as in the whole
 * listing; together they hand out the listing exactly once; no page is
 * requested twice, and page 1 only by shard 0. */
static void
assert_shards_cover_the_listing (Fixture * f, guint shard_count,
    guint prefetch)
{
  g_autoptr (JsonArray) expected = all_events (f);
  g_autofree JsonNode **by_index = g_new0 (JsonNode *, 300);
  g_autoptr (GArray) statuses = NULL;
  g_autoptr (GArray) pages = NULL;
  g_autofree guint *seen = g_new0 (guint, 15);

  g_object_set (f->client, "prefetch", prefetch, NULL);
  synapse_test_backend_clear_requests (f->backend);
  for (guint i = 0; i < shard_count; i++) {
    g_autoptr (SynapsePager) pager = events_pager (f, 23, 0);
    g_autoptr (GArray) positions = g_array_new (FALSE, FALSE,
        sizeof (guint64));
    g_autoptr (JsonArray) walked = NULL;
    g_autoptr (GArray) own_statuses = NULL;
    g_autoptr (GArray) own = NULL;

    synapse_pager_set_shard (pager, i, shard_count);
    walked = walk (pager, positions);
    for (guint j = 0; j < positions->len; j++) {
      guint64 index = g_array_index (positions, guint64, j);

      if (j > 0)
        g_assert_cmpuint (index, >, g_array_index (positions, guint64,
                j - 1));
      /* shard i reads pages i + 1, i + 1 + N, … (23 results a page) */
      g_assert_cmpuint ((index / 23) % shard_count, ==, i);
      g_assert_cmpuint (index, <, 300);
      g_assert_null (by_index[index]);
      by_index[index] = json_node_ref (json_array_get_element (walked, j));
    }

    own = requested_pages (f, &own_statuses);
    synapse_test_backend_clear_requests (f->backend);
    for (guint j = 0; j < own->len; j++) {
      guint number = g_array_index (own, guint, j);

      g_assert_cmpuint (g_array_index (own_statuses, guint, j), ==, 200);
      g_assert_cmpuint ((number - 1) % shard_count, ==, i);
      g_assert_cmpuint (number, <=, 14);
      seen[number]++;
    }
  }
  for (guint index = 0; index < 300; index++) {
    g_assert_nonnull (by_index[index]);
    g_assert_true (json_node_equal (by_index[index],
            json_array_get_element (expected, index)));
    json_node_unref (by_index[index]);
  }
  /* 300 events at 23 a page: 14 pages, each asked for once */
  for (guint number = 1; number <= 14; number++)
    g_assert_cmpuint (seen[number], ==, 1);
}

static void
test_shards_cover_the_listing (Fixture * f, gconstpointer data)
{
  const guint counts[] = { 1, 2, 3, 7 };

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++) {
    assert_shards_cover_the_listing (f, counts[i], 1);
    assert_shards_cover_the_listing (f, counts[i], 4);
  }
}

/* A shard resumes as a walk does: from its next index, with its shards. */
static void
test_shard_resumes (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapsePager) whole = events_pager (f, 23, 0);
  g_autoptr (SynapsePager) first = events_pager (f, 23, 0);
  g_autoptr (SynapsePager) resumed = NULL;
  g_autoptr (JsonArray) want = NULL;
  g_autoptr (JsonArray) walked = json_array_new ();
  g_autoptr (JsonArray) rest = NULL;
  g_autoptr (GError) error = NULL;

  synapse_pager_set_shard (whole, 1, 3);
  want = walk (whole, NULL);
  synapse_pager_set_shard (first, 1, 3);
  /* into its second page (page 5, results 92 to 114) */
  for (guint i = 0; i < 30; i++) {
    JsonNode *node = json_node_new (JSON_NODE_OBJECT);

    json_node_take_object (node, synapse_pager_next (first, NULL, &error));
    g_assert_no_error (error);
    json_array_add_element (walked, node);
  }
  g_assert_cmpuint (synapse_pager_get_next_index (first), ==, 92 + 7);

  resumed = events_pager (f, 23, synapse_pager_get_next_index (first));
  synapse_pager_set_shard (resumed, 1, 3);
  rest = walk (resumed, NULL);
  for (guint i = 0; i < json_array_get_length (rest); i++)
    json_array_add_element (walked,
        json_node_ref (json_array_get_element (rest, i)));
  kit_assert_events (walked, want);
}

/* A shard whose first page is past the end has nothing to read: it
 * learns so from the backend's 404 and the first page's count. */
static void
test_shard_past_the_last_page (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapsePager) pager = events_pager (f, 100, 0);
  g_autoptr (GError) error = NULL;

  /* 3 pages of 100; shard 5 of 8 would start at page 6 */
  synapse_pager_set_shard (pager, 5, 8);
  g_assert_null (synapse_pager_next (pager, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          EVENTS_PATH), ==, 2);
  g_assert_cmpint (synapse_pager_get_total_count (pager), ==, 300);
}

/* A backend whose pages are smaller than asked (its largest page size):
 * the walk finds the real size from the first page and still starts at
 * the right result. */
static void
test_start_index_smaller_pages_than_asked (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonArray) expected = all_events (f);
  g_autoptr (SynapsePager) pager = events_pager (f, 50, 137);
  g_autoptr (JsonArray) walked = NULL;
  g_autoptr (JsonArray) rest = slice (expected, 137, 300);
  g_autoptr (GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint64));

  /* 20 a page at most: page 3 (asked for, at 50 a page) is results 40 … */
  walked = walk (pager, positions);
  kit_assert_events (walked, rest);
  g_assert_cmpuint (g_array_index (positions, guint64, 0), ==, 137);
}

/* A listing by cursor: the walk starts from the first page and drops
 * what comes before the start; shards are refused, for good. */
static void
test_cursor_listing (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonArray) expected = all_events (f);
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (SynapsePager) shard = NULL;
  g_autoptr (JsonArray) walked = NULL;
  g_autoptr (JsonArray) rest = slice (expected, 137, 300);
  g_autoptr (GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (GError) error = NULL;

  synapse_test_backend_set_cursor_pagination (f->backend, TRUE);
  pager = events_pager (f, 25, 137);
  walked = walk (pager, positions);
  kit_assert_events (walked, rest);
  g_assert_cmpuint (g_array_index (positions, guint64, 0), ==, 137);
  g_assert_cmpint (synapse_pager_get_pagination (pager), ==,
      SYNAPSE_PAGINATION_OTHER);
  /* every page, from the first */
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          EVENTS_PATH), ==, 12);

  shard = events_pager (f, 25, 0);
  synapse_pager_set_shard (shard, 0, 2);
  for (guint i = 0; i < 2; i++) {
    g_clear_error (&error);
    g_assert_null (synapse_pager_next (shard, NULL, &error));
    g_assert_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "cannot be split into shards"));
  }
  g_assert_cmpuint (synapse_test_backend_count_requests (f->backend,
          EVENTS_PATH), ==, 13);
}

/* A listing that changes while it is read by page number would have the
 * walk skip or repeat results: it fails, saying so. */
static void
test_count_changes_mid_walk (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonArray) expected = all_events (f);
  g_autoptr (SynapsePager) pager = events_pager (f, 25, 60);
  g_autoptr (JsonArray) walked = json_array_new ();
  g_autoptr (JsonArray) want = slice (expected, 60, 100);
  g_autoptr (GError) error = NULL;
  JsonArray *page;

  kit_add_fault (f->backend, "relink path=" EVENTS_PATH " query=page=5 "
      "count=301");
  while ((page = synapse_pager_next_page (pager, NULL, &error))) {
    for (guint i = 0; i < json_array_get_length (page); i++)
      json_array_add_element (walked,
          json_node_ref (json_array_get_element (page, i)));
    json_array_unref (page);
  }
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "the listing changed"));
  kit_assert_events (walked, want);
}

/* A page whose link does not go on to the next page number. */
static void
test_numbered_page_links_elsewhere (Fixture * f, gconstpointer data)
{
  g_autoptr (SynapsePager) pager = events_pager (f, 25, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) walked = NULL;
  JsonArray *page;
  guint pages = 0;

  kit_add_fault (f->backend, "relink path=" EVENTS_PATH " query=page=3 "
      "next=page=7");
  synapse_pager_set_shard (pager, 0, 2);
  while ((page = synapse_pager_next_page (pager, NULL, &error))) {
    pages++;
    json_array_unref (page);
  }
  g_assert_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "does not link on"));
  /* pages 1 and 3, and not the results of page 3 */
  g_assert_cmpuint (pages, ==, 1);
}

static char *
to_cdn (const char *url, gpointer user_data, GError ** error)
{
  guint *calls = user_data;

  (*calls)++;
  return g_strconcat ("https://cdn.example.com", strstr (url, "/media/"),
      NULL);
}

/* Only the results handed out are converted: not those before the start
 * (nor, with shards, those of another shard's pages). */
static void
test_only_results_handed_out_are_converted (Fixture * f, gconstpointer data)
{
  g_autoptr (JsonArray) expected = all_events (f);
  const guint prefetches[] = { 1, 4 };

  for (guint i = 0; i < G_N_ELEMENTS (prefetches); i++) {
    guint calls = 0;
    g_autoptr (SynapseUrlConversion) conversion =
        synapse_url_conversion_new_converter (NULL, to_cdn, &calls, NULL);
    g_autoptr (JsonObject) params = json_object_new ();
    g_autoptr (SynapsePager) pager = NULL;
    g_autoptr (GArray) positions = g_array_new (FALSE, FALSE,
        sizeof (guint64));
    g_autoptr (JsonArray) walked = NULL;

    g_object_set (f->client, "prefetch", prefetches[i], NULL);
    json_object_set_int_member (params, "page_size", 25);
    pager = synapse_client_iter_ground_truth_events (f->client, params,
        conversion);
    synapse_pager_set_start_index (pager, 37);
    synapse_pager_set_limit (pager, 40);
    synapse_pager_set_shard (pager, 1, 2);
    walked = walk (pager, positions);
    /* shard 1 of 2 from 37: pages 2 (37 to 49), 4 (75 to 99), 6 (125 …) */
    g_assert_cmpuint (json_array_get_length (walked), ==, 40);
    g_assert_cmpuint (g_array_index (positions, guint64, 0), ==, 37);
    g_assert_cmpuint (g_array_index (positions, guint64, 13), ==, 75);
    g_assert_cmpuint (g_array_index (positions, guint64, 38), ==, 125);
    /* "files" by default: two URLs an event */
    g_assert_cmpuint (calls, ==, 80);
    for (guint j = 0; j < json_array_get_length (walked); j++) {
      JsonObject *event = json_array_get_object_element (walked, j);
      JsonObject *original = json_array_get_object_element (expected,
          g_array_index (positions, guint64, j));

      g_assert_cmpint (json_object_get_int_member (event, "id"), ==,
          json_object_get_int_member (original, "id"));
      g_assert_true (g_str_has_prefix (json_object_get_string_member
              (json_object_get_object_member (event, "files"), "image"),
              "https://cdn.example.com/media/"));
    }
  }
}

static void
small_pages_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions options = {
    .token = TEST_TOKEN,
    .events = 100,
    .models = 5,
    .seed = 1,
    .max_page_size = 20,
  };

  fixture_set_up (f, &options);
}

int
main (int argc, char **argv)
{
  kit_init (&argc, &argv);

  FIXTURE_ADD ("/resume/start-index/no-page-before",
      test_start_index_requests_no_page_before);
  FIXTURE_ADD ("/resume/start-index/past-the-end",
      test_start_index_past_the_end);
  FIXTURE_ADD ("/resume/start-index/limit", test_start_index_with_limit);
  FIXTURE_ADD ("/resume/next-index", test_resume_from_next_index);
  FIXTURE_ADD ("/resume/cursor-listing", test_cursor_listing);
  FIXTURE_ADD ("/resume/count-changes", test_count_changes_mid_walk);
  FIXTURE_ADD ("/resume/converted", test_only_results_handed_out_are_converted);
  g_test_add ("/resume/start-index/smaller-pages", Fixture, NULL,
      small_pages_set_up, test_start_index_smaller_pages_than_asked,
      fixture_tear_down);
  FIXTURE_ADD ("/shard/cover-the-listing", test_shards_cover_the_listing);
  FIXTURE_ADD ("/shard/resumes", test_shard_resumes);
  FIXTURE_ADD ("/shard/past-the-last-page", test_shard_past_the_last_page);
  FIXTURE_ADD ("/shard/link-elsewhere", test_numbered_page_links_elsewhere);

  return g_test_run ();
}
