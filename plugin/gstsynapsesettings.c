/* GStreamer elements for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* What lives here: how a Synapse element keeps its own properties.
 *
 * Each element keeps the values of its properties in fields of its
 * instance, guarded by its object lock, and gives a table of them beside
 * its GParamSpecs (the offset of the field of each property id). From
 * that one row a property, this file gives every element its GObject
 * set_property and get_property, its defaults and their freeing, so that
 * no element writes the switch statements, the default assignments and
 * the g_free () lists that the elements used to repeat, each with its own
 * small differences. One rule holds for every string property: an empty
 * string means unset, that is the property's default (NULL for most).
 *
 * The connection properties come from the GstSynapseConnection interface,
 * which stores them itself (gstsynapseconnection.c): the generic
 * set_property and get_property hand them on to it.
 *
 * An element's start () reads the fields it needs under the object lock;
 * a property set while it runs takes effect at the next start, as
 * GST_PARAM_MUTABLE_READY says.
 *
 * A number outside its property's range is refused at start, not when it
 * is set. GObject would refuse it with a GLib warning and keep the value
 * it had, so that `gst-launch-1.0 … prefetch=100` ran with the default
 * and a line on stderr few would see. The numeric settings are installed
 * as twins of their GParamSpecs, of a type derived from theirs, with the
 * same range and default (gst-inspect-1.0 and bindings show the real
 * range) but which take any value of the type; every element checks them
 * as it starts (gst_synapse_connection_make_client () calls
 * gst_synapse_settings_check_ranges ()), and a value out of range is a
 * RESOURCE SETTINGS error that names the property and its range. Such
 * errors, about any setting found wrong at start, carry the name of the
 * property in a GError of their own (GST_SYNAPSE_SETTINGS_ERROR), which
 * becomes the `property` field of the message's details.
 */

#include "config.h"

#include <string.h>

#include <gobject/gvaluecollector.h>

#include "gstsynapsesettings.h"
#include "gstsynapseconnection.h"

static GQuark
setting_offset_quark (void)
{
  return g_quark_from_static_string ("gst-synapse-setting-offset");
}

/* The value types a setting may have: those whose field has the C type
 * that GObject collects and copies them as, told by the type's collect
 * format (gint, gint64, gdouble or, for a string, gchar *), and a
 * fraction, whose field is gint[2] (numerator, denominator). */
static const GType setting_types[] = {
  G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_ENUM, G_TYPE_INT, G_TYPE_UINT,
  G_TYPE_INT64, G_TYPE_UINT64, G_TYPE_DOUBLE,
};

/* Notes that the field at @offset of the instance holds the value of
 * @pspec (a property of the element's own). */
static void
bind_field (GParamSpec * pspec, gsize offset)
{
  GType fundamental = G_TYPE_FUNDAMENTAL (pspec->value_type);
  gboolean known = fundamental == GST_TYPE_FRACTION;

  for (guint i = 0; i < G_N_ELEMENTS (setting_types); i++)
    known |= setting_types[i] == fundamental;
  if (!known) {
    g_critical ("property %s: no setting of type %s", pspec->name,
        g_type_name (pspec->value_type));
    return;
  }
  g_param_spec_set_qdata (pspec, setting_offset_quark (),
      GSIZE_TO_POINTER (offset));
}

/* The field of @object that holds the value of @pspec, or NULL when it is
 * not a setting. */
static gpointer
field_of (GObject * object, GParamSpec * pspec)
{
  gsize offset = GPOINTER_TO_SIZE (g_param_spec_get_qdata (pspec,
          setting_offset_quark ()));

  return offset > 0 ? G_STRUCT_MEMBER_P (object, offset) : NULL;
}

/* A value moves between a GValue and its field the way g_object_set ()
 * and g_object_get () move it between a GValue and a variable: through
 * the type's value table, whose collect format also gives the size of
 * the field. One path for every type, rather than a case a type. */
