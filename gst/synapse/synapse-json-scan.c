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
 * each key (its token from @key to @key_end, and decoded) and the value's
 * position to @member; without @member, keys are not decoded. */
typedef Pos (*MemberFunc) (Scanner * s, Pos key, Pos key_end, Pos p,
    GString * name, gpointer data);

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
    Pos key_start = p, key_end;

    if (G_UNLIKELY (p >= s->end || *p != '"'))
      return fail (s, p, "a missing object key");
    if (key)
      g_string_truncate (key, 0);
    if (!(p = key_end = scan_string (s, p, key)))
      return NULL;
    p = skip_space (s, p);
    if (G_UNLIKELY (p >= s->end || *p != ':'))
      return fail (s, p, "a missing ':'");
    p = skip_space (s, p + 1);
    if (!(p = member ? member (s, key_start, key_end, p, key, data)
            : scan_value (s, p)))
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

/* The value of the whole number from @first to @end (a number token), or
 * -1 when it is negative, has a fraction or an exponent, or is too big. */
static gint64
whole_number (Pos first, Pos end)
{
  char digits[24];
  gsize length = end - first;
  gint64 value;

  if (*first == '-' || length >= sizeof digits)
    return -1;
  for (Pos c = first; c < end; c++)
    if (!g_ascii_isdigit (*c))
      return -1;
  memcpy (digits, first, length);
  digits[length] = '\0';
  value = g_ascii_strtoll (digits, NULL, 10);
  return value < G_MAXINT64 ? value : -1;
}

/* --- URLs at field paths ------------------------------------------------ */

struct _SynapseJsonPaths
{
  guint n_fields;
  GStrv *segments;              /* of each field */
  guint *n_segments;
};

SynapseJsonPaths *
synapse_json_paths_new (const char *const *fields)
{
  SynapseJsonPaths *paths = g_new0 (SynapseJsonPaths, 1);

  paths->n_fields = g_strv_length ((char **) fields);
  paths->segments = g_new0 (GStrv, paths->n_fields);
  paths->n_segments = g_new0 (guint, paths->n_fields);
  /* split as the tree conversion splits them */
  for (guint i = 0; i < paths->n_fields; i++) {
    paths->segments[i] = g_strsplit (fields[i], ".", -1);
    paths->n_segments[i] = g_strv_length (paths->segments[i]);
  }
  return paths;
}

void
synapse_json_paths_free (SynapseJsonPaths * paths)
{
  for (guint i = 0; i < paths->n_fields; i++)
    g_strfreev (paths->segments[i]);
  g_free (paths->segments);
  g_free (paths->n_segments);
  g_free (paths);
}

void
synapse_json_urls_init (SynapseJsonUrls * urls)
{
  urls->urls = g_array_new (FALSE, FALSE, sizeof (SynapseJsonUrl));
  urls->members = g_array_new (FALSE, FALSE, sizeof (SynapseJsonMember));
  urls->text = g_string_new (NULL);
}

void
synapse_json_urls_clear (SynapseJsonUrls * urls)
{
  g_clear_pointer (&urls->urls, g_array_unref);
  g_clear_pointer (&urls->members, g_array_unref);
  if (urls->text)
    g_string_free (urls->text, TRUE);
  urls->text = NULL;
}

/* What a value is to one field. The tree conversion walks each field's
 * path from the result; here every field walks at once, so a value
 * carries one role for each field whose path reaches it. */
typedef enum
{
  ROLE_PATH,                    /* on the way: `depth` segments matched */
  ROLE_VALUE,                   /* the field's value */
  ROLE_FILE,                    /* an entry or item of the field's value */
} RoleKind;

typedef struct
{
  RoleKind kind;
  guint field;
  guint depth;
} Role;

/* A member of an object that holds what is found under it: when its key
 * comes again, only the last one counts (json-glib keeps the last). */
typedef struct
{
  gsize name;                   /* in Finder.names */
  gsize name_length;
  guint first_url;
  guint end_url;
} KeyRecord;

/* The members a file entry is judged and rewritten by. */
typedef enum
{
  MEMBER_NONE,
  MEMBER_URL,
  MEMBER_PATH,
  MEMBER_SIZE,
  MEMBER_CHECKSUM,
} MemberKind;

