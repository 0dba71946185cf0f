/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One pass over a JSON document that checks it (RFC 8259 grammar, UTF-8,
 * bounded nesting) and, for a DRF page, notes where each result lies, so
 * that the results can be handed on as the bytes the backend sent: no tree
 * is built, nothing is serialized again. It also guards json-glib, whose
 * parser recurses without a bound, against hostile nesting. */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "synapse-json-scan.h"

typedef struct
{
  const guchar *start;
  const guchar *p;
  const guchar *end;
  guint depth;
  gboolean whitespace;          /* seen between tokens since last reset */
  GError **error;
} Scanner;

static gboolean scan_value (Scanner * s);

static gboolean
fail (Scanner * s, const char *what)
{
  g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "%s at byte %" G_GSIZE_FORMAT, what, (gsize) (s->p - s->start));
  return FALSE;
}

static inline gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline void
skip_space (Scanner * s)
{
  const guchar *p = s->p;

  while (p < s->end && is_space (*p))
    p++;
  if (p != s->p)
    s->whitespace = TRUE;
  s->p = p;
}

static int
hex_value (guchar c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static gboolean
scan_hex4 (Scanner * s, gunichar * value)
{
  *value = 0;
  if (s->end - s->p < 4)
    return fail (s, "a short \\u escape");
  for (int i = 0; i < 4; i++) {
    int digit = hex_value (s->p[i]);

    if (digit < 0)
      return fail (s, "a bad \\u escape");
    *value = (*value << 4) | digit;
  }
  s->p += 4;
  return TRUE;
}

/* A string at s->p (its opening quote); decoded into @out when given. */
static gboolean
scan_string (Scanner * s, GString * out)
{
  const guchar *run;

  s->p++;
  run = s->p;
  for (;;) {
    guchar c;

    if (s->p >= s->end)
      return fail (s, "an unterminated string");
    c = *s->p;
    if (c == '"') {
      if (out)
        g_string_append_len (out, (const char *) run, s->p - run);
      s->p++;
      return TRUE;
    }
    if (c < 0x20)
      return fail (s, "a control character in a string");
    if (c != '\\') {
      s->p++;
      continue;
    }

    if (out)
      g_string_append_len (out, (const char *) run, s->p - run);
    s->p++;
    if (s->p >= s->end)
      return fail (s, "an unterminated string");
    c = *s->p++;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        if (out)
          g_string_append_c (out, c);
        break;
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        if (out)
          g_string_append_c (out, c == 'b' ? '\b' : c == 'f' ? '\f'
              : c == 'n' ? '\n' : c == 'r' ? '\r' : '\t');
        break;
      case 'u':{
        gunichar value;

        if (!scan_hex4 (s, &value))
          return FALSE;
        /* a surrogate pair makes one character; json-glib turns a lone
         * surrogate into invalid UTF-8, so it is refused here */
        if (value >= 0xd800 && value < 0xdc00) {
          gunichar low = 0;

          if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u')
            return fail (s, "an unpaired surrogate escape");
          s->p += 2;
          if (!scan_hex4 (s, &low))
            return FALSE;
          if (low < 0xdc00 || low >= 0xe000)
            return fail (s, "an unpaired surrogate escape");
          value = 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00);
        } else if (value >= 0xdc00 && value < 0xe000) {
          return fail (s, "an unpaired surrogate escape");
        }
        if (out)
          g_string_append_unichar (out, value);
        break;
      }
      default:
        s->p--;
        return fail (s, "a bad escape in a string");
    }
    run = s->p;
  }
}

static gboolean
scan_digits (Scanner * s)
{
  const guchar *first = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return s->p != first;
}

