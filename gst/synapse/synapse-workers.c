/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The library's one concurrency model: a bounded pool of workers owned by
 * each client (SynapseClient:worker-threads), which runs everything the
 * library does in the background: the _async twins of the blocking calls
 * (synapse-task.c), the pages a pager fetches ahead, the downloads of a
 * URL conversion and the MD5 of an upload's chunk while it is sent.
 *
 * - Every job has a cancellable of its own, cancelled with the cancellable
 *   of the caller it works for, and by whoever made it (a pager that no
 *   longer needs a page cancels its fetch): work nobody waits for ends at
 *   once.
 * - A caller that waits for a job no worker has started runs it itself.
 *   Jobs wait for jobs (an _async walk waits for the pages it fetches
 *   ahead, a page fetched ahead for its downloads), so a bounded pool
 *   whose workers all waited for queued jobs would stall; this way the
 *   pool's bound limits how much runs at once, never whether it runs, and
 *   a pool of one still makes progress.
 * - Threads come from a GThreadPool, which keeps idle ones for a while:
 *   a walk or a batch of downloads does not create a thread a job.
 *
 * Why not libsoup's async API on one transfer thread, as adaptivedemux2's
 * download helper does: the request core is blocking (retries with
 * backoff, redirects, body limits, the JSON scan of a page as it arrives,
 * verified downloads written to disk), and every public call has a
 * blocking form that runs in the caller's thread; one implementation
 * serves both forms only if it blocks. With a pool, a download or a page
 * that is parsed and checked costs its own thread's CPU, not one shared
 * thread's, which is what many downloads at once (synapsemediasrc) want.
 *
 * The library makes one other thread: the speed watchdog
 * (synapse-speed-watch.c), a timer that must fire while every worker may
 * be blocked in a read, so it cannot be one of them. */

#include "config.h"

#include "synapse-workers.h"

struct _SynapseWorkers
{
  GThreadPool *pool;
};

typedef enum
{
  JOB_QUEUED,
  JOB_RUNNING,
  JOB_DONE,
} JobState;

struct _SynapseJob
{
  gatomicrefcount ref_count;
  SynapseJobFunc func;
  gpointer data;
  GDestroyNotify data_free;
  GCancellable *cancellable;    /* the job's own */
  GCancellable *caller;         /* the one it was pushed with */
  gulong caller_handler;

  GMutex lock;
  GCond cond;
  JobState state;
};

static void
cancel_linked (GCancellable * fired, GCancellable * linked)
{
  g_cancellable_cancel (linked);
}

/* Connects @source so that it cancels @job's cancellable. */
static gulong
link_cancellable (GCancellable * source, SynapseJob * job)
{
  if (source == NULL)
    return 0;
  return g_cancellable_connect (source, G_CALLBACK (cancel_linked),
      g_object_ref (job->cancellable), g_object_unref);
}

/* The one that starts @job, a worker or a waiter, takes it. */
static gboolean
job_claim (SynapseJob * job)
{
  gboolean claimed;

  g_mutex_lock (&job->lock);
  claimed = job->state == JOB_QUEUED;
  if (claimed)
    job->state = JOB_RUNNING;
  g_mutex_unlock (&job->lock);
  return claimed;
}

static void
job_run (SynapseJob * job)
{
  job->func (job->data, job->cancellable);

  /* what the job holds goes before it is over, so that a waiter that
   * then frees what the job worked on finds it released */
  if (job->data_free)
    job->data_free (job->data);
  job->data = NULL;
  if (job->caller_handler)
    g_cancellable_disconnect (job->caller, job->caller_handler);
  job->caller_handler = 0;

  g_mutex_lock (&job->lock);
  job->state = JOB_DONE;
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->lock);
}

static void
worker_run (gpointer data, gpointer user_data)
{
  SynapseJob *job = data;

  if (job_claim (job))
    job_run (job);
  synapse_job_unref (job);
}

SynapseWorkers *
synapse_workers_new (guint max_threads)
{
  SynapseWorkers *workers = g_new0 (SynapseWorkers, 1);

  /* shared threads: idle ones serve every client's pool, and GLib keeps
   * a few of them for a while */
  workers->pool = g_thread_pool_new (worker_run, NULL, MAX (max_threads, 1),
      FALSE, NULL);
  return workers;
}

void
synapse_workers_set_max_threads (SynapseWorkers * workers, guint max_threads)
{
  g_thread_pool_set_max_threads (workers->pool, MAX (max_threads, 1), NULL);
}

void
synapse_workers_shutdown (SynapseWorkers * workers)
{
  /* not waiting: the last job of a client may be what releases it, in a
   * worker; the pool is freed when its last thread leaves */
  g_thread_pool_free (workers->pool, FALSE, FALSE);
  g_free (workers);
}

SynapseJob *
synapse_workers_push (SynapseWorkers * workers, SynapseJobFunc func,
    gpointer data, GDestroyNotify data_free, GCancellable * cancellable)
{
  SynapseJob *job = g_new0 (SynapseJob, 1);
  g_autoptr (GError) error = NULL;

  g_atomic_ref_count_init (&job->ref_count);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->cancellable = g_cancellable_new ();
  g_mutex_init (&job->lock);
  g_cond_init (&job->cond);
  job->state = JOB_QUEUED;
  if (cancellable) {
    job->caller = g_object_ref (cancellable);
    job->caller_handler = link_cancellable (cancellable, job);
  }

  /* a thread that cannot be made leaves the job queued, for a worker
   * that gets free or for its waiter */
  if (!g_thread_pool_push (workers->pool, synapse_job_ref (job), &error))
    g_warning ("No thread for a background job: %s", error->message);
  return job;
}

static void
wake_waiter (GCancellable * cancellable, SynapseJob * job)
{
  g_mutex_lock (&job->lock);
  g_cond_broadcast (&job->cond);
  g_mutex_unlock (&job->lock);
}

gboolean
synapse_job_wait (SynapseJob * job, GCancellable * cancellable)
{
  gulong handler;
  gboolean done;

  if (job_claim (job)) {
    /* run for this waiter: its cancellation is the job's */
    handler = link_cancellable (cancellable, job);
    job_run (job);
    if (handler)
      g_cancellable_disconnect (cancellable, handler);
    return TRUE;
  }

  handler = cancellable ? g_cancellable_connect (cancellable,
      G_CALLBACK (wake_waiter), job, NULL) : 0;
  g_mutex_lock (&job->lock);
  while (job->state != JOB_DONE && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait (&job->cond, &job->lock);
  done = job->state == JOB_DONE;
  g_mutex_unlock (&job->lock);
  if (handler)
    g_cancellable_disconnect (cancellable, handler);
  return done;
}

void
synapse_job_cancel (SynapseJob * job)
{
  g_cancellable_cancel (job->cancellable);
}

SynapseJob *
synapse_job_ref (SynapseJob * job)
{
  g_atomic_ref_count_inc (&job->ref_count);
  return job;
}

void
synapse_job_unref (SynapseJob * job)
{
  if (!g_atomic_ref_count_dec (&job->ref_count))
    return;
  /* every job runs before its last reference goes: the pool's */
  g_object_unref (job->cancellable);
  g_clear_object (&job->caller);
  g_mutex_clear (&job->lock);
  g_cond_clear (&job->cond);
  g_free (job);
}