typedef struct
{
  MemberKind kind;
  SynapseJsonMember span;
  gboolean is_string;
  gsize text;                   /* url, checksum: decoded, or G_MAXSIZE */
  gint64 size;                  /* size: the whole number, or -1 */
} EntryMember;

typedef struct
{
  const SynapseJsonPaths *paths;
  SynapseJsonUrls *out;
  /* stacks: each value being searched owns a stretch of them */
  GArray *roles;                /* of Role */
  GArray *keys;                 /* of KeyRecord */
  GString *names;
  GArray *entry_members;        /* of EntryMember */
  guint result;
  Pos id;                       /* the result's `id` value, or NULL */
  Pos id_end;
} Finder;

/* An object being searched, and its roles in the roles stack. */
typedef struct
{
  Finder *finder;
  guint roles;
  guint n_roles;
  gboolean is_result;
} ObjectSearch;

static Pos find_value (Scanner * s, Pos p, Finder * f, guint roles,
    guint n_roles, gboolean is_result);

static void
finder_init (Finder * f, const SynapseJsonPaths * paths, SynapseJsonUrls * out)
{
  f->paths = paths;
  f->out = out;
  f->roles = g_array_new (FALSE, FALSE, sizeof (Role));
  f->keys = g_array_new (FALSE, FALSE, sizeof (KeyRecord));
  f->names = g_string_new (NULL);
  f->entry_members = g_array_new (FALSE, FALSE, sizeof (EntryMember));
}

static void
finder_clear (Finder * f)
{
  g_array_unref (f->roles);
  g_array_unref (f->keys);
  g_string_free (f->names, TRUE);
  g_array_unref (f->entry_members);
}

static inline Role *
role_at (Finder * f, guint index)
{
  return &g_array_index (f->roles, Role, index);
}

/* Whether the value is a file to some field among @roles. */
static gboolean
is_a_file (Finder * f, guint roles, guint n_roles)
{
  for (guint i = 0; i < n_roles; i++)
    if (role_at (f, roles + i)->kind != ROLE_PATH)
      return TRUE;
  return FALSE;
}

static void
add_url (Scanner * s, Finder * f, Pos token, Pos end, gsize text,
    guint field, gboolean entry)
{
  SynapseJsonUrl url = {
    .offset = token - s->start,
    .length = end - token,
    .text = text,
    .result = f->result,
    .field = field,
    .entry = entry,
    .size = -1,
    .checksum = G_MAXSIZE,
  };

  g_array_append_val (f->out->urls, url);
}

/* One URL for each field to which the value at @token is a file: an
 * enclosing entry may yet take one field's away, and the first field left
 * is the one that counts. */
static void
add_urls (Scanner * s, Finder * f, guint roles, guint n_roles, Pos token,
    Pos end, gsize text, gboolean entry)
{
  for (guint i = 0; i < n_roles; i++)
    if (role_at (f, roles + i)->kind != ROLE_PATH)
      add_url (s, f, token, end, text, role_at (f, roles + i)->field, entry);
}

/* A string. It is a URL when it is a file to a field; it is decoded then,
 * or when @text asks for it (G_MAXSIZE there when it holds a NUL, which
 * no URL does and json-glib cuts short). */
static Pos
find_string (Scanner * s, Pos p, Finder * f, guint roles, guint n_roles,
    gsize * text)
{
  gboolean is_file = is_a_file (f, roles, n_roles);
  GString *out = f->out->text;
  gsize start = out->len;
  gboolean has_nul;
  Pos end;

  if (!is_file && text == NULL)
    return scan_string (s, p, NULL);
  if (!(end = scan_string (s, p, out)))
    return NULL;
  has_nul = memchr (out->str + start, '\0', out->len - start) != NULL;
  g_string_append_c (out, '\0');
  if (text)
    *text = has_nul ? G_MAXSIZE : start;
  if (is_file && !has_nul)
    add_urls (s, f, roles, n_roles, p, end, start, FALSE);
  return end;
}

/* Whether a decoded key (which may hold a NUL) is @word. */
static gboolean
name_is (const GString * name, const char *word)
{
  return name->len == strlen (word) && memcmp (name->str, word, name->len) == 0;
}

