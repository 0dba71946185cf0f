/* kit-gst.h: what every C test shares, the GStreamer part
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tests of the elements and of the faults run pipelines and read what
 * they posted. A KitRun keeps every message a pipeline posts, from the
 * thread that posts it (so nothing is lost when going to NULL flushes the
 * bus), and once stopped holds how the run ended:
 *
 *   g_auto (KitRun) run = { 0 };
 *
 *   kit_run_pipeline (&run, pipeline);
 *   kit_run_assert_eos (&run);
 *
 * kit_run_start (), kit_run_wait () and kit_run_stop () are its steps, for
 * a test that acts in between (feeds a source, pauses, reads a property
 * at EOS, stops in the middle of a request).
 *
 * Besides runs: kit_gst_init (), which checks that the synapse plugin
 * loaded is this build's; pipelines pointed at the backend; and the
 * proofs that no secret shows, in messages or in a GST_DEBUG=*:9 log, and
 * that both elements take their connection from the environment.
 */

#pragma once

#include <gst/gst.h>

#include "kit.h"

G_BEGIN_DECLS

/* kit_init () and gst_init (), then: the synapse plugin GStreamer finds is
 * this build's, its file in a folder of GST_PLUGIN_PATH (which meson test
 * sets to the build's plugin folder), whatever gst-synapse the machine
 * has installed elsewhere. */
void kit_gst_init (int *argc, char ***argv);

/* The pipeline of the launch line @launch, its element @name pointed at
 * the backend at @url with @token (NULL: none set). The token is set as a
 * property, never in the launch line: GStreamer's parser logs launch
 * lines (GST_PIPELINE and default categories, DEBUG level), property
 * assignments included. */
GstElement *kit_pipeline_new (const char *launch, const char *name,
    const char *url, const char *token);

/* The element @name of @pipeline (the pipeline keeps it alive). */
GstElement *kit_get_element (GstElement * pipeline, const char *name);

/* Called from the posting thread for every message of a run, before it is
 * kept: a hook may read the element as it is then, or act on the backend
 * (expire uploads, say). */
typedef void (*KitMessageHook) (GstMessage * message, gpointer user_data);

typedef struct _KitLog KitLog;

typedef struct
{
  /* set before the run (zero: 20 s, no hook) */
  guint timeout_s;              /* for the run to end, from its start */
  KitMessageHook hook;
  gpointer hook_data;

  /* what the run gave, once stopped */
  GPtrArray *messages;          /* (element-type GstMessage) all of them */
  gboolean eos;
  GstMessage *error;            /* the first error, or NULL (in @messages) */
  /* the first error, parsed */
  GError *gerror;
  char *debug;
  GstStructure *details;

  /*< private > */
  GstElement *pipeline;
  KitLog *log;
  gint64 deadline;
} KitRun;

void kit_run_clear (KitRun * run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (KitRun, kit_run_clear);

/* Keeps every message @pipeline posts from now on, and sets it to
 * PLAYING; returns what the state change said (a failure posted its
 * error, which ends the run). */
GstStateChangeReturn kit_run_start (KitRun * run, GstElement * pipeline);

/* The first message of one of @types the run posted, waited for until the
 * run's time is up (which fails the test). */
GstMessage *kit_run_wait (KitRun * run, GstMessageType types);

/* Sets the pipeline to NULL (keeping the messages posted on the way
 * down), stops keeping messages, and reads how the run ended. */
void kit_run_stop (KitRun * run);

/* kit_run_stop (), whose going to NULL must take well under a second: an
 * element blocked in a request or a backoff is woken. */
void kit_run_stop_promptly (KitRun * run);

/* kit_run_wait () for EOS or an error, then kit_run_stop (). */
void kit_run_end (KitRun * run);

/* kit_run_start (), then kit_run_end (). */
void kit_run_pipeline (KitRun * run, GstElement * pipeline);

/* Setting @pipeline to @state fails at once (the elements check their
 * settings at start); the run holds the error posted. */
void kit_run_refused (KitRun * run, GstElement * pipeline, GstState state);

/* The run ended with EOS, and without an error (which it shows). */
void kit_run_assert_eos (KitRun * run);

/* The run's first error was posted by the element named @name. */
void kit_run_assert_error_from (KitRun * run, const char *name);

/* The first message of @type, or NULL. */
GstMessage *kit_run_find (KitRun * run, GstMessageType type);

/* The first element message named @name, or NULL. */
GstMessage *kit_run_find_element_message (KitRun * run, const char *name);

/* The warnings of the run, parsed (element-type GError). */
GPtrArray *kit_run_dup_warnings (KitRun * run);

/* The type of the last progress message; asserts there is one. */
GstProgressType kit_run_last_progress (KitRun * run);

/* None of @secrets (NULL-terminated) is in @text (nullable), which is
 * @where. */
void kit_assert_no_secret_in (const char *text, const char *const *secrets,
    const char *where);

/* No message of the run holds one of @secrets: its structure, and an
 * error's or a warning's message, debug string and details. */
void kit_run_assert_no_secret (KitRun * run, const char *const *secrets);

/* Runs the test @test_path of this program in a child process with
 * GST_DEBUG=*:9 (written to @dir/gst.log) and G_MESSAGES_DEBUG=all, and
 * asserts that the child passed, that its log holds each of @logged
 * (NULL-terminated: it did log the work, in detail), and that neither the
 * log nor the child's output holds one of @secrets. */
void kit_assert_child_logs_no_secret (const char *test_path, const char *dir,
    const char *const *logged, const char *const *secrets);

/* An element of @factory made with SYNAPSE_BACKEND_URL,
 * SYNAPSE_ACCESS_TOKEN and SYNAPSE_TENANT set reads base-url, access-token
 * and tenant as NULL (the environment is a fallback, never read back);
 * set, they read back, the token as ********; setting it to NULL or ""
 * unsets it. */
void kit_assert_connection_from_environment (const char *factory);

G_END_DECLS
