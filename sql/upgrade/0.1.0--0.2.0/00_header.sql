/* upgrade script of the dq_lineage extension from 0.1.0 to 0.2.0 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dq_lineage UPDATE TO '0.2.0'" to load this file. \quit

-- Each file of sql/upgrade/0.1.0--0.2.0/ holds the catalog changes of one
-- subsystem, in the order of the install pieces in sql/install/; the
-- upgrade test (test/t/004_upgrade.pl) checks that an updated 0.1.0
-- database has exactly the objects of a fresh 0.2.0 install.  Statements
-- that are the same as in a fresh install are not copied: a piece names
-- the install piece (or a marked section of it) in an include line, which
-- scripts/sql-include.pl replaces by that text when the script is built.
