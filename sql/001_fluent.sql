-- Deskhub foundation: the unified requests table, FluentSupport tickets and
-- the record of every sync run.  Table and column names follow the systems
-- Deskhub replaces (seeds 000 and 001) so existing SQL keeps working.

CREATE TABLE requests (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	date		DATE NOT NULL,
	time		TIME NOT NULL,
	month_year	CHAR(7) AS (CONCAT(YEAR(date), '-', LPAD(MONTH(date), 2, '0'))) PERSISTENT,
	request_type	VARCHAR(32) NOT NULL DEFAULT 'General Request',
	category	VARCHAR(32) NOT NULL DEFAULT 'Support',
	description	TEXT NOT NULL,
	urgency		ENUM('LOW','MEDIUM','HIGH') NOT NULL DEFAULT 'MEDIUM',
	effort		VARCHAR(16) NOT NULL DEFAULT 'Medium',
	status		VARCHAR(16) NOT NULL DEFAULT 'active',
	source		VARCHAR(16) NOT NULL DEFAULT 'sms',
	website_url	VARCHAR(255) NULL,
	hours		DECIMAL(6,2) NULL,
	category_edited	TINYINT(1) NOT NULL DEFAULT 0,
	source_key	VARCHAR(64) NULL,
	created_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
			ON UPDATE CURRENT_TIMESTAMP,
	UNIQUE KEY uq_requests_source_key (source_key),
	KEY idx_requests_date (date, time, id),
	KEY idx_requests_source (source, date, time, id),
	KEY idx_requests_urgency (urgency),
	KEY idx_requests_category (category)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE fluent_tickets (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	fluent_id	BIGINT UNSIGNED NOT NULL,
	request_id	BIGINT UNSIGNED NOT NULL,
	title		VARCHAR(255) NOT NULL DEFAULT '',
	ticket_status	VARCHAR(32) NOT NULL,
	priority	VARCHAR(32) NOT NULL DEFAULT '',
	product_name	VARCHAR(255) NULL,
	customer_name	VARCHAR(190) NULL,
	customer_email	VARCHAR(190) NULL,
	agent_id	BIGINT UNSIGNED NULL,
	agent_name	VARCHAR(190) NULL,
	closed_by	BIGINT UNSIGNED NULL,
	resolved_at	DATETIME NULL,
	created_at_fluent DATETIME NOT NULL,
	updated_at_fluent DATETIME NULL,
	raw_data	LONGTEXT NOT NULL,
	content_hash	CHAR(64) NOT NULL,
	last_synced_run	BIGINT UNSIGNED NULL,
	created_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
			ON UPDATE CURRENT_TIMESTAMP,
	UNIQUE KEY uq_fluent_tickets_fluent_id (fluent_id),
	KEY idx_fluent_tickets_request (request_id),
	KEY idx_fluent_tickets_status (ticket_status),
	CONSTRAINT fk_fluent_tickets_request FOREIGN KEY (request_id)
	    REFERENCES requests (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE fluent_sync_status (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	last_sync_at	DATETIME(3) NOT NULL,
	started_at	DATETIME(3) NOT NULL,
	finished_at	DATETIME(3) NULL,
	last_sync_status ENUM('in_progress','success','failed') NOT NULL,
	tickets_fetched	INT UNSIGNED NOT NULL DEFAULT 0,
	tickets_added	INT UNSIGNED NOT NULL DEFAULT 0,
	tickets_updated	INT UNSIGNED NOT NULL DEFAULT 0,
	tickets_skipped	INT UNSIGNED NOT NULL DEFAULT 0,
	sync_duration_ms INT UNSIGNED NULL,
	date_filter	DATE NULL,
	error_message	TEXT NULL,
	pages_fetched	INT UNSIGNED NOT NULL DEFAULT 0,
	tickets_total	INT UNSIGNED NULL,
	host		VARCHAR(255) NOT NULL DEFAULT '',
	pid		INT UNSIGNED NOT NULL DEFAULT 0,
	KEY idx_fluent_sync_status_state (last_sync_status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Tickets of a running sync, written page by page outside any transaction
-- and merged into the tables above in one transaction at the end.
CREATE TABLE fluent_sync_staging (
	run_id		BIGINT UNSIGNED NOT NULL,
	fluent_id	BIGINT UNSIGNED NOT NULL,
	source_key	VARCHAR(64) NOT NULL,
	date		DATE NOT NULL,
	time		TIME NOT NULL,
	description	TEXT NOT NULL,
	urgency		ENUM('LOW','MEDIUM','HIGH') NOT NULL,
	category	VARCHAR(32) NOT NULL,
	website_url	VARCHAR(255) NULL,
	title		VARCHAR(255) NOT NULL,
	ticket_status	VARCHAR(32) NOT NULL,
	priority	VARCHAR(32) NOT NULL,
	customer_name	VARCHAR(190) NULL,
	customer_email	VARCHAR(190) NULL,
	agent_id	BIGINT UNSIGNED NULL,
	agent_name	VARCHAR(190) NULL,
	closed_by	BIGINT UNSIGNED NULL,
	resolved_at	DATETIME NULL,
	created_at_fluent DATETIME NOT NULL,
	updated_at_fluent DATETIME NULL,
	raw_data	LONGTEXT NOT NULL,
	content_hash	CHAR(64) NOT NULL,
	PRIMARY KEY (run_id, fluent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- "One sync at a time" across every app host: a lease row per sync kind.
-- holder_conn is the MariaDB connection id of the running sync; when that
-- connection is gone (the process died) the lease is free at once, and a
-- lease held through another server of a cluster expires by heartbeat.
CREATE TABLE sync_locks (
	name		VARCHAR(64) NOT NULL PRIMARY KEY,
	run_id		BIGINT UNSIGNED NULL,
	holder_conn	BIGINT UNSIGNED NULL,
	holder_server	VARCHAR(255) NULL,
	heartbeat_at	DATETIME(3) NULL
) ENGINE=InnoDB;

INSERT INTO sync_locks (name) VALUES ('fluent'), ('fresh');
