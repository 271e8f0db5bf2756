/*
 * The strict JSON scanner: validation without a tree.  A sync re-reading
 * pages it has seen before spends its time here instead of in a parser
 * that allocates every member of every ticket.
 */
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dh_jscan.h"
#include "dh_util.h"

/* Bytes that stand for themselves inside a string: printable ASCII. */
static const unsigned char plain[256] = {
	[0x20] = 1, [0x21] = 1, [0x23] = 1, [0x24] = 1, [0x25] = 1,
	[0x26] = 1, [0x27] = 1, [0x28] = 1, [0x29] = 1, [0x2a] = 1,
	[0x2b] = 1, [0x2c] = 1, [0x2d] = 1, [0x2e] = 1, [0x2f] = 1,
	[0x30] = 1, [0x31] = 1, [0x32] = 1, [0x33] = 1, [0x34] = 1,
	[0x35] = 1, [0x36] = 1, [0x37] = 1, [0x38] = 1, [0x39] = 1,
	[0x3a] = 1, [0x3b] = 1, [0x3c] = 1, [0x3d] = 1, [0x3e] = 1,
	[0x3f] = 1, [0x40] = 1, [0x41] = 1, [0x42] = 1, [0x43] = 1,
	[0x44] = 1, [0x45] = 1, [0x46] = 1, [0x47] = 1, [0x48] = 1,
	[0x49] = 1, [0x4a] = 1, [0x4b] = 1, [0x4c] = 1, [0x4d] = 1,
	[0x4e] = 1, [0x4f] = 1, [0x50] = 1, [0x51] = 1, [0x52] = 1,
	[0x53] = 1, [0x54] = 1, [0x55] = 1, [0x56] = 1, [0x57] = 1,
	[0x58] = 1, [0x59] = 1, [0x5a] = 1, [0x5b] = 1, [0x5d] = 1,
	[0x5e] = 1, [0x5f] = 1, [0x60] = 1, [0x61] = 1, [0x62] = 1,
	[0x63] = 1, [0x64] = 1, [0x65] = 1, [0x66] = 1, [0x67] = 1,
	[0x68] = 1, [0x69] = 1, [0x6a] = 1, [0x6b] = 1, [0x6c] = 1,
	[0x6d] = 1, [0x6e] = 1, [0x6f] = 1, [0x70] = 1, [0x71] = 1,
	[0x72] = 1, [0x73] = 1, [0x74] = 1, [0x75] = 1, [0x76] = 1,
	[0x77] = 1, [0x78] = 1, [0x79] = 1, [0x7a] = 1, [0x7b] = 1,
	[0x7c] = 1, [0x7d] = 1, [0x7e] = 1, [0x7f] = 1,
};

const char *
dh_js_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	return p;
}

static const char *
fail(const char *at, const char **bad)
{
	if (bad != NULL)
		*bad = at;
	return NULL;
}

/* Length of the well-formed UTF-8 sequence at p (lead >= 0x80), or 0. */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char	 c = p[0], lo = 0x80, hi = 0xbf;
	size_t		 n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;	/* nothing past U+10FFFF */
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The code unit of the four hex digits at p, or -1. */
static long
hex4(const char *p, const char *end)
{
	long	 v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char	 c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

const char *
dh_js_string(const char *p, const char *end, const char **bad)
{
	size_t	 n;
	long	 u, lo;

	if (p >= end || *p != '"')
		return fail(p, bad);
	for (p++; p < end; ) {
		while (p < end && plain[(unsigned char)*p])
			p++;
		if (p >= end)
			break;
		if (*p == '"')
			return p + 1;
		if (*p != '\\') {
			if ((unsigned char)*p < 0x80)
				return fail(p, bad);	/* control byte */
			n = utf8_seq((const unsigned char *)p,
			    (const unsigned char *)end);
			if (n == 0)
				return fail(p, bad);
			p += n;
			continue;
		}
		if (p + 1 >= end)
			return fail(p, bad);
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			return fail(p, bad);
		}
		/* As jansson: no \u0000, surrogates only in pairs. */
		if ((u = hex4(p + 2, end)) <= 0 || (u >= 0xdc00 && u <= 0xdfff))
			return fail(p, bad);
		p += 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = hex4(p + 2, end)) < 0xdc00 || lo > 0xdfff)
				return fail(p, bad);
			p += 6;
		}
	}
	return fail(end, bad);
}

static const char *
digits(const char *p, const char *end)
{
	const char	*s = p;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p == s ? NULL : p;
}

static const char *
number(const char *p, const char *end, const char **bad)
{
	const char	*s = p;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if ((p = digits(p, end)) == NULL)
		return fail(s, bad);
	if (p < end && *p == '.' && (p = digits(p + 1, end)) == NULL)
		return fail(s, bad);
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if ((p = digits(p, end)) == NULL)
			return fail(s, bad);
	}
	return p;
}

