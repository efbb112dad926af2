// SPDX-License-Identifier: GPL-2.0
/*
 * The boot model (§2.6 timing).
 *
 * EARLY mode:    CPU0 makes every pre-page_ext allocation (slab bootstrap,
 *                per-CPU areas and stacks for all possible CPUs), runs
 *                page_ext_init(), then brings up the other CPUs, which
 *                allocate with page_ext present.
 * DEFERRED mode: CPU0 makes the boot allocations, brings up the others (each
 *                allocates its own per-CPU data and stacks), then runs
 *                page_ext_init() from page_alloc_init_late() while the others
 *                keep allocating (and, if asked, freeing).
 * Both:          when CLEAR is done, the host thread counts live pages left
 *                with a NULL slot, then every CPU frees what it holds.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/core/array.h"
#include "sim/core/printk.h"
#include "sim/core/random.h"
#include "sim/core/sched.h"
#include "sim/core/event.h"
#include "alloc/alloc_pages.h"
#include "boot.h"
#include "trace_record.h"

/* Orders of all traced allocations (traces/README.md). */
static const unsigned int order_weights[] = { 2814, 244, 93, 80, 6, 5, 9, 4, 3 };

struct held_block {
	struct page *page;
	unsigned int order;
};

struct held_list {
	struct held_block *v;
	size_t n, cap;
};

struct cpu_state {
	struct boot *boot;
	int cpu;
	struct sim_rng rng;
	struct held_list early;		/* allocated before page_ext_init() */
	struct held_list churn;		/* allocated while it runs, or after */
	long allocs, frees, failures, early_freed_in_window;
};

struct boot {
	const struct boot_options *opt;
	struct cpu_state *cpus;
	struct sim_event smp_go;		/* secondaries may start */
	struct sim_event online;		/* secondaries done with bring-up */
	struct sim_event walk_started;	/* page_ext_init() entered */
	struct sim_event page_ext_done;	/* CLEAR has run */
	struct sim_event quiesced;		/* CPUs done with boot work */
	struct sim_event late_free;		/* snapshot taken */
	struct unstamped_count unstamped;	/* the snapshot */
	long allocs_before_page_ext_init;
};

static void held_push(struct held_list *l, struct page *page, unsigned int order)
{
	if (!array_reserve(&l->v, &l->cap, l->n, sizeof(*l->v), 64))
		abort();	/* host out of memory: internal error */
	l->v[l->n++] = (struct held_block){ page, order };
}

static struct held_block held_take(struct held_list *l, size_t i)
{
	struct held_block b = l->v[i];

	l->v[i] = l->v[--l->n];
	return b;
}

static unsigned int pick_order(struct sim_rng *rng)
{
	unsigned int total = 0, r;

	for (size_t i = 0; i < ARRAY_SIZE(order_weights); i++)
		total += order_weights[i];
	r = (unsigned int)sim_rng_below(rng, total);
	for (unsigned int i = 0; i < ARRAY_SIZE(order_weights); i++) {
		if (r < order_weights[i])
			return i;
		r -= order_weights[i];
	}
	return 0;
}

static void note_alloc(struct cpu_state *cs, struct held_list *l, struct page *page,
		       unsigned int order)
{
	if (!page) {
		cs->failures++;
		return;
	}
	/* CPU0 reads every CPU's count when page_ext_init() starts */
	__atomic_fetch_add(&cs->allocs, 1, __ATOMIC_RELAXED);
	held_push(l, page, order);
}

/* Each function below is one allocation call site, hence one tag. */

static void allocate_slab(struct cpu_state *cs, struct held_list *l)
{
	unsigned int order = pick_order(&cs->rng);
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY |
					__GFP_COMP, order);

	note_alloc(cs, l, page, order);
}

static void pcpu_populate_chunk(struct cpu_state *cs, struct held_list *l)
{
	unsigned int order = sim_rng_below(&cs->rng, 8) ? 0 : 1;
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);

	note_alloc(cs, l, page, order);
}

static void alloc_thread_stack_node(struct cpu_state *cs, struct held_list *l)
{
	unsigned int nr = cs->boot->opt->wl.stack_pages;
	struct page *pages[64] = { NULL };
	unsigned long got;

	if (nr > ARRAY_SIZE(pages))
		nr = ARRAY_SIZE(pages);
	got = alloc_pages_bulk(GFP_KERNEL_ACCOUNT | __GFP_ZERO, nr, pages);
	for (unsigned int i = 0; i < nr; i++)
		if (pages[i])
			note_alloc(cs, l, pages[i], 0);
	if (got < nr)
		cs->failures++;
}

static void kworker_alloc(struct cpu_state *cs)
{
	unsigned int order = pick_order(&cs->rng) & 3;
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_COMP, order);

	note_alloc(cs, &cs->churn, page, order);
}

static void free_block(struct cpu_state *cs, struct held_block b)
{
	__free_pages(b.page, b.order);
	cs->frees++;
}

