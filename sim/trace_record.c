// SPDX-License-Identifier: GPL-2.0
/*
 * Trace recording: per-thread binary streams, spilled to a temporary file,
 * merged into ftrace text at the end (trace_record.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/core/sched.h"
#include "sim/core/trace.h"
#include "alloc/gfp.h"
#include "trace_record.h"

#define STREAM_BUF	8192		/* bytes buffered per thread before a spill */
#define TEXT_MAX	511		/* console line (printk's line limit) */

enum rec_type {
	REC_ALLOC,
	REC_FREE,
	REC_CONSOLE,
	REC_MARKER,
};

/* One event; REC_CONSOLE text follows it, padded to 8 bytes. */
struct rec_event {
	uint64_t ts;			/* sim_clock_ns() */
	uint64_t arg;			/* PFN, or the marker's argument */
	uint32_t gfp;
	uint32_t task;			/* index in the stream's task table */
	uint8_t type;			/* enum rec_type */
	uint8_t order;
	int8_t mt;
	uint8_t mark;			/* enum sim_mark */
	uint16_t text_len;
	uint16_t pad;
};

/* Who ran: comm, pid and CPU of the task at the time of an event. */
struct rec_task {
	char comm[16];
	int pid;
	int cpu;
};

struct rec_chunk {
	uint64_t off;			/* in the spill file */
	uint32_t len;
};

/* The events of one host thread, in the order it made them. */
struct rec_stream {
	struct rec_stream *next;
	unsigned int id;		/* registration order: merge tie-break */
	char *buf;
	size_t used;
	struct rec_chunk *chunks;
	size_t nr_chunks, cap_chunks;
	struct rec_task *tasks;
	uint32_t nr_tasks, cap_tasks, last_task;
	unsigned long events;
};

struct trace_record {
	FILE *out;
	int spill_fd;
	uint64_t spill_end;		/* atomic: bytes reserved in the spill file */
	int err;			/* atomic: first negative errno */
	unsigned long gen;		/* tells this recording's thread streams apart */
	unsigned int nr_cpus;
	pthread_mutex_t lock;		/* stream registration (once per thread) */
	struct rec_stream *streams, **streams_tail;
	unsigned int nr_streams;
	unsigned long entries;		/* counted at stop */
};

static struct trace_record *recording;	/* the one being recorded, or NULL */
static unsigned long generation;
static __thread struct rec_stream *tls_stream;
static __thread unsigned long tls_gen;

