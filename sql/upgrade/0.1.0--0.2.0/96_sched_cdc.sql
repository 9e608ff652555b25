-- Change validation: the expectation's kind, severity and mostly beside
-- each violation (recorded when the violation is; older violations take
-- the values their expectation has now, or stay NULL when it is gone).
ALTER TABLE dq.violations ADD COLUMN kind text;
ALTER TABLE dq.violations ADD COLUMN severity text;
ALTER TABLE dq.violations ADD COLUMN mostly float8;
UPDATE dq.violations v SET kind = e.kind, severity = e.severity, mostly = e.mostly
  FROM dq.expectations e WHERE e.expectation_id = v.expectation_id;
COMMENT ON COLUMN dq.violations.kind IS 'Kind of the expectation that failed (dq.expectation_kinds), as it was when the violation was recorded';
COMMENT ON COLUMN dq.violations.severity IS 'Severity of the expectation (error or warn) when the violation was recorded: filter on it to see the violations that matter first';
COMMENT ON COLUMN dq.violations.mostly IS 'The expectation''s mostly when the violation was recorded (NULL means 1): change validation checks each row on its own, so a row that fails an expectation with mostly below 1 is recorded too; whether the fraction holds is decided by dq.validate over the whole table';
