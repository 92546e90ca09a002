-- One action's records of the last hour: the ledger export quotas, per account and per client
-- address (FRONTLINE_EXPORT_RATE_PER_HOUR, FRONTLINE_EXPORT_RATE_PER_ADDRESS_PER_HOUR), read
-- without scanning every record written in that hour.
CREATE INDEX audit_log_action_at_idx ON audit_log (action, at);