static const char *
literal(const char *p, const char *end, const char *word, const char **bad)
{
	size_t	 n = strlen(word);

	if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
		return fail(p, bad);
	return p + n;
}

static const char *
value(const char *p, const char *end, int depth, const char **bad)
{
	char	 close;
	int	 more;

	if (p >= end)
		return fail(p, bad);
	switch (*p) {
	case '"':
		return dh_js_string(p, end, bad);
	case 't':
		return literal(p, end, "true", bad);
	case 'f':
		return literal(p, end, "false", bad);
	case 'n':
		return literal(p, end, "null", bad);
	case '{':
	case '[':
		break;
	default:
		return number(p, end, bad);
	}
	if (depth >= DH_JS_MAX_DEPTH)
		return fail(p, bad);
	close = *p == '{' ? '}' : ']';
	for (p = dh_js_enter(p, end, &more); more; ) {
		if (close == '}') {
			if ((p = dh_js_string(p, end, bad)) == NULL)
				return NULL;
			p = dh_js_ws(p, end);
			if (p >= end || *p != ':')
				return fail(p, bad);
			p = dh_js_ws(p + 1, end);
		}
		if ((p = value(p, end, depth + 1, bad)) == NULL ||
		    (p = dh_js_after(p, end, close, &more, bad)) == NULL)
			return NULL;
	}
	return p;
}

const char *
dh_js_enter(const char *p, const char *end, int *more)
{
	char	 close = *p == '{' ? '}' : ']';

	p = dh_js_ws(p + 1, end);
	*more = !(p < end && *p == close);
	return *more ? p : p + 1;
}

const char *
dh_js_after(const char *p, const char *end, char close, int *more,
    const char **bad)
{
	p = dh_js_ws(p, end);
	if (p < end && *p == close) {
		*more = 0;
		return p + 1;
	}
	if (p >= end || *p != ',')
		return fail(p, bad);
	*more = 1;
	return dh_js_ws(p + 1, end);
}

const char *
dh_js_value(const char *p, const char *end, const char **bad)
{
	return value(p, end, 0, bad);
}

/* The next quote from q: a short look first (keys and small values end
 * soon), then memchr. */
static const char *
next_quote(const char *q, const char *end)
{
	const char	*near = end - q > 24 ? q + 24 : end;

	for (; q < near; q++)
		if (*q == '"')
			return q;
	return q < end ? memchr(q, '"', (size_t)(end - q)) : NULL;
}

/*
 * The closing quote of the string opening at p: the next quote not
 * escaped (most of a ticket's bytes are in strings).
 */
static const char *
string_end(const char *p, const char *end)
{
	const char	*q = p + 1, *b;

	for (;;) {
		if ((q = next_quote(q, end)) == NULL)
			return NULL;
		for (b = q - 1; b > p && *b == '\\'; b--)
			;
		if ((q - b) % 2 == 1)
			return q;	/* an even run of backslashes */
		q++;
	}
}

const char *
dh_js_skip_bytewise(const char *p, const char *end)
{
	int	 depth = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '"':
			if ((p = string_end(p, end)) == NULL)
				return NULL;
			if (depth == 0)
				return p + 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
		case ' ':
		case '\n':
		case '\r':
		case '\t':
			if (depth == 0)
				return p;
			break;
		default:
			break;
		}
	}
	return depth == 0 ? p : NULL;
}

#ifdef __SSE2__
/*
 * The same walk 64 bytes at a time, for an object or array (a ticket of a
 * page).  SSE2 gives a block's masks of quotes, backslashes, openers and
 * closers; the escaped bytes come from the runs of backslashes (an odd
 * run escapes the byte after it); the quotes not escaped open and close
 * strings, so a prefix XOR of them marks the bytes inside strings; the
 * brackets outside strings are counted.  Runs and strings carry into the
 * next block.  Without branches but for the brackets, a few per block.
 */
#define EVEN_BITS	0x5555555555555555ull

/* Bit i set when an odd number of bits at or below i are set. */
static uint64_t
prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/*
 * The bytes escaped by the backslashes bs of a block; *carry is 1 when
 * the block's first byte is escaped, and becomes so for the next block.
 */
static uint64_t
escaped(uint64_t bs, uint64_t *carry)
{
	uint64_t	 b = bs & ~*carry, starts, even, odd, after_even;
	uint64_t	 after_odd;

	starts = b & ~(b << 1);
	/* Adding a run's first bit carries to the byte after the run. */
	(void)__builtin_add_overflow(b, starts & EVEN_BITS, &even);
	/* An odd run from an even bit ends before an odd bit. */
	after_even = even & ~b & ~EVEN_BITS;
	*carry = __builtin_add_overflow(b, starts & ~EVEN_BITS, &odd) ?
	    1 : 0;
	after_odd = odd & ~b & EVEN_BITS;	/* and the other way */
	return after_even | after_odd;
}

