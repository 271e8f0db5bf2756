/*
 * Counting ticket closures, with no I/O: which Freshservice ticket counts
 * for which agent on which business-timezone date, the per-agent tally of
 * one sync, the seed's IDs.txt mapping file and the matching of its names
 * to local users.
 */
#ifndef CLOSURES_H
#define CLOSURES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define DH_CLOSE_NAME_MAX	190	/* bytes, as the name columns */
#define DH_CLOSE_MAX_TICKETS	100000	/* distinct tickets of a sync */
#define DH_CLOSE_MAX_AGENTS	10000
#define DH_IDS_MAX_ENTRIES	10000
#define DH_IDS_MAX_ERRORS	100	/* reported; the rest counted */
#define DH_IDS_FILE_MAX		(1024 * 1024)

/* A Freshservice ticket reduced to what counting needs. */
struct dh_fresh_ticket {
	long long	 id;
	long long	 status;
	long long	 responder_id;	/* 0 when none */
	long long	 group_id;	/* 0 when none */
	int64_t		 closed_utc;	/* stats.closed_at or -1 */
	int64_t		 resolved_utc;	/* stats.resolved_at or -1 */
};

/*
 * Read one ticket object of a list answer (integers may be numbers or
 * numeric strings, any field may be null) from its text [p, end), checked
 * by dh_jscan, without building a tree: only the members counting needs
 * are looked at.  Returns 0, or -1 with err naming the bad field when the
 * id is missing or a field is malformed.
 */
int	 dh_fresh_ticket_read_text(const char *p, const char *end,
	    struct dh_fresh_ticket *, char *err, size_t errlen);
/* The same for a parsed object (the unit tests' tables). */
int	 dh_fresh_ticket_read(const json_t *, struct dh_fresh_ticket *,
	    char *err, size_t errlen);

enum dh_close_verdict {
	DH_CLOSE_COUNTED,	/* counts for its agent on that date */
	DH_CLOSE_NO_AGENT,	/* closed that day but nobody to credit */
	DH_CLOSE_NOT_CLOSED,	/* status other than 4 or 5 */
	DH_CLOSE_OTHER_GROUP,	/* outside the configured group */
	DH_CLOSE_NO_TIME,	/* no closed_at nor resolved_at */
	DH_CLOSE_OTHER_DAY,	/* closed on another local date */
};

/*
 * Judge t for the local date "YYYY-MM-DD" in zone ("" is UTC): status 4
 * or 5, in group (0 = every group), and the local date of closed_at, else
 * resolved_at, equal to date.  A later edit (updated_at) never matters.
 */
enum dh_close_verdict dh_close_judge(const struct dh_fresh_ticket *,
	    const char *zone, const char *date, long long group);

struct dh_tally_agent {
	long long	 responder_id;
	long long	 closed;
};

/* The closures of one date, one entry per agent; owns its arrays. */
struct dh_tally {
	struct dh_tally_agent	*agents;
	size_t			 nagents, agents_cap;
	long long		*seen;		/* set of ticket ids */
	size_t			 seen_n, seen_cap;
	long long		 processed;	/* distinct tickets read */
	long long		 closures;	/* counted for an agent */
	long long		 unassigned;	/* no agent to credit */
	long long		 duplicates;	/* seen on two pages */
};

void	 dh_tally_init(struct dh_tally *);
void	 dh_tally_release(struct dh_tally *);
/*
 * Judge t (see dh_close_judge) and count it once: a ticket id seen before
 * is skipped.  Returns the verdict (>= 0), or -1 when a bound
 * (DH_CLOSE_MAX_TICKETS, DH_CLOSE_MAX_AGENTS) or memory runs out.
 */
int	 dh_tally_add(struct dh_tally *, const struct dh_fresh_ticket *,
	    const char *zone, const char *date, long long group);
/* Sort the agents by closures, most first, then by id. */
void	 dh_tally_sort(struct dh_tally *);

/* One "Name - 12345" line of the mapping file. */
struct dh_ids_entry {
	char		 name[DH_CLOSE_NAME_MAX + 1];
	long long	 id;
	size_t		 line;
};

struct dh_ids_error {
	size_t		 line;
	char		 msg[160];
};

/* A parsed mapping file; owns its arrays. */
struct dh_ids {
	struct dh_ids_entry	*e;
	size_t			 n, cap;
	struct dh_ids_error	 err[DH_IDS_MAX_ERRORS];
	size_t			 nerr;		/* kept in err[] */
	size_t			 nbad;		/* all bad lines */
};

void	 dh_ids_init(struct dh_ids *);
void	 dh_ids_release(struct dh_ids *);
/*
 * Parse the text of a mapping file: one "Name - ID" per line, blank lines
 * and lines starting with '#' skipped, CRLF and a UTF-8 BOM accepted.  The
 * ID follows the last '-' of the line.  Malformed lines and repeated IDs
 * are recorded with their line number and skipped.  Returns 0, or -1 with
 * err when memory or DH_IDS_MAX_ENTRIES runs out.
 */
int	 dh_ids_parse(const char *text, size_t len, struct dh_ids *,
	    char *err, size_t errlen);
/* Read path (at most DH_IDS_FILE_MAX bytes) and parse it; 0 or -1. */
int	 dh_ids_load(const char *path, struct dh_ids *, char *err,
	    size_t errlen);

/* A local user to match names against; strings borrowed. */
struct dh_user_ref {
	long long	 id;
	const char	*name;
	const char	*email;
};

enum dh_match {
	DH_MATCH_NONE,
	DH_MATCH_EXACT,		/* users.name equal, byte for byte */
	DH_MATCH_PARTIAL,	/* the seed's "Oscar S." -> "oscar.solis" */
	DH_MATCH_AMBIGUOUS,	/* several users match equally well */
};

/*
 * Find the user for a mapping-file name: one exact match of users.name
 * first; else one partial match, where the first word equals (ASCII case
 * folded) the first word of the user's name or of the e-mail's local part
 * split at '.', '_' and '-', and the last word, without a trailing dot,
 * begins the user's last word.  Sets *idx on EXACT and PARTIAL.
 */
enum dh_match dh_match_user(const char *name, const struct dh_user_ref *,
	    size_t n, size_t *idx);

/* Truncate s in place to at most max bytes without splitting UTF-8. */
void	 dh_utf8_trunc(char *s, size_t max);

#endif
