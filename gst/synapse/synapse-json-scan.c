/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The JSON scanner: one pass over a document that checks it (RFC 8259
 * grammar, UTF-8, bounded nesting) without building a tree. It guards
 * json-glib, whose parser recurses without a bound, against hostile
 * nesting; in its exact mode it also finds what json-glib would not read
 * back as written. Its steps are what the page scan (synapse-page-scan.c)
 * builds on to find a page's results and URLs in the same pass.
 *
 * It is on the hot path of every page, so each step takes the position and
 * returns the next one (NULL on failure, with the error set): the position
 * stays in a register instead of going through memory at every byte. A
 * value that no callback looks into (every result of a raw page) is walked
 * in one loop, without recursion, and plain string bytes are skipped 16 at
 * a time (SSE2, baseline on x86-64) or 8 (a word, elsewhere), digits 16 at
 * a time (SSE2). The reference steps (recursion, one byte at a time) stay
 * beside them: the differential fuzzer holds the two to the same verdicts,
 * errors and positions. The exact mode costs the page scan one test, at a
 * \u escape that decodes to U+0000. */

#include "config.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "synapse-json-scan.h"

SynapseJsonPos
synapse_json_scan_fail (SynapseJsonScanner * s, SynapseJsonPos p,
    const char *what)
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

static inline SynapseJsonPos
skip_space (SynapseJsonScanner * s, SynapseJsonPos p)
{
  /* compact JSON has none: every other byte is above a space */
  if (G_LIKELY (p >= s->end || *p > ' ' || !is_space (*p)))
    return p;
  s->whitespace = TRUE;
  while (p < s->end && is_space (*p))
    p++;
  return p;
}

/* In exact mode, keeps the first thing that json-glib would not read back
 * as written, and scans on: a document that is not JSON at all still says
 * that first. */
