/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* URLs: building, origins, links, userinfo and redaction (see
 * synapse-uri.h). Everything here is a pure function of its strings: no
 * client, no request, no error domain. */

#include "config.h"

#include <libsoup/soup.h>

#include "synapse-client.h"
#include "synapse-json-private.h"
#include "synapse-uri.h"


/* The bytes RFC 3986 allows as they are after an authority: letters,
 * digits and some punctuation (not `#`, which comes once). */
static const gboolean url_byte_is_plain[256] = {
  ['0' ... '9'] = TRUE,['A' ... 'Z'] = TRUE,['a' ... 'z'] = TRUE,
  ['-'] = TRUE,['.'] = TRUE,['_'] = TRUE,['~'] = TRUE,['!'] = TRUE,
  ['$'] = TRUE,['&'] = TRUE,['\''] = TRUE,['('] = TRUE,[')'] = TRUE,
  ['*'] = TRUE,['+'] = TRUE,[','] = TRUE,[';'] = TRUE,['='] = TRUE,
  [':'] = TRUE,['@'] = TRUE,['/'] = TRUE,['?'] = TRUE,
};

/**
 * synapse_is_http_url:
 * @url: (nullable): a string
 *
 * Whether @url is an absolute `http` or `https` URL with a host: the one
 * test the library and the elements apply to every URL they would send a
 * request to (a base URL, a `next` link, an upload `url`, a file URL, a
 * prefix for file URLs). `http:/.//x` and `https://` are not.
 *
 * Returns: %TRUE for an http(s) URL with a host
 *
 * Since: 0.1
 */
/* Whether @url is, at a glance, an http(s) URL with a host that GUri
 * accepts: a lower-case scheme, a host of letters, digits, `-` and `.`,
 * a port from 1 to 65535, then only characters RFC 3986 allows as they
 * are (a `#` once). It is the shape of nearly every URL a page holds, and
 * costs a pass over its bytes instead of a parse (files URLs are checked
 * one by one, for every event); anything else (escapes, brackets,
 * userinfo, non-ASCII…) is left to GUri. */
static gboolean
is_plain_http_url (const char *url)
{
  const char *p, *host;
  gboolean fragment = FALSE;

  if (strncmp (url, "https://", 8) == 0)
    p = url + 8;
  else if (strncmp (url, "http://", 7) == 0)
    p = url + 7;
  else
    return FALSE;
  for (host = p; g_ascii_isalnum (*p) || *p == '-' || *p == '.'; p++)
    continue;
  if (p == host)
    return FALSE;
  if (*p == ':') {
    guint port = 0, digits = 0;

    for (p++; g_ascii_isdigit (*p) && digits < 6; p++, digits++)
      port = port * 10 + (*p - '0');
    if (digits == 0 || port == 0 || port > 65535)
      return FALSE;
  }
  if (*p != '\0' && *p != '/' && *p != '?' && *p != '#')
    return FALSE;
  for (; *p; p++) {
    if (url_byte_is_plain[(guchar) * p])
      continue;
    if (*p != '#' || fragment)
      return FALSE;
    fragment = TRUE;
  }
  return TRUE;
}

gboolean
synapse_is_http_url (const char *url)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;

  if (url == NULL)
    return FALSE;
  if (is_plain_http_url (url))
    return TRUE;
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL)
    return FALSE;
  /* GUri gives the scheme in lower case */
  scheme = g_uri_get_scheme (uri);
  return (g_str_equal (scheme, "http") || g_str_equal (scheme, "https"))
      && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static void
append_query_value (GString * query, const char *name, JsonNode * node)
{
  g_autofree char *text = NULL;

  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_NULL:
      return;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node)) {
        case G_TYPE_BOOLEAN:
          text = g_strdup (json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_INT64:
          text = g_strdup_printf ("%" G_GINT64_FORMAT,
              json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:{
          GString *number = g_string_new (NULL);

          synapse_append_double (number, json_node_get_double (node));
          text = g_string_free (number, FALSE);
          break;
        }
        default:
          text = g_strdup (json_node_get_string (node));
          break;
      }
      break;
    case JSON_NODE_ARRAY:{
      JsonArray *array = json_node_get_array (node);

      /* A list is sent as the same key repeated, as the SDK does. */
      for (guint i = 0; i < json_array_get_length (array); i++)
        append_query_value (query, name, json_array_get_element (array, i));
      return;
    }
    case JSON_NODE_OBJECT:
      text = json_to_string (node, FALSE);
      break;
  }

  if (query->len > 0)
    g_string_append_c (query, '&');
  g_string_append_uri_escaped (query, name, NULL, FALSE);
  g_string_append_c (query, '=');
  g_string_append_uri_escaped (query, text ? text : "", NULL, FALSE);
}

