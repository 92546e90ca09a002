DROP TABLE import_refs;
DROP TABLE import_batches;
