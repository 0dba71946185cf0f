/* synapse-test-json.c: JSON writing, query parsing, pages, responses
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pages are written straight into a GString (no json-glib trees): the
 * benchmarks fetch thousands of pages and the backend must not be the
 * bottleneck.
 */

#include "synapse-test-backend-private.h"

#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

/* Appends @s escaped for the inside of a JSON string.  Invalid UTF-8
 * becomes U+FFFD so the output is always valid JSON. */
void
stb_json_escape (GString * out, const char *s, gssize len)
{
  const guchar *p = (const guchar *) s;
  const guchar *end;
  const guchar *run;

  if (len < 0)
    len = strlen (s);
  end = p + len;
  run = p;

  while (p < end) {
    guchar c = *p;

    if (G_LIKELY (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')) {
      p++;
      continue;
    }
    if (c >= 0x80) {
      gunichar u = g_utf8_get_char_validated ((const char *) p, end - p);

      if (u != (gunichar) - 1 && u != (gunichar) - 2) {
        p += g_utf8_skip[c];
        continue;
      }
      g_string_append_len (out, (const char *) run, p - run);
      g_string_append (out, "\xef\xbf\xbd");
      run = ++p;
      continue;
    }

    g_string_append_len (out, (const char *) run, p - run);
    switch (c) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '\b':
        g_string_append (out, "\\b");
        break;
      case '\f':
        g_string_append (out, "\\f");
        break;
      default:
        g_string_append (out, "\\u00");
        g_string_append_c (out, hex_digits[c >> 4]);
        g_string_append_c (out, hex_digits[c & 0xf]);
        break;
    }
    run = ++p;
  }
  g_string_append_len (out, (const char *) run, p - run);
}

void
stb_json_string (GString * out, const char *s)
{
  g_string_append_c (out, '"');
  stb_json_escape (out, s, -1);
  g_string_append_c (out, '"');
}

/* A float as DRF renders one (Python's json.dumps: repr, the shortest
 * text that reads back the same, "1.0" rather than "1"); json-glib's
 * writer gives 0.94199999999999995 for 0.942, and 1e+22.0, invalid, for
 * 1e22. Nothing the backend parsed can be infinite. */
static void
json_double (GString * out, double v)
{
  char format[8];
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int digits = 1; digits <= 17; digits++) {
    g_snprintf (format, sizeof (format), "%%.%dg", digits);
    g_ascii_formatd (buf, sizeof (buf), format, v);
    if (g_ascii_strtod (buf, NULL) == v)
      break;
  }
  g_string_append (out, buf);
  if (!strpbrk (buf, ".eEn"))
    g_string_append (out, ".0");
}

void
stb_json_node (GString * out, JsonNode * node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:{
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;
      gboolean first = TRUE;

      g_string_append_c (out, '{');
      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member)) {
        if (!first)
          g_string_append_c (out, ',');
        first = FALSE;
        stb_json_string (out, name);
        g_string_append_c (out, ':');
        stb_json_node (out, member);
      }
      g_string_append_c (out, '}');
      return;
    }
    case JSON_NODE_ARRAY:{
      JsonArray *array = json_node_get_array (node);

      g_string_append_c (out, '[');
      for (guint i = 0; i < json_array_get_length (array); i++) {
        if (i)
          g_string_append_c (out, ',');
        stb_json_node (out, json_array_get_element (array, i));
      }
      g_string_append_c (out, ']');
      return;
    }
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      return;
    case JSON_NODE_VALUE:
      break;
  }
  switch (json_node_get_value_type (node)) {
    case G_TYPE_INT64:
      stb_json_int (out, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      json_double (out, json_node_get_double (node));
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    default:
      stb_json_string_or_null (out, json_node_get_string (node));
      break;
  }
}

void
stb_json_string_or_null (GString * out, const char *s)
{
  if (s)
    stb_json_string (out, s);
  else
    g_string_append (out, "null");
}

void
stb_json_uint (GString * out, guint64 v)
{
  char buf[24];
  int i = sizeof (buf);

  do {
    buf[--i] = '0' + v % 10;
    v /= 10;
  } while (v);
  g_string_append_len (out, buf + i, sizeof (buf) - i);
}

void
stb_json_int (GString * out, gint64 v)
{
  if (v < 0) {
    g_string_append_c (out, '-');
    stb_json_uint (out, -(guint64) v);
  } else {
    stb_json_uint (out, v);
  }
}

