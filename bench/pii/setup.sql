-- bench/pii/setup.sql (schema pii): a labeled data set for the sensitive-data detectors.
--
-- Tables of customers, contacts and events with columns of every kind that
-- dq_lineage classifies, named in several languages or not named at all,
-- next to look-alikes that must not be flagged: order numbers that pass
-- the Luhn check by chance at the expected rate, ISBNs, version strings
-- that look like IPv4 addresses, nine-digit identifiers, product codes,
-- city names, creation dates, free text with and without personal data,
-- and mixed columns.  pii.truth holds the expected tag of every column
-- (NULL: not sensitive).  Deterministic: setseed() fixes random().

SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS pii;
DROP TABLE IF EXISTS pii.truth;
CREATE TABLE pii.truth (table_name name, column_name name, tag name);

SELECT setseed(0.1717);

-- n random digits
CREATE OR REPLACE FUNCTION pii.digits(n int) RETURNS text LANGUAGE sql AS $$
	SELECT string_agg(floor(random() * 10)::int::text, '') FROM generate_series(1, n)
$$;

-- digits followed by their Luhn check digit
CREATE OR REPLACE FUNCTION pii.luhn(body text) RETURNS text LANGUAGE sql AS $$
	SELECT body || ((10 - sum(d) % 10) % 10)::text
	  FROM (SELECT CASE WHEN i % 2 = 1
						THEN (CASE WHEN substr(body, length(body) - i + 1, 1)::int * 2 > 9
								   THEN substr(body, length(body) - i + 1, 1)::int * 2 - 9
								   ELSE substr(body, length(body) - i + 1, 1)::int * 2 END)
						ELSE substr(body, length(body) - i + 1, 1)::int END AS d
			  FROM generate_series(1, length(body)) i) s
$$;

-- an IBAN of a country from its BBAN: check digits by mod-97
CREATE OR REPLACE FUNCTION pii.iban(cc text, bban text) RETURNS text LANGUAGE sql AS $$
	SELECT cc || lpad((98 - (num::numeric % 97))::int::text, 2, '0') || bban
	  FROM (SELECT string_agg(CASE WHEN ch ~ '[A-Z]' THEN (ascii(ch) - 55)::text ELSE ch END,
							  '' ORDER BY i) AS num
			  FROM (SELECT i, substr(bban || cc || '00', i, 1) AS ch
					  FROM generate_series(1, length(bban || cc || '00')) i) c) s
$$;

CREATE OR REPLACE FUNCTION pii.pick(a text[]) RETURNS text LANGUAGE sql AS $$
	SELECT a[1 + floor(random() * array_length(a, 1))::int]
$$;

-- A card number of a random network, written as people write them.
CREATE OR REPLACE FUNCTION pii.card() RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN r < 0.25 THEN regexp_replace(pii.luhn('4' || pii.digits(14)), '(\d{4})(?=\d)', '\1 ', 'g')
				WHEN r < 0.5 THEN pii.luhn('5' || (1 + floor(random() * 5))::int || pii.digits(13))
				WHEN r < 0.7 THEN pii.luhn('37' || pii.digits(12))
				WHEN r < 0.85 THEN regexp_replace(pii.luhn('6011' || pii.digits(11)), '(\d{4})(?=\d)', '\1-', 'g')
				ELSE pii.luhn('35' || (28 + floor(random() * 60))::int || pii.digits(11)) END
	  FROM (SELECT random() AS r) s
$$;

CREATE OR REPLACE FUNCTION pii.phone() RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN r < 0.3 THEN '+49 ' || (30 + floor(random() * 60))::int || ' ' || pii.digits(7)
				WHEN r < 0.5 THEN '+1 (' || (200 + floor(random() * 700))::int || ') ' ||
								  (200 + floor(random() * 700))::int || '-' || pii.digits(4)
				WHEN r < 0.7 THEN '+44 20 ' || pii.digits(4) || ' ' || pii.digits(4)
				WHEN r < 0.85 THEN '0' || (150 + floor(random() * 30))::int || ' ' || pii.digits(7)
				ELSE '+33 6 ' || pii.digits(2) || ' ' || pii.digits(2) || ' ' ||
					 pii.digits(2) || ' ' || pii.digits(2) END
	  FROM (SELECT random() AS r) s
$$;

CREATE OR REPLACE FUNCTION pii.email() RETURNS text LANGUAGE sql AS $$
	SELECT lower(pii.pick('{anna,ben,clara,david,emma,felix,ines,jon,kim,lea}')) ||
		   pii.pick('{.,_,"",-}') || pii.digits(3) || '@' ||
		   pii.pick('{example.com,mail.example.org,post.example.de,correo.example.es}')
$$;

CREATE OR REPLACE FUNCTION pii.ssn() RETURNS text LANGUAGE sql AS $$
	SELECT lpad((1 + floor(random() * 664))::int::text, 3, '0') || '-' ||
		   lpad((1 + floor(random() * 98))::int::text, 2, '0') || '-' ||
		   lpad((1 + floor(random() * 9998))::int::text, 4, '0')
