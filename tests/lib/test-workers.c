/* Tests of the client's workers against the local backend: a bound of one
 * thread slows the client down but never stalls it, a caller that gives
 * up stops the work done for it, and a client may be released by the
 * very call it runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "kit-fixture.h"

static void
store_result (GObject * source, GAsyncResult * result, gpointer data)
{
  GAsyncResult **stored = data;

  *stored = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (GAsyncResult ** result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* An _async walk runs in the one worker and waits there for the pages it
 * fetches ahead, which wait for their downloads: with no worker free,
 * each waiter runs what it waits for. */
static void
test_one_thread_runs_everything (Fixture * f, gconstpointer data)
{
  const char *fields[] = { "files", "data_unit.files", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = kit_version_params (1, 10);
  g_autoptr (SynapseUrlConversion) conversion =
      synapse_url_conversion_new_download (fields, f->tmpdir);
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (JsonArray) events = NULL;

  g_object_set (f->client, "worker-threads", 1, "prefetch", 8, NULL);
  synapse_url_conversion_set_max_downloads (conversion, 4);
  synapse_client_list_ground_truth_events_async (f->client, params,
      conversion, TRUE, NULL, store_result, &result);
  events = synapse_client_list_ground_truth_events_finish (f->client,
      wait_for_result (&result), NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpuint (json_array_get_length (events), ==, 100);
  for (guint i = 0; i < 100; i++)
    kit_assert_event_downloaded (f->backend, json_array_get_object_element
        (events, i), json_array_get_object_element (sent, i), f->tmpdir);
  /* 10 pages, each asked once */
  g_assert_cmpuint (kit_count_requests (f->backend, "GET",
          "ground_truth_events/", 0), ==, 10);
}

/* Appends the results of @page (taken) to @walked. */
static void
add_page (JsonArray * walked, JsonArray * page)
{
  for (guint i = 0; i < json_array_get_length (page); i++)
    json_array_add_element (walked, json_array_dup_element (page, i));
  json_array_unref (page);
}

/* Page 2 never comes while pages 3-5 are fetched ahead, each in a worker
 * by the time the caller gives up waiting: the call stops them, and the
 * next call asks for page 2 again and goes on, losing and repeating
 * nothing. A fetch left running would hold the walk for ever: there is no
 * timeout. */
static void
test_cancel_stops_the_fetches_ahead (Fixture * f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) params = kit_version_params (1, 10);
  g_autoptr (JsonArray) sent = synapse_test_backend_dup_events (f->backend, 1);
  g_autoptr (JsonArray) walked = json_array_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (SynapsePager) pager = NULL;
  JsonArray *page;

  /* no timeout: only the cancellation ends the stalled request */
  g_object_set (f->client, "timeout", 0, NULL);
  kit_add_fault (f->backend, "stall query=page=2 times=1");
  pager = synapse_client_iter_ground_truth_events (f->client, params, NULL);
  synapse_pager_set_prefetch (pager, 4);
  add_page (walked, synapse_pager_next_page (pager, NULL, &error));
  g_assert_no_error (error);

  /* the first page and the 4 ahead reached the backend: workers run the
   * fetches, none is left for the caller to run itself */
  kit_wait_for_requests (f->backend, "ground_truth_events/", 5);
  g_cancellable_cancel (cancellable);
  g_assert_null (synapse_pager_next_page (pager, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  while ((page = synapse_pager_next_page (pager, NULL, &error)))
    add_page (walked, page);
  g_assert_no_error (error);
  kit_assert_events (walked, sent);
  /* page 2 was asked for again */
  g_assert_cmpuint (kit_count_requests (f->backend, "GET",
          "ground_truth_events/", 0), >=, 11);
}

typedef struct
{
  gboolean done;
  guint64 total;
  GError *error;
} ModelsOutcome;

static void
store_models_outcome (GObject * source, GAsyncResult * result, gpointer data)
{
  ModelsOutcome *outcome = data;
  g_autoptr (JsonArray) models = NULL;

  models = synapse_client_list_models_finish (SYNAPSE_CLIENT (source), result,
      &outcome->total, &outcome->error);
  outcome->done = TRUE;
}

/* The last reference to a client may go with the task of its own call,
 * in one of its workers (the callback keeps nothing): the client lets its
 * workers go without waiting for that very one. */
static void
test_client_released_by_its_own_call (Fixture * f, gconstpointer data)
{
  for (guint round = 0; round < 10; round++) {
    SynapseClient *client = kit_client_new (f->url, TEST_TOKEN);
    ModelsOutcome outcome = { 0 };

    synapse_client_list_models_async (client, NULL, NULL,
        store_models_outcome, &outcome);
    g_object_unref (client);
    while (!outcome.done)
      g_main_context_iteration (NULL, TRUE);
    g_assert_no_error (outcome.error);
    g_assert_cmpuint (outcome.total, ==, 5);
  }
}

int
main (int argc, char **argv)
{
  kit_init (&argc, &argv);

  FIXTURE_ADD ("/workers/one-thread-runs-everything",
      test_one_thread_runs_everything);
  FIXTURE_ADD ("/workers/cancel-stops-the-fetches-ahead",
      test_cancel_stops_the_fetches_ahead);
  FIXTURE_ADD ("/workers/client-released-by-its-own-call",
      test_client_released_by_its_own_call);
  return g_test_run ();
}
