-- PostgreSQL only (its trigger's plan); SQLite's delete trigger already
-- removes number-index rows by their key (0009).
SELECT 1;