static void
G_GNUC_PRINTF (2, 3)
note_inexact (SynapseJsonScanner * s, const char *format, ...)
{
  va_list args;

  if (s->inexact)
    return;
  va_start (args, format);
  s->inexact = g_error_new_valist (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
      format, args);
  va_end (args);
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

/* The reference stride over plain string bytes: one at a time. */
static inline SynapseJsonPos
skip_plain_bytes (SynapseJsonPos p, SynapseJsonPos end)
{
  while (p < end && string_byte_class[*p] == PLAIN)
    p++;
  return p;
}

/* Steps over plain string bytes, 16 (SSE2) or 8 (a word) at a time while
 * it can, the last few one by one. */
static inline SynapseJsonPos
skip_plain_wide (SynapseJsonPos p, SynapseJsonPos end)
{
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i backslash = _mm_set1_epi8 ('\\');
  const __m128i space = _mm_set1_epi8 (' ');

  while (end - p >= 16) {
    __m128i bytes = _mm_loadu_si128 ((const __m128i *) p);
    /* signed bytes: below 0x20, or 0x80 and up, are less than a space */
    __m128i stops = _mm_or_si128 (_mm_cmplt_epi8 (bytes, space),
        _mm_or_si128 (_mm_cmpeq_epi8 (bytes, quote),
            _mm_cmpeq_epi8 (bytes, backslash)));
    int mask = _mm_movemask_epi8 (stops);

    if (mask != 0)
      return p + __builtin_ctz (mask);
    p += 16;
  }
#endif
  while (end - p >= 8) {
    guint64 w;

    memcpy (&w, p, 8);
    if (!synapse_json_word_is_plain (w))
      break;
    p += 8;
  }
  return skip_plain_bytes (p, end);
}

static inline SynapseJsonPos
skip_plain (SynapseJsonScanner * s, SynapseJsonPos p)
{
  return G_UNLIKELY (s->reference) ? skip_plain_bytes (p, s->end)
      : skip_plain_wide (p, s->end);
}

/* Checks the UTF-8 sequence at @p (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF) and steps over it. Text outside
 * strings is ASCII by the grammar, so this is the only UTF-8 check. */
static SynapseJsonPos
scan_utf8 (SynapseJsonScanner * s, SynapseJsonPos p)
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
    return synapse_json_scan_fail (s, p, "invalid UTF-8");

  if (lead == 0xe0)
    low = 0xa0;
  else if (lead == 0xed)
    high = 0x9f;
  else if (lead == 0xf0)
    low = 0x90;
  else if (lead == 0xf4)
    high = 0x8f;

  if (s->end - p < length || p[1] < low || p[1] > high)
    return synapse_json_scan_fail (s, p, "invalid UTF-8");
  for (int i = 2; i < length; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return synapse_json_scan_fail (s, p, "invalid UTF-8");
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

static SynapseJsonPos
scan_hex4 (SynapseJsonScanner * s, SynapseJsonPos p, gunichar * value)
{
  *value = 0;
  if (s->end - p < 4)
    return synapse_json_scan_fail (s, p, "a short \\u escape");
  for (int i = 0; i < 4; i++) {
    int digit = hex_value (p[i]);

    if (digit < 0)
      return synapse_json_scan_fail (s, p, "a bad \\u escape");
    *value = (*value << 4) | digit;
  }
  return p + 4;
}

/* The escape after a backslash at @p, decoded into @out when given. */
static SynapseJsonPos
scan_escape (SynapseJsonScanner * s, SynapseJsonPos p, GString * out)
{
  gunichar value;
  guchar c;

  if (++p >= s->end)
    return synapse_json_scan_fail (s, p, "an unterminated string");
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
      /* json-glib cuts a string at U+0000 (the backslash is 6 bytes back) */
      if (G_UNLIKELY (value == 0) && s->exact)
        note_inexact (s, "the string at byte %" G_GSIZE_FORMAT " holds U+0000, "
            "which would cut it short", (gsize) (p - 6 - s->start));
      /* a surrogate pair makes one character; json-glib turns a lone
       * surrogate into invalid UTF-8, so it is refused here */
      if (value >= 0xd800 && value < 0xdc00) {
        gunichar low;

        if (s->end - p < 6 || p[0] != '\\' || p[1] != 'u')
          return synapse_json_scan_fail (s, p, "an unpaired surrogate escape");
        if (!(p = scan_hex4 (s, p + 2, &low)))
          return NULL;
        if (low < 0xdc00 || low >= 0xe000)
          return synapse_json_scan_fail (s, p, "an unpaired surrogate escape");
        value = 0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00);
      } else if (value >= 0xdc00 && value < 0xe000) {
        return synapse_json_scan_fail (s, p, "an unpaired surrogate escape");
      }
      break;
    default:
      return synapse_json_scan_fail (s, p - 1, "a bad escape in a string");
  }
  if (out)
    g_string_append_unichar (out, value);
  return p;
}

/* The rest of a string from @p, where a run of plain bytes that began at
 * @run ends; decoded into @out when given. */
