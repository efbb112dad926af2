// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sim/strategy.c: the default policy, the random / PCT /
 * prefix choosers, the explorer-side strategies (random and PCT plans, DFS
 * under a preemption bound, DFS sharding) and schedule shrinking.
 *
 * The choosers are driven by a toy program instead of the controlled
 * backend: every CPU runs a fixed number of steps, and one CPU may wait
 * (be disabled) until CPU 0 has made progress.  A brute-force enumerator
 * of the toy's interleavings gives the exact set DFS has to visit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/strategy.h"

#define TOY_MAX_CPUS	8

/* ------------------------------------------------------------ fixtures */

static struct sim_ctl_decision make_decision(unsigned long step, int prev, bool prev_enabled,
					     unsigned int nr_cpus, const uint64_t *enabled)
{
	struct sim_ctl_decision d = {
		.step = step,
		.prev = prev,
		.prev_enabled = prev_enabled,
		.nr_cpus = nr_cpus,
		.nr_enabled = (unsigned int)__builtin_popcountll(*enabled),
		.enabled = enabled,
	};

	return d;
}

struct toy {
	unsigned int nr_cpus;
	unsigned int steps[TOY_MAX_CPUS];
	/* CPU gate_cpu (> 0, or -1: none) waits before its step gate_at until
	 * CPU 0 has done gate_need steps. */
	int gate_cpu;
	unsigned int gate_at, gate_need;
};

struct toy_state {
	unsigned int done[TOY_MAX_CPUS];
	int prev;
	unsigned long step;
};

static bool toy_cpu_enabled(const struct toy *t, const struct toy_state *st, unsigned int cpu)
{
	if (st->done[cpu] >= t->steps[cpu])
		return false;
	if ((int)cpu == t->gate_cpu && st->done[cpu] == t->gate_at &&
	    st->done[0] < t->gate_need)
		return false;
	return true;
}

static uint64_t toy_enabled(const struct toy *t, const struct toy_state *st)
{
	uint64_t mask = 0;

	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++)
		if (toy_cpu_enabled(t, st, cpu))
			mask |= 1ULL << cpu;
	return mask;
}

static bool toy_prev_enabled(const struct toy *t, const struct toy_state *st)
{
	return st->prev >= 0 && toy_cpu_enabled(t, st, (unsigned int)st->prev);
}

/*
 * Run the toy under @c until every CPU finished, recording the decisions.
 * Returns 0, or -1 when the chooser aborted.
 */
static int toy_run(const struct toy *t, struct chooser *c, struct schedule *sched,
		   struct decision_rec *recs, size_t *nr_recs)
{
	struct toy_state st = { .prev = -1 };
	uint64_t enabled;

	schedule_reset(sched);
	*nr_recs = 0;
	while ((enabled = toy_enabled(t, &st))) {
		bool prev_enabled = toy_prev_enabled(t, &st);
		struct sim_ctl_decision d = make_decision(st.step, st.prev, prev_enabled,
							  t->nr_cpus, &enabled);
		int cpu = chooser_choose(c, &d);

		if (cpu < 0)
			return -1;
		assert_true(enabled >> cpu & 1);
		if (recs) {
			recs[*nr_recs] = (struct decision_rec) {
				.chosen = (uint16_t)cpu,
				.prev = (int16_t)st.prev,
				.prev_enabled = prev_enabled,
				.enabled = enabled,
			};
		}
		(*nr_recs)++;
		assert_int_equal(schedule_push(sched, cpu), 0);
		st.done[cpu]++;
		st.prev = cpu;
		st.step++;
	}
	return 0;
}

static size_t toy_total_steps(const struct toy *t)
{
	size_t n = 0;

	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++)
		n += t->steps[cpu];
	return n;
}

/* Preemptions of a toy schedule: switches away from a CPU that could go on. */
static unsigned int toy_preemptions(const struct toy *t, const struct schedule *s)
{
	struct toy_state st = { .prev = -1 };
	unsigned int n = 0;

	for (size_t i = 0; i < s->len; i++) {
		if (toy_prev_enabled(t, &st) && s->cpu[i] != st.prev)
			n++;
		st.done[s->cpu[i]]++;
		st.prev = s->cpu[i];
	}
	return n;
}

