/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/explore.h - `bootsim explore`: run a scenario, a trace (its per-CPU
 * sequences, replay.h) or a boot many times under the controlled backend
 * until an oracle fires.
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
#include "replay.h"
#include "scenario.h"
#include "strategy.h"

/*
 * What one execution found, as a catalogue detector sees it: enough to tell
 * one defect from another when several oracles fire in the same run.
 */
enum exec_status {
	EXEC_RUNNING,
	EXEC_CLEAN,
	EXEC_FINDING,
	EXEC_ABORTED,		/* deadlock, step budget, schedule mismatch */
	EXEC_CRASHED,		/* signal in the modelled code */
	EXEC_TIMEOUT,		/* wall clock: a hang without scheduling points */
	EXEC_ERROR,		/* bootsim could not run it (setup failure) */
};

struct exec_summary {
	enum exec_status status;
	int why;			/* enum sim_ctl_abort when ABORTED */
	int signal;			/* CRASHED */
	long warn_not_set;		/* "alloc_tag was not set" */
	long warn_not_cleared;		/* "alloc_tag was not cleared ..." */
	long bug_sleep;			/* "sleeping function called from invalid context" */
	long pr_tracking_failed;	/* "early PFN tracking page allocation failed" */
	long pr_pfn_max;		/* "... exceeded EARLY_ALLOC_PFN_MAX (8192)" */
	long leaks, leaks_d13;		/* tags whose counters != live pages */
	long unstamped, unreachable;
	struct early_pfn_stats early;
};

/* A detector: does this execution show the defect searched for? */
typedef bool (*explore_wanted_fn)(const struct exec_summary *s);

/* The result of a search, for callers that print their own report. */
struct explore_outcome {
	bool found;
	bool exhausted;			/* DFS tree or schedule space done */
	unsigned long executions;	/* counted executions */
	unsigned long first_index;	/* execution that found it */
	size_t distinct;
	unsigned long findings;		/* with --all, every finding counted */
	unsigned long shrink_executions;
	char *schedule;			/* the (shrunk) witness; free() it */
	char signature[512];		/* what fired on the witness */
};

struct explore_options {
	const struct scenario *scenario;	/* NULL: a trace, or the boot model */
	struct replay_plan *trace;		/* explore --trace: per-CPU sequences */
	const char *trace_path;
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
	explore_wanted_fn wanted;		/* NULL: any oracle is a finding */
	FILE *out, *err;
};

void explore_options_defaults(struct explore_options *o);
/* Runs the exploration and prints its report; returns the exit status. */
int explore_run(const struct explore_options *o);
/*
 * Only the search (and shrink): fills @out, prints nothing but errors.
 * Returns 0, or an exit status (2 bad input, 3 internal error).
 */
int explore_search(const struct explore_options *o, struct explore_outcome *out);

#endif /* SIM_EXPLORE_H */
