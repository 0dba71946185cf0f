/* kit-gst.c: what every C test shares, the GStreamer part
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <string.h>

#include "kit-gst.h"

#define DEFAULT_TIMEOUT_S 20

/* @path with its links resolved; NULL when it does not exist. */
static char *
dup_real_path (const char *path)
{
  char *real = realpath (path, NULL);
  char *copy = g_strdup (real);

  free (real);
  return copy;
}

static void
assert_plugin_is_this_builds (void)
{
  const char *path = g_getenv ("GST_PLUGIN_PATH");
  g_autoptr (GstPlugin) found = NULL;
  g_autoptr (GstPlugin) plugin = NULL;
  g_autofree char *file = NULL;
  g_auto (GStrv) folders = NULL;

  if (path == NULL || *path == '\0')
    g_error ("GST_PLUGIN_PATH does not name this build's plugin folder "
        "(meson test sets it)");
  found = gst_registry_find_plugin (gst_registry_get (), "synapse");
  if (found == NULL)
    g_error ("GStreamer finds no synapse plugin (GST_PLUGIN_PATH=%s)", path);
  /* the file it is loaded from, not only the registry's word for it */
  plugin = gst_plugin_load (found);
  g_assert_nonnull (plugin);
  file = dup_real_path (gst_plugin_get_filename (plugin));
  g_assert_nonnull (file);
  folders = g_strsplit (path, G_SEARCHPATH_SEPARATOR_S, -1);
  for (guint i = 0; folders[i]; i++) {
    g_autofree char *folder = dup_real_path (folders[i]);
    g_autofree char *prefix = folder ?
        g_strconcat (folder, G_DIR_SEPARATOR_S, NULL) : NULL;

    if (prefix && g_str_has_prefix (file, prefix))
      return;
  }
  g_error ("the synapse plugin loaded is %s, not this build's (none of "
      "GST_PLUGIN_PATH=%s)", file, path);
}

void
kit_gst_init (int *argc, char ***argv)
{
  kit_init (argc, argv);
  gst_init (argc, argv);
  assert_plugin_is_this_builds ();
}

GstElement *
kit_pipeline_new (const char *launch, const char *name, const char *url,
    const char *token)
{
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (launch, &error);
  GstElement *element;

  g_assert_no_error (error);
  element = kit_get_element (pipeline, name);
  g_object_set (element, "base-url", url, NULL);
  if (token)
    g_object_set (element, "access-token", token, NULL);
  return pipeline;
}

GstElement *
kit_get_element (GstElement * pipeline, const char *name)
{
  GstElement *element = gst_bin_get_by_name (GST_BIN (pipeline), name);

  g_assert_nonnull (element);
  gst_object_unref (element);   /* the pipeline keeps it alive */
  return element;
}

/* --- runs --------------------------------------------------------------- */

struct _KitLog
{
  GMutex lock;
  GCond cond;
  GPtrArray *messages;
  KitMessageHook hook;
  gpointer hook_data;
};

static GstBusSyncReply
keep_message (GstBus * bus, GstMessage * message, gpointer user_data)
{
  KitLog *log = user_data;

  if (log->hook)
    log->hook (message, log->hook_data);
  g_mutex_lock (&log->lock);
  g_ptr_array_add (log->messages, message);
  g_cond_broadcast (&log->cond);
  g_mutex_unlock (&log->lock);
  /* kept here: nothing waits on the bus. A handler that drops a message
   * owns the bus's reference to it, the one the log keeps. */
  return GST_BUS_DROP;
}

static void
log_start (KitRun * run, GstElement * pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  KitLog *log = g_new0 (KitLog, 1);

  g_assert_null (run->log);
  g_mutex_init (&log->lock);
  g_cond_init (&log->cond);
  log->messages =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_message_unref);
  log->hook = run->hook;
  log->hook_data = run->hook_data;
  run->log = log;
  run->pipeline = gst_object_ref (pipeline);
  run->deadline = g_get_monotonic_time () + kit_timeout_multiplier () *
      (run->timeout_s ? run->timeout_s : DEFAULT_TIMEOUT_S) * G_USEC_PER_SEC;
  gst_bus_set_sync_handler (bus, keep_message, log, NULL);
}

/* Stops keeping messages; they become the run's. */
static void
log_stop (KitRun * run)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (run->pipeline);
  KitLog *log = g_steal_pointer (&run->log);

  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  run->messages = g_steal_pointer (&log->messages);
  g_mutex_clear (&log->lock);
  g_cond_clear (&log->cond);
  g_free (log);
}

/* How the run ended: EOS, the first error. */
static void
read_outcome (KitRun * run)
{
  for (guint i = 0; i < run->messages->len; i++) {
    GstMessage *message = run->messages->pdata[i];

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS)
      run->eos = TRUE;
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR && !run->error) {
      const GstStructure *details = NULL;

      run->error = message;
      gst_message_parse_error (message, &run->gerror, &run->debug);
      gst_message_parse_error_details (message, &details);
      run->details = details ? gst_structure_copy (details) : NULL;
    }
  }
}