/* A set of schedule hashes. */
struct hash_set {
	uint64_t *h;
	size_t len, cap;
};

static bool hash_set_has(const struct hash_set *set, uint64_t h)
{
	for (size_t i = 0; i < set->len; i++)
		if (set->h[i] == h)
			return true;
	return false;
}

static void hash_set_add(struct hash_set *set, uint64_t h)
{
	if (set->len == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 64;
		set->h = realloc(set->h, set->cap * sizeof(*set->h));
		assert_non_null(set->h);
	}
	set->h[set->len++] = h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void assert_same_sets(struct hash_set *a, struct hash_set *b)
{
	assert_int_equal(a->len, b->len);
	qsort(a->h, a->len, sizeof(*a->h), cmp_u64);
	qsort(b->h, b->len, sizeof(*b->h), cmp_u64);
	if (a->len)
		assert_memory_equal(a->h, b->h, a->len * sizeof(*a->h));
}

/* Every complete interleaving of @t with at most @bound preemptions. */
static void enumerate(const struct toy *t, struct toy_state *st, unsigned int preempts,
		      unsigned int bound, struct schedule *path, struct hash_set *out)
{
	uint64_t enabled = toy_enabled(t, st);
	bool prev_enabled = toy_prev_enabled(t, st);

	if (!enabled) {
		hash_set_add(out, schedule_hash(path));
		return;
	}
	for (unsigned int cpu = 0; cpu < t->nr_cpus; cpu++) {
		unsigned int cost = prev_enabled && (int)cpu != st->prev;
		struct toy_state next = *st;

		if (!(enabled >> cpu & 1) || preempts + cost > bound)
			continue;
		next.done[cpu]++;
		next.prev = (int)cpu;
		next.step++;
		assert_int_equal(schedule_push(path, (int)cpu), 0);
		enumerate(t, &next, preempts + cost, bound, path, out);
		path->len--;
	}
}

static void enumerate_all(const struct toy *t, unsigned int bound, struct hash_set *out)
{
	struct toy_state st = { .prev = -1 };
	struct schedule path = { 0 };

	enumerate(t, &st, 0, bound, &path, out);
	schedule_free(&path);
}

/*
 * Drive a strategy over the toy: plan -> chooser -> run -> feedback.
 * Counted schedules go to @counted (asserting each appears once); returns
 * the number of plans handed out.
 */
static unsigned long explore(const struct toy *t, const struct strategy_config *cfg,
			     struct hash_set *counted, bool *exhausted)
{
	size_t cap = toy_total_steps(t);
	struct decision_rec *recs = calloc(cap, sizeof(*recs));
	struct schedule sched = { 0 };
	struct strategy *s = strategy_new(cfg);
	struct exec_plan plan;
	unsigned long plans = 0;

	assert_non_null(recs);
	assert_non_null(s);
	while (strategy_next(s, &plan)) {
		struct chooser *c = chooser_new(&plan, t->nr_cpus);
		size_t n;

		assert_non_null(c);
		assert_int_equal(plan.kind, PLAN_PREFIX);
		assert_int_equal(plan.index, plans);
		assert_int_equal(toy_run(t, c, &sched, recs, &n), 0);
		assert_int_equal(n, cap);
		assert_true(toy_preemptions(t, &sched) <= cfg->preemptions);
		/* The execution follows its prefix exactly. */
		if (plan.prefix_len)
			assert_memory_equal(plan.prefix, sched.cpu,
					    plan.prefix_len * sizeof(*plan.prefix));
		if (plan.counted) {
			uint64_t h = schedule_hash(&sched);

			assert_false(hash_set_has(counted, h));
			hash_set_add(counted, h);
		}
		strategy_feedback(s, recs, n);
		chooser_free(c);
		plans++;
		assert_true(plans < 100000);
	}
	*exhausted = strategy_exhausted(s);
	strategy_free(s);
	schedule_free(&sched);
	free(recs);
	return plans;
}

static struct strategy_config dfs_config(unsigned int nr_cpus, unsigned int bound)
{
	struct strategy_config cfg = {
		.kind = STRATEGY_DFS,
		.seed = 1,
		.depth = 3,
		.preemptions = bound,
		.nr_cpus = nr_cpus,
	};

	return cfg;
}

static struct chooser *sampled_chooser(enum plan_kind kind, uint64_t seed, unsigned int depth,
				       unsigned long k, unsigned int nr_cpus)
{
	struct exec_plan plan = {
		.kind = kind,
		.seed = seed,
		.pct_depth = depth,
		.pct_k = k,
		.counted = true,
	};
	struct chooser *c = chooser_new(&plan, nr_cpus);

	assert_non_null(c);
	return c;
}

/* The toy schedule a sampled plan produces. */
static void sampled_run(const struct toy *t, enum plan_kind kind, uint64_t seed,
			unsigned int depth, struct schedule *out)
{
	struct chooser *c = sampled_chooser(kind, seed, depth, toy_total_steps(t), t->nr_cpus);
	size_t n;

	assert_int_equal(toy_run(t, c, out, NULL, &n), 0);
	assert_int_equal(n, toy_total_steps(t));
	chooser_free(c);
}

static const struct toy toy_2x2 = { .nr_cpus = 2, .steps = { 2, 2 }, .gate_cpu = -1 };
static const struct toy toy_2x3 = { .nr_cpus = 2, .steps = { 3, 3 }, .gate_cpu = -1 };
static const struct toy toy_3x2 = { .nr_cpus = 3, .steps = { 2, 2, 2 }, .gate_cpu = -1 };
static const struct toy toy_uneven = { .nr_cpus = 3, .steps = { 3, 1, 2 }, .gate_cpu = -1 };
/* CPU 2 blocks before its 2nd step until CPU 0 has done 2 steps. */
static const struct toy toy_gated = {
	.nr_cpus = 3, .steps = { 3, 2, 2 }, .gate_cpu = 2, .gate_at = 1, .gate_need = 2,
};
static const struct toy toy_4x5 = { .nr_cpus = 4, .steps = { 5, 5, 5, 5 }, .gate_cpu = -1 };

/* ------------------------------------------------------- default policy */

static void test_default_choice_keeps_running_an_enabled_prev(void **state)
{
	uint64_t enabled = 0x0b;	/* CPUs 0, 1, 3 */
	struct sim_ctl_decision d = make_decision(5, 1, true, 4, &enabled);

	(void)state;
	assert_int_equal(strategy_default_choice(&d), 1);
}

static void test_default_choice_takes_the_next_enabled_cpu_above_prev_wrapping(void **state)
{
	uint64_t enabled = 0x0b;	/* CPUs 0, 1, 3 */
	struct sim_ctl_decision d = make_decision(5, 1, false, 4, &enabled);

	(void)state;
	assert_int_equal(strategy_default_choice(&d), 3);
	d.prev = 3;
	assert_int_equal(strategy_default_choice(&d), 0);
	enabled = 0x02;
	d.nr_enabled = 1;
	assert_int_equal(strategy_default_choice(&d), 1);
}

static void test_default_choice_starts_with_the_lowest_enabled_cpu(void **state)
{
	uint64_t enabled = 0x0c;
	struct sim_ctl_decision d = make_decision(0, -1, false, 4, &enabled);

	(void)state;
	assert_int_equal(strategy_default_choice(&d), 2);
}

/* --------------------------------------------------------------- random */

static void test_random_chooser_picks_only_enabled_cpus_and_all_of_them(void **state)
{
	uint64_t enabled = 0x16;	/* CPUs 1, 2, 4 */
	struct sim_ctl_decision d = make_decision(0, 1, true, 5, &enabled);
	unsigned int seen[5] = { 0 };

	(void)state;
	for (uint64_t seed = 0; seed < 20; seed++) {
		struct chooser *c = sampled_chooser(PLAN_RANDOM, seed, 0, 0, 5);

		for (int i = 0; i < 50; i++) {
			int cpu = chooser_choose(c, &d);

			assert_true(cpu >= 0 && cpu < 5);
			assert_true(enabled >> cpu & 1);
			seen[cpu]++;
			d.step++;
		}
		chooser_free(c);
	}
	assert_int_equal(seen[0] + seen[3], 0);
	assert_true(seen[1] > 200 && seen[2] > 200 && seen[4] > 200);
}

static void test_random_chooser_is_deterministic_per_seed(void **state)
{
	struct schedule a = { 0 }, b = { 0 };

	(void)state;
	sampled_run(&toy_4x5, PLAN_RANDOM, 42, 0, &a);
	sampled_run(&toy_4x5, PLAN_RANDOM, 42, 0, &b);
	assert_int_equal(schedule_hash(&a), schedule_hash(&b));
	sampled_run(&toy_4x5, PLAN_RANDOM, 43, 0, &b);
	assert_int_not_equal(schedule_hash(&a), schedule_hash(&b));
	schedule_free(&a);
	schedule_free(&b);
}

/* ------------------------------------------------------------------ PCT */

static void test_pct_with_depth_1_never_preempts_and_runs_cpus_in_priority_order(void **state)
{
	struct schedule s = { 0 };
	unsigned int first_cpu_seen = 0;

	(void)state;
	for (uint64_t seed = 0; seed < 64; seed++) {
		sampled_run(&toy_4x5, PLAN_PCT, seed, 1, &s);
		assert_int_equal(toy_preemptions(&toy_4x5, &s), 0);
		/* Each CPU runs to completion, one after the other. */
		assert_int_equal(schedule_switches(&s), 3);
		first_cpu_seen |= 1u << s.cpu[0];
	}
	/* The priority order itself is random. */
	assert_int_equal(first_cpu_seen, 0xf);
	schedule_free(&s);
}

static void test_pct_with_depth_d_preempts_at_most_d_minus_1_times(void **state)
{
	struct schedule s = { 0 };
	unsigned int most = 0;

	(void)state;
	for (uint64_t seed = 0; seed < 200; seed++) {
		unsigned int p;

		sampled_run(&toy_4x5, PLAN_PCT, seed, 3, &s);
		p = toy_preemptions(&toy_4x5, &s);
		assert_true(p <= 2);
		if (p > most)
			most = p;
	}
	assert_int_equal(most, 2);
	schedule_free(&s);
}

static void test_pct_is_deterministic_per_seed_and_differs_across_seeds(void **state)
{
	struct schedule a = { 0 }, b = { 0 };
	struct hash_set distinct = { 0 };

	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		sampled_run(&toy_4x5, PLAN_PCT, seed, 3, &a);
		sampled_run(&toy_4x5, PLAN_PCT, seed, 3, &b);
		assert_int_equal(schedule_hash(&a), schedule_hash(&b));
		if (!hash_set_has(&distinct, schedule_hash(&a)))
			hash_set_add(&distinct, schedule_hash(&a));
	}
	assert_true(distinct.len >= 6);
	sampled_run(&toy_4x5, PLAN_PCT, 1, 3, &a);
	sampled_run(&toy_4x5, PLAN_PCT, 2, 3, &b);
	assert_int_not_equal(schedule_hash(&a), schedule_hash(&b));
	free(distinct.h);
	schedule_free(&a);
	schedule_free(&b);
}

