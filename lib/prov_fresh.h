/*
 * Freshservice API v2 (providers.md section 2): the list client for
 * tickets and agents.  Basic auth with the API key as the user name, 100
 * per page, the next page taken from the Link header (same host only), and
 * the account-wide rate limit respected: the client slows down when
 * X-Ratelimit-Remaining runs low, and dh_http waits out a 429's
 * Retry-After.
 */
#ifndef PROV_FRESH_H
#define PROV_FRESH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dh_config.h"
#include "dh_http.h"
#include "prov_fluent.h"	/* enum dh_prov_rc */

#define DH_FRESH_PER_PAGE	100
#define DH_FRESH_LIST_COST	3	/* a list with include=stats */
#define DH_FRESH_WINDOW_MS	60000	/* the limit is per minute */

struct dh_fresh {
	const struct dh_config	*cfg;
	struct dh_http		 http;
	char			 base[512];	/* ends with '/' */
	long			 paced_ms;	/* time slowed down */
	long			 requests;
	int			 read_ahead;	/* set by the caller */
	int			 ahead;		/* a next page is on its way */
	char			 ahead_url[2048];
	struct dh_http_resp	 ahead_resp;
};

/*
 * One list page.  Tickets are kept as checked text, read a ticket at a
 * time without building a tree (jansson's parse was most of the closure
 * sync's CPU): list is the array's '[' in body.  Agents, one page a sync,
 * are parsed: root owns items.  Release with dh_fresh_page_release().
 */
struct dh_fresh_page {
	json_t		*root;
	json_t		*items;		/* "agents" */
	const char	*body;		/* "tickets" */
	size_t		 len;
	const char	*list;
	char		*own;		/* what body points into, if ours */
	char		 next[2048];	/* next page, "" at the end */
};

/*
 * Check FRESH_API and FRESH_ENDPOINT and set up the HTTP client.  0, or
 * -1 with err naming the setting.  Release with dh_fresh_free().
 */
int	 dh_fresh_init(struct dh_fresh *, const struct dh_config *,
	    char *err, size_t errlen);
void	 dh_fresh_free(struct dh_fresh *);

/*
 * The first page of tickets updated on or after since (UTC seconds), with
 * stats, 100 per page.  Never relies on the API's 30-day default window.
 */
int	 dh_fresh_tickets_url(const char *base, int64_t since,
	    struct dh_buf *);
/* The first page of agents, 100 per page. */
int	 dh_fresh_agents_url(const char *base, struct dh_buf *);

/*
 * Whether url has the scheme, host and port of base: a Link header must
 * not send the API key elsewhere.  1 or 0.
 */
int	 dh_fresh_same_origin(const char *base, const char *url);

/*
 * Drop a page read ahead (read_ahead set: dh_fresh_get_page starts the
 * page its answer links to, which the next call then collects).
 */
void	 dh_fresh_cancel(struct dh_fresh *);

/*
 * GET one list page at url and parse the array under key ("tickets" or
 * "agents").  Slows down first when the rate limit runs low.  Returns
 * DH_PROV_OK with page filled (release page->root with json_decref), or
 * an error with err saying what failed; a rejected key is DH_PROV_AUTH
 * with "Freshservice rejected the API key".
 */
enum dh_prov_rc dh_fresh_get_page(struct dh_fresh *, const char *url,
	    const char *key, struct dh_fresh_page *, char *err, size_t errlen);
void	 dh_fresh_page_release(struct dh_fresh_page *);

/*
 * Check the JSON text of a tickets answer (body of len bytes, kept by the
 * caller) and find its "tickets" array.  0 with pg->body, len and list
 * set, or -1 with err saying what is wrong.
 */
int	 dh_fresh_page_text(const char *body, size_t len,
	    struct dh_fresh_page *, char *err, size_t errlen);
/*
 * The tickets of a checked page in order: start with *it NULL; 1 with
 * [*p, *e) the next one's text, 0 after the last.
 */
int	 dh_fresh_page_item(const struct dh_fresh_page *, const char **it,
	    const char **p, const char **e);

/*
 * How long to wait before a request of cost credits, given the rate-limit
 * headers of the last answer (-1 when absent) and the longest wait
 * allowed: 0 while at least two such requests' worth remain, else the
 * time the account refills cost credits in.  For tests.
 */
long	 dh_fresh_pace_ms(long remaining, long total, long cost,
	    long max_wait_s);

#endif
