/* libsynapse: a GObject client for the Synapse ML backend
 * Copyright (C) 2026 gst-synapse developers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* SYNAPSE_API marks every public symbol: visible when the library itself
 * is built (all else is hidden), a plain extern for its users. */

#pragma once

/* The library is built with hidden symbols: only what its headers mark
 * SYNAPSE_API is exported, so internals stay out of the ABI. */
#if defined(SYNAPSE_COMPILATION) && defined(__GNUC__)
#define SYNAPSE_API __attribute__((visibility ("default"))) extern
#else
#define SYNAPSE_API extern
#endif
