/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Creating a model (protocol §3): the data checked before any request, the
 * file uploaded with a chunked upload, and the POST that is never repeated
 * blindly: when its answer is lost, the model is looked up by the upload
 * it was made from, and made again only when it is not there. Reading
 * models is synapse-ml.c's. */

#include "config.h"

#include <unistd.h>

#include "synapse-error-private.h"
#include "synapse-file-upload.h"
#include "synapse-json-private.h"
#include "synapse-ml-private.h"
#include "synapse-request.h"
#include "synapse-task.h"

/* The arguments of a creation, carried to a worker thread. */
typedef struct
{
  JsonObject *data;
  JsonObject *upload;           /* a finished upload, or NULL */
  SynapseProgressFunc progress;
  gpointer progress_data;
  GDestroyNotify progress_data_free;
} CreateArgs;

static CreateArgs *
create_args_new (JsonObject * data, JsonObject * upload,
    SynapseProgressFunc progress, gpointer progress_data,
    GDestroyNotify progress_data_free)
{
  CreateArgs *args = g_new0 (CreateArgs, 1);

  args->data = json_object_ref (data);
  args->upload = upload ? json_object_ref (upload) : NULL;
  args->progress = progress;
  args->progress_data = progress_data;
  args->progress_data_free = progress_data_free;
  return args;
}

static void
create_args_free (CreateArgs * args)
{
  if (args->progress_data_free)
    args->progress_data_free (args->progress_data);
  json_object_unref (args->data);
  g_clear_pointer (&args->upload, json_object_unref);
  g_free (args);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CreateArgs, create_args_free);

static const char *const model_types[] = {
  "classification", "detection", "segmentation", NULL
};

static gboolean
is_string_member (JsonObject * data, const char *name)
{
  JsonNode *member = json_object_get_member (data, name);

  return member && JSON_NODE_HOLDS_VALUE (member)
      && json_node_get_value_type (member) == G_TYPE_STRING;
}

static gboolean
is_kind_member (JsonObject * data, const char *name, JsonNodeType kind,
    GType value_type)
{
  JsonNode *member = json_object_get_member (data, name);

  if (member == NULL)
    return TRUE;                /* optional */
  if (JSON_NODE_TYPE (member) != kind)
    return FALSE;
  return kind != JSON_NODE_VALUE
      || json_node_get_value_type (member) == value_type;
}

/* What is wrong with a model's data, twice: in words for the message,
 * and as DRF's field errors ({"name": ["This field is required."]}),
 * worded as the backend answers them, for the error's detail. */
typedef struct
{
  GString *text;
  JsonObject *fields;
} Problems;