$$;

CREATE OR REPLACE FUNCTION pii.ibanv() RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN r < 0.4 THEN pii.iban('DE', pii.digits(18))
				WHEN r < 0.7 THEN pii.iban('FR', pii.digits(10) || 'A' || pii.digits(12))
				ELSE regexp_replace(pii.iban('GB', 'WEST' || pii.digits(14)), '(.{4})(?=.)', '\1 ', 'g') END
	  FROM (SELECT random() AS r) s
$$;

CREATE OR REPLACE FUNCTION pii.ipv4() RETURNS text LANGUAGE sql AS $$
	SELECT (1 + floor(random() * 223))::int || '.' || floor(random() * 256)::int || '.' ||
		   floor(random() * 256)::int || '.' || (1 + floor(random() * 254))::int
$$;

CREATE OR REPLACE FUNCTION pii.ipv6() RETURNS text LANGUAGE sql AS $$
	SELECT '2001:db8:' || to_hex(floor(random() * 65536)::int) || '::' ||
		   to_hex(floor(random() * 65536)::int) || ':' || to_hex(1 + floor(random() * 65535)::int)
$$;

CREATE OR REPLACE FUNCTION pii.person() RETURNS text LANGUAGE sql AS $$
	SELECT pii.pick('{Anna,Ben,Clara,David,Émile,Felix,Greta,Hugo,Inès,Jonas,María,Noah}') || ' ' ||
		   pii.pick('{Meyer,Schmidt,Dubois,Martin,Smith,García,Rossi,Novak,Jansen,Müller}')
$$;

CREATE OR REPLACE FUNCTION pii.first() RETURNS text LANGUAGE sql AS $$
	SELECT pii.pick('{Anna,Ben,Clara,David,Émile,Felix,Greta,Hugo,Inès,Jonas,María,Noah}')
$$;

-- English names, plain columns
DROP TABLE IF EXISTS pii.customers_en, pii.kunden_de, pii.clientes_es, pii.clients_fr,
	pii.unnamed, pii.lookalikes, pii.texts;
CREATE TABLE pii.customers_en AS
SELECT g AS id, pii.person() AS full_name, pii.email() AS email,
	   pii.phone() AS phone_number, pii.card() AS credit_card_number,
	   pii.ssn() AS ssn, pii.ipv4() AS ip_address,
	   date '1940-01-01' + floor(random() * 23000)::int AS date_of_birth,
	   date '2023-01-01' + floor(random() * 600)::int AS created_at,
	   pii.pick('{Berlin,Paris,Madrid,London,New York,Rome}') AS city,
	   pii.pick('{Active,Pending,Closed}') AS status
  FROM generate_series(1, 20000) g;
INSERT INTO pii.truth VALUES
	('customers_en', 'id', NULL), ('customers_en', 'full_name', 'person_name'),
	('customers_en', 'email', 'email'), ('customers_en', 'phone_number', 'phone'),
	('customers_en', 'credit_card_number', 'payment_card'), ('customers_en', 'ssn', 'us_ssn'),
	('customers_en', 'ip_address', 'ip_address'), ('customers_en', 'date_of_birth', 'date_of_birth'),
	('customers_en', 'created_at', NULL), ('customers_en', 'city', NULL),
	('customers_en', 'status', NULL);

-- German names
CREATE TABLE pii.kunden_de AS
SELECT g AS kundennummer, pii.first() AS vorname,
	   pii.pick('{Meyer,Schmidt,Müller,Weber,Wagner,Becker}') AS nachname,
	   pii.email() AS e_mail_adresse, pii.phone() AS telefonnummer,
	   pii.ibanv() AS iban, date '1950-01-01' + floor(random() * 20000)::int AS geburtsdatum,
	   pii.pick('{Berlin,Hamburg,München,Köln}') AS stadt
  FROM generate_series(1, 20000) g;
INSERT INTO pii.truth VALUES
	('kunden_de', 'kundennummer', NULL), ('kunden_de', 'vorname', 'person_name'),
	('kunden_de', 'nachname', 'person_name'), ('kunden_de', 'e_mail_adresse', 'email'),
	('kunden_de', 'telefonnummer', 'phone'), ('kunden_de', 'iban', 'iban'),
	('kunden_de', 'geburtsdatum', 'date_of_birth'), ('kunden_de', 'stadt', NULL);

-- Spanish names, camelCase
CREATE TABLE pii.clientes_es AS
SELECT g AS "idCliente", pii.first() AS nombre, pii.email() AS "correoElectronico",
	   pii.phone() AS telefono, pii.card() AS "numeroTarjeta",
	   date '1950-01-01' + floor(random() * 20000)::int AS "fechaNacimiento"
  FROM generate_series(1, 20000) g;
