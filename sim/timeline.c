// SPDX-License-Identifier: GPL-2.0
/*
 * CPU timelines: rows first (shared by text and JSON), then the layout.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/compiler.h"
#include "report.h"
#include "timeline.h"

#define ROW_LIMIT	80	/* rows printed unless --full-timeline */
#define ROWS_HEAD	12	/* kept from the start when over the limit */
#define COLUMN_WIDTH	46

struct row {
	unsigned long step;
	int cpu;
	char *text;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void add_row(struct rows *r, unsigned long step, int cpu, const char *fmt, ...)
	__printf(4, 5);

static void add_row(struct rows *r, unsigned long step, int cpu, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct row *nv = realloc(r->v, cap * sizeof(*nv));

		if (!nv)
			return;
		r->v = nv;
		r->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text)
		return;
	r->v[r->n++] = (struct row){ step, cpu, text };
}

static void free_rows(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].text);
	free(r->v);
}

static int popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

static bool is_warning(const struct exec_event *e)
{
	return !strncmp(e->text, "WARN", 4) || !strncmp(e->text, "BUG", 3);
}

static const char *event_text(const struct exec_event *e)
{
	/* kernel-log lines start with the "[    0.000123] " timestamp */
	if (e->kind == EXEC_EVENT_LOG && e->text[0] == '[') {
		const char *p = strchr(e->text, ']');

		if (p)
			return p + 2;
	}
	return e->text;
}

/* Log lines echo notes (WARN) except for these. */
static bool log_worth_a_row(const struct exec_event *e)
{
	return strstr(e->text, "BUG:") || strstr(e->text, "allocated");
}

/* Steps every reader of a race wants to see, whoever made them. */
static bool milestone(const char *text)
{
	static const char *const words[] = {
		"page_ext published", "CLEAR:", "cmpxchg", "pool empty", "pool full",
		"pool page", "retired", "oops", "signal ",
		"wait ", "lock ", "unlock ", "NMI", "nmi ", "never stamped",
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(text, words[i]))
			return true;
	return false;
}

/*
 * Objects of the race: PFNs that notes of two different CPUs mention.  A
 * note about such a PFN is shown wherever it is; other notes collapse.
 */
struct pfn_cpus {
	unsigned long pfn;
	uint64_t cpus;
};

struct pfn_map {
	struct pfn_cpus *v;
	size_t n, cap;
};

static struct pfn_cpus *pfn_slot(struct pfn_map *m, unsigned long pfn, bool add)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].pfn == pfn)
			return &m->v[i];
	if (!add)
		return NULL;
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 64;
		struct pfn_cpus *nv = realloc(m->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		m->v = nv;
		m->cap = cap;
	}
	m->v[m->n] = (struct pfn_cpus){ pfn, 0 };
	return &m->v[m->n++];
}

/* Calls @fn for every "pfn 0x..." in @text. */
static bool for_each_pfn(const char *text, bool (*fn)(unsigned long pfn, void *arg), void *arg)
{
	for (const char *p = strstr(text, "pfn 0x"); p; p = strstr(p + 1, "pfn 0x"))
		if (fn(strtoul(p + 4, NULL, 16), arg))
			return true;
	return false;
}

struct mark_ctx {
	struct pfn_map *map;
	int cpu;
};

static bool mark_pfn(unsigned long pfn, void *arg)
{
	struct mark_ctx *c = arg;
	struct pfn_cpus *slot = pfn_slot(c->map, pfn, true);

	if (slot)
		slot->cpus |= 1ULL << (c->cpu % 64);
	return false;
}

static bool pfn_shared(unsigned long pfn, void *arg)
{
	struct pfn_cpus *slot = pfn_slot(arg, pfn, false);

	return slot && popcount64(slot->cpus) >= 2;
}

static bool relevant(const struct timeline_input *in, struct pfn_map *map,
		     const struct exec_event *e)
{
	if (e->kind == EXEC_EVENT_LOG)
		return log_worth_a_row(e);
	if (in->full || is_warning(e) || milestone(e->text))
		return true;
	return for_each_pfn(e->text, pfn_shared, map);
}

/* How the segment of @cpu ending before decision @next ended. */
static void segment_end_row(struct rows *r, const struct timeline_input *in,
			    size_t next, int cpu)
{
	const struct sim_point *pt = in->pts ? in->pts[next] : NULL;
	const struct decision_rec *d = &in->recs[next];
	const char *file;

	if (!pt) {
		add_row(r, next, cpu, "(done)");
		return;
	}
	file = strrchr(pt->file, '/');
	add_row(r, next, cpu, "~~ %s %s() at %s (%s:%d)",
		d->prev_enabled ? "preempted in" : "blocked in", pt->func, pt->what,
		file ? file + 1 : pt->file, pt->line);
}

