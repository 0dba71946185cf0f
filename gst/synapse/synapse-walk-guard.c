/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The walk guards of a listing (see synapse-walk-guard.h). */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "synapse-error-private.h"
#include "synapse-uri.h"
#include "synapse-walk-guard.h"


static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The hash a URL is known by. The fragment is dropped and the query
 * parameters are taken in sorted order, without `page=1` (Django REST
 * Framework's link back to the first page has no `page`), so that links
 * to one page written two ways are one key; the first 64 bits of a
 * SHA-256 make a false match between two pages of a walk a 2^-64
 * chance. */
static guint64
url_key (const char *url)
{
  g_autofree char *head = g_strndup (url, strcspn (url, "#"));
  char *query = strchr (head, '?');
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  guint64 key;

  if (query)
    *query++ = '\0';
  g_checksum_update (checksum, (const guchar *) head, -1);
  if (query) {
    g_auto (GStrv) params = g_strsplit (query, "&", -1);

    qsort (params, g_strv_length (params), sizeof (char *), compare_strings);
    for (guint i = 0; params[i]; i++) {
      if (*params[i] == '\0' || g_str_equal (params[i], "page=1"))
        continue;
      /* no URL holds a newline: parameters cannot run into the path */
      g_checksum_update (checksum, (const guchar *) "\n", 1);
      g_checksum_update (checksum, (const guchar *) params[i], -1);
    }
  }
  g_checksum_get_digest (checksum, digest, &digest_len);
  memcpy (&key, digest, sizeof key);
  return key ? key : 1;
}

static gboolean visited_add (SynapseWalkGuard * guard, guint64 key);

static void
visited_grow (SynapseWalkGuard * guard)
{
  guint64 *old = guard->visited;
  gsize old_slots = guard->n_slots;

  guard->n_slots = old_slots ? old_slots * 2 : 16;
  guard->visited = g_new0 (guint64, guard->n_slots);
  guard->n_visited = 0;
  for (gsize i = 0; i < old_slots; i++) {
    if (old[i])
      visited_add (guard, old[i]);
  }
  g_free (old);
}

/* Adds @key to the visited set; FALSE when it was there already. */
static gboolean
visited_add (SynapseWalkGuard * guard, guint64 key)
{
  gsize mask, i;

  if ((guard->n_visited + 1) * 2 > guard->n_slots)
    visited_grow (guard);
  mask = guard->n_slots - 1;
  for (i = key & mask; guard->visited[i]; i = (i + 1) & mask) {
    if (guard->visited[i] == key)
      return FALSE;
  }
  guard->visited[i] = key;
  guard->n_visited++;
  return TRUE;
}

void
synapse_walk_guard_init (SynapseWalkGuard * guard, const char *first_url)
{
  memset (guard, 0, sizeof *guard);
  guard->count = -1;
  visited_add (guard, url_key (first_url));
}

void
synapse_walk_guard_clear (SynapseWalkGuard * guard)
{
  g_clear_pointer (&guard->visited, g_free);
  memset (guard, 0, sizeof *guard);
}

gboolean
synapse_walk_guard_check_page (SynapseWalkGuard * guard, const char *url,
    gint64 count, guint n_results, GError ** error)
{
  if (guard->pages == 0) {
    guard->count = count;
    guard->first_results = n_results;
    if (count > 0 && n_results > 0)
      guard->last_page = MIN (G_MAXUINT, 1 + (guint64) (count - 1)
          / n_results);
  }
  guard->pages++;
  guard->results += n_results;
  guard->empty_run = n_results == 0 ? guard->empty_run + 1 : 0;

  if (guard->count >= 0 && guard->results > (guint64) guard->count) {
    synapse_set_protocol_error (error, "GET", url,
        "its pages so far hold %" G_GUINT64_FORMAT " results, more than "
        "the %" G_GINT64_FORMAT " its first page counted", guard->results,
        guard->count);
    return FALSE;
  }
  return TRUE;
}

gboolean
synapse_walk_guard_check_next (SynapseWalkGuard * guard, const char *url,
    const char *next, GError ** error)
{
  if (!visited_add (guard, url_key (next))) {
    g_autofree char *shown = synapse_uri_redact (next);

    synapse_set_protocol_error (error, "GET", url,
        "its \"next\" link leads back to a page this walk has already "
        "visited (%s): the pages link round in a circle", shown);
    return FALSE;
  }
  if (guard->empty_run >= SYNAPSE_WALK_MAX_EMPTY_RUN) {
    synapse_set_protocol_error (error, "GET", url,
        "%u pages in a row held no results, yet each linked on to another "
        "page", guard->empty_run);
    return FALSE;
  }
  if (guard->last_page && guard->pages >= guard->last_page) {
    synapse_set_protocol_error (error, "GET", url,
        "page %u links on to another page, but the %" G_GINT64_FORMAT
        " results of the first page's count fill only %u pages of %u",
        guard->pages, guard->count, guard->last_page, guard->first_results);
    return FALSE;
  }
  return TRUE;
}

guint
synapse_walk_guard_get_last_page (const SynapseWalkGuard * guard)
{
  return guard->last_page;
}
