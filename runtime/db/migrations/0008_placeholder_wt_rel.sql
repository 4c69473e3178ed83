-- Placeholder in branch wt-rel only, so its migration 0016 applies: other branches own 0008.
-- DROP THIS FILE AT MERGE (the real 0008 comes from its branch).
select 1;
