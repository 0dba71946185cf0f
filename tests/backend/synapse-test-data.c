/* synapse-test-data.c: the seeded ground-truth data and its media files
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Nothing is stored: every event is a pure function of (seed, id), so any
 * page of a million events is written in O(page size), and the same flags
 * give byte-identical responses.
 *
 * Event ids: version v, index i (0-based) → (v - 1) * events + i + 1.
 * Project of version v (and of its events): (v - 1) % 2 + 1.
 */

#include "synapse-test-backend-private.h"
#include "synapse-test-media.h"

#include <string.h>

#define EVENT_EPOCH G_GINT64_CONSTANT (1704067200)      /* 2024-01-01T00:00:00Z */
#define EVENT_STEP 60
#define VERSION_EPOCH G_GINT64_CONSTANT (1701388800)    /* 2023-12-01T00:00:00Z */

const char *const stb_data_types[3] = { "image", "video", "text" };

/* Labels and notes carry what JSON writers get wrong: non-ASCII (é, 雪, an
 * emoji outside the BMP), a quote, a backslash, a tab. */
static const char *const labels[STB_N_LABELS] = {
  "car", "pedestrian", "café sign", "雪 (snow)", "cat 🐈", "say \"cheese\"",
  "back\\slash", "tab\tseparated", "traffic light", "bicycle",
  "Ünïcödé truck", "dog", "stop sign", "bus", "rider / cyclist", "tree",
};

static const char *const notes[STB_N_NOTES] = {
  "clear day", "night scene, low light", "rain and 雪 mixed",
  "crowded crossing", "reviewed by QA", "needs re-annotation",
  "Zürich old town", "motion blur", "partially occluded \"hard\" case",
  "synthetic sample", "camera 2 — rear", "emoji 🚲 in the frame",
};

static const char *const colors[] = {
  "red", "green", "blue", "black", "white", "silver",
};

static const char *const dataset_names[2] = {
  "Street scenes", "Entrepôt 雪 warehouse",
};

/* splitmix64's finaliser: a cheap, well-mixed hash of a 64-bit value */
guint64
stb_mix64 (guint64 x)
{
  x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return x ^ (x >> 31);
}

static inline guint64
event_hash (guint seed, guint64 id)
{
  return stb_mix64 (stb_mix64 (seed) ^ id);
}

static inline guint
label_index (guint seed, guint64 id)
{
  /* a plain cycle, so every tricky label shows up within 16 events */
  return (guint) ((id - 1 + seed) % STB_N_LABELS);
}

static inline guint
note_index (guint64 hash)
{
  return (guint) ((hash >> 20) % STB_N_NOTES);
}

static inline guint
version_project (guint64 v)
{
  return (guint) ((v - 1) % 2 + 1);
}

StbData *
stb_data_new (guint seed)
{
  StbData *data = g_new0 (StbData, 1);
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint64 state = stb_mix64 (seed ^ G_GUINT64_CONSTANT (0x6d656469612d));

  for (guint i = 0; i < STB_MEDIA_MAX; i += 8) {
    guint64 r = stb_mix64 (state + i);

    memcpy (data->stream + i, &r, 8);
  }
  for (guint b = 0; b <= STB_MEDIA_BLOCKS; b++) {
    data->md5_after[b] = g_checksum_copy (md5);
    if (b < STB_MEDIA_BLOCKS)
      g_checksum_update (md5, data->stream + b * 64, 64);
  }
  for (guint i = 0; i < STB_N_LABELS; i++)
    data->label_folded[i] = g_utf8_casefold (labels[i], -1);
  for (guint i = 0; i < STB_N_NOTES; i++)
    data->note_folded[i] = g_utf8_casefold (notes[i], -1);
  return data;
}

void
stb_data_free (StbData * data)
{
  if (!data)
    return;
  for (guint b = 0; b <= STB_MEDIA_BLOCKS; b++)
    g_checksum_free (data->md5_after[b]);
  for (guint i = 0; i < STB_N_LABELS; i++)
    g_free (data->label_folded[i]);
  for (guint i = 0; i < STB_N_NOTES; i++)
    g_free (data->note_folded[i]);
  g_free (data);
}

