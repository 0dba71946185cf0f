/* faults-common.h: what the fault matrix and the secret proofs share
 *
 * Copyright (C) 2026 gst-synapse developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <synapse/synapse.h>

#include "synapse-test-backend.h"

G_BEGIN_DECLS

/* Called from the posting thread for every message of a run, before it is
 * kept; a hook may act on the backend (expire uploads, say). */
typedef void (*FaultsMessageHook) (GstMessage * message, gpointer user_data);

/* Every message a pipeline posted in one run, and how the run ended. */
typedef struct
{
  GPtrArray *messages;          /* (element-type GstMessage) */
  GstMessage *error;            /* the first error, or NULL (in @messages) */
  gboolean eos;
  /* the first error, parsed */
  GError *gerror;
  gchar *debug;
  GstStructure *details;
} FaultsRun;

void faults_run_clear (FaultsRun * run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FaultsRun, faults_run_clear);

/* Sets @pipeline to PLAYING and waits (at most @timeout_s) for EOS or an
 * error, keeping every message posted, then sets it to NULL (messages
 * posted on the way down are kept too). */
void faults_run_pipeline (GstElement * pipeline, guint timeout_s,
    FaultsMessageHook hook, gpointer hook_data, FaultsRun * run);

/* @size deterministic pseudo-random bytes. */
GBytes *faults_make_bytes (gsize size, guint32 seed);

/* Writes @bytes to @dir/@name; returns the path. */
gchar *faults_write_file (const gchar * dir, const gchar * name,
    GBytes * bytes);

/* The events of an NDJSON file, one parsed object a line. */
JsonArray *faults_read_ndjson (const gchar * path);

/* Whether @got is @want or a prefix of it, value by value; says where
 * they differ otherwise. */
gboolean faults_events_are_prefix (JsonArray * got, JsonArray * want,
    gchar ** why);

/* The bytes of model @id's file as the backend serves them; NULL when
 * there is no such model. */
GBytes *faults_dup_model_file (SynapseTestBackend * backend, gint64 id);

/* The bytes the backend stored for the upload @upload_id. */
GBytes *faults_dup_upload_bytes (SynapseTestBackend * backend,
    const gchar * upload_id);

/* Requests of the log whose method is @method (NULL: any), whose path
 * holds @path and that were answered @status (0: any). */
guint faults_count_requests (SynapseTestBackend * backend,
    const gchar * method, const gchar * path, guint status);

G_END_DECLS