void
kit_run_clear (KitRun * run)
{
  if (run->log)
    kit_run_stop (run);
  gst_clear_object (&run->pipeline);
  g_clear_pointer (&run->messages, g_ptr_array_unref);
  run->error = NULL;
  g_clear_error (&run->gerror);
  g_clear_pointer (&run->debug, g_free);
  g_clear_pointer (&run->details, gst_structure_free);
}

GstStateChangeReturn
kit_run_start (KitRun * run, GstElement * pipeline)
{
  log_start (run, pipeline);
  return gst_element_set_state (pipeline, GST_STATE_PLAYING);
}

/* Whether @type is one of @types. Extended types (GST_MESSAGE_EXTENDED
 * plus a small number, e.g. STREAM_COLLECTION) are not flags: as a mask,
 * 0x80000003 would match EOS | ERROR. */
static gboolean
is_one_of (GstMessageType type, GstMessageType types)
{
  if (type & GST_MESSAGE_EXTENDED)
    return type == types;
  return (type & types) != 0;
}

GstMessage *
kit_run_wait (KitRun * run, GstMessageType types)
{
  KitLog *log = run->log;
  GstMessage *found = NULL;

  g_assert_nonnull (log);
  g_mutex_lock (&log->lock);
  for (guint i = 0; !found;) {
    for (; i < log->messages->len && !found; i++)
      if (is_one_of (GST_MESSAGE_TYPE (log->messages->pdata[i]), types))
        found = log->messages->pdata[i];
    if (!found && !g_cond_wait_until (&log->cond, &log->lock, run->deadline))
      break;
  }
  g_mutex_unlock (&log->lock);
  if (!found)
    g_error ("the run's time was up before the pipeline posted the "
        "message waited for");
  return found;
}

void
kit_run_stop (KitRun * run)
{
  gst_element_set_state (run->pipeline, GST_STATE_NULL);
  log_stop (run);
  read_outcome (run);
}

void
kit_run_stop_promptly (KitRun * run)
{
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpint (gst_element_set_state (run->pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  g_assert_cmpint (g_get_monotonic_time () - start, <,
      kit_timeout_multiplier () * G_USEC_PER_SEC / 2);
  kit_run_stop (run);
}

void
kit_run_end (KitRun * run)
{
  kit_run_wait (run, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  kit_run_stop (run);
}

void
kit_run_pipeline (KitRun * run, GstElement * pipeline)
{
  kit_run_start (run, pipeline);
  kit_run_end (run);
}

void
kit_run_refused (KitRun * run, GstElement * pipeline, GstState state)
{
  log_start (run, pipeline);
  g_assert_cmpint (gst_element_set_state (pipeline, state), ==,
      GST_STATE_CHANGE_FAILURE);
  kit_run_stop (run);
  g_assert_nonnull (run->error);
}

void
kit_run_assert_eos (KitRun * run)
{
  if (run->gerror)
    g_error ("unexpected error: %s (%s)", run->gerror->message, run->debug);
  g_assert_true (run->eos);
}

void
kit_run_assert_error_from (KitRun * run, const char *name)
{
  g_assert_nonnull (run->error);
  g_assert_true (GST_IS_ELEMENT (GST_MESSAGE_SRC (run->error)));
  g_assert_cmpstr (GST_MESSAGE_SRC_NAME (run->error), ==, name);
}

GstMessage *
kit_run_find (KitRun * run, GstMessageType type)
{
  for (guint i = 0; i < run->messages->len; i++) {
    GstMessage *message = run->messages->pdata[i];

    if (GST_MESSAGE_TYPE (message) == type)
      return message;
  }
  return NULL;
}

GstMessage *
kit_run_find_element_message (KitRun * run, const char *name)
{
  for (guint i = 0; i < run->messages->len; i++) {
    GstMessage *message = run->messages->pdata[i];

    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ELEMENT
        && gst_message_has_name (message, name))
      return message;
  }
  return NULL;
}

GPtrArray *
kit_run_dup_warnings (KitRun * run)
{
  GPtrArray *warnings =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);

  for (guint i = 0; i < run->messages->len; i++) {
    GError *warning = NULL;

    if (GST_MESSAGE_TYPE (run->messages->pdata[i]) != GST_MESSAGE_WARNING)
      continue;
    gst_message_parse_warning (run->messages->pdata[i], &warning, NULL);
    g_ptr_array_add (warnings, warning);
  }
  return warnings;
}

GstProgressType
kit_run_last_progress (KitRun * run)
{
  GstProgressType last = GST_PROGRESS_TYPE_ERROR;
  guint progress = 0;

  for (guint i = 0; i < run->messages->len; i++) {
    if (GST_MESSAGE_TYPE (run->messages->pdata[i]) == GST_MESSAGE_PROGRESS) {
      gst_message_parse_progress (run->messages->pdata[i], &last, NULL, NULL);
      progress++;
    }
  }
  g_assert_cmpuint (progress, >, 0);
  return last;
}

void
kit_assert_no_secret_in (const char *text, const char *const *secrets,
    const char *where)
{
  if (text == NULL)
    return;
  for (guint i = 0; secrets[i]; i++) {
    if (strstr (text, secrets[i]))
      g_error ("a secret (%s) appears in %s", secrets[i], where);
  }
}

void
kit_run_assert_no_secret (KitRun * run, const char *const *secrets)
{
  for (guint i = 0; i < run->messages->len; i++) {
    GstMessage *message = run->messages->pdata[i];
    const GstStructure *s = gst_message_get_structure (message);
    g_autofree char *text = s ? gst_structure_to_string (s) : NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *debug = NULL;
    const GstStructure *details = NULL;
    g_autofree char *details_text = NULL;

    kit_assert_no_secret_in (text, secrets, "a bus message");
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (message, &error, &debug);
      gst_message_parse_error_details (message, &details);
    } else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_WARNING) {
      gst_message_parse_warning (message, &error, &debug);
      gst_message_parse_warning_details (message, &details);
    } else {
      continue;
    }
    details_text = details ? gst_structure_to_string (details) : NULL;
    kit_assert_no_secret_in (error->message, secrets, "an error message");
    kit_assert_no_secret_in (debug, secrets, "an error's debug string");
    kit_assert_no_secret_in (details_text, secrets, "an error's details");
  }
}

