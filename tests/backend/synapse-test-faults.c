/* synapse-test-faults.c: fault specs, matching, and the broken answers
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Connection-level faults take the connection away from libsoup
 * (soup_server_message_steal_connection()) and then write or close it by
 * hand, so the client sees exactly a broken connection, not an HTTP answer.
 */

#include "synapse-test-backend-private.h"

#include <string.h>

#include <gio/gnetworking.h>

static const struct
{
  const char *word;
  SynapseTestFaultKind kind;
} kinds[] = {
  {"status", SYNAPSE_TEST_FAULT_STATUS},
  {"cut-response", SYNAPSE_TEST_FAULT_CUT_RESPONSE},
  {"truncate", SYNAPSE_TEST_FAULT_TRUNCATE},
  {"cut-request", SYNAPSE_TEST_FAULT_CUT_REQUEST},
  {"drop-response", SYNAPSE_TEST_FAULT_DROP_RESPONSE},
  {"stall", SYNAPSE_TEST_FAULT_STALL},
  {"delay", SYNAPSE_TEST_FAULT_DELAY},
  {"relink", SYNAPSE_TEST_FAULT_RELINK},
  {"replace-status", SYNAPSE_TEST_FAULT_REPLACE_STATUS},
  {"oscillate-offset", SYNAPSE_TEST_FAULT_OSCILLATE_OFFSET},
  {"cut-chunked", SYNAPSE_TEST_FAULT_CUT_CHUNKED},
  {"cut-eof", SYNAPSE_TEST_FAULT_CUT_EOF},
  {"gzip", SYNAPSE_TEST_FAULT_GZIP},
  {"corrupt", SYNAPSE_TEST_FAULT_CORRUPT},
  {"trickle", SYNAPSE_TEST_FAULT_TRICKLE},
  {"processing", SYNAPSE_TEST_FAULT_PROCESSING},
  {"slow-read", SYNAPSE_TEST_FAULT_SLOW_READ},
};

/* The kinds that answer a status of the spec's: status=N goes with them. */
static gboolean
takes_status (SynapseTestFaultKind kind)
{
  return kind == SYNAPSE_TEST_FAULT_STATUS
      || kind == SYNAPSE_TEST_FAULT_REPLACE_STATUS;
}

void
synapse_test_fault_clear (SynapseTestFault * fault)
{
  g_free ((char *) fault->method);
  g_free ((char *) fault->path);
  g_free ((char *) fault->query);
  g_free ((char *) fault->body);
  g_free ((char *) fault->next);
  g_free ((char *) fault->count);
  g_free ((char *) fault->results);
  memset (fault, 0, sizeof (*fault));
}

static gboolean
parse_number (const char *key, const char *value, gint64 min, gint64 max,
    gint64 * out, GError ** error)
{
  if (!g_ascii_string_to_signed (value, 10, min, max, out, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid fault spec: %s=%s is not a number in %" G_GINT64_FORMAT
        "..%" G_GINT64_FORMAT, key, value, min, max);
    return FALSE;
  }
  return TRUE;
}

static void
set_string (const char **field, const char *value)
{
  g_free ((char *) *field);
  *field = *value ? g_strdup (value) : NULL;
}

/* A RELINK value: next "null" or K=V[&K=V…], count a whole number or
 * "none", results a whole number. */
static gboolean
parse_relink_value (const char *key, const char *value, GError ** error)
{
  gboolean valid = TRUE;
  gint64 n;

  if (!strcmp (key, "next")) {
    g_auto (GStrv) params = g_strsplit (value, "&", -1);

    valid = params[0] != NULL;
    for (guint i = 0; valid && params[i] && strcmp (value, "null"); i++)
      valid = strchr (params[i], '=') != NULL && params[i][0] != '=';
  } else if (strcmp (key, "count") != 0 || strcmp (value, "none") != 0) {
    valid = g_ascii_string_to_signed (value, 10, 0, G_MAXINT64, &n, NULL);
  }
  if (!valid)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid fault spec: %s=%s (next=null or K=V[&K=V…], count=N or "
        "none, results=N)", key, value);
  return valid;
}

