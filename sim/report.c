// SPDX-License-Identifier: GPL-2.0
/*
 * Boot reports.  Text for people, JSON for scripts; both read the same
 * boot_result and the warning registry.
 */
#include <string.h>

#include "sim/core/printk.h"
#include "alloc_tag/alloc_tag.h"
#include "report.h"
#include "version.h"

static const char *timing_name(enum boot_timing t)
{
	return t == BOOT_PAGE_EXT_EARLY ? "early" : "deferred";
}

static const char *publish_name(enum page_ext_mode m)
{
	return m == PAGE_EXT_FLAT ? "flat" : "progressive";
}

static const char *kind_name(enum sim_report_kind k)
{
	switch (k) {
	case SIM_REPORT_WARN:
		return "WARN";
	case SIM_REPORT_PR_WARN:
		return "pr_warn";
	default:
		return "BUG";
	}
}

static void tag_name(char *buf, size_t size, const struct alloc_tag *tag)
{
	snprintf(buf, size, "%s:%u func:%s", codetag_display_filename(tag->ct.filename),
		 tag->ct.lineno, tag->ct.function);
}

static void text_warning(const struct sim_warn_site *s, void *arg)
{
	FILE *out = arg;

	fprintf(out, "    %6ld x %-7s \"%s\" (first on CPU %d, %s:%d)\n", s->count,
		kind_name(s->kind), s->text, s->first_cpu,
		codetag_display_filename(s->file), s->line);
}

static void human_bytes(char *buf, size_t size, unsigned long long b)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (b >= 1024 && !(b % 1024) && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, size, "%llu %s", b, unit[u]);
}

/*
 * The machine's zones, when it has one the 64-bit default lacks (HighMem,
 * Movable): only then do the reports list them, so a default boot's report
 * stays what it was.  Returns the number of zones in @st, 0 for none.
 */
static int extra_zones(struct mem_zone_stats *st)
{
	int n = mem_zone_stats(st, MAX_NR_ZONES);

	for (int i = 0; i < n; i++)
		if (!strcmp(st[i].name, "HighMem") || !strcmp(st[i].name, "Movable"))
			return n;
	return 0;
}

/* " 32-bit, ZONE_MOVABLE 1 GiB": what sets the machine apart from the default. */
static void machine_extras(char *buf, size_t size, const struct machine_config *m)
{
	char movable[32];
	size_t len = 0;

	buf[0] = '\0';
	if (m->bits_per_long == 32)
		len += (size_t)snprintf(buf + len, size - len, " 32-bit");
	if (m->movable_bytes && len < size) {
		human_bytes(movable, sizeof(movable), m->movable_bytes);
		snprintf(buf + len, size - len, ", ZONE_MOVABLE %s", movable);
	}
}

/* The "oracles:" section shared by boot, scenario and explore reports. */
void report_oracles_text(FILE *out, const struct oracle_results *o,
			 const struct early_pfn_stats *e)
{
	fprintf(out, "oracles:\n");
	if (!o->warnings && !o->bugs)
		fprintf(out, "  warnings: none\n");
	else {
		fprintf(out, "  warnings: %ld WARN/pr_warn, %ld BUG\n", o->warnings, o->bugs);
		sim_warn_for_each(text_warning, out);
	}
	if (!o->nr_leaks)
		fprintf(out, "  accounting: every tag matches its live pages\n");
	for (int i = 0; i < o->nr_leaks; i++) {
		char name[256];

		tag_name(name, sizeof(name), o->leaks[i].tag);
		fprintf(out, "  leak: %+lld bytes %+lld calls  %s%s\n",
			(long long)o->leaks[i].bytes, (long long)o->leaks[i].calls, name,
			o->leaks[i].d13 ? "  [D13: accounted tracking pages freed as EMPTY]" : "");
	}
	fprintf(out, "  unstamped early pages: %ld (%ld bytes)\n",
		o->unstamped.pages, o->unstamped.bytes);
	if (e->pfns_after_clear)
		fprintf(out, "  late RECORD: %ld allocations saw no slot before their section was published but\n"
			"    reached RECORD after CLEAR retired the worker: PFNs lost, pages unstamped\n"
			"    (window between the lookup's and RECORD's RCU readers; not in §4)\n",
			e->pfns_after_clear);
	if (e->pfns_stored_after_clear)
		fprintf(out, "  late store (D5): %ld PFNs were stored into early_pfns[] after CLEAR had read\n"
			"    their slots: never stamped\n", e->pfns_stored_after_clear);
	fprintf(out, "  latent D17: %ld split tail pages with a NULL slot (a free of one would WARN)\n",
		o->unstamped.split_tails);
	fprintf(out, "  tracking pages unreachable: %ld\n", o->tracking_pages_unreachable);
	if (o->mobility_violations)
		fprintf(out, "  mobility: %ld tracking pages (pinned kernel memory) in ZONE_MOVABLE or a "
			"movable pageblock (D14)\n", o->mobility_violations);
	fprintf(out, "  bad frees: %ld\n", o->bad_frees);
	fprintf(out, "  allocator invariants: %s (%ld violations)\n",
		o->invariant_violations ? "VIOLATED" : "ok", o->invariant_violations);
}

