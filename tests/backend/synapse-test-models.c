/* synapse-test-models.c: models/ (list, get, create)
 *
 * Copyright (C) 2024 gst-synapse contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Seeded models are generated once at start; created ones point at the
 * bytes of their finished chunked upload.  Validation errors mimic DRF's
 * serializer errors, every field at once.
 */

#include "synapse-test-backend-private.h"

#include <string.h>

#define MODEL_EPOCH G_GINT64_CONSTANT (1717200000)      /* 2024-06-01T00:00:00Z */

const char *const stb_model_types[3] =
    { "classification", "detection", "segmentation" };

static const char *const model_names[] = {
  "street-classifier", "détecteur-neige", "warehouse-segmenter", "yolo-雪",
  "resnet50 \"baseline\"",
};

static const char *const backbones[] = {
  "resnet50", "efficientnet-b0", "vit-b/16",
};

void
stb_model_free (StbModel * model)
{
  if (!model)
    return;
  g_free (model->name);
  g_free (model->description);
  g_free (model->file_path);
  g_free (model->upload_id);
  g_free (model->metrics_json);
  g_free (model->configuration_json);
  g_free (model);
}

static guint64
model_hash (guint seed, gint64 id)
{
  return stb_mix64 (stb_mix64 (seed ^ G_GUINT64_CONSTANT (0x6d6f64656c73)) ^
      (guint64) id);
}

/* 0.xxxx from 16 bits of @h, in [0.7000, 0.9999] */
static void
append_metric (GString * out, const char *name, guint64 h)
{
  g_string_append_printf (out, "\"%s\":0.%04u", name,
      7000 + (guint) (h % 3000));
}

void
stb_models_seed (SynapseTestBackend * self, guint n)
{
  for (guint i = 1; i <= n; i++) {
    StbModel *m = g_new0 (StbModel, 1);
    guint64 h = model_hash (self->seed, i);
    GString *json;

    m->id = i;
    m->name = g_strdup_printf ("%s-%u",
        model_names[(i - 1) % G_N_ELEMENTS (model_names)], i);
    m->type = (i - 1) % 3;
    m->project = (i - 1) % 2 + 1;
    m->active = i % 4 != 0;
    m->description = g_strdup_printf ("Seeded %s model %u — project %"
        G_GINT64_FORMAT, stb_model_types[m->type], i, m->project);
    m->created = MODEL_EPOCH + (gint64) i *3600;
    m->file_path = g_strdup_printf ("media/models/%u/model.pt", i);

    json = g_string_new ("{");
    append_metric (json, "accuracy", h);
    g_string_append_c (json, ',');
    append_metric (json, "precision", h >> 16);
    g_string_append_c (json, ',');
    append_metric (json, "recall", h >> 32);
    g_string_append_c (json, ',');
    append_metric (json, "f1_score", h >> 48);
    g_string_append_c (json, '}');
    m->metrics_json = g_string_free (json, FALSE);

    m->configuration_json = g_strdup_printf ("{\"epochs\":%u,"
        "\"learning_rate\":0.001,\"batch_size\":%u,\"backbone\":\"%s\","
        "\"input_size\":[224,224],\"classes\":[\"car\",\"pedestrian\","
        "\"雪\"]}", 10 + (guint) (h % 5) * 10, 16u << ((h >> 8) % 3),
        backbones[(h >> 12) % G_N_ELEMENTS (backbones)]);
    g_ptr_array_add (self->models, m);
  }
  self->next_model_id = n + 1;
}

/* Needs the lock. */
StbModel *
stb_model_lookup (SynapseTestBackend * self, gint64 id)
{
  for (guint i = 0; i < self->models->len; i++) {
    StbModel *m = g_ptr_array_index (self->models, i);

    if (m->id == id)
      return m;
  }
  return NULL;
}

static gboolean
expand_has (const char *expand, const char *what)
{
  g_auto (GStrv) parts = NULL;

  if (!expand)
    return FALSE;
  parts = g_strsplit (expand, ",", -1);
  for (guint i = 0; parts[i]; i++) {
    if (!strcmp (g_strstrip (parts[i]), what))
      return TRUE;
  }
  return FALSE;
}