/* Per-CPU share of the linear per-CPU term, so the total is exact. */
static unsigned int per_cpu_share(double per_cpu, int cpu)
{
	return (unsigned int)(per_cpu * (cpu + 1)) - (unsigned int)(per_cpu * cpu);
}

/* Allocations made for @for_cpu while it comes up, by @cs. */
static void bringup_allocations(struct cpu_state *cs, int for_cpu)
{
	const struct boot_workload *wl = &cs->boot->opt->wl;
	unsigned int n = per_cpu_share(wl->per_cpu_early, for_cpu);

	for (unsigned int i = 0; i < n; i++)
		pcpu_populate_chunk(cs, &cs->early);
	for (unsigned int i = 0; i < wl->stacks_per_cpu; i++)
		alloc_thread_stack_node(cs, &cs->early);
}

static void boot_allocations(struct cpu_state *cs)
{
	for (unsigned int i = 0; i < cs->boot->opt->wl.base_early; i++)
		allocate_slab(cs, &cs->early);
}

static long workload_allocs(struct boot *b)
{
	long n = 0;

	for (unsigned int i = 0; i < b->opt->machine.cpus; i++)
		n += __atomic_load_n(&b->cpus[i].allocs, __ATOMIC_RELAXED);
	return n;
}

/* One step of a secondary CPU's activity while (or after) page_ext_init runs. */
static void churn_step(struct cpu_state *cs)
{
	const struct boot_workload *wl = &cs->boot->opt->wl;
	unsigned int r = (unsigned int)sim_rng_below(&cs->rng, 100);

	if (r < wl->early_free_pct && cs->early.n) {
		free_block(cs, held_take(&cs->early,
					 sim_rng_below(&cs->rng, cs->early.n)));
		cs->early_freed_in_window++;
		return;
	}
	if (r < wl->early_free_pct + wl->churn_free_pct && cs->churn.n) {
		free_block(cs, held_take(&cs->churn,
					 sim_rng_below(&cs->rng, cs->churn.n)));
		return;
	}
	kworker_alloc(cs);
}

static void rename_task(const char *comm, int pid)
{
	size_t n = strnlen(comm, sizeof(current->comm) - 1);

	memcpy(current->comm, comm, n);
	current->comm[n] = '\0';
	current->pid = pid;
}

static void late_phase(struct cpu_state *cs)
{
	struct boot *b = cs->boot;

	/*
	 * The last CPU to quiesce takes the unstamped snapshot while the others
	 * wait: bookkeeping, so it makes no scheduling decisions.
	 */
	if (sim_event_add(&b->quiesced, 1) == b->opt->machine.cpus) {
		sim_points_off();
		oracle_count_unstamped(&b->unstamped);
		sim_points_on();
		sim_event_add(&b->late_free, 1);
	}
	sim_event_wait(&b->late_free, 1);
	/* Free everything this CPU holds, so the free-side checks run. */
	while (cs->early.n)
		free_block(cs, held_take(&cs->early, cs->early.n - 1));
	while (cs->churn.n)
		free_block(cs, held_take(&cs->churn, cs->churn.n - 1));
}

static void boot_cpu_main(void *arg)
{
	struct cpu_state *cs = arg;
	struct boot *b = cs->boot;
	unsigned int ncpus = b->opt->machine.cpus;

	boot_allocations(cs);
	if (b->opt->timing == BOOT_PAGE_EXT_EARLY) {
		for (unsigned int cpu = 0; cpu < ncpus; cpu++)
			bringup_allocations(cs, (int)cpu);
		b->allocs_before_page_ext_init = workload_allocs(b);
		page_ext_init();
		sim_event_add(&b->page_ext_done, 1);
		sim_event_add(&b->smp_go, 1);		/* smp_init() */
	} else {
		bringup_allocations(cs, 0);
		sim_event_add(&b->smp_go, 1);		/* smp_init() */
		sim_event_wait(&b->online, ncpus - 1);
		rename_task("init", 1);
		b->allocs_before_page_ext_init = workload_allocs(b);
		sim_event_add(&b->walk_started, 1);
		page_ext_init();			/* page_alloc_init_late() */
		sim_event_add(&b->page_ext_done, 1);
	}
	late_phase(cs);
}

static void secondary_cpu_main(void *arg)
{
	struct cpu_state *cs = arg;
	struct boot *b = cs->boot;
	const struct boot_workload *wl = &b->opt->wl;
	char comm[32];

	sim_event_wait(&b->smp_go, 1);
	if (b->opt->timing == BOOT_PAGE_EXT_DEFERRED)
		bringup_allocations(cs, cs->cpu);
	sim_event_add(&b->online, 1);

	snprintf(comm, sizeof(comm), "kworker/%d:1", cs->cpu);
	rename_task(comm, 1000 + cs->cpu);
	if (b->opt->timing == BOOT_PAGE_EXT_DEFERRED)
		sim_event_wait(&b->walk_started, 1);
	for (unsigned int i = 0; i < wl->churn_ops; i++) {
		if (b->opt->timing == BOOT_PAGE_EXT_DEFERRED &&
		    sim_event_reached(&b->page_ext_done, 1))
			break;
		churn_step(cs);
	}
	sim_event_wait(&b->page_ext_done, 1);
	late_phase(cs);
}

