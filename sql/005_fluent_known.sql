-- What a sync reads of every stored ticket before it fetches anything:
-- id, content hash and creation time.  With this index that is a scan of
-- a few MB of index instead of every row with its raw JSON (256 MB at
-- 100,000 tickets, more than the buffer pool of a small server).
CREATE INDEX idx_fluent_tickets_known
	ON fluent_tickets (fluent_id, content_hash, created_at_fluent);
