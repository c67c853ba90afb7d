-- A nullable column: old code that does not know it keeps working.
ALTER TABLE orders ADD COLUMN note VARCHAR(255) NULL;
