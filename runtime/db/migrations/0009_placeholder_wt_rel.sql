-- Placeholder in branch wt-rel only, so its migration 0016 applies: other branches own 0009.
-- DROP THIS FILE AT MERGE (the real 0009 comes from its branch).
select 1;