static void rec_error(struct trace_record *rec, int err)
{
	int none = 0;

	__atomic_compare_exchange_n(&rec->err, &none, -err, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
}

struct trace_record *trace_record_open(const char *path)
{
	struct trace_record *rec = calloc(1, sizeof(*rec));

	if (!rec)
		return NULL;
	rec->out = fopen(path, "w");
	if (!rec->out) {
		int e = errno;

		free(rec);
		errno = e;
		return NULL;
	}
	setvbuf(rec->out, NULL, _IOFBF, 1 << 16);
	rec->spill_fd = -1;
	pthread_mutex_init(&rec->lock, NULL);
	rec->streams_tail = &rec->streams;
	return rec;
}

static void rec_log(void *priv, int cpu, const char *line);
static void rec_mark(void *priv, int cpu, enum sim_mark mark, unsigned long arg);

static struct sim_tracer rec_tracer = {
	.log = rec_log,
	.mark = rec_mark,
};

int trace_record_start(struct trace_record *rec, unsigned int nr_cpus)
{
	FILE *spill = tmpfile();

	if (!spill)
		return -errno;
	rec->spill_fd = dup(fileno(spill));
	fclose(spill);
	if (rec->spill_fd < 0)
		return -errno;
	rec->nr_cpus = nr_cpus;
	rec->gen = ++generation;
	rec_tracer.priv = rec;
	sim_set_tracer(&rec_tracer);
	__atomic_store_n(&recording, rec, __ATOMIC_RELEASE);
	return 0;
}

void trace_record_stop(struct trace_record *rec)
{
	if (__atomic_load_n(&recording, __ATOMIC_RELAXED) != rec)
		return;
	__atomic_store_n(&recording, NULL, __ATOMIC_RELEASE);
	sim_set_tracer(NULL);
	rec->entries = 0;
	for (struct rec_stream *s = rec->streams; s; s = s->next)
		rec->entries += s->events;
}

unsigned long trace_record_entries(const struct trace_record *rec)
{
	return rec->entries;
}

/* ------------------------------------------------------------------ */
/* Appending (the recording thread only, no lock)                      */

static struct rec_stream *this_stream(struct trace_record *rec)
{
	struct rec_stream *s;

	if (likely(tls_stream && tls_gen == rec->gen))
		return tls_stream;
	s = calloc(1, sizeof(*s));
	if (s)
		s->buf = malloc(STREAM_BUF);
	if (!s || !s->buf) {
		free(s);
		rec_error(rec, ENOMEM);
		return NULL;
	}
	pthread_mutex_lock(&rec->lock);
	s->id = rec->nr_streams++;
	*rec->streams_tail = s;
	rec->streams_tail = &s->next;
	pthread_mutex_unlock(&rec->lock);
	tls_stream = s;
	tls_gen = rec->gen;
	return s;
}

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Move the buffered events to the spill file. */
static void spill(struct trace_record *rec, struct rec_stream *s)
{
	uint64_t off;
	int ret;

	if (!s->used)
		return;
	if (s->nr_chunks == s->cap_chunks) {
		size_t cap = s->cap_chunks ? s->cap_chunks * 2 : 16;
		struct rec_chunk *nc = realloc(s->chunks, cap * sizeof(*nc));

		if (!nc) {
			rec_error(rec, ENOMEM);
			s->used = 0;
			return;
		}
		s->chunks = nc;
		s->cap_chunks = cap;
	}
	off = __atomic_fetch_add(&rec->spill_end, s->used, __ATOMIC_RELAXED);
	ret = write_all(rec->spill_fd, s->buf, s->used, off);
	if (ret)
		rec_error(rec, -ret);
	else
		s->chunks[s->nr_chunks++] = (struct rec_chunk){ off, (uint32_t)s->used };
	s->used = 0;
}

static uint32_t task_index(struct trace_record *rec, struct rec_stream *s)
{
	const struct task_struct *t = current;
	struct rec_task *rt;

	if (likely(s->nr_tasks)) {
		rt = &s->tasks[s->last_task];
		if (rt->pid == t->pid && rt->cpu == t->cpu &&
		    !strncmp(rt->comm, t->comm, sizeof(rt->comm)))
			return s->last_task;
	}
	for (uint32_t i = 0; i < s->nr_tasks; i++) {
		rt = &s->tasks[i];
		if (rt->pid == t->pid && rt->cpu == t->cpu &&
		    !strncmp(rt->comm, t->comm, sizeof(rt->comm)))
			return s->last_task = i;
	}
	if (s->nr_tasks == s->cap_tasks) {
		uint32_t cap = s->cap_tasks ? s->cap_tasks * 2 : 4;
		struct rec_task *nt = realloc(s->tasks, cap * sizeof(*nt));

		if (!nt) {
			rec_error(rec, ENOMEM);
			return UINT32_MAX;
		}
		s->tasks = nt;
		s->cap_tasks = cap;
	}
	rt = &s->tasks[s->nr_tasks];
	memset(rt, 0, sizeof(*rt));
	memcpy(rt->comm, t->comm, strnlen(t->comm, sizeof(rt->comm) - 1));
	rt->pid = t->pid;
	rt->cpu = t->cpu;
	return s->last_task = s->nr_tasks++;
}

static size_t event_size(size_t text_len)
{
	return (sizeof(struct rec_event) + text_len + 7) & ~(size_t)7;
}

/* Room for one event with @text_len bytes of text, its time and task set. */
static struct rec_event *reserve(struct trace_record *rec, enum rec_type type,
				 size_t text_len)
{
	struct rec_stream *s = this_stream(rec);
	struct rec_event *ev;
	uint32_t task;

	if (!s)
		return NULL;
	task = task_index(rec, s);
	if (task == UINT32_MAX)
		return NULL;
	if (s->used + event_size(text_len) > STREAM_BUF)
		spill(rec, s);
	ev = (struct rec_event *)(s->buf + s->used);
	memset(ev, 0, sizeof(*ev));
	ev->ts = (uint64_t)sim_clock_ns();
	ev->task = task;
	ev->type = (uint8_t)type;
	ev->text_len = (uint16_t)text_len;
	s->used += event_size(text_len);
	s->events++;
	return ev;
}

static struct trace_record *active(void)
{
	return __atomic_load_n(&recording, __ATOMIC_ACQUIRE);
}

static void rec_trace_alloc(struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	struct trace_record *rec = active();
	struct rec_event *ev;

	if (!rec || !(ev = reserve(rec, REC_ALLOC, 0)))
		return;
	ev->arg = page_to_pfn(page);
	ev->order = (uint8_t)order;
	ev->gfp = gfp;
	ev->mt = (int8_t)mt;
}

static void rec_trace_free(struct page *page, unsigned int order)
{
	struct trace_record *rec = active();
	struct rec_event *ev;

	if (!rec || !(ev = reserve(rec, REC_FREE, 0)))
		return;
	ev->arg = page_to_pfn(page);
	ev->order = (uint8_t)order;
}

const struct alloc_hooks trace_record_hooks = {
	.trace_alloc = rec_trace_alloc,
	.trace_free = rec_trace_free,
};

/* printk hands "[    0.000123] text": the console event carries the text. */
static void rec_log(void *priv, int cpu, const char *line)
{
	struct trace_record *rec = active();
	const char *text = line;
	struct rec_event *ev;
	size_t n;

	(void)priv;
	(void)cpu;
	if (!rec)
		return;
	if (text[0] == '[') {
		const char *end = strstr(text, "] ");

		if (end)
			text = end + 2;
	}
	n = strnlen(text, TEXT_MAX);
	ev = reserve(rec, REC_CONSOLE, n);
	if (ev)
		memcpy(ev + 1, text, n);
}

static void rec_mark(void *priv, int cpu, enum sim_mark mark, unsigned long arg)
{
	struct trace_record *rec = active();
	struct rec_event *ev;

	(void)priv;
	(void)cpu;
	if (!rec || !(ev = reserve(rec, REC_MARKER, 0)))
		return;
	ev->mark = (uint8_t)mark;
	ev->arg = arg;
}

/* ------------------------------------------------------------------ */
/* Merging and writing (host thread, after stop)                       */

struct reader {
	struct rec_stream *s;
	size_t next_chunk;
	char *buf;
	size_t len, pos;
	const struct rec_event *ev;	/* current event, NULL at the end */
	const struct rec_task *task;
};

/* Advance to the stream's next event (loading its next chunk). */
static int reader_next(struct trace_record *rec, struct reader *r)
{
	if (r->ev)
		r->pos += event_size(r->ev->text_len);
	while (r->pos >= r->len) {
		const struct rec_chunk *c;
		ssize_t n;

		if (r->next_chunk == r->s->nr_chunks) {
			r->ev = NULL;
			return 0;
		}
		c = &r->s->chunks[r->next_chunk++];
		do {
			n = pread(rec->spill_fd, r->buf, c->len, (off_t)c->off);
		} while (n < 0 && errno == EINTR);
		if (n != (ssize_t)c->len) {
			r->ev = NULL;
			return n < 0 ? -errno : -EIO;
		}
		r->len = c->len;
		r->pos = 0;
	}
	r->ev = (const struct rec_event *)(r->buf + r->pos);
	r->task = &r->s->tasks[r->ev->task];
	return 0;
}

/* Merge order: time, then CPU, then thread (one thread per CPU). */
static bool reader_before(const struct reader *a, const struct reader *b)
{
	if (a->ev->ts != b->ev->ts)
		return a->ev->ts < b->ev->ts;
	if (a->task->cpu != b->task->cpu)
		return a->task->cpu < b->task->cpu;
	return a->s->id < b->s->id;
}

static void heap_down(struct reader **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct reader *t;

		if (l < n && reader_before(h[l], h[m]))
			m = l;
		if (l + 1 < n && reader_before(h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void write_header(FILE *f, unsigned long entries, unsigned int nr_cpus)
{
	fprintf(f, "# tracer: nop\n"
		"#\n"
		"# entries-in-buffer/entries-written: %lu/%lu   #P:%u\n"
		"#\n"
		"#                                _-----=> irqs-off/BH-disabled\n"
		"#                               / _----=> need-resched\n"
		"#                              | / _---=> hardirq/softirq\n"
		"#                              || / _--=> preempt-depth\n"
		"#                              ||| / _-=> migrate-disable\n"
		"#                              |||| /     delay\n"
		"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n"
		"#              | |         |   |||||     |         |\n",
		entries, entries, nr_cpus);
}

static void write_event(FILE *f, const struct reader *r)
{
	const struct rec_event *ev = r->ev;
	const struct rec_task *t = r->task;
	unsigned long long us = (ev->ts + 500) / 1000;	/* the kernel's ns2usecs() */
	char text[512];

	fprintf(f, "%16s-%-7d [%03d] ..... %5llu.%06llu: ", t->comm, t->pid, t->cpu,
		us / 1000000, us % 1000000);
	switch (ev->type) {
	case REC_ALLOC:
		gfp_print(text, sizeof(text), ev->gfp);
		fprintf(f, "mm_page_alloc: page=%016llx pfn=0x%llx order=%u migratetype=%d "
			"gfp_flags=%s\n", (unsigned long long)ev->arg,
			(unsigned long long)ev->arg, ev->order, ev->mt, text);
		break;
	case REC_FREE:
		fprintf(f, "mm_page_free: page=%016llx pfn=0x%llx order=%u\n",
			(unsigned long long)ev->arg, (unsigned long long)ev->arg, ev->order);
		break;
	case REC_CONSOLE:
		fprintf(f, "console: %.*s\n", (int)ev->text_len, (const char *)(ev + 1));
		break;
	case REC_MARKER:
		sim_mark_format(text, sizeof(text), (enum sim_mark)ev->mark, ev->arg);
		fprintf(f, "bootsim_marker: %s\n", text);
		break;
	}
}

static int merge(struct trace_record *rec)
{
	struct reader *readers = calloc(rec->nr_streams ? rec->nr_streams : 1,
					sizeof(*readers));
	struct reader **heap = calloc(rec->nr_streams ? rec->nr_streams : 1,
				      sizeof(*heap));
	size_t n = 0;
	int ret = 0;

	if (!readers || !heap) {
		ret = -ENOMEM;
		goto out;
	}
	for (struct rec_stream *s = rec->streams; s; s = s->next) {
		struct reader *r = &readers[s->id];

		r->s = s;
		r->buf = malloc(STREAM_BUF);
		if (!r->buf) {
			ret = -ENOMEM;
			goto out;
		}
		ret = reader_next(rec, r);
		if (ret)
			goto out;
		if (r->ev)
			heap[n++] = r;
	}
	for (size_t i = n; i-- > 0;)
		heap_down(heap, n, i);
	while (n) {
		struct reader *r = heap[0];

		write_event(rec->out, r);
		ret = reader_next(rec, r);
		if (ret)
			goto out;
		if (!r->ev)
			heap[0] = heap[--n];
		heap_down(heap, n, 0);
	}
out:
	if (readers)
		for (unsigned int i = 0; i < rec->nr_streams; i++)
			free(readers[i].buf);
	free(readers);
	free(heap);
	return ret;
}

int trace_record_write(struct trace_record *rec)
{
	int ret;

	trace_record_stop(rec);
	/* Every stream's tail joins its spilled buffers; the buffers go. */
	for (struct rec_stream *s = rec->streams; s; s = s->next) {
		spill(rec, s);
		free(s->buf);
		s->buf = NULL;
	}
	ret = __atomic_load_n(&rec->err, __ATOMIC_RELAXED);
	if (ret)
		return ret;
	write_header(rec->out, rec->entries, rec->nr_cpus);
	ret = merge(rec);
	errno = 0;
	if (!ret && (fflush(rec->out) || ferror(rec->out)))
		ret = errno ? -errno : -EIO;
	return ret;
}

int trace_record_close(struct trace_record *rec)
{
	struct rec_stream *s, *next;
	int ret = 0;

	if (!rec)
		return 0;
	trace_record_stop(rec);
	if (fclose(rec->out))
		ret = -errno;
	if (rec->spill_fd >= 0)
		close(rec->spill_fd);
	for (s = rec->streams; s; s = next) {
		next = s->next;
		free(s->buf);
		free(s->chunks);
		free(s->tasks);
		free(s);
	}
	pthread_mutex_destroy(&rec->lock);
	free(rec);
	return ret;
}
