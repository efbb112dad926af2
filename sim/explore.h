/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/explore.h - `bootsim explore`: run a scenario or a boot many times
 * under the controlled backend until an oracle fires.
 *
 * Each execution runs in a worker child process on a fresh simulated
 * machine, so a crash, an abort or a hang of the modelled code ends only
 * that execution: the parent reports it as an oops (or deadlock, or hang)
 * of the CPU that was running, with its last scheduling points, and starts
 * a new worker.  Parent and worker share one MAP_SHARED region: the plan
 * goes in, the decisions (and, when replaying verbosely, notes and kernel
 * log lines) come out, even when the worker dies.
 *
 * The failing execution is then shrunk to fewer context switches (same
 * finding), and replayed once more with tracing on to print the report, the
 * CPU timeline and the exact replay command.  `--schedule` does only that
 * last replay, so its output is the same on any machine.
 */
#ifndef SIM_EXPLORE_H
#define SIM_EXPLORE_H

#include <stdio.h>
#include "boot.h"
#include "scenario.h"
#include "strategy.h"

struct explore_options {
	const struct scenario *scenario;	/* NULL: explore the boot model */
	struct boot_options boot;		/* machine (variant...) for both */
	struct strategy_config strategy;
	const char *schedule;			/* replay exactly this, verbosely */
	bool all;				/* do not stop at the first finding */
	bool shrink;				/* shrink the failing schedule */
	bool json;
	bool full_timeline;			/* no row limit */
	bool progress;				/* progress line on stderr */
	unsigned long max_steps;		/* decisions per execution (hang) */
	unsigned int timeout_s;			/* wall seconds per execution */
	const char *replay_cmd;			/* the command without --schedule */
	FILE *out, *err;
};

void explore_options_defaults(struct explore_options *o);
/* Runs the exploration and prints its report; returns the exit status. */
int explore_run(const struct explore_options *o);

#endif /* SIM_EXPLORE_H */