gboolean
synapse_test_fault_parse (const char *spec, SynapseTestFault * fault,
    GError ** error)
{
  g_auto (SynapseTestFault) f = { 0, };
  g_auto (GStrv) argv = NULL;
  gboolean have_kind = FALSE, have_status = FALSE, relinks;
  int argc;

  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (fault != NULL, FALSE);

  f.retry_after = -1;
  if (!g_shell_parse_argv (spec, &argc, &argv, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid fault spec \"%s\": empty or badly quoted", spec);
    return FALSE;
  }

  for (int i = 0; i < argc; i++) {
    const char *word = argv[i];
    const char *eq = strchr (word, '=');
    g_autofree char *key = NULL;
    const char *value;
    gint64 n;

    if (!eq) {
      guint k;

      for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
        if (!strcmp (word, kinds[k].word))
          break;
      }
      if (k == G_N_ELEMENTS (kinds) || (have_kind && f.kind != kinds[k].kind)) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
            "Invalid fault spec: \"%s\" is not a fault kind, or a second "
            "one (status, cut-response, truncate, cut-request, "
            "drop-response, stall, delay, relink, replace-status, "
            "oscillate-offset, cut-chunked, cut-eof, gzip, corrupt, trickle, "
            "processing, slow-read)", word);
        return FALSE;
      }
      f.kind = kinds[k].kind;
      have_kind = TRUE;
      continue;
    }

    key = g_strndup (word, eq - word);
    value = eq + 1;
    if (!strcmp (key, "status")) {
      if (!parse_number (key, value, 100, 599, &n, error))
        return FALSE;
      f.status = n;
      have_status = TRUE;
    } else if (!strcmp (key, "method")) {
      g_autofree char *upper = g_ascii_strup (value, -1);

      set_string (&f.method, upper);
    } else if (!strcmp (key, "path")) {
      while (*value == '/')
        value++;
      set_string (&f.path, value);
    } else if (!strcmp (key, "query")) {
      set_string (&f.query, value[0] == '?' ? value + 1 : value);
    } else if (!strcmp (key, "body")) {
      g_free ((char *) f.body);
      f.body = g_strdup (value);
    } else if (!strcmp (key, "retry-after") || !strcmp (key, "retry_after")) {
      if (!parse_number (key, value, -1, G_MAXINT, &n, error))
        return FALSE;
      f.retry_after = n;
    } else if (!strcmp (key, "skip") || !strcmp (key, "times")
        || !strcmp (key, "ms")) {
      if (!parse_number (key, value, 0, G_MAXUINT, &n, error))
        return FALSE;
      if (key[0] == 's')
        f.skip = n;
      else if (key[0] == 't')
        f.times = n;
      else
        f.ms = n;
    } else if (!strcmp (key, "bytes")) {
      if (!parse_number (key, value, 0, G_MAXSSIZE, &n, error))
        return FALSE;
      f.bytes = n;
    } else if (!strcmp (key, "next") || !strcmp (key, "count")
        || !strcmp (key, "results")) {
      if (!parse_relink_value (key, value, error))
        return FALSE;
      set_string (key[0] == 'n' ? &f.next : key[0] == 'c' ? &f.count
          : &f.results, value);
    } else {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "Invalid fault spec: unknown key \"%s\" (status, method, path, "
          "query, skip, times, retry-after, body, bytes, ms, next, count, "
          "results)", key);
      return FALSE;
    }
  }

  if (!have_kind && have_status) {
    f.kind = SYNAPSE_TEST_FAULT_STATUS;
    have_kind = TRUE;
  }
  if (!have_kind) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid fault spec \"%s\": no fault kind", spec);
    return FALSE;
  }
  /* a trickled answer may be an error status too */
  if ((takes_status (f.kind) && !have_status) || (have_status
          && !takes_status (f.kind) && f.kind != SYNAPSE_TEST_FAULT_TRICKLE)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid fault spec \"%s\": status=N goes with status and "
        "replace-status faults (and may with trickle ones), and only with "
        "them", spec);
    return FALSE;
  }
  /* count= is the page's count of a relink, the 102 answers of a
   * processing fault */
  if (f.kind == SYNAPSE_TEST_FAULT_PROCESSING && f.count
      && !g_ascii_string_to_unsigned (f.count, 10, 0, G_MAXUINT, NULL, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid fault spec \"%s\": processing takes count=N, a number of "
        "102 answers", spec);
    return FALSE;
  }
  relinks = f.next || f.results
      || (f.count && f.kind != SYNAPSE_TEST_FAULT_PROCESSING);
  if ((f.kind == SYNAPSE_TEST_FAULT_RELINK) != relinks) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid fault spec \"%s\": relink takes next=, count= or "
        "results=, and they go with relink only", spec);
    return FALSE;
  }

  *fault = f;
  memset (&f, 0, sizeof (f));
  return TRUE;
}