static gsize
field_size (GType type)
{
  static const gchar formats[] = { G_VALUE_COLLECT_INT,
    G_VALUE_COLLECT_INT64, G_VALUE_COLLECT_DOUBLE, G_VALUE_COLLECT_POINTER,
    '\0'
  };
  static const gsize sizes[] = { sizeof (gint), sizeof (gint64),
    sizeof (gdouble), sizeof (gpointer)
  };
  const gchar *format = g_type_value_table_peek (type)->collect_format;

  return sizes[strchr (formats, format[0]) - formats];
}

static void
store (gpointer field, GParamSpec * pspec, const GValue * value)
{
  GTypeValueTable *table = g_type_value_table_peek (pspec->value_type);
  GTypeCValue location = {.v_pointer = field };
  g_auto (GValue) fallback = G_VALUE_INIT;

  /* two values, which no collect format of one pointer carries */
  if (GST_VALUE_HOLDS_FRACTION (value)) {
    ((gint *) field)[0] = gst_value_get_fraction_numerator (value);
    ((gint *) field)[1] = gst_value_get_fraction_denominator (value);
    return;
  }
  if (G_VALUE_HOLDS_STRING (value)) {
    const gchar *str = g_value_get_string (value);

    /* empty means unset: the property's default */
    if (str == NULL || *str == '\0') {
      g_value_init (&fallback, G_TYPE_STRING);
      g_param_value_set_default (pspec, &fallback);
      value = &fallback;
    }
    g_clear_pointer ((gchar **) field, g_free);
  }
  /* copies a string, sets anything else */
  g_free (table->lcopy_value (value, 1, &location, 0));
}

static void
load (gconstpointer field, GParamSpec * pspec, GValue * value)
{
  GTypeValueTable *table = g_type_value_table_peek (pspec->value_type);
  GTypeCValue collected = { 0 };

  if (GST_VALUE_HOLDS_FRACTION (value)) {
    gst_value_set_fraction (value, ((const gint *) field)[0],
        ((const gint *) field)[1]);
    return;
  }
  /* the members of the union all start at its start */
  memcpy (&collected, field, field_size (pspec->value_type));
  g_free (table->collect_value (value, 1, &collected, 0));
}

/* set_property (@set) and get_property: @value goes into the field of
 * the property, or comes out of it; a connection property is the
 * connection's. */
static void
access_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec, gboolean set)
{
  gpointer field = field_of (object, pspec);

  if (pspec->owner_type == GST_TYPE_SYNAPSE_CONNECTION && set)
    gst_synapse_connection_set_property (GST_SYNAPSE_CONNECTION (object),
        pspec, value);
  else if (pspec->owner_type == GST_TYPE_SYNAPSE_CONNECTION)
    gst_synapse_connection_get_property (GST_SYNAPSE_CONNECTION (object),
        pspec, value);
  else if (field == NULL)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  else {
    GST_OBJECT_LOCK (object);
    if (set)
      store (field, pspec, value);
    else
      load (field, pspec, value);
    GST_OBJECT_UNLOCK (object);
  }
}

static void
gst_synapse_settings_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  access_property (object, prop_id, (GValue *) value, pspec, TRUE);
}

static void
gst_synapse_settings_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  access_property (object, prop_id, value, pspec, FALSE);
}

/**
 * gst_synapse_settings_install:
 * @klass: the class of a Synapse element
 * @pspecs: (array length=n_pspecs): its own properties, indexed by their
 *   ids (the first is not used)
 * @fields: (array length=n_pspecs): for each id, the offset in the
 *   instance of the field that holds the property's value, of the C type
 *   of the value (gchar * for a string, gint for an enum, gint[2] for a
 *   fraction…); strings, booleans, enums, (unsigned) 32- and 64-bit
 *   integers, doubles and fractions
 * @n_pspecs: the length of @pspecs and @fields
 *
 * Installs @pspecs, the numbers among them as properties checked at start
 * (gst_synapse_settings_checked_at_start (): @pspecs then holds the twins
 * that were installed), and, when the element implements
 * GstSynapseConnection, the connection properties after them; makes
 * set_property and get_property those of this file.
 */
