/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The verified download cache: the files a downloading URL conversion
 * puts in its folder. A file's name comes from its URL (the MD5 of the URL
 * without its fragment and its signing parameters, and a plain suffix);
 * a file already there is reused when it still is what the events
 * declare; otherwise it is downloaded under a temporary name (decoded,
 * counted against the size cap, hashed as it arrives) and renamed only
 * once it is whole and matches every declaration of it. A batch downloads
 * several files at a time: the caller's thread and jobs of the client's
 * workers (synapse-workers.c). Which strings are file URLs, and what replaces
 * them in the events, is synapse-url-conversion.c's; the public account
 * of these rules is SynapseUrlConversion's documentation there. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synapse-client-private.h"
#include "synapse-download.h"
#include "synapse-error-private.h"
#include "synapse-request.h"
#include "synapse-uri.h"

#define MAX_SUFFIX_LENGTH 16
/* A cached file up to this size has its declared checksum checked again
 * before it is reused; larger ones only their size. */
#define CHEAP_CHECKSUM_SIZE (16 << 20)
#define COPY_BUFFER_SIZE (64 * 1024)
/* The most a file fetched into memory reserves from its Content-Length
 * before the bytes arrive. */
#define MAX_PREALLOCATED (64 << 20)

/* --- cache names -------------------------------------------------------- */

/* The URL's file name suffix, when it is short and plain; anything else
 * (separators, encoded or not, dots, spaces) gives no suffix, so the cache
 * name stays a bare file name. */
static const char *
plain_suffix (const char *path)
{
  const char *base = strrchr (path, '/');
  const char *dot;

  base = base ? base + 1 : path;
  dot = strrchr (base, '.');
  if (dot == NULL || dot[1] == '\0' || strlen (dot) > MAX_SUFFIX_LENGTH + 1)
    return "";
  for (const char *c = dot + 1; *c; c++)
    if (!g_ascii_isalnum (*c))
      return "";
  return dot;
}

static const char *const azure_sas_parameters[] = {
  "sig", "se", "st", "sp", "sv", "spr", "sip", "sr", "ss", "srt", "si", "sdd",
  "ses", "skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid",
  "scid", NULL
};

static const char *const signed_url_parameters[] = {
  "Signature", "Expires", "Key-Pair-Id", "Policy", "AWSAccessKeyId",
  "GoogleAccessId", NULL
};

