/*
 * The FluentSupport sync engine.  A run saves everything in one transaction
 * on a connection of its own, opened for the run: each page's new tickets
 * go straight into requests and fluent_tickets, its changed tickets into
 * fluent_sync_staging, and at the end the changed ones are updated with
 * set-based statements, the run is marked done and the lease freed before
 * the commit.  Until then nothing of the run is visible, and a run that
 * dies is rolled back by the server.  Network I/O happens while that
 * transaction is open, but it holds locks only on the rows it inserted;
 * the stored rows that change are locked only by the final statements.
 * The lease, the progress and the run's record use the caller's
 * connection, with autocommit, so they are seen while the run goes on;
 * a second thread first reads the stored tickets on it, while the first
 * pages download and are processed (see fetch), and the progress is
 * written once they are all in.
 */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dh_log.h"
#include "dh_tz.h"
#include "dh_util.h"
#include "prov_fluent.h"
#include "sync_fluent.h"
#include "sync_lock.h"

#define LOCK_NAME	"fluent"
#define MAX_PAGES	100000
/* Pages held while the stored tickets are read, at most. */
#define HOLD_PAGES	128
#define HOLD_BYTES	(16u * 1024 * 1024)

enum {
	Q_REAP,
	Q_ORPHANS,
	Q_FAIL_RUN,
	Q_NEW_RUN,
	Q_CLEAN_STAGING,
	Q_PROGRESS,
	Q_KNOWN,
	Q__MAX
};

static struct dh_stmt	 q[Q__MAX] = {
	[Q_REAP] = { "UPDATE fluent_sync_status SET "
	    "last_sync_status = 'failed', finished_at = NOW(3), "
	    "last_sync_at = NOW(3), "
	    "error_message = 'the sync process stopped before finishing "
	    "(killed or crashed); nothing was saved' "
	    "WHERE last_sync_status = 'in_progress' AND id <> COALESCE("
	    "(SELECT run_id FROM sync_locks WHERE name = 'fluent'), 0)",
	    NULL, 0 },
	[Q_ORPHANS] = { "SELECT COUNT(*) FROM fluent_sync_status "
	    "WHERE last_sync_status = 'in_progress' AND id <> COALESCE("
	    "(SELECT run_id FROM sync_locks WHERE name = 'fluent'), 0)",
	    NULL, 0 },
	[Q_FAIL_RUN] = { "UPDATE fluent_sync_status SET "
	    "last_sync_status = 'failed', finished_at = NOW(3), "
	    "last_sync_at = NOW(3), tickets_fetched = ?, "
	    "sync_duration_ms = ?, error_message = ? "
	    "WHERE id = ? AND last_sync_status = 'in_progress'", NULL, 0 },
	[Q_NEW_RUN] = { "INSERT INTO fluent_sync_status (last_sync_at, "
	    "started_at, last_sync_status, date_filter, host, pid) "
	    "VALUES (NOW(3), NOW(3), 'in_progress', ?, ?, ?)", NULL, 0 },
	[Q_CLEAN_STAGING] = { "DELETE FROM fluent_sync_staging "
	    "WHERE run_id <> ?", NULL, 0 },
	[Q_PROGRESS] = { "UPDATE fluent_sync_status SET pages_fetched = ?, "
	    "tickets_fetched = ?, tickets_total = ? WHERE id = ?", NULL, 0 },
	/* A hash of another length than ours (an older release's) is read
	 * as such and never matches. */
	[Q_KNOWN] = { "SELECT fluent_id, UNHEX(content_hash), "
	    "TIMESTAMPDIFF(SECOND, '1970-01-01', created_at_fluent) "
	    "FROM fluent_tickets ORDER BY fluent_id DESC", NULL, 0 },
};

/*
 * What the run's own connection executes: the batch inserts of a page (see
 * kinds below), then the statements that end the run.
 */
#define BATCH_SIZES	3
static const int	 batch_size[BATCH_SIZES] = { 100, 10, 1 };

enum {
	K_REQUESTS,		/* a new ticket's requests row */
	K_TICKETS,		/* its fluent_tickets row, after that */
	K_STAGE,		/* a changed ticket, staged */
	K__MAX
};

enum {
	W_UPD_REQUESTS,
	W_UPD_TICKETS,
	W_DROP_STAGING,
	W_STATS_CLEAR,
	W_STATS_FILL,
	W_FINISH,
	W_BATCH,		/* K__MAX x BATCH_SIZES batch inserts */
	W__MAX = W_BATCH + K__MAX * BATCH_SIZES
};

/* The batch insert of kind k with batch_size[z] rows. */
#define W_BATCH_OF(k, z)	(W_BATCH + (k) * BATCH_SIZES + (z))

static const char	*wsql[W__MAX] = {
	[W_UPD_REQUESTS] = "UPDATE requests r "
	    "JOIN fluent_tickets f ON f.request_id = r.id "
	    "JOIN fluent_sync_staging s ON s.run_id = ? "
	    "AND s.fluent_id = f.fluent_id "
	    "SET r.date = s.date, r.time = s.time, "
	    "r.description = s.description, r.urgency = s.urgency, "
	    "r.website_url = s.website_url, "
	    "r.category = IF(r.category_edited, r.category, s.category) "
	    "WHERE f.content_hash <> s.content_hash",
	[W_UPD_TICKETS] = "UPDATE fluent_tickets f "
	    "JOIN fluent_sync_staging s ON s.run_id = ? "
	    "AND s.fluent_id = f.fluent_id "
	    "SET f.title = s.title, f.ticket_status = s.ticket_status, "
	    "f.priority = s.priority, f.product_name = s.website_url, "
	    "f.customer_name = s.customer_name, "
	    "f.customer_email = s.customer_email, f.agent_id = s.agent_id, "
	    "f.agent_name = s.agent_name, f.closed_by = s.closed_by, "
	    "f.resolved_at = s.resolved_at, "
	    "f.created_at_fluent = s.created_at_fluent, "
	    "f.updated_at_fluent = s.updated_at_fluent, "
	    "f.raw_data = s.raw_data, f.content_hash = s.content_hash, "
	    "f.last_synced_run = s.run_id "
	    "WHERE f.content_hash <> s.content_hash",
	[W_DROP_STAGING] = "DELETE FROM fluent_sync_staging WHERE run_id = ?",
	[W_STATS_CLEAR] = "DELETE FROM fluent_ticket_stats",
	[W_STATS_FILL] = "INSERT INTO fluent_ticket_stats (ticket_status, "
	    "count) SELECT ticket_status, COUNT(*) FROM fluent_tickets "
	    "GROUP BY ticket_status",
	[W_FINISH] = "UPDATE fluent_sync_status SET "
	    "last_sync_status = 'success', finished_at = NOW(3), "
	    "last_sync_at = NOW(3), tickets_fetched = ?, tickets_added = ?, "
	    "tickets_updated = ?, tickets_skipped = ?, sync_duration_ms = ?, "
	    "pages_fetched = ? WHERE id = ?",
};

static void
bind_request(struct dh_val *v, long long run, const struct dh_fluent_ticket *t,
    const char *key, long long rid)
{
	(void)run;
	(void)rid;
	v[0] = DH_VSTR(t->date);
	v[1] = DH_VSTR(t->time);
	v[2] = DH_VSTR(t->category);
	v[3] = DH_VSTR(t->description);
	v[4] = DH_VSTR(t->urgency);
	v[5] = DH_VSTR(t->website_url);
	v[6] = DH_VSTR(key);
}

