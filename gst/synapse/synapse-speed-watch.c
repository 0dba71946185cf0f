/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* libsoup's timeout ends a read that waits too long, so a server that
 * sends a byte a second, or a `102 Processing` every half second, keeps an
 * attempt alive for ever. The watch measures what an attempt moves instead:
 * its request body as libsoup writes it and its response body as the
 * readers read it (through a counting stream, so every reader is covered),
 * and a timer in a watchdog thread cancels the attempt when a window of
 * time moved too little. */

#include "config.h"

#include "synapse-speed-watch.h"

struct _SynapseSpeedWatch
{
  /* the attempt's cancellable, cancelled with the caller's or by the
   * timer */
  GCancellable *cancellable;
  GCancellable *caller;
  gulong caller_handler;
  guint window_seconds;
  guint64 min_bytes;

  /* the timer runs in the watchdog thread, the counting in the attempt's */
  GMutex lock;
  GSource *timer;               /* NULL once the attempt is over */
  guint64 moved;
  guint64 window_start;         /* what had moved when the window began */
  gint64 deadline;              /* monotonic end of the window */
  gboolean fired;
};

/* One thread for the whole process, whose context runs every watch's
 * timer: the attempts themselves are blocked in libsoup's reads, in the
 * callers' threads or the clients' workers (synapse-workers.c), so the
 * timer cannot be one of their jobs. */
static gpointer
watchdog_run (gpointer data)
{
  GMainContext *context = data;

  for (;;)
    g_main_context_iteration (context, TRUE);
  return NULL;
}

static GMainContext *
watchdog_context (void)
{
  static GMainContext *context = NULL;

  if (g_once_init_enter (&context)) {
    GMainContext *made = g_main_context_new ();

    g_thread_unref (g_thread_new ("synapse-watchdog", watchdog_run, made));
    g_once_init_leave (&context, made);
  }
  return context;
}

static void
watch_clear (gpointer data)
{
  SynapseSpeedWatch *watch = data;

  g_object_unref (watch->cancellable);
  g_clear_object (&watch->caller);
  g_mutex_clear (&watch->lock);
}

static SynapseSpeedWatch *
watch_ref (SynapseSpeedWatch * watch)
{
  return g_atomic_rc_box_acquire (watch);
}

static void
watch_unref (gpointer watch)
{
  g_atomic_rc_box_release_full (watch, watch_clear);
}