void report_boot_text(FILE *out, const struct boot_options *opt,
		      const struct boot_result *res)
{
	const struct early_pfn_stats *e = &res->early;
	const struct oracle_results *o = &res->oracles;
	const struct early_pfn_variant *v = opt->machine.variant;
	struct mem_zone_stats zs[MAX_NR_ZONES];
	char mem[32], extras[96];
	int nz;

	human_bytes(mem, sizeof(mem), opt->machine.mem_bytes);
	machine_extras(extras, sizeof(extras), &opt->machine);
	fprintf(out, "bootsim boot: variant %s (%s), %u CPUs, %s%s, page_ext %s (%s)%s%s, "
		"seed %llu\n",
		v->id, v->section, opt->machine.cpus, mem, extras, timing_name(opt->timing),
		publish_name(opt->machine.publish),
		opt->machine.compressed ? ", tags compressed in page flags" : "",
		opt->machine.pcp ? ", per-CPU page lists" : "",
		(unsigned long long)opt->seed);
	nz = extra_zones(zs);
	if (nz) {
		fprintf(out, "  zones (present/free pages):           ");
		for (int i = 0; i < nz; i++)
			fprintf(out, "%s%s %lu/%lu", i ? ", " : "", zs[i].name, zs[i].present,
				zs[i].free_pages);
		fputc('\n', out);
	}
	fprintf(out, "  allocations before page_ext_init():   %ld\n",
		res->allocs_before_page_ext_init);
	fprintf(out, "  allocations without a page_ext slot:  %ld (RECORD calls; %ld skipped by the recursion marker)\n",
		e->slot_missing_allocs, e->pfns_skipped_marker);
	fprintf(out, "  early PFNs recorded:                  %ld (dropped %ld, after CLEAR %ld)\n",
		e->pfns_recorded, e->pfns_dropped, e->pfns_after_clear);
	fprintf(out, "  CLEAR: stamped EMPTY %ld, kept tagged %ld, no slot %ld\n",
		e->clear_stamped, e->clear_kept, e->clear_no_slot);
	fprintf(out, "  pfn_pool pages used:                  %ld (allocated %ld, lost head cmpxchg %ld, accounted when freed %ld)\n",
		e->tracking_pages_published, e->tracking_pages_alloc,
		e->tracking_pages_lost_race, e->tracking_pages_accounted_freed);
	fprintf(out, "  cmpxchg retries: head %ld, count %ld; losers freed while slotless %ld (D12 residual risk)\n",
		e->head_cmpxchg_failed, e->count_cmpxchg_failed, e->tracking_pages_lost_slotless);
	fprintf(out, "  page_ext: %lu sections, %ld bytes, kmemleak slab pages %lu\n",
		res->page_ext.sections_published, res->page_ext.total_usage,
		res->page_ext.kmemleak_slab_pages);
	fprintf(out, "  allocator: %ld allocations, %ld frees, %ld failures, %ld early pages freed inside the window\n",
		res->allocs, res->frees, res->alloc_failures, res->early_pages_freed_in_window);

	report_oracles_text(out, o, e);
	fprintf(out, "result: %s\n", o->fired ? "an oracle fired (exit 1)" : "clean (exit 0)");
	fprintf(out, "time: %.3f s wall, peak RSS %ld KiB\n", res->wall_seconds, res->peak_rss_kb);
}

