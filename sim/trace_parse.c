// SPDX-License-Identifier: GPL-2.0
/*
 * sim/trace_parse.c - streaming ftrace-text reader (contract in
 * trace_parse.h).
 *
 * Speed (a replay wants millions of events a second; bench_trace_parse):
 * - one block buffer holds the text, split into lines in place by a single
 *   scan that finds the newline and any control byte together;
 * - lines are parsed by hand, no sscanf/strtok/regex; scanners take 16
 *   bytes a step with SSE2 and 8 (word-at-a-time) elsewhere;
 * - the kernel prints the mm_page_* fields in one order, which is read
 *   directly; anything else goes through a general key=value loop, which
 *   also words the errors;
 * - gfp strings repeat (a boot has a few dozen distinct ones): a small
 *   table of parsed strings spares gfp_parse() on almost every allocation.
 * The only per-line copy is the task name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HAVE_LZMA
#include <lzma.h>
#endif
/* TRACE_PARSE_NO_SIMD: test the portable word loops on x86 too. */
#if defined(__SSE2__) && !defined(TRACE_PARSE_NO_SIMD)
#define TRACE_SSE2 1
#include <emmintrin.h>
#endif

#include "sim/trace_parse.h"

/* A full line must fit after compaction, and one byte more to see it is too long. */
#define TRACE_MIN_BLOCK		(TRACE_MAX_LINE + 1)
/* Compressed input is read in these pieces. */
#define RAW_BLOCK		(256u << 10)
/* Enough for xz -9 (64 MiB dictionary); a hostile header asks for far more. */
#define XZ_MEMLIMIT		(256ull << 20)
#define MSG_MAX			512
/* Printable characters of offending text quoted in a message. */
#define SHOW_MAX		60
/* Direct-mapped: slot by length and two characters. */
#define GFP_CACHE		64
#define GFP_CACHE_LEN		192
/* Bytes looked at to recognise compressed or binary input. */
#define SNIFF_LEN		16

enum codec { CODEC_PLAIN, CODEC_GZIP, CODEC_XZ };

struct gfp_cache_entry {
	size_t len;		/* 0: unused */
	gfp_t gfp;
	char text[GFP_CACHE_LEN];
};

struct trace_reader {
	char *name;
	int fd;				/* -1: memory input */
	bool close_fd;			/* not for stdin */
	const unsigned char *mem;	/* memory input */
	size_t mem_len, mem_pos;

	enum codec codec;
	/* Compressed bytes not yet decompressed: raw storage (file) or mem. */
	const unsigned char *in;
	size_t in_len, in_pos;
	bool in_eof;			/* no compressed bytes beyond in_len */
	unsigned char *raw;
	bool codec_done;		/* the (last) stream ended */
#ifdef HAVE_ZLIB
	z_stream z;
	bool z_init;
#endif
#ifdef HAVE_LZMA
	lzma_stream xz;
	bool xz_init;
#endif

	/* Text: [pos, len) not yet split into lines. */
	char *buf;
	size_t cap, pos, len;
	bool eof;			/* nothing more will come into buf */

	bool started;			/* trace_next() was called */
	bool lenient;
	bool failed;			/* sticky error in msg */
	unsigned long nevents;
	struct trace_stats st;
	char msg[MSG_MAX];
	char *first_error;

	struct gfp_cache_entry gfpc[GFP_CACHE];
};

/* ---- messages ---------------------------------------------------------- */

struct msgbuf {
	char *s;
	size_t size, len;
};

