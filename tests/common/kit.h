/* kit.h: what every C test shares, the GLib part
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tests of the library, of the elements and of the faults all start
 * the in-process backend (tests/backend/), bend it with faults, ask its
 * request log what reached it, and compare what they got with what it
 * serves. This is that, once:
 *
 * - the program: kit_init () checks that this build's libsynapse is the
 *   one loaded;
 * - the backend: started, faulted, its request log counted and searched,
 *   its events, model files and uploads read back;
 * - files: temporary folders, deterministic bytes, a program run and
 *   its output;
 * - events: read from NDJSON, compared in order, nested members found by
 *   their dot path, their downloaded files checked;
 * - a client of the backend with quick retries.
 *
 * kit-fixture.h adds the library tests' fixture, kit-gst.h the GStreamer
 * part (pipeline runs and their messages); the library's tests never need
 * GStreamer.
 */

#pragma once

#include <synapse/synapse.h>

#include "synapse-test-backend.h"

G_BEGIN_DECLS

/* g_test_init (), then: this build's libsynapse is the one loaded,
 * whatever gst-synapse the machine has installed elsewhere (tests/install
 * puts one first on every path to prove it), when meson test names the
 * build's library folder in SYNAPSE_BUILD_LIBRARY_DIR. */
void kit_init (int *argc, char ***argv);

/* How much the tests' limits on waits stretch (they catch hangs, they
 * time nothing): $KIT_TIMEOUT_MULTIPLIER, which the valgrind test setup
 * sets, else 1. */
gint64 kit_timeout_multiplier (void);

/* --- the backend -------------------------------------------------------- */

/* A backend serving @options, listening; its URL in @url. */
SynapseTestBackend *kit_backend_new (const SynapseTestBackendOptions *
    options, char **url);

/* Adds the fault of @spec (the words of synapse_test_fault_parse ());
 * returns its id. */
guint kit_add_fault (SynapseTestBackend * backend, const char *spec);

/* Answers every later request of @method (NULL: any) whose path holds
 * @path with a 200 whose body is @body. */
void kit_answer_with (SynapseTestBackend * backend, const char *method,
    const char *path, const char *body);

/* Serves @results (the JSON text of @count events, comma-separated) as the
 * one page of every event listing from now on. */
void kit_serve_events (SynapseTestBackend * backend, const char *results,
    guint count);

/* The page a logged listing request asked for: its `page` parameter, 1
 * without one. */
guint kit_request_page_number (const SynapseTestRequest * request);

/* The logged requests of @method (NULL: any) whose path holds @path (NULL:
 * any) and that were answered @status (0: any answer, or none). */
guint kit_count_requests (SynapseTestBackend * backend, const char *method,
    const char *path, guint status);

/* Waits (5 s at most) until @n requests whose path holds @path reached the
 * backend. */
void kit_wait_for_requests (SynapseTestBackend * backend, const char *path,
    guint n);

/* The value of @header in the @index-th logged request whose path holds
 * @path (NULL: any); NULL when the request has no such header. Asserts
 * that there is such a request. */
char *kit_dup_request_header (SynapseTestBackend * backend, const char *path,
    guint index, const char *header);

/* The query of the @index-th logged request whose path holds @path; ""
 * when it has none. */
char *kit_dup_request_query (SynapseTestBackend * backend, const char *path,
    guint index);

/* The body of the first request of @method to exactly @path, as text. */
char *kit_dup_request_body (SynapseTestBackend * backend, const char *method,
    const char *path);

/* Every event of the @n_versions versions, in order. */
JsonArray *kit_dup_events (SynapseTestBackend * backend,
    const guint * versions, guint n_versions);

/* The bytes of model @id's file as the backend serves them; NULL when
 * there is no such model. */
GBytes *kit_dup_model_file (SynapseTestBackend * backend, gint64 id);

/* The bytes the backend stored for the upload @upload_id. */
GBytes *kit_dup_upload_bytes (SynapseTestBackend * backend,
    const char *upload_id);

/* A file entry `{"url", "size", "checksum"}` for the backend's media file
 * at @url, its checksum of @type after @checksum_prefix (nullable). */
char *kit_file_entry (SynapseTestBackend * backend, const char *url,
    GChecksumType type, const char *checksum_prefix);

/* @path is a regular file (not a symlink) holding what the backend serves
 * at @url. */
void kit_assert_file_holds_media (SynapseTestBackend * backend,
    const char *path, const char *url);

/* --- files -------------------------------------------------------------- */

/* A new folder under the system's temporary one, named after the test
 * program; kit_clear_tmp_dir () removes it with all it holds, frees and
 * clears @dir (nothing when NULL). */
char *kit_make_tmp_dir (void);
void kit_clear_tmp_dir (char **dir);

/* @size deterministic pseudo-random bytes, others for each @seed. */
GBytes *kit_make_bytes (gsize size, guint32 seed);

/* Writes @bytes to @dir/@name; returns the path. */
char *kit_write_file (const char *dir, const char *name, GBytes * bytes);

/* The entries of @dir whose names end with @suffix (NULL: all). */
guint kit_count_files (const char *dir, const char *suffix);

/* Runs @argv (its program looked for on PATH unless a path) with the
 * variables of @env set (NULL-terminated name and value pairs; a NULL value
 * unsets), and waits for its end; returns whether it succeeded, its stdout
 * and stderr, merged, in @output. */
gboolean kit_spawn (const char *const *argv, const char *const *env,
    char **output);

/* tests/data/@name (the HTTPS backend's certificate and its authority). */
char *kit_data_file (const char *name);

/* The certificate, with its key, of tests/data/server.pem: one that no
 * system authority vouches for. */
GTlsCertificate *kit_dup_test_certificate (void);

/* --- events ------------------------------------------------------------- */

/* The events of the NDJSON file @path, one object a line, each line ended
 * by a newline. */
JsonArray *kit_read_ndjson (const char *path);

/* @got holds exactly the first @n events of @want, in order: none lost,
 * repeated or reordered. */
void kit_assert_first_events (JsonArray * got, JsonArray * want, guint n);

/* @got holds the events of @want, in order. */
void kit_assert_events (JsonArray * got, JsonArray * want);

/* The object at @dot_path in @event, e.g. "data_unit.files.image". */
JsonObject *kit_event_object (JsonObject * event, const char *dot_path);

/* @event is @original with its files downloaded into @dir: each URL of its
 * `files` and the one of its `data_unit.files.image` entry became the path
 * of a file in @dir that holds what the backend serves at the URL (the
 * entry's `url` becoming `path`, its size kept). */
void kit_assert_event_downloaded (SynapseTestBackend * backend,
    JsonObject * event, JsonObject * original, const char *dir);

/* --- the library -------------------------------------------------------- */

/* A client of the backend at @url with @token, whose retries are quick
 * (0.01 s, at most 0.05 s apart) and whose timeout is 10 s. */
SynapseClient *kit_client_new (const char *url, const char *token);

/* Listing parameters: the events of dataset version @version, @page_size
 * a page. */
JsonObject *kit_version_params (guint version, guint page_size);

G_END_DECLS
