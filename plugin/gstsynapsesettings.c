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
 * Installs @pspecs, and, when the element implements
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
    bind_field (pspecs[id], fields[id]);
  }
  g_object_class_install_properties (klass, n_pspecs, pspecs);
  if (g_type_is_a (G_OBJECT_CLASS_TYPE (klass), GST_TYPE_SYNAPSE_CONNECTION))
    gst_synapse_connection_install_properties (klass, n_pspecs);
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
