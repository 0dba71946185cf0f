/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The walk guards of a listing: what stops a walk that would never end.
 * A walk follows the backend's `next` links page after page; a backend
 * whose links go round in a circle, that sends more results than its
 * `count`, or that links on from empty page to empty page would have it
 * request (and hand out duplicates) forever. The guard sees every page of
 * one walk in order, and fails with a PROTOCOL error that says what the
 * backend did:
 *
 * - a `next` link to a page this walk already visited;
 * - more results than the first page's `count`, or a page past the last
 *   one that count fills at the first page's size (a page with a `next`
 *   link is a full one, as Django REST Framework sends them);
 * - SYNAPSE_WALK_MAX_EMPTY_RUN empty pages in a row that still link on.
 *
 * Visited pages are kept as 64-bit hashes of their URLs, not the URLs:
 * 16 bytes a page, however long the URLs and the walk. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

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
