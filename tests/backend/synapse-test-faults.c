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
  {"trickle", SYNAPSE_TEST_FAULT_TRICKLE},
  {"processing", SYNAPSE_TEST_FAULT_PROCESSING},
  {"slow-read", SYNAPSE_TEST_FAULT_SLOW_READ},
};

void
synapse_test_fault_clear (SynapseTestFault * fault)
{
  g_free ((char *) fault->method);
  g_free ((char *) fault->path);
  g_free ((char *) fault->query);
  g_free ((char *) fault->body);
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

gboolean
synapse_test_fault_parse (const char *spec, SynapseTestFault * fault,
    GError ** error)
{
  g_auto (SynapseTestFault) f = { 0, };
  g_auto (GStrv) argv = NULL;
  gboolean have_kind = FALSE, have_status = FALSE;
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
            "drop-response, stall, delay, trickle, processing, slow-read)",
            word);
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
        || !strcmp (key, "ms") || !strcmp (key, "count")) {
      if (!parse_number (key, value, 0, G_MAXUINT, &n, error))
        return FALSE;
      if (key[0] == 's')
        f.skip = n;
      else if (key[0] == 't')
        f.times = n;
      else if (key[0] == 'c')
        f.count = n;
      else
        f.ms = n;
    } else if (!strcmp (key, "bytes")) {
      if (!parse_number (key, value, 0, G_MAXSSIZE, &n, error))
        return FALSE;
      f.bytes = n;
    } else {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
          "Invalid fault spec: unknown key \"%s\" (status, method, path, "
          "query, skip, times, retry-after, body, bytes, ms, count)", key);
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
  if ((f.kind == SYNAPSE_TEST_FAULT_STATUS && !have_status)
      || (have_status && f.kind != SYNAPSE_TEST_FAULT_STATUS
          && f.kind != SYNAPSE_TEST_FAULT_TRICKLE)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Invalid fault spec \"%s\": status=N goes with status and trickle "
        "faults only", spec);
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
  if (fault->kind == SYNAPSE_TEST_FAULT_STATUS)
    g_string_append_printf (s, "status=%u", fault->status);
  if (fault->kind == SYNAPSE_TEST_FAULT_TRICKLE && fault->status)
    g_string_append_printf (s, " status=%u", fault->status);
  if (fault->retry_after >= 0 && fault->status)
    g_string_append_printf (s, " retry-after=%d", fault->retry_after);
  if (fault->kind == SYNAPSE_TEST_FAULT_CUT_RESPONSE
      || fault->kind == SYNAPSE_TEST_FAULT_TRUNCATE
      || fault->kind == SYNAPSE_TEST_FAULT_CUT_REQUEST
      || fault->kind == SYNAPSE_TEST_FAULT_TRICKLE)
    g_string_append_printf (s, " bytes=%" G_GSIZE_FORMAT, fault->bytes);
  if (fault->kind == SYNAPSE_TEST_FAULT_STALL
      || fault->kind == SYNAPSE_TEST_FAULT_DELAY
      || fault->kind == SYNAPSE_TEST_FAULT_TRICKLE
      || fault->kind == SYNAPSE_TEST_FAULT_PROCESSING
      || fault->kind == SYNAPSE_TEST_FAULT_SLOW_READ)
    g_string_append_printf (s, " ms=%u", fault->ms);
  if (fault->count)
    g_string_append_printf (s, " count=%u", fault->count);
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

/* The status line and headers of @msg's answer as they would be sent,
 * with @length as its Content-Length, and "Connection: close" when
 * @closing. */
static GString *
raw_head (SoupServerMessage * msg, gsize length, gboolean closing)
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

/* What of @body goes on the wire: nothing for a HEAD. */
static GBytes *
body_sent (SoupServerMessage * msg, GBytes * body)
{
  if (soup_server_message_get_method (msg) == SOUP_METHOD_HEAD)
    return g_bytes_new (NULL, 0);
  return g_bytes_ref (body);
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
  g_autoptr (GBytes) sent = body_sent (msg, body);
  /* no "Connection: close": a connection that dies mid-body does not say
   * so, and libsoup 3.2 takes a short body announced that way for whole */
  GString *raw = raw_head (msg, g_bytes_get_size (body), FALSE);

  g_string_append_len (raw, g_bytes_get_data (sent, NULL),
      MIN (bytes, g_bytes_get_size (sent)));
  slow_write_start (self, msg, 0, FALSE, g_string_free_to_bytes (raw), NULL,
      0, 0);
}

/* TRICKLE: the headers at once, then the body `bytes` at a time, `ms`
 * apart. */
void
stb_fault_trickle (SynapseTestBackend * self, SoupServerMessage * msg,
    const SynapseTestFault * fault)
{
  g_autoptr (GBytes) body = response_body (msg);
  GString *raw = raw_head (msg, g_bytes_get_size (body), TRUE);

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
  GString *raw = raw_head (msg, g_bytes_get_size (body), TRUE);

  g_string_append_len (raw, g_bytes_get_data (sent, NULL),
      g_bytes_get_size (sent));
  slow_write_start (self, msg, fault->count, fault->count == 0,
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