/* ------------------------------------------------------------------ media */

/* The data unit whose image is served at @path ("media/data_units/<id>/"
 * and "image.jpg" or "image.png", whichever the events name: the bytes are
 * the same), FALSE if @path is not one. */
static gboolean
stb_media_image_id (SynapseTestBackend * self, const char *path, gsize len,
    guint64 * id)
{
  static const char prefix[] = "media/data_units/";
  const char *p = path + sizeof (prefix) - 1, *end = path + len;
  guint64 v = 0;

  if (self->placeholder_media || len < sizeof (prefix)
      || strncmp (path, prefix, sizeof (prefix) - 1)
      || *p < '1' || *p > '9')
    return FALSE;
  for (; p < end && g_ascii_isdigit (*p); p++) {
    v = v * 10 + (guint64) (*p - '0');
    if (v >= SYNAPSE_TEST_MEDIA_MAX_ID)
      return FALSE;
  }
  if ((gsize) (end - p) != strlen ("/image.jpg")
      || (strncmp (p, "/image.jpg", end - p)
          && strncmp (p, "/image.png", end - p)))
    return FALSE;
  *id = v;
  return TRUE;
}

/* A generated media file is the first 64 * m bytes of the seeded stream
 * followed by a tail naming the path (at least 64 bytes), m chosen from a
 * hash of the path so sizes spread over 64..8192 bytes. */
typedef struct
{
  guint blocks;
  char tail[STB_MEDIA_MAX];
  gsize tail_len;
} MediaLayout;

static gboolean
media_layout (guint seed, const char *path, gsize path_len,
    MediaLayout * layout)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  guint max_blocks;

  /* absurdly long paths are not served rather than breaking the size rule */
  if (path_len + 1 > STB_MEDIA_MAX)
    return FALSE;
  memcpy (layout->tail, path, path_len);
  layout->tail_len = path_len;
  while (layout->tail_len < 63)
    layout->tail[layout->tail_len++] = '.';
  layout->tail[layout->tail_len++] = '\n';

  for (gsize i = 0; i < path_len; i++) {
    h ^= (guchar) path[i];
    h *= G_GUINT64_CONSTANT (0x100000001b3);
  }
  h = stb_mix64 (h ^ stb_mix64 (seed));
  max_blocks = (STB_MEDIA_MAX - layout->tail_len) / 64;
  layout->blocks = (guint) (h % (max_blocks + 1));
  return TRUE;
}

/* Size and MD5 of the generated file at @path, in a block or two of MD5. */
static gsize
media_checksum (SynapseTestBackend * self, const char *path, gsize path_len,
    char checksum[33])
{
  MediaLayout layout;
  GChecksum *md5;
  guint64 id;

  if (stb_media_image_id (self, path, path_len, &id))
    return synapse_test_media_checksum (id, checksum);
  if (!media_layout (self->seed, path, path_len, &layout))
    return 0;
  md5 = g_checksum_copy (self->data->md5_after[layout.blocks]);
  g_checksum_update (md5, (const guchar *) layout.tail, layout.tail_len);
  memcpy (checksum, g_checksum_get_string (md5), 33);
  g_checksum_free (md5);
  return layout.blocks * 64 + layout.tail_len;
}

/* The bytes served at @path ("media/…", no query), NULL if none. */
GBytes *
stb_media_bytes (SynapseTestBackend * self, const char *path)
{
  MediaLayout layout;
  guint8 *bytes;
  gsize prefix;
  guint64 id;

  if (g_str_has_prefix (path, "media/uploads/"))
    return stb_upload_media (self, path);
  if (stb_media_image_id (self, path, strlen (path), &id))
    return synapse_test_media_dup_image (id);
  if (!g_str_has_prefix (path, "media/") || !path[6]
      || !media_layout (self->seed, path, strlen (path), &layout))
    return NULL;
  prefix = layout.blocks * 64;
  bytes = g_malloc (prefix + layout.tail_len);
  memcpy (bytes, self->data->stream, prefix);
  memcpy (bytes + prefix, layout.tail, layout.tail_len);
  return g_bytes_new_take (bytes, prefix + layout.tail_len);
}

