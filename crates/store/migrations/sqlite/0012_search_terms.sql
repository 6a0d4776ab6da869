-- PostgreSQL's search terms stopped being a generated column (its migration 0012). SQLite's
-- full-text table makes its own terms, so nothing changes here: the migration exists so that
-- both backends keep one list of versions.
SELECT 1;
