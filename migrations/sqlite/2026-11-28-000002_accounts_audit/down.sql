DROP TABLE audit_log;
DROP TABLE login_attempts;
DROP TABLE refresh_tokens;
DROP TABLE users;