static void build_rows(const struct timeline_input *in, struct rows *r)
{
	struct pfn_map map = { 0 };
	size_t ev = 0, s0 = 0;

	for (size_t i = 0; i < in->nr_events; i++) {
		struct mark_ctx c = { &map, in->events[i].cpu };

		if (in->events[i].kind == EXEC_EVENT_NOTE)
			for_each_pfn(in->events[i].text, mark_pfn, &c);
	}
	while (s0 < in->nr_steps) {
		int cpu = in->recs[s0].chosen;
		size_t s1 = s0 + 1, shown_here = 0;

		while (s1 < in->nr_steps && in->recs[s1].chosen == cpu)
			s1++;
		/* events after decision s0 and up to decision s1 belong here */
		for (; ev < in->nr_events && in->events[ev].step <= s1; ev++) {
			const struct exec_event *e = &in->events[ev];

			if (!relevant(in, &map, e))
				continue;
			add_row(r, e->step, e->cpu, "%s", event_text(e));
			shown_here++;
		}
		/* a segment with nothing to show still gets its row */
		if (!shown_here)
			add_row(r, s0 + 1, cpu, ".. %zu step%s", s1 - s0, s1 - s0 == 1 ? "" : "s");
		if (s1 < in->nr_steps)
			segment_end_row(r, in, s1, cpu);
		s0 = s1;
	}
	for (; ev < in->nr_events; ev++)
		if (relevant(in, &map, &in->events[ev]))
			add_row(r, in->events[ev].step, in->events[ev].cpu, "%s",
				event_text(&in->events[ev]));
	free(map.v);
}

/* Rows to print: all, or the head and the tail around an elision. */
static bool row_elided(const struct timeline_input *in, const struct rows *r, size_t i)
{
	if (in->full || r->n <= ROW_LIMIT)
		return false;
	return i >= ROWS_HEAD && i < r->n - (ROW_LIMIT - ROWS_HEAD);
}

static void column_header(char *buf, size_t size, const struct timeline_input *in, int cpu)
{
	if (in->comm && in->comm[cpu][0])
		snprintf(buf, size, "CPU %d (%s)", cpu, in->comm[cpu]);
	else
		snprintf(buf, size, "CPU %d", cpu);
}

static void print_cells(FILE *out, const char *step, int ncols, int col,
			const char *text, int width)
{
	size_t len = strlen(text);

	/* Wrap the text inside its column; other columns stay blank. */
	do {
		size_t n = len > (size_t)width ? (size_t)width : len;

		if (n < len) {
			size_t cut = n;

			while (cut > (size_t)width / 4 && text[cut] != ' ')
				cut--;
			if (text[cut] == ' ')
				n = cut;
		}
		fprintf(out, "%7s ", step);
		for (int c = 0; c < ncols; c++) {
			if (c == col)
				fprintf(out, "| %-*.*s ", width, (int)n, text);
			else
				fprintf(out, "| %-*s ", width, "");
		}
		fputc('\n', out);
		text += n;
		len -= n;
		while (*text == ' ') {
			text++;
			len--;
		}
		step = "";
	} while (len);
}

void timeline_print_text(FILE *out, const struct timeline_input *in)
{
	struct rows r = { 0 };
	int *col_of = calloc(in->nr_cpus, sizeof(int));
	int ncols = 0, width = 0;
	bool elision_printed = false;

	if (!col_of)
		return;
	build_rows(in, &r);
	for (unsigned int c = 0; c < in->nr_cpus; c++)
		col_of[c] = -1;
	for (size_t i = 0; i < r.n; i++) {
		int w = (int)strlen(r.v[i].text);

		if (col_of[r.v[i].cpu] < 0)
			col_of[r.v[i].cpu] = 1;
		if (!row_elided(in, &r, i) && w > width)
			width = w;
	}
	for (unsigned int c = 0; c < in->nr_cpus; c++)
		if (col_of[c] > 0)
			col_of[c] = ncols++;
	if (width > COLUMN_WIDTH)
		width = COLUMN_WIDTH;
	if (width < 24)
		width = 24;

	fprintf(out, "%7s ", "step");
	for (unsigned int c = 0; c < in->nr_cpus; c++) {
		char h[64];

		if (col_of[c] < 0)
			continue;
		column_header(h, sizeof(h), in, (int)c);
		fprintf(out, "| %-*.*s ", width, width, h);
	}
	fprintf(out, "\n%7s ", "-------");
	for (int c = 0; c < ncols; c++) {
		fputs("+-", out);
		for (int k = 0; k <= width; k++)
			fputc('-', out);
	}
	fputc('\n', out);

	for (size_t i = 0; i < r.n; i++) {
		char step[24];

		if (row_elided(in, &r, i)) {
			if (!elision_printed)
				fprintf(out, "%7s   ... %zu rows (--full-timeline shows them)\n", "",
					r.n - ROW_LIMIT);
			elision_printed = true;
			continue;
		}
		snprintf(step, sizeof(step), "%lu", r.v[i].step);
		print_cells(out, step, ncols, col_of[r.v[i].cpu], r.v[i].text, width);
	}
	free(col_of);
	free_rows(&r);
}

void timeline_print_json(FILE *out, const struct timeline_input *in)
{
	struct rows r = { 0 };

	build_rows(in, &r);
	fputc('[', out);
	for (size_t i = 0; i < r.n; i++) {
		fprintf(out, "%s\n      {\"step\": %lu, \"cpu\": %d, \"text\": ", i ? "," : "",
			r.v[i].step, r.v[i].cpu);
		json_string(out, r.v[i].text);
		fputc('}', out);
	}
	fputs(r.n ? "\n    ]" : "]", out);
	free_rows(&r);
}