void
gst_synapse_settings_install (GObjectClass * klass, GParamSpec ** pspecs,
    const gsize * fields, guint n_pspecs)
{
  klass->set_property = gst_synapse_settings_set_property;
  klass->get_property = gst_synapse_settings_get_property;
  /* the parent instance comes first: no field is at offset 0, which
   * therefore marks the pspecs that are not settings */
  for (guint id = 1; id < n_pspecs; id++) {
    g_return_if_fail (fields[id] > 0);
    pspecs[id] = gst_synapse_settings_checked_at_start (pspecs[id]);
    bind_field (pspecs[id], fields[id]);
  }
  g_object_class_install_properties (klass, n_pspecs, pspecs);
  if (g_type_is_a (G_OBJECT_CLASS_TYPE (klass), GST_TYPE_SYNAPSE_CONNECTION))
    gst_synapse_connection_install_properties (klass, n_pspecs);
}

/* --- numbers checked at start ---------------------------------------- */

/* The GParamSpec types of numbers, whose twins take any value; found by
 * index, the same in both. */
static GType checked_parents[5];
static GType checked_types[5];

/* The twin's value_validate: any value of the type is kept as it is, and
 * checked at start. */
static gboolean
keep_any_value (GParamSpec * pspec, GValue * value)
{
  return FALSE;
}

static void
checked_class_init (gpointer klass, gpointer data)
{
  G_PARAM_SPEC_CLASS (klass)->value_validate = keep_any_value;
}

static void
register_checked_types (void)
{
  static gsize registered = 0;

  if (!g_once_init_enter (&registered))
    return;
  checked_parents[0] = G_TYPE_PARAM_INT;
  checked_parents[1] = G_TYPE_PARAM_UINT;
  checked_parents[2] = G_TYPE_PARAM_INT64;
  checked_parents[3] = G_TYPE_PARAM_UINT64;
  checked_parents[4] = G_TYPE_PARAM_DOUBLE;
  for (guint i = 0; i < G_N_ELEMENTS (checked_parents); i++) {
    g_autofree gchar *name = g_strconcat ("GstSynapseCheckedAtStart",
        g_type_name (checked_parents[i]), NULL);
    GTypeQuery query;

    g_type_query (checked_parents[i], &query);
    checked_types[i] = g_type_register_static_simple (checked_parents[i],
        name, query.class_size, checked_class_init, query.instance_size,
        NULL, 0);
  }
  g_once_init_leave (&registered, 1);
}

/* The index of @pspec's type in checked_types (or in checked_parents with
 * @parents), or -1. */
static gint
checked_index (GParamSpec * pspec, gboolean parents)
{
  GType type = G_PARAM_SPEC_TYPE (pspec);

  register_checked_types ();
  for (guint i = 0; i < G_N_ELEMENTS (checked_types); i++) {
    if (type == (parents ? checked_parents : checked_types)[i])
      return i;
  }
  return -1;
}

/**
 * gst_synapse_settings_checked_at_start:
 * @pspec: (transfer full): a new property
 *
 * A writable integer or double property, as a twin whose value is checked
 * when the element starts rather than when it is set: the same name,
 * nick, blurb, flags, range and default, of a type derived from @pspec's,
 * which keeps a value out of the range (with no GLib warning) for
 * gst_synapse_settings_check_ranges () to refuse. Any other property is
 * returned as it is. gst_synapse_settings_install () and the connection
 * interface apply it to every property they install.
 *
 * Returns: (transfer floating): the property, or its twin (@pspec freed)
 */
GParamSpec *
gst_synapse_settings_checked_at_start (GParamSpec * pspec)
{
  gint index = checked_index (pspec, TRUE);
  GParamSpec *twin;
  GTypeQuery query;

  if (index < 0 || !(pspec->flags & G_PARAM_WRITABLE))
    return pspec;

  /* a name is static or interned, either way it lives on; nick and blurb
   * that are not static are copied */
  twin = g_param_spec_internal (checked_types[index], pspec->name,
      g_param_spec_get_nick (pspec), g_param_spec_get_blurb (pspec),
      pspec->flags | G_PARAM_STATIC_NAME);
  /* the range and default (and a double's epsilon) follow the GParamSpec
   * that all param specs begin with */
  g_type_query (checked_parents[index], &query);
  memcpy ((guint8 *) twin + sizeof (GParamSpec),
      (guint8 *) pspec + sizeof (GParamSpec),
      query.instance_size - sizeof (GParamSpec));
  g_param_spec_unref (g_param_spec_ref_sink (pspec));
  return twin;
}