static void
problems_clear (Problems * problems)
{
  if (problems->text)
    g_string_free (problems->text, TRUE);
  g_clear_pointer (&problems->fields, json_object_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Problems, problems_clear);

static void
add_problem (Problems * problems, const char *field, const char *problem,
    const char *field_error)
{
  JsonNode *list = json_object_get_member (problems->fields, field);

  if (problems->text->len)
    g_string_append (problems->text, "; ");
  g_string_append (problems->text, problem);
  if (list == NULL) {
    json_object_set_array_member (problems->fields, field, json_array_new ());
    list = json_object_get_member (problems->fields, field);
  }
  json_array_add_string_element (json_node_get_array (list), field_error);
}

/* DRF's words for a required member that is missing or null. */
static const char *
missing_error (JsonObject * data, const char *name)
{
  return json_object_has_member (data, name) ?
      "This field may not be null." : "This field is required.";
}

static gboolean
is_missing (JsonObject * data, const char *name)
{
  JsonNode *member = json_object_get_member (data, name);

  return member == NULL || JSON_NODE_HOLDS_NULL (member);
}

static void
check_object_member (Problems * problems, JsonObject * data,
    const char *name)
{
  JsonNode *member = json_object_get_member (data, name);
  g_autofree char *problem = NULL;
  g_autofree char *field_error = NULL;

  if (is_kind_member (data, name, JSON_NODE_OBJECT, G_TYPE_INVALID))
    return;
  problem = g_strdup_printf ("\"%s\" must be a JSON object", name);
  field_error = g_strdup_printf ("Expected a dictionary of items but got "
      "type \"%s\".", json_node_type_name (member));
  add_problem (problems, name, problem, field_error);
}

/* Checks a new model's data before anything is sent, naming every
 * problem at once, in the message and as field errors in the detail, as
 * the backend's 400 would. When the only problem is a file that cannot be
 * read, the error is that file's (SYNAPSE_CLIENT_ERROR_IO, naming it). */
static gboolean
check_model_data (JsonObject * data, gboolean with_file, GError ** error)
{
  g_auto (Problems) problems = { g_string_new (NULL), json_object_new () };
  g_autoptr (GError) file_error = NULL;
  g_autoptr (JsonNode) detail = NULL;
  g_autofree char *name = NULL;
  JsonNode *project = json_object_get_member (data, "project");

  if (is_string_member (data, "name"))
    name = g_strstrip (g_strdup (json_object_get_string_member (data, "name")));
  if (is_missing (data, "name"))
    add_problem (&problems, "name", "\"name\" must be a non-empty string",
        missing_error (data, "name"));
  else if (!is_string_member (data, "name"))
    add_problem (&problems, "name", "\"name\" must be a non-empty string",
        "Not a valid string.");
  else if (*name == '\0')
    add_problem (&problems, "name", "\"name\" must be a non-empty string",
        "This field may not be blank.");

  if (is_missing (data, "model_type")) {
    add_problem (&problems, "model_type", "\"model_type\" must be one of "
        "classification, detection, segmentation",
        missing_error (data, "model_type"));
  } else if (!is_string_member (data, "model_type")
      || !g_strv_contains (model_types, json_object_get_string_member (data,
              "model_type"))) {
    JsonNode *type = json_object_get_member (data, "model_type");
    g_autofree char *text = is_string_member (data, "model_type")
        ? g_strdup (json_node_get_string (type)) : json_to_string (type, FALSE);
    g_autofree char *field_error =
        g_strdup_printf ("\"%s\" is not a valid choice.", text);

    add_problem (&problems, "model_type", "\"model_type\" must be one of "
        "classification, detection, segmentation", field_error);
  }

  if (is_missing (data, "project"))
    add_problem (&problems, "project",
        "\"project\" must be a project id (an integer)",
        missing_error (data, "project"));
  else if (!JSON_NODE_HOLDS_VALUE (project)
      || json_node_get_value_type (project) != G_TYPE_INT64)
    add_problem (&problems, "project",
        "\"project\" must be a project id (an integer)",
        "A valid integer is required.");

  check_object_member (&problems, data, "metrics");
  check_object_member (&problems, data, "configuration");
  if (!is_kind_member (data, "is_active", JSON_NODE_VALUE, G_TYPE_BOOLEAN))
    add_problem (&problems, "is_active", "\"is_active\" must be true or false",
        "Must be a valid boolean.");
  if (!is_kind_member (data, "description", JSON_NODE_VALUE, G_TYPE_STRING))
    add_problem (&problems, "description", "\"description\" must be a string",
        "Not a valid string.");
  if (!with_file) {
    if (json_object_has_member (data, "file"))
      add_problem (&problems, "file",
          "\"file\" goes with the upload, not here",
          "The file goes with the chunked upload, not with the model.");
  } else if (is_missing (data, "file")) {
    add_problem (&problems, "file",
        "\"file\" must be the path of the model file",
        missing_error (data, "file"));
  } else if (!is_string_member (data, "file")) {
    add_problem (&problems, "file",
        "\"file\" must be the path of the model file", "Not a valid string.");
  } else {
    guint64 size;
    int fd = synapse_open_upload_file (json_object_get_string_member (data,
            "file"), &size, &file_error);

    if (fd >= 0)
      close (fd);
    else if (problems.text->len == 0 && file_error->code ==
        SYNAPSE_CLIENT_ERROR_IO) {
      g_prefix_error (&file_error, "Cannot create the model: ");
      g_propagate_error (error, g_steal_pointer (&file_error));
      return FALSE;
    } else {
      add_problem (&problems, "file", file_error->message,
          file_error->message);
    }
  }
  if (problems.text->len == 0)
    return TRUE;
  detail = json_node_init_object (json_node_alloc (), problems.fields);
  synapse_client_error_set (error, SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT,
      NULL, NULL, 0, detail, "Cannot create the model: %s",
      problems.text->str);
  return FALSE;
}

/* How an upload's id reads in a message: a string as it is, anything
 * else as JSON. */
static char *
describe_upload_id (JsonNode * upload_id)
{
  if (JSON_NODE_HOLDS_VALUE (upload_id)
      && json_node_get_value_type (upload_id) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (upload_id));
  return json_to_string (upload_id, FALSE);
}

/* Sets @error to the failure @lost of POST models/, saying that the model
 * may exist all the same and why the client cannot tell. */
static void
set_may_exist_error (GError ** error, const GError * lost, const char *url,
    JsonNode * upload_id, const char *why)
{
  g_autofree char *id = describe_upload_id (upload_id);

  synapse_client_error_set (error, lost->domain == SYNAPSE_CLIENT_ERROR
      ? (SynapseClientError) lost->code : SYNAPSE_CLIENT_ERROR_CONNECTION,
      "POST", url, synapse_client_error_get_status_code (lost),
      synapse_client_error_get_detail (lost), "%s; the model may exist all "
      "the same, made from upload %s: %s", lost->message, id, why);
  if (error)
    synapse_client_error_mark_outcome_unknown (*error);
}

/* The model of @data that a POST whose answer was lost may have made: the
 * one of `GET models/?project=P&search=NAME` (every page) whose
 * `chunked_upload` is @upload_id. NULL without an error when there is
 * none; NULL with @error when the backend cannot tell: the lookup failed,
 * or it lists models without saying which upload each came from. */
static JsonObject *
find_created_model (SynapseClient * self, JsonObject * data,
    JsonNode * upload_id, GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonObject) params = json_object_new ();
  g_autoptr (SynapsePager) pager = NULL;
  g_autoptr (GError) page_error = NULL;
  JsonArray *page;
  guint listed = 0;
  gboolean told = FALSE;        /* some model has a chunked_upload */

  json_object_set_member (params, "project",
      json_node_copy (json_object_get_member (data, "project")));
  json_object_set_string_member (params, "search",
      json_object_get_string_member (data, "name"));
  pager = synapse_pager_new (self, SYNAPSE_MODELS_PATH, params, NULL);

  while ((page = synapse_pager_next_page (pager, cancellable, &page_error))) {
    g_autoptr (JsonArray) models = page;

    for (guint i = 0; i < json_array_get_length (models); i++) {
      JsonNode *node = json_array_get_element (models, i);
      JsonNode *from;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      listed++;
      from = json_object_get_member (json_node_get_object (node),
          "chunked_upload");
      told = told || from != NULL;
      if (from && json_node_equal (from, upload_id))
        return json_object_ref (json_node_get_object (node));
    }
  }
  if (page_error) {
    g_propagate_error (error, g_steal_pointer (&page_error));
    return NULL;
  }
  if (listed > 0 && !told) {
    g_set_error (error, SYNAPSE_CLIENT_ERROR, SYNAPSE_CLIENT_ERROR_PROTOCOL,
        "the backend lists %u model%s of that name and project without "
        "their \"chunked_upload\", so the one made from this upload cannot "
        "be told apart", listed, listed > 1 ? "s" : "");
    return NULL;
  }
  return NULL;
}

