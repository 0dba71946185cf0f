/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The page scan (see synapse-page-scan.h), built on the JSON scanner's
 * steps: what a page holds is noted as the scanner passes it, and the URL
 * finder walks every field path at once, so a page is read once whatever
 * is looked for in it. */

#include "config.h"

#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "synapse-json-scan.h"
#include "synapse-page-scan.h"

/* The value of the whole number from @first to @end (a number token), or
 * -1 when it is negative, has a fraction or an exponent, or is too big. */
static gint64
whole_number (SynapseJsonPos first, SynapseJsonPos end)
{
  char digits[24];
  gsize length = end - first;
  gint64 value;

  if (*first == '-' || length >= sizeof digits)
    return -1;
  for (SynapseJsonPos c = first; c < end; c++)
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

/* A stack of one kind of item. The finder pushes and pops a few items a
 * member it reads, where GArray's calls (about 100 instructions an append,
 * 30 a truncation) came to more than the rest of its work: here a push is
 * a compare and a store while there is room, and a pop a store. */
typedef struct
{
  guint8 *items;
  guint len;
  guint allocated;
} Stack;

#define STACK_AT(stack, Type, index) (((Type *) (stack).items)[index])

static void
stack_grow (Stack * stack, gsize item_size)
{
  if (G_UNLIKELY (stack->allocated > G_MAXUINT / 2))
    g_error ("%s: more than %u items", G_STRFUNC, stack->allocated);
  stack->allocated = MAX (16, stack->allocated * 2);
  stack->items = g_realloc_n (stack->items, stack->allocated, item_size);
}

/* The new item on top of @stack, not initialised. */
G_ALWAYS_INLINE static inline gpointer
stack_push (Stack * stack, gsize item_size)
{
  if (G_UNLIKELY (stack->len == stack->allocated))
    stack_grow (stack, item_size);
  return stack->items + (gsize) stack->len++ * item_size;
}

typedef struct
{
  const SynapseJsonPaths *paths;
  SynapseJsonUrls *out;
  /* stacks: each value being searched owns a stretch of them */
  Stack roles;                  /* of Role */
  Stack keys;                   /* of KeyRecord */
  GString *names;
  Stack entry_members;          /* of EntryMember */
  guint result;
  SynapseJsonPos id;            /* the result's `id` value, or NULL */
  SynapseJsonPos id_end;
} Finder;

/* An object being searched, and its roles in the roles stack. */
typedef struct
{
  Finder *finder;
  guint roles;
  guint n_roles;
  gboolean is_result;
} ObjectSearch;

static SynapseJsonPos find_value (SynapseJsonScanner * s, SynapseJsonPos p,
    Finder * f, guint roles, guint n_roles, gboolean is_result);

static void
finder_init (Finder * f, const SynapseJsonPaths * paths, SynapseJsonUrls * out)
{
  memset (f, 0, sizeof (Finder));
  f->paths = paths;
  f->out = out;
  f->names = g_string_new (NULL);
}

static void
finder_clear (Finder * f)
{
  g_free (f->roles.items);
  g_free (f->keys.items);
  g_string_free (f->names, TRUE);
  g_free (f->entry_members.items);
}

static inline Role *
role_at (Finder * f, guint index)
{
  return &STACK_AT (f->roles, Role, index);
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
add_url (SynapseJsonScanner * s, Finder * f, SynapseJsonPos token,
    SynapseJsonPos end, gsize text, guint field, gboolean entry)
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
add_urls (SynapseJsonScanner * s, Finder * f, guint roles, guint n_roles,
    SynapseJsonPos token, SynapseJsonPos end, gsize text, gboolean entry)
{
  for (guint i = 0; i < n_roles; i++)
    if (role_at (f, roles + i)->kind != ROLE_PATH)
      add_url (s, f, token, end, text, role_at (f, roles + i)->field, entry);
}

/* A string. It is a URL when it is a file to a field; it is decoded then,
 * or when @text asks for it (G_MAXSIZE there when it holds a NUL, which
 * no URL does and json-glib cuts short). */
static SynapseJsonPos
find_string (SynapseJsonScanner * s, SynapseJsonPos p, Finder * f, guint roles,
    guint n_roles, gsize * text)
{
  gboolean is_file = is_a_file (f, roles, n_roles);
  GString *out = f->out->text;
  gsize start = out->len;
  gboolean has_nul;
  SynapseJsonPos end;

  if (!is_file && text == NULL)
    return synapse_json_scan_string (s, p, NULL);
  if (!(end = synapse_json_scan_string (s, p, out)))
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
static inline gboolean
name_is (const char *name, gsize length, const char *word)
{
  return length == strlen (word) && memcmp (name, word, length) == 0;
}

static MemberKind
member_kind (const char *name, gsize length)
{
  if (name_is (name, length, "url"))
    return MEMBER_URL;
  if (name_is (name, length, "path"))
    return MEMBER_PATH;
  if (name_is (name, length, "size"))
    return MEMBER_SIZE;
  if (name_is (name, length, "checksum"))
    return MEMBER_CHECKSUM;
  return MEMBER_NONE;
}

static void
push_role (Finder * f, RoleKind kind, guint field, guint depth)
{
  Role *role = stack_push (&f->roles, sizeof (Role));

  role->kind = kind;
  role->field = field;
  role->depth = depth;
}

static SynapseJsonPos
find_member (SynapseJsonScanner * s, SynapseJsonPos key, SynapseJsonPos key_end,
    SynapseJsonPos p, const char *name, gsize name_length, gpointer data)
{
  ObjectSearch *object = data;
  Finder *f = object->finder;
  guint child = f->roles.len;
  guint first_url = f->out->urls->len;
  MemberKind kind = MEMBER_NONE;
  EntryMember member = { 0 };
  SynapseJsonPos value = p;
  guint n_child;

  for (guint i = 0; i < object->n_roles; i++) {
    Role role = *role_at (f, object->roles + i);
    const char *segment;

    switch (role.kind) {
      case ROLE_PATH:
        segment = f->paths->segments[role.field][role.depth];
        if (name_is (name, name_length, segment))
          push_role (f, role.depth + 1 == f->paths->n_segments[role.field]
              ? ROLE_VALUE : ROLE_PATH, role.field, role.depth + 1);
        break;
      case ROLE_VALUE:
        push_role (f, ROLE_FILE, role.field, 0);
        /* the object may be a file entry, too */
        G_GNUC_FALLTHROUGH;
      case ROLE_FILE:
        kind = member_kind (name, name_length);
        break;
    }
  }
  n_child = f->roles.len - child;

  member.text = G_MAXSIZE;
  member.size = -1;
  if ((kind == MEMBER_URL || kind == MEMBER_CHECKSUM) && *p == '"')
    p = find_string (s, p, f, child, n_child, &member.text);
  else
    p = find_value (s, p, f, child, n_child, FALSE);
  f->roles.len = child;
  if (p == NULL)
    return NULL;

  if (object->is_result && name_is (name, name_length, "id")) {
    f->id = value;
    f->id_end = p;
  }
  if (n_child > 0) {
    KeyRecord record = { f->names->len, name_length, first_url,
      f->out->urls->len
    };

    g_string_append_len (f->names, name, name_length);
    *(KeyRecord *) stack_push (&f->keys, sizeof (KeyRecord)) = record;
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
    *(EntryMember *) stack_push (&f->entry_members,
        sizeof (EntryMember)) = member;
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
  const KeyRecord *x = &STACK_AT (f->keys, KeyRecord, *(guint *) a);
  const KeyRecord *y = &STACK_AT (f->keys, KeyRecord, *(guint *) b);
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
  guint n = f->keys.len - first_key;

  if (n < 2)
    return;
  if (n <= 8) {
    for (guint i = first_key; i + 1 < f->keys.len; i++) {
      KeyRecord *record = &STACK_AT (f->keys, KeyRecord, i);

      for (guint j = i + 1; j < f->keys.len; j++)
        if (same_name (f, record, &STACK_AT (f->keys, KeyRecord, j))) {
          forget_urls (f, record->first_url, record->end_url);
          break;
        }
    }
  } else {
    g_autoptr (GArray) order = g_array_sized_new (FALSE, FALSE,
        sizeof (guint), n);

    for (guint i = first_key; i < f->keys.len; i++)
      g_array_append_val (order, i);
    g_array_sort_with_data (order, compare_records, f);
    for (guint i = 0; i + 1 < n; i++) {
      KeyRecord *record = &STACK_AT (f->keys, KeyRecord,
          g_array_index (order, guint, i));

      if (same_name (f, record, &STACK_AT (f->keys, KeyRecord,
                  g_array_index (order, guint, i + 1))))
        forget_urls (f, record->first_url, record->end_url);
    }
  }
}

static const EntryMember *
last_member (Finder * f, guint first, MemberKind kind)
{
  for (guint i = f->entry_members.len; i > first; i--) {
    const EntryMember *member = &STACK_AT (f->entry_members,
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
settle_entry (SynapseJsonScanner * s, Finder * f, const ObjectSearch * object,
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
  for (guint i = first_member; i < f->entry_members.len; i++) {
    const EntryMember *member = &STACK_AT (f->entry_members,
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

static SynapseJsonPos
find_object (SynapseJsonScanner * s, SynapseJsonPos p, Finder * f, guint roles,
    guint n_roles, gboolean is_result)
{
  ObjectSearch object = { f, roles, n_roles, is_result };
  guint first_url = f->out->urls->len;
  guint first_key = f->keys.len;
  gsize names = f->names->len;
  guint first_member = f->entry_members.len;

  if (!(p = synapse_json_scan_enter (s, p))
      || !(p = synapse_json_scan_members (s, p, find_member, &object)))
    return NULL;
  drop_duplicate_keys (f, first_key);
  settle_entry (s, f, &object, first_url, first_member);
  f->keys.len = first_key;
  g_string_truncate (f->names, names);
  f->entry_members.len = first_member;
  return p;
}

typedef struct
{
  Finder *finder;
  guint roles;
  guint n_roles;
} ItemSearch;

static SynapseJsonPos
find_item (SynapseJsonScanner * s, SynapseJsonPos p, gpointer data)
{
  ItemSearch *items = data;

  return find_value (s, p, items->finder, items->roles, items->n_roles, FALSE);
}

/* An array passes a path on to each item; the items of a field's value
 * are files. */
static SynapseJsonPos
find_array (SynapseJsonScanner * s, SynapseJsonPos p, Finder * f, guint roles,
    guint n_roles)
{
  ItemSearch items = { f, f->roles.len, 0 };

  for (guint i = 0; i < n_roles; i++) {
    Role role = *role_at (f, roles + i);

    if (role.kind == ROLE_PATH)
      push_role (f, ROLE_PATH, role.field, role.depth);
    else if (role.kind == ROLE_VALUE)
      push_role (f, ROLE_FILE, role.field, 0);
  }
  items.n_roles = f->roles.len - items.roles;
  if ((p = synapse_json_scan_enter (s, p)))
    p = synapse_json_scan_elements (s, p, items.n_roles ? find_item : NULL,
        &items);
  f->roles.len = items.roles;
  return p;
}

/* A value with @n_roles roles at @roles of the roles stack; one that no
 * field reaches is only scanned. */
static SynapseJsonPos
find_value (SynapseJsonScanner * s, SynapseJsonPos p, Finder * f, guint roles,
    guint n_roles, gboolean is_result)
{
  if (n_roles == 0 || G_UNLIKELY (p >= s->end))
    return synapse_json_scan_value (s, p);
  switch (*p) {
    case '"':
      return find_string (s, p, f, roles, n_roles, NULL);
    case '{':
      return find_object (s, p, f, roles, n_roles, is_result);
    case '[':
      return find_array (s, p, f, roles, n_roles);
    default:
      return synapse_json_scan_value (s, p);
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

/* Whether the URLs from @first are in the order compare_urls () sorts
 * them in: most results' are, found in document order by one field. */
static gboolean
urls_in_order (GArray * urls, guint first)
{
  for (guint i = first + 1; i < urls->len; i++)
    if (compare_urls (&g_array_index (urls, SynapseJsonUrl, i - 1),
            &g_array_index (urls, SynapseJsonUrl, i)) > 0)
      return FALSE;
  return TRUE;
}

/* Searches one result: every field from its start. Then its URLs are put
 * in document order, each string once, as the first field that reaches it
 * found it (a plain string or a file entry's `url`). */
static SynapseJsonPos
find_result (SynapseJsonScanner * s, SynapseJsonPos p, Finder * f, guint result)
{
  guint first_url = f->out->urls->len;
  guint roles = f->roles.len;
  GArray *urls = f->out->urls;
  guint kept = first_url;

  f->result = result;
  f->id = f->id_end = NULL;
  for (guint i = 0; i < f->paths->n_fields; i++)
    push_role (f, f->paths->n_segments[i] == 0 ? ROLE_VALUE : ROLE_PATH, i, 0);
  p = find_value (s, p, f, roles, f->roles.len - roles, TRUE);
  f->roles.len = roles;
  if (p == NULL)
    return NULL;

  for (guint i = first_url; i < urls->len; i++)
    if (g_array_index (urls, SynapseJsonUrl, i).length > 0)
      g_array_index (urls, SynapseJsonUrl, kept++) =
          g_array_index (urls, SynapseJsonUrl, i);
  g_array_set_size (urls, kept);
  if (kept - first_url > 1 && !urls_in_order (urls, first_url))
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
  SynapseJsonScanner s;
  Finder f;
  SynapseJsonPos p;
  gboolean ok;

  synapse_json_scanner_init (&s, data, offset + length, error);
  finder_init (&f, paths, urls);
  p = find_result (&s, s.start + offset, &f, result);
  ok = synapse_json_scanner_finish (&s, p);
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

static SynapseJsonPos
scan_result (SynapseJsonScanner * s, SynapseJsonPos p, gpointer data)
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
    p = synapse_json_scan_value (s, p);
  if (p == NULL)
    return NULL;
  span.length = (p - s->start) - span.offset;
  span.has_whitespace = s->whitespace;
  g_array_append_val (page->results, span);
  return p;
}

/* Whether a page's key is @word as json-glib reads keys: up to a U+0000
 * (which only a decoded key holds). */
static gboolean
key_is (const char *key, gsize length, const char *word)
{
  gsize word_length = strlen (word);

  return (length == word_length || (length > word_length
          && key[word_length] == '\0'))
      && memcmp (key, word, word_length) == 0;
}

static SynapseJsonPos
scan_count (SynapseJsonScanner * s, SynapseJsonPos p, SynapseJsonPage * page)
{
  SynapseJsonPos first = p;
  gboolean is_integer = FALSE;

  page->count = -1;
  page->count_valid = *p == 'n';
  if (*p != '-' && !g_ascii_isdigit (*p))
    return synapse_json_scan_value (s, p);
  if (!(p = synapse_json_scan_number (s, p, &is_integer)))
    return NULL;
  if (is_integer)
    page->count = whole_number (first, p);
  page->count_valid = page->count >= 0;
  return p;
}

static SynapseJsonPos
scan_page_member (SynapseJsonScanner * s, SynapseJsonPos key_start,
    SynapseJsonPos key_end, SynapseJsonPos p, const char *key,
    gsize key_length, gpointer data)
{
  PageScan *scan = data;
  SynapseJsonPage *page = scan->page;

  if (key_is (key, key_length, "results")) {
    g_clear_pointer (&page->results, g_array_unref);
    if (*p != '[')
      return synapse_json_scan_value (s, p);
    page->results = g_array_sized_new (FALSE, FALSE, sizeof (SynapseJsonSpan),
        100);
    page->results_are_objects = TRUE;
    /* a second "results" replaces the first, URLs included */
    if (scan->finder) {
      g_array_set_size (scan->finder->out->urls, 0);
      g_array_set_size (scan->finder->out->members, 0);
    }
    return (p =
        synapse_json_scan_enter (s, p)) ? synapse_json_scan_elements (s, p,
        scan_result, scan)
        : NULL;
  }

  if (key_is (key, key_length, "count"))
    return scan_count (s, p, page);

  if (key_is (key, key_length, "next")) {
    g_clear_pointer (&page->next, g_free);
    page->next_valid = *p == '"' || *p == 'n';
    if (*p == '"') {
      GString *next = g_string_new (NULL);

      if (!(p = synapse_json_scan_string (s, p, next))) {
        g_string_free (next, TRUE);
        return NULL;
      }
      page->next = g_string_free (next, FALSE);
      return p;
    }
  }

  return synapse_json_scan_value (s, p);
}

gboolean
synapse_json_scan_page_urls (const char *data, gsize length,
    const SynapseJsonPaths * paths, guint max_results,
    SynapseJsonPage * page, SynapseJsonUrls * urls, GError ** error)
{
  SynapseJsonScanner s;
  Finder finder;
  PageScan scan = { page, paths ? &finder : NULL, max_results };
  SynapseJsonPos p;

  memset (page, 0, sizeof *page);
  page->count = -1;
  page->count_valid = TRUE;
  page->next_valid = TRUE;
  if (paths)
    finder_init (&finder, paths, urls);
  p = synapse_json_scanner_init (&s, data, length, error);

  if (p < s.end && *p == '{') {
    page->is_object = TRUE;
    p = synapse_json_scan_enter (&s, p);
    p = p ? synapse_json_scan_members (&s, p, scan_page_member, &scan) : NULL;
  } else {
    p = synapse_json_scan_value (&s, p);
  }
  if (paths)
    finder_clear (&finder);
  if (!synapse_json_scanner_finish (&s, p)) {
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
