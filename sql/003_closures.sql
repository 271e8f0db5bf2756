-- Ticket closures per agent per day (seed 004): the counts synced from
-- Freshservice, the mapping of Freshservice agents to local users and the
-- per-date sync bookkeeping that enforces the hourly limit.  Table and
-- column names are the seed's.  user_id refers to users.id but carries no
-- foreign key: the users table belongs to another migration.

CREATE TABLE ticket_closure (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id		BIGINT UNSIGNED NULL,
	freshworks_user_id BIGINT UNSIGNED NOT NULL,
	agent_name	VARCHAR(190) NOT NULL DEFAULT '',
	source		ENUM('freshservice','fluent') NOT NULL DEFAULT 'freshservice',
	date		DATE NOT NULL,
	tickets_closed	INT UNSIGNED NOT NULL DEFAULT 0,
	created_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
			ON UPDATE CURRENT_TIMESTAMP,
	UNIQUE KEY uq_ticket_closure (freshworks_user_id, source, date),
	KEY idx_ticket_closure_date (date, source)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE freshworks_user_mapping (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_id		BIGINT UNSIGNED NULL,
	freshworks_user_id BIGINT UNSIGNED NOT NULL,
	freshworks_username VARCHAR(190) NOT NULL,
	created_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
			ON UPDATE CURRENT_TIMESTAMP,
	UNIQUE KEY uq_freshworks_user_mapping (freshworks_user_id),
	KEY idx_freshworks_user_mapping_user (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per synced date.  last_sync_time (UTC) drives the hourly limit,
-- so the limit survives restarts; tickets_processed is what the last
-- successful sync of that date read (a re-sync replaces, never adds).
CREATE TABLE ticket_sync_metadata (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	sync_date	DATE NOT NULL,
	last_sync_time	DATETIME NOT NULL,
	sync_count	INT UNSIGNED NOT NULL DEFAULT 0,
	tickets_processed INT UNSIGNED NOT NULL DEFAULT 0,
	created_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at	TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
			ON UPDATE CURRENT_TIMESTAMP,
	UNIQUE KEY uq_ticket_sync_metadata_date (sync_date),
	KEY idx_ticket_sync_metadata_time (last_sync_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Every closure sync run, failed ones included, with the reason: the
-- admin statistics list the last ten.  The 'fresh' row of sync_locks
-- holds the id of the running one.
CREATE TABLE ticket_sync_runs (
	id		BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	sync_date	DATE NOT NULL,
	started_at	DATETIME(3) NOT NULL,
	finished_at	DATETIME(3) NULL,
	status		ENUM('in_progress','success','failed') NOT NULL,
	forced		TINYINT(1) NOT NULL DEFAULT 0,
	tickets_processed INT UNSIGNED NOT NULL DEFAULT 0,
	closures	INT UNSIGNED NOT NULL DEFAULT 0,
	agents		INT UNSIGNED NOT NULL DEFAULT 0,
	pages		INT UNSIGNED NOT NULL DEFAULT 0,
	error_message	TEXT NULL,
	host		VARCHAR(255) NOT NULL DEFAULT '',
	pid		INT UNSIGNED NOT NULL DEFAULT 0,
	KEY idx_ticket_sync_runs_date (sync_date),
	KEY idx_ticket_sync_runs_status (status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