/* POSTs @body as a new model; the reply must be a model with an id. */
static JsonObject *
send_model (SynapseClient * self, GBytes * body, const char *url,
    GCancellable * cancellable, GError ** error)
{
  GBytes *parts[] = { body, NULL };
  SynapseRequest request = {
    .method = "POST",
    .path = SYNAPSE_MODELS_PATH,
    .body = parts,
    .content_type = "application/json",
    /* a second POST would make a second model */
    .idempotent = FALSE,
  };
  g_autoptr (JsonNode) reply = NULL;

  reply = synapse_request_send_json (self, &request, cancellable, error);
  if (reply == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (reply)
      || !json_object_has_member (json_node_get_object (reply), "id")) {
    synapse_set_protocol_error (error, "POST", url,
        "the created model is not a JSON object with an \"id\"");
    return NULL;
  }
  return json_object_ref (json_node_get_object (reply));
}

/* POSTs the model of @data (without `file`) for the finished @upload.
 *
 * The request core never repeats the POST; when its answer is lost (a
 * 500, 502, 503 or 504, a connection broken or timed out after it went
 * out) the model may or may not exist. It is looked up by the upload it
 * was made from: found, it is the result, as if the answer had arrived;
 * not there, the POST is sent once more. Whatever cannot be told apart
 * (a lookup that fails, a backend that does not say which upload a model
 * came from, a second lost answer) is an error that says the model may
 * exist and names the upload. */
