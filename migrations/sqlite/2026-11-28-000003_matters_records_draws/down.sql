DROP TABLE draws;
DROP TABLE service_records;
DROP TABLE matters;
