/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* One pass over a JSON document that checks it (RFC 8259 grammar, UTF-8,
 * bounded nesting) and, for a DRF page, notes where each result lies, so
 * that the results can be handed on as the bytes the backend sent: no tree
 * is built, nothing is serialized again. It also guards json-glib, whose
 * parser recurses without a bound, against hostile nesting.
 *
 * It is on the hot path of every page, so each step takes the position and
 * returns the next one (NULL on failure, with the error set): the position
 * stays in a register instead of going through memory at every byte. */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "synapse-json-scan.h"

typedef const guchar *Pos;

typedef struct
{
  Pos start;
  Pos end;
  guint depth;
  gboolean whitespace;          /* seen between tokens since last reset */
  GError **error;
} Scanner;

static Pos scan_value (Scanner * s, Pos p);

static Pos
fail (Scanner * s, Pos p, const char *what)
{
  g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
      "%s at byte %" G_GSIZE_FORMAT, what, (gsize) (p - s->start));
  return NULL;
}

static inline gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline Pos
skip_space (Scanner * s, Pos p)
{
  /* compact JSON has none: one test, then on */
  if (G_LIKELY (p >= s->end || !is_space (*p)))
    return p;
  s->whitespace = TRUE;
  while (p < s->end && is_space (*p))
    p++;
  return p;
}

/* What a byte is inside a string: most are plain and skipped at once. */
enum
{
  PLAIN,
  QUOTE,
  BACKSLASH,
  CONTROL,
  MULTIBYTE
};

static const guchar string_byte_class[256] = {
  [0x00 ... 0x1f] = CONTROL,
  ['"'] = QUOTE,
  ['\\'] = BACKSLASH,
  [0x80 ... 0xff] = MULTIBYTE,
};

#define ONES G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

/* Whether none of the 8 bytes of @w ends a plain run in a string: no
 * quote, backslash, control character or non-ASCII byte. (Each test is
 * exact as a whole once bytes of 0x80 and up are ruled out.) */
