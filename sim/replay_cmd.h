/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/replay_cmd.h - `bootsim replay TRACE` (replay.h has the engine).
 */
#ifndef SIM_REPLAY_CMD_H
#define SIM_REPLAY_CMD_H

#include <stdio.h>

/* argv[0] is "replay"; returns the exit status. */
int replay_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* SIM_REPLAY_CMD_H */