/* What fluent_tickets and staging both hold, in the same order. */
static void
bind_details(struct dh_val *v, const struct dh_fluent_ticket *t)
{
	v[0] = DH_VSTR(t->title);
	v[1] = DH_VSTR(t->status);
	v[2] = DH_VSTR(t->priority);
	v[3] = DH_VSTR(t->website_url);
	v[4] = DH_VSTR(t->customer_name);
	v[5] = DH_VSTR(t->customer_email);
	v[6] = t->agent_id > 0 ? DH_VINT(t->agent_id) : DH_VNULL;
	v[7] = DH_VSTR(t->agent_name);
	v[8] = t->closed_by > 0 ? DH_VINT(t->closed_by) : DH_VNULL;
	v[9] = t->resolved_utc[0] ? DH_VSTR(t->resolved_utc) : DH_VNULL;
	v[10] = DH_VSTR(t->created_at);
	v[11] = t->updated_at[0] ? DH_VSTR(t->updated_at) : DH_VNULL;
	v[12] = DH_VSTR(t->raw);
	v[13] = DH_VSTR(t->hash);
}

static void
bind_ticket(struct dh_val *v, long long run, const struct dh_fluent_ticket *t,
    const char *key, long long rid)
{
	(void)key;
	v[0] = DH_VINT(t->id);
	v[1] = DH_VINT(rid);
	bind_details(v + 2, t);
	v[16] = DH_VINT(run);
}

static void
bind_stage(struct dh_val *v, long long run, const struct dh_fluent_ticket *t,
    const char *key, long long rid)
{
	(void)rid;
	v[0] = DH_VINT(run);
	v[1] = DH_VINT(t->id);
	v[2] = DH_VSTR(key);
	v[3] = DH_VSTR(t->date);
	v[4] = DH_VSTR(t->time);
	v[5] = DH_VSTR(t->description);
	v[6] = DH_VSTR(t->urgency);
	v[7] = DH_VSTR(t->category);
	bind_details(v + 8, t);
}

#define MAX_COLS	22