__attribute__((format(printf, 2, 3)))
static void msg_add(struct msgbuf *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (m->len + 1 >= m->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(m->s + m->len, m->size - m->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		m->len = (m->len + (size_t)n < m->size) ? m->len + (size_t)n : m->size - 1;
}

/* @len bytes of input, at most SHOW_MAX characters, non-printables as \xNN. */
static void msg_show(struct msgbuf *m, const char *s, size_t len)
{
	size_t shown = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t w = (c >= 0x20 && c < 0x7f) ? 1 : 4;

		if (shown + w > SHOW_MAX) {
			msg_add(m, "...");
			return;
		}
		if (w == 1)
			msg_add(m, "%c", c);
		else
			msg_add(m, "\\x%02x", c);
		shown += w;
	}
}

static void copy_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* A whole-file problem ("PATH: ..."): fails in lenient mode too. */
__attribute__((format(printf, 2, 3)))
static int file_error(struct trace_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->msg, sizeof(r->msg), "%s: ", r->name);

	if (n >= 0 && (size_t)n < sizeof(r->msg)) {
		va_start(ap, fmt);
		vsnprintf(r->msg + n, sizeof(r->msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	r->failed = true;
	return -1;
}

/* "PATH:LINE: found 'TEXT'; expected WHAT" about [at, to) of the current line. */
__attribute__((format(printf, 4, 5)))
static int bad_line(struct trace_reader *r, const char *at, const char *to,
		    const char *fmt, ...)
{
	struct msgbuf m = { r->msg, sizeof(r->msg), 0 };
	va_list ap;
	int n;

	r->msg[0] = '\0';
	msg_add(&m, "%s:%lu: found '", r->name, r->st.lines);
	msg_show(&m, at, (size_t)(to - at));
	msg_add(&m, "'; expected ");
	if (m.len + 1 < m.size) {
		va_start(ap, fmt);
		n = vsnprintf(m.s + m.len, m.size - m.len, fmt, ap);
		va_end(ap);
		(void)n;
	}
	return -1;
}

/* ---- input ------------------------------------------------------------- */

static ssize_t read_fd(int fd, void *dst, size_t n)
{
	ssize_t got;

	do
		got = read(fd, dst, n);
	while (got < 0 && errno == EINTR);
	return got;
}

#if defined(HAVE_ZLIB) || defined(HAVE_LZMA)
/* Next piece of compressed input (files only; memory input is all there). */
static int refill_in(struct trace_reader *r)
{
	ssize_t n;

	if (r->fd < 0) {
		r->in_eof = true;
		return 0;
	}
	n = read_fd(r->fd, r->raw, RAW_BLOCK);
	if (n < 0)
		return file_error(r, "cannot read: %s", strerror(errno));
	r->in = r->raw;
	r->in_len = (size_t)n;
	r->in_pos = 0;
	if (!n)
		r->in_eof = true;
	return 0;
}

#endif

#ifdef HAVE_ZLIB
/* Decompressed bytes into @out: >0, 0 at the end, -1 on error. */
static ssize_t gz_read(struct trace_reader *r, unsigned char *out, size_t room)
{
	z_stream *z = &r->z;

	z->next_out = out;
	z->avail_out = (uInt)room;
	while (z->avail_out == room) {
		size_t chunk;
		int ret;

		if (r->in_pos == r->in_len && !r->in_eof && refill_in(r))
			return -1;
		if (r->codec_done) {
			/* gzip files may be several members back to back. */
			if (r->in_pos == r->in_len)
				return 0;
			inflateReset(z);
			r->codec_done = false;
		}
		chunk = r->in_len - r->in_pos;
		if (chunk > UINT_MAX)
			chunk = UINT_MAX;
		z->next_in = (Bytef *)(uintptr_t)(r->in + r->in_pos);
		z->avail_in = (uInt)chunk;
		ret = inflate(z, Z_NO_FLUSH);
		r->in_pos += chunk - z->avail_in;
		if (ret == Z_STREAM_END) {
			r->codec_done = true;
		} else if (ret == Z_BUF_ERROR && !z->avail_in) {
			if (r->in_eof)
				return file_error(r, "truncated gzip data");
		} else if (ret != Z_OK) {
			return file_error(r, "gzip data corrupt (%s)",
					  z->msg ? z->msg : "zlib error");
		}
	}
	return (ssize_t)(room - z->avail_out);
}
#endif

#ifdef HAVE_LZMA
static ssize_t xz_read(struct trace_reader *r, unsigned char *out, size_t room)
{
	lzma_stream *s = &r->xz;

	s->next_out = out;
	s->avail_out = room;
	while (s->avail_out == room) {
		lzma_ret ret;
		size_t chunk;

		if (r->codec_done)
			return 0;
		if (r->in_pos == r->in_len && !r->in_eof && refill_in(r))
			return -1;
		chunk = r->in_len - r->in_pos;
		s->next_in = r->in + r->in_pos;
		s->avail_in = chunk;
		/* LZMA_CONCATENATED needs FINISH to know the last stream ended. */
		ret = lzma_code(s, r->in_eof ? LZMA_FINISH : LZMA_RUN);
		r->in_pos += chunk - s->avail_in;
		switch (ret) {
		case LZMA_OK:
			break;
		case LZMA_STREAM_END:
			r->codec_done = true;
			break;
		case LZMA_BUF_ERROR:
			return file_error(r, "truncated xz data");
		case LZMA_MEMLIMIT_ERROR:
			return file_error(r, "xz data needs more than %llu MiB to decompress",
					  XZ_MEMLIMIT >> 20);
		case LZMA_MEM_ERROR:
			return file_error(r, "out of memory decompressing xz data");
		case LZMA_FORMAT_ERROR:
			return file_error(r, "not xz data");
		case LZMA_OPTIONS_ERROR:
			return file_error(r, "xz data with unsupported options");
		default:
			return file_error(r, "xz data corrupt (liblzma error %d)", (int)ret);
		}
	}
	return (ssize_t)(room - s->avail_out);
}
#endif

/* Append text to buf[len, cap): 0 (added, or eof set), -1 on error. */
static int fill(struct trace_reader *r)
{
	size_t room = r->cap - r->len;
	unsigned char *dst = (unsigned char *)r->buf + r->len;
	ssize_t n;

	switch (r->codec) {
	case CODEC_PLAIN:
		if (r->fd < 0) {
			n = (ssize_t)(r->mem_len - r->mem_pos < room ? r->mem_len - r->mem_pos : room);
			if (n)
				memcpy(dst, r->mem + r->mem_pos, (size_t)n);
			r->mem_pos += (size_t)n;
		} else {
			n = read_fd(r->fd, dst, room);
			if (n < 0)
				return file_error(r, "cannot read: %s", strerror(errno));
		}
		break;
#ifdef HAVE_ZLIB
	case CODEC_GZIP:
		n = gz_read(r, dst, room);
		break;
#endif
#ifdef HAVE_LZMA
	case CODEC_XZ:
		n = xz_read(r, dst, room);
		break;
#endif
	default:
		return file_error(r, "internal error: no decoder");
	}
	if (n < 0)
		return -1;
	if (!n)
		r->eof = true;
	r->len += (size_t)n;
	r->st.bytes += (unsigned long long)n;
	return 0;
}

/* ---- scanning ---------------------------------------------------------- */

/*
 * Word-at-a-time scanning: a line is mostly padding, hex pointers and flag
 * names, and byte loops over them were most of the parse time.  zero_bytes()
 * is the exact form (no false positives), so the first flagged byte is found
 * with one count-zeros on either byte order.
 */
#define ONES	0x0101010101010101ull
#define LOW7	0x7f7f7f7f7f7f7f7full

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static inline uint64_t load8(const char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return x;
}

/* The high bit of every byte of @x that is zero. */
static inline uint64_t zero_bytes(uint64_t x)
{
	return ~(((x & LOW7) + LOW7) | x | LOW7);
}

/* Index of the first byte (in memory order) flagged in @m != 0. */
static inline size_t first_flagged(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (size_t)__builtin_clzll(m) >> 3;
#else
	return (size_t)__builtin_ctzll(m) >> 3;
#endif
}

/*
 * With SSE2 (every x86-64) the scanners first take 16 bytes per step; the
 * word loops below finish the tail, and are all there is elsewhere.
 */
#ifdef TRACE_SSE2
#define SCAN16(p, end, mask_expr)						\
	do {									\
		while ((end) - (p) >= 16) {					\
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p)); \
			unsigned int m = (unsigned int)_mm_movemask_epi8(mask_expr); \
									\
			if (m)							\
				return (p) + __builtin_ctz(m);			\
			(p) += 16;						\
		}								\
	} while (0)
#define V8(c)	_mm_set1_epi8((char)(c))
#else
#define SCAN16(p, end, mask_expr)	do { } while (0)
#endif

/* The first byte below 0x20 (newline, tab, CR or a control byte), or end. */
static inline char *find_below_space(char *p, const char *end)
{
	/* min(x, 0x1f) == x exactly for the bytes below 0x20 */
	SCAN16(p, end, _mm_cmpeq_epi8(_mm_min_epu8(x, V8(0x1f)), x));
	while (end - p >= 8) {
		uint64_t m = zero_bytes(load8(p) & (ONES * 0xe0));

		if (m)
			return p + first_flagged(m);
		p += 8;
	}
	while (p < end && (unsigned char)*p >= 0x20)
		p++;
	return p;
}

/* The first byte equal to @a or @b in [p, end), or end. */
static inline const char *find2(const char *p, const char *end, char a, char b)
{
	SCAN16(p, end, _mm_or_si128(_mm_cmpeq_epi8(x, V8(a)), _mm_cmpeq_epi8(x, V8(b))));
	while (end - p >= 8) {
		uint64_t x = load8(p);
		uint64_t m = zero_bytes(x ^ (ONES * (unsigned char)a)) |
			     zero_bytes(x ^ (ONES * (unsigned char)b));

		if (m)
			return p + first_flagged(m);
		p += 8;
	}
	while (p < end && *p != a && *p != b)
		p++;
	return p;
}

static inline const char *find3(const char *p, const char *end, char a, char b, char c)
{
	SCAN16(p, end, _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, V8(a)),
						 _mm_cmpeq_epi8(x, V8(b))),
				    _mm_cmpeq_epi8(x, V8(c))));
	while (end - p >= 8) {
		uint64_t x = load8(p);
		uint64_t m = zero_bytes(x ^ (ONES * (unsigned char)a)) |
			     zero_bytes(x ^ (ONES * (unsigned char)b)) |
			     zero_bytes(x ^ (ONES * (unsigned char)c));

		if (m)
			return p + first_flagged(m);
		p += 8;
	}
	while (p < end && *p != a && *p != b && *p != c)
		p++;
	return p;
}

