// SPDX-License-Identifier: GPL-2.0
/*
 * `bootsim matrix`: every defect case of the catalogue against every
 * variant, as a variant × defect table.
 *
 * A cell runs the case's scenario under the controlled backend until the
 * case's own detector fires: once for single-CPU cases, which are
 * deterministic, and for races with the case's strategy (bounded DFS, or PCT
 * where DFS is slow to reach the window) up to a budget; "not found" says
 * whether the DFS tree was exhausted or the budget ran out.  Cells run in
 * --jobs processes, each with its own explorer worker.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catalogue.h"
#include "cli.h"
#include "explore.h"
#include "matrix.h"
#include "scenario.h"
#include "version.h"

#define MATRIX_DEFAULT_BUDGET	5000UL
#define MATRIX_MAX_JOBS		64

struct matrix {
	const struct early_pfn_variant *variants[32];
	unsigned int nr_variants;
	const struct defect_case *cases[64];
	unsigned int nr_cases;
	unsigned long budget;
	unsigned int jobs;
	enum { OUT_TEXT, OUT_MARKDOWN, OUT_JSON } format;
	struct matrix_cell *cells;		/* [case][variant] */
	FILE *err;
};

static struct matrix_cell *cell_at(struct matrix *m, unsigned int c, unsigned int v)
{
	return &m->cells[c * m->nr_variants + v];
}

void matrix_run_cell(const struct defect_case *dc, const struct early_pfn_variant *v,
		     unsigned long budget, struct matrix_cell *cell, FILE *err)
{
	struct explore_options o;
	struct explore_outcome res;
	struct scenario *sc;
	char msg[512];

	memset(cell, 0, sizeof(*cell));
	if (defect_case_expect(dc, v) == EXPECT_NOT_APPLICABLE) {
		cell->result = CELL_NOT_APPLICABLE;
		return;
	}
	cell->result = CELL_ERROR;
	sc = scenario_open(dc->scenario, msg, sizeof(msg));
	if (!sc) {
		fprintf(err, "bootsim: matrix: %s\n", msg);
		return;
	}
	/* explore_search() reports only errors: o.out is never written */
	explore_options_defaults(&o);
	o.scenario = sc;
	o.boot.machine.variant = v;
	o.wanted = dc->detect;
	o.progress = false;
	o.err = err;
	o.strategy.nr_cpus = scenario_cpus(sc);
	if (dc->race) {
		o.strategy.kind = dc->strategy;
		if (dc->strategy == STRATEGY_DFS)
			o.strategy.preemptions = dc->bound;
		else
			o.strategy.depth = dc->bound;
		o.strategy.runs = budget;
		o.shrink = true;
	} else {
		/* one CPU: the only schedule there is */
		o.strategy.kind = STRATEGY_RANDOM;
		o.strategy.runs = 1;
		o.shrink = false;
	}
	if (!explore_search(&o, &res)) {
		cell->result = res.found ? CELL_FOUND : CELL_NOT_FOUND;
		cell->exhausted = res.exhausted || !dc->race;
		cell->executions = res.found ? res.first_index + 1 : res.executions;
		if (res.found && dc->race && res.schedule)
			snprintf(cell->schedule, sizeof(cell->schedule), "%s", res.schedule);
	}
	free(res.schedule);
	scenario_free(sc);
}

/*
 * Cells i ≡ job (mod jobs) run in child @job, which writes its cells back
 * through a pipe; explorer workers are per process, so jobs do not share.
 */