static JsonObject *
post_model (SynapseClient * self, JsonObject * data, JsonObject * upload,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (JsonObject) model = NULL;
  g_autoptr (JsonNode) body_node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) lost = NULL;
  g_autoptr (GError) lookup_error = NULL;
  g_autoptr (GError) again_error = NULL;
  g_autofree char *url =
      synapse_client_build_url (self, SYNAPSE_MODELS_PATH, NULL);
  JsonNode *upload_id = json_object_get_member (upload, "id");
  JsonObject *created;

  if (upload_id == NULL || !JSON_NODE_HOLDS_VALUE (upload_id)) {
    synapse_set_protocol_error (error, "POST", url,
        "the completed upload has no \"id\"");
    return NULL;
  }

  model = synapse_json_object_copy (data);
  json_object_remove_member (model, "file");
  json_object_set_member (model, "chunked_upload", json_node_copy (upload_id));
  json_node_set_object (body_node, model);
  body = synapse_json_to_bytes (body_node);

  created = send_model (self, body, url, cancellable, &lost);
  if (created)
    return created;
  if (!synapse_client_error_outcome_unknown (lost)) {
    g_propagate_error (error, g_steal_pointer (&lost));
    return NULL;
  }

  g_debug ("POST %s: %s; looking up the model made from the upload", url,
      lost->message);
  created = find_created_model (self, data, upload_id, cancellable,
      &lookup_error);
  if (created)
    return created;
  if (g_error_matches (lookup_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_propagate_error (error, g_steal_pointer (&lookup_error));
    return NULL;
  }
  if (lookup_error) {
    g_autofree char *why = g_strdup_printf ("it could not be looked up: %s",
        lookup_error->message);

    set_may_exist_error (error, lost, url, upload_id, why);
    return NULL;
  }

  g_debug ("POST %s: no model was made from the upload; sending it again", url);
  created = send_model (self, body, url, cancellable, &again_error);
  if (created)
    return created;
  if (synapse_client_error_outcome_unknown (again_error)) {
    set_may_exist_error (error, again_error, url, upload_id, "the answer to "
        "the creation was lost twice, the second time after a lookup had "
        "found no model");
    return NULL;
  }
  g_propagate_error (error, g_steal_pointer (&again_error));
  return NULL;
}