static const char *
media_content_type (const char *path)
{
  static const struct
  {
    const char *suffix;
    const char *type;
  } types[] = {
    {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".png", "image/png"},
    {".mp4", "video/mp4"}, {".txt", "text/plain; charset=utf-8"},
    {".json", "application/json"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++) {
    if (g_str_has_suffix (path, types[i].suffix))
      return types[i].type;
  }
  return "application/octet-stream";
}

/* The bytes served at @path with @query: only under media/by-query/ does
 * the query choose the file (as in `media/by-query/get?id=1`), elsewhere
 * it is ignored (a signature). media/zeros/N is N zero bytes (at most
 * STB_ZEROS_MAX), which compress to almost nothing. */
GBytes *
stb_media_bytes_at (SynapseTestBackend * self, const char *path,
    const char *query)
{
  g_autofree char *name = NULL;
  guint64 zeros;

  if (g_str_has_prefix (path, "media/zeros/")) {
    if (!g_ascii_string_to_unsigned (path + 12, 10, 0, STB_ZEROS_MAX, &zeros,
            NULL))
      return NULL;
    return g_bytes_new_take (g_malloc0 (zeros), zeros);
  }
  if (query && g_str_has_prefix (path, "media/by-query/"))
    name = g_strconcat (path, "?", query, NULL);
  return stb_media_bytes (self, name ? name : path);
}

void
stb_handle_media (StbCall * call)
{
  g_autoptr (GBytes) bytes = stb_media_bytes_at (call->self, call->path,
      call->raw_query);
  SoupMessageHeaders *headers;
  const char *content_type = media_content_type (call->path);
  guint64 id;

  if (!bytes) {
    stb_respond_detail (call->msg, SOUP_STATUS_NOT_FOUND, "Not found.");
    return;
  }
  headers = soup_server_message_get_response_headers (call->msg);
  soup_server_message_set_status (call->msg, SOUP_STATUS_OK, NULL);
  if (stb_media_image_id (call->self, call->path, strlen (call->path), &id)) {
    SynapseTestMediaInfo info;

    /* what the bytes are, whatever the name says */
    synapse_test_media_describe (id, &info);
    content_type = info.content_type;
  }
  soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body
      (call->msg), bytes);
}

/* ----------------------------------------------------------------- events */

/* "<prefix><id><suffix>" into @buf, returns the length. */
static gsize
format_path (char *buf, const char *prefix, guint64 id, const char *suffix)
{
  char digits[24];
  int i = sizeof (digits);
  gsize len = strlen (prefix);

  memcpy (buf, prefix, len);
  do {
    digits[--i] = '0' + id % 10;
    id /= 10;
  } while (id);
  memcpy (buf + len, digits + i, sizeof (digits) - i);
  len += sizeof (digits) - i;
  memcpy (buf + len, suffix, strlen (suffix) + 1);
  return len + strlen (suffix);
}

static void
append_hex64 (GString * out, guint64 v)
{
  static const char hex[] = "0123456789abcdef";
  char buf[16];

  for (int i = 15; i >= 0; i--) {
    buf[i] = hex[v & 0xf];
    v >>= 4;
  }
  g_string_append_len (out, buf, 16);
}

