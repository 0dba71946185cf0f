// Where gi-docgen links the types of the libraries Synapse-1.0 uses.
baseURLs = [
  ['GLib', 'https://docs.gtk.org/glib/'],
  ['GObject', 'https://docs.gtk.org/gobject/'],
  ['Gio', 'https://docs.gtk.org/gio/'],
  ['Json', 'https://gnome.pages.gitlab.gnome.org/json-glib/'],
]
