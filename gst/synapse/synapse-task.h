/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How blocking work runs and waits: the GTask runner behind every _async
 * twin (the blocking call and its twin share one implementation, run here
 * in a worker thread), and the cancellable sleep of backoffs. The threads
 * of the pager's fetch-ahead, the downloads, the MD5 of large chunks and
 * the speed watchdog are made by those units themselves. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Waits @microseconds unless @cancellable fires first. */
gboolean synapse_sleep (gint64 microseconds, GCancellable * cancellable,
    GError ** error);

/* Runs @func (source, data) in a worker thread: the one implementation a
 * blocking call shares with its _async twin. */
typedef gpointer (*SynapseTaskFunc) (gpointer source, gpointer data,
    GCancellable * cancellable, GError ** error);

void synapse_task_run (gpointer source, gpointer source_tag,
    SynapseTaskFunc func, gpointer data, GDestroyNotify data_free,
    GDestroyNotify result_free, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

gpointer synapse_task_finish (gpointer source, GAsyncResult * result,
    gpointer source_tag, GError ** error);

G_END_DECLS
