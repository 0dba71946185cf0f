/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: the file URLs in the events of a listing source, as
 * its properties describe them for gst-launch-1.0 users: which fields
 * hold them (url-fields: parsed, and checked against the first page's
 * events, since a typo would otherwise convert nothing without a word),
 * and how url-prefix rewrites them (checked at start, applied in the
 * backend's bytes by the library's URL conversion). The library converts;
 * this file only says what to convert, apart from the element that
 * pushes the events. */

#include "config.h"

#include <string.h>

#include "gstsynapseurls.h"
#include "gstsynapsesettings.h"

/**
 * gst_synapse_urls_check_prefix:
 * @prefix: (nullable): the url-prefix property
 * @error: return location for a #GST_SYNAPSE_SETTINGS_ERROR
 *
 * A url-prefix must give what it replaces a URL's own with: an http(s)
 * scheme and a host. The value is not quoted: it may carry a password.
 *
 * Returns: whether @prefix is unset or can be used
 */
gboolean
gst_synapse_urls_check_prefix (const gchar * prefix, GError ** error)
{
  if (prefix == NULL || synapse_is_http_url (prefix))
    return TRUE;
  gst_synapse_settings_set_error (error, "url-prefix",
      "The url-prefix property must start with a scheme and a host, such as "
      "\"https://cdn.example.com/mirror\": it replaces the scheme, host "
      "and port of each file URL.");
  return FALSE;
}

/**
 * gst_synapse_urls_parse_fields:
 * @text: (nullable): the url-fields property
 *
 * "files, data_unit.files" → {"files", "data_unit.files"}; nothing but
 * blanks and commas is the default, `files`.
 *
 * Returns: (transfer full): the dot paths
 */
GStrv
gst_synapse_urls_parse_fields (const gchar * text)
{
  g_auto (GStrv) items = g_strsplit (text ? text : "", ",", -1);
  g_autoptr (GStrvBuilder) fields = g_strv_builder_new ();
  gboolean any = FALSE;

  for (guint i = 0; items[i]; i++) {
    const gchar *item = g_strstrip (items[i]);

    if (*item == '\0')
      continue;
    g_strv_builder_add (fields, item);
    any = TRUE;
  }
  if (!any)
    g_strv_builder_add (fields, GST_SYNAPSE_DEFAULT_URL_FIELDS);
  return g_strv_builder_end (fields);
}

/**
 * gst_synapse_urls_replace_origin:
 * @url: a string where a file URL was expected
 * @prefix: a url-prefix that gst_synapse_urls_check_prefix() accepts
 *
 * Returns: (transfer full) (nullable): @url with its scheme://host[:port]
 *   replaced by @prefix (a trailing `/` of it ignored), its path, query
 *   and fragment kept; %NULL for a string that is not an http(s) URL with
 *   a host
 */
gchar *
gst_synapse_urls_replace_origin (const gchar * url, const gchar * prefix)
{
  const gchar *rest;
  gsize prefix_len = strlen (prefix);
  gchar *converted;

  if (!synapse_is_http_url (url))
    return NULL;
  /* a host follows "scheme://", and the path, query or fragment it */
  rest = strstr (url, "://") + 3;
  rest += strcspn (rest, "/?#");

  while (prefix_len > 0 && prefix[prefix_len - 1] == '/')
    prefix_len--;
  /* for each file URL of each event: no printf */
  converted = g_malloc (prefix_len + strlen (rest) + 1);
  memcpy (converted, prefix, prefix_len);
  strcpy (converted + prefix_len, rest);
  return converted;
}

/* Whether @node holds the dot path @segments with a value other than null,
 * looked for as the URL conversion looks: through arrays item by item. */
static gboolean
node_holds_path (JsonNode * node, gchar ** segments)
{
  if (*segments == NULL)
    return !JSON_NODE_HOLDS_NULL (node);
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonNode *member = json_object_get_member (json_node_get_object (node),
        *segments);

    return member && node_holds_path (member, segments + 1);
  }
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++) {
      if (node_holds_path (json_array_get_element (array, i), segments))
        return TRUE;
    }
  }
  return FALSE;
}

/**
 * gst_synapse_urls_check_fields:
 * @element: the element, which posts the warning
 * @fields: the url-fields paths
 * @page: the first page that has events
 *
 * Warns about the url-fields paths that none of the page's events holds:
 * most often a typo, which would leave the URLs as they are without a
 * word. The element looks at the first page with events only, once a
 * run, so that the check costs one page whatever the listing's length; a
 * field that only later events hold is warned about too, and the warning
 * says what was looked at.
 */
void
gst_synapse_urls_check_fields (GstElement * element,
    const gchar * const *fields, SynapsePage * page)
{
  g_autoptr (JsonArray) events = synapse_page_dup_items (page);
  g_autoptr (GString) missing = g_string_new (NULL);
  guint n_missing = 0;

  for (guint f = 0; fields[f]; f++) {
    g_auto (GStrv) segments = g_strsplit (fields[f], ".", -1);
    gboolean held = FALSE;

    for (guint i = 0; !held && i < json_array_get_length (events); i++)
      held = node_holds_path (json_array_get_element (events, i), segments);
    if (!held)
      g_string_append_printf (missing, "%s\"%s\"", n_missing++ ? ", " : "",
          fields[f]);
  }
  if (n_missing > 0)
    GST_ELEMENT_WARNING (element, RESOURCE, SETTINGS,
        ("None of the %u events of the first page has the url-fields %s %s: "
            "check the url-fields property for a typo (the events that do "
            "have %s still get their URLs converted).",
            json_array_get_length (events), n_missing > 1 ? "paths" : "path",
            missing->str, n_missing > 1 ? "them" : "it"), (NULL));
}