void
stb_write_event (SynapseTestBackend * self, GString * out,
    const char *media_base, guint64 id)
{
  guint64 v = (id - 1) / self->events + 1;
  guint64 index = (id - 1) % self->events;
  guint64 h = event_hash (self->seed, id);
  guint64 h2 = stb_mix64 (h);
  char path[64];
  gsize path_len;
  char checksum[33];
  gsize size;
  SynapseTestMediaInfo media;

  g_string_append (out, "{\"id\":");
  stb_json_uint (out, id);

  g_string_append (out, ",\"data\":{\"label\":");
  stb_json_string (out, labels[label_index (self->seed, id)]);
  g_string_append (out, ",\"bbox\":[");
  stb_json_uint (out, h % 1920);
  g_string_append_c (out, ',');
  stb_json_uint (out, (h >> 11) % 1080);
  g_string_append_c (out, ',');
  stb_json_uint (out, 1 + (h >> 22) % 400);
  g_string_append_c (out, ',');
  stb_json_uint (out, 1 + (h >> 31) % 300);
  g_string_append (out, "],\"score\":0.");
  {
    guint score = 1 + (guint) ((h >> 40) % 99);

    g_string_append_c (out, '0' + score / 10);
    g_string_append_c (out, '0' + score % 10);
  }
  g_string_append (out, ",\"attributes\":{\"occluded\":");
  g_string_append (out, (h2 & 1) ? "true" : "false");
  g_string_append (out, ",\"truncated\":");
  g_string_append (out, (h2 & 2) ? "true" : "false");
  g_string_append (out, ",\"color\":\"");
  g_string_append (out, colors[(h2 >> 2) % G_N_ELEMENTS (colors)]);
  g_string_append (out, "\",\"track_id\":");
  stb_json_uint (out, (h2 >> 8) % 1000);
  g_string_append (out, "}}");

  synapse_test_media_describe (id, &media);
  if (self->placeholder_media)
    media.name = "image.jpg";
  path_len = format_path (path, "media/data_units/", id, "/");
  memcpy (path + path_len, media.name, strlen (media.name) + 1);
  path_len += strlen (media.name);
  size = media_checksum (self, path, path_len, checksum);
  g_string_append (out, ",\"data_unit\":{\"id\":");
  stb_json_uint (out, id);
  g_string_append (out, ",\"data_type\":\"");
  g_string_append (out, stb_data_types[(id - 1) % 3]);
  g_string_append (out, "\",\"files\":{\"image\":{\"url\":\"");
  stb_json_escape (out, media_base, -1);
  g_string_append_len (out, path, path_len);
  g_string_append (out, "\",\"size\":");
  stb_json_uint (out, size);
  g_string_append (out, ",\"checksum\":\"");
  g_string_append_len (out, checksum, 32);
  g_string_append (out, "\"}}}");

  g_string_append (out, ",\"files\":{\"image\":\"");
  stb_json_escape (out, media_base, -1);
  path_len = format_path (path, "media/events/", id, "/image.jpg?sig=");
  g_string_append_len (out, path, path_len);
  append_hex64 (out, h2);
  g_string_append (out, "\",\"mask\":\"");
  stb_json_escape (out, media_base, -1);
  path_len = format_path (path, "media/events/", id, "/mask.png");
  g_string_append_len (out, path, path_len);
  g_string_append (out, "\"}");

  g_string_append (out, ",\"ground_truth_dataset_version\":");
  stb_json_uint (out, v);
  g_string_append (out, ",\"created_at\":");
  stb_json_time (out, EVENT_EPOCH + (gint64) id * EVENT_STEP);
  g_string_append (out,
      ",\"metadata\":{\"source\":\"synapse-dev-backend\",\"index\":");
  stb_json_uint (out, index);
  g_string_append (out, ",\"note\":");
  stb_json_string (out, notes[note_index (h)]);
  g_string_append (out, "}}");
}

/* How many x in [a, b] have x % 3 == k (a, b >= 0). */
static guint64
count_mod3 (guint64 a, guint64 b, guint k)
{
  guint64 upto_b = b >= k ? (b - k) / 3 + 1 : 0;
  guint64 upto_a = a > k ? (a - 1 - k) / 3 + 1 : 0;

  return a > b ? 0 : upto_b - upto_a;
}