static MemberKind
member_kind (const GString * name)
{
  if (name_is (name, "url"))
    return MEMBER_URL;
  if (name_is (name, "path"))
    return MEMBER_PATH;
  if (name_is (name, "size"))
    return MEMBER_SIZE;
  if (name_is (name, "checksum"))
    return MEMBER_CHECKSUM;
  return MEMBER_NONE;
}

static void
push_role (Finder * f, RoleKind kind, guint field, guint depth)
{
  Role role = { kind, field, depth };

  g_array_append_val (f->roles, role);
}

static Pos
find_member (Scanner * s, Pos key, Pos key_end, Pos p, GString * name,
    gpointer data)
{
  ObjectSearch *object = data;
  Finder *f = object->finder;
  guint child = f->roles->len;
  guint first_url = f->out->urls->len;
  MemberKind kind = MEMBER_NONE;
  EntryMember member = { 0 };
  Pos value = p;
  guint n_child;

  for (guint i = 0; i < object->n_roles; i++) {
    Role role = *role_at (f, object->roles + i);
    const char *segment;

    switch (role.kind) {
      case ROLE_PATH:
        segment = f->paths->segments[role.field][role.depth];
        if (name_is (name, segment))
          push_role (f, role.depth + 1 == f->paths->n_segments[role.field]
              ? ROLE_VALUE : ROLE_PATH, role.field, role.depth + 1);
        break;
      case ROLE_VALUE:
        push_role (f, ROLE_FILE, role.field, 0);
        /* the object may be a file entry, too */
        G_GNUC_FALLTHROUGH;
      case ROLE_FILE:
        kind = member_kind (name);
        break;
    }
  }
  n_child = f->roles->len - child;

  member.text = G_MAXSIZE;
  member.size = -1;
  if ((kind == MEMBER_URL || kind == MEMBER_CHECKSUM) && *p == '"')
    p = find_string (s, p, f, child, n_child, &member.text);
  else
    p = find_value (s, p, f, child, n_child, FALSE);
  g_array_set_size (f->roles, child);
  if (p == NULL)
    return NULL;

  if (object->is_result && name_is (name, "id")) {
    f->id = value;
    f->id_end = p;
  }
  if (n_child > 0) {
    KeyRecord record = { f->names->len, name->len, first_url,
      f->out->urls->len
    };

    g_string_append_len (f->names, name->str, name->len);
    g_array_append_val (f->keys, record);
  }
  if (kind != MEMBER_NONE) {
    member.kind = kind;
    member.span.key_offset = key - s->start;
    member.span.key_length = key_end - key;
    member.span.value_offset = value - s->start;
    member.span.value_length = p - value;
    member.span.is_url = kind == MEMBER_URL;
    member.is_string = *value == '"';
    if (kind == MEMBER_SIZE && (*value == '-' || g_ascii_isdigit (*value)))
      member.size = whole_number (value, p);
    g_array_append_val (f->entry_members, member);
  }
  return p;
}

static void
forget_urls (Finder * f, guint first, guint end)
{
  for (guint i = first; i < end; i++)
    g_array_index (f->out->urls, SynapseJsonUrl, i).length = 0;
}

static gboolean
same_name (Finder * f, const KeyRecord * a, const KeyRecord * b)
{
  return a->name_length == b->name_length
      && memcmp (f->names->str + a->name, f->names->str + b->name,
      a->name_length) == 0;
}

static int
compare_records (gconstpointer a, gconstpointer b, gpointer data)
{
  Finder *f = data;
  const KeyRecord *x = &g_array_index (f->keys, KeyRecord, *(guint *) a);
  const KeyRecord *y = &g_array_index (f->keys, KeyRecord, *(guint *) b);
  int order = memcmp (f->names->str + x->name, f->names->str + y->name,
      MIN (x->name_length, y->name_length));

  if (order == 0 && x->name_length != y->name_length)
    order = x->name_length < y->name_length ? -1 : 1;
  if (order == 0)
    order = *(guint *) a < *(guint *) b ? -1 : 1;
  return order;
}