static gboolean
is_one_of (const char *name, const char *const *names)
{
  for (guint i = 0; names[i]; i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The decoded name of a query parameter ("name=value"). */
static char *
parameter_name (const char *parameter)
{
  gsize length = strcspn (parameter, "=");
  g_autofree char *raw = g_strndup (parameter, length);
  char *name = g_uri_unescape_string (raw, NULL);

  return name ? name : g_steal_pointer (&raw);
}

/* @url without its fragment and its signing query parameters. */
static char *
cache_key (const char *url)
{
  gsize length = strcspn (url, "#");
  const char *query = memchr (url, '?', length);
  g_auto (GStrv) parameters = NULL;
  gboolean azure = FALSE, signed_url = FALSE;
  GString *key;
  gboolean first = TRUE;

  if (query == NULL)
    return g_strndup (url, length);

  key = g_string_new_len (url, query - url);
  {
    g_autofree char *text = g_strndup (query + 1, url + length - query - 1);

    parameters = g_strsplit (text, "&", -1);
  }
  for (guint i = 0; parameters[i]; i++) {
    g_autofree char *name = parameter_name (parameters[i]);

    azure |= g_ascii_strcasecmp (name, "sig") == 0;
    signed_url |= g_ascii_strcasecmp (name, "Signature") == 0;
  }
  for (guint i = 0; parameters[i]; i++) {
    g_autofree char *name = parameter_name (parameters[i]);

    if (g_ascii_strncasecmp (name, "X-Amz-", 6) == 0
        || g_ascii_strncasecmp (name, "X-Goog-", 7) == 0
        || (azure && is_one_of (name, azure_sas_parameters))
        || (signed_url && is_one_of (name, signed_url_parameters)))
      continue;
    g_string_append_c (key, first ? '?' : '&');
    g_string_append (key, parameters[i]);
    first = FALSE;
  }
  return g_string_free (key, FALSE);
}

char *
synapse_download_cache_path (const char *directory, const char *url)
{
  g_autofree char *key = cache_key (url);
  g_autofree char *path = g_strndup (url, strcspn (url, "?#"));
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_MD5,
      key, -1);
  g_autofree char *name = g_strconcat (digest, plain_suffix (path), NULL);

  return g_build_filename (directory, name, NULL);
}

/* --- checks --------------------------------------------------------------- */

/* What an event declares of a file: it must have @size bytes, and its
 * @algorithm digest must be @hex. */
typedef struct
{
  const char *event;
  gint64 size;                  /* -1: not declared */
  int algorithm;                /* index into digest_types, -1: none */
  char hex[129];
} Claim;

static const struct
{
  GChecksumType type;
  const char *name;
  guint length;
} digest_types[] = {
  {G_CHECKSUM_MD5, "md5", 32},
  {G_CHECKSUM_SHA1, "sha1", 40},
  {G_CHECKSUM_SHA256, "sha256", 64},
  {G_CHECKSUM_SHA512, "sha512", 128},
};

#define N_DIGESTS G_N_ELEMENTS (digest_types)

/* The algorithm of a declared checksum (`hex`, or `name:hex`), and its
 * hex in lower case; -1 for a form that is not checked. */
static int
parse_checksum (const char *declared, char hex[129])
{
  const char *colon = strchr (declared, ':');
  const char *digits = colon ? colon + 1 : declared;
  g_autofree char *name = NULL;
  gsize length = strlen (digits);

  for (const char *c = digits; *c; c++)
    if (!g_ascii_isxdigit (*c))
      return -1;
  if (colon) {
    char *dash;

    name = g_ascii_strdown (declared, colon - declared);
    /* sha-256 as well as sha256 */
    if ((dash = strchr (name, '-')))
      memmove (dash, dash + 1, strlen (dash));
  }
  for (guint i = 0; i < N_DIGESTS; i++) {
    if (digest_types[i].length != length
        || (name && !g_str_equal (name, digest_types[i].name)))
      continue;
    for (gsize c = 0; c <= length; c++)
      hex[c] = g_ascii_tolower (digits[c]);
    return i;
  }
  return -1;
}

/* One file to download, and what its events declare of it. */
typedef struct
{
  const char *url;
  char *path;
  GArray *claims;               /* of Claim */
} Download;

static void
download_clear (Download * download)
{
  g_free (download->path);
  g_array_unref (download->claims);
}

/* Adds what one event declares of @download's file: @size bytes (-1:
 * nothing) and @checksum (NULL, or a form that is not checked: nothing);
 * @event is borrowed. */
static void
download_add_claim (Download * download, const char *event, gint64 size,
    const char *checksum)
{
  Claim claim = { event, size, -1 };

  if (checksum)
    claim.algorithm = parse_checksum (checksum, claim.hex);
  if (claim.size >= 0 || claim.algorithm >= 0)
    g_array_append_val (download->claims, claim);
}

/* "The file of event <id> at <url>", or "The file at <url>" for a claim
 * that names no event (the caller names it). */
static char *
claim_subject (const Claim * claim, const char *shown)
{
  return claim->event ? g_strdup_printf ("The file of event %s at %s",
      claim->event, shown) : g_strdup_printf ("The file at %s", shown);
}

/* The digests a download's claims need, running over its bytes. */
typedef struct
{
  GChecksum *sums[N_DIGESTS];
} Digests;

static void
digests_init (Digests * digests, const Download * download)
{
  memset (digests, 0, sizeof *digests);
  for (guint i = 0; i < download->claims->len; i++) {
    int algorithm = g_array_index (download->claims, Claim, i).algorithm;

    if (algorithm >= 0 && digests->sums[algorithm] == NULL)
      digests->sums[algorithm] = g_checksum_new (digest_types[algorithm].type);
  }
}

static void
digests_update (Digests * digests, const void *data, gsize length)
{
  for (guint i = 0; i < N_DIGESTS; i++)
    if (digests->sums[i])
      g_checksum_update (digests->sums[i], data, length);
}

static void
digests_clear (Digests * digests)
{
  for (guint i = 0; i < N_DIGESTS; i++)
    g_clear_pointer (&digests->sums[i], g_checksum_free);
}

typedef enum
{
  VERDICT_WHOLE,
  VERDICT_SHORT,                /* fewer bytes than an event declares */
  VERDICT_WRONG,                /* more bytes, or another checksum */
} Verdict;

/* Whether a file of @size bytes (and @digests, when given) is what every
 * claim declares; when it is not, @error says how. */
static Verdict
check_claims (const Download * download, const char *shown, guint64 size,
    Digests * digests, GError ** error)
{
  for (guint i = 0; i < download->claims->len; i++) {
    const Claim *claim = &g_array_index (download->claims, Claim, i);
    g_autofree char *subject = claim_subject (claim, shown);
    const char *got;

    if (claim->size >= 0 && size < (guint64) claim->size) {
      synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_PROTOCOL, "GET",
          shown, 0, NULL, "%s ended after %" G_GUINT64_FORMAT " of its %"
          G_GINT64_FORMAT " declared bytes", subject, size, claim->size);
      return VERDICT_SHORT;
    }
    if (claim->size >= 0 && size > (guint64) claim->size) {
      synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_CHECKSUM, "GET",
          shown, 0, NULL, "%s has %" G_GUINT64_FORMAT " bytes, not its %"
          G_GINT64_FORMAT " declared ones", subject, size, claim->size);
      return VERDICT_WRONG;
    }
    if (claim->algorithm < 0 || digests == NULL)
      continue;
    got = g_checksum_get_string (digests->sums[claim->algorithm]);
    if (!g_str_equal (got, claim->hex)) {
      synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_CHECKSUM, "GET",
          shown, 0, NULL, "%s does not match its declared checksum (%s %s, "
          "the file's is %s)", subject, digest_types[claim->algorithm].name,
          claim->hex, got);
      return VERDICT_WRONG;
    }
  }
  return VERDICT_WHOLE;
}

