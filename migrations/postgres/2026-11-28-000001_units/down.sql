DROP TABLE unit_categories;
DROP TABLE units;
