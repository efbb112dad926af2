// SPDX-License-Identifier: GPL-2.0
/*
 * Trace replay (the policy is in replay.h).
 *
 * Pass 1 reads the trace for what the machine needs before the first event:
 * how much memory and how many CPUs, and which small blocks were allocated
 * before tracing began (freed, never seen allocated).  Pass 2 sets the
 * machine up, claims those blocks, and plays every event on one simulated
 * CPU thread that takes the identity of the event's CPU.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sim/core/codetag.h"
#include "sim/core/printk.h"
#include "sim/core/sched.h"
#include "alloc/alloc_pages.h"
#include "alloc_tag/alloc_tag.h"
#include "page_ext/page_ext.h"
#include "cli.h"
#include "replay.h"
#include "trace_parse.h"

#define REPLAY_MAX_CPUS		4096
#define REPLAY_MAX_TAGS		4096
#define REPLAY_TAG_SLOTS	8192
/* 16 TiB of 4 KiB pages: what the allocator's 32-bit PFN links allow */
#define REPLAY_MAX_PFN		(1UL << 32)
#define SECTION_BYTES		(1ULL << SECTION_SIZE_BITS)
#define LOW_4G			(4ULL << 30)

/* A growable bit per PFN. */
struct pfn_bits {
	unsigned long *v;
	unsigned long nbits;
};