char *
synapse_uri_build (const char *base_url, const char *path, JsonObject * params)
{
  GString *url;
  g_autoptr (GString) query = g_string_new (NULL);

  if (synapse_is_http_url (path)) {
    url = g_string_new (path);
  } else {
    const char *base = base_url ? base_url : "";
    gsize base_len = strlen (base);

    while (base_len > 0 && base[base_len - 1] == '/')
      base_len--;
    while (*path == '/')
      path++;
    url = g_string_new_len (base, base_len);
    g_string_append_c (url, '/');
    g_string_append (url, path);
  }

  if (params) {
    JsonObjectIter iter;
    const char *name;
    JsonNode *node;

    json_object_iter_init_ordered (&iter, params);
    while (json_object_iter_next_ordered (&iter, &name, &node))
      append_query_value (query, name, node);
  }
  if (query->len > 0) {
    g_string_append_c (url, strchr (url->str, '?') ? '&' : '?');
    g_string_append_len (url, query->str, query->len);
  }

  return g_string_free (url, FALSE);
}

static int
effective_port (GUri * uri)
{
  int port = g_uri_get_port (uri);

  if (port > 0)
    return port;
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
}

gboolean
synapse_uri_same_origin (GUri * a, GUri * b)
{
  return a && b
      && g_ascii_strcasecmp (g_uri_get_scheme (a), g_uri_get_scheme (b)) == 0
      && g_uri_get_host (a) && g_uri_get_host (b)
      && g_ascii_strcasecmp (g_uri_get_host (a), g_uri_get_host (b)) == 0
      && effective_port (a) == effective_port (b);
}

char *
synapse_uri_resolve (const char *base, const char *reference)
{
  g_autoptr (GUri) base_uri = NULL;
  g_autoptr (GUri) resolved = NULL;
  g_autofree char *text = NULL;

  if (base == NULL || reference == NULL)
    return NULL;
  base_uri = g_uri_parse (base, SOUP_HTTP_URI_FLAGS, NULL);
  if (base_uri == NULL)
    return NULL;
  resolved = g_uri_parse_relative (base_uri, reference, SOUP_HTTP_URI_FLAGS,
      NULL);
  /* what is sent next must read back as an http(s) URL with a host;
   * "http:/.//x" resolves to no host, which GUri cannot even write out */
  if (resolved == NULL || g_uri_get_host (resolved) == NULL)
    return NULL;
  text = g_uri_to_string (resolved);
  return synapse_is_http_url (text) ? g_steal_pointer (&text) : NULL;
}

/* @url without the userinfo of its authority, cut out of the text. */
static char *
cut_userinfo (const char *url)
{
  const char *authority = strstr (url, "//");
  const char *end, *at;

  if (authority == NULL)
    return g_strdup (url);
  authority += 2;
  end = authority + strcspn (authority, "/?#");
  at = g_strrstr_len (authority, end - authority, "@");
  if (at == NULL)
    return g_strdup (url);
  return g_strdup_printf ("%.*s%s", (int) (authority - url), url, at + 1);
}

char *
synapse_uri_redact (const char *url)
{
  g_autoptr (GUri) uri = NULL;
  const char *path;

  if (url == NULL)
    return NULL;
  /* userinfo ends at an '@': a URL without one has none (most, and this
   * runs for every request, so the parse is saved) */
  if (strchr (url, '@') == NULL)
    return g_strdup (url);
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED,
      NULL);
  if (uri == NULL || g_uri_get_userinfo (uri) == NULL)
    return g_strdup (url);
  /* GUri parses, but cannot write out, an authority followed by a path
   * that is not absolute ("//user@;", from a hostile upload reply) */
  path = g_uri_get_path (uri);
  if (g_uri_get_host (uri) && *path != '\0' && *path != '/')
    return cut_userinfo (url);
  return g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
}

void
synapse_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  g_free (secret);
}

/* Userinfo (`https://user:password@host/`) would be shown wherever the URL
 * is, in every message and log line: it is sent as Basic authentication
 * instead. */
char *
synapse_uri_split_userinfo (const char *url, char **basic_auth)
{
  g_autoptr (GUri) uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  const char *password;
  char *pair;
  char *encoded;

  *basic_auth = NULL;
  if (uri == NULL || g_uri_get_user (uri) == NULL)
    return g_strdup (url);

  password = g_uri_get_password (uri);
  pair = g_strconcat (g_uri_get_user (uri), ":", password ? password : "",
      NULL);
  encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
  *basic_auth = g_strconcat ("Basic ", encoded, NULL);
  synapse_secret_free (pair);
  synapse_secret_free (encoded);
  return g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
}