void
stb_write_version (SynapseTestBackend * self, GString * out, guint v)
{
  guint project = version_project (v);
  guint64 first = (guint64) (v - 1) * self->events + 1;
  guint64 last = (guint64) v * self->events;

  g_string_append (out, "{\"id\":");
  stb_json_uint (out, v);
  g_string_append (out, ",\"version\":\"v");
  stb_json_uint (out, v);
  g_string_append (out, "\",\"ground_truth_dataset\":{\"id\":");
  stb_json_uint (out, project);
  g_string_append (out, ",\"name\":");
  stb_json_string (out, dataset_names[project - 1]);
  g_string_append (out, "},\"event_count\":");
  stb_json_uint (out, self->events);
  g_string_append (out, ",\"description\":");
  {
    g_autofree char *description = g_strdup_printf ("Version %u of \"%s\"", v,
        dataset_names[project - 1]);

    stb_json_string (out, description);
  }
  g_string_append (out, ",\"is_active\":true,\"created_at\":");
  stb_json_time (out, VERSION_EPOCH + (gint64) (v - 1) * 86400);
  g_string_append (out, ",\"statistics\":{\"event_count\":");
  stb_json_uint (out, self->events);
  g_string_append (out, ",\"data_types\":{");
  for (guint k = 0; k < 3; k++) {
    if (k)
      g_string_append_c (out, ',');
    g_string_append_printf (out, "\"%s\":", stb_data_types[k]);
    stb_json_uint (out, self->events ? count_mod3 (first - 1, last - 1, k) : 0);
  }
  g_string_append (out, "},\"first_event_id\":");
  if (self->events)
    stb_json_uint (out, first);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"last_event_id\":");
  if (self->events)
    stb_json_uint (out, last);
  else
    g_string_append (out, "null");
  g_string_append (out, "},\"project\":");
  stb_json_uint (out, project);
  g_string_append_c (out, '}');
}

void
stb_handle_version (StbCall * call, const char *id)
{
  gint64 v;
  GString *out;

  if (!stb_parse_int (id, &v) || v < 1 || v > call->self->versions) {
    stb_respond_detail (call->msg, SOUP_STATUS_NOT_FOUND, "Not found.");
    return;
  }
  out = g_string_sized_new (512);
  stb_write_version (call->self, out, (guint) v);
  stb_respond (call->msg, SOUP_STATUS_OK, out);
}

/* The ids a filter selects are a few arithmetic runs: one per selected
 * version, cut by created_after, strided by data_type. */
typedef struct
{
  guint64 first;
  guint64 step;
  guint64 n;
} Run;

typedef struct
{
  GArray *runs;
  gboolean *search_table;       /* [label][note], NULL: no search */
} Selection;

static void
selection_clear (Selection * sel)
{
  g_clear_pointer (&sel->runs, g_array_unref);
  g_clear_pointer (&sel->search_table, g_free);
}

static inline gboolean
selection_keeps (SynapseTestBackend * self, const Selection * sel, guint64 id)
{
  guint li = label_index (self->seed, id);
  guint ni = note_index (event_hash (self->seed, id));

  return sel->search_table[li * STB_N_NOTES + ni];
}