/* Of members whose key comes more than once, only the last one keeps what
 * was found under it. Objects hold few such keys: beyond a handful they
 * are sorted, so that a hostile object of many keys costs n log n. */
static void
drop_duplicate_keys (Finder * f, guint first_key)
{
  guint n = f->keys->len - first_key;

  if (n < 2)
    return;
  if (n <= 8) {
    for (guint i = first_key; i + 1 < f->keys->len; i++) {
      KeyRecord *record = &g_array_index (f->keys, KeyRecord, i);

      for (guint j = i + 1; j < f->keys->len; j++)
        if (same_name (f, record, &g_array_index (f->keys, KeyRecord, j))) {
          forget_urls (f, record->first_url, record->end_url);
          break;
        }
    }
  } else {
    g_autoptr (GArray) order = g_array_sized_new (FALSE, FALSE,
        sizeof (guint), n);

    for (guint i = first_key; i < f->keys->len; i++)
      g_array_append_val (order, i);
    g_array_sort_with_data (order, compare_records, f);
    for (guint i = 0; i + 1 < n; i++) {
      KeyRecord *record = &g_array_index (f->keys, KeyRecord,
          g_array_index (order, guint, i));

      if (same_name (f, record, &g_array_index (f->keys, KeyRecord,
                  g_array_index (order, guint, i + 1))))
        forget_urls (f, record->first_url, record->end_url);
    }
  }
}

static const EntryMember *
last_member (Finder * f, guint first, MemberKind kind)
{
  for (guint i = f->entry_members->len; i > first; i--) {
    const EntryMember *member = &g_array_index (f->entry_members,
        EntryMember, i - 1);

    if (member->kind == kind)
      return member;
  }
  return NULL;
}

/* Once an object to which some field looks for a file has been read: when
 * its last `url` is a string it is one file entry, and a field's value
 * that is a file entry is that file alone, not its members' files. */
static void
settle_entry (Scanner * s, Finder * f, const ObjectSearch * object,
    guint first_url, guint first_member)
{
  const EntryMember *url, *size, *checksum;
  guint first_entry, first_member_out;

  if (!is_a_file (f, object->roles, object->n_roles))
    return;
  url = last_member (f, first_member, MEMBER_URL);
  if (url == NULL || !url->is_string)
    return;

  for (guint i = 0; i < object->n_roles; i++) {
    Role *role = role_at (f, object->roles + i);

    if (role->kind != ROLE_VALUE)
      continue;
    for (guint u = first_url; u < f->out->urls->len; u++) {
      SynapseJsonUrl *found = &g_array_index (f->out->urls, SynapseJsonUrl,
          u);

      if (found->field == role->field)
        found->length = 0;
    }
  }
  if (url->text == G_MAXSIZE)
    return;

  first_member_out = f->out->members->len;
  for (guint i = first_member; i < f->entry_members->len; i++) {
    const EntryMember *member = &g_array_index (f->entry_members,
        EntryMember, i);

    if (member->kind == MEMBER_URL || member->kind == MEMBER_PATH)
      g_array_append_val (f->out->members, member->span);
  }
  size = last_member (f, first_member, MEMBER_SIZE);
  checksum = last_member (f, first_member, MEMBER_CHECKSUM);

  first_entry = f->out->urls->len;
  add_urls (s, f, object->roles, object->n_roles, s->start
      + url->span.value_offset, s->start + url->span.value_offset
      + url->span.value_length, url->text, TRUE);
  for (guint i = first_entry; i < f->out->urls->len; i++) {
    SynapseJsonUrl *entry = &g_array_index (f->out->urls, SynapseJsonUrl, i);

    entry->first_member = first_member_out;
    entry->n_members = f->out->members->len - first_member_out;
    entry->size = size ? size->size : -1;
    entry->checksum = checksum && checksum->is_string ? checksum->text
        : G_MAXSIZE;
  }
}

