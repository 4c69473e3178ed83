-- Placeholder in branch wt-obs for another branch's migration 0009 (the loader wants contiguous numbers):
-- delete this file at merge.
select 1;
