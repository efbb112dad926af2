/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim/strategy.h - who runs next: random, PCT, DFS, and schedule replay.
 *
 * Two halves.  The explorer (parent) owns a `struct strategy` that hands out
 * one `struct exec_plan` per execution and learns from the decisions each
 * execution recorded.  The execution (a worker child) turns its plan into a
 * `struct chooser`, whose chooser_choose() is the controlled backend's
 * sim_ctl_hooks.choose.
 *
 *   | strategy | plan per execution i                   | done when            |
 *   |----------|----------------------------------------|----------------------|
 *   | random   | PLAN_RANDOM, seed = mix(seed, i)       | runs executions      |
 *   | pct      | PLAN_PCT, seed = mix(seed, i), depth d,| runs executions      |
 *   |          | k = cfg pct_k, else the choices (>= 2  |                      |
 *   |          | CPUs enabled) of the first execution   |                      |
 *   | dfs      | PLAN_PREFIX: a prefix of forced choices| tree exhausted under |
 *   |          | then the default policy                | the preemption bound,|
 *   |          |                                        | or runs executions   |
 *   | replay   | PLAN_PREFIX, strict                    | one execution        |
 *
 * Default policy (after a prefix, and DFS's first execution): keep running
 * d->prev if it is enabled, else the lowest enabled CPU above prev
 * (wrapping).  A decision is a preemption when prev_enabled and the chosen
 * CPU is not prev; DFS counts only those against --preemptions.
 *
 * PCT (Burckhardt et al., ASPLOS 2010): n CPUs get distinct random
 * priorities d+n-1 .. d; d-1 change points are drawn uniformly from
 * [1, k], counted in choices (decisions with at least two enabled CPUs); the enabled CPU with the highest priority runs; at change point
 * j (1-based) the running CPU's priority drops to d-j.
 *
 * Sharding (--shard I/N): random and pct run the executions i with
 * i mod N == I.  DFS gives each subtree to one shard by its first deviation
 * from the default policy (decision index and CPU), so shards never repeat
 * each other's work; every shard runs the default execution, which only
 * shard 0 counts.
 */
#ifndef SIM_STRATEGY_H
#define SIM_STRATEGY_H

#include <stdint.h>
#include <stdbool.h>
#include "sim/core/controlled.h"
#include "schedule.h"

enum strategy_kind {
	STRATEGY_RANDOM,
	STRATEGY_PCT,
	STRATEGY_DFS,
};

struct strategy_config {
	enum strategy_kind kind;
	uint64_t seed;
	unsigned long runs;		/* max executions (0: no bound; DFS only) */
	unsigned int depth;		/* PCT d, >= 1 (default 3) */
	unsigned int preemptions;	/* DFS bound (default 2) */
	unsigned int shard_index, shard_count;	/* 0/1: no sharding */
	unsigned int nr_cpus;
	unsigned long pct_k;		/* PCT k; 0: learn from the first feedback
					 * (the explorer measures it with one default
					 * run, so every shard uses the same k) */
};

enum plan_kind {
	PLAN_RANDOM,
	PLAN_PCT,
	PLAN_PREFIX,
};

struct exec_plan {
	enum plan_kind kind;
	unsigned long index;		/* execution number in the exploration */
	uint64_t seed;			/* RANDOM, PCT */
	unsigned int pct_depth;
	unsigned long pct_k;
	/* PREFIX: forced choices, then the default policy */
	const uint16_t *prefix;
	size_t prefix_len;
	bool strict;			/* a forced choice that is not enabled aborts
					 * the execution (a replayed schedule must fit);
					 * otherwise it falls back to the default */
	bool counted;			/* false: DFS rerun of another shard's path */
};

struct chooser;

/* Child side.  chooser_choose matches sim_ctl_hooks.choose. */
struct chooser *chooser_new(const struct exec_plan *plan, unsigned int nr_cpus);
int chooser_choose(void *chooser, const struct sim_ctl_decision *d);
/* Why a strict plan aborted: "schedule step 12: CPU 3 is not runnable
 * (enabled: 0,2)", or "". */
const char *chooser_error(const struct chooser *c);
void chooser_free(struct chooser *c);

/* The default policy on its own (shared by chooser and DFS). */
int strategy_default_choice(const struct sim_ctl_decision *d);

/* Parent side. */
struct strategy;

struct strategy *strategy_new(const struct strategy_config *cfg);
void strategy_free(struct strategy *s);
/* The next execution's plan (valid until the next call); false when done. */
bool strategy_next(struct strategy *s, struct exec_plan *plan);
/* What the execution of the last plan decided, in order. */
void strategy_feedback(struct strategy *s, const struct decision_rec *recs, size_t n);
/* DFS: every schedule within the preemption bound has run. */
bool strategy_exhausted(const struct strategy *s);
/* PCT's k: decisions with at least two enabled CPUs (at least 1). */
unsigned long strategy_count_choices(const struct decision_rec *recs, size_t n);
const char *strategy_name(enum strategy_kind kind);
int strategy_parse_name(const char *name, enum strategy_kind *out);

/*
 * Shrinking (optional final step of explore): candidate schedules with fewer
 * context switches than @s.  Candidate j drops the j-th segment, merging its
 * neighbours; the explorer runs each non-strictly and keeps one that still
 * shows the same finding.  Returns false when j is out of range.
 */
bool schedule_shrink_candidate(const struct schedule *s, size_t j, struct schedule *out);

#endif /* SIM_STRATEGY_H */