static void test_pct_change_point_hands_over_to_the_next_priority(void **state)
{
	/*
	 * Depth 2, k = 1: the one change point is decision 1, so the CPU that
	 * took decision 0 is preempted right after its first step.
	 */
	struct schedule s = { 0 };

	(void)state;
	for (uint64_t seed = 0; seed < 16; seed++) {
		struct chooser *c = sampled_chooser(PLAN_PCT, seed, 2, 1, 2);
		size_t n;

		assert_int_equal(toy_run(&toy_2x3, c, &s, NULL, &n), 0);
		assert_int_not_equal(s.cpu[0], s.cpu[1]);
		assert_int_equal(toy_preemptions(&toy_2x3, &s), 1);
		assert_int_equal(schedule_switches(&s), 2);
		chooser_free(c);
	}
	schedule_free(&s);
}

/* --------------------------------------------------------------- prefix */

static void test_prefix_chooser_follows_the_prefix_then_the_default(void **state)
{
	static const uint16_t prefix[] = { 1, 0, 1 };
	struct exec_plan plan = {
		.kind = PLAN_PREFIX, .prefix = prefix, .prefix_len = 3, .strict = true,
	};
	struct chooser *c = chooser_new(&plan, 2);
	struct schedule s = { 0 };
	char *str;
	size_t n;

	(void)state;
	assert_non_null(c);
	assert_int_equal(toy_run(&toy_2x3, c, &s, NULL, &n), 0);
	str = schedule_format(&s);
	/* After the prefix CPU 1 keeps going (default), then CPU 0 finishes. */
	assert_string_equal(str, "1:1,0:1,1:2,0:2");
	assert_string_equal(chooser_error(c), "");
	free(str);
	chooser_free(c);
	schedule_free(&s);
}

