// SPDX-License-Identifier: GPL-2.0
/*
 * alloc/gfp.c - gfp_t rendering and parsing (the ftrace gfp_flags= text) and
 * the gfp → zone / migratetype mappings (§2.8).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mm.h"

struct gfp_name {
	gfp_t mask;
	const char *name;
};

#define GFP_NAME(flag)	{ flag, #flag }

/*
 * The kernel's show_gfp_flags() table (include/trace/events/mmflags.h), in its
 * order: the renderer takes the first entry whose bits are all set, so the
 * composites must come before the single bits they are made of, and the order
 * of the singles is what appears in real traces ("...|__GFP_COMP|__GFP_ZERO").
 */
static const struct gfp_name gfp_names[] = {
	GFP_NAME(GFP_TRANSHUGE),
	GFP_NAME(GFP_TRANSHUGE_LIGHT),
	GFP_NAME(GFP_HIGHUSER_MOVABLE),
	GFP_NAME(GFP_HIGHUSER),
	GFP_NAME(GFP_USER),
	GFP_NAME(GFP_KERNEL_ACCOUNT),
	GFP_NAME(GFP_KERNEL),
	GFP_NAME(GFP_NOFS),
	GFP_NAME(GFP_ATOMIC),
	GFP_NAME(GFP_NOIO),
	GFP_NAME(GFP_NOWAIT),
	GFP_NAME(GFP_DMA),
	GFP_NAME(__GFP_HIGHMEM),
	GFP_NAME(GFP_DMA32),
	GFP_NAME(__GFP_HIGH),
	GFP_NAME(__GFP_IO),
	GFP_NAME(__GFP_FS),
	GFP_NAME(__GFP_NOWARN),
	GFP_NAME(__GFP_RETRY_MAYFAIL),
	GFP_NAME(__GFP_NOFAIL),
	GFP_NAME(__GFP_NORETRY),
	GFP_NAME(__GFP_COMP),
	GFP_NAME(__GFP_ZERO),
	GFP_NAME(__GFP_NOMEMALLOC),
	GFP_NAME(__GFP_MEMALLOC),
	GFP_NAME(__GFP_HARDWALL),
	GFP_NAME(__GFP_THISNODE),
	GFP_NAME(__GFP_RECLAIMABLE),
	GFP_NAME(__GFP_MOVABLE),
	GFP_NAME(__GFP_ACCOUNT),
	GFP_NAME(__GFP_WRITE),
	GFP_NAME(__GFP_RECLAIM),
	GFP_NAME(__GFP_DIRECT_RECLAIM),
	GFP_NAME(__GFP_KSWAPD_RECLAIM),
	GFP_NAME(__GFP_ZEROTAGS),
};

/*
 * Names the kernel never prints but that people write: the kernel has no
 * show_gfp_flags entry for __GFP_NO_OBJ_EXT (a trace shows it as leftover
 * hex), and __GFP_DMA/__GFP_DMA32 print under their GFP_ aliases.
 */
static const struct gfp_name gfp_parse_only_names[] = {
	GFP_NAME(__GFP_NO_OBJ_EXT),
	GFP_NAME(__GFP_DMA),
	GFP_NAME(__GFP_DMA32),
};

static void put_str(char *buf, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + 1 < size) {
		size_t room = size - 1 - *pos;

		memcpy(buf + *pos, s, n < room ? n : room);
	}
	*pos += n;
}

size_t gfp_print(char *buf, size_t size, gfp_t gfp)
{
	size_t pos = 0;
	gfp_t left = gfp;

	if (!size)
		return 0;
	if (!gfp) {
		put_str(buf, size, &pos, "none");
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(gfp_names) && left; i++) {
			gfp_t mask = gfp_names[i].mask;

			if ((left & mask) != mask)
				continue;
			left &= ~mask;
			if (pos)
				put_str(buf, size, &pos, "|");
			put_str(buf, size, &pos, gfp_names[i].name);
		}
		if (left) {
			char hex[16];

			snprintf(hex, sizeof(hex), "0x%x", left);
			if (pos)
				put_str(buf, size, &pos, "|");
			put_str(buf, size, &pos, hex);
		}
	}
	if (pos >= size)
		pos = size - 1;
	buf[pos] = '\0';
	return pos;
}

static bool lookup_name(const struct gfp_name *tab, size_t n, const char *s,
			size_t len, gfp_t *out)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(tab[i].name) == len && !memcmp(tab[i].name, s, len)) {
			*out = tab[i].mask;
			return true;
		}
	}
	return false;
}

static bool parse_hex(const char *s, size_t len, gfp_t *out)
{
	unsigned long long v = 0;

	if (len < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	for (size_t i = 2; i < len; i++) {
		int c = (unsigned char)s[i];

		if (!isxdigit(c))
			return false;
		v = v * 16 + (unsigned)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
		if (v > 0xffffffffULL)
			return false;
	}
	*out = (gfp_t)v;
	return true;
}

static bool parse_token(const char *s, size_t len, gfp_t *out)
{
	if (len == 4 && !memcmp(s, "none", 4)) {
		*out = 0;
		return true;
	}
	return lookup_name(gfp_names, ARRAY_SIZE(gfp_names), s, len, out) ||
	       lookup_name(gfp_parse_only_names, ARRAY_SIZE(gfp_parse_only_names),
			   s, len, out) ||
	       parse_hex(s, len, out);
}

int gfp_parse(const char *s, size_t len, gfp_t *out, const char **bad)
{
	const char *end = s + len;
	gfp_t gfp = 0;

	for (;;) {
		const char *tok = s, *bar = memchr(s, '|', (size_t)(end - s));
		const char *tend = bar ? bar : end;
		gfp_t v;

		/* Tolerate "A | B" as people type it; traces never have spaces. */
		while (tok < tend && isspace((unsigned char)*tok))
			tok++;
		while (tend > tok && isspace((unsigned char)tend[-1]))
			tend--;
		if (!parse_token(tok, (size_t)(tend - tok), &v)) {
			if (bad)
				*bad = tok;
			return -1;
		}
		gfp |= v;
		if (!bar)
			break;
		s = bar + 1;
	}
	*out = gfp;
	return 0;
}
