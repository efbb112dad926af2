// SPDX-License-Identifier: GPL-2.0
/*
 * `bootsim replay TRACE`: options, and the summary as text or JSON.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/core/printk.h"
#include "alloc_tag/early_pfn.h"
#include "cli.h"
#include "replay.h"
#include "replay_cmd.h"
#include "report.h"
#include "version.h"

enum {
	OPT_R_VARIANT = 1, OPT_R_MEM, OPT_R_CPUS, OPT_R_TAG_BY, OPT_R_PAGE_EXT_AT,
	OPT_R_LENIENT, OPT_R_JSON, OPT_R_QUIET, OPT_R_ORDERING, OPT_R_HELP,
};

static const struct option replay_longopts[] = {
	{ "variant", required_argument, NULL, OPT_R_VARIANT },
	{ "mem", required_argument, NULL, OPT_R_MEM },
	{ "cpus", required_argument, NULL, OPT_R_CPUS },
	{ "tag-by", required_argument, NULL, OPT_R_TAG_BY },
	{ "page-ext-at", required_argument, NULL, OPT_R_PAGE_EXT_AT },
	{ "lenient", no_argument, NULL, OPT_R_LENIENT },
	{ "json", no_argument, NULL, OPT_R_JSON },
	{ "quiet", no_argument, NULL, OPT_R_QUIET },
	{ "ordering", required_argument, NULL, OPT_R_ORDERING },
	{ "help", no_argument, NULL, OPT_R_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char replay_usage[] =
	"usage: bootsim replay TRACE [--variant ID] [--mem SIZE] [--cpus N] [--tag-by task|gfp]\n"
	"                      [--page-ext-at SECONDS|LINE] [--ordering timestamp|free] [--lenient]\n"
	"                      [--json] [--quiet]\n"
	"  TRACE: ftrace text (mm_page_alloc/mm_page_free), '-' for stdin, .gz/.xz if built in\n";

static int usage_error(FILE *err, const char *opt, const char *val, const char *expected)
{
	fprintf(err, "bootsim: replay: %s: expected %s, got '%s'\n", opt, expected, val);
	return EXIT_USAGE;
}

/* "2.092698" (seconds, has a '.') or "4567" (a line number). */
int replay_parse_page_ext_at(const char *s, struct replay_options *o)
{
	unsigned long long whole, frac = 0, scale = 1000000000ULL;
	const char *dot = strchr(s, '.');

	if (!dot) {
		if (parse_uint(s, ~0UL, &whole) || !whole)
			return -1;
		o->marker_at = REPLAY_MARKER_LINE;
		o->marker_value = whole;
		return 0;
	}
	if (dot == s || parse_uint(strndupa(s, dot - s), 1ULL << 33, &whole))
		return -1;
	for (const char *p = dot + 1; *p; p++) {
		if (*p < '0' || *p > '9' || scale == 1)
			return -1;
		scale /= 10;
		frac += (unsigned long long)(*p - '0') * scale;
	}
	o->marker_at = REPLAY_MARKER_TS;
	o->marker_value = whole * 1000000000ULL + frac;
	return 0;
}

int replay_parse_tag_by(const char *s, struct replay_options *o)
{
	if (!strcmp(s, "task"))
		o->tag_by = REPLAY_TAG_BY_TASK;
	else if (!strcmp(s, "gfp"))
		o->tag_by = REPLAY_TAG_BY_GFP;
	else
		return -1;
	return 0;
}

