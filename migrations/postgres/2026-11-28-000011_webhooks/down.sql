DROP TABLE worker_leases;
DROP TABLE event_notices;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
