// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc/allocinfo text (§2.7): a two-line header, then per tag
 * "%12lli %8llu file:line [module] func:name[ accurate:no] \n".
 */
#include "allocinfo.h"

static size_t codetag_to_text(char *buf, size_t size, const struct codetag *ct)
{
	const char *file = codetag_display_filename(ct->filename);

	if (ct->modname)
		return (size_t)snprintf(buf, size, "%s:%u [%s] func:%s",
					file, ct->lineno, ct->modname, ct->function);
	return (size_t)snprintf(buf, size, "%s:%u func:%s", file, ct->lineno, ct->function);
}

size_t alloc_tag_to_text(char *buf, size_t size, const struct alloc_tag *tag)
{
	struct alloc_tag_counters c = alloc_tag_read(tag);
	size_t n;

	n = (size_t)snprintf(buf, size, "%12lli %8llu ", (long long)c.bytes,
			     (unsigned long long)c.calls);
	if (n < size)
		n += codetag_to_text(buf + n, size - n, &tag->ct);
	if (n < size && alloc_tag_is_inaccurate(tag))
		n += (size_t)snprintf(buf + n, size - n, " accurate:no");
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, " \n");
	return n;
}

struct print_ctx {
	FILE *out;
	bool all;
};

static void print_one(struct alloc_tag *tag, void *arg)
{
	struct print_ctx *ctx = arg;
	char line[512];

	if (!tag->counters)
		return;
	if (!ctx->all) {
		struct alloc_tag_counters c = alloc_tag_read(tag);

		if (!c.calls && !c.bytes && !alloc_tag_is_inaccurate(tag))
			return;
	}
	alloc_tag_to_text(line, sizeof(line), tag);
	fputs(line, ctx->out);
}

void allocinfo_print(FILE *out, bool all)
{
	struct print_ctx ctx = { out, all };

	fputs("allocinfo - version: 2.0\n", out);
	fputs("#     <size>  <calls> <tag info>\n", out);
	codetag_iterate(print_one, &ctx);
}
