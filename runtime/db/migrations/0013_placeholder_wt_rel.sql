-- Placeholder in branch wt-rel only, so its migration 0016 applies: other branches own 0013.
-- DROP THIS FILE AT MERGE (the real 0013 comes from its branch).
select 1;