/* A value as the parser reads it back: quoted only when it must be. */
static void
append_value (GString * s, const char *key, const char *value)
{
  gboolean plain = *value != '\0';

  for (const char *p = value; *p; p++) {
    if (g_ascii_isspace (*p) || strchr ("'\"\\$`|&;<>()*?[]#~", *p))
      plain = FALSE;
  }
  g_string_append_printf (s, " %s=", key);
  if (plain) {
    g_string_append (s, value);
  } else {
    g_autofree char *quoted = g_shell_quote (value);

    g_string_append (s, quoted);
  }
}

char *
stb_fault_to_string (const SynapseTestFault * fault)
{
  GString *s = g_string_new (NULL);

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    if (kinds[k].kind == fault->kind && k > 0)
      g_string_append (s, kinds[k].word);
  }
  if (takes_status (fault->kind) || fault->status)
    g_string_append_printf (s, "%sstatus=%u", s->len ? " " : "",
        fault->status);
  if (fault->retry_after >= 0 && fault->status)
    g_string_append_printf (s, " retry-after=%d", fault->retry_after);
  if (fault->kind == SYNAPSE_TEST_FAULT_CUT_RESPONSE
      || fault->kind == SYNAPSE_TEST_FAULT_TRUNCATE
      || fault->kind == SYNAPSE_TEST_FAULT_CUT_REQUEST
      || fault->kind == SYNAPSE_TEST_FAULT_OSCILLATE_OFFSET
      || fault->kind == SYNAPSE_TEST_FAULT_CUT_CHUNKED
      || fault->kind == SYNAPSE_TEST_FAULT_CUT_EOF
      || fault->kind == SYNAPSE_TEST_FAULT_GZIP
      || fault->kind == SYNAPSE_TEST_FAULT_CORRUPT
      || fault->kind == SYNAPSE_TEST_FAULT_TRICKLE)
    g_string_append_printf (s, " bytes=%" G_GSIZE_FORMAT, fault->bytes);
  if (fault->kind == SYNAPSE_TEST_FAULT_STALL
      || fault->kind == SYNAPSE_TEST_FAULT_DELAY
      || fault->kind == SYNAPSE_TEST_FAULT_TRICKLE
      || fault->kind == SYNAPSE_TEST_FAULT_PROCESSING
      || fault->kind == SYNAPSE_TEST_FAULT_SLOW_READ)
    g_string_append_printf (s, " ms=%u", fault->ms);
  if (fault->method)
    append_value (s, "method", fault->method);
  if (fault->path)
    append_value (s, "path", fault->path);
  if (fault->query)
    append_value (s, "query", fault->query);
  if (fault->skip)
    g_string_append_printf (s, " skip=%u", fault->skip);
  if (fault->times)
    g_string_append_printf (s, " times=%u", fault->times);
  if (fault->body)
    append_value (s, "body", fault->body);
  if (fault->next)
    append_value (s, "next", fault->next);
  if (fault->count)
    append_value (s, "count", fault->count);
  if (fault->results)
    append_value (s, "results", fault->results);
  return g_string_free (s, FALSE);
}

