/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The low-speed limit of one request attempt: a watchdog that gives up on
 * an attempt that moves fewer than a floor of bytes in a window of time,
 * however busy it keeps each read (a byte a second, or `102 Processing`
 * answers that never end). */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _SynapseSpeedWatch SynapseSpeedWatch;

/* Watches one attempt: its cancellable (synapse_speed_watch_get_cancellable)
 * is cancelled when @cancellable is, or when fewer than @min_bytes moved in
 * @window_seconds (the first window starts now, a new one whenever the
 * final response headers arrive). 0 for either never fires. */
SynapseSpeedWatch *synapse_speed_watch_new (GCancellable * cancellable,
    guint window_seconds, guint64 min_bytes);

void synapse_speed_watch_free (SynapseSpeedWatch * watch);

/* What the attempt's I/O must wait on instead of the caller's
 * cancellable. */
GCancellable *synapse_speed_watch_get_cancellable (SynapseSpeedWatch * watch);

/* Counts the request body as @msg sends it, and restarts the window when
 * its final (not 1xx) response headers arrive. */
void synapse_speed_watch_message (SynapseSpeedWatch * watch, SoupMessage * msg);

/* A stream that reads @body and counts what it reads. */
GInputStream *synapse_speed_watch_wrap_body (SynapseSpeedWatch * watch,
    GInputStream * body);

/* When *@error is the cancellation the watch caused (the caller's
 * cancellable was not cancelled), replaces it with a G_IO_ERROR_TIMED_OUT
 * that says what was too slow. */
void synapse_speed_watch_explain (SynapseSpeedWatch * watch, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SynapseSpeedWatch, synapse_speed_watch_free);

G_END_DECLS
