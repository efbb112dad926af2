// SPDX-License-Identifier: GPL-2.0
/*
 * sim/strategy.c - who runs next: the per-execution chooser (random, PCT,
 * forced prefix) and the explorer-side strategies that hand out plans
 * (random, PCT, preemption-bounded DFS), plus schedule shrinking.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/strategy.h"
#include "sim/core/random.h"

/* RNG streams, so a plan seed never feeds two purposes the same numbers. */
#define STREAM_RANDOM	0x52414e44u	/* "RAND" */
#define STREAM_PCT	0x50435400u	/* "PCT" */

/* PCT's k before the first execution has told us how long a run is. */
#define PCT_K_UNKNOWN	1000ul

/* splitmix64's output function: a good bijective 64-bit mix. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define GOLDEN64	0x9e3779b97f4a7c15ULL

/* Seed of execution @i: the i-th splitmix64 output from state @seed. */
static uint64_t exec_seed(uint64_t seed, unsigned long i)
{
	return mix64(seed + ((uint64_t)i + 1) * GOLDEN64);
}

int strategy_default_choice(const struct sim_ctl_decision *d)
{
	if (d->prev_enabled && sim_ctl_is_enabled(d, d->prev))
		return d->prev;
	return sim_ctl_next_enabled(d, d->prev + 1);
}

/* ---------------------------------------------------------------- chooser */

struct chooser {
	struct exec_plan plan;		/* plan->prefix stays the caller's */
	unsigned int nr_cpus;
	struct sim_rng rng;		/* RANDOM: one draw per decision */
	unsigned int *prio;		/* PCT: priority per CPU, higher runs */
	unsigned long *change;		/* PCT: change[j - 1] = choice of point j */
	unsigned long choices;		/* PCT: decisions with >= 2 enabled so far */
	char error[512];
};

static void pct_init(struct chooser *c)
{
	unsigned int n = c->nr_cpus, depth = c->plan.pct_depth;
	unsigned long k = c->plan.pct_k ? c->plan.pct_k : 1;
	struct sim_rng rng;

	sim_rng_seed(&rng, c->plan.seed, STREAM_PCT);
	/* Distinct priorities depth+n-1 .. depth in random order (Fisher-Yates). */
	for (unsigned int i = 0; i < n; i++)
		c->prio[i] = depth + i;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j = (unsigned int)sim_rng_below(&rng, (uint64_t)i + 1);
		unsigned int t = c->prio[i];

		c->prio[i] = c->prio[j];
		c->prio[j] = t;
	}
	for (unsigned int j = 0; j + 1 < depth; j++)
		c->change[j] = 1 + (unsigned long)sim_rng_below(&rng, k);
}

struct chooser *chooser_new(const struct exec_plan *plan, unsigned int nr_cpus)
{
	struct chooser *c;

	if (!nr_cpus)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->plan = *plan;
	c->nr_cpus = nr_cpus;
	switch (plan->kind) {
	case PLAN_RANDOM:
		sim_rng_seed(&c->rng, plan->seed, STREAM_RANDOM);
		break;
	case PLAN_PCT:
		if (!c->plan.pct_depth)
			c->plan.pct_depth = 1;
		c->prio = calloc(nr_cpus, sizeof(*c->prio));
		c->change = calloc(c->plan.pct_depth, sizeof(*c->change));
		if (!c->prio || !c->change) {
			chooser_free(c);
			return NULL;
		}
		pct_init(c);
		break;
	case PLAN_PREFIX:
		break;
	}
	return c;
}

void chooser_free(struct chooser *c)
{
	if (!c)
		return;
	free(c->prio);
	free(c->change);
	free(c);
}

const char *chooser_error(const struct chooser *c)
{
	return c->error;
}

static unsigned int count_enabled(const struct sim_ctl_decision *d)
{
	unsigned int n = 0;

	for (unsigned int w = 0; w < (d->nr_cpus + 63) / 64; w++)
		n += (unsigned int)__builtin_popcountll(d->enabled[w]);
	return n;
}

