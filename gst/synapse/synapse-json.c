/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* JSON as the library writes it, and the one way user text becomes JSON
 * that is sent as written (synapse_json_parse_exact ()). json-glib writes
 * doubles with 17 digits and reads back some valid documents altered; the
 * writer here writes the shortest form that reads back the same value, and
 * the exact parse refuses what json-glib would alter. Scanning and
 * checking what the backend sends is synapse-json-scan.c's. */

#include "config.h"

#include <math.h>
#include <string.h>

#include <gio/gio.h>

#include "synapse-error.h"
#include "synapse-json-private.h"
#include "synapse-json-scan.h"

JsonObject *
synapse_json_object_copy (JsonObject * object)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (object == NULL)
    return copy;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &node))
    json_object_set_member (copy, name, json_node_copy (node));
  return copy;
}

void
synapse_append_double (GString * out, double value)
{
  char format[8];
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* JSON has no infinity or NaN; what parses into them is refused before
   * (synapse_json_parse_exact ()) */
  if (!isfinite (value)) {
    g_string_append (out, "null");
    return;
  }
  for (int digits = 1; digits <= 17; digits++) {
    g_snprintf (format, sizeof format, "%%.%dg", digits);
    g_ascii_formatd (buf, sizeof buf, format, value);
    if (g_ascii_strtod (buf, NULL) == value)
      break;
  }
  g_string_append (out, buf);
  /* still a float when read back, as Python writes 1.0 */
  if (strpbrk (buf, ".eE") == NULL)
    g_string_append (out, ".0");
}

static void
append_json (GString * out, JsonNode * node)
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
        synapse_json_append_string (out, name);
        g_string_append_c (out, ':');
        append_json (out, member);
      }
      g_string_append_c (out, '}');
      break;
    }
    case JSON_NODE_ARRAY:{
      JsonArray *array = json_node_get_array (node);

      g_string_append_c (out, '[');
      for (guint i = 0; i < json_array_get_length (array); i++) {
        if (i > 0)
          g_string_append_c (out, ',');
        append_json (out, json_array_get_element (array, i));
      }
      g_string_append_c (out, ']');
      break;
    }
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node)) {
        case G_TYPE_INT64:
          g_string_append_printf (out, "%" G_GINT64_FORMAT,
              json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          synapse_append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out, json_node_get_boolean (node) ? "true" :
              "false");
          break;
        case G_TYPE_STRING:
          if (json_node_get_string (node))
            synapse_json_append_string (out, json_node_get_string (node));
          else
            g_string_append (out, "null");
          break;
        default:
          g_string_append (out, "null");
          break;
      }
      break;
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
  }
}

/* Not json_to_string (): json-glib writes doubles with 17 digits, so the
 * 0.942 a user gave would go out as 0.94199999999999995. */
GBytes *
synapse_json_to_bytes (JsonNode * node)
{
  GString *out = g_string_new (NULL);

  append_json (out, node);
  return g_string_free_to_bytes (out);
}

const char *
synapse_json_get_string (JsonObject * object, const char *name)
{
  JsonNode *member = json_object_get_member (object, name);

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (member);
}

/* The bytes a JSON string must escape, and the NUL that ends @text. */
static const guchar needs_escape[256] = {
  [0x00 ... 0x1f] = 1,
  ['"'] = 1,
  ['\\'] = 1,
};

void
synapse_json_append_string (GString * out, const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *end = text + strlen (text);
  const char *run = text;

  g_string_append_c (out, '"');
  for (const char *c = text;; c++) {
    guint64 w;
    guchar byte;

    /* plain ASCII (nearly every URL) a word at a time */
    while (end - c >= 8 && (memcpy (&w, c, 8), synapse_json_word_is_plain (w)))
      c += 8;
    byte = *c;
    if (G_LIKELY (!needs_escape[byte]))
      continue;
    g_string_append_len (out, run, c - run);
    if (byte == '\0')
      break;
    run = c + 1;
    switch (byte) {
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
      default:
        g_string_append (out, "\\u00");
        g_string_append_c (out, hex[byte >> 4]);
        g_string_append_c (out, hex[byte & 0xf]);
        break;
    }
  }
  g_string_append_c (out, '"');
}

gboolean
synapse_utf8_validate (const char *text)
{
  gsize length = strlen (text);
  gsize ascii = 0;

  /* ASCII, the shape of nearly every URL, a word at a time */
  for (guint64 w; length - ascii >= 8; ascii += 8) {
    memcpy (&w, text + ascii, 8);
    if (w & SYNAPSE_JSON_HIGHS)
      break;
  }
  return g_utf8_validate_len (text + ascii, length - ascii, NULL);
}

/**
 * synapse_json_parse_exact:
 * @text: JSON text, e.g. a model's `metrics` as a user wrote them
 * @length: the length of @text in bytes, or -1 when it ends with a NUL
 * @error: return location for a [struct@GLib.Error]
 *
 * Parses one JSON value that the library can send on as it was written.
 * json-glib alone accepts or silently alters what cannot be; this refuses
 * it instead, with %SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT and a message
 * that says what and where: text that is not one JSON document (invalid
 * UTF-8, nesting deeper than 256, trailing text such as `{"a":1}{"b":2}`),
 * integers beyond the 64-bit range (json-glib wraps them:
 * `18446744073709551615` becomes -1), numbers a double cannot hold
 * (`1e400` becomes infinite, `1e-400` zero) and strings holding U+0000
 * (json-glib cuts them there). The library writes the numbers of a request
 * body in the shortest form that reads back the same value, so the
 * `0.942` of `{"accuracy": 0.942}` goes out as `0.942`.
 *
 * Returns: (transfer full): the value, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonNode *
synapse_json_parse_exact (const char *text, gssize length, GError ** error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) scan_error = NULL;
  g_autoptr (GError) parse_error = NULL;
  const GError *invalid = NULL;
  gsize size;

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  size = length < 0 ? strlen (text) : (gsize) length;
  /* the scanner first: json-glib takes trailing text and deep nesting,
   * and reads some valid documents back altered, which the scanner finds
   * in the same pass */
  if (!synapse_json_validate_exact (text, size, &scan_error)
      && !g_error_matches (scan_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    invalid = scan_error;
  else if (!json_parser_load_from_data (parser, text, size, &parse_error))
    invalid = parse_error;
  if (invalid) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT, "Not valid JSON: %s",
        invalid->message);
    return NULL;
  }
  if (scan_error) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT, "Not JSON that can be sent as "
        "written: %s", scan_error->message);
    return NULL;
  }
  return json_parser_steal_root (parser);
}

/**
 * synapse_json_to_string:
 * @node: a JSON value
 *
 * @node as compact JSON text, written as the library writes request
 * bodies: numbers in the shortest form that reads back the same value.
 * [func@Json.to_string] writes 0.942 as 0.94199999999999995, and 1e22 as
 * `1e+22.0`, which is not JSON.
 *
 * Returns: (transfer full): the JSON text
 *
 * Since: 0.1
 */
char *
synapse_json_to_string (JsonNode * node)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GByteArray) text = NULL;

  g_return_val_if_fail (node != NULL, NULL);

  bytes = synapse_json_to_bytes (node);
  text = g_bytes_unref_to_array (g_steal_pointer (&bytes));
  g_byte_array_append (text, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&text), FALSE);
}