void boot_options_defaults(struct boot_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	machine_config_defaults(&opt->machine);
	opt->timing = BOOT_PAGE_EXT_DEFERRED;
	opt->seed = 1;
	opt->wl = (struct boot_workload){
		.base_early = 86,
		.per_cpu_early = 7.7,
		.stacks_per_cpu = 7,
		.stack_pages = 4,
		.churn_ops = 256,
		.churn_free_pct = 0,
		.early_free_pct = 0,
	};
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int start_cpus(struct boot *b, char *err, size_t errlen)
{
	unsigned int ncpus = b->opt->machine.cpus;

	for (unsigned int cpu = 0; cpu < ncpus; cpu++) {
		struct cpu_state *cs = &b->cpus[cpu];
		char comm[32];
		int ret;

		cs->boot = b;
		cs->cpu = (int)cpu;
		sim_rng_seed(&cs->rng, b->opt->seed, cpu);
		if (cpu == 0) {
			ret = sim_cpu_start(0, "swapper/0", 0, boot_cpu_main, cs);
		} else {
			snprintf(comm, sizeof(comm), "cpuhp/%u", cpu);
			ret = sim_cpu_start((int)cpu, comm, 10 + (int)cpu,
					    secondary_cpu_main, cs);
		}
		if (ret) {
			snprintf(err, errlen, "cannot start thread for CPU %u: %s",
				 cpu, strerror(ret));
			return -ret;
		}
	}
	return 0;
}

int boot_run(const struct boot_options *opt, struct boot_result *res,
	     char *err, size_t errlen)
{
	unsigned int ncpus = opt->machine.cpus;
	struct machine_config mc = opt->machine;
	struct rusage ru;
	struct boot b;
	double t0 = now_seconds();
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	b.opt = opt;
	b.cpus = calloc(ncpus, sizeof(*b.cpus));
	if (!b.cpus) {
		snprintf(err, errlen, "out of host memory for %u CPUs", ncpus);
		return -ENOMEM;
	}
	sim_event_init(&b.smp_go, "smp_go");
	sim_event_init(&b.online, "online");
	sim_event_init(&b.walk_started, "walk_started");
	sim_event_init(&b.page_ext_done, "page_ext_done");
	sim_event_init(&b.quiesced, "quiesced");
	sim_event_init(&b.late_free, "late_free");

	if (opt->record) {
		ret = trace_record_start(opt->record, ncpus);
		if (ret) {
			snprintf(err, errlen, "--record: cannot create a temporary file: %s",
				 strerror(-ret));
			goto out_free;
		}
		mc.trace = &trace_record_hooks;
	}
	sim_log_set_stream(opt->log);
	ret = machine_setup(&mc, err, errlen);
	if (ret)
		goto out_free;
	sim_set_jitter(opt->jitter_ns, opt->seed);

	ret = start_cpus(&b, err, errlen);
	if (ret) {
		/* Let the started ones finish: release every stage. */
		sim_event_add(&b.smp_go, 1);
		sim_event_add(&b.online, ncpus);
		sim_event_add(&b.walk_started, 1);
		sim_event_add(&b.page_ext_done, 1);
		sim_event_add(&b.late_free, 1);
		sim_cpu_join_all();
		goto out_machine;
	}

	sim_cpu_join_all();
	sim_set_jitter(0, 0);
	/* The recording is the CPUs' boot, not the host's evaluation. */
	if (opt->record)
		trace_record_stop(opt->record);

	for (unsigned int i = 0; i < ncpus; i++) {
		res->allocs += b.cpus[i].allocs;
		res->frees += b.cpus[i].frees;
		res->alloc_failures += b.cpus[i].failures;
		res->early_pages_freed_in_window += b.cpus[i].early_freed_in_window;
	}
	res->allocs_before_page_ext_init = b.allocs_before_page_ext_init;
	early_pfn_stats_read(&res->early);
	page_ext_get_stats(&res->page_ext);
	oracle_evaluate(&res->oracles, &b.unstamped);

	res->wall_seconds = now_seconds() - t0;
	getrusage(RUSAGE_SELF, &ru);
	res->peak_rss_kb = ru.ru_maxrss;

out_machine:
	/* The report reads tags and counters: teardown is the caller's. */
	if (ret)
		machine_teardown();
out_free:
	if (opt->record)
		trace_record_stop(opt->record);
	for (unsigned int i = 0; i < ncpus; i++) {
		free(b.cpus[i].early.v);
		free(b.cpus[i].churn.v);
	}
	free(b.cpus);
	sim_event_destroy(&b.smp_go);
	sim_event_destroy(&b.online);
	sim_event_destroy(&b.walk_started);
	sim_event_destroy(&b.page_ext_done);
	sim_event_destroy(&b.quiesced);
	sim_event_destroy(&b.late_free);
	return ret;
}

void boot_result_free(struct boot_result *res)
{
	oracle_results_free(&res->oracles);
	machine_teardown();
}