/* Runs @test_path in a child with GST_DEBUG=*:9 into @log_path; returns
 * the log, and the child's output in @output. */
static char *
run_logged_child (const char *test_path, const char *log_path, char **output)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *const argv[] = { self, "-p", test_path, NULL };
  const char *const env[] = { "GST_DEBUG", "*:9", "GST_DEBUG_FILE", log_path,
    "GST_DEBUG_NO_COLOR", "1", "G_MESSAGES_DEBUG", "all", NULL
  };
  g_autoptr (GError) error = NULL;
  char *log = NULL;
  gsize log_size = 0;

  g_assert_nonnull (self);
  if (!kit_spawn (argv, env, output))
    g_error ("the child running %s failed:\n%s", test_path, *output);
  g_assert_true (g_file_get_contents (log_path, &log, &log_size, &error));
  g_assert_no_error (error);
  g_test_message ("GST_DEBUG=*:9 log of %s: %" G_GSIZE_FORMAT " bytes",
      test_path, log_size);
  return log;
}

void
kit_assert_child_logs_no_secret (const char *test_path, const char *dir,
    const char *const *logged, const char *const *secrets)
{
  g_autofree char *log_path = g_build_filename (dir, "gst.log", NULL);
  g_autofree char *output = NULL;
  g_autofree char *log = run_logged_child (test_path, log_path, &output);

  for (guint i = 0; logged[i]; i++) {
    if (!strstr (log, logged[i]))
      g_error ("the GST_DEBUG=*:9 log of %s does not hold \"%s\"", test_path,
          logged[i]);
  }
  kit_assert_no_secret_in (log, secrets, "the GST_DEBUG=*:9 log");
  kit_assert_no_secret_in (output, secrets,
      "the output (G_MESSAGES_DEBUG=all)");
}

void
kit_assert_connection_from_environment (const char *factory)
{
  g_autoptr (GstElement) element = NULL;
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  g_autofree char *tenant = NULL;

  g_setenv ("SYNAPSE_BACKEND_URL", "https://synapse.example.com/", TRUE);
  g_setenv ("SYNAPSE_ACCESS_TOKEN", "kit-Environment-Token-8e3b", TRUE);
  g_setenv ("SYNAPSE_TENANT", "acme", TRUE);
  element = gst_object_ref_sink (gst_element_factory_make (factory, NULL));
  g_unsetenv ("SYNAPSE_BACKEND_URL");
  g_unsetenv ("SYNAPSE_ACCESS_TOKEN");
  g_unsetenv ("SYNAPSE_TENANT");

  g_assert_nonnull (element);
  /* the properties read what was set on them, never the environment
   * (gst-inspect-1.0 shows those reads as the defaults); test-refusals
   * runs elements on what they took from it */
  g_object_get (element, "base-url", &url, "access-token", &token, "tenant",
      &tenant, NULL);
  g_assert_null (url);
  g_assert_null (tenant);
  g_assert_null (token);

  g_object_set (element, "base-url", "https://synapse.example.com/",
      "access-token", "kit-Property-Token-51c2", "tenant", "acme", NULL);
  g_clear_pointer (&url, g_free);
  g_clear_pointer (&tenant, g_free);
  g_object_get (element, "base-url", &url, "access-token", &token, "tenant",
      &tenant, NULL);
  g_assert_cmpstr (url, ==, "https://synapse.example.com/");
  g_assert_cmpstr (tenant, ==, "acme");
  /* the token is never read back */
  g_assert_cmpstr (token, ==, "********");
  g_clear_pointer (&token, g_free);

  g_object_set (element, "access-token", NULL, NULL);
  g_object_get (element, "access-token", &token, NULL);
  g_assert_null (token);
  g_object_set (element, "access-token", "", NULL);
  g_object_get (element, "access-token", &token, NULL);
  g_assert_null (token);
}