static int run_cells(struct matrix *m)
{
	unsigned int n = m->nr_cases * m->nr_variants;
	pid_t pids[MATRIX_MAX_JOBS];
	int fds[MATRIX_MAX_JOBS];
	int status = 0;

	for (unsigned int j = 0; j < m->jobs; j++) {
		int p[2];

		if (pipe(p))
			return -errno;
		pids[j] = fork();
		if (pids[j] < 0)
			return -errno;
		if (!pids[j]) {
			close(p[0]);
			for (unsigned int i = j; i < n; i += m->jobs) {
				struct matrix_cell c;

				matrix_run_cell(m->cases[i / m->nr_variants],
						m->variants[i % m->nr_variants], m->budget, &c,
						m->err);
				if (write(p[1], &i, sizeof(i)) != sizeof(i) ||
				    write(p[1], &c, sizeof(c)) != sizeof(c))
					_exit(3);
			}
			_exit(0);
		}
		close(p[1]);
		fds[j] = p[0];
	}
	for (unsigned int j = 0; j < m->jobs; j++) {
		unsigned int i;
		struct matrix_cell c;
		int ws;

		while (read(fds[j], &i, sizeof(i)) == sizeof(i) &&
		       read(fds[j], &c, sizeof(c)) == sizeof(c))
			if (i < n)
				m->cells[i] = c;
		close(fds[j]);
		while (waitpid(pids[j], &ws, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(ws) || WEXITSTATUS(ws))
			status = -EIO;
	}
	return status;
}

bool matrix_cell_matches(const struct defect_case *dc, const struct early_pfn_variant *v,
			 const struct matrix_cell *c)
{
	switch (defect_case_expect(dc, v)) {
	case EXPECT_FOUND:
		return c->result == CELL_FOUND;
	case EXPECT_NOT_FOUND:
		return c->result == CELL_NOT_FOUND;
	default:
		return c->result == CELL_NOT_APPLICABLE;
	}
}

/* "12" found after 12 executions, "-" not found, "n/a", "ERR"; '!' = not as expected. */
static void cell_text(const struct defect_case *dc, const struct early_pfn_variant *v,
		      const struct matrix_cell *c, char *buf, size_t size)
{
	const char *mark = matrix_cell_matches(dc, v, c) ? "" : "!";

	switch (c->result) {
	case CELL_FOUND:
		snprintf(buf, size, "%lu%s", c->executions, mark);
		break;
	case CELL_NOT_FOUND:
		snprintf(buf, size, "-%s%s", c->exhausted ? "" : "?", mark);
		break;
	case CELL_NOT_APPLICABLE:
		snprintf(buf, size, "n/a");
		break;
	default:
		snprintf(buf, size, "ERR");
		break;
	}
}

static void print_table(FILE *out, struct matrix *m)
{
	bool md = m->format == OUT_MARKDOWN;
	char buf[64];

	fprintf(out, md ? "| variant |" : "%-9s", md ? "" : "variant");
	for (unsigned int c = 0; c < m->nr_cases; c++)
		fprintf(out, md ? " %s |" : " %6s", m->cases[c]->defect);
	fputc('\n', out);
	if (md) {
		fputs("|---|", out);
		for (unsigned int c = 0; c < m->nr_cases; c++)
			fputs("---:|", out);
		fputc('\n', out);
	}
	for (unsigned int v = 0; v < m->nr_variants; v++) {
		fprintf(out, md ? "| %s |" : "%-9s", m->variants[v]->id);
		for (unsigned int c = 0; c < m->nr_cases; c++) {
			cell_text(m->cases[c], m->variants[v], cell_at(m, c, v), buf, sizeof(buf));
			fprintf(out, md ? " %s |" : " %6s", buf);
		}
		fputc('\n', out);
	}
}

static void print_witnesses(FILE *out, struct matrix *m)
{
	bool md = m->format == OUT_MARKDOWN;

	fprintf(out, "\nwitnesses of races (replay each with the command shown):\n%s",
		md ? "\n" : "");
	for (unsigned int c = 0; c < m->nr_cases; c++) {
		for (unsigned int v = 0; v < m->nr_variants; v++) {
			const struct matrix_cell *cell = cell_at(m, c, v);

			if (!cell->schedule[0])
				continue;
			if (md)
				fprintf(out, "- %s on %s: `", m->cases[c]->defect,
					m->variants[v]->id);
			else
				fprintf(out, "  %-6s %-8s ", m->cases[c]->defect,
					m->variants[v]->id);
			fprintf(out, "bootsim explore --defect %s --variant %s --schedule %s%s\n",
				m->cases[c]->defect, m->variants[v]->id, cell->schedule,
				md ? "`" : "");
		}
	}
}

static void print_notes(FILE *out, struct matrix *m)
{
	unsigned int mismatches = 0;

	fputs("\ncases:\n", out);
	for (unsigned int c = 0; c < m->nr_cases; c++) {
		const struct defect_case *dc = m->cases[c];

		fprintf(out, "  %-6s %-27s %s%s%s\n", dc->defect, dc->scenario, dc->oracle,
			dc->note ? "; " : "", dc->note ? dc->note : "");
	}
	for (unsigned int c = 0; c < m->nr_cases; c++)
		for (unsigned int v = 0; v < m->nr_variants; v++)
			mismatches += !matrix_cell_matches(m->cases[c], m->variants[v], cell_at(m, c, v));
	fprintf(out, "\nN: found after N executions; -: not found (DFS tree exhausted, or the "
		"single schedule of a one-CPU case); -?: not found within %lu executions; "
		"n/a: the defect cannot concern the variant; !: differs from the catalogue's "
		"expectation (%u cells)\n", m->budget, mismatches);
}

static void json_cell(FILE *out, const struct defect_case *dc,
		      const struct early_pfn_variant *v, const struct matrix_cell *c, bool first)
{
	static const char *const results[] = {
		[CELL_NOT_APPLICABLE] = "not applicable", [CELL_FOUND] = "found",
		[CELL_NOT_FOUND] = "not found", [CELL_ERROR] = "error",
	};
	static const char *const expects[] = {
		[EXPECT_NOT_FOUND] = "not found", [EXPECT_FOUND] = "found",
		[EXPECT_NOT_APPLICABLE] = "not applicable",
	};

	fprintf(out, "%s\n    {\"variant\": \"%s\", \"defect\": \"%s\", \"scenario\": \"%s\", "
		"\"result\": \"%s\", \"expected\": \"%s\", \"executions\": %lu, "
		"\"exhausted\": %s", first ? "" : ",", v->id, dc->defect, dc->scenario,
		results[c->result], expects[defect_case_expect(dc, v)], c->executions,
		c->exhausted ? "true" : "false");
	if (c->schedule[0])
		fprintf(out, ", \"schedule\": \"%s\", \"replay\": \"bootsim explore --defect %s "
			"--variant %s --schedule %s\"", c->schedule, dc->defect, v->id, c->schedule);
	fputc('}', out);
}

static void print_json(FILE *out, struct matrix *m)
{
	bool first = true;

	fprintf(out, "{\n  \"budget\": %lu,\n  \"cells\": [", m->budget);
	for (unsigned int c = 0; c < m->nr_cases; c++)
		for (unsigned int v = 0; v < m->nr_variants; v++, first = false)
			json_cell(out, m->cases[c], m->variants[v], cell_at(m, c, v), first);
	fprintf(out, "\n  ],\n  \"bootsim\": \"%s\"\n}\n", BOOTSIM_VERSION);
}

enum { OPT_M_MARKDOWN = 1, OPT_M_JSON, OPT_M_VARIANT, OPT_M_DEFECT, OPT_M_BUDGET,
       OPT_M_JOBS, OPT_M_HELP };

static const struct option matrix_longopts[] = {
	{ "markdown", no_argument, NULL, OPT_M_MARKDOWN },
	{ "json", no_argument, NULL, OPT_M_JSON },
	{ "variant", required_argument, NULL, OPT_M_VARIANT },
	{ "defect", required_argument, NULL, OPT_M_DEFECT },
	{ "budget", required_argument, NULL, OPT_M_BUDGET },
	{ "jobs", required_argument, NULL, OPT_M_JOBS },
	{ "help", no_argument, NULL, OPT_M_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char matrix_usage[] =
	"usage: bootsim matrix [--variant ID]... [--defect D]... [--budget N] [--jobs J]\n"
	"                      [--markdown | --json]\n"
	"  every defect case against every variant (or the ones named);\n"
	"  races are searched with each case's strategy (DFS or PCT) up to N executions\n"
	"  (default 5000); one-CPU cases run their single schedule\n";

static int parse_matrix(int argc, char **argv, struct matrix *m, FILE *out, FILE *err)
{
	unsigned long long v;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", matrix_longopts, NULL)) != -1) {
		const char *name = argv[optind - 1];

		switch (c) {
		case OPT_M_MARKDOWN:
			m->format = OUT_MARKDOWN;
			break;
		case OPT_M_JSON:
			m->format = OUT_JSON;
			break;
		case OPT_M_VARIANT:
			if (m->nr_variants == ARRAY_SIZE(m->variants) ||
			    !(m->variants[m->nr_variants++] = early_pfn_lookup(optarg))) {
				fprintf(err, "bootsim: --variant: expected a variant id listed by "
					"'bootsim variants', got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_M_DEFECT:
			if (m->nr_cases == ARRAY_SIZE(m->cases) ||
			    !(m->cases[m->nr_cases++] = defect_case_lookup(optarg))) {
				fprintf(err, "bootsim: --defect: expected a defect id (D1 ... D18, "
					"D13det, D14mov) or its scenario name, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_M_BUDGET:
			if (parse_uint(optarg, ~0UL, &v) || !v) {
				fprintf(err, "bootsim: --budget: expected a number of executions "
					">= 1, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			m->budget = v;
			break;
		case OPT_M_JOBS:
			if (parse_uint(optarg, MATRIX_MAX_JOBS, &v) || !v) {
				fprintf(err, "bootsim: --jobs: expected 1..%d, got '%s'\n",
					MATRIX_MAX_JOBS, optarg);
				return EXIT_USAGE;
			}
			m->jobs = (unsigned int)v;
			break;
		case OPT_M_HELP:
			fputs(matrix_usage, out);
			return -1;
		case ':':
			fprintf(err, "bootsim: matrix: %s needs a value\n", name);
			return EXIT_USAGE;
		default:
			fprintf(err, "bootsim: matrix: unknown option '%s'\n%s", name, matrix_usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "bootsim: matrix: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

int matrix_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct matrix m = { .budget = MATRIX_DEFAULT_BUDGET, .err = err };
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec t0, t1;
	int ret;

	m.jobs = cores > 0 ? (unsigned int)(cores < MATRIX_MAX_JOBS ? cores : MATRIX_MAX_JOBS) : 1;
	ret = parse_matrix(argc, argv, &m, out, err);
	if (ret)
		return ret < 0 ? EXIT_CLEAN : ret;
	if (!m.nr_variants)
		for (int i = 0; early_pfn_variants[i] && m.nr_variants < ARRAY_SIZE(m.variants); i++)
			m.variants[m.nr_variants++] = early_pfn_variants[i];
	if (!m.nr_cases)
		for (unsigned int i = 0; i < nr_defect_cases && m.nr_cases < ARRAY_SIZE(m.cases); i++)
			m.cases[m.nr_cases++] = &defect_cases[i];
	m.cells = calloc((size_t)m.nr_cases * m.nr_variants, sizeof(*m.cells));
	if (!m.cells)
		return EXIT_INTERNAL;
	fflush(out);
	fflush(err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = run_cells(&m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		fprintf(err, "bootsim: matrix: a job failed: %s\n", strerror(-ret));
		free(m.cells);
		return EXIT_INTERNAL;
	}
	if (m.format == OUT_JSON) {
		print_json(out, &m);
	} else {
		print_table(out, &m);
		print_witnesses(out, &m);
		print_notes(out, &m);
		fprintf(out, "%.1f s, %u jobs, bootsim %s\n",
			(double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
			m.jobs, BOOTSIM_VERSION);
	}
	ret = EXIT_CLEAN;
	for (unsigned int i = 0; i < m.nr_cases * m.nr_variants; i++)
		if (m.cells[i].result == CELL_ERROR)
			ret = EXIT_INTERNAL;
	free(m.cells);
	return ret;
}