static inline const char *skip_space(const char *p, const char *end)
{
	/* The first byte that is neither space nor tab. */
	SCAN16(p, end, _mm_xor_si128(_mm_or_si128(_mm_cmpeq_epi8(x, V8(' ')),
						  _mm_cmpeq_epi8(x, V8('\t'))), V8(0xff)));
	while (end - p >= 8) {
		uint64_t y = load8(p) ^ (ONES * ' ');

		if (y) {
			/* First non-blank byte: y's first non-zero byte. */
			p += first_flagged(~zero_bytes(y) & ~LOW7);
			break;
		}
		p += 8;
	}
	while (p < end && is_space(*p))
		p++;
	return p;
}

/* The first space or tab in [p, end), or end. */
static inline const char *skip_nonspace(const char *p, const char *end)
{
	return find2(p, end, ' ', '\t');
}

/* ---- lines --------------------------------------------------------------- */

/*
 * The line starting at buf[pos] is longer than TRACE_MAX_LINE (it starts at
 * @s, @have bytes of it are in the buffer).  Say so; in lenient mode, drop
 * the rest of it too.
 */
static int long_line(struct trace_reader *r, const char *s, size_t have, bool rest)
{
	struct msgbuf m = { r->msg, sizeof(r->msg), 0 };

	msg_add(&m, "%s:%lu: line longer than %d bytes; found '", r->name,
		r->st.lines, TRACE_MAX_LINE);
	msg_show(&m, s, have);
	msg_add(&m, "'; expected at most %d bytes per line", TRACE_MAX_LINE);
	if (!r->lenient) {
		r->failed = true;
		return -1;
	}
	/* Skip to just past the next newline, a block at a time. */
	while (rest) {
		char *nl;

		r->pos = r->len = 0;
		if (r->eof)
			break;
		if (fill(r))
			return -1;
		nl = memchr(r->buf, '\n', r->len);
		if (nl) {
			r->pos = (size_t)(nl + 1 - r->buf);
			break;
		}
	}
	return 2;
}

/*
 * 1: a line in [*sp, *sp + *np), *ctrl its first control byte (below 0x20,
 * not tab or CR) or NULL; 0: end of input; 2: a long line skipped; -1.
 * One scan finds both the newline and control bytes.
 */
