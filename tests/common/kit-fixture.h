/* kit-fixture.h: the library tests' fixture, a backend and a client of it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "kit.h"

G_BEGIN_DECLS

#define TEST_TOKEN "test-token-0123456789"

typedef struct
{
  SynapseTestBackend *backend;
  char *url;
  SynapseClient *client;
  char *tmpdir;
} Fixture;

/* Starts a backend with @data (a SynapseTestBackendOptions *, or NULL for
 * 3 versions of 100 events, 5 models and TEST_TOKEN) and a client of it
 * with TEST_TOKEN and quick retries (kit_client_new ()). */
void fixture_set_up (Fixture * f, gconstpointer data);

void fixture_tear_down (Fixture * f, gconstpointer data);

/* Adds the test @path, run by @func with the default fixture. */
#define FIXTURE_ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

/* A file of @size pseudo-random bytes under the fixture's temporary
 * folder. */
char *fixture_make_file (Fixture * f, const char *name, gsize size);

G_END_DECLS