void
stb_write_model (GString * out, const StbModel * m, const char *media_base,
    const char *expand, gboolean with_upload)
{
  g_string_append (out, "{\"id\":");
  stb_json_int (out, m->id);
  g_string_append (out, ",\"name\":");
  stb_json_string (out, m->name);
  g_string_append (out, ",\"description\":");
  stb_json_string (out, m->description);
  g_string_append (out, ",\"model_type\":\"");
  g_string_append (out, stb_model_types[m->type]);
  g_string_append (out, "\",\"file\":\"");
  stb_json_escape (out, media_base, -1);
  stb_json_escape (out, m->file_path, -1);
  g_string_append (out, "\",\"metrics\":");
  g_string_append (out, m->metrics_json);
  g_string_append (out, ",\"configuration\":");
  g_string_append (out, m->configuration_json);
  g_string_append (out, ",\"project\":");
  stb_json_int (out, m->project);
  g_string_append (out, ",\"is_active\":");
  g_string_append (out, m->active ? "true" : "false");
  g_string_append (out, ",\"created_at\":");
  stb_json_time (out, m->created);
  if (with_upload) {
    g_string_append (out, ",\"chunked_upload\":");
    stb_json_string_or_null (out, m->upload_id);
  }
  /* honoured lightly: the related lists exist, empty */
  if (expand_has (expand, "evaluations"))
    g_string_append (out, ",\"evaluations\":[]");
  if (expand_has (expand, "versions"))
    g_string_append (out, ",\"versions\":[]");
  g_string_append_c (out, '}');
}

static void
choice_error (StbCall * call, const char *field, const char *value)
{
  g_autofree char *message =
      g_strdup_printf ("Select a valid choice. %s is not one of the "
      "available choices.", value);

  stb_respond_field_error (call->msg, field, message);
}

void
stb_handle_models (StbCall * call)
{
  SynapseTestBackend *self = call->self;
  const char *value;
  gboolean by_project = FALSE, by_active = FALSE, active = FALSE;
  gint64 project = 0, after_us = 0;
  gboolean by_time = FALSE;
  gint type = -1;
  g_auto (GStrv) terms = NULL;
  g_autoptr (GPtrArray) hits = g_ptr_array_new ();
  StbPage page;
  GString *out;

  value = stb_params_get (call->params, "project");
  if (value && *value) {
    if (!stb_parse_int (value, &project)) {
      stb_respond_field_error (call->msg, "project", "Enter a number.");
      return;
    }
    by_project = TRUE;
  }
  value = stb_params_get (call->params, "model_type");
  if (value && *value) {
    for (guint k = 0; k < 3; k++) {
      if (!strcmp (value, stb_model_types[k]))
        type = k;
    }
    if (type < 0) {
      choice_error (call, "model_type", value);
      return;
    }
  }
  value = stb_params_get (call->params, "is_active");
  if (value && *value) {
    if (!stb_parse_bool (value, &active)) {
      choice_error (call, "is_active", value);
      return;
    }
    by_active = TRUE;
  }
  value = stb_params_get (call->params, "created_after");
  if (value && *value) {
    if (!stb_parse_time (value, &after_us)) {
      stb_respond_field_error (call->msg, "created_after",
          "Enter a valid date/time.");
      return;
    }
    by_time = TRUE;
  }
  terms = stb_search_terms (stb_params_get (call->params, "search"));

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->models->len; i++) {
    StbModel *m = g_ptr_array_index (self->models, i);

    if ((by_project && m->project != project)
        || (type >= 0 && m->type != (guint) type)
        || (by_active && m->active != active)
        || (by_time && m->created * G_USEC_PER_SEC <= after_us))
      continue;
    if (terms) {
      g_autofree char *name = g_utf8_casefold (m->name, -1);
      g_autofree char *description = g_utf8_casefold (m->description, -1);

      if (!stb_terms_match (terms, name, description))
        continue;
    }
    g_ptr_array_add (hits, m);
  }

  if (stb_page_compute (call, hits->len, &page)) {
    out = g_string_sized_new (1024 + page.n * 768);
    stb_page_begin (call, out, &page);
    for (guint64 i = 0; i < page.n; i++) {
      if (i)
        g_string_append_c (out, ',');
      stb_write_model (out, g_ptr_array_index (hits, page.offset + i),
          call->media_base, NULL, !self->hide_model_upload);
    }
    stb_page_end (out);
    stb_respond (call->msg, SOUP_STATUS_OK, out);
  }
  g_mutex_unlock (&self->lock);
}