static int choose_random(struct chooser *c, const struct sim_ctl_decision *d)
{
	unsigned int n = count_enabled(d);
	uint64_t pick;

	if (!n)
		return -1;
	pick = sim_rng_below(&c->rng, n);
	for (unsigned int cpu = 0; cpu < d->nr_cpus; cpu++)
		if (sim_ctl_is_enabled(d, (int)cpu) && !pick--)
			return (int)cpu;
	return -1;
}

/* The enabled CPU with the highest PCT priority, or -1. */
static int pct_highest(const struct chooser *c, const struct sim_ctl_decision *d)
{
	int best = -1;

	for (unsigned int cpu = 0; cpu < c->nr_cpus; cpu++)
		if (sim_ctl_is_enabled(d, (int)cpu) &&
		    (best < 0 || c->prio[cpu] > c->prio[best]))
			best = (int)cpu;
	return best;
}

/*
 * PCT, read as follows.  Its "steps" are the choices of the execution: the
 * decisions where at least two CPUs are enabled (a decision with one
 * enabled CPU, such as every step of a boot phase that runs alone, offers
 * no interleaving, and counting it would only dilute k).  The change points
 * are drawn from [1, k] with k the choices of a default run.  At the
 * decision that makes choice number j, the CPU that would otherwise run -
 * the enabled CPU with the highest priority, which is d->prev whenever prev
 * is enabled and no higher-priority CPU just became enabled - drops to
 * priority d-j, and the highest-priority enabled CPU is picked again.
 * The host's pick of the first CPU is not a choice: it has no running CPU
 * to preempt.  Several points drawn on the same choice all hit that same CPU (the
 * lowest value wins), so a run has at most d-1 priority changes and
 * therefore at most d-1 preemptions caused by them.
 */
static int choose_pct(struct chooser *c, const struct sim_ctl_decision *d)
{
	unsigned int depth = c->plan.pct_depth;
	int run = pct_highest(c, d);
	bool lowered = false;

	if (run < 0)	/* only CPUs beyond nr_cpus: not ours to rank */
		return strategy_default_choice(d);
	if (d->prev < 0 || count_enabled(d) < 2)
		return run;
	c->choices++;
	for (unsigned int j = 1; j < depth; j++) {
		if (c->change[j - 1] != c->choices)
			continue;
		if (c->prio[run] > depth - j)
			c->prio[run] = depth - j;
		lowered = true;
	}
	return lowered ? pct_highest(c, d) : run;
}

static void prefix_mismatch(struct chooser *c, const struct sim_ctl_decision *d, int cpu)
{
	size_t size = sizeof(c->error);
	size_t used;
	bool any = false;

	used = (size_t)snprintf(c->error, size,
				"schedule step %lu: CPU %d is not runnable (enabled: ",
				d->step, cpu);
	for (unsigned int i = 0; i < d->nr_cpus && used < size; i++) {
		if (!sim_ctl_is_enabled(d, (int)i))
			continue;
		used += (size_t)snprintf(c->error + used, size - used, "%s%u",
					 any ? "," : "", i);
		any = true;
	}
	if (used < size)
		snprintf(c->error + used, size - used, "%s)", any ? "" : "none");
}

static int choose_prefix(struct chooser *c, const struct sim_ctl_decision *d)
{
	int cpu;

	if (d->step >= c->plan.prefix_len)
		return strategy_default_choice(d);
	cpu = c->plan.prefix[d->step];
	if (sim_ctl_is_enabled(d, cpu))
		return cpu;
	if (c->plan.strict) {
		prefix_mismatch(c, d, cpu);
		return -1;
	}
	return strategy_default_choice(d);
}

