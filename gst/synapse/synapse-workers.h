/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The client's workers: the one place the library runs work in threads
 * of its own (see synapse-workers.c for the model and why). */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _SynapseWorkers SynapseWorkers;
typedef struct _SynapseJob SynapseJob;

/* What a job does; @cancellable fires when the job is cancelled or the
 * cancellable it was pushed with is. */
typedef void (*SynapseJobFunc) (gpointer data, GCancellable * cancellable);

/* Workers that run at most @max_threads jobs at once. */
SynapseWorkers *synapse_workers_new (guint max_threads);

void synapse_workers_set_max_threads (SynapseWorkers * workers,
    guint max_threads);

/* Lets the workers go: the jobs queued still run, and the threads end
 * after them. Callable from a job itself. */
void synapse_workers_shutdown (SynapseWorkers * workers);

/* Queues @func (@data); @data_free frees @data once the job is over. The
 * job's cancellable is cancelled with @cancellable. */
SynapseJob *synapse_workers_push (SynapseWorkers * workers,
    SynapseJobFunc func, gpointer data, GDestroyNotify data_free,
    GCancellable * cancellable);

/* Waits until @job is over, running it in this thread if no worker has
 * started it: a waiter never waits for a free worker. FALSE when
 * @cancellable fired first (the job goes on unless cancelled). */
gboolean synapse_job_wait (SynapseJob * job, GCancellable * cancellable);

/* Fires the job's cancellable; a job not started yet runs with it
 * cancelled, so that it releases what it holds at once. */
void synapse_job_cancel (SynapseJob * job);

SynapseJob *synapse_job_ref (SynapseJob * job);

void synapse_job_unref (SynapseJob * job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SynapseJob, synapse_job_unref);

G_END_DECLS