void
stb_handle_model (StbCall * call, const char *id)
{
  SynapseTestBackend *self = call->self;
  StbModel *m;
  gint64 value;

  g_mutex_lock (&self->lock);
  m = stb_parse_int (id, &value) ? stb_model_lookup (self, value) : NULL;
  if (m) {
    GString *out = g_string_sized_new (1024);

    stb_write_model (out, m, call->media_base,
        stb_params_get (call->params, "expand"), !self->hide_model_upload);
    stb_respond (call->msg, SOUP_STATUS_OK, out);
  } else {
    stb_respond_detail (call->msg, SOUP_STATUS_NOT_FOUND, "Not found.");
  }
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------ create */

typedef struct
{
  GString *out;
  gboolean any;
} Errors;

static void
add_error (Errors * errors, const char *field, const char *message)
{
  g_string_append_c (errors->out, errors->any ? ',' : '{');
  stb_json_string (errors->out, field);
  g_string_append (errors->out, ":[");
  stb_json_string (errors->out, message);
  g_string_append_c (errors->out, ']');
  errors->any = TRUE;
}

static const char *
node_string (JsonNode * node)
{
  if (node && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

/* How a value reads in an error message ("x" for strings, JSON otherwise). */
static char *
node_text (JsonNode * node)
{
  const char *s = node_string (node);

  return s ? g_strdup (s) : json_to_string (node, FALSE);
}

static const char *
json_type_name (JsonNode * node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_ARRAY:
      return "list";
    case JSON_NODE_NULL:
      return "NoneType";
    case JSON_NODE_OBJECT:
      return "dict";
    default:
      break;
  }
  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      return "str";
    case G_TYPE_BOOLEAN:
      return "bool";
    case G_TYPE_DOUBLE:
      return "float";
    default:
      return "int";
  }
}

/* Form bodies: every value a string, parsed like DRF's form fields. */
static JsonObject *
object_from_form (SoupServerMessage * msg, GBytes * body,
    const char *content_type)
{
  JsonObject *object = json_object_new ();

  if (!g_ascii_strcasecmp (content_type, "multipart/form-data")) {
    g_autoptr (SoupMultipart) multipart =
        soup_multipart_new_from_message (soup_server_message_get_request_headers
        (msg), body);

    for (int i = 0; multipart && i < soup_multipart_get_length (multipart); i++) {
      SoupMessageHeaders *headers;
      GBytes *part;
      GHashTable *params = NULL;
      const char *name;

      if (!soup_multipart_get_part (multipart, i, &headers, &part)
          || !soup_message_headers_get_content_disposition (headers, NULL,
              &params))
        continue;
      name = g_hash_table_lookup (params, "name");
      if (name) {
        gsize len;
        const char *data = g_bytes_get_data (part, &len);
        g_autofree char *value = g_strndup (data, len);

        json_object_set_string_member (object, name, value);
      }
      g_hash_table_destroy (params);
    }
  } else {
    gsize len;
    const char *data = g_bytes_get_data (body, &len);
    g_autofree char *text = g_strndup (data, len);
    g_autoptr (GPtrArray) params = stb_params_parse (text);

    for (guint i = 0; i < params->len; i++) {
      StbParam *param = g_ptr_array_index (params, i);

      json_object_set_string_member (object, param->key, param->value);
    }
  }
  return object;
}

/* The body as an object; NULL when a 400/415 has been sent. */
static JsonObject *
request_object (StbCall * call, gboolean * form)
{
  SoupMessageHeaders *headers =
      soup_server_message_get_request_headers (call->msg);
  const char *content_type =
      soup_message_headers_get_content_type (headers, NULL);
  g_autoptr (GBytes) body = stb_request_body (call->msg);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) error = NULL;
  JsonNode *root;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  *form = content_type
      && (!g_ascii_strcasecmp (content_type,
          "application/x-www-form-urlencoded")
      || !g_ascii_strcasecmp (content_type, "multipart/form-data"));
  if (*form)
    return object_from_form (call->msg, body, content_type);

  if (content_type && !g_str_has_suffix (content_type, "/json")
      && !g_str_has_suffix (content_type, "+json")) {
    g_autofree char *detail =
        g_strdup_printf ("Unsupported media type \"%s\" in request.",
        content_type);

    stb_respond_detail (call->msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, detail);
    return NULL;
  }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data ? data : "", len, &error)) {
    g_autofree char *detail =
        g_strdup_printf ("JSON parse error - %s", error->message);

    stb_respond_detail (call->msg, SOUP_STATUS_BAD_REQUEST, detail);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_autofree char *detail =
        g_strdup_printf ("Invalid data. Expected a dictionary, but got %s.",
        root ? json_type_name (root) : "NoneType");
    GString *out = g_string_new ("{\"non_field_errors\":[");

    stb_json_string (out, detail);
    g_string_append (out, "]}");
    stb_respond (call->msg, SOUP_STATUS_BAD_REQUEST, out);
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

static gboolean
is_blank (const char *s)
{
  for (; *s; s++) {
    if (!g_ascii_isspace (*s))
      return FALSE;
  }
  return TRUE;
}

static gboolean
read_int (JsonNode * node, gint64 * value)
{
  const char *s = node_string (node);

  if (s) {
    g_autofree char *copy = g_strstrip (g_strdup (s));

    return stb_parse_int (copy, value);
  }
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_INT64) {
    *value = json_node_get_int (node);
    return TRUE;
  }
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE) {
    double d = json_node_get_double (node);

    *value = (gint64) d;
    return d == (double) *value;
  }
  return FALSE;
}