/* A number; *is_integer tells whether it has no fraction or exponent. */
static gboolean
scan_number (Scanner * s, gboolean * is_integer)
{
  *is_integer = TRUE;
  if (*s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    return fail (s, "a bad number");
  if (s->p < s->end && *s->p == '.') {
    *is_integer = FALSE;
    s->p++;
    if (!scan_digits (s))
      return fail (s, "a bad number");
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    *is_integer = FALSE;
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
      s->p++;
    if (!scan_digits (s))
      return fail (s, "a bad number");
  }
  return TRUE;
}

static gboolean
scan_literal (Scanner * s, const char *word)
{
  gsize length = strlen (word);

  if ((gsize) (s->end - s->p) < length || memcmp (s->p, word, length) != 0)
    return fail (s, "an unexpected character");
  s->p += length;
  return TRUE;
}

static gboolean
enter (Scanner * s)
{
  if (++s->depth > SYNAPSE_JSON_MAX_DEPTH) {
    g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "nesting deeper than %d levels at byte %" G_GSIZE_FORMAT,
        SYNAPSE_JSON_MAX_DEPTH, (gsize) (s->p - s->start));
    return FALSE;
  }
  s->p++;
  return TRUE;
}

/* Scans the members of an object after its '{' has been entered, handing
 * each key and value position to @member (NULL: just scan the value). */
typedef gboolean (*MemberFunc) (Scanner * s, GString * key, gpointer data);

static gboolean
scan_object_members (Scanner * s, MemberFunc member, gpointer data)
{
  g_autoptr (GString) key = member ? g_string_new (NULL) : NULL;

  skip_space (s);
  if (s->p < s->end && *s->p == '}') {
    s->p++;
    s->depth--;
    return TRUE;
  }
  for (;;) {
    if (s->p >= s->end || *s->p != '"')
      return fail (s, "a missing object key");
    if (key)
      g_string_truncate (key, 0);
    if (!scan_string (s, key))
      return FALSE;
    skip_space (s);
    if (s->p >= s->end || *s->p != ':')
      return fail (s, "a missing ':'");
    s->p++;
    skip_space (s);
    if (!(member ? member (s, key, data) : scan_value (s)))
      return FALSE;
    skip_space (s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      skip_space (s);
      continue;
    }
    if (s->p < s->end && *s->p == '}') {
      s->p++;
      s->depth--;
      return TRUE;
    }
    return fail (s, "a missing ',' or '}'");
  }
}

/* Scans the elements of an array after its '[' has been entered; @element
 * (or NULL) scans each one. */
typedef gboolean (*ElementFunc) (Scanner * s, gpointer data);

static gboolean
scan_array_elements (Scanner * s, ElementFunc element, gpointer data)
{
  skip_space (s);
  if (s->p < s->end && *s->p == ']') {
    s->p++;
    s->depth--;
    return TRUE;
  }
  for (;;) {
    if (!(element ? element (s, data) : scan_value (s)))
      return FALSE;
    skip_space (s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      skip_space (s);
      continue;
    }
    if (s->p < s->end && *s->p == ']') {
      s->p++;
      s->depth--;
      return TRUE;
    }
    return fail (s, "a missing ',' or ']'");
  }
}

static gboolean
scan_value (Scanner * s)
{
  gboolean is_integer;

  if (s->p >= s->end)
    return fail (s, "a missing value");
  switch (*s->p) {
    case '{':
      return enter (s) && scan_object_members (s, NULL, NULL);
    case '[':
      return enter (s) && scan_array_elements (s, NULL, NULL);
    case '"':
      return scan_string (s, NULL);
    case 't':
      return scan_literal (s, "true");
    case 'f':
      return scan_literal (s, "false");
    case 'n':
      return scan_literal (s, "null");
    default:
      if (*s->p == '-' || g_ascii_isdigit (*s->p))
        return scan_number (s, &is_integer);
      return fail (s, "an unexpected character");
  }
}

static gboolean
scanner_init (Scanner * s, const char *data, gsize length, GError ** error)
{
  const char *bad = NULL;

  s->start = s->p = (const guchar *) data;
  s->end = s->start + length;
  s->depth = 0;
  s->whitespace = FALSE;
  s->error = error;
  if (!g_utf8_validate_len (data, length, &bad)) {
    s->p = (const guchar *) bad;
    return fail (s, "invalid UTF-8");
  }
  skip_space (s);
  return TRUE;
}

static gboolean
scanner_finish (Scanner * s)
{
  skip_space (s);
  if (s->p != s->end)
    return fail (s, "data after the JSON document");
  return TRUE;
}