/* "@what @path: <errno's words>" */
static gboolean
set_io_error (GError ** error, const char *what, const char *path)
{
  int saved_errno = errno;

  g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
      "%s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* Removes whatever is at @path that is not a usable file. */
static gboolean
remove_entry (const char *path, gboolean is_dir, GError ** error)
{
  if ((is_dir ? g_rmdir (path) : g_unlink (path)) < 0 && errno != ENOENT)
    return set_io_error (error, "Cannot replace", path);
  return TRUE;
}

/* Whether the cached file of @download can be used as it is: a regular
 * file, opened without following a symlink, that meets the claims (its
 * checksums only when it is cheap to read). Anything else under its name
 * is removed; FALSE with @error unset then means "download it". */
static gboolean
reuse_cached (const Download * download, const char *shown, GError ** error)
{
  int fd = open (download->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK
      | O_CLOEXEC);
  struct stat info;
  Digests digests;
  gboolean digested = FALSE;
  Verdict verdict;

  if (fd < 0 && errno == ENOENT)
    return FALSE;
  if (fd < 0) {
    /* a symlink (ELOOP), or something else that is not a file */
    if (g_lstat (download->path, &info) < 0)
      return set_io_error (error, "Cannot read", download->path);
    remove_entry (download->path, S_ISDIR (info.st_mode), error);
    return FALSE;
  }
  if (fstat (fd, &info) < 0) {
    close (fd);
    return set_io_error (error, "Cannot read", download->path);
  }
  if (!S_ISREG (info.st_mode)) {
    close (fd);
    remove_entry (download->path, S_ISDIR (info.st_mode), error);
    return FALSE;
  }

  digests_init (&digests, download);
  for (guint i = 0; i < N_DIGESTS; i++)
    digested |= digests.sums[i] != NULL;
  if (digested && (guint64) info.st_size <= CHEAP_CHECKSUM_SIZE) {
    char buffer[COPY_BUFFER_SIZE];
    gssize n;

    while ((n = read (fd, buffer, sizeof buffer)) != 0) {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        digests_clear (&digests);
        close (fd);
        return set_io_error (error, "Cannot read", download->path);
      }
      digests_update (&digests, buffer, n);
    }
  } else {
    digested = FALSE;
  }
  verdict = check_claims (download, shown, info.st_size,
      digested ? &digests : NULL, NULL);
  digests_clear (&digests);
  close (fd);
  if (verdict == VERDICT_WHOLE)
    return TRUE;
  g_debug ("%s does not match what its events declare: downloading it again",
      download->path);
  remove_entry (download->path, FALSE, error);
  return FALSE;
}