static int parse_replay(int argc, char **argv, struct replay_options *o, bool *json,
			FILE *out, FILE *err)
{
	unsigned long long v;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", replay_longopts, NULL)) != -1) {
		const char *name = argv[optind - 1];

		switch (c) {
		case OPT_R_VARIANT:
			o->machine.variant = early_pfn_lookup(optarg);
			if (!o->machine.variant)
				return usage_error(err, name, optarg,
						   "a variant id listed by 'bootsim variants'");
			break;
		case OPT_R_MEM:
			if (parse_size(optarg, &v) || v < (16ULL << 20))
				return usage_error(err, name, optarg, "a size of at least 16M");
			o->machine.mem_bytes = v;
			break;
		case OPT_R_CPUS:
			if (parse_uint(optarg, 4096, &v) || !v)
				return usage_error(err, name, optarg, "1..4096");
			o->machine.cpus = (unsigned int)v;
			break;
		case OPT_R_TAG_BY:
			if (replay_parse_tag_by(optarg, o))
				return usage_error(err, name, optarg, REPLAY_TAG_BY_EXPECTED);
			break;
		case OPT_R_PAGE_EXT_AT:
			if (replay_parse_page_ext_at(optarg, o))
				return usage_error(err, name, optarg, REPLAY_PAGE_EXT_AT_EXPECTED);
			break;
		case OPT_R_LENIENT:
			o->lenient = true;
			break;
		case OPT_R_JSON:
			*json = true;
			break;
		case OPT_R_QUIET:
			o->log = NULL;
			break;
		case OPT_R_ORDERING:
			if (!strcmp(optarg, "timestamp"))
				o->ordering = REPLAY_ORDER_TIMESTAMP;
			else if (!strcmp(optarg, "free"))
				o->ordering = REPLAY_ORDER_FREE;
			else
				return usage_error(err, name, optarg, "'timestamp' or 'free'");
			break;
		case OPT_R_HELP:
			fputs(replay_usage, out);
			return -1;
		case ':':
			fprintf(err, "bootsim: replay: %s needs a value\n", name);
			return EXIT_USAGE;
		default:
			fprintf(err, "bootsim: replay: unknown option '%s'\n%s", name, replay_usage);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(err, "bootsim: replay: expected exactly one TRACE file ('-' for stdin)\n%s",
			replay_usage);
		return EXIT_USAGE;
	}
	o->path = argv[optind];
	return 0;
}

static const char *ordering_name(enum replay_ordering ord)
{
	return ord == REPLAY_ORDER_FREE ? "free" : "timestamp";
}

static void report_text(FILE *out, const struct replay_options *o,
			const struct replay_result *res)
{
	const struct replay_counts *c = &res->counts;
	const struct early_pfn_stats *e = &res->early;

	fprintf(out, "bootsim replay: %s, variant %s (%s), %u CPUs, %llu MiB, ordering %s\n",
		o->path, o->machine.variant->id, o->machine.variant->section, c->nr_cpus,
		res->mem_bytes >> 20, ordering_name(o->ordering));
	fprintf(out, "trace: %lu lines; %lu allocations (%lu pages), %lu frees (%lu pages), "
		"%lu failed allocations\n", c->lines, c->allocs, c->alloc_pages, c->frees,
		c->free_pages, c->failed_allocs);
	fprintf(out, "  also: %lu console, %lu function-tracer, %lu bootsim marker, %lu other "
		"events%s\n", c->consoles, c->functions, c->markers, c->other_events,
		c->bad_lines || c->bad_events ? "" : "; no bad lines");
	if (c->bad_lines || c->bad_events)
		fprintf(out, "  --lenient skipped %lu bad lines and %lu impossible events\n",
			c->bad_lines, c->bad_events);
	fprintf(out, "incomplete trace: %lu blocks (%lu pages) freed but never seen allocated, "
		"claimed before the first event; %lu frees (%lu pages) of memory coming online; "
		"%lu repeated mm_page_free_batched; %lu frees of untraced bulk allocations; "
		"%lu alloc_pages_exact splits; %lu allocations of bootsim's own pages skipped; "
		"%lu pages of the traced kernel's tracking pages (__GFP_NO_OBJ_EXT)\n",
		c->before_tracing, c->before_tracing_pages, c->online_frees, c->online_pages,
		c->batched_repeats, c->untraced_frees, c->exact_splits, c->internal_collisions,
		c->tracking_pages);
	if (c->marker_seen)
		fprintf(out, "page_ext: available at line %lu on CPU %d (%s)\n", c->marker_line,
			c->marker_cpu, c->marker_text);
	else
		fprintf(out, "page_ext: never available (no marker; --page-ext-at)\n");
	fprintf(out, "early allocations: %lu (%lu pages) before page_ext; %ld slot-missing "
		"allocations seen by RECORD, %ld PFNs recorded, %ld dropped\n", c->early_allocs,
		c->early_alloc_pages, e->slot_missing_allocs, e->pfns_recorded, e->pfns_dropped);
	fprintf(out, "pool pages: %ld allocated, %ld published, %ld lost a race; CLEAR stamped "
		"%ld EMPTY, kept %ld tagged\n", e->tracking_pages_alloc, e->tracking_pages_published,
		e->tracking_pages_lost_race, e->clear_stamped, e->clear_kept);
	report_oracles_text(out, &res->oracles, e);
	fprintf(out, "result: %s\n", res->oracles.fired ? "an oracle fired (exit 1)" :
		"clean (exit 0)");
	fprintf(out, "time: %.3f s wall, replay pass %.3f s (%.2f M events/s)\n",
		res->wall_seconds, res->replay_seconds,
		res->replay_seconds > 0 ? (c->allocs + c->frees) / res->replay_seconds / 1e6 : 0);
}

