DROP TABLE draws;
DROP FUNCTION draws_never_change();
DROP TABLE service_records;
DROP TABLE matters;
