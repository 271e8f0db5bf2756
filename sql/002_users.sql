-- Users of Deskhub and the failed-login counters that throttle guessing.
-- Roles as in seed 004: every role but 'user' sees the admin features.

CREATE TABLE users (
	id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
	email VARCHAR(190) NOT NULL UNIQUE,
	name VARCHAR(190) NOT NULL,
	role ENUM('admin','manager','developer','user') NOT NULL DEFAULT 'user',
	password_hash VARCHAR(255) NOT NULL,
	disabled TINYINT(1) NOT NULL DEFAULT 0,
	created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
	    ON UPDATE CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per throttled subject: kind 'account' is the login name as typed
-- (lower-cased, whether or not such a user exists, so that the answer
-- never tells), kind 'address' the client address.  failures counts the
-- attempts of the fixed window that began at window_start (UTC); a
-- successful login deletes the account row and takes its attempt back
-- from the address row.  Shared by every app host.
CREATE TABLE login_attempts (
	kind ENUM('account','address') NOT NULL,
	subject VARCHAR(190) NOT NULL,
	failures INT UNSIGNED NOT NULL DEFAULT 0,
	window_start DATETIME NOT NULL,
	last_attempt DATETIME NOT NULL,
	PRIMARY KEY (kind, subject),
	KEY login_attempts_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