static void test_prefix_strict_mismatch_returns_minus_1_with_the_reason(void **state)
{
	static const uint16_t prefix[] = { 0, 2 };
	struct exec_plan plan = {
		.kind = PLAN_PREFIX, .prefix = prefix, .prefix_len = 2, .strict = true,
	};
	struct chooser *c = chooser_new(&plan, 4);
	uint64_t enabled = 0x0f;
	struct sim_ctl_decision d = make_decision(0, -1, false, 4, &enabled);

	(void)state;
	assert_non_null(c);
	assert_int_equal(chooser_choose(c, &d), 0);
	enabled = 0x09;		/* CPU 2 blocked: 0 and 3 may run */
	d = make_decision(1, 0, true, 4, &enabled);
	assert_int_equal(chooser_choose(c, &d), -1);
	assert_string_equal(chooser_error(c),
			    "schedule step 1: CPU 2 is not runnable (enabled: 0,3)");
	chooser_free(c);
}

static void test_prefix_strict_mismatch_names_an_empty_enabled_set(void **state)
{
	static const uint16_t prefix[] = { 7 };
	struct exec_plan plan = {
		.kind = PLAN_PREFIX, .prefix = prefix, .prefix_len = 1, .strict = true,
	};
	struct chooser *c = chooser_new(&plan, 2);
	uint64_t enabled = 0;
	struct sim_ctl_decision d = make_decision(0, -1, false, 2, &enabled);

	(void)state;
	assert_int_equal(chooser_choose(c, &d), -1);
	assert_string_equal(chooser_error(c),
			    "schedule step 0: CPU 7 is not runnable (enabled: none)");
	chooser_free(c);
}

