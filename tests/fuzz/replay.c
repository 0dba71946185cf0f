/* Runs a fuzz target over files and folders of inputs, for builds without
 * libFuzzer: the seed corpora become regression tests.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

static guint
replay (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length;
  GDir *dir;
  guint count = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    const char *name;

    dir = g_dir_open (path, 0, NULL);
    while (dir && (name = g_dir_read_name (dir))) {
      g_autofree char *child = g_build_filename (path, name, NULL);

      count += replay (child);
    }
    if (dir)
      g_dir_close (dir);
    return count;
  }
  if (!g_file_get_contents (path, &contents, &length, NULL))
    g_error ("cannot read %s", path);
  LLVMFuzzerTestOneInput ((const guint8 *) contents, length);
  return 1;
}

int
main (int argc, char **argv)
{
  guint count = 0;

  for (int i = 1; i < argc; i++)
    count += replay (argv[i]);
  g_print ("%u inputs replayed\n", count);
  return count > 0 ? 0 : 1;
}
