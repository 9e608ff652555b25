-- scripts/demo-data.sql: the demo data set that scripts/demo.sh profiles.
--
-- Two tables that look like a small shop's, with the kind of defects a
-- profile should bring to light: NULLs, negative amounts, malformed e-mail
-- addresses, orders of customers that do not exist, inconsistent flags.
--
-- Deterministic: setseed() fixes the session's random() sequence, and none
-- of this runs in parallel (random() is parallel restricted), so every run
-- produces the same rows.  A second run reloads the rows of the existing
-- tables (TRUNCATE, then INSERT), so views, expectations, watches, monitors
-- and schedules that a user made on them survive it and keep pointing at
-- the same relations.

SET client_min_messages = warning;

BEGIN;

CREATE SCHEMA IF NOT EXISTS demo;

-- In a DO block so that psql prints nothing for it.
DO $$ BEGIN PERFORM setseed(0.4242); END $$;

CREATE TABLE IF NOT EXISTS demo.customers (
	customer_id integer PRIMARY KEY,
	full_name	text NOT NULL,
	email		text,				-- some missing, some malformed
	country		char(2) NOT NULL,	-- ISO 3166 code
	tier		text NOT NULL,		-- bronze, silver, gold, platinum
	signup_date date NOT NULL,
	is_active	boolean NOT NULL
);

-- The random() calls sit in a subquery: a subquery with volatile output
-- is not flattened, so each value is drawn once per row and can be used
-- several times above it.
TRUNCATE demo.customers;
INSERT INTO demo.customers
SELECT g,
	   first_name || ' ' || last_name,
	   CASE
		   WHEN r_mail < 0.020 THEN NULL
		   WHEN r_mail < 0.030 THEN lower(first_name || '.' || last_name) || g || 'example.com'
		   WHEN r_mail < 0.035 THEN lower(first_name) || '@'
		   WHEN r_mail < 0.040 THEN lower(first_name || '.' || last_name) || g || '@example'
		   ELSE lower(first_name || '.' || last_name) || g || '@example.com'
	   END,
	   country,
	   CASE
		   WHEN r_tier < 0.60 THEN 'bronze'
		   WHEN r_tier < 0.85 THEN 'silver'
		   WHEN r_tier < 0.97 THEN 'gold'
		   ELSE 'platinum'
	   END,
	   date '2019-01-01' + r_days,
	   r_active < 0.87
  FROM (SELECT g,
			   (ARRAY['Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta',
					  'Hugo', 'Ida', 'Jonas', 'Klara', 'Leon', 'Mia', 'Noah',
					  'Olivia', 'Paul', 'Rosa', 'Sam', 'Tara', 'Umar']
			   )[1 + floor(random() * 20)::int] AS first_name,
			   (ARRAY['Meyer', 'Schmidt', 'Dubois', 'Martin', 'Smith', 'Jones',
					  'Rossi', 'Garcia', 'Novak', 'Jansen', 'Nilsson', 'Kowalski',
					  'Brown', 'Lopez', 'Weber', 'Moreau']
			   )[1 + floor(random() * 16)::int] AS last_name,
			   random() AS r_mail,
			   (ARRAY['DE', 'DE', 'DE', 'FR', 'FR', 'GB', 'GB', 'US', 'US', 'US',
					  'NL', 'ES', 'IT', 'PL', 'SE']
			   )[1 + floor(random() * 15)::int] AS country,
			   random() AS r_tier,
			   floor(random() * 1800)::int AS r_days,
			   random() AS r_active
		  FROM generate_series(1, 2000) AS g) AS s;

CREATE TABLE IF NOT EXISTS demo.orders (
	order_id	bigint PRIMARY KEY,
	customer_id integer NOT NULL,	-- no foreign key: a few are orphans
	amount		numeric(10,2),		-- a few NULL, a few negative
	currency	char(3) NOT NULL,
	status		text NOT NULL,		-- low cardinality
	email		text,				-- contact address, some malformed
	country		char(2),			-- a few NULL, a few lower case
	created_at	timestamptz NOT NULL,
	shipped		boolean NOT NULL,	-- mostly agrees with status
	discount_code text				-- mostly NULL
);

TRUNCATE demo.orders;
INSERT INTO demo.orders
SELECT g,
	   customer_id,
	   CASE
		   WHEN r_amount < 0.004 THEN NULL
		   WHEN r_amount < 0.007 THEN -round((1 + r_value * 200)::numeric, 2)
		   WHEN r_amount < 0.030 THEN round((250 + r_value * 2500)::numeric, 2)
		   ELSE round(exp(1.5 + r_value * 4)::numeric, 2)
	   END,
	   CASE upper(country) WHEN 'GB' THEN 'GBP' WHEN 'US' THEN 'USD' ELSE 'EUR' END,
	   status,
	   CASE
		   WHEN r_mail < 0.030 THEN NULL
		   WHEN r_mail < 0.035 THEN 'user' || customer_id || 'example.com'
		   WHEN r_mail < 0.038 THEN 'user' || customer_id || '@@example.com'
		   WHEN r_mail < 0.040 THEN 'user' || customer_id || '@example'
		   ELSE 'user' || customer_id || '@example.com'
	   END,
	   country,
	   created_at,
	   -- Shipped and delivered orders are shipped; a handful disagree.
	   (status IN ('shipped', 'delivered')) <> (r_flip < 0.002),
	   CASE
		   WHEN r_code < 0.85 THEN NULL
		   ELSE (ARRAY['WELCOME10', 'SPRING24', 'VIP', 'FREESHIP'])[1 + floor((r_code - 0.85) / 0.0375)::int]
	   END
  FROM (SELECT g,
			   -- About 0.1% of orders point at customers that do not exist;
			   -- the rest favour low customer ids (regular customers).
			   CASE
				   WHEN random() < 0.001 THEN 2001 + floor(random() * 50)::int
				   ELSE 1 + floor(power(random(), 2) * 2000)::int
			   END AS customer_id,
			   random() AS r_amount,
			   random() AS r_value,
			   CASE
				   WHEN r_status < 0.55 THEN 'delivered'
				   WHEN r_status < 0.70 THEN 'shipped'
				   WHEN r_status < 0.82 THEN 'paid'
				   WHEN r_status < 0.90 THEN 'pending'
				   WHEN r_status < 0.97 THEN 'cancelled'
				   ELSE 'refunded'
			   END AS status,
			   random() AS r_mail,
			   CASE
				   WHEN r_country < 0.010 THEN NULL
				   WHEN r_country < 0.012 THEN 'de'
				   ELSE (ARRAY['DE', 'DE', 'DE', 'FR', 'FR', 'GB', 'GB', 'US', 'US',
							   'US', 'NL', 'ES', 'IT', 'PL', 'SE']
						)[1 + floor((r_country - 0.012) / 0.988 * 15)::int]
			   END AS country,
			   date_trunc('second', timestamptz '2024-01-01 00:00:00+00'
						  + random() * interval '366 days') AS created_at,
			   random() AS r_flip,
			   random() AS r_code
		  FROM (SELECT g, random() AS r_status, random() AS r_country
				  FROM generate_series(1, 50000) AS g) AS g0) AS s;

ANALYZE demo.customers, demo.orders;

COMMIT;

SELECT 'demo.customers' AS demo_table, count(*) AS rows FROM demo.customers
UNION ALL
SELECT 'demo.orders', count(*) FROM demo.orders;