static void test_prefix_lenient_mismatch_falls_back_to_the_default(void **state)
{
	static const uint16_t prefix[] = { 0, 2, 2 };
	struct exec_plan plan = {
		.kind = PLAN_PREFIX, .prefix = prefix, .prefix_len = 3, .strict = false,
	};
	struct chooser *c = chooser_new(&plan, 4);
	uint64_t enabled = 0x0b;	/* 0, 1, 3 */
	struct sim_ctl_decision d = make_decision(1, 0, false, 4, &enabled);

	(void)state;
	assert_int_equal(chooser_choose(c, &d), 1);
	d.prev_enabled = true;
	d.step = 2;
	assert_int_equal(chooser_choose(c, &d), 0);
	assert_string_equal(chooser_error(c), "");
	chooser_free(c);
}

/* ------------------------------------------------------ random/pct plans */

static void test_random_strategy_hands_out_runs_plans_with_mixed_seeds(void **state)
{
	struct strategy_config cfg = {
		.kind = STRATEGY_RANDOM, .seed = 7, .runs = 5, .nr_cpus = 4,
	};
	struct strategy *s = strategy_new(&cfg);
	struct exec_plan plan;
	uint64_t seeds[5];

	(void)state;
	assert_non_null(s);
	for (unsigned long i = 0; i < 5; i++) {
		assert_true(strategy_next(s, &plan));
		assert_int_equal(plan.kind, PLAN_RANDOM);
		assert_int_equal(plan.index, i);
		assert_true(plan.counted);
		seeds[i] = plan.seed;
		for (unsigned long j = 0; j < i; j++)
			assert_int_not_equal(seeds[j], seeds[i]);
	}
	assert_false(strategy_next(s, &plan));
	assert_false(strategy_exhausted(s));
	strategy_free(s);
}