/* A multi-row insert: head, rows of placeholders, tail. */
static const struct {
	const char	*head;
	const char	*row;
	const char	*tail;
	int		 cols;
	void		(*bind)(struct dh_val *, long long,
			    const struct dh_fluent_ticket *, const char *,
			    long long);
} kind[K__MAX] = {
	[K_REQUESTS] = { "INSERT INTO requests (date, time, category, "
	    "description, urgency, source, website_url, source_key) VALUES ",
	    "(?,?,?,?,?,'fluent',?,?)",
	    /*
	     * A row left with the key and no ticket is taken over.  RETURNING
	     * (MariaDB 10.5) names the row of each ticket, inserted or taken
	     * over, in the same round trip: a subquery per fluent_tickets
	     * row cost 15% of a full sync.
	     */
	    " ON DUPLICATE KEY UPDATE date = VALUES(date), "
	    "time = VALUES(time), description = VALUES(description), "
	    "urgency = VALUES(urgency), website_url = VALUES(website_url) "
	    "RETURNING id, source_key",
	    7, bind_request },
	[K_TICKETS] = { "INSERT INTO fluent_tickets (fluent_id, request_id, "
	    "title, ticket_status, priority, product_name, customer_name, "
	    "customer_email, agent_id, agent_name, closed_by, resolved_at, "
	    "created_at_fluent, updated_at_fluent, raw_data, content_hash, "
	    "last_synced_run) VALUES ",
	    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", "", 17, bind_ticket },
	[K_STAGE] = { "INSERT INTO fluent_sync_staging (run_id, "
	    "fluent_id, source_key, date, time, description, urgency, "
	    "category, title, ticket_status, priority, website_url, "
	    "customer_name, customer_email, agent_id, agent_name, closed_by, "
	    "resolved_at, created_at_fluent, updated_at_fluent, raw_data, "
	    "content_hash) VALUES ",
	    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    " ON DUPLICATE KEY UPDATE run_id = run_id", 22, bind_stage },
};

/* The statement texts of the run's connection, built once; -1 when out
 * of memory. */
static int
wsql_build(void)
{
	struct dh_buf	 b;
	int		 rc;

	for (int k = 0; k < K__MAX; k++)
		for (int z = 0; z < BATCH_SIZES; z++) {
			size_t	 w = W_BATCH_OF(k, z);

			if (wsql[w] != NULL)
				continue;
			dh_buf_init(&b, 64 * 1024);
			rc = dh_buf_puts(&b, kind[k].head);
			for (int i = 0; i < batch_size[z]; i++)
				rc |= dh_buf_puts(&b, i > 0 ? "," : "") |
				    dh_buf_puts(&b, kind[k].row);
			if ((rc | dh_buf_puts(&b, kind[k].tail)) != 0) {
				dh_buf_release(&b);
				return -1;
			}
			wsql[w] = b.data;
		}
	return 0;
}

/*
 * The requests rows that a batch of n tickets, keyed keys, came back with
 * (RETURNING id, source_key) into rid.  Rows come back in the order they
 * were sent; each key is still checked, and a ticket left without a row
 * fails the batch.
 */
static int
returned_ids(struct dh_db *w, const struct dh_result *r, char (*keys)[32],
    size_t n, long long *rid)
{
	const char	*key;
	size_t		 j;

	for (size_t i = 0; i < n; i++) {
		rid[i] = 0;
		for (j = 0; r != NULL && j < r->nrows; j++) {
			key = dh_res_get(r, (i + j) % r->nrows, 1);
			if (key != NULL && strcmp(key, keys[i]) == 0)
				break;
		}
		if (r != NULL && j < r->nrows)
			rid[i] = dh_res_int(r, (i + j) % r->nrows, 0, 0);
		if (rid[i] <= 0) {
			snprintf(w->err, sizeof(w->err), "the requests row of "
			    "%s did not come back from its insert", keys[i]);
			return DH_DB_ERR;
		}
	}
	return DH_DB_OK;
}

/*
 * Insert the n tickets t as rows of kind k, with as few statements as can
 * be.  rid holds each ticket's requests id: K_REQUESTS fills it in,
 * K_TICKETS reads it, K_STAGE does without (NULL).
 */
static int
batch(struct dh_db *w, int k, long long run, struct dh_fluent_ticket *t,
    size_t n, long long *rid)
{
	struct dh_result *r = NULL;
	struct dh_val	*v;
	char		(*keys)[32];
	size_t		 done = 0;
	int		 z, rc = DH_DB_ERR;

	v = calloc((size_t)batch_size[0] * MAX_COLS, sizeof(*v));
	keys = calloc((size_t)batch_size[0], sizeof(*keys));
	if (v == NULL || keys == NULL)
		goto out;
	while (done < n) {
		for (z = 0; (size_t)batch_size[z] > n - done; z++)
			;
		for (int i = 0; i < batch_size[z]; i++) {
			snprintf(keys[i], sizeof(*keys), "fluent:%lld",
			    t[done + (size_t)i].id);
			kind[k].bind(v + (size_t)i * (size_t)kind[k].cols, run,
			    &t[done + (size_t)i], keys[i],
			    k == K_TICKETS ? rid[done + (size_t)i] : 0);
		}
		rc = dh_db_exec(w, W_BATCH_OF(k, z),
		    v, (size_t)batch_size[z] * (size_t)kind[k].cols,
		    k == K_REQUESTS ? &r : NULL, NULL);
		if (rc == DH_DB_OK && k == K_REQUESTS)
			rc = returned_ids(w, r, keys, (size_t)batch_size[z],
			    rid + done);
		dh_result_free(r);
		r = NULL;
		if (rc != DH_DB_OK)
			goto out;
		done += (size_t)batch_size[z];
	}
	rc = DH_DB_OK;
out:
	free(v);
	free(keys);
	return rc;
}

/*
 * What a run knows besides the pages: every stored ticket by its id, with
 * the hash of its raw bytes and its creation time.  A ticket sent with
 * exactly the bytes stored for its id is unchanged and is skipped without
 * being parsed; every other one is parsed, and the ids stored tell new
 * from changed.  An entry also says whether this run met the ticket
 * already, so that a ticket that moved to the next page while paging
 * counts once; new tickets met go into a table of their own.  Both are
 * open-addressing tables that double when half full, bounded.
 */
struct known_ent {
	long long	 id;		/* 0: empty slot */
	int64_t		 created;	/* UTC */
	unsigned char	 hash[DH_FLUENT_HASH_LEN];
	unsigned char	 has_hash;	/* 0: not ours, never matches */
	unsigned char	 seen;		/* met in this run */
};

struct known_tab {
	struct known_ent *t;
	size_t		 cap;		/* a power of two */
	size_t		 n;
};

#define KNOWN_MAX	(16u * 1024 * 1024)	/* slots of a table; bounded */

static void
known_free(struct known_tab *k)
{
	free(k->t);
	memset(k, 0, sizeof(*k));
}

static struct known_ent *
known_slot(struct known_ent *t, size_t cap, long long id)
{
	size_t	 i = (size_t)((unsigned long long)id * 0x9e3779b97f4a7c15ULL)
	    & (cap - 1);

	while (t[i].id != 0 && t[i].id != id)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* The entry of id, added (zeroed) when new; NULL when the table cannot
 * grow. */
static struct known_ent *
known_put(struct known_tab *k, long long id)
{
	struct known_ent	*e, *g;

	if (k->n * 2 + 2 >= k->cap) {
		size_t	 cap = k->cap ? k->cap * 2 : 4096;

		if (cap > KNOWN_MAX || (g = calloc(cap, sizeof(*g))) == NULL)
			return NULL;
		for (size_t i = 0; i < k->cap; i++)
			if (k->t[i].id != 0)
				*known_slot(g, cap, k->t[i].id) = k->t[i];
		free(k->t);
		k->t = g;
		k->cap = cap;
	}
	e = known_slot(k->t, k->cap, id);
	if (e->id == 0) {
		e->id = id;
		k->n++;
	}
	return e;
}

static struct known_ent *
known_get(const struct known_tab *k, long long id)
{
	struct known_ent	*e;

	if (k->t == NULL)
		return NULL;
	e = known_slot(k->t, k->cap, id);
	return e->id != 0 ? e : NULL;
}

/*
 * The stored tickets are read by a thread of their own, on the caller's
 * connection, newest id first, while the first pages download.  They are
 * handed over in chunks; the fetch moves each chunk into its table and
 * goes on with any page whose ids the chunks so far cover (every stored
 * id at or above the lowest one handed over is in the table), so that a
 * re-sync processes its first pages while the older tickets still load
 * instead of waiting for all of them.  Nothing else uses the connection
 * until the thread is finished.
 */
#define FEED_CHUNK	256

struct feed_chunk {
	struct feed_chunk *next;
	size_t		 n;
	struct known_ent e[FEED_CHUNK];
};

struct loader {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* a chunk came, or the end */
	struct dh_db	*db;
	struct dh_fluent *f;		/* woken at each chunk */
	int		 started;	/* set up, not yet joined */
	int		 running;	/* a thread to join */
	/* The thread's own until it is finished. */
	struct feed_chunk *cur;
	long long	 last;		/* the last id read, 0 before */
	const char	*why;		/* why it stopped reading early */
	/* Under mu. */
	struct feed_chunk *head;
	struct feed_chunk **tail;
	int		 finished;
	int		 rc;
	/* The fetch's own. */
	long long	 cover;		/* stored ids >= cover are in the table */
	int		 over;		/* nothing more will come */
	int		 all;		/* every stored ticket is in the table */
};

/* Hand the chunk being filled over, and the end when done. */
static void
feed_publish(struct loader *l, int done, int rc)
{
	pthread_mutex_lock(&l->mu);
	if (l->cur != NULL && l->cur->n > 0) {
		*l->tail = l->cur;
		l->tail = &l->cur->next;
		l->cur = NULL;
	}
	if (done) {
		l->finished = 1;
		l->rc = rc;
	}
	pthread_cond_signal(&l->more);
	pthread_mutex_unlock(&l->mu);
	dh_fluent_wakeup(l->f);
}

static int
feed_row(void *arg, const struct dh_col *c)
{
	struct loader		*l = arg;
	struct known_ent	*e;

	/* The cover holds only for ids read in strictly falling order. */
	if (c[0].i <= 0 || (l->last != 0 && c[0].i >= l->last)) {
		l->why = "the stored ids did not come newest first";
		return -1;
	}
	l->last = c[0].i;
	if (l->cur == NULL && (l->cur = calloc(1, sizeof(*l->cur))) == NULL) {
		l->why = "out of memory";
		return -1;
	}
	e = &l->cur->e[l->cur->n++];
	e->id = c[0].i;
	e->created = c[2].i;
	/* A hash of another length (an older release's) never matches. */
	if (!c[1].null && !c[1].trunc && c[1].len == DH_FLUENT_HASH_LEN) {
		memcpy(e->hash, c[1].buf, DH_FLUENT_HASH_LEN);
		e->has_hash = 1;
	}
	if (l->cur->n == FEED_CHUNK)
		feed_publish(l, 0, DH_DB_OK);
	return 0;
}

/* Read every stored ticket's id, hash and creation, streamed from the
 * covering index, and hand them over. */
static void *
loader_main(void *arg)
{
	struct loader	*l = arg;
	char		 hash[64];
	struct dh_col	 c[3] = {
		{ .is_int = 1 },
		{ .buf = hash, .cap = sizeof(hash) },
		{ .is_int = 1 },
	};

	feed_publish(l, 1, dh_db_each(l->db, &q[Q_KNOWN], NULL, 0, c, 3,
	    feed_row, l));
	return NULL;
}

/* 0, or -1 when the loader cannot be set up (nothing to join). */
static int
loader_start(struct loader *l, struct dh_db *db, struct dh_fluent *f)
{
	memset(l, 0, sizeof(*l));
	l->db = db;
	l->f = f;
	l->cover = LLONG_MAX;
	if (pthread_mutex_init(&l->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&l->more, NULL) != 0) {
		pthread_mutex_destroy(&l->mu);
		return -1;
	}
	l->tail = &l->head;
	l->started = 1;
	if (pthread_create(&l->th, NULL, loader_main, l) == 0)
		l->running = 1;
	else
		loader_main(l);		/* no thread: read them now */
	return 0;
}

/*
 * Move the chunks c into k, lowering the cover, and free them; with k
 * NULL, only free them.  0, or -1 when out of memory.
 */
static int
feed_move(struct loader *l, struct feed_chunk *c, struct known_tab *k)
{
	struct feed_chunk	*next;
	struct known_ent	*e;
	int			 rc = 0;

	for (; c != NULL; c = next) {
		next = c->next;
		for (size_t i = 0; k != NULL && rc == 0 && i < c->n; i++) {
			if ((e = known_put(k, c->e[i].id)) == NULL)
				rc = -1;
			else
				*e = c->e[i];
		}
		if (k != NULL && rc == 0)
			l->cover = c->e[c->n - 1].id;
		free(c);
	}
	return rc;
}

/*
 * Move the chunks handed over into k, after waiting for one (or the end)
 * when wait is set and none is there.  0, or -1 when out of memory.
 */
static int
feed_take(struct loader *l, struct known_tab *k, int wait)
{
	struct feed_chunk	*c;
	int			 finished, lrc;

	pthread_mutex_lock(&l->mu);
	while (wait && l->head == NULL && !l->finished)
		pthread_cond_wait(&l->more, &l->mu);
	c = l->head;
	l->head = NULL;
	l->tail = &l->head;
	finished = l->finished;
	lrc = l->rc;
	pthread_mutex_unlock(&l->mu);
	if (feed_move(l, c, k) == -1)
		return -1;
	if (finished) {
		l->over = 1;
		l->all = lrc == DH_DB_OK;
	}
	return 0;
}

/* Whether the table holds the stored ticket of id, if there is one. */
static int
covered(const struct loader *l, long long id)
{
	return l->all || (id > 0 && id >= l->cover);
}

/*
 * Wait for the end of the thread and move what it left into k (NULL: drop
 * it); the connection is the caller's again.  DH_DB_OK, or an error with
 * why the stored tickets could not be read in err.  Once only; later
 * calls answer DH_DB_ERR.
 */
static int
loader_join(struct loader *l, struct known_tab *k, char *err, size_t errlen)
{
	int	 rc;

	if (!l->started)
		return DH_DB_ERR;
	if (l->running)
		pthread_join(l->th, NULL);
	l->started = l->running = 0;
	rc = l->rc;
	if (feed_move(l, l->head, k) == -1 && rc == DH_DB_OK) {
		l->why = "out of memory";
		rc = DH_DB_ERR;
	}
	free(l->cur);
	l->head = l->cur = NULL;
	l->tail = NULL;
	pthread_cond_destroy(&l->more);
	pthread_mutex_destroy(&l->mu);
	l->over = 1;
	l->all = rc == DH_DB_OK;
	if (rc != DH_DB_OK && err != NULL)
		snprintf(err, errlen, "reading the stored tickets: %s",
		    l->why != NULL ? l->why : l->db->err);
	return rc;
}

static enum dh_sync_rc
db_rc(int rc)
{
	return rc == DH_DB_DOWN ? DH_SYNC_DB_DOWN : DH_SYNC_DB;
}

int
dh_fluent_reap(struct dh_db *db, const struct dh_config *cfg)
{
	return dh_lock_reap(db, LOCK_NAME, cfg->sync_stale, &q[Q_ORPHANS],
	    &q[Q_REAP]);
}

/*
 * Record a new run and take the lease in one transaction, marking a dead
 * holder's run failed on the way.  DH_SYNC_OK with res->run_id set.
 */
static enum dh_sync_rc
begin_run(struct dh_db *db, const struct dh_config *cfg, const char *filter,
    struct dh_sync_result *res)
{
	char		 host[256] = "";
	int		 rc;

	gethostname(host, sizeof(host) - 1);
	if ((rc = dh_db_begin(db)) != DH_DB_OK)
		return db_rc(rc);
	if ((rc = dh_lock_claim(db, LOCK_NAME, cfg->sync_stale, &q[Q_REAP],
	    &res->busy_run)) != DH_DB_OK)
		goto fail;
	if (res->busy_run != 0) {
		dh_db_rollback(db);
		return DH_SYNC_BUSY;
	}
	{
		struct dh_val	 a[] = { DH_VSTR(filter), DH_VSTR(host),
		    DH_VINT((long long)getpid()) };

		rc = dh_db_stmt(db, &q[Q_NEW_RUN], a, 3, NULL, NULL);
		if (rc != DH_DB_OK)
			goto fail;
	}
	if ((rc = dh_lock_hold(db, LOCK_NAME, &res->run_id)) != DH_DB_OK)
		return db_rc(rc);
	return DH_SYNC_OK;
fail:
	dh_db_rollback(db);
	return db_rc(rc);
}

/* Record the failure on the run (autocommit) and free the lease. */
static void
fail_run(struct dh_db *db, struct dh_sync_result *res, const char *why)
{
	struct dh_val	 a[] = { DH_VINT(res->fetched),
	    DH_VINT(res->duration_ms), DH_VSTR(why), DH_VINT(res->run_id) };

	if (db->in_tx)
		dh_db_rollback(db);
	if (dh_db_stmt(db, &q[Q_FAIL_RUN], a, 4, NULL, NULL) != DH_DB_OK)
		dh_err("cannot record failed run %lld: %s", res->run_id,
		    db->err);
	dh_lock_release(db, LOCK_NAME, res->run_id);
}

/*
 * End the run on its own connection w: update the changed tickets, count
 * by status, mark the run done and free the lease, then commit it all.
 */
static int
finish(struct dh_db *w, struct dh_sync_result *res)
{
	struct dh_val	 run[] = { DH_VINT(res->run_id) };
	int		 rc;

	/* fetched, added and updated were counted while paging. */
	res->skipped = res->fetched - res->added - res->updated;
	if (res->updated > 0 &&
	    ((rc = dh_db_exec(w, W_UPD_REQUESTS, run, 1, NULL,
	    NULL)) != DH_DB_OK ||
	    (rc = dh_db_exec(w, W_UPD_TICKETS, run, 1, NULL,
	    NULL)) != DH_DB_OK ||
	    (rc = dh_db_exec(w, W_DROP_STAGING, run, 1, NULL,
	    NULL)) != DH_DB_OK))
		return rc;
	/* The counts by status change only with the tickets. */
	if (res->added + res->updated > 0 &&
	    ((rc = dh_db_exec(w, W_STATS_CLEAR, NULL, 0, NULL,
	    NULL)) != DH_DB_OK ||
	    (rc = dh_db_exec(w, W_STATS_FILL, NULL, 0, NULL,
	    NULL)) != DH_DB_OK))
		return rc;
	res->duration_ms = dh_now_ms() - res->started_ms;
	{
		struct dh_val	 a[] = { DH_VINT(res->fetched),
		    DH_VINT(res->added), DH_VINT(res->updated),
		    DH_VINT(res->skipped), DH_VINT(res->duration_ms),
		    DH_VINT(res->pages), DH_VINT(res->run_id) };

		rc = dh_db_exec(w, W_FINISH, a, 7, NULL, NULL);
		if (rc != DH_DB_OK)
			return rc;
	}
	if ((rc = dh_lock_release(w, LOCK_NAME, res->run_id)) != DH_DB_OK)
		return rc;
	return dh_db_commit(w);
}

/* The run's own connection, in its transaction. */
static int
open_writer(struct dh_db *w, const struct dh_config *cfg)
{
	int	 rc;

	if (wsql_build() == -1)
		return DH_DB_ERR;
	if ((rc = dh_db_open(w, cfg, wsql, W__MAX)) != DH_DB_OK)
		return rc;
	return dh_db_begin(w);
}

static void
close_writer(struct dh_db *w)
{
	if (w->in_tx)
		dh_db_rollback(w);
	dh_db_close(w);
}

static enum dh_sync_rc
prov_rc(enum dh_prov_rc p)
{
	switch (p) {
	case DH_PROV_AUTH:
		return DH_SYNC_AUTH;
	case DH_PROV_CONFIG:
		return DH_SYNC_CONFIG;
	default:
		return DH_SYNC_PROVIDER;
	}
}

/* What a fetch carries from page to page. */
struct fetch_state {
	struct saver	*sv;		/* writes the run's own connection */
	struct loader	*ld;		/* reads the stored tickets */
	struct known_tab known;		/* the stored tickets, as read so far */
	struct known_tab fresh;		/* the new tickets met */
	char		 site_tz[128];
	char		 biz_tz[128];
	const char	*filter;
	int64_t		 day0;		/* the filter day's first second */
	int		 has_day0;
	long long	 total;
	int64_t		 reported_ms;	/* last progress written */
	int		 done;
	int		 unread;	/* a page stopped: no stored tickets */
};

/* Set the first second of the filter's day in the business timezone. */
static void
filter_day0(struct fetch_state *st)
{
	struct dh_wall	 w;

	memset(&w, 0, sizeof(w));
	st->has_day0 = sscanf(st->filter, "%4d-%2d-%2d", &w.year, &w.month,
	    &w.day) == 3;
	if (st->has_day0)
		st->day0 = dh_tz_from_local(st->biz_tz, &w);
}

/*
 * Whether a stored ticket created at utc is older than the filter: its
 * date in the business timezone is before the filter's.  Every second
 * before day0 is on an earlier date, and from 2 hours past it on no
 * zone's clock is back on one (a DST change moves it an hour at most):
 * only the seconds between are converted.
 */
static int
older_than_filter(const struct fetch_state *st, int64_t utc)
{
	struct dh_wall	 w;
	char		 date[11];

	if (st->has_day0 && utc < st->day0)
		return 1;
	if (st->has_day0 && utc >= st->day0 + 2 * 3600)
		return 0;
	dh_tz_to_local(st->biz_tz, utc, &w);
	dh_wall_date(&w, date);
	return strcmp(date, st->filter) < 0;
}

/*
 * Set *e to the stored ticket of id, or NULL when there is none, once the
 * tickets read cover it (waiting for them).  0, or -1 when they cannot be
 * read or moved (the loader says why when joined).
 */
static int
known_find(struct fetch_state *st, long long id, struct known_ent **e)
{
	while (!covered(st->ld, id)) {
		if (st->ld->over || feed_take(st->ld, &st->known, 1) == -1)
			return -1;
	}
	*e = known_get(&st->known, id);
	return 0;
}

/* Whether e is a stored ticket whose bytes hash to h. */
static int
same_bytes(const struct known_ent *e, const unsigned char *h)
{
	return e != NULL && e->has_hash &&
	    memcmp(e->hash, h, DH_FLUENT_HASH_LEN) == 0;
}

/* Whether the ticket of e is met for the first time in this run (then
 * counted as fetched). */
static int
met(struct known_ent *e, struct dh_sync_result *res)
{
	if (e->seen)
		return 0;
	e->seen = 1;
	res->fetched++;
	return 1;
}

/*
 * Whether ticket id is met for the first time in this run; -1 when out of
 * memory.
 */
static int
first_sight(struct fetch_state *st, struct dh_sync_result *res, long long id)
{
	struct known_ent	*e = known_get(&st->known, id);

	if (e == NULL && (e = known_put(&st->fresh, id)) == NULL)
		return -1;
	return met(e, res);
}

/* Record the progress and renew the lease, at most every DH_PROGRESS_MS. */
static enum dh_sync_rc
report(struct dh_db *db, struct dh_sync_result *res, struct fetch_state *st,
    char *err, size_t errlen)
{
	struct dh_val	 a[] = { DH_VINT(res->pages), DH_VINT(res->fetched),
	    st->total >= 0 ? DH_VINT(st->total) : DH_VNULL,
	    DH_VINT(res->run_id) };
	int		 dbrc;

	/* The connection reads the stored tickets until they are all in. */
	if (!st->ld->over || !dh_lock_due(&st->reported_ms))
		return DH_SYNC_OK;
	if ((dbrc = dh_db_stmt(db, &q[Q_PROGRESS], a, 4, NULL,
	    NULL)) != DH_DB_OK ||
	    (dbrc = dh_lock_heartbeat(db, LOCK_NAME,
	    res->run_id)) != DH_DB_OK) {
		snprintf(err, errlen, dbrc == DH_DB_ERR ?
		    "the sync lease was taken over" : "%s", db->err);
		return db_rc(dbrc);
	}
	return DH_SYNC_OK;
}

/*
 * Write a page's tickets in the run's transaction: the first nnew (new)
 * into requests and fluent_tickets, the others (changed) into staging.
 */
static int
write_page(struct dh_db *w, long long run, struct dh_fluent_ticket *t,
    size_t n, size_t nnew)
{
	long long	*rid;
	int		 rc;

	if (nnew > 0) {
		if ((rid = calloc(nnew, sizeof(*rid))) == NULL) {
			snprintf(w->err, sizeof(w->err), "out of memory");
			return DH_DB_ERR;
		}
		if ((rc = batch(w, K_REQUESTS, run, t, nnew, rid)) == DH_DB_OK)
			rc = batch(w, K_TICKETS, run, t, nnew, rid);
		free(rid);
		if (rc != DH_DB_OK)
			return rc;
	}
	if (n > nnew && (rc = batch(w, K_STAGE, run, t + nnew, n - nnew,
	    NULL)) != DH_DB_OK)
		return rc;
	return DH_DB_OK;
}

static void
tickets_free(struct dh_fluent_ticket *t, size_t n)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		dh_fluent_ticket_release(&t[i]);
	free(t);
}

/*
 * The run's connection is written by a thread of its own, so that MariaDB
 * inserts a page while the next one downloads and is mapped; alone, each
 * waited for the other (a fifth of the machine sat idle in a full sync).
 * Pages are handed over in order, SAVE_QUEUE at most, and the thread owns
 * the connection until it is joined.  The first failure sticks: the pages
 * after it are dropped, and the run ends with it.
 */
#define SAVE_QUEUE	2

struct save_job {
	struct dh_fluent_ticket	*t;
	size_t			 n;
	size_t			 nnew;
};

struct saver {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* a job came, or stop */
	pthread_cond_t	 room;		/* a job left */
	struct dh_db	*w;
	long long	 run;
	struct save_job	 q[SAVE_QUEUE];
	size_t		 head;
	size_t		 len;
	int		 stop;
	int		 rc;		/* DH_DB_OK until a write fails */
	int		 running;
};

static void *
saver_main(void *arg)
{
	struct saver	*sv = arg;
	struct save_job	 j;
	int		 rc;

	pthread_mutex_lock(&sv->mu);
	for (;;) {
		while (sv->len == 0 && !sv->stop)
			pthread_cond_wait(&sv->more, &sv->mu);
		if (sv->len == 0)
			break;
		j = sv->q[sv->head];
		sv->head = (sv->head + 1) % SAVE_QUEUE;
		sv->len--;
		rc = sv->rc;
		pthread_mutex_unlock(&sv->mu);
		if (rc == DH_DB_OK)
			rc = write_page(sv->w, sv->run, j.t, j.n, j.nnew);
		tickets_free(j.t, j.n);
		pthread_mutex_lock(&sv->mu);
		if (sv->rc == DH_DB_OK)
			sv->rc = rc;
		pthread_cond_signal(&sv->room);
	}
	pthread_mutex_unlock(&sv->mu);
	return NULL;
}

static void
saver_start(struct saver *sv, struct dh_db *w, long long run)
{
	memset(sv, 0, sizeof(*sv));
	sv->w = w;
	sv->run = run;
	sv->rc = DH_DB_OK;
	if (pthread_mutex_init(&sv->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&sv->more, NULL) != 0) {
		pthread_mutex_destroy(&sv->mu);
		return;
	}
	if (pthread_cond_init(&sv->room, NULL) != 0) {
		pthread_cond_destroy(&sv->more);
		pthread_mutex_destroy(&sv->mu);
		return;
	}
	if (pthread_create(&sv->th, NULL, saver_main, sv) != 0) {
		pthread_cond_destroy(&sv->room);
		pthread_cond_destroy(&sv->more);
		pthread_mutex_destroy(&sv->mu);
		return;
	}
	sv->running = 1;
}

/*
 * Hand the n tickets t (the first nnew of them new) to the saver, which
 * frees them; without a thread they are written here.  DH_DB_OK, or the
 * first failure of a write so far.
 */
static int
saver_put(struct saver *sv, struct dh_fluent_ticket *t, size_t n,
    size_t nnew)
{
	int	 rc;

	if (!sv->running) {
		if (sv->rc == DH_DB_OK)
			sv->rc = write_page(sv->w, sv->run, t, n, nnew);
		tickets_free(t, n);
		return sv->rc;
	}
	pthread_mutex_lock(&sv->mu);
	while (sv->len == SAVE_QUEUE && sv->rc == DH_DB_OK)
		pthread_cond_wait(&sv->room, &sv->mu);
	if ((rc = sv->rc) == DH_DB_OK) {
		sv->q[(sv->head + sv->len) % SAVE_QUEUE] =
		    (struct save_job){ t, n, nnew };
		sv->len++;
		pthread_cond_signal(&sv->more);
	}
	pthread_mutex_unlock(&sv->mu);
	if (rc != DH_DB_OK)
		tickets_free(t, n);
	return rc;
}

/*
 * Wait until every page handed over is written (or dropped after a
 * failure) and end the thread; the connection is the caller's again.
 * DH_DB_OK, or the first failure.
 */
static int
saver_join(struct saver *sv)
{
	if (!sv->running)
		return sv->rc;
	pthread_mutex_lock(&sv->mu);
	sv->stop = 1;
	pthread_cond_signal(&sv->more);
	pthread_mutex_unlock(&sv->mu);
	pthread_join(sv->th, NULL);
	pthread_cond_destroy(&sv->room);
	pthread_cond_destroy(&sv->more);
	pthread_mutex_destroy(&sv->mu);
	sv->running = 0;
	return sv->rc;
}

/*
 * Count a page's tickets, new ones first, and hand them to the saver,
 * which owns and frees them from here on.
 */
static int
save(struct saver *sv, struct dh_sync_result *res, const struct known_tab *k,
    struct dh_fluent_ticket *t, size_t n)
{
	struct dh_fluent_ticket	 tmp;
	size_t			 nnew = 0;

	for (size_t i = 0; i < n; i++)
		if (known_get(k, t[i].id) == NULL) {
			tmp = t[nnew];
			t[nnew++] = t[i];
			t[i] = tmp;
		}
	res->added += (long long)nnew;
	res->updated += (long long)(n - nnew);
	return saver_put(sv, t, n, nnew);
}

/*
 * Filter and save one page; set st->done once a ticket older than the
 * filter shows up (newest first: later pages are older still).  The whole
 * page is looked at, so equal or slightly unordered times at the edge are
 * kept.  A ticket whose bytes hash as those stored for its id is
 * unchanged, and not even parsed when its id comes first (as FluentSupport
 * sends it); the others are parsed, mapped and saved.
 */
static enum dh_sync_rc
process_page(struct dh_db *db, struct dh_sync_result *res,
    struct fetch_state *st, long page, struct dh_fluent_page *pg,
    const unsigned char (*pre)[DH_FLUENT_HASH_LEN], char *err,
    size_t errlen)
{
	struct dh_fluent_ticket	*t = NULL;
	struct known_ent	*he;
	unsigned char		 h[DH_FLUENT_HASH_LEN];
	char			 merr[256];
	const char		*raw;
	enum dh_sync_rc		 rc = DH_SYNC_OK;
	size_t			 n = pg->n, kept = 0;
	int			 dbrc, first, same;

	res->pages++;
	if (pg->total >= 0)
		st->total = pg->total;
	if (n == 0) {
		st->done = 1;
		return DH_SYNC_OK;
	}
	if ((t = calloc(n, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DH_SYNC_DB;
	}
	for (size_t i = 0; i < n; i++) {
		raw = pg->text + pg->span[i].off;
		if (pre != NULL)
			memcpy(h, pre[i], sizeof(h));
		else
			dh_fluent_hash(raw, pg->span[i].len, h);
		if (known_find(st, dh_fluent_raw_id(raw, pg->span[i].len),
		    &he) == -1)
			goto unread;
		if (!(same = same_bytes(he, h))) {
			if (dh_fluent_map_text(raw, pg->span[i].len,
			    st->site_tz, st->biz_tz, &t[kept], merr,
			    sizeof(merr)) == -1) {
				snprintf(err, errlen, "FluentSupport tickets "
				    "page %ld, entry %zu: %s", page, i + 1,
				    merr);
				rc = DH_SYNC_PROVIDER;
				goto out;
			}
			/* Its id may not be where dh_fluent_raw_id looks. */
			if (known_find(st, t[kept].id, &he) == -1) {
				dh_fluent_ticket_release(&t[kept]);
				goto unread;
			}
			if ((same = same_bytes(he, h)))
				dh_fluent_ticket_release(&t[kept]);
		}
		if (same) {
			/* The bytes stored for its id exactly: unchanged. */
			if (older_than_filter(st, he->created))
				st->done = 1;
			else
				met(he, res);
			continue;
		}
		if (strcmp(t[kept].date, st->filter) < 0) {
			dh_fluent_ticket_release(&t[kept]);
			st->done = 1;
			continue;
		}
		/* New or changed, unless met on an earlier page already. */
		if ((first = first_sight(st, res, t[kept].id)) == -1)
			goto oom;
		if (first == 0) {
			dh_fluent_ticket_release(&t[kept]);
			continue;
		}
		kept++;
	}
	if (kept > 0) {
		dbrc = save(st->sv, res, &st->known, t, kept);
		t = NULL;		/* the saver's */
		if (dbrc != DH_DB_OK) {
			/* The saver leaves the connection after a failure. */
			snprintf(err, errlen, "%s", st->sv->w->err);
			rc = db_rc(dbrc);
			goto out;
		}
	}
	if (pg->last_page >= 0 && page >= pg->last_page)
		st->done = 1;
	rc = report(db, res, st, err, errlen);
	goto out;
unread:
	/* fetch tells why, from the loader. */
	st->unread = 1;
	snprintf(err, errlen, "reading the stored tickets failed");
	rc = DH_SYNC_DB;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = DH_SYNC_DB;
out:
	tickets_free(t, n);
	return rc;
}

/*
 * The pages on their way: page p downloads in slot p % width.  done is
 * the next page to take, next the first page not started, last the last
 * page once a page said so (-1 before).
 */
struct window {
	long	 width;
	long	 done;
	long	 next;
	long	 last;
};

/*
 * Start pages until width of them are on their way, none past the last
 * page.  Page 1 goes alone: it says how many pages there are.
 */
static enum dh_prov_rc
fill_window(struct dh_fluent *f, const struct dh_config *cfg,
    struct window *wn, char *err, size_t errlen)
{
	enum dh_prov_rc	 pr;

	while (wn->next < wn->done + (wn->done == 1 ? 1 : wn->width) &&
	    (wn->last < 0 || wn->next <= wn->last) && wn->next <= MAX_PAGES) {
		pr = dh_fluent_page_start(f, (size_t)(wn->next % wn->width),
		    wn->next, (long)cfg->fluent_per_page, err, errlen);
		if (pr != DH_PROV_OK)
			return pr;
		wn->next++;
	}
	return DH_PROV_OK;
}

/*
 * Take page wn->done into pg, after starting what the window allows.
 * *got is 1 when it did (wn->done then moves on), 0 when past the last
 * page, or when wait_ms >= 0 and the page was not in after that long.
 */
static enum dh_prov_rc
next_page(struct dh_fluent *f, const struct dh_config *cfg,
    struct window *wn, int wait_ms, struct dh_fluent_page *pg, int *got,
    char *err, size_t errlen)
{
	size_t		 slot = (size_t)(wn->done % wn->width);
	enum dh_prov_rc	 pr;

	*got = 0;
	if ((pr = fill_window(f, cfg, wn, err, errlen)) != DH_PROV_OK)
		return pr;
	if (wn->done >= wn->next)
		return DH_PROV_OK;		/* past the last page */
	if (wait_ms >= 0 && !dh_fluent_page_ready(f, slot, wait_ms))
		return DH_PROV_OK;
	if ((pr = dh_fluent_page_finish(f, slot, wn->done, pg, err,
	    errlen)) != DH_PROV_OK)
		return pr;
	if (pg->last_page >= 0)
		wn->last = (long)pg->last_page;
	wn->done++;
	*got = 1;
	return DH_PROV_OK;
}

/*
 * 1 when the fetch ends with page pg: it is empty, or its last ticket is
 * older than the filter (or cannot be read, which its processing
 * reports), so that no page after it is needed.
 */
static int
page_ends(const struct dh_fluent_page *pg, const struct fetch_state *st)
{
	struct dh_fluent_ticket	 t;
	const struct dh_fluent_span *sp;
	char			 merr[256];
	int			 end;

	if (pg->n == 0)
		return 1;
	sp = &pg->span[pg->n - 1];
	memset(&t, 0, sizeof(t));
	if (dh_fluent_map_text(pg->text + sp->off, sp->len, st->site_tz,
	    st->biz_tz, &t, merr, sizeof(merr)) == -1)
		return 1;
	end = strcmp(t.date, st->filter) < 0;
	dh_fluent_ticket_release(&t);
	return end;
}

/* A page downloaded while the stored tickets load, with its hashes. */
struct held {
	struct dh_fluent_page	 pg;
	unsigned char		(*hash)[DH_FLUENT_HASH_LEN];
	long long		 minid;	/* its lowest id, 0: one unread */
	size_t			 bytes;
};

static void
held_release(struct held *h)
{
	dh_fluent_page_release(&h->pg);
	free(h->hash);
	h->hash = NULL;
}

/*
 * Hash a held page's tickets and find its lowest id (as read from the
 * bytes: a ticket's own parse may still ask for another, see
 * known_find); 1 when the page ends the fetch (empty, or
 * its last ticket is older than the filter, so the pages after it are
 * not needed), 0 when not, -1 when out of memory.  A ticket that does
 * not map is left for process_page to report.
 */
static int
held_prepare(struct held *h, const struct fetch_state *st)
{
	const struct dh_fluent_span *sp;
	long long		 id;

	h->minid = LLONG_MAX;
	if (h->pg.n == 0)
		return 1;
	if ((h->hash = calloc(h->pg.n, sizeof(*h->hash))) == NULL)
		return -1;
	for (size_t i = 0; i < h->pg.n; i++) {
		sp = &h->pg.span[i];
		dh_fluent_hash(h->pg.text + sp->off, sp->len, h->hash[i]);
		id = dh_fluent_raw_id(h->pg.text + sp->off, sp->len);
		if (id < h->minid)
			h->minid = id;
	}
	return page_ends(&h->pg, st);
}

/* The pages held while the stored tickets load: a ring of HOLD_PAGES. */
struct hold {
	struct held	*p;
	size_t		 n;		/* pages taken so far */
	size_t		 used;		/* pages processed so far */
	size_t		 bytes;		/* of the pages held now */
};

/*
 * Process the held pages, in order, as long as the stored tickets read
 * so far cover them (all of them once the read is over), releasing each.
 */
static enum dh_sync_rc
hold_run(struct dh_db *db, struct dh_sync_result *res, struct fetch_state *st,
    struct hold *hd, char *err, size_t errlen)
{
	struct held	*hp;
	enum dh_sync_rc	 rc = DH_SYNC_OK;

	for (; hd->used < hd->n && !st->done && rc == DH_SYNC_OK;
	    hd->used++) {
		hp = &hd->p[hd->used % HOLD_PAGES];
		if (!covered(st->ld, hp->minid))
			break;
		rc = process_page(db, res, st, (long)hd->used + 1, &hp->pg,
		    (const unsigned char (*)[DH_FLUENT_HASH_LEN])hp->hash,
		    err, errlen);
		hd->bytes -= hp->bytes;
		held_release(hp);
	}
	return rc;
}

/*
 * Fetch pages newest first, save the tickets created on or after the
 * filter, and stop at the first page that reaches past it.  Page 1 comes
 * alone (it says how many pages there are); after it FLUENT_CONCURRENCY
 * pages are on their way at any time: each page is processed, in order,
 * while the next ones download.  Until the stored tickets are all read,
 * the pages that arrive are held and hashed (HOLD_PAGES and HOLD_BYTES at
 * most, and none past the page that reaches past the filter), and each is
 * processed, in order, as soon as the tickets read so far cover its ids:
 * a re-sync waits neither for its database first nor for its provider
 * next.
 */
static enum dh_sync_rc
fetch(struct dh_db *db, struct dh_db *w, const struct dh_config *cfg,
    struct dh_fluent *f, const char *filter, struct dh_sync_result *res,
    char *err, size_t errlen)
{
	struct hold		 hd = { NULL, 0, 0, 0 };
	struct held		*hp;
	struct dh_fluent_page	 pg;
	struct fetch_state	 st;
	struct loader		 ld;
	struct saver		 sv;
	struct window		 wn = { 1, 1, 1, -1 };
	enum dh_prov_rc		 pr, tzr;
	enum dh_sync_rc		 rc = DH_SYNC_OK;
	char			 lerr[512] = "";
	int			 dbrc, got, prep, ahead = 1;

	memset(&st, 0, sizeof(st));
	memset(&ld, 0, sizeof(ld));
	st.sv = &sv;
	st.ld = &ld;
	st.filter = filter;
	st.total = -1;
	wn.width = cfg->fluent_concurrency;
	if (wn.width > DH_HTTP_MAX_PARALLEL)
		wn.width = DH_HTTP_MAX_PARALLEL;
	if (wn.width < 1)
		wn.width = 1;
	tzr = dh_fluent_site_tz(f, st.site_tz, sizeof(st.site_tz), err,
	    errlen);
	if (tzr == DH_PROV_AUTH || tzr == DH_PROV_UNREACHABLE)
		return prov_rc(tzr);
	if (tzr != DH_PROV_OK) {
		dh_warn("site timezone unknown (%s), reading local times as "
		    "UTC", err);
		dh_strlcpy(st.site_tz, "UTC", sizeof(st.site_tz));
	}
	dh_strlcpy(st.biz_tz, cfg->timezone[0] != '\0' ? cfg->timezone :
	    st.site_tz, sizeof(st.biz_tz));
	filter_day0(&st);
	dh_info("run %lld: site timezone %s, business timezone %s, "
	    "filter %s", res->run_id, st.site_tz, st.biz_tz, filter);
	if ((pr = fill_window(f, cfg, &wn, err, errlen)) != DH_PROV_OK)
		return prov_rc(pr);
	if ((hd.p = calloc(HOLD_PAGES, sizeof(*hd.p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DH_SYNC_DB;
	}
	saver_start(&sv, w, res->run_id);
	if (loader_start(&ld, db, f) == -1) {
		snprintf(err, errlen, "out of memory");
		rc = DH_SYNC_DB;
		goto out;
	}

	/*
	 * While the stored tickets load: take what came of them, process
	 * the held pages they cover, in order, and download ahead in the
	 * meantime; a page not in yet is waited for no longer than the
	 * next chunk takes.
	 */
	while (!ld.over && !st.done) {
		if (feed_take(&ld, &st.known, 0) == -1)
			goto oom;
		if ((rc = hold_run(db, res, &st, &hd, err, errlen)) !=
		    DH_SYNC_OK)
			goto out;
		if (st.done || ld.over)
			break;
		if (!ahead || hd.n - hd.used == HOLD_PAGES ||
		    hd.bytes >= HOLD_BYTES) {
			if (feed_take(&ld, &st.known, 1) == -1)
				goto oom;
			continue;
		}
		hp = &hd.p[hd.n % HOLD_PAGES];
		if ((pr = next_page(f, cfg, &wn, 1000, &hp->pg, &got, err,
		    errlen)) != DH_PROV_OK) {
			rc = prov_rc(pr);
			goto out;
		}
		if (!got) {
			if (wn.done >= wn.next)
				ahead = 0;	/* past the last page */
			continue;
		}
		hd.n++;
		hp->bytes = hp->pg.n > 0 ? hp->pg.span[hp->pg.n - 1].off +
		    hp->pg.span[hp->pg.n - 1].len : 0;
		hd.bytes += hp->bytes;
		if ((prep = held_prepare(hp, &st)) == -1)
			goto oom;
		if (prep == 1)
			ahead = 0;	/* the filter is met on it */
		else if ((pr = fill_window(f, cfg, &wn, err, errlen)) !=
		    DH_PROV_OK) {
			rc = prov_rc(pr);	/* its slot's next page */
			goto out;
		}
	}
	if ((dbrc = loader_join(&ld, &st.known, err, errlen)) != DH_DB_OK) {
		rc = db_rc(dbrc);
		goto out;
	}
	if ((rc = hold_run(db, res, &st, &hd, err, errlen)) != DH_SYNC_OK)
		goto out;

	while (!st.done) {
		if ((pr = next_page(f, cfg, &wn, -1, &pg, &got, err,
		    errlen)) != DH_PROV_OK) {
			rc = prov_rc(pr);
			goto out;
		}
		if (!got)
			break;			/* past the last page */
		/*
		 * Start the next page in its slot while this one is processed,
		 * as curl fetching the same pages asks for the next the moment
		 * an answer is in; not past a page that ends the fetch.
		 */
		if (!page_ends(&pg, &st) && (pr = fill_window(f, cfg, &wn,
		    err, errlen)) != DH_PROV_OK) {
			dh_fluent_page_release(&pg);
			rc = prov_rc(pr);
			goto out;
		}
		rc = process_page(db, res, &st, wn.done - 1, &pg, NULL, err,
		    errlen);
		dh_fluent_page_release(&pg);
		if (rc != DH_SYNC_OK)
			goto out;
	}
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = DH_SYNC_DB;
out:
	/* Every page handed over is written before the run goes on. */
	if ((dbrc = saver_join(&sv)) != DH_DB_OK && rc == DH_SYNC_OK) {
		snprintf(err, errlen, "%s", w->err);
		rc = db_rc(dbrc);
	}
	/* A page stopped for want of stored tickets says why they failed. */
	if ((dbrc = loader_join(&ld, NULL, lerr, sizeof(lerr))) != DH_DB_OK &&
	    st.unread) {
		snprintf(err, errlen, "%s", lerr);
		rc = db_rc(dbrc);
	}
	for (; hd.used < hd.n; hd.used++)
		held_release(&hd.p[hd.used % HOLD_PAGES]);
	free(hd.p);
	/* Pages fetched ahead of the end are dropped. */
	dh_fluent_cancel(f);
	known_free(&st.known);
	known_free(&st.fresh);
	return rc;
}

enum dh_sync_rc
dh_fluent_sync(struct dh_db *db, const struct dh_config *cfg,
    const char *filter, struct dh_sync_result *res, char *err, size_t errlen)
{
	struct dh_fluent	 f;
	struct dh_db		 w;
	struct dh_val		 run[1];
	enum dh_sync_rc		 rc;
	int			 dbrc, have_f = 0;

	memset(res, 0, sizeof(*res));
	memset(&w, 0, sizeof(w));
	dh_strlcpy(res->date_filter, filter, sizeof(res->date_filter));
	res->started_ms = dh_now_ms();
	err[0] = '\0';
	if ((rc = begin_run(db, cfg, filter, res)) != DH_SYNC_OK) {
		if (rc == DH_SYNC_BUSY)
			snprintf(err, errlen, "a FluentSupport sync is already "
			    "running (run %lld)", res->busy_run);
		else
			snprintf(err, errlen, "%s", db->err);
		return rc;
	}
	dh_info("run %lld: started, date filter %s", res->run_id, filter);
	/* Staging rows are never committed now; a run of an older version
	 * may have left some. */
	run[0] = DH_VINT(res->run_id);
	if ((dbrc = dh_db_stmt(db, &q[Q_CLEAN_STAGING], run, 1, NULL,
	    NULL)) != DH_DB_OK) {
		snprintf(err, errlen, "%s", db->err);
		rc = db_rc(dbrc);
		goto fail;
	}
	if ((dbrc = open_writer(&w, cfg)) != DH_DB_OK) {
		snprintf(err, errlen, "%s", w.err[0] ? w.err : "out of memory");
		rc = db_rc(dbrc);
		goto fail;
	}
	if (dh_fluent_init(&f, cfg, err, errlen) == -1) {
		rc = DH_SYNC_CONFIG;
		goto fail;
	}
	have_f = 1;
	if ((rc = fetch(db, &w, cfg, &f, filter, res, err,
	    errlen)) != DH_SYNC_OK)
		goto fail;
	dh_fluent_free(&f);
	have_f = 0;
	if ((dbrc = finish(&w, res)) != DH_DB_OK) {
		snprintf(err, errlen, "saving the tickets failed: %s", w.err);
		rc = db_rc(dbrc);
		goto fail;
	}
	dh_db_close(&w);
	dh_info("run %lld: success, %lld fetched, %lld added, %lld updated, "
	    "%lld skipped, %lld pages, %lld ms", res->run_id, res->fetched,
	    res->added, res->updated, res->skipped, res->pages,
	    res->duration_ms);
	return DH_SYNC_OK;
fail:
	if (have_f)
		dh_fluent_free(&f);
	/* Nothing the run wrote is kept. */
	close_writer(&w);
	res->duration_ms = dh_now_ms() - res->started_ms;
	dh_warn("run %lld: failed: %s", res->run_id, err);
	fail_run(db, res, err);
	return rc;
}