static Pos
find_object (Scanner * s, Pos p, Finder * f, guint roles, guint n_roles,
    gboolean is_result)
{
  ObjectSearch object = { f, roles, n_roles, is_result };
  guint first_url = f->out->urls->len;
  guint first_key = f->keys->len;
  gsize names = f->names->len;
  guint first_member = f->entry_members->len;

  if (!(p = enter (s, p)) || !(p = scan_object_members (s, p, find_member,
              &object)))
    return NULL;
  drop_duplicate_keys (f, first_key);
  settle_entry (s, f, &object, first_url, first_member);
  g_array_set_size (f->keys, first_key);
  g_string_truncate (f->names, names);
  g_array_set_size (f->entry_members, first_member);
  return p;
}

typedef struct
{
  Finder *finder;
  guint roles;
  guint n_roles;
} ItemSearch;

static Pos
find_item (Scanner * s, Pos p, gpointer data)
{
  ItemSearch *items = data;

  return find_value (s, p, items->finder, items->roles, items->n_roles, FALSE);
}

/* An array passes a path on to each item; the items of a field's value
 * are files. */
static Pos
find_array (Scanner * s, Pos p, Finder * f, guint roles, guint n_roles)
{
  ItemSearch items = { f, f->roles->len, 0 };

  for (guint i = 0; i < n_roles; i++) {
    Role role = *role_at (f, roles + i);

    if (role.kind == ROLE_PATH)
      push_role (f, ROLE_PATH, role.field, role.depth);
    else if (role.kind == ROLE_VALUE)
      push_role (f, ROLE_FILE, role.field, 0);
  }
  items.n_roles = f->roles->len - items.roles;
  if ((p = enter (s, p)))
    p = scan_array_elements (s, p, items.n_roles ? find_item : NULL, &items);
  g_array_set_size (f->roles, items.roles);
  return p;
}

/* A value with @n_roles roles at @roles of the roles stack; one that no
 * field reaches is only scanned. */
static Pos
find_value (Scanner * s, Pos p, Finder * f, guint roles, guint n_roles,
    gboolean is_result)
{
  if (n_roles == 0 || G_UNLIKELY (p >= s->end))
    return scan_value (s, p);
  switch (*p) {
    case '"':
      return find_string (s, p, f, roles, n_roles, NULL);
    case '{':
      return find_object (s, p, f, roles, n_roles, is_result);
    case '[':
      return find_array (s, p, f, roles, n_roles);
    default:
      return scan_value (s, p);
  }
}

static int
compare_urls (gconstpointer a, gconstpointer b)
{
  const SynapseJsonUrl *x = a, *y = b;

  if (x->offset != y->offset)
    return x->offset < y->offset ? -1 : 1;
  return x->field < y->field ? -1 : x->field > y->field;
}

/* Searches one result: every field from its start. Then its URLs are put
 * in document order, each string once, as the first field that reaches it
 * found it (a plain string or a file entry's `url`). */
static Pos
find_result (Scanner * s, Pos p, Finder * f, guint result)
{
  guint first_url = f->out->urls->len;
  guint roles = f->roles->len;
  GArray *urls = f->out->urls;
  guint kept = first_url;

  f->result = result;
  f->id = f->id_end = NULL;
  for (guint i = 0; i < f->paths->n_fields; i++)
    push_role (f, f->paths->n_segments[i] == 0 ? ROLE_VALUE : ROLE_PATH, i, 0);
  p = find_value (s, p, f, roles, f->roles->len - roles, TRUE);
  g_array_set_size (f->roles, roles);
  if (p == NULL)
    return NULL;

  for (guint i = first_url; i < urls->len; i++)
    if (g_array_index (urls, SynapseJsonUrl, i).length > 0)
      g_array_index (urls, SynapseJsonUrl, kept++) =
          g_array_index (urls, SynapseJsonUrl, i);
  g_array_set_size (urls, kept);
  if (kept - first_url > 1)
    qsort (&g_array_index (urls, SynapseJsonUrl, first_url), kept - first_url,
        sizeof (SynapseJsonUrl), compare_urls);
  kept = first_url;
  for (guint i = first_url; i < urls->len; i++) {
    SynapseJsonUrl *url = &g_array_index (urls, SynapseJsonUrl, i);

    if (kept > first_url && g_array_index (urls, SynapseJsonUrl,
            kept - 1).offset == url->offset)
      continue;
    if (f->id) {
      url->id_offset = f->id - s->start;
      url->id_length = f->id_end - f->id;
    }
    g_array_index (urls, SynapseJsonUrl, kept++) = *url;
  }
  g_array_set_size (urls, kept);
  return p;
}

