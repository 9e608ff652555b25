-- Expectation suggestions (0.1.0 -> 0.2.0): dq.profile_suggestions and
-- dq.suggest_expectations replaced by their 0.2.0 versions.

-- @include ../../install/30_expect.sql suggestions or-replace
