ALTER TABLE bulletins DROP COLUMN compliance;
DROP TABLE compliance_scores;
DROP TABLE compliance_findings;
DROP TABLE compliance_checks;
DROP FUNCTION compliance_never_change();