void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

struct json_ctx {
	FILE *out;
	bool first;
};

static void json_warning(const struct sim_warn_site *s, void *arg)
{
	struct json_ctx *ctx = arg;
	char site[256];

	fputs(ctx->first ? "\n    {" : ",\n    {", ctx->out);
	ctx->first = false;
	fputs("\"text\": ", ctx->out);
	json_string(ctx->out, s->text);
	fprintf(ctx->out, ", \"kind\": \"%s\", \"count\": %ld, \"first_cpu\": %d, \"site\": ",
		kind_name(s->kind), s->count, s->first_cpu);
	snprintf(site, sizeof(site), "%s:%d", codetag_display_filename(s->file), s->line);
	json_string(ctx->out, site);
	fputs(", \"function\": ", ctx->out);
	json_string(ctx->out, s->func);
	fputc('}', ctx->out);
}

/* The oracle fields of a JSON report, each line ending with ",\n". */
void report_oracles_json(FILE *out, const struct oracle_results *o)
{
	struct json_ctx ctx = { out, true };

	fputs("  \"warnings\": [", out);
	sim_warn_for_each(json_warning, &ctx);
	fputs(ctx.first ? "],\n" : "\n  ],\n", out);
	fputs("  \"leaks\": [", out);
	for (int i = 0; i < o->nr_leaks; i++) {
		char name[256];

		tag_name(name, sizeof(name), o->leaks[i].tag);
		fputs(i ? ",\n    {\"tag\": " : "\n    {\"tag\": ", out);
		json_string(out, name);
		fprintf(out, ", \"bytes\": %lld, \"calls\": %lld, \"defect\": %s}",
			(long long)o->leaks[i].bytes, (long long)o->leaks[i].calls,
			o->leaks[i].d13 ? "\"D13\"" : "null");
	}
	fputs(o->nr_leaks ? "\n  ],\n" : "],\n", out);
	fprintf(out, "  \"unstamped_early_pages\": %ld,\n  \"unstamped_early_bytes\": %ld,\n"
		"  \"latent_d17_split_tails\": %ld,\n  \"tracking_pages_unreachable\": %ld,\n"
		"  \"mobility_violations\": %ld,\n",
		o->unstamped.pages, o->unstamped.bytes, o->unstamped.split_tails,
		o->tracking_pages_unreachable, o->mobility_violations);
}