static void
append_digits (GString * out, guint v, int width)
{
  char buf[12];
  int i = width;

  buf[width] = '\0';
  while (i > 0) {
    buf[--i] = '0' + v % 10;
    v /= 10;
  }
  g_string_append_len (out, buf, width);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void
civil_from_days (gint64 z, gint64 * year, guint * month, guint * day)
{
  gint64 era;
  guint doe, yoe, doy, mp;

  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = (guint) (z - era * 146097);
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = (gint64) yoe + era * 400 + (*month <= 2);
}

static void
append_time (GString * out, gint64 secs)
{
  gint64 days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  gint64 rem = secs - days * 86400;
  gint64 year;
  guint month, day;

  civil_from_days (days, &year, &month, &day);
  append_digits (out, (guint) year, 4);
  g_string_append_c (out, '-');
  append_digits (out, month, 2);
  g_string_append_c (out, '-');
  append_digits (out, day, 2);
  g_string_append_c (out, 'T');
  append_digits (out, (guint) (rem / 3600), 2);
  g_string_append_c (out, ':');
  append_digits (out, (guint) (rem / 60 % 60), 2);
  g_string_append_c (out, ':');
  append_digits (out, (guint) (rem % 60), 2);
}

/* "2024-01-01T00:00:00Z" */
void
stb_json_time (GString * out, gint64 unix_seconds)
{
  g_string_append_c (out, '"');
  append_time (out, unix_seconds);
  g_string_append (out, "Z\"");
}

/* "2024-01-01T00:00:00.123456Z", as DRF renders a DateTimeField */
void
stb_json_time_us (GString * out, gint64 unix_us)
{
  gint64 secs = unix_us >= 0 ? unix_us / G_USEC_PER_SEC :
      (unix_us - (G_USEC_PER_SEC - 1)) / G_USEC_PER_SEC;

  g_string_append_c (out, '"');
  append_time (out, secs);
  g_string_append_c (out, '.');
  append_digits (out, (guint) (unix_us - secs * G_USEC_PER_SEC), 6);
  g_string_append (out, "Z\"");
}

char *
stb_iso_time_us (gint64 unix_us)
{
  GString *s = g_string_new (NULL);

  stb_json_time_us (s, unix_us);
  g_string_erase (s, 0, 1);
  g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

/* ISO 8601 as django-filter takes it: a date-time (UTC unless an offset is
 * given) or a bare date.  A '+' that form-decoding turned into ' ' is put
 * back, since clients often leave it unescaped. */
gboolean
stb_parse_time (const char *text, gint64 * unix_us)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char *fixed = g_strstrip (g_strdup (text));

  g_strdelimit (fixed, " ", '+');
  dt = g_date_time_new_from_iso8601 (fixed, utc);
  if (!dt && strlen (fixed) == 10) {
    g_autofree char *midnight = g_strconcat (fixed, "T00:00:00", NULL);

    dt = g_date_time_new_from_iso8601 (midnight, utc);
  }
  if (!dt)
    return FALSE;
  *unix_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC +
      g_date_time_get_microsecond (dt);
  return TRUE;
}

gboolean
stb_parse_int (const char *text, gint64 * value)
{
  return text && g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64,
      value, NULL);
}

gboolean
stb_parse_bool (const char *text, gboolean * value)
{
  if (!g_ascii_strcasecmp (text, "true") || !strcmp (text, "1")) {
    *value = TRUE;
    return TRUE;
  }
  if (!g_ascii_strcasecmp (text, "false") || !strcmp (text, "0")) {
    *value = FALSE;
    return TRUE;
  }
  return FALSE;
}

/* DRF's SearchFilter: terms split on whitespace and commas, each must match
 * (case-insensitively) one of the searched fields.  NULL when no term. */
char **
stb_search_terms (const char *search)
{
  g_autofree char *copy = NULL;
  g_auto (GStrv) words = NULL;
  GPtrArray *terms;

  if (!search)
    return NULL;
  copy = g_strdup (search);
  g_strdelimit (copy, ",\t\n\r", ' ');
  words = g_strsplit (copy, " ", -1);
  terms = g_ptr_array_new ();
  for (guint i = 0; words[i]; i++) {
    if (*words[i])
      g_ptr_array_add (terms, g_utf8_casefold (words[i], -1));
  }
  if (terms->len == 0) {
    g_ptr_array_free (terms, TRUE);
    return NULL;
  }
  g_ptr_array_add (terms, NULL);
  return (char **) g_ptr_array_free (terms, FALSE);
}

