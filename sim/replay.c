// SPDX-License-Identifier: GPL-2.0
/*
 * Trace replay (the policy is in replay.h).
 *
 * Pass 1 reads the trace for what the machine needs before the first event:
 * how much memory and how many CPUs, and which small blocks were allocated
 * before tracing began (freed, never seen allocated).  Pass 2 sets the
 * machine up, claims those blocks, and plays the events.  Ordering
 * `timestamp` (here) streams them on one simulated CPU thread that takes
 * the identity of each event's CPU; ordering `free` (replay_plan.c) loads
 * per-CPU sequences and races one thread per CPU.  Both play each event
 * through replay_event(), so the policy is the same.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sim/core/array.h"
#include "sim/core/codetag.h"
#include "sim/core/printk.h"
#include "sim/core/sched.h"
#include "sim/core/trace.h"
#include "alloc/alloc_pages.h"
#include "alloc_tag/alloc_tag.h"
#include "alloc_tag/pgalloc_tag.h"
#include "page_ext/page_ext.h"
#include "cli.h"
#include "replay_priv.h"

/* 16 TiB of 4 KiB pages: what the allocator's 32-bit PFN links allow */
#define REPLAY_MAX_PFN		(1UL << 32)
#define SECTION_BYTES		(1ULL << SECTION_SIZE_BITS)
#define LOW_4G			(4ULL << 30)

int bits_reserve(struct pfn_bits *b, unsigned long end)
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

/* The bits of @pfn's word in [@pfn, @pfn + @n); *@len gets their count. */
static unsigned long word_mask(unsigned long pfn, unsigned long n, unsigned long *len)
{
	unsigned long lo = pfn % 64, k = n < 64 - lo ? n : 64 - lo;

	*len = k;
	return (k == 64 ? ~0UL : (1UL << k) - 1) << lo;
}

bool bits_any(const struct pfn_bits *b, unsigned long pfn, unsigned long n)
{
	while (n && pfn < b->nbits) {
		unsigned long k, m = word_mask(pfn, n, &k);

		if (__atomic_load_n(&b->v[pfn / 64], __ATOMIC_RELAXED) & m)
			return true;
		pfn += k;
		n -= k;
	}
	return false;
}

/* Atomic per word: CPUs of ordering `free` may share a word. */
void bits_assign(struct pfn_bits *b, unsigned long pfn, unsigned long n, bool on)
{
	while (n) {
		unsigned long k, m = word_mask(pfn, n, &k);

		if (on)
			__atomic_fetch_or(&b->v[pfn / 64], m, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&b->v[pfn / 64], ~m, __ATOMIC_RELAXED);
		pfn += k;
		n -= k;
	}
}

