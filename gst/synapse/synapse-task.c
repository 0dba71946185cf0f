/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The GTask runner and the cancellable sleep (see synapse-task.h). */

#include "config.h"

#include "synapse-task.h"

#include "synapse-client-private.h"

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean woken;
} Sleeper;

static void
sleeper_wake (GCancellable * cancellable, Sleeper * sleeper)
{
  g_mutex_lock (&sleeper->lock);
  sleeper->woken = TRUE;
  g_cond_signal (&sleeper->cond);
  g_mutex_unlock (&sleeper->lock);
}

/* A backoff sleep must end at once when the caller gives up, so
 * g_usleep () will not do. */
gboolean
synapse_sleep (gint64 microseconds, GCancellable * cancellable, GError ** error)
{
  Sleeper sleeper = { 0 };
  gulong handler = 0;
  gint64 end = g_get_monotonic_time () + microseconds;

  g_mutex_init (&sleeper.lock);
  g_cond_init (&sleeper.cond);
  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (sleeper_wake),
        &sleeper, NULL);

  g_mutex_lock (&sleeper.lock);
  while (!sleeper.woken && g_cond_wait_until (&sleeper.cond, &sleeper.lock,
          end));
  g_mutex_unlock (&sleeper.lock);

  if (cancellable)
    g_cancellable_disconnect (cancellable, handler);
  g_mutex_clear (&sleeper.lock);
  g_cond_clear (&sleeper.cond);

  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

typedef struct
{
  SynapseTaskFunc func;
  gpointer data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;
} TaskJob;

static void
task_job_free (TaskJob * job)
{
  if (job->data_free)
    job->data_free (job->data);
  g_free (job);
}

static void
task_job_run (gpointer data, GCancellable * cancellable)
{
  GTask *task = data;
  TaskJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  gpointer result = job->func (g_task_get_source_object (task), job->data,
      cancellable, &error);

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, job->result_free);
}

void
synapse_task_run (SynapseClient * client, gpointer source,
    gpointer source_tag, SynapseTaskFunc func,
    gpointer data, GDestroyNotify data_free, GDestroyNotify result_free,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source, cancellable, callback,
      user_data);
  TaskJob *job = g_new0 (TaskJob, 1);

  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) task_job_free);
  /* the task's callback runs in the caller's main context, as ever */
  synapse_job_unref (synapse_workers_push (synapse_client_get_workers (client),
          task_job_run, g_object_ref (task), g_object_unref, cancellable));
}

gpointer
synapse_task_finish (gpointer source, GAsyncResult * result,
    gpointer source_tag, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag,
      NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