/* One download attempt's writer: the body, decoded, into the temporary
 * file (or into memory), counted and digested as it goes. */
typedef struct
{
  int fd;
  GByteArray *memory;           /* set: the body goes here, not to fd */
  const char *temp_path;
  const char *shown;
  const Download *download;
  guint64 max_size;
  /* the attempt under way */
  GConverter *decoder;
  gboolean gzip;
  gboolean decoded_all;
  guint64 written;
  Digests digests;
  Verdict verdict;
  char *content_type;           /* the response's media type, or NULL */
} FileWriter;

static gboolean
write_all (int fd, const char *data, gsize length)
{
  while (length > 0) {
    gssize written = write (fd, data, length);

    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0)
      return FALSE;
    data += written;
    length -= written;
  }
  return TRUE;
}

static gboolean
too_large (FileWriter * writer, guint64 size, GError ** error)
{
  synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_FILE_TOO_LARGE,
      "GET", writer->shown, 0, NULL, "GET %s: the file has more than %"
      G_GUINT64_FORMAT " bytes (%" G_GUINT64_FORMAT " at least), the "
      "largest a download may have", writer->shown, writer->max_size, size);
  return FALSE;
}

static gboolean
write_file_bytes (FileWriter * writer, const char *data, gsize length,
    GError ** error)
{
  if (writer->max_size && writer->written + length > writer->max_size)
    return too_large (writer, writer->written + length, error);
  if (writer->memory)
    g_byte_array_append (writer->memory, (const guint8 *) data, length);
  else if (!write_all (writer->fd, data, length))
    return set_io_error (error, "Cannot write", writer->temp_path);
  digests_update (&writer->digests, data, length);
  writer->written += length;
  return TRUE;
}

/* Feeds @length bytes of a compressed body to the decoder; @length 0
 * drains it at the end of the body. */
static gboolean
decode (FileWriter * writer, const char *data, gsize length, GError ** error)
{
  char out[COPY_BUFFER_SIZE];
  gboolean at_end = length == 0;

  for (;;) {
    gsize read = 0, produced = 0;
    g_autoptr (GError) decode_error = NULL;
    GConverterResult result;

    if (writer->decoded_all) {
      if (length == 0)
        return TRUE;
      /* gzip data may hold several members, one after the other */
      if (!writer->gzip) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "data after the end of the deflate stream");
        return FALSE;
      }
      g_converter_reset (writer->decoder);
      writer->decoded_all = FALSE;
    }
    result = g_converter_convert (writer->decoder, data, length, out,
        sizeof out, at_end ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS,
        &read, &produced, &decode_error);
    if (result == G_CONVERTER_ERROR) {
      gboolean partial = g_error_matches (decode_error, G_IO_ERROR,
          G_IO_ERROR_PARTIAL_INPUT);

      /* it wants more of the body, which may come */
      if (partial && !at_end)
        return TRUE;
      if (partial)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
            "the %s data ended before its end",
            writer->gzip ? "gzip" : "deflate");
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "invalid %s data: %s", writer->gzip ? "gzip" : "deflate",
            decode_error->message);
      return FALSE;
    }
    if (produced > 0 && !write_file_bytes (writer, out, produced, error))
      return FALSE;
    data += read;
    length -= read;
    writer->decoded_all = result == G_CONVERTER_FINISHED;
    if (length == 0 && !at_end && produced < sizeof out)
      return TRUE;
  }
}

/* Sets up an attempt: an empty file, fresh digests, the decoder the
 * response's Content-Encoding asks for. */