static inline gboolean
word_is_plain (guint64 w)
{
  guint64 quote = w ^ (ONES * '"');
  guint64 backslash = w ^ (ONES * '\\');

  return ((w | ((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote)
          | ((backslash - ONES) & ~backslash)) & HIGHS) == 0;
}

/* Steps over plain string bytes, eight at a time while it can. */
static inline Pos
skip_plain (Pos p, Pos end)
{
  while (end - p >= 8) {
    guint64 w;

    memcpy (&w, p, 8);
    if (!word_is_plain (w))
      break;
    p += 8;
  }
  while (p < end && string_byte_class[*p] == PLAIN)
    p++;
  return p;
}

/* Checks the UTF-8 sequence at @p (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF) and steps over it. Text outside
 * strings is ASCII by the grammar, so this is the only UTF-8 check. */
static Pos
scan_utf8 (Scanner * s, Pos p)
{
  guchar lead = p[0];
  guchar low = 0x80, high = 0xbf;
  int length;

  if (lead >= 0xc2 && lead <= 0xdf)
    length = 2;
  else if (lead >= 0xe0 && lead <= 0xef)
    length = 3;
  else if (lead >= 0xf0 && lead <= 0xf4)
    length = 4;
  else
    return fail (s, p, "invalid UTF-8");

  if (lead == 0xe0)
    low = 0xa0;
  else if (lead == 0xed)
    high = 0x9f;
  else if (lead == 0xf0)
    low = 0x90;
  else if (lead == 0xf4)
    high = 0x8f;

  if (s->end - p < length || p[1] < low || p[1] > high)
    return fail (s, p, "invalid UTF-8");
  for (int i = 2; i < length; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return fail (s, p, "invalid UTF-8");
  return p + length;
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

static Pos
scan_hex4 (Scanner * s, Pos p, gunichar * value)
{
  *value = 0;
  if (s->end - p < 4)
    return fail (s, p, "a short \\u escape");
  for (int i = 0; i < 4; i++) {
    int digit = hex_value (p[i]);

    if (digit < 0)
      return fail (s, p, "a bad \\u escape");
    *value = (*value << 4) | digit;
  }
  return p + 4;
}

/* The escape after a backslash at @p, decoded into @out when given. */
static Pos
scan_escape (Scanner * s, Pos p, GString * out)
{
  gunichar value;
  guchar c;

  if (++p >= s->end)
    return fail (s, p, "an unterminated string");
  c = *p++;
  switch (c) {
    case '"':
    case '\\':
    case '/':
      value = c;
      break;
    case 'b':
      value = '\b';
      break;
    case 'f':
      value = '\f';
      break;
    case 'n':
      value = '\n';
      break;
    case 'r':
      value = '\r';
      break;
    case 't':
      value = '\t';
      break;
    case 'u':
      if (!(p = scan_hex4 (s, p, &value)))
        return NULL;
      /* a surrogate pair makes one character; json-glib turns a lone
       * surrogate into invalid UTF-8, so it is refused here */
      if (value >= 0xd800 && value < 0xdc00) {
        gunichar low;

        if (s->end - p < 6 || p[0] != '\\' || p[1] != 'u')
          return fail (s, p, "an unpaired surrogate escape");
        if (!(p = scan_hex4 (s, p + 2, &low)))
          return NULL;
        if (low < 0xdc00 || low >= 0xe000)
          return fail (s, p, "an unpaired surrogate escape");
        value = 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00);
      } else if (value >= 0xdc00 && value < 0xe000) {
        return fail (s, p, "an unpaired surrogate escape");
      }
      break;
    default:
      return fail (s, p - 1, "a bad escape in a string");
  }
  if (out)
    g_string_append_unichar (out, value);
  return p;
}

/* A string at @p (its opening quote); decoded into @out when given. */
static Pos
scan_string (Scanner * s, Pos p, GString * out)
{
  Pos run = ++p;

  for (;;) {
    p = skip_plain (p, s->end);
    if (G_UNLIKELY (p >= s->end))
      return fail (s, p, "an unterminated string");
    switch (string_byte_class[*p]) {
      case QUOTE:
        if (out)
          g_string_append_len (out, (const char *) run, p - run);
        return p + 1;
      case CONTROL:
        return fail (s, p, "a control character in a string");
      case MULTIBYTE:
        if (!(p = scan_utf8 (s, p)))
          return NULL;
        break;
      default:
        if (out)
          g_string_append_len (out, (const char *) run, p - run);
        if (!(p = scan_escape (s, p, out)))
          return NULL;
        run = p;
        break;
    }
  }
}

static inline Pos
scan_digits (Pos p, Pos end)
{
  while (p < end && g_ascii_isdigit (*p))
    p++;
  return p;
}

/* A number; *is_integer tells whether it has no fraction or exponent. */
static Pos
scan_number (Scanner * s, Pos p, gboolean * is_integer)
{
  Pos digits;

  *is_integer = TRUE;
  if (*p == '-')
    p++;
  if (p < s->end && *p == '0')
    p++;
  else if ((digits = scan_digits (p, s->end)) != p)
    p = digits;
  else
    return fail (s, p, "a bad number");
  if (p < s->end && *p == '.') {
    *is_integer = FALSE;
    digits = scan_digits (++p, s->end);
    if (digits == p)
      return fail (s, p, "a bad number");
    p = digits;
  }
  if (p < s->end && (*p == 'e' || *p == 'E')) {
    *is_integer = FALSE;
    p++;
    if (p < s->end && (*p == '+' || *p == '-'))
      p++;
    digits = scan_digits (p, s->end);
    if (digits == p)
      return fail (s, p, "a bad number");
    p = digits;
  }
  return p;
}

static Pos
scan_literal (Scanner * s, Pos p, const char *word, gsize length)
{
  if ((gsize) (s->end - p) < length || memcmp (p, word, length) != 0)
    return fail (s, p, "an unexpected character");
  return p + length;
}

static Pos
enter (Scanner * s, Pos p)
{
  if (G_UNLIKELY (++s->depth > SYNAPSE_JSON_MAX_DEPTH)) {
    g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "nesting deeper than %d levels at byte %" G_GSIZE_FORMAT,
        SYNAPSE_JSON_MAX_DEPTH, (gsize) (p - s->start));
    return NULL;
  }
  return p + 1;
}

/* Scans the members of an object after its '{' has been entered, handing
 * each key (decoded) and value position to @member; without @member, keys
 * are not decoded. */
typedef Pos (*MemberFunc) (Scanner * s, Pos p, GString * key, gpointer data);

static Pos
scan_object_members (Scanner * s, Pos p, MemberFunc member, gpointer data)
{
  g_autoptr (GString) key = member ? g_string_new (NULL) : NULL;

  p = skip_space (s, p);
  if (p < s->end && *p == '}') {
    s->depth--;
    return p + 1;
  }
  for (;;) {
    if (G_UNLIKELY (p >= s->end || *p != '"'))
      return fail (s, p, "a missing object key");
    if (key)
      g_string_truncate (key, 0);
    if (!(p = scan_string (s, p, key)))
      return NULL;
    p = skip_space (s, p);
    if (G_UNLIKELY (p >= s->end || *p != ':'))
      return fail (s, p, "a missing ':'");
    p = skip_space (s, p + 1);
    if (!(p = member ? member (s, p, key, data) : scan_value (s, p)))
      return NULL;
    p = skip_space (s, p);
    if (p < s->end && *p == ',') {
      p = skip_space (s, p + 1);
      continue;
    }
    if (p < s->end && *p == '}') {
      s->depth--;
      return p + 1;
    }
    return fail (s, p, "a missing ',' or '}'");
  }
}

/* Scans the elements of an array after its '[' has been entered; @element
 * (or scan_value()) scans each one. */
typedef Pos (*ElementFunc) (Scanner * s, Pos p, gpointer data);

static Pos
scan_array_elements (Scanner * s, Pos p, ElementFunc element, gpointer data)
{
  p = skip_space (s, p);
  if (p < s->end && *p == ']') {
    s->depth--;
    return p + 1;
  }
  for (;;) {
    if (!(p = element ? element (s, p, data) : scan_value (s, p)))
      return NULL;
    p = skip_space (s, p);
    if (p < s->end && *p == ',') {
      p = skip_space (s, p + 1);
      continue;
    }
    if (p < s->end && *p == ']') {
      s->depth--;
      return p + 1;
    }
    return fail (s, p, "a missing ',' or ']'");
  }
}

static Pos
scan_value (Scanner * s, Pos p)
{
  gboolean is_integer;

  if (G_UNLIKELY (p >= s->end))
    return fail (s, p, "a missing value");
  switch (*p) {
    case '"':
      return scan_string (s, p, NULL);
    case '{':
      return (p = enter (s, p)) ? scan_object_members (s, p, NULL, NULL)
          : NULL;
    case '[':
      return (p = enter (s, p)) ? scan_array_elements (s, p, NULL, NULL)
          : NULL;
    case 't':
      return scan_literal (s, p, "true", 4);
    case 'f':
      return scan_literal (s, p, "false", 5);
    case 'n':
      return scan_literal (s, p, "null", 4);
    default:
      if (*p == '-' || g_ascii_isdigit (*p))
        return scan_number (s, p, &is_integer);
      return fail (s, p, "an unexpected character");
  }
}

static Pos
scanner_init (Scanner * s, const char *data, gsize length, GError ** error)
{
  s->start = (Pos) data;
  s->end = s->start + length;
  s->depth = 0;
  s->whitespace = FALSE;
  s->error = error;
  return skip_space (s, s->start);
}

static gboolean
scanner_finish (Scanner * s, Pos p)
{
  if (p == NULL)
    return FALSE;
  p = skip_space (s, p);
  if (p != s->end)
    return fail (s, p, "data after the JSON document") != NULL;
  return TRUE;
}

gboolean
synapse_json_validate (const char *data, gsize length, GError ** error)
{
  Scanner s;
  Pos p = scanner_init (&s, data, length, error);

  return scanner_finish (&s, scan_value (&s, p));
}

void
synapse_json_page_clear (SynapseJsonPage * page)
{
  g_clear_pointer (&page->results, g_array_unref);
  g_clear_pointer (&page->next, g_free);
  memset (page, 0, sizeof *page);
}

static Pos
scan_result (Scanner * s, Pos p, gpointer data)
{
  SynapseJsonPage *page = data;
  SynapseJsonSpan span = { p - s->start, 0, FALSE };

  if (p < s->end && *p != '{')
    page->results_are_objects = FALSE;
  s->whitespace = FALSE;
  if (!(p = scan_value (s, p)))
    return NULL;
  span.length = (p - s->start) - span.offset;
  span.has_whitespace = s->whitespace;
  g_array_append_val (page->results, span);
  return p;
}

static Pos
scan_count (Scanner * s, Pos p, SynapseJsonPage * page)
{
  Pos first = p;
  gboolean is_integer = FALSE;
  char digits[24];
  gsize length;

  page->count = -1;
  page->count_valid = *p == 'n';
  if (*p != '-' && !g_ascii_isdigit (*p))
    return scan_value (s, p);
  if (!(p = scan_number (s, p, &is_integer)))
    return NULL;
  length = p - first;
  if (is_integer && *first != '-' && length < sizeof digits) {
    memcpy (digits, first, length);
    digits[length] = '\0';
    page->count = g_ascii_strtoll (digits, NULL, 10);
    page->count_valid = page->count >= 0 && page->count < G_MAXINT64;
  }
  return p;
}

static Pos
scan_page_member (Scanner * s, Pos p, GString * key, gpointer data)
{
  SynapseJsonPage *page = data;

  if (p >= s->end)
    return fail (s, p, "a missing value");

  if (g_str_equal (key->str, "results")) {
    g_clear_pointer (&page->results, g_array_unref);
    if (*p != '[')
      return scan_value (s, p);
    page->results = g_array_sized_new (FALSE, FALSE, sizeof (SynapseJsonSpan),
        100);
    page->results_are_objects = TRUE;
    return (p = enter (s, p)) ? scan_array_elements (s, p, scan_result, page)
        : NULL;
  }

  if (g_str_equal (key->str, "count"))
    return scan_count (s, p, page);

  if (g_str_equal (key->str, "next")) {
    g_clear_pointer (&page->next, g_free);
    page->next_valid = *p == '"' || *p == 'n';
    if (*p == '"') {
      GString *next = g_string_new (NULL);

      if (!(p = scan_string (s, p, next))) {
        g_string_free (next, TRUE);
        return NULL;
      }
      page->next = g_string_free (next, FALSE);
      return p;
    }
  }

  return scan_value (s, p);
}

gboolean
synapse_json_scan_page (const char *data, gsize length,
    SynapseJsonPage * page, GError ** error)
{
  Scanner s;
  Pos p;

  memset (page, 0, sizeof *page);
  page->count = -1;
  page->count_valid = TRUE;
  page->next_valid = TRUE;
  p = scanner_init (&s, data, length, error);

  if (p < s.end && *p == '{') {
    page->is_object = TRUE;
    p = enter (&s, p);
    p = p ? scan_object_members (&s, p, scan_page_member, page) : NULL;
  } else {
    p = scan_value (&s, p);
  }
  if (!scanner_finish (&s, p)) {
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
