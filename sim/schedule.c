// SPDX-License-Identifier: GPL-2.0
/*
 * sim/schedule.c - schedules as data: growable decision arrays, their
 * run-length text form "CPU:STEPS,CPU:STEPS", and a hash to count them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/schedule.h"

/* CPU numbers are stored as uint16_t. */
#define SCHEDULE_CPU_MAX	65535u
/*
 * A parsed schedule is allocated in one go; refuse absurd lengths instead of
 * letting an overcommitted allocation be killed later (128 MiB of decisions
 * is far beyond any boot the explorer runs).
 */
#define SCHEDULE_MAX_DECISIONS	(1ul << 26)

static int schedule_reserve(struct schedule *s, size_t want)
{
	uint16_t *cpu;
	size_t cap;

	if (want <= s->cap)
		return 0;
	cap = s->cap ? s->cap : 64;
	while (cap < want) {
		if (cap > SIZE_MAX / 2 / sizeof(*cpu))
			return -ENOMEM;
		cap *= 2;
	}
	cpu = realloc(s->cpu, cap * sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	s->cpu = cpu;
	s->cap = cap;
	return 0;
}

int schedule_push(struct schedule *s, int cpu)
{
	int ret;

	if (cpu < 0 || (unsigned int)cpu > SCHEDULE_CPU_MAX)
		return -EINVAL;
	ret = schedule_reserve(s, s->len + 1);
	if (ret)
		return ret;
	s->cpu[s->len++] = (uint16_t)cpu;
	return 0;
}

void schedule_reset(struct schedule *s)
{
	s->len = 0;
}

void schedule_free(struct schedule *s)
{
	free(s->cpu);
	s->cpu = NULL;
	s->len = s->cap = 0;
}

int schedule_copy(struct schedule *dst, const struct schedule *src)
{
	int ret = schedule_reserve(dst, src->len);

	if (ret)
		return ret;
	if (src->len)
		memcpy(dst->cpu, src->cpu, src->len * sizeof(*src->cpu));
	dst->len = src->len;
	return 0;
}

char *schedule_format(const struct schedule *s)
{
	/* "65535:" plus a size_t count plus ',' fits in 32 bytes. */
	size_t segments = s->len ? schedule_switches(s) + 1 : 0;
	size_t size = segments * 32 + 1, used = 0;
	char *buf = malloc(size);

	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (size_t i = 0; i < s->len;) {
		size_t j = i;

		while (j < s->len && s->cpu[j] == s->cpu[i])
			j++;
		used += snprintf(buf + used, size - used, "%s%u:%zu",
				 i ? "," : "", s->cpu[i], j - i);
		i = j;
	}
	return buf;
}

/* Parser state: the input, where we are, and where errors go. */
struct sched_parser {
	const char *str;
	size_t pos;		/* 0-based index into str */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int parse_error(struct sched_parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -1;
	n = snprintf(p->err, p->errlen, "at character %zu: ", pos + 1);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* "found 'x', expected WHAT" at the current position. */
static int parse_unexpected(struct sched_parser *p, const char *expected)
{
	unsigned char c = (unsigned char)p->str[p->pos];

	if (!c)
		return parse_error(p, p->pos, "found end of input, expected %s", expected);
	if (c >= 0x20 && c < 0x7f)
		return parse_error(p, p->pos, "found '%c', expected %s", c, expected);
	return parse_error(p, p->pos, "found '\\x%02x', expected %s", c, expected);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number no larger than @max; @what names it in errors. */
static int parse_number(struct sched_parser *p, unsigned long max, const char *what,
			unsigned long *out)
{
	size_t start = p->pos;
	unsigned long val = 0;

	if (!is_digit(p->str[p->pos]))
		return parse_unexpected(p, "a digit");
	while (is_digit(p->str[p->pos])) {
		val = val * 10 + (unsigned long)(p->str[p->pos] - '0');
		if (val > max)
			return parse_error(p, start, "%s too large (max %lu)", what, max);
		p->pos++;
	}
	*out = val;
	return 0;
}

/*
 * One pass over the text.  With @out NULL it only validates and sums the
 * decisions into @total; with @out it appends them (the caller has reserved
 * the room, so this pass cannot fail on memory).
 */
static int parse_pass(struct sched_parser *p, unsigned int max_cpus,
		      struct schedule *out, size_t *total)
{
	p->pos = 0;
	*total = 0;
	if (!p->str[0])
		return 0;
	for (;;) {
		size_t cpu_pos = p->pos, count_pos;
		unsigned long cpu, count;

		if (parse_number(p, SCHEDULE_CPU_MAX, "CPU number", &cpu))
			return -1;
		if (max_cpus && cpu >= max_cpus)
			return parse_error(p, cpu_pos, "CPU %lu is not below the CPU count %u",
					   cpu, max_cpus);
		if (p->str[p->pos] != ':')
			return parse_unexpected(p, "a digit or ':'");
		p->pos++;
		count_pos = p->pos;
		if (parse_number(p, SCHEDULE_MAX_DECISIONS, "step count", &count))
			return -1;
		if (!count)
			return parse_error(p, count_pos,
					   "step count 0, a segment needs at least 1 step");
		if (*total + count > SCHEDULE_MAX_DECISIONS)
			return parse_error(p, count_pos, "schedule longer than %lu decisions",
					   SCHEDULE_MAX_DECISIONS);
		if (out)
			for (unsigned long k = 0; k < count; k++)
				out->cpu[out->len++] = (uint16_t)cpu;
		*total += count;
		if (!p->str[p->pos])
			return 0;
		if (p->str[p->pos] != ',')
			return parse_unexpected(p, "a digit, ',' or end of input");
		p->pos++;
	}
}

int schedule_parse(const char *str, unsigned int max_cpus, struct schedule *out,
		   char *err, size_t errlen)
{
	struct sched_parser p = { .str = str, .err = err, .errlen = errlen };
	size_t total;

	if (err && errlen)
		err[0] = '\0';
	out->len = 0;
	if (parse_pass(&p, max_cpus, NULL, &total))
		return -1;
	if (schedule_reserve(out, total)) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory for %zu decisions", total);
		return -1;
	}
	return parse_pass(&p, max_cpus, out, &total);
}

size_t schedule_switches(const struct schedule *s)
{
	size_t n = 0;

	for (size_t i = 1; i < s->len; i++)
		n += s->cpu[i] != s->cpu[i - 1];
	return n;
}

#define FNV64_OFFSET	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL

static uint64_t fnv1a_byte(uint64_t h, uint8_t byte)
{
	return (h ^ byte) * FNV64_PRIME;
}

uint64_t schedule_hash(const struct schedule *s)
{
	uint64_t h = FNV64_OFFSET;
	uint64_t len = s->len;

	/* Length first (little-endian bytes), then each decision. */
	for (int b = 0; b < 8; b++)
		h = fnv1a_byte(h, (uint8_t)(len >> (8 * b)));
	for (size_t i = 0; i < s->len; i++) {
		h = fnv1a_byte(h, (uint8_t)s->cpu[i]);
		h = fnv1a_byte(h, (uint8_t)(s->cpu[i] >> 8));
	}
	return h;
}
