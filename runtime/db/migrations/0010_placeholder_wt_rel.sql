-- Placeholder in branch wt-rel only, so its migration 0016 applies: other branches own 0010.
-- DROP THIS FILE AT MERGE (the real 0010 comes from its branch).
select 1;