static gboolean
read_bool (JsonNode * node, gboolean * value)
{
  const char *s = node_string (node);
  gint64 i;

  if (s)
    return stb_parse_bool (s, value);
  if (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN) {
    *value = json_node_get_boolean (node);
    return TRUE;
  }
  if (read_int (node, &i) && (i == 0 || i == 1)) {
    *value = i == 1;
    return TRUE;
  }
  return FALSE;
}

/* An object field (metrics, configuration): a JSON object, or in a form a
 * string holding one.  Returns its compact JSON, NULL after an error. */
static char *
read_dict (Errors * errors, const char *field, JsonNode * node)
{
  const char *s = node_string (node);
  g_autoptr (JsonNode) parsed = NULL;
  GString *out;

  if (s) {
    parsed = json_from_string (s, NULL);
    if (!parsed) {
      add_error (errors, field, "Value must be valid JSON.");
      return NULL;
    }
    node = parsed;
  }
  if (JSON_NODE_HOLDS_NULL (node)) {
    add_error (errors, field, "This field may not be null.");
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_autofree char *message =
        g_strdup_printf ("Expected a dictionary of items but got type "
        "\"%s\".", json_type_name (node));

    add_error (errors, field, message);
    return NULL;
  }
  out = g_string_new (NULL);
  stb_json_node (out, node);
  return g_string_free (out, FALSE);
}