static int vbad(struct replay *r, const struct trace_event *ev, const char *fmt, va_list ap)
{
	const char *path = r->opt->path;
	int none = 0;
	int n;

	if (__atomic_compare_exchange_n(&r->status, &none, EXIT_USAGE, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		n = snprintf(r->err, r->errlen, "%s:%lu: ",
			     strcmp(path, "-") ? path : "<stdin>", ev->line);
		if (n >= 0 && (size_t)n < r->errlen)
			vsnprintf(r->err + n, r->errlen - n, fmt, ap);
	}
	__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
	return -1;
}

/*
 * Bad input while reading: an error (exit 2) unless --lenient, which counts
 * and goes on.  Returns 0 to go on.
 */
int replay_bad(struct replay *r, const struct trace_event *ev, const char *fmt, ...)
{
	va_list ap;
	int ret;

	if (r->opt->lenient) {
		r->res->counts.bad_events++;
		return 0;
	}
	va_start(ap, fmt);
	ret = vbad(r, ev, fmt, ap);
	va_end(ap);
	return ret;
}

static int bad_event(struct replay_cpu *rc, const struct trace_event *ev, const char *fmt, ...)
	__printf(3, 4);

/*
 * Bad input a CPU plays: --lenient counts it on that CPU; otherwise the
 * first CPU to fail writes the message and the others see r->stop.
 */
static int bad_event(struct replay_cpu *rc, const struct trace_event *ev, const char *fmt, ...)
{
	va_list ap;
	int ret;

	if (rc->r->opt->lenient) {
		rc->c.bad_events++;
		return 0;
	}
	va_start(ap, fmt);
	ret = vbad(rc->r, ev, fmt, ap);
	va_end(ap);
	return ret;
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

/* Is @ev where page_ext becomes available (the trace's marker, or forced)? */
bool replay_is_marker(const struct replay *r, const struct trace_event *ev)
{
	switch (r->opt->marker_at) {
	case REPLAY_MARKER_TS:
		return ev->ts_ns >= r->opt->marker_value;
	case REPLAY_MARKER_LINE:
		return ev->line >= r->opt->marker_value;
	default:
		return is_page_ext_marker(ev);
	}
}

struct trace_reader *replay_open(struct replay *r)
{
	struct trace_reader *tr = trace_open(r->opt->path, r->err, r->errlen);

	if (!tr) {
		r->status = EXIT_USAGE;
		return NULL;
	}
	trace_set_lenient(tr, r->opt->lenient);
	return tr;
}

int replay_next(struct replay *r, struct trace_reader *tr, struct trace_event *ev)
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
	if (!array_reserve(&r->before, &r->cap_before, r->nr_before, sizeof(*r->before), 256))
		return -ENOMEM;
	r->before[r->nr_before++] = (struct early_block){ ev->pfn, ev->order, ev->cpu };
	return 0;
}

/* Too big to keep: pass 2 reads the file again, and counts it all again. */
static void drop_log(struct replay *r)
{
	struct replay_counts *c = &r->res->counts;

	free(r->log);
	r->log = NULL;
	r->nr_log = r->cap_log = 0;
	r->logging = false;
	c->consoles = c->functions = c->markers = c->other_events = 0;
}

/* Marker texts are kept to 80 bytes (reports, JSON). */
static void marker_text_of(char *buf, size_t size, const struct trace_event *ev)
{
	snprintf(buf, size, "%.*s", (int)(ev->text_len < 80 ? ev->text_len : 80),
		 ev->text ? ev->text : "");
}

/* Is @ev the first page_ext marker (or --page-ext-at)?  Keeps its text. */
bool replay_first_marker(struct replay *r, const struct trace_event *ev)
{
	if (r->marker_placed || !replay_is_marker(r, ev))
		return false;
	r->marker_placed = true;
	marker_text_of(r->marker_text, sizeof(r->marker_text), ev);
	return true;
}

void replay_rec_set(struct replay_rec *rec, const struct trace_event *ev,
		    enum replay_rec_kind kind, uint32_t name)
{
	memset(rec, 0, sizeof(*rec));
	rec->kind = (uint8_t)kind;
	rec->line = ev->line;
	rec->cpu = (uint16_t)ev->cpu;
	rec->pid = ev->pid;
	memcpy(rec->comm, ev->task, sizeof(rec->comm) - 1);
	if (kind == REC_MARK) {
		rec->pfn = (unsigned long)replay_mark_rank(ev);
	} else if (kind < REC_BEFORE) {
		rec->pfn = ev->pfn;
		rec->order = (uint8_t)ev->order;
		rec->gfp = ev->gfp;
		rec->failed = ev->failed;
		rec->name = name;
	}
}

static struct replay_rec *new_rec(struct replay *r)
{
	if (r->nr_log == r->cap_log && r->cap_log * 2 * sizeof(*r->log) > REPLAY_LOG_MAX_BYTES)
		goto drop;
	if (!array_reserve(&r->log, &r->cap_log, r->nr_log, sizeof(*r->log), 4096))
		goto drop;
	return &r->log[r->nr_log++];
drop:
	drop_log(r);
	return NULL;
}

/* Keep what pass 2 plays of @ev; count the rest now.  -ENOMEM: no tag names. */
static int log_event(struct replay *r, const struct trace_event *ev)
{
	struct replay_rec *rec;
	long name = 0;

	replay_count_other(&r->res->counts, ev);
	if (replay_first_marker(r, ev)) {
		rec = new_rec(r);
		if (!rec)
			return 0;
		replay_rec_set(rec, ev, REC_MARKER, 0);
	}
	if (replay_mark_rank(ev) >= 0) {
		rec = new_rec(r);
		if (rec)
			replay_rec_set(rec, ev, REC_MARK, 0);
		return 0;
	}
	if (ev->kind != TEV_ALLOC && ev->kind != TEV_FREE && ev->kind != TEV_FREE_BATCHED)
		return 0;
	if (ev->kind == TEV_ALLOC && (name = replay_intern(r, ev)) < 0)
		return -ENOMEM;
	rec = new_rec(r);
	if (rec)
		replay_rec_set(rec, ev, (enum replay_rec_kind)ev->kind, (uint32_t)name);
	return 0;
}

/*
 * seen: pages ever allocated so far.  A free of a block none of whose pages
 * was seen allocated is memory coming online (large) or the free of an
 * allocation made before tracing (small).
 */
int replay_scan(struct replay *r)
{
	struct replay_counts *c = &r->res->counts;
	struct pfn_bits seen = { 0 };
	bool section_marks = false;
	struct trace_reader *tr;
	struct trace_event ev;
	int ret;

	tr = replay_open(r);
	if (!tr)
		return -1;
	while ((ret = replay_next(r, tr, &ev)) > 0) {
		unsigned long n = 1UL << ev.order, end = ev.pfn + n;

		if (ev.cpu >= REPLAY_MAX_CPUS) {
			ret = replay_bad(r, &ev, "found CPU %d; expected a CPU below %d", ev.cpu,
					 REPLAY_MAX_CPUS);
			if (ret)
				break;
			continue;
		}
		if ((unsigned int)ev.cpu + 1 > c->nr_cpus)
			c->nr_cpus = ev.cpu + 1;
		if (r->logging && (ret = log_event(r, &ev)))
			break;
		if (is_page_ext_marker(&ev))
			r->have_marker = true;
		if (ev.kind == TEV_MARKER && replay_mark_rank(&ev) > 0)
			section_marks = true;
		if (ev.kind == TEV_FUNC && ev.text_len >= 16 &&
		    !strncmp(ev.text, "alloc_pages_bulk", 16))
			r->bulk_seen = true;
		if (ev.kind != TEV_ALLOC && ev.kind != TEV_FREE && ev.kind != TEV_FREE_BATCHED)
			continue;
		if (ev.kind == TEV_ALLOC && ev.failed)
			continue;
		if (end > REPLAY_MAX_PFN) {
			ret = replay_bad(r, &ev, "found pfn=%#lx; expected a PFN below %#lx (16 TiB)",
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
	if (r->logging) {
		c->lines = trace_stats(tr)->lines;
		c->bad_lines = trace_stats(tr)->bad_lines;
	}
	trace_close(tr);
	free(seen.v);
	r->stepped = section_marks && r->have_marker && r->opt->marker_at == REPLAY_MARKER_TRACE;
	if (ret == -ENOMEM) {
		snprintf(r->err, r->errlen, "out of host memory reading the trace");
		r->status = EXIT_INTERNAL;
	}
	return ret < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Pass 2: one event                                                   */

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

/* The overflow name: every name past REPLAY_MAX_TAGS shares it. */
#define OVERFLOW_NAME	REPLAY_MAX_TAGS

long replay_intern(struct replay *r, const struct trace_event *ev)
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
	for (i = h % REPLAY_TAG_SLOTS; r->names[i].name; i = (i + 1) % REPLAY_TAG_SLOTS)
		if (r->names[i].hash == h && !strcmp(r->names[i].name, name))
			return r->names[i].idx;
	if (r->nr_names == REPLAY_MAX_TAGS)
		return OVERFLOW_NAME;
	r->names[i].name = strdup(name);
	if (!r->names[i].name)
		return -1;
	r->names[i].hash = h;
	r->names[i].first_line = ev->line;
	r->names[i].idx = r->nr_names;
	r->slot_of[r->nr_names] = (uint16_t)i;
	return r->nr_names++;
}

/* This run's tag for name @idx: codetags live as long as the machine. */
struct alloc_tag *replay_tag(struct replay *r, uint32_t idx)
{
	const struct replay_name *n;
	struct alloc_tag *tag = r->tag_of[idx];

	if (likely(tag))
		return tag;
	n = idx == OVERFLOW_NAME ? NULL : &r->names[r->slot_of[idx]];
	tag = codetag_new_dynamic(r->tag_file, n ? (unsigned int)n->first_line : 0,
				  n ? n->name : "(more tasks)", NULL);
	if (!tag || alloc_tag_counters_attach(tag))
		return NULL;
	r->tag_of[idx] = tag;
	return tag;
}

/* Play the event as its CPU's current task. */
void replay_become(struct replay_cpu *rc, const struct trace_event *ev)
{
	struct task_struct *t = rc->self ? rc->self : &rc->r->tasks[ev->cpu];

	if (strncmp(t->comm, ev->task, sizeof(t->comm) - 1)) {
		/* comm is 16 bytes, as in the kernel: longer names are cut */
		snprintf(t->comm, sizeof(t->comm), "%.*s", (int)sizeof(t->comm) - 1, ev->task);
		t->pid = ev->pid;
	}
	sim_current_task = t;
}

static void note_marker(struct replay_cpu *rc, const struct trace_event *ev)
{
	struct replay_counts *c = &rc->r->res->counts;

	c->marker_seen = true;
	c->marker_line = ev->line;
	c->marker_cpu = ev->cpu;
	marker_text_of(c->marker_text, sizeof(c->marker_text), ev);
	__atomic_store_n(&rc->r->marker_done, true, __ATOMIC_RELEASE);
}

/* page_ext becomes available at once: the walk and CLEAR run here. */
void replay_run_marker(struct replay_cpu *rc, const struct trace_event *ev)
{
	note_marker(rc, ev);
	page_ext_init();
}

/* ------------------------------------------------------------------ */
/* Stepped page_ext_init()                                             */

/*
 * A recording of bootsim shows where page_ext_init() published each
 * section and where CLEAR ran (bootsim_marker events).  Replaying those
 * steps where the trace shows them keeps frees inside the window (D8)
 * inside it.  Ranks order the marks as page_ext_init() makes them.
 */
#define RANK_CLEAR	(1L << 40)

static long mark_rank(enum sim_mark m, unsigned long arg)
{
	switch (m) {
	case SIM_MARK_PAGE_EXT_INIT_START:
		return 0;
	case SIM_MARK_PAGE_EXT_SECTION:
		return 1 + (long)arg;
	case SIM_MARK_CLEAR_START:
		return RANK_CLEAR;
	case SIM_MARK_CLEAR_DONE:
		return RANK_CLEAR + 1;
	case SIM_MARK_PAGE_EXT_INIT_DONE:
		return RANK_CLEAR + 2;
	}
	return -1;
}

long replay_mark_rank(const struct trace_event *ev)
{
	static const enum sim_mark plain[] = {
		SIM_MARK_PAGE_EXT_INIT_START, SIM_MARK_PAGE_EXT_INIT_DONE,
		SIM_MARK_CLEAR_START, SIM_MARK_CLEAR_DONE,
	};
	char text[64];
	unsigned long nr;
	int n;

	if (ev->kind != TEV_MARKER || ev->text_len >= sizeof(text))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		n = sim_mark_format(text, sizeof(text), plain[i], 0);
		if ((size_t)n == ev->text_len && !memcmp(text, ev->text, ev->text_len))
			return mark_rank(plain[i], 0);
	}
	memcpy(text, ev->text, ev->text_len);
	text[ev->text_len] = '\0';
	if (sscanf(text, "page_ext section=%lu published%n", &nr, &n) == 1 &&
	    (size_t)n == ev->text_len && nr < (1UL << 32))
		return mark_rank(SIM_MARK_PAGE_EXT_SECTION, nr);
	return -1;
}

void replay_step_init(struct replay_cpu *rc, const struct trace_event *ev, long rank)
{
	struct replay *r = rc->r;

	if (!r->init_started) {
		r->init_started = true;
		note_marker(rc, ev);
	}
	if (rank + 1 <= r->init_target_cur)
		return;
	sim_event_add(&r->init_target, rank + 1 - r->init_target_cur);
	r->init_target_cur = rank + 1;
	sim_event_wait(&r->init_reached, rank + 1);
}

void replay_release_init(struct replay *r)
{
	if (!r->stepped || r->init_target_cur == LONG_MAX / 2)
		return;
	sim_event_add(&r->init_target, LONG_MAX / 2 - r->init_target_cur);
	r->init_target_cur = LONG_MAX / 2;
}

/* Stepped: wait until page_ext_init() returned (after replay_release_init()). */
void replay_wait_init(struct replay *r)
{
	if (r->stepped)
		sim_event_wait(&r->init_reached, LONG_MAX / 2);
}

/* Runs on the init CPU, inside page_ext_init(): report, then wait for the trace. */
static void init_mark(void *priv, int cpu, enum sim_mark m, unsigned long arg)
{
	struct replay *r = priv;
	long rank = mark_rank(m, arg);

	(void)cpu;
	if (rank + 1 > r->init_reached_cur) {
		sim_event_add(&r->init_reached, rank + 1 - r->init_reached_cur);
		r->init_reached_cur = rank + 1;
	}
	if (m != SIM_MARK_PAGE_EXT_INIT_DONE)
		sim_event_wait(&r->init_target, rank + 2);
}

static void init_cpu_main(void *arg)
{
	struct replay *r = arg;

	sim_event_wait(&r->init_target, 1);
	if (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		page_ext_init();
	/* whatever the trace still waits for is past */
	sim_event_add(&r->init_reached, LONG_MAX / 2 - r->init_reached_cur);
	r->init_reached_cur = LONG_MAX / 2;
}

static struct sim_tracer init_mark_hook = { .mark = init_mark };

int replay_start_init(struct replay *r, int cpu)
{
	int ret;

	r->init_started = false;
	r->init_target_cur = 0;
	r->init_reached_cur = 0;
	if (!r->stepped)
		return 0;
	sim_event_init(&r->init_target, "page_ext_init target");
	sim_event_init(&r->init_reached, "page_ext_init reached");
	init_mark_hook.priv = r;
	sim_set_mark_hook(&init_mark_hook);
	ret = sim_cpu_start(cpu, "init", 1, init_cpu_main, r);
	if (ret)
		snprintf(r->err, r->errlen, "cannot start a thread for page_ext_init: %s",
			 strerror(ret));
	return ret;
}

/* After the join. */
void replay_stop_init(struct replay *r)
{
	if (!r->stepped)
		return;
	sim_set_mark_hook(NULL);
	sim_event_destroy(&r->init_target);
	sim_event_destroy(&r->init_reached);
}

static bool before_marker(const struct replay *r)
{
	return !__atomic_load_n(&r->marker_done, __ATOMIC_ACQUIRE);
}

/*
 * A block past the machine's memory (--mem smaller than the trace) is bad
 * input; *ret is what the caller returns then (-1, or 0 under --lenient).
 */
static bool beyond_memory(struct replay_cpu *rc, const struct trace_event *ev, int *ret)
{
	if (ev->pfn + (1UL << ev->order) <= max_pfn)
		return false;
	*ret = bad_event(rc, ev, "found pfn=%#lx order=%u; expected a block below the "
			 "machine's %#lx pages (--mem)", ev->pfn, ev->order, max_pfn);
	return true;
}

/*
 * Claim the trace's block under the task's (or gfp's) tag, through the
 * allocator's hooks.  Returns 1 when claimed, 0 when bootsim's own page
 * holds it (skipped), -1 on bad input or an internal error.
 */
static int claim(struct replay_cpu *rc, const struct trace_event *ev, uint32_t name)
{
	struct replay *r = rc->r;
	unsigned long n = 1UL << ev->order;
	struct alloc_tag *tag;
	struct page *page;
	const char *why;
	int ret;

	if (beyond_memory(rc, ev, &ret))
		return ret;
	if (bits_any(&r->held, ev->pfn, n))
		return bad_event(rc, ev, "found an allocation of pfn=%#lx order=%u; expected a "
				 "free block (the trace still holds part of it)", ev->pfn,
				 ev->order) ? -1 : 0;
	tag = replay_tag(r, name);
	if (!tag) {
		if (!__atomic_exchange_n(&r->status, EXIT_INTERNAL, __ATOMIC_ACQ_REL))
			snprintf(r->err, r->errlen, "out of host memory for allocation tags");
		__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
		return -1;
	}
	/*
	 * No __GFP_ZERO: nobody reads the body of a trace's page, and zeroing
	 * it first-touches host memory (most of the replay's time on big
	 * traces).  RECORD's own tracking pages still get theirs.
	 */
	page = alloc_hooks_tag(tag, mem_claim_block(ev->pfn, ev->order, ev->gfp & ~__GFP_ZERO,
						     &why));
	if (!page) {
		/* not the trace's: a page_ext table or pool page bootsim added */
		rc->c.internal_collisions++;
		return 0;
	}
	bits_assign(&r->held, ev->pfn, n, true);
	if (ev->gfp & __GFP_NO_OBJ_EXT) {
		bits_assign(&r->tracking, ev->pfn, 1, true);
		rc->c.tracking_pages += n;
	}
	return 1;
}

static int replay_alloc(struct replay_cpu *rc, const struct trace_event *ev, uint32_t name)
{
	struct replay_counts *c = &rc->c;
	unsigned long n = 1UL << ev->order;
	int ret;

	if (ev->failed) {
		c->failed_allocs++;
		return 0;
	}
	ret = claim(rc, ev, name);
	if (ret <= 0)
		return ret;
	c->allocs++;
	c->alloc_pages += n;
	if (before_marker(rc->r)) {
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

/*
 * A __GFP_NO_OBJ_EXT block is the traced kernel's own tracking page (§3.7):
 * its CLEAR did clear_page_tag_ref() before __free_page(), so the free
 * checks nothing.  The replayed variant keeps its own pool pages.
 */
static void free_block(struct replay_cpu *rc, unsigned long pfn, unsigned int order)
{
	struct replay *r = rc->r;
	struct page *page = pfn_to_page(pfn);

	if (bits_test(&r->tracking, pfn)) {
		bits_assign(&r->tracking, pfn, 1, false);
		clear_page_tag_ref(page);
	}
	__free_pages(page, order);
	bits_assign(&r->held, pfn, 1UL << order, false);
	rc->c.frees++;
	rc->c.free_pages += 1UL << order;
}

static int replay_free(struct replay_cpu *rc, const struct trace_event *ev)
{
	struct replay *r = rc->r;
	struct replay_counts *c = &rc->c;
	unsigned long n = 1UL << ev->order, head = 0;
	int horder, ret;

	if (beyond_memory(rc, ev, &ret))
		return ret;
	horder = bits_any(&r->held, ev->pfn, n) ? held_block(r, ev->pfn, &head) : -1;
	if (horder == (int)ev->order && head == ev->pfn) {
		free_block(rc, ev->pfn, ev->order);
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
			free_block(rc, ev->pfn + i, 0);
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
		return bad_event(rc, ev, "found a free of pfn=%#lx order=%u; expected a block "
				 "the trace allocated (double free?)", ev->pfn, ev->order);
	return bad_event(rc, ev, "found a free of pfn=%#lx order=%u; expected the head and "
			 "order of a block the trace holds", ev->pfn, ev->order);
}

int replay_event(struct replay_cpu *rc, const struct trace_event *ev, uint32_t name)
{
	switch (ev->kind) {
	case TEV_ALLOC:
		return replay_alloc(rc, ev, name);
	case TEV_FREE:
	case TEV_FREE_BATCHED:
		return replay_free(rc, ev);
	default:
		return 0;
	}
}

/* A block freed before it was ever allocated: the hook saw it early. */
int replay_claim_before(struct replay_cpu *rc, const struct early_block *b, uint32_t name)
{
	struct trace_event ev = {
		.kind = TEV_ALLOC, .task = BEFORE_TRACING,
		.pfn = b->pfn, .order = b->order, .cpu = b->cpu, .gfp = GFP_KERNEL,
	};
	unsigned long n = 1UL << b->order;

	if (b->pfn + n > max_pfn || bits_any(&rc->r->held, b->pfn, n))
		return 0;
	replay_become(rc, &ev);
	switch (claim(rc, &ev, name)) {
	case -1:
		return -1;
	case 1:
		rc->c.before_tracing++;
		rc->c.before_tracing_pages += n;
		break;
	}
	return 0;
}

/* The tag name of the blocks allocated before tracing. */
long replay_intern_before(struct replay *r)
{
	struct trace_event ev = { .kind = TEV_ALLOC, .task = BEFORE_TRACING, .gfp = GFP_KERNEL };

	return replay_intern(r, &ev);
}

/* The counters a playing CPU keeps (the rest are the reader's). */
#define REPLAY_CPU_COUNTERS(X)							\
	X(allocs) X(alloc_pages) X(frees) X(free_pages) X(failed_allocs)		\
	X(early_allocs) X(early_alloc_pages) X(before_tracing)			\
	X(before_tracing_pages) X(online_frees) X(online_pages)			\
	X(batched_repeats) X(untraced_frees) X(exact_splits)			\
	X(internal_collisions) X(tracking_pages) X(bad_events)

void replay_counts_add(struct replay_counts *to, const struct replay_counts *from)
{
#define ADD(f)	to->f += from->f;
	REPLAY_CPU_COUNTERS(ADD)
#undef ADD
}

/* ------------------------------------------------------------------ */
/* Pass 2: ordering `timestamp`                                        */

void replay_count_other(struct replay_counts *c, const struct trace_event *ev)
{
	switch (ev->kind) {
	case TEV_CONSOLE:
		c->consoles++;
		break;
	case TEV_FUNC:
		c->functions++;
		break;
	case TEV_MARKER:
		c->markers++;
		break;
	case TEV_ALLOC:
	case TEV_FREE:
	case TEV_FREE_BATCHED:
		break;
	default:
		c->other_events++;
		break;
	}
}

/*
 * Play one kept event (pass 2 of `timestamp`, a CPU of `free`).  Marks and
 * the one-piece marker are both kept; r->stepped decides which one acts.
 */
int replay_play_rec(struct replay_cpu *rc, const struct replay_rec *rec)
{
	struct replay *r = rc->r;
	struct trace_event ev = {
		.kind = rec->kind < REC_BEFORE ? (enum trace_event_kind)rec->kind : TEV_MARKER,
		.line = rec->line, .cpu = rec->cpu, .pid = rec->pid,
		.pfn = rec->pfn, .order = rec->order, .gfp = rec->gfp, .failed = rec->failed,
		.text = r->marker_text, .text_len = strlen(r->marker_text),
	};
	struct early_block b;

	memcpy(ev.task, rec->comm, sizeof(rec->comm));
	switch (rec->kind) {
	case REC_BEFORE:
		b = (struct early_block){ rec->pfn, rec->order, rec->cpu };
		return replay_claim_before(rc, &b, rec->name);
	case REC_MARKER:
		replay_become(rc, &ev);
		if (!r->stepped)
			replay_run_marker(rc, &ev);
		return 0;
	case REC_MARK:
		replay_become(rc, &ev);
		if (r->stepped)
			replay_step_init(rc, &ev, (long)rec->pfn);
		return 0;
	default:
		replay_become(rc, &ev);
		return replay_event(rc, &ev, rec->name);
	}
}

/*
 * How many kept events ahead play_log() asks for the struct page and
 * page_ext record: a trace's PFNs jump about memory, and each event's hooks
 * would otherwise wait on two cache misses one after the other.
 */
#define PREFETCH_AHEAD	8

static void prefetch_rec(const struct replay_rec *rec)
{
	if (rec->pfn >= max_pfn)
		return;
	__builtin_prefetch(pfn_to_page(rec->pfn), 1);
	page_ext_prefetch(rec->pfn);
}

static int play_log(struct replay_cpu *rc)
{
	struct replay *r = rc->r;

	for (size_t i = 0; i < r->nr_log; i++) {
		if (i + PREFETCH_AHEAD < r->nr_log)
			prefetch_rec(&r->log[i + PREFETCH_AHEAD]);
		if (replay_play_rec(rc, &r->log[i]))
			return -1;
	}
	return 0;
}

/* Pass 2 reading the file again (standard input: the only pass). */
static int play_file(struct replay_cpu *rc)
{
	struct replay *r = rc->r;
	struct replay_counts *c = &r->res->counts;
	struct trace_reader *tr = replay_open(r);
	struct replay_rec rec;
	struct trace_event ev;
	long name = 0;
	int ret;

	if (!tr)
		return -1;
	r->marker_placed = false;
	while ((ret = replay_next(r, tr, &ev)) > 0) {
		if (ev.cpu >= (int)c->nr_cpus)
			continue;	/* pass 1 counted it (stdin: --lenient) */
		replay_count_other(c, &ev);
		if (replay_first_marker(r, &ev)) {
			replay_rec_set(&rec, &ev, REC_MARKER, 0);
			replay_play_rec(rc, &rec);
		}
		if (replay_mark_rank(&ev) >= 0) {
			replay_rec_set(&rec, &ev, REC_MARK, 0);
			replay_play_rec(rc, &rec);
			continue;
		}
		if (ev.kind != TEV_ALLOC && ev.kind != TEV_FREE && ev.kind != TEV_FREE_BATCHED)
			continue;
		if (ev.kind == TEV_ALLOC && (name = replay_intern(r, &ev)) < 0) {
			ret = -ENOMEM;
			break;
		}
		replay_rec_set(&rec, &ev, (enum replay_rec_kind)ev.kind, (uint32_t)name);
		ret = replay_play_rec(rc, &rec);
		if (ret)
			break;
	}
	c->lines = trace_stats(tr)->lines;
	c->bad_lines = trace_stats(tr)->bad_lines;
	trace_close(tr);
	if (ret == -ENOMEM) {
		snprintf(r->err, r->errlen, "out of host memory for allocation tags");
		r->status = EXIT_INTERNAL;
	}
	return ret < 0 ? -1 : 0;
}

static int play(struct replay_cpu *rc)
{
	struct replay *r = rc->r;
	long name = replay_intern_before(r);

	for (size_t i = 0; i < r->nr_before; i++)
		if (name < 0 || replay_claim_before(rc, &r->before[i], (uint32_t)name))
			return -1;
	return r->logging ? play_log(rc) : play_file(rc);
}

struct cpu_job {
	struct replay_cpu rc;
	struct unstamped_count unstamped;
	int ret;
};

static void replay_cpu_main(void *arg)
{
	struct cpu_job *job = arg;
	struct replay *r = job->rc.r;
	struct task_struct *self = sim_current_task;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	job->ret = play(&job->rc);
	if (job->ret)
		__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
	replay_release_init(r);
	replay_wait_init(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->t_pass2 = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	sim_current_task = self;
	if (!job->ret)
		oracle_count_unstamped(&job->unstamped);
}

/* ------------------------------------------------------------------ */
/* Runs                                                                */

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

/* Everything a run needs before its first event, pass 1 included. */
int replay_prepare(struct replay *r)
{
	const struct replay_options *o = r->opt;
	struct replay_counts *c = &r->res->counts;

	r->tag_file = base_name(o->path);
	if (!strcmp(o->path, "-")) {
		if (!o->machine.mem_bytes) {
			snprintf(r->err, r->errlen, "replay: standard input is read once: give "
				 "--mem (and --cpus for more than one CPU)");
			return EXIT_USAGE;
		}
		c->nr_cpus = o->machine.cpus;
		r->logging = false;
	} else if (replay_scan(r)) {
		return r->status ? r->status : EXIT_INTERNAL;
	}
	if (!c->nr_cpus)
		c->nr_cpus = 1;
	if (o->marker_at == REPLAY_MARKER_TRACE && !r->have_marker && strcmp(o->path, "-"))
		pr_info("bootsim: replay: no page_ext marker in %s: page_ext never becomes "
			"available (give --page-ext-at)\n", o->path);
	return 0;
}

int replay_setup_machine(struct replay *r)
{
	const struct replay_options *o = r->opt;
	struct replay_result *res = r->res;
	struct machine_config cfg = o->machine;

	/* stepped: one more CPU runs page_ext_init() */
	cfg.cpus = res->counts.nr_cpus + r->stepped;
	if (!cfg.mem_bytes)
		cfg.mem_bytes = machine_bytes(&res->counts);
	res->mem_bytes = cfg.mem_bytes;
	free(r->tasks);
	r->tasks = calloc(cfg.cpus, sizeof(*r->tasks));
	if (!r->tasks || bits_reserve(&r->held, cfg.mem_bytes >> PAGE_SHIFT) ||
	    bits_reserve(&r->tracking, cfg.mem_bytes >> PAGE_SHIFT)) {
		snprintf(r->err, r->errlen, "out of host memory");
		return EXIT_INTERNAL;
	}
	memset(r->held.v, 0, r->held.nbits / 8);
	memset(r->tracking.v, 0, r->tracking.nbits / 8);
	memset(r->tag_of, 0, sizeof(r->tag_of));
	r->marker_done = false;
	r->stop = false;
	r->status = 0;
	for (unsigned int i = 0; i < cfg.cpus; i++) {
		r->tasks[i].cpu = (int)i;
		snprintf(r->tasks[i].comm, sizeof(r->tasks[i].comm), "cpu%u", i);
	}
	sim_log_set_stream(o->log);
	if (machine_setup(&cfg, r->err, r->errlen))
		return EXIT_USAGE;
	return 0;
}

void replay_evaluate(struct replay *r, const struct unstamped_count *unstamped)
{
	oracle_evaluate(&r->res->oracles, unstamped);
	early_pfn_stats_read(&r->res->early);
}

void replay_release(struct replay *r)
{
	for (unsigned int i = 0; i < REPLAY_TAG_SLOTS; i++)
		free(r->names[i].name);
	free(r->tasks);
	free(r->held.v);
	free(r->tracking.v);
	free(r->before);
	free(r->log);
}

static int run_timestamp(struct replay *r)
{
	struct cpu_job job = { .rc.r = r };
	int ret;

	ret = replay_setup_machine(r);
	if (ret)
		return ret;
	ret = replay_start_init(r, (int)r->res->counts.nr_cpus);
	if (!ret)
		ret = sim_cpu_start(0, "replay", 1, replay_cpu_main, &job);
	if (ret) {
		__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
		replay_release_init(r);
	}
	sim_cpu_join_all();
	replay_stop_init(r);
	if (ret || job.ret) {
		if (ret && !r->err[0])
			snprintf(r->err, r->errlen, "cannot start a CPU thread: %s", strerror(ret));
		ret = ret ? EXIT_INTERNAL : r->status ? r->status : EXIT_INTERNAL;
		machine_teardown();
		return ret;
	}
	replay_counts_add(&r->res->counts, &job.rc.c);
	replay_evaluate(r, &job.unstamped);
	r->res->replay_seconds = r->t_pass2;
	return 0;
}

int replay_run(const struct replay_options *o, struct replay_result *res,
	       char *err, size_t errlen)
{
	struct replay_plan *plan;
	struct timespec t0, t1;
	struct replay *r;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (o->ordering == REPLAY_ORDER_FREE) {
		ret = replay_plan_load(o, &plan, err, errlen);
		if (!ret)
			ret = replay_plan_run(plan, res, err, errlen);
		replay_plan_free(plan);
	} else {
		memset(res, 0, sizeof(*res));
		r = calloc(1, sizeof(*r));
		if (!r) {
			snprintf(err, errlen, "out of host memory");
			return EXIT_INTERNAL;
		}
		*r = (struct replay){ .opt = o, .res = res, .err = err, .errlen = errlen,
				      .logging = true };
		ret = replay_prepare(r);
		if (!ret)
			ret = run_timestamp(r);
		replay_release(r);
		free(r);
	}
	if (ret)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->wall_seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
}

void replay_result_free(struct replay_result *res)
{
	oracle_results_free(&res->oracles);
	machine_teardown();
}