void
stb_fault_copy (SynapseTestFault * dest, const SynapseTestFault * src)
{
  *dest = *src;
  dest->method = g_strdup (src->method);
  dest->path = g_strdup (src->path);
  dest->query = g_strdup (src->query);
  dest->body = g_strdup (src->body);
  dest->next = g_strdup (src->next);
  dest->count = g_strdup (src->count);
  dest->results = g_strdup (src->results);
}

StbFault *
stb_fault_new (guint id, const SynapseTestFault * fault)
{
  StbFault *f = g_new0 (StbFault, 1);

  f->id = id;
  stb_fault_copy (&f->fault, fault);
  /* paths are matched without their leading '/' */
  if (f->fault.path && f->fault.path[0] == '/') {
    const char *p = f->fault.path;
    char *stripped;

    while (*p == '/')
      p++;
    stripped = *p ? g_strdup (p) : NULL;
    g_free ((char *) f->fault.path);
    f->fault.path = stripped;
  }
  if (f->fault.method) {
    char *upper = g_ascii_strup (f->fault.method, -1);

    g_free ((char *) f->fault.method);
    f->fault.method = upper;
  }
  return f;
}

void
stb_fault_free (StbFault * fault)
{
  if (!fault)
    return;
  synapse_test_fault_clear (&fault->fault);
  g_free (fault);
}

/* Needs the lock.  Counts the request against the first fault that takes
 * it: skipping and exhausted faults let it through to the next one. */
StbFault *
stb_faults_match (SynapseTestBackend * self, const char *method,
    const char *path, const char *query)
{
  for (guint i = 0; i < self->faults->len; i++) {
    StbFault *f = g_ptr_array_index (self->faults, i);

    if ((f->fault.method && strcmp (f->fault.method, method) != 0)
        || (f->fault.path && !strstr (path, f->fault.path))
        || (f->fault.query && (!query || !strstr (query, f->fault.query))))
      continue;
    if (f->fault.times && f->hits >= f->fault.times)
      continue;
    if (f->seen++ < f->fault.skip)
      continue;
    f->hits++;
    return f;
  }
  return NULL;
}

void
stb_fault_respond_status (SoupServerMessage * msg,
    const SynapseTestFault * fault)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (fault->body) {
    const char *type = fault->body[0] == '{' || fault->body[0] == '[' ?
        "application/json" : "text/plain; charset=utf-8";

    soup_server_message_set_status (msg, fault->status, NULL);
    soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY,
        fault->body, strlen (fault->body));
  } else {
    stb_respond_detail (msg, fault->status,
        soup_status_get_phrase (fault->status));
  }
  if (fault->retry_after >= 0) {
    char value[16];

    g_snprintf (value, sizeof (value), "%d", fault->retry_after);
    soup_message_headers_replace (headers, "Retry-After", value);
  }
}

/* A complete, self-consistent answer whose body is cut short. */
void
stb_fault_truncate (SoupServerMessage * msg, gsize bytes)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr (GBytes) full = soup_message_body_flatten (body);
  gsize n = MIN (bytes, g_bytes_get_size (full));
  g_autoptr (GBytes) prefix = g_bytes_new_from_bytes (full, 0, n);

  soup_message_body_truncate (body);
  soup_message_body_append_bytes (body, prefix);
  soup_message_headers_set_content_length
      (soup_server_message_get_response_headers (msg), n);
}

/* Takes the connection from libsoup and closes its socket at once: a
 * client still sending gets a reset, a client waiting gets EOF. */
void
stb_close_connection (SoupServerMessage * msg)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GIOStream) stream = NULL;

  if (soup_server_message_get_socket (msg))
    socket = g_object_ref (soup_server_message_get_socket (msg));
  /* stealing drops libsoup's reference to @msg */
  g_object_ref (msg);
  stream = soup_server_message_steal_connection (msg);
  g_object_unref (msg);
  if (socket)
    g_socket_close (socket, NULL);
}

static GString *
raw_head (SoupServerMessage * msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  GString *raw = g_string_new (NULL);

  if (!soup_server_message_get_status (msg))
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  g_string_append_printf (raw, "HTTP/1.1 %u %s\r\n",
      soup_server_message_get_status (msg),
      soup_server_message_get_reason_phrase (msg));
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value)) {
    if (g_ascii_strcasecmp (name, "Content-Length") != 0
        && g_ascii_strcasecmp (name, "Transfer-Encoding") != 0
        && g_ascii_strcasecmp (name, "Connection") != 0)
      g_string_append_printf (raw, "%s: %s\r\n", name, value);
  }
  return raw;
}