/* "1 to 64", the range of @pspec, a number property. */
static gchar *
describe_range (GParamSpec * pspec)
{
  switch (G_TYPE_FUNDAMENTAL (pspec->value_type)) {
    case G_TYPE_INT:
      return g_strdup_printf ("%d to %d", G_PARAM_SPEC_INT (pspec)->minimum,
          G_PARAM_SPEC_INT (pspec)->maximum);
    case G_TYPE_UINT:
      return g_strdup_printf ("%u to %u", G_PARAM_SPEC_UINT (pspec)->minimum,
          G_PARAM_SPEC_UINT (pspec)->maximum);
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
          G_PARAM_SPEC_INT64 (pspec)->minimum,
          G_PARAM_SPEC_INT64 (pspec)->maximum);
    case G_TYPE_UINT64:
      return g_strdup_printf ("%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
          G_PARAM_SPEC_UINT64 (pspec)->minimum,
          G_PARAM_SPEC_UINT64 (pspec)->maximum);
    default:
      return g_strdup_printf ("%g to %g", G_PARAM_SPEC_DOUBLE (pspec)->minimum,
          G_PARAM_SPEC_DOUBLE (pspec)->maximum);
  }
}

/* @value, a number, as a user would write it. */
static gchar *
describe_number (const GValue * value)
{
  g_auto (GValue) text = G_VALUE_INIT;

  if (G_VALUE_HOLDS_DOUBLE (value))
    return g_strdup_printf ("%g", g_value_get_double (value));
  g_value_init (&text, G_TYPE_STRING);
  g_value_transform (value, &text);
  return g_value_dup_string (&text);
}

/**
 * gst_synapse_settings_check_ranges:
 * @object: a Synapse element about to start
 * @error: return location for a #GST_SYNAPSE_SETTINGS_ERROR
 *
 * Checks the number properties installed through
 * gst_synapse_settings_checked_at_start () against their ranges, as
 * GObject would have when they were set.
 *
 * Returns: %FALSE, with @error naming the first property out of its range
 *   and the range, when there is one
 */
gboolean
gst_synapse_settings_check_ranges (GObject * object, GError ** error)
{
  guint n = 0;
  g_autofree GParamSpec **pspecs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);

  for (guint i = 0; i < n; i++) {
    GParamSpec *pspec = g_param_spec_get_redirect_target (pspecs[i]);
    gint index;
    GParamSpecClass *parent;
    g_auto (GValue) value = G_VALUE_INIT;
    g_auto (GValue) clamped = G_VALUE_INIT;

    pspec = pspec ? pspec : pspecs[i];
    index = checked_index (pspec, FALSE);
    if (index < 0)
      continue;
    g_value_init (&value, pspec->value_type);
    g_object_get_property (object, pspec->name, &value);
    g_value_init (&clamped, pspec->value_type);
    g_value_copy (&value, &clamped);
    /* the check GObject makes, which the twin skipped */
    parent = g_type_class_peek (checked_parents[index]);
    if (parent->value_validate (pspec, &clamped)) {
      g_autofree gchar *number = describe_number (&value);
      g_autofree gchar *range = describe_range (pspec);

      gst_synapse_settings_set_error (error, pspec->name, "The %s property "
          "is %s, out of its range: %s.", pspec->name, number, range);
      return FALSE;
    }
  }
  return TRUE;
}

/* --- errors that name a property -------------------------------------- */

typedef struct
{
  gchar *property;
} GstSynapseSettingsErrorPrivate;

static void
gst_synapse_settings_error_private_init (GstSynapseSettingsErrorPrivate * priv)
{
  priv->property = NULL;
}

static void
gst_synapse_settings_error_private_copy (const GstSynapseSettingsErrorPrivate
    * src, GstSynapseSettingsErrorPrivate * dest)
{
  dest->property = g_strdup (src->property);
}

static void
gst_synapse_settings_error_private_clear (GstSynapseSettingsErrorPrivate * priv)
{
  g_clear_pointer (&priv->property, g_free);
}

