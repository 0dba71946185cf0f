/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What the backend's answers in the chunked-upload protocol say (see
 * synapse-upload-replies.h): pure functions of an answer and of what was
 * sent, so that they can be fuzzed without an upload. What the upload
 * does about them is synapse-chunked-upload.c's. */

#include "config.h"

#include <string.h>

#include "synapse-error-private.h"
#include "synapse-json-private.h"
#include "synapse-upload-replies.h"
#include "synapse-uri.h"

/* The body of a 400 answer whose `detail` holds @words, or NULL. */
static JsonObject *
bad_request_saying (const GError * error, const char *words)
{
  JsonNode *detail;
  JsonObject *object;
  const char *text;

  if (!g_error_matches (error, SYNAPSE_CLIENT_ERROR,
          SYNAPSE_CLIENT_ERROR_BAD_REQUEST))
    return NULL;
  detail = synapse_client_error_get_detail (error);
  if (detail == NULL || !JSON_NODE_HOLDS_OBJECT (detail))
    return NULL;
  object = json_node_get_object (detail);
  text = synapse_json_get_string (object, "detail");
  return text && strstr (text, words) ? object : NULL;
}

gboolean
synapse_upload_reply_offsets_differ (const GError * error, guint64 * offset)
{
  JsonObject *object = bad_request_saying (error, "Offsets do not match");
  const char *names[] = { "offset", "expected_offset" };

  if (object == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    JsonNode *member = json_object_get_member (object, names[i]);

    if (member && JSON_NODE_HOLDS_VALUE (member)
        && json_node_get_value_type (member) == G_TYPE_INT64
        && json_node_get_int (member) >= 0) {
      *offset = json_node_get_int (member);
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
synapse_upload_reply_already_complete (const GError * error)
{
  return bad_request_saying (error, "already") != NULL;
}

gboolean
synapse_upload_reply_read_chunk (JsonNode * reply, const char *request_url,
    char **url, guint64 chunk_end, guint64 * stored, GError ** error)
{
  JsonObject *object;
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (reply)) {
    synapse_set_protocol_error (error, "PUT", request_url,
        "the reply to a chunk is not a JSON object");
    return FALSE;
  }
  object = json_node_get_object (reply);

  if (*url == NULL) {
    *url = synapse_uri_resolve (request_url,
        synapse_json_get_string (object, "url"));
    if (*url == NULL) {
      synapse_set_protocol_error (error, "PUT", request_url,
          "the reply to the first chunk has no usable upload \"url\"");
      return FALSE;
    }
  }

  member = json_object_get_member (object, "offset");
  if (member == NULL) {
    *stored = chunk_end;
    return TRUE;
  }
  if (!JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_INT64
      || json_node_get_int (member) < 0) {
    synapse_set_protocol_error (error, "PUT", request_url,
        "the upload's \"offset\" is not a whole number");
    return FALSE;
  }
  *stored = json_node_get_int (member);
  return TRUE;
}

gboolean
synapse_upload_reply_is_open (JsonObject * upload)
{
  JsonNode *completed = json_object_get_member (upload, "completed_at");
  JsonNode *status = json_object_get_member (upload, "status");

  if (completed && !JSON_NODE_HOLDS_NULL (completed))
    return FALSE;
  if (status && JSON_NODE_HOLDS_VALUE (status)) {
    if (json_node_get_value_type (status) == G_TYPE_INT64)
      return json_node_get_int (status) != 2;
    if (json_node_get_value_type (status) == G_TYPE_STRING)
      return g_ascii_strcasecmp (json_node_get_string (status), "complete")
          != 0;
  }
  return TRUE;
}

gboolean
synapse_upload_reply_check_finished (JsonNode * reply, const char *url,
    const char *filename, guint64 total_size, const char *md5_hex,
    GError ** error)
{
  JsonObject *object;
  const char *checksum;
  JsonNode *size;

  if (!JSON_NODE_HOLDS_OBJECT (reply)) {
    synapse_set_protocol_error (error, "POST", url,
        "the finished upload is not a JSON object");
    return FALSE;
  }
  object = json_node_get_object (reply);
  checksum = synapse_json_get_string (object, "checksum");
  if (checksum && g_ascii_strcasecmp (checksum, md5_hex) != 0) {
    synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_CHECKSUM, "POST",
        url, 0, reply, "Upload of %s: the backend's checksum %s "
        "differs from the file's %s", filename, checksum, md5_hex);
    return FALSE;
  }
  size = json_object_get_member (object, "size");
  if (size && JSON_NODE_HOLDS_VALUE (size)
      && json_node_get_value_type (size) == G_TYPE_INT64
      && (guint64) json_node_get_int (size) != total_size) {
    synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_CHECKSUM, "POST",
        url, 0, reply, "Upload of %s: the backend stored %"
        G_GINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT, filename,
        json_node_get_int (size), total_size);
    return FALSE;
  }
  return TRUE;
}
