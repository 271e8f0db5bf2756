-- The FluentSupport side of the closures leaderboard counts closed tickets
-- by closer over a period.  With closed_by in the index that is an index
-- range scan, not a read of each ticket's row (raw JSON included); and the
-- closer's name, the latest ticket assigned to that agent, is found
-- through an index on agent_id instead of a scan from the newest ticket.
CREATE INDEX idx_fluent_tickets_closed
	ON fluent_tickets (ticket_status, resolved_at, closed_by);
DROP INDEX idx_fluent_tickets_resolved ON fluent_tickets;
CREATE INDEX idx_fluent_tickets_agent ON fluent_tickets (agent_id);
