/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the library's files share and users never see: the request core,
 * the GTask helper and small utilities. */

#pragma once

#include <libsoup/soup.h>

#include "synapse-client.h"
#include "synapse-json-scan.h"
#include "synapse-url-conversion.h"

G_BEGIN_DECLS

/* A copy of @params with the client's page size unless they name one. */
JsonObject *synapse_listing_params (SynapseClient * client,
    JsonObject * params);

/* A page as it arrived: its bytes (with converted URLs rewritten in them)
 * and where its results lie. */
typedef struct
{
  char *url;
  GBytes *body;
  GArray *spans;                /* of SynapseJsonSpan */
  guint n_converted;            /* results whose URLs are converted */
  gint64 count;                 /* -1 when the backend gave none */
  char *next;                   /* absolute, or NULL on the last page */
  gsize size;                   /* bytes of the body as it arrived */
} SynapseFetchedPage;

void synapse_fetched_page_clear (SynapseFetchedPage * page);

/* GETs the page at @url, checks that it is a DRF page and, with
 * @conversion, converts the URLs of its first @n_convert results (found
 * in the same pass as the page is checked). */
gboolean synapse_fetch_page (SynapseClient * client, const char *url,
    SynapseUrlConversion * conversion, guint n_convert,
    SynapseFetchedPage * page, GCancellable * cancellable, GError ** error);

/* Converts the URLs of the results up to @n_convert of a fetched page
 * that are not converted yet. */
gboolean synapse_fetched_page_convert (SynapseClient * client,
    SynapseUrlConversion * conversion, SynapseFetchedPage * page,
    guint n_convert, GCancellable * cancellable, GError ** error);

G_END_DECLS