static int next_line(struct trace_reader *r, const char **sp, size_t *np,
		     const char **ctrl)
{
	for (;;) {
		char *s = r->buf + r->pos, *q = s;
		const char *e = r->buf + r->len, *bad = NULL;
		size_t avail = r->len - r->pos;

		for (;;) {
			q = find_below_space(q, e);
			if (q == e || *q == '\n')
				break;
			if (*q != '\t' && *q != '\r' && !bad)
				bad = q;
			q++;
		}
		if (q < e) {
			size_t n = (size_t)(q - s);

			r->pos += n + 1;
			r->st.lines++;
			if (n > TRACE_MAX_LINE)
				return long_line(r, s, n, false);
			*sp = s;
			*np = n;
			*ctrl = bad;
			return 1;
		}
		if (avail > TRACE_MAX_LINE) {
			r->st.lines++;
			return long_line(r, s, avail, true);
		}
		if (r->eof) {
			if (!avail)
				return 0;
			r->pos = r->len;
			r->st.lines++;
			*sp = s;
			*np = avail;
			*ctrl = bad;
			return 1;
		}
		if (r->pos) {
			memmove(r->buf, s, avail);
			r->pos = 0;
			r->len = avail;
		}
		if (fill(r))
			return -1;
	}
}

/* ---- line parsing ------------------------------------------------------ */

static const char *trim_end(const char *p, const char *end)
{
	while (end > p && is_space(end[-1]))
		end--;
	return end;
}