/* The status line and headers of @msg's answer with @length as its
 * Content-Length, and "Connection: close" when @closing. */
static GString *
raw_head_sized (SoupServerMessage * msg, gsize length, gboolean closing)
{
  GString *raw = raw_head (msg);

  g_string_append_printf (raw, "Content-Length: %" G_GSIZE_FORMAT "\r\n",
      length);
  if (closing)
    g_string_append (raw, "Connection: close\r\n");
  g_string_append (raw, "\r\n");
  return raw;
}

#define PROCESSING_LINE "HTTP/1.1 102 Processing\r\n\r\n"

/* A connection taken from libsoup and written by hand, in steps `ms`
 * apart: `interim` 102 answers (or 102s until the end when `forever`),
 * then `head`, then `tail` `slice` bytes at a time; then the connection
 * ends. */
typedef struct
{
  SynapseTestBackend *self;
  GIOStream *stream;
  GSocket *socket;
  GCancellable *cancellable;
  guint interim;
  gboolean forever;
  GBytes *head;
  GBytes *tail;
  gsize offset;
  gsize slice;
  guint ms;
  GBytes *writing;
} SlowWrite;

static void slow_write_step (SlowWrite * w);

static void
slow_write_finish (SlowWrite * w)
{
  /* FIN rather than RST: the client must get what was written before the
   * EOF */
  if (w->socket) {
    g_socket_shutdown (w->socket, FALSE, TRUE, NULL);
    g_socket_close (w->socket, NULL);
  }
  w->self->outstanding_io--;
  g_clear_object (&w->socket);
  g_object_unref (w->stream);
  g_object_unref (w->cancellable);
  g_clear_pointer (&w->head, g_bytes_unref);
  g_clear_pointer (&w->tail, g_bytes_unref);
  g_clear_pointer (&w->writing, g_bytes_unref);
  g_free (w);
}

static gboolean
slow_write_wake (gpointer data)
{
  slow_write_step (data);
  return G_SOURCE_REMOVE;
}

static gboolean
slow_write_stopped (GCancellable * cancellable, gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void
slow_write_wrote (GObject * source, GAsyncResult * result, gpointer data)
{
  SlowWrite *w = data;
  GSource *timer, *stop;

  g_clear_pointer (&w->writing, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
          NULL, NULL) || g_cancellable_is_cancelled (w->cancellable)) {
    slow_write_finish (w);
    return;
  }
  /* the next step after `ms`, or at once when the backend stops (the
   * child wakes its parent, which does the work) */
  timer = g_timeout_source_new (w->ms);
  stop = g_cancellable_source_new (w->cancellable);
  g_source_set_callback (stop, G_SOURCE_FUNC (slow_write_stopped), NULL, NULL);
  g_source_add_child_source (timer, stop);
  g_source_unref (stop);
  g_source_set_callback (timer, slow_write_wake, w, NULL);
  g_source_attach (timer, w->self->context);
  g_source_unref (timer);
}

static void
slow_write_step (SlowWrite * w)
{
  gsize tail_size = w->tail ? g_bytes_get_size (w->tail) : 0;

  if (g_cancellable_is_cancelled (w->cancellable)) {
    slow_write_finish (w);
    return;
  }
  if (w->forever || w->interim > 0) {
    if (w->interim > 0)
      w->interim--;
    w->writing = g_bytes_new_static (PROCESSING_LINE, strlen (PROCESSING_LINE));
  } else if (w->head) {
    w->writing = g_steal_pointer (&w->head);
  } else if (w->offset < tail_size) {
    gsize n = MIN (w->slice, tail_size - w->offset);

    w->writing = g_bytes_new_from_bytes (w->tail, w->offset, n);
    w->offset += n;
  } else {
    slow_write_finish (w);
    return;
  }
  g_output_stream_write_all_async (g_io_stream_get_output_stream
      (w->stream), g_bytes_get_data (w->writing, NULL),
      g_bytes_get_size (w->writing), G_PRIORITY_DEFAULT, w->cancellable,
      slow_write_wrote, w);
}