/* TRUE when every term is in @a or in @b (both already case-folded). */
gboolean
stb_terms_match (char **terms, const char *a, const char *b)
{
  for (guint i = 0; terms[i]; i++) {
    if (!(a && strstr (a, terms[i])) && !(b && strstr (b, terms[i])))
      return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------------------- queries */

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Form decoding ('+' is a space); a broken %-escape is kept literally, as
 * Django does. */
char *
stb_url_unescape_component (const char *s, gssize len)
{
  GString *out;

  if (len < 0)
    len = strlen (s);
  out = g_string_sized_new (len);
  for (gssize i = 0; i < len; i++) {
    if (s[i] == '+') {
      g_string_append_c (out, ' ');
    } else if (s[i] == '%' && i + 2 < len && hex_value (s[i + 1]) >= 0
        && hex_value (s[i + 2]) >= 0) {
      g_string_append_c (out, (char) (hex_value (s[i + 1]) << 4 |
              hex_value (s[i + 2])));
      i += 2;
    } else {
      g_string_append_c (out, s[i]);
    }
  }
  return g_string_free (out, FALSE);
}

static void
param_free (gpointer data)
{
  StbParam *param = data;

  g_free (param->key);
  g_free (param->value);
  g_free (param);
}

/* Every key=value of the query in order, repeated keys kept. */
GPtrArray *
stb_params_parse (const char *raw_query)
{
  GPtrArray *params = g_ptr_array_new_with_free_func (param_free);
  const char *p = raw_query;

  while (p && *p) {
    const char *amp = strchr (p, '&');
    const char *end = amp ? amp : p + strlen (p);
    const char *eq = memchr (p, '=', end - p);

    if (end > p) {
      StbParam *param = g_new0 (StbParam, 1);

      param->key = stb_url_unescape_component (p, (eq ? eq : end) - p);
      param->value = eq ? stb_url_unescape_component (eq + 1, end - eq - 1)
          : g_strdup ("");
      g_ptr_array_add (params, param);
    }
    p = amp ? amp + 1 : end;
  }
  return params;
}

/* The last value of @key (Django's QueryDict.get), NULL if absent. */
const char *
stb_params_get (GPtrArray * params, const char *key)
{
  for (guint i = params->len; i > 0; i--) {
    StbParam *param = g_ptr_array_index (params, i - 1);

    if (!strcmp (param->key, key))
      return param->value;
  }
  return NULL;
}

/* ---------------------------------------------------------------- replies */

void
stb_respond (SoupServerMessage * msg, guint status, GString * json)
{
  gsize len = json->len;

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json",
      SOUP_MEMORY_TAKE, g_string_free (json, FALSE), len);
}

void
stb_respond_detail (SoupServerMessage * msg, guint status, const char *detail)
{
  GString *out = g_string_new ("{\"detail\":");

  stb_json_string (out, detail);
  g_string_append_c (out, '}');
  stb_respond (msg, status, out);
}

/* 400 {"<field>": ["<message>"]} */
void
stb_respond_field_error (SoupServerMessage * msg, const char *field,
    const char *message)
{
  GString *out = g_string_new ("{");

  stb_json_string (out, field);
  g_string_append (out, ":[");
  stb_json_string (out, message);
  g_string_append (out, "]}");
  stb_respond (msg, SOUP_STATUS_BAD_REQUEST, out);
}

GBytes *
stb_request_body (SoupServerMessage * msg)
{
  return soup_message_body_flatten (soup_server_message_get_request_body (msg));
}

/* ------------------------------------------------------------------ pages */

/* DRF's PageNumberPagination: page_size is taken when it is a positive
 * integer (capped), else the default applies; page is 1-based or "last";
 * page 1 of an empty list exists. */
gboolean
stb_page_compute (StbCall * call, guint64 count, StbPage * page)
{
  SynapseTestBackend *self = call->self;
  const char *size_text = stb_params_get (call->params, "page_size");
  const char *page_text = stb_params_get (call->params, "page");
  gint64 v;

  page->count = count;
  page->page_size = self->default_page_size;
  if (size_text && stb_parse_int (size_text, &v) && v > 0)
    page->page_size = MIN ((guint64) v, self->max_page_size);
  page->num_pages = count == 0 ? 1 :
      (count + page->page_size - 1) / page->page_size;

  page->page = 1;
  page->by_cursor = g_atomic_int_get (&self->cursor_pagination);
  if (page->by_cursor) {
    /* DRF's cursors are opaque: base64 of the position; another cursor,
     * or none, is the first page; `page` means nothing */
    const char *cursor = stb_params_get (call->params, "cursor");
    gsize length = 0;
    g_autofree guchar *decoded = cursor && *cursor ?
        g_base64_decode (cursor, &length) : NULL;
    g_autofree char *position = decoded ?
        g_strndup ((const char *) decoded, length) : NULL;

    if (position && g_str_has_prefix (position, "p=")
        && stb_parse_int (position + 2, &v) && v >= 1
        && (guint64) v <= page->num_pages)
      page->page = v;
  } else if (page_text && *page_text) {
    if (!strcmp (page_text, "last")) {
      page->page = page->num_pages;
    } else if (stb_parse_int (page_text, &v) && v >= 1
        && (guint64) v <= page->num_pages) {
      page->page = v;
    } else {
      stb_respond_detail (call->msg, SOUP_STATUS_NOT_FOUND, "Invalid page.");
      return FALSE;
    }
  }
  page->offset = (page->page - 1) * page->page_size;
  page->n = count > page->offset ?
      MIN (page->page_size, count - page->offset) : 0;
  return TRUE;
}

static void
append_position (GString * out, const char *name, guint64 page,
    const char *cursor)
{
  g_string_append (out, name);
  g_string_append_c (out, '=');
  if (cursor)
    stb_json_escape (out, cursor, -1);
  else
    stb_json_uint (out, page);
}

/* The request's URL on @base with page replaced (0: removed), or with
 * the cursor of that page when @by_cursor; every other parameter is kept
 * verbatim and in order. */
static void
append_page_link (GString * out, StbCall * call, guint64 page,
    gboolean by_cursor)
{
  const char *name = by_cursor ? "cursor" : "page";
  g_autofree char *position = g_strdup_printf ("p=%" G_GUINT64_FORMAT, page);
  g_autofree char *encoded = by_cursor ?
      g_base64_encode ((const guchar *) position, strlen (position)) : NULL;
  g_autofree char *cursor = encoded ?
      g_uri_escape_string (encoded, NULL, FALSE) : NULL;
  const char *p = call->raw_query;
  gboolean placed = FALSE;
  char sep = '?';

  g_string_append_c (out, '"');
  stb_json_escape (out, call->next_base, -1);
  stb_json_escape (out, call->path, -1);
  while (p && *p) {
    const char *amp = strchr (p, '&');
    const char *end = amp ? amp : p + strlen (p);
    const char *eq = memchr (p, '=', end - p);
    g_autofree char *key = stb_url_unescape_component (p,
        (eq ? eq : end) - p);

    if (end > p) {
      if (strcmp (key, name) != 0) {
        g_string_append_c (out, sep);
        stb_json_escape (out, p, end - p);
        sep = '&';
      } else if (!placed && page > 0) {
        g_string_append_c (out, sep);
        append_position (out, name, page, cursor);
        sep = '&';
        placed = TRUE;
      }
    }
    p = amp ? amp + 1 : end;
  }
  if (!placed && page > 0) {
    g_string_append_c (out, sep);
    append_position (out, name, page, cursor);
  }
  g_string_append_c (out, '"');
}

void
stb_page_begin (StbCall * call, GString * out, const StbPage * page)
{
  if (page->by_cursor) {
    g_string_append (out, "{\"next\":");
  } else {
    g_string_append (out, "{\"count\":");
    stb_json_uint (out, page->count);
    g_string_append (out, ",\"next\":");
  }
  if (page->page < page->num_pages)
    append_page_link (out, call, page->page + 1, page->by_cursor);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"previous\":");
  if (page->page > 1)
    append_page_link (out, call, page->page == 2 && !page->by_cursor ? 0
        : page->page - 1, page->by_cursor);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"results\":[");
}

void
stb_page_end (GString * out)
{
  g_string_append (out, "]}");
}
