-- Placeholder in branch wt-rel only, so its migration 0016 applies: other branches own 0012.
-- DROP THIS FILE AT MERGE (the real 0012 comes from its branch).
select 1;