/* Takes @msg's connection and starts writing it step by step; consumes
 * @head and @tail.  Runs in the server thread. */
static void
slow_write_start (SynapseTestBackend * self, SoupServerMessage * msg,
    guint interim, gboolean forever, GBytes * head, GBytes * tail,
    gsize slice, guint ms)
{
  SlowWrite *w = g_new0 (SlowWrite, 1);

  w->self = self;
  if (soup_server_message_get_socket (msg))
    w->socket = g_object_ref (soup_server_message_get_socket (msg));
  /* stealing drops libsoup's reference to @msg */
  g_object_ref (msg);
  w->stream = soup_server_message_steal_connection (msg);
  g_object_unref (msg);
  if (!w->stream) {
    g_clear_object (&w->socket);
    g_bytes_unref (head);
    g_clear_pointer (&tail, g_bytes_unref);
    g_free (w);
    return;
  }
  w->cancellable = g_object_ref (self->io_cancellable);
  w->interim = interim;
  w->forever = forever;
  w->head = head;
  w->tail = tail;
  w->slice = MAX (slice, 1);
  w->ms = ms;
  self->outstanding_io++;
  slow_write_step (w);
}

/* Takes the connection from libsoup, writes @raw on it and closes it.
 * Runs in the server thread. */
static void
write_and_close (SynapseTestBackend * self, SoupServerMessage * msg,
    GString * raw)
{
  slow_write_start (self, msg, 0, FALSE, g_string_free_to_bytes (raw), NULL,
      0, 0);
}

/* @query (raw, or NULL) with the parameter @key set to @value ("+1": its
 * value plus one, a missing one counting as 1), added when missing. */
static char *
query_with (const char *query, const char *key, const char *value)
{
  g_auto (GStrv) params = g_strsplit (query ? query : "", "&", -1);
  g_autofree char *prefix = g_strconcat (key, "=", NULL);
  g_autofree char *set = NULL;
  gint64 old = 1;
  GString *out = g_string_new (NULL);
  gboolean placed = FALSE;

  for (guint i = 0; params[i]; i++) {
    if (g_str_has_prefix (params[i], prefix))
      stb_parse_int (params[i] + strlen (prefix), &old);
  }
  set = !strcmp (value, "+1")
      ? g_strdup_printf ("%s%" G_GINT64_FORMAT, prefix, old + 1)
      : g_strconcat (prefix, value, NULL);
  for (guint i = 0; params[i]; i++) {
    const char *param = params[i];

    if (*param == '\0')
      continue;
    if (g_str_has_prefix (param, prefix)) {
      if (placed)
        continue;
      param = set;
      placed = TRUE;
    }
    g_string_append_printf (out, "%s%s", out->len ? "&" : "", param);
  }
  if (!placed)
    g_string_append_printf (out, "%s%s", out->len ? "&" : "", set);
  return g_string_free (out, FALSE);
}

/* The request's own URL with the parameters of @next set. */
static char *
relinked_url (SoupServerMessage * msg, const char *next)
{
  GUri *uri = soup_server_message_get_uri (msg);
  g_auto (GStrv) params = g_strsplit (next, "&", -1);
  g_autofree char *query = g_strdup (g_uri_get_query (uri));

  for (guint i = 0; params[i]; i++) {
    const char *eq = strchr (params[i], '=');
    g_autofree char *key = g_strndup (params[i], eq - params[i]);
    char *changed = query_with (query, key, eq + 1);

    g_free (query);
    query = changed;
  }
  return g_uri_join (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL,
      g_uri_get_host (uri), g_uri_get_port (uri), g_uri_get_path (uri),
      query, NULL);
}

/* RELINK: the page answered, rewritten as the fault says.  Through
 * json-glib: numbers in the results may come out in another (equal) form,
 * so byte-exact tests do without this fault. */