int chooser_choose(void *chooser, const struct sim_ctl_decision *d)
{
	struct chooser *c = chooser;

	switch (c->plan.kind) {
	case PLAN_RANDOM:
		return choose_random(c, d);
	case PLAN_PCT:
		return choose_pct(c, d);
	case PLAN_PREFIX:
		return choose_prefix(c, d);
	}
	return -1;
}

/* --------------------------------------------------------------- strategy */

/*
 * DFS: iterative context bounding over stateless re-executions (CHESS).
 * The stack holds the decisions of the path being explored; each node
 * remembers which choices have been (or are being) explored below it.
 */
struct dfs_node {
	uint64_t enabled;
	uint64_t tried;			/* choices explored or skipped here */
	unsigned int preempts_before;	/* preemptions on the path above */
	int16_t prev;
	bool prev_enabled;
	bool below_deviation;		/* an earlier node left the default */
	uint16_t chosen;
	uint16_t dflt;			/* the default policy's choice here */
};

struct strategy {
	struct strategy_config cfg;	/* shard_count normalised to >= 1 */
	unsigned long handed;		/* plans handed out */
	/* random, pct */
	unsigned long next_slot;	/* i = shard_index + next_slot * shard_count */
	unsigned long pct_k;
	bool pct_k_known;
	/* dfs */
	struct dfs_node *nodes;
	size_t nr_nodes, cap_nodes;
	uint16_t *prefix;		/* the last plan's prefix (cap_nodes long) */
	size_t prefix_len;
	bool awaiting_feedback;
	bool exhausted;
	bool broken;			/* host OOM: stop, but not "exhausted" */
};

struct strategy *strategy_new(const struct strategy_config *cfg)
{
	struct strategy *s;

	if (!cfg->nr_cpus)
		return NULL;
	if (cfg->kind == STRATEGY_DFS && cfg->nr_cpus > 64)
		return NULL;
	if (cfg->kind == STRATEGY_PCT && !cfg->depth)
		return NULL;
	if (cfg->shard_count > 1 && cfg->shard_index >= cfg->shard_count)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (s->cfg.shard_count <= 1) {
		s->cfg.shard_count = 1;
		s->cfg.shard_index = 0;
	}
	s->pct_k = cfg->pct_k ? cfg->pct_k : PCT_K_UNKNOWN;
	s->pct_k_known = cfg->pct_k != 0;
	return s;
}

void strategy_free(struct strategy *s)
{
	if (!s)
		return;
	free(s->nodes);
	free(s->prefix);
	free(s);
}

static bool next_sampled(struct strategy *s, struct exec_plan *plan)
{
	unsigned long i = s->cfg.shard_index + s->next_slot * s->cfg.shard_count;

	if (s->cfg.runs && i >= s->cfg.runs)
		return false;
	s->next_slot++;
	memset(plan, 0, sizeof(*plan));
	plan->kind = s->cfg.kind == STRATEGY_PCT ? PLAN_PCT : PLAN_RANDOM;
	plan->index = i;
	plan->seed = exec_seed(s->cfg.seed, i);
	plan->pct_depth = s->cfg.depth;
	plan->pct_k = s->pct_k;
	plan->counted = true;
	return true;
}

