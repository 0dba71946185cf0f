/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the request core reads of a client: its session and a snapshot of
 * its settings. Everything else the library reads of a client it reads as
 * its properties. */

#pragma once

#include <libsoup/soup.h>

#include "synapse-client.h"
#include "synapse-request.h"
#include "synapse-workers.h"

G_BEGIN_DECLS

/* What pagers hold ahead by default: large enough that ordinary pages
 * (100 events of a few KiB, well under a MiB) get the whole prefetch,
 * small enough that pages of tens of MiB are held one or two ahead rather
 * than `prefetch` of them; one page of the largest response the client
 * takes by default (SynapseClient:max-response-size). */
#define SYNAPSE_DEFAULT_PREFETCH_BYTES (64 * 1024 * 1024)

/* The client's workers (synapse-workers.c), made on first use; they live
 * as long as the client. */
SynapseWorkers *synapse_client_get_workers (SynapseClient * self);

/* The client's session, made on first use with its settings. */
SoupSession *synapse_client_dup_session (SynapseClient * self,
    GError ** error);

/* Copies the settings one request reads into @settings, and checks that
 * its credentials can be sent: FALSE with
 * SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT naming the one that cannot. */
gboolean synapse_client_get_request_settings (SynapseClient * self,
    SynapseRequestSettings * settings, GError ** error);

G_END_DECLS