static void test_random_strategy_shards_by_index_with_the_same_seeds(void **state)
{
	struct strategy_config cfg = {
		.kind = STRATEGY_RANDOM, .seed = 7, .runs = 10, .nr_cpus = 4,
	};
	struct strategy *whole = strategy_new(&cfg), *shard;
	struct exec_plan plan;
	uint64_t seeds[10];

	(void)state;
	for (unsigned long i = 0; i < 10; i++) {
		assert_true(strategy_next(whole, &plan));
		seeds[i] = plan.seed;
	}
	cfg.shard_index = 1;
	cfg.shard_count = 3;
	shard = strategy_new(&cfg);
	assert_non_null(shard);
	for (unsigned long i = 1; i < 10; i += 3) {
		assert_true(strategy_next(shard, &plan));
		assert_int_equal(plan.index, i);
		assert_int_equal(plan.seed, seeds[i]);
	}
	assert_false(strategy_next(shard, &plan));
	strategy_free(whole);
	strategy_free(shard);
}

static void test_pct_strategy_takes_k_from_the_first_execution_only(void **state)
{
	struct strategy_config cfg = {
		.kind = STRATEGY_PCT, .seed = 3, .runs = 4, .depth = 3, .nr_cpus = 2,
	};
	struct strategy *s = strategy_new(&cfg);
	struct decision_rec recs[50];
	struct exec_plan plan;

	(void)state;
	/* k counts choices: decisions after the start with two CPUs enabled */
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++)
		recs[i] = (struct decision_rec){ .chosen = 0, .prev = i ? 0 : -1,
						 .prev_enabled = 1, .enabled = 3 };
	recs[5].enabled = 1;
	assert_true(strategy_next(s, &plan));
	assert_int_equal(plan.kind, PLAN_PCT);
	assert_int_equal(plan.pct_depth, 3);
	assert_int_equal(plan.pct_k, 1000);
	assert_true(plan.counted);
	strategy_feedback(s, recs, 37);
	assert_true(strategy_next(s, &plan));
	assert_int_equal(plan.pct_k, 35);
	strategy_feedback(s, recs, 50);
	assert_true(strategy_next(s, &plan));
	assert_int_equal(plan.pct_k, 35);
	strategy_free(s);
}

static void test_strategy_new_rejects_impossible_configs(void **state)
{
	struct strategy_config cfg = dfs_config(65, 2);
	struct strategy *s;

	(void)state;
	assert_null(strategy_new(&cfg));
	cfg.nr_cpus = 64;
	s = strategy_new(&cfg);
	assert_non_null(s);
	strategy_free(s);
	cfg.nr_cpus = 0;
	assert_null(strategy_new(&cfg));
	cfg.nr_cpus = 4;
	cfg.shard_count = 3;
	cfg.shard_index = 3;
	assert_null(strategy_new(&cfg));
	cfg = (struct strategy_config) { .kind = STRATEGY_PCT, .nr_cpus = 4, .depth = 0 };
	assert_null(strategy_new(&cfg));
	/* Only DFS keeps 64-bit enabled masks. */
	cfg.kind = STRATEGY_RANDOM;
	cfg.nr_cpus = 100;
	s = strategy_new(&cfg);
	assert_non_null(s);
	strategy_free(s);
}

static void test_strategy_names_round_trip_case_sensitively(void **state)
{
	static const enum strategy_kind kinds[] = { STRATEGY_RANDOM, STRATEGY_PCT, STRATEGY_DFS };
	enum strategy_kind k;

	(void)state;
	assert_string_equal(strategy_name(STRATEGY_RANDOM), "random");
	assert_string_equal(strategy_name(STRATEGY_PCT), "pct");
	assert_string_equal(strategy_name(STRATEGY_DFS), "dfs");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(strategy_parse_name(strategy_name(kinds[i]), &k), 0);
		assert_int_equal(k, kinds[i]);
	}
	assert_int_equal(strategy_parse_name("DFS", &k), -1);
	assert_int_equal(strategy_parse_name("", &k), -1);
	assert_int_equal(strategy_parse_name("pcts", &k), -1);
}

/* ------------------------------------------------------------------ DFS */

static void test_dfs_first_plan_is_the_default_execution(void **state)
{
	struct strategy_config cfg = dfs_config(2, 2);
	struct strategy *s = strategy_new(&cfg);
	struct exec_plan plan;

	(void)state;
	assert_true(strategy_next(s, &plan));
	assert_int_equal(plan.kind, PLAN_PREFIX);
	assert_int_equal(plan.prefix_len, 0);
	assert_true(plan.counted);
	assert_false(strategy_exhausted(s));
	strategy_free(s);
}

