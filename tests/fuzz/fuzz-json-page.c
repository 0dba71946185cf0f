/* Fuzzes page parsing: the validating scanner, the spans it finds, their
 * compaction, and json-glib behind it (which only ever sees documents the
 * scanner accepted, so it must never fail on one). The scan that also
 * looks for URLs at field paths must give the same verdict and spans, and
 * URLs that are string tokens of their results. The wide scanner (SSE2 or
 * word strides, the walk in one loop) and the reference one (a byte at a
 * time, recursion) must agree on everything: verdict, error, page, spans
 * and URLs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <json-glib/json-glib.h>

#include "synapse-json-scan.h"
#include "synapse-page-scan.h"

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static const char *const fields[] = { "files", "data_unit.files", "", "a.b",
  NULL
};

/* What one scanner makes of a document, all of it. */
typedef struct
{
  gboolean valid;
  char *error;
  gboolean exact;
  char *exact_error;
  SynapseJsonPage page;
  SynapseJsonPage with_urls;
  SynapseJsonUrls urls;
} Verdict;

static void
verdict_clear (Verdict * v)
{
  g_free (v->error);
  g_free (v->exact_error);
  synapse_json_page_clear (&v->page);
  synapse_json_page_clear (&v->with_urls);
  synapse_json_urls_clear (&v->urls);
}

static void
judge (const char *text, gsize size, gboolean reference, Verdict * v)
{
  g_autoptr (SynapseJsonPaths) paths = synapse_json_paths_new (fields);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) exact_error = NULL;

  synapse_json_scan_set_reference (reference);
  v->valid = synapse_json_validate (text, size, &error);
  v->error = error ? g_strdup (error->message) : NULL;
  v->exact = synapse_json_validate_exact (text, size, &exact_error);
  v->exact_error = exact_error ? g_strdup (exact_error->message) : NULL;
  synapse_json_scan_page (text, size, &v->page, NULL);
  synapse_json_urls_init (&v->urls);
  synapse_json_scan_page_urls (text, size, paths, G_MAXUINT, &v->with_urls,
      &v->urls, NULL);
  synapse_json_scan_set_reference (FALSE);
}

static void
assert_same_page (const SynapseJsonPage * a, const SynapseJsonPage * b)
{
  g_assert_cmpint (a->is_object, ==, b->is_object);
  g_assert_cmpint (a->count, ==, b->count);
  g_assert_cmpint (a->count_valid, ==, b->count_valid);
  g_assert_cmpstr (a->next, ==, b->next);
  g_assert_cmpint (a->next_valid, ==, b->next_valid);
  g_assert_true ((a->results == NULL) == (b->results == NULL));
  if (a->results == NULL)
    return;
  g_assert_cmpint (a->results_are_objects, ==, b->results_are_objects);
  g_assert_cmpuint (a->results->len, ==, b->results->len);
  for (guint i = 0; i < a->results->len; i++) {
    SynapseJsonSpan *x = &g_array_index (a->results, SynapseJsonSpan, i);
    SynapseJsonSpan *y = &g_array_index (b->results, SynapseJsonSpan, i);

    g_assert_cmpuint (x->offset, ==, y->offset);
    g_assert_cmpuint (x->length, ==, y->length);
    g_assert_cmpint (x->has_whitespace, ==, y->has_whitespace);
  }
}

static void
assert_same_urls (const SynapseJsonUrls * a, const SynapseJsonUrls * b)
{
  g_assert_cmpuint (a->urls->len, ==, b->urls->len);
  for (guint i = 0; i < a->urls->len; i++) {
    SynapseJsonUrl *x = &g_array_index (a->urls, SynapseJsonUrl, i);
    SynapseJsonUrl *y = &g_array_index (b->urls, SynapseJsonUrl, i);

    g_assert_cmpuint (x->offset, ==, y->offset);
    g_assert_cmpuint (x->length, ==, y->length);
    g_assert_cmpuint (x->text, ==, y->text);
    g_assert_cmpuint (x->result, ==, y->result);
    g_assert_cmpuint (x->field, ==, y->field);
    g_assert_cmpint (x->entry, ==, y->entry);
    g_assert_cmpuint (x->first_member, ==, y->first_member);
    g_assert_cmpuint (x->n_members, ==, y->n_members);
    g_assert_cmpint (x->size, ==, y->size);
    g_assert_cmpuint (x->checksum, ==, y->checksum);
    g_assert_cmpuint (x->id_offset, ==, y->id_offset);
    g_assert_cmpuint (x->id_length, ==, y->id_length);
  }
  g_assert_cmpuint (a->members->len, ==, b->members->len);
  for (guint i = 0; i < a->members->len; i++) {
    SynapseJsonMember *x = &g_array_index (a->members, SynapseJsonMember, i);
    SynapseJsonMember *y = &g_array_index (b->members, SynapseJsonMember, i);

    g_assert_cmpuint (x->key_offset, ==, y->key_offset);
    g_assert_cmpuint (x->key_length, ==, y->key_length);
    g_assert_cmpuint (x->value_offset, ==, y->value_offset);
    g_assert_cmpuint (x->value_length, ==, y->value_length);
    g_assert_cmpint (x->is_url, ==, y->is_url);
  }
  g_assert_cmpmem (a->text->str, a->text->len, b->text->str, b->text->len);
}

/* The wide scanner against the reference one. */
static void
assert_scanners_agree (const char *text, gsize size)
{
  Verdict wide = { 0 }, reference = { 0 };

  judge (text, size, FALSE, &wide);
  judge (text, size, TRUE, &reference);
  g_assert_cmpint (wide.valid, ==, reference.valid);
  g_assert_cmpstr (wide.error, ==, reference.error);
  g_assert_cmpint (wide.exact, ==, reference.exact);
  g_assert_cmpstr (wide.exact_error, ==, reference.exact_error);
  assert_same_page (&wide.page, &reference.page);
  assert_same_page (&wide.with_urls, &reference.with_urls);
  assert_same_urls (&wide.urls, &reference.urls);
  verdict_clear (&wide);
  verdict_clear (&reference);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  const char *text = (const char *) data;
  g_auto (SynapseJsonPage) page = { 0 };
  gboolean valid = synapse_json_validate (text, size, NULL);
  gboolean scanned = synapse_json_scan_page (text, size, &page, NULL);

  /* one grammar, whichever way it is asked, and whichever scanner */
  g_assert_true (valid == scanned);
  assert_scanners_agree (text, size);
  {
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