static int dfs_reserve(struct strategy *s, size_t want)
{
	struct dfs_node *nodes;
	uint16_t *prefix;
	size_t cap;

	if (want <= s->cap_nodes)
		return 0;
	cap = s->cap_nodes ? s->cap_nodes : 256;
	while (cap < want)
		cap *= 2;
	nodes = realloc(s->nodes, cap * sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	s->nodes = nodes;
	prefix = realloc(s->prefix, cap * sizeof(*prefix));
	if (!prefix)
		return -ENOMEM;	/* nodes grew, cap_nodes did not: still consistent */
	s->prefix = prefix;
	s->cap_nodes = cap;
	return 0;
}

static int node_default(const struct strategy *s, const struct dfs_node *node,
			unsigned long step)
{
	struct sim_ctl_decision d = {
		.step = step,
		.prev = node->prev,
		.prev_enabled = node->prev_enabled,
		.nr_cpus = s->cfg.nr_cpus,
		.nr_enabled = (unsigned int)__builtin_popcountll(node->enabled),
		.enabled = &node->enabled,
	};

	return strategy_default_choice(&d);
}

static bool is_preemption(const struct dfs_node *node, unsigned int cpu)
{
	return node->prev_enabled && (int)cpu != node->prev;
}

/* Which shard explores the subtree whose first deviation is (@index, @cpu). */
static unsigned int deviation_shard(const struct strategy *s, size_t index, unsigned int cpu)
{
	return (unsigned int)(mix64(((uint64_t)index << 16 | cpu) + GOLDEN64) %
			      s->cfg.shard_count);
}

/*
 * Sharding argument.  Every execution but the default one has a unique
 * first deviation (m, c): the first decision m where its choice c differs
 * from the default policy, and all of its decisions before m are the
 * default execution's.  Every shard runs the default execution, so every
 * shard's stack starts out as the same default path and its nodes are the
 * candidates for top-level deviations.  An alternative c at a node m with
 * no deviation above it is exactly such a first deviation; the shard that
 * owns hash(m, c) explores that subtree, the others mark it tried and skip
 * it.  Everything below an owned deviation is explored in full, in the same
 * order and under the same preemption arithmetic as an unsharded run (both
 * depend only on the path).  So the shards' subtrees partition the
 * unsharded tree minus the default execution, which only shard 0 counts.
 */
static bool next_dfs(struct strategy *s, struct exec_plan *plan)
{
	uint64_t cpu_mask = s->cfg.nr_cpus >= 64 ? ~0ULL : (1ULL << s->cfg.nr_cpus) - 1;

	if (s->exhausted || s->broken)
		return false;
	if (s->cfg.runs && s->handed >= s->cfg.runs)
		return false;
	memset(plan, 0, sizeof(*plan));
	plan->kind = PLAN_PREFIX;
	plan->index = s->handed;
	plan->strict = false;
	if (!s->handed) {
		/* The default execution: every shard needs its path. */
		s->prefix_len = 0;
		plan->prefix = s->prefix;
		plan->counted = s->cfg.shard_index == 0;
		s->handed++;
		s->awaiting_feedback = true;
		return true;
	}
	for (size_t m = s->nr_nodes; m-- > 0;) {
		struct dfs_node *node = &s->nodes[m];
		uint64_t untried = node->enabled & ~node->tried & cpu_mask;

		while (untried) {
			unsigned int c = (unsigned int)__builtin_ctzll(untried);

			untried &= untried - 1;
			/* Never worth another look, explored or not. */
			node->tried |= 1ULL << c;
			if (node->preempts_before + is_preemption(node, c) > s->cfg.preemptions)
				continue;
			if (s->cfg.shard_count > 1 && !node->below_deviation &&
			    c != node->dflt && deviation_shard(s, m, c) != s->cfg.shard_index)
				continue;
			node->chosen = (uint16_t)c;
			s->nr_nodes = m + 1;
			for (size_t i = 0; i <= m; i++)
				s->prefix[i] = s->nodes[i].chosen;
			s->prefix_len = m + 1;
			plan->prefix = s->prefix;
			plan->prefix_len = s->prefix_len;
			plan->counted = true;
			s->handed++;
			s->awaiting_feedback = true;
			return true;
		}
	}
	s->nr_nodes = 0;
	s->exhausted = true;
	return false;
}

bool strategy_next(struct strategy *s, struct exec_plan *plan)
{
	if (s->cfg.kind == STRATEGY_DFS)
		return next_dfs(s, plan);
	if (!next_sampled(s, plan))
		return false;
	s->handed++;
	return true;
}

/*
 * Nodes [0, p) of the executed path are already on the stack (the last of
 * them with its new choice); append what the execution did after the
 * prefix.  Those decisions followed the default policy, so their chosen
 * CPU is the first choice tried there.
 */
static void feedback_dfs(struct strategy *s, const struct decision_rec *recs, size_t n)
{
	if (!s->awaiting_feedback)
		return;
	s->awaiting_feedback = false;
	if (n > s->nr_nodes && dfs_reserve(s, n)) {
		s->broken = true;
		return;
	}
	for (size_t i = s->nr_nodes; i < n; i++) {
		const struct decision_rec *r = &recs[i];
		struct dfs_node *node = &s->nodes[i];

		if (r->chosen >= s->cfg.nr_cpus || !(r->enabled >> r->chosen & 1))
			break;	/* not a decision we could have made: stop here */
		node->enabled = r->enabled;
		node->prev = r->prev;
		node->prev_enabled = r->prev_enabled;
		node->chosen = r->chosen;
		node->tried = 1ULL << r->chosen;
		node->dflt = (uint16_t)node_default(s, node, i);
		if (i) {
			const struct dfs_node *up = &s->nodes[i - 1];

			node->preempts_before = up->preempts_before +
						is_preemption(up, up->chosen);
			node->below_deviation = up->below_deviation ||
						up->chosen != up->dflt;
		} else {
			node->preempts_before = 0;
			node->below_deviation = false;
		}
		s->nr_nodes = i + 1;
	}
}

unsigned long strategy_count_choices(const struct decision_rec *recs, size_t n)
{
	unsigned long k = 0;

	for (size_t i = 0; i < n; i++)
		if (recs[i].prev >= 0 && __builtin_popcountll(recs[i].enabled) >= 2)
			k++;
	return k ? k : 1;
}

void strategy_feedback(struct strategy *s, const struct decision_rec *recs, size_t n)
{
	switch (s->cfg.kind) {
	case STRATEGY_DFS:
		feedback_dfs(s, recs, n);
		break;
	case STRATEGY_PCT:
	case STRATEGY_RANDOM:
		/* k is fixed by the first execution, so plans stay reproducible. */
		if (!s->pct_k_known) {
			s->pct_k = strategy_count_choices(recs, n);
			s->pct_k_known = true;
		}
		break;
	}
}

bool strategy_exhausted(const struct strategy *s)
{
	return s->cfg.kind == STRATEGY_DFS && s->exhausted;
}

static const char *const strategy_names[] = {
	[STRATEGY_RANDOM] = "random",
	[STRATEGY_PCT] = "pct",
	[STRATEGY_DFS] = "dfs",
};

const char *strategy_name(enum strategy_kind kind)
{
	if ((unsigned int)kind >= sizeof(strategy_names) / sizeof(strategy_names[0]))
		return "?";
	return strategy_names[kind];
}

int strategy_parse_name(const char *name, enum strategy_kind *out)
{
	for (unsigned int k = 0; k < sizeof(strategy_names) / sizeof(strategy_names[0]); k++) {
		if (!strcmp(name, strategy_names[k])) {
			*out = (enum strategy_kind)k;
			return 0;
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- shrink */

bool schedule_shrink_candidate(const struct schedule *s, size_t j, struct schedule *out)
{
	size_t seg = 0, start = 0, end;

	/* Find segment j's bounds [start, end). */
	while (start < s->len && seg < j) {
		size_t i = start;

		while (i < s->len && s->cpu[i] == s->cpu[start])
			i++;
		start = i;
		seg++;
	}
	if (start >= s->len)
		return false;
	end = start;
	while (end < s->len && s->cpu[end] == s->cpu[start])
		end++;

	/* Host OOM also ends the candidates: nothing smaller can be built. */
	if (schedule_copy(out, s))
		return false;
	memmove(out->cpu + start, out->cpu + end, (s->len - end) * sizeof(*out->cpu));
	out->len = s->len - (end - start);
	return true;
}