static void report_json(FILE *out, const struct replay_options *o,
			const struct replay_result *res)
{
	const struct replay_counts *c = &res->counts;
	const struct early_pfn_stats *e = &res->early;

	fputs("{\n  \"command\": \"replay\",\n  \"trace\": ", out);
	json_string(out, o->path);
	fprintf(out, ",\n  \"variant\": \"%s\",\n  \"cpus\": %u,\n  \"mem_bytes\": %llu,\n"
		"  \"ordering\": \"%s\",\n", o->machine.variant->id, c->nr_cpus, res->mem_bytes,
		ordering_name(o->ordering));
	fprintf(out, "  \"trace_counts\": {\"lines\": %lu, \"allocations\": %lu, "
		"\"allocation_pages\": %lu, \"frees\": %lu, \"free_pages\": %lu, "
		"\"failed_allocations\": %lu, \"console\": %lu, \"function\": %lu, "
		"\"markers\": %lu, \"other_events\": %lu, \"bad_lines\": %lu, "
		"\"bad_events\": %lu},\n", c->lines, c->allocs, c->alloc_pages, c->frees,
		c->free_pages, c->failed_allocs, c->consoles, c->functions, c->markers,
		c->other_events, c->bad_lines, c->bad_events);
	fprintf(out, "  \"incomplete_trace\": {\"before_tracing_blocks\": %lu, "
		"\"before_tracing_pages\": %lu, \"online_frees\": %lu, \"online_pages\": %lu, "
		"\"batched_repeats\": %lu, \"untraced_bulk_frees\": %lu, \"exact_splits\": %lu, "
		"\"internal_collisions\": %lu, \"tracking_pages\": %lu},\n",
		c->before_tracing, c->before_tracing_pages, c->online_frees, c->online_pages,
		c->batched_repeats, c->untraced_frees, c->exact_splits, c->internal_collisions,
		c->tracking_pages);
	fprintf(out, "  \"page_ext_marker\": ");
	if (c->marker_seen) {
		fprintf(out, "{\"line\": %lu, \"cpu\": %d, \"text\": ", c->marker_line,
			c->marker_cpu);
		json_string(out, c->marker_text);
		fputs("},\n", out);
	} else {
		fputs("null,\n", out);
	}
	fprintf(out, "  \"early_allocations\": %lu,\n  \"early_allocation_pages\": %lu,\n"
		"  \"pfns_recorded\": %ld,\n  \"pfns_dropped\": %ld,\n  \"pool_pages\": %ld,\n"
		"  \"clear_stamped_empty\": %ld,\n", c->early_allocs, c->early_alloc_pages,
		e->pfns_recorded, e->pfns_dropped, e->tracking_pages_alloc, e->clear_stamped);
	report_oracles_json(out, &res->oracles);
	fprintf(out, "  \"result\": {\"oracle_fired\": %s, \"exit_status\": %d},\n",
		res->oracles.fired ? "true" : "false", res->oracles.fired ? 1 : 0);
	fprintf(out, "  \"time\": {\"wall_seconds\": %.3f, \"replay_seconds\": %.3f},\n"
		"  \"bootsim\": \"%s\"\n}\n", res->wall_seconds, res->replay_seconds,
		BOOTSIM_VERSION);
}

int replay_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct replay_options o;
	struct replay_result res;
	bool json = false;
	char msg[1024] = "";
	int ret;

	replay_options_defaults(&o);
	o.log = err;
	ret = parse_replay(argc, argv, &o, &json, out, err);
	if (ret)
		return ret < 0 ? EXIT_CLEAN : ret;
	if (json)
		o.log = NULL;
	ret = replay_run(&o, &res, msg, sizeof(msg));
	if (ret) {
		fprintf(err, "bootsim: replay: %s\n", msg);
		return ret;
	}
	if (json)
		report_json(out, &o, &res);
	else
		report_text(out, &o, &res);
	ret = res.oracles.fired ? EXIT_FINDING : EXIT_CLEAN;
	replay_result_free(&res);
	return ret;
}
