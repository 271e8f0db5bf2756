-- Counts the status endpoint serves, refreshed by every successful
-- FluentSupport sync in its own transaction, so GET /api/fluent/status
-- reads a few rows instead of counting every ticket on every request.
CREATE TABLE fluent_ticket_stats (
	ticket_status	VARCHAR(32) NOT NULL PRIMARY KEY,
	count		INT UNSIGNED NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO fluent_ticket_stats (ticket_status, count)
	SELECT ticket_status, COUNT(*) FROM fluent_tickets GROUP BY ticket_status;

-- FluentSupport closures on the leaderboard: closed tickets by close time.
CREATE INDEX idx_fluent_tickets_resolved ON fluent_tickets (ticket_status, resolved_at);