static const char *
skip_blocks(const char *p, const char *end)
{
	const __m128i	 quote = _mm_set1_epi8('"');
	const __m128i	 bslash = _mm_set1_epi8('\\');
	const __m128i	 lower = _mm_set1_epi8(0x20);
	/* '{' and '[' are 0x7b and 0x5b, '}' and ']' 0x7d and 0x5d. */
	const __m128i	 opener = _mm_set1_epi8('{');
	const __m128i	 closer = _mm_set1_epi8('}');
	char		 tail[64];
	uint64_t	 q, bs, open, close, instr, b, esc_in = 0, esc;
	uint64_t	 carry_str = 0;
	long		 depth = 0;
	size_t		 off, len = (size_t)(end - p);

	for (off = 0; off < len; off += 64) {
		const char	*blk = p + off;

		if (len - off < 64) {
			/* The last bytes, padded with blanks. */
			memset(tail, ' ', sizeof(tail));
			memcpy(tail, blk, len - off);
			blk = tail;
		}
		q = bs = open = close = 0;
		for (int i = 0; i < 4; i++) {
			__m128i	 v = _mm_loadu_si128((const __m128i *)
			    (const void *)(blk + 16 * i));
			__m128i	 l = _mm_or_si128(v, lower);

			q |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(v, quote)) << (16 * i);
			bs |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(v, bslash)) << (16 * i);
			open |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(l, opener)) << (16 * i);
			close |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(l, closer)) << (16 * i);
		}
		esc = esc_in;
		esc |= escaped(bs, &esc_in);
		instr = prefix_xor(q & ~esc) ^ carry_str;
		carry_str = (uint64_t)((int64_t)instr >> 63);
		for (b = (open | close) & ~instr; b != 0; b &= b - 1) {
			unsigned	 i = (unsigned)__builtin_ctzll(b);

			if ((open >> i) & 1)
				depth++;
			else if (--depth == 0)
				return p + off + i + 1;
		}
	}
	return NULL;
}
#endif

const char *
dh_js_skip(const char *p, const char *end)
{
#ifdef __SSE2__
	if (p < end && (*p == '{' || *p == '['))
		return skip_blocks(p, end);
#endif
	return dh_js_skip_bytewise(p, end);
}

int
dh_js_key_is(const char *p, const char *key)
{
	size_t	 n = strlen(key);

	return p[0] == '"' && strncmp(p + 1, key, n) == 0 && p[n + 1] == '"';
}

int
dh_js_decode(const char *p, const char *end, struct dh_buf *out)
{
	const char	*s = p + 1, *q;
	unsigned long	 u;

	for (;;) {
		for (q = s; q < end && *q != '"' && *q != '\\'; q++)
			;
		if (dh_buf_append(out, s, (size_t)(q - s)) == -1)
			return -1;
		if (q + 1 >= end || *q == '"')
			return 0;
		s = q + 2;
		switch (q[1]) {
		case 'b':
			u = '\b';
			break;
		case 'f':
			u = '\f';
			break;
		case 'n':
			u = '\n';
			break;
		case 'r':
			u = '\r';
			break;
		case 't':
			u = '\t';
			break;
		case 'u':
			/* Checked already: four hex digits, pairs paired. */
			u = (unsigned long)hex4(q + 2, end);
			s = q + 6;
			if (u >= 0xd800 && u <= 0xdbff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    ((unsigned long)hex4(s + 2, end) - 0xdc00);
				s += 6;
			}
			break;
		default:		/* " \ / */
			u = (unsigned char)q[1];
			break;
		}
		/* Checked already: never a code point UTF-8 cannot hold. */
		if (dh_buf_put_utf8(out, u) == -1)
			return -1;
	}
}

void
dh_js_members(const char *p, const char *end, const char *const *key,
    const char **v, size_t n)
{
	struct dh_buf	 dec;
	const char	*k, *name;
	size_t		 len;
	int		 more;

	for (size_t i = 0; i < n; i++)
		v[i] = NULL;
	if (p >= end || *p != '{')
		return;
	dh_buf_init(&dec, 4096);
	for (p = dh_js_enter(p, end, &more); more && p != NULL; ) {
		k = p;
		if ((p = dh_js_skip(k, end)) == NULL)
			break;
		name = k + 1;
		len = (size_t)(p - k) - 2;
		/* A name spelled with escapes (rare) is compared decoded. */
		if (memchr(name, '\\', len) != NULL) {
			dh_buf_reset(&dec);
			if (dh_js_decode(k, end, &dec) == -1)
				break;
			name = dec.data;
			len = dec.len;
		}
		p = dh_js_ws(p, end);
		if (p >= end || *p != ':')
			break;
		p = dh_js_ws(p + 1, end);
		for (size_t i = 0; i < n; i++)
			if (strlen(key[i]) == len &&
			    memcmp(key[i], name, len) == 0)
				v[i] = p;
		if ((p = dh_js_skip(p, end)) == NULL)
			break;
		p = dh_js_after(p, end, '}', &more, NULL);
	}
	dh_buf_release(&dec);
}