static gboolean
start_attempt (FileWriter * writer, SoupMessage * msg, GError ** error)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  const char *encoding = soup_message_headers_get_one (headers,
      "Content-Encoding");
  goffset length = soup_message_headers_get_content_length (headers);

  g_clear_object (&writer->decoder);
  digests_clear (&writer->digests);
  digests_init (&writer->digests, writer->download);
  writer->written = 0;
  writer->decoded_all = FALSE;
  writer->verdict = VERDICT_WHOLE;
  g_free (writer->content_type);
  writer->content_type = g_strdup (soup_message_headers_get_content_type
      (headers, NULL));
  if (writer->memory) {
    g_byte_array_set_size (writer->memory, 0);
  } else if (ftruncate (writer->fd, 0) < 0
      || lseek (writer->fd, 0, SEEK_SET) < 0) {
    return set_io_error (error, "Cannot write", writer->temp_path);
  }

  if (encoding == NULL || g_ascii_strcasecmp (encoding, "identity") == 0) {
    if (writer->max_size && length > 0 && (guint64) length > writer->max_size)
      return too_large (writer, length, error);
    /* room for the announced body at once, within reason */
    if (writer->memory && length > 0) {
      g_byte_array_set_size (writer->memory, (guint) MIN (length,
              MAX_PREALLOCATED));
      g_byte_array_set_size (writer->memory, 0);
    }
  } else if (g_ascii_strcasecmp (encoding, "gzip") == 0
      || g_ascii_strcasecmp (encoding, "x-gzip") == 0) {
    writer->gzip = TRUE;
    writer->decoder = G_CONVERTER (g_zlib_decompressor_new
        (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
  } else if (g_ascii_strcasecmp (encoding, "deflate") == 0) {
    writer->gzip = FALSE;
    writer->decoder = G_CONVERTER (g_zlib_decompressor_new
        (G_ZLIB_COMPRESSOR_FORMAT_ZLIB));
  } else {
    synapse_set_protocol_error (error, "GET", writer->shown,
        "the Content-Encoding \"%s\" was not asked for", encoding);
    return FALSE;
  }
  return TRUE;
}

static gboolean
write_download (SoupMessage * msg, GInputStream * body, gpointer user_data,
    GCancellable * cancellable, GError ** error)
{
  FileWriter *writer = user_data;
  char buffer[COPY_BUFFER_SIZE];
  guint64 received = 0;

  /* a retried attempt starts the file again */
  if (!start_attempt (writer, msg, error))
    return FALSE;

  for (;;) {
    gssize n = g_input_stream_read (body, buffer, sizeof buffer, cancellable,
        error);

    if (n < 0)
      return FALSE;
    if (n == 0)
      break;
    received += n;
    if (!(writer->decoder ? decode (writer, buffer, n, error)
            : write_file_bytes (writer, buffer, n, error)))
      return FALSE;
  }
  /* the body counted as sent: the decoder is ours, not libsoup's */
  if (!synapse_request_check_body_complete (msg, received, error)
      || (writer->decoder && !decode (writer, buffer, 0, error)))
    return FALSE;
  writer->verdict = check_claims (writer->download, writer->shown,
      writer->written, &writer->digests, error);
  return writer->verdict == VERDICT_WHOLE;
}

/* Sends the GET of @writer's download, its body into @writer. A file
 * still short of its declared size after the retries is a file that does
 * not match its event, whatever the cause. */
static gboolean
send_download (SynapseClient * client, FileWriter * writer,
    GCancellable * cancellable, GError ** error)
{
  SynapseRequest request = {
    .method = "GET",
    .path = writer->download->url,
    .idempotent = TRUE,
    /* decoded here, where its end is checked */
    .accept_encoding = "gzip, deflate",
  };
  GError *failure = NULL;
  gboolean ok = synapse_request_send (client, &request, write_download,
      writer, cancellable, &failure);

  g_clear_object (&writer->decoder);
  digests_clear (&writer->digests);
  if (ok)
    return TRUE;
  if (writer->verdict == VERDICT_SHORT && g_error_matches (failure,
          SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL))
    failure->code = SYNAPSE_CLIENT_ERROR_CHECKSUM;
  g_propagate_error (error, failure);
  return FALSE;
}

static gboolean
download_file (SynapseClient * client, const Download * download,
    guint64 max_size, GCancellable * cancellable, GError ** error)
{
  g_autofree char *temp_path = g_strconcat (download->path, ".XXXXXX.part",
      NULL);
  g_autofree char *shown = synapse_uri_redact (download->url);
  FileWriter writer = {
    .temp_path = temp_path,
    .shown = shown,
    .download = download,
    .max_size = max_size,
  };
  g_autoptr (GError) failure = NULL;
  gboolean ok;

  if (reuse_cached (download, shown, &failure))
    return TRUE;
  if (failure) {
    g_propagate_error (error, g_steal_pointer (&failure));
    return FALSE;
  }

  /* A crash or failure leaves a stray .part file, never a half file under
   * the final name. */
  writer.fd = g_mkstemp_full (temp_path, O_RDWR | O_CLOEXEC, 0644);
  if (writer.fd < 0)
    return set_io_error (error, "Cannot create a file in", download->path);

  ok = send_download (client, &writer, cancellable, &failure);
  g_free (writer.content_type);
  if (close (writer.fd) < 0 && ok)
    ok = set_io_error (&failure, "Cannot write", download->path);
  /* renaming replaces a symlink made meanwhile, never follows it */
  if (ok && g_rename (temp_path, download->path) < 0) {
    int saved_errno = errno;

    g_set_error (&failure, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_IO,
        "Cannot rename %s to %s: %s", temp_path, download->path,
        g_strerror (saved_errno));
    ok = FALSE;
  }
  if (ok)
    return TRUE;

  g_unlink (temp_path);
  g_propagate_error (error, g_steal_pointer (&failure));
  return FALSE;
}

/* The downloads of one conversion, shared by its worker threads. */
typedef struct
{
  SynapseClient *client;
  GArray *downloads;            /* of Download */
  guint64 max_size;
  GCancellable *cancellable;    /* cancelled by the first failure, too */
  GMutex lock;
  guint next;
  GError *error;
} Downloads;

/* Downloads the files no one has taken yet, until none is left; as many
 * run at once as a batch may have downloads. */
static void
download_worker (gpointer data, GCancellable * job_cancellable)
{
  Downloads *downloads = data;

  for (;;) {
    GError *error = NULL;
    guint index;

    g_mutex_lock (&downloads->lock);
    if (downloads->error || downloads->next >= downloads->downloads->len) {
      g_mutex_unlock (&downloads->lock);
      return;
    }
    index = downloads->next++;
    g_mutex_unlock (&downloads->lock);

    if (!download_file (downloads->client, &g_array_index
            (downloads->downloads, Download, index), downloads->max_size,
            downloads->cancellable, &error)) {
      g_mutex_lock (&downloads->lock);
      if (downloads->error == NULL) {
        downloads->error = error;
        error = NULL;
        /* the others stop at once rather than finish for nothing */
        g_cancellable_cancel (downloads->cancellable);
      }
      g_mutex_unlock (&downloads->lock);
      g_clear_error (&error);
    }
  }
}

static void
cancel_child (GCancellable * parent, GCancellable * child)
{
  g_cancellable_cancel (child);
}

/* --- batches ------------------------------------------------------------- */

struct _SynapseDownloadBatch
{
  char *directory;
  guint max_downloads;
  guint64 max_file_size;
  GArray *files;                /* of Download */
  GHashTable *index_of;         /* cache path -> index in files */
};

SynapseDownloadBatch *
synapse_download_batch_new (const char *directory, guint max_downloads,
    guint64 max_file_size)
{
  SynapseDownloadBatch *batch = g_new0 (SynapseDownloadBatch, 1);

  batch->directory = g_strdup (directory);
  batch->max_downloads = max_downloads;
  batch->max_file_size = max_file_size;
  batch->files = g_array_new (FALSE, FALSE, sizeof (Download));
  g_array_set_clear_func (batch->files, (GDestroyNotify) download_clear);
  batch->index_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  return batch;
}

void
synapse_download_batch_free (SynapseDownloadBatch * batch)
{
  g_free (batch->directory);
  g_array_unref (batch->files);
  g_hash_table_unref (batch->index_of);
  g_free (batch);
}

guint
synapse_download_batch_add (SynapseDownloadBatch * batch, const char *url,
    const char *event, gint64 size, const char *checksum)
{
  g_autofree char *path = synapse_download_cache_path (batch->directory, url);
  gpointer index;
  Download *download;

  /* URLs that differ in their signature only are one file */
  if (!g_hash_table_lookup_extended (batch->index_of, path, NULL, &index)) {
    Download added = { url, g_strdup (path),
      g_array_new (FALSE, FALSE, sizeof (Claim))
    };

    index = GUINT_TO_POINTER (batch->files->len);
    g_array_append_val (batch->files, added);
    g_hash_table_insert (batch->index_of, g_steal_pointer (&path), index);
  }
  download = &g_array_index (batch->files, Download, GPOINTER_TO_UINT (index));
  download_add_claim (download, event, size, checksum);
  return GPOINTER_TO_UINT (index);
}

static gboolean
run_downloads (SynapseDownloadBatch * batch, SynapseClient * client,
    GCancellable * cancellable, GError ** error)
{
  Downloads downloads = {
    .client = client,
    .downloads = batch->files,
    .max_size = batch->max_file_size,
    .cancellable = g_cancellable_new (),
  };
  guint n_workers = MIN (batch->max_downloads, batch->files->len);
  g_autoptr (GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      synapse_job_unref);
  SynapseWorkers *workers = synapse_client_get_workers (client);
  gulong handler = 0;

  g_mutex_init (&downloads.lock);
  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (cancel_child),
        g_object_ref (downloads.cancellable), g_object_unref);

  /* this thread downloads too; the workers' jobs stop with its
   * cancellable, which the caller's cancels */
  for (guint i = 1; i < n_workers; i++)
    g_ptr_array_add (jobs, synapse_workers_push (workers, download_worker,
            &downloads, NULL, NULL));
  download_worker (&downloads, NULL);
  for (guint i = 0; i < jobs->len; i++)
    synapse_job_wait (jobs->pdata[i], NULL);

  if (cancellable)
    g_cancellable_disconnect (cancellable, handler);
  g_mutex_clear (&downloads.lock);
  g_object_unref (downloads.cancellable);

  if (downloads.error) {
    /* the caller's cancellation, not the workers' own stop */
    if (!g_cancellable_set_error_if_cancelled (cancellable, error))
      g_propagate_error (error, downloads.error);
    else
      g_error_free (downloads.error);
    return FALSE;
  }
  return TRUE;
}

