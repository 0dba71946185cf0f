/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* How blocking work runs and waits: the GTask runner behind every _async
 * twin (the blocking call and its twin share one implementation, run here
 * by one of the client's workers, synapse-workers.c), and the cancellable
 * sleep of backoffs. */

#pragma once

#include <gio/gio.h>

#include "synapse-client.h"

G_BEGIN_DECLS

/* Waits @microseconds unless @cancellable fires first. */
gboolean synapse_sleep (gint64 microseconds, GCancellable * cancellable,
    GError ** error);

/* Runs @func (source, data) in one of @client's workers: the one
 * implementation a blocking call shares with its _async twin. */
typedef gpointer (*SynapseTaskFunc) (gpointer source, gpointer data,
    GCancellable * cancellable, GError ** error);

void synapse_task_run (SynapseClient * client, gpointer source,
    gpointer source_tag,
    SynapseTaskFunc func, gpointer data, GDestroyNotify data_free,
    GDestroyNotify result_free, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data);

gpointer synapse_task_finish (gpointer source, GAsyncResult * result,
    gpointer source_tag, GError ** error);

G_END_DECLS