/* Parses the filters; FALSE when a 400 has been sent. */
static gboolean
selection_parse (StbCall * call, Selection * sel)
{
  SynapseTestBackend *self = call->self;
  g_autofree gboolean *selected = g_new0 (gboolean, self->versions + 1);
  gboolean filtered = FALSE;
  const char *value;
  guint64 min_id = 1;
  gint data_type = -1;
  g_auto (GStrv) terms = NULL;

  for (guint i = 0; i < call->params->len; i++) {
    StbParam *param = g_ptr_array_index (call->params, i);
    g_auto (GStrv) parts = NULL;

    if (strcmp (param->key, "ground_truth_dataset_versions") != 0)
      continue;
    /* repeated keys and comma-separated lists, mixed at will */
    parts = g_strsplit (param->value, ",", -1);
    for (guint j = 0; parts[j]; j++) {
      char *part = g_strstrip (parts[j]);
      gint64 v;

      if (!*part)
        continue;
      if (!stb_parse_int (part, &v)) {
        stb_respond_field_error (call->msg, "ground_truth_dataset_versions",
            "Enter a whole number.");
        return FALSE;
      }
      if (v < 1 || v > self->versions) {
        g_autofree char *message =
            g_strdup_printf ("Select a valid choice. %s is not one of the "
            "available choices.", part);

        stb_respond_field_error (call->msg, "ground_truth_dataset_versions",
            message);
        return FALSE;
      }
      selected[v] = TRUE;
      filtered = TRUE;
    }
  }
  if (!filtered) {
    for (guint v = 1; v <= self->versions; v++)
      selected[v] = TRUE;
  }

  value = stb_params_get (call->params, "project");
  if (value && *value) {
    gint64 project;

    if (!stb_parse_int (value, &project)) {
      stb_respond_field_error (call->msg, "project", "Enter a number.");
      return FALSE;
    }
    for (guint v = 1; v <= self->versions; v++) {
      if (version_project (v) != project)
        selected[v] = FALSE;
    }
  }

  value = stb_params_get (call->params, "created_after");
  if (value && *value) {
    gint64 after_us, diff;

    if (!stb_parse_time (value, &after_us)) {
      stb_respond_field_error (call->msg, "created_after",
          "Enter a valid date/time.");
      return FALSE;
    }
    /* created_at(id) = EPOCH + id * STEP, strictly after */
    diff = after_us - EVENT_EPOCH * G_USEC_PER_SEC;
    if (diff >= 0)
      min_id = (guint64) diff / (EVENT_STEP * G_USEC_PER_SEC) + 1;
  }

  value = stb_params_get (call->params, "data_type");
  if (value && *value) {
    for (guint k = 0; k < 3; k++) {
      if (!strcmp (value, stb_data_types[k]))
        data_type = k;
    }
    if (data_type < 0) {
      g_autofree char *message =
          g_strdup_printf ("Select a valid choice. %s is not one of the "
          "available choices.", value);

      stb_respond_field_error (call->msg, "data_type", message);
      return FALSE;
    }
  }

  terms = stb_search_terms (stb_params_get (call->params, "search"));
  if (terms) {
    sel->search_table = g_new0 (gboolean, STB_N_LABELS * STB_N_NOTES);
    for (guint li = 0; li < STB_N_LABELS; li++) {
      for (guint ni = 0; ni < STB_N_NOTES; ni++) {
        sel->search_table[li * STB_N_NOTES + ni] =
            stb_terms_match (terms, self->data->label_folded[li],
            self->data->note_folded[ni]);
      }
    }
  }

  sel->runs = g_array_new (FALSE, FALSE, sizeof (Run));
  for (guint v = 1; v <= self->versions && self->events; v++) {
    guint64 lo = (guint64) (v - 1) * self->events + 1;
    guint64 hi = (guint64) v * self->events;
    Run run;

    if (!selected[v])
      continue;
    lo = MAX (lo, min_id);
    if (lo > hi)
      continue;
    if (data_type >= 0) {
      /* type of id = (id - 1) % 3 */
      lo += ((guint) data_type + 3 - (lo - 1) % 3) % 3;
      if (lo > hi)
        continue;
      run.step = 3;
    } else {
      run.step = 1;
    }
    run.first = lo;
    run.n = (hi - lo) / run.step + 1;
    g_array_append_val (sel->runs, run);
  }
  return TRUE;
}

