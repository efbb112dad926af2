/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/replay_cmd.h - `bootsim replay TRACE` (replay.h has the engine).
 */
#ifndef SIM_REPLAY_CMD_H
#define SIM_REPLAY_CMD_H

#include <stdio.h>

#include "replay.h"

/* argv[0] is "replay"; returns the exit status. */
int replay_main(int argc, char **argv, FILE *out, FILE *err);

/*
 * The values of --tag-by and --page-ext-at, which `explore --trace` takes
 * too: 0, or -1 when @s is not one of the *_EXPECTED forms.
 */
#define REPLAY_TAG_BY_EXPECTED		"'task' or 'gfp'"
#define REPLAY_PAGE_EXT_AT_EXPECTED	"a timestamp in seconds (2.092698) or a line number"
int replay_parse_tag_by(const char *s, struct replay_options *o);
int replay_parse_page_ext_at(const char *s, struct replay_options *o);

#endif /* SIM_REPLAY_CMD_H */