gboolean
synapse_json_find_urls (const char *data, gsize offset, gsize length,
    const SynapseJsonPaths * paths, guint result, SynapseJsonUrls * urls,
    GError ** error)
{
  Scanner s;
  Finder f;
  Pos p;
  gboolean ok;

  scanner_init (&s, data, offset + length, error);
  finder_init (&f, paths, urls);
  p = find_result (&s, s.start + offset, &f, result);
  ok = scanner_finish (&s, p);
  finder_clear (&f);
  return ok;
}

/* --- pages -------------------------------------------------------------- */

void
synapse_json_page_clear (SynapseJsonPage * page)
{
  g_clear_pointer (&page->results, g_array_unref);
  g_clear_pointer (&page->next, g_free);
  memset (page, 0, sizeof *page);
}

/* A page being scanned, and the URLs looked for in its first results. */
typedef struct
{
  SynapseJsonPage *page;
  Finder *finder;
  guint max_results;
} PageScan;

static Pos
scan_result (Scanner * s, Pos p, gpointer data)
{
  PageScan *scan = data;
  SynapseJsonPage *page = scan->page;
  SynapseJsonSpan span = { p - s->start, 0, FALSE };

  if (p < s->end && *p != '{')
    page->results_are_objects = FALSE;
  s->whitespace = FALSE;
  if (scan->finder && page->results->len < scan->max_results)
    p = find_result (s, p, scan->finder, page->results->len);
  else
    p = scan_value (s, p);
  if (p == NULL)
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

  page->count = -1;
  page->count_valid = *p == 'n';
  if (*p != '-' && !g_ascii_isdigit (*p))
    return scan_value (s, p);
  if (!(p = scan_number (s, p, &is_integer)))
    return NULL;
  if (is_integer)
    page->count = whole_number (first, p);
  page->count_valid = page->count >= 0;
  return p;
}

static Pos
scan_page_member (Scanner * s, Pos key_start, Pos key_end, Pos p,
    GString * key, gpointer data)
{
  PageScan *scan = data;
  SynapseJsonPage *page = scan->page;

  if (p >= s->end)
    return fail (s, p, "a missing value");

  if (g_str_equal (key->str, "results")) {
    g_clear_pointer (&page->results, g_array_unref);
    if (*p != '[')
      return scan_value (s, p);
    page->results = g_array_sized_new (FALSE, FALSE, sizeof (SynapseJsonSpan),
        100);
    page->results_are_objects = TRUE;
    /* a second "results" replaces the first, URLs included */
    if (scan->finder) {
      g_array_set_size (scan->finder->out->urls, 0);
      g_array_set_size (scan->finder->out->members, 0);
    }
    return (p = enter (s, p)) ? scan_array_elements (s, p, scan_result, scan)
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
synapse_json_scan_page_urls (const char *data, gsize length,
    const SynapseJsonPaths * paths, guint max_results,
    SynapseJsonPage * page, SynapseJsonUrls * urls, GError ** error)
{
  Scanner s;
  Finder finder;
  PageScan scan = { page, paths ? &finder : NULL, max_results };
  Pos p;

  memset (page, 0, sizeof *page);
  page->count = -1;
  page->count_valid = TRUE;
  page->next_valid = TRUE;
  if (paths)
    finder_init (&finder, paths, urls);
  p = scanner_init (&s, data, length, error);

  if (p < s.end && *p == '{') {
    page->is_object = TRUE;
    p = enter (&s, p);
    p = p ? scan_object_members (&s, p, scan_page_member, &scan) : NULL;
  } else {
    p = scan_value (&s, p);
  }
  if (paths)
    finder_clear (&finder);
  if (!scanner_finish (&s, p)) {
    synapse_json_page_clear (page);
    return FALSE;
  }
  return TRUE;
}

gboolean
synapse_json_scan_page (const char *data, gsize length,
    SynapseJsonPage * page, GError ** error)
{
  return synapse_json_scan_page_urls (data, length, NULL, 0, page, NULL, error);
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
