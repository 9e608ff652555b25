/* dq_lineage--0.1.0.sql: install script of the dq_lineage extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dq_lineage" to load this file. \quit

GRANT USAGE ON SCHEMA dq TO PUBLIC;
