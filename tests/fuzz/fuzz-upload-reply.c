/* Fuzzes how the chunked upload reads the backend: a chunk's reply, an
 * "Offsets do not match" error body and a finished upload. Whatever comes,
 * it either refuses with an error or yields an offset and a URL that the
 * upload can use.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <libsoup/soup.h>
#include <synapse/synapse.h>

#include "synapse-error-private.h"
#include "synapse-json-scan.h"
#include "synapse-upload-replies.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) offsets = NULL;
  g_autofree char *url = NULL;
  JsonNode *reply;
  guint64 stored = 0;

  if (!synapse_json_validate ((const char *) data, size, NULL))
    return 0;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) data, size, NULL))
    return 0;
  reply = json_parser_get_root (parser);

  if (synapse_upload_reply_read_chunk (reply,
          "https://api.example.com/chunked_upload/", &url, 100, &stored,
          &error)) {
    g_autoptr (GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);

    g_assert_nonnull (uri);
  } else {
    g_assert_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_PROTOCOL);
  }

  offsets = g_error_new_literal (SYNAPSE_CLIENT_ERROR,
      SYNAPSE_CLIENT_ERROR_BAD_REQUEST, "PUT x: HTTP 400");
  synapse_client_error_annotate (offsets, "PUT", "https://x/", 400, reply);
  if (synapse_upload_reply_offsets_differ (offsets, &stored))
    g_assert_cmpuint (stored, <=, G_MAXINT64);

  g_clear_error (&error);
  if (!synapse_upload_reply_check_finished (reply, url, "model.bin", 1000,
          "0123456789abcdef0123456789abcdef", &error))
    g_assert_nonnull (error);
  return 0;
}