void
stb_fault_relink (SoupServerMessage * msg, const SynapseTestFault * fault)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  g_autoptr (GBytes) full = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonObject *page;
  gsize length;
  char *text;

  if (soup_server_message_get_status (msg) != SOUP_STATUS_OK
      || !json_parser_load_from_data (parser, g_bytes_get_data (full, NULL),
          g_bytes_get_size (full), NULL))
    return;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return;
  page = json_node_get_object (root);

  if (fault->next && !strcmp (fault->next, "null")) {
    json_object_set_null_member (page, "next");
  } else if (fault->next) {
    g_autofree char *link = relinked_url (msg, fault->next);

    json_object_set_string_member (page, "next", link);
  }
  if (fault->count && !strcmp (fault->count, "none")) {
    json_object_remove_member (page, "count");
  } else if (fault->count) {
    gint64 count = 0;

    stb_parse_int (fault->count, &count);
    json_object_set_int_member (page, "count", count);
  }
  if (fault->results && json_object_has_member (page, "results")) {
    JsonArray *results = json_object_get_array_member (page, "results");
    gint64 keep = 0;

    stb_parse_int (fault->results, &keep);
    while (json_array_get_length (results) > (guint64) keep)
      json_array_remove_element (results, json_array_get_length (results)
          - 1);
  }

  text = json_to_string (root, FALSE);
  length = strlen (text);
  soup_message_body_truncate (body);
  soup_message_body_append (body, SOUP_MEMORY_TAKE, text, length);
  soup_message_headers_set_content_length
      (soup_server_message_get_response_headers (msg), length);
}

static GBytes *
response_body (SoupServerMessage * msg)
{
  return soup_message_body_flatten (soup_server_message_get_response_body
      (msg));
}

/* Status line and headers with the full Content-Length, then @bytes of the
 * body, then the end of the connection.  Runs in the server thread. */
void
stb_fault_cut_response (SynapseTestBackend * self, SoupServerMessage * msg,
    gsize bytes)
{
  g_autoptr (GBytes) body = response_body (msg);
  gboolean head = soup_server_message_get_method (msg) == SOUP_METHOD_HEAD;
  GString *raw = raw_head (msg);
  gsize len = g_bytes_get_size (body);

  /* no "Connection: close": a connection that dies mid-body does not say
   * so, and libsoup 3.2 takes a short body announced that way for whole */
  g_string_append_printf (raw, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
      len);
  if (!head)
    g_string_append_len (raw, g_bytes_get_data (body, NULL), MIN (bytes, len));
  write_and_close (self, msg, raw);
}

/* @bytes of the body framed without a Content-Length (chunked, or by the
 * end of the connection), then the end of the connection: no last chunk,
 * so that to HTTP a cut at a chunk's end looks like the whole body.  Runs
 * in the server thread. */
void
stb_fault_cut_framed (SynapseTestBackend * self, SoupServerMessage * msg,
    gsize bytes, gboolean chunked)
{
  g_autoptr (GBytes) body = response_body (msg);
  GString *raw = raw_head (msg);
  gsize n = MIN (bytes, g_bytes_get_size (body));

  if (chunked) {
    g_string_append (raw, "Transfer-Encoding: chunked\r\n\r\n");
    if (n > 0) {
      g_string_append_printf (raw, "%" G_GSIZE_MODIFIER "x\r\n", n);
      g_string_append_len (raw, g_bytes_get_data (body, NULL), n);
      g_string_append (raw, "\r\n");
    }
  } else {
    g_string_append (raw, "Connection: close\r\n\r\n");
    g_string_append_len (raw, g_bytes_get_data (body, NULL), n);
  }
  write_and_close (self, msg, raw);
}

/* The answer's body is now @bytes (taken). */
static void
replace_body (SoupServerMessage * msg, GBytes * bytes)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_message_body_truncate (body);
  soup_message_body_append_bytes (body, bytes);
  soup_message_headers_set_content_length
      (soup_server_message_get_response_headers (msg),
      g_bytes_get_size (bytes));
  g_bytes_unref (bytes);
}

/* The answer's body gzip-compressed; with @bytes > 0, only that much of
 * the compressed stream, in a consistent answer. */
