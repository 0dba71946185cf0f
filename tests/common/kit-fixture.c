/* kit-fixture.c: the library tests' fixture
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "kit-fixture.h"

void
fixture_set_up (Fixture * f, gconstpointer data)
{
  SynapseTestBackendOptions defaults = {
    .token = TEST_TOKEN,
    .versions = 3,
    .events = 100,
    .models = 5,
    .seed = 1,
  };
  const SynapseTestBackendOptions *options = data ? data : &defaults;

  f->backend = kit_backend_new (options, &f->url);
  f->client = kit_client_new (f->url, options->token);
  f->tmpdir = kit_make_tmp_dir ();
}

void
fixture_tear_down (Fixture * f, gconstpointer data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->backend);
  g_clear_pointer (&f->url, g_free);
  kit_clear_tmp_dir (&f->tmpdir);
}

char *
fixture_make_file (Fixture * f, const char *name, gsize size)
{
  g_autoptr (GBytes) bytes = kit_make_bytes (size, size);

  return kit_write_file (f->tmpdir, name, bytes);
}