static gpointer
create_model_run (gpointer source, gpointer data, GCancellable * cancellable,
    GError ** error)
{
  SynapseClient *self = SYNAPSE_CLIENT (source);
  CreateArgs *args = data;
  g_autoptr (JsonObject) upload = NULL;

  if (!check_model_data (args->data, TRUE, error))
    return NULL;
  upload = synapse_client_create_chunked_upload (self,
      json_object_get_string_member (args->data, "file"), 0,
      args->progress, args->progress_data, cancellable, error);
  if (upload == NULL)
    return NULL;
  return post_model (self, args->data, upload, cancellable, error);
}

static gpointer
create_model_from_upload_run (gpointer source, gpointer data,
    GCancellable * cancellable, GError ** error)
{
  CreateArgs *args = data;

  if (!check_model_data (args->data, FALSE, error))
    return NULL;
  return post_model (SYNAPSE_CLIENT (source), args->data, args->upload,
      cancellable, error);
}

/**
 * synapse_client_create_model:
 * @self: a [class@Synapse.Client]
 * @data: the model: `name`, `model_type` (`classification`, `detection` or
 *   `segmentation`), `project` (an id) and `file` (the path of a local
 *   file) are required; `description`, `metrics` and `configuration` (JSON
 *   objects) and `is_active` are optional
 * @progress: (nullable) (scope call) (closure progress_data): told of the
 *   file upload's progress
 * @progress_data: data for @progress
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Registers a model: checks @data and the file locally (every problem is
 * reported at once, with %SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT and the
 * field errors the backend would answer, `{"name": ["This field is
 * required."]}`, in [func@Synapse.ClientError.get_detail], before any
 * request; a file that cannot be read, when nothing else is wrong, with
 * %SYNAPSE_CLIENT_ERROR_IO and its path in
 * [func@Synapse.ClientError.get_path]), uploads the file with a chunked upload in chunks of
 * [property@Synapse.Client:chunk-size], then `POST`s the model
 * with the upload's id as `chunked_upload`, recovering a lost answer as
 * [method@Synapse.Client.create_model_from_upload] says. A 400 from the backend
 * carries its field errors in [func@Synapse.ClientError.get_detail].
 *
 * Returns: (transfer full): the created model, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_create_model (SynapseClient * self, JsonObject * data,
    SynapseProgressFunc progress, gpointer progress_data,
    GCancellable * cancellable, GError ** error)
{
  g_autoptr (CreateArgs) args = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  args = create_args_new (data, NULL, progress, progress_data, NULL);
  return create_model_run (self, args, cancellable, error);
}

/**
 * synapse_client_create_model_async:
 * @self: a [class@Synapse.Client]
 * @data: the model, as for [method@Synapse.Client.create_model]
 * @progress: (nullable) (scope notified) (closure progress_data)
 *   (destroy progress_data_free): told of the file upload's progress, from
 *   a worker thread
 * @progress_data: data for @progress
 * @progress_data_free: frees @progress_data when the call is over
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the model is created
 * @user_data: data for @callback
 *
 * Registers a model as [method@Synapse.Client.create_model] does, without
 * blocking.
 *
 * Since: 0.1
 */
void
synapse_client_create_model_async (SynapseClient * self, JsonObject * data,
    SynapseProgressFunc progress, gpointer progress_data,
    GDestroyNotify progress_data_free, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CLIENT (self));
  g_return_if_fail (data != NULL);

  synapse_task_run (self, self, synapse_client_create_model_async,
      create_model_run, create_args_new (data, NULL, progress,
          progress_data, progress_data_free), (GDestroyNotify) create_args_free,
      (GDestroyNotify) json_object_unref, cancellable, callback, user_data);
}

