/* Shared by the library's tests: a fixture with the local backend and a
 * client of it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <synapse/synapse.h>

#include "synapse-test-backend.h"

G_BEGIN_DECLS

#define TEST_TOKEN "test-token-0123456789"

typedef struct
{
  SynapseTestBackend *backend;
  char *url;
  SynapseClient *client;
  char *tmpdir;
} Fixture;

/* Starts a backend with @data (a SynapseTestBackendOptions *, or NULL for
 * 3 versions of 100 events, 5 models and TEST_TOKEN) and a client of it
 * with TEST_TOKEN and quick retries. */
void fixture_set_up (Fixture * f, gconstpointer data);

void fixture_tear_down (Fixture * f, gconstpointer data);

/* The value of @header in the @index-th logged request whose path holds
 * @path; NULL when absent. */
char *fixture_dup_request_header (Fixture * f, const char *path, guint index,
    const char *header);

/* The query of the @index-th logged request whose path holds @path. */
char *fixture_dup_request_query (Fixture * f, const char *path, guint index);

/* Whether two JSON arrays hold equal values in the same order. */
gboolean json_arrays_equal (JsonArray * a, JsonArray * b);

/* A file of @size pseudo-random bytes under the fixture's temporary
 * folder. */
char *fixture_make_file (Fixture * f, const char *name, gsize size);

/* Serves @results (the JSON text of @count events, comma-separated) as
 * the one page of every event listing from now on. */
void fixture_serve_events (Fixture * f, const char *results, guint count);

/* A file entry `{"url", "size", "checksum"}` for the backend's media file
 * at @path ("media/…"), its checksum of @type after @checksum_prefix. */
char *fixture_file_entry (Fixture * f, const char *path,
    GChecksumType type, const char *checksum_prefix);

/* The entries of @dir whose names end with @suffix (NULL: all). */
guint fixture_count_files (const char *dir, const char *suffix);

/* @path is a regular file (not a symlink) holding what the backend serves
 * at @url. */
void fixture_assert_file_holds_media (Fixture * f, const char *path,
    const char *url);

/* The `data_unit.files.image` entry of the @index-th event of @events. */
JsonObject *fixture_unit_image (JsonArray * events, guint index);

/* Each event of @events, the first ones of version 1 in order, has its
 * data_unit image downloaded whole into the fixture's folder (its entry's
 * `path`), and no partial download is left there. */
void fixture_assert_unit_images_whole (Fixture * f, JsonArray * events);

G_END_DECLS