/* *INDENT-OFF* */
G_DEFINE_EXTENDED_ERROR (GstSynapseSettingsError, gst_synapse_settings_error)
/* *INDENT-ON* */

/**
 * gst_synapse_settings_set_error:
 * @error: return location for the error, or %NULL
 * @property: the name of the property that cannot work
 * @format: the message for people, which names the property too (never a
 *   credential)
 * @...: its arguments
 *
 * Sets @error to a #GST_SYNAPSE_SETTINGS_ERROR about @property.
 */
void
gst_synapse_settings_set_error (GError ** error, const gchar * property,
    const gchar * format, ...)
{
  GError *new_error;
  va_list args;

  if (error == NULL)
    return;
  va_start (args, format);
  new_error = g_error_new_valist (GST_SYNAPSE_SETTINGS_ERROR,
      GST_SYNAPSE_SETTINGS_ERROR_INVALID, format, args);
  va_end (args);
  gst_synapse_settings_error_get_private (new_error)->property =
      g_strdup (property);
  g_propagate_error (error, new_error);
}

/**
 * gst_synapse_settings_error_get_property:
 * @error: a #GST_SYNAPSE_SETTINGS_ERROR
 *
 * Returns: (nullable): the name of the property it is about
 */
const gchar *
gst_synapse_settings_error_get_property (const GError * error)
{
  GstSynapseSettingsErrorPrivate *priv =
      gst_synapse_settings_error_get_private (error);

  return priv ? priv->property : NULL;
}

/**
 * gst_synapse_settings_post_error:
 * @element: the element whose setting cannot work
 * @error: a #GST_SYNAPSE_SETTINGS_ERROR
 * @file: source file of the caller
 * @function: function of the caller
 * @line: line of the caller
 *
 * Posts @error as a RESOURCE SETTINGS error message: its text is the
 * error's message, its details hold `property` (a string), the name of
 * the property. Use GST_SYNAPSE_ELEMENT_SETTINGS_ERROR ().
 */
void
gst_synapse_settings_post_error (GstElement * element, const GError * error,
    const gchar * file, const gchar * function, gint line)
{
  const gchar *property = gst_synapse_settings_error_get_property (error);
  GstStructure *details = gst_structure_new_empty ("details");

  if (property)
    gst_structure_set (details, "property", G_TYPE_STRING, property, NULL);
  gst_element_message_full_with_details (element, GST_MESSAGE_ERROR,
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
      g_strdup (error->message), NULL, file, function, line, details);
}

/* Calls @func on each setting of @object. */
static void
foreach_setting (GObject * object, void (*func) (gpointer field,
        GParamSpec * pspec))
{
  guint n = 0;
  g_autofree GParamSpec **pspecs =
      g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);

  for (guint i = 0; i < n; i++) {
    gpointer field = field_of (object, pspecs[i]);

    if (field)
      func (field, pspecs[i]);
  }
}

static void
store_default (gpointer field, GParamSpec * pspec)
{
  g_auto (GValue) value = G_VALUE_INIT;

  g_value_init (&value, pspec->value_type);
  g_param_value_set_default (pspec, &value);
  store (field, pspec, &value);
}

static void
free_string (gpointer field, GParamSpec * pspec)
{
  if (G_TYPE_FUNDAMENTAL (pspec->value_type) == G_TYPE_STRING)
    g_clear_pointer ((gchar **) field, g_free);
}

/**
 * gst_synapse_settings_init:
 * @object: a new Synapse element
 *
 * Gives each property its default, from its GParamSpec; for an element
 * that implements GstSynapseConnection, the connection's too (read from
 * the `SYNAPSE_*` environment variables now, as the element is made).
 */
void
gst_synapse_settings_init (GObject * object)
{
  foreach_setting (object, store_default);
  if (GST_IS_SYNAPSE_CONNECTION (object))
    gst_synapse_connection_init (GST_SYNAPSE_CONNECTION (object));
}

/**
 * gst_synapse_settings_clear:
 * @object: a Synapse element being finalized
 *
 * Frees the values of its properties (the connection's go with the
 * element).
 */
void
gst_synapse_settings_clear (GObject * object)
{
  foreach_setting (object, free_string);
}