/* Calls @write for the @n selected ids starting at the @offset-th. */
static guint64
selection_walk (SynapseTestBackend * self, const Selection * sel,
    guint64 offset, guint64 n, GString * out, const char *media_base)
{
  guint64 seen = 0;
  guint64 written = 0;

  for (guint r = 0; r < sel->runs->len && (!out || written < n); r++) {
    const Run *run = &g_array_index (sel->runs, Run, r);

    if (!sel->search_table) {
      guint64 j;

      if (!out) {
        seen += run->n;
        continue;
      }
      if (offset >= seen + run->n) {
        seen += run->n;
        continue;
      }
      for (j = offset > seen ? offset - seen : 0; j < run->n && written < n;
          j++) {
        if (written)
          g_string_append_c (out, ',');
        stb_write_event (self, out, media_base, run->first + j * run->step);
        written++;
      }
      seen += run->n;
      continue;
    }

    for (guint64 j = 0; j < run->n && (!out || written < n); j++) {
      guint64 id = run->first + j * run->step;

      if (!selection_keeps (self, sel, id))
        continue;
      if (out && seen >= offset) {
        if (written)
          g_string_append_c (out, ',');
        stb_write_event (self, out, media_base, id);
        written++;
      }
      seen++;
    }
  }
  return out ? written : seen;
}

/* The bytes of event pages served lately: a benchmark's clients all ask
 * for the same pages, and should measure themselves, not how fast pages
 * are made. */
#define EVENTS_CACHE_BYTES (64 * 1024 * 1024)

static void
events_cache_add (SynapseTestBackend * self, char *key, GBytes * body)
{
  g_hash_table_insert (self->events_cache, key, g_bytes_ref (body));
  g_queue_push_tail (&self->events_cache_order, key);
  self->events_cache_bytes += g_bytes_get_size (body);
  while (self->events_cache_bytes > EVENTS_CACHE_BYTES) {
    char *oldest = g_queue_pop_head (&self->events_cache_order);

    self->events_cache_bytes -=
        g_bytes_get_size (g_hash_table_lookup (self->events_cache, oldest));
    g_hash_table_remove (self->events_cache, oldest);
  }
}

static void
respond_bytes (SoupServerMessage * msg, GBytes * body)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type
      (soup_server_message_get_response_headers (msg), "application/json",
      NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body
      (msg), body);
}

void
stb_handle_events (StbCall * call)
{
  SynapseTestBackend *self = call->self;
  Selection sel = { NULL, };
  StbPage page;
  GString *out;
  GBytes *cached;
  g_autoptr (GBytes) body = NULL;
  /* a page by cursor is another page */
  char *key = g_strconcat (call->raw_query ? call->raw_query : "", "\n",
      call->next_base, "\n", call->media_base,
      g_atomic_int_get (&self->cursor_pagination) ? "\ncursor" : "", NULL);

  cached = g_hash_table_lookup (self->events_cache, key);
  if (cached) {
    respond_bytes (call->msg, cached);
    g_free (key);
    return;
  }

  if (!selection_parse (call, &sel))
    goto out;
  if (!stb_page_compute (call, selection_walk (self, &sel, 0, 0, NULL, NULL),
          &page))
    goto out;

  out = g_string_sized_new (1024 + page.n * 1024);
  stb_page_begin (call, out, &page);
  selection_walk (self, &sel, page.offset, page.n, out, call->media_base);
  stb_page_end (out);
  body = g_string_free_to_bytes (out);
  respond_bytes (call->msg, body);
  events_cache_add (self, g_steal_pointer (&key), body);

out:
  g_free (key);
  selection_clear (&sel);
}

/* GET _control/events/?version=N: one compact JSON object per line. */
void
stb_handle_control_events (StbCall * call)
{
  SynapseTestBackend *self = call->self;
  const char *value = stb_params_get (call->params, "version");
  gint64 v;
  GString *out;
  gsize len;

  if (!value || !stb_parse_int (value, &v) || v < 1 || v > self->versions) {
    stb_respond_detail (call->msg, SOUP_STATUS_NOT_FOUND,
        "Unknown or missing version.");
    return;
  }
  out = g_string_sized_new (self->events * 1024 + 1);
  for (guint64 i = 0; i < self->events; i++) {
    stb_write_event (self, out, call->media_base,
        (guint64) (v - 1) * self->events + i + 1);
    g_string_append_c (out, '\n');
  }
  len = out->len;
  soup_server_message_set_status (call->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (call->msg, "application/x-ndjson",
      SOUP_MEMORY_TAKE, g_string_free (out, FALSE), len);
}
