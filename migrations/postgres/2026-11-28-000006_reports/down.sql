DROP TABLE bulletins;
DROP TABLE calendar_days;
DROP TABLE reports;
