/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The listing layer: fetching and checking one page of a paginated
 * endpoint, and the walk guards that check the pages of a walk in order
 * (see synapse-listing.c). */

#pragma once

#include "synapse-client.h"
#include "synapse-page-scan.h"
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

/* The value of @url's `page` parameter, or 0. */
guint synapse_listing_page_number (const char *url);

/* @url (which has a `page` parameter) with that parameter set to @number,
 * everything else as it was. */
char *synapse_listing_url_with_page (const char *url, guint number);

/* --- walk guards ---------------------------------------------------------
 *
 * One walk's guard sees every page of it in order, and fails with a
 * PROTOCOL error that says what the backend did. */

/* Django REST Framework never sends an empty page with a `next` link (the
 * only empty page it sends is the one page of an empty listing). A backend
 * that filters after paginating may send an odd empty page or two; three
 * in a row that link on is a backend paging nowhere, found after three
 * wasted requests. */
#define SYNAPSE_WALK_MAX_EMPTY_RUN 3

typedef struct
{
  /* the URLs linked to, as hashes (0 marks a free slot) in an
   * open-addressing set at most half full */
  guint64 *visited;
  gsize n_slots;
  gsize n_visited;

  gint64 count;                 /* the first page's, -1 for none */
  guint first_results;          /* results of the first page */
  guint last_page;              /* the last page count fills; 0: no bound */
  guint pages;                  /* pages checked */
  guint64 results;              /* results in them */
  guint empty_run;              /* empty pages in a row, up to the last */
} SynapseWalkGuard;

/* Starts the guard of a walk that begins at @first_url. */
void synapse_walk_guard_init (SynapseWalkGuard * guard,
    const char *first_url);

void synapse_walk_guard_clear (SynapseWalkGuard * guard);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SynapseWalkGuard, synapse_walk_guard_clear);

/* Checks the next page of the walk, fetched from @url with @n_results
 * results and the backend's @count (-1 for none), before its results are
 * handed out. */
gboolean synapse_walk_guard_check_page (SynapseWalkGuard * guard,
    const char *url, gint64 count, guint n_results, GError ** error);

/* Checks that the walk may follow @next, the link of the page at @url
 * that synapse_walk_guard_check_page() checked last. */
gboolean synapse_walk_guard_check_next (SynapseWalkGuard * guard,
    const char *url, const char *next, GError ** error);

/* The last page the first page's count fills at its size, 0 when the
 * count gives no bound (none, or no page checked yet). */
guint synapse_walk_guard_get_last_page (const SynapseWalkGuard * guard);

G_END_DECLS