static gboolean
timer_dispatch (GSource * source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

/* A source that fires at the ready time it is given, and again at each
 * ready time it is given after that. */
static GSourceFuncs timer_funcs = {
  .dispatch = timer_dispatch,
};

static void
watch_start_window (SynapseSpeedWatch * watch)
{
  watch->window_start = watch->moved;
  watch->deadline = g_get_monotonic_time ()
      + watch->window_seconds * G_USEC_PER_SEC;
  g_source_set_ready_time (watch->timer, watch->deadline);
}

static gboolean
watch_tick (gpointer data)
{
  SynapseSpeedWatch *watch = data;
  gboolean slow;

  g_mutex_lock (&watch->lock);
  if (watch->timer == NULL) {
    g_mutex_unlock (&watch->lock);
    return G_SOURCE_REMOVE;
  }
  /* the window may have been restarted while this waited for the lock */
  if (g_get_monotonic_time () < watch->deadline) {
    g_source_set_ready_time (watch->timer, watch->deadline);
    g_mutex_unlock (&watch->lock);
    return G_SOURCE_CONTINUE;
  }
  slow = watch->moved - watch->window_start < watch->min_bytes;
  if (slow)
    watch->fired = TRUE;
  else
    watch_start_window (watch);
  g_mutex_unlock (&watch->lock);

  if (!slow)
    return G_SOURCE_CONTINUE;
  g_cancellable_cancel (watch->cancellable);
  return G_SOURCE_REMOVE;
}

static void
cancel_attempt (GCancellable * caller, GCancellable * attempt)
{
  g_cancellable_cancel (attempt);
}

SynapseSpeedWatch *
synapse_speed_watch_new (GCancellable * cancellable, guint window_seconds,
    guint64 min_bytes)
{
  SynapseSpeedWatch *watch = g_atomic_rc_box_new0 (SynapseSpeedWatch);

  g_mutex_init (&watch->lock);
  watch->cancellable = g_cancellable_new ();
  watch->window_seconds = window_seconds;
  watch->min_bytes = min_bytes;
  if (cancellable) {
    watch->caller = g_object_ref (cancellable);
    /* runs at once when the caller already gave up */
    watch->caller_handler = g_cancellable_connect (cancellable,
        G_CALLBACK (cancel_attempt), watch->cancellable, NULL);
  }
  if (window_seconds > 0 && min_bytes > 0) {
    GSource *timer = g_source_new (&timer_funcs, sizeof (GSource));

    g_source_set_static_name (timer, "synapse low-speed limit");
    g_source_set_callback (timer, watch_tick, watch_ref (watch), watch_unref);
    g_mutex_lock (&watch->lock);
    watch->timer = timer;
    watch_start_window (watch);
    g_mutex_unlock (&watch->lock);
    g_source_attach (timer, watchdog_context ());
  }
  return watch;
}

void
synapse_speed_watch_free (SynapseSpeedWatch * watch)
{
  GSource *timer;

  g_mutex_lock (&watch->lock);
  timer = g_steal_pointer (&watch->timer);
  g_mutex_unlock (&watch->lock);
  if (timer) {
    g_source_destroy (timer);
    g_source_unref (timer);
  }
  if (watch->caller)
    g_cancellable_disconnect (watch->caller, watch->caller_handler);
  watch_unref (watch);
}

GCancellable *
synapse_speed_watch_get_cancellable (SynapseSpeedWatch * watch)
{
  return watch->cancellable;
}

static void
watch_count (SynapseSpeedWatch * watch, gsize bytes)
{
  g_mutex_lock (&watch->lock);
  watch->moved += bytes;
  g_mutex_unlock (&watch->lock);
}

static void
on_wrote_body_data (SoupMessage * msg, guint size, SynapseSpeedWatch * watch)
{
  watch_count (watch, size);
}

/* The final answer began: waiting for it is over, reading it starts in a
 * window of its own. Interim answers (1xx) are no progress. */
static void
on_got_headers (SoupMessage * msg, SynapseSpeedWatch * watch)
{
  if (SOUP_STATUS_IS_INFORMATIONAL (soup_message_get_status (msg)))
    return;
  g_mutex_lock (&watch->lock);
  if (watch->timer && !watch->fired)
    watch_start_window (watch);
  g_mutex_unlock (&watch->lock);
}

static void
watch_closure_notify (gpointer watch, GClosure * closure)
{
  watch_unref (watch);
}

void
synapse_speed_watch_message (SynapseSpeedWatch * watch, SoupMessage * msg)
{
  g_signal_connect_data (msg, "wrote-body-data",
      G_CALLBACK (on_wrote_body_data), watch_ref (watch),
      watch_closure_notify, 0);
  g_signal_connect_data (msg, "got-headers", G_CALLBACK (on_got_headers),
      watch_ref (watch), watch_closure_notify, 0);
}

/* The counting stream handed to readers. */
#define SYNAPSE_TYPE_COUNTING_STREAM (synapse_counting_stream_get_type ())
G_DECLARE_FINAL_TYPE (SynapseCountingStream, synapse_counting_stream,
    SYNAPSE, COUNTING_STREAM, GFilterInputStream);

struct _SynapseCountingStream
{
  GFilterInputStream parent_instance;

  SynapseSpeedWatch *watch;
};

G_DEFINE_FINAL_TYPE (SynapseCountingStream, synapse_counting_stream,
    G_TYPE_FILTER_INPUT_STREAM);

static gssize
synapse_counting_stream_read (GInputStream * stream, void *buffer,
    gsize count, GCancellable * cancellable, GError ** error)
{
  SynapseCountingStream *self = SYNAPSE_COUNTING_STREAM (stream);
  GInputStream *base = g_filter_input_stream_get_base_stream
      (G_FILTER_INPUT_STREAM (stream));
  gssize n = g_input_stream_read (base, buffer, count, cancellable, error);

  if (n > 0)
    watch_count (self->watch, n);
  return n;
}

static gssize
synapse_counting_stream_skip (GInputStream * stream, gsize count,
    GCancellable * cancellable, GError ** error)
{
  SynapseCountingStream *self = SYNAPSE_COUNTING_STREAM (stream);
  GInputStream *base = g_filter_input_stream_get_base_stream
      (G_FILTER_INPUT_STREAM (stream));
  gssize n = g_input_stream_skip (base, count, cancellable, error);

  if (n > 0)
    watch_count (self->watch, n);
  return n;
}

static void
synapse_counting_stream_finalize (GObject * object)
{
  SynapseCountingStream *self = SYNAPSE_COUNTING_STREAM (object);

  watch_unref (self->watch);
  G_OBJECT_CLASS (synapse_counting_stream_parent_class)->finalize (object);
}

static void
synapse_counting_stream_class_init (SynapseCountingStreamClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = synapse_counting_stream_finalize;
  stream_class->read_fn = synapse_counting_stream_read;
  stream_class->skip = synapse_counting_stream_skip;
}

static void
synapse_counting_stream_init (SynapseCountingStream * self)
{
}

GInputStream *
synapse_speed_watch_wrap_body (SynapseSpeedWatch * watch, GInputStream * body)
{
  SynapseCountingStream *stream = g_object_new (SYNAPSE_TYPE_COUNTING_STREAM,
      "base-stream", body, NULL);

  stream->watch = watch_ref (watch);
  return G_INPUT_STREAM (stream);
}

void
synapse_speed_watch_explain (SynapseSpeedWatch * watch, GError ** error)
{
  gboolean fired;

  if (error == NULL || !g_error_matches (*error, G_IO_ERROR,
          G_IO_ERROR_CANCELLED)
      || (watch->caller && g_cancellable_is_cancelled (watch->caller)))
    return;
  g_mutex_lock (&watch->lock);
  fired = watch->fired;
  g_mutex_unlock (&watch->lock);
  if (!fired)
    return;

  g_clear_error (error);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
      "less than %" G_GUINT64_FORMAT " bytes moved in %u s (the low-speed "
      "limit is %" G_GUINT64_FORMAT " bytes a second)", watch->min_bytes,
      watch->window_seconds, watch->min_bytes / watch->window_seconds);
}
