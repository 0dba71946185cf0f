/* Fuzzes page parsing: the validating scanner, the spans it finds, their
 * compaction, and json-glib behind it (which only ever sees documents the
 * scanner accepted, so it must never fail on one). The scan that also
 * looks for URLs at field paths must give the same verdict and spans, and
 * URLs that are string tokens of their results.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <json-glib/json-glib.h>

#include "synapse-json-scan.h"
#include "synapse-page-scan.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  const char *text = (const char *) data;
  g_auto (SynapseJsonPage) page = { 0 };
  gboolean valid = synapse_json_validate (text, size, NULL);
  gboolean scanned = synapse_json_scan_page (text, size, &page, NULL);

  /* one grammar, whichever way it is asked */
  g_assert_true (valid == scanned);
  {
    static const char *const fields[] = { "files", "data_unit.files", "",
      "a.b", NULL
    };
    g_autoptr (SynapseJsonPaths) paths = synapse_json_paths_new (fields);
    g_auto (SynapseJsonPage) with_urls = { 0 };
    g_auto (SynapseJsonUrls) urls = { 0 };

    synapse_json_urls_init (&urls);
    g_assert_true (valid == synapse_json_scan_page_urls (text, size, paths,
            G_MAXUINT, &with_urls, &urls, NULL));
    g_assert_true ((page.results == NULL) == (with_urls.results == NULL));
    for (guint i = 0; page.results && i < page.results->len; i++) {
      SynapseJsonSpan *a = &g_array_index (page.results, SynapseJsonSpan, i);
      SynapseJsonSpan *b = &g_array_index (with_urls.results,
          SynapseJsonSpan, i);

      g_assert_cmpuint (page.results->len, ==, with_urls.results->len);
      g_assert_cmpuint (a->offset, ==, b->offset);
      g_assert_cmpuint (a->length, ==, b->length);
      g_assert_cmpint (a->has_whitespace, ==, b->has_whitespace);
    }
    for (guint i = 0; valid && i < urls.urls->len; i++) {
      SynapseJsonUrl *url = &g_array_index (urls.urls, SynapseJsonUrl, i);
      SynapseJsonSpan *span = &g_array_index (with_urls.results,
          SynapseJsonSpan, url->result);

      g_assert_cmpuint (url->offset, >=, span->offset);
      g_assert_cmpuint (url->offset + url->length, <=, span->offset
          + span->length);
      g_assert_true (text[url->offset] == '"');
      g_assert_true (synapse_json_validate (text + url->offset, url->length,
              NULL));
    }
  }
  if (!valid)
    return 0;

  {
    g_autoptr (JsonParser) parser = json_parser_new ();

    g_assert_true (json_parser_load_from_data (parser, text, size, NULL));
  }

  for (guint i = 0; page.results && i < page.results->len; i++) {
    SynapseJsonSpan *span = &g_array_index (page.results, SynapseJsonSpan, i);
    g_autoptr (GBytes) compact = NULL;
    gsize compact_size;
    const char *compact_text;

    g_assert_cmpuint (span->offset + span->length, <=, size);
    g_assert_true (synapse_json_validate (text + span->offset, span->length,
            NULL));
    compact = synapse_json_compact (text + span->offset, span->length);
    compact_text = g_bytes_get_data (compact, &compact_size);
    g_assert_true (synapse_json_validate (compact_text, compact_size, NULL));
    /* one line of NDJSON: a raw newline can only sit outside strings */
    g_assert_null (memchr (compact_text, '\n', compact_size));
  }
  return 0;
}