/**
 * synapse_client_create_model_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.create_model_async].
 *
 * Returns: (transfer full): the created model, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_create_model_finish (SynapseClient * self,
    GAsyncResult * result, GError ** error)
{
  return synapse_task_finish (self, result,
      synapse_client_create_model_async, error);
}

/**
 * synapse_client_create_model_from_upload:
 * @self: a [class@Synapse.Client]
 * @data: the model: `name`, `model_type` (`classification`, `detection` or
 *   `segmentation`) and `project` (an id) are required; `description`,
 *   `metrics` and `configuration` (JSON objects) and `is_active` are
 *   optional
 * @upload: a completed upload, as
 *   [method@Synapse.ChunkedUpload.complete] returns it
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @error: return location for a [struct@GLib.Error]
 *
 * Registers a model whose file was uploaded already, e.g. with a
 * [class@Synapse.ChunkedUpload] fed as data arrived: checks @data locally
 * (every problem at once, with %SYNAPSE_CLIENT_ERROR_INVALID_ARGUMENT and
 * the backend's field errors in [func@Synapse.ClientError.get_detail], as
 * [method@Synapse.Client.create_model] does, before any request), then `POST`s the model with @upload's id as `chunked_upload`.
 *
 * The `POST` is never repeated blindly, since a second one could make a
 * second model. When its answer is lost or ambiguous (HTTP 500, 502, 503
 * or 504, a connection closed or timed out after the request went out),
 * the model is looked up instead (`GET models/?project=…&search=<name>`,
 * every page) by its `chunked_upload`: found, it is returned as if the
 * answer had arrived; not there, the model is created, once more. When
 * the backend cannot tell (the lookup fails, its models do not say which
 * upload they came from, or the second answer is lost as well) the error
 * says the model may exist and names the upload; it keeps the code and
 * status of the lost answer. A 400 from the backend carries its field
 * errors in [func@Synapse.ClientError.get_detail].
 *
 * Returns: (transfer full): the created model, with its `id`, or %NULL
 *   with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_create_model_from_upload (SynapseClient * self,
    JsonObject * data, JsonObject * upload, GCancellable * cancellable,
    GError ** error)
{
  g_autoptr (CreateArgs) args = NULL;

  g_return_val_if_fail (SYNAPSE_IS_CLIENT (self), NULL);
  g_return_val_if_fail (data != NULL && upload != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  args = create_args_new (data, upload, NULL, NULL, NULL);
  return create_model_from_upload_run (self, args, cancellable, error);
}

/**
 * synapse_client_create_model_from_upload_async:
 * @self: a [class@Synapse.Client]
 * @data: the model, as for [method@Synapse.Client.create_model_from_upload]
 * @upload: a completed upload
 * @cancellable: (nullable): a [class@Gio.Cancellable]
 * @callback: (scope async): called when the model is created
 * @user_data: data for @callback
 *
 * Registers a model as [method@Synapse.Client.create_model_from_upload] does,
 * without blocking.
 *
 * Since: 0.1
 */
void
synapse_client_create_model_from_upload_async (SynapseClient * self,
    JsonObject * data, JsonObject * upload, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (SYNAPSE_IS_CLIENT (self));
  g_return_if_fail (data != NULL && upload != NULL);

  synapse_task_run (self, self, synapse_client_create_model_from_upload_async,
      create_model_from_upload_run, create_args_new (data, upload, NULL, NULL,
          NULL), (GDestroyNotify) create_args_free,
      (GDestroyNotify) json_object_unref, cancellable, callback, user_data);
}

/**
 * synapse_client_create_model_from_upload_finish:
 * @self: a [class@Synapse.Client]
 * @result: the [iface@Gio.AsyncResult] given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes [method@Synapse.Client.create_model_from_upload_async].
 *
 * Returns: (transfer full): the created model, or %NULL with @error set
 *
 * Since: 0.1
 */
JsonObject *
synapse_client_create_model_from_upload_finish (SynapseClient * self,
    GAsyncResult * result, GError ** error)
{
  return synapse_task_finish (self, result,
      synapse_client_create_model_from_upload_async, error);
}
