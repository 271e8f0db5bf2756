/*
 * FluentSupport (WordPress REST, fluent-support/v2): the page client and the
 * mapping of a ticket to Deskhub's request fields, as seed 000 specifies.
 */
#ifndef PROV_FLUENT_H
#define PROV_FLUENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dh_config.h"
#include "dh_http.h"

#define DH_DESC_MAX	(60 * 1024)

/* A ticket mapped to Deskhub's fields; strings owned by the struct. */
struct dh_fluent_ticket {
	long long	 id;
	int64_t		 created_utc;
	char		 date[11];	/* business-timezone date */
	char		 time[9];	/* business-timezone time */
	char		*description;	/* title + message as plain text */
	const char	*urgency;	/* LOW MEDIUM HIGH (static) */
	const char	*category;	/* static */
	char		*website_url;	/* product name, NULL when none */
	char		*title;
	char		 status[32];
	char		 priority[32];
	long long	 agent_id;	/* 0 when unassigned */
	char		*agent_name;
	long long	 closed_by;	/* fs_persons id, 0 when none */
	char		 resolved_utc[20];	/* "" when none */
	char		 created_at[20];	/* UTC */
	char		 updated_at[20];	/* UTC, "" when none */
	char		*customer_name;
	char		*customer_email;
	char		*raw;		/* the provider's bytes of the ticket */
	char		 hash[33];	/* dh_fluent_hash of raw, in hex */
};

/*
 * The content hash of a ticket's raw JSON, which tells a re-sync that a
 * ticket did not change: SipHash-2-4 with a 128-bit result (libsodium's
 * crypto_shorthash_siphashx24) under the fixed, public key 00 01 .. 0f,
 * so that it can be checked against the paper's vectors.  Any edit
 * changes it but with chance 2^-128; nobody gains by forging a collision
 * of their own ticket.  2.5 times the speed of BLAKE2b-256 here, which
 * matters when a re-sync hashes every ticket.
 */
#define DH_FLUENT_HASH_LEN	16
void	 dh_fluent_hash(const char *raw, size_t len,
	    unsigned char out[DH_FLUENT_HASH_LEN]);

/* critical/high/urgent -> HIGH, medium/normal -> MEDIUM, low -> LOW. */
const char *dh_fluent_urgency(const char *priority);
/* Product name to category per the seed's table. */
const char *dh_fluent_category(const char *product);
/* HTML to plain text (tags dropped, entities decoded, blanks folded). */
int	 dh_html_to_text(const char *html, struct dh_buf *out);

/*
 * Map one ticket object.  site_tz reads times without an offset, biz_tz
 * gives the date and time columns.  0, or -1 with err saying which field
 * is wrong.  Release with dh_fluent_ticket_release().
 */
int	 dh_fluent_map(const json_t *, const char *site_tz,
	    const char *biz_tz, struct dh_fluent_ticket *, char *err,
	    size_t errlen);
void	 dh_fluent_ticket_release(struct dh_fluent_ticket *);
/*
 * The same from the ticket's JSON text as received, raw[0..rawlen): the
 * text is checked strictly, only the members the mapping reads are
 * decoded (no tree is built), and the bytes are kept as raw_data and
 * hashed.  dh_fluent_map encodes its tree compactly and maps that.
 */
int	 dh_fluent_map_text(const char *raw, size_t rawlen,
	    const char *site_tz, const char *biz_tz, struct dh_fluent_ticket *,
	    char *err, size_t errlen);

/*
 * The id of a ticket read from the start of its bytes, where FluentSupport
 * puts it ({"id":123, or {"id":"123",); 0 when they start otherwise.  It
 * only finds stored bytes to compare with: the ticket's own parse is the
 * authority (a repeated "id" member, say, is read there).
 */
long long dh_fluent_raw_id(const char *raw, size_t len);

/* What went wrong talking to FluentSupport. */
enum dh_prov_rc {
	DH_PROV_OK,
	DH_PROV_AUTH,		/* credentials rejected */
	DH_PROV_UNREACHABLE,	/* cannot connect, timed out */
	DH_PROV_BAD_ANSWER,	/* HTML, truncated, not the expected JSON */
	DH_PROV_STATUS,		/* an error status */
	DH_PROV_CONFIG,		/* not configured */
};

struct dh_fluent {
	const struct dh_config	*cfg;
	struct dh_http		 http;
	char			 base[512];	/* URL without trailing / */
	struct dh_http_resp	 resp[DH_HTTP_MAX_PARALLEL]; /* of the slots */
};

/* Where one ticket's bytes are in a page's text. */
struct dh_fluent_span {
	size_t		 off;
	size_t		 len;
};

/*
 * One fetched page: no tree, only where each ticket's own bytes are in
 * the answer (spans into text).  raw_data and the content hash use the
 * provider's JSON as sent, and a ticket whose bytes are already stored is
 * never parsed at all.
 */
struct dh_fluent_page {
	long long		 total;		/* -1 when absent */
	long long		 last_page;	/* -1 when absent */
	const char		*text;		/* spans point into it */
	char			*own;		/* text's buffer, when owned */
	size_t			 n;		/* tickets on the page */
	size_t			 cap;
	struct dh_fluent_span	*span;		/* n of them */
};

int	 dh_fluent_init(struct dh_fluent *, const struct dh_config *,
	    char *err, size_t errlen);
void	 dh_fluent_free(struct dh_fluent *);

/* The site's timezone from GET /wp-json/ as a zone usable by dh_tz. */
enum dh_prov_rc dh_fluent_site_tz(struct dh_fluent *, char *zone,
	    size_t cap, char *err, size_t errlen);

/* Build the URL of a page, newest first: every parameter explicit. */
int	 dh_fluent_page_url(const char *base, long page, long per_page,
	    struct dh_buf *);

/*
 * Parse a page body.  Accepts the 2.0.1 and the older paginator shapes and
 * tolerates an HTML notice printed before the JSON.  Everything but the
 * tickets themselves is checked strictly here; a ticket is checked when
 * dh_fluent_map_text reads it.  0, or -1 with err.  The spans point
 * into body, which must outlive their use; release the page with
 * dh_fluent_page_release (which frees body only when the page owns it).
 */
int	 dh_fluent_parse_page(const char *body, size_t len,
	    struct dh_fluent_page *, char *err, size_t errlen);

/* Free what a page holds (its spans and the text it owns). */
void	 dh_fluent_page_release(struct dh_fluent_page *);

/*
 * Start fetching a page in slot (below DH_HTTP_MAX_PARALLEL) without
 * waiting; several pages can be on their way at once.  Collect it with
 * dh_fluent_page_finish, or drop what is started with dh_fluent_cancel.
 */
enum dh_prov_rc dh_fluent_page_start(struct dh_fluent *, size_t slot,
	    long page, long per_page, char *err, size_t errlen);

/*
 * Wait for the page started in slot (retrying as dh_http_finish does) and
 * parse it into p.  Release p with dh_fluent_page_release.
 */
enum dh_prov_rc dh_fluent_page_finish(struct dh_fluent *, size_t slot,
	    long page, struct dh_fluent_page *p, char *err, size_t errlen);

/*
 * Let the pages on their way progress for up to wait_ms, or until
 * dh_fluent_wakeup (from any thread): 1 once the page in slot is in.
 */
int	 dh_fluent_page_ready(struct dh_fluent *, size_t slot, int wait_ms);
void	 dh_fluent_wakeup(struct dh_fluent *);

/* Drop the pages still on their way. */
void	 dh_fluent_cancel(struct dh_fluent *);

#endif
