-- dq.report_html: one self-contained document (well-formed XML, so xpath
-- can query it), sections and charts present, every value escaped.
\set VERBOSITY terse
CREATE FUNCTION pg_temp.q(doc xml, path text) RETURNS text
  LANGUAGE sql AS $$
    SELECT array_to_string(xpath(path, doc, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])::text[], ' | ')
  $$;

-- 1. the page of one table
CREATE TEMP TABLE page AS SELECT xmlparse(DOCUMENT dq.report_html('bi.orders')) AS doc;
SELECT pg_temp.q(doc, '/html/head/title/text()') AS title,
       pg_temp.q(doc, 'count(//details[@class=''table''])') AS table_sections,
       pg_temp.q(doc, '//details[@class=''table'']/section/@class') AS sections,
       pg_temp.q(doc, 'count(//section[@class=''overview''])') AS overview_on_a_page
  FROM page;
-- the profile: a row per column, a histogram for numbers and dates, top
-- values for text and booleans, trends of the two profiles
SELECT pg_temp.q(doc, 'count(//table[contains(@class, ''profile'')]/tbody/tr)') AS columns,
       pg_temp.q(doc, 'count(//s:svg[contains(@class, ''histogram'')])') AS histograms,
       pg_temp.q(doc, 'count(//s:svg[contains(@class, ''histogram'')]/s:rect)') AS histogram_bars,
       pg_temp.q(doc, 'count(//s:svg[contains(@class, ''topvalues'')])') AS top_values,
       pg_temp.q(doc, 'count(//s:svg[contains(@class, ''nulls'')])') AS null_trends,
       pg_temp.q(doc, 'count(//s:svg[contains(@class, ''distinct'')])') AS distinct_trends
  FROM page;
-- expectations with their results in both runs, oldest first
SELECT pg_temp.q(doc, 'count(//table[contains(@class, ''expectations'')]/tbody/tr)') AS expectations,
       pg_temp.q(doc, '//s:svg[contains(@class, ''runs'')]/s:rect/@class') AS results,
       pg_temp.q(doc, 'count(//s:svg[contains(@class, ''passrate'')])') AS pass_rate_chart
  FROM page;
-- the lineage graph, with no link on a page of its own
SELECT pg_temp.q(doc, '//s:svg[@class=''lineage'']/@data-relations') AS relations,
       pg_temp.q(doc, 'count(//s:svg[@class=''lineage'']//s:a)') AS links
  FROM page;
-- one script, allowed by its hash in the Content-Security-Policy, no network
SELECT pg_temp.q(doc, 'count(//script)') AS scripts,
       pg_temp.q(doc, 'count(//*[@src or @href[not(starts-with(., ''#''))]])') AS external_refs,
       position(format('''sha256-%s''', encode(sha256(convert_to(pg_temp.q(doc, '//script/text()'), 'UTF8')), 'base64'))
                IN pg_temp.q(doc, '//meta[@http-equiv=''Content-Security-Policy'']/@content')) > 0 AS csp_hash_matches,
       pg_temp.q(doc, '//meta[@http-equiv=''Content-Security-Policy'']/@content') LIKE 'default-src ''none'';%' AS csp_default_none
  FROM page;

-- 2. markup in names and values is shown as text
CREATE TABLE bi."<script>alert(1)</script>" ("<b>col</b>" text, n int);
INSERT INTO bi."<script>alert(1)</script>"
  VALUES ('<script>window.x = 1</script>', 1), ('"quoted" & ''single''', 2), (E'ctrl\x01char', 3);
SELECT dq.profile('bi."<script>alert(1)</script>"') > 0 AS profiled;
SELECT dq.expect('bi."<script>alert(1)</script>"', 'expect_column_values_to_match_regex', '<b>col</b>',
                 '{"regex": "^<"}', name => '<i>named</i>') > 0 AS expected;
SELECT dq.validate('bi."<script>alert(1)</script>"') > 0 AS validated;
CREATE TEMP TABLE evil AS SELECT dq.report_html('bi."<script>alert(1)</script>"') AS html;
SELECT pg_temp.q(xmlparse(DOCUMENT html), 'count(//script)') AS scripts,
       pg_temp.q(xmlparse(DOCUMENT html), 'count(//b) + count(//i)') AS injected_elements,
       pg_temp.q(xmlparse(DOCUMENT html), '//details/summary/h2/text()') AS heading,
       position('&lt;script&gt;window.x = 1&lt;/script&gt;' IN html) > 0 AS value_escaped,
       position('&quot;quoted&quot; &amp; &#39;single&#39;' IN html) > 0 AS quotes_escaped,
       position(E'\x01' IN html) AS control_chars
  FROM evil;

-- 3. the whole report: overview, index, a section per table of the scorecard
CREATE TEMP TABLE full_report AS SELECT xmlparse(DOCUMENT dq.report_html()) AS doc;
SELECT pg_temp.q(doc, '//section[@class=''overview'']/@id') AS overview,
       pg_temp.q(doc, 'count(//details[@class=''table''])')::int = (SELECT count(*) FROM dq.table_scorecard) AS a_section_per_table,
       pg_temp.q(doc, 'count(//table[contains(@class, ''scorecard'')]/tbody/tr[@data-name])')::int
         = (SELECT count(*) FROM dq.table_scorecard) AS an_index_row_per_table,
       pg_temp.q(doc, 'count(//input[@id=''q''])') AS search_box,
       pg_temp.q(doc, 'count(//s:svg[@class=''lineage'']//s:a[starts-with(@href, ''#t-'')])')::int > 0 AS lineage_links
  FROM full_report;
-- links in the index lead to sections that exist
SELECT count(*) AS dangling_links
  FROM full_report, unnest(xpath('//a[starts-with(@href, ''#'')]/@href', doc)::text[]) h
 WHERE pg_temp.q(doc, format('count(//*[@id=''%s''])', substr(h, 2))) <> '1';
-- the failing expectation of the table above is an open failure
SELECT pg_temp.q(doc, 'count(//table[contains(@class, ''failures'')]/tbody/tr)')::int >= 1 AS open_failures
  FROM full_report;
-- history window
SELECT dq.report_html(since => '-infinity') LIKE '%history since the beginning%' AS from_the_beginning;
SELECT dq.report_html(since => 'infinity');
-- a relation dq_lineage knows nothing of yet
CREATE TABLE bi.nothing (v int);
SELECT pg_temp.q(doc, '//details/@data-status') AS status,
       pg_temp.q(doc, '//p[@class=''empty'']/text()') AS empty_page
  FROM (SELECT xmlparse(DOCUMENT dq.report_html('bi.nothing')) AS doc) x;