gboolean
synapse_json_validate (const char *data, gsize length, GError ** error)
{
  Scanner s;

  return scanner_init (&s, data, length, error) && scan_value (&s)
      && scanner_finish (&s);
}

void
synapse_json_page_clear (SynapseJsonPage * page)
{
  g_clear_pointer (&page->results, g_array_unref);
  g_clear_pointer (&page->next, g_free);
  memset (page, 0, sizeof *page);
}

static gboolean
scan_result (Scanner * s, gpointer data)
{
  SynapseJsonPage *page = data;
  SynapseJsonSpan span = { s->p - s->start, 0, FALSE };

  if (s->p < s->end && *s->p != '{')
    page->results_are_objects = FALSE;
  s->whitespace = FALSE;
  if (!scan_value (s))
    return FALSE;
  span.length = (s->p - s->start) - span.offset;
  span.has_whitespace = s->whitespace;
  g_array_append_val (page->results, span);
  return TRUE;
}

static gboolean
scan_page_member (Scanner * s, GString * key, gpointer data)
{
  SynapseJsonPage *page = data;

  if (s->p >= s->end)
    return fail (s, "a missing value");
  if (g_str_equal (key->str, "results")) {
    g_clear_pointer (&page->results, g_array_unref);
    if (*s->p != '[')
      return scan_value (s);
    page->results = g_array_new (FALSE, FALSE, sizeof (SynapseJsonSpan));
    page->results_are_objects = TRUE;
    return enter (s) && scan_array_elements (s, scan_result, page);
  }

  if (g_str_equal (key->str, "count")) {
    const guchar *first = s->p;
    gboolean is_integer = FALSE;
    char digits[24];
    gsize length;

    page->count = -1;
    page->count_valid = *s->p == 'n';
    if (*s->p != '-' && !g_ascii_isdigit (*s->p))
      return scan_value (s);
    if (!scan_number (s, &is_integer))
      return FALSE;
    length = s->p - first;
    if (is_integer && *first != '-' && length < sizeof digits) {
      memcpy (digits, first, length);
      digits[length] = '\0';
      page->count = g_ascii_strtoll (digits, NULL, 10);
      page->count_valid = page->count >= 0 && page->count < G_MAXINT64;
    }
    return TRUE;
  }

  if (g_str_equal (key->str, "next")) {
    g_clear_pointer (&page->next, g_free);
    page->next_valid = *s->p == '"' || *s->p == 'n';
    if (*s->p == '"') {
      GString *next = g_string_new (NULL);

      if (!scan_string (s, next)) {
        g_string_free (next, TRUE);
        return FALSE;
      }
      page->next = g_string_free (next, FALSE);
      return TRUE;
    }
    return scan_value (s);
  }

  return scan_value (s);
}

gboolean
synapse_json_scan_page (const char *data, gsize length,
    SynapseJsonPage * page, GError ** error)
{
  Scanner s;

  memset (page, 0, sizeof *page);
  page->count = -1;
  page->count_valid = TRUE;
  page->next_valid = TRUE;
  if (!scanner_init (&s, data, length, error))
    return FALSE;

  if (s.p < s.end && *s.p == '{') {
    page->is_object = TRUE;
    if (!enter (&s) || !scan_object_members (&s, scan_page_member, page)) {
      synapse_json_page_clear (page);
      return FALSE;
    }
  } else if (!scan_value (&s)) {
    return FALSE;
  }
  if (!scanner_finish (&s)) {
    synapse_json_page_clear (page);
    return FALSE;
  }
  return TRUE;
}

GBytes *
synapse_json_compact (const char *data, gsize length)
{
  GByteArray *out = g_byte_array_sized_new (length);
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++) {
    guchar c = data[i];

    if (in_string) {
      if (c == '\\' && i + 1 < length) {
        g_byte_array_append (out, (const guint8 *) data + i, 2);
        i++;
        continue;
      }
      if (c == '"')
        in_string = FALSE;
    } else if (is_space (c)) {
      continue;
    } else if (c == '"') {
      in_string = TRUE;
    }
    g_byte_array_append (out, &c, 1);
  }
  return g_byte_array_free_to_bytes (out);
}