INSERT INTO pii.truth VALUES
	('clientes_es', 'idCliente', NULL), ('clientes_es', 'nombre', 'person_name'),
	('clientes_es', 'correoElectronico', 'email'), ('clientes_es', 'telefono', 'phone'),
	('clientes_es', 'numeroTarjeta', 'payment_card'), ('clientes_es', 'fechaNacimiento', 'date_of_birth');

-- French names
CREATE TABLE pii.clients_fr AS
SELECT g AS numero_client, pii.first() AS prenom, pii.email() AS courriel,
	   pii.phone() AS portable, pii.ibanv() AS rib,
	   pii.ipv6() AS adresse_ip
  FROM generate_series(1, 20000) g;
INSERT INTO pii.truth VALUES
	('clients_fr', 'numero_client', NULL), ('clients_fr', 'prenom', 'person_name'),
	('clients_fr', 'courriel', 'email'), ('clients_fr', 'portable', 'phone'),
	('clients_fr', 'rib', 'iban'), ('clients_fr', 'adresse_ip', 'ip_address');

-- Columns whose names say nothing: only the values tell
CREATE TABLE pii.unnamed AS
SELECT g AS id, pii.email() AS c1, pii.phone() AS c2, pii.card() AS c3,
	   pii.ibanv() AS c4, pii.ipv4() AS c5, pii.ipv6() AS c6, pii.ssn() AS c7,
	   pii.person() AS c8,
	   CASE WHEN random() < 0.5 THEN pii.email() ELSE pii.phone() END AS c9
  FROM generate_series(1, 20000) g;
INSERT INTO pii.truth VALUES
	('unnamed', 'id', NULL), ('unnamed', 'c1', 'email'), ('unnamed', 'c2', 'phone'),
	('unnamed', 'c3', 'payment_card'), ('unnamed', 'c4', 'iban'), ('unnamed', 'c5', 'ip_address'),
	('unnamed', 'c6', 'ip_address'), ('unnamed', 'c7', 'us_ssn'),
	('unnamed', 'c8', NULL),			-- names without a name: undecidable, not flagged
	('unnamed', 'c9', 'email'), ('unnamed', 'c9', 'phone');

-- Look-alikes that must not be flagged, some with misleading names
CREATE TABLE pii.lookalikes AS
SELECT g AS id,
	   '4' || pii.digits(15) AS order_number,				-- Luhn by chance: 1 in 10
	   '978-' || pii.digits(1) || '-' || pii.digits(2) || '-' ||
		 pii.digits(6) || '-' || pii.digits(1) AS isbn,
	   pii.digits(1) || '-' || pii.digits(2) || '-' || pii.digits(6) || '-' ||
		 pii.digits(1) AS isbn10,
	   floor(random() * 5)::int || '.' || floor(random() * 20)::int || '.' ||
		 floor(random() * 10)::int || '.' || floor(random() * 30)::int AS app_version,
	   pii.digits(9) AS customer_no,
	   'SKU-' || pii.digits(6) AS product_code,
	   pii.digits(4) || '-' || pii.digits(2) || '-' || pii.digits(2) AS batch_date,
	   to_char(floor(random() * 1e7)::int, 'FM9 999 999') AS amount_text,
	   pii.pick('{Berlin,Paris,Madrid,London,New York,Rome}') AS city,
	   pii.pick('{Gold,Silver,Bronze}') AS tier,
	   'user' || g || '@' AS username,
	   md5(g::text) AS session_token,
	   'unknown' AS email,									-- named email, holds none
	   pii.digits(12) AS phone_ext_id
  FROM generate_series(1, 20000) g;
INSERT INTO pii.truth
SELECT 'lookalikes', a.attname, NULL FROM pg_attribute a
 WHERE a.attrelid = 'pii.lookalikes'::regclass AND a.attnum > 0;

-- Free text: comments with and without personal data
CREATE TABLE pii.texts AS
SELECT g AS id,
	   CASE WHEN random() < 0.15
			THEN pii.pick('{"Please call me back on ","Customer wrote from ","Refund card ","Wire to "}') ||
				 CASE floor(random() * 4)::int WHEN 0 THEN pii.phone() WHEN 1 THEN pii.email()
						WHEN 2 THEN pii.card() ELSE pii.ibanv() END || ' today.'
			ELSE pii.pick('{"Delivered on time","Box was damaged, replaced 2 items","Left at the door","Customer happy with order 12345"}')
	   END AS support_notes,
	   pii.pick('{"Delivered on time","Box was damaged, replaced 2 items","Left at the door","Order 12345 shipped in 3 boxes on 2024-05-01"}') AS delivery_notes
  FROM generate_series(1, 20000) g;
INSERT INTO pii.truth VALUES
	('texts', 'id', NULL), ('texts', 'support_notes', 'free_text_pii'), ('texts', 'delivery_notes', NULL);

ANALYZE;
