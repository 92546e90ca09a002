DROP TABLE hotline_spikes;
DROP TABLE concentration_lists;
DROP TABLE work_orders;
DROP TABLE unit_aliases;
