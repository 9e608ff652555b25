
-- Sensitive-value counts of the profile scan (sql/install/20_profile.sql).
ALTER TABLE dq.column_profiles ADD COLUMN sensitive jsonb;
COMMENT ON COLUMN dq.column_profiles.sensitive IS 'Counts of values that the sensitive-value detectors accept (email, phone, payment_card, iban, ipv4, ipv6, us_ssn, name_like, ...) and of free-text values that contain one (in_text); counts only, never values (text-like types, dq_lineage.detect_sensitive)';