void
stb_fault_gzip (SoupServerMessage * msg, gsize bytes)
{
  g_autoptr (GBytes) body = response_body (msg);
  g_autoptr (GZlibCompressor) gzip =
      g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  const guint8 *in = g_bytes_get_data (body, NULL);
  gsize left = g_bytes_get_size (body);
  GConverterResult result;

  do {
    guint8 buffer[16 * 1024];
    gsize read = 0, written = 0;

    result = g_converter_convert (G_CONVERTER (gzip), in, left, buffer,
        sizeof buffer, G_CONVERTER_INPUT_AT_END, &read, &written, NULL);
    g_byte_array_append (out, buffer, written);
    in += read;
    left -= read;
  } while (result == G_CONVERTER_CONVERTED);
  g_assert_cmpint (result, ==, G_CONVERTER_FINISHED);

  if (bytes > 0 && bytes < out->len)
    g_byte_array_set_size (out, bytes);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Encoding", "gzip");
  replace_body (msg, g_byte_array_free_to_bytes (g_steal_pointer (&out)));
}

/* The answer's body with its byte at @offset flipped. */
void
stb_fault_corrupt (SoupServerMessage * msg, gsize offset)
{
  g_autoptr (GBytes) body = response_body (msg);
  gsize size;
  guint8 *bytes = g_bytes_unref_to_data (g_steal_pointer (&body), &size);

  if (offset < size)
    bytes[offset] ^= 0xff;
  replace_body (msg, g_bytes_new_take (bytes, size));
}

/* What of @body goes on the wire: nothing for a HEAD. */
static GBytes *
body_sent (SoupServerMessage * msg, GBytes * body)
{
  if (soup_server_message_get_method (msg) == SOUP_METHOD_HEAD)
    return g_bytes_new (NULL, 0);
  return g_bytes_ref (body);
}

/* TRICKLE: the headers at once, then the body `bytes` at a time, `ms`
 * apart. */
void
stb_fault_trickle (SynapseTestBackend * self, SoupServerMessage * msg,
    const SynapseTestFault * fault)
{
  g_autoptr (GBytes) body = response_body (msg);
  GString *raw = raw_head_sized (msg, g_bytes_get_size (body), TRUE);

  slow_write_start (self, msg, 0, FALSE, g_string_free_to_bytes (raw),
      body_sent (msg, body), fault->bytes, fault->ms);
}

/* PROCESSING: "102 Processing" every `ms`, `count` times or without end,
 * then the answer. */
void
stb_fault_processing (SynapseTestBackend * self, SoupServerMessage * msg,
    const SynapseTestFault * fault)
{
  g_autoptr (GBytes) body = response_body (msg);
  g_autoptr (GBytes) sent = body_sent (msg, body);
  GString *raw = raw_head_sized (msg, g_bytes_get_size (body), TRUE);
  guint64 interim = 0;

  if (fault->count)
    g_ascii_string_to_unsigned (fault->count, 10, 0, G_MAXUINT, &interim,
        NULL);
  g_string_append_len (raw, g_bytes_get_data (sent, NULL),
      g_bytes_get_size (sent));
  slow_write_start (self, msg, interim, interim == 0,
      g_string_free_to_bytes (raw), NULL, 0, fault->ms);
}

static gboolean
slow_read_resume (gpointer msg)
{
  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

/* SLOW_READ: after a piece of the request body, libsoup reads no more for
 * `ms`. */
void
stb_fault_slow_read (SynapseTestBackend * self, SoupServerMessage * msg,
    const SynapseTestFault * fault)
{
  GSource *timer = g_timeout_source_new (fault->ms);
  GSocket *socket = soup_server_message_get_socket (msg);

  /* a small receive buffer (not one the kernel grows), so that the
   * client's writes wait for these reads */
  if (socket)
    g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 64 * 1024, NULL);
  soup_server_message_pause (msg);
  g_source_set_callback (timer, slow_read_resume, g_object_ref (msg),
      g_object_unref);
  g_source_attach (timer, self->context);
  g_source_unref (timer);
}