static void test_dfs_with_bound_0_on_two_cpus_runs_each_cpu_first_once(void **state)
{
	struct strategy_config cfg = dfs_config(2, 0);
	struct hash_set seen = { 0 };
	bool exhausted;

	(void)state;
	/* Only the free first pick varies: "0:2,1:2" and "1:2,0:2". */
	assert_int_equal(explore(&toy_2x2, &cfg, &seen, &exhausted), 2);
	assert_int_equal(seen.len, 2);
	assert_true(exhausted);
	free(seen.h);
}

static void test_dfs_visits_exactly_the_schedules_within_the_bound(void **state)
{
	const struct toy *toys[] = { &toy_2x2, &toy_2x3, &toy_3x2, &toy_uneven, &toy_gated };

	(void)state;
	for (size_t t = 0; t < sizeof(toys) / sizeof(toys[0]); t++) {
		for (unsigned int bound = 0; bound <= 4; bound++) {
			struct strategy_config cfg = dfs_config(toys[t]->nr_cpus, bound);
			struct hash_set want = { 0 }, got = { 0 };
			unsigned long plans;
			bool exhausted;

			enumerate_all(toys[t], bound, &want);
			plans = explore(toys[t], &cfg, &got, &exhausted);
			assert_true(exhausted);
			assert_int_equal(plans, want.len);
			assert_same_sets(&want, &got);
			free(want.h);
			free(got.h);
		}
	}
}

static void test_dfs_with_a_large_bound_visits_every_interleaving(void **state)
{
	struct strategy_config cfg = dfs_config(3, 100);
	struct hash_set got = { 0 };
	bool exhausted;

	(void)state;
	/* 6! / (2! 2! 2!) interleavings of three CPUs with two steps each. */
	assert_int_equal(explore(&toy_3x2, &cfg, &got, &exhausted), 90);
	assert_true(exhausted);
	free(got.h);
}

static void test_dfs_stops_after_runs_plans_without_being_exhausted(void **state)
{
	struct strategy_config cfg = dfs_config(3, 2);
	struct hash_set got = { 0 };
	bool exhausted;

	(void)state;
	cfg.runs = 4;
	assert_int_equal(explore(&toy_3x2, &cfg, &got, &exhausted), 4);
	assert_false(exhausted);
	free(got.h);
}

static void test_dfs_shards_partition_the_unsharded_tree(void **state)
{
	const struct toy *toys[] = { &toy_3x2, &toy_gated, &toy_4x5 };

	(void)state;
	for (size_t t = 0; t < sizeof(toys) / sizeof(toys[0]); t++) {
		unsigned int bound = toys[t] == &toy_4x5 ? 1 : 2;
		struct strategy_config cfg = dfs_config(toys[t]->nr_cpus, bound);
		struct hash_set whole = { 0 }, united = { 0 };
		unsigned long nonempty = 0;
		bool exhausted;

		explore(toys[t], &cfg, &whole, &exhausted);
		assert_true(exhausted);
		cfg.shard_count = 3;
		for (cfg.shard_index = 0; cfg.shard_index < 3; cfg.shard_index++) {
			size_t before = united.len;

			/* explore() asserts no duplicates within @united. */
			explore(toys[t], &cfg, &united, &exhausted);
			assert_true(exhausted);
			nonempty += united.len > before + (cfg.shard_index == 0);
		}
		assert_same_sets(&whole, &united);
		/* The work is actually spread, not all in one shard. */
		assert_true(nonempty >= 2);
		free(whole.h);
		free(united.h);
	}
}

static void test_dfs_shards_rerun_the_default_execution_uncounted(void **state)
{
	struct strategy_config cfg = dfs_config(2, 1);
	struct exec_plan plan;

	(void)state;
	cfg.shard_count = 3;
	for (cfg.shard_index = 0; cfg.shard_index < 3; cfg.shard_index++) {
		struct strategy *s = strategy_new(&cfg);

		assert_true(strategy_next(s, &plan));
		assert_int_equal(plan.prefix_len, 0);
		assert_int_equal(plan.counted, cfg.shard_index == 0);
		strategy_free(s);
	}
}