void
stb_handle_model_create (StbCall * call)
{
  SynapseTestBackend *self = call->self;
  gboolean form = FALSE;
  g_autoptr (JsonObject) data = request_object (call, &form);
  Errors errors = { NULL, FALSE };
  JsonNode *node;
  const char *name = NULL, *description = "";
  gint type = -1;
  gint64 project = 0;
  g_autofree char *upload_id = NULL;
  g_autofree char *metrics = NULL, *configuration = NULL;
  gboolean active = TRUE;
  StbUpload *upload = NULL;
  StbModel *m;
  GString *out;

  if (!data)
    return;
  errors.out = g_string_new (NULL);

  g_mutex_lock (&self->lock);

  node = json_object_get_member (data, "name");
  if (!node)
    add_error (&errors, "name", "This field is required.");
  else if (JSON_NODE_HOLDS_NULL (node))
    add_error (&errors, "name", "This field may not be null.");
  else if (!(name = node_string (node)))
    add_error (&errors, "name", "Not a valid string.");
  else if (is_blank (name))
    add_error (&errors, "name", "This field may not be blank.");

  node = json_object_get_member (data, "description");
  if (node && !JSON_NODE_HOLDS_NULL (node)
      && !(description = node_string (node))) {
    add_error (&errors, "description", "Not a valid string.");
  }
  if (!description)
    description = "";

  node = json_object_get_member (data, "model_type");
  if (!node || JSON_NODE_HOLDS_NULL (node)) {
    add_error (&errors, "model_type", node ? "This field may not be null." :
        "This field is required.");
  } else {
    const char *s = node_string (node);

    for (guint k = 0; s && k < 3; k++) {
      if (!strcmp (s, stb_model_types[k]))
        type = k;
    }
    if (type < 0) {
      g_autofree char *text = node_text (node);
      g_autofree char *message =
          g_strdup_printf ("\"%s\" is not a valid choice.", text);

      add_error (&errors, "model_type", message);
    }
  }

  node = json_object_get_member (data, "project");
  if (!node || JSON_NODE_HOLDS_NULL (node))
    add_error (&errors, "project", node ? "This field may not be null." :
        "This field is required.");
  else if (!read_int (node, &project))
    add_error (&errors, "project", "A valid integer is required.");

  node = json_object_get_member (data, "chunked_upload");
  if (!node || JSON_NODE_HOLDS_NULL (node)) {
    add_error (&errors, "chunked_upload", node ?
        "This field may not be null." : "This field is required.");
  } else {
    upload_id = node_text (node);
    upload = g_hash_table_lookup (self->uploads, upload_id);
    if (!upload) {
      g_autofree char *message =
          g_strdup_printf ("Invalid pk \"%s\" - object does not exist.",
          upload_id);

      add_error (&errors, "chunked_upload", message);
    } else if (!upload->complete) {
      add_error (&errors, "chunked_upload", "Upload is not complete.");
    }
  }

  node = json_object_get_member (data, "metrics");
  if (node)
    metrics = read_dict (&errors, "metrics", node);
  node = json_object_get_member (data, "configuration");
  if (node)
    configuration = read_dict (&errors, "configuration", node);

  node = json_object_get_member (data, "is_active");
  if (node && !read_bool (node, &active))
    add_error (&errors, "is_active", "Must be a valid boolean.");

  if (errors.any) {
    g_mutex_unlock (&self->lock);
    g_string_append_c (errors.out, '}');
    stb_respond (call->msg, SOUP_STATUS_BAD_REQUEST,
        g_steal_pointer (&errors.out));
    return;
  }
  g_string_free (errors.out, TRUE);

  m = g_new0 (StbModel, 1);
  m->id = self->next_model_id++;
  m->name = g_strdup (name);
  m->description = g_strdup (description);
  m->type = type;
  m->project = project;
  m->active = active;
  m->created = MODEL_EPOCH + m->id * 3600;
  {
    g_autofree char *escaped = g_uri_escape_string (upload->filename, NULL,
        FALSE);

    m->file_path = g_strdup_printf ("media/uploads/%s/%s", upload->id, escaped);
  }
  m->upload_id = g_strdup (upload->id);
  m->metrics_json = metrics ? g_steal_pointer (&metrics) : g_strdup ("{}");
  m->configuration_json = configuration ?
      g_steal_pointer (&configuration) : g_strdup ("{}");
  g_ptr_array_add (self->models, m);

  out = g_string_sized_new (1024);
  stb_write_model (out, m, call->media_base, NULL, !self->hide_model_upload);
  g_mutex_unlock (&self->lock);
  stb_respond (call->msg, SOUP_STATUS_CREATED, out);
}