/* Decimal digits [p, end) as a value <= @max; false if empty, bad or larger. */
static bool dec_value(const char *p, const char *end, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long v = 0;

	if (p >= end)
		return false;
	for (; p < end; p++) {
		unsigned int d = (unsigned char)(*p - '0');

		/* No division per digit: the overflow builtins are a flag test. */
		if (d > 9 || __builtin_mul_overflow(v, 10ull, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return false;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* Hex digit value + 1, 0 for other bytes: a load instead of mispredicted branches. */
static const unsigned char hex1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static bool hex_value(const char *p, const char *end, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long v = 0;

	if (p >= end)
		return false;
	for (; p < end; p++) {
		unsigned int d = hex1[(unsigned char)*p];

		if (!d || v >> 60)
			return false;
		v = v << 4 | (d - 1);
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* "0x1f" or "31". */
static bool num_value(const char *p, const char *end, unsigned long long max,
		      unsigned long long *out)
{
	if (end - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x')
		return hex_value(p + 2, end, max, out);
	return dec_value(p, end, max, out);
}

static bool starts_with(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && !memcmp(p, prefix, n);
}

/* Field by field: a memset of the whole event was a tenth of the parse time. */
static void clear_event(struct trace_event *ev, enum trace_event_kind kind)
{
	ev->kind = kind;
	ev->line = 0;
	ev->cpu = 0;
	ev->pid = 0;
	ev->task[0] = '\0';
	ev->ts_ns = 0;
	ev->pfn = 0;
	ev->order = 0;
	ev->migratetype = 0;
	ev->gfp = 0;
	ev->failed = false;
	ev->text = NULL;
	ev->text_len = 0;
	ev->lost_events = 0;
}

/*
 * Lines that are not events but belong to the format: trace-cmd report's
 * preamble ("version = 6", "cpus=2", "CPU 1 is empty") is 1, the kernel's
 * and trace-cmd's lost-event notes are 2 (an OTHER event), anything else 0.
 */
static int special_line(const char *p, const char *end, struct trace_event *ev)
{
	unsigned long long a, b;
	const char *q;

	if (starts_with(p, end, "version = ") &&
	    dec_value(p + 10, end, ULLONG_MAX, &a))
		return 1;
	if (starts_with(p, end, "cpus=") && dec_value(p + 5, end, ULLONG_MAX, &a))
		return 1;
	if (starts_with(p, end, "CPU ")) {
		for (q = p + 4; q < end && is_digit(*q); q++)
			;
		if (q > p + 4 && (size_t)(end - q) == 9 && !memcmp(q, " is empty", 9))
			return 1;
		return 0;
	}
	if (!starts_with(p, end, "CPU:"))
		return 0;
	for (q = p + 4; q < end && is_digit(*q); q++)
		;
	if (!dec_value(p + 4, q, INT_MAX, &a))
		return 0;
	p = q;
	/* " [LOST " DIGITS " EVENTS]" or " [" DIGITS " EVENTS DROPPED]" */
	if (end - p >= 7 + 1 + 8 && starts_with(p, end, " [LOST ") &&
	    starts_with(end - 8, end, " EVENTS]")) {
		if (!dec_value(p + 7, end - 8, ULONG_MAX, &b))
			return 0;
	} else if (end - p >= 2 + 1 + 16 && starts_with(p, end, " [") &&
		   starts_with(end - 16, end, " EVENTS DROPPED]")) {
		if (!dec_value(p + 2, end - 16, ULONG_MAX, &b))
			return 0;
	} else {
		return 0;
	}
	clear_event(ev, TEV_OTHER);
	ev->cpu = (int)a;
	ev->pid = -1;
	ev->lost_events = (unsigned long)b;
	ev->text = "lost_events";
	ev->text_len = strlen(ev->text);
	return 2;
}

/*
 * Is the '[' at @q the CPU column of a line whose task starts at @task?  It
 * must read "[DIGITS]" after whitespace, preceded by "-PID" and optionally a
 * "(TGID)" column.  On success fill cpu, pid and task and return the byte
 * after ']'.
 */
static const char *cpu_column(const char *task, const char *q, const char *end,
			      struct trace_event *ev)
{
	const char *d = q + 1, *b = q, *pid_end;
	unsigned long long cpu, pid;
	size_t tlen;

	while (d < end && is_digit(*d))
		d++;
	if (d == q + 1 || d == end || *d != ']' || q == task || !is_space(q[-1]))
		return NULL;
	if (!dec_value(q + 1, d, INT_MAX, &cpu))
		return NULL;
	while (b > task && is_space(b[-1]))
		b--;
	if (b > task && b[-1] == ')') {
		const char *o = b - 1;

		/*
		 * "(  1977)" or "(-------)": only those characters, which also
		 * keeps the search linear on a line full of brackets.
		 */
		while (o > task && (is_digit(o[-1]) || o[-1] == ' ' || o[-1] == '-'))
			o--;
		if (o == task || o[-1] != '(')
			return NULL;
		b = o - 1;
		while (b > task && is_space(b[-1]))
			b--;
	}
	pid_end = b;
	while (b > task && is_digit(b[-1]))
		b--;
	if (b == pid_end || b - 1 <= task || b[-1] != '-')
		return NULL;
	if (!dec_value(b, pid_end, INT_MAX, &pid))
		return NULL;
	tlen = (size_t)(b - 1 - task);
	if (tlen > sizeof(ev->task) - 1)
		tlen = sizeof(ev->task) - 1;
	memcpy(ev->task, task, tlen);
	ev->task[tlen] = '\0';
	ev->cpu = (int)cpu;
	ev->pid = (int)pid;
	return d + 1;
}

/* "1.913220:" -> ns; up to 9 fractional digits.  Returns the byte after ':'. */
static const char *timestamp(const char *p, const char *end, uint64_t *ns)
{
	unsigned long long sec;
	uint64_t frac = 0;
	const char *q = p, *dot;
	int digits = 0;

	while (q < end && is_digit(*q))
		q++;
	if (q == p || q == end || *q != '.')
		return NULL;
	if (!dec_value(p, q, UINT64_MAX / 1000000000ull - 1, &sec))
		return NULL;
	dot = q++;
	while (q < end && is_digit(*q) && digits < 9) {
		frac = frac * 10 + (uint64_t)(*q - '0');
		digits++;
		q++;
	}
	if (q == dot + 1 || q == end || *q != ':')
		return NULL;
	while (digits++ < 9)
		frac *= 10;
	*ns = (uint64_t)sec * 1000000000ull + frac;
	return q + 1;
}

/* The slot a gfp string is remembered in (a collision just costs a parse). */
static struct gfp_cache_entry *gfp_slot(struct trace_reader *r, const char *v, size_t len)
{
	size_t h = len;

	if (len)
		h = h * 31 + (unsigned char)v[len - 1] * 7 + (unsigned char)v[len / 2];
	return &r->gfpc[h % GFP_CACHE];
}

static bool gfp_cached(struct trace_reader *r, const char *v, size_t len, gfp_t *out)
{
	const struct gfp_cache_entry *e = gfp_slot(r, v, len);

	if (e->len != len || !len || memcmp(e->text, v, len))
		return false;
	*out = e->gfp;
	return true;
}

/*
 * The gfp_flags= value at @v: remembered, or parsed and remembered.  Returns
 * the byte after the value, or NULL on a bad name (message in r->msg).
 */
static const char *gfp_value(struct trace_reader *r, const char *v, const char *end,
			     gfp_t *out)
{
	const char *vend = skip_nonspace(v, end), *bad = NULL, *bad_end;
	size_t len = (size_t)(vend - v);
	struct gfp_cache_entry *e;

	if (gfp_cached(r, v, len, out))
		return vend;
	if (gfp_parse(v, len, out, &bad)) {
		if (!bad || bad < v || bad > vend)
			bad = v;
		bad_end = memchr(bad, '|', (size_t)(vend - bad));
		if (!bad_end)
			bad_end = vend;
		bad_line(r, bad, bad_end,
			 "a gfp flag name like GFP_KERNEL or __GFP_ZERO, or 0xHEX "
			 "(an unknown gfp_flags= name)");
		return NULL;
	}
	if (len && len <= GFP_CACHE_LEN) {
		e = gfp_slot(r, v, len);
		memcpy(e->text, v, len);
		e->len = len;
		e->gfp = *out;
	}
	return vend;
}

/*
 * Digits at @p up to the next blank or @end: the byte after them, or NULL
 * (no digits, another byte, or more than @max).  Hex with a 0x prefix.
 */
static const char *scan_num(const char *p, const char *end, unsigned long long max,
			    unsigned long long *out)
{
	unsigned long long v = 0;
	const char *q;

	if (end - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x') {
		for (q = p += 2; q < end && hex1[(unsigned char)*q]; q++)
			;
		if (q == p || (q < end && !is_space(*q)) || !hex_value(p, q, max, &v))
			return NULL;
		*out = v;
		return q;
	}
	for (q = p; q < end && is_digit(*q); q++)
		if (__builtin_mul_overflow(v, 10ull, &v) ||
		    __builtin_add_overflow(v, (unsigned int)(*q - '0'), &v))
			return NULL;
	if (q == p || (q < end && !is_space(*q)) || v > max)
		return NULL;
	*out = v;
	return q;
}

static bool expect(const char **pp, const char *end, const char *word, size_t n)
{
	if ((size_t)(end - *pp) < n || memcmp(*pp, word, n))
		return false;
	*pp += n;
	return true;
}
#define EXPECT(pp, end, word)	expect(pp, end, word, sizeof(word) - 1)

/*
 * The kernel prints the fields in one order with single spaces:
 *   page=%p pfn=0x%lx order=%d [migratetype=%d gfp_flags=%s]
 * Read that directly (no key search); 0 sends anything else, errors
 * included, to the general loop.
 */
static int page_fields_fast(struct trace_reader *r, const char *p, const char *end,
			    struct trace_event *ev)
{
	unsigned long long v;

	if (!EXPECT(&p, end, "page="))
		return 0;
	/* A hashed pointer is 16 hex digits: look there before scanning. */
	if (end - p > 16 && p[16] == ' ')
		p += 16;
	else
		p = skip_nonspace(p, end);
	if (!EXPECT(&p, end, " pfn=") || !(p = scan_num(p, end, ULONG_MAX, &v)))
		return 0;
	ev->pfn = (unsigned long)v;
	if (!EXPECT(&p, end, " order=") || !(p = scan_num(p, end, TRACE_MAX_ORDER, &v)))
		return 0;
	ev->order = (unsigned int)v;
	if (ev->kind != TEV_ALLOC)
		return p == end;
	if (!EXPECT(&p, end, " migratetype=") || !(p = scan_num(p, end, INT_MAX, &v)))
		return 0;
	ev->migratetype = (int)v;
	if (!EXPECT(&p, end, " gfp_flags="))
		return 0;
	/* The value runs to the end of the line: its length is known. */
	if (!gfp_cached(r, p, (size_t)(end - p), &ev->gfp))
		return 0;
	ev->failed = ev->pfn == 0;
	return 1;
}

/* The key=value body of mm_page_alloc / mm_page_free / mm_page_free_batched. */
static int page_fields(struct trace_reader *r, const char *p, const char *end,
		       struct trace_event *ev)
{
	bool alloc = ev->kind == TEV_ALLOC;
	bool have_pfn = false, have_order = false, have_mt = false, have_gfp = false;
	const char *body = p;
	unsigned long long v;

	end = trim_end(p, end);
	if (page_fields_fast(r, p, end, ev))
		return 1;
	for (;;) {
		const char *tok, *val;
		size_t klen;

		p = skip_space(p, end);
		if (p == end)
			break;
		tok = p;
		p = find3(p, end, '=', ' ', '\t');
		if (p == end || *p != '=')
			return bad_line(r, tok, p, "KEY=VALUE fields");
		klen = (size_t)(p - tok);
		val = p + 1;
		if (alloc && klen == 9 && !memcmp(tok, "gfp_flags", 9)) {
			p = gfp_value(r, val, end, &ev->gfp);
			if (!p)
				return -1;
			have_gfp = true;
			continue;
		}
		p = skip_nonspace(val, end);
		if (klen == 4 && !memcmp(tok, "page", 4))
			continue;	/* a hashed pointer: pfn= is the page */
		if (klen == 3 && !memcmp(tok, "pfn", 3)) {
			if (!num_value(val, p, ULONG_MAX, &v))
				return bad_line(r, tok, p, "pfn=0xHEX or pfn=DECIMAL");
			ev->pfn = (unsigned long)v;
			have_pfn = true;
		} else if (klen == 5 && !memcmp(tok, "order", 5)) {
			if (!dec_value(val, p, TRACE_MAX_ORDER, &v))
				return bad_line(r, tok, p, "order=0..%d", TRACE_MAX_ORDER);
			ev->order = (unsigned int)v;
			have_order = true;
		} else if (alloc && klen == 11 && !memcmp(tok, "migratetype", 11)) {
			if (!dec_value(val, p, INT_MAX, &v))
				return bad_line(r, tok, p, "migratetype=DECIMAL");
			ev->migratetype = (int)v;
			have_mt = true;
		}
		/* Other keys (old kernels' cold=) do not matter to a replay. */
	}
	if (!have_pfn)
		return bad_line(r, body, end, "a pfn= field");
	if (!have_order)
		return bad_line(r, body, end, "an order= field");
	if (alloc && !have_mt)
		return bad_line(r, body, end, "a migratetype= field");
	if (alloc && !have_gfp)
		return bad_line(r, body, end, "a gfp_flags= field");
	if (alloc)
		ev->failed = ev->pfn == 0;
	return 1;
}

static void set_text(struct trace_event *ev, const char *p, const char *end)
{
	ev->text = p;
	ev->text_len = (size_t)(end - p);
}

/* 1: an event in *ev; 0: header or blank line; -1: bad line (message in r->msg). */
static int parse_line(struct trace_reader *r, const char *s, size_t n,
		      const char *bad, struct trace_event *ev)
{
	const char *end = s + n, *p, *q, *task, *name, *name_end;
	uint64_t ts;
	int special;

	if (n && end[-1] == '\r')
		end--;
	if (bad)
		return bad_line(r, s, end, "text (control byte \\x%02x at column %zu)",
				(unsigned char)*bad, (size_t)(bad - s) + 1);
	p = skip_space(s, end);
	if (p == end) {
		r->st.blank_lines++;
		return 0;
	}
	if (*p == '#') {
		r->st.header_lines++;
		return 0;
	}
	clear_event(ev, TEV_OTHER);
	task = p;
	for (q = p;; q++) {
		q = find2(q, end, '[', '[');
		if (q == end)
			break;
		p = cpu_column(task, q, end, ev);
		if (p)
			break;
	}
	if (q == end) {
		/* Not TASK-PID [CPU]: trace-cmd's preamble, or lost events? */
		special = special_line(task, end, ev);
		if (special == 1) {
			r->st.header_lines++;
			return 0;
		}
		if (special == 2)
			return 1;
		return bad_line(r, task, end,
				"TASK-PID [CPU] TIMESTAMP: EVENT (an ftrace text line)");
	}

	/*
	 * The irqs-off/need-resched/... column starts with d, D, X or '.'; the
	 * kernel's has 5 characters (look there before scanning).
	 */
	p = skip_space(p, end);
	if (p < end && !is_digit(*p)) {
		if (end - p > 5 && is_space(p[5]) && !is_space(p[1]) && !is_space(p[2]) &&
		    !is_space(p[3]) && !is_space(p[4]))
			p = skip_space(p + 5, end);
		else
			p = skip_space(skip_nonspace(p, end), end);
	}
	q = timestamp(p, end, &ts);
	if (!q)
		return bad_line(r, p, skip_nonspace(p, end),
				"a timestamp SECONDS.MICROSECONDS: after [CPU]");
	ev->ts_ns = ts;

	name = skip_space(q, end);
	name_end = find3(name, end, ' ', '\t', ':');
	if (name_end == name)
		return bad_line(r, name, end, "an event name or a function after the timestamp");
	if (name_end == end || *name_end != ':') {
		/* The function tracer: "page_ext_init <-page_alloc_init_late". */
		ev->kind = TEV_FUNC;
		set_text(ev, name, trim_end(name, end));
		return 1;
	}
	p = skip_space(name_end + 1, end);

	switch (name_end - name) {
	case 13:
		if (!memcmp(name, "mm_page_alloc", 13)) {
			ev->kind = TEV_ALLOC;
			return page_fields(r, p, end, ev);
		}
		break;
	case 12:
		if (!memcmp(name, "mm_page_free", 12)) {
			ev->kind = TEV_FREE;
			return page_fields(r, p, end, ev);
		}
		break;
	case 20:
		if (!memcmp(name, "mm_page_free_batched", 20)) {
			ev->kind = TEV_FREE_BATCHED;
			return page_fields(r, p, end, ev);
		}
		break;
	case 7:
		if (!memcmp(name, "console", 7)) {
			ev->kind = TEV_CONSOLE;
			set_text(ev, p, end);
			return 1;
		}
		break;
	case 14:
		if (!memcmp(name, "bootsim_marker", 14)) {
			ev->kind = TEV_MARKER;
			set_text(ev, p, trim_end(p, end));
			return 1;
		}
		break;
	case 18:
		/* A marker written to trace_marker on a real kernel. */
		if (!memcmp(name, "tracing_mark_write", 18) &&
		    starts_with(p, end, "bootsim_marker: ")) {
			ev->kind = TEV_MARKER;
			set_text(ev, p + 16, trim_end(p + 16, end));
			return 1;
		}
		break;
	}
	set_text(ev, name, name_end);
	return 1;
}

/* ---- API --------------------------------------------------------------- */

static struct trace_reader *reader_new(const char *name, char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof(*r));

	if (r)
		r->name = strdup(name);
	if (!r || !r->name) {
		free(r);
		copy_err(err, errlen, "out of memory");
		return NULL;
	}
	r->fd = -1;
	return r;
}

static int alloc_buf(struct trace_reader *r, size_t cap)
{
	char *buf = realloc(r->buf, cap);

	if (!buf)
		return -1;
	r->buf = buf;
	r->cap = cap;
	return 0;
}

/*
 * Look at the first bytes and set up decoding.  @head holds them; they are
 * taken over as text (plain) or as the first compressed input.
 */
static int start_codec(struct trace_reader *r, const unsigned char *head, size_t n)
{
	static const unsigned char gz_magic[] = { 0x1f, 0x8b };
	static const unsigned char xz_magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
	static const unsigned char zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char dat_magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };

#define HAS_MAGIC(m)	(n >= sizeof(m) && !memcmp(head, m, sizeof(m)))
	if (HAS_MAGIC(gz_magic)) {
#ifdef HAVE_ZLIB
		r->codec = CODEC_GZIP;
		if (inflateInit2(&r->z, 15 + 16) != Z_OK)
			return file_error(r, "cannot start zlib");
		r->z_init = true;
#else
		return file_error(r, "gzip-compressed, but bootsim was built without zlib "
				  "(install zlib1g-dev and rebuild, or gunzip it first)");
#endif
	} else if (HAS_MAGIC(xz_magic)) {
#ifdef HAVE_LZMA
		r->codec = CODEC_XZ;
		if (lzma_stream_decoder(&r->xz, XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK)
			return file_error(r, "cannot start liblzma");
		r->xz_init = true;
#else
		return file_error(r, "xz-compressed, but bootsim was built without liblzma "
				  "(install liblzma-dev and rebuild, or unxz it first)");
#endif
	} else if (HAS_MAGIC(zstd_magic) || (n >= 4 && !memcmp(head, "BZh", 3) &&
					      head[3] >= '1' && head[3] <= '9')) {
		return file_error(r, "%s-compressed; expected plain, gzip or xz text "
				  "(decompress it first)", head[0] == 'B' ? "bzip2" : "zstd");
	} else if (HAS_MAGIC(dat_magic)) {
		return file_error(r, "a trace-cmd binary file; expected text "
				  "(convert it with trace-cmd report -i FILE)");
	}
#undef HAS_MAGIC
	if (r->codec == CODEC_PLAIN) {
		if (n)
			memcpy(r->buf, head, n);
		r->len = n;
		r->st.bytes = n;
		return 0;
	}
	if (r->fd >= 0) {
		r->raw = malloc(RAW_BLOCK);
		if (!r->raw)
			return file_error(r, "out of memory");
		memcpy(r->raw, head, n);
		r->in = r->raw;
		r->in_len = n;
	} else {
		r->in = r->mem;
		r->in_len = r->mem_len;
		r->in_eof = true;
	}
	return 0;
}

static struct trace_reader *open_failed(struct trace_reader *r, char *err, size_t errlen)
{
	copy_err(err, errlen, r->msg);
	trace_close(r);
	return NULL;
}

struct trace_reader *trace_open(const char *path, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	unsigned char head[SNIFF_LEN];
	struct trace_reader *r;
	struct stat st;
	size_t n = 0;

	r = reader_new(is_stdin ? "<stdin>" : path, err, errlen);
	if (!r)
		return NULL;
	if (is_stdin) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			file_error(r, "cannot open: %s", strerror(errno));
			return open_failed(r, err, errlen);
		}
		r->close_fd = true;
	}
	if (fstat(r->fd, &st)) {
		file_error(r, "cannot stat: %s", strerror(errno));
		return open_failed(r, err, errlen);
	}
	if (S_ISDIR(st.st_mode)) {
		file_error(r, "is a directory; expected a trace file");
		return open_failed(r, err, errlen);
	}
	if (alloc_buf(r, TRACE_BLOCK)) {
		file_error(r, "out of memory");
		return open_failed(r, err, errlen);
	}
	/* A pipe may hand out fewer bytes than asked: gather the magic. */
	while (n < SNIFF_LEN) {
		ssize_t got = read_fd(r->fd, head + n, SNIFF_LEN - n);

		if (got < 0) {
			file_error(r, "cannot read: %s", strerror(errno));
			return open_failed(r, err, errlen);
		}
		if (!got)
			break;
		n += (size_t)got;
	}
	if (start_codec(r, head, n))
		return open_failed(r, err, errlen);
	if (n < SNIFF_LEN && r->codec == CODEC_PLAIN)
		r->eof = true;
	else if (n < SNIFF_LEN)
		r->in_eof = true;
	return r;
}

struct trace_reader *trace_open_mem(const char *name, const void *buf, size_t len,
				    char *err, size_t errlen)
{
	struct trace_reader *r = reader_new(name ? name : "<memory>", err, errlen);
	size_t n = len < SNIFF_LEN ? len : SNIFF_LEN;
	size_t cap = TRACE_BLOCK;

	if (!r)
		return NULL;
	r->mem = buf;
	r->mem_len = len;
	/* Small inputs get a small buffer: the fuzzer opens millions of them. */
	if (len < cap)
		cap = len + 1 > TRACE_MIN_BLOCK ? len + 1 : TRACE_MIN_BLOCK;
	if (alloc_buf(r, cap)) {
		file_error(r, "out of memory");
		return open_failed(r, err, errlen);
	}
	if (start_codec(r, r->mem ? r->mem : (const unsigned char *)"", n))
		return open_failed(r, err, errlen);
	if (r->codec == CODEC_PLAIN) {
		r->mem_pos = n;
	} else if (cap < TRACE_BLOCK && alloc_buf(r, TRACE_BLOCK)) {
		file_error(r, "out of memory");
		return open_failed(r, err, errlen);
	}
	return r;
}

void trace_set_lenient(struct trace_reader *r, bool lenient)
{
	r->lenient = lenient;
}

int trace_set_block_size(struct trace_reader *r, size_t bytes)
{
	if (r->started)
		return -1;
	if (bytes < TRACE_MIN_BLOCK)
		bytes = TRACE_MIN_BLOCK;
	if (bytes < r->len)
		return -1;
	return alloc_buf(r, bytes);
}

static int fail(struct trace_reader *r, char *err, size_t errlen)
{
	r->failed = true;
	copy_err(err, errlen, r->msg);
	return -1;
}

int trace_next(struct trace_reader *r, struct trace_event *ev, char *err, size_t errlen)
{
	r->started = true;
	if (r->failed)
		return fail(r, err, errlen);
	for (;;) {
		const char *s = NULL, *ctrl = NULL;
		size_t n = 0;
		int ret = next_line(r, &s, &n, &ctrl);

		if (ret < 0)
			return fail(r, err, errlen);
		if (ret == 0) {
			if (r->nevents)
				return 0;
			file_error(r, "empty trace; expected ftrace text with "
				   "mm_page_alloc/mm_page_free lines");
			return fail(r, err, errlen);
		}
		if (ret == 1) {
			ret = parse_line(r, s, n, ctrl, ev);
			if (ret > 0) {
				ev->line = r->st.lines;
				r->st.events[ev->kind]++;
				r->nevents++;
				return 1;
			}
			if (!ret)
				continue;
			if (!r->lenient)
				return fail(r, err, errlen);
		}
		/* A bad line (or a long one, ret 2) in lenient mode. */
		r->st.bad_lines++;
		if (!r->first_error)
			r->first_error = strdup(r->msg);
	}
}

const struct trace_stats *trace_stats(const struct trace_reader *r)
{
	return &r->st;
}

const char *trace_name(const struct trace_reader *r)
{
	return r->name;
}

const char *trace_first_error(const struct trace_reader *r)
{
	return r->first_error;
}

const char *trace_event_kind_name(enum trace_event_kind kind)
{
	static const char *const names[] = {
		[TEV_ALLOC] = "mm_page_alloc",
		[TEV_FREE] = "mm_page_free",
		[TEV_FREE_BATCHED] = "mm_page_free_batched",
		[TEV_CONSOLE] = "console",
		[TEV_FUNC] = "function",
		[TEV_MARKER] = "bootsim_marker",
		[TEV_OTHER] = "other",
	};

	if ((unsigned int)kind > TEV_OTHER)
		return "?";
	return names[kind];
}

void trace_close(struct trace_reader *r)
{
	if (!r)
		return;
#ifdef HAVE_ZLIB
	if (r->z_init)
		inflateEnd(&r->z);
#endif
#ifdef HAVE_LZMA
	if (r->xz_init)
		lzma_end(&r->xz);
#endif
	if (r->close_fd)
		close(r->fd);
	free(r->raw);
	free(r->buf);
	free(r->first_error);
	free(r->name);
	free(r);
}