void report_boot_json(FILE *out, const struct boot_options *opt,
		      const struct boot_result *res)
{
	const struct early_pfn_stats *e = &res->early;
	const struct oracle_results *o = &res->oracles;
	const struct boot_workload *wl = &opt->wl;
	const struct machine_config *m = &opt->machine;
	struct mem_zone_stats zs[MAX_NR_ZONES];
	int nz = extra_zones(zs);

	fprintf(out, "{\n  \"bootsim\": \"%s\",\n  \"command\": \"boot\",\n", BOOTSIM_VERSION);
	fprintf(out, "  \"config\": {\"cpus\": %u, \"mem_bytes\": %llu, \"page_ext\": \"%s\", "
		"\"publish\": \"%s\", \"variant\": \"%s\", \"seed\": %llu, \"jitter_ns\": %u, "
		"\"kmemleak\": %s, \"profiling_debug\": %s,\n",
		opt->machine.cpus, opt->machine.mem_bytes, timing_name(opt->timing),
		publish_name(opt->machine.publish), opt->machine.variant->id,
		(unsigned long long)opt->seed, opt->jitter_ns,
		opt->machine.kmemleak ? "true" : "false",
		opt->machine.profiling_debug ? "true" : "false");
	/* Only what differs from the default machine, so default output stays as it was. */
	if (m->bits_per_long == 32 || m->movable_bytes || m->compressed || m->pcp) {
		const char *sep = "    ";

		if (m->bits_per_long == 32) {
			fprintf(out, "%s\"bits_per_long\": 32", sep);
			sep = ", ";
		}
		if (m->movable_bytes) {
			fprintf(out, "%s\"movable_bytes\": %llu", sep, m->movable_bytes);
			sep = ", ";
		}
		if (m->compressed) {
			fprintf(out, "%s\"compressed\": true", sep);
			sep = ", ";
		}
		if (m->pcp)
			fprintf(out, "%s\"pcp\": true", sep);
		fputs(",\n", out);
	}
	fprintf(out, "    \"workload\": {\"base_early\": %u, \"per_cpu_early\": %g, "
		"\"stacks_per_cpu\": %u, \"stack_pages\": %u, \"churn_ops\": %u, "
		"\"churn_free_pct\": %u, \"early_free_pct\": %u}},\n",
		wl->base_early, wl->per_cpu_early, wl->stacks_per_cpu, wl->stack_pages,
		wl->churn_ops, wl->churn_free_pct, wl->early_free_pct);
	fprintf(out, "  \"early\": {\"allocations_before_page_ext_init\": %ld, "
		"\"slot_missing_allocations\": %ld, \"skipped_by_marker\": %ld, "
		"\"pfns_recorded\": %ld, \"pfns_dropped\": %ld, \"pfns_after_clear\": %ld, "
		"\"clear_stamped_empty\": %ld, \"clear_kept_tagged\": %ld, \"clear_no_slot\": %ld, "
		"\"pool_pages\": %ld, \"tracking_pages_allocated\": %ld, "
		"\"tracking_pages_lost_race\": %ld, \"tracking_pages_lost_slotless\": %ld, "
		"\"tracking_pages_accounted_at_free\": %ld, "
		"\"head_cmpxchg_failed\": %ld, \"count_cmpxchg_failed\": %ld, "
		"\"clear_overwrote_tag\": %ld, \"early_pages_freed_in_window\": %ld, "
		"\"pfns_stored_after_clear\": %ld, \"pfns_untracked\": %ld},\n",
		res->allocs_before_page_ext_init, e->slot_missing_allocs, e->pfns_skipped_marker,
		e->pfns_recorded, e->pfns_dropped, e->pfns_after_clear, e->clear_stamped,
		e->clear_kept, e->clear_no_slot, e->tracking_pages_published,
		e->tracking_pages_alloc, e->tracking_pages_lost_race,
		e->tracking_pages_lost_slotless, e->tracking_pages_accounted_freed, e->head_cmpxchg_failed,
		e->count_cmpxchg_failed, e->clear_overwrote, res->early_pages_freed_in_window,
		e->pfns_stored_after_clear, e->pfns_untracked);
	fprintf(out, "  \"page_ext\": {\"sections\": %lu, \"bytes\": %ld, \"entry_size\": %zu, "
		"\"kmemleak_slab_pages\": %lu},\n",
		res->page_ext.sections_published, res->page_ext.total_usage,
		res->page_ext.entry_size, res->page_ext.kmemleak_slab_pages);
	if (nz) {
		fputs("  \"zones\": [", out);
		for (int i = 0; i < nz; i++) {
			fprintf(out, "%s{\"name\": \"%s\", \"start_pfn\": %lu, \"spanned\": %lu, "
				"\"present\": %lu, \"free\": %lu, \"min_watermark\": %lu}",
				i ? ",\n    " : "\n    ", zs[i].name, zs[i].start_pfn, zs[i].spanned,
				zs[i].present, zs[i].free_pages, zs[i].min_wmark);
		}
		fputs("\n  ],\n", out);
	}
	fprintf(out, "  \"allocator\": {\"allocations\": %ld, \"frees\": %ld, \"failures\": %ld, "
		"\"early_pages_freed_in_window\": %ld, \"bad_frees\": %ld, "
		"\"invariant_violations\": %ld},\n",
		res->allocs, res->frees, res->alloc_failures, res->early_pages_freed_in_window,
		o->bad_frees, o->invariant_violations);
	report_oracles_json(out, o);
	fprintf(out, "  \"result\": {\"oracle_fired\": %s, \"exit_status\": %d},\n",
		o->fired ? "true" : "false", o->fired ? 1 : 0);
	fprintf(out, "  \"time\": {\"wall_seconds\": %.3f, \"peak_rss_kib\": %ld}\n}\n",
		res->wall_seconds, res->peak_rss_kb);
}
