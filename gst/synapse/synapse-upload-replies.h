/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the backend's answers in the chunked-upload protocol (protocol §6,
 * drf-chunked-upload) say: where an upload lives and how much of it is
 * stored, the offset of an "Offsets do not match" refusal, whether an
 * upload the backend lists is still open, whether a finish was refused as
 * already done, and whether a finished upload is the file that was sent. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The backend's reply to a chunk PUT to @request_url, ending at byte
 * @chunk_end: the upload's URL into *@url when it is NULL (the first
 * chunk's reply must give one), and in *@stored the bytes the backend
 * holds (@chunk_end when the reply does not say). */
gboolean synapse_upload_reply_read_chunk (JsonNode * reply,
    const char *request_url, char **url, guint64 chunk_end, guint64 * stored,
    GError ** error);

/* Whether @error is the backend's "Offsets do not match" refusal of a
 * chunk; then *@offset is the offset it holds (drf-chunked-upload sends it
 * as `offset` or `expected_offset`). */
gboolean synapse_upload_reply_offsets_differ (const GError * error,
    guint64 * offset);

/* Whether @upload, as the backend lists it, is still taking chunks:
 * drf-chunked-upload says `completed_at: null` and `status: 1`, others
 * spell the status out. */
gboolean synapse_upload_reply_is_open (JsonObject * upload);

/* Whether @error is the refusal of a finish because the upload is already
 * complete: a finish whose reply was lost and that was sent again. */
gboolean synapse_upload_reply_already_complete (const GError * error);

/* The backend's own account of the finished upload at @url must match
 * the file sent: @filename, @total_size bytes whose MD5 is @md5_hex. */
gboolean synapse_upload_reply_check_finished (JsonNode * reply,
    const char *url, const char *filename, guint64 total_size,
    const char *md5_hex, GError ** error);

G_END_DECLS