static SynapseJsonPos
scan_string_rest (SynapseJsonScanner * s, SynapseJsonPos p, SynapseJsonPos run,
    GString * out)
{
  for (;;) {
    if (G_UNLIKELY (p >= s->end))
      return synapse_json_scan_fail (s, p, "an unterminated string");
    switch (string_byte_class[*p]) {
      case QUOTE:
        if (out)
          g_string_append_len (out, (const char *) run, p - run);
        return p + 1;
      case CONTROL:
        return synapse_json_scan_fail (s, p, "a control character in a string");
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
    p = skip_plain (s, p);
  }
}

/* A string at @p, not decoded: most end at their first stop. */
G_ALWAYS_INLINE static inline SynapseJsonPos
skip_string (SynapseJsonScanner * s, SynapseJsonPos p)
{
  p = skip_plain_wide (p + 1, s->end);
  if (G_LIKELY (p < s->end && *p == '"'))
    return p + 1;
  return scan_string_rest (s, p, NULL, NULL);
}

/* A string at @p (its opening quote); decoded into @out when given. */
SynapseJsonPos
synapse_json_scan_string (SynapseJsonScanner * s, SynapseJsonPos p,
    GString * out)
{
  SynapseJsonPos run = p + 1;

  return scan_string_rest (s, skip_plain (s, run), run, out);
}

static inline gboolean
is_digit (guchar c)
{
  return (guchar) (c - '0') < 10;
}

/* The reference stride over digits: one at a time. */
static inline SynapseJsonPos
scan_digits (SynapseJsonPos p, SynapseJsonPos end)
{
  while (p < end && is_digit (*p))
    p++;
  return p;
}

/* Steps over digits 16 at a time (SSE2) while it can: most numbers end
 * within the first 16 bytes, found with one load and no loop. */
static inline SynapseJsonPos
skip_digits_wide (SynapseJsonPos p, SynapseJsonPos end)
{
#ifdef __SSE2__
  const __m128i below = _mm_set1_epi8 ('0' - 1);
  const __m128i above = _mm_set1_epi8 ('9' + 1);

  while (end - p >= 16) {
    __m128i bytes = _mm_loadu_si128 ((const __m128i *) p);
    /* signed bytes: 0x80 and up are below '0' too */
    __m128i digits = _mm_and_si128 (_mm_cmpgt_epi8 (bytes, below),
        _mm_cmplt_epi8 (bytes, above));
    int stops = ~_mm_movemask_epi8 (digits) & 0xffff;

    if (stops != 0)
      return p + __builtin_ctz (stops);
    p += 16;
  }
#endif
  return scan_digits (p, end);
}

G_ALWAYS_INLINE static inline SynapseJsonPos
skip_digits (SynapseJsonPos p, SynapseJsonPos end, gboolean wide)
{
  return wide ? skip_digits_wide (p, end) : scan_digits (p, end);
}

/* A number; *is_integer tells whether it has no fraction or exponent.
 * @wide: its digits are stepped over by skip_digits_wide (), not by the
 * reference's scan_digits (). */
G_ALWAYS_INLINE static inline SynapseJsonPos
scan_number (SynapseJsonScanner * s, SynapseJsonPos p, gboolean * is_integer,
    gboolean wide)
{
  SynapseJsonPos digits;

  *is_integer = TRUE;
  if (*p == '-')
    p++;
  if (p < s->end && *p == '0')
    p++;
  else if ((digits = skip_digits (p, s->end, wide)) != p)
    p = digits;
  else
    return synapse_json_scan_fail (s, p, "a bad number");
  if (p < s->end && *p == '.') {
    *is_integer = FALSE;
    digits = skip_digits (++p, s->end, wide);
    if (digits == p)
      return synapse_json_scan_fail (s, p, "a bad number");
    p = digits;
  }
  if (p < s->end && (*p == 'e' || *p == 'E')) {
    *is_integer = FALSE;
    p++;
    if (p < s->end && (*p == '+' || *p == '-'))
      p++;
    digits = skip_digits (p, s->end, wide);
    if (digits == p)
      return synapse_json_scan_fail (s, p, "a bad number");
    p = digits;
  }
  return p;
}

SynapseJsonPos
synapse_json_scan_number (SynapseJsonScanner * s, SynapseJsonPos p,
    gboolean * is_integer)
{
  return G_UNLIKELY (s->reference) ? scan_number (s, p, is_integer, FALSE)
      : scan_number (s, p, is_integer, TRUE);
}

static inline SynapseJsonPos
scan_literal (SynapseJsonScanner * s, SynapseJsonPos p, const char *word,
    gsize length)
{
  if ((gsize) (s->end - p) < length || memcmp (p, word, length) != 0)
    return synapse_json_scan_fail (s, p, "an unexpected character");
  return p + length;
}

static inline SynapseJsonPos
scan_enter (SynapseJsonScanner * s, SynapseJsonPos p)
{
  if (G_UNLIKELY (++s->depth > SYNAPSE_JSON_MAX_DEPTH)) {
    g_set_error (s->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "nesting deeper than %d levels at byte %" G_GSIZE_FORMAT,
        SYNAPSE_JSON_MAX_DEPTH, (gsize) (p - s->start));
    return NULL;
  }
  return p + 1;
}

SynapseJsonPos
synapse_json_scan_enter (SynapseJsonScanner * s, SynapseJsonPos p)
{
  return scan_enter (s, p);
}

SynapseJsonPos
synapse_json_scan_members (SynapseJsonScanner * s, SynapseJsonPos p,
    SynapseJsonMemberFunc member, gpointer data)
{
  /* only for keys with escapes: the others are handed as they lie */
  g_autoptr (GString) decoded = NULL;

  p = skip_space (s, p);
  if (p < s->end && *p == '}') {
    s->depth--;
    return p + 1;
  }
  for (;;) {
    SynapseJsonPos key_start = p, key_end;
    const char *name = NULL;
    gsize name_length = 0;

    if (G_UNLIKELY (p >= s->end || *p != '"'))
      return synapse_json_scan_fail (s, p, "a missing object key");
    key_end = skip_plain (s, p + 1);
    if (G_LIKELY (key_end < s->end && *key_end == '"')) {
      name = (const char *) p + 1;
      name_length = key_end++ - (p + 1);
    } else {
      if (member && decoded == NULL)
        decoded = g_string_new (NULL);
      if (decoded)
        g_string_truncate (decoded, 0);
      if (!(key_end = scan_string_rest (s, key_end, p + 1, decoded)))
        return NULL;
      if (decoded) {
        name = decoded->str;
        name_length = decoded->len;
      }
    }
    p = skip_space (s, key_end);
    if (G_UNLIKELY (p >= s->end || *p != ':'))
      return synapse_json_scan_fail (s, p, "a missing ':'");
    p = skip_space (s, p + 1);
    /* the callbacks look at the value's first byte */
    if (G_UNLIKELY (p >= s->end))
      return synapse_json_scan_fail (s, p, "a missing value");
    if (!(p = member ? member (s, key_start, key_end, p, name, name_length,
                data) : synapse_json_scan_value (s, p)))
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
    return synapse_json_scan_fail (s, p, "a missing ',' or '}'");
  }
}

SynapseJsonPos
synapse_json_scan_elements (SynapseJsonScanner * s, SynapseJsonPos p,
    SynapseJsonElementFunc element, gpointer data)
{
  p = skip_space (s, p);
  if (p < s->end && *p == ']') {
    s->depth--;
    return p + 1;
  }
  for (;;) {
    if (G_UNLIKELY (p >= s->end))
      return synapse_json_scan_fail (s, p, "a missing value");
    if (!(p = element ? element (s, p, data) : synapse_json_scan_value (s, p)))
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
    return synapse_json_scan_fail (s, p, "a missing ',' or ']'");
  }
}

/* The reference walk of a value: containers by recursion, through
 * synapse_json_scan_value () for each value they hold. */
static SynapseJsonPos
reference_value (SynapseJsonScanner * s, SynapseJsonPos p)
{
  gboolean is_integer;

  if (G_UNLIKELY (p >= s->end))
    return synapse_json_scan_fail (s, p, "a missing value");
  switch (*p) {
    case '"':
      return synapse_json_scan_string (s, p, NULL);
    case '{':
      return (p = scan_enter (s, p))
          ? synapse_json_scan_members (s, p, NULL, NULL) : NULL;
    case '[':
      return (p = scan_enter (s, p))
          ? synapse_json_scan_elements (s, p, NULL, NULL) : NULL;
    case 't':
      return scan_literal (s, p, "true", 4);
    case 'f':
      return scan_literal (s, p, "false", 5);
    case 'n':
      return scan_literal (s, p, "null", 4);
    default:
      if (*p == '-' || is_digit (*p))
        return scan_number (s, p, &is_integer, FALSE);
      return synapse_json_scan_fail (s, p, "an unexpected character");
  }
}

/* The same walk in one loop, each step and each error the reference
 * walk's, in the same order: the containers open, from the depth it
 * started at, are told apart by @closer at their depth, the byte that
 * closes each ('}' or ']', two past the opening one in ASCII). Whitespace
 * is looked for only where a token is not what comes next in compact
 * JSON. */
static SynapseJsonPos
walk_value (SynapseJsonScanner * s, SynapseJsonPos p)
{
  guchar closer[SYNAPSE_JSON_MAX_DEPTH + 1];
  const guint base = s->depth;
  const SynapseJsonPos end = s->end;
  guint depth = base;
  gboolean is_integer;

value:
  if (G_UNLIKELY (p >= end))
    return synapse_json_scan_fail (s, p, "a missing value");
  switch (*p) {
    case '"':
      if (!(p = skip_string (s, p)))
        return NULL;
      break;
    case '{':
    case '[':
      if (G_UNLIKELY (++depth > SYNAPSE_JSON_MAX_DEPTH)) {
        s->depth = depth - 1;
        return scan_enter (s, p);
      }
      closer[depth] = *p + 2;
      p = skip_space (s, p + 1);
      if (p < end && *p == closer[depth]) {
        depth--;
        p++;
        break;
      }
      if (closer[depth] == '}')
        goto key;
      goto value;
    case 't':
      if (!(p = scan_literal (s, p, "true", 4)))
        return NULL;
      break;
    case 'f':
      if (!(p = scan_literal (s, p, "false", 5)))
        return NULL;
      break;
    case 'n':
      if (!(p = scan_literal (s, p, "null", 4)))
        return NULL;
      break;
    default:
      if (G_LIKELY (*p == '-' || is_digit (*p))) {
        if (!(p = scan_number (s, p, &is_integer, TRUE)))
          return NULL;
        break;
      }
      if (is_space (*p)) {
        p = skip_space (s, p);
        goto value;
      }
      return synapse_json_scan_fail (s, p, "an unexpected character");
  }

  /* after a value: the end of the walk, or what its container holds next */
  while (depth > base) {
    if (G_UNLIKELY (p >= end))
      break;
    if (*p == ',') {
      p++;
      if (closer[depth] == '}')
        goto key;
      goto value;
    }
    if (*p == closer[depth]) {
      depth--;
      p++;
      continue;
    }
    if (!is_space (*p))
      break;
    p = skip_space (s, p);
  }
  if (depth > base)
    return synapse_json_scan_fail (s, p, closer[depth] == '}'
        ? "a missing ',' or '}'" : "a missing ',' or ']'");
  s->depth = depth;
  return p;

key:
  if (G_UNLIKELY (p >= end || *p != '"')) {
    if (p < end && is_space (*p)) {
      p = skip_space (s, p);
      goto key;
    }
    return synapse_json_scan_fail (s, p, "a missing object key");
  }
  if (!(p = skip_string (s, p)))
    return NULL;
  if (G_UNLIKELY (p >= end || *p != ':')) {
    p = skip_space (s, p);
    if (p >= end || *p != ':')
      return synapse_json_scan_fail (s, p, "a missing ':'");
  }
  p++;
  goto value;
}

SynapseJsonPos
synapse_json_scan_value (SynapseJsonScanner * s, SynapseJsonPos p)
{
  return G_UNLIKELY (s->reference) ? reference_value (s, p)
      : walk_value (s, p);
}

/* Read by each scanner as it starts (see synapse_json_scan_set_reference). */
static gboolean scan_with_reference;

void
synapse_json_scan_set_reference (gboolean reference)
{
  scan_with_reference = reference;
}

SynapseJsonPos
synapse_json_scanner_init (SynapseJsonScanner * s, const char *data,
    gsize length, GError ** error)
{
  s->start = (SynapseJsonPos) data;
  s->end = s->start + length;
  s->depth = 0;
  s->whitespace = FALSE;
  s->exact = FALSE;
  s->reference = scan_with_reference;
  s->inexact = NULL;
  s->error = error;
  return skip_space (s, s->start);
}

gboolean
synapse_json_scanner_finish (SynapseJsonScanner * s, SynapseJsonPos p)
{
  if (p == NULL)
    return FALSE;
  p = skip_space (s, p);
  if (p != s->end)
    return synapse_json_scan_fail (s, p,
        "data after the JSON document") != NULL;
  return TRUE;
}

gboolean
synapse_json_validate (const char *data, gsize length, GError ** error)
{
  SynapseJsonScanner s;
  SynapseJsonPos p = synapse_json_scanner_init (&s, data, length, error);

  return synapse_json_scanner_finish (&s, synapse_json_scan_value (&s, p));
}

/* json-glib wraps an integer beyond 64 bits, makes a number beyond a
 * double infinite, and a non-zero one below it 0. */
static void
check_exact_number (SynapseJsonScanner * s, SynapseJsonPos first,
    SynapseJsonPos end, gboolean is_integer)
{
  g_autofree char *number = g_strndup ((const char *) first, end - first);
  gsize at = first - s->start;
  gboolean nonzero = FALSE;
  double value;

  if (is_integer) {
    if (!g_ascii_string_to_signed (number, 10, G_MININT64, G_MAXINT64, NULL,
            NULL))
      note_inexact (s, "the integer %s at byte %" G_GSIZE_FORMAT " is beyond "
          "the 64-bit range", number, at);
    return;
  }
  /* a significant digit, before any exponent */
  for (const char *c = number; *c && *c != 'e' && *c != 'E'; c++)
    nonzero = nonzero || (*c >= '1' && *c <= '9');
  value = g_ascii_strtod (number, NULL);
  if (!isfinite (value) || (value == 0 && nonzero))
    note_inexact (s, "the number %s at byte %" G_GSIZE_FORMAT " is out of the "
        "range of a double", number, at);
}

static SynapseJsonPos exact_value (SynapseJsonScanner * s, SynapseJsonPos p);

static SynapseJsonPos
exact_member (SynapseJsonScanner * s, SynapseJsonPos key,
    SynapseJsonPos key_end, SynapseJsonPos p, const char *name,
    gsize name_length, gpointer data)
{
  return exact_value (s, p);
}

static SynapseJsonPos
exact_element (SynapseJsonScanner * s, SynapseJsonPos p, gpointer data)
{
  return exact_value (s, p);
}

/* The exact check's walk, a finder like the page scan's: every number is
 * checked as it passes, here rather than in the scanner's number step,
 * which the page scan takes at every number. (A string's U+0000 is found
 * where the escape is decoded.) */
static SynapseJsonPos
exact_value (SynapseJsonScanner * s, SynapseJsonPos p)
{
  SynapseJsonPos end;
  gboolean is_integer;

  if (G_UNLIKELY (p >= s->end))
    return synapse_json_scan_value (s, p);
  switch (*p) {
    case '{':
      return (p = synapse_json_scan_enter (s, p))
          ? synapse_json_scan_members (s, p, exact_member, NULL) : NULL;
    case '[':
      return (p = synapse_json_scan_enter (s, p))
          ? synapse_json_scan_elements (s, p, exact_element, NULL) : NULL;
    default:
      if (*p != '-' && !is_digit (*p))
        return synapse_json_scan_value (s, p);
      if ((end = synapse_json_scan_number (s, p, &is_integer)))
        check_exact_number (s, p, end, is_integer);
      return end;
  }
}

gboolean
synapse_json_validate_exact (const char *data, gsize length, GError ** error)
{
  SynapseJsonScanner s;
  SynapseJsonPos p = synapse_json_scanner_init (&s, data, length, error);
  gboolean valid;

  s.exact = TRUE;
  valid = synapse_json_scanner_finish (&s, exact_value (&s, p));
  if (valid && s.inexact) {
    g_propagate_error (error, s.inexact);
    return FALSE;
  }
  g_clear_error (&s.inexact);
  return valid;
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