static int bits_reserve(struct pfn_bits *b, unsigned long end)
{
	unsigned long words, old = b->nbits / 64;
	unsigned long *v;

	if (end <= b->nbits)
		return 0;
	words = (end + 4095) / 64 * 2;
	if (words < old * 2)
		words = old * 2;
	v = realloc(b->v, words * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(v + old, 0, (words - old) * sizeof(*v));
	b->v = v;
	b->nbits = words * 64;
	return 0;
}

static bool bits_test(const struct pfn_bits *b, unsigned long pfn)
{
	return pfn < b->nbits && (b->v[pfn / 64] >> (pfn % 64)) & 1;
}

static bool bits_any(const struct pfn_bits *b, unsigned long pfn, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (bits_test(b, pfn + i))
			return true;
	return false;
}

static void bits_assign(struct pfn_bits *b, unsigned long pfn, unsigned long n, bool on)
{
	for (unsigned long i = 0; i < n; i++) {
		if (on)
			b->v[(pfn + i) / 64] |= 1UL << ((pfn + i) % 64);
		else
			b->v[(pfn + i) / 64] &= ~(1UL << ((pfn + i) % 64));
	}
}

/* A block to claim before the first event (allocated before tracing). */
struct early_block {
	unsigned long pfn;
	unsigned int order;
	int cpu;
};

struct replay {
	const struct replay_options *opt;
	struct replay_result *res;
	char *err;
	size_t errlen;
	int status;			/* exit status of the first bad input */
	/* pass 1 */
	struct early_block *before;
	size_t nr_before, cap_before;
	bool have_marker;
	bool bulk_seen;			/* function lines of the bulk allocator */
	/* pass 2 */
	struct pfn_bits held;		/* pages of blocks the trace holds */
	struct task_struct *tasks;	/* one per CPU of the trace */
	/* open addressing on the name's hash; REPLAY_TAG_SLOTS > 2 * MAX_TAGS */
	struct {
		char *name;
		uint64_t hash;
		struct alloc_tag *tag;
	} tags[REPLAY_TAG_SLOTS];
	unsigned int nr_tags;
	struct alloc_tag *overflow_tag;	/* every name past REPLAY_MAX_TAGS */
	const char *tag_file;
	bool marker_done;
	double t_pass2;
};

static int bad(struct replay *r, const struct trace_event *ev, const char *fmt, ...)
	__printf(3, 4);

/*
 * Bad input: an error (exit 2) unless --lenient, which counts and goes on.
 * Returns 0 to go on.
 */
static int bad(struct replay *r, const struct trace_event *ev, const char *fmt, ...)
{
	const char *path = r->opt->path;
	va_list ap;
	int n;

	if (r->opt->lenient) {
		r->res->counts.bad_events++;
		return 0;
	}
	n = snprintf(r->err, r->errlen, "%s:%lu: ", strcmp(path, "-") ? path : "<stdin>",
		     ev->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - n, fmt, ap);
	va_end(ap);
	r->status = EXIT_USAGE;
	return -1;
}

static bool is_page_ext_marker(const struct trace_event *ev)
{
	switch (ev->kind) {
	case TEV_CONSOLE:
		return memmem(ev->text, ev->text_len, "bytes of page_ext", 17) != NULL;
	case TEV_FUNC:
		return ev->text_len >= 15 && !strncmp(ev->text, "page_ext_init <-", 16);
	case TEV_MARKER:
		return ev->text_len == 19 && !strncmp(ev->text, "page_ext_init start", 19);
	default:
		return false;
	}
}

static bool at_forced_marker(const struct replay *r, const struct trace_event *ev)
{
	switch (r->opt->marker_at) {
	case REPLAY_MARKER_TS:
		return ev->ts_ns >= r->opt->marker_value;
	case REPLAY_MARKER_LINE:
		return ev->line >= r->opt->marker_value;
	default:
		return false;
	}
}

static struct trace_reader *open_trace(struct replay *r)
{
	struct trace_reader *tr = trace_open(r->opt->path, r->err, r->errlen);

	if (!tr) {
		r->status = EXIT_USAGE;
		return NULL;
	}
	trace_set_lenient(tr, r->opt->lenient);
	return tr;
}

static int next_event(struct replay *r, struct trace_reader *tr, struct trace_event *ev)
{
	int ret = trace_next(tr, ev, r->err, r->errlen);

	if (ret < 0)
		r->status = EXIT_USAGE;
	return ret;
}

/* ------------------------------------------------------------------ */
/* Pass 1                                                              */

static int note_before_tracing(struct replay *r, const struct trace_event *ev)
{
	if (r->nr_before == r->cap_before) {
		size_t cap = r->cap_before ? r->cap_before * 2 : 256;
		struct early_block *v = realloc(r->before, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->before = v;
		r->cap_before = cap;
	}
	r->before[r->nr_before++] = (struct early_block){ ev->pfn, ev->order, ev->cpu };
	return 0;
}

/*
 * seen: pages ever allocated so far.  A free of a block none of whose pages
 * was seen allocated is memory coming online (large) or the free of an
 * allocation made before tracing (small).
 */
static int scan(struct replay *r)
{
	struct replay_counts *c = &r->res->counts;
	struct pfn_bits seen = { 0 };
	struct trace_reader *tr;
	struct trace_event ev;
	int ret;

	tr = open_trace(r);
	if (!tr)
		return -1;
	while ((ret = next_event(r, tr, &ev)) > 0) {
		unsigned long n = 1UL << ev.order, end = ev.pfn + n;

		if (ev.cpu >= REPLAY_MAX_CPUS) {
			ret = bad(r, &ev, "found CPU %d; expected a CPU below %d", ev.cpu,
				  REPLAY_MAX_CPUS);
			if (ret)
				break;
			continue;
		}
		if ((unsigned int)ev.cpu + 1 > c->nr_cpus)
			c->nr_cpus = ev.cpu + 1;
		if (is_page_ext_marker(&ev))
			r->have_marker = true;
		if (ev.kind == TEV_FUNC && ev.text_len >= 16 &&
		    !strncmp(ev.text, "alloc_pages_bulk", 16))
			r->bulk_seen = true;
		if (ev.kind != TEV_ALLOC && ev.kind != TEV_FREE && ev.kind != TEV_FREE_BATCHED)
			continue;
		if (ev.kind == TEV_ALLOC && ev.failed)
			continue;
		if (end > REPLAY_MAX_PFN) {
			ret = bad(r, &ev, "found pfn=%#lx; expected a PFN below %#lx (16 TiB)",
				  ev.pfn, REPLAY_MAX_PFN);
			if (ret)
				break;
			continue;
		}
		if (bits_reserve(&seen, end)) {
			ret = -ENOMEM;
			break;
		}
		if (end > c->trace_max_pfn)
			c->trace_max_pfn = end;
		/* online memory is not "seen": the bulk allocator takes from it unseen */
		if (ev.kind == TEV_ALLOC) {
			bits_assign(&seen, ev.pfn, n, true);
		} else if (ev.kind == TEV_FREE && ev.order < pageblock_order &&
			   !bits_any(&seen, ev.pfn, n)) {
			if ((ret = note_before_tracing(r, &ev)))
				break;
			bits_assign(&seen, ev.pfn, n, true);
		}
	}
	trace_close(tr);
	free(seen.v);
	if (ret == -ENOMEM) {
		snprintf(r->err, r->errlen, "out of host memory reading the trace");
		r->status = EXIT_INTERNAL;
	}
	return ret < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Pass 2                                                              */

/*
 * The machine: the trace's memory, rounded up to a section, plus memory
 * the trace never touches for bootsim's own pages (page_ext tables, pool
 * pages): a ZONE_NORMAL above 4 GiB, which their GFP_KERNEL / __GFP_HIGH
 * requests prefer, so they do not take PFNs the trace will claim.
 */
static unsigned long long machine_bytes(const struct replay_counts *c)
{
	unsigned long long bytes = (unsigned long long)c->trace_max_pfn << PAGE_SHIFT;

	bytes = (bytes + SECTION_BYTES - 1) / SECTION_BYTES * SECTION_BYTES;
	if (bytes < LOW_4G)
		return LOW_4G + (1ULL << 30);
	return bytes + bytes / 8;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct alloc_tag *new_tag(struct replay *r, const struct trace_event *ev,
				 const char *name)
{
	struct alloc_tag *tag = codetag_new_dynamic(r->tag_file, (unsigned int)ev->line,
						   name, NULL);

	if (!tag || alloc_tag_counters_attach(tag))
		return NULL;
	return tag;
}

/* The tag of the event's task (or gfp string): one per distinct name. */
static struct alloc_tag *tag_for(struct replay *r, const struct trace_event *ev)
{
	char gfp[256];
	const char *name = ev->task;
	uint64_t h;
	unsigned int i;

	if (r->opt->tag_by == REPLAY_TAG_BY_GFP) {
		gfp_print(gfp, sizeof(gfp), ev->gfp);
		name = gfp;
	}
	h = name_hash(name);
	for (i = h % REPLAY_TAG_SLOTS; r->tags[i].name; i = (i + 1) % REPLAY_TAG_SLOTS)
		if (r->tags[i].hash == h && !strcmp(r->tags[i].name, name))
			return r->tags[i].tag;
	if (r->nr_tags == REPLAY_MAX_TAGS) {
		if (!r->overflow_tag)
			r->overflow_tag = new_tag(r, ev, "(more tasks)");
		return r->overflow_tag;
	}
	r->tags[i].tag = new_tag(r, ev, name);
	r->tags[i].name = r->tags[i].tag ? strdup(name) : NULL;
	if (!r->tags[i].name)
		return NULL;
	r->tags[i].hash = h;
	r->nr_tags++;
	return r->tags[i].tag;
}

/* Play the event as CPU @cpu's current task. */
static void become(struct replay *r, const struct trace_event *ev)
{
	struct task_struct *t = &r->tasks[ev->cpu];

	if (strncmp(t->comm, ev->task, sizeof(t->comm) - 1)) {
		/* comm is 16 bytes, as in the kernel: longer names are cut */
		snprintf(t->comm, sizeof(t->comm), "%.*s", (int)sizeof(t->comm) - 1, ev->task);
		t->pid = ev->pid;
	}
	sim_current_task = t;
}

static void run_marker(struct replay *r, const struct trace_event *ev)
{
	struct replay_counts *c = &r->res->counts;

	r->marker_done = true;
	c->marker_seen = true;
	c->marker_line = ev->line;
	c->marker_cpu = ev->cpu;
	snprintf(c->marker_text, sizeof(c->marker_text), "%.*s",
		 (int)(ev->text_len < 80 ? ev->text_len : 80), ev->text ? ev->text : "");
	page_ext_init();
}

/*
 * A block past the machine's memory (--mem smaller than the trace) is bad
 * input; *ret is what the caller returns then (-1, or 0 under --lenient).
 */
static bool beyond_memory(struct replay *r, const struct trace_event *ev, int *ret)
{
	if (ev->pfn + (1UL << ev->order) <= max_pfn)
		return false;
	*ret = bad(r, ev, "found pfn=%#lx order=%u; expected a block below the machine's "
		   "%#lx pages (--mem)", ev->pfn, ev->order, max_pfn);
	return true;
}

/*
 * Claim the trace's block under the task's (or gfp's) tag, through the
 * allocator's hooks.  Returns 1 when claimed, 0 when bootsim's own page
 * holds it (skipped), -1 on bad input or an internal error.
 */
static int claim(struct replay *r, const struct trace_event *ev)
{
	unsigned long n = 1UL << ev->order;
	struct alloc_tag *tag;
	struct page *page;
	const char *why;
	int ret;

	if (beyond_memory(r, ev, &ret))
		return ret;
	if (bits_any(&r->held, ev->pfn, n))
		return bad(r, ev, "found an allocation of pfn=%#lx order=%u; expected a free block "
			   "(the trace still holds part of it)", ev->pfn, ev->order) ? -1 : 0;
	tag = tag_for(r, ev);
	if (!tag) {
		snprintf(r->err, r->errlen, "out of host memory for allocation tags");
		r->status = EXIT_INTERNAL;
		return -1;
	}
	page = alloc_hooks_tag(tag, mem_claim_block(ev->pfn, ev->order, ev->gfp, &why));
	if (!page) {
		/* not the trace's: a page_ext table or pool page bootsim added */
		r->res->counts.internal_collisions++;
		return 0;
	}
	bits_assign(&r->held, ev->pfn, n, true);
	return 1;
}

static int replay_alloc(struct replay *r, const struct trace_event *ev)
{
	struct replay_counts *c = &r->res->counts;
	unsigned long n = 1UL << ev->order;
	int ret;

	if (ev->failed) {
		c->failed_allocs++;
		return 0;
	}
	ret = claim(r, ev);
	if (ret <= 0)
		return ret;
	c->allocs++;
	c->alloc_pages += n;
	if (!r->marker_done) {
		c->early_allocs++;
		c->early_alloc_pages += n;
	}
	return 0;
}

/* The live block of the trace that holds @pfn, or -1: its head in *head. */
static int held_block(const struct replay *r, unsigned long pfn, unsigned long *head)
{
	for (int o = 0; o <= MAX_PAGE_ORDER; o++) {
		unsigned long h = pfn & ~((1UL << o) - 1);

		if (bits_test(&r->held, h) && mem_allocated_order(pfn_to_page(h)) == o) {
			*head = h;
			return o;
		}
	}
	return -1;
}

static void free_block(struct replay *r, unsigned long pfn, unsigned int order)
{
	struct replay_counts *c = &r->res->counts;

	__free_pages(pfn_to_page(pfn), order);
	bits_assign(&r->held, pfn, 1UL << order, false);
	c->frees++;
	c->free_pages += 1UL << order;
}

static int replay_free(struct replay *r, const struct trace_event *ev)
{
	struct replay_counts *c = &r->res->counts;
	unsigned long n = 1UL << ev->order, head = 0;
	int horder, ret;

	if (beyond_memory(r, ev, &ret))
		return ret;
	horder = bits_any(&r->held, ev->pfn, n) ? held_block(r, ev->pfn, &head) : -1;
	if (horder == (int)ev->order && head == ev->pfn) {
		free_block(r, ev->pfn, ev->order);
		return 0;
	}
	if (ev->order >= pageblock_order) {
		/* memory coming online, whatever bootsim pre-claimed inside it */
		c->online_frees++;
		c->online_pages += n;
		return 0;
	}
	if (horder > (int)ev->order && !PageCompound(pfn_to_page(head))) {
		/* alloc_pages_exact: split at allocation, pieces freed one by one */
		split_page(pfn_to_page(head), horder);
		c->exact_splits++;
		for (unsigned long i = 0; i < n; i++)
			free_block(r, ev->pfn + i, 0);
		c->frees -= n - 1;
		return 0;
	}
	if (horder < 0 && ev->kind == TEV_FREE_BATCHED) {
		c->batched_repeats++;
		return 0;
	}
	if (horder < 0 && r->bulk_seen) {
		/* the bulk allocator took it again, unseen (traces/README.md item 4) */
		c->untraced_frees++;
		return 0;
	}
	if (horder < 0)
		return bad(r, ev, "found a free of pfn=%#lx order=%u; expected a block the trace "
			   "allocated (double free?)", ev->pfn, ev->order);
	return bad(r, ev, "found a free of pfn=%#lx order=%u; expected the head and order of a "
		   "block the trace holds", ev->pfn, ev->order);
}

/* Blocks freed before they were ever allocated: the hook saw them early. */
static int claim_before_tracing(struct replay *r)
{
	struct replay_counts *c = &r->res->counts;
	struct trace_event ev = { .kind = TEV_ALLOC, .task = "before-tracing" };

	for (size_t i = 0; i < r->nr_before; i++) {
		const struct early_block *b = &r->before[i];
		unsigned long n = 1UL << b->order;

		if (b->pfn + n > max_pfn || bits_any(&r->held, b->pfn, n))
			continue;
		ev.pfn = b->pfn;
		ev.order = b->order;
		ev.cpu = b->cpu;
		ev.gfp = GFP_KERNEL;
		become(r, &ev);
		switch (claim(r, &ev)) {
		case -1:
			return -1;
		case 1:
			c->before_tracing++;
			c->before_tracing_pages += n;
			break;
		}
	}
	return 0;
}

static int play(struct replay *r)
{
	struct replay_counts *c = &r->res->counts;
	struct trace_reader *tr = open_trace(r);
	struct trace_event ev;
	int ret;

	if (!tr)
		return -1;
	if (claim_before_tracing(r)) {
		trace_close(tr);
		return -1;
	}
	while ((ret = next_event(r, tr, &ev)) > 0) {
		if (ev.cpu >= (int)c->nr_cpus)
			continue;	/* pass 1 counted it (stdin: --lenient) */
		become(r, &ev);
		if (!r->marker_done && (r->opt->marker_at == REPLAY_MARKER_TRACE ?
					is_page_ext_marker(&ev) : at_forced_marker(r, &ev)))
			run_marker(r, &ev);
		ret = 0;
		switch (ev.kind) {
		case TEV_ALLOC:
			ret = replay_alloc(r, &ev);
			break;
		case TEV_FREE:
		case TEV_FREE_BATCHED:
			ret = replay_free(r, &ev);
			break;
		case TEV_CONSOLE:
			c->consoles++;
			break;
		case TEV_FUNC:
			c->functions++;
			break;
		case TEV_MARKER:
			c->markers++;
			break;
		default:
			c->other_events++;
			break;
		}
		if (ret)
			break;
	}
	c->lines = trace_stats(tr)->lines;
	c->bad_lines = trace_stats(tr)->bad_lines;
	trace_close(tr);
	return ret < 0 ? -1 : 0;
}

struct cpu_job {
	struct replay *r;
	int ret;
};

static void replay_cpu_main(void *arg)
{
	struct cpu_job *job = arg;
	struct replay *r = job->r;
	struct task_struct *self = sim_current_task;
	struct unstamped_count unstamped;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	job->ret = play(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->t_pass2 = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	sim_current_task = self;
	if (job->ret)
		return;
	oracle_count_unstamped(&unstamped);
	oracle_evaluate(&r->res->oracles, &unstamped);
	early_pfn_stats_read(&r->res->early);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return !strcmp(path, "-") ? "stdin" : s ? s + 1 : path;
}

void replay_options_defaults(struct replay_options *o)
{
	memset(o, 0, sizeof(*o));
	machine_config_defaults(&o->machine);
	o->machine.mem_bytes = 0;
	o->path = "-";
}

int replay_run(const struct replay_options *o, struct replay_result *res,
	       char *err, size_t errlen)
{
	struct replay r = { .opt = o, .res = res, .err = err, .errlen = errlen };
	struct machine_config cfg = o->machine;
	struct cpu_job job = { .r = &r };
	struct timespec t0, t1;
	int ret;

	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.tag_file = base_name(o->path);
	if (!strcmp(o->path, "-")) {
		if (!cfg.mem_bytes) {
			snprintf(err, errlen, "replay: standard input is read once: give --mem "
				 "(and --cpus for more than one CPU)");
			return EXIT_USAGE;
		}
		res->counts.nr_cpus = cfg.cpus;
	} else if (scan(&r)) {
		free(r.before);
		return r.status ? r.status : EXIT_INTERNAL;
	}
	if (!res->counts.nr_cpus)
		res->counts.nr_cpus = 1;
	if (o->marker_at == REPLAY_MARKER_TRACE && !r.have_marker && strcmp(o->path, "-"))
		pr_info("bootsim: replay: no page_ext marker in %s: page_ext never becomes "
			"available (give --page-ext-at)\n", o->path);
	cfg.cpus = res->counts.nr_cpus;
	if (!cfg.mem_bytes)
		cfg.mem_bytes = machine_bytes(&res->counts);
	res->mem_bytes = cfg.mem_bytes;
	r.tasks = calloc(cfg.cpus, sizeof(*r.tasks));
	if (!r.tasks || bits_reserve(&r.held, cfg.mem_bytes >> PAGE_SHIFT)) {
		snprintf(err, errlen, "out of host memory");
		ret = EXIT_INTERNAL;
		goto out;
	}
	for (unsigned int i = 0; i < cfg.cpus; i++) {
		r.tasks[i].cpu = (int)i;
		snprintf(r.tasks[i].comm, sizeof(r.tasks[i].comm), "cpu%u", i);
	}
	sim_log_set_stream(o->log);
	ret = machine_setup(&cfg, err, errlen);
	if (ret) {
		ret = EXIT_USAGE;
		goto out;
	}
	ret = sim_cpu_start(0, "replay", 1, replay_cpu_main, &job);
	if (!ret)
		sim_cpu_join_all();
	if (ret || job.ret) {
		if (ret)
			snprintf(err, errlen, "cannot start a CPU thread: %s", strerror(ret));
		ret = ret ? EXIT_INTERNAL : r.status ? r.status : EXIT_INTERNAL;
		machine_teardown();
		goto out;
	}
	res->replay_seconds = r.t_pass2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->wall_seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ret = 0;
out:
	for (unsigned int i = 0; i < REPLAY_TAG_SLOTS; i++)
		free(r.tags[i].name);
	free(r.tasks);
	free(r.held.v);
	free(r.before);
	return ret;
}

void replay_result_free(struct replay_result *res)
{
	oracle_results_free(&res->oracles);
	machine_teardown();
}