/* --------------------------------------------------------------- shrink */

static void test_shrink_candidates_drop_one_segment_each(void **state)
{
	static const char *const want[] = { "1:2,0:4", "0:7", "0:3,1:2" };
	struct schedule s = { 0 }, out = { 0 };

	(void)state;
	assert_int_equal(schedule_parse("0:3,1:2,0:4", 0, &s, NULL, 0), 0);
	for (size_t j = 0; j < 3; j++) {
		char *str;

		assert_true(schedule_shrink_candidate(&s, j, &out));
		str = schedule_format(&out);
		assert_string_equal(str, want[j]);
		assert_true(schedule_switches(&out) < schedule_switches(&s));
		free(str);
	}
	assert_false(schedule_shrink_candidate(&s, 3, &out));
	assert_false(schedule_shrink_candidate(&s, 100, &out));
	schedule_free(&s);
	schedule_free(&out);
}

static void test_shrink_candidates_reduce_switches_of_longer_schedules(void **state)
{
	struct schedule s = { 0 }, out = { 0 };
	size_t j = 0;

	(void)state;
	assert_int_equal(schedule_parse("0:5,1:3,2:2,1:4,0:1,2:6", 3, &s, NULL, 0), 0);
	while (schedule_shrink_candidate(&s, j, &out)) {
		assert_true(schedule_switches(&out) < schedule_switches(&s));
		assert_true(out.len < s.len);
		j++;
	}
	assert_int_equal(j, schedule_switches(&s) + 1);
	/* An empty schedule has no candidates. */
	schedule_reset(&s);
	assert_false(schedule_shrink_candidate(&s, 0, &out));
	schedule_free(&s);
	schedule_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_choice_keeps_running_an_enabled_prev),
		cmocka_unit_test(test_default_choice_takes_the_next_enabled_cpu_above_prev_wrapping),
		cmocka_unit_test(test_default_choice_starts_with_the_lowest_enabled_cpu),
		cmocka_unit_test(test_random_chooser_picks_only_enabled_cpus_and_all_of_them),
		cmocka_unit_test(test_random_chooser_is_deterministic_per_seed),
		cmocka_unit_test(test_pct_with_depth_1_never_preempts_and_runs_cpus_in_priority_order),
		cmocka_unit_test(test_pct_with_depth_d_preempts_at_most_d_minus_1_times),
		cmocka_unit_test(test_pct_is_deterministic_per_seed_and_differs_across_seeds),
		cmocka_unit_test(test_pct_change_point_hands_over_to_the_next_priority),
		cmocka_unit_test(test_prefix_chooser_follows_the_prefix_then_the_default),
		cmocka_unit_test(test_prefix_strict_mismatch_returns_minus_1_with_the_reason),
		cmocka_unit_test(test_prefix_strict_mismatch_names_an_empty_enabled_set),
		cmocka_unit_test(test_prefix_lenient_mismatch_falls_back_to_the_default),
		cmocka_unit_test(test_random_strategy_hands_out_runs_plans_with_mixed_seeds),
		cmocka_unit_test(test_random_strategy_shards_by_index_with_the_same_seeds),
		cmocka_unit_test(test_pct_strategy_takes_k_from_the_first_execution_only),
		cmocka_unit_test(test_strategy_new_rejects_impossible_configs),
		cmocka_unit_test(test_strategy_names_round_trip_case_sensitively),
		cmocka_unit_test(test_dfs_first_plan_is_the_default_execution),
		cmocka_unit_test(test_dfs_with_bound_0_on_two_cpus_runs_each_cpu_first_once),
		cmocka_unit_test(test_dfs_visits_exactly_the_schedules_within_the_bound),
		cmocka_unit_test(test_dfs_with_a_large_bound_visits_every_interleaving),
		cmocka_unit_test(test_dfs_stops_after_runs_plans_without_being_exhausted),
		cmocka_unit_test(test_dfs_shards_partition_the_unsharded_tree),
		cmocka_unit_test(test_dfs_shards_rerun_the_default_execution_uncounted),
		cmocka_unit_test(test_shrink_candidates_drop_one_segment_each),
		cmocka_unit_test(test_shrink_candidates_reduce_switches_of_longer_schedules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