gboolean
synapse_download_batch_run (SynapseDownloadBatch * batch,
    SynapseClient * client, GCancellable * cancellable, GError ** error)
{
  if (batch->files->len == 0)
    return TRUE;
  /* the local paths go into JSON text */
  if (!g_utf8_validate (batch->directory, -1, NULL)) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR,
        SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
        "The download folder %s is not UTF-8 text, which events hold",
        batch->directory);
    return FALSE;
  }
  if (g_mkdir_with_parents (batch->directory, 0755) < 0)
    return set_io_error (error, "Cannot make the download folder",
        batch->directory);
  return run_downloads (batch, client, cancellable, error);
}

const char *
synapse_download_batch_get_path (SynapseDownloadBatch * batch, guint index)
{
  return g_array_index (batch->files, Download, index).path;
}

/* --- one file in memory --------------------------------------------------- */

GBytes *
synapse_download_fetch (SynapseClient * client, const char *url,
    const char *directory, gint64 size, const char *checksum,
    guint64 max_size, char **content_type, GCancellable * cancellable,
    GError ** error)
{
  Download download = { url, NULL, g_array_new (FALSE, FALSE, sizeof (Claim)) };
  g_autofree char *shown = synapse_uri_redact (url);
  GBytes *bytes = NULL;

  download_add_claim (&download, NULL, size, checksum);

  if (directory) {
    /* through the cache: reused when it is there and right */
    char *contents;
    gsize length;

    download.path = synapse_download_cache_path (directory, url);
    if (g_mkdir_with_parents (directory, 0755) < 0)
      set_io_error (error, "Cannot make the download folder", directory);
    else if (download_file (client, &download, max_size, cancellable, error)) {
      if (g_file_get_contents (download.path, &contents, &length, error))
        bytes = g_bytes_new_take (contents, length);
    }
  } else {
    FileWriter writer = {
      .fd = -1,
      .memory = g_byte_array_new (),
      .shown = shown,
      .download = &download,
      .max_size = max_size,
    };

    if (send_download (client, &writer, cancellable, error)) {
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&writer.memory));
      if (content_type)
        *content_type = g_steal_pointer (&writer.content_type);
    }
    if (writer.memory)
      g_byte_array_unref (writer.memory);
    g_free (writer.content_type);
  }
  download_clear (&download);
  return bytes;
}
